/*
 * cli/cmd_verify.c: `ward verify`: appraise evidence and print the result.
 *
 *   ward verify [--tee snp|tdx|nvgpu|composite] [--certs FILE]... [--crl FILE]...
 *               [--as-of RFC3339] [--collateral FILE] [--policy FILE] [--report-data HEX]
 *               [--nonce HEX] [--reference FILE] [--ocsp FILE]... [--rim FILE]...
 *               [--label L] [--payload-file F] [--allow-sim DIR] [--json]
 *               [--cache DIR | --no-cache] EVIDENCE
 *
 * Exit 0: verdict pass; 1: evidence rejected (any reason, including malformed
 * input); 2: usage or I/O error.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ward/attest.h"
#include "ward/binding.h"
#include "ward/crypto.h"
#include "ward/dcap.h"
#include "ward/json.h"
#include "ward/sim.h"
#include "ward/snp.h"
#include "ward/verify.h"

#define MAX_FILES 16
#define EVIDENCE_MAX_LEN (4u << 20)
#define CERT_MAX_LEN (1u << 20)
#define PAYLOAD_MAX_LEN (16u << 20) /* named maximum of --payload-file (as ward attest's) */

struct files {
    size_t num;
    struct ward_blob blobs[MAX_FILES];
    struct ward_buf bufs[MAX_FILES];
};

static void usage(FILE *f)
{
    fputs(
        "usage: ward verify [--tee snp|tdx|nvgpu] [--certs FILE]... [--crl FILE]...\n"
        "                   [--as-of RFC3339] [--collateral FILE] [--policy FILE]\n"
        "                   [--report-data HEX] [--nonce HEX] [--reference FILE] [--ocsp FILE]...\n"
        "                   [--rim FILE]... [--label L] [--payload-file F] [--allow-sim DIR]\n"
        "                   [--json] [--cache DIR | --no-cache] EVIDENCE\n"
        "\n"
        "EVIDENCE is a raw SEV-SNP report, a raw TDX quote, a raw NVIDIA GPU report (SPDM\n"
        "request || response), a JSON evidence envelope, or a composite envelope\n"
        "{\"tee\":\"composite\",\"parts\":[...]}; '-' reads stdin.\n"
        "  --tee TEE          snp, tdx, nvgpu or composite (default: from the envelope or\n"
        "                     the bytes)\n"
        "  --certs FILE       certificates, DER or PEM, any order, repeatable: SNP VCEK/VLEK,\n"
        "                     ASK/ASVK, ARK; GPU device certificate chain\n"
        "  --crl FILE         SNP: CRL (DER or PEM) to check revocation with, repeatable\n"
        "  --collateral FILE  TDX: DCAP collateral bundle (JSON, as ward fetch tdx writes)\n"
        "  --as-of TIME       verify as of this RFC 3339 time (default: now)\n"
        "  --policy FILE      appraisal policy (docs/policy.md); the default refuses debug\n"
        "                     guests and guests that allow a migration agent\n"
        "  --report-data HEX  SNP/TDX: expected REPORT_DATA (64 bytes, 128 hex digits)\n"
        "  --nonce HEX        GPU: the 32-byte nonce the report must answer\n"
        "  --reference FILE   GPU: expected measurements (applied to every GPU), JSON\n"
        "                     {\"measurements\":[{\"index\":N,\"value\":\"hex\"}]}\n"
        "  --ocsp FILE        GPU: DER OCSP response for the device chain, repeatable\n"
        "                     (default: the responses ward fetch nvgpu cached)\n"
        "  --rim FILE         GPU: NVIDIA Reference Integrity Manifest (driver, VBIOS or\n"
        "                     NVSwitch BIOS RIM XML), repeatable\n"
        "  --label L          recompute ward attest's binding: REPORT_DATA must be\n"
        "                     SHA-512(L || 0x00 || payload), the payload being --payload-file\n"
        "                     or the --nonce bytes; GPU nonces must be its first 32 bytes\n"
        "  --payload-file F   the payload of the binding (the label defaults to\n"
        "                     " WARD_LABEL_ATTEST ", ward attest's)\n"
        "  --allow-sim DIR    also trust the simulator roots in DIR (results say so)\n"
        "  --json             print the appraisal as JSON\n"
        "  --cache DIR        collateral cache (default $XDG_CACHE_HOME/ward)\n"
        "  --no-cache         do not read the collateral cache\n"
        "exit status: 0 pass, 1 evidence rejected, 2 usage or I/O error\n",
        f);
}

