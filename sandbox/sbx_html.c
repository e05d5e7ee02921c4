#include "sbx_html.h"

#include "sbx_buf.h"
#include "sbx_clock.h"
#include "sbx_rules.h"
#include "sbx_settle.h"
#include "sbx_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTML_TYPE "text/html;charset=UTF-8"
/* Upcoming events shown; the full list is /_sandbox/events. */
#define MAX_UPCOMING 12

static const char style[] =
    "body{font-family:system-ui,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;"
    "color:#1f2933;background:#f5f7fa}"
    "header{background:#243b53;color:#fff;padding:14px 24px}"
    "header h1{margin:0;font-size:20px;font-weight:600}"
    "header p{margin:4px 0 0;font-size:13px;color:#d9e2ec}"
    "header code{color:#fff}"
    "main{padding:16px 24px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-bottom:8px}"
    ".card{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:8px 14px;"
    "min-width:120px}"
    ".card b{display:block;font-size:20px}.card span{font-size:12px;color:#627d98}"
    "h2{font-size:16px;margin:22px 0 6px;color:#243b53}"
    "table{border-collapse:collapse;background:#fff;width:100%;font-size:13px}"
    "th,td{border:1px solid #d9e2ec;padding:4px 8px;text-align:left;vertical-align:top}"
    "th{background:#e4e7eb;font-weight:600;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "td.neg{color:#ab091e}"
    ".b{display:inline-block;padding:1px 7px;border-radius:9px;font-size:12px;"
    "font-weight:600;background:#e4e7eb;color:#334e68}"
    ".ok{background:#c6f7e2;color:#014d40}.warn{background:#fff3c4;color:#8d2b0b}"
    ".bad{background:#ffe3e3;color:#8a041a}.info{background:#dceefb;color:#0b4f71}"
    ".lines{margin:0;padding:0;list-style:none;font-size:12px}"
    ".empty{color:#829ab1;font-style:italic}"
    "footer{padding:12px 24px;font-size:12px;color:#627d98}";

/* ---- small writers (errors are sticky in the buffer, checked once) ---------------- */

static void text(sbx_buf *b, const char *s)
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

/* "1234567" -> "1,234,567" (JPY, negative with a minus). */
static void yen(char *buf, size_t n, int64_t v)
{
    char digits[32];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    (void)snprintf(digits, sizeof digits, "%" PRIu64, u);
    size_t len = strlen(digits), o = 0;
    if (v < 0 && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 1 < n)
            buf[o++] = ',';
        if (o + 1 < n)
            buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

static void row_open(sbx_buf *b, const char *kind, const char *id)
{
    (void)sbx_buf_puts(b, "<tr data-kind=\"");
    text(b, kind);
    (void)sbx_buf_puts(b, "\" data-id=\"");
    text(b, id);
    (void)sbx_buf_puts(b, "\">");
}

static void cell(sbx_buf *b, const char *col, const char *s)
{
    (void)sbx_buf_puts(b, "<td data-col=\"");
    text(b, col);
    (void)sbx_buf_puts(b, "\">");
    text(b, s);
    (void)sbx_buf_puts(b, "</td>");
}

static void num(sbx_buf *b, const char *col, int64_t v)
{
    char shown[40];
    yen(shown, sizeof shown, v);
    (void)sbx_buf_printf(b, "<td class=\"n%s\" data-col=\"%s\" data-value=\"%" PRId64 "\">%s</td>",
                         v < 0 ? " neg" : "", col, v, shown);
}

static void date_cell(sbx_buf *b, const char *col, const char *d8)
{
    sbx_date d;
    char iso[16] = "";
    if (sbx_date_parse8(d8, &d))
        sbx_date_iso(d, iso, sizeof iso);
    cell(b, col, iso[0] != '\0' ? iso : d8);
}

static void time_cell(sbx_buf *b, const char *col, int64_t t)
{
    char iso[32] = "";
    if (t != 0)
        sbx_time_iso(t, iso, sizeof iso);
    cell(b, col, iso);
}

/* A status word as a coloured badge; tone is ok, warn, bad, info or "". */
static void badge(sbx_buf *b, const char *col, const char *value, const char *tone)
{
    (void)sbx_buf_puts(b, "<td data-col=\"");
    text(b, col);
    (void)sbx_buf_puts(b, "\" data-value=\"");
    text(b, value);
    (void)sbx_buf_printf(b, "\"><span class=\"b %s\">", tone);
    text(b, value);
    (void)sbx_buf_puts(b, "</span></td>");
}

static const char *tone_of(const char *v)
{
    static const struct {
        const char *value;
        const char *tone;
    } tones[] = {
        {"AVAILABLE", "ok"},      {"SUSPENDED", "warn"},  {"UNAVAILABLE", "bad"},
        {"EXAMINATION", "info"},  {"AUTH", "info"},       {"AUTHPROCESS", "info"},
        {"SALES", "ok"},          {"CANCEL", ""},         {"RETURN", "warn"},
        {"PAYFAIL", "bad"},       {"closed", ""},         {"issued", "info"},
        {"overdue", "bad"},       {"paid", "ok"},         {"credit", "info"},
        {"scheduled", "info"},    {"acknowledged", "ok"}, {"pending", "warn"},
        {"failed", "bad"},        {"unsent", ""},
    };
    for (size_t i = 0; i < sizeof tones / sizeof tones[0]; i++)
        if (strcmp(tones[i].value, v) == 0)
            return tones[i].tone;
    return "";
}

static void section(sbx_buf *b, const char *id, const char *title, const char *columns)
{
    (void)sbx_buf_printf(b, "<h2 id=\"%s\">%s</h2>\n<table data-table=\"%s\"><tr>", id, title,
                         id);
    /* columns: '|'-separated header texts (static, no escaping needed). */
    const char *p = columns;
    while (*p != '\0') {
        size_t len = strcspn(p, "|");
        (void)sbx_buf_puts(b, "<th>");
        (void)sbx_buf_append(b, p, len);
        (void)sbx_buf_puts(b, "</th>");
        p += len;
        if (*p == '|')
            p++;
    }
    (void)sbx_buf_puts(b, "</tr>\n");
}

static void section_end(sbx_buf *b, size_t rows, int ncols)
{
    if (rows == 0)
        (void)sbx_buf_printf(b, "<tr><td class=\"empty\" colspan=\"%d\">none yet</td></tr>\n",
                             ncols);
    (void)sbx_buf_puts(b, "</table>\n");
}

/* ---- the sections ------------------------------------------------------------------- */

typedef struct page {
    sbx_buf *b;
    sbx_store *store;
    size_t rows;
    /* summary figures, gathered while the tables are written */
    int64_t buyers, suspended, orders, reserved, invoiced, outstanding, overdue,
        deposits_paid, deposits_due, notes_pending, notes_acked, notes_failed;
} page;

static int buyer_row(void *ctx, const sbx_buyer *bu)
{
    page *pg = ctx;
    sbx_buf *b = pg->b;
    sbx_buyer_money money;
    if (sbx_store_buyer_money(pg->store, bu->shop_id, bu->buyer_id, &money) != 0)
        return -1;
    int64_t rest = strcmp(bu->status, "AVAILABLE") == 0 && bu->credit_line > bu->reserved
                       ? bu->credit_line - bu->reserved
                       : 0;
    char closing[8];
    sbx_closing_name(bu->closing, closing, sizeof closing);
    row_open(b, "buyer", bu->buyer_id);
    cell(b, "shop_id", bu->shop_id);
    cell(b, "buyer_id", bu->buyer_id);
    cell(b, "company_name", bu->company_name);
    badge(b, "status", bu->status, tone_of(bu->status));
    num(b, "credit_line", bu->credit_line);
    num(b, "reserved", bu->reserved);
    num(b, "rest_amount", rest);
    num(b, "invoiced_amount", money.invoiced);
    num(b, "paid_amount", money.paid);
    num(b, "overdue_amount", money.overdue_amount);
    cell(b, "dunning_step", money.dunning_step);
    cell(b, "closing", closing);
    cell(b, "payment", bu->payment);
    (void)sbx_buf_puts(b, "</tr>\n");
    pg->rows++;
    pg->buyers++;
    pg->suspended += strcmp(bu->status, "SUSPENDED") == 0;
    pg->reserved += bu->reserved;
    return sbx_buf_ok(b) ? 0 : -1;
}

/* AccessPass is deliberately not shown on the page. */
static int order_row(void *ctx, const sbx_txn *t)
{
    page *pg = ctx;
    sbx_buf *b = pg->b;
    char invoice[24] = "";
    if (t->invoice_id != 0)
        sbx_invoice_no(t->invoice_id, invoice, sizeof invoice);
    row_open(b, "order", t->order_id);
    cell(b, "shop_id", t->shop_id);
    cell(b, "order_id", t->order_id);
    cell(b, "buyer_id", t->buyer_id);
    badge(b, "status", t->status, tone_of(t->status));
    cell(b, "job_cd", t->job_cd);
    num(b, "amount", t->amount);
    num(b, "tax", t->tax);
    num(b, "total", t->amount + t->tax);
    num(b, "reserved", t->reserved);
    date_cell(b, "fixed_at", t->fixed_at);
    cell(b, "invoice_id", invoice);
    cell(b, "paid_code", t->paid_code);
    cell(b, "contents", t->contents);
    time_cell(b, "updated_at", t->updated_at);
    (void)sbx_buf_puts(b, "</tr>\n");
    pg->rows++;
    pg->orders++;
    return sbx_buf_ok(b) ? 0 : -1;
}

static int line_item(void *ctx, const sbx_line *l)
{
    sbx_buf *b = ctx;
    char shown[40];
    yen(shown, sizeof shown, l->amount + l->tax);
    (void)sbx_buf_puts(b, "<li data-line=\"");
    text(b, l->order_id);
    (void)sbx_buf_printf(b, "\" data-kind=\"%s\" data-value=\"%" PRId64 "\">", l->kind,
                         l->amount + l->tax);
    text(b, l->order_id);
    (void)sbx_buf_printf(b, " %s", shown);
    if (strcmp(l->kind, "SALES") != 0)
        (void)sbx_buf_printf(b, " (%s)", l->kind);
    (void)sbx_buf_puts(b, "</li>");
    return sbx_buf_ok(b) ? 0 : -1;
}

static int invoice_row(void *ctx, const sbx_invoice *inv)
{
    page *pg = ctx;
    sbx_buf *b = pg->b;
    char no[24], dep[24] = "", period[40];
    sbx_invoice_no(inv->id, no, sizeof no);
    if (inv->deposit_id != 0)
        sbx_deposit_no(inv->deposit_id, dep, sizeof dep);
    sbx_date s, e;
    char s_iso[16] = "", e_iso[16] = "";
    if (sbx_date_parse8(inv->period_start, &s) && sbx_date_parse8(inv->period_end, &e)) {
        sbx_date_iso(s, s_iso, sizeof s_iso);
        sbx_date_iso(e, e_iso, sizeof e_iso);
    }
    (void)snprintf(period, sizeof period, "%s \xe2\x80\x93 %s", s_iso, e_iso);
    int64_t outstanding = inv->total > inv->paid_amount ? inv->total - inv->paid_amount : 0;
    row_open(b, "invoice", no);
    cell(b, "invoice_id", no);
    cell(b, "buyer_id", inv->buyer_id);
    cell(b, "period", period);
    date_cell(b, "issue_date", inv->issue_date);
    date_cell(b, "due_date", inv->due_date);
    (void)sbx_buf_puts(b, "<td data-col=\"lines\"><ul class=\"lines\">");
    if (sbx_store_line_foreach(pg->store, inv->id, NULL, NULL, line_item, b) != 0)
        return -1;
    (void)sbx_buf_puts(b, "</ul></td>");
    num(b, "amount", inv->amount);
    num(b, "tax", inv->tax);
    num(b, "total", inv->total);
    num(b, "paid_amount", inv->paid_amount);
    num(b, "outstanding", outstanding);
    badge(b, "state", inv->state, tone_of(inv->state));
    cell(b, "dunning_step", inv->dunning_step);
    cell(b, "deposit_id", dep);
    (void)sbx_buf_puts(b, "</tr>\n");
    pg->rows++;
    pg->invoiced += inv->total;
    pg->outstanding += outstanding;
    if (strcmp(inv->state, "overdue") == 0)
        pg->overdue += outstanding;
    return sbx_buf_ok(b) ? 0 : -1;
}

static int count_line(void *ctx, const sbx_line *l)
{
    (*(size_t *)ctx)++;
    return 0;
}

static int deposit_row(void *ctx, const sbx_deposit *d)
{
    page *pg = ctx;
    sbx_buf *b = pg->b;
    char no[24], closing[8];
    sbx_deposit_no(d->id, no, sizeof no);
    sbx_closing_name(d->closing, closing, sizeof closing);
    size_t nlines = 0;
    if (sbx_store_deposit_line_foreach(pg->store, d->id, count_line, &nlines) != 0)
        return -1;
    row_open(b, "deposit", no);
    cell(b, "deposit_id", no);
    cell(b, "shop_id", d->shop_id);
    date_cell(b, "period_end", d->period_end);
    cell(b, "closing", closing);
    date_cell(b, "deposit_date", d->deposit_date);
    num(b, "lines", (int64_t)nlines);
    num(b, "sales", d->sales);
    num(b, "deductions", d->deductions);
    num(b, "total", d->total);
    badge(b, "state", d->state, tone_of(d->state));
    time_cell(b, "paid_at", d->paid_at);
    (void)sbx_buf_puts(b, "</tr>\n");
    pg->rows++;
    if (strcmp(d->state, "paid") == 0)
        pg->deposits_paid += d->total;
    else
        pg->deposits_due += d->total;
    return sbx_buf_ok(b) ? 0 : -1;
}

static int notification_row(void *ctx, const sbx_notification *n)
{
    page *pg = ctx;
    sbx_buf *b = pg->b;
    char id[24], status[48], http[16] = "";
    (void)snprintf(id, sizeof id, "%" PRId64, n->id);
    (void)snprintf(status, sizeof status, "%s%s%s", n->status, n->job_cd[0] != '\0' ? " / " : "",
                   n->job_cd);
    if (n->last_http_status >= 0)
        (void)snprintf(http, sizeof http, "%d", n->last_http_status);
    row_open(b, "notification", id);
    cell(b, "id", id);
    cell(b, "order_id", n->order_id);
    cell(b, "status", status);
    cell(b, "err_info", n->err_info);
    time_cell(b, "time", n->created_at);
    badge(b, "delivery", n->state, tone_of(n->state));
    num(b, "attempts", n->attempts);
    num(b, "duplicates", n->duplicates);
    cell(b, "last_http_status", http);
    cell(b, "last_answer", n->last_answer);
    (void)sbx_buf_puts(b, "</tr>\n");
    pg->rows++;
    pg->notes_pending += strcmp(n->state, "pending") == 0;
    pg->notes_acked += strcmp(n->state, "acknowledged") == 0;
    pg->notes_failed += strcmp(n->state, "failed") == 0;
    return sbx_buf_ok(b) ? 0 : -1;
}

typedef struct upcoming {
    sbx_buf *b;
    size_t rows;
} upcoming;

static int upcoming_row(void *ctx, const sbx_event *e, int64_t done_at, const char *result)
{
    upcoming *up = ctx;
    if (done_at >= 0 || up->rows >= MAX_UPCOMING)
        return 0;
    char id[24];
    (void)snprintf(id, sizeof id, "%" PRId64, e->id);
    row_open(up->b, "event", id);
    time_cell(up->b, "due", e->due_at);
    cell(up->b, "kind", e->kind);
    cell(up->b, "ref", e->ref);
    cell(up->b, "payload", e->payload);
    (void)sbx_buf_puts(up->b, "</tr>\n");
    up->rows++;
    return sbx_buf_ok(up->b) ? 0 : -1;
}

static void card(sbx_buf *b, const char *id, const char *label, int64_t v, bool money)
{
    char shown[40];
    if (money)
        yen(shown, sizeof shown, v);
    else
        (void)snprintf(shown, sizeof shown, "%" PRId64, v);
    /* "-¥22,000", not "¥-22,000". */
    bool negative = money && shown[0] == '-';
    (void)sbx_buf_printf(b, "<div class=\"card\" data-card=\"%s\" data-value=\"%" PRId64
                            "\"><b>%s%s%s</b><span>%s</span></div>",
                         id, v, negative ? "-" : "", money ? "\xc2\xa5" : "",
                         negative ? shown + 1 : shown, label);
}

int sbx_html_page(sbx_app *app, sbx_response *resp)
{
    sbx_buf body, b;
    sbx_buf_init(&body);
    sbx_buf_init(&b);
    page pg;
    memset(&pg, 0, sizeof pg);
    pg.b = &body;
    pg.store = app->store;

    /* The tables first (they gather the summary figures), then the page
     * around them. */
    section(&body, "buyers", "Buyers",
            "Shop|PaidBuyerID|Company|Status|Credit line|Reserved|Rest|Invoiced|Paid|"
            "Overdue|Dunning|Closing|Payment test value");
    pg.rows = 0;
    if (sbx_store_buyer_foreach(app->store, buyer_row, &pg) != 0)
        goto free_bufs;
    section_end(&body, pg.rows, 13);

    section(&body, "orders", "Orders",
            "Shop|OrderID|Buyer|Status|JobCd|Amount|Tax|Total|Reserved|Fixed|Invoice|"
            "PaidCode|Contents|Updated");
    pg.rows = 0;
    if (sbx_store_txn_foreach(app->store, order_row, &pg) != 0)
        goto free_bufs;
    section_end(&body, pg.rows, 14);

    section(&body, "invoices", "Invoices",
            "Invoice|Buyer|Period|Issued|Due|Lines|Amount|Tax|Total|Paid|Outstanding|State|"
            "Dunning|Deposit");
    pg.rows = 0;
    if (sbx_store_invoice_foreach(app->store, NULL, NULL, invoice_row, &pg) != 0)
        goto free_bufs;
    section_end(&body, pg.rows, 14);

    section(&body, "deposits", "Deposit statements",
            "Statement|Shop|Closing date|Rule|Deposit date|Lines|Sales|Deductions|Total|"
            "State|Paid at");
    pg.rows = 0;
    if (sbx_store_deposit_foreach(app->store, NULL, deposit_row, &pg) != 0)
        goto free_bufs;
    section_end(&body, pg.rows, 11);

    section(&body, "notifications", "Result notifications",
            "#|OrderID|Status / JobCd|ErrInfo|Changed at|Delivery|Attempts|Duplicates|"
            "Last HTTP|Last answer");
    pg.rows = 0;
    if (sbx_store_notification_foreach(app->store, NULL, notification_row, &pg) != 0)
        goto free_bufs;
    section_end(&body, pg.rows, 10);

    section(&body, "upcoming", "Upcoming events", "Due|Kind|Ref|Payload");
    upcoming up = {&body, 0};
    if (sbx_store_event_foreach(app->store, upcoming_row, &up) != 0)
        goto free_bufs;
    section_end(&body, up.rows, 4);

    char now[32];
    sbx_time_iso(sbx_store_now(app->store), now, sizeof now);
    (void)sbx_buf_printf(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                             "<title>paid-sandbox</title><style>%s</style></head><body>\n",
                         style);
    (void)sbx_buf_puts(&b, "<header><h1>paid-sandbox &middot; Paid (BtoB invoice payment)"
                           "</h1><p>Virtual time (JST): <b id=\"now\" data-value=\"");
    text(&b, now);
    (void)sbx_buf_puts(&b, "\">");
    text(&b, now);
    (void)sbx_buf_puts(&b, "</b> &middot; gateway <code>");
    text(&b, app->base_url != NULL ? app->base_url : "");
    (void)sbx_buf_puts(&b, "/payment/</code></p></header>\n<main>\n<div class=\"cards\">");
    card(&b, "buyers", "buyers", pg.buyers, false);
    card(&b, "suspended", "suspended", pg.suspended, false);
    card(&b, "orders", "orders", pg.orders, false);
    card(&b, "reserved", "credit reserved", pg.reserved, true);
    card(&b, "invoiced", "invoiced", pg.invoiced, true);
    card(&b, "outstanding", "outstanding", pg.outstanding, true);
    card(&b, "overdue", "overdue", pg.overdue, true);
    card(&b, "deposited", "deposited", pg.deposits_paid, true);
    card(&b, "scheduled", "deposits scheduled", pg.deposits_due, true);
    card(&b, "notifications_acknowledged", "notifications acknowledged", pg.notes_acked,
         false);
    card(&b, "notifications_pending", "notifications pending", pg.notes_pending, false);
    (void)sbx_buf_puts(&b, "</div>\n");
    (void)sbx_buf_append(&b, body.data != NULL ? body.data : "", body.len);
    (void)sbx_buf_puts(&b, "</main>\n<footer>JSON: <a href=\"/_sandbox/buyers\">buyers</a> "
                           "&middot; <a href=\"/_sandbox/transactions\">transactions</a> "
                           "&middot; <a href=\"/_sandbox/invoices\">invoices</a> "
                           "&middot; <a href=\"/_sandbox/deposits\">deposits</a> "
                           "&middot; <a href=\"/_sandbox/notifications\">notifications</a> "
                           "&middot; <a href=\"/_sandbox/events\">events</a> "
                           "&middot; <a href=\"/_sandbox/requests\">requests</a>. "
                           "Amounts in JPY, dates and times in JST.</footer>\n"
                           "</body></html>\n");
    if (!sbx_buf_ok(&body))
        goto free_bufs;
    sbx_buf_free(&body);
    resp->status = 200;
    resp->content_type = HTML_TYPE;
    resp->body = sbx_buf_steal(&b, &resp->len);
    return resp->body != NULL ? 0 : -1;
free_bufs:
    sbx_buf_free(&b);
    sbx_buf_free(&body);
    return -1;
}
