/*
 * lib/verify/tdx_verify.c: appraisal of an Intel TDX DCAP quote with its collateral.
 *
 * Checks, in order (each records its status; see docs/architecture.md):
 *   chain        the quote's PCK chain to the pinned Intel SGX Root CA
 *   signature    QE report signed by the PCK key; QE report_data binds the
 *                attestation key and QE auth data; quote signed by the attestation key
 *   collateral   TCB info and QE identity signed by the TCB signing chain over
 *                their raw text, inside their issue/next-update window, for this
 *                FMSPC and PCE id; CRL issuers chain to the root
 *   revocation   PCK CRL and root CA CRL applied to the PCK chain
 *   qe_identity  MRSIGNER, ISVPRODID, masked MISCSELECT and ATTRIBUTES; ISVSVN level
 *   tcb          first TCB level the platform meets, TDX module identity, statuses
 *                converged, accepted by policy
 *   measurement  MRTD, RTMRs, MRCONFIGID, MROWNER, MROWNERCONFIG allow-lists
 *   policy       TD attributes (debug, SEPT_VE_DISABLE, reserved bits), XFAM, TEE_TCB_SVN
 *   binding      REPORT_DATA equals the expected value
 */
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/pcs.h"
#include "ward/sim.h"
#include "ward/tdx.h"

/* TD_ATTRIBUTES bits that are reserved (must be zero): TUD bits 1-7, SEC bits
 * 8-27 and 29, OTHER bits 32-62. */
#define TD_ATTR_RESERVED \
    (0x00000000000000FEull | 0x000000000FFFFF00ull | (1ull << 29) | 0x7FFFFFFF00000000ull)

struct tctx {
    struct ward_appraisal *a;
    const struct ward_verify_opts *opts;
    const struct tdx_policy *pol;
    int64_t at;
    struct ward_tdx_quote q;
    STACK_OF(X509) *pck;   /* leaf, then the rest of the quote's chain */
    STACK_OF(X509) *roots; /* the trust anchor(s) the PCK chain verified to */
    STACK_OF(X509_CRL) *crls;
    struct ward_pck_ext ext;
    bool have_collateral;
    struct ward_dcap_collateral col;
    struct ward_dcap_tcb_info tcb_own; /* parsed here (slow path) */
    struct ward_dcap_qe_identity qe_own;
    const struct ward_dcap_tcb_info *tcb; /* tcb_own, or the cache entry's */
    const struct ward_dcap_qe_identity *qe;
    const struct dcap_collateral_entry *entry; /* a cache reference, released at the end */
    EVP_PKEY *pck_key;                         /* owned reference to the PCK leaf's key */
    EVP_PKEY *att_key;                         /* owned: the quote's attestation key */
    bool qe_report_verified;                   /* QE report signature and binding known good */
    bool keyed;                                /* cache keys computed */
    uint8_t col_key[32];
    int64_t col_nb, col_na; /* window in which the collateral's issuer chains are valid */
    uint8_t plat_key[32];
    char qe_status[40];
    struct ward_dcap_advisories qe_advisories;
};

static void tctx_cleanup(struct tctx *c)
{
    sk_X509_pop_free(c->pck, X509_free);
    sk_X509_pop_free(c->roots, X509_free);
    sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
    ward_dcap_collateral_cleanup(&c->col);
    ward_dcap_tcb_info_cleanup(&c->tcb_own);
    ward_dcap_qe_identity_cleanup(&c->qe_own);
    if (c->entry != NULL) {
        dcap_cache_release(c->opts->dcap_cache, c->entry);
    }
    EVP_PKEY_free(c->pck_key);
    EVP_PKEY_free(c->att_key);
}

static int set_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
    return ward_json_set_hex(o, key, p, n);
}

static int add_claims(struct tctx *c)
{
    const struct ward_tdx_body *b = &c->q.body;
    json_t *cl = c->a->claims;
    char buf[32];
    int rc = 0;
    rc |= json_object_set_new(cl, "version", json_integer(c->q.header.version));
    rc |= json_object_set_new(cl, "body",
                              json_string(b->type == WARD_TDX_BODY_TD15 ? "td1.5" : "td1.0"));
    GUARD(set_hex(cl, "mrtd", b->mrtd, 48));
    static const char *const rtmr[] = {"rtmr0", "rtmr1", "rtmr2", "rtmr3"};
    for (int i = 0; i < 4; i++) {
        GUARD(set_hex(cl, rtmr[i], b->rtmr[i], 48));
    }
    GUARD(set_hex(cl, "mrconfigid", b->mrconfigid, 48));
    GUARD(set_hex(cl, "mrowner", b->mrowner, 48));
    GUARD(set_hex(cl, "mrownerconfig", b->mrownerconfig, 48));
    GUARD(set_hex(cl, "mrseam", b->mrseam, 48));
    GUARD(set_hex(cl, "mrsignerseam", b->mrsignerseam, 48));
    GUARD(set_hex(cl, "report_data", b->report_data, 64));
    GUARD(set_hex(cl, "tee_tcb_svn", b->tee_tcb_svn, 16));
    if (b->type == WARD_TDX_BODY_TD15) {
        GUARD(set_hex(cl, "tee_tcb_svn2", b->tee_tcb_svn2, 16));
        GUARD(set_hex(cl, "mrservicetd", b->mrservicetd, 48));
    }
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)b->td_attributes);
    rc |= json_object_set_new(cl, "td_attributes",
                              json_pack("{s:s,s:b,s:b,s:b,s:b,s:b}", "raw", buf, "debug",
                                        (b->td_attributes & WARD_TDX_ATTR_DEBUG) != 0,
                                        "sept_ve_disable",
                                        (b->td_attributes & WARD_TDX_ATTR_SEPT_VE_DISABLE) != 0,
                                        "pks", (b->td_attributes & WARD_TDX_ATTR_PKS) != 0, "kl",
                                        (b->td_attributes & WARD_TDX_ATTR_KL) != 0, "perfmon",
                                        (b->td_attributes & WARD_TDX_ATTR_PERFMON) != 0));
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)b->xfam);
    rc |= json_object_set_new(cl, "xfam", json_string(buf));
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)b->seam_attributes);
    rc |= json_object_set_new(cl, "seam_attributes", json_string(buf));
    char when[32];
    ward_time_format(c->at, when);
    rc |= json_object_set_new(cl, "verified_at", json_string(when));
    ENSURE(rc == 0, WARD_ERR_NOMEM);
    return WARD_OK;
}

