/* it.h - integration tests: the real plugin, loaded through the host shim's
 * loader, driven through the real ABI against the real sandbox over HTTPS
 * on 127.0.0.1. One sandbox and one context per test program. */
#ifndef IT_H
#define IT_H

#include <json-c/json.h>
#include <stdint.h>
#include <sys/types.h>

#include "../unit/cunit_main.h"
#include "pmp.h"
#include "tsbx.h"

/** A running sandbox (tests/common/tsbx.h). */
typedef tsbx it_sandbox;

typedef struct it_env {
    const pmp_api *api;
    pmp_ctx *ctx;        /* debug logging, captured */
    char base_url[256];  /* https://127.0.0.1:PORT/payment/ */
    char admin_url[256]; /* https://127.0.0.1:PORT/_sandbox/ */
    char ca_file[512];
    char workdir[256];
    char results_dir[512];
    const char *shop_pass;
} it_env;

extern it_env it;

/** Calls operation op ("authorize", ...) on ctx with a JSON request. Records
 *  the request, the result and any error text for the schema and secrets
 *  checks. */
int32_t it_call_ctx(pmp_ctx *ctx, const char *op, const char *request, pmp_result **out,
                    pmp_error *err);
int32_t it_call(const char *op, const char *request, pmp_result **out, pmp_error *err);
/** Calls notify on ctx with a raw body (and optional headers JSON),
 *  recording the result like it_call_ctx. */
int32_t it_notify_ctx(pmp_ctx *ctx, const char *body, size_t len, const char *headers,
                      pmp_result **out, pmp_error *err);
/** it_call that must succeed; returns the parsed result JSON (json_object_put
 *  it) and stores the status word in status (if not NULL). */
json_object *it_ok(const char *op, const char *request, char *status, size_t status_size);
/** it_call that must fail with code; returns the error message. */
void it_fail(const char *op, const char *request, int32_t code, pmp_error *err);

/** A JSON request built with printf formatting. Returned string is static
 *  per call site use: valid until the next it_fmt call. */
const char *it_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** A fresh ID unique to this run, e.g. "IT1234-7". */
const char *it_id(const char *prefix, char *buf, size_t size);

/** GETs (post 0), POSTs (1) or DELETEs (2) an admin path of the sandbox;
 *  the parsed answer, or NULL. */
json_object *it_admin(const char *path, int post);
/** The sandbox's latest request sequence number. */
int64_t it_seq(void);
/** Sandbox requests after since: of operation op (NULL: any) for order
 *  (NULL: any). */
int it_count(int64_t since, const char *op, const char *order_id);

/** POSTs a raw idPass body (already form-encoded ASCII) to the sandbox, as
 *  another process of the merchant would have; returns the answer (free()). */
char *it_raw_post(const char *operation, const char *body);

/** Enrolls an approved buyer whose e-mail local part is email_local. */
void it_enroll(const char *buyer_id, const char *email_local, char *status, size_t status_size);

/** A new context on another config text (for fault tests); NULL on failure
 *  with err filled. */
pmp_ctx *it_ctx_open(const char *yaml, pmp_error *err);
/** Everything the plugin logged, returned or reported so far. */
const char *it_outputs(void);
/** Remembers a secret the outputs must never contain. */
void it_secret(const char *s);

int64_t it_jint(json_object *o, const char *key);
const char *it_jstr(json_object *o, const char *key);
int it_jbool(json_object *o, const char *key);

/** Starts another sandbox with extra options (NULL-terminated), for a
 *  suite that needs its own (e.g. with --notify-url). */
int it_sandbox_start(it_sandbox *sb, const char *name, const char *const *extra);
void it_sandbox_stop(it_sandbox *sb);
/** Points the helpers (it_ok, it_admin, ...) at a sandbox and context;
 *  it_use_main() goes back to the shared ones. */
void it_use(const it_sandbox *sb, pmp_ctx *ctx);
void it_use_main(void);
/** The YAML of a debug-logging context for a sandbox, plus extra text. */
const char *it_ctx_yaml(const it_sandbox *sb, const char *extra);

/** One notification delivery the test receiver handled. */
typedef struct it_delivery {
    char order_id[40];
    char status[24];
    char event_key[65];
    int32_t rc;    /* what notify() returned */
    int matches;   /* matches_gateway */
    char answered; /* '0' or '1' */
} it_delivery;

/** The test's notification endpoint: binds a loopback port (returned, or -1),
 *  then serves with notify() on ctx once it_receiver_serve is called. */
int it_receiver_start(void);
void it_receiver_serve(pmp_ctx *ctx);
void it_receiver_stop(void);
/** Answer "1" (not stored) to the next `times` deliveries for an order. */
void it_receiver_refuse(const char *order_id, int times);
/** Deliveries handled for an order (NULL: any) with a status word (NULL: any);
 *  copies up to max of them into out. */
int it_receiver_seen(const char *order_id, const char *status, it_delivery *out, int max);

/** Starts the sandbox and loads the plugin (it_main). */
int it_setup(const char *plugin, const char *sandbox, const char *results_dir);
void it_teardown(void);
extern const char *it_validator;
extern const char *it_schemas;
extern const char *it_docs;

extern const test_suite it_suite_orders;
extern const test_suite it_suite_idempotency;
extern const test_suite it_suite_input;
extern const test_suite it_suite_faults;
extern const test_suite it_suite_notify;
extern const test_suite it_suite_crash;
extern const test_suite it_suite_matrix;
extern const test_suite it_suite_month;
extern const test_suite it_suite_secrets;

#endif
