/* Helpers shared by the sandbox's black-box tests: the sandbox process,
 * HTTPS calls with libcurl, the idPass answer format and the admin API. */
#include "tsb.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* ---- small utilities ---------------------------------------------------------- */

const char *g_bin;
char g_tmp[PATH_MAX];  /* per-run scratch directory */
static unsigned g_counter;

/* A unique OrderID / PaidBuyerID per call, so tests never collide. */
void unique_id(char *buf, size_t n, const char *prefix)
{
    (void)snprintf(buf, n, "%s%ld-%u", prefix, (long)getpid() % 100000, ++g_counter);
}

/* snprintf that treats truncation as a broken test environment. */
void fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int w = vsnprintf(buf, n, f, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n) {
        fprintf(stderr, "test_sandbox: string too long\n");
        abort();
    }
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        abort();
    return p;
}

/* ---- the sandbox process ------------------------------------------------------------ */


static bool read_ready(const char *path, sandbox *sb)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    char line[PATH_MAX + 64];
    bool ready = false;
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "PAID_SANDBOX_URL=", 17) == 0)
            fmt(sb->url, sizeof sb->url, "%s", line + 17);
        else if (strncmp(line, "PAID_SANDBOX_CA=", 16) == 0)
            fmt(sb->ca, sizeof sb->ca, "%s", line + 16);
        else if (strcmp(line, "PAID_SANDBOX_READY=1") == 0)
            ready = true;
    }
    (void)fclose(f);
    return ready;
}

int sandbox_start(sandbox *sb, const char *name, const char *db)
{
    return sandbox_start_args(sb, name, db, NULL);
}

/* Returns 0 or -1. */
int sandbox_start_args(sandbox *sb, const char *name, const char *db,
                       const char *const *extra)
{
    memset(sb, 0, sizeof *sb);
    char state[PATH_MAX], ready[PATH_MAX];
    fmt(state, sizeof state, "%s/%s-state", g_tmp, name);
    fmt(ready, sizeof ready, "%s/%s-ready", g_tmp, name);
    fmt(sb->stderr_path, sizeof sb->stderr_path, "%s/%s-stderr", g_tmp, name);
    (void)unlink(ready);

    const char *argv[48];
    int a = 0;
    argv[a++] = g_bin;
    argv[a++] = "--port";
    argv[a++] = "0";
    argv[a++] = "--state-dir";
    argv[a++] = state;
    argv[a++] = "--ready-file";
    argv[a++] = ready;
    argv[a++] = "--threads";
    argv[a++] = "4";
    if (db != NULL) {
        argv[a++] = "--db";
        argv[a++] = db;
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL && a < 47; i++)
        argv[a++] = extra[i];
    argv[a] = NULL;

    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    int rc = -1;
    /* stdout is checked through the ready file; stderr is kept to prove
     * that no password reaches the log. */
    if (posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 2, sb->stderr_path,
                                         O_WRONLY | O_CREAT | O_APPEND, 0600) != 0)
        goto destroy_actions;
    if (posix_spawn(&sb->pid, g_bin, &fa, NULL, (char *const *)argv, environ) != 0)
        goto destroy_actions;
    /* Up to 30 s: a sanitizer build generates keys slowly. */
    for (int i = 0; i < 1500; i++) {
        if (read_ready(ready, sb)) {
            char *p = strstr(sb->url, "/payment/");
            if (p != NULL)
                (void)snprintf(sb->base, sizeof sb->base, "%.*s", (int)(p - sb->url), sb->url);
            rc = 0;
            break;
        }
        int status;
        if (waitpid(sb->pid, &status, WNOHANG) == sb->pid) {
            sb->pid = 0;
            break;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
    }
destroy_actions:
    (void)posix_spawn_file_actions_destroy(&fa);
    return rc;
}

