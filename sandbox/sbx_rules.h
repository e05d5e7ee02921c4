/* The settlement rules of docs/protocol.md §8 as data: closing, invoice
 * issue and due dates, the merchant's deposit date, dunning steps and the
 * time of day each kind of event runs. sbx_settle.c only reads this table,
 * so a different schedule is a command-line option, not a code change. */
#ifndef SBX_RULES_H
#define SBX_RULES_H

#include "sbx_clock.h"

#include <stdbool.h>
#include <stddef.h>

#define SBX_CLOSING_MONTH_END 0
#define SBX_MAX_DUNNING 8
#define SBX_DUNNING_NAME_MAX 23

typedef struct sbx_dunning_step {
    int days_after_due;                  /* 1 = the day after the due date */
    char name[SBX_DUNNING_NAME_MAX + 1]; /* reminder, second_reminder, collection */
} sbx_dunning_step;

typedef struct sbx_rules {
    int closing_default;        /* SBX_CLOSING_MONTH_END or a day 1-28 */
    int issue_offset_days;      /* invoice issued this many days after closing (1) */
    int due_months;             /* due at the end of the month this many months after
                                   the closing month (1) */
    int deposit_day;            /* merchant paid on this day of the month (5) */
    int deposit_month_offset;   /* ... this many months after the closing month (2) */
    bool deposit_weekend_shift; /* Saturday/Sunday -> the next Monday */
    sbx_dunning_step dunning[SBX_MAX_DUNNING];
    size_t ndunning;
    int late_default_days;      /* payment test value "paylate" without a number */
    /* Time of day (JST, seconds after midnight; 86400 = end of the day) at
     * which each kind of event runs, which fixes their order within a day. */
    int closing_at_s;
    int issue_at_s;
    int payment_at_s;
    int due_at_s;
    int dunning_at_s;
    int deposit_at_s;
} sbx_rules;

/* The defaults of docs/protocol.md §8. */
void sbx_rules_default(sbx_rules *r);

/* Option parsers; each returns false (with a message on stderr) for a
 * value out of range. */
bool sbx_rules_set_closing(sbx_rules *r, const char *arg);       /* "end" or 1-28 */
bool sbx_rules_set_dunning(sbx_rules *r, const char *arg);       /* "1:reminder,10:..." */

/* Closing rule from text: "end" -> SBX_CLOSING_MONTH_END, "1".."28" -> day.
 * Returns false for anything else. */
bool sbx_closing_parse(const char *s, int *out);
/* "end" or the day as text (buf at least 4 bytes). */
void sbx_closing_name(int closing, char *buf, size_t n);

/* The closing date of the period that contains day. */
sbx_date sbx_period_end(int closing, sbx_date day);
/* The first day of the period that ends on end. */
sbx_date sbx_period_start(int closing, sbx_date end);
sbx_date sbx_issue_date(const sbx_rules *r, sbx_date closing_date);
sbx_date sbx_due_date(const sbx_rules *r, sbx_date closing_date);
sbx_date sbx_deposit_date(const sbx_rules *r, sbx_date closing_date);

#endif
