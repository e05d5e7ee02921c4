/*
 * child.c - the modes pmp-bench runs in a process of their own:
 *
 *   client      N authorizes (or status calls, or notifications) by the
 *               baseline or through the plugin, after W warm-up calls (for
 *               notify the "baseline" is one json-c parse of a JSON body of
 *               the same size); under callgrind the N calls
 *               are dumped on their own (CALLGRIND_ZERO_STATS before them,
 *               CALLGRIND_DUMP_STATS_AT after).
 *   rss         the peak resident set after N1 and after N2 calls.
 *   init-probe  dlopen + init in a fresh process, then the first and a warm
 *               call, then a second context's init and first call.
 *
 * Each prints one line of numbers on stdout for the suite to read.
 */
#include "bench.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef BENCH_HAVE_CALLGRIND
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(x) ((void)(x))
#endif

typedef struct child_opts {
    const char *mode; /* baseline | plugin */
    const char *op;   /* authorize | status */
    const char *plugin, *url, *ca, *buyer, *prefix, *order;
    long n, warmup, n1, n2;
} child_opts;

static int child_args(int argc, char **argv, child_opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->mode = "plugin";
    o->op = "authorize";
    o->n = 100;
    o->warmup = 10;
    for (i = 2; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];

        if (strcmp(a, "--mode") == 0)
            o->mode = v;
        else if (strcmp(a, "--op") == 0)
            o->op = v;
        else if (strcmp(a, "--plugin") == 0)
            o->plugin = v;
        else if (strcmp(a, "--url") == 0)
            o->url = v;
        else if (strcmp(a, "--ca") == 0)
            o->ca = v;
        else if (strcmp(a, "--buyer") == 0)
            o->buyer = v;
        else if (strcmp(a, "--prefix") == 0)
            o->prefix = v;
        else if (strcmp(a, "--order") == 0)
            o->order = v;
        else if (strcmp(a, "--n") == 0)
            o->n = atol(v);
        else if (strcmp(a, "--warmup") == 0)
            o->warmup = atol(v);
        else if (strcmp(a, "--n1") == 0)
            o->n1 = atol(v);
        else if (strcmp(a, "--n2") == 0)
            o->n2 = atol(v);
        else {
            (void)fprintf(stderr, "pmp-bench %s: unknown option %s\n", argv[1], a);
            return -1;
        }
    }
    if (i != argc || o->url == NULL || o->ca == NULL) {
        (void)fprintf(stderr, "pmp-bench %s: needs --url and --ca (options take values)\n",
                      argv[1]);
        return -1;
    }
    return 0;
}

/* One call of the chosen client; i numbers the order. */
typedef struct client {
    const child_opts *o;
    bench_baseline base;
    bench_plugin plug;
    pmp_loader_ctx *ctx;
    int is_plugin, is_status, is_notify;
    /* notify: the body, and for the baseline the same-size JSON */
    char body[1024], json[1024];
    size_t body_len;
} client;

static int client_call(client *c, long i)
{
    char order[40];

    if (c->is_notify) {
        if (c->is_plugin) {
            pmp_error err = {.struct_size = sizeof(err)};
            pmp_result *res = NULL;
            int32_t rc = c->plug.api->notify(pmp_loader_ctx_get(c->ctx), c->body, c->body_len,
                                             NULL, 0, &res, &err);

            c->plug.api->result_free(res);
            if (rc != PMP_OK)
                (void)fprintf(stderr, "pmp-bench: notify: %s\n", err.message);
            return rc == PMP_OK ? 0 : -1;
        } else {
            json_object *o = json_tokener_parse(c->json);

            json_object_put(o);
            return o != NULL ? 0 : -1;
        }
    }
    if (c->is_status) {
        if (c->is_plugin)
            return bench_status(&c->plug, c->ctx, c->o->order) == PMP_OK ? 0 : -1;
        return bench_baseline_status(&c->base, c->o->order);
    }
    (void)snprintf(order, sizeof(order), "%s%ld", c->o->prefix, i);
    if (c->is_plugin)
        return bench_authorize(&c->plug, c->ctx, order, c->o->buyer, 1, 0) == PMP_OK ? 0 : -1;
    return bench_baseline_authorize(&c->base, order, c->o->buyer, 1, 0);
}

static int client_open(client *c, const child_opts *o)
{
    memset(c, 0, sizeof(*c));
    c->o = o;
    c->is_plugin = strcmp(o->mode, "plugin") == 0;
    c->is_status = strcmp(o->op, "status") == 0;
    c->is_notify = strcmp(o->op, "notify") == 0;
    if (c->is_notify) {
        int n;

        if (o->order == NULL || o->buyer == NULL) {
            (void)fprintf(stderr, "pmp-bench: notify needs --order and --buyer\n");
            return -1;
        }
        n = bench_notify_body(o->order, o->buyer, c->body, sizeof(c->body));
        if (n < 0 || bench_notify_json(c->body, (size_t)n, c->json, sizeof(c->json)) != 0)
            return -1;
        c->body_len = (size_t)n;
        if (!c->is_plugin)
            return 0;
    } else if (c->is_status ? o->order == NULL : (o->buyer == NULL || o->prefix == NULL)) {
        (void)fprintf(stderr, "pmp-bench: status needs --order; authorize --buyer and --prefix\n");
        return -1;
    }
    if (c->is_plugin) {
        char *cfg;

        if (o->plugin == NULL || bench_plugin_open(&c->plug, o->plugin) != 0)
            return -1;
        cfg = bench_config_text(o->url, o->ca, c->is_notify ? BENCH_NOTIFY_NO_CONFIRM : NULL);
        c->ctx = cfg != NULL ? bench_ctx_open(&c->plug, cfg) : NULL;
        free(cfg);
        return c->ctx != NULL ? 0 : -1;
    }
    return bench_baseline_open(&c->base, o->url, o->ca);
}

