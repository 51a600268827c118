/*
 * lib/evidence/sim/snp_sim.c: the AMD SEV-SNP simulator. It plays the part of
 * AMD's key distribution (ARK, ASK, ASVK, VCEK/VLEK certificates with AMD's
 * extensions) and of the PSP (a signed ATTESTATION_REPORT), with test roots
 * whose subjects say they are not AMD's. Layout of the state directory: see
 * include/ward/sim.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "evidence/sim/internal.h"
#include "ward/crypto.h"
#include "ward/sim.h"
#include "ward/snp.h"

#define SIM_RSA_BITS 3072   /* AMD uses 4096; 3072 keeps first use fast */
#define SIM_PSS_SALT_LEN 48 /* = SHA-384 length, as AMD signs */
#define SIM_ROOTS_MAX 16    /* named maximum of product directories scanned */
#define SIM_AMD_OID "1.3.6.1.4.1.3704.1"
#define SIM_SNP "snp" /* the state directory is |dir|/snp/<Product> */

/* What differs between the simulated EPYC generations. */
struct sim_product {
    enum ward_snp_product product;
    const char *name;         /* directory name and CN suffix */
    const char *product_name; /* the VCEK's productName extension */
    uint8_t cpuid_fam, cpuid_mod, cpuid_step;
    struct ward_snp_tcb tcb; /* default TCB */
    size_t hwid_len;         /* bytes of CHIP_ID in the VCEK's hwID */
    bool has_fmc;            /* TCB has an FMC SPL (fmcSPL extension) */
};

static const struct sim_product sim_products[] = {
    {WARD_SNP_MILAN, "Milan", "Milan-B0", 0x19, 0x01, 0x01, {0, 4, 0, 22, 213}, 64, false},
    {WARD_SNP_GENOA, "Genoa", "Genoa", 0x19, 0x11, 0x01, {0, 4, 0, 22, 213}, 64, false},
    {WARD_SNP_TURIN, "Turin", "Turin", 0x1A, 0x02, 0x01, {1, 1, 1, 1, 1}, 8, true},
};

/* One CA of the simulated hierarchy: file names and subject CN format. */
struct sim_ca {
    const char *key_file;
    const char *cert_file;
    const char *cn_prefix; /* subject CN is this and the product name */
    const char *basic;     /* basicConstraints value */
};

static const struct sim_ca sim_ark = {"ark.key", "ark.der", "SIM-ARK-", "critical,CA:TRUE"};
static const struct sim_ca sim_ask = {"ask.key", "ask.der", "SIM-SEV-",
                                      "critical,CA:TRUE,pathlen:0"};
static const struct sim_ca sim_asvk = {"asvk.key", "asvk.der", "SIM-SEV-VLEK-",
                                       "critical,CA:TRUE,pathlen:0"};

static inline void sim_ia5_freep(ASN1_IA5STRING **p)
{
    ASN1_IA5STRING_free(*p);
}
static inline void sim_stack_freep(STACK_OF(X509) **p)
{
    sk_X509_pop_free(*p, X509_free);
}
static inline void sim_namesp(struct dirent ***p)
{
    free(*p);
}

static const struct sim_product *sim_product_find(enum ward_snp_product product)
{
    if (product == WARD_SNP_PRODUCT_UNKNOWN) {
        product = WARD_SNP_MILAN;
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(sim_products); i++) {
        if (sim_products[i].product == product) {
            return &sim_products[i];
        }
    }
    return NULL;
}

/* ---- certificates ---- */

/* sim_sign_pss signs |cert| with RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48. */
static WARD_MUST_CHECK int sim_sign_pss(X509 *cert, EVP_PKEY *key)
{
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    GUARD_PTR(md);
    EVP_PKEY_CTX *pctx = NULL; /* owned by |md| */
    GUARD_OSSL(EVP_DigestSignInit(md, &pctx, EVP_sha384(), NULL, key), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, SIM_PSS_SALT_LEN), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha384()), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_sign_ctx(cert, md), WARD_ERR_CRYPTO);
    return WARD_OK;
}

