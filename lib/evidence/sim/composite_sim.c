/*
 * lib/evidence/sim/composite_sim.c: composite evidence, a confidential VM's CPU
 * evidence (SEV-SNP or TDX) and the reports of its GPUs in one envelope. The
 * GPUs answer first; the CPU's REPORT_DATA then binds their reports
 * (ward_composite_payload, lib/verify/composite.c), as an attestation agent in a
 * confidential VM would do it. See ward_composite_sim in include/ward/sim.h.
 */
#include <string.h>

#include <jansson.h>

#include "evidence/sim/internal.h"
#include "ward/binding.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/verify.h"

#define COMP_NONCE_LEN 32u
#define COMP_MAX_GPUS WARD_NVGPU_SIM_MAX_DEVICES

_Static_assert(WARD_NVGPU_SIM_MAX_DEVICES <= WARD_COMPOSITE_MAX_GPUS,
               "every simulated GPU fits in a composite envelope");

static inline void comp_stack_freep(STACK_OF(X509) **p)
{
    sk_X509_pop_free(*p, X509_free);
}
static inline void comp_collateral_cleanupp(struct ward_dcap_collateral *c)
{
    ward_dcap_collateral_cleanup(c);
}

/* The GPU parts, produced before the CPU's evidence. */
struct comp_gpus {
    size_t num;
    struct ward_buf report[COMP_MAX_GPUS];
    struct ward_buf chain_pem[COMP_MAX_GPUS];
    uint8_t nonce[COMP_MAX_GPUS][COMP_NONCE_LEN];
};

static void comp_gpus_freep(struct comp_gpus **p)
{
    struct comp_gpus *g = *p;
    if (g == NULL) {
        return;
    }
    for (size_t i = 0; i < COMP_MAX_GPUS; i++) {
        ward_buf_cleanup(&g->report[i]);
        ward_buf_cleanup(&g->chain_pem[i]);
    }
    free(g);
}

/* ---- JSON ---- */

/* comp_part starts an envelope {"tee": |tee|, "evidence": base64}. */
static WARD_MUST_CHECK int comp_part(const char *tee, const uint8_t *evidence, size_t len,
                                     json_t **out)
{
    DEFER(ward_json_freep) json_t *part = json_object();
    GUARD_PTR(part);
    GUARD(ward_json_set_new(part, "tee", json_string(tee)));
    GUARD(ward_json_set_b64(part, "evidence", evidence, len));
    *out = ward_json_take(&part);
    return WARD_OK;
}

/* comp_certs adds an empty "certs" array to |part| and hands it out (borrowed). */
static WARD_MUST_CHECK int comp_certs(json_t *part, json_t **out_certs)
{
    json_t *certs = json_array();
    GUARD(ward_json_set_new(part, "certs", certs));
    *out_certs = certs;
    return WARD_OK;
}

/* comp_add_cert appends the base64 DER of |len| bytes to |certs|. */
static WARD_MUST_CHECK int comp_add_cert(json_t *certs, const uint8_t *der, size_t len)
{
    json_t *s = NULL;
    GUARD(ward_json_b64(der, len, &s));
    return ward_json_append_new(certs, s);
}

/* ---- the parts ---- */

/* comp_gpu_part builds GPU |i|'s envelope: its certificates one by one, as
 * base64 DER, leaf first. */
static WARD_MUST_CHECK int comp_gpu_part(const struct comp_gpus *g, size_t i, json_t **out)
{
    DEFER(ward_json_freep) json_t *part = NULL;
    json_t *certs = NULL;
    GUARD(comp_part("nvgpu", g->report[i].data, g->report[i].len, &part));
    GUARD(comp_certs(part, &certs));
    DEFER(comp_stack_freep) STACK_OF(X509) *chain = sk_X509_new_null();
    GUARD_PTR(chain);
    GUARD(ward_x509_parse_all(g->chain_pem[i].data, g->chain_pem[i].len, chain));
    for (int k = 0; k < sk_X509_num(chain); k++) {
        DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
        GUARD(sim_cert_der(sk_X509_value(chain, k), &der));
        GUARD(comp_add_cert(certs, der.data, der.len));
    }
    GUARD(ward_json_set_b64(part, "nonce", g->nonce[i], COMP_NONCE_LEN));
    *out = ward_json_take(&part);
    return WARD_OK;
}

/* comp_snp_part signs an SEV-SNP report whose REPORT_DATA is |report_data|. */
static WARD_MUST_CHECK int comp_snp_part(const char *dir, const uint8_t report_data[64],
                                         json_t **out)
{
    struct ward_snp_report tmpl;
    GUARD(ward_snp_sim_defaults(WARD_SNP_MILAN, 0, &tmpl));
    memcpy(tmpl.report_data, report_data, sizeof(tmpl.report_data));
    struct ward_snp_sim_opts opts = {.dir = dir, .product = WARD_SNP_MILAN, .template = &tmpl};
    uint8_t report[WARD_SNP_REPORT_LEN];
    DEFER(ward_buf_cleanupp) struct ward_buf leaf = {0};
    DEFER(ward_buf_cleanupp) struct ward_buf ask = {0};
    DEFER(ward_buf_cleanupp) struct ward_buf ark = {0};
    GUARD(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark));

    DEFER(ward_json_freep) json_t *part = NULL;
    json_t *certs = NULL;
    GUARD(comp_part("snp", report, sizeof(report), &part));
    GUARD(comp_certs(part, &certs));
    GUARD(comp_add_cert(certs, leaf.data, leaf.len));
    GUARD(comp_add_cert(certs, ask.data, ask.len));
    GUARD(comp_add_cert(certs, ark.data, ark.len));
    *out = ward_json_take(&part);
    return WARD_OK;
}

