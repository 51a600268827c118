/*
 * lib/evidence/providers/nvml.c: NVIDIA confidential-GPU evidence through NVML,
 * loaded with dlopen so libward neither links nor needs the driver.
 *
 * The types below mirror NVIDIA's public nvml.h (as vendored in NVIDIA/go-nvml,
 * pkg/nvml/nvml.h, "GPU Certificate Details" and "GPU Attestation Report"; the
 * confidential-computing calls appeared in the R535 driver):
 *
 *   typedef struct nvmlConfComputeGpuCertificate_st {
 *       unsigned int certChainSize;
 *       unsigned int attestationCertChainSize;
 *       unsigned char certChain[NVML_GPU_CERT_CHAIN_SIZE];                 // 0x1000
 *       unsigned char attestationCertChain[NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE]; // 0x1400
 *   } nvmlConfComputeGpuCertificate_t;
 *   typedef struct nvmlConfComputeGpuAttestationReport_st {
 *       unsigned int isCecAttestationReportPresent;
 *       unsigned int attestationReportSize;
 *       unsigned int cecAttestationReportSize;
 *       unsigned char nonce[NVML_CC_GPU_CEC_NONCE_SIZE];                   // 0x20, input
 *       unsigned char attestationReport[NVML_CC_GPU_ATTESTATION_REPORT_SIZE]; // 0x2000
 *       unsigned char cecAttestationReport[NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE]; // 0x1000
 *   } nvmlConfComputeGpuAttestationReport_t;
 *
 * What the fields hold follows NVIDIA's own verifier (NVIDIA/nvtrust,
 * guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/nvml/): the first
 * attestationReportSize bytes of attestationReport are the SPDM GET_MEASUREMENTS
 * request (37 bytes) followed by the signed response, which is what
 * ward_nvgpu_report_parse reads; the first attestationCertChainSize bytes of
 * attestationCertChain are the device certificate chain in PEM, leaf first
 * (gpu_cert_chains.py). A chain that arrives as concatenated DER is converted.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/crypto.h"
#include "ward/nvgpu.h"

#define NVML_DEFAULT_LIBRARY "libnvidia-ml.so.1"
#define NVML_SUCCESS 0
#define NVML_CC_GPU_CEC_NONCE_SIZE 0x20
#define NVML_CC_GPU_ATTESTATION_REPORT_SIZE 0x2000
#define NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE 0x1000
#define NVML_GPU_CERT_CHAIN_SIZE 0x1000
#define NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE 0x1400
#define NVML_MAX_CERTS 16u       /* named maximum of certificates in a device chain */
#define NVML_PEM_MAX (32u << 10) /* named maximum of the PEM chain we write */

typedef int nvml_return; /* nvmlReturn_t: an enum, int-sized */
struct nvml_device_st;   /* nvmlDevice_t is `struct nvmlDevice_st *` */

struct nvml_cc_certificate { /* nvmlConfComputeGpuCertificate_t */
    unsigned int certChainSize;
    unsigned int attestationCertChainSize;
    unsigned char certChain[NVML_GPU_CERT_CHAIN_SIZE];
    unsigned char attestationCertChain[NVML_GPU_ATTESTATION_CERT_CHAIN_SIZE];
};

struct nvml_cc_report { /* nvmlConfComputeGpuAttestationReport_t */
    unsigned int isCecAttestationReportPresent;
    unsigned int attestationReportSize;
    unsigned int cecAttestationReportSize;
    unsigned char nonce[NVML_CC_GPU_CEC_NONCE_SIZE];
    unsigned char attestationReport[NVML_CC_GPU_ATTESTATION_REPORT_SIZE];
    unsigned char cecAttestationReport[NVML_CC_GPU_CEC_ATTESTATION_REPORT_SIZE];
};

_Static_assert(sizeof(struct nvml_cc_certificate) == 8 + 0x1000 + 0x1400,
               "nvmlConfComputeGpuCertificate_t layout");
