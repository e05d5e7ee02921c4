/*
 * bulk.c - pmp-host bulk: month-end batches of shipping reports, status
 * checks, voids (any operation but notify) from a file, run concurrently on
 * one plugin context.
 *
 *   pmp-host [--plugin P] [--config F] [--log-level L] bulk FILE
 *            [--concurrency N] [--out RESULTS] [--resume] [--max-rate R]
 *            [--format csv|jsonl] [--progress auto|bar|lines|none]
 *            [--progress-interval S] [--full]
 *
 * Design:
 *   - The main thread reads and parses the input and feeds a bounded queue
 *     (2 x N records), so memory stays flat whatever the file size.
 *   - N worker threads take records and call the plugin on ONE context: the
 *     ABI allows concurrent operations on a context, and the plugin's
 *     process-wide handle pool keeps one kept-alive connection per worker.
 *   - Every finished record becomes one JSON line, written with a single
 *     write() on an O_APPEND descriptor under a lock: a line is either
 *     entirely in RESULTS or not at all (a kill can only cut the very last
 *     line short, and --resume drops such a tail).
 *   - --resume reads RESULTS, skips every input whose line is there with
 *     rc 0 or a non-retryable error, and checks that each skipped input is
 *     the same operation on the same order as before, so a results file is
 *     never applied to another input file. Inputs that were in flight when
 *     the run was killed have no line and run again: every operation is
 *     idempotent on its order ID (docs/operations.md), so a repeated capture
 *     is answered "replayed" and is never captured twice.
 *   - SIGINT/SIGTERM stop the feeding; calls in flight finish and are
 *     written; queued ones are left for --resume. A second signal kills.
 */
#include "bulk.h"
#include "pmp_loader.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BULK_MAX_CONCURRENCY 64
#define BULK_DEFAULT_CONCURRENCY 8
#define BULK_MAX_STATUSES 24
/* Highest input line number a results file may name (a sanity bound). */
#define BULK_MAX_LINE 1000000000L

#define PROGRESS_AUTO 0
#define PROGRESS_BAR 1
#define PROGRESS_LINES 2
#define PROGRESS_NONE 3

/* Exit status of an interrupted run (resume it). */
#define HOST_EXIT_INTERRUPTED 4

static volatile sig_atomic_t g_bulk_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    g_bulk_stop = 1;
}

typedef struct bulk_opts {
    const char *input;
    const char *out; /* NULL: stdout */
    int concurrency;
    int resume;
    int format;
    int progress;
    int full;
    double max_rate;          /* calls per second, 0: unlimited */
    double progress_interval; /* seconds between plain progress lines */
} bulk_opts;

typedef struct bulk_job {
    bulk_record rec;
    const host_operation *op; /* NULL when rec.error is set */
} bulk_job;

/* Inputs already finished in RESULTS: hash[line] != 0. */
typedef struct done_set {
    uint64_t *hash;
    long cap;
    long count;
} done_set;

typedef struct status_count {
    char word[32];
    long n;
} status_count;

typedef struct bulk_state {
    const pmp_api *api;
    pmp_ctx *ctx;
    bulk_opts o;
    int out_fd;

    /* the queue */
    pthread_mutex_t qlock;
    pthread_cond_t q_not_empty, q_not_full;
    bulk_job **q;
    size_t qcap, qhead, qlen;
    int qclosed;

    /* results and counters, under wlock */
    pthread_mutex_t wlock;
    long ok, failed, unknown, invalid, finished;
    status_count statuses[BULK_MAX_STATUSES];
    int nstatuses;
    int write_failed;

    /* rate limit */
    pthread_mutex_t rlock;
    double next_slot;

    /* progress */
    pthread_mutex_t plock;
    pthread_cond_t pcond;
    int pstop;
    int bar; /* 1: redraw one line on a terminal */
    long total; /* inputs to run in this run, -1 unknown */
    long skipped;
    double t0;
} bulk_state;

static double now_s(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
    double d = t - now_s();

    if (d > 0) {
        struct timespec ts;

        ts.tv_sec = (time_t)d;
        ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !g_bulk_stop)
            ;
    }
}

/* Absolute CLOCK_REALTIME deadline for pthread_cond_timedwait. */
static struct timespec deadline_in(double seconds)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)seconds;
    ts.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

static void job_free(bulk_job *j)
{
    if (j == NULL)
        return;
    bulk_record_clear(&j->rec);
    free(j);
}

/* ------------------------------------------------------------------------
 * Results file and --resume
 * ---------------------------------------------------------------------- */

