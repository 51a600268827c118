/* tests/fuzz/fuzz_dcap_collateral.c: the DCAP collateral bundle parser, then the
 * TCB info and QE identity parsers on the signed texts of any bundle that parses.
 * The input is also read as a PCS response body ({"tcbInfo":...,"signature":...}),
 * whose signed member is cut out by a scanner and parsed the same way. */
#include <stdlib.h>
#include <string.h>

#include "ward/dcap.h"
#include "ward/pcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pcs_body: the input as a PCS signed-document body. */
static void pcs_body(const uint8_t *data, size_t size)
{
    static const char *const members[] = {"tcbInfo", "enclaveIdentity"};
    for (size_t i = 0; i < 2; i++) {
        const uint8_t *raw = NULL;
        size_t len = 0;
        uint8_t sig[64];
        if (ward_pcs_signed_member(data, size, members[i], &raw, &len, sig) != WARD_OK) {
            continue;
        }
        if (raw < data || len > size || (size_t)(raw - data) > size - len) {
            abort();
        }
        struct ward_dcap_tcb_info t;
        memset(&t, 0, sizeof(t));
        if (i == 0 && ward_dcap_tcb_info_parse(raw, len, &t) == WARD_OK) {
            ward_dcap_tcb_info_cleanup(&t);
        }
        struct ward_dcap_qe_identity q;
        memset(&q, 0, sizeof(q));
        if (i == 1 && ward_dcap_qe_identity_parse(raw, len, &q) == WARD_OK) {
            ward_dcap_qe_identity_cleanup(&q);
        }
    }
    ward_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pcs_body(data, size);
    struct ward_dcap_collateral c;
    memset(&c, 0, sizeof(c));
    if (ward_dcap_collateral_parse(data, size, &c) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    struct ward_dcap_tcb_info t;
    memset(&t, 0, sizeof(t));
    if (ward_dcap_tcb_info_parse(c.tcb_info.data, c.tcb_info.len, &t) == WARD_OK) {
        if (t.num_levels == 0 || t.num_levels > WARD_DCAP_MAX_LEVELS ||
            t.num_modules > WARD_DCAP_MAX_MODULES) {
            abort();
        }
        ward_dcap_tcb_info_cleanup(&t);
    }
    struct ward_dcap_qe_identity q;
    memset(&q, 0, sizeof(q));
    if (ward_dcap_qe_identity_parse(c.qe_identity.data, c.qe_identity.len, &q) == WARD_OK) {
        if (q.num_levels == 0 || q.num_levels > WARD_DCAP_MAX_LEVELS) {
            abort();
        }
        ward_dcap_qe_identity_cleanup(&q);
    }
    /* Whatever parsed must encode and read back. */
    struct ward_buf text = {0};
    if (ward_dcap_collateral_encode(&c, &text) == WARD_OK) {
        struct ward_dcap_collateral back;
        memset(&back, 0, sizeof(back));
        if (ward_dcap_collateral_parse(text.data, text.len, &back) != WARD_OK ||
            back.tcb_info.len != c.tcb_info.len ||
            memcmp(back.tcb_info.data, c.tcb_info.data, c.tcb_info.len) != 0) {
            abort();
        }
        ward_dcap_collateral_cleanup(&back);
    }
    ward_buf_cleanup(&text);
    ward_dcap_collateral_cleanup(&c);
    ward_err_clear();
    return 0;
}
