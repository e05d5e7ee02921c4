/* Unit tests of the wire codec: Windows-31J conversion, the form body and
 * the Key=Value response with its error lists. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "gw_buf.h"
#include "gw_form.h"
#include "gw_resp.h"
#include "gw_sjis.h"
#include "unit_suites.h"

static void sjis_round_trip(void)
{
    /* kanji, NEC special (①), IBM extension (髙), half-width katakana, ASCII */
    const char *utf8 = "株式会社テスト ① 髙橋 ｶﾀｶﾅ ABC-123";
    gw_buf sj, back;
    size_t bad = 99;

    gw_buf_init(&sj, &gw_mem_libc, 0);
    gw_buf_init(&back, &gw_mem_libc, 0);
    CU_ASSERT_EQUAL(gw_sjis_from_utf8(utf8, strlen(utf8), &sj, &bad), GW_SJIS_OK);
    /* 株 is 0x8A 0x94 in Windows-31J */
    CU_ASSERT_EQUAL((unsigned char)sj.data[0], 0x8A);
    CU_ASSERT_EQUAL((unsigned char)sj.data[1], 0x94);
    CU_ASSERT_EQUAL(gw_sjis_to_utf8(sj.data, sj.len, &back, &bad), GW_SJIS_OK);
    CU_ASSERT_STRING_EQUAL(gw_buf_cstr(&back), utf8);
    gw_buf_release(&sj);
    gw_buf_release(&back);
}

static void sjis_unrepresentable(void)
{
    const char *utf8 = "OK \xF0\x9F\x98\x80 emoji"; /* U+1F600 */
    gw_buf sj;
    size_t bad = 0;

    gw_buf_init(&sj, &gw_mem_libc, 0);
    CU_ASSERT_EQUAL(gw_sjis_from_utf8(utf8, strlen(utf8), &sj, &bad), GW_SJIS_UNREPRESENTABLE);
    CU_ASSERT_EQUAL(bad, 3);
    CU_ASSERT_EQUAL(gw_utf8_codepoint(utf8 + bad, strlen(utf8) - bad), 0x1F600UL);
    CU_ASSERT_EQUAL(gw_sjis_length(utf8, strlen(utf8), NULL), GW_SJIS_UNREPRESENTABLE);
    gw_buf_release(&sj);
}

static void sjis_invalid_utf8(void)
{
    gw_buf sj;

    gw_buf_init(&sj, &gw_mem_libc, 0);
    CU_ASSERT_EQUAL(gw_sjis_from_utf8("\xC0\xAF", 2, &sj, NULL), GW_SJIS_INVALID);
    CU_ASSERT_EQUAL(gw_sjis_from_utf8("\xE6\xA0", 2, &sj, NULL), GW_SJIS_INVALID);
    CU_ASSERT_EQUAL(gw_sjis_from_utf8("\xED\xA0\x80", 3, &sj, NULL), GW_SJIS_INVALID);
    CU_ASSERT_FALSE(gw_utf8_valid("\xF4\x90\x80\x80", 4));
    CU_ASSERT_TRUE(gw_utf8_valid("\xF0\x9F\x98\x80", 4));
    CU_ASSERT_EQUAL(gw_sjis_length("テスト", strlen("テスト"), NULL), 6);
    gw_buf_release(&sj);
}

static void form_encodes_sjis_bytes(void)
{
    gw_field f[] = {
        {"ShopID", "tshop01", 7},
        {"CompanyName", "株式会社", strlen("株式会社")},
        {"Empty", NULL, 0},
        {"Note", "a b&c=d+e", 9},
    };
    gw_buf out;

    gw_buf_init(&out, &gw_mem_libc, 0);
    CU_ASSERT_EQUAL(gw_form_encode(f, 4, &out, NULL), GW_SJIS_OK);
    CU_ASSERT_STRING_EQUAL(gw_buf_cstr(&out),
                           "ShopID=tshop01&CompanyName=%8A%94%8E%AE%89%EF%8E%D0&Empty=&"
                           "Note=a%20b%26c%3Dd%2Be");
    gw_buf_release(&out);
}

static void form_reports_bad_field(void)
{
    gw_field f[] = {{"A", "x", 1}, {"B", "\xF0\x9F\x98\x80", 4}};
    gw_buf out;
    size_t bad = 99;

    gw_buf_init(&out, &gw_mem_libc, 0);
    CU_ASSERT_EQUAL(gw_form_encode(f, 2, &out, &bad), GW_SJIS_UNREPRESENTABLE);
    CU_ASSERT_EQUAL(bad, 1);
    gw_buf_release(&out);
}

