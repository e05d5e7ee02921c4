/* After the order: capture (PaidSales, after PaidChange for a lower amount),
 * void (PaidCancel), refund (PaidReturn, or PaidChange for a part), adjust
 * (PaidChange) and status (SearchTradeMulti).
 *
 * The plugin is stateless, so every operation first inquires the order: the
 * gateway's record gives the access keys (which never leave the plugin),
 * decides whether the operation is allowed, and makes repeats idempotent (a
 * capture of a captured order returns it instead of failing). A lost answer
 * to a money-moving call is settled by a second inquiry, never by a blind
 * resend. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "paid_internal.h"

typedef int (*done_fn)(const paid_trade *t, int64_t amount, int64_t tax);

static int done_sales(const paid_trade *t, int64_t amount, int64_t tax)
{
    (void)amount;
    (void)tax;
    return !strcmp(t->status, "SALES");
}

static int done_cancel(const paid_trade *t, int64_t amount, int64_t tax)
{
    (void)amount;
    (void)tax;
    return !strcmp(t->status, "CANCEL");
}

static int done_return(const paid_trade *t, int64_t amount, int64_t tax)
{
    (void)amount;
    (void)tax;
    return !strcmp(t->status, "RETURN");
}

static int done_change(const paid_trade *t, int64_t amount, int64_t tax)
{
    return t->amount == amount && t->tax == tax;
}

/* The fields every after-order call sends, in the protocol's order. */
static size_t base_fields(const pmp_ctx *ctx, const paid_trade *t, const char *order_id,
                          gw_field *f)
{
    f[0] = (gw_field){"ShopID", ctx->cfg.shop_id, strlen(ctx->cfg.shop_id)};
    f[1] = (gw_field){"ShopPass", ctx->cfg.shop_pass, strlen(ctx->cfg.shop_pass)};
    f[2] = (gw_field){"AccessID", t->access_id, strlen(t->access_id)};
    f[3] = (gw_field){"AccessPass", t->access_pass, strlen(t->access_pass)};
    f[4] = (gw_field){"OrderID", order_id, strlen(order_id)};
    return 5;
}

#define MUTATION_DONE 0
#define MUTATION_REFUSED 1 /* the gateway answered with ErrCode; call->resp holds it */

/* Runs a money-moving call. A lost answer is settled by inquiry: when the
 * order shows the change, it happened; when the order is exactly as before,
 * it did not, and the call is sent once more; anything else is unknown.
 * Returns MUTATION_DONE (literal filled), MUTATION_REFUSED, or a PMP_E_*. */
static int32_t run_mutation(paid_op *op, gw_call *call, const char *order_id,
                            const paid_trade *before, done_fn done, int64_t amount, int64_t tax,
                            char *literal, size_t literal_size)
{
    int attempt, crc;

    for (attempt = 0; attempt < 2; attempt++) {
        paid_trade t;
        int32_t rc;

        crc = paid_call(op, call);
        if (crc == GW_CALL_OK) {
            snprintf(literal, literal_size, "%s", gw_resp_str(&call->resp, "Status"));
            gw_call_release(call);
            return MUTATION_DONE;
        }
        if (crc == GW_CALL_ERROR && paid_is_state_error(&call->resp)) {
            /* The order moved on before us (a concurrent request, or one
             * whose answer this host lost): done if it is where we wanted. */
            rc = paid_search(op, order_id, &t);
            if (rc == PMP_OK && done(&t, amount, tax)) {
                snprintf(literal, literal_size, "%s", t.status);
                paid_trade_release(&t);
                gw_call_release(call);
                op->gateway_errors[0] = '\0';
                return MUTATION_DONE;
            }
            paid_trade_release(&t);
            return MUTATION_REFUSED;
        }
        if (crc == GW_CALL_ERROR)
            return MUTATION_REFUSED;
        if (crc != GW_CALL_UNKNOWN)
            return paid_call_error(op, call, crc, 1);
        gw_logf(&op->ctx->log, PMP_LOG_WARN, "%s: answer to %s for %s lost (%s); inquiring",
                op->name, call->operation, order_id, call->detail);
        rc = paid_search(op, order_id, &t);
        if (rc == PMP_OK && done(&t, amount, tax)) {
            snprintf(literal, literal_size, "%s", t.status);
            paid_trade_release(&t);
            return MUTATION_DONE;
        }
        if (rc != PMP_OK || strcmp(t.status, before->status) || t.amount != before->amount ||
            t.tax != before->tax) {
            paid_trade_release(&t);
            return gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                                "%s: %s for %s may have reached the gateway and the inquiry "
                                "could not settle it; retry the same request",
                                op->name, call->operation, order_id);
        }
        paid_trade_release(&t);
    }
    return gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                        "%s: %s for %s got no answer twice and the order is unchanged; retry the "
                        "same request",
                        op->name, call->operation, order_id);
}

