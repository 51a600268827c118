/*
 * lib/evidence/sim/tdx_sim.c: the Intel TDX simulator. It plays the part of
 * Intel's PKI (a root CA, the PCK Platform CA, the TCB signing certificate and
 * a PCK certificate with Intel's SGX extension), of the platform's Quoting
 * Enclave (a QE report over the attestation key, signed by the PCK key, and a
 * v4 or v5 quote signed by the attestation key) and of Intel's PCS (TCB info,
 * QE identity and CRLs, as one DCAP collateral bundle). Every subject says it
 * is not Intel's. Layout of the state directory: see include/ward/sim.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "evidence/sim/internal.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/sim.h"
#include "ward/tdx.h"

#define TDX_DER_MAX 4096u         /* named maximum of the SGX extension we build */
#define TDX_PEM_MAX (16u * 1024u) /* named maximum of a PEM chain we build */
#define TDX_QUOTE_MAX (64u * 1024u)
#define TDX_SGX_EXT_OID "1.2.840.113741.1.13.1"
#define TDX_HOUR 3600
#define TDX_DAY (24 * TDX_HOUR)
#define TDX_TCB_EVAL_NUM 17
#define TDX_SIM "tdx" /* the state directory is |dir|/tdx */

/* DER of the SGX extension's OID 1.2.840.113741.1.13.1; its fields append arcs. */
static const uint8_t tdx_sgx_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};

/* One certificate authority (or signer) of the simulated Intel PKI. */
struct tdx_ca {
    const char *key_file;
    const char *cert_file;
    const char *cn;
    const char *basic; /* basicConstraints value */
    const char *usage; /* keyUsage value */
};

static const struct tdx_ca tdx_root = {"root.key", "root.der", "SIM Intel SGX Root CA",
                                       "critical,CA:TRUE,pathlen:1",
                                       "critical,keyCertSign,cRLSign"};
static const struct tdx_ca tdx_pck_ca = {
    "pck_ca.key", "pck_ca.der", "SIM Intel SGX PCK Platform CA", "critical,CA:TRUE,pathlen:0",
    "critical,keyCertSign,cRLSign"};
static const struct tdx_ca tdx_tcb_signer = {"tcb_signing.key", "tcb_signing.der",
                                             "SIM Intel SGX TCB Signing", "critical,CA:FALSE",
                                             "critical,digitalSignature,nonRepudiation"};
#define TDX_PCK_CN "SIM Intel SGX PCK Certificate"

/* One TCB level of the simulated platform's TCB info. The platform itself is at
 * level 0, or at level 1 when asked to be out of date (see ward_tdx_sim_opts). */
struct tdx_level {
    uint8_t sgx[16]; /* sgxtcbcomponents: the PCK certificate's TCB */
    uint16_t pcesvn;
    uint8_t tdx[16]; /* tdxtcbcomponents: the quote's TEE_TCB_SVN */
    const char *date;
    const char *status;
    const char *advisory; /* NULL: none */
};

static const struct tdx_level tdx_levels[2] = {
    {{2, 2, 2, 2, 3, 1, 0, 5}, 11, {3, 1, 2}, "2024-03-13T00:00:00Z", "UpToDate", NULL},
    {{2, 2, 2, 2, 3, 1, 0, 5}, 5, {3, 1, 1}, "2018-01-04T00:00:00Z", "OutOfDate", "INTEL-SA-00000"},
};

/* category/type of the TCB components, as Intel's TCB info names them. */
struct tdx_comp_name {
    const char *category;
    const char *type;
};
static const struct tdx_comp_name tdx_sgx_names[16] = {
    {"BIOS", "Early Microcode Update"},
    {"OS/VMM", "SGX Late Microcode Update"},
    {"OS/VMM", "TXT SINIT"},
    {"BIOS", NULL},
    {"BIOS", NULL},
    {"BIOS", NULL},
    {NULL, NULL},
    {"OS/VMM", "SEAMLDR ACM"},
};
static const struct tdx_comp_name tdx_tdx_names[16] = {
    {"OS/VMM", "TDX Module"},
    {"OS/VMM", "TDX Module"},
    {"OS/VMM", "TDX Late Microcode Update"},
};

/* The simulated TDX module: TEE_TCB_SVN[0] is its SVN, [1] its major version,
 * so its identity in the TCB info is "TDX_01". */
#define TDX_MODULE_ISVSVN 3
#define TDX_MODULE_ID_CURRENT "TDX_01"
#define TDX_MODULE_ID_OTHER "TDX_03"

/* The simulated TD Quoting Enclave (Intel's TD_QE: ISVPRODID 2; ATTRIBUTES
 * INIT|MODE64BIT|PROVISIONKEY with XFRM 0xE7, which Intel's identity masks to 0x11). */
#define TDX_QE_ISVPRODID 2
#define TDX_QE_ISVSVN 8
#define TDX_QE_IDENTITY_ISVSVN 4
#define TDX_QE_AUTH_LEN 32

static inline void tdx_time_freep(ASN1_TIME **p)
{
    ASN1_TIME_free(*p);
}
static inline void tdx_crl_freep(X509_CRL **p)
{
    X509_CRL_free(*p);
}
static inline void tdx_json_freep(json_t **p)
{
    json_decref(*p);
}
static inline void tdx_collateral_cleanupp(struct ward_dcap_collateral *c)
{
    ward_dcap_collateral_cleanup(c);
}

/* tdx_label_digest derives a fixed, recognisable measurement from |label|. */
static WARD_MUST_CHECK int tdx_label_digest(enum ward_hash h, const char *label, uint8_t *out)
{
    return ward_digest(h, (const uint8_t *)label, strlen(label), out);
}

