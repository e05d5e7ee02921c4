/* Threads: 8 threads run mixed operations at once, on ONE shared context and
 * on contexts of their own, against the real sandbox. Built normally it is a
 * concurrency test (every call returns what it must, every order ends in
 * the right state); built with -Db_sanitize=thread (clang) ThreadSanitizer
 * also checks every memory access of the plugin for data races, and any
 * report fails the test (TSAN_OPTIONS halt_on_error=1, set by meson).
 *
 *   rob_threads --plugin libpmp_paid.so --sandbox paid-sandbox [--iterations N]
 *
 * Per thread and iteration: init a context of its own (so init and shutdown
 * of private contexts overlap other threads' operations on the shared one,
 * which pmp.h allows), then on the shared and on the own context:
 * authorize, status, one of capture / void / adjust, payer_status,
 * capabilities; then shutdown. Finally all threads authorize the SAME order
 * ID at the same instant on the shared context: every call returns the one
 * order (or "outcome unknown", retryable), and the gateway holds exactly
 * one order.
 *
 * The log callback is called from all threads at once (pmp.h says it may
 * be) and counts lines under a lock. */
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rob.h"

#define THREADS 8

static rob_plugin g_plugin;
static rob_sandbox g_sb;
static pmp_ctx *g_shared;
static char g_yaml[2048];
static char g_buyer[40];
static int g_iterations = 3;
static pthread_barrier_t g_barrier;
static char g_race_order[40];

static pthread_mutex_t g_log_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_log_lines;

static void count_log(void *user_data, int32_t level, const char *msg, size_t len)
{
    (void)user_data;
    (void)level;
    (void)msg;
    (void)len;
    pthread_mutex_lock(&g_log_lock);
    g_log_lines++;
    pthread_mutex_unlock(&g_log_lock);
}

static const pmp_host_services g_host = {
    sizeof(pmp_host_services), 0, NULL, count_log, NULL, NULL, NULL};

/* Calls op and checks it succeeds with status want (NULL: any). */
static int call_ok(pmp_ctx *ctx, const char *op, const char *req, const char *want)
{
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc = rob_call(g_plugin.api, ctx, op, req, &res, &err);
    int ok;

    ok = ROB_CHECKF(rc == PMP_OK, "%s %s: %d %s", op, req, rc, err.message);
    if (ok && want)
        ok =
            ROB_CHECKF(!strcmp(g_plugin.api->result_status(res), want), "%s %s: status %s, want %s",
                       op, req, g_plugin.api->result_status(res), want);
    g_plugin.api->result_free(res);
    return ok;
}

static void order_cycle(pmp_ctx *ctx, int thread, int k)
{
    char order[40], req[256];

    rob_id("TH", order, sizeof(order));
    snprintf(req, sizeof(req),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000,\"tax\":100}", order,
             g_buyer);
    if (!call_ok(ctx, "authorize", req, "authorized"))
        return;
    snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order);
    call_ok(ctx, "status", req, "authorized");
    switch ((thread + k) % 3) {
    case 0:
        call_ok(ctx, "capture", req, "captured");
        break;
    case 1:
        call_ok(ctx, "void", req, "voided");
        break;
    default:
        snprintf(req, sizeof(req), "{\"order_id\":\"%s\",\"amount\":900,\"tax\":90}", order);
        call_ok(ctx, "adjust", req, "authorized");
        break;
    }
    snprintf(req, sizeof(req), "{\"buyer_id\":\"%s\"}", g_buyer);
    call_ok(ctx, "payer_status", req, "approved");
    call_ok(ctx, "capabilities", "{}", "ok");
}

/* All threads authorize one order ID at the same instant. */
static void same_order_race(pmp_ctx *ctx)
{
    char req[256];
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc;

    snprintf(req, sizeof(req),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":5000,\"tax\":500}", g_race_order,
             g_buyer);
    pthread_barrier_wait(&g_barrier);
    rc = rob_call(g_plugin.api, ctx, "authorize", req, &res, &err);
    if (rc == PMP_OK)
        ROB_CHECKF(!strcmp(g_plugin.api->result_status(res), "authorized"), "race: status %s",
                   g_plugin.api->result_status(res));
    else
        ROB_CHECKF(rc == PMP_E_OUTCOME_UNKNOWN && err.retryable, "race: %d %s", rc, err.message);
    g_plugin.api->result_free(res);
}

