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
 * beyond the curve's size must be zero (else WARD_ERR_FORMAT). A |key| that is not
 * an EC key, or a curve larger than |comp_len| bytes, is WARD_ERR_FORMAT (keys
 * usually come from certificates); |comp_len| outside 1..128 is WARD_ERR_USAGE. */
int ward_ecdsa_verify_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                          const uint8_t *r, const uint8_t *s, size_t comp_len,
                          enum ward_ecdsa_order order) WARD_MUST_CHECK;

/* ward_ecdsa_sign_raw signs |msg| with |key| and writes r and s, each |comp_len|
 * bytes in |order| (zero-padded at the high-order end), into |out_r| and |out_s|,
 * which are untouched on failure. Used by the simulator. */
int ward_ecdsa_sign_raw(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        uint8_t *out_r, uint8_t *out_s, size_t comp_len,
                        enum ward_ecdsa_order order) WARD_MUST_CHECK;

/* ward_rsa_pss_verify verifies an RSASSA-PSS signature (MGF1 with the same hash,
 * salt length = hash length, exactly) over |msg| with the public key |key|, which
 * may be an rsaEncryption or an RSASSA-PSS key. WARD_ERR_SIGNATURE when it does not
 * verify or |sig_len| is not the modulus size; WARD_ERR_FORMAT for a non-RSA key or
 * a modulus under 2048 bits. */
int ward_rsa_pss_verify(EVP_PKEY *key, enum ward_hash h, const uint8_t *msg, size_t msg_len,
                        const uint8_t *sig, size_t sig_len) WARD_MUST_CHECK;

/* ward_ec_pubkey_from_raw makes a public key on |curve_nid| from the raw x||y
 * coordinates (|len| = 2 * field size), as TDX quotes carry the attestation key.
 * A point not on the curve is WARD_ERR_FORMAT. Caller owns *out. */
int ward_ec_pubkey_from_raw(int curve_nid, const uint8_t *xy, size_t len,
                            EVP_PKEY **out) WARD_MUST_CHECK;

/* ward_ec_key_generate makes a new EC key on |curve_nid| (NID_secp384r1, ...).
 * Caller owns *out (EVP_PKEY_free). An unknown curve is WARD_ERR_USAGE. */
int ward_ec_key_generate(int curve_nid, EVP_PKEY **out) WARD_MUST_CHECK;

/* ---- certificates ---- */

/* Inputs to the parsers below are at most 16 MiB (else WARD_ERR_NOMEM). PEM is
 * recognised by a leading "-----BEGIN " (after whitespace); anything else is DER.
 * PEM blocks must carry the right label and no headers, and may be surrounded only
 * by whitespace. Malformed input is WARD_ERR_FORMAT. */

/* ward_x509_parse parses one certificate, DER or PEM. The whole input must be
 * consumed (trailing bytes are WARD_ERR_TRAILING). Caller owns *out. */
int ward_x509_parse(const uint8_t *p, size_t len, X509 **out) WARD_MUST_CHECK;

/* ward_x509_parse_all appends every certificate in |p| (one DER certificate, or
 * 1..64 PEM blocks) to |stack|, which then owns them. On failure |stack| is left
 * as it was. */
int ward_x509_parse_all(const uint8_t *p, size_t len, STACK_OF(X509) *stack) WARD_MUST_CHECK;

/* ward_crl_parse parses one CRL, DER or PEM. Caller owns *out. */
int ward_crl_parse(const uint8_t *p, size_t len, X509_CRL **out) WARD_MUST_CHECK;

/* ward_x509_sha256 computes the SHA-256 fingerprint of |cert|'s DER encoding (the
 * bytes it was parsed from). */
int ward_x509_sha256(X509 *cert, uint8_t out[32]) WARD_MUST_CHECK;

