/*
 * ward/attest.h: the server SDK: produce attestation evidence on whatever TEE the
 * workload runs on, bound to what the workload wants to prove.
 *
 *     struct ward_attest *at;
 *     ward_attest_open(&(struct ward_attest_opts){.provider = WARD_PROVIDER_AUTO}, &at);
 *     ward_attest_evidence(at, "ward/v1/tls-key", pubkey, pubkey_len, NULL, &envelope);
 *     ...
 *     ward_attest_close(at);
 *
 * The binding (ward/binding.h). CPU evidence alone: its REPORT_DATA is
 * ward_binding(label, payload), so a verifier recomputes it from the same label
 * and payload (`ward verify --label L --payload-file F`). With GPUs (composite
 * evidence) the CPU's REPORT_DATA must bind the GPU reports instead, exactly as
 * ward_verify_composite checks it:
 *     REPORT_DATA = ward_binding(WARD_LABEL_COMPOSITE, ward_composite_payload(GPUs))
 * and the label and payload travel in the GPU reports' SPDM nonces: every GPU is
 * asked with
 *     nonce = the first 32 bytes of ward_binding(label, payload)
 * (unless the caller gives its own nonce; see ward_attest_evidence). The
 * composite payload holds each nonce, so the CPU's signature covers the label and
 * payload too, and a verifier checks each GPU part's nonce against its own
 * recomputation. GPU evidence alone (WARD_PROVIDER_NVML) uses the same nonce.
 *
 * Threads and state: there is no global state; a context may be used from
 * several threads at once. Provider calls on one context are serialised on the
 * context's own lock (the devices serve one request at a time anyway).
 *
 * Nothing is written anywhere but the caller's output buffer, except what the
 * kernel interface needs (a configfs-tsm entry, removed again on every path) and
 * the simulator's own state directory (WARD_PROVIDER_SIM).
 */
#ifndef WARD_ATTEST_H
#define WARD_ATTEST_H

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The label `ward attest` uses when given none. Components use their own
 * ("ward/v1/tls-key", ...): never reuse a label across uses. */
#define WARD_LABEL_ATTEST "ward/v1/attest"

/* GPU nonce length (SPDM GET_MEASUREMENTS). */
#define WARD_ATTEST_NONCE_LEN 32u

/* Named maximum of an envelope ward_attest_evidence produces. */
#define WARD_ATTEST_ENVELOPE_MAX (8u << 20)

enum ward_provider_kind {
    WARD_PROVIDER_AUTO = 0,  /* probe in order: configfs-tsm, sev-guest, tdx-guest, then
                                the simulator, but only when sim_dir is given */
    WARD_PROVIDER_CONFIGFS,  /* Linux configfs-tsm (/sys/kernel/config/tsm/report) */
    WARD_PROVIDER_SEV_GUEST, /* /dev/sev-guest: SNP_GET_REPORT, SNP_GET_EXT_REPORT */
    WARD_PROVIDER_TDX_GUEST, /* /dev/tdx_guest: TDX_CMD_GET_REPORT0 (quotes via configfs-tsm) */
    WARD_PROVIDER_NVML,      /* NVIDIA GPUs alone, through libnvidia-ml (dlopen) */
    WARD_PROVIDER_SIM,       /* the simulator: test roots, never trusted by default */
};

/* Where each provider looks; NULL fields take the real system paths. Tests point
 * them at directories and files that behave like the kernel interfaces. The
 * strings are copied by ward_attest_open. */
