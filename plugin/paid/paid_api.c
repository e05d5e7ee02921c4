/* The Paid plugin's ABI surface: pmp_get_api(), the function table, init and
 * shutdown, capabilities, and the result accessors. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paid_internal.h"

static int host_allocator_valid(const pmp_host_services *h)
{
    size_t need = offsetof(pmp_host_services, free) + sizeof(h->free);
    int n;

    if (h->struct_size < need)
        return !(h->struct_size >= offsetof(pmp_host_services, alloc) + sizeof(h->alloc) &&
                 h->alloc);
    n = !!h->alloc + !!h->realloc + !!h->free;
    return n == 0 || n == 3;
}

/* The allocator init reads the configuration with: the context's own, plus
 * a note of any failure, so that a configuration that could not be loaded
 * for lack of memory is reported as PMP_E_NOMEM and not as a mistake in the
 * configuration that the host would look for in vain. Blocks it hands out
 * are the context allocator's, freed through ctx->mem like any other. */
typedef struct init_mem {
    const gw_mem *inner;
    int failed;
} init_mem;

static void *init_alloc(void *user_data, size_t size)
{
    init_mem *m = user_data;
    void *p = m->inner->alloc(m->inner->user_data, size);

    m->failed |= !p;
    return p;
}

static void *init_realloc(void *user_data, void *ptr, size_t size)
{
    init_mem *m = user_data;
    void *p = m->inner->realloc(m->inner->user_data, ptr, size);

    m->failed |= !p;
    return p;
}

static void init_free(void *user_data, void *ptr)
{
    init_mem *m = user_data;

    m->inner->free(m->inner->user_data, ptr);
}

static int32_t paid_init(const pmp_init_args *args, pmp_ctx **out, pmp_error *err)
{
    const pmp_host_services *host;
    gw_mem mem = gw_mem_libc, watched;
    init_mem watch;
    gw_cfg_reader reader;
    gw_ynode *root = NULL;
    pmp_ctx *ctx;
    char cfg_err[480];
    int32_t rc;

    if (out)
        *out = NULL;
    if (!args || !out)
        return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL, "init: args and out are required");
    if (args->struct_size < sizeof(pmp_init_args))
        return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL,
                            "init: args.struct_size %u is smaller than the v1 pmp_init_args (%zu)",
                            args->struct_size, sizeof(pmp_init_args));
    if (args->flags)
        return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL,
                            "init: unknown flags 0x%x (none are defined in ABI v1)", args->flags);
    if (!args->config && args->config_len)
        return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL,
                            "init: config is NULL but config_len is not 0");
    host = args->host;
    if (host) {
        if (host->struct_size < offsetof(pmp_host_services, log) + sizeof(host->log))
            return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL,
                                "init: host.struct_size %u is too small", host->struct_size);
        if (!host_allocator_valid(host))
            return gw_error_set(err, PMP_E_INVALID_ARG, 0, NULL,
                                "init: host alloc, realloc and free must be all set or all NULL");
        if (host->struct_size >= sizeof(pmp_host_services) && host->alloc) {
            mem.user_data = host->user_data;
            mem.alloc = host->alloc;
            mem.realloc = host->realloc;
            mem.free = host->free;
        }
    }
    ctx = gw_calloc(&mem, 1, sizeof(*ctx));
    if (!ctx)
        return gw_error_set(err, PMP_E_NOMEM, 0, NULL, "out of memory");
    ctx->mem = mem;
    ctx->pid = getpid();
    if (host) {
        ctx->log.sink = host->log;
        ctx->log.user_data = host->user_data;
    }
    watch.inner = &ctx->mem;
    watch.failed = 0;
    watched.user_data = &watch;
    watched.alloc = init_alloc;
    watched.realloc = init_realloc;
    watched.free = init_free;
    reader.mem = &watched;
    reader.origin = args->config_origin ? args->config_origin : "config";
    reader.err = cfg_err;
    reader.errlen = sizeof(cfg_err);
    if (gw_config_load(&reader, args->config ? args->config : "", args->config_len, "paid",
                       &ctx->cfg, &root) != 0)
        goto fail_config;
    ctx->log.level = ctx->cfg.log_level;
    if (paid_config_load(&reader, gw_yaml_get(root, "paid"), &ctx->paid) != 0)
        goto fail_config;
    gw_yaml_free(&ctx->mem, root);
    root = NULL;
    if (ctx->cfg.ca_file && access(ctx->cfg.ca_file, R_OK) != 0) {
        rc = gw_error_set(err, PMP_E_TLS, 0, NULL, "init: gateway.ca_file %s cannot be read",
                          ctx->cfg.ca_file);
        goto fail;
    }
    if (gw_http_acquire() != 0) {
        rc = gw_error_set(err, PMP_E_INTERNAL, 0, NULL, "init: libcurl could not be initialised");
        goto fail;
    }
    /* fetched once per context: an implicit fetch per digest is slow in OpenSSL 3 */
    ctx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!ctx->sha256) {
        gw_http_release();
        rc = gw_error_set(err, PMP_E_INTERNAL, 0, NULL, "init: OpenSSL has no SHA-256");
        goto fail;
    }
    gw_client_init(&ctx->client, &ctx->cfg, &ctx->mem, &ctx->log);
    gw_logf(&ctx->log, PMP_LOG_INFO, "paid plugin %s ready: shop %s, gateway %s",
            PMP_PLUGIN_VERSION, ctx->cfg.shop_id, ctx->cfg.base_url);
    *out = ctx;
    return PMP_OK;
