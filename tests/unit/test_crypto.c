/* tests/unit/test_crypto.c: lib/crypto against known answers (FIPS 180-2, real AMD
 * SEV-SNP evidence and AMD KDS roots/CRLs) and a synthetic PKI for the revocation
 * paths that real data cannot reach. Every accept test has reject twins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "ward/base.h"
#include "ward/crypto.h"

#define GENOA "snp/trustee-azure-genoa-v3/"

/* ---- helpers ---- */

/* Reads tests/data/|rel| (located through WARD_TEST_DATA) into |out|. */
static void read_data(const char *rel, struct ward_buf *out)
{
    const char *dir = getenv("WARD_TEST_DATA");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static X509 *load_cert(const char *rel)
{
    struct ward_buf b = {0};
    read_data(rel, &b);
    X509 *cert = NULL;
    assert_int_equal(ward_x509_parse(b.data, b.len, &cert), WARD_OK);
    ward_buf_cleanup(&b);
    return cert;
}

static X509_CRL *load_crl(const char *rel)
{
    struct ward_buf b = {0};
    read_data(rel, &b);
    X509_CRL *crl = NULL;
    assert_int_equal(ward_crl_parse(b.data, b.len, &crl), WARD_OK);
    ward_buf_cleanup(&b);
    return crl;
}

static int64_t at(const char *rfc3339)
{
    int64_t t = 0;
    assert_int_equal(ward_time_parse(rfc3339, &t), WARD_OK);
    return t;
}

static STACK_OF(X509) *stack_of(X509 *a, X509 *b)
{
    STACK_OF(X509) *sk = sk_X509_new_null();
    assert_non_null(sk);
    if (a != NULL) {
        assert_true(sk_X509_push(sk, a) > 0);
    }
    if (b != NULL) {
        assert_true(sk_X509_push(sk, b) > 0);
    }
    return sk;
}

static STACK_OF(X509_CRL) *crls_of(X509_CRL *crl)
{
    STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
    assert_non_null(sk);
    assert_true(sk_X509_CRL_push(sk, crl) > 0);
    return sk;
}

static void assert_detail_has(const char *needle)
{
    if (strstr(ward_err_detail(), needle) == NULL) {
        fail_msg("error detail \"%s\" does not mention \"%s\"", ward_err_detail(), needle);
    }
}

/* ---- digests ---- */

static void test_digest_fips180_abc(void **state)
{
    (void)state;
    /* FIPS 180-2 appendix B.1, C.1 and D.1: the one-block message "abc". */
    static const char *const want[] = {
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
        "8086072ba1e7cc2358baeca134c825a7",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    };
    static const enum ward_hash hashes[] = {WARD_SHA256, WARD_SHA384, WARD_SHA512};
    static const size_t lens[] = {32, 48, 64};
    for (size_t i = 0; i < 3; i++) {
        uint8_t out[64];
        char hex[129];
        assert_int_equal(ward_hash_len(hashes[i]), lens[i]);
        assert_int_equal(ward_digest(hashes[i], (const uint8_t *)"abc", 3, out), WARD_OK);
        ward_hex_encode(out, lens[i], hex);
        assert_string_equal(hex, want[i]);
        /* Reject twin: one changed input byte changes the digest. */
        assert_int_equal(ward_digest(hashes[i], (const uint8_t *)"abd", 3, out), WARD_OK);
        ward_hex_encode(out, lens[i], hex);
        assert_string_not_equal(hex, want[i]);
    }
    /* The empty message, with a NULL pointer. */
    uint8_t out[32];
    char hex[65];
    assert_int_equal(ward_digest(WARD_SHA256, NULL, 0, out), WARD_OK);
    ward_hex_encode(out, 32, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* ---- ECDSA ---- */

/* Flips one bit in the significant (non-padding) part of a raw component. */
static void flip_significant(uint8_t *c, size_t comp_len, size_t n, enum ward_ecdsa_order order)
{
    /* Little-endian: byte 0 is least significant; big-endian: the last byte. */
    (void)n;
    c[order == WARD_ECDSA_LE ? 0 : comp_len - 1] ^= 0x01;
}

static void ecdsa_roundtrip(int nid, size_t n, enum ward_hash h)
{
    EVP_PKEY *key = NULL;
    assert_int_equal(ward_ec_key_generate(nid, &key), WARD_OK);
    static const uint8_t msg[] = "attestation report body";
    const size_t comp_lens[] = {n, 72};
    const enum ward_ecdsa_order orders[] = {WARD_ECDSA_LE, WARD_ECDSA_BE};
    for (size_t o = 0; o < 2; o++) {
        for (size_t c = 0; c < 2; c++) {
            enum ward_ecdsa_order order = orders[o];
            size_t comp_len = comp_lens[c];
            uint8_t r[72];
            uint8_t s[72];
            uint8_t m[sizeof(msg)];
            memcpy(m, msg, sizeof(msg));
            assert_int_equal(ward_ecdsa_sign_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_OK);
            assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_OK);
            /* Padding sits at the high-order end: the tail for LE, the head for BE. */
            size_t pad = comp_len - n;
            const uint8_t *pad_r = order == WARD_ECDSA_LE ? r + n : r;
            const uint8_t *pad_s = order == WARD_ECDSA_LE ? s + n : s;
            assert_true(ward_is_zero(pad_r, pad) && ward_is_zero(pad_s, pad));

            /* The other byte order does not verify (or has non-zero padding). */
            enum ward_ecdsa_order other = order == WARD_ECDSA_LE ? WARD_ECDSA_BE : WARD_ECDSA_LE;
            int rc = ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, other);
            assert_true(rc == WARD_ERR_SIGNATURE || rc == WARD_ERR_FORMAT);

            flip_significant(r, comp_len, n, order);
            assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_ERR_SIGNATURE);
            flip_significant(r, comp_len, n, order);
            flip_significant(s, comp_len, n, order);
            assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_ERR_SIGNATURE);
            flip_significant(s, comp_len, n, order);
            m[3] ^= 0x80;
            assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_ERR_SIGNATURE);
            m[3] ^= 0x80;
            /* Another hash over the same message does not verify. */
            enum ward_hash other_h = h == WARD_SHA256 ? WARD_SHA384 : WARD_SHA256;
            assert_int_equal(
                ward_ecdsa_verify_raw(key, other_h, m, sizeof(m), r, s, comp_len, order),
                WARD_ERR_SIGNATURE);
            assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                             WARD_OK);

            if (pad > 0) {
                /* The most significant padding byte of r, then of s. */
                size_t top = order == WARD_ECDSA_LE ? comp_len - 1 : 0;
                r[top] = 0x01;
                assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                                 WARD_ERR_FORMAT);
                assert_detail_has("padding");
                r[top] = 0;
                s[top] = 0x80;
                assert_int_equal(ward_ecdsa_verify_raw(key, h, m, sizeof(m), r, s, comp_len, order),
                                 WARD_ERR_FORMAT);
                s[top] = 0;
            }
        }
    }
    /* Components shorter than the curve are refused. */
    uint8_t r[72] = {0};
    uint8_t s[72] = {0};
    assert_int_equal(ward_ecdsa_sign_raw(key, h, msg, sizeof(msg), r, s, n - 1, WARD_ECDSA_BE),
                     WARD_ERR_FORMAT);
    assert_int_equal(ward_ecdsa_verify_raw(key, h, msg, sizeof(msg), r, s, n - 1, WARD_ECDSA_BE),
                     WARD_ERR_FORMAT);
    /* r = s = 0 never verifies. */
    assert_int_equal(ward_ecdsa_verify_raw(key, h, msg, sizeof(msg), r, s, n, WARD_ECDSA_BE),
                     WARD_ERR_SIGNATURE);
    EVP_PKEY_free(key);
}

