/* Black-box tests of paid-sandbox: start the real binary, talk HTTPS to it
 * with libcurl verifying its generated CA, and check docs/protocol.md.
 *
 * Usage: test_sandbox [PATH-TO-paid-sandbox]   (or env PAID_SANDBOX_BIN) */
/* nftw() is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <iconv.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "tsb.h"

/* ---- tests -------------------------------------------------------------------------- */

static void test_happy_path(void)
{
    char buyer[32];
    unique_id(buyer, sizeof buyer, "B");
    CU_ASSERT_EQUAL_FATAL(save_buyer(buyer, "buyer"), 0);
    char *st = buyer_status(buyer);
    CU_ASSERT_STRING_EQUAL(st, "AVAILABLE");
    free(st);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000);

    order o;
    CU_ASSERT_EQUAL_FATAL(entry(&o, 10000, 1000), 0);
    char *r = search(&o);
    CHECK_FIELD(r, "Status", "UNPROCESSED");
    CHECK_FIELD(r, "JobCd", "");
    free(r);

    r = callf("ExecTranPaid",
              SHOP "&AccessID=%s&AccessPass=%s&OrderID=%s&PaidBuyerID=%s&ClientField1=c1"
                   "&ClientField2=c2&ClientField3=c3&ClientFieldFlag=1&Contents=items",
              o.access_id, o.access_pass, o.id, buyer);
    CHECK_FIELD(r, "OrderID", o.id);
    CHECK_FIELD(r, "Status", "AUTH");
    CHECK_FIELD(r, "ClientField1", "c1");
    CHECK_FIELD(r, "ClientField3", "c3");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000 - 11000);

    /* Increase while AUTH: checked against the line and moved. */
    r = order_op("PaidChange", &o, "&Amount=20000&Tax=2000");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000 - 22000);

    r = order_op("PaidSales", &o, "&FixedAt=20261210");
    CHECK_FIELD(r, "Status", "SALES");
    free(r);

    /* Partial return after the sale: only a decrease. */
    r = order_op("PaidChange", &o, "&Amount=15000&Tax=1500");
    CHECK_FIELD(r, "Status", "SALES");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000 - 16500);

    r = search(&o);
    CHECK_FIELD(r, "JobCd", "CHANGE");
    CHECK_FIELD(r, "Amount", "15000");
    free(r);

    r = order_op("PaidReturn", &o, NULL);
    CHECK_FIELD(r, "Status", "RETURN");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000);

    r = search(&o);
    CHECK_FIELD(r, "OrderID", o.id);
    CHECK_FIELD(r, "Status", "RETURN");
    CHECK_FIELD(r, "JobCd", "RETURN");
    CHECK_FIELD(r, "AccessID", o.access_id);
    CHECK_FIELD(r, "AccessPass", o.access_pass);
    CHECK_FIELD(r, "Amount", "15000");
    CHECK_FIELD(r, "Tax", "1500");
    CHECK_FIELD(r, "ClientField1", "c1");
    CHECK_FIELD(r, "ClientField2", "c2");
    CHECK_FIELD(r, "PayType", "29");
    CHECK_FIELD(r, "PaidCancelAmount", "15000");
    CHECK_FIELD(r, "PaidCancelTax", "1500");
    CHECK_FIELD(r, "PaidBuyerID", buyer);
    CHECK_FIELD(r, "PaidContents", "items");
    char *code = field(r, "PaidCode");
    CU_ASSERT(code != NULL && strlen(code) == 12 && strncmp(code, "PC", 2) == 0);
    free(code);
    char *date = field(r, "ProcessDate");
    CU_ASSERT(date != NULL && strlen(date) == 14 && strspn(date, "0123456789") == 14);
    free(date);
    free(r);

    /* Second order: cancel before the sale. */
    order o2;
    CU_ASSERT_EQUAL_FATAL(entry(&o2, 5000, 0), 0);
    r = exec_order(&o2, buyer, "");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000 - 5000);
    r = order_op("PaidCancel", &o2, NULL);
    CHECK_FIELD(r, "Status", "CANCEL");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 1000000);
    r = search(&o2);
    CHECK_FIELD(r, "Status", "CANCEL");
    CHECK_FIELD(r, "JobCd", "CANCEL");
    CHECK_FIELD(r, "PaidCancelAmount", "5000");
    CHECK_FIELD(r, "PaidCancelTax", "0");
    free(r);

    /* The admin record carries what the tests need. */
    char path[128];
    (void)snprintf(path, sizeof path, "/_sandbox/transactions/%s", o.id);
    json_object *t = admin("GET", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(t, "access_pass"), o.access_pass);
    CU_ASSERT_STRING_EQUAL(jstr(t, "status"), "RETURN");
    CU_ASSERT_STRING_EQUAL(jstr(t, "buyer_id"), buyer);
    CU_ASSERT_STRING_EQUAL(jstr(t, "fixed_at"), "20261210");
    CU_ASSERT_EQUAL(jint(t, "cancel_amount"), 15000);
    json_object_put(t);

    /* SavePaidBuyer again updates the data and keeps PaidID and screening. */
    char *first = callf("CheckPaidBuyer", SHOP "&PaidBuyerID=%s", buyer);
    free(first);
    CU_ASSERT_EQUAL(save_buyer(buyer, "reject-now-but-ignored"), 0);
    st = buyer_status(buyer);
    CU_ASSERT_STRING_EQUAL(st, "AVAILABLE");
    free(st);
}

