/* Growable byte buffer used to build responses, JSON and SQL-free text.
 *
 * Errors are sticky: once an append fails (out of memory or overflow) the
 * buffer stays in the failed state and every later append is a no-op, so a
 * builder can append many pieces and check sbx_buf_ok() once at the end. */
#ifndef SBX_BUF_H
#define SBX_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sbx_buf {
    char *data;   /* owned; always NUL-terminated when not NULL */
    size_t len;
    size_t cap;
    bool failed;
} sbx_buf;

void sbx_buf_init(sbx_buf *b);
/* Releases the memory; NULL-safe; leaves b empty and reusable. */
void sbx_buf_free(sbx_buf *b);
bool sbx_buf_append(sbx_buf *b, const void *p, size_t n);
bool sbx_buf_puts(sbx_buf *b, const char *s);
bool sbx_buf_putc(sbx_buf *b, char c);
bool sbx_buf_printf(sbx_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool sbx_buf_ok(const sbx_buf *b);
/* Hands the NUL-terminated contents to the caller (who frees them) and
 * resets b. Returns NULL if the buffer failed (b is freed in that case). */
char *sbx_buf_steal(sbx_buf *b, size_t *len_out);

#endif
