/* lib/crypto/rsa.c: RSASSA-PSS verification (AMD's ARK, ASK and VCEK certificates
 * and AMD KDS artefacts use it with SHA-384, MGF1-SHA-384, 48-byte salt). */
#include <openssl/rsa.h>

#include "base/internal.h"
#include "ward/crypto.h"

/* Smallest RSA modulus accepted, in bits. */
#define MIN_RSA_BITS 2048

/* EVP_DigestVerify wants a non-NULL pointer even for an empty message. */
static const uint8_t empty_msg[1];

int ward_rsa_pss_verify(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len)
{
    WARD_ASSERT(key != NULL && (msg != NULL || msg_len == 0) && (sig != NULL || sig_len == 0));
    const char *type = EVP_PKEY_get0_type_name(key);
    ENSURE_MSG(EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS"), WARD_ERR_FORMAT,
               "RSA-PSS: the key is %s, not an RSA key",
               type != NULL ? type : "of an unknown type");
    int bits = EVP_PKEY_get_bits(key);
    ENSURE_MSG(bits >= MIN_RSA_BITS, WARD_ERR_FORMAT,
               "RSA-PSS: a %d-bit key is too small (minimum %d)", bits, MIN_RSA_BITS);
    ENSURE_MSG(sig_len == (size_t)EVP_PKEY_get_size(key), WARD_ERR_SIGNATURE,
               "RSA-PSS: signature is %zu bytes, the %d-bit key needs %d", sig_len, bits,
               EVP_PKEY_get_size(key));

    const EVP_MD *md = ward_hash_md(h);
    EVP_PKEY_CTX *pctx = NULL; /* owned by |ctx| */
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    GUARD_PTR(ctx);
    GUARD_OSSL(EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md), WARD_ERR_CRYPTO);
    /* An explicit salt length makes OpenSSL insist on exactly that length. */
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, (int)ward_hash_len(h)), WARD_ERR_CRYPTO);
    if (EVP_DigestVerify(ctx, sig, sig_len, msg_len > 0 ? msg : empty_msg, msg_len) != 1) {
        (void)ward_ossl_fail(WARD_ERR_SIGNATURE, "EVP_DigestVerify"); /* drains the queue */
        return ward_err_set(WARD_ERR_SIGNATURE,
                            "RSA-PSS %s (salt %zu) signature does not verify with the %d-bit key",
                            ward_hash_name(h), ward_hash_len(h), bits);
    }
    return WARD_OK;
}
