/* tests/fuzz/fuzz_spdm.c: the NVIDIA SPDM report parser on arbitrary bytes. Whatever
 * parses must encode back to exactly the input, its signed part must be the input
 * without the 96-byte signature, and every block value and opaque field must lie
 * inside the input. */
#include <stdlib.h>
#include <string.h>

#include "ward/nvgpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t len)
{
    if (len > 0 && (p < data || len > size || (size_t)(p - data) > size - len)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ward_nvgpu_report r; /* 7 KiB: keep it off the fuzzer's stack */
    struct ward_buf enc = {0};
    if (ward_nvgpu_report_parse(data, size, &r) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    if (r.signed_data != data || r.signed_len + WARD_SPDM_SIG_LEN != size ||
        r.num_blocks > WARD_SPDM_MAX_BLOCKS || r.num_opaque > WARD_NVGPU_MAX_OPAQUE) {
        abort();
    }
    for (size_t i = 0; i < r.num_blocks; i++) {
        inside(data, size, r.blocks[i].value, r.blocks[i].value_len);
    }
    for (size_t i = 0; i < r.num_opaque; i++) {
        inside(data, size, r.opaque[i].value, r.opaque[i].len);
        if (ward_nvgpu_opaque_find(&r, r.opaque[i].type) != &r.opaque[i]) {
            abort(); /* types are unique */
        }
    }
    if (ward_nvgpu_report_encode(&r, &enc) != WARD_OK || enc.len != size ||
        memcmp(enc.data, data, size) != 0) {
        abort();
    }
    ward_buf_cleanup(&enc);
    return 0;
}
