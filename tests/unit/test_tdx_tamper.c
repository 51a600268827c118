/*
 * tests/unit/test_tdx_tamper.c: reject twins of the TDX accept path on a real
 * quote and its real collateral: every signed structure is damaged in turn (quote
 * header and body, signature, attestation key, QE report and its signature, QE
 * auth data, PCK chain, TCB info text, QE identity text, CRLs), collateral of
 * another FMSPC is offered, and the collateral is used outside its window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/dcap.h"
#include "ward/tdx.h"
#include "ward/verify.h"

#define SAMPLE "quotes/dev-tdx-v4-dcapqvl-sample.bin"
#define BUNDLE "collateral/dcapqvl_b0c06f000000_2025-06-19/tdx_quote_collateral.json"
#define OTHER_FMSPC "collateral/dcapqvl_20a06f000000_2025-09-02/quote_collateral.json"
#define AS_OF "2025-07-01T00:00:00Z"

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(path, sizeof(path), "%s/tdx/%s", d ? d : "tests/data", rel);
    assert_int_equal(ward_read_file(path, 1 << 22, out), WARD_OK);
}

struct fixture {
    struct ward_buf quote;
    struct ward_buf bundle;
    struct ward_blob blob;
    struct ward_verify_opts opts;
    struct ward_tdx_quote q; /* parsed view of |quote| for offsets */
};

static void fixture_load(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    load(SAMPLE, &f->quote);
    load(BUNDLE, &f->bundle);
    f->blob = (struct ward_blob){"collateral", f->bundle.data, f->bundle.len};
    f->opts.collateral_file = &f->blob;
    f->opts.cache_dir = "";
    assert_int_equal(ward_time_parse(AS_OF, &f->opts.at), WARD_OK);
    assert_int_equal(ward_tdx_quote_parse(f->quote.data, f->quote.len, &f->q), WARD_OK);
}

static void fixture_cleanup(struct fixture *f)
{
    ward_buf_cleanup(&f->quote);
    ward_buf_cleanup(&f->bundle);
}

/* Appraises |quote| with the fixture's options; returns the verdict, |a| kept. */
static bool appraise(const struct fixture *f, const uint8_t *quote, size_t len,
                     struct ward_appraisal *a)
{
    assert_int_equal(ward_verify_tdx(quote, len, &f->opts, a), WARD_OK);
    return ward_appraisal_verdict(a);
}

static bool failed(const struct ward_appraisal *a, enum ward_check c)
{
    bool named = false;
    for (size_t i = 0; i < a->num_errors; i++) {
        named |= a->errors[i].check == c;
    }
    return a->checks[c] == WARD_STATUS_FAIL && named;
}

static void baseline_passes(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    fixture_load(&f);
    assert_true(appraise(&f, f.quote.data, f.quote.len, &a));
    assert_string_equal(json_string_value(json_object_get(a.claims, "tcb_status")), "UpToDate");
    assert_int_equal(a.checks[WARD_CHECK_COLLATERAL], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_QE_IDENTITY], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);
    fixture_cleanup(&f);
}

/* Flips every |step|-th byte of [off, off+len) of the quote and expects |check| to fail. */
static void flip_range(const struct fixture *f, size_t off, size_t len, size_t step,
                       enum ward_check check, const char *what)
{
    uint8_t *buf = malloc(f->quote.len);
    assert_non_null(buf);
    for (size_t i = off; i < off + len; i += step) {
        struct ward_appraisal a;
        memcpy(buf, f->quote.data, f->quote.len);
        buf[i] ^= 0x01;
        bool pass = appraise(f, buf, f->quote.len, &a);
        if (pass || !failed(&a, check)) {
            fail_msg("flipping %s byte at quote offset %zu was not caught by the %s check", what, i,
                     ward_check_name(check));
        }
        ward_appraisal_cleanup(&a);
    }
    free(buf);
}

static void quote_structures_are_signed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    const uint8_t *base = f.quote.data;
    /* Header and body: every byte is covered by the attestation key's signature. */
    flip_range(&f, 0, f.q.signed_len, 1, WARD_CHECK_SIGNATURE, "header/body");
    size_t sig = f.q.signed_len + 4;
    flip_range(&f, sig, 64, 1, WARD_CHECK_SIGNATURE, "quote signature");
    flip_range(&f, sig + 64, 64, 1, WARD_CHECK_SIGNATURE, "attestation key");
    size_t qe = (size_t)(f.q.qe_report_raw - base);
    flip_range(&f, qe, WARD_TDX_QE_REPORT_LEN, 1, WARD_CHECK_SIGNATURE, "QE report");
    flip_range(&f, qe + WARD_TDX_QE_REPORT_LEN, 64, 1, WARD_CHECK_SIGNATURE, "QE report signature");
    size_t auth = (size_t)(f.q.qe_auth_data - base);
    flip_range(&f, auth, f.q.qe_auth_len, 1, WARD_CHECK_SIGNATURE, "QE auth data");
    fixture_cleanup(&f);
}

