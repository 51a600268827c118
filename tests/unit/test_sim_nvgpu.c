/*
 * tests/unit/test_sim_nvgpu.c: the NVIDIA GPU simulator and the composite
 * simulator. Reports it signs must parse and re-encode byte for byte, verify with
 * the device leaf's key over request || response-without-signature (and not once
 * any signed byte changes), and chain leaf -> ICA -> Identity -> the simulator
 * root, whose subject says "NOT NVIDIA" and which is reused. The leaf's TCG DICE
 * FWID is the report's. A composite envelope's CPU REPORT_DATA binds its GPU
 * reports (ward_composite_payload), and ward_verify_nvgpu accepts the GPU
 * evidence only when told to trust the simulator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ward/binding.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/nvgpu.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/tdx.h"
#include "ward/verify.h"

#include "sim_test_util.h"

#define ORG WARD_SIM_ORG_NVIDIA
#define MARKER "NOT NVIDIA"

/* SHA-384's OID as DER contents. */
static const uint8_t oid_sha384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};

/* One simulator run's output, parsed. */
struct nv_out {
    struct ward_buf report;
    struct ward_buf chain_pem;
    struct ward_nvgpu_report *r; /* borrows from report */
    STACK_OF(X509) *chain;       /* leaf, ICA, Identity, root */
    X509 *leaf, *ica, *identity, *root;
};

static void nv_out_cleanup(struct nv_out *o)
{
    ward_buf_cleanup(&o->report);
    ward_buf_cleanup(&o->chain_pem);
    free(o->r);
    sk_X509_pop_free(o->chain, X509_free);
    memset(o, 0, sizeof(*o));
}

static int setup(void **state)
{
    return sim_test_dir_new("/tmp/ward-test-sim-nvgpu-XXXXXX", state);
}

static void sim_run(const struct ward_nvgpu_sim_opts *opts, struct nv_out *o)
{
    memset(o, 0, sizeof(*o));
    if (ward_nvgpu_sim_report(opts, &o->report, &o->chain_pem) != WARD_OK) {
        fail_msg("ward_nvgpu_sim_report: %s", ward_err_detail());
    }
    o->r = malloc(sizeof(*o->r));
    assert_non_null(o->r);
    if (ward_nvgpu_report_parse(o->report.data, o->report.len, o->r) != WARD_OK) {
        fail_msg("ward_nvgpu_report_parse: %s", ward_err_detail());
    }
    o->chain = sk_X509_new_null();
    assert_non_null(o->chain);
    assert_int_equal(ward_x509_parse_all(o->chain_pem.data, o->chain_pem.len, o->chain), WARD_OK);
    assert_int_equal(sk_X509_num(o->chain), 4);
    o->leaf = sk_X509_value(o->chain, 0);
    o->ica = sk_X509_value(o->chain, 1);
    o->identity = sk_X509_value(o->chain, 2);
    o->root = sk_X509_value(o->chain, 3);
}

static void label_digest(const char *label, const uint8_t *suffix, size_t len, uint8_t out[48])
{
    uint8_t buf[128];
    size_t n = strlen(label);
    assert_true(n + len <= sizeof(buf));
    memcpy(buf, label, n);
    memcpy(buf + n, suffix, len);
    assert_int_equal(ward_digest(WARD_SHA384, buf, n + len, out), WARD_OK);
}

static const struct ward_nv_opaque_field *opaque(const struct nv_out *o, uint16_t type)
{
    const struct ward_nv_opaque_field *f = ward_nvgpu_opaque_find(o->r, type);
    assert_non_null(f);
    return f;
}

static void assert_opaque_str(const struct nv_out *o, uint16_t type, const char *want)
{
    const struct ward_nv_opaque_field *f = opaque(o, type);
    size_t n = strlen(want);
    assert_true(f->len > n);
    assert_memory_equal(f->value, want, n);
    for (size_t i = n; i < f->len; i++) {
        assert_int_equal(f->value[i], 0); /* NUL padding, as NVIDIA's */
    }
}

/* sig_verifies checks the report's signature with the leaf key. */
static bool sig_verifies(X509 *leaf, const uint8_t *signed_data, size_t signed_len,
                         const uint8_t sig[96])
{
    EVP_PKEY *key = X509_get0_pubkey(leaf);
    assert_non_null(key);
    return ward_ecdsa_verify_raw(key, WARD_SHA384, signed_data, signed_len, sig, sig + 48, 48,
                                 WARD_ECDSA_BE) == WARD_OK;
}

