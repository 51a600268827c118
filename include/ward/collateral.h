/*
 * ward/collateral.h: SEV-SNP collateral (VCEK, ASK/ASVK/ARK chain, CRL) from the
 * AMD Key Distribution Service or a compatible server, and the local cache
 * that lets `ward verify` work offline.
 *
 * URLs (AMD "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
 * Specification"), with {P} one of Milan, Genoa, Turin:
 *   {base}/vcek/v1/{P}/{hwid}?blSPL=NN&teeSPL=NN&snpSPL=NN&ucodeSPL=NN
 *       hwid = CHIP_ID in lowercase hex (64 bytes; Turin: its first 8 bytes, and
 *       fmcSPL=NN comes first); SPLs are the report's REPORTED_TCB, 2-digit decimal
 *   {base}/vcek/v1/{P}/cert_chain, {base}/vlek/v1/{P}/cert_chain   PEM ASK|ASVK, ARK
 *   {base}/vcek/v1/{P}/crl,        {base}/vlek/v1/{P}/crl          DER CRL
 * KDS does not serve VLEKs: they come with the evidence.
 *
 * Cache layout under <cache>/snp/<Product>/ (written atomically: temp + rename,
 * directories 0755, files 0644):
 *   vcek/<hwid-hex>-<reported_tcb-hex16>.der   one VCEK per chip and TCB
 *   vcek_cert_chain.pem, vlek_cert_chain.pem   ASK+ARK, ASVK+ARK as served by KDS
 *   vcek.crl, vlek.crl                         DER CRLs as served by KDS
 * Only downloads that parse and match the report are cached. Paths are built from
 * the cache root, the product enum's name and hex that ward generates, never from
 * downloaded or other untrusted strings.
 */
#ifndef WARD_COLLATERAL_H
#define WARD_COLLATERAL_H

#include <limits.h>

#include <openssl/x509.h>

#include "ward/base.h"
#include "ward/snp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_KDS_DEFAULT_URL "https://kdsintf.amd.com"
#define WARD_COLLATERAL_MAX_LEN (1u << 20) /* named maximum of one downloaded object */
#define WARD_CACHE_PATH_MAX 1024           /* named maximum of one cache path, with NUL */
#define WARD_KDS_NO_RETRIES UINT_MAX       /* ward_kds_opts.max_retries: give up at once */

/* ward_cache_dir resolves the cache root: |override| if non-NULL, else
 * $XDG_CACHE_HOME/ward (when absolute, as the XDG spec requires), else
 * $HOME/.cache/ward. Writes it to |out|. WARD_ERR_NOT_FOUND when neither
 * variable is usable; WARD_ERR_USAGE when the result does not fit |out_len|. */
int ward_cache_dir(const char *override, char *out, size_t out_len) WARD_MUST_CHECK;

struct ward_kds_opts {
    const char *base_url;  /* NULL: WARD_KDS_DEFAULT_URL; http:// or https:// only */
    const char *cache_dir; /* NULL: ward_cache_dir(NULL); "": fetch without caching */
    unsigned max_retries;  /* retries on HTTP 429/503; 0 means the default (5),
                              WARD_KDS_NO_RETRIES none */
    unsigned backoff_ms;   /* first wait when no Retry-After is given (doubles on each
                              retry); 0 means 1000 */
    long timeout_s;        /* per request; 0 means 30 */
};

/* What one fetch produced (owned bytes, as served). */
struct ward_snp_collateral {
    enum ward_snp_product product;
    struct ward_buf vcek;  /* DER; empty for VLEK-signed reports (KDS does not serve VLEKs) */
    struct ward_buf chain; /* PEM ASK+ARK or ASVK+ARK */
    struct ward_buf crl;   /* DER */
};

/* ward_snp_collateral_cleanup frees |c|'s buffers and zeroes it. */
void ward_snp_collateral_cleanup(struct ward_snp_collateral *c);

/* ward_kds_fetch_snp fetches the collateral for |r| (VCEK for its chip and reported
 * TCB, chain and CRL for its signing key kind), checks each object (the VCEK is one
 * DER certificate whose hwID, TCB and product match |r|; the chain is two PEM
 * certificates named SEV[-VLEK]-<Product> then ARK-<Product>; the CRL is DER and
 * issued by ARK-<Product>) and stores each in the cache as soon as it passes.
 * Objects are always downloaded, even when cached (a refresh).
 * |opts| may be NULL for the defaults. |product| WARD_SNP_PRODUCT_UNKNOWN means
 * "from the report's CPUID"; for version-2 reports, which have none, Milan, Genoa
 * and Turin are tried in turn while KDS answers 404 for the VCEK (VLEK-signed
 * version-2 reports need an explicit product: WARD_ERR_USAGE).
 * HTTP 429 and 503 are retried, waiting for Retry-After seconds when given, else
 * backoff_ms doubling each time; one wait is at most 60 s. Errors:
 * WARD_ERR_RATE_LIMIT after max_retries; WARD_ERR_NOT_FOUND on HTTP 404/410 or a
 * report whose CHIP_ID is masked; WARD_ERR_NET for transport failures and other
 * HTTP statuses; WARD_ERR_NOMEM for a response over WARD_COLLATERAL_MAX_LEN;
 * WARD_ERR_FORMAT / WARD_ERR_MISMATCH for a response that fails its check;
 * WARD_ERR_IO when the cache cannot be written. On success |out| (which must be
 * empty) owns the bytes; on failure it is untouched. */
int ward_kds_fetch_snp(const struct ward_snp_report *r, enum ward_snp_product product,
                       const struct ward_kds_opts *opts,
                       struct ward_snp_collateral *out) WARD_MUST_CHECK;

/* Where the cache keeps the collateral of one report. */
struct ward_snp_cache_paths {
    char dir[WARD_CACHE_PATH_MAX];   /* <cache>/snp/<Product> */
    char vcek[WARD_CACHE_PATH_MAX];  /* <dir>/vcek/<hwid>-<tcb>.der; "" for VLEK-signed reports */
    char chain[WARD_CACHE_PATH_MAX]; /* <dir>/vcek_cert_chain.pem or vlek_cert_chain.pem */
    char crl[WARD_CACHE_PATH_MAX];   /* <dir>/vcek.crl or vlek.crl */
};

/* ward_snp_cache_paths computes the cache paths for |r| on |product| (which must be
 * known: WARD_ERR_USAGE otherwise, or when a path would be too long) under the
 * cache root |cache_dir|. Touches no file. */
int ward_snp_cache_paths(const char *cache_dir, enum ward_snp_product product,
                         const struct ward_snp_report *r,
                         struct ward_snp_cache_paths *out) WARD_MUST_CHECK;

/* ward_snp_cache_load appends what the cache holds for |r| on |product| (VCEK,
 * then the chain's certificates) to |certs| and the CRL to |crls| (either may be
 * NULL to skip). |cache_dir| NULL means ward_cache_dir(NULL) and "" means no cache
 * (nothing added). |product| WARD_SNP_PRODUCT_UNKNOWN means "from the report's
 * CPUID", and for version-2 reports the product whose cache holds this chip's
 * VCEK. Missing entries are not an error: WARD_OK with nothing added. An entry
 * that exists but cannot be read or parsed is an error naming the file, and then
 * nothing is added (the stacks own what was appended only on success). */
int ward_snp_cache_load(const char *cache_dir, enum ward_snp_product product,
                        const struct ward_snp_report *r, STACK_OF(X509) *certs,
                        STACK_OF(X509_CRL) *crls) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
