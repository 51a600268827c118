/*
 * bench/ward-bench.c: one benchmark per area. Each prints one JSON line with
 * ops_per_s, limit_ops_per_s (the raw-crypto figure measured in the same run, so
 * results stay comparable on a noisy machine) and ratio.
 *
 *   ward-bench snp [--seconds N] [--data DIR] [--no-chain-cache]
 *       full appraisal of a real Genoa report with a cached chain, against raw
 *       OpenSSL P-384 ECDSA verification of the same bytes with the same key.
 *   ward-bench nvgpu [--seconds N] [--data DIR] [--no-cache]
 *       full appraisal of a real H100 report with its chain parsed and cached,
 *       against raw OpenSSL P-384 verification of the same signature.
 *   ward-bench tdx [--seconds N] [--data DIR] [--no-cache]
 *       full appraisal of a real TDX quote with cached collateral and chains,
 *       against half of OpenSSL's raw P-256 verify rate (a quote needs two
 *       verifies: the QE report and the quote).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ecdsa.h>

#include "ward/crypto.h"
#include "ward/nvgpu.h"
#include "ward/snp.h"
#include "ward/tdx.h"
#include "ward/verify.h"

#ifndef WARD_SOURCE_DIR
#define WARD_SOURCE_DIR "."
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "ward-bench: %s: %s\n", what, ward_err_detail());
    exit(2);
}

static void load(const char *dir, const char *name, struct ward_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/snp/trustee-azure-genoa-v3/%s", dir, name);
    if (ward_read_file(path, 1 << 20, out) != WARD_OK) {
        die(path);
    }
}

/* Runs |fn| repeatedly for |seconds| and returns operations per second. */
static double rate(double seconds, bool (*fn)(void *), void *arg)
{
    long n = 0;
    double start = now(), t;
    do {
        for (int i = 0; i < 16; i++) {
            if (!fn(arg)) {
                fprintf(stderr, "ward-bench: operation failed\n");
                exit(1);
            }
        }
        n += 16;
        t = now() - start;
    } while (t < seconds);
    return (double)n / t;
}

struct snp_bench {
    struct ward_buf report;
    STACK_OF(X509) *certs;
    struct ward_verify_opts opts;
    EVP_PKEY *vcek_key;
    ECDSA_SIG *sig;
    uint8_t *der_sig;
    int der_sig_len;
};

static bool snp_appraise(void *arg)
{
    struct snp_bench *b = arg;
    struct ward_appraisal a;
    if (ward_verify_snp(b->report.data, b->report.len, &b->opts, &a) != WARD_OK) {
        return false;
    }
    bool ok = ward_appraisal_verdict(&a);
    ward_appraisal_cleanup(&a);
    return ok;
}

/* The floor: OpenSSL verifying the same signature over the same bytes, with the
 * DER signature prepared outside the loop. */
static bool snp_raw(void *arg)
{
    struct snp_bench *b = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, b->vcek_key) == 1 &&
              EVP_DigestVerify(md, b->der_sig, (size_t)b->der_sig_len, b->report.data,
                               WARD_SNP_SIGNED_LEN) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int bench_snp(double seconds, const char *dir, bool chain_cache)
{
    struct snp_bench b = {0};
    static const char *const names[] = {"vcek.der", "ask.der", "ark.der"};
    struct ward_snp_report r;
    load(dir, "report.bin", &b.report);
    b.certs = sk_X509_new_null();
    for (int i = 0; i < 3; i++) {
        struct ward_buf c = {0};
        load(dir, names[i], &c);
        if (ward_x509_parse_all(c.data, c.len, b.certs) != WARD_OK) {
            die(names[i]);
        }
        ward_buf_cleanup(&c);
    }
    b.vcek_key = X509_get_pubkey(sk_X509_value(b.certs, 0));
    if (ward_snp_report_parse(b.report.data, b.report.len, &r) != WARD_OK) {
        die("report");
    }
    /* DER signature from the report's little-endian r and s. */
    uint8_t rbe[48], sbe[48];
    for (int i = 0; i < 48; i++) {
        rbe[i] = r.sig_r[47 - i];
        sbe[i] = r.sig_s[47 - i];
    }
    b.sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(b.sig, BN_bin2bn(rbe, 48, NULL), BN_bin2bn(sbe, 48, NULL));
    b.der_sig_len = i2d_ECDSA_SIG(b.sig, &b.der_sig);

    b.opts.certs = b.certs;
    b.opts.cache_dir = "";
    if (ward_time_parse("2025-01-25T02:21:48Z", &b.opts.at) != WARD_OK ||
        (chain_cache && ward_chain_cache_new(64, &b.opts.chain_cache) != WARD_OK)) {
        die("setup");
    }
    /* Warm up both paths (and fill the chain cache) before measuring. */
    if (!snp_appraise(&b) || !snp_raw(&b)) {
        fprintf(stderr, "ward-bench: the sample does not verify\n");
        return 1;
    }
    /* Alternate short rounds so both see the same machine conditions. */
    double round = seconds / 8, ops = 0, lim = 0;
    for (int i = 0; i < 4; i++) {
        ops += rate(round, snp_appraise, &b) / 4;
        lim += rate(round, snp_raw, &b) / 4;
    }
    printf("{\"bench\":\"snp\",\"ops_per_s\":%.1f,\"limit_ops_per_s\":%.1f,\"ratio\":%.3f,"
           "\"what\":\"full SEV-SNP appraisal (%s) vs raw P-384 ECDSA verify\"}\n",
           ops, lim, ops / lim, chain_cache ? "cached chain" : "chain verified every time");
    ward_chain_cache_free(b.opts.chain_cache);
    OPENSSL_free(b.der_sig);
    ECDSA_SIG_free(b.sig);
    EVP_PKEY_free(b.vcek_key);
    sk_X509_pop_free(b.certs, X509_free);
    ward_buf_cleanup(&b.report);
    return 0;
}

