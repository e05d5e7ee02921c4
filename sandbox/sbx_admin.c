#include "sbx_admin.h"

#include "sbx_buf.h"
#include "sbx_clock.h"
#include "sbx_events.h"
#include "sbx_faults.h"
#include "sbx_html.h"
#include "sbx_log.h"
#include "sbx_notify.h"
#include "sbx_paid.h"
#include "sbx_rules.h"
#include "sbx_settle.h"
#include "sbx_store.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json"
#define PREFIX "/_sandbox/"

/* Upper bound of one clock advance: ten years is plenty for any test and
 * keeps the arithmetic far from overflow. */
#define MAX_ADVANCE_S (3650LL * SBX_DAY_S)
/* No limit by default: a caller reading last_seq from an unlimited query
 * always gets the newest sequence. With ?limit=N it pages instead. */
#define MAX_LOG_LIMIT 100000
/* clock/set may jump further: a test that needs fixed dates (weekdays for
 * the deposit shift) sets a far-future date in one go. */
#define MAX_SET_S (36525LL * SBX_DAY_S)
/* Payments an operator books at once; far above any credit line. */
#define MAX_PAYMENT 100000000000LL

/* ---- JSON plumbing ---------------------------------------------------------- */

/* Serialises o into resp and drops the reference. A NULL o means an
 * allocation failed somewhere while building it. */
static void json_answer(sbx_response *resp, unsigned status, json_object *o)
{
    if (o == NULL) {
        (void)sbx_response_set(resp, 500, JSON_TYPE, "{\"error\":\"out of memory\"}\n");
        return;
    }
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE);
    sbx_buf b;
    sbx_buf_init(&b);
    (void)sbx_buf_puts(&b, text != NULL ? text : "null");
    (void)sbx_buf_putc(&b, '\n');
    json_object_put(o);
    free(resp->body);  /* a later answer replaces an earlier one */
    resp->status = status;
    resp->content_type = JSON_TYPE;
    resp->body = sbx_buf_steal(&b, &resp->len);
    if (resp->body == NULL)
        resp->status = 500;
}

static void json_error(sbx_response *resp, unsigned status, const char *msg)
{
    json_object *o = json_object_new_object();
    if (o != NULL && json_object_object_add(o, "error", json_object_new_string(msg)) != 0) {
        json_object_put(o);
        o = NULL;
    }
    json_answer(resp, status, o);
}

/* Adds key -> v to o, consuming v; remembers any failure in *ok so builders
 * can check once. */
static void put(json_object *o, const char *key, json_object *v, bool *ok)
{
    if (v == NULL || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        *ok = false;
    }
}

/* Adds an explicit JSON null. */
static void put_null(json_object *o, const char *key, bool *ok)
{
    if (json_object_object_add(o, key, NULL) != 0)
        *ok = false;
}

static json_object *json_time(int64_t t)
{
    char buf[32];
    sbx_time_iso(t, buf, sizeof buf);
    return json_object_new_string(buf);
}

/* A virtual time that may not have happened yet (0): null then. */
static void put_time_or_null(json_object *o, const char *key, int64_t t, bool *ok)
{
    if (t == 0)
        put_null(o, key, ok);
    else
        put(o, key, json_time(t), ok);
}

/* "20261231" -> "2026-12-31" (dates of the settlement are days, not times). */
static json_object *json_date8(const char *d8)
{
    sbx_date d;
    char buf[16];
    if (!sbx_date_parse8(d8, &d))
        return json_object_new_string(d8);
    sbx_date_iso(d, buf, sizeof buf);
    return json_object_new_string(buf);
}

/* Real time in ms since the epoch, shown in JST like everything else. */
static json_object *json_real_ms(int64_t ms)
{
    char buf[40], iso[32];
    sbx_time_iso(ms / 1000, iso, sizeof iso);
    (void)snprintf(buf, sizeof buf, "%s.%03d", iso, (int)(ms % 1000));
    return json_object_new_string(buf);
}

