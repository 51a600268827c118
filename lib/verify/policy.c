/*
 * lib/verify/policy.c: the appraisal policy document (docs/policy.md). Parsing is
 * strict: an unknown key is an error, so a typo cannot silently weaken a policy.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/json.h"

#define POLICY_MAX_LEN (1u << 20)
#define POLICY_MAX_LIST 1024

static void snp_defaults(struct snp_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->vmpl_mask = 0xF;     /* any VMPL 0..3 */
    p->allow_debug = false; /* debug guests are refused unless explicitly allowed */
    p->allow_smt = true;
    p->allow_migration_agent = false; /* a migration agent can read guest memory */
    p->allow_vcek = true;
    p->allow_vlek = true;
}

const char *const tdx_mr_names[7] = {"mrtd",  "rtmr0",      "rtmr1",  "rtmr2",
                                     "rtmr3", "mrconfigid", "mrowner"};

static void tdx_defaults(struct tdx_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->num_statuses = 1;
    strcpy(p->statuses[0], "UpToDate");
    p->allow_debug = false;
    p->require_sept_ve_disable = true;
}

int ward_policy_default(struct ward_policy **out)
{
    struct ward_policy *p = calloc(1, sizeof(*p));
    GUARD_PTR(p);
    snp_defaults(&p->snp);
    tdx_defaults(&p->tdx);
    *out = p;
    return WARD_OK;
}

void ward_policy_free(struct ward_policy *p)
{
    if (p == NULL) {
        return;
    }
    free(p->snp.measurements);
    free(p->snp.id_keys);
    free(p->snp.author_keys);
    free(p->snp.chips);
    for (size_t i = 0; i < WARD_ARRAY_LEN(p->tdx.mr); i++) {
        free(p->tdx.mr[i]);
    }
    free(p->tdx.mrownerconfig);
    free(p->tdx.xfam);
    free(p);
}

static int check_keys(const json_t *obj, const char *where, const char *const *allowed, size_t n)
{
    const char *key;
    json_t *v;
    ENSURE_MSG(json_is_object(obj), WARD_ERR_JSON, "policy: %s must be an object", where);
    json_object_foreach((json_t *)obj, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < n && !ok; i++) {
            ok = strcmp(key, allowed[i]) == 0;
        }
        ENSURE_MSG(ok, WARD_ERR_JSON, "policy: unknown key \"%s\" in %s", key, where);
    }
    return WARD_OK;
}

/* Reads a list of hex strings of |n| bytes each into a new array. */
static int hex_list(const json_t *obj, const char *key, size_t n, uint8_t **out, size_t *out_num)
{
    json_t *arr = json_object_get(obj, key);
    if (arr == NULL) {
        return WARD_OK;
    }
    ENSURE_MSG(json_is_array(arr) && json_array_size(arr) <= POLICY_MAX_LIST, WARD_ERR_JSON,
               "policy: \"%s\" must be a list of at most %d hex strings", key, POLICY_MAX_LIST);
    /* An empty list would read as "allow nothing" to some and "no check" to others:
     * it is refused, and leaving the key out means no check. */
    ENSURE_MSG(json_array_size(arr) > 0, WARD_ERR_JSON,
               "policy: \"%s\" is empty; leave it out to skip the check", key);
    size_t num = json_array_size(arr);
    uint8_t *v = calloc(num ? num : 1, n);
    GUARD_PTR(v);
    for (size_t i = 0; i < num; i++) {
        json_t *s = json_array_get(arr, i);
        int rc = json_is_string(s) ? ward_hex_decode_exact(json_string_value(s), v + i * n, n)
                                   : ward_err_set(WARD_ERR_JSON, "not a string");
        if (rc != WARD_OK) {
            free(v);
            return ward_err_prefix("policy: \"%s\"[%zu] (%zu-byte hex expected)", key, i, n);
        }
    }
    free(*out);
    *out = v;
    *out_num = num;
    return WARD_OK;
}

static int opt_bool(const json_t *obj, const char *key, bool *out)
{
    int rc = ward_json_get_bool(obj, key, out);
    if (rc == WARD_ERR_NOT_FOUND) {
        ward_err_clear();
        return WARD_OK;
    }
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("policy");
}

