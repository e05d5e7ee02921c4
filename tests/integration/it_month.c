/* Two months of Paid's business through the ABI and the sandbox's clock,
 * on its own sandbox that sends result notifications to the test's
 * receiver (which hands them to notify()). Checks every invoice total, every
 * buyer's remaining line, every deposit amount and date (against the
 * plugin's own settlement forecast), dunning and suspension, and every
 * notification: delivered, confirmed, resent until answered "0", duplicates
 * keyed alike, and a forged one reported as the gateway's state. The
 * calendar is 2099 (the clock only moves forward): January's deposit is on
 * Thursday March 5, February's on Sunday April 5, moved to Monday April 6. */
#include <CUnit/CUnit.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

static it_sandbox g_sb;
static pmp_ctx *g_ctx;
static int g_ready;
static char status[32];

typedef struct month_order {
    const char *id_prefix;
    const char *buyer; /* 'A' .. 'D' */
    int amount, tax;
    const char *fixed_at; /* NULL: authorize only */
    char id[40];
    char deposit[16]; /* the plugin's expected_deposit_date */
} month_order;

static char g_buyer[4][32]; /* A on time, B 10 days late, C never, D closes on the 20th */

static month_order g_jan[] = {
    {"A1", "A", 100000, 10000, "2099-01-10", "", ""},
    {"A2", "A", 50000, 5000, "2099-01-12", "", ""},
    {"A3", "A", 30000, 3000, NULL, "", ""},
    {"B1", "B", 200000, 20000, "2099-01-15", "", ""},
    {"C1", "C", 80000, 8000, "2099-01-15", "", ""},
    {"D1", "D", 40000, 4000, "2099-01-10", "", ""},
    {"D2", "D", 10000, 1000, "2099-01-25", "", ""},
};
static month_order g_a4 = {"A4", "A", 20000, 2000, "2099-02-10", "", ""};

static const char *buyer_id(const char *which)
{
    return g_buyer[which[0] - 'A'];
}

static void set_clock(const char *to)
{
    json_object *r = it_admin(it_fmt("clock/set?to=%s", to), 1);

    CU_ASSERT_PTR_NOT_NULL(r);
    json_object_put(r);
}

static int64_t rest_of(const char *buyer, char *word, size_t size)
{
    json_object *d = it_ok("payer_status", it_fmt("{\"buyer_id\":\"%s\"}", buyer), word, size);
    json_object *v;
    int64_t rest = json_object_object_get_ex(d, "rest_amount", &v) ? json_object_get_int64(v) : 0;

    json_object_put(d);
    return rest;
}

static void place(month_order *o)
{
    json_object *d, *settlement;

    it_id(o->id_prefix, o->id, sizeof(o->id));
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":%d,\"tax\":%d,"
                     "\"contents\":\"事務用品 %s\"}",
                     o->id, buyer_id(o->buyer), o->amount, o->tax, o->id_prefix),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    json_object_put(d);
    if (!o->fixed_at)
        return;
    d = it_ok("capture",
              it_fmt("{\"order_id\":\"%s\",\"fixed_at\":\"%s\",\"closing_day\":%s}", o->id,
                     o->fixed_at, o->buyer[0] == 'D' ? "20" : "\"end\""),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    if (json_object_object_get_ex(d, "settlement", &settlement) && settlement)
        snprintf(o->deposit, sizeof(o->deposit), "%s",
                 it_jstr(settlement, "expected_deposit_date"));
    json_object_put(d);
}

/* The invoices of a buyer, oldest first (caller puts). */
static json_object *invoices(const char *buyer)
{
    json_object *r = it_admin(it_fmt("invoices?buyer_id=%s", buyer), 0), *list = NULL;

    if (r && json_object_object_get_ex(r, "invoices", &list))
        json_object_get(list);
    json_object_put(r);
    return list;
}

static json_object *deposit_of(const char *order_id)
{
    json_object *r = it_admin("deposits", 0), *list, *found = NULL;
    size_t i, j;

    if (!r || !json_object_object_get_ex(r, "deposits", &list)) {
        json_object_put(r);
        return NULL;
    }
    for (i = 0; i < json_object_array_length(list) && !found; i++) {
        json_object *dep = json_object_array_get_idx(list, i), *lines;

        if (!json_object_object_get_ex(dep, "lines", &lines))
            continue;
        for (j = 0; j < json_object_array_length(lines); j++)
            if (!strcmp(it_jstr(json_object_array_get_idx(lines, j), "order_id"), order_id))
                found = json_object_get(dep);
    }
    json_object_put(r);
    return found;
}

