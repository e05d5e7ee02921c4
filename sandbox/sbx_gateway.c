#include "sbx_gateway.h"

#include "sbx_events.h"
#include "sbx_form.h"
#include "sbx_log.h"
#include "sbx_paid.h"
#include "sbx_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR_NOT_POST "E00000001"
#define ERR_CONTENT_TYPE "E00000003"
#define ERR_BAD_BODY "E00000010"
#define ERR_UNKNOWN_PATH "E91099997"
#define ERR_SYSTEM "E91099999"

#define PATH_PREFIX "/payment/"
#define PATH_SUFFIX ".idPass"

static bool is_form_content_type(const char *ct)
{
    static const char want[] = "application/x-www-form-urlencoded";
    if (ct == NULL)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    size_t n = sizeof want - 1;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    char next = ct[n];
    return next == '\0' || next == ';' || next == ' ' || next == '\t';
}

/* "/payment/EntryTranPaid.idPass" -> "EntryTranPaid"; "" when the path does
 * not have that shape. Only [A-Za-z0-9_] is kept so the request log never
 * stores arbitrary bytes. */
static void op_from_path(const char *path, char *op, size_t n)
{
    op[0] = '\0';
    size_t plen = strlen(PATH_PREFIX), slen = strlen(PATH_SUFFIX), len = strlen(path);
    if (len <= plen + slen || strncmp(path, PATH_PREFIX, plen) != 0 ||
        strcmp(path + len - slen, PATH_SUFFIX) != 0)
        return;
    size_t o = 0;
    for (size_t i = plen; i < len - slen && o + 1 < n; i++) {
        char c = path[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_')
            op[o++] = c;
        else {
            o = 0;  /* not an operation name at all */
            break;
        }
    }
    op[o] = '\0';
}

/* Copies a request field into the log when it is short printable ASCII;
 * the log is for humans and tests, never for secrets (no *Pass field is
 * ever passed here). */
static void log_field(char *dst, size_t n, const sbx_form *form, const char *name)
{
    dst[0] = '\0';
    const sbx_field *f = sbx_form_get(form, name);
    if (f == NULL || f->raw_len >= n)
        return;
    for (size_t i = 0; i < f->raw_len; i++)
        if (f->raw[i] < 0x21 || f->raw[i] > 0x7e)
            return;
    memcpy(dst, f->raw, f->raw_len);
    dst[f->raw_len] = '\0';
}

static void reply_only_error(sbx_reply *reply, const char *err_info)
{
    sbx_reply_free(reply);
    sbx_reply_init(reply);
    sbx_reply_error(reply, err_info);
}

/* Runs the operation atomically: due events, the operation, commit. Any
 * internal failure rolls everything back and answers a system error,
 * which clients treat as "outcome unknown" and resolve by inquiry. */
static void run_operation(sbx_app *app, const char *op, const sbx_form *form, int64_t now,
                          sbx_reply *reply, sbx_logrow *log)
{
    sbx_store *s = app->store;
    if (sbx_store_begin(s) != 0) {
        reply_only_error(reply, ERR_SYSTEM);
        return;
    }
    if (sbx_events_run_due(s, now, NULL) < 0 ||
        sbx_paid_run(app, op, form, now, reply, log) != 0 || reply->failed ||
        sbx_store_commit(s) != 0) {
        sbx_store_rollback(s);
        reply_only_error(reply, ERR_SYSTEM);
    }
}

void sbx_gateway_handle(sbx_app *app, const sbx_request *req, sbx_response *resp)
{
    sbx_reply reply;
    sbx_reply_init(&reply);
    sbx_form form = {NULL, 0};
    sbx_logrow log;
    memset(&log, 0, sizeof log);
    log.http_status = 200;
    op_from_path(req->path, log.op, sizeof log.op);

    bool run = false;
    if (strcmp(req->method, "POST") != 0) {
        sbx_reply_error(&reply, ERR_NOT_POST);
    } else if (!is_form_content_type(req->content_type)) {
        sbx_reply_error(&reply, ERR_CONTENT_TYPE);
    } else if (!sbx_paid_op_exists(log.op)) {
        sbx_reply_error(&reply, ERR_UNKNOWN_PATH);
    } else if (req->body_too_large) {
        sbx_reply_error(&reply, ERR_BAD_BODY);
    } else {
        enum sbx_form_result fr = sbx_form_parse(req->body, req->body_len, &form);
        if (fr == SBX_FORM_OK)
            run = true;
        else
            sbx_reply_error(&reply, fr == SBX_FORM_MALFORMED ? ERR_BAD_BODY : ERR_SYSTEM);
    }
    log_field(log.shop_id, sizeof log.shop_id, &form, "ShopID");
    log_field(log.order_id, sizeof log.order_id, &form, "OrderID");
    log_field(log.buyer_id, sizeof log.buyer_id, &form, "PaidBuyerID");

    sbx_store_lock(app->store);
    int64_t now = sbx_store_now(app->store);
    if (run)
        run_operation(app, log.op, &form, now, &reply, &log);
    log.at = now;
    (void)snprintf(log.err_info, sizeof log.err_info, "%s", sbx_reply_err_info(&reply));
    if (sbx_store_log_add(app->store, &log) != 0)
        sbx_log_error("request log write failed");
    sbx_store_unlock(app->store);

    resp->status = 200;
    resp->content_type = "text/plain;charset=Windows-31J";
    resp->body = sbx_reply_body(&reply, &resp->len);
    /* The note is a log line summary; long error lists are cut on purpose. */
    (void)snprintf(resp->note, sizeof resp->note, "%s%s%s%s%.60s",
                   log.op[0] != '\0' ? log.op : "-",
                   log.order_id[0] != '\0' ? " order=" : "", log.order_id,
                   log.err_info[0] != '\0' ? " ErrInfo=" : " ok", log.err_info);
    sbx_reply_free(&reply);
    sbx_form_free(&form);
}
