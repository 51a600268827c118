/*
 * ward/sim.h: the TEE simulator. It emits byte-exact vendor formats signed by its
 * own test roots, whose subjects say plainly that they are not the vendor's.
 * Verifiers trust these roots only when told to (--allow-sim DIR).
 *
 * SEV-SNP state lives under |dir|/snp/<Product>/ (directories mode 0700):
 *   ark.key ark.der      self-signed RSA-3072 root, "CN=SIM-ARK-<Product>"
 *   ask.key ask.der      VCEK intermediate signed by the ARK, "CN=SIM-SEV-<Product>"
 *   asvk.key asvk.der    VLEK intermediate signed by the ARK, "CN=SIM-SEV-VLEK-<Product>"
 *   vcek.key vlek.key    the chip's P-384 signing keys (one per chip, every TCB)
 *   chip_id              the chip's 64-byte CHIP_ID (Turin: 8 bytes and zeros)
 *   lock                 serialises concurrent simulators on the same directory
 * Every file is created on first use and reused afterwards; private keys are PEM
 * with mode 0600 and refused if group or others may read them. Certificates use
 * RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) like AMD's, and every subject has
 * O=WARD_SIM_ORG.
 *
 * Intel TDX state lives under |dir|/tdx/ (mode 0700), every key ECDSA P-256 and
 * every certificate ECDSA-with-SHA256, subjects "CN=<name>, O=WARD_SIM_ORG_INTEL":
 *   root.key root.der               self-signed "SIM Intel SGX Root CA"
 *   pck_ca.key pck_ca.der           "SIM Intel SGX PCK Platform CA", signed by the root
 *   tcb_signing.key tcb_signing.der "SIM Intel SGX TCB Signing", signed by the root; signs
 *                                   the TCB info and the QE identity
 *   pck.key                         the platform's PCK key; its certificate, "SIM Intel SGX
 *                                   PCK Certificate", is issued afresh for every quote
 *   attestation.key                 the Quoting Enclave's attestation key
 *   ppid                            the platform's 16-byte PPID
 *   lock                            serialises concurrent simulators on the same directory
 * with the same rules: created on first use, reused after, keys mode 0600.
 */
#ifndef WARD_SIM_H
#define WARD_SIM_H

#include <openssl/x509.h>

#include "ward/base.h"
#include "ward/dcap.h"
#include "ward/snp.h"
#include "ward/tdx.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Marker every simulator certificate's subject carries (O=...). */
#define WARD_SIM_ORG "ward simulator - NOT AMD - NOT FOR PRODUCTION"

/* csp_id (OID 1.3.6.1.4.1.3704.1.5) of simulator VLEK certificates. */
#define WARD_SIM_CSP_ID "ward-sim"

struct ward_snp_sim_opts {
    const char *dir;               /* simulator root directory: keys and certs live here */
    enum ward_snp_product product; /* 0: Milan */
    uint32_t version;              /* 3 or 5; 0: the template's version, else 5 */
    bool vlek;                     /* sign with a VLEK chained to an ASVK (default VCEK) */
    /* The report to sign (borrowed); NULL: the product's defaults (ward_snp_sim_defaults). */
    const struct ward_snp_report *template;
};

/* ward_snp_sim_defaults fills |out| with a plausible report for |product| (0:
 * Milan) and |version| (3 or 5; 0: 5): policy 0x30000 (SMT, reserved bit 17),
 * VMPL 0, PLATFORM_INFO 0x25, every TCB field at the product's default
 * (Milan/Genoa: bootloader 4, TEE 0, SNP 22, microcode 213; Turin: FMC 1,
 * bootloader 1, TEE 1, SNP 1, microcode 1), the product's CPUID, firmware 1.55
 * build 8, a random measurement and REPORT_ID, REPORT_ID_MA all 0xff, zero
 * REPORT_DATA and a zero CHIP_ID (ward_snp_sim_report fills in the simulated
 * chip's). Callers change what they need and pass it as the template.
 * Fails with WARD_ERR_USAGE for an unknown product or version, WARD_ERR_CRYPTO
 * if the random generator fails; |out| is untouched on failure. */
int ward_snp_sim_defaults(enum ward_snp_product product, uint32_t version,
                          struct ward_snp_report *out) WARD_MUST_CHECK;

