/*
 * ward/verify.h: the appraisal pipeline. One result structure for every TEE:
 * per-check status, normalised claims, errors naming their check, and a verdict.
 */
#ifndef WARD_VERIFY_H
#define WARD_VERIFY_H

#include <jansson.h>
#include <openssl/x509.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The checks every appraisal records, in the order the pipeline runs them. */
enum ward_check {
    WARD_CHECK_SIGNATURE,   /* evidence signature with the attestation key */
    WARD_CHECK_CHAIN,       /* key certificate chain to a pinned vendor root */
    WARD_CHECK_REVOCATION,  /* CRL / OCSP status of the chain */
    WARD_CHECK_TCB,         /* platform TCB: matches the certificate, meets the minimum */
    WARD_CHECK_MEASUREMENT, /* launch measurement against allowed values */
    WARD_CHECK_POLICY,      /* guest policy, VMPL, platform info, keys, chips */
    WARD_CHECK_BINDING,     /* report_data equals the expected value */
    WARD_CHECK_COLLATERAL,  /* TDX: TCB info, QE identity, CRLs signed, in date, for this FMSPC */
    WARD_CHECK_QE_IDENTITY, /* TDX: the Quoting Enclave matches Intel's QE identity */
    WARD_CHECK__COUNT
};

enum ward_status { WARD_STATUS_SKIP = 0, WARD_STATUS_PASS, WARD_STATUS_FAIL };

/* ward_check_name returns the JSON key of |c| ("signature", "chain", ...). */
const char *ward_check_name(enum ward_check c);
/* ward_status_name returns "pass", "fail" or "skip". */
const char *ward_status_name(enum ward_status s);

#define WARD_APPRAISAL_MAX_ERRORS 32

struct ward_appraisal_error {
    enum ward_check check;
    char message[320];
};

/* The result of appraising one piece of evidence. Initialise with
 * ward_appraisal_init, release with ward_appraisal_cleanup. */
struct ward_appraisal {
    char tee[16];        /* "snp", ... */
    uint32_t applicable; /* bit per ward_check that this TEE reports */
    enum ward_status checks[WARD_CHECK__COUNT];
    json_t *claims; /* owned JSON object of normalised claims */
    size_t num_errors;
    struct ward_appraisal_error errors[WARD_APPRAISAL_MAX_ERRORS];
    bool simulated; /* evidence chains to a simulator root */
};

void ward_appraisal_init(struct ward_appraisal *a, const char *tee);
void ward_appraisal_cleanup(struct ward_appraisal *a);

/* ward_appraisal_pass records a passing check (a failure already recorded wins). */
void ward_appraisal_pass(struct ward_appraisal *a, enum ward_check c);
/* ward_appraisal_fail records a failing check with a message naming what was wrong. */
void ward_appraisal_fail(struct ward_appraisal *a, enum ward_check c, const char *fmt, ...)
    WARD_PRINTF(3, 4);

/* ward_appraisal_verdict is true when no check failed and the signature and chain passed. */
bool ward_appraisal_verdict(const struct ward_appraisal *a);

/* ward_appraisal_to_json returns a new JSON object (only the checks that apply
 * to the appraisal's TEE appear):
 * {"verdict","tee","checks":{...},"claims":{...},"errors":[{"check","message"}], "simulated"?}. */
json_t *ward_appraisal_to_json(const struct ward_appraisal *a);

/* ---- policy ---- */

struct ward_policy; /* opaque; see docs/policy.md for the JSON document */

/* ward_policy_default returns the default policy: refuse debug guests and guests
 * that allow a migration agent, check everything else the inputs allow. Caller frees. */
int ward_policy_default(struct ward_policy **out) WARD_MUST_CHECK;
/* ward_policy_parse parses a policy document. Unknown keys are errors. */
int ward_policy_parse(const char *json_text, size_t len, struct ward_policy **out) WARD_MUST_CHECK;
int ward_policy_load(const char *path, struct ward_policy **out) WARD_MUST_CHECK;
void ward_policy_free(struct ward_policy *p);

/* ---- verified-chain cache ---- */

