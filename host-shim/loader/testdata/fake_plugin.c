/*
 * fake_plugin.c - a test-only plugin for the host bindings' error mapping.
 *
 * NOT a payment method. It exists so the PHP and Python tests can make every
 * operation fail with any return code (the real plugin cannot be driven to
 * PMP_E_NOMEM or PMP_E_INTERNAL on purpose), and so that a methods list can
 * hold a method that does not screen buyers. The real plugin is tested
 * against the sandbox; this one only checks how hosts map what a plugin says.
 *
 *   request {"fail": -14}           -> returns -14; err.retryable is 1 for
 *                                      -4, -5 and -14, gateway_code
 *                                      "E00000001|E00000002"
 *   any other request               -> 0, {"operation":OP,"status":"ok",...}
 *   config containing "fail_init: N" -> init returns N
 *   notify                          -> status "test", reply_body "0"
 *
 * Built with -DFAKE_BAD_TABLE it serves a table claiming ABI major 2, for
 * the loaders' table check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp.h"

struct pmp_ctx {
    int unused;
};

struct pmp_result {
    char status[16];
    char json[512];
    size_t len;
};

static void fill_error(pmp_error *err, int32_t code)
{
    if (err == NULL || err->struct_size < sizeof(pmp_error))
        return;
    err->code = code;
    err->retryable = code == PMP_E_NETWORK || code == PMP_E_OUTCOME_UNKNOWN ||
                     code == PMP_E_PROTOCOL;
    err->reserved = 0;
    (void)snprintf(err->gateway_code, sizeof(err->gateway_code), "E00000001|E00000002");
    (void)snprintf(err->message, sizeof(err->message), "fake failure %d", (int)code);
}

static int32_t fake_init(const pmp_init_args *args, pmp_ctx **out, pmp_error *err)
{
    const char *p;

    if (out == NULL || args == NULL)
        return PMP_E_INVALID_ARG;
    *out = NULL;
    if (args->config != NULL && (p = strstr(args->config, "fail_init:")) != NULL) {
        int32_t code = (int32_t)strtol(p + strlen("fail_init:"), NULL, 10);

        fill_error(err, code);
        return code;
    }
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return PMP_E_NOMEM;
    if (args->host != NULL && args->host->log != NULL) {
        static const char line[] = "fake plugin ready";

        args->host->log(args->host->user_data, PMP_LOG_INFO, line, sizeof(line) - 1);
    }
    return PMP_OK;
}

static void fake_shutdown(pmp_ctx *ctx)
{
    free(ctx);
}

static const char *fake_strerror(int32_t code)
{
    return code == 0 ? "success" : "fake error";
}

static int32_t respond(const char *op, const char *request, size_t len, pmp_result **out,
                       pmp_error *err)
{
    char buf[256];
    const char *p;
    pmp_result *r;

    if (out == NULL)
        return PMP_E_INVALID_ARG;
    *out = NULL;
    if (len >= sizeof(buf))
        len = sizeof(buf) - 1;
    memcpy(buf, request != NULL ? request : "", request != NULL ? len : 0);
    buf[request != NULL ? len : 0] = '\0';
    if ((p = strstr(buf, "\"fail\":")) != NULL) {
        int32_t code = (int32_t)strtol(p + strlen("\"fail\":"), NULL, 10);

        fill_error(err, code);
        return code;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return PMP_E_NOMEM;
    if (strcmp(op, "capabilities") == 0) {
        (void)snprintf(r->status, sizeof(r->status), "ok");
        r->len = (size_t)snprintf(
            r->json, sizeof(r->json),
            "{\"operation\":\"capabilities\",\"status\":\"ok\",\"method\":\"fake\","
            "\"abi_major\":1,\"abi_minor\":0,\"plugin_version\":\"0.0.1\",\"flags\":0,"
            "\"payer_enrollment\":false,\"currency\":\"JPY\",\"amount_min\":1,"
            "\"amount_max\":1000,\"gateway_calls\":[]}");
    } else if (strcmp(op, "notify") == 0) {
        (void)snprintf(r->status, sizeof(r->status), "test");
        r->len = (size_t)snprintf(r->json, sizeof(r->json),
                                  "{\"operation\":\"notify\",\"status\":\"test\",\"event\":null,"
                                  "\"reply_body\":\"0\",\"gateway_calls\":[]}");
    } else {
        (void)snprintf(r->status, sizeof(r->status), "ok");
        r->len = (size_t)snprintf(r->json, sizeof(r->json),
                                  "{\"operation\":\"%s\",\"status\":\"ok\",\"gateway_calls\":[]}",
                                  op);
    }
    *out = r;
    return PMP_OK;
}

#define FAKE_OP(name, op)                                                                      \
    static int32_t fake_##name(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out,    \
                               pmp_error *err)                                                \
    {                                                                                          \
        (void)ctx;                                                                             \
        return respond(op, req, len, out, err);                                                \
    }
FAKE_OP(capabilities, "capabilities")
FAKE_OP(enroll, "enroll")
FAKE_OP(payer_status, "payer_status")
FAKE_OP(authorize, "authorize")
FAKE_OP(capture, "capture")
FAKE_OP(void_order, "void")
FAKE_OP(refund, "refund")
FAKE_OP(adjust, "adjust")
FAKE_OP(status, "status")

static int32_t fake_notify(pmp_ctx *ctx, const char *body, size_t body_len, const char *headers,
                           size_t headers_len, pmp_result **out, pmp_error *err)
{
    (void)ctx;
    (void)headers;
    (void)headers_len;
    return respond("notify", body, body_len, out, err);
}

static const char *fake_result_status(const pmp_result *r)
{
    return r != NULL ? r->status : "";
}

static const char *fake_result_json(const pmp_result *r, size_t *len)
{
    if (len != NULL)
        *len = r != NULL ? r->len : 0;
    return r != NULL ? r->json : "";
}

static const char *fake_result_gateway_errors(const pmp_result *r)
{
    (void)r;
    return "";
}

static void fake_result_free(pmp_result *r)
{
    free(r);
}

static const pmp_api fake_api = {
    .struct_size = sizeof(pmp_api),
#ifdef FAKE_BAD_TABLE
    .abi_major = 2,
#else
    .abi_major = PMP_ABI_MAJOR,
#endif
    .abi_minor = 0,
    .plugin_version = "0.0.1",
    .method_name = "fake",
    .init = fake_init,
    .shutdown = fake_shutdown,
    .strerror = fake_strerror,
    .capabilities = fake_capabilities,
    .enroll = fake_enroll,
    .payer_status = fake_payer_status,
    .authorize = fake_authorize,
    .capture = fake_capture,
    .void_order = fake_void_order,
    .refund = fake_refund,
    .adjust = fake_adjust,
    .status = fake_status,
    .notify = fake_notify,
    .result_status = fake_result_status,
    .result_json = fake_result_json,
    .result_gateway_errors = fake_result_gateway_errors,
    .result_free = fake_result_free,
};

PMP_EXPORT int32_t pmp_get_api(uint32_t abi_major, const pmp_api **out)
{
    if (out == NULL)
        return PMP_E_INVALID_ARG;
    *out = NULL;
    if (abi_major != PMP_ABI_MAJOR)
        return PMP_E_ABI_VERSION;
    *out = &fake_api;
    return PMP_OK;
}