/* Appends o (consumed) to the array arr; -1 when either failed. */
static int push(json_object *arr, json_object *o)
{
    if (o == NULL || json_object_array_add(arr, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

/* Answers {"<key>": arr} (arr consumed); -1 when out of memory. */
static int answer_list(sbx_response *resp, const char *key, json_object *arr)
{
    json_object *o = json_object_new_object();
    bool ok = o != NULL;
    if (ok)
        put(o, key, arr, &ok);
    else
        json_object_put(arr);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    json_answer(resp, 200, o);
    return 0;
}

static int answer_object(sbx_response *resp, json_object *o)
{
    if (o == NULL)
        return -1;
    json_answer(resp, 200, o);
    return 0;
}

/* ---- records as JSON ---------------------------------------------------------------- */

static json_object *buyer_json(sbx_store *s, const sbx_buyer *b)
{
    sbx_buyer_money money;
    if (sbx_store_buyer_money(s, b->shop_id, b->buyer_id, &money) != 0)
        return NULL;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    bool ok = true;
    int64_t rest = 0;
    if (strcmp(b->status, "AVAILABLE") == 0 && b->credit_line > b->reserved)
        rest = b->credit_line - b->reserved;
    char closing[8];
    sbx_closing_name(b->closing, closing, sizeof closing);
    json_object *data = json_tokener_parse(b->data_json);
    put(o, "shop_id", json_object_new_string(b->shop_id), &ok);
    put(o, "buyer_id", json_object_new_string(b->buyer_id), &ok);
    put(o, "paid_id", json_object_new_string(b->paid_id), &ok);
    put(o, "status", json_object_new_string(b->status), &ok);
    put(o, "credit_line", json_object_new_int64(b->credit_line), &ok);
    put(o, "reserved", json_object_new_int64(b->reserved), &ok);
    put(o, "rest_amount", json_object_new_int64(rest), &ok);
    put(o, "order_review", json_object_new_boolean(b->order_review), &ok);
    put(o, "closing", json_object_new_string(closing), &ok);
    put(o, "payment", json_object_new_string(b->payment), &ok);
    put(o, "invoiced_amount", json_object_new_int64(money.invoiced), &ok);
    put(o, "paid_amount", json_object_new_int64(money.paid), &ok);
    put(o, "overdue", json_object_new_boolean(money.overdue_count > 0), &ok);
    put(o, "overdue_invoices", json_object_new_int64(money.overdue_count), &ok);
    put(o, "overdue_amount", json_object_new_int64(money.overdue_amount), &ok);
    put(o, "dunning_step", json_object_new_string(money.dunning_step), &ok);
    put(o, "dunning_suspended", json_object_new_boolean(b->dunning_suspended), &ok);
    put(o, "company_name", json_object_new_string(b->company_name), &ok);
    put(o, "email", json_object_new_string(b->email), &ok);
    put(o, "data", data != NULL ? data : json_object_new_object(), &ok);
    put(o, "created_at", json_time(b->created_at), &ok);
    put(o, "updated_at", json_time(b->updated_at), &ok);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* The full record, AccessPass included: the test suite needs it to prove
 * that the plugin never leaks it. The admin API is loopback-only test
 * tooling, never a production surface. */
static json_object *txn_json(const sbx_txn *t)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    bool ok = true;
    put(o, "shop_id", json_object_new_string(t->shop_id), &ok);
    put(o, "order_id", json_object_new_string(t->order_id), &ok);
    put(o, "access_id", json_object_new_string(t->access_id), &ok);
    put(o, "access_pass", json_object_new_string(t->access_pass), &ok);
    put(o, "status", json_object_new_string(t->status), &ok);
    put(o, "job_cd", json_object_new_string(t->job_cd), &ok);
    put(o, "amount", json_object_new_int64(t->amount), &ok);
    put(o, "tax", json_object_new_int64(t->tax), &ok);
    put(o, "reserved", json_object_new_int64(t->reserved), &ok);
    put(o, "buyer_id", json_object_new_string(t->buyer_id), &ok);
    put(o, "paid_code", json_object_new_string(t->paid_code), &ok);
    put(o, "contents", json_object_new_string(t->contents), &ok);
    put(o, "client_field1", json_object_new_string(t->client_field[0]), &ok);
    put(o, "client_field2", json_object_new_string(t->client_field[1]), &ok);
    put(o, "client_field3", json_object_new_string(t->client_field[2]), &ok);
    if (t->has_cancel) {
        put(o, "cancel_amount", json_object_new_int64(t->cancel_amount), &ok);
        put(o, "cancel_tax", json_object_new_int64(t->cancel_tax), &ok);
    } else {
        put_null(o, "cancel_amount", &ok);
        put_null(o, "cancel_tax", &ok);
    }
    put(o, "fixed_at", json_object_new_string(t->fixed_at), &ok);
    if (t->invoice_id != 0) {
        char no[24];
        sbx_invoice_no(t->invoice_id, no, sizeof no);
        put(o, "invoice_id", json_object_new_string(no), &ok);
    } else {
        put_null(o, "invoice_id", &ok);
    }
    put(o, "billed_amount", json_object_new_int64(t->billed_amount), &ok);
    put(o, "billed_tax", json_object_new_int64(t->billed_tax), &ok);
    put(o, "created_at", json_time(t->created_at), &ok);
    put(o, "updated_at", json_time(t->updated_at), &ok);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static json_object *line_json(const sbx_line *l)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    bool ok = true;
    put(o, "order_id", json_object_new_string(l->order_id), &ok);
    put(o, "buyer_id", json_object_new_string(l->buyer_id), &ok);
    put(o, "kind", json_object_new_string(l->kind), &ok);
    put(o, "amount", json_object_new_int64(l->amount), &ok);
    put(o, "tax", json_object_new_int64(l->tax), &ok);
    put(o, "total", json_object_new_int64(l->amount + l->tax), &ok);
    put(o, "date", json_date8(l->date), &ok);
    if (l->invoice_id != 0) {
        char no[24];
        sbx_invoice_no(l->invoice_id, no, sizeof no);
        put(o, "invoice_id", json_object_new_string(no), &ok);
    }
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static int line_cb(void *ctx, const sbx_line *l)
{
    return push(ctx, line_json(l));
}

static int payment_cb(void *ctx, const sbx_payment *p)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "amount", json_object_new_int64(p->amount), &ok);
    put(o, "time", json_time(p->at), &ok);
    put(o, "source", json_object_new_string(p->source), &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    return push(ctx, o);
}

static json_object *invoice_json(sbx_store *s, const sbx_invoice *inv)
{
    json_object *o = json_object_new_object();
    json_object *lines = json_object_new_array();
    json_object *payments = json_object_new_array();
    if (o == NULL || lines == NULL || payments == NULL ||
        sbx_store_line_foreach(s, inv->id, NULL, NULL, line_cb, lines) != 0 ||
        sbx_store_payment_foreach(s, inv->id, payment_cb, payments) != 0)
        goto put_objects;
    bool ok = true;
    char no[24], closing[8];
    sbx_invoice_no(inv->id, no, sizeof no);
    sbx_closing_name(inv->closing, closing, sizeof closing);
    put(o, "invoice_id", json_object_new_string(no), &ok);
    put(o, "shop_id", json_object_new_string(inv->shop_id), &ok);
    put(o, "buyer_id", json_object_new_string(inv->buyer_id), &ok);
    put(o, "closing", json_object_new_string(closing), &ok);
    put(o, "period_start", json_date8(inv->period_start), &ok);
    put(o, "period_end", json_date8(inv->period_end), &ok);
    put(o, "issue_date", json_date8(inv->issue_date), &ok);
    put(o, "due_date", json_date8(inv->due_date), &ok);
    put(o, "amount", json_object_new_int64(inv->amount), &ok);
    put(o, "tax", json_object_new_int64(inv->tax), &ok);
    put(o, "total", json_object_new_int64(inv->total), &ok);
    put(o, "paid_amount", json_object_new_int64(inv->paid_amount), &ok);
    put(o, "outstanding", json_object_new_int64(inv->total > inv->paid_amount
                                                     ? inv->total - inv->paid_amount
                                                     : 0),
        &ok);
    put(o, "state", json_object_new_string(inv->state), &ok);
    put(o, "overdue", json_object_new_boolean(strcmp(inv->state, "overdue") == 0), &ok);
    put(o, "dunning_step", json_object_new_string(inv->dunning_step), &ok);
    if (inv->deposit_id != 0) {
        char dep[24];
        sbx_deposit_no(inv->deposit_id, dep, sizeof dep);
        put(o, "deposit_id", json_object_new_string(dep), &ok);
    } else {
        put_null(o, "deposit_id", &ok);
    }
    put(o, "closed_at", json_time(inv->created_at), &ok);
    put_time_or_null(o, "issued_at", inv->issued_at, &ok);
    put_time_or_null(o, "paid_at", inv->paid_at, &ok);
    put(o, "lines", lines, &ok);
    lines = NULL;
    put(o, "payments", payments, &ok);
    payments = NULL;
    if (!ok)
        goto put_objects;
    return o;
put_objects:
    json_object_put(payments);
    json_object_put(lines);
    json_object_put(o);
    return NULL;
}

static json_object *deposit_json(sbx_store *s, const sbx_deposit *d)
{
    json_object *o = json_object_new_object();
    json_object *lines = json_object_new_array();
    if (o == NULL || lines == NULL ||
        sbx_store_deposit_line_foreach(s, d->id, line_cb, lines) != 0)
        goto put_objects;
    bool ok = true;
    char no[24], closing[8];
    sbx_deposit_no(d->id, no, sizeof no);
    sbx_closing_name(d->closing, closing, sizeof closing);
    put(o, "deposit_id", json_object_new_string(no), &ok);
    put(o, "shop_id", json_object_new_string(d->shop_id), &ok);
    put(o, "closing", json_object_new_string(closing), &ok);
    put(o, "period_start", json_date8(d->period_start), &ok);
    put(o, "period_end", json_date8(d->period_end), &ok);
    put(o, "deposit_date", json_date8(d->deposit_date), &ok);
    put(o, "sales", json_object_new_int64(d->sales), &ok);
    put(o, "deductions", json_object_new_int64(d->deductions), &ok);
    put(o, "total", json_object_new_int64(d->total), &ok);
    put(o, "state", json_object_new_string(d->state), &ok);
    put_time_or_null(o, "paid_at", d->paid_at, &ok);
    put(o, "lines", lines, &ok);
    lines = NULL;
    if (!ok)
        goto put_objects;
    return o;
put_objects:
    json_object_put(lines);
    json_object_put(o);
    return NULL;
}

static int attempt_cb(void *ctx, const sbx_notify_attempt *a)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "time", json_real_ms(a->at_ms), &ok);
    put(o, "http_status", json_object_new_int(a->http_status), &ok);
    put(o, "answer", json_object_new_string(a->answer), &ok);
    put(o, "error", json_object_new_string(a->error), &ok);
    put(o, "duplicate", json_object_new_boolean(a->duplicate), &ok);
    put(o, "acknowledged", json_object_new_boolean(a->acknowledged), &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    return push(ctx, o);
}

static json_object *notification_json(sbx_store *s, const sbx_notification *n)
{
    json_object *o = json_object_new_object();
    json_object *log = json_object_new_array();
    if (o == NULL || log == NULL || sbx_store_attempt_foreach(s, n->id, attempt_cb, log) != 0) {
        json_object_put(log);
        json_object_put(o);
        return NULL;
    }
    bool ok = true;
    put(o, "id", json_object_new_int64(n->id), &ok);
    put(o, "shop_id", json_object_new_string(n->shop_id), &ok);
    put(o, "order_id", json_object_new_string(n->order_id), &ok);
    put(o, "status", json_object_new_string(n->status), &ok);
    put(o, "job_cd", json_object_new_string(n->job_cd), &ok);
    put(o, "err_info", json_object_new_string(n->err_info), &ok);
    put(o, "body", json_object_new_string(n->body), &ok);
    put(o, "time", json_time(n->created_at), &ok);
    put(o, "delivery", json_object_new_string(n->state), &ok);
    put(o, "acknowledged", json_object_new_boolean(strcmp(n->state, "acknowledged") == 0),
        &ok);
    put(o, "attempts", json_object_new_int(n->attempts), &ok);
    put(o, "duplicates", json_object_new_int(n->duplicates), &ok);
    if (n->last_http_status < 0)
        put_null(o, "last_http_status", &ok);
    else
        put(o, "last_http_status", json_object_new_int(n->last_http_status), &ok);
    put(o, "last_answer", json_object_new_string(n->last_answer), &ok);
    put(o, "last_error", json_object_new_string(n->last_error), &ok);
    if (strcmp(n->state, "pending") == 0)
        put(o, "next_attempt", json_real_ms(n->next_attempt_ms), &ok);
    else
        put_null(o, "next_attempt", &ok);
    put(o, "attempt_log", log, &ok);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* ---- argument parsing --------------------------------------------------------- */

/* A non-negative decimal query argument; absent -> def. */
static bool query_int(const sbx_request *req, const char *name, long long max, long long def,
                      long long *out)
{
    const char *s = sbx_request_query(req, name);
    if (s == NULL || *s == '\0') {
        *out = def;
        return true;
    }
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

static const char *query_or_null(const sbx_request *req, const char *name)
{
    const char *v = sbx_request_query(req, name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ---- handlers (store lock held, transaction open) --------------------------------
 * Each returns 0 when it produced an answer to commit, -1 on an internal
 * error (rolled back, 500). */

typedef struct log_ctx {
    json_object *arr;
    int64_t last;
} log_ctx;

static int log_row_cb(void *ctx, const sbx_logrow *r)
{
    log_ctx *lc = ctx;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "seq", json_object_new_int64(r->seq), &ok);
    put(o, "op", json_object_new_string(r->op), &ok);
    put(o, "shop_id", json_object_new_string(r->shop_id), &ok);
    put(o, "order_id", json_object_new_string(r->order_id), &ok);
    put(o, "buyer_id", json_object_new_string(r->buyer_id), &ok);
    put(o, "err_info", json_object_new_string(r->err_info), &ok);
    put(o, "http_status", json_object_new_int(r->http_status), &ok);
    put(o, "time", json_time(r->at), &ok);
    put(o, "fault", json_object_new_string(r->fault), &ok);
    if (!ok || json_object_array_add(lc->arr, o) != 0) {
        json_object_put(o);
        return -1;
    }
    lc->last = r->seq;
    return 0;
}

static int h_requests(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    long long since, limit;
    if (!query_int(req, "since", INT64_MAX, 0, &since) ||
        !query_int(req, "limit", MAX_LOG_LIMIT, -1, &limit) || limit == 0) {
        json_error(resp, 400, "since and limit must be non-negative integers (limit 1-100000)");
        return 0;
    }
    log_ctx lc = {json_object_new_array(), -1};
    json_object *o = json_object_new_object();
    if (lc.arr == NULL || o == NULL)
        goto put_objects;
    if (sbx_store_log_foreach(app->store, since, (int)limit, log_row_cb, &lc) != 0)
        goto put_objects;
    /* Poll with since=last_seq: the last row returned, or when nothing new
     * arrived the highest sequence issued so far. */
    if (lc.last < 0) {
        lc.last = sbx_store_log_last_seq(app->store);
        if (lc.last < 0)
            goto put_objects;
    }
    bool ok = true;
    put(o, "requests", lc.arr, &ok);
    lc.arr = NULL;
    put(o, "last_seq", json_object_new_int64(lc.last), &ok);
    if (!ok)
        goto put_objects;
    json_answer(resp, 200, o);
    return 0;
put_objects:
    json_object_put(lc.arr);
    json_object_put(o);
    return -1;
}

static int h_transaction(sbx_app *app, const sbx_request *req, const char *id,
                         sbx_response *resp)
{
    sbx_txn t;
    int rc = sbx_store_txn_get(app->store, sbx_request_query(req, "shop_id"), id, &t);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such order");
        return 0;
    }
    json_object *o = txn_json(&t);
    sbx_txn_clear(&t);
    return answer_object(resp, o);
}

/* Loads the buyer of the path; 1 loaded, 0 answered 404, -1 error. */
static int load_buyer(sbx_app *app, const sbx_request *req, const char *id, sbx_buyer *b,
                      sbx_response *resp)
{
    int rc = sbx_store_buyer_get(app->store, sbx_request_query(req, "shop_id"), id, b);
    if (rc == 0)
        json_error(resp, 404, "no such buyer");
    return rc;
}

static int answer_buyer(sbx_app *app, sbx_buyer *b, sbx_response *resp)
{
    json_object *o = buyer_json(app->store, b);
    sbx_buyer_clear(b);
    return answer_object(resp, o);
}

static int h_buyer(sbx_app *app, const sbx_request *req, const char *id, sbx_response *resp)
{
    sbx_buyer b;
    int rc = load_buyer(app, req, id, &b, resp);
    if (rc <= 0)
        return rc;
    return answer_buyer(app, &b, resp);
}

/* Operator action: set a buyer's status (e.g. SUSPENDED), as Paid's staff
 * would; lets tests reach P01010003 for a suspended buyer. */
static int h_buyer_status(sbx_app *app, const sbx_request *req, const char *id,
                          sbx_response *resp)
{
    static const char *const allowed[] = {"EXAMINATION", "AVAILABLE", "UNAVAILABLE",
                                          "SUSPENDED"};
    const char *value = sbx_request_query(req, "value");
    bool valid = false;
    for (size_t i = 0; value != NULL && i < sizeof allowed / sizeof allowed[0]; i++)
        valid = valid || strcmp(value, allowed[i]) == 0;
    if (!valid) {
        json_error(resp, 400, "value must be EXAMINATION, AVAILABLE, UNAVAILABLE or SUSPENDED");
        return 0;
    }
    sbx_buyer b;
    int rc = load_buyer(app, req, id, &b, resp);
    if (rc <= 0)
        return rc;
    (void)snprintf(b.status, sizeof b.status, "%s", value);
    /* The operator's word replaces whatever dunning decided. */
    b.dunning_suspended = false;
    b.updated_at = sbx_store_now(app->store);
    if (sbx_store_buyer_save(app->store, &b) != 0) {
        sbx_buyer_clear(&b);
        return -1;
    }
    return answer_buyer(app, &b, resp);
}

static int h_buyer_closing(sbx_app *app, const sbx_request *req, const char *id,
                           sbx_response *resp)
{
    int closing;
    if (!sbx_closing_parse(sbx_request_query(req, "day"), &closing)) {
        json_error(resp, 400, "day must be end or 1-28 (the service offers end and 20)");
        return 0;
    }
    sbx_buyer b;
    int rc = load_buyer(app, req, id, &b, resp);
    if (rc <= 0)
        return rc;
    int64_t now = sbx_store_now(app->store);
    b.updated_at = now;
    if (sbx_settle_set_closing(app, &b, closing, now) != 0 ||
        sbx_store_buyer_save(app->store, &b) != 0) {
        sbx_buyer_clear(&b);
        return -1;
    }
    return answer_buyer(app, &b, resp);
}

static int h_buyer_payment(sbx_app *app, const sbx_request *req, const char *id,
                           sbx_response *resp)
{
    char payment[24];
    if (!sbx_payment_parse(app->rules, sbx_request_query(req, "mode"), payment,
                           sizeof payment)) {
        json_error(resp, 400, "mode must be pay_ontime, paylate<N>, paypartial or paynever");
        return 0;
    }
    sbx_buyer b;
    int rc = load_buyer(app, req, id, &b, resp);
    if (rc <= 0)
        return rc;
    (void)snprintf(b.payment, sizeof b.payment, "%s", payment);
    b.updated_at = sbx_store_now(app->store);
    if (sbx_store_buyer_save(app->store, &b) != 0) {
        sbx_buyer_clear(&b);
        return -1;
    }
    return answer_buyer(app, &b, resp);
}

static int h_clock(sbx_app *app, sbx_response *resp)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "now", json_time(sbx_store_now(app->store)), &ok);
    put(o, "offset_seconds", json_object_new_int64(sbx_store_clock_offset(app->store)), &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    json_answer(resp, 200, o);
    return 0;
}

/* Moves the clock delta seconds ahead and runs every event that fell due,
 * each at its own time, in time order. */
static int advance_clock(sbx_app *app, long long delta, sbx_response *resp)
{
    sbx_store *s = app->store;
    int64_t before = sbx_store_now(s);
    json_object *events = json_object_new_array();
    json_object *o = json_object_new_object();
    if (events == NULL || o == NULL)
        goto put_objects;
    if (sbx_store_set_clock_offset(s, sbx_store_clock_offset(s) + delta) != 0)
        goto put_objects;
    int64_t now = before + delta;
    if (sbx_events_run_due(app, now, events) < 0)
        goto put_objects;
    bool ok = true;
    put(o, "previous", json_time(before), &ok);
    put(o, "now", json_time(now), &ok);
    put(o, "advanced_seconds", json_object_new_int64(delta), &ok);
    put(o, "events", events, &ok);
    events = NULL;
    if (!ok)
        goto put_objects;
    json_answer(resp, 200, o);
    return 0;
put_objects:
    json_object_put(events);
    json_object_put(o);
    return -1;
}

static int h_advance(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    long long days, hours, minutes, seconds;
    if (!query_int(req, "days", 3650, 0, &days) || !query_int(req, "hours", 87600, 0, &hours) ||
        !query_int(req, "minutes", 5256000, 0, &minutes) ||
        !query_int(req, "seconds", MAX_ADVANCE_S, 0, &seconds)) {
        json_error(resp, 400, "days, hours, minutes, seconds must be non-negative integers");
        return 0;
    }
    long long delta = days * SBX_DAY_S + hours * 3600 + minutes * 60 + seconds;
    if (delta > MAX_ADVANCE_S) {
        json_error(resp, 400, "at most 3650 days at once");
        return 0;
    }
    return advance_clock(app, delta, resp);
}

static int h_clock_set(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    const char *to = sbx_request_query(req, "to");
    int64_t target;
    if (to == NULL || !sbx_time_parse_iso(to, &target)) {
        json_error(resp, 400, "to must be a JST time like 2027-01-31T00:00:00");
        return 0;
    }
    int64_t now = sbx_store_now(app->store);
    if (target < now) {
        /* Events already run cannot be undone: the clock only moves on. */
        json_error(resp, 409, "the clock only moves forward");
        return 0;
    }
    if (target - now > MAX_SET_S) {
        json_error(resp, 400, "at most 100 years ahead");
        return 0;
    }
    return advance_clock(app, target - now, resp);
}

static int event_cb(void *ctx, const sbx_event *e, int64_t done_at, const char *result)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "id", json_object_new_int64(e->id), &ok);
    put(o, "due", json_time(e->due_at), &ok);
    put(o, "kind", json_object_new_string(e->kind), &ok);
    put(o, "shop_id", json_object_new_string(e->shop_id), &ok);
    put(o, "ref", json_object_new_string(e->ref), &ok);
    put(o, "payload", json_object_new_string(e->payload), &ok);
    put(o, "done", json_object_new_boolean(done_at >= 0), &ok);
    put(o, "result", json_object_new_string(result), &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    return push(ctx, o);
}

static int h_events(sbx_app *app, sbx_response *resp)
{
    json_object *arr = json_object_new_array();
    if (arr == NULL || sbx_store_event_foreach(app->store, event_cb, arr) != 0) {
        json_object_put(arr);
        return -1;
    }
    return answer_list(resp, "events", arr);
}

typedef struct list_ctx {
    sbx_store *store;
    json_object *arr;
} list_ctx;

static int buyer_list_cb(void *ctx, const sbx_buyer *b)
{
    list_ctx *lc = ctx;
    return push(lc->arr, buyer_json(lc->store, b));
}

static int txn_list_cb(void *ctx, const sbx_txn *t)
{
    list_ctx *lc = ctx;
    return push(lc->arr, txn_json(t));
}

static int invoice_list_cb(void *ctx, const sbx_invoice *inv)
{
    list_ctx *lc = ctx;
    return push(lc->arr, invoice_json(lc->store, inv));
}

static int deposit_list_cb(void *ctx, const sbx_deposit *d)
{
    list_ctx *lc = ctx;
    return push(lc->arr, deposit_json(lc->store, d));
}

static int notification_list_cb(void *ctx, const sbx_notification *n)
{
    list_ctx *lc = ctx;
    return push(lc->arr, notification_json(lc->store, n));
}

enum list_kind { L_BUYERS, L_TRANSACTIONS, L_INVOICES, L_DEPOSITS, L_NOTIFICATIONS };

static int h_list(sbx_app *app, const sbx_request *req, enum list_kind kind,
                  sbx_response *resp)
{
    static const char *const keys[] = {"buyers", "transactions", "invoices", "deposits",
                                       "notifications"};
    list_ctx lc = {app->store, json_object_new_array()};
    if (lc.arr == NULL)
        return -1;
    const char *shop = query_or_null(req, "shop_id");
    int rc;
    switch (kind) {
    case L_BUYERS:
        rc = sbx_store_buyer_foreach(app->store, buyer_list_cb, &lc);
        break;
    case L_TRANSACTIONS:
        rc = sbx_store_txn_foreach(app->store, txn_list_cb, &lc);
        break;
    case L_INVOICES:
        rc = sbx_store_invoice_foreach(app->store, shop, query_or_null(req, "buyer_id"),
                                       invoice_list_cb, &lc);
        break;
    case L_DEPOSITS:
        rc = sbx_store_deposit_foreach(app->store, shop, deposit_list_cb, &lc);
        break;
    case L_NOTIFICATIONS:
    default:
        rc = sbx_store_notification_foreach(app->store, query_or_null(req, "order_id"),
                                            notification_list_cb, &lc);
        break;
    }
    if (rc != 0) {
        json_object_put(lc.arr);
        return -1;
    }
    return answer_list(resp, keys[kind], lc.arr);
}

static int h_invoice(sbx_app *app, const char *no, sbx_response *resp)
{
    int64_t id;
    sbx_invoice inv;
    int rc = sbx_invoice_no_parse(no, &id) ? sbx_store_invoice_get(app->store, id, &inv) : 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such invoice");
        return 0;
    }
    return answer_object(resp, invoice_json(app->store, &inv));
}

/* Operator action: a payment received outside the buyer's test value, e.g.
 * a paynever buyer finally paying. */
static int h_invoice_pay(sbx_app *app, const sbx_request *req, const char *no,
                         sbx_response *resp)
{
    int64_t id;
    sbx_invoice inv;
    int rc = sbx_invoice_no_parse(no, &id) ? sbx_store_invoice_get(app->store, id, &inv) : 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such invoice");
        return 0;
    }
    int64_t outstanding = inv.total - inv.paid_amount;
    bool open = strcmp(inv.state, "issued") == 0 || strcmp(inv.state, "overdue") == 0;
    if (!open || outstanding <= 0) {
        json_error(resp, 409, "the invoice is not open for payment");
        return 0;
    }
    long long amount;
    if (!query_int(req, "amount", MAX_PAYMENT, outstanding, &amount) || amount == 0) {
        json_error(resp, 400, "amount must be a positive integer");
        return 0;
    }
    int64_t paid = 0;
    if (sbx_settle_pay(app, inv.id, amount, "operator", sbx_store_now(app->store), &paid) != 0)
        return -1;
    if (paid == 0) {
        json_error(resp, 409, "the invoice is not open for payment");
        return 0;
    }
    if (sbx_store_invoice_get(app->store, inv.id, &inv) <= 0)
        return -1;
    return answer_object(resp, invoice_json(app->store, &inv));
}