/* "株式会社テスト" and "注文①～" in Windows-31J. */
static const char sjis_company_pct[] = "%8A%94%8E%AE%89%EF%8E%D0%83e%83X%83g";
static const char sjis_contents_pct[] = "%92%8D%95%B6%87%40%81%60";
static const unsigned char sjis_contents_raw[] = {0x92, 0x8D, 0x95, 0xB6, 0x87,
                                                  0x40, 0x81, 0x60, 0x00};

static void test_sjis_round_trip(void)
{
    char buyer[32];
    unique_id(buyer, sizeof buyer, "J");
    char *r = callf("SavePaidBuyer",
                    SHOP "&PaidBuyerID=%s&CompanyName=%s&CompanyNameKana=%s&ZipCode=1000001"
                         "&Prefecture=%%93%%8C%%8B%%9E%%93s&Address1=a&Address2=b"
                         "&Tel=0312345678&Email=x%%40example.com",
                    buyer, sjis_company_pct, sjis_company_pct);
    CU_ASSERT_PTR_NULL(strstr(r, "ErrCode"));
    free(r);

    char path[128];
    (void)snprintf(path, sizeof path, "/_sandbox/buyers/%s", buyer);
    json_object *b = admin("GET", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(b, "company_name"), "株式会社テスト");
    json_object *data = NULL;
    CU_ASSERT(json_object_object_get_ex(b, "data", &data));
    CU_ASSERT_STRING_EQUAL(jstr(data, "Prefecture"), "東京都");
    json_object_put(b);

    order o;
    CU_ASSERT_EQUAL_FATAL(entry(&o, 1000, 0), 0);
    r = exec_order(&o, buyer, sjis_contents_pct);
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);

    /* Raw Windows-31J bytes come back, not percent-encoded. */
    r = search(&o);
    CHECK_FIELD(r, "PaidContents", (const char *)sjis_contents_raw);
    free(r);

    (void)snprintf(path, sizeof path, "/_sandbox/transactions/%s", o.id);
    json_object *t = admin("GET", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(t, "contents"), "注文①～");
    json_object_put(t);

    /* Bytes that are not Windows-31J are a field error. */
    r = callf("SavePaidBuyer",
              SHOP "&PaidBuyerID=%s&CompanyName=%%82&CompanyNameKana=k&ZipCode=1000001"
                   "&Prefecture=p&Address1=a&Address2=b&Tel=0312345678&Email=x%%40example.com",
              buyer);
    check_errors(r, "M01", "M01201013");
    free(r);
}

