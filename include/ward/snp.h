/*
 * ward/snp.h: AMD SEV-SNP attestation reports (SEV-SNP ABI specification,
 * "ATTESTATION_REPORT Structure"), the extended-report certificate table, and
 * the VCEK/VLEK certificate extensions.
 *
 * Parsing is strict: unknown versions, a wrong signature algorithm, non-zero
 * reserved bytes, truncation and trailing bytes are each a clear error.
 * ward_snp_report_encode is the byte-exact inverse of ward_snp_report_parse.
 */
#ifndef WARD_SNP_H
#define WARD_SNP_H

#include <openssl/x509.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_SNP_REPORT_LEN 0x4A0u /* 1184 bytes */
#define WARD_SNP_SIGNED_LEN 0x2A0u /* bytes 0x000..0x29F are signed */
#define WARD_SNP_SIG_COMP_LEN 72u  /* r and s are 72-byte little-endian fields */
#define WARD_SNP_SIG_ALGO_ECDSA_P384_SHA384 1u

/* Values of the SIGNING_KEY field (report flags bits 4:2). */
enum ward_snp_signing_key { WARD_SNP_KEY_VCEK = 0, WARD_SNP_KEY_VLEK = 1, WARD_SNP_KEY_NONE = 7 };

/* AMD EPYC generations, each with its own ARK. */
enum ward_snp_product {
    WARD_SNP_PRODUCT_UNKNOWN = 0,
    WARD_SNP_MILAN,
    WARD_SNP_GENOA,
    WARD_SNP_TURIN
};

/* Guest policy bits (ABI spec, "Guest Policy"). */
#define WARD_SNP_POLICY_SMT (1ull << 16)
#define WARD_SNP_POLICY_RESERVED_ONE (1ull << 17)
#define WARD_SNP_POLICY_MIGRATE_MA (1ull << 18)
#define WARD_SNP_POLICY_DEBUG (1ull << 19)
#define WARD_SNP_POLICY_SINGLE_SOCKET (1ull << 20)
#define WARD_SNP_POLICY_CXL_ALLOW (1ull << 21)
#define WARD_SNP_POLICY_MEM_AES_256_XTS (1ull << 22)
#define WARD_SNP_POLICY_RAPL_DIS (1ull << 23)
#define WARD_SNP_POLICY_CIPHERTEXT_HIDING (1ull << 24)
#define WARD_SNP_POLICY_PAGE_SWAP_DISABLE (1ull << 25)

/* PLATFORM_INFO bits. */
#define WARD_SNP_PLATFORM_SMT_EN (1ull << 0)
#define WARD_SNP_PLATFORM_TSME_EN (1ull << 1)
#define WARD_SNP_PLATFORM_ECC_EN (1ull << 2)
#define WARD_SNP_PLATFORM_RAPL_DIS (1ull << 3)
#define WARD_SNP_PLATFORM_CIPHERTEXT_HIDING_EN (1ull << 4)
#define WARD_SNP_PLATFORM_ALIAS_CHECK_COMPLETE (1ull << 5)
#define WARD_SNP_PLATFORM_TIO_EN (1ull << 7)

/* A TCB_VERSION split into its components. The 64-bit layout differs between
 * Milan/Genoa and Turin (which adds FMC); see ward_snp_tcb_decode. */
struct ward_snp_tcb {
    uint8_t fmc; /* Turin only, else 0 */
    uint8_t bootloader;
    uint8_t tee;
    uint8_t snp;
    uint8_t microcode;
};

/* The attestation report, every field named as in the ABI specification. */
struct ward_snp_report {
    uint32_t version; /* 2, 3 or 5 */
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;
    uint64_t current_tcb;
    uint64_t platform_info;
    uint32_t flags; /* bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY */
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint64_t reported_tcb;
    uint8_t cpuid_fam_id; /* version >= 3 */
    uint8_t cpuid_mod_id; /* version >= 3 */
    uint8_t cpuid_step;   /* version >= 3 */
    uint8_t chip_id[64];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    uint64_t launch_mit_vector;           /* version >= 5 */
    uint64_t current_mit_vector;          /* version >= 5 */
    uint8_t sig_r[WARD_SNP_SIG_COMP_LEN]; /* little-endian */
    uint8_t sig_s[WARD_SNP_SIG_COMP_LEN]; /* little-endian */
};

/* ward_snp_report_parse parses exactly WARD_SNP_REPORT_LEN bytes into |out|. */
int ward_snp_report_parse(const uint8_t *p, size_t len,
                          struct ward_snp_report *out) WARD_MUST_CHECK;