/* A bounded cache of certificate chains that already verified, keyed by the
 * fingerprints of every certificate in the path and valid only inside the
 * chain's common validity window. A verifier that appraises many reports from
 * the same platforms (a service, a benchmark) keeps one and passes it in
 * ward_verify_opts; revocation is still checked on every appraisal. Thread-safe. */
struct ward_chain_cache;

/* ward_chain_cache_new makes a cache of at most |max_entries| chains. */
int ward_chain_cache_new(size_t max_entries, struct ward_chain_cache **out) WARD_MUST_CHECK;
/* ward_chain_cache_free frees |c|. Accepts NULL. */
void ward_chain_cache_free(struct ward_chain_cache *c);

/* A bounded cache for DCAP (TDX) verifiers: collateral bundles that verified,
 * parsed once, and PCK chains that verified against a given collateral's CRLs.
 * Each entry answers only inside the window in which what it stands for is
 * current. Used only when the collateral is passed explicitly
 * (ward_verify_opts.collateral_file). Thread-safe. */
struct ward_dcap_cache;

int ward_dcap_cache_new(size_t max_entries, struct ward_dcap_cache **out) WARD_MUST_CHECK;
/* ward_dcap_cache_free frees |c|. Accepts NULL. */
void ward_dcap_cache_free(struct ward_dcap_cache *c);

/* ---- verification inputs ---- */

/* A named byte string borrowed from the caller (a file's name and contents). */
struct ward_blob {
    const char *name;
    const uint8_t *data;
    size_t len;
};

struct ward_verify_opts {
    int64_t at;               /* verification time, seconds since the epoch; 0 means now */
    STACK_OF(X509) *certs;    /* certificates supplied with the evidence, any order; may be NULL */
    STACK_OF(X509_CRL) *crls; /* CRLs supplied by the caller; may be NULL */
    /* Raw certificate and CRL files (DER or PEM) as the user gave them. They are
     * parsed inside the appraisal so that a damaged file fails the chain or
     * revocation check with a message, instead of being an I/O error. */
    const struct ward_blob *cert_files;
    size_t num_cert_files;
    const struct ward_blob *crl_files;
    size_t num_crl_files;
    const struct ward_policy *policy; /* NULL: the default policy */
    bool has_report_data;
    uint8_t report_data[64]; /* expected report_data when has_report_data */
    const char *sim_dir;     /* directory of simulator roots to trust; NULL: none */
    const char *cache_dir;   /* collateral cache; NULL: $XDG_CACHE_HOME/ward; "" disables */
    struct ward_chain_cache *chain_cache; /* verified chains to reuse; NULL: none */
    /* TDX: the DCAP collateral bundle as the user gave it; parsed inside the
     * appraisal so a damaged bundle fails the collateral check. NULL: look in
     * the collateral cache. */
    const struct ward_blob *collateral_file;
    struct ward_dcap_cache *dcap_cache; /* verified DCAP collateral and PCK chains; NULL: none */
    /* NVIDIA GPU evidence. */
    bool has_nonce;
    uint8_t nonce[32];                      /* expected SPDM request nonce */
    const struct ward_blob *reference_file; /* expected measurements (JSON), or NULL */
    const struct ward_blob
        *ocsp_files; /* DER OCSP responses; none: those ward fetch nvgpu cached */
    size_t num_ocsp_files;
    const struct ward_blob
        *rim_files; /* NVIDIA RIMs (signed SWID XML): driver, VBIOS, NVSwitch BIOS */
    size_t num_rim_files;
};

/* ward_verify_snp appraises a raw SEV-SNP report. Returns WARD_OK whenever an
 * appraisal was produced (look at its verdict); an error only for a caller's or
 * I/O problem. Malformed evidence yields a failing appraisal, not an error. */
int ward_verify_snp(const uint8_t *report, size_t len, const struct ward_verify_opts *opts,
                    struct ward_appraisal *out) WARD_MUST_CHECK;

/* ward_verify_tdx appraises an Intel TDX DCAP quote (v4 or v5) with its
 * collateral. Same contract as ward_verify_snp; the result also has the
 * "collateral" and "qe_identity" checks and the claims tcb_status, advisory_ids,
 * mrtd, rtmr0..rtmr3. */
