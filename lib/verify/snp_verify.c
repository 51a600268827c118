/*
 * lib/verify/snp_verify.c: appraisal of an AMD SEV-SNP attestation report.
 *
 * The checks run in a fixed order and each records its status:
 *   signature   report bytes 0x000-0x29F, ECDSA P-384/SHA-384, with the VCEK or VLEK
 *               that the report's SIGNING_KEY field names
 *   chain       VCEK -> ASK -> ARK or VLEK -> ASVK -> ARK, to the pinned ARK of the
 *               product the report and certificate agree on; hwID = CHIP_ID
 *   revocation  CRLs given or cached
 *   tcb         the certificate's TCB extensions equal REPORTED_TCB; policy minimum
 *   measurement allowed launch measurements
 *   policy      guest policy bits, VMPL, platform info, keys, chips, SVN
 *   binding     REPORT_DATA equals the expected value
 * A check whose inputs an earlier failure made meaningless is skipped, never passed.
 */
#include <string.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/collateral.h"
#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/sim.h"

/* Everything one appraisal works with; freed by ctx_cleanup. */
struct ctx {
    struct ward_appraisal *a;
    const struct ward_verify_opts *opts;
    const struct snp_policy *pol;
    struct ward_snp_report r;
    int64_t at;
    STACK_OF(X509) *leaves;         /* EC certificates: VCEK / VLEK candidates */
    STACK_OF(X509) *intermediates;  /* non-self-signed CA certificates */
    STACK_OF(X509) *supplied_roots; /* self-signed certificates the caller gave */
    STACK_OF(X509_CRL) *crls;
    STACK_OF(X509) *roots; /* the trust anchors the chain verified to */
    X509 *leaf;            /* borrowed from leaves */
    struct ward_snp_cert_ext ext;
    enum ward_snp_product product;
    enum ward_snp_signing_key key;
};

static void ctx_cleanup(struct ctx *c)
{
    sk_X509_pop_free(c->leaves, X509_free);
    sk_X509_pop_free(c->intermediates, X509_free);
    sk_X509_pop_free(c->supplied_roots, X509_free);
    sk_X509_CRL_pop_free(c->crls, X509_CRL_free);
    sk_X509_pop_free(c->roots, X509_free);
}

static const char *key_name(enum ward_snp_signing_key k)
{
    return k == WARD_SNP_KEY_VCEK ? "VCEK" : k == WARD_SNP_KEY_VLEK ? "VLEK" : "none";
}

static void short_hex(const uint8_t *p, size_t len, char out[20])
{
    ward_hex_encode(p, len < 8 ? len : 8, out);
    strcat(out, "..");
}

/* ---- claims ---- */

static json_t *tcb_json(uint64_t raw, enum ward_snp_product product)
{
    struct ward_snp_tcb t;
    char hex[17];
    ward_snp_tcb_decode(raw, product, &t);
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)raw);
    json_t *o = json_pack("{s:s,s:i,s:i,s:i,s:i}", "raw", hex, "bootloader", t.bootloader, "tee",
                          t.tee, "snp", t.snp, "microcode", t.microcode);
    if (o != NULL && product == WARD_SNP_TURIN) {
        json_object_set_new(o, "fmc", json_integer(t.fmc));
    }
    return o;
}

