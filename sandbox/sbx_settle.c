#include "sbx_settle.h"

#include "sbx_clock.h"
#include "sbx_log.h"
#include "sbx_paid.h"
#include "sbx_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BS_AVAILABLE "AVAILABLE"
#define BS_SUSPENDED "SUSPENDED"

#define INV_CLOSED "closed"
#define INV_ISSUED "issued"
#define INV_OVERDUE "overdue"
#define INV_PAID "paid"
#define INV_CREDIT "credit"

#define LINE_SALES "SALES"
#define LINE_RETURN "RETURN"
#define LINE_CHANGE "CHANGE"
#define LINE_CARRY "CARRY"

#define DEP_SCHEDULED "scheduled"
#define DEP_PAID "paid"

#define MAX_LATE_DAYS 365

/* ---- test values and names ---------------------------------------------------------- */

/* "paylate12..." -> 12; "paylate" alone -> the default. */
static int late_days(const sbx_rules *r, const char *digits, size_t n)
{
    int v = 0;
    size_t i = 0;
    for (; i < n && digits[i] >= '0' && digits[i] <= '9'; i++)
        v = v > MAX_LATE_DAYS ? v : v * 10 + (digits[i] - '0');
    if (i == 0)
        return r->late_default_days;
    return v > MAX_LATE_DAYS ? MAX_LATE_DAYS : v;
}

static void set_late(char *out, size_t n, int days)
{
    if (days == 0)
        (void)snprintf(out, n, "%s", SBX_PAY_ONTIME);
    else
        (void)snprintf(out, n, "%s%d", SBX_PAY_LATE, days);
}

bool sbx_payment_parse(const sbx_rules *r, const char *value, char *out, size_t n)
{
    if (value == NULL)
        return false;
    size_t len = strlen(value);
    if (strcmp(value, SBX_PAY_ONTIME) == 0 || strcmp(value, "payontime") == 0) {
        (void)snprintf(out, n, "%s", SBX_PAY_ONTIME);
    } else if (strcmp(value, SBX_PAY_PARTIAL) == 0 || strcmp(value, SBX_PAY_NEVER) == 0) {
        (void)snprintf(out, n, "%s", value);
    } else if (strncmp(value, SBX_PAY_LATE, 7) == 0 &&
               strspn(value + 7, "0123456789") == len - 7 && len <= 10) {
        set_late(out, n, late_days(r, value + 7, len - 7));
    } else {
        return false;
    }
    return true;
}

/* Finds token case-insensitively in s[0..n); returns its offset or -1. */
static long find_ci(const char *s, size_t n, const char *token)
{
    size_t t = strlen(token);
    for (size_t i = 0; i + t <= n; i++)
        if (strncasecmp(s + i, token, t) == 0)
            return (long)i;
    return -1;
}

void sbx_payment_from_email(const sbx_rules *r, const char *email, char *out, size_t n)
{
    const char *at = strchr(email, '@');
    size_t len = at != NULL ? (size_t)(at - email) : strlen(email);
    long pos;
    if (find_ci(email, len, "paynever") >= 0) {
        (void)snprintf(out, n, "%s", SBX_PAY_NEVER);
    } else if (find_ci(email, len, "paypartial") >= 0) {
        (void)snprintf(out, n, "%s", SBX_PAY_PARTIAL);
    } else if ((pos = find_ci(email, len, "paylate")) >= 0) {
        size_t from = (size_t)pos + 7;
        set_late(out, n, late_days(r, email + from, len - from));
    } else {
        (void)snprintf(out, n, "%s", SBX_PAY_ONTIME);
    }
}

int sbx_closing_from_field(const char *value, int def)
{
    if (value == NULL || value[0] == '\0')
        return def;
    if (strcasecmp(value, "end") == 0 || strcmp(value, "\xe6\x9c\xab") == 0 /* 末 */ ||
        strcmp(value, "\xe6\x9c\x88\xe6\x9c\xab") == 0 /* 月末 */)
        return SBX_CLOSING_MONTH_END;
    size_t len = strlen(value);
    if (len > 2 || strspn(value, "0123456789") != len)
        return def;
    int v = atoi(value);
    if (v >= 1 && v <= 28)
        return v;
    if (v == 0 || (v >= 29 && v <= 31) || v == 99)
        return SBX_CLOSING_MONTH_END;
    return def;
}

