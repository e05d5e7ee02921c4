#include "sbx_http.h"

#include "sbx_admin.h"
#include "sbx_buf.h"
#include "sbx_gateway.h"
#include "sbx_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* The largest request of the protocol (SavePaidBuyer with every text at
 * its limit, percent-encoded) is well under 16 KiB. */
#define MAX_BODY (64 * 1024)
#define CONNECTION_LIMIT 4096
/* Idle keep-alive connections are closed after this; libcurl reconnects. */
#define CONNECTION_TIMEOUT_S 120

/* A connection whose answer is held back (fault delay_after_commit and
 * friends) until due on CLOCK_MONOTONIC. */
typedef struct delayed {
    struct timespec due;
    struct MHD_Connection *conn;
} delayed;

/* Holding an answer back must not block the pool thread that owns the
 * connection (it serves other connections too, e.g. the client's retry or
 * inquiry): the connection is suspended and this thread resumes it. */
typedef struct delayer {
    pthread_mutex_t lock;
    pthread_cond_t wake;      /* on CLOCK_MONOTONIC */
    pthread_t thread;
    delayed *items;           /* owned array, unordered */
    size_t count, cap;
    bool stopping;
} delayer;

struct sbx_http {
    struct MHD_Daemon *daemon;
    sbx_app *app;
    delayer delay;
    bool delay_started;       /* the thread and its lock exist */
};

typedef struct req_ctx {
    sbx_buf body;
    bool too_large;
    struct timespec started;
    bool has_pending;         /* an answer waits for its delay to pass */
    sbx_response pending;     /* owned when has_pending */
} req_ctx;

const char *sbx_request_query(const sbx_request *r, const char *name)
{
    if (r->conn == NULL)
        return NULL;
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int sbx_response_set(sbx_response *resp, unsigned status, const char *content_type,
                     const char *text)
{
    free(resp->body);
    resp->len = strlen(text);
    resp->body = malloc(resp->len + 1);
    resp->status = status;
    resp->content_type = content_type;
    if (resp->body == NULL) {
        resp->len = 0;
        return -1;
    }
    memcpy(resp->body, text, resp->len + 1);
    return 0;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    if (clock_gettime(CLOCK_MONOTONIC, &t1) != 0)
        return 0.0;
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static enum MHD_Result queue(struct MHD_Connection *conn, sbx_response *resp)
{
    if (resp->body == NULL) {
        /* Out of memory while building the answer. */
        static const char msg[] = "internal error\n";
        struct MHD_Response *r = MHD_create_response_from_buffer(
            sizeof msg - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
        if (r == NULL)
            return MHD_NO;
        enum MHD_Result ret = MHD_queue_response(conn, 500, r);
        MHD_destroy_response(r);
        return ret;
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(resp->len, resp->body, free);
    if (r == NULL)
        return MHD_NO;  /* resp->body is freed by the caller */
    resp->body = NULL;  /* owned by the MHD response now */
    enum MHD_Result ret = MHD_NO;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) == MHD_YES &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
        (resp->location[0] == '\0' ||
         MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, resp->location) == MHD_YES))
        ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- delayed answers --------------------------------------------------------- */

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void *delayer_main(void *arg)
{
    delayer *d = arg;
    (void)pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        struct timespec now;
        (void)clock_gettime(CLOCK_MONOTONIC, &now);
        /* Due ones: hand the connection back to its pool thread, which
         * calls on_access again and sends the held answer. */
        size_t i = 0;
        while (i < d->count) {
            if (ts_before(&now, &d->items[i].due)) {
                i++;
                continue;
            }
            MHD_resume_connection(d->items[i].conn);
            d->items[i] = d->items[--d->count];
        }
        size_t next = d->count;
        for (i = 0; i < d->count; i++)
            if (next == d->count || ts_before(&d->items[i].due, &d->items[next].due))
                next = i;
        if (next == d->count) {
            (void)pthread_cond_wait(&d->wake, &d->lock);
        } else {
            /* A copy: the array may be reallocated while we wait. */
            struct timespec due = d->items[next].due;
            (void)pthread_cond_timedwait(&d->wake, &d->lock, &due);
        }
    }
    (void)pthread_mutex_unlock(&d->lock);
    return NULL;
}

static int delayer_start(delayer *d)
{
    memset(d, 0, sizeof *d);
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = -1;
    if (pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0)
        goto destroy_attr;
    if (pthread_mutex_init(&d->lock, NULL) != 0)
        goto destroy_attr;
    if (pthread_cond_init(&d->wake, &attr) != 0)
        goto destroy_mutex;
    if (pthread_create(&d->thread, NULL, delayer_main, d) != 0)
        goto destroy_cond;
    rc = 0;
    goto destroy_attr;
destroy_cond:
    pthread_cond_destroy(&d->wake);
destroy_mutex:
    pthread_mutex_destroy(&d->lock);
destroy_attr:
    pthread_condattr_destroy(&attr);
    return rc;
}

/* Resumes every held connection at once (their answers go out without
 * further delay) and ends the thread: MHD must not be stopped with
 * suspended connections. */
static void delayer_stop(delayer *d)
{
    (void)pthread_mutex_lock(&d->lock);
    d->stopping = true;
    for (size_t i = 0; i < d->count; i++)
        MHD_resume_connection(d->items[i].conn);
    d->count = 0;
    (void)pthread_cond_signal(&d->wake);
    (void)pthread_mutex_unlock(&d->lock);
    (void)pthread_join(d->thread, NULL);
    free(d->items);
    d->items = NULL;
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
}

/* Suspends conn for ms milliseconds. Suspension and registration happen
 * under one lock so delayer_stop can never miss a suspended connection.
 * Returns false when the answer must go out now (stopping, no memory). */
static bool delay_connection(sbx_http *h, struct MHD_Connection *conn, unsigned ms)
{
    delayer *d = &h->delay;
    bool held = false;
    (void)pthread_mutex_lock(&d->lock);
    if (d->stopping)
        goto unlock;
    if (d->count == d->cap) {
        size_t ncap = d->cap != 0 ? d->cap * 2 : 16;
        delayed *p = realloc(d->items, ncap * sizeof *p);
        if (p == NULL)
            goto unlock;
        d->items = p;
        d->cap = ncap;
    }
    delayed *it = &d->items[d->count];
    (void)clock_gettime(CLOCK_MONOTONIC, &it->due);
    it->due.tv_sec += (time_t)(ms / 1000u);
    it->due.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (it->due.tv_nsec >= 1000000000L) {
        it->due.tv_sec++;
        it->due.tv_nsec -= 1000000000L;
    }
    it->conn = conn;
    MHD_suspend_connection(conn);
    d->count++;
    held = true;
    (void)pthread_cond_signal(&d->wake);
unlock:
    (void)pthread_mutex_unlock(&d->lock);
    return held;
}

/* A response whose headers promise the whole body (Content-Length of the
 * full answer) while only the first half is sent before the connection is
 * closed: the client sees a short read. The callback reader hands out the
 * first half, then reports an error, which makes MHD close the connection
 * mid-body. */
typedef struct truncated_body {
    char *data;   /* owned */
    size_t half;
} truncated_body;

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    truncated_body *t = cls;
    if (pos >= t->half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->half - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, t->data + pos, n);
    return (ssize_t)n;
}

