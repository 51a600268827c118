/*
 * tests/unit/test_sim.c: the SEV-SNP simulator. Reports it signs must parse back
 * to the fields asked for, verify with the leaf's key, and chain leaf -> ASK/ASVK
 * -> ARK to the simulator roots; the roots say "NOT AMD" and are reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ward/crypto.h"
#include "ward/sim.h"
#include "ward/snp.h"

#include "sim_test_util.h"

/* One simulator run's output, parsed. */
struct sim_out {
    uint8_t report[WARD_SNP_REPORT_LEN];
    struct ward_buf leaf_der, ask_der, ark_der;
    struct ward_snp_report r;
    X509 *leaf, *ask, *ark;
};

static void sim_out_cleanup(struct sim_out *o)
{
    ward_buf_cleanup(&o->leaf_der);
    ward_buf_cleanup(&o->ask_der);
    ward_buf_cleanup(&o->ark_der);
    X509_free(o->leaf);
    X509_free(o->ask);
    X509_free(o->ark);
    memset(o, 0, sizeof(*o));
}

static int setup(void **state)
{
    return sim_test_dir_new("/tmp/ward-test-sim-XXXXXX", state);
}

static void sim_run(const struct ward_snp_sim_opts *opts, struct sim_out *o)
{
    memset(o, 0, sizeof(*o));
    int rc = ward_snp_sim_report(opts, o->report, &o->leaf_der, &o->ask_der, &o->ark_der);
    if (rc != WARD_OK) {
        fail_msg("ward_snp_sim_report: %s", ward_err_detail());
    }
    assert_int_equal(ward_snp_report_parse(o->report, sizeof(o->report), &o->r), WARD_OK);
    assert_int_equal(ward_x509_parse(o->leaf_der.data, o->leaf_der.len, &o->leaf), WARD_OK);
    assert_int_equal(ward_x509_parse(o->ask_der.data, o->ask_der.len, &o->ask), WARD_OK);
    assert_int_equal(ward_x509_parse(o->ark_der.data, o->ark_der.len, &o->ark), WARD_OK);
}

/* check_signature: the report verifies with the leaf's key; a flipped signed
 * byte and a flipped signature byte do not. */
static void check_signature(const struct sim_out *o)
{
    EVP_PKEY *key = X509_get0_pubkey(o->leaf);
    assert_non_null(key);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    assert_int_equal(EVP_PKEY_get_bits(key), 384);
    assert_int_equal(ward_ecdsa_verify_raw(key, WARD_SHA384, o->report, WARD_SNP_SIGNED_LEN,
                                           o->r.sig_r, o->r.sig_s, WARD_SNP_SIG_COMP_LEN,
                                           WARD_ECDSA_LE),
                     WARD_OK);

    uint8_t tampered[WARD_SNP_REPORT_LEN];
    memcpy(tampered, o->report, sizeof(tampered));
    tampered[0x50] ^= 0x01; /* REPORT_DATA */
    assert_int_equal(ward_ecdsa_verify_raw(key, WARD_SHA384, tampered, WARD_SNP_SIGNED_LEN,
                                           o->r.sig_r, o->r.sig_s, WARD_SNP_SIG_COMP_LEN,
                                           WARD_ECDSA_LE),
                     WARD_ERR_SIGNATURE);
    uint8_t bad_r[WARD_SNP_SIG_COMP_LEN];
    memcpy(bad_r, o->r.sig_r, sizeof(bad_r));
    bad_r[0] ^= 0x01;
    assert_int_equal(ward_ecdsa_verify_raw(key, WARD_SHA384, o->report, WARD_SNP_SIGNED_LEN, bad_r,
                                           o->r.sig_s, WARD_SNP_SIG_COMP_LEN, WARD_ECDSA_LE),
                     WARD_ERR_SIGNATURE);
}

