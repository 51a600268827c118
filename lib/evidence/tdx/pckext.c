/*
 * lib/evidence/tdx/pckext.c: the SGX extension of Intel PCK certificates (Intel
 * "SGX PCK Certificate and CRL Profile", section "Intel SGX Extensions"), OID
 * 1.2.840.113741.1.13.1. Its value is a SEQUENCE of SEQUENCE { OID, value }, the
 * OIDs being 1.2.840.113741.1.13.1.<arc>:
 *   .1 PPID                 OCTET STRING (16)
 *   .2 TCB                  SEQUENCE of SEQUENCE { OID, value }:
 *        .2.1 - .2.16       sgxTcbComp01Svn - sgxTcbComp16Svn   INTEGER (0..255)
 *        .2.17              pcesvn                              INTEGER (0..65535)
 *        .2.18              cpusvn                              OCTET STRING (16)
 *   .3 PCE-ID               OCTET STRING (2)
 *   .4 FMSPC                OCTET STRING (6)
 *   .5 SGX Type             ENUMERATED (0 Standard, 1 Scalable, 2 Scalable with integrity)
 *   .6 PlatformInstanceID   OCTET STRING (16)       optional (Platform CA certificates)
 *   .7 Configuration        SEQUENCE of SEQUENCE { OID, BOOLEAN }, optional:
 *        .7.1 dynamicPlatform   .7.2 cachedKeys   .7.3 SMTEnabled
 * Every required field appears exactly once and every optional one at most once,
 * in any order; an unknown OID is an error. The DER is walked with der.h, and OIDs
 * are matched on their contents bytes: the common prefix below, verified with
 * `openssl asn1parse -genstr OID:1.2.840.113741.1.13.1`, then one byte per arc.
 */
#include <stdio.h>
#include <string.h>

#include "base/internal.h"
#include "base/der.h"
#include "ward/crypto.h"
#include "ward/tdx.h"

#define SGX_EXT_OID "1.2.840.113741.1.13.1"

/* DER contents of 1.2.840.113741.1.13.1. */
static const uint8_t SGX_OID[] = {0x2A, 0x86, 0x48, 0x86, 0xF8, 0x4D, 0x01, 0x0D, 0x01};

/* Top-level fields, by arc. */
enum {
    F_PPID = 1,
    F_TCB = 2,
    F_PCEID = 3,
    F_FMSPC = 4,
    F_SGX_TYPE = 5,
    F_PLATFORM_INSTANCE_ID = 6,
    F_CONFIGURATION = 7,
};
static const char *const FIELD_NAMES[] = {
    NULL, "PPID", "TCB", "PCE-ID", "FMSPC", "SGX Type", "PlatformInstanceID", "Configuration",
};

/* TCB entries, by arc under .2. */
#define TCB_NUM_COMPS 16u
#define TCB_PCESVN 17u
#define TCB_CPUSVN 18u

/* Configuration entries, by arc under .7. */
static const char *const CONFIG_NAMES[] = {NULL, "dynamicPlatform", "cachedKeys", "SMTEnabled"};

#define SGX_TYPE_MAX 2u
#define OID_TEXT_LEN 64

/* Returns n when |oid| holds the contents of SGX_OID.n (|parent| 0) or of
 * SGX_OID.parent.n, for a one-byte arc n; else 0. */
static unsigned oid_arc(struct ward_rd oid, uint8_t parent)
{
    uint8_t want[sizeof(SGX_OID) + 1], got[sizeof(SGX_OID) + 1];
    size_t prefix_len = sizeof(SGX_OID) + (parent != 0 ? 1 : 0);
    uint8_t arc;

    if (ward_rd_left(&oid) != prefix_len + 1) {
        return 0;
    }
    memcpy(want, SGX_OID, sizeof(SGX_OID));
    want[sizeof(SGX_OID)] = parent;
    if (ward_rd_copy(&oid, got, prefix_len) != WARD_OK || ward_rd_u8(&oid, &arc) != WARD_OK) {
        return 0;
    }
    if (memcmp(got, want, prefix_len) != 0 || arc >= 0x80) {
        return 0;
    }
    return arc;
}

/* Appends |sep| and |v|, or "?" when |sep| is NULL, to the message |out|. */
static void append(char *out, size_t out_len, const char *sep, unsigned long long v)
{
    size_t used = strlen(out);
    if (used + 1 >= out_len) {
        return;
    }
    if (sep == NULL) {
        snprintf(out + used, out_len - used, "?");
    } else {
        snprintf(out + used, out_len - used, "%s%llu", sep, v);
    }
}

