/*
 * demo.c - pmp-host demo: start a local sandbox, load the plugin through the
 * real ABI and walk through a Paid BtoB sale step by step, checking at every
 * step that things went as the story says. Steps 11-20 (Paid's month after
 * the sale: notifications, closing, invoices, dunning, deposits) are in
 * demo_month.c; what both parts share is in demo.h.
 *
 * What the demo proves is the whole chain a merchant platform uses: dlopen
 * -> pmp_get_api -> init from YAML -> operations over verified HTTPS ->
 * the sandbox's view of the same calls. So it uses only the public header,
 * like any other host, and compares the plugin's own account of the calls
 * it made ("gateway_calls") with what the sandbox says it received.
 */
#include "demo.h"
#include "host.h"
#include "pmp_loader.h"
#include "sandbox_admin.h"
#include "sandbox_proc.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PMP_HOST_INSTALLED_PLUGIN
#define PMP_HOST_INSTALLED_PLUGIN "/usr/local/lib/libpmp_paid.so.1"
#endif
#ifndef PMP_HOST_INSTALLED_SANDBOX
#define PMP_HOST_INSTALLED_SANDBOX "/usr/local/bin/paid-sandbox"
#endif

#define DEMO_BUILD_PLUGIN "../plugin/libpmp_paid.so"
#define DEMO_BUILD_SANDBOX "../sandbox/paid-sandbox"

#define BUYER_A "DEMO-BUYER-1"
#define BUYER_B "DEMO-BUYER-2"
/* protocol.md section 6: any e-mail local part not starting with a test
 * prefix is approved with a 1,000,000 JPY line; "reject..." is refused. */
#define BUYER_A_LINE 1000000LL

/* Set by the signal handler; polled between steps. */
static volatile sig_atomic_t demo_signal;

static void demo_on_signal(int sig)
{
    demo_signal = sig;
}

/* ------------------------------------------------------------------------
 * Output helpers
 * ---------------------------------------------------------------------- */

const char *demo_bold(const demo *d)
{
    return d->color ? "\033[1m" : "";
}
const char *demo_green(const demo *d)
{
    return d->color ? "\033[32m" : "";
}
const char *demo_red(const demo *d)
{
    return d->color ? "\033[31m" : "";
}
const char *demo_dim(const demo *d)
{
    return d->color ? "\033[2m" : "";
}
const char *demo_off(const demo *d)
{
    return d->color ? "\033[0m" : "";
}

/* Length of the longest prefix of s, at most max bytes, that does not cut a
 * UTF-8 sequence in half. */
static size_t utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);

    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

void demo_fail(demo *d, const char *fmt, ...)
{
    va_list ap;

    if (d->failure[0] != '\0')
        return; /* keep the first: later ones are usually consequences */
    va_start(ap, fmt);
    (void)vsnprintf(d->failure, sizeof(d->failure), fmt, ap);
    va_end(ap);
}

void demo_headline(demo *d, const char *fmt, ...)
{
    va_list ap;

    d->step++;
    d->failure[0] = '\0';
    (void)fprintf(d->out, "\n%s%2d/%d  ", demo_bold(d), d->step, DEMO_STEPS);
    va_start(ap, fmt);
    (void)vfprintf(d->out, fmt, ap);
    va_end(ap);
    (void)fprintf(d->out, "%s\n", demo_off(d));
}

/* Ends a step: prints the verdict. Returns 0 when the step went as told. */
int demo_verdict(demo *d, const char *what)
{
    if (d->failure[0] == '\0' && *d->cancel != 0)
        demo_fail(d, "interrupted by signal %d", (int)*d->cancel);
    if (d->failure[0] != '\0') {
        (void)fprintf(d->out, "  %sFAILED%s  %s\n", demo_red(d), demo_off(d), d->failure);
        return -1;
    }
    (void)fprintf(d->out, "  %sok%s  %s\n", demo_green(d), demo_off(d), what);
    return 0;
}

/* ------------------------------------------------------------------------
 * Reading results
 * ---------------------------------------------------------------------- */

/* Member lookup with a dotted path ("decline.reason"). Borrowed or NULL. */
json_object *demo_jget(json_object *obj, const char *path)
{
    char key[64];
    const char *dot;

    while (obj != NULL && path != NULL) {
        size_t n;
        json_object *v = NULL;

        dot = strchr(path, '.');
        n = dot != NULL ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(key) || !json_object_is_type(obj, json_type_object))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_object_get_ex(obj, key, &v))
            return NULL;
        obj = v;
        path = dot != NULL ? dot + 1 : NULL;
    }
    return obj;
}

