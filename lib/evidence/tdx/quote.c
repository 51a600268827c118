/*
 * lib/evidence/tdx/quote.c: Intel TDX DCAP quotes, versions 4 and 5 (Intel "TDX
 * DCAP Quoting Library API", Appendix "Quote Format"). All integers little-endian.
 *
 * Quote header (48 bytes):
 *   000 version u16 (4, 5)      002 att_key_type u16 (2)     004 tee_type u32 (0x81)
 *   008 qe_svn u16              00A pce_svn u16              00C qe_vendor_id [16]
 *   01C user_data [20]
 * v4: header || TD 1.0 body (584) || sig_data_len u32 || sig_data
 * v5: header || body_type u16 (2 TD 1.0, 3 TD 1.5) || body_size u32 (584, 648)
 *            || body || sig_data_len u32 || sig_data
 * TD report body:
 *   000 TEE_TCB_SVN [16]        010 MRSEAM [48]              040 MRSIGNERSEAM [48]
 *   070 SEAM_ATTRIBUTES u64     078 TD_ATTRIBUTES u64        080 XFAM u64
 *   088 MRTD [48]               0B8 MRCONFIGID [48]          0E8 MROWNER [48]
 *   118 MROWNERCONFIG [48]      148 RTMR0..RTMR3 [4 x 48]    208 REPORT_DATA [64]
 *   TD 1.5 only: 248 TEE_TCB_SVN2 [16]   258 MRSERVICETD [48], ending at 288.
 * sig_data (ECDSA-256-with-P-256 quote signature data), sig_data_len bytes:
 *   signature [64] (r || s) || attestation key [64] (x || y)
 *   || certification data: type u16 (6) || size u32 || data:
 *        QE report [384] || QE report signature [64] || qe_auth_size u16 || qe_auth_data
 *        || certification data: type u16 (5, PCK chain) || size u32 || PEM chain
 * The quote signature covers header || (v5: type, size) || body.
 *
 * Each length-prefixed element is read as a child reader that must be consumed
 * exactly. Bytes after sig_data must all be zero (buffers from the quote
 * generation service are often padded); they are counted in padding_len.
 */
#include <string.h>

#include "base/internal.h"
#include "ward/crypto.h"
#include "ward/tdx.h"

