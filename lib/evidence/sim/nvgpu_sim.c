/*
 * lib/evidence/sim/nvgpu_sim.c: the NVIDIA confidential-GPU simulator. It plays
 * the part of NVIDIA's device PKI (a Device Identity CA, a per-chip Identity CA
 * and Provisioner ICA, and a device leaf with the TCG DICE TcbInfo extension,
 * like the GSP FMC certificate of a Hopper GPU) and of the GPU's SPDM responder
 * (a signed GET_MEASUREMENTS exchange, as NVIDIA's attestation reports carry
 * it). Every subject says it is not NVIDIA's. Layout of the state directory:
 * see include/ward/sim.h.
 *
 * The real chain has five certificates (GSP FMC LF <- GSP BROM <- Provisioner
 * ICA 1 <- GH100 Identity <- Device Identity CA); the simulator leaves out the
 * per-device BROM certificate and issues the leaf from the ICA.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "evidence/sim/internal.h"
#include "ward/crypto.h"
#include "ward/nvgpu.h"
#include "ward/sim.h"

#define NV_SIM "nvgpu" /* the state directory is |dir|/nvgpu */
#define NV_DIGEST_LEN 48u
#define NV_NONCE_LEN 32u
#define NV_DEFAULT_BLOCKS 64u
#define NV_EXT_MAX 512u          /* named maximum of the TcbInfo extension we build */
#define NV_PEM_MAX (32u * 1024u) /* named maximum of the PEM chain we build */
#define NV_DICE_TCBINFO_OID "2.23.133.5.4.1"
#define NV_SAN_OTHERNAME_OID "1.3.6.1.4.1.412.274.1" /* NVIDIA's device-name otherName */
#define NV_SPDM_VERSION 0x11u
#define NV_REQ_PARAM1 0x01u        /* a signature is requested */
#define NV_REQ_PARAM2 0xFFu        /* all measurements */
#define NV_VALUE_TYPE_DIGEST 0x01u /* DMTF value type: mutable firmware, a digest (as Hopper) */
#define NV_SPEC_DMTF 0x01u
#define NV_STATUS_OK 0x55u /* NVDEC0 / protected-PCIe status bytes as a Hopper reports them */

/* SHA-384's OID, 2.16.840.1.101.3.4.2.2, as DER contents. */
static const uint8_t nv_oid_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

/* What differs between the simulated GPU generations: the chip strings. */
struct nv_chip {
    const char *name;      /* in subjects and the FWID label: "GH100" */
    const char *prefix;    /* file names: "gh100" */
    uint8_t vbios[8];      /* VBIOS_VERSION, printed as bytes 3.2.1.0.4 */
    const char *chip_info; /* CHIP_INFO (Blackwell only), or NULL */
};

static const struct nv_chip nv_hopper = {
    "GH100", "gh100", {0x00, 0x9f, 0x00, 0x96, 0x01, 0x00, 0x00, 0x00}, NULL};
static const struct nv_chip nv_blackwell = {
    "GB100", "gb100", {0x00, 0x6a, 0x00, 0x97, 0x01, 0x00, 0x00, 0x00}, "GB100"};

/* One certificate of the simulated hierarchy (the leaf too). A per-chip one's files and CN carry
 * the chip: files <prefix>_<file>.key/.der, CN <cn_head> <chip name> <cn_tail>. */
struct nv_ca {
    const char *file;    /* base name of the .key and .der files */
    const char *cn_head; /* subject CN (before the chip name, if per chip) */
    const char *cn_tail; /* after the chip name */
    bool per_chip;
};

static const struct nv_ca nv_root = {"root", "SIM NVIDIA Device Identity CA", "", false};
static const struct nv_ca nv_identity = {"identity", "SIM NVIDIA", "Identity", true};
static const struct nv_ca nv_ica = {"ica", "SIM NVIDIA", "Provisioner ICA 1", true};
static const struct nv_ca nv_leaf = {"device", "SIM", "A01 GSP FMC LF", true};

/* ---- files and names ---- */