/* ---- files (see internal.h) ---- */

/* tdx_key_ensure loads the P-256 key |file|, or creates it on first use. */
static WARD_MUST_CHECK int tdx_key_ensure(const char *dir, const char *file, EVP_PKEY **out)
{
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, TDX_SIM, NULL, file));
    return sim_ec_key_ensure(path, NID_X9_62_prime256v1, 256, out);
}

/* tdx_ppid_ensure loads or creates the platform's 16-byte PPID. */
static WARD_MUST_CHECK int tdx_ppid_ensure(const char *dir, uint8_t out[16])
{
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, TDX_SIM, NULL, "ppid"));
    if (sim_exists(path)) {
        DEFER(ward_buf_cleanupp) struct ward_buf id = {0};
        GUARD(ward_read_file(path, SIM_FILE_MAX, &id));
        ENSURE_MSG(id.len == 16, WARD_ERR_FORMAT, "sim: %s must hold 16 bytes", path);
        memcpy(out, id.data, 16);
        return WARD_OK;
    }
    uint8_t id[16];
    GUARD(sim_random(id, sizeof(id)));
    GUARD(ward_write_file_atomic(path, id, sizeof(id), 0644));
    memcpy(out, id, sizeof(id));
    return WARD_OK;
}

/* ---- certificates ---- */

/* tdx_cert_finish adds the key identifiers, usage and constraints in the order
 * of Intel's certificates and signs with ECDSA-SHA256. */
static WARD_MUST_CHECK int tdx_cert_finish(X509 *cert, X509 *issuer, const char *basic,
                                           const char *usage)
{
    if (issuer != NULL) {
        GUARD(sim_ext_conf(cert, issuer, NID_authority_key_identifier, "keyid:always"));
    }
    GUARD(sim_ext_conf(cert, cert, NID_subject_key_identifier, "hash"));
    GUARD(sim_ext_conf(cert, cert, NID_key_usage, usage));
    GUARD(sim_ext_conf(cert, cert, NID_basic_constraints, basic));
    return WARD_OK;
}

static WARD_MUST_CHECK int tdx_sign_cert(X509 *cert, EVP_PKEY *key)
{
    GUARD_OSSL(X509_sign(cert, key, EVP_sha256()), WARD_ERR_CRYPTO);
    return WARD_OK;
}

/* tdx_ca_ensure loads |ca| from |dir|, or (re)creates it when its files are
 * absent or it is no longer signed by |issuer_key| (the root was recreated).
 * |issuer| NULL: the self-signed root. */
static WARD_MUST_CHECK int tdx_ca_ensure(const char *dir, const struct tdx_ca *ca, X509 *issuer,
                                         EVP_PKEY *issuer_key, EVP_PKEY **out_key, X509 **out_cert)
{
    char key_path[SIM_PATH_MAX], cert_path[SIM_PATH_MAX];
    GUARD(sim_path(key_path, dir, TDX_SIM, NULL, ca->key_file));
    GUARD(sim_path(cert_path, dir, TDX_SIM, NULL, ca->cert_file));

    DEFER(ward_pkey_freep) EVP_PKEY *key = NULL;
    DEFER(ward_x509_freep) X509 *cert = NULL;
    if (sim_exists(key_path)) {
        GUARD(sim_key_load_ec(key_path, 256, &key));
        GUARD(sim_ca_reuse(key_path, cert_path, key, issuer_key, &cert));
    } else {
        GUARD(ward_ec_key_generate(NID_X9_62_prime256v1, &key));
        GUARD(sim_key_save(key_path, key));
    }
    if (cert == NULL) {
        GUARD(sim_cert_new(ca->cn, WARD_SIM_ORG_INTEL, SIM_NAME_CN_O, key, issuer, &cert));
        GUARD(tdx_cert_finish(cert, issuer, ca->basic, ca->usage));
        GUARD(tdx_sign_cert(cert, issuer != NULL ? issuer_key : key));
        GUARD(sim_cert_save(cert_path, cert));
    }
    *out_key = key;
    *out_cert = cert;
    key = NULL;
    cert = NULL;
    return WARD_OK;
}

/* ---- the SGX extension of the PCK certificate, hand-assembled DER ---- */

static size_t der_head_len(size_t len)
{
    return len < 0x80 ? 2 : len <= 0xff ? 3 : 4;
}

/* der_head writes a tag and a minimal definite length (at most 0xffff). */
static WARD_MUST_CHECK int der_head(struct ward_wr *w, uint8_t tag, size_t len)
{
    GUARD(ward_wr_u8(w, tag));
    if (len < 0x80) {
        return ward_wr_u8(w, (uint8_t)len);
    }
    if (len <= 0xff) {
        GUARD(ward_wr_u8(w, 0x81));
        return ward_wr_u8(w, (uint8_t)len);
    }
    ENSURE_MSG(len <= 0xffff, WARD_ERR_NOMEM, "sim: DER element of %zu bytes", len);
    GUARD(ward_wr_u8(w, 0x82));
    return ward_wr_u16be(w, (uint16_t)len);
}

/* der_entry appends SEQUENCE { OID sgx.|arc1|[.|arc2|], |tag| |val| }, one field
 * of the SGX extension (|arc2| 0: a top-level field). */
static WARD_MUST_CHECK int der_entry(struct ward_wr *w, uint8_t arc1, uint8_t arc2, uint8_t tag,
                                     const uint8_t *val, size_t len)
{
    size_t oid_len = sizeof(tdx_sgx_oid) + 1 + (arc2 != 0);
    size_t seq_len = der_head_len(oid_len) + oid_len + der_head_len(len) + len;
    GUARD(der_head(w, 0x30, seq_len));
    GUARD(der_head(w, 0x06, oid_len));
    GUARD(ward_wr_bytes(w, tdx_sgx_oid, sizeof(tdx_sgx_oid)));
    GUARD(ward_wr_u8(w, arc1));
    if (arc2 != 0) {
        GUARD(ward_wr_u8(w, arc2));
    }
    GUARD(der_head(w, tag, len));
    GUARD(ward_wr_bytes(w, val, len));
    return WARD_OK;
}

