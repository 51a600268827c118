/* lib/crypto/x509.c: certificates and CRLs. Strict parsing (DER or PEM, nothing
 * left over), fingerprints, names, extensions, and path validation against pinned
 * roots at an explicit time. Path building, CRL matching and every signature check
 * are OpenSSL's; ward only decides what is trusted, when, and how errors read. */
#include <limits.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "base/internal.h"
#include "ward/crypto.h"

_Static_assert(sizeof(time_t) >= 8, "ward needs a 64-bit time_t");

/* Largest certificate or CRL input accepted (DER or PEM text). */
#define MAX_INPUT_LEN (16u << 20)
/* Most certificates ward_x509_parse_all takes from one input. */
#define MAX_CERTS 64

static void store_freep(X509_STORE **p)
{
    X509_STORE_free(*p);
}
static void store_ctx_freep(X509_STORE_CTX **p)
{
    X509_STORE_CTX_free(*p);
}
static void asn1_obj_freep(ASN1_OBJECT **p)
{
    ASN1_OBJECT_free(*p);
}
static void ossl_str_freep(char **p)
{
    OPENSSL_free(*p);
}
static void ossl_bytes_freep(unsigned char **p)
{
    OPENSSL_free(*p);
}
static void x509_stack_freep(STACK_OF(X509) **p)
{
    sk_X509_pop_free(*p, X509_free);
}

/* ---- messages ---- */

/* Copies |len| untrusted bytes into |out| for a message: printable ASCII is kept,
 * anything else becomes '?', and the result is truncated to fit. */
static void printable(const uint8_t *p, size_t len, char *out, size_t out_len)
{
    size_t n = len < out_len - 1 ? len : out_len - 1;
    for (size_t i = 0; i < n; i++) {
        out[i] = p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' ? (char)p[i] : '?';
    }
    out[n] = '\0';
}

/* Writes |cert|'s subject CN, made printable, into |out|, or a placeholder. */
static void cn_for_msg(X509 *cert, char *out, size_t out_len)
{
    if (cert == NULL) {
        snprintf(out, out_len, "(unknown)");
        return;
    }
    const X509_NAME *name = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx < 0) {
        snprintf(out, out_len, "(no CN)");
        return;
    }
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    printable(ASN1_STRING_get0_data(v), (size_t)ASN1_STRING_length(v), out, out_len);
}

/* Writes |cert|'s serial number in hex ("0x20001") into |out|. */
static void serial_for_msg(X509 *cert, char *out, size_t out_len)
{
    snprintf(out, out_len, "?");
    if (cert == NULL) {
        return;
    }
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (hex != NULL) {
        snprintf(out, out_len, "0x%s", hex);
    }
    OPENSSL_free(hex);
    BN_free(bn);
}

/* ---- parsing ---- */

/* One kind of DER object that may also arrive as PEM. */
struct der_kind {
    const char *what;      /* for messages: "certificate", "CRL" */
    const char *pem_label; /* the PEM label OpenSSL writes */
    const char *pem_alt;   /* an older label with the same body, or NULL */
    ASN1_ITEM_EXP *item;   /* the ASN.1 template that decodes it */
};

static const struct der_kind cert_kind = {"certificate", PEM_STRING_X509, PEM_STRING_X509_OLD,
                                          ASN1_ITEM_ref(X509)};
static const struct der_kind crl_kind = {"CRL", PEM_STRING_X509_CRL, NULL, ASN1_ITEM_ref(X509_CRL)};

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Returns the number of leading whitespace bytes in |p|. */
static size_t space_len(const uint8_t *p, size_t len)
{
    size_t i = 0;
    while (i < len && is_space(p[i])) {
        i++;
    }
    return i;
}

/* Reports whether |p| is a PEM block (optionally after whitespace). */
static bool starts_pem(const uint8_t *p, size_t len)
{
    static const char begin[] = "-----BEGIN ";
    size_t i = space_len(p, len);
    return len - i >= sizeof(begin) - 1 && memcmp(p + i, begin, sizeof(begin) - 1) == 0;
}

