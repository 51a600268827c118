/*
 * tests/unit/test_dcap.c: the DCAP collateral bundle, TCB info and QE identity
 * parsers and the PCS helpers, on every real document under
 * tests/data/tdx/collateral/:
 *  - every bundle parses, encodes and parses back with the signed texts byte-exact;
 *  - the signed texts of the bundles and of the split PCS files
 *    ({"tcbInfo":<raw>,"signature":"hex"}) verify with the TCB signing
 *    certificate's key, which proves they are kept exactly;
 *  - known values of the 2025-06 b0c06f000000 collateral (the byte orders of
 *    attributes and miscselect included);
 *  - the cache lookup and the quote's PCK target;
 * and reject twins: missing members, bad hex, short signatures, duplicate keys,
 * unknown statuses, too many levels, wrong ids and versions.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>

#include "ward/collateral.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/pcs.h"
#include "ward/tdx.h"

#define SAMPLE_DIR "dcapqvl_b0c06f000000_2025-06-19"
#define SAMPLE_BUNDLE SAMPLE_DIR "/tdx_quote_collateral.json"

static void data_path(const char *rel, char *out, size_t out_len)
{
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(out, out_len, "%s/tdx/%s", d ? d : "tests/data", rel);
}

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    data_path(rel, path, sizeof(path));
    assert_int_equal(ward_read_file(path, 1 << 22, out), WARD_OK);
}

static bool exists(const char *rel)
{
    char path[1024];
    struct stat st;
    data_path(rel, path, sizeof(path));
    return stat(path, &st) == 0;
}

/* The collateral directories, sorted. */
static size_t collateral_dirs(char names[16][128])
{
    char path[1024];
    data_path("collateral", path, sizeof(path));
    DIR *d = opendir(path);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        assert_true(n < 16 && strlen(e->d_name) < 128);
        strcpy(names[n++], e->d_name);
    }
    closedir(d);
    qsort(names, n, 128, (int (*)(const void *, const void *))strcmp);
    assert_true(n > 0);
    return n;
}

/* bundle_name finds the *collateral.json in |dir|; false if there is none. */
static bool bundle_name(const char *dir, char *out, size_t out_len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/tdx/collateral/%s",
             getenv("WARD_TEST_DATA") ? getenv("WARD_TEST_DATA") : "tests/data", dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 15 && strcmp(e->d_name + n - 15, "collateral.json") == 0) {
            snprintf(out, out_len, "collateral/%s/%s", dir, e->d_name);
            found = true;
        }
    }
    closedir(d);
    return found;
}

/* fmspc_of reads the FMSPC from a directory name "<source>_<fmspc>_<date>". */
static void fmspc_of(const char *dir, uint8_t out[6])
{
    const char *u = strchr(dir, '_');
    assert_non_null(u);
    char hex[13];
    memcpy(hex, u + 1, 12);
    hex[12] = '\0';
    assert_int_equal(ward_hex_decode_exact(hex, out, 6), WARD_OK);
}

/* naive_member is the test's own oracle for the raw member text: the bytes between
 * `"<member>":` and `,"signature"` (how the split files were written). */
static void naive_member(const struct ward_buf *b, const char *member, const uint8_t **out,
                         size_t *out_len)
{
    char key[64];
    snprintf(key, sizeof(key), "\"%s\":", member);
    const uint8_t *start = memmem(b->data, b->len, key, strlen(key));
    assert_non_null(start);
    start += strlen(key);
    const char *sig = ",\"signature\"";
    const uint8_t *end = memmem(start, b->len - (size_t)(start - b->data), sig, strlen(sig));
    assert_non_null(end);
    *out = start;
    *out_len = (size_t)(end - start);
}