static int add_claims(struct ctx *c)
{
    const struct ward_snp_report *r = &c->r;
    json_t *cl = c->a->claims;
    char buf[64];
    int rc = 0;

    rc |= json_object_set_new(cl, "version", json_integer(r->version));
    rc |= json_object_set_new(cl, "product", json_string(ward_snp_product_name(c->product)));
    rc |= json_object_set_new(cl, "signing_key",
                              json_string(c->key == WARD_SNP_KEY_VCEK   ? "vcek"
                                          : c->key == WARD_SNP_KEY_VLEK ? "vlek"
                                                                        : "none"));
    rc |= json_object_set_new(cl, "guest_svn", json_integer(r->guest_svn));
    snprintf(buf, sizeof(buf), "%u.%u", (unsigned)((r->policy >> 8) & 0xFF),
             (unsigned)(r->policy & 0xFF));
    json_t *pol = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b,s:b}", "raw", "", "abi_min", buf, "smt",
                            (r->policy & WARD_SNP_POLICY_SMT) != 0, "migrate_ma",
                            (r->policy & WARD_SNP_POLICY_MIGRATE_MA) != 0, "debug",
                            (r->policy & WARD_SNP_POLICY_DEBUG) != 0, "single_socket",
                            (r->policy & WARD_SNP_POLICY_SINGLE_SOCKET) != 0, "cxl_allow",
                            (r->policy & WARD_SNP_POLICY_CXL_ALLOW) != 0);
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)r->policy);
    if (pol != NULL) {
        json_object_set_new(pol, "raw", json_string(buf));
    }
    rc |= json_object_set_new(cl, "policy", pol);
    rc |= json_object_set_new(cl, "vmpl", json_integer(r->vmpl));
    GUARD(ward_json_set_hex(cl, "measurement", r->measurement, sizeof(r->measurement)));
    GUARD(ward_json_set_hex(cl, "report_data", r->report_data, sizeof(r->report_data)));
    GUARD(ward_json_set_hex(cl, "host_data", r->host_data, sizeof(r->host_data)));
    GUARD(ward_json_set_hex(cl, "family_id", r->family_id, sizeof(r->family_id)));
    GUARD(ward_json_set_hex(cl, "image_id", r->image_id, sizeof(r->image_id)));
    GUARD(ward_json_set_hex(cl, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest)));
    GUARD(ward_json_set_hex(cl, "author_key_digest", r->author_key_digest,
                            sizeof(r->author_key_digest)));
    rc |= json_object_set_new(cl, "author_key_en", json_boolean(r->flags & 1));
    GUARD(ward_json_set_hex(cl, "report_id", r->report_id, sizeof(r->report_id)));
    GUARD(ward_json_set_hex(cl, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma)));
    GUARD(ward_json_set_hex(cl, "chip_id", r->chip_id, sizeof(r->chip_id)));
    rc |= json_object_set_new(cl, "chip_id_masked", json_boolean(r->flags & 2));
    rc |= json_object_set_new(cl, "reported_tcb", tcb_json(r->reported_tcb, c->product));
    rc |= json_object_set_new(cl, "current_tcb", tcb_json(r->current_tcb, c->product));
    rc |= json_object_set_new(cl, "committed_tcb", tcb_json(r->committed_tcb, c->product));
    rc |= json_object_set_new(cl, "launch_tcb", tcb_json(r->launch_tcb, c->product));
    snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)r->platform_info);
    rc |= json_object_set_new(
        cl, "platform_info",
        json_pack("{s:s,s:b,s:b,s:b,s:b,s:b,s:b}", "raw", buf, "smt_enabled",
                  (r->platform_info & WARD_SNP_PLATFORM_SMT_EN) != 0, "tsme_enabled",
                  (r->platform_info & WARD_SNP_PLATFORM_TSME_EN) != 0, "ecc_enabled",
                  (r->platform_info & WARD_SNP_PLATFORM_ECC_EN) != 0, "rapl_disabled",
                  (r->platform_info & WARD_SNP_PLATFORM_RAPL_DIS) != 0, "ciphertext_hiding",
                  (r->platform_info & WARD_SNP_PLATFORM_CIPHERTEXT_HIDING_EN) != 0,
                  "alias_check_complete",
                  (r->platform_info & WARD_SNP_PLATFORM_ALIAS_CHECK_COMPLETE) != 0));
    json_object_set_new(json_object_get(cl, "platform_info"), "tio_enabled",
                        json_boolean(r->platform_info & WARD_SNP_PLATFORM_TIO_EN));
    char cur[16], com[16];
    snprintf(cur, sizeof(cur), "%u.%u.%u", r->current_major, r->current_minor, r->current_build);
    snprintf(com, sizeof(com), "%u.%u.%u", r->committed_major, r->committed_minor,
             r->committed_build);
    rc |= json_object_set_new(cl, "firmware",
                              json_pack("{s:s,s:s}", "current", cur, "committed", com));
    if (r->version >= 3) {
        rc |= json_object_set_new(cl, "cpuid",
                                  json_pack("{s:i,s:i,s:i}", "family", r->cpuid_fam_id, "model",
                                            r->cpuid_mod_id, "stepping", r->cpuid_step));
    }
    if (r->version >= 5) {
        snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)r->launch_mit_vector);
        rc |= json_object_set_new(cl, "launch_mit_vector", json_string(buf));
        snprintf(buf, sizeof(buf), "%016llx", (unsigned long long)r->current_mit_vector);
        rc |= json_object_set_new(cl, "current_mit_vector", json_string(buf));
    }
    char when[32];
    ward_time_format(c->at, when);
    rc |= json_object_set_new(cl, "verified_at", json_string(when));
    ENSURE(rc == 0, WARD_ERR_NOMEM);
    return WARD_OK;
}

/* ---- gathering certificates ---- */

