/*
 * lib/evidence/providers/configfs.c: evidence through Linux configfs-tsm, written
 * against the kernel's documented ABI (Documentation/ABI/testing/configfs-tsm):
 *
 *   /sys/kernel/config/tsm/report/$name/   one report request per directory (mkdir)
 *     inblob      (WO) up to 64 bytes of REPORT_DATA
 *     outblob     (RO) the report made from inblob: an SEV-SNP ATTESTATION_REPORT
 *                 ("sev_guest") or a TDX quote ("tdx_guest")
 *     auxblob     (RO, optional) for "sev_guest" the certificate table of
 *                 SNP_GET_EXT_REPORT (GUID, offset, length entries)
 *     provider    (RO) the format of outblob: "sev_guest", "tdx_guest"
 *     generation  (RO) incremented on every write of inblob or an option; a
 *                 writer checks that it moved by exactly its own writes
 *     privlevel   (WO, SNP) the VMPL the report is requested for
 *
 * Each request gets its own uniquely named entry, removed again on every path.
 * The outblob is bounded by CONFIGFS_BLOB_MAX and must be exactly one report or
 * one quote (trailing zero padding allowed for quotes) carrying the REPORT_DATA
 * that was written: anything else is an error naming what was wrong.
 *
 * Test support (ward_attest_opts.configfs_wait_ms, 0 for the kernel): a stand-in
 * directory (tests/integration/fake_configfs.py) fills in its attributes a little
 * after mkdir and inblob, so reads of missing or empty attributes are retried
 * until the deadline; its attributes are real files, which rmdir refuses to
 * remove, so they are unlinked first.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "base/internal.h"
#include "evidence/providers/internal.h"
#include "ward/snp.h"
#include "ward/tdx.h"

#define CONFIGFS_DEFAULT_DIR "/sys/kernel/config/tsm/report"
#define CONFIGFS_BLOB_MAX (128u << 10) /* named maximum of outblob and auxblob */
#define CONFIGFS_ATTR_MAX 64u          /* named maximum of generation and provider */
#define CONFIGFS_PATH_MAX 4096u
#define CONFIGFS_INBLOB_LEN 64u
#define CONFIGFS_POLL_NS (5 * 1000 * 1000) /* stand-in polling interval: 5 ms */
#define CONFIGFS_MAX_PRIVLEVEL 3u          /* TSM_PRIVLEVEL_MAX */

/* Every attribute an entry may have (the kernel's, and what a stand-in fills in). */
static const char *const configfs_attrs[] = {
    "inblob",          "outblob",
    "auxblob",         "provider",
    "generation",      "privlevel",
    "privlevel_floor", "service_provider",
    "service_guid",    "service_manifest_version",
    "manifestblob",
};

static const char *cf_dir(const struct ward_attest_opts *opts)
{
    return opts->configfs_dir != NULL ? opts->configfs_dir : CONFIGFS_DEFAULT_DIR;
}

static int64_t cf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void cf_nap(void)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = CONFIGFS_POLL_NS};
    nanosleep(&ts, NULL);
}

static inline void cf_closep(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
    }
}

/* One request: the entry and the stand-in deadline. */
struct cf_req {
    char entry[CONFIGFS_PATH_MAX];
    int64_t deadline_ms; /* 0: the kernel, no waiting */
};

static bool cf_waiting(const struct cf_req *q)
{
    return q->deadline_ms != 0 && cf_now_ms() < q->deadline_ms;
}

static WARD_MUST_CHECK int cf_attr_path(const struct cf_req *q, const char *attr,
                                        char out[CONFIGFS_PATH_MAX])
{
    int n = snprintf(out, CONFIGFS_PATH_MAX, "%s/%s", q->entry, attr);
    ENSURE_MSG(n > 0 && (size_t)n < CONFIGFS_PATH_MAX, WARD_ERR_USAGE,
               "configfs: path too long: %s/%s", q->entry, attr);
    return WARD_OK;
}

/* cf_read_once reads the whole of |path| (at most |max| bytes). */
static WARD_MUST_CHECK int cf_read_once(const char *path, size_t max, struct ward_buf *out)
{
    DEFER(cf_closep) int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        ENSURE_MSG(e != ENOENT, WARD_ERR_NOT_FOUND, "configfs: %s does not exist", path);
        return ward_err_set(WARD_ERR_IO, "configfs: cannot open %s: %s", path, strerror(e));
    }
    DEFER(ward_wr_cleanupp) struct ward_wr w;
    ward_wr_init(&w, max);
    uint8_t chunk[4096];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* The kernel makes the report when outblob is read: a refusal by the TEE
         * (firmware or quoting service) shows up here. */
        ENSURE_MSG(n >= 0, WARD_ERR_IO,
                   "configfs: cannot read %s: %s (the TEE refused the request; the kernel log "
                   "has the firmware's reason)",
                   path, strerror(errno));
        if (n == 0) {
            break;
        }
        ENSURE_MSG(w.len + (size_t)n <= max, WARD_ERR_NOMEM,
                   "configfs: %s is larger than %zu bytes", path, max);
        GUARD(ward_wr_bytes(&w, chunk, (size_t)n));
    }
    ward_buf_cleanup(out);
    ward_wr_finish(&w, out);
    return WARD_OK;
}

