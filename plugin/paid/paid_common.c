/* What every Paid operation shares: the operation frame (fork check, trace
 * of gateway calls), turning call outcomes into return codes, building
 * results, and the SearchTradeMulti inquiry. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "paid_internal.h"

int32_t paid_op_begin(paid_op *op, pmp_ctx *ctx, const char *name, pmp_result **out, pmp_error *err)
{
    memset(op, 0, sizeof(*op));
    op->err = err;
    op->name = name;
    if (out)
        *out = NULL;
    if (!ctx || !out)
        return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL, "%s: ctx and out must not be NULL",
                            name);
    if (ctx->pid != getpid())
        return gw_error_set(err, PMP_E_FORKED, 0, NULL,
                            "%s: this context was created in another process; call init again "
                            "in the child",
                            name);
    op->ctx = ctx;
    op->deadline_ms = gw_now_ms() + ctx->cfg.call_budget_ms;
    return PMP_OK;
}

void paid_op_end(paid_op *op)
{
    op->ncalls = 0;
}

/* Calls that only read the gateway's state. */
static int reads_only(const char *operation)
{
    return !strcmp(operation, "SearchTradeMulti") || !strcmp(operation, "CheckPaidBuyer") ||
           !strcmp(operation, "CheckPaidRestAmount");
}

int32_t paid_nomem(paid_op *op)
{
    if (op->maybe_changed)
        return gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                            "%s: out of memory after a request that may have changed the order "
                            "reached the gateway; retry the same request",
                            op->name);
    return gw_error_set(op->err, PMP_E_NOMEM, 0, NULL, "%s: out of memory; nothing was sent",
                        op->name);
}

int paid_call(paid_op *op, gw_call *call)
{
    int rc;

    if (op->ncalls < PAID_MAX_CALLS)
        op->calls[op->ncalls++] = call->operation;
    call->deadline_ms = op->deadline_ms;
    rc = gw_idpass_call(&op->ctx->client, call);
    if (call->sent && !reads_only(call->operation))
        op->maybe_changed = 1;
    if (rc == GW_CALL_ERROR)
        gw_resp_error_join(&call->resp, op->gateway_errors, sizeof(op->gateway_errors));
    return rc;
}

static int has_code(const gw_resp *r, const char *const *codes)
{
    for (; *codes; codes++)
        if (gw_resp_error_has_prefix(r, *codes))
            return 1;
    return 0;
}

static const char *const bad_state[] = {"M01054004", "E11010003", "E11010002", "M11010099", NULL};

int paid_is_state_error(const gw_resp *resp)
{
    return has_code(resp, bad_state);
}

int32_t paid_call_error(paid_op *op, const gw_call *call, int rc, int mutating)
{
    static const char *const not_found[] = {"M01058002", "E01110002", "M01200002", NULL};
    char codes[96];

    switch (rc) {
    case GW_CALL_NOT_SENT:
        return gw_error_set(op->err, PMP_E_NETWORK, 1, NULL, "%s: %s was not delivered: %s",
                            op->name, call->operation, call->detail);
    case GW_CALL_TLS:
        return gw_error_set(op->err, PMP_E_TLS, 0, NULL,
                            "%s: TLS to the gateway failed (nothing sent): %s", op->name,
                            call->detail);
    case GW_CALL_NOMEM:
        return paid_nomem(op);
    case GW_CALL_UNKNOWN:
        if (mutating)
            return gw_error_set(op->err, PMP_E_OUTCOME_UNKNOWN, 1, NULL,
                                "%s: %s may have reached the gateway and its outcome could not "
                                "be settled (%s); retry with the same order_id",
                                op->name, call->operation, call->detail);
        /* nothing moved; an answer that came but cannot be read is a protocol
         * failure, anything else a network one; both may be retried */
        return gw_error_set(op->err, call->http_status == 200 ? PMP_E_PROTOCOL : PMP_E_NETWORK, 1,
                            NULL, "%s: %s got no usable answer: %s", op->name, call->operation,
                            call->detail);
    case GW_CALL_PROTOCOL:
        return gw_error_set(op->err, PMP_E_PROTOCOL, 0, NULL, "%s: %s: %s", op->name,
                            call->operation, call->detail);
    case GW_CALL_BAD_INPUT:
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: %s: field %s cannot be represented in Windows-31J", op->name,
                            call->operation, call->fields[call->bad_field].name);
    case GW_CALL_ERROR:
        gw_resp_error_join(&call->resp, codes, sizeof(codes));
        if (has_code(&call->resp, not_found))
            return gw_error_set(op->err, PMP_E_NOT_FOUND, 0, codes, "%s: %s: not found (%s)",
                                op->name, call->operation, codes);
        if (has_code(&call->resp, bad_state))
            return gw_error_set(op->err, PMP_E_STATE, 0, codes,
                                "%s: %s: not allowed in the order's current state (%s)", op->name,
                                call->operation, codes);
        return gw_error_set(op->err, PMP_E_GATEWAY, 0, codes, "%s: %s rejected by the gateway: %s",
                            op->name, call->operation, codes);
    default:
        return gw_error_set(op->err, PMP_E_INTERNAL, 0, NULL, "%s: unexpected call outcome %d",
                            op->name, rc);
    }
}

