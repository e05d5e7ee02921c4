/*
 * proxy.c - a loopback TCP proxy for the benchmarks.
 *
 * It does two jobs the sandbox does not do by itself:
 *   - count the TCP connections a client opens (measured from outside the
 *     client, so the plugin cannot misreport its own connection reuse);
 *   - add latency: every chunk the client sends is held for delay_ms
 *     (measured from the moment it was read) before it goes to the server,
 *     so each request/response exchange takes at least delay_ms, as on a
 *     real network. TLS passes through untouched.
 *
 * One accept thread, and per connection one thread per direction. Only
 * 127.0.0.1 is ever used.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROXY_CHUNK 16384
#define PROXY_MAX_CONNS 1024

typedef struct proxy_conn {
    struct bench_proxy *proxy;
    int client_fd, server_fd;
    int open_pumps; /* guarded by proxy->lock */
    struct proxy_conn *next;
} proxy_conn;

struct bench_proxy {
    int listen_fd;
    int stop_pipe[2];
    int target_port;
    int delay_ms;
    pthread_t accept_thread;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    long accepted;
    int active; /* pump threads alive */
    proxy_conn *conns;
};

typedef struct pump_args {
    proxy_conn *conn;
    int from, to;
    int delayed;
} pump_args;

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

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

static void conn_unlink_locked(bench_proxy *px, proxy_conn *c)
{
    proxy_conn **pp;

    for (pp = &px->conns; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            return;
        }
    }
}

static void *pump(void *arg)
{
    pump_args a = *(pump_args *)arg;
    proxy_conn *c = a.conn;
    bench_proxy *px = c->proxy;
    char *buf = malloc(PROXY_CHUNK);
    int last;

    free(arg);
    while (buf != NULL) {
        ssize_t n = recv(a.from, buf, PROXY_CHUNK, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (a.delayed && px->delay_ms > 0) {
            struct timespec due;

            (void)clock_gettime(CLOCK_MONOTONIC, &due);
            due.tv_nsec += (long)(px->delay_ms % 1000) * 1000000L;
            due.tv_sec += px->delay_ms / 1000 + due.tv_nsec / 1000000000L;
            due.tv_nsec %= 1000000000L;
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR)
                ;
        }
        if (write_all(a.to, buf, (size_t)n) != 0)
            break;
    }
    free(buf);
    /* Half-close: the peer sees EOF, the other pump ends when it is done. */
    (void)shutdown(a.to, SHUT_WR);
    (void)shutdown(a.from, SHUT_RD);

    pthread_mutex_lock(&px->lock);
    last = --c->open_pumps == 0;
    if (last)
        conn_unlink_locked(px, c);
    px->active--;
    if (px->active == 0)
        pthread_cond_broadcast(&px->idle);
    pthread_mutex_unlock(&px->lock);
    if (last) {
        (void)close(c->client_fd);
        (void)close(c->server_fd);
        free(c);
    }
    return NULL;
}