const uint8_t WARD_TDX_INTEL_QE_VENDOR_ID[16] = {0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
                                                 0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

#define SGX_BODY_TYPE 1u /* v5 body type of SGX enclave reports: not a TDX quote */

static bool version_known(uint16_t v)
{
    return v == 4 || v == 5;
}

static size_t body_len(enum ward_tdx_body_type type)
{
    return type == WARD_TDX_BODY_TD15 ? WARD_TDX_BODY15_LEN : WARD_TDX_BODY10_LEN;
}

/* ---- the SGX report body (384 bytes) ---- */

/*   000 CPUSVN [16]             010 MISCSELECT u32           014 reserved [12]
 *   020 ISVEXTPRODID [16]       030 ATTRIBUTES [16]          040 MRENCLAVE [32]
 *   060 reserved [32]           080 MRSIGNER [32]            0A0 reserved [32]
 *   0C0 CONFIGID [64]           100 ISVPRODID u16            102 ISVSVN u16
 *   104 CONFIGSVN u16           106 reserved [42]            130 ISVFAMILYID [16]
 *   140 REPORT_DATA [64], ending at 180.
 * Reserved bytes are kept as read (not checked), so parse and encode are exact
 * inverses; they are covered by the QE report signature. */
int ward_sgx_report_parse(const uint8_t *p, size_t len, struct ward_sgx_report *out)
{
    struct ward_sgx_report r;
    struct ward_rd rd;

    WARD_ASSERT((p != NULL || len == 0) && out != NULL);
    ENSURE_MSG(len >= WARD_TDX_QE_REPORT_LEN, WARD_ERR_TRUNCATED,
               "sgx report: %zu bytes, a report body is %u bytes", len, WARD_TDX_QE_REPORT_LEN);
    ward_rd_init(&rd, p, len);
    GUARD(ward_rd_copy(&rd, r.cpusvn, sizeof(r.cpusvn)));
    GUARD(ward_rd_u32le(&rd, &r.miscselect));
    GUARD(ward_rd_copy(&rd, r.reserved1, sizeof(r.reserved1)));
    GUARD(ward_rd_copy(&rd, r.isvextprodid, sizeof(r.isvextprodid)));
    GUARD(ward_rd_copy(&rd, r.attributes, sizeof(r.attributes)));
    GUARD(ward_rd_copy(&rd, r.mrenclave, sizeof(r.mrenclave)));
    GUARD(ward_rd_copy(&rd, r.reserved2, sizeof(r.reserved2)));
    GUARD(ward_rd_copy(&rd, r.mrsigner, sizeof(r.mrsigner)));
    GUARD(ward_rd_copy(&rd, r.reserved3, sizeof(r.reserved3)));
    GUARD(ward_rd_copy(&rd, r.configid, sizeof(r.configid)));
    GUARD(ward_rd_u16le(&rd, &r.isvprodid));
    GUARD(ward_rd_u16le(&rd, &r.isvsvn));
    GUARD(ward_rd_u16le(&rd, &r.configsvn));
    GUARD(ward_rd_copy(&rd, r.reserved4, sizeof(r.reserved4)));
    GUARD(ward_rd_copy(&rd, r.isvfamilyid, sizeof(r.isvfamilyid)));
    GUARD(ward_rd_copy(&rd, r.report_data, sizeof(r.report_data)));
    GUARD(ward_rd_done(&rd, "sgx report"));
    *out = r;
    return WARD_OK;
}

static int sgx_report_write(const struct ward_sgx_report *r, struct ward_wr *w)
{
    GUARD(ward_wr_bytes(w, r->cpusvn, sizeof(r->cpusvn)));
    GUARD(ward_wr_u32le(w, r->miscselect));
    GUARD(ward_wr_bytes(w, r->reserved1, sizeof(r->reserved1)));
    GUARD(ward_wr_bytes(w, r->isvextprodid, sizeof(r->isvextprodid)));
    GUARD(ward_wr_bytes(w, r->attributes, sizeof(r->attributes)));
    GUARD(ward_wr_bytes(w, r->mrenclave, sizeof(r->mrenclave)));
    GUARD(ward_wr_bytes(w, r->reserved2, sizeof(r->reserved2)));
    GUARD(ward_wr_bytes(w, r->mrsigner, sizeof(r->mrsigner)));
    GUARD(ward_wr_bytes(w, r->reserved3, sizeof(r->reserved3)));
    GUARD(ward_wr_bytes(w, r->configid, sizeof(r->configid)));
    GUARD(ward_wr_u16le(w, r->isvprodid));
    GUARD(ward_wr_u16le(w, r->isvsvn));
    GUARD(ward_wr_u16le(w, r->configsvn));
    GUARD(ward_wr_bytes(w, r->reserved4, sizeof(r->reserved4)));
    GUARD(ward_wr_bytes(w, r->isvfamilyid, sizeof(r->isvfamilyid)));
    GUARD(ward_wr_bytes(w, r->report_data, sizeof(r->report_data)));
    return WARD_OK;
}

void ward_sgx_report_encode(const struct ward_sgx_report *r, uint8_t out[WARD_TDX_QE_REPORT_LEN])
{
    struct ward_wr w;
    WARD_ASSERT(r != NULL && out != NULL);
    ward_wr_init_fixed(&w, out, WARD_TDX_QE_REPORT_LEN);
    int rc = sgx_report_write(r, &w);
    WARD_ASSERT(rc == WARD_OK && w.len == WARD_TDX_QE_REPORT_LEN); /* fixed size: cannot fail */
}

/* ---- parse ---- */

/* Named sections, so a message says where the quote went wrong. */
#define SECTION(call, what)                       \
    do {                                          \
        if ((call) != WARD_OK) {                  \
            return ward_err_prefix("%s", (what)); \
        }                                         \
    } while (0)

static int header_parse(struct ward_rd *rd, struct ward_tdx_header *h)
{
    GUARD(ward_rd_u16le(rd, &h->version));
    ENSURE_MSG(version_known(h->version), WARD_ERR_VERSION, "unsupported version %u (known: 4, 5)",
               h->version);
    GUARD(ward_rd_u16le(rd, &h->att_key_type));
    ENSURE_MSG(h->att_key_type == WARD_TDX_ATT_KEY_ECDSA_P256, WARD_ERR_FORMAT,
               "unsupported attestation key type %u (expected 2, ECDSA-256-with-P-256)",
               h->att_key_type);
    GUARD(ward_rd_u32le(rd, &h->tee_type));
    ENSURE_MSG(h->tee_type == WARD_TDX_TEE_TYPE, WARD_ERR_FORMAT, "TEE type 0x%x is not TDX (0x81)",
               h->tee_type);
    GUARD(ward_rd_u16le(rd, &h->qe_svn));
    GUARD(ward_rd_u16le(rd, &h->pce_svn));
    GUARD(ward_rd_copy(rd, h->qe_vendor_id, sizeof(h->qe_vendor_id)));
    GUARD(ward_rd_copy(rd, h->user_data, sizeof(h->user_data)));
    return WARD_OK;
}

/* v5 only: the body descriptor. */
static int body_type_parse(struct ward_rd *rd, enum ward_tdx_body_type *out)
{
    uint16_t type;
    uint32_t size;
    GUARD(ward_rd_u16le(rd, &type));
    ENSURE_MSG(type != SGX_BODY_TYPE, WARD_ERR_VERSION,
               "body type 1 (SGX enclave report) is not supported");
    ENSURE_MSG(type == WARD_TDX_BODY_TD10 || type == WARD_TDX_BODY_TD15, WARD_ERR_VERSION,
               "unsupported body type %u (known: 2 TD 1.0, 3 TD 1.5)", type);
    GUARD(ward_rd_u32le(rd, &size));
    ENSURE_MSG(size == body_len((enum ward_tdx_body_type)type), WARD_ERR_FORMAT,
               "body size %u does not match body type %u (expected %zu)", size, type,
               body_len((enum ward_tdx_body_type)type));
    *out = (enum ward_tdx_body_type)type;
    return WARD_OK;
}

static int body_parse(struct ward_rd *rd, struct ward_tdx_body *b)
{
    GUARD(ward_rd_copy(rd, b->tee_tcb_svn, sizeof(b->tee_tcb_svn)));
    GUARD(ward_rd_copy(rd, b->mrseam, sizeof(b->mrseam)));
    GUARD(ward_rd_copy(rd, b->mrsignerseam, sizeof(b->mrsignerseam)));
    GUARD(ward_rd_u64le(rd, &b->seam_attributes));
    GUARD(ward_rd_u64le(rd, &b->td_attributes));
    GUARD(ward_rd_u64le(rd, &b->xfam));
    GUARD(ward_rd_copy(rd, b->mrtd, sizeof(b->mrtd)));
    GUARD(ward_rd_copy(rd, b->mrconfigid, sizeof(b->mrconfigid)));
    GUARD(ward_rd_copy(rd, b->mrowner, sizeof(b->mrowner)));
    GUARD(ward_rd_copy(rd, b->mrownerconfig, sizeof(b->mrownerconfig)));
    for (size_t i = 0; i < WARD_ARRAY_LEN(b->rtmr); i++) {
        GUARD(ward_rd_copy(rd, b->rtmr[i], sizeof(b->rtmr[i])));
    }
    GUARD(ward_rd_copy(rd, b->report_data, sizeof(b->report_data)));
    if (b->type == WARD_TDX_BODY_TD15) {
        GUARD(ward_rd_copy(rd, b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2)));
        GUARD(ward_rd_copy(rd, b->mrservicetd, sizeof(b->mrservicetd)));
    }
    return WARD_OK;
}

