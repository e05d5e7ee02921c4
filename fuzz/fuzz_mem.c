#include "fuzz_mem.h"

#include <stdlib.h>
#include <string.h>

static void *counting_alloc(void *user_data, size_t size)
{
    fuzz_mem *m = user_data;
    void *p;

    if (++m->calls == m->fail_at) {
        m->failed = 1;
        return NULL;
    }
    p = malloc(size);
    if (p)
        m->live++;
    return p;
}

static void *counting_realloc(void *user_data, void *ptr, size_t size)
{
    fuzz_mem *m = user_data;
    void *p;

    if (++m->calls == m->fail_at) {
        m->failed = 1;
        return NULL;
    }
    p = realloc(ptr, size);
    if (p && !ptr)
        m->live++;
    return p;
}

static void counting_free(void *user_data, void *ptr)
{
    fuzz_mem *m = user_data;

    if (ptr) {
        m->live--;
        free(ptr);
    }
}

void fuzz_mem_init(fuzz_mem *m)
{
    memset(m, 0, sizeof(*m));
    m->mem.user_data = m;
    m->mem.alloc = counting_alloc;
    m->mem.realloc = counting_realloc;
    m->mem.free = counting_free;
}

void fuzz_mem_arm(fuzz_mem *m, long n)
{
    m->live = 0;
    m->calls = 0;
    m->fail_at = n;
    m->failed = 0;
}
