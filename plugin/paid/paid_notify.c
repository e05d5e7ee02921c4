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

/* The fields of a notification, looked up once. */
typedef struct notice {
    const char *shop, *order, *status, *job_cd, *amount, *tax, *tran_date, *err_info;
    const char *access_id, *buyer, *paid_code, *pay_type;
} notice;

static void read_notice(const gw_resp *r, notice *n)
{
    n->shop = gw_resp_str(r, "ShopID");
    n->order = gw_resp_str(r, "OrderID");
    n->status = gw_resp_str(r, "Status");
    n->job_cd = gw_resp_str(r, "JobCd");
    n->amount = gw_resp_str(r, "Amount");
    n->tax = gw_resp_str(r, "Tax");
    n->tran_date = gw_resp_str(r, "TranDate");
    n->err_info = gw_resp_str(r, "ErrInfo");
    n->access_id = gw_resp_str(r, "AccessID");
    n->buyer = gw_resp_str(r, "PaidBuyerID");
    n->paid_code = gw_resp_str(r, "PaidCode");
    n->pay_type = gw_resp_str(r, "PayType");
}

/* SHA-256 of ShopID|OrderID|Status|Amount|Tax|TranDate, hex. */
static int event_key(const pmp_ctx *ctx, const notice *n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    const char *parts[] = {n->shop, n->order, n->status, n->amount, n->tax, n->tran_date};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    gw_buf joined;
    size_t i;
    int ok;

    /* one-shot digest of the joined fields; the body limit keeps this small */
    gw_buf_init(&joined, &ctx->mem, 0);
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (i)
            gw_buf_append_char(&joined, '|');
        gw_buf_append_str(&joined, parts[i]);
    }
    ok = !joined.failed &&
         EVP_Digest(gw_buf_cstr(&joined), joined.len, md, &mdlen, ctx->sha256, NULL) == 1 &&
         mdlen == 32;
    gw_buf_release(&joined);
    if (!ok)
        return -1;
    for (i = 0; i < 32; i++) {
        out[i * 2] = hex[md[i] >> 4];
        out[i * 2 + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
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
static int32_t check_body(paid_op *op, const notice *n)
{
    size_t i, len = strlen(n->order);

    if (strcmp(n->shop, op->ctx->cfg.shop_id))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: ShopID '%.20s' is not this context's shop; do not answer 0",
                            n->shop);
    if (strcmp(n->pay_type, PAID_PAY_TYPE))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: PayType '%.8s' is not Paid (29)", n->pay_type);
    if (!len || len > 27)
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: OrderID missing or longer than 27 characters");
    for (i = 0; i < len; i++)
        if (!gw_char_order_id(n->order[i]))
            return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "notify: OrderID has a character outside A-Z a-z 0-9 -");
    if (!*n->status || strspn(n->status, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != strlen(n->status))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: Status missing or malformed");
    if (!all_digits(n->amount, 0, 15) || !all_digits(n->tax, 0, 15))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: Amount or Tax is not an integer");
    if (!all_digits(n->tran_date, 14, 14))
        return gw_error_set(op->err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "notify: TranDate is not yyyyMMddHHmmss");
    return PMP_OK;
}

/* "yyyyMMddHHmmss" (checked) -> "yyyy-MM-ddTHH:mm:ss" */
static void iso_stamp(const char *in, char *out, size_t size)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t i, j = 0;

    if (size < sizeof(shape))
        return;
    for (i = 0; i < sizeof(shape) - 1; i++)
        out[i] = shape[i] == 'd' ? in[j++] : shape[i];
    out[i] = '\0';
}

/* What the notification itself says (never trusted on its own). */
static void write_notified(paid_op *op, gw_jw *w, const notice *n)
{
    int64_t amount = 0, tax = 0;
    char when[32];

    paid_parse_amount(n->amount, &amount);
    paid_parse_amount(n->tax, &tax);
    iso_stamp(n->tran_date, when, sizeof(when));
    gw_jw_object(w, "notified");
    gw_jw_str(w, "status", paid_tx_word(op, n->status));
    gw_jw_str(w, "gateway_status", n->status);
    gw_jw_int(w, "amount", amount);
    gw_jw_int(w, "tax", tax);
    gw_jw_str(w, "tran_date", when);
    gw_jw_str(w, "job_cd", n->job_cd);
    gw_jw_str(w, "err_info", n->err_info);
    gw_jw_end_object(w);
}

/* The event as the gateway's record shows it (confirmed). */
static void write_confirmed_event(gw_jw *w, const notice *n, const paid_trade *t, const char *word)
{
    const char *pd = gw_resp_str(&t->call.resp, "ProcessDate");
    char when[32];

    gw_jw_object(w, "event");
    gw_jw_str(w, "order_id", n->order);
    gw_jw_str(w, "gateway_status", t->status);
    gw_jw_int(w, "amount", t->amount);
    gw_jw_int(w, "tax", t->tax);
    gw_jw_str(w, "access_id", t->access_id);
    gw_jw_str(w, "status", word);
    gw_jw_str(w, "buyer_id", gw_resp_str(&t->call.resp, "PaidBuyerID"));
    gw_jw_str(w, "paid_code", gw_resp_str(&t->call.resp, "PaidCode"));
    gw_jw_int(w, "cancel_amount", t->cancel_amount);
    gw_jw_int(w, "cancel_tax", t->cancel_tax);
    if (all_digits(pd, 14, 14)) {
        iso_stamp(pd, when, sizeof(when));
        gw_jw_str(w, "process_date", when);
    } else {
        gw_jw_str(w, "process_date", pd);
    }
    gw_jw_end_object(w);
}