static void pck_chain_is_checked(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    size_t pem = (size_t)(f.q.pck_chain_pem - f.quote.data);
    uint8_t *buf = malloc(f.quote.len);
    assert_non_null(buf);
    /* Base64 characters inside the PEM blocks: flip to another valid base64 letter,
     * so the damage reaches DER rather than only the PEM framing. */
    size_t caught = 0, tried = 0;
    for (size_t i = pem + 40; i < pem + f.q.pck_chain_len; i += 11) {
        uint8_t ch = f.quote.data[i];
        if (!((ch >= 'A' && ch <= 'Y') || (ch >= 'a' && ch <= 'y')) || f.quote.data[i + 1] == '=') {
            continue; /* the letter before '=' carries unused padding bits: no change */
        }
        struct ward_appraisal a;
        memcpy(buf, f.quote.data, f.quote.len);
        buf[i] = (uint8_t)(ch + 1);
        tried++;
        bool pass = appraise(&f, buf, f.quote.len, &a);
        if (pass) {
            fail_msg("changing PCK chain byte at offset %zu did not fail the appraisal", i);
        }
        caught += failed(&a, WARD_CHECK_CHAIN) || failed(&a, WARD_CHECK_SIGNATURE) ||
                  failed(&a, WARD_CHECK_REVOCATION);
        ward_appraisal_cleanup(&a);
    }
    assert_true(tried > 100);
    assert_int_equal(caught, tried);
    free(buf);
    fixture_cleanup(&f);
}

/* Re-encodes the fixture's bundle after |mutate| changed it, and expects the
 * appraisal to fail with |check|. */
static void with_bundle(struct fixture *f, void (*mutate)(struct ward_dcap_collateral *, size_t),
                        size_t arg, enum ward_check check, const char *what)
{
    struct ward_dcap_collateral c;
    struct ward_buf out = {0};
    struct ward_appraisal a;
    assert_int_equal(ward_dcap_collateral_parse(f->bundle.data, f->bundle.len, &c), WARD_OK);
    mutate(&c, arg);
    assert_int_equal(ward_dcap_collateral_encode(&c, &out), WARD_OK);
    struct ward_blob b = {"collateral", out.data, out.len};
    f->opts.collateral_file = &b;
    bool pass = appraise(f, f->quote.data, f->quote.len, &a);
    if (pass || !failed(&a, check)) {
        fail_msg("%s (%zu) was not caught by the %s check", what, arg, ward_check_name(check));
    }
    ward_appraisal_cleanup(&a);
    f->opts.collateral_file = &f->blob;
    ward_buf_cleanup(&out);
    ward_dcap_collateral_cleanup(&c);
}

static void flip_tcb_info(struct ward_dcap_collateral *c, size_t i)
{
    c->tcb_info.data[i % c->tcb_info.len] ^= 0x01;
}
static void flip_tcb_sig(struct ward_dcap_collateral *c, size_t i)
{
    c->tcb_info_signature[i % 64] ^= 0x01;
}
static void flip_qe_identity(struct ward_dcap_collateral *c, size_t i)
{
    c->qe_identity.data[i % c->qe_identity.len] ^= 0x01;
}
static void flip_qe_sig(struct ward_dcap_collateral *c, size_t i)
{
    c->qe_identity_signature[i % 64] ^= 0x01;
}
static void flip_pck_crl(struct ward_dcap_collateral *c, size_t i)
{
    c->pck_crl.data[c->pck_crl.len - 1 - i % 60] ^= 0x01; /* inside the signature */
}
static void flip_root_crl(struct ward_dcap_collateral *c, size_t i)
{
    c->root_ca_crl.data[c->root_ca_crl.len - 1 - i % 60] ^= 0x01;
}

static void collateral_is_signed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    for (size_t i = 0; i < 2000; i += 37) {
        with_bundle(&f, flip_tcb_info, i, WARD_CHECK_COLLATERAL, "a flipped TCB info byte");
        with_bundle(&f, flip_qe_identity, i, WARD_CHECK_COLLATERAL, "a flipped QE identity byte");
    }
    for (size_t i = 0; i < 64; i += 7) {
        with_bundle(&f, flip_tcb_sig, i, WARD_CHECK_COLLATERAL,
                    "a flipped TCB info signature byte");
        with_bundle(&f, flip_qe_sig, i, WARD_CHECK_COLLATERAL,
                    "a flipped QE identity signature byte");
    }
    for (size_t i = 0; i < 60; i += 13) {
        with_bundle(&f, flip_pck_crl, i, WARD_CHECK_REVOCATION, "a flipped PCK CRL signature byte");
        with_bundle(&f, flip_root_crl, i, WARD_CHECK_COLLATERAL,
                    "a flipped root CA CRL signature byte");
    }
    fixture_cleanup(&f);
}