/* Reads a certification data header (type u16, size u32) and splits off its data. */
static int cert_data_next(struct ward_rd *rd, uint16_t want, const char *what, struct ward_rd *out)
{
    uint16_t type;
    GUARD(ward_rd_u16le(rd, &type));
    ENSURE_MSG(type == want, WARD_ERR_FORMAT, "certification data type %u, expected %u (%s)", type,
               want, what);
    GUARD(ward_rd_child_u32le(rd, out));
    return WARD_OK;
}

/* The type-6 certification data: the QE report and the PCK chain that signs it. */
static int qe_cert_data_parse(struct ward_rd *rd, struct ward_tdx_quote *q)
{
    struct ward_rd auth, chain;
    uint16_t auth_len;

    GUARD(ward_rd_ptr(rd, &q->qe_report_raw, WARD_TDX_QE_REPORT_LEN));
    GUARD(ward_sgx_report_parse(q->qe_report_raw, WARD_TDX_QE_REPORT_LEN, &q->qe_report));
    GUARD(ward_rd_copy(rd, q->qe_report_sig, sizeof(q->qe_report_sig)));
    GUARD(ward_rd_u16le(rd, &auth_len));
    ENSURE_MSG(auth_len <= WARD_TDX_QE_AUTH_MAX, WARD_ERR_NOMEM,
               "QE authentication data of %u bytes is over the %u-byte limit", auth_len,
               WARD_TDX_QE_AUTH_MAX);
    GUARD(ward_rd_child(rd, &auth, auth_len));
    GUARD(ward_rd_ptr(&auth, &q->qe_auth_data, auth_len));
    q->qe_auth_len = auth_len;

    GUARD(cert_data_next(rd, WARD_TDX_CERT_DATA_PCK_CHAIN, "PCK certificate chain", &chain));
    q->pck_chain_len = ward_rd_left(&chain);
    ENSURE_MSG(q->pck_chain_len > 0, WARD_ERR_FORMAT, "PCK chain is empty");
    ENSURE_MSG(q->pck_chain_len <= WARD_TDX_PCK_CHAIN_MAX, WARD_ERR_NOMEM,
               "PCK chain of %zu bytes is over the %u-byte limit", q->pck_chain_len,
               WARD_TDX_PCK_CHAIN_MAX);
    GUARD(ward_rd_ptr(&chain, &q->pck_chain_pem, q->pck_chain_len));
    GUARD(ward_rd_done(rd, "QE certification data"));
    return WARD_OK;
}

