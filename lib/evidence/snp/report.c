/*
 * lib/evidence/snp/report.c: the SEV-SNP ATTESTATION_REPORT structure.
 *
 * Layout (AMD SEV-SNP ABI specification, Table "ATTESTATION_REPORT Structure";
 * offsets in hex, all integers little-endian):
 *   000 VERSION u32            004 GUEST_SVN u32          008 POLICY u64
 *   010 FAMILY_ID [16]         020 IMAGE_ID [16]          030 VMPL u32
 *   034 SIGNATURE_ALGO u32     038 CURRENT_TCB u64        040 PLATFORM_INFO u64
 *   048 flags u32 (AUTHOR_KEY_EN, MASK_CHIP_KEY, SIGNING_KEY[4:2]; 31:5 reserved)
 *   04C reserved u32           050 REPORT_DATA [64]       090 MEASUREMENT [48]
 *   0C0 HOST_DATA [32]         0E0 ID_KEY_DIGEST [48]     110 AUTHOR_KEY_DIGEST [48]
 *   140 REPORT_ID [32]         160 REPORT_ID_MA [32]      180 REPORTED_TCB u64
 *   188 CPUID_FAM_ID u8, 189 CPUID_MOD_ID u8, 18A CPUID_STEP u8 (version >= 3;
 *       reserved in version 2)   18B..19F reserved
 *   1A0 CHIP_ID [64]           1E0 COMMITTED_TCB u64
 *   1E8 CURRENT_BUILD, CURRENT_MINOR, CURRENT_MAJOR u8, reserved u8
 *   1EC COMMITTED_BUILD, COMMITTED_MINOR, COMMITTED_MAJOR u8, reserved u8
 *   1F0 LAUNCH_TCB u64
 *   1F8 LAUNCH_MIT_VECTOR u64, 200 CURRENT_MIT_VECTOR u64 (version >= 5; reserved before)
 *   ... reserved to 29F
 *   2A0 SIGNATURE: R [72] | S [72] | reserved [368], ending at 4A0.
 */
#include <string.h>
#include <strings.h>

#include "base/internal.h"
#include "ward/snp.h"

#define SIG_RESERVED_LEN (WARD_SNP_REPORT_LEN - WARD_SNP_SIGNED_LEN - 2 * WARD_SNP_SIG_COMP_LEN)
#define FLAGS_KNOWN_MASK 0x1Fu /* bits 0..4 are defined; the rest are reserved */

static bool version_known(uint32_t v)
{
    return v == 2 || v == 3 || v == 5;
}

