/*
 * lib/verify/dcap_collateral.c: the Intel DCAP collateral bundle (ward/dcap.h) and
 * the parsers of the two signed documents it carries: TCB info (v3 "TDX" and "SGX",
 * v2 "SGX") and QE identity (v2).
 *
 * Everything here is untrusted input. JSON goes through jansson with duplicate
 * keys rejected; every list has a named maximum and every string a fixed array.
 * The signed documents are only parsed, never re-serialised: the bundle keeps
 * their exact text, because Intel's signature covers those bytes. Nothing here
 * decides whether a platform is acceptable: that is the verifier's job.
 */
#include <string.h>

#include <openssl/x509.h>

#include "base/internal.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"

/* The bundle's members, in the order dcap-qvl writes them and we encode them. */
#define M_PCK_CRL_CHAIN "pck_crl_issuer_chain"
#define M_ROOT_CRL "root_ca_crl"
#define M_PCK_CRL "pck_crl"
#define M_TCB_CHAIN "tcb_info_issuer_chain"
#define M_TCB_INFO "tcb_info"
#define M_TCB_SIG "tcb_info_signature"
#define M_QE_CHAIN "qe_identity_issuer_chain"
#define M_QE_ID "qe_identity"
#define M_QE_SIG "qe_identity_signature"

/* Every TCB status Intel defines (TCB info v3, QE identity v2). */
static const char *const known_statuses[] = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "Revoked",
};

/* The enclave identities Intel publishes. */
static const char *const known_qe_ids[] = {"QE", "QVE", "TD_QE"};

static void crl_freep(X509_CRL **c)
{
    X509_CRL_free(*c);
}
static void collateral_cleanupp(struct ward_dcap_collateral *c)
{
    ward_dcap_collateral_cleanup(c);
}
static void tcb_info_cleanupp(struct ward_dcap_tcb_info *t)
{
    ward_dcap_tcb_info_cleanup(t);
}
static void qe_identity_cleanupp(struct ward_dcap_qe_identity *q)
{
    ward_dcap_qe_identity_cleanup(q);
}

/* ---- typed members (a missing member is WARD_ERR_JSON naming it) ---- */

static int member(const json_t *obj, const char *key, json_t **out)
{
    ENSURE_MSG(json_is_object(obj), WARD_ERR_JSON, "expected an object around \"%s\"", key);
    json_t *v = json_object_get(obj, key);
    ENSURE_MSG(v != NULL, WARD_ERR_JSON, "missing member \"%s\"", key);
    *out = v;
    return WARD_OK;
}

static int get_string(const json_t *obj, const char *key, const char **out)
{
    json_t *v = NULL;
    GUARD(member(obj, key, &v));
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "\"%s\" must be a string", key);
    *out = json_string_value(v);
    return WARD_OK;
}

/* get_bounded copies a string member into |out| of |cap| bytes (with the NUL). */
static int get_bounded(const json_t *obj, const char *key, char *out, size_t cap)
{
    const char *s;
    GUARD(get_string(obj, key, &s));
    size_t n = strlen(s);
    ENSURE_MSG(n > 0 && n < cap, WARD_ERR_FORMAT, "\"%s\" must be 1 to %zu characters, not %zu",
               key, cap - 1, n);
    memcpy(out, s, n + 1);
    return WARD_OK;
}

static int get_uint(const json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = NULL;
    GUARD(member(obj, key, &v));
    return ward_json_get_uint(obj, key, max, out);
}

static int get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
    json_t *v = NULL;
    GUARD(member(obj, key, &v));
    return ward_json_get_hex(obj, key, out, n);
}

/* get_u64_raw reads 16 hex digits as the 8 raw bytes they spell, then takes those
 * bytes as a little-endian integer (see ward/dcap.h). */
static int get_u64_raw(const json_t *obj, const char *key, uint64_t *out)
{
    uint8_t b[8];
    GUARD(get_hex(obj, key, b, sizeof(b)));
    struct ward_rd r;
    ward_rd_init(&r, b, sizeof(b));
    return ward_rd_u64le(&r, out);
}

