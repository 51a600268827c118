/*
 * lib/evidence/snp/certext.c: AMD's VCEK/VLEK certificate extensions (AMD
 * "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface
 * Specification", Table "VCEK Certificate Extensions"), under 1.3.6.1.4.1.3704.1:
 *   .1 structVersion INTEGER     .2 productName IA5String   .3.1 blSPL INTEGER
 *   .3.2 teeSPL INTEGER          .3.3 snpSPL INTEGER        .3.4-.3.7 spl_4..7 INTEGER
 *   .3.8 ucodeSPL INTEGER        .3.9 fmcSPL INTEGER (Turin)
 *   .4 hwID (64 raw bytes; 8 on Turin)                      .5 csp_id IA5String (VLEK)
 * DER decoding is OpenSSL's; we check that each value is exactly one element.
 */
#include <string.h>

#include <openssl/asn1.h>

#include "base/internal.h"
#include "ward/crypto.h"
#include "ward/snp.h"

#define AMD_OID "1.3.6.1.4.1.3704.1."

/* Looks up an AMD extension; *found is false when absent. */
static int ext(X509 *cert, const char *suffix, const uint8_t **p, size_t *len, bool *found)
{
    char oid[64];
    snprintf(oid, sizeof(oid), AMD_OID "%s", suffix);
    int rc = ward_x509_ext_data(cert, oid, p, len);
    if (rc == WARD_ERR_NOT_FOUND) {
        ward_err_clear();
        *found = false;
        return WARD_OK;
    }
    GUARD(rc);
    *found = true;
    return WARD_OK;
}

static int ext_int(X509 *cert, const char *suffix, const char *name, int64_t max, bool *found,
                   int64_t *out)
{
    const uint8_t *p;
    size_t len;
    GUARD(ext(cert, suffix, &p, &len, found));
    if (!*found) {
        return WARD_OK;
    }
    const unsigned char *q = p;
    ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &q, (long)len);
    ENSURE_MSG(ai != NULL, WARD_ERR_FORMAT, "%s extension is not a DER INTEGER", name);
    int64_t v = 0;
    int ok = ASN1_INTEGER_get_int64(&v, ai);
    ASN1_INTEGER_free(ai);
    ENSURE_MSG((size_t)(q - p) == len, WARD_ERR_TRAILING, "%s extension has trailing bytes", name);
    ENSURE_MSG(ok == 1 && v >= 0 && v <= max, WARD_ERR_FORMAT, "%s extension is out of range",
               name);
    *out = v;
    return WARD_OK;
}

static int ext_ia5(X509 *cert, const char *suffix, const char *name, char *out, size_t out_len)
{
    const uint8_t *p;
    size_t len;
    bool found;
    out[0] = '\0';
    GUARD(ext(cert, suffix, &p, &len, &found));
    if (!found) {
        return WARD_OK;
    }
    const unsigned char *q = p;
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &q, (long)len);
    ENSURE_MSG(s != NULL, WARD_ERR_FORMAT, "%s extension is not a DER IA5String", name);
    int n = ASN1_STRING_length(s);
    const unsigned char *d = ASN1_STRING_get0_data(s);
    bool printable = n >= 0 && (size_t)n < out_len;
    for (int i = 0; printable && i < n; i++) {
        printable = d[i] >= 0x20 && d[i] < 0x7f;
    }
    if (printable) {
        memcpy(out, d, (size_t)n);
        out[n] = '\0';
    }
    ASN1_IA5STRING_free(s);
    ENSURE_MSG((size_t)(q - p) == len, WARD_ERR_TRAILING, "%s extension has trailing bytes", name);
    ENSURE_MSG(printable, WARD_ERR_FORMAT, "%s extension is too long or not printable", name);
    return WARD_OK;
}

static int ext_spl(X509 *cert, const char *suffix, const char *name, bool *found, uint8_t *out)
{
    int64_t v = 0;
    GUARD(ext_int(cert, suffix, name, 255, found, &v));
    *out = (uint8_t)v;
    return WARD_OK;
}

int ward_snp_cert_ext_parse(X509 *cert, struct ward_snp_cert_ext *out)
{
    struct ward_snp_cert_ext e;
    bool f_bl, f_tee, f_snp, f_ucode, found;
    const uint8_t *p;
    size_t len;

    memset(&e, 0, sizeof(e));
    GUARD(ext_int(cert, "1", "structVersion", INT32_MAX, &e.has_struct_version, &e.struct_version));
    GUARD(ext_ia5(cert, "2", "productName", e.product_name, sizeof(e.product_name)));
    GUARD(ext_spl(cert, "3.1", "blSPL", &f_bl, &e.tcb.bootloader));
    GUARD(ext_spl(cert, "3.2", "teeSPL", &f_tee, &e.tcb.tee));
    GUARD(ext_spl(cert, "3.3", "snpSPL", &f_snp, &e.tcb.snp));
    GUARD(ext_spl(cert, "3.8", "ucodeSPL", &f_ucode, &e.tcb.microcode));
    GUARD(ext_spl(cert, "3.9", "fmcSPL", &e.has_fmc, &e.tcb.fmc));
    for (int i = 4; i <= 7; i++) {
        char sfx[8], name[16];
        uint8_t v;
        snprintf(sfx, sizeof(sfx), "3.%d", i);
        snprintf(name, sizeof(name), "spl_%d", i);
        GUARD(ext_spl(cert, sfx, name, &found, &v));
    }
    ENSURE_MSG(f_bl == f_tee && f_tee == f_snp && f_snp == f_ucode, WARD_ERR_FORMAT,
               "certificate has only some of the TCB (SPL) extensions");
    e.has_tcb = f_bl;

    GUARD(ext(cert, "4", &p, &len, &found));
    if (found) {
        struct ward_rd rd;
        ward_rd_init(&rd, p, len);
        /* Real VCEKs carry the raw bytes; accept a DER OCTET STRING wrapper as well. */
        if ((len == 66 || len == 10) && p[0] == 0x04 && p[1] == len - 2) {
            GUARD(ward_rd_skip(&rd, 2));
        }
        size_t n = ward_rd_left(&rd);
        ENSURE_MSG(n == 64 || n == 8, WARD_ERR_FORMAT,
                   "hwID extension is %zu bytes (expected 64 or 8)", n);
        GUARD(ward_rd_copy(&rd, e.hwid, n));
        e.hwid_len = n;
    }
    GUARD(ext_ia5(cert, "5", "csp_id", e.csp_id, sizeof(e.csp_id)));
    *out = e;
    return WARD_OK;
}

int ward_snp_cert_ext_parse_der(const uint8_t *p, size_t len, struct ward_snp_cert_ext *out)
{
    DEFER(ward_x509_freep) X509 *cert = NULL;
    GUARD(ward_x509_parse(p, len, &cert));
    return ward_snp_cert_ext_parse(cert, out);
}
