/*
 * tests/unit/test_rim.c: NVIDIA Reference Integrity Manifests (ward/rim.h) on the
 * real RIMs of tests/data/nvgpu-rim (PROVENANCE.md there): the GH100 driver RIM and
 * the NVSwitch BIOS RIM verify inside their signing certificates' validity, with
 * reject twins: NVIDIA's bad-signature, bad-chain and expired samples, a flipped
 * measurement digit, the active flag, the tag id, the signature algorithm and
 * reference, truncation, trailing bytes and every kind of DTD. RIMs signed here
 * with a test root (passed as an extra root) cover what no real sample can: a
 * signature over a fragment (URI="#id"), a missing URI, two references. Then the
 * comparison: the real NVSwitch report against the real NVSwitch RIM, and a built
 * report against the driver RIM, all matching, then one index changed or removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/x509v3.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/nvgpu.h"
#include "ward/rim.h"

#define DRIVER "NV_GPU_DRIVER_GH100_550.144.03.xml"
#define SWITCH "switchVBIOSRim_NV_SWITCH_BIOS_5612_0002_890_9610550001.xml"
#define BAD_SIG "incorrect_signature_driver_rim.xml"
#define BAD_CHAIN "incorrect_cert_chain_driver_rim.xml"
#define SWITCH_BAD_SIG "NV_SWITCH_BIOS_5612_0002_890_9610550001_invalid_signature.xml"
#define EXPIRED "NV_GPU_DRIVER_GH100_570.124.03_expired.xml"

/* Inside the signing certificates' validity (see PROVENANCE.md): the driver RIM's
 * leaf is valid 2024-12-30..2026-12-30, the NVSwitch RIM's 2026-05-20..2028-05-19,
 * the invalid-signature NVSwitch sample's 2024-05-20..2026-05-20, the bad-chain
 * sample's 2025-02-01..2027-02-01 and the expired sample's 2025-01-01..2025-01-02. */
#define DRIVER_AT "2025-06-01T00:00:00Z"
#define SWITCH_AT "2026-07-01T00:00:00Z"
#define EXPIRED_AT "2025-01-01T12:00:00Z"

#define DRIVER_TAG                                                                                 \
    "8aa5c875798aecff29b7e3ca2e564ccbda4d47c37276f44f927ffc2ca17d84b1ec3198c69854bbe1556270c1feb4" \
    "93cd"

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(path, sizeof(path), "%s/%s", d ? d : "tests/data", rel);
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static void load_rim(const char *name, struct ward_buf *out)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "nvgpu-rim/%s", name);
    load(rel, out);
}

static int64_t t(const char *s)
{
    int64_t v;
    assert_int_equal(ward_time_parse(s, &v), WARD_OK);
    return v;
}

/* Verifies an exact-size heap copy of |p| (ASan sees any over-read). */
static int verify_copy(const uint8_t *p, size_t len, int64_t at, STACK_OF(X509) *extra,
                       struct ward_rim **out)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, p, len);
    int rc = ward_rim_parse_verify(copy, len, at, extra, out);
    free(copy);
    return rc;
}

static int verify_file(const char *name, const char *at, struct ward_rim **out)
{
    struct ward_buf b = {0};
    load_rim(name, &b);
    int rc = verify_copy(b.data, b.len, t(at), NULL, out);
    ward_buf_cleanup(&b);
    return rc;
}

/* A copy of |b| as a NUL-terminated string, with the first occurrence of |from|
 * replaced by |to| (which must be there). */
static char *replace(const struct ward_buf *b, const char *from, const char *to)
{
    char *s = malloc(b->len + 1);
    assert_non_null(s);
    memcpy(s, b->data, b->len);
    s[b->len] = '\0';
    char *at = strstr(s, from);
    assert_non_null(at);
    size_t n = b->len - strlen(from) + strlen(to);
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t pre = (size_t)(at - s);
    memcpy(out, s, pre);
    memcpy(out + pre, to, strlen(to));
    strcpy(out + pre + strlen(to), at + strlen(from));
    free(s);
    return out;
}

/* Verifies |name| with |from| replaced by |to| at DRIVER_AT; returns the code. */
static int verify_edited(const char *name, const char *from, const char *to)
{
    struct ward_buf b = {0};
    struct ward_rim *rim = NULL;
    load_rim(name, &b);
    char *s = replace(&b, from, to);
    int rc = verify_copy((const uint8_t *)s, strlen(s), t(DRIVER_AT), NULL, &rim);
    assert_null(rim); /* every caller expects a failure */
    free(s);
    ward_buf_cleanup(&b);
    return rc;
}

