/* Records of the settlement business: invoices, their lines, payments and
 * the merchant's deposit statements (sbx_settle.c decides what goes in). */
#include "sbx_store.h"
#include "sbx_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- invoices -------------------------------------------------------------- */

#define INVOICE_COLS "id, shop_id, buyer_id, closing, period_start, period_end, issue_date, " \
                     "due_date, amount, tax, total, paid_amount, state, dunning_step, "      \
                     "deposit_id, created_at, issued_at, paid_at"

static void read_invoice(sqlite3_stmt *st, sbx_invoice *inv)
{
    memset(inv, 0, sizeof *inv);
    inv->id = sqlite3_column_int64(st, 0);
    sbx_db_col_copy(st, 1, inv->shop_id, sizeof inv->shop_id);
    sbx_db_col_copy(st, 2, inv->buyer_id, sizeof inv->buyer_id);
    inv->closing = sqlite3_column_int(st, 3);
    sbx_db_col_copy(st, 4, inv->period_start, sizeof inv->period_start);
    sbx_db_col_copy(st, 5, inv->period_end, sizeof inv->period_end);
    sbx_db_col_copy(st, 6, inv->issue_date, sizeof inv->issue_date);
    sbx_db_col_copy(st, 7, inv->due_date, sizeof inv->due_date);
    inv->amount = sqlite3_column_int64(st, 8);
    inv->tax = sqlite3_column_int64(st, 9);
    inv->total = sqlite3_column_int64(st, 10);
    inv->paid_amount = sqlite3_column_int64(st, 11);
    sbx_db_col_copy(st, 12, inv->state, sizeof inv->state);
    sbx_db_col_copy(st, 13, inv->dunning_step, sizeof inv->dunning_step);
    inv->deposit_id = sqlite3_column_int64(st, 14);
    inv->created_at = sqlite3_column_int64(st, 15);
    inv->issued_at = sqlite3_column_int64(st, 16);
    inv->paid_at = sqlite3_column_int64(st, 17);
}

/* Binds every column but id, in INVOICE_COLS order, from index 1. */
static void bind_invoice(sqlite3_stmt *st, const sbx_invoice *inv)
{
    sbx_db_bind_text(st, 1, inv->shop_id);
    sbx_db_bind_text(st, 2, inv->buyer_id);
    sqlite3_bind_int(st, 3, inv->closing);
    sbx_db_bind_text(st, 4, inv->period_start);
    sbx_db_bind_text(st, 5, inv->period_end);
    sbx_db_bind_text(st, 6, inv->issue_date);
    sbx_db_bind_text(st, 7, inv->due_date);
    sqlite3_bind_int64(st, 8, inv->amount);
    sqlite3_bind_int64(st, 9, inv->tax);
    sqlite3_bind_int64(st, 10, inv->total);
    sqlite3_bind_int64(st, 11, inv->paid_amount);
    sbx_db_bind_text(st, 12, inv->state);
    sbx_db_bind_text(st, 13, inv->dunning_step);
    sqlite3_bind_int64(st, 14, inv->deposit_id);
    sqlite3_bind_int64(st, 15, inv->created_at);
    sqlite3_bind_int64(st, 16, inv->issued_at);
    sqlite3_bind_int64(st, 17, inv->paid_at);
}

int sbx_store_invoice_insert(sbx_store *s, sbx_invoice *inv)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO invoices(shop_id, buyer_id, closing, "
                                      "period_start, period_end, issue_date, due_date, amount, "
                                      "tax, total, paid_amount, state, dunning_step, "
                                      "deposit_id, created_at, issued_at, paid_at) "
                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    bind_invoice(st, inv);
    if (sbx_db_step_done(s, st, "invoice insert") != 0)
        return -1;
    inv->id = sbx_db_last_id(s);
    return 0;
}

int sbx_store_invoice_save(sbx_store *s, const sbx_invoice *inv)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE invoices SET shop_id = ?, buyer_id = ?, "
                                      "closing = ?, period_start = ?, period_end = ?, "
                                      "issue_date = ?, due_date = ?, amount = ?, tax = ?, "
                                      "total = ?, paid_amount = ?, state = ?, "
                                      "dunning_step = ?, deposit_id = ?, created_at = ?, "
                                      "issued_at = ?, paid_at = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    bind_invoice(st, inv);
    sqlite3_bind_int64(st, 18, inv->id);
    return sbx_db_step_done(s, st, "invoice save");
}