/* ward_snp_report_encode writes the WARD_SNP_REPORT_LEN-byte encoding of |r| to
 * |out|. Fails (WARD_ERR_USAGE) for a version the parser would reject. */
int ward_snp_report_encode(const struct ward_snp_report *r,
                           uint8_t out[WARD_SNP_REPORT_LEN]) WARD_MUST_CHECK;

/* ward_snp_signing_key returns the SIGNING_KEY field of |r|. */
enum ward_snp_signing_key ward_snp_signing_key(const struct ward_snp_report *r);

/* ward_snp_product_from_cpuid maps the report's CPUID family/model (version >= 3)
 * to a product; WARD_SNP_PRODUCT_UNKNOWN for version 2 or an unknown CPU. */
enum ward_snp_product ward_snp_product_from_cpuid(const struct ward_snp_report *r);

/* ward_snp_product_name returns "Milan", "Genoa", "Turin" or "unknown". */
const char *ward_snp_product_name(enum ward_snp_product p);
/* ward_snp_product_parse maps a name (case-insensitive, "Milan-B0" style suffixes
 * allowed) to a product. */
enum ward_snp_product ward_snp_product_parse(const char *name);

/* ward_snp_tcb_decode splits a TCB_VERSION according to |product|'s layout. */
void ward_snp_tcb_decode(uint64_t raw, enum ward_snp_product product, struct ward_snp_tcb *out);
/* ward_snp_tcb_encode is its inverse. */
uint64_t ward_snp_tcb_encode(const struct ward_snp_tcb *tcb, enum ward_snp_product product);

/* ---- extended-report certificate table ---- */

enum ward_snp_cert_kind {
    WARD_SNP_CERT_OTHER,
    WARD_SNP_CERT_VCEK,
    WARD_SNP_CERT_VLEK,
    WARD_SNP_CERT_ASK,
    WARD_SNP_CERT_ARK
};

#define WARD_SNP_CERT_TABLE_MAX 16 /* named maximum of entries we accept */

struct ward_snp_cert_entry {
    uint8_t guid[16]; /* as stored (EFI GUID byte order) */
    enum ward_snp_cert_kind kind;
    const uint8_t *der; /* borrowed from the table's input */
    size_t der_len;
};

struct ward_snp_cert_table {
    size_t num_entries;
    struct ward_snp_cert_entry entries[WARD_SNP_CERT_TABLE_MAX];
};

/* ward_snp_cert_table_parse parses the GUID table returned by SNP_GET_EXT_REPORT
 * and by configfs-tsm's auxblob: entries {guid[16], offset u32le, length u32le}
 * ended by an all-zero entry; offsets are from the table start. Entries point
 * into |p|, which must outlive |out|. Overlapping the header, out-of-range, or
 * a missing terminator is an error; trailing zero padding is allowed. */
int ward_snp_cert_table_parse(const uint8_t *p, size_t len,
                              struct ward_snp_cert_table *out) WARD_MUST_CHECK;

/* ward_snp_cert_table_encode builds a table from |num| (kind, der) pairs. */
int ward_snp_cert_table_encode(const struct ward_snp_cert_entry *entries, size_t num,
                               struct ward_buf *out) WARD_MUST_CHECK;

/* ---- VCEK / VLEK certificate extensions (AMD VCEK spec, OID 1.3.6.1.4.1.3704.1) ---- */

struct ward_snp_cert_ext {
    bool has_struct_version;
    int64_t struct_version;
    char product_name[32]; /* e.g. "Milan-B0", "Genoa"; empty if absent */
    bool has_tcb;
    struct ward_snp_tcb tcb; /* blSPL, teeSPL, snpSPL, ucodeSPL, fmcSPL */
    bool has_fmc;
    size_t hwid_len; /* 0 if absent (VLEK), 64 (Milan/Genoa) or 8 (Turin) */
    uint8_t hwid[64];
    char csp_id[64]; /* VLEK only; empty if absent */
};

/* ward_snp_cert_ext_parse reads the AMD extensions of |cert|. Each value must be
 * well-formed DER of the type AMD specifies with nothing left over. */
int ward_snp_cert_ext_parse(X509 *cert, struct ward_snp_cert_ext *out) WARD_MUST_CHECK;

/* ward_snp_cert_ext_parse_der is the same on a DER certificate (the fuzz entry point). */
int ward_snp_cert_ext_parse_der(const uint8_t *p, size_t len,
                                struct ward_snp_cert_ext *out) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif /* WARD_SNP_H */
