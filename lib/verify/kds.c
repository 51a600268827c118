/*
 * lib/verify/kds.c: SEV-SNP collateral from the AMD Key Distribution Service and
 * the on-disk cache that lets verification work offline (see ward/collateral.h
 * for the URLs and the cache layout).
 *
 * Everything downloaded is untrusted: its size is capped while it arrives, it is
 * parsed and checked against the report before it is cached, and it is never used
 * to build a path. Verifying the chain is not done here: `ward verify` does that
 * against pinned roots; the checks here keep garbage and wrong objects out of the
 * cache.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/x509.h>

#include "base/internal.h"
#include "ward/collateral.h"
#include "ward/crypto.h"
#include "ward/http.h"

#define KDS_URL_MAX 2048 /* named maximum of one request URL, with NUL */

#define HWID_LEN_MAX 64u
#define HWID_LEN_TURIN 8u

/* The products tried, in order, when a version-2 report does not say. */
static const enum ward_snp_product discovery_order[] = {WARD_SNP_MILAN, WARD_SNP_GENOA,
                                                        WARD_SNP_TURIN};

/* One fetch's settings, defaults applied. */
struct kds_cfg {
    char base[KDS_URL_MAX];     /* base URL without trailing slashes */
    struct ward_http_opts http; /* every request's limits and retries */
};

_Static_assert(WARD_KDS_NO_RETRIES == WARD_HTTP_NO_RETRIES,
               "ward_kds_opts.max_retries is passed to ward_http_opts unchanged");

static void x509_stack_freep(STACK_OF(X509) **s)
{
    sk_X509_pop_free(*s, X509_free);
}
static void crl_stack_freep(STACK_OF(X509_CRL) **s)
{
    sk_X509_CRL_pop_free(*s, X509_CRL_free);
}
static void crl_freep(X509_CRL **c)
{
    X509_CRL_free(*c);
}
static void collateral_cleanupp(struct ward_snp_collateral *c)
{
    ward_snp_collateral_cleanup(c);
}

void ward_snp_collateral_cleanup(struct ward_snp_collateral *c)
{
    if (c == NULL) {
        return;
    }
    ward_buf_cleanup(&c->vcek);
    ward_buf_cleanup(&c->chain);
    ward_buf_cleanup(&c->crl);
    c->product = WARD_SNP_PRODUCT_UNKNOWN;
}

/* ---- the cache root and paths ---- */

int ward_cache_dir(const char *override, char *out, size_t out_len)
{
    WARD_ASSERT(out != NULL && out_len > 0);
    int n;
    if (override != NULL) {
        ENSURE_MSG(override[0] != '\0', WARD_ERR_USAGE, "cache directory is empty");
        n = snprintf(out, out_len, "%s", override);
    } else {
        const char *xdg = getenv("XDG_CACHE_HOME");
        const char *home = getenv("HOME");
        if (xdg != NULL && xdg[0] == '/') {
            n = snprintf(out, out_len, "%s/ward", xdg);
        } else if (home != NULL && home[0] == '/') {
            n = snprintf(out, out_len, "%s/.cache/ward", home);
        } else {
            return ward_err_set(WARD_ERR_NOT_FOUND,
                                "no cache directory: neither XDG_CACHE_HOME nor HOME is an "
                                "absolute path");
        }
    }
    ENSURE_MSG(n > 0 && (size_t)n < out_len, WARD_ERR_USAGE,
               "cache directory path is longer than %zu bytes", out_len - 1);
    return WARD_OK;
}

/* hwid_len is the length of the chip identifier KDS and the VCEK use on |p|. */
static size_t hwid_len(enum ward_snp_product p)
{
    return p == WARD_SNP_TURIN ? HWID_LEN_TURIN : HWID_LEN_MAX;
}

static bool product_known(enum ward_snp_product p)
{
    return p == WARD_SNP_MILAN || p == WARD_SNP_GENOA || p == WARD_SNP_TURIN;
}

WARD_PRINTF(3, 4)
static int path_fmt(char *out, size_t out_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, out_len, fmt, ap);
    va_end(ap);
    ENSURE_MSG(n > 0 && (size_t)n < out_len, WARD_ERR_USAGE, "cache path is longer than %zu bytes",
               out_len - 1);
    return WARD_OK;
}