/* nv_cn writes |ca|'s subject CN for |chip| into |out|. */
static WARD_MUST_CHECK int nv_cn(const struct nv_ca *ca, const struct nv_chip *chip, char out[128])
{
    int n = ca->per_chip ? snprintf(out, 128, "%s %s %s", ca->cn_head, chip->name, ca->cn_tail)
                         : snprintf(out, 128, "%s", ca->cn_head);
    ENSURE_MSG(n > 0 && n < 128, WARD_ERR_USAGE, "sim: name too long");
    return WARD_OK;
}

/* nv_path writes the path of |ca|'s file (for |chip|) with |suffix| (".key",
 * "0.key" ...) under |dir|/nvgpu into |out|. */
static WARD_MUST_CHECK int nv_path(const char *dir, const struct nv_ca *ca,
                                   const struct nv_chip *chip, const char *suffix,
                                   char out[SIM_PATH_MAX])
{
    char file[128];
    int n = ca->per_chip ? snprintf(file, sizeof(file), "%s_%s%s", chip->prefix, ca->file, suffix)
                         : snprintf(file, sizeof(file), "%s%s", ca->file, suffix);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(file), WARD_ERR_USAGE, "sim: name too long");
    return sim_path(out, dir, NV_SIM, NULL, file);
}

/* ---- certificates ---- */

static WARD_MUST_CHECK int nv_sign_cert(X509 *cert, EVP_PKEY *key)
{
    GUARD_OSSL(X509_sign(cert, key, EVP_sha384()), WARD_ERR_CRYPTO);
    return WARD_OK;
}

/* nv_ca_ensure loads |ca| (for |chip|) from |dir|, or (re)creates it when its
 * files are absent or it is no longer signed by |issuer_key| (an issuer was
 * recreated). |issuer| NULL: the self-signed root. */
