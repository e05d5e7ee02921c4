/* Transport failures classified the money-safe way: TLS refused and
 * nothing sent; connection refused is retryable "not sent"; a request
 * swallowed after sending is "outcome unknown", never success or failure;
 * a context used after fork refuses to work. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

#define MODE_SWALLOW 0 /* read the request, close without answering */
#define MODE_503 1
#define MODE_GARBAGE 2 /* HTTP 200 with a body that is not Key=Value */
#define MODE_HANG 3    /* read the request, never answer */

typedef struct fake_gateway {
    int fd;
    int port;
    int mode;
    volatile int stop;
    int requests;
    pthread_t thread;
} fake_gateway;

static void read_request(int c)
{
    char buf[8192];
    size_t have = 0;
    long body = -1;

    for (;;) {
        struct pollfd p = {c, POLLIN, 0};
        ssize_t n;
        char *end;

        if (poll(&p, 1, 2000) <= 0)
            return;
        n = read(c, buf + have, sizeof(buf) - 1 - have);
        if (n <= 0)
            return;
        have += (size_t)n;
        buf[have] = '\0';
        end = strstr(buf, "\r\n\r\n");
        if (end && body < 0) {
            char *cl = strstr(buf, "Content-Length:");

            body = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (end && (long)(have - (size_t)(end + 4 - buf)) >= body)
            return;
        if (have == sizeof(buf) - 1)
            return;
    }
}

static void *serve(void *arg)
{
    fake_gateway *g = arg;

    while (!g->stop) {
        struct pollfd p = {g->fd, POLLIN, 0};
        int c;

        if (poll(&p, 1, 100) <= 0)
            continue;
        c = accept(g->fd, NULL, NULL);
        if (c < 0)
            continue;
        read_request(c);
        g->requests++;
        if (g->mode == MODE_503) {
            static const char r[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                    "Connection: close\r\n\r\n";
            if (write(c, r, sizeof(r) - 1) < 0)
                perror("write");
        } else if (g->mode == MODE_HANG) {
            /* hold the connection until the client gives up or the test ends */
            while (!g->stop) {
                struct pollfd q = {c, POLLIN, 0};
                char sink[256];

                if (poll(&q, 1, 100) > 0 && read(c, sink, sizeof(sink)) <= 0)
                    break;
            }
        } else if (g->mode == MODE_GARBAGE) {
            static const char r[] = "HTTP/1.1 200 OK\r\nContent-Length: 17\r\nConnection: close"
                                    "\r\n\r\n<html>oops</html>";
            if (write(c, r, sizeof(r) - 1) < 0)
                perror("write");
        }
        close(c);
    }
    return NULL;
}

static int fake_start(fake_gateway *g, int mode)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    memset(g, 0, sizeof(*g));
    g->mode = mode;
    g->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (g->fd < 0 || bind(g->fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(g->fd, 16) != 0 ||
        getsockname(g->fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    g->port = ntohs(a.sin_port);
    return pthread_create(&g->thread, NULL, serve, g);
}

static void fake_stop(fake_gateway *g)
{
    g->stop = 1;
    pthread_join(g->thread, NULL);
    close(g->fd);
}

static pmp_ctx *plain_ctx(int port)
{
    pmp_error err;
    pmp_ctx *ctx = it_ctx_open(
        it_fmt("gateway:\n  base_url: http://127.0.0.1:%d/payment/\n  timeout_ms: 1500\n"
               "  connect_timeout_ms: 1000\n  retries: 1\n"
               "shop:\n  id: tshop00000001\n  password: %s\nlogging:\n  level: debug\n",
               port, it.shop_pass),
        &err);

    CU_ASSERT_PTR_NOT_NULL(ctx);
    return ctx;
}

static const char *auth = "{\"order_id\":\"FAULT-1\",\"buyer_id\":\"B1\",\"amount\":1000}";

static void unknown_ca_refused(void)
{
    pmp_error err;
    pmp_result *res = NULL;
    int64_t since = it_seq();
    pmp_ctx *ctx =
        it_ctx_open(it_fmt("gateway:\n  base_url: %s\nshop:\n  id: tshop00000001\n  password: %s\n",
                           it.base_url, it.shop_pass),
                    &err);

    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(it_call_ctx(ctx, "authorize", auth, &res, &err), PMP_E_TLS);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "TLS"));
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
    it.api->shutdown(ctx);
}

static void refused_connection_is_not_sent(void)
{
    fake_gateway g;
    pmp_error err;
    pmp_result *res = NULL;
    pmp_ctx *ctx;
    int port;

    /* Take a free port, then close it so nothing listens there. */
    CU_ASSERT_EQUAL_FATAL(fake_start(&g, MODE_SWALLOW), 0);
    port = g.port;
    fake_stop(&g);
    ctx = plain_ctx(port);
    CU_ASSERT_EQUAL(it_call_ctx(ctx, "authorize", auth, &res, &err), PMP_E_NETWORK);
    CU_ASSERT_EQUAL(err.retryable, 1);
    it.api->shutdown(ctx);
}

static void lost_answer(int mode, const char *op, const char *request, int32_t expect)
{
    fake_gateway g;
    pmp_error err;
    pmp_result *res = NULL;
    pmp_ctx *ctx;

    CU_ASSERT_EQUAL_FATAL(fake_start(&g, mode), 0);
    ctx = plain_ctx(g.port);
    CU_ASSERT_EQUAL(it_call_ctx(ctx, op, request, &res, &err), expect);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_EQUAL(err.retryable, 1);
    CU_ASSERT_TRUE(g.requests >= 1);
    it.api->shutdown(ctx);
    fake_stop(&g);
}

static void swallowed_authorize_is_outcome_unknown(void)
{
    lost_answer(MODE_SWALLOW, "authorize", auth, PMP_E_OUTCOME_UNKNOWN);
}

static void http_503_is_outcome_unknown(void)
{
    lost_answer(MODE_503, "authorize", auth, PMP_E_OUTCOME_UNKNOWN);
}

static void garbage_answer_is_outcome_unknown(void)
{
    lost_answer(MODE_GARBAGE, "authorize", auth, PMP_E_OUTCOME_UNKNOWN);
}

static void inquiry_failure_before_capture_is_network(void)
{
    /* capture inquires first; when that fails nothing that moves money was
     * sent, so the error is a plain retryable network error */
    lost_answer(MODE_SWALLOW, "capture", "{\"order_id\":\"FAULT-1\"}", PMP_E_NETWORK);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void time_budget_is_honoured(void)
{
    fake_gateway g;
    pmp_error err;
    pmp_result *res = NULL;
    pmp_ctx *ctx;
    double start, took;

    CU_ASSERT_EQUAL_FATAL(fake_start(&g, MODE_HANG), 0);
    ctx = it_ctx_open(it_fmt("gateway:\n  base_url: http://127.0.0.1:%d/payment/\n"
                             "  timeout_ms: 60000\n  connect_timeout_ms: 1000\n"
                             "  call_budget_ms: 1500\n"
                             "shop:\n  id: tshop00000001\n  password: %s\n",
                             g.port, it.shop_pass),
                      &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    start = now_s();
    CU_ASSERT_EQUAL(it_call_ctx(ctx, "authorize", auth, &res, &err), PMP_E_OUTCOME_UNKNOWN);
    took = now_s() - start;
    if (took > 1.65)
        fprintf(stderr, "\n    authorize took %.3f s with a 1.5 s budget\n", took);
    CU_ASSERT_TRUE(took <= 1.5 * 1.1);
    CU_ASSERT_TRUE(took >= 1.0);
    it.api->shutdown(ctx);
    fake_stop(&g);
}

static void garbage_answer_to_an_inquiry_is_protocol(void)
{
    lost_answer(MODE_GARBAGE, "status", "{\"order_id\":\"FAULT-1\"}", PMP_E_PROTOCOL);
}

static void forked_child_is_refused(void)
{
    pid_t pid = fork();
    int st = 0;

    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        pmp_result *res = NULL;
        pmp_error err;

        memset(&err, 0, sizeof(err));
        err.struct_size = sizeof(err);
        _exit(it.api->status(it.ctx, "{\"order_id\":\"A1\"}", 17, &res, &err) == PMP_E_FORKED &&
                      !res
                  ? 0
                  : 1);
    }
    waitpid(pid, &st, 0);
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static const test_case cases[] = {
    {"unknown CA: refused, nothing sent", unknown_ca_refused},
    {"connection refused: not sent, retryable", refused_connection_is_not_sent},
    {"answer swallowed after sending: outcome unknown", swallowed_authorize_is_outcome_unknown},
    {"HTTP 503: outcome unknown", http_503_is_outcome_unknown},
    {"garbage answer: outcome unknown", garbage_answer_is_outcome_unknown},
    {"failed inquiry before capture: network error", inquiry_failure_before_capture_is_network},
    {"garbage answer to an inquiry: protocol error", garbage_answer_to_an_inquiry_is_protocol},
    {"the operation's time budget is honoured", time_budget_is_honoured},
    {"context used after fork: refused", forked_child_is_refused},
    {NULL, NULL},
};

const test_suite it_suite_faults = {"faults", cases, NULL, NULL};
