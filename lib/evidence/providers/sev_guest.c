/*
 * lib/evidence/providers/sev_guest.c: SEV-SNP reports from the Linux sev-guest
 * driver (/dev/sev-guest), written against the kernel UAPI <linux/sev-guest.h> and
 * the driver's behaviour (drivers/virt/coco/sev-guest/sev-guest.c):
 *
 *  - SNP_GET_EXT_REPORT takes a certificate buffer whose length is a multiple of the
 *    page size and at most SEV_FW_BLOB_MAX_SIZE (16 KiB; more is EINVAL). When the
 *    host needs more, the ioctl fails with EIO, vmm_error SNP_GUEST_VMM_ERR_INVALID_LEN,
 *    and certs_len rewritten to the size it needs. We start with 8 KiB (VCEK, ASK and
 *    ARK take about 5) and retry once with the size asked for, up to a named maximum.
 *  - A kernel without SNP_GET_EXT_REPORT answers ENOTTY: we fall back to
 *    SNP_GET_REPORT (a report without certificates).
 *  - Any other failed firmware request makes the driver wipe its VMPCK (to avoid
 *    AES-GCM IV reuse), so nothing here retries blindly.
 *  - The response is the firmware's MSG_REPORT_RSP (SEV-SNP firmware ABI
 *    specification, "MSG_REPORT_RSP"):
 *        STATUS u32le | REPORT_SIZE u32le | reserved[24] | REPORT[REPORT_SIZE]
 *    in the driver's zero-filled 4000-byte buffer.
 *
 * The request and response buffers are wiped after use: they hold the caller's
 * report_data and the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sev-guest.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/crypto.h"
#include "ward/snp.h"

#define SEV_DEFAULT_DEV "/dev/sev-guest"
#define SEV_MSG_VERSION 1u             /* the only MSG_REPORT_REQ version */
#define SEV_MAX_VMPL 3u                /* VMPL 0..3 */
#define SEV_PAGE_LEN 4096u             /* certs_len must be a multiple of the page size */
#define SEV_CERTS_FIRST_LEN (8u << 10) /* VCEK, ASK and ARK need about 5 KiB */
#define SEV_CERTS_MAX_LEN (64u << 10)  /* named maximum we grow to (the driver: 16 KiB) */
#define SEV_RESP_HEADER_LEN 32u        /* STATUS, REPORT_SIZE, reserved[24] */
#define SEV_RESP_RESERVED_LEN 24u
#define SEV_FW_NO_CALL 0xffu /* exitinfo2 the driver preloads: no firmware call was made */

_Static_assert(sizeof(struct snp_report_req) == 96, "snp_report_req is 96 bytes in the UAPI");
_Static_assert(sizeof(((struct snp_report_resp *)0)->data) == 4000,
               "snp_report_resp is 4000 bytes in the UAPI");

/* Firmware status codes (SEV-SNP firmware ABI, "Status Codes"; <linux/psp-sev.h>
 * with the explicit values of the 2025 uAPI fix). */
static const struct {
    uint32_t code;
    const char *name;
} fw_names[] = {
    {0x00, "SUCCESS"},
    {0x01, "INVALID_PLATFORM_STATE"},
    {0x02, "INVALID_GUEST_STATE"},
    {0x03, "INVALID_CONFIG"},
    {0x04, "INVALID_LENGTH"},
    {0x05, "ALREADY_OWNED"},
    {0x06, "INVALID_CERTIFICATE"},
    {0x07, "POLICY_FAILURE"},
    {0x08, "INACTIVE"},
    {0x09, "INVALID_ADDRESS"},
    {0x0A, "BAD_SIGNATURE"},
    {0x0B, "BAD_MEASUREMENT"},
    {0x0C, "ASID_OWNED"},
    {0x0D, "INVALID_ASID"},
    {0x0E, "WBINVD_REQUIRED"},
    {0x0F, "DF_FLUSH_REQUIRED"},
    {0x10, "INVALID_GUEST"},
    {0x11, "INVALID_COMMAND"},
    {0x12, "ACTIVE"},
    {0x13, "HWERROR_PLATFORM"},
    {0x14, "HWERROR_UNSAFE"},
    {0x15, "UNSUPPORTED"},
    {0x16, "INVALID_PARAM"},
    {0x17, "RESOURCE_LIMIT"},
    {0x18, "SECURE_DATA_INVALID"},
    {0x19, "INVALID_PAGE_SIZE"},
    {0x1A, "INVALID_PAGE_STATE"},
    {0x1B, "INVALID_MDATA_ENTRY"},
    {0x1C, "INVALID_PAGE_OWNER"},
    {0x1D, "AEAD_OFLOW"},
    {0x1F, "RB_MODE_EXITED"},
    {0x20, "RMP_INIT_REQUIRED"},
    {0x21, "BAD_SVN"},
    {0x22, "BAD_VERSION"},
    {0x23, "SHUTDOWN_REQUIRED"},
    {0x24, "UPDATE_FAILED"},
    {0x25, "RESTORE_REQUIRED"},
    {0x26, "RMP_INITIALIZATION_FAILED"},
    {0x27, "INVALID_KEY"},
    {SEV_FW_NO_CALL, "no firmware call made"},
};

