/*
 * ward/tdx.h: Intel TDX DCAP quotes, versions 4 and 5 (Intel "TDX DCAP Quoting
 * Library API", Appendix "Quote Format"), with TD 1.0 and TD 1.5 report bodies,
 * the ECDSA-256 quote signature data and its certification data (type 6, the QE
 * report certification data, wrapping a type-5 PEM PCK chain), and the SGX
 * extensions of Intel PCK certificates (OID 1.2.840.113741.1.13.1).
 *
 * Parsing is strict: unknown versions, key types, TEE types and body types,
 * truncation and non-zero bytes after a complete quote are errors (zero padding
 * after a complete quote is tolerated and reported). ward_tdx_quote_encode is the
 * byte-exact inverse of ward_tdx_quote_parse for the quote without padding.
 */
#ifndef WARD_TDX_H
#define WARD_TDX_H

#include <openssl/x509.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_TDX_HEADER_LEN 48u
#define WARD_TDX_BODY10_LEN 584u    /* TD 1.0 report body */
#define WARD_TDX_BODY15_LEN 648u    /* TD 1.5 report body */
#define WARD_TDX_QE_REPORT_LEN 384u /* SGX enclave report body */
#define WARD_TDX_ATT_KEY_ECDSA_P256 2u
#define WARD_TDX_TEE_TYPE 0x81u
#define WARD_TDX_CERT_DATA_PCK_CHAIN 5u
#define WARD_TDX_CERT_DATA_QE_REPORT 6u
#define WARD_TDX_QE_AUTH_MAX 4096u         /* named maximum of QE authentication data */
#define WARD_TDX_PCK_CHAIN_MAX (64u << 10) /* named maximum of the PEM PCK chain */
/* The largest quote (without padding) the parser accepts: the named maximum of
 * ward_tdx_quote_encode's output. */
#define WARD_TDX_QUOTE_MAX                                                  \
    (WARD_TDX_HEADER_LEN + 6u + WARD_TDX_BODY15_LEN + 4u + 64u + 64u + 6u + \
     WARD_TDX_QE_REPORT_LEN + 64u + 2u + WARD_TDX_QE_AUTH_MAX + 6u + WARD_TDX_PCK_CHAIN_MAX)

/* v5 body types. */
enum ward_tdx_body_type { WARD_TDX_BODY_TD10 = 2, WARD_TDX_BODY_TD15 = 3 };

/* Intel's QE vendor id: 939a7233-f79c-4ca9-940a-0db3957f0607. */
extern const uint8_t WARD_TDX_INTEL_QE_VENDOR_ID[16];

struct ward_tdx_header {
    uint16_t version;      /* 4 or 5 */
    uint16_t att_key_type; /* 2: ECDSA-256-with-P-256 */
    uint32_t tee_type;     /* 0x81: TDX */
    uint16_t qe_svn;       /* reserved in TDX quotes; kept as read */
    uint16_t pce_svn;      /* reserved in TDX quotes; kept as read */
    uint8_t qe_vendor_id[16];
    uint8_t user_data[20];
};

/* The TD report body; the TD 1.5 fields are zero for TD 1.0. */
struct ward_tdx_body {
    enum ward_tdx_body_type type; /* TD10 for v4 quotes */
    uint8_t tee_tcb_svn[16];
    uint8_t mrseam[48];
    uint8_t mrsignerseam[48];
    uint64_t seam_attributes;
    uint64_t td_attributes;
    uint64_t xfam;
    uint8_t mrtd[48];
    uint8_t mrconfigid[48];
    uint8_t mrowner[48];
    uint8_t mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    uint8_t tee_tcb_svn2[16]; /* TD 1.5 */
    uint8_t mrservicetd[48];  /* TD 1.5 */
};

/* TD_ATTRIBUTES bits. */
#define WARD_TDX_ATTR_DEBUG (1ull << 0)
#define WARD_TDX_ATTR_SEPT_VE_DISABLE (1ull << 28)
#define WARD_TDX_ATTR_PKS (1ull << 30)
#define WARD_TDX_ATTR_KL (1ull << 31)
#define WARD_TDX_ATTR_PERFMON (1ull << 63)

