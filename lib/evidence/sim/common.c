/*
 * lib/evidence/sim/common.c: what the SEV-SNP and TDX simulators share: the
 * state directory, its lock, private keys and certificates on disk, and the
 * X.509 building blocks. See internal.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "evidence/sim/internal.h"
#include "ward/crypto.h"

/* DEFER helpers only this file uses. */
static inline void sim_bn_freep(BIGNUM **p)
{
    BN_free(*p);
}
static inline void sim_obj_freep(ASN1_OBJECT **p)
{
    ASN1_OBJECT_free(*p);
}
static inline void sim_octet_freep(ASN1_OCTET_STRING **p)
{
    ASN1_OCTET_STRING_free(*p);
}
static inline void sim_buf_wipep(struct ward_buf *b)
{
    ward_buf_wipe_cleanup(b);
}

/* ---- the state directory ---- */

int sim_path(char out[SIM_PATH_MAX], const char *dir, const char *tee, const char *sub,
             const char *file)
{
    WARD_ASSERT(dir != NULL && tee != NULL);
    int n = snprintf(out, SIM_PATH_MAX, "%s/%s%s%s%s%s", dir, tee, sub != NULL ? "/" : "",
                     sub != NULL ? sub : "", file != NULL ? "/" : "", file != NULL ? file : "");
    ENSURE_MSG(n > 0 && n < SIM_PATH_MAX, WARD_ERR_USAGE, "sim: path too long under %s", dir);
    return WARD_OK;
}

bool sim_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int sim_lock(const char *dir, const char *tee, const char *sub, int *out_fd)
{
    char path[SIM_PATH_MAX];
    GUARD(ward_mkdir_p(dir, 0700));
    GUARD(sim_path(path, dir, tee, sub, NULL));
    GUARD(ward_mkdir_p(path, 0700));
    GUARD(sim_path(path, dir, tee, sub, "lock"));
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ENSURE_MSG(fd >= 0, WARD_ERR_IO, "sim: cannot open %s: %s", path, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return ward_err_set(WARD_ERR_IO, "sim: cannot lock %s: %s", path, strerror(e));
        }
    }
    *out_fd = fd;
    return WARD_OK;
}

int sim_random(uint8_t *out, size_t len)
{
    GUARD_OSSL(RAND_bytes(out, (int)len), WARD_ERR_CRYPTO);
    return WARD_OK;
}

/* ---- keys and certificates on disk ---- */

int sim_key_load(const char *path, EVP_PKEY **out)
{
    struct stat st;
    ENSURE_MSG(stat(path, &st) == 0, WARD_ERR_IO, "sim: cannot stat %s: %s", path, strerror(errno));
    ENSURE_MSG((st.st_mode & 077) == 0, WARD_ERR_USAGE,
               "sim: key %s may be read by others (mode %03o); chmod 600 it", path,
               (unsigned)(st.st_mode & 0777));
    DEFER(sim_buf_wipep) struct ward_buf pem = {0};
    GUARD(ward_read_file(path, SIM_FILE_MAX, &pem));
    ENSURE_MSG(pem.len <= INT32_MAX, WARD_ERR_FORMAT, "sim: %s is too large", path);
    DEFER(ward_bio_freep) BIO *bio = BIO_new_mem_buf(pem.data, (int)pem.len);
    GUARD_PTR(bio);
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    if (key == NULL) {
        ward_ossl_fail(WARD_ERR_FORMAT, "PEM_read_bio_PrivateKey");
        return ward_err_set(WARD_ERR_FORMAT, "sim: %s is not a PEM private key", path);
    }
    *out = key;
    return WARD_OK;
}

int sim_key_load_ec(const char *path, int bits, EVP_PKEY **out)
{
    DEFER(ward_pkey_freep) EVP_PKEY *key = NULL;
    GUARD(sim_key_load(path, &key));
    ENSURE_MSG(EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) == bits, WARD_ERR_FORMAT,
               "sim: %s is not a P-%d key", path, bits);
    *out = key;
    key = NULL;
    return WARD_OK;
}

int sim_key_save(const char *path, EVP_PKEY *key)
{
    /* A secure-memory BIO wipes the PEM text when freed. */
    DEFER(ward_bio_freep) BIO *bio = BIO_new(BIO_s_secmem());
    GUARD_PTR(bio);
    GUARD_OSSL(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), WARD_ERR_CRYPTO);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    ENSURE_MSG(pem_len > 0 && pem != NULL, WARD_ERR_CRYPTO, "sim: cannot encode key for %s", path);
    GUARD(ward_write_file_atomic(path, (const uint8_t *)pem, (size_t)pem_len, 0600));
    return WARD_OK;
}

int sim_ec_key_ensure(const char *path, int curve_nid, int bits, EVP_PKEY **out)
{
    if (sim_exists(path)) {
        return sim_key_load_ec(path, bits, out);
    }
    DEFER(ward_pkey_freep) EVP_PKEY *key = NULL;
    GUARD(ward_ec_key_generate(curve_nid, &key));
    GUARD(sim_key_save(path, key));
    *out = key;
    key = NULL;
    return WARD_OK;
}