int ward_snp_cache_paths(const char *cache_dir, enum ward_snp_product product,
                         const struct ward_snp_report *r, struct ward_snp_cache_paths *out)
{
    WARD_ASSERT(cache_dir != NULL && r != NULL && out != NULL);
    ENSURE_MSG(product_known(product), WARD_ERR_USAGE,
               "the cache needs a known product (Milan, Genoa or Turin)");
    struct ward_snp_cache_paths p;
    memset(&p, 0, sizeof(p));
    /* Product names come from the enum, the rest from hex we generate. */
    GUARD(path_fmt(p.dir, sizeof(p.dir), "%s/snp/%s", cache_dir, ward_snp_product_name(product)));
    bool vlek = ward_snp_signing_key(r) == WARD_SNP_KEY_VLEK;
    if (!vlek) {
        char hwid[2 * HWID_LEN_MAX + 1];
        ward_hex_encode(r->chip_id, hwid_len(product), hwid);
        GUARD(path_fmt(p.vcek, sizeof(p.vcek), "%s/vcek/%s-%016llx.der", p.dir, hwid,
                       (unsigned long long)r->reported_tcb));
    }
    const char *kind = vlek ? "vlek" : "vcek";
    GUARD(path_fmt(p.chain, sizeof(p.chain), "%s/%s_cert_chain.pem", p.dir, kind));
    GUARD(path_fmt(p.crl, sizeof(p.crl), "%s/%s.crl", p.dir, kind));
    *out = p;
    return WARD_OK;
}

/* cache_store writes one validated object: its directory first, then the file. */
static int cache_store(const char *path, const struct ward_buf *b)
{
    char dir[WARD_CACHE_PATH_MAX];
    GUARD(path_fmt(dir, sizeof(dir), "%s", path));
    char *slash = strrchr(dir, '/');
    WARD_ASSERT(slash != NULL && slash != dir);
    *slash = '\0';
    GUARD(ward_mkdir_p(dir, 0755));
    GUARD(ward_write_file_atomic(path, b->data, b->len, 0644));
    ward_log(WARD_LOG_DEBUG, "kds: cached %zu bytes in %s", b->len, path);
    return WARD_OK;
}

/* ---- checks on what the service sent ---- */

/* check_vcek: one DER certificate whose AMD extensions name |r|'s chip, its
 * reported TCB and |product|. */
static int check_vcek(const struct ward_buf *der, enum ward_snp_product product,
                      const struct ward_snp_report *r, const char *what)
{
    ENSURE_MSG(der->len > 0 && der->data[0] == 0x30, WARD_ERR_FORMAT,
               "%s: response is not a DER certificate", what);
    DEFER(ward_x509_freep) X509 *cert = NULL;
    if (ward_x509_parse(der->data, der->len, &cert) != WARD_OK) {
        return ward_err_prefix("%s: response is not a certificate", what);
    }
    struct ward_snp_cert_ext ext;
    if (ward_snp_cert_ext_parse(cert, &ext) != WARD_OK) {
        return ward_err_prefix("%s: extensions", what);
    }
    size_t n = hwid_len(product);
    ENSURE_MSG(ext.hwid_len == n && memcmp(ext.hwid, r->chip_id, n) == 0, WARD_ERR_MISMATCH,
               "%s: hwID is not the report's CHIP_ID", what);
    struct ward_snp_tcb want;
    ward_snp_tcb_decode(r->reported_tcb, product, &want);
    ENSURE_MSG(ext.has_tcb, WARD_ERR_MISMATCH, "%s: has no TCB extensions", what);
    const struct ward_snp_tcb *got = &ext.tcb;
    ENSURE_MSG(got->bootloader == want.bootloader && got->tee == want.tee && got->snp == want.snp &&
                   got->microcode == want.microcode &&
                   (product != WARD_SNP_TURIN || got->fmc == want.fmc),
               WARD_ERR_MISMATCH,
               "%s: TCB (bl %u tee %u snp %u ucode %u fmc %u) is not the report's "
               "REPORTED_TCB (bl %u tee %u snp %u ucode %u fmc %u)",
               what, got->bootloader, got->tee, got->snp, got->microcode, got->fmc, want.bootloader,
               want.tee, want.snp, want.microcode, want.fmc);
    ENSURE_MSG(ext.product_name[0] == '\0' || ward_snp_product_parse(ext.product_name) == product,
               WARD_ERR_MISMATCH, "%s: is for another product than %s", what,
               ward_snp_product_name(product));
    return WARD_OK;
}