/* der_entry_uint is der_entry for a non-negative INTEGER (minimal encoding). */
static WARD_MUST_CHECK int der_entry_uint(struct ward_wr *w, uint8_t arc1, uint8_t arc2, uint32_t v)
{
    uint8_t be[5] = {0, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    size_t start = 1;
    while (start < 4 && be[start] == 0) {
        start++;
    }
    if (be[start] & 0x80) {
        start--; /* a leading zero keeps it positive */
    }
    return der_entry(w, arc1, arc2, 0x02, be + start, sizeof(be) - start);
}

/* tdx_sgx_ext_der builds the extension value (Intel "SGX PCK Certificate and
 * CRL Profile" 1.2.840.113741.1.13.1, the fields of a Standard platform). */
static WARD_MUST_CHECK int tdx_sgx_ext_der(const uint8_t ppid[16], const struct tdx_level *lvl,
                                           const uint8_t fmspc[6], struct ward_buf *out)
{
    DEFER(ward_wr_cleanupp) struct ward_wr tcb;
    ward_wr_init(&tcb, TDX_DER_MAX);
    for (uint8_t i = 0; i < 16; i++) {
        GUARD(der_entry_uint(&tcb, 2, (uint8_t)(i + 1), lvl->sgx[i])); /* sgxTcbCompNNSvn */
    }
    GUARD(der_entry_uint(&tcb, 2, 17, lvl->pcesvn));                 /* pcesvn */
    GUARD(der_entry(&tcb, 2, 18, 0x04, lvl->sgx, sizeof(lvl->sgx))); /* cpusvn */

    static const uint8_t pceid[2] = {0, 0};
    static const uint8_t sgx_type_standard = 0;
    DEFER(ward_wr_cleanupp) struct ward_wr fields;
    ward_wr_init(&fields, TDX_DER_MAX);
    GUARD(der_entry(&fields, 1, 0, 0x04, ppid, 16));              /* PPID */
    GUARD(der_entry(&fields, 2, 0, 0x30, tcb.p, tcb.len));        /* TCB */
    GUARD(der_entry(&fields, 3, 0, 0x04, pceid, sizeof(pceid)));  /* PCE-ID */
    GUARD(der_entry(&fields, 4, 0, 0x04, fmspc, 6));              /* FMSPC */
    GUARD(der_entry(&fields, 5, 0, 0x0a, &sgx_type_standard, 1)); /* SGX Type */

    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, TDX_DER_MAX);
    GUARD(der_head(&w, 0x30, fields.len));
    GUARD(ward_wr_bytes(&w, fields.p, fields.len));
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* tdx_pck_make issues the PCK certificate for |key| with the SGX extension. */
static WARD_MUST_CHECK int tdx_pck_make(EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
                                        const uint8_t ppid[16], const struct tdx_level *lvl,
                                        const uint8_t fmspc[6], X509 **out)
{
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(sim_cert_new(TDX_PCK_CN, WARD_SIM_ORG_INTEL, SIM_NAME_CN_O, key, issuer, &cert));
    GUARD(tdx_cert_finish(cert, issuer, "critical,CA:FALSE",
                          "critical,digitalSignature,nonRepudiation"));

    DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
    GUARD(tdx_sgx_ext_der(ppid, lvl, fmspc, &der));
    GUARD(sim_ext_raw(cert, TDX_SGX_EXT_OID, der.data, der.len));
    GUARD(tdx_sign_cert(cert, issuer_key));
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

/* tdx_pem_chain writes the PEM of |a| then |b| then |c| (|c| may be NULL). */
static WARD_MUST_CHECK int tdx_pem_chain(X509 *a, X509 *b, X509 *c, struct ward_buf *out)
{
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, TDX_PEM_MAX);
    GUARD(sim_pem_append(&w, a));
    GUARD(sim_pem_append(&w, b));
    if (c != NULL) {
        GUARD(sim_pem_append(&w, c));
    }
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* ---- CRLs ---- */

/* tdx_crl_make issues an empty v2 CRL by |issuer|, valid [now-1d, now+30d], DER. */
static WARD_MUST_CHECK int tdx_crl_make(X509 *issuer, EVP_PKEY *issuer_key, int64_t now,
                                        struct ward_buf *out)
{
    DEFER(tdx_crl_freep) X509_CRL *crl = X509_CRL_new();
    GUARD_PTR(crl);
    GUARD_OSSL(X509_CRL_set_version(crl, X509_CRL_VERSION_2), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)), WARD_ERR_CRYPTO);
    DEFER(tdx_time_freep) ASN1_TIME *last = ASN1_TIME_adj(NULL, (time_t)now, -1, 0);
    DEFER(tdx_time_freep) ASN1_TIME *next = ASN1_TIME_adj(NULL, (time_t)now, 30, 0);
    GUARD_PTR(last);
    GUARD_PTR(next);
    GUARD_OSSL(X509_CRL_set1_lastUpdate(crl, last), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_CRL_set1_nextUpdate(crl, next), WARD_ERR_CRYPTO);

    DEFER(sim_int_freep) ASN1_INTEGER *number = ASN1_INTEGER_new();
    GUARD_PTR(number);
    GUARD_OSSL(ASN1_INTEGER_set(number, 1), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_CRL_add1_ext_i2d(crl, NID_crl_number, number, 0, 0), WARD_ERR_CRYPTO);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
    DEFER(sim_ext_freep)
    X509_EXTENSION *aki =
        X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
    if (aki == NULL) {
        return ward_ossl_fail(WARD_ERR_CRYPTO, "X509V3_EXT_nconf_nid");
    }
    GUARD_OSSL(X509_CRL_add_ext(crl, aki, -1), WARD_ERR_CRYPTO);
    GUARD_OSSL(X509_CRL_sign(crl, issuer_key, EVP_sha256()), WARD_ERR_CRYPTO);

    DEFER(sim_ossl_freep) unsigned char *der = NULL;
    int der_len = i2d_X509_CRL(crl, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(ward_buf_set(out, der, (size_t)der_len));
    return WARD_OK;
}

/* ---- TCB info and QE identity ---- */

/* tdx_hex_upper writes |len| bytes as uppercase hex (Intel's style) into |out|. */
static void tdx_hex_upper(const uint8_t *p, size_t len, char *out)
{
    ward_hex_encode(p, len, out);
    for (size_t i = 0; i < 2 * len; i++) {
        out[i] = (char)toupper((unsigned char)out[i]);
    }
}

/* tdx_take hands over the object in *|p| and clears *|p|, so that a DEFER'd
 * variable does not release what jansson has taken (even on failure). */
static json_t *tdx_take(json_t **p)
{
    json_t *v = *p;
    *p = NULL;
    return v;
}

/* tdx_json_set adds |key| = |v| to |obj|, taking |v| even on failure (NULL: out
 * of memory). */
static WARD_MUST_CHECK int tdx_json_set(json_t *obj, const char *key, json_t *v)
{
    ENSURE_MSG(v != NULL && json_object_set_new(obj, key, v) == 0, WARD_ERR_NOMEM,
               "sim: out of memory building JSON");
    return WARD_OK;
}

static WARD_MUST_CHECK int tdx_json_hex(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
    char hex[2 * 48 + 1];
    WARD_ASSERT(len <= 48);
    tdx_hex_upper(p, len, hex);
    return tdx_json_set(obj, key, json_string(hex));
}

/* tdx_json_append adds |v| to |arr|, taking |v| even on failure. */
static WARD_MUST_CHECK int tdx_json_append(json_t *arr, json_t *v)
{
    ENSURE_MSG(v != NULL && json_array_append_new(arr, v) == 0, WARD_ERR_NOMEM,
               "sim: out of memory building JSON");
    return WARD_OK;
}

/* tdx_json_new makes an empty object or array into *out. */
static WARD_MUST_CHECK int tdx_json_new(bool array, json_t **out)
{
    *out = array ? json_array() : json_object();
    GUARD_PTR(*out);
    return WARD_OK;
}

/* tdx_components builds [{"svn":N,"category":..,"type":..} x16]. */
static WARD_MUST_CHECK int tdx_components(const uint8_t svn[16],
                                          const struct tdx_comp_name names[16], json_t **out)
{
    DEFER(tdx_json_freep) json_t *arr = NULL;
    GUARD(tdx_json_new(true, &arr));
    for (size_t i = 0; i < 16; i++) {
        DEFER(tdx_json_freep) json_t *c = NULL;
        GUARD(tdx_json_new(false, &c));
        GUARD(tdx_json_set(c, "svn", json_integer(svn[i])));
        if (names[i].category != NULL) {
            GUARD(tdx_json_set(c, "category", json_string(names[i].category)));
        }
        if (names[i].type != NULL) {
            GUARD(tdx_json_set(c, "type", json_string(names[i].type)));
        }
        GUARD(tdx_json_append(arr, tdx_take(&c)));
    }
    *out = arr;
    arr = NULL;
    return WARD_OK;
}

/* tdx_level_json builds {"tcb":{..},"tcbDate":..,"tcbStatus":..[,"advisoryIDs":[..]]}
 * from |tcb| (taken). */
static WARD_MUST_CHECK int tdx_level_json(json_t *tcb, const char *date, const char *status,
                                          const char *advisory, json_t **out)
{
    DEFER(tdx_json_freep) json_t *t = tcb;
    DEFER(tdx_json_freep) json_t *lvl = NULL;
    GUARD(tdx_json_new(false, &lvl));
    GUARD(tdx_json_set(lvl, "tcb", tdx_take(&t)));
    GUARD(tdx_json_set(lvl, "tcbDate", json_string(date)));
    GUARD(tdx_json_set(lvl, "tcbStatus", json_string(status)));
    if (advisory != NULL) {
        DEFER(tdx_json_freep) json_t *ids = NULL;
        GUARD(tdx_json_new(true, &ids));
        GUARD(tdx_json_append(ids, json_string(advisory)));
        GUARD(tdx_json_set(lvl, "advisoryIDs", tdx_take(&ids)));
    }
    *out = lvl;
    lvl = NULL;
    return WARD_OK;
}

/* tdx_isvsvn_level builds a level whose tcb is {"isvsvn":N}. */
static WARD_MUST_CHECK int tdx_isvsvn_level(unsigned isvsvn, const char *date, const char *status,
                                            json_t **out)
{
    json_t *tcb = json_object();
    GUARD_PTR(tcb);
    if (json_object_set_new(tcb, "isvsvn", json_integer(isvsvn)) != 0) {
        json_decref(tcb);
        return ward_err_set(WARD_ERR_NOMEM, "sim: out of memory building JSON");
    }
    return tdx_level_json(tcb, date, status, NULL, out);
}

/* tdx_module_json builds tdxModule's mrsigner/attributes/attributesMask into |obj|. */
static WARD_MUST_CHECK int tdx_module_fields(json_t *obj, const uint8_t mrsigner[48])
{
    GUARD(tdx_json_hex(obj, "mrsigner", mrsigner, 48));
    GUARD(tdx_json_set(obj, "attributes", json_string("0000000000000000")));
    GUARD(tdx_json_set(obj, "attributesMask", json_string("FFFFFFFFFFFFFFFF")));
    return WARD_OK;
}

/* tdx_module_identity builds one tdxModuleIdentities entry; |with_old| adds an
 * OutOfDate level below the module's SVN. */
static WARD_MUST_CHECK int tdx_module_identity(const char *id, const uint8_t mrsigner[48],
                                               bool with_old, json_t **out)
{
    DEFER(tdx_json_freep) json_t *m = NULL;
    DEFER(tdx_json_freep) json_t *levels = NULL;
    GUARD(tdx_json_new(false, &m));
    GUARD(tdx_json_new(true, &levels));
    GUARD(tdx_json_set(m, "id", json_string(id)));
    GUARD(tdx_module_fields(m, mrsigner));
    json_t *lvl = NULL;
    GUARD(tdx_isvsvn_level(TDX_MODULE_ISVSVN, tdx_levels[0].date, "UpToDate", &lvl));
    GUARD(tdx_json_append(levels, lvl));
    if (with_old) {
        GUARD(tdx_isvsvn_level(TDX_MODULE_ISVSVN - 1, tdx_levels[1].date, "OutOfDate", &lvl));
        GUARD(tdx_json_append(levels, lvl));
    }
    GUARD(tdx_json_set(m, "tcbLevels", tdx_take(&levels)));
    *out = m;
    m = NULL;
    return WARD_OK;
}

/* tdx_dumps serialises |v| compactly into |out|, without a NUL. */
static WARD_MUST_CHECK int tdx_dumps(const json_t *v, struct ward_buf *out)
{
    DEFER(ward_freep) char *text = ward_json_dumps(v, false);
    GUARD_PTR(text);
    GUARD(ward_buf_set(out, (const uint8_t *)text, strlen(text)));
    return WARD_OK;
}

/* tdx_tcb_info_text writes the tcbInfo member, in Intel's field order. */
static WARD_MUST_CHECK int tdx_tcb_info_text(const uint8_t fmspc[6], const uint8_t mrsignerseam[48],
                                             int64_t now, struct ward_buf *out)
{
    char issue[32], next[32];
    ward_time_format(now - TDX_HOUR, issue);
    ward_time_format(now + 30 * TDX_DAY, next);

    DEFER(tdx_json_freep) json_t *ti = NULL;
    GUARD(tdx_json_new(false, &ti));
    GUARD(tdx_json_set(ti, "id", json_string("TDX")));
    GUARD(tdx_json_set(ti, "version", json_integer(3)));
    GUARD(tdx_json_set(ti, "issueDate", json_string(issue)));
    GUARD(tdx_json_set(ti, "nextUpdate", json_string(next)));
    GUARD(tdx_json_hex(ti, "fmspc", fmspc, 6));
    GUARD(tdx_json_set(ti, "pceId", json_string("0000")));
    GUARD(tdx_json_set(ti, "tcbType", json_integer(0)));
    GUARD(tdx_json_set(ti, "tcbEvaluationDataNumber", json_integer(TDX_TCB_EVAL_NUM)));

    DEFER(tdx_json_freep) json_t *module = NULL;
    GUARD(tdx_json_new(false, &module));
    GUARD(tdx_module_fields(module, mrsignerseam));
    GUARD(tdx_json_set(ti, "tdxModule", tdx_take(&module)));

    DEFER(tdx_json_freep) json_t *ids = NULL;
    GUARD(tdx_json_new(true, &ids));
    json_t *m = NULL;
    GUARD(tdx_module_identity(TDX_MODULE_ID_OTHER, mrsignerseam, false, &m));
    GUARD(tdx_json_append(ids, m));
    GUARD(tdx_module_identity(TDX_MODULE_ID_CURRENT, mrsignerseam, true, &m));
    GUARD(tdx_json_append(ids, m));
    GUARD(tdx_json_set(ti, "tdxModuleIdentities", tdx_take(&ids)));

    DEFER(tdx_json_freep) json_t *levels = NULL;
    GUARD(tdx_json_new(true, &levels));
    for (size_t i = 0; i < WARD_ARRAY_LEN(tdx_levels); i++) {
        const struct tdx_level *l = &tdx_levels[i];
        DEFER(tdx_json_freep) json_t *tcb = NULL;
        GUARD(tdx_json_new(false, &tcb));
        json_t *comps = NULL;
        GUARD(tdx_components(l->sgx, tdx_sgx_names, &comps));
        GUARD(tdx_json_set(tcb, "sgxtcbcomponents", comps));
        GUARD(tdx_json_set(tcb, "pcesvn", json_integer(l->pcesvn)));
        GUARD(tdx_components(l->tdx, tdx_tdx_names, &comps));
        GUARD(tdx_json_set(tcb, "tdxtcbcomponents", comps));
        json_t *lvl = NULL;
        GUARD(tdx_level_json(tdx_take(&tcb), l->date, l->status, l->advisory, &lvl));
        GUARD(tdx_json_append(levels, lvl));
    }
    GUARD(tdx_json_set(ti, "tcbLevels", tdx_take(&levels)));
    return tdx_dumps(ti, out);
}

/* tdx_qe_identity_text writes the enclaveIdentity member for |qe|. */
static WARD_MUST_CHECK int tdx_qe_identity_text(const struct ward_sgx_report *qe, int64_t now,
                                                struct ward_buf *out)
{
    char issue[32], next[32];
    ward_time_format(now - TDX_HOUR, issue);
    ward_time_format(now + 30 * TDX_DAY, next);

    DEFER(tdx_json_freep) json_t *qi = NULL;
    GUARD(tdx_json_new(false, &qi));
    GUARD(tdx_json_set(qi, "id", json_string("TD_QE")));
    GUARD(tdx_json_set(qi, "version", json_integer(2)));
    GUARD(tdx_json_set(qi, "issueDate", json_string(issue)));
    GUARD(tdx_json_set(qi, "nextUpdate", json_string(next)));
    GUARD(tdx_json_set(qi, "tcbEvaluationDataNumber", json_integer(TDX_TCB_EVAL_NUM)));
    GUARD(tdx_json_set(qi, "miscselect", json_string("00000000")));
    GUARD(tdx_json_set(qi, "miscselectMask", json_string("FFFFFFFF")));
    GUARD(tdx_json_set(qi, "attributes", json_string("11000000000000000000000000000000")));
    GUARD(tdx_json_set(qi, "attributesMask", json_string("FBFFFFFFFFFFFFFF0000000000000000")));
    GUARD(tdx_json_hex(qi, "mrsigner", qe->mrsigner, sizeof(qe->mrsigner)));
    GUARD(tdx_json_set(qi, "isvprodid", json_integer(qe->isvprodid)));
    DEFER(tdx_json_freep) json_t *levels = NULL;
    GUARD(tdx_json_new(true, &levels));
    json_t *lvl = NULL;
    GUARD(tdx_isvsvn_level(TDX_QE_IDENTITY_ISVSVN, tdx_levels[0].date, "UpToDate", &lvl));
    GUARD(tdx_json_append(levels, lvl));
    GUARD(tdx_json_set(qi, "tcbLevels", tdx_take(&levels)));
    return tdx_dumps(qi, out);
}

static WARD_MUST_CHECK int tdx_sign64(EVP_PKEY *key, const uint8_t *msg, size_t len,
                                      uint8_t out[64])
{
    return ward_ecdsa_sign_raw(key, WARD_SHA256, msg, len, out, out + 32, 32, WARD_ECDSA_BE);
}

/* ---- the quote ---- */

/* tdx_pubkey_xy writes |key|'s public point as raw x||y. */
static WARD_MUST_CHECK int tdx_pubkey_xy(EVP_PKEY *key, uint8_t out[64])
{
    uint8_t point[65];
    size_t len = 0;
    GUARD_OSSL(EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                               sizeof(point), &len),
               WARD_ERR_CRYPTO);
    ENSURE_MSG(len == sizeof(point) && point[0] == 0x04, WARD_ERR_CRYPTO,
               "sim: attestation key is not an uncompressed P-256 point");
    memcpy(out, point + 1, 64);
    return WARD_OK;
}

