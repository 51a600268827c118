/*
 * cli/cmd_fetch.c: `ward fetch snp`, `ward fetch tdx` and `ward fetch nvgpu`: fetch
 * the collateral of a piece of evidence into the local cache, so that `ward verify`
 * works offline.
 *  - snp: the VCEK, ASK/ASVK+ARK chain and CRL of a SEV-SNP report, from AMD KDS;
 *    optionally also written out as DER files.
 *  - tdx: the TCB info, QE identity, PCK and root CA CRLs and issuer chains of a TDX
 *    quote's platform, from Intel PCS (or a PCCS), as one collateral bundle;
 *    optionally also written to a file.
 *  - nvgpu: the OCSP status of each certificate of a GPU's device chain, from
 *    NVIDIA's OCSP responder; optionally also written out as DER files.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>

#include "cli.h"
#include "ward/collateral.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/ocsp.h"
#include "ward/pcs.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/tdx.h"
#include "ward/verify.h"

#define EVIDENCE_MAX_LEN (1u << 20) /* a raw report or quote, or a JSON envelope */
#define RETRIES_MAX 20u
#define OUT_PATH_MAX 1024
#define CERT_FILES_MAX 16            /* --certs files */
#define CERT_FILE_MAX_LEN (1u << 20) /* one --certs file */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ward fetch snp [options] EVIDENCE\n"
            "       ward fetch tdx [options] QUOTE\n"
            "       ward fetch nvgpu [options] --certs CHAIN.pem\n"
            "\n"
            "Fetch the collateral of a piece of evidence into the cache that 'ward verify'\n"
            "reads offline. It is always downloaded, even when cached (a refresh).\n"
            "\n"
            "snp: the VCEK, certificate chain and CRL for a SEV-SNP report, from the AMD\n"
            "Key Distribution Service. EVIDENCE is a raw %u-byte attestation report or a\n"
            "JSON envelope {\"tee\":\"snp\",\"evidence\":BASE64,...}; '-' reads standard input.\n"
            "  --kds-url URL      KDS base URL (default $WARD_KDS_URL, else %s)\n"
            "  --product NAME     milan, genoa or turin (default: from the report's CPUID;\n"
            "                     version-2 reports try each in turn)\n"
            "  -o, --output DIR   also write vcek.der, ask.der (asvk.der), ark.der, crl.der\n"
            "\n"
            "tdx: the TCB info, QE identity, PCK CRL, root CA CRL and their issuer chains\n"
            "for a TDX quote's platform (FMSPC and PCK CA from its PCK certificate), from\n"
            "Intel PCS or a PCCS, cached as one bundle <cache>/tdx/<fmspc>-<ca>.json. QUOTE\n"
            "is a raw quote (v4 or v5) or a JSON envelope with \"tee\":\"tdx\".\n"
            "  --pcs-url URL      PCS/PCCS base URL (default $WARD_PCS_URL, else\n"
            "                     %s)\n"
            "  --root-crl-url URL the Intel SGX Root CA CRL (default\n"
            "                     %s)\n"
            "  -o, --output FILE  also write the collateral bundle (JSON) to FILE\n"
            "\n"
            "nvgpu: the OCSP status of each certificate of an NVIDIA GPU's device chain\n"
            "(one signed, nonce-bound request each), cached as\n"
            "<cache>/nvgpu/ocsp/<sha256 of the certificate>.der, where 'ward verify' finds\n"
            "them when no --ocsp file is given. Every answer must be signed for the\n"
            "certificate's issuer and chain to NVIDIA's root (or a trusted simulator root).\n"
            "  --certs FILE       the device certificate chain, PEM or DER, leaf first (as\n"
            "                     the GPU and 'ward sim nvgpu' write it), repeatable\n"
            "  --ocsp-url URL     OCSP responder (default $WARD_NVIDIA_OCSP_URL, else\n"
            "                     %s)\n"
            "  --allow-sim DIR    also trust the GPU simulator root in DIR\n"
            "  -o, --output DIR   also write each response as DIR/ocspN.der (N: the\n"
            "                     certificate's position in the chain, 0 the leaf)\n"
            "\n"
            "common options:\n"
            "  --cache DIR        cache root (default $XDG_CACHE_HOME/ward or ~/.cache/ward)\n"
            "  --retries N        retries when rate limited, 0..%u (default 5)\n"
            "  -h, --help         show this help\n"
            "\n"
            "exit status: 0 fetched, 1 the service refused (not found, rate limited,\n"
            "bad response), the evidence is malformed, or (nvgpu) a certificate is revoked\n"
            "or unknown to the responder, 2 usage, I/O or network error\n",
            WARD_SNP_REPORT_LEN, WARD_KDS_DEFAULT_URL, WARD_PCS_DEFAULT_URL, WARD_PCS_ROOT_CRL_URL,
            WARD_NVIDIA_OCSP_URL, RETRIES_MAX);
}