/* ---- chain and signatures ---- */

static bool check_chain(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    X509 *intel = NULL;
    char cn[128];

    c->pck = sk_X509_new_null();
    c->roots = sk_X509_new_null();
    if (c->pck == NULL || c->roots == NULL || ward_tdx_quote_pck_chain(&c->q, c->pck) != WARD_OK ||
        sk_X509_num(c->pck) < 2) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "PCK certificate chain in the quote: %s",
                            sk_X509_num(c->pck) < 2 && ward_err_code() == WARD_OK
                                ? "fewer than two certificates"
                                : ward_err_detail());
        return false;
    }
    X509 *leaf = sk_X509_value(c->pck, 0);
    STACK_OF(X509) *inter = sk_X509_new_null();
    if (inter == NULL) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "out of memory");
        return false;
    }
    for (int i = 1; i < sk_X509_num(c->pck); i++) {
        X509 *x = sk_X509_value(c->pck, i);
        if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0) {
            sk_X509_push(inter, x);
        }
    }
    if (intel_root_get(&intel) != WARD_OK || X509_up_ref(intel) != 1 ||
        sk_X509_push(c->roots, intel) <= 0) {
        sk_X509_free(inter);
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "cannot load the Intel SGX Root CA");
        return false;
    }
    /* The chain's own root, if any, must be the pinned one (or a trusted simulator root). */
    STACK_OF(X509) *sim = NULL;
    if (c->opts->sim_dir != NULL) {
        sim = sk_X509_new_null();
        if (sim != NULL && ward_tdx_sim_roots(c->opts->sim_dir, sim) != WARD_OK) {
            ward_err_clear();
        }
    }
    int rc = chain_verify_anchored(c->opts->chain_cache, leaf, inter, inter, &c->roots, sim, c->at,
                                   &a->simulated);
    sk_X509_free(inter);
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "PCK chain to the Intel SGX Root CA: %s",
                            ward_err_detail());
        return false;
    }
    /* Every certificate the quote carries must be on the path, in order, and a root
     * it carries must be exactly the anchor: a damaged certificate is an error,
     * never something the pinned root quietly replaces. */
    for (int i = 1; i < sk_X509_num(c->pck); i++) {
        X509 *x = sk_X509_value(c->pck, i);
        if (X509_NAME_cmp(X509_get_subject_name(x),
                          X509_get_issuer_name(sk_X509_value(c->pck, i - 1))) != 0) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "certificate %d of the quote's chain did not issue certificate %d",
                                i, i - 1);
            return false;
        }
        /* A self-issued certificate, or one named like an anchor, must be that anchor. */
        bool is_root = X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
        bool known = true, claims_anchor = is_root;
        for (int k = 0; k < sk_X509_num(c->roots); k++) {
            X509 *r = sk_X509_value(c->roots, k);
            if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_subject_name(r)) == 0) {
                claims_anchor = true;
            }
        }
        if (claims_anchor) {
            known = false;
            for (int k = 0; !known && k < sk_X509_num(c->roots); k++) {
                known = X509_cmp(x, sk_X509_value(c->roots, k)) == 0;
            }
        }
        if (!known) {
            if (ward_x509_subject_cn(x, cn, sizeof(cn)) != WARD_OK) {
                snprintf(cn, sizeof(cn), "?");
            }
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "the quote's chain ends in CN=%s, not the pinned Intel root", cn);
            return false;
        }
    }
    c->pck_key = X509_get_pubkey(leaf);
    if (ward_pck_ext_parse(leaf, &c->ext) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "PCK certificate SGX extension: %s",
                            ward_err_detail());
        return false;
    }
    ward_appraisal_pass(a, WARD_CHECK_CHAIN);
    return true;
}