static int verify_chain(const char *dir, const struct nv_out *o)
{
    STACK_OF(X509) *roots = sk_X509_new_null();
    STACK_OF(X509) *inter = sk_X509_new_null();
    assert_non_null(roots);
    assert_non_null(inter);
    assert_int_equal(ward_nvgpu_sim_roots(dir, roots), WARD_OK);
    sk_X509_push(inter, o->ica);
    sk_X509_push(inter, o->identity);
    struct ward_chain_opts co = {.at = ward_time_now()};
    int rc = ward_x509_verify_chain(o->leaf, inter, roots, &co);
    sk_X509_free(inter);
    sk_X509_pop_free(roots, X509_free);
    return rc;
}

/* ---- the report ---- */

static void test_report_layout(void **state)
{
    const char *dir = *state;
    uint8_t nonce[32];
    for (size_t i = 0; i < sizeof(nonce); i++) {
        nonce[i] = (uint8_t)(0xa0 + i);
    }
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .nonce = nonce};
    struct nv_out o;
    sim_run(&opts, &o);
    const struct ward_nvgpu_report *r = o.r;

    /* The request: SPDM 1.1 GET_MEASUREMENTS, signature requested, all, slot 0. */
    assert_int_equal(r->spdm_version, 0x11);
    assert_int_equal(o.report.data[1], 0xE0);
    assert_int_equal(r->req_param1, 0x01);
    assert_int_equal(r->req_param2, 0xFF);
    assert_int_equal(r->slot_id, 0);
    assert_memory_equal(r->request_nonce, nonce, 32);
    assert_int_equal(o.report.data[WARD_SPDM_REQUEST_LEN + 1], 0x60);
    assert_int_equal(r->rsp_param1, 0);
    assert_int_equal(r->rsp_param2, 0);
    assert_memory_not_equal(r->response_nonce, nonce, 32);

    /* 64 DMTF blocks 1..64 holding the predictable SHA-384 values. */
    assert_int_equal(r->num_blocks, 64);
    for (size_t i = 0; i < r->num_blocks; i++) {
        const struct ward_spdm_block *b = &r->blocks[i];
        uint8_t index = (uint8_t)(i + 1), want[48];
        assert_int_equal(b->index, index);
        assert_int_equal(b->spec, 1);
        assert_int_equal(b->value_type, 1);
        assert_int_equal(b->value_len, 48);
        label_digest(WARD_NVGPU_SIM_MEASUREMENT_LABEL, &index, 1, want);
        assert_memory_equal(b->value, want, 48);
    }

    /* NVIDIA's opaque fields. */
    assert_opaque_str(&o, WARD_NV_OPAQUE_DRIVER_VERSION, "550.90.07");
    assert_opaque_str(&o, WARD_NV_OPAQUE_CHIP_SKU, "882");
    assert_opaque_str(&o, WARD_NV_OPAQUE_PROJECT, "1010");
    assert_opaque_str(&o, WARD_NV_OPAQUE_PROJECT_SKU, "0200");
    assert_int_equal(opaque(&o, WARD_NV_OPAQUE_VBIOS_VERSION)->len, 8);
    assert_int_equal(opaque(&o, WARD_NV_OPAQUE_PROTECTED_PCIE_STATUS)->len, 1);
    assert_int_equal(opaque(&o, WARD_NV_OPAQUE_MSRSCNT)->len, 4 * 64);
    const struct ward_nv_opaque_field *fwid = opaque(&o, WARD_NV_OPAQUE_FWID);
    assert_int_equal(fwid->len, 48);
    uint8_t want_fwid[48];
    label_digest(WARD_NVGPU_SIM_FWID_LABEL, (const uint8_t *)"GH100", 5, want_fwid);
    assert_memory_equal(fwid->value, want_fwid, 48);
    assert_null(ward_nvgpu_opaque_find(r, WARD_NV_OPAQUE_CHIP_INFO)); /* Hopper sends none */

    /* Byte-exact re-encoding; the signature is the last 96 bytes. */
    struct ward_buf again = {0};
    assert_int_equal(ward_nvgpu_report_encode(r, &again), WARD_OK);
    assert_int_equal(again.len, o.report.len);
    assert_memory_equal(again.data, o.report.data, o.report.len);
    ward_buf_cleanup(&again);
    assert_ptr_equal(r->signed_data, o.report.data);
    assert_int_equal(r->signed_len, o.report.len - WARD_SPDM_SIG_LEN);
    assert_memory_equal(r->signature, o.report.data + r->signed_len, WARD_SPDM_SIG_LEN);
    nv_out_cleanup(&o);
}

