/*
 * lib/verify/rim.c: NVIDIA Reference Integrity Manifests (ward/rim.h).
 *
 *   parse       libxml2 without network access; any DTD is refused when the parser
 *               reaches it (a SAX hook stops it), so no entity is ever defined
 *   structure   SoftwareIdentity / Meta / Payload / Resource (SWID namespace), read
 *               by walking direct children only: content that the enveloped
 *               signature does not cover (inside ds:Signature) is never read
 *   chain       the certificates of Signature/KeyInfo/X509Data, through OpenSSL
 *               (ward_x509_verify_chain), to the pinned NVIDIA CoRIM signing Root
 *               CA (nvidia_rim_root.inc) or to the caller's extra roots
 *   signature   xmlsec1 (OpenSSL back end) with the chain's leaf key set as the
 *               signing key (KeyInfo is not trusted to pick it), limited to
 *               ECDSA-SHA384, SHA-384, C14N and the enveloped-signature transform,
 *               and to one Reference with URI="" (the whole document)
 * The SWID fields are parsed before the signature is checked, only so that the
 * fuzz target reaches that parser; nothing parsed leaves this file unless
 * everything verified.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <openssl/x509v3.h>
#include <xmlsec/xmlsec.h> /* first: the other xmlsec headers need its types */
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include "base/internal.h"
#include "ward/crypto.h"
#include "ward/json.h"
#include "ward/rim.h"

#include "nvidia_rim_root.inc"

static const char ns_swid[] = "http://standards.iso.org/iso/19770/-2/2015/schema.xsd";
static const char ns_sha384[] = "http://www.w3.org/2001/04/xmlenc#sha384";
static const char ns_dsig[] = "http://www.w3.org/2000/09/xmldsig#";

/* Named maximum of one base64 certificate's text in KeyInfo. */
#define CERT_TEXT_MAX (64u * 1024u)

/* ---- one-time set-up: the pinned root, libxml2 and xmlsec ---- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static X509 *rim_root;                  /* immutable after load_once */
static bool xmlsec_ready;               /* xmlsec and its OpenSSL back end initialised */
static _Thread_local char xml_err[256]; /* first libxml2/xmlsec message of this call */

/* Makes |text| printable ASCII in place (messages can quote document content) and
 * drops trailing blanks. */
static void printable(char *text)
{
    size_t n = 0;
    for (; text[n] != '\0'; n++) {
        text[n] = (text[n] >= 0x20 && text[n] < 0x7f) ? text[n] : ' ';
    }
    while (n > 0 && text[n - 1] == ' ') {
        text[--n] = '\0';
    }
}

/* Keeps the first message of the current call for the error detail, and logs each
 * one, quoted, at debug level. */
static void note_xml_error(const char *source, char *text)
{
    printable(text);
    ward_log(WARD_LOG_DEBUG, "rim: %s: \"%s\"", source, text);
    if (xml_err[0] == '\0') {
        snprintf(xml_err, sizeof(xml_err), "%s", text);
    }
}

/* xmlsec's text for a reason code ("transform is disabled"), or NULL. */
static const char *xmlsec_reason(int reason)
{
    for (xmlSecSize pos = 0; pos < 1024 && xmlSecErrorsGetMsg(pos) != NULL; pos++) {
        if (xmlSecErrorsGetCode(pos) == reason) {
            return xmlSecErrorsGetMsg(pos);
        }
    }
    return NULL;
}

static void xmlsec_error(const char *file, int line, const char *func, const char *obj,
                         const char *subject, int reason, const char *msg)
{
    char text[256];
    const char *why = xmlsec_reason(reason);
    (void)file;
    (void)line;
    (void)obj;
    (void)subject;
    snprintf(text, sizeof(text), "%s: %s%s%s", func != NULL ? func : "xmlsec",
             why != NULL ? why : "error", msg != NULL && msg[0] != '\0' ? ", " : "",
             msg != NULL ? msg : "");
    note_xml_error("xmlsec", text);
}