void sbx_invoice_no(int64_t id, char *buf, size_t n)
{
    (void)snprintf(buf, n, "INV-%06lld", (long long)id);
}

void sbx_deposit_no(int64_t id, char *buf, size_t n)
{
    (void)snprintf(buf, n, "DEP-%06lld", (long long)id);
}

static bool parse_no(const char *s, const char *prefix, int64_t *id)
{
    size_t p = strlen(prefix);
    if (strncmp(s, prefix, p) == 0)
        s += p;
    size_t len = strlen(s);
    if (len == 0 || len > 15 || strspn(s, "0123456789") != len)
        return false;
    *id = strtoll(s, NULL, 10);
    return *id > 0;
}

bool sbx_invoice_no_parse(const char *s, int64_t *id)
{
    return parse_no(s, "INV-", id);
}

bool sbx_deposit_no_parse(const char *s, int64_t *id)
{
    return parse_no(s, "DEP-", id);
}

/* ---- scheduling ------------------------------------------------------------------------ */

static int schedule(sbx_app *app, const char *kind, const char *shop_id, const char *ref,
                    const char *payload, sbx_date day, int seconds_of_day)
{
    return sbx_store_event_add(app->store, kind, shop_id, ref, payload,
                               sbx_date_at(day, seconds_of_day));
}

static int schedule_ref_id(sbx_app *app, const char *kind, const char *shop_id, int64_t id,
                           const char *payload, sbx_date day, int seconds_of_day)
{
    char ref[24];
    (void)snprintf(ref, sizeof ref, "%lld", (long long)id);
    return schedule(app, kind, shop_id, ref, payload, day, seconds_of_day);
}

static int schedule_closing(sbx_app *app, const char *shop_id, const char *buyer_id,
                            sbx_date end)
{
    char end8[12];
    sbx_date_str8(end, end8, sizeof end8);
    return schedule(app, SBX_EV_CLOSING, shop_id, buyer_id, end8, end,
                    app->rules->closing_at_s);
}

int sbx_settle_buyer_added(sbx_app *app, const sbx_buyer *b, int64_t now)
{
    return schedule_closing(app, b->shop_id, b->buyer_id,
                            sbx_period_end(b->closing, sbx_date_of(now)));
}

int sbx_settle_bootstrap(sbx_app *app, int64_t now)
{
    sbx_buyer_key *keys = NULL;
    size_t n = 0;
    if (sbx_store_buyers_without_pending(app->store, SBX_EV_CLOSING, &keys, &n) != 0)
        return -1;
    int result = 0;
    for (size_t i = 0; i < n && result == 0; i++)
        result = schedule_closing(app, keys[i].shop_id, keys[i].buyer_id,
                                  sbx_period_end(keys[i].closing, sbx_date_of(now)));
    free(keys);
    return result;
}

int sbx_settle_set_closing(sbx_app *app, sbx_buyer *b, int closing, int64_t now)
{
    if (b->closing == closing)
        return 0;
    b->closing = closing;
    /* Sales not invoiced yet go on the first closing of the new rule. */
    if (sbx_store_event_cancel(app->store, SBX_EV_CLOSING, b->shop_id, b->buyer_id, now) != 0)
        return -1;
    return schedule_closing(app, b->shop_id, b->buyer_id,
                            sbx_period_end(closing, sbx_date_of(now)));
}

/* ---- adjustments ------------------------------------------------------------------------- */

int sbx_settle_order_changed(sbx_app *app, sbx_txn *t, int64_t now)
{
    if (t->invoice_id == 0)
        return 0;
    bool returned = strcmp(t->status, "RETURN") == 0;
    int64_t amount = returned ? 0 : t->amount;
    int64_t tax = returned ? 0 : t->tax;
    sbx_line line;
    memset(&line, 0, sizeof line);
    line.amount = amount - t->billed_amount;
    line.tax = tax - t->billed_tax;
    if (line.amount == 0 && line.tax == 0)
        return 0;
    (void)snprintf(line.shop_id, sizeof line.shop_id, "%s", t->shop_id);
    (void)snprintf(line.buyer_id, sizeof line.buyer_id, "%s", t->buyer_id);
    (void)snprintf(line.order_id, sizeof line.order_id, "%s", t->order_id);
    (void)snprintf(line.kind, sizeof line.kind, "%s", returned ? LINE_RETURN : LINE_CHANGE);
    sbx_time_date8(now, line.date, sizeof line.date);
    line.created_at = now;
    if (sbx_store_line_insert(app->store, &line) != 0)
        return -1;
    t->billed_amount = amount;
    t->billed_tax = tax;
    return 0;
}

