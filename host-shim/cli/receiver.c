/*
 * receiver.c - the notification endpoint of receiver.h: the HTTP-free core
 * (host_receiver_process) and its libmicrohttpd glue.
 *
 * Why libmicrohttpd and not a hand-written loop over accept(): the receiver
 * faces whatever a gateway (or anyone on the machine) sends, and HTTP/1.1
 * framing is easy to get subtly wrong (chunked bodies, Expect: 100-continue,
 * keep-alive, slow or half-closed clients, header limits). libmicrohttpd is
 * a Debian package the project already builds against for the sandbox, so
 * it adds no dependency, and it leaves this file with only what a host
 * must get right: the order of notify(), duplicate check, store and answer.
 */
#include "receiver.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define RECEIVER_CONN_TIMEOUT_S 30u
#define RECEIVER_CONN_LIMIT 64u

/* ------------------------------------------------------------------------
 * A small string map (open addressing), for event keys and the newest
 * process_date per order.
 * ---------------------------------------------------------------------- */

typedef struct strmap_slot {
    char *key;   /* NULL: empty */
    char *value; /* may be NULL */
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
} strmap;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static strmap_slot *strmap_find(const strmap *m, const char *key)
{
    size_t i;

    if (m->cap == 0)
        return NULL;
    for (i = (size_t)str_hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key == NULL)
            return NULL;
        if (strcmp(m->slots[i].key, key) == 0)
            return &m->slots[i];
    }
}

static int strmap_grow(strmap *m)
{
    size_t ncap = m->cap == 0 ? 64 : m->cap * 2;
    strmap_slot *ns;
    size_t i;

    if (ncap > SIZE_MAX / sizeof(*ns))
        return -1;
    ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return -1;
    for (i = 0; i < m->cap; i++) {
        size_t j;

        if (m->slots[i].key == NULL)
            continue;
        for (j = (size_t)str_hash(m->slots[i].key) & (ncap - 1); ns[j].key != NULL;
             j = (j + 1) & (ncap - 1))
            ;
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

/* Inserts key or replaces its value. value may be NULL. Returns 0 or -1. */
static int strmap_put(strmap *m, const char *key, const char *value)
{
    strmap_slot *s = strmap_find(m, key);
    char *v = NULL;
    size_t i;

    if (value != NULL && (v = strdup(value)) == NULL)
        return -1;
    if (s != NULL) {
        free(s->value);
        s->value = v;
        return 0;
    }
    if ((m->count + 1) * 10 > m->cap * 7 && strmap_grow(m) != 0) {
        free(v);
        return -1;
    }
    for (i = (size_t)str_hash(key) & (m->cap - 1); m->slots[i].key != NULL;
         i = (i + 1) & (m->cap - 1))
        ;
    m->slots[i].key = strdup(key);
    if (m->slots[i].key == NULL) {
        free(v);
        return -1;
    }
    m->slots[i].value = v;
    m->count++;
    return 0;
}

static void strmap_free(strmap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        free(m->slots[i].value);
    }
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------------
 * The receiver
 * ---------------------------------------------------------------------- */

struct host_receiver {
    struct MHD_Daemon *daemon;
    char url[96];
    FILE *log;
    char log_prefix[64];
    host_notification_fn handler;
    void *user;
    /* Everything below is guarded by lock. */
    pthread_mutex_t lock;
    const pmp_api *api;
    pmp_ctx *ctx;
    strmap seen;   /* event keys stored */
    strmap orders; /* order ID -> newest process_date handled */
    host_receiver_stats stats;
};

static const char *jstr(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static json_object *jobj(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_object))
        return NULL;
    return v;
}

/* 1 true, 0 false, -1 missing or null */
static int jbool(json_object *obj, const char *key)
{
    json_object *v = NULL;

    if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v) ||
        !json_object_is_type(v, json_type_boolean))
        return -1;
    return json_object_get_boolean(v) ? 1 : 0;
}

static void set_reply(host_receiver_reply *reply, unsigned status, const char *body)
{
    reply->http_status = status;
    (void)snprintf(reply->body, sizeof(reply->body), "%s", body);
}

/* The answer the plugin asks for must be short printable ASCII: it goes
 * back to the gateway byte for byte. */
