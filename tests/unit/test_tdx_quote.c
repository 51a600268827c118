/*
 * tests/unit/test_tdx_quote.c: the TDX quote parser and encoder and the PCK SGX
 * extension parser, on every real quote of tests/data/tdx/manifest.json, with
 * reject twins: truncation, unknown versions, key, TEE and body types, non-zero
 * padding, wrong certification data types and lengths, and damaged extensions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/tdx.h"

/* Quotes whose source kept non-zero bytes after the quote. */
static const char *const NONZERO_TRAILING_IDS[] = {"dev-tdx-v4-gotdxguest-spr-e4"};

/* Offsets of the v4 layout; v5 quotes add 6 bytes (body type and size) and 64
 * (the TD 1.5 fields) before the signature data. */
#define SIG_LEN_OFF_V4 (WARD_TDX_HEADER_LEN + WARD_TDX_BODY10_LEN)
#define CERT_TYPE_REL (4 + 64 + 64) /* from sig_data_len to the outer type */
#define QE_AUTH_SIZE_REL (CERT_TYPE_REL + 6 + 384 + 64)

static void data_path(const char *rel, char *out, size_t out_len)
{
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(out, out_len, "%s/tdx/%s", d ? d : "tests/data", rel);
}

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    data_path(rel, path, sizeof(path));
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static json_t *manifest_entries(json_t **root)
{
    char path[1024];
    data_path("manifest.json", path, sizeof(path));
    assert_int_equal(ward_json_load_file(path, 1 << 22, root), WARD_OK);
    json_t *entries = json_object_get(*root, "entries");
    assert_true(json_is_array(entries) && json_array_size(entries) > 0);
    return entries;
}