static size_t count_active(const struct ward_rim *rim, size_t *out_values)
{
    size_t n = 0, v = 0;
    for (size_t i = 0; i < rim->num_measurements; i++) {
        if (rim->measurements[i].active) {
            n++;
            v += rim->measurements[i].num_values;
        }
    }
    *out_values = v;
    return n;
}

/* ---- the real RIMs ---- */

static void driver_verifies(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    size_t values;
    assert_int_equal(verify_file(DRIVER, DRIVER_AT, &rim), WARD_OK);
    assert_string_equal(rim->tag_id, DRIVER_TAG);
    assert_string_equal(rim->name, "GH100");
    assert_string_equal(rim->version, "1.0");
    assert_string_equal(rim->colloquial_version, "550.144.03");
    assert_string_equal(rim->signer, "HCC RIM L4 Signer");
    assert_false(rim->simulated);
    assert_int_equal(rim->num_measurements, 64);
    /* 14 indexes with one value, 5 with two, one with three, one with four. */
    assert_int_equal(count_active(rim, &values), 21);
    assert_int_equal(values, 14 + 5 * 2 + 3 + 4);
    for (size_t i = 0; i < rim->num_measurements; i++) {
        assert_int_equal(rim->measurements[i].index, i);
    }
    const struct ward_rim_measurement *m7 = &rim->measurements[7];
    assert_true(m7->active);
    assert_string_equal(m7->name, "Measurement_7");
    assert_int_equal(m7->num_values, 1);
    uint8_t want[48];
    assert_int_equal(ward_hex_decode_exact("4a5e4b3d501fe31f91bd8b6f2921b58437704a504dbedba9"
                                           "71440e840c938c805612689ae3ac04b1009515a179063d49",
                                           want, 48),
                     WARD_OK);
    assert_memory_equal(m7->values[0], want, 48);
    assert_false(rim->measurements[0].active);
    ward_rim_free(rim);
}

static void switch_verifies(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    size_t values;
    assert_int_equal(verify_file(SWITCH, SWITCH_AT, &rim), WARD_OK);
    assert_string_equal(rim->name, "LS10");
    assert_string_equal(rim->colloquial_version, "96.10.55.00.01");
    assert_string_equal(rim->signer, "NVIDIA Reference Value L4 LS10");
    assert_int_equal(rim->num_measurements, 64);
    /* 14 indexes with one value, 17 with four. */
    assert_int_equal(count_active(rim, &values), 31);
    assert_int_equal(values, 14 + 17 * 4);
    assert_string_equal(rim->measurements[0].name, "HashedMeasurement_0_FSP");
    ward_rim_free(rim);
}

/* Outside the signing certificate's validity, a genuine RIM is refused. */
static void validity_window(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    assert_int_equal(verify_file(DRIVER, "2024-12-01T00:00:00Z", &rim), WARD_ERR_EXPIRED);
    assert_int_equal(verify_file(DRIVER, "2027-01-01T00:00:00Z", &rim), WARD_ERR_EXPIRED);
    assert_int_equal(verify_file(SWITCH, "2026-05-01T00:00:00Z", &rim), WARD_ERR_EXPIRED);
    assert_null(rim);
}

static void nvidia_bad_signature(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    assert_int_equal(verify_file(BAD_SIG, DRIVER_AT, &rim), WARD_ERR_SIGNATURE);
    assert_non_null(strstr(ward_err_detail(), "does not verify"));
    assert_null(rim);
}

/* Signed under NVIDIA's debug-only RIM hierarchy: not the production root. */
static void nvidia_bad_chain(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    assert_int_equal(verify_file(BAD_CHAIN, DRIVER_AT, &rim), WARD_ERR_CHAIN);
    assert_non_null(strstr(ward_err_detail(), "CoRIM signing Root CA"));
    assert_null(rim);
}

/* The measurement values were replaced with "aaaa..": the signature fails inside
 * its certificate's validity, and the certificate itself has expired by now. */
