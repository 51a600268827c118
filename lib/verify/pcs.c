/*
 * lib/verify/pcs.c: TDX collateral from the Intel Provisioning Certification
 * Service (or a PCCS), and the on-disk cache of collateral bundles (see ward/pcs.h
 * for the URLs and the cache layout).
 *
 * Everything downloaded is untrusted: its size is capped while it arrives, each
 * object is parsed and checked before anything is cached, and nothing downloaded is
 * used to build a path. The signed documents are cut out of the response bodies
 * byte for byte and their signatures checked with the key of the certificate that
 * came with them, which proves the cut is exact; the verifier checks the chains
 * against the pinned Intel root.
 *
 * HTTP is ward_http_get's (lib/net/http.c), which also captures the response
 * headers that carry PCS's issuer chains.
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
#include "ward/dcap.h"
#include "ward/http.h"
#include "ward/json.h"
#include "ward/pcs.h"
#include "ward/tdx.h"

#define PCS_URL_MAX 2048 /* named maximum of one request URL, with NUL */

#define CN_ROOT "Intel SGX Root CA"
#define CN_TCB_SIGNING "Intel SGX TCB Signing"
#define CN_PCK_PLATFORM "Intel SGX PCK Platform CA"
#define CN_PCK_PROCESSOR "Intel SGX PCK Processor CA"

/* One fetch's settings, defaults applied. */
struct pcs_cfg {
    char base[PCS_URL_MAX];     /* base URL without trailing slashes */
    char root_crl[PCS_URL_MAX]; /* the root CA CRL's URL */
    struct ward_http_opts http; /* every request's limits and retries */
};

_Static_assert(WARD_PCS_NO_RETRIES == WARD_HTTP_NO_RETRIES,
               "ward_pcs_opts.max_retries is passed to ward_http_opts unchanged");

static void x509_stack_freep(STACK_OF(X509) **s)
{
    sk_X509_pop_free(*s, X509_free);
}
static void crl_freep(X509_CRL **c)
{
    X509_CRL_free(*c);
}
static void collateral_cleanupp(struct ward_dcap_collateral *c)
{
    ward_dcap_collateral_cleanup(c);
}
static void tcb_info_cleanupp(struct ward_dcap_tcb_info *t)
{
    ward_dcap_tcb_info_cleanup(t);
}
static void qe_identity_cleanupp(struct ward_dcap_qe_identity *q)
{
    ward_dcap_qe_identity_cleanup(q);
}

/* ca_cn maps a PCS CA name to its certificate's CN, or NULL if unknown. */
static const char *ca_cn(const char *ca)
{
    if (ca != NULL && strcmp(ca, WARD_PCK_CA_PLATFORM) == 0) {
        return CN_PCK_PLATFORM;
    }
    if (ca != NULL && strcmp(ca, WARD_PCK_CA_PROCESSOR) == 0) {
        return CN_PCK_PROCESSOR;
    }
    return NULL;
}

/* ---- the quote's PCK certificate ---- */

