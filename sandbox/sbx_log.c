#include "sbx_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

static atomic_bool g_quiet;

void sbx_log_set_quiet(bool quiet)
{
    atomic_store(&g_quiet, quiet);
}

/* One formatted line per call, written with a single fputs so lines from
 * concurrent connection threads do not interleave. */
__attribute__((format(printf, 2, 0)))
static void vlog(const char *level, const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "paid-sandbox: %s", level);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t used = (size_t)n + ((size_t)m < sizeof line - (size_t)n - 1
                                   ? (size_t)m
                                   : sizeof line - (size_t)n - 2);
    line[used] = '\n';
    line[used + 1] = '\0';
    (void)fputs(line, stderr);
}

void sbx_log_request(const char *fmt, ...)
{
    if (atomic_load(&g_quiet))
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void sbx_log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("error: ", fmt, ap);
    va_end(ap);
}