/* verify_with_chain checks |sig| over |text| with the first certificate of |pem|. */
static int verify_with_chain(const uint8_t *text, size_t len, const uint8_t sig[64],
                             const uint8_t *pem, size_t pem_len)
{
    STACK_OF(X509) *certs = sk_X509_new_null();
    assert_non_null(certs);
    assert_int_equal(ward_x509_parse_all(pem, pem_len, certs), WARD_OK);
    EVP_PKEY *key = X509_get0_pubkey(sk_X509_value(certs, 0));
    assert_non_null(key);
    int rc = ward_ecdsa_verify_raw(key, WARD_SHA256, text, len, sig, sig + 32, 32, WARD_ECDSA_BE);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

static bool buf_eq(const struct ward_buf *a, const struct ward_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* ---- accept: every real bundle ---- */

static void check_bundle(const char *dir, const char *rel)
{
    struct ward_buf file = {0};
    load(rel, &file);
    struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    int rc = ward_dcap_collateral_parse(file.data, file.len, &c);
    if (rc != WARD_OK) {
        fail_msg("%s: %s", rel, ward_err_detail());
    }

    /* The signed texts are exact: Intel's signatures verify over them. */
    assert_int_equal(verify_with_chain(c.tcb_info.data, c.tcb_info.len, c.tcb_info_signature,
                                       c.tcb_info_issuer_chain.data, c.tcb_info_issuer_chain.len),
                     WARD_OK);
    assert_int_equal(verify_with_chain(c.qe_identity.data, c.qe_identity.len,
                                       c.qe_identity_signature, c.qe_identity_issuer_chain.data,
                                       c.qe_identity_issuer_chain.len),
                     WARD_OK);
    /* ... and one changed byte does not. */
    c.tcb_info.data[c.tcb_info.len / 2] ^= 1;
    assert_int_equal(verify_with_chain(c.tcb_info.data, c.tcb_info.len, c.tcb_info_signature,
                                       c.tcb_info_issuer_chain.data, c.tcb_info_issuer_chain.len),
                     WARD_ERR_SIGNATURE);
    c.tcb_info.data[c.tcb_info.len / 2] ^= 1;

    /* The CRLs are DER of CRLs; the chains parse. */
    X509_CRL *crl = NULL;
    assert_int_equal(ward_crl_parse(c.root_ca_crl.data, c.root_ca_crl.len, &crl), WARD_OK);
    X509_CRL_free(crl);
    assert_int_equal(ward_crl_parse(c.pck_crl.data, c.pck_crl.len, &crl), WARD_OK);
    X509_CRL_free(crl);

    /* The parsed documents. */
    uint8_t fmspc[6];
    fmspc_of(dir, fmspc);
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    rc = ward_dcap_tcb_info_parse(c.tcb_info.data, c.tcb_info.len, &t);
    if (rc != WARD_OK) {
        fail_msg("%s: %s", rel, ward_err_detail());
    }
    assert_string_equal(t.id, "TDX");
    assert_int_equal(t.version, 3);
    assert_memory_equal(t.fmspc, fmspc, 6);
    assert_true(t.num_levels > 0);
    assert_string_equal(t.levels[0].status, "UpToDate");
    assert_true(t.has_tdx_module);
    assert_true(t.next_update > t.issue_date);
    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    rc = ward_dcap_qe_identity_parse(c.qe_identity.data, c.qe_identity.len, &q);
    if (rc != WARD_OK) {
        fail_msg("%s: %s", rel, ward_err_detail());
    }
    assert_string_equal(q.id, "TD_QE");
    assert_true(q.num_levels > 0);

    /* Encode, parse back: every member equal, the signed texts byte for byte. */
    struct ward_buf text = {0};
    assert_int_equal(ward_dcap_collateral_encode(&c, &text), WARD_OK);
    struct ward_dcap_collateral back;
    memset(&back, 0, sizeof(back));
    assert_int_equal(ward_dcap_collateral_parse(text.data, text.len, &back), WARD_OK);
    assert_true(buf_eq(&back.tcb_info, &c.tcb_info));
    assert_true(buf_eq(&back.qe_identity, &c.qe_identity));
    assert_true(buf_eq(&back.pck_crl, &c.pck_crl));
    assert_true(buf_eq(&back.root_ca_crl, &c.root_ca_crl));
    assert_true(buf_eq(&back.pck_crl_issuer_chain, &c.pck_crl_issuer_chain));
    assert_true(buf_eq(&back.tcb_info_issuer_chain, &c.tcb_info_issuer_chain));
    assert_true(buf_eq(&back.qe_identity_issuer_chain, &c.qe_identity_issuer_chain));
    assert_memory_equal(back.tcb_info_signature, c.tcb_info_signature, 64);
    assert_memory_equal(back.qe_identity_signature, c.qe_identity_signature, 64);
    /* Encoding is a function of the bundle. */
    struct ward_buf text2 = {0};
    assert_int_equal(ward_dcap_collateral_encode(&back, &text2), WARD_OK);
    assert_true(buf_eq(&text, &text2));

    /* The bundle's texts are those of the split files beside it. */
    char split[512];
    snprintf(split, sizeof(split), "collateral/%s/tcb_info.json", dir);
    if (exists(split)) {
        struct ward_buf s = {0};
        load(split, &s);
        const uint8_t *raw;
        size_t raw_len;
        naive_member(&s, "tcbInfo", &raw, &raw_len);
        assert_int_equal(raw_len, c.tcb_info.len);
        assert_memory_equal(raw, c.tcb_info.data, raw_len);
        ward_buf_cleanup(&s);
    }

    ward_buf_cleanup(&text2);
    ward_buf_cleanup(&text);
    ward_dcap_collateral_cleanup(&back);
    ward_dcap_qe_identity_cleanup(&q);
    ward_dcap_tcb_info_cleanup(&t);
    ward_dcap_collateral_cleanup(&c);
    ward_buf_cleanup(&file);
}

static void test_real_bundles(void **state)
{
    (void)state;
    char dirs[16][128];
    size_t n = collateral_dirs(dirs);
    size_t bundles = 0;
    for (size_t i = 0; i < n; i++) {
        char rel[512];
        if (bundle_name(dirs[i], rel, sizeof(rel))) {
            check_bundle(dirs[i], rel);
            bundles++;
        }
    }
    assert_true(bundles >= 3);
}

/* ---- accept: every split PCS file ---- */

static void check_split(const char *dir, const char *file, const char *member, const char *chain)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "collateral/%s/%s", dir, file);
    struct ward_buf b = {0};
    load(rel, &b);
    const uint8_t *naive;
    size_t naive_len;
    naive_member(&b, member, &naive, &naive_len);
    /* The library's scanner finds exactly the same bytes. */
    const uint8_t *raw = NULL;
    size_t raw_len = 0;
    uint8_t sig[64];
    int rc = ward_pcs_signed_member(b.data, b.len, member, &raw, &raw_len, sig);
    if (rc != WARD_OK) {
        fail_msg("%s: %s", rel, ward_err_detail());
    }
    assert_ptr_equal(raw, naive);
    assert_int_equal(raw_len, naive_len);

    if (strcmp(member, "tcbInfo") == 0) {
        struct ward_dcap_tcb_info t;
        memset(&t, 0, sizeof(t));
        rc = ward_dcap_tcb_info_parse(raw, raw_len, &t);
        if (rc != WARD_OK) {
            fail_msg("%s: %s", rel, ward_err_detail());
        }
        uint8_t fmspc[6];
        fmspc_of(dir, fmspc);
        assert_memory_equal(t.fmspc, fmspc, 6);
        assert_true(t.num_levels > 0);
        assert_string_equal(t.levels[0].status, "UpToDate");
        ward_dcap_tcb_info_cleanup(&t);
    } else {
        struct ward_dcap_qe_identity q;
        memset(&q, 0, sizeof(q));
        rc = ward_dcap_qe_identity_parse(raw, raw_len, &q);
        if (rc != WARD_OK) {
            fail_msg("%s: %s", rel, ward_err_detail());
        }
        assert_string_equal(q.id, "TD_QE");
        assert_int_equal(q.mrsigner[0], 0xdc);
        ward_dcap_qe_identity_cleanup(&q);
    }

    snprintf(rel, sizeof(rel), "collateral/%s/%s", dir, chain);
    if (exists(rel)) {
        struct ward_buf pem = {0};
        load(rel, &pem);
        assert_int_equal(verify_with_chain(raw, raw_len, sig, pem.data, pem.len), WARD_OK);
        ward_buf_cleanup(&pem);
    }
    ward_buf_cleanup(&b);
}

static void test_real_split_files(void **state)
{
    (void)state;
    char dirs[16][128];
    size_t n = collateral_dirs(dirs);
    for (size_t i = 0; i < n; i++) {
        check_split(dirs[i], "tcb_info.json", "tcbInfo", "tcb_issuer_chain.pem");
        check_split(dirs[i], "qe_identity.json", "enclaveIdentity", "qe_issuer_chain.pem");
    }
}