int ward_tdx_pck_target(const struct ward_tdx_quote *q, uint8_t out_fmspc[6], const char **out_ca)
{
    WARD_ASSERT(q != NULL && out_fmspc != NULL && out_ca != NULL);
    ENSURE_MSG(q->pck_chain_pem != NULL && q->pck_chain_len > 0, WARD_ERR_FORMAT,
               "tdx quote: no PCK certificate chain in the certification data");
    /* Quoting libraries end the PEM text with a NUL; PEM allows only whitespace. */
    size_t len = q->pck_chain_len;
    while (len > 0 && q->pck_chain_pem[len - 1] == '\0') {
        len--;
    }
    DEFER(x509_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
    GUARD_PTR(certs);
    if (ward_x509_parse_all(q->pck_chain_pem, len, certs) != WARD_OK) {
        return ward_err_prefix("tdx quote: PCK certificate chain");
    }
    ENSURE_MSG(sk_X509_num(certs) >= 1, WARD_ERR_FORMAT, "tdx quote: empty PCK chain");
    X509 *leaf = sk_X509_value(certs, 0);
    char cn[128];
    if (ward_x509_issuer_cn(leaf, cn, sizeof(cn)) != WARD_OK) {
        return ward_err_prefix("tdx quote: PCK certificate issuer");
    }
    const char *ca;
    if (strcmp(cn, CN_PCK_PLATFORM) == 0) {
        ca = WARD_PCK_CA_PLATFORM;
    } else if (strcmp(cn, CN_PCK_PROCESSOR) == 0) {
        ca = WARD_PCK_CA_PROCESSOR;
    } else {
        return ward_err_set(WARD_ERR_FORMAT,
                            "tdx quote: the PCK certificate is issued by neither \"%s\" nor "
                            "\"%s\"",
                            CN_PCK_PLATFORM, CN_PCK_PROCESSOR);
    }
    struct ward_pck_ext ext;
    if (ward_pck_ext_parse(leaf, &ext) != WARD_OK) {
        return ward_err_prefix("tdx quote: PCK certificate SGX extension");
    }
    memcpy(out_fmspc, ext.fmspc, sizeof(ext.fmspc));
    *out_ca = ca;
    return WARD_OK;
}

/* ---- the signed documents inside PCS bodies ---- */

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t skip_ws(const uint8_t *p, size_t len, size_t i)
{
    while (i < len && is_ws(p[i])) {
        i++;
    }
    return i;
}

/* scan_string moves |*i| from an opening quote to just past the closing one. */
static int scan_string(const uint8_t *p, size_t len, size_t *i)
{
    ENSURE_MSG(*i < len && p[*i] == '"', WARD_ERR_JSON, "expected a string at byte %zu", *i);
    for (size_t j = *i + 1; j < len; j++) {
        if (p[j] == '\\') {
            j++; /* the escaped byte (\uXXXX's digits are plain bytes) */
        } else if (p[j] == '"') {
            *i = j + 1;
            return WARD_OK;
        }
    }
    return ward_err_set(WARD_ERR_JSON, "unterminated string");
}

/* scan_value moves |*i| past one JSON value (object and array nesting counted, not
 * recursed). The body has already been accepted by jansson; this only finds spans. */
static int scan_value(const uint8_t *p, size_t len, size_t *i)
{
    size_t j = *i;
    size_t depth = 0;
    do {
        ENSURE_MSG(j < len, WARD_ERR_JSON, "value ends early");
        uint8_t c = p[j];
        if (c == '"') {
            GUARD(scan_string(p, len, &j));
        } else if (c == '{' || c == '[') {
            depth++;
            j++;
        } else if (c == '}' || c == ']') {
            ENSURE_MSG(depth > 0, WARD_ERR_JSON, "unbalanced '%c' at byte %zu", c, j);
            depth--;
            j++;
        } else if (depth == 0) {
            /* A number or literal: up to the next delimiter. */
            while (j < len && !is_ws(p[j]) && p[j] != ',' && p[j] != '}' && p[j] != ']') {
                j++;
            }
        } else {
            j++;
        }
    } while (depth > 0);
    *i = j;
    return WARD_OK;
}

/* find_member finds the value of top-level |key| in the object |p| and returns
 * its exact span. Keys are compared as written (Intel writes plain ASCII keys). */
static int find_member(const uint8_t *p, size_t len, const char *key, size_t *out_off,
                       size_t *out_len)
{
    size_t klen = strlen(key);
    size_t i = skip_ws(p, len, 0);
    ENSURE_MSG(i < len && p[i] == '{', WARD_ERR_JSON, "not a JSON object");
    i = skip_ws(p, len, i + 1);
    bool found = false;
    if (i < len && p[i] == '}') {
        return ward_err_set(WARD_ERR_JSON, "missing member \"%s\"", key);
    }
    for (;;) {
        size_t k = i;
        GUARD(scan_string(p, len, &i));
        bool match = i - k - 2 == klen && memcmp(p + k + 1, key, klen) == 0;
        i = skip_ws(p, len, i);
        ENSURE_MSG(i < len && p[i] == ':', WARD_ERR_JSON, "expected ':' at byte %zu", i);
        i = skip_ws(p, len, i + 1);
        size_t start = i;
        GUARD(scan_value(p, len, &i));
        if (match) {
            ENSURE_MSG(!found, WARD_ERR_JSON, "duplicate member \"%s\"", key);
            found = true;
            *out_off = start;
            *out_len = i - start;
        }
        i = skip_ws(p, len, i);
        ENSURE_MSG(i < len && (p[i] == ',' || p[i] == '}'), WARD_ERR_JSON,
                   "expected ',' or '}' at byte %zu", i);
        if (p[i] == '}') {
            break;
        }
        i = skip_ws(p, len, i + 1);
    }
    ENSURE_MSG(found, WARD_ERR_JSON, "missing member \"%s\"", key);
    return WARD_OK;
}

int ward_pcs_signed_member(const uint8_t *body, size_t len, const char *member,
                           const uint8_t **out_raw, size_t *out_raw_len, uint8_t out_sig[64])
{
    WARD_ASSERT((body != NULL || len == 0) && member != NULL && out_raw != NULL &&
                out_raw_len != NULL && out_sig != NULL);
    ENSURE_MSG(len <= WARD_DCAP_BUNDLE_MAX, WARD_ERR_NOMEM, "%zu bytes, more than the %u allowed",
               len, WARD_DCAP_BUNDLE_MAX);
    DEFER(json_decrefp) json_t *doc = NULL;
    GUARD(ward_json_parse(body, len, &doc));
    ENSURE_MSG(json_is_object(doc), WARD_ERR_JSON, "not a JSON object");
    ENSURE_MSG(json_is_object(json_object_get(doc, member)), WARD_ERR_JSON,
               "\"%s\" is missing or not an object", member);
    const char *sig_hex;
    GUARD(ward_json_get_string(doc, "signature", &sig_hex));
    uint8_t sig[64];
    if (ward_hex_decode_exact(sig_hex, sig, sizeof(sig)) != WARD_OK) {
        return ward_err_prefix("\"signature\" must be 128 hex digits");
    }
    size_t off = 0;
    size_t n = 0;
    GUARD(find_member(body, len, member, &off, &n));
    *out_raw = body + off;
    *out_raw_len = n;
    memcpy(out_sig, sig, sizeof(sig));
    return WARD_OK;
}

/* ---- checks on what the service sent ---- */

/* check_chain: PEM, at least two certificates, the first |first_cn|, the last the
 * Intel SGX Root CA. Signatures are checked by the verifier against the pinned root. */
static int check_chain(const struct ward_buf *pem, const char *first_cn, const char *what)
{
    DEFER(x509_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
    GUARD_PTR(certs);
    if (pem->len == 0 || ward_x509_parse_all(pem->data, pem->len, certs) != WARD_OK) {
        return ward_err_prefix("%s: not a PEM certificate chain", what);
    }
    int n = sk_X509_num(certs);
    ENSURE_MSG(n >= 2, WARD_ERR_FORMAT, "%s: %d certificate(s); expected %s ... %s", what, n,
               first_cn, CN_ROOT);
    const char *want[2] = {first_cn, CN_ROOT};
    X509 *have[2] = {sk_X509_value(certs, 0), sk_X509_value(certs, n - 1)};
    for (int i = 0; i < 2; i++) {
        char cn[128];
        if (ward_x509_subject_cn(have[i], cn, sizeof(cn)) != WARD_OK) {
            return ward_err_prefix("%s: certificate %d", what, i == 0 ? 1 : n);
        }
        ENSURE_MSG(strcmp(cn, want[i]) == 0, WARD_ERR_MISMATCH, "%s: certificate %d is not %s",
                   what, i == 0 ? 1 : n, want[i]);
    }
    return WARD_OK;
}

/* check_signed verifies |sig| over |text| with the key of |chain|'s first certificate. */
static int check_signed(const struct ward_buf *text, const uint8_t sig[64],
                        const struct ward_buf *chain, const char *what)
{
    DEFER(x509_stack_freep) STACK_OF(X509) *certs = sk_X509_new_null();
    GUARD_PTR(certs);
    GUARD(ward_x509_parse_all(chain->data, chain->len, certs));
    EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(certs, 0));
    ENSURE_MSG(key != NULL, WARD_ERR_FORMAT, "%s: the signing certificate has no usable key", what);
    if (ward_ecdsa_verify_raw(key, WARD_SHA256, text->data, text->len, sig, sig + 32, 32,
                              WARD_ECDSA_BE) != WARD_OK) {
        return ward_err_set(WARD_ERR_SIGNATURE,
                            "%s: signature does not verify with the key of %s (the document "
                            "was altered, or not cut out of the response exactly)",
                            what, CN_TCB_SIGNING);
    }
    return WARD_OK;
}

/* to_der_crl normalises a CRL body (DER, PEM, or hex text from some PCCS versions) to
 * DER and checks that it is one CRL issued by |issuer_cn|. */
static int to_der_crl(struct ward_buf *b, const char *issuer_cn, const char *what)
{
    ENSURE_MSG(b->len > 0, WARD_ERR_FORMAT, "%s: empty response", what);
    DEFER(crl_freep) X509_CRL *crl = NULL;
    if (b->data[0] != 0x30) {
        size_t i = 0;
        while (i < b->len && is_ws(b->data[i])) {
            i++;
        }
        bool pem = b->len - i >= 11 && memcmp(b->data + i, "-----BEGIN ", 11) == 0;
        if (!pem) {
            /* Hex text: digits only, then optional whitespace. */
            size_t n = b->len;
            while (n > 0 && is_ws(b->data[n - 1])) {
                n--;
            }
            DEFER(ward_freep) char *hex = malloc(n + 1);
            GUARD_PTR(hex);
            memcpy(hex, b->data, n);
            hex[n] = '\0';
            ENSURE_MSG(strlen(hex) == n, WARD_ERR_FORMAT, "%s: response is not a CRL", what);
            struct ward_buf der = {0};
            if (ward_hex_decode(hex, &der) != WARD_OK) {
                return ward_err_set(WARD_ERR_FORMAT, "%s: response is not a CRL (DER, PEM or hex)",
                                    what);
            }
            ward_buf_cleanup(b);
            *b = der;
        }
    }
    if (ward_crl_parse(b->data, b->len, &crl) != WARD_OK) {
        return ward_err_prefix("%s: response is not a CRL", what);
    }
    if (b->data[0] != 0x30) { /* PEM: keep the DER */
        unsigned char *p = NULL;
        int n = i2d_X509_CRL(crl, &p);
        if (n <= 0) {
            return ward_ossl_fail(WARD_ERR_CRYPTO, "i2d_X509_CRL");
        }
        int rc = ward_buf_set(b, p, (size_t)n);
        OPENSSL_free(p);
        GUARD(rc);
    }
    char cn[128];
    int n = X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl), NID_commonName, cn, sizeof(cn));
    ENSURE_MSG(n > 0 && strcmp(cn, issuer_cn) == 0, WARD_ERR_MISMATCH, "%s: CRL issuer is not %s",
               what, issuer_cn);
    return WARD_OK;
}