static bool check_signature(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_tdx_quote *q = &c->q;
    EVP_PKEY *pck_key = c->pck_key;
    uint8_t h[32];

    if (c->qe_report_verified) {
        goto quote_signature; /* the same QE report verified earlier (DCAP cache) */
    }
    if (pck_key == NULL ||
        ward_ecdsa_verify_raw(pck_key, WARD_SHA256, q->qe_report_raw, WARD_TDX_QE_REPORT_LEN,
                              q->qe_report_sig, q->qe_report_sig + 32, 32,
                              WARD_ECDSA_BE) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE,
                            "QE report signature does not verify with the PCK key: %s",
                            ward_err_detail());
        return false;
    }
    /* QE report_data = SHA-256(attestation key || QE auth data) || 32 zero bytes. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    bool ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              EVP_DigestUpdate(md, q->att_key, sizeof(q->att_key)) == 1 &&
              EVP_DigestUpdate(md, q->qe_auth_data, q->qe_auth_len) == 1 &&
              EVP_DigestFinal_ex(md, h, &n) == 1;
    EVP_MD_CTX_free(md);
    if (!ok || !ward_ct_equal(h, q->qe_report.report_data, 32) ||
        !ward_is_zero(q->qe_report.report_data + 32, 32)) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE,
                            "QE report_data does not bind the attestation key and QE auth data");
        return false;
    }
    c->qe_report_verified = true;
quote_signature:;
    int rc = c->att_key != NULL ? WARD_OK
                                : ward_ec_pubkey_from_raw(NID_X9_62_prime256v1, q->att_key,
                                                          sizeof(q->att_key), &c->att_key);
    if (rc == WARD_OK) {
        rc = ward_ecdsa_verify_raw(c->att_key, WARD_SHA256, q->signed_data, q->signed_len,
                                   q->signature, q->signature + 32, 32, WARD_ECDSA_BE);
    }
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE,
                            "quote signature does not verify with the attestation key: %s",
                            ward_err_detail());
        return false;
    }
    if (!ward_ct_equal(q->header.qe_vendor_id, WARD_TDX_INTEL_QE_VENDOR_ID, 16)) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE,
                            "quote was not produced by Intel's Quoting Enclave (vendor id)");
        return false;
    }
    ward_appraisal_pass(a, WARD_CHECK_SIGNATURE);
    return true;
}

/* ---- collateral ---- */

/* Narrows [*nb, *na] to the validity of |x|. */
static void narrow_window(X509 *x, int64_t *nb, int64_t *na)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1 && (int64_t)timegm(&tm) > *nb) {
        *nb = (int64_t)timegm(&tm);
    }
    if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1 && (int64_t)timegm(&tm) < *na) {
        *na = (int64_t)timegm(&tm);
    }
}

/* Verifies a collateral issuer chain to the anchors (every certificate on the
 * path, a carried root byte-identical to the anchor) and, when |text| is given,
 * the signature its first certificate made over the raw text. Narrows the
 * collateral's validity window to the chain's. */
static int verify_signed_doc(struct tctx *c, const char *what, const struct ward_buf *chain_pem,
                             const struct ward_buf *text, const uint8_t sig[64])
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    STACK_OF(X509) *inter = sk_X509_new_null();
    int rc = chain && inter ? ward_x509_parse_all(chain_pem->data, chain_pem->len, chain)
                            : ward_err_set(WARD_ERR_NOMEM, "out of memory");
    if (rc == WARD_OK && sk_X509_num(chain) < 1) {
        rc = ward_err_set(WARD_ERR_CHAIN, "empty issuer chain");
    }
    for (int i = 1; rc == WARD_OK && i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        if (X509_NAME_cmp(X509_get_subject_name(x),
                          X509_get_issuer_name(sk_X509_value(chain, i - 1))) != 0) {
            rc = ward_err_set(WARD_ERR_CHAIN,
                              "issuer chain certificate %d did not issue certificate %d", i, i - 1);
        } else if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) != 0) {
            sk_X509_push(inter, x);
        } else {
            bool anchor = false;
            for (int k = 0; k < sk_X509_num(c->roots) && !anchor; k++) {
                anchor = X509_cmp(x, sk_X509_value(c->roots, k)) == 0;
            }
            if (!anchor) {
                rc = ward_err_set(WARD_ERR_CHAIN,
                                  "issuer chain ends in a root that is not the pinned one");
            }
        }
    }
    if (rc == WARD_OK) {
        struct ward_chain_opts co = {.at = c->at, .crls = c->crls};
        rc = ward_x509_verify_chain(sk_X509_value(chain, 0), inter, c->roots, &co);
    }
    if (rc == WARD_OK && text != NULL) {
        EVP_PKEY *k = X509_get0_pubkey(sk_X509_value(chain, 0));
        rc = k ? ward_ecdsa_verify_raw(k, WARD_SHA256, text->data, text->len, sig, sig + 32, 32,
                                       WARD_ECDSA_BE)
               : ward_err_set(WARD_ERR_FORMAT, "issuer key");
    }
    for (int i = 0; rc == WARD_OK && i < sk_X509_num(chain); i++) {
        narrow_window(sk_X509_value(chain, i), &c->col_nb, &c->col_na);
    }
    sk_X509_free(inter);
    sk_X509_pop_free(chain, X509_free);
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("%s", what);
}