static void nvidia_switch_bad_signature(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    assert_int_equal(verify_file(SWITCH_BAD_SIG, DRIVER_AT, &rim), WARD_ERR_SIGNATURE);
    int rc = verify_file(SWITCH_BAD_SIG, "2026-07-01T00:00:00Z", &rim);
    assert_int_not_equal(rc, WARD_OK);
    assert_null(rim);
}

/* NVIDIA's expired sample: a real RIM whose KeyInfo got a signing certificate that
 * lived for one day (2025-01-01), in place of the one that signed it (NVIDIA's own
 * test turns signature checking off for it). Now it is expired; on that day the
 * chain verifies but the signature does not, so it is never accepted. */
static void nvidia_expired(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    struct ward_buf b = {0};
    load_rim(EXPIRED, &b);
    assert_int_equal(verify_copy(b.data, b.len, ward_time_now(), NULL, &rim), WARD_ERR_EXPIRED);
    assert_int_equal(verify_copy(b.data, b.len, t("2025-01-03T00:00:00Z"), NULL, &rim),
                     WARD_ERR_EXPIRED);
    assert_int_equal(verify_copy(b.data, b.len, t(EXPIRED_AT), NULL, &rim), WARD_ERR_SIGNATURE);
    assert_null(rim);
    ward_buf_cleanup(&b);
}

/* ---- tampering with the real driver RIM ---- */

static void tamper_signed_content(void **state)
{
    (void)state;
    /* One hexadecimal digit of measurement 7's value. */
    assert_int_equal(verify_edited(DRIVER, "ns2:Hash0=\"4a5e4b3d", "ns2:Hash0=\"4a5e4b3e"),
                     WARD_ERR_SIGNATURE);
    /* The active flag, the tag id, the version, the number of alternatives. */
    assert_int_equal(
        verify_edited(DRIVER, "index=\"0\" active=\"False\"", "index=\"0\" active=\"True\""),
        WARD_ERR_SIGNATURE);
    assert_int_equal(verify_edited(DRIVER, "tagId=\"8aa5", "tagId=\"9aa5"), WARD_ERR_SIGNATURE);
    assert_int_equal(verify_edited(DRIVER, "colloquialVersion=\"550.144.03\"",
                                   "colloquialVersion=\"550.144.04\""),
                     WARD_ERR_SIGNATURE);
    /* A new element in the signed Payload. */
    assert_int_equal(verify_edited(DRIVER, "</ns0:Payload>", "<ns0:Extra/></ns0:Payload>"),
                     WARD_ERR_SIGNATURE);
    /* The signature value itself. */
    assert_int_equal(verify_edited(DRIVER, "<ds:SignatureValue>TM4D", "<ds:SignatureValue>TM4E"),
                     WARD_ERR_SIGNATURE);
}

static void tamper_signature_parameters(void **state)
{
    (void)state;
    /* Only ECDSA-SHA384 is enabled; another algorithm cannot even be processed. */
    assert_int_equal(
        verify_edited(DRIVER, "xmldsig-more#ecdsa-sha384", "xmldsig-more#ecdsa-sha256"),
        WARD_ERR_SIGNATURE);
    assert_int_equal(verify_edited(DRIVER,
                                   "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/"
                                   "04/xmldsig-more#sha384\"/>",
                                   "<ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/"
                                   "xmlenc#sha256\"/>"),
                     WARD_ERR_SIGNATURE);
    /* Same-document and remote references are disabled. */
    assert_int_equal(
        verify_edited(DRIVER, "<ds:Reference URI=\"\">", "<ds:Reference URI=\"#xpointer(/)\">"),
        WARD_ERR_SIGNATURE);
    assert_int_equal(verify_edited(DRIVER, "<ds:Reference URI=\"\">",
                                   "<ds:Reference URI=\"http://example.invalid/rim.xml\">"),
                     WARD_ERR_SIGNATURE);
    /* An XPath filter transform could exclude content from the digest: disabled. */
    assert_int_equal(
        verify_edited(DRIVER,
                      "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/"
                      "xmldsig#enveloped-signature\"/>",
                      "<ds:Transform Algorithm=\"http://www.w3.org/2000/09/"
                      "xmldsig#enveloped-signature\"/><ds:Transform "
                      "Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>"
                      "not(ancestor-or-self::ns0:Payload)</ds:XPath></ds:Transform>"),
        WARD_ERR_SIGNATURE);
}

