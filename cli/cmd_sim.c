/*
 * cli/cmd_sim.c: `ward sim <vendor>`: write simulated TEE evidence signed by the
 * simulator's clearly-labelled test roots (see include/ward/sim.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/nvgpu.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/tdx.h"

#define SIM_PATH_MAX 4096

static void sim_usage(FILE *f)
{
    fprintf(f,
            "usage: ward sim <vendor> [options]\n"
            "\n"
            "vendors:\n"
            "  snp        AMD SEV-SNP attestation report with its VCEK/VLEK, ASK/ASVK and ARK\n"
            "  tdx        Intel TDX quote (v4 or v5) with its PCK chain and DCAP collateral\n"
            "  nvgpu      NVIDIA GPU attestation report (SPDM measurements) with its device chain\n"
            "  composite  a CPU report (snp or tdx) bound to GPU reports, in one JSON envelope\n"
            "\n"
            "Run 'ward sim <vendor> --help' for the vendor's options.\n");
}

static void snp_usage(FILE *f)
{
    fprintf(f,
            "usage: ward sim snp --dir DIR [options]\n"
            "\n"
            "Writes report.bin, vcek.der (vlek.der), ask.der (asvk.der) and ark.der, signed by\n"
            "simulator roots kept in DIR (created on first use). They are NOT AMD's: a verifier\n"
            "accepts them only with --allow-sim DIR.\n"
            "\n"
            "options:\n"
            "  --dir DIR             simulator state: keys and roots (created with mode 0700)\n"
            "  --product NAME        milan (default), genoa or turin\n"
            "  --version N           report version 3 or 5 (default 5)\n"
            "  --vlek                sign with a VLEK chained to an ASVK (default: VCEK)\n"
            "  --report-data HEX     REPORT_DATA, up to 64 bytes, zero-padded (default: zeros)\n"
            "  --measurement HEX     MEASUREMENT, 48 bytes (default: random)\n"
            "  --policy HEX          64-bit guest policy (default 0x30000)\n"
            "  --vmpl N              VMPL 0-3 (default 0)\n"
            "  --debug               set the policy's DEBUG bit\n"
            "  --tcb LIST            bl=N,tee=N,snp=N,ucode=N[,fmc=N]: every TCB field of the\n"
            "                        report (default: the product's)\n"
            "  -o, --out DIR         output directory (default: .)\n"
            "  --envelope FILE       also write a JSON evidence envelope\n"
            "                        {\"tee\":\"snp\",\"evidence\":...,\"certs\":[leaf,ask,ark]}\n"
            "  -h, --help            show this help\n");
}

/* parse_uint parses a decimal (or 0x-prefixed) unsigned integer <= |max|. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || v > max) {
        return false;
    }
    *out = v;
    return true;
}

/* parse_hex64 parses up to 16 hex digits, "0x" optional. */
static bool parse_hex64(const char *s, uint64_t *out)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    size_t n = strlen(s);
    if (n == 0 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n) {
        return false;
    }
    *out = strtoull(s, NULL, 16);
    return true;
}

/* parse_tcb applies "bl=N,tee=N,snp=N,ucode=N,fmc=N" (any subset) to |tcb|. */
static bool parse_tcb(const char *s, struct ward_snp_tcb *tcb)
{
    char buf[256];
    if (strlen(s) >= sizeof(buf)) {
        return false;
    }
    strcpy(buf, s);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        uint64_t v;
        if (eq == NULL || !parse_uint(eq + 1, 255, &v)) {
            return false;
        }
        *eq = '\0';
        if (strcmp(item, "bl") == 0) {
            tcb->bootloader = (uint8_t)v;
        } else if (strcmp(item, "tee") == 0) {
            tcb->tee = (uint8_t)v;
        } else if (strcmp(item, "snp") == 0) {
            tcb->snp = (uint8_t)v;
        } else if (strcmp(item, "ucode") == 0) {
            tcb->microcode = (uint8_t)v;
        } else if (strcmp(item, "fmc") == 0) {
            tcb->fmc = (uint8_t)v;
        } else {
            return false;
        }
    }
    return true;
}

