/*
 * tests/unit/test_sim_tdx.c: the Intel TDX simulator. Quotes it signs must parse
 * and re-encode byte for byte, verify with the attestation key, carry a QE report
 * that binds that key and verifies with the PCK key, and chain PCK leaf -> PCK CA
 * -> the simulator root; the collateral must be signed by the TCB signing key and
 * describe the same platform (FMSPC, QE identity, TCB levels). The roots say
 * "NOT INTEL" and are reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/sim.h"
#include "ward/tdx.h"

#include "sim_test_util.h"

/* One simulator run's output, parsed. */
struct tdx_out {
    struct ward_buf quote;
    struct ward_dcap_collateral coll;
    struct ward_tdx_quote q;
    STACK_OF(X509) *chain; /* PCK leaf, PCK CA, root, from the quote */
    X509 *leaf, *pck_ca, *root;
};

static void tdx_out_cleanup(struct tdx_out *o)
{
    ward_buf_cleanup(&o->quote);
    ward_dcap_collateral_cleanup(&o->coll);
    sk_X509_pop_free(o->chain, X509_free);
    memset(o, 0, sizeof(*o));
}

static int setup(void **state)
{
    return sim_test_dir_new("/tmp/ward-test-sim-tdx-XXXXXX", state);
}

static void sim_run(const struct ward_tdx_sim_opts *opts, struct tdx_out *o)
{
    memset(o, 0, sizeof(*o));
    int rc = ward_tdx_sim_quote(opts, &o->quote, &o->coll);
    if (rc != WARD_OK) {
        fail_msg("ward_tdx_sim_quote: %s", ward_err_detail());
    }
    rc = ward_tdx_quote_parse(o->quote.data, o->quote.len, &o->q);
    if (rc != WARD_OK) {
        fail_msg("ward_tdx_quote_parse: %s", ward_err_detail());
    }
    assert_int_equal(o->q.padding_len, 0);
    assert_int_equal(o->q.quote_len, o->quote.len);

    /* The type-5 data is PEM leaf, CA, root and a NUL, like Intel's QE writes. */
    assert_true(o->q.pck_chain_len > 1);
    assert_int_equal(o->q.pck_chain_pem[o->q.pck_chain_len - 1], 0);
    o->chain = sk_X509_new_null();
    assert_non_null(o->chain);
    assert_int_equal(ward_x509_parse_all(o->q.pck_chain_pem, o->q.pck_chain_len - 1, o->chain),
                     WARD_OK);
    assert_int_equal(sk_X509_num(o->chain), 3);
    o->leaf = sk_X509_value(o->chain, 0);
    o->pck_ca = sk_X509_value(o->chain, 1);
    o->root = sk_X509_value(o->chain, 2);
}

/* pubkey_from_xy builds a P-256 public key from raw x||y (as the quote carries it). */
static EVP_PKEY *pubkey_from_xy(const uint8_t xy[64])
{
    uint8_t point[65];
    point[0] = 0x04;
    memcpy(point + 1, xy, 64);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    assert_non_null(bld);
    assert_int_equal(
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0), 1);
    assert_int_equal(
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)), 1);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    assert_non_null(params);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    assert_non_null(ctx);
    EVP_PKEY *key = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

static int verify64(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t sig[64])
{
    return ward_ecdsa_verify_raw(key, WARD_SHA256, msg, len, sig, sig + 32, 32, WARD_ECDSA_BE);
}

/* check_reencode: the parsed quote encodes back to the same bytes. */
static void check_reencode(const struct tdx_out *o)
{
    struct ward_buf again = {0};
    assert_int_equal(ward_tdx_quote_encode(&o->q, &again), WARD_OK);
    assert_int_equal(again.len, o->quote.len);
    assert_memory_equal(again.data, o->quote.data, again.len);
    ward_buf_cleanup(&again);
}

/* check_quote_signature: the quote verifies with its attestation key over
 * header || [v5 descriptor] || body; flipped bytes do not. */
