/*
 * lib/verify/ocsp.c: OCSP for the NVIDIA GPU device chain (see ward/ocsp.h):
 * checking a response against a path and trust anchors, the cache of responses,
 * and the client that asks NVIDIA's responder (lib/net/http.c does the HTTP).
 *
 * Everything a responder or the cache hands us is untrusted: it is size-capped,
 * parsed exactly, and its signature, its signer's chain and the signer's authority
 * are checked by OpenSSL (OCSP_basic_verify) against the anchors before anything
 * it says is used or cached.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/ocsp.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/crypto.h"
#include "ward/http.h"
#include "ward/ocsp.h"
#include "ward/sim.h"

#define OCSP_CONTENT_TYPE "application/ocsp-request"

static void stack_freep(STACK_OF(X509) **s)
{
    sk_X509_free(*s); /* a stack of borrowed certificates */
}
static void stack_pop_freep(STACK_OF(X509) **s)
{
    sk_X509_pop_free(*s, X509_free);
}
static void response_freep(OCSP_RESPONSE **r)
{
    OCSP_RESPONSE_free(*r);
}
static void basic_freep(OCSP_BASICRESP **b)
{
    OCSP_BASICRESP_free(*b);
}
static void request_freep(OCSP_REQUEST **r)
{
    OCSP_REQUEST_free(*r);
}
static void certid_freep(OCSP_CERTID **id)
{
    OCSP_CERTID_free(*id);
}
static void store_freep(X509_STORE **s)
{
    X509_STORE_free(*s);
}
static void ossl_bytes_freep(unsigned char **p)
{
    OPENSSL_free(*p);
}
static void http_response_cleanupp(struct ward_http_response *r)
{
    ward_http_response_cleanup(r);
}

const char *ward_ocsp_status_name(enum ward_ocsp_status s)
{
    switch (s) {
    case WARD_OCSP_GOOD:
        return "good";
    case WARD_OCSP_REVOKED:
        return "revoked";
    case WARD_OCSP_UNKNOWN:
        return "unknown";
    }
    return "?";
}

static bool self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* cert_name writes |x|'s subject CN (or "?") into |out|, for messages. */
static const char *cert_name(X509 *x, char out[128])
{
    if (ward_x509_subject_cn(x, out, 128) != WARD_OK) {
        ward_err_clear();
        snprintf(out, 128, "?");
    }
    return out;
}

/* complete_path checks that |path| is a path (ward/ocsp.h) ending at one of
 * |anchors| and returns it, with the anchor appended when |path| stops below
 * it, as a new stack of borrowed certificates in *|out|. */
static WARD_MUST_CHECK int complete_path(const STACK_OF(X509) *path, const STACK_OF(X509) *anchors,
                                         STACK_OF(X509) **out)
{
    int n = sk_X509_num(path);
    char name[128];
    ENSURE_MSG(n > 0, WARD_ERR_USAGE, "OCSP: no certificate chain given");
    ENSURE_MSG(n <= WARD_OCSP_MAX_PATH, WARD_ERR_CHAIN,
               "OCSP: a chain of %d certificates is longer than %d", n, WARD_OCSP_MAX_PATH);
    for (int i = 0; i + 1 < n; i++) {
        X509 *x = sk_X509_value(path, i);
        ENSURE_MSG(!self_issued(x) && X509_check_issued(sk_X509_value(path, i + 1), x) == X509_V_OK,
                   WARD_ERR_CHAIN, "OCSP: certificate \"%s\" is not issued by the next one",
                   cert_name(x, name));
    }
    DEFER(stack_freep) STACK_OF(X509) *full = sk_X509_dup(path);
    GUARD_PTR(full);
    X509 *top = sk_X509_value(path, n - 1);
    X509 *anchor = NULL;
    for (int i = 0; i < sk_X509_num(anchors) && anchor == NULL; i++) {
        X509 *a = sk_X509_value(anchors, i);
        if (self_issued(top) ? X509_cmp(a, top) == 0 : X509_check_issued(a, top) == X509_V_OK) {
            anchor = a;
        }
    }
    ENSURE_MSG(anchor != NULL, WARD_ERR_CHAIN,
               self_issued(top) ? "OCSP: the chain's root \"%s\" is not a trusted root"
                                : "OCSP: no trusted root issued \"%s\"",
               cert_name(top, name));
    if (!self_issued(top)) {
        GUARD_PTR(sk_X509_push(full, anchor) > 0 ? full : NULL);
    }
    *out = full;
    full = NULL;
    return WARD_OK;
}