static void libxml_error(void *ctx, xmlErrorPtr e)
{
    (void)ctx;
    if (e != NULL && e->message != NULL) {
        char text[256];
        snprintf(text, sizeof(text), "line %d: %s", e->line, e->message);
        note_xml_error("libxml2", text);
    }
}

static void load_once(void)
{
    uint8_t fp[32];
    char hex[65];
    if (ward_x509_parse((const uint8_t *)nvidia_rim_root_pem, strlen(nvidia_rim_root_pem),
                        &rim_root) != WARD_OK ||
        ward_x509_sha256(rim_root, fp) != WARD_OK) {
        ward_abort(__FILE__, __LINE__, "compiled-in NVIDIA RIM root does not parse");
    }
    ward_hex_encode(fp, sizeof(fp), hex);
    if (strcmp(hex, nvidia_rim_root_sha256) != 0) {
        ward_abort(__FILE__, __LINE__, "compiled-in NVIDIA RIM root does not match its pin");
    }
    xmlInitParser();
    xmlsec_ready = xmlSecInit() == 0 && xmlSecCheckVersion() == 1 && xmlSecOpenSSLInit() == 0;
    xmlSecErrorsSetCallback(xmlsec_error); /* after xmlSecInit, which sets the default */
}

/* ---- XML helpers ---- */

static bool is_elem(const xmlNode *n, const char *ns, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
           xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

/* The one child element of |parent| named |ns|:|name|; WARD_ERR_FORMAT if there is
 * none or more than one. */
static int only_child(xmlNode *parent, const char *ns, const char *name, xmlNode **out)
{
    xmlNode *found = NULL;
    for (xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (is_elem(c, ns, name)) {
            ENSURE_MSG(found == NULL, WARD_ERR_FORMAT, "RIM: more than one %s element", name);
            found = c;
        }
    }
    ENSURE_MSG(found != NULL, WARD_ERR_FORMAT, "RIM: no %s element", name);
    *out = found;
    return WARD_OK;
}

/* Copies attribute |name| (no namespace when |ns| is NULL) of |n| into |out|. It
 * must be printable ASCII shorter than |out_len|. *found says whether it exists
 * (|out| is then ""). */
static int attr_copy(xmlNode *n, const char *name, const char *ns, char *out, size_t out_len,
                     bool *found)
{
    xmlChar *v =
        ns != NULL ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) : xmlGetNoNsProp(n, BAD_CAST name);
    out[0] = '\0';
    *found = v != NULL;
    if (v == NULL) {
        return WARD_OK;
    }
    size_t len = strlen((const char *)v);
    bool ok = len < out_len;
    for (size_t i = 0; ok && i < len; i++) {
        ok = v[i] >= 0x20 && v[i] < 0x7f;
    }
    if (ok) {
        memcpy(out, v, len + 1);
    }
    xmlFree(v);
    ENSURE_MSG(ok, WARD_ERR_FORMAT,
               "RIM: attribute %s is longer than %zu characters or not printable ASCII", name,
               out_len - 1);
    return WARD_OK;
}

static int attr_required(xmlNode *n, const char *name, char *out, size_t out_len, const char *where)
{
    bool found;
    GUARD(attr_copy(n, name, NULL, out, out_len, &found));
    ENSURE_MSG(found, WARD_ERR_FORMAT, "RIM: %s has no %s attribute", where, name);
    return WARD_OK;
}