static const char *str_field(json_t *e, const char *key)
{
    json_t *v = json_object_get(e, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t uint_field(json_t *e, const char *key)
{
    uint64_t v;
    assert_int_equal(ward_json_get_uint(e, key, UINT32_MAX, &v), WARD_OK);
    return v;
}

/* Checks |got| against the hex string |key| of |e|, when the manifest has it. */
static void expect_hex(json_t *e, const char *key, const uint8_t *got, size_t n)
{
    const char *hex = str_field(e, key);
    if (hex == NULL) {
        return;
    }
    uint8_t want[64];
    assert_true(n <= sizeof(want));
    assert_int_equal(ward_hex_decode_exact(hex, want, n), WARD_OK);
    if (memcmp(want, got, n) != 0) {
        fail_msg("%s: %s differs from the manifest", str_field(e, "id"), key);
    }
}

static bool nonzero_trailing(const char *id)
{
    for (size_t i = 0; i < sizeof(NONZERO_TRAILING_IDS) / sizeof(NONZERO_TRAILING_IDS[0]); i++) {
        if (strcmp(id, NONZERO_TRAILING_IDS[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* The quote bytes of entry |e| without padding, as an owned buffer. */
static void load_exact(json_t *e, struct ward_buf *out)
{
    struct ward_buf file = {0};
    load(str_field(e, "file"), &file);
    size_t quote_len = uint_field(e, "quote_len");
    assert_true(quote_len <= file.len);
    assert_int_equal(ward_buf_set(out, file.data, quote_len), WARD_OK);
    ward_buf_cleanup(&file);
}

static int parse(const struct ward_buf *b, struct ward_tdx_quote *q)
{
    return ward_tdx_quote_parse(b->data, b->len, q);
}

/* Parses an exact-size heap copy of |p| (ASan sees any over-read); returns the code. */
static int parse_copy(const uint8_t *p, size_t len)
{
    struct ward_tdx_quote q;
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    int rc = ward_tdx_quote_parse(copy, len, &q);
    free(copy);
    return rc;
}

static void put_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_u16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void expect_error(int rc, int code, const char *needle)
{
    if (rc != code || (needle != NULL && strstr(ward_err_detail(), needle) == NULL)) {
        fail_msg("got %d \"%s\", expected %d mentioning \"%s\"", rc, ward_err_detail(), code,
                 needle ? needle : "");
    }
}

/* ---- accept: every real quote ---- */

static void check_pck(json_t *e, const struct ward_tdx_quote *q)
{
    const char *id = str_field(e, "id");
    STACK_OF(X509) *chain = sk_X509_new_null();
    assert_non_null(chain);
    if (ward_tdx_quote_pck_chain(q, chain) != WARD_OK) {
        fail_msg("%s: PCK chain: %s", id, ward_err_detail());
    }
    assert_int_equal(sk_X509_num(chain), 3);

    /* Every certificate that carries the SGX extension (only the leaf) parses. */
    for (int i = 0; i < sk_X509_num(chain); i++) {
        const uint8_t *ext;
        size_t ext_len;
        int rc =
            ward_x509_ext_data(sk_X509_value(chain, i), "1.2.840.113741.1.13.1", &ext, &ext_len);
        assert_true(rc == WARD_OK || rc == WARD_ERR_NOT_FOUND);
        assert_true((rc == WARD_OK) == (i == 0));
        ward_err_clear();
    }
    struct ward_pck_ext x;
    if (ward_pck_ext_parse(sk_X509_value(chain, 0), &x) != WARD_OK) {
        fail_msg("%s: %s", id, ward_err_detail());
    }
    expect_hex(e, "fmspc", x.fmspc, sizeof(x.fmspc));
    assert_true(x.sgx_type >= 0 && x.sgx_type <= 2);
    sk_X509_pop_free(chain, X509_free);
}

static void check_entry(json_t *e)
{
    const char *id = str_field(e, "id");
    struct ward_buf file = {0}, enc = {0};
    struct ward_tdx_quote q;
    load(str_field(e, "file"), &file);
    size_t quote_len = uint_field(e, "quote_len");
    size_t trailing = uint_field(e, "trailing_bytes");
    assert_int_equal(file.len, quote_len + trailing);

    size_t len = file.len;
    if (nonzero_trailing(id)) {
        expect_error(parse(&file, &q), WARD_ERR_TRAILING, "not zero padding");
        len = quote_len; /* the quote itself is fine */
        trailing = 0;
    }
    if (ward_tdx_quote_parse(file.data, len, &q) != WARD_OK) {
        fail_msg("%s: %s", id, ward_err_detail());
    }
    assert_int_equal(q.quote_len, quote_len);
    assert_int_equal(q.padding_len, trailing);
    assert_int_equal(q.header.version, uint_field(e, "quote_version"));
    assert_int_equal(q.header.tee_type, WARD_TDX_TEE_TYPE);
    assert_memory_equal(q.header.qe_vendor_id, WARD_TDX_INTEL_QE_VENDOR_ID, 16);
    expect_hex(e, "mrtd_hex", q.body.mrtd, sizeof(q.body.mrtd));
    expect_hex(e, "report_data_hex", q.body.report_data, sizeof(q.body.report_data));
    expect_hex(e, "tee_tcb_svn", q.body.tee_tcb_svn, sizeof(q.body.tee_tcb_svn));

    /* What the quote signature covers. */
    size_t signed_len = WARD_TDX_HEADER_LEN + WARD_TDX_BODY10_LEN;
    if (q.header.version == 5) {
        assert_int_equal(q.body.type, WARD_TDX_BODY_TD15); /* both v5 samples are TD 1.5 */
        signed_len = WARD_TDX_HEADER_LEN + 6 + WARD_TDX_BODY15_LEN;
    } else {
        assert_int_equal(q.body.type, WARD_TDX_BODY_TD10);
    }
    assert_ptr_equal(q.signed_data, file.data);
    assert_int_equal(q.signed_len, signed_len);

    /* The QE report round-trips and the encoder reproduces the quote. */
    uint8_t qe[WARD_TDX_QE_REPORT_LEN];
    ward_sgx_report_encode(&q.qe_report, qe);
    assert_memory_equal(qe, q.qe_report_raw, sizeof(qe));
    assert_int_equal(q.qe_auth_len, 32);
    if (ward_tdx_quote_encode(&q, &enc) != WARD_OK) {
        fail_msg("%s: encode: %s", id, ward_err_detail());
    }
    assert_int_equal(enc.len, quote_len);
    if (memcmp(enc.data, file.data, quote_len) != 0) {
        fail_msg("%s: encode differs from the quote", id);
    }

    check_pck(e, &q);
    ward_buf_cleanup(&enc);
    ward_buf_cleanup(&file);
}

static void test_manifest_quotes(void **state)
{
    (void)state;
    json_t *root;
    json_t *entries = manifest_entries(&root);
    size_t i, num_v5 = 0;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        check_entry(e);
        num_v5 += uint_field(e, "quote_version") == 5;
    }
    assert_true(num_v5 >= 2);
    json_decref(root);
}

/* ---- reject twins ---- */

static void test_truncation(void **state)
{
    (void)state;
    json_t *root;
    json_t *entries = manifest_entries(&root);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        struct ward_buf b = {0};
        load_exact(e, &b);
        for (size_t n = 0; n < b.len; n += 97) {
            int rc = parse_copy(b.data, n);
            if (rc != WARD_ERR_TRUNCATED) {
                fail_msg("%s cut at %zu: got %d \"%s\"", str_field(e, "id"), n, rc,
                         ward_err_detail());
            }
        }
        ward_buf_cleanup(&b);
    }
    json_decref(root);
}

/* Loads the first manifest entry of |version| without padding. */
static void load_version(unsigned version, struct ward_buf *out)
{
    json_t *root;
    json_t *entries = manifest_entries(&root);
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
    {
        if (uint_field(e, "quote_version") == version) {
            load_exact(e, out);
            json_decref(root);
            return;
        }
    }
    fail_msg("no version %u quote in the manifest", version);
}

static void test_header_rejects(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load_version(4, &b);
    uint8_t *p = b.data;

    put_u16le(p, 3);
    expect_error(parse_copy(p, b.len), WARD_ERR_VERSION,
                 "tdx quote: header: unsupported version 3");
    put_u16le(p, 6);
    expect_error(parse_copy(p, b.len), WARD_ERR_VERSION, "version 6");
    put_u16le(p, 4);
    put_u16le(p + 2, 3);
    expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "attestation key type 3");
    put_u16le(p + 2, 2);
    put_u32le(p + 4, 0);
    expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "TEE type 0x0");
    put_u32le(p + 4, 0x81);
    assert_int_equal(parse_copy(p, b.len), WARD_OK);

    /* A v4 quote relabelled as v5 reads its body descriptor from the body. */
    put_u16le(p, 5);
    assert_int_not_equal(parse_copy(p, b.len), WARD_OK);
    ward_buf_cleanup(&b);
}

static void test_v5_body_rejects(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load_version(5, &b);
    uint8_t *p = b.data;
    const size_t type_off = WARD_TDX_HEADER_LEN, size_off = type_off + 2;

    put_u16le(p + type_off, 1);
    expect_error(parse_copy(p, b.len), WARD_ERR_VERSION, "body type 1 (SGX");
    put_u16le(p + type_off, 4);
    expect_error(parse_copy(p, b.len), WARD_ERR_VERSION, "body type 4");
    put_u16le(p + type_off, 2); /* TD 1.0 with the TD 1.5 size */
    expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "body size 648");
    put_u16le(p + type_off, 3);
    put_u32le(p + size_off, WARD_TDX_BODY10_LEN);
    expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "body size 584");
    put_u32le(p + size_off, WARD_TDX_BODY15_LEN);
    assert_int_equal(parse_copy(p, b.len), WARD_OK);
    ward_buf_cleanup(&b);
}

static void test_padding_rejects(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load_version(4, &b);
    const size_t len = b.len, pad = 70;
    uint8_t *p = calloc(1, len + pad);
    assert_non_null(p);
    memcpy(p, b.data, len);
    assert_int_equal(parse_copy(p, len + pad), WARD_OK);

    char where[64];
    for (size_t off = len; off < len + pad; off += pad - 1) {
        p[off] = 0x01;
        snprintf(where, sizeof(where), "offset %zu", off);
        expect_error(parse_copy(p, len + pad), WARD_ERR_TRAILING, where);
        p[off] = 0;
    }
    free(p);
    ward_buf_cleanup(&b);
}

/* The signature data of a v4 and a v5 quote: lengths off by one at every level,
 * wrong certification data types, junk appended inside each element. */
static void test_sig_data_rejects(void **state)
{
    (void)state;
    for (unsigned version = 4; version <= 5; version++) {
        struct ward_buf b = {0};
        load_version(version, &b);
        const size_t sig = SIG_LEN_OFF_V4 + (version == 5 ? 6 + 64 : 0);
        uint8_t *p = b.data;
        const uint32_t sig_len = get_u32le(p + sig);
        assert_int_equal(sig + 4 + sig_len, b.len);
        const size_t cert = sig + CERT_TYPE_REL, auth = sig + QE_AUTH_SIZE_REL;
        const uint16_t auth_len = get_u16le(p + auth);
        const size_t inner = auth + 2 + auth_len;
        const uint32_t outer_size = get_u32le(p + cert + 2);
        const uint32_t inner_size = get_u32le(p + inner + 2);

        /* sig_data_len off by one either way. */
        put_u32le(p + sig, sig_len + 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_TRUNCATED, "signature data");
        put_u32le(p + sig, sig_len - 1);
        assert_int_not_equal(parse_copy(p, b.len), WARD_OK);
        put_u32le(p + sig, sig_len);

        /* The outer certification data must be type 6, the inner type 5. */
        put_u16le(p + cert, 5);
        expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "type 5, expected 6");
        put_u16le(p + cert, 6);
        put_u16le(p + inner, 4);
        expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "type 4, expected 5");
        put_u16le(p + inner, 5);

        /* Sizes that disagree with their parent at each level. */
        put_u32le(p + cert + 2, outer_size - 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_TRUNCATED, "QE certification data");
        put_u32le(p + cert + 2, outer_size + 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_TRUNCATED, NULL);
        put_u32le(p + cert + 2, outer_size);
        put_u16le(p + auth, (uint16_t)(auth_len + 1));
        assert_int_not_equal(parse_copy(p, b.len), WARD_OK);
        put_u16le(p + auth, WARD_TDX_QE_AUTH_MAX + 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_NOMEM, "QE authentication data");
        put_u16le(p + auth, auth_len);
        put_u32le(p + inner + 2, inner_size - 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_TRAILING, "QE certification data");
        put_u32le(p + inner + 2, inner_size + 1);
        expect_error(parse_copy(p, b.len), WARD_ERR_TRUNCATED, NULL);
        put_u32le(p + inner + 2, 0);
        expect_error(parse_copy(p, b.len), WARD_ERR_FORMAT, "PCK chain is empty");
        put_u32le(p + inner + 2, inner_size);
        assert_int_equal(parse_copy(p, b.len), WARD_OK);

        /* One junk byte appended inside the signature data, then inside the QE
         * certification data (the enclosing lengths grown to match). */
        uint8_t *x = malloc(b.len + 1);
        assert_non_null(x);
        memcpy(x, p, b.len);
        x[b.len] = 0x01;
        put_u32le(x + sig, sig_len + 1);
        expect_error(parse_copy(x, b.len + 1), WARD_ERR_TRAILING,
                     "signature data: 1 unexpected trailing");
        put_u32le(x + cert + 2, outer_size + 1);
        expect_error(parse_copy(x, b.len + 1), WARD_ERR_TRAILING,
                     "QE certification data: 1 unexpected trailing");
        free(x);
        ward_buf_cleanup(&b);
    }
}