const char *demo_jstr(json_object *obj, const char *path)
{
    json_object *v = demo_jget(obj, path);

    return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

int demo_jint(json_object *obj, const char *path, long long *out)
{
    json_object *v = demo_jget(obj, path);

    if (!json_object_is_type(v, json_type_int))
        return -1;
    *out = (long long)json_object_get_int64(v);
    return 0;
}

/* 1 true, 0 false, -1 missing or not a boolean */
int demo_jbool(json_object *obj, const char *path)
{
    json_object *v = demo_jget(obj, path);

    if (!json_object_is_type(v, json_type_boolean))
        return -1;
    return json_object_get_boolean(v) ? 1 : 0;
}

static int is_amount_key(const char *key)
{
    return strstr(key, "amount") != NULL || strcmp(key, "tax") == 0 ||
           strstr(key, "_tax") != NULL;
}

/* One "key value" pair per listed member that the result has. */
void demo_print_fields(demo *d, json_object *res, const char *const *keys)
{
    size_t col = 4;
    int any = 0;

    for (; *keys != NULL; keys++) {
        json_object *v = demo_jget(res, *keys);
        char buf[160];
        const char *text;

        if (v == NULL)
            continue;
        if (json_object_is_type(v, json_type_int) && is_amount_key(*keys))
            text = host_fmt_yen((long long)json_object_get_int64(v), buf, sizeof(buf));
        else if (json_object_is_type(v, json_type_string))
            text = json_object_get_string(v);
        else
            text = json_object_to_json_string_ext(
                v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!any) {
            (void)fprintf(d->out, "    ");
        } else if (col + 2 + strlen(*keys) + 1 + strlen(text) > 96) {
            (void)fprintf(d->out, "\n    ");
            col = 4;
        } else {
            (void)fprintf(d->out, "  ");
            col += 2;
        }
        any = 1;
        col += strlen(*keys) + 1 + strlen(text);
        (void)fprintf(d->out, "%s%s%s %s", demo_dim(d), *keys, demo_off(d), text);
    }
    if (any)
        (void)fprintf(d->out, "\n");
}

/* ------------------------------------------------------------------------
 * The sandbox's request log
 * ---------------------------------------------------------------------- */

/* The log is read defensively: it is another team's output, and the demo
 * must not crash on a field it does not expect. */
static json_object *log_entries(json_object *doc)
{
    static const char *const names[] = {"requests", "items", "entries", NULL};
    size_t i;

    if (json_object_is_type(doc, json_type_array))
        return doc;
    for (i = 0; names[i] != NULL; i++) {
        json_object *v = demo_jget(doc, names[i]);

        if (json_object_is_type(v, json_type_array))
            return v;
    }
    return NULL;
}

static int log_entry_seq(json_object *e, long long *out)
{
    return demo_jint(e, "seq", out) == 0 || demo_jint(e, "id", out) == 0 ? 0 : -1;
}

/* The operation name, "EntryTranPaid", from "operation" or the path. */
static void log_entry_op(json_object *e, char *buf, size_t size)
{
    const char *op = demo_jstr(e, "operation");
    const char *slash;
    const char *dot;
    size_t n;

    if (op == NULL)
        op = demo_jstr(e, "op");
    if (op == NULL)
        op = demo_jstr(e, "path");
    if (op == NULL) {
        (void)snprintf(buf, size, "?");
        return;
    }
    slash = strrchr(op, '/');
    if (slash != NULL)
        op = slash + 1;
    dot = strstr(op, ".idPass");
    n = dot != NULL ? (size_t)(dot - op) : strlen(op);
    (void)snprintf(buf, size, "%.*s", (int)n, op);
}

/* A Key=Value member of a request or response, whether the log gives the
 * form as an object or as raw "K=V&K=V" text. Copies into buf. */
static const char *log_form_value(json_object *form, const char *key, char *buf, size_t size)
{
    const char *raw;
    size_t klen = strlen(key);

    if (json_object_is_type(form, json_type_object)) {
        json_object *v = demo_jget(form, key);

        if (v == NULL)
            return NULL;
        (void)snprintf(buf, size, "%s", json_object_get_string(v));
        return buf;
    }
    if (!json_object_is_type(form, json_type_string))
        return NULL;
    raw = json_object_get_string(form);
    while (raw != NULL && *raw != '\0') {
        const char *amp = strchr(raw, '&');
        size_t n = amp != NULL ? (size_t)(amp - raw) : strlen(raw);

        if (n > klen && strncmp(raw, key, klen) == 0 && raw[klen] == '=') {
            (void)snprintf(buf, size, "%.*s", (int)(n - klen - 1), raw + klen + 1);
            return buf;
        }
        raw = amp != NULL ? amp + 1 : NULL;
    }
    return NULL;
}

static json_object *log_entry_form(json_object *e, const char *const *names)
{
    for (; *names != NULL; names++) {
        json_object *v = demo_jget(e, *names);

        if (v != NULL)
            return v;
    }
    return NULL;
}

/* Whether the sandbox accepted the request: HTTP 200 and no ErrInfo. */
static int log_entry_accepted(json_object *e)
{
    const char *err_info = demo_jstr(e, "err_info");
    long long http = 200;

    if (demo_jint(e, "http_status", &http) == 0 && http != 200)
        return 0;
    return err_info == NULL || err_info[0] == '\0';
}

/* Appends " key=value" (value cut at 40 bytes on a UTF-8 boundary). */
static size_t line_add(char *line, size_t size, size_t o, const char *key, const char *value)
{
    int n;

    if (o >= size || value == NULL || value[0] == '\0')
        return o;
    n = snprintf(line + o, size - o, " %s=%.*s", key, (int)utf8_prefix(value, 40), value);
    return n < 0 ? size : o + (size_t)n;
}

/* Prints the fields that tell the story: the log's own summary columns
 * (order_id, buyer_id, err_info, http_status) and, when the log carries the
 * form itself, a few of its fields. Passwords are in none of these lists, so
 * they cannot be printed whatever the log holds. */
static void print_log_entry(demo *d, json_object *e, long long seq, const char *op, int first)
{
    static const char *const req_names[] = {"request", "params", "form", "fields", NULL};
    static const char *const resp_names[] = {"response", "answer", "reply", NULL};
    static const char *const req_keys[] = {"CompanyName", "Email", "Amount", "Tax", "FixedAt",
                                           NULL};
    static const char *const resp_keys[] = {"PaidID", "BuyerStatus", "RestAmount", "Status",
                                            "PaidCode", NULL};
    json_object *req = log_entry_form(e, req_names);
    json_object *resp = log_entry_form(e, resp_names);
    const char *err_info = demo_jstr(e, "err_info");
    long long http = 200;
    char line[512];
    char v[128];
    size_t o;
    size_t i;
    int n;

    n = snprintf(line, sizeof(line), "#%lld %s", seq, op);
    o = n < 0 ? 0 : (size_t)n;
    o = line_add(line, sizeof(line), o, "order", demo_jstr(e, "order_id"));
    o = line_add(line, sizeof(line), o, "buyer", demo_jstr(e, "buyer_id"));
    for (i = 0; req_keys[i] != NULL; i++)
        o = line_add(line, sizeof(line), o, req_keys[i],
                     log_form_value(req, req_keys[i], v, sizeof(v)));
    if (o < sizeof(line)) {
        n = snprintf(line + o, sizeof(line) - o, "  ->");
        o = n < 0 ? sizeof(line) : o + (size_t)n;
    }
    if (err_info == NULL || err_info[0] == '\0')
        err_info = log_form_value(resp, "ErrInfo", v, sizeof(v));
    if (err_info != NULL && err_info[0] != '\0') {
        o = line_add(line, sizeof(line), o, "ErrInfo", err_info);
    } else {
        size_t before = o;

        for (i = 0; resp_keys[i] != NULL; i++)
            o = line_add(line, sizeof(line), o, resp_keys[i],
                         log_form_value(resp, resp_keys[i], v, sizeof(v)));
        if (o == before && o < sizeof(line)) {
            n = snprintf(line + o, sizeof(line) - o, " ok");
            o = n < 0 ? sizeof(line) : o + (size_t)n;
        }
    }
    if (demo_jint(e, "http_status", &http) == 0 && http != 200 && o < sizeof(line))
        (void)snprintf(line + o, sizeof(line) - o, " (HTTP %lld)", http);
    (void)fprintf(d->out, "    %s%s%s%s\n", demo_dim(d),
                  first ? "sandbox got:   " : "               ", demo_off(d), line);
}

/* Shows what the sandbox received since the last call and records the
 * operation names in d->sandbox_ops. */
static void demo_show_sandbox(demo *d)
{
    json_object *doc = NULL;
    json_object *entries;
    char msg[512];
    size_t i;
    size_t n;
    int shown = 0;

    d->sandbox_ops[0] = '\0';
    d->sandbox_ok[0] = '\0';
    if (d->admin == NULL)
        return;
    if (host_admin_requests(d->admin, d->cursor, &doc, msg, sizeof(msg)) != 0) {
        if (!d->admin_warned)
            (void)fprintf(d->out, "    sandbox got:   (request log unavailable: %s)\n", msg);
        d->admin_warned = 1;
        return;
    }
    entries = log_entries(doc);
    n = entries != NULL ? json_object_array_length(entries) : 0;
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(entries, i);
        long long seq = 0;
        char op[64];
        size_t used = strlen(d->sandbox_ops);

        /* Skip what was already shown, whether "since" is inclusive or not. */
        if (log_entry_seq(e, &seq) == 0 && seq <= d->cursor)
            continue;
        log_entry_op(e, op, sizeof(op));
        print_log_entry(d, e, seq, op, shown == 0);
        shown++;
        if (seq > d->cursor)
            d->cursor = seq;
        (void)snprintf(d->sandbox_ops + used, sizeof(d->sandbox_ops) - used, "%s%s",
                       used > 0 ? "," : "", op);
        if (log_entry_accepted(e)) {
            used = strlen(d->sandbox_ok);
            (void)snprintf(d->sandbox_ok + used, sizeof(d->sandbox_ok) - used, "%s%s",
                           used > 0 ? "," : "", op);
        }
    }
    if (shown == 0)
        (void)fprintf(d->out, "    %ssandbox got:   %snothing\n", demo_dim(d), demo_off(d));
    json_object_put(doc);
}