static int h_deposit(sbx_app *app, const char *no, sbx_response *resp)
{
    int64_t id;
    sbx_deposit d;
    int rc = sbx_deposit_no_parse(no, &id) ? sbx_store_deposit_get(app->store, id, &d) : 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such deposit statement");
        return 0;
    }
    return answer_object(resp, deposit_json(app->store, &d));
}

static bool parse_id(const char *s, int64_t *id)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || strspn(s, "0123456789") != n)
        return false;
    *id = strtoll(s, NULL, 10);
    return true;
}

static int answer_notification(sbx_app *app, int64_t id, sbx_response *resp)
{
    sbx_notification n;
    int rc = sbx_store_notification_get(app->store, id, &n);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such notification");
        return 0;
    }
    json_object *o = notification_json(app->store, &n);
    sbx_notification_clear(&n);
    return answer_object(resp, o);
}

static int h_notification(sbx_app *app, const char *ids, sbx_response *resp)
{
    int64_t id;
    if (!parse_id(ids, &id)) {
        json_error(resp, 404, "no such notification");
        return 0;
    }
    return answer_notification(app, id, resp);
}

static int h_notification_resend(sbx_app *app, const char *ids, sbx_response *resp)
{
    int64_t id;
    int rc = parse_id(ids, &id) ? sbx_store_notification_add_duplicate(app->store, id) : 0;
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such notification");
        return 0;
    }
    if (!app->notify_enabled) {
        json_error(resp, 409, "no --notify-url: nothing is sent");
        return 0;
    }
    return answer_notification(app, id, resp);
}