/* ---- closing ------------------------------------------------------------------------------- */

typedef struct line_vec {
    sbx_line *v;
    size_t n, cap;
} line_vec;

static int collect_line(void *ctx, const sbx_line *l)
{
    line_vec *lv = ctx;
    if (lv->n == lv->cap) {
        size_t ncap = lv->cap != 0 ? lv->cap * 2 : 8;
        sbx_line *p = realloc(lv->v, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        lv->v = p;
        lv->cap = ncap;
    }
    lv->v[lv->n++] = *l;
    return 0;
}

/* Totals of what went on one invoice, split the way the deposit needs. */
typedef struct closing_sums {
    int64_t amount, tax;
    int64_t sales;       /* SALES lines, amount + tax */
    int64_t deductions;  /* RETURN and CHANGE lines, as a positive number */
    size_t orders;
} closing_sums;

static int add_sale(sbx_app *app, const sbx_invoice *inv, const char *order_id, int64_t now,
                    closing_sums *sums)
{
    sbx_txn t;
    int rc = sbx_store_txn_get(app->store, inv->shop_id, order_id, &t);
    if (rc <= 0)
        return -1;  /* selected a moment ago under the same lock */
    sbx_line line;
    memset(&line, 0, sizeof line);
    line.invoice_id = inv->id;
    (void)snprintf(line.shop_id, sizeof line.shop_id, "%s", t.shop_id);
    (void)snprintf(line.buyer_id, sizeof line.buyer_id, "%s", t.buyer_id);
    (void)snprintf(line.order_id, sizeof line.order_id, "%s", t.order_id);
    (void)snprintf(line.kind, sizeof line.kind, "%s", LINE_SALES);
    (void)snprintf(line.date, sizeof line.date, "%s", t.fixed_at);
    line.amount = t.amount;
    line.tax = t.tax;
    line.created_at = now;
    t.invoice_id = inv->id;
    t.billed_amount = t.amount;
    t.billed_tax = t.tax;
    rc = sbx_store_line_insert(app->store, &line) == 0 && sbx_store_txn_save(app->store, &t) == 0
             ? 0
             : -1;
    sbx_txn_clear(&t);
    if (rc == 0) {
        sums->amount += line.amount;
        sums->tax += line.tax;
        sums->sales += line.amount + line.tax;
        sums->orders++;
    }
    return rc;
}

/* Puts the statement of (shop, period) together: created with its deposit
 * event on the first closing of the period, added to by the others. */
static int book_deposit(sbx_app *app, sbx_invoice *inv, sbx_date end, const closing_sums *sums)
{
    sbx_deposit d;
    int rc = sbx_store_deposit_find(app->store, inv->shop_id, inv->closing, inv->period_end, &d);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        memset(&d, 0, sizeof d);
        (void)snprintf(d.shop_id, sizeof d.shop_id, "%s", inv->shop_id);
        d.closing = inv->closing;
        (void)snprintf(d.period_start, sizeof d.period_start, "%s", inv->period_start);
        (void)snprintf(d.period_end, sizeof d.period_end, "%s", inv->period_end);
        sbx_date day = sbx_deposit_date(app->rules, end);
        sbx_date_str8(day, d.deposit_date, sizeof d.deposit_date);
        (void)snprintf(d.state, sizeof d.state, "%s", DEP_SCHEDULED);
        d.created_at = inv->created_at;
        if (sbx_store_deposit_insert(app->store, &d) != 0 ||
            schedule_ref_id(app, SBX_EV_DEPOSIT, d.shop_id, d.id, "", day,
                            app->rules->deposit_at_s) != 0)
            return -1;
    }
    d.sales += sums->sales;
    d.deductions += sums->deductions;
    d.total = d.sales - d.deductions;
    inv->deposit_id = d.id;
    return sbx_store_deposit_save(app->store, &d);
}