/* A decimal without sign or leading zeros, at most |max|. */
static int parse_dec(const char *s, unsigned max, const char *what, unsigned *out)
{
    unsigned v = 0;
    size_t n = strlen(s);
    ENSURE_MSG(n >= 1 && n <= 5 && (s[0] != '0' || n == 1), WARD_ERR_FORMAT,
               "RIM: %s is not a decimal number", what);
    for (size_t i = 0; i < n; i++) {
        ENSURE_MSG(s[i] >= '0' && s[i] <= '9', WARD_ERR_FORMAT, "RIM: %s is not a decimal number",
                   what);
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    ENSURE_MSG(v <= max, WARD_ERR_FORMAT, "RIM: %s %u is larger than %u", what, v, max);
    *out = v;
    return WARD_OK;
}

/* ---- parsing ---- */

/* Called by the parser at "<!DOCTYPE": no DTD is allowed, so stop right there,
 * before any markup declaration (entity) is read. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    (void)name;
    (void)external_id;
    (void)system_id;
    *(bool *)ctxt->_private = true;
    xmlStopParser(ctxt);
}

static int parse_xml(const uint8_t *xml, size_t len, xmlDocPtr *out)
{
    bool saw_dtd = false;
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    GUARD_PTR(ctxt);
    ctxt->_private = &saw_dtd;
    ctxt->sax->internalSubset = refuse_dtd;
    ctxt->sax->externalSubset = refuse_dtd;
    ctxt->sax->serror = libxml_error;
    /* No XML_PARSE_NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    int rc = WARD_OK;
    if (saw_dtd) {
        rc = ward_err_set(WARD_ERR_FORMAT, "RIM: a document type declaration (DTD) is not "
                                           "allowed");
    } else if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
        rc = ward_err_set(WARD_ERR_FORMAT, "RIM: not well-formed XML (%s)",
                          xml_err[0] != '\0' ? xml_err : "no detail");
    } else if (doc->intSubset != NULL || doc->extSubset != NULL) {
        rc = ward_err_set(WARD_ERR_FORMAT, "RIM: a document type declaration (DTD) is not "
                                           "allowed");
    }
    xmlFreeParserCtxt(ctxt);
    if (rc != WARD_OK) {
        xmlFreeDoc(doc);
        return rc;
    }
    *out = doc;
    return WARD_OK;
}

static int parse_measurement(xmlNode *n, struct ward_rim_measurement *m, bool seen[256])
{
    char text[2 * WARD_RIM_HASH_LEN + 1], attr[16];
    unsigned index, alternatives, size;
    GUARD(attr_required(n, "index", text, sizeof(text), "a Measurement"));
    GUARD(parse_dec(text, WARD_RIM_MAX_MEASUREMENTS - 1, "Measurement index", &index));
    ENSURE_MSG(!seen[index], WARD_ERR_FORMAT, "RIM: measurement index %u appears twice", index);
    seen[index] = true;
    m->index = (uint8_t)index;
    GUARD(attr_required(n, "active", text, sizeof(text), "a Measurement"));
    ENSURE_MSG(strcmp(text, "True") == 0 || strcmp(text, "False") == 0, WARD_ERR_FORMAT,
               "RIM: measurement %u: active is neither True nor False", index);
    m->active = strcmp(text, "True") == 0;
    GUARD(attr_required(n, "size", text, sizeof(text), "a Measurement"));
    GUARD(parse_dec(text, 0xffff, "Measurement size", &size));
    ENSURE_MSG(size == WARD_RIM_HASH_LEN, WARD_ERR_FORMAT,
               "RIM: measurement %u has size %u; only SHA-384 (48) is supported", index, size);
    GUARD(attr_required(n, "alternatives", text, sizeof(text), "a Measurement"));
    GUARD(parse_dec(text, WARD_RIM_MAX_ALTERNATIVES, "Measurement alternatives", &alternatives));
    ENSURE_MSG(alternatives >= 1, WARD_ERR_FORMAT, "RIM: measurement %u has no alternatives",
               index);
    bool found;
    GUARD(attr_copy(n, "name", NULL, m->name, sizeof(m->name), &found));
    /* Exactly Hash0..Hash<alternatives-1> in the SHA-384 namespace, nothing more. */
    unsigned num_hash_attrs = 0;
    for (xmlAttr *a = n->properties; a != NULL; a = a->next) {
        if (a->ns != NULL && a->ns->href != NULL && xmlStrEqual(a->ns->href, BAD_CAST ns_sha384)) {
            num_hash_attrs++;
        }
    }
    ENSURE_MSG(num_hash_attrs == alternatives, WARD_ERR_FORMAT,
               "RIM: measurement %u has %u SHA-384 values, alternatives says %u", index,
               num_hash_attrs, alternatives);
    m->values = calloc(alternatives, sizeof(*m->values));
    GUARD_PTR(m->values);
    m->num_values = alternatives;
    for (unsigned k = 0; k < alternatives; k++) {
        snprintf(attr, sizeof(attr), "Hash%u", k);
        GUARD(attr_copy(n, attr, ns_sha384, text, sizeof(text), &found));
        ENSURE_MSG(found, WARD_ERR_FORMAT, "RIM: measurement %u has no %s", index, attr);
        if (ward_hex_decode_exact(text, m->values[k], WARD_RIM_HASH_LEN) != WARD_OK) {
            return ward_err_set(WARD_ERR_FORMAT,
                                "RIM: measurement %u: %s is not 96 hexadecimal digits", index,
                                attr);
        }
    }
    return WARD_OK;
}