static void test_ecdsa_p256_roundtrip(void **state)
{
    (void)state;
    ecdsa_roundtrip(NID_X9_62_prime256v1, 32, WARD_SHA256);
}

static void test_ecdsa_p384_roundtrip(void **state)
{
    (void)state;
    ecdsa_roundtrip(NID_secp384r1, 48, WARD_SHA384);
}

static void test_ecdsa_wrong_key(void **state)
{
    (void)state;
    EVP_PKEY *a = NULL;
    EVP_PKEY *b = NULL;
    assert_int_equal(ward_ec_key_generate(NID_secp384r1, &a), WARD_OK);
    assert_int_equal(ward_ec_key_generate(NID_secp384r1, &b), WARD_OK);
    assert_int_equal(EVP_PKEY_get_bits(a), 384);
    static const uint8_t msg[] = "m";
    uint8_t r[72];
    uint8_t s[72];
    assert_int_equal(ward_ecdsa_sign_raw(a, WARD_SHA384, msg, 1, r, s, 72, WARD_ECDSA_LE), WARD_OK);
    assert_int_equal(ward_ecdsa_verify_raw(b, WARD_SHA384, msg, 1, r, s, 72, WARD_ECDSA_LE),
                     WARD_ERR_SIGNATURE);
    /* Empty messages work too. */
    assert_int_equal(ward_ecdsa_sign_raw(a, WARD_SHA384, NULL, 0, r, s, 48, WARD_ECDSA_BE),
                     WARD_OK);
    assert_int_equal(ward_ecdsa_verify_raw(a, WARD_SHA384, NULL, 0, r, s, 48, WARD_ECDSA_BE),
                     WARD_OK);
    /* An unknown curve is the caller's mistake. */
    EVP_PKEY *c = NULL;
    assert_int_equal(ward_ec_key_generate(NID_sha256, &c), WARD_ERR_USAGE);
    assert_null(c);
    EVP_PKEY_free(a);
    EVP_PKEY_free(b);
}

/* The real Genoa report: ECDSA P-384/SHA-384 over bytes 0x000..0x29F, r and s are
 * 72-byte little-endian at 0x2A0 and 0x2E8, key = the VCEK. */