static int opt_hex(const json_t *obj, const char *key, uint8_t *out, size_t n, bool *has)
{
    if (json_object_get(obj, key) == NULL) {
        return WARD_OK;
    }
    GUARD(ward_json_get_hex(obj, key, out, n) == WARD_OK ? WARD_OK : ward_err_prefix("policy"));
    *has = true;
    return WARD_OK;
}

static const struct {
    const char *name;
    uint64_t bit;
} platform_bits[] = {
    {"smt", WARD_SNP_PLATFORM_SMT_EN},
    {"tsme", WARD_SNP_PLATFORM_TSME_EN},
    {"ecc", WARD_SNP_PLATFORM_ECC_EN},
    {"rapl_disabled", WARD_SNP_PLATFORM_RAPL_DIS},
    {"ciphertext_hiding", WARD_SNP_PLATFORM_CIPHERTEXT_HIDING_EN},
    {"alias_check_complete", WARD_SNP_PLATFORM_ALIAS_CHECK_COMPLETE},
    {"tio", WARD_SNP_PLATFORM_TIO_EN},
};

static int platform_list(const json_t *obj, const char *key, uint64_t *out)
{
    json_t *arr = json_object_get(obj, key);
    if (arr == NULL) {
        return WARD_OK;
    }
    ENSURE_MSG(json_is_array(arr), WARD_ERR_JSON, "policy: platform_info.%s must be a list", key);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        bool found = false;
        for (size_t k = 0; k < WARD_ARRAY_LEN(platform_bits) && json_is_string(v); k++) {
            if (strcmp(json_string_value(v), platform_bits[k].name) == 0) {
                *out |= platform_bits[k].bit;
                found = true;
            }
        }
        ENSURE_MSG(found, WARD_ERR_JSON,
                   "policy: platform_info.%s[%zu] is not a known platform flag", key, i);
    }
    return WARD_OK;
}

static int parse_min_tcb(const json_t *o, struct snp_policy *p)
{
    static const char *const keys[] = {"bootloader", "tee", "snp", "microcode", "fmc"};
    uint8_t *fields[] = {&p->min_tcb.bootloader, &p->min_tcb.tee, &p->min_tcb.snp,
                         &p->min_tcb.microcode, &p->min_tcb.fmc};
    GUARD(check_keys(o, "snp.min_tcb", keys, WARD_ARRAY_LEN(keys)));
    for (size_t i = 0; i < WARD_ARRAY_LEN(keys); i++) {
        uint64_t v = 0;
        int rc = ward_json_get_uint(o, keys[i], 255, &v);
        if (rc == WARD_ERR_NOT_FOUND) {
            ward_err_clear();
            continue;
        }
        GUARD(rc == WARD_OK ? WARD_OK : ward_err_prefix("policy: snp.min_tcb"));
        *fields[i] = (uint8_t)v;
    }
    p->has_min_tcb = true;
    return WARD_OK;
}