/* Moves the cursor past everything already in the log (at start). */
static void demo_sync_cursor(demo *d)
{
    json_object *doc = NULL;
    json_object *entries;
    long long last;
    char msg[512];
    size_t i;
    size_t n;

    if (d->admin == NULL)
        return;
    if (host_admin_requests(d->admin, 0, &doc, msg, sizeof(msg)) != 0) {
        (void)fprintf(d->out, "  (the sandbox request log is unavailable: %s)\n", msg);
        d->admin_warned = 1;
        host_admin_close(d->admin);
        d->admin = NULL;
        return;
    }
    entries = log_entries(doc);
    if (entries == NULL) {
        (void)fprintf(d->out, "  (the sandbox request log has an unknown shape; not shown)\n");
        host_admin_close(d->admin);
        d->admin = NULL;
    }
    n = entries != NULL ? json_object_array_length(entries) : 0;
    for (i = 0; i < n; i++) {
        long long seq;

        if (log_entry_seq(json_object_array_get_idx(entries, i), &seq) == 0 && seq > d->cursor)
            d->cursor = seq;
    }
    /* The sandbox also says the highest number it ever issued (the log may
     * be paged or wiped by a reset). */
    if (demo_jint(doc, "last_seq", &last) == 0 && last > d->cursor)
        d->cursor = last;
    json_object_put(doc);
}

/* ------------------------------------------------------------------------
 * Calling the plugin
 * ---------------------------------------------------------------------- */

static void print_gateway_calls(demo *d, json_object *res)
{
    json_object *calls = demo_jget(res, "gateway_calls");
    char line[512];
    size_t o = 0;
    size_t i;
    size_t n;

    line[0] = '\0';
    n = json_object_is_type(calls, json_type_array) ? json_object_array_length(calls) : 0;
    for (i = 0; i < n && o < sizeof(line); i++) {
        const char *c = json_object_get_string(json_object_array_get_idx(calls, i));

        o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s", i > 0 ? ", " : "",
                              c != NULL ? c : "?");
    }
    (void)fprintf(d->out, "    %splugin called: %s%s\n", demo_dim(d), demo_off(d),
                  n > 0 ? line : "nothing (answered locally)");
}

/* The plugin's account of its calls and the sandbox's should agree; a
 * difference is worth a look but not a failure (a request refused before
 * it reached the sandbox's log, a retry after a refused connection). */
static void demo_compare_calls(demo *d, json_object *res)
{
    json_object *calls = demo_jget(res, "gateway_calls");
    char joined[512];
    size_t o = 0;
    size_t i;
    size_t n;

    if (d->admin == NULL || d->admin_warned)
        return;
    joined[0] = '\0';
    n = json_object_is_type(calls, json_type_array) ? json_object_array_length(calls) : 0;
    for (i = 0; i < n && o < sizeof(joined); i++) {
        const char *c = json_object_get_string(json_object_array_get_idx(calls, i));
        int k = snprintf(joined + o, sizeof(joined) - o, "%s%s", i > 0 ? "," : "",
                         c != NULL ? c : "?");

        o = k < 0 ? sizeof(joined) : o + (size_t)k;
    }
    if (strcmp(joined, d->sandbox_ops) != 0)
        (void)fprintf(d->out, "    note: the plugin reports [%s] but the sandbox logged [%s]\n",
                      joined, d->sandbox_ops);
}

/* Runs one operation. On success returns the parsed result (caller puts it)
 * after printing its status, the listed key fields, the plugin's gateway
 * calls and the sandbox's view. On an error prints it, records a failure
 * and returns NULL. */