static void check_quote_signature(const struct tdx_out *o)
{
    size_t body_len =
        o->q.body.type == WARD_TDX_BODY_TD15 ? WARD_TDX_BODY15_LEN : WARD_TDX_BODY10_LEN;
    size_t want = WARD_TDX_HEADER_LEN + (o->q.header.version == 5 ? 6 : 0) + body_len;
    assert_int_equal(o->q.signed_len, want);
    assert_ptr_equal(o->q.signed_data, o->quote.data);

    EVP_PKEY *att = pubkey_from_xy(o->q.att_key);
    assert_int_equal(verify64(att, o->q.signed_data, o->q.signed_len, o->q.signature), WARD_OK);

    uint8_t *copy = malloc(o->q.signed_len);
    assert_non_null(copy);
    memcpy(copy, o->q.signed_data, o->q.signed_len);
    copy[o->q.signed_len - 1] ^= 0x01; /* REPORT_DATA or MRSERVICETD */
    assert_int_equal(verify64(att, copy, o->q.signed_len, o->q.signature), WARD_ERR_SIGNATURE);
    free(copy);
    uint8_t bad[64];
    memcpy(bad, o->q.signature, sizeof(bad));
    bad[40] ^= 0x80;
    assert_int_equal(verify64(att, o->q.signed_data, o->q.signed_len, bad), WARD_ERR_SIGNATURE);
    EVP_PKEY_free(att);
}

/* check_qe_report: the QE report binds the attestation key and auth data, and
 * is signed by the PCK leaf's key. */
static void check_qe_report(const struct tdx_out *o)
{
    const struct ward_sgx_report *r = &o->q.qe_report;
    uint8_t buf[64 + WARD_TDX_QE_AUTH_MAX];
    assert_true(o->q.qe_auth_len <= WARD_TDX_QE_AUTH_MAX);
    memcpy(buf, o->q.att_key, 64);
    memcpy(buf + 64, o->q.qe_auth_data, o->q.qe_auth_len);
    uint8_t want[64] = {0};
    assert_int_equal(ward_digest(WARD_SHA256, buf, 64 + o->q.qe_auth_len, want), WARD_OK);
    assert_memory_equal(r->report_data, want, 64);
    assert_int_equal(o->q.qe_auth_len, 32);
    for (size_t i = 0; i < o->q.qe_auth_len; i++) {
        assert_int_equal(o->q.qe_auth_data[i], i);
    }

    assert_int_equal(r->isvprodid, 2);
    assert_int_equal(r->isvsvn, 8);
    assert_int_equal(r->miscselect, 0);
    assert_int_equal(r->attributes[0], 0x15);

    EVP_PKEY *pck = X509_get0_pubkey(o->leaf);
    assert_non_null(pck);
    assert_true(EVP_PKEY_is_a(pck, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(pck), 256);
    assert_int_equal(verify64(pck, o->q.qe_report_raw, WARD_TDX_QE_REPORT_LEN, o->q.qe_report_sig),
                     WARD_OK);
    uint8_t raw[WARD_TDX_QE_REPORT_LEN];
    memcpy(raw, o->q.qe_report_raw, sizeof(raw));
    raw[320] ^= 0x01; /* REPORT_DATA */
    assert_int_equal(verify64(pck, raw, sizeof(raw), o->q.qe_report_sig), WARD_ERR_SIGNATURE);
    /* The attestation key does not sign QE reports. */
    EVP_PKEY *att = pubkey_from_xy(o->q.att_key);
    assert_int_equal(verify64(att, o->q.qe_report_raw, WARD_TDX_QE_REPORT_LEN, o->q.qe_report_sig),
                     WARD_ERR_SIGNATURE);
    EVP_PKEY_free(att);
}

/* check_name: CN and O=WARD_SIM_ORG_INTEL ("NOT INTEL"). */
static void check_name(X509 *cert, const char *cn, const char *issuer_cn)
{
    sim_test_assert_names(cert, cn, issuer_cn, WARD_SIM_ORG_INTEL, "NOT INTEL");
    assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA256);
}