/* check_chain: leaf -> intermediate -> one of the simulator roots in |dir|, now. */
static void check_chain(const char *dir, const struct sim_out *o, size_t num_roots)
{
    STACK_OF(X509) *roots = sk_X509_new_null();
    STACK_OF(X509) *inter = sk_X509_new_null();
    assert_non_null(roots);
    assert_non_null(inter);
    assert_int_equal(ward_snp_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), (int)num_roots);
    bool has_ark = false;
    for (int i = 0; i < sk_X509_num(roots); i++) {
        has_ark = has_ark || X509_cmp(sk_X509_value(roots, i), o->ark) == 0;
    }
    assert_true(has_ark);
    assert_true(sk_X509_push(inter, o->ask) > 0);
    X509_up_ref(o->ask);

    struct ward_chain_opts copts = {.at = ward_time_now()};
    int rc = ward_x509_verify_chain(o->leaf, inter, roots, &copts);
    if (rc != WARD_OK) {
        fail_msg("chain: %s", ward_err_detail());
    }
    /* Without the intermediate there is no path. */
    assert_int_equal(ward_x509_verify_chain(o->leaf, NULL, roots, &copts), WARD_ERR_CHAIN);
    /* After the simulator's validity window the chain is expired. */
    int64_t t2050;
    assert_int_equal(ward_time_parse("2050-06-01T00:00:00Z", &t2050), WARD_OK);
    struct ward_chain_opts late = {.at = t2050};
    assert_int_equal(ward_x509_verify_chain(o->leaf, inter, roots, &late), WARD_ERR_EXPIRED);
    sk_X509_pop_free(inter, X509_free);
    sk_X509_pop_free(roots, X509_free);
}