/* check_chain: exactly two PEM certificates, SEV-<P> (or SEV-VLEK-<P>) then ARK-<P>.
 * Signatures are checked by `ward verify` against the pinned ARK. */
static int check_chain(const struct ward_buf *pem, enum ward_snp_product product, bool vlek,
                       const char *what)
{
    DEFER(x509_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
    GUARD_PTR(certs);
    if (pem->len == 0 || ward_x509_parse_all(pem->data, pem->len, certs) != WARD_OK) {
        return ward_err_set(WARD_ERR_FORMAT, "%s: response is not a PEM certificate chain", what);
    }
    ENSURE_MSG(sk_X509_num(certs) == 2, WARD_ERR_FORMAT,
               "%s: expected 2 certificates (%s, ARK), got %d", what, vlek ? "ASVK" : "ASK",
               sk_X509_num(certs));
    const char *name = ward_snp_product_name(product);
    char want[2][64];
    snprintf(want[0], sizeof(want[0]), "%s-%s", vlek ? "SEV-VLEK" : "SEV", name);
    snprintf(want[1], sizeof(want[1]), "ARK-%s", name);
    for (int i = 0; i < 2; i++) {
        char cn[128];
        if (ward_x509_subject_cn(sk_X509_value(certs, i), cn, sizeof(cn)) != WARD_OK) {
            return ward_err_prefix("%s: certificate %d", what, i + 1);
        }
        ENSURE_MSG(strcmp(cn, want[i]) == 0, WARD_ERR_MISMATCH, "%s: certificate %d is not %s",
                   what, i + 1, want[i]);
    }
    return WARD_OK;
}

/* check_crl: one DER CRL issued by ARK-<P>. Its signature is checked by `ward verify`. */
static int check_crl(const struct ward_buf *der, enum ward_snp_product product, const char *what)
{
    ENSURE_MSG(der->len > 0 && der->data[0] == 0x30, WARD_ERR_FORMAT,
               "%s: response is not a DER CRL", what);
    DEFER(crl_freep) X509_CRL *crl = NULL;
    if (ward_crl_parse(der->data, der->len, &crl) != WARD_OK) {
        return ward_err_prefix("%s: response is not a CRL", what);
    }
    char cn[128];
    char want[64];
    snprintf(want, sizeof(want), "ARK-%s", ward_snp_product_name(product));
    int n = X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl), NID_commonName, cn, sizeof(cn));
    ENSURE_MSG(n > 0 && strcmp(cn, want) == 0, WARD_ERR_MISMATCH, "%s: CRL issuer is not %s", what,
               want);
    return WARD_OK;
}

/* ---- requests (lib/net/http.c does the HTTP) ---- */

static int cfg_init(const struct ward_kds_opts *opts, struct kds_cfg *out)
{
    const char *base =
        opts != NULL && opts->base_url != NULL ? opts->base_url : WARD_KDS_DEFAULT_URL;
    GUARD(ward_http_url_check(base, "KDS URL"));
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/') {
        len--;
    }
    /* Leave room for the longest path and query we append. */
    ENSURE_MSG(len < sizeof(out->base) - 512, WARD_ERR_USAGE, "KDS URL is too long");
    memcpy(out->base, base, len);
    out->base[len] = '\0';
    /* ward_kds_opts' zeros mean the same defaults as ward_http_opts' (5, 1000 ms, 30 s). */
    out->http = (struct ward_http_opts){.max_body = WARD_COLLATERAL_MAX_LEN, .log_name = "kds"};
    if (opts != NULL) {
        out->http.max_retries = opts->max_retries;
        out->http.backoff_ms = opts->backoff_ms;
        out->http.timeout_s = opts->timeout_s;
    }
    return WARD_OK;
}

/* kds_get fetches |url| into |out| (see ward_http_get for retries and errors). */
static int kds_get(const struct kds_cfg *cfg, const char *url, struct ward_buf *out)
{
    struct ward_http_response r = {{0}};
    GUARD(ward_http_get(url, &cfg->http, &r));
    *out = r.body;
    return WARD_OK;
}