static void test_validation_lists(void)
{
    char *r = call("EntryTranPaid", "ShopID=&ShopPass=bad!&OrderID=0123456789012345678901234567"
                                    "&Amount=12a&Tax=10000001");
    check_errors(r, "E01|E01|E01|E01|E01", "E01010001|E01020008|E01040003|E01060006|E01070011");
    free(r);

    r = call("EntryTranPaid", SHOP "&OrderID=bad_id&Amount=0&Tax=");
    check_errors(r, "E01|E01", "E01040013|E01060011");
    free(r);

    r = call("EntryTranPaid", "ShopID=waytoolongshopid1&ShopPass=&OrderID=&Amount=");
    check_errors(r, "E01|E01|E01|E01", "E01010008|E01020001|E01040001|E01060001");
    free(r);

    r = call("SavePaidBuyer", SHOP "&PaidBuyerID=ok&CompanyName=c&ZipCode=12-345&Tel=12"
                                   "&Email=nobody&Fax=abc");
    check_errors(r, "M01|M01|M01|M01|M01|M01|M01|M01",
                 "M01202001|M01203008|M01204001|M01205001|M01206001|M01207008|M01221008|"
                 "M01208008");
    free(r);

    r = call("ExecTranPaid", SHOP "&AccessID=&AccessPass=xyz&OrderID=A1&PaidBuyerID="
                                  "&ClientFieldFlag=2&ClientField1=a%26b");
    check_errors(r, "E01|E01|M01|E01|E01", "E01050001|E01050002|M01200001|E01320013|E01400007");
    free(r);

    r = call("PaidSales", SHOP "&AccessID=00000000000000000000000000000000"
                               "&AccessPass=00000000000000000000000000000000&OrderID=A1"
                               "&FixedAt=20260230");
    check_errors(r, "M01", "M01210008");
    free(r);

    r = call("SearchTradeMulti", SHOP "&OrderID=A1&PayType=0");
    check_errors(r, "M01", "M01250007");
    free(r);

    /* Shop credentials are checked after the syntax. */
    r = call("CheckPaidBuyer", "ShopID=tshop00000001&ShopPass=wrongpass&PaidBuyerID=x");
    check_errors(r, "E01", "E01010010");
    free(r);
    r = call("CheckPaidBuyer", "ShopID=unknownshop&ShopPass=sbxpass01&PaidBuyerID=x");
    check_errors(r, "E01", "E01010010");
    free(r);

    /* A malformed percent escape makes the body unreadable. */
    r = call("CheckPaidBuyer", SHOP "&PaidBuyerID=%zz");
    check_errors(r, "E00", "E00000010");
    free(r);
}

static void test_duplicate_order(void)
{
    order o;
    CU_ASSERT_EQUAL_FATAL(entry(&o, 100, 0), 0);
    char *r = callf("EntryTranPaid", SHOP "&OrderID=%s&Amount=100&Tax=0", o.id);
    check_errors(r, "E01", "E01040010");
    free(r);
}