static json_object *demo_call(demo *d, const char *opname, pmp_operation_fn fn, json_object *req,
                              const char *const *keys, demo_describe_fn describe)
{
    const char *req_text;
    pmp_result *result = NULL;
    pmp_error err;
    json_object *res;
    const char *json;
    size_t len = 0;
    int32_t rc;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    req_text =
        json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    if (req_text == NULL) {
        demo_fail(d, "out of memory");
        return NULL;
    }
    (void)fprintf(d->out, "  %s%s%s %.*s%s\n", demo_bold(d), opname, demo_off(d),
                  (int)utf8_prefix(req_text, 150), req_text, strlen(req_text) > 150 ? " ..." : "");

    rc = fn(d->ctx, req_text, strlen(req_text), &result, &err);
    if (rc != PMP_OK) {
        (void)fprintf(d->out, "  -> error %d (%s): %s%s%s\n", (int)rc, d->api->strerror(rc),
                      err.message, err.gateway_code[0] != '\0' ? " gateway_code=" : "",
                      err.gateway_code);
        demo_show_sandbox(d);
        demo_fail(d, "%s returned %d (%s): %s", opname, (int)rc, d->api->strerror(rc),
                  err.message);
        return NULL;
    }

    json = d->api->result_json(result, &len);
    res = json_tokener_parse(json != NULL ? json : "");
    if (res == NULL || !json_object_is_type(res, json_type_object)) {
        demo_fail(d, "%s gave a result that is not a JSON object: %.200s", opname,
                  json != NULL ? json : "(null)");
        json_object_put(res);
        d->api->result_free(result);
        return NULL;
    }
    if (strcmp(d->api->result_status(result),
               demo_jstr(res, "status") != NULL ? demo_jstr(res, "status") : "") != 0)
        demo_fail(d, "result_status() says \"%s\" but the JSON says \"%s\"",
                  d->api->result_status(result),
                  demo_jstr(res, "status") != NULL ? demo_jstr(res, "status") : "(none)");
    (void)fprintf(d->out, "  -> %s%s%s\n", demo_bold(d), d->api->result_status(result),
                  demo_off(d));
    d->api->result_free(result);

    if (keys != NULL && keys[0] != NULL)
        demo_print_fields(d, res, keys);
    if (describe != NULL)
        describe(d, res);
    if (!d->compact)
        print_gateway_calls(d, res);
    demo_show_sandbox(d);
    demo_compare_calls(d, res);
    return res;
}

/* ------------------------------------------------------------------------
 * Expectations
 * ---------------------------------------------------------------------- */