static void test_ecdsa_amd_report(void **state)
{
    (void)state;
    struct ward_buf report = {0};
    read_data(GENOA "report.bin", &report);
    assert_int_equal(report.len, 1184);
    X509 *vcek = load_cert(GENOA "vcek.der");
    EVP_PKEY *key = X509_get0_pubkey(vcek);
    assert_non_null(key);
    uint8_t *p = report.data;
    assert_int_equal(
        ward_ecdsa_verify_raw(key, WARD_SHA384, p, 0x2a0, p + 0x2a0, p + 0x2e8, 72, WARD_ECDSA_LE),
        WARD_OK);
    /* Big-endian reading puts r's low-order bytes in the padding. */
    assert_int_equal(
        ward_ecdsa_verify_raw(key, WARD_SHA384, p, 0x2a0, p + 0x2a0, p + 0x2e8, 72, WARD_ECDSA_BE),
        WARD_ERR_FORMAT);
    /* Every tenth signed byte, flipped, breaks the signature. */
    for (size_t i = 0; i < 0x2a0; i += 10) {
        p[i] ^= 0x04;
        assert_int_equal(ward_ecdsa_verify_raw(key, WARD_SHA384, p, 0x2a0, p + 0x2a0, p + 0x2e8, 72,
                                               WARD_ECDSA_LE),
                         WARD_ERR_SIGNATURE);
        p[i] ^= 0x04;
    }
    /* An RSA key is not an ECDSA key. */
    X509 *ask = load_cert(GENOA "ask.der");
    assert_int_equal(ward_ecdsa_verify_raw(X509_get0_pubkey(ask), WARD_SHA384, p, 0x2a0, p + 0x2a0,
                                           p + 0x2e8, 72, WARD_ECDSA_LE),
                     WARD_ERR_FORMAT);
    X509_free(ask);
    X509_free(vcek);
    ward_buf_cleanup(&report);
}

/* ---- RSA-PSS ---- */

/* The VCEK's own signature: RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48, by the ASK. */
static void test_rsa_pss_amd_vcek(void **state)
{
    (void)state;
    X509 *vcek = load_cert(GENOA "vcek.der");
    X509 *ask = load_cert(GENOA "ask.der");
    X509 *ark = load_cert(GENOA "ark.der");
    unsigned char *tbs = NULL;
    int tbs_len = i2d_re_X509_tbs(vcek, &tbs);
    assert_true(tbs_len > 0);
    const ASN1_BIT_STRING *sig_bits = NULL;
    X509_get0_signature(&sig_bits, NULL, vcek);
    uint8_t sig[512];
    size_t sig_len = (size_t)ASN1_STRING_length(sig_bits);
    assert_int_equal(sig_len, 512);
    memcpy(sig, ASN1_STRING_get0_data(sig_bits), sig_len);
    EVP_PKEY *ask_key = X509_get0_pubkey(ask);

    assert_int_equal(ward_rsa_pss_verify(ask_key, WARD_SHA384, tbs, (size_t)tbs_len, sig, sig_len),
                     WARD_OK);
    /* Wrong hash, wrong key, flipped signature or message, short signature. */
    assert_int_equal(ward_rsa_pss_verify(ask_key, WARD_SHA256, tbs, (size_t)tbs_len, sig, sig_len),
                     WARD_ERR_SIGNATURE);
    assert_int_equal(ward_rsa_pss_verify(ask_key, WARD_SHA512, tbs, (size_t)tbs_len, sig, sig_len),
                     WARD_ERR_SIGNATURE);
    assert_int_equal(
        ward_rsa_pss_verify(X509_get0_pubkey(ark), WARD_SHA384, tbs, (size_t)tbs_len, sig, sig_len),
        WARD_ERR_SIGNATURE);
    sig[100] ^= 0x01;
    assert_int_equal(ward_rsa_pss_verify(ask_key, WARD_SHA384, tbs, (size_t)tbs_len, sig, sig_len),
                     WARD_ERR_SIGNATURE);
    sig[100] ^= 0x01;
    tbs[tbs_len - 1] ^= 0x01;
    assert_int_equal(ward_rsa_pss_verify(ask_key, WARD_SHA384, tbs, (size_t)tbs_len, sig, sig_len),
                     WARD_ERR_SIGNATURE);
    tbs[tbs_len - 1] ^= 0x01;
    assert_int_equal(
        ward_rsa_pss_verify(ask_key, WARD_SHA384, tbs, (size_t)tbs_len, sig, sig_len - 1),
        WARD_ERR_SIGNATURE);
    /* An EC key is not an RSA key. */
    assert_int_equal(ward_rsa_pss_verify(X509_get0_pubkey(vcek), WARD_SHA384, tbs, (size_t)tbs_len,
                                         sig, sig_len),
                     WARD_ERR_FORMAT);
    OPENSSL_free(tbs);
    X509_free(vcek);
    X509_free(ask);
    X509_free(ark);
}