/* What the command line asked for, before the vendor is known. */
struct fetch_args {
    const char *kds_url;               /* snp */
    const char *pcs_url;               /* tdx */
    const char *root_crl_url;          /* tdx */
    const char *ocsp_url;              /* nvgpu */
    const char *sim_dir;               /* nvgpu */
    const char *certs[CERT_FILES_MAX]; /* nvgpu */
    size_t num_certs;
    bool product_given; /* snp */
    enum ward_snp_product product;
    const char *cache_opt;
    const char *out;      /* snp, nvgpu: a directory; tdx: a file */
    unsigned max_retries; /* 0: default; UINT_MAX: none */
    const char *evidence;
};

/* exit_code maps a library error to the documented exit status. */
static int exit_code(int err)
{
    switch (err) {
    case WARD_OK:
        return WARD_EXIT_OK;
    case WARD_ERR_USAGE:
    case WARD_ERR_IO:
    case WARD_ERR_NET:
    case WARD_ERR_NOMEM:
        return WARD_EXIT_USAGE;
    default:
        return WARD_EXIT_REJECT;
    }
}

/* load_report reads EVIDENCE (raw report or JSON envelope) and parses the report. */
static int load_report(const char *path, struct ward_snp_report *out)
{
    struct ward_buf file = {0};
    struct ward_envelope env;
    memset(&env, 0, sizeof(env));
    int rc = ward_read_file(path, EVIDENCE_MAX_LEN, &file);
    if (rc != WARD_OK) {
        return rc;
    }
    const struct ward_buf *report = &file;
    rc = ward_envelope_parse(file.data, file.len, &env);
    if (rc == WARD_OK) {
        if (strcmp(env.tee, "snp") != 0) {
            rc = ward_err_set(WARD_ERR_FORMAT, "%s: envelope tee is not \"snp\"", path);
            goto out;
        }
        report = &env.evidence;
    } else if (rc != WARD_ERR_NOT_FOUND) {
        ward_err_prefix("%s", path);
        goto out;
    }
    if (report->len != WARD_SNP_REPORT_LEN) {
        rc = ward_err_set(WARD_ERR_FORMAT, "%s: not a %u-byte SEV-SNP report (%zu bytes)", path,
                          WARD_SNP_REPORT_LEN, report->len);
        goto out;
    }
    rc = ward_snp_report_parse(report->data, report->len, out);
    if (rc != WARD_OK) {
        ward_err_prefix("%s", path);
    }
out:
    ward_envelope_cleanup(&env);
    ward_buf_cleanup(&file);
    return rc;
}

