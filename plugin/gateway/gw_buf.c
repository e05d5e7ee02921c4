#include "gw_buf.h"

#include <stdint.h>
#include <string.h>

void gw_buf_init(gw_buf *b, const gw_mem *mem, size_t limit)
{
    memset(b, 0, sizeof(*b));
    b->mem = mem;
    b->limit = limit;
}

static int grow(gw_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 64;
    char *p;

    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    p = gw_realloc(b->mem, b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int gw_buf_reserve(gw_buf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (n > SIZE_MAX - b->len - 1 || (b->len + n + 1 > b->cap && grow(b, b->len + n + 1) != 0)) {
        b->failed = 1;
        return -1;
    }
    return 0;
}

int gw_buf_append(gw_buf *b, const void *data, size_t len)
{
    if (b->failed)
        return -1;
    if (len > SIZE_MAX - b->len - 1 || (b->limit && b->len + len > b->limit))
        goto fail;
    if (b->len + len + 1 > b->cap && grow(b, b->len + len + 1) != 0)
        goto fail;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
fail:
    b->failed = 1;
    return -1;
}

int gw_buf_append_str(gw_buf *b, const char *s)
{
    return gw_buf_append(b, s, strlen(s));
}

int gw_buf_append_char(gw_buf *b, char c)
{
    return gw_buf_append(b, &c, 1);
}

const char *gw_buf_cstr(const gw_buf *b)
{
    return b->data ? b->data : "";
}

char *gw_buf_steal(gw_buf *b, size_t *len)
{
    char *p;

    if (b->failed) {
        gw_buf_release(b);
        return NULL;
    }
    /* An empty buffer still hands out a valid empty string. */
    if (!b->data && gw_buf_append(b, "", 0) != 0)
        return NULL;
    p = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void gw_buf_release(gw_buf *b)
{
    gw_free(b->mem, b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
