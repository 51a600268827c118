/*
 * lib/evidence/sim/internal.h: what the SEV-SNP and TDX simulators share: the
 * files of the state directory (private keys, certificates), its lock, and the
 * X.509 building blocks. The directory's layout and rules are in
 * include/ward/sim.h: directories mode 0700, private keys PEM mode 0600 and
 * refused when group or others may read them, certificates DER mode 0644.
 */
#ifndef WARD_EVIDENCE_SIM_INTERNAL_H
#define WARD_EVIDENCE_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "base/internal.h"

#define SIM_PATH_MAX 4096
#define SIM_FILE_MAX (64u * 1024u) /* named maximum for a key, certificate or id file */
#define SIM_NOT_BEFORE "20200101000000Z"
#define SIM_NOT_AFTER "20491231235959Z"

/* DEFER helpers both simulators use (base/internal.h has the library's own). */
static inline void sim_closep(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
    }
}
static inline void sim_int_freep(ASN1_INTEGER **p)
{
    ASN1_INTEGER_free(*p);
}
static inline void sim_ext_freep(X509_EXTENSION **p)
{
    X509_EXTENSION_free(*p);
}
static inline void sim_ossl_freep(unsigned char **p)
{
    OPENSSL_free(*p);
}

/* ---- the state directory ---- */

/* sim_path formats |dir|/|tee|[/|sub|][/|file|] into |out| (|sub| and |file|
 * may be NULL): |tee| is "snp" or "tdx", |sub| the SEV-SNP product. Fails with
 * WARD_ERR_USAGE when the path does not fit in SIM_PATH_MAX. */
int sim_path(char out[SIM_PATH_MAX], const char *dir, const char *tee, const char *sub,
             const char *file) WARD_MUST_CHECK;

/* sim_exists reports whether |path| exists (stat succeeds). */
bool sim_exists(const char *path);

/* sim_lock creates |dir| and the state directory |dir|/|tee|[/|sub|] (mode 0700)
 * and takes an exclusive lock on its file "lock" (created mode 0600). The lock
 * is the returned descriptor, *|out_fd|, which the caller owns: closing it
 * releases the lock. Fails with WARD_ERR_USAGE for a path too long and
 * WARD_ERR_IO when a directory cannot be created or the lock file cannot be
 * opened or locked; *|out_fd| is untouched on failure. */
int sim_lock(const char *dir, const char *tee, const char *sub, int *out_fd) WARD_MUST_CHECK;

/* sim_random fills |out| with |len| random bytes; WARD_ERR_CRYPTO on failure. */
int sim_random(uint8_t *out, size_t len) WARD_MUST_CHECK;

/* ---- keys and certificates on disk ---- */

/* sim_key_load reads the PEM private key at |path| into *|out|, which the caller
 * then owns. The file's text is wiped after use. Fails with WARD_ERR_IO when
 * |path| cannot be read, WARD_ERR_USAGE when group or others may read it,
 * WARD_ERR_NOMEM when it is larger than SIM_FILE_MAX, and WARD_ERR_FORMAT when
 * it is not a PEM private key; *|out| is untouched on failure. */
int sim_key_load(const char *path, EVP_PKEY **out) WARD_MUST_CHECK;

/* sim_key_load_ec is sim_key_load for an EC key on a |bits|-bit curve (256 for
 * P-256, 384 for P-384); any other key fails with WARD_ERR_FORMAT. */
int sim_key_load_ec(const char *path, int bits, EVP_PKEY **out) WARD_MUST_CHECK;

/* sim_key_save writes |key| (borrowed) to |path| as PEM, mode 0600, atomically;
 * the PEM text lives in secure memory and is wiped. Fails with WARD_ERR_CRYPTO
 * when the key cannot be encoded, WARD_ERR_IO when the file cannot be written. */
int sim_key_save(const char *path, EVP_PKEY *key) WARD_MUST_CHECK;

/* sim_ec_key_ensure loads the EC key at |path| (checked as sim_key_load_ec does,
 * on a |bits|-bit curve) or, when the file does not exist, makes a new key on
 * |curve_nid| and saves it there (sim_key_save). The caller owns *|out|, which
 * is untouched on failure; errors are those of sim_key_load_ec and
 * sim_key_save. */