int sbx_settle_event_closing(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_store *s = app->store;
    sbx_event_out_id(out, "buyer_id", ev->ref);
    sbx_date end;
    if (!sbx_date_parse8(ev->payload, &end)) {
        (void)snprintf(out->result, sizeof out->result, "bad payload");
        return 0;
    }
    sbx_buyer b;
    int rc = sbx_store_buyer_get(s, ev->shop_id, ev->ref, &b);
    if (rc <= 0) {
        (void)snprintf(out->result, sizeof out->result, "skipped");  /* reset meanwhile */
        return rc;
    }
    int result = -1;
    char **orders = NULL;
    size_t norders = 0;
    line_vec pending = {NULL, 0, 0};
    sbx_invoice inv;
    closing_sums sums;
    memset(&inv, 0, sizeof inv);
    memset(&sums, 0, sizeof sums);
    /* The cycle continues whether or not this period had sales. */
    if (schedule_closing(app, b.shop_id, b.buyer_id,
                         sbx_period_end(b.closing, sbx_date_add_days(end, 1))) != 0)
        goto free_buyer;
    if (sbx_store_sales_to_invoice(s, b.shop_id, b.buyer_id, ev->payload, &orders, &norders) !=
            0 ||
        sbx_store_line_foreach(s, 0, b.shop_id, b.buyer_id, collect_line, &pending) != 0)
        goto free_lists;
    /* A carried credit alone makes no invoice: it waits for the next
     * period with something to bill. */
    size_t adjustments = 0;
    for (size_t i = 0; i < pending.n; i++)
        adjustments += strcmp(pending.v[i].kind, LINE_CARRY) != 0;
    if (norders == 0 && adjustments == 0) {
        (void)snprintf(out->result, sizeof out->result, "no sales");
        result = 0;
        goto free_lists;
    }

    (void)snprintf(inv.shop_id, sizeof inv.shop_id, "%s", b.shop_id);
    (void)snprintf(inv.buyer_id, sizeof inv.buyer_id, "%s", b.buyer_id);
    inv.closing = b.closing;
    sbx_date_str8(sbx_period_start(b.closing, end), inv.period_start, sizeof inv.period_start);
    sbx_date_str8(end, inv.period_end, sizeof inv.period_end);
    sbx_date issue = sbx_issue_date(app->rules, end);
    sbx_date_str8(issue, inv.issue_date, sizeof inv.issue_date);
    sbx_date_str8(sbx_due_date(app->rules, end), inv.due_date, sizeof inv.due_date);
    (void)snprintf(inv.state, sizeof inv.state, "%s", INV_CLOSED);
    inv.created_at = ev->due_at;
    if (sbx_store_invoice_insert(s, &inv) != 0)
        goto free_lists;

    for (size_t i = 0; i < norders; i++)
        if (add_sale(app, &inv, orders[i], ev->due_at, &sums) != 0)
            goto free_lists;
    for (size_t i = 0; i < pending.n; i++) {
        const sbx_line *l = &pending.v[i];
        if (sbx_store_line_set_invoice(s, l->id, inv.id) != 0)
            goto free_lists;
        sums.amount += l->amount;
        sums.tax += l->tax;
        /* A carried credit was deducted from the merchant when it arose. */
        if (strcmp(l->kind, LINE_CARRY) != 0)
            sums.deductions -= l->amount + l->tax;
    }
    inv.amount = sums.amount;
    inv.tax = sums.tax;
    inv.total = sums.amount + sums.tax;
    if (book_deposit(app, &inv, end, &sums) != 0 || sbx_store_invoice_save(s, &inv) != 0 ||
        schedule_ref_id(app, SBX_EV_ISSUE, inv.shop_id, inv.id, "", issue,
                        app->rules->issue_at_s) != 0)
        goto free_lists;

    char no[24];
    sbx_invoice_no(inv.id, no, sizeof no);
    sbx_event_out_id(out, "invoice_id", no);
    sbx_event_out_amount(out, inv.total);
    (void)snprintf(out->result, sizeof out->result, "invoiced %zu orders, %zu adjustments",
                   sums.orders, adjustments);
    result = 0;
free_lists:
    free(pending.v);
    sbx_strv_free(orders, norders);
free_buyer:
    sbx_buyer_clear(&b);
    return result;
}