struct ward_attest_opts {
    enum ward_provider_kind provider;
    const char *configfs_dir;  /* default /sys/kernel/config/tsm/report */
    const char *sev_guest_dev; /* default /dev/sev-guest */
    const char *tdx_guest_dev; /* default /dev/tdx_guest */
    const char *nvml_library;  /* default libnvidia-ml.so.1 */
    const char *sim_dir;       /* simulator state directory (WARD_PROVIDER_SIM, required there) */
    const char *sim_tee;       /* "snp" (default) or "tdx": what the simulator produces */
    unsigned privlevel;        /* SNP VMPL to request (configfs privlevel, sev-guest vmpl);
                                  0 leaves the kernel's default and writes no privlevel */
    bool gpus;                 /* also attest attached GPUs (composite envelope) */
    unsigned num_sim_gpus;     /* simulator only: GPUs to simulate with gpus; 0: 1 */
    /* Test support, 0 for the kernel: how long (milliseconds) to wait for a
     * configfs-tsm stand-in directory (tests/integration/fake_configfs.py) to
     * fill in the attributes the kernel provides at once. Non-zero also marks the
     * directory as a stand-in: an entry that rmdir cannot remove because the
     * stand-in's attribute files are real files has those files unlinked first.
     * The `ward` command takes it from the environment, WARD_CONFIGFS_WAIT_MS. */
    unsigned configfs_wait_ms;
};

struct ward_attest;

/* ward_provider_name returns "configfs", "sev-guest", "tdx-guest", "nvml", "sim" or "auto". */
const char *ward_provider_name(enum ward_provider_kind k);
/* ward_provider_parse maps a name to a kind; false if unknown. */
bool ward_provider_parse(const char *name, enum ward_provider_kind *out);

/* ward_attest_open probes (or opens the forced) provider and copies |opts|. A
 * forced provider that is unusable fails with its probe's error: WARD_ERR_NOT_FOUND
 * when the interface is absent, WARD_ERR_IO when it cannot be opened (permission),
 * WARD_ERR_USAGE for options it cannot use (the simulator without sim_dir). AUTO
 * fails with WARD_ERR_NOT_FOUND when no provider is present, else with the first
 * other error, and the message names everything tried. On success the caller owns
 * *|out| and frees it with ward_attest_close; on failure *|out| is untouched. */
int ward_attest_open(const struct ward_attest_opts *opts, struct ward_attest **out) WARD_MUST_CHECK;

/* ward_attest_provider returns the kind the context uses (never AUTO). */
enum ward_provider_kind ward_attest_provider(const struct ward_attest *at);

/* ward_attest_evidence produces fresh evidence bound to (|label|, |payload|) as
 * described at the top of this header and writes its JSON envelope, text ending
 * in a newline, into |out| (initialised by the caller; what it held is freed on
 * success, and it is untouched on failure):
 *   CPU:       {"tee": "snp"|"tdx", "evidence": base64, "certs": [base64 DER, ...],
 *               "collateral": {DCAP bundle}}   ("collateral": simulated TDX only)
 *   GPU alone: {"tee": "nvgpu", "evidence", "certs", "nonce": base64}
 *   composite: {"tee": "composite", "parts": [CPU envelope, GPU envelope, ...]}
 * The payload itself is not in the envelope: the verifier has its own copy.
 * |label| is a non-empty string (a caller's bug otherwise); |payload| may be
 * empty. |nonce| is NULL, or WARD_ATTEST_NONCE_LEN bytes to ask the GPUs with
 * instead of the nonce derived from the label and payload (for a GPU verifier
 * that dictates the nonce); the evidence then binds that nonce, not the label
 * and payload. A nonce without GPUs is WARD_ERR_USAGE (the CPU's REPORT_DATA is
 * the binding; put a challenge into the payload). Errors are the provider's:
 * WARD_ERR_IO for device I/O and firmware errors, WARD_ERR_MISMATCH when a
 * concurrent writer changed a configfs-tsm entry, WARD_ERR_TRUNCATED or
 * WARD_ERR_FORMAT for a response that is not one report or quote, WARD_ERR_NOT_FOUND
 * for GPUs asked for but absent. */
int ward_attest_evidence(struct ward_attest *at, const char *label, const uint8_t *payload,
                         size_t payload_len, const uint8_t *nonce,
                         struct ward_buf *out) WARD_MUST_CHECK;

/* ward_attest_close frees |at|. Accepts NULL. */
void ward_attest_close(struct ward_attest *at);

#ifdef __cplusplus
}
#endif
#endif
