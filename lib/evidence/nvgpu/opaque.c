/*
 * lib/evidence/nvgpu/opaque.c: NVIDIA's opaque data, the OpaqueData field of the
 * SPDM MEASUREMENTS response of NVIDIA GPUs and NVSwitches.
 *
 * Layout (all integers little-endian): a list of fields, nothing else,
 *   type u16 || size u16 || value [size]
 * repeated until the area ends; the last field must end exactly at the end.
 *
 * Field types, as NVIDIA's verifiers name them (NVIDIA/nvtrust
 * guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/attestation/
 * spdm_msrt_resp_msg.py; NVIDIA/attestation-sdk nv-attestation-sdk-cpp
 * include/nv_attestation/gpu/spdm/gpu_opaque_data_parser.hpp and
 * include/nv_attestation/switch/spdm/switch_opaque_data_parser.hpp):
 *    1 CERT_ISSUER_NAME         2 CERT_AUTHORITY_KEY_IDENTIFIER   3 DRIVER_VERSION
 *    4 GPU_INFO                 5 SKU                             6 VBIOS_VERSION
 *    7 MANUFACTURER_ID          8 TAMPER_DETECTION                9 SMC
 *   10 VPR                     11 NVDEC0_STATUS                  12 MSRSCNT (u32 list)
 *   13 CPRINFO                 14 BOARD_ID                       15 CHIP_SKU
 *   16 CHIP_SKU_MOD            17 PROJECT                        18 PROJECT_SKU
 *   19 PROJECT_SKU_MOD         20 FWID                           21 PROTECTED_PCIE_STATUS
 *   22 GPU: SWITCH_PDI (8-byte PDIs of the connected switches); NVSwitch: DEVICE_PDI
 *   23 GPU: FLOORSWEPT_PORTS; NVSwitch: DISABLED_PORTS
 *   24 GPU: POSITION_ID; NVSwitch: SWITCH_POSITION_ID
 *   25 GPU: LOCK_SWITCH_STATUS; NVSwitch: SWITCH_LOCK_STATUS
 *   26 NVSwitch only: SWITCH_GPU_PDIS (8 x 8-byte GPU PDIs, then 1-byte port ids)
 *   27 NVSwitch only: SWITCH_PORTS (C++ SDK only)
 *   32 GPU_LINK_CONN           33 SYS_ENABLE_STATUS (Blackwell)  34 OPAQUE_DATA_VERSION
 *   35 CHIP_INFO (Blackwell, the chip name used in RIM ids)      36 FEATURE_FLAG
 *                                                           (0 SPT, 1 MPT, 2 PPCIE)
 *  255 INVALID
 * Hopper, Blackwell and NVSwitch (LS10) all use this same type || size || value list;
 * NVSwitch reports an ASCII VBIOS version ("96.10.55.00.01") where GPUs put 8 binary
 * bytes. The parser only splits fields: it keeps the value bytes of every type,
 * known or not, and leaves their meaning to the verifier.
 *
 * Not supported: a later NVIDIA SDK revision (NVIDIA/attestation-sdk
 * nv-attestation-sdk-cpp src/spdm/spdm_opaque_data_parser.cpp, commit 443b9e3ae6cd)
 * also reads an "NVDAOD" format: the magic "NVDAOD", profile u16, major u8,
 * minor u8, 2 bytes, then fields of type u16 || value_type u16 || size u16 || value
 * (for FSP firmware minimum-SVN fields). A field here has no value_type, so an area
 * that starts with that magic is refused with WARD_ERR_VERSION rather than misread.
 */
#include <string.h>

#include "base/internal.h"
#include "ward/nvgpu.h"

#define NVDAOD_MAGIC "NVDAOD"
#define NVDAOD_MAGIC_LEN 6u

/* Reads one field header and its value. */
static int field_next(struct ward_rd *rd, size_t i, struct ward_nv_opaque_field *out)
{
    uint16_t type, size;
    if (ward_rd_u16le(rd, &type) != WARD_OK || ward_rd_u16le(rd, &size) != WARD_OK) {
        return ward_err_prefix("opaque field %zu header", i);
    }
    ENSURE_MSG(size <= ward_rd_left(rd), WARD_ERR_TRUNCATED,
               "opaque field %zu (type %u) has size %u but only %zu byte(s) are left", i, type,
               size, ward_rd_left(rd));
    GUARD(ward_rd_ptr(rd, &out->value, size));
    out->type = type;
    out->len = size;
    return WARD_OK;
}

/* One pass over the area: checks the framing, counts the fields and refuses a type
 * that appears twice. Fills |out| (room for |max|) when it is non-NULL. */
