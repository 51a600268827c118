/*
 * tests/unit/test_providers_dev.c: the device providers without the devices.
 *
 *  - sev-guest: a missing device, a regular file (the ioctls fail with ENOTTY), a
 *    directory (EISDIR), a mode-000 file (permission denied; as root the check runs
 *    in a child that drops to uid 65534), an out-of-range VMPL; and the response
 *    parser on a real report with a certificate table, with reject twins: firmware
 *    status, report sizes 1183 and 1185, truncation, non-zero reserved bytes and
 *    padding, a broken certificate table.
 *  - tdx-guest: a missing device, a regular file, and get's pointer to configfs-tsm.
 *  - NVML: a missing library, a library without the NVML symbols, and a fake
 *    libnvidia-ml (fake_nvml.c, its path in argv[1]) returning a real H100 report
 *    and chain (PEM and DER), with NVML error codes, a wrong nonce, an oversized
 *    report and more GPUs than room.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sev-guest.h>
#include <openssl/x509.h>

#include "evidence/providers/internal.h"
#include "ward/crypto.h"
#include "ward/nvgpu.h"
#include "ward/snp.h"

#define SNP_SAMPLE "snp/go-sev-guest-milan-v2"
#define NV_SAMPLE "nvgpu/nvtrust-h100-sample"
#define RESP_LEN 4000u /* struct snp_report_resp */
#define RESP_HEADER_LEN 32u
#define NOBODY 65534

static const char *fake_nvml; /* argv[1] */
static char tmp_dir[256];

/* ---- helpers ---- */

static void data_path(const char *rel, char *out, size_t out_len)
{
    const char *d = getenv("WARD_TEST_DATA");
    snprintf(out, out_len, "%s/%s", d ? d : "tests/data", rel);
}

static void load(const char *rel, struct ward_buf *out)
{
    char path[1024];
    data_path(rel, path, sizeof(path));
    assert_int_equal(ward_read_file(path, 1 << 20, out), WARD_OK);
}

static void tmp_path(const char *name, char *out, size_t out_len)
{
    snprintf(out, out_len, "%s/%s", tmp_dir, name);
}

static void write_file(const char *path, const uint8_t *p, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
    assert_int_equal(chmod(path, mode), 0);
}

/* expect_err asserts |rc| is |code| and the detail mentions |needle|. */
static void expect_err(int rc, int code, const char *needle)
{
    if (rc != code || strstr(ward_err_detail(), needle) == NULL) {
        fail_msg("want code %d mentioning \"%s\", got %d: %s", code, needle, rc, ward_err_detail());
    }
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmp_dir, sizeof(tmp_dir), "%s/ward-providers-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmp_dir) == NULL) {
        return -1;
    }
    /* Traversable by the unprivileged child of the permission test. */
    return chmod(tmp_dir, 0755);
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- sev-guest: the device ---- */

static void sev_missing_device(void **state)
{
    (void)state;
    char dev[300];
    struct provider_evidence ev;
    uint8_t rd[64] = {1};
    tmp_path("no-sev-guest", dev, sizeof(dev));
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = dev};
    expect_err(provider_sev_guest.probe(&opts), WARD_ERR_NOT_FOUND, "not an SEV-SNP guest");
    expect_err(provider_sev_guest.get(&opts, rd, &ev), WARD_ERR_NOT_FOUND, "not an SEV-SNP guest");
    assert_non_null(strstr(ward_err_detail(), dev));
}

static void sev_regular_file(void **state)
{
    (void)state;
    char dev[300];
    struct provider_evidence ev;
    uint8_t rd[64] = {2};
    tmp_path("sev-regular", dev, sizeof(dev));
    write_file(dev, (const uint8_t *)"x", 1, 0600);
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = dev};
    assert_int_equal(provider_sev_guest.probe(&opts), WARD_OK); /* it opens */
    /* SNP_GET_EXT_REPORT: ENOTTY, so the fallback SNP_GET_REPORT: ENOTTY too. */
    expect_err(provider_sev_guest.get(&opts, rd, &ev), WARD_ERR_IO,
               "does not answer SNP_GET_REPORT (ENOTTY)");
    assert_non_null(strstr(ward_err_detail(), "not the sev-guest driver"));
}

static void sev_directory(void **state)
{
    (void)state;
    struct provider_evidence ev;
    uint8_t rd[64] = {3};
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = tmp_dir};
    expect_err(provider_sev_guest.get(&opts, rd, &ev), WARD_ERR_IO, "Is a directory");
    assert_non_null(strstr(ward_err_detail(), tmp_dir));
}