static void test_credit_line(void)
{
    char buyer[32];
    unique_id(buyer, sizeof buyer, "S");
    CU_ASSERT_EQUAL_FATAL(save_buyer(buyer, "small"), 0);
    CU_ASSERT_EQUAL(rest_amount(buyer), 300000);

    order a, b;
    CU_ASSERT_EQUAL_FATAL(entry(&a, 200000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(entry(&b, 100000, 1), 0);
    char *r = exec_order(&a, buyer, "");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    r = exec_order(&b, buyer, "");
    check_errors(r, "P01", "P01020001");
    free(r);
    r = search(&b);
    CHECK_FIELD(r, "Status", "UNPROCESSED");
    free(r);
    /* PaidChange increase over the line is declined too. */
    r = order_op("PaidChange", &a, "&Amount=300001&Tax=0");
    check_errors(r, "P01", "P01020001");
    free(r);

    /* Releasing the line lets the declined order go through unchanged. */
    r = order_op("PaidCancel", &a, NULL);
    CHECK_FIELD(r, "Status", "CANCEL");
    free(r);
    r = exec_order(&b, buyer, "");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(buyer), 300000 - 100001);

    /* line<N>, clamped to 300,000-10,000,000. */
    unique_id(buyer, sizeof buyer, "L");
    CU_ASSERT_EQUAL(save_buyer(buyer, "line5000000"), 0);
    CU_ASSERT_EQUAL(rest_amount(buyer), 5000000);
    unique_id(buyer, sizeof buyer, "L");
    CU_ASSERT_EQUAL(save_buyer(buyer, "line1"), 0);
    CU_ASSERT_EQUAL(rest_amount(buyer), 300000);
    unique_id(buyer, sizeof buyer, "L");
    CU_ASSERT_EQUAL(save_buyer(buyer, "line99999999999999999999"), 0);
    CU_ASSERT_EQUAL(rest_amount(buyer), 10000000);
}

static void test_screening_values(void)
{
    char rej[32], rev[32], orv[32];
    unique_id(rej, sizeof rej, "R");
    unique_id(rev, sizeof rev, "V");
    unique_id(orv, sizeof orv, "O");
    CU_ASSERT_EQUAL_FATAL(save_buyer(rej, "reject"), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer(rev, "review"), 0);
    CU_ASSERT_EQUAL_FATAL(save_buyer(orv, "orderreview"), 0);

    char *st = buyer_status(rej);
    CU_ASSERT_STRING_EQUAL(st, "UNAVAILABLE");
    free(st);
    st = buyer_status(rev);
    CU_ASSERT_STRING_EQUAL(st, "EXAMINATION");
    free(st);
    st = buyer_status(orv);
    CU_ASSERT_STRING_EQUAL(st, "AVAILABLE");
    free(st);
    CU_ASSERT_EQUAL(rest_amount(rej), 0);
    CU_ASSERT_EQUAL(rest_amount(rev), 0);

    order o1, o2, o3, o4;
    CU_ASSERT_EQUAL_FATAL(entry(&o1, 1000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(entry(&o2, 1000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(entry(&o3, 1000, 0), 0);
    CU_ASSERT_EQUAL_FATAL(entry(&o4, 1009, 0), 0);
    char *r = exec_order(&o1, rej, "");
    check_errors(r, "P01", "P01010003");
    free(r);
    r = exec_order(&o2, rev, "");
    check_errors(r, "P01", "P01010002");
    free(r);
    r = exec_order(&o3, orv, "");
    CHECK_FIELD(r, "Status", "AUTHPROCESS");
    free(r);
    r = exec_order(&o4, orv, "");
    CHECK_FIELD(r, "Status", "AUTHPROCESS");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(orv), 1000000 - 2009);

    /* Not yet a day: nothing changes. */
    advance("hours=23");
    st = buyer_status(rev);
    CU_ASSERT_STRING_EQUAL(st, "EXAMINATION");
    free(st);

    json_object *adv = admin("POST", "/_sandbox/clock/advance?hours=1&seconds=1", 200);
    json_object *events = NULL;
    CU_ASSERT(json_object_object_get_ex(adv, "events", &events));
    /* Other tests' events may be due too; ours must be among them. */
    bool saw_screening = false, saw_payfail = false;
    for (size_t i = 0; events != NULL && i < json_object_array_length(events); i++) {
        json_object *e = json_object_array_get_idx(events, i);
        if (strcmp(jstr(e, "ref"), rev) == 0 && strcmp(jstr(e, "result"), "AVAILABLE") == 0)
            saw_screening = true;
        if (strcmp(jstr(e, "ref"), o4.id) == 0 && strcmp(jstr(e, "result"), "PAYFAIL") == 0)
            saw_payfail = true;
    }
    CU_ASSERT(saw_screening);
    CU_ASSERT(saw_payfail);
    json_object_put(adv);

    st = buyer_status(rev);
    CU_ASSERT_STRING_EQUAL(st, "AVAILABLE");
    free(st);
    CU_ASSERT_EQUAL(rest_amount(rev), 1000000);
    r = exec_order(&o2, rev, "");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);

    r = search(&o3);
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    r = search(&o4);
    CHECK_FIELD(r, "Status", "PAYFAIL");
    free(r);
    CU_ASSERT_EQUAL(rest_amount(orv), 1000000 - 1000);
}

static void test_state_errors(void)
{
    char buyer[32];
    unique_id(buyer, sizeof buyer, "T");
    CU_ASSERT_EQUAL_FATAL(save_buyer(buyer, "state"), 0);
    order o;
    CU_ASSERT_EQUAL_FATAL(entry(&o, 1000, 0), 0);

    char *r = order_op("PaidSales", &o, NULL);  /* UNPROCESSED */
    check_errors(r, "M01", "M01054004");
    free(r);
    r = order_op("PaidCancel", &o, NULL);
    check_errors(r, "M01", "M01054004");
    free(r);

    r = exec_order(&o, buyer, "");
    CHECK_FIELD(r, "Status", "AUTH");
    free(r);
    r = exec_order(&o, buyer, "");  /* not UNPROCESSED any more */
    check_errors(r, "M01", "M01054004");
    free(r);
    r = order_op("PaidReturn", &o, NULL);  /* AUTH */
    check_errors(r, "M01", "M01054004");
    free(r);

    r = order_op("PaidSales", &o, NULL);
    CHECK_FIELD(r, "Status", "SALES");
    free(r);
    r = order_op("PaidCancel", &o, NULL);  /* SALES */
    check_errors(r, "M01", "M01054004");
    free(r);
    r = order_op("PaidChange", &o, "&Amount=1001&Tax=0");  /* increase after sale */
    check_errors(r, "M01", "M01054004");
    free(r);

    /* Keys and existence. */
    order wrong = o;
    wrong.access_pass[0] = wrong.access_pass[0] == 'a' ? 'b' : 'a';
    r = order_op("PaidSales", &wrong, NULL);
    check_errors(r, "E01", "E01050002");
    free(r);
    order missing = o;
    (void)snprintf(missing.id, sizeof missing.id, "NO-SUCH-ORDER-%ld", (long)getpid());
    r = order_op("PaidSales", &missing, NULL);
    check_errors(r, "M01", "M01058002");
    free(r);
    r = search(&missing);
    check_errors(r, "M01", "M01058002");
    free(r);
    r = callf("CheckPaidBuyer", SHOP "&PaidBuyerID=nobody-%ld", (long)getpid());
    check_errors(r, "M01", "M01200002");
    free(r);

    order o2;
    CU_ASSERT_EQUAL_FATAL(entry(&o2, 1000, 0), 0);
    r = exec_order(&o2, "unknown-buyer", "");
    check_errors(r, "M01", "M01200002");
    free(r);

    /* A suspended buyer (operator action) is declined. */
    char path[128];
    (void)snprintf(path, sizeof path, "/_sandbox/buyers/%s/status?value=SUSPENDED", buyer);
    json_object *b = admin("POST", path, 200);
    CU_ASSERT_STRING_EQUAL(jstr(b, "status"), "SUSPENDED");
    json_object_put(b);
    r = exec_order(&o2, buyer, "");
    check_errors(r, "P01", "P01010003");
    free(r);
}

static void test_transport_errors(void)
{
    char url[512];
    (void)snprintf(url, sizeof url, "%sEntryTranPaid.idPass", g_sb.url);
    http_result r = http(g_curl, &g_sb, "GET", url, NULL, NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "ErrCode=E00&ErrInfo=E00000001");
    http_result_free(&r);

    r = http(g_curl, &g_sb, "POST", url, SHOP "&OrderID=x&Amount=1", "text/plain");
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "ErrCode=E00&ErrInfo=E00000003");
    http_result_free(&r);

    /* A charset parameter is fine. */
    r = http(g_curl, &g_sb, "POST", url, "ShopID=", "application/x-www-form-urlencoded; charset=Windows-31J");
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "E01010001"));
    CU_ASSERT_STRING_EQUAL(r.content_type, "text/plain;charset=Windows-31J");
    http_result_free(&r);

    (void)snprintf(url, sizeof url, "%sNoSuchOperation.idPass", g_sb.url);
    r = http(g_curl, &g_sb, "POST", url, SHOP, NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_STRING_EQUAL(r.body, "ErrCode=E91&ErrInfo=E91099997");
    http_result_free(&r);

    (void)snprintf(url, sizeof url, "%s/elsewhere", g_sb.base);
    r = http(g_curl, &g_sb, "POST", url, SHOP, NULL);
    CU_ASSERT_STRING_EQUAL(r.body, "ErrCode=E91&ErrInfo=E91099997");
    http_result_free(&r);
}

static void test_admin_api(void)
{
    json_object *o = admin("GET", "/_sandbox/health", 200);
    json_object *ok = NULL;
    CU_ASSERT(json_object_object_get_ex(o, "ok", &ok) && json_object_get_boolean(ok));
    json_object_put(o);

    o = admin("GET", "/_sandbox/clock", 200);
    const char *now = jstr(o, "now");
    CU_ASSERT_EQUAL(strlen(now), 19);
    CU_ASSERT(now[10] == 'T');
    json_object_put(o);

    o = admin("GET", "/_sandbox/transactions/none-such", 404);
    json_object_put(o);
    o = admin("GET", "/_sandbox/buyers/none-such", 404);
    json_object_put(o);
    o = admin("GET", "/_sandbox/nothing", 404);
    json_object_put(o);
    o = admin("GET", "/_sandbox/clock/advance?days=1", 405);
    json_object_put(o);
    o = admin("POST", "/_sandbox/clock/advance?days=-1", 400);
    json_object_put(o);

    char url[512];
    (void)snprintf(url, sizeof url, "%s/", g_sb.base);
    http_result r = http(g_curl, &g_sb, "GET", url, NULL, NULL);
    CU_ASSERT_EQUAL(r.status, 200);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.body, "<table"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.content_type, "text/html"));
    http_result_free(&r);
}