static void tamper_structure(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    struct ward_rim *rim = NULL;
    load_rim(DRIVER, &b);
    int64_t at = t(DRIVER_AT);
    /* Every truncation point we try is malformed XML. */
    const size_t cuts[] = {0,    1,         10,          200,
                           5000, b.len / 2, b.len - 200, b.len - 3 /* "</SoftwareIdentity" */};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        int rc = verify_copy(b.data, cuts[i], at, NULL, &rim);
        assert_int_equal(rc, WARD_ERR_FORMAT);
    }
    /* Anything after the root element. */
    struct ward_buf more = {0};
    assert_int_equal(ward_buf_set(&more, b.data, b.len), WARD_OK);
    more.data = realloc(more.data, b.len + 8);
    assert_non_null(more.data);
    memcpy(more.data + b.len, "<x/>", 4);
    assert_int_equal(verify_copy(more.data, b.len + 4, at, NULL, &rim), WARD_ERR_FORMAT);
    ward_buf_cleanup(&more);
    /* Too large for the named maximum. */
    assert_int_equal(ward_rim_parse_verify(b.data, WARD_RIM_MAX_LEN + 1, at, NULL, &rim),
                     WARD_ERR_NOMEM);
    assert_null(rim);
    ward_buf_cleanup(&b);
    /* A second Payload or Signature, a Signature moved into the Payload. */
    assert_int_equal(verify_edited(DRIVER, "</ns0:Payload>", "</ns0:Payload><ns0:Payload/>"),
                     WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "</ds:Signature></SoftwareIdentity>",
                                   "</ds:Signature><ds:Signature xmlns:ds=\"http://www.w3.org/"
                                   "2000/09/xmldsig#\"/></SoftwareIdentity>"),
                     WARD_ERR_FORMAT);
    /* Malformed measurements, before the signature is even looked at. */
    assert_int_equal(
        verify_edited(DRIVER, "index=\"7\" active=\"True\"", "index=\"7\" active=\"true\""),
        WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "index=\"7\" active", "index=\"6\" active"),
                     WARD_ERR_FORMAT); /* index 6 twice */
    assert_int_equal(verify_edited(DRIVER, "index=\"7\" active", "index=\"255\" active"),
                     WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "index=\"7\" active", "index=\"07\" active"),
                     WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "active=\"True\" alternatives=\"1\" ns2:Hash0=\"4a5e",
                                   "active=\"True\" alternatives=\"2\" ns2:Hash0=\"4a5e"),
                     WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "ns2:Hash0=\"4a5e4b3d", "ns2:Hash0=\"4a5e4b3"),
                     WARD_ERR_FORMAT);
    assert_int_equal(verify_edited(DRIVER, "name=\"Measurement_7\" size=\"48\"",
                                   "name=\"Measurement_7\" size=\"32\""),
                     WARD_ERR_FORMAT);
    /* The same namespaced attribute twice, through two prefixes. */
    assert_int_equal(verify_edited(DRIVER, "ns2:Hash0=\"4a5e4b3d",
                                   "xmlns:h=\"http://www.w3.org/2001/04/xmlenc#sha384\" "
                                   "h:Hash0=\"00\" ns2:Hash0=\"4a5e4b3d"),
                     WARD_ERR_FORMAT);
    /* A damaged certificate. */
    assert_int_equal(
        verify_edited(DRIVER, "<ds:X509Certificate>MIICmjCC", "<ds:X509Certificate>MIICmjCD"),
        WARD_ERR_FORMAT);
}

