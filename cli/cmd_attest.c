/*
 * cli/cmd_attest.c: `ward attest`: produce evidence on this machine's TEE (or the
 * simulator), bound to a label and a payload, and write its JSON envelope.
 *
 *   ward attest [--provider auto|configfs|sev-guest|tdx-guest|nvml|sim] [--label L]
 *               [--payload-file F | --nonce HEX] [--gpu] [-o FILE]
 *               [--sim-dir DIR] [--sim-tee snp|tdx] [--sim-gpus N] [--configfs DIR]
 *               [--sev-guest PATH] [--tdx-guest PATH] [--nvml-library PATH] [--privlevel N]
 *
 * Exit 0: evidence written; 1: no evidence, because the provider or device failed
 * or refused (missing device, permission denied, firmware error, concurrent
 * configfs-tsm writer, truncated report); 2: usage or I/O error (options, the
 * payload file, the output file).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ward/attest.h"

#define PAYLOAD_MAX_LEN (16u << 20)  /* named maximum of --payload-file */
#define CONFIGFS_WAIT_MAX_MS 600000u /* WARD_CONFIGFS_WAIT_MS: at most 10 minutes */

static void usage(FILE *f)
{
    fputs("usage: ward attest [--provider auto|configfs|sev-guest|tdx-guest|nvml|sim]\n"
          "                   [--label L] [--payload-file F | --nonce HEX] [--gpu] [-o FILE]\n"
          "\n"
          "Produces attestation evidence whose REPORT_DATA is SHA-512(label || 0x00 || payload)\n"
          "and writes its JSON envelope to FILE (default: standard output). Verify it with\n"
          "'ward verify --label L --payload-file F EVIDENCE'.\n"
          "  --provider P       where the evidence comes from (default auto: configfs-tsm,\n"
          "                     /dev/sev-guest, /dev/tdx_guest, then the simulator if --sim-dir)\n"
          "  --label L          what the evidence vouches for (default " WARD_LABEL_ATTEST ")\n"
          "  --payload-file F   the payload to bind ('-' reads stdin; default: empty)\n"
          "  --nonce HEX        a 32-byte challenge (64 hex digits) to bind as the payload\n"
          "  --gpu              also attest the attached NVIDIA GPUs (composite envelope); the\n"
          "                     GPU nonce is then the first 32 bytes of the binding\n"
          "  -o, --out FILE     write the envelope here (default: standard output)\n"
          "test and development options:\n"
          "  --sim-dir DIR      simulator state (ward sim); required by --provider sim\n"
          "  --sim-tee TEE      what the simulator produces: snp (default) or tdx\n"
          "  --sim-gpus N       GPUs the simulator attaches with --gpu (default 1)\n"
          "  --configfs DIR     configfs-tsm report directory (default\n"
          "                     /sys/kernel/config/tsm/report)\n"
          "  --sev-guest PATH   SEV-SNP guest device (default /dev/sev-guest)\n"
          "  --tdx-guest PATH   TDX guest device (default /dev/tdx_guest)\n"
          "  --nvml-library P   NVML library (default libnvidia-ml.so.1)\n"
          "  --privlevel N      SEV-SNP VMPL to request, 0-3 (default: the kernel's)\n"
          "environment: WARD_CONFIGFS_WAIT_MS (tests only) lets a configfs-tsm stand-in\n"
          "directory take up to that long to answer\n"
          "exit status: 0 evidence written, 1 the provider or device failed, 2 usage or I/O\n"
          "error\n",
          f);
}

enum {
    OPT_PROVIDER = 256,
    OPT_LABEL,
    OPT_PAYLOAD_FILE,
    OPT_NONCE,
    OPT_GPU,
    OPT_SIM_DIR,
    OPT_SIM_TEE,
    OPT_SIM_GPUS,
    OPT_CONFIGFS,
    OPT_SEV_GUEST,
    OPT_TDX_GUEST,
    OPT_NVML,
    OPT_PRIVLEVEL,
};

