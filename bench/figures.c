/*
 * figures.c - the measurements behind each figure of docs/performance.md.
 *
 * Wall-time ratios: the plugin and the baseline run the same number of calls
 * in alternating order (ABBA) in each round, the ratio is taken per round,
 * and the median and min-max over the rounds are reported. The sandbox runs
 * on the same two cores, so its own CPU use is read from /proc alongside.
 */
#include "bench.h"
#include "sandbox_admin.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

static double sandbox_cpu(const bench_suite *s)
{
    return bench_proc_cpu_seconds(s->sandbox_pid);
}

/* n authorizes by the baseline; returns seconds or -1. */
static double block_baseline_auth(bench_suite *s, bench_baseline *b, long n, const char *tag)
{
    char order[40];
    double t0 = bench_now();
    long i;

    for (i = 0; i < n; i++) {
        bench_order_id(s, tag, order, sizeof(order));
        if (bench_baseline_authorize(b, order, s->buyer_id, 1, 0) != 0)
            return -1;
    }
    return bench_now() - t0;
}

/* n authorizes through the plugin on ctx; returns seconds or -1. */
static double block_plugin_auth(bench_suite *s, pmp_loader_ctx *ctx, long n, const char *tag)
{
    char order[40];
    double t0 = bench_now();
    long i;

    for (i = 0; i < n; i++) {
        bench_order_id(s, tag, order, sizeof(order));
        if (bench_authorize(&s->plug, ctx, order, s->buyer_id, 1, 0) != PMP_OK)
            return -1;
    }
    return bench_now() - t0;
}

static int judge_max(const bench_suite *s, double value, double limit)
{
    if (s->quick)
        return VERDICT_SMOKE;
    return value <= limit ? VERDICT_PASS : VERDICT_FAIL;
}

static int judge_min(const bench_suite *s, double value, double limit)
{
    if (s->quick)
        return VERDICT_SMOKE;
    return value >= limit ? VERDICT_PASS : VERDICT_FAIL;
}

/* Looks name up in $PATH; returns 0 and the full path in buf. */
static int find_program(const char *name, char *buf, size_t size)
{
    const char *path = getenv("PATH");
    const char *p;

    if (path == NULL)
        path = "/usr/bin:/bin";
    for (p = path; *p != '\0';) {
        const char *colon = strchr(p, ':');
        size_t len = colon != NULL ? (size_t)(colon - p) : strlen(p);

        if (len > 0 && (size_t)snprintf(buf, size, "%.*s/%s", (int)len, p, name) < size &&
            access(buf, X_OK) == 0)
            return 0;
        if (colon == NULL)
            break;
        p = colon + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * authorize: wall time vs the baseline
 * ---------------------------------------------------------------------- */

int fig_authorize_wall(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "authorize-wall",
        "authorize through the ABI vs raw libcurl doing the same two POSTs: wall time per call",
        "≤ 1.10");
    /* Each round runs SUB slices of the three clients in rotating order, so
     * that a burst of load from elsewhere on the machine hits all three. */
    enum { SUB = 8 };
    long n = s->quick ? 10 : 200, slice = n / SUB > 0 ? n / SUB : 1, warm = s->quick ? 2 : 30;
    double ratio[64], ratio_rc[64], us_b[64], us_p[64], us_r[64];
    double cpu0, cpu1, wall_all = 0, cpu_b = 0, cpu_p = 0;
    bench_baseline b, rc;
    bench_stat r, rr, sb, sp, sr;
    int i, k, rounds = s->rounds > 64 ? 64 : s->rounds;

    if (bench_baseline_open(&b, s->url, s->ca_file) != 0)
        return -1;
    if (bench_baseline_open(&rc, s->url, s->ca_file) != 0) {
        bench_baseline_close(&b);
        return -1;
    }
    rc.read_callback = 1;
    if (block_baseline_auth(s, &b, warm, "W") < 0 || block_baseline_auth(s, &rc, warm, "W") < 0 ||
        block_plugin_auth(s, s->ctx, warm, "W") < 0)
        goto fail;
    cpu0 = sandbox_cpu(s);
    for (i = 0; i < rounds; i++) {
        double tb = 0, tp = 0, tr = 0, kp[SUB], kr[SUB];

        for (k = 0; k < SUB; k++) {
            double sb_t = 0, sp_t = 0, sr_t = 0;
            int c, first = (i * SUB + k) % 3;

            for (c = 0; c < 3; c++) {
                double t, cpu = bench_self_cpu_seconds();

                switch ((first + c) % 3) {
                case 0:
                    t = sb_t = block_baseline_auth(s, &b, slice, "A");
                    cpu_b += bench_self_cpu_seconds() - cpu;
                    break;
                case 1:
                    t = sp_t = block_plugin_auth(s, s->ctx, slice, "P");
                    cpu_p += bench_self_cpu_seconds() - cpu;
                    break;
                default:
                    t = sr_t = block_baseline_auth(s, &rc, slice, "R");
                    break;
                }
                if (t <= 0)
                    goto fail;
            }
            kp[k] = sp_t / sb_t;
            kr[k] = sr_t / sb_t;
            tb += sb_t;
            tp += sp_t;
            tr += sr_t;
        }
        /* The round's ratio is the median of its slices' ratios: a burst of
         * load from elsewhere spoils one slice, not the round. */
        ratio[i] = bench_stat_of(kp, SUB).median;
        ratio_rc[i] = bench_stat_of(kr, SUB).median;
        us_b[i] = tb / (double)(slice * SUB) * 1e6;
        us_p[i] = tp / (double)(slice * SUB) * 1e6;
        us_r[i] = tr / (double)(slice * SUB) * 1e6;
        wall_all += tb + tp + tr;
    }
    cpu1 = sandbox_cpu(s);
    bench_baseline_close(&b);
    bench_baseline_close(&rc);

    r = bench_stat_of(ratio, (size_t)rounds);
    rr = bench_stat_of(ratio_rc, (size_t)rounds);
    sb = bench_stat_of(us_b, (size_t)rounds);
    sp = bench_stat_of(us_p, (size_t)rounds);
    sr = bench_stat_of(us_r, (size_t)rounds);
    bench_figure_set(f, judge_max(s, r.median, 1.10), "%.3f (%.3f–%.3f), %d rounds × %ld calls",
                     r.median, r.min, r.max, rounds, slice * SUB);
    s->sandbox_cpu_us_per_req =
        (cpu1 - cpu0) / ((double)rounds * (double)(slice * SUB) * 6) * 1e6;
    s->baseline_rps = 2.0 / (sb.median / 1e6);
    bench_note_load(s, s->baseline_rps, (cpu1 - cpu0) / wall_all,
                    "sequential authorizes (all three clients)");
    bench_detail(s,
                 "authorize, per call: baseline %.0f µs (%.0f–%.0f), plugin %.0f µs (%.0f–%.0f); "
                 "two HTTPS POSTs each on one kept-alive connection",
                 sb.median, sb.min, sb.max, sp.median, sp.min, sp.max);
    bench_detail(s,
                 "client CPU (user + system) per authorize: baseline %.0f µs, plugin %.0f µs "
                 "(%.2f×); less disturbed by other load than wall time",
                 cpu_b / (double)(rounds * slice * SUB) * 1e6,
                 cpu_p / (double)(rounds * slice * SUB) * 1e6, cpu_p / cpu_b);
    bench_detail(s,
                 "the baseline sending its bodies through a read callback that cannot rewind, as "
                 "the plugin does so that libcurl never resends a POST by itself: %.0f µs per "
                 "call, %.3f (%.3f–%.3f) of the POSTFIELDS baseline (libcurl 7.88 then writes "
                 "headers and body as two TLS records)",
                 sr.median, rr.median, rr.min, rr.max);
    bench_detail(s,
                 "sandbox during these rounds: %.0f µs CPU per request, %.0f%% of one core busy",
                 s->sandbox_cpu_us_per_req, (cpu1 - cpu0) / wall_all * 100.0);
    return 0;
fail:
    bench_baseline_close(&b);
    bench_baseline_close(&rc);
    bench_figure_set(f, VERDICT_ERROR, "a call failed (see the log)");
    return -1;
}

/* ------------------------------------------------------------------------
 * authorize: client instructions under callgrind
 * ---------------------------------------------------------------------- */

/* The "summary:" (total Ir) of a callgrind output file, or -1. */
static double callgrind_total(const char *file)
{
    FILE *f = fopen(file, "r");
    char line[512];
    double total = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "summary:", 8) == 0) {
            total = strtod(line + 8, NULL);
            break;
        }
    }
    (void)fclose(f);
    return total;
}

