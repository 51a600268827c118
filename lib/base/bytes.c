/* lib/base/bytes.c: owned buffers, the bounds-checked reader and the writer.
 * Every parser of untrusted bytes in ward reads through struct ward_rd. */
#include <string.h>

#include <openssl/crypto.h>

#include "base/internal.h"

int ward_buf_set(struct ward_buf *b, const uint8_t *p, size_t len)
{
    uint8_t *copy = NULL;
    if (len > 0) {
        copy = malloc(len);
        GUARD_PTR(copy);
        memcpy(copy, p, len);
    }
    ward_buf_cleanup(b);
    b->data = copy;
    b->len = len;
    return WARD_OK;
}

void ward_buf_cleanup(struct ward_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

void ward_buf_wipe_cleanup(struct ward_buf *b)
{
    if (b->data != NULL) {
        OPENSSL_cleanse(b->data, b->len);
    }
    ward_buf_cleanup(b);
}

/* ---- reader ---- */

void ward_rd_init(struct ward_rd *r, const uint8_t *p, size_t len)
{
    r->p = p;
    r->len = len;
}

size_t ward_rd_left(const struct ward_rd *r)
{
    return r->len;
}

int ward_rd_done(const struct ward_rd *r, const char *what)
{
    ENSURE_MSG(r->len == 0, WARD_ERR_TRAILING, "%s: %zu unexpected trailing byte(s)", what, r->len);
    return WARD_OK;
}

int ward_rd_ptr(struct ward_rd *r, const uint8_t **out, size_t n)
{
    ENSURE_MSG(n <= r->len, WARD_ERR_TRUNCATED, "input is truncated: need %zu byte(s), %zu left", n,
               r->len);
    *out = r->p;
    r->p += n;
    r->len -= n;
    return WARD_OK;
}

int ward_rd_skip(struct ward_rd *r, size_t n)
{
    const uint8_t *unused;
    return ward_rd_ptr(r, &unused, n);
}

int ward_rd_copy(struct ward_rd *r, uint8_t *out, size_t n)
{
    const uint8_t *p;
    GUARD(ward_rd_ptr(r, &p, n));
    if (n > 0) {
        memcpy(out, p, n);
    }
    return WARD_OK;
}

int ward_rd_child(struct ward_rd *r, struct ward_rd *out, size_t n)
{
    const uint8_t *p;
    GUARD(ward_rd_ptr(r, &p, n));
    ward_rd_init(out, p, n);
    return WARD_OK;
}

int ward_rd_at(const struct ward_rd *r, size_t off, size_t n, struct ward_rd *out)
{
    ENSURE_MSG(off <= r->len && n <= r->len - off, WARD_ERR_TRUNCATED,
               "range [%zu, +%zu) is outside the %zu-byte input", off, n, r->len);
    ward_rd_init(out, r->p + off, n);
    return WARD_OK;
}

/* Reads an unsigned integer of |n| bytes in the given byte order. */
static int rd_uint(struct ward_rd *r, size_t n, bool big, uint64_t *out)
{
    const uint8_t *p;
    uint64_t v = 0;
    GUARD(ward_rd_ptr(r, &p, n));
    for (size_t i = 0; i < n; i++) {
        size_t k = big ? i : n - 1 - i;
        v = (v << 8) | p[k];
    }
    *out = v;
    return WARD_OK;
}

#define RD_INT(name, type, n, big)         \
    int name(struct ward_rd *r, type *out) \
    {                                      \
        uint64_t v;                        \
        GUARD(rd_uint(r, (n), (big), &v)); \
        *out = (type)v;                    \
        return WARD_OK;                    \
    }

RD_INT(ward_rd_u8, uint8_t, 1, false)
RD_INT(ward_rd_u16le, uint16_t, 2, false)
RD_INT(ward_rd_u24le, uint32_t, 3, false)
RD_INT(ward_rd_u32le, uint32_t, 4, false)
RD_INT(ward_rd_u64le, uint64_t, 8, false)
RD_INT(ward_rd_u16be, uint16_t, 2, true)
RD_INT(ward_rd_u24be, uint32_t, 3, true)
RD_INT(ward_rd_u32be, uint32_t, 4, true)
RD_INT(ward_rd_u64be, uint64_t, 8, true)

int ward_rd_child_u8(struct ward_rd *r, struct ward_rd *out)
{
    uint8_t n;
    GUARD(ward_rd_u8(r, &n));
    return ward_rd_child(r, out, n);
}

int ward_rd_child_u16be(struct ward_rd *r, struct ward_rd *out)
{
    uint16_t n;
    GUARD(ward_rd_u16be(r, &n));
    return ward_rd_child(r, out, n);
}

int ward_rd_child_u32le(struct ward_rd *r, struct ward_rd *out)
{
    uint32_t n;
    GUARD(ward_rd_u32le(r, &n));
    return ward_rd_child(r, out, n);
}

int ward_rd_zeros(struct ward_rd *r, size_t n, const char *what)
{
    const uint8_t *p;
    GUARD(ward_rd_ptr(r, &p, n));
    for (size_t i = 0; i < n; i++) {
        ENSURE_MSG(p[i] == 0, WARD_ERR_RESERVED,
                   "reserved field %s is not zero (byte %zu is 0x%02x)", what, i, p[i]);
    }
    return WARD_OK;
}

/* ---- writer ---- */

void ward_wr_init(struct ward_wr *w, size_t max)
{
    memset(w, 0, sizeof(*w));
    w->max = max;
}

void ward_wr_init_fixed(struct ward_wr *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->p = buf;
    w->cap = cap;
    w->max = cap;
    w->fixed = true;
}

void ward_wr_cleanup(struct ward_wr *w)
{
    if (!w->fixed && w->p != NULL) {
        OPENSSL_cleanse(w->p, w->cap);
        free(w->p);
    }
    memset(w, 0, sizeof(*w));
}

void ward_wr_finish(struct ward_wr *w, struct ward_buf *out)
{
    WARD_ASSERT(!w->fixed);
    ward_buf_cleanup(out);
    out->data = w->p;
    out->len = w->len;
    memset(w, 0, sizeof(*w));
}

static int wr_reserve(struct ward_wr *w, size_t n, uint8_t **out)
{
    ENSURE_MSG(n <= w->max - w->len, WARD_ERR_NOMEM, "output would exceed its %zu-byte limit",
               w->max);
    if (w->len + n > w->cap) {
        WARD_ASSERT(!w->fixed);
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n) {
            cap = cap > w->max / 2 ? w->max : cap * 2;
        }
        uint8_t *p = malloc(cap);
        GUARD_PTR(p);
        if (w->p != NULL) {
            memcpy(p, w->p, w->len);
            OPENSSL_cleanse(w->p, w->cap);
            free(w->p);
        }
        w->p = p;
        w->cap = cap;
    }
    *out = w->p + w->len;
    w->len += n;
    return WARD_OK;
}

