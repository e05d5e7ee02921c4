#include "sbx_admin.h"

#include "sbx_buf.h"
#include "sbx_clock.h"
#include "sbx_events.h"
#include "sbx_faults.h"
#include "sbx_log.h"
#include "sbx_paid.h"
#include "sbx_store.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_TYPE "application/json"
#define HTML_TYPE "text/html;charset=UTF-8"
#define PREFIX "/_sandbox/"

/* Upper bound of one clock advance: ten years is plenty for any test and
 * keeps the arithmetic far from overflow. */
#define MAX_ADVANCE_S (3650LL * SBX_DAY_S)
/* No limit by default: a caller reading last_seq from an unlimited query
 * always gets the newest sequence. With ?limit=N it pages instead. */
#define MAX_LOG_LIMIT 100000

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

static json_object *json_time(int64_t t)
{
    char buf[32];
    sbx_time_iso(t, buf, sizeof buf);
    return json_object_new_string(buf);
}

static json_object *buyer_json(const sbx_buyer *b)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    bool ok = true;
    int64_t rest = 0;
    if (strcmp(b->status, "AVAILABLE") == 0 && b->credit_line > b->reserved)
        rest = b->credit_line - b->reserved;
    json_object *data = json_tokener_parse(b->data_json);
    put(o, "shop_id", json_object_new_string(b->shop_id), &ok);
    put(o, "buyer_id", json_object_new_string(b->buyer_id), &ok);
    put(o, "paid_id", json_object_new_string(b->paid_id), &ok);
    put(o, "status", json_object_new_string(b->status), &ok);
    put(o, "credit_line", json_object_new_int64(b->credit_line), &ok);
    put(o, "reserved", json_object_new_int64(b->reserved), &ok);
    put(o, "rest_amount", json_object_new_int64(rest), &ok);
    put(o, "order_review", json_object_new_boolean(b->order_review), &ok);
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
    } else if (json_object_object_add(o, "cancel_amount", NULL) != 0 ||
               json_object_object_add(o, "cancel_tax", NULL) != 0) {
        ok = false;
    }
    put(o, "fixed_at", json_object_new_string(t->fixed_at), &ok);
    put(o, "created_at", json_time(t->created_at), &ok);
    put(o, "updated_at", json_time(t->updated_at), &ok);
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

/* ---- handlers (store lock held, transaction open) --------------------------------
 * Each returns 0 when it produced an answer to commit, -1 on an internal
 * error (rolled back, 500). */

static int h_requests(sbx_app *app, const sbx_request *req, sbx_response *resp);
static int h_transaction(sbx_app *app, const sbx_request *req, const char *id,
                         sbx_response *resp);
static int h_buyer(sbx_app *app, const sbx_request *req, const char *id,
                   sbx_response *resp);
static int h_buyer_status(sbx_app *app, const sbx_request *req, const char *id,
                          sbx_response *resp);
static int h_clock(sbx_app *app, sbx_response *resp);
static int h_advance(sbx_app *app, const sbx_request *req, sbx_response *resp);
static int h_events(sbx_app *app, sbx_response *resp);
static int h_list(sbx_app *app, bool buyers, sbx_response *resp);
static int h_html(sbx_app *app, sbx_response *resp);

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
    if (o == NULL)
        return -1;
    json_answer(resp, 200, o);
    return 0;
}

static int h_buyer(sbx_app *app, const sbx_request *req, const char *id, sbx_response *resp)
{
    sbx_buyer b;
    int rc = sbx_store_buyer_get(app->store, sbx_request_query(req, "shop_id"), id, &b);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such buyer");
        return 0;
    }
    json_object *o = buyer_json(&b);
    sbx_buyer_clear(&b);
    if (o == NULL)
        return -1;
    json_answer(resp, 200, o);
    return 0;
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
    int rc = sbx_store_buyer_get(app->store, sbx_request_query(req, "shop_id"), id, &b);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        json_error(resp, 404, "no such buyer");
        return 0;
    }
    (void)snprintf(b.status, sizeof b.status, "%s", value);
    b.updated_at = sbx_store_now(app->store);
    json_object *o = NULL;
    if (sbx_store_buyer_save(app->store, &b) == 0)
        o = buyer_json(&b);
    sbx_buyer_clear(&b);
    if (o == NULL)
        return -1;
    json_answer(resp, 200, o);
    return 0;
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
    sbx_store *s = app->store;
    int64_t before = sbx_store_now(s);
    json_object *events = json_object_new_array();
    json_object *o = json_object_new_object();
    if (events == NULL || o == NULL)
        goto put_objects;
    if (sbx_store_set_clock_offset(s, sbx_store_clock_offset(s) + delta) != 0)
        goto put_objects;
    int64_t now = before + delta;
    if (sbx_events_run_due(s, now, events) < 0)
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