static bool join_path(char out[SIM_PATH_MAX], const char *dir, const char *file)
{
    int n = snprintf(out, SIM_PATH_MAX, "%s/%s", dir, file);
    return n > 0 && n < SIM_PATH_MAX;
}

static int write_out(const char *dir, const char *file, const uint8_t *p, size_t len,
                     char out_path[SIM_PATH_MAX])
{
    if (!join_path(out_path, dir, file)) {
        cli_error("sim", "output path too long: %s/%s", dir, file);
        return WARD_EXIT_USAGE;
    }
    if (ward_write_file_atomic(out_path, p, len, 0644) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    printf("wrote %s\n", out_path);
    return WARD_EXIT_OK;
}

/* add_b64 appends the base64 of |len| bytes to the JSON array |arr|. */
static bool add_b64(json_t *arr, const uint8_t *p, size_t len)
{
    char *b64 = ward_base64_encode(p, len);
    if (b64 == NULL) {
        return false;
    }
    int rc = json_array_append_new(arr, json_string(b64));
    free(b64);
    return rc == 0;
}

static int write_envelope(const char *path, const uint8_t *report, const struct ward_buf *leaf,
                          const struct ward_buf *ask, const struct ward_buf *ark)
{
    json_t *env = json_object();
    json_t *certs = json_array();
    char *evidence = ward_base64_encode(report, WARD_SNP_REPORT_LEN);
    char *text = NULL;
    int rc = WARD_EXIT_USAGE;
    if (env == NULL || certs == NULL || evidence == NULL ||
        json_object_set_new(env, "tee", json_string("snp")) != 0 ||
        json_object_set_new(env, "evidence", json_string(evidence)) != 0 ||
        !add_b64(certs, leaf->data, leaf->len) || !add_b64(certs, ask->data, ask->len) ||
        !add_b64(certs, ark->data, ark->len) || json_object_set(env, "certs", certs) != 0 ||
        (text = ward_json_dumps(env, true)) == NULL) {
        cli_error("sim", "cannot build the evidence envelope: out of memory");
        goto out;
    }
    size_t text_len = strlen(text);
    text[text_len] = '\n'; /* json_dumps' NUL becomes the final newline */
    if (ward_write_file_atomic(path, (const uint8_t *)text, text_len + 1, 0644) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        goto out;
    }
    printf("wrote %s\n", path);
    rc = WARD_EXIT_OK;
out:
    free(text);
    free(evidence);
    json_decref(certs);
    json_decref(env);
    return rc;
}

enum {
    OPT_DIR = 256,
    OPT_PRODUCT,
    OPT_VERSION,
    OPT_VLEK,
    OPT_REPORT_DATA,
    OPT_MEASUREMENT,
    OPT_POLICY,
    OPT_VMPL,
    OPT_DEBUG,
    OPT_TCB,
    OPT_ENVELOPE,
    OPT_BODY,
    OPT_MRTD,
    OPT_OUT_OF_DATE,
    OPT_FMSPC,
    OPT_NONCE,
    OPT_BLACKWELL,
    OPT_CPU,
    OPT_GPUS,
};

static const struct option snp_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"product", required_argument, NULL, OPT_PRODUCT},
    {"version", required_argument, NULL, OPT_VERSION},
    {"vlek", no_argument, NULL, OPT_VLEK},
    {"report-data", required_argument, NULL, OPT_REPORT_DATA},
    {"measurement", required_argument, NULL, OPT_MEASUREMENT},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"vmpl", required_argument, NULL, OPT_VMPL},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"tcb", required_argument, NULL, OPT_TCB},
    {"out", required_argument, NULL, 'o'},
    {"envelope", required_argument, NULL, OPT_ENVELOPE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options of `ward sim snp` as given on the command line. */
struct snp_args {
    const char *dir;
    const char *out_dir;
    const char *envelope;
    const char *product;
    const char *report_data;
    const char *measurement;
    const char *tcb;
    uint32_t version;
    bool vlek;
    bool debug;
    bool has_policy;
    uint64_t policy;
    bool has_vmpl;
    uint64_t vmpl;
};

/* snp_parse_args fills |a|; returns -1 to go on, else the exit code. */
static int snp_parse_args(int argc, char **argv, struct snp_args *a)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", snp_options, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case OPT_DIR:
            a->dir = optarg;
            break;
        case OPT_PRODUCT:
            a->product = optarg;
            break;
        case OPT_VERSION:
            if (!parse_uint(optarg, 5, &v) || (v != 3 && v != 5)) {
                cli_error("sim", "--version must be 3 or 5, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            a->version = (uint32_t)v;
            break;
        case OPT_VLEK:
            a->vlek = true;
            break;
        case OPT_REPORT_DATA:
            a->report_data = optarg;
            break;
        case OPT_MEASUREMENT:
            a->measurement = optarg;
            break;
        case OPT_POLICY:
            if (!parse_hex64(optarg, &a->policy)) {
                cli_error("sim", "--policy must be up to 16 hex digits, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            a->has_policy = true;
            break;
        case OPT_VMPL:
            if (!parse_uint(optarg, 3, &a->vmpl)) {
                cli_error("sim", "--vmpl must be 0-3, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            a->has_vmpl = true;
            break;
        case OPT_DEBUG:
            a->debug = true;
            break;
        case OPT_TCB:
            a->tcb = optarg;
            break;
        case 'o':
            a->out_dir = optarg;
            break;
        case OPT_ENVELOPE:
            a->envelope = optarg;
            break;
        case 'h':
            snp_usage(stdout);
            return WARD_EXIT_OK;
        case ':':
            cli_error("sim", "option '%s' needs a value", argv[optind - 1]);
            snp_usage(stderr);
            return WARD_EXIT_USAGE;
        default:
            cli_error("sim", "unknown option '%s'", argv[optind - 1]);
            snp_usage(stderr);
            return WARD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("sim", "unexpected argument '%s'", argv[optind]);
        snp_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (a->dir == NULL) {
        cli_error("sim", "--dir DIR is required (where the simulator keeps its keys)");
        snp_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    return -1;
}

/* snp_template turns |a| into the report to sign. */
static int snp_template(const struct snp_args *a, enum ward_snp_product product,
                        struct ward_snp_report *r)
{
    if (ward_snp_sim_defaults(product, a->version, r) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    if (a->report_data != NULL) {
        struct ward_buf rd = {0};
        if (ward_hex_decode(a->report_data, &rd) != WARD_OK || rd.len == 0 ||
            rd.len > sizeof(r->report_data)) {
            ward_buf_cleanup(&rd);
            cli_error("sim", "--report-data must be 1 to 64 bytes of hex");
            return WARD_EXIT_USAGE;
        }
        memcpy(r->report_data, rd.data, rd.len);
        ward_buf_cleanup(&rd);
    }
    if (a->measurement != NULL &&
        ward_hex_decode_exact(a->measurement, r->measurement, sizeof(r->measurement)) != WARD_OK) {
        cli_error("sim", "--measurement must be 48 bytes (96 hex digits)");
        return WARD_EXIT_USAGE;
    }
    if (a->has_policy) {
        r->policy = a->policy;
    }
    if (a->debug) {
        r->policy |= WARD_SNP_POLICY_DEBUG;
    }
    if (a->has_vmpl) {
        r->vmpl = (uint32_t)a->vmpl;
    }
    if (a->tcb != NULL) {
        struct ward_snp_tcb tcb;
        ward_snp_tcb_decode(r->reported_tcb, product, &tcb);
        if (!parse_tcb(a->tcb, &tcb)) {
            cli_error("sim",
                      "--tcb must be bl=N,tee=N,snp=N,ucode=N[,fmc=N] with N 0-255, not '%s'",
                      a->tcb);
            return WARD_EXIT_USAGE;
        }
        if (tcb.fmc != 0 && product != WARD_SNP_TURIN) {
            cli_error("sim", "--tcb fmc=N applies to Turin only");
            return WARD_EXIT_USAGE;
        }
        uint64_t raw = ward_snp_tcb_encode(&tcb, product);
        r->current_tcb = raw;
        r->reported_tcb = raw;
        r->committed_tcb = raw;
        r->launch_tcb = raw;
    }
    return -1;
}

static int sim_snp_main(int argc, char **argv)
{
    struct snp_args a = {.out_dir = "."};
    int rc = snp_parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }
    enum ward_snp_product product = WARD_SNP_MILAN;
    if (a.product != NULL) {
        product = ward_snp_product_parse(a.product);
        if (product == WARD_SNP_PRODUCT_UNKNOWN) {
            cli_error("sim", "--product must be milan, genoa or turin, not '%s'", a.product);
            return WARD_EXIT_USAGE;
        }
    }
    struct ward_snp_report tmpl;
    rc = snp_template(&a, product, &tmpl);
    if (rc >= 0) {
        return rc;
    }

    struct ward_snp_sim_opts opts = {
        .dir = a.dir,
        .product = product,
        .version = a.version,
        .vlek = a.vlek,
        .template = &tmpl,
    };
    uint8_t report[WARD_SNP_REPORT_LEN];
    struct ward_buf leaf = {0}, ask = {0}, ark = {0};
    if (ward_snp_sim_report(&opts, report, &leaf, &ask, &ark) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }

    rc = WARD_EXIT_OK;
    char report_path[SIM_PATH_MAX], leaf_path[SIM_PATH_MAX], ask_path[SIM_PATH_MAX],
        ark_path[SIM_PATH_MAX];
    if (ward_mkdir_p(a.out_dir, 0755) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, "report.bin", report, sizeof(report), report_path);
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, a.vlek ? "vlek.der" : "vcek.der", leaf.data, leaf.len, leaf_path);
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, a.vlek ? "asvk.der" : "ask.der", ask.data, ask.len, ask_path);
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, "ark.der", ark.data, ark.len, ark_path);
    }
    if (rc == WARD_EXIT_OK && a.envelope != NULL) {
        rc = write_envelope(a.envelope, report, &leaf, &ask, &ark);
    }
    if (rc == WARD_EXIT_OK) {
        printf("verify with: ward verify --allow-sim %s --certs %s --certs %s --certs %s %s\n",
               a.dir, leaf_path, ask_path, ark_path, report_path);
    }
    ward_buf_cleanup(&leaf);
    ward_buf_cleanup(&ask);
    ward_buf_cleanup(&ark);
    return rc;
}

/* ---- ward sim tdx ---- */

static void tdx_usage(FILE *f)
{
    fprintf(f,
            "usage: ward sim tdx --dir DIR [options]\n"
            "\n"
            "Writes quote.bin (an Intel TDX DCAP quote with its PCK chain) and collateral.json\n"
            "(TCB info, QE identity, CRLs and issuer chains), signed by simulator roots kept in\n"
            "DIR (created on first use). They are NOT Intel's: a verifier accepts them only\n"
            "with --allow-sim DIR.\n"
            "\n"
            "options:\n"
            "  --dir DIR             simulator state: keys and roots (created with mode 0700)\n"
            "  --version N           quote version 4 (default) or 5\n"
            "  --body td10|td15      v5 report body (default td15; v4 is always td10)\n"
            "  --report-data HEX     REPORT_DATA, up to 64 bytes, zero-padded (default: zeros)\n"
            "  --mrtd HEX            MRTD, 48 bytes (default: random)\n"
            "  --fmspc HEX           the platform's FMSPC, 6 bytes (default ff5a1d000000)\n"
            "  --debug               set TD_ATTRIBUTES.DEBUG\n"
            "  --out-of-date         a platform TCB that matches only the OutOfDate TCB level\n"
            "  -o, --out DIR         output directory (default: .)\n"
            "  -h, --help            show this help\n");
}

static const struct option tdx_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"version", required_argument, NULL, OPT_VERSION},
    {"body", required_argument, NULL, OPT_BODY},
    {"report-data", required_argument, NULL, OPT_REPORT_DATA},
    {"mrtd", required_argument, NULL, OPT_MRTD},
    {"fmspc", required_argument, NULL, OPT_FMSPC},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"out-of-date", no_argument, NULL, OPT_OUT_OF_DATE},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options of `ward sim tdx`, decoded. */
struct tdx_args {
    const char *out_dir;
    struct ward_tdx_sim_opts opts;
    uint8_t report_data[64];
    uint8_t mrtd[48];
    uint8_t fmspc[6];
};

/* tdx_parse_opt applies one option to |a|; returns -1 to go on, else the exit code. */
static int tdx_parse_opt(int c, char **argv, struct tdx_args *a)
{
    uint64_t v;
    switch (c) {
    case OPT_DIR:
        a->opts.dir = optarg;
        return -1;
    case OPT_VERSION:
        if (!parse_uint(optarg, 5, &v) || (v != 4 && v != 5)) {
            cli_error("sim", "--version must be 4 or 5, not '%s'", optarg);
            return WARD_EXIT_USAGE;
        }
        a->opts.version = (uint16_t)v;
        return -1;
    case OPT_BODY:
        if (strcmp(optarg, "td10") == 0) {
            a->opts.body = WARD_TDX_BODY_TD10;
        } else if (strcmp(optarg, "td15") == 0) {
            a->opts.body = WARD_TDX_BODY_TD15;
        } else {
            cli_error("sim", "--body must be td10 or td15, not '%s'", optarg);
            return WARD_EXIT_USAGE;
        }
        return -1;
    case OPT_REPORT_DATA: {
        struct ward_buf rd = {0};
        if (ward_hex_decode(optarg, &rd) != WARD_OK || rd.len == 0 ||
            rd.len > sizeof(a->report_data)) {
            ward_buf_cleanup(&rd);
            cli_error("sim", "--report-data must be 1 to 64 bytes of hex");
            return WARD_EXIT_USAGE;
        }
        memcpy(a->report_data, rd.data, rd.len);
        ward_buf_cleanup(&rd);
        a->opts.report_data = a->report_data;
        return -1;
    }
    case OPT_MRTD:
        if (ward_hex_decode_exact(optarg, a->mrtd, sizeof(a->mrtd)) != WARD_OK) {
            cli_error("sim", "--mrtd must be 48 bytes (96 hex digits)");
            return WARD_EXIT_USAGE;
        }
        a->opts.mrtd = a->mrtd;
        return -1;
    case OPT_FMSPC:
        if (ward_hex_decode_exact(optarg, a->fmspc, sizeof(a->fmspc)) != WARD_OK) {
            cli_error("sim", "--fmspc must be 6 bytes (12 hex digits)");
            return WARD_EXIT_USAGE;
        }
        a->opts.fmspc = a->fmspc;
        return -1;
    case OPT_DEBUG:
        a->opts.debug = true;
        return -1;
    case OPT_OUT_OF_DATE:
        a->opts.out_of_date = true;
        return -1;
    case 'o':
        a->out_dir = optarg;
        return -1;
    case 'h':
        tdx_usage(stdout);
        return WARD_EXIT_OK;
    case ':':
        cli_error("sim", "option '%s' needs a value", argv[optind - 1]);
        tdx_usage(stderr);
        return WARD_EXIT_USAGE;
    default:
        cli_error("sim", "unknown option '%s'", argv[optind - 1]);
        tdx_usage(stderr);
        return WARD_EXIT_USAGE;
    }
}

/* tdx_parse_args fills |a|; returns -1 to go on, else the exit code. */
static int tdx_parse_args(int argc, char **argv, struct tdx_args *a)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", tdx_options, NULL)) != -1) {
        int rc = tdx_parse_opt(c, argv, a);
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind != argc) {
        cli_error("sim", "unexpected argument '%s'", argv[optind]);
        tdx_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (a->opts.dir == NULL) {
        cli_error("sim", "--dir DIR is required (where the simulator keeps its keys)");
        tdx_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (a->opts.version != 5 && a->opts.body == WARD_TDX_BODY_TD15) {
        cli_error("sim", "--body td15 needs --version 5 (a v4 quote carries a TD 1.0 body)");
        return WARD_EXIT_USAGE;
    }
    return -1;
}

static int sim_tdx_main(int argc, char **argv)
{
    struct tdx_args a;
    memset(&a, 0, sizeof(a));
    a.out_dir = ".";
    int rc = tdx_parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }

    struct ward_buf quote = {0};
    struct ward_dcap_collateral coll;
    memset(&coll, 0, sizeof(coll));
    struct ward_buf coll_json = {0};
    if (ward_tdx_sim_quote(&a.opts, &quote, &coll) != WARD_OK ||
        ward_dcap_collateral_encode(&coll, &coll_json) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
        goto out;
    }

    char quote_path[SIM_PATH_MAX], coll_path[SIM_PATH_MAX];
    if (ward_mkdir_p(a.out_dir, 0755) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
        goto out;
    }
    rc = write_out(a.out_dir, "quote.bin", quote.data, quote.len, quote_path);
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, "collateral.json", coll_json.data, coll_json.len, coll_path);
    }
    if (rc == WARD_EXIT_OK) {
        printf("verify with: ward verify --tee tdx --allow-sim %s --collateral %s %s\n", a.opts.dir,
               coll_path, quote_path);
    }
