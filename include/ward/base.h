/*
 * ward/base.h: errors, byte strings, the bounds-checked reader and writer,
 * hex/base64, RFC 3339 time and logging.
 *
 * Conventions (see docs/architecture.md):
 *  - Functions that can fail return an `int`: WARD_OK (0) on success or a
 *    positive `enum ward_err` code. The code is also recorded, with a
 *    human-readable detail, in a thread-local slot read by ward_err_detail().
 *  - Out-parameters are untouched on failure; ownership moves only on success.
 *  - A caller's bug (NULL where the header says non-NULL) aborts.
 */
#ifndef WARD_BASE_H
#define WARD_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_MUST_CHECK __attribute__((warn_unused_result))
#define WARD_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Error codes. Every code has a message in lib/base/err.c. */
enum ward_err {
    WARD_OK = 0,
    WARD_ERR_NOMEM,      /* allocation failed or a named maximum was hit */
    WARD_ERR_USAGE,      /* caller passed an invalid argument or option */
    WARD_ERR_IO,         /* file or device I/O failed */
    WARD_ERR_TRUNCATED,  /* input ends before a field it must contain */
    WARD_ERR_TRAILING,   /* bytes left over after a complete structure */
    WARD_ERR_RESERVED,   /* a reserved field is not zero */
    WARD_ERR_VERSION,    /* unknown or unsupported format version */
    WARD_ERR_FORMAT,     /* malformed input (bad value, bad encoding) */
    WARD_ERR_CRYPTO,     /* the crypto library failed internally */
    WARD_ERR_SIGNATURE,  /* a signature does not verify */
    WARD_ERR_CHAIN,      /* a certificate chain does not verify */
    WARD_ERR_REVOKED,    /* a certificate is revoked */
    WARD_ERR_EXPIRED,    /* a certificate or CRL is not valid at the given time */
    WARD_ERR_MISMATCH,   /* two things that must agree do not */
    WARD_ERR_POLICY,     /* evidence is genuine but the policy refuses it */
    WARD_ERR_NOT_FOUND,  /* a needed input (cert, cache entry, file) is missing */
    WARD_ERR_NET,        /* a network request failed */
    WARD_ERR_RATE_LIMIT, /* a service asked us to slow down and we gave up */
    WARD_ERR_JSON,       /* JSON text is malformed or has the wrong shape */
    WARD_ERR__COUNT
};

/* ward_err_str returns the static message for |code| ("unknown error" if out of range). */
const char *ward_err_str(int code);

/* ward_err_set records |code| with a printf-style detail in the calling thread's
 * error slot and returns |code|, so `return ward_err_set(...)` reads naturally. */
int ward_err_set(int code, const char *fmt, ...) WARD_PRINTF(2, 3);

/* ward_err_prefix prepends "|fmt|: " to the current detail (adds context while an
 * error travels up) and returns the current code. */
int ward_err_prefix(const char *fmt, ...) WARD_PRINTF(1, 2);

/* ward_err_detail returns the calling thread's last detail message, or the code's
 * static message when no detail was given. Valid until the next ward_err_* call. */
const char *ward_err_detail(void);

/* ward_err_code returns the calling thread's last recorded code. */
int ward_err_code(void);

/* ward_err_clear resets the calling thread's error slot. */
void ward_err_clear(void);

/* ---- owned byte buffers ---- */

/* An owned, heap-allocated byte string. `data` is NULL when empty. */
struct ward_buf {
    uint8_t *data;
    size_t len;
};

/* ward_buf_set copies |len| bytes into |b|, freeing what it held before. */
int ward_buf_set(struct ward_buf *b, const uint8_t *p, size_t len) WARD_MUST_CHECK;
/* ward_buf_cleanup frees |b|'s bytes and zeroes it. Accepts an empty buffer. */
void ward_buf_cleanup(struct ward_buf *b);
/* ward_buf_wipe_cleanup wipes the bytes (secret material) before freeing. */
void ward_buf_wipe_cleanup(struct ward_buf *b);

/* ward_read_file reads a whole file into |out| (at most |max_len| bytes, else
 * WARD_ERR_NOMEM). "-" reads standard input. */
int ward_read_file(const char *path, size_t max_len, struct ward_buf *out) WARD_MUST_CHECK;

