/*
 * lib/verify/composite.c: the payload that binds a composite envelope's GPU
 * evidence to its CPU evidence (see ward_composite_payload in ward/verify.h).
 * The producer (the simulator, an attestation agent) and the verifier share it,
 * so the two cannot drift apart.
 */
#include <stdlib.h>

#include "base/internal.h"
#include "ward/crypto.h"
#include "ward/nvgpu.h"
#include "ward/verify.h"

#define COMPOSITE_NONCE_LEN 32u
#define COMPOSITE_DIGEST_LEN 48u

_Static_assert(COMPOSITE_NONCE_LEN + COMPOSITE_DIGEST_LEN == WARD_COMPOSITE_PART_LEN,
               "a GPU part is its nonce and the report's SHA-384");

int ward_composite_payload(const struct ward_buf *gpu_reports, size_t num, struct ward_buf *out)
{
    WARD_ASSERT((gpu_reports != NULL || num == 0) && out != NULL);
    ENSURE_MSG(num > 0, WARD_ERR_FORMAT, "composite: no GPU evidence to bind");
    ENSURE_MSG(num <= WARD_COMPOSITE_MAX_GPUS, WARD_ERR_NOMEM,
               "composite: %zu GPU parts, at most %d are accepted", num, WARD_COMPOSITE_MAX_GPUS);

    /* A parsed report holds up to 255 blocks: too large for the stack. */
    DEFER(ward_freep) struct ward_nvgpu_report *r = malloc(sizeof(*r));
    GUARD_PTR(r);
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, WARD_COMPOSITE_MAX_GPUS * WARD_COMPOSITE_PART_LEN);
    for (size_t i = 0; i < num; i++) {
        const struct ward_buf *g = &gpu_reports[i];
        if (ward_nvgpu_report_parse(g->data, g->len, r) != WARD_OK) {
            return ward_err_prefix("composite: GPU part %zu", i);
        }
        uint8_t digest[COMPOSITE_DIGEST_LEN];
        GUARD(ward_digest(WARD_SHA384, g->data, g->len, digest));
        GUARD(ward_wr_bytes(&w, r->request_nonce, COMPOSITE_NONCE_LEN));
        GUARD(ward_wr_bytes(&w, digest, sizeof(digest)));
    }
    ward_wr_finish(&w, out);
    return WARD_OK;
}
