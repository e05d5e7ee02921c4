/* Every operation through the ABI against the sandbox: the happy paths,
 * declines, and the state rules. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "it.h"

static char g_buyer[32]; /* approved, 1,000,000 line */
static char status[32];

static int64_t rest_of(const char *buyer)
{
    json_object *d =
        it_ok("payer_status", it_fmt("{\"buyer_id\":\"%s\"}", buyer), status, sizeof(status));
    int64_t rest = it_jint(d, "rest_amount");

    json_object_put(d);
    return rest;
}

/* Authorizes amount+tax for buyer and checks the status word. */
static void authorize(const char *order, const char *buyer, int amount, int tax, const char *expect)
{
    json_object *d = it_ok("authorize",
                           it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":%d,"
                                  "\"tax\":%d,\"contents\":\"コピー用紙 A4 10箱\"}",
                                  order, buyer, amount, tax),
                           status, sizeof(status));

    if (strcmp(status, expect))
        CU_FAIL("unexpected authorize status");
    CU_ASSERT_STRING_EQUAL(status, expect);
    json_object_put(d);
}

static void capabilities(void)
{
    json_object *d = it_ok("capabilities", "{}", status, sizeof(status));

    CU_ASSERT_STRING_EQUAL(status, "ok");
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "method"), "paid");
    CU_ASSERT_TRUE(it_jbool(d, "partial_capture"));
    CU_ASSERT_FALSE(it_jbool(d, "multiple_captures"));
    CU_ASSERT_EQUAL(it_jint(d, "flags") & PMP_CAP_PARTIAL_CAPTURE, PMP_CAP_PARTIAL_CAPTURE);
    json_object_put(d);
}

static void enroll_and_eligibility(void)
{
    json_object *d;

    it_id("B", g_buyer, sizeof(g_buyer));
    it_enroll(g_buyer, "buyer", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "approved");
    d = it_ok("payer_status",
              it_fmt("{\"buyer_id\":\"%s\",\"amount\":120000,\"tax\":12000}", g_buyer), status,
              sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "approved");
    CU_ASSERT_EQUAL(it_jint(d, "rest_amount"), 1000000);
    CU_ASSERT_TRUE(it_jbool(d, "eligible"));
    json_object_put(d);
    d = it_ok("payer_status", it_fmt("{\"buyer_id\":\"%s\",\"amount\":1000000,\"tax\":1}", g_buyer),
              status, sizeof(status));
    CU_ASSERT_FALSE(it_jbool(d, "eligible"));
    json_object_put(d);
}

static void authorize_capture_status(void)
{
    char order[40];
    json_object *d;

    it_id("O", order, sizeof(order));
    authorize(order, g_buyer, 100000, 10000, "authorized");
    CU_ASSERT_EQUAL(rest_of(g_buyer), 1000000 - 110000);
    d = it_ok("capture", it_fmt("{\"order_id\":\"%s\",\"fixed_at\":\"2026-12-03\"}", order), status,
              sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 100000);
    CU_ASSERT_EQUAL(it_jint(d, "released_amount"), 0);
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "fixed_at"), "2026-12-03");
    json_object_put(d);
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "gateway_status"), "SALES");
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "buyer_id"), g_buyer);
    CU_ASSERT_STRING_EQUAL(it_jstr(d, "contents"), "コピー用紙 A4 10箱");
    CU_ASSERT_NOT_EQUAL(strlen(it_jstr(d, "paid_code")), 0);
    CU_ASSERT_EQUAL(it_jint(d, "tax"), 10000);
    json_object_put(d);
    /* capturing again returns the captured order */
    d = it_ok("capture", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_TRUE(it_jbool(d, "replayed"));
    json_object_put(d);
}

static void partial_capture_releases_line(void)
{
    char order[40];
    int64_t before;
    json_object *d;

    it_id("O", order, sizeof(order));
    before = rest_of(g_buyer);
    authorize(order, g_buyer, 100000, 10000, "authorized");
    d = it_ok("capture", it_fmt("{\"order_id\":\"%s\",\"amount\":80000,\"tax\":8000}", order),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 80000);
    CU_ASSERT_EQUAL(it_jint(d, "released_amount"), 22000);
    json_object_put(d);
    CU_ASSERT_EQUAL(rest_of(g_buyer), before - 88000);
}

static void void_releases_line(void)
{
    char order[40];
    int64_t before;
    json_object *d;

    it_id("O", order, sizeof(order));
    before = rest_of(g_buyer);
    authorize(order, g_buyer, 50000, 5000, "authorized");
    CU_ASSERT_EQUAL(rest_of(g_buyer), before - 55000);
    d = it_ok("void", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "voided");
    CU_ASSERT_FALSE(it_jbool(d, "replayed"));
    json_object_put(d);
    CU_ASSERT_EQUAL(rest_of(g_buyer), before);
    d = it_ok("void", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "voided");
    CU_ASSERT_TRUE(it_jbool(d, "replayed"));
    json_object_put(d);
}