static void test_encode_refuses(void **state)
{
    (void)state;
    struct ward_buf b = {0}, enc = {0};
    struct ward_tdx_quote q, bad;
    load_version(4, &b);
    assert_int_equal(parse(&b, &q), WARD_OK);

    bad = q;
    bad.header.version = 3;
    expect_error(ward_tdx_quote_encode(&bad, &enc), WARD_ERR_USAGE, "version 3");
    bad = q;
    bad.body.type = WARD_TDX_BODY_TD15; /* v4 quotes carry TD 1.0 bodies only */
    expect_error(ward_tdx_quote_encode(&bad, &enc), WARD_ERR_USAGE, "body type");
    bad = q;
    bad.body.mrservicetd[0] = 1;
    expect_error(ward_tdx_quote_encode(&bad, &enc), WARD_ERR_USAGE, "TD 1.5 fields");
    bad = q;
    bad.pck_chain_len = 0;
    expect_error(ward_tdx_quote_encode(&bad, &enc), WARD_ERR_USAGE, "PCK chain");
    assert_null(enc.data);

    /* A v4 quote re-encoded as v5 with a TD 1.0 body parses back. */
    bad = q;
    bad.header.version = 5;
    assert_int_equal(ward_tdx_quote_encode(&bad, &enc), WARD_OK);
    assert_int_equal(enc.len, b.len + 6);
    struct ward_tdx_quote back;
    assert_int_equal(parse(&enc, &back), WARD_OK);
    assert_int_equal(back.body.type, WARD_TDX_BODY_TD10);
    assert_memory_equal(back.body.mrtd, q.body.mrtd, sizeof(q.body.mrtd));
    assert_int_equal(back.signed_len, WARD_TDX_HEADER_LEN + 6 + WARD_TDX_BODY10_LEN);
    ward_buf_cleanup(&enc);
    ward_buf_cleanup(&b);
}