int sim_ec_key_ensure(const char *path, int curve_nid, int bits, EVP_PKEY **out) WARD_MUST_CHECK;

/* sim_cert_load reads the certificate (DER or PEM) at |path| into *|out|, which
 * the caller then owns. Fails with WARD_ERR_IO when |path| cannot be read,
 * WARD_ERR_NOMEM when it is larger than SIM_FILE_MAX, and ward_x509_parse's
 * code (WARD_ERR_FORMAT, WARD_ERR_TRAILING) with a detail naming |path| when it
 * is not one certificate; *|out| is untouched on failure. */
int sim_cert_load(const char *path, X509 **out) WARD_MUST_CHECK;

/* sim_cert_der encodes |cert| (borrowed) as DER into |out| (initialised, empty).
 * Fails with WARD_ERR_CRYPTO or WARD_ERR_NOMEM. */
int sim_cert_der(X509 *cert, struct ward_buf *out) WARD_MUST_CHECK;

/* sim_cert_save writes |cert| (borrowed) to |path| as DER, mode 0644,
 * atomically. Fails with WARD_ERR_CRYPTO when it cannot be encoded, WARD_ERR_IO
 * when the file cannot be written. */
int sim_cert_save(const char *path, X509 *cert) WARD_MUST_CHECK;

/* sim_ca_reuse decides whether the stored CA certificate at |cert_path| can
 * serve again for |key| (borrowed, loaded from |key_path|). *|out| is the
 * certificate (the caller owns it) when the file exists and verifies with
 * |issuer_key| (NULL: with |key|, a self-signed root); NULL when the file does
 * not exist or no longer verifies (its issuer was recreated), and the caller
 * issues a new one. Fails as sim_cert_load does when the file cannot be
 * loaded, and with WARD_ERR_FORMAT when it certifies
 * another key than |key| ("remove both to start over"); *|out| is untouched on
 * failure. */
int sim_ca_reuse(const char *key_path, const char *cert_path, EVP_PKEY *key, EVP_PKEY *issuer_key,
                 X509 **out) WARD_MUST_CHECK;

/* ---- building certificates ---- */

/* The order of a simulator subject's two entries, as the vendor writes them. */
enum sim_name_order {
    SIM_NAME_O_CN, /* O=, then CN= (AMD) */
    SIM_NAME_CN_O, /* CN=, then O= (Intel) */
};

/* sim_cert_new starts an unsigned v3 certificate for |key| (borrowed) with a
 * random 127-bit serial, the validity SIM_NOT_BEFORE .. SIM_NOT_AFTER, the
 * subject CN=|cn|, O=|org| (UTF8String) in |order|, and |issuer|'s subject as
 * issuer (|issuer| NULL: its own, self-issued). The caller owns *|out|, which
 * is untouched on failure; fails with WARD_ERR_CRYPTO or WARD_ERR_NOMEM. */
int sim_cert_new(const char *cn, const char *org, enum sim_name_order order, EVP_PKEY *key,
                 X509 *issuer, X509 **out) WARD_MUST_CHECK;

/* sim_ext_conf adds to |cert| the standard extension |nid| given in openssl.cnf
 * syntax (|value|, e.g. "critical,CA:TRUE"), with |issuer| (may be |cert|) as
 * the issuer for key identifiers. Fails with WARD_ERR_CRYPTO. */
int sim_ext_conf(X509 *cert, X509 *issuer, int nid, const char *value) WARD_MUST_CHECK;

/* sim_ext_raw adds to |cert| the non-critical extension |oid| (dotted text)
 * whose extnValue contents are the |len| bytes at |der| (copied). Fails with
 * WARD_ERR_USAGE when |len| exceeds INT32_MAX, WARD_ERR_CRYPTO or
 * WARD_ERR_NOMEM. */
int sim_ext_raw(X509 *cert, const char *oid, const uint8_t *der, size_t len) WARD_MUST_CHECK;

/* sim_cert_has_org reports whether |cert|'s subject has O=|org|, the marker of
 * the simulator's certificates. */
bool sim_cert_has_org(X509 *cert, const char *org);

/* sim_pem_append appends |cert| as PEM to |w|. */
int sim_pem_append(struct ward_wr *w, X509 *cert) WARD_MUST_CHECK;

#endif