/* ---- known values ---- */

static void load_sample(struct ward_dcap_collateral *c)
{
    struct ward_buf file = {0};
    load("collateral/" SAMPLE_BUNDLE, &file);
    memset(c, 0, sizeof(*c));
    assert_int_equal(ward_dcap_collateral_parse(file.data, file.len, c), WARD_OK);
    ward_buf_cleanup(&file);
}

static void test_known_values(void **state)
{
    (void)state;
    struct ward_dcap_collateral c;
    load_sample(&c);
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse(c.tcb_info.data, c.tcb_info.len, &t), WARD_OK);
    int64_t when;
    assert_int_equal(ward_time_parse("2025-06-19T10:16:03Z", &when), WARD_OK);
    assert_int_equal(t.issue_date, when);
    assert_int_equal(ward_time_parse("2025-07-19T10:16:03Z", &when), WARD_OK);
    assert_int_equal(t.next_update, when);
    static const uint8_t fmspc[6] = {0xb0, 0xc0, 0x6f, 0, 0, 0};
    assert_memory_equal(t.fmspc, fmspc, 6);
    assert_int_equal(t.pceid[0] | t.pceid[1], 0);
    assert_int_equal(t.tcb_type, 0);
    assert_int_equal(t.tcb_evaluation_data_number, 17);
    assert_int_equal(t.tdx_module_attributes, 0);
    assert_true(t.tdx_module_attributes_mask == UINT64_MAX);
    assert_int_equal(t.num_modules, 2);
    assert_string_equal(t.modules[0].id, "TDX_03");
    assert_int_equal(t.modules[0].num_levels, 1);
    assert_int_equal(t.modules[0].levels[0].isvsvn, 3);
    assert_string_equal(t.modules[1].id, "TDX_01");
    assert_int_equal(t.modules[1].num_levels, 2);
    assert_string_equal(t.modules[1].levels[1].status, "OutOfDate");
    assert_int_equal(t.num_levels, 2);
    static const uint8_t sgx0[16] = {2, 2, 2, 2, 3, 1, 0, 5};
    static const uint8_t tdx0[16] = {5, 0, 2};
    assert_memory_equal(t.levels[0].sgx_comp, sgx0, 16);
    assert_memory_equal(t.levels[0].tdx_comp, tdx0, 16);
    assert_int_equal(t.levels[0].pcesvn, 11);
    assert_int_equal(ward_time_parse("2024-03-13T00:00:00Z", &when), WARD_OK);
    assert_int_equal(t.levels[0].tcb_date, when);
    assert_int_equal(t.levels[0].advisories.num, 0);
    assert_int_equal(t.levels[1].pcesvn, 5);
    assert_string_equal(t.levels[1].status, "OutOfDate");
    assert_int_equal(t.levels[1].advisories.num, 14);
    assert_string_equal(t.levels[1].advisories.ids[0], "INTEL-SA-00106");
    assert_string_equal(t.levels[1].advisories.ids[13], "INTEL-SA-00837");

    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    assert_int_equal(ward_dcap_qe_identity_parse(c.qe_identity.data, c.qe_identity.len, &q),
                     WARD_OK);
    assert_string_equal(q.id, "TD_QE");
    assert_int_equal(q.version, 2);
    assert_int_equal(q.tcb_evaluation_data_number, 17);
    assert_int_equal(q.miscselect, 0);
    assert_int_equal(q.miscselect_mask, 0xffffffffu);
    static const uint8_t attr[16] = {0x11};
    static const uint8_t attr_mask[16] = {0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_memory_equal(q.attributes, attr, 16);
    assert_memory_equal(q.attributes_mask, attr_mask, 16);
    uint8_t mrsigner[32];
    assert_int_equal(
        ward_hex_decode_exact("DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5",
                              mrsigner, 32),
        WARD_OK);
    assert_memory_equal(q.mrsigner, mrsigner, 32);
    assert_int_equal(q.isvprodid, 2);
    assert_int_equal(q.num_levels, 1);
    assert_int_equal(q.levels[0].isvsvn, 4);
    assert_string_equal(q.levels[0].status, "UpToDate");

    ward_dcap_qe_identity_cleanup(&q);
    ward_dcap_tcb_info_cleanup(&t);
    ward_dcap_collateral_cleanup(&c);
}

/* The QE identity matches the sample quote's QE report under its masks, with the
 * byte orders documented in ward/dcap.h. */
static void test_qe_report_matches(void **state)
{
    (void)state;
    struct ward_buf qb = {0};
    load("quotes/dev-tdx-v4-dcapqvl-sample.bin", &qb);
    struct ward_tdx_quote quote;
    assert_int_equal(ward_tdx_quote_parse(qb.data, qb.len, &quote), WARD_OK);
    struct ward_dcap_collateral c;
    load_sample(&c);
    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    assert_int_equal(ward_dcap_qe_identity_parse(c.qe_identity.data, c.qe_identity.len, &q),
                     WARD_OK);
    const struct ward_sgx_report *r = &quote.qe_report;
    assert_int_equal(r->miscselect & q.miscselect_mask, q.miscselect);
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(r->attributes[i] & q.attributes_mask[i], q.attributes[i]);
    }
    assert_memory_equal(r->mrsigner, q.mrsigner, 32);
    assert_int_equal(r->isvprodid, q.isvprodid);

    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse(c.tcb_info.data, c.tcb_info.len, &t), WARD_OK);
    assert_int_equal(quote.body.seam_attributes & t.tdx_module_attributes_mask,
                     t.tdx_module_attributes);

    /* The PCK target of the quote is the sample collateral's. */
    uint8_t fmspc[6];
    const char *ca = NULL;
    assert_int_equal(ward_tdx_pck_target(&quote, fmspc, &ca), WARD_OK);
    assert_memory_equal(fmspc, t.fmspc, 6);
    assert_string_equal(ca, WARD_PCK_CA_PLATFORM);

    ward_dcap_tcb_info_cleanup(&t);
    ward_dcap_qe_identity_cleanup(&q);
    ward_dcap_collateral_cleanup(&c);
    ward_buf_cleanup(&qb);
}

/* ---- helpers for the reject twins: edit a document through jansson ---- */