/* ---- invoice life ------------------------------------------------------------------------ */

/* Loads the invoice named by the event's ref; 1 loaded, 0 gone (result
 * set), -1 error. */
static int event_invoice(sbx_app *app, const sbx_event *ev, sbx_invoice *inv,
                         sbx_event_out *out)
{
    int64_t id = 0;
    int rc = sbx_invoice_no_parse(ev->ref, &id) ? sbx_store_invoice_get(app->store, id, inv) : 0;
    if (rc == 0)
        (void)snprintf(out->result, sizeof out->result, "skipped");
    if (rc == 1) {
        char no[24];
        sbx_invoice_no(inv->id, no, sizeof no);
        sbx_event_out_id(out, "invoice_id", no);
        sbx_event_out_id(out, "buyer_id", inv->buyer_id);
    }
    return rc;
}

/* The credit line held by the orders of a paid invoice is free again. */
static int release_orders(sbx_app *app, const sbx_invoice *inv, int64_t at)
{
    char **orders = NULL;
    size_t n = 0;
    if (sbx_store_invoice_orders(app->store, inv->id, &orders, &n) != 0)
        return -1;
    int result = 0;
    for (size_t i = 0; i < n && result == 0; i++) {
        sbx_txn t;
        int rc = sbx_store_txn_get(app->store, inv->shop_id, orders[i], &t);
        if (rc < 0)
            result = -1;
        else if (rc == 1)
            result = sbx_paid_release(app->store, &t, at);
        sbx_txn_clear(&t);
    }
    sbx_strv_free(orders, n);
    return result;
}

/* Paying the last overdue invoice lifts a suspension that dunning set. */
static int maybe_restore_buyer(sbx_app *app, const sbx_invoice *inv, int64_t at)
{
    sbx_buyer b;
    int rc = sbx_store_buyer_get(app->store, inv->shop_id, inv->buyer_id, &b);
    if (rc <= 0)
        return rc;
    int result = 0;
    if (b.dunning_suspended) {
        int64_t others = sbx_store_invoice_overdue_count(app->store, inv->shop_id,
                                                         inv->buyer_id, inv->id);
        if (others < 0) {
            result = -1;
        } else if (others == 0) {
            b.dunning_suspended = false;
            if (strcmp(b.status, BS_SUSPENDED) == 0)
                (void)snprintf(b.status, sizeof b.status, "%s", BS_AVAILABLE);
            b.updated_at = at;
            result = sbx_store_buyer_save(app->store, &b);
        }
    }
    sbx_buyer_clear(&b);
    return result;
}

int sbx_settle_pay(sbx_app *app, int64_t invoice_id, int64_t amount, const char *source,
                   int64_t at, int64_t *paid)
{
    *paid = 0;
    sbx_invoice inv;
    int rc = sbx_store_invoice_get(app->store, invoice_id, &inv);
    if (rc <= 0)
        return rc;
    bool open = strcmp(inv.state, INV_ISSUED) == 0 || strcmp(inv.state, INV_OVERDUE) == 0;
    int64_t outstanding = inv.total - inv.paid_amount;
    if (!open || outstanding <= 0 || amount <= 0)
        return 0;
    if (amount > outstanding)
        amount = outstanding;
    sbx_payment p;
    memset(&p, 0, sizeof p);
    p.invoice_id = inv.id;
    p.amount = amount;
    p.at = at;
    (void)snprintf(p.source, sizeof p.source, "%s", source);
    if (sbx_store_payment_insert(app->store, &p) != 0)
        return -1;
    inv.paid_amount += amount;
    if (inv.paid_amount >= inv.total) {
        (void)snprintf(inv.state, sizeof inv.state, "%s", INV_PAID);
        inv.paid_at = at;
        if (sbx_store_invoice_save(app->store, &inv) != 0 ||
            release_orders(app, &inv, at) != 0 || maybe_restore_buyer(app, &inv, at) != 0)
            return -1;
    } else if (sbx_store_invoice_save(app->store, &inv) != 0) {
        return -1;
    }
    *paid = amount;
    return 0;
}

