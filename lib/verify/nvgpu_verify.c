/*
 * lib/verify/nvgpu_verify.c: appraisal of an NVIDIA GPU attestation report.
 *
 *   chain        every certificate given is on one path from the device leaf to
 *                the pinned NVIDIA Device Identity CA, valid at the "as of" time;
 *                the leaf's TCG DICE FWID (2.23.133.5.4.1) equals the report's
 *                FWID opaque field when both are present
 *   signature    ECDSA P-384/SHA-384 over request || response-without-signature
 *                with the leaf key
 *   revocation   OCSP responses for the chain, given as files or else cached
 *                (ward fetch nvgpu); skip when there are none
 *   measurement  each expected index present and equal (reference JSON)
 *   binding      the request nonce equals the expected nonce
 * tcb and policy do not apply to GPU reports today and stay "skip".
 */
#include <string.h>
#include <strings.h>

#include <openssl/ocsp.h>

#include "base/der.h"
#include "base/internal.h"
#include "verify/internal.h"
#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/nvgpu.h"
#include "ward/rim.h"
#include "ward/ocsp.h"
#include "ward/sim.h"

#define REFERENCE_MAX_ENTRIES 256
/* Where the device leaf names its firmware: Hopper and NVSwitch use the TCG DICE
 * TcbInfo OID with NVIDIA's own layout, Blackwell the standard DiceTcbInfo
 * (fwids [6]) under the .1 arc. The FWID is found the same way in both. */
static const char *const fwid_oids[] = {"2.23.133.5.4.1", "2.23.133.5.4.1.1"};

/* SHA-384's OID, 2.16.840.1.101.3.4.2.2, as DER contents. */
static const uint8_t oid_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

struct nctx {
    struct ward_appraisal *a;
    const struct ward_verify_opts *opts;
    int64_t at;
    struct ward_nvgpu_report r;
    STACK_OF(X509) *given; /* every certificate supplied */
    STACK_OF(X509) *path;  /* leaf first, as verified (borrowed from given) */
    STACK_OF(X509) *roots; /* the anchor the chain verified to */
};

static void nctx_cleanup(struct nctx *c)
{
    sk_X509_free(c->path);
    sk_X509_pop_free(c->given, X509_free);
    sk_X509_pop_free(c->roots, X509_free);
}

/* ---- claims ---- */

static void add_text_claim(json_t *cl, const struct ward_nvgpu_report *r, uint16_t type,
                           const char *key)
{
    const struct ward_nv_opaque_field *f = ward_nvgpu_opaque_find(r, type);
    char text[128];
    size_t n = 0;
    if (f == NULL) {
        return;
    }
    for (size_t i = 0; i < f->len && f->value[i] != 0 && n + 1 < sizeof(text); i++) {
        text[n++] = f->value[i] >= 0x20 && f->value[i] < 0x7f ? (char)f->value[i] : '?';
    }
    text[n] = '\0';
    json_object_set_new(cl, key, json_string(text));
}

static int add_claims(struct nctx *c)
{
    const struct ward_nvgpu_report *r = &c->r;
    json_t *cl = c->a->claims;
    char buf[64];
    snprintf(buf, sizeof(buf), "%u.%u", r->spdm_version >> 4, r->spdm_version & 15);
    json_object_set_new(cl, "spdm_version", json_string(buf));
    GUARD(ward_json_set_hex(cl, "nonce", r->request_nonce, 32));
    json_object_set_new(cl, "num_measurements", json_integer((json_int_t)r->num_blocks));
    add_text_claim(cl, r, WARD_NV_OPAQUE_DRIVER_VERSION, "driver_version");
    add_text_claim(cl, r, WARD_NV_OPAQUE_CHIP_SKU, "chip_sku");
    add_text_claim(cl, r, WARD_NV_OPAQUE_PROJECT, "project");
    add_text_claim(cl, r, WARD_NV_OPAQUE_PROJECT_SKU, "project_sku");
    const struct ward_nv_opaque_field *v = ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_VBIOS_VERSION);
    if (v != NULL && v->len > 0 && v->value[0] >= '0' && v->value[0] <= '9' && v->len >= 2 &&
        v->value[1] != 0) {
        add_text_claim(cl, r, WARD_NV_OPAQUE_VBIOS_VERSION,
                       "vbios_version"); /* NVSwitch: ASCII text */
    } else if (v != NULL && v->len >= 5) {
        /* GPUs: NVIDIA prints the binary VBIOS version as bytes 3.2.1.0.4 in hex. */
        snprintf(buf, sizeof(buf), "%02X.%02X.%02X.%02X.%02X", v->value[3], v->value[2],
                 v->value[1], v->value[0], v->value[4]);
        json_object_set_new(cl, "vbios_version", json_string(buf));
    }
    const struct ward_nv_opaque_field *fw = ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_FWID);
    if (fw != NULL) {
        GUARD(ward_json_set_hex(cl, "fwid", fw->value, fw->len));
    }
    json_t *m = json_object();
    for (size_t i = 0; m != NULL && i < r->num_blocks; i++) {
        char idx[8];
        snprintf(idx, sizeof(idx), "%u", r->blocks[i].index);
        GUARD(ward_json_set_hex(m, idx, r->blocks[i].value, r->blocks[i].value_len));
    }
    json_object_set_new(cl, "measurements", m);
    char when[32];
    ward_time_format(c->at, when);
    json_object_set_new(cl, "verified_at", json_string(when));
    return WARD_OK;
}

