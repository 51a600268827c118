/*
 * lib/evidence/providers/tdx_guest.c: the Linux tdx_guest driver (/dev/tdx_guest).
 *
 * The driver's one ioctl, TDX_CMD_GET_REPORT0, returns a TDREPORT: a 1024-byte
 * structure MACed with a key only this CPU's TDX module and Quoting Enclave know.
 * It is not a quote, and a remote verifier cannot check it; the quote comes from
 * the Quoting Enclave through configfs-tsm (provider_configfs). So this provider's
 * probe says whether the device is there, and its get fails with a clear message
 * pointing at configfs-tsm. tdx_guest_report0 gives a TDREPORT to callers that want
 * one for local use.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ioctl.h>
#include <linux/types.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/crypto.h"

/*
 * The UAPI of include/uapi/linux/tdx-guest.h (Linux 6.2+), which Debian 12's
 * linux-libc-dev does not ship. Copied field for field; the asserts pin the ABI.
 */
#define TDX_REPORTDATA_LEN 64
#define TDX_REPORT_LEN 1024

struct tdx_report_req {
    __u8 reportdata[TDX_REPORTDATA_LEN];
    __u8 tdreport[TDX_REPORT_LEN];
};

#define TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct tdx_report_req)

_Static_assert(sizeof(struct tdx_report_req) == 1088, "tdx_report_req is 1088 bytes");
_Static_assert(TDX_CMD_GET_REPORT0 == 0xc4405401u, "TDX_CMD_GET_REPORT0 is 0xc4405401");

#define TDX_DEFAULT_DEV "/dev/tdx_guest"
#define TDX_DEFAULT_CONFIGFS "/sys/kernel/config/tsm/report"

static const char *dev_or_default(const char *dev)
{
    return dev != NULL ? dev : TDX_DEFAULT_DEV;
}

/* tdx_open opens |dev| read-write, naming the usual failures. */
static WARD_MUST_CHECK int tdx_open(const char *dev, int *out_fd)
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
                            "tdx-guest: no %s: not a TDX guest (or the tdx_guest driver is not "
                            "loaded)",
                            dev);
    case ENXIO:
    case ENODEV:
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "tdx-guest: %s has no driver behind it: not a TDX guest", dev);
    case EACCES:
    case EPERM:
        return ward_err_set(WARD_ERR_IO,
                            "tdx-guest: permission denied opening %s (run as root or grant "
                            "access)",
                            dev);
    default:
        return ward_err_set(WARD_ERR_IO, "tdx-guest: cannot open %s: %s", dev,
                            strerror_r(e, buf, sizeof(buf)));
    }
}

int tdx_guest_report0(const char *dev, const uint8_t report_data[64], uint8_t out[1024])
{
    struct tdx_report_req *req;
    char buf[128];
    int fd = -1, e = 0, rc = WARD_OK;

    WARD_ASSERT(report_data != NULL && out != NULL);
    dev = dev_or_default(dev);
    GUARD(tdx_open(dev, &fd));
    req = calloc(1, sizeof(*req));
    if (req == NULL) {
        close(fd);
        return ward_err_set(WARD_ERR_NOMEM, "out of memory");
    }
    memcpy(req->reportdata, report_data, TDX_REPORTDATA_LEN);
    if (ioctl(fd, TDX_CMD_GET_REPORT0, req) != 0) {
        e = errno;
    }
    close(fd);
    switch (e) {
    case 0:
        memcpy(out, req->tdreport, TDX_REPORT_LEN);
        break;
    case ENOTTY:
        rc = ward_err_set(WARD_ERR_IO,
                          "tdx-guest: %s does not answer TDX_CMD_GET_REPORT0 (ENOTTY): not the "
                          "tdx_guest driver",
                          dev);
        break;
    case EINVAL:
        rc = ward_err_set(WARD_ERR_USAGE,
                          "tdx-guest: %s rejected TDX_CMD_GET_REPORT0 (EINVAL): invalid operands",
                          dev);
        break;
    case EIO:
        rc = ward_err_set(WARD_ERR_IO,
                          "tdx-guest: TDCALL[TDG.MR.REPORT] failed on %s (EIO): the TDX module "
                          "refused the report",
                          dev);
        break;
    default:
        rc = ward_err_set(WARD_ERR_IO, "tdx-guest: TDX_CMD_GET_REPORT0 on %s failed: %s", dev,
                          strerror_r(e, buf, sizeof(buf)));
        break;
    }
    ward_wipe(req, sizeof(*req));
    free(req);
    return rc;
}

static int tdx_probe(const struct ward_attest_opts *opts)
{
    int fd = -1;
    WARD_ASSERT(opts != NULL);
    GUARD(tdx_open(dev_or_default(opts->tdx_guest_dev), &fd));
    close(fd);
    return WARD_OK;
}

/* tdx_get: the device is there (or its error says why not), but a TDREPORT is not
 * evidence a remote verifier can check, so the answer is where quotes come from. */
static int tdx_get(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                   struct provider_evidence *out)
{
    WARD_ASSERT(opts != NULL && report_data != NULL && out != NULL);
    GUARD(tdx_probe(opts));
    return ward_err_set(WARD_ERR_NOT_FOUND,
                        "tdx-guest: TDX quotes need configfs-tsm (%s); %s only gives a TDREPORT",
                        opts->configfs_dir != NULL ? opts->configfs_dir : TDX_DEFAULT_CONFIGFS,
                        dev_or_default(opts->tdx_guest_dev));
}

const struct provider_ops provider_tdx_guest = {
    .kind = WARD_PROVIDER_TDX_GUEST,
    .probe = tdx_probe,
    .get = tdx_get,
};