/* parse_response decodes exactly one DER OCSPResponse. */
static WARD_MUST_CHECK int parse_response(const uint8_t *der, size_t len, OCSP_RESPONSE **out)
{
    ENSURE_MSG(len > 0, WARD_ERR_FORMAT, "OCSP response is empty");
    ENSURE_MSG(len <= WARD_OCSP_MAX_LEN, WARD_ERR_NOMEM, "OCSP response is larger than %u bytes",
               WARD_OCSP_MAX_LEN);
    const unsigned char *p = der;
    OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    if (r == NULL) {
        return ward_ossl_fail(WARD_ERR_FORMAT, "not a DER OCSP response");
    }
    if (p != der + len) {
        OCSP_RESPONSE_free(r);
        return ward_err_set(WARD_ERR_TRAILING, "OCSP response: %zu bytes after it",
                            len - (size_t)(p - der));
    }
    *out = r;
    return WARD_OK;
}

static WARD_MUST_CHECK int time_of(const ASN1_GENERALIZEDTIME *t, int64_t *out)
{
    struct tm tm;
    ENSURE_MSG(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1, WARD_ERR_FORMAT,
               "OCSP response: a time does not parse");
    *out = (int64_t)timegm(&tm);
    return WARD_OK;
}

static bool is_current(const struct ward_ocsp_single *s, int64_t at)
{
    if (s->this_update > at + WARD_OCSP_SKEW_S) {
        return false;
    }
    if (s->next_update != 0) {
        return s->next_update >= s->this_update && at <= s->next_update;
    }
    return at <= s->this_update + WARD_OCSP_MAX_AGE_S;
}

/* match_cert finds the certificate of |full| that |id| names (with |id|'s own
 * hash); *|out| is -1 when none does. */
static WARD_MUST_CHECK int match_cert(const OCSP_CERTID *id, STACK_OF(X509) *full, int *out)
{
    ASN1_OBJECT *alg = NULL;
    *out = -1;
    GUARD_OSSL(OCSP_id_get0_info(NULL, &alg, NULL, NULL, (OCSP_CERTID *)id), WARD_ERR_FORMAT);
    const EVP_MD *md = EVP_get_digestbyobj(alg);
    if (md == NULL) {
        return WARD_OK; /* a hash we do not know names nothing we know */
    }
    for (int k = 0; k + 1 < sk_X509_num(full); k++) {
        X509 *x = sk_X509_value(full, k);
        if (self_issued(x)) {
            continue;
        }
        DEFER(certid_freep) OCSP_CERTID *mine = OCSP_cert_to_id(md, x, sk_X509_value(full, k + 1));
        if (mine == NULL) {
            return ward_ossl_fail(WARD_ERR_CRYPTO, "OCSP_cert_to_id");
        }
        if (OCSP_id_cmp(mine, id) == 0) {
            *out = k;
            return WARD_OK;
        }
    }
    return WARD_OK;
}

/* verify_signature checks |basic|'s signature, its signer's chain (at |at|, to
 * |anchors|, through the completed path |full| and the response's certificates)
 * and the signer's authority for what it speaks about (RFC 6960 4.2.2.2). */
static WARD_MUST_CHECK int verify_signature(OCSP_BASICRESP *basic, STACK_OF(X509) *full,
                                            const STACK_OF(X509) *anchors, int64_t at)
{
    DEFER(store_freep) X509_STORE *store = X509_STORE_new();
    GUARD_PTR(store);
    for (int i = 0; i < sk_X509_num(anchors); i++) {
        GUARD_OSSL(X509_STORE_add_cert(store, sk_X509_value(anchors, i)), WARD_ERR_CRYPTO);
    }
    /* The store's parameters reach the signer's chain verification: the time is
     * explicit, nothing comes from the system store, partial chains are refused. */
    X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), (time_t)at);
    if (OCSP_basic_verify(basic, full, store, 0) != 1) {
        return ward_ossl_fail(WARD_ERR_SIGNATURE, "OCSP response signature and signer");
    }
    return WARD_OK;
}