static int get_u32_raw(const json_t *obj, const char *key, uint32_t *out)
{
    uint8_t b[4];
    GUARD(get_hex(obj, key, b, sizeof(b)));
    struct ward_rd r;
    ward_rd_init(&r, b, sizeof(b));
    return ward_rd_u32le(&r, out);
}

static int get_time(const json_t *obj, const char *key, int64_t *out)
{
    const char *s;
    GUARD(get_string(obj, key, &s));
    int rc = ward_time_parse(s, out);
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("\"%s\"", key);
}

static int get_array(const json_t *obj, const char *key, size_t min, size_t max, json_t **out)
{
    json_t *v = NULL;
    GUARD(member(obj, key, &v));
    ENSURE_MSG(json_is_array(v), WARD_ERR_JSON, "\"%s\" must be an array", key);
    size_t n = json_array_size(v);
    ENSURE_MSG(n <= max, WARD_ERR_NOMEM, "\"%s\" has %zu entries, more than the %zu allowed", key,
               n, max);
    ENSURE_MSG(n >= min, WARD_ERR_FORMAT, "\"%s\" has %zu entries, fewer than %zu", key, n, min);
    *out = v;
    return WARD_OK;
}

static int get_status(const json_t *obj, char out[WARD_DCAP_STATUS_MAX])
{
    GUARD(get_bounded(obj, "tcbStatus", out, WARD_DCAP_STATUS_MAX));
    for (size_t i = 0; i < WARD_ARRAY_LEN(known_statuses); i++) {
        if (strcmp(out, known_statuses[i]) == 0) {
            return WARD_OK;
        }
    }
    return ward_err_set(WARD_ERR_FORMAT, "unknown tcbStatus \"%s\"", out);
}

/* get_advisories reads the optional advisoryIDs list. */
static int get_advisories(const json_t *obj, struct ward_dcap_advisories *out)
{
    memset(out, 0, sizeof(*out));
    if (json_object_get(obj, "advisoryIDs") == NULL) {
        return WARD_OK;
    }
    json_t *a = NULL;
    GUARD(get_array(obj, "advisoryIDs", 0, WARD_DCAP_MAX_ADVISORIES, &a));
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "advisoryIDs[%zu] must be a string", i);
        size_t n = json_string_length(v);
        ENSURE_MSG(n > 0 && n < sizeof(out->ids[0]), WARD_ERR_FORMAT,
                   "advisoryIDs[%zu] must be 1 to %zu characters, not %zu", i,
                   sizeof(out->ids[0]) - 1, n);
        memcpy(out->ids[i], json_string_value(v), n + 1);
    }
    out->num = json_array_size(a);
    return WARD_OK;
}

/* ---- the bundle ---- */

/* get_pem copies a PEM text member (certificates) as it is. */
static int get_pem(const json_t *root, const char *key, struct ward_buf *out)
{
    json_t *v = NULL;
    GUARD(member(root, key, &v));
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "\"%s\" must be a string", key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) {
        i++;
    }
    ENSURE_MSG(n - i >= 11 && memcmp(s + i, "-----BEGIN ", 11) == 0, WARD_ERR_FORMAT,
               "\"%s\" is not PEM text", key);
    return ward_buf_set(out, (const uint8_t *)s, n);
}

