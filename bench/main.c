/*
 * main.c - pmp-bench: the benchmark suite of the Paid plugin.
 *
 *   pmp-bench [--quick] [--markdown FILE] [--only ID,...] [--no-callgrind]
 *             [--rounds N] [--bulk-orders N] [--bulk-sequential N]
 *             [--bulk-latency-ms N] [--bulk-concurrency N] [--label TEXT]
 *             [--keep] --plugin SO --sandbox EXE --pmp-host EXE --gen SCRIPT
 *   pmp-bench client|rss|init-probe ...   (child modes, see child.c)
 *
 * Starts its own paid-sandbox (HTTPS on 127.0.0.1, in-memory database),
 * measures every figure of docs/performance.md against the raw-libcurl
 * baseline in the same run, prints the table and, with --markdown, rewrites
 * the generated block of that file. --quick runs every measurement with
 * tiny counts and judges nothing (the CI smoke test): the exit status is 1
 * only when something did not work at all. Without --quick the exit status
 * is 1 when a target is missed as well.
 */
#include "bench.h"
#include "sandbox_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    (void)fprintf(
        f, "usage: pmp-bench [options] --plugin SO --sandbox EXE --pmp-host EXE --gen SCRIPT\n"
           "  --quick               tiny counts, no pass/fail on timing (CI smoke test)\n"
           "  --markdown FILE       rewrite the generated block of FILE (docs/performance.md)\n"
           "  --only ID,...         run only these figures (ids as printed)\n"
           "  --no-callgrind        skip the callgrind instruction counts\n"
           "  --rounds N            rounds per wall-time ratio (default 15)\n"
           "  --bulk-orders N       shipping reports in the bulk figure (default 10000)\n"
           "  --bulk-sequential N   of which one at a time, for the rate (default 400)\n"
           "  --bulk-latency-ms N   latency added to every request (default 20)\n"
           "  --bulk-concurrency N  requests in flight (default 32)\n"
           "  --bulk-latency-by W   proxy (default: holds each request) or sandbox (its\n"
           "                        delay fault holds each answer)\n"
           "  --label TEXT          e.g. the git revision, printed with the table\n"
           "  --keep                keep the work directory\n");
}

/* ------------------------------------------------------------------------
 * Figures and details
 * ---------------------------------------------------------------------- */

bench_figure *bench_figure_add(bench_suite *s, const char *id, const char *name,
                               const char *target)
{
    bench_figure *f;

    if (s->nfigures >= BENCH_MAX_FIGURES) {
        /* A programming error; keep measuring into a scratch slot. */
        static bench_figure scratch;

        (void)fprintf(stderr, "pmp-bench: too many figures\n");
        return &scratch;
    }
    f = &s->figures[s->nfigures++];
    memset(f, 0, sizeof(*f));
    f->id = id;
    f->name = name;
    f->target = target;
    f->verdict = VERDICT_ERROR;
    (void)snprintf(f->measured, sizeof(f->measured), "not measured");
    return f;
}

void bench_figure_set(bench_figure *f, int verdict, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    (void)vsnprintf(f->measured, sizeof(f->measured), fmt, ap);
    va_end(ap);
    f->verdict = verdict;
    (void)fprintf(stderr, "  -> %s: %s\n", f->id, f->measured);
}

void bench_detail(bench_suite *s, const char *fmt, ...)
{
    va_list ap;
    char *line;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || s->ndetails >= BENCH_MAX_DETAILS)
        return;
    line = malloc((size_t)n + 1);
    if (line == NULL)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    (void)fprintf(stderr, "     %s\n", line);
    s->details[s->ndetails++] = line;
}

int bench_selected(const bench_suite *s, const char *id)
{
    const char *p = s->only;
    size_t n = strlen(id);

    if (p == NULL)
        return 1;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

        if (len == n && strncmp(p, id, n) == 0)
            return 1;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return 0;
}

void bench_note_load(bench_suite *s, double rps, double busy, const char *what)
{
    int n = (int)(sizeof(s->loads) / sizeof(s->loads[0]));

    if (s->nloads < n) {
        s->loads[s->nloads].what = what;
        s->loads[s->nloads].rps = rps;
        s->loads[s->nloads].busy = busy;
        s->nloads++;
    }
}

void bench_order_id(bench_suite *s, const char *tag, char *buf, size_t size)
{
    static long seq;

    (void)snprintf(buf, size, "%s-%s-%ld", tag, s->run_id, ++seq);
}

/* ------------------------------------------------------------------------
 * Child processes
 * ---------------------------------------------------------------------- */