static int opaque_walk(const uint8_t *p, size_t len, struct ward_nv_opaque_field *out, size_t max,
                       size_t *out_num)
{
    struct ward_rd rd;
    uint64_t seen[65536 / 64];
    size_t n = 0;

    ward_rd_init(&rd, p, len);
    if (ward_rd_left(&rd) >= NVDAOD_MAGIC_LEN) {
        struct ward_rd head = rd;
        const uint8_t *magic;
        GUARD(ward_rd_ptr(&head, &magic, NVDAOD_MAGIC_LEN));
        ENSURE_MSG(memcmp(magic, NVDAOD_MAGIC, NVDAOD_MAGIC_LEN) != 0, WARD_ERR_VERSION,
                   "opaque data in NVIDIA's NVDAOD format (typed fields) is not supported");
    }
    memset(seen, 0, sizeof(seen));
    while (ward_rd_left(&rd) > 0) {
        struct ward_nv_opaque_field f;
        ENSURE_MSG(n < max, WARD_ERR_NOMEM, "more than %zu opaque fields", max);
        GUARD(field_next(&rd, n, &f));
        uint64_t bit = UINT64_C(1) << (f.type % 64);
        ENSURE_MSG((seen[f.type / 64] & bit) == 0, WARD_ERR_FORMAT,
                   "opaque field %zu: type %u appears twice", n, f.type);
        seen[f.type / 64] |= bit;
        if (out != NULL) {
            out[n] = f;
        }
        n++;
    }
    *out_num = n;
    return WARD_OK;
}

int ward_nv_opaque_parse(const uint8_t *p, size_t len, struct ward_nv_opaque_field *out, size_t max,
                         size_t *out_num)
{
    size_t n, again;

    WARD_ASSERT((p != NULL || len == 0) && (out != NULL || max == 0) && out_num != NULL);
    /* Check everything first, so that |out| stays untouched unless the area is good. */
    GUARD(opaque_walk(p, len, NULL, max, &n));
    int rc = opaque_walk(p, len, out, max, &again);
    WARD_ASSERT(rc == WARD_OK && again == n); /* the same bytes parsed a moment ago */
    *out_num = n;
    return WARD_OK;
}

const struct ward_nv_opaque_field *ward_nvgpu_opaque_find(const struct ward_nvgpu_report *r,
                                                          uint16_t type)
{
    WARD_ASSERT(r != NULL && r->num_opaque <= WARD_NVGPU_MAX_OPAQUE);
    for (size_t i = 0; i < r->num_opaque; i++) {
        if (r->opaque[i].type == type) {
            return &r->opaque[i];
        }
    }
    return NULL;
}

const char *ward_nv_opaque_name(uint16_t type)
{
    /* GPU names for 22-25; NVSwitches use the same numbers for their own PDI, disabled
     * ports, position and lock status (see the table at the top of this file). */
    switch (type) {
    case WARD_NV_OPAQUE_CERT_ISSUER_NAME:
        return "cert_issuer_name";
    case WARD_NV_OPAQUE_CERT_AUTHORITY_KEY_ID:
        return "cert_authority_key_id";
    case WARD_NV_OPAQUE_DRIVER_VERSION:
        return "driver_version";
    case WARD_NV_OPAQUE_GPU_INFO:
        return "gpu_info";
    case WARD_NV_OPAQUE_SKU:
        return "sku";
    case WARD_NV_OPAQUE_VBIOS_VERSION:
        return "vbios_version";
    case WARD_NV_OPAQUE_MANUFACTURER_ID:
        return "manufacturer_id";
    case WARD_NV_OPAQUE_TAMPER_DETECTION:
        return "tamper_detection";
    case WARD_NV_OPAQUE_SMC:
        return "smc";
    case WARD_NV_OPAQUE_VPR:
        return "vpr";
    case WARD_NV_OPAQUE_NVDEC0_STATUS:
        return "nvdec0_status";
    case WARD_NV_OPAQUE_MSRSCNT:
        return "msrscnt";
    case WARD_NV_OPAQUE_CPRINFO:
        return "cprinfo";
    case WARD_NV_OPAQUE_BOARD_ID:
        return "board_id";
    case WARD_NV_OPAQUE_CHIP_SKU:
        return "chip_sku";
    case WARD_NV_OPAQUE_CHIP_SKU_MOD:
        return "chip_sku_mod";
    case WARD_NV_OPAQUE_PROJECT:
        return "project";
    case WARD_NV_OPAQUE_PROJECT_SKU:
        return "project_sku";
    case WARD_NV_OPAQUE_PROJECT_SKU_MOD:
        return "project_sku_mod";
    case WARD_NV_OPAQUE_FWID:
        return "fwid";
    case WARD_NV_OPAQUE_PROTECTED_PCIE_STATUS:
        return "protected_pcie_status";
    case WARD_NV_OPAQUE_SWITCH_PDI:
        return "switch_pdi";
    case WARD_NV_OPAQUE_FLOORSWEPT_PORTS:
        return "floorswept_ports";
    case WARD_NV_OPAQUE_POSITION_ID:
        return "position_id";
    case WARD_NV_OPAQUE_LOCK_SWITCH_STATUS:
        return "lock_switch_status";
    case WARD_NV_OPAQUE_SWITCH_GPU_PDIS:
        return "switch_gpu_pdis";
    case WARD_NV_OPAQUE_SWITCH_PORTS:
        return "switch_ports";
    case WARD_NV_OPAQUE_GPU_LINK_CONN:
        return "gpu_link_conn";
    case WARD_NV_OPAQUE_SYS_ENABLE_STATUS:
        return "sys_enable_status";
    case WARD_NV_OPAQUE_OPAQUE_DATA_VERSION:
        return "opaque_data_version";
    case WARD_NV_OPAQUE_CHIP_INFO:
        return "chip_info";
    case WARD_NV_OPAQUE_FEATURE_FLAG:
        return "feature_flag";
    case WARD_NV_OPAQUE_INVALID:
        return "invalid";
    default:
        return NULL;
    }
}