/* Reads the SWID fields of |root| into |rim|: direct children only. */
static int parse_swid(xmlNode *root, struct ward_rim *rim)
{
    bool found;
    xmlNode *payload;
    ENSURE_MSG(is_elem(root, ns_swid, "SoftwareIdentity"), WARD_ERR_FORMAT,
               "RIM: the root element is not a SWID SoftwareIdentity");
    GUARD(attr_required(root, "tagId", rim->tag_id, sizeof(rim->tag_id), "SoftwareIdentity"));
    GUARD(attr_required(root, "name", rim->name, sizeof(rim->name), "SoftwareIdentity"));
    GUARD(attr_copy(root, "version", NULL, rim->version, sizeof(rim->version), &found));
    bool seen_meta = false;
    for (xmlNode *c = root->children; c != NULL; c = c->next) {
        if (is_elem(c, ns_swid, "Meta")) {
            ENSURE_MSG(!seen_meta, WARD_ERR_FORMAT, "RIM: more than one Meta element");
            seen_meta = true;
            GUARD(attr_copy(c, "colloquialVersion", NULL, rim->colloquial_version,
                            sizeof(rim->colloquial_version), &found));
        }
    }
    GUARD(only_child(root, ns_swid, "Payload", &payload));
    size_t n = 0;
    for (xmlNode *c = payload->children; c != NULL; c = c->next) {
        if (is_elem(c, ns_swid, "Resource")) {
            n++;
        }
    }
    ENSURE_MSG(n <= WARD_RIM_MAX_MEASUREMENTS, WARD_ERR_FORMAT,
               "RIM: more than %u Resource elements", WARD_RIM_MAX_MEASUREMENTS);
    rim->measurements = calloc(n > 0 ? n : 1, sizeof(*rim->measurements));
    GUARD_PTR(rim->measurements);
    bool seen[256] = {false};
    char type[32];
    for (xmlNode *c = payload->children; c != NULL; c = c->next) {
        if (!is_elem(c, ns_swid, "Resource")) {
            continue;
        }
        GUARD(attr_copy(c, "type", NULL, type, sizeof(type), &found));
        if (!found || strcmp(type, "Measurement") != 0) {
            continue; /* other resource types carry no reference values */
        }
        struct ward_rim_measurement *m = &rim->measurements[rim->num_measurements++];
        GUARD(parse_measurement(c, m, seen));
    }
    ENSURE_MSG(rim->num_measurements > 0, WARD_ERR_FORMAT, "RIM: the Payload has no Measurement");
    return WARD_OK;
}

/* ---- the signing certificate and its chain ---- */