static void sev_bad_vmpl(void **state)
{
    (void)state;
    struct provider_evidence ev;
    uint8_t rd[64] = {4};
    struct ward_attest_opts opts = {
        .provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = "/nonexistent", .privlevel = 4};
    expect_err(provider_sev_guest.get(&opts, rd, &ev), WARD_ERR_USAGE, "VMPL 4 is out of range");
}

/* permission_check runs probe and get on a mode-000 file; 0 when both say
 * "permission denied". */
static int permission_check(const char *dev)
{
    struct provider_evidence ev;
    uint8_t rd[64] = {5};
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = dev};
    const char *want = "permission denied opening";
    if (provider_sev_guest.probe(&opts) != WARD_ERR_IO || !strstr(ward_err_detail(), want)) {
        return 1;
    }
    if (provider_sev_guest.get(&opts, rd, &ev) != WARD_ERR_IO || !strstr(ward_err_detail(), want)) {
        return 2;
    }
    opts.tdx_guest_dev = dev;
    if (provider_tdx_guest.probe(&opts) != WARD_ERR_IO || !strstr(ward_err_detail(), want)) {
        return 3;
    }
    return 0;
}

static void sev_permission_denied(void **state)
{
    (void)state;
    char dev[300];
    tmp_path("sev-mode-000", dev, sizeof(dev));
    write_file(dev, (const uint8_t *)"x", 1, 0000);
    if (geteuid() != 0) {
        int rc = permission_check(dev);
        if (rc != 0) {
            fail_msg("check %d: %s", rc, ward_err_detail());
        }
        return;
    }
    /* Root ignores file modes: drop to nobody in a child and check there. */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (setgroups(0, NULL) != 0 || setgid(NOBODY) != 0 || setuid(NOBODY) != 0) {
            _exit(77);
        }
        int rc = permission_check(dev);
        if (rc != 0) {
            fprintf(stderr, "permission check %d: %s\n", rc, ward_err_detail());
        }
        _exit(rc);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77) {
        print_message("running as root and cannot drop to uid %d: the permission-denied "
                      "assertion is skipped (root bypasses file modes)\n",
                      NOBODY);
        return;
    }
    print_message("running as root: permission denied checked in a child as uid %d\n", NOBODY);
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- sev-guest: the response parser ---- */

struct sample {
    struct ward_buf report, vcek, ask, ark, table;
};

static void sample_load(struct sample *s)
{
    memset(s, 0, sizeof(*s));
    load(SNP_SAMPLE "/report.bin", &s->report);
    load(SNP_SAMPLE "/vcek.der", &s->vcek);
    load(SNP_SAMPLE "/ask.der", &s->ask);
    load(SNP_SAMPLE "/ark.der", &s->ark);
    assert_int_equal(s->report.len, WARD_SNP_REPORT_LEN);
    struct ward_snp_cert_entry e[3] = {
        {.kind = WARD_SNP_CERT_VCEK, .der = s->vcek.data, .der_len = s->vcek.len},
        {.kind = WARD_SNP_CERT_ASK, .der = s->ask.data, .der_len = s->ask.len},
        {.kind = WARD_SNP_CERT_ARK, .der = s->ark.data, .der_len = s->ark.len},
    };
    assert_int_equal(ward_snp_cert_table_encode(e, 3, &s->table), WARD_OK);
}

static void sample_free(struct sample *s)
{
    ward_buf_cleanup(&s->report);
    ward_buf_cleanup(&s->vcek);
    ward_buf_cleanup(&s->ask);
    ward_buf_cleanup(&s->ark);
    ward_buf_cleanup(&s->table);
}

/* response builds the driver's 4000-byte buffer around |report|. */
static void response(uint8_t out[RESP_LEN], uint32_t status, uint32_t size,
                     const struct ward_buf *report)
{
    memset(out, 0, RESP_LEN);
    put_u32le(out, status);
    put_u32le(out + 4, size);
    memcpy(out + RESP_HEADER_LEN, report->data, report->len);
}

/* A certificate buffer as the driver returns it: the table, then zeros to 16 KiB. */
static uint8_t *certs_page(const struct ward_buf *table, size_t *out_len)
{
    *out_len = 16u << 10;
    uint8_t *p = calloc(1, *out_len);
    assert_non_null(p);
    memcpy(p, table->data, table->len);
    return p;
}