/* ---- requests (lib/net/http.c does the HTTP) ---- */

/* pcs_get fetches |url| (see ward_http_get for retries and errors). On success
 * |out_body| gets the body and |out_header| (if non-NULL) the first of the
 * |num_headers| |headers| the response carries (empty when none). */
static int pcs_get(const struct pcs_cfg *cfg, const char *url, const char *const *headers,
                   size_t num_headers, struct ward_buf *out_body, struct ward_buf *out_header)
{
    struct ward_http_opts opts = cfg->http;
    opts.capture_headers = headers;
    opts.num_capture_headers = num_headers;
    struct ward_http_response r = {{0}};
    GUARD(ward_http_get(url, &opts, &r));
    *out_body = r.body;
    if (out_header != NULL) {
        *out_header = r.header;
    } else {
        ward_buf_cleanup(&r.header);
    }
    return WARD_OK;
}

static int hex_digit(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* url_decode_chain turns an issuer-chain header (percent-encoded PEM) into PEM text. */
static int url_decode_chain(const struct ward_buf *in, struct ward_buf *out, const char *what)
{
    ENSURE_MSG(in->len > 0, WARD_ERR_FORMAT, "%s: the response has no issuer-chain header", what);
    struct ward_rd r;
    ward_rd_init(&r, in->data, in->len);
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, WARD_PCS_HEADER_MAX);
    while (ward_rd_left(&r) > 0) {
        uint8_t c;
        GUARD(ward_rd_u8(&r, &c));
        if (c == '%') {
            uint8_t hx[2];
            if (ward_rd_copy(&r, hx, 2) != WARD_OK || hex_digit(hx[0]) < 0 ||
                hex_digit(hx[1]) < 0) {
                return ward_err_set(WARD_ERR_FORMAT, "%s: issuer-chain header: bad %%-escape",
                                    what);
            }
            c = (uint8_t)(hex_digit(hx[0]) << 4 | hex_digit(hx[1]));
        }
        ENSURE_MSG(c != '\0', WARD_ERR_FORMAT, "%s: issuer-chain header: NUL byte", what);
        GUARD(ward_wr_bytes(&w, &c, 1));
    }
    ward_buf_cleanup(out);
    ward_wr_finish(&w, out);
    return WARD_OK;
}

