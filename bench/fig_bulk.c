/*
 * fig_bulk.c - the month-end batch: `pmp-host bulk` running shipping reports
 * against the sandbox with latency added to every request (by the sandbox's
 * own fault injection, or by a proxy when the sandbox has none), N at a
 * time vs one at a time, then checked against the sandbox's own records
 * (every order captured exactly once).
 */
#include "bench.h"
#include "sandbox_admin.h"
#include "sandbox_proc.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The port of "https://127.0.0.1:PORT/...". */
static int port_of(const char *url)
{
    const char *p = strstr(url, "://");
    const char *colon = p != NULL ? strchr(p + 3, ':') : NULL;

    return colon != NULL ? atoi(colon + 1) : -1;
}

/* Writes text to path. Returns 0 or -1. */
static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL)
        return -1;
    ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int run_gen(bench_suite *s, const char *dir, const char *prefix, int orders)
{
    char n[24];
    char *argv[12];

    (void)snprintf(n, sizeof(n), "%d", orders);
    argv[0] = "/bin/sh";
    argv[1] = (char *)s->gen_path;
    argv[2] = "--orders";
    argv[3] = n;
    argv[4] = "--prefix";
    argv[5] = (char *)prefix;
    argv[6] = "--fixed-at";
    argv[7] = "2026-12-03";
    argv[8] = (char *)dir;
    argv[9] = NULL;
    return bench_run_child(argv, NULL, 1) == 0 ? 0 : -1;
}

/* pmp-host --config CFG bulk IN --concurrency N --out OUT --progress none.
 * Returns the exit status and the wall time in *secs. */
static int run_bulk(bench_suite *s, const char *cfg, const char *in, int concurrency,
                    const char *out, double *secs)
{
    char j[16];
    char *argv[16];
    double t0;
    int rc;

    (void)snprintf(j, sizeof(j), "%d", concurrency);
    argv[0] = (char *)s->host_path;
    argv[1] = "--plugin";
    argv[2] = (char *)s->plugin_path;
    argv[3] = "--config";
    argv[4] = (char *)cfg;
    argv[5] = "bulk";
    argv[6] = (char *)in;
    argv[7] = "--concurrency";
    argv[8] = j;
    argv[9] = "--out";
    argv[10] = (char *)out;
    argv[11] = "--progress";
    argv[12] = "none";
    argv[13] = NULL;
    t0 = bench_now();
    rc = bench_run_child(argv, NULL, 0);
    *secs = bench_now() - t0;
    if (rc != 0)
        (void)fprintf(stderr, "pmp-bench: pmp-host bulk %s exited with %d\n", in, rc);
    return rc;
}

/* Counts result lines of a bulk run: total and those with rc 0 and the
 * wanted status. */
static int count_results(const char *path, const char *want, long *total, long *good)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;

    *total = *good = 0;
    if (f == NULL)
        return -1;
    while (getline(&line, &cap, f) > 0) {
        json_object *o = json_tokener_parse(line), *v = NULL;

        (*total)++;
        if (o != NULL && json_object_object_get_ex(o, "rc", &v) && json_object_get_int(v) == 0 &&
            json_object_object_get_ex(o, "status", &v) &&
            strcmp(json_object_get_string(v), want) == 0)
            (*good)++;
        json_object_put(o);
    }
    free(line);
    (void)fclose(f);
    return 0;
}

/* Asks the sandbox to hold every protocol answer ms milliseconds
 * (delay_after_commit for any operation; sandbox/README.md, fault
 * injection). Returns 0, or -1 when this sandbox cannot (then the proxy
 * adds the latency). */
static int sandbox_latency(host_admin *admin, int ms)
{
    json_object *doc = NULL;
    char path[128], msg[512];

    (void)snprintf(path, sizeof(path),
                   "_sandbox/faults?op=*&kind=delay_after_commit&count=100000&delay_ms=%d", ms);
    if (host_admin_call(admin, "POST", path, &doc, msg, sizeof(msg)) != 0)
        return -1;
    json_object_put(doc);
    return 0;
}

static void sandbox_latency_off(host_admin *admin)
{
    json_object *doc = NULL;
    char msg[512];

    if (host_admin_call(admin, "DELETE", "_sandbox/faults", &doc, msg, sizeof(msg)) == 0)
        json_object_put(doc);
}

