/* tests/fuzz/fuzz_pck_ext.c: the PCK certificate SGX extension parser on an
 * arbitrary DER extension value (the bytes inside the extnValue OCTET STRING). */
#include <stdlib.h>

#include "ward/tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_pck_ext e;
    if (ward_pck_ext_parse_der(data, size, &e) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    if (e.sgx_type < 0 || e.sgx_type > 2) {
        abort();
    }
    return 0;
}