/* get_crl reads a CRL given as hex of DER or as PEM text, and stores its DER. */
static int get_crl(const json_t *root, const char *key, struct ward_buf *out)
{
    const char *s;
    GUARD(get_string(root, key, &s));
    const char *t = s;
    while (*t == ' ' || *t == '\t' || *t == '\r' || *t == '\n') {
        t++;
    }
    DEFER(crl_freep) X509_CRL *crl = NULL;
    DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
    if (strncmp(t, "-----BEGIN ", 11) == 0) {
        if (ward_crl_parse((const uint8_t *)s, strlen(s), &crl) != WARD_OK) {
            return ward_err_prefix("\"%s\"", key);
        }
        unsigned char *p = NULL;
        int n = i2d_X509_CRL(crl, &p);
        if (n <= 0) {
            return ward_ossl_fail(WARD_ERR_CRYPTO, "i2d_X509_CRL");
        }
        int rc = ward_buf_set(&der, p, (size_t)n);
        OPENSSL_free(p);
        GUARD(rc);
    } else {
        ENSURE_MSG(s[0] != '\0', WARD_ERR_FORMAT, "\"%s\" is empty", key);
        if (ward_hex_decode(s, &der) != WARD_OK) {
            return ward_err_prefix("\"%s\" is neither PEM nor hex", key);
        }
        if (ward_crl_parse(der.data, der.len, &crl) != WARD_OK) {
            return ward_err_prefix("\"%s\"", key);
        }
    }
    ward_buf_cleanup(out);
    *out = der;
    der = (struct ward_buf){0};
    return WARD_OK;
}

/* get_text copies a signed document: the string's content is the raw text. */
static int get_text(const json_t *root, const char *key, struct ward_buf *out)
{
    json_t *v = NULL;
    GUARD(member(root, key, &v));
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON,
               "\"%s\" must be a string holding the signed JSON text", key);
    ENSURE_MSG(json_string_length(v) > 0, WARD_ERR_FORMAT, "\"%s\" is empty", key);
    return ward_buf_set(out, (const uint8_t *)json_string_value(v), json_string_length(v));
}

static int get_sig(const json_t *root, const char *key, uint8_t out[64])
{
    const char *s;
    GUARD(get_string(root, key, &s));
    int rc = ward_hex_decode_exact(s, out, 64);
    return rc == WARD_OK ? WARD_OK
                         : ward_err_prefix("\"%s\" must be 128 hex digits (ECDSA r||s)", key);
}

static int parse_bundle(const json_t *root, struct ward_dcap_collateral *c)
{
    ENSURE_MSG(json_is_object(root), WARD_ERR_JSON, "not a JSON object");
    GUARD(get_pem(root, M_PCK_CRL_CHAIN, &c->pck_crl_issuer_chain));
    GUARD(get_crl(root, M_ROOT_CRL, &c->root_ca_crl));
    GUARD(get_crl(root, M_PCK_CRL, &c->pck_crl));
    GUARD(get_pem(root, M_TCB_CHAIN, &c->tcb_info_issuer_chain));
    GUARD(get_text(root, M_TCB_INFO, &c->tcb_info));
    GUARD(get_sig(root, M_TCB_SIG, c->tcb_info_signature));
    GUARD(get_pem(root, M_QE_CHAIN, &c->qe_identity_issuer_chain));
    GUARD(get_text(root, M_QE_ID, &c->qe_identity));
    GUARD(get_sig(root, M_QE_SIG, c->qe_identity_signature));
    return WARD_OK;
}

int ward_dcap_collateral_parse(const uint8_t *json, size_t len, struct ward_dcap_collateral *out)
{
    WARD_ASSERT((json != NULL || len == 0) && out != NULL);
    ENSURE_MSG(len <= WARD_DCAP_BUNDLE_MAX, WARD_ERR_NOMEM,
               "collateral bundle: %zu bytes, more than the %u allowed", len, WARD_DCAP_BUNDLE_MAX);
    DEFER(json_decrefp) json_t *root = NULL;
    if (ward_json_parse(json, len, &root) != WARD_OK) {
        return ward_err_prefix("collateral bundle");
    }
    DEFER(collateral_cleanupp) struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    if (parse_bundle(root, &c) != WARD_OK) {
        return ward_err_prefix("collateral bundle");
    }
    *out = c;
    memset(&c, 0, sizeof(c));
    return WARD_OK;
}

static int set_text(json_t *o, const char *key, const struct ward_buf *b)
{
    ENSURE_MSG(b->len > 0, WARD_ERR_USAGE, "collateral bundle: \"%s\" is empty", key);
    json_t *s = json_stringn((const char *)b->data, b->len);
    ENSURE_MSG(s != NULL, WARD_ERR_FORMAT, "collateral bundle: \"%s\" is not UTF-8 text", key);
    ENSURE(json_object_set_new(o, key, s) == 0, WARD_ERR_NOMEM);
    return WARD_OK;
}