static void test_request_log(void)
{
    /* since beyond the end: nothing, and last_seq tells where the end is. */
    json_object *o = admin("GET", "/_sandbox/requests?since=100000000", 200);
    json_object *reqs = NULL;
    CU_ASSERT(json_object_object_get_ex(o, "requests", &reqs));
    CU_ASSERT_EQUAL(json_object_array_length(reqs), 0);
    int64_t end = jint(o, "last_seq");
    json_object_put(o);
    CU_ASSERT(end >= 1);

    /* Two more requests, read back exactly. */
    order od;
    CU_ASSERT_EQUAL_FATAL(entry(&od, 777, 0), 0);
    char *r = callf("ExecTranPaid", SHOP "&AccessID=%s&AccessPass=%s&OrderID=%s&PaidBuyerID=nobody",
                    od.access_id, od.access_pass, od.id);
    free(r);

    char path[128];
    (void)snprintf(path, sizeof path, "/_sandbox/requests?since=%lld", (long long)end);
    o = admin("GET", path, 200);
    CU_ASSERT(json_object_object_get_ex(o, "requests", &reqs));
    CU_ASSERT_EQUAL_FATAL(json_object_array_length(reqs), 2);
    json_object *e1 = json_object_array_get_idx(reqs, 0);
    json_object *e2 = json_object_array_get_idx(reqs, 1);
    CU_ASSERT_EQUAL(jint(e1, "seq"), end + 1);
    CU_ASSERT_STRING_EQUAL(jstr(e1, "op"), "EntryTranPaid");
    CU_ASSERT_STRING_EQUAL(jstr(e1, "order_id"), od.id);
    CU_ASSERT_STRING_EQUAL(jstr(e1, "err_info"), "");
    CU_ASSERT_EQUAL(jint(e1, "http_status"), 200);
    CU_ASSERT_EQUAL(strlen(jstr(e1, "time")), 19);
    CU_ASSERT_STRING_EQUAL(jstr(e2, "op"), "ExecTranPaid");
    CU_ASSERT_STRING_EQUAL(jstr(e2, "buyer_id"), "nobody");
    CU_ASSERT_STRING_EQUAL(jstr(e2, "err_info"), "M01200002");
    CU_ASSERT_EQUAL(jint(o, "last_seq"), end + 2);
    json_object_put(o);

    /* limit pages through the log. */
    o = admin("GET", "/_sandbox/requests?since=0&limit=1", 200);
    CU_ASSERT(json_object_object_get_ex(o, "requests", &reqs));
    CU_ASSERT_EQUAL(json_object_array_length(reqs), 1);
    CU_ASSERT_EQUAL(jint(o, "last_seq"), 1);
    json_object_put(o);

/* No password anywhere in the whole log. */
    char url[512];
    http_result all;
    (void)snprintf(url, sizeof url, "%s/_sandbox/requests?since=0&limit=10000", g_sb.base);
    all = http(g_curl, &g_sb, "GET", url, NULL, NULL);
    CU_ASSERT_PTR_NULL(strstr(all.body, SHOP_PASS));
    CU_ASSERT_PTR_NULL(strstr(all.body, "ShopPass"));
    CU_ASSERT_PTR_NULL(strstr(all.body, "AccessPass"));
    CU_ASSERT(g_npasses > 10);
    for (size_t i = 0; i < g_npasses; i++)
        CU_ASSERT_PTR_NULL(strstr(all.body, g_passes[i]));
    http_result_free(&all);
}