static int sort_cert(struct ctx *c, X509 *cert)
{
    EVP_PKEY *pk = X509_get0_pubkey(cert);
    STACK_OF(X509) *dst;
    if (pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC) {
        dst = c->leaves;
    } else if (X509_self_signed(cert, 0) == 1) {
        dst = c->supplied_roots;
    } else {
        dst = c->intermediates;
    }
    /* Skip exact duplicates (a cert given on the command line and also cached). */
    for (int i = 0; i < sk_X509_num(dst); i++) {
        if (X509_cmp(sk_X509_value(dst, i), cert) == 0) {
            return WARD_OK;
        }
    }
    ENSURE(X509_up_ref(cert) == 1, WARD_ERR_CRYPTO);
    if (sk_X509_push(dst, cert) <= 0) {
        X509_free(cert);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    return WARD_OK;
}

/* Reads one certificate file: DER, PEM (one or more), or the GUID certificate
 * table of an extended report (SNP_GET_EXT_REPORT, configfs-tsm auxblob). */
static int parse_cert_file(const struct ward_blob *f, STACK_OF(X509) *out)
{
    struct ward_snp_cert_table t;
    bool pem_or_der = f->len > 0 && (f->data[0] == 0x30 || f->data[0] == '-');
    if (pem_or_der || ward_snp_cert_table_parse(f->data, f->len, &t) != WARD_OK) {
        return ward_x509_parse_all(f->data, f->len, out);
    }
    for (size_t i = 0; i < t.num_entries; i++) {
        if (t.entries[i].kind == WARD_SNP_CERT_OTHER) {
            continue; /* entries ward does not know (e.g. a CRL GUID) are not certificates */
        }
        int rc = ward_x509_parse_all(t.entries[i].der, t.entries[i].der_len, out);
        if (rc != WARD_OK) {
            return ward_err_prefix("certificate table entry %zu", i);
        }
    }
    return WARD_OK;
}

/* Parses the caller's certificate and CRL files. A damaged file fails the check it
 * belongs to (chain or revocation) with the file's name. Returns false if a
 * certificate failed (a bad CRL fails revocation but does not stop the chain check). */
static bool gather_inputs(struct ctx *c)
{
    const struct ward_verify_opts *o = c->opts;
    bool ok = true;
    for (int i = 0; o->certs != NULL && i < sk_X509_num(o->certs); i++) {
        if (sort_cert(c, sk_X509_value(o->certs, i)) != WARD_OK) {
            ward_appraisal_fail(c->a, WARD_CHECK_CHAIN, "%s", ward_err_detail());
            ok = false;
        }
    }
    for (size_t i = 0; i < o->num_cert_files; i++) {
        STACK_OF(X509) *tmp = sk_X509_new_null();
        int rc = tmp ? parse_cert_file(&o->cert_files[i], tmp)
                     : ward_err_set(WARD_ERR_NOMEM, "out of memory");
        for (int k = 0; rc == WARD_OK && k < sk_X509_num(tmp); k++) {
            rc = sort_cert(c, sk_X509_value(tmp, k));
        }
        if (rc != WARD_OK) {
            ward_appraisal_fail(c->a, WARD_CHECK_CHAIN, "certificate %s: %s", o->cert_files[i].name,
                                ward_err_detail());
            ok = false;
        }
        sk_X509_pop_free(tmp, X509_free);
    }
    for (int i = 0; o->crls != NULL && i < sk_X509_CRL_num(o->crls); i++) {
        X509_CRL *crl = sk_X509_CRL_value(o->crls, i);
        if (X509_CRL_up_ref(crl) != 1 || sk_X509_CRL_push(c->crls, crl) <= 0) {
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION, "out of memory");
        }
    }
    for (size_t i = 0; i < o->num_crl_files; i++) {
        X509_CRL *crl = NULL;
        if (ward_crl_parse(o->crl_files[i].data, o->crl_files[i].len, &crl) != WARD_OK) {
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION, "CRL %s: %s", o->crl_files[i].name,
                                ward_err_detail());
        } else if (sk_X509_CRL_push(c->crls, crl) <= 0) {
            X509_CRL_free(crl);
            ward_appraisal_fail(c->a, WARD_CHECK_REVOCATION, "out of memory");
        }
    }
    return ok;
}

/* Adds what the collateral cache holds for |product| (nothing if disabled or
 * empty): certificates only when the caller gave no attestation key certificate,
 * and CRLs only when the caller gave none. */
static void load_cache(struct ctx *c, enum ward_snp_product product)
{
    bool want_certs = sk_X509_num(c->leaves) == 0;
    bool want_crls = sk_X509_CRL_num(c->crls) == 0;
    const char *dir = c->opts->cache_dir;
    char path[1024];
    if (dir != NULL && dir[0] == '\0') {
        return; /* cache disabled */
    }
    if (ward_cache_dir(dir, path, sizeof(path)) != WARD_OK) {
        ward_err_clear();
        return;
    }
    STACK_OF(X509) *certs = sk_X509_new_null();
    if (certs == NULL) {
        return;
    }
    if (ward_snp_cache_load(path, product, &c->r, want_certs ? certs : NULL,
                            want_crls ? c->crls : NULL) == WARD_OK) {
        for (int i = 0; i < sk_X509_num(certs); i++) {
            if (sort_cert(c, sk_X509_value(certs, i)) != WARD_OK) {
                ward_err_clear();
            }
        }
    } else {
        ward_log(WARD_LOG_DEBUG, "collateral cache: %s", ward_err_detail());
        ward_err_clear();
    }
    sk_X509_pop_free(certs, X509_free);
}