static void test_sgx_report(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    struct ward_tdx_quote q;
    struct ward_sgx_report r;
    uint8_t big[WARD_TDX_QE_REPORT_LEN + 1] = {0};
    load_version(4, &b);
    assert_int_equal(parse(&b, &q), WARD_OK);
    memcpy(big, q.qe_report_raw, WARD_TDX_QE_REPORT_LEN);
    expect_error(ward_sgx_report_parse(big, WARD_TDX_QE_REPORT_LEN - 1, &r), WARD_ERR_TRUNCATED,
                 "sgx report");
    expect_error(ward_sgx_report_parse(big, sizeof(big), &r), WARD_ERR_TRAILING, "sgx report");

    /* Reserved bytes are kept, so a non-zero one survives the round trip. */
    big[0x60] = 0x5A;
    assert_int_equal(ward_sgx_report_parse(big, WARD_TDX_QE_REPORT_LEN, &r), WARD_OK);
    assert_int_equal(r.reserved2[0], 0x5A);
    uint8_t out[WARD_TDX_QE_REPORT_LEN];
    ward_sgx_report_encode(&r, out);
    assert_memory_equal(out, big, sizeof(out));
    assert_int_equal(r.isvprodid, get_u16le(big + 0x100));
    assert_int_equal(r.isvsvn, get_u16le(big + 0x102));
    ward_buf_cleanup(&b);
}