/* Salt length must equal the hash length: a salt-32 PSS signature is refused. */
static void test_rsa_pss_salt_length(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    assert_non_null(key);
    static const uint8_t msg[] = "salt";
    for (int salt = 48; salt >= 32; salt -= 16) {
        uint8_t sig[256];
        size_t sig_len = sizeof(sig);
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = NULL;
        assert_int_equal(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt), 1);
        assert_int_equal(EVP_DigestSign(md, sig, &sig_len, msg, sizeof(msg)), 1);
        EVP_MD_CTX_free(md);
        assert_int_equal(ward_rsa_pss_verify(key, WARD_SHA384, msg, sizeof(msg), sig, sig_len),
                         salt == 48 ? WARD_OK : WARD_ERR_SIGNATURE);
    }
    EVP_PKEY_free(key);
    /* Keys below 2048 bits are refused outright. */
    EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(small);
    uint8_t sig[128] = {0};
    assert_int_equal(ward_rsa_pss_verify(small, WARD_SHA256, msg, 1, sig, sizeof(sig)),
                     WARD_ERR_FORMAT);
    EVP_PKEY_free(small);
}

/* ---- parsing ---- */

static void test_x509_parse_der_and_pem(void **state)
{
    (void)state;
    struct ward_buf der = {0};
    read_data(GENOA "vcek.der", &der);
    X509 *cert = NULL;
    assert_int_equal(ward_x509_parse(der.data, der.len, &cert), WARD_OK);
    X509_free(cert);

    /* Trailing garbage after the DER certificate. */
    uint8_t *junk = malloc(der.len + 1);
    assert_non_null(junk);
    memcpy(junk, der.data, der.len);
    junk[der.len] = 0x00;
    cert = NULL;
    assert_int_equal(ward_x509_parse(junk, der.len + 1, &cert), WARD_ERR_TRAILING);
    assert_null(cert);
    /* Truncated, empty, and a flipped outer tag. */
    assert_int_equal(ward_x509_parse(der.data, der.len - 1, &cert), WARD_ERR_FORMAT);
    assert_int_equal(ward_x509_parse(der.data, 0, &cert), WARD_ERR_TRUNCATED);
    junk[0] ^= 0x20;
    assert_int_equal(ward_x509_parse(junk, der.len, &cert), WARD_ERR_FORMAT);
    assert_null(cert);
    free(junk);

    /* PEM, with and without trailing garbage. */
    struct ward_buf pem = {0};
    read_data("roots/amd/milan_ark.pem", &pem);
    assert_int_equal(ward_x509_parse(pem.data, pem.len, &cert), WARD_OK);
    char cn[64];
    assert_int_equal(ward_x509_subject_cn(cert, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "ARK-Milan");
    X509_free(cert);
    cert = NULL;
    size_t n = pem.len;
    uint8_t *pem_junk = malloc(n + 8);
    assert_non_null(pem_junk);
    memcpy(pem_junk, pem.data, n);
    memcpy(pem_junk + n, "\n  x \n", 6);
    assert_int_equal(ward_x509_parse(pem_junk, n + 6, &cert), WARD_ERR_TRAILING);
    /* Whitespace around a PEM block is fine. */
    memcpy(pem_junk + n, "\n \r\n", 4);
    assert_int_equal(ward_x509_parse(pem_junk, n + 4, &cert), WARD_OK);
    X509_free(cert);
    cert = NULL;
    /* A corrupted base64 body. */
    memcpy(pem_junk, pem.data, n);
    pem_junk[40] = '*';
    assert_int_equal(ward_x509_parse(pem_junk, n, &cert), WARD_ERR_FORMAT);
    free(pem_junk);
    ward_buf_cleanup(&pem);

    /* A CRL is not a certificate and vice versa. */
    struct ward_buf crl_pem = {0};
    read_data("roots/amd/genoa_crl.pem", &crl_pem);
    assert_int_equal(ward_x509_parse(crl_pem.data, crl_pem.len, &cert), WARD_ERR_FORMAT);
    X509_CRL *crl = NULL;
    assert_int_equal(ward_crl_parse(der.data, der.len, &crl), WARD_ERR_FORMAT);
    assert_int_equal(ward_crl_parse(crl_pem.data, crl_pem.len, &crl), WARD_OK);
    assert_non_null(crl);
    /* DER CRL round trip, then trailing bytes. */
    unsigned char *crl_der = NULL;
    int crl_len = i2d_X509_CRL(crl, &crl_der);
    assert_true(crl_len > 0);
    X509_CRL_free(crl);
    crl = NULL;
    assert_int_equal(ward_crl_parse(crl_der, (size_t)crl_len, &crl), WARD_OK);
    X509_CRL_free(crl);
    crl = NULL;
    assert_int_equal(ward_crl_parse(crl_der, (size_t)crl_len - 1, &crl), WARD_ERR_FORMAT);
    OPENSSL_free(crl_der);
    ward_buf_cleanup(&crl_pem);
    ward_buf_cleanup(&der);
}

static void test_x509_parse_all(void **state)
{
    (void)state;
    struct ward_buf ask = {0};
    struct ward_buf ark = {0};
    read_data("roots/amd/genoa_ask.pem", &ask);
    read_data("roots/amd/genoa_ark.pem", &ark);
    size_t len = ask.len + ark.len + 16;
    uint8_t *both = malloc(len);
    assert_non_null(both);
    memcpy(both, ask.data, ask.len);
    memcpy(both + ask.len, "\n", 1);
    memcpy(both + ask.len + 1, ark.data, ark.len);
    size_t both_len = ask.len + 1 + ark.len;

    STACK_OF(X509) *sk = sk_X509_new_null();
    assert_int_equal(ward_x509_parse_all(both, both_len, sk), WARD_OK);
    assert_int_equal(sk_X509_num(sk), 2);
    char cn[64];
    assert_int_equal(ward_x509_subject_cn(sk_X509_value(sk, 0), cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SEV-Genoa");
    assert_int_equal(ward_x509_subject_cn(sk_X509_value(sk, 1), cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "ARK-Genoa");

    /* Text between or after blocks is refused, and the stack is left alone. */
    memcpy(both + both_len, "junk\n", 5);
    assert_int_equal(ward_x509_parse_all(both, both_len + 5, sk), WARD_ERR_TRAILING);
    assert_int_equal(sk_X509_num(sk), 2);
    both[ask.len] = 'x';
    assert_int_equal(ward_x509_parse_all(both, both_len, sk), WARD_ERR_TRAILING);
    assert_int_equal(sk_X509_num(sk), 2);
    /* A CRL block among certificates is refused. */
    struct ward_buf crl = {0};
    read_data("roots/amd/genoa_crl.pem", &crl);
    uint8_t *mixed = malloc(ask.len + crl.len);
    assert_non_null(mixed);
    memcpy(mixed, ask.data, ask.len);
    memcpy(mixed + ask.len, crl.data, crl.len);
    assert_int_equal(ward_x509_parse_all(mixed, ask.len + crl.len, sk), WARD_ERR_FORMAT);
    assert_int_equal(sk_X509_num(sk), 2);
    /* Nothing at all. */
    assert_int_equal(ward_x509_parse_all((const uint8_t *)"  \n", 3, sk), WARD_ERR_FORMAT);
    /* A single DER certificate. */
    struct ward_buf der = {0};
    read_data(GENOA "vcek.der", &der);
    assert_int_equal(ward_x509_parse_all(der.data, der.len, sk), WARD_OK);
    assert_int_equal(sk_X509_num(sk), 3);

    sk_X509_pop_free(sk, X509_free);
    free(both);
    free(mixed);
    ward_buf_cleanup(&der);
    ward_buf_cleanup(&crl);
    ward_buf_cleanup(&ask);
    ward_buf_cleanup(&ark);
}

/* ---- fields ---- */

static void test_x509_fields(void **state)
{
    (void)state;
    X509 *vcek = load_cert(GENOA "vcek.der");
    char cn[64];
    assert_int_equal(ward_x509_subject_cn(vcek, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SEV-VCEK");
    assert_int_equal(ward_x509_issuer_cn(vcek, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SEV-Genoa");
    char small[8]; /* "SEV-VCEK" needs 9 */
    assert_int_equal(ward_x509_subject_cn(vcek, small, sizeof(small)), WARD_ERR_NOMEM);

    /* openssl x509 -inform der -in vcek.der -noout -fingerprint -sha256 */
    uint8_t fp[32];
    char hex[65];
    assert_int_equal(ward_x509_sha256(vcek, fp), WARD_OK);
    ward_hex_encode(fp, 32, hex);
    assert_string_equal(hex, "c065f7299e27c3b401aca6afd02c1b04fca63482d1f01fa5bb94cdccd9912838");

    /* AMD productName: extnValue is the DER IA5String "Genoa". */
    const uint8_t *v = NULL;
    size_t v_len = 0;
    assert_int_equal(ward_x509_ext_data(vcek, "1.3.6.1.4.1.3704.1.2", &v, &v_len), WARD_OK);
    assert_int_equal(v_len, 7);
    assert_memory_equal(v, "\x16\x05Genoa", 7);
    /* AMD hwID: 64 raw bytes, equal to the report's CHIP_ID at 0x1A0. */
    struct ward_buf report = {0};
    read_data(GENOA "report.bin", &report);
    assert_int_equal(ward_x509_ext_data(vcek, "1.3.6.1.4.1.3704.1.4", &v, &v_len), WARD_OK);
    assert_int_equal(v_len, 64);
    assert_true(ward_ct_equal(v, report.data + 0x1a0, 64));
    /* Absent, malformed, and a named (not dotted) OID. */
    v = NULL;
    assert_int_equal(ward_x509_ext_data(vcek, "1.3.6.1.4.1.3704.1.99", &v, &v_len),
                     WARD_ERR_NOT_FOUND);
    assert_null(v);
    assert_int_equal(ward_x509_ext_data(vcek, "not an oid", &v, &v_len), WARD_ERR_USAGE);
    assert_int_equal(ward_x509_ext_data(vcek, "basicConstraints", &v, &v_len), WARD_ERR_USAGE);
    ward_buf_cleanup(&report);
    X509_free(vcek);
}

/* ---- chains: the real AMD Genoa chain ---- */

struct amd_chain {
    X509 *vcek, *ask, *ark, *milan_ark;
    STACK_OF(X509) *inter, *roots, *milan_roots;
    X509_CRL *genoa_crl, *milan_crl;
};

static void amd_chain_load(struct amd_chain *c)
{
    c->vcek = load_cert(GENOA "vcek.der");
    c->ask = load_cert(GENOA "ask.der");
    c->ark = load_cert(GENOA "ark.der");
    c->milan_ark = load_cert("roots/amd/milan_ark.pem");
    c->inter = stack_of(c->ask, NULL);
    c->roots = stack_of(c->ark, NULL);
    c->milan_roots = stack_of(c->milan_ark, NULL);
    c->genoa_crl = load_crl("roots/amd/genoa_crl.pem");
    c->milan_crl = load_crl("roots/amd/milan_crl.pem");
}

static void amd_chain_free(struct amd_chain *c)
{
    sk_X509_free(c->inter);
    sk_X509_free(c->roots);
    sk_X509_free(c->milan_roots);
    X509_free(c->vcek);
    X509_free(c->ask);
    X509_free(c->ark);
    X509_free(c->milan_ark);
    X509_CRL_free(c->genoa_crl);
    X509_CRL_free(c->milan_crl);
}

static void test_chain_amd_genoa(void **state)
{
    (void)state;
    struct amd_chain c;
    amd_chain_load(&c);
    struct ward_chain_opts opts = {.at = at("2025-01-25T02:21:48Z")};

    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_OK);
    /* The ASK alone chains to the ARK too; the ARK is its own anchor. */
    assert_int_equal(ward_x509_verify_chain(c.ask, NULL, c.roots, &opts), WARD_OK);

    /* Before any of the certificates existed: the ARK (depth 2) is not yet valid. */
    opts.at = at("2000-01-01T00:00:00Z");
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_ERR_EXPIRED);
    assert_detail_has("not yet valid");
    /* After the VCEK expired (2032-01-24) but before the ASK did. */
    opts.at = at("2033-01-01T00:00:00Z");
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_ERR_EXPIRED);
    assert_detail_has("\"SEV-VCEK\"");
    assert_detail_has("depth 0");
    assert_detail_has("certificate has expired");
    opts.at = at("2025-01-25T02:21:48Z");

    /* The wrong product's root. */
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.milan_roots, &opts), WARD_ERR_CHAIN);
    /* The ASK missing from the intermediates. */
    assert_int_equal(ward_x509_verify_chain(c.vcek, NULL, c.roots, &opts), WARD_ERR_CHAIN);
    /* The ARK offered as an intermediate is not trusted: roots are the only anchors. */
    STACK_OF(X509) *inter_ark = stack_of(c.ask, c.ark);
    assert_int_equal(ward_x509_verify_chain(c.vcek, inter_ark, c.milan_roots, &opts),
                     WARD_ERR_CHAIN);
    assert_int_equal(ward_x509_verify_chain(c.vcek, inter_ark, c.roots, &opts), WARD_OK);
    sk_X509_free(inter_ark);
    /* No partial chains: the ASK as a "root" is not a trust anchor. */
    STACK_OF(X509) *ask_root = stack_of(c.ask, NULL);
    assert_int_equal(ward_x509_verify_chain(c.vcek, NULL, ask_root, &opts), WARD_ERR_CHAIN);
    sk_X509_free(ask_root);
    /* Mixed-up order: the VCEK as an intermediate of the ASK. */
    STACK_OF(X509) *vcek_inter = stack_of(c.vcek, NULL);
    assert_int_equal(ward_x509_verify_chain(c.ask, vcek_inter, c.milan_roots, &opts),
                     WARD_ERR_CHAIN);
    sk_X509_free(vcek_inter);
    amd_chain_free(&c);
}

static void test_chain_amd_genoa_crl(void **state)
{
    (void)state;
    struct amd_chain c;
    amd_chain_load(&c);
    /* The Genoa CRL (ARK-Genoa, thisUpdate 2024-10-23, nextUpdate 2025-11-03) revokes
     * serial 0x20001. The Genoa ASK here is serial 0x20002 and the VCEK serial 0, so
     * the chain passes: the ASK is checked against this CRL; the VCEK's issuer (the
     * ASK) publishes no CRL, which is allowed because crl_required is false. */
    STACK_OF(X509_CRL) *crls = crls_of(c.genoa_crl);
    struct ward_chain_opts opts = {.at = at("2025-01-25T02:21:48Z"), .crls = crls};
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_OK);
    /* Required CRLs: the ASK has one, the VCEK does not. */
    opts.crl_required = true;
    assert_int_equal(ward_x509_verify_chain(c.ask, NULL, c.roots, &opts), WARD_OK);
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_ERR_CHAIN);
    assert_detail_has("unable to get certificate CRL");
    assert_detail_has("depth 0");
    opts.crl_required = false;

    /* A stale CRL (after nextUpdate) and one from the future (before thisUpdate). */
    opts.at = at("2025-12-01T00:00:00Z");
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_ERR_EXPIRED);
    assert_detail_has("CRL has expired");
    opts.at = at("2024-01-01T00:00:00Z");
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_ERR_EXPIRED);
    assert_detail_has("CRL is not yet valid");
    opts.at = at("2025-01-25T02:21:48Z");
    sk_X509_CRL_free(crls);

    /* The Milan CRL does not cover Genoa certificates: ignored when optional,
     * missing when required. */
    crls = crls_of(c.milan_crl);
    opts.crls = crls;
    opts.at = at("2025-06-01T00:00:00Z");
    assert_int_equal(ward_x509_verify_chain(c.vcek, c.inter, c.roots, &opts), WARD_OK);
    opts.crl_required = true;
    assert_int_equal(ward_x509_verify_chain(c.ask, NULL, c.roots, &opts), WARD_ERR_CHAIN);
    /* Required but none given at all. */
    opts.crls = NULL;
    assert_int_equal(ward_x509_verify_chain(c.ask, NULL, c.roots, &opts), WARD_ERR_CHAIN);
    sk_X509_CRL_free(crls);
    amd_chain_free(&c);
}