/* ward_snp_sim_report signs a report as the simulated chip of |opts->product|
 * and writes the WARD_SNP_REPORT_LEN-byte report to |out_report| and the DER
 * leaf (VCEK or VLEK), intermediate (ASK or ASVK) and root (ARK) certificates
 * to |out_leaf|, |out_ask| and |out_ark|.
 *
 * The report is |opts->template| (or the defaults) with these fields set by the
 * simulator: VERSION (see ward_snp_sim_opts.version), SIGNATURE_ALGO (ECDSA
 * P-384 with SHA-384), the SIGNING_KEY bits of FLAGS, CHIP_ID when the
 * template's is all zero (the chip persisted in |opts->dir|), CPUID when the
 * template's is all zero, and the signature. The leaf certificate is issued for
 * the report's REPORTED_TCB and CHIP_ID with AMD's extensions (OID
 * 1.3.6.1.4.1.3704.1). Keys and certificates are created in |opts->dir| on first
 * use and reused after (see the top of this header).
 *
 * The out_* buffers must be initialised; what they held is freed on success.
 * On failure nothing is written to them. Errors: WARD_ERR_USAGE for an unknown
 * product or version, or a template whose CPUID names another product;
 * WARD_ERR_IO for the directory; WARD_ERR_FORMAT for unreadable or mismatched
 * simulator files; WARD_ERR_CRYPTO. */
int ward_snp_sim_report(const struct ward_snp_sim_opts *opts,
                        uint8_t out_report[WARD_SNP_REPORT_LEN], struct ward_buf *out_leaf,
                        struct ward_buf *out_ask, struct ward_buf *out_ark) WARD_MUST_CHECK;

/* ward_snp_sim_roots loads the simulator ARKs found in |dir| (|dir|/snp/<P>/ark.der,
 * one per product that has been used, in name order) and appends them to
 * |roots|, which keeps its own references, for verifiers told to trust them.
 * Fails with WARD_ERR_NOT_FOUND if there is none, WARD_ERR_FORMAT if one is not
 * a simulator certificate (its subject lacks O=WARD_SIM_ORG); |roots| is
 * unchanged on failure. */
int ward_snp_sim_roots(const char *dir, STACK_OF(X509) *roots) WARD_MUST_CHECK;

/* ---- Intel TDX ---- */

/* Marker every TDX simulator certificate's subject carries (O=...). */
#define WARD_SIM_ORG_INTEL "ward simulator - NOT INTEL - NOT FOR PRODUCTION"

/* Default FMSPC of the simulated platform. Its family byte 0xFF belongs to no
 * real CPU, so simulator collateral never shares an FMSPC with Intel's. */
#define WARD_TDX_SIM_FMSPC                 \
    {                                      \
        0xff, 0x5a, 0x1d, 0x00, 0x00, 0x00 \
    }

struct ward_tdx_sim_opts {
    const char *dir;              /* simulator root directory: keys and certs live here */
    uint16_t version;             /* quote version 4 or 5; 0: 4 */
    enum ward_tdx_body_type body; /* v5 only; 0: TD15 for v5 (v4 is always TD10) */
    const uint8_t *report_data;   /* 64 bytes (borrowed); NULL: zeros */
    const uint8_t *mrtd;          /* 48 bytes (borrowed); NULL: random */
    const uint8_t *fmspc;         /* 6 bytes (borrowed); NULL: WARD_TDX_SIM_FMSPC */
    bool debug;                   /* set TD_ATTRIBUTES.DEBUG */
    bool out_of_date;             /* the platform's TCB matches only the OutOfDate level */
};