/* The product named by a certificate: its productName extension, else the last
 * word of its issuer's CN ("SEV-Milan", "SEV-VLEK-Genoa"). */
static enum ward_snp_product cert_product(X509 *leaf, const struct ward_snp_cert_ext *ext)
{
    enum ward_snp_product p = ward_snp_product_parse(ext->product_name);
    char cn[128];
    if (p == WARD_SNP_PRODUCT_UNKNOWN && ward_x509_issuer_cn(leaf, cn, sizeof(cn)) == WARD_OK) {
        const char *dash = strrchr(cn, '-');
        p = ward_snp_product_parse(dash ? dash + 1 : cn);
    }
    ward_err_clear();
    return p;
}

/* Whether |cert|'s issuer is a VLEK signer (ASVK). */
static bool issued_by_asvk(X509 *cert)
{
    char cn[128];
    bool vlek = ward_x509_issuer_cn(cert, cn, sizeof(cn)) == WARD_OK && strstr(cn, "VLEK") != NULL;
    ward_err_clear();
    return vlek;
}

/* Picks the attestation key certificate: the EC certificate of the kind the report
 * names (VCEK / VLEK by its issuer), preferring one whose hwID matches CHIP_ID. */
static X509 *pick_leaf(struct ctx *c)
{
    X509 *best = NULL;
    int best_score = -1;
    for (int i = 0; i < sk_X509_num(c->leaves); i++) {
        X509 *x = sk_X509_value(c->leaves, i);
        struct ward_snp_cert_ext e;
        int score = 0;
        if ((c->key == WARD_SNP_KEY_VLEK) == issued_by_asvk(x)) {
            score += 2;
        }
        if (ward_snp_cert_ext_parse(x, &e) == WARD_OK && e.hwid_len > 0 &&
            ward_ct_equal(e.hwid, c->r.chip_id, e.hwid_len)) {
            score += 1;
        }
        ward_err_clear();
        if (score > best_score) {
            best = x;
            best_score = score;
        }
    }
    return best;
}

/* ---- the checks ---- */

static bool check_signature(struct ctx *c, const uint8_t *report)
{
    struct ward_appraisal *a = c->a;
    EVP_PKEY *pk = X509_get0_pubkey(c->leaf);
    if (pk == NULL || EVP_PKEY_get_bits(pk) != 384) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE, "snp report: the %s does not hold a P-384 key",
                            key_name(c->key));
        return false;
    }
    int rc = ward_ecdsa_verify_raw(pk, WARD_SHA384, report, WARD_SNP_SIGNED_LEN, c->r.sig_r,
                                   c->r.sig_s, WARD_SNP_SIG_COMP_LEN, WARD_ECDSA_LE);
    if (rc != WARD_OK) {
        char chip[20];
        short_hex(c->r.chip_id, sizeof(c->r.chip_id), chip);
        ward_appraisal_fail(
            a, WARD_CHECK_SIGNATURE,
            "snp report: signature does not verify with the %s (report from chip %s): %s",
            key_name(c->key), chip, ward_err_detail());
        return false;
    }
    ward_appraisal_pass(a, WARD_CHECK_SIGNATURE);
    return true;
}