static void other_fmspc_and_stale_collateral_fail(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    struct ward_buf other = {0};
    fixture_load(&f);
    /* Collateral of another FMSPC, at a time inside its own window. */
    load(OTHER_FMSPC, &other);
    struct ward_blob b = {"other", other.data, other.len};
    f.opts.collateral_file = &b;
    assert_int_equal(ward_time_parse("2025-09-15T00:00:00Z", &f.opts.at), WARD_OK);
    assert_false(appraise(&f, f.quote.data, f.quote.len, &a));
    assert_true(failed(&a, WARD_CHECK_COLLATERAL));
    ward_appraisal_cleanup(&a);
    /* The right collateral after its next update. */
    f.opts.collateral_file = &f.blob;
    assert_false(appraise(&f, f.quote.data, f.quote.len, &a));
    assert_true(failed(&a, WARD_CHECK_COLLATERAL) || failed(&a, WARD_CHECK_REVOCATION));
    ward_appraisal_cleanup(&a);
    /* ... and before it was issued. */
    assert_int_equal(ward_time_parse("2025-06-01T00:00:00Z", &f.opts.at), WARD_OK);
    assert_false(appraise(&f, f.quote.data, f.quote.len, &a));
    assert_true(failed(&a, WARD_CHECK_COLLATERAL) || failed(&a, WARD_CHECK_REVOCATION));
    ward_appraisal_cleanup(&a);
    ward_buf_cleanup(&other);
    fixture_cleanup(&f);
}

static void truncation_and_padding(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    fixture_load(&f);
    for (size_t n = 0; n < f.q.quote_len; n += 331) {
        assert_false(appraise(&f, f.quote.data, n, &a));
        assert_true(failed(&a, WARD_CHECK_SIGNATURE));
        ward_appraisal_cleanup(&a);
    }
    uint8_t *buf = malloc(f.quote.len);
    assert_non_null(buf);
    memcpy(buf, f.quote.data, f.quote.len);
    buf[f.quote.len - 1] = 0x01; /* non-zero byte in the padding */
    assert_false(appraise(&f, buf, f.quote.len, &a));
    assert_true(failed(&a, WARD_CHECK_SIGNATURE));
    ward_appraisal_cleanup(&a);
    free(buf);
    fixture_cleanup(&f);
}

/* With a DCAP cache filled by a good appraisal, every tampering must still be
 * caught, and the cache must not answer outside the collateral's window. */
static void cache_does_not_hide_tampering(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    fixture_load(&f);
    assert_int_equal(ward_dcap_cache_new(8, &f.opts.dcap_cache), WARD_OK);
    for (int i = 0; i < 2; i++) { /* the first fills the cache, the second uses it */
        assert_true(appraise(&f, f.quote.data, f.quote.len, &a));
        assert_string_equal(json_string_value(json_object_get(a.claims, "tcb_status")), "UpToDate");
        assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_PASS);
        ward_appraisal_cleanup(&a);
    }
    const uint8_t *base = f.quote.data;
    flip_range(&f, 0, f.q.signed_len, 7, WARD_CHECK_SIGNATURE, "header/body (cached)");
    flip_range(&f, f.q.signed_len + 4, 128, 3, WARD_CHECK_SIGNATURE,
               "signature/attestation key (cached)");
    size_t qe = (size_t)(f.q.qe_report_raw - base);
    flip_range(&f, qe, WARD_TDX_QE_REPORT_LEN + 64, 5, WARD_CHECK_SIGNATURE, "QE report (cached)");
    assert_int_equal(ward_time_parse("2025-08-01T00:00:00Z", &f.opts.at), WARD_OK);
    assert_false(appraise(&f, f.quote.data, f.quote.len, &a));
    assert_true(failed(&a, WARD_CHECK_COLLATERAL) || failed(&a, WARD_CHECK_REVOCATION));
    ward_appraisal_cleanup(&a);
    ward_dcap_cache_free(f.opts.dcap_cache);
    fixture_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(baseline_passes),
        cmocka_unit_test(quote_structures_are_signed),
        cmocka_unit_test(pck_chain_is_checked),
        cmocka_unit_test(collateral_is_signed),
        cmocka_unit_test(other_fmspc_and_stale_collateral_fail),
        cmocka_unit_test(truncation_and_padding),
        cmocka_unit_test(cache_does_not_hide_tampering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
