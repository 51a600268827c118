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

/* ward_json_dumps serialises |v| compactly (keys in insertion order); malloc'd. */
char *ward_json_dumps(const json_t *v, bool pretty);

#ifdef __cplusplus
}
#endif
#endif