/* ward_x509_subject_cn copies the subject's (or issuer's) commonName, as UTF-8
 * with a NUL, into |out|. WARD_ERR_NOT_FOUND without a CN; WARD_ERR_FORMAT for
 * more than one CN or an embedded NUL; WARD_ERR_NOMEM if |out_len| is too small.
 * The CN is untrusted text: quote or escape it before logging. */
int ward_x509_subject_cn(X509 *cert, char *out, size_t out_len) WARD_MUST_CHECK;
int ward_x509_issuer_cn(X509 *cert, char *out, size_t out_len) WARD_MUST_CHECK;

/* ward_x509_ext_data finds the extension with dotted |oid| ("1.3.6.1.4.1.3704.1.4")
 * in |cert| and returns a pointer to its extnValue contents, i.e. the bytes inside
 * the OCTET STRING (borrowed from |cert|). WARD_ERR_NOT_FOUND if absent,
 * WARD_ERR_FORMAT if present twice, WARD_ERR_USAGE if |oid| is not dotted. */
int ward_x509_ext_data(X509 *cert, const char *oid, const uint8_t **out,
                       size_t *out_len) WARD_MUST_CHECK;

/* Options for one chain verification. */
struct ward_chain_opts {
    int64_t at;               /* verification time, seconds since the epoch */
    STACK_OF(X509_CRL) *crls; /* CRLs to apply, may be NULL */
    bool crl_required;        /* every non-root cert must have a CRL from its issuer */
    int purpose;              /* 0 for none, else X509_PURPOSE_* */
};

/* ward_x509_verify_chain builds a path from |leaf| through |intermediates| (may
 * be NULL) to one of |roots|, checking signatures, validity at |opts->at|, and the
 * given CRLs. |roots| are the only trust anchors (nothing from the system store),
 * and partial chains are refused: a path must reach a self-signed certificate in
 * |roots|, so an intermediate placed in |roots| does not end one.
 * Nothing is taken over: the caller keeps the certificates, stacks and CRLs.
 *
 * Revocation, when |opts->crls| is non-NULL or |opts->crl_required| is set, is
 * OpenSSL's CRL check on every certificate in the built path: a CRL applies to a
 * certificate when its issuer name matches; its signature must verify with the
 * issuer's key and |at| must fall in [thisUpdate, nextUpdate] (else
 * WARD_ERR_EXPIRED: a stale CRL is an error, not ignored). CRLs for other issuers
 * are ignored. A certificate whose issuer has no CRL in the set passes unless
 * |crl_required|; the trust anchor itself never needs one.
 *
 * On failure the error detail names the failing certificate's CN, serial, depth
 * (0 = |leaf|) and OpenSSL's reason. Codes: WARD_ERR_EXPIRED (certificate or CRL
 * not valid at |at|), WARD_ERR_REVOKED, WARD_ERR_CHAIN (everything else, including
 * a missing required CRL), WARD_ERR_USAGE (no roots, unknown purpose). */
int ward_x509_verify_chain(X509 *leaf, STACK_OF(X509) *intermediates, STACK_OF(X509) *roots,
                           const struct ward_chain_opts *opts) WARD_MUST_CHECK;

/* ---- secret memory ---- */

/* A buffer for key material: locked in memory where possible, excluded from core
 * dumps, wiped before free. */
struct ward_secret {
    uint8_t *data;
    size_t len;
};

/* ward_secret_new allocates |len| (1..1 MiB, else WARD_ERR_USAGE) zeroed secret
 * bytes in their own page-aligned mapping, mlock'd when RLIMIT_MEMLOCK allows and
 * marked MADV_DONTDUMP (both best effort). Caller frees with ward_secret_free. */
int ward_secret_new(size_t len, struct ward_secret **out) WARD_MUST_CHECK;
/* ward_secret_free wipes and frees |s|. Accepts NULL. */
void ward_secret_free(struct ward_secret *s);
/* ward_wipe zeroes |len| bytes in a way the compiler cannot remove. */
void ward_wipe(void *p, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* WARD_CRYPTO_H */
