/*
 * tests/unit/test_ocsp.c: the OCSP revocation check of the GPU verifier, on a
 * simulated GPU. Responses are built here with OpenSSL's OCSP API and signed with
 * the simulator's CA keys (read from its state directory), then given to
 * ward_verify_nvgpu as files or through the cache: good statuses pass; a revoked
 * leaf, an unknown status, a foreign signer, a stale or future status, a response
 * about another certificate, a damaged response and a missing status fail with a
 * message naming the certificate or the file; cached responses that are not
 * current are passed over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ward/collateral.h"
#include "ward/crypto.h"
#include "ward/ocsp.h"
#include "ward/sim.h"
#include "ward/verify.h"

#include "sim_test_util.h"

#define LEAF_CN "SIM GH100 A01 GSP FMC LF"
#define ICA_CN "SIM NVIDIA GH100 Provisioner ICA 1"
#define IDENTITY_CN "SIM NVIDIA GH100 Identity"
#define DAY (24L * 60 * 60)

enum { LEAF, ICA, IDENTITY, ROOT, CHAIN_LEN };

/* One simulated GPU report with its chain, the simulator's CA keys, and a
 * second device's leaf (a certificate of another chain). */
struct fixture {
    char *dir;
    struct ward_buf report, chain_pem, other_pem;
    STACK_OF(X509) *chain; /* leaf, ICA, Identity, root */
    X509 *other_leaf;      /* device 1's leaf, issued by the same ICA */
    EVP_PKEY *keys[CHAIN_LEN];
    char cache[512];
};

static EVP_PKEY *load_key(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/nvgpu/%s", dir, file);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    EVP_PKEY *k = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
    fclose(fp);
    assert_non_null(k);
    return k;
}

static int group_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    void *dir = NULL;
    if (f == NULL || sim_test_dir_new("/tmp/ward-test-ocsp-XXXXXX", &dir) != 0) {
        free(f);
        return -1;
    }
    f->dir = dir;
    struct ward_nvgpu_sim_opts o = {.dir = f->dir, .num_blocks = 4};
    if (ward_nvgpu_sim_report(&o, &f->report, &f->chain_pem) != WARD_OK) {
        return -1;
    }
    struct ward_buf other_report = {0};
    o.device = 1;
    if (ward_nvgpu_sim_report(&o, &other_report, &f->other_pem) != WARD_OK) {
        return -1;
    }
    ward_buf_cleanup(&other_report);
    f->chain = sk_X509_new_null();
    STACK_OF(X509) *other = sk_X509_new_null();
    if (f->chain == NULL || other == NULL ||
        ward_x509_parse_all(f->chain_pem.data, f->chain_pem.len, f->chain) != WARD_OK ||
        sk_X509_num(f->chain) != CHAIN_LEN ||
        ward_x509_parse_all(f->other_pem.data, f->other_pem.len, other) != WARD_OK) {
        return -1;
    }
    f->other_leaf = sk_X509_shift(other);
    sk_X509_pop_free(other, X509_free);
    f->keys[ICA] = load_key(f->dir, "gh100_ica.key");
    f->keys[IDENTITY] = load_key(f->dir, "gh100_identity.key");
    f->keys[ROOT] = load_key(f->dir, "root.key");
    snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < CHAIN_LEN; i++) {
        EVP_PKEY_free(f->keys[i]);
    }
    X509_free(f->other_leaf);
    sk_X509_pop_free(f->chain, X509_free);
    ward_buf_cleanup(&f->report);
    ward_buf_cleanup(&f->chain_pem);
    ward_buf_cleanup(&f->other_pem);
    void *dir = f->dir;
    free(f);
    return sim_test_dir_remove(&dir);
}

static X509 *cert(const struct fixture *f, int i)
{
    return sk_X509_value(f->chain, i);
}

/* ---- building responses ---- */

/* What one response says and who signs it. */
struct spec {
    X509 *cert, *issuer; /* the CertID */
    int status;          /* V_OCSP_CERTSTATUS_* */
    long this_off;       /* thisUpdate: now + this_off seconds */
    long next_off;       /* nextUpdate: now + next_off seconds */
    bool no_next;        /* no nextUpdate at all */
    X509 *signer;        /* signer certificate (included in the response) */
    EVP_PKEY *key;       /* its key */
    const EVP_MD *id_md; /* CertID hash; NULL: SHA-384 */
    unsigned long flags; /* OCSP_basic_sign flags (OCSP_RESPID_KEY, OCSP_NOCERTS) */
};

