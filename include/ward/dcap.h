/*
 * ward/dcap.h: Intel DCAP collateral: the one JSON bundle ward reads and writes
 * (field names as in the widely used dcap-qvl collateral JSON, so bundles move
 * between tools), and the parsed TCB info (v3, "TDX" and "SGX") and QE identity
 * (v2) documents (Intel "PCS API v4" and "TDX/SGX TCB Info and Enclave Identity"
 * specifications).
 *
 * The signed documents are kept as the raw text Intel signed: the signature
 * covers the exact bytes of the `tcbInfo` / `enclaveIdentity` member, so they are
 * never re-serialised.
 */
#ifndef WARD_DCAP_H
#define WARD_DCAP_H

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_DCAP_BUNDLE_MAX (4u << 20) /* named maximum of a collateral bundle */
#define WARD_DCAP_MAX_LEVELS 256        /* named maximum of TCB levels per document */
#define WARD_DCAP_MAX_ADVISORIES 64     /* named maximum of advisory ids per level */
#define WARD_DCAP_MAX_MODULES 16        /* named maximum of TDX module identities */
/* Room for the longest tcbStatus, "ConfigurationAndSWHardeningNeeded" (33), and a NUL. */
#define WARD_DCAP_STATUS_MAX 40

/* The collateral bundle. Every member is owned. */
struct ward_dcap_collateral {
    struct ward_buf pck_crl_issuer_chain;     /* PEM text */
    struct ward_buf root_ca_crl;              /* DER (hex in the JSON) */
    struct ward_buf pck_crl;                  /* DER (hex in the JSON) */
    struct ward_buf tcb_info_issuer_chain;    /* PEM text */
    struct ward_buf tcb_info;                 /* raw JSON text of the tcbInfo member */
    uint8_t tcb_info_signature[64];           /* ECDSA P-256 r||s (hex in the JSON) */
    struct ward_buf qe_identity_issuer_chain; /* PEM text */
    struct ward_buf qe_identity;              /* raw JSON text of the enclaveIdentity member */
    uint8_t qe_identity_signature[64];
};

/* ward_dcap_collateral_parse reads a bundle of at most WARD_DCAP_BUNDLE_MAX bytes
 * (else WARD_ERR_NOMEM). CRLs may be given as hex of DER (the dcap-qvl form), or as
 * PEM text; either way each must be one well-formed CRL, stored as DER. The issuer
 * chains must be PEM text (kept as given; not parsed here). tcb_info and qe_identity
 * are JSON strings whose content is the signed text, kept byte for byte (not parsed
 * here: see ward_dcap_tcb_info_parse). Signatures are exactly 128 hex digits.
 * Unknown extra members are ignored. Missing members and members of the wrong type
 * are WARD_ERR_JSON naming them; bad hex, PEM or CRLs WARD_ERR_FORMAT. On success
 * |out| is overwritten (what it held is not freed: pass it empty) and owns
 * everything; on failure it is untouched. */
int ward_dcap_collateral_parse(const uint8_t *json, size_t len,
                               struct ward_dcap_collateral *out) WARD_MUST_CHECK;
/* ward_dcap_collateral_encode writes the bundle as JSON text (members in the order
 * of the struct, CRLs and signatures as lowercase hex, two-space indent, a final
 * newline) into |out|, replacing what it held. ward_dcap_collateral_parse reads the
 * result back to an equal bundle. An empty member is WARD_ERR_USAGE; text that is
 * not UTF-8 WARD_ERR_FORMAT. */
int ward_dcap_collateral_encode(const struct ward_dcap_collateral *c,
                                struct ward_buf *out) WARD_MUST_CHECK;
/* ward_dcap_collateral_cleanup frees |c|'s members and zeroes it. Accepts NULL. */
void ward_dcap_collateral_cleanup(struct ward_dcap_collateral *c);

/* ---- parsed TCB info ----
 *
 * Byte order of the attribute fields. Intel writes `attributes`, `attributesMask`
 * (and `mrsigner`) as hex of the raw bytes, in the order they appear in the quote
 * (Intel's QVL compares them byte by byte with the report). The 8-byte TDX module
 * attributes are stored here as the little-endian integer of those 8 bytes, which is
 * how ward_tdx_quote_parse reads SEAM_ATTRIBUTES, so
 *   (body.seam_attributes & tdx_module_attributes_mask) == tdx_module_attributes
 * compares like Intel does. (Every real value so far is 0 / FFFFFFFFFFFFFFFF.) */

struct ward_dcap_advisories {
    size_t num;
    char ids[WARD_DCAP_MAX_ADVISORIES][32];
};

struct ward_dcap_tcb_level {
    uint8_t sgx_comp[16]; /* sgxtcbcomponents[].svn */
    uint16_t pcesvn;
    uint8_t tdx_comp[16]; /* tdxtcbcomponents[].svn ("TDX" only) */
    int64_t tcb_date;
    char status[WARD_DCAP_STATUS_MAX]; /* "UpToDate", "OutOfDate", "SWHardeningNeeded", ... */
    struct ward_dcap_advisories advisories;
};

