/*
 * tests/unit/test_nvgpu_report.c: the NVIDIA SPDM report parser and encoder and the
 * opaque-data parser, on every report of tests/data/nvgpu/manifest.json, with reject
 * twins: truncation, trailing bytes, request and response codes, versions, the
 * signature attribute, block counts and sizes, record and opaque lengths, opaque
 * field sizes, repeated block indexes and opaque types, and the NVDAOD format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/json.h"
#include "ward/nvgpu.h"

/* Offsets of the fixed layout (lib/evidence/nvgpu/report.c). */
#define REQ_PARAM1_OFF 2
#define RSP_OFF WARD_SPDM_REQUEST_LEN
#define RSP_CODE_OFF (RSP_OFF + 1)
#define NUM_BLOCKS_OFF (RSP_OFF + 4)
#define RECORD_LEN_OFF (RSP_OFF + 5)
#define RECORD_OFF (RSP_OFF + 8)
#define BLOCK_VALUE_REL 7 /* from a block's Index to its Value */

static void data_path(const char *rel, char *out, size_t out_len)
{
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(out, out_len, "%s/nvgpu/%s", d ? d : "tests/data", rel);
}

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    data_path(rel, path, sizeof(path));
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static json_t *manifest(void)
{
    char path[1024];
    json_t *root;
    data_path("manifest.json", path, sizeof(path));
    assert_int_equal(ward_json_load_file(path, 1 << 22, &root), WARD_OK);
    assert_true(json_is_array(root) && json_array_size(root) > 0);
    return root;
}

static const char *str_field(json_t *e, const char *key)
{
    const char *s;
    assert_int_equal(ward_json_get_string(e, key, &s), WARD_OK);
    return s;
}

/* Parses an exact-size heap copy of |p| (ASan sees any over-read); returns the code. */
static int parse_copy(const uint8_t *p, size_t len)
{
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(r);
    assert_non_null(copy);
    if (len > 0) {
        memcpy(copy, p, len);
    }
    int rc = ward_nvgpu_report_parse(copy, len, r);
    free(copy);
    free(r);
    return rc;
}