int bench_run_child(char *const argv[], char **out, int quiet_stderr)
{
    bench_buf b = {0};
    int pfd[2] = {-1, -1};
    pid_t pid;
    int status;

    if (out != NULL) {
        *out = NULL;
        if (pipe(pfd) != 0)
            return -1;
        (void)fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
        (void)fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
    }
    (void)fflush(NULL);
    pid = fork();
    if (pid < 0) {
        if (out != NULL) {
            (void)close(pfd[0]);
            (void)close(pfd[1]);
        }
        return -1;
    }
    if (pid == 0) {
        if (out != NULL && dup2(pfd[1], STDOUT_FILENO) < 0)
            _exit(127);
        if (quiet_stderr) {
            int fd = open("/dev/null", O_WRONLY);

            if (fd >= 0)
                (void)dup2(fd, STDERR_FILENO);
        }
        execv(argv[0], argv);
        (void)fprintf(stderr, "pmp-bench: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out != NULL) {
        char chunk[4096];
        ssize_t n;

        (void)close(pfd[1]);
        while ((n = read(pfd[0], chunk, sizeof(chunk))) != 0) {
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (bench_buf_append(&b, chunk, (size_t)n) != 0)
                break;
        }
        (void)close(pfd[0]);
    }
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            bench_buf_free(&b);
            return -1;
        }
    }
    if (out != NULL) {
        if (b.data == NULL)
            (void)bench_buf_append(&b, "", 0);
        *out = b.data;
    }
    if (!WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* ------------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------- */

static int parse_int(const char *name, const char *v, int min, int max, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < min || n > max) {
        (void)fprintf(stderr, "pmp-bench: %s must be an integer in %d..%d\n", name, min, max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_args(int argc, char **argv, bench_suite *s)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        } else if (strcmp(a, "--quick") == 0) {
            s->quick = 1;
            takes = 0;
        } else if (strcmp(a, "--no-callgrind") == 0) {
            s->callgrind = 0;
            takes = 0;
        } else if (strcmp(a, "--keep") == 0) {
            s->keep = 1;
            takes = 0;
        } else if (v == NULL) {
            (void)fprintf(stderr, "pmp-bench: unknown option or missing value: %s\n", a);
            return -1;
        } else if (strcmp(a, "--plugin") == 0) {
            s->plugin_path = v;
        } else if (strcmp(a, "--sandbox") == 0) {
            s->sandbox_path = v;
        } else if (strcmp(a, "--pmp-host") == 0) {
            s->host_path = v;
        } else if (strcmp(a, "--gen") == 0) {
            s->gen_path = v;
        } else if (strcmp(a, "--markdown") == 0) {
            s->markdown = v;
        } else if (strcmp(a, "--bulk-latency-by") == 0) {
            if (strcmp(v, "proxy") != 0 && strcmp(v, "sandbox") != 0) {
                (void)fprintf(stderr, "pmp-bench: --bulk-latency-by is proxy or sandbox\n");
                return -1;
            }
            s->bulk_latency_by_sandbox = strcmp(v, "sandbox") == 0;
        } else if (strcmp(a, "--label") == 0) {
            s->label = v;
        } else if (strcmp(a, "--only") == 0) {
            s->only = v;
        } else if (strcmp(a, "--rounds") == 0) {
            if (parse_int(a, v, 1, 1000, &s->rounds) != 0)
                return -1;
        } else if (strcmp(a, "--bulk-orders") == 0) {
            if (parse_int(a, v, 1, 1000000, &s->bulk_orders) != 0)
                return -1;
        } else if (strcmp(a, "--bulk-sequential") == 0) {
            if (parse_int(a, v, 1, 1000000, &s->bulk_seq_orders) != 0)
                return -1;
        } else if (strcmp(a, "--bulk-latency-ms") == 0) {
            if (parse_int(a, v, 0, 10000, &s->bulk_latency_ms) != 0)
                return -1;
        } else if (strcmp(a, "--bulk-concurrency") == 0) {
            if (parse_int(a, v, 1, 64, &s->bulk_concurrency) != 0)
                return -1;
        } else {
            (void)fprintf(stderr, "pmp-bench: unknown option %s\n", a);
            return -1;
        }
        i += takes;
    }
    if (s->plugin_path == NULL || s->sandbox_path == NULL || s->host_path == NULL ||
        s->gen_path == NULL) {
        (void)fprintf(stderr, "pmp-bench: --plugin, --sandbox, --pmp-host and --gen are required\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Set-up and tear-down
 * ---------------------------------------------------------------------- */

static int port_of(const char *url)
{
    const char *p = strstr(url, "://");
    const char *colon;

    if (p == NULL)
        return -1;
    colon = strchr(p + 3, ':');
    return colon != NULL ? atoi(colon + 1) : -1;
}

static int setup(bench_suite *s, host_sandbox *sb)
{
    char msg[512];
    size_t n;
    unsigned long id;

    s->workdir = host_workdir_create(msg, sizeof(msg));
    if (s->workdir == NULL) {
        (void)fprintf(stderr, "pmp-bench: %s\n", msg);
        return -1;
    }
    id = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
    for (n = 0; n < 6; n++, id /= 36)
        s->run_id[n] = "0123456789abcdefghijklmnopqrstuvwxyz"[id % 36];
    s->run_id[6] = '\0';

    (void)fprintf(stderr, "pmp-bench: work directory %s\n", s->workdir);
    if (host_sandbox_start(sb, s->sandbox_path, s->workdir, 20000, NULL, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-bench: sandbox: %s\n", msg);
        return -1;
    }
    s->sandbox_pid = (long)sb->pid;
    s->url = sb->url;
    s->ca_file = sb->ca_file;
    s->sandbox_port = port_of(s->url);
    (void)fprintf(stderr, "pmp-bench: sandbox %s (pid %ld)\n", s->url, s->sandbox_pid);

    if (bench_plugin_open(&s->plug, s->plugin_path) != 0)
        return -1;
    s->config = bench_config_text(s->url, s->ca_file, NULL);
    if (s->config == NULL)
        return -1;
    s->ctx = bench_ctx_open(&s->plug, s->config);
    if (s->ctx == NULL)
        return -1;
    (void)snprintf(s->buyer_id, sizeof(s->buyer_id), "BENCH-%s", s->run_id);
    if (bench_enroll(&s->plug, s->ctx, s->buyer_id) != PMP_OK)
        return -1;
    bench_order_id(s, "ST", s->status_order, sizeof(s->status_order));
    if (bench_authorize(&s->plug, s->ctx, s->status_order, s->buyer_id, 1, 0) != PMP_OK)
        return -1;
    return 0;
}

static void teardown(bench_suite *s, host_sandbox *sb)
{
    int i;

    pmp_loader_ctx_close(s->ctx);
    s->ctx = NULL;
    bench_plugin_close(&s->plug);
    free(s->config);
    s->url = NULL;
    s->ca_file = NULL;
    (void)host_sandbox_stop(sb);
    if (s->workdir != NULL) {
        if (s->keep)
            (void)fprintf(stderr, "pmp-bench: kept %s\n", s->workdir);
        else
            (void)host_workdir_remove(s->workdir);
        free(s->workdir);
    }
    for (i = 0; i < s->ndetails; i++)
        free(s->details[i]);
}

typedef struct figure_run {
    const char *id;
    int (*fn)(bench_suite *s);
} figure_run;

int main(int argc, char **argv)
{
    static const figure_run runs[] = {
        {"authorize-wall", fig_authorize_wall},
        {"authorize-instructions", fig_authorize_callgrind},
        {"connections", fig_connections},
        {"fresh-context", fig_fresh_context},
        {"notify", fig_notify},
        {"rss", fig_rss},
        {"threads", fig_threads},
        {"init", fig_init},
        {"bulk", fig_bulk},
        {"sandbox", fig_sandbox_capacity},
    };
    bench_suite s;
    host_sandbox sb;
    char self[4096];
    ssize_t n;
    size_t i;
    int rc, failed = 0;

    if (argc > 1 && argv[1][0] != '-')
        return bench_child_main(argc, argv);

    memset(&s, 0, sizeof(s));
    memset(&sb, 0, sizeof(sb));
    s.callgrind = 1;
    s.rounds = 15;
    s.bulk_orders = 10000;
    s.bulk_seq_orders = 400;
    s.bulk_latency_ms = 20;
    s.bulk_concurrency = 32;
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0 || (size_t)n >= sizeof(self) - 1) {
        (void)fprintf(stderr, "pmp-bench: cannot read /proc/self/exe\n");
        return 1;
    }
    self[n] = '\0';
    s.self_path = self;
    rc = parse_args(argc, argv, &s);
    if (rc != 0) {
        if (rc < 0)
            usage(stderr);
        return rc < 0 ? 2 : 0;
    }
    if (s.quick) {
        s.rounds = 3;
        if (s.bulk_orders == 10000)
            s.bulk_orders = 60;
        if (s.bulk_seq_orders == 400)
            s.bulk_seq_orders = 10;
        if (s.bulk_latency_ms == 20)
            s.bulk_latency_ms = 2;
        if (s.bulk_concurrency == 32)
            s.bulk_concurrency = 8;
    }
    if (s.bulk_seq_orders > s.bulk_orders)
        s.bulk_seq_orders = s.bulk_orders;

    /* Broken pipes are errors, not deaths; the plugin installs nothing. */
    (void)signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)fprintf(stderr, "pmp-bench: curl_global_init failed\n");
        return 1;
    }
    if (setup(&s, &sb) != 0) {
        teardown(&s, &sb);
        curl_global_cleanup();
        return 1;
    }
    for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        double t0;

        if (!bench_selected(&s, runs[i].id))
            continue;
        (void)fprintf(stderr, "pmp-bench: == %s\n", runs[i].id);
        t0 = bench_now();
        if (runs[i].fn(&s) != 0) {
            (void)fprintf(stderr, "pmp-bench: %s could not be measured\n", runs[i].id);
            s.functional_errors++;
        }
        (void)fprintf(stderr, "pmp-bench: %s took %.1f s\n", runs[i].id, bench_now() - t0);
    }
    for (i = 0; i < (size_t)s.nfigures; i++) {
        int v = s.figures[i].verdict;

        if (v == VERDICT_ERROR)
            s.functional_errors++;
        if (v == VERDICT_FAIL)
            failed++;
    }
    if (bench_report(&s) != 0)
        s.functional_errors++;
    teardown(&s, &sb);
    curl_global_cleanup();
    if (s.functional_errors > 0)
        return 1;
    return failed > 0 && !s.quick ? 1 : 0;
}