/* Waits until the sandbox has no notification left to deliver. */
static int wait_delivered(int seconds)
{
    int i;

    for (i = 0; i < seconds * 10; i++) {
        json_object *r = it_admin("notifications", 0), *list;
        size_t k, pending = 0;
        struct timespec ts = {0, 100 * 1000000L};

        if (r && json_object_object_get_ex(r, "notifications", &list))
            for (k = 0; k < json_object_array_length(list); k++)
                pending +=
                    !strcmp(it_jstr(json_object_array_get_idx(list, k), "delivery"), "pending");
        json_object_put(r);
        if (!pending)
            return 1;
        nanosleep(&ts, NULL);
    }
    return 0;
}

static void a_sandbox_that_notifies(void)
{
    char url[64], port[16];
    const char *extra[] = {
        "--notify-url", url, "--notify-interval", "1", "--notify-retries", "5", NULL};
    pmp_error err;
    int p = it_receiver_start();

    CU_ASSERT_FATAL(p > 0);
    snprintf(port, sizeof(port), "%d", p);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s/notify", port);
    CU_ASSERT_EQUAL_FATAL(it_sandbox_start(&g_sb, "month", extra), 0);
    g_ctx = it_ctx_open(it_ctx_yaml(&g_sb, ""), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g_ctx);
    it_receiver_serve(g_ctx);
    it_use(&g_sb, g_ctx);
    g_ready = 1;
    set_clock("2099-01-05T10:00:00");
}

static void buyers(void)
{
    static const char *const emails[] = {"montha", "monthb+paylate10", "monthc+paynever", "monthd"};
    int i;

    for (i = 0; i < 4; i++) {
        json_object *d;

        it_id(i == 3 ? "MD" : i == 2 ? "MC" : i == 1 ? "MB" : "MA", g_buyer[i], sizeof(g_buyer[i]));
        d = it_ok(
            "enroll",
            it_fmt("{\"buyer_id\":\"%s\",\"company_name\":\"株式会社月末商事\","
                   "\"company_name_kana\":\"カブシキガイシャゲツマツショウジ\","
                   "\"zip_code\":\"1500002\",\"prefecture\":\"東京都\",\"address1\":\"渋谷区\","
                   "\"address2\":\"1-2-3\",\"tel\":\"03-1234-5678\","
                   "\"email\":\"%s@example.jp\",\"closing_day\":\"%s\"}",
                   g_buyer[i], emails[i], i == 3 ? "20" : ""),
            status, sizeof(status));
        CU_ASSERT_STRING_EQUAL(status, "approved");
        json_object_put(d);
    }
}

static void january(void)
{
    size_t i;

    /* make the first delivery of A2's sale fail: the gateway must resend */
    it_receiver_refuse("", 0);
    for (i = 0; i < sizeof(g_jan) / sizeof(g_jan[0]); i++) {
        if (!strcmp(g_jan[i].id_prefix, "A2")) {
            it_id("A2", g_jan[i].id, sizeof(g_jan[i].id));
            it_receiver_refuse(g_jan[i].id, 1);
            /* place() mints a new ID; keep this one */
            {
                month_order tmp = g_jan[i];
                json_object *d = it_ok(
                    "authorize",
                    it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":%d,\"tax\":%d}",
                           tmp.id, buyer_id(tmp.buyer), tmp.amount, tmp.tax),
                    status, sizeof(status));
                json_object *s;

                json_object_put(d);
                d = it_ok("capture",
                          it_fmt("{\"order_id\":\"%s\",\"fixed_at\":\"%s\"}", tmp.id, tmp.fixed_at),
                          status, sizeof(status));
                if (json_object_object_get_ex(d, "settlement", &s) && s)
                    snprintf(g_jan[i].deposit, sizeof(g_jan[i].deposit), "%s",
                             it_jstr(s, "expected_deposit_date"));
                json_object_put(d);
            }
            continue;
        }
        place(&g_jan[i]);
    }
    /* A3 is cancelled before shipping: never invoiced, line released */
    json_object_put(
        it_ok("void", it_fmt("{\"order_id\":\"%s\"}", g_jan[2].id), status, sizeof(status)));
    CU_ASSERT_STRING_EQUAL(status, "voided");
    CU_ASSERT_EQUAL(rest_of(buyer_id("A"), status, sizeof(status)), 1000000 - 165000);
    /* the plugin's forecasts */
    CU_ASSERT_STRING_EQUAL(g_jan[0].deposit, "2099-03-05");
    CU_ASSERT_STRING_EQUAL(g_jan[5].deposit, "2099-03-05"); /* D1: closed Jan 20 */
    CU_ASSERT_STRING_EQUAL(g_jan[6].deposit, "2099-04-06"); /* D2: closed Feb 20, Apr 5 a Sunday */
}