static int sig_data_parse(struct ward_rd *rd, struct ward_tdx_quote *q)
{
    struct ward_rd qe;
    GUARD(ward_rd_copy(rd, q->signature, sizeof(q->signature)));
    GUARD(ward_rd_copy(rd, q->att_key, sizeof(q->att_key)));
    GUARD(cert_data_next(rd, WARD_TDX_CERT_DATA_QE_REPORT, "QE report certification data", &qe));
    SECTION(qe_cert_data_parse(&qe, q), "QE certification data");
    GUARD(ward_rd_done(rd, "signature data"));
    return WARD_OK;
}

/* Consumes the rest of |rd|, which must be zero padding. |quote_len| is where it starts. */
static int padding_parse(struct ward_rd *rd, size_t quote_len, size_t *out_len)
{
    size_t n = ward_rd_left(rd);
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        GUARD(ward_rd_u8(rd, &b));
        ENSURE_MSG(b == 0, WARD_ERR_TRAILING,
                   "byte 0x%02x at offset %zu, after the %zu-byte quote, is not zero padding", b,
                   quote_len + i, quote_len);
    }
    *out_len = n;
    return WARD_OK;
}

static int quote_parse(const uint8_t *p, size_t len, struct ward_tdx_quote *out)
{
    struct ward_tdx_quote q;
    struct ward_rd rd, sig;

    memset(&q, 0, sizeof(q));
    ward_rd_init(&rd, p, len);
    SECTION(header_parse(&rd, &q.header), "header");
    q.body.type = WARD_TDX_BODY_TD10;
    if (q.header.version == 5) {
        SECTION(body_type_parse(&rd, &q.body.type), "body descriptor");
    }
    SECTION(body_parse(&rd, &q.body), "report body");
    q.signed_data = p;
    q.signed_len = len - ward_rd_left(&rd);

    SECTION(ward_rd_child_u32le(&rd, &sig), "signature data");
    SECTION(sig_data_parse(&sig, &q), "signature data");
    q.quote_len = len - ward_rd_left(&rd);
    GUARD(padding_parse(&rd, q.quote_len, &q.padding_len));
    *out = q;
    return WARD_OK;
}