static int cfg_init(const struct ward_pcs_opts *opts, struct pcs_cfg *out)
{
    const char *base =
        opts != NULL && opts->base_url != NULL ? opts->base_url : WARD_PCS_DEFAULT_URL;
    const char *root =
        opts != NULL && opts->root_crl_url != NULL ? opts->root_crl_url : WARD_PCS_ROOT_CRL_URL;
    GUARD(ward_http_url_check(base, "PCS URL"));
    GUARD(ward_http_url_check(root, "root CA CRL URL"));
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/') {
        len--;
    }
    /* Leave room for the longest path and query we append. */
    ENSURE_MSG(len < sizeof(out->base) - 256, WARD_ERR_USAGE, "PCS URL is too long");
    memcpy(out->base, base, len);
    out->base[len] = '\0';
    ENSURE_MSG(strlen(root) < sizeof(out->root_crl), WARD_ERR_USAGE, "root CA CRL URL is too long");
    strcpy(out->root_crl, root);
    /* ward_pcs_opts' zeros mean the same defaults as ward_http_opts' (5, 1000 ms, 30 s). */
    out->http = (struct ward_http_opts){
        .max_body = WARD_COLLATERAL_MAX_LEN, .max_header = WARD_PCS_HEADER_MAX, .log_name = "pcs"};
    if (opts != NULL) {
        out->http.max_retries = opts->max_retries;
        out->http.backoff_ms = opts->backoff_ms;
        out->http.timeout_s = opts->timeout_s;
    }
    return WARD_OK;
}