static int load_crl(const struct ward_buf *der, const char *what, STACK_OF(X509_CRL) *out)
{
    X509_CRL *crl = NULL;
    int rc = ward_crl_parse(der->data, der->len, &crl);
    if (rc != WARD_OK) {
        return ward_err_prefix("%s", what);
    }
    if (sk_X509_CRL_push(out, crl) <= 0) {
        X509_CRL_free(crl);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    return WARD_OK;
}

static bool in_window(struct tctx *c, const char *what, int64_t issue, int64_t next)
{
    char a[32], b[32], t[32];
    if (c->at >= issue && c->at <= next) {
        return true;
    }
    ward_time_format(issue, a);
    ward_time_format(next, b);
    ward_time_format(c->at, t);
    ward_appraisal_fail(c->a, WARD_CHECK_COLLATERAL, "%s is valid %s..%s, not at %s", what, a, b,
                        t);
    return false;
}

static bool load_collateral(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_blob *f = c->opts->collateral_file;
    int rc;
    if (f != NULL) {
        rc = ward_dcap_collateral_parse(f->data, f->len, &c->col);
        if (rc != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "%s: %s", f->name, ward_err_detail());
            return false;
        }
    } else {
        char cn[128];
        const char *ca = WARD_PCK_CA_PLATFORM;
        if (ward_x509_issuer_cn(sk_X509_value(c->pck, 0), cn, sizeof(cn)) == WARD_OK &&
            strstr(cn, "Processor") != NULL) {
            ca = WARD_PCK_CA_PROCESSOR;
        }
        ward_err_clear();
        rc = ward_tdx_cache_load(c->opts->cache_dir, c->ext.fmspc, ca, &c->col);
        if (rc == WARD_ERR_NOT_FOUND) {
            ward_appraisal_fail(
                a, WARD_CHECK_COLLATERAL,
                "no collateral given or cached for this FMSPC (give --collateral, or "
                "run 'ward fetch tdx')");
            return false;
        }
        if (rc != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "collateral cache: %s",
                                ward_err_detail());
            return false;
        }
    }
    c->have_collateral = true;
    return true;
}

static bool check_collateral(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    size_t before = a->num_errors;

    if (!load_collateral(c)) {
        return false;
    }
    c->crls = sk_X509_CRL_new_null();
    if (c->crls == NULL || load_crl(&c->col.root_ca_crl, "root CA CRL", c->crls) != WARD_OK ||
        load_crl(&c->col.pck_crl, "PCK CRL", c->crls) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "%s", ward_err_detail());
        return false;
    }
    if (verify_signed_doc(c, "TCB info", &c->col.tcb_info_issuer_chain, &c->col.tcb_info,
                          c->col.tcb_info_signature) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "%s", ward_err_detail());
        return false;
    }
    if (verify_signed_doc(c, "PCK CRL issuer chain", &c->col.pck_crl_issuer_chain, NULL, NULL) !=
        WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "%s", ward_err_detail());
        return false;
    }
    if (verify_signed_doc(c, "QE identity", &c->col.qe_identity_issuer_chain, &c->col.qe_identity,
                          c->col.qe_identity_signature) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "%s", ward_err_detail());
        return false;
    }
    c->tcb = &c->tcb_own;
    c->qe = &c->qe_own;
    if (ward_dcap_tcb_info_parse(c->col.tcb_info.data, c->col.tcb_info.len, &c->tcb_own) !=
        WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "TCB info: %s", ward_err_detail());
        return false;
    }
    if (ward_dcap_qe_identity_parse(c->col.qe_identity.data, c->col.qe_identity.len, &c->qe_own) !=
        WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "QE identity: %s", ward_err_detail());
        return false;
    }
    if (strcmp(c->tcb->id, "TDX") != 0 || c->tcb->version < 3) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL,
                            "TCB info is \"%s\" version %d, not TDX version 3", c->tcb->id,
                            c->tcb->version);
    }
    if (strcmp(c->qe->id, "TD_QE") != 0) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL, "QE identity is for \"%s\", not TD_QE",
                            c->qe->id);
    }
    if (!ward_ct_equal(c->tcb->fmspc, c->ext.fmspc, 6)) {
        char want[13], got[13];
        ward_hex_encode(c->ext.fmspc, 6, want);
        ward_hex_encode(c->tcb->fmspc, 6, got);
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL,
                            "TCB info is for FMSPC %s, the PCK certificate says %s", got, want);
    }
    if (!ward_ct_equal(c->tcb->pceid, c->ext.pceid, 2)) {
        ward_appraisal_fail(a, WARD_CHECK_COLLATERAL,
                            "TCB info PCE id differs from the PCK certificate's");
    }
    in_window(c, "TCB info", c->tcb->issue_date, c->tcb->next_update);
    in_window(c, "QE identity", c->qe->issue_date, c->qe->next_update);
    if (a->num_errors != before) {
        return false;
    }
    char fmspc[13];
    ward_hex_encode(c->ext.fmspc, 6, fmspc);
    json_object_set_new(a->claims, "fmspc", json_string(fmspc));
    json_object_set_new(a->claims, "tcb_evaluation_data_number",
                        json_integer(c->tcb->tcb_evaluation_data_number));
    ward_appraisal_pass(a, WARD_CHECK_COLLATERAL);
    return true;
}