int ward_tdx_quote_parse(const uint8_t *p, size_t len, struct ward_tdx_quote *out)
{
    WARD_ASSERT((p != NULL || len == 0) && out != NULL);
    if (quote_parse(p, len, out) != WARD_OK) {
        return ward_err_prefix("tdx quote");
    }
    return WARD_OK;
}

/* ---- encode ---- */

static int body_write(const struct ward_tdx_body *b, struct ward_wr *w)
{
    GUARD(ward_wr_bytes(w, b->tee_tcb_svn, sizeof(b->tee_tcb_svn)));
    GUARD(ward_wr_bytes(w, b->mrseam, sizeof(b->mrseam)));
    GUARD(ward_wr_bytes(w, b->mrsignerseam, sizeof(b->mrsignerseam)));
    GUARD(ward_wr_u64le(w, b->seam_attributes));
    GUARD(ward_wr_u64le(w, b->td_attributes));
    GUARD(ward_wr_u64le(w, b->xfam));
    GUARD(ward_wr_bytes(w, b->mrtd, sizeof(b->mrtd)));
    GUARD(ward_wr_bytes(w, b->mrconfigid, sizeof(b->mrconfigid)));
    GUARD(ward_wr_bytes(w, b->mrowner, sizeof(b->mrowner)));
    GUARD(ward_wr_bytes(w, b->mrownerconfig, sizeof(b->mrownerconfig)));
    for (size_t i = 0; i < WARD_ARRAY_LEN(b->rtmr); i++) {
        GUARD(ward_wr_bytes(w, b->rtmr[i], sizeof(b->rtmr[i])));
    }
    GUARD(ward_wr_bytes(w, b->report_data, sizeof(b->report_data)));
    if (b->type == WARD_TDX_BODY_TD15) {
        GUARD(ward_wr_bytes(w, b->tee_tcb_svn2, sizeof(b->tee_tcb_svn2)));
        GUARD(ward_wr_bytes(w, b->mrservicetd, sizeof(b->mrservicetd)));
    }
    return WARD_OK;
}

/* Refuses what the parser would refuse, so that every encoding parses back. */
static int encode_check(const struct ward_tdx_quote *q)
{
    const struct ward_tdx_header *h = &q->header;
    ENSURE_MSG(version_known(h->version), WARD_ERR_USAGE, "tdx quote: cannot encode version %u",
               h->version);
    ENSURE_MSG(h->att_key_type == WARD_TDX_ATT_KEY_ECDSA_P256 && h->tee_type == WARD_TDX_TEE_TYPE,
               WARD_ERR_USAGE, "tdx quote: cannot encode key type %u, TEE type 0x%x",
               h->att_key_type, h->tee_type);
    ENSURE_MSG(q->body.type == WARD_TDX_BODY_TD10 ||
                   (q->body.type == WARD_TDX_BODY_TD15 && h->version == 5),
               WARD_ERR_USAGE, "tdx quote: cannot encode body type %d in a version %u quote",
               (int)q->body.type, h->version);
    ENSURE_MSG(q->body.type == WARD_TDX_BODY_TD15 ||
                   (ward_is_zero(q->body.tee_tcb_svn2, sizeof(q->body.tee_tcb_svn2)) &&
                    ward_is_zero(q->body.mrservicetd, sizeof(q->body.mrservicetd))),
               WARD_ERR_USAGE, "tdx quote: a TD 1.0 body cannot carry TD 1.5 fields");
    ENSURE_MSG(q->qe_auth_len <= WARD_TDX_QE_AUTH_MAX, WARD_ERR_USAGE,
               "tdx quote: QE authentication data of %zu bytes is over the %u-byte limit",
               q->qe_auth_len, WARD_TDX_QE_AUTH_MAX);
    ENSURE_MSG(q->pck_chain_len > 0 && q->pck_chain_len <= WARD_TDX_PCK_CHAIN_MAX, WARD_ERR_USAGE,
               "tdx quote: PCK chain of %zu bytes (1 to %u allowed)", q->pck_chain_len,
               WARD_TDX_PCK_CHAIN_MAX);
    WARD_ASSERT(q->qe_auth_data != NULL || q->qe_auth_len == 0);
    WARD_ASSERT(q->pck_chain_pem != NULL);
    return WARD_OK;
}