static json_t *sample_json(void)
{
    struct ward_buf file = {0};
    load("collateral/" SAMPLE_BUNDLE, &file);
    json_t *j = NULL;
    assert_int_equal(ward_json_parse(file.data, file.len, &j), WARD_OK);
    ward_buf_cleanup(&file);
    return j;
}

static int parse_bundle_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_non_null(s);
    struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    int rc = ward_dcap_collateral_parse((const uint8_t *)s, strlen(s), &c);
    ward_dcap_collateral_cleanup(&c);
    free(s);
    return rc;
}

/* doc_json loads the sample's tcb_info or qe_identity text as JSON. */
static json_t *doc_json(const char *member)
{
    json_t *b = sample_json();
    json_t *doc = json_loads(json_string_value(json_object_get(b, member)), 0, NULL);
    assert_non_null(doc);
    json_decref(b);
    return doc;
}

static int parse_tcb_json(const json_t *doc)
{
    char *s = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_non_null(s);
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    int rc = ward_dcap_tcb_info_parse((const uint8_t *)s, strlen(s), &t);
    ward_dcap_tcb_info_cleanup(&t);
    free(s);
    return rc;
}

static int parse_qe_json(const json_t *doc)
{
    char *s = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_COMPACT);
    assert_non_null(s);
    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    int rc = ward_dcap_qe_identity_parse((const uint8_t *)s, strlen(s), &q);
    ward_dcap_qe_identity_cleanup(&q);
    free(s);
    return rc;
}

static json_t *level0(json_t *doc)
{
    return json_array_get(json_object_get(doc, "tcbLevels"), 0);
}

/* ---- reject twins: the bundle ---- */

static void test_bundle_rejects(void **state)
{
    (void)state;
    static const char *const members[] = {
        "pck_crl_issuer_chain",     "root_ca_crl", "pck_crl",
        "tcb_info_issuer_chain",    "tcb_info",    "tcb_info_signature",
        "qe_identity_issuer_chain", "qe_identity", "qe_identity_signature",
    };
    json_t *j = sample_json();
    assert_int_equal(parse_bundle_json(j), WARD_OK);

    /* Extra members are tolerated. */
    json_t *e = json_deep_copy(j);
    json_object_set_new(e, "quote_collateral_version", json_integer(3));
    json_object_set_new(e, "tcb_info_extra", json_string("x"));
    assert_int_equal(parse_bundle_json(e), WARD_OK);
    json_decref(e);

    /* Each member missing, or of the wrong type. */
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        e = json_deep_copy(j);
        json_object_del(e, members[i]);
        assert_int_equal(parse_bundle_json(e), WARD_ERR_JSON);
        assert_non_null(strstr(ward_err_detail(), members[i]));
        json_object_set_new(e, members[i], json_integer(1));
        assert_int_equal(parse_bundle_json(e), WARD_ERR_JSON);
        json_object_set_new(e, members[i], json_string(""));
        assert_int_not_equal(parse_bundle_json(e), WARD_OK);
        json_decref(e);
    }

    /* Bad hex in a CRL; hex that is not a CRL; a CRL with junk appended. */
    e = json_deep_copy(j);
    char *crl = strdup(json_string_value(json_object_get(j, "pck_crl")));
    crl[10] = 'z';
    json_object_set_new(e, "pck_crl", json_string(crl));
    assert_int_not_equal(parse_bundle_json(e), WARD_OK);
    json_object_set_new(e, "pck_crl", json_string("3003020100"));
    assert_int_not_equal(parse_bundle_json(e), WARD_OK);
    crl[10] = json_string_value(json_object_get(j, "pck_crl"))[10];
    size_t n = strlen(crl);
    char *longer = malloc(n + 3);
    memcpy(longer, crl, n);
    memcpy(longer + n, "00", 3);
    json_object_set_new(e, "pck_crl", json_string(longer));
    assert_int_not_equal(parse_bundle_json(e), WARD_OK);
    free(longer);
    free(crl);
    json_decref(e);

    /* Signatures: 63 bytes, 65 bytes, a non-hex digit. */
    const char *sig = json_string_value(json_object_get(j, "tcb_info_signature"));
    char buf[140];
    e = json_deep_copy(j);
    snprintf(buf, sizeof(buf), "%.126s", sig);
    json_object_set_new(e, "tcb_info_signature", json_string(buf));
    assert_int_equal(parse_bundle_json(e), WARD_ERR_FORMAT);
    snprintf(buf, sizeof(buf), "%s00", sig);
    json_object_set_new(e, "qe_identity_signature", json_string(buf));
    json_object_set(e, "tcb_info_signature", json_object_get(j, "tcb_info_signature"));
    assert_int_equal(parse_bundle_json(e), WARD_ERR_FORMAT);
    snprintf(buf, sizeof(buf), "%s", sig);
    buf[0] = 'g';
    json_object_set_new(e, "qe_identity_signature", json_string(buf));
    assert_int_equal(parse_bundle_json(e), WARD_ERR_FORMAT);
    json_decref(e);

    /* A chain that is not PEM. */
    e = json_deep_copy(j);
    json_object_set_new(e, "tcb_info_issuer_chain", json_string("MIIC..."));
    assert_int_equal(parse_bundle_json(e), WARD_ERR_FORMAT);
    json_decref(e);

    /* Not an object; not JSON; a duplicate member. */
    assert_int_equal(
        ward_dcap_collateral_parse((const uint8_t *)"[1]", 3, &(struct ward_dcap_collateral){0}),
        WARD_ERR_JSON);
    assert_int_equal(ward_dcap_collateral_parse((const uint8_t *)"{\"a\":", 5,
                                                &(struct ward_dcap_collateral){0}),
                     WARD_ERR_JSON);
    char *s = json_dumps(j, JSON_PRESERVE_ORDER | JSON_COMPACT);
    size_t slen = strlen(s);
    char *dup = malloc(slen + 32);
    snprintf(dup, slen + 32, "{\"pck_crl\":\"00\",%s", s + 1);
    struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(ward_dcap_collateral_parse((const uint8_t *)dup, strlen(dup), &c),
                     WARD_ERR_JSON);
    free(dup);
    free(s);

    /* Over the named maximum. */
    uint8_t *big = calloc(1, WARD_DCAP_BUNDLE_MAX + 1);
    assert_int_equal(ward_dcap_collateral_parse(big, WARD_DCAP_BUNDLE_MAX + 1, &c), WARD_ERR_NOMEM);
    free(big);

    /* A failed parse leaves |out| untouched. */
    memset(&c, 0xa5, sizeof(c));
    struct ward_dcap_collateral before = c;
    assert_int_not_equal(ward_dcap_collateral_parse((const uint8_t *)"{}", 2, &c), WARD_OK);
    assert_memory_equal(&c, &before, sizeof(c));

    json_decref(j);
}