int ward_snp_report_parse(const uint8_t *p, size_t len, struct ward_snp_report *out)
{
    struct ward_snp_report r;
    struct ward_rd rd;

    memset(&r, 0, sizeof(r));
    ENSURE_MSG(len >= WARD_SNP_REPORT_LEN, WARD_ERR_TRUNCATED,
               "snp report: %zu bytes, a report is %u bytes", len, WARD_SNP_REPORT_LEN);
    ENSURE_MSG(len == WARD_SNP_REPORT_LEN, WARD_ERR_TRAILING,
               "snp report: %zu unexpected trailing byte(s) after the %u-byte report",
               len - WARD_SNP_REPORT_LEN, WARD_SNP_REPORT_LEN);
    ward_rd_init(&rd, p, len);

    GUARD(ward_rd_u32le(&rd, &r.version));
    ENSURE_MSG(version_known(r.version), WARD_ERR_VERSION,
               "snp report: unsupported version %u (known: 2, 3, 5)", r.version);
    GUARD(ward_rd_u32le(&rd, &r.guest_svn));
    GUARD(ward_rd_u64le(&rd, &r.policy));
    GUARD(ward_rd_copy(&rd, r.family_id, sizeof(r.family_id)));
    GUARD(ward_rd_copy(&rd, r.image_id, sizeof(r.image_id)));
    GUARD(ward_rd_u32le(&rd, &r.vmpl));
    GUARD(ward_rd_u32le(&rd, &r.signature_algo));
    ENSURE_MSG(
        r.signature_algo == WARD_SNP_SIG_ALGO_ECDSA_P384_SHA384, WARD_ERR_FORMAT,
        "snp report: unsupported signature algorithm %u (expected 1, ECDSA P-384 with SHA-384)",
        r.signature_algo);
    GUARD(ward_rd_u64le(&rd, &r.current_tcb));
    GUARD(ward_rd_u64le(&rd, &r.platform_info));
    GUARD(ward_rd_u32le(&rd, &r.flags));
    ENSURE_MSG((r.flags & ~FLAGS_KNOWN_MASK) == 0, WARD_ERR_RESERVED,
               "snp report: reserved flag bits set (flags 0x%08x)", r.flags);
    uint32_t key = (r.flags >> 2) & 7;
    ENSURE_MSG(key == WARD_SNP_KEY_VCEK || key == WARD_SNP_KEY_VLEK || key == WARD_SNP_KEY_NONE,
               WARD_ERR_FORMAT, "snp report: invalid SIGNING_KEY value %u", key);
    GUARD(ward_rd_zeros(&rd, 4, "0x04C"));
    GUARD(ward_rd_copy(&rd, r.report_data, sizeof(r.report_data)));
    GUARD(ward_rd_copy(&rd, r.measurement, sizeof(r.measurement)));
    GUARD(ward_rd_copy(&rd, r.host_data, sizeof(r.host_data)));
    GUARD(ward_rd_copy(&rd, r.id_key_digest, sizeof(r.id_key_digest)));
    GUARD(ward_rd_copy(&rd, r.author_key_digest, sizeof(r.author_key_digest)));
    GUARD(ward_rd_copy(&rd, r.report_id, sizeof(r.report_id)));
    GUARD(ward_rd_copy(&rd, r.report_id_ma, sizeof(r.report_id_ma)));
    GUARD(ward_rd_u64le(&rd, &r.reported_tcb));
    if (r.version >= 3) {
        GUARD(ward_rd_u8(&rd, &r.cpuid_fam_id));
        GUARD(ward_rd_u8(&rd, &r.cpuid_mod_id));
        GUARD(ward_rd_u8(&rd, &r.cpuid_step));
        GUARD(ward_rd_zeros(&rd, 0x1A0 - 0x18B, "0x18B-0x19F"));
    } else {
        GUARD(ward_rd_zeros(&rd, 0x1A0 - 0x188, "0x188-0x19F"));
    }
    GUARD(ward_rd_copy(&rd, r.chip_id, sizeof(r.chip_id)));
    GUARD(ward_rd_u64le(&rd, &r.committed_tcb));
    GUARD(ward_rd_u8(&rd, &r.current_build));
    GUARD(ward_rd_u8(&rd, &r.current_minor));
    GUARD(ward_rd_u8(&rd, &r.current_major));
    GUARD(ward_rd_zeros(&rd, 1, "0x1EB"));
    GUARD(ward_rd_u8(&rd, &r.committed_build));
    GUARD(ward_rd_u8(&rd, &r.committed_minor));
    GUARD(ward_rd_u8(&rd, &r.committed_major));
    GUARD(ward_rd_zeros(&rd, 1, "0x1EF"));
    GUARD(ward_rd_u64le(&rd, &r.launch_tcb));
    if (r.version >= 5) {
        GUARD(ward_rd_u64le(&rd, &r.launch_mit_vector));
        GUARD(ward_rd_u64le(&rd, &r.current_mit_vector));
        GUARD(ward_rd_zeros(&rd, WARD_SNP_SIGNED_LEN - 0x208, "0x208-0x29F"));
    } else {
        GUARD(ward_rd_zeros(&rd, WARD_SNP_SIGNED_LEN - 0x1F8, "0x1F8-0x29F"));
    }
    GUARD(ward_rd_copy(&rd, r.sig_r, sizeof(r.sig_r)));
    GUARD(ward_rd_copy(&rd, r.sig_s, sizeof(r.sig_s)));
    GUARD(ward_rd_zeros(&rd, SIG_RESERVED_LEN, "signature 0x330-0x49F"));
    GUARD(ward_rd_done(&rd, "snp report"));

    *out = r;
    return WARD_OK;
}

