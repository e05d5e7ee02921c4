#include "gw_idpass.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gw_sjis.h"

void gw_client_init(gw_client *c, const gw_config *cfg, const gw_mem *mem, const gw_log *log)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->mem = mem;
    c->log = log;
    c->http.ca_file = cfg->ca_file;
    c->http.connect_timeout_ms = cfg->connect_timeout_ms;
    c->http.timeout_ms = cfg->timeout_ms;
    c->http.allow_plain_http = !strncmp(cfg->base_url, "http://", 7);
}

int gw_errinfo_outcome_unknown(const gw_resp *resp)
{
    return gw_resp_error_has_prefix(resp, "E90") || gw_resp_error_has_prefix(resp, "E91") ||
           gw_resp_error_has_prefix(resp, "M91");
}

int gw_errinfo_rate_limited(const gw_resp *resp)
{
    return gw_resp_error_has_prefix(resp, "E92");
}

int64_t gw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Below this, an attempt cannot be expected to finish: do not start one. */
#define MIN_ATTEMPT_MS 50

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* "OrderID=X Amount=1 ShopPass=***" for debug lines; secrets masked. */
static void describe_fields(const gw_field *fields, size_t n, char *buf, size_t size)
{
    size_t used = 0, i;

    buf[0] = '\0';
    for (i = 0; i < n && used + 1 < size; i++) {
        const gw_field *f = &fields[i];
        int w;

        if (!f->value || !f->len)
            continue;
        if (gw_field_is_secret(f->name))
            w = snprintf(buf + used, size - used, "%s%s=***", used ? " " : "", f->name);
        else
            w = snprintf(buf + used, size - used, "%s%s=%.*s", used ? " " : "", f->name,
                         (int)(f->len > 60 ? 60 : f->len), f->value);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

static void describe_resp(const gw_resp *r, char *buf, size_t size)
{
    size_t used = 0, i;

    buf[0] = '\0';
    for (i = 0; i < r->npairs && used + 1 < size; i++) {
        const char *k = r->pairs[i].key;
        int w = gw_field_is_secret(k)
                    ? snprintf(buf + used, size - used, "%s%s=***", used ? " " : "", k)
                    : snprintf(buf + used, size - used, "%s%s=%.60s", used ? " " : "", k,
                               r->pairs[i].value);

        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* One exchange. Fills call->resp for OK/ERROR. */
static int exchange(const gw_client *c, gw_call *call, const char *url, const gw_buf *body)
{
    gw_http_opts opts = c->http;
    gw_http_reply reply;
    int outcome, prc;

    /* The request may take only what is left of the operation's budget. */
    if (call->deadline_ms) {
        int64_t left = call->deadline_ms - gw_now_ms();

        /* libcurl reads a timeout of 0 as "none" */
        if (left < 1)
            left = 1;
        if (opts.timeout_ms > left)
            opts.timeout_ms = (long)left;
        if (opts.connect_timeout_ms > left)
            opts.connect_timeout_ms = (long)left;
    }
    outcome = gw_http_post(&opts, c->mem, url, gw_buf_cstr(body), body->len, &reply);
    if (outcome == GW_HTTP_ANSWERED || outcome == GW_HTTP_UNKNOWN)
        call->sent = 1;
    call->http_status = reply.status;
    snprintf(call->detail, sizeof(call->detail), "%s", reply.detail);
    if (outcome != GW_HTTP_ANSWERED) {
        gw_buf_release(&reply.body);
        return outcome == GW_HTTP_NOT_SENT ? GW_CALL_NOT_SENT
               : outcome == GW_HTTP_TLS    ? GW_CALL_TLS
               : outcome == GW_HTTP_NOMEM  ? GW_CALL_NOMEM
                                           : GW_CALL_UNKNOWN;
    }
    gw_logf(c->log, PMP_LOG_DEBUG, "idPass %s: HTTP %ld in %.1f ms (%s connection)",
            call->operation, reply.status, reply.elapsed_ms, reply.reused ? "reused" : "new");
    if (reply.status == 429) {
        snprintf(call->detail, sizeof(call->detail), "HTTP 429 (rate limited)");
        gw_buf_release(&reply.body);
        return GW_CALL_NOT_SENT;
    }
    if (reply.status >= 500 || (reply.status >= 300 && reply.status < 400)) {
        /* A 5xx may come after the work was done; a redirect is never
         * followed, and we cannot know what the first hop did. */
        snprintf(call->detail, sizeof(call->detail), "HTTP %ld from the gateway%s", reply.status,
                 reply.status < 400 ? " (redirect refused)" : "");
        gw_buf_release(&reply.body);
        return GW_CALL_UNKNOWN;
    }
    if (reply.status != 200) {
        snprintf(call->detail, sizeof(call->detail), "HTTP %ld from the gateway", reply.status);
        gw_buf_release(&reply.body);
        return GW_CALL_PROTOCOL;
    }
    prc = gw_resp_parse(c->mem, gw_buf_cstr(&reply.body), reply.body.len, &call->resp);
    gw_buf_release(&reply.body);
    if (prc != GW_RESP_OK) {
        gw_resp_release(&call->resp);
        if (prc == GW_RESP_NOMEM)
            return GW_CALL_NOMEM;
        snprintf(call->detail, sizeof(call->detail), "the gateway's answer is not %s",
                 prc == GW_RESP_ENCODING ? "valid Windows-31J" : "Key=Value pairs");
        return GW_CALL_UNKNOWN;
    }
    if (gw_log_enabled(c->log, PMP_LOG_DEBUG)) {
        char desc[700];

        describe_resp(&call->resp, desc, sizeof(desc));
        gw_logf(c->log, PMP_LOG_DEBUG, "idPass %s answer: %s", call->operation, desc);
    }
    if (!gw_resp_has_error(&call->resp))
        return GW_CALL_OK;
    if (gw_errinfo_rate_limited(&call->resp)) {
        snprintf(call->detail, sizeof(call->detail), "rate limited by the gateway (E92)");
        gw_resp_release(&call->resp);
        return GW_CALL_NOT_SENT;
    }
    if (gw_errinfo_outcome_unknown(&call->resp)) {
        gw_resp_error_join(&call->resp, call->detail, sizeof(call->detail));
        gw_resp_release(&call->resp);
        return GW_CALL_UNKNOWN;
    }
    return GW_CALL_ERROR;
}

int gw_idpass_call(const gw_client *c, gw_call *call)
{
    gw_buf body;
    char url[512];
    int rc, enc;
    long backoff_ms = 100;

    memset(&call->resp, 0, sizeof(call->resp));
    call->attempts = 0;
    call->sent = 0;
    call->http_status = 0;
    call->detail[0] = '\0';
    if ((size_t)snprintf(url, sizeof(url), "%s%s.idPass", c->cfg->base_url, call->operation) >=
        sizeof(url)) {
        snprintf(call->detail, sizeof(call->detail), "gateway URL too long");
        return GW_CALL_PROTOCOL;
    }
    gw_buf_init(&body, c->mem, 0);
    enc = gw_form_encode(call->fields, call->nfields, &body, &call->bad_field);
    if (enc != GW_SJIS_OK) {
        gw_buf_release(&body);
        return enc == GW_SJIS_NOMEM ? GW_CALL_NOMEM : GW_CALL_BAD_INPUT;
    }
    if (gw_log_enabled(c->log, PMP_LOG_DEBUG)) {
        char desc[700];

        describe_fields(call->fields, call->nfields, desc, sizeof(desc));
        gw_logf(c->log, PMP_LOG_DEBUG, "idPass %s request: %s", call->operation, desc);
    }
    if (call->deadline_ms && call->deadline_ms - gw_now_ms() < MIN_ATTEMPT_MS) {
        snprintf(call->detail, sizeof(call->detail), "the operation's time budget is spent");
        gw_buf_release(&body);
        return GW_CALL_NOT_SENT;
    }
    for (;;) {
        call->attempts++;
        rc = exchange(c, call, url, &body);
        if ((rc == GW_CALL_NOT_SENT || (rc == GW_CALL_UNKNOWN && call->idempotent)) &&
            call->attempts <= c->cfg->retries &&
            (!call->deadline_ms ||
             call->deadline_ms - gw_now_ms() >= backoff_ms + MIN_ATTEMPT_MS)) {
            gw_logf(c->log, PMP_LOG_WARN, "idPass %s attempt %d: %s; retrying in %ld ms",
                    call->operation, call->attempts, call->detail, backoff_ms);
            sleep_ms(backoff_ms);
            backoff_ms *= 2;
            continue;
        }
        break;
    }
    gw_buf_release(&body);
    if (rc != GW_CALL_OK && rc != GW_CALL_ERROR)
        gw_logf(c->log, PMP_LOG_WARN, "idPass %s failed after %d attempt(s): %s", call->operation,
                call->attempts, call->detail);
    return rc;
}

void gw_call_release(gw_call *call)
{
    if (call)
        gw_resp_release(&call->resp);
}
