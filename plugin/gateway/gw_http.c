#include "gw_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "gw_mem.h"

/* Idle handles kept for reuse; more are created under load and cleaned up
 * when returned to a full pool. */
#define POOL_MAX 32

typedef struct pooled {
    CURL *easy;
    struct pooled *next;
} pooled;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_refs;
static int g_curl_inited;
static pid_t g_pid;
static CURLSH *g_share;
static pthread_mutex_t g_share_locks[CURL_LOCK_DATA_LAST];
static struct curl_slist *g_headers;
static pooled *g_idle;
static int g_idle_count;

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *user)
{
    (void)h;
    (void)access;
    (void)user;
    pthread_mutex_lock(&g_share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
    (void)h;
    (void)user;
    pthread_mutex_unlock(&g_share_locks[data]);
}

/* In a forked child the pooled connections belong to the parent: forget
 * them without touching their sockets (a TLS close would break the
 * parent's session). */
static void forget_after_fork(void)
{
    if (g_pid == getpid())
        return;
    g_idle = NULL;
    g_idle_count = 0;
    g_share = NULL;
    g_headers = NULL;
    g_pid = getpid();
}

static int setup_locked(void)
{
    int i;

    forget_after_fork();
    if (!g_curl_inited) {
        /* Reference-counted by libcurl; thread-safe since 7.84 when
         * CURL_VERSION_THREADSAFE is set, and we hold our own lock anyway. */
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return -1;
        g_curl_inited = 1;
        for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
            pthread_mutex_init(&g_share_locks[i], NULL);
    }
    if (!g_share) {
        g_share = curl_share_init();
        if (!g_share)
            return -1;
        curl_share_setopt(g_share, CURLSHOPT_LOCKFUNC, share_lock);
        curl_share_setopt(g_share, CURLSHOPT_UNLOCKFUNC, share_unlock);
        curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl_share_setopt(g_share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    if (!g_headers) {
        struct curl_slist *h = NULL, *t;

        t = curl_slist_append(
            h, "Content-Type: application/x-www-form-urlencoded;charset=Windows-31J");
        if (t)
            h = t;
        t = t ? curl_slist_append(h, "Accept: text/plain") : NULL;
        if (t)
            h = t;
        /* No "Expect: 100-continue" round trip for small bodies. */
        t = t ? curl_slist_append(h, "Expect:") : NULL;
        if (!t) {
            curl_slist_free_all(h);
            return -1;
        }
        g_headers = t;
    }
    g_pid = getpid();
    return 0;
}

int gw_http_acquire(void)
{
    int rc;

    pthread_mutex_lock(&g_lock);
    rc = setup_locked();
    if (rc == 0)
        g_refs++;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

void gw_http_release(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_refs > 0)
        g_refs--;
    pthread_mutex_unlock(&g_lock);
}

/* Frees the pool when the plugin is unloaded (dlclose or exit), so loading
 * and unloading in a loop does not grow. Nothing runs at load time. */
__attribute__((destructor)) static void gw_http_unload(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_pid == getpid()) {
        while (g_idle) {
            pooled *p = g_idle;

            g_idle = p->next;
            curl_easy_cleanup(p->easy);
            free(p);
        }
        if (g_share)
            curl_share_cleanup(g_share);
        curl_slist_free_all(g_headers);
        if (g_curl_inited)
            curl_global_cleanup();
    }
    g_share = NULL;
    g_headers = NULL;
    g_idle = NULL;
    g_idle_count = 0;
    g_curl_inited = 0;
    pthread_mutex_unlock(&g_lock);
}

static int on_prereq(void *user, char *primary_ip, char *local_ip, int primary_port,
                     int local_port);
static size_t on_body(char *data, size_t size, size_t nmemb, void *user);

static CURL *take_handle(void)
{
    CURL *easy = NULL;
    pooled *p = NULL;

    pthread_mutex_lock(&g_lock);
    forget_after_fork();
    if (g_idle) {
        p = g_idle;
        g_idle = p->next;
        g_idle_count--;
    }
    pthread_mutex_unlock(&g_lock);
    if (p) {
        easy = p->easy;
        free(p);
        return easy;
    }
    easy = curl_easy_init();
    if (easy) {
        /* What never changes is set once per handle, not per request. */
        curl_easy_setopt(easy, CURLOPT_POST, 1L);
        curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, on_prereq);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, g_headers);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
        curl_easy_setopt(easy, CURLOPT_SHARE, g_share);
        curl_easy_setopt(easy, CURLOPT_USERAGENT, "paid-pmp/" PMP_PLUGIN_VERSION);
    }
    return easy;
}