static void dtd_refused(void **state)
{
    (void)state;
    static const char *const prologs[] = {
        /* External entity (XXE). */
        "<!DOCTYPE SoftwareIdentity [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n",
        /* External DTD over the network. */
        "<!DOCTYPE SoftwareIdentity SYSTEM \"http://example.invalid/swid.dtd\">\n",
        /* Entity expansion ("billion laughs"). */
        "<!DOCTYPE SoftwareIdentity [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
        "\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>\n",
        /* An empty internal subset is still a DTD. */
        "<!DOCTYPE SoftwareIdentity>\n",
    };
    for (size_t i = 0; i < sizeof(prologs) / sizeof(prologs[0]); i++) {
        char with[512];
        snprintf(with, sizeof(with), "%s<SoftwareIdentity ", prologs[i]);
        assert_int_equal(verify_edited(DRIVER, "<SoftwareIdentity ", with), WARD_ERR_FORMAT);
        assert_non_null(strstr(ward_err_detail(), "DTD"));
    }
    /* An entity used in a signed attribute: refused at the DTD, not expanded. */
    char *s = NULL;
    struct ward_buf b = {0};
    load_rim(DRIVER, &b);
    s = replace(&b, "<SoftwareIdentity ",
                "<!DOCTYPE SoftwareIdentity [<!ENTITY v \"550.144.03\">]>\n<SoftwareIdentity ");
    ward_buf_cleanup(&b);
    assert_int_equal(ward_buf_set(&b, (const uint8_t *)s, strlen(s)), WARD_OK);
    free(s);
    s = replace(&b, "colloquialVersion=\"550.144.03\"", "colloquialVersion=\"&v;\"");
    struct ward_rim *rim = NULL;
    assert_int_equal(verify_copy((const uint8_t *)s, strlen(s), t(DRIVER_AT), NULL, &rim),
                     WARD_ERR_FORMAT);
    assert_null(rim);
    free(s);
    ward_buf_cleanup(&b);
}

/* Content inside ds:Signature is not signed (the enveloped transform removes it),
 * so it must never be read as reference values. */
static void unsigned_content_ignored(void **state)
{
    (void)state;
    struct ward_buf b = {0};
    struct ward_rim *rim = NULL;
    load_rim(DRIVER, &b);
    char *s = replace(&b, "</ds:KeyInfo>",
                      "</ds:KeyInfo><ds:Object><ns0:Payload xmlns:ns0=\"http://standards.iso.org/"
                      "iso/19770/-2/2015/schema.xsd\"><ns0:Resource type=\"Measurement\" "
                      "index=\"0\" active=\"True\" alternatives=\"1\" size=\"48\" "
                      "xmlns:h=\"http://www.w3.org/2001/04/xmlenc#sha384\" h:Hash0=\"aaaaaaaaaaaa"
                      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                      "aaaaaaaaaa\"/></ns0:Payload></ds:Object>");
    assert_int_equal(verify_copy((const uint8_t *)s, strlen(s), t(DRIVER_AT), NULL, &rim), WARD_OK);
    assert_int_equal(rim->num_measurements, 64);
    assert_false(rim->measurements[0].active);
    ward_rim_free(rim);
    free(s);
    ward_buf_cleanup(&b);
}

/* ---- RIMs signed here, under a test root given as an extra root ---- */

struct test_pki {
    EVP_PKEY *root_key, *leaf_key;
    X509 *root, *leaf;
    STACK_OF(X509) *roots;
};

static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *issuer_key, X509 *issuer, const char *cn, bool ca)
{
    X509 *x = X509_new();
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), ca ? 1 : 2), 1);
    X509_NAME *name = X509_get_subject_name(x);
    assert_int_equal(
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const uint8_t *)cn, -1, -1, 0), 1);
    assert_int_equal(
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x)),
        1);
    assert_non_null(ASN1_TIME_set(X509_getm_notBefore(x), t("2024-01-01T00:00:00Z")));
    assert_non_null(ASN1_TIME_set(X509_getm_notAfter(x), t("2034-01-01T00:00:00Z")));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
    const char *exts[][2] = {
        {"basicConstraints", ca ? "critical,CA:TRUE" : "critical,CA:FALSE"},
        {"keyUsage", ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"},
        {"subjectKeyIdentifier", "hash"},
    };
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        X509_EXTENSION *e = X509V3_EXT_conf(NULL, &v3, exts[i][0], exts[i][1]);
        assert_non_null(e);
        assert_int_equal(X509_add_ext(x, e, -1), 1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, issuer_key, EVP_sha384()) > 0);
    return x;
}

static void pki_new(struct test_pki *p)
{
    assert_int_equal(ward_ec_key_generate(NID_secp384r1, &p->root_key), WARD_OK);
    assert_int_equal(ward_ec_key_generate(NID_secp384r1, &p->leaf_key), WARD_OK);
    p->root = make_cert(p->root_key, p->root_key, NULL, "ward test RIM root", true);
    p->leaf = make_cert(p->leaf_key, p->root_key, p->root, "ward test RIM signer", false);
    p->roots = sk_X509_new_null();
    assert_non_null(p->roots);
    assert_true(sk_X509_push(p->roots, p->root) > 0);
}