static void test_signature(void **state)
{
    const char *dir = *state;
    /* One block keeps the report small enough to flip every signed byte. */
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .num_blocks = 1};
    struct nv_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.r->num_blocks, 1);
    assert_true(sig_verifies(o.leaf, o.r->signed_data, o.r->signed_len, o.r->signature));

    /* Every signed byte matters. */
    uint8_t *copy = malloc(o.report.len);
    assert_non_null(copy);
    memcpy(copy, o.report.data, o.report.len);
    for (size_t i = 0; i < o.r->signed_len; i++) {
        copy[i] ^= 0x01;
        assert_false(sig_verifies(o.leaf, copy, o.r->signed_len, o.r->signature));
        copy[i] ^= 0x01;
    }
    /* So do r and s. */
    uint8_t sig[96];
    memcpy(sig, o.r->signature, sizeof(sig));
    sig[0] ^= 0x01;
    assert_false(sig_verifies(o.leaf, o.r->signed_data, o.r->signed_len, sig));
    sig[0] ^= 0x01;
    sig[95] ^= 0x80;
    assert_false(sig_verifies(o.leaf, o.r->signed_data, o.r->signed_len, sig));
    free(copy);

    /* Another GPU's key does not verify it. */
    struct ward_nvgpu_sim_opts other_opts = {.dir = dir, .device = 1};
    struct nv_out other;
    sim_run(&other_opts, &other);
    assert_false(sig_verifies(other.leaf, o.r->signed_data, o.r->signed_len, o.r->signature));
    assert_true(
        sig_verifies(other.leaf, other.r->signed_data, other.r->signed_len, other.r->signature));
    assert_int_equal(X509_cmp(o.ica, other.ica), 0); /* same ICA, another device */
    nv_out_cleanup(&other);
    nv_out_cleanup(&o);
}

/* ---- the chain ---- */

static void assert_p384_sha384(X509 *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    assert_non_null(key);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(key), 384);
    assert_int_equal(X509_get_signature_nid(cert), NID_ecdsa_with_SHA384);
}

static void test_chain(void **state)
{
    const char *dir = *state;
    struct ward_nvgpu_sim_opts opts = {.dir = dir};
    struct nv_out o;
    sim_run(&opts, &o);

    sim_test_assert_names(o.leaf, "SIM GH100 A01 GSP FMC LF", "SIM NVIDIA GH100 Provisioner ICA 1",
                          ORG, MARKER);
    sim_test_assert_names(o.ica, "SIM NVIDIA GH100 Provisioner ICA 1", "SIM NVIDIA GH100 Identity",
                          ORG, MARKER);
    sim_test_assert_names(o.identity, "SIM NVIDIA GH100 Identity", "SIM NVIDIA Device Identity CA",
                          ORG, MARKER);
    sim_test_assert_names(o.root, "SIM NVIDIA Device Identity CA", "SIM NVIDIA Device Identity CA",
                          ORG, MARKER);
    for (int i = 0; i < sk_X509_num(o.chain); i++) {
        assert_p384_sha384(sk_X509_value(o.chain, i));
    }
    assert_int_equal(X509_check_ca(o.leaf), 0);
    assert_true(X509_check_ca(o.ica) > 0);
    assert_true(X509_check_ca(o.root) > 0);

    assert_int_equal(verify_chain(dir, &o), WARD_OK);

    /* The ICA is needed: the leaf alone does not reach the root. */
    STACK_OF(X509) *roots = sk_X509_new_null();
    assert_int_equal(ward_nvgpu_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), 1);
    assert_int_equal(X509_cmp(sk_X509_value(roots, 0), o.root), 0);
    struct ward_chain_opts co = {.at = ward_time_now()};
    assert_int_equal(ward_x509_verify_chain(o.leaf, NULL, roots, &co), WARD_ERR_CHAIN);
    sk_X509_pop_free(roots, X509_free);

    /* Another simulator directory's root does not anchor it. */
    char other[] = "/tmp/ward-test-sim-nvgpu-other-XXXXXX";
    assert_non_null(mkdtemp(other));
    struct ward_nvgpu_sim_opts other_opts = {.dir = other};
    struct nv_out o2;
    sim_run(&other_opts, &o2);
    assert_int_not_equal(verify_chain(other, &o), WARD_OK);
    assert_int_equal(verify_chain(other, &o2), WARD_OK);
    nv_out_cleanup(&o2);
    void *st = strdup(other);
    sim_test_dir_remove(&st);
    nv_out_cleanup(&o);
}

