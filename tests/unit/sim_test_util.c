/* tests/unit/sim_test_util.c: see sim_test_util.h. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "ward/crypto.h"

#include "sim_test_util.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int sim_test_dir_new(const char *tmpl, void **state)
{
    char *dir = strdup(tmpl);
    if (dir == NULL || mkdtemp(dir) == NULL) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

int sim_test_dir_remove(void **state)
{
    char *dir = *state;
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    return 0;
}

void sim_test_assert_names(X509 *cert, const char *cn, const char *issuer_cn, const char *org,
                           const char *marker)
{
    char buf[256];
    assert_int_equal(ward_x509_subject_cn(cert, buf, sizeof(buf)), WARD_OK);
    assert_string_equal(buf, cn);
    assert_int_equal(ward_x509_issuer_cn(cert, buf, sizeof(buf)), WARD_OK);
    assert_string_equal(buf, issuer_cn);
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
    assert_non_null(strstr(buf, marker));
    assert_non_null(strstr(buf, org));
}

void sim_test_assert_mode(const char *dir, const char *rel, unsigned mode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, mode);
}