static int push_up(STACK_OF(X509) *sk, X509 *x)
{
    ENSURE(X509_up_ref(x) == 1, WARD_ERR_CRYPTO);
    if (sk_X509_push(sk, x) <= 0) {
        X509_free(x);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    return WARD_OK;
}

static bool has_subject(STACK_OF(X509) *sk, X509 *x)
{
    for (int i = 0; i < sk_X509_num(sk); i++) {
        if (X509_NAME_cmp(X509_get_subject_name(sk_X509_value(sk, i)), X509_get_subject_name(x)) ==
            0) {
            return true;
        }
    }
    return false;
}

static bool check_chain(struct ctx *c)
{
    struct ward_appraisal *a = c->a;
    const struct amd_roots *amd = NULL;
    STACK_OF(X509) *inter = sk_X509_dup(c->intermediates); /* borrowed references */
    STACK_OF(X509) *sim = NULL;
    bool ok = false;
    char cn[128];

    c->roots = sk_X509_new_null();
    if (inter == NULL || c->roots == NULL) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "out of memory");
        goto out;
    }
    if (c->product != WARD_SNP_PRODUCT_UNKNOWN && amd_roots_get(c->product, &amd) == WARD_OK) {
        if (push_up(c->roots, amd->ark) != WARD_OK) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN, "out of memory");
            goto out;
        }
        /* The pinned ASK/ASVK fill in for an intermediate the caller did not give. */
        X509 *mine = c->key == WARD_SNP_KEY_VLEK ? amd->asvk : amd->ask;
        if (!has_subject(inter, mine)) {
            sk_X509_push(inter, mine);
        }
    }
    char sim_err[200] = "";
    if (c->opts->sim_dir != NULL) {
        sim = sk_X509_new_null();
        if (sim == NULL || ward_snp_sim_roots(c->opts->sim_dir, sim) != WARD_OK) {
            snprintf(sim_err, sizeof(sim_err), "; simulator roots in %s: %s", c->opts->sim_dir,
                     ward_err_detail());
            sk_X509_pop_free(sim, X509_free);
            sim = NULL;
        }
    }
    /* A root the caller supplied must be the pinned one (or a trusted simulator root). */
    for (int i = 0; i < sk_X509_num(c->supplied_roots); i++) {
        X509 *x = sk_X509_value(c->supplied_roots, i);
        bool known = false;
        for (int k = 0; !known && k < sk_X509_num(c->roots); k++) {
            known = X509_cmp(x, sk_X509_value(c->roots, k)) == 0;
        }
        for (int k = 0; !known && sim != NULL && k < sk_X509_num(sim); k++) {
            known = X509_cmp(x, sk_X509_value(sim, k)) == 0;
        }
        if (!known) {
            if (ward_x509_subject_cn(x, cn, sizeof(cn)) != WARD_OK) {
                snprintf(cn, sizeof(cn), "?");
            }
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "supplied root CN=%s is not the pinned AMD ARK of %s%s", cn,
                                ward_snp_product_name(c->product),
                                c->opts->sim_dir ? " nor a trusted simulator root" : "");
            goto out;
        }
    }
    /* Every certificate given must take part in the chain: a damaged or unrelated
     * one is an error, not something to step around. */
    for (int i = 0; i < sk_X509_num(c->intermediates); i++) {
        X509 *x = sk_X509_value(c->intermediates, i);
        if (X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(c->leaf)) != 0) {
            if (ward_x509_subject_cn(x, cn, sizeof(cn)) != WARD_OK) {
                snprintf(cn, sizeof(cn), "?");
            }
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "certificate CN=%s is not the issuer of the %s", cn,
                                key_name(c->key));
            goto out;
        }
    }
    for (int i = 0; i < sk_X509_num(c->leaves); i++) {
        if (sk_X509_value(c->leaves, i) != c->leaf) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "more than one attestation key certificate was given");
            goto out;
        }
    }
    /* VCEKs are issued by an ASK, VLEKs by an ASVK: the issuer must match the field. */
    if ((c->key == WARD_SNP_KEY_VLEK) != issued_by_asvk(c->leaf)) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                            "report says it is signed by the %s but the certificate is not a %s",
                            key_name(c->key), key_name(c->key));
        goto out;
    }
    int rc = chain_verify_anchored(c->opts->chain_cache, c->leaf, inter, c->intermediates,
                                   &c->roots, sim, c->at, &a->simulated);
    sim = NULL; /* chain_verify_anchored took it */
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "%s chain to AMD ARK-%s: %s%s", key_name(c->key),
                            ward_snp_product_name(c->product), ward_err_detail(), sim_err);
        goto out;
    }
    /* The VCEK is per chip: its hwID must be this report's CHIP_ID (unless masked). */
    if (c->key == WARD_SNP_KEY_VCEK) {
        bool masked = (c->r.flags & 2) != 0;
        if (c->ext.hwid_len == 0) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN, "VCEK has no hwID extension");
            goto out;
        }
        if (!masked && !ward_ct_equal(c->ext.hwid, c->r.chip_id, c->ext.hwid_len)) {
            char want[20], got[20];
            short_hex(c->ext.hwid, c->ext.hwid_len, got);
            short_hex(c->r.chip_id, sizeof(c->r.chip_id), want);
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "VCEK belongs to another chip: hwID %s, report CHIP_ID %s", got,
                                want);
            goto out;
        }
    }
    ward_appraisal_pass(a, WARD_CHECK_CHAIN);
    ok = true;
out:
    sk_X509_free(inter);
    sk_X509_pop_free(sim, X509_free);
    return ok;
}

/* Whether some CRL in |crls| names |issuer| as its issuer. */
static bool crl_from(STACK_OF(X509_CRL) *crls, X509 *issuer)
{
    for (int i = 0; i < sk_X509_CRL_num(crls); i++) {
        if (X509_NAME_cmp(X509_CRL_get_issuer(sk_X509_CRL_value(crls, i)),
                          X509_get_subject_name(issuer)) == 0) {
            return true;
        }
    }
    return false;
}