/* ---- chain ---- */

static int gather(struct nctx *c)
{
    const struct ward_verify_opts *o = c->opts;
    for (int i = 0; o->certs != NULL && i < sk_X509_num(o->certs); i++) {
        X509 *x = sk_X509_value(o->certs, i);
        ENSURE(X509_up_ref(x) == 1, WARD_ERR_CRYPTO);
        if (sk_X509_push(c->given, x) <= 0) {
            X509_free(x);
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < o->num_cert_files; i++) {
        int rc = ward_x509_parse_all(o->cert_files[i].data, o->cert_files[i].len, c->given);
        if (rc != WARD_OK) {
            return ward_err_prefix("certificate %s", o->cert_files[i].name);
        }
    }
    return WARD_OK;
}

static bool self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* Orders the given certificates into one path from the leaf (the certificate
 * that issued none of the others) up through issuers. Every certificate must be
 * used exactly once. */
static int order_path(struct nctx *c)
{
    int n = sk_X509_num(c->given);
    X509 *leaf = NULL;
    ENSURE_MSG(n > 0, WARD_ERR_NOT_FOUND, "no device certificate chain given (--certs)");
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(c->given, i);
        bool issued_other = false;
        for (int k = 0; k < n && !issued_other; k++) {
            X509 *y = sk_X509_value(c->given, k);
            issued_other = k != i && !self_issued(y) &&
                           X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(y)) == 0;
        }
        if (!issued_other && !self_issued(x)) {
            ENSURE_MSG(leaf == NULL, WARD_ERR_CHAIN,
                       "more than one device leaf certificate was given");
            leaf = x;
        }
    }
    ENSURE_MSG(leaf != NULL, WARD_ERR_CHAIN, "no device leaf certificate among those given");
    GUARD_PTR(sk_X509_push(c->path, leaf) > 0 ? c->path : NULL);
    for (X509 *cur = leaf; !self_issued(cur);) {
        X509 *next = NULL;
        for (int k = 0; k < n && next == NULL; k++) {
            X509 *y = sk_X509_value(c->given, k);
            if (y != cur &&
                X509_NAME_cmp(X509_get_subject_name(y), X509_get_issuer_name(cur)) == 0) {
                next = y;
            }
        }
        if (next == NULL) {
            break; /* the rest of the path comes from the pinned root */
        }
        for (int k = 0; k < sk_X509_num(c->path); k++) {
            ENSURE_MSG(sk_X509_value(c->path, k) != next, WARD_ERR_CHAIN,
                       "the certificate chain loops");
        }
        GUARD_PTR(sk_X509_push(c->path, next) > 0 ? c->path : NULL);
        cur = next;
    }
    ENSURE_MSG(sk_X509_num(c->path) == n, WARD_ERR_CHAIN,
               "%d of the %d certificates given are not on the device's chain",
               n - sk_X509_num(c->path), n);
    return WARD_OK;
}

