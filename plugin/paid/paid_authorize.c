/* authorize: EntryTranPaid then ExecTranPaid, idempotent on order_id.
 *
 * The order ID is the gateway's idempotency key. When the order already
 * exists (E01040010), or an answer was lost, the plugin inquires
 * (SearchTradeMulti) and resolves: the same order is returned as it stands,
 * an order whose Exec never happened is finished, and the same order ID with
 * another amount or buyer is a conflict. Nothing is ever resent blindly. */
#include <stdio.h>
#include <string.h>

#include "paid_internal.h"

#define ERR_ORDER_EXISTS "E01040010"

typedef struct auth_req {
    const char *order_id;
    const char *buyer_id;
    int64_t amount, tax;
    const char *contents;
    size_t contents_len;
    const char *client[3];
    size_t client_len[3];
} auth_req;

static int32_t read_request(pmp_ctx *ctx, json_object *req, auth_req *a, pmp_error *err)
{
    static const char *const allowed[] = {"order_id", "buyer_id",      "amount", "tax",
                                          "contents", "client_fields", NULL};
    json_object *cf = NULL;
    int32_t rc;
    size_t i, n;

    memset(a, 0, sizeof(*a));
    if ((rc = gw_req_allowed(req, allowed, err)) != PMP_OK ||
        (rc = gw_req_ascii(req, "order_id", 1, "A-Z a-z 0-9 - only", gw_char_order_id, 27,
                           &a->order_id, err)) != PMP_OK ||
        (rc = gw_req_ascii(req, "buyer_id", 1, "A-Z a-z 0-9 - _ only", gw_char_buyer_id, 20,
                           &a->buyer_id, err)) != PMP_OK ||
        (rc = gw_req_int(req, "amount", 1, 1, ctx->paid.max_amount, &a->amount, NULL, err)) !=
            PMP_OK ||
        (rc = gw_req_int(req, "tax", 0, 0, ctx->paid.max_amount, &a->tax, NULL, err)) != PMP_OK ||
        (rc = gw_req_text(req, "contents", 0, 400, &a->contents, &a->contents_len, err)) != PMP_OK)
        return rc;
    if (!json_object_object_get_ex(req, "client_fields", &cf) || !cf)
        return PMP_OK;
    if (!json_object_is_type(cf, json_type_array) || json_object_array_length(cf) > 3)
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "client_fields: must be an array of at most 3 strings");
    n = json_object_array_length(cf);
    for (i = 0; i < n; i++) {
        json_object *item = json_object_array_get_idx(cf, i);
        json_object *holder = json_object_new_object();
        char name[48];

        if (!holder)
            return gw_error_set(err, PMP_E_NOMEM, 0, NULL, "out of memory");
        /* Reuse the member checks by looking at the item under its own name. */
        snprintf(name, sizeof(name), "client_fields[%zu]", i);
        json_object_object_add(holder, name, json_object_get(item));
        rc = gw_req_text(holder, name, 0, 100, &a->client[i], &a->client_len[i], err);
        if (rc == PMP_OK && a->client[i] && strpbrk(a->client[i], "&=|"))
            rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                              "%s: must not contain '&', '=' or '|'", name);
        /* The string lives on in item (which req owns), not in holder. */
        if (a->client[i])
            a->client[i] = json_object_get_string(item);
        json_object_put(holder);
        if (rc != PMP_OK)
            return rc;
    }
    return PMP_OK;
}

static json_object *order_doc(const auth_req *a, const char *gateway_status, const char *access_id,
                              int replayed)
{
    json_object *doc = json_object_new_object();

    paid_json_str(doc, "order_id", a->order_id);
    paid_json_str(doc, "buyer_id", a->buyer_id);
    paid_json_int(doc, "amount", a->amount);
    paid_json_int(doc, "tax", a->tax);
    paid_json_str(doc, "gateway_status", gateway_status);
    paid_json_str(doc, "access_id", access_id);
    paid_json_bool(doc, "replayed", replayed);
    return doc;
}

/* The result for an order as the inquiry shows it. */
static int32_t trade_result(paid_op *op, const auth_req *a, const paid_trade *t, int replayed,
                            pmp_result **out)
{
    return paid_result(op, paid_tx_word(op, t->status),
                       order_doc(a, t->status, t->access_id, replayed), out);
}

