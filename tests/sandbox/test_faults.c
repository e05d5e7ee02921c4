/* Fault injection (POST /_sandbox/faults) and the broken-certificate modes:
 * every fault kind behaves as sandbox/README.md says, seen both from the
 * client (what arrives on the wire) and from the sandbox's own records
 * (whether the operation was committed, what the request log says). */
#include "tsb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OVERSIZED_LEN (2L * 1024 * 1024)

typedef struct fault_case {
    const char *kind;
    CURLcode code;        /* what libcurl reports */
    long status;          /* HTTP status when code is CURLE_OK */
    bool commits;         /* the order exists afterwards */
    const char *body;     /* exact body, or NULL */
    const char *prefix;   /* body prefix, or NULL */
} fault_case;

static const fault_case cases[] = {
    {"delay_after_commit", CURLE_OK, 200, true, NULL, "AccessID="},
    {"drop_before_commit", CURLE_GOT_NOTHING, 0, false, NULL, NULL},
    {"drop_after_commit", CURLE_GOT_NOTHING, 0, true, NULL, NULL},
    {"truncate", CURLE_PARTIAL_FILE, 0, true, NULL, NULL},
    {"http500", CURLE_OK, 500, false, NULL, "<html>"},
    {"http503", CURLE_OK, 503, false, NULL, "<html>"},
    {"http503_after_commit", CURLE_OK, 503, true, NULL, "<html>"},
    {"rate_limit", CURLE_OK, 200, false, "ErrCode=E92&ErrInfo=E92000001", NULL},
    {"garbage", CURLE_OK, 200, true, NULL, NULL},
    {"oversized", CURLE_OK, 200, true, NULL, "AccessID="},
    {"redirect", CURLE_OK, 302, false, NULL, NULL},
    {"multi_error", CURLE_OK, 200, false,
     "ErrCode=E01|E01|M01&ErrInfo=E01040013|E01060011|M01200013", NULL},
};

static void arm(const char *query, long want)
{
    char path[256];
    fmt(path, sizeof path, "/_sandbox/faults?%s", query);
    json_object *o = admin("POST", path, want);
    json_object_put(o);
}

static void disarm_all(void)
{
    json_object *o = admin("DELETE", "/_sandbox/faults", 200);
    json_object_put(o);
}

static bool order_exists(const char *order_id)
{
    char path[128];
    fmt(path, sizeof path, "/_sandbox/transactions/%s", order_id);
    char url[512];
    fmt(url, sizeof url, "%s%s", g_sb.base, path);
    http_result r = http(g_curl, &g_sb, "GET", url, NULL, NULL);
    bool found = r.status == 200;
    http_result_free(&r);
    return found;
}

/* The newest request-log row. */
static json_object *last_request(void)
{
    json_object *o = admin("GET", "/_sandbox/requests?since=0", 200);
    json_object *reqs = NULL, *last = NULL;
    if (json_object_object_get_ex(o, "requests", &reqs) && json_object_array_length(reqs) > 0)
        last = json_object_get(
            json_object_array_get_idx(reqs, json_object_array_length(reqs) - 1));
    json_object_put(o);
    return last;
}

