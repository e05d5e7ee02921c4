/* Bad input gets a clear error naming the field, and nothing is sent. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "it.h"

typedef struct bad_case {
    const char *op;
    const char *request;
    const char *names; /* the member the message must name */
} bad_case;

static const bad_case bad[] = {
    {"authorize", "{\"order_id\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ01\",\"buyer_id\":\"B\",\"amount\":1}",
     "order_id"},
    {"authorize", "{\"order_id\":\"ORD_1\",\"buyer_id\":\"B\",\"amount\":1}", "order_id"},
    {"authorize", "{\"order_id\":\"注文\",\"buyer_id\":\"B\",\"amount\":1}", "order_id"},
    {"authorize", "{\"buyer_id\":\"B\",\"amount\":1}", "order_id"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":\"100\"}", "amount"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":100.5}", "amount"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":0}", "amount"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":10000001}", "amount"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":1,\"tax\":-1}", "tax"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\"}", "amount"},
    {"authorize", "{\"order_id\":\"A1\",\"amount\":1}", "buyer_id"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":1,\"contents\":\"箱😀\"}",
     "contents"},
    {"authorize",
     "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":1,\"client_fields\":[\"a\",\"b\",\"c\","
     "\"d\"]}",
     "client_fields"},
    {"authorize", "{\"order_id\":\"A1\",\"buyer_id\":\"B\",\"amount\":1,\"ammount\":1}", "ammount"},
    {"authorize", "{\"order_id\":\"A1\",", "malformed JSON"},
    {"authorize", "[]", "JSON object"},
    {"enroll", "{\"buyer_id\":\"B1\",\"company_name\":\"株式会社\"}", "company_name_kana"},
    {"enroll",
     "{\"buyer_id\":\"B1\",\"company_name\":\"🏢\",\"company_name_kana\":\"カ\",\"zip_code\":"
     "\"1500002\","
     "\"prefecture\":\"東京都\",\"address1\":\"渋谷区\",\"address2\":\"1\",\"tel\":\"0312345678\","
     "\"email\":\"a@b.jp\"}",
     "company_name"},
    {"enroll",
     "{\"buyer_id\":\"B1\",\"company_name\":\"株\",\"company_name_kana\":\"カ\",\"zip_code\":"
     "\"15000\","
     "\"prefecture\":\"東京都\",\"address1\":\"渋谷区\",\"address2\":\"1\",\"tel\":\"0312345678\","
     "\"email\":\"a@b.jp\"}",
     "zip_code"},
    {"enroll",
     "{\"buyer_id\":\"B1\",\"company_name\":\"株\",\"company_name_kana\":\"カ\",\"zip_code\":"
     "\"1500002\","
     "\"prefecture\":\"東京都\",\"address1\":\"渋谷区\",\"address2\":\"1\",\"tel\":\"0312345678\","
     "\"email\":\"not-an-address\"}",
     "email"},
    {"enroll",
     "{\"buyer_id\":\"B1\",\"company_name\":\"株\",\"company_name_kana\":\"カ\",\"zip_code\":"
     "\"1500002\","
     "\"prefecture\":\"東京都\",\"address1\":\"渋谷区\",\"address2\":\"1\",\"tel\":\"0312345678\","
     "\"email\":\"a@b.jp\",\"established_month\":13}",
     "established_month"},
    {"enroll", "{\"buyer_id\":\"B 1\"}", "buyer_id"},
    {"payer_status", "{}", "buyer_id"},
    {"payer_status", "{\"buyer_id\":\"B1\",\"tax\":5}", "tax"},
    {"capture", "{\"order_id\":\"A1\",\"fixed_at\":\"2026-02-30\"}", "fixed_at"},
    {"capture", "{\"order_id\":\"A1\",\"fixed_at\":\"20261203\"}", "fixed_at"},
    {"capture", "{\"order_id\":\"A1\",\"amount\":-5}", "amount"},
    {"capture", "{\"order_id\":\"A1\",\"closing_day\":31}", "closing_day"},
    {"status", "{\"order_id\":\"A1\",\"closing_day\":\"20\"}", "closing_day"},
    {"void", "{\"order_id\":\"A1\",\"amount\":5}", "amount"},
    {"void", "{}", "order_id"},
    {"refund", "{\"order_id\":\"A1\",\"tax\":5}", "tax"},
    {"adjust", "{\"order_id\":\"A1\"}", "amount"},
    {"status", "{\"order_id\":\"A/1\"}", "order_id"},
    {"capabilities", "{\"x\":1}", "x"},
    {NULL, NULL, NULL},
};

static void bad_input_sends_nothing(void)
{
    const bad_case *c;
    int64_t since = it_seq();

    for (c = bad; c->op; c++) {
        pmp_error err;

        it_fail(c->op, c->request, PMP_E_INVALID_REQUEST, &err);
        if (!strstr(err.message, c->names)) {
            fprintf(stderr, "\n    %s %s: message '%s' does not name '%s'\n", c->op, c->request,
                    err.message, c->names);
            CU_FAIL("message does not name the field");
        }
        CU_ASSERT_EQUAL(err.retryable, 0);
    }
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
}

static void wrong_abi_use(void)
{
    pmp_result *res = (pmp_result *)1;
    pmp_error err;
    int64_t since = it_seq();

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    CU_ASSERT_EQUAL(it.api->authorize(NULL, "{}", 2, &res, &err), PMP_E_INVALID_ARG);
    CU_ASSERT_PTR_NULL(res);
    CU_ASSERT_EQUAL(it.api->status(it.ctx, "{}", 2, NULL, &err), PMP_E_INVALID_ARG);
    /* a NULL error struct is allowed */
    CU_ASSERT_EQUAL(it.api->status(it.ctx, "{", 1, &res, NULL), PMP_E_INVALID_REQUEST);
    /* an error struct from an older, smaller host is left alone */
    err.struct_size = 4;
    err.code = 12345;
    CU_ASSERT_EQUAL(it.api->status(it.ctx, "{", 1, &res, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(err.code, 12345);
    CU_ASSERT_EQUAL(it.api->notify(it.ctx, "a=b", 3, NULL, 0, &res, NULL), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(it_count(since, NULL, NULL), 0);
}

static const test_case cases[] = {
    {"bad input is refused, named, and nothing is sent", bad_input_sends_nothing},
    {"wrong ABI use", wrong_abi_use},
    {NULL, NULL},
};

const test_suite it_suite_input = {"input", cases, NULL, NULL};
