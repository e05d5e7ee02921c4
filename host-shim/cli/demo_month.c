/*
 * demo_month.c - steps 11-20 of pmp-host demo: Paid's month after the sale.
 *
 * A second sandbox (fresh database) sends its result notifications to a
 * receiver inside this process (receiver.c, the same code as `pmp-host
 * receive`), and its virtual clock is set to February 2099 so that every
 * date below is fixed: the clock only moves forward, and a calendar this
 * far ahead is never overtaken by real time. In it:
 *
 *   - two buyers: DEMO-BUYER-3 pays on time, DEMO-BUYER-4 never pays
 *     (payment test value "paynever" in its e-mail address);
 *   - four orders on 2 February; three ship on 10 February (the plugin
 *     forecasts their deposit), one is cancelled, one returned; each change
 *     arrives as a notification that notify() confirms, the host stores and
 *     answers "0"; a resent duplicate is answered but not stored twice;
 *   - the month closes (28 February, 24:00): one invoice per buyer;
 *   - 31 March, the due date: DEMO-BUYER-3 pays, its line is released;
 *   - 1 April: DEMO-BUYER-4 is overdue, suspended (no new orders) and
 *     reminded;
 *   - 6 April (5 April is a Sunday): the merchant is paid every fixed sale
 *     of February in full, DEMO-BUYER-4's unpaid one included, on the date
 *     the plugin forecast at shipping;
 *   - dunning goes on to collection.
 */
#include "demo.h"
#include "receiver.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MONTH_EVENTS_MAX 64
#define MONTH_WAIT_MS 15000

#define BUYER_PAYS "DEMO-BUYER-3"
#define BUYER_NEVER "DEMO-BUYER-4"
#define MONTH_LINE 1000000LL

/* The calendar (2099): February's sales close on Saturday the 28th at
 * 24:00, are invoiced on Sunday 1 March, due Tuesday 31 March, and paid out
 * on the 5th of April, a Sunday, so on Monday 6 April. */
#define T_START "2099-02-02T10:00:00"
#define T_SHIP "2099-02-10T14:00:00"
#define D_SHIP "2099-02-10"
#define T_CHANGES "2099-02-12T11:00:00"
#define T_BEFORE_CLOSE "2099-02-28T23:00:00"
#define D_PERIOD_FROM "2099-02-01"
#define D_PERIOD_TO "2099-02-28"
#define D_ISSUE "2099-03-01"
#define D_DUE "2099-03-31"
#define T_DUE_PAID "2099-03-31T13:00:00"
#define T_OVERDUE "2099-04-01T10:00:00"
#define D_DEPOSIT "2099-04-06"
#define T_DEPOSIT "2099-04-06T10:00:00"
#define T_COLLECTION "2099-05-01T10:00:00"

/* The orders of the month. */
enum { M_COPY, M_TONER, M_PRINTER, M_DESKS, M_REFUSED, M_ORDERS };

typedef struct month_order {
    const char *buyer;
    long long amount;
    long long tax;
    const char *contents;
} month_order;

static const month_order orders[M_ORDERS] = {
    {BUYER_PAYS, 100000, 10000, "コピー用紙 A4 10箱"}, {BUYER_PAYS, 30000, 3000, "トナー 3本"},
    {BUYER_PAYS, 50000, 5000, "プリンター 1台"},       {BUYER_NEVER, 80000, 8000, "事務机 2台"},
    {BUYER_NEVER, 10000, 1000, "ボールペン 100本"},
};

/* One event as the demo's host handler stored it. */
typedef struct month_event {
    char key[65];
    char order_id[40];
    char status[24];   /* the order's state (the gateway's record) */
    char notified[24]; /* the literal the notification claimed */
    char process_date[24];
    int apply;
    int matches;
    int confirmed;
} month_event;

struct demo_month {
    host_sandbox sb;
    pmp_loader_ctx *lctx;
    host_admin *admin;
    host_receiver *receiver;
    pthread_mutex_t lock; /* guards events: the receiver's thread adds to it */
    int lock_ready;
    month_event events[MONTH_EVENTS_MAX];
    int nevents;
    char oid[M_ORDERS][40];
    char forecast[16]; /* the plugin's expected_deposit_date at shipping */
};

/* ------------------------------------------------------------------------
 * The demo's host handler: keep the event in memory (a real host writes it
 * to its database here, in one transaction with the key).
 * ---------------------------------------------------------------------- */

static void copy_str(char *dst, size_t size, const char *src)
{
    (void)snprintf(dst, size, "%s", src != NULL ? src : "");
}