/* CRLs given as PEM are accepted and stored as the same DER. */
static void test_bundle_pem_crl(void **state)
{
    (void)state;
    struct ward_dcap_collateral c;
    load_sample(&c);
    json_t *j = sample_json();
    const struct ward_buf *ders[2] = {&c.root_ca_crl, &c.pck_crl};
    const char *keys[2] = {"root_ca_crl", "pck_crl"};
    for (int i = 0; i < 2; i++) {
        X509_CRL *crl = NULL;
        assert_int_equal(ward_crl_parse(ders[i]->data, ders[i]->len, &crl), WARD_OK);
        BIO *bio = BIO_new(BIO_s_mem());
        assert_int_equal(PEM_write_bio_X509_CRL(bio, crl), 1);
        char *pem;
        long n = BIO_get_mem_data(bio, &pem);
        json_object_set_new(j, keys[i], json_stringn(pem, (size_t)n));
        BIO_free(bio);
        X509_CRL_free(crl);
    }
    char *s = json_dumps(j, JSON_COMPACT);
    struct ward_dcap_collateral p;
    memset(&p, 0, sizeof(p));
    assert_int_equal(ward_dcap_collateral_parse((const uint8_t *)s, strlen(s), &p), WARD_OK);
    assert_true(buf_eq(&p.root_ca_crl, &c.root_ca_crl));
    assert_true(buf_eq(&p.pck_crl, &c.pck_crl));
    free(s);

    /* A PEM certificate where a CRL belongs is refused. */
    json_object_set(j, "pck_crl", json_object_get(j, "pck_crl_issuer_chain"));
    assert_int_not_equal(parse_bundle_json(j), WARD_OK);

    ward_dcap_collateral_cleanup(&p);
    json_decref(j);
    ward_dcap_collateral_cleanup(&c);
}

/* Encoding refuses an incomplete bundle. */
static void test_encode_rejects(void **state)
{
    (void)state;
    struct ward_dcap_collateral c;
    load_sample(&c);
    ward_buf_cleanup(&c.qe_identity);
    struct ward_buf out = {0};
    assert_int_equal(ward_dcap_collateral_encode(&c, &out), WARD_ERR_USAGE);
    assert_null(out.data);
    ward_dcap_collateral_cleanup(&c);
}

/* ---- reject twins: TCB info ---- */

/* The raw text with "id" given twice (the JSON is otherwise Intel's). */
static void test_tcb_duplicate_key(void **state)
{
    (void)state;
    struct ward_dcap_collateral c;
    load_sample(&c);
    size_t n = c.tcb_info.len;
    uint8_t *dup = malloc(n + 16);
    memcpy(dup, "{\"id\":\"TDX\",", 12);
    memcpy(dup + 12, c.tcb_info.data + 1, n - 1);
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse(dup, n + 11, &t), WARD_ERR_JSON);
    /* The same in a nested level. */
    const char *needle = "\"tcbStatus\":\"UpToDate\"";
    uint8_t *at = memmem(c.tcb_info.data, n, needle, strlen(needle));
    assert_non_null(at);
    size_t off = (size_t)(at - c.tcb_info.data);
    const char *twice = "\"tcbStatus\":\"UpToDate\",\"tcbStatus\":\"UpToDate\"";
    uint8_t *dup2 = malloc(n + 64);
    memcpy(dup2, c.tcb_info.data, off);
    memcpy(dup2 + off, twice, strlen(twice));
    memcpy(dup2 + off + strlen(twice), at + strlen(needle), n - off - strlen(needle));
    assert_int_equal(ward_dcap_tcb_info_parse(dup2, n + strlen(twice) - strlen(needle), &t),
                     WARD_ERR_JSON);
    free(dup2);
    free(dup);
    ward_dcap_collateral_cleanup(&c);
}

