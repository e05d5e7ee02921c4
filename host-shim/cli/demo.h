/*
 * demo.h - what the two parts of `pmp-host demo` share: demo.c tells the
 * sale (steps 1-10), demo_month.c Paid's month after it (steps 11-20).
 * Internal to pmp-host.
 */
#ifndef PMP_HOST_DEMO_H
#define PMP_HOST_DEMO_H

#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "host.h"
#include "pmp_loader.h"
#include "sandbox_admin.h"
#include "sandbox_proc.h"

#define DEMO_SALE_STEPS 10
#define DEMO_MONTH_STEPS 10
#define DEMO_STEPS (DEMO_SALE_STEPS + DEMO_MONTH_STEPS)
#define DEMO_READY_TIMEOUT_MS 20000

/* The sandbox's default shop (sandbox/README.md). Written to the demo's
 * private config files only; never printed. */
#define DEMO_SHOP_ID "tshop00000001"
#define DEMO_SHOP_PASS "sbxpass01"

/* The month part's resources (demo_month.c). */
typedef struct demo_month demo_month;

typedef struct demo {
    const pmp_api *api;
    pmp_ctx *ctx;      /* the context the steps use */
    host_admin *admin; /* request log shown after each call; NULL: not shown */
    long long cursor;  /* highest sandbox request number already shown */
    int admin_warned;
    FILE *out;
    int color;
    int step;
    char order_stamp[16];  /* yyyyMMddHHmmss, makes order IDs unique */
    char sandbox_ops[512]; /* operations the sandbox saw in the last call */
    char sandbox_ok[512];  /* those of them it accepted (no ErrInfo) */
    char failure[1024];    /* first failed expectation of the step */
    int compact;           /* operations without their gateway calls */
    /* What the month part needs to set up its own sandbox and context. */
    const volatile sig_atomic_t *cancel; /* non-zero: a signal asked to stop */
    const pmp_loader *loader;
    const char *sandbox_path;
    const char *workdir;
    int32_t log_level;
    host_sandbox *sale_sandbox; /* part one's; stopped when the month starts */
    demo_month *month;          /* NULL until the month starts */
} demo;

/* Colours (empty strings when not on a terminal). */
const char *demo_bold(const demo *d);
const char *demo_green(const demo *d);
const char *demo_red(const demo *d);
const char *demo_dim(const demo *d);
const char *demo_off(const demo *d);

/* Records the first failed expectation of the step. */
void demo_fail(demo *d, const char *fmt, ...) HOST_PRINTF(2, 3);
/* Starts a step: "n/N  headline". */
void demo_headline(demo *d, const char *fmt, ...) HOST_PRINTF(2, 3);
/* Ends a step: prints ok or FAILED. Returns 0 when it went as told. */
int demo_verdict(demo *d, const char *what);

/* Result lookups with a dotted path ("decline.reason"). */
json_object *demo_jget(json_object *obj, const char *path);
const char *demo_jstr(json_object *obj, const char *path);
int demo_jint(json_object *obj, const char *path, long long *out);
int demo_jbool(json_object *obj, const char *path); /* 1, 0, -1 missing */

/* One "key value" pair per listed member the result has. */
void demo_print_fields(demo *d, json_object *res, const char *const *keys);

/* Expectations: each records a failure when not met. */
void demo_expect_str(demo *d, json_object *res, const char *key, const char *want);
void demo_expect_int(demo *d, json_object *res, const char *key, long long want);
void demo_expect_bool(demo *d, json_object *res, const char *key, int want);

/* Requests. */
json_object *demo_req_new(void);
void demo_req_str(json_object *req, const char *key, const char *value);
void demo_req_int(json_object *req, const char *key, long long value);
void demo_order_id(const demo *d, int n, char *buf, size_t size);
json_object *demo_enroll_request(const char *buyer_id, const char *company, const char *kana,
                                 const char *email);
json_object *demo_authorize_request(const char *oid, const char *buyer, long long amount,
                                    long long tax, const char *contents);
json_object *demo_order_request(const char *oid);
json_object *demo_payer_request(const char *buyer, long long amount);

typedef void (*demo_describe_fn)(demo *d, json_object *res);

/* Runs one operation on d->ctx, prints it, and releases req (NULL req
 * fails the step). Returns the parsed result (caller puts it), or NULL
 * after recording a failure. */
json_object *demo_run_ex(demo *d, const char *opname, pmp_operation_fn fn, json_object *req,
                         const char *const *keys, demo_describe_fn describe);
json_object *demo_run(demo *d, const char *opname, pmp_operation_fn fn, json_object *req,
                      const char *const *keys);

/* Writes <workdir>/<name> (mode 0600: it holds the shop password), a plugin
 * configuration for sandbox sb. Returns 0, or -1 with msg set. */
int demo_write_config(const char *workdir, const char *name, const host_sandbox *sb,
                      int32_t log_level, char *path, size_t path_size, char *msg, size_t msg_size);

/* Stops a sandbox the demo started; a line on stderr when it did not end
 * the way SIGTERM ends it. */
void demo_sandbox_stop(host_sandbox *sb);

/* The month (demo_month.c): steps 11-20. Returns 0 when every step went as
 * told. */
int demo_month_run(demo *d);
/* The sandbox whose output explains a failure now (the month's once it
 * started, else NULL). */
const host_sandbox *demo_month_sandbox(const demo *d);
/* Stops the month's receiver, context and sandbox. Safe to call always. */
void demo_month_cleanup(demo *d);

#endif /* PMP_HOST_DEMO_H */
