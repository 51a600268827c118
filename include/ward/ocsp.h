/*
 * ward/ocsp.h: OCSP (RFC 6960) for the NVIDIA GPU device certificate chain:
 * asking NVIDIA's responder, checking its answers, and the cache `ward verify`
 * reads them from.
 *
 * A path is the device chain leaf first, each certificate issued by the next
 * (X509_check_issued). It may end with the self-signed root, which must then be
 * one of the trusted anchors; otherwise an anchor must have issued its last
 * certificate, and the anchor completes it. Every certificate of the completed
 * path that is not self-issued has an issuer in it, and is what an OCSP CertID
 * names (issuer name hash, issuer key hash, serial).
 *
 * Requests (ward_ocsp_fetch), as NVIDIA's own verifier (nvtrust's
 * local_gpu_verifier) makes them: one request per certificate, one CertID with
 * SHA-384 hashes (configurable), and a 32-byte nonce the answer must echo, POSTed
 * as application/ocsp-request. NVIDIA's responder knows the certificates NVIDIA
 * issues, not the leaf a GPU issues itself at boot (NVIDIA's verifier does not ask
 * about it); the leaf is asked about too (a simulated leaf is issued by the CA),
 * and for the leaf alone an "unknown" status or an "unauthorized" answer means
 * "no status", which is not an error and is not kept.
 *
 * Checking a response (ward_ocsp_response_check): DER, exactly; response status
 * successful; a basic response whose signature verifies (OCSP_basic_verify) with a
 * signer that is the issuer of the certificates it speaks for, or a responder
 * certificate with the OCSP-signing extended key usage issued by it, its chain
 * verified at the given time to the trusted anchors (NVIDIA's root, or a trusted
 * simulator root). Certificate IDs are matched with whatever hash they use.
 *
 * A status is current at time T when thisUpdate <= T + WARD_OCSP_SKEW_S and
 * T <= nextUpdate; without a nextUpdate, T <= thisUpdate + WARD_OCSP_MAX_AGE_S.
 *
 * Cache: <cache>/nvgpu/ocsp/<SHA-256 of the certificate's DER, lowercase hex>.der,
 * each the DER response as served, written atomically (directories 0755, files
 * 0644) and only after it checked. Paths are built from the cache root and hex
 * ward computes, never from downloaded bytes.
 */
#ifndef WARD_OCSP_H
#define WARD_OCSP_H

#include <openssl/x509.h>

#include "ward/base.h"
#include "ward/collateral.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_NVIDIA_OCSP_URL "https://ocsp.ndis.nvidia.com/"
#define WARD_OCSP_MAX_LEN (64u * 1024u)        /* named maximum of one OCSP response */
#define WARD_OCSP_MAX_PATH 8                   /* named maximum of certificates in a path */
#define WARD_OCSP_MAX_SINGLES 16               /* named maximum of statuses in one response */
#define WARD_OCSP_SKEW_S 300                   /* thisUpdate may be this far in the future */
#define WARD_OCSP_MAX_AGE_S (7 * 24 * 60 * 60) /* current-ness without a nextUpdate */
#define WARD_OCSP_NONCE_LEN 32

enum ward_ocsp_status { WARD_OCSP_GOOD = 0, WARD_OCSP_REVOKED, WARD_OCSP_UNKNOWN };

/* ward_ocsp_status_name returns "good", "revoked" or "unknown". */
const char *ward_ocsp_status_name(enum ward_ocsp_status s);

/* The hash of the CertIDs ward_ocsp_fetch asks with. */
enum ward_ocsp_hash {
    WARD_OCSP_HASH_SHA384 = 0, /* NVIDIA's verifier */
    WARD_OCSP_HASH_SHA256,
    WARD_OCSP_HASH_SHA1, /* RFC 6960's default; NVIDIA's responder accepts it too */
};

/* What one response says about one certificate of the path. */
struct ward_ocsp_single {
    size_t cert;                  /* index in the completed path (0: the leaf) */
    enum ward_ocsp_status status; /* as the responder said it */
    int reason;                   /* CRL reason code when revoked and given, else -1 */
    int64_t revoked_at;           /* revocationTime when revoked, else 0 */
    int64_t this_update;          /* seconds since the epoch */
    int64_t next_update;          /* 0: the response has none */
    bool current;                 /* current at the time the response was checked at */
};

/* What a response that checked says about the path. */
struct ward_ocsp_answer {
    size_t num; /* statuses for certificates of the path, in the response's order */
    struct ward_ocsp_single singles[WARD_OCSP_MAX_SINGLES];
    size_t num_other; /* statuses for certificates not in the path (ignored) */
};

/* ward_ocsp_response_check checks the DER OCSP response |der| (|len| bytes,
 * untrusted) against |path| (see above; borrowed) with the trust anchors |anchors|
 * (borrowed) at time |at| (seconds since the epoch), and fills |out| with its
 * statuses for certificates of the path; |out| is untouched on failure. Passing
 * with out->num > 0 says the response is genuine; whether its statuses are good
 * and current is in |out| for the caller to decide. A response with no status for
 * a certificate of the path says nothing about it: it passes with out->num 0, its
 * signature unchecked (so that responses for several GPUs can be given to each).
 * Errors:
 *  - WARD_ERR_CHAIN: |path| is not a path (see above) or no anchor completes it;
 *  - WARD_ERR_NOMEM: over WARD_OCSP_MAX_LEN bytes, over WARD_OCSP_MAX_SINGLES
 *    statuses, or out of memory;
 *  - WARD_ERR_FORMAT / WARD_ERR_TRAILING: not one DER OCSPResponse, not a basic
 *    response, or a response status other than successful (the detail names it,
 *    e.g. "the responder answered unauthorized");
 *  - WARD_ERR_SIGNATURE: the signature, the signer's chain (at |at|) or the
 *    signer's authority for the certificates named does not verify (OpenSSL's
 *    reason in the detail). */