static double run_callgrind(bench_suite *s, const char *valgrind, const char *mode,
                            const char *op, long n, long warm, char *out_file, size_t out_size)
{
    char outopt[600], ns[24], ws[24], prefix[40];
    char *argv[32], *out = NULL;
    int a = 0, rc;

    /* The child dumps the measured calls as part 1: <file>.1. */
    (void)snprintf(outopt, sizeof(outopt), "--callgrind-out-file=%s/callgrind.%s.%s.out",
                   s->workdir, op, mode);
    (void)snprintf(out_file, out_size, "%s/callgrind.%s.%s.out.1", s->workdir, op, mode);
    (void)snprintf(ns, sizeof(ns), "%ld", n);
    (void)snprintf(ws, sizeof(ws), "%ld", warm);
    (void)snprintf(prefix, sizeof(prefix), "CG%c-%s-", mode[0] == 'b' ? 'B' : 'P', s->run_id);
    argv[a++] = (char *)valgrind;
    argv[a++] = "--tool=callgrind";
    argv[a++] = "--compress-strings=no";
    argv[a++] = "--compress-pos=no";
    argv[a++] = outopt;
    argv[a++] = (char *)s->self_path;
    argv[a++] = "client";
    argv[a++] = "--mode";
    argv[a++] = (char *)mode;
    argv[a++] = "--op";
    argv[a++] = (char *)op;
    argv[a++] = "--order";
    argv[a++] = s->status_order;
    argv[a++] = "--plugin";
    argv[a++] = (char *)s->plugin_path;
    argv[a++] = "--url";
    argv[a++] = s->url;
    argv[a++] = "--ca";
    argv[a++] = s->ca_file;
    argv[a++] = "--buyer";
    argv[a++] = s->buyer_id;
    argv[a++] = "--prefix";
    argv[a++] = prefix;
    argv[a++] = "--n";
    argv[a++] = ns;
    argv[a++] = "--warmup";
    argv[a++] = ws;
    argv[a] = NULL;
    rc = bench_run_child(argv, &out, 1);
    free(out);
    if (rc != 0) {
        (void)fprintf(stderr, "pmp-bench: callgrind of the %s client exited with %d\n", mode, rc);
        return -1;
    }
    return callgrind_total(out_file);
}

/* Self cost per function and per shared object, read straight from a
 * callgrind file written with --compress-strings=no --compress-pos=no
 * (callgrind_annotate 3.19 misreads a dump taken mid-run). */
typedef struct cg_cost {
    char *name;
    double ir;
} cg_cost;

typedef struct cg_table {
    cg_cost *v;
    size_t n, cap;
} cg_table;

static cg_cost *cg_find(cg_table *t, const char *name)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        if (strcmp(t->v[i].name, name) == 0)
            return &t->v[i];
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        cg_cost *v = realloc(t->v, cap * sizeof(*v));

        if (v == NULL)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].name = strdup(name);
    if (t->v[t->n].name == NULL)
        return NULL;
    t->v[t->n].ir = 0;
    return &t->v[t->n++];
}

static int cg_cmp(const void *a, const void *b)
{
    double x = ((const cg_cost *)a)->ir, y = ((const cg_cost *)b)->ir;

    return (x < y) - (x > y);
}

static void cg_free(cg_table *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        free(t->v[i].name);
    free(t->v);
}

