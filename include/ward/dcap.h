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

#define WARD_DCAP_BUNDLE_MAX (4u << 20)   /* named maximum of a collateral bundle */
#define WARD_DCAP_MAX_LEVELS 256          /* named maximum of TCB levels per document */
#define WARD_DCAP_MAX_ADVISORIES 64       /* named maximum of advisory ids per level */
#define WARD_DCAP_MAX_MODULES 16          /* named maximum of TDX module identities */

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

/* ward_dcap_collateral_parse reads a bundle. CRLs may be given as hex of DER (the
 * dcap-qvl form), or as PEM text. Missing members are WARD_ERR_JSON naming them. */
int ward_dcap_collateral_parse(const uint8_t *json, size_t len, struct ward_dcap_collateral *out)
    WARD_MUST_CHECK;
/* ward_dcap_collateral_encode writes the bundle as JSON (CRLs as hex). */
int ward_dcap_collateral_encode(const struct ward_dcap_collateral *c, struct ward_buf *out) WARD_MUST_CHECK;
void ward_dcap_collateral_cleanup(struct ward_dcap_collateral *c);

/* ---- parsed TCB info ---- */

struct ward_dcap_advisories {
    size_t num;
    char ids[WARD_DCAP_MAX_ADVISORIES][32];
};

struct ward_dcap_tcb_level {
    uint8_t sgx_comp[16];       /* sgxtcbcomponents[].svn */
    uint16_t pcesvn;
    uint8_t tdx_comp[16];       /* tdxtcbcomponents[].svn ("TDX" only) */
    int64_t tcb_date;
    char status[32];            /* "UpToDate", "OutOfDate", "SWHardeningNeeded", ... */
    struct ward_dcap_advisories advisories;
};

/* One entry of tdxModuleIdentities (TCB info v3, "TDX"). */
struct ward_dcap_module_identity {
    char id[16];                /* "TDX_03", "TDX_01", ... */
    uint8_t mrsigner[48];
    uint64_t attributes;
    uint64_t attributes_mask;
    size_t num_levels;
    struct {
        uint8_t isvsvn;
        int64_t tcb_date;
        char status[32];
        struct ward_dcap_advisories advisories;
    } levels[WARD_DCAP_MAX_LEVELS / 16];
};

struct ward_dcap_tcb_info {
    char id[8];                 /* "TDX" or "SGX" */
    int version;                /* 3 */
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
    struct ward_dcap_module_identity *modules;   /* owned */
    size_t num_levels;
    struct ward_dcap_tcb_level *levels;           /* owned, in document order */
};

/* ward_dcap_tcb_info_parse parses the raw text of a tcbInfo member. */
int ward_dcap_tcb_info_parse(const uint8_t *text, size_t len, struct ward_dcap_tcb_info *out) WARD_MUST_CHECK;
void ward_dcap_tcb_info_cleanup(struct ward_dcap_tcb_info *t);

/* ---- parsed QE identity ---- */

struct ward_dcap_qe_level {
    uint16_t isvsvn;
    int64_t tcb_date;
    char status[32];
    struct ward_dcap_advisories advisories;
};

struct ward_dcap_qe_identity {
    char id[16];                /* "TD_QE" (or "QE", "QVE") */
    int version;                /* 2 */
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
    struct ward_dcap_qe_level *levels;            /* owned, in document order */
};

/* ward_dcap_qe_identity_parse parses the raw text of an enclaveIdentity member. */
int ward_dcap_qe_identity_parse(const uint8_t *text, size_t len, struct ward_dcap_qe_identity *out)
    WARD_MUST_CHECK;
void ward_dcap_qe_identity_cleanup(struct ward_dcap_qe_identity *q);

#ifdef __cplusplus
}
#endif
#endif /* WARD_DCAP_H */
