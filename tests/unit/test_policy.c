/* tests/unit/test_policy.c: the policy document: accepted shapes, strict refusals,
 * and each key's effect on a real report's appraisal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/verify.h"

static int parse(const char *doc)
{
    struct ward_policy *p = NULL;
    int rc = ward_policy_parse(doc, strlen(doc), &p);
    ward_policy_free(p);
    return rc;
}

static void accepts_every_key(void **state)
{
    (void)state;
    const char *doc =
        "{\"version\":1,\"snp\":{"
        "\"min_tcb\":{\"bootloader\":1,\"tee\":0,\"snp\":8,\"microcode\":115,\"fmc\":0},"
        "\"measurements\":[\""
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "000000"
        "\"],"
        "\"report_data\":\""
        "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000"
        "\","
        "\"host_data\":\"0000000000000000000000000000000000000000000000000000000000000000\","
        "\"vmpls\":[0,1],\"allow_debug\":false,\"allow_smt\":true,\"allow_migration_agent\":false,"
        "\"require_single_socket\":true,\"platform_info\":{\"require\":[\"tsme\",\"ecc\"],"
        "\"forbid\":[\"smt\"]},"
        "\"signing_keys\":[\"vcek\"],\"min_guest_svn\":3,\"require_crl\":true,\"min_abi\":\"1.51\"}"
        "}";
    assert_int_equal(parse(doc), WARD_OK);
    assert_int_equal(parse("{}"), WARD_OK);
    assert_int_equal(parse("{\"snp\":{}}"), WARD_OK);
    assert_int_equal(parse("{\"tdx\":{\"tcb_statuses\":[\"UpToDate\",\"SWHardeningNeeded\"],"
                           "\"xfam\":[\"0x602e7\",\"e7\"],\"allow_debug\":false,"
                           "\"require_sept_ve_disable\":true,\"min_tee_tcb_svn\":"
                           "\"03010200000000000000000000000000\"}}"),
                     WARD_OK);
}

static void refuses_what_it_does_not_understand(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"snp\":{\"allow_debgu\":true}}",       /* typo */
        "{\"sev\":{}}",                           /* unknown section */
        "{\"version\":2}",                        /* unknown version */
        "{\"snp\":{\"vmpls\":[4]}}",              /* out of range */
        "{\"snp\":{\"vmpls\":[]}}",               /* empty list */
        "{\"snp\":{\"measurements\":[]}}",        /* empty list */
        "{\"snp\":{\"measurements\":[\"00\"]}}",  /* wrong length */
        "{\"snp\":{\"chip_ids\":[\"zz\"]}}",      /* not hex */
        "{\"snp\":{\"signing_keys\":[\"ark\"]}}", /* unknown key kind */
        "{\"snp\":{\"platform_info\":{\"require\":[\"turbo\"]}}}",
        "{\"snp\":{\"platform_info\":{\"maybe\":[]}}}",
        "{\"snp\":{\"min_tcb\":{\"snp\":256}}}",
        "{\"snp\":{\"min_tcb\":{\"bios\":1}}}",
        "{\"snp\":{\"min_abi\":\" 1.5\"}}",
        "{\"snp\":{\"min_abi\":\"1.5x\"}}",
        "{\"snp\":{\"allow_debug\":\"yes\"}}",
        "{\"snp\":{\"report_data\":\"00\"}}",
        "{\"snp\":{\"min_guest_svn\":-1}}",
        "{\"snp\":{\"allow_smt\":true,\"allow_smt\":false}}", /* duplicate key */
        /* the tdx section */
        "{\"tdx\":{\"mrdt\":[]}}",
        "{\"tdx\":{\"tcb_statuses\":[\"Revoked\"]}}",
        "{\"tdx\":{\"tcb_statuses\":[\"Fine\"]}}",
        "{\"tdx\":{\"tcb_statuses\":[]}}",
        "{\"tdx\":{\"xfam\":[\"0x0x602e7\"]}}",
        "{\"tdx\":{\"xfam\":[\"\"]}}",
        "{\"tdx\":{\"xfam\":[\"10000000000000000\"]}}",
        "{\"tdx\":{\"mrtd\":[\"00\"]}}",
        "{\"tdx\":{\"rtmr3\":[]}}",
        "{\"tdx\":{\"min_tee_tcb_svn\":\"00\"}}",
        "{\"tdx\":{\"allow_debug\":1}}",
        "[]",
        "",
        "{",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i]) == WARD_OK) {
            fail_msg("policy accepted: %s", bad[i]);
        }
        assert_true(strlen(ward_err_detail()) > 0);
    }
}

/* The Genoa sample: guest policy 0x3001f (SMT allowed, ABI 0.31), VMPL 0,
 * platform info 0x24, reported TCB bootloader 10 tee 0 snp 23 microcode 84. */
struct genoa {
    struct ward_buf report, vcek;
    struct ward_blob blob;
    struct ward_verify_opts opts;
};

static void genoa_load(struct genoa *g)
{
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    memset(g, 0, sizeof(*g));
    snprintf(path, sizeof(path), "%s/snp/trustee-azure-genoa-v3/report.bin", d ? d : "tests/data");
    assert_int_equal(ward_read_file(path, 1 << 20, &g->report), WARD_OK);
    snprintf(path, sizeof(path), "%s/snp/trustee-azure-genoa-v3/vcek.der", d ? d : "tests/data");
    assert_int_equal(ward_read_file(path, 1 << 20, &g->vcek), WARD_OK);
    g->blob = (struct ward_blob){"vcek.der", g->vcek.data, g->vcek.len};
    g->opts.cert_files = &g->blob;
    g->opts.num_cert_files = 1;
    g->opts.cache_dir = "";
    assert_int_equal(ward_time_parse("2025-01-25T02:21:48Z", &g->opts.at), WARD_OK);
}