void demo_expect_str(demo *d, json_object *res, const char *key, const char *want)
{
    const char *got = demo_jstr(res, key);

    if (got == NULL || strcmp(got, want) != 0)
        demo_fail(d, "expected %s \"%s\", got %s%s%s; result: %.400s", key, want,
                  got != NULL ? "\"" : "", got != NULL ? got : "nothing", got != NULL ? "\"" : "",
                  json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
}

void demo_expect_int(demo *d, json_object *res, const char *key, long long want)
{
    long long got = 0;

    if (demo_jint(res, key, &got) != 0)
        demo_fail(d, "expected %s %lld, the result has none; result: %.400s", key, want,
                  json_object_to_json_string_ext(res, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    else if (got != want)
        demo_fail(d, "expected %s %lld, got %lld", key, want, got);
}

void demo_expect_bool(demo *d, json_object *res, const char *key, int want)
{
    int got = demo_jbool(res, key);

    if (got != want)
        demo_fail(d, "expected %s %s, got %s", key, want ? "true" : "false",
                  got < 0 ? "nothing" : got ? "true" : "false");
}

static int calls_contain(json_object *res, const char *name)
{
    json_object *calls = demo_jget(res, "gateway_calls");
    size_t i;
    size_t n = json_object_is_type(calls, json_type_array) ? json_object_array_length(calls) : 0;

    for (i = 0; i < n; i++) {
        const char *c = json_object_get_string(json_object_array_get_idx(calls, i));

        if (c != NULL && strcmp(c, name) == 0)
            return 1;
    }
    return 0;
}

/* Whether name is an element of the comma-separated list. */
static int list_has(const char *list, const char *name)
{
    const char *p = list;
    size_t n = strlen(name);

    while ((p = strstr(p, name)) != NULL) {
        if ((p == list || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
            return 1;
        p += n;
    }
    return 0;
}

/* The sandbox received name during the last call (accepted or not). */
static int sandbox_saw(const demo *d, const char *name)
{
    return list_has(d->sandbox_ops, name);
}

/* The sandbox received and accepted name during the last call. */
static int sandbox_accepted(const demo *d, const char *name)
{
    return list_has(d->sandbox_ok, name);
}

/* ------------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------- */

json_object *demo_req_new(void)
{
    return json_object_new_object();
}

void demo_req_str(json_object *req, const char *key, const char *value)
{
    (void)json_object_object_add(req, key, json_object_new_string(value));
}

void demo_req_int(json_object *req, const char *key, long long value)
{
    (void)json_object_object_add(req, key, json_object_new_int64(value));
}

void demo_order_id(const demo *d, int n, char *buf, size_t size)
{
    (void)snprintf(buf, size, "DEMO-%s-%d", d->order_stamp, n);
}

json_object *demo_enroll_request(const char *buyer_id, const char *company, const char *kana,
                                 const char *email)
{
    json_object *req = demo_req_new();

    if (req == NULL)
        return NULL;
    demo_req_str(req, "buyer_id", buyer_id);
    demo_req_str(req, "company_name", company);
    demo_req_str(req, "company_name_kana", kana);
    demo_req_str(req, "representative_sei", "出茂");
    demo_req_str(req, "representative_mei", "太郎");
    demo_req_str(req, "zip_code", "1500002");
    demo_req_str(req, "prefecture", "東京都");
    demo_req_str(req, "address1", "渋谷区渋谷");
    demo_req_str(req, "address2", "1-2-3");
    demo_req_str(req, "tel", "03-1234-5678");
    demo_req_str(req, "email", email);
    return req;
}

json_object *demo_authorize_request(const char *oid, const char *buyer, long long amount,
                                    long long tax, const char *contents)
{
    json_object *req = demo_req_new();

    if (req == NULL)
        return NULL;
    demo_req_str(req, "order_id", oid);
    demo_req_str(req, "buyer_id", buyer);
    demo_req_int(req, "amount", amount);
    demo_req_int(req, "tax", tax);
    if (contents != NULL)
        demo_req_str(req, "contents", contents);
    return req;
}

json_object *demo_order_request(const char *oid)
{
    json_object *req = demo_req_new();

    if (req != NULL)
        demo_req_str(req, "order_id", oid);
    return req;
}

json_object *demo_payer_request(const char *buyer, long long amount)
{
    json_object *req = demo_req_new();

    if (req == NULL)
        return NULL;
    demo_req_str(req, "buyer_id", buyer);
    if (amount > 0)
        demo_req_int(req, "amount", amount);
    return req;
}

/* Calls and releases the request. NULL req (allocation failure) fails. */
json_object *demo_run_ex(demo *d, const char *opname, pmp_operation_fn fn, json_object *req,
                         const char *const *keys, demo_describe_fn describe)
{
    json_object *res;

    if (req == NULL) {
        demo_fail(d, "out of memory");
        return NULL;
    }
    res = demo_call(d, opname, fn, req, keys, describe);
    json_object_put(req);
    return res;
}

json_object *demo_run(demo *d, const char *opname, pmp_operation_fn fn, json_object *req,
                      const char *const *keys)
{
    return demo_run_ex(d, opname, fn, req, keys, NULL);
}

/* ------------------------------------------------------------------------
 * The story
 * ---------------------------------------------------------------------- */

static const char *const k_buyer[] = {"buyer_id", "paid_id", "gateway_buyer_status",
                                      "rest_amount", "eligible", NULL};
static const char *const k_order[] = {"order_id",       "amount",        "tax",
                                      "gateway_status", "access_id",     "replayed",
                                      "released_amount", "fixed_at",     "decline.reason",
                                      "decline.code",   "decline.message", NULL};
static const char *const k_status[] = {"order_id", "gateway_status", "amount",
                                       "tax",      "buyer_id",       "paid_code",
                                       "contents", "process_date",   "job_cd",
                                       NULL};

static void describe_features(demo *d, json_object *res)
{
    static const char *const features[] = {"partial_capture", "multiple_captures", "refund",
                                           "partial_refund",  "void",              "adjust",
                                           "async_review",    "notifications",
                                           "payer_enrollment", NULL};
    size_t i;

    (void)fprintf(d->out, "    %ssupports:%s ", demo_dim(d), demo_off(d));
    for (i = 0; features[i] != NULL; i++)
        if (demo_jbool(res, features[i]) == 1)
            (void)fprintf(d->out, " %s", features[i]);
    (void)fprintf(d->out, "\n    %sdoes not:%s ", demo_dim(d), demo_off(d));
    for (i = 0; features[i] != NULL; i++)
        if (demo_jbool(res, features[i]) == 0)
            (void)fprintf(d->out, " %s", features[i]);
    (void)fprintf(d->out, "\n");
}

static int step_capabilities(demo *d)
{
    static const char *const keys[] = {"method", "plugin_version", "abi_major", "abi_minor",
                                       "flags", "currency", "amount_min", "amount_max", NULL};
    json_object *res;

    demo_headline(d, "What can this payment method do?  (capabilities, sends nothing)");
    res = demo_run_ex(d, "capabilities", d->api->capabilities, demo_req_new(), keys,
                      describe_features);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "ok");
        demo_expect_str(d, res, "method", "paid");
        demo_expect_bool(d, res, "payer_enrollment", 1);
        demo_expect_bool(d, res, "void", 1);
        if (demo_jget(res, "gateway_calls") == NULL || calls_contain(res, "SavePaidBuyer"))
            demo_fail(d, "capabilities must report an empty gateway_calls");
        if (d->sandbox_ops[0] != '\0')
            demo_fail(d, "capabilities sent requests to the gateway: %s", d->sandbox_ops);
    }
    json_object_put(res);
    return demo_verdict(d, "Paid orders can be voided, captured in part and refunded; buyers "
                           "are enrolled first");
}

static int step_enroll_a(demo *d)
{
    json_object *res;

    demo_headline(d, "Enroll buyer 株式会社デモ商事 (demo@example.jp) for credit screening");
    res = demo_run(d, "enroll", d->api->enroll,
                   demo_enroll_request(BUYER_A, "株式会社デモ商事", "カブシキガイシャデモショウジ",
                                       "demo@example.jp"),
                   k_buyer);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "approved");
        demo_expect_str(d, res, "buyer_id", BUYER_A);
        if (!sandbox_saw(d, "SavePaidBuyer") && d->admin != NULL)
            demo_fail(d, "the sandbox did not receive SavePaidBuyer");
    }
    json_object_put(res);
    return demo_verdict(d, "the buyer company passed screening");
}

static int step_payer_status_a(demo *d)
{
    char y[32];
    json_object *res;

    demo_headline(d, "At checkout: may %s pay %s JPY by invoice?", BUYER_A,
                  host_fmt_yen(120000, y, sizeof(y)));
    res = demo_run(d, "payer_status", d->api->payer_status, demo_payer_request(BUYER_A, 120000),
                   k_buyer);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "approved");
        demo_expect_bool(d, res, "eligible", 1);
        demo_expect_int(d, res, "rest_amount", BUYER_A_LINE);
    }
    json_object_put(res);
    return demo_verdict(d, "eligible; the whole 1,000,000 JPY line is still free");
}

static int step_authorize(demo *d)
{
    char oid[40];
    json_object *res;

    demo_order_id(d, 1, oid, sizeof(oid));
    demo_headline(d, "Place order %s: 100,000 JPY + 10,000 tax and shipping", oid);
    res = demo_run(d, "authorize", d->api->authorize,
                   demo_authorize_request(oid, BUYER_A, 100000, 10000, "コピー用紙 A4 10箱"),
                   k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "authorized");
        demo_expect_str(d, res, "order_id", oid);
        demo_expect_int(d, res, "amount", 100000);
        demo_expect_int(d, res, "tax", 10000);
        demo_expect_bool(d, res, "replayed", 0);
        if (!calls_contain(res, "EntryTranPaid") || !calls_contain(res, "ExecTranPaid"))
            demo_fail(d, "expected gateway_calls EntryTranPaid and ExecTranPaid");
        if (d->admin != NULL && !sandbox_saw(d, "ExecTranPaid"))
            demo_fail(d, "the sandbox did not receive ExecTranPaid");
    }
    json_object_put(res);
    return demo_verdict(d, "order accepted; 110,000 JPY of the line is reserved");
}

