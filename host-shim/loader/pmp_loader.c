/*
 * pmp_loader.c - dlopen a payment-method plugin, verify its table, create
 * contexts from configuration files. See pmp_loader.h for the contract.
 */
#include "pmp_loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pmp_loader {
    void *handle;        /* from dlopen, released by dlclose */
    const pmp_api *api;  /* static table inside the plugin */
    char *path;          /* owned copy, for messages */
};

struct pmp_loader_ctx {
    /* The ABI lends these to the plugin until shutdown, so they must live
     * exactly as long as ctx: keeping them in the same allocation makes
     * that impossible to get wrong. */
    pmp_host_services host;
    int32_t log_level;
    /* Optional host logger from the options; NULL writes to stderr. */
    void (*log)(void *user_data, int32_t level, const char *msg, size_t len);
    void *log_user_data;
    const pmp_api *api; /* borrowed from the loader */
    pmp_ctx *ctx;       /* owned; released by api->shutdown */
};

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */

/* Fill only what the caller's struct_size covers: a host built against an
 * older, smaller pmp_error must not be written past its end. */
#define ERR_HAS(err, field) \
    ((err)->struct_size >= offsetof(pmp_error, field) + sizeof((err)->field))

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void loader_error_set(pmp_error *err, int32_t code, const char *fmt, ...)
{
    if (err == NULL)
        return;
    if (ERR_HAS(err, code))
        err->code = code;
    if (ERR_HAS(err, retryable))
        err->retryable = 0;
    if (ERR_HAS(err, reserved))
        err->reserved = 0;
    if (ERR_HAS(err, gateway_code))
        err->gateway_code[0] = '\0';
    if (ERR_HAS(err, message)) {
        va_list ap;

        va_start(ap, fmt);
        /* Truncation is fine: the message is for humans. */
        (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
}

const char *pmp_loader_strerror(int32_t code)
{
    switch (code) {
    case PMP_OK:
        return "success";
    case PMP_E_INVALID_ARG:
        return "invalid argument";
    case PMP_E_INVALID_REQUEST:
        return "invalid request";
    case PMP_E_CONFIG:
        return "invalid configuration";
    case PMP_E_NETWORK:
        return "network error, request not delivered";
    case PMP_E_OUTCOME_UNKNOWN:
        return "outcome unknown";
    case PMP_E_GATEWAY:
        return "gateway error";
    case PMP_E_UNSUPPORTED:
        return "operation not supported";
    case PMP_E_ABI_VERSION:
        return "unsupported ABI version";
    case PMP_E_FORKED:
        return "context used in a forked child";
    case PMP_E_NOMEM:
        return "out of memory";
    case PMP_E_INTERNAL:
        return "internal error in the plugin";
    case PMP_E_CONFLICT:
        return "conflicts with an existing order";
    case PMP_E_TLS:
        return "TLS error";
    case PMP_E_PROTOCOL:
        return "gateway answer not understood";
    case PMP_E_NOT_FOUND:
        return "not found";
    case PMP_E_STATE:
        return "not allowed in the current state";
    case PMP_LOADER_E_OPEN:
        return "plugin could not be loaded";
    case PMP_LOADER_E_SYMBOL:
        return "plugin does not export pmp_get_api";
    case PMP_LOADER_E_TABLE:
        return "plugin function table is invalid";
    case PMP_LOADER_E_CONFIG_FILE:
        return "configuration file could not be read";
    case PMP_LOADER_E_METHODS:
        return "methods file is invalid";
    default:
        return "unknown error code";
    }
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

/* The table check, one entry per version-1 member. Returns the name of the
 * first NULL member, or NULL when all are set. */
static const char *api_first_null_member(const pmp_api *api)
{
#define CHECK(m)              \
    do {                      \
        if (api->m == NULL)   \
            return #m;        \
    } while (0)
    CHECK(plugin_version);
    CHECK(method_name);
    CHECK(init);
    CHECK(shutdown);
    CHECK(strerror);
    CHECK(capabilities);
    CHECK(enroll);
    CHECK(payer_status);
    CHECK(authorize);
    CHECK(capture);
    CHECK(void_order);
    CHECK(refund);
    CHECK(adjust);
    CHECK(status);
    CHECK(notify);
    CHECK(result_status);
    CHECK(result_json);
    CHECK(result_gateway_errors);
    CHECK(result_free);
#undef CHECK
    return NULL;
}

static int32_t api_verify(const pmp_api *api, const char *path, pmp_error *err)
{
    /* result_free is the last member of version 1. */
    const size_t v1_size = offsetof(pmp_api, result_free) + sizeof(api->result_free);
    const char *missing;

    if (api == NULL) {
        loader_error_set(err, PMP_LOADER_E_TABLE, "%s: pmp_get_api returned 0 but no table",
                         path);
        return PMP_LOADER_E_TABLE;
    }
    if (api->abi_major != PMP_ABI_MAJOR) {
        loader_error_set(err, PMP_LOADER_E_TABLE,
                         "%s: pmp_get_api(%d) returned a table for ABI major %u", path,
                         PMP_ABI_MAJOR, (unsigned)api->abi_major);
        return PMP_LOADER_E_TABLE;
    }
    if (api->struct_size < v1_size) {
        loader_error_set(err, PMP_LOADER_E_TABLE,
                         "%s: function table is %u bytes, ABI %d.0 needs at least %zu", path,
                         (unsigned)api->struct_size, PMP_ABI_MAJOR, v1_size);
        return PMP_LOADER_E_TABLE;
    }
    missing = api_first_null_member(api);
    if (missing != NULL) {
        loader_error_set(err, PMP_LOADER_E_TABLE, "%s: function table member %s is NULL", path,
                         missing);
        return PMP_LOADER_E_TABLE;
    }
    return PMP_OK;
}

int32_t pmp_loader_open(const char *path, pmp_loader **out, pmp_error *err)
{
    pmp_loader *loader = NULL;
    pmp_get_api_fn get_api;
    const pmp_api *api = NULL;
    const char *dlmsg;
    void *sym;
    int32_t rc;

    if (out != NULL)
        *out = NULL;
    if (path == NULL || path[0] == '\0' || out == NULL) {
        loader_error_set(err, PMP_E_INVALID_ARG, "pmp_loader_open: %s is NULL or empty",
                         out == NULL ? "out" : "path");
        return PMP_E_INVALID_ARG;
    }

    loader = calloc(1, sizeof(*loader));
    if (loader == NULL)
        goto fail_nomem;
    loader->path = strdup(path);
    if (loader->path == NULL)
        goto fail_nomem;

    (void)dlerror(); /* drop any stale message so the next one is ours */
    loader->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (loader->handle == NULL) {
        dlmsg = dlerror();
        rc = PMP_LOADER_E_OPEN;
        loader_error_set(err, rc, "%s", dlmsg != NULL ? dlmsg : path);
        goto out_free_loader;
    }

    (void)dlerror();
    sym = dlsym(loader->handle, "pmp_get_api");
    dlmsg = dlerror();
    if (sym == NULL || dlmsg != NULL) {
        rc = PMP_LOADER_E_SYMBOL;
        loader_error_set(err, rc, "%s: no symbol pmp_get_api (%s)", path,
                         dlmsg != NULL ? dlmsg : "NULL");
        goto out_dlclose;
    }
    /* ISO C has no conversion from void * to a function pointer; POSIX
     * guarantees the representation, so copy the bits. */
    memcpy(&get_api, &sym, sizeof(get_api));

    rc = get_api(PMP_ABI_MAJOR, &api);
    if (rc != PMP_OK) {
        loader_error_set(err, rc, "%s: pmp_get_api(%d) refused with code %d", path,
                         PMP_ABI_MAJOR, (int)rc);
        goto out_dlclose;
    }
    rc = api_verify(api, path, err);
    if (rc != PMP_OK)
        goto out_dlclose;

    loader->api = api;
    *out = loader;
    return PMP_OK;

out_dlclose:
    (void)dlclose(loader->handle);
out_free_loader:
    free(loader->path);
    free(loader);
    return rc;

fail_nomem:
    if (loader != NULL)
        free(loader->path);
    free(loader);
    loader_error_set(err, PMP_E_NOMEM, "pmp_loader_open: out of memory");
    return PMP_E_NOMEM;
}

void pmp_loader_close(pmp_loader *loader)
{
    if (loader == NULL)
        return;
    if (loader->handle != NULL)
        (void)dlclose(loader->handle);
    free(loader->path);
    free(loader);
}

const pmp_api *pmp_loader_api(const pmp_loader *loader)
{
    return loader != NULL ? loader->api : NULL;
}

const char *pmp_loader_path(const pmp_loader *loader)
{
    return loader != NULL ? loader->path : "";
}

/* ------------------------------------------------------------------------
 * Logging
 * ---------------------------------------------------------------------- */

int32_t pmp_loader_log_level_parse(const char *name)
{
    if (name == NULL)
        return -1;
    if (strcmp(name, "off") == 0 || strcmp(name, "none") == 0)
        return 0;
    if (strcmp(name, "error") == 0)
        return PMP_LOG_ERROR;
    if (strcmp(name, "warn") == 0 || strcmp(name, "warning") == 0)
        return PMP_LOG_WARN;
    if (strcmp(name, "info") == 0)
        return PMP_LOG_INFO;
    if (strcmp(name, "debug") == 0)
        return PMP_LOG_DEBUG;
    return -1;
}

const char *pmp_loader_log_level_name(int32_t level)
{
    switch (level) {
    case 0:
        return "off";
    case PMP_LOG_ERROR:
        return "error";
    case PMP_LOG_WARN:
        return "warn";
    case PMP_LOG_INFO:
        return "info";
    case PMP_LOG_DEBUG:
        return "debug";
    default:
        return "?";
    }
}

/* May run on several plugin threads at once: holding the stream lock for the
 * whole line keeps lines from interleaving. */
static void loader_log_stderr(void *user_data, int32_t level, const char *msg, size_t len)
{
    const pmp_loader_ctx *lctx = user_data;

    if (lctx == NULL || level > lctx->log_level || msg == NULL)
        return;
    if (lctx->log != NULL) {
        lctx->log(lctx->log_user_data, level, msg, len);
        return;
    }
    flockfile(stderr);
    (void)fprintf(stderr, "[%s] ", pmp_loader_log_level_name(level));
    (void)fwrite(msg, 1, len, stderr);
    (void)fputc('\n', stderr);
    funlockfile(stderr);
}

/* ------------------------------------------------------------------------
 * Contexts
 * ---------------------------------------------------------------------- */

/* Reads a whole file into a NUL-terminated heap buffer. The buffer holds a
 * password, so the caller wipes it before freeing. */
static int32_t config_file_read(const char *path, char **out, size_t *out_len, pmp_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    size_t cap = 0;
    struct stat st;
    int fd;
    int32_t rc;

    *out = NULL;
    *out_len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        loader_error_set(err, PMP_LOADER_E_CONFIG_FILE, "%s: %s", path, strerror(errno));
        return PMP_LOADER_E_CONFIG_FILE;
    }
    if (fstat(fd, &st) != 0) {
        rc = PMP_LOADER_E_CONFIG_FILE;
        loader_error_set(err, rc, "%s: %s", path, strerror(errno));
        goto out_close;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = PMP_LOADER_E_CONFIG_FILE;
        loader_error_set(err, rc, "%s: is a directory", path);
        goto out_close;
    }

    /* Size from fstat is only a hint (pipes, /proc); read until EOF. */
    for (;;) {
        ssize_t n;

        if (cap - len < 2) {
            size_t ncap = cap == 0 ? 4096 : cap * 2;
            char *nbuf;

            if (ncap > PMP_LOADER_CONFIG_MAX + 2)
                ncap = PMP_LOADER_CONFIG_MAX + 2;
            if (ncap <= cap) {
                rc = PMP_LOADER_E_CONFIG_FILE;
                loader_error_set(err, rc, "%s: larger than %u bytes", path,
                                 (unsigned)PMP_LOADER_CONFIG_MAX);
                goto out_free_buf;
            }
            nbuf = malloc(ncap);
            if (nbuf == NULL) {
                rc = PMP_E_NOMEM;
                loader_error_set(err, rc, "%s: out of memory", path);
                goto out_free_buf;
            }
            /* Copy by hand instead of realloc so that the old block, which
             * may hold the password, can be wiped before it is released. */
            if (buf != NULL) {
                memcpy(nbuf, buf, len);
                explicit_bzero(buf, cap);
                free(buf);
            }
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = PMP_LOADER_E_CONFIG_FILE;
            loader_error_set(err, rc, "%s: %s", path, strerror(errno));
            goto out_free_buf;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > PMP_LOADER_CONFIG_MAX) {
            rc = PMP_LOADER_E_CONFIG_FILE;
            loader_error_set(err, rc, "%s: larger than %u bytes", path,
                             (unsigned)PMP_LOADER_CONFIG_MAX);
            goto out_free_buf;
        }
    }
    if (buf == NULL) {
        /* Empty file: still hand the plugin a valid (empty) string, it will
         * say which keys are missing. */
        buf = malloc(1);
        if (buf == NULL) {
            rc = PMP_E_NOMEM;
            loader_error_set(err, rc, "%s: out of memory", path);
            goto out_close;
        }
        cap = 1;
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        rc = PMP_LOADER_E_CONFIG_FILE;
        loader_error_set(err, rc, "%s: contains a NUL byte, not a YAML text file", path);
        goto out_free_buf;
    }

    (void)close(fd);
    *out = buf;
    *out_len = len;
    return PMP_OK;

out_free_buf:
    if (buf != NULL)
        explicit_bzero(buf, cap);
    free(buf);
out_close:
    (void)close(fd);
    return rc;
}

int32_t pmp_loader_ctx_open_text(const pmp_loader *loader, const char *config, size_t config_len,
                                 const char *origin, const pmp_loader_ctx_options *options,
                                 pmp_loader_ctx **out, pmp_error *err)
{
    pmp_loader_ctx *lctx;
    pmp_init_args args;
    int32_t log_level = 0;
    void (*log_fn)(void *, int32_t, const char *, size_t) = NULL;
    void *log_user_data = NULL;
    int32_t rc;

    if (out != NULL)
        *out = NULL;
    if (loader == NULL || loader->api == NULL || out == NULL ||
        (config == NULL && config_len != 0)) {
        loader_error_set(err, PMP_E_INVALID_ARG, "pmp_loader_ctx_open: invalid argument");
        return PMP_E_INVALID_ARG;
    }
    if (options != NULL) {
        if (options->struct_size <
            offsetof(pmp_loader_ctx_options, log_level) + sizeof(options->log_level)) {
            loader_error_set(err, PMP_E_INVALID_ARG,
                             "pmp_loader_ctx_open: options.struct_size too small");
            return PMP_E_INVALID_ARG;
        }
        log_level = options->log_level;
        if (log_level < 0 || log_level > PMP_LOG_DEBUG) {
            loader_error_set(err, PMP_E_INVALID_ARG,
                             "pmp_loader_ctx_open: log_level %d out of range", (int)log_level);
            return PMP_E_INVALID_ARG;
        }
        if (options->struct_size >=
            offsetof(pmp_loader_ctx_options, log_user_data) + sizeof(options->log_user_data)) {
            log_fn = options->log;
            log_user_data = options->log_user_data;
        }
    }

    lctx = calloc(1, sizeof(*lctx));
    if (lctx == NULL) {
        loader_error_set(err, PMP_E_NOMEM, "pmp_loader_ctx_open: out of memory");
        return PMP_E_NOMEM;
    }
    lctx->api = loader->api;
    lctx->log_level = log_level;
    lctx->log = log_fn;
    lctx->log_user_data = log_user_data;
    lctx->host.struct_size = sizeof(lctx->host);
    lctx->host.user_data = lctx;
    lctx->host.log = log_level > 0 ? loader_log_stderr : NULL;
    /* alloc/realloc/free stay NULL: the plugin uses its own malloc. */

    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.flags = 0;
    args.config = config != NULL ? config : "";
    args.config_len = config_len;
    args.config_origin = origin;
    args.host = &lctx->host;

    rc = lctx->api->init(&args, &lctx->ctx, err);
    if (rc != PMP_OK) {
        goto out_free_lctx;
    }
    if (lctx->ctx == NULL) {
        rc = PMP_E_INTERNAL;
        loader_error_set(err, rc, "plugin init returned 0 but no context");
        goto out_free_lctx;
    }
    *out = lctx;
    return PMP_OK;

out_free_lctx:
    free(lctx);
    return rc;
}

int32_t pmp_loader_ctx_open(const pmp_loader *loader, const char *config_path,
                            const pmp_loader_ctx_options *options, pmp_loader_ctx **out,
                            pmp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    int32_t rc;

    if (out != NULL)
        *out = NULL;
    if (config_path == NULL || config_path[0] == '\0') {
        loader_error_set(err, PMP_E_INVALID_ARG, "pmp_loader_ctx_open: config_path is empty");
        return PMP_E_INVALID_ARG;
    }
    rc = config_file_read(config_path, &text, &len, err);
    if (rc != PMP_OK)
        return rc;
    rc = pmp_loader_ctx_open_text(loader, text, len, config_path, options, out, err);
    /* The plugin copied what it keeps; our copy of the password goes now. */
    explicit_bzero(text, len);
    free(text);
    return rc;
}

void pmp_loader_ctx_close(pmp_loader_ctx *lctx)
{
    if (lctx == NULL)
        return;
    if (lctx->ctx != NULL)
        lctx->api->shutdown(lctx->ctx);
    free(lctx);
}

pmp_ctx *pmp_loader_ctx_get(const pmp_loader_ctx *lctx)
{
    return lctx != NULL ? lctx->ctx : NULL;
}
