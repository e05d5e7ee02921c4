/* gw_resp.h - the idPass response: Key=Value&... in Windows-31J.
 *
 * The body is decoded to UTF-8, trailing CR/LF trimmed, split on '&' and on
 * the first '=' of each pair. Values are NOT URL-decoded (the gateway sends
 * them raw; decoding would turn a literal '+' into a space). ErrCode and
 * ErrInfo are parallel '|' lists; a trailing '|' is ignored. */
#ifndef GW_RESP_H
#define GW_RESP_H

#include <stddef.h>

#include "gw_mem.h"

#define GW_RESP_OK 0
#define GW_RESP_MALFORMED (-1) /* not Key=Value pairs */
#define GW_RESP_ENCODING (-2)  /* not valid Windows-31J */
#define GW_RESP_NOMEM (-3)

typedef struct gw_kv {
    const char *key;
    const char *value;
} gw_kv;

typedef struct gw_resp {
    const gw_mem *mem;
    char *text; /* the decoded body, split in place; owns all strings */
    gw_kv *pairs;
    size_t npairs;
    char *err_text;         /* copy of ErrCode and ErrInfo, split in place */
    const char **err_codes; /* nerr entries, "" where the list was short */
    const char **err_infos;
    size_t nerr;
} gw_resp;

/** Parses body into out (which the caller releases with gw_resp_release,
 *  also after a failure). */
int gw_resp_parse(const gw_mem *mem, const char *body, size_t len, gw_resp *out);
/** Parses a form body as the gateway POSTs it in a result notification:
 *  Key=Value pairs whose values are percent-encoded ('+' is a space)
 *  Windows-31J bytes. Same result shape as gw_resp_parse; an error list is
 *  read from ErrCode/ErrInfo the same way. Keys may repeat; the first wins. */
int gw_resp_parse_form(const gw_mem *mem, const char *body, size_t len, gw_resp *out);
/** The value of key, or NULL when absent. The first occurrence wins. */
const char *gw_resp_get(const gw_resp *r, const char *key);
/** The value of key, or "" when absent. */
const char *gw_resp_str(const gw_resp *r, const char *key);
/** Whether the answer carries an error list. */
int gw_resp_has_error(const gw_resp *r);
/** Whether any ErrInfo starts with prefix. */
int gw_resp_error_has_prefix(const gw_resp *r, const char *prefix);
/** Writes the ErrInfo list joined by '|' into buf (truncated, NUL-terminated). */
void gw_resp_error_join(const gw_resp *r, char *buf, size_t size);
void gw_resp_release(gw_resp *r);

#endif