static int month_store(void *user, const host_notification *n, char *msg, size_t msg_size)
{
    demo_month *m = user;
    month_event *e;

    pthread_mutex_lock(&m->lock);
    if (m->nevents >= MONTH_EVENTS_MAX) {
        pthread_mutex_unlock(&m->lock);
        (void)snprintf(msg, msg_size, "the demo's store is full");
        return -1;
    }
    e = &m->events[m->nevents];
    copy_str(e->key, sizeof(e->key), n->event_key);
    copy_str(e->order_id, sizeof(e->order_id), n->order_id);
    copy_str(e->status, sizeof(e->status), n->status);
    copy_str(e->notified, sizeof(e->notified), n->notified_status);
    copy_str(e->process_date, sizeof(e->process_date), n->process_date);
    e->apply = n->apply;
    e->matches = n->matches_gateway;
    e->confirmed = n->confirmed;
    m->nevents++;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)nanosleep(&ts, NULL);
}

/* The stored event for order whose notification claimed literal; copies it
 * to out. Returns 1 found, 0 not. */
static int find_event(demo_month *m, const char *order, const char *literal, month_event *out,
                      int *count)
{
    int i;
    int found = 0;

    pthread_mutex_lock(&m->lock);
    if (count != NULL)
        *count = 0;
    for (i = 0; i < m->nevents; i++) {
        if (strcmp(m->events[i].order_id, order) != 0 ||
            strcmp(m->events[i].notified, literal) != 0)
            continue;
        if (!found && out != NULL)
            *out = m->events[i];
        found = 1;
        if (count != NULL)
            (*count)++;
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

/* Waits for the notification of order/literal to be stored and prints it.
 * Returns 0, or -1 after recording a failure. */
static int expect_notification(demo *d, int which, const char *literal, const char *status)
{
    demo_month *m = d->month;
    const char *oid = m->oid[which];
    month_event e;
    int waited = 0;

    while (!find_event(m, oid, literal, &e, NULL)) {
        if (*d->cancel != 0 || waited >= MONTH_WAIT_MS) {
            demo_fail(d, "no %s notification for %s reached the receiver within %d s", literal, oid,
                      MONTH_WAIT_MS / 1000);
            return -1;
        }
        sleep_ms(50);
        waited += 50;
    }
    (void)fprintf(d->out,
                  "    %snotified%s  %-22s %-6s -> %-9s %s  key %.10s..  %s, answered \"0\"\n",
                  demo_dim(d), demo_off(d), oid, literal, e.status, e.process_date, e.key,
                  e.apply ? "stored, applied" : "stored, not newer");
    if (strcmp(e.status, status) != 0)
        demo_fail(d, "the %s notification of %s gave status %s, expected %s", literal, oid,
                  e.status, status);
    else if (!e.confirmed || e.matches != 1)
        demo_fail(d, "the %s notification of %s was not confirmed by the gateway", literal, oid);
    else if (!e.apply)
        demo_fail(d, "the %s notification of %s should be newer than what the host had", literal,
                  oid);
    return d->failure[0] == '\0' ? 0 : -1;
}

/* GET (or POST) on the month's sandbox admin API; NULL after a failure. */
static json_object *admin(demo *d, const char *method, const char *path)
{
    json_object *doc = NULL;
    char msg[600];

    if (host_admin_call(d->month->admin, method, path, &doc, msg, sizeof(msg)) != 0) {
        demo_fail(d, "sandbox admin: %s", msg);
        return NULL;
    }
    return doc;
}

/* The first element of <list> in the admin answer doc. Borrowed. */
static json_object *first_of(json_object *doc, const char *list)
{
    json_object *arr = demo_jget(doc, list);

    if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) == 0)
        return NULL;
    return json_object_array_get_idx(arr, 0);
}

