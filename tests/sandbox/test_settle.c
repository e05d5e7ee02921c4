/* Two months of Paid business through the protocol and the virtual clock
 * (docs/protocol.md §8, sandbox/README.md "Settlement"): closings on the
 * month end and the 20th, invoices with exact totals and adjustment lines,
 * payment test values (on time, late, partial, never), dunning steps and
 * suspension, credit line release on payment, and the merchant's deposits
 * with the weekend shift. Runs on its own sandbox with the clock set to a
 * fixed date, so every expected date below is absolute: October 2097 (its
 * weekdays: December 5 a Thursday, January 5, 2098 a Sunday), far enough
 * ahead that the forward-only clock can always get there. */
#include "tsb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sandbox g_settle;
static sandbox g_saved;

static int settle_init(void)
{
    if (sandbox_start(&g_settle, "settle", NULL) != 0)
        return -1;
    g_saved = g_sb;
    g_sb = g_settle;
    return 0;
}

static int settle_cleanup(void)
{
    g_sb = g_saved;
    return sandbox_stop(&g_settle) == 0 && tsb_stderr_clean(&g_settle) ? 0 : -1;
}

/* ---- helpers --------------------------------------------------------------------- */

static json_object *set_clock(const char *to)
{
    char path[128];
    fmt(path, sizeof path, "/_sandbox/clock/set?to=%s", to);
    return admin("POST", path, 200);
}

/* Registers a buyer with a ClosingDay value. */
static int save_buyer_closing(const char *id, const char *local, const char *closing_day)
{
    char *r = callf("SavePaidBuyer",
                    SHOP "&PaidBuyerID=%s&CompanyName=%s%%20KK&CompanyNameKana=%%83e%%83X%%83g"
                         "&ZipCode=1000001&Prefecture=%%93%%8C%%8B%%9E%%93s&Address1=Chiyoda"
                         "&Address2=1-1&Tel=0312345678&Email=%s%%40example.com&ClosingDay=%s",
                    id, id, local, closing_day);
    int rc = strstr(r, "ErrCode") == NULL ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "\n  SavePaidBuyer %s: %s\n", id, r);
    free(r);
    return rc;
}

typedef struct named_order {
    const char *name;
    order o;
} named_order;

/* Every order of the scenario, by a short name. */
static named_order g_orders[32];
static size_t g_norders;

static order *find_order(const char *name)
{
    for (size_t i = 0; i < g_norders; i++)
        if (strcmp(g_orders[i].name, name) == 0)
            return &g_orders[i].o;
    return NULL;
}

/* Entry + Exec (AUTH) for buyer; returns the order or NULL. */
static order *place(const char *name, const char *buyer, long amount, long tax)
{
    if (g_norders == sizeof g_orders / sizeof g_orders[0])
        return NULL;
    named_order *no = &g_orders[g_norders];
    no->name = name;
    if (entry(&no->o, amount, tax) != 0)
        return NULL;
    char *r = exec_order(&no->o, buyer, "");
    bool ok = strstr(r, "Status=AUTH") != NULL;
    if (!ok)
        fprintf(stderr, "\n  ExecTranPaid %s: %s\n", name, r);
    free(r);
    if (!ok)
        return NULL;
    g_norders++;
    return &no->o;
}

/* Places and ships (PaidSales with FixedAt) in one go. */
static order *ship(const char *name, const char *buyer, long amount, long tax,
                   const char *fixed_at)
{
    order *o = place(name, buyer, amount, tax);
    if (o == NULL)
        return NULL;
    char extra[40];
    fmt(extra, sizeof extra, "&FixedAt=%s", fixed_at);
    char *r = order_op("PaidSales", o, extra);
    bool ok = strstr(r, "Status=SALES") != NULL;
    if (!ok)
        fprintf(stderr, "\n  PaidSales %s: %s\n", name, r);
    free(r);
    return ok ? o : NULL;
}

static void op_expect(const char *op, const char *name, const char *extra, const char *status)
{
    order *o = find_order(name);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    char *r = order_op(op, o, extra);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    char want[40];
    fmt(want, sizeof want, "Status=%s", status);
    bool ok = strstr(r, want) != NULL;
    if (!ok)
        fprintf(stderr, "\n  %s %s: %s\n", op, name, r);
    CU_ASSERT(ok);
    free(r);
}

