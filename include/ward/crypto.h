/*
 * ward/crypto.h: OpenSSL 3.0 glue: digests, ECDSA with raw r||s signatures,
 * RSA-PSS, X.509 parsing, path building against pinned roots at an explicit
 * time, CRLs, and wiped secret memory.
 *
 * OpenSSL types are used directly (EVP_PKEY, X509, X509_CRL); ward adds only
 * what OpenSSL does not do for us: raw signature formats, vendor conventions,
 * and one place where verification time and revocation are always explicit.
 */
#ifndef WARD_CRYPTO_H
#define WARD_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ward_hash { WARD_SHA256, WARD_SHA384, WARD_SHA512 };

/* ward_hash_len returns the digest size of |h| in bytes (32, 48, 64). */
size_t ward_hash_len(enum ward_hash h);

/* ward_hash_md returns OpenSSL's static EVP_MD for |h| (never NULL; an unknown
 * value is a caller's bug and aborts). */
const EVP_MD *ward_hash_md(enum ward_hash h);

/* ward_hash_name returns "SHA-256", "SHA-384" or "SHA-512", for messages. */
const char *ward_hash_name(enum ward_hash h);

/* ward_digest computes |h| over |len| bytes into |out| (ward_hash_len(h) bytes). */
int ward_digest(enum ward_hash h, const uint8_t *p, size_t len, uint8_t *out) WARD_MUST_CHECK;

/* Byte order of the r and s halves of a raw ECDSA signature. AMD writes them
 * little-endian (and zero-pads each to 72 bytes); Intel and NVIDIA big-endian. */
enum ward_ecdsa_order { WARD_ECDSA_LE, WARD_ECDSA_BE };

/* ward_ecdsa_verify_raw verifies an ECDSA signature given as raw r and s, each
 * |comp_len| bytes in |order|, over |msg| hashed with |h|, with public key |key|.
 * Returns WARD_ERR_SIGNATURE when the signature does not verify. Leading bytes
 * beyond the curve's size must be zero (else WARD_ERR_FORMAT). */
int ward_ecdsa_verify_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                          const uint8_t *r, const uint8_t *s, size_t comp_len,
                          enum ward_ecdsa_order order) WARD_MUST_CHECK;

/* ward_ecdsa_sign_raw signs |msg| with |key| and writes r and s, each |comp_len|
 * bytes in |order| (zero-padded), into |out_r| and |out_s|. Used by the simulator. */
int ward_ecdsa_sign_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        uint8_t *out_r, uint8_t *out_s, size_t comp_len,
                        enum ward_ecdsa_order order) WARD_MUST_CHECK;

/* ward_rsa_pss_verify verifies an RSASSA-PSS signature (MGF1 with the same hash,
 * salt length = hash length) over |msg|. */
int ward_rsa_pss_verify(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len) WARD_MUST_CHECK;

/* ward_ec_key_generate makes a new EC key on |curve_nid| (NID_secp384r1, ...). */
int ward_ec_key_generate(int curve_nid, EVP_PKEY **out) WARD_MUST_CHECK;

/* ---- certificates ---- */

/* ward_x509_parse parses one certificate, DER or PEM. The whole input must be
 * consumed (trailing bytes are WARD_ERR_TRAILING). Caller owns *out. */
int ward_x509_parse(const uint8_t *p, size_t len, X509 **out) WARD_MUST_CHECK;

/* ward_x509_parse_all appends every certificate in |p| (one DER certificate, or
 * any number of PEM blocks) to |stack|. */
int ward_x509_parse_all(const uint8_t *p, size_t len, STACK_OF(X509) *stack) WARD_MUST_CHECK;

/* ward_crl_parse parses one CRL, DER or PEM. Caller owns *out. */
int ward_crl_parse(const uint8_t *p, size_t len, X509_CRL **out) WARD_MUST_CHECK;

/* ward_x509_sha256 computes the SHA-256 fingerprint of |cert|'s DER encoding. */
int ward_x509_sha256(X509 *cert, uint8_t out[32]) WARD_MUST_CHECK;

/* ward_x509_subject_cn copies the subject's (or issuer's) commonName into |out|. */
int ward_x509_subject_cn(X509 *cert, char *out, size_t out_len) WARD_MUST_CHECK;
int ward_x509_issuer_cn(X509 *cert, char *out, size_t out_len) WARD_MUST_CHECK;

/* ward_x509_ext_data finds the extension with dotted |oid| in |cert| and returns a
 * pointer to its extnValue contents (borrowed from |cert|). WARD_ERR_NOT_FOUND if absent. */
int ward_x509_ext_data(X509 *cert, const char *oid, const uint8_t **out, size_t *out_len) WARD_MUST_CHECK;

/* Options for one chain verification. */
struct ward_chain_opts {
    int64_t at;                        /* verification time, seconds since the epoch */
    STACK_OF(X509_CRL) *crls;          /* CRLs to apply, may be NULL */
    bool crl_required;                 /* every non-root cert must have a CRL from its issuer */
    int purpose;                       /* 0 for none, else X509_PURPOSE_* */
};

/* ward_x509_verify_chain builds a path from |leaf| through |intermediates| (may
 * be NULL) to one of |roots| (the only trust anchors; nothing from the system
 * store), checking signatures, validity at |opts->at|, and the given CRLs.
 * On failure the error detail names the failing certificate and OpenSSL's reason;
 * the code is WARD_ERR_EXPIRED, WARD_ERR_REVOKED or WARD_ERR_CHAIN. */
int ward_x509_verify_chain(X509 *leaf, STACK_OF(X509) *intermediates, STACK_OF(X509) *roots,
                           const struct ward_chain_opts *opts) WARD_MUST_CHECK;

/* ---- secret memory ---- */

/* A buffer for key material: locked in memory where possible, excluded from core
 * dumps, wiped before free. */
struct ward_secret {
    uint8_t *data;
    size_t len;
};

/* ward_secret_new allocates |len| zeroed secret bytes. Caller frees with ward_secret_free. */
int ward_secret_new(size_t len, struct ward_secret **out) WARD_MUST_CHECK;
/* ward_secret_free wipes and frees |s|. Accepts NULL. */
void ward_secret_free(struct ward_secret *s);
/* ward_wipe zeroes |len| bytes in a way the compiler cannot remove. */
void ward_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* WARD_CRYPTO_H */
