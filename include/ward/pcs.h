/*
 * ward/pcs.h: Intel DCAP collateral for TDX quotes from the Intel Provisioning
 * Certification Service (PCS API v4) or a PCCS that serves the same paths, and the
 * local cache that lets `ward verify` work offline.
 *
 * URLs ({base} defaults to WARD_PCS_DEFAULT_URL; FMSPC as 12 uppercase hex digits):
 *   {base}/tdx/certification/v4/tcb?fmspc={FMSPC}
 *       body {"tcbInfo":{...},"signature":"<128 hex>"}; header TCB-Info-Issuer-Chain
 *   {base}/tdx/certification/v4/qe/identity
 *       body {"enclaveIdentity":{...},"signature":"<128 hex>"};
 *       header SGX-Enclave-Identity-Issuer-Chain
 *   {base}/sgx/certification/v4/pckcrl?ca={platform|processor}&encoding=der
 *       body the DER CRL; header SGX-PCK-CRL-Issuer-Chain
 *   {root_crl_url} (default WARD_PCS_ROOT_CRL_URL): the Intel SGX Root CA's DER CRL
 * The issuer-chain headers carry URL-encoded PEM. CRL bodies may also be PEM or hex
 * text (some PCCS versions); they are stored as DER.
 *
 * The signed documents are cut out of the response bodies as the exact bytes of the
 * member's value (a JSON scanner, after jansson has accepted the whole body); they
 * are never re-serialised, because Intel's signature covers those bytes.
 *
 * Cache: one collateral bundle (ward/dcap.h format) per FMSPC and PCK CA:
 *   <cache>/tdx/<fmspc-hex>-<platform|processor>.json    (fmspc in lowercase hex)
 * written atomically (temporary file, fsync, rename; directory 0755, file 0644), and
 * only after every object passed its checks. The path is built from the cache root,
 * hex that ward generates and one of the two CA names, never from downloaded text.
 */
#ifndef WARD_PCS_H
#define WARD_PCS_H

#include <limits.h>

#include "ward/base.h"
#include "ward/dcap.h"
#include "ward/tdx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_PCS_DEFAULT_URL "https://api.trustedservices.intel.com"
#define WARD_PCS_ROOT_CRL_URL "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
#define WARD_PCS_NO_RETRIES UINT_MAX    /* ward_pcs_opts.max_retries: give up at once */
#define WARD_PCS_HEADER_MAX (64u << 10) /* named maximum of one issuer-chain header */

/* The two CAs that issue PCK certificates, by the names PCS uses (?ca=...). */
#define WARD_PCK_CA_PLATFORM "platform"   /* issuer CN "Intel SGX PCK Platform CA" */
#define WARD_PCK_CA_PROCESSOR "processor" /* issuer CN "Intel SGX PCK Processor CA" */

struct ward_pcs_opts {
    const char *base_url;     /* NULL: WARD_PCS_DEFAULT_URL; http:// or https:// only */
    const char *root_crl_url; /* NULL: WARD_PCS_ROOT_CRL_URL; http:// or https:// only */
    const char *cache_dir;    /* NULL: ward_cache_dir(NULL); "": fetch without caching */
    unsigned max_retries;     /* retries on HTTP 429/503; 0 means the default (5),
                                 WARD_PCS_NO_RETRIES none */
    unsigned backoff_ms;      /* first wait when no Retry-After is given (doubles on each
                                 retry); 0 means 1000 */
    long timeout_s;           /* per request; 0 means 30 */
};

/* ward_tdx_pck_target reads what the collateral of |q| depends on from its PCK
 * leaf certificate (the first PEM certificate of the quote's PCK chain): the FMSPC
 * (SGX extension, ward_pck_ext_parse) into |out_fmspc| and the issuing CA, from the
 * issuer CN, as WARD_PCK_CA_PLATFORM or WARD_PCK_CA_PROCESSOR (static strings) into
 * |*out_ca|. Nothing is verified here. WARD_ERR_FORMAT when the chain or the
 * extension does not parse or the issuer is neither PCK CA; outputs are untouched on
 * failure. */
int ward_tdx_pck_target(const struct ward_tdx_quote *q, uint8_t out_fmspc[6],
                        const char **out_ca) WARD_MUST_CHECK;