/* The invoices of a buyer, oldest first (caller puts). */
static json_object *invoices_of(const char *buyer)
{
    char path[128];
    fmt(path, sizeof path, "/_sandbox/invoices?buyer_id=%s", buyer);
    json_object *o = admin("GET", path, 200);
    json_object *list = NULL;
    if (!json_object_object_get_ex(o, "invoices", &list)) {
        json_object_put(o);
        return NULL;
    }
    json_object_get(list);
    json_object_put(o);
    return list;
}

static size_t count(json_object *arr)
{
    return arr != NULL ? json_object_array_length(arr) : 0;
}

/* Checks one invoice's figures and dates. */
static void check_invoice(json_object *inv, const char *start, const char *end,
                          const char *issue, const char *due, int64_t amount, int64_t tax,
                          size_t nlines)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(inv);
    CU_ASSERT_STRING_EQUAL(jstr(inv, "period_start"), start);
    CU_ASSERT_STRING_EQUAL(jstr(inv, "period_end"), end);
    CU_ASSERT_STRING_EQUAL(jstr(inv, "issue_date"), issue);
    CU_ASSERT_STRING_EQUAL(jstr(inv, "due_date"), due);
    CU_ASSERT_EQUAL(jint(inv, "amount"), amount);
    CU_ASSERT_EQUAL(jint(inv, "tax"), tax);
    CU_ASSERT_EQUAL(jint(inv, "total"), amount + tax);
    json_object *lines = NULL;
    CU_ASSERT(json_object_object_get_ex(inv, "lines", &lines));
    CU_ASSERT_EQUAL(count(lines), nlines);
    if (jint(inv, "total") != amount + tax || count(lines) != nlines)
        fprintf(stderr, "\n  invoice %s: %s\n", jstr(inv, "invoice_id"),
                json_object_to_json_string(inv));
}

/* The line of order o on an invoice, or NULL. */
static json_object *line_of(json_object *inv, const order *o, const char *kind)
{
    json_object *lines = NULL;
    if (!json_object_object_get_ex(inv, "lines", &lines))
        return NULL;
    for (size_t i = 0; i < count(lines); i++) {
        json_object *l = json_object_array_get_idx(lines, i);
        if (strcmp(jstr(l, "order_id"), o->id) == 0 && strcmp(jstr(l, "kind"), kind) == 0)
            return l;
    }
    return NULL;
}

static json_object *buyer_record(const char *buyer)
{
    char path[128];
    fmt(path, sizeof path, "/_sandbox/buyers/%s", buyer);
    return admin("GET", path, 200);
}

static void check_buyer(const char *buyer, const char *status, int64_t rest, bool overdue,
                        const char *dunning_step)
{
    json_object *b = buyer_record(buyer);
    json_object *v = NULL;
    bool is_overdue = json_object_object_get_ex(b, "overdue", &v) && json_object_get_boolean(v);
    if (strcmp(jstr(b, "status"), status) != 0 || jint(b, "rest_amount") != rest ||
        is_overdue != overdue || strcmp(jstr(b, "dunning_step"), dunning_step) != 0)
        fprintf(stderr, "\n  buyer %s: %s\n", buyer, json_object_to_json_string(b));
    CU_ASSERT_STRING_EQUAL(jstr(b, "status"), status);
    CU_ASSERT_EQUAL(jint(b, "rest_amount"), rest);
    CU_ASSERT_EQUAL(is_overdue, overdue);
    CU_ASSERT_STRING_EQUAL(jstr(b, "dunning_step"), dunning_step);
    json_object_put(b);
    /* What the gateway answers agrees with the admin view. */
    char *st = buyer_status(buyer);
    CU_ASSERT_STRING_EQUAL(st, status);
    free(st);
    CU_ASSERT_EQUAL(rest_amount(buyer), rest);
}

static json_object *deposit_for(const char *period_end, const char *closing)
{
    json_object *o = admin("GET", "/_sandbox/deposits", 200);
    json_object *list = NULL, *found = NULL;
    if (json_object_object_get_ex(o, "deposits", &list))
        for (size_t i = 0; i < count(list); i++) {
            json_object *d = json_object_array_get_idx(list, i);
            if (strcmp(jstr(d, "period_end"), period_end) == 0 &&
                strcmp(jstr(d, "closing"), closing) == 0)
                found = json_object_get(d);
        }
    json_object_put(o);
    return found;
}