/* Finds the SHA-384 FWID in the leaf's TCG DICE TcbInfo extension: the first
 * SEQUENCE { OID sha384, OCTET STRING (48) } at any depth. */
static int find_fwid(struct ward_rd *r, int depth, uint8_t out[48], bool *found)
{
    while (ward_rd_left(r) > 0 && !*found) {
        uint8_t tag;
        struct ward_rd inner;
        GUARD(ward_der_next(r, "DICE TcbInfo", &tag, &inner));
        if (depth > 8 || !(tag & 0x20)) {
            continue; /* primitive, or nested too deep to be the FWID list */
        }
        struct ward_rd probe = inner, oid, dig;
        uint8_t t1, t2;
        if (ward_der_next(&probe, "FWID", &t1, &oid) == WARD_OK && t1 == WARD_DER_OID &&
            ward_rd_left(&oid) == sizeof(oid_sha384) &&
            memcmp(oid.p, oid_sha384, sizeof(oid_sha384)) == 0 &&
            ward_der_next(&probe, "FWID", &t2, &dig) == WARD_OK && t2 == WARD_DER_OCTET_STRING &&
            ward_rd_left(&dig) == 48 && ward_rd_left(&probe) == 0) {
            memcpy(out, dig.p, 48);
            *found = true;
            return WARD_OK;
        }
        ward_err_clear();
        GUARD(find_fwid(&inner, depth + 1, out, found));
    }
    return WARD_OK;
}

static bool check_chain(struct nctx *c)
{
    struct ward_appraisal *a = c->a;
    X509 *nv = NULL;
    int rc = gather(c);
    if (rc == WARD_OK) {
        rc = order_path(c);
    }
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "%s", ward_err_detail());
        return false;
    }
    X509 *leaf = sk_X509_value(c->path, 0);
    STACK_OF(X509) *inter = sk_X509_new_null();
    for (int i = 1; inter != NULL && i < sk_X509_num(c->path); i++) {
        if (!self_issued(sk_X509_value(c->path, i))) {
            sk_X509_push(inter, sk_X509_value(c->path, i));
        }
    }
    if (inter == NULL || nvidia_root_get(&nv) != WARD_OK || X509_up_ref(nv) != 1 ||
        sk_X509_push(c->roots, nv) <= 0) {
        sk_X509_free(inter);
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "cannot load the NVIDIA root");
        return false;
    }
    STACK_OF(X509) *sim = NULL;
    if (c->opts->sim_dir != NULL && (sim = sk_X509_new_null()) != NULL &&
        ward_nvgpu_sim_roots(c->opts->sim_dir, sim) != WARD_OK) {
        ward_err_clear();
    }
    rc = chain_verify_anchored(c->opts->chain_cache, leaf, inter, inter, &c->roots, sim, c->at,
                               &a->simulated);
    sk_X509_free(inter);
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                            "device chain to the NVIDIA Device Identity CA: %s", ward_err_detail());
        return false;
    }
    /* A root the caller gave, or any certificate named like the anchor, must be
     * exactly the anchor: a damaged copy is an error, not something to step around. */
    for (int i = 1; i < sk_X509_num(c->path); i++) {
        X509 *x = sk_X509_value(c->path, i);
        bool claims_anchor = self_issued(x), same = false;
        for (int k = 0; k < sk_X509_num(c->roots); k++) {
            X509 *r = sk_X509_value(c->roots, k);
            claims_anchor |= X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(r)) == 0;
            same |= X509_cmp(x, r) == 0;
        }
        if (claims_anchor && !same) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "the chain's root is not the pinned NVIDIA root");
            return false;
        }
    }
    /* The leaf certifies the firmware it was issued to (TCG DICE FWID). */
    const uint8_t *ext;
    size_t ext_len;
    bool has_ext = false;
    for (size_t k = 0; k < sizeof(fwid_oids) / sizeof(fwid_oids[0]) && !has_ext; k++) {
        has_ext = ward_x509_ext_data(leaf, fwid_oids[k], &ext, &ext_len) == WARD_OK;
    }
    if (has_ext) {
        struct ward_rd rd;
        uint8_t fwid[48];
        bool found = false;
        ward_rd_init(&rd, ext, ext_len);
        if (find_fwid(&rd, 0, fwid, &found) != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN, "device certificate FWID extension: %s",
                                ward_err_detail());
            return false;
        }
        const struct ward_nv_opaque_field *f = ward_nvgpu_opaque_find(&c->r, WARD_NV_OPAQUE_FWID);
        if (found && f != NULL && (f->len != 48 || !ward_ct_equal(f->value, fwid, 48))) {
            ward_appraisal_fail(
                a, WARD_CHECK_CHAIN,
                "the report's FWID differs from the one the device certificate names");
            return false;
        }
        json_object_set_new(a->claims, "fwid_certified", json_boolean(found && f != NULL));
    }
    ward_err_clear();
    char cn[128];
    if (ward_x509_subject_cn(leaf, cn, sizeof(cn)) == WARD_OK) {
        json_object_set_new(a->claims, "device", json_string(cn));
    }
    ward_err_clear();
    ward_appraisal_pass(a, WARD_CHECK_CHAIN);
    return true;
}

