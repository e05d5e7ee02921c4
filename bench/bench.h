/*
 * bench.h - internals of pmp-bench, the benchmark suite of the Paid plugin.
 * Not installed, not API.
 *
 * Every figure is a ratio to a baseline measured in the same run: a client
 * written directly on libcurl with one reused easy handle that sends the
 * same form bodies to the same sandbox (baseline.c). Wall-time ratios are
 * taken per round with the two clients interleaved (ABBA), and reported as
 * the median and min-max over the rounds; client instruction counts come
 * from callgrind where timing noise would hide the answer.
 */
#ifndef PMP_BENCH_H
#define PMP_BENCH_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "pmp.h"
#include "pmp_loader.h"

#if defined(__GNUC__) || defined(__clang__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BENCH_PRINTF(f, a)
#endif

/* The sandbox's built-in shop (sandbox/README.md). */
#define BENCH_SHOP_ID "tshop00000001"
#define BENCH_SHOP_PASS "sbxpass01"

/* ------------------------------------------------------------------------
 * Time and statistics (stats.c)
 * ---------------------------------------------------------------------- */

/* Monotonic clock in seconds. */
double bench_now(void);
/* Sleeps for ms milliseconds (restarts after signals). */
void bench_sleep_ms(long ms);

typedef struct bench_stat {
    double median, min, max;
    size_t n;
} bench_stat;

/* Median and range of v[0..n) (v is sorted in place). n == 0 gives zeros. */
bench_stat bench_stat_of(double *v, size_t n);

/* Peak resident set of this process in KiB (VmHWM), or -1. */
long bench_peak_rss_kib(void);
/* CPU seconds (user + system) this process has used so far. */
double bench_self_cpu_seconds(void);
/* CPU seconds (user + system) a process has used so far, from
 * /proc/<pid>/stat, or -1. */
double bench_proc_cpu_seconds(long pid);

/* ------------------------------------------------------------------------
 * Growable byte buffer (stats.c)
 * ---------------------------------------------------------------------- */

typedef struct bench_buf {
    char *data;
    size_t len, cap;
} bench_buf;

int bench_buf_append(bench_buf *b, const void *p, size_t n);
int bench_buf_printf(bench_buf *b, const char *fmt, ...) BENCH_PRINTF(2, 3);
void bench_buf_free(bench_buf *b);

/* ------------------------------------------------------------------------
 * The baseline: raw libcurl, one reused easy handle (baseline.c)
 * ---------------------------------------------------------------------- */

typedef struct bench_baseline {
    CURL *easy;
    struct curl_slist *headers;
    char *base_url;
    bench_buf body;      /* response body of the last request */
    long connects;       /* CURLINFO_NUM_CONNECTS summed */
    char errbuf[CURL_ERROR_SIZE];
    /* Body through a read callback that cannot rewind (as the plugin sends
     * it) instead of CURLOPT_POSTFIELDS; set before the first request. */
    int read_callback;
    const char *up_data;
    size_t up_len, up_pos;
} bench_baseline;

/* Sets up the handle with the same options and headers the plugin's
 * transport uses. The caller has called curl_global_init(). Returns 0 or -1
 * with a message on stderr. */
int bench_baseline_open(bench_baseline *b, const char *base_url, const char *ca_file);
void bench_baseline_close(bench_baseline *b);

/* EntryTranPaid + ExecTranPaid with the byte-identical bodies the plugin
 * sends for {"order_id","buyer_id","amount","tax"}. Returns 0 when the order
 * is AUTH, else -1 with a message on stderr. */
int bench_baseline_authorize(bench_baseline *b, const char *order_id, const char *buyer_id,
                             long amount, long tax);
/* SearchTradeMulti for order_id (the plugin's status). Returns 0 or -1. */
int bench_baseline_status(bench_baseline *b, const char *order_id);

/* ------------------------------------------------------------------------
 * A loopback TCP proxy that counts connections and can hold every chunk the
 * client sends for delay_ms before forwarding it (proxy.c)
 * ---------------------------------------------------------------------- */

typedef struct bench_proxy bench_proxy;

/* Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:target_port.
 * Returns 0 and the port in *port, or -1 with a message on stderr. */
int bench_proxy_start(int target_port, int delay_ms, bench_proxy **out, int *port);
/* Connections accepted so far. */
long bench_proxy_connections(bench_proxy *p);
/* Stops accepting, closes every connection, joins the threads. NULL is a
 * no-op. */
void bench_proxy_stop(bench_proxy *p);

/* ------------------------------------------------------------------------
 * The plugin through the ABI (plugin.c)
 * ---------------------------------------------------------------------- */

/* The configuration text a context gets: every section of
 * config.yaml.example, pointed at base_url / ca_file. extra (may be NULL) is
 * appended under "paid:" (e.g. "  notify:\n    confirm: false\n"). The
 * returned heap string is freed by the caller. */
char *bench_config_text(const char *base_url, const char *ca_file, const char *paid_extra);

typedef struct bench_plugin {
    pmp_loader *loader;
    const pmp_api *api;
} bench_plugin;

int bench_plugin_open(bench_plugin *p, const char *path);
void bench_plugin_close(bench_plugin *p);
/* New context from config text; NULL with a message on stderr. */
pmp_loader_ctx *bench_ctx_open(const bench_plugin *p, const char *config);

/* One operation; returns the PMP code. When want_status is not NULL the
 * result's status must equal it, else -100 is returned (message on
 * stderr). */
int32_t bench_call(const bench_plugin *p, pmp_loader_ctx *c, pmp_operation_fn fn,
                   const char *request, size_t len, const char *want_status);

/* Convenience wrappers building the request JSON. */
int32_t bench_authorize(const bench_plugin *p, pmp_loader_ctx *c, const char *order_id,
                        const char *buyer_id, long amount, long tax);