static void check_deposit(const char *period_end, const char *closing, const char *date,
                          int64_t sales, int64_t deductions, const char *state)
{
    json_object *d = deposit_for(period_end, closing);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    if (jint(d, "sales") != sales || jint(d, "deductions") != deductions ||
        strcmp(jstr(d, "state"), state) != 0 || strcmp(jstr(d, "deposit_date"), date) != 0)
        fprintf(stderr, "\n  deposit: %s\n", json_object_to_json_string(d));
    CU_ASSERT_STRING_EQUAL(jstr(d, "deposit_date"), date);
    CU_ASSERT_EQUAL(jint(d, "sales"), sales);
    CU_ASSERT_EQUAL(jint(d, "deductions"), deductions);
    CU_ASSERT_EQUAL(jint(d, "total"), sales - deductions);
    CU_ASSERT_STRING_EQUAL(jstr(d, "state"), state);
    json_object_put(d);
}

/* The events an advance ran: in time order, and those of kind for ref. */
static bool events_in_order(json_object *adv)
{
    json_object *events = NULL;
    if (!json_object_object_get_ex(adv, "events", &events))
        return false;
    const char *prev = "";
    for (size_t i = 0; i < count(events); i++) {
        const char *t = jstr(json_object_array_get_idx(events, i), "time");
        if (strcmp(t, prev) < 0)
            return false;
        prev = t;
    }
    return true;
}

static json_object *find_event(json_object *adv, const char *kind, const char *id_key,
                               const char *id_value)
{
    json_object *events = NULL;
    if (!json_object_object_get_ex(adv, "events", &events))
        return NULL;
    for (size_t i = 0; i < count(events); i++) {
        json_object *e = json_object_array_get_idx(events, i);
        json_object *ids = NULL;
        if (strcmp(jstr(e, "kind"), kind) == 0 && json_object_object_get_ex(e, "ids", &ids) &&
            strcmp(jstr(ids, id_key), id_value) == 0)
            return e;
    }
    return NULL;
}

/* ---- the scenario ---------------------------------------------------------------------- */

/* Buyers: A on time, N never pays, L pays 12 days late, P pays half, T on
 * time with the 20th closing (SavePaidBuyer ClosingDay=20). */
static void test_rules_and_clock(void)
{
    json_object *o = set_clock("2097-10-01T10:00:00");
    CU_ASSERT_STRING_EQUAL(jstr(o, "now"), "2097-10-01T10:00:00");
    json_object_put(o);
    /* Backwards is refused: events already run cannot be undone. */
    o = admin("POST", "/_sandbox/clock/set?to=2097-09-01T00:00:00", 409);
    json_object_put(o);
    o = admin("POST", "/_sandbox/clock/set?to=2097-13-01T00:00:00", 400);
    json_object_put(o);

    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("A", "alice", ""), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("N", "nina-paynever", ""), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("L", "leo.paylate12", ""), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("P", "pia+paypartial", "end"), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("T", "tom", "20"), 0);
    static const struct {
        const char *id, *closing, *payment;
    } want[] = {{"A", "end", "pay_ontime"},
                {"N", "end", "paynever"},
                {"L", "end", "paylate12"},
                {"P", "end", "paypartial"},
                {"T", "20", "pay_ontime"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        json_object *b = buyer_record(want[i].id);
        CU_ASSERT_STRING_EQUAL(jstr(b, "closing"), want[i].closing);
        CU_ASSERT_STRING_EQUAL(jstr(b, "payment"), want[i].payment);
        json_object_put(b);
    }

    /* The admin endpoints change both test values; bad ones are refused. */
    CU_ASSERT_EQUAL_FATAL(save_buyer_closing("X", "xavier", ""), 0);
    o = admin("POST", "/_sandbox/buyers/X/closing?day=20", 200);
    CU_ASSERT_STRING_EQUAL(jstr(o, "closing"), "20");
    json_object_put(o);
    o = admin("POST", "/_sandbox/buyers/X/payment?mode=paylate3", 200);
    CU_ASSERT_STRING_EQUAL(jstr(o, "payment"), "paylate3");
    json_object_put(o);
    o = admin("POST", "/_sandbox/buyers/X/closing?day=31", 400);
    json_object_put(o);
    o = admin("POST", "/_sandbox/buyers/X/payment?mode=sometimes", 400);
    json_object_put(o);
    o = admin("POST", "/_sandbox/buyers/nobody/closing?day=end", 404);
    json_object_put(o);
}

