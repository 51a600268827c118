/*
 * lib/verify/chain_cache.c: chains that verified, remembered by the SHA-256 of
 * their certificates so that appraising many reports of one platform pays for the
 * RSA chain once. An entry only answers for times inside the chain's common
 * validity window; the cache is bounded and evicts the oldest entry.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/internal.h"
#include "verify/internal.h"
#include "ward/crypto.h"

struct entry {
    uint8_t key[32];
    int64_t not_before;
    int64_t not_after;
    uint64_t stamp; /* insertion order, for eviction */
};

struct ward_chain_cache {
    pthread_mutex_t lock;
    size_t max;
    size_t num;
    uint64_t clock;
    struct entry *entries;
};

int ward_chain_cache_new(size_t max_entries, struct ward_chain_cache **out)
{
    ENSURE_MSG(max_entries > 0 && max_entries <= 65536, WARD_ERR_USAGE,
               "chain cache size must be 1..65536");
    struct ward_chain_cache *c = calloc(1, sizeof(*c));
    GUARD_PTR(c);
    c->entries = calloc(max_entries, sizeof(*c->entries));
    if (c->entries == NULL) {
        free(c);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries;
    *out = c;
    return WARD_OK;
}

void ward_chain_cache_free(struct ward_chain_cache *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_destroy(&c->lock);
    free(c->entries);
    free(c);
}

static int time_of(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    ENSURE(t != NULL && ASN1_TIME_to_tm(t, &tm) == 1, WARD_ERR_FORMAT);
    *out = (int64_t)timegm(&tm);
    return WARD_OK;
}

static int add_cert(EVP_MD_CTX *md, X509 *x, int64_t *nb, int64_t *na)
{
    uint8_t fp[32];
    int64_t b, a;
    GUARD(ward_x509_sha256(x, fp));
    GUARD_OSSL(EVP_DigestUpdate(md, fp, sizeof(fp)), WARD_ERR_CRYPTO);
    GUARD(time_of(X509_get0_notBefore(x), &b));
    GUARD(time_of(X509_get0_notAfter(x), &a));
    *nb = b > *nb ? b : *nb;
    *na = a < *na ? a : *na;
    return WARD_OK;
}

int chain_cache_key(X509 *leaf, STACK_OF(X509) *inter, STACK_OF(X509) *roots, struct chain_key *out)
{
    DEFER(ward_md_ctx_freep) EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    struct chain_key k = {.not_before = INT64_MIN, .not_after = INT64_MAX};
    GUARD_PTR(md);
    GUARD_OSSL(EVP_DigestInit_ex(md, EVP_sha256(), NULL), WARD_ERR_CRYPTO);
    GUARD(add_cert(md, leaf, &k.not_before, &k.not_after));
    for (int i = 0; i < sk_X509_num(inter); i++) {
        GUARD(add_cert(md, sk_X509_value(inter, i), &k.not_before, &k.not_after));
    }
    GUARD_OSSL(EVP_DigestUpdate(md, "|roots|", 7), WARD_ERR_CRYPTO);
    for (int i = 0; i < sk_X509_num(roots); i++) {
        GUARD(add_cert(md, sk_X509_value(roots, i), &k.not_before, &k.not_after));
    }
    GUARD_OSSL(EVP_DigestFinal_ex(md, k.key, &n), WARD_ERR_CRYPTO);
    *out = k;
    return WARD_OK;
}

bool chain_cache_hit(struct ward_chain_cache *c, const struct chain_key *k, int64_t at)
{
    bool hit = false;
    if (c == NULL || at < k->not_before || at > k->not_after) {
        return false;
    }
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->num && !hit; i++) {
        hit = memcmp(c->entries[i].key, k->key, sizeof(k->key)) == 0;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void chain_cache_put(struct ward_chain_cache *c, const struct chain_key *k)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    size_t slot = c->num;
    if (c->num == c->max) {
        slot = 0;
        for (size_t i = 1; i < c->num; i++) {
            if (c->entries[i].stamp < c->entries[slot].stamp) {
                slot = i;
            }
        }
    } else {
        c->num++;
    }
    memcpy(c->entries[slot].key, k->key, sizeof(k->key));
    c->entries[slot].not_before = k->not_before;
    c->entries[slot].not_after = k->not_after;
    c->entries[slot].stamp = ++c->clock;
    pthread_mutex_unlock(&c->lock);
}

int chain_verify_cached(struct ward_chain_cache *cache, X509 *leaf, STACK_OF(X509) *inter,
                        STACK_OF(X509) *roots, int64_t at)
{
    struct ward_chain_opts co = {.at = at};
    struct chain_key k;
    bool keyed = cache != NULL && chain_cache_key(leaf, inter, roots, &k) == WARD_OK;
    if (keyed && chain_cache_hit(cache, &k, at)) {
        return WARD_OK;
    }
    GUARD(ward_x509_verify_chain(leaf, inter, roots, &co));
    if (keyed) {
        chain_cache_put(cache, &k);
    }
    return WARD_OK;
}

int chain_verify_anchored(struct ward_chain_cache *cache, X509 *leaf, STACK_OF(X509) *inter,
                          STACK_OF(X509) *sim_inter, STACK_OF(X509) **roots, STACK_OF(X509) *sim,
                          int64_t at, bool *simulated)
{
    int rc = sk_X509_num(*roots) > 0
                 ? chain_verify_cached(cache, leaf, inter, *roots, at)
                 : ward_err_set(WARD_ERR_CHAIN, "no vendor root for this evidence");
    if (rc != WARD_OK && sim != NULL && sk_X509_num(sim) > 0) {
        char vendor_err[320];
        snprintf(vendor_err, sizeof(vendor_err), "%s", ward_err_detail());
        if (chain_verify_cached(cache, leaf, sim_inter, sim, at) == WARD_OK) {
            sk_X509_pop_free(*roots, X509_free);
            *roots = sim;
            *simulated = true;
            return WARD_OK;
        }
        ward_err_set(rc, "%s", vendor_err); /* the vendor path's reason is the one that matters */
    }
    sk_X509_pop_free(sim, X509_free);
    return rc;
}
