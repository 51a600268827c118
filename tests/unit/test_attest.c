/* tests/unit/test_attest.c: the server SDK (ward/attest.h) with the simulator as
 * its provider: evidence whose REPORT_DATA the verifier recomputes from the label
 * and payload (and rejects for another label or payload), TDX and composite
 * envelopes, forced providers that are absent, and two threads on one context. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ward/attest.h"
#include "ward/binding.h"
#include "ward/json.h"
#include "ward/verify.h"

#include "sim_test_util.h"

#define LABEL "ward/v1/test"

static const uint8_t payload[] = "a TLS public key, say";

/* One simulator directory for the whole group: its keys are made once. */
static int group_setup(void **state)
{
    return sim_test_dir_new("/tmp/ward-test-attest-XXXXXX", state);
}

static struct ward_attest *open_sim(const char *dir, const char *tee, bool gpus)
{
    struct ward_attest_opts o = {
        .provider = WARD_PROVIDER_SIM, .sim_dir = dir, .sim_tee = tee, .gpus = gpus};
    struct ward_attest *at = NULL;
    assert_int_equal(ward_attest_open(&o, &at), WARD_OK);
    assert_non_null(at);
    assert_int_equal(ward_attest_provider(at), WARD_PROVIDER_SIM);
    return at;
}

/* appraise_cpu verifies a CPU envelope (snp or tdx) expecting |label|/|data|'s
 * binding and returns the binding check's status. */