/* The base name of an object path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash != NULL ? slash + 1 : path;
}

/* Loads the self costs of a callgrind file. Returns the total, or -1. */
static double cg_load(const char *file, cg_table *fns, cg_table *obs)
{
    FILE *f = fopen(file, "r");
    char line[4096], ob[1024] = "?", key[1400];
    cg_cost *cur_fn = NULL, *cur_ob = NULL;
    int skip_next = 0;
    double total = 0;

    memset(fns, 0, sizeof(*fns));
    memset(obs, 0, sizeof(*obs));
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "ob=", 3) == 0) {
            (void)snprintf(ob, sizeof(ob), "%.1000s", base_name(line + 3));
        } else if (strncmp(line, "fn=", 3) == 0) {
            (void)snprintf(key, sizeof(key), "%.300s (%.1000s)", line + 3, ob);
            cur_fn = cg_find(fns, key);
            cur_ob = cg_find(obs, ob);
        } else if (strncmp(line, "calls=", 6) == 0) {
            skip_next = 1; /* the next cost line is the call's inclusive cost */
        } else if (line[0] >= '0' && line[0] <= '9') {
            const char *sp = strchr(line, ' ');
            double ir = sp != NULL ? strtod(sp + 1, NULL) : 0;

            if (skip_next) {
                skip_next = 0;
                continue;
            }
            if (cur_fn != NULL)
                cur_fn->ir += ir;
            if (cur_ob != NULL)
                cur_ob->ir += ir;
            total += ir;
        }
    }
    (void)fclose(f);
    return total;
}

static void callgrind_top(bench_suite *s, const char *file, const char *who, const char *per,
                          double calls, int max)
{
    cg_table fns, obs;
    double total = cg_load(file, &fns, &obs);
    bench_buf b = {0};
    size_t i;

    if (total > 0 && fns.n > 0) {
        qsort(fns.v, fns.n, sizeof(*fns.v), cg_cmp);
        qsort(obs.v, obs.n, sizeof(*obs.v), cg_cmp);
        (void)bench_buf_printf(&b, "by object: ");
        for (i = 0; i < obs.n && i < 6; i++)
            (void)bench_buf_printf(&b, "%s%s %.0f%%", i ? ", " : "", obs.v[i].name,
                                   obs.v[i].ir / total * 100.0);
        (void)bench_buf_printf(&b, "; top functions: ");
        for (i = 0; i < fns.n && i < (size_t)max; i++)
            (void)bench_buf_printf(&b, "%s`%s` %.0f/call", i ? ", " : "", fns.v[i].name,
                                   fns.v[i].ir / calls);
        bench_detail(s, "callgrind, self cost of the %s per %s: %s", who, per, b.data);
    }
    bench_buf_free(&b);
    cg_free(&fns);
    cg_free(&obs);
}

/* Where the plugin spends instructions that the baseline does not: the
 * largest per-call differences by shared object and by function. */
static void callgrind_diff(bench_suite *s, const char *file_p, const char *file_b, double calls,
                           int max)
{
    cg_table pf, po, bf, bo;
    double tp = cg_load(file_p, &pf, &po), tb = cg_load(file_b, &bf, &bo);
    bench_buf b = {0};
    size_t i, j;

    if (tp > 0 && tb > 0) {
        /* Turn the plugin's tables into differences. */
        for (i = 0; i < pf.n; i++)
            for (j = 0; j < bf.n; j++)
                if (strcmp(pf.v[i].name, bf.v[j].name) == 0) {
                    pf.v[i].ir -= bf.v[j].ir;
                    break;
                }
        for (i = 0; i < po.n; i++)
            for (j = 0; j < bo.n; j++)
                if (strcmp(po.v[i].name, bo.v[j].name) == 0) {
                    po.v[i].ir -= bo.v[j].ir;
                    break;
                }
        qsort(pf.v, pf.n, sizeof(*pf.v), cg_cmp);
        qsort(po.v, po.n, sizeof(*po.v), cg_cmp);
        (void)bench_buf_printf(&b, "%+.0f per call in all; by object: ", (tp - tb) / calls);
        for (i = 0; i < po.n && i < 6; i++)
            (void)bench_buf_printf(&b, "%s%s %+.0f", i ? ", " : "", po.v[i].name,
                                   po.v[i].ir / calls);
        (void)bench_buf_printf(&b, "; by function: ");
        for (i = 0; i < pf.n && i < (size_t)max; i++)
            (void)bench_buf_printf(&b, "%s`%s` %+.0f", i ? ", " : "", pf.v[i].name,
                                   pf.v[i].ir / calls);
        bench_detail(s, "callgrind, the plugin's instructions beyond the baseline's, per authorize: "
                        "%s",
                     b.data);
    }
    bench_buf_free(&b);
    cg_free(&pf);
    cg_free(&po);
    cg_free(&bf);
    cg_free(&bo);
}

int fig_authorize_callgrind(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "authorize-instructions",
        "authorize through the ABI vs raw libcurl: client instructions per call (callgrind)",
        "≤ 1.5");
    char valgrind[512], file_b[600], file_p[600];
    long n = s->quick ? 3 : 100, warm = s->quick ? 1 : 10;
    double ib, ip;

    if (!s->callgrind) {
        bench_figure_set(f, VERDICT_SKIP, "skipped (--no-callgrind)");
        return 0;
    }
    if (find_program("valgrind", valgrind, sizeof(valgrind)) != 0) {
        bench_figure_set(f, VERDICT_SKIP, "skipped: valgrind is not installed");
        return 0;
    }
    ib = run_callgrind(s, valgrind, "baseline", "authorize", n, warm, file_b, sizeof(file_b));
    ip = run_callgrind(s, valgrind, "plugin", "authorize", n, warm, file_p, sizeof(file_p));
    if (ib <= 0 || ip <= 0) {
        bench_figure_set(f, VERDICT_ERROR, "callgrind run failed");
        return -1;
    }
    bench_figure_set(f, judge_max(s, ip / ib, 1.5),
                     "%.3f (%.0f vs %.0f instructions per call, %ld calls each)", ip / ib,
                     ip / (double)n, ib / (double)n, n);
    callgrind_diff(s, file_p, file_b, (double)n, 14);
    return 0;
}

/* ------------------------------------------------------------------------
 * connections opened for sequential authorizes, counted by a proxy
 * ---------------------------------------------------------------------- */

