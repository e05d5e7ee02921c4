/* gw_mem.h - the plugin's own allocations, through the host's allocator when
 * it lent one (pmp_host_services), else the C library's.
 *
 * One gw_mem belongs to one context and is fixed at init; every object the
 * plugin allocates records the gw_mem it came from so it is freed by the same
 * allocator. libcurl, OpenSSL, json-c and libyaml keep their own allocators. */
#ifndef GW_MEM_H
#define GW_MEM_H

#include <stddef.h>

typedef struct gw_mem {
    void *user_data;
    void *(*alloc)(void *user_data, size_t size);
    void *(*realloc)(void *user_data, void *ptr, size_t size);
    void (*free)(void *user_data, void *ptr);
} gw_mem;

/** The C library's allocator. */
extern const gw_mem gw_mem_libc;

void *gw_malloc(const gw_mem *mem, size_t size);
void *gw_calloc(const gw_mem *mem, size_t n, size_t size);
void *gw_realloc(const gw_mem *mem, void *ptr, size_t size);
/** NULL-safe. */
void gw_free(const gw_mem *mem, void *ptr);
/** Copies len bytes and a NUL. */
char *gw_strndup(const gw_mem *mem, const char *s, size_t len);
char *gw_strdup(const gw_mem *mem, const char *s);

#endif
