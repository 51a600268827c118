/*
 * tests/unit/fake_nvml.c: a stand-in for libnvidia-ml.so.1, loaded by
 * provider_nvml_gpus through dlopen in test_providers_dev. It exports the NVML
 * entry points the provider resolves, with NVIDIA's prototypes and struct layouts
 * (nvml.h, "GPU Certificate Details" and "GPU Attestation Report"), and answers
 * from files named by the environment, read at call time:
 *
 *   WARD_FAKE_NVML_REPORT       bytes returned as attestationReport (request || response)
 *   WARD_FAKE_NVML_CHAIN        bytes returned as attestationCertChain
 *   WARD_FAKE_NVML_COUNT        number of GPUs (default 1)
 *   WARD_FAKE_NVML_FAIL         "init": nvmlInit_v2 fails (NVML_ERROR_DRIVER_NOT_LOADED);
 *                               "report" or "cert": that call fails (NVML_ERROR_NOT_SUPPORTED)
 *   WARD_FAKE_NVML_REPORT_SIZE  overrides attestationReportSize (bounds tests)
 *
 * It links nothing but libc, like the real library's callers expect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_SUCCESS 0
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_UNKNOWN 999

typedef struct nvmlConfComputeGpuCertificate_st {
    unsigned int certChainSize;
    unsigned int attestationCertChainSize;
    unsigned char certChain[0x1000];
    unsigned char attestationCertChain[0x1400];
} nvmlConfComputeGpuCertificate_t;

typedef struct nvmlConfComputeGpuAttestationReport_st {
    unsigned int isCecAttestationReportPresent;
    unsigned int attestationReportSize;
    unsigned int cecAttestationReportSize;
    unsigned char nonce[0x20];
    unsigned char attestationReport[0x2000];
    unsigned char cecAttestationReport[0x1000];
} nvmlConfComputeGpuAttestationReport_t;

/* The exported API (prototypes first: the project builds with -Wmissing-prototypes). */
nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device);
nvmlReturn_t
nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t device,
                                             nvmlConfComputeGpuAttestationReport_t *report);
nvmlReturn_t nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t device,
                                                    nvmlConfComputeGpuCertificate_t *cert);
const char *nvmlErrorString(nvmlReturn_t result);

static int failing(const char *what)
{
    const char *f = getenv("WARD_FAKE_NVML_FAIL");
    return f != NULL && strcmp(f, what) == 0;
}

static unsigned int gpu_count(void)
{
    const char *c = getenv("WARD_FAKE_NVML_COUNT");
    return c != NULL ? (unsigned int)strtoul(c, NULL, 10) : 1u;
}

/* load reads the file named by $|var| into |out| (at most |cap| bytes); returns its size. */
static long load(const char *var, unsigned char *out, size_t cap)
{
    const char *path = getenv(var);
    if (path == NULL) {
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(out, 1, cap, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    return more ? -1 : (long)n;
}

nvmlReturn_t nvmlInit_v2(void)
{
    return failing("init") ? NVML_ERROR_DRIVER_NOT_LOADED : NVML_SUCCESS;
}

nvmlReturn_t nvmlShutdown(void)
{
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
    if (count == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *count = gpu_count();
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (device == NULL || index >= gpu_count()) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    *device = (nvmlDevice_t)(size_t)(0x1000 + index);
    return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetConfComputeGpuAttestationReport(nvmlDevice_t device,
                                             nvmlConfComputeGpuAttestationReport_t *report)
{
    if (device == NULL || report == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (failing("report")) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    long n =
        load("WARD_FAKE_NVML_REPORT", report->attestationReport, sizeof(report->attestationReport));
    if (n < 0) {
        return NVML_ERROR_UNKNOWN;
    }
    const char *size = getenv("WARD_FAKE_NVML_REPORT_SIZE");
    report->attestationReportSize =
        size != NULL ? (unsigned int)strtoul(size, NULL, 10) : (unsigned int)n;
    report->isCecAttestationReportPresent = 0;
    report->cecAttestationReportSize = 0;
    return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetConfComputeGpuCertificate(nvmlDevice_t device,
                                                    nvmlConfComputeGpuCertificate_t *cert)
{
    if (device == NULL || cert == NULL) {
        return NVML_ERROR_INVALID_ARGUMENT;
    }
    if (failing("cert")) {
        return NVML_ERROR_NOT_SUPPORTED;
    }
    long n = load("WARD_FAKE_NVML_CHAIN", cert->attestationCertChain,
                  sizeof(cert->attestationCertChain));
    if (n < 0) {
        return NVML_ERROR_UNKNOWN;
    }
    cert->attestationCertChainSize = (unsigned int)n;
    cert->certChainSize = 0;
    return NVML_SUCCESS;
}

/* NVML's own strings for the codes the fake returns. */
const char *nvmlErrorString(nvmlReturn_t result)
{
    switch (result) {
    case NVML_SUCCESS:
        return "Success";
    case NVML_ERROR_INVALID_ARGUMENT:
        return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED:
        return "Not Supported";
    case NVML_ERROR_DRIVER_NOT_LOADED:
        return "Driver Not Loaded";
    default:
        return "Unknown Error";
    }
}