int sbx_settle_event_issue(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_invoice inv;
    int rc = event_invoice(app, ev, &inv, out);
    if (rc <= 0)
        return rc;
    if (strcmp(inv.state, INV_CLOSED) != 0) {
        (void)snprintf(out->result, sizeof out->result, "skipped");
        return 0;
    }
    sbx_event_out_amount(out, inv.total);
    inv.issued_at = ev->due_at;
    if (inv.total <= 0) {
        /* Nothing to collect. A negative total (returns above the period's
         * sales) is carried to the buyer's next invoice as a credit. */
        (void)snprintf(inv.state, sizeof inv.state, "%s", inv.total < 0 ? INV_CREDIT : INV_PAID);
        inv.paid_at = ev->due_at;
        if (inv.total < 0) {
            sbx_line carry;
            memset(&carry, 0, sizeof carry);
            (void)snprintf(carry.shop_id, sizeof carry.shop_id, "%s", inv.shop_id);
            (void)snprintf(carry.buyer_id, sizeof carry.buyer_id, "%s", inv.buyer_id);
            sbx_invoice_no(inv.id, carry.order_id, sizeof carry.order_id);
            (void)snprintf(carry.kind, sizeof carry.kind, "%s", LINE_CARRY);
            (void)snprintf(carry.date, sizeof carry.date, "%s", inv.issue_date);
            carry.amount = inv.amount;
            carry.tax = inv.tax;
            carry.created_at = ev->due_at;
            if (sbx_store_line_insert(app->store, &carry) != 0)
                return -1;
        }
        (void)snprintf(out->result, sizeof out->result, "issued, %s", inv.state);
        return sbx_store_invoice_save(app->store, &inv) == 0 &&
                       release_orders(app, &inv, ev->due_at) == 0
                   ? 0
                   : -1;
    }
    (void)snprintf(inv.state, sizeof inv.state, "%s", INV_ISSUED);
    if (sbx_store_invoice_save(app->store, &inv) != 0)
        return -1;

    sbx_date due;
    if (!sbx_date_parse8(inv.due_date, &due))
        return -1;
    const sbx_rules *r = app->rules;
    if (schedule(app, SBX_EV_DUE, inv.shop_id, ev->ref, "", due, r->due_at_s) != 0)
        return -1;

    /* How (and whether) the buyer pays is its test value at issue time. */
    sbx_buyer b;
    rc = sbx_store_buyer_get(app->store, inv.shop_id, inv.buyer_id, &b);
    if (rc < 0)
        return -1;
    const char *payment = rc == 1 ? b.payment : SBX_PAY_ONTIME;
    int result = 0;
    if (strcmp(payment, SBX_PAY_PARTIAL) == 0) {
        result = schedule(app, SBX_EV_PAYMENT, inv.shop_id, ev->ref, "half", due,
                          r->payment_at_s);
    } else if (strncmp(payment, SBX_PAY_LATE, 7) == 0) {
        sbx_date day = sbx_date_add_days(due, atoi(payment + 7));
        result = schedule(app, SBX_EV_PAYMENT, inv.shop_id, ev->ref, "full", day,
                          r->payment_at_s);
    } else if (strcmp(payment, SBX_PAY_NEVER) != 0) {
        result = schedule(app, SBX_EV_PAYMENT, inv.shop_id, ev->ref, "full", due,
                          r->payment_at_s);
    }
    (void)snprintf(out->result, sizeof out->result, "issued, due %s, buyer %s", inv.due_date,
                   payment);
    sbx_buyer_clear(&b);
    return result;
}

int sbx_settle_event_payment(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_invoice inv;
    int rc = event_invoice(app, ev, &inv, out);
    if (rc <= 0)
        return rc;
    int64_t outstanding = inv.total - inv.paid_amount;
    int64_t amount = strcmp(ev->payload, "half") == 0 ? inv.total / 2 : outstanding;
    int64_t paid = 0;
    if (sbx_settle_pay(app, inv.id, amount, "buyer", ev->due_at, &paid) != 0)
        return -1;
    sbx_event_out_amount(out, paid);
    if (paid == 0)
        (void)snprintf(out->result, sizeof out->result, "nothing to pay");
    else
        (void)snprintf(out->result, sizeof out->result, "%s",
                       paid >= outstanding ? "paid in full" : "paid in part");
    return 0;
}

