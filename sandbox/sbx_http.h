/* libmicrohttpd glue: accepts connections, collects the request body and
 * routes to the gateway (/payment/...) or the admin API (/_sandbox/, /). */
#ifndef SBX_HTTP_H
#define SBX_HTTP_H

#include "sbx_app.h"
#include "sbx_config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct MHD_Connection;

typedef struct sbx_request {
    const char *method;
    const char *path;          /* without the query string */
    const char *content_type;  /* NULL when absent */
    const char *body;          /* NUL-terminated */
    size_t body_len;
    bool body_too_large;
    struct MHD_Connection *conn;
} sbx_request;

/* How the HTTP layer delivers a response; everything but NORMAL is an
 * injected fault (sbx_faults.h). */
enum sbx_delivery {
    SBX_DELIVER_NORMAL = 0,
    SBX_DELIVER_DROP,      /* close the connection without any answer */
    SBX_DELIVER_TRUNCATE,  /* headers promise the whole body, half is sent, then close */
};

typedef struct sbx_response {
    unsigned status;
    const char *content_type;  /* static string */
    char *body;                /* owned (malloc) */
    size_t len;
    char note[160];            /* one-line summary for the request log on stderr */
    enum sbx_delivery delivery;
    unsigned delay_ms;         /* hold the answer back this long (connection suspended) */
    char location[256];        /* Location header when not empty (redirects) */
} sbx_response;

/* A query-string argument of the request, or NULL. */
const char *sbx_request_query(const sbx_request *r, const char *name);

/* Fills resp with a copy of a static text; returns 0 or -1 (no memory). */
int sbx_response_set(sbx_response *resp, unsigned status, const char *content_type,
                     const char *text);

typedef struct sbx_http sbx_http;

/* Starts serving. cert_pem/key_pem NULL means plain HTTP. The daemon keeps
 * pointers to app; the PEM strings are copied by libmicrohttpd/GnuTLS at
 * start. *port_out receives the bound port (useful with port 0). */
int sbx_http_start(sbx_app *app, const sbx_config *cfg, const char *cert_pem,
                   const char *key_pem, uint16_t *port_out, sbx_http **out);
/* Stops accepting, finishes in-flight requests, frees. NULL-safe. */
void sbx_http_stop(sbx_http *h);

#endif