static int write_out(const char *dir, const char *name, const uint8_t *p, size_t len)
{
    char path[OUT_PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (n <= 0 || (size_t)n >= sizeof(path)) {
        return ward_err_set(WARD_ERR_USAGE, "output path is too long");
    }
    int rc = ward_write_file_atomic(path, p, len, 0644);
    if (rc == WARD_OK) {
        printf("wrote %s\n", path);
    }
    return rc;
}

/* write_chain splits the PEM chain and writes each certificate as DER: the first
 * as ask.der (asvk.der for VLEK chains), the second as ark.der. */
static int write_chain(const char *dir, const struct ward_buf *pem, bool vlek)
{
    static const char *const names[2][2] = {{"ask.der", "ark.der"}, {"asvk.der", "ark.der"}};
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (certs == NULL) {
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    int rc = ward_x509_parse_all(pem->data, pem->len, certs);
    if (rc == WARD_OK && sk_X509_num(certs) != 2) {
        rc = ward_err_set(WARD_ERR_FORMAT, "certificate chain has %d certificates, not 2",
                          sk_X509_num(certs));
    }
    for (int i = 0; rc == WARD_OK && i < 2; i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(certs, i), &der);
        if (len <= 0) {
            rc = ward_err_set(WARD_ERR_CRYPTO, "cannot encode certificate %d as DER", i + 1);
            break;
        }
        rc = write_out(dir, names[vlek][i], der, (size_t)len);
        OPENSSL_free(der);
    }
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

static int write_all(const char *dir, const struct ward_snp_collateral *c, bool vlek)
{
    int rc = ward_mkdir_p(dir, 0755);
    if (rc == WARD_OK && !vlek) {
        rc = write_out(dir, "vcek.der", c->vcek.data, c->vcek.len);
    }
    if (rc == WARD_OK) {
        rc = write_chain(dir, &c->chain, vlek);
    }
    if (rc == WARD_OK) {
        rc = write_out(dir, "crl.der", c->crl.data, c->crl.len);
    }
    return rc;
}

static int fetch_snp(const struct fetch_args *a)
{
    struct ward_kds_opts opts = {.base_url = a->kds_url, .max_retries = a->max_retries};
    char cache[WARD_CACHE_PATH_MAX];
    int rc = ward_cache_dir(a->cache_opt, cache, sizeof(cache));
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    opts.cache_dir = cache;

    struct ward_snp_report report;
    rc = load_report(a->evidence, &report);
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        return exit_code(rc);
    }
    bool vlek = ward_snp_signing_key(&report) == WARD_SNP_KEY_VLEK;

    struct ward_snp_collateral col;
    memset(&col, 0, sizeof(col));
    rc = ward_kds_fetch_snp(&report, a->product, &opts, &col);
    if (rc != WARD_OK) {
        cli_error("fetch", "%s%s", ward_err_detail(),
                  rc == WARD_ERR_RATE_LIMIT ? " (try again later or raise --retries)" : "");
        return exit_code(rc);
    }

    struct ward_snp_cache_paths paths;
    rc = ward_snp_cache_paths(cache, col.product, &report, &paths);
    if (rc == WARD_OK) {
        printf("fetched SEV-SNP collateral for %s (%s-signed report) from %s\n",
               ward_snp_product_name(col.product), vlek ? "VLEK" : "VCEK",
               opts.base_url != NULL ? opts.base_url : WARD_KDS_DEFAULT_URL);
        if (!vlek) {
            printf("vcek  %s\n", paths.vcek);
        }
        printf("chain %s\n", paths.chain);
        printf("crl   %s\n", paths.crl);
        if (a->out != NULL) {
            rc = write_all(a->out, &col, vlek);
        }
    }
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
    }
    ward_snp_collateral_cleanup(&col);
    return exit_code(rc);
}

/* reject records the current error again as WARD_ERR_FORMAT ("the evidence is
 * malformed": exit 1), prefixed with |path| and |what|. The detail is copied first:
 * it lives in the error slot that ward_err_set writes. */
static int reject(const char *path, const char *what)
{
    char detail[512];
    snprintf(detail, sizeof(detail), "%s", ward_err_detail());
    return ward_err_set(WARD_ERR_FORMAT, "%s: %s%s", path, what, detail);
}

/* load_quote reads QUOTE (raw quote or JSON envelope) into |file| and parses it; the
 * quote borrows from |file|. Any failure of the evidence itself is WARD_ERR_FORMAT. */
static int load_quote(const char *path, struct ward_buf *file, struct ward_tdx_quote *out)
{
    struct ward_envelope env;
    memset(&env, 0, sizeof(env));
    int rc = ward_read_file(path, EVIDENCE_MAX_LEN, file);
    if (rc != WARD_OK) {
        return rc;
    }
    rc = ward_envelope_parse(file->data, file->len, &env);
    if (rc == WARD_OK) {
        if (strcmp(env.tee, "tdx") != 0) {
            rc = ward_err_set(WARD_ERR_FORMAT, "%s: envelope tee is not \"tdx\"", path);
            goto out;
        }
        /* The quote must outlive the envelope: move the evidence into |file|. */
        ward_buf_cleanup(file);
        *file = env.evidence;
        env.evidence = (struct ward_buf){0};
    } else if (rc != WARD_ERR_NOT_FOUND) {
        rc = reject(path, "");
        goto out;
    }
    rc = ward_tdx_quote_parse(file->data, file->len, out);
    if (rc != WARD_OK) {
        rc = reject(path, "not a TDX quote: ");
    }
out:
    ward_envelope_cleanup(&env);
    return rc;
}