int ward_snp_report_encode(const struct ward_snp_report *r, uint8_t out[WARD_SNP_REPORT_LEN])
{
    struct ward_wr w;
    ENSURE_MSG(version_known(r->version), WARD_ERR_USAGE, "snp report: cannot encode version %u",
               r->version);
    ENSURE_MSG((r->flags & ~FLAGS_KNOWN_MASK) == 0, WARD_ERR_USAGE,
               "snp report: cannot encode reserved flag bits");
    ward_wr_init_fixed(&w, out, WARD_SNP_REPORT_LEN);
    GUARD(ward_wr_u32le(&w, r->version));
    GUARD(ward_wr_u32le(&w, r->guest_svn));
    GUARD(ward_wr_u64le(&w, r->policy));
    GUARD(ward_wr_bytes(&w, r->family_id, sizeof(r->family_id)));
    GUARD(ward_wr_bytes(&w, r->image_id, sizeof(r->image_id)));
    GUARD(ward_wr_u32le(&w, r->vmpl));
    GUARD(ward_wr_u32le(&w, r->signature_algo));
    GUARD(ward_wr_u64le(&w, r->current_tcb));
    GUARD(ward_wr_u64le(&w, r->platform_info));
    GUARD(ward_wr_u32le(&w, r->flags));
    GUARD(ward_wr_zeros(&w, 4));
    GUARD(ward_wr_bytes(&w, r->report_data, sizeof(r->report_data)));
    GUARD(ward_wr_bytes(&w, r->measurement, sizeof(r->measurement)));
    GUARD(ward_wr_bytes(&w, r->host_data, sizeof(r->host_data)));
    GUARD(ward_wr_bytes(&w, r->id_key_digest, sizeof(r->id_key_digest)));
    GUARD(ward_wr_bytes(&w, r->author_key_digest, sizeof(r->author_key_digest)));
    GUARD(ward_wr_bytes(&w, r->report_id, sizeof(r->report_id)));
    GUARD(ward_wr_bytes(&w, r->report_id_ma, sizeof(r->report_id_ma)));
    GUARD(ward_wr_u64le(&w, r->reported_tcb));
    if (r->version >= 3) {
        GUARD(ward_wr_u8(&w, r->cpuid_fam_id));
        GUARD(ward_wr_u8(&w, r->cpuid_mod_id));
        GUARD(ward_wr_u8(&w, r->cpuid_step));
        GUARD(ward_wr_zeros(&w, 0x1A0 - 0x18B));
    } else {
        GUARD(ward_wr_zeros(&w, 0x1A0 - 0x188));
    }
    GUARD(ward_wr_bytes(&w, r->chip_id, sizeof(r->chip_id)));
    GUARD(ward_wr_u64le(&w, r->committed_tcb));
    GUARD(ward_wr_u8(&w, r->current_build));
    GUARD(ward_wr_u8(&w, r->current_minor));
    GUARD(ward_wr_u8(&w, r->current_major));
    GUARD(ward_wr_zeros(&w, 1));
    GUARD(ward_wr_u8(&w, r->committed_build));
    GUARD(ward_wr_u8(&w, r->committed_minor));
    GUARD(ward_wr_u8(&w, r->committed_major));
    GUARD(ward_wr_zeros(&w, 1));
    GUARD(ward_wr_u64le(&w, r->launch_tcb));
    if (r->version >= 5) {
        GUARD(ward_wr_u64le(&w, r->launch_mit_vector));
        GUARD(ward_wr_u64le(&w, r->current_mit_vector));
        GUARD(ward_wr_zeros(&w, WARD_SNP_SIGNED_LEN - 0x208));
    } else {
        GUARD(ward_wr_zeros(&w, WARD_SNP_SIGNED_LEN - 0x1F8));
    }
    GUARD(ward_wr_bytes(&w, r->sig_r, sizeof(r->sig_r)));
    GUARD(ward_wr_bytes(&w, r->sig_s, sizeof(r->sig_s)));
    GUARD(ward_wr_zeros(&w, SIG_RESERVED_LEN));
    WARD_ASSERT(w.len == WARD_SNP_REPORT_LEN);
    return WARD_OK;
}