static void test_fwid_extension(void **state)
{
    const char *dir = *state;
    struct ward_nvgpu_sim_opts opts = {.dir = dir};
    struct nv_out o;
    sim_run(&opts, &o);

    const uint8_t *ext;
    size_t ext_len;
    assert_int_equal(ward_x509_ext_data(o.leaf, "2.23.133.5.4.1", &ext, &ext_len), WARD_OK);
    /* SEQUENCE { INTEGER 1, SubjectPublicKeyInfo, SEQUENCE { OID sha384, OCTET STRING } },
     * the shape of NVIDIA's GSP FMC leaf (189 bytes there too). */
    unsigned char *spki = NULL;
    int spki_len = i2d_PUBKEY(X509_get0_pubkey(o.leaf), &spki);
    assert_int_equal(spki_len, 120);
    assert_int_equal(ext_len, 3 + 3 + 120 + 2 + 2 + sizeof(oid_sha384) + 2 + 48);
    static const uint8_t head[] = {0x30, 0x81, 0xba, 0x02, 0x01, 0x01};
    assert_memory_equal(ext, head, sizeof(head));
    assert_memory_equal(ext + 6, spki, 120);
    const uint8_t *fw = ext + 6 + 120;
    assert_int_equal(fw[0], 0x30);
    assert_int_equal(fw[1], 0x3d);
    assert_int_equal(fw[2], 0x06);
    assert_int_equal(fw[3], sizeof(oid_sha384));
    assert_memory_equal(fw + 4, oid_sha384, sizeof(oid_sha384));
    assert_int_equal(fw[13], 0x04);
    assert_int_equal(fw[14], 48);
    const struct ward_nv_opaque_field *f = opaque(&o, WARD_NV_OPAQUE_FWID);
    assert_memory_equal(fw + 15, f->value, 48);
    OPENSSL_free(spki);
    nv_out_cleanup(&o);
}

/* ---- state ---- */

static void test_reuse(void **state)
{
    const char *dir = *state;
    STACK_OF(X509) *roots = sk_X509_new_null();
    assert_int_equal(ward_nvgpu_sim_roots(dir, roots), WARD_ERR_NOT_FOUND);
    assert_int_equal(sk_X509_num(roots), 0);

    struct ward_nvgpu_sim_opts opts = {.dir = dir};
    struct nv_out a, b;
    sim_run(&opts, &a);
    sim_run(&opts, &b);
    /* The PKI and the device key are reused; the leaf is issued afresh. */
    assert_int_equal(X509_cmp(a.root, b.root), 0);
    assert_int_equal(X509_cmp(a.identity, b.identity), 0);
    assert_int_equal(X509_cmp(a.ica, b.ica), 0);
    assert_int_not_equal(X509_cmp(a.leaf, b.leaf), 0);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(a.leaf), X509_get0_pubkey(b.leaf)), 1);
    /* Random nonces when none is given. */
    assert_memory_not_equal(a.r->request_nonce, b.r->request_nonce, 32);
    assert_memory_not_equal(a.r->response_nonce, b.r->response_nonce, 32);

    sim_test_assert_mode(dir, "nvgpu", 0700);
    sim_test_assert_mode(dir, "nvgpu/root.key", 0600);
    sim_test_assert_mode(dir, "nvgpu/gh100_identity.key", 0600);
    sim_test_assert_mode(dir, "nvgpu/gh100_ica.key", 0600);
    sim_test_assert_mode(dir, "nvgpu/gh100_device0.key", 0600);
    sim_test_assert_mode(dir, "nvgpu/root.der", 0644);

    assert_int_equal(ward_nvgpu_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), 1);
    assert_int_equal(X509_cmp(sk_X509_value(roots, 0), a.root), 0);

    /* A root.der that is not the simulator's is refused, and |roots| kept. */
    char path[4096];
    snprintf(path, sizeof(path), "%s/nvgpu/root.der", dir);
    const char *data = getenv("WARD_TEST_DATA");
    char real[4096];
    snprintf(real, sizeof(real), "%s/nvgpu/nvtrust-h100-sample/cert_chain.pem",
             data != NULL ? data : "tests/data");
    struct ward_buf pem = {0};
    assert_int_equal(ward_read_file(real, 1u << 20, &pem), WARD_OK);
    STACK_OF(X509) *nv = sk_X509_new_null();
    assert_int_equal(ward_x509_parse_all(pem.data, pem.len, nv), WARD_OK);
    unsigned char *der = NULL;
    int der_len = i2d_X509(sk_X509_value(nv, sk_X509_num(nv) - 1), &der);
    assert_true(der_len > 0);
    assert_int_equal(ward_write_file_atomic(path, der, (size_t)der_len, 0644), WARD_OK);
    assert_int_equal(ward_nvgpu_sim_roots(dir, roots), WARD_ERR_FORMAT);
    assert_int_equal(sk_X509_num(roots), 1);
    OPENSSL_free(der);
    sk_X509_pop_free(nv, X509_free);
    ward_buf_cleanup(&pem);

    /* ... and the simulator will not sign under a root whose key it does not hold. */
    struct ward_buf report = {0}, chain = {0};
    assert_int_equal(ward_nvgpu_sim_report(&opts, &report, &chain), WARD_ERR_FORMAT);
    assert_null(report.data);
    assert_null(chain.data);

    sk_X509_pop_free(roots, X509_free);
    nv_out_cleanup(&a);
    nv_out_cleanup(&b);
}