static int step_capture(demo *d)
{
    char oid[40];
    json_object *res;

    demo_order_id(d, 1, oid, sizeof(oid));
    demo_headline(d, "The goods shipped: report shipping for %s (fixes the sale)", oid);
    res = demo_run(d, "capture", d->api->capture, demo_order_request(oid), k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "captured");
        demo_expect_int(d, res, "amount", 100000);
        if (d->admin != NULL && !sandbox_saw(d, "PaidSales"))
            demo_fail(d, "the sandbox did not receive PaidSales");
    }
    json_object_put(res);
    return demo_verdict(d, "sale fixed; Paid will invoice the buyer at month end");
}

static int step_status(demo *d)
{
    char oid[40];
    json_object *res;
    const char *code;

    demo_order_id(d, 1, oid, sizeof(oid));
    demo_headline(d, "Ask the gateway for the authoritative state of %s", oid);
    res = demo_run(d, "status", d->api->status, demo_order_request(oid), k_status);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "captured");
        demo_expect_str(d, res, "buyer_id", BUYER_A);
        demo_expect_int(d, res, "amount", 100000);
        demo_expect_int(d, res, "tax", 10000);
        code = demo_jstr(res, "paid_code");
        if (code == NULL || code[0] == '\0')
            demo_fail(d, "expected a non-empty paid_code");
    }
    json_object_put(res);
    return demo_verdict(d, "captured, with Paid's own transaction code");
}

static int step_replay(demo *d)
{
    char oid[40];
    json_object *res;

    demo_order_id(d, 1, oid, sizeof(oid));
    demo_headline(d, "The shop retries: authorize %s again (same order ID)", oid);
    res = demo_run(d, "authorize", d->api->authorize,
                   demo_authorize_request(oid, BUYER_A, 100000, 10000, "コピー用紙 A4 10箱"),
                   k_order);
    if (res != NULL) {
        demo_expect_bool(d, res, "replayed", 1);
        demo_expect_str(d, res, "status", "captured");
        demo_expect_str(d, res, "gateway_status", "SALES");
        /* The plugin may try EntryTranPaid and let the gateway refuse the
         * duplicate OrderID (E01040010); what must not happen is a second
         * transaction or a second order against the line. */
        if (calls_contain(res, "ExecTranPaid"))
            demo_fail(d, "a replay must not place the order again (gateway_calls has "
                         "ExecTranPaid)");
        if (sandbox_accepted(d, "EntryTranPaid") || sandbox_saw(d, "ExecTranPaid"))
            demo_fail(d, "the sandbox accepted a second EntryTranPaid or got an ExecTranPaid: %s",
                      d->sandbox_ops);
    }
    json_object_put(res);
    return demo_verdict(d, "replayed: the order that exists was returned, no second order");
}

static int step_rejected_buyer(demo *d)
{
    char oid[40];
    json_object *res;

    demo_headline(d, "A second buyer (reject@example.jp) fails screening and cannot order");
    res = demo_run(d, "enroll", d->api->enroll,
                   demo_enroll_request(BUYER_B, "株式会社リジェクト商会",
                                       "カブシキガイシャリジェクトショウカイ", "reject@example.jp"),
                   k_buyer);
    if (res != NULL)
        demo_expect_str(d, res, "status", "rejected");
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");

    demo_order_id(d, 2, oid, sizeof(oid));
    res = demo_run(d, "authorize", d->api->authorize,
                   demo_authorize_request(oid, BUYER_B, 50000, 5000, "トナー 2本"), k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "declined");
        demo_expect_str(d, res, "decline.reason", "buyer_not_approved");
    }
    json_object_put(res);
    return demo_verdict(d, "rejected at screening; the order was declined, not an error");
}

static int step_over_line(demo *d)
{
    const long long spent = 110000;
    const long long amount = 950000;
    char oid[40];
    char y[32];
    json_object *res;

    demo_order_id(d, 3, oid, sizeof(oid));
    demo_headline(d, "Order %s for %s JPY: more than %s's remaining line", oid,
                  host_fmt_yen(amount, y, sizeof(y)), BUYER_A);
    res = demo_run(d, "payer_status", d->api->payer_status, demo_payer_request(BUYER_A, amount),
                   k_buyer);
    if (res != NULL) {
        demo_expect_int(d, res, "rest_amount", BUYER_A_LINE - spent);
        demo_expect_bool(d, res, "eligible", 0);
    }
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");

    res = demo_run(d, "authorize", d->api->authorize,
                   demo_authorize_request(oid, BUYER_A, amount, 0, "複合機 1台"), k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "declined");
        demo_expect_str(d, res, "decline.reason", "credit_line_exceeded");
    }
    json_object_put(res);
    return demo_verdict(d, "declined for lack of line (the checkout would offer another method)");
}

/* Reads rest_amount with payer_status; -1 on failure (recorded). */
static long long demo_rest(demo *d)
{
    static const char *const keys[] = {"rest_amount", NULL};
    json_object *res;
    long long rest = -1;

    res = demo_run(d, "payer_status", d->api->payer_status, demo_payer_request(BUYER_A, 0), keys);
    if (res != NULL && demo_jint(res, "rest_amount", &rest) != 0) {
        demo_fail(d, "payer_status has no rest_amount");
        rest = -1;
    }
    json_object_put(res);
    return rest;
}