/* Appraises the Genoa sample under |doc| and returns the status of |check|. */
static enum ward_status status_under(struct genoa *g, const char *doc, enum ward_check check)
{
    struct ward_policy *p = NULL;
    struct ward_appraisal a;
    assert_int_equal(ward_policy_parse(doc, strlen(doc), &p), WARD_OK);
    g->opts.policy = p;
    assert_int_equal(ward_verify_snp(g->report.data, g->report.len, &g->opts, &a), WARD_OK);
    enum ward_status s = a.checks[check];
    assert_int_equal(a.checks[WARD_CHECK_SIGNATURE], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);
    ward_policy_free(p);
    g->opts.policy = NULL;
    return s;
}

static void each_key_takes_effect(void **state)
{
    (void)state;
    struct genoa g;
    genoa_load(&g);
    static const struct {
        const char *doc;
        enum ward_check check;
        enum ward_status want;
    } cases[] = {
        {"{}", WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{}", WARD_CHECK_MEASUREMENT, WARD_STATUS_SKIP},
        {"{}", WARD_CHECK_BINDING, WARD_STATUS_SKIP},
        {"{}", WARD_CHECK_REVOCATION, WARD_STATUS_SKIP},
        {"{\"snp\":{\"min_tcb\":{\"bootloader\":10,\"snp\":23,\"microcode\":84}}}", WARD_CHECK_TCB,
         WARD_STATUS_PASS},
        {"{\"snp\":{\"min_tcb\":{\"microcode\":85}}}", WARD_CHECK_TCB, WARD_STATUS_FAIL},
        {"{\"snp\":{\"measurements\":[\""
         "ff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000"
         "\"]}}",
         WARD_CHECK_MEASUREMENT, WARD_STATUS_FAIL},
        {"{\"snp\":{\"report_data\":\""
         "b581f12e29a2d7d64e5e0b738d563879a78b51c644d0fa0cce02b48699f6bf5f0000000000000000000000000"
         "000000000000000000000000000000000000000"
         "\"}}",
         WARD_CHECK_BINDING, WARD_STATUS_PASS},
        {"{\"snp\":{\"report_data\":\""
         "0081f12e29a2d7d64e5e0b738d563879a78b51c644d0fa0cce02b48699f6bf5f0000000000000000000000000"
         "000000000000000000000000000000000000000"
         "\"}}",
         WARD_CHECK_BINDING, WARD_STATUS_FAIL},
        {"{\"snp\":{\"vmpls\":[1,2]}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"vmpls\":[0]}}", WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{\"snp\":{\"allow_smt\":false}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"require_single_socket\":true}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"min_abi\":\"1.51\"}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"min_abi\":\"0.31\"}}", WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{\"snp\":{\"platform_info\":{\"require\":[\"tsme\"]}}}", WARD_CHECK_POLICY,
         WARD_STATUS_FAIL},
        {"{\"snp\":{\"platform_info\":{\"require\":[\"ecc\"],\"forbid\":[\"smt\"]}}}",
         WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{\"snp\":{\"platform_info\":{\"forbid\":[\"ecc\"]}}}", WARD_CHECK_POLICY,
         WARD_STATUS_FAIL},
        {"{\"snp\":{\"signing_keys\":[\"vlek\"]}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"min_guest_svn\":65547}}", WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{\"snp\":{\"min_guest_svn\":65548}}", WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"id_key_digests\":[\""
         "ff000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000"
         "\"]}}",
         WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"author_key_digests\":[\""
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "0000000"
         "\"]}}",
         WARD_CHECK_POLICY, WARD_STATUS_FAIL}, /* AUTHOR_KEY_EN is not set */
        {"{\"snp\":{\"chip_ids\":[\""
         "0506ffba875e939c2729d20c74eb72b4c5ba6bf7ea1faaa640141f12c6d64782fb487f68ce69dcd021e914cc0"
         "d9244327bc121f0242d6470903ad1d4aaea4ad1"
         "\"]}}",
         WARD_CHECK_POLICY, WARD_STATUS_PASS},
        {"{\"snp\":{\"chip_ids\":[\""
         "1506ffba875e939c2729d20c74eb72b4c5ba6bf7ea1faaa640141f12c6d64782fb487f68ce69dcd021e914cc0"
         "d9244327bc121f0242d6470903ad1d4aaea4ad1"
         "\"]}}",
         WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"host_data\":"
         "\"ff00000000000000000000000000000000000000000000000000000000000000\"}}",
         WARD_CHECK_POLICY, WARD_STATUS_FAIL},
        {"{\"snp\":{\"require_crl\":true}}", WARD_CHECK_REVOCATION, WARD_STATUS_FAIL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum ward_status got = status_under(&g, cases[i].doc, cases[i].check);
        if (got != cases[i].want) {
            fail_msg("policy %s: check %s is %s, want %s", cases[i].doc,
                     ward_check_name(cases[i].check), ward_status_name(got),
                     ward_status_name(cases[i].want));
        }
    }
    ward_buf_cleanup(&g.report);
    ward_buf_cleanup(&g.vcek);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_every_key),
        cmocka_unit_test(refuses_what_it_does_not_understand),
        cmocka_unit_test(each_key_takes_effect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