/* PaidChange to new totals. */
static int32_t change_amount(paid_op *op, const char *order_id, const paid_trade *t, int64_t amount,
                             int64_t tax, gw_call *call, char *literal, size_t literal_size)
{
    char a[24], x[24];
    gw_field f[7];
    size_t n = base_fields(op->ctx, t, order_id, f);
    int32_t rc;

    paid_format_amount(amount, a, sizeof(a));
    paid_format_amount(tax, x, sizeof(x));
    f[n++] = (gw_field){"Amount", a, strlen(a)};
    f[n++] = (gw_field){"Tax", x, strlen(x)};
    memset(call, 0, sizeof(*call));
    call->operation = "PaidChange";
    call->fields = f;
    call->nfields = n;
    rc = run_mutation(op, call, order_id, t, done_change, amount, tax, literal, literal_size);
    /* f lives on this stack frame; only call->resp outlives it. */
    call->fields = NULL;
    call->nfields = 0;
    return rc;
}

static int32_t state_error(paid_op *op, const char *order_id, const paid_trade *t,
                           const char *needs)
{
    return gw_error_set(op->err, PMP_E_STATE, 0, NULL, "%s: order %s is %s (%s); %s", op->name,
                        order_id, paid_tx_word(op, t->status), t->status, needs);
}

/* Reads order_id and the optional amount/tax members every operation here has. */
static int32_t read_order(paid_op *op, json_object *req, const char *const *allowed,
                          const char **order_id, int64_t *amount, int *has_amount, int64_t *tax,
                          int *has_tax)
{
    int32_t rc;
    int64_t max = op->ctx->paid.max_amount;

    if ((rc = gw_req_allowed(req, allowed, op->err)) != PMP_OK ||
        (rc = gw_req_ascii(req, "order_id", 1, "A-Z a-z 0-9 - only", gw_char_order_id, 27, order_id,
                           op->err)) != PMP_OK)
        return rc;
    if (amount &&
        (rc = gw_req_int(req, "amount", 0, 1, max, amount, has_amount, op->err)) != PMP_OK)
        return rc;
    if (tax && (rc = gw_req_int(req, "tax", 0, 0, max, tax, has_tax, op->err)) != PMP_OK)
        return rc;
    return PMP_OK;
}

typedef struct order_req {
    paid_op op;
    json_object *req;
    const char *order_id; /* borrowed from req */
    int64_t amount, tax;
    int has_amount, has_tax;
    paid_trade t;
} order_req;

/* Begins an operation on an existing order: the operation frame, the
 * request (allowed members, order_id and, when amounts, the optional amount
 * and tax). Whatever it returns, order_end releases o. */
static int32_t order_begin(order_req *o, pmp_ctx *ctx, const char *name, const char *text,
                           size_t len, const char *const *allowed, int amounts, pmp_result **out,
                           pmp_error *err)
{
    int32_t rc;

    memset(o, 0, sizeof(*o));
    if ((rc = paid_op_begin(&o->op, ctx, name, out, err)) != PMP_OK ||
        (rc = gw_req_parse(text, len, &o->req, err)) != PMP_OK)
        return rc;
    return read_order(&o->op, o->req, allowed, &o->order_id, amounts ? &o->amount : NULL,
                      &o->has_amount, amounts ? &o->tax : NULL, &o->has_tax);
}

static void order_end(order_req *o)
{
    paid_trade_release(&o->t);
    json_object_put(o->req);
    paid_op_end(&o->op);
}

/* "2026-12-03" -> "20261203", checking it is a real date. */
static int32_t read_fixed_at(paid_op *op, json_object *req, char out[9])
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s;
    size_t len;
    int y, m, d, leap;
    int32_t rc = gw_req_text(req, "fixed_at", 0, 0, &s, &len, op->err);

    out[0] = '\0';
    if (rc != PMP_OK || !s)
        return rc;
    if (len != 10 || s[4] != '-' || s[7] != '-' || strspn(s, "0123456789-") != 10 ||
        sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        goto bad;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days[m - 1] ||
        (m == 2 && d == 29 && !leap))
        goto bad;
    snprintf(out, 9, "%.4s%.2s%.2s", s, s + 5, s + 8);
    return PMP_OK;
