/*
 * lib/base/internal.h: safety macros shared by all of libward's internals.
 * Modelled on s2n-tls's safety macros: every fallible call is checked, and the
 * check reads as one line.
 */
#ifndef WARD_BASE_INTERNAL_H
#define WARD_BASE_INTERNAL_H

#include <stdlib.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "ward/base.h"

/* ENSURE: if |cond| is false, record |err| (with its static message) and return it. */
#define ENSURE(cond, err)                                        \
    do {                                                         \
        if (!(cond)) {                                           \
            return ward_err_set((err), "%s", ward_err_str(err)); \
        }                                                        \
    } while (0)

/* ENSURE_MSG: like ENSURE with a formatted detail. */
#define ENSURE_MSG(cond, err, ...)                   \
    do {                                             \
        if (!(cond)) {                               \
            return ward_err_set((err), __VA_ARGS__); \
        }                                            \
    } while (0)

/* GUARD: propagate a failing ward call's code unchanged. */
#define GUARD(call)                 \
    do {                            \
        int guard_rc_ = (call);     \
        if (guard_rc_ != WARD_OK) { \
            return guard_rc_;       \
        }                           \
    } while (0)

/* GUARD_OSSL: OpenSSL returns 1 (or a non-NULL pointer) on success. Map failure to
 * |err|, draining OpenSSL's error queue into the debug log. */
#define GUARD_OSSL(call, err)                    \
    do {                                         \
        if ((call) <= 0) {                       \
            return ward_ossl_fail((err), #call); \
        }                                        \
    } while (0)

/* GUARD_PTR: a NULL result means allocation failure. */
#define GUARD_PTR(ptr)                                            \
    do {                                                          \
        if ((ptr) == NULL) {                                      \
            return ward_err_set(WARD_ERR_NOMEM, "out of memory"); \
        }                                                         \
    } while (0)

/* GOTO_GUARD: for functions with a cleanup label: store the code in |rc| and jump. */
#define GOTO_GUARD(rc, call, label) \
    do {                            \
        (rc) = (call);              \
        if ((rc) != WARD_OK) {      \
            goto label;             \
        }                           \
    } while (0)

/* A caller's bug: abort with a message (libsodium style). */
#define WARD_ASSERT(cond)                          \
    do {                                           \
        if (!(cond)) {                             \
            ward_abort(__FILE__, __LINE__, #cond); \
        }                                          \
    } while (0)

#define WARD_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* DEFER: run a cleanup function on scope exit (systemd's _cleanup_, s2n's DEFER_CLEANUP). */
#define DEFER(fn) __attribute__((cleanup(fn)))

static inline void ward_freep(void *p)
{
    free(*(void **)p);
}
static inline void ward_bio_freep(BIO **p)
{
    BIO_free_all(*p);
}
static inline void ward_pkey_freep(EVP_PKEY **p)
{
    EVP_PKEY_free(*p);
}
static inline void ward_x509_freep(X509 **p)
{
    X509_free(*p);
}
static inline void ward_md_ctx_freep(EVP_MD_CTX **p)
{
    EVP_MD_CTX_free(*p);
}
static inline void ward_buf_cleanupp(struct ward_buf *b)
{
    ward_buf_cleanup(b);
}
static inline void ward_wr_cleanupp(struct ward_wr *w)
{
    ward_wr_cleanup(w);
}

__attribute__((noreturn)) void ward_abort(const char *file, int line, const char *what);

/* ward_ossl_fail drains OpenSSL's error queue into the debug log and records |err|
 * with the failing call and OpenSSL's first reason. */
int ward_ossl_fail(int err, const char *what);

#endif