static void give_back(CURL *easy)
{
    pooled *p = NULL;

    pthread_mutex_lock(&g_lock);
    if (g_idle_count < POOL_MAX && g_pid == getpid())
        p = malloc(sizeof(*p));
    if (p) {
        p->easy = easy;
        p->next = g_idle;
        g_idle = p;
        g_idle_count++;
    }
    pthread_mutex_unlock(&g_lock);
    if (!p)
        curl_easy_cleanup(easy);
}

/* libcurl resends a request by itself when a reused connection dies
 * without an answer: a fresh connection, the same POST again. For a
 * money-moving call that is a blind resend, so every attempt after the first
 * within one transfer is refused here, just before it would be sent (the
 * pre-request callback runs once per attempt); the transfer then fails and
 * the idPass client settles the outcome by inquiry. The body itself goes
 * through CURLOPT_POSTFIELDS, so that libcurl writes headers and body in one
 * TLS record; a body from a read callback costs a second write per request. */
static int on_prereq(void *user, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    int *attempts = user;

    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    return ++*attempts > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    gw_buf *body = user;
    size_t n = size * nmemb;

    /* Returning less than n aborts the transfer (CURLE_WRITE_ERROR). */
    return gw_buf_append(body, data, n) == 0 ? n : 0;
}

static int classify(CURLcode cc, CURL *easy)
{
    curl_off_t pretransfer = 0;

    switch (cc) {
    case CURLE_OK:
        return GW_HTTP_ANSWERED;
    case CURLE_OUT_OF_MEMORY:
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
        return GW_HTTP_NOT_SENT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_INITFAILED:
        return GW_HTTP_TLS;
    default:
        break;
    }
    /* Before "pre-transfer" the connection (and TLS) was not even ready, so
     * no byte of the request can have left. */
    if (curl_easy_getinfo(easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) == CURLE_OK &&
        pretransfer == 0)
        return cc == CURLE_OUT_OF_MEMORY ? GW_HTTP_NOMEM : GW_HTTP_NOT_SENT;
    return GW_HTTP_UNKNOWN;
}

int gw_http_post(const gw_http_opts *opts, const gw_mem *mem, const char *url, const char *body,
                 size_t len, gw_http_reply *reply)
{
    CURL *easy;
    CURLcode cc;
    int attempts = 0;
    char errbuf[CURL_ERROR_SIZE];
    curl_off_t total_us = 0;
    long connects = 0;
    int outcome;

    memset(reply, 0, sizeof(*reply));
    gw_buf_init(&reply->body, mem, GW_HTTP_MAX_BODY);
    easy = take_handle();
    if (!easy) {
        snprintf(reply->detail, sizeof(reply->detail), "could not create a libcurl handle");
        return GW_HTTP_NOMEM;
    }
    errbuf[0] = '\0';
    /* per request: the rest was set when the handle was made (take_handle) */
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, &attempts);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &reply->body);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, opts->allow_plain_http ? "http,https" : "https");
    curl_easy_setopt(easy, CURLOPT_CAINFO, opts->ca_file);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, opts->connect_timeout_ms);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, opts->timeout_ms);

    cc = curl_easy_perform(easy);
    outcome = classify(cc, easy);
    if (attempts > 1 && cc != CURLE_OK) {
        /* The first attempt was sent on a reused connection that then died
         * without an answer; the resend was refused. It may have arrived. */
        outcome = GW_HTTP_UNKNOWN;
        snprintf(reply->detail, sizeof(reply->detail),
                 "the connection closed without an answer after the request was sent; "
                 "not resending it");
    } else if (cc == CURLE_WRITE_ERROR && reply->body.failed)
        snprintf(reply->detail, sizeof(reply->detail), "response body larger than %d bytes",
                 GW_HTTP_MAX_BODY);
    else if (cc != CURLE_OK)
        snprintf(reply->detail, sizeof(reply->detail), "%s",
                 errbuf[0] ? errbuf : curl_easy_strerror(cc));
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply->status);
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &total_us);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    reply->elapsed_ms = (double)total_us / 1000.0;
    reply->reused = connects == 0;

    /* Drop per-call pointers before the handle goes back to the pool. */
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(easy, CURLOPT_PREREQDATA, NULL);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
    give_back(easy);
    return outcome;
}
