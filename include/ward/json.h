/*
 * ward/json.h: JSON glue over jansson: strict loading with a size limit and
 * typed field access that reports which field was wrong.
 */
#ifndef WARD_JSON_H
#define WARD_JSON_H

#include <jansson.h>

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_JSON_MAX_DEPTH 32

/* ward_json_parse parses |len| bytes of JSON text (duplicate keys rejected).
 * Caller owns *out (json_decref). */
int ward_json_parse(const uint8_t *p, size_t len, json_t **out) WARD_MUST_CHECK;

/* ward_json_load_file reads and parses a JSON file of at most |max_len| bytes. */
int ward_json_load_file(const char *path, size_t max_len, json_t **out) WARD_MUST_CHECK;

/* Typed getters. A missing key is WARD_ERR_NOT_FOUND; a wrong type WARD_ERR_JSON.
 * Strings are borrowed from |obj|. */
int ward_json_get_string(const json_t *obj, const char *key, const char **out) WARD_MUST_CHECK;
int ward_json_get_bool(const json_t *obj, const char *key, bool *out) WARD_MUST_CHECK;
int ward_json_get_uint(const json_t *obj, const char *key, uint64_t max,
                       uint64_t *out) WARD_MUST_CHECK;
/* ward_json_get_hex decodes a hex string field that must be exactly |n| bytes. */
int ward_json_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n) WARD_MUST_CHECK;

/* ward_json_set_hex sets |key| in |obj| to the lowercase hex of |len| bytes. */
int ward_json_set_hex(json_t *obj, const char *key, const uint8_t *p, size_t len) WARD_MUST_CHECK;

/* Building documents. Each helper takes ownership of |v| even when it fails, so
 * `ward_json_set_new(o, "k", json_string(s))` never leaks; a NULL |v| (a failed
 * allocation) is WARD_ERR_NOMEM. */
int ward_json_set_new(json_t *obj, const char *key, json_t *v) WARD_MUST_CHECK;
int ward_json_append_new(json_t *arr, json_t *v) WARD_MUST_CHECK;
/* ward_json_b64 makes a new JSON string of the base64 of |len| bytes. */
int ward_json_b64(const uint8_t *p, size_t len, json_t **out) WARD_MUST_CHECK;
/* ward_json_set_b64 sets |key| to the base64 of |len| bytes. */
int ward_json_set_b64(json_t *obj, const char *key, const uint8_t *p, size_t len) WARD_MUST_CHECK;
/* ward_json_take returns *|p| and clears it, handing a DEFER'd reference over. */
static inline json_t *ward_json_take(json_t **p)
{
    json_t *v = *p;
    *p = NULL;
    return v;
}
/* ward_json_freep is a DEFER cleanup for json_t pointers. */
static inline void ward_json_freep(json_t **p)
{
    json_decref(*p);
}

/* ward_json_dumps serialises |v| compactly (keys in insertion order); malloc'd. */
char *ward_json_dumps(const json_t *v, bool pretty);

#ifdef __cplusplus
}
#endif
#endif
