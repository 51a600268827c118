/*
 * tests/fuzz/replay.c: a main() for fuzz targets when libFuzzer is not linked in
 * (gcc, or the ASan+UBSan test build). It feeds every file of the given corpus
 * directories (or files) to LLVMFuzzerTestOneInput once, so `make check`
 * replays each committed corpus under the sanitizers.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ward/base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
    struct ward_buf b = {0};
    if (ward_read_file(path, 1u << 20, &b) != WARD_OK) {
        fprintf(stderr, "replay: %s\n", ward_err_detail());
        return 1;
    }
    /* An exact-size heap copy so ASan sees any read past the end. */
    uint8_t *copy = malloc(b.len ? b.len : 1);
    if (copy == NULL) {
        ward_buf_cleanup(&b);
        return 1;
    }
    if (b.len) {
        memcpy(copy, b.data, b.len);
    }
    LLVMFuzzerTestOneInput(copy, b.len);
    free(copy);
    ward_buf_cleanup(&b);
    return 0;
}

int main(int argc, char **argv)
{
    int n = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: cannot stat %s\n", argv[i]);
            return 2;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed += run_file(argv[i]);
            n++;
            continue;
        }
        DIR *d = opendir(argv[i]);
        struct dirent *e;
        while (d != NULL && (e = readdir(d)) != NULL) {
            char path[4096];
            if (e->d_name[0] == '.') {
                continue;
            }
            snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
            failed += run_file(path);
            n++;
        }
        if (d != NULL) {
            closedir(d);
        }
    }
    printf("replayed %d input(s), %d unreadable\n", n, failed);
    return n == 0 || failed ? 1 : 0;
}