static void expect_untouched(const struct provider_evidence *ev)
{
    struct provider_evidence sentinel;
    memset(&sentinel, 0xA5, sizeof(sentinel));
    assert_memory_equal(ev, &sentinel, sizeof(sentinel));
}

static void sev_parse_good(void **state)
{
    (void)state;
    struct sample s;
    uint8_t resp[RESP_LEN];
    size_t certs_len;
    sample_load(&s);
    uint8_t *certs = certs_page(&s.table, &certs_len);
    response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);

    struct provider_evidence ev;
    assert_int_equal(sev_guest_parse_response(resp, sizeof(resp), 0, certs, certs_len, &ev),
                     WARD_OK);
    assert_string_equal(ev.tee, "snp");
    assert_int_equal(ev.evidence.len, WARD_SNP_REPORT_LEN);
    assert_memory_equal(ev.evidence.data, s.report.data, WARD_SNP_REPORT_LEN);
    assert_int_equal(ev.num_certs, 3);
    assert_int_equal(ev.certs[0].len, s.vcek.len);
    assert_memory_equal(ev.certs[0].data, s.vcek.data, s.vcek.len);
    assert_memory_equal(ev.certs[1].data, s.ask.data, s.ask.len);
    assert_memory_equal(ev.certs[2].data, s.ark.data, s.ark.len);
    /* The report still parses as an SNP report. */
    struct ward_snp_report r;
    assert_int_equal(ward_snp_report_parse(ev.evidence.data, ev.evidence.len, &r), WARD_OK);
    provider_evidence_cleanup(&ev);

    /* SNP_GET_REPORT (no certificate buffer), and a host that supplied none (zeros). */
    assert_int_equal(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_OK);
    assert_int_equal(ev.num_certs, 0);
    provider_evidence_cleanup(&ev);
    memset(certs, 0, certs_len);
    assert_int_equal(sev_guest_parse_response(resp, sizeof(resp), 0, certs, certs_len, &ev),
                     WARD_OK);
    assert_int_equal(ev.num_certs, 0);
    provider_evidence_cleanup(&ev);

    /* Exactly header + report, without the driver's padding. */
    assert_int_equal(
        sev_guest_parse_response(resp, RESP_HEADER_LEN + WARD_SNP_REPORT_LEN, 0, NULL, 0, &ev),
        WARD_OK);
    provider_evidence_cleanup(&ev);
    free(certs);
    sample_free(&s);
}

static void sev_parse_firmware_error(void **state)
{
    (void)state;
    struct sample s;
    uint8_t resp[RESP_LEN];
    struct provider_evidence ev;
    sample_load(&s);
    response(resp, 0x16, 0, &s.report);
    memset(&ev, 0xA5, sizeof(ev));
    uint64_t exitinfo2 = (2ull << 32) | 0x27u;
    expect_err(sev_guest_parse_response(resp, sizeof(resp), exitinfo2, NULL, 0, &ev), WARD_ERR_IO,
               "sev-guest: firmware error 0x16 (INVALID_PARAM)");
    assert_non_null(strstr(ward_err_detail(), "fw_error 0x27, vmm_error 0x2"));
    expect_untouched(&ev);
    response(resp, 0x27, WARD_SNP_REPORT_LEN, &s.report);
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_IO,
               "firmware error 0x27 (INVALID_KEY)");
    response(resp, 0x1E, WARD_SNP_REPORT_LEN, &s.report);
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_IO,
               "firmware error 0x1e (unknown)");
    expect_untouched(&ev);
    sample_free(&s);
}

static void sev_parse_bad_sizes(void **state)
{
    (void)state;
    struct sample s;
    uint8_t resp[RESP_LEN];
    struct provider_evidence ev;
    sample_load(&s);
    memset(&ev, 0xA5, sizeof(ev));

    response(resp, 0, WARD_SNP_REPORT_LEN - 1, &s.report); /* 1183 */
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_FORMAT,
               "1183-byte report");
    response(resp, 0, WARD_SNP_REPORT_LEN + 1, &s.report);
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_FORMAT,
               "1185-byte report");
    response(resp, 0, 0xFFFFFFFFu, &s.report);
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_FORMAT,
               "an SNP report is 1184 bytes");

    /* Truncated: the buffer ends inside the report, or inside the header. */
    response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);
    expect_err(
        sev_guest_parse_response(resp, RESP_HEADER_LEN + WARD_SNP_REPORT_LEN - 1, 0, NULL, 0, &ev),
        WARD_ERR_TRUNCATED, "ends inside its 1184-byte report");
    expect_err(sev_guest_parse_response(resp, 7, 0, NULL, 0, &ev), WARD_ERR_TRUNCATED,
               "has no header");
    expect_err(sev_guest_parse_response(resp, 0, 0, NULL, 0, &ev), WARD_ERR_TRUNCATED,
               "has no header");
    expect_err(sev_guest_parse_response(resp, 20, 0, NULL, 0, &ev), WARD_ERR_TRUNCATED, "");
    expect_untouched(&ev);
    sample_free(&s);
}