int sbx_store_invoice_get(sbx_store *s, int64_t id, sbx_invoice *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " INVOICE_COLS " FROM invoices WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        read_invoice(st, out);
        result = 1;
    } else if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, "invoice get");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

typedef struct invoice_iter {
    sbx_invoice_cb cb;
    void *ctx;
} invoice_iter;

static int invoice_row(void *ctx, sqlite3_stmt *st)
{
    invoice_iter *it = ctx;
    sbx_invoice inv;
    read_invoice(st, &inv);
    return it->cb(it->ctx, &inv);
}

int sbx_store_invoice_foreach(sbx_store *s, const char *shop_id, const char *buyer_id,
                              sbx_invoice_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " INVOICE_COLS " FROM invoices "
                                      "WHERE (?1 IS NULL OR shop_id = ?1) "
                                      "AND (?2 IS NULL OR buyer_id = ?2) ORDER BY id");
    if (st == NULL)
        return -1;
    if (shop_id != NULL)
        sbx_db_bind_text(st, 1, shop_id);
    if (buyer_id != NULL)
        sbx_db_bind_text(st, 2, buyer_id);
    invoice_iter it = {cb, ctx};
    return sbx_db_each(s, st, "invoice list", invoice_row, &it);
}

int64_t sbx_store_invoice_overdue_count(sbx_store *s, const char *shop_id,
                                        const char *buyer_id, int64_t except_id)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT COUNT(*) FROM invoices WHERE shop_id = ? "
                                      "AND buyer_id = ? AND state = 'overdue' AND id <> ?");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, buyer_id);
    sqlite3_bind_int64(st, 3, except_id);
    bool failed = false;
    int64_t n = sbx_db_scalar(s, st, 0, &failed);
    return failed ? -1 : n;
}

int sbx_store_buyer_money(sbx_store *s, const char *shop_id, const char *buyer_id,
                          sbx_buyer_money *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(
        /* A credit invoice's total comes back as a CARRY line on the
         * next one; counting both would bill the credit twice. */
        s, "SELECT COALESCE(SUM(CASE WHEN state <> 'credit' THEN total END), 0), "
           "COALESCE(SUM(paid_amount), 0), "
           "COALESCE(SUM(state = 'overdue'), 0), "
           "COALESCE(SUM(CASE WHEN state = 'overdue' THEN total - paid_amount END), 0) "
           "FROM invoices WHERE shop_id = ? AND buyer_id = ?");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, buyer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->invoiced = sqlite3_column_int64(st, 0);
        out->paid = sqlite3_column_int64(st, 1);
        out->overdue_count = sqlite3_column_int64(st, 2);
        out->overdue_amount = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        sbx_db_log_error(s, "buyer money");
        return -1;
    }
    /* The step of the oldest overdue invoice is the furthest one. */
    st = sbx_db_prep(s, "SELECT dunning_step FROM invoices WHERE shop_id = ? AND buyer_id = ? "
                        "AND state = 'overdue' ORDER BY id LIMIT 1");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, buyer_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        sbx_db_col_copy(st, 0, out->dunning_step, sizeof out->dunning_step);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "buyer dunning step");
        return -1;
    }
    return 0;
}

/* ---- lines ------------------------------------------------------------------- */

#define LINE_COLS "id, invoice_id, shop_id, buyer_id, order_id, kind, amount, tax, date, " \
                  "created_at"

static void read_line(sqlite3_stmt *st, sbx_line *l)
{
    memset(l, 0, sizeof *l);
    l->id = sqlite3_column_int64(st, 0);
    l->invoice_id = sqlite3_column_int64(st, 1);
    sbx_db_col_copy(st, 2, l->shop_id, sizeof l->shop_id);
    sbx_db_col_copy(st, 3, l->buyer_id, sizeof l->buyer_id);
    sbx_db_col_copy(st, 4, l->order_id, sizeof l->order_id);
    sbx_db_col_copy(st, 5, l->kind, sizeof l->kind);
    l->amount = sqlite3_column_int64(st, 6);
    l->tax = sqlite3_column_int64(st, 7);
    sbx_db_col_copy(st, 8, l->date, sizeof l->date);
    l->created_at = sqlite3_column_int64(st, 9);
}