out:
    ward_buf_cleanup(&coll_json);
    ward_dcap_collateral_cleanup(&coll);
    ward_buf_cleanup(&quote);
    return rc;
}

/* ---- ward sim nvgpu ---- */

static void nvgpu_usage(FILE *f)
{
    fprintf(f, "usage: ward sim nvgpu --dir DIR [options]\n"
               "\n"
               "Writes evidence.bin (an SPDM GET_MEASUREMENTS request and its signed response, as\n"
               "NVIDIA GPUs report them), cert_chain.pem (the device chain, leaf first) and\n"
               "nonce.hex, signed by simulator roots kept in DIR (created on first use). They are\n"
               "NOT NVIDIA's: a verifier accepts them only with --allow-sim DIR.\n"
               "\n"
               "options:\n"
               "  --dir DIR             simulator state: keys and roots (created with mode 0700)\n"
               "  --nonce HEX           the request nonce, 32 bytes (default: random)\n"
               "  --blackwell           a Blackwell (GB100) GPU (default: Hopper, GH100)\n"
               "  -o, --out DIR         output directory (default: .)\n"
               "  -h, --help            show this help\n");
}

static const struct option nvgpu_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"nonce", required_argument, NULL, OPT_NONCE},
    {"blackwell", no_argument, NULL, OPT_BLACKWELL},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The options of `ward sim nvgpu`, decoded. */