static bool check_signature(struct nctx *c)
{
    EVP_PKEY *k = X509_get0_pubkey(sk_X509_value(c->path, 0));
    if (k == NULL ||
        ward_ecdsa_verify_raw(k, WARD_SHA384, c->r.signed_data, c->r.signed_len, c->r.signature,
                              c->r.signature + 48, 48, WARD_ECDSA_BE) != WARD_OK) {
        ward_appraisal_fail(c->a, WARD_CHECK_SIGNATURE,
                            "SPDM measurement signature does not verify with the device key: %s",
                            ward_err_detail());
        return false;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_SIGNATURE);
    return true;
}

/* ---- revocation (OCSP) ---- */

/* Where OCSP responses came from, for messages. */
struct ocsp_source {
    const char *name; /* a file's name, or "the cache" */
};

/* ocsp_judge records what |ans| says about the path: each status must be good
 * and current at the verification time. |seen| marks the certificates spoken for. */
static void ocsp_judge(struct nctx *c, const struct ward_ocsp_answer *ans,
                       const struct ocsp_source *src, bool seen[WARD_OCSP_MAX_PATH])
{
    for (size_t i = 0; i < ans->num; i++) {
        const struct ward_ocsp_single *s = &ans->singles[i];
        X509 *cert = sk_X509_value(c->path, (int)s->cert);
        char cn[128] = "?", t1[32], t2[32] = "none";
        if (ward_x509_subject_cn(cert, cn, sizeof(cn)) != WARD_OK) {
            ward_err_clear();
        }
        seen[s->cert] = true;
        if (s->status == WARD_OCSP_REVOKED) {
            const char *why = s->reason >= 0 ? OCSP_crl_reason_str(s->reason) : NULL;
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION,
                                "certificate \"%s\" is revoked (OCSP, %s%s%s)", cn, src->name,
                                why != NULL ? ", reason " : "", why != NULL ? why : "");
        } else if (s->status == WARD_OCSP_UNKNOWN) {
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION,
                                "certificate \"%s\" has OCSP status unknown (%s)", cn, src->name);
        }
        if (!s->current) {
            ward_time_format(s->this_update, t1);
            if (s->next_update != 0) {
                ward_time_format(s->next_update, t2);
            }
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION,
                                "the OCSP status of \"%s\" (%s) is not current at the "
                                "verification time (thisUpdate %s, nextUpdate %s)",
                                cn, src->name, t1, t2);
        }
    }
}

/* ocsp_cached checks the cached response of each certificate of the path; those
 * that do not check or are not current are passed over (a debug line says so).
 * Returns how many were used. */