static int event_cb(void *ctx, const sbx_event *e, int64_t done_at, const char *result)
{
    json_object *arr = ctx;
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    bool ok = true;
    put(o, "id", json_object_new_int64(e->id), &ok);
    put(o, "due", json_time(e->due_at), &ok);
    put(o, "kind", json_object_new_string(e->kind), &ok);
    put(o, "shop_id", json_object_new_string(e->shop_id), &ok);
    put(o, "ref", json_object_new_string(e->ref), &ok);
    put(o, "done", json_object_new_boolean(done_at >= 0), &ok);
    put(o, "result", json_object_new_string(result), &ok);
    if (!ok || json_object_array_add(arr, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

static int h_events(sbx_app *app, sbx_response *resp)
{
    json_object *arr = json_object_new_array();
    json_object *o = json_object_new_object();
    if (arr == NULL || o == NULL || sbx_store_event_foreach(app->store, event_cb, arr) != 0) {
        json_object_put(arr);
        json_object_put(o);
        return -1;
    }
    bool ok = true;
    put(o, "events", arr, &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    json_answer(resp, 200, o);
    return 0;
}

static int buyer_list_cb(void *ctx, const sbx_buyer *b)
{
    json_object *o = buyer_json(b);
    if (o == NULL || json_object_array_add(ctx, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

static int txn_list_cb(void *ctx, const sbx_txn *t)
{
    json_object *o = txn_json(t);
    if (o == NULL || json_object_array_add(ctx, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

static int h_list(sbx_app *app, bool buyers, sbx_response *resp)
{
    json_object *arr = json_object_new_array();
    json_object *o = json_object_new_object();
    int rc = -1;
    if (arr != NULL && o != NULL)
        rc = buyers ? sbx_store_buyer_foreach(app->store, buyer_list_cb, arr)
                    : sbx_store_txn_foreach(app->store, txn_list_cb, arr);
    if (rc != 0) {
        json_object_put(arr);
        json_object_put(o);
        return -1;
    }
    bool ok = true;
    put(o, buyers ? "buyers" : "transactions", arr, &ok);
    if (!ok) {
        json_object_put(o);
        return -1;
    }
    json_answer(resp, 200, o);
    return 0;
}

/* ---- HTML management page ------------------------------------------------------ */

static void html_text(sbx_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '<': (void)sbx_buf_puts(b, "&lt;"); break;
        case '>': (void)sbx_buf_puts(b, "&gt;"); break;
        case '&': (void)sbx_buf_puts(b, "&amp;"); break;
        case '"': (void)sbx_buf_puts(b, "&quot;"); break;
        case '\'': (void)sbx_buf_puts(b, "&#39;"); break;
        default: (void)sbx_buf_putc(b, *s); break;
        }
    }
}

static void html_cell(sbx_buf *b, const char *s)
{
    (void)sbx_buf_puts(b, "<td>");
    html_text(b, s);
    (void)sbx_buf_puts(b, "</td>");
}

static void html_num(sbx_buf *b, int64_t v)
{
    (void)sbx_buf_printf(b, "<td class=n>%lld</td>", (long long)v);
}

static void html_time(sbx_buf *b, int64_t t)
{
    char buf[32];
    sbx_time_iso(t, buf, sizeof buf);
    html_cell(b, buf);
}

static int html_buyer_cb(void *ctx, const sbx_buyer *bu)
{
    sbx_buf *b = ctx;
    (void)sbx_buf_puts(b, "<tr>");
    html_cell(b, bu->shop_id);
    html_cell(b, bu->buyer_id);
    html_cell(b, bu->paid_id);
    html_cell(b, bu->company_name);
    html_cell(b, bu->email);
    html_cell(b, bu->status);
    html_num(b, bu->credit_line);
    html_num(b, bu->reserved);
    html_cell(b, bu->order_review ? "yes" : "");
    html_time(b, bu->updated_at);
    (void)sbx_buf_puts(b, "</tr>\n");
    return sbx_buf_ok(b) ? 0 : -1;
}

/* AccessPass is deliberately not shown on the page. */
static int html_txn_cb(void *ctx, const sbx_txn *t)
{
    sbx_buf *b = ctx;
    (void)sbx_buf_puts(b, "<tr>");
    html_cell(b, t->shop_id);
    html_cell(b, t->order_id);
    html_cell(b, t->status);
    html_cell(b, t->job_cd);
    html_num(b, t->amount);
    html_num(b, t->tax);
    html_cell(b, t->buyer_id);
    html_cell(b, t->paid_code);
    html_cell(b, t->contents);
    if (t->has_cancel)
        html_num(b, t->cancel_amount + t->cancel_tax);
    else
        html_cell(b, "");
    html_cell(b, t->access_id);
    html_time(b, t->updated_at);
    (void)sbx_buf_puts(b, "</tr>\n");
    return sbx_buf_ok(b) ? 0 : -1;
}

static int h_html(sbx_app *app, sbx_response *resp)
{
    sbx_buf b;
    sbx_buf_init(&b);
    char now[32];
    sbx_time_iso(sbx_store_now(app->store), now, sizeof now);
    (void)sbx_buf_puts(&b,
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        "<title>paid-sandbox</title><style>"
        "body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:2em}"
        "td,th{border:1px solid #bbb;padding:.2em .5em;font-size:90%}th{background:#eee}"
        "td.n{text-align:right}</style></head><body>\n"
        "<h1>paid-sandbox</h1>\n<p>Virtual time (JST): <b>");
    html_text(&b, now);
    (void)sbx_buf_puts(&b, "</b>. Gateway: <code>");
    html_text(&b, app->base_url != NULL ? app->base_url : "");
    (void)sbx_buf_puts(&b, "/payment/</code>. JSON: <a href=\"/_sandbox/buyers\">buyers</a>, "
                           "<a href=\"/_sandbox/transactions\">transactions</a>, "
                           "<a href=\"/_sandbox/events\">events</a>, "
                           "<a href=\"/_sandbox/requests\">requests</a>.</p>\n"
                           "<h2>Buyers</h2>\n<table><tr><th>Shop</th><th>PaidBuyerID</th>"
                           "<th>PaidID</th><th>Company</th><th>Email</th><th>Status</th>"
                           "<th>Credit line</th><th>Reserved</th><th>Order review</th>"
                           "<th>Updated</th></tr>\n");
    if (sbx_store_buyer_foreach(app->store, html_buyer_cb, &b) != 0)
        goto free_page;
    (void)sbx_buf_puts(&b, "</table>\n<h2>Orders</h2>\n<table><tr><th>Shop</th>"
                           "<th>OrderID</th><th>Status</th><th>JobCd</th><th>Amount</th>"
                           "<th>Tax</th><th>PaidBuyerID</th><th>PaidCode</th>"
                           "<th>Contents</th><th>Cancelled</th><th>AccessID</th>"
                           "<th>Updated</th></tr>\n");
    if (sbx_store_txn_foreach(app->store, html_txn_cb, &b) != 0)
        goto free_page;
    (void)sbx_buf_puts(&b, "</table>\n</body></html>\n");
    resp->status = 200;
    resp->content_type = HTML_TYPE;
    resp->body = sbx_buf_steal(&b, &resp->len);
    return resp->body != NULL ? 0 : -1;
free_page:
    sbx_buf_free(&b);
    return -1;
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

/* "buyers/ID" -> "ID" when rest starts with prefix and the remainder is a
 * single non-empty segment. */
static const char *segment_after(const char *rest, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(rest, prefix, n) != 0 || rest[n] == '\0' || strchr(rest + n, '/') != NULL)
        return NULL;
    return rest + n;
}

void sbx_admin_handle(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    const char *rest = strcmp(req->path, "/") == 0 ? "" : req->path + strlen(PREFIX);

    /* Reset and health need no transaction. */
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

    /* Everything else reads or changes state at the current virtual time,
     * so due events run first, all inside one transaction. */
    sbx_store *s = app->store;
    sbx_store_lock(s);
    if (sbx_store_begin(s) != 0 || sbx_events_run_due(s, sbx_store_now(s), NULL) < 0) {
        sbx_store_rollback(s);
        sbx_store_unlock(s);
        json_error(resp, 500, "database error");
        return;
    }
    int rc = 0;
    const char *id;
    bool post_only = false, get_only = false;
    if (strcmp(rest, "") == 0) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_html(app, resp);
    } else if (strcmp(rest, "requests") == 0) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_requests(app, req, resp);
    } else if (strcmp(rest, "clock") == 0) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_clock(app, resp);
    } else if (strcmp(rest, "clock/advance") == 0) {
        post_only = !is(req, "POST");
        if (!post_only)
            rc = h_advance(app, req, resp);
    } else if (strcmp(rest, "events") == 0) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_events(app, resp);
    } else if (strcmp(rest, "buyers") == 0 || strcmp(rest, "transactions") == 0) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_list(app, rest[0] == 'b', resp);
    } else if ((id = segment_after(rest, "transactions/")) != NULL) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_transaction(app, req, id, resp);
    } else if (strncmp(rest, "buyers/", 7) == 0 && strlen(rest) > 14 &&
               strcmp(rest + strlen(rest) - 7, "/status") == 0) {
        char buyer[64];
        int w = snprintf(buyer, sizeof buyer, "%.*s", (int)(strlen(rest) - 14), rest + 7);
        post_only = !is(req, "POST");
        if (w < 0 || (size_t)w >= sizeof buyer || strchr(buyer, '/') != NULL)
            json_error(resp, 404, "not found");
        else if (!post_only)
            rc = h_buyer_status(app, req, buyer, resp);
    } else if ((id = segment_after(rest, "buyers/")) != NULL) {
        get_only = !is(req, "GET");
        if (!get_only)
            rc = h_buyer(app, req, id, resp);
    } else {
        json_error(resp, 404, "not found");
    }
    if (get_only)
        json_error(resp, 405, "use GET");
    else if (post_only)
        json_error(resp, 405, "use POST");

    if (rc != 0 || sbx_store_commit(s) != 0) {
        sbx_store_rollback(s);
        free(resp->body);
        resp->body = NULL;
        json_error(resp, 500, "internal error");
    }
    sbx_store_unlock(s);
}