struct tdx_bench {
    struct ward_buf quote;
    struct ward_buf bundle;
    struct ward_blob blob;
    struct ward_verify_opts opts;
    EVP_PKEY *att_key;
    uint8_t *der_sig;
    int der_sig_len;
    struct ward_tdx_quote q;
};

static bool tdx_appraise(void *arg)
{
    struct tdx_bench *b = arg;
    struct ward_appraisal a;
    if (ward_verify_tdx(b->quote.data, b->quote.len, &b->opts, &a) != WARD_OK) {
        return false;
    }
    bool ok = ward_appraisal_verdict(&a);
    ward_appraisal_cleanup(&a);
    return ok;
}

static bool tdx_raw(void *arg)
{
    struct tdx_bench *b = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, b->att_key) == 1 &&
              EVP_DigestVerify(md, b->der_sig, (size_t)b->der_sig_len, b->q.signed_data,
                               b->q.signed_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int bench_tdx(double seconds, const char *dir, bool cache)
{
    struct tdx_bench b = {0};
    char path[1024];
    snprintf(path, sizeof(path), "%s/tdx/quotes/dev-tdx-v4-dcapqvl-sample.bin", dir);
    if (ward_read_file(path, 1 << 20, &b.quote) != WARD_OK) {
        die(path);
    }
    snprintf(path, sizeof(path),
             "%s/tdx/collateral/dcapqvl_b0c06f000000_2025-06-19/tdx_quote_collateral.json", dir);
    if (ward_read_file(path, 1 << 22, &b.bundle) != WARD_OK) {
        die(path);
    }
    if (ward_tdx_quote_parse(b.quote.data, b.quote.len, &b.q) != WARD_OK ||
        ward_ec_pubkey_from_raw(NID_X9_62_prime256v1, b.q.att_key, 64, &b.att_key) != WARD_OK) {
        die("quote");
    }
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(b.q.signature, 32, NULL),
                   BN_bin2bn(b.q.signature + 32, 32, NULL));
    b.der_sig_len = i2d_ECDSA_SIG(sig, &b.der_sig);
    ECDSA_SIG_free(sig);
    b.blob = (struct ward_blob){"collateral", b.bundle.data, b.bundle.len};
    b.opts.collateral_file = &b.blob;
    b.opts.cache_dir = "";
    if (ward_time_parse("2025-07-01T00:00:00Z", &b.opts.at) != WARD_OK ||
        (cache && ward_dcap_cache_new(64, &b.opts.dcap_cache) != WARD_OK)) {
        die("setup");
    }
    if (!tdx_appraise(&b) || !tdx_raw(&b)) {
        fprintf(stderr, "ward-bench: the TDX sample does not verify\n");
        return 1;
    }
    double round = seconds / 8, ops = 0, lim = 0;
    for (int i = 0; i < 4; i++) {
        ops += rate(round, tdx_appraise, &b) / 4;
        lim += rate(round, tdx_raw, &b) / 4 / 2; /* two P-256 verifies per quote */
    }
    printf("{\"bench\":\"tdx\",\"ops_per_s\":%.1f,\"limit_ops_per_s\":%.1f,\"ratio\":%.3f,"
           "\"what\":\"full TDX quote appraisal (%s) vs half the raw P-256 verify rate\"}\n",
           ops, lim, ops / lim, cache ? "cached collateral and chains" : "nothing cached");
    ward_dcap_cache_free(b.opts.dcap_cache);
    OPENSSL_free(b.der_sig);
    EVP_PKEY_free(b.att_key);
    ward_buf_cleanup(&b.quote);
    ward_buf_cleanup(&b.bundle);
    return 0;
}

struct nvgpu_bench {
    struct ward_buf report;
    STACK_OF(X509) *certs;
    struct ward_verify_opts opts;
    EVP_PKEY *leaf_key;
    uint8_t *der_sig;
    int der_sig_len;
    const uint8_t *signed_data;
    size_t signed_len;
};