static void test_every_fault_kind(void)
{
    disarm_all();
    char url[512];
    fmt(url, sizeof url, "%sEntryTranPaid.idPass", g_sb.url);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const fault_case *fc = &cases[i];
        char q[160];
        fmt(q, sizeof q, "op=EntryTranPaid&kind=%s%s", fc->kind,
            strcmp(fc->kind, "delay_after_commit") == 0 ? "&delay_ms=400" : "");
        arm(q, 200);

        char id[40], body[256];
        unique_id(id, sizeof id, "FLT-");
        fmt(body, sizeof body, SHOP "&OrderID=%s&Amount=1200&Tax=120", id);
        /* A fresh connection each time: a dropped one must not be reused. */
        CURL *c = curl_easy_init();
        CU_ASSERT_PTR_NOT_NULL_FATAL(c);
        http_result r = http_ex(c, &g_sb, "POST", url, body, NULL, true);
        curl_easy_cleanup(c);

        bool ok = r.code == fc->code && (fc->code != CURLE_OK || r.status == fc->status);
        if (fc->body != NULL)
            ok = ok && strcmp(r.body, fc->body) == 0;
        if (fc->prefix != NULL)
            ok = ok && strncmp(r.body, fc->prefix, strlen(fc->prefix)) == 0;
        if (strcmp(fc->kind, "garbage") == 0)
            ok = ok && r.len > 0 && memchr(r.body, '=', r.len) == NULL &&
                 memchr(r.body, '&', r.len) == NULL;
        if (strcmp(fc->kind, "oversized") == 0)
            ok = ok && (long)r.len == OVERSIZED_LEN;
        if (strcmp(fc->kind, "truncate") == 0)
            /* Half of "AccessID=<32>&AccessPass=<32>" arrived, then the close. */
            ok = ok && r.len == 42 && strncmp(r.body, "AccessID=", 9) == 0;
        if (strcmp(fc->kind, "redirect") == 0)
            ok = ok && strstr(r.location, "/payment/moved/EntryTranPaid.idPass") != NULL;
        if (strcmp(fc->kind, "delay_after_commit") == 0)
            ok = ok && r.seconds >= 0.39;
        bool exists = order_exists(id);
        if (!ok || exists != fc->commits)
            fprintf(stderr, "\n  fault %s: curl %d status %ld len %zu exists %d body %.60s\n",
                    fc->kind, (int)r.code, r.status, r.len, exists, r.body);
        CU_ASSERT(ok);
        CU_ASSERT_EQUAL(exists, fc->commits);
        http_result_free(&r);

        json_object *row = last_request();
        CU_ASSERT_STRING_EQUAL(jstr(row, "order_id"), id);
        CU_ASSERT_STRING_EQUAL(jstr(row, "fault"), fc->kind);
        json_object_put(row);
    }
    /* Each arming was for one request only: nothing is left. */
    json_object *o = admin("GET", "/_sandbox/faults", 200);
    json_object *list = NULL;
    CU_ASSERT(json_object_object_get_ex(o, "faults", &list));
    CU_ASSERT_EQUAL(json_object_array_length(list), 0);
    json_object_put(o);
}

/* count, op=*, other operations untouched, listing, clearing, bad input. */
static void test_fault_arming(void)
{
    disarm_all();
    arm("op=SearchTradeMulti&kind=rate_limit&count=2", 200);
    arm("op=*&kind=multi_error", 200);
    json_object *o = admin("GET", "/_sandbox/faults", 200);
    json_object *list = NULL;
    CU_ASSERT(json_object_object_get_ex(o, "faults", &list));
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(list), 2);
    json_object *first = json_object_array_get_idx(list, 0);
    CU_ASSERT_STRING_EQUAL(jstr(first, "op"), "SearchTradeMulti");
    CU_ASSERT_STRING_EQUAL(jstr(first, "kind"), "rate_limit");
    CU_ASSERT_EQUAL(jint(first, "remaining"), 2);
    json_object_put(o);

    order od;
    /* EntryTranPaid only matches the "*" entry (the older entry is for
     * another operation). */
    char *r = callf("EntryTranPaid", SHOP "&OrderID=ARM-%ld&Amount=1&Tax=0", (long)getpid());
    CU_ASSERT_STRING_EQUAL(r, "ErrCode=E01|E01|M01&ErrInfo=E01040013|E01060011|M01200013");
    free(r);
    CU_ASSERT_EQUAL_FATAL(entry(&od, 500, 0), 0);  /* the "*" entry is used up */
    r = search(&od);
    check_errors(r, "E92", "E92000001");
    free(r);
    r = search(&od);
    check_errors(r, "E92", "E92000001");
    free(r);
    r = search(&od);
    CHECK_FIELD(r, "Status", "UNPROCESSED");
    free(r);

    arm("op=ExecTranPaid&kind=http500&count=5", 200);
    disarm_all();
    o = admin("GET", "/_sandbox/faults", 200);
    CU_ASSERT(json_object_object_get_ex(o, "faults", &list));
    CU_ASSERT_EQUAL(json_object_array_length(list), 0);
    json_object_put(o);

    arm("op=NoSuchOp&kind=http500", 400);
    arm("op=ExecTranPaid&kind=explode", 400);
    arm("op=ExecTranPaid&kind=http500&count=0", 400);
    arm("op=ExecTranPaid&kind=delay_after_commit&delay_ms=9999999", 400);
    arm("kind=http500", 400);
    o = admin("PUT", "/_sandbox/faults", 405);
    json_object_put(o);
}