/* The highest request-log sequence of the sandbox so far. */
static long long log_mark(host_admin *admin)
{
    json_object *doc = NULL, *v = NULL;
    char msg[512];
    long long mark = -1;

    if (host_admin_call(admin, "GET", "_sandbox/requests?since=1000000000000", &doc, msg,
                        sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: %s\n", msg);
        return -1;
    }
    if (json_object_object_get_ex(doc, "last_seq", &v))
        mark = json_object_get_int64(v);
    json_object_put(doc);
    return mark;
}

static int has_prefix(const char *s, const char *p)
{
    return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

/* Checks the sandbox: since mark, PaidSales exactly once per order of the
 * two prefixes, none refused; and every such order is SALES. */
static int check_sandbox(bench_suite *s, host_admin *admin, long long mark, const char *pfx_a,
                         const char *pfx_b, long expect, char *report, size_t report_size)
{
    json_object *doc = NULL, *list = NULL;
    char path[96], msg[512];
    long sales_req = 0, refused = 0, twice = 0, sales_state = 0, orders = 0;
    size_t i, n;
    json_object *seen;

    (void)s;
    (void)snprintf(path, sizeof(path), "_sandbox/requests?since=%lld", mark);
    if (host_admin_call(admin, "GET", path, &doc, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: %s\n", msg);
        return -1;
    }
    seen = json_object_new_object();
    if (seen == NULL || !json_object_object_get_ex(doc, "requests", &list)) {
        json_object_put(seen);
        json_object_put(doc);
        return -1;
    }
    n = json_object_array_length(list);
    for (i = 0; i < n; i++) {
        json_object *r = json_object_array_get_idx(list, i), *v = NULL;
        const char *op, *order, *info;
        json_object *count = NULL;

        op = json_object_object_get_ex(r, "op", &v) ? json_object_get_string(v) : "";
        order = json_object_object_get_ex(r, "order_id", &v) ? json_object_get_string(v) : "";
        info = json_object_object_get_ex(r, "err_info", &v) ? json_object_get_string(v) : "";
        if (strcmp(op, "PaidSales") != 0 || !(has_prefix(order, pfx_a) || has_prefix(order, pfx_b)))
            continue;
        if (info != NULL && info[0] != '\0') {
            refused++;
            continue;
        }
        sales_req++;
        if (json_object_object_get_ex(seen, order, &count)) {
            twice++;
            continue;
        }
        (void)json_object_object_add(seen, order, json_object_new_int(1));
    }
    json_object_put(doc);
    json_object_put(seen);

    doc = NULL;
    if (host_admin_call(admin, "GET", "_sandbox/transactions", &doc, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: %s\n", msg);
        return -1;
    }
    if (json_object_object_get_ex(doc, "transactions", &list)) {
        n = json_object_array_length(list);
        for (i = 0; i < n; i++) {
            json_object *t = json_object_array_get_idx(list, i), *v = NULL;
            const char *order, *st;

            order = json_object_object_get_ex(t, "order_id", &v) ? json_object_get_string(v) : "";
            if (!(has_prefix(order, pfx_a) || has_prefix(order, pfx_b)))
                continue;
            orders++;
            st = json_object_object_get_ex(t, "status", &v) ? json_object_get_string(v) : "";
            sales_state += st != NULL && strcmp(st, "SALES") == 0;
        }
    }
    json_object_put(doc);
    (void)snprintf(report, report_size,
                   "sandbox: %ld PaidSales accepted for %ld orders (%ld repeated, %ld refused); "
                   "%ld of %ld orders in state SALES",
                   sales_req, expect, twice, refused, sales_state, orders);
    return sales_req == expect && twice == 0 && refused == 0 && sales_state == expect &&
                   orders == expect
               ? 0
               : 1;
}

int fig_bulk(bench_suite *s)
{
    char name[160], target[96];
    bench_figure *f;
    char dir_seq[600], dir_con[600], in[700], out_seq[700], out_con[700], res[700];
    char cfg_direct[600], cfg_slow[600], url[128], pfx_seq[24], pfx_con[24], report[512];
    char *slow = NULL, *direct = NULL, msg[512], sbx_dir[600];
    const char *latency_by = "", *cfg_bulk;
    host_sandbox sb;
    bench_proxy *px = NULL;
    host_admin *admin = NULL;
    double t, t_seq, t_con, c0, c1, rate_seq, rate_con;
    long long mark;
    long total, good_seq, good_con;
    int port, rc, checked;

    memset(&sb, 0, sizeof(sb));
    (void)snprintf(name, sizeof(name),
                   "%d shipping reports (capture) by `pmp-host bulk`, %d ms added to every "
                   "request: %d at a time vs one at a time",
                   s->bulk_orders, s->bulk_latency_ms, s->bulk_concurrency);
    (void)snprintf(target, sizeof(target), "≥ 10×, 0 errors, every order captured once");
    /* The figure keeps pointers to its texts: give it storage that lives. */
    {
        static char name_store[160], target_store[96];

        memcpy(name_store, name, sizeof(name_store));
        memcpy(target_store, target, sizeof(target_store));
        f = bench_figure_add(s, "bulk", name_store, target_store);
    }

    (void)snprintf(dir_seq, sizeof(dir_seq), "%s/bulk-seq", s->workdir);
    (void)snprintf(dir_con, sizeof(dir_con), "%s/bulk", s->workdir);
    (void)snprintf(pfx_seq, sizeof(pfx_seq), "BS%s", s->run_id);
    (void)snprintf(pfx_con, sizeof(pfx_con), "BC%s", s->run_id);
    (void)snprintf(cfg_direct, sizeof(cfg_direct), "%s/direct.yaml", s->workdir);
    (void)snprintf(cfg_slow, sizeof(cfg_slow), "%s/latency.yaml", s->workdir);
    /* A sandbox of its own: the orders of the other figures must not make
     * this one's look-ups slower. */
    (void)snprintf(sbx_dir, sizeof(sbx_dir), "%s/bulk-sandbox", s->workdir);
    msg[0] = '\0';
    if (mkdir(sbx_dir, 0700) != 0 ||
        host_sandbox_start(&sb, s->sandbox_path, sbx_dir, 20000, NULL, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: bulk sandbox: %s\n", msg);
        bench_figure_set(f, VERDICT_ERROR, "could not start a sandbox for the bulk run");
        (void)host_sandbox_stop(&sb);
        return -1;
    }
    direct = bench_config_text(sb.url, sb.ca_file, NULL);
    if (direct == NULL || run_gen(s, dir_seq, pfx_seq, s->bulk_seq_orders) != 0 ||
        run_gen(s, dir_con, pfx_con, s->bulk_orders) != 0 ||
        write_text(cfg_direct, direct) != 0) {
        bench_figure_set(f, VERDICT_ERROR, "could not write the test data");
        free(direct);
        (void)host_sandbox_stop(&sb);
        return -1;
    }

    /* The orders: enrolled and authorized directly (no latency), 8 at a
     * time; this is itself a bulk run. */
    (void)fprintf(stderr, "pmp-bench: bulk: enrolling and authorizing %d + %d orders\n",
                  s->bulk_seq_orders, s->bulk_orders);
    {
        const char *dirs[2] = {dir_seq, dir_con};
        int k;

        for (k = 0; k < 2; k++) {
            (void)snprintf(in, sizeof(in), "%s/enroll.jsonl", dirs[k]);
            (void)snprintf(res, sizeof(res), "%s/enroll.out", dirs[k]);
            if (run_bulk(s, cfg_direct, in, 4, res, &t) != 0)
                goto fail_setup;
            (void)snprintf(in, sizeof(in), "%s/authorize.jsonl", dirs[k]);
            (void)snprintf(res, sizeof(res), "%s/authorize.out", dirs[k]);
            if (run_bulk(s, cfg_direct, in, 8, res, &t) != 0)
                goto fail_setup;
            if (k == 1)
                bench_detail(s, "bulk set-up: %d authorizes by `pmp-host bulk -j 8` without "
                                "added latency in %.1f s (%.0f/s)",
                             s->bulk_orders, t, (double)s->bulk_orders / t);
        }
    }

    if (host_admin_open(sb.url, sb.ca_file, &admin, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: %s\n", msg);
        goto fail_setup;
    }
    mark = log_mark(admin);
    if (mark < 0)
        goto fail_setup;
    /* The latency: the sandbox holds each answer itself when it can (its
     * fault injection), else a proxy holds each request. */
    if (s->bulk_latency_by_sandbox && sandbox_latency(admin, s->bulk_latency_ms) == 0) {
        latency_by = "the sandbox holds every answer (fault delay_after_commit on every "
                     "operation)";
        cfg_bulk = cfg_direct;
    } else {
        if (bench_proxy_start(port_of(sb.url), s->bulk_latency_ms, &px, &port) != 0)
            goto fail_setup;
        (void)snprintf(url, sizeof(url), "https://127.0.0.1:%d/payment/", port);
        slow = bench_config_text(url, sb.ca_file, NULL);
        if (slow == NULL || write_text(cfg_slow, slow) != 0)
            goto fail_setup;
        latency_by = "a loopback proxy holds every request the client sends for that long "
                     "(--bulk-latency-by sandbox lets the sandbox hold its answers instead)";
        cfg_bulk = cfg_slow;
    }

    (void)fprintf(stderr, "pmp-bench: bulk: %d shipping reports one at a time\n",
                  s->bulk_seq_orders);
    (void)snprintf(in, sizeof(in), "%s/capture.csv", dir_seq);
    (void)snprintf(out_seq, sizeof(out_seq), "%s/capture.out", dir_seq);
    if (run_bulk(s, cfg_bulk, in, 1, out_seq, &t_seq) != 0)
        goto fail_run;
    (void)fprintf(stderr, "pmp-bench: bulk: %d shipping reports, %d at a time\n", s->bulk_orders,
                  s->bulk_concurrency);
    (void)snprintf(in, sizeof(in), "%s/capture.csv", dir_con);
    (void)snprintf(out_con, sizeof(out_con), "%s/capture.out", dir_con);
    c0 = bench_proc_cpu_seconds((long)sb.pid);
    if (run_bulk(s, cfg_bulk, in, s->bulk_concurrency, out_con, &t_con) != 0)
        goto fail_run;
    c1 = bench_proc_cpu_seconds((long)sb.pid);
    sandbox_latency_off(admin);
    bench_proxy_stop(px);
    px = NULL;

    if (count_results(out_seq, "captured", &total, &good_seq) != 0 ||
        total != s->bulk_seq_orders || count_results(out_con, "captured", &total, &good_con) != 0 ||
        total != s->bulk_orders) {
        bench_figure_set(f, VERDICT_ERROR, "result files are incomplete");
        goto fail;
    }
    checked = check_sandbox(s, admin, mark, pfx_seq, pfx_con,
                            (long)s->bulk_seq_orders + s->bulk_orders, report, sizeof(report));
    host_admin_close(admin);
    admin = NULL;
    free(slow);
    free(direct);
    (void)host_sandbox_stop(&sb);
    rate_seq = (double)s->bulk_seq_orders / t_seq;
    rate_con = (double)s->bulk_orders / t_con;
    bench_note_load(s, 2.0 * rate_con, (c1 - c0) / t_con, "bulk captures, 32 in flight");
    {
        long errors = (s->bulk_seq_orders - good_seq) + (s->bulk_orders - good_con);
        int ok = errors == 0 && checked == 0;

        bench_figure_set(f,
                         !ok ? (s->quick ? VERDICT_ERROR : VERDICT_FAIL)
                         : s->quick ? VERDICT_SMOKE
                         : rate_con / rate_seq >= 10.0 ? VERDICT_PASS
                                                       : VERDICT_FAIL,
                         "%.1f× (%.0f vs %.1f captures/s), %ld errors, %s", rate_con / rate_seq,
                         rate_con, rate_seq, errors,
                         checked == 0 ? "each order captured once" : "NOT captured exactly once");
        bench_detail(s,
                     "bulk: %d captures one at a time in %.1f s (%.1f ms each: SearchTradeMulti + "
                     "PaidSales, %d ms added to each); %d at %d in flight in %.1f s; sandbox "
                     "busy %.0f%% of one core meanwhile",
                     s->bulk_seq_orders, t_seq, t_seq / s->bulk_seq_orders * 1e3,
                     s->bulk_latency_ms, s->bulk_orders, s->bulk_concurrency, t_con,
                     (c1 - c0) / t_con * 100.0);
        bench_detail(s, "%s", report);
        bench_detail(s, "bulk latency: %s", latency_by);
    }
    return 0;

fail_setup:
    bench_figure_set(f, VERDICT_ERROR, "setting up the orders failed (see the log)");
    goto fail;
fail_run:
    bench_figure_set(f, VERDICT_ERROR, "a bulk run failed (see the log)");
fail:
    rc = -1;
    if (admin != NULL)
        sandbox_latency_off(admin);
    bench_proxy_stop(px);
    host_admin_close(admin);
    free(slow);
    free(direct);
    (void)host_sandbox_stop(&sb);
    return rc;
}
