/*
 * ward/nvgpu.h: NVIDIA confidential-GPU attestation reports: the SPDM 1.1
 * GET_MEASUREMENTS request and its signed MEASUREMENTS response (DMTF DSP0274),
 * the DMTF measurement blocks, and NVIDIA's typed opaque data (driver and VBIOS
 * versions, chip SKU, switch/GPU identifiers, FWID, ...), as Hopper GPUs produce
 * them and as NVIDIA documents them for Blackwell and NVSwitch.
 *
 * Layout (all integers little-endian):
 *   request  (37): SPDMVersion, 0xE0, Param1 (bit 0: signature requested),
 *                  Param2 (measurement operation, 0xFF = all), Nonce[32], SlotID
 *   response     : SPDMVersion, 0x60, Param1, Param2 (slot), NumberOfBlocks u8,
 *                  MeasurementRecordLength u24, MeasurementRecord,
 *                  Nonce[32], OpaqueLength u16, OpaqueData, Signature
 *   block        : Index u8, MeasurementSpecification u8 (1: DMTF), MeasurementSize u16,
 *                  then DMTF: ValueType u8, ValueSize u16, Value
 *   opaque data  : a list of {type u16, size u16, value[size]}
 * The signature (ECDSA P-384, raw r||s big-endian, 96 bytes) covers
 * request || response-without-signature; its position follows from the structure.
 */
#ifndef WARD_NVGPU_H
#define WARD_NVGPU_H

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_SPDM_REQUEST_LEN 37u
#define WARD_SPDM_SIG_LEN 96u /* ECDSA P-384 r||s */
#define WARD_SPDM_MAX_BLOCKS 255u
#define WARD_NVGPU_MAX_OPAQUE 64u /* named maximum of opaque fields we keep */

/* NVIDIA opaque data field types (the full table, with the NVSwitch meanings of 22-27,
 * is in lib/evidence/nvgpu/opaque.c). */
enum ward_nv_opaque_type {
    WARD_NV_OPAQUE_CERT_ISSUER_NAME = 1,
    WARD_NV_OPAQUE_CERT_AUTHORITY_KEY_ID = 2,
    WARD_NV_OPAQUE_DRIVER_VERSION = 3,
    WARD_NV_OPAQUE_GPU_INFO = 4,
    WARD_NV_OPAQUE_SKU = 5,
    WARD_NV_OPAQUE_VBIOS_VERSION = 6,
    WARD_NV_OPAQUE_MANUFACTURER_ID = 7,
    WARD_NV_OPAQUE_TAMPER_DETECTION = 8,
    WARD_NV_OPAQUE_SMC = 9,
    WARD_NV_OPAQUE_VPR = 10,
    WARD_NV_OPAQUE_NVDEC0_STATUS = 11,
    WARD_NV_OPAQUE_MSRSCNT = 12,
    WARD_NV_OPAQUE_CPRINFO = 13,
    WARD_NV_OPAQUE_BOARD_ID = 14,
    WARD_NV_OPAQUE_CHIP_SKU = 15,
    WARD_NV_OPAQUE_CHIP_SKU_MOD = 16,
    WARD_NV_OPAQUE_PROJECT = 17,
    WARD_NV_OPAQUE_PROJECT_SKU = 18,
    WARD_NV_OPAQUE_PROJECT_SKU_MOD = 19,
    WARD_NV_OPAQUE_FWID = 20,
    WARD_NV_OPAQUE_PROTECTED_PCIE_STATUS = 21,
    WARD_NV_OPAQUE_SWITCH_PDI = 22,
    WARD_NV_OPAQUE_FLOORSWEPT_PORTS = 23,
    WARD_NV_OPAQUE_POSITION_ID = 24,
    WARD_NV_OPAQUE_LOCK_SWITCH_STATUS = 25,
    WARD_NV_OPAQUE_SWITCH_GPU_PDIS = 26, /* NVSwitch only */
    WARD_NV_OPAQUE_SWITCH_PORTS = 27,    /* NVSwitch only */
    WARD_NV_OPAQUE_GPU_LINK_CONN = 32,
    WARD_NV_OPAQUE_SYS_ENABLE_STATUS = 33,
    WARD_NV_OPAQUE_OPAQUE_DATA_VERSION = 34,
    WARD_NV_OPAQUE_CHIP_INFO = 35,
    WARD_NV_OPAQUE_FEATURE_FLAG = 36, /* 0 SPT, 1 MPT, 2 PPCIE */
    WARD_NV_OPAQUE_INVALID = 255,
};

struct ward_spdm_block {
    uint8_t index;
    uint8_t spec;         /* 1: DMTF */
    uint8_t value_type;   /* DMTF value type */
    const uint8_t *value; /* borrowed from the input */
    uint16_t value_len;
};

struct ward_nv_opaque_field {
    uint16_t type;
    const uint8_t *value; /* borrowed */
    uint16_t len;
};

/* A parsed report; pointers borrow from the input bytes, which must outlive it. */
struct ward_nvgpu_report {
    uint8_t spdm_version; /* 0x11 */
    uint8_t req_param1, req_param2, slot_id;
    uint8_t request_nonce[32];
    uint8_t rsp_param1, rsp_param2;
    size_t num_blocks;
    struct ward_spdm_block blocks[WARD_SPDM_MAX_BLOCKS];
    uint8_t response_nonce[32];
    size_t num_opaque;
    struct ward_nv_opaque_field opaque[WARD_NVGPU_MAX_OPAQUE];
    const uint8_t *signed_data; /* request || response up to the signature */
    size_t signed_len;
    uint8_t signature[WARD_SPDM_SIG_LEN];
};

/* ward_nvgpu_report_parse parses request || response. Lengths must add up exactly
 * (no trailing bytes), the request must ask for a signature, the block count must
 * match the record, and every opaque field must fit. Only SPDM 1.1 and 1.2 have this
 * layout (1.0 and 1.3 frame the messages differently: WARD_ERR_VERSION); block
 * indexes are 1..255 and unique, and each opaque type appears at most once. |out| is
 * untouched on failure. */
int ward_nvgpu_report_parse(const uint8_t *p, size_t len,
                            struct ward_nvgpu_report *out) WARD_MUST_CHECK;

/* ward_nvgpu_report_encode is the byte-exact inverse of the parser. */
int ward_nvgpu_report_encode(const struct ward_nvgpu_report *r,
                             struct ward_buf *out) WARD_MUST_CHECK;

/* ward_nv_opaque_parse parses an opaque-data area alone (the fuzz entry point). */
int ward_nv_opaque_parse(const uint8_t *p, size_t len, struct ward_nv_opaque_field *out, size_t max,
                         size_t *out_num) WARD_MUST_CHECK;

/* ward_nvgpu_opaque_find returns the first opaque field of |type|, or NULL. */
const struct ward_nv_opaque_field *ward_nvgpu_opaque_find(const struct ward_nvgpu_report *r,
                                                          uint16_t type);

/* ward_nv_opaque_name returns a field type's name ("driver_version", ...) or NULL. */
const char *ward_nv_opaque_name(uint16_t type);

#ifdef __cplusplus
}
#endif
#endif /* WARD_NVGPU_H */
