/* lib/verify/appraisal.c: the one result structure every verifier fills in. */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "ward/verify.h"

static const char *const check_names[WARD_CHECK__COUNT] = {
    [WARD_CHECK_SIGNATURE] = "signature",     [WARD_CHECK_CHAIN] = "chain",
    [WARD_CHECK_REVOCATION] = "revocation",   [WARD_CHECK_TCB] = "tcb",
    [WARD_CHECK_MEASUREMENT] = "measurement", [WARD_CHECK_POLICY] = "policy",
    [WARD_CHECK_BINDING] = "binding",         [WARD_CHECK_COLLATERAL] = "collateral",
    [WARD_CHECK_QE_IDENTITY] = "qe_identity",
};

const char *ward_check_name(enum ward_check c)
{
    return (unsigned)c < WARD_CHECK__COUNT ? check_names[c] : "unknown";
}

const char *ward_status_name(enum ward_status s)
{
    switch (s) {
    case WARD_STATUS_PASS:
        return "pass";
    case WARD_STATUS_FAIL:
        return "fail";
    default:
        return "skip";
    }
}

void ward_appraisal_init(struct ward_appraisal *a, const char *tee)
{
    memset(a, 0, sizeof(*a));
    snprintf(a->tee, sizeof(a->tee), "%s", tee);
    /* Every TEE reports the seven common checks; DCAP evidence adds two. */
    a->applicable = (1u << WARD_CHECK_COLLATERAL) - 1;
    if (strcmp(tee, "tdx") == 0) {
        a->applicable |= 1u << WARD_CHECK_COLLATERAL | 1u << WARD_CHECK_QE_IDENTITY;
    }
    a->claims = json_object();
    WARD_ASSERT(a->claims != NULL);
}

void ward_appraisal_cleanup(struct ward_appraisal *a)
{
    json_decref(a->claims);
    memset(a, 0, sizeof(*a));
}

void ward_appraisal_pass(struct ward_appraisal *a, enum ward_check c)
{
    WARD_ASSERT((unsigned)c < WARD_CHECK__COUNT);
    if (a->checks[c] != WARD_STATUS_FAIL) {
        a->checks[c] = WARD_STATUS_PASS;
    }
}

void ward_appraisal_fail(struct ward_appraisal *a, enum ward_check c, const char *fmt, ...)
{
    WARD_ASSERT((unsigned)c < WARD_CHECK__COUNT);
    a->checks[c] = WARD_STATUS_FAIL;
    if (a->num_errors == WARD_APPRAISAL_MAX_ERRORS) {
        return; /* the check is failed; further messages would only repeat */
    }
    struct ward_appraisal_error *e = &a->errors[a->num_errors++];
    va_list ap;
    e->check = c;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

bool ward_appraisal_verdict(const struct ward_appraisal *a)
{
    for (int c = 0; c < WARD_CHECK__COUNT; c++) {
        if (a->checks[c] == WARD_STATUS_FAIL) {
            return false;
        }
    }
    return a->checks[WARD_CHECK_SIGNATURE] == WARD_STATUS_PASS &&
           a->checks[WARD_CHECK_CHAIN] == WARD_STATUS_PASS;
}

json_t *ward_appraisal_to_json(const struct ward_appraisal *a)
{
    json_t *o = json_object();
    json_t *checks = json_object();
    json_t *errors = json_array();
    if (o == NULL || checks == NULL || errors == NULL) {
        json_decref(o);
        json_decref(checks);
        json_decref(errors);
        return NULL;
    }
    json_object_set_new(o, "verdict", json_string(ward_appraisal_verdict(a) ? "pass" : "fail"));
    json_object_set_new(o, "tee", json_string(a->tee));
    for (int c = 0; c < WARD_CHECK__COUNT; c++) {
        if (a->applicable & (1u << c)) {
            json_object_set_new(checks, check_names[c],
                                json_string(ward_status_name(a->checks[c])));
        }
    }
    json_object_set_new(o, "checks", checks);
    json_object_set(o, "claims", a->claims);
    for (size_t i = 0; i < a->num_errors; i++) {
        json_array_append_new(errors,
                              json_pack("{s:s,s:s}", "check", check_names[a->errors[i].check],
                                        "message", a->errors[i].message));
    }
    json_object_set_new(o, "errors", errors);
    if (a->simulated) {
        json_object_set_new(o, "simulated", json_true());
    }
    return o;
}
