/*
 * lib/verify/envelope.c: the JSON evidence envelope shared by every component:
 *   {"tee": "snp"|"tdx"|"nvgpu"|"composite", "evidence": base64,
 *    "certs": [base64 DER or PEM text, ...], "runtime_data": base64, "nonce": base64}
 */
#include <string.h>

#include "base/internal.h"
#include "ward/json.h"
#include "ward/verify.h"

static int opt_b64(const json_t *o, const char *key, struct ward_buf *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL || json_is_null(v)) {
        return WARD_OK;
    }
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "envelope: \"%s\" must be a base64 string", key);
    int rc = ward_base64_decode(json_string_value(v), out);
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("envelope: \"%s\"", key);
}

/* A certificate entry is PEM text, or base64 of DER (or of PEM). */
static int add_cert(const char *s, struct ward_buf *out, size_t i)
{
    int rc = strncmp(s, "-----BEGIN", 10) == 0 ? ward_buf_set(out, (const uint8_t *)s, strlen(s))
                                               : ward_base64_decode(s, out);
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("envelope: certs[%zu]", i);
}

int ward_envelope_parse(const uint8_t *p, size_t len, struct ward_envelope *out)
{
    struct ward_envelope e;
    json_t *doc = NULL;
    int rc;
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')) {
        i++;
    }
    ENSURE_MSG(i < len && p[i] == '{', WARD_ERR_NOT_FOUND, "not a JSON envelope");
    memset(&e, 0, sizeof(e));
    GUARD(ward_json_parse(p, len, &doc));
    const char *tee;
    if ((rc = ward_json_get_string(doc, "tee", &tee)) != WARD_OK) {
        ward_err_prefix("envelope");
        goto out;
    }
    if (strlen(tee) >= sizeof(e.tee)) {
        rc = ward_err_set(WARD_ERR_FORMAT, "envelope: unknown tee");
        goto out;
    }
    strcpy(e.tee, tee);
    if (json_object_get(doc, "evidence") == NULL) {
        rc = ward_err_set(WARD_ERR_FORMAT, "envelope: missing \"evidence\"");
        goto out;
    }
    GOTO_GUARD(rc, opt_b64(doc, "evidence", &e.evidence), out);
    GOTO_GUARD(rc, opt_b64(doc, "runtime_data", &e.runtime_data), out);
    GOTO_GUARD(rc, opt_b64(doc, "nonce", &e.nonce), out);
    json_t *certs = json_object_get(doc, "certs");
    if (certs != NULL) {
        json_t *c;
        if (!json_is_array(certs) || json_array_size(certs) > WARD_ENVELOPE_MAX_CERTS) {
            rc = ward_err_set(WARD_ERR_FORMAT, "envelope: \"certs\" must be a list of at most %d",
                              WARD_ENVELOPE_MAX_CERTS);
            goto out;
        }
        json_array_foreach(certs, i, c)
        {
            if (!json_is_string(c)) {
                rc = ward_err_set(WARD_ERR_FORMAT, "envelope: certs[%zu] must be a string", i);
                goto out;
            }
            GOTO_GUARD(rc, add_cert(json_string_value(c), &e.certs[i], i), out);
            e.num_certs = i + 1;
        }
    }
    *out = e;
    memset(&e, 0, sizeof(e));
out:
    ward_envelope_cleanup(&e);
    json_decref(doc);
    return rc;
}

void ward_envelope_cleanup(struct ward_envelope *e)
{
    ward_buf_cleanup(&e->evidence);
    ward_buf_cleanup(&e->runtime_data);
    ward_buf_cleanup(&e->nonce);
    for (size_t i = 0; i < WARD_ENVELOPE_MAX_CERTS; i++) {
        ward_buf_cleanup(&e->certs[i]);
    }
    memset(e, 0, sizeof(*e));
}