/* FNV-1a of op and key; never 0 (0 means "not done"). */
static uint64_t input_hash(const char *op, const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    const char *p;

    for (p = op != NULL ? op : ""; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0xFF) * 1099511628211ULL;
    for (p = key != NULL ? key : ""; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h != 0 ? h : 1;
}

static const char *record_key(const bulk_record *rec)
{
    return rec->order_id != NULL ? rec->order_id : rec->buyer_id;
}

static int done_set_put(done_set *d, long line, uint64_t hash)
{
    if (line >= d->cap) {
        long cap = d->cap ? d->cap : 1024;
        uint64_t *h;

        while (cap <= line)
            cap *= 2;
        h = realloc(d->hash, (size_t)cap * sizeof(*h));
        if (h == NULL)
            return -1;
        memset(h + d->cap, 0, (size_t)(cap - d->cap) * sizeof(*h));
        d->hash = h;
        d->cap = cap;
    }
    if (d->hash[line] == 0 && hash != 0)
        d->count++;
    else if (d->hash[line] != 0 && hash == 0)
        d->count--;
    d->hash[line] = hash;
    return 0;
}

static uint64_t done_set_get(const done_set *d, long line)
{
    return line >= 0 && line < d->cap ? d->hash[line] : 0;
}

static const char *json_str(json_object *o, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Reads an existing RESULTS file: which inputs are finished, and how many
 * bytes of it are whole lines (*keep). Returns 0, or -1 with msg set. */
static int load_results(const char *path, done_set *d, off_t *keep, char *msg, size_t msg_size)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t offset = 0;
    long lineno = 0;
    int rc = 0;

    *keep = 0;
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        json_object *o, *v = NULL;
        long in_line;
        int32_t code;
        int retryable = 0;

        lineno++;
        if (line[n - 1] != '\n')
            break; /* a cut-off last line: dropped, its input runs again */
        o = json_tokener_parse(line);
        if (o == NULL || !json_object_is_type(o, json_type_object) ||
            !json_object_object_get_ex(o, "line", &v) || !json_object_is_type(v, json_type_int) ||
            (in_line = (long)json_object_get_int64(v)) <= 0 || in_line > BULK_MAX_LINE ||
            json_str(o, "op") == NULL ||
            !json_object_object_get_ex(o, "rc", &v) || !json_object_is_type(v, json_type_int)) {
            json_object_put(o);
            (void)snprintf(msg, msg_size,
                           "%s line %ld is not a result line of pmp-host bulk; refusing to resume "
                           "from it",
                           path, lineno);
            rc = -1;
            break;
        }
        code = json_object_get_int(v);
        if (json_object_object_get_ex(o, "retryable", &v))
            retryable = json_object_get_boolean(v);
        /* The last line for an input counts: a retryable failure runs again. */
        if (done_set_put(d, in_line,
                         code == 0 || !retryable
                             ? input_hash(json_str(o, "op"),
                                          json_str(o, "order_id") != NULL ? json_str(o, "order_id")
                                                                          : json_str(o, "buyer_id"))
                             : 0) != 0) {
            json_object_put(o);
            (void)snprintf(msg, msg_size, "out of memory");
            rc = -1;
            break;
        }
        json_object_put(o);
        offset += (off_t)n;
    }
    if (rc == 0 && ferror(f)) {
        (void)snprintf(msg, msg_size, "%s: read error", path);
        rc = -1;
    }
    free(line);
    (void)fclose(f);
    *keep = offset;
    return rc;
}

/* Opens RESULTS for appending. Without --resume an existing non-empty file
 * is refused (two runs must not mix in one file). */
