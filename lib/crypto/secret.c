/* lib/crypto/secret.c: memory for key material. Each secret gets its own
 * anonymous mapping, locked where the rlimit allows, excluded from core dumps,
 * and wiped before it is unmapped (after libsodium's sodium_malloc). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/internal.h"
#include "ward/crypto.h"

/* Largest secret allocation: key material is small; this catches size bugs. */
#define MAX_SECRET_LEN (1u << 20)

/* Rounds |len| up to whole pages: the size of the mapping behind a secret. */
static size_t mapped_len(size_t len)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t p = page > 0 ? (size_t)page : 4096;
    return (len + p - 1) / p * p;
}

int ward_secret_new(size_t len, struct ward_secret **out)
{
    WARD_ASSERT(out != NULL);
    ENSURE_MSG(len > 0 && len <= MAX_SECRET_LEN, WARD_ERR_USAGE,
               "secret of %zu bytes: size must be 1..%u", len, MAX_SECRET_LEN);
    struct ward_secret *s = calloc(1, sizeof(*s));
    GUARD_PTR(s);
    size_t map_len = mapped_len(len);
    void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        free(s);
        return ward_err_set(WARD_ERR_NOMEM, "cannot map %zu bytes for a secret: %s", map_len,
                            strerror(e));
    }
    /* Both are best effort: RLIMIT_MEMLOCK is often small, and MADV_DONTDUMP needs
     * Linux 3.4. The daemons also set RLIMIT_CORE=0. */
    if (mlock(p, map_len) != 0) {
        ward_log(WARD_LOG_DEBUG, "secret: mlock(%zu) failed: %s", map_len, strerror(errno));
    }
#ifdef MADV_DONTDUMP
    if (madvise(p, map_len, MADV_DONTDUMP) != 0) {
        ward_log(WARD_LOG_DEBUG, "secret: madvise(MADV_DONTDUMP) failed: %s", strerror(errno));
    }
#endif
    s->data = p; /* anonymous mappings start zeroed */
    s->len = len;
    *out = s;
    return WARD_OK;
}

void ward_secret_free(struct ward_secret *s)
{
    if (s == NULL) {
        return;
    }
    size_t map_len = mapped_len(s->len);
    OPENSSL_cleanse(s->data, map_len);
    (void)munlock(s->data, map_len); /* fails harmlessly if mlock did */
    (void)munmap(s->data, map_len);
    OPENSSL_cleanse(s, sizeof(*s));
    free(s);
}

void ward_wipe(void *p, size_t len)
{
    if (len > 0) {
        WARD_ASSERT(p != NULL);
        OPENSSL_cleanse(p, len);
    }
}