_Static_assert(sizeof(struct nvml_cc_report) == 12 + 0x20 + 0x2000 + 0x1000,
               "nvmlConfComputeGpuAttestationReport_t layout");

/* The entry points we resolve, with NVML's prototypes. */
struct nvml_api {
    void *lib;
    nvml_return (*init)(void);
    nvml_return (*shutdown)(void);
    nvml_return (*count)(unsigned int *count);
    nvml_return (*handle)(unsigned int index, struct nvml_device_st **device);
    nvml_return (*report)(struct nvml_device_st *device, struct nvml_cc_report *report);
    nvml_return (*certificate)(struct nvml_device_st *device, struct nvml_cc_certificate *cert);
    const char *(*error_string)(nvml_return result);
};

/* nvml_load opens |path| and resolves every entry point, or says what is missing. */
static WARD_MUST_CHECK int nvml_load(const char *path, struct nvml_api *api)
{
    static const char *const names[] = {
        "nvmlInit_v2",
        "nvmlShutdown",
        "nvmlDeviceGetCount_v2",
        "nvmlDeviceGetHandleByIndex_v2",
        "nvmlDeviceGetConfComputeGpuAttestationReport",
        "nvmlDeviceGetConfComputeGpuCertificate",
        "nvmlErrorString",
    };
    void *sym[WARD_ARRAY_LEN(names)];

    memset(api, 0, sizeof(*api));
    api->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (api->lib == NULL) {
        const char *why = dlerror();
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "NVML not available: cannot load %s (%s); is the NVIDIA driver "
                            "installed?",
                            path, why != NULL ? why : "unknown reason");
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(names); i++) {
        sym[i] = dlsym(api->lib, names[i]);
        if (sym[i] == NULL) {
            dlclose(api->lib);
            api->lib = NULL;
            return ward_err_set(WARD_ERR_NOT_FOUND,
                                "NVML not available: %s has no %s (confidential computing needs "
                                "driver R535 or newer)",
                                path, names[i]);
        }
    }
    /* POSIX lets a data pointer from dlsym become a function pointer; copy the bits. */
    memcpy(&api->init, &sym[0], sizeof(api->init));
    memcpy(&api->shutdown, &sym[1], sizeof(api->shutdown));
    memcpy(&api->count, &sym[2], sizeof(api->count));
    memcpy(&api->handle, &sym[3], sizeof(api->handle));
    memcpy(&api->report, &sym[4], sizeof(api->report));
    memcpy(&api->certificate, &sym[5], sizeof(api->certificate));
    memcpy(&api->error_string, &sym[6], sizeof(api->error_string));
    return WARD_OK;
}

/* nvml_fail records a failed NVML call with NVML's own words for |ret|. */
static int nvml_fail(const struct nvml_api *api, const char *call, long gpu, nvml_return ret)
{
    const char *what = api->error_string(ret);
    char where[32] = "";
    if (gpu >= 0) {
        snprintf(where, sizeof(where), "GPU %ld: ", gpu);
    }
    return ward_err_set(WARD_ERR_IO, "NVML: %s%s failed: \"%s\" (NVML error %d)", where, call,
                        what != NULL ? what : "unknown", ret);
}

