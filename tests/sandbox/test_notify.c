/* Result notifications (docs/protocol.md §7) end to end: a sandbox started
 * with --notify-url pointing at a small HTTP receiver in this process
 * (answering "not 0" first, then "0"), --notify-interval 1 and
 * --notify-retries 3. Checks the fields, resends until "0" with
 * byte-identical bodies, giving up, the admin resend and connectivity test,
 * the order of notifications caused by a clock advance, and that only
 * loopback notify URLs are accepted. */
#include "tsb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_RECEIVED 256
#define RETRIES 3

/* ---- the receiver ----------------------------------------------------------------- */

typedef struct received {
    char *body;        /* owned */
    double at;         /* monotonic seconds */
    int answered;      /* HTTP status we sent */
} received;

static struct {
    int fd;
    uint16_t port;
    pthread_t thread;
    pthread_mutex_t lock;
    bool stop;
    received got[MAX_RECEIVED];
    size_t n;
    /* answer policy */
    int nack_first;          /* answer "1" to the first N sends of each body */
    char fail_order[48];     /* answer 500 to every body with this OrderID */
} g_rx;

static double mono(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* The value of a header (case-insensitive name) in raw request headers. */
static const char *header_value(const char *head, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; p != NULL && *p != '\0'; p = strstr(p, "\r\n")) {
        while (*p == '\r' || *p == '\n')
            p++;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':')
            return p + n + 1;
    }
    return NULL;
}

/* Reads one request (headers + Content-Length body) and answers it. */
static void serve_one(int c)
{
    char buf[16384];
    size_t len = 0;
    char *body = NULL;
    size_t want = 0;
    for (;;) {
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0)
            return;
        ssize_t r = read(c, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return;
        len += (size_t)r;
        buf[len] = '\0';
        char *end = strstr(buf, "\r\n\r\n");
        if (end == NULL)
            continue;
        const char *cl = header_value(buf, "Content-Length");
        want = cl != NULL ? (size_t)strtoul(cl, NULL, 10) : 0;
        body = end + 4;
        if ((size_t)(buf + len - body) >= want)
            break;
    }
    body[want] = '\0';

    (void)pthread_mutex_lock(&g_rx.lock);
    int seen = 0;
    for (size_t i = 0; i < g_rx.n; i++)
        seen += strcmp(g_rx.got[i].body, body) == 0;
    int status = 200;
    const char *answer = "0";
    char needle[64];
    (void)snprintf(needle, sizeof needle, "OrderID=%s&", g_rx.fail_order);
    if (g_rx.fail_order[0] != '\0' && strstr(body, needle) != NULL) {
        status = 500;
        answer = "error";
    } else if (seen < g_rx.nack_first) {
        answer = "1";  /* received but "not stored": must be resent */
    }
    if (g_rx.n < MAX_RECEIVED) {
        received *rv = &g_rx.got[g_rx.n++];
        rv->body = xstrdup(body);
        rv->at = mono();
        rv->answered = status;
    }
    (void)pthread_mutex_unlock(&g_rx.lock);

    char head[256];
    int w = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, status == 200 ? "OK" : "Internal Server Error", strlen(answer));
    write_all(c, head, (size_t)w);
    write_all(c, answer, strlen(answer));
}