int fig_connections(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "connections", "TCP connections opened for 1,000 sequential authorizes (counted by a "
                          "loopback proxy in front of the sandbox)",
        "≤ 2");
    long n = s->quick ? 20 : 1000;
    bench_proxy *px = NULL;
    pmp_loader_ctx *ctx = NULL;
    bench_baseline b;
    char url[128], *cfg = NULL;
    long c0, c_plugin, c_base;
    int port;

    if (bench_proxy_start(s->sandbox_port, 0, &px, &port) != 0)
        return -1;
    (void)snprintf(url, sizeof(url), "https://127.0.0.1:%d/payment/", port);
    cfg = bench_config_text(url, s->ca_file, NULL);
    ctx = cfg != NULL ? bench_ctx_open(&s->plug, cfg) : NULL;
    if (ctx == NULL)
        goto fail;
    c0 = bench_proxy_connections(px);
    if (block_plugin_auth(s, ctx, n, "C") < 0)
        goto fail;
    c_plugin = bench_proxy_connections(px) - c0;
    pmp_loader_ctx_close(ctx);
    ctx = NULL;

    if (bench_baseline_open(&b, url, s->ca_file) != 0)
        goto fail;
    c0 = bench_proxy_connections(px);
    if (block_baseline_auth(s, &b, n, "D") < 0) {
        bench_baseline_close(&b);
        goto fail;
    }
    bench_baseline_close(&b);
    c_base = bench_proxy_connections(px) - c0;
    bench_proxy_stop(px);
    free(cfg);
    bench_figure_set(f, judge_max(s, (double)c_plugin, 2.0),
                     "%ld for %ld authorizes (%ld POSTs); the baseline: %ld", c_plugin, n, 2 * n,
                     c_base);
    return 0;
fail:
    pmp_loader_ctx_close(ctx);
    bench_proxy_stop(px);
    free(cfg);
    bench_figure_set(f, VERDICT_ERROR, "a call failed (see the log)");
    return -1;
}

/* ------------------------------------------------------------------------
 * a fresh context per call vs a persistent one
 * ---------------------------------------------------------------------- */

static double block_fresh_auth(bench_suite *s, long n)
{
    char order[40];
    double t0 = bench_now();
    long i;

    for (i = 0; i < n; i++) {
        pmp_loader_ctx *ctx = bench_ctx_open(&s->plug, s->config);
        int32_t rc;

        if (ctx == NULL)
            return -1;
        bench_order_id(s, "F", order, sizeof(order));
        rc = bench_authorize(&s->plug, ctx, order, s->buyer_id, 1, 0);
        pmp_loader_ctx_close(ctx);
        if (rc != PMP_OK)
            return -1;
    }
    return bench_now() - t0;
}

int fig_fresh_context(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "fresh-context",
        "a fresh context per call (init, authorize, shutdown) vs a persistent context, per call",
        "≤ 2×");
    long n = s->quick ? 5 : 100;
    double ratio[64], ms_f[64], ms_p[64];
    bench_stat r, sf, sp;
    int i, rounds = s->rounds > 64 ? 64 : s->rounds;

    for (i = 0; i < rounds; i++) {
        enum { SUB = 4 };
        double tp = 0, tf = 0, k_ratio[SUB];
        long slice = n / SUB > 0 ? n / SUB : 1;
        int k;

        for (k = 0; k < SUB; k++) {
            double a, b;

            if ((i + k) % 2 == 0) {
                a = block_plugin_auth(s, s->ctx, slice, "G");
                b = block_fresh_auth(s, slice);
            } else {
                b = block_fresh_auth(s, slice);
                a = block_plugin_auth(s, s->ctx, slice, "G");
            }
            if (a <= 0 || b <= 0) {
                bench_figure_set(f, VERDICT_ERROR, "a call failed (see the log)");
                return -1;
            }
            k_ratio[k] = b / a;
            tp += a;
            tf += b;
        }
        ratio[i] = bench_stat_of(k_ratio, SUB).median;
        ms_f[i] = tf / (double)(slice * SUB) * 1e3;
        ms_p[i] = tp / (double)(slice * SUB) * 1e3;
    }
    r = bench_stat_of(ratio, (size_t)rounds);
    sf = bench_stat_of(ms_f, (size_t)rounds);
    sp = bench_stat_of(ms_p, (size_t)rounds);
    bench_figure_set(f, judge_max(s, r.median, 2.0), "%.2f× (%.2f–%.2f), %d rounds × %ld calls",
                     r.median, r.min, r.max, rounds, n);
    bench_detail(s, "fresh context: %.3f ms per init+authorize+shutdown vs %.3f ms per authorize "
                    "on a persistent context (medians)",
                 sf.median, sp.median);
    return 0;
}

/* ------------------------------------------------------------------------
 * notify: parse and map a notification vs one json-c parse of the same size
 * ---------------------------------------------------------------------- */

/* The same comparison in instructions, with the plugin's top costs. */
static void notify_callgrind(bench_suite *s)
{
    char valgrind[512], file_b[600], file_p[600];
    long n = s->quick ? 20 : 2000, warm = s->quick ? 2 : 100;
    double ib, ip;

    if (!s->callgrind || find_program("valgrind", valgrind, sizeof(valgrind)) != 0)
        return;
    ib = run_callgrind(s, valgrind, "baseline", "notify", n, warm, file_b, sizeof(file_b));
    ip = run_callgrind(s, valgrind, "plugin", "notify", n, warm, file_p, sizeof(file_p));
    if (ib <= 0 || ip <= 0)
        return;
    bench_detail(s,
                 "notify in instructions (callgrind): %.0f per notification vs %.0f per json-c "
                 "parse of the same size, %.2f×",
                 ip / (double)n, ib / (double)n, ip / ib);
    callgrind_top(s, file_p, "plugin", "notification", (double)n, 12);
}