static void check_revocation(struct tctx *c)
{
    STACK_OF(X509) *inter = sk_X509_new_null();
    for (int i = 1; inter != NULL && i < sk_X509_num(c->pck); i++) {
        X509 *x = sk_X509_value(c->pck, i);
        if (X509_self_signed(x, 0) != 1) {
            sk_X509_push(inter, x);
        }
    }
    struct ward_chain_opts co = {.at = c->at, .crls = c->crls, .crl_required = true};
    int rc = inter ? ward_x509_verify_chain(sk_X509_value(c->pck, 0), inter, c->roots, &co)
                   : ward_err_set(WARD_ERR_NOMEM, "out of memory");
    sk_X509_free(inter);
    if (rc != WARD_OK) {
        ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION,
                            "PCK chain against the PCK and root CA CRLs: %s", ward_err_detail());
        return;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_REVOCATION);
}

/* ---- QE identity ---- */

static bool masked_equal(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) {
        diff |= (uint8_t)((a[i] ^ b[i]) & mask[i]);
    }
    return diff == 0;
}

static void check_qe_identity(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_sgx_report *r = &c->q.qe_report;
    const struct ward_dcap_qe_identity *id = c->qe;

    if (!ward_ct_equal(r->mrsigner, id->mrsigner, 32)) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY, "QE MRSIGNER is not Intel's");
        return;
    }
    if (r->isvprodid != id->isvprodid) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY, "QE ISVPRODID %u, expected %u", r->isvprodid,
                            id->isvprodid);
        return;
    }
    if (((r->miscselect ^ id->miscselect) & id->miscselect_mask) != 0) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY,
                            "QE MISCSELECT 0x%08x does not match under the mask", r->miscselect);
        return;
    }
    if (!masked_equal(r->attributes, id->attributes, id->attributes_mask, 16)) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY, "QE ATTRIBUTES do not match under the mask");
        return;
    }
    const struct ward_dcap_qe_level *lvl = NULL;
    for (size_t i = 0; i < id->num_levels && lvl == NULL; i++) {
        if (r->isvsvn >= id->levels[i].isvsvn) {
            lvl = &id->levels[i];
        }
    }
    if (lvl == NULL) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY,
                            "QE ISVSVN %u is below every level of the QE identity", r->isvsvn);
        return;
    }
    snprintf(c->qe_status, sizeof(c->qe_status), "%s", lvl->status);
    c->qe_advisories = lvl->advisories;
    json_object_set_new(a->claims, "qe_tcb_status", json_string(lvl->status));
    if (strcmp(lvl->status, "Revoked") == 0) {
        ward_appraisal_fail(a, WARD_CHECK_QE_IDENTITY, "QE ISVSVN %u is revoked", r->isvsvn);
        return;
    }
    ward_appraisal_pass(a, WARD_CHECK_QE_IDENTITY);
}

/* ---- TCB ---- */

static void add_advisories(json_t *arr, const struct ward_dcap_advisories *adv)
{
    for (size_t i = 0; i < adv->num; i++) {
        bool dup = false;
        size_t k;
        json_t *v;
        json_array_foreach(arr, k, v)
        {
            dup |= strcmp(json_string_value(v), adv->ids[i]) == 0;
        }
        if (!dup) {
            json_array_append_new(arr, json_string(adv->ids[i]));
        }
    }
}

/* Intel's status convergence: an out-of-date QE or TDX module makes the platform
 * out of date, keeping "configuration needed" when the platform status has it. */
static void converge(char *status, size_t len, const char *other)
{
    if (other[0] == '\0' || strcmp(other, "OutOfDate") != 0) {
        if (strcmp(other, "Revoked") == 0) {
            snprintf(status, len, "Revoked");
        }
        return;
    }
    if (strcmp(status, "UpToDate") == 0 || strcmp(status, "SWHardeningNeeded") == 0) {
        snprintf(status, len, "OutOfDate");
    } else if (strcmp(status, "ConfigurationNeeded") == 0 ||
               strcmp(status, "ConfigurationAndSWHardeningNeeded") == 0) {
        snprintf(status, len, "OutOfDateConfigurationNeeded");
    }
}