static void truncated_free(void *cls)
{
    truncated_body *t = cls;
    free(t->data);
    free(t);
}

static enum MHD_Result queue_truncated(struct MHD_Connection *conn, sbx_response *resp)
{
    truncated_body *t = malloc(sizeof *t);
    if (t == NULL)
        return MHD_NO;
    t->data = resp->body;
    t->half = resp->len / 2;
    struct MHD_Response *r = MHD_create_response_from_callback(
        resp->len, 4096, truncated_reader, t, truncated_free);
    if (r == NULL) {
        free(t);
        return MHD_NO;  /* resp->body is still the caller's */
    }
    resp->body = NULL;  /* owned by t, freed with the MHD response */
    enum MHD_Result ret = MHD_NO;
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type) == MHD_YES)
        ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Sends resp the way it asks to be delivered. MHD_NO from an access
 * handler makes MHD close the connection without sending anything, which
 * is exactly the "dropped" fault. */
static enum MHD_Result deliver(struct MHD_Connection *conn, sbx_response *resp)
{
    if (resp->delivery == SBX_DELIVER_DROP)
        return MHD_NO;
    if (resp->delivery == SBX_DELIVER_TRUNCATE && resp->body != NULL)
        return queue_truncated(conn, resp);
    return queue(conn, resp);
}