/* ---- the four downloads ---- */

/* fetch_signed fetches a signed document and its issuer chain. */
static int fetch_signed(const struct pcs_cfg *cfg, const char *url, const char *const *headers,
                        size_t num_headers, const char *member, const char *what,
                        struct ward_buf *out_text, uint8_t out_sig[64], struct ward_buf *out_chain)
{
    DEFER(ward_buf_cleanupp) struct ward_buf body = {0};
    DEFER(ward_buf_cleanupp) struct ward_buf header = {0};
    GUARD(pcs_get(cfg, url, headers, num_headers, &body, &header));
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    if (ward_pcs_signed_member(body.data, body.len, member, &raw, &raw_len, out_sig) != WARD_OK) {
        return ward_err_prefix("%s: response", what);
    }
    GUARD(ward_buf_set(out_text, raw, raw_len));
    GUARD(url_decode_chain(&header, out_chain, what));
    GUARD(check_chain(out_chain, CN_TCB_SIGNING, what));
    return check_signed(out_text, out_sig, out_chain, what);
}

static int fetch_tcb_info(const struct pcs_cfg *cfg, const uint8_t fmspc[6],
                          struct ward_dcap_collateral *c)
{
    static const char *const headers[] = {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"};
    char hex[13];
    ward_hex_encode(fmspc, 6, hex);
    for (char *p = hex; *p != '\0'; p++) {
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 'a' + 'A' : *p);
    }
    char url[PCS_URL_MAX];
    int n = snprintf(url, sizeof(url), "%s/tdx/certification/v4/tcb?fmspc=%s", cfg->base, hex);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(url), WARD_ERR_USAGE, "PCS URL is too long");
    char what[64];
    snprintf(what, sizeof(what), "PCS TCB info for FMSPC %s", hex);
    GUARD(fetch_signed(cfg, url, headers, WARD_ARRAY_LEN(headers), "tcbInfo", what, &c->tcb_info,
                       c->tcb_info_signature, &c->tcb_info_issuer_chain));
    DEFER(tcb_info_cleanupp) struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    if (ward_dcap_tcb_info_parse(c->tcb_info.data, c->tcb_info.len, &t) != WARD_OK) {
        return ward_err_prefix("%s", what);
    }
    ENSURE_MSG(strcmp(t.id, "TDX") == 0, WARD_ERR_MISMATCH, "%s: is for %s, not TDX", what, t.id);
    ENSURE_MSG(memcmp(t.fmspc, fmspc, 6) == 0, WARD_ERR_MISMATCH, "%s: is for another FMSPC", what);
    return WARD_OK;
}