static int quote_write(const struct ward_tdx_quote *q, struct ward_wr *w)
{
    const struct ward_tdx_header *h = &q->header;
    uint8_t qe_report[WARD_TDX_QE_REPORT_LEN];
    size_t chain_data_len = 2 + 4 + q->pck_chain_len;
    size_t qe_data_len =
        sizeof(qe_report) + sizeof(q->qe_report_sig) + 2 + q->qe_auth_len + chain_data_len;
    size_t sig_data_len = sizeof(q->signature) + sizeof(q->att_key) + 2 + 4 + qe_data_len;

    GUARD(ward_wr_u16le(w, h->version));
    GUARD(ward_wr_u16le(w, h->att_key_type));
    GUARD(ward_wr_u32le(w, h->tee_type));
    GUARD(ward_wr_u16le(w, h->qe_svn));
    GUARD(ward_wr_u16le(w, h->pce_svn));
    GUARD(ward_wr_bytes(w, h->qe_vendor_id, sizeof(h->qe_vendor_id)));
    GUARD(ward_wr_bytes(w, h->user_data, sizeof(h->user_data)));
    if (h->version == 5) {
        GUARD(ward_wr_u16le(w, (uint16_t)q->body.type));
        GUARD(ward_wr_u32le(w, (uint32_t)body_len(q->body.type)));
    }
    GUARD(body_write(&q->body, w));

    GUARD(ward_wr_u32le(w, (uint32_t)sig_data_len));
    GUARD(ward_wr_bytes(w, q->signature, sizeof(q->signature)));
    GUARD(ward_wr_bytes(w, q->att_key, sizeof(q->att_key)));
    GUARD(ward_wr_u16le(w, WARD_TDX_CERT_DATA_QE_REPORT));
    GUARD(ward_wr_u32le(w, (uint32_t)qe_data_len));
    ward_sgx_report_encode(&q->qe_report, qe_report);
    GUARD(ward_wr_bytes(w, qe_report, sizeof(qe_report)));
    GUARD(ward_wr_bytes(w, q->qe_report_sig, sizeof(q->qe_report_sig)));
    GUARD(ward_wr_u16le(w, (uint16_t)q->qe_auth_len));
    GUARD(ward_wr_bytes(w, q->qe_auth_data, q->qe_auth_len));
    GUARD(ward_wr_u16le(w, WARD_TDX_CERT_DATA_PCK_CHAIN));
    GUARD(ward_wr_u32le(w, (uint32_t)q->pck_chain_len));
    GUARD(ward_wr_bytes(w, q->pck_chain_pem, q->pck_chain_len));
    return WARD_OK;
}

int ward_tdx_quote_encode(const struct ward_tdx_quote *q, struct ward_buf *out)
{
    WARD_ASSERT(q != NULL && out != NULL);
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, WARD_TDX_QUOTE_MAX);
    GUARD(encode_check(q));
    GUARD(quote_write(q, &w));
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* ---- the PCK chain ---- */

int ward_tdx_quote_pck_chain(const struct ward_tdx_quote *q, STACK_OF(X509) *stack)
{
    struct ward_rd rd, last;
    const uint8_t *pem;
    size_t len;
    uint8_t end;

    WARD_ASSERT(q != NULL && stack != NULL && q->pck_chain_pem != NULL);
    ward_rd_init(&rd, q->pck_chain_pem, q->pck_chain_len);
    len = ward_rd_left(&rd);
    ENSURE_MSG(len > 0, WARD_ERR_NOT_FOUND, "tdx quote: the PCK chain is empty");
    GUARD(ward_rd_at(&rd, len - 1, 1, &last));
    GUARD(ward_rd_u8(&last, &end));
    if (end == '\0') {
        len--; /* the QE writes the chain as a C string */
    }
    GUARD(ward_rd_ptr(&rd, &pem, len));
    if (ward_x509_parse_all(pem, len, stack) != WARD_OK) {
        return ward_err_prefix("tdx quote: PCK chain");
    }
    return WARD_OK;
}
