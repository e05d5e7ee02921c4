#include "rob.h"

#include <curl/curl.h>
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --------------------------------------------------------------- checks */

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_passed, g_failed;

int rob_check(int cond, const char *expr, const char *file, int line)
{
    pthread_mutex_lock(&g_lock);
    if (cond) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
    }
    pthread_mutex_unlock(&g_lock);
    return cond;
}

int rob_checkf(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&g_lock);
    if (cond) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "%s:%d: check failed: ", file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&g_lock);
    return cond;
}

int rob_report(const char *name)
{
    long passed, failed;

    pthread_mutex_lock(&g_lock);
    passed = g_passed;
    failed = g_failed;
    pthread_mutex_unlock(&g_lock);
    printf("%s: %ld passed, %ld failed\n", name, passed, failed);
    return failed ? 1 : 0;
}

/* -------------------------------------------------------------- sandbox */

int rob_sandbox_start(rob_sandbox *sb, const char *exe, const char *const *extra)
{
    return tsbx_start(sb, exe, NULL, "sandbox", extra);
}

void rob_sandbox_stop(rob_sandbox *sb)
{
    tsbx_stop(sb);
}

static size_t on_body(char *d, size_t s, size_t n, void *user)
{
    char **buf = user;
    size_t have = *buf ? strlen(*buf) : 0;
    char *p = realloc(*buf, have + s * n + 1);

    if (!p)
        return 0;
    memcpy(p + have, d, s * n);
    p[have + s * n] = '\0';
    *buf = p;
    return s * n;
}

char *rob_admin(const rob_sandbox *sb, const char *path, int post, int verify)
{
    char url[600];
    char *body = NULL;
    long status = 0;
    CURL *h = curl_easy_init();

    if (!h)
        return NULL;
    snprintf(url, sizeof(url), "%s%s", sb->admin_url, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, sb->ca_file);
    if (!verify) {
        /* Only to read the log of a sandbox whose certificate is broken on
         * purpose; the plugin has no such switch. */
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (post)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    if (curl_easy_perform(h) != CURLE_OK ||
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != 200) {
        free(body);
        body = NULL;
    }
    curl_easy_cleanup(h);
    return body;
}

long rob_last_seq(const rob_sandbox *sb, int verify)
{
    char *body = rob_admin(sb, "requests?since=0&limit=1", 0, verify);
    json_object *doc = body ? json_tokener_parse(body) : NULL, *v = NULL;
    long seq = -1;

    if (doc && json_object_object_get_ex(doc, "last_seq", &v))
        seq = (long)json_object_get_int64(v);
    json_object_put(doc);
    free(body);
    return seq;
}

/* --------------------------------------------------------------- plugin */

int rob_plugin_open(rob_plugin *p, const char *path)
{
    pmp_get_api_fn get;
    void *sym;

    memset(p, 0, sizeof(*p));
    p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!p->handle) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return -1;
    }
    sym = dlsym(p->handle, "pmp_get_api");
    memcpy(&get, &sym, sizeof(get)); /* object pointer to function pointer */
    if (!sym || get(PMP_ABI_MAJOR, &p->api) != PMP_OK || !p->api ||
        p->api->abi_major != PMP_ABI_MAJOR || p->api->struct_size < sizeof(pmp_api)) {
        fprintf(stderr, "%s: no usable v%d table\n", path, PMP_ABI_MAJOR);
        dlclose(p->handle);
        memset(p, 0, sizeof(*p));
        return -1;
    }
    return 0;
}

void rob_plugin_close(rob_plugin *p)
{
    if (p->handle)
        dlclose(p->handle);
    memset(p, 0, sizeof(*p));
}

void rob_config(const rob_sandbox *sb, const char *extra, char *buf, size_t size)
{
    snprintf(buf, size,
             "gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n%s",
             sb->base_url, sb->ca_file, extra ? extra : "");
}

static void error_init(pmp_error *err)
{
    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
}

int32_t rob_ctx_open(const pmp_api *api, const char *yaml, const pmp_host_services *host,
                     pmp_ctx **out, pmp_error *err)
{
    pmp_init_args args;

    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.config_origin = "robustness.yaml";
    args.host = host;
    error_init(err);
    return api->init(&args, out, err);
}

int32_t rob_call(const pmp_api *api, pmp_ctx *ctx, const char *op, const char *request,
                 pmp_result **out, pmp_error *err)
{
    pmp_operation_fn fn = !strcmp(op, "capabilities")   ? api->capabilities
                          : !strcmp(op, "enroll")       ? api->enroll
                          : !strcmp(op, "payer_status") ? api->payer_status
                          : !strcmp(op, "authorize")    ? api->authorize
                          : !strcmp(op, "capture")      ? api->capture
                          : !strcmp(op, "void")         ? api->void_order
                          : !strcmp(op, "refund")       ? api->refund
                          : !strcmp(op, "adjust")       ? api->adjust
                          : !strcmp(op, "status")       ? api->status
                                                        : NULL;

    error_init(err);
    *out = NULL;
    if (!fn) {
        ROB_CHECKF(0, "unknown operation %s", op);
        return PMP_E_INTERNAL;
    }
    return fn(ctx, request, strlen(request), out, err);
}

void rob_id(const char *prefix, char *buf, size_t size)
{
    static long counter;
    long n;

    pthread_mutex_lock(&g_lock);
    n = ++counter;
    pthread_mutex_unlock(&g_lock);
    snprintf(buf, size, "%s%ld-%ld", prefix, (long)getpid() % 100000, n);
}

void rob_enroll_request(const char *buyer_id, char *buf, size_t size)
{
    snprintf(buf, size,
             "{\"buyer_id\":\"%s\",\"company_name\":\"株式会社テスト商事\","
             "\"company_name_kana\":\"カブシキガイシャテストショウジ\",\"zip_code\":\"150-0002\","
             "\"prefecture\":\"東京都\",\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\","
             "\"tel\":\"03-1234-5678\",\"email\":\"line5000000-%s@example.jp\"}",
             buyer_id, buyer_id);
}

/* ---------------------------------------------------------------- process */

int rob_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory stream itself */
}

long rob_rss_kib(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    long kib = -1;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}