static void sev_parse_trailing_and_reserved(void **state)
{
    (void)state;
    struct sample s;
    uint8_t resp[RESP_LEN];
    struct provider_evidence ev;
    sample_load(&s);
    memset(&ev, 0xA5, sizeof(ev));

    /* Garbage after the report, first and last byte of the padding. */
    response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);
    resp[RESP_HEADER_LEN + WARD_SNP_REPORT_LEN] = 0x01;
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_TRAILING,
               "bytes after the report are not zero padding");
    response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);
    resp[RESP_LEN - 1] = 0xFF;
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_TRAILING,
               "not zero padding");
    /* Each reserved header byte. */
    for (size_t i = 8; i < RESP_HEADER_LEN; i++) {
        response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);
        resp[i] = 0x80;
        expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, NULL, 0, &ev), WARD_ERR_RESERVED,
                   "sev-guest: report response");
    }
    expect_untouched(&ev);
    sample_free(&s);
}

static void sev_parse_bad_cert_table(void **state)
{
    (void)state;
    struct sample s;
    uint8_t resp[RESP_LEN];
    struct provider_evidence ev;
    size_t certs_len;
    sample_load(&s);
    memset(&ev, 0xA5, sizeof(ev));
    response(resp, 0, WARD_SNP_REPORT_LEN, &s.report);

    /* First entry's offset points past the buffer. */
    uint8_t *certs = certs_page(&s.table, &certs_len);
    put_u32le(certs + 16, (uint32_t)certs_len);
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, certs, certs_len, &ev),
               WARD_ERR_FORMAT, "sev-guest: certificate table");
    free(certs);

    /* No terminator: a full buffer of non-zero entries. */
    uint8_t junk[48];
    memset(junk, 0x11, sizeof(junk));
    expect_err(sev_guest_parse_response(resp, sizeof(resp), 0, junk, sizeof(junk), &ev),
               WARD_ERR_FORMAT, "sev-guest: certificate table");
    expect_untouched(&ev);
    sample_free(&s);
}

/* ---- sev-guest: the ioctl sequence, against a stand-in for the driver ---- */

/* What the stand-in driver does; it follows drivers/virt/coco/sev-guest/sev-guest.c. */
static struct {
    bool no_ext;            /* SNP_GET_EXT_REPORT unknown: ENOTTY */
    uint32_t need;          /* certificate buffer the host needs (0: no certificates) */
    bool always_short;      /* keep asking for more than was given */
    uint64_t fail_exitinfo; /* non-zero: fail with EIO and this exitinfo2 */
    uint32_t status;        /* MSG_REPORT_RSP STATUS */
    bool wrong_report_data; /* answer with the sample's own REPORT_DATA */
    int ext_calls, plain_calls;
    uint32_t last_vmpl, last_certs_len;
    const struct sample *s;
} drv;

static int fake_driver(int fd, unsigned long cmd, void *arg)
{
    (void)fd;
    struct snp_guest_request_ioctl *io = arg;
    struct snp_report_req *req;
    struct snp_ext_report_req *ext = NULL;
    if (io->msg_version != 1) {
        errno = EINVAL;
        return -1;
    }
    if (cmd == SNP_GET_EXT_REPORT) {
        drv.ext_calls++;
        if (drv.no_ext) {
            errno = ENOTTY;
            return -1;
        }
        ext = (struct snp_ext_report_req *)(uintptr_t)io->req_data;
        req = &ext->data;
        drv.last_certs_len = ext->certs_len;
        if (ext->certs_len > (16u << 10) || ext->certs_len % 4096 != 0) {
            errno = EINVAL;
            return -1;
        }
        if (ext->certs_len < drv.need || drv.always_short) {
            ext->certs_len = drv.always_short ? ext->certs_len + 4096 : drv.need;
            io->exitinfo2 = (uint64_t)SNP_GUEST_VMM_ERR_INVALID_LEN << 32;
            errno = EIO;
            return -1;
        }
    } else if (cmd == SNP_GET_REPORT) {
        drv.plain_calls++;
        req = (struct snp_report_req *)(uintptr_t)io->req_data;
    } else {
        errno = ENOTTY;
        return -1;
    }
    drv.last_vmpl = req->vmpl;
    if (drv.fail_exitinfo != 0) {
        io->exitinfo2 = drv.fail_exitinfo;
        errno = EIO;
        return -1;
    }
    uint8_t *resp = (uint8_t *)(uintptr_t)io->resp_data;
    response(resp, drv.status, WARD_SNP_REPORT_LEN, &drv.s->report);
    if (!drv.wrong_report_data) {
        memcpy(resp + RESP_HEADER_LEN + 0x50, req->user_data, 64); /* REPORT_DATA */
    }
    if (ext != NULL && drv.need > 0) {
        uint8_t *certs = (uint8_t *)(uintptr_t)ext->certs_address;
        memset(certs, 0, ext->certs_len);
        memcpy(certs, drv.s->table.data, drv.s->table.len);
    }
    return 0;
}