static WARD_MUST_CHECK int nv_ca_ensure(const char *dir, const struct nv_ca *ca,
                                        const struct nv_chip *chip, X509 *issuer,
                                        EVP_PKEY *issuer_key, EVP_PKEY **out_key, X509 **out_cert)
{
    char cn[128], key_path[SIM_PATH_MAX], cert_path[SIM_PATH_MAX];
    GUARD(nv_cn(ca, chip, cn));
    GUARD(nv_path(dir, ca, chip, ".key", key_path));
    GUARD(nv_path(dir, ca, chip, ".der", cert_path));

    DEFER(ward_pkey_freep) EVP_PKEY *key = NULL;
    DEFER(ward_x509_freep) X509 *cert = NULL;
    if (sim_exists(key_path)) {
        GUARD(sim_key_load_ec(key_path, 384, &key));
        GUARD(sim_ca_reuse(key_path, cert_path, key, issuer_key, &cert));
    } else {
        GUARD(ward_ec_key_generate(NID_secp384r1, &key));
        GUARD(sim_key_save(key_path, key));
    }
    if (cert == NULL) {
        GUARD(sim_cert_new(cn, WARD_SIM_ORG_NVIDIA, SIM_NAME_CN_O, key, issuer, &cert));
        GUARD(sim_ext_conf(cert, cert, NID_basic_constraints, "critical,CA:TRUE"));
        GUARD(sim_ext_conf(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign"));
        GUARD(sim_ext_conf(cert, cert, NID_subject_key_identifier, "hash"));
        if (issuer != NULL) {
            GUARD(sim_ext_conf(cert, issuer, NID_authority_key_identifier, "keyid:always"));
        }
        GUARD(nv_sign_cert(cert, issuer != NULL ? issuer_key : key));
        GUARD(sim_cert_save(cert_path, cert));
    }
    *out_key = key;
    *out_cert = cert;
    key = NULL;
    cert = NULL;
    return WARD_OK;
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

/* nv_spki_der writes |key|'s SubjectPublicKeyInfo (DER) into |out|. */
static WARD_MUST_CHECK int nv_spki_der(EVP_PKEY *key, struct ward_buf *out)
{
    DEFER(sim_ossl_freep) unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    GUARD_OSSL(der_len, WARD_ERR_CRYPTO);
    GUARD(ward_buf_set(out, der, (size_t)der_len));
    return WARD_OK;
}

/* nv_tcbinfo_der builds the TcbInfo extension value as NVIDIA's GSP FMC leaf
 * carries it: SEQUENCE { INTEGER 1, SubjectPublicKeyInfo (the leaf's key),
 * SEQUENCE { OID sha384, OCTET STRING fwid } }. */
static WARD_MUST_CHECK int nv_tcbinfo_der(const struct ward_buf *spki,
                                          const uint8_t fwid[NV_DIGEST_LEN], struct ward_buf *out)
{
    DEFER(ward_wr_cleanupp) struct ward_wr fw;
    ward_wr_init(&fw, NV_EXT_MAX);
    GUARD(der_head(&fw, 0x06, sizeof(nv_oid_sha384)));
    GUARD(ward_wr_bytes(&fw, nv_oid_sha384, sizeof(nv_oid_sha384)));
    GUARD(der_head(&fw, 0x04, NV_DIGEST_LEN));
    GUARD(ward_wr_bytes(&fw, fwid, NV_DIGEST_LEN));

    DEFER(ward_wr_cleanupp) struct ward_wr body;
    ward_wr_init(&body, NV_EXT_MAX);
    static const uint8_t version_one[] = {0x02, 0x01, 0x01};
    GUARD(ward_wr_bytes(&body, version_one, sizeof(version_one)));
    GUARD(ward_wr_bytes(&body, spki->data, spki->len));
    GUARD(der_head(&body, 0x30, fw.len));
    GUARD(ward_wr_bytes(&body, fw.p, fw.len));

    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, NV_EXT_MAX);
    GUARD(der_head(&w, 0x30, body.len));
    GUARD(ward_wr_bytes(&w, body.p, body.len));
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* nv_leaf_make issues the device leaf for |key| from the ICA: digital signature
 * only, key identifiers, NVIDIA's device-name otherName and the TcbInfo
 * extension with |fwid|, in the real leaf's order. */
static WARD_MUST_CHECK int nv_leaf_make(const struct nv_chip *chip, EVP_PKEY *key, X509 *ica,
                                        EVP_PKEY *ica_key, const uint8_t fwid[NV_DIGEST_LEN],
                                        X509 **out)
{
    char cn[128];
    GUARD(nv_cn(&nv_leaf, chip, cn));
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(sim_cert_new(cn, WARD_SIM_ORG_NVIDIA, SIM_NAME_CN_O, key, ica, &cert));
    GUARD(sim_ext_conf(cert, cert, NID_key_usage, "critical,digitalSignature"));
    GUARD(sim_ext_conf(cert, cert, NID_subject_key_identifier, "hash"));
    GUARD(sim_ext_conf(cert, ica, NID_authority_key_identifier, "keyid:always"));

    DEFER(ward_buf_cleanupp) struct ward_buf spki = {0};
    GUARD(nv_spki_der(key, &spki));
    /* The device's name: the chip and 8 bytes of its key's digest, as NVIDIA
     * names a GPU by its chip and device id. */
    uint8_t digest[NV_DIGEST_LEN];
    char id[17], san[160];
    GUARD(ward_digest(WARD_SHA384, spki.data, spki.len, digest));
    ward_hex_encode(digest, 8, id);
    for (size_t i = 0; id[i] != '\0'; i++) {
        id[i] = (char)(id[i] >= 'a' && id[i] <= 'f' ? id[i] - 'a' + 'A' : id[i]);
    }
    int n = snprintf(san, sizeof(san), "otherName:%s;UTF8:SIM-NVIDIA:%s:%s", NV_SAN_OTHERNAME_OID,
                     chip->name, id);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(san), WARD_ERR_USAGE, "sim: name too long");
    GUARD(sim_ext_conf(cert, cert, NID_subject_alt_name, san));

    DEFER(ward_buf_cleanupp) struct ward_buf tcbinfo = {0};
    GUARD(nv_tcbinfo_der(&spki, fwid, &tcbinfo));
    GUARD(sim_ext_raw(cert, NV_DICE_TCBINFO_OID, tcbinfo.data, tcbinfo.len));
    GUARD(nv_sign_cert(cert, ica_key));
    *out = cert;
    cert = NULL;
    return WARD_OK;
}

/* ---- the report ---- */

/* nv_label_digest computes SHA-384(|label| || |suffix|[0..suffix_len)). */
static WARD_MUST_CHECK int nv_label_digest(const char *label, const uint8_t *suffix,
                                           size_t suffix_len, uint8_t out[NV_DIGEST_LEN])
{
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    GUARD_PTR(md);
    unsigned int md_len = 0;
    GUARD_OSSL(EVP_DigestInit_ex(md, EVP_sha384(), NULL), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, label, strlen(label)), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestUpdate(md, suffix, suffix_len), WARD_ERR_CRYPTO);
    GUARD_OSSL(EVP_DigestFinal_ex(md, out, &md_len), WARD_ERR_CRYPTO);
    return WARD_OK;
}

/* The values the report's blocks and opaque fields point to; they must outlive
 * the encoding. */
struct nv_values {
    uint8_t measurements[WARD_SPDM_MAX_BLOCKS][NV_DIGEST_LEN];
    uint8_t msrscnt[WARD_SPDM_MAX_BLOCKS * 4];
    uint8_t fwid[NV_DIGEST_LEN];
    struct ward_nvgpu_report report;
};

/* nv_opaque_add appends the opaque field |type| = |value|[0..len) to |r|. */
static void nv_opaque_add(struct ward_nvgpu_report *r, uint16_t type, const void *value, size_t len)
{
    WARD_ASSERT(r->num_opaque < WARD_NVGPU_MAX_OPAQUE && len <= UINT16_MAX);
    r->opaque[r->num_opaque++] =
        (struct ward_nv_opaque_field){.type = type, .value = value, .len = (uint16_t)len};
}

/* nv_report_fill fills |v|'s report (all but the signature), in the order of
 * the fields of a Hopper report. String fields carry their NUL padding as
 * NVIDIA's do. */
static WARD_MUST_CHECK int nv_report_fill(const struct nv_chip *chip, const uint8_t *nonce,
                                          size_t num_blocks, struct nv_values *v)
{
    static const uint8_t board_id[4] = {0xb1, 0x03, 0x00, 0x00};
    static const char chip_sku[9] = "882";
    static const char chip_sku_mod[5] = "0";
    static const char project[5] = "1010";
    static const char project_sku[5] = "0200";
    static const uint8_t project_sku_mod[2] = {0, 0};
    static const char driver[] = WARD_NVGPU_SIM_DRIVER_VERSION; /* with its NUL */
    static const uint8_t gpu_info[8] = {0x80, 0x01, 0, 0, 0, 0, 0, 0};
    static const uint8_t cprinfo[4] = {0x00, 0xc0, 0x01, 0x00};
    static const uint8_t status_ok = NV_STATUS_OK;

    struct ward_nvgpu_report *r = &v->report;
    r->spdm_version = NV_SPDM_VERSION;
    r->req_param1 = NV_REQ_PARAM1;
    r->req_param2 = NV_REQ_PARAM2;
    r->slot_id = 0;
    if (nonce != NULL) {
        memcpy(r->request_nonce, nonce, NV_NONCE_LEN);
    } else {
        GUARD(sim_random(r->request_nonce, NV_NONCE_LEN));
    }
    r->rsp_param1 = 0;
    r->rsp_param2 = 0;
    r->num_blocks = num_blocks;
    for (size_t i = 0; i < num_blocks; i++) {
        uint8_t index = (uint8_t)(i + 1);
        GUARD(nv_label_digest(WARD_NVGPU_SIM_MEASUREMENT_LABEL, &index, 1, v->measurements[i]));
        r->blocks[i] = (struct ward_spdm_block){.index = index,
                                                .spec = NV_SPEC_DMTF,
                                                .value_type = NV_VALUE_TYPE_DIGEST,
                                                .value = v->measurements[i],
                                                .value_len = NV_DIGEST_LEN};
        v->msrscnt[4 * i] = 1; /* u32 LE: each measurement taken once */
    }
    GUARD(sim_random(r->response_nonce, NV_NONCE_LEN));
    GUARD(nv_label_digest(WARD_NVGPU_SIM_FWID_LABEL, (const uint8_t *)chip->name,
                          strlen(chip->name), v->fwid));

    nv_opaque_add(r, WARD_NV_OPAQUE_VBIOS_VERSION, chip->vbios, sizeof(chip->vbios));
    nv_opaque_add(r, WARD_NV_OPAQUE_BOARD_ID, board_id, sizeof(board_id));
    nv_opaque_add(r, WARD_NV_OPAQUE_CHIP_SKU, chip_sku, sizeof(chip_sku));
    nv_opaque_add(r, WARD_NV_OPAQUE_CHIP_SKU_MOD, chip_sku_mod, sizeof(chip_sku_mod));
    nv_opaque_add(r, WARD_NV_OPAQUE_PROJECT, project, sizeof(project));
    nv_opaque_add(r, WARD_NV_OPAQUE_PROJECT_SKU, project_sku, sizeof(project_sku));
    nv_opaque_add(r, WARD_NV_OPAQUE_PROJECT_SKU_MOD, project_sku_mod, sizeof(project_sku_mod));
    nv_opaque_add(r, WARD_NV_OPAQUE_DRIVER_VERSION, driver, sizeof(driver));
    nv_opaque_add(r, WARD_NV_OPAQUE_GPU_INFO, gpu_info, sizeof(gpu_info));
    nv_opaque_add(r, WARD_NV_OPAQUE_MSRSCNT, v->msrscnt, 4 * num_blocks);
    nv_opaque_add(r, WARD_NV_OPAQUE_CPRINFO, cprinfo, sizeof(cprinfo));
    nv_opaque_add(r, WARD_NV_OPAQUE_NVDEC0_STATUS, &status_ok, 1);
    nv_opaque_add(r, WARD_NV_OPAQUE_FWID, v->fwid, sizeof(v->fwid));
    nv_opaque_add(r, WARD_NV_OPAQUE_PROTECTED_PCIE_STATUS, &status_ok, 1);
    if (chip->chip_info != NULL) {
        nv_opaque_add(r, WARD_NV_OPAQUE_CHIP_INFO, chip->chip_info, strlen(chip->chip_info) + 1);
    }
    return WARD_OK;
}

/* nv_report_sign encodes |r| with a zero signature, then signs request ||
 * response-without-signature with |key| and writes r || s into the last 96
 * bytes. */
static WARD_MUST_CHECK int nv_report_sign(struct ward_nvgpu_report *r, EVP_PKEY *key,
                                          struct ward_buf *out)
{
    memset(r->signature, 0, sizeof(r->signature));
    DEFER(ward_buf_cleanupp) struct ward_buf report = {0};
    GUARD(ward_nvgpu_report_encode(r, &report));
    ENSURE_MSG(report.len > WARD_SPDM_REQUEST_LEN + WARD_SPDM_SIG_LEN, WARD_ERR_CRYPTO,
               "sim: encoded report has %zu bytes", report.len);
    size_t signed_len = report.len - WARD_SPDM_SIG_LEN;
    uint8_t *sig = report.data + signed_len;
    GUARD(ward_ecdsa_sign_raw(key, WARD_SHA384, report.data, signed_len, sig,
                              sig + WARD_SPDM_SIG_LEN / 2, WARD_SPDM_SIG_LEN / 2, WARD_ECDSA_BE));
    ward_buf_cleanup(out);
    *out = report;
    report = (struct ward_buf){0};
    return WARD_OK;
}

int ward_nvgpu_sim_report(const struct ward_nvgpu_sim_opts *opts, struct ward_buf *out_report,
                          struct ward_buf *out_chain_pem)
{
    WARD_ASSERT(opts != NULL && opts->dir != NULL);
    WARD_ASSERT(out_report != NULL && out_chain_pem != NULL);
    size_t num_blocks = opts->num_blocks != 0 ? opts->num_blocks : NV_DEFAULT_BLOCKS;
    ENSURE_MSG(num_blocks <= WARD_SPDM_MAX_BLOCKS, WARD_ERR_USAGE,
               "sim: a GPU reports at most %u measurement blocks, not %zu", WARD_SPDM_MAX_BLOCKS,
               num_blocks);
    ENSURE_MSG(opts->device < WARD_NVGPU_SIM_MAX_DEVICES, WARD_ERR_USAGE,
               "sim: GPU %u does not exist (0..%d)", opts->device, WARD_NVGPU_SIM_MAX_DEVICES - 1);
    const struct nv_chip *chip = opts->blackwell ? &nv_blackwell : &nv_hopper;

    DEFER(ward_freep) struct nv_values *v = calloc(1, sizeof(*v));
    GUARD_PTR(v);
    GUARD(nv_report_fill(chip, opts->nonce, num_blocks, v));

    DEFER(sim_closep) int lock_fd = -1;
    GUARD(sim_lock(opts->dir, NV_SIM, NULL, &lock_fd));

    DEFER(ward_pkey_freep) EVP_PKEY *root_key = NULL;
    DEFER(ward_x509_freep) X509 *root = NULL;
    GUARD(nv_ca_ensure(opts->dir, &nv_root, chip, NULL, NULL, &root_key, &root));
    DEFER(ward_pkey_freep) EVP_PKEY *identity_key = NULL;
    DEFER(ward_x509_freep) X509 *identity = NULL;
    GUARD(nv_ca_ensure(opts->dir, &nv_identity, chip, root, root_key, &identity_key, &identity));
    DEFER(ward_pkey_freep) EVP_PKEY *ica_key = NULL;
    DEFER(ward_x509_freep) X509 *ica = NULL;
    GUARD(nv_ca_ensure(opts->dir, &nv_ica, chip, identity, identity_key, &ica_key, &ica));

    char suffix[16], device_path[SIM_PATH_MAX];
    snprintf(suffix, sizeof(suffix), "%u.key", opts->device); /* device < 16: fits */
    GUARD(nv_path(opts->dir, &nv_leaf, chip, suffix, device_path));
    DEFER(ward_pkey_freep) EVP_PKEY *device_key = NULL;
    GUARD(sim_ec_key_ensure(device_path, NID_secp384r1, 384, &device_key));

    DEFER(ward_x509_freep) X509 *leaf = NULL;
    GUARD(nv_leaf_make(chip, device_key, ica, ica_key, v->fwid, &leaf));

    DEFER(ward_buf_cleanupp) struct ward_buf report = {0};
    GUARD(nv_report_sign(&v->report, device_key, &report));

    DEFER(ward_buf_cleanupp) struct ward_buf chain = {0};
    {
        DEFER(ward_wr_cleanupp) struct ward_wr w;
        ward_wr_init(&w, NV_PEM_MAX);
        GUARD(sim_pem_append(&w, leaf));
        GUARD(sim_pem_append(&w, ica));
        GUARD(sim_pem_append(&w, identity));
        GUARD(sim_pem_append(&w, root));
        ward_wr_finish(&w, &chain);
    }

    ward_buf_cleanup(out_report);
    *out_report = report;
    report = (struct ward_buf){0};
    ward_buf_cleanup(out_chain_pem);
    *out_chain_pem = chain;
    chain = (struct ward_buf){0};
    return WARD_OK;
}

int ward_nvgpu_sim_roots(const char *dir, STACK_OF(X509) *roots)
{
    WARD_ASSERT(dir != NULL && roots != NULL);
    char path[SIM_PATH_MAX];
    GUARD(sim_path(path, dir, NV_SIM, NULL, "root.der"));
    ENSURE_MSG(
        sim_exists(path), WARD_ERR_NOT_FOUND,
        "sim: no NVIDIA GPU simulator root in %s/nvgpu (run 'ward sim nvgpu --dir %s' first)", dir,
        dir);
    DEFER(ward_x509_freep) X509 *root = NULL;
    GUARD(sim_cert_load(path, &root));
    ENSURE_MSG(sim_cert_has_org(root, WARD_SIM_ORG_NVIDIA), WARD_ERR_FORMAT,
               "sim: %s is not a simulator root (no O=%s)", path, WARD_SIM_ORG_NVIDIA);
    ENSURE_MSG(sk_X509_push(roots, root) > 0, WARD_ERR_NOMEM, "out of memory");
    root = NULL;
    return WARD_OK;
}