/* The SGX report body of the Quoting Enclave (its report signs the attestation key). */
struct ward_sgx_report {
    uint8_t cpusvn[16];
    uint32_t miscselect;
    uint8_t reserved1[12];
    uint8_t isvextprodid[16];
    uint8_t attributes[16];
    uint8_t mrenclave[32];
    uint8_t reserved2[32];
    uint8_t mrsigner[32];
    uint8_t reserved3[32];
    uint8_t configid[64];
    uint16_t isvprodid;
    uint16_t isvsvn;
    uint16_t configsvn;
    uint8_t reserved4[42];
    uint8_t isvfamilyid[16];
    uint8_t report_data[64];
};

/* A parsed quote. Pointers borrow from the input bytes, which must outlive it. */
struct ward_tdx_quote {
    struct ward_tdx_header header;
    struct ward_tdx_body body;
    const uint8_t *signed_data; /* header || (v5: type, size) || body */
    size_t signed_len;
    uint8_t signature[64]; /* ECDSA P-256 r||s, big-endian */
    uint8_t att_key[64];   /* attestation public key x||y */
    struct ward_sgx_report qe_report;
    const uint8_t *qe_report_raw; /* the 384 signed bytes of the QE report */
    uint8_t qe_report_sig[64];    /* r||s, big-endian, by the PCK key */
    const uint8_t *qe_auth_data;
    size_t qe_auth_len;
    const uint8_t *pck_chain_pem; /* type-5 certification data: PEM PCK leaf, CA, root */
    size_t pck_chain_len;
    size_t quote_len;   /* bytes of the quote proper */
    size_t padding_len; /* zero bytes that followed it */
};

/* ward_tdx_quote_parse parses a v4 or v5 quote. Zero padding after a complete
 * quote is allowed (recorded in padding_len); any non-zero byte there is
 * WARD_ERR_TRAILING. */
int ward_tdx_quote_parse(const uint8_t *p, size_t len, struct ward_tdx_quote *out) WARD_MUST_CHECK;

/* ward_tdx_quote_encode writes the quote (without padding) into |out|. The QE
 * auth data and PCK chain are taken from the pointers in |q|. */
int ward_tdx_quote_encode(const struct ward_tdx_quote *q, struct ward_buf *out) WARD_MUST_CHECK;

/* ward_tdx_quote_pck_chain parses |q|'s PEM PCK chain and appends its
 * certificates, in the quote's order (PCK leaf, PCK Platform/Processor CA, root),
 * to |stack|, which then owns them. The Quoting Enclave writes the chain as a C
 * string, so one NUL after the last PEM block is ignored; anything else outside
 * the PEM blocks except whitespace is an error (see ward_x509_parse_all). On
 * failure |stack| is left as it was. Nothing is verified here. */
int ward_tdx_quote_pck_chain(const struct ward_tdx_quote *q, STACK_OF(X509) *stack) WARD_MUST_CHECK;

/* ward_sgx_report_parse / _encode: the 384-byte SGX report body. */
int ward_sgx_report_parse(const uint8_t *p, size_t len,
                          struct ward_sgx_report *out) WARD_MUST_CHECK;
void ward_sgx_report_encode(const struct ward_sgx_report *r, uint8_t out[WARD_TDX_QE_REPORT_LEN]);

/* ---- PCK certificate SGX extensions (Intel "SGX PCK Certificate and CRL
 * Profile", OID 1.2.840.113741.1.13.1) ---- */

struct ward_pck_ext {
    uint8_t ppid[16];
    uint8_t comp_svn[16]; /* SGX TCB components 1..16 */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    int sgx_type; /* 0 Standard, 1 Scalable, 2 Scalable with integrity */
    bool has_platform_instance_id;
    uint8_t platform_instance_id[16];
};

/* ward_pck_ext_parse reads the SGX extension of |cert|. Missing required fields,
 * duplicates, wrong types or sizes, and trailing bytes are errors. */
int ward_pck_ext_parse(X509 *cert, struct ward_pck_ext *out) WARD_MUST_CHECK;
/* ward_pck_ext_parse_der parses the extension's DER value directly (fuzz entry). */
int ward_pck_ext_parse_der(const uint8_t *p, size_t len, struct ward_pck_ext *out) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* WARD_TDX_H */
