/* tests/fuzz/fuzz_tdx_quote.c: the TDX quote parser on arbitrary bytes. Whatever
 * parses must encode back to exactly the quote's bytes (padding excluded), and
 * its PCK chain and the leaf's SGX extension go through their parsers too. */
#include <stdlib.h>
#include <string.h>

#include "ward/crypto.h"
#include "ward/tdx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void pck_chain(const struct ward_tdx_quote *q)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    struct ward_pck_ext e;
    if (chain == NULL) {
        abort();
    }
    if (ward_tdx_quote_pck_chain(q, chain) == WARD_OK) {
        if (ward_pck_ext_parse(sk_X509_value(chain, 0), &e) == WARD_OK &&
            (e.sgx_type < 0 || e.sgx_type > 2)) {
            abort();
        }
    }
    ward_err_clear();
    sk_X509_pop_free(chain, X509_free);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ward_tdx_quote q;
    struct ward_buf enc = {0};
    if (ward_tdx_quote_parse(data, size, &q) != WARD_OK) {
        ward_err_clear();
        return 0;
    }
    if (q.quote_len + q.padding_len != size || q.signed_data != data ||
        q.signed_len >= q.quote_len) {
        abort();
    }
    if (ward_tdx_quote_encode(&q, &enc) != WARD_OK || enc.len != q.quote_len ||
        memcmp(enc.data, data, enc.len) != 0) {
        abort();
    }
    ward_buf_cleanup(&enc);
    pck_chain(&q);
    return 0;
}