/* AMD's KDS publishes one CRL per product, issued by the ARK; it covers the ASK
 * and ASVK. VCEKs and VLEKs are covered by no CRL. So a CRL applies when the ARK
 * (or, for completeness, the ASK/ASVK) issued it; others are a caller's mistake. */
static void check_revocation(struct ctx *c)
{
    struct ward_appraisal *a = c->a;
    X509 *ark = sk_X509_value(c->roots, 0);
    bool from_ark = false, relevant = false;
    for (int i = 0; i < sk_X509_num(c->roots); i++) {
        from_ark |= crl_from(c->crls, sk_X509_value(c->roots, i));
    }
    relevant = from_ark;
    for (int i = 0; i < sk_X509_num(c->intermediates); i++) {
        relevant |= crl_from(c->crls, sk_X509_value(c->intermediates, i));
    }
    if (a->checks[WARD_CHECK_REVOCATION] == WARD_STATUS_FAIL) {
        return; /* a CRL file was already found damaged */
    }
    if (sk_X509_CRL_num(c->crls) == 0 || !from_ark) {
        char cn[128] = "?";
        if (ark != NULL && ward_x509_subject_cn(ark, cn, sizeof(cn)) != WARD_OK) {
            ward_err_clear();
        }
        if (sk_X509_CRL_num(c->crls) > 0 && !relevant) {
            ward_appraisal_fail(a, WARD_CHECK_REVOCATION,
                                "no given CRL is issued by this chain (expected one from %s)", cn);
        } else if (c->pol->require_crl) {
            ward_appraisal_fail(
                a, WARD_CHECK_REVOCATION,
                "policy requires the CRL of %s and none was given or cached (ward fetch snp)", cn);
        }
        if (!relevant) {
            return;
        }
    }
    STACK_OF(X509) *inter = sk_X509_dup(c->intermediates);
    const struct amd_roots *amd;
    if (!c->a->simulated && amd_roots_get(c->product, &amd) == WARD_OK && inter != NULL) {
        X509 *mine = c->key == WARD_SNP_KEY_VLEK ? amd->asvk : amd->ask;
        if (!has_subject(inter, mine)) {
            sk_X509_push(inter, mine);
        }
    }
    ward_err_clear();
    struct ward_chain_opts co = {.at = c->at, .crls = c->crls};
    int rc = ward_x509_verify_chain(c->leaf, inter, c->roots, &co);
    sk_X509_free(inter);
    if (rc != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_REVOCATION, "%s", ward_err_detail());
        return;
    }
    ward_appraisal_pass(a, WARD_CHECK_REVOCATION);
}

static void tcb_text(const struct ward_snp_tcb *t, bool fmc, char *out, size_t len)
{
    int n = fmc ? snprintf(out, len, "fmc=%u ", t->fmc) : 0;
    snprintf(out + n, len - (size_t)n, "bootloader=%u tee=%u snp=%u microcode=%u", t->bootloader,
             t->tee, t->snp, t->microcode);
}

static void check_tcb(struct ctx *c)
{
    struct ward_appraisal *a = c->a;
    struct ward_snp_tcb rep;
    bool turin = c->product == WARD_SNP_TURIN;
    char want[96], got[96];

    ward_snp_tcb_decode(c->r.reported_tcb, c->product, &rep);
    if (!c->ext.has_tcb) {
        ward_appraisal_fail(a, WARD_CHECK_TCB, "%s has no TCB extensions", key_name(c->key));
        return;
    }
    if (turin && !c->ext.has_fmc) {
        ward_appraisal_fail(a, WARD_CHECK_TCB, "Turin %s lacks the fmcSPL extension",
                            key_name(c->key));
        return;
    }
    if (ward_snp_tcb_encode(&c->ext.tcb, c->product) != c->r.reported_tcb) {
        tcb_text(&c->ext.tcb, turin, got, sizeof(got));
        tcb_text(&rep, turin, want, sizeof(want));
        ward_appraisal_fail(a, WARD_CHECK_TCB,
                            "%s TCB (%s) differs from the report's REPORTED_TCB (%s)",
                            key_name(c->key), got, want);
        return;
    }
    if (c->pol->has_min_tcb) {
        const struct ward_snp_tcb *m = &c->pol->min_tcb;
        if (rep.bootloader < m->bootloader || rep.tee < m->tee || rep.snp < m->snp ||
            rep.microcode < m->microcode || (turin && rep.fmc < m->fmc)) {
            tcb_text(&rep, turin, got, sizeof(got));
            tcb_text(m, turin, want, sizeof(want));
            ward_appraisal_fail(a, WARD_CHECK_TCB,
                                "reported TCB (%s) is below the policy minimum (%s)", got, want);
            return;
        }
    }
    ward_appraisal_pass(a, WARD_CHECK_TCB);
}