int32_t paid_result_text(paid_op *op, const char *status, char *json, size_t len, pmp_result **out)
{
    const gw_mem *mem = &op->ctx->mem;
    pmp_result *res;

    if (!json)
        return paid_nomem(op);
    res = gw_calloc(mem, 1, sizeof(*res));
    if (!res)
        goto nomem;
    res->mem = *mem;
    res->status = status;
    res->json = json;
    res->json_len = len;
    res->gateway_errors = gw_strdup(mem, op->gateway_errors);
    if (!res->gateway_errors)
        goto nomem;
    *out = res;
    return PMP_OK;
nomem:
    gw_free(mem, res);
    gw_free(mem, json);
    return paid_nomem(op);
}

void paid_jw_close(paid_op *op, gw_jw *w, const char *status)
{
    int i;

    gw_jw_str(w, "operation", op->name);
    gw_jw_str(w, "status", status);
    gw_jw_array(w, "gateway_calls");
    for (i = 0; i < op->ncalls; i++)
        gw_jw_str(w, NULL, op->calls[i]);
    gw_jw_end_array(w);
    gw_jw_end_object(w);
}

int32_t paid_result(paid_op *op, const char *status, json_object *doc, pmp_result **out)
{
    json_object *calls;
    const char *text;
    size_t len;
    int i;

    if (!doc)
        return paid_nomem(op);
    calls = json_object_new_array();
    for (i = 0; calls && i < op->ncalls; i++)
        json_object_array_add(calls, json_object_new_string(op->calls[i]));
    json_object_object_add(doc, "operation", json_object_new_string(op->name));
    json_object_object_add(doc, "status", json_object_new_string(status));
    json_object_object_add(doc, "gateway_calls", calls);
    text = json_object_to_json_string_length(
        doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    i = text ? paid_result_text(op, status, gw_strndup(&op->ctx->mem, text, len), len, out)
             : paid_nomem(op);
    json_object_put(doc);
    return i;
}

void paid_json_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, v ? json_object_new_string(v) : NULL);
}

void paid_json_int(json_object *o, const char *key, int64_t v)
{
    json_object_object_add(o, key, json_object_new_int64(v));
}

void paid_json_bool(json_object *o, const char *key, int v)
{
    json_object_object_add(o, key, json_object_new_boolean(v ? 1 : 0));
}

int paid_parse_amount(const char *s, int64_t *out)
{
    int64_t v = 0;

    if (!s)
        s = "";
    if (strlen(s) > 15)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

void paid_format_amount(int64_t v, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRId64, v);
}