/* cf_read reads attribute |attr|. A stand-in gets until the deadline to create it
 * and give it content. |optional|: a missing attribute reads as empty. */
static WARD_MUST_CHECK int cf_read(const struct cf_req *q, const char *attr, size_t max,
                                   bool optional, struct ward_buf *out)
{
    char path[CONFIGFS_PATH_MAX];
    GUARD(cf_attr_path(q, attr, path));
    for (;;) {
        int rc = cf_read_once(path, max, out);
        if (rc == WARD_ERR_NOT_FOUND && optional) {
            ward_err_clear();
            ward_buf_cleanup(out);
            return WARD_OK;
        }
        bool empty = rc == WARD_OK && out->len == 0;
        if ((rc == WARD_ERR_NOT_FOUND || (empty && !optional)) && cf_waiting(q)) {
            cf_nap();
            continue;
        }
        GUARD(rc);
        ENSURE_MSG(out->len > 0 || optional, WARD_ERR_TRUNCATED, "configfs: %s is empty", path);
        return WARD_OK;
    }
}

/* cf_write writes |len| bytes to attribute |attr| in one write. configfs binary
 * attributes (inblob) take the data when the file is closed, so close is checked. */
static WARD_MUST_CHECK int cf_write(const struct cf_req *q, const char *attr, const uint8_t *p,
                                    size_t len)
{
    char path[CONFIGFS_PATH_MAX];
    GUARD(cf_attr_path(q, attr, path));
    int fd;
    for (;;) {
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && cf_waiting(q)) {
            cf_nap();
            continue;
        }
        break;
    }
    ENSURE_MSG(fd >= 0, errno == ENOENT ? WARD_ERR_NOT_FOUND : WARD_ERR_IO,
               "configfs: cannot open %s: %s", path, strerror(errno));
    ssize_t n;
    do {
        n = write(fd, p, len);
    } while (n < 0 && errno == EINTR);
    int write_errno = errno;
    int closed = close(fd);
    int close_errno = errno;
    ENSURE_MSG(n >= 0, WARD_ERR_IO, "configfs: cannot write %s: %s", path, strerror(write_errno));
    ENSURE_MSG((size_t)n == len, WARD_ERR_IO, "configfs: short write to %s: %zd of %zu bytes", path,
               n, len);
    ENSURE_MSG(closed == 0, WARD_ERR_IO, "configfs: writing %s failed: %s", path,
               strerror(close_errno));
    return WARD_OK;
}

static bool cf_exists(const struct cf_req *q, const char *attr)
{
    char path[CONFIGFS_PATH_MAX];
    struct stat st;
    return cf_attr_path(q, attr, path) == WARD_OK && stat(path, &st) == 0;
}

/* cf_generation reads the decimal `generation` attribute (a newline may follow). */
static WARD_MUST_CHECK int cf_generation(const struct cf_req *q, uint64_t *out)
{
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(cf_read(q, "generation", CONFIGFS_ATTR_MAX, false, &b));
    uint64_t v = 0;
    size_t i = 0;
    for (; i < b.len && b.data[i] >= '0' && b.data[i] <= '9'; i++) {
        ENSURE_MSG(v <= (UINT64_MAX - 9) / 10, WARD_ERR_FORMAT,
                   "configfs: generation is out of range");
        v = v * 10 + (uint64_t)(b.data[i] - '0');
    }
    ENSURE_MSG(i > 0 && (i == b.len || (i + 1 == b.len && b.data[i] == '\n')), WARD_ERR_FORMAT,
               "configfs: generation is not a decimal number");
    *out = v;
    return WARD_OK;
}