int ward_ocsp_response_check(const uint8_t *der, size_t len, const STACK_OF(X509) *path,
                             const STACK_OF(X509) *anchors, int64_t at,
                             struct ward_ocsp_answer *out) WARD_MUST_CHECK;

/* ward_ocsp_cache_path writes <cache_root>/nvgpu/ocsp/<sha256 of |cert| hex>.der
 * into |out| (|out_len| bytes). |cache_root| is a resolved cache root
 * (ward_cache_dir), not NULL or "". WARD_ERR_USAGE when it does not fit. */
int ward_ocsp_cache_path(const char *cache_root, X509 *cert, char *out,
                         size_t out_len) WARD_MUST_CHECK;

/* ward_ocsp_cache_load reads the cached response for |cert| under |cache_root|
 * into |out| (which must be empty). Not cached is not an error: WARD_OK with |out|
 * empty. WARD_ERR_IO when the file exists but cannot be read, WARD_ERR_NOMEM when
 * it is over WARD_OCSP_MAX_LEN; |out| is untouched on failure. The bytes are as
 * untrusted as a download: check them with ward_ocsp_response_check. */
int ward_ocsp_cache_load(const char *cache_root, X509 *cert, struct ward_buf *out) WARD_MUST_CHECK;

/* How to fetch. Zero-initialise, then set what differs. */
struct ward_ocsp_opts {
    const char *url;          /* responder; NULL: WARD_NVIDIA_OCSP_URL; http:// or https:// */
    const char *cache_dir;    /* NULL: ward_cache_dir(NULL); "": fetch without caching */
    const char *sim_dir;      /* also trust the GPU simulator's root in this directory
                                 (ward_nvgpu_sim_roots); NULL: NVIDIA's root only */
    enum ward_ocsp_hash hash; /* CertID hash; 0: SHA-384 */
    int64_t at;               /* answers must check and be current at this time; 0: now */
    unsigned max_retries;     /* as ward_http_opts: 0 means 5, WARD_HTTP_NO_RETRIES none */
    unsigned backoff_ms;      /* as ward_http_opts: 0 means 1000 */
    long timeout_s;           /* as ward_http_opts: per request, 0 means 30 */
};

/* What was fetched for one certificate of the path. */
struct ward_ocsp_fetched {
    char name[128];                       /* the certificate's subject CN ("?" if none) */
    bool answered;                        /* false: the leaf has no status (see above) */
    struct ward_ocsp_single single;       /* the status, when answered */
    struct ward_buf response;             /* the DER response as served, when answered */
    char cache_path[WARD_CACHE_PATH_MAX]; /* where it was cached; "" when not */
};

/* What one ward_ocsp_fetch produced: one entry per certificate asked about, leaf
 * first. Release with ward_ocsp_fetch_result_cleanup. */
struct ward_ocsp_fetch_result {
    size_t num;
    struct ward_ocsp_fetched certs[WARD_OCSP_MAX_PATH];
    bool simulated; /* the path ends at a simulator root */
};

/* ward_ocsp_fetch_result_cleanup frees |r|'s responses and zeroes it. Accepts NULL. */
void ward_ocsp_fetch_result_cleanup(struct ward_ocsp_fetch_result *r);

/* ward_ocsp_fetch asks the responder about every certificate of |path| (see
 * above; borrowed, at most WARD_OCSP_MAX_PATH certificates) that is not
 * self-issued, one request each, checks each answer (ward_ocsp_response_check at
 * |opts->at|, the nonce echoed, a status for the certificate asked about, current)
 * and caches it as soon as it checks, whatever its status. |opts| may be NULL for
 * the defaults. On success |out| (which must be empty) owns the responses, and
 * the statuses are for the caller to judge: revoked and unknown are answers, not
 * errors. Errors (nothing is written to |out|; responses cached before the error
 * stay cached):
 *  - WARD_ERR_USAGE: a bad URL or an empty path;
 *  - WARD_ERR_CHAIN: |path| is not a path to NVIDIA's root or a trusted simulator
 *    root, or is longer than WARD_OCSP_MAX_PATH;
 *  - WARD_ERR_NET, WARD_ERR_RATE_LIMIT, WARD_ERR_NOT_FOUND, WARD_ERR_NOMEM: as
 *    ward_http_post (responses over WARD_OCSP_MAX_LEN are WARD_ERR_NOMEM);
 *  - WARD_ERR_FORMAT, WARD_ERR_TRAILING, WARD_ERR_SIGNATURE: an answer that does
 *    not check, or a response status other than successful (the responder
 *    refused: malformedRequest, internalError, tryLater, sigRequired, unauthorized);
 *  - WARD_ERR_MISMATCH: an answer without the request's nonce, or without a
 *    status for the certificate asked about;
 *  - WARD_ERR_EXPIRED: an answer not current at |opts->at|;
 *  - WARD_ERR_IO: the cache cannot be written. */
int ward_ocsp_fetch(const STACK_OF(X509) *path, const struct ward_ocsp_opts *opts,
                    struct ward_ocsp_fetch_result *out) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* WARD_OCSP_H */
