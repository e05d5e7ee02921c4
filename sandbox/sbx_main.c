/* paid-sandbox: a local stand-in for GMO-PG's idPass gateway (Paid).
 * Start-up order: options, signals, state directory, certificates,
 * database, listener; then announce the URL and wait for SIGTERM/SIGINT. */
#include "sbx_app.h"
#include "sbx_config.h"
#include "sbx_http.h"
#include "sbx_log.h"
#include "sbx_notify.h"
#include "sbx_settle.h"
#include "sbx_store.h"
#include "sbx_tls.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int prepare_state_dir(const char *requested, char out[PATH_MAX])
{
    char tmpl[PATH_MAX];
    const char *dir = requested;
    if (dir == NULL) {
        const char *tmp = getenv("TMPDIR");
        if (tmp == NULL || tmp[0] == '\0')
            tmp = "/tmp";
        int w = snprintf(tmpl, sizeof tmpl, "%s/paid-sandbox.XXXXXX", tmp);
        if (w < 0 || (size_t)w >= sizeof tmpl || mkdtemp(tmpl) == NULL) {
            sbx_log_error("cannot create a state directory under %s: %s", tmp,
                          strerror(errno));
            return -1;
        }
        dir = tmpl;
    } else if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        sbx_log_error("cannot create --state-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    /* Clients get an absolute CA path whatever our working directory. */
    if (realpath(dir, out) == NULL) {
        sbx_log_error("state directory %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int format_announcement(char *buf, size_t n, const char *url, const char *ca_path)
{
    int w;
    if (ca_path != NULL)
        w = snprintf(buf, n, "PAID_SANDBOX_URL=%s\nPAID_SANDBOX_CA=%s\nPAID_SANDBOX_READY=1\n",
                     url, ca_path);
    else
        w = snprintf(buf, n, "PAID_SANDBOX_URL=%s\nPAID_SANDBOX_READY=1\n", url);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* Write to a temporary name and rename(), so a test polling for the file
 * never reads it half-written. */
static int write_ready_file(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    int w = snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        goto fail;
    bool ok = fputs(text, f) >= 0;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    if (fclose(f) != 0 || !ok)
        goto unlink_tmp;
    if (rename(tmp, path) != 0)
        goto unlink_tmp;
    return 0;
unlink_tmp:
    (void)unlink(tmp);
fail:
    sbx_log_error("cannot write --ready-file %s: %s", path, strerror(errno));
    return -1;
}

/* A database written before settlement existed has buyers without a
 * scheduled closing; give them one before the first request. */
static int bootstrap_settlement(sbx_app *app)
{
    sbx_store *s = app->store;
    sbx_store_lock(s);
    int rc = -1;
    if (sbx_store_begin(s) == 0 && sbx_settle_bootstrap(app, sbx_store_now(s)) == 0 &&
        sbx_store_commit(s) == 0)
        rc = 0;
    else
        sbx_store_rollback(s);
    sbx_store_unlock(s);
    if (rc != 0)
        sbx_log_error("cannot schedule the buyers' closings");
    return rc;
}

int main(int argc, char **argv)
{
    sbx_config cfg;
    switch (sbx_config_parse(&cfg, argc, argv)) {
    case SBX_CONFIG_OK:
        break;
    case SBX_CONFIG_EXIT_OK:
        return 0;
    case SBX_CONFIG_ERROR:
    default:
        return 2;
    }
    sbx_log_set_quiet(cfg.quiet);

    /* Block the termination signals before any thread exists, so every
     * libmicrohttpd thread inherits the mask and sigwait() below is the only
     * receiver: shutdown then runs as ordinary code, not in a handler. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, NULL) != 0) {
        sbx_log_error("pthread_sigmask failed");
        return 1;
    }
    /* A client closing its socket must not kill the server. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        return 1;

    /* libcurl (the notification sender) wants its global set-up done
     * before any thread exists. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        sbx_log_error("curl_global_init failed");
        return 1;
    }
    int status = 1;
    /* Plain HTTP needs no certificates, hence no state directory unless
     * one was asked for. */
    char state_dir[PATH_MAX] = "-";
    if ((!cfg.plain_http || cfg.state_dir != NULL) &&
        prepare_state_dir(cfg.state_dir, state_dir) != 0)
        goto cleanup_curl;

    sbx_tls_material tls;
    memset(&tls, 0, sizeof tls);
    if (!cfg.plain_http && sbx_tls_prepare(state_dir, cfg.host, cfg.cert_mode, &tls) != 0)
        goto free_tls;

    sbx_faults *faults = NULL;
    if (sbx_faults_new(&faults) != 0)
        goto free_tls;
    sbx_store *store = NULL;
    if (sbx_store_open(cfg.db_path, &store) != 0)
        goto free_faults;

    bool v6 = strchr(cfg.host, ':') != NULL;
    char base_url[128];
    sbx_notifier *notifier = NULL;
    if (cfg.notify_url != NULL && sbx_notifier_start(store, &cfg, &notifier) != 0)
        goto close_store;
    sbx_app app = {store, cfg.shops, cfg.nshops, base_url, faults, &cfg.rules, notifier,
                   cfg.notify_url != NULL};
    if (bootstrap_settlement(&app) != 0)
        goto stop_notifier;
    sbx_http *http = NULL;
    uint16_t port = 0;
    if (sbx_http_start(&app, &cfg, cfg.plain_http ? NULL : tls.cert_pem,
                       cfg.plain_http ? NULL : tls.key_pem, &port, &http) != 0)
        goto stop_notifier;

    int w = snprintf(base_url, sizeof base_url, "%s://%s%s%s:%u",
                     cfg.plain_http ? "http" : "https", v6 ? "[" : "", cfg.host,
                     v6 ? "]" : "", (unsigned)port);
    char url[160];
    int w2 = snprintf(url, sizeof url, "%s/payment/", base_url);
    char announcement[PATH_MAX + 256];
    if (w < 0 || (size_t)w >= sizeof base_url || w2 < 0 || (size_t)w2 >= sizeof url ||
        format_announcement(announcement, sizeof announcement, url,
                            cfg.plain_http ? NULL : tls.ca_path) != 0)
        goto stop_http;
    if (cfg.ready_file != NULL && write_ready_file(cfg.ready_file, announcement) != 0)
        goto stop_http;
    if (fputs(announcement, stdout) < 0 || fflush(stdout) != 0)
        goto stop_http;
    sbx_log_request("listening on %s (state %s, db %s)", base_url, state_dir, cfg.db_path);

    int sig = 0;
    while (sigwait(&stop_signals, &sig) != 0) {
        /* sigwait only fails for an invalid set; retry defensively. */
    }
    sbx_log_request("signal %d: shutting down", sig);
    status = 0;

stop_http:
    sbx_http_stop(http);
stop_notifier:
    sbx_notifier_stop(notifier);
close_store:
    sbx_store_close(store);
free_faults:
    sbx_faults_free(faults);
free_tls:
    sbx_tls_material_free(&tls);
cleanup_curl:
    curl_global_cleanup();
    return status;
}