static void refunds(void)
{
    char order[40], order2[40];
    json_object *d;

    it_id("O", order, sizeof(order));
    authorize(order, g_buyer, 30000, 3000, "authorized");
    json_object_put(
        it_ok("capture", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status)));
    d = it_ok("refund", it_fmt("{\"order_id\":\"%s\",\"amount\":10000,\"tax\":1000}", order),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 20000);
    CU_ASSERT_EQUAL(it_jint(d, "tax"), 2000);
    CU_ASSERT_EQUAL(it_jint(d, "refunded_amount"), 10000);
    json_object_put(d);
    d = it_ok("refund", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "refunded");
    CU_ASSERT_EQUAL(it_jint(d, "refunded_amount"), 20000);
    CU_ASSERT_EQUAL(it_jint(d, "refunded_tax"), 2000);
    json_object_put(d);
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "refunded");
    json_object_put(d);

    it_id("O", order2, sizeof(order2));
    authorize(order2, g_buyer, 1000, 0, "authorized");
    json_object_put(
        it_ok("capture", it_fmt("{\"order_id\":\"%s\"}", order2), status, sizeof(status)));
    d = it_ok("refund", it_fmt("{\"order_id\":\"%s\",\"amount\":1000}", order2), status,
              sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "refunded");
    json_object_put(d);
}

static void adjust_up_down_and_over_line(void)
{
    char order[40];
    json_object *d;

    it_id("O", order, sizeof(order));
    authorize(order, g_buyer, 10000, 1000, "authorized");
    d = it_ok("adjust", it_fmt("{\"order_id\":\"%s\",\"amount\":15000,\"tax\":1500}", order),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 15000);
    CU_ASSERT_EQUAL(it_jint(d, "previous_amount"), 10000);
    json_object_put(d);
    d = it_ok("adjust", it_fmt("{\"order_id\":\"%s\",\"amount\":9000000}", order), status,
              sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "declined");
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 15000);
    json_object_put(d);
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 15000);
    CU_ASSERT_EQUAL(it_jint(d, "tax"), 1500);
    json_object_put(d);
    json_object_put(it_ok("void", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status)));
}

static void declines(void)
{
    char rejected[32], review[32], small[32], order[40];
    json_object *d, *decline;

    it_id("R", rejected, sizeof(rejected));
    it_enroll(rejected, "reject", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    d = it_ok("payer_status", it_fmt("{\"buyer_id\":\"%s\",\"amount\":1000}", rejected), status,
              sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "rejected");
    CU_ASSERT_FALSE(it_jbool(d, "eligible"));
    json_object_put(d);
    it_id("O", order, sizeof(order));
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000}", order, rejected),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "declined");
    CU_ASSERT_TRUE(json_object_object_get_ex(d, "decline", &decline));
    CU_ASSERT_STRING_EQUAL(it_jstr(decline, "reason"), "buyer_not_approved");
    json_object_put(d);

    it_id("V", review, sizeof(review));
    it_enroll(review, "review", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "screening");
    it_id("O", order, sizeof(order));
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000}", order, review),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "declined");
    json_object_object_get_ex(d, "decline", &decline);
    CU_ASSERT_STRING_EQUAL(it_jstr(decline, "reason"), "buyer_under_screening");
    json_object_put(d);

    it_id("S", small, sizeof(small));
    it_enroll(small, "small", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "approved");
    CU_ASSERT_EQUAL(rest_of(small), 300000);
    it_id("O", order, sizeof(order));
    d = it_ok("authorize",
              it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":290000,\"tax\":29000}",
                     order, small),
              status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "declined");
    json_object_object_get_ex(d, "decline", &decline);
    CU_ASSERT_STRING_EQUAL(it_jstr(decline, "reason"), "credit_line_exceeded");
    CU_ASSERT_STRING_EQUAL(it_jstr(decline, "code"), "P01020001");
    json_object_put(d);
    CU_ASSERT_EQUAL(rest_of(small), 300000);
    /* the declined order is still UNPROCESSED: a smaller retry is a conflict,
     * the same one with more line would be placed */
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "entered");
    json_object_put(d);
}

static void pending_review(void)
{
    char buyer[32], order[40];
    json_object *d;

    it_id("Q", buyer, sizeof(buyer));
    it_enroll(buyer, "orderreview", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "approved");
    it_id("O", order, sizeof(order));
    authorize(order, buyer, 20000, 2000, "pending_review");
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "pending_review");
    json_object_put(d);
}

static void state_rules(void)
{
    char order[40];
    pmp_error err;

    it_id("O", order, sizeof(order));
    authorize(order, g_buyer, 5000, 0, "authorized");
    it_fail("refund", it_fmt("{\"order_id\":\"%s\"}", order), PMP_E_STATE, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "void"));
    it_fail("capture", it_fmt("{\"order_id\":\"%s\",\"amount\":6000}", order),
            PMP_E_INVALID_REQUEST, &err);
    json_object_put(it_ok("void", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status)));
    it_fail("capture", it_fmt("{\"order_id\":\"%s\"}", order), PMP_E_STATE, &err);
    it_fail("adjust", it_fmt("{\"order_id\":\"%s\",\"amount\":100}", order), PMP_E_STATE, &err);
    it_fail("status", "{\"order_id\":\"NO-SUCH-ORDER\"}", PMP_E_NOT_FOUND, &err);
    CU_ASSERT_STRING_EQUAL(err.gateway_code, "M01058002");
    it_fail("payer_status", "{\"buyer_id\":\"NOBODY\"}", PMP_E_NOT_FOUND, &err);
}

static const test_case cases[] = {
    {"capabilities", capabilities},
    {"enroll and eligibility", enroll_and_eligibility},
    {"authorize, capture, status", authorize_capture_status},
    {"partial capture releases the rest of the line", partial_capture_releases_line},
    {"void releases the line; void is idempotent", void_releases_line},
    {"partial and full refunds", refunds},
    {"adjust up, down, and over the line", adjust_up_down_and_over_line},
    {"declines: rejected, screening, over the line", declines},
    {"orders under review", pending_review},
    {"state rules and not-found", state_rules},
    {NULL, NULL},
};

const test_suite it_suite_orders = {"orders", cases, NULL, NULL};