/* vcek_url builds the VCEK URL for |r|'s chip and REPORTED_TCB on |product|. */
static int vcek_url(const struct kds_cfg *cfg, enum ward_snp_product product,
                    const struct ward_snp_report *r, char *out, size_t out_len)
{
    char hwid[2 * HWID_LEN_MAX + 1];
    ward_hex_encode(r->chip_id, hwid_len(product), hwid);
    struct ward_snp_tcb t;
    ward_snp_tcb_decode(r->reported_tcb, product, &t);
    const char *name = ward_snp_product_name(product);
    int n;
    if (product == WARD_SNP_TURIN) {
        n = snprintf(
            out, out_len,
            "%s/vcek/v1/%s/%s?fmcSPL=%02u&blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u",
            cfg->base, name, hwid, t.fmc, t.bootloader, t.tee, t.snp, t.microcode);
    } else {
        n = snprintf(out, out_len,
                     "%s/vcek/v1/%s/%s?blSPL=%02u&teeSPL=%02u&snpSPL=%02u&ucodeSPL=%02u", cfg->base,
                     name, hwid, t.bootloader, t.tee, t.snp, t.microcode);
    }
    ENSURE_MSG(n > 0 && (size_t)n < out_len, WARD_ERR_USAGE, "KDS URL is too long");
    return WARD_OK;
}

static int fetch_vcek(const struct kds_cfg *cfg, enum ward_snp_product product,
                      const struct ward_snp_report *r, struct ward_buf *out)
{
    char url[KDS_URL_MAX];
    GUARD(vcek_url(cfg, product, r, url, sizeof(url)));
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(kds_get(cfg, url, &b));
    char what[64];
    snprintf(what, sizeof(what), "KDS %s VCEK", ward_snp_product_name(product));
    GUARD(check_vcek(&b, product, r, what));
    *out = b;
    b = (struct ward_buf){0};
    return WARD_OK;
}

/* fetch_object fetches {base}/{kind}/v1/{P}/{leaf} ("cert_chain" or "crl") and checks it. */
static int fetch_object(const struct kds_cfg *cfg, enum ward_snp_product product, bool vlek,
                        bool is_crl, struct ward_buf *out)
{
    char url[KDS_URL_MAX];
    int n = snprintf(url, sizeof(url), "%s/%s/v1/%s/%s", cfg->base, vlek ? "vlek" : "vcek",
                     ward_snp_product_name(product), is_crl ? "crl" : "cert_chain");
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(url), WARD_ERR_USAGE, "KDS URL is too long");
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(kds_get(cfg, url, &b));
    char what[64];
    snprintf(what, sizeof(what), "KDS %s %s %s", ward_snp_product_name(product),
             vlek ? "VLEK" : "VCEK", is_crl ? "CRL" : "chain");
    GUARD(is_crl ? check_crl(&b, product, what) : check_chain(&b, product, vlek, what));
    *out = b;
    b = (struct ward_buf){0};
    return WARD_OK;
}

