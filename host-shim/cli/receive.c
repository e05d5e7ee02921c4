/*
 * receive.c - pmp-host receive: a result-notification endpoint on loopback
 * whose host handler prints each event as a JSON line and appends it to a
 * file. The pattern is in receiver.h; this file is the command around it.
 *
 *   pmp-host [--plugin P] [--config F] receive [--port N] [--bind ADDR]
 *            [--out FILE] [--ready-file F] [--max N] [--quiet]
 *
 * The handler stores first and reports after: the line is appended to FILE
 * with one write() and fsync()ed, then printed on stdout and flushed; only
 * then does the receiver answer "0". At start the event keys already in
 * FILE are read back, so a notification stored before a restart is not
 * handed over again when the gateway resends it.
 */
#include "host.h"
#include "pmp_loader.h"
#include "receiver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct receive_args {
    const char *bind;
    unsigned port;
    const char *out;
    const char *ready_file;
    unsigned long long max; /* 0: no limit */
    int quiet;
} receive_args;

/* The command-line host's store: FILE (optional) and stdout. */
typedef struct cli_store {
    int fd; /* -1 without --out */
    const char *path;
    int stdout_warned;
} cli_store;

static void receive_usage(FILE *f)
{
    (void)fprintf(
        f, "usage: pmp-host [--plugin PATH] [--config FILE] [--log-level LEVEL] receive\n"
           "                [--port N] [--bind ADDR] [--out FILE] [--ready-file F] [--max N]\n"
           "                [--quiet]\n"
           "\n"
           "Listens on loopback for the gateway's result notifications, passes each body to\n"
           "the plugin's notify(), and for every new event prints one JSON line on stdout\n"
           "and appends it to FILE (flushed and fsync'd) before answering \"0\". A body\n"
           "notify() refuses is answered 400, a failed inquiry or store 500/503, so the\n"
           "gateway resends. Events already stored (same event_key) are answered \"0\"\n"
           "and not printed again.\n"
           "  --port N        TCP port (default 0: pick a free one; see the URL on stderr)\n"
           "  --bind ADDR     127.0.0.1 (default), another 127.x.x.x, ::1 or localhost;\n"
           "                  anything else is refused\n"
           "  --out FILE      append the JSON lines here too (created 0600); event keys\n"
           "                  already in it count as stored. With FILE the event is stored\n"
           "                  once it is in FILE; without, once it is on stdout\n"
           "  --ready-file F  write PMP_RECEIVER_URL=..., PMP_RECEIVER_PID=... and\n"
           "                  PMP_RECEIVER_READY=1 to F once listening (atomically)\n"
           "  --max N         stop after N events were stored and answered (for tests)\n"
           "  --quiet         no line per request on stderr\n"
           "SIGINT or SIGTERM stops it (exit 0). Exit status: 0 stopped, 1 could not\n"
           "start (plugin, configuration, port), 2 usage error.\n");
}