struct nvgpu_args {
    const char *out_dir;
    struct ward_nvgpu_sim_opts opts;
    uint8_t nonce[32];
};

/* nvgpu_parse_args fills |a|; returns -1 to go on, else the exit code. */
static int nvgpu_parse_args(int argc, char **argv, struct nvgpu_args *a)
{
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", nvgpu_options, NULL)) != -1) {
        switch (c) {
        case OPT_DIR:
            a->opts.dir = optarg;
            break;
        case OPT_NONCE:
            if (ward_hex_decode_exact(optarg, a->nonce, sizeof(a->nonce)) != WARD_OK) {
                cli_error("sim", "--nonce must be 32 bytes (64 hex digits)");
                return WARD_EXIT_USAGE;
            }
            a->opts.nonce = a->nonce;
            break;
        case OPT_BLACKWELL:
            a->opts.blackwell = true;
            break;
        case 'o':
            a->out_dir = optarg;
            break;
        case 'h':
            nvgpu_usage(stdout);
            return WARD_EXIT_OK;
        case ':':
            cli_error("sim", "option '%s' needs a value", argv[optind - 1]);
            nvgpu_usage(stderr);
            return WARD_EXIT_USAGE;
        default:
            cli_error("sim", "unknown option '%s'", argv[optind - 1]);
            nvgpu_usage(stderr);
            return WARD_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        cli_error("sim", "unexpected argument '%s'", argv[optind]);
        nvgpu_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (a->opts.dir == NULL) {
        cli_error("sim", "--dir DIR is required (where the simulator keeps its keys)");
        nvgpu_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    return -1;
}

/* nvgpu_request_nonce reads the request nonce back from |report|. */
static int nvgpu_request_nonce(const struct ward_buf *report, char hex[65])
{
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    if (r == NULL) {
        cli_error("sim", "out of memory");
        return WARD_EXIT_USAGE;
    }
    int rc = ward_nvgpu_report_parse(report->data, report->len, r);
    if (rc == WARD_OK) {
        ward_hex_encode(r->request_nonce, sizeof(r->request_nonce), hex);
    }
    free(r);
    if (rc != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    return WARD_EXIT_OK;
}

static int sim_nvgpu_main(int argc, char **argv)
{
    struct nvgpu_args a;
    memset(&a, 0, sizeof(a));
    a.out_dir = ".";
    int rc = nvgpu_parse_args(argc, argv, &a);
    if (rc >= 0) {
        return rc;
    }

    struct ward_buf report = {0}, chain = {0};
    char nonce_hex[66]; /* 64 digits, then a newline or NUL, then NUL */
    char report_path[SIM_PATH_MAX], chain_path[SIM_PATH_MAX], nonce_path[SIM_PATH_MAX];
    if (ward_nvgpu_sim_report(&a.opts, &report, &chain) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
        goto out;
    }
    rc = nvgpu_request_nonce(&report, nonce_hex);
    if (rc == WARD_EXIT_OK && ward_mkdir_p(a.out_dir, 0755) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, "evidence.bin", report.data, report.len, report_path);
    }
    if (rc == WARD_EXIT_OK) {
        rc = write_out(a.out_dir, "cert_chain.pem", chain.data, chain.len, chain_path);
    }
    if (rc == WARD_EXIT_OK) {
        nonce_hex[64] = '\n';
        rc = write_out(a.out_dir, "nonce.hex", (const uint8_t *)nonce_hex, 65, nonce_path);
        nonce_hex[64] = '\0';
    }
    if (rc == WARD_EXIT_OK) {
        printf("verify with: ward verify --tee nvgpu --allow-sim %s --certs %s --nonce %s %s\n",
               a.opts.dir, chain_path, nonce_hex, report_path);
    }
out:
    ward_buf_cleanup(&chain);
    ward_buf_cleanup(&report);
    return rc;
}

/* ---- ward sim composite ---- */

static void composite_usage(FILE *f)
{
    fprintf(
        f,
        "usage: ward sim composite --dir DIR [options] -o FILE\n"
        "\n"
        "Writes a composite evidence envelope, {\"tee\":\"composite\",\"parts\":[CPU, GPU...]}:\n"
        "simulated GPU reports and a CPU report whose REPORT_DATA binds them (for each GPU\n"
        "in order its request nonce and the SHA-384 of its report, under the label\n"
        "\"ward/v1/composite\"). Signed by simulator roots kept in DIR (created on first\n"
        "use); NOT the vendors': a verifier accepts them only with --allow-sim DIR.\n"
        "\n"
        "options:\n"
        "  --dir DIR             simulator state: keys and roots (created with mode 0700)\n"
        "  --cpu snp|tdx         the CPU TEE (default snp)\n"
        "  --gpus N              number of GPUs, 1-%d (default 1)\n"
        "  --blackwell           Blackwell (GB100) GPUs (default: Hopper, GH100)\n"
        "  -o, --out FILE        the envelope to write (required)\n"
        "  -h, --help            show this help\n",
        WARD_NVGPU_SIM_MAX_DEVICES);
}

static const struct option composite_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"cpu", required_argument, NULL, OPT_CPU},
    {"gpus", required_argument, NULL, OPT_GPUS},
    {"blackwell", no_argument, NULL, OPT_BLACKWELL},
    {"out", required_argument, NULL, 'o'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* composite_parse_opt applies one option; returns -1 to go on, else the exit code. */
static int composite_parse_opt(int c, char **argv, struct ward_composite_sim_opts *opts,
                               const char **out_file)
{
    uint64_t v;
    switch (c) {
    case OPT_DIR:
        opts->dir = optarg;
        return -1;
    case OPT_CPU:
        if (strcmp(optarg, "snp") == 0) {
            opts->cpu = WARD_COMPOSITE_CPU_SNP;
        } else if (strcmp(optarg, "tdx") == 0) {
            opts->cpu = WARD_COMPOSITE_CPU_TDX;
        } else {
            cli_error("sim", "--cpu must be snp or tdx, not '%s'", optarg);
            return WARD_EXIT_USAGE;
        }
        return -1;
    case OPT_GPUS:
        if (!parse_uint(optarg, WARD_NVGPU_SIM_MAX_DEVICES, &v) || v == 0) {
            cli_error("sim", "--gpus must be 1-%d, not '%s'", WARD_NVGPU_SIM_MAX_DEVICES, optarg);
            return WARD_EXIT_USAGE;
        }
        opts->num_gpus = (size_t)v;
        return -1;
    case OPT_BLACKWELL:
        opts->blackwell = true;
        return -1;
    case 'o':
        *out_file = optarg;
        return -1;
    case 'h':
        composite_usage(stdout);
        return WARD_EXIT_OK;
    case ':':
        cli_error("sim", "option '%s' needs a value", argv[optind - 1]);
        composite_usage(stderr);
        return WARD_EXIT_USAGE;
    default:
        cli_error("sim", "unknown option '%s'", argv[optind - 1]);
        composite_usage(stderr);
        return WARD_EXIT_USAGE;
    }
}

static int sim_composite_main(int argc, char **argv)
{
    struct ward_composite_sim_opts opts = {0};
    const char *out_file = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":ho:", composite_options, NULL)) != -1) {
        int rc = composite_parse_opt(c, argv, &opts, &out_file);
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind != argc) {
        cli_error("sim", "unexpected argument '%s'", argv[optind]);
        composite_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (opts.dir == NULL || out_file == NULL) {
        cli_error("sim", "%s is required", opts.dir == NULL ? "--dir DIR" : "-o FILE");
        composite_usage(stderr);
        return WARD_EXIT_USAGE;
    }

    struct ward_buf env = {0};
    int rc = WARD_EXIT_OK;
    if (ward_composite_sim(&opts, &env) != WARD_OK ||
        ward_write_file_atomic(out_file, env.data, env.len, 0644) != WARD_OK) {
        cli_error("sim", "%s", ward_err_detail());
        rc = WARD_EXIT_USAGE;
    } else {
        printf("wrote %s\n", out_file);
        printf("verify with: ward verify --allow-sim %s %s\n", opts.dir, out_file);
    }
    ward_buf_cleanup(&env);
    return rc;
}

int sim_main(int argc, char **argv)
{
    if (argc < 2) {
        sim_usage(stderr);
        return WARD_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        sim_usage(stdout);
        return WARD_EXIT_OK;
    }
    if (strcmp(argv[1], "snp") == 0) {
        return sim_snp_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "tdx") == 0) {
        return sim_tdx_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "nvgpu") == 0) {
        return sim_nvgpu_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "composite") == 0) {
        return sim_composite_main(argc - 1, argv + 1);
    }
    cli_error("sim", "unknown vendor '%s'", argv[1]);
    sim_usage(stderr);
    return WARD_EXIT_USAGE;
}