static void pki_free(struct test_pki *p)
{
    sk_X509_free(p->roots);
    X509_free(p->root);
    X509_free(p->leaf);
    EVP_PKEY_free(p->root_key);
    EVP_PKEY_free(p->leaf_key);
}

enum sign_shape { SIGN_WHOLE, SIGN_FRAGMENT, SIGN_NO_URI, SIGN_TWO_REFS };

/* The driver RIM with NVIDIA's signature replaced by one made with |p|'s leaf key
 * in the given shape; the KeyInfo carries the leaf. Returns a malloc'd document. */
static char *resign(const struct test_pki *p, enum sign_shape shape, size_t *out_len)
{
    struct ward_buf b = {0};
    load_rim(DRIVER, &b);
    xmlDocPtr doc = xmlReadMemory((const char *)b.data, (int)b.len, NULL, NULL, XML_PARSE_NONET);
    ward_buf_cleanup(&b);
    assert_non_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNodePtr old = xmlSecFindChild(root, xmlSecNodeSignature, xmlSecDSigNs);
    assert_non_null(old);
    xmlUnlinkNode(old);
    xmlFreeNode(old);
    xmlNodePtr payload = NULL;
    for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && xmlStrEqual(c->name, BAD_CAST "Payload")) {
            payload = c;
        }
    }
    assert_non_null(payload);
    xmlAttrPtr id = xmlSetProp(payload, BAD_CAST "Id", BAD_CAST "payload");
    assert_non_null(id);
    assert_int_equal(xmlAddID(NULL, doc, BAD_CAST "payload", id) != NULL, 1);

    xmlNodePtr sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformInclC14N11Id,
                                               xmlSecOpenSSLTransformEcdsaSha384Id, NULL);
    assert_non_null(sig);
    assert_non_null(xmlAddChild(root, sig));
    const xmlChar *uri = shape == SIGN_FRAGMENT ? BAD_CAST "#payload"
                         : shape == SIGN_NO_URI ? NULL
                                                : BAD_CAST "";
    xmlNodePtr ref =
        xmlSecTmplSignatureAddReference(sig, xmlSecOpenSSLTransformSha384Id, NULL, uri, NULL);
    assert_non_null(ref);
    assert_non_null(xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId));
    if (shape == SIGN_TWO_REFS) {
        ref = xmlSecTmplSignatureAddReference(sig, xmlSecOpenSSLTransformSha384Id, NULL,
                                              BAD_CAST "", NULL);
        assert_non_null(xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId));
    }
    xmlNodePtr x509_data =
        xmlSecTmplKeyInfoAddX509Data(xmlSecTmplSignatureEnsureKeyInfo(sig, NULL));
    assert_non_null(x509_data);
    xmlNodePtr cert_node = xmlSecTmplX509DataAddCertificate(x509_data);
    assert_non_null(cert_node);

    EVP_PKEY *k = p->leaf_key;
    assert_int_equal(EVP_PKEY_up_ref(k), 1);
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(k);
    assert_non_null(data);
    xmlSecKeyPtr key = xmlSecKeyCreate();
    assert_non_null(key);
    assert_int_equal(xmlSecKeySetValue(key, data), 0);
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    assert_non_null(ctx);
    ctx->signKey = key;
    assert_int_equal(xmlSecDSigCtxSign(ctx, sig), 0);
    xmlSecDSigCtxDestroy(ctx);

    /* KeyInfo is outside what the signature covers: fill it in afterwards. */
    uint8_t *der = NULL;
    int der_len = i2d_X509(p->leaf, &der);
    assert_true(der_len > 0);
    char *b64 = ward_base64_encode(der, (size_t)der_len);
    OPENSSL_free(der);
    assert_non_null(b64);
    xmlNodeSetContent(cert_node, BAD_CAST b64);
    free(b64);

    xmlChar *mem = NULL;
    int mem_len = 0;
    xmlDocDumpMemory(doc, &mem, &mem_len);
    xmlFreeDoc(doc);
    assert_non_null(mem);
    char *out = malloc((size_t)mem_len + 1);
    assert_non_null(out);
    memcpy(out, mem, (size_t)mem_len + 1);
    xmlFree(mem);
    *out_len = (size_t)mem_len;
    return out;
}