static size_t count_of(json_object *doc, const char *list)
{
    json_object *arr = demo_jget(doc, list);

    return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

/* Moves the sandbox's clock ("set" to a time, or "advance" by hours) and
 * prints the events it ran. Returns the number of events, -1 on failure. */
static int move_clock(demo *d, const char *action, const char *value)
{
    char path[128];
    json_object *doc;
    const char *now;
    int n;

    if (strcmp(action, "set") == 0)
        (void)snprintf(path, sizeof(path), "_sandbox/clock/set?to=%s", value);
    else
        (void)snprintf(path, sizeof(path), "_sandbox/clock/advance?hours=%s", value);
    doc = admin(d, "POST", path);
    if (doc == NULL)
        return -1;
    now = demo_jstr(doc, "now");
    /* A set lands exactly there (the clock then runs on with real time). */
    if (strcmp(action, "set") == 0 && (now == NULL || strcmp(now, value) != 0))
        demo_fail(d, "clock set %s: the sandbox says it is %s", value, now != NULL ? now : "?");
    (void)fprintf(d->out, "  %sclock %s%s %s%s  ->  now %s JST\n", demo_bold(d), action,
                  demo_off(d), value, strcmp(action, "set") == 0 ? "" : "h",
                  now != NULL ? now : "?");
    n = host_clock_print_events(d->out, doc, "    ");
    if (n == 0)
        (void)fprintf(d->out, "    (no event was due)\n");
    json_object_put(doc);
    return d->failure[0] == '\0' ? n : -1;
}

static long long rest_of(demo *d, const char *buyer, const char *want_status)
{
    static const char *const keys[] = {"gateway_buyer_status", "rest_amount", NULL};
    json_object *res;
    long long rest = -1;

    res = demo_run(d, "payer_status", d->api->payer_status, demo_payer_request(buyer, 0), keys);
    if (res == NULL)
        return -1;
    demo_expect_str(d, res, "status", want_status);
    if (demo_jint(res, "rest_amount", &rest) != 0)
        rest = strcmp(want_status, "approved") == 0 ? -1 : 0;
    json_object_put(res);
    return rest;
}

/* The invoice of buyer (there is one per buyer this month); caller puts. */
static json_object *invoice_of(demo *d, const char *buyer)
{
    char path[96];
    json_object *doc;
    json_object *inv;

    (void)snprintf(path, sizeof(path), "_sandbox/invoices?buyer_id=%s", buyer);
    doc = admin(d, "GET", path);
    if (doc == NULL)
        return NULL;
    if (count_of(doc, "invoices") != 1) {
        demo_fail(d, "expected one invoice for %s, the sandbox has %zu", buyer,
                  count_of(doc, "invoices"));
        json_object_put(doc);
        return NULL;
    }
    inv = json_object_get(first_of(doc, "invoices"));
    json_object_put(doc);
    return inv;
}

static void print_invoice(demo *d, json_object *inv)
{
    json_object *lines = demo_jget(inv, "lines");
    long long v = 0;
    char y1[32];
    char y2[32];
    char y3[32];
    size_t i;
    size_t n = json_object_is_type(lines, json_type_array) ? json_object_array_length(lines) : 0;

    (void)fprintf(d->out, "    invoice %s  %s  period %s..%s  issued %s  due %s\n",
                  demo_jstr(inv, "invoice_id"), demo_jstr(inv, "buyer_id"),
                  demo_jstr(inv, "period_start"), demo_jstr(inv, "period_end"),
                  demo_jstr(inv, "issue_date"), demo_jstr(inv, "due_date"));
    for (i = 0; i < n; i++) {
        json_object *l = json_object_array_get_idx(lines, i);
        long long a = 0;
        long long t = 0;
        long long tot = 0;

        (void)demo_jint(l, "amount", &a);
        (void)demo_jint(l, "tax", &t);
        (void)demo_jint(l, "total", &tot);
        (void)fprintf(d->out, "      %-22s %-6s %s  %9s + %7s = %9s\n", demo_jstr(l, "order_id"),
                      demo_jstr(l, "kind"), demo_jstr(l, "date"), host_fmt_yen(a, y1, sizeof(y1)),
                      host_fmt_yen(t, y2, sizeof(y2)), host_fmt_yen(tot, y3, sizeof(y3)));
    }
    (void)demo_jint(inv, "total", &v);
    (void)fprintf(d->out, "      total %s JPY, state %s", host_fmt_yen(v, y1, sizeof(y1)),
                  demo_jstr(inv, "state"));
    if (demo_jint(inv, "outstanding", &v) == 0 && v > 0)
        (void)fprintf(d->out, ", outstanding %s", host_fmt_yen(v, y1, sizeof(y1)));
    if (demo_jstr(inv, "dunning_step") != NULL && demo_jstr(inv, "dunning_step")[0] != '\0')
        (void)fprintf(d->out, ", dunning step %s", demo_jstr(inv, "dunning_step"));
    (void)fprintf(d->out, "\n");
}

/* Whether every notification the sandbox made was acknowledged with "0";
 * waits a little for the last answers to be recorded. Returns the number
 * of notifications, or -1 after recording a failure. */
static int all_acknowledged(demo *d)
{
    int waited = 0;

    for (;;) {
        json_object *doc = admin(d, "GET", "_sandbox/notifications");
        size_t i;
        size_t n;
        const char *bad = NULL;
        char bad_order[40] = "";

        if (doc == NULL)
            return -1;
        n = count_of(doc, "notifications");
        for (i = 0; i < n && bad == NULL; i++) {
            json_object *x = json_object_array_get_idx(demo_jget(doc, "notifications"), i);

            if (demo_jbool(x, "acknowledged") != 1) {
                bad = demo_jstr(x, "delivery");
                copy_str(bad_order, sizeof(bad_order), demo_jstr(x, "order_id"));
                if (bad == NULL)
                    bad = "?";
            }
        }
        if (bad == NULL) {
            json_object_put(doc);
            return (int)n;
        }
        if (*d->cancel != 0 || waited >= MONTH_WAIT_MS) {
            demo_fail(d, "the sandbox's notification for %s is '%s', not acknowledged", bad_order,
                      bad);
            json_object_put(doc);
            return -1;
        }
        json_object_put(doc);
        sleep_ms(100);
        waited += 100;
    }
}

/* ------------------------------------------------------------------------
 * The steps
 * ---------------------------------------------------------------------- */

static const char *const k_order[] = {"amount", "tax", "gateway_status", "decline.reason", NULL};
static const char *const k_buyer[] = {"paid_id", "gateway_buyer_status", NULL};

static int step_setup(demo *d)
{
    demo_month *m = d->month;
    host_receiver_config rcfg;
    pmp_loader_ctx_options copts;
    pmp_error err;
    char config_path[PATH_MAX];
    char msg[768];
    const char *extra[7];
    json_object *doc;
    int32_t rc;

    demo_headline(d, "Paid's month: a sandbox that sends result notifications to this program");
    /* Part one's sandbox is done with; its context stays open, unused. */
    host_admin_close(d->admin);
    d->admin = NULL;
    demo_sandbox_stop(d->sale_sandbox);
    d->compact = 1;

    memset(&rcfg, 0, sizeof(rcfg));
    rcfg.bind = "127.0.0.1";
    rcfg.handler = month_store;
    rcfg.user = m;
    if (host_receiver_start(&rcfg, &m->receiver, msg, sizeof(msg)) != 0) {
        demo_fail(d, "receiver: %s", msg);
        return demo_verdict(d, "");
    }
    extra[0] = "--notify-url";
    extra[1] = host_receiver_url(m->receiver);
    extra[2] = "--notify-interval";
    extra[3] = "1";
    extra[4] = "--notify-retries";
    extra[5] = "5";
    extra[6] = NULL;
    if (host_sandbox_start_ex(&m->sb, d->sandbox_path, d->workdir, "month", extra,
                              DEMO_READY_TIMEOUT_MS, d->cancel, msg, sizeof(msg)) != 0) {
        demo_fail(d, "sandbox %s: %s", d->sandbox_path, msg);
        return demo_verdict(d, "");
    }
    if (demo_write_config(d->workdir, "month-config.yaml", &m->sb, d->log_level, config_path,
                          sizeof(config_path), msg, sizeof(msg)) != 0) {
        demo_fail(d, "%s", msg);
        return demo_verdict(d, "");
    }
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    memset(&copts, 0, sizeof(copts));
    copts.struct_size = sizeof(copts);
    copts.log_level = d->log_level;
    rc = pmp_loader_ctx_open(d->loader, config_path, &copts, &m->lctx, &err);
    if (rc != PMP_OK) {
        demo_fail(d, "init: %s: %s", d->api->strerror(rc), err.message);
        return demo_verdict(d, "");
    }
    d->ctx = pmp_loader_ctx_get(m->lctx);
    /* The same context checks the notifications: notify() confirms each
     * one with SearchTradeMulti against this sandbox. */
    host_receiver_attach(m->receiver, d->api, d->ctx);
    if (host_admin_open(m->sb.url, m->sb.ca_file, &m->admin, msg, sizeof(msg)) != 0) {
        demo_fail(d, "sandbox admin: %s", msg);
        return demo_verdict(d, "");
    }
    (void)fprintf(d->out, "  receiver  %s  (in this process: notify(), store, then answer \"0\")\n",
                  host_receiver_url(m->receiver));
    (void)fprintf(d->out, "  sandbox   %s  (pid %ld) --notify-url %s --notify-interval 1\n",
                  m->sb.url, (long)m->sb.pid, host_receiver_url(m->receiver));
    (void)fprintf(d->out, "  config    %s\n", config_path);

    doc = admin(d, "GET", "_sandbox/clock");
    if (doc != NULL)
        (void)fprintf(d->out,
                      "  the sandbox's virtual clock reads %s; the month is told on a "
                      "fixed calendar in 2099:\n",
                      demo_jstr(doc, "now") != NULL ? demo_jstr(doc, "now") : "?");
    json_object_put(doc);
    (void)move_clock(d, "set", T_START);
    return demo_verdict(d, "notifications come here; it is Monday 2 February 2099 at the sandbox");
}

static int step_buyers(demo *d)
{
    static const struct {
        const char *id, *company, *kana, *email, *payment;
    } buyers[2] = {
        {BUYER_PAYS, "株式会社月末商事", "カブシキガイシャゲツマツショウジ", "month@example.jp",
         "pay_ontime"},
        {BUYER_NEVER, "株式会社未払物産", "カブシキガイシャミバライブッサン", "paynever@example.jp",
         "paynever"},
    };
    char path[96];
    size_t i;

    demo_headline(d, "Two buyers: %s pays on time, %s never pays (paynever@...)", BUYER_PAYS,
                  BUYER_NEVER);
    for (i = 0; i < 2 && d->failure[0] == '\0'; i++) {
        json_object *res = demo_run(
            d, "enroll", d->api->enroll,
            demo_enroll_request(buyers[i].id, buyers[i].company, buyers[i].kana, buyers[i].email),
            k_buyer);
        json_object *b;

        if (res != NULL)
            demo_expect_str(d, res, "status", "approved");
        json_object_put(res);
        if (d->failure[0] != '\0')
            break;
        (void)snprintf(path, sizeof(path), "_sandbox/buyers/%s", buyers[i].id);
        b = admin(d, "GET", path);
        if (b != NULL) {
            (void)fprintf(d->out, "    the sandbox's payment test value: %s\n",
                          demo_jstr(b, "payment") != NULL ? demo_jstr(b, "payment") : "?");
            demo_expect_str(d, b, "payment", buyers[i].payment);
        }
        json_object_put(b);
    }
    return demo_verdict(d,
                        "both approved with a 1,000,000 JPY line; how each pays is a test value");
}

static int step_orders_and_shipping(demo *d)
{
    static const char *const k_capture[] = {"amount", "tax", "fixed_at", NULL};
    demo_month *m = d->month;
    json_object *res;
    int i;

    demo_headline(d, "February: four orders; on the 10th three of them ship");
    for (i = 0; i < M_REFUSED && d->failure[0] == '\0'; i++) {
        demo_order_id(d, 11 + i, m->oid[i], sizeof(m->oid[i]));
        res = demo_run(d, "authorize", d->api->authorize,
                       demo_authorize_request(m->oid[i], orders[i].buyer, orders[i].amount,
                                              orders[i].tax, orders[i].contents),
                       k_order);
        if (res != NULL)
            demo_expect_str(d, res, "status", "authorized");
        json_object_put(res);
    }
    demo_order_id(d, 11 + M_REFUSED, m->oid[M_REFUSED], sizeof(m->oid[M_REFUSED]));
    if (d->failure[0] != '\0' || move_clock(d, "set", T_SHIP) < 0)
        return demo_verdict(d, "");

    for (i = 0; i < M_REFUSED && d->failure[0] == '\0'; i++) {
        json_object *req;
        const char *dep;

        if (i == M_TONER)
            continue; /* cancelled before shipping, in the next step */
        req = demo_order_request(m->oid[i]);
        if (req != NULL)
            demo_req_str(req, "fixed_at", D_SHIP);
        res = demo_run(d, "capture", d->api->capture, req, k_capture);
        if (res == NULL)
            break;
        demo_expect_str(d, res, "status", "captured");
        demo_expect_str(d, res, "settlement.period_from", D_PERIOD_FROM);
        demo_expect_str(d, res, "settlement.period_to", D_PERIOD_TO);
        demo_expect_str(d, res, "settlement.invoice_due_date", D_DUE);
        dep = demo_jstr(res, "settlement.expected_deposit_date");
        if (dep != NULL && m->forecast[0] == '\0') {
            copy_str(m->forecast, sizeof(m->forecast), dep);
            (void)fprintf(d->out,
                          "    the plugin's forecast: closing period %s..%s, invoice due %s, "
                          "deposit %s\n",
                          demo_jstr(res, "settlement.period_from"),
                          demo_jstr(res, "settlement.period_to"),
                          demo_jstr(res, "settlement.invoice_due_date"), dep);
        }
        if (dep == NULL || strcmp(dep, m->forecast) != 0)
            demo_fail(d, "capture of %s forecast deposit %s, the first one %s", m->oid[i],
                      dep != NULL ? dep : "(none)", m->forecast);
        json_object_put(res);
    }
    if (d->failure[0] == '\0' && strcmp(m->forecast, D_DEPOSIT) != 0)
        demo_fail(d,
                  "the plugin forecast the deposit on %s; the rule (5th of the month after "
                  "next, Sunday moved to Monday) gives %s",
                  m->forecast, D_DEPOSIT);
    return demo_verdict(d, "sales fixed on 10 February; the plugin expects the money on "
                           "Monday 6 April (5 April is a Sunday)");
}

static int step_sale_notifications(demo *d)
{
    demo_month *m = d->month;
    int n;

    demo_headline(d,
                  "The gateway notifies each sale; the receiver confirms, stores, answers \"0\"");
    if (expect_notification(d, M_COPY, "SALES", "captured") == 0 &&
        expect_notification(d, M_PRINTER, "SALES", "captured") == 0)
        (void)expect_notification(d, M_DESKS, "SALES", "captured");
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    n = all_acknowledged(d);
    if (n >= 0)
        (void)fprintf(d->out,
                      "    the sandbox: %d notification%s sent, all acknowledged with "
                      "\"0\"\n",
                      n, n == 1 ? "" : "s");
    (void)m;
    return demo_verdict(d, "each notification checked by inquiry (SearchTradeMulti) before it "
                           "was stored");
}

static int step_cancel_return(demo *d)
{
    demo_month *m = d->month;
    host_receiver_stats before;
    host_receiver_stats after;
    json_object *doc;
    json_object *res;
    char path[96];
    long long id = 0;
    int count = 0;
    int waited = 0;

    demo_headline(d, "A cancel and a return, notified too; a resent duplicate is not stored twice");
    if (move_clock(d, "set", T_CHANGES) < 0)
        return demo_verdict(d, "");
    res = demo_run(d, "void", d->api->void_order, demo_order_request(m->oid[M_TONER]), k_order);
    if (res != NULL)
        demo_expect_str(d, res, "status", "voided");
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    res = demo_run(d, "refund", d->api->refund, demo_order_request(m->oid[M_PRINTER]), k_order);
    if (res != NULL)
        demo_expect_str(d, res, "status", "refunded");
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    if (expect_notification(d, M_TONER, "CANCEL", "voided") != 0 ||
        expect_notification(d, M_PRINTER, "RETURN", "refunded") != 0)
        return demo_verdict(d, "");

    /* Ask the sandbox to send the first sale's notification once more,
     * byte for byte, as a gateway does when an answer got lost. */
    (void)snprintf(path, sizeof(path), "_sandbox/notifications?order_id=%s", m->oid[M_COPY]);
    doc = admin(d, "GET", path);
    if (doc == NULL || demo_jint(first_of(doc, "notifications"), "id", &id) != 0) {
        demo_fail(d, "the sandbox has no notification for %s", m->oid[M_COPY]);
        json_object_put(doc);
        return demo_verdict(d, "");
    }
    json_object_put(doc);
    host_receiver_get_stats(m->receiver, &before);
    (void)snprintf(path, sizeof(path), "_sandbox/notifications/%lld/resend", id);
    doc = admin(d, "POST", path);
    json_object_put(doc);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    for (;;) {
        host_receiver_get_stats(m->receiver, &after);
        if (after.duplicates > before.duplicates)
            break;
        if (*d->cancel != 0 || waited >= MONTH_WAIT_MS) {
            demo_fail(d, "the resent notification did not reach the receiver");
            return demo_verdict(d, "");
        }
        sleep_ms(50);
        waited += 50;
    }
    (void)find_event(m, m->oid[M_COPY], "SALES", NULL, &count);
    (void)fprintf(d->out,
                  "    %sresent%s    %-22s SALES  -> answered \"0\" as a duplicate of a "
                  "stored event; events stored for it: %d\n",
                  demo_dim(d), demo_off(d), m->oid[M_COPY], count);
    if (count != 1 || after.handled != before.handled)
        demo_fail(d, "the duplicate was stored again (%d events for the key)", count);
    if (d->failure[0] == '\0' && all_acknowledged(d) < 0)
        return demo_verdict(d, "");
    return demo_verdict(d, "cancelled and returned orders are never billed; duplicates are "
                           "dropped by event_key");
}

static int step_closing(demo *d)
{
    demo_month *m = d->month;
    json_object *inv;
    char path[96];
    json_object *doc;
    const char *billed;
    int n;

    demo_headline(d, "The month closes (28 February, 24:00): one consolidated invoice per buyer");
    n = move_clock(d, "set", T_BEFORE_CLOSE);
    if (n < 0)
        return demo_verdict(d, "");
    (void)snprintf(path, sizeof(path), "_sandbox/invoices?buyer_id=%s", BUYER_PAYS);
    doc = admin(d, "GET", path);
    if (doc != NULL && count_of(doc, "invoices") != 0)
        demo_fail(d, "an invoice exists before the closing");
    json_object_put(doc);
    if (d->failure[0] != '\0' || move_clock(d, "advance", "11") < 0)
        return demo_verdict(d, "");

    inv = invoice_of(d, BUYER_PAYS);
    if (inv != NULL) {
        print_invoice(d, inv);
        demo_expect_int(d, inv, "total", 110000);
        demo_expect_str(d, inv, "issue_date", D_ISSUE);
        demo_expect_str(d, inv, "due_date", D_DUE);
        demo_expect_str(d, inv, "state", "issued");
        billed = count_of(inv, "lines") == 1
                     ? demo_jstr(json_object_array_get_idx(demo_jget(inv, "lines"), 0), "order_id")
                     : NULL;
        if (billed == NULL || strcmp(billed, m->oid[M_COPY]) != 0)
            demo_fail(d, "%s's invoice should bill %s only", BUYER_PAYS, m->oid[M_COPY]);
    }
    json_object_put(inv);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    inv = invoice_of(d, BUYER_NEVER);
    if (inv != NULL) {
        print_invoice(d, inv);
        demo_expect_int(d, inv, "total", 88000);
        demo_expect_str(d, inv, "due_date", D_DUE);
    }
    json_object_put(inv);
    return demo_verdict(d, "invoiced on 1 March, due 31 March; the cancelled and the returned "
                           "order are not on it");
}

static int step_due_date(demo *d)
{
    json_object *inv;
    long long before;
    long long after;
    char y1[32];
    char y2[32];

    demo_headline(d, "31 March, the due date: %s pays and its credit line is released", BUYER_PAYS);
    before = rest_of(d, BUYER_PAYS, "approved");
    if (before >= 0 && before != MONTH_LINE - 110000)
        demo_fail(d, "expected %lld of the line free while the invoice is open, got %lld",
                  MONTH_LINE - 110000, before);
    if (d->failure[0] != '\0' || move_clock(d, "set", T_DUE_PAID) < 0)
        return demo_verdict(d, "");
    inv = invoice_of(d, BUYER_PAYS);
    if (inv != NULL) {
        print_invoice(d, inv);
        demo_expect_str(d, inv, "state", "paid");
        demo_expect_int(d, inv, "paid_amount", 110000);
    }
    json_object_put(inv);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    after = rest_of(d, BUYER_PAYS, "approved");
    if (after >= 0 && after != MONTH_LINE)
        demo_fail(d, "expected the whole line free after payment, got %lld", after);
    if (d->failure[0] == '\0')
        (void)fprintf(d->out, "    rest of %s's line: %s -> %s\n", BUYER_PAYS,
                      host_fmt_yen(before, y1, sizeof(y1)), host_fmt_yen(after, y2, sizeof(y2)));
    return demo_verdict(d, "paid on the due date; the 110,000 JPY held since the order is free "
                           "again");
}

static int step_overdue(demo *d)
{
    demo_month *m = d->month;
    json_object *inv;
    json_object *res;

    demo_headline(d, "1 April: %s did not pay: overdue, suspended, first reminder", BUYER_NEVER);
    if (move_clock(d, "set", T_OVERDUE) < 0)
        return demo_verdict(d, "");
    inv = invoice_of(d, BUYER_NEVER);
    if (inv != NULL) {
        print_invoice(d, inv);
        demo_expect_str(d, inv, "state", "overdue");
        demo_expect_str(d, inv, "dunning_step", "reminder");
        demo_expect_int(d, inv, "outstanding", 88000);
    }
    json_object_put(inv);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    (void)rest_of(d, BUYER_NEVER, "suspended");
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    res = demo_run(d, "authorize", d->api->authorize,
                   demo_authorize_request(m->oid[M_REFUSED], orders[M_REFUSED].buyer,
                                          orders[M_REFUSED].amount, orders[M_REFUSED].tax,
                                          orders[M_REFUSED].contents),
                   k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "declined");
        demo_expect_str(d, res, "decline.reason", "buyer_not_approved");
    }
    json_object_put(res);
    return demo_verdict(d, "a suspended buyer cannot order; checkout would offer another method");
}