static void test_first_month(void)
{
    /* October 2097. */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("A1", "A", 10000, 1000, "20971005"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("A2", "A", 20000, 2000, "20971020"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(place("A3", "A", 5000, 500));
    op_expect("PaidCancel", "A3", NULL, "CANCEL");             /* never invoiced */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("A4", "A", 3000, 300, "20971008"));
    op_expect("PaidReturn", "A4", NULL, "RETURN");             /* returned before closing */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("N1", "N", 40000, 4000, "20971010"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("L1", "L", 30000, 3000, "20971015"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("P1", "P", 10000, 1000, "20971012"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("T1", "T", 7000, 700, "20971015"));   /* Sep 21-Oct 20 */
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("T2", "T", 8000, 800, "20971025"));   /* Oct 21-Nov 20 */
    /* Shipped but not paid: the line stays reserved (released on payment). */
    check_buyer("A", "AVAILABLE", 1000000 - 33000, false, "");

    json_object *adv = set_clock("2097-11-01T10:00:00");
    CU_ASSERT(events_in_order(adv));
    json_object *closing = find_event(adv, "buyer.closing", "buyer_id", "A");
    CU_ASSERT_PTR_NOT_NULL(closing);
    CU_ASSERT_STRING_EQUAL(jstr(closing, "time"), "2097-11-01T00:00:00");
    CU_ASSERT_EQUAL(jint(closing, "amount"), 33000);
    json_object *issue = find_event(adv, "invoice.issue", "buyer_id", "T");
    CU_ASSERT_PTR_NOT_NULL(issue);
    CU_ASSERT_STRING_EQUAL(jstr(issue, "time"), "2097-10-21T09:00:00");
    json_object_put(adv);

    json_object *inv = invoices_of("A");
    CU_ASSERT_EQUAL_FATAL(count(inv), 1);
    json_object *a = json_object_array_get_idx(inv, 0);
    char a_invoice[32];
    fmt(a_invoice, sizeof a_invoice, "%s", jstr(a, "invoice_id"));
    check_invoice(a, "2097-10-01", "2097-10-31", "2097-11-01", "2097-11-30", 30000, 3000, 2);
    CU_ASSERT_STRING_EQUAL(jstr(a, "state"), "issued");
    json_object *l = line_of(a, find_order("A1"), "SALES");
    CU_ASSERT_EQUAL(jint(l, "amount"), 10000);
    CU_ASSERT_EQUAL(jint(l, "tax"), 1000);
    CU_ASSERT_STRING_EQUAL(jstr(l, "date"), "2097-10-05");
    CU_ASSERT_PTR_NULL(line_of(a, find_order("A3"), "SALES"));
    CU_ASSERT_PTR_NULL(line_of(a, find_order("A4"), "SALES"));
    json_object_put(inv);

    inv = invoices_of("T");
    CU_ASSERT_EQUAL_FATAL(count(inv), 1);
    check_invoice(json_object_array_get_idx(inv, 0), "2097-09-21", "2097-10-20", "2097-10-21",
                  "2097-11-30", 7000, 700, 1);
    json_object_put(inv);
    inv = invoices_of("N");
    CU_ASSERT_EQUAL_FATAL(count(inv), 1);
    check_invoice(json_object_array_get_idx(inv, 0), "2097-10-01", "2097-10-31", "2097-11-01",
                  "2097-11-30", 40000, 4000, 1);
    json_object_put(inv);

    /* One statement per closing rule and period; both paid on December 5. */
    check_deposit("2097-10-31", "end", "2097-12-05", 33000 + 44000 + 33000 + 11000, 0,
                  "scheduled");
    check_deposit("2097-10-20", "20", "2097-12-05", 7700, 0, "scheduled");

    /* The order record points at its invoice. */
    char path[128];
    fmt(path, sizeof path, "/_sandbox/transactions/%s", find_order("A1")->id);
    json_object *t = admin("GET", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(t, "invoice_id"), a_invoice);
    CU_ASSERT_EQUAL(jint(t, "billed_amount"), 10000);
    json_object_put(t);
}

static void test_second_month(void)
{
    /* November 2097: a return and a lowering after invoicing, new sales. */
    op_expect("PaidReturn", "A2", NULL, "RETURN");
    op_expect("PaidChange", "A1", "&Amount=9000&Tax=900", "SALES");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("A5", "A", 50000, 5000, "20971110"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ship("T3", "T", 6000, 600, "20971118"));
    /* The return gave its 22,000 back at once; A1 still holds its 9,900. */
    check_buyer("A", "AVAILABLE", 1000000 - 9900 - 55000, false, "");

    json_object *adv = set_clock("2097-12-01T10:00:00");
    CU_ASSERT(events_in_order(adv));
    json_object *pay = find_event(adv, "invoice.payment", "buyer_id", "A");
    CU_ASSERT_PTR_NOT_NULL(pay);
    CU_ASSERT_STRING_EQUAL(jstr(pay, "time"), "2097-11-30T12:00:00");
    CU_ASSERT_EQUAL(jint(pay, "amount"), 33000);
    json_object *half = find_event(adv, "invoice.payment", "buyer_id", "P");
    CU_ASSERT_EQUAL(jint(half, "amount"), 5500);
    json_object *due = find_event(adv, "invoice.due", "buyer_id", "N");
    CU_ASSERT_PTR_NOT_NULL(due);
    CU_ASSERT_STRING_EQUAL(jstr(due, "time"), "2097-12-01T00:00:00");
    json_object *remind = find_event(adv, "invoice.dunning", "buyer_id", "N");
    CU_ASSERT_PTR_NOT_NULL(remind);
    CU_ASSERT_STRING_EQUAL(jstr(remind, "result"), "reminder");
    CU_ASSERT_STRING_EQUAL(jstr(remind, "time"), "2097-12-01T09:00:00");
    json_object_put(adv);

    /* A paid on time: its October invoice is paid; the line A1 held is free. */
    json_object *inv = invoices_of("A");
    CU_ASSERT_EQUAL_FATAL(count(inv), 2);
    json_object *oct = json_object_array_get_idx(inv, 0);
    CU_ASSERT_STRING_EQUAL(jstr(oct, "state"), "paid");
    CU_ASSERT_EQUAL(jint(oct, "paid_amount"), 33000);
    /* November: A5 and the two adjustments (the bill was 33,000, the buyer
     * keeps 9,900 of it). */
    json_object *nov = json_object_array_get_idx(inv, 1);
    check_invoice(nov, "2097-11-01", "2097-11-30", "2097-12-01", "2097-12-31",
                  50000 - 20000 - 1000, 5000 - 2000 - 100, 3);
    json_object *ret = line_of(nov, find_order("A2"), "RETURN");
    CU_ASSERT_EQUAL(jint(ret, "total"), -22000);
    json_object *chg = line_of(nov, find_order("A1"), "CHANGE");
    CU_ASSERT_EQUAL(jint(chg, "amount"), -1000);
    CU_ASSERT_EQUAL(jint(chg, "tax"), -100);
    json_object_put(inv);
    check_buyer("A", "AVAILABLE", 1000000 - 55000, false, "");

    /* N never paid: overdue, suspended, no new orders. */
    check_buyer("N", "SUSPENDED", 0, true, "reminder");
    order blocked;
    CU_ASSERT_EQUAL_FATAL(entry(&blocked, 1000, 100), 0);
    char *r = exec_order(&blocked, "N", "");
    check_errors(r, "P01", "P01010003");
    free(r);
    /* P paid half: still overdue for the rest. */
    inv = invoices_of("P");
    json_object *p = json_object_array_get_idx(inv, 0);
    CU_ASSERT_EQUAL(jint(p, "paid_amount"), 5500);
    CU_ASSERT_EQUAL(jint(p, "outstanding"), 5500);
    CU_ASSERT_STRING_EQUAL(jstr(p, "state"), "overdue");
    json_object_put(inv);
    check_buyer("P", "SUSPENDED", 0, true, "reminder");
    /* L pays twelve days late. */
    check_buyer("L", "SUSPENDED", 0, true, "reminder");
    /* T: October (20th) paid on November 30; November 20 closing billed T2+T3. */
    inv = invoices_of("T");
    CU_ASSERT_EQUAL_FATAL(count(inv), 2);
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(inv, 0), "state"), "paid");
    check_invoice(json_object_array_get_idx(inv, 1), "2097-10-21", "2097-11-20", "2097-11-21",
                  "2097-12-31", 14000, 1400, 2);
    json_object_put(inv);

    /* November's statement: A5 in full, the return and the lowering
     * deducted; January 5, 2098 is a Sunday, so Monday the 6th. */
    check_deposit("2097-11-30", "end", "2098-01-06", 55000, 22000 + 1100, "scheduled");
    check_deposit("2097-11-20", "20", "2098-01-06", 15400, 0, "scheduled");
}