/* ward_tdx_sim_quote produces a quote as the simulated TDX platform and the DCAP
 * collateral that appraises it, all signed by the simulator's PKI in |opts->dir|.
 *
 * The quote (ECDSA-256 with P-256, TEE type 0x81, Intel's QE vendor id, zero
 * user data) carries a body with TEE_TCB_SVN 03 01 02 00.. (03 01 01 00.. when
 * |opts->out_of_date|; TD 1.5 bodies repeat it in TEE_TCB_SVN2), a fixed MRSEAM,
 * zero MRSIGNERSEAM and SEAM attributes, TD_ATTRIBUTES SEPT_VE_DISABLE (| DEBUG),
 * XFAM 0xE7, zero RTMRs and MRCONFIGID/MROWNER/MROWNERCONFIG, and the given MRTD
 * and REPORT_DATA. It is signed by the attestation key; the QE report (TD_QE:
 * ISVPRODID 2, ISVSVN 8, ATTRIBUTES 0x15/XFRM 0xE7, fixed MRENCLAVE and MRSIGNER,
 * REPORT_DATA = SHA-256(attestation key x||y || auth data) || 32 zero bytes) by
 * the PCK key. The QE auth data is 32 bytes 00..1f; the type-5 certification data
 * is PEM PCK leaf, PCK CA, root and one NUL byte, as Intel's QE writes it. The PCK
 * leaf carries Intel's SGX extension (Standard platform, PCE-ID 0000, the FMSPC,
 * SGX TCB components 2 2 2 2 3 1 0 5 0.., CPUSVN the same 16 bytes, PCESVN 11, or
 * 5 when |opts->out_of_date|).
 *
 * The collateral: TCB info v3 "TDX" (issued an hour ago, next update in 30 days,
 * evaluation number 17) with levels {PCESVN 11, TDX components 3 1 2 0..}
 * UpToDate and {PCESVN 5, TDX components 3 1 1 0..} OutOfDate (INTEL-SA-00000),
 * module identities TDX_03 and TDX_01 (ISVSVN 3 UpToDate; TDX_01 also 2
 * OutOfDate); QE identity v2 "TD_QE" matching the QE (ISVSVN 4 UpToDate); both
 * signed by the TCB signing key; empty root CA and PCK CRLs valid from a day ago
 * for 30 days; issuer chains in PEM.
 *
 * |out_quote| and |out_collateral| must be initialised (zeroed); what they held
 * is freed on success, and nothing is written to them on failure. Errors:
 * WARD_ERR_USAGE for an unknown version or body type, or a TD 1.5 body in a v4
 * quote; WARD_ERR_IO for the directory; WARD_ERR_FORMAT for unreadable or
 * mismatched simulator files; WARD_ERR_CRYPTO. */
int ward_tdx_sim_quote(const struct ward_tdx_sim_opts *opts, struct ward_buf *out_quote,
                       struct ward_dcap_collateral *out_collateral) WARD_MUST_CHECK;

/* ward_tdx_sim_roots loads the TDX simulator root CA (|dir|/tdx/root.der) and
 * appends it to |roots|, which takes the reference, for verifiers told to trust
 * it. Fails with WARD_ERR_NOT_FOUND if the simulator has not run in |dir|,
 * WARD_ERR_FORMAT if the file is not a simulator certificate (its subject lacks
 * O=WARD_SIM_ORG_INTEL); |roots| is unchanged on failure. */
int ward_tdx_sim_roots(const char *dir, STACK_OF(X509) *roots) WARD_MUST_CHECK;

/* ---- NVIDIA confidential GPUs ---- */

/* Marker every NVIDIA GPU simulator certificate's subject carries (O=...). */
#define WARD_SIM_ORG_NVIDIA "ward simulator - NOT NVIDIA - NOT FOR PRODUCTION"

/* Simulated GPUs per machine: each has its own device key (ward_nvgpu_sim_opts.device). */
#define WARD_NVGPU_SIM_MAX_DEVICES 16

/* The measurement the simulator reports at block |index| (1..255) is
 * SHA-384("ward-sim-measurement" || index as one byte), so that a reference file
 * can be written in advance. The FWID is SHA-384("ward-sim-fwid" || chip), chip
 * "GH100" or "GB100". */
#define WARD_NVGPU_SIM_MEASUREMENT_LABEL "ward-sim-measurement"
#define WARD_NVGPU_SIM_FWID_LABEL "ward-sim-fwid"

/* The simulated GPU's driver version (opaque field DRIVER_VERSION). */
#define WARD_NVGPU_SIM_DRIVER_VERSION "550.90.07"

/*
 * NVIDIA GPU state lives under |dir|/nvgpu/ (mode 0700), every key ECDSA P-384
 * and every certificate ECDSA-with-SHA384, subjects "CN=<name>, O=WARD_SIM_ORG_NVIDIA",
 * shaped like NVIDIA's Hopper chain (chip "gh100"; "gb100" for Blackwell):
 *   root.key root.der                    self-signed "SIM NVIDIA Device Identity CA"
 *   <chip>_identity.key <chip>_identity.der
 *                                        "SIM NVIDIA GH100 Identity", signed by the root
 *   <chip>_ica.key <chip>_ica.der        "SIM NVIDIA GH100 Provisioner ICA 1", signed by
 *                                        the Identity CA
 *   <chip>_device<N>.key                 GPU N's device key; its certificate,
 *                                        "SIM GH100 A01 GSP FMC LF", is issued afresh for
 *                                        every report by the ICA, with the TCG DICE TcbInfo
 *                                        extension (2.23.133.5.4.1) naming the FWID
 *   lock                                 serialises concurrent simulators
 * with the same rules as above: created on first use, reused after, keys mode 0600.
 */