static int set_hex(json_t *o, const char *key, const uint8_t *p, size_t len)
{
    ENSURE_MSG(len > 0, WARD_ERR_USAGE, "collateral bundle: \"%s\" is empty", key);
    return ward_json_set_hex(o, key, p, len);
}

int ward_dcap_collateral_encode(const struct ward_dcap_collateral *c, struct ward_buf *out)
{
    WARD_ASSERT(c != NULL && out != NULL);
    DEFER(json_decrefp) json_t *o = json_object();
    GUARD_PTR(o);
    GUARD(set_text(o, M_PCK_CRL_CHAIN, &c->pck_crl_issuer_chain));
    GUARD(set_hex(o, M_ROOT_CRL, c->root_ca_crl.data, c->root_ca_crl.len));
    GUARD(set_hex(o, M_PCK_CRL, c->pck_crl.data, c->pck_crl.len));
    GUARD(set_text(o, M_TCB_CHAIN, &c->tcb_info_issuer_chain));
    GUARD(set_text(o, M_TCB_INFO, &c->tcb_info));
    GUARD(set_hex(o, M_TCB_SIG, c->tcb_info_signature, sizeof(c->tcb_info_signature)));
    GUARD(set_text(o, M_QE_CHAIN, &c->qe_identity_issuer_chain));
    GUARD(set_text(o, M_QE_ID, &c->qe_identity));
    GUARD(set_hex(o, M_QE_SIG, c->qe_identity_signature, sizeof(c->qe_identity_signature)));
    DEFER(ward_freep) char *text = ward_json_dumps(o, true);
    GUARD_PTR(text);
    size_t n = strlen(text);
    /* What we write must be readable back. */
    ENSURE_MSG(n + 1 <= WARD_DCAP_BUNDLE_MAX, WARD_ERR_NOMEM,
               "collateral bundle: %zu bytes, more than the %u allowed", n + 1,
               WARD_DCAP_BUNDLE_MAX);
    struct ward_wr w;
    ward_wr_init(&w, WARD_DCAP_BUNDLE_MAX);
    int rc = ward_wr_bytes(&w, (const uint8_t *)text, n);
    if (rc == WARD_OK) {
        rc = ward_wr_u8(&w, '\n');
    }
    if (rc != WARD_OK) {
        ward_wr_cleanup(&w);
        return rc;
    }
    ward_buf_cleanup(out);
    ward_wr_finish(&w, out);
    ward_wr_cleanup(&w);
    return WARD_OK;
}

void ward_dcap_collateral_cleanup(struct ward_dcap_collateral *c)
{
    if (c == NULL) {
        return;
    }
    ward_buf_cleanup(&c->pck_crl_issuer_chain);
    ward_buf_cleanup(&c->root_ca_crl);
    ward_buf_cleanup(&c->pck_crl);
    ward_buf_cleanup(&c->tcb_info_issuer_chain);
    ward_buf_cleanup(&c->tcb_info);
    ward_buf_cleanup(&c->qe_identity_issuer_chain);
    ward_buf_cleanup(&c->qe_identity);
    memset(c, 0, sizeof(*c));
}

/* ---- TCB info ---- */

/* parse_components reads one of the 16-entry component lists of a v3 level. */
static int parse_components(const json_t *tcb, const char *key, uint8_t out[16])
{
    json_t *a = NULL;
    GUARD(get_array(tcb, key, 16, 16, &a));
    for (size_t i = 0; i < 16; i++) {
        uint64_t svn;
        if (get_uint(json_array_get(a, i), "svn", UINT8_MAX, &svn) != WARD_OK) {
            return ward_err_prefix("%s[%zu]", key, i);
        }
        out[i] = (uint8_t)svn;
    }
    return WARD_OK;
}

