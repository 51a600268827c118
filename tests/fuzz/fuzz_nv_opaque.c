/* tests/fuzz/fuzz_nv_opaque.c: the NVIDIA opaque-data parser on arbitrary bytes.
 * The fields it returns must tile the input exactly, each as a 4-byte header and
 * its value, with no type twice. */
#include <stdlib.h>

#include "ward/nvgpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_nv_opaque_field f[WARD_NVGPU_MAX_OPAQUE];
    size_t n, off = 0;
    if (ward_nv_opaque_parse(data, size, f, WARD_NVGPU_MAX_OPAQUE, &n) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    if (n > WARD_NVGPU_MAX_OPAQUE) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (size - off < 4 || f[i].value != data + off + 4 || f[i].len > size - off - 4) {
            abort();
        }
        off += 4 + (size_t)f[i].len;
        for (size_t j = 0; j < i; j++) {
            if (f[j].type == f[i].type) {
                abort();
            }
        }
        (void)ward_nv_opaque_name(f[i].type);
    }
    if (off != size) {
        abort();
    }
    return 0;
}