static bool in_list(const uint8_t *v, const uint8_t *list, size_t num, size_t n)
{
    bool found = false;
    for (size_t i = 0; i < num; i++) {
        found |= ward_ct_equal(v, list + i * n, n);
    }
    return found;
}

static void check_measurement(struct ctx *c)
{
    const struct snp_policy *p = c->pol;
    if (p->num_measurements == 0) {
        return; /* nothing to compare with: skip */
    }
    if (!in_list(c->r.measurement, (const uint8_t *)p->measurements, p->num_measurements, 48)) {
        char m[97];
        ward_hex_encode(c->r.measurement, 48, m);
        ward_appraisal_fail(c->a, WARD_CHECK_MEASUREMENT,
                            "launch measurement %s is not in the policy's list", m);
        return;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_MEASUREMENT);
}

static void check_policy(struct ctx *c)
{
    const struct snp_policy *p = c->pol;
    const struct ward_snp_report *r = &c->r;
    struct ward_appraisal *a = c->a;
    size_t before = a->num_errors;

    if ((r->policy & WARD_SNP_POLICY_DEBUG) && !p->allow_debug) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY,
                            "guest policy allows debugging (policy bit 19); refused");
    }
    if ((r->policy & WARD_SNP_POLICY_SMT) && !p->allow_smt) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "guest policy allows SMT; the policy forbids it");
    }
    if ((r->policy & WARD_SNP_POLICY_MIGRATE_MA) && !p->allow_migration_agent) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "guest policy allows a migration agent; refused");
    }
    if (!(r->policy & WARD_SNP_POLICY_SINGLE_SOCKET) && p->require_single_socket) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "guest policy does not require a single socket");
    }
    unsigned maj = (r->policy >> 8) & 0xFF, min = r->policy & 0xFF;
    if (maj < p->min_abi_major || (maj == p->min_abi_major && min < p->min_abi_minor)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "guest policy minimum ABI %u.%u is below %u.%u",
                            maj, min, p->min_abi_major, p->min_abi_minor);
    }
    if (r->vmpl > 3 || !(p->vmpl_mask & (1u << r->vmpl))) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "VMPL %u is not allowed", r->vmpl);
    }
    if ((r->platform_info & p->platform_require) != p->platform_require) {
        ward_appraisal_fail(
            a, WARD_CHECK_POLICY, "platform info 0x%llx lacks required flags 0x%llx",
            (unsigned long long)r->platform_info, (unsigned long long)p->platform_require);
    }
    if (r->platform_info & p->platform_forbid) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "platform info 0x%llx has forbidden flags 0x%llx",
                            (unsigned long long)r->platform_info,
                            (unsigned long long)(r->platform_info & p->platform_forbid));
    }
    if (p->num_id_keys > 0 &&
        !in_list(r->id_key_digest, (const uint8_t *)p->id_keys, p->num_id_keys, 48)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "ID key digest is not in the policy's list");
    }
    if (p->num_author_keys > 0 &&
        (!(r->flags & 1) ||
         !in_list(r->author_key_digest, (const uint8_t *)p->author_keys, p->num_author_keys, 48))) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY,
                            "author key digest is absent or not in the policy's list");
    }
    if ((c->key == WARD_SNP_KEY_VCEK && !p->allow_vcek) ||
        (c->key == WARD_SNP_KEY_VLEK && !p->allow_vlek)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "reports signed by a %s are not accepted",
                            key_name(c->key));
    }
    if (p->num_chips > 0 && !in_list(r->chip_id, (const uint8_t *)p->chips, p->num_chips, 64)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "chip is not in the policy's allowlist");
    }
    if (r->guest_svn < p->min_guest_svn) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "guest SVN %u is below %u", r->guest_svn,
                            p->min_guest_svn);
    }
    if (p->has_host_data && !ward_ct_equal(r->host_data, p->host_data, 32)) {
        ward_appraisal_fail(a, WARD_CHECK_POLICY, "HOST_DATA differs from the policy's value");
    }
    if (a->num_errors == before && a->checks[WARD_CHECK_POLICY] != WARD_STATUS_FAIL) {
        ward_appraisal_pass(a, WARD_CHECK_POLICY);
    }
}

