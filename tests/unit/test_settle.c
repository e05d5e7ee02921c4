/* Unit tests of the settlement forecast (docs/protocol.md section 8) and of
 * the notification form parser. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "gw_resp.h"
#include "paid_internal.h"
#include "unit_suites.h"

static const paid_settlement month_end = {0, 1, 2, 5};
static const paid_settlement day20 = {20, 1, 2, 5};

static void expect(const paid_settlement *s, int y, int m, int d, const char *from, const char *to,
                   const char *issue, const char *due, const char *deposit)
{
    json_object *o = paid_settlement_json(s, y, m, d, "fixed_at"), *v;

#define CHECK(key, want)                                                                           \
    CU_ASSERT_TRUE(json_object_object_get_ex(o, key, &v));                                         \
    if (strcmp(json_object_get_string(v), want))                                                   \
        fprintf(stderr, "\n    %04d-%02d-%02d %s: %s, want %s\n", y, m, d, key,                    \
                json_object_get_string(v), want);                                                  \
    CU_ASSERT_STRING_EQUAL(json_object_get_string(v), want)
    CHECK("period_from", from);
    CHECK("period_to", to);
    CHECK("invoice_issue_date", issue);
    CHECK("invoice_due_date", due);
    CHECK("expected_deposit_date", deposit);
#undef CHECK
    json_object_put(o);
}

static void month_end_closing(void)
{
    /* December sales: invoice Jan 1, due Jan 31, deposit Feb 5 2027 (a Friday) */
    expect(&month_end, 2026, 12, 3, "2026-12-01", "2026-12-31", "2027-01-01", "2027-01-31",
           "2027-02-05");
    /* February of a leap year */
    expect(&month_end, 2028, 2, 29, "2028-02-01", "2028-02-29", "2028-03-01", "2028-03-31",
           "2028-04-05");
    /* deposit on a Saturday moves to Monday: 2027-06-05 is a Saturday */
    expect(&month_end, 2027, 4, 10, "2027-04-01", "2027-04-30", "2027-05-01", "2027-05-31",
           "2027-06-07");
    /* deposit on a Sunday moves to Monday: 2026-12-05 is a Saturday, 2027-09-05 a Sunday */
    expect(&month_end, 2027, 7, 31, "2027-07-01", "2027-07-31", "2027-08-01", "2027-08-31",
           "2027-09-06");
}

static void twentieth_closing(void)
{
    /* on the 20th: this month's period */
    expect(&day20, 2026, 12, 20, "2026-11-21", "2026-12-20", "2026-12-21", "2027-01-31",
           "2027-02-05");
    /* after the 20th: next month's period, across the year */
    expect(&day20, 2026, 12, 21, "2026-12-21", "2027-01-20", "2027-01-21", "2027-02-28",
           "2027-03-05");
}

static void form_parser(void)
{
    /* テスト in Windows-31J, percent-encoded, and '+' as a space */
    const char *body = "ShopID=tshop01&Name=%83e%83X%83g+A&Empty=&ErrCode=E00&ErrInfo=E00000000";
    gw_resp r;

    CU_ASSERT_EQUAL(gw_resp_parse_form(&gw_mem_libc, body, strlen(body), &r), GW_RESP_OK);
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "Name"), "テスト A");
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "Empty"), "");
    CU_ASSERT_TRUE(gw_resp_error_has_prefix(&r, "E00000000"));
    gw_resp_release(&r);
    CU_ASSERT_EQUAL(gw_resp_parse_form(&gw_mem_libc, "A=%4", 4, &r), GW_RESP_MALFORMED);
    gw_resp_release(&r);
    CU_ASSERT_EQUAL(gw_resp_parse_form(&gw_mem_libc, "A=%83", 5, &r), GW_RESP_ENCODING);
    gw_resp_release(&r);
    CU_ASSERT_EQUAL(gw_resp_parse_form(&gw_mem_libc, "A%3D=1", 6, &r), GW_RESP_MALFORMED);
    gw_resp_release(&r);
    CU_ASSERT_EQUAL(gw_resp_parse_form(&gw_mem_libc, "&&", 2, &r), GW_RESP_MALFORMED);
    gw_resp_release(&r);
}

static const test_case settle_cases[] = {
    {"month-end closing, leap year, weekend deposits", month_end_closing},
    {"closing on the 20th", twentieth_closing},
    {"notification form parser", form_parser},
    {NULL, NULL},
};

const test_suite unit_suite_settle = {"settle", settle_cases, NULL, NULL};
