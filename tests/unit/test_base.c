/* tests/unit/test_base.c: the bounds-checked reader and writer, hex, base64, time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ward/base.h"

static void reader_reads_both_orders(void **state)
{
    (void)state;
    const uint8_t b[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    struct ward_rd r;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_u16le(&r, &u16), WARD_OK);
    assert_int_equal(u16, 0x0201);
    assert_int_equal(ward_rd_u16be(&r, &u16), WARD_OK);
    assert_int_equal(u16, 0x0304);
    assert_int_equal(ward_rd_u32le(&r, &u32), WARD_OK);
    assert_int_equal(u32, 0x08070605);
    assert_int_equal(ward_rd_done(&r, "t"), WARD_OK);
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_u64be(&r, &u64), WARD_OK);
    assert_true(u64 == 0x0102030405060708ull);
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_u64le(&r, &u64), WARD_OK);
    assert_true(u64 == 0x0807060504030201ull);
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_u24le(&r, &u32), WARD_OK);
    assert_int_equal(u32, 0x030201);
    assert_int_equal(ward_rd_u24be(&r, &u32), WARD_OK);
    assert_int_equal(u32, 0x040506);
}

static void reader_refuses_overruns(void **state)
{
    (void)state;
    const uint8_t b[] = {0x03, 0xAA, 0xBB};
    struct ward_rd r, child;
    uint32_t u32;
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_u32le(&r, &u32), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_rd_left(&r), 3); /* a failed read consumes nothing */
    assert_int_equal(ward_rd_child_u8(&r, &child), WARD_ERR_TRUNCATED);
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_skip(&r, 1), WARD_OK);
    assert_int_equal(ward_rd_done(&r, "t"), WARD_ERR_TRAILING);
    assert_non_null(strstr(ward_err_detail(), "2 unexpected trailing"));
    struct ward_rd sub;
    assert_int_equal(ward_rd_at(&r, 1, 2, &sub), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_rd_at(&r, SIZE_MAX, 2, &sub), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_rd_at(&r, 0, 2, &sub), WARD_OK);
    assert_int_equal(ward_rd_left(&sub), 2);
}

static void reader_checks_reserved_zeros(void **state)
{
    (void)state;
    const uint8_t b[] = {0, 0, 0, 1};
    struct ward_rd r;
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_zeros(&r, 3, "pad"), WARD_OK);
    assert_int_equal(ward_rd_zeros(&r, 1, "tail"), WARD_ERR_RESERVED);
    assert_non_null(strstr(ward_err_detail(), "tail"));
}

static void child_reader_is_bounded(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x02, 0xAA, 0xBB, 0xCC};
    struct ward_rd r, child;
    uint8_t v;
    ward_rd_init(&r, b, sizeof(b));
    assert_int_equal(ward_rd_child_u16be(&r, &child), WARD_OK);
    assert_int_equal(ward_rd_left(&child), 2);
    assert_int_equal(ward_rd_u8(&child, &v), WARD_OK);
    assert_int_equal(v, 0xAA);
    assert_int_equal(ward_rd_skip(&child, 2), WARD_ERR_TRUNCATED);
    assert_int_equal(ward_rd_left(&r), 1);
}

static void writer_round_trips_and_caps(void **state)
{
    (void)state;
    struct ward_wr w;
    struct ward_buf out = {0};
    ward_wr_init(&w, 16);
    assert_int_equal(ward_wr_u32be(&w, 0x01020304), WARD_OK);
    assert_int_equal(ward_wr_u64le(&w, 0x0807060504030201ull), WARD_OK);
    assert_int_equal(ward_wr_u24be(&w, 0x0A0B0C), WARD_OK);
    assert_int_equal(ward_wr_zeros(&w, 2), WARD_ERR_NOMEM); /* 15 + 2 > 16 */
    ward_wr_finish(&w, &out);
    const uint8_t want[] = {1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 0x0A, 0x0B, 0x0C};
    assert_int_equal(out.len, sizeof(want));
    assert_memory_equal(out.data, want, sizeof(want));
    ward_buf_cleanup(&out);

    uint8_t fixed[2];
    ward_wr_init_fixed(&w, fixed, sizeof(fixed));
    assert_int_equal(ward_wr_u16le(&w, 0xBEEF), WARD_OK);
    assert_int_equal(ward_wr_u8(&w, 1), WARD_ERR_NOMEM);
    assert_int_equal(fixed[0], 0xEF);

    uint8_t three[3];
    ward_wr_init_fixed(&w, three, sizeof(three));
    assert_int_equal(ward_wr_u24le(&w, 0x0A0B0C), WARD_OK);
    assert_int_equal(three[0], 0x0C);
    assert_int_equal(three[2], 0x0A);
}