/* ---- PCK SGX extension ---- */

/* The extension value of the PCK leaf of quote file |rel|. */
static void load_ext(const char *rel, struct ward_buf *out)
{
    struct ward_buf b = {0};
    struct ward_tdx_quote q;
    const uint8_t *ext;
    size_t ext_len;
    load(rel, &b);
    assert_int_equal(parse(&b, &q), WARD_OK);
    STACK_OF(X509) *chain = sk_X509_new_null();
    assert_int_equal(ward_tdx_quote_pck_chain(&q, chain), WARD_OK);
    assert_int_equal(
        ward_x509_ext_data(sk_X509_value(chain, 0), "1.2.840.113741.1.13.1", &ext, &ext_len),
        WARD_OK);
    assert_int_equal(ward_buf_set(out, ext, ext_len), WARD_OK);
    sk_X509_pop_free(chain, X509_free);
    ward_buf_cleanup(&b);
}

static void hex_equal(const uint8_t *got, const char *hex, size_t n)
{
    uint8_t want[32];
    assert_true(n <= sizeof(want));
    assert_int_equal(ward_hex_decode_exact(hex, want, n), WARD_OK);
    assert_memory_equal(got, want, n);
}

static int ext_parse(const uint8_t *p, size_t len)
{
    struct ward_pck_ext x;
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    int rc = ward_pck_ext_parse_der(copy, len, &x);
    free(copy);
    return rc;
}

