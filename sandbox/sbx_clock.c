#include "sbx_clock.h"

#include <stdio.h>
#include <time.h>

#define JST_OFFSET_S (9 * 3600)

int64_t sbx_clock_now(int64_t offset_s)
{
    return (int64_t)time(NULL) + offset_s;
}

static int to_jst(int64_t t, struct tm *tm)
{
    time_t tt = (time_t)(t + JST_OFFSET_S);
    return gmtime_r(&tt, tm) != NULL ? 0 : -1;
}

void sbx_time_iso(int64_t t, char *buf, size_t n)
{
    struct tm tm;
    if (to_jst(t, &tm) != 0 || strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
        (void)snprintf(buf, n, "%s", "");
}

void sbx_time_compact(int64_t t, char *buf, size_t n)
{
    struct tm tm;
    if (to_jst(t, &tm) != 0 || strftime(buf, n, "%Y%m%d%H%M%S", &tm) == 0)
        (void)snprintf(buf, n, "%s", "");
}

void sbx_time_date8(int64_t t, char *buf, size_t n)
{
    struct tm tm;
    if (to_jst(t, &tm) != 0 || strftime(buf, n, "%Y%m%d", &tm) == 0)
        (void)snprintf(buf, n, "%s", "");
}