static int fetch_qe_identity(const struct pcs_cfg *cfg, struct ward_dcap_collateral *c)
{
    static const char *const headers[] = {"SGX-Enclave-Identity-Issuer-Chain"};
    char url[PCS_URL_MAX];
    int n = snprintf(url, sizeof(url), "%s/tdx/certification/v4/qe/identity", cfg->base);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(url), WARD_ERR_USAGE, "PCS URL is too long");
    const char *what = "PCS TD_QE identity";
    GUARD(fetch_signed(cfg, url, headers, WARD_ARRAY_LEN(headers), "enclaveIdentity", what,
                       &c->qe_identity, c->qe_identity_signature, &c->qe_identity_issuer_chain));
    DEFER(qe_identity_cleanupp) struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    if (ward_dcap_qe_identity_parse(c->qe_identity.data, c->qe_identity.len, &q) != WARD_OK) {
        return ward_err_prefix("%s", what);
    }
    ENSURE_MSG(strcmp(q.id, "TD_QE") == 0, WARD_ERR_MISMATCH, "%s: is for %s, not TD_QE", what,
               q.id);
    return WARD_OK;
}

static int fetch_pck_crl(const struct pcs_cfg *cfg, const char *ca, struct ward_dcap_collateral *c)
{
    static const char *const headers[] = {"SGX-PCK-CRL-Issuer-Chain"};
    char url[PCS_URL_MAX];
    int n = snprintf(url, sizeof(url), "%s/sgx/certification/v4/pckcrl?ca=%s&encoding=der",
                     cfg->base, ca);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(url), WARD_ERR_USAGE, "PCS URL is too long");
    char what[64];
    snprintf(what, sizeof(what), "PCS PCK CRL (%s CA)", ca);
    DEFER(ward_buf_cleanupp) struct ward_buf header = {0};
    GUARD(pcs_get(cfg, url, headers, WARD_ARRAY_LEN(headers), &c->pck_crl, &header));
    GUARD(to_der_crl(&c->pck_crl, ca_cn(ca), what));
    GUARD(url_decode_chain(&header, &c->pck_crl_issuer_chain, what));
    return check_chain(&c->pck_crl_issuer_chain, ca_cn(ca), what);
}

static int fetch_root_crl(const struct pcs_cfg *cfg, struct ward_dcap_collateral *c)
{
    GUARD(pcs_get(cfg, cfg->root_crl, NULL, 0, &c->root_ca_crl, NULL));
    return to_der_crl(&c->root_ca_crl, CN_ROOT, "root CA CRL");
}

/* ---- the cache ---- */

int ward_tdx_cache_path(const char *cache_dir, const uint8_t fmspc[6], const char *ca, char *out,
                        size_t out_len)
{
    WARD_ASSERT(cache_dir != NULL && fmspc != NULL && out != NULL);
    ENSURE_MSG(ca_cn(ca) != NULL, WARD_ERR_USAGE, "PCK CA must be \"%s\" or \"%s\"",
               WARD_PCK_CA_PLATFORM, WARD_PCK_CA_PROCESSOR);
    char hex[13];
    ward_hex_encode(fmspc, 6, hex);
    /* Built from the root, hex we generate and one of two fixed names. */
    int n = snprintf(out, out_len, "%s/tdx/%s-%s.json", cache_dir, hex, ca);
    ENSURE_MSG(n > 0 && (size_t)n < out_len, WARD_ERR_USAGE, "cache path is longer than %zu bytes",
               out_len - 1);
    return WARD_OK;
}

