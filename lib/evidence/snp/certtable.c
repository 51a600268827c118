/*
 * lib/evidence/snp/certtable.c: the certificate table of SNP_GET_EXT_REPORT
 * (SEV-SNP firmware ABI, "SNP_GET_EXT_REPORT", and the Linux sev-guest / configfs-tsm
 * auxblob). The table is an array of entries
 *     GUID [16] | OFFSET u32le | LENGTH u32le
 * terminated by an all-zero entry; OFFSET is from the start of the table, and the
 * certificates follow the table.
 */
#include <string.h>

#include "base/internal.h"
#include "ward/snp.h"

#define ENTRY_LEN 24u

/* GUIDs in their stored (EFI, mixed-endian) byte order. */
static const struct {
    enum ward_snp_cert_kind kind;
    uint8_t guid[16];
} known[] = {
    /* 63da758d-e664-4564-adc5-f4b93be8accd */
    {WARD_SNP_CERT_VCEK,
     {0x8d, 0x75, 0xda, 0x63, 0x64, 0xe6, 0x64, 0x45, 0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac,
      0xcd}},
    /* a8074bc2-a25a-483e-aae6-39c045a0b8a1 */
    {WARD_SNP_CERT_VLEK,
     {0xc2, 0x4b, 0x07, 0xa8, 0x5a, 0xa2, 0x3e, 0x48, 0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8,
      0xa1}},
    /* 4ab7b379-bbac-4fe4-a02f-05aef327c782 */
    {WARD_SNP_CERT_ASK,
     {0x79, 0xb3, 0xb7, 0x4a, 0xac, 0xbb, 0xe4, 0x4f, 0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7,
      0x82}},
    /* c0b406a4-a803-4952-9743-3fb6014cd0ae */
    {WARD_SNP_CERT_ARK,
     {0xa4, 0x06, 0xb4, 0xc0, 0x03, 0xa8, 0x52, 0x49, 0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0,
      0xae}},
};

static enum ward_snp_cert_kind kind_of(const uint8_t guid[16])
{
    for (size_t i = 0; i < WARD_ARRAY_LEN(known); i++) {
        if (memcmp(guid, known[i].guid, 16) == 0) {
            return known[i].kind;
        }
    }
    return WARD_SNP_CERT_OTHER;
}

static const uint8_t *guid_of(enum ward_snp_cert_kind kind)
{
    for (size_t i = 0; i < WARD_ARRAY_LEN(known); i++) {
        if (known[i].kind == kind) {
            return known[i].guid;
        }
    }
    return NULL;
}

int ward_snp_cert_table_parse(const uint8_t *p, size_t len, struct ward_snp_cert_table *out)
{
    struct ward_snp_cert_table t;
    struct ward_rd all, rd;
    bool terminated = false;
    size_t header_len;

    memset(&t, 0, sizeof(t));
    ward_rd_init(&all, p, len);
    rd = all;
    while (!terminated) {
        uint8_t guid[16];
        uint32_t off, n;
        GUARD(ward_rd_copy(&rd, guid, sizeof(guid)));
        GUARD(ward_rd_u32le(&rd, &off));
        GUARD(ward_rd_u32le(&rd, &n));
        if (ward_is_zero(guid, sizeof(guid)) && off == 0 && n == 0) {
            terminated = true;
            break;
        }
        ENSURE_MSG(t.num_entries < WARD_SNP_CERT_TABLE_MAX, WARD_ERR_FORMAT,
                   "snp cert table: more than %d entries", WARD_SNP_CERT_TABLE_MAX);
        struct ward_snp_cert_entry *e = &t.entries[t.num_entries++];
        memcpy(e->guid, guid, sizeof(guid));
        e->kind = kind_of(guid);
        struct ward_rd cert;
        int rc = ward_rd_at(&all, off, n, &cert);
        if (rc != WARD_OK) {
            return ward_err_set(
                WARD_ERR_FORMAT,
                "snp cert table: entry %zu (offset %u, length %u) is outside the %zu-byte table",
                t.num_entries - 1, off, n, len);
        }
        ENSURE_MSG(n > 0, WARD_ERR_FORMAT, "snp cert table: entry %zu is empty", t.num_entries - 1);
        e->der = cert.p;
        e->der_len = n;
    }
    header_len = len - ward_rd_left(&rd);
    for (size_t i = 0; i < t.num_entries; i++) {
        size_t off = (size_t)(t.entries[i].der - p);
        ENSURE_MSG(off >= header_len, WARD_ERR_FORMAT,
                   "snp cert table: entry %zu overlaps the table header", i);
        for (size_t j = 0; j < i; j++) {
            ENSURE_MSG(memcmp(t.entries[i].guid, t.entries[j].guid, 16) != 0, WARD_ERR_FORMAT,
                       "snp cert table: GUID of entry %zu repeats entry %zu", i, j);
        }
    }
    *out = t;
    return WARD_OK;
}

int ward_snp_cert_table_encode(const struct ward_snp_cert_entry *entries, size_t num,
                               struct ward_buf *out)
{
    struct ward_wr w;
    ENSURE(num <= WARD_SNP_CERT_TABLE_MAX, WARD_ERR_USAGE);
    size_t off = (num + 1) * ENTRY_LEN;
    ward_wr_init(&w, 1u << 20);
    int rc = WARD_OK;
    for (size_t i = 0; i < num && rc == WARD_OK; i++) {
        const uint8_t *guid =
            entries[i].kind == WARD_SNP_CERT_OTHER ? entries[i].guid : guid_of(entries[i].kind);
        if ((rc = ward_wr_bytes(&w, guid, 16)) == WARD_OK &&
            (rc = ward_wr_u32le(&w, (uint32_t)off)) == WARD_OK) {
            rc = ward_wr_u32le(&w, (uint32_t)entries[i].der_len);
        }
        off += entries[i].der_len;
    }
    if (rc == WARD_OK) {
        rc = ward_wr_zeros(&w, ENTRY_LEN);
    }
    for (size_t i = 0; i < num && rc == WARD_OK; i++) {
        rc = ward_wr_bytes(&w, entries[i].der, entries[i].der_len);
    }
    if (rc == WARD_OK) {
        ward_wr_finish(&w, out);
    }
    ward_wr_cleanup(&w);
    return rc;
}