/* sim_ca_make issues a CA certificate for |key|, self-signed when |issuer| is NULL. */
static WARD_MUST_CHECK int sim_ca_make(const struct sim_ca *ca, const char *cn, EVP_PKEY *key,
                                       X509 *issuer, EVP_PKEY *issuer_key, X509 **out)
{
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(sim_cert_new(cn, WARD_SIM_ORG, SIM_NAME_O_CN, key, issuer, &cert));
    GUARD(sim_ext_conf(cert, cert, NID_basic_constraints, ca->basic));
    GUARD(sim_ext_conf(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign"));
    GUARD(sim_ext_conf(cert, cert, NID_subject_key_identifier, "hash"));
    if (issuer != NULL) {
        GUARD(sim_ext_conf(cert, issuer, NID_authority_key_identifier, "keyid:always"));
    }
    GUARD(sim_sign_pss(cert, issuer != NULL ? issuer_key : key));
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

/* sim_ca_ensure loads the CA |ca| of product |sp| from |dir|, or creates it when
 * its files are absent or it is no longer signed by |issuer_key| (the ARK was
 * recreated). |issuer| NULL: the ARK itself. */
static WARD_MUST_CHECK int sim_ca_ensure(const char *dir, const struct sim_product *sp,
                                         const struct sim_ca *ca, X509 *issuer,
                                         EVP_PKEY *issuer_key, EVP_PKEY **out_key, X509 **out_cert)
{
    char key_path[SIM_PATH_MAX], cert_path[SIM_PATH_MAX], cn[64];
    GUARD(sim_path(key_path, dir, SIM_SNP, sp->name, ca->key_file));
    GUARD(sim_path(cert_path, dir, SIM_SNP, sp->name, ca->cert_file));
    int n = snprintf(cn, sizeof(cn), "%s%s", ca->cn_prefix, sp->name);
    WARD_ASSERT(n > 0 && (size_t)n < sizeof(cn));

    DEFER(ward_pkey_freep) EVP_PKEY *key = NULL;
    DEFER(ward_x509_freep) X509 *cert = NULL;
    if (sim_exists(key_path)) {
        GUARD(sim_key_load(key_path, &key));
        GUARD(sim_ca_reuse(key_path, cert_path, key, issuer_key, &cert));
    } else {
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)SIM_RSA_BITS);
        if (key == NULL) {
            return ward_ossl_fail(WARD_ERR_CRYPTO, "EVP_PKEY_Q_keygen(RSA)");
        }
        GUARD(sim_key_save(key_path, key));
    }
    if (cert == NULL) {
        GUARD(sim_ca_make(ca, cn, key, issuer, issuer_key, &cert));
        GUARD(sim_cert_save(cert_path, cert));
    }
    *out_key = key;
    *out_cert = cert;
    key = NULL;
    cert = NULL;
    return WARD_OK;
}

/* sim_chip_key_ensure loads or creates the chip's P-384 VCEK or VLEK key. */
static WARD_MUST_CHECK int sim_chip_key_ensure(const char *dir, const struct sim_product *sp,
                                               bool vlek, EVP_PKEY **out)
{
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, SIM_SNP, sp->name, vlek ? "vlek.key" : "vcek.key"));
    return sim_ec_key_ensure(path, NID_secp384r1, 384, out);
}