static int add_file(struct files *fs, const char *path)
{
    if (fs->num == MAX_FILES) {
        cli_error("verify", "at most %d files per option", MAX_FILES);
        return WARD_EXIT_USAGE;
    }
    struct ward_buf *b = &fs->bufs[fs->num];
    if (ward_read_file(path, CERT_MAX_LEN, b) != WARD_OK) {
        cli_error("verify", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    fs->blobs[fs->num] = (struct ward_blob){.name = path, .data = b->data, .len = b->len};
    fs->num++;
    return WARD_EXIT_OK;
}

static void files_cleanup(struct files *fs)
{
    for (size_t i = 0; i < fs->num; i++) {
        ward_buf_cleanup(&fs->bufs[i]);
    }
}

static void print_human(const struct ward_appraisal *a)
{
    bool pass = ward_appraisal_verdict(a);
    printf("verdict: %s (%s)%s\n", pass ? "PASS" : "FAIL", a->tee,
           a->simulated ? "  [SIMULATED EVIDENCE: NOT A REAL TEE]" : "");
    for (int c = 0; c < WARD_CHECK__COUNT; c++) {
        if (a->applicable & (1u << c)) {
            printf("  %-12s %s\n", ward_check_name((enum ward_check)c),
                   ward_status_name(a->checks[c]));
        }
    }
    static const char *const shown[] = {"product", "version",        "signing_key",   "tcb_status",
                                        "device",  "driver_version", "vbios_version", "measurement",
                                        "mrtd",    "report_data",    "nonce",         "vmpl",
                                        "chip_id"};
    for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
        json_t *v = json_object_get(a->claims, shown[i]);
        if (v == NULL) {
            continue;
        }
        char *s = json_is_string(v) ? strdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
        printf("  %-12s %s\n", shown[i], s ? s : "?");
        free(s);
    }
    for (size_t i = 0; i < a->num_errors; i++) {
        printf("error: %s: %s\n", ward_check_name(a->errors[i].check), a->errors[i].message);
    }
}

/* A raw TDX quote starts with version 4 or 5, key type 2 and TEE type 0x81 (all
 * little-endian); a SEV-SNP report starts with its version (2, 3, 5) as a u32. */
static bool looks_like_tdx(const uint8_t *p, size_t len)
{
    struct ward_rd r;
    uint16_t version = 0, key = 0;
    uint32_t tee = 0;
    ward_rd_init(&r, p, len);
    return ward_rd_u16le(&r, &version) == WARD_OK && ward_rd_u16le(&r, &key) == WARD_OK &&
           ward_rd_u32le(&r, &tee) == WARD_OK && (version == 4 || version == 5) && key == 2 &&
           tee == 0x81;
}

/* A composite envelope is JSON whose "tee" is "composite". */
static bool is_composite(const uint8_t *p, size_t len)
{
    json_t *doc = NULL;
    size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t')) {
        i++;
    }
    if (i == len || p[i] != '{' || ward_json_parse(p, len, &doc) != WARD_OK) {
        ward_err_clear();
        return false;
    }
    const char *t = json_string_value(json_object_get(doc, "tee"));
    bool yes = t != NULL && strcmp(t, "composite") == 0;
    json_decref(doc);
    return yes;
}

