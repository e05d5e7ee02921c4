/* Per-field rules of docs/protocol.md §3 and the ErrInfo each violation
 * produces. An ErrInfo is a 6-character field prefix (family + field
 * number) followed by a 3-digit kind: 001 missing, 002 unknown value,
 * 003 too long, 006 not digits, 007 not an allowed value, 008 bad format,
 * 011 out of range, 012 too many bytes, 013 forbidden characters. */
#ifndef SBX_FIELDS_H
#define SBX_FIELDS_H

#include "sbx_form.h"

#include <stdbool.h>
#include <stdint.h>

enum sbx_rule {
    SBX_R_SHOP_ID,
    SBX_R_SHOP_PASS,
    SBX_R_ORDER_ID,
    SBX_R_ACCESS,        /* AccessID / AccessPass: 32 hex characters */
    SBX_R_AMOUNT,
    SBX_R_TAX,
    SBX_R_BUYER_ID,
    SBX_R_TEXT,          /* Windows-31J text, max_bytes */
    SBX_R_CLIENT_FIELD,  /* text echoed raw in responses: no '&' */
    SBX_R_ZIP,
    SBX_R_TEL,
    SBX_R_EMAIL,
    SBX_R_CLIENT_FLAG,
    SBX_R_FIXED_AT,
    SBX_R_PAY_TYPE,
};

typedef struct sbx_param {
    const char *name;
    enum sbx_rule rule;
    bool required;
    unsigned short max_bytes;  /* SBX_R_TEXT / SBX_R_CLIENT_FIELD only */
    const char *prefix;        /* 6 characters, e.g. "E01040" */
} sbx_param;

#define SBX_AMOUNT_MAX 10000000LL

/* Checks one field (f may be NULL: not sent, same as empty). On failure
 * writes the ErrInfo (10 bytes with NUL) into err and returns false. */
bool sbx_field_check(const sbx_param *p, const sbx_field *f, char err[10]);

/* Parses a digits-only amount already accepted by sbx_field_check; empty is 0. */
int64_t sbx_field_amount(const char *s);

/* True when s is a calendar date written yyyyMMdd. */
bool sbx_valid_date8(const char *s);

#endif
