#include "sbx_http.h"

#include "sbx_admin.h"
#include "sbx_buf.h"
#include "sbx_gateway.h"
#include "sbx_log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
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

struct sbx_http {
    struct MHD_Daemon *daemon;
    sbx_app *app;
};

typedef struct req_ctx {
    sbx_buf body;
    bool too_large;
    struct timespec started;
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
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES)
        ret = MHD_queue_response(conn, resp->status, r);
    MHD_destroy_response(r);
    return ret;
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
    unsigned status = resp.body != NULL ? resp.status : 500;
    enum MHD_Result ret = queue(conn, &resp);
    free(resp.body);
    sbx_log_request("%s %s %u %s (%.1f ms)", method, url, status, resp.note,
                    ms_since(&rc->started));
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    req_ctx *rc = *req_cls;
    if (rc == NULL)
        return;
    sbx_buf_free(&rc->body);
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
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
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
        free(h);
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
    if (h->daemon != NULL)
        MHD_stop_daemon(h->daemon);
    free(h);
}
