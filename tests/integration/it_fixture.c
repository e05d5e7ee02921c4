/* The integration fixture: starts the sandbox, loads the plugin, records
 * every request/result for the schema check and every output for the
 * secrets check, and talks to the sandbox's admin API. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
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

#include "it.h"
#include "pmp_loader.h"

it_env it;

static pmp_loader *g_loader;
static it_sandbox g_main;
static pmp_ctx *g_main_ctx;
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;
static char *g_outputs;
static size_t g_outputs_len;
static int g_result_seq;
static CURL *g_admin;

static void outputs_append(const char *s, size_t n)
{
    char *p;

    pthread_mutex_lock(&g_out_lock);
    p = realloc(g_outputs, g_outputs_len + n + 2);
    if (p) {
        g_outputs = p;
        memcpy(g_outputs + g_outputs_len, s, n);
        g_outputs_len += n;
        g_outputs[g_outputs_len++] = '\n';
        g_outputs[g_outputs_len] = '\0';
    }
    pthread_mutex_unlock(&g_out_lock);
}

const char *it_outputs(void)
{
    return g_outputs ? g_outputs : "";
}

static void capture_log(void *user, int32_t level, const char *msg, size_t len)
{
    (void)user;
    (void)level;
    outputs_append(msg, len);
    if (getenv("IT_VERBOSE"))
        fprintf(stderr, "  [plugin] %.*s\n", (int)len, msg);
}

static const pmp_host_services g_host = {
    sizeof(pmp_host_services), 0, NULL, capture_log, NULL, NULL, NULL};

void it_secret(const char *s)
{
    char path[600];
    FILE *f;

    snprintf(path, sizeof(path), "%s/secrets.txt", it.results_dir);
    f = fopen(path, "a");
    if (f) {
        fprintf(f, "%s\n", s);
        fclose(f);
    }
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "w");

    if (!f)
        return;
    fwrite(text, 1, len, f);
    fclose(f);
}

static pmp_operation_fn op_fn(const char *op)
{
    const pmp_api *a = it.api;

    if (!strcmp(op, "capabilities"))
        return a->capabilities;
    if (!strcmp(op, "enroll"))
        return a->enroll;
    if (!strcmp(op, "payer_status"))
        return a->payer_status;
    if (!strcmp(op, "authorize"))
        return a->authorize;
    if (!strcmp(op, "capture"))
        return a->capture;
    if (!strcmp(op, "void"))
        return a->void_order;
    if (!strcmp(op, "refund"))
        return a->refund;
    if (!strcmp(op, "adjust"))
        return a->adjust;
    if (!strcmp(op, "status"))
        return a->status;
    return NULL;
}

int32_t it_call_ctx(pmp_ctx *ctx, const char *op, const char *request, pmp_result **out,
                    pmp_error *err)
{
    pmp_operation_fn fn = op_fn(op);
    int32_t rc;

    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
    *out = NULL;
    if (!fn) {
        CU_FAIL("unknown operation in test");
        return PMP_E_INTERNAL;
    }
    rc = fn(ctx, request, strlen(request), out, err);
    if (rc == PMP_OK && *out) {
        size_t len;
        const char *json = it.api->result_json(*out, &len);
        char path[700];
        int n;

        outputs_append(json, len);
        pthread_mutex_lock(&g_out_lock);
        n = ++g_result_seq;
        pthread_mutex_unlock(&g_out_lock);
        snprintf(path, sizeof(path), "%s/%s-%d.result.json", it.results_dir, op, n);
        write_file(path, json, len);
        snprintf(path, sizeof(path), "%s/%s-%d.request.json", it.results_dir, op, n);
        write_file(path, request, strlen(request));
    } else {
        outputs_append(err->message, strlen(err->message));
    }
    return rc;
}

int32_t it_notify_ctx(pmp_ctx *ctx, const char *body, size_t len, const char *headers,
                      pmp_result **out, pmp_error *err)
{
    int32_t rc;

    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
    *out = NULL;
    rc = it.api->notify(ctx, body, len, headers, headers ? strlen(headers) : 0, out, err);
    if (rc == PMP_OK && *out) {
        size_t rlen;
        const char *json = it.api->result_json(*out, &rlen);
        char path[700];
        int n;

        outputs_append(json, rlen);
        pthread_mutex_lock(&g_out_lock);
        n = ++g_result_seq;
        pthread_mutex_unlock(&g_out_lock);
        snprintf(path, sizeof(path), "%s/notify-%d.result.json", it.results_dir, n);
        write_file(path, json, rlen);
        if (headers) {
            snprintf(path, sizeof(path), "%s/notify-%d.request.json", it.results_dir, n);
            write_file(path, headers, strlen(headers));
        }
    } else {
        outputs_append(err->message, strlen(err->message));
    }
    return rc;
}

int32_t it_call(const char *op, const char *request, pmp_result **out, pmp_error *err)
{
    return it_call_ctx(it.ctx, op, request, out, err);
}

json_object *it_ok(const char *op, const char *request, char *status, size_t status_size)
{
    pmp_result *res = NULL;
    pmp_error err;
    json_object *doc = NULL;
    int32_t rc = it_call(op, request, &res, &err);

    if (rc != PMP_OK) {
        fprintf(stderr, "\n    %s(%s) failed: %d %s [%s]\n", op, request, rc, err.message,
                err.gateway_code);
        CU_FAIL_FATAL("operation failed");
    }
    doc = json_tokener_parse(it.api->result_json(res, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    CU_ASSERT_STRING_EQUAL(it_jstr(doc, "status"), it.api->result_status(res));
    CU_ASSERT_STRING_EQUAL(it_jstr(doc, "operation"), op);
    if (status)
        snprintf(status, status_size, "%s", it.api->result_status(res));
    it.api->result_free(res);
    return doc;
}

void it_fail(const char *op, const char *request, int32_t code, pmp_error *err)
{
    pmp_result *res = (pmp_result *)1;
    int32_t rc = it_call(op, request, &res, err);

    if (rc != code)
        fprintf(stderr, "\n    %s(%s): expected %d, got %d: %s\n", op, request, code, rc,
                err->message);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(err->code, code);
    CU_ASSERT_PTR_NULL(res);
    it.api->result_free(rc == PMP_OK ? res : NULL);
}

const char *it_fmt(const char *fmt, ...)
{
    static char buf[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return buf;
}

const char *it_id(const char *prefix, char *buf, size_t size)
{
    static int counter;

    snprintf(buf, size, "%s%d-%d", prefix, (int)getpid() % 100000, ++counter);
    return buf;
}

int64_t it_jint(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
        fprintf(stderr, "\n    no integer '%s' in %s\n", key, json_object_to_json_string(o));
        CU_FAIL("missing integer member");
        return -1;
    }
    return json_object_get_int64(v);
}

const char *it_jstr(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

int it_jbool(json_object *o, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean)) {
        CU_FAIL("missing boolean member");
        return -1;
    }
    return json_object_get_boolean(v);
}

/* ----------------------------------------------------------- admin API */