bad:
    return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                        "fixed_at: must be a date as YYYY-MM-DD");
}

static json_object *after_doc(const char *order_id, const char *literal, int64_t amount,
                              int64_t tax, const paid_trade *t, int replayed)
{
    json_object *doc = json_object_new_object();

    paid_json_str(doc, "order_id", order_id);
    paid_json_str(doc, "gateway_status", literal);
    paid_json_int(doc, "amount", amount);
    paid_json_int(doc, "tax", tax);
    paid_json_str(doc, "access_id", t->access_id);
    paid_json_bool(doc, "replayed", replayed);
    return doc;
}

/* The settlement forecast of a sale fixed on "yyyyMMdd..." (a FixedAt or a
 * ProcessDate); NULL when the date is unusable. */
static json_object *settlement_from(const paid_settlement *rule, const char *yyyymmdd,
                                    const char *basis)
{
    int y, m, d;

    if (strlen(yyyymmdd) < 8 || strspn(yyyymmdd, "0123456789") < 8 ||
        sscanf(yyyymmdd, "%4d%2d%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return NULL;
    return paid_settlement_json(rule, y, m, d, basis);
}

/* Today in Japan, where the gateway keeps its calendar, as yyyyMMdd. */
static void today_jst(char out[9])
{
    time_t now = time(NULL) + 9 * 3600;
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

/* The configured settlement rule, with the buyer's own closing day when the
 * request names one ("closing_day": "end" or 1..28). */
static int32_t read_rule(paid_op *op, json_object *req, paid_settlement *rule)
{
    json_object *v = NULL;

    *rule = op->ctx->paid.settlement;
    if (!json_object_object_get_ex(req, "closing_day", &v) || !v)
        return PMP_OK;
    if (json_object_is_type(v, json_type_string) && !strcmp(json_object_get_string(v), "end")) {
        rule->closing_day = 0;
        return PMP_OK;
    }
    if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= 1 &&
        json_object_get_int64(v) <= 28) {
        rule->closing_day = (int)json_object_get_int64(v);
        return PMP_OK;
    }
    return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                        "closing_day: must be \"end\" or a day from 1 to 28");
}

/* A captured order's settlement, when its last operation was the sale. */
static json_object *settlement_of_trade(const paid_settlement *rule, const paid_trade *t)
{
    if (strcmp(t->status, "SALES") || strcmp(gw_resp_str(&t->call.resp, "JobCd"), "SALES"))
        return NULL;
    return settlement_from(rule, gw_resp_str(&t->call.resp, "ProcessDate"), "process_date");
}

int32_t paid_capture(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                     pmp_error *err)
{
    static const char *const allowed[] = {"order_id", "amount",      "tax",
                                          "fixed_at", "closing_day", NULL};
    json_object *doc;
    int64_t new_amount, new_tax;
    char fixed_at[9], literal[32];
    gw_field f[6];
    gw_call change, sales;
    order_req o;
    paid_op *op = &o.op;
    paid_trade *t = &o.t;
    paid_settlement rule;
    int32_t rc;
    size_t n;

    memset(&change, 0, sizeof(change));
    memset(&sales, 0, sizeof(sales));
    if ((rc = order_begin(&o, ctx, "capture", req_text, req_len, allowed, 1, out, err)) != PMP_OK ||
        (rc = read_fixed_at(op, o.req, fixed_at)) != PMP_OK ||
        (rc = read_rule(op, o.req, &rule)) != PMP_OK ||
        (rc = paid_search(op, o.order_id, t)) != PMP_OK)
        goto out;
    new_amount = o.has_amount ? o.amount : t->amount;
    new_tax = o.has_tax ? o.tax : t->tax;
    if (!strcmp(t->status, "SALES")) {
        if (new_amount != t->amount || new_tax != t->tax) {
            rc = gw_error_set(err, PMP_E_STATE, 0, NULL,
                              "capture: order %s is already captured for %lld + tax %lld",
                              o.order_id, (long long)t->amount, (long long)t->tax);
            goto out;
        }
        doc = after_doc(o.order_id, t->status, t->amount, t->tax, t, 1);
        paid_json_int(doc, "released_amount", 0);
        paid_json_str(doc, "fixed_at", NULL);
        json_object_object_add(doc, "settlement", settlement_of_trade(&rule, t));
        rc = paid_result(op, paid_tx_word(op, t->status), doc, out);
        goto out;
    }
    if (strcmp(t->status, "AUTH")) {
        rc = state_error(op, o.order_id, t, "capture needs an authorized order");
        goto out;
    }
    if (new_amount > t->amount || new_tax > t->tax) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                          "amount: capture (%lld + tax %lld) cannot exceed the authorized %lld + "
                          "tax %lld; use adjust first",
                          (long long)new_amount, (long long)new_tax, (long long)t->amount,
                          (long long)t->tax);
        goto out;
    }
    if (new_amount != t->amount || new_tax != t->tax) {
        rc = change_amount(op, o.order_id, t, new_amount, new_tax, &change, literal,
                           sizeof(literal));
        if (rc == MUTATION_REFUSED)
            rc = paid_call_error(op, &change, GW_CALL_ERROR, 1);
        if (rc != PMP_OK)
            goto out;
    }
    n = base_fields(ctx, t, o.order_id, f);
    f[n++] = (gw_field){"FixedAt", fixed_at, strlen(fixed_at)};
    sales.operation = "PaidSales";
    sales.fields = f;
    sales.nfields = n;
    {
        /* After a partial change the order's "before" is the new o.amount. */
        paid_trade before = *t;

        before.amount = new_amount;
        before.tax = new_tax;
        rc = run_mutation(op, &sales, o.order_id, &before, done_sales, 0, 0, literal,
                          sizeof(literal));
    }
    if (rc == MUTATION_REFUSED)
        rc = paid_call_error(op, &sales, GW_CALL_ERROR, 1);
    if (rc != PMP_OK)
        goto out;
    doc = after_doc(o.order_id, literal, new_amount, new_tax, t, 0);
    paid_json_int(doc, "released_amount", (t->amount + t->tax) - (new_amount + new_tax));
    if (fixed_at[0]) {
        char iso[11];

        snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2s", fixed_at, fixed_at + 4, fixed_at + 6);
        paid_json_str(doc, "fixed_at", iso);
        json_object_object_add(doc, "settlement", settlement_from(&rule, fixed_at, "fixed_at"));
    } else {
        char today[9];

        paid_json_str(doc, "fixed_at", NULL);
        today_jst(today);
        json_object_object_add(doc, "settlement", settlement_from(&rule, today, "today"));
    }
    gw_logf(&ctx->log, PMP_LOG_INFO, "capture: order %s captured for %lld + tax %lld", o.order_id,
            (long long)new_amount, (long long)new_tax);
    rc = paid_result(op, paid_tx_word(op, literal), doc, out);