static struct ward_nvgpu_report *parse_ok(const struct ward_buf *b)
{
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    assert_non_null(r);
    if (ward_nvgpu_report_parse(b->data, b->len, r) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    return r;
}

static uint32_t get_le(const uint8_t *p, int width);

/* Where the OpaqueLength field of |b| is. */
static size_t opaque_len_off(const struct ward_buf *b)
{
    return RECORD_OFF + get_le(b->data + RECORD_LEN_OFF, 3) + 32;
}

static uint32_t get_le(const uint8_t *p, int width)
{
    uint32_t v = 0;
    for (int i = width - 1; i >= 0; i--) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_le(uint8_t *p, int width, uint32_t v)
{
    for (int i = 0; i < width; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A tampered copy: the |width|-byte little-endian integer at |off| gets |delta| added
 * (modulo its size); the parser must then fail with |want| (0: any error). */
static void expect_reject(const struct ward_buf *b, const char *what, int want, size_t off,
                          int width, int64_t delta)
{
    uint8_t *t = malloc(b->len);
    assert_non_null(t);
    memcpy(t, b->data, b->len);
    assert_true(off + (size_t)width <= b->len);
    put_le(t + off, width, (uint32_t)((int64_t)get_le(t + off, width) + delta));
    int rc = parse_copy(t, b->len);
    free(t);
    if (rc == WARD_OK || (want != 0 && rc != want)) {
        fail_msg("%s: got %d (%s), want %d", what, rc, ward_err_detail(), want);
    }
}

/* Like expect_reject, setting the integer to |v|. */
static void expect_reject_set(const struct ward_buf *b, const char *what, int want, size_t off,
                              int width, uint32_t v)
{
    expect_reject(b, what, want, off, width, (int64_t)v - (int64_t)get_le(b->data + off, width));
}

/* ---- accept: every report of the manifest ---- */

static void manifest_reports_parse(void **state)
{
    (void)state;
    json_t *root = manifest();
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e)
    {
        const char *id = str_field(e, "id");
        struct ward_buf b = {0}, enc = {0};
        uint8_t nonce[32];
        load(str_field(e, "file"), &b);
        struct ward_nvgpu_report *r = parse_ok(&b);

        assert_int_equal(
            ward_hex_decode_exact(str_field(e, "nonce_or_report_data_hex"), nonce, sizeof(nonce)),
            WARD_OK);
        if (memcmp(nonce, r->request_nonce, sizeof(nonce)) != 0) {
            fail_msg("%s: request nonce differs from the manifest", id);
        }
        assert_int_equal(r->spdm_version, 0x11);
        assert_int_equal(r->num_blocks, 64); /* Hopper */
        for (size_t k = 0; k < r->num_blocks; k++) {
            assert_int_equal(r->blocks[k].spec, 1);
            assert_int_equal(r->blocks[k].value_len, 48); /* SHA-384 digests */
        }
        assert_true(r->signed_data == b.data);
        assert_int_equal(r->signed_len, b.len - WARD_SPDM_SIG_LEN);
        assert_memory_equal(r->signature, b.data + r->signed_len, WARD_SPDM_SIG_LEN);
        assert_non_null(ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_DRIVER_VERSION));
        assert_non_null(ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_VBIOS_VERSION));
        for (size_t k = 0; k < r->num_opaque; k++) {
            if (ward_nv_opaque_name(r->opaque[k].type) == NULL) {
                fail_msg("%s: opaque type %u has no name", id, r->opaque[k].type);
            }
        }

        if (ward_nvgpu_report_encode(r, &enc) != WARD_OK) {
            fail_msg("%s: encode: %s", id, ward_err_detail());
        }
        assert_int_equal(enc.len, b.len);
        if (memcmp(enc.data, b.data, b.len) != 0) {
            fail_msg("%s: encoding differs from the input", id);
        }
        ward_buf_cleanup(&enc);
        free(r);
        ward_buf_cleanup(&b);
    }
    json_decref(root);
}

static void h100_sample_fields(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load("nvtrust-h100-sample/evidence.bin", &b);
    struct ward_nvgpu_report *r = parse_ok(&b);
    const struct ward_nv_opaque_field *f = ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_DRIVER_VERSION);
    assert_non_null(f);
    assert_int_equal(f->len, 10); /* "550.90.07" and its NUL */
    assert_memory_equal(f->value, "550.90.07", 10);
    f = ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_VBIOS_VERSION);
    assert_non_null(f);
    assert_int_equal(f->len, 8);
    assert_int_equal(r->req_param1, 0x01);
    assert_int_equal(r->req_param2, 0xFF);
    assert_int_equal(r->slot_id, 0);
    assert_int_equal(r->num_opaque, 14);
    assert_null(ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_CHIP_INFO));
    for (size_t k = 0; k < r->num_blocks; k++) {
        assert_int_equal(r->blocks[k].index, k + 1);
    }
    free(r);
    ward_buf_cleanup(&b);
}

/* ---- reject twins ---- */

