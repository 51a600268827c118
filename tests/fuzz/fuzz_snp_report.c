/* tests/fuzz/fuzz_snp_report.c: the SEV-SNP report parser. Whatever parses must
 * encode back to the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "ward/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_snp_report r;
    uint8_t out[WARD_SNP_REPORT_LEN];
    if (ward_snp_report_parse(data, size, &r) != WARD_OK) {
        return 0;
    }
    if (ward_snp_report_encode(&r, out) != WARD_OK || memcmp(out, data, size) != 0) {
        abort(); /* parse and encode must be exact inverses */
    }
    struct ward_snp_tcb t;
    ward_snp_tcb_decode(r.reported_tcb, ward_snp_product_from_cpuid(&r), &t);
    return 0;
}