out:
    gw_call_release(&sales);
    gw_call_release(&change);
    order_end(&o);
    return rc;
}

int32_t paid_void(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                  pmp_error *err)
{
    static const char *const allowed[] = {"order_id", NULL};
    char literal[32];
    gw_field f[5];
    gw_call cancel;
    order_req o;
    paid_op *op = &o.op;
    paid_trade *t = &o.t;
    int32_t rc;

    memset(&cancel, 0, sizeof(cancel));
    if ((rc = order_begin(&o, ctx, "void", req_text, req_len, allowed, 0, out, err)) != PMP_OK ||
        (rc = paid_search(op, o.order_id, t)) != PMP_OK)
        goto out;
    if (!strcmp(t->status, "CANCEL")) {
        rc = paid_result(op, paid_tx_word(op, t->status),
                         after_doc(o.order_id, t->status, t->cancel_amount, t->cancel_tax, t, 1),
                         out);
        goto out;
    }
    if (strcmp(t->status, "AUTH") && strcmp(t->status, "AUTHPROCESS")) {
        rc = state_error(op, o.order_id, t,
                         !strcmp(t->status, "SALES") ? "a captured order is returned with refund"
                                                     : "void needs an authorized order");
        goto out;
    }
    cancel.operation = "PaidCancel";
    cancel.fields = f;
    cancel.nfields = base_fields(ctx, t, o.order_id, f);
    rc = run_mutation(op, &cancel, o.order_id, t, done_cancel, 0, 0, literal, sizeof(literal));
    if (rc == MUTATION_REFUSED)
        rc = paid_call_error(op, &cancel, GW_CALL_ERROR, 1);
    if (rc != PMP_OK)
        goto out;
    gw_logf(&ctx->log, PMP_LOG_INFO, "void: order %s cancelled", o.order_id);
    rc = paid_result(op, paid_tx_word(op, literal),
                     after_doc(o.order_id, literal, t->amount, t->tax, t, 0), out);
out:
    gw_call_release(&cancel);
    order_end(&o);
    return rc;
}

