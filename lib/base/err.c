/* lib/base/err.c: the error table and the thread-local error slot. */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "base/internal.h"

static const char *const messages[WARD_ERR__COUNT] = {
    [WARD_OK] = "success",
    [WARD_ERR_NOMEM] = "out of memory or over a size limit",
    [WARD_ERR_USAGE] = "invalid argument",
    [WARD_ERR_IO] = "I/O error",
    [WARD_ERR_TRUNCATED] = "input is truncated",
    [WARD_ERR_TRAILING] = "unexpected trailing bytes",
    [WARD_ERR_RESERVED] = "reserved field is not zero",
    [WARD_ERR_VERSION] = "unsupported version",
    [WARD_ERR_FORMAT] = "malformed input",
    [WARD_ERR_CRYPTO] = "cryptographic library failure",
    [WARD_ERR_SIGNATURE] = "signature does not verify",
    [WARD_ERR_CHAIN] = "certificate chain does not verify",
    [WARD_ERR_REVOKED] = "certificate is revoked",
    [WARD_ERR_EXPIRED] = "not valid at the verification time",
    [WARD_ERR_MISMATCH] = "values that must agree differ",
    [WARD_ERR_POLICY] = "refused by policy",
    [WARD_ERR_NOT_FOUND] = "not found",
    [WARD_ERR_NET] = "network request failed",
    [WARD_ERR_RATE_LIMIT] = "rate limited by the remote service",
    [WARD_ERR_JSON] = "malformed JSON",
};

/* One slot per thread, so concurrent appraisals never see each other's errors. */
static _Thread_local struct {
    int code;
    char detail[512];
} slot;

const char *ward_err_str(int code)
{
    if (code < 0 || code >= WARD_ERR__COUNT || messages[code] == NULL) {
        return "unknown error";
    }
    return messages[code];
}

int ward_err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot.detail, sizeof(slot.detail), fmt, ap);
    va_end(ap);
    slot.code = code;
    ward_log(WARD_LOG_DEBUG, "error %d: %s", code, slot.detail);
    return code;
}

int ward_err_prefix(const char *fmt, ...)
{
    char head[128];
    char old[sizeof(slot.detail) - sizeof(head) - 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof(head), fmt, ap);
    va_end(ap);
    size_t n = strnlen(slot.detail, sizeof(old) - 1);
    memcpy(old, slot.detail, n);
    old[n] = '\0';
    snprintf(slot.detail, sizeof(slot.detail), "%s: %s", head, old);
    return slot.code;
}

const char *ward_err_detail(void)
{
    if (slot.detail[0] == '\0') {
        return ward_err_str(slot.code);
    }
    return slot.detail;
}

int ward_err_code(void)
{
    return slot.code;
}

void ward_err_clear(void)
{
    slot.code = WARD_OK;
    slot.detail[0] = '\0';
}

void ward_abort(const char *file, int line, const char *what)
{
    fprintf(stderr, "ward: internal error at %s:%d: %s\n", file, line, what);
    abort();
}

int ward_ossl_fail(int err, const char *what)
{
    unsigned long e;
    char first[160] = "";
    while ((e = ERR_get_error()) != 0) {
        char buf[160];
        ERR_error_string_n(e, buf, sizeof(buf));
        ward_log(WARD_LOG_DEBUG, "openssl: %s", buf);
        if (first[0] == '\0') {
            snprintf(first, sizeof(first), "%s",
                     ERR_reason_error_string(e) ? ERR_reason_error_string(e) : buf);
        }
    }
    return ward_err_set(err, "%s (%s%s%s)", ward_err_str(err), what, first[0] ? ": " : "", first);
}
