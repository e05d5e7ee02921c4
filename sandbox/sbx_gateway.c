#include "sbx_gateway.h"

#include "sbx_events.h"
#include "sbx_faults.h"
#include "sbx_form.h"
#include "sbx_log.h"
#include "sbx_notify.h"
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
    if (sbx_events_run_due(app, now, NULL) < 0 ||
        sbx_paid_run(app, op, form, now, reply, log) != 0 || reply->failed ||
        sbx_store_commit(s) != 0) {
        sbx_store_rollback(s);
        reply_only_error(reply, ERR_SYSTEM);
        return;
    }
    /* The commit may have queued result notifications. */
    sbx_notifier_kick(app->notifier);
}

/* ---- injected faults ------------------------------------------------------ */

/* 2 MiB: far beyond any real answer (a few hundred bytes), so a client
 * that caps response bodies must refuse it. */
#define OVERSIZED_LEN (2u * 1024u * 1024u)

/* What a fault answers instead of (or on top of) the real reply. The status
 * is what the request log records; 0 means no answer at all. */
static unsigned fault_http_status(sbx_fault_kind kind)
{
    switch (kind) {
    case SBX_FAULT_DROP_BEFORE_COMMIT:
    case SBX_FAULT_DROP_AFTER_COMMIT:
        return 0;
    case SBX_FAULT_HTTP500:
        return 500;
    case SBX_FAULT_HTTP503:
    case SBX_FAULT_HTTP503_AFTER_COMMIT:
        return 503;
    case SBX_FAULT_REDIRECT:
        return 302;
    default:
        return 200;
    }
}

/* The error list a no-commit fault answers in place of the operation, so
 * that the request log shows what the client saw. */
static void fault_reply(sbx_fault_kind kind, sbx_reply *reply)
{
    if (kind == SBX_FAULT_RATE_LIMIT) {
        sbx_reply_error(reply, "E92000001");
    } else if (kind == SBX_FAULT_MULTI_ERROR) {
        /* Three entries from two families: a client must keep them all. */
        sbx_reply_error(reply, "E01040013");
        sbx_reply_error(reply, "E01060011");
        sbx_reply_error(reply, "M01200013");
    }
}

static int replace_body(sbx_response *resp, unsigned status, const char *content_type,
                        const void *data, size_t len)
{
    char *p = malloc(len + 1);
    if (p == NULL)
        return -1;
    memcpy(p, data, len);
    p[len] = '\0';
    free(resp->body);
    resp->body = p;
    resp->len = len;
    resp->status = status;
    resp->content_type = content_type;
    return 0;
}

/* The real answer followed by one padding field up to OVERSIZED_LEN. */
static int make_oversized(sbx_response *resp)
{
    static const char pad_key[] = "&SbxPadding=";
    size_t head = resp->len + sizeof pad_key - 1;
    if (head >= OVERSIZED_LEN)
        return 0;
    char *p = malloc(OVERSIZED_LEN + 1);
    if (p == NULL)
        return -1;
    memcpy(p, resp->body, resp->len);
    memcpy(p + resp->len, pad_key, sizeof pad_key - 1);
    memset(p + head, 'X', OVERSIZED_LEN - head);
    p[OVERSIZED_LEN] = '\0';
    free(resp->body);
    resp->body = p;
    resp->len = OVERSIZED_LEN;
    return 0;
}

/* Turns the normal answer in resp into the faulted one. Returns 0 or -1 (no
 * memory; the caller answers a plain 500). */
static int apply_fault(const sbx_app *app, const sbx_fault *fault, const char *op,
                       sbx_response *resp)
{
    static const char html500[] =
        "<html><head><title>500 Internal Server Error</title></head>"
        "<body><h1>Internal Server Error</h1></body></html>\n";
    static const char html503[] =
        "<html><head><title>503 Service Unavailable</title></head>"
        "<body><h1>Service Unavailable</h1></body></html>\n";
    /* Binary junk with no '=' or '&': no Key=Value parser can take it for
     * an answer (a PNG signature, NUL, invalid Windows-31J, HTML). */
    static const char garbage[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x81"
                                  "<html><body>Bad Gateway</body></html>\r\n\xa0\xfd";
    static const char html302[] = "<html><body>Moved</body></html>\n";

    resp->delay_ms = fault->delay_ms;
    switch (fault->kind) {
    case SBX_FAULT_DROP_BEFORE_COMMIT:
    case SBX_FAULT_DROP_AFTER_COMMIT:
        resp->delivery = SBX_DELIVER_DROP;
        return 0;
    case SBX_FAULT_TRUNCATE:
        resp->delivery = SBX_DELIVER_TRUNCATE;
        return 0;
    case SBX_FAULT_HTTP500:
        return replace_body(resp, 500, "text/html", html500, sizeof html500 - 1);
    case SBX_FAULT_HTTP503:
    case SBX_FAULT_HTTP503_AFTER_COMMIT:
        return replace_body(resp, 503, "text/html", html503, sizeof html503 - 1);
    case SBX_FAULT_GARBAGE:
        return replace_body(resp, 200, resp->content_type, garbage, sizeof garbage - 1);
    case SBX_FAULT_OVERSIZED:
        return make_oversized(resp);
    case SBX_FAULT_REDIRECT: {
        /* Somewhere that is not an operation: a client that follows it
         * anyway gets E91099997 (or E00000001 after turning POST into GET)
         * and commits nothing. */
        int w = snprintf(resp->location, sizeof resp->location, "%s/payment/moved/%s.idPass",
                         app->base_url != NULL ? app->base_url : "", op);
        if (w < 0 || (size_t)w >= sizeof resp->location)
            resp->location[0] = '\0';
        return replace_body(resp, 302, "text/html", html302, sizeof html302 - 1);
    }
    case SBX_FAULT_DELAY_AFTER_COMMIT:
    case SBX_FAULT_RATE_LIMIT:     /* the reply already is the error list */
    case SBX_FAULT_MULTI_ERROR:
    case SBX_FAULT_NONE:
    default:
        return 0;
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

    /* Only a POST to a real operation counts as "a request of that
     * operation" for an armed fault. */
    sbx_fault fault = {SBX_FAULT_NONE, 0, 0};
    bool faulted = strcmp(req->method, "POST") == 0 && sbx_paid_op_exists(log.op) &&
                   app->faults != NULL && sbx_faults_take(app->faults, log.op, &fault);
    if (faulted) {
        (void)snprintf(log.fault, sizeof log.fault, "%s", sbx_fault_kind_name(fault.kind));
        log.http_status = (int)fault_http_status(fault.kind);
        if (!sbx_fault_commits(fault.kind)) {
            /* Nothing reaches the business code: no state change. */
            run = false;
            sbx_reply_free(&reply);
            sbx_reply_init(&reply);
            fault_reply(fault.kind, &reply);
        }
    }

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
    if (faulted && resp->body != NULL && apply_fault(app, &fault, log.op, resp) != 0) {
        free(resp->body);
        resp->body = NULL;  /* the HTTP layer answers a plain 500 */
    }
    /* The note is a log line summary; long error lists are cut on purpose
     * (hence the result is only checked for an encoding error). */
    if (snprintf(resp->note, sizeof resp->note, "%s%s%s%s%.60s%s%s",
                   log.op[0] != '\0' ? log.op : "-",
                   log.order_id[0] != '\0' ? " order=" : "", log.order_id,
                   log.err_info[0] != '\0' ? " ErrInfo=" : " ok", log.err_info,
                   faulted ? " fault=" : "", log.fault) < 0)
        resp->note[0] = '\0';
    sbx_reply_free(&reply);
    sbx_form_free(&form);
}