int sbx_store_line_insert(sbx_store *s, sbx_line *line)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO invoice_lines(invoice_id, shop_id, "
                                      "buyer_id, order_id, kind, amount, tax, date, "
                                      "created_at) VALUES (?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, line->invoice_id);
    sbx_db_bind_text(st, 2, line->shop_id);
    sbx_db_bind_text(st, 3, line->buyer_id);
    sbx_db_bind_text(st, 4, line->order_id);
    sbx_db_bind_text(st, 5, line->kind);
    sqlite3_bind_int64(st, 6, line->amount);
    sqlite3_bind_int64(st, 7, line->tax);
    sbx_db_bind_text(st, 8, line->date);
    sqlite3_bind_int64(st, 9, line->created_at);
    if (sbx_db_step_done(s, st, "line insert") != 0)
        return -1;
    line->id = sbx_db_last_id(s);
    return 0;
}

int sbx_store_line_set_invoice(sbx_store *s, int64_t line_id, int64_t invoice_id)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE invoice_lines SET invoice_id = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, invoice_id);
    sqlite3_bind_int64(st, 2, line_id);
    return sbx_db_step_done(s, st, "line attach");
}

typedef struct line_iter {
    sbx_line_cb cb;
    void *ctx;
} line_iter;

static int line_row(void *ctx, sqlite3_stmt *st)
{
    line_iter *it = ctx;
    sbx_line l;
    read_line(st, &l);
    return it->cb(it->ctx, &l);
}

int sbx_store_line_foreach(sbx_store *s, int64_t invoice_id, const char *shop_id,
                           const char *buyer_id, sbx_line_cb cb, void *ctx)
{
    sqlite3_stmt *st;
    if (invoice_id != 0) {
        st = sbx_db_prep(s, "SELECT " LINE_COLS " FROM invoice_lines WHERE invoice_id = ? "
                            "ORDER BY id");
        if (st == NULL)
            return -1;
        sqlite3_bind_int64(st, 1, invoice_id);
    } else {
        st = sbx_db_prep(s, "SELECT " LINE_COLS " FROM invoice_lines WHERE invoice_id = 0 "
                            "AND shop_id = ? AND buyer_id = ? ORDER BY id");
        if (st == NULL)
            return -1;
        sbx_db_bind_text(st, 1, shop_id);
        sbx_db_bind_text(st, 2, buyer_id);
    }
    line_iter it = {cb, ctx};
    return sbx_db_each(s, st, "line list", line_row, &it);
}

int sbx_store_deposit_line_foreach(sbx_store *s, int64_t deposit_id, sbx_line_cb cb,
                                   void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT l.id, l.invoice_id, l.shop_id, l.buyer_id, "
                                      "l.order_id, l.kind, l.amount, l.tax, l.date, "
                                      "l.created_at FROM invoice_lines l "
                                      "JOIN invoices i ON i.id = l.invoice_id "
                                      "WHERE i.deposit_id = ? ORDER BY l.id");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, deposit_id);
    line_iter it = {cb, ctx};
    return sbx_db_each(s, st, "deposit lines", line_row, &it);
}

/* ---- order ID lists ---------------------------------------------------------------- */

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static int strv_row(void *ctx, sqlite3_stmt *st)
{
    strv *sv = ctx;
    if (sv->n == sv->cap) {
        size_t ncap = sv->cap != 0 ? sv->cap * 2 : 16;
        char **p = realloc(sv->v, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        sv->v = p;
        sv->cap = ncap;
    }
    char *id = sbx_db_col_dup(st, 0);
    if (id == NULL)
        return -1;
    sv->v[sv->n++] = id;
    return 0;
}

void sbx_strv_free(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        free(v[i]);
    free(v);
}

/* Collects the first column of every row: the caller then changes those
 * records with no statement open on the table. */
static int collect(sbx_store *s, sqlite3_stmt *st, const char *what, char ***out, size_t *n)
{
    strv sv = {NULL, 0, 0};
    if (sbx_db_each(s, st, what, strv_row, &sv) != 0) {
        sbx_strv_free(sv.v, sv.n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    *out = sv.v;
    *n = sv.n;
    return 0;
}

int sbx_store_sales_to_invoice(sbx_store *s, const char *shop_id, const char *buyer_id,
                               const char *period_end, char ***out, size_t *n)
{
    /* fixed_at is yyyyMMdd, so text order is date order. */
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT order_id FROM transactions WHERE shop_id = ? "
                                      "AND buyer_id = ? AND status = 'SALES' "
                                      "AND invoice_id = 0 AND fixed_at <= ? "
                                      "ORDER BY fixed_at, id");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, buyer_id);
    sbx_db_bind_text(st, 3, period_end);
    return collect(s, st, "sales to invoice", out, n);
}

int sbx_store_invoice_orders(sbx_store *s, int64_t invoice_id, char ***out, size_t *n)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT order_id FROM transactions WHERE invoice_id = ? "
                                      "ORDER BY id");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, invoice_id);
    return collect(s, st, "invoice orders", out, n);
}

