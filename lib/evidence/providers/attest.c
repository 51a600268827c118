/*
 * lib/evidence/providers/attest.c: the server SDK's context (include/ward/attest.h).
 * It picks a provider (probing configfs-tsm, sev-guest, tdx-guest, then the
 * simulator when given a directory), computes the report_data binding, asks the
 * GPUs first when composite evidence is wanted, and wraps what the providers
 * return into the JSON evidence envelope. The providers themselves only turn 64
 * bytes of report_data into vendor evidence (internal.h).
 */
#include <pthread.h>
#include <string.h>

#include <jansson.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/binding.h"
#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/verify.h"

_Static_assert(WARD_ATTEST_NONCE_LEN <= WARD_BINDING_LEN, "the GPU nonce is a prefix of a binding");

/* Room for what AUTO tried, one clause per provider. */
#define ATTEST_TRIED_MAX 480

struct ward_attest {
    pthread_mutex_t lock;           /* serialises provider calls on this context */
    struct ward_attest_opts opts;   /* the caller's options; strings point at our copies */
    char *strings[6];               /* owned copies of the opts strings */
    const struct provider_ops *ops; /* the CPU provider; NULL for GPUs alone (NVML) */
    enum ward_provider_kind kind;   /* never AUTO */
    bool has_lock;                  /* |lock| was initialised */
};

static const struct {
    enum ward_provider_kind kind;
    const char *name;
} provider_names[] = {
    {WARD_PROVIDER_AUTO, "auto"},           {WARD_PROVIDER_CONFIGFS, "configfs"},
    {WARD_PROVIDER_SEV_GUEST, "sev-guest"}, {WARD_PROVIDER_TDX_GUEST, "tdx-guest"},
    {WARD_PROVIDER_NVML, "nvml"},           {WARD_PROVIDER_SIM, "sim"},
};

const char *ward_provider_name(enum ward_provider_kind k)
{
    for (size_t i = 0; i < WARD_ARRAY_LEN(provider_names); i++) {
        if (provider_names[i].kind == k) {
            return provider_names[i].name;
        }
    }
    return "unknown";
}

bool ward_provider_parse(const char *name, enum ward_provider_kind *out)
{
    WARD_ASSERT(name != NULL && out != NULL);
    for (size_t i = 0; i < WARD_ARRAY_LEN(provider_names); i++) {
        if (strcmp(provider_names[i].name, name) == 0) {
            *out = provider_names[i].kind;
            return true;
        }
    }
    return false;
}

void provider_evidence_cleanup(struct provider_evidence *e)
{
    if (e == NULL) {
        return;
    }
    ward_buf_cleanup(&e->evidence);
    for (size_t i = 0; i < WARD_ARRAY_LEN(e->certs); i++) {
        ward_buf_cleanup(&e->certs[i]);
    }
    ward_buf_cleanup(&e->collateral);
    memset(e, 0, sizeof(*e));
}

static void evidence_cleanupp(struct provider_evidence *e)
{
    provider_evidence_cleanup(e);
}

/* ---- opening ---- */

/* The CPU providers in AUTO's probing order. */
static const struct provider_ops *const cpu_providers[] = {
    &provider_configfs,
    &provider_sev_guest,
    &provider_tdx_guest,
    &provider_sim,
};

static const struct provider_ops *ops_of(enum ward_provider_kind k)
{
    for (size_t i = 0; i < WARD_ARRAY_LEN(cpu_providers); i++) {
        if (cpu_providers[i]->kind == k) {
            return cpu_providers[i];
        }
    }
    return NULL;
}

/* probe_auto tries every CPU provider in order (the simulator only when given a
 * directory) and returns the first that answers. The error names them all. */
static WARD_MUST_CHECK int probe_auto(const struct ward_attest_opts *opts,
                                      const struct provider_ops **out)
{
    char tried[ATTEST_TRIED_MAX] = "";
    size_t used = 0;
    int first_err = WARD_OK;
    for (size_t i = 0; i < WARD_ARRAY_LEN(cpu_providers); i++) {
        const struct provider_ops *p = cpu_providers[i];
        if (p->kind == WARD_PROVIDER_SIM && opts->sim_dir == NULL) {
            continue;
        }
        int rc = p->probe(opts);
        if (rc == WARD_OK) {
            ward_err_clear();
            *out = p;
            return WARD_OK;
        }
        if (rc != WARD_ERR_NOT_FOUND && first_err == WARD_OK) {
            first_err = rc;
        }
        /* snprintf truncates; |used| stops at the end of |tried|. */
        int n = snprintf(tried + used, sizeof(tried) - used, "%s%s", used ? "; " : "",
                         ward_err_detail());
        if (n > 0) {
            used += (size_t)n;
        }
        if (used >= sizeof(tried)) {
            used = sizeof(tried) - 1;
        }
    }
    int code = first_err != WARD_OK ? first_err : WARD_ERR_NOT_FOUND;
    return ward_err_set(code, "no TEE evidence provider is usable (%s)%s", tried,
                        opts->sim_dir == NULL ? "; give a simulator directory to use the simulator"
                                              : "");
}