static void twins_for(const struct ward_buf *b)
{
    struct ward_nvgpu_report *r = parse_ok(b);
    size_t op_off = opaque_len_off(b);
    size_t first_block = RECORD_OFF;
    size_t last_block = (size_t)(r->blocks[r->num_blocks - 1].value - b->data) - BLOCK_VALUE_REL;

    for (size_t off = 0; off < b->len; off += 53) {
        int rc = parse_copy(b->data, off);
        if (rc == WARD_OK) {
            fail_msg("truncated to %zu bytes: accepted", off);
        }
    }
    assert_int_equal(parse_copy(b->data, b->len - 1), WARD_ERR_TRUNCATED);

    uint8_t *longer = malloc(b->len + 1);
    assert_non_null(longer);
    memcpy(longer, b->data, b->len);
    longer[b->len] = 0;
    assert_int_equal(parse_copy(longer, b->len + 1), WARD_ERR_TRAILING);
    free(longer);

    expect_reject_set(b, "request code", WARD_ERR_FORMAT, 1, 1, 0xE1);
    expect_reject_set(b, "response code", WARD_ERR_FORMAT, RSP_CODE_OFF, 1, 0x61);
    expect_reject_set(b, "SPDM ERROR response", WARD_ERR_FORMAT, RSP_CODE_OFF, 1, 0x7F);
    expect_reject_set(b, "request Param1 without bit 0", WARD_ERR_FORMAT, REQ_PARAM1_OFF, 1, 0);
    expect_reject_set(b, "request Param1 0x02", WARD_ERR_FORMAT, REQ_PARAM1_OFF, 1, 0x02);
    expect_reject_set(b, "response version differs", WARD_ERR_MISMATCH, RSP_OFF, 1, 0x12);
    expect_reject(b, "NumberOfBlocks + 1", WARD_ERR_TRUNCATED, NUM_BLOCKS_OFF, 1, 1);
    expect_reject(b, "NumberOfBlocks - 1", WARD_ERR_TRAILING, NUM_BLOCKS_OFF, 1, -1);
    expect_reject(b, "MeasurementRecordLength + 1", WARD_ERR_TRAILING, RECORD_LEN_OFF, 3, 1);
    expect_reject(b, "MeasurementRecordLength - 1", 0, RECORD_LEN_OFF, 3, -1);
    expect_reject(b, "first block MeasurementSize + 1", WARD_ERR_FORMAT, first_block + 2, 2, 1);
    expect_reject(b, "first block MeasurementSize - 1", WARD_ERR_FORMAT, first_block + 2, 2, -1);
    expect_reject(b, "last block MeasurementSize + 1", 0, last_block + 2, 2, 1);
    expect_reject(b, "last block MeasurementSize - 1", WARD_ERR_FORMAT, last_block + 2, 2, -1);
    expect_reject(b, "first block ValueSize + 1", WARD_ERR_FORMAT, first_block + 5, 2, 1);
    expect_reject(b, "first block ValueSize - 1", WARD_ERR_FORMAT, first_block + 5, 2, -1);
    expect_reject_set(b, "measurement specification 2", WARD_ERR_FORMAT, first_block + 1, 1, 2);
    expect_reject_set(b, "block index 0", WARD_ERR_FORMAT, first_block, 1, 0);
    size_t second_block = (size_t)(r->blocks[1].value - b->data) - BLOCK_VALUE_REL;
    expect_reject_set(b, "repeated block index", WARD_ERR_FORMAT, second_block, 1,
                      r->blocks[0].index);
    expect_reject(b, "OpaqueLength + 1", 0, op_off, 2, 1);
    expect_reject(b, "OpaqueLength - 1", 0, op_off, 2, -1);
    for (size_t k = 0; k < r->num_opaque; k++) {
        size_t size_off = (size_t)(r->opaque[k].value - b->data) - 2;
        char what[64];
        snprintf(what, sizeof(what), "opaque field %zu size + 1", k);
        expect_reject(b, what, 0, size_off, 2, 1);
        snprintf(what, sizeof(what), "opaque field %zu size - 1", k);
        expect_reject(b, what, 0, size_off, 2, -1);
    }
    expect_reject_set(b, "repeated opaque type", WARD_ERR_FORMAT,
                      (size_t)(r->opaque[1].value - b->data) - 4, 2, r->opaque[0].type);
    free(r);
}

static void reject_twins(void **state)
{
    (void)state;
    json_t *root = manifest();
    size_t i;
    json_t *e;
    json_array_foreach(root, i, e)
    {
        struct ward_buf b = {0};
        load(str_field(e, "file"), &b);
        twins_for(&b);
        ward_buf_cleanup(&b);
    }
    json_decref(root);
}