/* good returns the spec of a good, current status of chain certificate |i|,
 * signed by its issuer. */
static struct spec good(const struct fixture *f, int i)
{
    return (struct spec){.cert = cert(f, i),
                         .issuer = cert(f, i + 1),
                         .status = V_OCSP_CERTSTATUS_GOOD,
                         .this_off = -3600,
                         .next_off = DAY,
                         .signer = cert(f, i + 1),
                         .key = f->keys[i + 1]};
}

static ASN1_GENERALIZEDTIME *at_offset(long off)
{
    ASN1_GENERALIZEDTIME *t = ASN1_GENERALIZEDTIME_set(NULL, time(NULL) + off);
    assert_non_null(t);
    return t;
}

static void build(const struct spec *s, struct ward_buf *out)
{
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id =
        OCSP_cert_to_id(s->id_md != NULL ? s->id_md : EVP_sha384(), s->cert, s->issuer);
    ASN1_GENERALIZEDTIME *thisupd = at_offset(s->this_off);
    ASN1_GENERALIZEDTIME *nextupd = s->no_next ? NULL : at_offset(s->next_off);
    ASN1_GENERALIZEDTIME *rev = NULL;
    int reason = -1;
    if (s->status == V_OCSP_CERTSTATUS_REVOKED) {
        rev = at_offset(-2 * 3600);
        reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
    }
    assert_non_null(bs);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(bs, id, s->status, reason, rev, thisupd, nextupd));
    assert_int_equal(OCSP_basic_sign(bs, s->signer, s->key, EVP_sha384(), NULL, s->flags), 1);
    OCSP_RESPONSE *r = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    assert_non_null(r);
    unsigned char *der = NULL;
    int len = i2d_OCSP_RESPONSE(r, &der);
    assert_true(len > 0);
    assert_int_equal(ward_buf_set(out, der, (size_t)len), WARD_OK);
    OPENSSL_free(der);
    OCSP_RESPONSE_free(r);
    ASN1_GENERALIZEDTIME_free(rev);
    ASN1_GENERALIZEDTIME_free(nextupd);
    ASN1_GENERALIZEDTIME_free(thisupd);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
}

/* make_cert issues a certificate for a new P-384 key, named |cn|, by |issuer|
 * with |issuer_key| (NULL: self-signed), valid from a day ago for |days| days,
 * with the extended key usage |eku| when not NULL. */
static X509 *make_cert(const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *eku,
                       long days, EVP_PKEY **out_key)
{
    EVP_PKEY *key = NULL;
    assert_int_equal(ward_ec_key_generate(NID_secp384r1, &key), WARD_OK);
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), (long)time(NULL)), 1);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0),
        1);
    assert_int_equal(X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name),
                     1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -DAY));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), days * DAY));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
    if (eku != NULL) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, eku);
        assert_non_null(e);
        assert_int_equal(X509_add_ext(x, e, -1), 1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, issuer_key != NULL ? issuer_key : key, EVP_sha384()) > 0);
    *out_key = key;
    return x;
}

/* ---- appraising ---- */

/* A set of responses given as files, named "r0.der", "r1.der", ... */
struct files {
    size_t num;
    struct ward_buf bufs[8];
    struct ward_blob blobs[8];
    char names[8][16];
};

static void add(struct files *fs, const struct spec *s)
{
    assert_true(fs->num < 8);
    build(s, &fs->bufs[fs->num]);
    snprintf(fs->names[fs->num], sizeof(fs->names[0]), "r%zu.der", fs->num);
    fs->num++;
}

static void add_raw(struct files *fs, const uint8_t *p, size_t len)
{
    assert_true(fs->num < 8);
    assert_int_equal(ward_buf_set(&fs->bufs[fs->num], p, len), WARD_OK);
    snprintf(fs->names[fs->num], sizeof(fs->names[0]), "r%zu.der", fs->num);
    fs->num++;
}

static void files_cleanup(struct files *fs)
{
    for (size_t i = 0; i < fs->num; i++) {
        ward_buf_cleanup(&fs->bufs[i]);
    }
}

/* appraise verifies the fixture's report with |fs| (may be NULL) as --ocsp files
 * and |cache_dir| as the cache ("" for none). The chain and signature must pass. */