const char *paid_tx_word(paid_op *op, const char *literal)
{
    const char *word = paid_map_lookup(op->ctx->paid.tx, op->ctx->paid.ntx, literal);

    if (word)
        return word;
    gw_logf(&op->ctx->log, PMP_LOG_WARN,
            "%s: the gateway reported transaction status '%.40s', which paid.status_map does "
            "not know; reporting status 'unknown'",
            op->name, literal);
    return "unknown";
}

int32_t paid_search(paid_op *op, const char *order_id, paid_trade *t)
{
    const gw_config *cfg = &op->ctx->cfg;
    int rc;

    memset(t, 0, sizeof(*t));
    t->fields[0] = (gw_field){"ShopID", cfg->shop_id, strlen(cfg->shop_id)};
    t->fields[1] = (gw_field){"ShopPass", cfg->shop_pass, strlen(cfg->shop_pass)};
    t->fields[2] = (gw_field){"OrderID", order_id, strlen(order_id)};
    t->fields[3] = (gw_field){"PayType", PAID_PAY_TYPE, 2};
    t->call.operation = "SearchTradeMulti";
    t->call.fields = t->fields;
    t->call.nfields = 4;
    t->call.idempotent = 1;
    rc = paid_call(op, &t->call);
    if (rc != GW_CALL_OK)
        return paid_call_error(op, &t->call, rc, 0);
    t->status = gw_resp_str(&t->call.resp, "Status");
    t->access_id = gw_resp_str(&t->call.resp, "AccessID");
    t->access_pass = gw_resp_str(&t->call.resp, "AccessPass");
    if (!*t->status || paid_parse_amount(gw_resp_str(&t->call.resp, "Amount"), &t->amount) ||
        paid_parse_amount(gw_resp_str(&t->call.resp, "Tax"), &t->tax) ||
        paid_parse_amount(gw_resp_str(&t->call.resp, "PaidCancelAmount"), &t->cancel_amount) ||
        paid_parse_amount(gw_resp_str(&t->call.resp, "PaidCancelTax"), &t->cancel_tax))
        return gw_error_set(op->err, PMP_E_PROTOCOL, 1, NULL,
                            "%s: SearchTradeMulti answered without a usable Status/Amount/Tax",
                            op->name);
    return PMP_OK;
}

void paid_trade_release(paid_trade *t)
{
    gw_call_release(&t->call);
}

void paid_json_trade(json_object *doc, const char *order_id, const paid_trade *t)
{
    paid_json_str(doc, "order_id", order_id);
    paid_json_str(doc, "gateway_status", t->status);
    paid_json_int(doc, "amount", t->amount);
    paid_json_int(doc, "tax", t->tax);
    paid_json_str(doc, "access_id", t->access_id);
}

int paid_is_decline(const pmp_ctx *ctx, const gw_resp *resp)
{
    size_t i;

    for (i = 0; i < ctx->paid.ndecline; i++)
        if (gw_resp_error_has_prefix(resp, ctx->paid.decline_prefixes[i]))
            return 1;
    return 0;
}

json_object *paid_decline_json(const gw_resp *resp)
{
    static const char *const reasons[][3] = {
        {"P01010002", "buyer_under_screening", "the buyer's credit screening is not finished"},
        {"P01010003", "buyer_not_approved", "the buyer is not approved for Paid"},
        {"P01020001", "credit_line_exceeded",
         "the order exceeds the buyer's remaining credit line"},
        {"P01030001", "review_refused", "Paid refused the order after review"},
    };
    json_object *d = json_object_new_object();
    char codes[96];
    size_t i;
    const char *reason = "other", *message = "Paid declined the order";

    gw_resp_error_join(resp, codes, sizeof(codes));
    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (gw_resp_error_has_prefix(resp, reasons[i][0])) {
            reason = reasons[i][1];
            message = reasons[i][2];
            break;
        }
    }
    paid_json_str(d, "code", codes);
    paid_json_str(d, "reason", reason);
    paid_json_str(d, "message", message);
    return d;
}