static int reply_body_ok(const char *s)
{
    size_t n;

    if (s == NULL)
        return 0;
    n = strlen(s);
    if (n == 0 || n >= sizeof(((host_receiver_reply *)0)->body))
        return 0;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static int is_hex_key(const char *s)
{
    return s != NULL && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* The JSON line of an event: what was received when, what to apply. The
 * result's own event and notified objects are shared, not copied. */
static json_object *event_line(const host_notification *n, json_object *event,
                               json_object *notified)
{
    json_object *o = json_object_new_object();
    char when[32];
    struct tm tm;
    time_t now = time(NULL);

    if (o == NULL)
        return NULL;
    if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        when[0] = '\0';
    if (json_object_object_add(o, "received_at", json_object_new_string(when)) != 0 ||
        json_object_object_add(o, "event_key", json_object_new_string(n->event_key)) != 0 ||
        json_object_object_add(o, "status", json_object_new_string(n->status)) != 0 ||
        json_object_object_add(o, "order_id", json_object_new_string(n->order_id)) != 0 ||
        json_object_object_add(o, "notified_status", json_object_new_string(n->notified_status)) !=
            0 ||
        json_object_object_add(o, "process_date", json_object_new_string(n->process_date)) != 0 ||
        json_object_object_add(o, "apply", json_object_new_boolean(n->apply)) != 0 ||
        json_object_object_add(o, "confirmed", json_object_new_boolean(n->confirmed)) != 0 ||
        json_object_object_add(
            o, "matches_gateway",
            n->matches_gateway < 0 ? NULL : json_object_new_boolean(n->matches_gateway)) != 0 ||
        json_object_object_add(o, "event", event != NULL ? json_object_get(event) : NULL) != 0 ||
        json_object_object_add(o, "notified",
                               notified != NULL ? json_object_get(notified) : NULL) != 0) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* HTTP status for a notify() failure: 400 for a body that must never be
 * applied (it will not get better by resending), 503 when it may. */
static unsigned status_for_error(int32_t rc)
{
    return rc == PMP_E_INVALID_REQUEST || rc == PMP_E_NOT_FOUND || rc == PMP_E_INVALID_ARG ? 400
                                                                                           : 503;
}

void host_receiver_process(host_receiver *r, const char *body, size_t body_len,
                           const char *headers_json, size_t headers_len, host_receiver_reply *reply)
{
    const pmp_api *api;
    pmp_ctx *ctx;
    pmp_result *res = NULL;
    pmp_error err;
    json_object *doc = NULL;
    json_object *event;
    json_object *notified;
    json_object *line = NULL;
    host_notification n;
    const char *json;
    const char *answer;
    const char *newest;
    strmap_slot *slot;
    char hmsg[256];
    size_t len = 0;
    int32_t rc;

    memset(reply, 0, sizeof(*reply));
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);

    pthread_mutex_lock(&r->lock);
    r->stats.requests++;
    api = r->api;
    ctx = r->ctx;
    pthread_mutex_unlock(&r->lock);
    if (api == NULL || ctx == NULL) {
        set_reply(reply, 503, "not ready");
        (void)snprintf(reply->note, sizeof(reply->note), "no plugin context yet");
        goto out_failed;
    }

    /* 1. The plugin parses and checks the body, and confirms the order by
     *    inquiry. No lock: notify() may run on many threads at once. */
    rc = api->notify(ctx, body, body_len, headers_json, headers_len, &res, &err);
    if (rc != PMP_OK) {
        unsigned status = status_for_error(rc);

        /* 2. Not ours, malformed, forged, or not confirmable now. */
        set_reply(reply, status, status == 400 ? "rejected" : "retry later");
        (void)snprintf(reply->note, sizeof(reply->note), "notify: %s: %.240s", api->strerror(rc),
                       err.message);
        pthread_mutex_lock(&r->lock);
        if (reply->http_status == 400)
            r->stats.rejected++;
        else
            r->stats.failed++;
        pthread_mutex_unlock(&r->lock);
        return;
    }
    json = api->result_json(res, &len);
    doc = json_tokener_parse(json != NULL ? json : "");
    answer = jstr(doc, "reply_body");
    if (doc == NULL || !reply_body_ok(answer)) {
        set_reply(reply, 500, "internal error");
        (void)snprintf(reply->note, sizeof(reply->note),
                       "the plugin's result has no usable reply_body");
        goto out_failed;
    }
    if (strcmp(api->result_status(res), "test") == 0) {
        /* GMO-PG's connectivity test: nothing to store. */
        set_reply(reply, 200, answer);
        (void)snprintf(reply->note, sizeof(reply->note), "connectivity test");
        pthread_mutex_lock(&r->lock);
        r->stats.tests++;
        pthread_mutex_unlock(&r->lock);
        goto out;
    }

    memset(&n, 0, sizeof(n));
    event = jobj(doc, "event");
    notified = jobj(doc, "notified");
    n.event_key = jstr(doc, "event_key");
    n.status = api->result_status(res);
    n.order_id = jstr(event, "order_id");
    n.notified_status = jstr(notified, "gateway_status");
    n.process_date = jstr(event, "process_date");
    if (n.process_date == NULL || n.process_date[0] == '\0')
        n.process_date = jstr(notified, "tran_date");
    n.confirmed = jbool(doc, "confirmed") == 1;
    n.matches_gateway = jbool(doc, "matches_gateway");
    n.result = doc;
    if (n.order_id == NULL)
        n.order_id = "";
    if (n.notified_status == NULL)
        n.notified_status = "";
    if (n.process_date == NULL)
        n.process_date = "";
    if (!is_hex_key(n.event_key)) {
        set_reply(reply, 500, "internal error");
        (void)snprintf(reply->note, sizeof(reply->note), "the plugin's result has no event_key");
        goto out_failed;
    }

    pthread_mutex_lock(&r->lock);
    /* 3. Stored before: a resend or a duplicate. */
    if (strmap_find(&r->seen, n.event_key) != NULL) {
        r->stats.duplicates++;
        pthread_mutex_unlock(&r->lock);
        set_reply(reply, 200, answer);
        (void)snprintf(reply->note, sizeof(reply->note), "%s %s: duplicate %.12s, not handled",
                       n.order_id, n.status, n.event_key);
        goto out;
    }
    /* 4. Apply only what is newer than what this order already has. ISO
     *    8601 stamps of one format compare as strings. */
    slot = n.order_id[0] != '\0' ? strmap_find(&r->orders, n.order_id) : NULL;
    newest = slot != NULL ? slot->value : NULL;
    n.apply = n.process_date[0] != '\0' && (newest == NULL || strcmp(n.process_date, newest) > 0);
    line = event_line(&n, event, notified);
    if (line != NULL)
        n.line = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    if (n.line == NULL) {
        r->stats.failed++;
        pthread_mutex_unlock(&r->lock);
        set_reply(reply, 500, "not stored");
        (void)snprintf(reply->note, sizeof(reply->note), "out of memory");
        goto out;
    }
    n.line_len = strlen(n.line);
    hmsg[0] = '\0';
    if (r->handler(r->user, &n, hmsg, sizeof(hmsg)) != 0) {
        r->stats.failed++;
        pthread_mutex_unlock(&r->lock);
        set_reply(reply, 500, "not stored");
        (void)snprintf(reply->note, sizeof(reply->note), "%s %s: the handler failed: %s",
                       n.order_id, n.status, hmsg[0] != '\0' ? hmsg : "(no reason given)");
        goto out;
    }
    /* 5. Stored: remember it, then (the caller) answers "0". If memory runs
     *    out here the event is stored anyway; a resend is handed over again
     *    and the host's own store drops it by key. */
    (void)strmap_put(&r->seen, n.event_key, NULL);
    if (n.apply && n.order_id[0] != '\0')
        (void)strmap_put(&r->orders, n.order_id, n.process_date);
    r->stats.handled++;
    pthread_mutex_unlock(&r->lock);
    set_reply(reply, 200, answer);
    reply->handled = 1;
    (void)snprintf(reply->note, sizeof(reply->note), "%s %s (%s%s): stored%s, key %.12s",
                   n.order_id, n.status, n.notified_status,
                   n.matches_gateway == 0 ? ", the gateway says otherwise" : "",
                   n.apply ? ", applied" : ", not newer: not applied", n.event_key);
    goto out;

out_failed:
    pthread_mutex_lock(&r->lock);
    r->stats.failed++;
    pthread_mutex_unlock(&r->lock);
out:
    json_object_put(line);
    json_object_put(doc);
    if (api != NULL)
        api->result_free(res);
}

int host_receiver_remember(host_receiver *r, const char *event_key, const char *order_id,
                           const char *process_date)
{
    int ret = 0;

    if (!is_hex_key(event_key))
        return 0; /* not a key notify() makes: nothing can match it */
    pthread_mutex_lock(&r->lock);
    if (strmap_put(&r->seen, event_key, NULL) != 0)
        ret = -1;
    if (ret == 0 && order_id != NULL && order_id[0] != '\0' && process_date != NULL &&
        process_date[0] != '\0') {
        strmap_slot *s = strmap_find(&r->orders, order_id);

        if ((s == NULL || s->value == NULL || strcmp(process_date, s->value) > 0) &&
            strmap_put(&r->orders, order_id, process_date) != 0)
            ret = -1;
    }
    pthread_mutex_unlock(&r->lock);
    return ret;
}

void host_receiver_get_stats(host_receiver *r, host_receiver_stats *out)
{
    pthread_mutex_lock(&r->lock);
    *out = r->stats;
    pthread_mutex_unlock(&r->lock);
}

void host_receiver_attach(host_receiver *r, const pmp_api *api, pmp_ctx *ctx)
{
    pthread_mutex_lock(&r->lock);
    r->api = api;
    r->ctx = ctx;
    pthread_mutex_unlock(&r->lock);
}

const char *host_receiver_url(const host_receiver *r)
{
    return r->url;
}

/* ------------------------------------------------------------------------
 * HTTP glue (libmicrohttpd)
 * ---------------------------------------------------------------------- */

/* Per-request state: the body as it arrives. */
typedef struct conn_state {
    char *body;
    size_t len;
    size_t cap;
    int too_big;
    int handled; /* the reply carries a stored event */
} conn_state;

static int printable_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    json_object *h = cls;

    (void)kind;
    /* Only what JSON can carry as given: a header with other bytes is of
     * no use to notify() and would make the document invalid UTF-8. */
    if (key != NULL && value != NULL && printable_ascii(key) && printable_ascii(value))
        (void)json_object_object_add(h, key, json_object_new_string(value));
    return MHD_YES;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *body,
                              int allow_post)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                           MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return MHD_NO;
    if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES ||
        (allow_post && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "POST") != MHD_YES)) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Copies s into buf with control characters replaced: what a client sends
 * must not be able to forge log lines. */
