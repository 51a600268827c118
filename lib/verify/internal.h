/* lib/verify/internal.h: shared pieces of the appraisal pipeline. */
#ifndef WARD_VERIFY_INTERNAL_H
#define WARD_VERIFY_INTERNAL_H

#include "ward/snp.h"
#include "ward/verify.h"

/* The pinned AMD certificates of one product (borrowed; live for the process). */
struct amd_roots {
    X509 *ark;
    X509 *ask;
    X509 *asvk;
};

/* amd_roots_get returns the compiled-in ARK/ASK/ASVK of |product|, each checked
 * against its pinned SHA-256 fingerprint on first use. */
int amd_roots_get(enum ward_snp_product product, const struct amd_roots **out) WARD_MUST_CHECK;

/* intel_root_get returns the compiled-in Intel SGX Root CA (borrowed), checked
 * against its pinned fingerprint on first use. */
int intel_root_get(X509 **out) WARD_MUST_CHECK;

/* nvidia_root_get returns the compiled-in NVIDIA Device Identity CA (borrowed),
 * checked against its pinned fingerprint on first use. */
int nvidia_root_get(X509 **out) WARD_MUST_CHECK;

/* The SNP section of a policy (docs/policy.md). */
struct snp_policy {
    bool has_min_tcb;
    struct ward_snp_tcb min_tcb;
    size_t num_measurements;
    uint8_t (*measurements)[48];
    bool has_report_data;
    uint8_t report_data[64];
    bool has_host_data;
    uint8_t host_data[32];
    uint32_t vmpl_mask; /* bit n set: VMPL n allowed */
    bool allow_debug;
    bool allow_smt;
    bool allow_migration_agent;
    bool require_single_socket;
    uint64_t platform_require; /* PLATFORM_INFO bits that must be set */
    uint64_t platform_forbid;  /* PLATFORM_INFO bits that must be clear */
    size_t num_id_keys;
    uint8_t (*id_keys)[48];
    size_t num_author_keys;
    uint8_t (*author_keys)[48];
    bool allow_vcek;
    bool allow_vlek;
    size_t num_chips;
    uint8_t (*chips)[64];
    uint32_t min_guest_svn;
    bool require_crl;
    uint8_t min_abi_major, min_abi_minor;
};

/* The identity of a certificate path: SHA-256 over its certificates'
 * fingerprints, and the window in which all of them are valid. */
struct chain_key {
    uint8_t key[32];
    int64_t not_before;
    int64_t not_after;
};

int chain_cache_key(X509 *leaf, STACK_OF(X509) *inter, STACK_OF(X509) *roots,
                    struct chain_key *out) WARD_MUST_CHECK;
/* chain_cache_hit: whether |c| (may be NULL) holds |k| and |at| is in its window. */
bool chain_cache_hit(struct ward_chain_cache *c, const struct chain_key *k, int64_t at);
void chain_cache_put(struct ward_chain_cache *c, const struct chain_key *k);
/* chain_verify_cached verifies |leaf| through |inter| to |roots| at |at| (no CRLs),
 * reusing an earlier success recorded in |cache| (may be NULL) and recording this one. */
int chain_verify_cached(struct ward_chain_cache *cache, X509 *leaf, STACK_OF(X509) *inter,
                        STACK_OF(X509) *roots, int64_t at) WARD_MUST_CHECK;
/* chain_verify_anchored verifies |leaf| through |inter| to the vendor anchors in
 * |*roots|; if that fails and |sim| holds trusted simulator roots, through
 * |sim_inter| to those instead, and then |*roots| becomes |sim| and *simulated is
 * set. Takes ownership of |sim| (may be NULL). On failure the error detail is the
 * vendor path's. */
int chain_verify_anchored(struct ward_chain_cache *cache, X509 *leaf, STACK_OF(X509) *inter,
                          STACK_OF(X509) *sim_inter, STACK_OF(X509) **roots, STACK_OF(X509) *sim,
                          int64_t at, bool *simulated) WARD_MUST_CHECK;

/* The TDX section of a policy (docs/policy.md). */
#define TDX_MAX_STATUSES 8
struct tdx_policy {
    size_t num_statuses;
    char statuses[TDX_MAX_STATUSES][40]; /* accepted TCB statuses; default UpToDate */
    size_t num_mr[7];                    /* per measurement register, see tdx_mr_names */
    uint8_t (*mr[7])[48];                /* allowed values: mrtd, rtmr0..3, mrconfigid, ... */
    size_t num_mrownerconfig;
    uint8_t (*mrownerconfig)[48];
    size_t num_xfam;
    uint64_t *xfam;               /* allowed XFAM values */
    bool allow_debug;             /* default false */
    bool require_sept_ve_disable; /* default true */
    bool has_report_data;
    uint8_t report_data[64];
    bool has_min_tee_tcb_svn;
    uint8_t min_tee_tcb_svn[16]; /* component-wise minimum */
};

/* Names of the measurement registers tdx_policy.mr holds, in order. */
extern const char *const tdx_mr_names[7];

/* DCAP cache (lib/verify/dcap_cache.c). A collateral entry is immutable once
 * inserted; dcap_cache_get_collateral takes a reference that the caller gives
 * back with dcap_cache_release. */
#include "ward/dcap.h"
#include "ward/tdx.h"
struct dcap_collateral_entry {
    int refs; /* guarded by the cache's lock */
    uint8_t key[32];
    int64_t not_before, not_after;
    struct ward_dcap_tcb_info tcb;
    struct ward_dcap_qe_identity qe;
    uint64_t stamp;
};
const struct dcap_collateral_entry *dcap_cache_get_collateral(struct ward_dcap_cache *c,
                                                              const uint8_t key[32], int64_t at);
void dcap_cache_release(struct ward_dcap_cache *c, const struct dcap_collateral_entry *e);
/* dcap_cache_put_collateral takes ownership of *tcb and *qe (left empty). */
void dcap_cache_put_collateral(struct ward_dcap_cache *c, const uint8_t key[32], int64_t not_before,
                               int64_t not_after, struct ward_dcap_tcb_info *tcb,
                               struct ward_dcap_qe_identity *qe);
bool dcap_cache_get_platform(struct ward_dcap_cache *c, const uint8_t key[32], int64_t at,
                             EVP_PKEY **out_key, struct ward_pck_ext *out_ext, bool *out_simulated);
void dcap_cache_put_platform(struct ward_dcap_cache *c, const uint8_t key[32], int64_t not_before,
                             int64_t not_after, EVP_PKEY *att_key, const struct ward_pck_ext *ext,
                             bool simulated);

struct ward_policy {
    struct snp_policy snp;
    struct tdx_policy tdx;
};

#endif