static void check_binding(struct ctx *c)
{
    const uint8_t *want = NULL;
    if (c->opts->has_report_data) {
        want = c->opts->report_data;
    } else if (c->pol->has_report_data) {
        want = c->pol->report_data;
    }
    if (want == NULL) {
        return; /* no expected value: skip */
    }
    if (!ward_ct_equal(c->r.report_data, want, 64)) {
        char got[129];
        ward_hex_encode(c->r.report_data, 64, got);
        ward_appraisal_fail(c->a, WARD_CHECK_BINDING,
                            "REPORT_DATA %s differs from the expected value", got);
        return;
    }
    ward_appraisal_pass(c->a, WARD_CHECK_BINDING);
}

/* ---- the pipeline ---- */

static int appraise(struct ctx *c, const uint8_t *report, size_t len)
{
    struct ward_appraisal *a = c->a;

    if (ward_snp_report_parse(report, len, &c->r) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE, "%s", ward_err_detail());
        return WARD_OK;
    }
    c->key = ward_snp_signing_key(&c->r);
    enum ward_snp_product from_cpu = ward_snp_product_from_cpuid(&c->r);
    if (c->r.version >= 3 && from_cpu == WARD_SNP_PRODUCT_UNKNOWN) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                            "report comes from an unknown CPU (family %02xh model %02xh)",
                            c->r.cpuid_fam_id, c->r.cpuid_mod_id);
    }
    bool inputs_ok = gather_inputs(c);

    /* Fill gaps from the collateral cache. */
    if (sk_X509_num(c->leaves) == 0 || sk_X509_CRL_num(c->crls) == 0) {
        /* For version 2 (no CPUID) the cache finds the product by this chip's VCEK. */
        load_cache(c, from_cpu);
    }
    c->product = from_cpu;
    if (c->key == WARD_SNP_KEY_NONE) {
        ward_appraisal_fail(a, WARD_CHECK_SIGNATURE,
                            "snp report is not signed (SIGNING_KEY = none)");
    } else if ((c->leaf = pick_leaf(c)) == NULL) {
        ward_appraisal_fail(
            a, WARD_CHECK_SIGNATURE,
            "no %s given or cached for this report (give --certs, or run 'ward fetch snp')",
            key_name(c->key));
    } else if (ward_snp_cert_ext_parse(c->leaf, &c->ext) != WARD_OK) {
        ward_appraisal_fail(a, WARD_CHECK_CHAIN, "%s extensions: %s", key_name(c->key),
                            ward_err_detail());
        c->leaf = NULL;
    }
    if (c->leaf != NULL) {
        enum ward_snp_product from_cert = cert_product(c->leaf, &c->ext);
        if (from_cpu != WARD_SNP_PRODUCT_UNKNOWN && from_cert != WARD_SNP_PRODUCT_UNKNOWN &&
            from_cpu != from_cert) {
            ward_appraisal_fail(a, WARD_CHECK_CHAIN,
                                "report comes from a %s CPU but the %s is for %s",
                                ward_snp_product_name(from_cpu), key_name(c->key),
                                ward_snp_product_name(from_cert));
        }
        if (c->product == WARD_SNP_PRODUCT_UNKNOWN) {
            c->product = from_cert;
        }
    }
    GUARD(add_claims(c));

    bool sig_ok = c->leaf != NULL && check_signature(c, report);
    bool chain_ok = c->leaf != NULL && inputs_ok &&
                    a->checks[WARD_CHECK_CHAIN] != WARD_STATUS_FAIL && check_chain(c);
    json_object_set_new(a->claims, "simulated", json_boolean(a->simulated));
    if (!sig_ok || !chain_ok) {
        /* Without a genuine, chained signature nothing the report says can be trusted:
         * the remaining checks stay "skip". */
        return WARD_OK;
    }
    check_revocation(c);
    check_tcb(c);
    check_measurement(c);
    check_policy(c);
    check_binding(c);
    return WARD_OK;
}

int ward_verify_snp(const uint8_t *report, size_t len, const struct ward_verify_opts *opts,
                    struct ward_appraisal *out)
{
    struct ward_policy *def = NULL;
    struct ctx c;
    int rc;

    memset(&c, 0, sizeof(c));
    if (opts->policy == NULL) {
        GUARD(ward_policy_default(&def));
    }
    ward_appraisal_init(out, "snp");
    c.a = out;
    c.opts = opts;
    c.pol = opts->policy ? &opts->policy->snp : &def->snp;
    c.at = opts->at ? opts->at : ward_time_now();
    c.leaves = sk_X509_new_null();
    c.intermediates = sk_X509_new_null();
    c.supplied_roots = sk_X509_new_null();
    c.crls = sk_X509_CRL_new_null();
    if (c.leaves == NULL || c.intermediates == NULL || c.supplied_roots == NULL || c.crls == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
    } else {
        rc = appraise(&c, report, len);
    }
    ctx_cleanup(&c);
    ward_policy_free(def);
    if (rc != WARD_OK) {
        ward_appraisal_cleanup(out);
    }
    return rc;
}