static void check_tcb(struct tctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct ward_tdx_body *b = &c->q.body;
    const struct ward_dcap_tcb_info *t = c->tcb;
    uint8_t module_version = b->tee_tcb_svn[1];
    char status[40];
    json_t *adv = json_array();

    /* With a TDX module of version > 0, its SVN (components 0 and 1) is judged by
     * the module identity below, not by the platform levels (Intel QVL). */
    size_t tdx_start = module_version > 0 && t->num_modules > 0 ? 2 : 0;
    const struct ward_dcap_tcb_level *lvl = NULL;
    for (size_t i = 0; i < t->num_levels && lvl == NULL; i++) {
        const struct ward_dcap_tcb_level *l = &t->levels[i];
        bool ok = c->ext.pcesvn >= l->pcesvn;
        for (int k = 0; k < 16 && ok; k++) {
            ok = c->ext.comp_svn[k] >= l->sgx_comp[k];
        }
        for (size_t k = tdx_start; k < 16 && ok; k++) {
            ok = b->tee_tcb_svn[k] >= l->tdx_comp[k];
        }
        if (ok) {
            lvl = l;
        }
    }
    if (lvl == NULL) {
        char svn[33];
        ward_hex_encode(b->tee_tcb_svn, 16, svn);
        json_decref(adv);
        json_object_set_new(a->claims, "tcb_status", json_string("NotMatched"));
        ward_appraisal_fail(
            a, WARD_CHECK_TCB,
            "platform TCB (PCESVN %u, TEE_TCB_SVN %s) matches no TCB level of the TCB info",
            c->ext.pcesvn, svn);
        return;
    }
    snprintf(status, sizeof(status), "%s", lvl->status);
    add_advisories(adv, &lvl->advisories);

    /* TDX module identity. */
    const uint8_t *want_signer = t->tdx_module_mrsigner;
    uint64_t want_attr = t->tdx_module_attributes, mask = t->tdx_module_attributes_mask;
    const struct ward_dcap_module_identity *mod = NULL;
    if (module_version > 0 && t->num_modules > 0) {
        char id[16];
        snprintf(id, sizeof(id), "TDX_%02X", module_version);
        for (size_t i = 0; i < t->num_modules && mod == NULL; i++) {
            if (strcmp(t->modules[i].id, id) == 0) {
                mod = &t->modules[i];
            }
        }
        if (mod == NULL) {
            json_decref(adv);
            ward_appraisal_fail(a, WARD_CHECK_TCB, "TCB info has no identity for TDX module %s",
                                id);
            return;
        }
        want_signer = mod->mrsigner;
        want_attr = mod->attributes;
        mask = mod->attributes_mask;
    }
    if ((t->has_tdx_module || mod != NULL) && (!ward_ct_equal(b->mrsignerseam, want_signer, 48) ||
                                               ((b->seam_attributes ^ want_attr) & mask) != 0)) {
        json_decref(adv);
        ward_appraisal_fail(
            a, WARD_CHECK_TCB,
            "TDX module (MRSIGNERSEAM, SEAM attributes) does not match the TCB info");
        return;
    }
    if (mod != NULL) {
        const char *mstatus = NULL;
        for (size_t i = 0; i < mod->num_levels && mstatus == NULL; i++) {
            if (b->tee_tcb_svn[0] >= mod->levels[i].isvsvn) {
                mstatus = mod->levels[i].status;
                add_advisories(adv, &mod->levels[i].advisories);
            }
        }
        if (mstatus == NULL) {
            json_decref(adv);
            ward_appraisal_fail(a, WARD_CHECK_TCB, "TDX module SVN %u is below every level of %s",
                                b->tee_tcb_svn[0], mod->id);
            return;
        }
        json_object_set_new(a->claims, "tdx_module_tcb_status", json_string(mstatus));
        converge(status, sizeof(status), mstatus);
    }
    converge(status, sizeof(status), c->qe_status);
    add_advisories(adv, &c->qe_advisories);
    json_object_set_new(a->claims, "tcb_status", json_string(status));
    json_object_set_new(a->claims, "advisory_ids", adv);
    char date[32];
    ward_time_format(lvl->tcb_date, date);
    json_object_set_new(a->claims, "tcb_date", json_string(date));

    bool accepted = false;
    for (size_t i = 0; i < c->pol->num_statuses; i++) {
        accepted |= strcmp(c->pol->statuses[i], status) == 0;
    }
    if (!accepted) {
        ward_appraisal_fail(a, WARD_CHECK_TCB, "TCB status %s is not accepted by the policy",
                            status);
        return;
    }
    if (c->pol->has_min_tee_tcb_svn) {
        for (int k = 0; k < 16; k++) {
            if (b->tee_tcb_svn[k] < c->pol->min_tee_tcb_svn[k]) {
                ward_appraisal_fail(a, WARD_CHECK_TCB,
                                    "TEE_TCB_SVN component %d is %u, below the policy minimum %u",
                                    k, b->tee_tcb_svn[k], c->pol->min_tee_tcb_svn[k]);
                return;
            }
        }
    }
    ward_appraisal_pass(a, WARD_CHECK_TCB);
}

/* ---- measurement, policy, binding ---- */

static bool in_list48(const uint8_t *v, uint8_t (*list)[48], size_t num)
{
    bool found = false;
    for (size_t i = 0; i < num; i++) {
        found |= ward_ct_equal(v, list[i], 48);
    }
    return found;
}