/* SIGTERM and reap; returns the exit status (or -1). */
int sandbox_stop(sandbox *sb)
{
    if (sb->pid <= 0)
        return -1;
    int status = 0;
    (void)kill(sb->pid, SIGTERM);
    pid_t r;
    do {
        r = waitpid(sb->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    sb->pid = 0;
    if (r < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

bool tsb_stderr_clean(const sandbox *sb)
{
    FILE *f = fopen(sb->stderr_path, "r");
    if (f == NULL)
        return false;
    char line[2048];
    bool clean = true;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "runtime error:") != NULL || strstr(line, "Sanitizer") != NULL) {
            fprintf(stderr, "\n  %s: %s", sb->stderr_path, line);
            clean = false;
        }
    }
    (void)fclose(f);
    return clean;
}

/* ---- HTTP ----------------------------------------------------------------------- */


void http_result_free(http_result *r)
{
    free(r->body);
    free(r->content_type);
    free(r->location);
    memset(r, 0, sizeof *r);
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    http_result *r = ud;
    size_t n = size * nmemb;
    char *p = realloc(r->body, r->len + n + 1);
    if (p == NULL)
        return 0;
    memcpy(p + r->len, ptr, n);
    r->len += n;
    p[r->len] = '\0';
    r->body = p;
    return n;
}

sandbox g_sb;       /* the shared sandbox of most tests */
CURL *g_curl;       /* reused: exercises keep-alive */

http_result http(CURL *curl, const sandbox *sb, const char *method, const char *url,
                 const char *body, const char *content_type)
{
    return http_ex(curl, sb, method, url, body, content_type, false);
}

http_result http_ex(CURL *curl, const sandbox *sb, const char *method, const char *url,
                    const char *body, const char *content_type, bool failure_expected)
{
    http_result r;
    memset(&r, 0, sizeof r);
    curl_easy_reset(curl);
    struct curl_slist *hdr = NULL;
    char ct[128];
    (void)snprintf(ct, sizeof ct, "Content-Type: %s",
                   content_type != NULL ? content_type : "application/x-www-form-urlencoded");
    hdr = curl_slist_append(hdr, ct);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CAINFO, sb->ca);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
    }
    CURLcode cc = curl_easy_perform(curl);
    r.code = cc;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        char *t = NULL;
        curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &t);
        r.content_type = xstrdup(t != NULL ? t : "");
        t = NULL;
        curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &t);
        r.location = xstrdup(t != NULL ? t : "");
    } else if (!failure_expected) {
        fprintf(stderr, "curl %s: %s\n", url, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &r.seconds);
    if (r.body == NULL)
        r.body = xstrdup("");
    if (r.content_type == NULL)
        r.content_type = xstrdup("");
    if (r.location == NULL)
        r.location = xstrdup("");
    curl_slist_free_all(hdr);
    return r;
}

/* POST /payment/<op>.idPass with a raw (already encoded) body; returns the
 * raw response body (caller frees). */
char *call(const char *op, const char *body)
{
    char url[512];
    (void)snprintf(url, sizeof url, "%s%s.idPass", g_sb.url, op);
    http_result r = http(g_curl, &g_sb, "POST", url, body, NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    char *out = r.body;
    r.body = NULL;
    http_result_free(&r);
    return out;
}

char *callf(const char *op, const char *fmt, ...)
{
    char body[8192];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    return call(op, body);
}

/* Value of key in a `Key=Value&...` response (split on '&', then on the
 * first '='; no decoding), or NULL. Caller frees. */
char *field(const char *resp, const char *key)
{
    size_t klen = strlen(key);
    const char *p = resp;
    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            char *v = malloc(n - klen);
            if (v == NULL)
                abort();
            memcpy(v, p + klen + 1, n - klen - 1);
            v[n - klen - 1] = '\0';
            return v;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    return NULL;
}


json_object *admin(const char *method, const char *path, long want_status)
{
    char url[512];
    (void)snprintf(url, sizeof url, "%s%s", g_sb.base, path);
    http_result r = http(g_curl, &g_sb, method, url, NULL, NULL);
    CU_ASSERT_EQUAL(r.status, want_status);
    json_object *o = json_tokener_parse(r.body);
    CU_ASSERT_PTR_NOT_NULL(o);
    http_result_free(&r);
    return o;
}

const char *jstr(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o == NULL || !json_object_object_get_ex(o, key, &v))
        return "";
    return json_object_get_string(v);
}

int64_t jint(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (o == NULL || !json_object_object_get_ex(o, key, &v))
        return -1;
    return json_object_get_int64(v);
}

/* ---- domain helpers ----------------------------------------------------------------- */

/* Registers a buyer whose e-mail local part is local (the screening test
 * value); returns 0 on success. */