/* tdx_check_opts resolves the version and body type. */
static WARD_MUST_CHECK int tdx_check_opts(const struct ward_tdx_sim_opts *opts,
                                          uint16_t *out_version, enum ward_tdx_body_type *out_body)
{
    uint16_t version = opts->version != 0 ? opts->version : 4;
    ENSURE_MSG(version == 4 || version == 5, WARD_ERR_USAGE,
               "sim: TDX quote version %u is not simulated (4 or 5)", version);
    enum ward_tdx_body_type body = opts->body;
    if ((int)body == 0) {
        body = version == 4 ? WARD_TDX_BODY_TD10 : WARD_TDX_BODY_TD15;
    }
    ENSURE_MSG(body == WARD_TDX_BODY_TD10 || body == WARD_TDX_BODY_TD15, WARD_ERR_USAGE,
               "sim: unknown TDX body type %d", (int)body);
    ENSURE_MSG(version == 5 || body == WARD_TDX_BODY_TD10, WARD_ERR_USAGE,
               "sim: a v4 quote carries a TD 1.0 body only (use version 5 for TD 1.5)");
    *out_version = version;
    *out_body = body;
    return WARD_OK;
}

/* tdx_body fills the TD report body from |opts| and the platform's level. */
static WARD_MUST_CHECK int tdx_body(const struct ward_tdx_sim_opts *opts,
                                    enum ward_tdx_body_type type, const struct tdx_level *lvl,
                                    struct ward_tdx_body *out)
{
    struct ward_tdx_body b;
    memset(&b, 0, sizeof(b));
    b.type = type;
    memcpy(b.tee_tcb_svn, lvl->tdx, sizeof(b.tee_tcb_svn));
    GUARD(tdx_label_digest(WARD_SHA384, "ward simulator TDX module - NOT INTEL", b.mrseam));
    /* mrsignerseam stays zero, as for Intel's own TDX module. */
    b.seam_attributes = 0;
    b.td_attributes = WARD_TDX_ATTR_SEPT_VE_DISABLE | (opts->debug ? WARD_TDX_ATTR_DEBUG : 0);
    b.xfam = 0xe7;
    if (opts->mrtd != NULL) {
        memcpy(b.mrtd, opts->mrtd, sizeof(b.mrtd));
    } else {
        GUARD(sim_random(b.mrtd, sizeof(b.mrtd)));
    }
    if (opts->report_data != NULL) {
        memcpy(b.report_data, opts->report_data, sizeof(b.report_data));
    }
    if (type == WARD_TDX_BODY_TD15) {
        /* The module has not been updated since the TD started. */
        memcpy(b.tee_tcb_svn2, b.tee_tcb_svn, sizeof(b.tee_tcb_svn2));
    }
    *out = b;
    return WARD_OK;
}