int ward_kds_fetch_snp(const struct ward_snp_report *r, enum ward_snp_product product,
                       const struct ward_kds_opts *opts, struct ward_snp_collateral *out)
{
    WARD_ASSERT(r != NULL && out != NULL);
    struct kds_cfg cfg;
    GUARD(cfg_init(opts, &cfg));
    char cache[WARD_CACHE_PATH_MAX] = "";
    const char *cache_opt = opts != NULL ? opts->cache_dir : NULL;
    bool caching = cache_opt == NULL || cache_opt[0] != '\0';
    if (caching) {
        GUARD(ward_cache_dir(cache_opt, cache, sizeof(cache)));
    }

    enum ward_snp_signing_key key = ward_snp_signing_key(r);
    ENSURE_MSG(key == WARD_SNP_KEY_VCEK || key == WARD_SNP_KEY_VLEK, WARD_ERR_FORMAT,
               "report SIGNING_KEY is %u: it is signed by neither a VCEK nor a VLEK",
               (unsigned)key);
    bool vlek = key == WARD_SNP_KEY_VLEK;
    if (product == WARD_SNP_PRODUCT_UNKNOWN) {
        product = ward_snp_product_from_cpuid(r);
    }
    ENSURE_MSG(product == WARD_SNP_PRODUCT_UNKNOWN || product_known(product), WARD_ERR_USAGE,
               "unknown SEV-SNP product %d", (int)product);

    DEFER(collateral_cleanupp) struct ward_snp_collateral c;
    memset(&c, 0, sizeof(c));
    if (!vlek) {
        ENSURE_MSG(!ward_is_zero(r->chip_id, sizeof(r->chip_id)), WARD_ERR_NOT_FOUND,
                   "report CHIP_ID is masked (MASK_CHIP_KEY): KDS cannot serve its VCEK");
        if (product != WARD_SNP_PRODUCT_UNKNOWN) {
            GUARD(fetch_vcek(&cfg, product, r, &c.vcek));
        } else {
            /* A version-2 report does not name its product: ask for each in turn. */
            for (size_t i = 0; i < WARD_ARRAY_LEN(discovery_order); i++) {
                int rc = fetch_vcek(&cfg, discovery_order[i], r, &c.vcek);
                if (rc == WARD_OK) {
                    product = discovery_order[i];
                    break;
                }
                if (rc != WARD_ERR_NOT_FOUND) {
                    return rc;
                }
            }
            char chip[17];
            ward_hex_encode(r->chip_id, 8, chip);
            ENSURE_MSG(product != WARD_SNP_PRODUCT_UNKNOWN, WARD_ERR_NOT_FOUND,
                       "%s has no VCEK for chip %s... at this TCB as Milan, Genoa or Turin",
                       cfg.base, chip);
        }
    } else {
        ENSURE_MSG(product != WARD_SNP_PRODUCT_UNKNOWN, WARD_ERR_USAGE,
                   "the report is VLEK-signed and names no product (version %u): "
                   "give the product explicitly",
                   r->version);
    }
    c.product = product;

    struct ward_snp_cache_paths paths;
    if (caching) {
        GUARD(ward_snp_cache_paths(cache, product, r, &paths));
        if (!vlek) {
            GUARD(cache_store(paths.vcek, &c.vcek));
        }
    }
    GUARD(fetch_object(&cfg, product, vlek, false, &c.chain));
    if (caching) {
        GUARD(cache_store(paths.chain, &c.chain));
    }
    GUARD(fetch_object(&cfg, product, vlek, true, &c.crl));
    if (caching) {
        GUARD(cache_store(paths.crl, &c.crl));
    }

    ward_snp_collateral_cleanup(out);
    *out = c;
    memset(&c, 0, sizeof(c));
    return WARD_OK;
}

/* ---- reading the cache ---- */

/* cache_read reads |path| into |out|; *found is false (and WARD_OK) when it does not exist. */
static int cache_read(const char *path, struct ward_buf *out, bool *found)
{
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        *found = false;
        return WARD_OK;
    }
    *found = true;
    return ward_read_file(path, WARD_COLLATERAL_MAX_LEN, out);
}

static int load_for_product(const char *cache_dir, enum ward_snp_product product,
                            const struct ward_snp_report *r, STACK_OF(X509) *certs,
                            STACK_OF(X509_CRL) *crls)
{
    struct ward_snp_cache_paths paths;
    GUARD(ward_snp_cache_paths(cache_dir, product, r, &paths));
    bool found = false;
    if (certs != NULL && paths.vcek[0] != '\0') {
        DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
        GUARD(cache_read(paths.vcek, &b, &found));
        if (found) {
            X509 *cert = NULL;
            if (ward_x509_parse(b.data, b.len, &cert) != WARD_OK) {
                return ward_err_prefix("cached VCEK %s", paths.vcek);
            }
            if (!sk_X509_push(certs, cert)) {
                X509_free(cert);
                return ward_err_set(WARD_ERR_NOMEM, "out of memory");
            }
        }
    }
    if (certs != NULL) {
        DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
        GUARD(cache_read(paths.chain, &b, &found));
        if (found && ward_x509_parse_all(b.data, b.len, certs) != WARD_OK) {
            return ward_err_prefix("cached chain %s", paths.chain);
        }
    }
    if (crls != NULL) {
        DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
        GUARD(cache_read(paths.crl, &b, &found));
        if (found) {
            X509_CRL *crl = NULL;
            if (ward_crl_parse(b.data, b.len, &crl) != WARD_OK) {
                return ward_err_prefix("cached CRL %s", paths.crl);
            }
            if (!sk_X509_CRL_push(crls, crl)) {
                X509_CRL_free(crl);
                return ward_err_set(WARD_ERR_NOMEM, "out of memory");
            }
        }
    }
    return WARD_OK;
}

