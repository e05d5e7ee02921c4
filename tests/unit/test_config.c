/* Unit tests of configuration loading (through init, as hosts call it) and
 * of the status maps. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paid_internal.h"
#include "unit_suites.h"

static void capture_line(void *user, int32_t level, const char *msg, size_t len)
{
    (void)level;
    snprintf(user, 512, "%.*s", (int)len, msg);
}

static const pmp_api *api(void)
{
    const pmp_api *a = NULL;

    CU_ASSERT_EQUAL_FATAL(pmp_get_api(PMP_ABI_MAJOR, &a), PMP_OK);
    return a;
}

/* Runs init on text; returns the code, leaves the message in err. */
static int32_t init_with(const char *text, pmp_error *err)
{
    pmp_init_args args;
    pmp_ctx *ctx = NULL;
    int32_t rc;

    memset(&args, 0, sizeof(args));
    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
    args.struct_size = sizeof(args);
    args.config = text;
    args.config_len = strlen(text);
    args.config_origin = "test.yaml";
    rc = api()->init(&args, &ctx, err);
    if (rc == PMP_OK) {
        CU_ASSERT_PTR_NOT_NULL(ctx);
    } else {
        CU_ASSERT_PTR_NULL(ctx);
    }
    api()->shutdown(ctx);
    return rc;
}

#define SHOP "shop:\n  id: tshop00000001\n  password: pw12345\n"

static void valid_minimal(void)
{
    pmp_error err;

    CU_ASSERT_EQUAL(init_with(SHOP, &err), PMP_OK);
}

static void valid_full_example(void)
{
    pmp_error err;

    setenv("PAID_SHOP_PASS", "fromenv1", 1);
    CU_ASSERT_EQUAL(init_with("gateway:\n  base_url: https://pt01.mul-pay.jp/payment\n"
                              "  connect_timeout_ms: 3000\n  timeout_ms: 20000\n  retries: 0\n"
                              "shop:\n  id: tshop00000001\n  password: ${PAID_SHOP_PASS}\n"
                              "logging:\n  level: debug\n"
                              "paid:\n  status_map:\n    SALESFIXED: captured\n"
                              "  buyer_status_map: {OK: approved}\n"
                              "  decline_codes: [P01, P99]\n  max_amount: 5000000\n"
                              "  settlement:\n    closing_day: 20\n    deposit_day: 10\n"
                              "    deposit_month_offset: 1\n    invoice_due_month_offset: 1\n"
                              "  notify:\n    confirm: false\n",
                              &err),
                    PMP_OK);
}

static void unknown_key_names_key_and_line(void)
{
    pmp_error err;

    CU_ASSERT_EQUAL(
        init_with(SHOP "gateway:\n  base_url: https://x.example/\n  timeout: 5\n", &err),
        PMP_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "test.yaml:6: gateway.timeout: unknown key");
    CU_ASSERT_EQUAL(init_with(SHOP "gatway:\n  x: 1\n", &err), PMP_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message, "test.yaml:4: gatway: unknown key");
}