static void test_blackwell(void **state)
{
    const char *dir = *state;
    struct ward_nvgpu_sim_opts hopper_opts = {.dir = dir};
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .blackwell = true};
    struct nv_out h, o;
    sim_run(&hopper_opts, &h);
    sim_run(&opts, &o);
    sim_test_assert_names(o.leaf, "SIM GB100 A01 GSP FMC LF", "SIM NVIDIA GB100 Provisioner ICA 1",
                          ORG, MARKER);
    sim_test_assert_names(o.identity, "SIM NVIDIA GB100 Identity", "SIM NVIDIA Device Identity CA",
                          ORG, MARKER);
    assert_int_equal(X509_cmp(o.root, h.root), 0); /* one Device Identity CA */
    assert_opaque_str(&o, WARD_NV_OPAQUE_CHIP_INFO, "GB100");
    uint8_t want[48];
    label_digest(WARD_NVGPU_SIM_FWID_LABEL, (const uint8_t *)"GB100", 5, want);
    assert_memory_equal(opaque(&o, WARD_NV_OPAQUE_FWID)->value, want, 48);
    /* Only the chip strings change: the measurements are the same. */
    assert_int_equal(o.r->num_blocks, h.r->num_blocks);
    for (size_t i = 0; i < o.r->num_blocks; i++) {
        assert_memory_equal(o.r->blocks[i].value, h.r->blocks[i].value, 48);
    }
    assert_int_equal(verify_chain(dir, &o), WARD_OK);
    assert_true(sig_verifies(o.leaf, o.r->signed_data, o.r->signed_len, o.r->signature));
    sim_test_assert_mode(dir, "nvgpu/gb100_device0.key", 0600);
    nv_out_cleanup(&h);
    nv_out_cleanup(&o);
}

static void test_options(void **state)
{
    const char *dir = *state;
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .num_blocks = 255};
    struct nv_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.r->num_blocks, 255);
    assert_int_equal(o.r->blocks[254].index, 255);
    nv_out_cleanup(&o);

    struct ward_buf report = {0}, chain = {0};
    opts.num_blocks = 256;
    assert_int_equal(ward_nvgpu_sim_report(&opts, &report, &chain), WARD_ERR_USAGE);
    opts.num_blocks = 0;
    opts.device = WARD_NVGPU_SIM_MAX_DEVICES;
    assert_int_equal(ward_nvgpu_sim_report(&opts, &report, &chain), WARD_ERR_USAGE);
    assert_null(report.data);
    assert_null(chain.data);
}

/* ---- ward_verify_nvgpu on simulator output ---- */