enum ward_snp_signing_key ward_snp_signing_key(const struct ward_snp_report *r)
{
    return (enum ward_snp_signing_key)((r->flags >> 2) & 7);
}

enum ward_snp_product ward_snp_product_from_cpuid(const struct ward_snp_report *r)
{
    if (r->version < 3) {
        return WARD_SNP_PRODUCT_UNKNOWN;
    }
    /* Family 19h: Milan is model 00h-0Fh, Genoa 10h-1Fh (and Bergamo/Siena A0h-AFh);
     * family 1Ah model 00h-1Fh is Turin. */
    if (r->cpuid_fam_id == 0x19) {
        if (r->cpuid_mod_id <= 0x0F) {
            return WARD_SNP_MILAN;
        }
        if (r->cpuid_mod_id <= 0x1F || (r->cpuid_mod_id >= 0xA0 && r->cpuid_mod_id <= 0xAF)) {
            return WARD_SNP_GENOA;
        }
    } else if (r->cpuid_fam_id == 0x1A && r->cpuid_mod_id <= 0x1F) {
        return WARD_SNP_TURIN;
    }
    return WARD_SNP_PRODUCT_UNKNOWN;
}

const char *ward_snp_product_name(enum ward_snp_product p)
{
    switch (p) {
    case WARD_SNP_MILAN:
        return "Milan";
    case WARD_SNP_GENOA:
        return "Genoa";
    case WARD_SNP_TURIN:
        return "Turin";
    default:
        return "unknown";
    }
}

enum ward_snp_product ward_snp_product_parse(const char *name)
{
    static const enum ward_snp_product all[] = {WARD_SNP_MILAN, WARD_SNP_GENOA, WARD_SNP_TURIN};
    for (size_t i = 0; i < WARD_ARRAY_LEN(all); i++) {
        const char *n = ward_snp_product_name(all[i]);
        size_t l = strlen(n);
        if (strncasecmp(name, n, l) == 0 && (name[l] == '\0' || name[l] == '-')) {
            return all[i];
        }
    }
    return WARD_SNP_PRODUCT_UNKNOWN;
}

/* TCB_VERSION: Milan and Genoa: byte 0 BOOT_LOADER, 1 TEE, 2-5 reserved, 6 SNP,
 * 7 MICROCODE. Turin: 0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP, 4-6 reserved, 7 MICROCODE. */
void ward_snp_tcb_decode(uint64_t raw, enum ward_snp_product product, struct ward_snp_tcb *out)
{
    memset(out, 0, sizeof(*out));
    if (product == WARD_SNP_TURIN) {
        out->fmc = (uint8_t)raw;
        out->bootloader = (uint8_t)(raw >> 8);
        out->tee = (uint8_t)(raw >> 16);
        out->snp = (uint8_t)(raw >> 24);
    } else {
        out->bootloader = (uint8_t)raw;
        out->tee = (uint8_t)(raw >> 8);
        out->snp = (uint8_t)(raw >> 48);
    }
    out->microcode = (uint8_t)(raw >> 56);
}

uint64_t ward_snp_tcb_encode(const struct ward_snp_tcb *t, enum ward_snp_product product)
{
    uint64_t ucode = (uint64_t)t->microcode << 56;
    if (product == WARD_SNP_TURIN) {
        return (uint64_t)t->fmc | (uint64_t)t->bootloader << 8 | (uint64_t)t->tee << 16 |
               (uint64_t)t->snp << 24 | ucode;
    }
    return (uint64_t)t->bootloader | (uint64_t)t->tee << 8 | (uint64_t)t->snp << 48 | ucode;
}