static const char *log_safe(const char *s, char *buf, size_t size)
{
    size_t i;

    for (i = 0; s[i] != '\0' && i + 1 < size; i++)
        buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    buf[i] = '\0';
    return buf;
}

static void log_request(host_receiver *r, const char *method, const char *url,
                        const host_receiver_reply *reply)
{
    char m[16];
    char u[81];
    char note[sizeof(reply->note)];

    if (r->log == NULL)
        return;
    (void)fprintf(r->log, "%s: %s %s -> %u \"%s\": %s\n", r->log_prefix,
                  log_safe(method, m, sizeof(m)), log_safe(url, u, sizeof(u)), reply->http_status,
                  reply->body, log_safe(reply->note, note, sizeof(note)));
    (void)fflush(r->log);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    host_receiver *r = cls;
    conn_state *st = *con_cls;
    host_receiver_reply reply;
    json_object *headers;
    const char *htext;

    (void)version;
    if (st == NULL) {
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            memset(&reply, 0, sizeof(reply));
            set_reply(&reply, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only");
            (void)snprintf(reply.note, sizeof(reply.note), "not a notification");
            log_request(r, method, url, &reply);
            return answer(conn, reply.http_status, reply.body, 1);
        }
        st = calloc(1, sizeof(*st));
        if (st == NULL)
            return MHD_NO;
        *con_cls = st;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;

        *upload_data_size = 0;
        if (st->too_big || n > HOST_RECEIVER_BODY_MAX - st->len) {
            st->too_big = 1; /* read and drop the rest, then answer 413 */
            return MHD_YES;
        }
        if (st->len + n + 1 > st->cap) {
            size_t ncap = st->cap == 0 ? 4096 : st->cap;
            char *nb;

            while (ncap < st->len + n + 1)
                ncap *= 2;
            nb = realloc(st->body, ncap);
            if (nb == NULL)
                return MHD_NO;
            st->body = nb;
            st->cap = ncap;
        }
        memcpy(st->body + st->len, upload_data, n);
        st->len += n;
        st->body[st->len] = '\0';
        return MHD_YES;
    }

    /* The whole body is here. */
    if (st->too_big) {
        memset(&reply, 0, sizeof(reply));
        set_reply(&reply, 413, "too large");
        (void)snprintf(reply.note, sizeof(reply.note), "body larger than %u bytes",
                       (unsigned)HOST_RECEIVER_BODY_MAX);
        pthread_mutex_lock(&r->lock);
        r->stats.requests++;
        r->stats.rejected++;
        pthread_mutex_unlock(&r->lock);
        log_request(r, method, url, &reply);
        return answer(conn, reply.http_status, reply.body, 0);
    }
    headers = json_object_new_object();
    if (headers == NULL)
        return MHD_NO;
    (void)MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, headers);
    htext = json_object_to_json_string_ext(headers, JSON_C_TO_STRING_PLAIN);
    host_receiver_process(r, st->body != NULL ? st->body : "", st->len, htext,
                          htext != NULL ? strlen(htext) : 0, &reply);
    json_object_put(headers);
    st->handled = reply.handled;
    log_request(r, method, url, &reply);
    return answer(conn, reply.http_status, reply.body, 0);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    host_receiver *r = cls;
    conn_state *st = *con_cls;

    (void)conn;
    if (st == NULL)
        return;
    /* The "0" of a stored event left completely: the gateway may now
     * consider it delivered (pmp-host receive --max counts these). */
    if (st->handled && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        pthread_mutex_lock(&r->lock);
        r->stats.answered++;
        pthread_mutex_unlock(&r->lock);
    }
    free(st->body);
    free(st);
    *con_cls = NULL;
}