/* tdx_qe_report fills the QE report over |att_xy| and |auth| and signs it. */
static WARD_MUST_CHECK int tdx_qe_report(const struct tdx_level *lvl, const uint8_t att_xy[64],
                                         const uint8_t *auth, size_t auth_len, EVP_PKEY *pck_key,
                                         struct ward_sgx_report *out,
                                         uint8_t out_raw[WARD_TDX_QE_REPORT_LEN],
                                         uint8_t out_sig[64])
{
    struct ward_sgx_report r;
    memset(&r, 0, sizeof(r));
    memcpy(r.cpusvn, lvl->sgx, sizeof(r.cpusvn));
    r.miscselect = 0;
    r.attributes[0] = 0x15; /* INIT | MODE64BIT | PROVISIONKEY */
    r.attributes[8] = 0xe7; /* XFRM */
    GUARD(tdx_label_digest(WARD_SHA256, "ward simulator TD_QE enclave - NOT INTEL", r.mrenclave));
    GUARD(tdx_label_digest(WARD_SHA256, "ward simulator TD_QE signer - NOT INTEL", r.mrsigner));
    r.isvprodid = TDX_QE_ISVPRODID;
    r.isvsvn = TDX_QE_ISVSVN;

    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    GUARD_PTR(md);
    unsigned int md_len = 0;
    GUARD_OSSL(EVP_DigestInit_ex(md, EVP_sha256(), NULL), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, att_xy, 64), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, auth, auth_len), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestFinal_ex(md, r.report_data, &md_len), WARD_ERR_CRYPTO);

    uint8_t raw[WARD_TDX_QE_REPORT_LEN];
    ward_sgx_report_encode(&r, raw);
    GUARD(tdx_sign64(pck_key, raw, sizeof(raw), out_sig));
    memcpy(out_raw, raw, sizeof(raw));
    *out = r;
    return WARD_OK;
}