int32_t bench_status(const bench_plugin *p, pmp_loader_ctx *c, const char *order_id);
/* Enrolls buyer_id with an e-mail address that gets a 10,000,000 JPY line. */
int32_t bench_enroll(const bench_plugin *p, pmp_loader_ctx *c, const char *buyer_id);

/* A result notification body as docs/protocol.md section 7 describes it
 * (an order in SALES). Returns its length, or -1 when buf is too small. */
int bench_notify_body(const char *order_id, const char *buyer_id, char *buf, size_t size);
/* A JSON object of exactly len bytes made of the same names and values as
 * the form, padded: what "one json-c parse of a body of the same size"
 * parses. Returns 0 or -1. */
int bench_notify_json(const char *form, size_t len, char *buf, size_t size);
/* The paid: section extra for notify without inquiry. */
#define BENCH_NOTIFY_NO_CONFIRM "  notify:\n    confirm: false\n"

/* ------------------------------------------------------------------------
 * The suite (main.c, figures.c, report.c)
 * ---------------------------------------------------------------------- */

#define VERDICT_PASS 0
#define VERDICT_FAIL 1
#define VERDICT_INFO 2    /* reported, no target */
#define VERDICT_PENDING 3 /* the feature is not there yet */
#define VERDICT_SKIP 4    /* could not be measured here (tool missing) */
#define VERDICT_SMOKE 5   /* --quick: measured, not judged */
#define VERDICT_ERROR 6   /* the measurement itself failed */
#define VERDICT_INCONCLUSIVE 7 /* missed, but the machine could not do better */

typedef struct bench_figure {
    const char *id;
    const char *name;
    const char *target;
    char measured[200];
    int verdict;
    double sort_key; /* unused by the report; handy in tests */
} bench_figure;

#define BENCH_MAX_FIGURES 16
#define BENCH_MAX_DETAILS 64

typedef struct bench_suite {
    /* options */
    const char *plugin_path;
    const char *sandbox_path;
    const char *host_path; /* pmp-host, for the bulk figure */
    const char *gen_path;  /* bench/gen-bulk-data.sh */
    const char *self_path; /* this executable, for child processes */
    const char *markdown;  /* docs/performance.md to update, or NULL */
    const char *label;     /* e.g. the git revision */
    const char *only;      /* comma-separated figure ids, or NULL */
    int quick;
    int callgrind;
    int keep;
    int rounds;
    int bulk_orders;
    int bulk_seq_orders;
    int bulk_latency_ms;
    int bulk_concurrency;
    int bulk_latency_by_sandbox; /* the sandbox's delay fault, not the proxy */

    /* state */
    char *workdir;
    long sandbox_pid;
    char *url, *ca_file;
    int sandbox_port;
    char run_id[12];
    bench_plugin plug;
    char *config; /* direct to the sandbox */
    pmp_loader_ctx *ctx;
    char buyer_id[24];
    char status_order[32]; /* an authorized order for status calls */

    /* the loads the suite put on the sandbox: requests/s and how busy the
     * sandbox was meanwhile (CPU seconds per second; < 0 unknown) */
    struct {
        const char *what;
        double rps, busy;
    } loads[8];
    int nloads;
    double baseline_rps; /* the baseline's sequential requests/s */
    double sandbox_cpu_us_per_req;

    bench_figure figures[BENCH_MAX_FIGURES];
    int nfigures;
    char *details[BENCH_MAX_DETAILS];
    int ndetails;
    int functional_errors;
} bench_suite;

/* Adds a figure; returns it for the measurement to fill. */
bench_figure *bench_figure_add(bench_suite *s, const char *id, const char *name,
                               const char *target);
/* Sets measured text and a verdict. */
void bench_figure_set(bench_figure *f, int verdict, const char *fmt, ...) BENCH_PRINTF(3, 4);
/* A line for the details section. */
void bench_detail(bench_suite *s, const char *fmt, ...) BENCH_PRINTF(2, 3);
/* Whether figure id is selected by --only. */
int bench_selected(const bench_suite *s, const char *id);
/* Records a load on the sandbox and how busy it kept the sandbox. */
void bench_note_load(bench_suite *s, double rps, double busy, const char *what);
/* A new unique order ID "<tag>-<run>-<n>". */
void bench_order_id(bench_suite *s, const char *tag, char *buf, size_t size);

/* Figures (figures.c); each adds its figure(s) and returns 0, or -1 when
 * the measurement could not be made at all. */
int fig_authorize_wall(bench_suite *s);
int fig_authorize_callgrind(bench_suite *s);
int fig_connections(bench_suite *s);
int fig_fresh_context(bench_suite *s);
int fig_notify(bench_suite *s);
int fig_rss(bench_suite *s);
int fig_threads(bench_suite *s);
int fig_init(bench_suite *s);
int fig_bulk(bench_suite *s);
int fig_sandbox_capacity(bench_suite *s);

/* Child-process modes (child.c): pmp-bench client|rss|init-probe ... */
int bench_child_main(int argc, char **argv);

/* Report (report.c): prints the table and, when s->markdown is set,
 * replaces the generated block of that file. Returns 0 or -1. */
int bench_report(const bench_suite *s);

/* ------------------------------------------------------------------------
 * Child processes (main.c)
 * ---------------------------------------------------------------------- */

/* Runs argv (argv[0] a path), stdout captured into *out (NUL-terminated,
 * caller frees) when out is not NULL, stderr inherited (or sent to
 * /dev/null when quiet_stderr). Returns the exit status (0..255), or -1
 * when it could not run or was killed. */
int bench_run_child(char *const argv[], char **out, int quiet_stderr);

#endif /* PMP_BENCH_H */