/* check_chain: PCK leaf -> PCK CA -> the simulator root in |dir|, now, with the
 * collateral's CRLs required; and the TCB signing certificate -> root. */
static void check_chain(const char *dir, const struct tdx_out *o)
{
    STACK_OF(X509) *roots = sk_X509_new_null();
    STACK_OF(X509) *inter = sk_X509_new_null();
    STACK_OF(X509_CRL) *crls = sk_X509_CRL_new_null();
    assert_non_null(roots);
    assert_non_null(inter);
    assert_non_null(crls);
    assert_int_equal(ward_tdx_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), 1);
    assert_int_equal(X509_cmp(sk_X509_value(roots, 0), o->root), 0);
    assert_true(sk_X509_push(inter, o->pck_ca) > 0);
    X509_up_ref(o->pck_ca);

    X509_CRL *crl = NULL;
    assert_int_equal(ward_crl_parse(o->coll.root_ca_crl.data, o->coll.root_ca_crl.len, &crl),
                     WARD_OK);
    assert_true(sk_X509_CRL_push(crls, crl) > 0);
    crl = NULL;
    assert_int_equal(ward_crl_parse(o->coll.pck_crl.data, o->coll.pck_crl.len, &crl), WARD_OK);
    assert_true(sk_X509_CRL_push(crls, crl) > 0);

    struct ward_chain_opts copts = {.at = ward_time_now(), .crls = crls, .crl_required = true};
    int rc = ward_x509_verify_chain(o->leaf, inter, roots, &copts);
    if (rc != WARD_OK) {
        fail_msg("PCK chain: %s", ward_err_detail());
    }
    /* Without the PCK CA there is no path. */
    struct ward_chain_opts plain = {.at = ward_time_now()};
    assert_int_equal(ward_x509_verify_chain(o->leaf, NULL, roots, &plain), WARD_ERR_CHAIN);
    /* The CRLs go stale after 30 days. */
    struct ward_chain_opts late = {
        .at = ward_time_now() + 40 * 86400, .crls = crls, .crl_required = true};
    assert_int_equal(ward_x509_verify_chain(o->leaf, inter, roots, &late), WARD_ERR_EXPIRED);

    /* The issuer chains name the right certificates. */
    STACK_OF(X509) *pck_issuers = sk_X509_new_null();
    assert_int_equal(ward_x509_parse_all(o->coll.pck_crl_issuer_chain.data,
                                         o->coll.pck_crl_issuer_chain.len, pck_issuers),
                     WARD_OK);
    assert_int_equal(sk_X509_num(pck_issuers), 2);
    assert_int_equal(X509_cmp(sk_X509_value(pck_issuers, 0), o->pck_ca), 0);
    assert_int_equal(X509_cmp(sk_X509_value(pck_issuers, 1), o->root), 0);
    sk_X509_pop_free(pck_issuers, X509_free);

    sk_X509_CRL_pop_free(crls, X509_CRL_free);
    sk_X509_pop_free(inter, X509_free);
    sk_X509_pop_free(roots, X509_free);
}

/* tcb_signer parses the first certificate of |chain_pem| and checks it chains
 * to the simulator root. Caller frees. */