/* cf_provider maps the `provider` attribute to the TEE of outblob. */
static WARD_MUST_CHECK int cf_provider(const struct cf_req *q, char tee[8])
{
    DEFER(ward_buf_cleanupp) struct ward_buf b = {0};
    GUARD(cf_read(q, "provider", CONFIGFS_ATTR_MAX, false, &b));
    size_t len = b.len;
    if (len > 0 && b.data[len - 1] == '\n') {
        len--;
    }
    char name[CONFIGFS_ATTR_MAX + 1];
    for (size_t i = 0; i < len; i++) {
        uint8_t c = b.data[i];
        ENSURE_MSG((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-',
                   WARD_ERR_FORMAT, "configfs: provider is not a plain name");
        name[i] = (char)c;
    }
    name[len] = '\0';
    if (strcmp(name, "sev_guest") == 0) {
        strcpy(tee, "snp");
    } else if (strcmp(name, "tdx_guest") == 0) {
        strcpy(tee, "tdx");
    } else {
        return ward_err_set(WARD_ERR_NOT_FOUND,
                            "configfs: provider \"%s\" is not supported (sev_guest, tdx_guest)",
                            name);
    }
    return WARD_OK;
}

/* cf_snp_certs copies the known certificates of an SNP auxblob's table. */
static WARD_MUST_CHECK int cf_snp_certs(const struct ward_buf *aux, struct provider_evidence *e)
{
    struct ward_snp_cert_table t;
    if (ward_snp_cert_table_parse(aux->data, aux->len, &t) != WARD_OK) {
        return ward_err_prefix("configfs: auxblob");
    }
    for (size_t i = 0; i < t.num_entries; i++) {
        const struct ward_snp_cert_entry *c = &t.entries[i];
        if (c->kind == WARD_SNP_CERT_OTHER || c->der_len == 0) {
            continue; /* verifiers ignore certificates they do not know */
        }
        ENSURE_MSG(e->num_certs < WARD_ARRAY_LEN(e->certs), WARD_ERR_NOMEM,
                   "configfs: auxblob has more than %zu certificates", WARD_ARRAY_LEN(e->certs));
        GUARD(ward_buf_set(&e->certs[e->num_certs], c->der, c->der_len));
        e->num_certs++;
    }
    return WARD_OK;
}

/* cf_check_outblob accepts exactly one report or quote whose REPORT_DATA is ours. */
static WARD_MUST_CHECK int cf_check_outblob(const char *tee, const struct ward_buf *blob,
                                            const uint8_t report_data[64])
{
    const uint8_t *got;
    int rc;
    if (strcmp(tee, "snp") == 0) {
        ENSURE_MSG(blob->len >= WARD_SNP_REPORT_LEN, WARD_ERR_TRUNCATED,
                   "configfs: truncated outblob: %zu bytes, an SEV-SNP report is %u", blob->len,
                   WARD_SNP_REPORT_LEN);
        ENSURE_MSG(blob->len == WARD_SNP_REPORT_LEN, WARD_ERR_TRAILING,
                   "configfs: outblob has %zu bytes, more than one SEV-SNP report (%u)", blob->len,
                   WARD_SNP_REPORT_LEN);
        struct ward_snp_report r;
        rc = ward_snp_report_parse(blob->data, blob->len, &r);
        if (rc != WARD_OK) {
            return ward_err_prefix("configfs: outblob is not an SEV-SNP report");
        }
        got = r.report_data;
        ENSURE_MSG(ward_ct_equal(got, report_data, 64), WARD_ERR_MISMATCH,
                   "configfs: outblob's REPORT_DATA is not the inblob written (another writer?)");
        return WARD_OK;
    }
    struct ward_tdx_quote quote;
    rc = ward_tdx_quote_parse(blob->data, blob->len, &quote);
    if (rc == WARD_ERR_TRUNCATED) {
        return ward_err_prefix("configfs: truncated outblob (%zu bytes)", blob->len);
    }
    if (rc != WARD_OK) {
        return ward_err_prefix("configfs: outblob is not a TDX quote");
    }
    ENSURE_MSG(ward_ct_equal(quote.body.report_data, report_data, 64), WARD_ERR_MISMATCH,
               "configfs: outblob's REPORT_DATA is not the inblob written (another writer?)");
    return WARD_OK;
}

/* cf_request runs one request in the entry |q| (created by the caller). */
static WARD_MUST_CHECK int cf_request(const struct ward_attest_opts *opts, const struct cf_req *q,
                                      const uint8_t report_data[64], struct provider_evidence *e)
{
    uint64_t before, after, writes = 0;
    GUARD(cf_generation(q, &before));
    GUARD(cf_provider(q, e->tee));
    if (opts->privlevel != 0) {
        ENSURE_MSG(strcmp(e->tee, "snp") == 0 && cf_exists(q, "privlevel"), WARD_ERR_USAGE,
                   "configfs: this TEE (%s) has no privilege levels; privlevel is SEV-SNP's",
                   e->tee);
        char level[16];
        int n = snprintf(level, sizeof(level), "%u\n", opts->privlevel);
        GUARD(cf_write(q, "privlevel", (const uint8_t *)level, (size_t)n));
        writes++;
    }
    GUARD(cf_write(q, "inblob", report_data, CONFIGFS_INBLOB_LEN));
    writes++;
    GUARD(cf_read(q, "outblob", CONFIGFS_BLOB_MAX, false, &e->evidence));
    DEFER(ward_buf_cleanupp) struct ward_buf aux = {0};
    if (strcmp(e->tee, "snp") == 0) {
        GUARD(cf_read(q, "auxblob", CONFIGFS_BLOB_MAX, true, &aux));
    }
    GUARD(cf_generation(q, &after));
    ENSURE_MSG(after == before + writes, WARD_ERR_MISMATCH,
               "configfs: concurrent writer: generation went from %" PRIu64 " to %" PRIu64
               " across our %" PRIu64 " write(s), so outblob may answer someone else's "
               "request; retry",
               before, after, writes);
    GUARD(cf_check_outblob(e->tee, &e->evidence, report_data));
    if (aux.len > 0) {
        GUARD(cf_snp_certs(&aux, e));
    }
    return WARD_OK;
}

/* cf_remove removes the entry. A stand-in's attributes are real files: unlink
 * them first (the kernel's cannot be unlinked, and need not be). */
static WARD_MUST_CHECK int cf_remove(const struct ward_attest_opts *opts, const struct cf_req *q)
{
    if (rmdir(q->entry) == 0) {
        return WARD_OK;
    }
    if (errno == ENOTEMPTY && opts->configfs_wait_ms != 0) {
        for (size_t i = 0; i < WARD_ARRAY_LEN(configfs_attrs); i++) {
            char path[CONFIGFS_PATH_MAX];
            if (cf_attr_path(q, configfs_attrs[i], path) == WARD_OK) {
                (void)unlink(path);
            }
        }
        if (rmdir(q->entry) == 0) {
            return WARD_OK;
        }
    }
    return ward_err_set(WARD_ERR_IO, "configfs: cannot remove the entry %s: %s", q->entry,
                        strerror(errno));
}

static int cf_probe(const struct ward_attest_opts *opts)
{
    const char *dir = cf_dir(opts);
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno;
        ENSURE_MSG(e != ENOENT && e != ENOTDIR, WARD_ERR_NOT_FOUND,
                   "configfs-tsm: %s does not exist (no CONFIG_TSM_REPORTS, or configfs not "
                   "mounted)",
                   dir);
        return ward_err_set(WARD_ERR_IO, "configfs-tsm: %s: %s", dir, strerror(e));
    }
    ENSURE_MSG(S_ISDIR(st.st_mode), WARD_ERR_NOT_FOUND, "configfs-tsm: %s is not a directory", dir);
    ENSURE_MSG(access(dir, W_OK | X_OK) == 0, WARD_ERR_IO,
               "configfs-tsm: cannot create report entries in %s: %s", dir, strerror(errno));
    return WARD_OK;
}