static void bad_values(void)
{
    pmp_error err;

    CU_ASSERT_EQUAL(init_with(SHOP "gateway:\n  timeout_ms: fast\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(err.message, "test.yaml:5: gateway.timeout_ms: must be an integer"));
    CU_ASSERT_EQUAL(init_with(SHOP "logging:\n  level: loud\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "logging.level"));
    CU_ASSERT_EQUAL(init_with("shop:\n  id: tshop-01\n  password: pw\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "test.yaml:2: shop.id"));
    CU_ASSERT_EQUAL(init_with("shop:\n  id: tshop01\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "shop.password: is required"));
    CU_ASSERT_EQUAL(init_with("gateway: {}\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "shop"));
    CU_ASSERT_EQUAL(init_with(SHOP "paid:\n  status_map:\n    AUTH: approvedish\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "test.yaml:6: paid.status_map.AUTH"));
    /* each map takes only the words its kind of status can have */
    CU_ASSERT_EQUAL(init_with(SHOP "paid:\n  buyer_status_map:\n    OK: captured\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "must be one of screening, approved"));
    CU_ASSERT_EQUAL(init_with(SHOP "paid:\n  status_map:\n    AUTH: approved\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_EQUAL(init_with(SHOP "paid:\n  settlement:\n    closing_day: 31\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "test.yaml:6: paid.settlement.closing_day"));
    CU_ASSERT_EQUAL(init_with(SHOP "paid:\n  notify:\n    confirm: maybe\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "paid.notify.confirm: must be true or false"));
    CU_ASSERT_EQUAL(init_with(SHOP "shop:\n  id: again\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "duplicate key"));
    CU_ASSERT_EQUAL(init_with(SHOP "gateway: [1, 2\n", &err), PMP_E_CONFIG);
    CU_ASSERT_EQUAL(init_with(SHOP "gateway: &a {}\nlogging: *a\n", &err), PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "aliases"));
}

static void env_reference_missing(void)
{
    pmp_error err;

    unsetenv("PMP_TEST_NOT_SET");
    CU_ASSERT_EQUAL(init_with("shop:\n  id: tshop01\n  password: ${PMP_TEST_NOT_SET}\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "test.yaml:3: shop.password: environment variable PMP_TEST_NOT_SET "
                           "is not set");
}

static void plain_http_only_on_loopback(void)
{
    pmp_error err;

    CU_ASSERT_EQUAL(init_with(SHOP "gateway:\n  base_url: http://p01.mul-pay.jp/payment/\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "gateway.base_url"));
    CU_ASSERT_EQUAL(init_with(SHOP "gateway:\n  base_url: ftp://127.0.0.1/\n", &err), PMP_E_CONFIG);
    CU_ASSERT_EQUAL(init_with(SHOP "gateway:\n  base_url: http://127.0.0.1:8080/payment/\n", &err),
                    PMP_OK);
}

static void password_never_in_messages(void)
{
    pmp_error err;

    CU_ASSERT_EQUAL(init_with("shop:\n  id: tshop01\n  password: s3cr3tPW99\n"
                              "logging:\n  level: chatty\n",
                              &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(err.message, "s3cr3tPW99"));
    CU_ASSERT_EQUAL(init_with("shop:\n  id: tshop01\n  password: s3cr3t-PW99\n", &err),
                    PMP_E_CONFIG);
    CU_ASSERT_PTR_NULL(strstr(err.message, "s3cr3t"));
}

static void missing_ca_file(void)
{
    const char *text = SHOP "gateway:\n  ca_file: /nonexistent/ca.pem\n";
    pmp_init_args args = {sizeof(args), 0, text, strlen(text), NULL, NULL};
    pmp_ctx *ctx = NULL;
    pmp_error err;

    CU_ASSERT_EQUAL(init_with(text, &err), PMP_E_TLS);
    /* the same code without an error struct */
    CU_ASSERT_EQUAL(api()->init(&args, &ctx, NULL), PMP_E_TLS);
    CU_ASSERT_PTR_NULL(ctx);
}

static void wrong_abi_use(void)
{
    pmp_init_args args;
    pmp_ctx *ctx = (pmp_ctx *)&args;
    pmp_error err;
    const pmp_api *a = NULL;

    CU_ASSERT_EQUAL(pmp_get_api(2, &a), PMP_E_ABI_VERSION);
    CU_ASSERT_PTR_NULL(a);
    CU_ASSERT_EQUAL(pmp_get_api(1, NULL), PMP_E_INVALID_ARG);
    memset(&args, 0, sizeof(args));
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    args.struct_size = 8; /* too small */
    CU_ASSERT_EQUAL(api()->init(&args, &ctx, &err), PMP_E_INVALID_ARG);
    CU_ASSERT_PTR_NULL(ctx);
    args.struct_size = sizeof(args);
    args.flags = 4;
    CU_ASSERT_EQUAL(api()->init(&args, &ctx, &err), PMP_E_INVALID_ARG);
    CU_ASSERT_EQUAL(err.code, PMP_E_INVALID_ARG);
    CU_ASSERT_EQUAL(api()->init(NULL, &ctx, NULL), PMP_E_INVALID_ARG);
    api()->shutdown(NULL);
    api()->result_free(NULL);
    CU_ASSERT_STRING_EQUAL(api()->result_status(NULL), "");
    CU_ASSERT_STRING_EQUAL(api()->strerror(PMP_E_OUTCOME_UNKNOWN),
                           "outcome unknown: the request may have reached the gateway");
    CU_ASSERT_STRING_EQUAL(api()->strerror(-999), "unknown error code");
}

static void status_maps(void)
{
    char errbuf[256];
    gw_cfg_reader r = {&gw_mem_libc, "t", errbuf, sizeof(errbuf)};
    gw_ynode *root = NULL;
    paid_config pc;
    const char *yaml = "status_map:\n  AUTH: pending_review\n  NEWLIT: captured\n";

    CU_ASSERT_EQUAL_FATAL(
        gw_yaml_parse(&gw_mem_libc, yaml, strlen(yaml), &root, errbuf, sizeof(errbuf)), 0);
    CU_ASSERT_EQUAL_FATAL(paid_config_load(&r, root, &pc), 0);
    /* defaults */
    CU_ASSERT_STRING_EQUAL(paid_map_lookup(pc.tx, pc.ntx, "SALES"), "captured");
    CU_ASSERT_STRING_EQUAL(paid_map_lookup(pc.tx, pc.ntx, "CANCEL"), "voided");
    CU_ASSERT_STRING_EQUAL(paid_map_lookup(pc.buyer, pc.nbuyer, "AVAILABLE"), "approved");
    /* override and extension */
    CU_ASSERT_STRING_EQUAL(paid_map_lookup(pc.tx, pc.ntx, "AUTH"), "pending_review");
    CU_ASSERT_STRING_EQUAL(paid_map_lookup(pc.tx, pc.ntx, "NEWLIT"), "captured");
    /* unknown literals are not guessed */
    CU_ASSERT_PTR_NULL(paid_map_lookup(pc.tx, pc.ntx, "SOMETHING"));
    CU_ASSERT_EQUAL(pc.ndecline, 1);
    CU_ASSERT_STRING_EQUAL(pc.decline_prefixes[0], "P01");
    CU_ASSERT_EQUAL(pc.max_amount, 10000000);
    paid_config_release(&gw_mem_libc, &pc);
    gw_yaml_free(&gw_mem_libc, root);
}

static void unknown_literal_is_reported(void)
{
    char errbuf[256];
    gw_cfg_reader r = {&gw_mem_libc, "t", errbuf, sizeof(errbuf)};
    char logged[512] = "";
    pmp_ctx ctx;
    paid_op op;

    memset(&ctx, 0, sizeof(ctx));
    memset(&op, 0, sizeof(op));
    CU_ASSERT_EQUAL_FATAL(paid_config_load(&r, NULL, &ctx.paid), 0);
    ctx.log.sink = capture_line;
    ctx.log.user_data = logged;
    ctx.log.level = PMP_LOG_WARN;
    op.ctx = &ctx;
    op.name = "status";
    CU_ASSERT_STRING_EQUAL(paid_tx_word(&op, "SALES"), "captured");
    CU_ASSERT_STRING_EQUAL(logged, "");
    CU_ASSERT_STRING_EQUAL(paid_tx_word(&op, "REQSUCCESS"), "unknown");
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "'REQSUCCESS'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(logged, "paid.status_map"));
    paid_config_release(&gw_mem_libc, &ctx.paid);
}

static const test_case config_cases[] = {
    {"minimal config", valid_minimal},
    {"every key", valid_full_example},
    {"unknown key named with its line", unknown_key_names_key_and_line},
    {"bad values named with their line", bad_values},
    {"unset environment reference", env_reference_missing},
    {"plain http only for loopback", plain_http_only_on_loopback},
    {"password never in error messages", password_never_in_messages},
    {"unreadable CA file", missing_ca_file},
    {"wrong ABI use", wrong_abi_use},
    {"status maps: defaults, overrides, unknown", status_maps},
    {"an unknown literal is reported as unknown and logged", unknown_literal_is_reported},
    {NULL, NULL},
};

const test_suite unit_suite_config = {"config", config_cases, NULL, NULL};