static void *receiver_main(void *arg)
{
    for (;;) {
        (void)pthread_mutex_lock(&g_rx.lock);
        bool stop = g_rx.stop;
        (void)pthread_mutex_unlock(&g_rx.lock);
        if (stop)
            break;
        struct pollfd p = {g_rx.fd, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept(g_rx.fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(c);
        (void)close(c);
    }
    return NULL;
}

static int receiver_start(void)
{
    memset(&g_rx, 0, sizeof g_rx);
    if (pthread_mutex_init(&g_rx.lock, NULL) != 0)
        return -1;
    g_rx.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g_rx.fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(g_rx.fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(g_rx.fd, 16) != 0 ||
        getsockname(g_rx.fd, (struct sockaddr *)&a, &alen) != 0)
        return -1;
    g_rx.port = ntohs(a.sin_port);
    return pthread_create(&g_rx.thread, NULL, receiver_main, NULL) == 0 ? 0 : -1;
}

static void receiver_stop(void)
{
    (void)pthread_mutex_lock(&g_rx.lock);
    g_rx.stop = true;
    (void)pthread_mutex_unlock(&g_rx.lock);
    (void)pthread_join(g_rx.thread, NULL);
    (void)close(g_rx.fd);
    for (size_t i = 0; i < g_rx.n; i++)
        free(g_rx.got[i].body);
    pthread_mutex_destroy(&g_rx.lock);
}

/* How the receiver answers from now on. */
static void set_policy(int nack_first, const char *fail_order)
{
    (void)pthread_mutex_lock(&g_rx.lock);
    g_rx.nack_first = nack_first;
    (void)snprintf(g_rx.fail_order, sizeof g_rx.fail_order, "%s", fail_order);
    (void)pthread_mutex_unlock(&g_rx.lock);
}

/* Indexes of received bodies containing needle, in arrival order. */
static size_t received_with(const char *needle, size_t *idx, size_t max)
{
    size_t k = 0;
    (void)pthread_mutex_lock(&g_rx.lock);
    for (size_t i = 0; i < g_rx.n; i++)
        if (strstr(g_rx.got[i].body, needle) != NULL && k < max)
            idx[k++] = i;
    (void)pthread_mutex_unlock(&g_rx.lock);
    return k;
}

/* Waits up to seconds for at least n bodies containing needle. */
static size_t wait_for(const char *needle, size_t n, double seconds)
{
    size_t idx[MAX_RECEIVED];
    double until = mono() + seconds;
    size_t k;
    while ((k = received_with(needle, idx, MAX_RECEIVED)) < n && mono() < until) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
    }
    return k;
}

static char *body_at(size_t i)
{
    (void)pthread_mutex_lock(&g_rx.lock);
    char *b = xstrdup(g_rx.got[i].body);
    (void)pthread_mutex_unlock(&g_rx.lock);
    return b;
}

/* ---- helpers ----------------------------------------------------------------------- */

static sandbox g_notify;
static sandbox g_saved;

static int notify_init(void)
{
    if (receiver_start() != 0)
        return -1;
    char url[64], port[8];
    (void)snprintf(url, sizeof url, "http://127.0.0.1:%u/notify", (unsigned)g_rx.port);
    (void)snprintf(port, sizeof port, "%d", RETRIES);
    const char *extra[] = {"--notify-url", url, "--notify-interval", "1",
                           "--notify-retries", port, "--notify-timeout-ms", "3000", NULL};
    if (sandbox_start_args(&g_notify, "notify", NULL, extra) != 0)
        return -1;
    g_saved = g_sb;
    g_sb = g_notify;
    return 0;
}

static int notify_cleanup(void)
{
    g_sb = g_saved;
    int rc = sandbox_stop(&g_notify);
    receiver_stop();
    return rc == 0 && tsb_stderr_clean(&g_notify) ? 0 : -1;
}

static char g_buyer[32];

static order *new_order(order *o, long amount)
{
    if (entry(o, amount, amount / 10) != 0)
        return NULL;
    char *r = exec_order(o, g_buyer, "");
    bool ok = strstr(r, "ErrCode") == NULL;
    free(r);
    return ok ? o : NULL;
}

/* Percent-decodes a form value (the notification is plain ASCII here). */
static void decode(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < cap; i++) {
        if (in[i] == '%' && i + 2 < n) {
            char hex[3] = {in[i + 1], in[i + 2], '\0'};
            out[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            out[o++] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[o] = '\0';
}

/* The decoded value of key in a form body, "" when absent; also checks
 * that keys come in the order of expected_keys. */
static void form_value(const char *body, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    size_t klen = strlen(key);
    const char *p = body;
    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            decode(p + klen + 1, n - klen - 1, out, cap);
            return;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
}

static void keys_in_order(const char *body)
{
    static const char *const keys[] = {
        "ShopID", "ShopPass", "AccessID", "AccessPass", "OrderID", "Status",
        "JobCd", "Amount", "Tax", "Currency", "PayType", "TranDate", "ErrCode",
        "ErrInfo", "PaidBuyerID", "PaidCode", "PaidCancelAmount", "PaidCancelTax"};
    const char *p = body;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t klen = strlen(keys[i]);
        bool ok = strncmp(p, keys[i], klen) == 0 && p[klen] == '=';
        if (!ok)
            fprintf(stderr, "\n  expected %s at: %.40s\n", keys[i], p);
        CU_ASSERT_FATAL(ok);
        p = strchr(p, '&');
        if (p == NULL) {
            CU_ASSERT_EQUAL(i, sizeof keys / sizeof keys[0] - 1);
            break;
        }
        p++;
    }
}

static json_object *notifications_for(const char *order_id)
{
    char path[128];
    fmt(path, sizeof path, "/_sandbox/notifications?order_id=%s", order_id);
    json_object *o = admin("GET", path, 200);
    json_object *list = NULL;
    if (json_object_object_get_ex(o, "notifications", &list))
        json_object_get(list);
    json_object_put(o);
    return list;
}

/* Waits until the sandbox's record of the newest notification for the
 * order reaches a final delivery state. */
static json_object *wait_delivery(const char *order_id, const char *delivery, double seconds)
{
    double until = mono() + seconds;
    for (;;) {
        json_object *list = notifications_for(order_id);
        size_t n = list != NULL ? json_object_array_length(list) : 0;
        if (n > 0) {
            json_object *last = json_object_get(json_object_array_get_idx(list, n - 1));
            json_object_put(list);
            if (strcmp(jstr(last, "delivery"), delivery) == 0 || mono() > until)
                return last;
            json_object_put(last);
        } else {
            json_object_put(list);
            if (mono() > until)
                return NULL;
        }
        struct timespec ts = {0, 100 * 1000 * 1000};
        (void)nanosleep(&ts, NULL);
    }
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_fields(void)
{
    unique_id(g_buyer, sizeof g_buyer, "NB");
    CU_ASSERT_EQUAL_FATAL(save_buyer(g_buyer, "buyer"), 0);
    set_policy(0, "");
    order o;
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_order(&o, 12340));
    char *r = order_op("PaidSales", &o, "&FixedAt=");
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "Status=SALES"));
    free(r);
    char needle[64];
    fmt(needle, sizeof needle, "OrderID=%s&", o.id);
    CU_ASSERT_EQUAL_FATAL(wait_for(needle, 1, 10.0), 1);
    size_t idx[4];
    CU_ASSERT_EQUAL_FATAL(received_with(needle, idx, 4), 1);
    char *body = body_at(idx[0]);
    keys_in_order(body);
    char v[128];
    form_value(body, "ShopID", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "tshop00000001");
    form_value(body, "ShopPass", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "**********");
    form_value(body, "AccessID", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, o.access_id);
    form_value(body, "AccessPass", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "********************************");
    form_value(body, "Status", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "SALES");
    form_value(body, "JobCd", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "SALES");
    form_value(body, "Amount", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "12340");
    form_value(body, "Tax", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "1234");
    form_value(body, "Currency", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "JPN");
    form_value(body, "PayType", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "29");
    form_value(body, "TranDate", v, sizeof v);
    CU_ASSERT(strlen(v) == 14 && strspn(v, "0123456789") == 14);
    form_value(body, "ErrInfo", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "");
    form_value(body, "PaidBuyerID", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, g_buyer);
    form_value(body, "PaidCode", v, sizeof v);
    CU_ASSERT(strncmp(v, "PC", 2) == 0);
    /* Never a secret. */
    CU_ASSERT_PTR_NULL(strstr(body, o.access_pass));
    CU_ASSERT_PTR_NULL(strstr(body, SHOP_PASS));
    free(body);

    json_object *n = wait_delivery(o.id, "acknowledged", 5.0);
    CU_ASSERT_STRING_EQUAL(jstr(n, "delivery"), "acknowledged");
    CU_ASSERT_EQUAL(jint(n, "attempts"), 1);
    CU_ASSERT_EQUAL(jint(n, "last_http_status"), 200);
    CU_ASSERT_STRING_EQUAL(jstr(n, "last_answer"), "0");
    json_object_put(n);
}