static size_t on_admin_body(char *d, size_t s, size_t n, void *user)
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

json_object *it_admin(const char *path, int post)
{
    char url[512];
    char *body = NULL;
    json_object *doc = NULL;
    long status = 0;

    snprintf(url, sizeof(url), "%s%s", it.admin_url, path);
    curl_easy_setopt(g_admin, CURLOPT_URL, url);
    curl_easy_setopt(g_admin, CURLOPT_CAINFO, it.ca_file);
    curl_easy_setopt(g_admin, CURLOPT_WRITEFUNCTION, on_admin_body);
    curl_easy_setopt(g_admin, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(g_admin, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(g_admin, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(g_admin, CURLOPT_CUSTOMREQUEST, post == 2 ? "DELETE" : NULL);
    if (post == 1) {
        curl_easy_setopt(g_admin, CURLOPT_POSTFIELDS, "");
    } else {
        curl_easy_setopt(g_admin, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(g_admin) == CURLE_OK) {
        curl_easy_getinfo(g_admin, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200 && body)
            doc = json_tokener_parse(body);
    }
    free(body);
    return doc;
}

char *it_raw_post(const char *operation, const char *body)
{
    char url[512];
    char *answer = NULL;
    CURL *h = curl_easy_init();

    if (!h)
        return NULL;
    snprintf(url, sizeof(url), "%s%s.idPass", it.base_url, operation);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CAINFO, it.ca_file);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_admin_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    if (curl_easy_perform(h) != CURLE_OK) {
        free(answer);
        answer = NULL;
    }
    curl_easy_cleanup(h);
    return answer;
}

int64_t it_seq(void)
{
    json_object *doc = it_admin("requests?since=0", 0);
    int64_t seq = doc ? it_jint(doc, "last_seq") : -1;

    json_object_put(doc);
    return seq;
}

int it_count(int64_t since, const char *op, const char *order_id)
{
    char path[64];
    json_object *doc, *list;
    int n = 0;
    size_t i;

    snprintf(path, sizeof(path), "requests?since=%lld", (long long)since);
    doc = it_admin(path, 0);
    if (!doc || !json_object_object_get_ex(doc, "requests", &list)) {
        CU_FAIL("sandbox request log unavailable");
        json_object_put(doc);
        return -1;
    }
    for (i = 0; i < json_object_array_length(list); i++) {
        json_object *r = json_object_array_get_idx(list, i);

        if ((!op || !strcmp(it_jstr(r, "op"), op)) &&
            (!order_id || !strcmp(it_jstr(r, "order_id"), order_id)))
            n++;
    }
    json_object_put(doc);
    return n;
}

void it_enroll(const char *buyer_id, const char *email_local, char *status, size_t status_size)
{
    json_object *doc = it_ok(
        "enroll",
        it_fmt("{\"buyer_id\":\"%s\",\"company_name\":\"株式会社テスト商事\","
               "\"company_name_kana\":\"カブシキガイシャテストショウジ\",\"zip_code\":\"150-0002\","
               "\"prefecture\":\"東京都\",\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\","
               "\"tel\":\"03-1234-5678\",\"email\":\"%s@example.jp\"}",
               buyer_id, email_local),
        status, status_size);

    CU_ASSERT_STRING_EQUAL(it_jstr(doc, "buyer_id"), buyer_id);
    json_object_put(doc);
}

/* --------------------------------------------------------- process setup */

static const char *g_sandbox_exe;

int it_sandbox_start(it_sandbox *sb, const char *name, const char *const *extra)
{
    return tsbx_start(sb, g_sandbox_exe, it.workdir, name, extra);
}

void it_sandbox_stop(it_sandbox *sb)
{
    tsbx_stop(sb);
}

void it_use(const it_sandbox *sb, pmp_ctx *ctx)
{
    snprintf(it.base_url, sizeof(it.base_url), "%s", sb->base_url);
    snprintf(it.admin_url, sizeof(it.admin_url), "%s", sb->admin_url);
    snprintf(it.ca_file, sizeof(it.ca_file), "%s", sb->ca_file);
    it.ctx = ctx;
}

pmp_ctx *it_ctx_open(const char *yaml, pmp_error *err)
{
    pmp_init_args args;
    pmp_ctx *ctx = NULL;

    memset(&args, 0, sizeof(args));
    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.config_origin = "it.yaml";
    args.host = &g_host;
    if (it.api->init(&args, &ctx, err) != PMP_OK)
        return NULL;
    return ctx;
}

int it_setup(const char *plugin, const char *sandbox, const char *results_dir)
{
    char yaml[2048];
    pmp_error err;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    snprintf(it.workdir, sizeof(it.workdir), "%s/pmp-it-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(it.workdir))
        return -1;
    snprintf(it.results_dir, sizeof(it.results_dir), "%s", results_dir);
    mkdir(it.results_dir, 0700);
    g_sandbox_exe = sandbox;
    if (it_sandbox_start(&g_main, "main", NULL) != 0)
        return -1;
    g_admin = curl_easy_init();
    if (!g_admin)
        return -1;
    if (pmp_loader_open(plugin, &g_loader, &err) != PMP_OK) {
        fprintf(stderr, "cannot load %s: %s\n", plugin, err.message);
        return -1;
    }
    it.api = pmp_loader_api(g_loader);
    it.shop_pass = "sbxpass01";
    it_secret(it.shop_pass);
    it_use(&g_main, NULL);
    snprintf(yaml, sizeof(yaml), "%s", it_ctx_yaml(&g_main, ""));
    g_main_ctx = it_ctx_open(yaml, &err);
    if (!g_main_ctx) {
        fprintf(stderr, "init failed: %s\n", err.message);
        return -1;
    }
    it_use(&g_main, g_main_ctx);
    return 0;
}

const char *it_ctx_yaml(const it_sandbox *sb, const char *extra)
{
    return it_fmt("gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
                  "shop:\n  id: tshop00000001\n  password: %s\nlogging:\n  level: debug\n%s",
                  sb->base_url, sb->ca_file, it.shop_pass, extra);
}

void it_use_main(void)
{
    it_use(&g_main, g_main_ctx);
}

void it_teardown(void)
{
    char cmd[700];

    if (it.api)
        it.api->shutdown(g_main_ctx);
    pmp_loader_close(g_loader);
    if (g_admin)
        curl_easy_cleanup(g_admin);
    it_sandbox_stop(&g_main);
    if (it.workdir[0] && !getenv("IT_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", it.workdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", it.workdir);
    }
    free(g_outputs);
}