int fig_notify(bench_suite *s)
{
    bench_figure *fr = bench_figure_add(
        s, "notify-ratio",
        "parse and map a result notification (no inquiry) vs one json-c parse of a body of the "
        "same size",
        "≤ 1.5×");
    bench_figure *fs = bench_figure_add(
        s, "notify-rate", "notifications parsed and mapped per second on one core, no inquiry",
        "≥ 100,000/s");
    const pmp_api *api = s->plug.api;
    pmp_loader_ctx *ctx;
    char body[1024], json[1024], *cfg;
    pmp_error err = {.struct_size = sizeof(err)};
    pmp_result *res = NULL;
    double ratio[64], rate[64];
    long n = s->quick ? 200 : 20000;
    int blen, i, rounds = s->rounds > 64 ? 64 : s->rounds;
    int32_t rc;
    bench_stat r, sr;

    blen = bench_notify_body(s->status_order, s->buyer_id, body, sizeof(body));
    if (blen < 0 || bench_notify_json(body, (size_t)blen, json, sizeof(json)) != 0)
        return -1;
    cfg = bench_config_text(s->url, s->ca_file, BENCH_NOTIFY_NO_CONFIRM);
    if (cfg == NULL)
        return -1;
    {
        pmp_loader_ctx_options o = {.struct_size = sizeof(o), .log_level = 0};

        ctx = NULL;
        rc = pmp_loader_ctx_open_text(s->plug.loader, cfg, strlen(cfg), "bench", &o, &ctx, &err);
    }
    free(cfg);
    if (rc != PMP_OK) {
        bench_figure_set(fr, VERDICT_PENDING, "pending: init refuses paid.notify.confirm (%s)",
                         err.message);
        bench_figure_set(fs, VERDICT_PENDING, "pending (notify not implemented yet)");
        return 0;
    }
    rc = api->notify(pmp_loader_ctx_get(ctx), body, (size_t)blen, NULL, 0, &res, &err);
    api->result_free(res);
    if (rc == PMP_E_UNSUPPORTED) {
        pmp_loader_ctx_close(ctx);
        bench_figure_set(fr, VERDICT_PENDING, "pending: notify answers PMP_E_UNSUPPORTED");
        bench_figure_set(fs, VERDICT_PENDING, "pending (notify not implemented yet)");
        return 0;
    }
    if (rc != PMP_OK) {
        pmp_loader_ctx_close(ctx);
        bench_figure_set(fr, VERDICT_ERROR, "notify failed: %s", err.message);
        bench_figure_set(fs, VERDICT_ERROR, "notify failed");
        return -1;
    }
    for (i = 0; i < rounds; i++) {
        double t_n = 0, t_j = 0;
        int k;

        for (k = 0; k < 2; k++) {
            double t0 = bench_now();
            long j;

            if ((k == 0) == (i % 2 == 0)) {
                for (j = 0; j < n; j++) {
                    res = NULL;
                    rc = api->notify(pmp_loader_ctx_get(ctx), body, (size_t)blen, NULL, 0, &res,
                                     &err);
                    api->result_free(res);
                    if (rc != PMP_OK)
                        break;
                }
                t_n = bench_now() - t0;
            } else {
                for (j = 0; j < n; j++) {
                    json_object *o = json_tokener_parse(json);

                    if (o == NULL)
                        break;
                    json_object_put(o);
                }
                t_j = bench_now() - t0;
            }
            if (rc != PMP_OK)
                break;
        }
        if (rc != PMP_OK || t_j <= 0 || t_n <= 0) {
            pmp_loader_ctx_close(ctx);
            bench_figure_set(fr, VERDICT_ERROR, "notify or json-c failed mid-run");
            bench_figure_set(fs, VERDICT_ERROR, "notify failed");
            return -1;
        }
        ratio[i] = t_n / t_j;
        rate[i] = (double)n / t_n;
    }
    pmp_loader_ctx_close(ctx);
    r = bench_stat_of(ratio, (size_t)rounds);
    sr = bench_stat_of(rate, (size_t)rounds);
    bench_figure_set(fr, judge_max(s, r.median, 1.5), "%.2f× (%.2f–%.2f), %d-byte body",
                     r.median, r.min, r.max, blen);
    bench_figure_set(fs, judge_min(s, sr.median, 100000.0), "%.0f/s (%.0f–%.0f)", sr.median,
                     sr.min, sr.max);
    notify_callgrind(s);
    return 0;
}

/* ------------------------------------------------------------------------
 * memory: peak RSS after 100,000 vs after 10,000 calls, in a fresh process
 * ---------------------------------------------------------------------- */

int fig_rss(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "rss", "peak RSS after 100,000 status calls vs after 10,000 (fresh process, one context)",
        "≤ 1.05");
    long n1 = s->quick ? 50 : 10000, n2 = s->quick ? 500 : 100000;
    char s1[24], s2[24], *out = NULL;
    char *argv[20];
    long a1, r1, a2, r2;
    double secs, c0, c1;
    int a = 0, rc;

    (void)snprintf(s1, sizeof(s1), "%ld", n1);
    (void)snprintf(s2, sizeof(s2), "%ld", n2);
    argv[a++] = (char *)s->self_path;
    argv[a++] = "rss";
    argv[a++] = "--op";
    argv[a++] = "status";
    argv[a++] = "--plugin";
    argv[a++] = (char *)s->plugin_path;
    argv[a++] = "--url";
    argv[a++] = s->url;
    argv[a++] = "--ca";
    argv[a++] = s->ca_file;
    argv[a++] = "--order";
    argv[a++] = s->status_order;
    argv[a++] = "--n1";
    argv[a++] = s1;
    argv[a++] = "--n2";
    argv[a++] = s2;
    argv[a] = NULL;
    c0 = sandbox_cpu(s);
    rc = bench_run_child(argv, &out, 0);
    c1 = sandbox_cpu(s);
    if (rc != 0 || out == NULL ||
        sscanf(out, "%ld %ld %ld %ld %lf", &a1, &r1, &a2, &r2, &secs) != 5 || r1 <= 0) {
        free(out);
        bench_figure_set(f, VERDICT_ERROR, "the rss child failed");
        return -1;
    }
    free(out);
    bench_figure_set(f, judge_max(s, (double)r2 / (double)r1, 1.05),
                     "%.3f (%ld KiB after %ld, %ld KiB after %ld)", (double)r2 / (double)r1, r1,
                     a1, r2, a2);
    bench_detail(s, "rss child: %ld status calls in %.1f s (%.0f calls/s, one thread)", a2, secs,
                 (double)a2 / secs);
    bench_note_load(s, (double)a2 / secs, (c1 - c0) / secs, "status calls, one thread");
    return 0;
}

/* ------------------------------------------------------------------------
 * two host threads vs one on the same context
 * ---------------------------------------------------------------------- */

typedef struct worker {
    bench_suite *s;
    pmp_loader_ctx *ctx;
    bench_baseline *base; /* baseline client instead of the plugin */
    int op_capabilities;
    long n;           /* calls, or 0 to run until deadline */
    double deadline;  /* bench_now() value */
    long done;
    long vcsw; /* voluntary context switches of the thread (blocking) */
    int failed;
} worker;