static int parse_level_tcb(const json_t *tcb, const struct ward_dcap_tcb_info *t,
                           struct ward_dcap_tcb_level *out)
{
    uint64_t v;
    if (t->version == 2) {
        /* TCB info v2 (SGX only): sgxtcbcomp01svn .. sgxtcbcomp16svn. */
        for (unsigned i = 0; i < 16; i++) {
            char key[24];
            snprintf(key, sizeof(key), "sgxtcbcomp%02usvn", i + 1);
            GUARD(get_uint(tcb, key, UINT8_MAX, &v));
            out->sgx_comp[i] = (uint8_t)v;
        }
    } else {
        GUARD(parse_components(tcb, "sgxtcbcomponents", out->sgx_comp));
        if (strcmp(t->id, "TDX") == 0) {
            GUARD(parse_components(tcb, "tdxtcbcomponents", out->tdx_comp));
        }
    }
    GUARD(get_uint(tcb, "pcesvn", UINT16_MAX, &v));
    out->pcesvn = (uint16_t)v;
    return WARD_OK;
}

static int parse_level(const json_t *l, const struct ward_dcap_tcb_info *t,
                       struct ward_dcap_tcb_level *out)
{
    json_t *tcb = NULL;
    GUARD(member(l, "tcb", &tcb));
    if (parse_level_tcb(tcb, t, out) != WARD_OK) {
        return ward_err_prefix("tcb");
    }
    GUARD(get_time(l, "tcbDate", &out->tcb_date));
    GUARD(get_status(l, out->status));
    GUARD(get_advisories(l, &out->advisories));
    return WARD_OK;
}

/* parse_module reads one tdxModuleIdentities entry. */
static int parse_module(const json_t *m, struct ward_dcap_module_identity *out)
{
    GUARD(get_bounded(m, "id", out->id, sizeof(out->id)));
    GUARD(get_hex(m, "mrsigner", out->mrsigner, sizeof(out->mrsigner)));
    GUARD(get_u64_raw(m, "attributes", &out->attributes));
    GUARD(get_u64_raw(m, "attributesMask", &out->attributes_mask));
    json_t *levels = NULL;
    GUARD(get_array(m, "tcbLevels", 1, WARD_ARRAY_LEN(out->levels), &levels));
    for (size_t i = 0; i < json_array_size(levels); i++) {
        const json_t *l = json_array_get(levels, i);
        json_t *tcb = NULL;
        uint64_t isvsvn;
        int rc = member(l, "tcb", &tcb);
        if (rc == WARD_OK) {
            rc = get_uint(tcb, "isvsvn", UINT8_MAX, &isvsvn);
        }
        if (rc == WARD_OK) {
            out->levels[i].isvsvn = (uint8_t)isvsvn;
            rc = get_time(l, "tcbDate", &out->levels[i].tcb_date);
        }
        if (rc == WARD_OK) {
            rc = get_status(l, out->levels[i].status);
        }
        if (rc == WARD_OK) {
            rc = get_advisories(l, &out->levels[i].advisories);
        }
        if (rc != WARD_OK) {
            return ward_err_prefix("tcbLevels[%zu]", i);
        }
    }
    out->num_levels = json_array_size(levels);
    return WARD_OK;
}

static int parse_tdx_module(const json_t *root, struct ward_dcap_tcb_info *t)
{
    json_t *m = NULL;
    GUARD(member(root, "tdxModule", &m));
    int rc = get_hex(m, "mrsigner", t->tdx_module_mrsigner, sizeof(t->tdx_module_mrsigner));
    if (rc == WARD_OK) {
        rc = get_u64_raw(m, "attributes", &t->tdx_module_attributes);
    }
    if (rc == WARD_OK) {
        rc = get_u64_raw(m, "attributesMask", &t->tdx_module_attributes_mask);
    }
    if (rc != WARD_OK) {
        return ward_err_prefix("tdxModule");
    }
    t->has_tdx_module = true;

    if (json_object_get(root, "tdxModuleIdentities") == NULL) {
        return WARD_OK; /* older TCB info (2023) has none */
    }
    json_t *mods = NULL;
    GUARD(get_array(root, "tdxModuleIdentities", 0, WARD_DCAP_MAX_MODULES, &mods));
    size_t n = json_array_size(mods);
    if (n == 0) {
        return WARD_OK;
    }
    t->modules = calloc(n, sizeof(*t->modules));
    GUARD_PTR(t->modules);
    t->num_modules = n;
    for (size_t i = 0; i < n; i++) {
        if (parse_module(json_array_get(mods, i), &t->modules[i]) != WARD_OK) {
            return ward_err_prefix("tdxModuleIdentities[%zu]", i);
        }
    }
    return WARD_OK;
}