static void drv_reset(const struct sample *s)
{
    memset(&drv, 0, sizeof(drv));
    drv.s = s;
}

static void sev_ioctl_sequence(void **state)
{
    (void)state;
    struct sample s;
    struct provider_evidence ev;
    char dev[300];
    uint8_t rd[64];
    sample_load(&s);
    for (size_t i = 0; i < sizeof(rd); i++) {
        rd[i] = (uint8_t)(0xC0 + i);
    }
    tmp_path("sev-stand-in", dev, sizeof(dev));
    write_file(dev, (const uint8_t *)"x", 1, 0600);
    struct ward_attest_opts opts = {
        .provider = WARD_PROVIDER_SEV_GUEST, .sev_guest_dev = dev, .privlevel = 2};

    /* SNP_GET_EXT_REPORT answers at once with the certificates. */
    drv_reset(&s);
    drv.need = 8192;
    if (sev_guest_get_via(&opts, rd, fake_driver, &ev) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    assert_int_equal(drv.ext_calls, 1);
    assert_int_equal(drv.plain_calls, 0);
    assert_int_equal(drv.last_vmpl, 2);
    assert_int_equal(ev.num_certs, 3);
    assert_memory_equal(ev.evidence.data + 0x50, rd, 64);
    assert_memory_equal(ev.certs[0].data, s.vcek.data, s.vcek.len);
    provider_evidence_cleanup(&ev);

    /* The host needs a larger buffer: one retry with the size it names. */
    drv_reset(&s);
    drv.need = 12u << 10;
    if (sev_guest_get_via(&opts, rd, fake_driver, &ev) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    assert_int_equal(drv.ext_calls, 2);
    assert_int_equal(drv.last_certs_len, 12u << 10);
    assert_int_equal(ev.num_certs, 3);
    provider_evidence_cleanup(&ev);

    /* It names more than the driver's 16 KiB: the retry's EINVAL is reported. */
    drv_reset(&s);
    drv.need = 20u << 10;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_USAGE,
               "rejected SNP_GET_EXT_REPORT (EINVAL)");
    assert_int_equal(drv.ext_calls, 2);

    /* The host asks for more than the named maximum. */
    drv_reset(&s);
    drv.need = 128u << 10;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_NOMEM,
               "asks for a 131072-byte certificate buffer");
    assert_int_equal(drv.ext_calls, 1);

    /* The host keeps asking: one retry only. */
    drv_reset(&s);
    drv.need = 4096;
    drv.always_short = true;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_NOMEM,
               "still asks for a larger certificate buffer");
    assert_int_equal(drv.ext_calls, 2);

    /* A kernel without SNP_GET_EXT_REPORT: SNP_GET_REPORT, no certificates. */
    drv_reset(&s);
    drv.no_ext = true;
    if (sev_guest_get_via(&opts, rd, fake_driver, &ev) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    assert_int_equal(drv.ext_calls, 1);
    assert_int_equal(drv.plain_calls, 1);
    assert_int_equal(ev.num_certs, 0);
    provider_evidence_cleanup(&ev);

    /* No certificates from the host: an all-zero table. */
    drv_reset(&s);
    assert_int_equal(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_OK);
    assert_int_equal(ev.num_certs, 0);
    provider_evidence_cleanup(&ev);

    /* The firmware refuses the request (ioctl EIO, exitinfo2 names the error). */
    drv_reset(&s);
    drv.fail_exitinfo = 0x16;
    memset(&ev, 0xA5, sizeof(ev));
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_IO,
               "SNP_GET_EXT_REPORT failed: firmware error 0x16 (INVALID_PARAM), vmm error 0x0");
    drv.fail_exitinfo = 2ull << 32;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_IO, "vmm error 0x2 (BUSY)");
    drv.fail_exitinfo = 0xff;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_IO,
               "firmware error 0xff (no firmware call made)");

    /* The firmware's report response carries an error status. */
    drv_reset(&s);
    drv.status = 0x16;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_IO,
               "sev-guest: firmware error 0x16 (INVALID_PARAM)");

    /* A report for someone else's REPORT_DATA. */
    drv_reset(&s);
    drv.wrong_report_data = true;
    expect_err(sev_guest_get_via(&opts, rd, fake_driver, &ev), WARD_ERR_MISMATCH,
               "REPORT_DATA is not the one requested");
    expect_untouched(&ev);
    sample_free(&s);
}