static void appraise(const struct fixture *f, struct files *fs, const char *cache_dir,
                     struct ward_appraisal *a)
{
    struct ward_blob chain = {"chain.pem", f->chain_pem.data, f->chain_pem.len};
    struct ward_verify_opts o = {
        .cert_files = &chain, .num_cert_files = 1, .sim_dir = f->dir, .cache_dir = cache_dir};
    for (size_t i = 0; fs != NULL && i < fs->num; i++) {
        fs->blobs[i] = (struct ward_blob){fs->names[i], fs->bufs[i].data, fs->bufs[i].len};
    }
    if (fs != NULL) {
        o.ocsp_files = fs->blobs;
        o.num_ocsp_files = fs->num;
    }
    assert_int_equal(ward_verify_nvgpu(f->report.data, f->report.len, &o, a), WARD_OK);
    assert_int_equal(a->checks[WARD_CHECK_CHAIN], WARD_STATUS_PASS);
    assert_int_equal(a->checks[WARD_CHECK_SIGNATURE], WARD_STATUS_PASS);
    assert_true(a->simulated);
}

/* says reports whether a revocation error mentions both |s1| and |s2| (NULL: any). */
static bool says(const struct ward_appraisal *a, const char *s1, const char *s2)
{
    for (size_t i = 0; i < a->num_errors; i++) {
        const char *m = a->errors[i].message;
        if (a->errors[i].check == WARD_CHECK_REVOCATION && strstr(m, s1) != NULL &&
            (s2 == NULL || strstr(m, s2) != NULL)) {
            return true;
        }
    }
    return false;
}

static void print_errors(const struct ward_appraisal *a)
{
    for (size_t i = 0; i < a->num_errors; i++) {
        print_message("  %s: %s\n", ward_check_name(a->errors[i].check), a->errors[i].message);
    }
}

static void expect_pass(const struct fixture *f, struct files *fs, const char *cache_dir)
{
    struct ward_appraisal a;
    appraise(f, fs, cache_dir, &a);
    if (a.checks[WARD_CHECK_REVOCATION] != WARD_STATUS_PASS) {
        print_errors(&a);
    }
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_PASS);
    assert_true(ward_appraisal_verdict(&a));
    ward_appraisal_cleanup(&a);
}

/* expect_fail: the revocation check fails (and so the verdict) with an error
 * naming |s1| (and |s2|). */
static void expect_fail(const struct fixture *f, struct files *fs, const char *cache_dir,
                        const char *s1, const char *s2)
{
    struct ward_appraisal a;
    appraise(f, fs, cache_dir, &a);
    if (!says(&a, s1, s2)) {
        print_errors(&a);
    }
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_FAIL);
    assert_false(ward_appraisal_verdict(&a));
    assert_true(says(&a, s1, s2));
    ward_appraisal_cleanup(&a);
}

static void expect_skip(const struct fixture *f, struct files *fs, const char *cache_dir)
{
    struct ward_appraisal a;
    appraise(f, fs, cache_dir, &a);
    print_errors(&a);
    assert_int_equal(a.checks[WARD_CHECK_REVOCATION], WARD_STATUS_SKIP);
    assert_true(ward_appraisal_verdict(&a));
    ward_appraisal_cleanup(&a);
}

/* ---- given as files ---- */

static void test_good_chain_passes(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        add(&fs, &s);
    }
    expect_pass(f, &fs, "");
    files_cleanup(&fs);
}

static void test_leaf_status_optional(void **state)
{
    /* NVIDIA's responder does not know the leaf the GPU issues itself. */
    const struct fixture *f = *state;
    struct files fs = {0};
    struct spec ica = good(f, ICA), identity = good(f, IDENTITY);
    add(&fs, &ica);
    add(&fs, &identity);
    expect_pass(f, &fs, "");
    files_cleanup(&fs);
}

static void test_sha1_cert_ids_match(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.id_md = EVP_sha1();
        add(&fs, &s);
    }
    expect_pass(f, &fs, "");
    files_cleanup(&fs);
}

static void test_responder_id_by_key(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.flags = OCSP_RESPID_KEY | OCSP_NOCERTS; /* the signer comes from the chain */
        add(&fs, &s);
    }
    expect_pass(f, &fs, "");
    files_cleanup(&fs);
}

