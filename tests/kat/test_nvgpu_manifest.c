/*
 * tests/kat/test_nvgpu_manifest.c: every real NVIDIA GPU report in
 * tests/data/nvgpu/manifest.json (Hopper) and tests/data/nvgpu-sdk/manifest.json
 * (Blackwell, NVSwitch) gets the verdict the manifest expects, at its
 * "as of" time, including the broken-chain samples. Valid samples must also
 * answer the manifest's nonce. Nothing here is per sample.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/json.h"
#include "ward/verify.h"

static const char *data_dir(void)
{
    const char *d = getenv("WARD_TEST_DATA");
    return d ? d : "tests/data";
}

/* The shared Hopper set and ward's own Blackwell/NVSwitch additions. */
static const char *const sets[] = {"nvgpu", "nvgpu-sdk"};
static const char *set = "nvgpu";

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/%s", data_dir(), set, rel);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static int check_sample(json_t *s)
{
    const char *id = json_string_value(json_object_get(s, "id"));
    const char *expect = json_string_value(json_object_get(s, "expect"));
    const char *nonce = json_string_value(json_object_get(s, "nonce_or_report_data_hex"));
    json_t *certs = json_object_get(s, "certs");
    struct ward_buf report = {0}, bufs[4] = {{0}};
    struct ward_blob blobs[4];
    struct ward_verify_opts opts = {0};
    struct ward_appraisal a;
    size_t i;
    json_t *c;
    int bad = 0;

    load(json_string_value(json_object_get(s, "file")), &report);
    assert_true(json_array_size(certs) <= 4);
    json_array_foreach(certs, i, c)
    {
        load(json_string_value(c), &bufs[i]);
        blobs[i] = (struct ward_blob){json_string_value(c), bufs[i].data, bufs[i].len};
    }
    opts.cert_files = blobs;
    opts.num_cert_files = json_array_size(certs);
    assert_int_equal(
        ward_time_parse(json_string_value(json_object_get(s, "verify_as_of")), &opts.at), WARD_OK);
    bool valid = strcmp(expect, "valid") == 0;
    if (nonce != NULL) {
        assert_int_equal(ward_hex_decode_exact(nonce, opts.nonce, 32), WARD_OK);
        opts.has_nonce = true;
    }
    assert_int_equal(ward_verify_nvgpu(report.data, report.len, &opts, &a), WARD_OK);
    if (valid) {
        static const enum ward_check must[] = {WARD_CHECK_SIGNATURE, WARD_CHECK_CHAIN,
                                               WARD_CHECK_BINDING};
        for (size_t k = 0; k < sizeof(must) / sizeof(must[0]); k++) {
            if (a.checks[must[k]] != WARD_STATUS_PASS) {
                print_error("%s: check %s is %s\n", id, ward_check_name(must[k]),
                            ward_status_name(a.checks[must[k]]));
                bad++;
            }
        }
        if (!ward_appraisal_verdict(&a)) {
            print_error("%s: valid sample rejected\n", id);
            bad++;
        }
        /* A report that names its firmware (FWID) must have it certified by the leaf. */
        if (json_object_get(a.claims, "fwid") != NULL &&
            !json_is_true(json_object_get(a.claims, "fwid_certified"))) {
            print_error("%s: the report's FWID is not certified by the device certificate\n", id);
            bad++;
        }
    } else if (ward_appraisal_verdict(&a) || a.num_errors == 0) {
        print_error("%s: invalid sample not rejected with a message\n", id);
        bad++;
    }
    for (size_t k = 0; k < a.num_errors && (bad || !valid); k++) {
        print_message("  %s [%s] %s\n", id, ward_check_name(a.errors[k].check),
                      a.errors[k].message);
    }
    ward_appraisal_cleanup(&a);
    for (i = 0; i < 4; i++) {
        ward_buf_cleanup(&bufs[i]);
    }
    ward_buf_cleanup(&report);
    return bad;
}

static void every_manifest_sample(void **state)
{
    (void)state;
    int bad = 0, valid = 0, invalid = 0;
    for (size_t k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
        char path[1024];
        json_t *m, *s;
        size_t i;
        set = sets[k];
        snprintf(path, sizeof(path), "%s/%s/manifest.json", data_dir(), set);
        assert_int_equal(ward_json_load_file(path, 1 << 20, &m), WARD_OK);
        json_array_foreach(m, i, s)
        {
            const char *e = json_string_value(json_object_get(s, "expect"));
            if (e == NULL || (strcmp(e, "valid") != 0 && strcmp(e, "invalid") != 0)) {
                continue;
            }
            strcmp(e, "valid") == 0 ? valid++ : invalid++;
            bad += check_sample(s);
        }
        json_decref(m);
    }
    print_message("%d valid and %d invalid GPU samples appraised, %d mismatches\n", valid, invalid,
                  bad);
    assert_true(valid > 0 && invalid > 0);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_manifest_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
