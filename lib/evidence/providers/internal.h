/*
 * lib/evidence/providers/internal.h: the operations every evidence provider
 * implements. A provider turns 64 bytes of report_data into raw vendor evidence
 * (and the certificates the platform hands out with it); attest.c wraps that into
 * the envelope and computes the binding.
 */
#ifndef WARD_PROVIDERS_INTERNAL_H
#define WARD_PROVIDERS_INTERNAL_H

#include <pthread.h>

#include "ward/attest.h"

/* What one provider call produced; every member owned. */
struct provider_evidence {
    char tee[8];              /* "snp" or "tdx" */
    struct ward_buf evidence; /* raw report or quote */
    size_t num_certs;
    struct ward_buf certs[8];   /* DER (or PEM) certificates handed out with it */
    struct ward_buf collateral; /* TDX simulator: the DCAP bundle JSON, else empty */
};

void provider_evidence_cleanup(struct provider_evidence *e);

struct provider_ops {
    enum ward_provider_kind kind;
    /* probe: is this provider usable with |opts|? WARD_OK or a clear error. */
    int (*probe)(const struct ward_attest_opts *opts);
    /* get: produce evidence for |report_data|. */
    int (*get)(const struct ward_attest_opts *opts, const uint8_t report_data[64],
               struct provider_evidence *out);
};

extern const struct provider_ops provider_configfs;
extern const struct provider_ops provider_sev_guest;
extern const struct provider_ops provider_tdx_guest;
extern const struct provider_ops provider_sim;

/* GPUs (NVML or the simulator): one report, chain and nonce per attached GPU. */
struct gpu_evidence {
    struct ward_buf report;    /* SPDM request || response */
    struct ward_buf chain_pem; /* device certificate chain */
    uint8_t nonce[32];
};
int provider_nvml_gpus(const struct ward_attest_opts *opts, const uint8_t nonce[32],
                       struct gpu_evidence *out, size_t max, size_t *out_num);
/* provider_sim_gpus: the simulator's GPUs (sim.c), opts->num_sim_gpus of them (0: 1),
 * each asked with |nonce|; same contract as provider_nvml_gpus. */
int provider_sim_gpus(const struct ward_attest_opts *opts, const uint8_t nonce[32],
                      struct gpu_evidence *out, size_t max, size_t *out_num) WARD_MUST_CHECK;

/* ---- device-provider internals (sev_guest.c, tdx_guest.c), exposed for tests ---- */

/* sev_guest_parse_response parses the firmware's MSG_REPORT_RSP in the sev-guest
 * driver's response buffer (STATUS u32le, REPORT_SIZE u32le, reserved[24] all zero,
 * a 1184-byte REPORT, then zero padding to |len|) and the SNP_GET_EXT_REPORT
 * certificate table |certs| (NULL with |certs_len| 0: none) into |out|: tee "snp",
 * the report, one DER certificate per table entry (at most 8). |exitinfo2| is the
 * ioctl's, quoted in the error when STATUS is a firmware error (WARD_ERR_IO).
 * |out| is untouched on failure; on success the caller owns it. */
int sev_guest_parse_response(const uint8_t *resp, size_t len, uint64_t exitinfo2,
                             const uint8_t *certs, size_t certs_len,
                             struct provider_evidence *out) WARD_MUST_CHECK;

/* sev_guest_ioctl_fn is how sev_guest.c reaches the driver: ioctl(2) in production;
 * tests pass a function that behaves like the driver (the fd is a stand-in file). */
typedef int (*sev_guest_ioctl_fn)(int fd, unsigned long cmd, void *arg);

/* sev_guest_get_via is provider_sev_guest.get with the driver reached through
 * |transport|: SNP_GET_EXT_REPORT (one retry when the host asks for a larger
 * certificate buffer), SNP_GET_REPORT when the kernel lacks it (ENOTTY), then
 * sev_guest_parse_response and a check that the report carries |report_data|. */
int sev_guest_get_via(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                      sev_guest_ioctl_fn transport, struct provider_evidence *out) WARD_MUST_CHECK;

/* tdx_guest_report0 asks the tdx_guest driver at |dev| (NULL: /dev/tdx_guest) for a
 * TDREPORT (TDX_CMD_GET_REPORT0) over |report_data| and copies its 1024 bytes to
 * |out|. A TDREPORT is MACed for the local platform only: it is not evidence for a
 * remote verifier (quotes come from configfs-tsm). Errors name the device and the
 * errno (missing device WARD_ERR_NOT_FOUND, permission, ENOTTY, EIO); |out| is
 * untouched on failure. */
int tdx_guest_report0(const char *dev, const uint8_t report_data[64],
                      uint8_t out[1024]) WARD_MUST_CHECK;

#endif