int ward_verify_tdx(const uint8_t *quote, size_t len, const struct ward_verify_opts *opts,
                    struct ward_appraisal *out) WARD_MUST_CHECK;

/* ward_verify_nvgpu appraises an NVIDIA GPU attestation report (SPDM
 * GET_MEASUREMENTS request || signed response) with its device certificate chain
 * (opts cert_files/certs). Same contract as ward_verify_snp. */
int ward_verify_nvgpu(const uint8_t *report, size_t len, const struct ward_verify_opts *opts,
                      struct ward_appraisal *out) WARD_MUST_CHECK;

/* ---- composite evidence: a CPU TEE and its GPUs ---- */

/* Named maximum of GPU parts in one composite envelope. */
#define WARD_COMPOSITE_MAX_GPUS 16
/* Bytes each GPU contributes to the composite payload: nonce (32) || SHA-384 (48). */
#define WARD_COMPOSITE_PART_LEN 80u

/* ward_composite_payload computes the payload that binds GPU evidence to the CPU
 * evidence of a composite envelope: for each of the |num| GPU reports (SPDM
 * GET_MEASUREMENTS request || signed response, ward/nvgpu.h) in order, its
 * request nonce (32 bytes) followed by SHA-384 of the whole report (48 bytes).
 * The CPU's REPORT_DATA must then equal ward_binding(WARD_LABEL_COMPOSITE,
 * payload) (ward/binding.h); the simulator (ward_composite_sim) and the verifier
 * both call this function. Each report is parsed (ward_nvgpu_report_parse), not
 * appraised: its signature and chain are the GPU appraisal's business. |out|
 * must be initialised; what it held is freed on success, and it is untouched on
 * failure. Errors: WARD_ERR_FORMAT for no GPU report, WARD_ERR_NOMEM for more than
 * WARD_COMPOSITE_MAX_GPUS, the parser's code (prefixed "composite: GPU part N")
 * for a report that does not parse, WARD_ERR_CRYPTO. */
int ward_composite_payload(const struct ward_buf *gpu_reports, size_t num,
                           struct ward_buf *out) WARD_MUST_CHECK;

/* ward_verify_composite appraises a composite envelope
 * {"tee":"composite","parts":[...]}: one CPU part (snp or tdx) and 1 to
 * WARD_COMPOSITE_MAX_GPUS GPU parts (nvgpu), each an evidence envelope with its
 * own certs, nonce (GPU) and collateral (TDX). The CPU part's REPORT_DATA must be
 * ward_binding(WARD_LABEL_COMPOSITE, ward_composite_payload(GPU evidence)); the
 * verdict is pass only if every part passes and the binding holds. Each part's
 * appraisal appears under claims.parts. Same contract as ward_verify_snp. */
int ward_verify_composite(const uint8_t *json, size_t len, const struct ward_verify_opts *opts,
                          struct ward_appraisal *out) WARD_MUST_CHECK;

/* ---- evidence envelope ---- */

/* The JSON envelope of docs/architecture.md: {"tee", "evidence": base64,
 * "certs": [base64 DER or PEM text], "runtime_data": base64, "nonce": base64}. */
#define WARD_ENVELOPE_MAX_CERTS 16

struct ward_envelope {
    char tee[16];
    struct ward_buf evidence;
    size_t num_certs;
    struct ward_buf certs[WARD_ENVELOPE_MAX_CERTS]; /* each DER or PEM, unparsed: the
                                                      appraisal parses them so a bad one
                                                      fails the chain check by name */
    struct ward_buf runtime_data;
    struct ward_buf nonce;
};

/* ward_envelope_parse recognises the JSON envelope; WARD_ERR_NOT_FOUND if |p| is
 * not JSON (then the caller treats it as a raw vendor binary). */
int ward_envelope_parse(const uint8_t *p, size_t len, struct ward_envelope *out) WARD_MUST_CHECK;
void ward_envelope_cleanup(struct ward_envelope *e);

#ifdef __cplusplus
}
#endif
#endif /* WARD_VERIFY_H */