static int step_deposit(demo *d)
{
    demo_month *m = d->month;
    json_object *doc;
    json_object *dep;
    json_object *lines;
    json_object *inv;
    long long v = 0;
    char y[32];
    size_t i;
    size_t n;
    int has_unpaid = 0;

    demo_headline(d, "6 April: the merchant's guaranteed deposit for February, unpaid sale "
                     "included");
    if (move_clock(d, "set", T_DEPOSIT) < 0)
        return demo_verdict(d, "");
    doc = admin(d, "GET", "_sandbox/deposits");
    if (doc == NULL)
        return demo_verdict(d, "");
    if (count_of(doc, "deposits") != 1) {
        demo_fail(d, "expected one deposit statement, the sandbox has %zu",
                  count_of(doc, "deposits"));
        json_object_put(doc);
        return demo_verdict(d, "");
    }
    dep = first_of(doc, "deposits");
    (void)fprintf(d->out, "    deposit %s  period %s..%s  paid on %s (%s)\n",
                  demo_jstr(dep, "deposit_id"), demo_jstr(dep, "period_start"),
                  demo_jstr(dep, "period_end"), demo_jstr(dep, "deposit_date"),
                  demo_jstr(dep, "state"));
    lines = demo_jget(dep, "lines");
    n = json_object_is_type(lines, json_type_array) ? json_object_array_length(lines) : 0;
    for (i = 0; i < n; i++) {
        json_object *l = json_object_array_get_idx(lines, i);
        const char *oid = demo_jstr(l, "order_id");

        (void)demo_jint(l, "total", &v);
        (void)fprintf(d->out, "      %-22s %-13s %-6s %9s  (%s)\n", oid != NULL ? oid : "?",
                      demo_jstr(l, "buyer_id"), demo_jstr(l, "kind"), host_fmt_yen(v, y, sizeof(y)),
                      demo_jstr(l, "invoice_id"));
        if (oid != NULL && strcmp(oid, m->oid[M_DESKS]) == 0)
            has_unpaid = 1;
    }
    (void)demo_jint(dep, "total", &v);
    (void)fprintf(d->out, "      total %s JPY   the plugin forecast at shipping: %s\n",
                  host_fmt_yen(v, y, sizeof(y)), m->forecast);
    demo_expect_str(d, dep, "deposit_date", m->forecast);
    demo_expect_str(d, dep, "state", "paid");
    demo_expect_int(d, dep, "sales", 110000 + 88000);
    demo_expect_int(d, dep, "deductions", 0);
    demo_expect_int(d, dep, "total", 110000 + 88000);
    if (!has_unpaid)
        demo_fail(d, "%s's sale %s is not on the deposit statement", BUYER_NEVER, m->oid[M_DESKS]);
    json_object_put(doc);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    inv = invoice_of(d, BUYER_NEVER);
    if (inv != NULL) {
        demo_expect_int(d, inv, "outstanding", 88000);
        (void)fprintf(d->out, "    %s's invoice %s is still unpaid: %s JPY outstanding\n",
                      BUYER_NEVER, demo_jstr(inv, "invoice_id"), host_fmt_yen(88000, y, sizeof(y)));
    }
    json_object_put(inv);
    return demo_verdict(d, "paid in full on the forecast date, though one buyer has not paid");
}