/* ---- deposits ------------------------------------------------------------------------ */

#define DEPOSIT_COLS "id, shop_id, closing, period_start, period_end, deposit_date, sales, " \
                     "deductions, total, state, created_at, paid_at"

static void read_deposit(sqlite3_stmt *st, sbx_deposit *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    sbx_db_col_copy(st, 1, d->shop_id, sizeof d->shop_id);
    d->closing = sqlite3_column_int(st, 2);
    sbx_db_col_copy(st, 3, d->period_start, sizeof d->period_start);
    sbx_db_col_copy(st, 4, d->period_end, sizeof d->period_end);
    sbx_db_col_copy(st, 5, d->deposit_date, sizeof d->deposit_date);
    d->sales = sqlite3_column_int64(st, 6);
    d->deductions = sqlite3_column_int64(st, 7);
    d->total = sqlite3_column_int64(st, 8);
    sbx_db_col_copy(st, 9, d->state, sizeof d->state);
    d->created_at = sqlite3_column_int64(st, 10);
    d->paid_at = sqlite3_column_int64(st, 11);
}

static void bind_deposit(sqlite3_stmt *st, const sbx_deposit *d)
{
    sbx_db_bind_text(st, 1, d->shop_id);
    sqlite3_bind_int(st, 2, d->closing);
    sbx_db_bind_text(st, 3, d->period_start);
    sbx_db_bind_text(st, 4, d->period_end);
    sbx_db_bind_text(st, 5, d->deposit_date);
    sqlite3_bind_int64(st, 6, d->sales);
    sqlite3_bind_int64(st, 7, d->deductions);
    sqlite3_bind_int64(st, 8, d->total);
    sbx_db_bind_text(st, 9, d->state);
    sqlite3_bind_int64(st, 10, d->created_at);
    sqlite3_bind_int64(st, 11, d->paid_at);
}

int sbx_store_deposit_insert(sbx_store *s, sbx_deposit *d)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO deposits(shop_id, closing, period_start, "
                                      "period_end, deposit_date, sales, deductions, total, "
                                      "state, created_at, paid_at) "
                                      "VALUES (?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    bind_deposit(st, d);
    if (sbx_db_step_done(s, st, "deposit insert") != 0)
        return -1;
    d->id = sbx_db_last_id(s);
    return 0;
}

int sbx_store_deposit_save(sbx_store *s, const sbx_deposit *d)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE deposits SET shop_id = ?, closing = ?, "
                                      "period_start = ?, period_end = ?, deposit_date = ?, "
                                      "sales = ?, deductions = ?, total = ?, state = ?, "
                                      "created_at = ?, paid_at = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    bind_deposit(st, d);
    sqlite3_bind_int64(st, 12, d->id);
    return sbx_db_step_done(s, st, "deposit save");
}

static int deposit_one(sbx_store *s, sqlite3_stmt *st, sbx_deposit *out)
{
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        read_deposit(st, out);
        result = 1;
    } else if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, "deposit get");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

int sbx_store_deposit_get(sbx_store *s, int64_t id, sbx_deposit *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " DEPOSIT_COLS " FROM deposits WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return deposit_one(s, st, out);
}

int sbx_store_deposit_find(sbx_store *s, const char *shop_id, int closing,
                           const char *period_end, sbx_deposit *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " DEPOSIT_COLS " FROM deposits WHERE "
                                      "shop_id = ? AND closing = ? AND period_end = ?");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, shop_id);
    sqlite3_bind_int(st, 2, closing);
    sbx_db_bind_text(st, 3, period_end);
    return deposit_one(s, st, out);
}

