#include "sbx_fields.h"

#include <stdio.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

static bool all_of(const char *s, size_t n, bool (*pred)(char))
{
    for (size_t i = 0; i < n; i++)
        if (!pred(s[i]))
            return false;
    return true;
}

static bool order_char(char c) { return is_alnum(c) || c == '-'; }
static bool buyer_char(char c) { return is_alnum(c) || c == '-' || c == '_'; }
static bool tel_char(char c) { return is_digit(c) || c == '-'; }
/* The gateway issues lowercase; upper case is accepted because hex is hex. */
static bool hex_char(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }

static bool fail(char err[10], const char *prefix, const char *kind)
{
    (void)snprintf(err, 10, "%.6s%.3s", prefix, kind);
    return false;
}

bool sbx_valid_date8(const char *s)
{
    if (strlen(s) != 8 || !all_of(s, 8, is_digit))
        return false;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0');
    int d = (s[6] - '0') * 10 + (s[7] - '0');
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return false;
    int max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

int64_t sbx_field_amount(const char *s)
{
    int64_t v = 0;
    for (; *s != '\0'; s++) {
        if (!is_digit(*s) || v > SBX_AMOUNT_MAX)
            return -1;
        v = v * 10 + (*s - '0');
    }
    return v;
}

/* Digits only; returns -1 for non-digits, SBX_AMOUNT_MAX + 1 for anything
 * larger than the maximum (so long inputs cannot overflow). */
static int64_t parse_amount(const char *s, size_t n)
{
    if (!all_of(s, n, is_digit))
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
        if (v > SBX_AMOUNT_MAX)
            return SBX_AMOUNT_MAX + 1;
    }
    return v;
}

bool sbx_field_check(const sbx_param *p, const sbx_field *f, char err[10])
{
    const char *raw = f != NULL ? f->raw : "";
    size_t n = f != NULL ? f->raw_len : 0;

    if (n == 0) {
        if (p->required)
            return fail(err, p->prefix, "001");
        return true;  /* every optional field may be empty */
    }

    switch (p->rule) {
    case SBX_R_SHOP_ID:
        if (n > 13 || !all_of(raw, n, is_alnum))
            return fail(err, p->prefix, "008");
        return true;
    case SBX_R_SHOP_PASS:
        if (n > 10 || !all_of(raw, n, is_alnum))
            return fail(err, p->prefix, "008");
        return true;
    case SBX_R_ORDER_ID:
        if (n > 27)
            return fail(err, p->prefix, "003");
        if (!all_of(raw, n, order_char))
            return fail(err, p->prefix, "013");
        return true;
    case SBX_R_ACCESS:
        /* A malformed key can never match an issued one. */
        if (n != 32 || !all_of(raw, n, hex_char))
            return fail(err, p->prefix, "002");
        return true;
    case SBX_R_AMOUNT: {
        int64_t v = parse_amount(raw, n);
        if (v < 0)
            return fail(err, p->prefix, "006");
        if (v < 1 || v > SBX_AMOUNT_MAX)
            return fail(err, p->prefix, "011");
        return true;
    }
    case SBX_R_TAX: {
        int64_t v = parse_amount(raw, n);
        if (v < 0)
            return fail(err, p->prefix, "006");
        if (v > SBX_AMOUNT_MAX)
            return fail(err, p->prefix, "011");
        return true;
    }
    case SBX_R_BUYER_ID:
        if (n > 20)
            return fail(err, p->prefix, "003");
        if (!all_of(raw, n, buyer_char))
            return fail(err, p->prefix, "013");
        return true;
    case SBX_R_TEXT:
        if (f->utf8 == NULL || n > p->max_bytes)
            return fail(err, p->prefix, "013");
        return true;
    case SBX_R_CLIENT_FIELD:
        /* Responses are not percent-encoded, so an '&' in an echoed value
         * would split it; the real gateway forbids such characters too. */
        if (n > p->max_bytes)
            return fail(err, p->prefix, "012");
        if (f->utf8 == NULL || memchr(raw, '&', n) != NULL)
            return fail(err, p->prefix, "013");
        return true;
    case SBX_R_ZIP:
        if (!((n == 7 && all_of(raw, 7, is_digit)) ||
              (n == 8 && all_of(raw, 3, is_digit) && raw[3] == '-' &&
               all_of(raw + 4, 4, is_digit))))
            return fail(err, p->prefix, "008");
        return true;
    case SBX_R_TEL:
        if (n < 10 || n > 13 || !all_of(raw, n, tel_char))
            return fail(err, p->prefix, "008");
        return true;
    case SBX_R_EMAIL: {
        const char *at = memchr(raw, '@', n);
        if (n > 254 || at == NULL || memchr(at + 1, '@', n - (size_t)(at - raw) - 1) != NULL ||
            f->utf8 == NULL)
            return fail(err, p->prefix, "008");
        return true;
    }
    case SBX_R_CLIENT_FLAG:
        if (!(n == 1 && (raw[0] == '0' || raw[0] == '1')))
            return fail(err, p->prefix, "007");
        return true;
    case SBX_R_FIXED_AT:
        if (!sbx_valid_date8(raw))
            return fail(err, p->prefix, "008");
        return true;
    case SBX_R_PAY_TYPE:
        if (strcmp(raw, "29") != 0)
            return fail(err, p->prefix, "007");
        return true;
    }
    return fail(err, p->prefix, "008");
}