struct ward_nvgpu_sim_opts {
    const char *dir;      /* simulator root directory: keys and certs live here */
    const uint8_t *nonce; /* the request's 32-byte nonce (borrowed); NULL: random */
    bool blackwell;       /* a Blackwell (GB100) GPU; default Hopper (GH100) */
    size_t num_blocks;    /* measurement blocks, 1..255; 0: 64 as Hopper reports */
    unsigned device;      /* which GPU of the machine, 0..WARD_NVGPU_SIM_MAX_DEVICES-1 */
};

/* ward_nvgpu_sim_report produces an attestation report as the simulated GPU:
 * an SPDM 1.1 GET_MEASUREMENTS request (Param1 0x01: signature requested,
 * Param2 0xFF: all measurements, slot 0, the nonce) followed by its MEASUREMENTS
 * response: |opts->num_blocks| DMTF blocks with indexes 1..N, each a 48-byte
 * SHA-384 digest (WARD_NVGPU_SIM_MEASUREMENT_LABEL), a random response nonce, and
 * NVIDIA's opaque data (VBIOS version, board id, chip SKU "882", chip SKU mod,
 * project "1010", project SKU "0200", project SKU mod, driver version
 * WARD_NVGPU_SIM_DRIVER_VERSION, GPU info, measurement counts, CPR info, NVDEC0
 * status, FWID, protected-PCIe status; Blackwell adds CHIP_INFO "GB100"), signed
 * with the device key (ECDSA P-384, SHA-384, raw r || s big-endian) over request ||
 * response-without-signature. See ward/nvgpu.h for the layout.
 *
 * |out_report| receives the report and |out_chain_pem| the PEM certificate chain,
 * leaf first, root last (leaf, Provisioner ICA, Identity CA, root). Both must be
 * initialised; what they held is freed on success, and nothing is written to them
 * on failure. Errors: WARD_ERR_USAGE for num_blocks over 255 or an unknown device;
 * WARD_ERR_IO for the directory; WARD_ERR_FORMAT for unreadable or mismatched
 * simulator files; WARD_ERR_CRYPTO. */
int ward_nvgpu_sim_report(const struct ward_nvgpu_sim_opts *opts, struct ward_buf *out_report,
                          struct ward_buf *out_chain_pem) WARD_MUST_CHECK;

/* ward_nvgpu_sim_roots loads the NVIDIA GPU simulator's root CA
 * (|dir|/nvgpu/root.der) and appends it to |roots|, which takes the reference,
 * for verifiers told to trust it. Fails with WARD_ERR_NOT_FOUND if the simulator
 * has not run in |dir|, WARD_ERR_FORMAT if the file is not a simulator certificate
 * (its subject lacks O=WARD_SIM_ORG_NVIDIA); |roots| is unchanged on failure. */
int ward_nvgpu_sim_roots(const char *dir, STACK_OF(X509) *roots) WARD_MUST_CHECK;

/* ---- composite evidence: one CPU TEE and its GPUs ---- */

enum ward_composite_cpu {
    WARD_COMPOSITE_CPU_SNP = 0, /* an SEV-SNP report (Milan, version 5, VCEK) */
    WARD_COMPOSITE_CPU_TDX,     /* a TDX v4 quote with its DCAP collateral */
};

struct ward_composite_sim_opts {
    const char *dir;             /* simulator root directory (every TEE's state lives here) */
    enum ward_composite_cpu cpu; /* 0: SEV-SNP */
    size_t num_gpus;             /* 1..WARD_NVGPU_SIM_MAX_DEVICES; 0: 1 */
    bool blackwell;              /* Blackwell GPUs (default Hopper) */
};

/* ward_composite_sim produces a composite evidence envelope, JSON text ending in
 * a newline:
 *   {"tee": "composite", "parts": [CPU part, GPU part 0, GPU part 1, ...]}
 * Each part is an envelope {"tee", "evidence": base64, "certs": [base64 DER, ...]}:
 * the CPU part is "snp" (certs VCEK, ASK, ARK) or "tdx" (no certs: the PCK chain
 * is in the quote; "collateral": the DCAP bundle as a JSON object); GPU part i is
 * "nvgpu" from simulated device i (ward_nvgpu_sim_report with a random nonce;
 * certs leaf first, root last; "nonce": base64 of the request nonce). The CPU's
 * REPORT_DATA is ward_binding(WARD_LABEL_COMPOSITE, payload) with the payload of
 * ward_composite_payload over the GPU reports in order, which binds every GPU
 * report to the CPU's. |out_json| must be initialised; what it held is freed on
 * success and nothing is written on failure. Errors: WARD_ERR_USAGE for an
 * unknown CPU or a GPU count out of range; otherwise those of the simulators. */
int ward_composite_sim(const struct ward_composite_sim_opts *opts,
                       struct ward_buf *out_json) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
