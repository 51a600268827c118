/*
 * lib/base/der.c: the DER TLV reader of der.h (ITU-T X.690, clauses 8.1
 * and 10: definite lengths in the fewest bytes). Every byte is read through
 * struct ward_rd.
 */
#include "base/internal.h"
#include "base/der.h"

#define HIGH_TAG_MASK 0x1Fu /* low five bits all set: a multi-byte tag number */
#define MAX_LEN_BYTES 4u    /* lengths up to 4 GiB; inputs are far smaller */

int ward_der_next(struct ward_rd *r, const char *what, uint8_t *out_tag, struct ward_rd *out)
{
    uint8_t tag, first;
    size_t len;

    GUARD(ward_rd_u8(r, &tag));
    ENSURE_MSG((tag & HIGH_TAG_MASK) != HIGH_TAG_MASK, WARD_ERR_FORMAT,
               "%s: multi-byte DER tag 0x%02x is not supported", what, tag);
    GUARD(ward_rd_u8(r, &first));
    if (first < 0x80) {
        len = first; /* short form */
    } else {
        size_t num_bytes = first & 0x7Fu;
        ENSURE_MSG(num_bytes != 0, WARD_ERR_FORMAT, "%s: indefinite length is not DER", what);
        ENSURE_MSG(num_bytes <= MAX_LEN_BYTES, WARD_ERR_FORMAT,
                   "%s: length of %zu bytes is too long", what, num_bytes);
        len = 0;
        for (size_t i = 0; i < num_bytes; i++) {
            uint8_t b;
            GUARD(ward_rd_u8(r, &b));
            ENSURE_MSG(i > 0 || b != 0, WARD_ERR_FORMAT,
                       "%s: length has a leading zero byte (not DER)", what);
            len = (len << 8) | b;
        }
        ENSURE_MSG(len >= 0x80, WARD_ERR_FORMAT,
                   "%s: length %zu in long form (not DER, which uses the short form)", what, len);
    }
    ENSURE_MSG(len <= ward_rd_left(r), WARD_ERR_TRUNCATED,
               "%s: length %zu runs past the end (%zu byte(s) left)", what, len, ward_rd_left(r));
    GUARD(ward_rd_child(r, out, len));
    *out_tag = tag;
    return WARD_OK;
}

int ward_der_expect(struct ward_rd *r, uint8_t tag, const char *what, struct ward_rd *out)
{
    uint8_t got;
    struct ward_rd c;
    GUARD(ward_der_next(r, what, &got, &c));
    ENSURE_MSG(got == tag, WARD_ERR_FORMAT, "%s: DER tag 0x%02x, expected 0x%02x", what, got, tag);
    *out = c;
    return WARD_OK;
}

int ward_der_uint(struct ward_rd *c, uint64_t max, const char *what, uint64_t *out)
{
    size_t n = ward_rd_left(c);
    uint8_t b;
    uint64_t v = 0;

    ENSURE_MSG(n > 0, WARD_ERR_FORMAT, "%s: empty INTEGER", what);
    for (size_t i = 0; i < n; i++) {
        GUARD(ward_rd_u8(c, &b));
        if (i == 0) {
            ENSURE_MSG((b & 0x80) == 0, WARD_ERR_FORMAT, "%s: negative INTEGER", what);
        }
        if (i == 1) {
            /* A leading 0x00 is allowed only to keep the next byte's top bit clear. */
            ENSURE_MSG(v != 0 || (b & 0x80) != 0, WARD_ERR_FORMAT,
                       "%s: INTEGER has a redundant leading zero byte (not DER)", what);
        }
        ENSURE_MSG(v <= (max >> 8), WARD_ERR_FORMAT, "%s: INTEGER is over %llu", what,
                   (unsigned long long)max);
        v = (v << 8) | b;
    }
    ENSURE_MSG(v <= max, WARD_ERR_FORMAT, "%s: INTEGER %llu is over %llu", what,
               (unsigned long long)v, (unsigned long long)max);
    *out = v;
    return WARD_OK;
}

int ward_der_bool(struct ward_rd *c, const char *what, bool *out)
{
    uint8_t b;
    ENSURE_MSG(ward_rd_left(c) == 1, WARD_ERR_FORMAT, "%s: BOOLEAN of %zu bytes (expected 1)", what,
               ward_rd_left(c));
    GUARD(ward_rd_u8(c, &b));
    ENSURE_MSG(b == 0x00 || b == 0xFF, WARD_ERR_FORMAT,
               "%s: BOOLEAN 0x%02x (DER allows only 0x00 and 0xFF)", what, b);
    *out = b == 0xFF;
    return WARD_OK;
}

int ward_der_octets(struct ward_rd *c, uint8_t *out, size_t n, const char *what)
{
    ENSURE_MSG(ward_rd_left(c) == n, WARD_ERR_FORMAT, "%s: %zu bytes (expected %zu)", what,
               ward_rd_left(c), n);
    return ward_rd_copy(c, out, n);
}
