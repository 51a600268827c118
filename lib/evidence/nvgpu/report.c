/*
 * lib/evidence/nvgpu/report.c: NVIDIA attestation reports, an SPDM GET_MEASUREMENTS
 * request followed by its signed MEASUREMENTS response (DMTF DSP0274 1.1; all
 * integers little-endian).
 *
 * GET_MEASUREMENTS, 37 bytes:
 *   00 SPDMVersion          01 RequestResponseCode (0xE0)
 *   02 Param1 (bit 0: signature requested)        03 Param2 (operation; 0xFF = all)
 *   04 Nonce [32]           24 SlotID
 * MEASUREMENTS:
 *   00 SPDMVersion          01 RequestResponseCode (0x60)
 *   02 Param1               03 Param2 (slot)
 *   04 NumberOfBlocks u8    05 MeasurementRecordLength u24 (L1)
 *   08 MeasurementRecord [L1]: NumberOfBlocks blocks of
 *        Index u8 || MeasurementSpecification u8 (1 = DMTF) || MeasurementSize u16
 *        || DMTFSpecMeasurementValueType u8 || ValueSize u16 || Value [ValueSize]
 *        with MeasurementSize = 3 + ValueSize
 *   08+L1 Nonce [32]        28+L1 OpaqueLength u16 (L2)
 *   2A+L1 OpaqueData [L2]   (NVIDIA's fields, opaque.c)
 *   2A+L1+L2 Signature [96] (ECDSA P-384, r || s), the last bytes of the input.
 * The signature covers request || response up to the signature.
 *
 * What the public NVIDIA material shows (NVIDIA/nvtrust local_gpu_verifier config.py
 * and nv_switch_verifier; NVIDIA/attestation-sdk nv-attestation-sdk-cpp
 * src/{gpu,switch}/evidence.cpp and its sample reports): Hopper (GH100), Blackwell
 * and NVSwitch (LS10) all send SPDM 1.1 with this framing, all sign
 * with ECDSA P-384 / SHA-384 (96-byte r || s), and all use DMTF blocks with 48-byte
 * SHA-384 digests. They differ in the block count (64 on Hopper and Blackwell, 31
 * on LS10) and in the opaque fields (see opaque.c); neither needs a special case here.
 *
 * Versions: only 1.1 (0x11) and 1.2 (0x12) have the 37-byte request above. SPDM
 * 1.0 has no SlotID byte, and 1.3 appends an 8-byte RequesterContext to both
 * messages, so 0x10 and 0x13 are refused rather than misread. For 1.2 the signature
 * also covers the VCA messages and a signing-context prefix, which this input does
 * not carry: a 1.2 report parses but cannot be verified from signed_data alone.
 *
 * Strictness: every length must add up exactly, the request must ask for a
 * signature, the two messages must have the same version, block indexes must be
 * 1..255 and unique, only DMTF blocks exist (the other MeasurementSpecification bits
 * are reserved in every SPDM version), and the signature is exactly the 96 bytes
 * left. Reserved parameter bits are kept as read: the signature covers them.
 */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "ward/nvgpu.h"

#define SPDM_GET_MEASUREMENTS 0xE0u
#define SPDM_MEASUREMENTS 0x60u
#define SPDM_ERROR 0x7Fu
#define SPDM_ATTR_SIGNATURE 0x01u /* GET_MEASUREMENTS Param1 bit 0 */
#define SPDM_SPEC_DMTF 0x01u      /* MeasurementSpecification bit 0 */
#define NONCE_LEN 32u
#define DMTF_HEADER_LEN 3u /* ValueType u8 || ValueSize u16 */
#define RECORD_MAX 0xFFFFFFu
#define OPAQUE_MAX 0xFFFFu

static bool version_known(uint8_t v)
{
    return v == 0x11 || v == 0x12;
}

/* Named sections, so that a message says where the report went wrong. */
#define SECTION(call, ...)                       \
    do {                                         \
        if ((call) != WARD_OK) {                 \
            return ward_err_prefix(__VA_ARGS__); \
        }                                        \
    } while (0)

static int version_check(uint8_t v)
{
    ENSURE_MSG(version_known(v), WARD_ERR_VERSION,
               "unsupported SPDM version 0x%02x (known: 0x11, 0x12 with the 37-byte request)", v);
    return WARD_OK;
}