/* ---- chains: a synthetic PKI for revocation ---- */

#define T_2020 1577836800 /* 2020-01-01 */
#define T_2024 1704067200 /* 2024-01-01 */
#define T_2025 1735689600 /* 2025-01-01 */
#define T_2026 1767225600 /* 2026-01-01 */
#define T_2040 2208988800 /* 2040-01-01 */

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* Makes a certificate for |key| named |cn|, signed by |issuer_key| (self-signed when
 * |issuer| is NULL), and returns it re-parsed through ward_x509_parse. */
static X509 *make_cert(const char *cn, long serial, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, bool ca)
{
    X509 *c = X509_new();
    assert_non_null(c);
    assert_int_equal(X509_set_version(c, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c), serial), 1);
    X509_NAME *name = X509_get_subject_name(c);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_set_issuer_name(c, issuer != NULL ? X509_get_subject_name(issuer) : name),
                     1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(c), T_2020));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(c), T_2040));
    assert_int_equal(X509_set_pubkey(c, key), 1);
    if (ca) {
        add_ext(c, issuer != NULL ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(c, issuer != NULL ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    assert_true(X509_sign(c, issuer_key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509(c, &der);
    assert_true(len > 0);
    X509_free(c);
    X509 *out = NULL;
    assert_int_equal(ward_x509_parse(der, (size_t)len, &out), WARD_OK);
    OPENSSL_free(der);
    return out;
}

/* Makes a CRL from |issuer| valid [last, next], revoking |revoked| (if >= 0),
 * signed by |key|, re-parsed through ward_crl_parse. */
static X509_CRL *make_crl(X509 *issuer, EVP_PKEY *key, long revoked, time_t last, time_t next)
{
    X509_CRL *crl = X509_CRL_new();
    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1); /* v2 */
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), 1);
    ASN1_TIME *t = ASN1_TIME_set(NULL, last);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, t), 1);
    assert_non_null(ASN1_TIME_set(t, next));
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, t), 1);
    if (revoked >= 0) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();
        assert_int_equal(ASN1_INTEGER_set(serial, revoked), 1);
        assert_int_equal(X509_REVOKED_set_serialNumber(r, serial), 1);
        assert_non_null(ASN1_TIME_set(t, T_2024));
        assert_int_equal(X509_REVOKED_set_revocationDate(r, t), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
        ASN1_INTEGER_free(serial);
    }
    ASN1_TIME_free(t);
    assert_int_equal(X509_CRL_sort(crl), 1);
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    unsigned char *der = NULL;
    int len = i2d_X509_CRL(crl, &der);
    assert_true(len > 0);
    X509_CRL_free(crl);
    X509_CRL *out = NULL;
    assert_int_equal(ward_crl_parse(der, (size_t)len, &out), WARD_OK);
    OPENSSL_free(der);
    return out;
}