static X509 *tcb_signer(const char *dir, const struct ward_buf *chain_pem, X509 *root)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    assert_non_null(certs);
    assert_int_equal(ward_x509_parse_all(chain_pem->data, chain_pem->len, certs), WARD_OK);
    assert_int_equal(sk_X509_num(certs), 2);
    X509 *signer = sk_X509_shift(certs);
    assert_int_equal(X509_cmp(sk_X509_value(certs, 0), root), 0);
    check_name(signer, "SIM Intel SGX TCB Signing", "SIM Intel SGX Root CA");
    assert_int_equal(X509_check_ca(signer), 0);

    STACK_OF(X509) *roots = sk_X509_new_null();
    assert_int_equal(ward_tdx_sim_roots(dir, roots), WARD_OK);
    struct ward_chain_opts copts = {.at = ward_time_now()};
    int rc = ward_x509_verify_chain(signer, NULL, roots, &copts);
    if (rc != WARD_OK) {
        fail_msg("TCB signing chain: %s", ward_err_detail());
    }
    sk_X509_pop_free(roots, X509_free);
    sk_X509_pop_free(certs, X509_free);
    return signer;
}

/* check_signed_doc: |sig| verifies with |key| over |text|, not over a changed text. */
static void check_signed_doc(EVP_PKEY *key, const struct ward_buf *text, const uint8_t sig[64])
{
    assert_int_equal(verify64(key, text->data, text->len, sig), WARD_OK);
    uint8_t *copy = malloc(text->len);
    assert_non_null(copy);
    memcpy(copy, text->data, text->len);
    copy[text->len / 2] ^= 0x01;
    assert_int_equal(verify64(key, copy, text->len, sig), WARD_ERR_SIGNATURE);
    free(copy);
}

/* level_status is the status of the first level the platform meets (Intel's
 * order): the PCK certificate's SGX components and PCESVN, and the quote's
 * TEE_TCB_SVN from index 2 (the module's own SVN is judged by its identity). */
static const char *level_status(const struct ward_dcap_tcb_info *ti, const struct ward_pck_ext *pck,
                                const uint8_t tee_tcb_svn[16])
{
    for (size_t i = 0; i < ti->num_levels; i++) {
        const struct ward_dcap_tcb_level *l = &ti->levels[i];
        bool ok = pck->pcesvn >= l->pcesvn;
        for (size_t c = 0; c < 16; c++) {
            ok = ok && pck->comp_svn[c] >= l->sgx_comp[c];
            ok = ok && (c < 2 || tee_tcb_svn[c] >= l->tdx_comp[c]);
        }
        if (ok) {
            return l->status;
        }
    }
    return "none";
}

/* check_collateral: TCB info and QE identity describe this platform and QE and are
 * signed by the TCB signing key; the bundle round-trips. Returns the status of
 * the platform's TCB level. */