/* check_ca: the CA's subject is the simulator's, PSS-signed, a critical CA. */
static void check_ca(X509 *cert, const char *cn, const char *issuer_cn)
{
    sim_test_assert_names(cert, cn, issuer_cn, WARD_SIM_ORG, "NOT AMD");
    assert_int_equal(X509_get_signature_nid(cert), NID_rsassaPss);
    assert_int_equal(X509_check_ca(cert), 1);
    assert_true((X509_get_key_usage(cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
                (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EVP_PKEY *key = X509_get0_pubkey(cert);
    assert_true(EVP_PKEY_is_a(key, "RSA"));
    assert_int_equal(EVP_PKEY_get_bits(key), 3072);
}

static void read_chip_id(const char *dir, const char *product, uint8_t out[64])
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/snp/%s/chip_id", dir, product);
    struct ward_buf b = {0};
    assert_int_equal(ward_read_file(path, 1024, &b), WARD_OK);
    assert_int_equal(b.len, 64);
    memcpy(out, b.data, 64);
    ward_buf_cleanup(&b);
}

static void test_milan_v5(void **state)
{
    const char *dir = *state;
    struct ward_snp_report tmpl;
    assert_int_equal(ward_snp_sim_defaults(WARD_SNP_MILAN, 5, &tmpl), WARD_OK);
    for (size_t i = 0; i < sizeof(tmpl.report_data); i++) {
        tmpl.report_data[i] = (uint8_t)(0xA0 + i);
    }
    memset(tmpl.measurement, 0x5C, sizeof(tmpl.measurement));
    tmpl.vmpl = 2;
    tmpl.guest_svn = 7;

    struct ward_snp_sim_opts opts = {.dir = dir, .product = WARD_SNP_MILAN, .template = &tmpl};
    struct sim_out o;
    sim_run(&opts, &o);

    /* Fields round-trip. */
    assert_int_equal(o.r.version, 5);
    assert_int_equal(o.r.guest_svn, 7);
    assert_int_equal(o.r.policy, 0x30000);
    assert_int_equal(o.r.vmpl, 2);
    assert_int_equal(o.r.signature_algo, WARD_SNP_SIG_ALGO_ECDSA_P384_SHA384);
    assert_int_equal(o.r.platform_info, 0x25);
    assert_int_equal(ward_snp_signing_key(&o.r), WARD_SNP_KEY_VCEK);
    assert_memory_equal(o.r.report_data, tmpl.report_data, 64);
    assert_memory_equal(o.r.measurement, tmpl.measurement, 48);
    assert_memory_equal(o.r.report_id, tmpl.report_id, 32);
    assert_int_equal(o.r.cpuid_fam_id, 0x19);
    assert_int_equal(o.r.cpuid_mod_id, 0x01);
    assert_int_equal(o.r.cpuid_step, 0x01);
    assert_int_equal(ward_snp_product_from_cpuid(&o.r), WARD_SNP_MILAN);
    assert_int_equal(o.r.current_major, 1);
    assert_int_equal(o.r.current_minor, 55);
    struct ward_snp_tcb tcb;
    ward_snp_tcb_decode(o.r.reported_tcb, WARD_SNP_MILAN, &tcb);
    assert_int_equal(tcb.bootloader, 4);
    assert_int_equal(tcb.tee, 0);
    assert_int_equal(tcb.snp, 22);
    assert_int_equal(tcb.microcode, 213);
    assert_int_equal(o.r.reported_tcb, 0xd516000000000004ull);
    assert_int_equal(o.r.current_tcb, o.r.reported_tcb);
    assert_int_equal(o.r.launch_tcb, o.r.reported_tcb);
    uint8_t chip_id[64];
    read_chip_id(dir, "Milan", chip_id);
    assert_memory_equal(o.r.chip_id, chip_id, 64);
    uint8_t zeros[64] = {0};
    assert_memory_not_equal(chip_id, zeros, 64);
    uint8_t again[WARD_SNP_REPORT_LEN];
    assert_int_equal(ward_snp_report_encode(&o.r, again), WARD_OK);
    assert_memory_equal(again, o.report, sizeof(again));

    check_signature(&o);

    /* The VCEK carries AMD's extensions for this chip and TCB. */
    char cn[64];
    assert_int_equal(ward_x509_subject_cn(o.leaf, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SIM-SEV-VCEK");
    assert_int_equal(ward_x509_issuer_cn(o.leaf, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SIM-SEV-Milan");
    assert_int_equal(X509_get_signature_nid(o.leaf), NID_rsassaPss);
    struct ward_snp_cert_ext ext;
    assert_int_equal(ward_snp_cert_ext_parse(o.leaf, &ext), WARD_OK);
    assert_true(ext.has_struct_version);
    assert_int_equal(ext.struct_version, 0);
    assert_string_equal(ext.product_name, "Milan-B0");
    assert_true(ext.has_tcb);
    assert_false(ext.has_fmc);
    assert_int_equal(ext.tcb.bootloader, 4);
    assert_int_equal(ext.tcb.tee, 0);
    assert_int_equal(ext.tcb.snp, 22);
    assert_int_equal(ext.tcb.microcode, 213);
    assert_int_equal(ext.hwid_len, 64);
    assert_memory_equal(ext.hwid, chip_id, 64);
    assert_string_equal(ext.csp_id, "");
    /* hwID is the raw chip id, as in real VCEKs (no OCTET STRING wrapper). */
    const uint8_t *hwid;
    size_t hwid_len;
    assert_int_equal(ward_x509_ext_data(o.leaf, "1.3.6.1.4.1.3704.1.4", &hwid, &hwid_len), WARD_OK);
    assert_int_equal(hwid_len, 64);
    assert_memory_equal(hwid, chip_id, 64);

    check_ca(o.ark, "SIM-ARK-Milan", "SIM-ARK-Milan");
    check_ca(o.ask, "SIM-SEV-Milan", "SIM-ARK-Milan");
    check_chain(dir, &o, 1);

    /* Keys are private, the directory too. */
    sim_test_assert_mode(dir, "snp/Milan/ark.key", 0600);
    sim_test_assert_mode(dir, "snp/Milan/ask.key", 0600);
    sim_test_assert_mode(dir, "snp/Milan/vcek.key", 0600);
    sim_test_assert_mode(dir, "snp", 0700);
    sim_test_assert_mode(dir, "snp/Milan", 0700);

    /* A second run reuses the ARK, ASK and chip; the VCEK key is the same. */
    struct sim_out o2;
    sim_run(&opts, &o2);
    uint8_t fp1[32], fp2[32];
    assert_int_equal(ward_x509_sha256(o.ark, fp1), WARD_OK);
    assert_int_equal(ward_x509_sha256(o2.ark, fp2), WARD_OK);
    assert_memory_equal(fp1, fp2, 32);
    assert_int_equal(ward_x509_sha256(o.ask, fp1), WARD_OK);
    assert_int_equal(ward_x509_sha256(o2.ask, fp2), WARD_OK);
    assert_memory_equal(fp1, fp2, 32);
    assert_memory_equal(o2.r.chip_id, chip_id, 64);
    assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(o.leaf), X509_get0_pubkey(o2.leaf)), 1);
    check_signature(&o2);
    check_chain(dir, &o2, 1);

    sim_out_cleanup(&o2);
    sim_out_cleanup(&o);
}

static void test_milan_v3_defaults(void **state)
{
    const char *dir = *state;
    struct ward_snp_sim_opts opts = {.dir = dir, .version = 3}; /* product 0: Milan */
    struct sim_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.r.version, 3);
    assert_int_equal(ward_snp_product_from_cpuid(&o.r), WARD_SNP_MILAN);
    assert_int_equal(o.r.policy, WARD_SNP_POLICY_SMT | WARD_SNP_POLICY_RESERVED_ONE);
    assert_int_equal(o.r.vmpl, 0);
    assert_int_equal(o.r.launch_mit_vector, 0);
    assert_int_equal(o.r.current_mit_vector, 0);
    uint8_t zeros[64] = {0};
    assert_memory_equal(o.r.report_data, zeros, 64);
    assert_memory_not_equal(o.r.measurement, zeros, 48); /* random */
    uint8_t ff[32];
    memset(ff, 0xff, sizeof(ff));
    assert_memory_equal(o.r.report_id_ma, ff, 32);
    uint8_t again[WARD_SNP_REPORT_LEN];
    assert_int_equal(ward_snp_report_encode(&o.r, again), WARD_OK);
    assert_memory_equal(again, o.report, sizeof(again));
    check_signature(&o);
    check_chain(dir, &o, 1);

    /* A template's version yields to opts->version; a template's CHIP_ID is kept. */
    struct ward_snp_report tmpl = o.r;
    memset(tmpl.chip_id, 0x42, sizeof(tmpl.chip_id));
    tmpl.version = 3;
    opts.version = 5;
    opts.template = &tmpl;
    struct sim_out o2;
    sim_run(&opts, &o2);
    assert_int_equal(o2.r.version, 5);
    assert_memory_equal(o2.r.chip_id, tmpl.chip_id, 64);
    struct ward_snp_cert_ext ext;
    assert_int_equal(ward_snp_cert_ext_parse(o2.leaf, &ext), WARD_OK);
    assert_memory_equal(ext.hwid, tmpl.chip_id, 64);
    check_signature(&o2);
    sim_out_cleanup(&o2);
    sim_out_cleanup(&o);
}

static void test_genoa_vlek(void **state)
{
    const char *dir = *state;
    struct ward_snp_report tmpl;
    assert_int_equal(ward_snp_sim_defaults(WARD_SNP_GENOA, 5, &tmpl), WARD_OK);
    struct ward_snp_tcb want = {.bootloader = 9, .tee = 0, .snp = 23, .microcode = 84};
    tmpl.reported_tcb = ward_snp_tcb_encode(&want, WARD_SNP_GENOA);
    tmpl.policy |= WARD_SNP_POLICY_DEBUG;
    memset(tmpl.host_data, 0x11, sizeof(tmpl.host_data));

    struct ward_snp_sim_opts opts = {
        .dir = dir, .product = WARD_SNP_GENOA, .vlek = true, .template = &tmpl};
    struct sim_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.r.version, 5);
    assert_int_equal(ward_snp_signing_key(&o.r), WARD_SNP_KEY_VLEK);
    assert_int_equal((o.r.flags >> 2) & 7, 1);
    assert_int_equal(o.r.cpuid_fam_id, 0x19);
    assert_int_equal(o.r.cpuid_mod_id, 0x11);
    assert_int_equal(o.r.cpuid_step, 0x01);
    assert_int_equal(ward_snp_product_from_cpuid(&o.r), WARD_SNP_GENOA);
    assert_int_equal(o.r.policy, 0x30000 | WARD_SNP_POLICY_DEBUG);
    assert_memory_equal(o.r.host_data, tmpl.host_data, 32);
    assert_int_equal(o.r.reported_tcb, tmpl.reported_tcb);
    check_signature(&o);

    char cn[64];
    assert_int_equal(ward_x509_subject_cn(o.leaf, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SIM-SEV-VLEK");
    struct ward_snp_cert_ext ext;
    assert_int_equal(ward_snp_cert_ext_parse(o.leaf, &ext), WARD_OK);
    assert_string_equal(ext.product_name, "Genoa");
    assert_string_equal(ext.csp_id, WARD_SIM_CSP_ID);
    assert_int_equal(ext.hwid_len, 0);
    assert_true(ext.has_tcb);
    assert_int_equal(ext.tcb.bootloader, 9);
    assert_int_equal(ext.tcb.snp, 23);
    assert_int_equal(ext.tcb.microcode, 84);

    check_ca(o.ark, "SIM-ARK-Genoa", "SIM-ARK-Genoa");
    check_ca(o.ask, "SIM-SEV-VLEK-Genoa", "SIM-ARK-Genoa");
    check_chain(dir, &o, 1);

    /* A VCEK for the same product shares the ARK but has its own ASK. */
    opts.vlek = false;
    struct sim_out v;
    sim_run(&opts, &v);
    assert_int_equal(X509_cmp(v.ark, o.ark), 0);
    assert_int_not_equal(X509_cmp(v.ask, o.ask), 0);
    assert_int_equal(ward_x509_subject_cn(v.ask, cn, sizeof(cn)), WARD_OK);
    assert_string_equal(cn, "SIM-SEV-Genoa");
    check_chain(dir, &v, 1);

    /* The VLEK does not chain through the ASK. */
    STACK_OF(X509) *roots = sk_X509_new_null();
    STACK_OF(X509) *inter = sk_X509_new_null();
    assert_int_equal(ward_snp_sim_roots(dir, roots), WARD_OK);
    assert_true(sk_X509_push(inter, v.ask) > 0);
    X509_up_ref(v.ask);
    struct ward_chain_opts copts = {.at = ward_time_now()};
    assert_int_equal(ward_x509_verify_chain(o.leaf, inter, roots, &copts), WARD_ERR_CHAIN);
    sk_X509_pop_free(inter, X509_free);
    sk_X509_pop_free(roots, X509_free);

    sim_out_cleanup(&v);
    sim_out_cleanup(&o);
}

static void test_turin(void **state)
{
    const char *dir = *state;
    struct ward_snp_sim_opts opts = {.dir = dir, .product = WARD_SNP_TURIN};
    struct sim_out o;
    sim_run(&opts, &o);
    assert_int_equal(o.r.cpuid_fam_id, 0x1A);
    assert_int_equal(o.r.cpuid_mod_id, 0x02);
    struct ward_snp_tcb tcb;
    ward_snp_tcb_decode(o.r.reported_tcb, WARD_SNP_TURIN, &tcb);
    assert_int_equal(tcb.fmc, 1);
    assert_int_equal(tcb.bootloader, 1);
    assert_int_equal(tcb.microcode, 1);
    uint8_t zeros[56] = {0};
    assert_memory_equal(o.r.chip_id + 8, zeros, 56);
    struct ward_snp_cert_ext ext;
    assert_int_equal(ward_snp_cert_ext_parse(o.leaf, &ext), WARD_OK);
    assert_string_equal(ext.product_name, "Turin");
    assert_true(ext.has_fmc);
    assert_int_equal(ext.tcb.fmc, 1);
    assert_int_equal(ext.hwid_len, 8);
    assert_memory_equal(ext.hwid, o.r.chip_id, 8);
    check_signature(&o);
    check_chain(dir, &o, 1);

    /* Both products' roots are loaded once Milan has been used too. */
    struct ward_snp_sim_opts milan = {.dir = dir, .product = WARD_SNP_MILAN};
    struct sim_out m;
    sim_run(&milan, &m);
    check_chain(dir, &m, 2);
    check_chain(dir, &o, 2);
    sim_out_cleanup(&m);
    sim_out_cleanup(&o);
}

static void test_rejects(void **state)
{
    const char *dir = *state;
    uint8_t report[WARD_SNP_REPORT_LEN];
    struct ward_buf leaf = {0}, ask = {0}, ark = {0};

    /* No roots yet: a clear not-found, and the stack is untouched. */
    STACK_OF(X509) *roots = sk_X509_new_null();
    assert_int_equal(ward_snp_sim_roots(dir, roots), WARD_ERR_NOT_FOUND);
    assert_non_null(strstr(ward_err_detail(), "no simulator roots"));
    assert_int_equal(sk_X509_num(roots), 0);

    /* An unsupported version. */
    struct ward_snp_sim_opts opts = {.dir = dir, .version = 4};
    assert_int_equal(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark), WARD_ERR_USAGE);
    assert_null(leaf.data);
    struct ward_snp_report tmpl;
    assert_int_equal(ward_snp_sim_defaults(WARD_SNP_MILAN, 2, &tmpl), WARD_ERR_USAGE);

    /* A template whose CPUID says Genoa, signed as Milan. */
    assert_int_equal(ward_snp_sim_defaults(WARD_SNP_GENOA, 5, &tmpl), WARD_OK);
    opts = (struct ward_snp_sim_opts){.dir = dir, .product = WARD_SNP_MILAN, .template = &tmpl};
    assert_int_equal(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark), WARD_ERR_USAGE);
    assert_null(leaf.data);

    /* An unknown product. */
    opts = (struct ward_snp_sim_opts){.dir = dir, .product = (enum ward_snp_product)42};
    assert_int_equal(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark), WARD_ERR_USAGE);

    /* A key others may read is refused, and nothing is written to the outputs. */
    opts = (struct ward_snp_sim_opts){.dir = dir, .product = WARD_SNP_MILAN};
    assert_int_equal(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark), WARD_OK);
    ward_buf_cleanup(&leaf);
    ward_buf_cleanup(&ask);
    ward_buf_cleanup(&ark);
    char path[4096];
    snprintf(path, sizeof(path), "%s/snp/Milan/ark.key", dir);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(ward_snp_sim_report(&opts, report, &leaf, &ask, &ark), WARD_ERR_USAGE);
    assert_non_null(strstr(ward_err_detail(), "ark.key"));
    assert_null(leaf.data);
    assert_int_equal(chmod(path, 0600), 0);

    /* A root that is not the simulator's is refused. */
    assert_int_equal(ward_snp_sim_roots(dir, roots), WARD_OK);
    assert_int_equal(sk_X509_num(roots), 1);
    sk_X509_pop_free(roots, X509_free);
    roots = sk_X509_new_null();
    const char *data = getenv("WARD_TEST_DATA");
    if (data != NULL) {
        char real[4096];
        snprintf(real, sizeof(real), "%s/snp/dstack-milan-v3/ark.der", data);
        struct ward_buf der = {0};
        assert_int_equal(ward_read_file(real, 1 << 16, &der), WARD_OK);
        snprintf(path, sizeof(path), "%s/snp/Amd", dir);
        assert_int_equal(ward_mkdir_p(path, 0700), WARD_OK);
        snprintf(path, sizeof(path), "%s/snp/Amd/ark.der", dir);
        assert_int_equal(ward_write_file_atomic(path, der.data, der.len, 0644), WARD_OK);
        ward_buf_cleanup(&der);
        assert_int_equal(ward_snp_sim_roots(dir, roots), WARD_ERR_FORMAT);
        assert_int_equal(sk_X509_num(roots), 0);
    }
    sk_X509_pop_free(roots, X509_free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_milan_v5, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_milan_v3_defaults, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_genoa_vlek, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_turin, setup, sim_test_dir_remove),
        cmocka_unit_test_setup_teardown(test_rejects, setup, sim_test_dir_remove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