static size_t ocsp_cached(struct nctx *c, const char *cache_root, bool seen[WARD_OCSP_MAX_PATH])
{
    const struct ocsp_source src = {.name = "the cache"};
    size_t used = 0;
    for (int k = 0; k < sk_X509_num(c->path); k++) {
        X509 *cert = sk_X509_value(c->path, k);
        struct ward_buf der = {0};
        struct ward_ocsp_answer ans;
        if (self_issued(cert)) {
            continue;
        }
        if (ward_ocsp_cache_load(cache_root, cert, &der) != WARD_OK ||
            (der.len > 0 && ward_ocsp_response_check(der.data, der.len, c->path, c->roots, c->at,
                                                     &ans) != WARD_OK)) {
            ward_log(WARD_LOG_DEBUG, "nvgpu: cached OCSP response passed over: %s",
                     ward_err_detail());
            ward_err_clear();
            ward_buf_cleanup(&der);
            continue;
        }
        if (der.len == 0) {
            continue;
        }
        ward_buf_cleanup(&der);
        /* Keep only what is current now; an old answer is no answer. */
        size_t keep = 0;
        for (size_t i = 0; i < ans.num; i++) {
            if (ans.singles[i].current) {
                ans.singles[keep++] = ans.singles[i];
            }
        }
        ans.num = keep;
        if (keep == 0) {
            ward_log(WARD_LOG_DEBUG,
                     "nvgpu: cached OCSP response for certificate %d is not current", k);
            continue;
        }
        used++;
        ocsp_judge(c, &ans, &src, seen);
    }
    return used;
}

/* check_revocation: OCSP responses given as files (opts ocsp_files), or else
 * those in the cache (ward fetch nvgpu), for the verified path. Each must be
 * genuine (signed by the issuer of what it speaks for, or its delegated responder,
 * chaining to the anchor the device chain verified to) and say "good", current at
 * the verification time, for every certificate it names. Every certificate
 * between the leaf and the root needs a status; the leaf, which the GPU issues
 * itself and NVIDIA's responder does not know, is checked when a status is given.
 * A given file that does not check fails the check; one about other
 * certificates only (another GPU's) is passed over. Cached responses that do not
 * check or are no longer current are passed over, and with none left the check
 * is skipped. */
static void check_revocation(struct nctx *c)
{
    const struct ward_verify_opts *o = c->opts;
    struct ward_appraisal *a = c->a;
    bool seen[WARD_OCSP_MAX_PATH] = {false};
    bool from_cache = o->num_ocsp_files == 0;
    size_t unrelated = 0; /* files about no certificate of this chain */
    if (sk_X509_num(c->path) > WARD_OCSP_MAX_PATH) {
        if (!from_cache) {
            ward_appraisal_fail(a, WARD_CHECK_REVOCATION,
                                "OCSP: a device chain of %d certificates is longer than %d",
                                sk_X509_num(c->path), WARD_OCSP_MAX_PATH);
        }
        return;
    }
    if (from_cache) {
        char root[WARD_CACHE_PATH_MAX];
        if (o->cache_dir != NULL && o->cache_dir[0] == '\0') {
            return;
        }
        if (ward_cache_dir(o->cache_dir, root, sizeof(root)) != WARD_OK) {
            ward_log(WARD_LOG_DEBUG, "nvgpu: no OCSP cache: %s", ward_err_detail());
            ward_err_clear();
            return;
        }
        if (ocsp_cached(c, root, seen) == 0) {
            return;
        }
    }
    for (size_t i = 0; i < o->num_ocsp_files; i++) {
        const struct ward_blob *f = &o->ocsp_files[i];
        const struct ocsp_source src = {.name = f->name};
        struct ward_ocsp_answer ans;
        if (ward_ocsp_response_check(f->data, f->len, c->path, c->roots, c->at, &ans) != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_REVOCATION, "OCSP response %s: %s", f->name,
                                ward_err_detail());
            ward_err_clear();
            continue;
        }
        if (ans.num == 0) {
            /* About other certificates: another GPU's, when one set of responses
             * is given for every GPU of a composite. It proves nothing here. */
            ward_log(WARD_LOG_DEBUG, "nvgpu: OCSP response %s is about other certificates",
                     f->name);
            unrelated++;
            continue;
        }
        ocsp_judge(c, &ans, &src, seen);
    }
    bool any = false;
    for (int k = 0; k < sk_X509_num(c->path); k++) {
        any |= seen[k];
    }
    if (!from_cache && !any) {
        ward_appraisal_fail(a, WARD_CHECK_REVOCATION,
                            "no OCSP response given has a status for any certificate of this "
                            "device chain");
    }
    /* Every certificate between the leaf and the root needs a status. */
    for (int k = 1; k < sk_X509_num(c->path); k++) {
        X509 *cert = sk_X509_value(c->path, k);
        char cn[128] = "?";
        if (seen[k] || self_issued(cert)) {
            continue;
        }
        if (ward_x509_subject_cn(cert, cn, sizeof(cn)) != WARD_OK) {
            ward_err_clear();
        }
        if (from_cache) {
            ward_appraisal_fail(a, WARD_CHECK_REVOCATION,
                                "no current OCSP status of certificate \"%s\" in the cache (run "
                                "'ward fetch nvgpu')",
                                cn);
        } else {
            ward_appraisal_fail(a, WARD_CHECK_REVOCATION,
                                "no OCSP response given has a status for certificate \"%s\"%s", cn,
                                unrelated > 0 ? " (some are about certificates of another chain)"
                                              : "");
        }
    }
    if (a->checks[WARD_CHECK_REVOCATION] != WARD_STATUS_FAIL) {
        ward_appraisal_pass(a, WARD_CHECK_REVOCATION);
    }
}