static void test_pck_ext_values(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    struct ward_pck_ext x;
    /* Values as shown by `openssl asn1parse` on the leaf. */
    load_ext("quotes/dev-tdx-v4-dcapqvl-sample.bin", &b);
    assert_int_equal(ward_pck_ext_parse_der(b.data, b.len, &x), WARD_OK);
    hex_equal(x.ppid, "811dca2a26b952e85bb6448b097ba4fd", 16);
    hex_equal(x.comp_svn, "03030202040100050000000000000000", 16);
    assert_int_equal(x.pcesvn, 11);
    hex_equal(x.cpusvn, "03030202040100050000000000000000", 16);
    hex_equal(x.pceid, "0000", 2);
    hex_equal(x.fmspc, "b0c06f000000", 6);
    assert_int_equal(x.sgx_type, 1);
    assert_true(x.has_platform_instance_id);
    hex_equal(x.platform_instance_id, "07828474603e7019dc930775ffe8cdd2", 16);
    ward_buf_cleanup(&b);

    /* Component 6 is 255, a two-byte INTEGER (00 FF). */
    load_ext("quotes/dev-tdx-v4-dcapqvl-near.bin", &b);
    assert_int_equal(ward_pck_ext_parse_der(b.data, b.len, &x), WARD_OK);
    assert_int_equal(x.comp_svn[5], 255);
    assert_int_equal(x.pcesvn, 13);
    hex_equal(x.fmspc, "20a06f000000", 6);
    ward_buf_cleanup(&b);
}

/* A test-local DER walk: the offsets of every length byte (the last one for the
 * long form), and the top-level elements of a SEQUENCE. */
struct tlv {
    size_t off, hdr_len, len;
};

static struct tlv tlv_at(const uint8_t *p, size_t off)
{
    struct tlv t = {off, 2, p[off + 1]};
    if (p[off + 1] & 0x80) {
        size_t n = p[off + 1] & 0x7F;
        t.len = 0;
        for (size_t i = 0; i < n; i++) {
            t.len = (t.len << 8) | p[off + 2 + i];
        }
        t.hdr_len = 2 + n;
    }
    return t;
}

static void length_bytes(const uint8_t *p, size_t off, size_t end, size_t *out, size_t *num)
{
    while (off < end) {
        struct tlv t = tlv_at(p, off);
        out[(*num)++] = off + t.hdr_len - 1;
        if (p[off] & 0x20) {
            length_bytes(p, off + t.hdr_len, off + t.hdr_len + t.len, out, num);
        }
        off += t.hdr_len + t.len;
    }
}

/* Rebuilds the extension from the top-level elements listed in |order|. */
static size_t rebuild(const uint8_t *p, const struct tlv *elems, const int *order, size_t n,
                      uint8_t *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += elems[order[i]].hdr_len + elems[order[i]].len;
    }
    out[0] = 0x30;
    out[1] = 0x82;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    size_t at = 4;
    for (size_t i = 0; i < n; i++) {
        const struct tlv *t = &elems[order[i]];
        memcpy(out + at, p + t->off, t->hdr_len + t->len);
        at += t->hdr_len + t->len;
    }
    return at;
}