/* check_basic collects |basic|'s statuses for certificates of the completed path
 * |full| and, when there are any, verifies it against |anchors| at |at|. */
static WARD_MUST_CHECK int check_basic(OCSP_BASICRESP *basic, STACK_OF(X509) *full,
                                       const STACK_OF(X509) *anchors, int64_t at,
                                       struct ward_ocsp_answer *out)
{
    struct ward_ocsp_answer a;
    memset(&a, 0, sizeof(a));
    int n = OCSP_resp_count(basic);
    for (int i = 0; i < n; i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(basic, i);
        GUARD_PTR(single);
        int k = -1;
        GUARD(match_cert(OCSP_SINGLERESP_get0_id(single), full, &k));
        if (k < 0) {
            a.num_other++;
            continue;
        }
        ENSURE_MSG(a.num < WARD_OCSP_MAX_SINGLES, WARD_ERR_NOMEM,
                   "OCSP response has more than %d statuses", WARD_OCSP_MAX_SINGLES);
        int reason = -1;
        ASN1_GENERALIZEDTIME *rev = NULL, *thisupd = NULL, *nextupd = NULL;
        int status = OCSP_single_get0_status(single, &reason, &rev, &thisupd, &nextupd);
        struct ward_ocsp_single *s = &a.singles[a.num++];
        s->cert = (size_t)k;
        s->reason = -1;
        switch (status) {
        case V_OCSP_CERTSTATUS_GOOD:
            s->status = WARD_OCSP_GOOD;
            break;
        case V_OCSP_CERTSTATUS_REVOKED:
            s->status = WARD_OCSP_REVOKED;
            s->reason = reason;
            GUARD(time_of(rev, &s->revoked_at));
            break;
        case V_OCSP_CERTSTATUS_UNKNOWN:
            s->status = WARD_OCSP_UNKNOWN;
            break;
        default:
            return ward_err_set(WARD_ERR_FORMAT, "OCSP response: certificate status %d", status);
        }
        GUARD(time_of(thisupd, &s->this_update));
        if (nextupd != NULL) {
            GUARD(time_of(nextupd, &s->next_update));
        }
        s->current = is_current(s, at);
    }
    if (a.num > 0) {
        GUARD(verify_signature(basic, full, anchors, at));
    }
    *out = a;
    return WARD_OK;
}

int ward_ocsp_response_check(const uint8_t *der, size_t len, const STACK_OF(X509) *path,
                             const STACK_OF(X509) *anchors, int64_t at,
                             struct ward_ocsp_answer *out)
{
    WARD_ASSERT((der != NULL || len == 0) && path != NULL && anchors != NULL && out != NULL);
    DEFER(stack_freep) STACK_OF(X509) *full = NULL;
    GUARD(complete_path(path, anchors, &full));
    DEFER(response_freep) OCSP_RESPONSE *resp = NULL;
    GUARD(parse_response(der, len, &resp));
    int st = OCSP_response_status(resp);
    ENSURE_MSG(st == OCSP_RESPONSE_STATUS_SUCCESSFUL, WARD_ERR_FORMAT,
               "the responder answered %s, not successful", OCSP_response_status_str(st));
    DEFER(basic_freep) OCSP_BASICRESP *basic = OCSP_response_get1_basic(resp);
    ENSURE_MSG(basic != NULL, WARD_ERR_FORMAT, "OCSP response is not a basic response");
    return check_basic(basic, full, anchors, at, out);
}

/* ---- the cache ---- */