/* Messages name the place that is wrong. */
static void messages_say_where(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load("nvtrust-h100-sample/evidence.bin", &b);
    put_le(b.data + RECORD_OFF + 2, 2, get_le(b.data + RECORD_OFF + 2, 2) + 1);
    struct ward_nvgpu_report r;
    assert_int_equal(ward_nvgpu_report_parse(b.data, b.len, &r), WARD_ERR_FORMAT);
    const char *d = ward_err_detail();
    if (strstr(d, "nvgpu report") == NULL || strstr(d, "measurement block 1 of 64") == NULL ||
        strstr(d, "MeasurementSize 52") == NULL) {
        fail_msg("unhelpful message: %s", d);
    }
    ward_buf_cleanup(&b);
}

/* Versions 0x11 and 0x12 share the layout; 0x10 and 0x13 do not and are refused. */
static void versions(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    struct ward_nvgpu_report r;
    load("nvtrust-h100-sample/evidence.bin", &b);
    static const struct {
        uint8_t v;
        int want;
    } cases[] = {{0x10, WARD_ERR_VERSION},
                 {0x12, WARD_OK},
                 {0x13, WARD_ERR_VERSION},
                 {0x20, WARD_ERR_VERSION},
                 {0x00, WARD_ERR_VERSION}};
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        b.data[0] = cases[k].v;
        b.data[RSP_OFF] = cases[k].v;
        int rc = ward_nvgpu_report_parse(b.data, b.len, &r);
        if (rc != cases[k].want) {
            fail_msg("version 0x%02x: got %d (%s)", cases[k].v, rc, ward_err_detail());
        }
    }
    ward_buf_cleanup(&b);
}

/* The out-parameter is untouched on failure. */
static void out_untouched_on_failure(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    load("nvtrust-h100-sample/evidence.bin", &b);
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    struct ward_nvgpu_report *want = malloc(sizeof(*want));
    assert_non_null(r);
    assert_non_null(want);
    memset(r, 0xA5, sizeof(*r));
    memcpy(want, r, sizeof(*r));
    assert_int_equal(ward_nvgpu_report_parse(b.data, b.len - 1, r), WARD_ERR_TRUNCATED);
    assert_memory_equal(r, want, sizeof(*r));

    struct ward_nv_opaque_field f[2], fwant[2];
    size_t n = 77;
    memset(f, 0x5A, sizeof(f));
    memcpy(fwant, f, sizeof(f));
    const uint8_t dup[] = {3, 0, 1, 0, 'x', 3, 0, 0, 0};
    assert_int_equal(ward_nv_opaque_parse(dup, sizeof(dup), f, 2, &n), WARD_ERR_FORMAT);
    assert_memory_equal(f, fwant, sizeof(f));
    assert_int_equal(n, 77);
    free(want);
    free(r);
    ward_buf_cleanup(&b);
}

/* ---- opaque data alone ---- */