static int h_notification_test(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    const char *shop = query_or_null(req, "shop_id");
    if (shop == NULL)
        shop = app->nshops > 0 ? app->shops[0].id : "";
    int64_t id = 0;
    if (sbx_notify_queue_test(app, shop, sbx_store_now(app->store), &id) != 0)
        return -1;
    return answer_notification(app, id, resp);
}

/* ---- fault injection (in memory, no store lock) --------------------------------------- */

static bool is(const sbx_request *req, const char *method)
{
    return strcmp(req->method, method) == 0 ||
           (strcmp(method, "GET") == 0 && strcmp(req->method, "HEAD") == 0);
}

static void h_faults_arm(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    const char *op = sbx_request_query(req, "op");
    const char *kind_name = sbx_request_query(req, "kind");
    sbx_fault_kind kind;
    long long count, delay;
    if (op == NULL || (strcmp(op, "*") != 0 && !sbx_paid_op_exists(op))) {
        json_error(resp, 400, "op must be one of the ten operations or *");
        return;
    }
    if (!sbx_fault_kind_parse(kind_name, &kind)) {
        json_error(resp, 400,
                   "kind must be delay_after_commit, drop_before_commit, drop_after_commit, "
                   "truncate, http500, http503, http503_after_commit, rate_limit, garbage, "
                   "oversized, redirect or multi_error");
        return;
    }
    if (!query_int(req, "count", 100000, 1, &count) || count == 0) {
        json_error(resp, 400, "count must be 1-100000");
        return;
    }
    if (!query_int(req, "delay_ms", SBX_FAULT_MAX_DELAY_MS, sbx_fault_default_delay_ms(kind),
                   &delay)) {
        json_error(resp, 400, "delay_ms must be 0-600000");
        return;
    }
    int64_t id = sbx_faults_arm(app->faults, op, (unsigned)count, kind, (unsigned)delay);
    if (id < 0) {
        json_error(resp, 409, "too many armed faults; DELETE /_sandbox/faults first");
        return;
    }
    json_object *o = json_object_new_object();
    bool ok = o != NULL;
    if (ok) {
        put(o, "id", json_object_new_int64(id), &ok);
        put(o, "op", json_object_new_string(op), &ok);
        put(o, "kind", json_object_new_string(kind_name), &ok);
        put(o, "remaining", json_object_new_int64(count), &ok);
        put(o, "delay_ms", json_object_new_int64(delay), &ok);
    }
    if (!ok) {
        json_object_put(o);
        o = NULL;
    }
    json_answer(resp, 200, o);
}

