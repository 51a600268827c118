/* lib/base/file.c: whole-file reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/internal.h"

int ward_read_file(const char *path, size_t max_len, struct ward_buf *out)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    ENSURE_MSG(fd >= 0, WARD_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct ward_wr w;
    ward_wr_init(&w, max_len);
    int rc = WARD_OK;
    for (;;) {
        uint8_t chunk[16384];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            rc = ward_err_set(WARD_ERR_IO, "cannot read %s: %s", path, strerror(errno));
            break;
        }
        if (n == 0) {
            break;
        }
        if ((rc = ward_wr_bytes(&w, chunk, (size_t)n)) != WARD_OK) {
            rc = ward_err_set(WARD_ERR_NOMEM, "%s is larger than %zu bytes", path, max_len);
            break;
        }
    }
    if (fd != STDIN_FILENO) {
        close(fd);
    }
    if (rc == WARD_OK) {
        ward_wr_finish(&w, out);
    }
    ward_wr_cleanup(&w);
    return rc;
}

int ward_write_file_atomic(const char *path, const uint8_t *p, size_t len, unsigned mode)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    ENSURE_MSG(n > 0 && (size_t)n < sizeof(tmp), WARD_ERR_USAGE, "path too long: %s", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    ENSURE_MSG(fd >= 0, WARD_ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return ward_err_set(WARD_ERR_IO, "cannot write %s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    bool bad = fsync(fd) != 0;
    int e = errno;
    if (close(fd) != 0 && !bad) {
        bad = true;
        e = errno;
    }
    if (bad) {
        unlink(tmp);
        return ward_err_set(WARD_ERR_IO, "cannot flush %s: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        unlink(tmp);
        return ward_err_set(WARD_ERR_IO, "cannot rename %s to %s: %s", tmp, path, strerror(e));
    }
    return WARD_OK;
}

int ward_mkdir_p(const char *path, unsigned mode)
{
    char buf[4096];
    size_t len = strlen(path);
    ENSURE_MSG(len > 0 && len < sizeof(buf), WARD_ERR_USAGE, "bad directory path");
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST) {
                return ward_err_set(WARD_ERR_IO, "cannot create directory %s: %s", buf,
                                    strerror(errno));
            }
            buf[i] = c;
        }
    }
    return WARD_OK;
}