/* sim_chip_id_ensure loads or creates the simulated chip's CHIP_ID. */
static WARD_MUST_CHECK int sim_chip_id_ensure(const char *dir, const struct sim_product *sp,
                                              uint8_t out[64])
{
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, SIM_SNP, sp->name, "chip_id"));
    if (sim_exists(path)) {
        DEFER(ward_buf_cleanupp) struct ward_buf id = {0};
        GUARD(ward_read_file(path, SIM_FILE_MAX, &id));
        ENSURE_MSG(id.len == 64 && !ward_is_zero(id.data, id.len), WARD_ERR_FORMAT,
                   "sim: %s must hold 64 bytes, not all zero", path);
        memcpy(out, id.data, 64);
        return WARD_OK;
    }
    uint8_t id[64] = {0};
    /* Turin's CHIP_ID is 8 significant bytes followed by zeros. */
    do {
        GUARD(sim_random(id, sp->hwid_len));
    } while (ward_is_zero(id, sp->hwid_len));
    GUARD(ward_write_file_atomic(path, id, sizeof(id), 0644));
    memcpy(out, id, 64);
    return WARD_OK;
}

/* ---- AMD's VCEK/VLEK extensions ---- */

/* sim_amd_ext adds the non-critical extension |SIM_AMD_OID|.|arc| whose extnValue
 * contents are |der|. */
static WARD_MUST_CHECK int sim_amd_ext(X509 *cert, const char *arc, const uint8_t *der, size_t len)
{
    char oid[64];
    int n = snprintf(oid, sizeof(oid), "%s.%s", SIM_AMD_OID, arc);
    WARD_ASSERT(n > 0 && (size_t)n < sizeof(oid));
    return sim_ext_raw(cert, oid, der, len);
}