int32_t paid_refund(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                    pmp_error *err)
{
    static const char *const allowed[] = {"order_id", "amount", "tax", NULL};
    json_object *doc;
    int64_t left_amount, left_tax;
    int full;
    char literal[32];
    gw_field f[5];
    gw_call call;
    order_req o;
    paid_op *op = &o.op;
    paid_trade *t = &o.t;
    int32_t rc;

    memset(&call, 0, sizeof(call));
    if ((rc = order_begin(&o, ctx, "refund", req_text, req_len, allowed, 1, out, err)) != PMP_OK)
        goto out;
    if (o.has_tax && !o.has_amount) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "tax: given without amount");
        goto out;
    }
    if ((rc = paid_search(op, o.order_id, t)) != PMP_OK)
        goto out;
    if (!strcmp(t->status, "RETURN") && !o.has_amount) {
        doc = after_doc(o.order_id, t->status, 0, 0, t, 1);
        paid_json_int(doc, "refunded_amount", t->cancel_amount);
        paid_json_int(doc, "refunded_tax", t->cancel_tax);
        rc = paid_result(op, paid_tx_word(op, t->status), doc, out);
        goto out;
    }
    if (strcmp(t->status, "SALES")) {
        rc = state_error(op, o.order_id, t,
                         !strcmp(t->status, "AUTH") ? "an order not yet captured is cancelled "
                                                      "with void or lowered with adjust"
                                                    : "refund needs a captured order");
        goto out;
    }
    if (!o.has_tax)
        o.tax = o.has_amount && o.amount < t->amount ? 0 : t->tax;
    if (!o.has_amount)
        o.amount = t->amount;
    if (o.amount > t->amount || o.tax > t->tax) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                          "amount: refund (%lld + tax %lld) exceeds the captured %lld + tax %lld",
                          (long long)o.amount, (long long)o.tax, (long long)t->amount,
                          (long long)t->tax);
        goto out;
    }
    full = o.amount == t->amount && o.tax == t->tax;
    if (o.amount == t->amount && !full) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                          "tax: refunding the whole amount returns the whole tax (%lld) too",
                          (long long)t->tax);
        goto out;
    }
    left_amount = t->amount - o.amount;
    left_tax = t->tax - o.tax;
    if (full) {
        call.operation = "PaidReturn";
        call.fields = f;
        call.nfields = base_fields(ctx, t, o.order_id, f);
        rc = run_mutation(op, &call, o.order_id, t, done_return, 0, 0, literal, sizeof(literal));
    } else {
        rc = change_amount(op, o.order_id, t, left_amount, left_tax, &call, literal,
                           sizeof(literal));
    }
    if (rc == MUTATION_REFUSED)
        rc = paid_call_error(op, &call, GW_CALL_ERROR, 1);
    if (rc != PMP_OK)
        goto out;
    doc = after_doc(o.order_id, literal, full ? 0 : left_amount, full ? 0 : left_tax, t, 0);
    paid_json_int(doc, "refunded_amount", o.amount);
    paid_json_int(doc, "refunded_tax", o.tax);
    gw_logf(&ctx->log, PMP_LOG_INFO, "refund: order %s refunded %lld + tax %lld", o.order_id,
            (long long)o.amount, (long long)o.tax);
    rc = paid_result(op, paid_tx_word(op, literal), doc, out);
out:
    gw_call_release(&call);
    order_end(&o);
    return rc;
}