static void opaque_parse_rules(void **state)
{
    (void)state;
    struct ward_nv_opaque_field f[WARD_NVGPU_MAX_OPAQUE];
    size_t n = 99;

    assert_int_equal(ward_nv_opaque_parse(NULL, 0, f, sizeof(f) / sizeof(f[0]), &n), WARD_OK);
    assert_int_equal(n, 0);

    /* An unknown type is kept; an empty value is fine. */
    const uint8_t two[] = {0x34, 0x12, 2, 0, 0xAA, 0xBB, 3, 0, 0, 0};
    assert_int_equal(ward_nv_opaque_parse(two, sizeof(two), f, 2, &n), WARD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].type, 0x1234);
    assert_int_equal(f[0].len, 2);
    assert_true(f[0].value == two + 4);
    assert_null(ward_nv_opaque_name(0x1234));
    assert_int_equal(f[1].type, 3);
    assert_int_equal(f[1].len, 0);

    /* The named maximum. */
    assert_int_equal(ward_nv_opaque_parse(two, sizeof(two), f, 1, &n), WARD_ERR_NOMEM);

    /* Truncated header, truncated value. */
    assert_int_equal(ward_nv_opaque_parse(two, 3, f, 2, &n), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_nv_opaque_parse(two, 5, f, 2, &n), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_nv_opaque_parse(two, sizeof(two) - 1, f, 2, &n), WARD_ERR_TRUNCATED);

    /* NVIDIA's later NVDAOD format is refused, not misread. */
    const uint8_t nvdaod[] = {'N', 'V', 'D', 'A', 'O', 'D', 0, 0, 0,  2,
                              0,   0,   3,   0,   0,   0,   1, 0, 'x'};
    assert_int_equal(ward_nv_opaque_parse(nvdaod, sizeof(nvdaod), f, 4, &n), WARD_ERR_VERSION);
}

static void opaque_names(void **state)
{
    (void)state;
    static const uint16_t documented[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                          12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                          23, 24, 25, 26, 27, 32, 33, 34, 35, 36, 255};
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
        const char *a = ward_nv_opaque_name(documented[i]);
        if (a == NULL) {
            fail_msg("type %u has no name", documented[i]);
        }
        for (size_t j = 0; j < i; j++) {
            assert_string_not_equal(a, ward_nv_opaque_name(documented[j]));
        }
    }
    assert_string_equal(ward_nv_opaque_name(WARD_NV_OPAQUE_DRIVER_VERSION), "driver_version");
    assert_string_equal(ward_nv_opaque_name(WARD_NV_OPAQUE_CHIP_INFO), "chip_info");
    static const uint16_t unknown[] = {0, 28, 31, 37, 254, 256, 0x564E, 0xFFFF};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_null(ward_nv_opaque_name(unknown[i]));
    }
}

/* ---- encode refuses what the parser refuses ---- */

static void encode_refuses(void **state)
{
    (void)state;
    struct ward_buf b = {0}, enc = {0};
    load("nvtrust-h100-sample/evidence.bin", &b);
    struct ward_nvgpu_report *r = parse_ok(&b);
    struct ward_nvgpu_report *t = malloc(sizeof(*t));
    assert_non_null(t);

    *t = *r;
    t->spdm_version = 0x13;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    *t = *r;
    t->req_param1 = 0;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    *t = *r;
    t->blocks[3].index = t->blocks[2].index;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    *t = *r;
    t->blocks[0].spec = 2;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    *t = *r;
    t->num_opaque = WARD_NVGPU_MAX_OPAQUE + 1;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    *t = *r;
    t->opaque[1].type = t->opaque[0].type;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_ERR_USAGE);
    assert_null(enc.data);

    /* A changed field encodes and parses back. */
    *t = *r;
    t->num_blocks = 1;
    t->num_opaque = 1;
    assert_int_equal(ward_nvgpu_report_encode(t, &enc), WARD_OK);
    struct ward_nvgpu_report back;
    assert_int_equal(ward_nvgpu_report_parse(enc.data, enc.len, &back), WARD_OK);
    assert_int_equal(back.num_blocks, 1);
    assert_int_equal(back.num_opaque, 1);
    assert_int_equal(back.signed_len, enc.len - WARD_SPDM_SIG_LEN);
    ward_buf_cleanup(&enc);

    free(t);
    free(r);
    ward_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(manifest_reports_parse),
        cmocka_unit_test(h100_sample_fields),
        cmocka_unit_test(reject_twins),
        cmocka_unit_test(messages_say_where),
        cmocka_unit_test(versions),
        cmocka_unit_test(out_untouched_on_failure),
        cmocka_unit_test(opaque_parse_rules),
        cmocka_unit_test(opaque_names),
        cmocka_unit_test(encode_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
