/*
 * tests/unit/test_snp_tamper.c: reject twins of the SEV-SNP accept path. Every
 * byte of a real report and of each certificate is flipped; truncation,
 * extension, a chain of the wrong product, a VCEK of another chip, certificates
 * outside their validity and a revoked ASK must each fail with a message naming
 * the check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ward/crypto.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/verify.h"

/* One sample loaded from tests/data/snp. */
struct sample {
    struct ward_buf report;
    struct ward_buf certs[3]; /* vcek, ask, ark */
    struct ward_blob blobs[3];
    struct ward_verify_opts opts;
};

static void load(const char *dir, const char *name, struct ward_buf *out)
{
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(path, sizeof(path), "%s/snp/%s/%s", d ? d : "tests/data", dir, name);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static void sample_load(struct sample *s, const char *dir, const char *as_of, const char *vcek_dir)
{
    static const char *const names[] = {"vcek.der", "ask.der", "ark.der"};
    memset(s, 0, sizeof(*s));
    load(dir, "report.bin", &s->report);
    for (int i = 0; i < 3; i++) {
        load(i == 0 && vcek_dir ? vcek_dir : dir, names[i], &s->certs[i]);
        s->blobs[i] =
            (struct ward_blob){.name = names[i], .data = s->certs[i].data, .len = s->certs[i].len};
    }
    s->opts.cert_files = s->blobs;
    s->opts.num_cert_files = 3;
    s->opts.cache_dir = "";
    assert_int_equal(ward_time_parse(as_of, &s->opts.at), WARD_OK);
}

static void sample_cleanup(struct sample *s)
{
    ward_buf_cleanup(&s->report);
    for (int i = 0; i < 3; i++) {
        ward_buf_cleanup(&s->certs[i]);
    }
}

/* Appraises and returns the verdict; the failing checks are left in |a|. */
static bool appraise(const struct sample *s, const uint8_t *report, size_t len,
                     struct ward_appraisal *a)
{
    assert_int_equal(ward_verify_snp(report, len, &s->opts, a), WARD_OK);
    return ward_appraisal_verdict(a);
}

static bool has_error(const struct ward_appraisal *a, enum ward_check c, const char *needle)
{
    for (size_t i = 0; i < a->num_errors; i++) {
        if (a->errors[i].check == c &&
            (needle == NULL || strstr(a->errors[i].message, needle) != NULL)) {
            return true;
        }
    }
    return false;
}

#define GENOA "trustee-azure-genoa-v3", "2025-01-25T02:21:48Z"

static void baseline_passes(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    sample_load(&s, GENOA, NULL);
    assert_true(appraise(&s, s.report.data, s.report.len, &a));
    assert_int_equal(a.num_errors, 0);
    assert_string_equal(json_string_value(json_object_get(a.claims, "product")), "Genoa");
    ward_appraisal_cleanup(&a);
    sample_cleanup(&s);
}

static void every_report_byte_flip_fails_signature(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    uint8_t buf[WARD_SNP_REPORT_LEN];
    sample_load(&s, GENOA, NULL);
    for (size_t i = 0; i < WARD_SNP_REPORT_LEN; i++) {
        memcpy(buf, s.report.data, sizeof(buf));
        buf[i] ^= (i & 1) ? 0x01 : 0x80;
        bool pass = appraise(&s, buf, sizeof(buf), &a);
        if (pass || a.checks[WARD_CHECK_SIGNATURE] != WARD_STATUS_FAIL || a.num_errors == 0) {
            fail_msg("flipping report byte 0x%03zx was not caught by the signature check", i);
        }
        ward_appraisal_cleanup(&a);
    }
    sample_cleanup(&s);
}

static void truncated_and_extended_reports_fail(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    uint8_t big[WARD_SNP_REPORT_LEN + 1] = {0};
    sample_load(&s, GENOA, NULL);
    assert_false(appraise(&s, s.report.data, s.report.len - 1, &a));
    assert_true(has_error(&a, WARD_CHECK_SIGNATURE, "1183 bytes"));
    ward_appraisal_cleanup(&a);
    memcpy(big, s.report.data, s.report.len);
    assert_false(appraise(&s, big, sizeof(big), &a));
    assert_true(has_error(&a, WARD_CHECK_SIGNATURE, "trailing"));
    ward_appraisal_cleanup(&a);
    assert_false(appraise(&s, s.report.data, 0, &a));
    assert_true(has_error(&a, WARD_CHECK_SIGNATURE, NULL));
    ward_appraisal_cleanup(&a);
    sample_cleanup(&s);
}

static void every_cert_byte_flip_fails(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    sample_load(&s, GENOA, NULL);
    for (int c = 0; c < 3; c++) {
        uint8_t *orig = malloc(s.certs[c].len);
        assert_non_null(orig);
        memcpy(orig, s.certs[c].data, s.certs[c].len);
        for (size_t i = 0; i < s.certs[c].len; i++) {
            s.certs[c].data[i] ^= 0x01;
            bool pass = appraise(&s, s.report.data, s.report.len, &a);
            bool named = a.num_errors > 0 && (has_error(&a, WARD_CHECK_CHAIN, NULL) ||
                                              has_error(&a, WARD_CHECK_SIGNATURE, NULL) ||
                                              has_error(&a, WARD_CHECK_TCB, NULL));
            if (pass || !named) {
                fail_msg("flipping byte %zu of %s was not caught", i, s.blobs[c].name);
            }
            ward_appraisal_cleanup(&a);
            s.certs[c].data[i] = orig[i];
        }
        free(orig);
    }
    sample_cleanup(&s);
}

static void wrong_product_chain_fails(void **state)
{
    (void)state;
    struct sample milan, genoa;
    struct ward_appraisal a;
    /* A Milan v5 report presented with the whole Genoa chain. */
    sample_load(&milan, "teekit-gcp-milan-v5-reportdata", "2025-12-06T06:04:27Z", NULL);
    sample_load(&genoa, GENOA, NULL);
    milan.opts.cert_files = genoa.blobs;
    assert_false(appraise(&milan, milan.report.data, milan.report.len, &a));
    assert_true(has_error(&a, WARD_CHECK_CHAIN, "Genoa"));
    ward_appraisal_cleanup(&a);
    /* A Milan report with its own VCEK but Genoa's ASK and ARK. */
    struct ward_blob mixed[3] = {milan.blobs[0], genoa.blobs[1], genoa.blobs[2]};
    milan.opts.cert_files = mixed;
    assert_false(appraise(&milan, milan.report.data, milan.report.len, &a));
    assert_true(has_error(&a, WARD_CHECK_CHAIN, "ARK-Genoa"));
    ward_appraisal_cleanup(&a);
    sample_cleanup(&milan);
    sample_cleanup(&genoa);
}

static void vcek_of_another_chip_fails(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    /* dstack's Milan report with the VCEK of a different Milan chip. */
    sample_load(&s, "dstack-milan-v3", "2026-06-18T01:05:04Z", "trustee-azure-milan-v3-a");
    assert_false(appraise(&s, s.report.data, s.report.len, &a));
    assert_int_equal(a.checks[WARD_CHECK_SIGNATURE], WARD_STATUS_FAIL);
    assert_true(has_error(&a, WARD_CHECK_CHAIN, "another chip"));
    ward_appraisal_cleanup(&a);
    sample_cleanup(&s);
}

static void certificates_outside_validity_fail(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    sample_load(&s, GENOA, NULL);
    /* The Genoa VCEK is valid 2025-01-24 .. 2032-01-24. */
    assert_int_equal(ward_time_parse("2032-06-01T00:00:00Z", &s.opts.at), WARD_OK);
    assert_false(appraise(&s, s.report.data, s.report.len, &a));
    assert_true(has_error(&a, WARD_CHECK_CHAIN, "expired"));
    ward_appraisal_cleanup(&a);
    assert_int_equal(ward_time_parse("2024-12-31T00:00:00Z", &s.opts.at), WARD_OK);
    assert_false(appraise(&s, s.report.data, s.report.len, &a));
    assert_true(has_error(&a, WARD_CHECK_CHAIN, "not yet valid"));
    ward_appraisal_cleanup(&a);
    sample_cleanup(&s);
}

static void real_crl_is_applied(void **state)
{
    (void)state;
    struct sample s;
    struct ward_appraisal a;
    struct ward_buf crl = {0};
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(path, sizeof(path), "%s/roots/amd/genoa_crl.pem", d ? d : "tests/data");
    assert_int_equal(ward_read_file(path, 1 << 20, &crl), WARD_OK);
    struct ward_blob b = {.name = "genoa_crl.pem", .data = crl.data, .len = crl.len};
    sample_load(&s, GENOA, NULL);
    s.opts.crl_files = &b;
    s.opts.num_crl_files = 1;
    assert_true(appraise(&s, s.report.data, s.report.len, &a));
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);
    /* The same CRL with one byte of its signature flipped. */
    crl.data[crl.len - 40] ^= 0x04;
    assert_false(appraise(&s, s.report.data, s.report.len, &a));
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_FAIL);
    assert_true(a.num_errors > 0);
    ward_appraisal_cleanup(&a);
    ward_buf_cleanup(&crl);
    sample_cleanup(&s);
}