static void resp_no_url_decoding(void)
{
    const char *body = "AccessID=abc&Token=a+b%2Fc==&Empty=\r\n";
    gw_resp r;

    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, body, strlen(body), &r), GW_RESP_OK);
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "AccessID"), "abc");
    /* split on the first '=' only, '+' and '%2F' kept as sent */
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "Token"), "a+b%2Fc==");
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "Empty"), "");
    CU_ASSERT_PTR_NULL(gw_resp_get(&r, "Missing"));
    CU_ASSERT_FALSE(gw_resp_has_error(&r));
    gw_resp_release(&r);
}

static void resp_decodes_sjis(void)
{
    /* PaidContents=コピー用紙 in Windows-31J bytes */
    const char body[] = "OrderID=A1&PaidContents=\x83\x52\x83\x73\x81\x5B\x97\x70\x8E\x86";
    gw_resp r;

    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, body, sizeof(body) - 1, &r), GW_RESP_OK);
    CU_ASSERT_STRING_EQUAL(gw_resp_str(&r, "PaidContents"), "コピー用紙");
    gw_resp_release(&r);
}

static void resp_error_lists(void)
{
    const char *body = "ErrCode=E01|E01|M01|&ErrInfo=E01040001|E01060001|M01200001|";
    char joined[96];
    gw_resp r;

    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, body, strlen(body), &r), GW_RESP_OK);
    CU_ASSERT_TRUE(gw_resp_has_error(&r));
    CU_ASSERT_EQUAL(r.nerr, 3); /* the trailing '|' adds no empty entry */
    CU_ASSERT_STRING_EQUAL(r.err_codes[2], "M01");
    CU_ASSERT_STRING_EQUAL(r.err_infos[1], "E01060001");
    CU_ASSERT_TRUE(gw_resp_error_has_prefix(&r, "M0120"));
    CU_ASSERT_FALSE(gw_resp_error_has_prefix(&r, "P01"));
    gw_resp_error_join(&r, joined, sizeof(joined));
    CU_ASSERT_STRING_EQUAL(joined, "E01040001|E01060001|M01200001");
    gw_resp_release(&r);
}

static void resp_error_lists_uneven(void)
{
    const char *body = "ErrCode=E01|E92&ErrInfo=E01040010";
    gw_resp r;

    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, body, strlen(body), &r), GW_RESP_OK);
    CU_ASSERT_EQUAL(r.nerr, 2);
    CU_ASSERT_STRING_EQUAL(r.err_infos[1], "");
    CU_ASSERT_STRING_EQUAL(r.err_codes[1], "E92");
    gw_resp_release(&r);
}

static void resp_malformed(void)
{
    static const char *const bad[] = {"", "<html>503</html>", "=x", "Key", "A=1&B", "K y=1", NULL};
    const char *const *b;
    gw_resp r;

    for (b = bad; *b; b++) {
        CU_ASSERT_NOT_EQUAL(gw_resp_parse(&gw_mem_libc, *b, strlen(*b), &r), GW_RESP_OK);
        gw_resp_release(&r);
    }
    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, "A=1\0B=2", 7, &r), GW_RESP_MALFORMED);
    gw_resp_release(&r);
    /* a lone lead byte is not Windows-31J */
    CU_ASSERT_EQUAL(gw_resp_parse(&gw_mem_libc, "A=\x83", 3, &r), GW_RESP_ENCODING);
    gw_resp_release(&r);
}

static const test_case codec_cases[] = {
    {"Windows-31J round trip incl. NEC/IBM extensions", sjis_round_trip},
    {"unrepresentable character is refused with its offset", sjis_unrepresentable},
    {"invalid UTF-8 is refused", sjis_invalid_utf8},
    {"form body is percent-encoded Windows-31J", form_encodes_sjis_bytes},
    {"form encoder names the bad field", form_reports_bad_field},
    {"response values are not URL-decoded", resp_no_url_decoding},
    {"response text is decoded from Windows-31J", resp_decodes_sjis},
    {"ErrCode/ErrInfo lists with a trailing |", resp_error_lists},
    {"ErrCode/ErrInfo lists of different lengths", resp_error_lists_uneven},
    {"malformed responses are refused", resp_malformed},
    {NULL, NULL},
};

const test_suite unit_suite_codec = {"codec", codec_cases, NULL, NULL};