static int parse_tcb_info(const json_t *root, struct ward_dcap_tcb_info *t)
{
    ENSURE_MSG(json_is_object(root), WARD_ERR_JSON, "not a JSON object");
    GUARD(get_bounded(root, "id", t->id, sizeof(t->id)));
    bool tdx = strcmp(t->id, "TDX") == 0;
    ENSURE_MSG(tdx || strcmp(t->id, "SGX") == 0, WARD_ERR_FORMAT,
               "id is \"%s\", expected \"TDX\" or \"SGX\"", t->id);
    uint64_t v;
    GUARD(get_uint(root, "version", INT32_MAX, &v));
    t->version = (int)v;
    ENSURE_MSG(v == 3 || (v == 2 && !tdx), WARD_ERR_VERSION,
               "version %d is not supported (%s TCB info: %s)", t->version, t->id,
               tdx ? "3" : "2 or 3");
    GUARD(get_time(root, "issueDate", &t->issue_date));
    GUARD(get_time(root, "nextUpdate", &t->next_update));
    GUARD(get_hex(root, "fmspc", t->fmspc, sizeof(t->fmspc)));
    GUARD(get_hex(root, "pceId", t->pceid, sizeof(t->pceid)));
    GUARD(get_uint(root, "tcbType", INT32_MAX, &v));
    t->tcb_type = (int)v;
    GUARD(get_uint(root, "tcbEvaluationDataNumber", UINT32_MAX, &v));
    t->tcb_evaluation_data_number = (uint32_t)v;
    if (tdx) {
        GUARD(parse_tdx_module(root, t));
    }

    json_t *levels = NULL;
    GUARD(get_array(root, "tcbLevels", 1, WARD_DCAP_MAX_LEVELS, &levels));
    size_t n = json_array_size(levels);
    t->levels = calloc(n, sizeof(*t->levels));
    GUARD_PTR(t->levels);
    t->num_levels = n;
    for (size_t i = 0; i < n; i++) {
        if (parse_level(json_array_get(levels, i), t, &t->levels[i]) != WARD_OK) {
            return ward_err_prefix("tcbLevels[%zu]", i);
        }
    }
    return WARD_OK;
}

int ward_dcap_tcb_info_parse(const uint8_t *text, size_t len, struct ward_dcap_tcb_info *out)
{
    WARD_ASSERT((text != NULL || len == 0) && out != NULL);
    ENSURE_MSG(len <= WARD_DCAP_BUNDLE_MAX, WARD_ERR_NOMEM,
               "tcbInfo: %zu bytes, more than the %u allowed", len, WARD_DCAP_BUNDLE_MAX);
    DEFER(json_decrefp) json_t *root = NULL;
    if (ward_json_parse(text, len, &root) != WARD_OK) {
        return ward_err_prefix("tcbInfo");
    }
    DEFER(tcb_info_cleanupp) struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    if (parse_tcb_info(root, &t) != WARD_OK) {
        return ward_err_prefix("tcbInfo");
    }
    *out = t;
    memset(&t, 0, sizeof(t));
    return WARD_OK;
}

void ward_dcap_tcb_info_cleanup(struct ward_dcap_tcb_info *t)
{
    if (t == NULL) {
        return;
    }
    free(t->modules);
    free(t->levels);
    memset(t, 0, sizeof(*t));
}

/* ---- QE identity ---- */