static void check_collateral(const char *dir, const struct tdx_out *o, const uint8_t fmspc[6],
                             const char *want_status)
{
    X509 *signer = tcb_signer(dir, &o->coll.tcb_info_issuer_chain, o->root);
    X509 *signer2 = tcb_signer(dir, &o->coll.qe_identity_issuer_chain, o->root);
    assert_int_equal(X509_cmp(signer, signer2), 0);
    X509_free(signer2);
    EVP_PKEY *key = X509_get0_pubkey(signer);
    check_signed_doc(key, &o->coll.tcb_info, o->coll.tcb_info_signature);
    check_signed_doc(key, &o->coll.qe_identity, o->coll.qe_identity_signature);
    /* The PCK key does not sign collateral. */
    assert_int_equal(verify64(X509_get0_pubkey(o->leaf), o->coll.tcb_info.data,
                              o->coll.tcb_info.len, o->coll.tcb_info_signature),
                     WARD_ERR_SIGNATURE);
    X509_free(signer);

    struct ward_pck_ext pck;
    int rc = ward_pck_ext_parse(o->leaf, &pck);
    if (rc != WARD_OK) {
        fail_msg("ward_pck_ext_parse: %s", ward_err_detail());
    }
    assert_memory_equal(pck.fmspc, fmspc, 6);
    assert_int_equal(pck.pceid[0], 0);
    assert_int_equal(pck.pceid[1], 0);
    assert_int_equal(pck.sgx_type, 0);
    assert_false(pck.has_platform_instance_id);
    assert_memory_equal(pck.cpusvn, pck.comp_svn, 16);
    assert_memory_equal(o->q.qe_report.cpusvn, pck.cpusvn, 16);

    struct ward_dcap_tcb_info ti;
    rc = ward_dcap_tcb_info_parse(o->coll.tcb_info.data, o->coll.tcb_info.len, &ti);
    if (rc != WARD_OK) {
        fail_msg("ward_dcap_tcb_info_parse: %s", ward_err_detail());
    }
    assert_string_equal(ti.id, "TDX");
    assert_int_equal(ti.version, 3);
    assert_memory_equal(ti.fmspc, pck.fmspc, 6);
    assert_memory_equal(ti.pceid, pck.pceid, 2);
    assert_int_equal(ti.tcb_type, 0);
    assert_int_equal(ti.tcb_evaluation_data_number, 17);
    int64_t now = ward_time_now();
    assert_true(ti.issue_date <= now && ti.issue_date > now - 2 * 3600);
    assert_true(ti.next_update > now + 29 * 86400);
    assert_true(ti.has_tdx_module);
    assert_memory_equal(ti.tdx_module_mrsigner, o->q.body.mrsignerseam, 48);
    assert_int_equal(ti.tdx_module_attributes, 0);
    assert_int_equal(ti.tdx_module_attributes_mask, UINT64_MAX);
    assert_int_equal(ti.num_levels, 2);
    assert_string_equal(ti.levels[0].status, "UpToDate");
    assert_int_equal(ti.levels[0].advisories.num, 0);
    assert_string_equal(ti.levels[1].status, "OutOfDate");
    assert_int_equal(ti.levels[1].advisories.num, 1);
    assert_string_equal(ti.levels[1].advisories.ids[0], "INTEL-SA-00000");
    assert_string_equal(level_status(&ti, &pck, o->q.body.tee_tcb_svn), want_status);

    /* The module identity for TEE_TCB_SVN[1] exists and admits TEE_TCB_SVN[0]. */
    char want_id[16];
    snprintf(want_id, sizeof(want_id), "TDX_%02X", o->q.body.tee_tcb_svn[1]);
    bool found = false;
    for (size_t i = 0; i < ti.num_modules; i++) {
        if (strcmp(ti.modules[i].id, want_id) == 0) {
            found = true;
            assert_true(ti.modules[i].num_levels >= 1);
            assert_int_equal(ti.modules[i].levels[0].isvsvn, o->q.body.tee_tcb_svn[0]);
            assert_string_equal(ti.modules[i].levels[0].status, "UpToDate");
        }
    }
    assert_true(found);
    ward_dcap_tcb_info_cleanup(&ti);

    struct ward_dcap_qe_identity qi;
    rc = ward_dcap_qe_identity_parse(o->coll.qe_identity.data, o->coll.qe_identity.len, &qi);
    if (rc != WARD_OK) {
        fail_msg("ward_dcap_qe_identity_parse: %s", ward_err_detail());
    }
    assert_string_equal(qi.id, "TD_QE");
    assert_int_equal(qi.version, 2);
    assert_memory_equal(qi.mrsigner, o->q.qe_report.mrsigner, 32);
    assert_int_equal(qi.isvprodid, o->q.qe_report.isvprodid);
    assert_int_equal(o->q.qe_report.miscselect & qi.miscselect_mask, qi.miscselect);
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(o->q.qe_report.attributes[i] & qi.attributes_mask[i], qi.attributes[i]);
    }
    assert_int_equal(qi.num_levels, 1);
    assert_true(o->q.qe_report.isvsvn >= qi.levels[0].isvsvn);
    assert_string_equal(qi.levels[0].status, "UpToDate");
    ward_dcap_qe_identity_cleanup(&qi);

    /* The bundle round-trips through its JSON form. */
    struct ward_buf json = {0};
    assert_int_equal(ward_dcap_collateral_encode(&o->coll, &json), WARD_OK);
    struct ward_dcap_collateral back;
    memset(&back, 0, sizeof(back));
    rc = ward_dcap_collateral_parse(json.data, json.len, &back);
    if (rc != WARD_OK) {
        fail_msg("ward_dcap_collateral_parse: %s", ward_err_detail());
    }
    assert_int_equal(back.tcb_info.len, o->coll.tcb_info.len);
    assert_memory_equal(back.tcb_info.data, o->coll.tcb_info.data, back.tcb_info.len);
    assert_int_equal(back.qe_identity.len, o->coll.qe_identity.len);
    assert_memory_equal(back.qe_identity.data, o->coll.qe_identity.data, back.qe_identity.len);
    assert_int_equal(back.pck_crl.len, o->coll.pck_crl.len);
    assert_memory_equal(back.pck_crl.data, o->coll.pck_crl.data, back.pck_crl.len);
    assert_memory_equal(back.tcb_info_signature, o->coll.tcb_info_signature, 64);
    ward_dcap_collateral_cleanup(&back);
    ward_buf_cleanup(&json);
}