/* The event as the notification tells it (confirmation switched off). */
static void write_unconfirmed_event(gw_jw *w, const notice *n, const char *word)
{
    int64_t amount = 0, tax = 0;

    paid_parse_amount(n->amount, &amount);
    paid_parse_amount(n->tax, &tax);
    gw_jw_object(w, "event");
    gw_jw_str(w, "order_id", n->order);
    gw_jw_str(w, "gateway_status", n->status);
    gw_jw_int(w, "amount", amount);
    gw_jw_int(w, "tax", tax);
    gw_jw_str(w, "access_id", n->access_id);
    gw_jw_str(w, "status", word);
    gw_jw_str(w, "buyer_id", n->buyer);
    gw_jw_str(w, "paid_code", n->paid_code);
    gw_jw_end_object(w);
}

static int32_t finish(paid_op *op, gw_buf *text, gw_jw *w, const char *status, pmp_result **out)
{
    size_t len;
    char *json;

    paid_jw_close(op, w, status);
    json = gw_buf_steal(text, &len);
    return paid_result_text(op, status, json, len, out);
}

int32_t paid_notify(pmp_ctx *ctx, const char *body, size_t body_len, const char *headers,
                    size_t headers_len, pmp_result **out, pmp_error *err)
{
    const char *status_word;
    char key[65];
    paid_trade t;
    gw_buf text;
    gw_resp r;
    notice n;
    paid_op op;
    gw_jw w;
    int32_t rc;
    int prc, matches = 1;

    memset(&r, 0, sizeof(r));
    memset(&t, 0, sizeof(t));
    if ((rc = paid_op_begin(&op, ctx, "notify", out, err)) != PMP_OK)
        return rc;
    gw_buf_init(&text, &ctx->mem, 0);
    gw_buf_reserve(&text, 1024); /* the whole result, in one allocation */
    gw_jw_init(&w, &text);
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
    read_notice(&r, &n);
    if (gw_resp_error_has_prefix(&r, CONNECTIVITY_TEST)) {
        /* GMO-PG's connectivity test: acknowledge, nothing to apply. */
        if (strcmp(n.shop, ctx->cfg.shop_id)) {
            rc = check_body(&op, &n);
            goto out;
        }
        gw_jw_object(&w, NULL);
        gw_jw_null(&w, "event");
        gw_jw_str(&w, "reply_body", "0");
        gw_logf(&ctx->log, PMP_LOG_INFO, "notify: connectivity test acknowledged");
        rc = finish(&op, &text, &w, "test", out);
        goto out;
    }
    if ((rc = check_body(&op, &n)) != PMP_OK)
        goto out;
    if (event_key(ctx, &n, key) != 0) {
        rc = gw_error_set(err, PMP_E_INTERNAL, 0, NULL, "notify: could not hash the event key");
        goto out;
    }
    gw_jw_object(&w, NULL);
    if (ctx->paid.notify_confirm) {
        int64_t amount = 0, tax = 0;

        rc = paid_search(&op, n.order, &t);
        if (rc == PMP_E_NOT_FOUND) {
            rc = gw_error_set(err, PMP_E_NOT_FOUND, 0, op.gateway_errors,
                              "notify: order %s does not exist at the gateway; the notification "
                              "is forged or for another shop, do not apply it",
                              n.order);
            goto out;
        }
        if (rc != PMP_OK) /* the host answers "not received"; the gateway resends */
            goto out;
        paid_parse_amount(n.amount, &amount);
        paid_parse_amount(n.tax, &tax);
        matches = !strcmp(t.status, n.status) && t.amount == amount && t.tax == tax;
        status_word = paid_tx_word(&op, t.status);
        write_confirmed_event(&w, &n, &t, status_word);
        if (!matches)
            gw_logf(&ctx->log, PMP_LOG_WARN,
                    "notify: order %s: the notification says %s, the gateway says %s; "
                    "reporting the gateway's state",
                    n.order, n.status, t.status);
    } else {
        status_word = paid_tx_word(&op, n.status);
        write_unconfirmed_event(&w, &n, status_word);
    }
    write_notified(&op, &w, &n);
    gw_jw_str(&w, "event_key", key);
    gw_jw_bool(&w, "confirmed", ctx->paid.notify_confirm);
    if (ctx->paid.notify_confirm)
        gw_jw_bool(&w, "matches_gateway", matches);
    else
        gw_jw_null(&w, "matches_gateway");
    gw_jw_str(&w, "reply_body", "0");
    gw_logf(&ctx->log, PMP_LOG_INFO, "notify: order %s %s (%s)", n.order, status_word,
            matches ? "confirmed" : "the gateway's state differs");
    rc = finish(&op, &text, &w, status_word, out);
out:
    gw_buf_release(&text);
    paid_trade_release(&t);
    gw_resp_release(&r);
    paid_op_end(&op);
    return rc;
}