static void client_close(client *c)
{
    if (c->is_notify && !c->is_plugin)
        return;
    if (c->is_plugin) {
        pmp_loader_ctx_close(c->ctx);
        bench_plugin_close(&c->plug);
    } else {
        bench_baseline_close(&c->base);
    }
}

static int mode_client(const child_opts *o)
{
    client c;
    long i;
    int rc = 0;

    if (client_open(&c, o) != 0) {
        client_close(&c);
        return 1;
    }
    for (i = 0; i < o->warmup && rc == 0; i++)
        rc = client_call(&c, i);
    /* Under callgrind: the measured calls go to a dump of their own. */
    CALLGRIND_ZERO_STATS;
    for (i = 0; i < o->n && rc == 0; i++)
        rc = client_call(&c, o->warmup + i);
    CALLGRIND_DUMP_STATS_AT("measured calls");
    client_close(&c);
    if (rc != 0)
        return 1;
    (void)printf("%ld\n", o->n);
    return 0;
}

static int mode_rss(child_opts *o)
{
    client c;
    long i;
    long rss1 = -1;
    double t0;
    int rc = 0;

    o->mode = "plugin";
    if (client_open(&c, o) != 0) {
        client_close(&c);
        return 1;
    }
    t0 = bench_now();
    for (i = 0; i < o->n2 && rc == 0; i++) {
        rc = client_call(&c, i);
        if (i + 1 == o->n1)
            rss1 = bench_peak_rss_kib();
    }
    client_close(&c);
    if (rc != 0)
        return 1;
    (void)printf("%ld %ld %ld %ld %.3f\n", o->n1, rss1, o->n2, bench_peak_rss_kib(),
                 bench_now() - t0);
    return 0;
}

static int mode_init_probe(const child_opts *o)
{
    bench_plugin p;
    pmp_loader_ctx *c1 = NULL, *c2 = NULL;
    char *cfg;
    char order[40];
    double t0, t_init, t_first, t_warm, t_init2, t_first2;
    int rc = 1;

    if (o->plugin == NULL || o->buyer == NULL || o->prefix == NULL)
        return 1;
    cfg = bench_config_text(o->url, o->ca, NULL);
    if (cfg == NULL)
        return 1;
    t0 = bench_now();
    if (bench_plugin_open(&p, o->plugin) != 0) {
        free(cfg);
        return 1;
    }
    c1 = bench_ctx_open(&p, cfg);
    t_init = bench_now();
    if (c1 == NULL)
        goto out;
    (void)snprintf(order, sizeof(order), "%s1", o->prefix);
    if (bench_authorize(&p, c1, order, o->buyer, 1, 0) != PMP_OK)
        goto out;
    t_first = bench_now();
    (void)snprintf(order, sizeof(order), "%s2", o->prefix);
    if (bench_authorize(&p, c1, order, o->buyer, 1, 0) != PMP_OK)
        goto out;
    t_warm = bench_now();
    pmp_loader_ctx_close(c1);
    c1 = NULL;
    c2 = bench_ctx_open(&p, cfg);
    t_init2 = bench_now();
    if (c2 == NULL)
        goto out;
    (void)snprintf(order, sizeof(order), "%s3", o->prefix);
    if (bench_authorize(&p, c2, order, o->buyer, 1, 0) != PMP_OK)
        goto out;
    t_first2 = bench_now();
    (void)printf("%.3f %.3f %.3f %.3f %.3f\n", (t_init - t0) * 1e3, (t_first - t_init) * 1e3,
                 (t_warm - t_first) * 1e3, (t_init2 - t_warm) * 1e3, (t_first2 - t_init2) * 1e3);
    rc = 0;
out:
    pmp_loader_ctx_close(c1);
    pmp_loader_ctx_close(c2);
    bench_plugin_close(&p);
    free(cfg);
    return rc;
}

int bench_child_main(int argc, char **argv)
{
    child_opts o;
    int rc;

    if (child_args(argc, argv, &o) != 0)
        return 2;
    /* init-probe measures a cold start: the plugin's own init does libcurl's
     * (and so OpenSSL's) global initialisation there. */
    if (strcmp(argv[1], "init-probe") == 0)
        return mode_init_probe(&o);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    if (strcmp(argv[1], "client") == 0)
        rc = mode_client(&o);
    else if (strcmp(argv[1], "rss") == 0)
        rc = mode_rss(&o);
    else {
        (void)fprintf(stderr, "pmp-bench: unknown mode %s\n", argv[1]);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