static int request_parse(struct ward_rd *rd, struct ward_nvgpu_report *r)
{
    uint8_t code;
    GUARD(ward_rd_u8(rd, &r->spdm_version));
    GUARD(version_check(r->spdm_version));
    GUARD(ward_rd_u8(rd, &code));
    ENSURE_MSG(code == SPDM_GET_MEASUREMENTS, WARD_ERR_FORMAT,
               "request code 0x%02x is not GET_MEASUREMENTS (0xE0)", code);
    GUARD(ward_rd_u8(rd, &r->req_param1));
    ENSURE_MSG((r->req_param1 & SPDM_ATTR_SIGNATURE) != 0, WARD_ERR_FORMAT,
               "the request does not ask for a signature (Param1 0x%02x)", r->req_param1);
    GUARD(ward_rd_u8(rd, &r->req_param2));
    GUARD(ward_rd_copy(rd, r->request_nonce, sizeof(r->request_nonce)));
    GUARD(ward_rd_u8(rd, &r->slot_id));
    return WARD_OK;
}

/* One measurement block (DMTF measurement specification). */
static int block_parse(struct ward_rd *rd, struct ward_spdm_block *b)
{
    uint16_t msize, vsize;
    struct ward_rd m;

    GUARD(ward_rd_u8(rd, &b->index));
    ENSURE_MSG(b->index != 0, WARD_ERR_FORMAT, "index 0 is not a measurement index");
    GUARD(ward_rd_u8(rd, &b->spec));
    ENSURE_MSG(b->spec == SPDM_SPEC_DMTF, WARD_ERR_FORMAT,
               "MeasurementSpecification 0x%02x is not DMTF (0x01)", b->spec);
    GUARD(ward_rd_u16le(rd, &msize));
    ENSURE_MSG(msize >= DMTF_HEADER_LEN, WARD_ERR_FORMAT,
               "MeasurementSize %u is shorter than the 3-byte DMTF header", msize);
    GUARD(ward_rd_child(rd, &m, msize));
    GUARD(ward_rd_u8(&m, &b->value_type));
    GUARD(ward_rd_u16le(&m, &vsize));
    ENSURE_MSG(msize == DMTF_HEADER_LEN + vsize, WARD_ERR_FORMAT,
               "MeasurementSize %u is not 3 + ValueSize %u", msize, vsize);
    GUARD(ward_rd_ptr(&m, &b->value, vsize));
    b->value_len = vsize;
    return ward_rd_done(&m, "measurement");
}

static int record_parse(struct ward_rd *rd, struct ward_nvgpu_report *r)
{
    bool seen[256] = {false};
    for (size_t i = 0; i < r->num_blocks; i++) {
        struct ward_spdm_block *b = &r->blocks[i];
        SECTION(block_parse(rd, b), "measurement block %zu of %zu", i + 1, r->num_blocks);
        ENSURE_MSG(!seen[b->index], WARD_ERR_FORMAT,
                   "measurement block %zu of %zu: index %u appears twice", i + 1, r->num_blocks,
                   b->index);
        seen[b->index] = true;
    }
    ENSURE_MSG(ward_rd_left(rd) == 0, WARD_ERR_TRAILING,
               "%zu byte(s) of the measurement record are left after its %zu blocks",
               ward_rd_left(rd), r->num_blocks);
    return WARD_OK;
}

static int response_parse(struct ward_rd *rd, struct ward_nvgpu_report *r)
{
    uint8_t version, code, num_blocks;
    uint32_t record_len;
    uint16_t opaque_len;
    struct ward_rd record;
    const uint8_t *opaque;

    GUARD(ward_rd_u8(rd, &version));
    GUARD(ward_rd_u8(rd, &code));
    ENSURE_MSG(code != SPDM_ERROR, WARD_ERR_FORMAT, "the response is an SPDM ERROR (0x7F)");
    ENSURE_MSG(code == SPDM_MEASUREMENTS, WARD_ERR_FORMAT,
               "response code 0x%02x is not MEASUREMENTS (0x60)", code);
    ENSURE_MSG(version == r->spdm_version, WARD_ERR_MISMATCH,
               "response SPDM version 0x%02x differs from the request's 0x%02x", version,
               r->spdm_version);
    GUARD(ward_rd_u8(rd, &r->rsp_param1));
    GUARD(ward_rd_u8(rd, &r->rsp_param2));
    GUARD(ward_rd_u8(rd, &num_blocks));
    r->num_blocks = num_blocks;
    GUARD(ward_rd_u24le(rd, &record_len));
    SECTION(ward_rd_child(rd, &record, record_len), "measurement record of %u bytes", record_len);
    SECTION(record_parse(&record, r), "measurement record");
    GUARD(ward_rd_copy(rd, r->response_nonce, sizeof(r->response_nonce)));
    GUARD(ward_rd_u16le(rd, &opaque_len));
    SECTION(ward_rd_ptr(rd, &opaque, opaque_len), "opaque data of %u bytes", opaque_len);
    SECTION(
        ward_nv_opaque_parse(opaque, opaque_len, r->opaque, WARD_NVGPU_MAX_OPAQUE, &r->num_opaque),
        "opaque data");
    return WARD_OK;
}