static WARD_MUST_CHECK int copy_string(struct ward_attest *at, size_t slot, const char **field)
{
    if (*field == NULL) {
        return WARD_OK;
    }
    at->strings[slot] = strdup(*field);
    GUARD_PTR(at->strings[slot]);
    *field = at->strings[slot];
    return WARD_OK;
}

static void attest_freep(struct ward_attest **p)
{
    ward_attest_close(*p);
}

int ward_attest_open(const struct ward_attest_opts *opts, struct ward_attest **out)
{
    WARD_ASSERT(opts != NULL && out != NULL);
    const struct provider_ops *ops = NULL;
    switch (opts->provider) {
    case WARD_PROVIDER_AUTO:
        GUARD(probe_auto(opts, &ops));
        break;
    case WARD_PROVIDER_NVML:
        /* GPUs alone. NVML is loaded, and its GPUs found, when evidence is asked for. */
        break;
    case WARD_PROVIDER_CONFIGFS:
    case WARD_PROVIDER_SEV_GUEST:
    case WARD_PROVIDER_TDX_GUEST:
    case WARD_PROVIDER_SIM:
        ops = ops_of(opts->provider);
        WARD_ASSERT(ops != NULL);
        GUARD(ops->probe(opts));
        break;
    default:
        return ward_err_set(WARD_ERR_USAGE, "unknown provider %d", (int)opts->provider);
    }

    DEFER(attest_freep) struct ward_attest *at = calloc(1, sizeof(*at));
    GUARD_PTR(at);
    at->opts = *opts;
    at->ops = ops;
    at->kind = ops != NULL ? ops->kind : WARD_PROVIDER_NVML;
    at->opts.provider = at->kind;
    GUARD(copy_string(at, 0, &at->opts.configfs_dir));
    GUARD(copy_string(at, 1, &at->opts.sev_guest_dev));
    GUARD(copy_string(at, 2, &at->opts.tdx_guest_dev));
    GUARD(copy_string(at, 3, &at->opts.nvml_library));
    GUARD(copy_string(at, 4, &at->opts.sim_dir));
    GUARD(copy_string(at, 5, &at->opts.sim_tee));
    ENSURE_MSG(pthread_mutex_init(&at->lock, NULL) == 0, WARD_ERR_NOMEM,
               "cannot create the context's lock");
    at->has_lock = true;
    *out = at;
    at = NULL;
    return WARD_OK;
}

enum ward_provider_kind ward_attest_provider(const struct ward_attest *at)
{
    WARD_ASSERT(at != NULL);
    return at->kind;
}

void ward_attest_close(struct ward_attest *at)
{
    if (at == NULL) {
        return;
    }
    if (at->has_lock) {
        pthread_mutex_destroy(&at->lock);
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(at->strings); i++) {
        free(at->strings[i]);
    }
    free(at);
}

/* ---- the envelope ---- */

/* envelope_new starts {"tee": |tee|, "evidence": base64, "certs": []}; |out_certs|
 * borrows the list. */
static WARD_MUST_CHECK int envelope_new(const char *tee, const struct ward_buf *evidence,
                                        json_t **out, json_t **out_certs)
{
    DEFER(ward_json_freep) json_t *env = json_object();
    GUARD_PTR(env);
    GUARD(ward_json_set_new(env, "tee", json_string(tee)));
    GUARD(ward_json_set_b64(env, "evidence", evidence->data, evidence->len));
    json_t *certs = json_array();
    GUARD(ward_json_set_new(env, "certs", certs));
    *out_certs = certs;
    *out = ward_json_take(&env);
    return WARD_OK;
}

/* add_cert appends a certificate: PEM text as it is, DER as base64. */
static WARD_MUST_CHECK int add_cert(json_t *certs, const struct ward_buf *c)
{
    static const char pem[] = "-----BEGIN";
    if (c->len >= sizeof(pem) - 1 && memcmp(c->data, pem, sizeof(pem) - 1) == 0) {
        return ward_json_append_new(certs, json_stringn((const char *)c->data, c->len));
    }
    json_t *s = NULL;
    GUARD(ward_json_b64(c->data, c->len, &s));
    return ward_json_append_new(certs, s);
}

/* cpu_envelope wraps a CPU provider's evidence: its certificates and, from the
 * TDX simulator, the DCAP collateral as a JSON object. */