static void check_measurement(struct tctx *c)
{
    const struct tdx_policy *p = c->pol;
    const struct ward_tdx_body *b = &c->q.body;
    const uint8_t *regs[7] = {b->mrtd,    b->rtmr[0],    b->rtmr[1], b->rtmr[2],
                              b->rtmr[3], b->mrconfigid, b->mrowner};
    bool any = false;
    size_t before = c->a->num_errors;
    for (int i = 0; i < 7; i++) {
        if (p->num_mr[i] == 0) {
            continue;
        }
        any = true;
        if (!in_list48(regs[i], p->mr[i], p->num_mr[i])) {
            char hex[97];
            ward_hex_encode(regs[i], 48, hex);
            ward_appraisal_fail(c->a, WARD_CHECK_MEASUREMENT, "%s %s is not in the policy's list",
                                tdx_mr_names[i], hex);
        }
    }
    if (p->num_mrownerconfig > 0) {
        any = true;
        if (!in_list48(b->mrownerconfig, p->mrownerconfig, p->num_mrownerconfig)) {
            ward_appraisal_fail(c->a, WARD_CHECK_MEASUREMENT,
                                "mrownerconfig is not in the policy's list");
        }
    }
    if (any && c->a->num_errors == before) {
        ward_appraisal_pass(c->a, WARD_CHECK_MEASUREMENT);
    }
}

static void check_policy(struct tctx *c)
{
    const struct tdx_policy *p = c->pol;
    const struct ward_tdx_body *b = &c->q.body;
    struct ward_appraisal *a = c->a;
    size_t before = a->num_errors;
    if ((b->td_attributes & WARD_TDX_ATTR_DEBUG) && !p->allow_debug) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY,
                            "TD is debuggable (TD_ATTRIBUTES.DEBUG); refused");
    }
    if (!(b->td_attributes & WARD_TDX_ATTR_SEPT_VE_DISABLE) && p->require_sept_ve_disable) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "TD_ATTRIBUTES.SEPT_VE_DISABLE is not set");
    }
    if (b->td_attributes & TD_ATTR_RESERVED) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "reserved TD_ATTRIBUTES bits are set (0x%016llx)",
                            (unsigned long long)(b->td_attributes & TD_ATTR_RESERVED));
    }
    if (b->type == WARD_TDX_BODY_TD15 && !ward_is_zero(b->mrservicetd, 48)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY,
                            "MRSERVICETD is set; service TDs are not accepted");
    }
    if (p->num_xfam > 0) {
        bool ok = false;
        for (size_t i = 0; i < p->num_xfam; i++) {
            ok |= p->xfam[i] == b->xfam;
        }
        if (!ok) {
            ward_appraisal_fail(a, WARD_CHECK_POLICY, "XFAM 0x%016llx is not allowed",
                                (unsigned long long)b->xfam);
        }
    }
    if (a->num_errors == before) {
        ward_appraisal_pass(a, WARD_CHECK_POLICY);
    }
}

static void check_binding(struct tctx *c)
{
    const uint8_t *want = c->opts->has_report_data  ? c->opts->report_data
                          : c->pol->has_report_data ? c->pol->report_data
                                                    : NULL;
    if (want == NULL) {
        return;
    }
    if (!ward_ct_equal(c->q.body.report_data, want, 64)) {
        char got[129];
        ward_hex_encode(c->q.body.report_data, 64, got);
        ward_appraisal_fail(c->a, WARD_CHECK_BINDING,
                            "REPORT_DATA %s differs from the expected value", got);
        return;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_BINDING);
}

/* ---- the DCAP cache ---- */

static int time_of(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    ENSURE(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1, WARD_ERR_FORMAT);
    *out = (int64_t)timegm(&tm);
    return WARD_OK;
}

/* Keys: the collateral by its bytes and the anchors in play; the platform by its
 * chain, its QE report (with signature, auth data and the attestation key it
 * binds) and the collateral whose CRLs it passed. */
static void cache_keys(struct tctx *c)
{
    const struct ward_blob *f = c->opts->collateral_file;
    const char *sim = c->opts->sim_dir ? c->opts->sim_dir : "";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    c->keyed = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
               EVP_DigestUpdate(md, f->data, f->len) == 1 &&
               EVP_DigestUpdate(md, sim, strlen(sim) + 1) == 1 &&
               EVP_DigestFinal_ex(md, c->col_key, &n) == 1 &&
               EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
               EVP_DigestUpdate(md, c->q.pck_chain_pem, c->q.pck_chain_len) == 1 &&
               EVP_DigestUpdate(md, c->q.att_key, sizeof(c->q.att_key)) == 1 &&
               EVP_DigestUpdate(
                   md, c->q.qe_report_raw,
                   (size_t)(c->q.qe_auth_data + c->q.qe_auth_len - c->q.qe_report_raw)) == 1 &&
               EVP_DigestUpdate(md, c->col_key, sizeof(c->col_key)) == 1 &&
               EVP_DigestFinal_ex(md, c->plat_key, &n) == 1;
    EVP_MD_CTX_free(md);
}

/* The fast path: both the collateral and this platform verified before, and the
 * verification time is inside both windows. Signatures are still checked. */