static int report_parse(const uint8_t *p, size_t len, struct ward_nvgpu_report *out)
{
    struct ward_nvgpu_report r;
    struct ward_rd rd;

    memset(&r, 0, sizeof(r));
    ward_rd_init(&rd, p, len);
    SECTION(request_parse(&rd, &r), "GET_MEASUREMENTS request");
    SECTION(response_parse(&rd, &r), "MEASUREMENTS response");
    size_t left = ward_rd_left(&rd);
    ENSURE_MSG(left >= WARD_SPDM_SIG_LEN, WARD_ERR_TRUNCATED,
               "%zu byte(s) left for the %u-byte signature", left, WARD_SPDM_SIG_LEN);
    ENSURE_MSG(left == WARD_SPDM_SIG_LEN, WARD_ERR_TRAILING,
               "%zu unexpected trailing byte(s) after the %u-byte signature",
               left - WARD_SPDM_SIG_LEN, WARD_SPDM_SIG_LEN);
    r.signed_data = p;
    r.signed_len = len - left;
    GUARD(ward_rd_copy(&rd, r.signature, sizeof(r.signature)));
    GUARD(ward_rd_done(&rd, "report"));
    *out = r;
    return WARD_OK;
}

int ward_nvgpu_report_parse(const uint8_t *p, size_t len, struct ward_nvgpu_report *out)
{
    WARD_ASSERT((p != NULL || len == 0) && out != NULL);
    if (report_parse(p, len, out) != WARD_OK) {
        return ward_err_prefix("nvgpu report");
    }
    return WARD_OK;
}

/* ---- encode ---- */

/* Refuses what the parser would refuse in the request and the measurement record, so
 * that every encoding parses back; on success |out_len| is the record's length. */
static int encode_check(const struct ward_nvgpu_report *r, size_t *out_len)
{
    bool seen[256] = {false};
    size_t record_len = 0;

    ENSURE_MSG(version_known(r->spdm_version), WARD_ERR_USAGE, "cannot encode SPDM version 0x%02x",
               r->spdm_version);
    ENSURE_MSG((r->req_param1 & SPDM_ATTR_SIGNATURE) != 0, WARD_ERR_USAGE,
               "cannot encode a request that does not ask for a signature");
    ENSURE_MSG(r->num_blocks <= WARD_SPDM_MAX_BLOCKS, WARD_ERR_USAGE, "cannot encode %zu blocks",
               r->num_blocks);
    ENSURE_MSG(r->num_opaque <= WARD_NVGPU_MAX_OPAQUE, WARD_ERR_USAGE,
               "cannot encode %zu opaque fields", r->num_opaque);
    for (size_t i = 0; i < r->num_blocks; i++) {
        const struct ward_spdm_block *b = &r->blocks[i];
        ENSURE_MSG(b->index != 0 && !seen[b->index], WARD_ERR_USAGE,
                   "cannot encode block %zu: index %u is 0 or repeated", i + 1, b->index);
        seen[b->index] = true;
        ENSURE_MSG(b->spec == SPDM_SPEC_DMTF, WARD_ERR_USAGE,
                   "cannot encode block %zu: specification 0x%02x is not DMTF", i + 1, b->spec);
        ENSURE_MSG(b->value_len <= UINT16_MAX - DMTF_HEADER_LEN, WARD_ERR_USAGE,
                   "cannot encode block %zu: a %u-byte value does not fit", i + 1, b->value_len);
        WARD_ASSERT(b->value != NULL || b->value_len == 0);
        record_len += 4 + DMTF_HEADER_LEN + b->value_len;
    }
    ENSURE_MSG(record_len <= RECORD_MAX, WARD_ERR_USAGE,
               "cannot encode a %zu-byte measurement record", record_len);
    *out_len = record_len;
    return WARD_OK;
}