/* tdx_quote_build assembles and signs the quote. */
static WARD_MUST_CHECK int tdx_quote_build(uint16_t version, const struct ward_tdx_body *body,
                                           EVP_PKEY *att_key, EVP_PKEY *pck_key,
                                           const struct tdx_level *lvl,
                                           const struct ward_buf *pck_chain, struct ward_buf *out,
                                           struct ward_sgx_report *out_qe)
{
    struct ward_tdx_quote q;
    memset(&q, 0, sizeof(q));
    q.header.version = version;
    q.header.att_key_type = WARD_TDX_ATT_KEY_ECDSA_P256;
    q.header.tee_type = WARD_TDX_TEE_TYPE;
    memcpy(q.header.qe_vendor_id, WARD_TDX_INTEL_QE_VENDOR_ID, sizeof(q.header.qe_vendor_id));
    q.body = *body;
    GUARD(tdx_pubkey_xy(att_key, q.att_key));

    /* Intel's QE sends 32 bytes of authentication data, 00 01 .. 1f. */
    uint8_t auth[TDX_QE_AUTH_LEN];
    for (size_t i = 0; i < sizeof(auth); i++) {
        auth[i] = (uint8_t)i;
    }
    uint8_t qe_raw[WARD_TDX_QE_REPORT_LEN];
    GUARD(tdx_qe_report(lvl, q.att_key, auth, sizeof(auth), pck_key, &q.qe_report, qe_raw,
                        q.qe_report_sig));
    q.qe_report_raw = qe_raw;
    q.qe_auth_data = auth;
    q.qe_auth_len = sizeof(auth);
    q.pck_chain_pem = pck_chain->data;
    q.pck_chain_len = pck_chain->len;