static int fetch_tdx(const struct fetch_args *a)
{
    struct ward_pcs_opts opts = {
        .base_url = a->pcs_url, .root_crl_url = a->root_crl_url, .max_retries = a->max_retries};
    char cache[WARD_CACHE_PATH_MAX];
    int rc = ward_cache_dir(a->cache_opt, cache, sizeof(cache));
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    opts.cache_dir = cache;

    struct ward_buf file = {0};
    struct ward_tdx_quote quote;
    uint8_t fmspc[6];
    const char *ca = NULL;
    rc = load_quote(a->evidence, &file, &quote);
    if (rc == WARD_OK) {
        rc = ward_tdx_pck_target(&quote, fmspc, &ca);
        if (rc != WARD_OK) {
            rc = reject(a->evidence, "");
        }
    }
    ward_buf_cleanup(&file);
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        return exit_code(rc);
    }

    struct ward_dcap_collateral col;
    memset(&col, 0, sizeof(col));
    rc = ward_pcs_fetch_tdx(fmspc, ca, &opts, &col);
    if (rc != WARD_OK) {
        cli_error("fetch", "%s%s", ward_err_detail(),
                  rc == WARD_ERR_RATE_LIMIT ? " (try again later or raise --retries)" : "");
        return exit_code(rc);
    }
    char hex[13];
    ward_hex_encode(fmspc, sizeof(fmspc), hex);
    char path[WARD_CACHE_PATH_MAX];
    rc = ward_tdx_cache_path(cache, fmspc, ca, path, sizeof(path));
    if (rc == WARD_OK) {
        printf("fetched TDX collateral for FMSPC %s (PCK %s CA) from %s\n", hex, ca,
               opts.base_url != NULL ? opts.base_url : WARD_PCS_DEFAULT_URL);
        printf("bundle %s\n", path);
    }
    if (rc == WARD_OK && a->out != NULL) {
        struct ward_buf text = {0};
        rc = ward_dcap_collateral_encode(&col, &text);
        if (rc == WARD_OK) {
            rc = ward_write_file_atomic(a->out, text.data, text.len, 0644);
        }
        if (rc == WARD_OK) {
            printf("wrote %s\n", a->out);
        }
        ward_buf_cleanup(&text);
    }
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
    }
    ward_dcap_collateral_cleanup(&col);
    return exit_code(rc);
}

/* load_chain reads the --certs files, in order, into |certs|. A file that cannot
 * be read is WARD_ERR_IO; one that does not parse, WARD_ERR_FORMAT (exit 1). */
static int load_chain(const struct fetch_args *a, STACK_OF(X509) *certs)
{
    for (size_t i = 0; i < a->num_certs; i++) {
        struct ward_buf b = {0};
        int rc = ward_read_file(a->certs[i], CERT_FILE_MAX_LEN, &b);
        if (rc == WARD_OK && ward_x509_parse_all(b.data, b.len, certs) != WARD_OK) {
            rc = reject(a->certs[i], "");
        }
        ward_buf_cleanup(&b);
        if (rc != WARD_OK) {
            return rc;
        }
    }
    return WARD_OK;
}

/* write_responses writes each response of |r| as |dir|/ocspN.der. */
static int write_responses(const char *dir, const struct ward_ocsp_fetch_result *r)
{
    int rc = ward_mkdir_p(dir, 0755);
    for (size_t i = 0; rc == WARD_OK && i < r->num; i++) {
        const struct ward_ocsp_fetched *f = &r->certs[i];
        if (!f->answered) {
            continue;
        }
        char name[32];
        snprintf(name, sizeof(name), "ocsp%zu.der", f->single.cert);
        rc = write_out(dir, name, f->response.data, f->response.len);
    }
    return rc;
}

