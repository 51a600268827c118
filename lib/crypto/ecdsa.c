/* lib/crypto/ecdsa.c: ECDSA with raw r||s signatures, converted to and from the
 * DER ECDSA-Sig-Value that OpenSSL speaks. AMD writes r and s little-endian and
 * zero-pads each to 72 bytes; Intel and NVIDIA write them big-endian. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/objects.h>

#include "base/internal.h"
#include "ward/crypto.h"

/* Largest raw component accepted: P-521 needs 66 bytes, AMD pads to 72. */
#define MAX_COMP_LEN 128

static void sig_freep(ECDSA_SIG **p)
{
    ECDSA_SIG_free(*p);
}
static void bn_freep(BIGNUM **p)
{
    BN_free(*p);
}
static void ossl_bytes_freep(uint8_t **p)
{
    OPENSSL_free(*p);
}

/* EVP_DigestSign/Verify want a non-NULL pointer even for an empty message. */
static const uint8_t empty_msg[1];

/* Writes |key|'s curve name ("secp384r1") into |out| for messages. */
static void curve_name(EVP_PKEY *key, char *out, size_t out_len)
{
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, out, out_len, NULL) != 1) {
        snprintf(out, out_len, "unknown curve");
    }
}

/* Finds the size in bytes of |key|'s group order, which bounds r and s. A non-EC
 * key is a format error: keys usually come from certificates. */
static int ec_order_len(EVP_PKEY *key, size_t *out)
{
    const char *type = EVP_PKEY_get0_type_name(key);
    ENSURE_MSG(EVP_PKEY_is_a(key, "EC"), WARD_ERR_FORMAT, "ECDSA: the key is %s, not an EC key",
               type != NULL ? type : "of an unknown type");
    int bits = EVP_PKEY_get_bits(key);
    ENSURE_MSG(bits > 0, WARD_ERR_FORMAT, "ECDSA: cannot tell the size of the key's curve");
    *out = ((size_t)bits + 7) / 8;
    return WARD_OK;
}

/* Reverses byte order when |order| is little-endian; big-endian is copied. Maps raw
 * to big-endian and back, since the operation is its own inverse. */
static void swap_order(const uint8_t *in, size_t len, enum ward_ecdsa_order order, uint8_t *out)
{
    for (size_t i = 0; i < len; i++) {
        out[i] = order == WARD_ECDSA_BE ? in[i] : in[len - 1 - i];
    }
}

/* Decodes one raw component of |comp_len| bytes for a curve of |n| bytes. The
 * |comp_len| - |n| high-order bytes are padding and must be zero. */
static int component_to_bn(const uint8_t *in, size_t comp_len, size_t n,
                           enum ward_ecdsa_order order, const char *what, BIGNUM **out)
{
    uint8_t be[MAX_COMP_LEN];
    swap_order(in, comp_len, order, be);
    size_t pad = comp_len - n;
    for (size_t i = 0; i < pad; i++) {
        ENSURE_MSG(be[i] == 0, WARD_ERR_FORMAT,
                   "ECDSA: signature %s has non-zero padding beyond the %zu-byte curve size", what,
                   n);
    }
    BIGNUM *bn = BN_bin2bn(be + pad, (int)n, NULL);
    GUARD_PTR(bn);
    *out = bn;
    return WARD_OK;
}

/* Checks the arguments shared by sign and verify and returns the curve size. */
static int check_args(EVP_PKEY *key, size_t comp_len, enum ward_ecdsa_order order, size_t *out_n)
{
    WARD_ASSERT(order == WARD_ECDSA_LE || order == WARD_ECDSA_BE);
    ENSURE_MSG(comp_len > 0 && comp_len <= MAX_COMP_LEN, WARD_ERR_USAGE,
               "ECDSA: component length %zu is outside 1..%d", comp_len, MAX_COMP_LEN);
    size_t n = 0;
    GUARD(ec_order_len(key, &n));
    if (comp_len < n) {
        char curve[32];
        curve_name(key, curve, sizeof(curve));
        return ward_err_set(WARD_ERR_FORMAT,
                            "ECDSA: %zu-byte signature components cannot hold a %s signature "
                            "(%zu bytes each)",
                            comp_len, curve, n);
    }
    *out_n = n;
    return WARD_OK;
}

int ward_ecdsa_verify_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                          const uint8_t *r, const uint8_t *s, size_t comp_len,
                          enum ward_ecdsa_order order)
{
    WARD_ASSERT(key != NULL && r != NULL && s != NULL && (msg != NULL || msg_len == 0));
    size_t n = 0;
    GUARD(check_args(key, comp_len, order, &n));

