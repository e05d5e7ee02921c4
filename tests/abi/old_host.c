/* The "old host": a host compiled against the frozen first v1 header
 * (abi/v1.0/pmp.h, and nothing else of this project) loads the current
 * plugin and runs an order against the sandbox. It proves that a host built
 * for ABI 1.0 keeps working with every later 1.x plugin: same symbol, same
 * table prefix, same structs, same codes, same JSON it relies on.
 *
 *   old_host --plugin libpmp_paid.so --sandbox paid-sandbox
 *
 * Self-contained on purpose (its own sandbox start, dlopen, checks): any
 * helper shared with the rest of the tests would be compiled against the
 * current header. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pmp.h" /* abi/v1.0/pmp.h */
#include "tsbx.h"

#if PMP_ABI_MAJOR != 1 || PMP_ABI_MINOR != 0
#error "old_host must be built against the frozen v1.0 header (abi/v1.0)"
#endif

static int g_passed, g_failed;

static int check(int cond, const char *what)
{
    if (cond) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "check failed: %s\n", what);
    }
    return cond;
}

/* ------------------------------------------------------------ sandbox */

static tsbx g_sb;

/* ------------------------------------------------------------ the host */

static const pmp_api *g_api;

/* Runs one operation; on success returns the status word (copied into
 * status) and whether the JSON contains want (NULL: anything). */
static int run(pmp_operation_fn fn, pmp_ctx *ctx, const char *name, const char *req,
               const char *want_status, const char *want_json)
{
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc;
    size_t len = 0;
    const char *json;
    int ok;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = fn(ctx, req, strlen(req), &res, &err);
    if (rc != PMP_OK) {
        fprintf(stderr, "%s: %d (%s) %s\n", name, rc, g_api->strerror(rc), err.message);
        return check(0, name);
    }
    json = g_api->result_json(res, &len);
    ok = check(json && strlen(json) == len, "result_json length");
    ok &= check(!strcmp(g_api->result_status(res), want_status), name);
    if (want_json)
        ok &= check(strstr(json, want_json) != NULL, name);
    ok &= check(g_api->result_gateway_errors(res) != NULL, "result_gateway_errors");
    if (!ok)
        fprintf(stderr, "%s: status %s, json %s\n", name, g_api->result_status(res), json);
    g_api->result_free(res);
    return ok;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *sandbox = NULL;
    char yaml[2048], req[1024], buyer[40], order[40];
    pmp_get_api_fn get;
    pmp_init_args args;
    pmp_ctx *ctx = NULL;
    pmp_error err;
    void *handle, *sym;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugin"))
            plugin = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            sandbox = argv[i + 1];
    }
    if (!plugin || !sandbox) {
        fprintf(stderr, "usage: %s --plugin PATH --sandbox PATH\n", argv[0]);
        return 2;
    }
    handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    sym = dlsym(handle, "pmp_get_api");
    memcpy(&get, &sym, sizeof(get));
    if (!check(sym != NULL, "pmp_get_api exported") ||
        !check(get(PMP_ABI_MAJOR, &g_api) == PMP_OK && g_api, "v1 table served"))
        return 1;
    /* What a 1.0 host may rely on without PMP_API_HAS. */
    check(g_api->abi_major == 1, "abi_major 1");
    check(g_api->struct_size >= sizeof(pmp_api), "table covers every 1.0 member");
    check(PMP_API_HAS(g_api, result_free), "PMP_API_HAS(result_free)");
    check(g_api->init && g_api->shutdown && g_api->strerror && g_api->capabilities &&
              g_api->enroll && g_api->payer_status && g_api->authorize && g_api->capture &&
              g_api->void_order && g_api->refund && g_api->adjust && g_api->status &&
              g_api->notify && g_api->result_status && g_api->result_json &&
              g_api->result_gateway_errors && g_api->result_free,
          "no 1.0 member is NULL");
    check(get(PMP_ABI_MAJOR + 1, &g_api) == PMP_E_ABI_VERSION, "another major refused");
    get(PMP_ABI_MAJOR, &g_api);
    check(!strcmp(g_api->strerror(PMP_E_OUTCOME_UNKNOWN), g_api->strerror(-5)), "codes fixed");

    if (tsbx_start(&g_sb, sandbox, NULL, "oldhost", NULL) != 0) {
        fprintf(stderr, "sandbox did not start\n");
        tsbx_stop(&g_sb);
        return 99;
    }
    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             g_sb.base_url, g_sb.ca_file);
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.config_origin = "old-host.yaml";
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    if (!check(g_api->init(&args, &ctx, &err) == PMP_OK, "init")) {
        fprintf(stderr, "init: %s\n", err.message);
        tsbx_stop(&g_sb);
        return 1;
    }

    snprintf(buyer, sizeof(buyer), "OLD%d", (int)getpid() % 100000);
    snprintf(order, sizeof(order), "OLD%d-1", (int)getpid() % 100000);
    run(g_api->capabilities, ctx, "capabilities", "{}", "ok", "\"abi_major\":1");
    snprintf(req, sizeof(req),
             "{\"buyer_id\":\"%s\",\"company_name\":\"株式会社テスト商事\","
             "\"company_name_kana\":\"カブシキガイシャテストショウジ\",\"zip_code\":\"150-0002\","
             "\"prefecture\":\"東京都\",\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\","
             "\"tel\":\"03-1234-5678\",\"email\":\"oldhost@example.jp\"}",
             buyer);
    run(g_api->enroll, ctx, "enroll", req, "approved", NULL);
    snprintf(req, sizeof(req), "{\"buyer_id\":\"%s\",\"amount\":10800}", buyer);
    run(g_api->payer_status, ctx, "payer_status", req, "approved", "\"eligible\":true");
    snprintf(req, sizeof(req),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":10000,\"tax\":800}", order,
             buyer);
    run(g_api->authorize, ctx, "authorize", req, "authorized", "\"replayed\":false");
    run(g_api->authorize, ctx, "authorize again", req, "authorized", "\"replayed\":true");
    snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order);
    run(g_api->status, ctx, "status", req, "authorized", "\"amount\":10000");
    run(g_api->capture, ctx, "capture", req, "captured", NULL);
    run(g_api->status, ctx, "status after capture", req, "captured", NULL);

    /* An error through the 1.0 pmp_error. */
    {
        pmp_result *res = (pmp_result *)&res;

        memset(&err, 0, sizeof(err));
        err.struct_size = sizeof(err);
        check(g_api->status(ctx, "{}", 2, &res, &err) == PMP_E_INVALID_REQUEST && !res &&
                  err.code == PMP_E_INVALID_REQUEST && strstr(err.message, "order_id"),
              "invalid request through the 1.0 error struct");
    }

    g_api->shutdown(ctx);
    dlclose(handle);
    tsbx_stop(&g_sb);
    printf("old host (ABI 1.0 header) against plugin %s: %d passed, %d failed\n", plugin, g_passed,
           g_failed);
    return g_failed ? 1 : 0;
}
