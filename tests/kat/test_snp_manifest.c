/*
 * tests/kat/test_snp_manifest.c: every real SEV-SNP sample in
 * tests/data/snp/manifest.json gets the verdict the manifest expects, at the
 * manifest's "as of" time. Nothing here is per sample: the manifest is the data.
 *
 * Valid samples must pass signature, chain, TCB and binding; their verdict is pass
 * under a policy that allows debug guests, and under the default policy exactly
 * when the guest is not debuggable. Invalid samples must be rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/json.h"
#include "ward/snp.h"
#include "ward/verify.h"

static const char *data_dir(void)
{
    const char *d = getenv("WARD_TEST_DATA");
    return d ? d : "tests/data";
}

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/snp/%s", data_dir(), rel);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

/* Appraises one manifest sample; returns the number of mismatches found. */
static int check_sample(json_t *s, const struct ward_policy *lenient)
{
    const char *id = json_string_value(json_object_get(s, "id"));
    const char *expect = json_string_value(json_object_get(s, "expect"));
    const char *as_of = json_string_value(json_object_get(s, "verify_as_of"));
    const char *rd = json_string_value(json_object_get(s, "nonce_or_report_data_hex"));
    json_t *certs = json_object_get(s, "certs");
    struct ward_buf report = {0}, bufs[8] = {{0}};
    struct ward_blob blobs[8];
    struct ward_verify_opts opts = {0};
    struct ward_appraisal a;
    int bad = 0;
    size_t i;
    json_t *c;

    assert_non_null(id);
    assert_non_null(expect);
    load(json_string_value(json_object_get(s, "file")), &report);
    assert_true(json_array_size(certs) <= 8);
    json_array_foreach(certs, i, c)
    {
        load(json_string_value(c), &bufs[i]);
        blobs[i] = (struct ward_blob){
            .name = json_string_value(c), .data = bufs[i].data, .len = bufs[i].len};
    }
    opts.cert_files = blobs;
    opts.num_cert_files = json_array_size(certs);
    opts.cache_dir = ""; /* the manifest's files only */
    assert_int_equal(ward_time_parse(as_of, &opts.at), WARD_OK);
    bool valid = strcmp(expect, "valid") == 0;
    if (valid && rd != NULL) {
        assert_int_equal(ward_hex_decode_exact(rd, opts.report_data, 64), WARD_OK);
        opts.has_report_data = true;
    }

    /* Default policy. */
    assert_int_equal(ward_verify_snp(report.data, report.len, &opts, &a), WARD_OK);
    struct ward_snp_report r;
    bool debug = ward_snp_report_parse(report.data, report.len, &r) == WARD_OK &&
                 (r.policy & WARD_SNP_POLICY_DEBUG) != 0;
    if (valid) {
        static const enum ward_check must[] = {WARD_CHECK_SIGNATURE, WARD_CHECK_CHAIN,
                                               WARD_CHECK_TCB, WARD_CHECK_BINDING};
        for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++) {
            if (a.checks[must[k]] != WARD_STATUS_PASS) {
                print_error("%s: check %s is %s\n", id, ward_check_name(must[k]),
                            ward_status_name(a.checks[must[k]]));
                bad++;
            }
        }
        if (ward_appraisal_verdict(&a) == debug) {
            print_error("%s: default-policy verdict %d but debug=%d\n", id,
                        ward_appraisal_verdict(&a), debug);
            bad++;
        }
    } else if (ward_appraisal_verdict(&a)) {
        print_error("%s: invalid sample passed\n", id);
        bad++;
    }
    for (size_t k = 0; k < a.num_errors && (bad || !valid); k++) {
        print_message("  %s [%s] %s\n", id, ward_check_name(a.errors[k].check),
                      a.errors[k].message);
    }
    if (!valid && a.num_errors == 0) {
        print_error("%s: rejected without an error message\n", id);
        bad++;
    }
    ward_appraisal_cleanup(&a);

    /* A policy that allows debug guests: every valid sample passes outright. */
    opts.policy = lenient;
    assert_int_equal(ward_verify_snp(report.data, report.len, &opts, &a), WARD_OK);
    if (ward_appraisal_verdict(&a) != valid) {
        print_error("%s: lenient-policy verdict %d, manifest says %s\n", id,
                    ward_appraisal_verdict(&a), expect);
        bad++;
    }
    ward_appraisal_cleanup(&a);

    for (i = 0; i < 8; i++) {
        ward_buf_cleanup(&bufs[i]);
    }
    ward_buf_cleanup(&report);
    return bad;
}

static void every_manifest_sample(void **state)
{
    (void)state;
    char path[1024];
    json_t *m;
    struct ward_policy *lenient;
    const char *doc = "{\"version\":1,\"snp\":{\"allow_debug\":true}}";
    snprintf(path, sizeof(path), "%s/snp/manifest.json", data_dir());
    assert_int_equal(ward_json_load_file(path, 1 << 20, &m), WARD_OK);
    assert_int_equal(ward_policy_parse(doc, strlen(doc), &lenient), WARD_OK);
    assert_true(json_array_size(m) >= 10);
    int bad = 0, valid = 0, invalid = 0;
    size_t i;
    json_t *s;
    json_array_foreach(m, i, s)
    {
        const char *expect = json_string_value(json_object_get(s, "expect"));
        if (expect == NULL || (strcmp(expect, "valid") != 0 && strcmp(expect, "invalid") != 0)) {
            continue;
        }
        strcmp(expect, "valid") == 0 ? valid++ : invalid++;
        bad += check_sample(s, lenient);
    }
    print_message("%d valid and %d invalid samples appraised, %d mismatches\n", valid, invalid,
                  bad);
    assert_true(valid > 0 && invalid > 0);
    assert_int_equal(bad, 0);
    ward_policy_free(lenient);
    json_decref(m);
}

/* Parse and encode are exact inverses on every real report. */
static void parse_encode_round_trip(void **state)
{
    (void)state;
    char path[1024];
    json_t *m;
    size_t i;
    json_t *s;
    snprintf(path, sizeof(path), "%s/snp/manifest.json", data_dir());
    assert_int_equal(ward_json_load_file(path, 1 << 20, &m), WARD_OK);
    json_array_foreach(m, i, s)
    {
        struct ward_buf b = {0};
        struct ward_snp_report r;
        uint8_t out[WARD_SNP_REPORT_LEN];
        load(json_string_value(json_object_get(s, "file")), &b);
        assert_int_equal(ward_snp_report_parse(b.data, b.len, &r), WARD_OK);
        assert_int_equal(r.version, json_integer_value(json_object_get(s, "report_version")));
        assert_int_equal(ward_snp_report_encode(&r, out), WARD_OK);
        assert_memory_equal(out, b.data, WARD_SNP_REPORT_LEN);
        ward_buf_cleanup(&b);
    }
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_manifest_sample),
        cmocka_unit_test(parse_encode_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