static void test_verify_nvgpu(void **state)
{
    const char *dir = *state;
    uint8_t nonce[32];
    memset(nonce, 0x5a, sizeof(nonce));
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .nonce = nonce};
    struct nv_out o;
    sim_run(&opts, &o);

    /* A reference file written in advance from the documented values. */
    json_t *list = json_array();
    for (uint8_t idx = 1; idx <= 64; idx += 21) {
        uint8_t want[48];
        char hex[97];
        label_digest(WARD_NVGPU_SIM_MEASUREMENT_LABEL, &idx, 1, want);
        ward_hex_encode(want, sizeof(want), hex);
        json_array_append_new(list, json_pack("{s:i,s:s}", "index", idx, "value", hex));
    }
    json_t *doc = json_pack("{s:o}", "measurements", list);
    char *ref_text = ward_json_dumps(doc, false);
    json_decref(doc);
    struct ward_blob ref = {"reference.json", (const uint8_t *)ref_text, strlen(ref_text)};

    struct ward_blob certs = {"cert_chain.pem", o.chain_pem.data, o.chain_pem.len};
    struct ward_verify_opts vo = {.cert_files = &certs,
                                  .num_cert_files = 1,
                                  .sim_dir = dir,
                                  .has_nonce = true,
                                  .reference_file = &ref};
    memcpy(vo.nonce, nonce, sizeof(nonce));
    struct ward_appraisal a;
    assert_int_equal(ward_verify_nvgpu(o.report.data, o.report.len, &vo, &a), WARD_OK);
    if (!ward_appraisal_verdict(&a)) {
        fail_msg("appraisal failed: %s", a.num_errors > 0 ? a.errors[0].message : "?");
    }
    assert_true(a.simulated);
    assert_int_equal(a.checks[WARD_CHECK_SIGNATURE], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_CHAIN], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_BINDING], WARD_STATUS_PASS);
    assert_int_equal(a.checks[WARD_CHECK_MEASUREMENT], WARD_STATUS_PASS);
    ward_appraisal_cleanup(&a);

    /* Another nonce fails the binding. */
    vo.nonce[0] ^= 1;
    assert_int_equal(ward_verify_nvgpu(o.report.data, o.report.len, &vo, &a), WARD_OK);
    assert_false(ward_appraisal_verdict(&a));
    assert_int_equal(a.checks[WARD_CHECK_BINDING], WARD_STATUS_FAIL);
    ward_appraisal_cleanup(&a);
    vo.nonce[0] ^= 1;

    /* Without --allow-sim the chain does not reach NVIDIA's root. */
    vo.sim_dir = NULL;
    assert_int_equal(ward_verify_nvgpu(o.report.data, o.report.len, &vo, &a), WARD_OK);
    assert_false(ward_appraisal_verdict(&a));
    assert_int_equal(a.checks[WARD_CHECK_CHAIN], WARD_STATUS_FAIL);
    assert_false(a.simulated);
    ward_appraisal_cleanup(&a);

    free(ref_text);
    nv_out_cleanup(&o);
}

/* ---- composite ---- */

/* A parsed composite envelope. */
struct comp_out {
    json_t *doc;
    size_t num_gpus;
    struct ward_buf cpu;
    struct ward_buf gpu[WARD_COMPOSITE_MAX_GPUS];
};

static void comp_out_cleanup(struct comp_out *c)
{
    json_decref(c->doc);
    ward_buf_cleanup(&c->cpu);
    for (size_t i = 0; i < WARD_COMPOSITE_MAX_GPUS; i++) {
        ward_buf_cleanup(&c->gpu[i]);
    }
    memset(c, 0, sizeof(*c));
}

static void b64_field(const json_t *obj, const char *key, struct ward_buf *out)
{
    const char *s = NULL;
    assert_int_equal(ward_json_get_string(obj, key, &s), WARD_OK);
    assert_int_equal(ward_base64_decode(s, out), WARD_OK);
}

static void comp_run(const struct ward_composite_sim_opts *opts, const char *cpu_tee,
                     struct comp_out *c)
{
    memset(c, 0, sizeof(*c));
    struct ward_buf text = {0};
    if (ward_composite_sim(opts, &text) != WARD_OK) {
        fail_msg("ward_composite_sim: %s", ward_err_detail());
    }
    assert_true(text.len > 0);
    assert_int_equal(text.data[text.len - 1], '\n');
    assert_int_equal(ward_json_parse(text.data, text.len, &c->doc), WARD_OK);
    ward_buf_cleanup(&text);

    const char *tee = NULL;
    assert_int_equal(ward_json_get_string(c->doc, "tee", &tee), WARD_OK);
    assert_string_equal(tee, "composite");
    json_t *parts = json_object_get(c->doc, "parts");
    assert_true(json_is_array(parts));
    size_t want = opts->num_gpus != 0 ? opts->num_gpus : 1;
    assert_int_equal(json_array_size(parts), 1 + want);
    c->num_gpus = want;

    json_t *cpu = json_array_get(parts, 0);
    assert_int_equal(ward_json_get_string(cpu, "tee", &tee), WARD_OK);
    assert_string_equal(tee, cpu_tee);
    b64_field(cpu, "evidence", &c->cpu);