    size_t body_len = body->type == WARD_TDX_BODY_TD15 ? WARD_TDX_BODY15_LEN : WARD_TDX_BODY10_LEN;
    size_t signed_len = WARD_TDX_HEADER_LEN + (version == 5 ? 6 : 0) + body_len;

    DEFER(ward_buf_cleanupp) struct ward_buf unsigned_quote = {0};
    GUARD(ward_tdx_quote_encode(&q, &unsigned_quote));
    ENSURE_MSG(unsigned_quote.len > signed_len && unsigned_quote.len <= TDX_QUOTE_MAX,
               WARD_ERR_CRYPTO, "sim: encoded quote has %zu bytes", unsigned_quote.len);
    GUARD(tdx_sign64(att_key, unsigned_quote.data, signed_len, q.signature));
    q.signed_data = unsigned_quote.data;
    q.signed_len = signed_len;

    DEFER(ward_buf_cleanupp) struct ward_buf quote = {0};
    GUARD(ward_tdx_quote_encode(&q, &quote));
    ENSURE_MSG(quote.len == unsigned_quote.len &&
                   memcmp(quote.data, unsigned_quote.data, signed_len) == 0,
               WARD_ERR_CRYPTO, "sim: the quote's signed bytes changed when signing");
    ward_buf_cleanup(out);
    *out = quote;
    quote = (struct ward_buf){0};
    *out_qe = q.qe_report;
    return WARD_OK;
}

/* tdx_collateral builds the CRLs, the signed TCB info and QE identity, and the
 * issuer chains into |out| (initialised, empty). */
static WARD_MUST_CHECK int tdx_collateral(X509 *root, EVP_PKEY *root_key, X509 *pck_ca,
                                          EVP_PKEY *pck_ca_key, X509 *tcb, EVP_PKEY *tcb_key,
                                          const uint8_t fmspc[6], const struct ward_tdx_body *body,
                                          const struct ward_sgx_report *qe, int64_t now,
                                          struct ward_dcap_collateral *out)
{
    GUARD(tdx_crl_make(root, root_key, now, &out->root_ca_crl));
    GUARD(tdx_crl_make(pck_ca, pck_ca_key, now, &out->pck_crl));
    GUARD(tdx_pem_chain(pck_ca, root, NULL, &out->pck_crl_issuer_chain));
    GUARD(tdx_pem_chain(tcb, root, NULL, &out->tcb_info_issuer_chain));
    GUARD(tdx_pem_chain(tcb, root, NULL, &out->qe_identity_issuer_chain));
    GUARD(tdx_tcb_info_text(fmspc, body->mrsignerseam, now, &out->tcb_info));
    GUARD(tdx_sign64(tcb_key, out->tcb_info.data, out->tcb_info.len, out->tcb_info_signature));
    GUARD(tdx_qe_identity_text(qe, now, &out->qe_identity));
    GUARD(tdx_sign64(tcb_key, out->qe_identity.data, out->qe_identity.len,
                     out->qe_identity_signature));
    return WARD_OK;
}