static void hex_and_base64(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    char hex[9];
    assert_int_equal(ward_hex_decode("00fFa1", &b), WARD_OK);
    assert_int_equal(b.len, 3);
    ward_hex_encode(b.data, b.len, hex);
    assert_string_equal(hex, "00ffa1");
    assert_int_equal(ward_hex_decode("0g", &b), WARD_ERR_FORMAT);
    assert_int_equal(ward_hex_decode("abc", &b), WARD_ERR_FORMAT);
    ward_buf_cleanup(&b);

    /* RFC 4648 section 10 test vectors. */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char *e = ward_base64_encode((const uint8_t *)plain[i], strlen(plain[i]));
        assert_string_equal(e, enc[i]);
        free(e);
        assert_int_equal(ward_base64_decode(enc[i], &b), WARD_OK);
        assert_int_equal(b.len, strlen(plain[i]));
        if (b.len) {
            assert_memory_equal(b.data, plain[i], b.len);
        }
    }
    assert_int_equal(ward_base64_decode("Zm9vYg", &b), WARD_OK); /* unpadded */
    assert_int_equal(b.len, 4);
    assert_int_equal(ward_base64_decode("-_-_", &b), WARD_OK); /* URL-safe */
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[0], 0xfb);
    assert_int_equal(ward_base64_decode("Zm9v!", &b), WARD_ERR_FORMAT);
    assert_int_equal(ward_base64_decode("Z", &b), WARD_ERR_FORMAT);
    ward_buf_cleanup(&b);
}

static void rfc3339(void **state)
{
    (void)state;
    int64_t t;
    char s[32];
    assert_int_equal(ward_time_parse("1970-01-01T00:00:00Z", &t), WARD_OK);
    assert_true(t == 0);
    assert_int_equal(ward_time_parse("2023-01-25T17:58:26Z", &t), WARD_OK);
    assert_true(t == 1674669506);
    ward_time_format(t, s);
    assert_string_equal(s, "2023-01-25T17:58:26Z");
    assert_int_equal(ward_time_parse("2023-01-25T19:58:26.123+02:00", &t), WARD_OK);
    assert_true(t == 1674669506);
    assert_int_equal(ward_time_parse("2024-02-29T00:00:00Z", &t), WARD_OK);
    assert_int_equal(ward_time_parse("2023-02-29T00:00:00Z", &t), WARD_ERR_FORMAT);
    assert_int_equal(ward_time_parse("2023-01-25", &t), WARD_ERR_FORMAT);
    assert_int_equal(ward_time_parse("2023-01-25T17:58:26Zjunk", &t), WARD_ERR_FORMAT);
    assert_int_equal(ward_time_parse("2023-13-01T00:00:00Z", &t), WARD_ERR_FORMAT);
}

static void errors_have_messages(void **state)
{
    (void)state;
    for (int c = 0; c < WARD_ERR__COUNT; c++) {
        assert_string_not_equal(ward_err_str(c), "unknown error");
    }
    assert_int_equal(ward_err_set(WARD_ERR_FORMAT, "inner %d", 7), WARD_ERR_FORMAT);
    assert_int_equal(ward_err_prefix("outer"), WARD_ERR_FORMAT);
    assert_string_equal(ward_err_detail(), "outer: inner 7");
    assert_true(ward_ct_equal("abc", "abc", 3));
    assert_false(ward_ct_equal("abc", "abd", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_reads_both_orders),
        cmocka_unit_test(reader_refuses_overruns),
        cmocka_unit_test(reader_checks_reserved_zeros),
        cmocka_unit_test(child_reader_is_bounded),
        cmocka_unit_test(writer_round_trips_and_caps),
        cmocka_unit_test(hex_and_base64),
        cmocka_unit_test(rfc3339),
        cmocka_unit_test(errors_have_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
