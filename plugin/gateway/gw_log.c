#include "gw_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int gw_log_enabled(const gw_log *log, int level)
{
    return log && log->sink && level <= log->level;
}

void gw_logf(const gw_log *log, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    if (!gw_log_enabled(log, level))
        return;
    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 1;
    log->sink(log->user_data, level, line, (size_t)n);
}

int gw_field_is_secret(const char *name)
{
    static const char *const secrets[] = {"ShopPass", "AccessPass", "SitePass",
                                          "CardPass", "Token",      NULL};
    const char *const *s;

    for (s = secrets; *s; s++)
        if (!strcmp(*s, name))
            return 1;
    return 0;
}