static int fetch_nvgpu(const struct fetch_args *a)
{
    struct ward_ocsp_opts opts = {
        .url = a->ocsp_url, .sim_dir = a->sim_dir, .max_retries = a->max_retries};
    char cache[WARD_CACHE_PATH_MAX];
    int rc = ward_cache_dir(a->cache_opt, cache, sizeof(cache));
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    opts.cache_dir = cache;
    if (a->sim_dir != NULL) {
        /* Refused up front, as by 'ward verify': a typo must not read as "not trusted". */
        STACK_OF(X509) *roots = sk_X509_new_null();
        rc = roots != NULL ? ward_nvgpu_sim_roots(a->sim_dir, roots) : WARD_ERR_NOMEM;
        sk_X509_pop_free(roots, X509_free);
        if (rc != WARD_OK) {
            cli_error("fetch", "--allow-sim %s: %s", a->sim_dir, ward_err_detail());
            return WARD_EXIT_USAGE;
        }
    }
    STACK_OF(X509) *chain = sk_X509_new_null();
    if (chain == NULL) {
        cli_error("fetch", "out of memory");
        return WARD_EXIT_USAGE;
    }
    rc = load_chain(a, chain);
    if (rc != WARD_OK) {
        cli_error("fetch", "%s", ward_err_detail());
        sk_X509_pop_free(chain, X509_free);
        return exit_code(rc);
    }

    struct ward_ocsp_fetch_result *r = calloc(1, sizeof(*r));
    rc = r != NULL ? ward_ocsp_fetch(chain, &opts, r)
                   : ward_err_set(WARD_ERR_NOMEM, "out of memory");
    if (rc != WARD_OK) {
        cli_error("fetch", "%s%s", ward_err_detail(),
                  rc == WARD_ERR_RATE_LIMIT ? " (try again later or raise --retries)" : "");
        sk_X509_pop_free(chain, X509_free);
        free(r);
        return exit_code(rc);
    }
    printf("fetched the OCSP status of the device chain from %s%s\n",
           opts.url != NULL ? opts.url : WARD_NVIDIA_OCSP_URL,
           r->simulated ? "  [SIMULATED CHAIN]" : "");
    const struct ward_ocsp_fetched *bad = NULL;
    for (size_t i = 0; i < r->num; i++) {
        const struct ward_ocsp_fetched *f = &r->certs[i];
        if (!f->answered) {
            printf("%-8s \"%s\"  (the responder has no status for the leaf the GPU issues "
                   "itself; not needed)\n",
                   "none", f->name);
            continue;
        }
        printf("%-8s \"%s\"  %s\n", ward_ocsp_status_name(f->single.status), f->name,
               f->cache_path);
        if (f->single.status != WARD_OCSP_GOOD && bad == NULL) {
            bad = f;
        }
    }
    if (a->out != NULL) {
        rc = write_responses(a->out, r);
        if (rc != WARD_OK) {
            cli_error("fetch", "%s", ward_err_detail());
        }
    }
    int ret = exit_code(rc);
    if (rc == WARD_OK && bad != NULL) {
        cli_error("fetch", "certificate \"%s\" is %s (OCSP)", bad->name,
                  bad->single.status == WARD_OCSP_REVOKED ? "revoked" : "unknown to the responder");
        ret = WARD_EXIT_REJECT;
    }
    ward_ocsp_fetch_result_cleanup(r);
    free(r);
    sk_X509_pop_free(chain, X509_free);
    return ret;
}