static int step_collection(demo *d)
{
    demo_month *m = d->month;
    host_receiver_stats st;
    json_object *inv;
    int n;

    demo_headline(d, "Dunning goes on: second reminder (10 April), collection (30 April)");
    if (move_clock(d, "set", T_COLLECTION) < 0)
        return demo_verdict(d, "");
    inv = invoice_of(d, BUYER_NEVER);
    if (inv != NULL) {
        print_invoice(d, inv);
        demo_expect_str(d, inv, "state", "overdue");
        demo_expect_str(d, inv, "dunning_step", "collection");
    }
    json_object_put(inv);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    (void)rest_of(d, BUYER_NEVER, "suspended");
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    n = all_acknowledged(d);
    host_receiver_get_stats(m->receiver, &st);
    if (n >= 0)
        (void)fprintf(d->out,
                      "    notifications: %d sent by the sandbox, all acknowledged; the receiver "
                      "stored %llu, dropped %llu duplicate%s, rejected %llu, failed %llu\n",
                      n, st.handled, st.duplicates, st.duplicates == 1 ? "" : "s", st.rejected,
                      st.failed);
    if (n >= 0 && (st.handled != (unsigned long long)n || st.duplicates != 1 || st.rejected != 0 ||
                   st.failed != 0))
        demo_fail(d, "expected every notification stored once and one duplicate dropped");
    return demo_verdict(d, "the unpaid invoice is with collection; the merchant was paid anyway");
}