/* ---- tdx-guest ---- */

static void tdx_missing_device(void **state)
{
    (void)state;
    char dev[300];
    uint8_t rd[64] = {6}, report[1024];
    struct provider_evidence ev;
    tmp_path("no-tdx-guest", dev, sizeof(dev));
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_TDX_GUEST, .tdx_guest_dev = dev};
    expect_err(provider_tdx_guest.probe(&opts), WARD_ERR_NOT_FOUND, "not a TDX guest");
    expect_err(provider_tdx_guest.get(&opts, rd, &ev), WARD_ERR_NOT_FOUND, "not a TDX guest");
    expect_err(tdx_guest_report0(dev, rd, report), WARD_ERR_NOT_FOUND, "not a TDX guest");
}

static void tdx_regular_file(void **state)
{
    (void)state;
    char dev[300];
    uint8_t rd[64] = {7}, report[1024], before[1024];
    struct provider_evidence ev;
    tmp_path("tdx-regular", dev, sizeof(dev));
    write_file(dev, (const uint8_t *)"x", 1, 0600);
    memset(report, 0x5A, sizeof(report));
    memcpy(before, report, sizeof(report));
    expect_err(tdx_guest_report0(dev, rd, report), WARD_ERR_IO,
               "does not answer TDX_CMD_GET_REPORT0 (ENOTTY)");
    assert_memory_equal(report, before, sizeof(report));
    expect_err(tdx_guest_report0(tmp_dir, rd, report), WARD_ERR_IO, "Is a directory");

    /* probe: the device is there; get: quotes come from configfs-tsm. */
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_TDX_GUEST, .tdx_guest_dev = dev};
    assert_int_equal(provider_tdx_guest.probe(&opts), WARD_OK);
    expect_err(provider_tdx_guest.get(&opts, rd, &ev), WARD_ERR_NOT_FOUND,
               "TDX quotes need configfs-tsm (/sys/kernel/config/tsm/report)");
    assert_non_null(strstr(ward_err_detail(), "only gives a TDREPORT"));
}

/* ---- NVML ---- */

struct nv_sample {
    struct ward_buf report, chain;
    uint8_t nonce[32];
    char report_path[1024], chain_path[1024];
};

static void nv_load(struct nv_sample *s)
{
    struct ward_buf hex = {0};
    memset(s, 0, sizeof(*s));
    load(NV_SAMPLE "/evidence.bin", &s->report);
    load(NV_SAMPLE "/cert_chain.pem", &s->chain);
    load(NV_SAMPLE "/nonce.hex", &hex);
    char text[65];
    assert_true(hex.len >= 64);
    memcpy(text, hex.data, 64);
    text[64] = '\0';
    assert_int_equal(ward_hex_decode_exact(text, s->nonce, 32), WARD_OK);
    ward_buf_cleanup(&hex);
    data_path(NV_SAMPLE "/evidence.bin", s->report_path, sizeof(s->report_path));
    data_path(NV_SAMPLE "/cert_chain.pem", s->chain_path, sizeof(s->chain_path));
    setenv("WARD_FAKE_NVML_REPORT", s->report_path, 1);
    setenv("WARD_FAKE_NVML_CHAIN", s->chain_path, 1);
    unsetenv("WARD_FAKE_NVML_COUNT");
    unsetenv("WARD_FAKE_NVML_FAIL");
    unsetenv("WARD_FAKE_NVML_REPORT_SIZE");
}

static void nv_free(struct nv_sample *s)
{
    ward_buf_cleanup(&s->report);
    ward_buf_cleanup(&s->chain);
}

