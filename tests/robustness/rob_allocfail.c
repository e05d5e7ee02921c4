/* Allocation failure: through the host allocator hook (pmp_host_services
 * alloc/realloc/free), fail the N-th allocation, for every N, of init and of
 * an authorize (and a status) against the sandbox, until N exceeds the
 * allocations a successful call makes.
 *
 *   rob_allocfail --plugin libpmp_paid.so --sandbox paid-sandbox
 *
 * What each run must give (docs/reliability.md lists it too):
 *  - init: PMP_E_NOMEM and no context; never PMP_E_CONFIG for a valid
 *    configuration (the host would look for a mistake that is not there);
 *  - authorize: PMP_E_NOMEM only while nothing that moves money reached
 *    the gateway (no ExecTranPaid in the sandbox's log; an EntryTranPaid
 *    only reserves the order ID), else PMP_E_OUTCOME_UNKNOWN (retryable);
 *    or PMP_OK when the failure hit a buffer the plugin could do without
 *    (an answer it then asked for again); never a crash, never another
 *    code, never *out set on failure;
 *  - status: PMP_E_NOMEM, or PMP_OK with the right status (asked again);
 *  - after every failed authorize, the same request again (no failure
 *    armed) returns the order as "authorized", and the gateway holds it
 *    once: a failed allocation never doubles or loses an order;
 *  - nothing leaks: the allocations live after each call equal those before
 *    it, and after shutdown none is left (the hook counts every block).
 * The allocator is also checked for mixing: every block freed must be one
 * the hook handed out (a header tag). */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rob.h"

/* ------------------------------------------------ the counting allocator */

#define TAG 0x706d70616c6c6f63ULL /* "pmpalloc" */

typedef struct block {
    uint64_t tag;
    size_t size;
} block;

typedef struct counting {
    pthread_mutex_t lock;
    long live;    /* blocks handed out and not freed */
    long calls;   /* alloc + realloc calls since the last arm */
    long fail_at; /* call number that fails (1-based), 0: none */
    int failed;   /* the armed failure happened */
    int foreign;  /* a block without our tag was freed or reallocated */
} counting;

static counting g_mem = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 0, 0};

static int next_fails(counting *c)
{
    int fail;

    c->calls++;
    fail = c->calls == c->fail_at;
    if (fail)
        c->failed = 1;
    return fail;
}