static int wr_uint(struct ward_wr *w, uint64_t v, size_t n, bool big)
{
    uint8_t *p;
    GUARD(wr_reserve(w, n, &p));
    for (size_t i = 0; i < n; i++) {
        size_t k = big ? n - 1 - i : i;
        p[k] = (uint8_t)(v >> (8 * i));
    }
    return WARD_OK;
}

int ward_wr_u8(struct ward_wr *w, uint8_t v)
{
    return wr_uint(w, v, 1, false);
}
int ward_wr_u16le(struct ward_wr *w, uint16_t v)
{
    return wr_uint(w, v, 2, false);
}
int ward_wr_u24le(struct ward_wr *w, uint32_t v)
{
    WARD_ASSERT(v <= 0xFFFFFFu);
    return wr_uint(w, v, 3, false);
}
int ward_wr_u32le(struct ward_wr *w, uint32_t v)
{
    return wr_uint(w, v, 4, false);
}
int ward_wr_u64le(struct ward_wr *w, uint64_t v)
{
    return wr_uint(w, v, 8, false);
}
int ward_wr_u16be(struct ward_wr *w, uint16_t v)
{
    return wr_uint(w, v, 2, true);
}
int ward_wr_u24be(struct ward_wr *w, uint32_t v)
{
    return wr_uint(w, v, 3, true);
}
int ward_wr_u32be(struct ward_wr *w, uint32_t v)
{
    return wr_uint(w, v, 4, true);
}
int ward_wr_u64be(struct ward_wr *w, uint64_t v)
{
    return wr_uint(w, v, 8, true);
}

int ward_wr_bytes(struct ward_wr *w, const uint8_t *src, size_t n)
{
    uint8_t *p;
    GUARD(wr_reserve(w, n, &p));
    if (n > 0) {
        memcpy(p, src, n);
    }
    return WARD_OK;
}

int ward_wr_zeros(struct ward_wr *w, size_t n)
{
    uint8_t *p;
    GUARD(wr_reserve(w, n, &p));
    memset(p, 0, n);
    return WARD_OK;
}

/* ---- constant time ---- */

bool ward_ct_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

bool ward_is_zero(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        acc |= p[i];
    }
    return acc == 0;
}