/* chain_to_pem parses the device chain (PEM, or concatenated DER) into |out| as PEM. */
static WARD_MUST_CHECK int chain_to_pem(const uint8_t *p, size_t len, struct ward_buf *out)
{
    STACK_OF(X509) *stack = sk_X509_new_null();
    DEFER(ward_bio_freep) BIO *bio = NULL;
    struct ward_rd rd;
    int rc = WARD_OK;

    GUARD_PTR(stack);
    if (len >= 11 && memcmp(p, "-----BEGIN ", 11) == 0) {
        /* PEM is text: NUL padding inside the reported size is not part of it. */
        while (len > 0 && p[len - 1] == '\0') {
            len--;
        }
        rc = ward_x509_parse_all(p, len, stack);
    } else {
        /* DER certificates back to back: each is one SEQUENCE; OpenSSL finds its end. */
        ward_rd_init(&rd, p, len);
        while (rc == WARD_OK && ward_rd_left(&rd) > 0) {
            const unsigned char *start = rd.p, *q = rd.p;
            X509 *x = d2i_X509(NULL, &q, (long)ward_rd_left(&rd));
            if (x == NULL) {
                rc = ward_ossl_fail(WARD_ERR_FORMAT, "d2i_X509");
                break;
            }
            if (sk_X509_num(stack) >= (int)NVML_MAX_CERTS || !sk_X509_push(stack, x)) {
                X509_free(x);
                rc = ward_err_set(WARD_ERR_NOMEM, "more than %u certificates", NVML_MAX_CERTS);
                break;
            }
            rc = ward_rd_skip(&rd, (size_t)(q - start));
        }
    }
    if (rc == WARD_OK && sk_X509_num(stack) == 0) {
        rc = ward_err_set(WARD_ERR_FORMAT, "no certificate in it");
    }
    if (rc == WARD_OK && (bio = BIO_new(BIO_s_mem())) == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; rc == WARD_OK && i < sk_X509_num(stack); i++) {
        if (!PEM_write_bio_X509(bio, sk_X509_value(stack, i))) {
            rc = ward_ossl_fail(WARD_ERR_CRYPTO, "PEM_write_bio_X509");
        }
    }
    if (rc == WARD_OK) {
        const char *pem;
        long pem_len = BIO_get_mem_data(bio, &pem);
        if (pem_len <= 0 || (size_t)pem_len > NVML_PEM_MAX) {
            rc = ward_err_set(WARD_ERR_NOMEM, "PEM chain of %ld bytes (at most %u)", pem_len,
                              NVML_PEM_MAX);
        } else {
            rc = ward_buf_set(out, (const uint8_t *)pem, (size_t)pem_len);
        }
    }
    sk_X509_pop_free(stack, X509_free);
    return rc;
}

/* check_report confirms the report parses and answers |nonce|. */
static WARD_MUST_CHECK int check_report(const struct ward_buf *report, const uint8_t nonce[32])
{
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    GUARD_PTR(r);
    int rc = ward_nvgpu_report_parse(report->data, report->len, r);
    if (rc == WARD_OK && !ward_ct_equal(r->request_nonce, nonce, 32)) {
        rc = ward_err_set(WARD_ERR_MISMATCH, "the report answers a different nonce");
    }
    free(r);
    return rc;
}