static void extra_root_and_reference_shapes(void **state)
{
    (void)state;
    struct test_pki p = {0};
    struct ward_rim *rim = NULL;
    size_t len;
    /* ward_rim_parse_verify initialises xmlsec: call it once before signing here. */
    assert_int_equal(verify_file(DRIVER, DRIVER_AT, &rim), WARD_OK);
    ward_rim_free(rim);
    rim = NULL;
    pki_new(&p);
    int64_t at = t(DRIVER_AT);

    char *whole = resign(&p, SIGN_WHOLE, &len);
    assert_int_equal(verify_copy((const uint8_t *)whole, len, at, p.roots, &rim), WARD_OK);
    assert_true(rim->simulated);
    assert_string_equal(rim->signer, "ward test RIM signer");
    assert_int_equal(rim->num_measurements, 64);
    ward_rim_free(rim);
    rim = NULL;
    /* Without the extra root, the same document does not chain. */
    assert_int_equal(verify_copy((const uint8_t *)whole, len, at, NULL, &rim), WARD_ERR_CHAIN);
    free(whole);

    /* A signature over the Payload alone could be moved into another document. */
    char *frag = resign(&p, SIGN_FRAGMENT, &len);
    assert_int_equal(verify_copy((const uint8_t *)frag, len, at, p.roots, &rim),
                     WARD_ERR_SIGNATURE);
    free(frag);
    char *no_uri = resign(&p, SIGN_NO_URI, &len);
    assert_int_equal(verify_copy((const uint8_t *)no_uri, len, at, p.roots, &rim),
                     WARD_ERR_SIGNATURE);
    free(no_uri);
    char *two = resign(&p, SIGN_TWO_REFS, &len);
    assert_int_equal(verify_copy((const uint8_t *)two, len, at, p.roots, &rim), WARD_ERR_SIGNATURE);
    assert_non_null(strstr(ward_err_detail(), "exactly one Reference"));
    free(two);
    assert_null(rim);
    pki_free(&p);
}

/* ---- comparison with a report ---- */

static json_t *find_result(json_t *results, unsigned spdm_index)
{
    size_t i;
    json_t *e;
    json_array_foreach(results, i, e)
    {
        if (json_integer_value(json_object_get(e, "index")) == (json_int_t)spdm_index) {
            return e;
        }
    }
    return NULL;
}

static const char *result_of(json_t *results, unsigned spdm_index)
{
    json_t *e = find_result(results, spdm_index);
    assert_non_null(e);
    return json_string_value(json_object_get(e, "result"));
}

/* The real NVSwitch report (tests/data/nvgpu-sdk) against the real NVSwitch RIM of
 * its BIOS version, 96.10.55.00.01: RIM index i is SPDM block i + 1. */
static void compare_real_switch(void **state)
{
    (void)state;
    struct ward_buf ev = {0};
    struct ward_rim *rim = NULL;
    struct ward_nvgpu_report *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    load("nvgpu-sdk/nvswitch/evidence.bin", &ev);
    assert_int_equal(ward_nvgpu_report_parse(ev.data, ev.len, r), WARD_OK);
    assert_int_equal(verify_file(SWITCH, SWITCH_AT, &rim), WARD_OK);
    json_t *results = json_array();
    size_t bad = 99, values;
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(json_array_size(results), 64);
    size_t matches = 0, inactive = 0, i;
    json_t *e;
    json_array_foreach(results, i, e)
    {
        const char *res = json_string_value(json_object_get(e, "result"));
        matches += strcmp(res, "match") == 0;
        inactive += strcmp(res, "inactive") == 0;
        assert_string_equal(json_string_value(json_object_get(e, "rim")), rim->tag_id);
        assert_int_equal(json_integer_value(json_object_get(e, "index")),
                         json_integer_value(json_object_get(e, "rim_index")) + 1);
    }
    assert_int_equal(matches, count_active(rim, &values));
    assert_int_equal(matches + inactive, 64);
    assert_string_equal(result_of(results, 1), "match");
    json_decref(results);
    assert_int_equal(r->blocks[0].index, 1);

    /* One value changed in the (here unsigned) report copy: that index only. */
    uint8_t changed[48];
    memcpy(changed, r->blocks[0].value, 48);
    changed[47] ^= 1;
    r->blocks[0].value = changed;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(result_of(results, 1), "mismatch");
    e = find_result(results, 1);
    assert_non_null(strstr(json_string_value(json_object_get(e, "reason")), "none of"));
    assert_non_null(json_object_get(e, "reported"));
    assert_string_equal(result_of(results, 2), "match");
    json_decref(results);

    ward_rim_free(rim);
    free(r);
    ward_buf_cleanup(&ev);
}