int ward_ocsp_cache_path(const char *cache_root, X509 *cert, char *out, size_t out_len)
{
    WARD_ASSERT(cache_root != NULL && cache_root[0] != '\0' && cert != NULL && out != NULL);
    uint8_t fp[32];
    char hex[65];
    GUARD(ward_x509_sha256(cert, fp));
    ward_hex_encode(fp, sizeof(fp), hex);
    int n = snprintf(out, out_len, "%s/nvgpu/ocsp/%s.der", cache_root, hex);
    ENSURE_MSG(n > 0 && (size_t)n < out_len, WARD_ERR_USAGE, "cache path is longer than %zu bytes",
               out_len - 1);
    return WARD_OK;
}

int ward_ocsp_cache_load(const char *cache_root, X509 *cert, struct ward_buf *out)
{
    WARD_ASSERT(out != NULL && out->len == 0);
    char path[WARD_CACHE_PATH_MAX];
    GUARD(ward_ocsp_cache_path(cache_root, cert, path, sizeof(path)));
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        return WARD_OK;
    }
    return ward_read_file(path, WARD_OCSP_MAX_LEN, out);
}

/* cache_store writes one response that checked: its directory first, then the file. */
static WARD_MUST_CHECK int cache_store(const char *path, const struct ward_buf *b)
{
    char dir[WARD_CACHE_PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s", path);
    WARD_ASSERT(n > 0 && (size_t)n < sizeof(dir));
    char *slash = strrchr(dir, '/');
    WARD_ASSERT(slash != NULL && slash != dir);
    *slash = '\0';
    GUARD(ward_mkdir_p(dir, 0755));
    GUARD(ward_write_file_atomic(path, b->data, b->len, 0644));
    ward_log(WARD_LOG_DEBUG, "ocsp: cached %zu bytes in %s", b->len, path);
    return WARD_OK;
}

/* ---- fetching ---- */

/* One fetch's settings, defaults applied. */
struct fetch_cfg {
    const char *url;
    const EVP_MD *md;                /* CertID hash */
    int64_t at;                      /* answers must check and be current then */
    struct ward_http_opts http;      /* every request's limits and retries */
    STACK_OF(X509) *anchors;         /* NVIDIA's root, the simulator's if trusted (owned) */
    STACK_OF(X509) *full;            /* the completed path (borrowed certificates) */
    char cache[WARD_CACHE_PATH_MAX]; /* resolved cache root; "" for none */
};

static const EVP_MD *hash_md(enum ward_ocsp_hash h)
{
    WARD_ASSERT(h == WARD_OCSP_HASH_SHA384 || h == WARD_OCSP_HASH_SHA256 ||
                h == WARD_OCSP_HASH_SHA1);
    switch (h) {
    case WARD_OCSP_HASH_SHA384:
        return EVP_sha384();
    case WARD_OCSP_HASH_SHA256:
        return EVP_sha256();
    case WARD_OCSP_HASH_SHA1:
        return EVP_sha1();
    }
    return EVP_sha384(); /* not reached */
}

void ward_ocsp_fetch_result_cleanup(struct ward_ocsp_fetch_result *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(r->certs); i++) {
        ward_buf_cleanup(&r->certs[i].response);
    }
    memset(r, 0, sizeof(*r));
}

static void fetch_result_freep(struct ward_ocsp_fetch_result **r)
{
    ward_ocsp_fetch_result_cleanup(*r);
    free(*r);
}

/* make_request builds the request for certificate |k| of the completed path
 * (one CertID and a fresh nonce) and its DER encoding. */