static void test_missing_status_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    struct spec leaf = good(f, LEAF), ica = good(f, ICA);
    add(&fs, &leaf);
    add(&fs, &ica);
    expect_fail(f, &fs, "", IDENTITY_CN, "no OCSP response");
    files_cleanup(&fs);
}

static void test_revoked_leaf_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.status = i == LEAF ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
        add(&fs, &s);
    }
    expect_fail(f, &fs, "", LEAF_CN, "is revoked");
    expect_fail(f, &fs, "", LEAF_CN, "keyCompromise");
    files_cleanup(&fs);
}

static void test_revoked_identity_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = ICA; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.status = i == IDENTITY ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
        add(&fs, &s);
    }
    expect_fail(f, &fs, "", IDENTITY_CN, "is revoked");
    files_cleanup(&fs);
}

static void test_unknown_status_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.status = i == ICA ? V_OCSP_CERTSTATUS_UNKNOWN : V_OCSP_CERTSTATUS_GOOD;
        add(&fs, &s);
    }
    expect_fail(f, &fs, "", ICA_CN, "unknown");
    files_cleanup(&fs);
}

static void test_foreign_signer_fails(void **state)
{
    const struct fixture *f = *state;
    /* An impostor of the Identity CA (same name, its own key) signs the ICA's
     * status, once named by its name and once by its key. */
    char cn[128];
    assert_int_equal(ward_x509_subject_cn(cert(f, IDENTITY), cn, sizeof(cn)), WARD_OK);
    EVP_PKEY *key = NULL;
    X509 *impostor = make_cert(cn, NULL, NULL, NULL, 30, &key);
    for (int by_key = 0; by_key < 2; by_key++) {
        struct files fs = {0};
        struct spec leaf = good(f, LEAF), ica = good(f, ICA), identity = good(f, IDENTITY);
        ica.signer = impostor;
        ica.key = key;
        ica.flags = by_key ? OCSP_RESPID_KEY : 0;
        add(&fs, &leaf);
        add(&fs, &ica);
        add(&fs, &identity);
        expect_fail(f, &fs, "", "r1.der", "signature");
        expect_fail(f, &fs, "", ICA_CN, "no OCSP response");
        files_cleanup(&fs);
    }
    X509_free(impostor);
    EVP_PKEY_free(key);
}

static void test_wrong_issuer_signs_fails(void **state)
{
    /* A genuine CA of the chain, but not the ICA's issuer: the root signs the
     * ICA's status. */
    const struct fixture *f = *state;
    struct files fs = {0};
    struct spec leaf = good(f, LEAF), ica = good(f, ICA), identity = good(f, IDENTITY);
    ica.signer = cert(f, ROOT);
    ica.key = f->keys[ROOT];
    add(&fs, &leaf);
    add(&fs, &ica);
    add(&fs, &identity);
    expect_fail(f, &fs, "", "r1.der", "signature");
    files_cleanup(&fs);
}

static void test_delegated_responder(void **state)
{
    const struct fixture *f = *state;
    for (int with_eku = 1; with_eku >= 0; with_eku--) {
        EVP_PKEY *key = NULL;
        X509 *responder = make_cert("SIM OCSP responder", cert(f, ICA), f->keys[ICA],
                                    with_eku ? "OCSPSigning" : NULL, 30, &key);
        struct files fs = {0};
        struct spec leaf = good(f, LEAF), ica = good(f, ICA), identity = good(f, IDENTITY);
        leaf.signer = responder;
        leaf.key = key;
        add(&fs, &leaf);
        add(&fs, &ica);
        add(&fs, &identity);
        if (with_eku) {
            expect_pass(f, &fs, "");
        } else {
            /* Without id-kp-OCSPSigning a certificate the ICA issued speaks for nothing. */
            expect_fail(f, &fs, "", "r0.der", "signature");
        }
        files_cleanup(&fs);
        X509_free(responder);
        EVP_PKEY_free(key);
    }
}

static void test_stale_status_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        if (i == ICA) {
            s.this_off = -3 * DAY;
            s.next_off = -DAY; /* nextUpdate before the verification time */
        }
        add(&fs, &s);
    }
    expect_fail(f, &fs, "", ICA_CN, "not current");
    files_cleanup(&fs);
}

static void test_future_status_fails(void **state)
{
    const struct fixture *f = *state;
    struct files fs = {0};
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        if (i == IDENTITY) {
            s.this_off = DAY; /* thisUpdate after the verification time */
            s.next_off = 2 * DAY;
        }
        add(&fs, &s);
    }
    expect_fail(f, &fs, "", IDENTITY_CN, "not current");
    files_cleanup(&fs);
}