static void h_faults(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    if (app->faults == NULL) {
        json_error(resp, 500, "fault injection unavailable");
    } else if (is(req, "GET")) {
        json_answer(resp, 200, sbx_faults_json(app->faults));
    } else if (is(req, "POST")) {
        h_faults_arm(app, req, resp);
    } else if (is(req, "DELETE")) {
        sbx_faults_clear(app->faults);
        (void)sbx_response_set(resp, 200, JSON_TYPE, "{\"ok\":true}\n");
    } else {
        json_error(resp, 405, "use GET, POST or DELETE");
    }
}

/* ---- routing --------------------------------------------------------------------- */

bool sbx_admin_owns(const char *path)
{
    return strcmp(path, "/") == 0 || strncmp(path, PREFIX, strlen(PREFIX)) == 0;
}

/* The path below /_sandbox/ cut into at most three segments; false when
 * there are more, or an empty one. */
typedef struct route {
    char seg[3][96];
    size_t n;
} route;

static bool split_route(const char *rest, route *r)
{
    memset(r, 0, sizeof *r);
    if (*rest == '\0')
        return true;
    for (;;) {
        size_t len = strcspn(rest, "/");
        if (len == 0 || len >= sizeof r->seg[0] || r->n == 3)
            return false;
        memcpy(r->seg[r->n], rest, len);
        r->seg[r->n][len] = '\0';
        r->n++;
        if (rest[len] == '\0')
            return true;
        rest += len + 1;
    }
}

