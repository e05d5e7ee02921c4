/* gw_http.h - HTTPS POST for the idPass client, on libcurl.
 *
 * Easy handles are pooled process-wide, so their connection pools (kept-alive
 * connections) and parsed CA stores outlive any one context; DNS and TLS
 * sessions are shared between handles through one CURLSH. TLS is always
 * verified; redirects are never followed. libcurl's global init is
 * reference-counted by libcurl itself; the plugin changes no other global
 * state of libcurl or OpenSSL.
 *
 * Thread-safe: gw_http_post may run concurrently from many threads. */
#ifndef GW_HTTP_H
#define GW_HTTP_H

#include <stddef.h>

#include "gw_buf.h"

/* What happened to one request. */
#define GW_HTTP_ANSWERED 0 /* a complete HTTP response arrived */
#define GW_HTTP_NOT_SENT 1 /* certainly never reached the server */
#define GW_HTTP_UNKNOWN 2  /* may have reached the server; no usable answer */
#define GW_HTTP_TLS 3      /* TLS verification failed; nothing sent */
#define GW_HTTP_NOMEM 4

typedef struct gw_http_opts {
    const char *ca_file; /* NULL: system store */
    long connect_timeout_ms;
    long timeout_ms;
    int allow_plain_http; /* only for loopback sandboxes */
} gw_http_opts;

typedef struct gw_http_reply {
    long status; /* HTTP status when ANSWERED */
    gw_buf body; /* response body; initialised by gw_http_post */
    double elapsed_ms;
    int reused;       /* the connection was reused */
    char detail[256]; /* libcurl's error text on failure */
} gw_http_reply;

/** Takes a reference on the process-wide transport (curl global init, the
 *  share and the handle pool). Returns 0 or -1. */
int gw_http_acquire(void);
/** Drops the reference taken by gw_http_acquire. The pool is kept for the
 *  next context and freed when the plugin is unloaded. */
void gw_http_release(void);

/** Largest response body accepted; a longer one is a protocol failure. */
#define GW_HTTP_MAX_BODY (256 * 1024)

/** POSTs body (application/x-www-form-urlencoded) to url. reply->body is
 *  allocated with mem; release it with gw_buf_release. */
int gw_http_post(const gw_http_opts *opts, const gw_mem *mem, const char *url, const char *body,
                 size_t len, gw_http_reply *reply);


#endif