/* Several clients at once, each on its own keep-alive connection. */
typedef struct worker {
    int index;
    int ok;
    int failed;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    CURL *c = curl_easy_init();
    if (c == NULL)
        return NULL;
    char url[512];
    (void)snprintf(url, sizeof url, "%sEntryTranPaid.idPass", g_sb.url);
    for (int i = 0; i < 25; i++) {
        char body[256];
        (void)snprintf(body, sizeof body, SHOP "&OrderID=CONC-%ld-%d-%d&Amount=10&Tax=0",
                       (long)getpid(), w->index, i);
        http_result r = http(c, &g_sb, "POST", url, body, NULL);
        if (r.status == 200 && strncmp(r.body, "AccessID=", 9) == 0)
            w->ok++;
        else
            w->failed++;
        http_result_free(&r);
    }
    curl_easy_cleanup(c);
    return NULL;
}

static void test_concurrent_clients(void)
{
    enum { N = 12 };
    pthread_t th[N];
    worker w[N];
    memset(w, 0, sizeof w);
    int started = 0;
    for (int i = 0; i < N; i++)
        w[i].index = i;
    for (int i = 0; i < N; i++)
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) == 0)
            started++;
        else
            break;
    for (int i = 0; i < started; i++)
        (void)pthread_join(th[i], NULL);
    int ok = 0, failed = 0;
    for (int i = 0; i < started; i++) {
        ok += w[i].ok;
        failed += w[i].failed;
    }
    CU_ASSERT_EQUAL(started, N);
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_EQUAL(ok, N * 25);
}