fail_config:
    rc = watch.failed ? gw_error_set(err, PMP_E_NOMEM, 0, NULL,
                                     "init: out of memory while reading the configuration")
                      : gw_error_set(err, PMP_E_CONFIG, 0, NULL, "%s", cfg_err);
fail:
    gw_yaml_free(&ctx->mem, root);
    paid_config_release(&ctx->mem, &ctx->paid);
    gw_config_release(&ctx->mem, &ctx->cfg);
    gw_free(&mem, ctx);
    return rc;
}

static void paid_shutdown(pmp_ctx *ctx)
{
    gw_mem mem;

    if (!ctx)
        return;
    mem = ctx->mem;
    if (ctx->pid == getpid())
        gw_http_release();
    EVP_MD_free(ctx->sha256);
    paid_config_release(&mem, &ctx->paid);
    gw_config_release(&mem, &ctx->cfg);
    gw_free(&mem, ctx);
}

static int32_t paid_capabilities(pmp_ctx *ctx, const char *req_text, size_t req_len,
                                 pmp_result **out, pmp_error *err)
{
    static const char *const allowed[] = {NULL};
    static const struct {
        const char *name;
        uint32_t bit;
        int value;
    } caps[] = {
        {"partial_capture", PMP_CAP_PARTIAL_CAPTURE, 1},
        {"multiple_captures", PMP_CAP_MULTIPLE_CAPTURES, 0},
        {"refund", PMP_CAP_REFUND, 1},
        {"partial_refund", PMP_CAP_PARTIAL_REFUND, 1},
        {"void", PMP_CAP_VOID, 1},
        {"adjust", PMP_CAP_ADJUST, 1},
        {"async_review", PMP_CAP_ASYNC_REVIEW, 1},
        {"notifications", PMP_CAP_NOTIFICATIONS, 1},
        {"payer_enrollment", PMP_CAP_PAYER_ENROLLMENT, 1},
    };
    json_object *req = NULL, *doc;
    uint32_t flags = 0;
    paid_op op;
    int32_t rc;
    size_t i;

    if ((rc = paid_op_begin(&op, ctx, "capabilities", out, err)) != PMP_OK)
        return rc;
    if ((rc = gw_req_parse(req_text, req_len, &req, err)) != PMP_OK ||
        (rc = gw_req_allowed(req, allowed, err)) != PMP_OK)
        goto out;
    doc = json_object_new_object();
    paid_json_str(doc, "method", "paid");
    paid_json_int(doc, "abi_major", PMP_ABI_MAJOR);
    paid_json_int(doc, "abi_minor", PMP_ABI_MINOR);
    paid_json_str(doc, "plugin_version", PMP_PLUGIN_VERSION);
    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        if (caps[i].value)
            flags |= caps[i].bit;
    paid_json_int(doc, "flags", flags);
    for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        paid_json_bool(doc, caps[i].name, caps[i].value);
    paid_json_str(doc, "currency", "JPY");
    paid_json_int(doc, "amount_min", 1);
    paid_json_int(doc, "amount_max", ctx->paid.max_amount);
    rc = paid_result(&op, "ok", doc, out);
out:
    json_object_put(req);
    paid_op_end(&op);
    return rc;
}

static const char *result_status(const pmp_result *r)
{
    return r ? r->status : "";
}

static const char *result_json(const pmp_result *r, size_t *len)
{
    if (len)
        *len = r ? r->json_len : 0;
    return r ? r->json : "";
}

static const char *result_gateway_errors(const pmp_result *r)
{
    return r ? r->gateway_errors : "";
}

static void result_free(pmp_result *r)
{
    gw_mem mem;

    if (!r)
        return;
    mem = r->mem;
    gw_free(&mem, r->json);
    gw_free(&mem, r->gateway_errors);
    gw_free(&mem, r);
}

static const pmp_api paid_api_v1 = {
    .struct_size = sizeof(pmp_api),
    .abi_major = PMP_ABI_MAJOR,
    .abi_minor = PMP_ABI_MINOR,
    .reserved0 = 0,
    .plugin_version = PMP_PLUGIN_VERSION,
    .method_name = "paid",
    .init = paid_init,
    .shutdown = paid_shutdown,
    .strerror = gw_strerror,
    .capabilities = paid_capabilities,
    .enroll = paid_enroll,
    .payer_status = paid_payer_status,
    .authorize = paid_authorize,
    .capture = paid_capture,
    .void_order = paid_void,
    .refund = paid_refund,
    .adjust = paid_adjust,
    .status = paid_status,
    .notify = paid_notify,
    .result_status = result_status,
    .result_json = result_json,
    .result_gateway_errors = result_gateway_errors,
    .result_free = result_free,
};

PMP_EXPORT int32_t pmp_get_api(uint32_t abi_major, const pmp_api **out)
{
    if (!out)
        return PMP_E_INVALID_ARG;
    if (abi_major != PMP_ABI_MAJOR) {
        *out = NULL;
        return PMP_E_ABI_VERSION;
    }
    *out = &paid_api_v1;
    return PMP_OK;
}