/* One entry of tdxModuleIdentities (TCB info v3, "TDX"). */
struct ward_dcap_module_identity {
    char id[16]; /* "TDX_03", "TDX_01", ... */
    uint8_t mrsigner[48];
    uint64_t attributes;
    uint64_t attributes_mask;
    size_t num_levels;
    struct {
        uint8_t isvsvn;
        int64_t tcb_date;
        char status[WARD_DCAP_STATUS_MAX];
        struct ward_dcap_advisories advisories;
    } levels[WARD_DCAP_MAX_LEVELS / 16];
};

struct ward_dcap_tcb_info {
    char id[8];  /* "TDX" or "SGX" */
    int version; /* 3 */
    int64_t issue_date;
    int64_t next_update;
    uint8_t fmspc[6];
    uint8_t pceid[2];
    int tcb_type;
    uint32_t tcb_evaluation_data_number;
    bool has_tdx_module;
    uint8_t tdx_module_mrsigner[48];
    uint64_t tdx_module_attributes;
    uint64_t tdx_module_attributes_mask;
    size_t num_modules;
    struct ward_dcap_module_identity *modules; /* owned */
    size_t num_levels;
    struct ward_dcap_tcb_level *levels; /* owned, in document order */
};

/* ward_dcap_tcb_info_parse parses the raw text of a tcbInfo member (at most
 * WARD_DCAP_BUNDLE_MAX bytes; duplicate keys are WARD_ERR_JSON). Accepted: "TDX"
 * version 3, and "SGX" version 2 or 3. tdxModule and 16 tdxtcbcomponents per level
 * are required for "TDX"; tdxModuleIdentities is optional (2023 documents have
 * none). tcbLevels (1..WARD_DCAP_MAX_LEVELS) are kept in document order, which is
 * Intel's order of precedence: the verifier takes the first level that matches.
 * Every tcbStatus must be one Intel defines (UpToDate, SWHardeningNeeded,
 * ConfigurationNeeded, ConfigurationAndSWHardeningNeeded, OutOfDate,
 * OutOfDateConfigurationNeeded, Revoked) and is stored verbatim. Unknown members are
 * ignored. Too many entries are WARD_ERR_NOMEM; strings longer than their arrays,
 * bad hex, times and statuses WARD_ERR_FORMAT; a missing or mistyped member
 * WARD_ERR_JSON; another id or version WARD_ERR_FORMAT / WARD_ERR_VERSION. Errors
 * name the member ("tcbInfo: tcbLevels[3]: tcb: sgxtcbcomponents[2]: ..."). On
 * success |out| is overwritten (pass it empty) and owns the arrays; on failure it is
 * untouched. */
int ward_dcap_tcb_info_parse(const uint8_t *text, size_t len,
                             struct ward_dcap_tcb_info *out) WARD_MUST_CHECK;
/* ward_dcap_tcb_info_cleanup frees |t|'s arrays and zeroes it. Accepts NULL. */
void ward_dcap_tcb_info_cleanup(struct ward_dcap_tcb_info *t);

/* ---- parsed QE identity ----
 *
 * Byte order: `miscselect` and `miscselectMask` are hex of the 4 raw bytes of the
 * report's MISCSELECT field, like `attributes` (Intel's QVL decodes both the report
 * field and the hex bytes as little-endian: EnclaveReportVerifier::vectorToUint32 is
 * swapBytes of a big-endian read). They are stored here as that little-endian
 * integer, so (qe_report.miscselect & miscselect_mask) == miscselect compares
 * directly with ward_sgx_report's miscselect. `attributes`, `attributesMask` and
 * `mrsigner` are the raw bytes, in report order (the real TD_QE identity's
 * "11000000.." under mask "FBFFFFFF.." matches the QE report's 0x15 flags byte). */

struct ward_dcap_qe_level {
    uint16_t isvsvn;
    int64_t tcb_date;
    char status[WARD_DCAP_STATUS_MAX];
    struct ward_dcap_advisories advisories;
};

struct ward_dcap_qe_identity {
    char id[16]; /* "TD_QE" (or "QE", "QVE") */
    int version; /* 2 */
    int64_t issue_date;
    int64_t next_update;
    uint32_t tcb_evaluation_data_number;
    uint32_t miscselect;
    uint32_t miscselect_mask;
    uint8_t attributes[16];
    uint8_t attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    size_t num_levels;
    struct ward_dcap_qe_level *levels; /* owned, in document order */
};

/* ward_dcap_qe_identity_parse parses the raw text of an enclaveIdentity member:
 * version 2, id "TD_QE", "QE" or "QVE", 1..WARD_DCAP_MAX_LEVELS tcbLevels in document
 * order. Limits, errors and ownership as ward_dcap_tcb_info_parse. */
int ward_dcap_qe_identity_parse(const uint8_t *text, size_t len,
                                struct ward_dcap_qe_identity *out) WARD_MUST_CHECK;
/* ward_dcap_qe_identity_cleanup frees |q|'s levels and zeroes it. Accepts NULL. */
void ward_dcap_qe_identity_cleanup(struct ward_dcap_qe_identity *q);

#ifdef __cplusplus
}
#endif
#endif /* WARD_DCAP_H */
