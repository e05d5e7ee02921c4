/* gw_form.h - the idPass request body: each value converted from UTF-8 to
 * Windows-31J, then percent-encoded byte by byte, joined as Key=Value&...
 *
 * Every field of an operation is sent, an absent value as "Key=". */
#ifndef GW_FORM_H
#define GW_FORM_H

#include <stddef.h>

#include "gw_buf.h"

typedef struct gw_field {
    const char *name;  /* protocol name, ASCII */
    const char *value; /* UTF-8, NULL for empty */
    size_t len;
} gw_field;

/** Appends the encoded body to out. Returns GW_SJIS_OK or a GW_SJIS_* code;
 *  on a conversion error *bad_field (if not NULL) is the field's index. */
int gw_form_encode(const gw_field *fields, size_t n, gw_buf *out, size_t *bad_field);

/** Percent-encodes raw bytes (unreserved A-Z a-z 0-9 - . _ ~ kept). */
int gw_form_escape(const char *bytes, size_t len, gw_buf *out);

#endif