static const char *fw_name(uint32_t code)
{
    for (size_t i = 0; i < WARD_ARRAY_LEN(fw_names); i++) {
        if (fw_names[i].code == code) {
            return fw_names[i].name;
        }
    }
    return "unknown";
}

/* The host's (VMM's) error codes in the upper half of exitinfo2. */
static const char *vmm_name(uint32_t code)
{
    switch (code) {
    case 0:
        return "none";
    case SNP_GUEST_VMM_ERR_INVALID_LEN:
        return "INVALID_LEN";
    case SNP_GUEST_VMM_ERR_BUSY:
        return "BUSY";
    default:
        return "unknown";
    }
}

static const char *dev_path(const struct ward_attest_opts *opts)
{
    return opts->sev_guest_dev != NULL ? opts->sev_guest_dev : SEV_DEFAULT_DEV;
}

/* sev_open opens |dev| read-write, naming the usual failures. */
static WARD_MUST_CHECK int sev_open(const char *dev, int *out_fd)
{
    char buf[128];
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        *out_fd = fd;
        return WARD_OK;
    }
    int e = errno;
    switch (e) {
    case ENOENT:
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "sev-guest: no %s: not an SEV-SNP guest (or the sev-guest driver "
                            "is not loaded)",
                            dev);
    case ENXIO:
    case ENODEV:
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "sev-guest: %s has no driver behind it: not an SEV-SNP guest", dev);
    case EACCES:
    case EPERM:
        return ward_err_set(WARD_ERR_IO,
                            "sev-guest: permission denied opening %s (run as root or grant "
                            "access)",
                            dev);
    default:
        return ward_err_set(WARD_ERR_IO, "sev-guest: cannot open %s: %s", dev,
                            strerror_r(e, buf, sizeof(buf)));
    }
}

/* sev_ioctl issues |cmd| with |req| and |resp| through |transport|, filling |io|.
 * Returns 0 or the errno. */
static int sev_ioctl(sev_guest_ioctl_fn transport, int fd, unsigned long cmd, void *req,
                     struct snp_report_resp *resp, struct snp_guest_request_ioctl *io)
{
    memset(io, 0, sizeof(*io));
    io->msg_version = SEV_MSG_VERSION;
    io->req_data = (uint64_t)(uintptr_t)req;
    io->resp_data = (uint64_t)(uintptr_t)resp;
    return transport(fd, cmd, io) == 0 ? 0 : errno;
}

/* ioctl_fail turns a failed |what| ioctl on |dev| into a clear error. */
static int ioctl_fail(const char *dev, const char *what, int e,
                      const struct snp_guest_request_ioctl *io)
{
    char buf[128];
    switch (e) {
    case ENOTTY:
        return ward_err_set(WARD_ERR_IO,
                            "sev-guest: %s does not answer %s (ENOTTY): not the sev-guest "
                            "driver, or the driver disabled its VMPCK after an earlier failure",
                            dev, what);
    case EINVAL:
        return ward_err_set(WARD_ERR_USAGE,
                            "sev-guest: %s rejected %s (EINVAL): bad message version, VMPL or "
                            "certificate buffer length",
                            dev, what);
    case EIO:
        return ward_err_set(
            WARD_ERR_IO, "sev-guest: %s failed: firmware error 0x%x (%s), vmm error 0x%x (%s)",
            what, io->fw_error, fw_name(io->fw_error), io->vmm_error, vmm_name(io->vmm_error));
    default:
        return ward_err_set(WARD_ERR_IO, "sev-guest: %s on %s failed: %s", what, dev,
                            strerror_r(e, buf, sizeof(buf)));
    }
}