int fetch_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kds-url", required_argument, NULL, 'u'},
        {"pcs-url", required_argument, NULL, 'P'},
        {"root-crl-url", required_argument, NULL, 'R'},
        {"ocsp-url", required_argument, NULL, 'U'},
        {"certs", required_argument, NULL, 'C'},
        {"allow-sim", required_argument, NULL, 's'},
        {"cache", required_argument, NULL, 'c'},
        {"product", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"retries", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct fetch_args a;
    memset(&a, 0, sizeof(a));
    a.product = WARD_SNP_PRODUCT_UNKNOWN;
    a.kds_url = getenv("WARD_KDS_URL");
    if (a.kds_url != NULL && a.kds_url[0] == '\0') {
        a.kds_url = NULL;
    }
    a.pcs_url = getenv("WARD_PCS_URL");
    if (a.pcs_url != NULL && a.pcs_url[0] == '\0') {
        a.pcs_url = NULL;
    }
    a.ocsp_url = getenv("WARD_NVIDIA_OCSP_URL");
    if (a.ocsp_url != NULL && a.ocsp_url[0] == '\0') {
        a.ocsp_url = NULL;
    }
    bool snp_only = false;   /* an snp option was given */
    bool tdx_only = false;   /* a tdx option was given */
    bool nvgpu_only = false; /* an nvgpu option was given */
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":ho:", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            a.kds_url = optarg;
            snp_only = true;
            break;
        case 'P':
            a.pcs_url = optarg;
            tdx_only = true;
            break;
        case 'R':
            a.root_crl_url = optarg;
            tdx_only = true;
            break;
        case 'U':
            a.ocsp_url = optarg;
            nvgpu_only = true;
            break;
        case 'C':
            if (a.num_certs == CERT_FILES_MAX) {
                cli_error("fetch", "at most %d --certs files", CERT_FILES_MAX);
                return WARD_EXIT_USAGE;
            }
            a.certs[a.num_certs++] = optarg;
            nvgpu_only = true;
            break;
        case 's':
            a.sim_dir = optarg;
            nvgpu_only = true;
            break;
        case 'c':
            a.cache_opt = optarg;
            break;
        case 'p':
            if ((a.product = ward_snp_product_parse(optarg)) == WARD_SNP_PRODUCT_UNKNOWN) {
                cli_error("fetch", "--product must be milan, genoa or turin, not '%s'", optarg);
                return WARD_EXIT_USAGE;
            }
            snp_only = true;
            break;
        case 'o':
            a.out = optarg;
            break;
        case 'r': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || n > RETRIES_MAX) {
                cli_error("fetch", "--retries must be a number from 0 to %u", RETRIES_MAX);
                return WARD_EXIT_USAGE;
            }
            a.max_retries = n == 0 ? WARD_KDS_NO_RETRIES : (unsigned)n;
            break;
        }
        case 'h':
            usage(stdout);
            return WARD_EXIT_OK;
        case ':':
            cli_error("fetch", "option '%s' needs a value", argv[optind - 1]);
            return WARD_EXIT_USAGE;
        default:
            cli_error("fetch", "unknown option '%s'", argv[optind - 1]);
            usage(stderr);
            return WARD_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return WARD_EXIT_USAGE;
    }
    const char *vendor = argv[optind];
    bool snp = strcmp(vendor, "snp") == 0;
    bool tdx = strcmp(vendor, "tdx") == 0;
    bool nvgpu = strcmp(vendor, "nvgpu") == 0;
    if (!snp && !tdx && !nvgpu) {
        cli_error("fetch", "unknown vendor '%s' (supported: snp, tdx, nvgpu)", vendor);
        return WARD_EXIT_USAGE;
    }
    if ((!tdx && tdx_only) || (!snp && snp_only) || (!nvgpu && nvgpu_only)) {
        cli_error("fetch", "%s",
                  tdx_only && !tdx   ? "--pcs-url and --root-crl-url are for 'tdx'"
                  : snp_only && !snp ? "--kds-url and --product are for 'snp'"
                                     : "--certs, --ocsp-url and --allow-sim are for 'nvgpu'");
        return WARD_EXIT_USAGE;
    }
    if (nvgpu) {
        if (argc - optind != 1) {
            cli_error("fetch", "'nvgpu' takes no file argument: give the chain with --certs");
            usage(stderr);
            return WARD_EXIT_USAGE;
        }
        if (a.num_certs == 0) {
            cli_error("fetch", "'nvgpu' needs the device certificate chain (--certs FILE)");
            usage(stderr);
            return WARD_EXIT_USAGE;
        }
        return fetch_nvgpu(&a); /* WARD_KDS_NO_RETRIES is WARD_HTTP_NO_RETRIES */
    }
    if (argc - optind != 2) {
        cli_error("fetch", "expected one %s file after '%s'", snp ? "EVIDENCE" : "QUOTE", vendor);
        usage(stderr);
        return WARD_EXIT_USAGE;
    }
    a.evidence = argv[optind + 1];
    if (tdx && a.max_retries == WARD_KDS_NO_RETRIES) {
        a.max_retries = WARD_PCS_NO_RETRIES;
    }
    return snp ? fetch_snp(&a) : fetch_tdx(&a);
}
