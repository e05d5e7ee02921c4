/* gw_req.h - reading and validating an operation's request JSON (json-c).
 * Every failure fills pmp_error with PMP_E_INVALID_REQUEST and a message that
 * names the member; nothing is sent when validation fails. */
#ifndef GW_REQ_H
#define GW_REQ_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "pmp.h"

/** Parses request text into a JSON object (*out owned by the caller,
 *  json_object_put). Empty text counts as {}. */
int32_t gw_req_parse(const char *text, size_t len, json_object **out, pmp_error *err);
/** Fails on a member not named in allowed (NULL-terminated). */
int32_t gw_req_allowed(json_object *obj, const char *const *allowed, pmp_error *err);
/** A string member; *out is NULL and *len 0 when absent (or null) and not
 *  required. Borrowed from obj. Checks UTF-8, Windows-31J and max_sjis_bytes
 *  (0: no text check beyond UTF-8). */
int32_t gw_req_text(json_object *obj, const char *name, int required, size_t max_sjis_bytes,
                    const char **out, size_t *len, pmp_error *err);
/** A string member made only of ASCII characters in charset (e.g.
 *  "A-Za-z0-9-"), 1..max_len long. */
int32_t gw_req_ascii(json_object *obj, const char *name, int required, const char *what,
                     int (*allowed_char)(char c), size_t max_len, const char **out, pmp_error *err);
/** An integer member (JSON integer, not a float or string) in [min, max].
 *  *present says whether it was given. */
int32_t gw_req_int(json_object *obj, const char *name, int required, int64_t min, int64_t max,
                   int64_t *out, int *present, pmp_error *err);

/* Character classes for gw_req_ascii. */
int gw_char_order_id(char c);  /* A-Z a-z 0-9 - */
int gw_char_buyer_id(char c);  /* A-Z a-z 0-9 - _ */
int gw_char_phone(char c);     /* 0-9 - */
int gw_char_printable(char c); /* ASCII 0x21..0x7E */

#endif