/* Not "0" twice, then "0": three sends, one interval apart, identical. */
static void test_resend_until_zero(void)
{
    set_policy(2, "");
    order o;
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_order(&o, 5000));
    char *r = order_op("PaidCancel", &o, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "Status=CANCEL"));
    free(r);
    char needle[64];
    fmt(needle, sizeof needle, "OrderID=%s&", o.id);
    CU_ASSERT_EQUAL_FATAL(wait_for(needle, 3, 10.0), 3);
    json_object *n = wait_delivery(o.id, "acknowledged", 5.0);
    CU_ASSERT_STRING_EQUAL(jstr(n, "delivery"), "acknowledged");
    CU_ASSERT_EQUAL(jint(n, "attempts"), 3);
    json_object *log = NULL;
    CU_ASSERT(json_object_object_get_ex(n, "attempt_log", &log));
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(log), 3);
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(log, 0), "answer"), "1");
    CU_ASSERT_STRING_EQUAL(jstr(json_object_array_get_idx(log, 2), "answer"), "0");
    const char *sent = jstr(n, "body");

    /* Acknowledged: nothing more arrives. */
    struct timespec ts = {1, 600 * 1000 * 1000};
    (void)nanosleep(&ts, NULL);
    size_t idx[8];
    size_t k = received_with(needle, idx, 8);
    CU_ASSERT_EQUAL(k, 3);
    char *first = body_at(idx[0]);
    CU_ASSERT_STRING_EQUAL(first, sent);  /* the admin view shows what was sent */
    char v[64];
    form_value(first, "Status", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "CANCEL");
    form_value(first, "PaidCancelAmount", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "5000");
    for (size_t i = 1; i < k; i++) {
        char *b = body_at(idx[i]);
        CU_ASSERT_STRING_EQUAL(b, first);  /* byte-identical */
        free(b);
        (void)pthread_mutex_lock(&g_rx.lock);
        double gap = g_rx.got[idx[i]].at - g_rx.got[idx[i - 1]].at;
        (void)pthread_mutex_unlock(&g_rx.lock);
        CU_ASSERT(gap >= 0.9);  /* --notify-interval 1 */
    }
    free(first);
    json_object_put(n);
    set_policy(0, "");
}

