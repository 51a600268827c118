/* tests/fuzz/fuzz_rim.c: the NVIDIA RIM parser and verifier on arbitrary bytes, at a
 * time inside the committed real RIMs' certificate validity so that mutants reach
 * the chain and the XML signature. Almost every mutant fails; what verifies must be
 * a well-formed result within the named maximums. */
#include <stdlib.h>
#include <string.h>

#include "ward/rim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_AT 1782864000 /* 2026-07-01T00:00:00Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_rim *rim = NULL;
    if (ward_rim_parse_verify(data, size, FUZZ_AT, NULL, &rim) != WARD_OK) {
        if (rim != NULL) {
            abort(); /* out-parameters are untouched on failure */
        }
        ward_err_clear();
        return 0;
    }
    if (rim->num_measurements == 0 || rim->num_measurements > WARD_RIM_MAX_MEASUREMENTS ||
        strlen(rim->tag_id) == 0 || strlen(rim->tag_id) > WARD_RIM_MAX_TEXT) {
        abort();
    }
    for (size_t i = 0; i < rim->num_measurements; i++) {
        const struct ward_rim_measurement *m = &rim->measurements[i];
        if (m->num_values == 0 || m->num_values > WARD_RIM_MAX_ALTERNATIVES || m->values == NULL) {
            abort();
        }
    }
    ward_rim_free(rim);
    return 0;
}