/* Writes the opaque area on its own and reads it back with the parser, so that its
 * rules (no repeated type, no NVDAOD magic, the 64 KiB length) hold for encodings too. */
static int opaque_encode(const struct ward_nvgpu_report *r, struct ward_buf *out)
{
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    struct ward_nv_opaque_field back[WARD_NVGPU_MAX_OPAQUE];
    size_t n;
    int rc = WARD_OK;

    ward_wr_init(&w, OPAQUE_MAX);
    for (size_t i = 0; i < r->num_opaque && rc == WARD_OK; i++) {
        const struct ward_nv_opaque_field *f = &r->opaque[i];
        WARD_ASSERT(f->value != NULL || f->len == 0);
        rc = ward_wr_u16le(&w, f->type);
        rc = rc != WARD_OK ? rc : ward_wr_u16le(&w, f->len);
        rc = rc != WARD_OK ? rc : ward_wr_bytes(&w, f->value, f->len);
    }
    if (rc == WARD_OK) {
        rc = ward_nv_opaque_parse(w.p, w.len, back, WARD_ARRAY_LEN(back), &n);
    }
    if (rc != WARD_OK) {
        char why[256];
        snprintf(why, sizeof(why), "%s", ward_err_detail());
        return ward_err_set(WARD_ERR_USAGE, "cannot encode the opaque data: %s", why);
    }
    ward_wr_finish(&w, out);
    return WARD_OK;
}

static int report_write(const struct ward_nvgpu_report *r, size_t record_len,
                        const struct ward_buf *opaque, struct ward_wr *w)
{
    GUARD(ward_wr_u8(w, r->spdm_version));
    GUARD(ward_wr_u8(w, SPDM_GET_MEASUREMENTS));
    GUARD(ward_wr_u8(w, r->req_param1));
    GUARD(ward_wr_u8(w, r->req_param2));
    GUARD(ward_wr_bytes(w, r->request_nonce, sizeof(r->request_nonce)));
    GUARD(ward_wr_u8(w, r->slot_id));

    GUARD(ward_wr_u8(w, r->spdm_version));
    GUARD(ward_wr_u8(w, SPDM_MEASUREMENTS));
    GUARD(ward_wr_u8(w, r->rsp_param1));
    GUARD(ward_wr_u8(w, r->rsp_param2));
    GUARD(ward_wr_u8(w, (uint8_t)r->num_blocks));
    GUARD(ward_wr_u24le(w, (uint32_t)record_len));
    for (size_t i = 0; i < r->num_blocks; i++) {
        const struct ward_spdm_block *b = &r->blocks[i];
        GUARD(ward_wr_u8(w, b->index));
        GUARD(ward_wr_u8(w, b->spec));
        GUARD(ward_wr_u16le(w, (uint16_t)(DMTF_HEADER_LEN + b->value_len)));
        GUARD(ward_wr_u8(w, b->value_type));
        GUARD(ward_wr_u16le(w, b->value_len));
        GUARD(ward_wr_bytes(w, b->value, b->value_len));
    }
    GUARD(ward_wr_bytes(w, r->response_nonce, sizeof(r->response_nonce)));
    GUARD(ward_wr_u16le(w, (uint16_t)opaque->len));
    GUARD(ward_wr_bytes(w, opaque->data, opaque->len));
    GUARD(ward_wr_bytes(w, r->signature, sizeof(r->signature)));
    return WARD_OK;
}

static int report_encode(const struct ward_nvgpu_report *r, struct ward_buf *out)
{
    DEFER(ward_buf_cleanupp) struct ward_buf opaque = {0};
    size_t record_len = 0;

    GUARD(encode_check(r, &record_len));
    GUARD(opaque_encode(r, &opaque));
    size_t len =
        WARD_SPDM_REQUEST_LEN + 8 + record_len + NONCE_LEN + 2 + opaque.len + WARD_SPDM_SIG_LEN;
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, len);
    GUARD(report_write(r, record_len, &opaque, &w));
    WARD_ASSERT(w.len == len);
    ward_wr_finish(&w, out);
    return WARD_OK;
}

int ward_nvgpu_report_encode(const struct ward_nvgpu_report *r, struct ward_buf *out)
{
    WARD_ASSERT(r != NULL && out != NULL);
    if (report_encode(r, out) != WARD_OK) {
        return ward_err_prefix("nvgpu report");
    }
    return WARD_OK;
}