static void test_chain_revocation_synthetic(void **state)
{
    (void)state;
    EVP_PKEY *root_key = NULL;
    EVP_PKEY *inter_key = NULL;
    EVP_PKEY *leaf_key = NULL;
    EVP_PKEY *rogue_key = NULL;
    assert_int_equal(ward_ec_key_generate(NID_X9_62_prime256v1, &root_key), WARD_OK);
    assert_int_equal(ward_ec_key_generate(NID_X9_62_prime256v1, &inter_key), WARD_OK);
    assert_int_equal(ward_ec_key_generate(NID_X9_62_prime256v1, &leaf_key), WARD_OK);
    assert_int_equal(ward_ec_key_generate(NID_X9_62_prime256v1, &rogue_key), WARD_OK);
    X509 *root = make_cert("Test Root", 1, root_key, NULL, root_key, true);
    X509 *inter = make_cert("Test Inter", 0x20001, inter_key, root, root_key, true);
    X509 *leaf = make_cert("Test Leaf", 3, leaf_key, inter, inter_key, false);
    STACK_OF(X509) *inters = stack_of(inter, NULL);
    STACK_OF(X509) *roots = stack_of(root, NULL);
    struct ward_chain_opts opts = {.at = T_2025};
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_OK);

    /* The root revokes the intermediate (serial 0x20001). */
    X509_CRL *revokes_inter = make_crl(root, root_key, 0x20001, T_2024, T_2026);
    STACK_OF(X509_CRL) *crls = crls_of(revokes_inter);
    opts.crls = crls;
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_REVOKED);
    assert_detail_has("\"Test Inter\"");
    assert_detail_has("0x020001");
    assert_detail_has("depth 1");
    /* Before the CRL was issued, it cannot be applied: expired, not silently ignored. */
    opts.at = T_2020 + 86400;
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_EXPIRED);
    opts.at = T_2025;
    sk_X509_CRL_free(crls);

    /* The intermediate revokes the leaf; the root's CRL revokes nothing. */
    X509_CRL *revokes_leaf = make_crl(inter, inter_key, 3, T_2024, T_2026);
    X509_CRL *revokes_none = make_crl(root, root_key, -1, T_2024, T_2026);
    crls = crls_of(revokes_none);
    opts.crls = crls;
    opts.crl_required = true;
    /* Required: the leaf's issuer has no CRL in the set. */
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_CHAIN);
    assert_true(sk_X509_CRL_push(crls, revokes_leaf) > 0);
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_REVOKED);
    assert_detail_has("\"Test Leaf\"");
    assert_detail_has("depth 0");
    opts.crl_required = false;
    sk_X509_CRL_free(crls);

    /* A CRL in the root's name but signed by another key is not believed. */
    X509_CRL *forged = make_crl(root, rogue_key, -1, T_2024, T_2026);
    crls = crls_of(forged);
    opts.crls = crls;
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_CHAIN);
    assert_detail_has("CRL signature failure");
    sk_X509_CRL_free(crls);

    /* A leaf signed by the wrong key. */
    X509 *bad_leaf = make_cert("Test Leaf", 4, leaf_key, inter, rogue_key, false);
    opts.crls = NULL;
    assert_int_equal(ward_x509_verify_chain(bad_leaf, inters, roots, &opts), WARD_ERR_CHAIN);
    assert_detail_has("certificate signature failure");
    /* Purpose checks are available and fail cleanly for an unknown purpose. */
    opts.purpose = 12345;
    assert_int_equal(ward_x509_verify_chain(leaf, inters, roots, &opts), WARD_ERR_USAGE);
    opts.purpose = 0;
    /* No roots is the caller's mistake, reported as such. */
    STACK_OF(X509) *none = sk_X509_new_null();
    assert_int_equal(ward_x509_verify_chain(leaf, inters, none, &opts), WARD_ERR_USAGE);
    sk_X509_free(none);

    X509_free(bad_leaf);
    X509_CRL_free(forged);
    X509_CRL_free(revokes_inter);
    X509_CRL_free(revokes_leaf);
    X509_CRL_free(revokes_none);
    sk_X509_free(inters);
    sk_X509_free(roots);
    X509_free(root);
    X509_free(inter);
    X509_free(leaf);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(inter_key);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(rogue_key);
}

