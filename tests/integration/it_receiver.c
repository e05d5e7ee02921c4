/* A host's notification endpoint for the tests: an HTTP server on
 * 127.0.0.1 that hands each body to notify() and answers with its
 * reply_body ("0") only when notify succeeded, as a host must. It can be
 * told to refuse the first deliveries of one order, to make the gateway
 * resend. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "it.h"

static int g_fd = -1;
static pthread_t g_thread;
static volatile int g_stop;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static it_delivery g_seen[512];
static int g_nseen;
static char g_refuse_order[40];
static int g_refuse_left;
static pmp_ctx *g_ctx;

/* Reads one request; returns the body (malloc) and its length, or NULL. */
static char *read_request(int c, size_t *len)
{
    size_t cap = 65536, have = 0;
    char *buf = malloc(cap + 1), *end = NULL;
    long body = -1;

    while (buf) {
        struct pollfd p = {c, POLLIN, 0};
        ssize_t n;

        if (poll(&p, 1, 5000) <= 0)
            break;
        n = read(c, buf + have, cap - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        if (!end && (end = strstr(buf, "\r\n\r\n")) != NULL) {
            char *cl = strstr(buf, "Content-Length:");

            body = cl && cl < end ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (end && (long)(have - (size_t)(end + 4 - buf)) >= body) {
            *len = (size_t)body;
            memmove(buf, end + 4, (size_t)body);
            buf[body] = '\0';
            return buf;
        }
        if (have == cap)
            break;
    }
    free(buf);
    return NULL;
}

static void handle(int c)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                             "1\r\nConnection: close\r\n\r\n";
    it_delivery d;
    pmp_result *res = NULL;
    pmp_error err;
    size_t len = 0;
    char *body = read_request(c, &len);
    const char *answer = "1";
    json_object *doc = NULL;

    if (!body)
        return;
    memset(&d, 0, sizeof(d));
    d.rc = it_notify_ctx(g_ctx, body, len,
                         "{\"Content-Type\":\"application/x-www-form-urlencoded\"}", &res, &err);
    if (d.rc == PMP_OK) {
        json_object *event, *v;

        doc = json_tokener_parse(it.api->result_json(res, NULL));
        snprintf(d.status, sizeof(d.status), "%s", it.api->result_status(res));
        snprintf(d.event_key, sizeof(d.event_key), "%s", it_jstr(doc, "event_key"));
        if (json_object_object_get_ex(doc, "event", &event) && event)
            snprintf(d.order_id, sizeof(d.order_id), "%s", it_jstr(event, "order_id"));
        d.matches = json_object_object_get_ex(doc, "matches_gateway", &v) && v &&
                    json_object_get_boolean(v);
        answer = it_jstr(doc, "reply_body");
    }
    pthread_mutex_lock(&g_lock);
    if (d.rc == PMP_OK && g_refuse_left > 0 && !strcmp(d.order_id, g_refuse_order)) {
        /* this host failed to store it: not received, the gateway must resend */
        g_refuse_left--;
        answer = "1";
    }
    d.answered = answer[0];
    if (g_nseen < (int)(sizeof(g_seen) / sizeof(g_seen[0])))
        g_seen[g_nseen++] = d;
    pthread_mutex_unlock(&g_lock);
    if (write(c, ok, sizeof(ok) - 1) < 0 || write(c, answer, 1) < 0)
        perror("receiver write");
    json_object_put(doc);
    it.api->result_free(res);
    free(body);
}

static void *serve(void *arg)
{
    (void)arg;
    while (!g_stop) {
        struct pollfd p = {g_fd, POLLIN, 0};
        int c;

        if (poll(&p, 1, 100) <= 0)
            continue;
        c = accept(g_fd, NULL, NULL);
        if (c < 0)
            continue;
        handle(c);
        close(c);
    }
    return NULL;
}

int it_receiver_start(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);

    g_fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (g_fd < 0 || bind(g_fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(g_fd, 16) != 0 ||
        getsockname(g_fd, (struct sockaddr *)&a, &len) != 0)
        return -1;
    g_stop = 0;
    return ntohs(a.sin_port);
}

void it_receiver_serve(pmp_ctx *ctx)
{
    g_ctx = ctx;
    pthread_create(&g_thread, NULL, serve, NULL);
}

void it_receiver_stop(void)
{
    g_stop = 1;
    pthread_join(g_thread, NULL);
    close(g_fd);
    g_fd = -1;
}

void it_receiver_refuse(const char *order_id, int times)
{
    pthread_mutex_lock(&g_lock);
    snprintf(g_refuse_order, sizeof(g_refuse_order), "%s", order_id);
    g_refuse_left = times;
    pthread_mutex_unlock(&g_lock);
}

int it_receiver_seen(const char *order_id, const char *status, it_delivery *out, int max)
{
    int i, n = 0;

    pthread_mutex_lock(&g_lock);
    for (i = 0; i < g_nseen; i++) {
        if ((!order_id || !strcmp(g_seen[i].order_id, order_id)) &&
            (!status || !strcmp(g_seen[i].status, status))) {
            if (out && n < max)
                out[n] = g_seen[i];
            n++;
        }
    }
    pthread_mutex_unlock(&g_lock);
    return n;
}