static void test_restart_keeps_state(void)
{
    char db[PATH_MAX];
    fmt(db, sizeof db, "%s/restart.db", g_tmp);
    sandbox first;
    CU_ASSERT_EQUAL_FATAL(sandbox_start(&first, "restart", db), 0);
    sandbox saved = g_sb;
    g_sb = first;

    char buyer[32];
    unique_id(buyer, sizeof buyer, "P");
    CU_ASSERT_EQUAL(save_buyer(buyer, "review"), 0);
    order o;
    CU_ASSERT_EQUAL(entry(&o, 4321, 0), 0);
    advance("hours=5");
    char ca_before[4096] = "";
    FILE *f = fopen(first.ca, "r");
    if (f != NULL) {
        size_t n = fread(ca_before, 1, sizeof ca_before - 1, f);
        ca_before[n] = '\0';
        (void)fclose(f);
    }
    CU_ASSERT_EQUAL(sandbox_stop(&first), 0);

    sandbox second;
    CU_ASSERT_EQUAL_FATAL(sandbox_start(&second, "restart", db), 0);
    g_sb = second;
    char *r = search(&o);
    CHECK_FIELD(r, "Status", "UNPROCESSED");
    CHECK_FIELD(r, "AccessID", o.access_id);
    free(r);
    char *st = buyer_status(buyer);
    CU_ASSERT_STRING_EQUAL(st, "EXAMINATION");
    free(st);
    /* The clock offset survived too: 19 more hours complete the day. */
    json_object *c = admin("GET", "/_sandbox/clock", 200);
    CU_ASSERT(jint(c, "offset_seconds") >= 5 * 3600);
    json_object_put(c);
    advance("hours=19");
    st = buyer_status(buyer);
    CU_ASSERT_STRING_EQUAL(st, "AVAILABLE");
    free(st);

    /* Certificates are reused while valid. */
    char ca_after[4096] = "";
    f = fopen(second.ca, "r");
    if (f != NULL) {
        size_t n = fread(ca_after, 1, sizeof ca_after - 1, f);
        ca_after[n] = '\0';
        (void)fclose(f);
    }
    CU_ASSERT(ca_before[0] != '\0');
    CU_ASSERT_STRING_EQUAL(ca_before, ca_after);

    /* A reset wipes it all. */
    json_object *z = admin("POST", "/_sandbox/reset", 200);
    json_object_put(z);
    r = search(&o);
    check_errors(r, "M01", "M01058002");
    free(r);

    CU_ASSERT_EQUAL(sandbox_stop(&second), 0);
    FILE *log = fopen(second.stderr_path, "r");
    char line[2048];
    while (log != NULL && fgets(line, sizeof line, log) != NULL) {
        CU_ASSERT_PTR_NULL(strstr(line, "runtime error:"));
        CU_ASSERT_PTR_NULL(strstr(line, "Sanitizer"));
    }
    if (log != NULL)
        (void)fclose(log);
    g_sb = saved;
    /* g_curl may hold a connection to the stopped sandbox; libcurl notices
     * the dead connection and reconnects. */
}