static int32_t exec_order(paid_op *op, const auth_req *a, const char *access_id,
                          const char *access_pass, int replayed, int may_resume, pmp_result **out);

/* The order exists: return it, finish it, or refuse a conflicting repeat. */
static int32_t resolve_existing(paid_op *op, const auth_req *a, const paid_trade *t,
                                pmp_result **out)
{
    const char *gw_buyer = gw_resp_str(&t->call.resp, "PaidBuyerID");

    if (t->amount != a->amount || t->tax != a->tax)
        return gw_error_set(op->err, PMP_E_CONFLICT, 0, NULL,
                            "authorize: order_id %s already exists with amount %lld and tax %lld "
                            "(this request: %lld and %lld); use a new order_id or adjust",
                            a->order_id, (long long)t->amount, (long long)t->tax,
                            (long long)a->amount, (long long)a->tax);
    if (*gw_buyer && strcmp(gw_buyer, a->buyer_id))
        return gw_error_set(op->err, PMP_E_CONFLICT, 0, NULL,
                            "authorize: order_id %s already exists for another buyer_id",
                            a->order_id);
    if (!strcmp(t->status, "UNPROCESSED")) {
        gw_logf(&op->ctx->log, PMP_LOG_INFO,
                "authorize: order %s exists without an order placed; finishing it", a->order_id);
        return exec_order(op, a, t->access_id, t->access_pass, 1, 0, out);
    }
    gw_logf(&op->ctx->log, PMP_LOG_INFO, "authorize: order %s already exists (%s); returning it",
            a->order_id, t->status);
    return trade_result(op, a, t, 1, out);
}

static int32_t exec_order(paid_op *op, const auth_req *a, const char *access_id,
                          const char *access_pass, int replayed, int may_resume, pmp_result **out)
{
    const gw_config *cfg = &op->ctx->cfg;
    gw_field f[11];
    gw_call exec;
    paid_trade t;
    int32_t rc;
    int crc;
    size_t i;

    memset(&exec, 0, sizeof(exec));
    f[0] = (gw_field){"ShopID", cfg->shop_id, strlen(cfg->shop_id)};
    f[1] = (gw_field){"ShopPass", cfg->shop_pass, strlen(cfg->shop_pass)};
    f[2] = (gw_field){"AccessID", access_id, strlen(access_id)};
    f[3] = (gw_field){"AccessPass", access_pass, strlen(access_pass)};
    f[4] = (gw_field){"OrderID", a->order_id, strlen(a->order_id)};
    f[5] = (gw_field){"PaidBuyerID", a->buyer_id, strlen(a->buyer_id)};
    for (i = 0; i < 3; i++) {
        static const char *const names[] = {"ClientField1", "ClientField2", "ClientField3"};

        f[6 + i] = (gw_field){names[i], a->client[i], a->client_len[i]};
    }
    f[9] = (gw_field){"ClientFieldFlag", "0", 1};
    f[10] = (gw_field){"Contents", a->contents, a->contents_len};
    exec.operation = "ExecTranPaid";
    exec.fields = f;
    exec.nfields = 11;
    crc = paid_call(op, &exec);
    if (crc == GW_CALL_OK) {
        const char *literal = gw_resp_str(&exec.resp, "Status");

        rc = paid_result(op, paid_tx_word(op, literal), order_doc(a, literal, access_id, replayed),
                         out);
        gw_call_release(&exec);
        return rc;
    }
    if (crc == GW_CALL_ERROR && paid_is_decline(op->ctx, &exec.resp)) {
        json_object *doc = order_doc(a, "UNPROCESSED", access_id, replayed);

        json_object_object_add(doc, "decline", paid_decline_json(&exec.resp));
        gw_logf(&op->ctx->log, PMP_LOG_INFO, "authorize: order %s declined (%s)", a->order_id,
                op->gateway_errors);
        gw_call_release(&exec);
        return paid_result(op, "declined", doc, out);
    }
    if (crc != GW_CALL_UNKNOWN &&
        !(crc == GW_CALL_ERROR && paid_call_error(op, &exec, crc, 1) == PMP_E_STATE)) {
        rc = paid_call_error(op, &exec, crc, 1);
        gw_call_release(&exec);
        return rc;
    }
    /* The answer was lost, or someone else moved the order on (a concurrent
     * authorize with the same order ID): the gateway's record decides. */
    gw_call_release(&exec);
    gw_logf(&op->ctx->log, PMP_LOG_WARN, "authorize: ExecTranPaid for %s unsettled; inquiring",
            a->order_id);
    rc = paid_search(op, a->order_id, &t);
    if (rc == PMP_OK) {
        if (strcmp(t.status, "UNPROCESSED"))
            rc = trade_result(op, a, &t, replayed, out);
        else if (may_resume)
            rc = exec_order(op, a, t.access_id, t.access_pass, replayed, 0, out);
        else
            rc = gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                              "authorize: the order %s was not placed after a lost answer; "
                              "retry with the same order_id",
                              a->order_id);
    } else {
        rc = gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                          "authorize: ExecTranPaid for %s may have reached the gateway and the "
                          "inquiry failed; retry with the same order_id",
                          a->order_id);
    }
    paid_trade_release(&t);
    return rc;
}

