/* Result notifications through notify(): genuine ones are confirmed and
 * keyed; duplicates share a key; forged, stale and out-of-order ones never
 * make the host apply a wrong state (the event is the gateway's record);
 * bodies for another shop or malformed ones are refused without sending
 * anything. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "it.h"

static char g_buyer[32];
static char g_auth[40];     /* authorized, 10000 + 1000 */
static char g_captured[40]; /* captured, 20000 + 2000 */
static char status[32];

static const char *body(const char *shop, const char *order, const char *st, int amount, int tax,
                        const char *tran_date)
{
    return it_fmt("ShopID=%s&ShopPass=**********&AccessID=0123456789abcdef0123456789abcdef&"
                  "AccessPass=********************************&OrderID=%s&Status=%s&JobCd=%s&"
                  "Amount=%d&Tax=%d&Currency=JPN&PayType=29&TranDate=%s&ErrCode=&ErrInfo=&"
                  "PaidBuyerID=%s&PaidCode=&PaidCancelAmount=&PaidCancelTax=&"
                  "ClientField1=%%83%%65%%83%%58%%83%%67+A",
                  shop, order, st, st, amount, tax, tran_date, g_buyer);
}

/* notify that must succeed; returns the parsed result. */
static json_object *notify_ok(const char *b, const char *headers)
{
    pmp_result *res = NULL;
    pmp_error err;
    json_object *doc;
    int32_t rc = it_notify_ctx(it.ctx, b, strlen(b), headers, &res, &err);

    if (rc != PMP_OK)
        fprintf(stderr, "\n    notify failed: %d %s\n", rc, err.message);
    CU_ASSERT_EQUAL_FATAL(rc, PMP_OK);
    doc = json_tokener_parse(it.api->result_json(res, NULL));
    CU_ASSERT_STRING_EQUAL(it.api->result_status(res), it_jstr(doc, "status"));
    it.api->result_free(res);
    return doc;
}

static void notify_fails(pmp_ctx *ctx, const char *b, size_t len, const char *headers, int32_t code,
                         pmp_error *err)
{
    pmp_result *res = NULL;
    int32_t rc = it_notify_ctx(ctx, b, len, headers, &res, err);

    if (rc != code)
        fprintf(stderr, "\n    notify: expected %d, got %d: %s\n", code, rc, err->message);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_PTR_NULL(res);
}

static void orders_for_notifications(void)
{
    json_object *d;

    it_id("N", g_buyer, sizeof(g_buyer));
    it_enroll(g_buyer, "notify", status, sizeof(status));
    it_id("NA", g_auth, sizeof(g_auth));
    it_id("NC", g_captured, sizeof(g_captured));
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":10000,\"tax\":1000}",
                     g_auth, g_buyer),
              status, sizeof(status));
    json_object_put(d);
    CU_ASSERT_STRING_EQUAL_FATAL(status, "authorized");
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":20000,\"tax\":2000}",
                     g_captured, g_buyer),
              status, sizeof(status));
    json_object_put(d);
    json_object_put(
        it_ok("capture", it_fmt("{\"order_id\":\"%s\"}", g_captured), status, sizeof(status)));
    CU_ASSERT_STRING_EQUAL_FATAL(status, "captured");
}

static void genuine_is_confirmed(void)
{
    json_object *d =
        notify_ok(body("tshop00000001", g_captured, "SALES", 20000, 2000, "20261203120000"),
                  "{\"Content-Type\":\"application/x-www-form-urlencoded\"}");
    json_object *event;

    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "captured");
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "reply_body"), "0");
    CU_ASSERT_TRUE(it_jbool(d, "confirmed"));
    CU_ASSERT_TRUE(it_jbool(d, "matches_gateway"));
    CU_ASSERT_EQUAL(strlen(it_jstr(d, "event_key")), 64);
    CU_ASSERT_TRUE(json_object_object_get_ex(d, "event", &event));
    CU_ASSERT_STRING_EQUAL(it_jstr(event, "order_id"), g_captured);
    CU_ASSERT_EQUAL(it_jint(event, "amount"), 20000);
    CU_ASSERT_STRING_EQUAL(it_jstr(event, "buyer_id"), g_buyer);
    json_object_put(d);
}

static void duplicates_share_a_key(void)
{
    const char *b1 = body("tshop00000001", g_captured, "SALES", 20000, 2000, "20261203120000");
    char first[8192];
    json_object *a, *b, *c;

    snprintf(first, sizeof(first), "%s", b1);
    a = notify_ok(first, NULL);
    b = notify_ok(first, NULL);
    CU_ASSERT_STRING_EQUAL(it_jstr(a, "event_key"), it_jstr(b, "event_key"));
    /* the same change at another time is another event */
    c = notify_ok(body("tshop00000001", g_captured, "SALES", 20000, 2000, "20261203120001"), NULL);
    CU_ASSERT_STRING_NOT_EQUAL(it_jstr(a, "event_key"), it_jstr(c, "event_key"));
    json_object_put(a);
    json_object_put(b);
    json_object_put(c);
}

static void forged_status_reports_the_gateway_state(void)
{
    /* claims the authorized order was captured */
    json_object *d =
        notify_ok(body("tshop00000001", g_auth, "SALES", 10000, 1000, "20261203120000"), NULL);
    json_object *event, *notified;

    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "authorized");
    CU_ASSERT_FALSE(it_jbool(d, "matches_gateway"));
    json_object_object_get_ex(d, "event", &event);
    CU_ASSERT_STRING_EQUAL(it_jstr(event, "gateway_status"), "AUTH");
    json_object_object_get_ex(d, "notified", &notified);
    CU_ASSERT_STRING_EQUAL(it_jstr(notified, "gateway_status"), "SALES");
    json_object_put(d);
    /* claims another amount */
    d = notify_ok(body("tshop00000001", g_auth, "AUTH", 99999, 1000, "20261203120000"), NULL);
    CU_ASSERT_FALSE(it_jbool(d, "matches_gateway"));
    json_object_object_get_ex(d, "event", &event);
    CU_ASSERT_EQUAL(it_jint(event, "amount"), 10000);
    json_object_put(d);
}