int sim_cert_load(const char *path, X509 **out)
{
    DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
    GUARD(ward_read_file(path, SIM_FILE_MAX, &der));
    if (ward_x509_parse(der.data, der.len, out) != WARD_OK) {
        return ward_err_prefix("sim: %s", path);
    }
    return WARD_OK;
}

int sim_cert_der(X509 *cert, struct ward_buf *out)
{
    DEFER(sim_ossl_freep) unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(ward_buf_set(out, der, (size_t)der_len));
    return WARD_OK;
}

int sim_cert_save(const char *path, X509 *cert)
{
    DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
    GUARD(sim_cert_der(cert, &der));
    GUARD(ward_write_file_atomic(path, der.data, der.len, 0644));
    return WARD_OK;
}

int sim_ca_reuse(const char *key_path, const char *cert_path, EVP_PKEY *key, EVP_PKEY *issuer_key,
                 X509 **out)
{
    if (!sim_exists(cert_path)) {
        *out = NULL;
        return WARD_OK;
    }
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(sim_cert_load(cert_path, &cert));
    ENSURE_MSG(X509_check_private_key(cert, key) == 1, WARD_ERR_FORMAT,
               "sim: %s does not belong to %s; remove both to start over", cert_path, key_path);
    EVP_PKEY *signer = issuer_key != NULL ? issuer_key : key;
    if (X509_verify(cert, signer) != 1) {
        ward_log(WARD_LOG_DEBUG, "sim: %s is not signed by its issuer; reissuing", cert_path);
        ERR_clear_error();
        *out = NULL;
        return WARD_OK;
    }
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

/* ---- building certificates ---- */

/* sim_name_add appends |field|=|value| (UTF8String) to |name|. */
static WARD_MUST_CHECK int sim_name_add(X509_NAME *name, const char *field, const char *value)
{
    GUARD_OSSL(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, (const unsigned char *)value,
                                          -1, -1, 0),
               WARD_ERR_CRYPTO);
    return WARD_OK;
}

int sim_cert_new(const char *cn, const char *org, enum sim_name_order order, EVP_PKEY *key,
                 X509 *issuer, X509 **out)
{
    DEFER(ward_x509_freep) X509 *cert = X509_new();
    GUARD_PTR(cert);
    GUARD_OSSL(X509_set_version(cert, X509_VERSION_3), WARD_ERR_CRYPTO);

    DEFER(sim_bn_freep) BIGNUM *serial = BN_new();
    GUARD_PTR(serial);
    GUARD_OSSL(BN_rand(serial, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), WARD_ERR_CRYPTO);
    if (BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "BN_to_ASN1_INTEGER");
    }

    GUARD_OSSL(ASN1_TIME_set_string_X509(X509_getm_notBefore(cert), SIM_NOT_BEFORE),
               WARD_ERR_CRYPTO);
    GUARD_OSSL(ASN1_TIME_set_string_X509(X509_getm_notAfter(cert), SIM_NOT_AFTER), WARD_ERR_CRYPTO);
    X509_NAME *subject = X509_get_subject_name(cert);
    if (order == SIM_NAME_O_CN) {
        GUARD(sim_name_add(subject, "O", org));
        GUARD(sim_name_add(subject, "CN", cn));
    } else {
        GUARD(sim_name_add(subject, "CN", cn));
        GUARD(sim_name_add(subject, "O", org));
    }
    X509_NAME *issuer_name = issuer != NULL ? X509_get_subject_name(issuer) : subject;
    GUARD_OSSL(X509_set_issuer_name(cert, issuer_name), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_set_pubkey(cert, key), WARD_ERR_CRYPTO);
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

int sim_ext_conf(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    DEFER(sim_ext_freep) X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "X509V3_EXT_nconf_nid");
    }
    GUARD_OSSL(X509_add_ext(cert, ext, -1), WARD_ERR_CRYPTO);
    return WARD_OK;
}

int sim_ext_raw(X509 *cert, const char *oid, const uint8_t *der, size_t len)
{
    ENSURE_MSG(len <= INT32_MAX, WARD_ERR_USAGE, "sim: extension %s too long", oid);
    DEFER(sim_obj_freep) ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    GUARD_PTR(obj);
    DEFER(sim_octet_freep) ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
    GUARD_PTR(value);
    GUARD_OSSL(ASN1_OCTET_STRING_set(value, der, (int)len), WARD_ERR_CRYPTO);
    DEFER(sim_ext_freep) X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, value);
    if (ext == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "X509_EXTENSION_create_by_OBJ");
    }
    GUARD_OSSL(X509_add_ext(cert, ext, -1), WARD_ERR_CRYPTO);
    return WARD_OK;
}

bool sim_cert_has_org(X509 *cert, const char *org)
{
    char buf[128];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationName, buf,
                                      sizeof(buf));
    return n > 0 && strcmp(buf, org) == 0;
}

int sim_pem_append(struct ward_wr *w, X509 *cert)
{
    DEFER(ward_bio_freep) BIO *bio = BIO_new(BIO_s_mem());
    GUARD_PTR(bio);
    GUARD_OSSL(PEM_write_bio_X509(bio, cert), WARD_ERR_CRYPTO);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    ENSURE_MSG(pem_len > 0 && pem != NULL, WARD_ERR_CRYPTO, "sim: cannot encode a certificate");
    return ward_wr_bytes(w, (const uint8_t *)pem, (size_t)pem_len);
}