/* Writes the dotted form of |oid|'s contents into |out|, for messages. A
 * malformed encoding ends in "?". */
static void oid_format(struct ward_rd oid, char *out, size_t out_len)
{
    unsigned long long arc = 0;
    bool first = true, open = false;
    uint8_t b;

    out[0] = '\0';
    while (ward_rd_left(&oid) > 0 && ward_rd_u8(&oid, &b) == WARD_OK) {
        if (arc > (~0ull >> 7)) {
            open = true;
            break;
        }
        arc = (arc << 7) | (b & 0x7Fu);
        open = (b & 0x80) != 0;
        if (open) {
            continue;
        }
        if (first) {
            /* The first subidentifier packs two arcs (X.690 8.19.4). */
            unsigned long long top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
            append(out, out_len, "", top);
            append(out, out_len, ".", arc - 40 * top);
            first = false;
        } else {
            append(out, out_len, ".", arc);
        }
        arc = 0;
    }
    if (open || first) {
        append(out, out_len, NULL, 0);
    }
}

/* Reads the next SEQUENCE { OID, value } of |list|: *out_arc is the OID's arc
 * under SGX_OID[.parent] (0 for any other OID), |out_oid| the OID's contents
 * (for messages) and |out_value| the rest of the entry. */
static int entry_next(struct ward_rd *list, uint8_t parent, const char *what,
                      struct ward_rd *out_oid, struct ward_rd *out_value, unsigned *out_arc)
{
    struct ward_rd item, oid;
    GUARD(ward_der_expect(list, WARD_DER_SEQUENCE, what, &item));
    GUARD(ward_der_expect(&item, WARD_DER_OID, what, &oid));
    *out_oid = oid;
    *out_value = item;
    *out_arc = oid_arc(oid, parent);
    return WARD_OK;
}

static int unknown_oid(const char *what, struct ward_rd oid)
{
    char text[OID_TEXT_LEN];
    oid_format(oid, text, sizeof(text));
    return ward_err_set(WARD_ERR_FORMAT, "%s: unknown OID %s", what, text);
}

/* An OCTET STRING of exactly |n| bytes. */
static int value_octets(struct ward_rd *value, uint8_t *out, size_t n, const char *what)
{
    struct ward_rd c;
    GUARD(ward_der_expect(value, WARD_DER_OCTET_STRING, what, &c));
    return ward_der_octets(&c, out, n, what);
}

/* An INTEGER (or ENUMERATED, per |tag|) in 0..|max|. */
static int value_uint(struct ward_rd *value, uint8_t tag, uint64_t max, const char *what,
                      uint64_t *out)
{
    struct ward_rd c;
    GUARD(ward_der_expect(value, tag, what, &c));
    return ward_der_uint(&c, max, what, out);
}

/* .2: the TCB: all 18 entries, each once. */
static int tcb_parse(struct ward_rd *value, struct ward_pck_ext *e)
{
    struct ward_rd list, oid, item;
    uint32_t seen = 0;
    unsigned arc;
    uint64_t v;
    char name[24];

    GUARD(ward_der_expect(value, WARD_DER_SEQUENCE, "TCB", &list));
    while (ward_rd_left(&list) > 0) {
        GUARD(entry_next(&list, F_TCB, "TCB entry", &oid, &item, &arc));
        if (arc < 1 || arc > TCB_CPUSVN) {
            return unknown_oid("TCB entry", oid);
        }
        if (arc <= TCB_NUM_COMPS) {
            snprintf(name, sizeof(name), "sgxTcbComp%02uSvn", arc);
        } else {
            snprintf(name, sizeof(name), "%s", arc == TCB_PCESVN ? "pcesvn" : "cpusvn");
        }
        ENSURE_MSG((seen & (1u << arc)) == 0, WARD_ERR_FORMAT, "TCB: %s appears more than once",
                   name);
        seen |= 1u << arc;
        if (arc <= TCB_NUM_COMPS) {
            GUARD(value_uint(&item, WARD_DER_INTEGER, UINT8_MAX, name, &v));
            e->comp_svn[arc - 1] = (uint8_t)v;
        } else if (arc == TCB_PCESVN) {
            GUARD(value_uint(&item, WARD_DER_INTEGER, UINT16_MAX, name, &v));
            e->pcesvn = (uint16_t)v;
        } else {
            GUARD(value_octets(&item, e->cpusvn, sizeof(e->cpusvn), name));
        }
        GUARD(ward_rd_done(&item, name));
    }
    for (arc = 1; arc <= TCB_CPUSVN; arc++) {
        ENSURE_MSG((seen & (1u << arc)) != 0, WARD_ERR_FORMAT,
                   "TCB: entry 1.2.840.113741.1.13.1.2.%u is missing", arc);
    }
    return WARD_OK;
}