/* sim_amd_int adds an extension holding a DER INTEGER. */
static WARD_MUST_CHECK int sim_amd_int(X509 *cert, const char *arc, long v)
{
    DEFER(sim_int_freep) ASN1_INTEGER *i = ASN1_INTEGER_new();
    GUARD_PTR(i);
    GUARD_OSSL(ASN1_INTEGER_set(i, v), WARD_ERR_CRYPTO);
    DEFER(sim_ossl_freep) unsigned char *der = NULL;
    int der_len = i2d_ASN1_INTEGER(i, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(sim_amd_ext(cert, arc, der, (size_t)der_len));
    return WARD_OK;
}

/* sim_amd_ia5 adds an extension holding a DER IA5String. */
static WARD_MUST_CHECK int sim_amd_ia5(X509 *cert, const char *arc, const char *s)
{
    DEFER(sim_ia5_freep) ASN1_IA5STRING *str = ASN1_IA5STRING_new();
    GUARD_PTR(str);
    GUARD_OSSL(ASN1_STRING_set(str, s, -1), WARD_ERR_CRYPTO);
    DEFER(sim_ossl_freep) unsigned char *der = NULL;
    int der_len = i2d_ASN1_IA5STRING(str, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(sim_amd_ext(cert, arc, der, (size_t)der_len));
    return WARD_OK;
}

/* sim_leaf_make issues the VCEK (or VLEK) certificate for |key| at |tcb|, in
 * the extension order of AMD's KDS. */
static WARD_MUST_CHECK int sim_leaf_make(const struct sim_product *sp, bool vlek,
                                         const struct ward_snp_tcb *tcb, const uint8_t chip_id[64],
                                         EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                                         X509 **out)
{
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(sim_cert_new(vlek ? "SIM-SEV-VLEK" : "SIM-SEV-VCEK", WARD_SIM_ORG, SIM_NAME_O_CN, key,
                       issuer, &cert));
    GUARD(sim_amd_int(cert, "1", 0));                 /* structVersion */
    GUARD(sim_amd_ia5(cert, "2", sp->product_name));  /* productName */
    GUARD(sim_amd_int(cert, "3.1", tcb->bootloader)); /* blSPL */
    GUARD(sim_amd_int(cert, "3.2", tcb->tee));        /* teeSPL */
    GUARD(sim_amd_int(cert, "3.4", 0));               /* spl_4 .. spl_7 */
    GUARD(sim_amd_int(cert, "3.5", 0));
    GUARD(sim_amd_int(cert, "3.6", 0));
    GUARD(sim_amd_int(cert, "3.7", 0));
    GUARD(sim_amd_int(cert, "3.3", tcb->snp));       /* snpSPL */
    GUARD(sim_amd_int(cert, "3.8", tcb->microcode)); /* ucodeSPL */
    if (sp->has_fmc) {
        GUARD(sim_amd_int(cert, "3.9", tcb->fmc)); /* fmcSPL */
    }
    if (vlek) {
        GUARD(sim_amd_ia5(cert, "5", WARD_SIM_CSP_ID)); /* csp_id */
    } else {
        GUARD(sim_amd_ext(cert, "4", chip_id, sp->hwid_len)); /* hwID, raw bytes */
    }
    GUARD(sim_sign_pss(cert, issuer_key));
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

/* ---- the report ---- */

static WARD_MUST_CHECK int sim_version(uint32_t version, uint32_t *out)
{
    if (version == 0) {
        version = 5;
    }
    ENSURE_MSG(version == 3 || version == 5, WARD_ERR_USAGE,
               "sim: report version %u is not simulated (3 or 5)", version);
    *out = version;
    return WARD_OK;
}

int ward_snp_sim_defaults(enum ward_snp_product product, uint32_t version,
                          struct ward_snp_report *out)
{
    WARD_ASSERT(out != NULL);
    const struct sim_product *sp = sim_product_find(product);
    ENSURE_MSG(sp != NULL, WARD_ERR_USAGE, "sim: unknown SEV-SNP product %d", (int)product);
    struct ward_snp_report r;
    memset(&r, 0, sizeof(r));
    GUARD(sim_version(version, &r.version));
    r.policy = WARD_SNP_POLICY_SMT | WARD_SNP_POLICY_RESERVED_ONE;
    r.vmpl = 0;
    r.signature_algo = WARD_SNP_SIG_ALGO_ECDSA_P384_SHA384;
    uint64_t tcb = ward_snp_tcb_encode(&sp->tcb, sp->product);
    r.current_tcb = tcb;
    r.reported_tcb = tcb;
    r.committed_tcb = tcb;
    r.launch_tcb = tcb;
    r.platform_info = WARD_SNP_PLATFORM_SMT_EN | WARD_SNP_PLATFORM_ECC_EN |
                      WARD_SNP_PLATFORM_ALIAS_CHECK_COMPLETE;
    r.flags = (uint32_t)WARD_SNP_KEY_VCEK << 2;
    GUARD(sim_random(r.measurement, sizeof(r.measurement)));
    GUARD(sim_random(r.report_id, sizeof(r.report_id)));
    memset(r.report_id_ma, 0xff, sizeof(r.report_id_ma));
    r.cpuid_fam_id = sp->cpuid_fam;
    r.cpuid_mod_id = sp->cpuid_mod;
    r.cpuid_step = sp->cpuid_step;
    r.current_major = r.committed_major = 1;
    r.current_minor = r.committed_minor = 55;
    r.current_build = r.committed_build = 8;
    *out = r;
    return WARD_OK;
}

/* sim_report_prepare builds the report to sign from |opts| (without CHIP_ID). */
static WARD_MUST_CHECK int sim_report_prepare(const struct ward_snp_sim_opts *opts,
                                              const struct sim_product *sp,
                                              struct ward_snp_report *out)
{
    struct ward_snp_report r;
    if (opts->template == NULL) {
        GUARD(ward_snp_sim_defaults(sp->product, opts->version, &r));
    } else {
        r = *opts->template;
        GUARD(sim_version(opts->version != 0 ? opts->version : r.version, &r.version));
    }
    r.signature_algo = WARD_SNP_SIG_ALGO_ECDSA_P384_SHA384;
    enum ward_snp_signing_key signer = opts->vlek ? WARD_SNP_KEY_VLEK : WARD_SNP_KEY_VCEK;
    r.flags = (r.flags & ~(7u << 2)) | ((uint32_t)signer << 2);
    if (r.cpuid_fam_id == 0 && r.cpuid_mod_id == 0 && r.cpuid_step == 0) {
        r.cpuid_fam_id = sp->cpuid_fam;
        r.cpuid_mod_id = sp->cpuid_mod;
        r.cpuid_step = sp->cpuid_step;
    }
    enum ward_snp_product claimed = ward_snp_product_from_cpuid(&r);
    ENSURE_MSG(claimed == sp->product, WARD_ERR_USAGE,
               "sim: template CPUID %02x/%02x is %s, not the simulated %s", r.cpuid_fam_id,
               r.cpuid_mod_id, ward_snp_product_name(claimed), sp->name);
    memset(r.sig_r, 0, sizeof(r.sig_r));
    memset(r.sig_s, 0, sizeof(r.sig_s));
    *out = r;
    return WARD_OK;
}

/* sim_report_sign signs |r| in place with |key| and encodes it into |out|. */
static WARD_MUST_CHECK int sim_report_sign(struct ward_snp_report *r, EVP_PKEY *key,
                                           uint8_t out[WARD_SNP_REPORT_LEN])
{
    GUARD(ward_snp_report_encode(r, out));
    GUARD(ward_ecdsa_sign_raw(key, WARD_SHA384, out, WARD_SNP_SIGNED_LEN, r->sig_r, r->sig_s,
                              WARD_SNP_SIG_COMP_LEN, WARD_ECDSA_LE));
    GUARD(ward_snp_report_encode(r, out));
    return WARD_OK;
}

int ward_snp_sim_report(const struct ward_snp_sim_opts *opts,
                        uint8_t out_report[WARD_SNP_REPORT_LEN], struct ward_buf *out_leaf,
                        struct ward_buf *out_ask, struct ward_buf *out_ark)
{
    WARD_ASSERT(opts != NULL && opts->dir != NULL && out_report != NULL);
    WARD_ASSERT(out_leaf != NULL && out_ask != NULL && out_ark != NULL);
    const struct sim_product *sp = sim_product_find(opts->product);
    ENSURE_MSG(sp != NULL, WARD_ERR_USAGE, "sim: unknown SEV-SNP product %d", (int)opts->product);

    struct ward_snp_report r;
    GUARD(sim_report_prepare(opts, sp, &r));

    DEFER(sim_closep) int lock_fd = -1;
    GUARD(sim_lock(opts->dir, SIM_SNP, sp->name, &lock_fd));

    DEFER(ward_pkey_freep) EVP_PKEY *ark_key = NULL;
    DEFER(ward_x509_freep) X509 *ark = NULL;
    GUARD(sim_ca_ensure(opts->dir, sp, &sim_ark, NULL, NULL, &ark_key, &ark));
    DEFER(ward_pkey_freep) EVP_PKEY *ask_key = NULL;
    DEFER(ward_x509_freep) X509 *ask = NULL;
    GUARD(sim_ca_ensure(opts->dir, sp, opts->vlek ? &sim_asvk : &sim_ask, ark, ark_key, &ask_key,
                        &ask));

    if (ward_is_zero(r.chip_id, sizeof(r.chip_id))) {
        GUARD(sim_chip_id_ensure(opts->dir, sp, r.chip_id));
    }
    DEFER(ward_pkey_freep) EVP_PKEY *chip_key = NULL;
    GUARD(sim_chip_key_ensure(opts->dir, sp, opts->vlek, &chip_key));

    struct ward_snp_tcb tcb;
    ward_snp_tcb_decode(r.reported_tcb, sp->product, &tcb);
    DEFER(ward_x509_freep) X509 *leaf = NULL;
    GUARD(sim_leaf_make(sp, opts->vlek, &tcb, r.chip_id, chip_key, ask, ask_key, &leaf));

    uint8_t report[WARD_SNP_REPORT_LEN];
    GUARD(sim_report_sign(&r, chip_key, report));

    DEFER(ward_buf_cleanupp) struct ward_buf leaf_der = {0};
    DEFER(ward_buf_cleanupp) struct ward_buf ask_der = {0};
    DEFER(ward_buf_cleanupp) struct ward_buf ark_der = {0};
    GUARD(sim_cert_der(leaf, &leaf_der));
    GUARD(sim_cert_der(ask, &ask_der));
    GUARD(sim_cert_der(ark, &ark_der));

    memcpy(out_report, report, WARD_SNP_REPORT_LEN);
    ward_buf_cleanup(out_leaf);
    ward_buf_cleanup(out_ask);
    ward_buf_cleanup(out_ark);
    *out_leaf = leaf_der;
    *out_ask = ask_der;
    *out_ark = ark_der;
    leaf_der = (struct ward_buf){0};
    ask_der = (struct ward_buf){0};
    ark_der = (struct ward_buf){0};
    return WARD_OK;
}

static int sim_dir_filter(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

int ward_snp_sim_roots(const char *dir, STACK_OF(X509) *roots)
{
    WARD_ASSERT(dir != NULL && roots != NULL);
    char snp_dir[SIM_PATH_MAX];
    int n = snprintf(snp_dir, sizeof(snp_dir), "%s/snp", dir);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(snp_dir), WARD_ERR_USAGE, "sim: path too long: %s", dir);

    DEFER(sim_namesp) struct dirent **names = NULL;
    int num_names = scandir(snp_dir, &names, sim_dir_filter, alphasort);
    if (num_names < 0 && errno == ENOENT) {
        num_names = 0;
    }
    ENSURE_MSG(num_names >= 0, WARD_ERR_IO, "sim: cannot read %s: %s", snp_dir, strerror(errno));

    DEFER(sim_stack_freep) STACK_OF(X509) *found = sk_X509_new_null();
    int rc = WARD_OK;
    if (found == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < num_names && rc == WARD_OK; i++) {
        char path[SIM_PATH_MAX];
        X509 *ark = NULL;
        rc = sim_path(path, dir, SIM_SNP, names[i]->d_name, sim_ark.cert_file);
        if (rc != WARD_OK || !sim_exists(path)) {
            continue;
        }
        if (sk_X509_num(found) >= SIM_ROOTS_MAX) {
            rc = ward_err_set(WARD_ERR_NOMEM, "sim: more than %d product directories in %s",
                              SIM_ROOTS_MAX, snp_dir);
            break;
        }
        rc = sim_cert_load(path, &ark);
        if (rc == WARD_OK && !sim_cert_has_org(ark, WARD_SIM_ORG)) {
            rc = ward_err_set(WARD_ERR_FORMAT, "sim: %s is not a simulator root (no O=%s)", path,
                              WARD_SIM_ORG);
        }
        if (rc == WARD_OK && sk_X509_push(found, ark) <= 0) {
            rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
        if (rc != WARD_OK) {
            X509_free(ark);
        }
    }
    for (int i = 0; i < num_names; i++) {
        free(names[i]);
    }
    GUARD(rc);
    ENSURE_MSG(sk_X509_num(found) > 0, WARD_ERR_NOT_FOUND,
               "sim: no simulator roots in %s (run 'ward sim snp --dir %s' first)", snp_dir, dir);

    /* Move: |roots| takes a reference to each, all or nothing. */
    int old = sk_X509_num(roots);
    for (int i = 0; i < sk_X509_num(found); i++) {
        if (sk_X509_push(roots, sk_X509_value(found, i)) <= 0) {
            while (sk_X509_num(roots) > old) {
                sk_X509_pop(roots);
            }
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    for (int i = 0; i < sk_X509_num(found); i++) {
        X509_up_ref(sk_X509_value(found, i));
    }
    return WARD_OK;
}