static int read_certs(xmlNode *sig, STACK_OF(X509) *out)
{
    xmlNode *key_info, *x509_data;
    GUARD(only_child(sig, ns_dsig, "KeyInfo", &key_info));
    GUARD(only_child(key_info, ns_dsig, "X509Data", &x509_data));
    for (xmlNode *c = x509_data->children; c != NULL; c = c->next) {
        if (!is_elem(c, ns_dsig, "X509Certificate")) {
            continue;
        }
        ENSURE_MSG(sk_X509_num(out) < (int)WARD_RIM_MAX_CERTS, WARD_ERR_FORMAT,
                   "RIM: more than %u certificates in KeyInfo", WARD_RIM_MAX_CERTS);
        xmlChar *text = xmlNodeGetContent(c);
        GUARD_PTR(text);
        /* Base64 with line breaks: drop XML whitespace, then decode. */
        size_t len = strlen((const char *)text), m = 0;
        char *b64 = len < CERT_TEXT_MAX ? malloc(len + 1) : NULL;
        if (b64 == NULL) {
            xmlFree(text);
            return ward_err_set(len < CERT_TEXT_MAX ? WARD_ERR_NOMEM : WARD_ERR_FORMAT,
                                "RIM: a KeyInfo certificate is too large");
        }
        for (size_t i = 0; i < len; i++) {
            if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') {
                b64[m++] = (char)text[i];
            }
        }
        b64[m] = '\0';
        xmlFree(text);
        DEFER(ward_buf_cleanupp) struct ward_buf der = {0};
        int rc = ward_base64_decode(b64, &der);
        free(b64);
        X509 *x = NULL;
        if (rc == WARD_OK) {
            rc = ward_x509_parse(der.data, der.len, &x);
        }
        if (rc != WARD_OK) {
            return ward_err_prefix("RIM: KeyInfo certificate %d", sk_X509_num(out) + 1);
        }
        if (sk_X509_push(out, x) <= 0) {
            X509_free(x);
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
    }
    ENSURE_MSG(sk_X509_num(out) > 0, WARD_ERR_FORMAT, "RIM: no certificate in KeyInfo/X509Data");
    return WARD_OK;
}

static bool self_issued(X509 *x)
{
    return X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
}

/* The signer is the one certificate that is not self-issued and issued none of the
 * others; the other certificates that are not self-issued are its intermediates
 * (borrowed into |inter|). Self-issued certificates are never trusted from the
 * document: anchors come from the caller. */
static int pick_signer(STACK_OF(X509) *certs, X509 **out, STACK_OF(X509) *inter)
{
    X509 *leaf = NULL;
    int n = sk_X509_num(certs);
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(certs, i);
        bool issued_other = false;
        for (int k = 0; k < n && !issued_other; k++) {
            X509 *y = sk_X509_value(certs, k);
            issued_other = k != i && !self_issued(y) &&
                           X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(y)) == 0;
        }
        if (!issued_other && !self_issued(x)) {
            ENSURE_MSG(leaf == NULL, WARD_ERR_CHAIN,
                       "RIM: KeyInfo holds more than one end-entity certificate");
            leaf = x;
        }
    }
    ENSURE_MSG(leaf != NULL, WARD_ERR_CHAIN, "RIM: KeyInfo holds no signing certificate");
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(certs, i);
        if (x != leaf && !self_issued(x)) {
            GUARD_PTR(sk_X509_push(inter, x) > 0 ? inter : NULL);
        }
    }
    ENSURE_MSG(X509_check_ca(leaf) == 0, WARD_ERR_CHAIN,
               "RIM: the signing certificate is a CA certificate");
    ENSURE_MSG((X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) != 0, WARD_ERR_CHAIN,
               "RIM: the signing certificate's key usage does not allow signatures");
    *out = leaf;
    return WARD_OK;
}

