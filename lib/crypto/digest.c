/* lib/crypto/digest.c: the three hashes ward uses, by enum. */
#include <openssl/evp.h>

#include "base/internal.h"
#include "ward/crypto.h"

const EVP_MD *ward_hash_md(enum ward_hash h)
{
    switch (h) {
    case WARD_SHA256:
        return EVP_sha256();
    case WARD_SHA384:
        return EVP_sha384();
    case WARD_SHA512:
        return EVP_sha512();
    }
    ward_abort(__FILE__, __LINE__, "unknown enum ward_hash");
}

const char *ward_hash_name(enum ward_hash h)
{
    switch (h) {
    case WARD_SHA256:
        return "SHA-256";
    case WARD_SHA384:
        return "SHA-384";
    case WARD_SHA512:
        return "SHA-512";
    }
    ward_abort(__FILE__, __LINE__, "unknown enum ward_hash");
}

size_t ward_hash_len(enum ward_hash h)
{
    switch (h) {
    case WARD_SHA256:
        return 32;
    case WARD_SHA384:
        return 48;
    case WARD_SHA512:
        return 64;
    }
    ward_abort(__FILE__, __LINE__, "unknown enum ward_hash");
}

int ward_digest(enum ward_hash h, const uint8_t *p, size_t len, uint8_t *out)
{
    WARD_ASSERT(out != NULL && (p != NULL || len == 0));
    unsigned int out_len = 0;
    /* EVP_Digest wants a non-NULL pointer even for empty input. */
    static const uint8_t empty[1];
    GUARD_OSSL(EVP_Digest(len > 0 ? p : empty, len, out, &out_len, ward_hash_md(h), NULL),
               WARD_ERR_CRYPTO);
    WARD_ASSERT(out_len == ward_hash_len(h));
    return WARD_OK;
}