/* Issues a CRL signed by the simulator ARK of |dir| revoking |serial_of| (may be NULL). */
static void make_sim_crl(const char *dir, X509 *issuer, X509 *serial_of, struct ward_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/snp/Milan/ark.key", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(key);
    X509_CRL *crl = X509_CRL_new();
    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
    ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
    ASN1_TIME_adj(t, time(NULL), 30, 0);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
    ASN1_TIME_free(t);
    if (serial_of != NULL) {
        X509_REVOKED *rev = X509_REVOKED_new();
        ASN1_TIME *when = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
        assert_int_equal(
            X509_REVOKED_set_serialNumber(rev, (ASN1_INTEGER *)X509_get0_serialNumber(serial_of)),
            1);
        assert_int_equal(X509_REVOKED_set_revocationDate(rev, when), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, rev), 1);
        ASN1_TIME_free(when);
    }
    assert_true(X509_CRL_sign(crl, key, EVP_sha384()) > 0);
    unsigned char *der = NULL;
    int n = i2d_X509_CRL(crl, &der);
    assert_true(n > 0);
    assert_int_equal(ward_buf_set(out, der, (size_t)n), WARD_OK);
    OPENSSL_free(der);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
}

static void revoked_ask_fails(void **state)
{
    (void)state;
    char dir[] = "/tmp/ward-tamper-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct ward_snp_sim_opts so = {.dir = dir, .product = WARD_SNP_MILAN, .version = 5};
    uint8_t report[WARD_SNP_REPORT_LEN];
    struct ward_buf leaf = {0}, ask = {0}, ark = {0}, crl = {0};
    assert_int_equal(ward_snp_sim_report(&so, report, &leaf, &ask, &ark), WARD_OK);

    X509 *ask_x = NULL, *ark_x = NULL;
    assert_int_equal(ward_x509_parse(ask.data, ask.len, &ask_x), WARD_OK);
    assert_int_equal(ward_x509_parse(ark.data, ark.len, &ark_x), WARD_OK);

    struct ward_blob certs[2] = {{"vcek.der", leaf.data, leaf.len}, {"ask.der", ask.data, ask.len}};
    struct ward_verify_opts opts = {
        .cert_files = certs, .num_cert_files = 2, .sim_dir = dir, .cache_dir = ""};
    struct ward_appraisal a;

    /* Without trusting the simulator, its evidence is rejected. */
    opts.sim_dir = NULL;
    assert_int_equal(ward_verify_snp(report, sizeof(report), &opts, &a), WARD_OK);
    assert_false(ward_appraisal_verdict(&a));
    assert_int_equal(a.checks[WARD_CHECK_CHAIN], WARD_STATUS_FAIL);
    ward_appraisal_cleanup(&a);
    opts.sim_dir = dir;

    /* A CRL that revokes nothing: revocation passes, and the result says simulated. */
    make_sim_crl(dir, ark_x, NULL, &crl);
    struct ward_blob cb = {"crl.der", crl.data, crl.len};
    opts.crl_files = &cb;
    opts.num_crl_files = 1;
    assert_int_equal(ward_verify_snp(report, sizeof(report), &opts, &a), WARD_OK);
    assert_true(ward_appraisal_verdict(&a));
    assert_true(a.simulated);
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);

    /* A CRL that revokes the ASK. */
    make_sim_crl(dir, ark_x, ask_x, &crl);
    cb = (struct ward_blob){"crl.der", crl.data, crl.len};
    assert_int_equal(ward_verify_snp(report, sizeof(report), &opts, &a), WARD_OK);
    assert_false(ward_appraisal_verdict(&a));
    assert_true(has_error(&a, WARD_CHECK_REVOCATION, "revoked"));
    ward_appraisal_cleanup(&a);

    X509_free(ask_x);
    X509_free(ark_x);
    ward_buf_cleanup(&leaf);
    ward_buf_cleanup(&ask);
    ward_buf_cleanup(&ark);
    ward_buf_cleanup(&crl);
    char cmd[1100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(baseline_passes),
        cmocka_unit_test(every_report_byte_flip_fails_signature),
        cmocka_unit_test(truncated_and_extended_reports_fail),
        cmocka_unit_test(every_cert_byte_flip_fails),
        cmocka_unit_test(wrong_product_chain_fails),
        cmocka_unit_test(vcek_of_another_chip_fails),
        cmocka_unit_test(certificates_outside_validity_fail),
        cmocka_unit_test(real_crl_is_applied),
        cmocka_unit_test(revoked_ask_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