/* Voluntary context switches of the calling thread so far, or 0. */
static long thread_vcsw(void)
{
    FILE *f = fopen("/proc/thread-self/status", "r");
    char line[256];
    long n = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0) {
            n = strtol(line + 24, NULL, 10);
            break;
        }
    }
    (void)fclose(f);
    return n;
}

static void *worker_run(void *arg)
{
    worker *w = arg;
    const pmp_api *api = w->s->plug.api;
    long vcsw0 = thread_vcsw();

    while ((w->n > 0 ? w->done < w->n : bench_now() < w->deadline) && !w->failed) {
        int32_t rc;

        if (w->base != NULL)
            rc = bench_baseline_status(w->base, w->s->status_order) == 0 ? PMP_OK : -1;
        else if (w->op_capabilities)
            rc = bench_call(&w->s->plug, w->ctx, api->capabilities, "{}", 2, "ok");
        else
            rc = bench_status(&w->s->plug, w->ctx, w->s->status_order);
        if (rc != PMP_OK)
            w->failed = 1;
        else
            w->done++;
    }
    w->vcsw = thread_vcsw() - vcsw0;
    return NULL;
}

/* Runs nthreads workers of n calls each (plugin on ctx); returns seconds.
 * *vcsw (may be NULL) receives the workers' voluntary context switches. */
static double run_threads(bench_suite *s, int nthreads, long n_each, int capabilities, long *vcsw)
{
    pthread_t t[8];
    worker w[8];
    double t0;
    int i, started = 0, failed = 0;

    t0 = bench_now();
    for (i = 0; i < nthreads; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].s = s;
        w[i].ctx = s->ctx;
        w[i].n = n_each;
        w[i].op_capabilities = capabilities;
        if (pthread_create(&t[i], NULL, worker_run, &w[i]) != 0)
            break;
        started++;
    }
    if (vcsw != NULL)
        *vcsw = 0;
    for (i = 0; i < started; i++) {
        (void)pthread_join(t[i], NULL);
        failed |= w[i].failed;
        if (vcsw != NULL)
            *vcsw += w[i].vcsw;
    }
    if (started != nthreads || failed)
        return -1;
    return bench_now() - t0;
}

static int thread_ratio(bench_suite *s, int capabilities, long n, bench_stat *r, double *rate1,
                        double *rate2, double *sbx_util2, double *vcsw_per_call)
{
    double ratio[64], r1[64], r2[64];
    double cpu2 = 0, wall2 = 0;
    long vcsw = 0, calls2 = 0;
    int i, rounds = s->rounds > 64 ? 64 : s->rounds;

    for (i = 0; i < rounds; i++) {
        double t1, t2, c0, c1;
        long v = 0;

        if (i % 2 == 0) {
            t1 = run_threads(s, 1, n, capabilities, NULL);
            c0 = sandbox_cpu(s);
            t2 = run_threads(s, 2, n / 2, capabilities, &v);
            c1 = sandbox_cpu(s);
        } else {
            c0 = sandbox_cpu(s);
            t2 = run_threads(s, 2, n / 2, capabilities, &v);
            c1 = sandbox_cpu(s);
            t1 = run_threads(s, 1, n, capabilities, NULL);
        }
        vcsw += v;
        calls2 += n / 2 * 2;
        if (t1 <= 0 || t2 <= 0)
            return -1;
        ratio[i] = t1 / t2;
        r1[i] = (double)n / t1;
        r2[i] = (double)(n / 2 * 2) / t2;
        cpu2 += c1 - c0;
        wall2 += t2;
    }
    *r = bench_stat_of(ratio, (size_t)rounds);
    *rate1 = bench_stat_of(r1, (size_t)rounds).median;
    *rate2 = bench_stat_of(r2, (size_t)rounds).median;
    *sbx_util2 = cpu2 / wall2;
    *vcsw_per_call = calls2 > 0 ? (double)vcsw / (double)calls2 : 0;
    return 0;
}

/* What two threads of pure CPU get on this machine right now (other
 * tenants, other jobs): the ceiling of any two-thread figure. */
static void *spin(void *arg)
{
    volatile unsigned long x = 0;
    unsigned long i, n = *(const unsigned long *)arg;

    for (i = 0; i < n; i++)
        x += i;
    return (void *)(uintptr_t)(x & 1);
}

static double machine_parallelism(int quick)
{
    unsigned long n = quick ? 2000000UL : 100000000UL, half = n / 2;
    double r[3];
    int k;

    for (k = 0; k < 3; k++) {
        pthread_t a, b;
        double t0 = bench_now(), t1, t2;

        (void)spin(&n);
        t1 = bench_now() - t0;
        t0 = bench_now();
        if (pthread_create(&a, NULL, spin, &half) != 0)
            return -1;
        if (pthread_create(&b, NULL, spin, &half) != 0) {
            (void)pthread_join(a, NULL);
            return -1;
        }
        (void)pthread_join(a, NULL);
        (void)pthread_join(b, NULL);
        t2 = bench_now() - t0;
        r[k] = t1 / t2;
    }
    return bench_stat_of(r, 3).median;
}

/* The same comparison with 20 ms added to every answer by the sandbox, as
 * on a real network: two threads must double the rate unless something is
 * held across the wait. */
static void threads_with_latency(bench_suite *s)
{
    host_admin *admin = NULL;
    json_object *doc = NULL;
    char msg[512];
    long n = s->quick ? 4 : 60;
    double r[3], rate1 = 0, rate2 = 0;
    int k, rounds = 3;

    if (host_admin_open(s->url, s->ca_file, &admin, msg, sizeof(msg)) != 0)
        return;
    if (host_admin_call(admin, "POST",
                        "_sandbox/faults?op=*&kind=delay_after_commit&count=100000&delay_ms=20",
                        &doc, msg, sizeof(msg)) != 0) {
        host_admin_close(admin);
        return;
    }
    json_object_put(doc);
    for (k = 0; k < rounds; k++) {
        double t1 = run_threads(s, 1, n, 0, NULL), t2 = run_threads(s, 2, n / 2, 0, NULL);

        if (t1 <= 0 || t2 <= 0)
            break;
        r[k] = t1 / t2;
        rate1 = (double)n / t1;
        rate2 = (double)n / t2;
    }
    if (host_admin_call(admin, "DELETE", "_sandbox/faults", &doc, msg, sizeof(msg)) == 0)
        json_object_put(doc);
    host_admin_close(admin);
    if (k == rounds) {
        bench_stat st = bench_stat_of(r, (size_t)rounds);

        bench_detail(s,
                     "with 20 ms added to every answer (the sandbox's delay fault): %.1f status "
                     "calls/s with one thread, %.1f/s with two, %.2f× (%.2f–%.2f): nothing is "
                     "held across the network wait",
                     rate1, rate2, st.median, st.min, st.max);
    }
}