/* ---- reference measurements ---- */

/* The reference document: {"measurements": [{"index": N, "value": "hex" | ["hex", ...]}, ...]}
 * (a bare list is accepted too). Every listed index must be present in the report
 * and equal one of its values. */
static void check_measurements(struct nctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_blob *f = c->opts->reference_file;
    json_t *doc = NULL, *list;
    if (f == NULL) {
        return;
    }
    if (ward_json_parse(f->data, f->len, &doc) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT, "reference %s: %s", f->name,
                            ward_err_detail());
        return;
    }
    list = json_is_array(doc) ? doc : json_object_get(doc, "measurements");
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > REFERENCE_MAX_ENTRIES) {
        ward_appraisal_fail(
            a, WARD_CHECK_MEASUREMENT,
            "reference %s: expected a non-empty list of {\"index\", \"value\"} (at most %d)",
            f->name, REFERENCE_MAX_ENTRIES);
        json_decref(doc);
        return;
    }
    json_t *report = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        uint64_t idx = 0;
        json_t *vals = json_object_get(e, "value");
        if (ward_json_get_uint(e, "index", 255, &idx) != WARD_OK || vals == NULL) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                "reference %s: entry %zu needs \"index\" and \"value\"", f->name,
                                i);
            continue;
        }
        const struct ward_spdm_block *b = NULL;
        for (size_t k = 0; k < c->r.num_blocks && b == NULL; k++) {
            if (c->r.blocks[k].index == idx) {
                b = &c->r.blocks[k];
            }
        }
        if (b == NULL) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                "measurement %u is expected but not in the report", (unsigned)idx);
            json_array_append_new(
                report, json_pack("{s:I,s:s}", "index", (json_int_t)idx, "result", "missing"));
            continue;
        }
        bool match = false;
        size_t nv = json_is_array(vals) ? json_array_size(vals) : 1;
        for (size_t k = 0; k < nv && !match; k++) {
            json_t *v = json_is_array(vals) ? json_array_get(vals, k) : vals;
            struct ward_buf want = {0};
            if (json_is_string(v) && ward_hex_decode(json_string_value(v), &want) == WARD_OK) {
                match = want.len == b->value_len && ward_ct_equal(want.data, b->value, want.len);
            }
            ward_buf_cleanup(&want);
        }
        if (!match) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                "measurement %u differs from every reference value", (unsigned)idx);
        }
        json_array_append_new(report, json_pack("{s:I,s:s}", "index", (json_int_t)idx, "result",
                                                match ? "match" : "mismatch"));
    }
    json_object_set_new(a->claims, "reference_results", report);
    json_decref(doc);
    if (a->checks[WARD_CHECK_MEASUREMENT] != WARD_STATUS_FAIL) {
        ward_appraisal_pass(a, WARD_CHECK_MEASUREMENT);
    }
}

/* NVIDIA's Reference Integrity Manifests: each must verify (xmlsec1, chain to the
 * pinned RIM root), name the firmware this device runs (its colloquial version is
 * the report's driver or VBIOS version), and every index it marks active must hold
 * one of its values. Two RIMs may not both claim the same index. */