static const uint8_t default_fmspc[6] = WARD_TDX_SIM_FMSPC;

static void test_v4(void **state)
{
    const char *dir = *state;
    uint8_t rd[64], mrtd[48];
    for (size_t i = 0; i < sizeof(rd); i++) {
        rd[i] = (uint8_t)(0xA0 + i);
    }
    memset(mrtd, 0x5C, sizeof(mrtd));
    struct ward_tdx_sim_opts opts = {.dir = dir, .report_data = rd, .mrtd = mrtd};
    struct tdx_out o;
    sim_run(&opts, &o);

    const struct ward_tdx_quote *q = &o.q;
    assert_int_equal(q->header.version, 4);
    assert_int_equal(q->header.att_key_type, 2);
    assert_int_equal(q->header.tee_type, 0x81);
    assert_memory_equal(q->header.qe_vendor_id, WARD_TDX_INTEL_QE_VENDOR_ID, 16);
    uint8_t zeros[64] = {0};
    assert_memory_equal(q->header.user_data, zeros, 20);
    assert_int_equal(q->body.type, WARD_TDX_BODY_TD10);
    static const uint8_t svn[16] = {3, 1, 2};
    assert_memory_equal(q->body.tee_tcb_svn, svn, 16);
    assert_memory_equal(q->body.mrsignerseam, zeros, 48);
    assert_memory_not_equal(q->body.mrseam, zeros, 48);
    assert_int_equal(q->body.td_attributes, WARD_TDX_ATTR_SEPT_VE_DISABLE);
    assert_int_equal(q->body.xfam, 0xe7);
    assert_memory_equal(q->body.mrtd, mrtd, 48);
    assert_memory_equal(q->body.report_data, rd, 64);
    for (size_t i = 0; i < 4; i++) {
        assert_memory_equal(q->body.rtmr[i], zeros, 48);
    }

    check_reencode(&o);
    check_quote_signature(&o);
    check_qe_report(&o);
    check_name(o.root, "SIM Intel SGX Root CA", "SIM Intel SGX Root CA");
    check_name(o.pck_ca, "SIM Intel SGX PCK Platform CA", "SIM Intel SGX Root CA");
    check_name(o.leaf, "SIM Intel SGX PCK Certificate", "SIM Intel SGX PCK Platform CA");
    assert_int_equal(X509_check_ca(o.root), 1);
    assert_int_equal(X509_check_ca(o.pck_ca), 1);
    assert_int_equal(X509_check_ca(o.leaf), 0);
    check_chain(dir, &o);
    check_collateral(dir, &o, default_fmspc, "UpToDate");

    struct ward_pck_ext pck;
    assert_int_equal(ward_pck_ext_parse(o.leaf, &pck), WARD_OK);
    assert_int_equal(pck.pcesvn, 11);
    static const uint8_t comps[16] = {2, 2, 2, 2, 3, 1, 0, 5};
    assert_memory_equal(pck.comp_svn, comps, 16);

    /* Keys are private, the directory too. */
    sim_test_assert_mode(dir, "tdx", 0700);
    sim_test_assert_mode(dir, "tdx/root.key", 0600);
    sim_test_assert_mode(dir, "tdx/pck_ca.key", 0600);
    sim_test_assert_mode(dir, "tdx/tcb_signing.key", 0600);
    sim_test_assert_mode(dir, "tdx/pck.key", 0600);
    sim_test_assert_mode(dir, "tdx/attestation.key", 0600);

    /* A second run reuses the root, PCK CA, PCK key, attestation key and PPID;
     * MRTD is random when not given. */
    struct ward_tdx_sim_opts opts2 = {.dir = dir};
    struct tdx_out o2;
    sim_run(&opts2, &o2);
    assert_int_equal(X509_cmp(o.root, o2.root), 0);
    assert_int_equal(X509_cmp(o.pck_ca, o2.pck_ca), 0);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(o.leaf), X509_get0_pubkey(o2.leaf)), 1);
    assert_memory_equal(o.q.att_key, o2.q.att_key, 64);
    struct ward_pck_ext pck2;
    assert_int_equal(ward_pck_ext_parse(o2.leaf, &pck2), WARD_OK);
    assert_memory_equal(pck.ppid, pck2.ppid, 16);
    assert_memory_not_equal(o2.q.body.mrtd, mrtd, 48);
    assert_memory_equal(o2.q.body.report_data, zeros, 64);
    check_chain(dir, &o2);

    tdx_out_cleanup(&o2);
    tdx_out_cleanup(&o);
}

