/*
 * tests/unit/sim_test_util.h: what the simulator tests (test_sim, test_sim_tdx)
 * share: a fresh state directory per test, file mode checks in it, and the
 * checks of a simulator certificate's names.
 */
#ifndef WARD_TESTS_SIM_TEST_UTIL_H
#define WARD_TESTS_SIM_TEST_UTIL_H

#include <openssl/x509.h>

/* sim_test_dir_new creates a directory from |tmpl| (a mkdtemp template ending in
 * XXXXXX) and stores its path, which sim_test_dir_remove frees, in *|state|.
 * Returns 0, or -1 (cmocka: the setup failed) when it cannot. */
int sim_test_dir_new(const char *tmpl, void **state);

/* sim_test_dir_remove is a cmocka teardown: it removes the directory in *|state|
 * with everything below it and frees its path. Returns 0. */
int sim_test_dir_remove(void **state);

/* sim_test_assert_names asserts that |cert|'s subject CN is |cn|, its issuer's
 * CN is |issuer_cn|, and its subject carries both |marker| (e.g. "NOT AMD") and
 * the simulator's organisation |org|. */
void sim_test_assert_names(X509 *cert, const char *cn, const char *issuer_cn, const char *org,
                           const char *marker);

/* sim_test_assert_mode asserts that |dir|/|rel| exists with permission bits
 * |mode| (e.g. 0600). */
void sim_test_assert_mode(const char *dir, const char *rel, unsigned mode);

#endif