static bool seg_is(const route *r, size_t i, const char *s)
{
    return i < r->n && strcmp(r->seg[i], s) == 0;
}

typedef enum { M_NONE, M_GET, M_POST } want_method;

/* What a handler needs; bundled so dispatch() stays readable. */
typedef struct handler_args {
    sbx_app *app;
    const sbx_request *req;
    const route *r;
    sbx_response *resp;
} handler_args;

/* Dispatches a routed request; sets *method_needed when the path matched
 * but the method did not. Returns the handler's result. */
static int dispatch(const handler_args *a, want_method *method_needed, bool *matched)
{
    const route *r = a->r;
    sbx_app *app = a->app;
    const sbx_request *req = a->req;
    sbx_response *resp = a->resp;
    bool get = is(req, "GET"), post = is(req, "POST");
    *matched = true;

#define WANT(m)                        \
    do {                               \
        if (!(m == M_GET ? get : post)) { \
            *method_needed = m;        \
            return 0;                  \
        }                              \
    } while (0)

    if (r->n == 0) {
        WANT(M_GET);
        return sbx_html_page(app, resp);
    }
    const char *top = r->seg[0];
    if (r->n == 1) {
        if (strcmp(top, "requests") == 0) {
            WANT(M_GET);
            return h_requests(app, req, resp);
        }
        if (strcmp(top, "clock") == 0) {
            WANT(M_GET);
            return h_clock(app, resp);
        }
        if (strcmp(top, "events") == 0) {
            WANT(M_GET);
            return h_events(app, resp);
        }
        static const struct {
            const char *name;
            enum list_kind kind;
        } lists[] = {{"buyers", L_BUYERS},
                     {"transactions", L_TRANSACTIONS},
                     {"invoices", L_INVOICES},
                     {"deposits", L_DEPOSITS},
                     {"notifications", L_NOTIFICATIONS}};
        for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
            if (strcmp(top, lists[i].name) == 0) {
                WANT(M_GET);
                return h_list(app, req, lists[i].kind, resp);
            }
        }
    } else if (r->n == 2) {
        const char *id = r->seg[1];
        if (strcmp(top, "clock") == 0 && strcmp(id, "advance") == 0) {
            WANT(M_POST);
            return h_advance(app, req, resp);
        }
        if (strcmp(top, "clock") == 0 && strcmp(id, "set") == 0) {
            WANT(M_POST);
            return h_clock_set(app, req, resp);
        }
        if (strcmp(top, "transactions") == 0) {
            WANT(M_GET);
            return h_transaction(app, req, id, resp);
        }
        if (strcmp(top, "buyers") == 0) {
            WANT(M_GET);
            return h_buyer(app, req, id, resp);
        }
        if (strcmp(top, "invoices") == 0) {
            WANT(M_GET);
            return h_invoice(app, id, resp);
        }
        if (strcmp(top, "deposits") == 0) {
            WANT(M_GET);
            return h_deposit(app, id, resp);
        }
        if (strcmp(top, "notifications") == 0 && strcmp(id, "test") == 0) {
            WANT(M_POST);
            return h_notification_test(app, req, resp);
        }
        if (strcmp(top, "notifications") == 0) {
            WANT(M_GET);
            return h_notification(app, id, resp);
        }
    } else {
        const char *id = r->seg[1];
        if (strcmp(top, "buyers") == 0 && seg_is(r, 2, "status")) {
            WANT(M_POST);
            return h_buyer_status(app, req, id, resp);
        }
        if (strcmp(top, "buyers") == 0 && seg_is(r, 2, "closing")) {
            WANT(M_POST);
            return h_buyer_closing(app, req, id, resp);
        }
        if (strcmp(top, "buyers") == 0 && seg_is(r, 2, "payment")) {
            WANT(M_POST);
            return h_buyer_payment(app, req, id, resp);
        }
        if (strcmp(top, "invoices") == 0 && seg_is(r, 2, "pay")) {
            WANT(M_POST);
            return h_invoice_pay(app, req, id, resp);
        }
        if (strcmp(top, "notifications") == 0 && seg_is(r, 2, "resend")) {
            WANT(M_POST);
            return h_notification_resend(app, id, resp);
        }
    }