static int verify_chain(X509 *leaf, STACK_OF(X509) *inter, int64_t at, STACK_OF(X509) *extra_roots,
                        bool *simulated)
{
    const struct ward_chain_opts co = {.at = at};
    STACK_OF(X509) *pinned = sk_X509_new_null();
    GUARD_PTR(pinned);
    if (sk_X509_push(pinned, rim_root) <= 0) {
        sk_X509_free(pinned);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    int rc = ward_x509_verify_chain(leaf, inter, pinned, &co);
    sk_X509_free(pinned); /* borrowed the root: free the stack only */
    if (rc != WARD_OK && extra_roots != NULL && sk_X509_num(extra_roots) > 0) {
        char first[320];
        snprintf(first, sizeof(first), "%s", ward_err_detail());
        if (ward_x509_verify_chain(leaf, inter, extra_roots, &co) == WARD_OK) {
            *simulated = true;
            return WARD_OK;
        }
        ward_err_set(rc, "%s", first);
    }
    if (rc != WARD_OK) {
        return ward_err_prefix("RIM signing certificate chain to the NVIDIA CoRIM signing Root "
                               "CA");
    }
    *simulated = false;
    return WARD_OK;
}

/* ---- the XML signature ---- */

static int enable_transforms(xmlSecDSigCtxPtr d)
{
    /* SignedInfo: its canonicalization and the signature method. */
    const xmlSecTransformId sig_ids[] = {xmlSecTransformInclC14NId, xmlSecTransformInclC14N11Id,
                                         xmlSecTransformExclC14NId,
                                         xmlSecOpenSSLTransformEcdsaSha384Id};
    /* The Reference: enveloped-signature, canonicalization, the digest. */
    const xmlSecTransformId ref_ids[] = {xmlSecTransformEnvelopedId, xmlSecTransformInclC14NId,
                                         xmlSecTransformInclC14N11Id, xmlSecTransformExclC14NId,
                                         xmlSecOpenSSLTransformSha384Id};
    for (size_t i = 0; i < WARD_ARRAY_LEN(sig_ids); i++) {
        ENSURE_MSG(xmlSecDSigCtxEnableSignatureTransform(d, sig_ids[i]) == 0, WARD_ERR_CRYPTO,
                   "RIM: xmlsec cannot restrict the signature transforms");
    }
    for (size_t i = 0; i < WARD_ARRAY_LEN(ref_ids); i++) {
        ENSURE_MSG(xmlSecDSigCtxEnableReferenceTransform(d, ref_ids[i]) == 0, WARD_ERR_CRYPTO,
                   "RIM: xmlsec cannot restrict the reference transforms");
    }
    d->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
    d->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
    return WARD_OK;
}

/* After a successful verification: exactly one Reference, URI="" present and empty,
 * and the enveloped-signature transform among those xmlsec ran. */
static int check_coverage(xmlSecDSigCtxPtr d)
{
    ENSURE_MSG(xmlSecPtrListGetSize(&d->signedInfoReferences) == 1, WARD_ERR_SIGNATURE,
               "RIM: the signature must have exactly one Reference");
    xmlSecDSigReferenceCtxPtr ref = xmlSecPtrListGetItem(&d->signedInfoReferences, 0);
    ENSURE_MSG(ref != NULL && ref->uri != NULL && ref->uri[0] == '\0', WARD_ERR_SIGNATURE,
               "RIM: the signature's Reference must be URI=\"\" (the whole document)");
    bool enveloped = false;
    for (xmlSecTransformPtr t = ref->transformCtx.first; t != NULL; t = t->next) {
        enveloped |= t->id == xmlSecTransformEnvelopedId;
    }
    ENSURE_MSG(enveloped, WARD_ERR_SIGNATURE,
               "RIM: the signature's Reference lacks the enveloped-signature transform");
    return WARD_OK;
}

static int verify_dsig(xmlNode *sig, X509 *leaf)
{
    EVP_PKEY *pkey = X509_get_pubkey(leaf); /* a reference of our own */
    ENSURE_MSG(pkey != NULL, WARD_ERR_FORMAT, "RIM: the signing certificate has no usable key");
    xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(pkey);
    if (data == NULL) {
        EVP_PKEY_free(pkey);
        return ward_err_set(WARD_ERR_SIGNATURE, "RIM: xmlsec does not take the signing key (%s)",
                            xml_err[0] != '\0' ? xml_err : "no detail");
    }
    xmlSecKeyPtr key = xmlSecKeyCreate();
    if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
        xmlSecKeyDestroy(key);
        xmlSecKeyDataDestroy(data);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    /* No keys manager: KeyInfo is not consulted, the key is the chain's leaf's. */
    xmlSecDSigCtxPtr d = xmlSecDSigCtxCreate(NULL);
    if (d == NULL) {
        xmlSecKeyDestroy(key);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    d->signKey = key; /* owned by |d| from here */
    int rc = enable_transforms(d);
    if (rc == WARD_OK && xmlSecDSigCtxVerify(d, sig) < 0) {
        rc = ward_err_set(WARD_ERR_SIGNATURE, "RIM: the XML signature cannot be processed (%s)",
                          xml_err[0] != '\0' ? xml_err : "no detail");
    } else if (rc == WARD_OK && d->status != xmlSecDSigStatusSucceeded) {
        rc = ward_err_set(WARD_ERR_SIGNATURE,
                          "RIM: the XML signature does not verify with the signing "
                          "certificate's key");
    } else if (rc == WARD_OK) {
        rc = check_coverage(d);
    }
    xmlSecDSigCtxDestroy(d);
    return rc;
}

/* ---- the public entry points ---- */

struct rim_work {
    xmlDocPtr doc;
    STACK_OF(X509) *certs; /* owns the KeyInfo certificates */
    STACK_OF(X509) *inter; /* borrowed from certs */
    struct ward_rim *rim;
};

static void rim_work_cleanup(struct rim_work *w)
{
    xmlFreeDoc(w->doc);
    sk_X509_free(w->inter);
    sk_X509_pop_free(w->certs, X509_free);
    ward_rim_free(w->rim);
}

static int parse_verify(struct rim_work *w, const uint8_t *xml, size_t len, int64_t at,
                        STACK_OF(X509) *extra_roots)
{
    xmlNode *root, *sig;
    X509 *leaf = NULL;
    GUARD(parse_xml(xml, len, &w->doc));
    root = xmlDocGetRootElement(w->doc);
    ENSURE_MSG(root != NULL, WARD_ERR_FORMAT, "RIM: the document has no root element");
    w->rim = calloc(1, sizeof(*w->rim));
    GUARD_PTR(w->rim);
    GUARD(parse_swid(root, w->rim));
    /* The enveloped signature: a direct child of the signed root element. */
    GUARD(only_child(root, ns_dsig, "Signature", &sig));
    w->certs = sk_X509_new_null();
    w->inter = sk_X509_new_null();
    GUARD_PTR(w->certs != NULL && w->inter != NULL ? w->certs : NULL);
    GUARD(read_certs(sig, w->certs));
    GUARD(pick_signer(w->certs, &leaf, w->inter));
    GUARD(verify_chain(leaf, w->inter, at, extra_roots, &w->rim->simulated));
    GUARD(verify_dsig(sig, leaf));
    if (ward_x509_subject_cn(leaf, w->rim->signer, sizeof(w->rim->signer)) != WARD_OK) {
        w->rim->signer[0] = '\0';
        ward_err_clear();
    }
    return WARD_OK;
}

int ward_rim_parse_verify(const uint8_t *xml, size_t len, int64_t at, STACK_OF(X509) *extra_roots,
                          struct ward_rim **out)
{
    WARD_ASSERT(xml != NULL || len == 0);
    WARD_ASSERT(out != NULL);
    ENSURE_MSG(len <= WARD_RIM_MAX_LEN, WARD_ERR_NOMEM, "RIM: larger than %u bytes",
               WARD_RIM_MAX_LEN);
    ENSURE_MSG(len > 0, WARD_ERR_FORMAT, "RIM: empty document");
    pthread_once(&once, load_once);
    ENSURE_MSG(xmlsec_ready, WARD_ERR_CRYPTO, "RIM: xmlsec1 did not initialise");

    /* libxml2's error handler is per thread: route it here for this call only. */
    xmlStructuredErrorFunc saved_fn = xmlStructuredError;
    void *saved_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(NULL, libxml_error);
    xml_err[0] = '\0';

    struct rim_work w = {0};
    int rc = parse_verify(&w, xml, len, at, extra_roots);
    if (rc == WARD_OK) {
        *out = w.rim;
        w.rim = NULL;
    }
    rim_work_cleanup(&w);
    xmlSetStructuredErrorFunc(saved_ctx, saved_fn);
    return rc;
}

void ward_rim_free(struct ward_rim *rim)
{
    if (rim == NULL) {
        return;
    }
    for (size_t i = 0; i < rim->num_measurements; i++) {
        free(rim->measurements[i].values);
    }
    free(rim->measurements);
    free(rim);
}

static const struct ward_spdm_block *find_block(const struct ward_nvgpu_report *r, unsigned index)
{
    for (size_t k = 0; k < r->num_blocks; k++) {
        if (r->blocks[k].index == index) {
            return &r->blocks[k];
        }
    }
    return NULL;
}

int ward_rim_compare(const struct ward_rim *rim, const struct ward_nvgpu_report *r, json_t *results,
                     size_t *out_mismatches)
{
    WARD_ASSERT(rim != NULL && r != NULL && json_is_array(results) && out_mismatches != NULL);
    const struct ward_nv_opaque_field *nvdec =
        ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_NVDEC0_STATUS);
    bool nvdec_off =
        nvdec != NULL && nvdec->len >= 1 && nvdec->value[0] == WARD_RIM_NVDEC0_DISABLED;
    size_t bad = 0;
    for (size_t i = 0; i < rim->num_measurements; i++) {
        const struct ward_rim_measurement *m = &rim->measurements[i];
        unsigned spdm_index = (unsigned)m->index + 1;
        const struct ward_spdm_block *b = NULL;
        const char *result;
        char reason[160] = "";
        if (!m->active) {
            result = "inactive";
        } else if (m->index == WARD_RIM_NVDEC0_RIM_INDEX && nvdec_off) {
            result = "skipped";
            snprintf(reason, sizeof(reason),
                     "NVDEC0 is disabled (NVDEC0_STATUS 0x%02x): this index is not checked",
                     WARD_RIM_NVDEC0_DISABLED);
        } else if ((b = find_block(r, spdm_index)) == NULL) {
            result = "missing";
            snprintf(reason, sizeof(reason), "the report has no measurement block %u", spdm_index);
        } else if (b->value_len != WARD_RIM_HASH_LEN) {
            result = "mismatch";
            snprintf(reason, sizeof(reason),
                     "the report's value is %u bytes; the RIM's values are SHA-384 (48 bytes)",
                     (unsigned)b->value_len);
        } else {
            bool match = false;
            for (size_t k = 0; k < m->num_values; k++) {
                match |= ward_ct_equal(b->value, m->values[k], WARD_RIM_HASH_LEN);
            }
            result = match ? "match" : "mismatch";
            if (!match) {
                snprintf(reason, sizeof(reason),
                         "the report's value equals none of the RIM's %zu accepted value%s",
                         m->num_values, m->num_values == 1 ? "" : "s");
            }
        }
        bool counts = strcmp(result, "mismatch") == 0 || strcmp(result, "missing") == 0;
        bad += counts ? 1 : 0;
        json_t *o = json_pack("{s:I,s:I,s:s,s:s}", "index", (json_int_t)spdm_index, "rim_index",
                              (json_int_t)m->index, "rim", rim->tag_id, "result", result);
        GUARD_PTR(o);
        int rc = WARD_OK;
        if (m->name[0] != '\0' && json_object_set_new(o, "name", json_string(m->name)) != 0) {
            rc = WARD_ERR_NOMEM;
        }
        if (reason[0] != '\0' && json_object_set_new(o, "reason", json_string(reason)) != 0) {
            rc = WARD_ERR_NOMEM;
        }
        if (rc == WARD_OK && b != NULL && counts) {
            rc = ward_json_set_hex(o, "reported", b->value, b->value_len);
        }
        if (rc != WARD_OK) {
            json_decref(o);
            return ward_err_set(WARD_ERR_NOMEM, "out of memory");
        }
        /* json_array_append_new takes |o| even when it fails. */
        ENSURE_MSG(json_array_append_new(results, o) == 0, WARD_ERR_NOMEM, "out of memory");
    }
    *out_mismatches = bad;
    return WARD_OK;
}
