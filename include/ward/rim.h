/*
 * ward/rim.h: NVIDIA Reference Integrity Manifests (RIMs), the signed reference
 * values NVIDIA publishes for each GPU driver, GPU VBIOS and NVSwitch BIOS.
 *
 * A RIM is an ISO/IEC 19770-2 SWID tag (XML) following the TCG RIM information
 * model, with an enveloped XML-DSig signature (ECDSA P-384, SHA-384, C14N 1.1)
 * whose KeyInfo/X509Data carries the signing certificate and its chain up to the
 * NVIDIA CoRIM signing Root CA:
 *
 *   <SoftwareIdentity tagId=".." name="GH100" version="1.0" ...>    (SWID namespace)
 *     <Meta colloquialVersion="550.144.03" .../>                    driver/VBIOS version
 *     <Payload>
 *       <Resource type="Measurement" index="7" active="True" alternatives="2"
 *                 sha384:Hash0="<96 hex>" sha384:Hash1="<96 hex>"
 *                 name="Measurement_7" size="48"/>   (one per index, usually 0..63)
 *     </Payload>
 *     <ds:Signature> Reference URI="" (enveloped) ... KeyInfo/X509Data </ds:Signature>
 *   </SoftwareIdentity>
 * where the sha384 prefix is bound to "http://www.w3.org/2001/04/xmlenc#sha384".
 *
 * RIM index i is SPDM measurement block i + 1 of the device's report (RIMs count
 * from 0, SPDM block indexes from 1).
 */
#ifndef WARD_RIM_H
#define WARD_RIM_H

#include <jansson.h>
#include <openssl/x509.h>

#include "ward/base.h"
#include "ward/nvgpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_RIM_MAX_LEN (1u << 20)    /* named maximum of a RIM document's size */
#define WARD_RIM_MAX_MEASUREMENTS 255u /* indexes 0..254 (SPDM blocks 1..255) */
#define WARD_RIM_MAX_ALTERNATIVES 16u  /* accepted values of one index */
#define WARD_RIM_MAX_CERTS 8u          /* certificates in KeyInfo/X509Data */
#define WARD_RIM_HASH_LEN 48u          /* SHA-384 */
#define WARD_RIM_MAX_TEXT 128u         /* tag id, name, versions (without NUL) */
#define WARD_RIM_NVDEC0_DISABLED 0x55u /* NVDEC0_STATUS opaque value: engine off */
#define WARD_RIM_NVDEC0_RIM_INDEX 35u  /* the RIM index that then goes unchecked */

/* One measurement index of a RIM. */
struct ward_rim_measurement {
    uint8_t index; /* the RIM's index (0-based); SPDM block index + 1 */
    bool active;   /* false: the RIM says nothing about this index */
    char name[WARD_RIM_MAX_TEXT + 1];
    size_t num_values;                    /* 1..WARD_RIM_MAX_ALTERNATIVES */
    uint8_t (*values)[WARD_RIM_HASH_LEN]; /* owned; any one of them is a match */
};

/* A verified RIM. Every field is owned by the struct; read-only for callers. */
struct ward_rim {
    char tag_id[WARD_RIM_MAX_TEXT + 1];             /* SoftwareIdentity@tagId */
    char name[WARD_RIM_MAX_TEXT + 1];               /* SoftwareIdentity@name ("GH100", "LS10") */
    char version[WARD_RIM_MAX_TEXT + 1];            /* SoftwareIdentity@version, "" if absent */
    char colloquial_version[WARD_RIM_MAX_TEXT + 1]; /* Meta@colloquialVersion, "" if absent */
    char signer[WARD_RIM_MAX_TEXT + 1];             /* the signing certificate's CN */
    bool simulated;                                 /* verified to one of |extra_roots| */
    size_t num_measurements;
    struct ward_rim_measurement *measurements; /* document order, indexes unique */
};

/* ward_rim_parse_verify parses the RIM in |xml| (|len| bytes, at most
 * WARD_RIM_MAX_LEN, else WARD_ERR_NOMEM) and verifies it:
 *  - the XML is parsed without network access; a document with a DTD (hence any
 *    entity) is refused (WARD_ERR_FORMAT), as is any other malformed document or
 *    SWID structure (WARD_ERR_FORMAT);
 *  - the signing certificate is the one certificate of the Signature's
 *    KeyInfo/X509Data that issued none of the others; it must be an end entity
 *    allowed to sign, and its chain (the other certificates as intermediates)
 *    must verify at |at| to the compiled-in NVIDIA CoRIM signing Root CA, or else
 *    to one of |extra_roots| (may be NULL; a simulator's roots), which sets
 *    |simulated|: WARD_ERR_CHAIN or WARD_ERR_EXPIRED;
 *  - the enveloped XML-DSig signature, a direct child of the root element, must
 *    verify with that certificate's key through xmlsec1: ECDSA-SHA384 only, one
 *    Reference with URI="" (the whole document) and only the enveloped-signature
 *    and C14N transforms and SHA-384: WARD_ERR_SIGNATURE otherwise.
 * On success the caller owns *out (ward_rim_free); |out| is untouched on failure. */
int ward_rim_parse_verify(const uint8_t *xml, size_t len, int64_t at, STACK_OF(X509) *extra_roots,
                          struct ward_rim **out) WARD_MUST_CHECK;

/* ward_rim_compare compares the report |r| with every measurement of |rim| and
 * appends one object per RIM index to the JSON array |results|:
 *   {"index": SPDM block index, "rim_index": N, "rim": tag id, "result": R[, "reason": ..]}
 * R is "match" (an active index whose report value equals one of the RIM's
 * values), "mismatch" (different value or length), "missing" (no block with that
 * index in the report), "inactive" (the RIM does not constrain the index) or
 * "skipped" (RIM index 35 while the report's NVDEC0_STATUS opaque field says the
 * engine is disabled, 0x55, which NVIDIA's verifier does not check either).
 * *out_mismatches is set to the number of "mismatch" and "missing" results.
 * Report blocks the RIM does not list are not reported. Returns WARD_ERR_NOMEM
 * when |results| cannot grow (it may then hold some of the objects). */
int ward_rim_compare(const struct ward_rim *rim, const struct ward_nvgpu_report *r, json_t *results,
                     size_t *out_mismatches) WARD_MUST_CHECK;

/* ward_rim_free frees |rim| and everything it owns. Accepts NULL. */
void ward_rim_free(struct ward_rim *rim);

#ifdef __cplusplus
}
#endif
#endif /* WARD_RIM_H */