    for (size_t i = 0; i < want; i++) {
        json_t *g = json_array_get(parts, 1 + i);
        assert_int_equal(ward_json_get_string(g, "tee", &tee), WARD_OK);
        assert_string_equal(tee, "nvgpu");
        b64_field(g, "evidence", &c->gpu[i]);

        /* "nonce" is the report's request nonce. */
        struct ward_buf nonce = {0};
        b64_field(g, "nonce", &nonce);
        assert_int_equal(nonce.len, 32);
        assert_memory_equal(nonce.data, c->gpu[i].data + 4, 32);
        ward_buf_cleanup(&nonce);

        /* "certs": base64 DER, leaf first, root last. */
        json_t *certs = json_object_get(g, "certs");
        assert_int_equal(json_array_size(certs), 4);
        struct ward_buf der = {0};
        X509 *x = NULL;
        assert_int_equal(ward_base64_decode(json_string_value(json_array_get(certs, 3)), &der),
                         WARD_OK);
        assert_int_equal(ward_x509_parse(der.data, der.len, &x), WARD_OK);
        sim_test_assert_names(x, "SIM NVIDIA Device Identity CA", "SIM NVIDIA Device Identity CA",
                              ORG, MARKER);
        X509_free(x);
        ward_buf_cleanup(&der);

        /* The part appraises as the simulated GPU i. */
        struct ward_blob blobs[4];
        struct ward_buf ders[4];
        for (size_t k = 0; k < 4; k++) {
            memset(&ders[k], 0, sizeof(ders[k]));
            assert_int_equal(
                ward_base64_decode(json_string_value(json_array_get(certs, k)), &ders[k]), WARD_OK);
            blobs[k] = (struct ward_blob){"cert", ders[k].data, ders[k].len};
        }
        struct ward_verify_opts vo = {
            .cert_files = blobs, .num_cert_files = 4, .sim_dir = opts->dir};
        struct ward_appraisal a;
        assert_int_equal(ward_verify_nvgpu(c->gpu[i].data, c->gpu[i].len, &vo, &a), WARD_OK);
        if (!ward_appraisal_verdict(&a)) {
            fail_msg("GPU part %zu: %s", i, a.num_errors > 0 ? a.errors[0].message : "?");
        }
        ward_appraisal_cleanup(&a);
        for (size_t k = 0; k < 4; k++) {
            ward_buf_cleanup(&ders[k]);
        }
    }
}

/* comp_binding computes the REPORT_DATA the GPU parts call for. */
static void comp_binding(const struct comp_out *c, uint8_t out[64])
{
    struct ward_buf payload = {0};
    assert_int_equal(ward_composite_payload(c->gpu, c->num_gpus, &payload), WARD_OK);
    assert_int_equal(payload.len, c->num_gpus * WARD_COMPOSITE_PART_LEN);
    assert_int_equal(ward_binding(WARD_LABEL_COMPOSITE, payload.data, payload.len, out), WARD_OK);
    ward_buf_cleanup(&payload);
}

static void test_composite_snp(void **state)
{
    const char *dir = *state;
    struct ward_composite_sim_opts opts = {.dir = dir, .num_gpus = 2};
    struct comp_out c;
    comp_run(&opts, "snp", &c);
    assert_int_not_equal(memcmp(c.gpu[0].data + 4, c.gpu[1].data + 4, 32), 0);

    struct ward_snp_report r;
    assert_int_equal(ward_snp_report_parse(c.cpu.data, c.cpu.len, &r), WARD_OK);
    uint8_t want[64];
    comp_binding(&c, want);
    assert_memory_equal(r.report_data, want, 64);

    /* The order of the GPUs is bound too. */
    struct ward_buf swapped[2] = {c.gpu[1], c.gpu[0]};
    struct ward_buf payload = {0};
    uint8_t other[64];
    assert_int_equal(ward_composite_payload(swapped, 2, &payload), WARD_OK);
    assert_int_equal(ward_binding(WARD_LABEL_COMPOSITE, payload.data, payload.len, other), WARD_OK);
    assert_memory_not_equal(r.report_data, other, 64);
    ward_buf_cleanup(&payload);

    /* The SNP part carries VCEK, ASK and ARK. */
    json_t *cpu = json_array_get(json_object_get(c.doc, "parts"), 0);
    assert_int_equal(json_array_size(json_object_get(cpu, "certs")), 3);
    comp_out_cleanup(&c);
}