static int cf_get(const struct ward_attest_opts *opts, const uint8_t report_data[64],
                  struct provider_evidence *out)
{
    const char *dir = cf_dir(opts);
    uint8_t rnd[8];
    char rnd_hex[2 * sizeof(rnd) + 1];
    GUARD_OSSL(RAND_bytes(rnd, sizeof(rnd)), WARD_ERR_CRYPTO);
    ward_hex_encode(rnd, sizeof(rnd), rnd_hex);
    struct cf_req q = {.deadline_ms =
                           opts->configfs_wait_ms != 0 ? cf_now_ms() + opts->configfs_wait_ms : 0};
    int n = snprintf(q.entry, sizeof(q.entry), "%s/ward-%ld-%s", dir, (long)getpid(), rnd_hex);
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(q.entry), WARD_ERR_USAGE, "configfs: path too long: %s",
               dir);
    if (mkdir(q.entry, 0700) != 0) {
        int e = errno;
        ENSURE_MSG(e != ENOENT, WARD_ERR_NOT_FOUND, "configfs-tsm: %s does not exist", dir);
        return ward_err_set(WARD_ERR_IO, "configfs-tsm: cannot create a report entry in %s: %s",
                            dir, strerror(e));
    }

    struct provider_evidence e;
    memset(&e, 0, sizeof(e));
    int rc = cf_request(opts, &q, report_data, &e);
    if (rc != WARD_OK) {
        /* Keep the request's error; the entry is removed all the same. */
        char detail[512];
        snprintf(detail, sizeof(detail), "%s", ward_err_detail());
        if (cf_remove(opts, &q) != WARD_OK) {
            ward_log(WARD_LOG_DEBUG, "%s", ward_err_detail());
        }
        provider_evidence_cleanup(&e);
        return ward_err_set(rc, "%s", detail);
    }
    if ((rc = cf_remove(opts, &q)) != WARD_OK) {
        provider_evidence_cleanup(&e);
        return rc;
    }
    provider_evidence_cleanup(out);
    *out = e;
    return WARD_OK;
}

const struct provider_ops provider_configfs = {
    .kind = WARD_PROVIDER_CONFIGFS,
    .probe = cf_probe,
    .get = cf_get,
};