static void test_no_next_update(void **state)
{
    /* Without nextUpdate a status counts as current for WARD_OCSP_MAX_AGE_S. */
    const struct fixture *f = *state;
    for (int old = 0; old < 2; old++) {
        struct files fs = {0};
        for (int i = LEAF; i < ROOT; i++) {
            struct spec s = good(f, i);
            s.no_next = true;
            s.this_off = old ? -(WARD_OCSP_MAX_AGE_S + 3600) : -3600;
            add(&fs, &s);
        }
        if (old) {
            expect_fail(f, &fs, "", LEAF_CN, "not current");
        } else {
            expect_pass(f, &fs, "");
        }
        files_cleanup(&fs);
    }
}

static void test_other_certificate_fails(void **state)
{
    const struct fixture *f = *state;
    /* Genuine, signed by the same ICA, but about another GPU's leaf: given in
     * place of the Identity's status, it leaves the Identity without one. */
    struct spec other = good(f, LEAF);
    other.cert = f->other_leaf;
    struct files fs = {0};
    struct spec leaf = good(f, LEAF), ica = good(f, ICA), identity = good(f, IDENTITY);
    add(&fs, &leaf);
    add(&fs, &ica);
    add(&fs, &other);
    expect_fail(f, &fs, "", IDENTITY_CN, "another chain");
    files_cleanup(&fs);

    /* Next to a complete set (as for the GPUs of a composite) it is passed over,
     * even when it would not verify here. */
    struct files all = {0};
    add(&all, &leaf);
    add(&all, &ica);
    add(&all, &identity);
    add(&all, &other);
    EVP_PKEY *key = NULL;
    X509 *stranger = make_cert("SIM stranger CA", NULL, NULL, NULL, 30, &key);
    other.signer = stranger;
    other.key = key;
    add(&all, &other);
    expect_pass(f, &all, "");
    files_cleanup(&all);
    X509_free(stranger);
    EVP_PKEY_free(key);
}

static void test_damaged_response_fails(void **state)
{
    const struct fixture *f = *state;
    struct ward_buf der = {0};
    struct spec ica = good(f, ICA);
    ica.flags = OCSP_NOCERTS; /* the signature is the response's last field */
    build(&ica, &der);
    for (int how = 0; how < 4; how++) {
        struct files fs = {0};
        struct spec leaf = good(f, LEAF), identity = good(f, IDENTITY);
        add(&fs, &leaf);
        add(&fs, &identity);
        uint8_t *p = malloc(der.len + 1);
        assert_non_null(p);
        memcpy(p, der.data, der.len);
        p[der.len] = 0;
        size_t len = der.len;
        if (how == 0) {
            len -= 1; /* truncated */
        } else if (how == 1) {
            len += 1; /* a byte after it */
        } else if (how == 2) {
            p[der.len - 10] ^= 1; /* a byte of the signature's s */
        } else {
            /* A signed byte: the last of the ICA's serial number in the CertID. */
            const ASN1_INTEGER *serial = X509_get0_serialNumber(cert(f, ICA));
            const unsigned char *sp = ASN1_STRING_get0_data(serial);
            size_t sn = (size_t)ASN1_STRING_length(serial);
            uint8_t *at = memmem(p, der.len, sp, sn);
            assert_non_null(at);
            at[sn - 1] ^= 1;
        }
        add_raw(&fs, p, len);
        free(p);
        if (how < 3) {
            expect_fail(f, &fs, "", "r2.der", NULL);
            expect_fail(f, &fs, "", ICA_CN, "no OCSP response");
        } else {
            /* Now about another certificate: it cannot stand for the ICA. */
            expect_fail(f, &fs, "", ICA_CN, "another chain");
        }
        files_cleanup(&fs);
    }
    ward_buf_cleanup(&der);
}

static void test_refused_response_fails(void **state)
{
    /* An OCSP error response ("unauthorized") given as a file. */
    const struct fixture *f = *state;
    static const uint8_t unauthorized[] = {0x30, 0x03, 0x0a, 0x01, 0x06};
    struct files fs = {0};
    add_raw(&fs, unauthorized, sizeof(unauthorized));
    expect_fail(f, &fs, "", "r0.der", "unauthorized");
    files_cleanup(&fs);
}

