/*
 * plugin.c - drive the plugin through the ABI, the way a host does: the
 * loader library, a context from YAML text, JSON requests.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *bench_config_text(const char *base_url, const char *ca_file, const char *paid_extra)
{
    bench_buf b = {0};

    /* Every section of config.yaml.example, so init parses a full
     * configuration; logging off (level error, and no logger is given). */
    if (bench_buf_printf(&b,
                         "gateway:\n"
                         "  base_url: \"%s\"\n"
                         "  ca_file: \"%s\"\n"
                         "  connect_timeout_ms: 10000\n"
                         "  timeout_ms: 60000\n"
                         "  retries: 2\n"
                         "shop:\n"
                         "  id: " BENCH_SHOP_ID "\n"
                         "  password: " BENCH_SHOP_PASS "\n"
                         "logging:\n"
                         "  level: error\n"
                         "paid:\n"
                         "  status_map:\n"
                         "    AUTH: authorized\n"
                         "    SALES: captured\n"
                         "  buyer_status_map:\n"
                         "    AVAILABLE: approved\n"
                         "  decline_codes: [P01]\n"
                         "  max_amount: 10000000\n"
                         "%s",
                         base_url, ca_file, paid_extra != NULL ? paid_extra : "") != 0) {
        bench_buf_free(&b);
        return NULL;
    }
    return b.data;
}

int bench_plugin_open(bench_plugin *p, const char *path)
{
    pmp_error err = {.struct_size = sizeof(err)};
    int32_t rc;

    memset(p, 0, sizeof(*p));
    rc = pmp_loader_open(path, &p->loader, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-bench: cannot load %s: %s\n", path, err.message);
        return -1;
    }
    p->api = pmp_loader_api(p->loader);
    return 0;
}

void bench_plugin_close(bench_plugin *p)
{
    pmp_loader_close(p->loader);
    memset(p, 0, sizeof(*p));
}

pmp_loader_ctx *bench_ctx_open(const bench_plugin *p, const char *config)
{
    pmp_error err = {.struct_size = sizeof(err)};
    pmp_loader_ctx_options o = {.struct_size = sizeof(o), .log_level = 0};
    pmp_loader_ctx *c = NULL;
    int32_t rc;

    rc = pmp_loader_ctx_open_text(p->loader, config, strlen(config), "bench-config", &o, &c,
                                  &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-bench: init: %s: %s\n", p->api->strerror(rc), err.message);
        return NULL;
    }
    return c;
}

int32_t bench_call(const bench_plugin *p, pmp_loader_ctx *c, pmp_operation_fn fn,
                   const char *request, size_t len, const char *want_status)
{
    pmp_error err = {.struct_size = sizeof(err)};
    pmp_result *res = NULL;
    int32_t rc;

    rc = fn(pmp_loader_ctx_get(c), request, len, &res, &err);
    if (rc != PMP_OK) {
        (void)fprintf(stderr, "pmp-bench: %.60s: %s: %s\n", request, p->api->strerror(rc),
                      err.message);
        return rc;
    }
    if (want_status != NULL && strcmp(p->api->result_status(res), want_status) != 0) {
        (void)fprintf(stderr, "pmp-bench: %.60s: status %s, expected %s\n", request,
                      p->api->result_status(res), want_status);
        rc = -100;
    }
    p->api->result_free(res);
    return rc;
}

int32_t bench_authorize(const bench_plugin *p, pmp_loader_ctx *c, const char *order_id,
                        const char *buyer_id, long amount, long tax)
{
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":%ld,\"tax\":%ld}",
                     order_id, buyer_id, amount, tax);

    if (n < 0 || (size_t)n >= sizeof(req))
        return PMP_E_INVALID_ARG;
    return bench_call(p, c, p->api->authorize, req, (size_t)n, "authorized");
}

int32_t bench_status(const bench_plugin *p, pmp_loader_ctx *c, const char *order_id)
{
    char req[128];
    int n = snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order_id);

    if (n < 0 || (size_t)n >= sizeof(req))
        return PMP_E_INVALID_ARG;
    return bench_call(p, c, p->api->status, req, (size_t)n, NULL);
}

int32_t bench_enroll(const bench_plugin *p, pmp_loader_ctx *c, const char *buyer_id)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "{\"buyer_id\":\"%s\",\"company_name\":\"株式会社ベンチ商事\","
                     "\"company_name_kana\":\"カブシキガイシャベンチショウジ\","
                     "\"zip_code\":\"1500002\",\"prefecture\":\"東京都\","
                     "\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\","
                     "\"tel\":\"03-1234-5678\",\"email\":\"line10000000@example.jp\"}",
                     buyer_id);

    if (n < 0 || (size_t)n >= sizeof(req))
        return PMP_E_INVALID_ARG;
    return bench_call(p, c, p->api->enroll, req, (size_t)n, "approved");
}

/* A result notification as docs/protocol.md section 7 describes it. */
int bench_notify_body(const char *order_id, const char *buyer_id, char *buf, size_t size)
{
    int n = snprintf(buf, size,
                     "ShopID=" BENCH_SHOP_ID "&ShopPass=**********"
                     "&AccessID=0123456789abcdef0123456789abcdef"
                     "&AccessPass=********************************"
                     "&OrderID=%s&Status=SALES&JobCd=SALES&Amount=1&Tax=0&Currency=JPN"
                     "&PayType=29&TranDate=20261203150000&ErrCode=&ErrInfo="
                     "&PaidBuyerID=%s&PaidCode=PC0000000001&PaidCancelAmount=&PaidCancelTax=",
                     order_id, buyer_id);

    return n > 0 && (size_t)n < size ? n : -1;
}

/* A JSON object of exactly len bytes made of the same names and values. */
int bench_notify_json(const char *form, size_t len, char *buf, size_t size)
{
    bench_buf b = {0};
    const char *p = form;
    int rc = -1;

    (void)bench_buf_append(&b, "{", 1);
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        const char *eq = strchr(p, '=');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);
        size_t mark = b.len;

        if (eq == NULL || eq > p + n)
            break;
        (void)bench_buf_printf(&b, "%s\"%.*s\":\"%.*s\"", b.len > 1 ? "," : "", (int)(eq - p),
                               p, (int)(n - (size_t)(eq - p) - 1), eq + 1);
        /* Leave room for ,"pad":"" and the closing brace. */
        if (b.len + 10 > len) {
            b.len = mark;
            break;
        }
        p = amp != NULL ? amp + 1 : p + n;
    }
    {
        size_t pad = len - b.len - 10;

        (void)bench_buf_printf(&b, ",\"pad\":\"%*s\"}", (int)pad, "");
    }
    if (b.data != NULL && b.len == len && len < size) {
        memcpy(buf, b.data, len + 1);
        rc = 0;
    }
    bench_buf_free(&b);
    return rc;
}