static int step_void(demo *d)
{
    const long long amount = 200000;
    const long long tax = 20000;
    char oid[40];
    char y1[32];
    char y2[32];
    char y3[32];
    long long before;
    long long held;
    long long after;
    json_object *res;

    demo_order_id(d, 4, oid, sizeof(oid));
    demo_headline(d, "Order %s (200,000 + 20,000), then cancel it before shipping", oid);
    before = demo_rest(d);
    if (before < 0)
        return demo_verdict(d, "");

    res =
        demo_run(d, "authorize", d->api->authorize,
                 demo_authorize_request(oid, BUYER_A, amount, tax, "オフィスチェア 4脚"), k_order);
    if (res != NULL)
        demo_expect_str(d, res, "status", "authorized");
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    held = demo_rest(d);
    if (held >= 0 && held != before - amount - tax)
        demo_fail(d, "expected rest_amount %lld while the order holds the line, got %lld",
                  before - amount - tax, held);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");

    res = demo_run(d, "void", d->api->void_order, demo_order_request(oid), k_order);
    if (res != NULL) {
        demo_expect_str(d, res, "status", "voided");
        if (d->admin != NULL && !sandbox_saw(d, "PaidCancel"))
            demo_fail(d, "the sandbox did not receive PaidCancel");
    }
    json_object_put(res);
    if (d->failure[0] != '\0')
        return demo_verdict(d, "");
    after = demo_rest(d);
    if (after >= 0 && after != before)
        demo_fail(d, "expected the line back at %lld after the void, got %lld", before, after);
    if (d->failure[0] == '\0')
        (void)fprintf(d->out, "    rest of the line: %s -> %s (order held) -> %s (voided)\n",
                      host_fmt_yen(before, y1, sizeof(y1)), host_fmt_yen(held, y2, sizeof(y2)),
                      host_fmt_yen(after, y3, sizeof(y3)));
    return demo_verdict(d, "voided; the reserved 220,000 JPY went back to the buyer's line");
}

/* ------------------------------------------------------------------------
 * Setup and teardown
 * ---------------------------------------------------------------------- */

/* A YAML double-quoted scalar, so that any path or URL stays one value. */
static void demo_yaml_quoted(FILE *f, const char *s)
{
    (void)fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            (void)fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            (void)fprintf(f, "\\x%02x", c);
        else
            (void)fputc(c, f);
    }
    (void)fputc('"', f);
}

int demo_write_config(const char *workdir, const char *name, const host_sandbox *sb,
                      int32_t log_level, char *path, size_t path_size, char *msg, size_t msg_size)
{
    FILE *f;
    int fd;
    int n;

    n = snprintf(path, path_size, "%s/%s", workdir, name);
    if (n < 0 || (size_t)n >= path_size) {
        (void)snprintf(msg, msg_size, "config path too long");
        return -1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        (void)snprintf(msg, msg_size, "%.600s: %s", path, strerror(errno));
        return -1;
    }
    f = fdopen(fd, "w");
    if (f == NULL) {
        (void)snprintf(msg, msg_size, "%.600s: %s", path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    (void)fprintf(f, "# Written by pmp-host demo for a throwaway sandbox.\ngateway:\n  base_url: ");
    demo_yaml_quoted(f, sb->url);
    (void)fprintf(f, "\n  ca_file: ");
    demo_yaml_quoted(f, sb->ca_file);
    (void)fprintf(f, "\n  connect_timeout_ms: 5000\n  timeout_ms: 15000\n"
                     "shop:\n  id: %s\n  password: %s\n"
                     "logging:\n  level: %s\n",
                  DEMO_SHOP_ID, DEMO_SHOP_PASS,
                  log_level > 0 ? pmp_loader_log_level_name(log_level) : "error");
    if (ferror(f) != 0 || fclose(f) != 0) {
        (void)snprintf(msg, msg_size, "%.600s: write failed", path);
        return -1;
    }
    return 0;
}

typedef struct demo_signals {
    struct sigaction old_int;
    struct sigaction old_term;
    struct sigaction old_hup;
} demo_signals;

static void signals_install(demo_signals *s)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = demo_on_signal;
    (void)sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: waits end early and the story stops at the next step,
     * so the cleanup below still runs. */
    (void)sigaction(SIGINT, &sa, &s->old_int);
    (void)sigaction(SIGTERM, &sa, &s->old_term);
    (void)sigaction(SIGHUP, &sa, &s->old_hup);
}

static void signals_restore(const demo_signals *s)
{
    (void)sigaction(SIGINT, &s->old_int, NULL);
    (void)sigaction(SIGTERM, &s->old_term, NULL);
    (void)sigaction(SIGHUP, &s->old_hup, NULL);
}

static int run_story(demo *d)
{
    int (*const steps[DEMO_SALE_STEPS])(demo *) = {
        step_capabilities, step_enroll_a, step_payer_status_a, step_authorize, step_capture,
        step_status,       step_replay,   step_rejected_buyer, step_over_line, step_void,
    };
    int i;

    for (i = 0; i < DEMO_SALE_STEPS; i++) {
        if (steps[i](d) != 0)
            return -1;
    }
    return demo_month_run(d);
}

void demo_sandbox_stop(host_sandbox *sb)
{
    int status = host_sandbox_stop(sb);

    /* SIGTERM is how we stop it; anything else (a crash, a sanitizer
     * report at exit) is the sandbox's defect and worth a line. */
    if (status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0) &&
        !(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)) {
        char how[128];

        host_wait_status_describe(status, how, sizeof(how));
        (void)fprintf(stderr, "pmp-host demo: note: the sandbox %s when stopped\n", how);
    }
}