int fig_threads(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "threads",
        "two host threads vs one on the same context: status calls per second",
        "≥ 1.5×");
    long n = s->quick ? 40 : 3000, ncap = s->quick ? 400 : 100000;
    double rate1, rate2, util, spin_before, spin_after, spin, vcsw;
    bench_stat r;
    int verdict;

    spin_before = machine_parallelism(s->quick);
    if (thread_ratio(s, 0, n, &r, &rate1, &rate2, &util, &vcsw) != 0) {
        bench_figure_set(f, VERDICT_ERROR, "a call failed (see the log)");
        return -1;
    }
    spin_after = machine_parallelism(s->quick);
    spin = spin_before < spin_after ? spin_before : spin_after;
    verdict = judge_min(s, r.median, 1.5);
    /* When the machine itself cannot run two threads at once, the figure
     * says nothing about the plugin: report it as such. */
    if (verdict == VERDICT_FAIL && spin < 1.6)
        verdict = VERDICT_INCONCLUSIVE;
    bench_figure_set(f, verdict,
                     "%.2f× (%.2f–%.2f), %d rounds × %ld calls; a pure CPU loop got %.2f× from "
                     "two threads meanwhile",
                     r.median, r.min, r.max, s->rounds > 64 ? 64 : s->rounds, n, spin);
    bench_detail(s, "status calls: %.0f/s with one thread, %.0f/s with two; the sandbox used "
                    "%.0f%% of a core meanwhile",
                 rate1, rate2, util * 100.0);
    bench_note_load(s, rate2, util, "status calls, two threads");
    threads_with_latency(s);
    if (thread_ratio(s, 1, ncap, &r, &rate1, &rate2, &util, &vcsw) != 0)
        return -1;
    bench_detail(s,
                 "capabilities (no network, all plugin CPU): %.0f/s with one thread, %.0f/s with "
                 "two, %.2f× (%.2f–%.2f); %.4f voluntary context switches per call with two "
                 "threads (a contended lock would block about once per call)",
                 rate1, rate2, r.median, r.min, r.max, vcsw);
    return 0;
}

/* ------------------------------------------------------------------------
 * dlopen + init in a fresh process, and the calls after it
 * ---------------------------------------------------------------------- */