static void log_answer(const char *method, const char *url, const sbx_response *resp,
                       const req_ctx *rc)
{
    unsigned status = resp->delivery == SBX_DELIVER_DROP ? 0
                      : resp->body != NULL                ? resp->status
                                                          : 500;
    sbx_log_request("%s %s %u %s (%.1f ms)", method, url, status, resp->note,
                    ms_since(&rc->started));
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_size, void **req_cls)
{
    sbx_http *h = cls;
    req_ctx *rc = *req_cls;
    if (rc == NULL) {
        /* First call: headers only. */
        rc = calloc(1, sizeof *rc);
        if (rc == NULL)
            return MHD_NO;
        sbx_buf_init(&rc->body);
        if (clock_gettime(CLOCK_MONOTONIC, &rc->started) != 0)
            memset(&rc->started, 0, sizeof rc->started);
        *req_cls = rc;
        return MHD_YES;
    }
    if (rc->has_pending) {
        /* Resumed after a delay: send what was held back. */
        rc->has_pending = false;
        enum MHD_Result ret = deliver(conn, &rc->pending);
        log_answer(method, url, &rc->pending, rc);
        free(rc->pending.body);
        rc->pending.body = NULL;
        return ret;
    }
    if (*upload_size > 0) {
        if (!rc->too_large) {
            if (rc->body.len + *upload_size > MAX_BODY) {
                /* Keep reading (and discarding) so the client gets an
                 * answer instead of a reset connection. */
                rc->too_large = true;
                sbx_buf_free(&rc->body);
            } else if (!sbx_buf_append(&rc->body, upload_data, *upload_size)) {
                return MHD_NO;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }

    sbx_request req = {
        .method = method,
        .path = url,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
        .body = rc->body.data != NULL ? rc->body.data : "",
        .body_len = rc->body.len,
        .body_too_large = rc->too_large,
        .conn = conn,
    };
    sbx_response resp;
    memset(&resp, 0, sizeof resp);
    if (sbx_admin_owns(url)) {
        sbx_admin_handle(h->app, &req, &resp);
        (void)snprintf(resp.note, sizeof resp.note, "admin");
    } else {
        sbx_gateway_handle(h->app, &req, &resp);
    }
    if (resp.delay_ms > 0 && h->delay_started) {
        rc->pending = resp;  /* moves the body */
        rc->has_pending = true;
        if (delay_connection(h, conn, resp.delay_ms))
            return MHD_YES;
        rc->has_pending = false;
    }
    enum MHD_Result ret = deliver(conn, &resp);
    log_answer(method, url, &resp, rc);
    free(resp.body);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_ctx *rc = *req_cls;
    if (rc == NULL)
        return;
    sbx_buf_free(&rc->body);
    if (rc->has_pending)
        free(rc->pending.body);
    free(rc);
    *req_cls = NULL;
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        return;
    size_t n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    /* Mostly clients dropping connections: noise in --quiet mode. */
    sbx_log_request("mhd: %s", msg);
}

int sbx_http_start(sbx_app *app, const sbx_config *cfg, const char *cert_pem,
                   const char *key_pem, uint16_t *port_out, sbx_http **out)
{
    *out = NULL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
                         MHD_ALLOW_SUSPEND_RESUME;
    if (strchr(cfg->host, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(cfg->port);
        if (inet_pton(AF_INET6, cfg->host, &a6->sin6_addr) != 1)
            return -1;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(cfg->port);
        if (inet_pton(AF_INET, cfg->host, &a4->sin_addr) != 1)
            return -1;
    }
    if (cert_pem != NULL) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            sbx_log_error("this libmicrohttpd has no TLS support; use --http");
            return -1;
        }
        flags |= MHD_USE_TLS;
    }

    sbx_http *h = calloc(1, sizeof *h);
    if (h == NULL)
        return -1;
    h->app = app;
    if (delayer_start(&h->delay) != 0) {
        sbx_log_error("cannot start the delay thread");
        free(h);
        return -1;
    }
    h->delay_started = true;

    struct MHD_OptionItem opts[] = {
        /* First, so that MHD routes even option-parsing messages here. */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL},
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, (intptr_t)cfg->threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
        {MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL},
        /* TLS options last so plain HTTP can cut the list here. */
        {cert_pem != NULL ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_access, h,
                                 MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (h->daemon == NULL) {
        sbx_log_error("cannot listen on %s port %u", cfg->host, (unsigned)cfg->port);
        sbx_http_stop(h);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    if (info == NULL || info->port == 0) {
        sbx_log_error("cannot determine the bound port");
        sbx_http_stop(h);
        return -1;
    }
    *port_out = info->port;
    *out = h;
    return 0;
}

void sbx_http_stop(sbx_http *h)
{
    if (h == NULL)
        return;
    if (h->delay_started)
        delayer_stop(&h->delay);
    if (h->daemon != NULL)
        MHD_stop_daemon(h->daemon);
    free(h);
}