/* A receiver that always fails gets 1 + --notify-retries sends, no more. */
static void test_gives_up(void)
{
    order o;
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_order(&o, 7000));
    set_policy(0, o.id);
    char *r = order_op("PaidSales", &o, NULL);
    free(r);
    char needle[64];
    fmt(needle, sizeof needle, "OrderID=%s&", o.id);
    CU_ASSERT_EQUAL(wait_for(needle, 1 + RETRIES, 12.0), 1 + RETRIES);
    json_object *n = wait_delivery(o.id, "failed", 5.0);
    CU_ASSERT_STRING_EQUAL(jstr(n, "delivery"), "failed");
    CU_ASSERT_EQUAL(jint(n, "attempts"), 1 + RETRIES);
    CU_ASSERT_EQUAL(jint(n, "last_http_status"), 500);
    json_object_put(n);
    struct timespec ts = {1, 500 * 1000 * 1000};
    (void)nanosleep(&ts, NULL);
    CU_ASSERT_EQUAL(wait_for(needle, 1 + RETRIES + 1, 0.1), 1 + RETRIES);
    set_policy(0, "");
}

/* Changes decided by a clock advance arrive in event order; review
 * refusals carry P01030001; returns and changes carry their amounts. */
static void test_review_and_order(void)
{
    char reviewed[32];
    unique_id(reviewed, sizeof reviewed, "NR");
    CU_ASSERT_EQUAL_FATAL(save_buyer(reviewed, "orderreview"), 0);
    order ok, refused;
    CU_ASSERT_EQUAL_FATAL(entry(&ok, 3000, 300), 0);
    char *r = exec_order(&ok, reviewed, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "Status=AUTHPROCESS"));
    free(r);
    CU_ASSERT_EQUAL_FATAL(entry(&refused, 4009, 400), 0);
    r = exec_order(&refused, reviewed, "");
    free(r);
    advance("days=1");
    char n1[64], n2[64];
    fmt(n1, sizeof n1, "OrderID=%s&", ok.id);
    fmt(n2, sizeof n2, "OrderID=%s&", refused.id);
    CU_ASSERT_EQUAL_FATAL(wait_for(n1, 1, 10.0), 1);
    CU_ASSERT_EQUAL_FATAL(wait_for(n2, 1, 10.0), 1);
    size_t i1, i2;
    CU_ASSERT_EQUAL(received_with(n1, &i1, 1), 1);
    CU_ASSERT_EQUAL(received_with(n2, &i2, 1), 1);
    CU_ASSERT(i1 < i2);  /* the first order was decided first */
    char *b = body_at(i1);
    char v[64];
    form_value(b, "Status", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "AUTH");
    form_value(b, "ErrInfo", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "");
    free(b);
    b = body_at(i2);
    form_value(b, "Status", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "PAYFAIL");
    form_value(b, "ErrCode", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "P01");
    form_value(b, "ErrInfo", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "P01030001");
    free(b);

    /* CHANGE keeps the status and carries the new amounts; RETURN. */
    r = order_op("PaidSales", &ok, NULL);
    free(r);
    r = order_op("PaidChange", &ok, "&Amount=2500&Tax=250");
    CU_ASSERT_PTR_NOT_NULL(strstr(r, "Status=SALES"));
    free(r);
    r = order_op("PaidReturn", &ok, NULL);
    free(r);
    CU_ASSERT_EQUAL_FATAL(wait_for(n1, 4, 10.0), 4);
    size_t idx[4];
    CU_ASSERT_EQUAL(received_with(n1, idx, 4), 4);
    static const char *const want[][3] = {
        {"AUTH", "AUTH", "3000"}, {"SALES", "SALES", "3000"},
        {"SALES", "CHANGE", "2500"}, {"RETURN", "RETURN", "2500"}};
    for (size_t i = 0; i < 4; i++) {
        b = body_at(idx[i]);
        form_value(b, "Status", v, sizeof v);
        CU_ASSERT_STRING_EQUAL(v, want[i][0]);
        form_value(b, "JobCd", v, sizeof v);
        CU_ASSERT_STRING_EQUAL(v, want[i][1]);
        form_value(b, "Amount", v, sizeof v);
        CU_ASSERT_STRING_EQUAL(v, want[i][2]);
        free(b);
    }
}

