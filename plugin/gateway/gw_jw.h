/* gw_jw.h - a small JSON writer into a gw_buf, for results on hot paths
 * (json-c builds a tree of allocated objects first; this writes the text
 * directly). Strings must be valid UTF-8; they are escaped as JSON needs.
 * Errors (out of memory) stick in the buffer: check gw_buf.failed at the end. */
#ifndef GW_JW_H
#define GW_JW_H

#include <stdint.h>

#include "gw_buf.h"

#define GW_JW_MAX_DEPTH 8

typedef struct gw_jw {
    gw_buf *out;
    int depth;
    int count[GW_JW_MAX_DEPTH]; /* members written at each level */
} gw_jw;

void gw_jw_init(gw_jw *w, gw_buf *out);
/** Opens an object: the top-level one (key NULL) or a member. */
void gw_jw_object(gw_jw *w, const char *key);
/** Opens an array member. */
void gw_jw_array(gw_jw *w, const char *key);
void gw_jw_end_object(gw_jw *w);
void gw_jw_end_array(gw_jw *w);
/** Members (key NULL inside an array). A NULL string writes null. */
void gw_jw_str(gw_jw *w, const char *key, const char *value);
void gw_jw_int(gw_jw *w, const char *key, int64_t value);
void gw_jw_bool(gw_jw *w, const char *key, int value);
void gw_jw_null(gw_jw *w, const char *key);

#endif