/* Decodes exactly one DER |kind| object from all |len| bytes of |p|. */
static int parse_der(const struct der_kind *kind, const uint8_t *p, size_t len, ASN1_VALUE **out)
{
    ENSURE_MSG(len > 0, WARD_ERR_TRUNCATED, "%s: empty input", kind->what);
    ENSURE_MSG(len <= MAX_INPUT_LEN, WARD_ERR_NOMEM,
               "%s: input of %zu bytes is over the %u-byte limit", kind->what, len, MAX_INPUT_LEN);
    const unsigned char *q = p;
    ASN1_VALUE *v = ASN1_item_d2i(NULL, &q, (long)len, ASN1_ITEM_ptr(kind->item));
    if (v == NULL) {
        (void)ward_ossl_fail(WARD_ERR_FORMAT, "ASN1_item_d2i");
        return ward_err_set(WARD_ERR_FORMAT, "%s: not valid DER", kind->what);
    }
    size_t used = (size_t)(q - p);
    if (used != len) {
        ASN1_item_free(v, ASN1_ITEM_ptr(kind->item));
        return ward_err_set(WARD_ERR_TRAILING, "%s: %zu unexpected byte(s) after the %zu-byte DER",
                            kind->what, len - used, used);
    }
    *out = v;
    return WARD_OK;
}

/* Reads the next PEM block of |kind| from |bio| (no encryption headers) and decodes
 * its body strictly. */
static int parse_pem_block(const struct der_kind *kind, BIO *bio, ASN1_VALUE **out)
{
    DEFER(ossl_str_freep) char *name = NULL;
    DEFER(ossl_str_freep) char *header = NULL;
    DEFER(ossl_bytes_freep) unsigned char *data = NULL;
    long len = 0;
    if (PEM_read_bio(bio, &name, &header, &data, &len) != 1) {
        (void)ward_ossl_fail(WARD_ERR_FORMAT, "PEM_read_bio");
        return ward_err_set(WARD_ERR_FORMAT, "%s: malformed PEM", kind->what);
    }
    bool label_ok = strcmp(name, kind->pem_label) == 0 ||
                    (kind->pem_alt != NULL && strcmp(name, kind->pem_alt) == 0);
    if (!label_ok) {
        char shown[48];
        printable((const uint8_t *)name, strlen(name), shown, sizeof(shown));
        return ward_err_set(WARD_ERR_FORMAT, "%s: PEM block is \"%s\", expected \"%s\"", kind->what,
                            shown, kind->pem_label);
    }
    ENSURE_MSG(header[0] == '\0', WARD_ERR_FORMAT, "%s: PEM headers (encryption) are not supported",
               kind->what);
    return parse_der(kind, data, (size_t)len, out);
}

/* Returns the bytes |bio| has not read yet, after skipping whitespace. */
static size_t pem_left(BIO *bio, const uint8_t **out)
{
    char *rest = NULL;
    long n = BIO_get_mem_data(bio, &rest);
    if (n <= 0 || rest == NULL) {
        *out = NULL;
        return 0;
    }
    size_t skip = space_len((const uint8_t *)rest, (size_t)n);
    *out = (const uint8_t *)rest + skip;
    return (size_t)n - skip;
}

/* Parses one |kind| object, DER or PEM, that must fill all of |p|. */
static int parse_one(const struct der_kind *kind, const uint8_t *p, size_t len, ASN1_VALUE **out)
{
    WARD_ASSERT(out != NULL && (p != NULL || len == 0));
    if (!starts_pem(p, len)) {
        return parse_der(kind, p, len, out);
    }
    ENSURE_MSG(len <= MAX_INPUT_LEN, WARD_ERR_NOMEM,
               "%s: input of %zu bytes is over the %u-byte limit", kind->what, len, MAX_INPUT_LEN);
    DEFER(ward_bio_freep) BIO *bio = BIO_new_mem_buf(p, (int)len);
    GUARD_PTR(bio);
    ASN1_VALUE *v = NULL;
    GUARD(parse_pem_block(kind, bio, &v));
    const uint8_t *rest;
    size_t left = pem_left(bio, &rest);
    if (left > 0) {
        ASN1_item_free(v, ASN1_ITEM_ptr(kind->item));
        return ward_err_set(WARD_ERR_TRAILING, "%s: %zu unexpected byte(s) after the PEM block",
                            kind->what, left);
    }
    *out = v;
    return WARD_OK;
}

