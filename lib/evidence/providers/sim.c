/*
 * lib/evidence/providers/sim.c: the simulator as an evidence provider, so that
 * everything built on the server SDK runs on a laptop. SEV-SNP reports come from
 * ward_snp_sim_report (a Milan chip, report version 5, signed with its VCEK, the
 * VCEK, ASK and ARK handed out like an extended report's certificates), TDX
 * quotes from ward_tdx_sim_quote with the DCAP collateral that appraises them,
 * and GPUs from ward_nvgpu_sim_report. All of it chains to the simulator's roots
 * in opts->sim_dir, which verifiers trust only when told to (--allow-sim).
 */
#include <string.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/dcap.h"
#include "ward/sim.h"
#include "ward/snp.h"

static const char *sim_tee(const struct ward_attest_opts *opts)
{
    return opts->sim_tee != NULL ? opts->sim_tee : "snp";
}

static int sim_probe(const struct ward_attest_opts *opts)
{
    ENSURE_MSG(opts->sim_dir != NULL && opts->sim_dir[0] != '\0', WARD_ERR_USAGE,
               "sim: no simulator directory given (--sim-dir DIR)");
    const char *tee = sim_tee(opts);
    ENSURE_MSG(strcmp(tee, "snp") == 0 || strcmp(tee, "tdx") == 0, WARD_ERR_USAGE,
               "sim: the simulator produces snp or tdx evidence, not \"%.16s\"", tee);
    ENSURE_MSG(opts->privlevel <= 3, WARD_ERR_USAGE, "sim: VMPL %u is not 0 to 3", opts->privlevel);
    return WARD_OK;
}

static inline void collateral_cleanupp(struct ward_dcap_collateral *c)
{
    ward_dcap_collateral_cleanup(c);
}

static WARD_MUST_CHECK int sim_snp(const struct ward_attest_opts *opts,
                                   const uint8_t report_data[64], struct provider_evidence *out)
{
    struct ward_snp_report tmpl;
    GUARD(ward_snp_sim_defaults(WARD_SNP_MILAN, 0, &tmpl));
    memcpy(tmpl.report_data, report_data, sizeof(tmpl.report_data));
    tmpl.vmpl = opts->privlevel;
    struct ward_snp_sim_opts sopts = {
        .dir = opts->sim_dir, .product = WARD_SNP_MILAN, .template = &tmpl};
    uint8_t report[WARD_SNP_REPORT_LEN];
    GUARD(ward_snp_sim_report(&sopts, report, &out->certs[0], &out->certs[1], &out->certs[2]));
    out->num_certs = 3;
    GUARD(ward_buf_set(&out->evidence, report, sizeof(report)));
    strcpy(out->tee, "snp");
    return WARD_OK;
}

static WARD_MUST_CHECK int sim_tdx(const struct ward_attest_opts *opts,
                                   const uint8_t report_data[64], struct provider_evidence *out)
{
    struct ward_tdx_sim_opts topts = {.dir = opts->sim_dir, .report_data = report_data};
    DEFER(collateral_cleanupp) struct ward_dcap_collateral coll;
    memset(&coll, 0, sizeof(coll));
    GUARD(ward_tdx_sim_quote(&topts, &out->evidence, &coll));
    GUARD(ward_dcap_collateral_encode(&coll, &out->collateral));
    strcpy(out->tee, "tdx");
    return WARD_OK;
}

static int sim_get(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                   struct provider_evidence *out)
{
    GUARD(sim_probe(opts));
    struct provider_evidence e;
    memset(&e, 0, sizeof(e));
    int rc = strcmp(sim_tee(opts), "tdx") == 0 ? sim_tdx(opts, report_data, &e)
                                               : sim_snp(opts, report_data, &e);
    if (rc != WARD_OK) {
        provider_evidence_cleanup(&e);
        return ward_err_prefix("sim");
    }
    provider_evidence_cleanup(out);
    *out = e;
    return WARD_OK;
}

const struct provider_ops provider_sim = {
    .kind = WARD_PROVIDER_SIM,
    .probe = sim_probe,
    .get = sim_get,
};

int provider_sim_gpus(const struct ward_attest_opts *opts, const uint8_t nonce[32],
                      struct gpu_evidence *out, size_t max, size_t *out_num)
{
    GUARD(sim_probe(opts));
    size_t num = opts->num_sim_gpus != 0 ? opts->num_sim_gpus : 1;
    ENSURE_MSG(num <= max && num <= WARD_NVGPU_SIM_MAX_DEVICES, WARD_ERR_USAGE,
               "sim: %zu GPUs asked for, the simulator has at most %zu", num,
               max < WARD_NVGPU_SIM_MAX_DEVICES ? max : (size_t)WARD_NVGPU_SIM_MAX_DEVICES);
    for (size_t i = 0; i < num; i++) {
        struct ward_nvgpu_sim_opts gopts = {
            .dir = opts->sim_dir, .nonce = nonce, .device = (unsigned)i};
        if (ward_nvgpu_sim_report(&gopts, &out[i].report, &out[i].chain_pem) != WARD_OK) {
            return ward_err_prefix("sim: GPU %zu", i);
        }
        memcpy(out[i].nonce, nonce, sizeof(out[i].nonce));
    }
    *out_num = num;
    return WARD_OK;
}