static int parse_uint(const char *name, const char *v, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    unsigned long long n;

    errno = 0;
    if (v[0] < '0' || v[0] > '9') {
        (void)fprintf(stderr, "pmp-host: %s takes a whole number 0..%llu\n", name, max);
        return -1;
    }
    n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || n > max) {
        (void)fprintf(stderr, "pmp-host: %s takes a whole number 0..%llu\n", name, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* Returns 0, 1 for --help, -1 on a usage error (printed). */
static int receive_parse(int argc, char **argv, host_options *g, receive_args *a)
{
    int i;

    memset(a, 0, sizeof(*a));
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *v;
        int common;
        unsigned long long n;

        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            receive_usage(stdout);
            return 1;
        } else if (strcmp(arg, "--quiet") == 0) {
            a->quiet = 1;
        } else if (host_opt_is(arg, "--port")) {
            if (host_opt_value(argc, argv, &i, &v) != 0 || parse_uint("--port", v, 65535, &n) != 0)
                return -1;
            a->port = (unsigned)n;
        } else if (host_opt_is(arg, "--max")) {
            if (host_opt_value(argc, argv, &i, &v) != 0 ||
                parse_uint("--max", v, 1000000000ULL, &a->max) != 0)
                return -1;
        } else if (host_opt_is(arg, "--bind")) {
            if (host_opt_value(argc, argv, &i, &a->bind) != 0)
                return -1;
        } else if (host_opt_is(arg, "--out")) {
            if (host_opt_value(argc, argv, &i, &a->out) != 0)
                return -1;
        } else if (host_opt_is(arg, "--ready-file")) {
            if (host_opt_value(argc, argv, &i, &a->ready_file) != 0)
                return -1;
        } else if ((common = host_common_option(argc, argv, &i, g)) != 0) {
            if (common < 0)
                return -1;
        } else {
            (void)fprintf(stderr, "pmp-host: receive: unknown argument '%s'\n", arg);
            return -1;
        }
    }
    if (!host_receiver_bind_ok(a->bind)) {
        (void)fprintf(stderr,
                      "pmp-host: receive: refusing --bind %s: only a loopback address "
                      "(127.x.x.x, ::1, localhost) is allowed; the receiver is not for a network\n",
                      a->bind);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * The store: FILE and stdout
 * ---------------------------------------------------------------------- */

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

/* The host handler of pmp-host receive (see receiver.h). */
static int cli_store_event(void *user, const host_notification *n, char *msg, size_t msg_size)
{
    cli_store *st = user;
    char *buf;

    buf = malloc(n->line_len + 1);
    if (buf == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    memcpy(buf, n->line, n->line_len);
    buf[n->line_len] = '\n';
    if (st->fd >= 0) {
        struct stat sb;
        off_t before = fstat(st->fd, &sb) == 0 ? sb.st_size : (off_t)-1;

        /* One write() of the whole line (O_APPEND), then fsync: the line
         * is on disk before the gateway hears "0". */
        if (write_all(st->fd, buf, n->line_len + 1) != 0) {
            int e = errno;

            /* Do not leave half a line for the next one to run into. */
            if (before >= 0)
                (void)ftruncate(st->fd, before);
            (void)snprintf(msg, msg_size, "%s: %s", st->path, strerror(e));
            free(buf);
            return -1;
        }
        if (fsync(st->fd) != 0) {
            (void)snprintf(msg, msg_size, "%s: fsync: %s", st->path, strerror(errno));
            free(buf);
            return -1;
        }
    }
    if (fwrite(buf, 1, n->line_len + 1, stdout) != n->line_len + 1 || fflush(stdout) != 0) {
        int e = errno;

        clearerr(stdout);
        free(buf);
        if (st->fd < 0) {
            /* stdout is the only store: not stored, the gateway resends */
            (void)snprintf(msg, msg_size, "stdout: %s", strerror(e));
            return -1;
        }
        /* Stored in FILE already: failing now would only make the gateway
         * resend an event that is stored, and store it twice. */
        if (!st->stdout_warned)
            (void)fprintf(stderr, "pmp-host receive: stdout: %s (events still go to %s)\n",
                          strerror(e), st->path);
        st->stdout_warned = 1;
        return 0;
    }
    free(buf);
    return 0;
}

static const char *member_str(json_object *o, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

/* Opens FILE for appending and reads back the events it holds. A last line
 * without its newline (the process died inside the write) was never
 * answered "0": it is cut off, and the gateway's resend stores it again.
 * Returns the descriptor, or -1 with msg set. */
static int open_store(const char *path, host_receiver *r, unsigned long long *remembered, char *msg,
                      size_t msg_size)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    off_t good = 0;
    off_t pos = 0;
    long lineno = 0;
    struct stat st;
    int fd;

    *remembered = 0;
    fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        /* fsync, truncation and reading back need a regular file */
        (void)snprintf(msg, msg_size, "%s: not a regular file", path);
        (void)close(fd);
        return -1;
    }
    f = fopen(path, "r");
    if (f == NULL) {
        (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        (void)close(fd);
        return -1;
    }
    while ((len = getline(&line, &cap, f)) > 0) {
        json_object *o;

        lineno++;
        pos += len;
        if (line[len - 1] != '\n')
            break; /* torn last line */
        good = pos;
        o = json_tokener_parse(line);
        if (o == NULL || !json_object_is_type(o, json_type_object)) {
            (void)fprintf(stderr, "pmp-host receive: %s:%ld: not a JSON object; ignored\n", path,
                          lineno);
            json_object_put(o);
            continue;
        }
        if (member_str(o, "event_key") != NULL) {
            if (host_receiver_remember(r, member_str(o, "event_key"), member_str(o, "order_id"),
                                       member_str(o, "process_date")) != 0) {
                json_object_put(o);
                (void)snprintf(msg, msg_size, "out of memory");
                goto fail;
            }
            (*remembered)++;
        }
        json_object_put(o);
    }
    if (ferror(f)) {
        (void)snprintf(msg, msg_size, "%s: read error", path);
        goto fail;
    }
    if (pos != good) {
        (void)fprintf(stderr,
                      "pmp-host receive: %s: dropping an unfinished last line (%lld bytes)\n", path,
                      (long long)(pos - good));
        if (ftruncate(fd, good) != 0) {
            (void)snprintf(msg, msg_size, "%s: ftruncate: %s", path, strerror(errno));
            goto fail;
        }
    }
    free(line);
    (void)fclose(f);
    return fd;

fail:
    free(line);
    (void)fclose(f);
    (void)close(fd);
    return -1;
}

/* Writes the ready file under a temporary name and renames it, so that a
 * reader never sees half of it. */
static int write_ready_file(const char *path, const char *url, char *msg, size_t msg_size)
{
    char tmp[PATH_MAX];
    FILE *f;
    int n;

    n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        (void)snprintf(msg, msg_size, "ready file name too long");
        return -1;
    }
    f = fopen(tmp, "w");
    if (f == NULL) {
        (void)snprintf(msg, msg_size, "%.600s: %s", tmp, strerror(errno));
        return -1;
    }
    (void)fprintf(f, "PMP_RECEIVER_URL=%s\nPMP_RECEIVER_PID=%ld\nPMP_RECEIVER_READY=1\n", url,
                  (long)getpid());
    if (ferror(f) != 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
        (void)unlink(tmp);
        return -1;
    }
    return 0;
}

int host_receive_main(const host_options *gopts, int argc, char **argv)
{
    host_options g = *gopts;
    receive_args a;
    host_receiver_config rcfg;
    host_receiver_stats stats;
    host_receiver *r = NULL;
    cli_store store = {-1, NULL, 0};
    pmp_loader *loader = NULL;
    pmp_loader_ctx *lctx = NULL;
    pmp_loader_ctx_options copts;
    pmp_error err;
    char plugin_path[PATH_MAX];
    char msg[768];
    sigset_t stop_set;
    sigset_t old_mask;
    unsigned long long remembered = 0;
    int stopped_by = 0;
    int ready_written = 0;
    int ret = HOST_EXIT_FAIL;
    int32_t rc;

    rc = receive_parse(argc, argv, &g, &a);
    if (rc != 0) {
        if (rc < 0)
            (void)fprintf(stderr, "Try 'pmp-host receive --help'.\n");
        return rc > 0 ? HOST_EXIT_OK : HOST_EXIT_USAGE;
    }
    if (host_resolve_plugin(&g, plugin_path, sizeof(plugin_path)) != 0) {
        (void)fprintf(stderr, "pmp-host: plugin path too long\n");
        return HOST_EXIT_USAGE;
    }

    /* SIGINT and SIGTERM are taken by sigtimedwait() below and by nothing
     * else: block them before any thread (libcurl's, the server's) exists,
     * so every thread inherits the mask. */
    (void)sigemptyset(&stop_set);
    (void)sigaddset(&stop_set, SIGINT);
    (void)sigaddset(&stop_set, SIGTERM);
    (void)pthread_sigmask(SIG_BLOCK, &stop_set, &old_mask);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)fprintf(stderr, "pmp-host receive: curl_global_init failed\n");
        goto out_mask;
    }
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = pmp_loader_open(plugin_path, &loader, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host receive: %s: %s\n", pmp_loader_strerror(rc), err.message);
        goto out_curl;
    }
    memset(&copts, 0, sizeof(copts));
    copts.struct_size = sizeof(copts);
    copts.log_level = g.log_level;
    rc = pmp_loader_ctx_open(loader, host_resolve_config(&g), &copts, &lctx, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-host receive: %s: %s\n",
                      rc > -1000 ? pmp_loader_api(loader)->strerror(rc) : pmp_loader_strerror(rc),
                      err.message);
        goto out_close_loader;
    }

    memset(&rcfg, 0, sizeof(rcfg));
    rcfg.bind = a.bind;
    rcfg.port = a.port;
    /* No context yet: until the store is open (and its event keys are
     * known) a request is answered 503, and the gateway resends it. */
    rcfg.api = NULL;
    rcfg.ctx = NULL;
    rcfg.handler = cli_store_event;
    rcfg.user = &store;
    rcfg.log = a.quiet ? NULL : stderr;
    rcfg.log_prefix = "pmp-host receive";
    if (host_receiver_start(&rcfg, &r, msg, sizeof(msg)) != 0) {
        (void)fprintf(stderr, "pmp-host receive: %s\n", msg);
        goto out_close_ctx;
    }
    if (a.out != NULL) {
        store.path = a.out;
        store.fd = open_store(a.out, r, &remembered, msg, sizeof(msg));
        if (store.fd < 0) {
            (void)fprintf(stderr, "pmp-host receive: %s\n", msg);
            goto out_stop;
        }
    }
    host_receiver_attach(r, pmp_loader_api(loader), pmp_loader_ctx_get(lctx));
    if (a.ready_file != NULL) {
        if (write_ready_file(a.ready_file, host_receiver_url(r), msg, sizeof(msg)) != 0) {
            (void)fprintf(stderr, "pmp-host receive: %s\n", msg);
            goto out_stop;
        }
        ready_written = 1;
    }
    (void)fprintf(stderr, "pmp-host receive: listening on %s (POST result notifications here",
                  host_receiver_url(r));
    if (a.out != NULL)
        (void)fprintf(stderr, "; storing in %s, %llu event%s already there", a.out, remembered,
                      remembered == 1 ? "" : "s");
    (void)fprintf(stderr, "; Ctrl-C stops)\n");

    for (;;) {
        struct timespec ts = {0, 100 * 1000000L};
        int sig = sigtimedwait(&stop_set, NULL, &ts);

        if (sig > 0) {
            stopped_by = sig;
            break;
        }
        if (a.max > 0) {
            host_receiver_get_stats(r, &stats);
            if (stats.answered >= a.max)
                break;
        }
    }
    ret = HOST_EXIT_OK;

out_stop:
    if (r != NULL) {
        host_receiver_get_stats(r, &stats);
        host_receiver_stop(r);
        r = NULL;
        (void)fprintf(stderr,
                      "pmp-host receive: stopped%s%s: %llu request%s, %llu event%s stored, "
                      "%llu duplicate%s, %llu rejected, %llu failed, %llu test%s\n",
                      stopped_by != 0 ? " by " : "",
                      stopped_by == SIGINT    ? "SIGINT"
                      : stopped_by == SIGTERM ? "SIGTERM"
                                              : "",
                      stats.requests, stats.requests == 1 ? "" : "s", stats.handled,
                      stats.handled == 1 ? "" : "s", stats.duplicates,
                      stats.duplicates == 1 ? "" : "s", stats.rejected, stats.failed, stats.tests,
                      stats.tests == 1 ? "" : "s");
    }
    if (ready_written)
        (void)unlink(a.ready_file);
    if (store.fd >= 0)
        (void)close(store.fd);
out_close_ctx:
    pmp_loader_ctx_close(lctx);
out_close_loader:
    pmp_loader_close(loader);
out_curl:
    curl_global_cleanup();
out_mask:
    (void)pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    return ret;
}
