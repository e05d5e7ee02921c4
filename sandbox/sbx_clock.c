#include "sbx_clock.h"

#include <stdio.h>
#include <string.h>
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

/* ---- calendar ------------------------------------------------------------ */

/* Days since 1970-01-01 of a civil date and back (H. Hinnant's
 * algorithms): exact for every date we can meet, no time zone database,
 * no TZ dependence. */
static int64_t days_from_civil(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static sbx_date civil_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    sbx_date out;
    out.d = (int)(doy - (153 * mp + 2) / 5 + 1);
    out.m = (int)(mp < 10 ? mp + 3 : mp - 9);
    out.y = (int)(yoe + era * 400 + (out.m <= 2));
    return out;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int sbx_days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

sbx_date sbx_date_of(int64_t t)
{
    return civil_from_days(floor_div(t + JST_OFFSET_S, SBX_DAY_S));
}

int64_t sbx_date_at(sbx_date d, int seconds_of_day)
{
    return days_from_civil(d.y, d.m, d.d) * SBX_DAY_S + seconds_of_day - JST_OFFSET_S;
}

sbx_date sbx_date_add_days(sbx_date d, int64_t days)
{
    return civil_from_days(days_from_civil(d.y, d.m, d.d) + days);
}

sbx_date sbx_date_add_months(sbx_date d, int months)
{
    int64_t idx = (int64_t)d.y * 12 + (d.m - 1) + months;
    sbx_date out;
    out.y = (int)floor_div(idx, 12);
    out.m = (int)(idx - (int64_t)out.y * 12) + 1;
    int last = sbx_days_in_month(out.y, out.m);
    out.d = d.d > last ? last : d.d;
    return out;
}

sbx_date sbx_month_end(int y, int m)
{
    sbx_date out = {y, m, sbx_days_in_month(y, m)};
    return out;
}

int sbx_weekday(sbx_date d)
{
    /* 1970-01-01 was a Thursday (4). */
    int64_t z = days_from_civil(d.y, d.m, d.d);
    return (int)((z % 7 + 11) % 7);
}

int sbx_date_cmp(sbx_date a, sbx_date b)
{
    if (a.y != b.y)
        return a.y < b.y ? -1 : 1;
    if (a.m != b.m)
        return a.m < b.m ? -1 : 1;
    if (a.d != b.d)
        return a.d < b.d ? -1 : 1;
    return 0;
}

void sbx_date_str8(sbx_date d, char *buf, size_t n)
{
    if (snprintf(buf, n, "%04d%02d%02d", d.y, d.m, d.d) < 0 && n > 0)
        buf[0] = '\0';
}

void sbx_date_iso(sbx_date d, char *buf, size_t n)
{
    if (snprintf(buf, n, "%04d-%02d-%02d", d.y, d.m, d.d) < 0 && n > 0)
        buf[0] = '\0';
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool sbx_date_parse8(const char *s, sbx_date *out)
{
    sbx_date d;
    if (strlen(s) != 8 || !digits(s, 4, &d.y) || !digits(s + 4, 2, &d.m) ||
        !digits(s + 6, 2, &d.d))
        return false;
    if (d.y < 1970 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > sbx_days_in_month(d.y, d.m))
        return false;
    *out = d;
    return true;
}

bool sbx_time_parse_iso(const char *s, int64_t *out)
{
    /* yyyy-MM-ddTHH:mm:ss */
    sbx_date d;
    int hh, mi, ss;
    if (strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || !digits(s, 4, &d.y) || !digits(s + 5, 2, &d.m) ||
        !digits(s + 8, 2, &d.d) || !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mi) ||
        !digits(s + 17, 2, &ss))
        return false;
    if (d.y < 1970 || d.m < 1 || d.m > 12 || d.d < 1 || d.d > sbx_days_in_month(d.y, d.m) ||
        hh > 23 || mi > 59 || ss > 59)
        return false;
    *out = sbx_date_at(d, hh * 3600 + mi * 60 + ss);
    return true;
}