static int parse_snp(const json_t *o, struct snp_policy *p)
{
    static const char *const keys[] = {
        "min_tcb",
        "measurements",
        "report_data",
        "host_data",
        "vmpls",
        "allow_debug",
        "allow_smt",
        "allow_migration_agent",
        "require_single_socket",
        "platform_info",
        "id_key_digests",
        "author_key_digests",
        "signing_keys",
        "chip_ids",
        "min_guest_svn",
        "require_crl",
        "min_abi",
    };
    GUARD(check_keys(o, "snp", keys, WARD_ARRAY_LEN(keys)));
    json_t *v;
    if ((v = json_object_get(o, "min_tcb")) != NULL) {
        GUARD(parse_min_tcb(v, p));
    }
    GUARD(hex_list(o, "measurements", 48, (uint8_t **)&p->measurements, &p->num_measurements));
    GUARD(hex_list(o, "id_key_digests", 48, (uint8_t **)&p->id_keys, &p->num_id_keys));
    GUARD(hex_list(o, "author_key_digests", 48, (uint8_t **)&p->author_keys, &p->num_author_keys));
    GUARD(hex_list(o, "chip_ids", 64, (uint8_t **)&p->chips, &p->num_chips));
    GUARD(opt_hex(o, "report_data", p->report_data, 64, &p->has_report_data));
    GUARD(opt_hex(o, "host_data", p->host_data, 32, &p->has_host_data));
    GUARD(opt_bool(o, "allow_debug", &p->allow_debug));
    GUARD(opt_bool(o, "allow_smt", &p->allow_smt));
    GUARD(opt_bool(o, "allow_migration_agent", &p->allow_migration_agent));
    GUARD(opt_bool(o, "require_single_socket", &p->require_single_socket));
    GUARD(opt_bool(o, "require_crl", &p->require_crl));
    if ((v = json_object_get(o, "vmpls")) != NULL) {
        size_t i;
        json_t *e;
        ENSURE_MSG(json_is_array(v) && json_array_size(v) > 0, WARD_ERR_JSON,
                   "policy: snp.vmpls must be a non-empty list of 0..3");
        p->vmpl_mask = 0;
        json_array_foreach(v, i, e)
        {
            ENSURE_MSG(json_is_integer(e) && json_integer_value(e) >= 0 &&
                           json_integer_value(e) <= 3,
                       WARD_ERR_JSON, "policy: snp.vmpls[%zu] must be 0..3", i);
            p->vmpl_mask |= 1u << json_integer_value(e);
        }
    }
    if ((v = json_object_get(o, "platform_info")) != NULL) {
        static const char *const pkeys[] = {"require", "forbid"};
        GUARD(check_keys(v, "snp.platform_info", pkeys, 2));
        GUARD(platform_list(v, "require", &p->platform_require));
        GUARD(platform_list(v, "forbid", &p->platform_forbid));
    }
    if ((v = json_object_get(o, "signing_keys")) != NULL) {
        size_t i;
        json_t *e;
        ENSURE_MSG(json_is_array(v) && json_array_size(v) > 0, WARD_ERR_JSON,
                   "policy: snp.signing_keys must be a non-empty list");
        p->allow_vcek = p->allow_vlek = false;
        json_array_foreach(v, i, e)
        {
            const char *s = json_string_value(e);
            if (s != NULL && strcmp(s, "vcek") == 0) {
                p->allow_vcek = true;
            } else if (s != NULL && strcmp(s, "vlek") == 0) {
                p->allow_vlek = true;
            } else {
                return ward_err_set(
                    WARD_ERR_JSON, "policy: snp.signing_keys[%zu] must be \"vcek\" or \"vlek\"", i);
            }
        }
    }
    if (json_object_get(o, "min_guest_svn") != NULL) {
        uint64_t svn;
        GUARD(ward_json_get_uint(o, "min_guest_svn", UINT32_MAX, &svn) == WARD_OK
                  ? WARD_OK
                  : ward_err_prefix("policy: snp"));
        p->min_guest_svn = (uint32_t)svn;
    }
    if ((v = json_object_get(o, "min_abi")) != NULL) {
        unsigned maj, min;
        char end;
        ENSURE_MSG(json_is_string(v) && isdigit((unsigned char)json_string_value(v)[0]) &&
                       sscanf(json_string_value(v), "%u.%u%c", &maj, &min, &end) == 2 &&
                       maj <= 255 && min <= 255,
                   WARD_ERR_JSON, "policy: snp.min_abi must be \"MAJOR.MINOR\"");
        p->min_abi_major = (uint8_t)maj;
        p->min_abi_minor = (uint8_t)min;
    }
    return WARD_OK;
}

static const char *const tdx_statuses[] = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
}; /* "Revoked" is never acceptable, so a policy cannot list it */