static void check_invoice(const char *buyer, size_t index, int64_t total, const char *issue,
                          const char *due, size_t nlines)
{
    json_object *list = invoices(buyer), *inv, *lines;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    CU_ASSERT_TRUE_FATAL(json_object_array_length(list) > index);
    inv = json_object_array_get_idx(list, index);
    if (it_jint(inv, "total") != total)
        fprintf(stderr, "\n    invoice %s of %s: total %lld, want %lld\n",
                it_jstr(inv, "invoice_id"), buyer, (long long)it_jint(inv, "total"),
                (long long)total);
    CU_ASSERT_EQUAL(it_jint(inv, "total"), total);
    CU_ASSERT_STRING_EQUAL(it_jstr(inv, "issue_date"), issue);
    CU_ASSERT_STRING_EQUAL(it_jstr(inv, "due_date"), due);
    CU_ASSERT_TRUE(json_object_object_get_ex(inv, "lines", &lines));
    CU_ASSERT_EQUAL(json_object_array_length(lines), nlines);
    json_object_put(list);
}

static void january_closing_and_invoices(void)
{
    set_clock("2099-02-02T00:00:00");
    check_invoice(buyer_id("A"), 0, 165000, "2099-02-01", "2099-02-28", 2);
    check_invoice(buyer_id("B"), 0, 220000, "2099-02-01", "2099-02-28", 1);
    check_invoice(buyer_id("C"), 0, 88000, "2099-02-01", "2099-02-28", 1);
    check_invoice(buyer_id("D"), 0, 44000, "2099-01-21", "2099-02-28", 1);
    /* the line is held until the buyer pays, not released at shipping */
    CU_ASSERT_EQUAL(rest_of(buyer_id("B"), status, sizeof(status)), 1000000 - 220000);
}

static void february(void)
{
    json_object *d;

    /* A returns a January sale after it was invoiced: an adjustment */
    d = it_ok("refund", it_fmt("{\"order_id\":\"%s\"}", g_jan[0].id), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "refunded");
    json_object_put(d);
    place(&g_a4);
    CU_ASSERT_STRING_EQUAL(g_a4.deposit, "2099-04-06");
}

static void due_date_payments_and_suspension(void)
{
    char order[40];
    json_object *d, *decline, *b;

    set_clock("2099-03-01T00:30:00");
    /* A paid on time: only A4 holds the line (A1 returned, A2 paid) */
    CU_ASSERT_EQUAL(rest_of(buyer_id("A"), status, sizeof(status)), 1000000 - 22000);
    CU_ASSERT_STRING_EQUAL(status, "approved");
    /* B (late) and C (never) are overdue: suspended, no new orders */
    rest_of(buyer_id("B"), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "suspended");
    rest_of(buyer_id("C"), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "suspended");
    it_id("B2", order, sizeof(order));
    d = it_ok(
        "authorize",
        it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000}", order, buyer_id("B")),
        status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "declined");
    CU_ASSERT_TRUE(json_object_object_get_ex(d, "decline", &decline));
    CU_ASSERT_STRING_EQUAL(it_jstr(decline, "reason"), "buyer_not_approved");
    json_object_put(d);
    /* A's February invoice: A4 less the return is a credit */
    check_invoice(buyer_id("A"), 1, 22000 - 110000, "2099-03-01", "2099-03-31", 2);
    b = it_admin(it_fmt("buyers/%s", buyer_id("C")), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_TRUE(it_jbool(b, "overdue"));
    json_object_put(b);
}