int sev_guest_parse_response(const uint8_t *resp, size_t len, uint64_t exitinfo2,
                             const uint8_t *certs, size_t certs_len, struct provider_evidence *out)
{
    struct ward_rd rd, report;
    struct ward_snp_cert_table table;
    uint32_t status, report_size;
    const uint8_t *pad;
    size_t pad_len;
    int rc;

    WARD_ASSERT(resp != NULL || len == 0);
    WARD_ASSERT(certs != NULL || certs_len == 0);
    WARD_ASSERT(out != NULL);

    ward_rd_init(&rd, resp, len);
    if ((rc = ward_rd_u32le(&rd, &status)) != WARD_OK ||
        (rc = ward_rd_u32le(&rd, &report_size)) != WARD_OK) {
        return ward_err_set(rc, "sev-guest: the %zu-byte report response has no header", len);
    }
    ENSURE_MSG(status == 0, WARD_ERR_IO,
               "sev-guest: firmware error 0x%x (%s) in the report response (fw_error 0x%x, "
               "vmm_error 0x%x)",
               status, fw_name(status), (uint32_t)exitinfo2, (uint32_t)(exitinfo2 >> 32));
    rc = ward_rd_zeros(&rd, SEV_RESP_RESERVED_LEN, "MSG_REPORT_RSP 08h-1Fh");
    if (rc != WARD_OK) {
        return ward_err_prefix("sev-guest: report response");
    }
    ENSURE_MSG(report_size == WARD_SNP_REPORT_LEN, WARD_ERR_FORMAT,
               "sev-guest: the firmware returned a %u-byte report; an SNP report is %u bytes",
               report_size, WARD_SNP_REPORT_LEN);
    ENSURE_MSG(ward_rd_child(&rd, &report, report_size) == WARD_OK, WARD_ERR_TRUNCATED,
               "sev-guest: the %zu-byte response ends inside its %u-byte report", len, report_size);
    /* The driver zero-fills the rest of its buffer: anything else is not a report. */
    pad_len = ward_rd_left(&rd);
    GUARD(ward_rd_ptr(&rd, &pad, pad_len));
    ENSURE_MSG(ward_is_zero(pad, pad_len), WARD_ERR_TRAILING,
               "sev-guest: %zu bytes after the report are not zero padding", pad_len);

    memset(&table, 0, sizeof(table));
    if (certs_len > 0) {
        if (ward_snp_cert_table_parse(certs, certs_len, &table) != WARD_OK) {
            return ward_err_prefix("sev-guest: certificate table");
        }
    }
    ENSURE_MSG(table.num_entries <= WARD_ARRAY_LEN(out->certs), WARD_ERR_NOMEM,
               "sev-guest: %zu certificates in the table, at most %zu kept", table.num_entries,
               WARD_ARRAY_LEN(out->certs));

    struct provider_evidence ev;
    memset(&ev, 0, sizeof(ev));
    memcpy(ev.tee, "snp", 4);
    rc = ward_buf_set(&ev.evidence, report.p, report.len);
    for (size_t i = 0; i < table.num_entries && rc == WARD_OK; i++) {
        rc = ward_buf_set(&ev.certs[i], table.entries[i].der, table.entries[i].der_len);
        ev.num_certs = i + 1;
    }
    if (rc != WARD_OK) {
        provider_evidence_cleanup(&ev);
        return rc;
    }
    *out = ev;
    return WARD_OK;
}

/* The request, response and ioctl argument of one call, on the heap and wiped. */
struct sev_call {
    struct snp_ext_report_req req; /* req.data is the SNP_GET_REPORT request */
    struct snp_report_resp resp;
    struct snp_guest_request_ioctl io;
};

/* sev_request runs SNP_GET_EXT_REPORT (or SNP_GET_REPORT without it) on |fd|. On
 * success *out_certs (NULL when there are none) holds *out_certs_len bytes of
 * certificate table the caller frees. */
