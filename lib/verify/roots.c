/*
 * lib/verify/roots.c: the compiled-in AMD trust anchors. Each certificate is
 * parsed once per process and checked against its pinned SHA-256 fingerprint; a
 * mismatch means the binary itself was altered, so it aborts.
 */
#include <pthread.h>
#include <string.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/crypto.h"

#include "amd_roots.inc"
#include "intel_root.inc"
#include "nvidia_root.inc"

static const struct {
    enum ward_snp_product product;
    const char *pem[3]; /* ARK, ASK, ASVK */
    const char *sha256[3];
} table[] = {
    {WARD_SNP_MILAN,
     {milan_ark_pem, milan_ask_pem, milan_asvk_pem},
     {milan_ark_sha256, milan_ask_sha256, milan_asvk_sha256}},
    {WARD_SNP_GENOA,
     {genoa_ark_pem, genoa_ask_pem, genoa_asvk_pem},
     {genoa_ark_sha256, genoa_ask_sha256, genoa_asvk_sha256}},
    {WARD_SNP_TURIN,
     {turin_ark_pem, turin_ask_pem, turin_asvk_pem},
     {turin_ark_sha256, turin_ask_sha256, turin_asvk_sha256}},
};

/* Immutable after the one-time initialisation below. */
static struct amd_roots loaded[WARD_ARRAY_LEN(table)];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static X509 *load_pinned(const char *pem, const char *pin)
{
    X509 *cert = NULL;
    uint8_t fp[32];
    char hex[65];
    if (ward_x509_parse((const uint8_t *)pem, strlen(pem), &cert) != WARD_OK ||
        ward_x509_sha256(cert, fp) != WARD_OK) {
        ward_abort(__FILE__, __LINE__, "compiled-in AMD certificate does not parse");
    }
    ward_hex_encode(fp, sizeof(fp), hex);
    if (strcmp(hex, pin) != 0) {
        ward_abort(__FILE__, __LINE__, "compiled-in AMD certificate does not match its pin");
    }
    return cert;
}

static X509 *intel_root;
static X509 *nvidia_root;

static void load_all(void)
{
    intel_root = load_pinned(intel_root_pem, intel_root_sha256);
    nvidia_root = load_pinned(nvidia_root_pem, nvidia_root_sha256);
    for (size_t i = 0; i < WARD_ARRAY_LEN(table); i++) {
        loaded[i].ark = load_pinned(table[i].pem[0], table[i].sha256[0]);
        loaded[i].ask = load_pinned(table[i].pem[1], table[i].sha256[1]);
        loaded[i].asvk = load_pinned(table[i].pem[2], table[i].sha256[2]);
    }
}

int amd_roots_get(enum ward_snp_product product, const struct amd_roots **out)
{
    pthread_once(&once, load_all);
    for (size_t i = 0; i < WARD_ARRAY_LEN(table); i++) {
        if (table[i].product == product) {
            *out = &loaded[i];
            return WARD_OK;
        }
    }
    return ward_err_set(WARD_ERR_NOT_FOUND, "no AMD root for product %s",
                        ward_snp_product_name(product));
}

int intel_root_get(X509 **out)
{
    pthread_once(&once, load_all);
    *out = intel_root;
    return WARD_OK;
}

int nvidia_root_get(X509 **out)
{
    pthread_once(&once, load_all);
    *out = nvidia_root;
    return WARD_OK;
}
