/* tests/unit/test_binding.c: the report_data binding is SHA-512 over label, one
 * zero byte and the payload. The expected digests are computed here from the
 * definition with OpenSSL's one-shot SHA-512, whose own answer for "abc" is
 * checked against FIPS 180-2 first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "ward/binding.h"

static void sha512_known_answer(void **state)
{
    (void)state;
    /* FIPS 180-2, Appendix C.1: SHA-512("abc"). */
    static const char want[] = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                               "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
    uint8_t d[64];
    char hex[129];
    SHA512((const unsigned char *)"abc", 3, d);
    ward_hex_encode(d, 64, hex);
    assert_string_equal(hex, want);
}

static void binding_is_label_zero_payload(void **state)
{
    (void)state;
    uint8_t got[WARD_BINDING_LEN], want[64], buf[64];
    const uint8_t payload[] = {0x61, 0x62, 0x63};
    memcpy(buf, WARD_LABEL_COMPOSITE, strlen(WARD_LABEL_COMPOSITE));
    buf[strlen(WARD_LABEL_COMPOSITE)] = 0;
    memcpy(buf + strlen(WARD_LABEL_COMPOSITE) + 1, payload, sizeof(payload));
    SHA512(buf, strlen(WARD_LABEL_COMPOSITE) + 1 + sizeof(payload), want);
    assert_int_equal(ward_binding(WARD_LABEL_COMPOSITE, payload, sizeof(payload), got), WARD_OK);
    assert_memory_equal(got, want, 64);
    /* Labels separate uses: the same payload under another label differs, and so
     * does moving a byte across the separator. */
    uint8_t other[64];
    assert_int_equal(ward_binding("ward/v1/tls-key", payload, sizeof(payload), other), WARD_OK);
    assert_memory_not_equal(got, other, 64);
    assert_int_equal(ward_binding("ward/v1/composit", (const uint8_t *)"e\0abc", 5, other),
                     WARD_OK);
    assert_memory_not_equal(got, other, 64);
    /* An empty payload is allowed. */
    assert_int_equal(ward_binding(WARD_LABEL_COMPOSITE, NULL, 0, other), WARD_OK);
    SHA512((const unsigned char *)WARD_LABEL_COMPOSITE "\0", strlen(WARD_LABEL_COMPOSITE) + 1,
           want);
    assert_memory_equal(other, want, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha512_known_answer),
        cmocka_unit_test(binding_is_label_zero_payload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
