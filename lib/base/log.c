/* lib/base/log.c: levelled logging to standard error with a per-process prefix.
 * Library code logs at debug level only; daemons and the CLI log once at the top. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/internal.h"

static int threshold = -1; /* -1: not yet read from the environment */
static char prefix[32] = "ward";

static int current_threshold(void)
{
    if (threshold < 0) {
        const char *e = getenv("WARD_DEBUG");
        threshold = (e != NULL && strcmp(e, "1") == 0) ? WARD_LOG_DEBUG : WARD_LOG_WARN;
    }
    return threshold;
}

void ward_log_set_level(enum ward_log_level level)
{
    threshold = (int)level;
}

void ward_log_set_prefix(const char *p)
{
    snprintf(prefix, sizeof(prefix), "%s", p);
}

bool ward_log_enabled(enum ward_log_level level)
{
    return (int)level <= current_threshold();
}

void ward_log(enum ward_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[1024];
    va_list ap;
    if (!ward_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One write per line so concurrent writers do not interleave. */
    fprintf(stderr, "%s: %s: %s\n", prefix, names[level], line);
}