/* ward_write_file_atomic writes |len| bytes to |path| through a temporary file in
 * the same directory, fsync and rename, with mode |mode|. */
int ward_write_file_atomic(const char *path, const uint8_t *p, size_t len,
                           unsigned mode) WARD_MUST_CHECK;

/* ward_mkdir_p creates |path| and its parents with |mode| (existing is fine). */
int ward_mkdir_p(const char *path, unsigned mode) WARD_MUST_CHECK;

/* ---- the bounds-checked reader (all untrusted bytes go through it) ---- */

/* A read cursor over bytes owned by someone else. */
struct ward_rd {
    const uint8_t *p;
    size_t len;
};

void ward_rd_init(struct ward_rd *r, const uint8_t *p, size_t len);
size_t ward_rd_left(const struct ward_rd *r);
/* ward_rd_done fails with WARD_ERR_TRAILING if any byte is left; |what| names the structure. */
int ward_rd_done(const struct ward_rd *r, const char *what) WARD_MUST_CHECK;

int ward_rd_u8(struct ward_rd *r, uint8_t *out) WARD_MUST_CHECK;
int ward_rd_u16le(struct ward_rd *r, uint16_t *out) WARD_MUST_CHECK;
int ward_rd_u24le(struct ward_rd *r, uint32_t *out) WARD_MUST_CHECK; /* SPDM lengths */
int ward_rd_u32le(struct ward_rd *r, uint32_t *out) WARD_MUST_CHECK;
int ward_rd_u64le(struct ward_rd *r, uint64_t *out) WARD_MUST_CHECK;
int ward_rd_u16be(struct ward_rd *r, uint16_t *out) WARD_MUST_CHECK;
int ward_rd_u24be(struct ward_rd *r, uint32_t *out) WARD_MUST_CHECK;
int ward_rd_u32be(struct ward_rd *r, uint32_t *out) WARD_MUST_CHECK;
int ward_rd_u64be(struct ward_rd *r, uint64_t *out) WARD_MUST_CHECK;
/* ward_rd_copy copies the next |n| bytes into |out|. */
int ward_rd_copy(struct ward_rd *r, uint8_t *out, size_t n) WARD_MUST_CHECK;
/* ward_rd_ptr returns a pointer to the next |n| bytes (borrowed) and advances. */
int ward_rd_ptr(struct ward_rd *r, const uint8_t **out, size_t n) WARD_MUST_CHECK;
int ward_rd_skip(struct ward_rd *r, size_t n) WARD_MUST_CHECK;
/* ward_rd_child splits the next |n| bytes off as their own reader. */
int ward_rd_child(struct ward_rd *r, struct ward_rd *out, size_t n) WARD_MUST_CHECK;
/* ward_rd_child_u16be/u32le read a length prefix, then split off that many bytes. */
int ward_rd_child_u8(struct ward_rd *r, struct ward_rd *out) WARD_MUST_CHECK;
int ward_rd_child_u16be(struct ward_rd *r, struct ward_rd *out) WARD_MUST_CHECK;
int ward_rd_child_u32le(struct ward_rd *r, struct ward_rd *out) WARD_MUST_CHECK;
/* ward_rd_zeros consumes |n| bytes that must all be zero (reserved fields);
 * |what| names the field in the error. */
int ward_rd_zeros(struct ward_rd *r, size_t n, const char *what) WARD_MUST_CHECK;
/* ward_rd_at makes a reader over [off, off+n) of |r| without consuming |r|. */
int ward_rd_at(const struct ward_rd *r, size_t off, size_t n, struct ward_rd *out) WARD_MUST_CHECK;

/* ---- the writer ---- */

/* An append-only byte writer. Growable (heap, capped at `max`) or fixed (caller's array). */
struct ward_wr {
    uint8_t *p;
    size_t len;
    size_t cap;
    size_t max; /* named maximum for growable writers */
    bool fixed; /* true: p is the caller's storage and never reallocated */
};