static enum ward_status appraise_cpu(const char *dir, const struct ward_buf *envtext,
                                     const char *label, const uint8_t *data, size_t len)
{
    struct ward_envelope env;
    assert_int_equal(ward_envelope_parse(envtext->data, envtext->len, &env), WARD_OK);
    struct ward_blob certs[WARD_ENVELOPE_MAX_CERTS];
    for (size_t i = 0; i < env.num_certs; i++) {
        certs[i] = (struct ward_blob){"envelope cert", env.certs[i].data, env.certs[i].len};
    }
    struct ward_verify_opts vo = {
        .sim_dir = dir, .cache_dir = "", .cert_files = certs, .num_cert_files = env.num_certs};
    vo.has_report_data = true;
    assert_int_equal(ward_binding(label, data, len, vo.report_data), WARD_OK);

    /* A TDX envelope from the simulator carries its DCAP collateral. */
    json_t *doc = NULL;
    assert_int_equal(ward_json_parse(envtext->data, envtext->len, &doc), WARD_OK);
    char *coll = NULL;
    struct ward_blob coll_blob;
    if (strcmp(env.tee, "tdx") == 0) {
        coll = json_dumps(json_object_get(doc, "collateral"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_non_null(coll);
        coll_blob = (struct ward_blob){"collateral", (const uint8_t *)coll, strlen(coll)};
        vo.collateral_file = &coll_blob;
    } else {
        assert_string_equal(env.tee, "snp");
        assert_int_equal(env.num_certs, 3); /* VCEK, ASK, ARK */
        assert_null(json_object_get(doc, "collateral"));
    }
    assert_null(json_object_get(doc, "runtime_data")); /* the payload stays with the caller */

    struct ward_appraisal a;
    int rc = strcmp(env.tee, "tdx") == 0
                 ? ward_verify_tdx(env.evidence.data, env.evidence.len, &vo, &a)
                 : ward_verify_snp(env.evidence.data, env.evidence.len, &vo, &a);
    assert_int_equal(rc, WARD_OK);
    assert_true(a.simulated);
    assert_int_equal(a.checks[WARD_CHECK_SIGNATURE], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_CHAIN], WARD_STATUS_PASS);
    enum ward_status binding = a.checks[WARD_CHECK_BINDING];
    if (binding == WARD_STATUS_PASS) {
        assert_true(ward_appraisal_verdict(&a));
    }
    ward_appraisal_cleanup(&a);
    free(coll);
    json_decref(doc);
    ward_envelope_cleanup(&env);
    return binding;
}

static void round_trip(const char *dir, const char *tee)
{
    struct ward_attest *at = open_sim(dir, tee, false);
    struct ward_buf env = {0};
    assert_int_equal(ward_attest_evidence(at, LABEL, payload, sizeof(payload), NULL, &env),
                     WARD_OK);
    assert_true(env.len > 0 && env.data[env.len - 1] == '\n');
    assert_int_equal(appraise_cpu(dir, &env, LABEL, payload, sizeof(payload)), WARD_STATUS_PASS);
    /* Reject twins: another label, another payload, the payload one byte short. */
    assert_int_equal(appraise_cpu(dir, &env, "ward/v1/tls-key", payload, sizeof(payload)),
                     WARD_STATUS_FAIL);
    assert_int_equal(appraise_cpu(dir, &env, LABEL, (const uint8_t *)"other", 5), WARD_STATUS_FAIL);
    assert_int_equal(appraise_cpu(dir, &env, LABEL, payload, sizeof(payload) - 1),
                     WARD_STATUS_FAIL);
    ward_buf_cleanup(&env);

    /* An empty payload is allowed, and binds the label alone. */
    assert_int_equal(ward_attest_evidence(at, LABEL, NULL, 0, NULL, &env), WARD_OK);
    assert_int_equal(appraise_cpu(dir, &env, LABEL, NULL, 0), WARD_STATUS_PASS);
    ward_buf_cleanup(&env);
    ward_attest_close(at);
}

static void test_snp_round_trip(void **state)
{
    round_trip(*state, "snp");
}

static void test_tdx_round_trip(void **state)
{
    round_trip(*state, "tdx");
}

/* gpu_nonces checks that every GPU part of |envtext| was asked with |want|. */
static void gpu_nonces(const struct ward_buf *envtext, const uint8_t want[32], size_t num_gpus)
{
    json_t *doc = NULL, *part;
    size_t i, num = 0;
    assert_int_equal(ward_json_parse(envtext->data, envtext->len, &doc), WARD_OK);
    assert_string_equal(json_string_value(json_object_get(doc, "tee")), "composite");
    json_array_foreach(json_object_get(doc, "parts"), i, part)
    {
        const char *tee = json_string_value(json_object_get(part, "tee"));
        if (i == 0) {
            assert_string_equal(tee, "snp");
            continue;
        }
        assert_string_equal(tee, "nvgpu");
        struct ward_buf n = {0};
        assert_int_equal(ward_base64_decode(json_string_value(json_object_get(part, "nonce")), &n),
                         WARD_OK);
        assert_int_equal(n.len, 32);
        assert_memory_equal(n.data, want, 32);
        ward_buf_cleanup(&n);
        num++;
    }
    assert_int_equal(num, num_gpus);
    json_decref(doc);
}

static void test_composite(void **state)
{
    const char *dir = *state;
    struct ward_attest_opts o = {
        .provider = WARD_PROVIDER_SIM, .sim_dir = dir, .gpus = true, .num_sim_gpus = 2};
    struct ward_attest *at = NULL;
    assert_int_equal(ward_attest_open(&o, &at), WARD_OK);
    struct ward_buf env = {0};
    assert_int_equal(ward_attest_evidence(at, LABEL, payload, sizeof(payload), NULL, &env),
                     WARD_OK);

    /* The composite verifier accepts it: the CPU's REPORT_DATA binds the GPUs... */
    struct ward_verify_opts vo = {.sim_dir = dir, .cache_dir = ""};
    struct ward_appraisal a;
    assert_int_equal(ward_verify_composite(env.data, env.len, &vo, &a), WARD_OK);
    assert_true(ward_appraisal_verdict(&a));
    assert_int_equal(a.checks[WARD_CHECK_BINDING], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);
    /* ...and each GPU was asked with the first 32 bytes of the caller's binding. */
    uint8_t binding[WARD_BINDING_LEN];
    assert_int_equal(ward_binding(LABEL, payload, sizeof(payload), binding), WARD_OK);
    gpu_nonces(&env, binding, 2);
    ward_buf_cleanup(&env);

    /* A nonce the caller dictates replaces the derived one. */
    uint8_t nonce[32];
    memset(nonce, 0x5a, sizeof(nonce));
    assert_int_equal(ward_attest_evidence(at, LABEL, payload, sizeof(payload), nonce, &env),
                     WARD_OK);
    gpu_nonces(&env, nonce, 2);
    assert_int_equal(ward_verify_composite(env.data, env.len, &vo, &a), WARD_OK);
    assert_true(ward_appraisal_verdict(&a));
    ward_appraisal_cleanup(&a);
    ward_buf_cleanup(&env);
    ward_attest_close(at);

    /* Without GPUs a nonce has nowhere to go: a usage error, |out| untouched. */
    at = open_sim(dir, "snp", false);
    env.data = (uint8_t *)"untouched";
    env.len = 9;
    assert_int_equal(ward_attest_evidence(at, LABEL, payload, sizeof(payload), nonce, &env),
                     WARD_ERR_USAGE);
    assert_non_null(strstr(ward_err_detail(), "nonce"));
    assert_int_equal(env.len, 9);
    ward_attest_close(at);
}

/* open_fails opens |o| and expects |code| with |needle| in the message. */
static void open_fails(const struct ward_attest_opts *o, int code, const char *needle)
{
    struct ward_attest *sentinel = (struct ward_attest *)&sentinel;
    struct ward_attest *at = sentinel;
    assert_int_equal(ward_attest_open(o, &at), code);
    assert_ptr_equal(at, sentinel); /* untouched on failure */
    if (strstr(ward_err_detail(), needle) == NULL) {
        fail_msg("message \"%s\" does not name \"%s\"", ward_err_detail(), needle);
    }
}

static void test_absent_providers(void **state)
{
    (void)state;
    const char *none = "/nonexistent/ward-test";
    struct ward_attest_opts o = {.provider = WARD_PROVIDER_CONFIGFS, .configfs_dir = none};
    open_fails(&o, WARD_ERR_NOT_FOUND, none);
    o = (struct ward_attest_opts){.provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = none};
    open_fails(&o, WARD_ERR_NOT_FOUND, none);
    o = (struct ward_attest_opts){.provider = WARD_PROVIDER_TDX_GUEST, .tdx_guest_dev = none};
    open_fails(&o, WARD_ERR_NOT_FOUND, none);
    o = (struct ward_attest_opts){.provider = WARD_PROVIDER_SIM};
    open_fails(&o, WARD_ERR_USAGE, "simulator directory");
    o = (struct ward_attest_opts){
        .provider = WARD_PROVIDER_SIM, .sim_dir = "/tmp", .sim_tee = "sgx"};
    open_fails(&o, WARD_ERR_USAGE, "sgx");

    /* AUTO names everything it tried, and does not fall back to the simulator
     * unless given a directory. */
    o = (struct ward_attest_opts){
        .configfs_dir = none, .sev_guest_dev = none, .tdx_guest_dev = none};
    open_fails(&o, WARD_ERR_NOT_FOUND, "configfs-tsm");
    assert_non_null(strstr(ward_err_detail(), "sev-guest"));
    assert_non_null(strstr(ward_err_detail(), "tdx-guest"));
}

static void test_auto_falls_back_to_sim(void **state)
{
    const char *none = "/nonexistent/ward-test";
    struct ward_attest_opts o = {
        .configfs_dir = none, .sev_guest_dev = none, .tdx_guest_dev = none, .sim_dir = *state};
    struct ward_attest *at = NULL;
    assert_int_equal(ward_attest_open(&o, &at), WARD_OK);
    assert_int_equal(ward_attest_provider(at), WARD_PROVIDER_SIM);
    ward_attest_close(at);
    ward_attest_close(NULL);
}

static void test_provider_names(void **state)
{
    (void)state;
    static const enum ward_provider_kind kinds[] = {
        WARD_PROVIDER_AUTO,      WARD_PROVIDER_CONFIGFS, WARD_PROVIDER_SEV_GUEST,
        WARD_PROVIDER_TDX_GUEST, WARD_PROVIDER_NVML,     WARD_PROVIDER_SIM};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        enum ward_provider_kind k;
        assert_true(ward_provider_parse(ward_provider_name(kinds[i]), &k));
        assert_int_equal(k, kinds[i]);
    }
    enum ward_provider_kind k = WARD_PROVIDER_SIM;
    assert_false(ward_provider_parse("sev_guest", &k));
    assert_false(ward_provider_parse("", &k));
    assert_int_equal(k, WARD_PROVIDER_SIM);
}