static int parse_tdx(const json_t *o, struct tdx_policy *p)
{
    static const char *const keys[] = {
        "tcb_statuses",  "mrtd",
        "rtmr0",         "rtmr1",
        "rtmr2",         "rtmr3",
        "mrconfigid",    "mrowner",
        "mrownerconfig", "xfam",
        "allow_debug",   "require_sept_ve_disable",
        "report_data",   "min_tee_tcb_svn",
    };
    json_t *v;
    GUARD(check_keys(o, "tdx", keys, WARD_ARRAY_LEN(keys)));
    if ((v = json_object_get(o, "tcb_statuses")) != NULL) {
        size_t i;
        json_t *e;
        ENSURE_MSG(
            json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= TDX_MAX_STATUSES,
            WARD_ERR_JSON, "policy: tdx.tcb_statuses must be a non-empty list of TCB statuses");
        p->num_statuses = 0;
        json_array_foreach(v, i, e)
        {
            bool known = false;
            for (size_t k = 0; k < WARD_ARRAY_LEN(tdx_statuses) && json_is_string(e); k++) {
                known |= strcmp(json_string_value(e), tdx_statuses[k]) == 0;
            }
            ENSURE_MSG(known, WARD_ERR_JSON, "policy: tdx.tcb_statuses[%zu] is not a TCB status",
                       i);
            snprintf(p->statuses[p->num_statuses++], sizeof(p->statuses[0]), "%s",
                     json_string_value(e));
        }
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(p->mr); i++) {
        GUARD(hex_list(o, tdx_mr_names[i], 48, (uint8_t **)&p->mr[i], &p->num_mr[i]));
    }
    GUARD(hex_list(o, "mrownerconfig", 48, (uint8_t **)&p->mrownerconfig, &p->num_mrownerconfig));
    if ((v = json_object_get(o, "xfam")) != NULL) {
        size_t i;
        json_t *e;
        ENSURE_MSG(json_is_array(v) && json_array_size(v) > 0 &&
                       json_array_size(v) <= POLICY_MAX_LIST,
                   WARD_ERR_JSON, "policy: tdx.xfam must be a non-empty list of hex numbers");
        uint64_t *x = calloc(json_array_size(v), sizeof(*x));
        GUARD_PTR(x);
        json_array_foreach(v, i, e)
        {
            const char *t = json_string_value(e);
            char *end = NULL;
            if (t != NULL && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
                t += 2;
            }
            bool hex = t != NULL && t[0] != '\0' && strlen(t) <= 16;
            for (size_t k = 0; hex && t[k] != '\0'; k++) {
                hex = isxdigit((unsigned char)t[k]) != 0;
            }
            if (!hex) {
                free(x);
                return ward_err_set(WARD_ERR_JSON, "policy: tdx.xfam[%zu] must be a hex number", i);
            }
            x[i] = strtoull(t, &end, 16);
            if (*end != '\0') {
                free(x);
                return ward_err_set(WARD_ERR_JSON, "policy: tdx.xfam[%zu] must be a hex number", i);
            }
        }
        free(p->xfam);
        p->xfam = x;
        p->num_xfam = json_array_size(v);
    }
    GUARD(opt_bool(o, "allow_debug", &p->allow_debug));
    GUARD(opt_bool(o, "require_sept_ve_disable", &p->require_sept_ve_disable));
    GUARD(opt_hex(o, "report_data", p->report_data, 64, &p->has_report_data));
    GUARD(opt_hex(o, "min_tee_tcb_svn", p->min_tee_tcb_svn, 16, &p->has_min_tee_tcb_svn));
    return WARD_OK;
}

int ward_policy_parse(const char *text, size_t len, struct ward_policy **out)
{
    static const char *const keys[] = {"version", "snp", "tdx"};
    json_t *doc = NULL;
    struct ward_policy *p = NULL;
    int rc;
    GUARD(ward_json_parse((const uint8_t *)text, len, &doc));
    GOTO_GUARD(rc, ward_policy_default(&p), out);
    GOTO_GUARD(rc, check_keys(doc, "the policy document", keys, WARD_ARRAY_LEN(keys)), out);
    json_t *ver = json_object_get(doc, "version");
    if (ver != NULL && !(json_is_integer(ver) && json_integer_value(ver) == 1)) {
        rc = ward_err_set(WARD_ERR_JSON, "policy: unsupported version (this ward reads version 1)");
        goto out;
    }
    json_t *snp = json_object_get(doc, "snp");
    if (snp != NULL) {
        GOTO_GUARD(rc, parse_snp(snp, &p->snp), out);
    }
    json_t *tdx = json_object_get(doc, "tdx");
    if (tdx != NULL) {
        GOTO_GUARD(rc, parse_tdx(tdx, &p->tdx), out);
    }
    *out = p;
    p = NULL;
out:
    ward_policy_free(p);
    json_decref(doc);
    return rc;
}

int ward_policy_load(const char *path, struct ward_policy **out)
{
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(ward_read_file(path, POLICY_MAX_LEN, &b));
    int rc = ward_policy_parse((const char *)b.data, b.len, out);
    if (rc != WARD_OK) {
        ward_err_prefix("%s", path);
    }
    return rc;
}