static void test_composite_tdx(void **state)
{
    const char *dir = *state;
    struct ward_composite_sim_opts opts = {
        .dir = dir, .cpu = WARD_COMPOSITE_CPU_TDX, .blackwell = true};
    struct comp_out c;
    comp_run(&opts, "tdx", &c);

    struct ward_tdx_quote q;
    assert_int_equal(ward_tdx_quote_parse(c.cpu.data, c.cpu.len, &q), WARD_OK);
    uint8_t want[64];
    comp_binding(&c, want);
    assert_memory_equal(q.body.report_data, want, 64);

    /* The collateral is a DCAP bundle object; the PCK chain is in the quote. */
    json_t *cpu = json_array_get(json_object_get(c.doc, "parts"), 0);
    assert_null(json_object_get(cpu, "certs"));
    json_t *coll = json_object_get(cpu, "collateral");
    assert_true(json_is_object(coll));
    char *text = ward_json_dumps(coll, false);
    struct ward_dcap_collateral bundle;
    memset(&bundle, 0, sizeof(bundle));
    assert_int_equal(ward_dcap_collateral_parse((const uint8_t *)text, strlen(text), &bundle),
                     WARD_OK);
    ward_dcap_collateral_cleanup(&bundle);
    free(text);
    comp_out_cleanup(&c);
}

static void test_composite_payload(void **state)
{
    const char *dir = *state;
    struct ward_nvgpu_sim_opts opts = {.dir = dir, .num_blocks = 4};
    struct nv_out a, b;
    sim_run(&opts, &a);
    opts.device = 1;
    sim_run(&opts, &b);

    struct ward_buf reports[2] = {a.report, b.report};
    struct ward_buf payload = {0};
    assert_int_equal(ward_composite_payload(reports, 2, &payload), WARD_OK);
    assert_int_equal(payload.len, 160);
    uint8_t digest[48];
    assert_memory_equal(payload.data, a.r->request_nonce, 32);
    assert_int_equal(ward_digest(WARD_SHA384, a.report.data, a.report.len, digest), WARD_OK);
    assert_memory_equal(payload.data + 32, digest, 48);
    assert_memory_equal(payload.data + 80, b.r->request_nonce, 32);
    assert_int_equal(ward_digest(WARD_SHA384, b.report.data, b.report.len, digest), WARD_OK);
    assert_memory_equal(payload.data + 112, digest, 48);

    /* Rejects: no GPU, too many, a report that does not parse; |out| kept. */
    assert_int_equal(ward_composite_payload(reports, 0, &payload), WARD_ERR_FORMAT);
    struct ward_buf many[WARD_COMPOSITE_MAX_GPUS + 1];
    for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
        many[i] = a.report;
    }
    assert_int_equal(ward_composite_payload(many, WARD_COMPOSITE_MAX_GPUS, &payload), WARD_OK);
    assert_int_equal(payload.len, WARD_COMPOSITE_MAX_GPUS * WARD_COMPOSITE_PART_LEN);
    assert_int_equal(ward_composite_payload(many, WARD_COMPOSITE_MAX_GPUS + 1, &payload),
                     WARD_ERR_NOMEM);
    struct ward_buf bad[2] = {a.report, {b.report.data, b.report.len - 1}};
    assert_int_not_equal(ward_composite_payload(bad, 2, &payload), WARD_OK);
    assert_non_null(strstr(ward_err_detail(), "GPU part 1"));
    assert_int_equal(payload.len, WARD_COMPOSITE_MAX_GPUS * WARD_COMPOSITE_PART_LEN);
    ward_buf_cleanup(&payload);

    /* The composite simulator refuses what it cannot make. */
    struct ward_buf out = {0};
    struct ward_composite_sim_opts co = {.dir = dir, .num_gpus = WARD_NVGPU_SIM_MAX_DEVICES + 1};
    assert_int_equal(ward_composite_sim(&co, &out), WARD_ERR_USAGE);
    co.num_gpus = 1;
    co.cpu = (enum ward_composite_cpu)7;
    assert_int_equal(ward_composite_sim(&co, &out), WARD_ERR_USAGE);
    assert_null(out.data);
    nv_out_cleanup(&a);
    nv_out_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_layout, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_signature, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_chain, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_fwid_extension, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_reuse, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_blackwell, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_options, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_verify_nvgpu, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_composite_snp, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_composite_tdx, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_composite_payload, setup, sim_test_dir_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
