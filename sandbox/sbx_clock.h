/* The virtual clock: now = real time + an offset kept in the database, so
 * tests can move a month ahead in a second. Times are shown in Japan
 * Standard Time (UTC+9, no DST) like the gateway's, independent of TZ. */
#ifndef SBX_CLOCK_H
#define SBX_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_DAY_S 86400

/* A calendar date in Japan (the gateway's and Paid's calendar). */
typedef struct sbx_date {
    int y, m, d;  /* m 1-12, d 1-31 */
} sbx_date;

int64_t sbx_clock_now(int64_t offset_s);
/* "2026-12-03T15:00:00" (buf at least 20 bytes). */
void sbx_time_iso(int64_t t, char *buf, size_t n);
/* "20261203150000" (buf at least 15 bytes), the gateway's ProcessDate. */
void sbx_time_compact(int64_t t, char *buf, size_t n);
/* "20261203" (buf at least 9 bytes). */
void sbx_time_date8(int64_t t, char *buf, size_t n);

/* "2026-12-03T15:00:00" (JST) -> instant; false when not a valid time. */
bool sbx_time_parse_iso(const char *s, int64_t *out);

/* ---- calendar arithmetic (proleptic Gregorian, JST) ---- */

int sbx_days_in_month(int y, int m);
/* The JST date of an instant. */
sbx_date sbx_date_of(int64_t t);
/* The instant seconds_of_day after midnight JST of d (86400: the next
 * midnight, i.e. the end of d). */
int64_t sbx_date_at(sbx_date d, int seconds_of_day);
sbx_date sbx_date_add_days(sbx_date d, int64_t days);
/* The same day months later, clamped to the length of that month. */
sbx_date sbx_date_add_months(sbx_date d, int months);
sbx_date sbx_month_end(int y, int m);
/* 0 Sunday ... 6 Saturday. */
int sbx_weekday(sbx_date d);
/* <0, 0, >0 like strcmp. */
int sbx_date_cmp(sbx_date a, sbx_date b);
/* "20261203" (buf at least 9 bytes) and back; parse checks validity. */
void sbx_date_str8(sbx_date d, char *buf, size_t n);
bool sbx_date_parse8(const char *s, sbx_date *out);
/* "2026-12-03" (buf at least 11 bytes). */
void sbx_date_iso(sbx_date d, char *buf, size_t n);

#endif