static WARD_MUST_CHECK int cpu_envelope(const struct provider_evidence *e, json_t **out)
{
    DEFER(ward_json_freep) json_t *env = NULL;
    json_t *certs = NULL;
    ENSURE_MSG(e->num_certs <= WARD_ARRAY_LEN(e->certs), WARD_ERR_FORMAT,
               "provider returned %zu certificates", e->num_certs);
    GUARD(envelope_new(e->tee, &e->evidence, &env, &certs));
    for (size_t i = 0; i < e->num_certs; i++) {
        GUARD(add_cert(certs, &e->certs[i]));
    }
    if (e->collateral.len > 0) {
        json_t *coll = NULL;
        if (ward_json_parse(e->collateral.data, e->collateral.len, &coll) != WARD_OK) {
            return ward_err_prefix("envelope: collateral");
        }
        GUARD(ward_json_set_new(env, "collateral", coll));
    }
    *out = ward_json_take(&env);
    return WARD_OK;
}

static inline void stack_freep(STACK_OF(X509) **p)
{
    sk_X509_pop_free(*p, X509_free);
}

/* gpu_envelope wraps one GPU's report, its chain (one base64 DER entry per
 * certificate, leaf first) and its nonce. */
static WARD_MUST_CHECK int gpu_envelope(const struct gpu_evidence *g, json_t **out)
{
    DEFER(ward_json_freep) json_t *env = NULL;
    json_t *certs = NULL;
    GUARD(envelope_new("nvgpu", &g->report, &env, &certs));
    DEFER(stack_freep) STACK_OF(X509) *chain = sk_X509_new_null();
    GUARD_PTR(chain);
    if (ward_x509_parse_all(g->chain_pem.data, g->chain_pem.len, chain) != WARD_OK) {
        return ward_err_prefix("envelope: GPU certificate chain");
    }
    for (int k = 0; k < sk_X509_num(chain); k++) {
        DEFER(ward_freep) unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(chain, k), &der);
        GUARD_OSSL(len, WARD_ERR_CRYPTO);
        json_t *s = NULL;
        GUARD(ward_json_b64(der, (size_t)len, &s));
        GUARD(ward_json_append_new(certs, s));
    }
    GUARD(ward_json_set_b64(env, "nonce", g->nonce, sizeof(g->nonce)));
    *out = ward_json_take(&env);
    return WARD_OK;
}

/* dumps writes |v| as pretty JSON text with a final newline into |out|. */
static WARD_MUST_CHECK int dumps(const json_t *v, struct ward_buf *out)
{
    DEFER(ward_freep) char *text = ward_json_dumps(v, true);
    GUARD_PTR(text);
    size_t len = strlen(text);
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, WARD_ATTEST_ENVELOPE_MAX);
    GUARD(ward_wr_bytes(&w, (const uint8_t *)text, len));
    GUARD(ward_wr_u8(&w, '\n'));
    ward_buf_cleanup(out);
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* ---- evidence ---- */

/* The GPUs of one request; every member owned. */
struct gpus {
    size_t num;
    struct gpu_evidence g[WARD_COMPOSITE_MAX_GPUS];
};

static void gpus_freep(struct gpus **p)
{
    struct gpus *gs = *p;
    if (gs == NULL) {
        return;
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(gs->g); i++) {
        ward_buf_cleanup(&gs->g[i].report);
        ward_buf_cleanup(&gs->g[i].chain_pem);
    }
    free(gs);
}

/* collect_gpus asks every attached GPU (the simulator's, or NVML's) with |nonce|. */
static WARD_MUST_CHECK int collect_gpus(const struct ward_attest *at,
                                        const uint8_t nonce[WARD_ATTEST_NONCE_LEN], struct gpus *gs)
{
    size_t num = 0;
    int rc = at->kind == WARD_PROVIDER_SIM
                 ? provider_sim_gpus(&at->opts, nonce, gs->g, WARD_ARRAY_LEN(gs->g), &num)
                 : provider_nvml_gpus(&at->opts, nonce, gs->g, WARD_ARRAY_LEN(gs->g), &num);
    if (rc != WARD_OK) {
        return ward_err_prefix("GPUs");
    }
    ENSURE_MSG(num > 0, WARD_ERR_NOT_FOUND, "GPUs were asked for, but none is attached");
    ENSURE_MSG(num <= WARD_ARRAY_LEN(gs->g), WARD_ERR_NOMEM, "%zu GPUs, at most %zu are attested",
               num, WARD_ARRAY_LEN(gs->g));
    for (size_t i = 0; i < num; i++) {
        /* The provider must have asked with our nonce: it is what binds the caller. */
        ENSURE_MSG(memcmp(gs->g[i].nonce, nonce, WARD_ATTEST_NONCE_LEN) == 0, WARD_ERR_MISMATCH,
                   "GPU %zu answered another nonce", i);
    }
    gs->num = num;
    return WARD_OK;
}

