/*
 * lib/verify/composite_verify.c: one appraisal for a CPU TEE and its GPUs.
 *
 * The envelope is {"tee":"composite","parts":[part, ...]} with exactly one CPU
 * part ("snp" or "tdx") and at least one GPU part ("nvgpu"); each part is an
 * evidence envelope ({"tee","evidence","certs","nonce","collateral"}). Every part
 * is appraised on its own with the caller's options, the GPU parts against their
 * own nonces, and the CPU part against the binding of the GPU parts:
 *     REPORT_DATA = ward_binding("ward/v1/composite", ward_composite_payload(GPUs)).
 * The verdict is pass only if every part passes; each check is failed if any
 * part failed it, passed if some part passed it, else skipped; every part's
 * result stays visible under claims.parts.
 */
#include <string.h>

#include "base/internal.h"
#include "ward/binding.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/verify.h"

#define PART_MAX_CERTS 16

/* One part, decoded: owned bytes. */
struct part {
    char tee[8];
    struct ward_buf evidence;
    size_t num_certs;
    struct ward_buf certs[PART_MAX_CERTS];
    struct ward_blob cert_blobs[PART_MAX_CERTS];
    char cert_names[PART_MAX_CERTS][64];
    struct ward_buf nonce;
    char *collateral; /* DCAP bundle text (TDX), malloc'd */
    struct ward_blob collateral_blob;
};

static void part_cleanup(struct part *p)
{
    ward_buf_cleanup(&p->evidence);
    for (size_t i = 0; i < PART_MAX_CERTS; i++) {
        ward_buf_cleanup(&p->certs[i]);
    }
    ward_buf_cleanup(&p->nonce);
    free(p->collateral);
    memset(p, 0, sizeof(*p));
}

static int b64_field(const json_t *o, const char *key, bool required, struct ward_buf *out)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL && !required) {
        return WARD_OK;
    }
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "\"%s\" must be a base64 string", key);
    int rc = ward_base64_decode(json_string_value(v), out);
    return rc == WARD_OK ? WARD_OK : ward_err_prefix("\"%s\"", key);
}

static int part_parse(const json_t *o, size_t index, struct part *p)
{
    const char *tee;
    GUARD(ward_json_get_string(o, "tee", &tee));
    ENSURE_MSG(strcmp(tee, "snp") == 0 || strcmp(tee, "tdx") == 0 || strcmp(tee, "nvgpu") == 0,
               WARD_ERR_FORMAT, "tee must be snp, tdx or nvgpu");
    snprintf(p->tee, sizeof(p->tee), "%s", tee);
    GUARD(b64_field(o, "evidence", true, &p->evidence));
    GUARD(b64_field(o, "nonce", false, &p->nonce));
    json_t *certs = json_object_get(o, "certs");
    if (certs != NULL) {
        size_t i;
        json_t *c;
        ENSURE_MSG(json_is_array(certs) && json_array_size(certs) <= PART_MAX_CERTS,
                   WARD_ERR_FORMAT, "\"certs\" must be a list of at most %d", PART_MAX_CERTS);
        json_array_foreach(certs, i, c)
        {
            ENSURE_MSG(json_is_string(c), WARD_ERR_FORMAT, "certs[%zu] must be a string", i);
            const char *s = json_string_value(c);
            int rc = strncmp(s, "-----BEGIN", 10) == 0
                         ? ward_buf_set(&p->certs[i], (const uint8_t *)s, strlen(s))
                         : ward_base64_decode(s, &p->certs[i]);
            if (rc != WARD_OK) {
                return ward_err_prefix("certs[%zu]", i);
            }
            snprintf(p->cert_names[i], sizeof(p->cert_names[i]), "parts[%zu].certs[%zu]", index, i);
            p->cert_blobs[i] =
                (struct ward_blob){p->cert_names[i], p->certs[i].data, p->certs[i].len};
            p->num_certs = i + 1;
        }
    }
    json_t *col = json_object_get(o, "collateral");
    if (col != NULL) {
        p->collateral = json_dumps(col, JSON_COMPACT | JSON_PRESERVE_ORDER);
        GUARD_PTR(p->collateral);
        p->collateral_blob =
            (struct ward_blob){"collateral", (const uint8_t *)p->collateral, strlen(p->collateral)};
    }
    return WARD_OK;
}

/* Folds one part's check statuses into the composite's. */
static void fold(struct ward_appraisal *all, const struct ward_appraisal *part, size_t index)
{
    for (int c = 0; c < WARD_CHECK__COUNT; c++) {
        if (part->checks[c] == WARD_STATUS_FAIL) {
            all->checks[c] = WARD_STATUS_FAIL;
        } else if (part->checks[c] == WARD_STATUS_PASS && all->checks[c] != WARD_STATUS_FAIL) {
            all->checks[c] = WARD_STATUS_PASS;
        }
    }
    /* A part the signature or chain check skipped cannot make the composite pass. */
    if (part->checks[WARD_CHECK_SIGNATURE] != WARD_STATUS_PASS ||
        part->checks[WARD_CHECK_CHAIN] != WARD_STATUS_PASS) {
        if (part->checks[WARD_CHECK_SIGNATURE] == WARD_STATUS_SKIP) {
            all->checks[WARD_CHECK_SIGNATURE] = WARD_STATUS_FAIL;
        }
        if (part->checks[WARD_CHECK_CHAIN] == WARD_STATUS_SKIP) {
            all->checks[WARD_CHECK_CHAIN] = WARD_STATUS_FAIL;
        }
    }
    for (size_t i = 0; i < part->num_errors; i++) {
        ward_appraisal_fail(all, part->errors[i].check, "parts[%zu] (%s): %s", index, part->tee,
                            part->errors[i].message);
    }
    all->simulated |= part->simulated;
    all->applicable |= part->applicable; /* a TDX part brings its two DCAP checks */
}

