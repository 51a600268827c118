/* cli/ward.c: the `ward` command and its subcommand table (wireguard-tools style). */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

struct subcommand {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"verify", verify_main, "appraise TEE evidence against vendor roots and a policy"},
    {"fetch", fetch_main, "fetch and cache vendor collateral (AMD KDS, Intel PCS)"},
    {"sim", sim_main, "simulate TEE evidence signed by clearly-labelled test roots"},
    {"attest", attest_main, "produce evidence on this TEE, bound to a label and payload"},
};

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ward %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ward <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        fprintf(f, "  %-8s %s\n", subcommands[i].name, subcommands[i].summary);
    }
    fprintf(f, "\nRun 'ward <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    ward_log_set_prefix("ward");
    if (argc < 2) {
        usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return WARD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].main(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "ward: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return WARD_EXIT_USAGE;
}