int sbx_settle_event_due(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_invoice inv;
    int rc = event_invoice(app, ev, &inv, out);
    if (rc <= 0)
        return rc;
    if (strcmp(inv.state, INV_ISSUED) != 0) {
        (void)snprintf(out->result, sizeof out->result, "%s", inv.state);
        return 0;
    }
    (void)snprintf(inv.state, sizeof inv.state, "%s", INV_OVERDUE);
    sbx_event_out_amount(out, inv.total - inv.paid_amount);
    if (sbx_store_invoice_save(app->store, &inv) != 0)
        return -1;

    /* An overdue buyer may not order (P01010003) until it pays. */
    sbx_buyer b;
    rc = sbx_store_buyer_get(app->store, inv.shop_id, inv.buyer_id, &b);
    if (rc < 0)
        return -1;
    if (rc == 1 && strcmp(b.status, BS_AVAILABLE) == 0) {
        (void)snprintf(b.status, sizeof b.status, "%s", BS_SUSPENDED);
        b.dunning_suspended = true;
        b.updated_at = ev->due_at;
        rc = sbx_store_buyer_save(app->store, &b);
    } else {
        rc = 0;
    }
    sbx_buyer_clear(&b);
    if (rc != 0)
        return -1;

    sbx_date due;
    if (!sbx_date_parse8(inv.due_date, &due))
        return -1;
    for (size_t i = 0; i < app->rules->ndunning; i++) {
        const sbx_dunning_step *step = &app->rules->dunning[i];
        if (schedule(app, SBX_EV_DUNNING, inv.shop_id, ev->ref, step->name,
                     sbx_date_add_days(due, step->days_after_due),
                     app->rules->dunning_at_s) != 0)
            return -1;
    }
    (void)snprintf(out->result, sizeof out->result, "overdue, buyer suspended");
    return 0;
}

int sbx_settle_event_dunning(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    sbx_invoice inv;
    int rc = event_invoice(app, ev, &inv, out);
    if (rc <= 0)
        return rc;
    if (strcmp(inv.state, INV_OVERDUE) != 0) {
        (void)snprintf(out->result, sizeof out->result, "skipped, %s", inv.state);
        return 0;
    }
    (void)snprintf(inv.dunning_step, sizeof inv.dunning_step, "%.*s",
                   (int)sizeof inv.dunning_step - 1, ev->payload);
    (void)snprintf(out->result, sizeof out->result, "%s", ev->payload);
    sbx_event_out_amount(out, inv.total - inv.paid_amount);
    return sbx_store_invoice_save(app->store, &inv);
}

int sbx_settle_event_deposit(sbx_app *app, const sbx_event *ev, sbx_event_out *out)
{
    int64_t id = 0;
    sbx_deposit d;
    int rc = sbx_deposit_no_parse(ev->ref, &id) ? sbx_store_deposit_get(app->store, id, &d) : 0;
    if (rc <= 0) {
        (void)snprintf(out->result, sizeof out->result, "skipped");
        return rc;
    }
    char no[24];
    sbx_deposit_no(d.id, no, sizeof no);
    sbx_event_out_id(out, "deposit_id", no);
    sbx_event_out_amount(out, d.total);
    if (strcmp(d.state, DEP_SCHEDULED) != 0) {
        (void)snprintf(out->result, sizeof out->result, "skipped, %s", d.state);
        return 0;
    }
    /* Guaranteed: the merchant is paid whatever the buyers did. A
     * statement whose deductions exceed its sales is a charge instead. */
    (void)snprintf(d.state, sizeof d.state, "%s", DEP_PAID);
    d.paid_at = ev->due_at;
    (void)snprintf(out->result, sizeof out->result, "%s",
                   d.total >= 0 ? "paid to the merchant" : "charged to the merchant");
    return sbx_store_deposit_save(app->store, &d);
}