int ward_tdx_sim_quote(const struct ward_tdx_sim_opts *opts, struct ward_buf *out_quote,
                       struct ward_dcap_collateral *out_collateral)
{
    WARD_ASSERT(opts != NULL && opts->dir != NULL);
    WARD_ASSERT(out_quote != NULL && out_collateral != NULL);
    uint16_t version = 0;
    enum ward_tdx_body_type body_type = WARD_TDX_BODY_TD10;
    GUARD(tdx_check_opts(opts, &version, &body_type));
    const struct tdx_level *lvl = &tdx_levels[opts->out_of_date ? 1 : 0];
    static const uint8_t default_fmspc[6] = WARD_TDX_SIM_FMSPC;
    const uint8_t *fmspc = opts->fmspc != NULL ? opts->fmspc : default_fmspc;

    struct ward_tdx_body body;
    GUARD(tdx_body(opts, body_type, lvl, &body));

    DEFER(sim_closep) int lock_fd = -1;
    GUARD(sim_lock(opts->dir, TDX_SIM, NULL, &lock_fd));

    DEFER(ward_pkey_freep) EVP_PKEY *root_key = NULL;
    DEFER(ward_x509_freep) X509 *root = NULL;
    GUARD(tdx_ca_ensure(opts->dir, &tdx_root, NULL, NULL, &root_key, &root));
    DEFER(ward_pkey_freep) EVP_PKEY *pck_ca_key = NULL;
    DEFER(ward_x509_freep) X509 *pck_ca = NULL;
    GUARD(tdx_ca_ensure(opts->dir, &tdx_pck_ca, root, root_key, &pck_ca_key, &pck_ca));
    DEFER(ward_pkey_freep) EVP_PKEY *tcb_key = NULL;
    DEFER(ward_x509_freep) X509 *tcb = NULL;
    GUARD(tdx_ca_ensure(opts->dir, &tdx_tcb_signer, root, root_key, &tcb_key, &tcb));

    DEFER(ward_pkey_freep) EVP_PKEY *pck_key = NULL;
    GUARD(tdx_key_ensure(opts->dir, "pck.key", &pck_key));
    DEFER(ward_pkey_freep) EVP_PKEY *att_key = NULL;
    GUARD(tdx_key_ensure(opts->dir, "attestation.key", &att_key));
    uint8_t ppid[16];
    GUARD(tdx_ppid_ensure(opts->dir, ppid));

    DEFER(ward_x509_freep) X509 *pck = NULL;
    GUARD(tdx_pck_make(pck_key, pck_ca, pck_ca_key, ppid, lvl, fmspc, &pck));

    /* Type-5 certification data: PEM leaf, CA, root and a NUL, as Intel's QE writes it. */
    DEFER(ward_buf_cleanupp) struct ward_buf chain = {0};
    {
        DEFER(ward_wr_cleanupp) struct ward_wr w;
        ward_wr_init(&w, TDX_PEM_MAX);
        GUARD(sim_pem_append(&w, pck));
        GUARD(sim_pem_append(&w, pck_ca));
        GUARD(sim_pem_append(&w, root));
        GUARD(ward_wr_u8(&w, 0));
        ward_wr_finish(&w, &chain);
    }

    DEFER(ward_buf_cleanupp) struct ward_buf quote = {0};
    struct ward_sgx_report qe;
    GUARD(tdx_quote_build(version, &body, att_key, pck_key, lvl, &chain, &quote, &qe));

    DEFER(tdx_collateral_cleanupp) struct ward_dcap_collateral coll;
    memset(&coll, 0, sizeof(coll));
    GUARD(tdx_collateral(root, root_key, pck_ca, pck_ca_key, tcb, tcb_key, fmspc, &body, &qe,
                         ward_time_now(), &coll));

    ward_buf_cleanup(out_quote);
    *out_quote = quote;
    quote = (struct ward_buf){0};
    ward_dcap_collateral_cleanup(out_collateral);
    *out_collateral = coll;
    memset(&coll, 0, sizeof(coll));
    return WARD_OK;
}

int ward_tdx_sim_roots(const char *dir, STACK_OF(X509) *roots)
{
    WARD_ASSERT(dir != NULL && roots != NULL);
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, TDX_SIM, NULL, tdx_root.cert_file));
    ENSURE_MSG(sim_exists(path), WARD_ERR_NOT_FOUND,
               "sim: no TDX simulator root in %s/tdx (run 'ward sim tdx --dir %s' first)", dir,
               dir);
    DEFER(ward_x509_freep) X509 *root = NULL;
    GUARD(sim_cert_load(path, &root));
    ENSURE_MSG(sim_cert_has_org(root, WARD_SIM_ORG_INTEL), WARD_ERR_FORMAT,
               "sim: %s is not a simulator root (no O=%s)", path, WARD_SIM_ORG_INTEL);
    ENSURE_MSG(sk_X509_push(roots, root) > 0, WARD_ERR_NOMEM, "out of memory");
    root = NULL;
    return WARD_OK;
}