static WARD_MUST_CHECK int make_request(const struct fetch_cfg *cfg, int k, OCSP_REQUEST **out_req,
                                        struct ward_buf *out_der)
{
    DEFER(request_freep) OCSP_REQUEST *req = OCSP_REQUEST_new();
    GUARD_PTR(req);
    OCSP_CERTID *id =
        OCSP_cert_to_id(cfg->md, sk_X509_value(cfg->full, k), sk_X509_value(cfg->full, k + 1));
    if (id == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "OCSP_cert_to_id");
    }
    if (OCSP_request_add0_id(req, id) == NULL) {
        OCSP_CERTID_free(id);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    GUARD_OSSL(OCSP_request_add1_nonce(req, NULL, WARD_OCSP_NONCE_LEN), WARD_ERR_CRYPTO);
    DEFER(ossl_bytes_freep) unsigned char *der = NULL;
    int der_len = i2d_OCSP_REQUEST(req, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(ward_buf_set(out_der, der, (size_t)der_len));
    *out_req = req;
    req = NULL;
    return WARD_OK;
}

/* pick chooses what |a| says about certificate |k|: revoked wins over unknown,
 * unknown over good. NULL when it says nothing about it. */
static const struct ward_ocsp_single *pick(const struct ward_ocsp_answer *a, size_t k)
{
    const struct ward_ocsp_single *best = NULL;
    static const int rank[] = {
        [WARD_OCSP_GOOD] = 0, [WARD_OCSP_UNKNOWN] = 1, [WARD_OCSP_REVOKED] = 2};
    for (size_t i = 0; i < a->num; i++) {
        const struct ward_ocsp_single *s = &a->singles[i];
        if (s->cert == k && (best == NULL || rank[s->status] > rank[best->status])) {
            best = s;
        }
    }
    return best;
}

/* fetch_one asks about certificate |k| of the completed path and checks the
 * answer into |out|. */
static WARD_MUST_CHECK int fetch_one(const struct fetch_cfg *cfg, int k,
                                     struct ward_ocsp_fetched *out)
{
    X509 *cert = sk_X509_value(cfg->full, k);
    char name[128];
    cert_name(cert, name);
    snprintf(out->name, sizeof(out->name), "%s", name);

    DEFER(request_freep) OCSP_REQUEST *req = NULL;
    DEFER(ward_buf_cleanupp) struct ward_buf req_der = {0};
    GUARD(make_request(cfg, k, &req, &req_der));
    DEFER(http_response_cleanupp) struct ward_http_response http = {{0}};
    if (ward_http_post(cfg->url, OCSP_CONTENT_TYPE, req_der.data, req_der.len, &cfg->http, &http) !=
        WARD_OK) {
        return ward_err_prefix("OCSP status of \"%s\"", name);
    }
    DEFER(response_freep) OCSP_RESPONSE *resp = NULL;
    if (parse_response(http.body.data, http.body.len, &resp) != WARD_OK) {
        return ward_err_prefix("%s: the answer for \"%s\"", cfg->url, name);
    }
    int st = OCSP_response_status(resp);
    if (k == 0 && st == OCSP_RESPONSE_STATUS_UNAUTHORIZED) {
        ward_log(WARD_LOG_DEBUG, "ocsp: %s has no status for the leaf \"%s\"", cfg->url, name);
        return WARD_OK; /* out->answered stays false */
    }
    ENSURE_MSG(st == OCSP_RESPONSE_STATUS_SUCCESSFUL, WARD_ERR_FORMAT,
               "%s: the responder refused to answer for \"%s\": %s", cfg->url, name,
               OCSP_response_status_str(st));
    DEFER(basic_freep) OCSP_BASICRESP *basic = OCSP_response_get1_basic(resp);
    ENSURE_MSG(basic != NULL, WARD_ERR_FORMAT, "%s: the answer for \"%s\" is not a basic response",
               cfg->url, name);
    struct ward_ocsp_answer ans;
    if (check_basic(basic, cfg->full, cfg->anchors, cfg->at, &ans) != WARD_OK) {
        return ward_err_prefix("%s: the answer for \"%s\"", cfg->url, name);
    }
    /* A status for the certificate asked about means the signature was checked. */
    const struct ward_ocsp_single *s = pick(&ans, (size_t)k);
    ENSURE_MSG(s != NULL, WARD_ERR_MISMATCH, "%s: the answer has no status for \"%s\"", cfg->url,
               name);
    int nonce = OCSP_check_nonce(req, basic);
    ENSURE_MSG(nonce == 1, WARD_ERR_MISMATCH, "%s: the answer for \"%s\" %s", cfg->url, name,
               nonce == 0 ? "carries another nonce than the request's (a replay?)"
                          : "does not echo the request's nonce");
    if (k == 0 && s->status == WARD_OCSP_UNKNOWN) {
        ward_log(WARD_LOG_DEBUG, "ocsp: %s does not know the leaf \"%s\"", cfg->url, name);
        return WARD_OK;
    }
    if (!s->current) {
        char t1[32], t2[32] = "none";
        ward_time_format(s->this_update, t1);
        if (s->next_update != 0) {
            ward_time_format(s->next_update, t2);
        }
        return ward_err_set(WARD_ERR_EXPIRED,
                            "%s: the answer for \"%s\" is not current (thisUpdate %s, "
                            "nextUpdate %s)",
                            cfg->url, name, t1, t2);
    }
    out->answered = true;
    out->single = *s;
    out->response = http.body;
    http.body = (struct ward_buf){0};
    return WARD_OK;
}

int ward_ocsp_fetch(const STACK_OF(X509) *path, const struct ward_ocsp_opts *opts,
                    struct ward_ocsp_fetch_result *out)
{
    WARD_ASSERT(path != NULL && out != NULL && out->num == 0);
    const struct ward_ocsp_opts o = opts != NULL ? *opts : (struct ward_ocsp_opts){0};
    DEFER(ward_freep) struct fetch_cfg *cfg = calloc(1, sizeof(*cfg));
    GUARD_PTR(cfg);
    cfg->url = o.url != NULL ? o.url : WARD_NVIDIA_OCSP_URL;
    GUARD(ward_http_url_check(cfg->url, "OCSP URL"));
    cfg->md = hash_md(o.hash);
    cfg->at = o.at != 0 ? o.at : ward_time_now();
    cfg->http = (struct ward_http_opts){.max_body = WARD_OCSP_MAX_LEN,
                                        .max_retries = o.max_retries,
                                        .backoff_ms = o.backoff_ms,
                                        .timeout_s = o.timeout_s,
                                        .log_name = "ocsp"};
    if (o.cache_dir == NULL || o.cache_dir[0] != '\0') {
        GUARD(ward_cache_dir(o.cache_dir, cfg->cache, sizeof(cfg->cache)));
    }

    DEFER(stack_pop_freep) STACK_OF(X509) *anchors = sk_X509_new_null();
    GUARD_PTR(anchors);
    X509 *nv = NULL;
    GUARD(nvidia_root_get(&nv));
    ENSURE(X509_up_ref(nv) == 1, WARD_ERR_CRYPTO);
    if (sk_X509_push(anchors, nv) <= 0) {
        X509_free(nv);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    if (o.sim_dir != NULL) {
        GUARD(ward_nvgpu_sim_roots(o.sim_dir, anchors));
    }
    DEFER(stack_freep) STACK_OF(X509) *full = NULL;
    GUARD(complete_path(path, anchors, &full));
    cfg->anchors = anchors;
    cfg->full = full;

    DEFER(fetch_result_freep) struct ward_ocsp_fetch_result *r = calloc(1, sizeof(*r));
    GUARD_PTR(r);
    r->simulated = X509_cmp(sk_X509_value(full, sk_X509_num(full) - 1), nv) != 0;
    for (int k = 0; k + 1 < sk_X509_num(full); k++) {
        if (self_issued(sk_X509_value(full, k))) {
            continue;
        }
        struct ward_ocsp_fetched *f = &r->certs[r->num++];
        GUARD(fetch_one(cfg, k, f));
        if (f->answered && cfg->cache[0] != '\0') {
            char cache_path[WARD_CACHE_PATH_MAX];
            GUARD(ward_ocsp_cache_path(cfg->cache, sk_X509_value(full, k), cache_path,
                                       sizeof(cache_path)));
            GUARD(cache_store(cache_path, &f->response));
            snprintf(f->cache_path, sizeof(f->cache_path), "%s", cache_path);
        }
    }
    ENSURE_MSG(r->num > 0, WARD_ERR_USAGE,
               "OCSP: the chain has no certificate below its root to ask about");
    *out = *r;
    memset(r, 0, sizeof(*r));
    return WARD_OK;
}