#undef WANT
    *matched = false;
    return 0;
}

void sbx_admin_handle(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    const char *rest = strcmp(req->path, "/") == 0 ? "" : req->path + strlen(PREFIX);

    /* Health, faults and reset need no transaction. */
    if (strcmp(rest, "health") == 0) {
        if (is(req, "GET"))
            (void)sbx_response_set(resp, 200, JSON_TYPE, "{\"ok\":true}\n");
        else
            json_error(resp, 405, "use GET");
        return;
    }
    if (strcmp(rest, "faults") == 0) {
        h_faults(app, req, resp);
        return;
    }
    if (strcmp(rest, "reset") == 0) {
        if (!is(req, "POST")) {
            json_error(resp, 405, "use POST");
            return;
        }
        /* A clean slate includes the test plumbing. */
        if (app->faults != NULL)
            sbx_faults_clear(app->faults);
        sbx_store_lock(app->store);
        int rc = sbx_store_reset(app->store);
        sbx_store_unlock(app->store);
        if (rc == 0)
            (void)sbx_response_set(resp, 200, JSON_TYPE, "{\"ok\":true}\n");
        else
            json_error(resp, 500, "reset failed");
        return;
    }
    route r;
    if (!split_route(rest, &r)) {
        json_error(resp, 404, "not found");
        return;
    }

    /* Everything else reads or changes state at the current virtual time,
     * so due events run first, all inside one transaction. */
    sbx_store *s = app->store;
    sbx_store_lock(s);
    if (sbx_store_begin(s) != 0 || sbx_events_run_due(app, sbx_store_now(s), NULL) < 0) {
        sbx_store_rollback(s);
        sbx_store_unlock(s);
        json_error(resp, 500, "database error");
        return;
    }
    want_method needed = M_NONE;
    bool matched = false;
    handler_args args = {app, req, &r, resp};
    int rc = dispatch(&args, &needed, &matched);
    if (!matched)
        json_error(resp, 404, "not found");
    else if (needed == M_GET)
        json_error(resp, 405, "use GET");
    else if (needed == M_POST)
        json_error(resp, 405, "use POST");

    if (rc != 0 || sbx_store_commit(s) != 0) {
        sbx_store_rollback(s);
        free(resp->body);
        resp->body = NULL;
        json_error(resp, 500, "internal error");
    }
    sbx_store_unlock(s);
    /* Events run here (clock moves, order reviews) may have queued
     * notifications, and an admin call may have asked for a resend. */
    sbx_notifier_kick(app->notifier);
}
