#include "fuzz_plugin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

static int g_secret_logged;

int fuzz_has_secret(const char *s, size_t len)
{
    size_t n = strlen(FUZZ_SHOP_PASS), i;

    for (i = 0; i + n <= len; i++)
        if (!memcmp(s + i, FUZZ_SHOP_PASS, n))
            return 1;
    return 0;
}

int fuzz_secret_logged(void)
{
    int seen = g_secret_logged;

    g_secret_logged = 0;
    return seen;
}

static void on_log(void *user_data, int32_t level, const char *msg, size_t len)
{
    (void)user_data;
    (void)level;
    if (fuzz_has_secret(msg, len))
        g_secret_logged = 1;
}

static const pmp_host_services g_host = {
    sizeof(pmp_host_services), 0, NULL, on_log, NULL, NULL, NULL};

const pmp_api *fuzz_api(void)
{
    static const pmp_api *api;

    if (!api)
        FUZZ_CHECK(pmp_get_api(PMP_ABI_MAJOR, &api) == PMP_OK && api);
    return api;
}

/* A TCP port on 127.0.0.1 that is bound but not listening: the kernel
 * refuses every connection to it, and nobody else can take it while this
 * process holds the socket (kept open for the life of the process). */
static int refusing_port(void)
{
    static int port;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int fd;

    if (port)
        return port;
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("fuzz: loopback socket");
        FUZZ_CHECK(0);
    }
    port = ntohs(a.sin_port);
    return port;
}

pmp_ctx *fuzz_ctx_open(const char *paid_yaml)
{
    char yaml[2048];
    pmp_init_args args;
    pmp_ctx *ctx = NULL;
    pmp_error err;

    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: http://127.0.0.1:%d/payment/\n  retries: 0\n"
             "  connect_timeout_ms: 2000\n  timeout_ms: 4000\n"
             "shop:\n  id: " FUZZ_SHOP_ID "\n  password: " FUZZ_SHOP_PASS "\n"
             "logging:\n  level: debug\n%s",
             refusing_port(), paid_yaml);
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.config_origin = "fuzz";
    args.host = &g_host;
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    if (fuzz_api()->init(&args, &ctx, &err) != PMP_OK) {
        fprintf(stderr, "fuzz: init: %s\n", err.message);
        FUZZ_CHECK(0);
    }
    return ctx;
}