static int connect_target(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        (void)close(fd);
        return -1;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int start_pump(proxy_conn *c, int from, int to, int delayed)
{
    pump_args *a = malloc(sizeof(*a));
    pthread_attr_t attr;
    pthread_t t;
    int rc;

    if (a == NULL)
        return -1;
    a->conn = c;
    a->from = from;
    a->to = to;
    a->delayed = delayed;
    (void)pthread_attr_init(&attr);
    (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    (void)pthread_attr_setstacksize(&attr, 128 * 1024);
    rc = pthread_create(&t, &attr, pump, a);
    (void)pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(a);
        return -1;
    }
    return 0;
}

static void serve(bench_proxy *px, int client_fd)
{
    proxy_conn *c;
    int server_fd, one = 1, count;

    (void)setsockopt(client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    server_fd = connect_target(px->target_port);
    c = calloc(1, sizeof(*c));
    pthread_mutex_lock(&px->lock);
    count = px->active;
    pthread_mutex_unlock(&px->lock);
    if (server_fd < 0 || c == NULL || count >= 2 * PROXY_MAX_CONNS) {
        (void)close(client_fd);
        if (server_fd >= 0)
            (void)close(server_fd);
        free(c);
        return;
    }
    c->proxy = px;
    c->client_fd = client_fd;
    c->server_fd = server_fd;
    c->open_pumps = 2;
    pthread_mutex_lock(&px->lock);
    c->next = px->conns;
    px->conns = c;
    px->active += 2;
    pthread_mutex_unlock(&px->lock);
    if (start_pump(c, client_fd, server_fd, 1) != 0) {
        /* Nothing runs yet for this connection: undo it whole. */
        pthread_mutex_lock(&px->lock);
        conn_unlink_locked(px, c);
        px->active -= 2;
        pthread_mutex_unlock(&px->lock);
        (void)close(client_fd);
        (void)close(server_fd);
        free(c);
        return;
    }
    if (start_pump(c, server_fd, client_fd, 0) != 0) {
        /* The first pump owns the connection now; make it end (or end it
         * here if it already has). */
        int last;

        pthread_mutex_lock(&px->lock);
        px->active--;
        last = --c->open_pumps == 0;
        if (last)
            conn_unlink_locked(px, c);
        if (px->active == 0)
            pthread_cond_broadcast(&px->idle);
        pthread_mutex_unlock(&px->lock);
        if (last) {
            (void)close(client_fd);
            (void)close(server_fd);
            free(c);
        } else {
            (void)shutdown(client_fd, SHUT_RDWR);
        }
    }
}

static void *accept_loop(void *arg)
{
    bench_proxy *px = arg;
    struct pollfd pfd[2];

    pfd[0].fd = px->listen_fd;
    pfd[0].events = POLLIN;
    pfd[1].fd = px->stop_pipe[0];
    pfd[1].events = POLLIN;
    for (;;) {
        int fd;

        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents != 0)
            break;
        fd = accept(px->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        pthread_mutex_lock(&px->lock);
        px->accepted++;
        pthread_mutex_unlock(&px->lock);
        serve(px, fd);
    }
    return NULL;
}

int bench_proxy_start(int target_port, int delay_ms, bench_proxy **out, int *port)
{
    bench_proxy *px = calloc(1, sizeof(*px));
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int one = 1;

    *out = NULL;
    if (px == NULL)
        return -1;
    px->listen_fd = -1;
    px->stop_pipe[0] = px->stop_pipe[1] = -1;
    px->target_port = target_port;
    px->delay_ms = delay_ms;
    pthread_mutex_init(&px->lock, NULL);
    pthread_cond_init(&px->idle, NULL);
    px->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (px->listen_fd < 0 || pipe(px->stop_pipe) != 0)
        goto fail;
    (void)setsockopt(px->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(px->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(px->listen_fd, 512) != 0 ||
        getsockname(px->listen_fd, (struct sockaddr *)&sa, &len) != 0)
        goto fail;
    if (pthread_create(&px->accept_thread, NULL, accept_loop, px) != 0)
        goto fail;
    *port = ntohs(sa.sin_port);
    *out = px;
    return 0;

fail:
    (void)fprintf(stderr, "proxy: cannot listen on 127.0.0.1: %s\n", strerror(errno));
    if (px->listen_fd >= 0)
        (void)close(px->listen_fd);
    if (px->stop_pipe[0] >= 0) {
        (void)close(px->stop_pipe[0]);
        (void)close(px->stop_pipe[1]);
    }
    pthread_mutex_destroy(&px->lock);
    pthread_cond_destroy(&px->idle);
    free(px);
    return -1;
}

long bench_proxy_connections(bench_proxy *px)
{
    long n;

    pthread_mutex_lock(&px->lock);
    n = px->accepted;
    pthread_mutex_unlock(&px->lock);
    return n;
}

void bench_proxy_stop(bench_proxy *px)
{
    proxy_conn *c;

    if (px == NULL)
        return;
    (void)write(px->stop_pipe[1], "x", 1);
    (void)pthread_join(px->accept_thread, NULL);
    (void)close(px->listen_fd);
    pthread_mutex_lock(&px->lock);
    /* Wake every pump: their recv() returns 0 and they wind down. */
    for (c = px->conns; c != NULL; c = c->next) {
        (void)shutdown(c->client_fd, SHUT_RDWR);
        (void)shutdown(c->server_fd, SHUT_RDWR);
    }
    while (px->active > 0)
        pthread_cond_wait(&px->idle, &px->lock);
    pthread_mutex_unlock(&px->lock);
    (void)close(px->stop_pipe[0]);
    (void)close(px->stop_pipe[1]);
    pthread_mutex_destroy(&px->lock);
    pthread_cond_destroy(&px->idle);
    free(px);
}