static int parse_qe_level(const json_t *l, struct ward_dcap_qe_level *out)
{
    json_t *tcb = NULL;
    uint64_t v;
    GUARD(member(l, "tcb", &tcb));
    if (get_uint(tcb, "isvsvn", UINT16_MAX, &v) != WARD_OK) {
        return ward_err_prefix("tcb");
    }
    out->isvsvn = (uint16_t)v;
    GUARD(get_time(l, "tcbDate", &out->tcb_date));
    GUARD(get_status(l, out->status));
    GUARD(get_advisories(l, &out->advisories));
    return WARD_OK;
}

static int parse_qe_identity(const json_t *root, struct ward_dcap_qe_identity *q)
{
    ENSURE_MSG(json_is_object(root), WARD_ERR_JSON, "not a JSON object");
    GUARD(get_bounded(root, "id", q->id, sizeof(q->id)));
    bool known = false;
    for (size_t i = 0; i < WARD_ARRAY_LEN(known_qe_ids); i++) {
        known = known || strcmp(q->id, known_qe_ids[i]) == 0;
    }
    ENSURE_MSG(known, WARD_ERR_FORMAT, "id is \"%s\", expected \"TD_QE\", \"QE\" or \"QVE\"",
               q->id);
    uint64_t v;
    GUARD(get_uint(root, "version", INT32_MAX, &v));
    q->version = (int)v;
    ENSURE_MSG(v == 2, WARD_ERR_VERSION, "version %d is not supported (expected 2)", q->version);
    GUARD(get_time(root, "issueDate", &q->issue_date));
    GUARD(get_time(root, "nextUpdate", &q->next_update));
    GUARD(get_uint(root, "tcbEvaluationDataNumber", UINT32_MAX, &v));
    q->tcb_evaluation_data_number = (uint32_t)v;
    GUARD(get_u32_raw(root, "miscselect", &q->miscselect));
    GUARD(get_u32_raw(root, "miscselectMask", &q->miscselect_mask));
    GUARD(get_hex(root, "attributes", q->attributes, sizeof(q->attributes)));
    GUARD(get_hex(root, "attributesMask", q->attributes_mask, sizeof(q->attributes_mask)));
    GUARD(get_hex(root, "mrsigner", q->mrsigner, sizeof(q->mrsigner)));
    GUARD(get_uint(root, "isvprodid", UINT16_MAX, &v));
    q->isvprodid = (uint16_t)v;

    json_t *levels = NULL;
    GUARD(get_array(root, "tcbLevels", 1, WARD_DCAP_MAX_LEVELS, &levels));
    size_t n = json_array_size(levels);
    q->levels = calloc(n, sizeof(*q->levels));
    GUARD_PTR(q->levels);
    q->num_levels = n;
    for (size_t i = 0; i < n; i++) {
        if (parse_qe_level(json_array_get(levels, i), &q->levels[i]) != WARD_OK) {
            return ward_err_prefix("tcbLevels[%zu]", i);
        }
    }
    return WARD_OK;
}

int ward_dcap_qe_identity_parse(const uint8_t *text, size_t len, struct ward_dcap_qe_identity *out)
{
    WARD_ASSERT((text != NULL || len == 0) && out != NULL);
    ENSURE_MSG(len <= WARD_DCAP_BUNDLE_MAX, WARD_ERR_NOMEM,
               "enclaveIdentity: %zu bytes, more than the %u allowed", len, WARD_DCAP_BUNDLE_MAX);
    DEFER(json_decrefp) json_t *root = NULL;
    if (ward_json_parse(text, len, &root) != WARD_OK) {
        return ward_err_prefix("enclaveIdentity");
    }
    DEFER(qe_identity_cleanupp) struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    if (parse_qe_identity(root, &q) != WARD_OK) {
        return ward_err_prefix("enclaveIdentity");
    }
    *out = q;
    memset(&q, 0, sizeof(q));
    return WARD_OK;
}

void ward_dcap_qe_identity_cleanup(struct ward_dcap_qe_identity *q)
{
    if (q == NULL) {
        return;
    }
    free(q->levels);
    memset(q, 0, sizeof(*q));
}
