/* When a fixed sale is invoiced and paid out, from the configured rules
 * (docs/protocol.md section 8): the closing period that holds the fixed
 * date, the invoice's issue and due dates, and the expected deposit date. A
 * merchant forecasts cash flow from this without asking the gateway. */
#include <stdio.h>
#include <string.h>

#include "paid_internal.h"

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
static long days_from_civil(int y, int m, int d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    long era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/* Month arithmetic on (y, m), m in 1..12. */
static void add_months(int *y, int *m, int n)
{
    int total = *y * 12 + (*m - 1) + n;

    *y = total / 12;
    *m = total % 12 + 1;
}

static void put_date(json_object *o, const char *key, long days)
{
    char buf[16];
    int y, m, d;

    civil_from_days(days, &y, &m, &d);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y, m, d);
    paid_json_str(o, key, buf);
}

json_object *paid_settlement_json(const paid_settlement *s, int y, int m, int d, const char *basis)
{
    json_object *o = json_object_new_object();
    long from, to, deposit;
    int cy = y, cm = m, dy, dm, weekday;

    if (s->closing_day == 0) {
        /* month end: the calendar month */
        from = days_from_civil(y, m, 1);
        to = days_from_civil(y, m, days_in_month(y, m));
    } else {
        /* day N: (N+1 of the previous month .. N of this month] */
        if (d > s->closing_day)
            add_months(&cy, &cm, 1);
        to = days_from_civil(cy, cm, s->closing_day);
        {
            int py = cy, pm = cm;

            add_months(&py, &pm, -1);
            from = days_from_civil(py, pm, s->closing_day) + 1;
        }
    }
    paid_json_str(o, "rule", s->closing_day == 0 ? "month_end" : "day");
    if (s->closing_day)
        paid_json_int(o, "closing_day", s->closing_day);
    paid_json_str(o, "basis", basis);
    put_date(o, "period_from", from);
    put_date(o, "period_to", to);
    put_date(o, "invoice_issue_date", to + 1);
    dy = cy;
    dm = cm;
    add_months(&dy, &dm, s->due_month_offset);
    put_date(o, "invoice_due_date", days_from_civil(dy, dm, days_in_month(dy, dm)));
    dy = cy;
    dm = cm;
    add_months(&dy, &dm, s->deposit_month_offset);
    deposit = days_from_civil(dy, dm, s->deposit_day);
    /* 1970-01-01 was a Thursday: 0 = Thursday ... 2 = Saturday, 3 = Sunday */
    weekday = (int)(((deposit % 7) + 7) % 7);
    if (weekday == 2)
        deposit += 2;
    else if (weekday == 3)
        deposit += 1;
    put_date(o, "expected_deposit_date", deposit);
    return o;
}