/* ---- two threads on one context ---- */

#define THREAD_CALLS 3

struct worker {
    struct ward_attest *at;
    const char *dir;
    uint8_t payload[16];
    struct ward_buf env[THREAD_CALLS];
    int rc[THREAD_CALLS];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < THREAD_CALLS; i++) {
        w->payload[0] = (uint8_t)i;
        w->rc[i] =
            ward_attest_evidence(w->at, LABEL, w->payload, sizeof(w->payload), NULL, &w->env[i]);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct ward_attest *at = open_sim(*state, "snp", false);
    struct worker w[2];
    memset(w, 0, sizeof(w));
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        w[i].at = at;
        w[i].dir = *state;
        memset(w[i].payload, 'A' + i, sizeof(w[i].payload));
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
    }
    /* Every call produced its own evidence, bound to its own payload. */
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < THREAD_CALLS; k++) {
            assert_int_equal(w[i].rc[k], WARD_OK);
            w[i].payload[0] = (uint8_t)k;
            assert_int_equal(
                appraise_cpu(*state, &w[i].env[k], LABEL, w[i].payload, sizeof(w[i].payload)),
                WARD_STATUS_PASS);
            ward_buf_cleanup(&w[i].env[k]);
        }
    }
    ward_attest_close(at);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snp_round_trip),
        cmocka_unit_test(test_tdx_round_trip),
        cmocka_unit_test(test_composite),
        cmocka_unit_test(test_absent_providers),
        cmocka_unit_test(test_auto_falls_back_to_sim),
        cmocka_unit_test(test_provider_names),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, sim_test_dir_remove);
}
