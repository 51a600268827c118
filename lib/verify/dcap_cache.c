/*
 * lib/verify/dcap_cache.c: what a DCAP verifier can remember between quotes.
 *
 *  - Collateral: a bundle whose signatures and chains verified, parsed once,
 *    keyed by SHA-256 of its bytes and the trust anchors, answering only inside
 *    the window where its TCB info and QE identity are both current.
 *  - Platforms: a PCK chain that verified to the anchors and passed both CRLs of
 *    a given collateral, with the QE report that chain's PCK key signed, keyed by
 *    SHA-256 of the chain's PEM bytes, the QE report, its signature and auth data,
 *    the attestation key and that collateral's key, answering only inside the
 *    chain's and CRLs' common window. It keeps the attestation key the QE report
 *    binds and the parsed SGX extension, so a quote from a known platform costs
 *    one signature verification.
 *
 * Both tables are bounded and evict their oldest entry. Collateral entries are
 * reference-counted so an appraisal can keep using one while another thread
 * evicts it.
 */
#include <pthread.h>
#include <string.h>

#include "base/internal.h"
#include "verify/internal.h"

struct platform_entry {
    uint8_t key[32];
    int64_t not_before, not_after;
    EVP_PKEY *att_key;
    struct ward_pck_ext ext;
    bool simulated;
    uint64_t stamp;
};

struct ward_dcap_cache {
    pthread_mutex_t lock;
    size_t max;
    uint64_t clock;
    size_t num_collateral;
    struct dcap_collateral_entry **collateral;
    size_t num_platforms;
    struct platform_entry *platforms;
};

int ward_dcap_cache_new(size_t max_entries, struct ward_dcap_cache **out)
{
    ENSURE_MSG(max_entries > 0 && max_entries <= 65536, WARD_ERR_USAGE,
               "DCAP cache size must be 1..65536");
    struct ward_dcap_cache *c = calloc(1, sizeof(*c));
    GUARD_PTR(c);
    c->collateral = calloc(max_entries, sizeof(*c->collateral));
    c->platforms = calloc(max_entries, sizeof(*c->platforms));
    if (c->collateral == NULL || c->platforms == NULL) {
        free(c->collateral);
        free(c->platforms);
        free(c);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    c->max = max_entries;
    *out = c;
    return WARD_OK;
}

static void entry_unref(struct dcap_collateral_entry *e)
{
    if (e != NULL && --e->refs == 0) {
        ward_dcap_tcb_info_cleanup(&e->tcb);
        ward_dcap_qe_identity_cleanup(&e->qe);
        free(e);
    }
}

void ward_dcap_cache_free(struct ward_dcap_cache *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->num_collateral; i++) {
        entry_unref(c->collateral[i]);
    }
    for (size_t i = 0; i < c->num_platforms; i++) {
        EVP_PKEY_free(c->platforms[i].att_key);
    }
    pthread_mutex_destroy(&c->lock);
    free(c->collateral);
    free(c->platforms);
    free(c);
}

const struct dcap_collateral_entry *dcap_cache_get_collateral(struct ward_dcap_cache *c,
                                                              const uint8_t key[32], int64_t at)
{
    struct dcap_collateral_entry *hit = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->num_collateral && hit == NULL; i++) {
        struct dcap_collateral_entry *e = c->collateral[i];
        if (memcmp(e->key, key, 32) == 0 && at >= e->not_before && at <= e->not_after) {
            hit = e;
            hit->refs++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void dcap_cache_release(struct ward_dcap_cache *c, const struct dcap_collateral_entry *e)
{
    if (e == NULL) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    entry_unref((struct dcap_collateral_entry *)e);
    pthread_mutex_unlock(&c->lock);
}

void dcap_cache_put_collateral(struct ward_dcap_cache *c, const uint8_t key[32], int64_t not_before,
                               int64_t not_after, struct ward_dcap_tcb_info *tcb,
                               struct ward_dcap_qe_identity *qe)
{
    struct dcap_collateral_entry *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        return; /* a cache that cannot grow just misses */
    }
    memcpy(e->key, key, 32);
    e->tcb = *tcb;
    e->qe = *qe;
    memset(tcb, 0, sizeof(*tcb)); /* ownership moved into the entry */
    memset(qe, 0, sizeof(*qe));
    /* Current only while both documents are and their issuer chains are valid. */
    e->not_before = e->tcb.issue_date > e->qe.issue_date ? e->tcb.issue_date : e->qe.issue_date;
    e->not_before = not_before > e->not_before ? not_before : e->not_before;
    e->not_after = e->tcb.next_update < e->qe.next_update ? e->tcb.next_update : e->qe.next_update;
    e->not_after = not_after < e->not_after ? not_after : e->not_after;
    e->refs = 1;
    pthread_mutex_lock(&c->lock);
    e->stamp = ++c->clock;
    size_t slot = c->num_collateral;
    if (slot == c->max) {
        slot = 0;
        for (size_t i = 1; i < c->num_collateral; i++) {
            if (c->collateral[i]->stamp < c->collateral[slot]->stamp) {
                slot = i;
            }
        }
        entry_unref(c->collateral[slot]);
    } else {
        c->num_collateral++;
    }
    c->collateral[slot] = e;
    pthread_mutex_unlock(&c->lock);
}

bool dcap_cache_get_platform(struct ward_dcap_cache *c, const uint8_t key[32], int64_t at,
                             EVP_PKEY **out_key, struct ward_pck_ext *out_ext, bool *out_simulated)
{
    bool hit = false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->num_platforms && !hit; i++) {
        struct platform_entry *e = &c->platforms[i];
        if (memcmp(e->key, key, 32) == 0 && at >= e->not_before && at <= e->not_after &&
            EVP_PKEY_up_ref(e->att_key) == 1) {
            *out_key = e->att_key;
            *out_ext = e->ext;
            *out_simulated = e->simulated;
            hit = true;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void dcap_cache_put_platform(struct ward_dcap_cache *c, const uint8_t key[32], int64_t not_before,
                             int64_t not_after, EVP_PKEY *att_key, const struct ward_pck_ext *ext,
                             bool simulated)
{
    if (EVP_PKEY_up_ref(att_key) != 1) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    size_t slot = c->num_platforms;
    if (slot == c->max) {
        slot = 0;
        for (size_t i = 1; i < c->num_platforms; i++) {
            if (c->platforms[i].stamp < c->platforms[slot].stamp) {
                slot = i;
            }
        }
        EVP_PKEY_free(c->platforms[slot].att_key);
    } else {
        c->num_platforms++;
    }
    struct platform_entry *e = &c->platforms[slot];
    memcpy(e->key, key, 32);
    e->not_before = not_before;
    e->not_after = not_after;
    e->att_key = att_key;
    e->ext = *ext;
    e->simulated = simulated;
    e->stamp = ++c->clock;
    pthread_mutex_unlock(&c->lock);
}
