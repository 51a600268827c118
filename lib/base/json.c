/* lib/base/json.c: JSON glue over jansson. */
#include <string.h>

#include "base/internal.h"
#include "ward/json.h"

int ward_json_parse(const uint8_t *p, size_t len, json_t **out)
{
    json_error_t e;
    json_t *v = json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES, &e);
    ENSURE_MSG(v != NULL, WARD_ERR_JSON, "JSON error at line %d column %d: %s", e.line, e.column,
               e.text);
    *out = v;
    return WARD_OK;
}

int ward_json_load_file(const char *path, size_t max_len, json_t **out)
{
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(ward_read_file(path, max_len, &b));
    int rc = ward_json_parse(b.data, b.len, out);
    if (rc != WARD_OK) {
        ward_err_prefix("%s", path);
    }
    return rc;
}

static int get(const json_t *obj, const char *key, json_t **out)
{
    ENSURE_MSG(json_is_object(obj), WARD_ERR_JSON, "expected a JSON object around \"%s\"", key);
    json_t *v = json_object_get(obj, key);
    ENSURE_MSG(v != NULL, WARD_ERR_NOT_FOUND, "missing field \"%s\"", key);
    *out = v;
    return WARD_OK;
}

int ward_json_get_string(const json_t *obj, const char *key, const char **out)
{
    json_t *v = NULL;
    GUARD(get(obj, key, &v));
    ENSURE_MSG(json_is_string(v), WARD_ERR_JSON, "field \"%s\" must be a string", key);
    *out = json_string_value(v);
    return WARD_OK;
}

int ward_json_get_bool(const json_t *obj, const char *key, bool *out)
{
    json_t *v = NULL;
    GUARD(get(obj, key, &v));
    ENSURE_MSG(json_is_boolean(v), WARD_ERR_JSON, "field \"%s\" must be true or false", key);
    *out = json_is_true(v);
    return WARD_OK;
}

int ward_json_get_uint(const json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
    json_t *v = NULL;
    GUARD(get(obj, key, &v));
    ENSURE_MSG(json_is_integer(v) && json_integer_value(v) >= 0 &&
                   (uint64_t)json_integer_value(v) <= max,
               WARD_ERR_JSON, "field \"%s\" must be an integer from 0 to %llu", key,
               (unsigned long long)max);
    *out = (uint64_t)json_integer_value(v);
    return WARD_OK;
}

int ward_json_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t n)
{
    const char *s;
    GUARD(ward_json_get_string(obj, key, &s));
    int rc = ward_hex_decode_exact(s, out, n);
    if (rc != WARD_OK) {
        ward_err_prefix("field \"%s\"", key);
    }
    return rc;
}

int ward_json_set_hex(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
    char *hex = malloc(2 * len + 1);
    GUARD_PTR(hex);
    ward_hex_encode(p, len, hex);
    int r = json_object_set_new(obj, key, json_string(hex));
    free(hex);
    ENSURE(r == 0, WARD_ERR_NOMEM);
    return WARD_OK;
}

char *ward_json_dumps(const json_t *v, bool pretty)
{
    return json_dumps(v, JSON_PRESERVE_ORDER | (pretty ? JSON_INDENT(2) : JSON_COMPACT));
}

int ward_json_set_new(json_t *obj, const char *key, json_t *v)
{
    ENSURE_MSG(v != NULL && json_object_set_new(obj, key, v) == 0, WARD_ERR_NOMEM,
               "out of memory building JSON (\"%s\")", key);
    return WARD_OK;
}

int ward_json_append_new(json_t *arr, json_t *v)
{
    ENSURE_MSG(v != NULL && json_array_append_new(arr, v) == 0, WARD_ERR_NOMEM,
               "out of memory building JSON");
    return WARD_OK;
}

int ward_json_b64(const uint8_t *p, size_t len, json_t **out)
{
    DEFER(ward_freep) char *b64 = ward_base64_encode(p, len);
    GUARD_PTR(b64);
    json_t *s = json_string(b64);
    GUARD_PTR(s);
    *out = s;
    return WARD_OK;
}

int ward_json_set_b64(json_t *obj, const char *key, const uint8_t *p, size_t len)
{
    json_t *s = NULL;
    GUARD(ward_json_b64(p, len, &s));
    return ward_json_set_new(obj, key, s);
}