static void out_of_order_reports_the_current_state(void)
{
    /* an old AUTH notification arriving after the capture */
    json_object *d =
        notify_ok(body("tshop00000001", g_captured, "AUTH", 20000, 2000, "20261203110000"), NULL);

    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "captured");
    CU_ASSERT_FALSE(it_jbool(d, "matches_gateway"));
    json_object_put(d);
}

static void unknown_order_is_refused(void)
{
    pmp_error err;
    const char *b = body("tshop00000001", "NO-SUCH-ORDER-77", "SALES", 1, 0, "20261203120000");

    notify_fails(it.ctx, b, strlen(b), NULL, PMP_E_NOT_FOUND, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "do not apply"));
}

static void foreign_or_malformed_bodies_send_nothing(void)
{
    static const char *const bad[] = {
        "ShopID=tshop00000001&OrderID=A1&Status=SALES&Amount=1&Tax=0&PayType=29&TranDate=%ZZ",
        "ShopID=tshop00000001&garbage&PayType=29",
        "ShopID=tshop00000001&OrderID=A1&Status=SALES&Amount=1&Tax=0&PayType=29&"
        "TranDate=20261203120000&ClientField1=%83",
        "ShopID=tshop00000001&OrderID=A_1&Status=SALES&Amount=1&Tax=0&PayType=29&"
        "TranDate=20261203120000",
        "ShopID=tshop00000001&OrderID=A1&Status=SALES&Amount=1.5&Tax=0&PayType=29&"
        "TranDate=20261203120000",
        "ShopID=tshop00000001&OrderID=A1&Status=SALES&Amount=1&Tax=0&PayType=29&TranDate=2026",
        "ShopID=tshop00000001&OrderID=A1&Status=SALES&Amount=1&Tax=0&PayType=0&"
        "TranDate=20261203120000",
        "",
        NULL};
    const char *const *b;
    int64_t since = it_seq();
    pmp_error err;
    char big[70000];

    for (b = bad; *b; b++)
        notify_fails(it.ctx, *b, strlen(*b), NULL, PMP_E_INVALID_REQUEST, &err);
    b = &bad[0];
    notify_fails(it.ctx, *b, strlen(*b), "{\"Content-Type\":\"application/json\"}",
                 PMP_E_INVALID_REQUEST, &err);
    notify_fails(it.ctx, *b, strlen(*b), "{not json", PMP_E_INVALID_REQUEST, &err);
    {
        const char *other = body("tshop99", g_captured, "SALES", 20000, 2000, "20261203120000");

        notify_fails(it.ctx, other, strlen(other), NULL, PMP_E_INVALID_REQUEST, &err);
        CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "not this context's shop"));
    }
    memset(big, 'a', sizeof(big));
    memcpy(big, "ShopID=", 7);
    notify_fails(it.ctx, big, sizeof(big), NULL, PMP_E_INVALID_REQUEST, &err);
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
}

static void connectivity_test_is_acknowledged(void)
{
    const char *b = "ShopID=tshop00000001&ShopPass=**********&ErrCode=E00&ErrInfo=E00000000";
    int64_t since = it_seq();
    json_object *d = notify_ok(b, NULL), *event = (json_object *)1;

    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "test");
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "reply_body"), "0");
    CU_ASSERT_TRUE(json_object_object_get_ex(d, "event", &event));
    CU_ASSERT_PTR_NULL(event);
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
    json_object_put(d);
}

static void unconfirmed_mode_trusts_nothing_it_cannot(void)
{
    pmp_error err;
    pmp_result *res = NULL;
    int64_t since = it_seq();
    pmp_ctx *ctx =
        it_ctx_open(it_fmt("gateway:\n  base_url: %s\n  ca_file: %s\nshop:\n  id: tshop00000001\n"
                           "  password: %s\npaid:\n  notify:\n    confirm: false\n",
                           it.base_url, it.ca_file, it.shop_pass),
                    &err);
    const char *b = body("tshop00000001", g_auth, "SALES", 10000, 1000, "20261203120000");
    json_object *d;

    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx);
    CU_ASSERT_EQUAL(it_notify_ctx(ctx, b, strlen(b), NULL, &res, &err), PMP_OK);
    d = json_tokener_parse(it.api->result_json(res, NULL));
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "status"), "captured");
    CU_ASSERT_FALSE(it_jbool(d, "confirmed"));
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
    json_object_put(d);
    it.api->result_free(res);
    it.api->shutdown(ctx);
}

static const test_case cases[] = {
    {"orders to be notified about", orders_for_notifications},
    {"a genuine notification is confirmed and keyed", genuine_is_confirmed},
    {"duplicates share one event key", duplicates_share_a_key},
    {"a forged notification reports the gateway's state", forged_status_reports_the_gateway_state},
    {"an out-of-order notification reports the current state",
     out_of_order_reports_the_current_state},
    {"a notification for an unknown order is refused", unknown_order_is_refused},
    {"foreign and malformed bodies are refused, nothing sent",
     foreign_or_malformed_bodies_send_nothing},
    {"the connectivity test is acknowledged", connectivity_test_is_acknowledged},
    {"with confirm: false nothing is asked", unconfirmed_mode_trusts_nothing_it_cannot},
    {NULL, NULL},
};

const test_suite it_suite_notify = {"notify", cases, NULL, NULL};