static int open_results(const bulk_opts *o, done_set *d, char *msg, size_t msg_size)
{
    struct stat st, in_st;
    off_t keep = 0;
    int fd;

    if (o->out == NULL)
        return STDOUT_FILENO;
    if (o->resume && load_results(o->out, d, &keep, msg, msg_size) != 0)
        return -1;
    fd = open(o->out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        (void)snprintf(msg, msg_size, "%s: %s", o->out, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        (void)snprintf(msg, msg_size, "%s: not a regular file", o->out);
        goto fail;
    }
    if (strcmp(o->input, "-") != 0 && stat(o->input, &in_st) == 0 &&
        in_st.st_dev == st.st_dev && in_st.st_ino == st.st_ino) {
        (void)snprintf(msg, msg_size, "--out names the input file");
        goto fail;
    }
    if (!o->resume && st.st_size > 0) {
        (void)snprintf(msg, msg_size,
                       "%s already holds results; add --resume to continue that run, or choose "
                       "another --out",
                       o->out);
        goto fail;
    }
    if (o->resume && st.st_size > keep && ftruncate(fd, keep) != 0) {
        (void)snprintf(msg, msg_size, "%s: cannot drop the cut-off last line: %s", o->out,
                       strerror(errno));
        goto fail;
    }
    return fd;
fail:
    (void)close(fd);
    return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The queue
 * ---------------------------------------------------------------------- */

/* Returns 0, or -1 when stopped before there was room (job not taken). */
static int queue_push(bulk_state *st, bulk_job *j)
{
    pthread_mutex_lock(&st->qlock);
    while (st->qlen == st->qcap && !g_bulk_stop) {
        struct timespec ts = deadline_in(0.2);

        (void)pthread_cond_timedwait(&st->q_not_full, &st->qlock, &ts);
    }
    if (g_bulk_stop) {
        pthread_mutex_unlock(&st->qlock);
        return -1;
    }
    st->q[(st->qhead + st->qlen) % st->qcap] = j;
    st->qlen++;
    pthread_cond_signal(&st->q_not_empty);
    pthread_mutex_unlock(&st->qlock);
    return 0;
}

/* NULL when the queue is closed and empty. */
static bulk_job *queue_pop(bulk_state *st)
{
    bulk_job *j = NULL;

    pthread_mutex_lock(&st->qlock);
    while (st->qlen == 0 && !st->qclosed)
        pthread_cond_wait(&st->q_not_empty, &st->qlock);
    if (st->qlen > 0) {
        j = st->q[st->qhead];
        st->qhead = (st->qhead + 1) % st->qcap;
        st->qlen--;
        pthread_cond_signal(&st->q_not_full);
    }
    pthread_mutex_unlock(&st->qlock);
    return j;
}

static void queue_close(bulk_state *st)
{
    pthread_mutex_lock(&st->qlock);
    st->qclosed = 1;
    pthread_cond_broadcast(&st->q_not_empty);
    pthread_mutex_unlock(&st->qlock);
}

/* ------------------------------------------------------------------------
 * One input
 * ---------------------------------------------------------------------- */

static void count_status(bulk_state *st, const char *word)
{
    int i;

    for (i = 0; i < st->nstatuses; i++) {
        if (strcmp(st->statuses[i].word, word) == 0) {
            st->statuses[i].n++;
            return;
        }
    }
    if (st->nstatuses < BULK_MAX_STATUSES) {
        (void)snprintf(st->statuses[i].word, sizeof(st->statuses[i].word), "%s", word);
        st->statuses[i].n = 1;
        st->nstatuses++;
    }
}

/* Writes one result line and counts it. */
static void emit(bulk_state *st, json_object *line, int32_t rc, const char *status)
{
    const char *text = json_object_to_json_string_ext(line, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t len = text != NULL ? strlen(text) : 0;
    char *buf = text != NULL ? malloc(len + 1) : NULL;

    pthread_mutex_lock(&st->wlock);
    if (buf == NULL) {
        st->write_failed = 1;
    } else {
        memcpy(buf, text, len);
        buf[len] = '\n';
        if (write_all(st->out_fd, buf, len + 1) != 0)
            st->write_failed = 1;
    }
    if (st->write_failed) {
        /* Nothing more can be recorded: stop, so that nothing runs whose
         * result would be lost. */
        g_bulk_stop = 1;
    } else {
        st->finished++;
        if (rc == PMP_OK) {
            st->ok++;
            count_status(st, status);
        } else if (rc == PMP_E_OUTCOME_UNKNOWN) {
            st->unknown++;
        } else if (status == NULL) {
            st->invalid++;
        } else {
            st->failed++;
        }
    }
    pthread_mutex_unlock(&st->wlock);
    free(buf);
}

static json_object *line_head(const bulk_job *j)
{
    json_object *o = json_object_new_object();

    if (o == NULL)
        return NULL;
    (void)json_object_object_add(o, "line", json_object_new_int64(j->rec.line));
    (void)json_object_object_add(o, "op", json_object_new_string(j->rec.op ? j->rec.op : ""));
    if (j->rec.order_id != NULL)
        (void)json_object_object_add(o, "order_id", json_object_new_string(j->rec.order_id));
    if (j->rec.buyer_id != NULL)
        (void)json_object_object_add(o, "buyer_id", json_object_new_string(j->rec.buyer_id));
    return o;
}

static void rate_wait(bulk_state *st)
{
    double slot;

    if (st->o.max_rate <= 0)
        return;
    pthread_mutex_lock(&st->rlock);
    slot = now_s();
    if (st->next_slot > slot)
        slot = st->next_slot;
    st->next_slot = slot + 1.0 / st->o.max_rate;
    pthread_mutex_unlock(&st->rlock);
    sleep_until(slot);
}

/* "ms": the call's wall time, one decimal, written as such. */
static void add_ms(json_object *line, double seconds)
{
    char text[32];

    (void)snprintf(text, sizeof(text), "%.1f", seconds * 1e3);
    (void)json_object_object_add(line, "ms", json_object_new_double_s(seconds * 1e3, text));
}

static void run_job(bulk_state *st, bulk_job *j)
{
    pmp_error err;
    pmp_result *res = NULL;
    json_object *line = line_head(j);
    double t0;
    int32_t rc;

    if (line == NULL) {
        /* Out of memory before anything was sent: no result line, so the
         * input runs again on --resume. */
        pthread_mutex_lock(&st->wlock);
        st->failed++;
        pthread_mutex_unlock(&st->wlock);
        return;
    }
    if (j->rec.error[0] != '\0') {
        /* The input itself is wrong: nothing was sent. Not retryable. */
        (void)json_object_object_add(line, "rc", json_object_new_int(PMP_E_INVALID_REQUEST));
        (void)json_object_object_add(line, "error", json_object_new_string("invalid input"));
        (void)json_object_object_add(line, "message", json_object_new_string(j->rec.error));
        (void)json_object_object_add(line, "retryable", json_object_new_boolean(0));
        emit(st, line, PMP_E_INVALID_REQUEST, NULL);
        json_object_put(line);
        return;
    }
    rate_wait(st);
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    t0 = now_s();
    rc = host_operation_fn(st->api, j->op)(st->ctx, j->rec.request, j->rec.request_len, &res,
                                           &err);
    (void)json_object_object_add(line, "rc", json_object_new_int(rc));
    if (rc == PMP_OK) {
        const char *status = st->api->result_status(res);
        size_t len = 0;
        const char *text = st->api->result_json(res, &len);
        json_object *doc = json_tokener_parse(text != NULL ? text : "");
        json_object *v = NULL;

        (void)json_object_object_add(line, "status", json_object_new_string(status));
        if (doc != NULL && json_object_object_get_ex(doc, "replayed", &v))
            (void)json_object_object_add(line, "replayed", json_object_get(v));
        if (st->o.full && doc != NULL) {
            (void)json_object_object_add(line, "result", doc);
            doc = NULL;
        }
        json_object_put(doc);
        add_ms(line, now_s() - t0);
        emit(st, line, rc, status);
        st->api->result_free(res);
    } else {
        (void)json_object_object_add(line, "error", json_object_new_string(st->api->strerror(rc)));
        (void)json_object_object_add(line, "message", json_object_new_string(err.message));
        (void)json_object_object_add(line, "gateway_code",
                                     json_object_new_string(err.gateway_code));
        (void)json_object_object_add(line, "retryable", json_object_new_boolean(err.retryable));
        add_ms(line, now_s() - t0);
        emit(st, line, rc, "");
    }
    json_object_put(line);
}

static void *worker(void *arg)
{
    bulk_state *st = arg;
    bulk_job *j;

    while ((j = queue_pop(st)) != NULL) {
        /* After a stop request nothing new starts; it runs on --resume. */
        if (!g_bulk_stop)
            run_job(st, j);
        job_free(j);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * Progress
 * ---------------------------------------------------------------------- */

static void format_duration(double s, char *buf, size_t size)
{
    long t = (long)(s + 0.5);

    if (t >= 3600)
        (void)snprintf(buf, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        (void)snprintf(buf, size, "%ld:%02ld", t / 60, t % 60);
}

static void print_progress(bulk_state *st, int final)
{
    long finished, bad;
    double elapsed = now_s() - st->t0;
    double rate;
    char eta[32] = "", line[512];
    int n;

    pthread_mutex_lock(&st->wlock);
    finished = st->finished;
    bad = st->failed + st->unknown + st->invalid;
    pthread_mutex_unlock(&st->wlock);
    rate = elapsed > 0 ? (double)finished / elapsed : 0;
    if (st->total > 0 && rate > 0 && finished < st->total)
        format_duration((double)(st->total - finished) / rate, eta, sizeof(eta));
    if (st->bar) {
        struct winsize ws;
        int width = 80, barw, fill = 0, i;
        char bar[128];

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
            width = ws.ws_col;
        barw = width - 60;
        if (barw > 40)
            barw = 40;
        if (barw < 10 || st->total <= 0)
            barw = 0;
        if (barw > 0)
            fill = (int)((double)barw * (double)finished / (double)st->total);
        for (i = 0; i < barw; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[barw] = '\0';
        if (st->total > 0)
            n = snprintf(line, sizeof(line), "\r\033[K%ld/%ld %3.0f%% %s%s%s %.0f/s ETA %s err %ld",
                         finished, st->total, 100.0 * (double)finished / (double)st->total,
                         barw ? "[" : "", bar, barw ? "]" : "", rate, eta[0] ? eta : "-", bad);
        else
            n = snprintf(line, sizeof(line), "\r\033[K%ld done %.0f/s err %ld", finished, rate,
                         bad);
        if (n > 0) {
            (void)fwrite(line, 1, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1,
                         stderr);
            if (final)
                (void)fputc('\n', stderr);
            (void)fflush(stderr);
        }
        return;
    }
    if (final)
        return; /* the summary line follows */
    if (st->total > 0)
        (void)fprintf(stderr, "bulk: %ld/%ld done (%.1f%%), %.0f/s, ETA %s, %ld errors\n",
                      finished, st->total, 100.0 * (double)finished / (double)st->total, rate,
                      eta[0] ? eta : "-", bad);
    else
        (void)fprintf(stderr, "bulk: %ld done, %.0f/s, %ld errors\n", finished, rate, bad);
}

static void *progress_thread(void *arg)
{
    bulk_state *st = arg;
    double interval = st->bar ? 0.25 : st->o.progress_interval;

    pthread_mutex_lock(&st->plock);
    while (!st->pstop) {
        struct timespec ts = deadline_in(interval);

        if (pthread_cond_timedwait(&st->pcond, &st->plock, &ts) == ETIMEDOUT && !st->pstop) {
            pthread_mutex_unlock(&st->plock);
            print_progress(st, 0);
            pthread_mutex_lock(&st->plock);
        }
    }
    pthread_mutex_unlock(&st->plock);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------- */

static void bulk_usage(FILE *f)
{
    (void)fprintf(
        f,
        "usage: pmp-host [--plugin PATH] [--config FILE] [--log-level LEVEL] bulk FILE\n"
        "                [--concurrency N] [--out RESULTS] [--resume] [--max-rate R]\n"
        "                [--format csv|jsonl] [--progress auto|bar|lines|none]\n"
        "                [--progress-interval SECONDS] [--full]\n"
        "\n"
        "Runs every operation in FILE (JSON lines: {\"op\":\"capture\",\"order_id\":...};\n"
        "or CSV with a header row naming 'op' and request members) on one context,\n"
        "N at a time (default %d, at most %d), and writes one JSON line per input:\n"
        "  {\"line\":N,\"op\":\"...\",\"order_id\":\"...\",\"rc\":0,\"status\":\"...\",...}\n"
        "  --out RESULTS     write results there instead of stdout (needed for --resume)\n"
        "  --resume          skip inputs already finished in RESULTS; run the rest\n"
        "  --max-rate R      at most R operations started per second\n"
        "  --full            include each operation's whole result JSON\n"
        "  --progress        bar on a terminal, plain lines otherwise (auto), or none\n"
        "Exit status: 0 all succeeded, 1 some failed, 2 usage or input error,\n"
        "3 some outcome unknown, 4 interrupted (run again with --resume).\n",
        BULK_DEFAULT_CONCURRENCY, BULK_MAX_CONCURRENCY);
}

static int parse_number(const char *name, const char *v, double min, double max, double *out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (errno != 0 || end == v || *end != '\0' || !(d >= min && d <= max)) {
        (void)fprintf(stderr, "pmp-host: %s must be a number from %g to %g\n", name, min, max);
        return -1;
    }
    *out = d;
    return 0;
}

/* Returns 0, 1 for --help, -1 on a usage error (printed). */
static int bulk_args(int argc, char **argv, host_options *g, bulk_opts *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->concurrency = BULK_DEFAULT_CONCURRENCY;
    o->progress_interval = 10;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        double d;
        int common;

        if (a[0] != '-' || strcmp(a, "-") == 0) {
            if (o->input != NULL) {
                (void)fprintf(stderr, "pmp-host: bulk takes one input file\n");
                return -1;
            }
            o->input = a;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            bulk_usage(stdout);
            return 1;
        } else if (strcmp(a, "--resume") == 0) {
            o->resume = 1;
        } else if (strcmp(a, "--full") == 0) {
            o->full = 1;
        } else if (host_opt_is(a, "--concurrency") || host_opt_is(a, "-j")) {
            if (host_opt_value(argc, argv, &i, &v) != 0 ||
                parse_number("--concurrency", v, 1, BULK_MAX_CONCURRENCY, &d) != 0 ||
                d != (int)d) {
                (void)fprintf(stderr, "pmp-host: --concurrency takes a whole number 1..%d\n",
                              BULK_MAX_CONCURRENCY);
                return -1;
            }
            o->concurrency = (int)d;
        } else if (host_opt_is(a, "--out")) {
            if (host_opt_value(argc, argv, &i, &o->out) != 0)
                return -1;
        } else if (host_opt_is(a, "--max-rate")) {
            if (host_opt_value(argc, argv, &i, &v) != 0 ||
                parse_number("--max-rate", v, 0.01, 1e6, &o->max_rate) != 0)
                return -1;
        } else if (host_opt_is(a, "--progress-interval")) {
            if (host_opt_value(argc, argv, &i, &v) != 0 ||
                parse_number("--progress-interval", v, 0.1, 86400, &o->progress_interval) != 0)
                return -1;
        } else if (host_opt_is(a, "--format")) {
            if (host_opt_value(argc, argv, &i, &v) != 0)
                return -1;
            if (strcmp(v, "csv") == 0)
                o->format = BULK_FORMAT_CSV;
            else if (strcmp(v, "jsonl") == 0 || strcmp(v, "json") == 0)
                o->format = BULK_FORMAT_JSONL;
            else {
                (void)fprintf(stderr, "pmp-host: --format is csv or jsonl\n");
                return -1;
            }
        } else if (host_opt_is(a, "--progress")) {
            if (host_opt_value(argc, argv, &i, &v) != 0)
                return -1;
            if (strcmp(v, "auto") == 0)
                o->progress = PROGRESS_AUTO;
            else if (strcmp(v, "bar") == 0)
                o->progress = PROGRESS_BAR;
            else if (strcmp(v, "lines") == 0)
                o->progress = PROGRESS_LINES;
            else if (strcmp(v, "none") == 0)
                o->progress = PROGRESS_NONE;
            else {
                (void)fprintf(stderr, "pmp-host: --progress is auto, bar, lines or none\n");
                return -1;
            }
        } else if ((common = host_common_option(argc, argv, &i, g)) != 0) {
            if (common < 0)
                return -1;
        } else {
            (void)fprintf(stderr, "pmp-host: bulk: unknown option '%s'\n", a);
            return -1;
        }
    }
    if (o->input == NULL) {
        (void)fprintf(stderr, "pmp-host: bulk needs an input file (or - for stdin)\n");
        return -1;
    }
    if (o->resume && o->out == NULL) {
        (void)fprintf(stderr, "pmp-host: --resume needs --out RESULTS\n");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The run
 * ---------------------------------------------------------------------- */

static void summary(bulk_state *st, double elapsed, int interrupted)
{
    char statuses[512] = "";
    size_t used = 0;
    int i;

    for (i = 0; i < st->nstatuses && used < sizeof(statuses); i++) {
        int w = snprintf(statuses + used, sizeof(statuses) - used, "%s%s %ld", i ? ", " : "",
                         st->statuses[i].word, st->statuses[i].n);

        if (w < 0)
            break;
        used += (size_t)w;
    }
    (void)fprintf(stderr,
                  "bulk: %ld input%s in %.1f s (%.0f/s): %ld ok%s%s%s, %ld failed, %ld outcome "
                  "unknown, %ld invalid; %ld skipped as already done\n",
                  st->finished, st->finished == 1 ? "" : "s", elapsed,
                  elapsed > 0 ? (double)st->finished / elapsed : 0.0, st->ok,
                  st->nstatuses ? " (" : "", statuses, st->nstatuses ? ")" : "", st->failed,
                  st->unknown, st->invalid, st->skipped);
    if (interrupted)
        (void)fprintf(stderr, "bulk: interrupted; run the same command with --resume%s%s to "
                              "finish without repeating what is done\n",
                      st->o.out ? " --out " : "", st->o.out ? st->o.out : "");
}

/* Before anything runs on --resume: every input RESULTS calls done must be
 * in FILE as the same operation on the same order, or RESULTS belongs to
 * another input. (stdin cannot be read twice; feed() checks it lazily.)
 * Returns 0, or -1 with msg set. */
static int verify_resume(const bulk_opts *o, int format, const done_set *done, char *msg,
                         size_t msg_size)
{
    bulk_reader *r = NULL;
    bulk_record rec;
    long matched = 0;
    int rc;

    if (done->count == 0 || strcmp(o->input, "-") == 0)
        return 0;
    if (bulk_reader_open(o->input, format, &r, msg, msg_size) != 0)
        return -1;
    while ((rc = bulk_reader_next(r, &rec, msg, msg_size)) == 1) {
        uint64_t h = done_set_get(done, rec.line);

        if (h != 0) {
            if (h != input_hash(rec.op, record_key(&rec))) {
                (void)snprintf(msg, msg_size,
                               "input line %ld is not the operation %s recorded for it; the "
                               "results file belongs to another input",
                               rec.line, o->out);
                rc = -1;
                bulk_record_clear(&rec);
                break;
            }
            matched++;
        }
        bulk_record_clear(&rec);
    }
    bulk_record_clear(&rec);
    bulk_reader_close(r);
    if (rc < 0)
        return -1;
    if (matched != done->count) {
        (void)snprintf(msg, msg_size,
                       "%s records %ld finished inputs but only %ld of them are in %s; the "
                       "results file belongs to another input",
                       o->out, done->count, matched, o->input);
        return -1;
    }
    return 0;
}

/* Reads the input and feeds the workers. Returns 0, or -1 (msg set). */
static int feed(bulk_state *st, bulk_reader *r, const done_set *done, char *msg, size_t msg_size)
{
    for (;;) {
        bulk_record rec;
        bulk_job *j;
        uint64_t h;
        int rc;

        if (g_bulk_stop)
            return 0;
        rc = bulk_reader_next(r, &rec, msg, msg_size);
        if (rc <= 0) {
            bulk_record_clear(&rec);
            return rc;
        }
        h = done_set_get(done, rec.line);
        if (h != 0) {
            if (h != input_hash(rec.op, record_key(&rec))) {
                (void)snprintf(msg, msg_size,
                               "input line %ld is not the operation RESULTS recorded for it; "
                               "this results file belongs to another input",
                               rec.line);
                bulk_record_clear(&rec);
                return -1;
            }
            bulk_record_clear(&rec);
            continue;
        }
        j = calloc(1, sizeof(*j));
        if (j == NULL) {
            bulk_record_clear(&rec);
            (void)snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        j->rec = rec;
        if (j->rec.error[0] == '\0') {
            j->op = host_operation_find(j->rec.op);
            if (j->op == NULL || j->op->is_notify)
                (void)snprintf(j->rec.error, sizeof(j->rec.error),
                               "op '%.40s' is not one of capabilities enroll payer_status "
                               "authorize capture void refund adjust status",
                               j->rec.op != NULL ? j->rec.op : "");
        }
        if (queue_push(st, j) != 0) {
            job_free(j);
            return 0;
        }
    }
}

int host_bulk_main(const host_options *gopts, int argc, char **argv)
{
    host_options g = *gopts;
    bulk_opts o;
    bulk_state st;
    done_set done = {0};
    bulk_reader *reader = NULL;
    pmp_loader *loader = NULL;
    pmp_loader_ctx *lctx = NULL;
    pmp_loader_ctx_options copts;
    pmp_error err;
    char plugin_path[PATH_MAX];
    char msg[600];
    pthread_t threads[BULK_MAX_CONCURRENCY];
    pthread_t progress;
    int nthreads = 0, progress_started = 0, i, rc, ret = HOST_EXIT_FAIL;
    long records;
    struct sigaction sa, old_int, old_term;
    double elapsed;

    memset(&st, 0, sizeof(st));
    st.out_fd = -1;
    rc = bulk_args(argc, argv, &g, &o);
    if (rc != 0) {
        if (rc < 0)
            (void)fprintf(stderr, "Try 'pmp-host bulk --help'.\n");
        return rc > 0 ? HOST_EXIT_OK : HOST_EXIT_USAGE;
    }
    /* Plugin warnings would tear the progress bar; the result lines carry
     * every failure anyway. --log-level brings them back. */
    if (!g.log_level_set)
        g.log_level = PMP_LOG_ERROR;
    st.o = o;

    /* Inputs and outputs first: a wrong path must not cost a plugin load. */
    if (bulk_reader_open(o.input, o.format, &reader, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host: bulk: %s\n", msg);
        return HOST_EXIT_USAGE;
    }
    st.out_fd = open_results(&o, &done, msg, sizeof(msg));
    if (st.out_fd < 0) {
        (void)fprintf(stderr, "pmp-host: bulk: %s\n", msg);
        ret = HOST_EXIT_USAGE;
        goto out_close_reader;
    }
    if (verify_resume(&o, bulk_reader_format(reader), &done, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host: bulk: %s\n", msg);
        ret = HOST_EXIT_USAGE;
        goto out_close_out;
    }
    records = bulk_count_records(o.input, bulk_reader_format(reader));
    st.skipped = done.count;
    st.total = records >= 0 ? records - done.count : -1;

    if (host_resolve_plugin(&g, plugin_path, sizeof(plugin_path)) != 0) {
        (void)fprintf(stderr, "pmp-host: plugin path too long\n");
        ret = HOST_EXIT_USAGE;
        goto out_close_out;
    }
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = pmp_loader_open(plugin_path, &loader, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host: bulk: %s: %s\n", pmp_loader_strerror(rc), err.message);
        goto out_close_out;
    }
    st.api = pmp_loader_api(loader);
    memset(&copts, 0, sizeof(copts));
    copts.struct_size = sizeof(copts);
    copts.log_level = g.log_level;
    rc = pmp_loader_ctx_open(loader, host_resolve_config(&g), &copts, &lctx, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host: bulk: %s: %s\n", st.api->strerror(rc), err.message);
        goto out_close_loader;
    }
    st.ctx = pmp_loader_ctx_get(lctx);

    pthread_mutex_init(&st.qlock, NULL);
    pthread_cond_init(&st.q_not_empty, NULL);
    pthread_cond_init(&st.q_not_full, NULL);
    pthread_mutex_init(&st.wlock, NULL);
    pthread_mutex_init(&st.rlock, NULL);
    pthread_mutex_init(&st.plock, NULL);
    pthread_cond_init(&st.pcond, NULL);
    st.qcap = (size_t)o.concurrency * 2;
    st.q = calloc(st.qcap, sizeof(*st.q));
    if (st.q == NULL) {
        (void)fprintf(stderr, "pmp-host: bulk: out of memory\n");
        goto out_destroy;
    }

    /* A first signal stops the feeding; SA_RESETHAND makes a second one
     * kill as usual. No SA_RESTART: blocking calls return early. */
    g_bulk_stop = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    (void)sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, &old_int);
    (void)sigaction(SIGTERM, &sa, &old_term);

    st.t0 = now_s();
    st.bar = o.progress == PROGRESS_BAR || (o.progress == PROGRESS_AUTO && isatty(STDERR_FILENO));
    if (o.resume && done.count > 0)
        (void)fprintf(stderr, "bulk: resuming: %ld input%s already done in %s\n", done.count,
                      done.count == 1 ? "" : "s", o.out);
    for (i = 0; i < o.concurrency; i++) {
        if (pthread_create(&threads[i], NULL, worker, &st) != 0)
            break;
        nthreads++;
    }
    if (nthreads == 0) {
        (void)fprintf(stderr, "pmp-host: bulk: cannot start threads\n");
        ret = HOST_EXIT_FAIL;
        goto out_signals;
    }
    if (o.progress != PROGRESS_NONE &&
        pthread_create(&progress, NULL, progress_thread, &st) == 0)
        progress_started = 1;

    rc = feed(&st, reader, &done, msg, sizeof(msg));
    queue_close(&st);
    for (i = 0; i < nthreads; i++)
        (void)pthread_join(threads[i], NULL);
    if (progress_started) {
        pthread_mutex_lock(&st.plock);
        st.pstop = 1;
        pthread_cond_signal(&st.pcond);
        pthread_mutex_unlock(&st.plock);
        (void)pthread_join(progress, NULL);
        print_progress(&st, 1);
    }
    elapsed = now_s() - st.t0;
    if (st.out_fd != STDOUT_FILENO && fdatasync(st.out_fd) != 0 && errno != EINVAL)
        st.write_failed = 1;
    summary(&st, elapsed, g_bulk_stop && !st.write_failed);

    if (rc < 0) {
        (void)fprintf(stderr, "pmp-host: bulk: %s\n", msg);
        ret = HOST_EXIT_USAGE;
    } else if (st.write_failed) {
        (void)fprintf(stderr, "pmp-host: bulk: writing the results failed: %s\n",
                      strerror(errno));
        ret = HOST_EXIT_FAIL;
    } else if (g_bulk_stop) {
        ret = HOST_EXIT_INTERRUPTED;
    } else if (st.unknown > 0) {
        ret = HOST_EXIT_UNKNOWN;
    } else if (st.failed > 0 || st.invalid > 0) {
        ret = HOST_EXIT_FAIL;
    } else {
        ret = HOST_EXIT_OK;
    }

out_signals:
    (void)sigaction(SIGINT, &old_int, NULL);
    (void)sigaction(SIGTERM, &old_term, NULL);
out_destroy:
    free(st.q);
    pthread_cond_destroy(&st.pcond);
    pthread_mutex_destroy(&st.plock);
    pthread_mutex_destroy(&st.rlock);
    pthread_mutex_destroy(&st.wlock);
    pthread_cond_destroy(&st.q_not_full);
    pthread_cond_destroy(&st.q_not_empty);
    pthread_mutex_destroy(&st.qlock);
    pmp_loader_ctx_close(lctx);
out_close_loader:
    pmp_loader_close(loader);
out_close_out:
    if (st.out_fd >= 0 && st.out_fd != STDOUT_FILENO)
        (void)close(st.out_fd);
out_close_reader:
    bulk_reader_close(reader);
    free(done.hash);
    return ret;
}