int32_t paid_authorize(pmp_ctx *ctx, const char *req_text, size_t req_len, pmp_result **out,
                       pmp_error *err)
{
    char amount[24], tax[24];
    gw_field f[5];
    gw_call entry;
    paid_trade t;
    json_object *req = NULL;
    auth_req a;
    paid_op op;
    int32_t rc;
    int crc;

    memset(&entry, 0, sizeof(entry));
    memset(&t, 0, sizeof(t));
    rc = paid_op_begin(&op, ctx, "authorize", out, err);
    if (rc != PMP_OK)
        return rc;
    if ((rc = gw_req_parse(req_text, req_len, &req, err)) != PMP_OK ||
        (rc = read_request(ctx, req, &a, err)) != PMP_OK)
        goto out_put;
    paid_format_amount(a.amount, amount, sizeof(amount));
    paid_format_amount(a.tax, tax, sizeof(tax));
    f[0] = (gw_field){"ShopID", ctx->cfg.shop_id, strlen(ctx->cfg.shop_id)};
    f[1] = (gw_field){"ShopPass", ctx->cfg.shop_pass, strlen(ctx->cfg.shop_pass)};
    f[2] = (gw_field){"OrderID", a.order_id, strlen(a.order_id)};
    f[3] = (gw_field){"Amount", amount, strlen(amount)};
    f[4] = (gw_field){"Tax", tax, strlen(tax)};
    entry.operation = "EntryTranPaid";
    entry.fields = f;
    entry.nfields = 5;
    /* Resending Entry is safe: the order ID is unique, so a second Entry
     * either creates the only one or answers E01040010. */
    entry.idempotent = 1;
    crc = paid_call(&op, &entry);
    if (crc == GW_CALL_OK) {
        rc = exec_order(&op, &a, gw_resp_str(&entry.resp, "AccessID"),
                        gw_resp_str(&entry.resp, "AccessPass"), 0, 1, out);
        goto out_release;
    }
    if (crc == GW_CALL_ERROR && !gw_resp_error_has_prefix(&entry.resp, ERR_ORDER_EXISTS)) {
        rc = paid_call_error(&op, &entry, crc, 1);
        goto out_release;
    }
    if (crc != GW_CALL_ERROR && crc != GW_CALL_UNKNOWN) {
        rc = paid_call_error(&op, &entry, crc, 1);
        goto out_release;
    }
    /* The order exists, or Entry's answer was lost: ask the gateway. */
    op.gateway_errors[0] = '\0';
    rc = paid_search(&op, a.order_id, &t);
    if (rc == PMP_OK)
        rc = resolve_existing(&op, &a, &t, out);
    else if (rc == PMP_E_NOT_FOUND && crc == GW_CALL_UNKNOWN)
        /* Entry never took effect: nothing exists, nothing moved. */
        rc = gw_error_set(err, PMP_E_NETWORK, 1, NULL,
                          "authorize: EntryTranPaid for %s did not take effect (%s); retry",
                          a.order_id, entry.detail);
    else if (crc == GW_CALL_UNKNOWN)
        rc = gw_error_set(err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                          "authorize: EntryTranPaid for %s may have reached the gateway and the "
                          "inquiry failed; retry with the same order_id",
                          a.order_id);
out_release:
    paid_trade_release(&t);
    gw_call_release(&entry);
out_put:
    json_object_put(req);
    paid_op_end(&op);
    return rc;
}