int ward_x509_parse(const uint8_t *p, size_t len, X509 **out)
{
    ASN1_VALUE *v = NULL;
    GUARD(parse_one(&cert_kind, p, len, &v));
    *out = (X509 *)v;
    return WARD_OK;
}

int ward_crl_parse(const uint8_t *p, size_t len, X509_CRL **out)
{
    ASN1_VALUE *v = NULL;
    GUARD(parse_one(&crl_kind, p, len, &v));
    *out = (X509_CRL *)v;
    return WARD_OK;
}

/* Appends every PEM certificate in |p| to |tmp|; only whitespace may surround them. */
static int parse_pem_certs(const uint8_t *p, size_t len, STACK_OF(X509) *tmp)
{
    ENSURE_MSG(len <= MAX_INPUT_LEN, WARD_ERR_NOMEM,
               "certificates: input of %zu bytes is over the %u-byte limit", len, MAX_INPUT_LEN);
    DEFER(ward_bio_freep) BIO *bio = BIO_new_mem_buf(p, (int)len);
    GUARD_PTR(bio);
    for (;;) {
        const uint8_t *rest;
        size_t left = pem_left(bio, &rest);
        if (left == 0) {
            return WARD_OK;
        }
        ENSURE_MSG(starts_pem(rest, left), WARD_ERR_TRAILING,
                   "certificates: %zu unexpected byte(s) after certificate %d", left,
                   sk_X509_num(tmp));
        ENSURE_MSG(sk_X509_num(tmp) < MAX_CERTS, WARD_ERR_NOMEM,
                   "certificates: more than %d in one input", MAX_CERTS);
        ASN1_VALUE *v = NULL;
        int rc = parse_pem_block(&cert_kind, bio, &v);
        if (rc != WARD_OK) {
            return ward_err_prefix("PEM block %d", sk_X509_num(tmp));
        }
        if (sk_X509_push(tmp, (X509 *)v) <= 0) {
            X509_free((X509 *)v);
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
}

int ward_x509_parse_all(const uint8_t *p, size_t len, STACK_OF(X509) *stack)
{
    WARD_ASSERT(stack != NULL && (p != NULL || len == 0));
    DEFER(x509_stack_freep) STACK_OF(X509) *tmp = sk_X509_new_null();
    GUARD_PTR(tmp);
    if (starts_pem(p, len)) {
        GUARD(parse_pem_certs(p, len, tmp));
    } else {
        X509 *cert = NULL;
        GUARD(ward_x509_parse(p, len, &cert));
        if (sk_X509_push(tmp, cert) <= 0) {
            X509_free(cert);
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    ENSURE_MSG(sk_X509_num(tmp) > 0, WARD_ERR_NOT_FOUND, "certificates: the input holds none");
    /* Reserve first so that |stack| is untouched unless every push succeeds. */
    GUARD_OSSL(sk_X509_reserve(stack, sk_X509_num(stack) + sk_X509_num(tmp)), WARD_ERR_NOMEM);
    while (sk_X509_num(tmp) > 0) {
        int pushed = sk_X509_push(stack, sk_X509_shift(tmp));
        WARD_ASSERT(pushed > 0); /* cannot fail after the reserve */
    }
    return WARD_OK;
}

/* ---- fields ---- */

int ward_x509_sha256(X509 *cert, uint8_t out[32])
{
    WARD_ASSERT(cert != NULL && out != NULL);
    DEFER(ossl_bytes_freep) unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    GUARD_OSSL(len, WARD_ERR_CRYPTO);
    return ward_digest(WARD_SHA256, der, (size_t)len, out);
}

/* Copies the one commonName of |name| into |out|; |which| names it in errors. */
static int name_cn(const X509_NAME *name, const char *which, char *out, size_t out_len)
{
    WARD_ASSERT(out != NULL && out_len > 0);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    ENSURE_MSG(idx >= 0, WARD_ERR_NOT_FOUND, "certificate %s has no commonName", which);
    ENSURE_MSG(X509_NAME_get_index_by_NID(name, NID_commonName, idx) < 0, WARD_ERR_FORMAT,
               "certificate %s has more than one commonName", which);
    const ASN1_STRING *v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
    DEFER(ossl_bytes_freep) unsigned char *utf8 = NULL;
    int n = ASN1_STRING_to_UTF8(&utf8, v);
    if (n < 0) {
        (void)ward_ossl_fail(WARD_ERR_FORMAT, "ASN1_STRING_to_UTF8");
        return ward_err_set(WARD_ERR_FORMAT, "certificate %s commonName is not a valid string",
                            which);
    }
    ENSURE_MSG(memchr(utf8, 0, (size_t)n) == NULL, WARD_ERR_FORMAT,
               "certificate %s commonName contains a NUL byte", which);
    ENSURE_MSG((size_t)n < out_len, WARD_ERR_NOMEM,
               "certificate %s commonName of %d bytes does not fit in %zu", which, n, out_len - 1);
    memcpy(out, utf8, (size_t)n);
    out[n] = '\0';
    return WARD_OK;
}

int ward_x509_subject_cn(X509 *cert, char *out, size_t out_len)
{
    WARD_ASSERT(cert != NULL);
    return name_cn(X509_get_subject_name(cert), "subject", out, out_len);
}

int ward_x509_issuer_cn(X509 *cert, char *out, size_t out_len)
{
    WARD_ASSERT(cert != NULL);
    return name_cn(X509_get_issuer_name(cert), "issuer", out, out_len);
}

int ward_x509_ext_data(X509 *cert, const char *oid, const uint8_t **out, size_t *out_len)
{
    WARD_ASSERT(cert != NULL && oid != NULL && out != NULL && out_len != NULL);
    char shown[64];
    printable((const uint8_t *)oid, strlen(oid), shown, sizeof(shown));
    DEFER(asn1_obj_freep) ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    if (obj == NULL) {
        (void)ward_ossl_fail(WARD_ERR_USAGE, "OBJ_txt2obj");
        return ward_err_set(WARD_ERR_USAGE, "\"%s\" is not a dotted OID", shown);
    }
    int idx = X509_get_ext_by_OBJ(cert, obj, -1);
    ENSURE_MSG(idx >= 0, WARD_ERR_NOT_FOUND, "certificate has no extension %s", shown);
    ENSURE_MSG(X509_get_ext_by_OBJ(cert, obj, idx) < 0, WARD_ERR_FORMAT,
               "certificate has extension %s more than once", shown);
    const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
    *out = ASN1_STRING_get0_data(v);
    *out_len = (size_t)ASN1_STRING_length(v);
    return WARD_OK;
}

/* ---- chain verification ---- */

/* OpenSSL calls this on every problem it finds; returning 1 lets it carry on. The
 * only problem ward forgives is a missing CRL: always for the trust anchor (nobody
 * above it could revoke it), and for every certificate when CRLs are optional. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    if (ok) {
        return ok;
    }
    if (X509_STORE_CTX_get_error(ctx) != X509_V_ERR_UNABLE_TO_GET_CRL) {
        return 0;
    }
    const struct ward_chain_opts *opts = X509_STORE_CTX_get_app_data(ctx);
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(ctx);
    bool anchor = chain != NULL && X509_STORE_CTX_get_error_depth(ctx) == sk_X509_num(chain) - 1;
    return !opts->crl_required || anchor;
}

/* Maps the failure recorded in |ctx| to a ward code and a message that names the
 * certificate, its depth (0 = leaf) and OpenSSL's reason. */
static int chain_error(X509_STORE_CTX *ctx)
{
    int err = X509_STORE_CTX_get_error(ctx);
    int code;
    switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
        code = WARD_ERR_EXPIRED;
        break;
    case X509_V_ERR_CERT_REVOKED:
        code = WARD_ERR_REVOKED;
        break;
    case X509_V_ERR_OUT_OF_MEM:
        code = WARD_ERR_NOMEM;
        break;
    default:
        code = WARD_ERR_CHAIN;
        break;
    }
    X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
    char cn[80];
    char serial[80];
    cn_for_msg(cert, cn, sizeof(cn));
    serial_for_msg(cert, serial, sizeof(serial));
    bool about_crl = err == X509_V_ERR_CRL_HAS_EXPIRED || err == X509_V_ERR_CRL_NOT_YET_VALID ||
                     err == X509_V_ERR_UNABLE_TO_GET_CRL || err == X509_V_ERR_CRL_SIGNATURE_FAILURE;
    (void)ward_ossl_fail(code, "X509_verify_cert"); /* drains the queue into the debug log */
    return ward_err_set(code, "certificate chain: %s\"%s\" (serial %s) at depth %d: %s",
                        about_crl ? "CRL covering " : "", cn, serial,
                        X509_STORE_CTX_get_error_depth(ctx), X509_verify_cert_error_string(err));
}

int ward_x509_verify_chain(X509 *leaf, STACK_OF(X509) *intermediates, STACK_OF(X509) *roots,
                           const struct ward_chain_opts *opts)
{
    WARD_ASSERT(leaf != NULL && roots != NULL && opts != NULL);
    ENSURE_MSG(sk_X509_num(roots) > 0, WARD_ERR_USAGE, "certificate chain: no trusted roots given");

    /* A fresh store with no lookup methods: the roots given are the only anchors,
     * and nothing is read from the system's certificate directories. */
    DEFER(store_freep) X509_STORE *store = X509_STORE_new();
    GUARD_PTR(store);
    for (int i = 0; i < sk_X509_num(roots); i++) {
        X509 *root = sk_X509_value(roots, i);
        WARD_ASSERT(root != NULL);
        GUARD_OSSL(X509_STORE_add_cert(store, root), WARD_ERR_CRYPTO);
    }

    DEFER(store_ctx_freep) X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    GUARD_PTR(ctx);
    GUARD_OSSL(X509_STORE_CTX_init(ctx, store, leaf, intermediates), WARD_ERR_CRYPTO);

    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)opts->at); /* sets USE_CHECK_TIME */
    unsigned long flags = X509_V_FLAG_USE_CHECK_TIME;
    if (opts->crls != NULL || opts->crl_required) {
        flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
    }
    GUARD_OSSL(X509_VERIFY_PARAM_set_flags(param, flags), WARD_ERR_CRYPTO);
    /* Never accept a chain that stops at an untrusted intermediate. */
    GUARD_OSSL(X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_PARTIAL_CHAIN), WARD_ERR_CRYPTO);
    if (opts->crls != NULL) {
        X509_STORE_CTX_set0_crls(ctx, opts->crls); /* borrowed, not owned */
    }
    if (opts->purpose != 0 && X509_STORE_CTX_set_purpose(ctx, opts->purpose) != 1) {
        (void)ward_ossl_fail(WARD_ERR_USAGE, "X509_STORE_CTX_set_purpose");
        return ward_err_set(WARD_ERR_USAGE, "certificate chain: unknown purpose %d", opts->purpose);
    }
    GUARD_OSSL(X509_STORE_CTX_set_app_data(ctx, (void *)opts), WARD_ERR_CRYPTO);
    X509_STORE_CTX_set_verify_cb(ctx, verify_cb);

    if (X509_verify_cert(ctx) != 1) {
        return chain_error(ctx);
    }
    return WARD_OK;
}