static const struct option longopts[] = {
    {"provider", required_argument, NULL, OPT_PROVIDER},
    {"label", required_argument, NULL, OPT_LABEL},
    {"payload-file", required_argument, NULL, OPT_PAYLOAD_FILE},
    {"nonce", required_argument, NULL, OPT_NONCE},
    {"gpu", no_argument, NULL, OPT_GPU},
    {"out", required_argument, NULL, 'o'},
    {"sim-dir", required_argument, NULL, OPT_SIM_DIR},
    {"sim-tee", required_argument, NULL, OPT_SIM_TEE},
    {"sim-gpus", required_argument, NULL, OPT_SIM_GPUS},
    {"configfs", required_argument, NULL, OPT_CONFIGFS},
    {"sev-guest", required_argument, NULL, OPT_SEV_GUEST},
    {"tdx-guest", required_argument, NULL, OPT_TDX_GUEST},
    {"nvml-library", required_argument, NULL, OPT_NVML},
    {"privlevel", required_argument, NULL, OPT_PRIVLEVEL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The command line, decoded. */
struct attest_args {
    struct ward_attest_opts opts;
    const char *label;
    const char *payload_file;
    const char *nonce_hex;
    const char *out;
};

/* parse_small parses a decimal integer 0..|max|. */
static bool parse_small(const char *s, unsigned max, unsigned *out)
{
    char *end = NULL;
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max) {
        return false;
    }
    *out = (unsigned)v;
    return true;
}

/* parse_args fills |a|; returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct attest_args *a)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_PROVIDER:
            if (!ward_provider_parse(optarg, &a->opts.provider)) {
                cli_error("attest",
                          "--provider must be auto, configfs, sev-guest, tdx-guest, nvml or sim, "
                          "not '%s'",
                          optarg);
                return WARD_EXIT_USAGE;
            }
            break;
        case OPT_LABEL:
            if (optarg[0] == '\0') {
                cli_error("attest", "--label must not be empty");
                return WARD_EXIT_USAGE;
            }
            a->label = optarg;
            break;
        case OPT_PAYLOAD_FILE:
            a->payload_file = optarg;
            break;
        case OPT_NONCE:
            a->nonce_hex = optarg;
            break;
        case OPT_GPU:
            a->opts.gpus = true;
            break;
        case 'o':
            a->out = optarg;
            break;
        case OPT_SIM_DIR:
            a->opts.sim_dir = optarg;
            break;
        case OPT_SIM_TEE:
            if (strcmp(optarg, "snp") != 0 && strcmp(optarg, "tdx") != 0) {
                cli_error("attest", "--sim-tee must be snp or tdx, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            a->opts.sim_tee = optarg;
            break;
        case OPT_SIM_GPUS:
            if (!parse_small(optarg, 16, &a->opts.num_sim_gpus) || a->opts.num_sim_gpus == 0) {
                cli_error("attest", "--sim-gpus must be 1 to 16, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            break;
        case OPT_CONFIGFS:
            a->opts.configfs_dir = optarg;
            break;
        case OPT_SEV_GUEST:
            a->opts.sev_guest_dev = optarg;
            break;
        case OPT_TDX_GUEST:
            a->opts.tdx_guest_dev = optarg;
            break;
        case OPT_NVML:
            a->opts.nvml_library = optarg;
            break;
        case OPT_PRIVLEVEL:
            if (!parse_small(optarg, 3, &a->opts.privlevel)) {
                cli_error("attest", "--privlevel must be 0 to 3, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return WARD_EXIT_OK;
        case ':':
            cli_error("attest", "option '%s' needs a value", argv[optind - 1]);
            usage(stderr);
            return WARD_EXIT_USAGE;
        default:
            cli_error("attest", "unknown option '%s'", argv[optind - 1]);
            usage(stderr);
            return WARD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("attest", "unexpected argument '%s'", argv[optind]);
        usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (a->payload_file != NULL && a->nonce_hex != NULL) {
        cli_error("attest", "give the payload as --payload-file or as --nonce, not both");
        return WARD_EXIT_USAGE;
    }
    if (a->opts.provider == WARD_PROVIDER_SIM && a->opts.sim_dir == NULL) {
        cli_error("attest", "--provider sim needs --sim-dir DIR (where 'ward sim' keeps its keys)");
        return WARD_EXIT_USAGE;
    }
    const char *wait = getenv("WARD_CONFIGFS_WAIT_MS");
    if (wait != NULL && !parse_small(wait, CONFIGFS_WAIT_MAX_MS, &a->opts.configfs_wait_ms)) {
        cli_error("attest", "WARD_CONFIGFS_WAIT_MS must be 0 to %u milliseconds",
                  CONFIGFS_WAIT_MAX_MS);
        return WARD_EXIT_USAGE;
    }
    return -1;
}

/* read_payload reads the payload the binding covers: a file, a nonce or nothing. */
static int read_payload(const struct attest_args *a, struct ward_buf *out)
{
    if (a->payload_file != NULL &&
        ward_read_file(a->payload_file, PAYLOAD_MAX_LEN, out) != WARD_OK) {
        cli_error("attest", "--payload-file: %s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    if (a->nonce_hex != NULL) {
        uint8_t nonce[WARD_ATTEST_NONCE_LEN];
        if (ward_hex_decode_exact(a->nonce_hex, nonce, sizeof(nonce)) != WARD_OK ||
            ward_buf_set(out, nonce, sizeof(nonce)) != WARD_OK) {
            cli_error("attest", "--nonce must be 32 bytes (64 hex digits)");
            return WARD_EXIT_USAGE;
        }
    }
    return -1;
}

static int write_envelope(const char *path, const struct ward_buf *env)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        if (fwrite(env->data, 1, env->len, stdout) != env->len || fflush(stdout) != 0) {
            cli_error("attest", "cannot write the evidence to standard output");
            return WARD_EXIT_USAGE;
        }
        return WARD_EXIT_OK;
    }
    if (ward_write_file_atomic(path, env->data, env->len, 0644) != WARD_OK) {
        cli_error("attest", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    return WARD_EXIT_OK;
}

int attest_main(int argc, char **argv)
{
    struct attest_args a = {.label = WARD_LABEL_ATTEST};
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    struct ward_buf payload = {0}, env = {0};
    struct ward_attest *at = NULL;
    rc = read_payload(&a, &payload);
    if (rc >= 0) {
        goto out;
    }
    if (ward_attest_open(&a.opts, &at) != WARD_OK) {
        cli_error("attest", "%s", ward_err_detail());
        rc = ward_err_code() == WARD_ERR_USAGE ? WARD_EXIT_USAGE : WARD_EXIT_REJECT;
        goto out;
    }
    if (ward_attest_provider(at) == WARD_PROVIDER_SIM) {
        cli_error("attest", "simulated evidence (sim provider, %s): not from a real TEE",
                  a.opts.sim_dir);
    }
    if (ward_attest_evidence(at, a.label, payload.data, payload.len, NULL, &env) != WARD_OK) {
        cli_error("attest", "%s", ward_err_detail());
        rc = ward_err_code() == WARD_ERR_USAGE ? WARD_EXIT_USAGE : WARD_EXIT_REJECT;
        goto out;
    }
    rc = write_envelope(a.out, &env);
out:
    ward_attest_close(at);
    ward_buf_cleanup(&env);
    ward_buf_cleanup(&payload);
    return rc;
}
