/* cli/cli.h: the `ward` command's subcommands and shared helpers. */
#ifndef WARD_CLI_H
#define WARD_CLI_H

#include <stdio.h>

#include "ward/base.h"

/* Exit codes shared by every subcommand (a contract other tools rely on). */
#define WARD_EXIT_OK 0     /* success; for verify: verdict pass */
#define WARD_EXIT_REJECT 1 /* evidence rejected (any reason, including malformed input) */
#define WARD_EXIT_USAGE 2  /* usage or I/O error */

int verify_main(int argc, char **argv);
int sim_main(int argc, char **argv);
int fetch_main(int argc, char **argv);
int attest_main(int argc, char **argv);

/* cli_error prints "ward <cmd>: <message>" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...) WARD_PRINTF(2, 3);

#endif