/* Parses a loopback address. Returns 0 and fills ss and the URL's host, or -1. */
static int loopback_address(const char *bind, unsigned port, struct sockaddr_storage *ss,
                            char *host, size_t host_size)
{
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (bind == NULL || strcmp(bind, "localhost") == 0)
        bind = "127.0.0.1";
    if (inet_pton(AF_INET, bind, &v4->sin_addr) == 1) {
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127)
            return -1;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        (void)snprintf(host, host_size, "%s", bind);
        return 0;
    }
    if (inet_pton(AF_INET6, bind, &v6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
            return -1;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        (void)snprintf(host, host_size, "[::1]");
        return 0;
    }
    return -1;
}

int host_receiver_bind_ok(const char *bind)
{
    struct sockaddr_storage ss;
    char host[64];

    return loopback_address(bind, 0, &ss, host, sizeof(host)) == 0;
}

int host_receiver_start(const host_receiver_config *cfg, host_receiver **out, char *msg,
                        size_t msg_size)
{
    struct sockaddr_storage ss;
    char host[64];
    host_receiver *r;
    const union MHD_DaemonInfo *info;
    sigset_t all;
    sigset_t old;
    unsigned flags;

    *out = NULL;
    if (cfg->handler == NULL || cfg->port > 65535) {
        (void)snprintf(msg, msg_size, "receiver: no handler, or port out of range");
        return -1;
    }
    if (loopback_address(cfg->bind, cfg->port, &ss, host, sizeof(host)) != 0) {
        (void)snprintf(msg, msg_size,
                       "refusing to listen on '%.64s': only a loopback address (127.x.x.x, ::1, "
                       "localhost) is allowed",
                       cfg->bind);
        return -1;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        (void)snprintf(msg, msg_size, "pthread_mutex_init failed");
        return -1;
    }
    r->api = cfg->api;
    r->ctx = cfg->ctx;
    r->handler = cfg->handler;
    r->user = cfg->user;
    r->log = cfg->log;
    (void)snprintf(r->log_prefix, sizeof(r->log_prefix), "%s",
                   cfg->log_prefix != NULL ? cfg->log_prefix : "receiver");

    flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* The server's thread takes no asynchronous signal: they belong to the
     * host's main thread (SIGINT, SIGTERM), which decides when to stop.
     * Faults stay deliverable, so that a crash there is reported as one. */
    (void)sigfillset(&all);
    (void)sigdelset(&all, SIGSEGV);
    (void)sigdelset(&all, SIGBUS);
    (void)sigdelset(&all, SIGFPE);
    (void)sigdelset(&all, SIGILL);
    (void)sigdelset(&all, SIGTRAP);
    (void)sigdelset(&all, SIGABRT);
    (void)pthread_sigmask(SIG_SETMASK, &all, &old);
    r->daemon =
        MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, on_request, r,
                         MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, r, MHD_OPTION_CONNECTION_TIMEOUT, RECEIVER_CONN_TIMEOUT_S,
                         MHD_OPTION_CONNECTION_LIMIT, RECEIVER_CONN_LIMIT, MHD_OPTION_END);
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r->daemon == NULL) {
        (void)snprintf(msg, msg_size, "cannot listen on %s port %u (in use?)", host, cfg->port);
        goto fail;
    }
    info = MHD_get_daemon_info(r->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0) {
        (void)snprintf(msg, msg_size, "cannot read the port the receiver listens on");
        goto fail;
    }
    (void)snprintf(r->url, sizeof(r->url), "http://%s:%u/", host, (unsigned)info->port);
    *out = r;
    return 0;

fail:
    host_receiver_stop(r);
    return -1;
}

void host_receiver_stop(host_receiver *r)
{
    if (r == NULL)
        return;
    if (r->daemon != NULL)
        MHD_stop_daemon(r->daemon); /* joins the thread: no request runs after this */
    strmap_free(&r->seen);
    strmap_free(&r->orders);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
