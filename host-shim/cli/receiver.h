/*
 * receiver.h - a host's endpoint for result notifications: the pattern any
 * host can copy, and the HTTP server of `pmp-host receive` and the demo.
 * Internal to pmp-host; not installed, not API.
 *
 * The gateway POSTs a notification whenever a transaction changes state and
 * resends it until the answer is HTTP 200 with the body exactly "0"
 * (docs/protocol.md section 7). Notifications are unsigned and may be
 * forged, duplicated, resent or out of order. What a host does with one
 * (docs/operations.md, "notify"):
 *
 *   1. Pass the raw body, exactly as received (Windows-31J form data: do not
 *      let a framework decode it), and the request headers as a JSON object
 *      to the plugin's notify().
 *   2. notify() failed: answer anything but "0". PMP_E_INVALID_REQUEST
 *      (another shop, malformed) and PMP_E_NOT_FOUND (no such order:
 *      forged) get HTTP 400; anything else (the confirming inquiry failed)
 *      gets 503, and the gateway resends later. Nothing is applied.
 *   3. The result's event_key was stored before: a resend or a duplicate.
 *      Answer "0" (the gateway must stop resending) and do nothing else.
 *   4. Otherwise hand the event to the host's handler, which stores it
 *      durably. The event is the gateway's record of the order (notify()
 *      confirmed it by inquiry), so a forged or stale body cannot put a
 *      wrong state into it; apply it to the order only when its
 *      process_date is newer than the state already stored for that order.
 *   5. Only after the handler succeeded: remember the key and answer HTTP
 *      200 with exactly the result's reply_body ("0"). A failed handler
 *      gets 500: the gateway resends, and the event is stored next time.
 *
 * host_receiver_process() is these five steps without any HTTP; the rest is
 * glue to libmicrohttpd (one internal thread, loopback only, bodies capped
 * at 64 KiB). The event keys and the newest process_date per order live in
 * memory for the life of the receiver; a host with a database keeps them
 * there instead (a unique index on event_key, a column per order) and stores
 * the event and the key in one transaction.
 *
 * Threading: every function may be called from any thread;
 * host_receiver_process() may run on several threads at once (handlers are
 * called one at a time, under the receiver's lock, so the duplicate check
 * and the store are atomic). The plugin context must stay open until
 * host_receiver_stop() returned.
 */
#ifndef PMP_HOST_RECEIVER_H
#define PMP_HOST_RECEIVER_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>

#include "pmp.h"

/* Largest notification body accepted (the plugin refuses more, too). */
#define HOST_RECEIVER_BODY_MAX (64u * 1024u)

/* One event, as the handler gets it. Every pointer is borrowed for the
 * call. */
typedef struct host_notification {
    const char *event_key;       /* 64 hex digits, stable across resends */
    const char *status;          /* the result's status word: the order's state */
    const char *order_id;        /* "" when the result has none */
    const char *notified_status; /* the gateway literal the body claimed, e.g. "SALES" */
    /* ISO 8601: the event's process_date (the gateway's last change of the
     * order), else the notification's tran_date; "" when neither is known. */
    const char *process_date;
    /* 1 when process_date is newer than every event handled (or remembered)
     * for this order so far: apply it. 0: an older or the same state. */
    int apply;
    int confirmed;       /* the event is the gateway's record (inquiry) */
    int matches_gateway; /* 1 the body agreed, 0 it did not, -1 not confirmed */
    json_object *result; /* the whole notify() result */
    /* One JSON line (no newline) with received_at and all of the above,
     * plus the result's event and notified objects: what pmp-host receive
     * prints and appends to its file. */
    const char *line;
    size_t line_len;
} host_notification;

/* The host's handler: store the event durably. Returns 0 when it is
 * stored; anything else (with a reason in msg) makes the receiver answer
 * HTTP 500, and the gateway resends. Called under the receiver's lock. */
typedef int (*host_notification_fn)(void *user, const host_notification *n, char *msg,
                                    size_t msg_size);

typedef struct host_receiver_config {
    /* Address to listen on: an IPv4 loopback address (127.x.x.x), "::1" or
     * "localhost". NULL: 127.0.0.1. Anything else is refused. */
    const char *bind;
    unsigned port; /* 0: pick a free one */
    /* The plugin. May be NULL at start (requests are then answered 503
     * until host_receiver_attach()). */
    const pmp_api *api;
    pmp_ctx *ctx;
    host_notification_fn handler; /* required */
    void *user;
    /* One line per request ("pmp-host receive: ..."); NULL: silent. */
    FILE *log;
    const char *log_prefix; /* NULL: "receiver" */
} host_receiver_config;

typedef struct host_receiver_stats {
    unsigned long long requests;   /* notification bodies processed */
    unsigned long long handled;    /* events the handler stored */
    unsigned long long answered;   /* handled events whose reply was sent completely */
    unsigned long long duplicates; /* answered "0" without the handler */
    unsigned long long tests;      /* connectivity tests answered "0" */
    unsigned long long rejected;   /* refused by notify(): answered 400 */
    unsigned long long failed;     /* inquiry or handler failed: answered 5xx */
} host_receiver_stats;

/* What to answer one request. */
typedef struct host_receiver_reply {
    unsigned http_status;
    char body[64];  /* exactly this, no newline */
    int handled;    /* the handler stored an event */
    char note[320]; /* what happened, for a log line */
} host_receiver_reply;

typedef struct host_receiver host_receiver;

/* Binds, listens and serves on a thread of libmicrohttpd. Returns 0, or -1
 * with msg set (also for a non-loopback bind address). */
int host_receiver_start(const host_receiver_config *cfg, host_receiver **out, char *msg,
                        size_t msg_size);

/* Whether bind (NULL: the default) is an address host_receiver_start()
 * accepts. */
int host_receiver_bind_ok(const char *bind);

/* Sets the plugin context once it exists (see host_receiver_config). */
void host_receiver_attach(host_receiver *r, const pmp_api *api, pmp_ctx *ctx);

/* "http://127.0.0.1:PORT/". Any path is served; borrowed. */
const char *host_receiver_url(const host_receiver *r);

/* Steps 1-5 above for one body. headers_json: a JSON object of the request
 * headers, or NULL. Fills reply; never fails. */
void host_receiver_process(host_receiver *r, const char *body, size_t body_len,
                           const char *headers_json, size_t headers_len,
                           host_receiver_reply *reply);

/* Marks an event as stored before (e.g. read back from the host's own
 * store at start-up), so that its resends are answered "0" without the
 * handler. order_id and process_date may be NULL. Returns 0 or -1 (out of
 * memory). */
int host_receiver_remember(host_receiver *r, const char *event_key, const char *order_id,
                           const char *process_date);

void host_receiver_get_stats(host_receiver *r, host_receiver_stats *out);

/* Stops serving (an answer being computed is finished first) and frees the
 * receiver. NULL is a no-op. */
void host_receiver_stop(host_receiver *r);

#endif /* PMP_HOST_RECEIVER_H */