static void test_v5(void **state)
{
    const char *dir = *state;
    uint8_t fmspc[6] = {0x50, 0x80, 0x6f, 0x00, 0x00, 0x00};
    struct ward_tdx_sim_opts opts = {.dir = dir, .version = 5, .fmspc = fmspc, .debug = true};
    struct tdx_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.q.header.version, 5);
    assert_int_equal(o.q.body.type, WARD_TDX_BODY_TD15);
    assert_memory_equal(o.q.body.tee_tcb_svn2, o.q.body.tee_tcb_svn, 16);
    assert_int_equal(o.q.body.td_attributes, WARD_TDX_ATTR_SEPT_VE_DISABLE | WARD_TDX_ATTR_DEBUG);
    check_reencode(&o);
    check_quote_signature(&o);
    check_qe_report(&o);
    check_chain(dir, &o);
    check_collateral(dir, &o, fmspc, "UpToDate");
    assert_int_equal(o.quote.len, WARD_TDX_HEADER_LEN + 6 + WARD_TDX_BODY15_LEN + 4 + 64 + 64 + 6 +
                                      WARD_TDX_QE_REPORT_LEN + 64 + 2 + 32 + 6 + o.q.pck_chain_len);

    opts.body = WARD_TDX_BODY_TD10;
    opts.debug = false;
    struct tdx_out o2;
    sim_run(&opts, &o2);
    assert_int_equal(o2.q.header.version, 5);
    assert_int_equal(o2.q.body.type, WARD_TDX_BODY_TD10);
    check_reencode(&o2);
    check_quote_signature(&o2);
    check_qe_report(&o2);
    assert_int_equal(X509_cmp(o.root, o2.root), 0);

    tdx_out_cleanup(&o2);
    tdx_out_cleanup(&o);
}

static void test_out_of_date(void **state)
{
    const char *dir = *state;
    struct ward_tdx_sim_opts opts = {.dir = dir, .version = 5, .out_of_date = true};
    struct tdx_out o;
    sim_run(&opts, &o);
    static const uint8_t svn[16] = {3, 1, 1};
    assert_memory_equal(o.q.body.tee_tcb_svn, svn, 16);
    struct ward_pck_ext pck;
    assert_int_equal(ward_pck_ext_parse(o.leaf, &pck), WARD_OK);
    assert_int_equal(pck.pcesvn, 5);
    check_quote_signature(&o);
    check_qe_report(&o);
    check_chain(dir, &o);
    check_collateral(dir, &o, default_fmspc, "OutOfDate");
    tdx_out_cleanup(&o);
}