int ward_verify_composite(const uint8_t *json, size_t len, const struct ward_verify_opts *opts,
                          struct ward_appraisal *out)
{
    json_t *doc = NULL, *parts;
    struct part *ps = NULL;
    size_t num = 0, cpu = SIZE_MAX, num_gpus = 0;
    struct ward_buf gpus[WARD_COMPOSITE_MAX_GPUS];
    struct ward_buf payload = {0};
    int rc = WARD_OK;

    memset(gpus, 0, sizeof(gpus));
    ward_appraisal_init(out, "composite");
    json_t *results = json_array();
    if (ward_json_parse(json, len, &doc) != WARD_OK) {
        ward_appraisal_fail(out, WARD_CHECK_SIGNATURE, "composite envelope: %s", ward_err_detail());
        goto done;
    }
    parts = json_object_get(doc, "parts");
    if (!json_is_array(parts) || json_array_size(parts) < 2 ||
        json_array_size(parts) > WARD_COMPOSITE_MAX_GPUS + 1) {
        ward_appraisal_fail(
            out, WARD_CHECK_SIGNATURE,
            "composite envelope: \"parts\" must list one CPU part and 1 to %d GPU parts",
            WARD_COMPOSITE_MAX_GPUS);
        goto done;
    }
    num = json_array_size(parts);
    ps = calloc(num, sizeof(*ps));
    if (ps == NULL || results == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < num; i++) {
        if (part_parse(json_array_get(parts, i), i, &ps[i]) != WARD_OK) {
            ward_appraisal_fail(out, WARD_CHECK_SIGNATURE, "composite envelope: parts[%zu]: %s", i,
                                ward_err_detail());
            goto done;
        }
        if (strcmp(ps[i].tee, "nvgpu") == 0) {
            gpus[num_gpus++] = ps[i].evidence; /* borrowed view */
        } else if (cpu == SIZE_MAX) {
            cpu = i;
        } else {
            ward_appraisal_fail(out, WARD_CHECK_SIGNATURE,
                                "composite envelope: more than one CPU part");
            goto done;
        }
    }
    if (cpu == SIZE_MAX || num_gpus == 0) {
        ward_appraisal_fail(out, WARD_CHECK_SIGNATURE,
                            "composite envelope: needs one CPU part and a GPU part");
        goto done;
    }
    /* The binding: what the CPU's REPORT_DATA must be. */
    bool bound = ward_composite_payload(gpus, num_gpus, &payload) == WARD_OK;
    uint8_t expected[WARD_BINDING_LEN];
    if (!bound ||
        ward_binding(WARD_LABEL_COMPOSITE, payload.data, payload.len, expected) != WARD_OK) {
        ward_appraisal_fail(out, WARD_CHECK_BINDING, "composite binding: %s", ward_err_detail());
        bound = false;
    }
    for (size_t i = 0; i < num; i++) {
        struct ward_verify_opts po = *opts;
        struct ward_appraisal pa;
        po.certs = NULL;
        po.cert_files = ps[i].cert_blobs;
        po.num_cert_files = ps[i].num_certs;
        po.crl_files = NULL;
        po.num_crl_files = 0;
        po.collateral_file = ps[i].collateral != NULL ? &ps[i].collateral_blob : NULL;
        po.reference_file = strcmp(ps[i].tee, "nvgpu") == 0 ? opts->reference_file : NULL;
        po.has_report_data = false;
        po.has_nonce = false;
        if (i == cpu && bound) {
            po.has_report_data = true;
            memcpy(po.report_data, expected, sizeof(expected));
        }
        if (strcmp(ps[i].tee, "nvgpu") == 0 && ps[i].nonce.len == 32) {
            po.has_nonce = true;
            memcpy(po.nonce, ps[i].nonce.data, 32);
        }
        int prc = strcmp(ps[i].tee, "snp") == 0
                      ? ward_verify_snp(ps[i].evidence.data, ps[i].evidence.len, &po, &pa)
                  : strcmp(ps[i].tee, "tdx") == 0
                      ? ward_verify_tdx(ps[i].evidence.data, ps[i].evidence.len, &po, &pa)
                      : ward_verify_nvgpu(ps[i].evidence.data, ps[i].evidence.len, &po, &pa);
        if (prc != WARD_OK) {
            rc = prc;
            goto done;
        }
        if (i == cpu && bound && pa.checks[WARD_CHECK_BINDING] == WARD_STATUS_FAIL) {
            ward_appraisal_fail(
                out, WARD_CHECK_BINDING,
                "parts[%zu] (%s): REPORT_DATA does not bind the GPU parts (ward/v1/composite)", i,
                pa.tee);
        }
        if (strcmp(ps[i].tee, "nvgpu") == 0 && ps[i].nonce.len != 32) {
            ward_appraisal_fail(out, WARD_CHECK_BINDING,
                                "parts[%zu] (nvgpu): no 32-byte nonce to check", i);
        }
        fold(out, &pa, i);
        json_t *pj = ward_appraisal_to_json(&pa);
        if (pj != NULL) {
            json_array_append_new(results, pj);
        }
        ward_appraisal_cleanup(&pa);
    }
done:
    json_object_set_new(out->claims, "parts", results);
    json_object_set_new(out->claims, "simulated", json_boolean(out->simulated));
    for (size_t i = 0; ps != NULL && i < num; i++) {
        part_cleanup(&ps[i]);
    }
    free(ps);
    ward_buf_cleanup(&payload);
    json_decref(doc);
    if (rc != WARD_OK) {
        ward_appraisal_cleanup(out);
    }
    return rc;
}