static WARD_MUST_CHECK int sev_request(sev_guest_ioctl_fn transport, int fd, const char *dev,
                                       struct sev_call *c, uint8_t **out_certs,
                                       size_t *out_certs_len)
{
    size_t cap = SEV_CERTS_FIRST_LEN;
    uint8_t *certs = NULL;
    int e;

    for (int attempt = 0;; attempt++) {
        certs = calloc(1, cap);
        GUARD_PTR(certs);
        c->req.certs_address = (uint64_t)(uintptr_t)certs;
        c->req.certs_len = (uint32_t)cap;
        e = sev_ioctl(transport, fd, SNP_GET_EXT_REPORT, &c->req, &c->resp, &c->io);
        if (e == 0) {
            *out_certs = certs;
            *out_certs_len = cap;
            return WARD_OK;
        }
        ward_wipe(certs, cap);
        free(certs);
        certs = NULL;
        if (e == EIO && c->io.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN && attempt == 0) {
            size_t want = c->req.certs_len;
            ENSURE_MSG(want > cap && want <= SEV_CERTS_MAX_LEN && want % SEV_PAGE_LEN == 0,
                       WARD_ERR_NOMEM,
                       "sev-guest: the host asks for a %zu-byte certificate buffer (had %zu, "
                       "at most %u)",
                       want, cap, SEV_CERTS_MAX_LEN);
            ward_log(WARD_LOG_DEBUG, "sev-guest: retrying with a %zu-byte certificate buffer",
                     want);
            cap = want;
            continue;
        }
        break;
    }
    if (e == EIO && c->io.vmm_error == SNP_GUEST_VMM_ERR_INVALID_LEN) {
        return ward_err_set(WARD_ERR_NOMEM,
                            "sev-guest: the host still asks for a larger certificate buffer "
                            "(%u bytes) after one retry",
                            c->req.certs_len);
    }
    if (e != ENOTTY && e != EOPNOTSUPP) {
        return ioctl_fail(dev, "SNP_GET_EXT_REPORT", e, &c->io);
    }
    /* A kernel without SNP_GET_EXT_REPORT: a report without certificates. */
    ward_log(WARD_LOG_DEBUG, "sev-guest: SNP_GET_EXT_REPORT unsupported, using SNP_GET_REPORT");
    memset(&c->resp, 0, sizeof(c->resp));
    e = sev_ioctl(transport, fd, SNP_GET_REPORT, &c->req.data, &c->resp, &c->io);
    if (e != 0) {
        return ioctl_fail(dev, "SNP_GET_REPORT", e, &c->io);
    }
    *out_certs = NULL;
    *out_certs_len = 0;
    return WARD_OK;
}

/* check_report_data confirms the report carries |report_data|: a driver or host
 * that answered another request must not go unnoticed. */
static WARD_MUST_CHECK int check_report_data(const struct ward_buf *report,
                                             const uint8_t report_data[64])
{
    struct ward_snp_report *r = malloc(sizeof(*r));
    GUARD_PTR(r);
    int rc = ward_snp_report_parse(report->data, report->len, r);
    if (rc != WARD_OK) {
        free(r);
        return ward_err_prefix("sev-guest: the firmware's report");
    }
    bool same = ward_ct_equal(r->report_data, report_data, 64);
    free(r);
    ENSURE_MSG(same, WARD_ERR_MISMATCH,
               "sev-guest: the report's REPORT_DATA is not the one requested");
    return WARD_OK;
}

static int sev_probe(const struct ward_attest_opts *opts)
{
    int fd = -1;
    WARD_ASSERT(opts != NULL);
    GUARD(sev_open(dev_path(opts), &fd));
    close(fd);
    return WARD_OK;
}

static int sys_ioctl(int fd, unsigned long cmd, void *arg)
{
    return ioctl(fd, cmd, arg);
}

int sev_guest_get_via(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                      sev_guest_ioctl_fn transport, struct provider_evidence *out)
{
    const char *dev;
    struct sev_call *c = NULL;
    uint8_t *certs = NULL;
    size_t certs_len = 0;
    struct provider_evidence ev;
    int fd = -1, rc;

    WARD_ASSERT(opts != NULL && report_data != NULL && transport != NULL && out != NULL);
    dev = dev_path(opts);
    ENSURE_MSG(opts->privlevel <= SEV_MAX_VMPL, WARD_ERR_USAGE,
               "sev-guest: VMPL %u is out of range (0..%u)", opts->privlevel, SEV_MAX_VMPL);
    GUARD(sev_open(dev, &fd));
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        rc = ward_err_set(WARD_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(c->req.data.user_data, report_data, sizeof(c->req.data.user_data));
    c->req.data.vmpl = opts->privlevel;
    GOTO_GUARD(rc, sev_request(transport, fd, dev, c, &certs, &certs_len), out);
    GOTO_GUARD(rc,
               sev_guest_parse_response(c->resp.data, sizeof(c->resp.data), c->io.exitinfo2, certs,
                                        certs_len, &ev),
               out);
    rc = check_report_data(&ev.evidence, report_data);
    if (rc != WARD_OK) {
        provider_evidence_cleanup(&ev);
        goto out;
    }
    *out = ev;
out:
    if (c != NULL) {
        ward_wipe(c, sizeof(*c));
        free(c);
    }
    if (certs != NULL) {
        ward_wipe(certs, certs_len);
        free(certs);
    }
    close(fd);
    return rc;
}

static int sev_get(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                   struct provider_evidence *out)
{
    return sev_guest_get_via(opts, report_data, sys_ioctl, out);
}

const struct provider_ops provider_sev_guest = {
    .kind = WARD_PROVIDER_SEV_GUEST,
    .probe = sev_probe,
    .get = sev_get,
};