/* A report built from the driver RIM's own values: every active index matches,
 * whichever alternative is used; then one changed, one removed, one shortened. */
static void compare_driver(void **state)
{
    (void)state;
    struct ward_rim *rim = NULL;
    size_t values, bad = 99;
    assert_int_equal(verify_file(DRIVER, DRIVER_AT, &rim), WARD_OK);
    size_t active = count_active(rim, &values);
    struct ward_nvgpu_report *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    uint8_t(*vals)[48] = calloc(rim->num_measurements, 48);
    assert_non_null(vals);
    for (size_t i = 0; i < rim->num_measurements; i++) {
        const struct ward_rim_measurement *m = &rim->measurements[i];
        /* The last alternative, to show that any one of them matches. */
        memcpy(vals[i], m->values[m->num_values - 1], 48);
        r->blocks[r->num_blocks++] = (struct ward_spdm_block){
            .index = (uint8_t)(m->index + 1), .spec = 1, .value = vals[i], .value_len = 48};
    }
    json_t *results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 0);
    assert_int_equal(json_array_size(results), rim->num_measurements);
    size_t i, matches = 0;
    json_t *e;
    json_array_foreach(results, i, e)
    {
        matches += strcmp(json_string_value(json_object_get(e, "result")), "match") == 0;
    }
    assert_int_equal(matches, active);
    assert_string_equal(result_of(results, 8), "match");    /* RIM index 7 */
    assert_string_equal(result_of(results, 1), "inactive"); /* RIM index 0 */
    json_decref(results);

    /* Index 7 changed: only SPDM block 8 mismatches. */
    vals[7][0] ^= 0x80;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(result_of(results, 8), "mismatch");
    assert_string_equal(result_of(results, 22), "match");
    json_decref(results);
    vals[7][0] ^= 0x80;

    /* An inactive index may hold anything. */
    vals[0][0] ^= 0x80;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 0);
    json_decref(results);
    vals[0][0] ^= 0x80;

    /* A wrong length is a mismatch that says so. */
    r->blocks[7].value_len = 32;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(result_of(results, 8), "mismatch");
    assert_non_null(
        strstr(json_string_value(json_object_get(find_result(results, 8), "reason")), "32 bytes"));
    json_decref(results);
    r->blocks[7].value_len = 48;

    /* Block 8 removed from the report: missing. */
    r->blocks[7].index = 200;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(result_of(results, 8), "missing");
    json_decref(results);
    r->blocks[7].index = 8;

    /* RIM index 35 (block 36) is not checked when NVDEC0 is disabled. */
    assert_true(rim->measurements[35].active);
    vals[35][0] ^= 0x80;
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 1);
    assert_string_equal(result_of(results, 36), "mismatch");
    json_decref(results);
    static const uint8_t nvdec_off[] = {WARD_RIM_NVDEC0_DISABLED};
    r->opaque[r->num_opaque++] = (struct ward_nv_opaque_field){
        .type = WARD_NV_OPAQUE_NVDEC0_STATUS, .value = nvdec_off, .len = 1};
    results = json_array();
    assert_int_equal(ward_rim_compare(rim, r, results, &bad), WARD_OK);
    assert_int_equal(bad, 0);
    assert_string_equal(result_of(results, 36), "skipped");
    json_decref(results);

    free(vals);
    free(r);
    ward_rim_free(rim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(driver_verifies),
        cmocka_unit_test(switch_verifies),
        cmocka_unit_test(validity_window),
        cmocka_unit_test(nvidia_bad_signature),
        cmocka_unit_test(nvidia_bad_chain),
        cmocka_unit_test(nvidia_switch_bad_signature),
        cmocka_unit_test(nvidia_expired),
        cmocka_unit_test(tamper_signed_content),
        cmocka_unit_test(tamper_signature_parameters),
        cmocka_unit_test(tamper_structure),
        cmocka_unit_test(dtd_refused),
        cmocka_unit_test(unsigned_content_ignored),
        cmocka_unit_test(extra_root_and_reference_shapes),
        cmocka_unit_test(compare_real_switch),
        cmocka_unit_test(compare_driver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
