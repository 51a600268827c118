/* tests/fuzz/fuzz_snp_certtable.c: the extended-report certificate table parser.
 * Every entry it returns must lie inside the input. */
#include <stdlib.h>

#include "ward/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_snp_cert_table t;
    if (ward_snp_cert_table_parse(data, size, &t) != WARD_OK) {
        return 0;
    }
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < t.num_entries; i++) {
        const struct ward_snp_cert_entry *e = &t.entries[i];
        if (e->der < data || e->der_len > size || (size_t)(e->der - data) > size - e->der_len) {
            abort();
        }
        sink ^= e->der[0] ^ e->der[e->der_len - 1];
    }
    (void)sink;
    return 0;
}