    DEFER(bn_freep) BIGNUM *br = NULL;
    DEFER(bn_freep) BIGNUM *bs = NULL;
    GUARD(component_to_bn(r, comp_len, n, order, "r", &br));
    GUARD(component_to_bn(s, comp_len, n, order, "s", &bs));
    DEFER(sig_freep) ECDSA_SIG *sig = ECDSA_SIG_new();
    GUARD_PTR(sig);
    GUARD_OSSL(ECDSA_SIG_set0(sig, br, bs), WARD_ERR_CRYPTO);
    br = NULL; /* now owned by |sig| */
    bs = NULL;

    DEFER(ossl_bytes_freep) uint8_t *der = NULL;
    int der_len = i2d_ECDSA_SIG(sig, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);

    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    GUARD_PTR(md);
    GUARD_OSSL(EVP_DigestVerifyInit(md, NULL, ward_hash_md(h), NULL, key), WARD_ERR_CRYPTO);
    if (EVP_DigestVerify(md, der, (size_t)der_len, msg_len > 0 ? msg : empty_msg, msg_len) != 1) {
        char curve[32];
        curve_name(key, curve, sizeof(curve));
        (void)ward_ossl_fail(WARD_ERR_SIGNATURE, "EVP_DigestVerify"); /* drains the queue */
        return ward_err_set(WARD_ERR_SIGNATURE, "ECDSA %s/%s signature does not verify", curve,
                            ward_hash_name(h));
    }
    return WARD_OK;
}

int ward_ecdsa_sign_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        uint8_t *out_r, uint8_t *out_s, size_t comp_len,
                        enum ward_ecdsa_order order)
{
    WARD_ASSERT(key != NULL && out_r != NULL && out_s != NULL && (msg != NULL || msg_len == 0));
    size_t n = 0;
    GUARD(check_args(key, comp_len, order, &n));

    int max_len = EVP_PKEY_get_size(key);
    GUARD_OSSL(max_len, WARD_ERR_CRYPTO);
    DEFER(ward_freep) uint8_t *der = malloc((size_t)max_len);
    GUARD_PTR(der);
    size_t der_len = (size_t)max_len;
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    GUARD_PTR(md);
    GUARD_OSSL(EVP_DigestSignInit(md, NULL, ward_hash_md(h), NULL, key), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestSign(md, der, &der_len, msg_len > 0 ? msg : empty_msg, msg_len),
               WARD_ERR_CRYPTO);

    const uint8_t *q = der;
    DEFER(sig_freep) ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len);
    if (sig == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "d2i_ECDSA_SIG");
    }
    const BIGNUM *br = NULL;
    const BIGNUM *bs = NULL;
    ECDSA_SIG_get0(sig, &br, &bs);

    /* Big-endian, zero-padded to |comp_len| at the front, then into |order|. */
    uint8_t r_be[MAX_COMP_LEN] = {0};
    uint8_t s_be[MAX_COMP_LEN] = {0};
    GUARD_OSSL(BN_bn2binpad(br, r_be + (comp_len - n), (int)n), WARD_ERR_CRYPTO);
    GUARD_OSSL(BN_bn2binpad(bs, s_be + (comp_len - n), (int)n), WARD_ERR_CRYPTO);
    swap_order(r_be, comp_len, order, out_r);
    swap_order(s_be, comp_len, order, out_s);
    return WARD_OK;
}

int ward_ec_key_generate(int curve_nid, EVP_PKEY **out)
{
    WARD_ASSERT(out != NULL);
    const char *name = OSSL_EC_curve_nid2name(curve_nid);
    ENSURE_MSG(name != NULL, WARD_ERR_USAGE, "EC key generation: NID %d is not a known curve",
               curve_nid);
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", name);
    if (key == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "EVP_PKEY_Q_keygen");
    }
    *out = key;
    return WARD_OK;
}

int ward_ec_pubkey_from_raw(int curve_nid, const uint8_t *xy, size_t len, EVP_PKEY **out)
{
    const char *group = OSSL_EC_curve_nid2name(curve_nid);
    uint8_t point[1 + 2 * 66];
    ENSURE_MSG(group != NULL, WARD_ERR_USAGE, "unknown curve %d", curve_nid);
    ENSURE_MSG(len > 0 && len % 2 == 0 && len < sizeof(point), WARD_ERR_FORMAT,
               "raw EC public key of %zu bytes", len);
    point[0] = 0x04; /* uncompressed */
    memcpy(point + 1, xy, len);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *key = NULL;
    int ok = ctx != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
             EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(key);
        return ward_ossl_fail(WARD_ERR_FORMAT, "EC public key is not a point on the curve");
    }
    *out = key;
    return WARD_OK;
}