/* One init-probe child; fills v[0..4]. Returns 0 or -1. */
static int init_probe(bench_suite *s, const char *ca_file, int run, double v[5])
{
    char prefix[40], *out = NULL;
    char *argv[16];
    int a = 0, ok;

    (void)snprintf(prefix, sizeof(prefix), "IP%d-%s-", run, s->run_id);
    argv[a++] = (char *)s->self_path;
    argv[a++] = "init-probe";
    argv[a++] = "--plugin";
    argv[a++] = (char *)s->plugin_path;
    argv[a++] = "--url";
    argv[a++] = s->url;
    argv[a++] = "--ca";
    argv[a++] = (char *)ca_file;
    argv[a++] = "--buyer";
    argv[a++] = s->buyer_id;
    argv[a++] = "--prefix";
    argv[a++] = prefix;
    argv[a] = NULL;
    ok = bench_run_child(argv, &out, 0) == 0 && out != NULL &&
         sscanf(out, "%lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4]) == 5;
    free(out);
    return ok ? 0 : -1;
}

/* The system CA bundle plus the sandbox's CA, in one file: what a plugin
 * pointed at a real gateway with the system store parses. */
static int big_ca_file(const bench_suite *s, char *path, size_t size)
{
    static const char *const bundles[] = {"/etc/ssl/certs/ca-certificates.crt",
                                          "/etc/pki/tls/certs/ca-bundle.crt", NULL};
    const char *parts[2] = {NULL, NULL};
    FILE *out;
    int i, k, certs = 0;

    for (i = 0; bundles[i] != NULL && parts[0] == NULL; i++)
        if (access(bundles[i], R_OK) == 0)
            parts[0] = bundles[i];
    if (parts[0] == NULL)
        return -1;
    parts[1] = s->ca_file;
    (void)snprintf(path, size, "%s/big-ca.pem", s->workdir);
    out = fopen(path, "w");
    if (out == NULL)
        return -1;
    for (k = 0; k < 2; k++) {
        FILE *in = fopen(parts[k], "r");
        char line[1024];

        if (in == NULL) {
            (void)fclose(out);
            return -1;
        }
        while (fgets(line, sizeof(line), in) != NULL) {
            certs += strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0;
            (void)fputs(line, out);
        }
        (void)fclose(in);
    }
    return fclose(out) == 0 ? certs : -1;
}

int fig_init(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "init", "dlopen + init with a full configuration, in a fresh process", "report (ms)");
    int runs = s->quick ? 2 : 9, i, ok = 0, certs;
    double v[5][16], one[5];
    bench_stat st[5];
    char big[600];
    int k;

    for (i = 0; i < runs; i++) {
        if (init_probe(s, s->ca_file, i, one) != 0) {
            bench_figure_set(f, VERDICT_ERROR, "the init probe failed");
            return -1;
        }
        for (k = 0; k < 5; k++)
            v[k][ok] = one[k];
        ok++;
    }
    for (k = 0; k < 5; k++)
        st[k] = bench_stat_of(v[k], (size_t)ok);
    bench_figure_set(f, s->quick ? VERDICT_SMOKE : VERDICT_INFO, "%.2f ms (%.2f–%.2f), %d processes",
                     st[0].median, st[0].min, st[0].max, ok);
    bench_detail(s,
                 "after init: first authorize %.2f ms (new TLS connection, CA file parsed once), "
                 "second %.2f ms; a second context: init %.3f ms, its first authorize %.2f ms "
                 "(connection and CA store reused across contexts)",
                 st[1].median, st[2].median, st[3].median, st[4].median);

    /* The same with a CA file of the whole system store: parsing it costs
     * tens of milliseconds, so any per-call or per-context parse shows. */
    certs = big_ca_file(s, big, sizeof(big));
    ok = 0;
    for (i = 0; certs > 0 && i < (s->quick ? 1 : 5); i++) {
        if (init_probe(s, big, 100 + i, one) != 0)
            break;
        for (k = 0; k < 5; k++)
            v[k][ok] = one[k];
        ok++;
    }
    if (ok > 0) {
        for (k = 0; k < 5; k++)
            st[k] = bench_stat_of(v[k], (size_t)ok);
        bench_detail(s,
                     "with a %d-certificate CA file (the system bundle plus the sandbox's CA): "
                     "init %.2f ms, first authorize %.2f ms (the bundle parsed), second %.2f ms; "
                     "a second context: init %.3f ms, its first authorize %.2f ms (not parsed "
                     "again)",
                     certs, st[0].median, st[1].median, st[2].median, st[3].median, st[4].median);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * the sandbox's own capacity
 * ---------------------------------------------------------------------- */

static double wrk_capacity(bench_suite *s)
{
    char wrk[512], script[600], url[256], *out = NULL;
    char *argv[16];
    const char *p;
    double rps = -1;
    FILE *f;

    if (find_program("wrk", wrk, sizeof(wrk)) != 0)
        return -1;
    (void)snprintf(script, sizeof(script), "%s/search.lua", s->workdir);
    f = fopen(script, "w");
    if (f == NULL)
        return -1;
    (void)fprintf(f,
                  "wrk.method = \"POST\"\n"
                  "wrk.body = \"ShopID=" BENCH_SHOP_ID "&ShopPass=" BENCH_SHOP_PASS
                  "&OrderID=%s&PayType=29\"\n"
                  "wrk.headers[\"Content-Type\"] = "
                  "\"application/x-www-form-urlencoded;charset=Windows-31J\"\n",
                  s->status_order);
    (void)fclose(f);
    (void)snprintf(url, sizeof(url), "%sSearchTradeMulti.idPass", s->url);
    argv[0] = wrk;
    argv[1] = "-t2";
    argv[2] = "-c8";
    argv[3] = s->quick ? "-d1s" : "-d4s";
    argv[4] = "-s";
    argv[5] = script;
    argv[6] = url;
    argv[7] = NULL;
    if (bench_run_child(argv, &out, 1) == 0 && out != NULL &&
        (p = strstr(out, "Requests/sec:")) != NULL)
        rps = strtod(p + 13, NULL);
    free(out);
    return rps;
}

int fig_sandbox_capacity(bench_suite *s)
{
    bench_figure *f = bench_figure_add(
        s, "sandbox",
        "the sandbox's capacity (requests/s it serves to parallel clients) vs the baseline's "
        "sequential request rate",
        "≥ 1.5× (the baseline is not limited by it)");
    bench_baseline b[4];
    pthread_t t[4];
    worker w[4];
    double t0, wall, c0, c1, rps, wrk, load, per_core;
    long total = 0;
    int i, opened = 0, started = 0, failed = 0;

    for (i = 0; i < 4; i++) {
        if (bench_baseline_open(&b[i], s->url, s->ca_file) != 0)
            break;
        opened++;
    }
    if (opened != 4)
        goto fail;
    c0 = sandbox_cpu(s);
    t0 = bench_now();
    for (i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].s = s;
        w[i].base = &b[i];
        w[i].deadline = t0 + (s->quick ? 0.3 : 4.0);
        if (pthread_create(&t[i], NULL, worker_run, &w[i]) != 0)
            break;
        started++;
    }
    for (i = 0; i < started; i++) {
        (void)pthread_join(t[i], NULL);
        failed |= w[i].failed;
        total += w[i].done;
    }
    wall = bench_now() - t0;
    c1 = sandbox_cpu(s);
    if (started != 4 || failed)
        goto fail;
    for (i = 0; i < opened; i++)
        bench_baseline_close(&b[i]);
    rps = (double)total / wall;
    wrk = wrk_capacity(s);
    if (wrk > 0)
        bench_detail(s, "wrk (2 threads, 8 connections, SearchTradeMulti): %.0f requests/s", wrk);
    else
        bench_detail(s, "wrk is not installed; capacity measured with 4 raw-libcurl threads only");
    per_core = (c1 - c0) > 0 ? (double)total / (c1 - c0) : 0;
    bench_detail(s,
                 "sandbox under 4 raw-libcurl clients: %.0f requests/s (clients and sandbox "
                 "share the 2 cores), %.0f µs of sandbox CPU per request, i.e. %.0f requests/s "
                 "per core of sandbox CPU",
                 rps, (c1 - c0) / (double)total * 1e6, per_core);
    {
        bench_buf b2 = {0};
        int k;

        for (k = 0; k < s->nloads; k++) {
            if (s->loads[k].busy >= 0)
                (void)bench_buf_printf(&b2, "%s%s: %.0f requests/s, sandbox %.0f%% busy",
                                       k ? "; " : "", s->loads[k].what, s->loads[k].rps,
                                       s->loads[k].busy * 100.0);
            else
                (void)bench_buf_printf(&b2, "%s%s: %.0f requests/s", k ? "; " : "",
                                       s->loads[k].what, s->loads[k].rps);
        }
        if (b2.data != NULL)
            bench_detail(s,
                         "the sandbox's own rate under each load of the suite (busy = CPU "
                         "seconds per second, 100%% = one core): %s",
                         b2.data);
        bench_buf_free(&b2);
    }
    if (wrk > rps)
        rps = wrk;
    load = s->baseline_rps;
    if (load <= 0) {
        bench_figure_set(f, s->quick ? VERDICT_SMOKE : VERDICT_INFO, "%.0f requests/s", rps);
        return 0;
    }
    bench_figure_set(f, judge_min(s, rps / load, 1.5),
                     "%.1f× (%.0f requests/s from parallel clients vs the baseline's %.0f/s)",
                     rps / load, rps, load);
    return 0;
fail:
    for (i = 0; i < opened; i++)
        bench_baseline_close(&b[i]);
    bench_figure_set(f, VERDICT_ERROR, "a request failed (see the log)");
    return -1;
}
