/* authorize is idempotent on order_id: repeats return the existing order,
 * a half-done order is finished, a conflicting repeat is refused, and
 * concurrent repeats place exactly one order. */
#include <CUnit/CUnit.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "it.h"

static char g_buyer[32];
static char status[32];

static void buyer_with_large_line(void)
{
    it_id("I", g_buyer, sizeof(g_buyer));
    it_enroll(g_buyer, "line5000000", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL_FATAL(status, "approved");
}

static const char *auth_req(const char *order, int amount)
{
    return it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":%d,\"tax\":100}", order,
                  g_buyer, amount);
}

static void repeat_returns_existing(void)
{
    char order[40];
    int64_t since = it_seq();
    json_object *d;

    it_id("D", order, sizeof(order));
    d = it_ok("authorize", auth_req(order, 1000), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    CU_ASSERT_FALSE(it_jbool(d, "replayed"));
    json_object_put(d);
    d = it_ok("authorize", auth_req(order, 1000), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    CU_ASSERT_TRUE(it_jbool(d, "replayed"));
    json_object_put(d);
    CU_ASSERT_EQUAL(it_count(since, "ExecTranPaid", order), 1);
    /* after capture, a repeat still answers with the order as it stands */
    json_object_put(
        it_ok("capture", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status)));
    d = it_ok("authorize", auth_req(order, 1000), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "captured");
    CU_ASSERT_TRUE(it_jbool(d, "replayed"));
    json_object_put(d);
    CU_ASSERT_EQUAL(it_count(since, "ExecTranPaid", order), 1);
}

static void different_amount_is_conflict(void)
{
    char order[40];
    int64_t since;
    pmp_error err;
    json_object *d;

    it_id("D", order, sizeof(order));
    json_object_put(it_ok("authorize", auth_req(order, 2000), status, sizeof(status)));
    since = it_seq();
    it_fail("authorize", auth_req(order, 2500), PMP_E_CONFLICT, &err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "already exists with amount 2000"));
    CU_ASSERT_EQUAL(it_count(since, "ExecTranPaid", NULL), 0);
    CU_ASSERT_EQUAL(it_count(since, "PaidChange", NULL), 0);
    d = it_ok("status", it_fmt("{\"order_id\":\"%s\"}", order), status, sizeof(status));
    CU_ASSERT_EQUAL(it_jint(d, "amount"), 2000);
    json_object_put(d);
    it_fail(
        "authorize",
        it_fmt("{\"order_id\":\"%s\",\"buyer_id\":\"OTHER\",\"amount\":2000,\"tax\":100}", order),
        PMP_E_CONFLICT, &err);
}

static void entry_without_exec_is_finished(void)
{
    char order[40], body[256];
    char *answer;
    int64_t since;
    json_object *d;

    /* A host crashed after EntryTranPaid and before ExecTranPaid. */
    it_id("D", order, sizeof(order));
    snprintf(body, sizeof(body), "ShopID=tshop00000001&ShopPass=%s&OrderID=%s&Amount=3000&Tax=100",
             it.shop_pass, order);
    answer = it_raw_post("EntryTranPaid", body);
    CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
    CU_ASSERT_PTR_NOT_NULL(strstr(answer, "AccessID="));
    free(answer);
    since = it_seq();
    d = it_ok("authorize", auth_req(order, 3000), status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    CU_ASSERT_TRUE(it_jbool(d, "replayed"));
    json_object_put(d);
    CU_ASSERT_EQUAL(it_count(since, "ExecTranPaid", order), 1);
    CU_ASSERT_EQUAL(it_count(since, "SearchTradeMulti", order), 1);
}

typedef struct racer {
    const char *op;
    const char *request;
    int32_t rc;
    char status[32];
} racer;

static void *race(void *arg)
{
    racer *r = arg;
    pmp_result *res = NULL;
    pmp_error err;

    r->rc = it_call(r->op ? r->op : "authorize", r->request, &res, &err);
    if (r->rc == PMP_OK)
        snprintf(r->status, sizeof(r->status), "%s", it.api->result_status(res));
    it.api->result_free(res);
    return NULL;
}

static void concurrent_repeats_place_one_order(void)
{
    char order[40], request[256];
    racer r[4];
    pthread_t t[4];
    int64_t since = it_seq();
    int i;

    it_id("D", order, sizeof(order));
    snprintf(request, sizeof(request), "%s", auth_req(order, 4000));
    for (i = 0; i < 4; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].request = request;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CU_ASSERT_EQUAL(r[i].rc, PMP_OK);
        CU_ASSERT_STRING_EQUAL(r[i].status, "authorized");
    }
    CU_ASSERT_EQUAL(it_count(since, "EntryTranPaid", order), 4);
    /* every Exec after the first is refused by the gateway's state check */
    CU_ASSERT_TRUE(it_count(since, "ExecTranPaid", order) >= 1);
    {
        json_object *tx = it_admin(it_fmt("transactions/%s", order), 0);

        CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
        CU_ASSERT_STRING_EQUAL(it_jstr(tx, "status"), "AUTH");
        json_object_put(tx);
    }
}

static void concurrent_captures_all_succeed(void)
{
    char order[40], request[128];
    racer r[4];
    pthread_t t[4];
    int64_t since;
    int i;

    it_id("D", order, sizeof(order));
    json_object_put(it_ok("authorize", auth_req(order, 6000), status, sizeof(status)));
    since = it_seq();
    snprintf(request, sizeof(request), "{\"order_id\":\"%s\"}", order);
    for (i = 0; i < 4; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].op = "capture";
        r[i].request = request;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        /* whoever lost the race finds the order captured: success, not an error */
        CU_ASSERT_EQUAL(r[i].rc, PMP_OK);
        CU_ASSERT_STRING_EQUAL(r[i].status, "captured");
    }
    CU_ASSERT_TRUE(it_count(since, "PaidSales", order) >= 1);
}

static const test_case cases[] = {
    {"a buyer with a 5,000,000 line", buyer_with_large_line},
    {"a repeat returns the existing order", repeat_returns_existing},
    {"same order_id, different amount or buyer: conflict", different_amount_is_conflict},
    {"an order entered but not placed is finished", entry_without_exec_is_finished},
    {"concurrent repeats place exactly one order", concurrent_repeats_place_one_order},
    {"concurrent captures of one order all succeed", concurrent_captures_all_succeed},
    {NULL, NULL},
};

const test_suite it_suite_idempotency = {"idempotency", cases, NULL, NULL};