/* ---- the cache ---- */

/* cache_put writes |s|'s response to the cache as the status of |x|. */
static void cache_put(const struct fixture *f, const char *cache, X509 *x, const struct spec *s)
{
    char path[WARD_CACHE_PATH_MAX], dir[WARD_CACHE_PATH_MAX];
    assert_int_equal(ward_ocsp_cache_path(cache, x, path, sizeof(path)), WARD_OK);
    snprintf(dir, sizeof(dir), "%s/nvgpu/ocsp", cache);
    assert_int_equal(ward_mkdir_p(dir, 0755), WARD_OK);
    struct ward_buf der = {0};
    if (s != NULL) {
        build(s, &der);
    } else {
        assert_int_equal(ward_buf_set(&der, (const uint8_t *)"junk", 4), WARD_OK);
    }
    assert_int_equal(ward_write_file_atomic(path, der.data, der.len, 0644), WARD_OK);
    ward_buf_cleanup(&der);
    (void)f;
}

static void cache_fresh(const struct fixture *f, const char *name, char *out, size_t out_len)
{
    int n = snprintf(out, out_len, "%s/%s", f->cache, name);
    assert_true(n > 0 && (size_t)n < out_len);
}

static void test_cache_good_passes(void **state)
{
    const struct fixture *f = *state;
    char cache[WARD_CACHE_PATH_MAX];
    cache_fresh(f, "good", cache, sizeof(cache));
    expect_skip(f, NULL, cache); /* nothing cached yet */
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        cache_put(f, cache, cert(f, i), &s);
    }
    expect_pass(f, NULL, cache);
    expect_skip(f, NULL, ""); /* the cache disabled */
}

static void test_cache_revoked_leaf_fails(void **state)
{
    const struct fixture *f = *state;
    char cache[WARD_CACHE_PATH_MAX];
    cache_fresh(f, "revoked", cache, sizeof(cache));
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.status = i == LEAF ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD;
        cache_put(f, cache, cert(f, i), &s);
    }
    expect_fail(f, NULL, cache, LEAF_CN, "is revoked");
}

static void test_cache_stale_passed_over(void **state)
{
    const struct fixture *f = *state;
    char cache[WARD_CACHE_PATH_MAX];
    cache_fresh(f, "stale", cache, sizeof(cache));
    /* Every cached status is old: as if nothing were cached. */
    for (int i = LEAF; i < ROOT; i++) {
        struct spec s = good(f, i);
        s.this_off = -3 * DAY;
        s.next_off = -DAY;
        cache_put(f, cache, cert(f, i), &s);
    }
    expect_skip(f, NULL, cache);
    /* The Identity's is fresh again: the ICA's gap is named. */
    struct spec identity = good(f, IDENTITY);
    cache_put(f, cache, cert(f, IDENTITY), &identity);
    expect_fail(f, NULL, cache, ICA_CN, "in the cache");
    /* A damaged cached file is passed over like a stale one. */
    cache_put(f, cache, cert(f, ICA), NULL);
    expect_fail(f, NULL, cache, ICA_CN, "in the cache");
    struct spec ica = good(f, ICA);
    cache_put(f, cache, cert(f, ICA), &ica);
    expect_pass(f, NULL, cache);
}

static void test_files_win_over_cache(void **state)
{
    /* Given files are the only source: a revoked cached leaf is not read. */
    const struct fixture *f = *state;
    char cache[WARD_CACHE_PATH_MAX];
    cache_fresh(f, "files", cache, sizeof(cache));
    struct spec leaf = good(f, LEAF);
    leaf.status = V_OCSP_CERTSTATUS_REVOKED;
    cache_put(f, cache, cert(f, LEAF), &leaf);
    struct files fs = {0};
    struct spec ica = good(f, ICA), identity = good(f, IDENTITY);
    add(&fs, &ica);
    add(&fs, &identity);
    expect_pass(f, &fs, cache);
    files_cleanup(&fs);
}

/* ---- ward_ocsp_response_check directly ---- */