typedef struct deposit_iter {
    sbx_deposit_cb cb;
    void *ctx;
} deposit_iter;

static int deposit_row(void *ctx, sqlite3_stmt *st)
{
    deposit_iter *it = ctx;
    sbx_deposit d;
    read_deposit(st, &d);
    return it->cb(it->ctx, &d);
}

int sbx_store_deposit_foreach(sbx_store *s, const char *shop_id, sbx_deposit_cb cb,
                              void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " DEPOSIT_COLS " FROM deposits "
                                      "WHERE (?1 IS NULL OR shop_id = ?1) "
                                      "ORDER BY deposit_date, id");
    if (st == NULL)
        return -1;
    if (shop_id != NULL)
        sbx_db_bind_text(st, 1, shop_id);
    deposit_iter it = {cb, ctx};
    return sbx_db_each(s, st, "deposit list", deposit_row, &it);
}

/* ---- payments ------------------------------------------------------------------------- */

int sbx_store_payment_insert(sbx_store *s, sbx_payment *p)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO payments(invoice_id, amount, at, source) "
                                      "VALUES (?,?,?,?)");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, p->invoice_id);
    sqlite3_bind_int64(st, 2, p->amount);
    sqlite3_bind_int64(st, 3, p->at);
    sbx_db_bind_text(st, 4, p->source);
    if (sbx_db_step_done(s, st, "payment insert") != 0)
        return -1;
    p->id = sbx_db_last_id(s);
    return 0;
}

typedef struct payment_iter {
    sbx_payment_cb cb;
    void *ctx;
} payment_iter;

static int payment_row(void *ctx, sqlite3_stmt *st)
{
    payment_iter *it = ctx;
    sbx_payment p;
    memset(&p, 0, sizeof p);
    p.id = sqlite3_column_int64(st, 0);
    p.invoice_id = sqlite3_column_int64(st, 1);
    p.amount = sqlite3_column_int64(st, 2);
    p.at = sqlite3_column_int64(st, 3);
    sbx_db_col_copy(st, 4, p.source, sizeof p.source);
    return it->cb(it->ctx, &p);
}

int sbx_store_payment_foreach(sbx_store *s, int64_t invoice_id, sbx_payment_cb cb,
                              void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT id, invoice_id, amount, at, source FROM payments "
                                      "WHERE invoice_id = ? ORDER BY id");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, invoice_id);
    payment_iter it = {cb, ctx};
    return sbx_db_each(s, st, "payment list", payment_row, &it);
}

/* ---- start-up ----------------------------------------------------------------------------- */

typedef struct key_vec {
    sbx_buyer_key *v;
    size_t n, cap;
} key_vec;

static int key_row(void *ctx, sqlite3_stmt *st)
{
    key_vec *kv = ctx;
    if (kv->n == kv->cap) {
        size_t ncap = kv->cap != 0 ? kv->cap * 2 : 16;
        sbx_buyer_key *p = realloc(kv->v, ncap * sizeof *p);
        if (p == NULL)
            return -1;
        kv->v = p;
        kv->cap = ncap;
    }
    sbx_buyer_key *k = &kv->v[kv->n++];
    sbx_db_col_copy(st, 0, k->shop_id, sizeof k->shop_id);
    sbx_db_col_copy(st, 1, k->buyer_id, sizeof k->buyer_id);
    k->closing = sqlite3_column_int(st, 2);
    return 0;
}

int sbx_store_buyers_without_pending(sbx_store *s, const char *kind, sbx_buyer_key **out,
                                     size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT shop_id, buyer_id, closing FROM buyers b "
                                      "WHERE NOT EXISTS (SELECT 1 FROM events e "
                                      "WHERE e.done_at IS NULL AND e.kind = ? "
                                      "AND e.shop_id = b.shop_id AND e.ref = b.buyer_id) "
                                      "ORDER BY id");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, kind);
    key_vec kv = {NULL, 0, 0};
    if (sbx_db_each(s, st, "buyers without event", key_row, &kv) != 0) {
        free(kv.v);
        return -1;
    }
    *out = kv.v;
    *n = kv.n;
    return 0;
}