static int cache_store(const char *path, const struct ward_buf *b)
{
    char dir[WARD_CACHE_PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s", path);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(dir), WARD_ERR_USAGE, "cache path is too long");
    char *slash = strrchr(dir, '/');
    WARD_ASSERT(slash != NULL && slash != dir);
    *slash = '\0';
    GUARD(ward_mkdir_p(dir, 0755));
    GUARD(ward_write_file_atomic(path, b->data, b->len, 0644));
    ward_log(WARD_LOG_DEBUG, "pcs: cached %zu bytes in %s", b->len, path);
    return WARD_OK;
}

int ward_pcs_fetch_tdx(const uint8_t fmspc[6], const char *ca, const struct ward_pcs_opts *opts,
                       struct ward_dcap_collateral *out)
{
    WARD_ASSERT(fmspc != NULL && out != NULL);
    ENSURE_MSG(ca_cn(ca) != NULL, WARD_ERR_USAGE, "PCK CA must be \"%s\" or \"%s\"",
               WARD_PCK_CA_PLATFORM, WARD_PCK_CA_PROCESSOR);
    struct pcs_cfg cfg;
    GUARD(cfg_init(opts, &cfg));
    char path[WARD_CACHE_PATH_MAX] = "";
    const char *cache_opt = opts != NULL ? opts->cache_dir : NULL;
    bool caching = cache_opt == NULL || cache_opt[0] != '\0';
    if (caching) {
        char root[WARD_CACHE_PATH_MAX];
        GUARD(ward_cache_dir(cache_opt, root, sizeof(root)));
        GUARD(ward_tdx_cache_path(root, fmspc, ca, path, sizeof(path)));
    }

    DEFER(collateral_cleanupp) struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    GUARD(fetch_tcb_info(&cfg, fmspc, &c));
    GUARD(fetch_qe_identity(&cfg, &c));
    GUARD(fetch_pck_crl(&cfg, ca, &c));
    GUARD(fetch_root_crl(&cfg, &c));

    /* The bundle must read back as it will be read from the cache. */
    DEFER(ward_buf_cleanupp) struct ward_buf text = {0};
    GUARD(ward_dcap_collateral_encode(&c, &text));
    DEFER(collateral_cleanupp) struct ward_dcap_collateral back;
    memset(&back, 0, sizeof(back));
    if (ward_dcap_collateral_parse(text.data, text.len, &back) != WARD_OK) {
        return ward_err_prefix("the fetched collateral does not read back");
    }
    if (caching) {
        GUARD(cache_store(path, &text));
    }
    *out = c;
    memset(&c, 0, sizeof(c));
    return WARD_OK;
}

int ward_tdx_cache_load(const char *cache_dir, const uint8_t fmspc[6], const char *ca,
                        struct ward_dcap_collateral *out)
{
    WARD_ASSERT(fmspc != NULL && out != NULL);
    ENSURE_MSG(cache_dir == NULL || cache_dir[0] != '\0', WARD_ERR_NOT_FOUND,
               "no collateral cache (disabled)");
    char root[WARD_CACHE_PATH_MAX];
    if (ward_cache_dir(cache_dir, root, sizeof(root)) != WARD_OK) {
        return ward_err_prefix("no collateral cache");
    }
    char path[WARD_CACHE_PATH_MAX];
    GUARD(ward_tdx_cache_path(root, fmspc, ca, path, sizeof(path)));
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        char hex[13];
        ward_hex_encode(fmspc, 6, hex);
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "no cached TDX collateral for FMSPC %s (%s CA) in %s (run 'ward "
                            "fetch tdx')",
                            hex, ca, root);
    }
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(ward_read_file(path, WARD_DCAP_BUNDLE_MAX, &b));
    DEFER(collateral_cleanupp) struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    if (ward_dcap_collateral_parse(b.data, b.len, &c) != WARD_OK) {
        return ward_err_prefix("%s", path);
    }
    DEFER(tcb_info_cleanupp) struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    if (ward_dcap_tcb_info_parse(c.tcb_info.data, c.tcb_info.len, &t) != WARD_OK) {
        return ward_err_prefix("%s", path);
    }
    ENSURE_MSG(memcmp(t.fmspc, fmspc, 6) == 0, WARD_ERR_MISMATCH,
               "%s: holds the TCB info of another FMSPC", path);
    *out = c;
    memset(&c, 0, sizeof(c));
    return WARD_OK;
}