/* ward_pcs_fetch_tdx downloads the TCB info for |fmspc|, the TD_QE identity, the
 * PCK CRL of |ca| (WARD_PCK_CA_PLATFORM or WARD_PCK_CA_PROCESSOR, else
 * WARD_ERR_USAGE) and the root CA CRL, with their issuer chains, and checks them:
 *  - each issuer chain is PEM, at least two certificates, the first with the
 *    expected CN ("Intel SGX TCB Signing", or the PCK CA's), the last
 *    "Intel SGX Root CA";
 *  - TCB info parses (ward_dcap_tcb_info_parse), is "TDX", is for |fmspc|, and its
 *    signature verifies with the key of its chain's first certificate; the same for
 *    the QE identity, which must be "TD_QE" (this proves the signed text was cut out
 *    exactly; the chains themselves are verified against the pinned root by the
 *    verifier, not here);
 *  - each CRL is one CRL issued by the expected CA;
 *  - the bundle encodes and parses back.
 * Only then is the bundle cached (see above). Objects are always downloaded, even
 * when cached (a refresh). |opts| may be NULL for the defaults.
 * HTTP 429 and 503 are retried, waiting for Retry-After seconds when given, else
 * backoff_ms doubling each time; one wait is at most 60 s. Errors:
 * WARD_ERR_RATE_LIMIT after max_retries; WARD_ERR_NOT_FOUND on HTTP 404/410 (an
 * FMSPC PCS does not know); WARD_ERR_NET for transport failures and other HTTP
 * statuses; WARD_ERR_NOMEM for a response over WARD_COLLATERAL_MAX_LEN or a header
 * over WARD_PCS_HEADER_MAX; WARD_ERR_FORMAT / WARD_ERR_JSON / WARD_ERR_MISMATCH /
 * WARD_ERR_SIGNATURE for a response that fails its check; WARD_ERR_IO when the cache
 * cannot be written. On success |out| (pass it empty; it is overwritten) owns the
 * bundle; on failure it is untouched. */
int ward_pcs_fetch_tdx(const uint8_t fmspc[6], const char *ca, const struct ward_pcs_opts *opts,
                       struct ward_dcap_collateral *out) WARD_MUST_CHECK;

/* ward_pcs_signed_member reads a PCS signed-document body {"<member>":{...},
 * "signature":"<128 hex>"} (at most WARD_DCAP_BUNDLE_MAX bytes): jansson must accept
 * it (no duplicate keys), <member> must be an object and signature 64 bytes of hex.
 * |*out_raw| / |*out_raw_len| then point at the exact bytes of <member>'s value
 * inside |body| (borrowed), and the signature goes to |out_sig|. Errors:
 * WARD_ERR_JSON (not such a document), WARD_ERR_FORMAT (bad signature hex),
 * WARD_ERR_NOMEM (too large); outputs are untouched on failure. */
int ward_pcs_signed_member(const uint8_t *body, size_t len, const char *member,
                           const uint8_t **out_raw, size_t *out_raw_len,
                           uint8_t out_sig[64]) WARD_MUST_CHECK;

/* ward_tdx_cache_path writes <cache_dir>/tdx/<fmspc-hex>-<ca>.json to |out|.
 * |cache_dir| is a resolved root (see ward_cache_dir). WARD_ERR_USAGE for an
 * unknown |ca| or a path that does not fit. Touches no file. */
int ward_tdx_cache_path(const char *cache_dir, const uint8_t fmspc[6], const char *ca, char *out,
                        size_t out_len) WARD_MUST_CHECK;

/* ward_tdx_cache_load reads the cached bundle for |fmspc| and |ca| (the verifier's
 * lookup: get both from ward_tdx_pck_target). |cache_dir| NULL means
 * ward_cache_dir(NULL); "" means no cache. WARD_ERR_NOT_FOUND (with nothing
 * recorded in |out|) when there is no cache or no entry. An entry that exists but
 * cannot be read, does not parse, or whose TCB info is for another FMSPC is an error
 * naming the file (WARD_ERR_IO, a parse error, WARD_ERR_MISMATCH). On success |out|
 * (pass it empty; it is overwritten) owns the bundle; nothing is verified: the
 * verifier checks the chains, CRLs and signatures. */
int ward_tdx_cache_load(const char *cache_dir, const uint8_t fmspc[6], const char *ca,
                        struct ward_dcap_collateral *out) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* WARD_PCS_H */
