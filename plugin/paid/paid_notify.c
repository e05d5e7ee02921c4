/* notify: a result notification the host received, parsed and checked.
 *
 * Notifications are unsigned form POSTs that may be forged, duplicated,
 * replayed, or arrive out of order or before the synchronous answer. So the
 * plugin never lets one decide an order's state on its own word: it checks
 * the shop, confirms the order with SearchTradeMulti (unless configured not
 * to), and hands the host the gateway's state, a stable key to drop
 * duplicates, and the exact body to answer. */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "paid_internal.h"

#define NOTIFY_MAX_BODY (64 * 1024)
#define CONNECTIVITY_TEST "E00000000"

static int all_digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);

    return n >= min && n <= max && strspn(s, "0123456789") == n;
}

/* SHA-256 of ShopID|OrderID|Status|Amount|Tax|TranDate, hex. */
static int event_key(const gw_resp *r, char out[65])
{
    static const char *const keys[] = {"ShopID", "OrderID", "Status", "Amount", "Tax", "TranDate"};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    size_t i;
    int ok;

    if (!h)
        return -1;
    ok = EVP_DigestInit_ex(h, EVP_sha256(), NULL) == 1;
    for (i = 0; ok && i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = gw_resp_str(r, keys[i]);

        ok = (!i || EVP_DigestUpdate(h, "|", 1) == 1) && EVP_DigestUpdate(h, v, strlen(v)) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(h, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(h);
    if (!ok)
        return -1;
    for (i = 0; i < 32; i++)
        snprintf(out + i * 2, 3, "%02x", md[i]);
    return 0;
}

/* A JSON object of request headers is optional; when it names a
 * Content-Type it must be a form. */
static int32_t check_headers(paid_op *op, const char *headers, size_t len)
{
    json_object *h = NULL;
    pmp_error why;
    int32_t rc;

    if (!headers || !len)
        return PMP_OK;
    /* The parser's message goes into a struct of our own: formatting the
     * host's message into itself overlaps, and a host's pmp_error may be
     * too small to have a message at all. */
    memset(&why, 0, sizeof(why));
    why.struct_size = sizeof(why);
    if ((rc = gw_req_parse(headers, len, &h, &why)) != PMP_OK)
        return gw_error_set(op->err, rc, 0, NULL, "notify: headers: %s", why.message);
    json_object_object_foreach(h, key, val)
    {
        if (!strcasecmp(key, "content-type") && json_object_is_type(val, json_type_string) &&
            !strstr(json_object_get_string(val), "application/x-www-form-urlencoded")) {
            json_object_put(h);
            return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "notify: Content-Type is not application/x-www-form-urlencoded");
        }
    }
    json_object_put(h);
    return PMP_OK;
}

/* The fields a notification must carry, checked before anything is asked. */
static int32_t check_body(paid_op *op, const gw_resp *r)
{
    const char *shop = gw_resp_str(r, "ShopID");
    const char *order = gw_resp_str(r, "OrderID");
    size_t i, n = strlen(order);

    if (strcmp(shop, op->ctx->cfg.shop_id))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: ShopID '%.20s' is not this context's shop; do not answer 0",
                            shop);
    if (strcmp(gw_resp_str(r, "PayType"), PAID_PAY_TYPE))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: PayType '%.8s' is not Paid (29)", gw_resp_str(r, "PayType"));
    if (!n || n > 27)
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: OrderID missing or longer than 27 characters");
    for (i = 0; i < n; i++)
        if (!gw_char_order_id(order[i]))
            return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "notify: OrderID has a character outside A-Z a-z 0-9 -");
    if (!*gw_resp_str(r, "Status") ||
        strspn(gw_resp_str(r, "Status"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") !=
            strlen(gw_resp_str(r, "Status")))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: Status missing or malformed");
    if (!all_digits(gw_resp_str(r, "Amount"), 0, 15) || !all_digits(gw_resp_str(r, "Tax"), 0, 15))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: Amount or Tax is not an integer");
    if (!all_digits(gw_resp_str(r, "TranDate"), 14, 14))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: TranDate is not yyyyMMddHHmmss");
    return PMP_OK;
}

static void iso_stamp(const char *in, char *out, size_t size)
{
    snprintf(out, size, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s", in, in + 4, in + 6, in + 8, in + 10,
             in + 12);
}

/* What the notification itself says (never trusted on its own). */
static json_object *notified_json(paid_op *op, const gw_resp *r)
{
    json_object *n = json_object_new_object();
    int64_t amount = 0, tax = 0;
    char when[32];

    paid_parse_amount(gw_resp_str(r, "Amount"), &amount);
    paid_parse_amount(gw_resp_str(r, "Tax"), &tax);
    iso_stamp(gw_resp_str(r, "TranDate"), when, sizeof(when));
    paid_json_str(n, "status", paid_tx_word(op, gw_resp_str(r, "Status")));
    paid_json_str(n, "gateway_status", gw_resp_str(r, "Status"));
    paid_json_int(n, "amount", amount);
    paid_json_int(n, "tax", tax);
    paid_json_str(n, "tran_date", when);
    paid_json_str(n, "job_cd", gw_resp_str(r, "JobCd"));
    paid_json_str(n, "err_info", gw_resp_str(r, "ErrInfo"));
    return n;
}

int32_t paid_notify(pmp_ctx *ctx, const char *body, size_t body_len, const char *headers,
                    size_t headers_len, pmp_result **out, pmp_error *err)
{
    json_object *doc = NULL, *event;
    const char *status_word;
    char key[65];
    paid_trade t;
    gw_resp r;
    paid_op op;
    int32_t rc;
    int prc, matches = 1;

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    if ((rc = paid_op_begin(&op, ctx, "notify", out, err)) != PMP_OK)
        return rc;
    if (!body && body_len) {
        rc = gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL, "notify: body is NULL");
        goto out;
    }
    if (body_len > NOTIFY_MAX_BODY) {
        rc = gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "notify: body larger than %d bytes",
                          NOTIFY_MAX_BODY);
        goto out;
    }
    if ((rc = check_headers(&op, headers, headers_len)) != PMP_OK)
        goto out;
    prc = gw_resp_parse_form(&ctx->mem, body ? body : "", body_len, &r);
    if (prc != GW_RESP_OK) {
        rc = prc == GW_RESP_NOMEM
                 ? gw_error_set(err, PMP_E_NOMEM, 0, NULL, "out of memory")
                 : gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "notify: body is not %s",
                                prc == GW_RESP_ENCODING
                                    ? "valid Windows-31J"
                                    : "an application/x-www-form-urlencoded form");
        goto out;
    }
    if (gw_resp_error_has_prefix(&r, CONNECTIVITY_TEST)) {
        /* GMO-PG's connectivity test: acknowledge, nothing to apply. */
        if (strcmp(gw_resp_str(&r, "ShopID"), ctx->cfg.shop_id)) {
            rc = check_body(&op, &r);
            goto out;
        }
        doc = json_object_new_object();
        json_object_object_add(doc, "event", NULL);
        paid_json_str(doc, "reply_body", "0");
        gw_logf(&ctx->log, PMP_LOG_INFO, "notify: connectivity test acknowledged");
        rc = paid_result(&op, "test", doc, out);
        goto out;
    }
    if ((rc = check_body(&op, &r)) != PMP_OK)
        goto out;
    if (event_key(&r, key) != 0) {
        rc = gw_error_set(err, PMP_E_INTERNAL, 0, NULL, "notify: could not hash the event key");
        goto out;
    }
    doc = json_object_new_object();
    event = json_object_new_object();
    if (ctx->paid.notify_confirm) {
        rc = paid_search(&op, gw_resp_str(&r, "OrderID"), &t);
        if (rc == PMP_E_NOT_FOUND) {
            json_object_put(event);
            json_object_put(doc);
            rc = gw_error_set(err, PMP_E_NOT_FOUND, 0, op.gateway_errors,
                              "notify: order %s does not exist at the gateway; the notification "
                              "is forged or for another shop, do not apply it",
                              gw_resp_str(&r, "OrderID"));
            goto out;
        }
        if (rc != PMP_OK) {
            /* The host answers "not received" and the gateway sends again. */
            json_object_put(event);
            json_object_put(doc);
            goto out;
        }
        {
            int64_t amount = 0, tax = 0;

            paid_parse_amount(gw_resp_str(&r, "Amount"), &amount);
            paid_parse_amount(gw_resp_str(&r, "Tax"), &tax);
            matches =
                !strcmp(t.status, gw_resp_str(&r, "Status")) && t.amount == amount && t.tax == tax;
        }
        status_word = paid_tx_word(&op, t.status);
        paid_json_trade(event, gw_resp_str(&r, "OrderID"), &t);
        paid_json_str(event, "status", status_word);
        paid_json_str(event, "buyer_id", gw_resp_str(&t.call.resp, "PaidBuyerID"));
        paid_json_str(event, "paid_code", gw_resp_str(&t.call.resp, "PaidCode"));
        paid_json_int(event, "cancel_amount", t.cancel_amount);
        paid_json_int(event, "cancel_tax", t.cancel_tax);
        {
            const char *pd = gw_resp_str(&t.call.resp, "ProcessDate");
            char when[32];

            if (all_digits(pd, 14, 14)) {
                iso_stamp(pd, when, sizeof(when));
                paid_json_str(event, "process_date", when);
            } else {
                paid_json_str(event, "process_date", pd);
            }
        }
        if (!matches)
            gw_logf(&ctx->log, PMP_LOG_WARN,
                    "notify: order %s: the notification says %s, the gateway says %s; "
                    "reporting the gateway's state",
                    gw_resp_str(&r, "OrderID"), gw_resp_str(&r, "Status"), t.status);
    } else {
        int64_t amount = 0, tax = 0;

        status_word = paid_tx_word(&op, gw_resp_str(&r, "Status"));
        paid_parse_amount(gw_resp_str(&r, "Amount"), &amount);
        paid_parse_amount(gw_resp_str(&r, "Tax"), &tax);
        paid_json_str(event, "order_id", gw_resp_str(&r, "OrderID"));
        paid_json_str(event, "gateway_status", gw_resp_str(&r, "Status"));
        paid_json_int(event, "amount", amount);
        paid_json_int(event, "tax", tax);
        paid_json_str(event, "access_id", gw_resp_str(&r, "AccessID"));
        paid_json_str(event, "status", status_word);
        paid_json_str(event, "buyer_id", gw_resp_str(&r, "PaidBuyerID"));
        paid_json_str(event, "paid_code", gw_resp_str(&r, "PaidCode"));
    }
    json_object_object_add(doc, "event", event);
    json_object_object_add(doc, "notified", notified_json(&op, &r));
    paid_json_str(doc, "event_key", key);
    paid_json_bool(doc, "confirmed", ctx->paid.notify_confirm);
    if (ctx->paid.notify_confirm)
        paid_json_bool(doc, "matches_gateway", matches);
    else
        json_object_object_add(doc, "matches_gateway", NULL);
    paid_json_str(doc, "reply_body", "0");
    gw_logf(&ctx->log, PMP_LOG_INFO, "notify: order %s %s (%s)", gw_resp_str(&r, "OrderID"),
            status_word, matches ? "confirmed" : "the gateway's state differs");
    rc = paid_result(&op, status_word, doc, out);
out:
    paid_trade_release(&t);
    gw_resp_release(&r);
    paid_op_end(&op);
    return rc;
}