/* An NVIDIA GPU report starts with an SPDM GET_MEASUREMENTS request: version
 * 1.x, request code 0xE0. */
static bool looks_like_nvgpu(const uint8_t *p, size_t len)
{
    return len > 2 && (p[0] >> 4) == 1 && p[1] == 0xE0;
}

/* Appraisal of input that is not evidence at all: a failing result naming why. */
static void reject_malformed(struct ward_appraisal *a, const char *tee, const char *why)
{
    ward_appraisal_init(a, tee);
    ward_appraisal_fail(a, WARD_CHECK_SIGNATURE, "%s", why);
}

/* set_binding: with --label or --payload-file, the expected REPORT_DATA is ward
 * attest's binding, ward_binding(label, payload), the payload being the file or the
 * --nonce bytes; GPU evidence must answer its first 32 bytes (ward/attest.h). */
static int set_binding(const char *label, const char *payload_file, struct ward_verify_opts *opts,
                       uint8_t out[WARD_BINDING_LEN])
{
    struct ward_buf payload = {0};
    if (opts->has_report_data) {
        cli_error("verify", "--label/--payload-file and --report-data both give REPORT_DATA: "
                            "choose one");
        return WARD_EXIT_USAGE;
    }
    if (payload_file != NULL && opts->has_nonce) {
        cli_error("verify", "give the payload as --payload-file or as --nonce, not both");
        return WARD_EXIT_USAGE;
    }
    if (payload_file != NULL &&
        ward_read_file(payload_file, PAYLOAD_MAX_LEN, &payload) != WARD_OK) {
        cli_error("verify", "--payload-file: %s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    int rc = opts->has_nonce ? ward_buf_set(&payload, opts->nonce, sizeof(opts->nonce)) : WARD_OK;
    if (rc == WARD_OK) {
        rc =
            ward_binding(label != NULL ? label : WARD_LABEL_ATTEST, payload.data, payload.len, out);
    }
    ward_buf_cleanup(&payload);
    if (rc != WARD_OK) {
        cli_error("verify", "%s", ward_err_detail());
        return WARD_EXIT_USAGE;
    }
    opts->has_report_data = true;
    memcpy(opts->report_data, out, sizeof(opts->report_data));
    opts->has_nonce = true;
    memcpy(opts->nonce, out, sizeof(opts->nonce));
    return WARD_EXIT_OK;
}

/* composite_bound: a composite from ward attest carries the label and payload in
 * its GPU parts' nonces (the CPU's REPORT_DATA binds the GPU reports, and so the
 * nonces); each must be the first 32 bytes of the binding. */
static void composite_bound(const struct ward_buf *evidence,
                            const uint8_t binding[WARD_BINDING_LEN], struct ward_appraisal *a)
{
    json_t *doc = NULL, *part;
    size_t i;
    if (ward_json_parse(evidence->data, evidence->len, &doc) != WARD_OK) {
        ward_err_clear(); /* the appraisal has failed on it already */
        return;
    }
    json_array_foreach(json_object_get(doc, "parts"), i, part)
    {
        const char *tee = json_string_value(json_object_get(part, "tee"));
        const char *b64 = json_string_value(json_object_get(part, "nonce"));
        if (tee == NULL || strcmp(tee, "nvgpu") != 0) {
            continue;
        }
        struct ward_buf nonce = {0};
        if (b64 == NULL || ward_base64_decode(b64, &nonce) != WARD_OK || nonce.len != 32 ||
            !ward_ct_equal(nonce.data, binding, 32)) {
            ward_appraisal_fail(a, WARD_CHECK_BINDING,
                                "parts[%zu] (nvgpu): the nonce is not the binding of the label "
                                "and payload",
                                i);
        }
        ward_buf_cleanup(&nonce);
    }
    ward_err_clear();
    json_decref(doc);
}

/* envelope_collateral returns the DCAP collateral a TDX envelope carries as
 * "collateral" (the simulator's, from ward attest), as JSON text, or NULL. */
static char *envelope_collateral(const struct ward_buf *evidence)
{
    json_t *doc = NULL;
    if (ward_json_parse(evidence->data, evidence->len, &doc) != WARD_OK) {
        ward_err_clear();
        return NULL;
    }
    json_t *col = json_object_get(doc, "collateral");
    char *text = col != NULL ? json_dumps(col, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    return text;
}

int verify_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"tee", required_argument, NULL, 't'},
        {"label", required_argument, NULL, 'l'},
        {"payload-file", required_argument, NULL, 'P'},
        {"collateral", required_argument, NULL, 'L'},
        {"nonce", required_argument, NULL, 'n'},
        {"reference", required_argument, NULL, 'R'},
        {"ocsp", required_argument, NULL, 'O'},
        {"rim", required_argument, NULL, 'M'},
        {"certs", required_argument, NULL, 'c'},
        {"crl", required_argument, NULL, 'r'},
        {"as-of", required_argument, NULL, 'a'},
        {"policy", required_argument, NULL, 'p'},
        {"report-data", required_argument, NULL, 'd'},
        {"allow-sim", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"cache", required_argument, NULL, 'C'},
        {"no-cache", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct files certs = {0}, crls = {0}, ocsps = {0}, refs = {0}, rims = {0};
    struct ward_verify_opts opts = {0};
    struct ward_policy *policy = NULL;
    struct ward_envelope env = {0};
    struct ward_buf evidence = {0}, collateral = {0};
    struct ward_blob collateral_blob = {0};
    struct ward_appraisal a;
    bool json = false, have_appraisal = false;
    const char *tee = NULL, *label = NULL, *payload_file = NULL;
    char *env_collateral = NULL;
    uint8_t binding[WARD_BINDING_LEN];
    struct ward_blob all_certs[MAX_FILES + WARD_ENVELOPE_MAX_CERTS];
    char env_names[WARD_ENVELOPE_MAX_CERTS][32];
    size_t all_num = 0;
    int ret = WARD_EXIT_USAGE, opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 't':
            tee = optarg;
            break;
        case 'l':
            if (optarg[0] == '\0') {
                cli_error("verify", "--label must not be empty");
                goto out;
            }
            label = optarg;
            break;
        case 'P':
            payload_file = optarg;
            break;
        case 'c':
            if (add_file(&certs, optarg) != WARD_EXIT_OK) {
                goto out;
            }
            break;
        case 'r':
            if (add_file(&crls, optarg) != WARD_EXIT_OK) {
                goto out;
            }
            break;
        case 'a':
            if (ward_time_parse(optarg, &opts.at) != WARD_OK) {
                cli_error("verify", "--as-of: %s", ward_err_detail());
                goto out;
            }
            if (opts.at <= 0) {
                cli_error("verify", "--as-of must be after 1970-01-01T00:00:00Z");
                goto out;
            }
            break;
        case 'p':
            ward_policy_free(policy);
            policy = NULL;
            if (ward_policy_load(optarg, &policy) != WARD_OK) {
                cli_error("verify", "--policy: %s", ward_err_detail());
                goto out;
            }
            break;
        case 'd':
            if (ward_hex_decode_exact(optarg, opts.report_data, sizeof(opts.report_data)) !=
                WARD_OK) {
                cli_error("verify", "--report-data: %s", ward_err_detail());
                goto out;
            }
            opts.has_report_data = true;
            break;
        case 's': {
            STACK_OF(X509) *roots = sk_X509_new_null();
            /* The directory must hold simulator roots of some TEE. */
            int src = roots ? ward_snp_sim_roots(optarg, roots) : WARD_ERR_NOMEM;
            if (src == WARD_ERR_NOT_FOUND) {
                src = ward_tdx_sim_roots(optarg, roots);
            }
            if (src == WARD_ERR_NOT_FOUND) {
                src = ward_nvgpu_sim_roots(optarg, roots);
            }
            sk_X509_pop_free(roots, X509_free);
            if (src != WARD_OK) {
                cli_error("verify", "--allow-sim %s: %s", optarg, ward_err_detail());
                goto out;
            }
            opts.sim_dir = optarg;
            break;
        }
        case 'j':
            json = true;
            break;
        case 'n':
            if (ward_hex_decode_exact(optarg, opts.nonce, sizeof(opts.nonce)) != WARD_OK) {
                cli_error("verify", "--nonce: %s", ward_err_detail());
                goto out;
            }
            opts.has_nonce = true;
            break;
        case 'R':
            if (refs.num > 0) {
                cli_error("verify", "--reference may be given once");
                goto out;
            }
            if (add_file(&refs, optarg) != WARD_EXIT_OK) {
                goto out;
            }
            opts.reference_file = &refs.blobs[0];
            break;
        case 'O':
            if (add_file(&ocsps, optarg) != WARD_EXIT_OK) {
                goto out;
            }
            opts.ocsp_files = ocsps.blobs;
            opts.num_ocsp_files = ocsps.num;
            break;
        case 'M':
            if (add_file(&rims, optarg) != WARD_EXIT_OK) {
                goto out;
            }
            opts.rim_files = rims.blobs;
            opts.num_rim_files = rims.num;
            break;
        case 'L':
            ward_buf_cleanup(&collateral);
            if (ward_read_file(optarg, WARD_DCAP_BUNDLE_MAX, &collateral) != WARD_OK) {
                cli_error("verify", "--collateral: %s", ward_err_detail());
                goto out;
            }
            collateral_blob = (struct ward_blob){optarg, collateral.data, collateral.len};
            opts.collateral_file = &collateral_blob;
            break;
        case 'C':
            opts.cache_dir = optarg;
            break;
        case 'N':
            opts.cache_dir = "";
            break;
        case 'h':
            usage(stdout);
            ret = WARD_EXIT_OK;
            goto out;
        default:
            usage(stderr);
            goto out;
        }
    }
    if (optind != argc - 1) {
        cli_error("verify", "expected exactly one EVIDENCE file");
        usage(stderr);
        goto out;
    }
    if (tee != NULL && strcmp(tee, "snp") != 0 && strcmp(tee, "tdx") != 0 &&
        strcmp(tee, "nvgpu") != 0 && strcmp(tee, "composite") != 0) {
        cli_error("verify",
                  "--tee %s is not supported by this build (supported: snp, tdx, nvgpu, composite)",
                  tee);
        goto out;
    }
    bool bind = label != NULL || payload_file != NULL;
    if (bind && set_binding(label, payload_file, &opts, binding) != WARD_EXIT_OK) {
        goto out;
    }
    if (ward_read_file(argv[optind], EVIDENCE_MAX_LEN, &evidence) != WARD_OK) {
        cli_error("verify", "%s", ward_err_detail());
        goto out;
    }
    opts.policy = policy;
    memcpy(all_certs, certs.blobs, certs.num * sizeof(certs.blobs[0]));
    all_num = certs.num;
    opts.cert_files = all_certs;
    opts.num_cert_files = all_num;
    opts.crl_files = crls.blobs;
    opts.num_crl_files = crls.num;

    const uint8_t *report = evidence.data;
    size_t report_len = evidence.len;
    if ((tee != NULL && strcmp(tee, "composite") == 0) ||
        is_composite(evidence.data, evidence.len)) {
        if (ward_verify_composite(evidence.data, evidence.len, &opts, &a) != WARD_OK) {
            cli_error("verify", "%s", ward_err_detail());
            goto out;
        }
        have_appraisal = true;
        if (bind) {
            composite_bound(&evidence, binding, &a);
        }
    }
    int rc = have_appraisal ? WARD_ERR_NOT_FOUND
                            : ward_envelope_parse(evidence.data, evidence.len, &env);
    if (rc == WARD_OK) {
        if ((strcmp(env.tee, "snp") != 0 && strcmp(env.tee, "tdx") != 0 &&
             strcmp(env.tee, "nvgpu") != 0) ||
            (tee != NULL && strcmp(tee, env.tee) != 0)) {
            char why[96];
            snprintf(why, sizeof(why), "envelope: tee \"%.16s\" is not supported here%s%s", env.tee,
                     tee ? ", expected " : "", tee ? tee : "");
            reject_malformed(&a, tee ? tee : "snp", why);
            have_appraisal = true;
        } else {
            tee = tee ? tee : env.tee;
            if (env.nonce.len == 32 && !opts.has_nonce) {
                memcpy(opts.nonce, env.nonce.data, 32);
                opts.has_nonce = true;
            }
        }
        report = env.evidence.data;
        report_len = env.evidence.len;
        /* The envelope's certificates join the --certs files, named by position. */
        for (size_t i = 0; i < env.num_certs && all_num < MAX_FILES + WARD_ENVELOPE_MAX_CERTS;
             i++) {
            snprintf(env_names[i], sizeof(env_names[i]), "envelope certs[%zu]", i);
            all_certs[all_num++] = (struct ward_blob){
                .name = env_names[i], .data = env.certs[i].data, .len = env.certs[i].len};
        }
        opts.cert_files = all_certs;
        opts.num_cert_files = all_num;
        if (strcmp(env.tee, "tdx") == 0 && opts.collateral_file == NULL &&
            (env_collateral = envelope_collateral(&evidence)) != NULL) {
            collateral_blob = (struct ward_blob){
                "envelope collateral", (const uint8_t *)env_collateral, strlen(env_collateral)};
            opts.collateral_file = &collateral_blob;
        }
    } else if (rc != WARD_ERR_NOT_FOUND) {
        reject_malformed(&a, tee ? tee : "snp", ward_err_detail());
        have_appraisal = true;
    }
    if (!have_appraisal) {
        if (tee == NULL) {
            tee = looks_like_tdx(report, report_len)     ? "tdx"
                  : looks_like_nvgpu(report, report_len) ? "nvgpu"
                                                         : "snp";
        }
        int vrc = strcmp(tee, "tdx") == 0     ? ward_verify_tdx(report, report_len, &opts, &a)
                  : strcmp(tee, "nvgpu") == 0 ? ward_verify_nvgpu(report, report_len, &opts, &a)
                                              : ward_verify_snp(report, report_len, &opts, &a);
        if (vrc != WARD_OK) {
            cli_error("verify", "%s", ward_err_detail());
            goto out;
        }
        have_appraisal = true;
    }

    if (json) {
        json_t *o = ward_appraisal_to_json(&a);
        char *s = o ? ward_json_dumps(o, false) : NULL;
        json_decref(o);
        if (s == NULL) {
            cli_error("verify", "out of memory");
            goto out;
        }
        printf("%s\n", s);
        free(s);
    } else {
        print_human(&a);
    }
    for (size_t i = 0; json && i < a.num_errors; i++) {
        fprintf(stderr, "ward verify: %s: %s\n", ward_check_name(a.errors[i].check),
                a.errors[i].message);
    }
    ret = ward_appraisal_verdict(&a) ? WARD_EXIT_OK : WARD_EXIT_REJECT;
out:
    if (have_appraisal) {
        ward_appraisal_cleanup(&a);
    }
    ward_envelope_cleanup(&env);
    ward_buf_cleanup(&evidence);
    ward_buf_cleanup(&collateral);
    free(env_collateral);
    files_cleanup(&certs);
    files_cleanup(&crls);
    files_cleanup(&ocsps);
    files_cleanup(&refs);
    files_cleanup(&rims);
    ward_policy_free(policy);
    return ret;
}
