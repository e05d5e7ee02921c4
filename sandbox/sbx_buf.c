#include "sbx_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbx_buf_init(sbx_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = false;
}

void sbx_buf_free(sbx_buf *b)
{
    if (b == NULL)
        return;
    free(b->data);
    sbx_buf_init(b);
}

static bool reserve(sbx_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

bool sbx_buf_append(sbx_buf *b, const void *p, size_t n)
{
    if (!reserve(b, n))
        return false;
    if (n > 0)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

bool sbx_buf_puts(sbx_buf *b, const char *s)
{
    return sbx_buf_append(b, s, strlen(s));
}

bool sbx_buf_putc(sbx_buf *b, char c)
{
    return sbx_buf_append(b, &c, 1);
}

bool sbx_buf_printf(sbx_buf *b, const char *fmt, ...)
{
    if (b->failed)
        return false;
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return false;
    }
    if ((size_t)n < sizeof small)
        return sbx_buf_append(b, small, (size_t)n);
    if (!reserve(b, (size_t)n))
        return false;
    va_start(ap, fmt);
    int m = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n) {
        b->failed = true;
        return false;
    }
    b->len += (size_t)n;
    return true;
}

bool sbx_buf_ok(const sbx_buf *b)
{
    return !b->failed;
}

char *sbx_buf_steal(sbx_buf *b, size_t *len_out)
{
    if (b->failed || !reserve(b, 0)) {
        sbx_buf_free(b);
        return NULL;
    }
    char *p = b->data;
    if (len_out != NULL)
        *len_out = b->len;
    sbx_buf_init(b);
    return p;
}
