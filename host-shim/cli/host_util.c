/*
 * host_util.c - small helpers of pmp-host: the operation table, whole-file
 * reads, default paths.
 */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const host_operation host_operations[] = {
    {"capabilities", offsetof(pmp_api, capabilities), 0},
    {"enroll", offsetof(pmp_api, enroll), 0},
    {"payer_status", offsetof(pmp_api, payer_status), 0},
    {"authorize", offsetof(pmp_api, authorize), 0},
    {"capture", offsetof(pmp_api, capture), 0},
    {"void", offsetof(pmp_api, void_order), 0},
    {"refund", offsetof(pmp_api, refund), 0},
    {"adjust", offsetof(pmp_api, adjust), 0},
    {"status", offsetof(pmp_api, status), 0},
    {"notify", offsetof(pmp_api, notify), 1},
};

const host_operation *host_operation_find(const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < sizeof(host_operations) / sizeof(host_operations[0]); i++) {
        if (strcmp(host_operations[i].name, name) == 0)
            return &host_operations[i];
    }
    return NULL;
}

pmp_operation_fn host_operation_fn(const pmp_api *api, const host_operation *op)
{
    pmp_operation_fn fn;

    if (api == NULL || op == NULL || op->is_notify)
        return NULL;
    /* Every operation member has the same type, so reading it by offset is
     * exact; memcpy avoids any aliasing question. */
    memcpy(&fn, (const char *)api + op->offset, sizeof(fn));
    return fn;
}

int host_read_file(const char *path, char **out, size_t *out_len, char *msg, size_t msg_size)
{
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    int fd;
    int from_stdin;

    *out = NULL;
    *out_len = 0;
    from_stdin = strcmp(path, "-") == 0;
    if (from_stdin) {
        fd = STDIN_FILENO;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
            return -1;
        }
    }

    for (;;) {
        ssize_t n;

        if (cap - len < 2) {
            size_t ncap = cap == 0 ? 8192 : cap * 2;
            char *nbuf;

            if (ncap > HOST_INPUT_MAX + 2)
                ncap = HOST_INPUT_MAX + 2;
            if (ncap <= cap) {
                (void)snprintf(msg, msg_size, "%s: larger than %u bytes",
                               from_stdin ? "stdin" : path, (unsigned)HOST_INPUT_MAX);
                goto fail_free_buf;
            }
            nbuf = realloc(buf, ncap);
            if (nbuf == NULL) {
                (void)snprintf(msg, msg_size, "out of memory");
                goto fail_free_buf;
            }
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            (void)snprintf(msg, msg_size, "%s: %s", from_stdin ? "stdin" : path,
                           strerror(errno));
            goto fail_free_buf;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (!from_stdin)
        (void)close(fd);
    *out = buf;
    *out_len = len;
    return 0;

fail_free_buf:
    free(buf);
    if (!from_stdin)
        (void)close(fd);
    return -1;
}

int host_exe_dir(char *buf, size_t size)
{
    char path[PATH_MAX];
    ssize_t n;
    char *slash;

    n = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (n <= 0 || (size_t)n >= sizeof(path) - 1)
        return -1;
    path[n] = '\0';
    slash = strrchr(path, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    if ((size_t)snprintf(buf, size, "%s", path[0] != '\0' ? path : "/") >= size)
        return -1;
    return 0;
}

int host_default_path(const char *env_name, const char *build_rel, const char *installed,
                      char *buf, size_t size)
{
    const char *env = env_name != NULL ? getenv(env_name) : NULL;
    char dir[PATH_MAX];
    struct stat st;
    int n;

    if (env != NULL && env[0] != '\0') {
        n = snprintf(buf, size, "%s", env);
        return n >= 0 && (size_t)n < size ? 0 : -1;
    }
    if (build_rel != NULL && host_exe_dir(dir, sizeof(dir)) == 0) {
        n = snprintf(buf, size, "%s/%s", dir, build_rel);
        if (n >= 0 && (size_t)n < size && stat(buf, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    n = snprintf(buf, size, "%s", installed);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

const char *host_fmt_yen(long long v, char *buf, size_t size)
{
    char digits[32];
    char tmp[48];
    size_t n;
    size_t i;
    size_t o = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

    (void)snprintf(digits, sizeof(digits), "%llu", u);
    n = strlen(digits);
    if (v < 0)
        tmp[o++] = '-';
    for (i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            tmp[o++] = ',';
        tmp[o++] = digits[i];
    }
    tmp[o] = '\0';
    (void)snprintf(buf, size, "%s", tmp);
    return buf;
}