static void test_deposits_and_dunning(void)
{
    /* December 5: the October statements are paid in full, N's and P's
     * unpaid invoices included. */
    json_object *adv = set_clock("2097-12-06T10:00:00");
    json_object *events = NULL;
    CU_ASSERT(json_object_object_get_ex(adv, "events", &events));
    size_t deposits = 0;
    for (size_t i = 0; i < count(events); i++) {
        json_object *e = json_object_array_get_idx(events, i);
        if (strcmp(jstr(e, "kind"), "deposit.pay") == 0) {
            deposits++;
            CU_ASSERT_STRING_EQUAL(jstr(e, "time"), "2097-12-05T09:00:00");
        }
    }
    CU_ASSERT_EQUAL(deposits, 2);
    json_object_put(adv);
    check_deposit("2097-10-31", "end", "2097-12-05", 121000, 0, "paid");
    check_deposit("2097-10-20", "20", "2097-12-05", 7700, 0, "paid");

    /* Second reminder ten days after the due date. */
    adv = set_clock("2097-12-11T10:00:00");
    json_object_put(adv);
    check_buyer("N", "SUSPENDED", 0, true, "second_reminder");
    check_buyer("L", "SUSPENDED", 0, true, "second_reminder");

    /* L pays on December 12: available again, its whole line free. */
    adv = set_clock("2097-12-13T10:00:00");
    json_object *paid = find_event(adv, "invoice.payment", "buyer_id", "L");
    CU_ASSERT_PTR_NOT_NULL(paid);
    CU_ASSERT_STRING_EQUAL(jstr(paid, "time"), "2097-12-12T12:00:00");
    json_object_put(adv);
    check_buyer("L", "AVAILABLE", 1000000, false, "");
    json_object *inv = invoices_of("L");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(inv, 0), "state"), "paid");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(inv, 0), "dunning_step"),
                           "second_reminder");
    json_object_put(inv);

    /* Collection thirty days after the due date; N's line stays held. */
    adv = set_clock("2097-12-31T10:00:00");
    json_object_put(adv);
    check_buyer("N", "SUSPENDED", 0, true, "collection");
    json_object *b = buyer_record("N");
    CU_ASSERT_EQUAL(jint(b, "reserved"), 44000);
    CU_ASSERT_EQUAL(jint(b, "overdue_amount"), 44000);
    json_object_put(b);

    /* January 6, 2098 (Monday): November's statement, deductions applied. */
    adv = set_clock("2098-01-07T10:00:00");
    json_object *dep = NULL;
    json_object *list = NULL;
    CU_ASSERT(json_object_object_get_ex(adv, "events", &list));
    for (size_t i = 0; i < count(list); i++) {
        json_object *e = json_object_array_get_idx(list, i);
        if (strcmp(jstr(e, "kind"), "deposit.pay") == 0 && jint(e, "amount") == 31900)
            dep = e;
    }
    CU_ASSERT_PTR_NOT_NULL(dep);
    if (dep != NULL)
        CU_ASSERT_STRING_EQUAL(jstr(dep, "time"), "2098-01-06T09:00:00");
    json_object_put(adv);
    check_deposit("2097-11-30", "end", "2098-01-06", 55000, 23100, "paid");
    /* A paid November's 31,900 on December 31: A5's line is free too. */
    check_buyer("A", "AVAILABLE", 1000000, false, "");

    /* An operator books N's payment at last: suspension lifted. */
    inv = invoices_of("N");
    char path[128];
    fmt(path, sizeof path, "/_sandbox/invoices/%s/pay",
        jstr(json_object_array_get_idx(inv, 0), "invoice_id"));
    json_object *paid_inv = admin("POST", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(paid_inv, "state"), "paid");
    CU_ASSERT_EQUAL(jint(paid_inv, "paid_amount"), 44000);
    json_object_put(paid_inv);
    json_object *again = admin("POST", path, 409);  /* nothing left to pay */
    json_object_put(again);
    json_object_put(inv);
    check_buyer("N", "AVAILABLE", 1000000, false, "");
}

int tsb_add_settle_tests(void)
{
    CU_pSuite s = CU_add_suite("settlement", settle_init, settle_cleanup);
    return s != NULL && CU_add_test(s, "rules, test values, clock", test_rules_and_clock) != NULL &&
                   CU_add_test(s, "first month: closing and invoices", test_first_month) != NULL &&
                   CU_add_test(s, "second month: adjustments, payments, dunning",
                               test_second_month) != NULL &&
                   CU_add_test(s, "deposits, late payment, collection",
                               test_deposits_and_dunning) != NULL
               ? 0
               : -1;
}