static void check_rims(struct nctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_verify_opts *o = c->opts;
    if (o->num_rim_files == 0) {
        return;
    }
    json_t *results = json_array();
    const char *drv = json_string_value(json_object_get(a->claims, "driver_version"));
    const char *vbios = json_string_value(json_object_get(a->claims, "vbios_version"));
    for (size_t i = 0; results != NULL && i < o->num_rim_files; i++) {
        const struct ward_blob *f = &o->rim_files[i];
        struct ward_rim *rim = NULL;
        size_t bad = 0, before = json_array_size(results);
        if (ward_rim_parse_verify(f->data, f->len, c->at, c->a->simulated ? c->roots : NULL,
                                  &rim) != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT, "RIM %s: %s", f->name,
                                ward_err_detail());
            continue;
        }
        bool applies = (drv != NULL && strcasecmp(rim->colloquial_version, drv) == 0) ||
                       (vbios != NULL && strcasecmp(rim->colloquial_version, vbios) == 0);
        if (!applies) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                "RIM %s is for version %s, the device runs driver %s and VBIOS %s",
                                f->name, rim->colloquial_version, drv ? drv : "?",
                                vbios ? vbios : "?");
        } else if (ward_rim_compare(rim, &c->r, results, &bad) != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT, "RIM %s: %s", f->name,
                                ward_err_detail());
        } else if (bad > 0) {
            ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                "RIM %s (%s %s): %zu measurement(s) differ or are missing", f->name,
                                rim->name, rim->colloquial_version, bad);
        }
        /* An index two RIMs both constrain is ambiguous. */
        for (size_t k = before; k < json_array_size(results); k++) {
            json_t *e = json_array_get(results, k);
            if (strcmp(json_string_value(json_object_get(e, "result")), "inactive") == 0) {
                continue;
            }
            json_int_t idx = json_integer_value(json_object_get(e, "index"));
            for (size_t m = 0; m < before; m++) {
                json_t *p = json_array_get(results, m);
                if (json_integer_value(json_object_get(p, "index")) == idx &&
                    strcmp(json_string_value(json_object_get(p, "result")), "inactive") != 0) {
                    ward_appraisal_fail(a, WARD_CHECK_MEASUREMENT,
                                        "measurement %lld is claimed by two RIMs", (long long)idx);
                }
            }
        }
        ward_rim_free(rim);
    }
    json_object_set_new(a->claims, "rim_results", results);
    if (a->checks[WARD_CHECK_MEASUREMENT] != WARD_STATUS_FAIL) {
        ward_appraisal_pass(a, WARD_CHECK_MEASUREMENT);
    }
}

static void check_binding(struct nctx *c)
{
    if (!c->opts->has_nonce) {
        return;
    }
    if (!ward_ct_equal(c->r.request_nonce, c->opts->nonce, 32)) {
        char got[65];
        ward_hex_encode(c->r.request_nonce, 32, got);
        ward_appraisal_fail(c->a, WARD_CHECK_BINDING,
                            "the report answers nonce %s, not the expected one", got);
        return;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_BINDING);
}

int ward_verify_nvgpu(const uint8_t *report, size_t len, const struct ward_verify_opts *opts,
                      struct ward_appraisal *out)
{
    struct nctx c;
    memset(&c, 0, sizeof(c));
    ward_appraisal_init(out, "nvgpu");
    c.a = out;
    c.opts = opts;
    c.at = opts->at ? opts->at : ward_time_now();
    c.given = sk_X509_new_null();
    c.path = sk_X509_new_null();
    c.roots = sk_X509_new_null();
    if (c.given == NULL || c.path == NULL || c.roots == NULL) {
        nctx_cleanup(&c);
        ward_appraisal_cleanup(out);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    int rc = WARD_OK;
    if (ward_nvgpu_report_parse(report, len, &c.r) != WARD_OK) {
        ward_appraisal_fail(out, WARD_CHECK_SIGNATURE, "%s", ward_err_detail());
    } else if ((rc = add_claims(&c)) == WARD_OK) {
        bool chain_ok = check_chain(&c);
        bool sig_ok = chain_ok && check_signature(&c);
        json_object_set_new(out->claims, "simulated", json_boolean(out->simulated));
        if (chain_ok && sig_ok) {
            check_revocation(&c);
            check_measurements(&c);
            check_rims(&c);
            check_binding(&c);
        }
    }
    nctx_cleanup(&c);
    if (rc != WARD_OK) {
        ward_appraisal_cleanup(out);
    }
    return rc;
}