static void test_reject_usage(void **state)
{
    const char *dir = *state;
    struct ward_buf quote = {0};
    struct ward_dcap_collateral coll;
    memset(&coll, 0, sizeof(coll));

    struct ward_tdx_sim_opts v4_td15 = {.dir = dir, .version = 4, .body = WARD_TDX_BODY_TD15};
    assert_int_equal(ward_tdx_sim_quote(&v4_td15, &quote, &coll), WARD_ERR_USAGE);
    struct ward_tdx_sim_opts v3 = {.dir = dir, .version = 3};
    assert_int_equal(ward_tdx_sim_quote(&v3, &quote, &coll), WARD_ERR_USAGE);
    struct ward_tdx_sim_opts body9 = {.dir = dir, .version = 5, .body = (enum ward_tdx_body_type)9};
    assert_int_equal(ward_tdx_sim_quote(&body9, &quote, &coll), WARD_ERR_USAGE);
    assert_null(quote.data);
    assert_null(coll.tcb_info.data);

    /* No roots before the first run. */
    STACK_OF(X509) *roots = sk_X509_new_null();
    assert_int_equal(ward_tdx_sim_roots(dir, roots), WARD_ERR_NOT_FOUND);
    assert_int_equal(sk_X509_num(roots), 0);

    /* A key others may read is refused. */
    struct ward_tdx_sim_opts ok = {.dir = dir};
    assert_int_equal(ward_tdx_sim_quote(&ok, &quote, &coll), WARD_OK);
    char path[4096];
    snprintf(path, sizeof(path), "%s/tdx/attestation.key", dir);
    assert_int_equal(chmod(path, 0644), 0);
    struct ward_buf quote2 = {0};
    struct ward_dcap_collateral coll2;
    memset(&coll2, 0, sizeof(coll2));
    assert_int_equal(ward_tdx_sim_quote(&ok, &quote2, &coll2), WARD_ERR_USAGE);
    assert_null(quote2.data);
    assert_int_equal(chmod(path, 0600), 0);

    assert_int_equal(ward_tdx_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), 1);

    /* A root without the simulator's marker is refused. */
    EVP_PKEY *key = NULL;
    assert_int_equal(ward_ec_key_generate(NID_X9_62_prime256v1, &key), WARD_OK);
    X509 *other = X509_new();
    assert_non_null(other);
    X509_NAME *name = X509_get_subject_name(other);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                                (const unsigned char *)"SIM Intel SGX Root CA", -1,
                                                -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(other, name), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(other), 0));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(other), 3600));
    assert_int_equal(X509_set_pubkey(other, key), 1);
    assert_true(X509_sign(other, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int der_len = i2d_X509(other, &der);
    assert_true(der_len > 0);
    snprintf(path, sizeof(path), "%s/tdx/root.der", dir);
    assert_int_equal(ward_write_file_atomic(path, der, (size_t)der_len, 0644), WARD_OK);
    assert_int_equal(ward_tdx_sim_roots(dir, roots), WARD_ERR_FORMAT);
    assert_int_equal(sk_X509_num(roots), 1);
    /* ... and the simulator refuses a root that does not belong to its key. */
    assert_int_equal(ward_tdx_sim_quote(&ok, &quote2, &coll2), WARD_ERR_FORMAT);
    OPENSSL_free(der);
    X509_free(other);
    EVP_PKEY_free(key);
    sk_X509_pop_free(roots, X509_free);

    ward_buf_cleanup(&quote);
    ward_dcap_collateral_cleanup(&coll);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_v4, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_v5, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_out_of_date, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_reject_usage, setup, sim_test_dir_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
