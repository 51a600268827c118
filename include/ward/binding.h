/*
 * ward/binding.h: the report_data binding every ward component uses
 * (docs/architecture.md): the 64 bytes of REPORT_DATA are
 *     SHA-512(label || 0x00 || payload)
 * with one label per use ("ward/v1/kms-session", "ward/v1/tls-key",
 * "ward/v1/ohttp-keys", "ward/v1/build", "ward/v1/telemetry",
 * "ward/v1/composite"). The producer and the verifier both call this function.
 */
#ifndef WARD_BINDING_H
#define WARD_BINDING_H

#include "ward/base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WARD_BINDING_LEN 64u
#define WARD_LABEL_COMPOSITE "ward/v1/composite"

/* ward_binding computes SHA-512(label || 0x00 || payload) into |out|. |label|
 * must be a non-empty NUL-terminated string without NUL bytes inside (a
 * caller's bug otherwise). */
int ward_binding(const char *label, const uint8_t *payload, size_t payload_len,
                 uint8_t out[WARD_BINDING_LEN]) WARD_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