static bool from_cache(struct tctx *c)
{
    struct ward_dcap_cache *cache = c->opts->dcap_cache;
    bool simulated = false;
    c->entry = dcap_cache_get_collateral(cache, c->col_key, c->at);
    if (c->entry == NULL) {
        return false;
    }
    if (!dcap_cache_get_platform(cache, c->plat_key, c->at, &c->att_key, &c->ext, &simulated)) {
        dcap_cache_release(cache, c->entry);
        c->entry = NULL;
        return false;
    }
    c->qe_report_verified = true;
    c->tcb = &c->entry->tcb;
    c->qe = &c->entry->qe;
    c->a->simulated = simulated;
    ward_appraisal_pass(c->a, WARD_CHECK_CHAIN);
    ward_appraisal_pass(c->a, WARD_CHECK_COLLATERAL);
    ward_appraisal_pass(c->a, WARD_CHECK_REVOCATION);
    char fmspc[13];
    ward_hex_encode(c->ext.fmspc, 6, fmspc);
    json_object_set_new(c->a->claims, "fmspc", json_string(fmspc));
    json_object_set_new(c->a->claims, "tcb_evaluation_data_number",
                        json_integer(c->tcb->tcb_evaluation_data_number));
    return true;
}

/* Remembers what this appraisal verified: the platform's window is where every
 * certificate of its chain and both CRLs are valid. */
static void fill_cache(struct tctx *c)
{
    struct ward_dcap_cache *cache = c->opts->dcap_cache;
    int64_t nb = INT64_MIN, na = INT64_MAX, t;
    for (int i = 0; i < sk_X509_num(c->pck); i++) {
        X509 *x = sk_X509_value(c->pck, i);
        if (time_of(X509_get0_notBefore(x), &t) != WARD_OK) {
            return;
        }
        nb = t > nb ? t : nb;
        if (time_of(X509_get0_notAfter(x), &t) != WARD_OK) {
            return;
        }
        na = t < na ? t : na;
    }
    for (int i = 0; i < sk_X509_CRL_num(c->crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(c->crls, i);
        if (time_of(X509_CRL_get0_lastUpdate(crl), &t) != WARD_OK) {
            return;
        }
        nb = t > nb ? t : nb;
        if (time_of(X509_CRL_get0_nextUpdate(crl), &t) != WARD_OK) {
            return;
        }
        na = t < na ? t : na;
    }
    dcap_cache_put_platform(cache, c->plat_key, nb, na, c->att_key, &c->ext, c->a->simulated);
    const struct dcap_collateral_entry *known = dcap_cache_get_collateral(cache, c->col_key, c->at);
    if (known != NULL) {
        dcap_cache_release(cache, known); /* another platform already brought it */
        return;
    }
    dcap_cache_put_collateral(cache, c->col_key, c->col_nb, c->col_na, &c->tcb_own, &c->qe_own);
}

static int appraise(struct tctx *c, const uint8_t *quote, size_t len)
{
    struct ward_appraisal *a = c->a;
    if (ward_tdx_quote_parse(quote, len, &c->q) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE, "%s", ward_err_detail());
        return WARD_OK;
    }
    GUARD(add_claims(c));
    if (c->opts->dcap_cache != NULL && c->opts->collateral_file != NULL) {
        cache_keys(c);
    }
    bool cached = c->keyed && from_cache(c);
    if (!cached) {
        bool chain_ok = check_chain(c);
        bool sig_ok = chain_ok && check_signature(c);
        json_object_set_new(a->claims, "simulated", json_boolean(a->simulated));
        if (!chain_ok || !sig_ok) {
            return WARD_OK;
        }
        if (!check_collateral(c)) {
            return WARD_OK; /* without trusted collateral neither TCB nor QE can be judged */
        }
        check_revocation(c);
    } else {
        json_object_set_new(a->claims, "simulated", json_boolean(a->simulated));
        if (!check_signature(c)) {
            return WARD_OK;
        }
    }
    check_qe_identity(c);
    if (a->checks[WARD_CHECK_QE_IDENTITY] == WARD_STATUS_PASS) {
        check_tcb(c);
    }
    check_measurement(c);
    check_policy(c);
    check_binding(c);
    if (!cached && c->keyed && a->checks[WARD_CHECK_CHAIN] == WARD_STATUS_PASS &&
        a->checks[WARD_CHECK_COLLATERAL] == WARD_STATUS_PASS &&
        a->checks[WARD_CHECK_REVOCATION] == WARD_STATUS_PASS) {
        fill_cache(c);
    }
    return WARD_OK;
}

int ward_verify_tdx(const uint8_t *quote, size_t len, const struct ward_verify_opts *opts,
                    struct ward_appraisal *out)
{
    struct ward_policy *def = NULL;
    struct tctx c;
    memset(&c, 0, sizeof(c));
    if (opts->policy == NULL) {
        GUARD(ward_policy_default(&def));
    }
    ward_appraisal_init(out, "tdx");
    c.a = out;
    c.opts = opts;
    c.pol = opts->policy ? &opts->policy->tdx : &def->tdx;
    c.at = opts->at ? opts->at : ward_time_now();
    c.col_nb = INT64_MIN;
    c.col_na = INT64_MAX;
    int rc = appraise(&c, quote, len);
    tctx_cleanup(&c);
    ward_policy_free(def);
    if (rc != WARD_OK) {
        ward_appraisal_cleanup(out);
    }
    return rc;
}