static void test_admin_resend_and_test(void)
{
    order o;
    CU_ASSERT_PTR_NOT_NULL_FATAL(new_order(&o, 8000));
    char *r = order_op("PaidSales", &o, NULL);
    free(r);
    json_object *n = wait_delivery(o.id, "acknowledged", 10.0);
    CU_ASSERT_STRING_EQUAL_FATAL(jstr(n, "delivery"), "acknowledged");
    char path[128];
    fmt(path, sizeof path, "/_sandbox/notifications/%lld/resend", (long long)jint(n, "id"));
    json_object_put(n);
    json_object *dup = admin("POST", path, 200);
    json_object_put(dup);
    char needle[64];
    fmt(needle, sizeof needle, "OrderID=%s&", o.id);
    CU_ASSERT_EQUAL_FATAL(wait_for(needle, 2, 10.0), 2);
    size_t idx[2];
    CU_ASSERT_EQUAL(received_with(needle, idx, 2), 2);
    char *a = body_at(idx[0]), *b = body_at(idx[1]);
    CU_ASSERT_STRING_EQUAL(a, b);
    free(a);
    free(b);
    /* The sandbox records the send once the receiver has answered. */
    double until = mono() + 5.0;
    n = wait_delivery(o.id, "acknowledged", 2.0);
    while (jint(n, "duplicates") < 1 && mono() < until) {
        json_object_put(n);
        struct timespec pause = {0, 100 * 1000 * 1000};
        (void)nanosleep(&pause, NULL);
        n = wait_delivery(o.id, "acknowledged", 2.0);
    }
    CU_ASSERT_EQUAL(jint(n, "attempts"), 1);
    CU_ASSERT_EQUAL(jint(n, "duplicates"), 1);
    json_object_put(n);
    json_object *missing = admin("POST", "/_sandbox/notifications/999999/resend", 404);
    json_object_put(missing);

    /* The connectivity test: ErrInfo E00000000, no order, answered 0. */
    json_object *t = admin("POST", "/_sandbox/notifications/test", 200);
    CU_ASSERT_STRING_EQUAL(jstr(t, "err_info"), "E00000000");
    CU_ASSERT_STRING_EQUAL(jstr(t, "order_id"), "");
    json_object_put(t);
    CU_ASSERT(wait_for("ErrInfo=E00000000", 1, 10.0) >= 1);
    size_t ti;
    CU_ASSERT_EQUAL_FATAL(received_with("ErrInfo=E00000000", &ti, 1), 1);
    char *tb = body_at(ti);
    char v[64];
    form_value(tb, "OrderID", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "");
    form_value(tb, "ErrCode", v, sizeof v);
    CU_ASSERT_STRING_EQUAL(v, "E00");
    free(tb);
}