int32_t paid_adjust(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                    pmp_error *err)
{
    static const char *const allowed[] = {"order_id", "amount", "tax", NULL};
    json_object *doc;
    char literal[32];
    gw_call change;
    order_req o;
    paid_op *op = &o.op;
    paid_trade *t = &o.t;
    int32_t rc;

    memset(&change, 0, sizeof(change));
    if ((rc = order_begin(&o, ctx, "adjust", req_text, req_len, allowed, 1, out, err)) != PMP_OK)
        goto out;
    if (!o.has_amount) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "amount: is required");
        goto out;
    }
    if ((rc = paid_search(op, o.order_id, t)) != PMP_OK)
        goto out;
    if (!o.has_tax)
        o.tax = t->tax;
    if (strcmp(t->status, "AUTH") && strcmp(t->status, "SALES")) {
        rc = state_error(op, o.order_id, t, "adjust needs an authorized or captured order");
        goto out;
    }
    if (o.amount == t->amount && o.tax == t->tax) {
        doc = after_doc(o.order_id, t->status, o.amount, o.tax, t, 1);
        paid_json_int(doc, "previous_amount", t->amount);
        paid_json_int(doc, "previous_tax", t->tax);
        rc = paid_result(op, paid_tx_word(op, t->status), doc, out);
        goto out;
    }
    rc = change_amount(op, o.order_id, t, o.amount, o.tax, &change, literal, sizeof(literal));
    if (rc == MUTATION_REFUSED && paid_is_decline(ctx, &change.resp)) {
        doc = after_doc(o.order_id, t->status, t->amount, t->tax, t, 0);
        paid_json_int(doc, "previous_amount", t->amount);
        paid_json_int(doc, "previous_tax", t->tax);
        json_object_object_add(doc, "decline", paid_decline_json(&change.resp));
        rc = paid_result(op, "declined", doc, out);
        goto out;
    }
    if (rc == MUTATION_REFUSED)
        rc = paid_call_error(op, &change, GW_CALL_ERROR, 1);
    if (rc != PMP_OK)
        goto out;
    doc = after_doc(o.order_id, literal, o.amount, o.tax, t, 0);
    paid_json_int(doc, "previous_amount", t->amount);
    paid_json_int(doc, "previous_tax", t->tax);
    gw_logf(&ctx->log, PMP_LOG_INFO, "adjust: order %s changed to %lld + tax %lld", o.order_id,
            (long long)o.amount, (long long)o.tax);
    rc = paid_result(op, paid_tx_word(op, literal), doc, out);
out:
    gw_call_release(&change);
    order_end(&o);
    return rc;
}

/* "20261203101500" -> "2026-12-03T10:15:00"; anything else as given. */
static void iso_datetime(const char *in, char *out, size_t size)
{
    if (strlen(in) == 14 && strspn(in, "0123456789") == 14)
        snprintf(out, size, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", in, in + 4, in + 6, in + 8, in + 10,
                 in + 12);
    else
        snprintf(out, size, "%s", in);
}

int32_t paid_status(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                    pmp_error *err)
{
    static const char *const allowed[] = {"order_id", "closing_day", NULL};
    json_object *doc, *cf;
    const gw_resp *r;
    char when[32];
    order_req o;
    paid_op *op = &o.op;
    paid_trade *t = &o.t;
    paid_settlement rule;
    int32_t rc;

    if ((rc = order_begin(&o, ctx, "status", req_text, req_len, allowed, 0, out, err)) != PMP_OK ||
        (rc = read_rule(op, o.req, &rule)) != PMP_OK ||
        (rc = paid_search(op, o.order_id, t)) != PMP_OK)
        goto out;
    r = &t->call.resp;
    doc = json_object_new_object();
    paid_json_trade(doc, o.order_id, t);
    paid_json_str(doc, "buyer_id", gw_resp_str(r, "PaidBuyerID"));
    paid_json_str(doc, "paid_code", gw_resp_str(r, "PaidCode"));
    paid_json_str(doc, "contents", gw_resp_str(r, "PaidContents"));
    paid_json_int(doc, "cancel_amount", t->cancel_amount);
    paid_json_int(doc, "cancel_tax", t->cancel_tax);
    iso_datetime(gw_resp_str(r, "ProcessDate"), when, sizeof(when));
    paid_json_str(doc, "process_date", when);
    paid_json_str(doc, "job_cd", gw_resp_str(r, "JobCd"));
    cf = json_object_new_array();
    json_object_array_add(cf, json_object_new_string(gw_resp_str(r, "ClientField1")));
    json_object_array_add(cf, json_object_new_string(gw_resp_str(r, "ClientField2")));
    json_object_array_add(cf, json_object_new_string(gw_resp_str(r, "ClientField3")));
    json_object_object_add(doc, "client_fields", cf);
    json_object_object_add(doc, "settlement", settlement_of_trade(&rule, t));
    rc = paid_result(op, paid_tx_word(op, t->status), doc, out);
out:
    order_end(&o);
    return rc;
}