/* ward_wr_init starts a growable writer that refuses to grow past |max| bytes. */
void ward_wr_init(struct ward_wr *w, size_t max);
/* ward_wr_init_fixed writes into |buf| of |cap| bytes. */
void ward_wr_init_fixed(struct ward_wr *w, uint8_t *buf, size_t cap);
/* ward_wr_cleanup frees a growable writer's storage (wiping it). */
void ward_wr_cleanup(struct ward_wr *w);
/* ward_wr_finish moves a growable writer's bytes into |out|; |w| is left empty. */
void ward_wr_finish(struct ward_wr *w, struct ward_buf *out);

int ward_wr_u8(struct ward_wr *w, uint8_t v) WARD_MUST_CHECK;
int ward_wr_u16le(struct ward_wr *w, uint16_t v) WARD_MUST_CHECK;
/* ward_wr_u24le aborts if |v| does not fit in 24 bits (a caller's bug). */
int ward_wr_u24le(struct ward_wr *w, uint32_t v) WARD_MUST_CHECK;
int ward_wr_u32le(struct ward_wr *w, uint32_t v) WARD_MUST_CHECK;
int ward_wr_u64le(struct ward_wr *w, uint64_t v) WARD_MUST_CHECK;
int ward_wr_u16be(struct ward_wr *w, uint16_t v) WARD_MUST_CHECK;
int ward_wr_u24be(struct ward_wr *w, uint32_t v) WARD_MUST_CHECK;
int ward_wr_u32be(struct ward_wr *w, uint32_t v) WARD_MUST_CHECK;
int ward_wr_u64be(struct ward_wr *w, uint64_t v) WARD_MUST_CHECK;
int ward_wr_bytes(struct ward_wr *w, const uint8_t *p, size_t n) WARD_MUST_CHECK;
int ward_wr_zeros(struct ward_wr *w, size_t n) WARD_MUST_CHECK;

/* ---- hex and base64 ---- */

/* ward_hex_encode writes 2*len lowercase hex digits and a NUL into |out| (size >= 2*len+1). */
void ward_hex_encode(const uint8_t *p, size_t len, char *out);
/* ward_hex_decode decodes |hex| (exactly 2*n digits, either case) into an owned buffer. */
int ward_hex_decode(const char *hex, struct ward_buf *out) WARD_MUST_CHECK;
/* ward_hex_decode_exact decodes |hex| that must be exactly |n| bytes into |out|. */
int ward_hex_decode_exact(const char *hex, uint8_t *out, size_t n) WARD_MUST_CHECK;
/* ward_base64_encode returns a malloc'd NUL-terminated standard base64 string, or NULL. */
char *ward_base64_encode(const uint8_t *p, size_t len);
/* ward_base64_decode accepts standard or URL-safe alphabet, padding optional. */
int ward_base64_decode(const char *s, struct ward_buf *out) WARD_MUST_CHECK;

/* ---- time ---- */

/* ward_time_parse parses an RFC 3339 timestamp ("2023-01-25T17:58:26Z", offsets and
 * fractions allowed) into seconds since the epoch (UTC). */
int ward_time_parse(const char *s, int64_t *out) WARD_MUST_CHECK;
/* ward_time_format writes "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with NUL) into |out|. */
void ward_time_format(int64_t t, char out[32]);
/* ward_time_now returns the current time in seconds since the epoch. */
int64_t ward_time_now(void);

/* ---- constant-time compare ---- */

/* ward_ct_equal compares two byte strings of length |len| in time independent of content. */
bool ward_ct_equal(const void *a, const void *b, size_t len);
/* ward_is_zero reports whether all |len| bytes are zero (constant time). */
bool ward_is_zero(const uint8_t *p, size_t len);

/* ---- logging ---- */

enum ward_log_level { WARD_LOG_ERROR, WARD_LOG_WARN, WARD_LOG_INFO, WARD_LOG_DEBUG };

/* ward_log_set_level sets the process-wide threshold (default: WARD_LOG_WARN, or
 * WARD_LOG_DEBUG when the environment has WARD_DEBUG=1). */
void ward_log_set_level(enum ward_log_level level);
/* ward_log_set_prefix sets the per-process prefix ("ward", "ward-attestd"). */
void ward_log_set_prefix(const char *prefix);
void ward_log(enum ward_log_level level, const char *fmt, ...) WARD_PRINTF(2, 3);
bool ward_log_enabled(enum ward_log_level level);

#ifdef __cplusplus
}
#endif
#endif /* WARD_BASE_H */