/* ---- constant time and secrets ---- */

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[48];
    uint8_t b[48];
    memset(a, 0x5a, sizeof(a));
    memcpy(b, a, sizeof(b));
    assert_true(ward_ct_equal(a, b, sizeof(a)));
    assert_true(ward_ct_equal(a, b, 0));
    for (size_t i = 0; i < sizeof(b); i += 7) {
        b[i] ^= 0x01;
        assert_false(ward_ct_equal(a, b, sizeof(a)));
        b[i] ^= 0x01;
    }
    b[47] ^= 0x80;
    assert_false(ward_ct_equal(a, b, sizeof(a)));
    assert_true(ward_ct_equal(a, b, 47)); /* the difference is past |len| */
}

static void test_secret(void **state)
{
    (void)state;
    struct ward_secret *s = NULL;
    assert_int_equal(ward_secret_new(48, &s), WARD_OK);
    assert_non_null(s);
    assert_int_equal(s->len, 48);
    assert_true(ward_is_zero(s->data, s->len));
    memset(s->data, 0xa5, s->len);
    ward_secret_free(s);
    ward_secret_free(NULL);

    /* More than a page, to cover the mapping size arithmetic. */
    assert_int_equal(ward_secret_new(10000, &s), WARD_OK);
    assert_true(ward_is_zero(s->data, s->len));
    memset(s->data, 0xff, s->len);
    ward_secret_free(s);

    struct ward_secret *none = NULL;
    assert_int_equal(ward_secret_new(0, &none), WARD_ERR_USAGE);
    assert_int_equal(ward_secret_new((size_t)1 << 30, &none), WARD_ERR_USAGE);
    assert_null(none);

    uint8_t buf[32];
    memset(buf, 0x77, sizeof(buf));
    ward_wipe(buf, sizeof(buf));
    assert_true(ward_is_zero(buf, sizeof(buf)));
    ward_wipe(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_fips180_abc),
        cmocka_unit_test(test_ecdsa_p256_roundtrip),
        cmocka_unit_test(test_ecdsa_p384_roundtrip),
        cmocka_unit_test(test_ecdsa_wrong_key),
        cmocka_unit_test(test_ecdsa_amd_report),
        cmocka_unit_test(test_rsa_pss_amd_vcek),
        cmocka_unit_test(test_rsa_pss_salt_length),
        cmocka_unit_test(test_x509_parse_der_and_pem),
        cmocka_unit_test(test_x509_parse_all),
        cmocka_unit_test(test_x509_fields),
        cmocka_unit_test(test_chain_amd_genoa),
        cmocka_unit_test(test_chain_amd_genoa_crl),
        cmocka_unit_test(test_chain_revocation_synthetic),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