static void gpus_free(struct gpu_evidence *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ward_buf_cleanup(&g[i].report);
        ward_buf_cleanup(&g[i].chain_pem);
    }
}

/* chain_ders returns the DER certificates of a PEM chain. */
static STACK_OF(X509) *chain_certs(const struct ward_buf *pem)
{
    STACK_OF(X509) *st = sk_X509_new_null();
    assert_non_null(st);
    assert_int_equal(ward_x509_parse_all(pem->data, pem->len, st), WARD_OK);
    return st;
}

static void assert_same_chain(const struct ward_buf *a, const struct ward_buf *b)
{
    STACK_OF(X509) *x = chain_certs(a), *y = chain_certs(b);
    assert_int_equal(sk_X509_num(x), sk_X509_num(y));
    assert_true(sk_X509_num(x) >= 2);
    for (int i = 0; i < sk_X509_num(x); i++) {
        assert_int_equal(X509_cmp(sk_X509_value(x, i), sk_X509_value(y, i)), 0);
    }
    sk_X509_pop_free(x, X509_free);
    sk_X509_pop_free(y, X509_free);
}

static void nvml_missing_library(void **state)
{
    (void)state;
    uint8_t nonce[32] = {0};
    struct gpu_evidence g[2];
    size_t num = 99;
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_NVML,
                                    .nvml_library = "/nonexistent/libnvidia-ml.so.1"};
    expect_err(provider_nvml_gpus(&opts, nonce, g, 2, &num), WARD_ERR_NOT_FOUND,
               "NVML not available");
    assert_non_null(strstr(ward_err_detail(), "/nonexistent/libnvidia-ml.so.1"));
    assert_int_equal(num, 99);
    /* A library that loads but is not NVML. */
    opts.nvml_library = "libc.so.6";
    expect_err(provider_nvml_gpus(&opts, nonce, g, 2, &num), WARD_ERR_NOT_FOUND,
               "NVML not available: libc.so.6 has no nvmlInit_v2");
}

static void nvml_fake_h100(void **state)
{
    (void)state;
    struct nv_sample s;
    struct gpu_evidence g[4];
    size_t num = 0;
    nv_load(&s);
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_NVML, .nvml_library = fake_nvml};
    if (provider_nvml_gpus(&opts, s.nonce, g, 4, &num) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    assert_int_equal(num, 1);
    assert_int_equal(g[0].report.len, s.report.len);
    assert_memory_equal(g[0].report.data, s.report.data, s.report.len);
    assert_memory_equal(g[0].nonce, s.nonce, 32);
    struct ward_nvgpu_report *r = malloc(sizeof(*r));
    assert_non_null(r);
    assert_int_equal(ward_nvgpu_report_parse(g[0].report.data, g[0].report.len, r), WARD_OK);
    assert_memory_equal(r->request_nonce, s.nonce, 32);
    free(r);
    assert_same_chain(&g[0].chain_pem, &s.chain);
    gpus_free(g, num);

    /* Two GPUs (the fake answers the same for both). */
    setenv("WARD_FAKE_NVML_COUNT", "2", 1);
    assert_int_equal(provider_nvml_gpus(&opts, s.nonce, g, 4, &num), WARD_OK);
    assert_int_equal(num, 2);
    assert_memory_equal(g[1].report.data, s.report.data, s.report.len);
    gpus_free(g, num);
    nv_free(&s);
}

static void nvml_fake_der_chain(void **state)
{
    (void)state;
    struct nv_sample s;
    struct gpu_evidence g[1];
    size_t num = 0;
    char path[300];
    nv_load(&s);
    /* The same chain as concatenated DER. */
    STACK_OF(X509) *st = chain_certs(&s.chain);
    struct ward_wr w;
    ward_wr_init(&w, 1 << 16);
    for (int i = 0; i < sk_X509_num(st); i++) {
        unsigned char *der = NULL;
        int len = i2d_X509(sk_X509_value(st, i), &der);
        assert_true(len > 0);
        assert_int_equal(ward_wr_bytes(&w, der, (size_t)len), WARD_OK);
        OPENSSL_free(der);
    }
    sk_X509_pop_free(st, X509_free);
    struct ward_buf der = {0};
    ward_wr_finish(&w, &der);
    tmp_path("chain.der", path, sizeof(path));
    write_file(path, der.data, der.len, 0600);
    setenv("WARD_FAKE_NVML_CHAIN", path, 1);

    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_NVML, .nvml_library = fake_nvml};
    if (provider_nvml_gpus(&opts, s.nonce, g, 1, &num) != WARD_OK) {
        fail_msg("%s", ward_err_detail());
    }
    assert_int_equal(num, 1);
    assert_non_null(strstr((const char *)g[0].chain_pem.data, "-----BEGIN CERTIFICATE-----"));
    assert_same_chain(&g[0].chain_pem, &s.chain);
    gpus_free(g, num);

    /* A DER chain cut short. */
    write_file(path, der.data, der.len - 10, 0600);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 1, &num), WARD_ERR_FORMAT,
               "NVML: GPU 0: attestation certificate chain");
    /* Not a certificate at all. */
    write_file(path, (const uint8_t *)"garbage", 7, 0600);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 1, &num), WARD_ERR_FORMAT,
               "attestation certificate chain");
    ward_buf_cleanup(&der);
    nv_free(&s);
}