/* .7: the platform configuration: BOOLEANs, each at most once. Checked, not kept. */
static int config_parse(struct ward_rd *value)
{
    struct ward_rd list, oid, item, c;
    uint32_t seen = 0;
    unsigned arc;
    bool flag;

    GUARD(ward_der_expect(value, WARD_DER_SEQUENCE, "Configuration", &list));
    while (ward_rd_left(&list) > 0) {
        GUARD(entry_next(&list, F_CONFIGURATION, "Configuration entry", &oid, &item, &arc));
        if (arc < 1 || arc >= WARD_ARRAY_LEN(CONFIG_NAMES)) {
            return unknown_oid("Configuration entry", oid);
        }
        const char *name = CONFIG_NAMES[arc];
        ENSURE_MSG((seen & (1u << arc)) == 0, WARD_ERR_FORMAT,
                   "Configuration: %s appears more than once", name);
        seen |= 1u << arc;
        GUARD(ward_der_expect(&item, WARD_DER_BOOLEAN, name, &c));
        GUARD(ward_der_bool(&c, name, &flag));
        GUARD(ward_rd_done(&item, name));
    }
    return WARD_OK;
}

static int field_parse(unsigned arc, struct ward_rd *value, struct ward_pck_ext *e)
{
    uint64_t v;
    switch (arc) {
    case F_PPID:
        return value_octets(value, e->ppid, sizeof(e->ppid), "PPID");
    case F_TCB:
        return tcb_parse(value, e);
    case F_PCEID:
        return value_octets(value, e->pceid, sizeof(e->pceid), "PCE-ID");
    case F_FMSPC:
        return value_octets(value, e->fmspc, sizeof(e->fmspc), "FMSPC");
    case F_SGX_TYPE:
        GUARD(value_uint(value, WARD_DER_ENUMERATED, SGX_TYPE_MAX, "SGX Type", &v));
        e->sgx_type = (int)v;
        return WARD_OK;
    case F_PLATFORM_INSTANCE_ID:
        e->has_platform_instance_id = true;
        return value_octets(value, e->platform_instance_id, sizeof(e->platform_instance_id),
                            "PlatformInstanceID");
    case F_CONFIGURATION:
        return config_parse(value);
    default:
        WARD_ASSERT(false); /* the caller checked the arc */
        return WARD_ERR_USAGE;
    }
}

static int ext_parse(const uint8_t *p, size_t len, struct ward_pck_ext *out)
{
    struct ward_pck_ext e;
    struct ward_rd rd, list, oid, value;
    uint32_t seen = 0;
    unsigned arc;

    memset(&e, 0, sizeof(e));
    ward_rd_init(&rd, p, len);
    GUARD(ward_der_expect(&rd, WARD_DER_SEQUENCE, "extension value", &list));
    GUARD(ward_rd_done(&rd, "extension value"));
    while (ward_rd_left(&list) > 0) {
        GUARD(entry_next(&list, 0, "field", &oid, &value, &arc));
        if (arc < F_PPID || arc > F_CONFIGURATION) {
            return unknown_oid("field", oid);
        }
        const char *name = FIELD_NAMES[arc];
        ENSURE_MSG((seen & (1u << arc)) == 0, WARD_ERR_FORMAT, "%s appears more than once", name);
        seen |= 1u << arc;
        GUARD(field_parse(arc, &value, &e));
        GUARD(ward_rd_done(&value, name));
    }
    for (arc = F_PPID; arc <= F_SGX_TYPE; arc++) {
        ENSURE_MSG((seen & (1u << arc)) != 0, WARD_ERR_FORMAT, "%s (%s.%u) is missing",
                   FIELD_NAMES[arc], SGX_EXT_OID, arc);
    }
    *out = e;
    return WARD_OK;
}

int ward_pck_ext_parse_der(const uint8_t *p, size_t len, struct ward_pck_ext *out)
{
    WARD_ASSERT((p != NULL || len == 0) && out != NULL);
    if (ext_parse(p, len, out) != WARD_OK) {
        return ward_err_prefix("PCK SGX extension");
    }
    return WARD_OK;
}

int ward_pck_ext_parse(X509 *cert, struct ward_pck_ext *out)
{
    const uint8_t *p;
    size_t len;
    WARD_ASSERT(cert != NULL && out != NULL);
    GUARD(ward_x509_ext_data(cert, SGX_EXT_OID, &p, &len));
    return ward_pck_ext_parse_der(p, len, out);
}