int host_demo_run(const host_options *opts)
{
    char plugin_path[PATH_MAX];
    char sandbox_path[PATH_MAX];
    char config_path[PATH_MAX];
    char msg[1024];
    demo_signals sigs;
    host_sandbox sb;
    pmp_loader *loader = NULL;
    pmp_loader_ctx *lctx = NULL;
    pmp_loader_ctx_options copts;
    pmp_error err;
    char *workdir = NULL;
    demo d;
    struct tm tm;
    time_t now;
    int ret = HOST_EXIT_FAIL;
    int32_t rc;

    memset(&sb, 0, sizeof(sb));
    memset(&d, 0, sizeof(d));
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    d.out = stdout;
    d.cancel = &demo_signal;
    d.log_level = opts->log_level;
    d.sale_sandbox = &sb;
    {
        const char *term = getenv("TERM");

        d.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL && term != NULL &&
                  strcmp(term, "dumb") != 0;
    }

    if (opts->plugin_path != NULL) {
        if ((size_t)snprintf(plugin_path, sizeof(plugin_path), "%s", opts->plugin_path) >=
            sizeof(plugin_path))
            plugin_path[0] = '\0';
    } else if (host_default_path("PMP_PLUGIN", DEMO_BUILD_PLUGIN, PMP_HOST_INSTALLED_PLUGIN,
                                 plugin_path, sizeof(plugin_path)) != 0) {
        plugin_path[0] = '\0';
    }
    if (opts->sandbox_path != NULL) {
        if ((size_t)snprintf(sandbox_path, sizeof(sandbox_path), "%s", opts->sandbox_path) >=
            sizeof(sandbox_path))
            sandbox_path[0] = '\0';
    } else if (host_default_path("PMP_SANDBOX", DEMO_BUILD_SANDBOX, PMP_HOST_INSTALLED_SANDBOX,
                                 sandbox_path, sizeof(sandbox_path)) != 0) {
        sandbox_path[0] = '\0';
    }
    if (plugin_path[0] == '\0' || sandbox_path[0] == '\0') {
        (void)fprintf(stderr, "pmp-host demo: plugin or sandbox path is empty or too long\n");
        return HOST_EXIT_USAGE;
    }

    now = time(NULL);
    if (localtime_r(&now, &tm) == NULL ||
        strftime(d.order_stamp, sizeof(d.order_stamp), "%Y%m%d%H%M%S", &tm) == 0) {
        (void)fprintf(stderr, "pmp-host demo: cannot read the clock\n");
        return HOST_EXIT_FAIL;
    }

    demo_signal = 0;
    signals_install(&sigs);
    /* The host owns libcurl's global state (the plugin only takes its own
     * reference); initialise it before anything can use it. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)fprintf(stderr, "pmp-host demo: curl_global_init failed\n");
        goto out_restore_signals;
    }

    (void)fprintf(d.out, "%sPaid (GMO-PG BtoB invoice) through the pmp plugin ABI: demo%s\n",
                  demo_bold(&d), demo_off(&d));

    /* Load the plugin first: if it is missing there is no point starting
     * a server. */
    rc = pmp_loader_open(plugin_path, &loader, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host demo: %s: %s\n", pmp_loader_strerror(rc), err.message);
        goto out_curl_cleanup;
    }
    d.api = pmp_loader_api(loader);
    d.loader = loader;
    d.sandbox_path = sandbox_path;
    (void)fprintf(d.out, "  plugin    %s (%s %s, ABI %u.%u)\n", pmp_loader_path(loader),
                  d.api->method_name, d.api->plugin_version, (unsigned)d.api->abi_major,
                  (unsigned)d.api->abi_minor);

    workdir = host_workdir_create(msg, sizeof(msg));
    if (workdir == NULL) {
        (void)fprintf(stderr, "pmp-host demo: %s\n", msg);
        goto out_close_loader;
    }
    d.workdir = workdir;
    if (host_sandbox_start(&sb, sandbox_path, workdir, DEMO_READY_TIMEOUT_MS, &demo_signal, msg,
                           sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host demo: sandbox %s: %s\n", sandbox_path, msg);
        host_sandbox_log_tail(&sb, stderr, "  sandbox| ", 20);
        goto out_stop_sandbox;
    }
    (void)fprintf(d.out, "  sandbox   %s (pid %ld, %s)\n", sb.url, (long)sb.pid, sandbox_path);
    (void)fprintf(d.out, "  work dir  %s (%s)\n", workdir,
                  opts->keep ? "kept" : "removed at the end; --keep keeps it");

    if (demo_write_config(workdir, "config.yaml", &sb, opts->log_level, config_path,
                          sizeof(config_path), msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host demo: %s\n", msg);
        goto out_stop_sandbox;
    }
    memset(&copts, 0, sizeof(copts));
    copts.struct_size = sizeof(copts);
    copts.log_level = opts->log_level;
    rc = pmp_loader_ctx_open(loader, config_path, &copts, &lctx, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host demo: init failed: %d (%s): %s\n", (int)rc,
                      rc > -1000 ? d.api->strerror(rc) : pmp_loader_strerror(rc), err.message);
        goto out_stop_sandbox;
    }
    d.ctx = pmp_loader_ctx_get(lctx);
    (void)fprintf(d.out, "  config    %s (shop %s)\n", config_path, DEMO_SHOP_ID);

    if (host_admin_open(sb.url, sb.ca_file, &d.admin, msg, sizeof(msg)) != 0)
        (void)fprintf(d.out, "  (the sandbox request log is unavailable: %s)\n", msg);
    demo_sync_cursor(&d);

    if (run_story(&d) == 0) {
        (void)fprintf(d.out, "\n%s%sThe story went as expected: all %d steps passed.%s\n",
                      demo_bold(&d), demo_green(&d), DEMO_STEPS, demo_off(&d));
        ret = HOST_EXIT_OK;
    } else {
        (void)fprintf(d.out, "\n%s%sThe demo FAILED at step %d/%d: %s%s\n", demo_bold(&d),
                      demo_red(&d), d.step, DEMO_STEPS, d.failure, demo_off(&d));
        (void)fprintf(d.out, "  last lines of the sandbox's output:\n");
        host_sandbox_log_tail(demo_month_sandbox(&d) != NULL ? demo_month_sandbox(&d) : &sb, d.out,
                              "  sandbox| ", 10);
    }

    host_admin_close(d.admin);
    d.admin = NULL;
    /* The month's receiver uses its context: stop it first. */
    demo_month_cleanup(&d);
    pmp_loader_ctx_close(lctx);
    lctx = NULL;
out_stop_sandbox:
    demo_sandbox_stop(&sb);
    if (workdir != NULL && !opts->keep && host_workdir_remove(workdir) != 0)
        (void)fprintf(stderr, "pmp-host demo: could not remove %s completely\n", workdir);
    free(workdir);
out_close_loader:
    pmp_loader_close(loader);
out_curl_cleanup:
    curl_global_cleanup();
out_restore_signals:
    signals_restore(&sigs);
    if (demo_signal != 0 && ret == HOST_EXIT_OK)
        ret = HOST_EXIT_FAIL;
    (void)fflush(d.out);
    return ret;
}