static void test_response_check_paths(void **state)
{
    const struct fixture *f = *state;
    struct ward_buf der = {0};
    struct spec ica = good(f, ICA);
    build(&ica, &der);
    STACK_OF(X509) *anchors = sk_X509_new_null();
    assert_non_null(anchors);
    assert_int_equal(ward_nvgpu_sim_roots(f->dir, anchors), WARD_OK);
    struct ward_ocsp_answer ans;
    int64_t now = ward_time_now();

    /* The whole chain, and the chain without its root: the anchor completes it. */
    assert_int_equal(ward_ocsp_response_check(der.data, der.len, f->chain, anchors, now, &ans),
                     WARD_OK);
    assert_int_equal(ans.num, 1);
    assert_int_equal(ans.singles[0].cert, ICA);
    assert_int_equal(ans.singles[0].status, WARD_OCSP_GOOD);
    assert_true(ans.singles[0].current);
    STACK_OF(X509) *part = sk_X509_dup(f->chain);
    assert_non_null(part);
    (void)sk_X509_pop(part);
    assert_int_equal(ward_ocsp_response_check(der.data, der.len, part, anchors, now, &ans),
                     WARD_OK);
    assert_int_equal(ans.num, 1);

    /* Out of order, or ending at an untrusted root. */
    STACK_OF(X509) *swapped = sk_X509_dup(f->chain);
    assert_non_null(swapped);
    (void)sk_X509_set(swapped, ICA, cert(f, IDENTITY));
    (void)sk_X509_set(swapped, IDENTITY, cert(f, ICA));
    assert_int_equal(ward_ocsp_response_check(der.data, der.len, swapped, anchors, now, &ans),
                     WARD_ERR_CHAIN);
    STACK_OF(X509) *nobody = sk_X509_new_null();
    assert_non_null(nobody);
    assert_int_equal(ward_ocsp_response_check(der.data, der.len, f->chain, nobody, now, &ans),
                     WARD_ERR_CHAIN);
    assert_int_equal(ward_ocsp_response_check(der.data, der.len, nobody, anchors, now, &ans),
                     WARD_ERR_USAGE);

    /* The signer's chain is checked at the given time: the simulator's
     * certificates are not valid in 2019. */
    assert_int_equal(
        ward_ocsp_response_check(der.data, der.len, f->chain, anchors, 1546300800, &ans),
        WARD_ERR_SIGNATURE);

    sk_X509_free(nobody);
    sk_X509_free(swapped);
    sk_X509_free(part);
    sk_X509_pop_free(anchors, X509_free);
    ward_buf_cleanup(&der);
}

static void test_fetch_refuses_bad_input(void **state)
{
    /* Nothing is sent for a URL that is not http(s), or a chain that ends at an
     * untrusted root. */
    const struct fixture *f = *state;
    struct ward_ocsp_fetch_result r;
    memset(&r, 0, sizeof(r));
    struct ward_ocsp_opts o = {.url = "ftp://example.invalid/", .cache_dir = ""};
    assert_int_equal(ward_ocsp_fetch(f->chain, &o, &r), WARD_ERR_USAGE);
    o.url = "http://127.0.0.1:1/";
    assert_int_equal(ward_ocsp_fetch(f->chain, &o, &r), WARD_ERR_CHAIN); /* no --allow-sim */
    assert_int_equal(r.num, 0);
    ward_ocsp_fetch_result_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain_passes),
        cmocka_unit_test(test_leaf_status_optional),
        cmocka_unit_test(test_sha1_cert_ids_match),
        cmocka_unit_test(test_responder_id_by_key),
        cmocka_unit_test(test_missing_status_fails),
        cmocka_unit_test(test_revoked_leaf_fails),
        cmocka_unit_test(test_revoked_identity_fails),
        cmocka_unit_test(test_unknown_status_fails),
        cmocka_unit_test(test_foreign_signer_fails),
        cmocka_unit_test(test_wrong_issuer_signs_fails),
        cmocka_unit_test(test_delegated_responder),
        cmocka_unit_test(test_stale_status_fails),
        cmocka_unit_test(test_future_status_fails),
        cmocka_unit_test(test_no_next_update),
        cmocka_unit_test(test_other_certificate_fails),
        cmocka_unit_test(test_damaged_response_fails),
        cmocka_unit_test(test_refused_response_fails),
        cmocka_unit_test(test_cache_good_passes),
        cmocka_unit_test(test_cache_revoked_leaf_fails),
        cmocka_unit_test(test_cache_stale_passed_over),
        cmocka_unit_test(test_files_win_over_cache),
        cmocka_unit_test(test_response_check_paths),
        cmocka_unit_test(test_fetch_refuses_bad_input),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
