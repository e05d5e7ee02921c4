/* The idPass wire codec: application/x-www-form-urlencoded request bodies
 * whose percent-decoded bytes are Windows-31J, and raw `Key=Value&...`
 * Windows-31J response bodies (docs/protocol.md §1). */
#ifndef SBX_FORM_H
#define SBX_FORM_H

#include "sbx_buf.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sbx_field {
    char *name;      /* owned, percent-decoded (ASCII in practice) */
    char *raw;       /* owned, percent-decoded bytes as sent (Windows-31J), NUL-terminated */
    size_t raw_len;
    char *utf8;      /* owned, the value converted to UTF-8; NULL when the bytes
                        are not valid Windows-31J (or contain NUL) */
} sbx_field;

typedef struct sbx_form {
    sbx_field *fields;  /* owned array */
    size_t count;
} sbx_form;

enum sbx_form_result { SBX_FORM_OK = 0, SBX_FORM_NOMEM = -1, SBX_FORM_MALFORMED = -2 };

/* Parses a request body. '+' is a space; a '%' not followed by two hex
 * digits makes the body malformed. On failure *out is left empty. */
enum sbx_form_result sbx_form_parse(const char *body, size_t len, sbx_form *out);
/* NULL-safe. */
void sbx_form_free(sbx_form *f);
/* First field with this exact (case-sensitive) name, or NULL. */
const sbx_field *sbx_form_get(const sbx_form *f, const char *name);

/* Windows-31J <-> UTF-8. Return a malloc'ed NUL-terminated string or NULL
 * (errno EILSEQ/EINVAL for unconvertible input, ENOMEM). */
char *sbx_sjis_to_utf8(const char *in, size_t len, size_t *out_len);
char *sbx_utf8_to_sjis(const char *in, size_t len, size_t *out_len);

/* Appends "Key=Value" (with a leading '&' unless b is empty) the way a
 * request body is encoded (docs/protocol.md §1): the UTF-8 value converted
 * to Windows-31J, then every byte percent-encoded except A-Z a-z 0-9 - . _ ~,
 * space as %20. Returns false when the value has no Windows-31J form or
 * memory ran out. */
bool sbx_form_put_pair(sbx_buf *b, const char *key, const char *utf8_value);

/* A response under construction: either fields or an error list. */
typedef struct sbx_reply {
    sbx_buf fields;   /* Key=Value&... in Windows-31J */
    sbx_buf codes;    /* ErrCode list */
    sbx_buf infos;    /* ErrInfo list */
    size_t nerrors;
    bool failed;      /* an internal error (memory, conversion) occurred */
} sbx_reply;

void sbx_reply_init(sbx_reply *r);
void sbx_reply_free(sbx_reply *r);  /* NULL-safe */
/* Adds Key=Value, converting the UTF-8 value to Windows-31J. */
void sbx_reply_add(sbx_reply *r, const char *key, const char *utf8_value);
void sbx_reply_add_int(sbx_reply *r, const char *key, long long v);
/* Adds one 9-character ErrInfo (its first 3 characters are the ErrCode).
 * A code already in the list is not repeated. */
void sbx_reply_error(sbx_reply *r, const char *err_info);
bool sbx_reply_has_errors(const sbx_reply *r);
/* The `|`-joined ErrInfo list ("" when none); valid until the reply changes. */
const char *sbx_reply_err_info(const sbx_reply *r);
/* The final body: the error pair when there are errors, else the fields.
 * Malloc'ed; NULL on out of memory. */
char *sbx_reply_body(sbx_reply *r, size_t *len_out);

#endif