/* vcek_cached reports whether the cache holds |r|'s VCEK for |product|. */
static bool vcek_cached(const char *cache_dir, enum ward_snp_product product,
                        const struct ward_snp_report *r)
{
    struct ward_snp_cache_paths paths;
    struct stat st;
    return ward_snp_cache_paths(cache_dir, product, r, &paths) == WARD_OK &&
           paths.vcek[0] != '\0' && stat(paths.vcek, &st) == 0;
}

/* move_certs and move_crls move every element of |from| onto the end of |to|;
 * on failure |to| is as it was. */
static int move_certs(STACK_OF(X509) *from, STACK_OF(X509) *to)
{
    int base = sk_X509_num(to);
    while (sk_X509_num(from) > 0) {
        X509 *x = sk_X509_shift(from);
        if (!sk_X509_push(to, x)) {
            X509_free(x);
            while (sk_X509_num(to) > base) {
                X509_free(sk_X509_pop(to));
            }
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    return WARD_OK;
}

static int move_crls(STACK_OF(X509_CRL) *from, STACK_OF(X509_CRL) *to)
{
    int base = sk_X509_CRL_num(to);
    while (sk_X509_CRL_num(from) > 0) {
        X509_CRL *x = sk_X509_CRL_shift(from);
        if (!sk_X509_CRL_push(to, x)) {
            X509_CRL_free(x);
            while (sk_X509_CRL_num(to) > base) {
                X509_CRL_free(sk_X509_CRL_pop(to));
            }
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    return WARD_OK;
}

int ward_snp_cache_load(const char *cache_dir, enum ward_snp_product product,
                        const struct ward_snp_report *r, STACK_OF(X509) *certs,
                        STACK_OF(X509_CRL) *crls)
{
    WARD_ASSERT(r != NULL);
    if (cache_dir != NULL && cache_dir[0] == '\0') {
        return WARD_OK;
    }
    char root[WARD_CACHE_PATH_MAX];
    if (ward_cache_dir(cache_dir, root, sizeof(root)) != WARD_OK) {
        /* No HOME and no XDG_CACHE_HOME: there is no cache to read. */
        ward_log(WARD_LOG_DEBUG, "kds: no cache: %s", ward_err_detail());
        ward_err_clear();
        return WARD_OK;
    }
    if (product == WARD_SNP_PRODUCT_UNKNOWN) {
        product = ward_snp_product_from_cpuid(r);
    }
    if (product == WARD_SNP_PRODUCT_UNKNOWN) {
        for (size_t i = 0; i < WARD_ARRAY_LEN(discovery_order); i++) {
            if (vcek_cached(root, discovery_order[i], r)) {
                product = discovery_order[i];
                break;
            }
        }
        if (product == WARD_SNP_PRODUCT_UNKNOWN) {
            ward_log(WARD_LOG_DEBUG, "kds: cache holds no VCEK for this version-%u report",
                     r->version);
            return WARD_OK;
        }
    }
    ENSURE_MSG(product_known(product), WARD_ERR_USAGE, "unknown SEV-SNP product %d", (int)product);

    /* Load into our own stacks; the caller's change only when everything loaded. */
    DEFER(x509_stack_freep) STACK_OF(X509) *new_certs = sk_X509_new_null();
    DEFER(crl_stack_freep) STACK_OF(X509_CRL) *new_crls = sk_X509_CRL_new_null();
    GUARD_PTR(new_certs);
    GUARD_PTR(new_crls);
    GUARD(load_for_product(root, product, r, certs != NULL ? new_certs : NULL,
                           crls != NULL ? new_crls : NULL));
    int num_before = certs != NULL ? sk_X509_num(certs) : 0;
    if (certs != NULL) {
        GUARD(move_certs(new_certs, certs));
    }
    if (crls != NULL) {
        int rc = move_crls(new_crls, crls);
        if (rc != WARD_OK) {
            /* Keep "nothing added on failure": take back the certificates. */
            while (certs != NULL && sk_X509_num(certs) > num_before) {
                X509_free(sk_X509_pop(certs));
            }
            return rc;
        }
    }
    ward_log(WARD_LOG_DEBUG, "kds: loaded collateral for %s from %s",
             ward_snp_product_name(product), root);
    return WARD_OK;
}
