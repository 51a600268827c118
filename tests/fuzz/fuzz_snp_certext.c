/* tests/fuzz/fuzz_snp_certext.c: the VCEK/VLEK extension parser on arbitrary
 * certificates (DER or PEM). */
#include <stdlib.h>
#include <string.h>

#include "ward/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_snp_cert_ext e;
    if (ward_snp_cert_ext_parse_der(data, size, &e) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    if (e.hwid_len > sizeof(e.hwid) || strlen(e.product_name) >= sizeof(e.product_name) ||
        strlen(e.csp_id) >= sizeof(e.csp_id)) {
        abort();
    }
    return 0;
}
