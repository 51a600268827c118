/*
 * lib/base/der.h: a small DER reader over struct ward_rd, for the
 * vendor extensions that OpenSSL has no template for (the SGX extension of
 * Intel PCK certificates). It reads one TLV at a time: a low-tag-number tag, a
 * definite length in its minimal encoding that must fit in what is left, and
 * the contents as a child reader. Primitive values are then decoded from the
 * contents, and each caller checks that nothing is left over.
 */
#ifndef WARD_BASE_DER_H
#define WARD_BASE_DER_H

#include "ward/base.h"

/* Universal tags (X.690 8.1.2), with the constructed bit where DER requires it. */
#define WARD_DER_BOOLEAN 0x01u
#define WARD_DER_INTEGER 0x02u
#define WARD_DER_OCTET_STRING 0x04u
#define WARD_DER_OID 0x06u
#define WARD_DER_ENUMERATED 0x0Au
#define WARD_DER_SEQUENCE 0x30u

/* ward_der_next reads one element from |r|: its tag into *out_tag and its
 * contents into |out| (borrowed from |r|). High tag numbers (low five bits all
 * set), indefinite lengths, lengths of more than four bytes and non-minimal
 * lengths are WARD_ERR_FORMAT; a length past the end of |r| is
 * WARD_ERR_TRUNCATED. |what| names the element in errors. */
int ward_der_next(struct ward_rd *r, const char *what, uint8_t *out_tag,
                  struct ward_rd *out) WARD_MUST_CHECK;

/* ward_der_expect is ward_der_next for an element that must have |tag|
 * (else WARD_ERR_FORMAT naming |what|). */
int ward_der_expect(struct ward_rd *r, uint8_t tag, const char *what,
                    struct ward_rd *out) WARD_MUST_CHECK;

/* ward_der_uint decodes the contents of an INTEGER or ENUMERATED: at least one
 * byte, minimal (no redundant leading 0x00), not negative, and at most |max|
 * (else WARD_ERR_FORMAT). Consumes all of |c|. */
int ward_der_uint(struct ward_rd *c, uint64_t max, const char *what, uint64_t *out) WARD_MUST_CHECK;

/* ward_der_bool decodes the contents of a BOOLEAN: one byte, 0x00 or 0xFF
 * (DER, X.690 11.1), else WARD_ERR_FORMAT. Consumes all of |c|. */
int ward_der_bool(struct ward_rd *c, const char *what, bool *out) WARD_MUST_CHECK;

/* ward_der_octets copies the contents of an OCTET STRING that must be exactly
 * |n| bytes (else WARD_ERR_FORMAT) into |out|. Consumes all of |c|. */
int ward_der_octets(struct ward_rd *c, uint8_t *out, size_t n, const char *what) WARD_MUST_CHECK;

#endif