static void *h_alloc(void *user_data, size_t size)
{
    counting *c = user_data;
    block *b = NULL;

    pthread_mutex_lock(&c->lock);
    if (!next_fails(c) && size <= SIZE_MAX - sizeof(block)) {
        b = malloc(sizeof(block) + size);
        if (b) {
            b->tag = TAG;
            b->size = size;
            c->live++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return b ? b + 1 : NULL;
}

static void *h_realloc(void *user_data, void *ptr, size_t size)
{
    counting *c = user_data;
    block *b = ptr ? (block *)ptr - 1 : NULL, *nb = NULL;

    pthread_mutex_lock(&c->lock);
    if (b && b->tag != TAG) {
        c->foreign = 1;
    } else if (!next_fails(c) && size <= SIZE_MAX - sizeof(block)) {
        nb = realloc(b, sizeof(block) + size);
        if (nb) {
            nb->tag = TAG;
            nb->size = size;
            if (!b)
                c->live++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return nb ? nb + 1 : NULL;
}

static void h_free(void *user_data, void *ptr)
{
    counting *c = user_data;
    block *b = ptr ? (block *)ptr - 1 : NULL;

    if (!b)
        return;
    pthread_mutex_lock(&c->lock);
    if (b->tag != TAG) {
        c->foreign = 1;
    } else {
        b->tag = 0;
        c->live--;
        free(b);
    }
    pthread_mutex_unlock(&c->lock);
}

static const pmp_host_services g_host = {
    sizeof(pmp_host_services), 0, &g_mem, NULL, h_alloc, h_realloc, h_free};

static void arm(long n)
{
    pthread_mutex_lock(&g_mem.lock);
    g_mem.calls = 0;
    g_mem.fail_at = n;
    g_mem.failed = 0;
    pthread_mutex_unlock(&g_mem.lock);
}

static long live(void)
{
    long n;

    pthread_mutex_lock(&g_mem.lock);
    n = g_mem.live;
    pthread_mutex_unlock(&g_mem.lock);
    return n;
}

/* ---------------------------------------------------------------- tests */

static rob_plugin g_plugin;
static rob_sandbox g_sb;
static char g_yaml[2048];
static char g_buyer[40];

/* How many requests of operation op for order_id the sandbox logged after
 * sequence since. */
static int logged(long since, const char *op, const char *order_id)
{
    char path[64], *body;
    json_object *doc, *list = NULL;
    int n = 0;
    size_t i;

    snprintf(path, sizeof(path), "requests?since=%ld", since);
    body = rob_admin(&g_sb, path, 0, 1);
    doc = body ? json_tokener_parse(body) : NULL;
    if (!doc || !json_object_object_get_ex(doc, "requests", &list)) {
        n = -1;
    } else {
        for (i = 0; i < json_object_array_length(list); i++) {
            json_object *r = json_object_array_get_idx(list, i), *o = NULL, *id = NULL;

            if (json_object_object_get_ex(r, "op", &o) &&
                json_object_object_get_ex(r, "order_id", &id) &&
                !strcmp(json_object_get_string(o), op) &&
                !strcmp(json_object_get_string(id), order_id))
                n++;
        }
    }
    json_object_put(doc);
    free(body);
    return n;
}

static void init_failures(long *range)
{
    long n, total;
    pmp_ctx *ctx = NULL;
    pmp_error err;
    int32_t rc;

    arm(0);
    rc = rob_ctx_open(g_plugin.api, g_yaml, &g_host, &ctx, &err);
    total = g_mem.calls;
    ROB_CHECKF(rc == PMP_OK, "init without failure: %s", err.message);
    g_plugin.api->shutdown(ctx);
    ROB_CHECK(live() == 0);
    for (n = 1; n <= total + 1; n++) {
        ctx = NULL;
        arm(n);
        rc = rob_ctx_open(g_plugin.api, g_yaml, &g_host, &ctx, &err);
        if (!g_mem.failed) {
            ROB_CHECKF(rc == PMP_OK, "init, N=%ld beyond the last allocation: %d %s", n, rc,
                       err.message);
        } else {
            ROB_CHECKF(rc == PMP_E_NOMEM && ctx == NULL && err.code == rc,
                       "init, allocation %ld failing: %d %s", n, rc, err.message);
        }
        g_plugin.api->shutdown(ctx);
        ROB_CHECKF(live() == 0, "init, allocation %ld failing: %ld blocks left", n, live());
    }
    *range = total;
    printf("init: failed each of its %ld allocations in turn: clean PMP_E_NOMEM, no leak\n", total);
}

static void authorize_request(const char *order, char *req, size_t size)
{
    snprintf(req, size,
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000,\"tax\":100,"
             "\"contents\":\"コピー用紙 A4 10箱\"}",
             order, g_buyer);
}

/* One authorize with allocation n failing (0: none); returns its code and
 * stores in *calls the allocations it asked for. */
static int32_t authorize_once(pmp_ctx *ctx, const char *order, long n, int *failed, long *calls)
{
    char req[256];
    pmp_result *res = (pmp_result *)&res;
    pmp_error err;
    long before = live();
    int32_t rc;

    authorize_request(order, req, sizeof(req));
    arm(n);
    rc = rob_call(g_plugin.api, ctx, "authorize", req, &res, &err);
    pthread_mutex_lock(&g_mem.lock);
    *failed = g_mem.failed;
    *calls = g_mem.calls;
    pthread_mutex_unlock(&g_mem.lock);
    arm(0);
    if (rc == PMP_OK) {
        ROB_CHECKF(res && !strcmp(g_plugin.api->result_status(res), "authorized"),
                   "authorize %s: status %s", order, res ? g_plugin.api->result_status(res) : "-");
    } else {
        ROB_CHECKF(res == NULL && err.code == rc, "authorize %s: out or err wrong on failure",
                   order);
        ROB_CHECKF(*failed, "authorize %s failed (%d %s) without an allocation failure", order, rc,
                   err.message);
    }
    g_plugin.api->result_free(rc == PMP_OK ? res : NULL);
    ROB_CHECKF(live() == before, "authorize %s (allocation %ld failing): %ld block(s) leaked",
               order, n, live() - before);
    if (getenv("ROB_VERBOSE") && *failed)
        printf("  authorize, allocation %ld failing: %d %s\n", n, rc,
               rc ? err.message : "(absorbed: the plugin asked again)");
    return rc;
}

static void authorize_failures(long *range, int *nomem, int *unknown, int *absorbed)
{
    pmp_ctx *ctx = NULL;
    pmp_error err;
    char order[40];
    long n, total = 0, calls, since;
    int failed;

    arm(0);
    if (!ROB_CHECK(rob_ctx_open(g_plugin.api, g_yaml, &g_host, &ctx, &err) == PMP_OK))
        return;
    rob_id("AF", order, sizeof(order));
    ROB_CHECK(authorize_once(ctx, order, 0, &failed, &total) == PMP_OK);
    for (n = 1; n <= total + 1; n++) {
        char path[80], *body;
        int32_t rc, again;
        int execs;

        rob_id("AF", order, sizeof(order));
        since = rob_last_seq(&g_sb, 1);
        rc = authorize_once(ctx, order, n, &failed, &calls);
        execs = logged(since, "ExecTranPaid", order);
        if (!failed) {
            ROB_CHECKF(rc == PMP_OK, "authorize, N=%ld beyond the last allocation: %d", n, rc);
            continue;
        }
        if (rc == PMP_E_NOMEM) {
            /* pmp.h: PMP_E_NOMEM means nothing was sent; when something
             * might have moved money the answer is "outcome unknown". */
            ROB_CHECKF(execs == 0,
                       "authorize, allocation %ld failing: PMP_E_NOMEM although ExecTranPaid "
                       "reached the gateway (%d logged); the order exists, so the answer must "
                       "be PMP_E_OUTCOME_UNKNOWN",
                       n, execs);
            (*nomem)++;
        } else if (rc == PMP_E_OUTCOME_UNKNOWN) {
            (*unknown)++;
        } else {
            ROB_CHECKF(rc == PMP_OK, "authorize, allocation %ld failing: unexpected code %d", n,
                       rc);
            (*absorbed)++;
        }
        /* The same request again settles it: one order, authorized. */
        again = authorize_once(ctx, order, 0, &failed, &calls);
        ROB_CHECKF(again == PMP_OK, "authorize %s again after allocation %ld failed: %d", order, n,
                   again);
        snprintf(path, sizeof(path), "transactions/%s", order);
        body = rob_admin(&g_sb, path, 0, 1);
        ROB_CHECKF(body && strstr(body, "\"status\":\"AUTH\""),
                   "order %s at the gateway after the retry: %s", order, body ? body : "none");
        free(body);
    }
    g_plugin.api->shutdown(ctx);
    ROB_CHECKF(live() == 0, "after shutdown: %ld blocks left", live());
    *range = total;
}

static void status_failures(long *range, int *absorbed)
{
    pmp_ctx *ctx = NULL;
    pmp_error err;
    char order[40], req[256];
    pmp_result *res = NULL;
    long n, total = 0, before;
    int failed;
    int32_t rc;

    arm(0);
    if (!ROB_CHECK(rob_ctx_open(g_plugin.api, g_yaml, &g_host, &ctx, &err) == PMP_OK))
        return;
    rob_id("AS", order, sizeof(order));
    ROB_CHECK(authorize_once(ctx, order, 0, &failed, &total) == PMP_OK);
    snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order);
    arm(0);
    ROB_CHECK(rob_call(g_plugin.api, ctx, "status", req, &res, &err) == PMP_OK);
    total = g_mem.calls;
    g_plugin.api->result_free(res);
    for (n = 1; n <= total + 1; n++) {
        before = live();
        res = NULL;
        arm(n);
        rc = rob_call(g_plugin.api, ctx, "status", req, &res, &err);
        failed = g_mem.failed;
        arm(0);
        if (failed && rc == PMP_OK)
            (*absorbed)++;
        if (failed)
            ROB_CHECKF(
                (rc == PMP_E_NOMEM && res == NULL) ||
                    (rc == PMP_OK && !strcmp(g_plugin.api->result_status(res), "authorized")),
                "status, allocation %ld failing: %d %s", n, rc, err.message);
        else
            ROB_CHECKF(rc == PMP_OK, "status, N=%ld beyond the last allocation: %d", n, rc);
        g_plugin.api->result_free(res);
        ROB_CHECKF(live() == before, "status, allocation %ld failing: %ld block(s) leaked", n,
                   live() - before);
    }
    g_plugin.api->shutdown(ctx);
    ROB_CHECK(live() == 0);
    *range = total;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *sandbox = NULL;
    long init_range = 0, auth_range = 0, status_range = 0;
    int nomem = 0, unknown = 0, absorbed = 0, status_absorbed = 0, i, rc;
    char req[1024];
    pmp_ctx *ctx = NULL;
    pmp_result *res = NULL;
    pmp_error err;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugin"))
            plugin = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            sandbox = argv[i + 1];
    }
    if (!plugin || !sandbox) {
        fprintf(stderr, "usage: %s --plugin PATH --sandbox PATH\n", argv[0]);
        return 2;
    }
    if (rob_plugin_open(&g_plugin, plugin) != 0 || rob_sandbox_start(&g_sb, sandbox, NULL) != 0) {
        rob_sandbox_stop(&g_sb);
        return 99;
    }
    rob_config(&g_sb, NULL, g_yaml, sizeof(g_yaml));
    rob_id("BAF", g_buyer, sizeof(g_buyer));
    rob_enroll_request(g_buyer, req, sizeof(req));
    if (rob_ctx_open(g_plugin.api, g_yaml, NULL, &ctx, &err) != PMP_OK ||
        rob_call(g_plugin.api, ctx, "enroll", req, &res, &err) != PMP_OK) {
        fprintf(stderr, "set-up: %s\n", err.message);
        rob_sandbox_stop(&g_sb);
        return 99;
    }
    g_plugin.api->result_free(res);
    g_plugin.api->shutdown(ctx);

    init_failures(&init_range);
    authorize_failures(&auth_range, &nomem, &unknown, &absorbed);
    printf("authorize: failed each of its %ld allocations in turn: %d PMP_E_NOMEM, "
           "%d PMP_E_OUTCOME_UNKNOWN, %d absorbed (the plugin asked again and succeeded); "
           "each retry gave one authorized order, no leak\n",
           auth_range, nomem, unknown, absorbed);
    status_failures(&status_range, &status_absorbed);
    printf("status: failed each of its %ld allocations in turn: PMP_E_NOMEM or absorbed (%d), "
           "no leak\n",
           status_range, status_absorbed);
    ROB_CHECKF(!g_mem.foreign, "a block the hook did not hand out was freed through it");
    ROB_CHECK(live() == 0);

    rc = rob_report("allocfail");
    rob_sandbox_stop(&g_sb);
    rob_plugin_close(&g_plugin);
    return rc;
}