/* Only loopback URLs are accepted (exit status 2 otherwise). */
static void test_refuses_remote_urls(void)
{
    static const char *const bad[] = {
        "http://example.com/notify", "http://10.0.0.1/notify", "ftp://127.0.0.1/notify",
        "http://127.0.0.1@example.com/", "https://192.168.1.1:8443/x", "127.0.0.1/notify"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {g_bin, "--http", "--notify-url", bad[i], NULL};
        posix_spawn_file_actions_t fa;
        CU_ASSERT_EQUAL_FATAL(posix_spawn_file_actions_init(&fa), 0);
        (void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        (void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid;
        int rc = posix_spawn(&pid, g_bin, &fa, NULL, (char *const *)argv, environ);
        (void)posix_spawn_file_actions_destroy(&fa);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        int status = 0;
        CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
        if (!(WIFEXITED(status) && WEXITSTATUS(status) == 2))
            fprintf(stderr, "\n  accepted %s\n", bad[i]);
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    }
}

int tsb_add_notify_tests(void)
{
    CU_pSuite s = CU_add_suite("notifications", notify_init, notify_cleanup);
    return s != NULL && CU_add_test(s, "fields of a notification", test_fields) != NULL &&
                   CU_add_test(s, "resent byte-identical until 0", test_resend_until_zero) !=
                       NULL &&
                   CU_add_test(s, "gives up after the retries", test_gives_up) != NULL &&
                   CU_add_test(s, "review decisions in event order, CHANGE and RETURN",
                               test_review_and_order) != NULL &&
                   CU_add_test(s, "admin resend and connectivity test",
                               test_admin_resend_and_test) != NULL &&
                   CU_add_test(s, "only loopback notify URLs", test_refuses_remote_urls) !=
                       NULL
               ? 0
               : -1;
}