/* ------------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------- */

int demo_month_run(demo *d)
{
    int (*const steps[DEMO_MONTH_STEPS])(demo *) = {
        step_setup,
        step_buyers,
        step_orders_and_shipping,
        step_sale_notifications,
        step_cancel_return,
        step_closing,
        step_due_date,
        step_overdue,
        step_deposit,
        step_collection,
    };
    int i;

    d->month = calloc(1, sizeof(*d->month));
    if (d->month == NULL) {
        demo_headline(d, "Paid's month");
        demo_fail(d, "out of memory");
        return demo_verdict(d, "");
    }
    if (pthread_mutex_init(&d->month->lock, NULL) != 0) {
        demo_headline(d, "Paid's month");
        demo_fail(d, "pthread_mutex_init failed");
        return demo_verdict(d, "");
    }
    d->month->lock_ready = 1;
    for (i = 0; i < DEMO_MONTH_STEPS; i++) {
        if (steps[i](d) != 0)
            return -1;
    }
    return 0;
}

const host_sandbox *demo_month_sandbox(const demo *d)
{
    if (d->month == NULL || d->month->sb.log_path == NULL)
        return NULL;
    return &d->month->sb;
}

void demo_month_cleanup(demo *d)
{
    demo_month *m = d->month;

    if (m == NULL)
        return;
    /* The receiver calls notify() on the context: stop it first. */
    host_receiver_stop(m->receiver);
    if (m->lctx != NULL && d->ctx == pmp_loader_ctx_get(m->lctx))
        d->ctx = NULL;
    pmp_loader_ctx_close(m->lctx);
    host_admin_close(m->admin);
    demo_sandbox_stop(&m->sb);
    if (m->lock_ready)
        pthread_mutex_destroy(&m->lock);
    free(m);
    d->month = NULL;
}