static bool nvgpu_appraise(void *arg)
{
    struct nvgpu_bench *b = arg;
    struct ward_appraisal a;
    if (ward_verify_nvgpu(b->report.data, b->report.len, &b->opts, &a) != WARD_OK) {
        return false;
    }
    bool ok = ward_appraisal_verdict(&a);
    ward_appraisal_cleanup(&a);
    return ok;
}

static bool nvgpu_raw(void *arg)
{
    struct nvgpu_bench *b = arg;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = md != NULL && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, b->leaf_key) == 1 &&
              EVP_DigestVerify(md, b->der_sig, (size_t)b->der_sig_len, b->signed_data,
                               b->signed_len) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

static int bench_nvgpu(double seconds, const char *dir, bool cache)
{
    struct nvgpu_bench b = {0};
    char path[1024];
    struct ward_buf chain = {0}, nonce = {0};
    snprintf(path, sizeof(path), "%s/nvgpu/nvtrust-h100-sample/evidence.bin", dir);
    if (ward_read_file(path, 1 << 20, &b.report) != WARD_OK) {
        die(path);
    }
    snprintf(path, sizeof(path), "%s/nvgpu/nvtrust-h100-sample/cert_chain.pem", dir);
    b.certs = sk_X509_new_null();
    if (ward_read_file(path, 1 << 20, &chain) != WARD_OK ||
        ward_x509_parse_all(chain.data, chain.len, b.certs) != WARD_OK) {
        die(path);
    }
    ward_buf_cleanup(&chain);
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    if (r == NULL || ward_nvgpu_report_parse(b.report.data, b.report.len, r) != WARD_OK) {
        die("report");
    }
    b.signed_data = r->signed_data;
    b.signed_len = r->signed_len;
    ECDSA_SIG *sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(r->signature, 48, NULL), BN_bin2bn(r->signature + 48, 48, NULL));
    b.der_sig_len = i2d_ECDSA_SIG(sig, &b.der_sig);
    ECDSA_SIG_free(sig);
    memcpy(b.opts.nonce, r->request_nonce, 32);
    b.opts.has_nonce = true;
    free(r);
    b.leaf_key = X509_get_pubkey(sk_X509_value(b.certs, 0));
    b.opts.certs = b.certs;
    if (ward_time_parse("2022-03-02T00:00:00Z", &b.opts.at) != WARD_OK ||
        (cache && ward_chain_cache_new(64, &b.opts.chain_cache) != WARD_OK)) {
        die("setup");
    }
    ward_buf_cleanup(&nonce);
    if (!nvgpu_appraise(&b) || !nvgpu_raw(&b)) {
        fprintf(stderr, "ward-bench: the GPU sample does not verify\n");
        return 1;
    }
    double round = seconds / 8, ops = 0, lim = 0;
    for (int i = 0; i < 4; i++) {
        ops += rate(round, nvgpu_appraise, &b) / 4;
        lim += rate(round, nvgpu_raw, &b) / 4;
    }
    printf("{\"bench\":\"nvgpu\",\"ops_per_s\":%.1f,\"limit_ops_per_s\":%.1f,\"ratio\":%.3f,"
           "\"what\":\"full GPU report appraisal (%s) vs raw P-384 ECDSA verify\"}\n",
           ops, lim, ops / lim, cache ? "cached chain" : "chain verified every time");
    ward_chain_cache_free(b.opts.chain_cache);
    OPENSSL_free(b.der_sig);
    EVP_PKEY_free(b.leaf_key);
    sk_X509_pop_free(b.certs, X509_free);
    ward_buf_cleanup(&b.report);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"seconds", required_argument, NULL, 's'},
        {"data", required_argument, NULL, 'd'},
        {"no-chain-cache", no_argument, NULL, 'n'},
        {"no-cache", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    double seconds = 4;
    const char *dir =
        getenv("WARD_TEST_DATA") ? getenv("WARD_TEST_DATA") : WARD_SOURCE_DIR "/tests/data";
    bool chain_cache = true;
    int opt;
    if (argc < 2 || (strcmp(argv[1], "snp") != 0 && strcmp(argv[1], "tdx") != 0 &&
                     strcmp(argv[1], "nvgpu") != 0)) {
        fprintf(stderr,
                "usage: ward-bench snp|tdx|nvgpu [--seconds N] [--data DIR] [--no-cache]\n");
        return 2;
    }
    optind = 2;
    while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (opt == 's') {
            seconds = atof(optarg);
        } else if (opt == 'd') {
            dir = optarg;
        } else if (opt == 'n') {
            chain_cache = false;
        } else {
            return 2;
        }
    }
    if (seconds <= 0) {
        seconds = 4;
    }
    if (strcmp(argv[1], "nvgpu") == 0) {
        return bench_nvgpu(seconds, dir, chain_cache);
    }
    if (strcmp(argv[1], "tdx") == 0) {
        return bench_tdx(seconds, dir, chain_cache);
    }
    return bench_snp(seconds, dir, chain_cache);
}