int save_buyer(const char *buyer_id, const char *local)
{
    char *r = callf("SavePaidBuyer",
                    SHOP "&PaidBuyerID=%s&CompanyName=Test%%20Co&CompanyNameKana=%%83e%%83X%%83g"
                    "&RepresentativeSei=&RepresentativeMei=&RepresentativeSeiKana="
                    "&RepresentativeMeiKana=&ZipCode=100-0001&Prefecture=%%93%%8C%%8B%%9E%%93s"
                    "&Address1=Chiyoda&Address2=1-1&Address3=&AuxName=&ClerkSei=&ClerkMei="
                    "&ClerkSeiKana=&ClerkMeiKana=&Tel=03-1234-5678&Fax=&MobileTel="
                    "&Email=%s%%40example.com&EstablishedYear=&EstablishedMonth=&AnnualSales="
                    "&BusinessDetailType=&DealingBrand=&ShopCount=&Url1=&Url2=&Url3=&Profile="
                    "&ClosingDay=&PaymentMethod=",
                    buyer_id, local);
    char *got = field(r, "PaidBuyerID");
    int rc = got != NULL && strcmp(got, buyer_id) == 0 && strstr(r, "ErrCode") == NULL ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "\n  SavePaidBuyer %s: %s\n", buyer_id, r);
    free(got);
    free(r);
    return rc;
}

/* Every access pass issued during the run, to search the logs for. */
char g_passes[256][40];
size_t g_npasses;


int entry(order *o, long amount, long tax)
{
    unique_id(o->id, sizeof o->id, "ORD-");
    char *r = callf("EntryTranPaid", SHOP "&OrderID=%s&Amount=%ld&Tax=%ld", o->id, amount, tax);
    char *id = field(r, "AccessID"), *pass = field(r, "AccessPass");
    int rc = -1;
    if (id != NULL && pass != NULL && strlen(id) == 32 && strlen(pass) == 32) {
        (void)snprintf(o->access_id, sizeof o->access_id, "%s", id);
        (void)snprintf(o->access_pass, sizeof o->access_pass, "%s", pass);
        if (g_npasses < sizeof g_passes / sizeof g_passes[0])
            (void)snprintf(g_passes[g_npasses++], sizeof g_passes[0], "%s", pass);
        rc = 0;
    } else {
        fprintf(stderr, "\n  EntryTranPaid: %s\n", r);
    }
    free(id);
    free(pass);
    free(r);
    return rc;
}

/* ExecTranPaid; returns the raw response. */
char *exec_order(const order *o, const char *buyer, const char *contents)
{
    return callf("ExecTranPaid",
                 SHOP "&AccessID=%s&AccessPass=%s&OrderID=%s&PaidBuyerID=%s&ClientField1="
                      "&ClientField2=&ClientField3=&ClientFieldFlag=0&Contents=%s",
                 o->access_id, o->access_pass, o->id, buyer, contents);
}

/* An order op that only needs the keys (PaidSales, PaidCancel, PaidReturn). */
char *order_op(const char *op, const order *o, const char *extra)
{
    return callf(op, SHOP "&AccessID=%s&AccessPass=%s&OrderID=%s%s", o->access_id,
                 o->access_pass, o->id, extra != NULL ? extra : "");
}

char *search(const order *o)
{
    return callf("SearchTradeMulti", SHOP "&OrderID=%s&PayType=29", o->id);
}

long rest_amount(const char *buyer)
{
    char *r = callf("CheckPaidRestAmount", SHOP "&PaidBuyerID=%s", buyer);
    char *v = field(r, "RestAmount");
    long n = v != NULL ? strtol(v, NULL, 10) : -1;
    free(v);
    free(r);
    return n;
}

char *buyer_status(const char *buyer)
{
    char *r = callf("CheckPaidBuyer", SHOP "&PaidBuyerID=%s", buyer);
    char *v = field(r, "BuyerStatus");
    free(r);
    return v != NULL ? v : xstrdup("");
}

/* Asserts that a response is exactly the given error list. */
void check_errors(const char *resp, const char *codes, const char *infos)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(resp);
    char want[1024];
    fmt(want, sizeof want, "ErrCode=%s&ErrInfo=%s", codes, infos);
    if (strcmp(resp, want) != 0)
        fprintf(stderr, "\n  got  %s\n  want %s\n", resp != NULL ? resp : "(null)", want);
    CU_ASSERT_STRING_EQUAL(resp, want);
}

void advance(const char *query)
{
    char path[128];
    (void)snprintf(path, sizeof path, "/_sandbox/clock/advance?%s", query);
    json_object *o = admin("POST", path, 200);
    json_object_put(o);
}

