#include "gw_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *user_data, size_t size)
{
    (void)user_data;
    return malloc(size);
}

static void *libc_realloc(void *user_data, void *ptr, size_t size)
{
    (void)user_data;
    return realloc(ptr, size);
}

static void libc_free(void *user_data, void *ptr)
{
    (void)user_data;
    free(ptr);
}

const gw_mem gw_mem_libc = {NULL, libc_alloc, libc_realloc, libc_free};

void *gw_malloc(const gw_mem *mem, size_t size)
{
    /* A zero-byte request still returns a unique pointer, so callers never
     * confuse an empty object with a failed allocation. */
    return mem->alloc(mem->user_data, size ? size : 1);
}

void *gw_calloc(const gw_mem *mem, size_t n, size_t size)
{
    void *p;

    if (size && n > SIZE_MAX / size)
        return NULL;
    p = gw_malloc(mem, n * size);
    if (p)
        memset(p, 0, n * size > 0 ? n * size : 1);
    return p;
}

void *gw_realloc(const gw_mem *mem, void *ptr, size_t size)
{
    return mem->realloc(mem->user_data, ptr, size ? size : 1);
}

void gw_free(const gw_mem *mem, void *ptr)
{
    if (ptr)
        mem->free(mem->user_data, ptr);
}

char *gw_strndup(const gw_mem *mem, const char *s, size_t len)
{
    char *copy;

    if (len == SIZE_MAX)
        return NULL;
    copy = gw_malloc(mem, len + 1);
    if (!copy)
        return NULL;
    if (len)
        memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

char *gw_strdup(const gw_mem *mem, const char *s)
{
    return gw_strndup(mem, s, strlen(s));
}
