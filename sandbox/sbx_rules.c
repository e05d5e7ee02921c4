#include "sbx_rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_S 3600

void sbx_rules_default(sbx_rules *r)
{
    memset(r, 0, sizeof *r);
    r->closing_default = SBX_CLOSING_MONTH_END;
    r->issue_offset_days = 1;
    r->due_months = 1;
    r->deposit_day = 5;
    r->deposit_month_offset = 2;
    r->deposit_weekend_shift = true;
    static const sbx_dunning_step steps[] = {
        {1, "reminder"}, {10, "second_reminder"}, {30, "collection"},
    };
    memcpy(r->dunning, steps, sizeof steps);
    r->ndunning = sizeof steps / sizeof steps[0];
    r->late_default_days = 7;
    /* Closing at the very end of the closing day, so every sale fixed that
     * day is in; the due check at the end of the due day, so a payment on
     * the due date is on time. The rest in business hours, in the order a
     * day at Paid would see them. */
    r->closing_at_s = 24 * HOUR_S;
    r->issue_at_s = 9 * HOUR_S;
    r->payment_at_s = 12 * HOUR_S;
    r->due_at_s = 24 * HOUR_S;
    r->dunning_at_s = 9 * HOUR_S;
    r->deposit_at_s = 9 * HOUR_S;
}

bool sbx_closing_parse(const char *s, int *out)
{
    if (s == NULL)
        return false;
    if (strcmp(s, "end") == 0) {
        *out = SBX_CLOSING_MONTH_END;
        return true;
    }
    if (s[0] < '0' || s[0] > '9' || strlen(s) > 2)
        return false;
    int v = atoi(s);
    if (v < 1 || v > 28)
        return false;
    *out = v;
    return true;
}

void sbx_closing_name(int closing, char *buf, size_t n)
{
    int w = closing == SBX_CLOSING_MONTH_END ? snprintf(buf, n, "end")
                                             : snprintf(buf, n, "%d", closing);
    if (w < 0 && n > 0)
        buf[0] = '\0';
}

bool sbx_rules_set_closing(sbx_rules *r, const char *arg)
{
    if (!sbx_closing_parse(arg, &r->closing_default)) {
        fprintf(stderr, "paid-sandbox: --closing-default expects end or a day 1-28\n");
        return false;
    }
    return true;
}

bool sbx_rules_set_dunning(sbx_rules *r, const char *arg)
{
    sbx_dunning_step steps[SBX_MAX_DUNNING];
    size_t n = 0;
    const char *p = arg;
    int last_days = 0;
    while (*p != '\0') {
        if (n == SBX_MAX_DUNNING)
            goto bad;
        char *end = NULL;
        errno = 0;
        long days = strtol(p, &end, 10);
        if (errno != 0 || end == p || *end != ':' || days <= last_days || days > 365)
            goto bad;
        p = end + 1;
        size_t len = strcspn(p, ",");
        if (len == 0 || len > SBX_DUNNING_NAME_MAX)
            goto bad;
        for (size_t i = 0; i < len; i++)
            if (!((p[i] >= 'a' && p[i] <= 'z') || p[i] == '_'))
                goto bad;
        steps[n].days_after_due = (int)days;
        memcpy(steps[n].name, p, len);
        steps[n].name[len] = '\0';
        last_days = (int)days;
        n++;
        p += len;
        if (*p == ',')
            p++;
    }
    memcpy(r->dunning, steps, n * sizeof steps[0]);
    r->ndunning = n;
    return true;
bad:
    fprintf(stderr, "paid-sandbox: --dunning expects DAYS:name,... with rising days 1-365 "
                    "and names of a-z and _ (at most %d steps), e.g. "
                    "1:reminder,10:second_reminder,30:collection\n",
            SBX_MAX_DUNNING);
    return false;
}

sbx_date sbx_period_end(int closing, sbx_date day)
{
    if (closing == SBX_CLOSING_MONTH_END)
        return sbx_month_end(day.y, day.m);
    sbx_date end = {day.y, day.m, closing};
    if (day.d > closing) {
        end.d = 1;
        end = sbx_date_add_months(end, 1);
        end.d = closing;
    }
    return end;
}

sbx_date sbx_period_start(int closing, sbx_date end)
{
    if (closing == SBX_CLOSING_MONTH_END) {
        sbx_date start = {end.y, end.m, 1};
        return start;
    }
    /* The day after the previous closing: the 21st of the previous month
     * for the 20th. */
    sbx_date prev = {end.y, end.m, 1};
    prev = sbx_date_add_months(prev, -1);
    prev.d = closing;
    return sbx_date_add_days(prev, 1);
}

sbx_date sbx_issue_date(const sbx_rules *r, sbx_date closing_date)
{
    return sbx_date_add_days(closing_date, r->issue_offset_days);
}

sbx_date sbx_due_date(const sbx_rules *r, sbx_date closing_date)
{
    sbx_date first = {closing_date.y, closing_date.m, 1};
    sbx_date m = sbx_date_add_months(first, r->due_months);
    return sbx_month_end(m.y, m.m);
}

sbx_date sbx_deposit_date(const sbx_rules *r, sbx_date closing_date)
{
    sbx_date first = {closing_date.y, closing_date.m, 1};
    sbx_date d = sbx_date_add_months(first, r->deposit_month_offset);
    int last = sbx_days_in_month(d.y, d.m);
    d.d = r->deposit_day > last ? last : r->deposit_day;
    if (r->deposit_weekend_shift) {
        int wd = sbx_weekday(d);
        if (wd == 6)
            d = sbx_date_add_days(d, 2);
        else if (wd == 0)
            d = sbx_date_add_days(d, 1);
    }
    return d;
}