/* cpu_get runs the CPU provider and checks what it returned. */
static WARD_MUST_CHECK int cpu_get(const struct ward_attest *at,
                                   const uint8_t report_data[WARD_BINDING_LEN],
                                   struct provider_evidence *e)
{
    GUARD(at->ops->get(&at->opts, report_data, e));
    ENSURE_MSG(e->evidence.len > 0 && (strcmp(e->tee, "snp") == 0 || strcmp(e->tee, "tdx") == 0),
               WARD_ERR_FORMAT, "%s returned no evidence", ward_provider_name(at->kind));
    return WARD_OK;
}

/* evidence_locked does the work of ward_attest_evidence under the context's lock. */
static WARD_MUST_CHECK int evidence_locked(const struct ward_attest *at,
                                           const uint8_t binding[WARD_BINDING_LEN],
                                           const uint8_t *nonce, struct ward_buf *out)
{
    DEFER(evidence_cleanupp) struct provider_evidence cpu;
    memset(&cpu, 0, sizeof(cpu));
    DEFER(ward_json_freep) json_t *env = NULL;

    if (at->kind != WARD_PROVIDER_NVML && !at->opts.gpus) {
        GUARD(cpu_get(at, binding, &cpu));
        GUARD(cpu_envelope(&cpu, &env));
        return dumps(env, out);
    }

    /* GPUs first: their nonce carries the caller's binding. */
    DEFER(gpus_freep) struct gpus *gs = calloc(1, sizeof(*gs));
    GUARD_PTR(gs);
    GUARD(collect_gpus(at, nonce != NULL ? nonce : binding, gs));
    if (at->kind == WARD_PROVIDER_NVML) {
        ENSURE_MSG(gs->num == 1, WARD_ERR_USAGE,
                   "%zu GPUs are attached and a GPU envelope holds one; attest them "
                   "with a CPU provider and GPUs (composite evidence)",
                   gs->num);
        GUARD(gpu_envelope(&gs->g[0], &env));
        return dumps(env, out);
    }

    /* The CPU's REPORT_DATA binds the GPU reports, as ward_verify_composite checks. */
    struct ward_buf reports[WARD_COMPOSITE_MAX_GPUS];
    for (size_t i = 0; i < gs->num; i++) {
        reports[i] = gs->g[i].report; /* borrowed views */
    }
    DEFER(ward_buf_cleanupp) struct ward_buf payload = {0};
    GUARD(ward_composite_payload(reports, gs->num, &payload));
    uint8_t report_data[WARD_BINDING_LEN];
    GUARD(ward_binding(WARD_LABEL_COMPOSITE, payload.data, payload.len, report_data));
    GUARD(cpu_get(at, report_data, &cpu));

    DEFER(ward_json_freep) json_t *parts = json_array();
    GUARD_PTR(parts);
    json_t *part = NULL;
    GUARD(cpu_envelope(&cpu, &part));
    GUARD(ward_json_append_new(parts, part));
    for (size_t i = 0; i < gs->num; i++) {
        GUARD(gpu_envelope(&gs->g[i], &part));
        GUARD(ward_json_append_new(parts, part));
    }
    env = json_object();
    GUARD_PTR(env);
    GUARD(ward_json_set_new(env, "tee", json_string("composite")));
    GUARD(ward_json_set_new(env, "parts", ward_json_take(&parts)));
    return dumps(env, out);
}

int ward_attest_evidence(struct ward_attest *at, const char *label, const uint8_t *payload,
                         size_t payload_len, const uint8_t *nonce, struct ward_buf *out)
{
    WARD_ASSERT(at != NULL && label != NULL && label[0] != '\0' && out != NULL);
    WARD_ASSERT(payload != NULL || payload_len == 0);
    bool gpus = at->opts.gpus || at->kind == WARD_PROVIDER_NVML;
    ENSURE_MSG(nonce == NULL || gpus, WARD_ERR_USAGE,
               "a nonce is only sent to GPUs; without GPUs the report_data binds the "
               "label and payload, so put the challenge into the payload");
    uint8_t binding[WARD_BINDING_LEN];
    GUARD(ward_binding(label, payload, payload_len, binding));

    ENSURE_MSG(pthread_mutex_lock(&at->lock) == 0, WARD_ERR_USAGE,
               "cannot take the context's lock");
    int rc = evidence_locked(at, binding, nonce, out);
    pthread_mutex_unlock(&at->lock);
    return rc;
}
