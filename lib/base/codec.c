/* lib/base/codec.c: hex, base64 and RFC 3339 time. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/internal.h"

void ward_hex_encode(const uint8_t *p, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * len] = '\0';
}

static int hex_nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static int hex_into(const char *hex, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_nibble(hex[2 * i]);
        int lo = hex_nibble(hex[2 * i + 1]);
        ENSURE_MSG(hi >= 0 && lo >= 0, WARD_ERR_FORMAT, "invalid hex digit near position %zu",
                   2 * i);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return WARD_OK;
}

int ward_hex_decode(const char *hex, struct ward_buf *out)
{
    size_t len = strlen(hex);
    ENSURE_MSG(len % 2 == 0, WARD_ERR_FORMAT, "hex string has an odd number of digits (%zu)", len);
    uint8_t *p = malloc(len / 2 + 1);
    GUARD_PTR(p);
    int rc = hex_into(hex, len / 2, p);
    if (rc != WARD_OK) {
        free(p);
        return rc;
    }
    ward_buf_cleanup(out);
    out->data = p;
    out->len = len / 2;
    return WARD_OK;
}

int ward_hex_decode_exact(const char *hex, uint8_t *out, size_t n)
{
    size_t len = strlen(hex);
    ENSURE_MSG(len == 2 * n, WARD_ERR_FORMAT, "expected %zu hex digits, got %zu", 2 * n, len);
    uint8_t tmp[256];
    ENSURE(n <= sizeof(tmp), WARD_ERR_USAGE);
    GUARD(hex_into(hex, n, tmp));
    memcpy(out, tmp, n);
    return WARD_OK;
}

char *ward_base64_encode(const uint8_t *p, size_t len)
{
    if (len > (SIZE_MAX / 4) * 3 - 3 || len > INT32_MAX) {
        return NULL;
    }
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out == NULL) {
        return NULL;
    }
    EVP_EncodeBlock((unsigned char *)out, p, (int)len);
    return out;
}

int ward_base64_decode(const char *s, struct ward_buf *out)
{
    size_t n = strlen(s);
    ENSURE_MSG(n < INT32_MAX / 2, WARD_ERR_NOMEM, "base64 text too long");
    /* Normalise: URL-safe alphabet to standard, drop padding, re-pad. */
    char *norm = malloc(n + 4);
    GUARD_PTR(norm);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (c == '=') {
            break;
        } else if (!(isalnum((unsigned char)c) || c == '+' || c == '/')) {
            free(norm);
            return ward_err_set(WARD_ERR_FORMAT, "invalid base64 character at position %zu", i);
        }
        norm[m++] = c;
    }
    if (m % 4 == 1) {
        free(norm);
        return ward_err_set(WARD_ERR_FORMAT, "base64 text has an impossible length");
    }
    size_t pad = (4 - m % 4) % 4;
    memset(norm + m, '=', pad);
    m += pad;
    uint8_t *p = malloc(m / 4 * 3 + 1);
    if (p == NULL) {
        free(norm);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    int got = EVP_DecodeBlock(p, (const unsigned char *)norm, (int)m);
    free(norm);
    if (got < 0) {
        free(p);
        return ward_err_set(WARD_ERR_FORMAT, "invalid base64");
    }
    ward_buf_cleanup(out);
    out->data = p;
    out->len = (size_t)got - pad; /* EVP_DecodeBlock counts padding as zero bytes */
    return WARD_OK;
}

/* ---- time ---- */

static int digits(const char **s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        ENSURE_MSG(isdigit((unsigned char)(*s)[i]), WARD_ERR_FORMAT,
                   "RFC 3339 time: digit expected");
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return WARD_OK;
}

static int expect(const char **s, const char *set)
{
    ENSURE_MSG(**s != '\0' && strchr(set, **s) != NULL, WARD_ERR_FORMAT,
               "RFC 3339 time: expected one of \"%s\"", set);
    (*s)++;
    return WARD_OK;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int ward_time_parse(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
    const char *p = s;
    GUARD(digits(&p, 4, &y));
    GUARD(expect(&p, "-"));
    GUARD(digits(&p, 2, &mo));
    GUARD(expect(&p, "-"));
    GUARD(digits(&p, 2, &d));
    GUARD(expect(&p, "Tt "));
    GUARD(digits(&p, 2, &h));
    GUARD(expect(&p, ":"));
    GUARD(digits(&p, 2, &mi));
    GUARD(expect(&p, ":"));
    GUARD(digits(&p, 2, &se));
    if (*p == '.') {
        p++;
        ENSURE_MSG(isdigit((unsigned char)*p), WARD_ERR_FORMAT, "RFC 3339 time: empty fraction");
        while (isdigit((unsigned char)*p)) {
            p++;
        }
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else {
        sign = *p == '-' ? -1 : 1;
        GUARD(expect(&p, "+-"));
        GUARD(digits(&p, 2, &oh));
        GUARD(expect(&p, ":"));
        GUARD(digits(&p, 2, &om));
    }
    ENSURE_MSG(*p == '\0', WARD_ERR_FORMAT, "RFC 3339 time: trailing characters in \"%s\"", s);
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    ENSURE_MSG(mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
                   !(mo == 2 && d == 29 && !leap) && h <= 23 && mi <= 59 && se <= 60 && oh <= 23 &&
                   om <= 59,
               WARD_ERR_FORMAT, "RFC 3339 time: field out of range in \"%s\"", s);
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (se == 60 ? 59 : se);
    t -= sign * (oh * 3600 + om * 60);
    *out = t;
    return WARD_OK;
}

void ward_time_format(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "@%lld", (long long)t);
    }
}

int64_t ward_time_now(void)
{
    return (int64_t)time(NULL);
}
