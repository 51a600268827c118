/*
 * tests/unit/test_nvgpu_tamper.c: reject twins of the GPU accept path on a real
 * H100 report: every signed byte, the signature, each certificate of the chain,
 * the nonce, an opaque-data field and a measurement block; and a reference value
 * that does not match.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/nvgpu.h"
#include "ward/verify.h"

#define SAMPLE "nvtrust-h100-sample"
#define AS_OF "2022-03-02T00:00:00Z"

struct fixture {
    struct ward_buf report, chain, nonce_hex;
    struct ward_blob blob;
    struct ward_verify_opts opts;
    struct ward_nvgpu_report *r;
};

static void load(const char *name, struct ward_buf *out)
{
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(path, sizeof(path), "%s/nvgpu/%s/%s", d ? d : "tests/data", SAMPLE, name);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static void fixture_load(struct fixture *f)
{
    char hex[65];
    memset(f, 0, sizeof(*f));
    load("evidence.bin", &f->report);
    load("cert_chain.pem", &f->chain);
    load("nonce.hex", &f->nonce_hex);
    memcpy(hex, f->nonce_hex.data, 64);
    hex[64] = '\0';
    assert_int_equal(ward_hex_decode_exact(hex, f->opts.nonce, 32), WARD_OK);
    f->opts.has_nonce = true;
    f->blob = (struct ward_blob){"cert_chain.pem", f->chain.data, f->chain.len};
    f->opts.cert_files = &f->blob;
    f->opts.num_cert_files = 1;
    assert_int_equal(ward_time_parse(AS_OF, &f->opts.at), WARD_OK);
    /* Flips of the report leave the chain alone: verify it once. (A changed
     * certificate has another fingerprint, so the cache never hides one.) */
    assert_int_equal(ward_chain_cache_new(16, &f->opts.chain_cache), WARD_OK);
    f->r = malloc(sizeof(*f->r));
    assert_non_null(f->r);
    assert_int_equal(ward_nvgpu_report_parse(f->report.data, f->report.len, f->r), WARD_OK);
}

static void fixture_cleanup(struct fixture *f)
{
    ward_chain_cache_free(f->opts.chain_cache);
    free(f->r);
    ward_buf_cleanup(&f->report);
    ward_buf_cleanup(&f->chain);
    ward_buf_cleanup(&f->nonce_hex);
}

static bool appraise(const struct fixture *f, const uint8_t *p, size_t len,
                     struct ward_appraisal *a)
{
    assert_int_equal(ward_verify_nvgpu(p, len, &f->opts, a), WARD_OK);
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
    assert_true(appraise(&f, f.report.data, f.report.len, &a));
    assert_string_equal(json_string_value(json_object_get(a.claims, "driver_version")),
                        "550.90.07");
    assert_true(json_is_true(json_object_get(a.claims, "fwid_certified")));
    ward_appraisal_cleanup(&a);
    fixture_cleanup(&f);
}

static void every_byte_is_signed(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    uint8_t *buf = malloc(f.report.len);
    assert_non_null(buf);
    for (size_t i = 0; i < f.report.len; i++) {
        struct ward_appraisal a;
        memcpy(buf, f.report.data, f.report.len);
        buf[i] ^= 0x01;
        bool pass = appraise(&f, buf, f.report.len, &a);
        /* Flipping a length byte breaks parsing, a nonce byte the binding, anything
         * else the signature: all must fail and say which check. */
        if (pass || a.num_errors == 0) {
            fail_msg("flipping report byte %zu was not caught", i);
        }
        ward_appraisal_cleanup(&a);
    }
    free(buf);
    fixture_cleanup(&f);
}

static void nonce_opaque_and_blocks(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    fixture_load(&f);
    /* The wrong expected nonce. */
    f.opts.nonce[0] ^= 1;
    assert_false(appraise(&f, f.report.data, f.report.len, &a));
    assert_true(failed(&a, WARD_CHECK_BINDING));
    ward_appraisal_cleanup(&a);
    f.opts.nonce[0] ^= 1;
    /* An opaque field's value (driver version) and a measurement block's value. */
    const struct ward_nv_opaque_field *drv =
        ward_nvgpu_opaque_find(f.r, WARD_NV_OPAQUE_DRIVER_VERSION);
    assert_non_null(drv);
    size_t offs[] = {(size_t)(drv->value - f.report.data),
                     (size_t)(f.r->blocks[10].value - f.report.data) + 5};
    uint8_t *buf = malloc(f.report.len);
    assert_non_null(buf);
    for (size_t k = 0; k < 2; k++) {
        memcpy(buf, f.report.data, f.report.len);
        buf[offs[k]] ^= 0x20;
        assert_false(appraise(&f, buf, f.report.len, &a));
        assert_true(failed(&a, WARD_CHECK_SIGNATURE));
        ward_appraisal_cleanup(&a);
    }
    free(buf);
    fixture_cleanup(&f);
}

static void every_certificate_is_checked(void **state)
{
    (void)state;
    struct fixture f;
    fixture_load(&f);
    uint8_t *orig = malloc(f.chain.len);
    assert_non_null(orig);
    memcpy(orig, f.chain.data, f.chain.len);
    size_t tried = 0;
    for (size_t i = 30; i < f.chain.len; i += 7) {
        uint8_t ch = orig[i];
        if (!((ch >= 'A' && ch <= 'Y') || (ch >= 'a' && ch <= 'y')) || orig[i + 1] == '=') {
            continue;
        }
        struct ward_appraisal a;
        f.chain.data[i] = (uint8_t)(ch + 1);
        tried++;
        if (appraise(&f, f.report.data, f.report.len, &a) ||
            !(failed(&a, WARD_CHECK_CHAIN) || failed(&a, WARD_CHECK_SIGNATURE))) {
            fail_msg("changing certificate chain byte %zu was not caught", i);
        }
        ward_appraisal_cleanup(&a);
        f.chain.data[i] = ch;
    }
    assert_true(tried > 300);
    free(orig);
    fixture_cleanup(&f);
}

static void reference_values(void **state)
{
    (void)state;
    struct fixture f;
    struct ward_appraisal a;
    char hex[97], doc[600];
    fixture_load(&f);
    ward_hex_encode(f.r->blocks[2].value, 48, hex);
    snprintf(doc, sizeof(doc), "{\"measurements\":[{\"index\":%u,\"value\":[\"00\",\"%s\"]}]}",
             f.r->blocks[2].index, hex);
    struct ward_blob ref = {"ref.json", (const uint8_t *)doc, strlen(doc)};
    f.opts.reference_file = &ref;
    assert_true(appraise(&f, f.report.data, f.report.len, &a));
    assert_int_equal(a.checks[WARD_CHECK_MEASUREMENT], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);
    hex[0] = hex[0] == '0' ? '1' : '0';
    snprintf(doc, sizeof(doc), "[{\"index\":%u,\"value\":\"%s\"},{\"index\":200,\"value\":\"00\"}]",
             f.r->blocks[2].index, hex);
    ref.len = strlen(doc);
    assert_false(appraise(&f, f.report.data, f.report.len, &a));
    assert_true(failed(&a, WARD_CHECK_MEASUREMENT));
    assert_int_equal(a.num_errors, 2); /* one mismatch, one missing index, each named */
    ward_appraisal_cleanup(&a);
    fixture_cleanup(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(baseline_passes),         cmocka_unit_test(every_byte_is_signed),
        cmocka_unit_test(nonce_opaque_and_blocks), cmocka_unit_test(every_certificate_is_checked),
        cmocka_unit_test(reference_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
