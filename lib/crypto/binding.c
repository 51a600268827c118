/* lib/crypto/binding.c: SHA-512(label || 0x00 || payload), the report_data binding. */
#include <string.h>

#include <openssl/evp.h>

#include "base/internal.h"
#include "ward/binding.h"

int ward_binding(const char *label, const uint8_t *payload, size_t payload_len,
                 uint8_t out[WARD_BINDING_LEN])
{
    static const uint8_t sep = 0x00;
    WARD_ASSERT(label != NULL && label[0] != '\0');
    WARD_ASSERT(payload != NULL || payload_len == 0);
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    GUARD_PTR(md);
    GUARD_OSSL(EVP_DigestInit_ex(md, EVP_sha512(), NULL), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, label, strlen(label)), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, &sep, 1), WARD_ERR_CRYPTO);
    if (payload_len > 0) {
        GUARD_OSSL(EVP_DigestUpdate(md, payload, payload_len), WARD_ERR_CRYPTO);
    }
    GUARD_OSSL(EVP_DigestFinal_ex(md, out, &n), WARD_ERR_CRYPTO);
    WARD_ASSERT(n == WARD_BINDING_LEN);
    return WARD_OK;
}