static void nvml_fake_errors(void **state)
{
    (void)state;
    struct nv_sample s;
    struct gpu_evidence g[2];
    size_t num = 99;
    nv_load(&s);
    struct ward_attest_opts opts = {.provider = WARD_PROVIDER_NVML, .nvml_library = fake_nvml};

    setenv("WARD_FAKE_NVML_FAIL", "report", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_IO,
               "NVML: GPU 0: nvmlDeviceGetConfComputeGpuAttestationReport failed: \"Not "
               "Supported\" (NVML error 3)");
    setenv("WARD_FAKE_NVML_FAIL", "cert", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_IO,
               "nvmlDeviceGetConfComputeGpuCertificate failed: \"Not Supported\"");
    setenv("WARD_FAKE_NVML_FAIL", "init", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_IO,
               "nvmlInit_v2 failed: \"Driver Not Loaded\" (NVML error 9)");
    unsetenv("WARD_FAKE_NVML_FAIL");

    /* The GPU answered another nonce. */
    uint8_t other[32];
    memcpy(other, s.nonce, 32);
    other[0] ^= 1;
    expect_err(provider_nvml_gpus(&opts, other, g, 2, &num), WARD_ERR_MISMATCH,
               "answers a different nonce");

    /* Sizes out of bounds, and a report one byte short (no longer parses). */
    setenv("WARD_FAKE_NVML_REPORT_SIZE", "9000", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_FORMAT,
               "attestation report size 9000 is outside 38..8192");
    setenv("WARD_FAKE_NVML_REPORT_SIZE", "37", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_FORMAT, "outside");
    char n[32];
    snprintf(n, sizeof(n), "%zu", s.report.len - 1);
    setenv("WARD_FAKE_NVML_REPORT_SIZE", n, 1);
    int rc = provider_nvml_gpus(&opts, s.nonce, g, 2, &num);
    assert_int_not_equal(rc, WARD_OK);
    assert_non_null(strstr(ward_err_detail(), "NVML: GPU 0: attestation report"));
    unsetenv("WARD_FAKE_NVML_REPORT_SIZE");

    /* No GPU, and more GPUs than room. */
    setenv("WARD_FAKE_NVML_COUNT", "0", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_NOT_FOUND, "no NVIDIA GPU");
    setenv("WARD_FAKE_NVML_COUNT", "3", 1);
    expect_err(provider_nvml_gpus(&opts, s.nonce, g, 2, &num), WARD_ERR_NOMEM,
               "3 GPUs are attached, room for 2");
    unsetenv("WARD_FAKE_NVML_COUNT");
    assert_int_equal(num, 99); /* untouched on every failure */
    nv_free(&s);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATH-TO-FAKE-LIBNVIDIA-ML\n", argv[0]);
        return 2;
    }
    fake_nvml = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sev_missing_device),
        cmocka_unit_test(sev_regular_file),
        cmocka_unit_test(sev_directory),
        cmocka_unit_test(sev_bad_vmpl),
        cmocka_unit_test(sev_permission_denied),
        cmocka_unit_test(sev_parse_good),
        cmocka_unit_test(sev_parse_firmware_error),
        cmocka_unit_test(sev_parse_bad_sizes),
        cmocka_unit_test(sev_parse_trailing_and_reserved),
        cmocka_unit_test(sev_parse_bad_cert_table),
        cmocka_unit_test(sev_ioctl_sequence),
        cmocka_unit_test(tdx_missing_device),
        cmocka_unit_test(tdx_regular_file),
        cmocka_unit_test(nvml_missing_library),
        cmocka_unit_test(nvml_fake_h100),
        cmocka_unit_test(nvml_fake_der_chain),
        cmocka_unit_test(nvml_fake_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