static void *worker(void *arg)
{
    int thread = (int)(intptr_t)arg, k;

    for (k = 0; k < g_iterations; k++) {
        pmp_ctx *own = NULL;
        pmp_error err;

        if (!ROB_CHECKF(rob_ctx_open(g_plugin.api, g_yaml, &g_host, &own, &err) == PMP_OK,
                        "thread %d: init: %s", thread, err.message))
            break;
        order_cycle(g_shared, thread, k);
        order_cycle(own, thread, k);
        g_plugin.api->shutdown(own);
    }
    same_order_race(g_shared);
    return NULL;
}

/* The number of orders the gateway holds with order_id. */
static int orders_at_gateway(const char *order_id)
{
    char *body = rob_admin(&g_sb, "transactions", 0, 1);
    json_object *doc = body ? json_tokener_parse(body) : NULL, *list = NULL;
    int n = 0;
    size_t i;

    if (doc && json_object_object_get_ex(doc, "transactions", &list)) {
        for (i = 0; i < json_object_array_length(list); i++) {
            json_object *t = json_object_array_get_idx(list, i), *v = NULL;

            if (json_object_object_get_ex(t, "order_id", &v) &&
                !strcmp(json_object_get_string(v), order_id))
                n++;
        }
    } else {
        n = -1;
    }
    json_object_put(doc);
    free(body);
    return n;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *sandbox = NULL;
    pthread_t threads[THREADS];
    char req[1024];
    pmp_error err;
    int i, rc, orders;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugin"))
            plugin = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            sandbox = argv[i + 1];
        else if (!strcmp(argv[i], "--iterations"))
            g_iterations = atoi(argv[i + 1]);
    }
    if (!plugin || !sandbox || g_iterations < 1) {
        fprintf(stderr, "usage: %s --plugin PATH --sandbox PATH [--iterations N]\n", argv[0]);
        return 2;
    }
    if (rob_plugin_open(&g_plugin, plugin) != 0 || rob_sandbox_start(&g_sb, sandbox, NULL) != 0) {
        rob_sandbox_stop(&g_sb);
        return 99;
    }
    rob_config(&g_sb, "logging:\n  level: debug\n", g_yaml, sizeof(g_yaml));
    if (rob_ctx_open(g_plugin.api, g_yaml, &g_host, &g_shared, &err) != PMP_OK) {
        fprintf(stderr, "init: %s\n", err.message);
        rob_sandbox_stop(&g_sb);
        return 99;
    }
    rob_id("BTH", g_buyer, sizeof(g_buyer));
    rob_enroll_request(g_buyer, req, sizeof(req));
    if (!call_ok(g_shared, "enroll", req, "approved")) {
        rob_sandbox_stop(&g_sb);
        return 99;
    }
    rob_id("RACE", g_race_order, sizeof(g_race_order));
    pthread_barrier_init(&g_barrier, NULL, THREADS);

    for (i = 0; i < THREADS; i++)
        if (pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 99;
        }
    for (i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&g_barrier);

    /* The race left one order, and asking again returns it. */
    orders = orders_at_gateway(g_race_order);
    ROB_CHECKF(orders == 1, "race: the gateway holds %d orders %s", orders, g_race_order);
    snprintf(req, sizeof(req),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":5000,\"tax\":500}", g_race_order,
             g_buyer);
    call_ok(g_shared, "authorize", req, "authorized");
    ROB_CHECK(g_log_lines > 0);

    printf("%d threads x %d iterations x 2 contexts, %ld log lines\n", THREADS, g_iterations,
           g_log_lines);
    g_plugin.api->shutdown(g_shared);
    rc = rob_report("threads");
    rob_sandbox_stop(&g_sb);
    rob_plugin_close(&g_plugin);
    return rc;
}