/* comp_tdx_part makes a TDX quote whose REPORT_DATA is |report_data|, with its
 * DCAP collateral bundle as a JSON object. */
static WARD_MUST_CHECK int comp_tdx_part(const char *dir, const uint8_t report_data[64],
                                         json_t **out)
{
    struct ward_tdx_sim_opts opts = {.dir = dir, .report_data = report_data};
    DEFER(ward_buf_cleanupp) struct ward_buf quote = {0};
    DEFER(comp_collateral_cleanupp) struct ward_dcap_collateral coll;
    memset(&coll, 0, sizeof(coll));
    GUARD(ward_tdx_sim_quote(&opts, &quote, &coll));
    DEFER(ward_buf_cleanupp) struct ward_buf coll_text = {0};
    GUARD(ward_dcap_collateral_encode(&coll, &coll_text));
    DEFER(ward_json_freep) json_t *coll_json = NULL;
    GUARD(ward_json_parse(coll_text.data, coll_text.len, &coll_json));

    /* No "certs": the PCK chain travels inside the quote. */
    DEFER(ward_json_freep) json_t *part = NULL;
    GUARD(comp_part("tdx", quote.data, quote.len, &part));
    GUARD(ward_json_set_new(part, "collateral", ward_json_take(&coll_json)));
    *out = ward_json_take(&part);
    return WARD_OK;
}

/* comp_dumps writes |v| as pretty JSON text with a final newline into |out|. */
static WARD_MUST_CHECK int comp_dumps(const json_t *v, struct ward_buf *out)
{
    DEFER(ward_freep) char *text = ward_json_dumps(v, true);
    GUARD_PTR(text);
    size_t len = strlen(text);
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, len + 1);
    GUARD(ward_wr_bytes(&w, (const uint8_t *)text, len));
    GUARD(ward_wr_u8(&w, '\n'));
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* comp_gpus_make has GPU 0..|num|-1 answer a fresh random nonce each. */
static WARD_MUST_CHECK int comp_gpus_make(const struct ward_composite_sim_opts *opts, size_t num,
                                          struct comp_gpus *g)
{
    for (size_t i = 0; i < num; i++) {
        GUARD(sim_random(g->nonce[i], COMP_NONCE_LEN));
        struct ward_nvgpu_sim_opts gopts = {.dir = opts->dir,
                                            .nonce = g->nonce[i],
                                            .blackwell = opts->blackwell,
                                            .device = (unsigned)i};
        GUARD(ward_nvgpu_sim_report(&gopts, &g->report[i], &g->chain_pem[i]));
        g->num = i + 1;
    }
    return WARD_OK;
}

int ward_composite_sim(const struct ward_composite_sim_opts *opts, struct ward_buf *out_json)
{
    WARD_ASSERT(opts != NULL && opts->dir != NULL && out_json != NULL);
    size_t num = opts->num_gpus != 0 ? opts->num_gpus : 1;
    ENSURE_MSG(num <= COMP_MAX_GPUS, WARD_ERR_USAGE, "sim: a composite has 1 to %d GPUs, not %zu",
               COMP_MAX_GPUS, num);
    ENSURE_MSG(opts->cpu == WARD_COMPOSITE_CPU_SNP || opts->cpu == WARD_COMPOSITE_CPU_TDX,
               WARD_ERR_USAGE, "sim: unknown composite CPU %d", (int)opts->cpu);

    DEFER(comp_gpus_freep) struct comp_gpus *g = calloc(1, sizeof(*g));
    GUARD_PTR(g);
    GUARD(comp_gpus_make(opts, num, g));

    /* The CPU's REPORT_DATA binds the GPU reports. */
    DEFER(ward_buf_cleanupp) struct ward_buf payload = {0};
    GUARD(ward_composite_payload(g->report, g->num, &payload));
    uint8_t report_data[WARD_BINDING_LEN];
    GUARD(ward_binding(WARD_LABEL_COMPOSITE, payload.data, payload.len, report_data));

    DEFER(ward_json_freep) json_t *parts = json_array();
    GUARD_PTR(parts);
    json_t *part = NULL;
    if (opts->cpu == WARD_COMPOSITE_CPU_SNP) {
        GUARD(comp_snp_part(opts->dir, report_data, &part));
    } else {
        GUARD(comp_tdx_part(opts->dir, report_data, &part));
    }
    GUARD(ward_json_append_new(parts, part));
    for (size_t i = 0; i < g->num; i++) {
        GUARD(comp_gpu_part(g, i, &part));
        GUARD(ward_json_append_new(parts, part));
    }
    DEFER(ward_json_freep) json_t *env = json_object();
    GUARD_PTR(env);
    GUARD(ward_json_set_new(env, "tee", json_string("composite")));
    GUARD(ward_json_set_new(env, "parts", ward_json_take(&parts)));
    GUARD(comp_dumps(env, out_json));
    return WARD_OK;
}
