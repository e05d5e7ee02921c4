/* gw_buf.h - a growable byte buffer, always NUL-terminated. */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stddef.h>

#include "gw_mem.h"

typedef struct gw_buf {
    const gw_mem *mem;
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t limit; /* 0: none; appends beyond it fail */
    int failed;   /* an append failed (no memory or over the limit) */
} gw_buf;

void gw_buf_init(gw_buf *b, const gw_mem *mem, size_t limit);
/** Makes room for n more bytes, so that appends up to then do not
 *  reallocate. Returns 0 or -1 (and sets failed). */
int gw_buf_reserve(gw_buf *b, size_t n);
/** Returns 0, or -1 (and sets failed) when out of memory or over the limit. */
int gw_buf_append(gw_buf *b, const void *data, size_t len);
int gw_buf_append_str(gw_buf *b, const char *s);
int gw_buf_append_char(gw_buf *b, char c);
/** The contents ("" when empty); valid until the next append or release. */
const char *gw_buf_cstr(const gw_buf *b);
/** Hands the data (NUL-terminated, allocated with b->mem) to the caller and
 *  empties the buffer. Returns NULL when failed or out of memory. */
char *gw_buf_steal(gw_buf *b, size_t *len);
void gw_buf_release(gw_buf *b);

#endif
