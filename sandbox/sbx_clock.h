/* The virtual clock: now = real time + an offset kept in the database, so
 * tests can move a month ahead in a second. Times are shown in Japan
 * Standard Time (UTC+9, no DST) like the gateway's, independent of TZ. */
#ifndef SBX_CLOCK_H
#define SBX_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define SBX_DAY_S 86400

int64_t sbx_clock_now(int64_t offset_s);
/* "2026-12-03T15:00:00" (buf at least 20 bytes). */
void sbx_time_iso(int64_t t, char *buf, size_t n);
/* "20261203150000" (buf at least 15 bytes), the gateway's ProcessDate. */
void sbx_time_compact(int64_t t, char *buf, size_t n);
/* "20261203" (buf at least 9 bytes). */
void sbx_time_date8(int64_t t, char *buf, size_t n);

#endif