static void test_refuses_non_loopback(void)
{
    const char *argv[] = {g_bin, "--host", "0.0.0.0", "--http", NULL};
    posix_spawn_file_actions_t fa;
    CU_ASSERT_EQUAL_FATAL(posix_spawn_file_actions_init(&fa), 0);
    (void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    (void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, g_bin, &fa, NULL, (char *const *)argv, environ);
    (void)posix_spawn_file_actions_destroy(&fa);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
}

/* Runs last: everything the shared sandbox wrote to stderr carries no
 * password, and no sanitizer report (UBSan keeps running after one). */
static void test_stderr_has_no_secrets(void)
{
    FILE *f = fopen(g_sb.stderr_path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[2048];
    size_t lines = 0;
    bool leak = false, sanitizer = false;
    while (fgets(line, sizeof line, f) != NULL) {
        lines++;
        if (strstr(line, "runtime error:") != NULL || strstr(line, "Sanitizer") != NULL) {
            fprintf(stderr, "\n  sandbox: %s", line);
            sanitizer = true;
        }
        if (strstr(line, SHOP_PASS) != NULL)
            leak = true;
        for (size_t i = 0; i < g_npasses; i++)
            if (strstr(line, g_passes[i]) != NULL)
                leak = true;
    }
    (void)fclose(f);
    CU_ASSERT(lines > 10);  /* per-request logging is on */
    CU_ASSERT(!leak);
    CU_ASSERT(!sanitizer);
}

/* ---- main ------------------------------------------------------------------------------ */

static int suite_init(void)
{
    return sandbox_start(&g_sb, "main", NULL);
}

static int suite_cleanup(void)
{
    return sandbox_stop(&g_sb) == 0 ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Removes the scratch directory this program created (state dirs, ready
 * files, logs, the restart database). */
static void remove_tree(const char *dir)
{
    if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
    g_bin = argc > 1 ? argv[1] : getenv("PAID_SANDBOX_BIN");
    if (g_bin == NULL || access(g_bin, X_OK) != 0) {
        fprintf(stderr, "usage: %s PATH-TO-paid-sandbox (or set PAID_SANDBOX_BIN)\n", argv[0]);
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    (void)snprintf(g_tmp, sizeof g_tmp, "%s/test-sandbox.XXXXXX",
                   tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(g_tmp) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 2;
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    /* One handle for every suite: reused connections exercise keep-alive. */
    g_curl = curl_easy_init();
    if (g_curl == NULL)
        return 2;

    CU_pSuite s = CU_add_suite("sandbox", suite_init, suite_cleanup);
    if (s == NULL ||
        CU_add_test(s, "happy path through all ten operations", test_happy_path) == NULL ||
        CU_add_test(s, "Windows-31J round trip", test_sjis_round_trip) == NULL ||
        CU_add_test(s, "validation error lists", test_validation_lists) == NULL ||
        CU_add_test(s, "duplicate OrderID", test_duplicate_order) == NULL ||
        CU_add_test(s, "credit line reservation", test_credit_line) == NULL ||
        CU_add_test(s, "screening and order review test values", test_screening_values) == NULL ||
        CU_add_test(s, "state errors", test_state_errors) == NULL ||
        CU_add_test(s, "transport errors", test_transport_errors) == NULL ||
        CU_add_test(s, "admin API", test_admin_api) == NULL ||
        CU_add_test(s, "request log", test_request_log) == NULL ||
        CU_add_test(s, "concurrent keep-alive clients", test_concurrent_clients) == NULL ||
        CU_add_test(s, "restart with --db keeps state", test_restart_keeps_state) == NULL ||
        CU_add_test(s, "refuses non-loopback --host", test_refuses_non_loopback) == NULL ||
        tsb_add_fault_tests(s) != 0 ||
        CU_add_test(s, "no secrets on stderr", test_stderr_has_no_secrets) == NULL ||
        tsb_add_settle_tests() != 0 || tsb_add_notify_tests() != 0) {
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    curl_easy_cleanup(g_curl);
    curl_global_cleanup();
    if (failed == 0)
        remove_tree(g_tmp);
    else
        fprintf(stderr, "kept %s for inspection\n", g_tmp);
    return failed == 0 ? 0 : 1;
}