static void test_tcb_rejects(void **state)
{
    (void)state;
    json_t *doc = doc_json("tcb_info");
    assert_int_equal(parse_tcb_json(doc), WARD_OK);
    json_t *e;

    /* An unknown tcbStatus, at each place one can be. */
    e = json_deep_copy(doc);
    json_object_set_new(level0(e), "tcbStatus", json_string("Great"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    assert_non_null(strstr(ward_err_detail(), "tcbLevels[0]"));
    json_decref(e);
    e = json_deep_copy(doc);
    json_t *mod = json_array_get(json_object_get(e, "tdxModuleIdentities"), 1);
    json_object_set_new(json_array_get(json_object_get(mod, "tcbLevels"), 1), "tcbStatus",
                        json_string("uptodate"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    json_decref(e);

    /* Every status Intel defines is accepted. */
    static const char *const ok[] = {"UpToDate",
                                     "SWHardeningNeeded",
                                     "ConfigurationNeeded",
                                     "ConfigurationAndSWHardeningNeeded",
                                     "OutOfDate",
                                     "OutOfDateConfigurationNeeded",
                                     "Revoked"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        e = json_deep_copy(doc);
        json_object_set_new(level0(e), "tcbStatus", json_string(ok[i]));
        assert_int_equal(parse_tcb_json(e), WARD_OK);
        json_decref(e);
    }

    /* Levels: exactly the maximum is fine, one more is refused; none is refused. */
    e = json_deep_copy(doc);
    json_t *levels = json_object_get(e, "tcbLevels");
    while (json_array_size(levels) < WARD_DCAP_MAX_LEVELS) {
        json_array_append_new(levels, json_deep_copy(json_array_get(levels, 1)));
    }
    assert_int_equal(parse_tcb_json(e), WARD_OK);
    json_array_append_new(levels, json_deep_copy(json_array_get(levels, 1)));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_NOMEM);
    json_array_clear(levels);
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    json_decref(e);

    /* Advisories: 64 fine, 65 refused; one too long; not strings. */
    e = json_deep_copy(doc);
    json_t *adv = json_array();
    for (int i = 0; i < WARD_DCAP_MAX_ADVISORIES; i++) {
        json_array_append_new(adv, json_string("INTEL-SA-00001"));
    }
    json_object_set_new(level0(e), "advisoryIDs", adv);
    assert_int_equal(parse_tcb_json(e), WARD_OK);
    json_array_append_new(adv, json_string("INTEL-SA-00001"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_NOMEM);
    json_array_clear(adv);
    json_array_append_new(adv, json_string("INTEL-SA-0000000000000000000000001"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    json_array_set_new(adv, 0, json_integer(106));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_JSON);
    json_decref(e);

    /* Module identities: at most 16, each with at most 16 levels. */
    e = json_deep_copy(doc);
    json_t *mods = json_object_get(e, "tdxModuleIdentities");
    while (json_array_size(mods) < WARD_DCAP_MAX_MODULES) {
        json_array_append_new(mods, json_deep_copy(json_array_get(mods, 0)));
    }
    assert_int_equal(parse_tcb_json(e), WARD_OK);
    json_array_append_new(mods, json_deep_copy(json_array_get(mods, 0)));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_NOMEM);
    json_decref(e);
    e = json_deep_copy(doc);
    json_t *ml =
        json_object_get(json_array_get(json_object_get(e, "tdxModuleIdentities"), 0), "tcbLevels");
    while (json_array_size(ml) <= WARD_DCAP_MAX_LEVELS / 16) {
        json_array_append_new(ml, json_deep_copy(json_array_get(ml, 0)));
    }
    assert_int_equal(parse_tcb_json(e), WARD_ERR_NOMEM);
    json_decref(e);
    /* A module id longer than its array. */
    e = json_deep_copy(doc);
    json_object_set_new(json_array_get(json_object_get(e, "tdxModuleIdentities"), 0), "id",
                        json_string("TDX_0123456789ABCDEF"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    json_decref(e);

    /* Components: 15 entries; an svn of 256; tdxtcbcomponents missing. */
    e = json_deep_copy(doc);
    json_t *tcb = json_object_get(level0(e), "tcb");
    json_array_remove(json_object_get(tcb, "sgxtcbcomponents"), 15);
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    json_decref(e);
    e = json_deep_copy(doc);
    tcb = json_object_get(level0(e), "tcb");
    json_object_set_new(json_array_get(json_object_get(tcb, "tdxtcbcomponents"), 2), "svn",
                        json_integer(256));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_JSON);
    json_object_del(tcb, "tdxtcbcomponents");
    assert_int_equal(parse_tcb_json(e), WARD_ERR_JSON);
    json_decref(e);
    e = json_deep_copy(doc);
    json_object_set_new(json_object_get(level0(e), "tcb"), "pcesvn", json_integer(65536));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_JSON);
    json_decref(e);

    /* Header fields. */
    struct {
        const char *key;
        json_t *value; /* NULL: delete */
        int want;
    } cases[] = {
        {"id", json_string("XYZ"), WARD_ERR_FORMAT},
        {"id", json_string("SGXTDXSGX"), WARD_ERR_FORMAT},
        {"version", json_integer(2), WARD_ERR_VERSION},
        {"version", json_integer(4), WARD_ERR_VERSION},
        {"version", json_string("3"), WARD_ERR_JSON},
        {"issueDate", json_string("2025-06-19 10:16"), WARD_ERR_FORMAT},
        {"nextUpdate", NULL, WARD_ERR_JSON},
        {"fmspc", json_string("B0C06F00000"), WARD_ERR_FORMAT},
        {"fmspc", json_string("B0C06F0000000"), WARD_ERR_FORMAT},
        {"fmspc", json_string("B0C06F00000G"), WARD_ERR_FORMAT},
        {"pceId", json_string("000"), WARD_ERR_FORMAT},
        {"tcbType", json_integer(-1), WARD_ERR_JSON},
        {"tcbEvaluationDataNumber", json_real(17.0), WARD_ERR_JSON},
        {"tdxModule", NULL, WARD_ERR_JSON},
        {"tdxModuleIdentities", json_object(), WARD_ERR_JSON},
        {"tcbLevels", NULL, WARD_ERR_JSON},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        e = json_deep_copy(doc);
        if (cases[i].value != NULL) {
            json_object_set_new(e, cases[i].key, cases[i].value);
        } else {
            json_object_del(e, cases[i].key);
        }
        int rc = parse_tcb_json(e);
        if (rc != cases[i].want) {
            fail_msg("case %zu (%s): got %d, want %d: %s", i, cases[i].key, rc, cases[i].want,
                     ward_err_detail());
        }
        json_decref(e);
    }
    /* tdxModule fields. */
    e = json_deep_copy(doc);
    json_object_set_new(json_object_get(e, "tdxModule"), "attributes", json_string("00"));
    assert_int_equal(parse_tcb_json(e), WARD_ERR_FORMAT);
    assert_non_null(strstr(ward_err_detail(), "tdxModule"));
    json_decref(e);

    /* Not JSON, not an object, trailing junk. */
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse((const uint8_t *)"[]", 2, &t), WARD_ERR_JSON);
    assert_int_equal(ward_dcap_tcb_info_parse((const uint8_t *)"{} x", 4, &t), WARD_ERR_JSON);
    assert_int_equal(ward_dcap_tcb_info_parse((const uint8_t *)"", 0, &t), WARD_ERR_JSON);
    json_decref(doc);
}

/* Byte order of the 64-bit attribute fields: the raw bytes, little-endian. */
static void test_tcb_byte_order(void **state)
{
    (void)state;
    json_t *doc = doc_json("tcb_info");
    json_t *m = json_object_get(doc, "tdxModule");
    json_object_set_new(m, "attributes", json_string("0100000000000080"));
    json_object_set_new(m, "attributesMask", json_string("FF00000000000000"));
    char *s = json_dumps(doc, JSON_COMPACT);
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse((const uint8_t *)s, strlen(s), &t), WARD_OK);
    assert_true(t.tdx_module_attributes == 0x8000000000000001ull);
    assert_true(t.tdx_module_attributes_mask == 0xffull);
    ward_dcap_tcb_info_cleanup(&t);
    free(s);
    json_decref(doc);
}

/* TCB info documents for SGX, versions 2 and 3. */
static void test_tcb_sgx(void **state)
{
    (void)state;
    static const char v2[] =
        "{\"id\":\"SGX\",\"version\":2,\"issueDate\":\"2025-06-19T10:16:03Z\","
        "\"nextUpdate\":\"2025-07-19T10:16:03Z\",\"fmspc\":\"00906ED50000\",\"pceId\":\"0000\","
        "\"tcbType\":0,\"tcbEvaluationDataNumber\":17,\"tcbLevels\":[{\"tcb\":{"
        "\"sgxtcbcomp01svn\":1,\"sgxtcbcomp02svn\":2,\"sgxtcbcomp03svn\":3,\"sgxtcbcomp04svn\":4,"
        "\"sgxtcbcomp05svn\":5,\"sgxtcbcomp06svn\":6,\"sgxtcbcomp07svn\":7,\"sgxtcbcomp08svn\":8,"
        "\"sgxtcbcomp09svn\":9,\"sgxtcbcomp10svn\":10,\"sgxtcbcomp11svn\":11,"
        "\"sgxtcbcomp12svn\":12,\"sgxtcbcomp13svn\":13,\"sgxtcbcomp14svn\":14,"
        "\"sgxtcbcomp15svn\":15,\"sgxtcbcomp16svn\":16,\"pcesvn\":13},"
        "\"tcbDate\":\"2024-03-13T00:00:00Z\",\"tcbStatus\":\"SWHardeningNeeded\","
        "\"advisoryIDs\":[\"INTEL-SA-00615\"]}]}";
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    assert_int_equal(ward_dcap_tcb_info_parse((const uint8_t *)v2, strlen(v2), &t), WARD_OK);
    assert_string_equal(t.id, "SGX");
    assert_int_equal(t.version, 2);
    assert_false(t.has_tdx_module);
    assert_int_equal(t.num_levels, 1);
    assert_int_equal(t.levels[0].sgx_comp[0], 1);
    assert_int_equal(t.levels[0].sgx_comp[15], 16);
    assert_int_equal(t.levels[0].pcesvn, 13);
    assert_string_equal(t.levels[0].advisories.ids[0], "INTEL-SA-00615");
    ward_dcap_tcb_info_cleanup(&t);

    /* The same as v3 (component lists, no TDX parts). */
    json_t *doc = doc_json("tcb_info");
    json_object_set_new(doc, "id", json_string("SGX"));
    json_object_del(doc, "tdxModule");
    json_object_del(doc, "tdxModuleIdentities");
    json_t *levels = json_object_get(doc, "tcbLevels");
    for (size_t i = 0; i < json_array_size(levels); i++) {
        json_object_del(json_object_get(json_array_get(levels, i), "tcb"), "tdxtcbcomponents");
    }
    assert_int_equal(parse_tcb_json(doc), WARD_OK);
    /* A TDX document cannot be v2. */
    json_object_set_new(doc, "id", json_string("TDX"));
    json_object_set_new(doc, "version", json_integer(2));
    assert_int_equal(parse_tcb_json(doc), WARD_ERR_VERSION);
    json_decref(doc);
}

/* ---- reject twins: QE identity ---- */

static void test_qe_rejects(void **state)
{
    (void)state;
    json_t *doc = doc_json("qe_identity");
    assert_int_equal(parse_qe_json(doc), WARD_OK);
    struct {
        const char *key;
        json_t *value;
        int want;
    } cases[] = {
        {"id", json_string("FOO"), WARD_ERR_FORMAT},
        {"version", json_integer(1), WARD_ERR_VERSION},
        {"miscselect", json_string("0000000"), WARD_ERR_FORMAT},
        {"miscselectMask", json_string("FFFFFFFFFF"), WARD_ERR_FORMAT},
        {"attributes", json_string("11"), WARD_ERR_FORMAT},
        {"attributesMask", NULL, WARD_ERR_JSON},
        {"mrsigner", json_string("DC9E"), WARD_ERR_FORMAT},
        {"isvprodid", json_integer(65536), WARD_ERR_JSON},
        {"tcbEvaluationDataNumber", json_string("17"), WARD_ERR_JSON},
        {"issueDate", json_string("yesterday"), WARD_ERR_FORMAT},
        {"tcbLevels", json_array(), WARD_ERR_FORMAT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *e = json_deep_copy(doc);
        if (cases[i].value != NULL) {
            json_object_set_new(e, cases[i].key, cases[i].value);
        } else {
            json_object_del(e, cases[i].key);
        }
        int rc = parse_qe_json(e);
        if (rc != cases[i].want) {
            fail_msg("case %zu (%s): got %d, want %d: %s", i, cases[i].key, rc, cases[i].want,
                     ward_err_detail());
        }
        json_decref(e);
    }
    json_t *e = json_deep_copy(doc);
    json_object_set_new(level0(e), "tcbStatus", json_string("Fine"));
    assert_int_equal(parse_qe_json(e), WARD_ERR_FORMAT);
    json_object_set_new(level0(e), "tcbStatus", json_string("Revoked"));
    assert_int_equal(parse_qe_json(e), WARD_OK);
    json_object_set_new(json_object_get(level0(e), "tcb"), "isvsvn", json_integer(-4));
    assert_int_equal(parse_qe_json(e), WARD_ERR_JSON);
    json_decref(e);
    e = json_deep_copy(doc);
    json_t *levels = json_object_get(e, "tcbLevels");
    while (json_array_size(levels) <= WARD_DCAP_MAX_LEVELS) {
        json_array_append_new(levels, json_deep_copy(json_array_get(levels, 0)));
    }
    assert_int_equal(parse_qe_json(e), WARD_ERR_NOMEM);
    json_decref(e);

    /* miscselect byte order: the raw bytes, little-endian. */
    e = json_deep_copy(doc);
    json_object_set_new(e, "miscselect", json_string("01000080"));
    json_object_set_new(e, "miscselectMask", json_string("FFFF0000"));
    char *s = json_dumps(e, JSON_COMPACT);
    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    assert_int_equal(ward_dcap_qe_identity_parse((const uint8_t *)s, strlen(s), &q), WARD_OK);
    assert_int_equal(q.miscselect, 0x80000001u);
    assert_int_equal(q.miscselect_mask, 0x0000ffffu);
    ward_dcap_qe_identity_cleanup(&q);
    free(s);
    json_decref(e);
    json_decref(doc);
}

/* ---- the PCS body scanner ---- */

static void test_signed_member(void **state)
{
    (void)state;
    const uint8_t *raw = NULL;
    size_t len = 0;
    uint8_t sig[64];
    char sighex[129];
    memset(sighex, 'a', 128);
    sighex[128] = '\0';
    char body[512];

    /* Whitespace, member order, strings with escapes and braces. */
    snprintf(body, sizeof(body),
             " {\n \"signature\" : \"%s\" ,\n \"tcbInfo\" :  {\"a\":\"}\\\"{\",\"b\":[1,{}]} }\n",
             sighex);
    assert_int_equal(
        ward_pcs_signed_member((const uint8_t *)body, strlen(body), "tcbInfo", &raw, &len, sig),
        WARD_OK);
    const char *want = "{\"a\":\"}\\\"{\",\"b\":[1,{}]}";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(raw, want, len);
    assert_int_equal(sig[0], 0xaa);

    /* Reject twins; '@' stands for the 128 hex digits, '#' for 126 of them. */
    const char *bad[] = {
        "{\"tcbInfo\":{}}",                                    /* no signature */
        "{\"tcbInfo\":[],\"signature\":\"@\"}",                /* not an object */
        "{\"tcbInfoX\":{},\"signature\":\"@\"}",               /* no such member */
        "{\"tcbInfo\":{},\"signature\":\"@\"} junk",           /* trailing junk */
        "{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"@\"}", /* duplicate */
        "{\"tcbInfo\":{},\"signature\":\"#\"}",                /* 63-byte signature */
        "[{\"tcbInfo\":{},\"signature\":\"@\"}]",              /* not an object */
        "{\"tcbInfo\":{},\"signature\":\"@\"",                 /* truncated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t o = 0;
        for (const char *t = bad[i]; *t != '\0'; t++) {
            if (*t == '@' || *t == '#') {
                size_t n = *t == '@' ? 128 : 126;
                memcpy(body + o, sighex, n);
                o += n;
            } else {
                body[o++] = *t;
            }
        }
        body[o] = '\0';
        raw = NULL;
        int rc =
            ward_pcs_signed_member((const uint8_t *)body, strlen(body), "tcbInfo", &raw, &len, sig);
        if (rc == WARD_OK) {
            fail_msg("accepted bad body %zu: %s", i, body);
        }
        assert_null(raw);
    }
}

/* ---- the cache ---- */

static void rm_rf(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

static void test_cache(void **state)
{
    (void)state;
    char root[] = "/tmp/ward-test-dcap-XXXXXX";
    assert_non_null(mkdtemp(root));
    static const uint8_t fmspc[6] = {0xb0, 0xc0, 0x6f, 0, 0, 0};
    static const uint8_t other[6] = {0x90, 0xc0, 0x6f, 0, 0, 0};
    char path[WARD_CACHE_PATH_MAX];
    assert_int_equal(ward_tdx_cache_path(root, fmspc, "platform", path, sizeof(path)), WARD_OK);
    char want[WARD_CACHE_PATH_MAX];
    snprintf(want, sizeof(want), "%s/tdx/b0c06f000000-platform.json", root);
    assert_string_equal(path, want);
    assert_int_equal(ward_tdx_cache_path(root, fmspc, "../x", path, sizeof(path)), WARD_ERR_USAGE);
    assert_int_equal(ward_tdx_cache_path(root, fmspc, "platform", path, 20), WARD_ERR_USAGE);

    struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    assert_int_equal(ward_tdx_cache_load(root, fmspc, "platform", &c), WARD_ERR_NOT_FOUND);
    assert_int_equal(ward_tdx_cache_load("", fmspc, "platform", &c), WARD_ERR_NOT_FOUND);
    assert_null(c.tcb_info.data);

    /* A stored bundle loads back; under another FMSPC's name it is refused. */
    struct ward_dcap_collateral s;
    load_sample(&s);
    struct ward_buf text = {0};
    assert_int_equal(ward_dcap_collateral_encode(&s, &text), WARD_OK);
    char dir[WARD_CACHE_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/tdx", root);
    assert_int_equal(ward_mkdir_p(dir, 0755), WARD_OK);
    assert_int_equal(ward_tdx_cache_path(root, fmspc, "platform", path, sizeof(path)), WARD_OK);
    assert_int_equal(ward_write_file_atomic(path, text.data, text.len, 0644), WARD_OK);
    assert_int_equal(ward_tdx_cache_load(root, fmspc, "platform", &c), WARD_OK);
    assert_true(buf_eq(&c.tcb_info, &s.tcb_info));
    ward_dcap_collateral_cleanup(&c);
    assert_int_equal(ward_tdx_cache_load(root, fmspc, "processor", &c), WARD_ERR_NOT_FOUND);
    assert_int_equal(ward_tdx_cache_path(root, other, "platform", path, sizeof(path)), WARD_OK);
    assert_int_equal(ward_write_file_atomic(path, text.data, text.len, 0644), WARD_OK);
    assert_int_equal(ward_tdx_cache_load(root, other, "platform", &c), WARD_ERR_MISMATCH);
    /* A damaged entry is an error naming the file, not "absent". */
    assert_int_equal(ward_write_file_atomic(path, (const uint8_t *)"{", 1, 0644), WARD_OK);
    assert_int_equal(ward_tdx_cache_load(root, other, "platform", &c), WARD_ERR_JSON);
    assert_non_null(strstr(ward_err_detail(), path));
    assert_null(c.tcb_info.data);

    ward_buf_cleanup(&text);
    ward_dcap_collateral_cleanup(&s);
    rm_rf(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_bundles),   cmocka_unit_test(test_real_split_files),
        cmocka_unit_test(test_known_values),   cmocka_unit_test(test_qe_report_matches),
        cmocka_unit_test(test_bundle_rejects), cmocka_unit_test(test_bundle_pem_crl),
        cmocka_unit_test(test_encode_rejects), cmocka_unit_test(test_tcb_duplicate_key),
        cmocka_unit_test(test_tcb_rejects),    cmocka_unit_test(test_tcb_byte_order),
        cmocka_unit_test(test_tcb_sgx),        cmocka_unit_test(test_qe_rejects),
        cmocka_unit_test(test_signed_member),  cmocka_unit_test(test_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