typedef struct delayed_call {
    char url[512];
    char body[256];
    http_result result;
} delayed_call;

static void *delayed_main(void *arg)
{
    delayed_call *d = arg;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return NULL;
    d->result = http(c, &g_sb, "POST", d->url, d->body, NULL);
    curl_easy_cleanup(c);
    return NULL;
}

/* A held-back answer must not hold up anyone else: the sandbox suspends
 * the connection instead of sleeping in a pool thread. */
static void test_delay_does_not_block_others(void)
{
    disarm_all();
    arm("op=EntryTranPaid&kind=delay_after_commit&delay_ms=1500", 200);
    delayed_call d;
    memset(&d, 0, sizeof d);
    fmt(d.url, sizeof d.url, "%sEntryTranPaid.idPass", g_sb.url);
    char id[40];
    unique_id(id, sizeof id, "DLY-");
    fmt(d.body, sizeof d.body, SHOP "&OrderID=%s&Amount=10&Tax=0", id);
    pthread_t th;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, delayed_main, &d), 0);
    struct timespec pause = {0, 200 * 1000 * 1000};
    (void)nanosleep(&pause, NULL);
    /* Committed before the answer: visible while the answer is held. */
    CU_ASSERT(order_exists(id));
    /* Meanwhile other requests (several connections, so every pool thread
     * gets some) are answered at once. */
    for (int i = 0; i < 8; i++) {
        CURL *c = curl_easy_init();
        char url[512];
        fmt(url, sizeof url, "%s/_sandbox/health", g_sb.base);
        http_result r = http(c, &g_sb, "GET", url, NULL, NULL);
        CU_ASSERT_EQUAL(r.status, 200);
        CU_ASSERT(r.seconds < 1.0);
        http_result_free(&r);
        curl_easy_cleanup(c);
    }
    (void)pthread_join(th, NULL);
    CU_ASSERT_EQUAL(d.result.status, 200);
    CU_ASSERT(d.result.seconds >= 1.45);
    CU_ASSERT_EQUAL(strncmp(d.result.body, "AccessID=", 9), 0);
    http_result_free(&d.result);
}

/* A sandbox presenting a broken certificate signed by its own CA: a
 * verifying client refuses both. */
static void check_cert_mode(const char *mode, const char *name)
{
    const char *extra[] = {"--cert-mode", mode, NULL};
    sandbox sb;
    CU_ASSERT_EQUAL_FATAL(sandbox_start_args(&sb, name, NULL, extra), 0);
    CURL *c = curl_easy_init();
    char url[512];
    fmt(url, sizeof url, "%s/_sandbox/health", sb.base);
    http_result r = http_ex(c, &sb, "GET", url, NULL, NULL, true);
    CU_ASSERT_EQUAL(r.code, CURLE_PEER_FAILED_VERIFICATION);
    http_result_free(&r);
    curl_easy_cleanup(c);
    CU_ASSERT_EQUAL(sandbox_stop(&sb), 0);
}

static void test_cert_modes(void)
{
    check_cert_mode("expired", "cert-expired");
    check_cert_mode("wrong-host", "cert-wrong-host");
    /* A normal start over the same kind of state directory works again. */
    sandbox sb;
    CU_ASSERT_EQUAL_FATAL(sandbox_start(&sb, "cert-expired", NULL), 0);
    CURL *c = curl_easy_init();
    char url[512];
    fmt(url, sizeof url, "%s/_sandbox/health", sb.base);
    http_result r = http(c, &sb, "GET", url, NULL, NULL);
    CU_ASSERT_EQUAL(r.code, CURLE_OK);
    CU_ASSERT_EQUAL(r.status, 200);
    http_result_free(&r);
    curl_easy_cleanup(c);
    CU_ASSERT_EQUAL(sandbox_stop(&sb), 0);
}

int tsb_add_fault_tests(CU_pSuite s)
{
    return CU_add_test(s, "every fault kind", test_every_fault_kind) != NULL &&
                   CU_add_test(s, "fault arming", test_fault_arming) != NULL &&
                   CU_add_test(s, "delayed answers block nobody",
                               test_delay_does_not_block_others) != NULL &&
                   CU_add_test(s, "expired and wrong-host certificates", test_cert_modes) != NULL
               ? 0
               : -1;
}