static void january_deposits(void)
{
    json_object *dep;
    size_t i;

    set_clock("2099-03-06T00:00:00");
    /* every January sale is paid out in full on the forecast date, C's too */
    for (i = 0; i < sizeof(g_jan) / sizeof(g_jan[0]); i++) {
        if (!g_jan[i].fixed_at || !strcmp(g_jan[i].id_prefix, "D2"))
            continue;
        dep = deposit_of(g_jan[i].id);
        CU_ASSERT_PTR_NOT_NULL_FATAL(dep);
        CU_ASSERT_STRING_EQUAL(it_jstr(dep, "deposit_date"), g_jan[i].deposit);
        CU_ASSERT_STRING_EQUAL(it_jstr(dep, "state"), "paid");
        if (!strcmp(g_jan[i].id_prefix, "A1")) /* month-end statement: A + B + C */
            CU_ASSERT_EQUAL(it_jint(dep, "total"), 165000 + 220000 + 88000);
        if (!strcmp(g_jan[i].id_prefix, "D1")) /* 20th-closing statement */
            CU_ASSERT_EQUAL(it_jint(dep, "total"), 44000);
        json_object_put(dep);
    }
}

static void late_payment_restores_the_buyer(void)
{
    json_object *b;

    set_clock("2099-03-12T00:00:00");
    CU_ASSERT_EQUAL(rest_of(buyer_id("B"), status, sizeof(status)), 1000000);
    CU_ASSERT_STRING_EQUAL(status, "approved");
    b = it_admin(it_fmt("buyers/%s", buyer_id("C")), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(it_jstr(b, "dunning_step"), "second_reminder");
    json_object_put(b);
}

static void february_deposits_and_collection(void)
{
    json_object *dep, *b;

    set_clock("2099-04-07T00:00:00");
    dep = deposit_of(g_a4.id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dep);
    CU_ASSERT_STRING_EQUAL(it_jstr(dep, "deposit_date"), g_a4.deposit);
    /* the return after January's invoice is deducted from this deposit */
    CU_ASSERT_EQUAL(it_jint(dep, "sales"), 22000);
    CU_ASSERT_EQUAL(it_jint(dep, "deductions"), 110000);
    CU_ASSERT_EQUAL(it_jint(dep, "total"), 22000 - 110000);
    json_object_put(dep);
    dep = deposit_of(g_jan[6].id); /* D2, closed on the 20th of February */
    CU_ASSERT_PTR_NOT_NULL_FATAL(dep);
    CU_ASSERT_STRING_EQUAL(it_jstr(dep, "deposit_date"), g_jan[6].deposit);
    CU_ASSERT_EQUAL(it_jint(dep, "total"), 11000);
    json_object_put(dep);
    b = it_admin(it_fmt("buyers/%s", buyer_id("C")), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_STRING_EQUAL(it_jstr(b, "dunning_step"), "collection");
    json_object_put(b);
}

static void every_notification(void)
{
    it_delivery d[8];
    size_t i;
    int n;

    CU_ASSERT_TRUE_FATAL(wait_delivered(30));
    /* every sale was notified, confirmed and answered "0" */
    for (i = 0; i < sizeof(g_jan) / sizeof(g_jan[0]); i++) {
        if (!g_jan[i].fixed_at)
            continue;
        n = it_receiver_seen(g_jan[i].id, NULL, d, 8);
        CU_ASSERT_TRUE(n >= 1);
    }
    CU_ASSERT_TRUE(it_receiver_seen(g_jan[2].id, "voided", d, 8) >= 1);
    CU_ASSERT_TRUE(it_receiver_seen(g_jan[0].id, "refunded", d, 8) >= 1);
    /* A2's sale was refused once, resent byte-identical, then acknowledged */
    n = it_receiver_seen(g_jan[1].id, NULL, d, 8);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(d[0].answered, '1');
    CU_ASSERT_EQUAL(d[1].answered, '0');
    CU_ASSERT_STRING_EQUAL(d[0].event_key, d[1].event_key);
    {
        json_object *r = it_admin(it_fmt("notifications?order_id=%s", g_jan[1].id), 0), *list, *x;

        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        json_object_object_get_ex(r, "notifications", &list);
        x = json_object_array_get_idx(list, 0);
        CU_ASSERT_EQUAL(it_jint(x, "attempts"), 2);
        CU_ASSERT_TRUE(it_jbool(x, "acknowledged"));
        json_object_put(r);
    }
    /* a duplicate delivery has the same event key */
    {
        json_object *r = it_admin(it_fmt("notifications?order_id=%s", g_jan[3].id), 0), *list;
        int before = it_receiver_seen(g_jan[3].id, NULL, NULL, 0);
        int64_t id;

        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        json_object_object_get_ex(r, "notifications", &list);
        id = it_jint(json_object_array_get_idx(list, 0), "id");
        json_object_put(r);
        json_object_put(it_admin(it_fmt("notifications/%lld/resend", (long long)id), 1));
        CU_ASSERT_TRUE(wait_delivered(10));
        for (i = 0; i < 50 && it_receiver_seen(g_jan[3].id, NULL, NULL, 0) == before; i++)
            usleep(100000);
        n = it_receiver_seen(g_jan[3].id, NULL, d, 8);
        CU_ASSERT_EQUAL_FATAL(n, before + 1);
        CU_ASSERT_STRING_EQUAL(d[n - 1].event_key, d[0].event_key);
    }
    /* every delivery was confirmed by notify(); a later state makes older
     * notifications stale, which notify() reports instead of applying */
    n = it_receiver_seen(NULL, NULL, NULL, 0);
    {
        it_delivery all[256];
        int k, m = it_receiver_seen(NULL, NULL, all, 256);

        for (k = 0; k < m && k < 256; k++)
            CU_ASSERT_EQUAL(all[k].rc, PMP_OK);
    }
    CU_ASSERT_TRUE(n >= 9);
}

static void a_forged_notification(void)
{
    /* C1 claims to be returned; the gateway says captured */
    const char *body = it_fmt(
        "ShopID=tshop00000001&ShopPass=**********&AccessID=&AccessPass=&OrderID=%s&Status=RETURN&"
        "JobCd=RETURN&Amount=80000&Tax=8000&Currency=JPN&PayType=29&TranDate=20990301000000&"
        "ErrCode=&ErrInfo=&PaidBuyerID=%s&PaidCode=&PaidCancelAmount=80000&PaidCancelTax=8000",
        g_jan[4].id, buyer_id("C"));
    pmp_result *res = NULL;
    pmp_error err;
    json_object *d;

    CU_ASSERT_EQUAL_FATAL(it_notify_ctx(g_ctx, body, strlen(body), NULL, &res, &err), PMP_OK);
    d = json_tokener_parse(it.api->result_json(res, NULL));
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "captured");
    CU_ASSERT_FALSE(it_jbool(d, "matches_gateway"));
    json_object_put(d);
    it.api->result_free(res);
}

static void back_to_the_shared_sandbox(void)
{
    it_use_main();
    if (g_ready) {
        it_receiver_stop();
        it.api->shutdown(g_ctx);
        it_sandbox_stop(&g_sb);
    }
}

static const test_case cases[] = {
    {"a sandbox that sends notifications to the host", a_sandbox_that_notifies},
    {"four buyers: on time, late, never, 20th closing", buyers},
    {"January: sales, a cancel, the plugin's forecasts", january},
    {"January's closing: one invoice per buyer", january_closing_and_invoices},
    {"February: a return after invoicing, a new sale", february},
    {"due date: payments, overdue buyers suspended", due_date_payments_and_suspension},
    {"March 5: January paid out in full, C's unpaid sale too", january_deposits},
    {"a late payment restores the buyer; dunning goes on for C", late_payment_restores_the_buyer},
    {"April 6: February's deposit less the return; C in collection",
     february_deposits_and_collection},
    {"every notification delivered, confirmed, resent, deduplicated", every_notification},
    {"a forged notification", a_forged_notification},
    {"back to the shared sandbox", back_to_the_shared_sandbox},
    {NULL, NULL},
};

const test_suite it_suite_month = {"month", cases, NULL, NULL};