/* gpu_get fetches GPU |index|'s report (for |nonce|) and chain into |out|. */
static WARD_MUST_CHECK int gpu_get(const struct nvml_api *api, unsigned int index,
                                   const uint8_t nonce[32], struct gpu_evidence *out)
{
    struct nvml_device_st *dev = NULL;
    struct nvml_cc_report *rep = NULL;
    struct nvml_cc_certificate *cert = NULL;
    struct gpu_evidence g;
    nvml_return ret;
    int rc;

    memset(&g, 0, sizeof(g));
    ret = api->handle(index, &dev);
    if (ret != NVML_SUCCESS) {
        return nvml_fail(api, "nvmlDeviceGetHandleByIndex_v2", index, ret);
    }
    rep = calloc(1, sizeof(*rep));
    cert = calloc(1, sizeof(*cert));
    if (rep == NULL || cert == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(rep->nonce, nonce, sizeof(rep->nonce));
    ret = api->report(dev, rep);
    if (ret != NVML_SUCCESS) {
        rc = nvml_fail(api, "nvmlDeviceGetConfComputeGpuAttestationReport", index, ret);
        goto out;
    }
    if (rep->attestationReportSize <= WARD_SPDM_REQUEST_LEN ||
        rep->attestationReportSize > sizeof(rep->attestationReport)) {
        rc = ward_err_set(
            WARD_ERR_FORMAT, "NVML: GPU %u: attestation report size %u is outside %u..%zu", index,
            rep->attestationReportSize, WARD_SPDM_REQUEST_LEN + 1, sizeof(rep->attestationReport));
        goto out;
    }
    GOTO_GUARD(rc, ward_buf_set(&g.report, rep->attestationReport, rep->attestationReportSize),
               out);
    rc = check_report(&g.report, nonce);
    if (rc != WARD_OK) {
        ward_err_prefix("NVML: GPU %u: attestation report", index);
        goto out;
    }
    ret = api->certificate(dev, cert);
    if (ret != NVML_SUCCESS) {
        rc = nvml_fail(api, "nvmlDeviceGetConfComputeGpuCertificate", index, ret);
        goto out;
    }
    if (cert->attestationCertChainSize == 0 ||
        cert->attestationCertChainSize > sizeof(cert->attestationCertChain)) {
        rc =
            ward_err_set(WARD_ERR_FORMAT,
                         "NVML: GPU %u: attestation certificate chain size %u is outside 1..%zu",
                         index, cert->attestationCertChainSize, sizeof(cert->attestationCertChain));
        goto out;
    }
    rc = chain_to_pem(cert->attestationCertChain, cert->attestationCertChainSize, &g.chain_pem);
    if (rc != WARD_OK) {
        ward_err_prefix("NVML: GPU %u: attestation certificate chain", index);
        goto out;
    }
    memcpy(g.nonce, nonce, sizeof(g.nonce));
    *out = g;
    memset(&g, 0, sizeof(g));
out:
    ward_buf_cleanup(&g.report);
    ward_buf_cleanup(&g.chain_pem);
    free(rep);
    free(cert);
    return rc;
}

int provider_nvml_gpus(const struct ward_attest_opts *opts, const uint8_t nonce[32],
                       struct gpu_evidence *out, size_t max, size_t *out_num)
{
    struct nvml_api api;
    struct gpu_evidence *tmp = NULL;
    const char *path;
    unsigned int count = 0;
    nvml_return ret;
    int rc;

    WARD_ASSERT(opts != NULL && nonce != NULL && out_num != NULL);
    WARD_ASSERT(out != NULL || max == 0);
    path = opts->nvml_library != NULL ? opts->nvml_library : NVML_DEFAULT_LIBRARY;
    GUARD(nvml_load(path, &api));
    ret = api.init();
    if (ret != NVML_SUCCESS) {
        rc = nvml_fail(&api, "nvmlInit_v2", -1, ret);
        dlclose(api.lib);
        return rc;
    }
    ret = api.count(&count);
    if (ret != NVML_SUCCESS) {
        rc = nvml_fail(&api, "nvmlDeviceGetCount_v2", -1, ret);
        goto out;
    }
    if (count == 0) {
        rc = ward_err_set(WARD_ERR_NOT_FOUND, "NVML: no NVIDIA GPU is attached");
        goto out;
    }
    if (count > max) {
        rc = ward_err_set(WARD_ERR_NOMEM, "NVML: %u GPUs are attached, room for %zu", count, max);
        goto out;
    }
    /* Fill a scratch array so |out| is untouched unless every GPU answers. */
    tmp = calloc(count, sizeof(*tmp));
    if (tmp == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = WARD_OK;
    for (unsigned int i = 0; i < count && rc == WARD_OK; i++) {
        rc = gpu_get(&api, i, nonce, &tmp[i]);
    }
    if (rc == WARD_OK) {
        memcpy(out, tmp, count * sizeof(*tmp));
        *out_num = count;
    } else {
        for (unsigned int i = 0; i < count; i++) {
            ward_buf_cleanup(&tmp[i].report);
            ward_buf_cleanup(&tmp[i].chain_pem);
        }
    }
out:
    free(tmp);
    api.shutdown();
    dlclose(api.lib);
    return rc;
}