static void test_pck_ext_rejects(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load_ext("quotes/dev-tdx-v4-trustee-q4.dat", &b);
    uint8_t *p = b.data;
    const size_t len = b.len;
    assert_int_equal(ext_parse(p, len), WARD_OK);

    /* Every length byte, one up, one down, and with the long-form bit flipped. */
    size_t lens[256], num_lens = 0;
    length_bytes(p, 0, len, lens, &num_lens);
    assert_true(num_lens > 60);
    for (size_t i = 0; i < num_lens; i++) {
        const uint8_t deltas[] = {0x01, 0xFF, 0x80};
        for (size_t d = 0; d < sizeof(deltas); d++) {
            uint8_t old = p[lens[i]];
            p[lens[i]] = d == 2 ? old ^ 0x80 : (uint8_t)(old + deltas[d]);
            if (ext_parse(p, len) == WARD_OK) {
                fail_msg("length byte at %zu changed 0x%02x -> 0x%02x still parses", lens[i], old,
                         p[lens[i]]);
            }
            p[lens[i]] = old;
        }
    }
    expect_error(ext_parse(p, len - 1), WARD_ERR_TRUNCATED, "PCK SGX extension");

    /* The top-level fields: PPID, TCB, PCE-ID, FMSPC, SGX Type, PlatformInstanceID,
     * Configuration. */
    struct tlv top = tlv_at(p, 0), elems[8];
    size_t num = 0;
    for (size_t off = top.hdr_len; off < len; num++) {
        assert_true(num < 8);
        elems[num] = tlv_at(p, off);
        off += elems[num].hdr_len + elems[num].len;
    }
    assert_int_equal(num, 7);
    uint8_t out[1024];
    size_t n;

    const int reversed[] = {6, 5, 4, 3, 2, 1, 0};
    n = rebuild(p, elems, reversed, 7, out);
    assert_int_equal(ext_parse(out, n), WARD_OK); /* any order */
    const int no_optional[] = {0, 1, 2, 3, 4};
    n = rebuild(p, elems, no_optional, 5, out);
    assert_int_equal(ext_parse(out, n), WARD_OK);
    const int no_fmspc[] = {0, 1, 2, 4, 5, 6};
    n = rebuild(p, elems, no_fmspc, 6, out);
    expect_error(ext_parse(out, n), WARD_ERR_FORMAT, "FMSPC (1.2.840.113741.1.13.1.4) is missing");
    const int twice[] = {0, 1, 2, 3, 4, 5, 6, 3};
    n = rebuild(p, elems, twice, 8, out);
    expect_error(ext_parse(out, n), WARD_ERR_FORMAT, "FMSPC appears more than once");

    /* Junk after the SEQUENCE. */
    memcpy(out, p, len);
    out[len] = 0;
    expect_error(ext_parse(out, len + 1), WARD_ERR_TRAILING, "extension value");

    /* The OID of PlatformInstanceID (.6) renamed: .1 is a duplicate PPID, .8 unknown. */
    const size_t arc6 = elems[5].off + 2 + 2 + 9;
    assert_int_equal(p[arc6], 6);
    p[arc6] = 1;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "PPID appears more than once");
    p[arc6] = 8;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "unknown OID 1.2.840.113741.1.13.1.8");
    p[arc6] = 6;

    /* TCB entries: the first component's arc (.2.1) renamed to .2.2 and .2.19. */
    const size_t tcb_first = elems[1].off + elems[1].hdr_len + 12 + 4; /* OID, SEQUENCE */
    const size_t arc21 = tcb_first + 2 + 2 + 10;
    assert_int_equal(p[arc21 - 1], 2);
    assert_int_equal(p[arc21], 1);
    p[arc21] = 2;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "sgxTcbComp02Svn appears more than once");
    p[arc21] = 19;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "unknown OID 1.2.840.113741.1.13.1.2.19");
    p[arc21] = 1;

    /* SGX Type 3, and a BOOLEAN of 0x01 in the Configuration. */
    const size_t type_val = elems[4].off + 2 + 12 + 2;
    assert_int_equal(p[type_val - 2], 0x0A);
    p[type_val] = 3;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "SGX Type: INTEGER 3 is over 2");
    p[type_val] = 0x81;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "negative");
    p[type_val] = 1;
    assert_int_equal(p[len - 3], 0x01); /* BOOLEAN tag of SMTEnabled */
    p[len - 1] = 0x01;
    expect_error(ext_parse(p, len), WARD_ERR_FORMAT, "SMTEnabled: BOOLEAN 0x01");
    p[len - 1] = 0xFF;

    /* The outer length in a non-minimal long form. */
    out[0] = 0x30;
    out[1] = 0x83;
    out[2] = 0x00;
    memcpy(out + 3, p + 2, len - 2);
    expect_error(ext_parse(out, len + 1), WARD_ERR_FORMAT, "leading zero");
    assert_int_equal(ext_parse(p, len), WARD_OK);
    ward_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_quotes), cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_header_rejects),  cmocka_unit_test(test_v5_body_rejects),
        cmocka_unit_test(test_padding_rejects), cmocka_unit_test(test_sig_data_rejects),
        cmocka_unit_test(test_encode_refuses),  cmocka_unit_test(test_sgx_report),
        cmocka_unit_test(test_pck_ext_values),  cmocka_unit_test(test_pck_ext_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
