/* Unit tests of request validation: every bad input names its member. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "gw_req.h"
#include "unit_suites.h"

static json_object *parse(const char *text, int32_t expect, pmp_error *err)
{
    json_object *o = NULL;

    memset(err, 0, sizeof(*err));
    err->struct_size = sizeof(*err);
    CU_ASSERT_EQUAL(gw_req_parse(text, strlen(text), &o, err), expect);
    return o;
}

static void malformed_json(void)
{
    pmp_error err;

    CU_ASSERT_PTR_NULL(parse("{\"a\":", PMP_E_INVALID_REQUEST, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "malformed JSON"));
    CU_ASSERT_PTR_NULL(parse("[1,2]", PMP_E_INVALID_REQUEST, &err));
    CU_ASSERT_PTR_NULL(parse("{} x", PMP_E_INVALID_REQUEST, &err));
    CU_ASSERT_PTR_NULL(parse("{\"a\":'x'}", PMP_E_INVALID_REQUEST, &err));
    CU_ASSERT_PTR_NULL(parse("{\"a\":\"\xff\"}", PMP_E_INVALID_REQUEST, &err));
    json_object_put(parse("  ", PMP_OK, &err));
}

static void integers_only(void)
{
    pmp_error err;
    json_object *o = parse("{\"a\":1.5,\"b\":\"100\",\"c\":100,\"d\":-1,\"e\":1e3,"
                           "\"f\":99999999999999999999}",
                           PMP_OK, &err);
    int64_t v = 0;
    int present = 0;

    CU_ASSERT_EQUAL(gw_req_int(o, "a", 1, 1, 100, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "a: must be an integer"));
    CU_ASSERT_EQUAL(gw_req_int(o, "b", 1, 1, 100, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(gw_req_int(o, "c", 1, 1, 100, &v, &present, &err), PMP_OK);
    CU_ASSERT_EQUAL(v, 100);
    CU_ASSERT_TRUE(present);
    CU_ASSERT_EQUAL(gw_req_int(o, "c", 1, 1, 99, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "c: must be between 1 and 99");
    CU_ASSERT_EQUAL(gw_req_int(o, "d", 1, 0, 99, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(gw_req_int(o, "e", 1, 0, 9999, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(gw_req_int(o, "f", 1, 0, 9999, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(gw_req_int(o, "missing", 1, 0, 9, &v, &present, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "missing: is required");
    CU_ASSERT_EQUAL(gw_req_int(o, "missing", 0, 0, 9, &v, &present, &err), PMP_OK);
    CU_ASSERT_FALSE(present);
    json_object_put(o);
}

static void order_id_rules(void)
{
    pmp_error err;
    json_object *o = parse("{\"ok\":\"ORD-2026-0001\",\"long\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ01\","
                           "\"under\":\"ORD_1\",\"kanji\":\"注文1\",\"num\":5}",
                           PMP_OK, &err);
    const char *s;

    CU_ASSERT_EQUAL(gw_req_ascii(o, "ok", 1, "x", gw_char_order_id, 27, &s, &err), PMP_OK);
    CU_ASSERT_EQUAL(gw_req_ascii(o, "long", 1, "x", gw_char_order_id, 27, &s, &err),
                    PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "long: too long (28 characters, at most 27)");
    CU_ASSERT_EQUAL(
        gw_req_ascii(o, "under", 1, "A-Z a-z 0-9 - only", gw_char_order_id, 27, &s, &err),
        PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "under: character at position 4 is not allowed (A-Z a-z 0-9 - only)");
    CU_ASSERT_EQUAL(gw_req_ascii(o, "kanji", 1, "x", gw_char_order_id, 27, &s, &err),
                    PMP_E_INVALID_REQUEST);
    CU_ASSERT_EQUAL(gw_req_ascii(o, "num", 1, "x", gw_char_order_id, 27, &s, &err),
                    PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "num: must be a string");
    json_object_put(o);
}

static void text_must_fit_windows31j(void)
{
    pmp_error err;
    json_object *o =
        parse("{\"name\":\"株式会社😀\",\"ok\":\"①髙ｶﾅ\",\"big\":\"ああああああ\"}", PMP_OK, &err);
    const char *s;
    size_t n;

    CU_ASSERT_EQUAL(gw_req_text(o, "name", 1, 100, &s, &n, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message,
                           "name: character U+1F600 at byte 12 cannot be represented in "
                           "Windows-31J");
    CU_ASSERT_EQUAL(gw_req_text(o, "ok", 1, 100, &s, &n, &err), PMP_OK);
    CU_ASSERT_EQUAL(gw_req_text(o, "big", 1, 10, &s, &n, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "big: too long (12 bytes in Windows-31J, at most 10)");
    json_object_put(o);
}

static void unknown_members(void)
{
    static const char *const allowed[] = {"order_id", NULL};
    pmp_error err;
    json_object *o = parse("{\"order_id\":\"A\",\"ammount\":1}", PMP_OK, &err);

    CU_ASSERT_EQUAL(gw_req_allowed(o, allowed, &err), PMP_E_INVALID_REQUEST);
    CU_ASSERT_STRING_EQUAL(err.message, "ammount: unknown member for this operation");
    json_object_put(o);
}

static const test_case request_cases[] = {
    {"malformed JSON", malformed_json},
    {"amounts are JSON integers in range", integers_only},
    {"order ID length and characters", order_id_rules},
    {"text must fit Windows-31J and byte limits", text_must_fit_windows31j},
    {"unknown members are refused", unknown_members},
    {NULL, NULL},
};

const test_suite unit_suite_request = {"request", request_cases, NULL, NULL};
