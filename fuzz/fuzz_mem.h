/* fuzz_mem.h - a counting gw_mem for fuzz targets: every allocation the code
 * under test makes through its own allocator is counted, so a target can
 * check that releasing an object frees all of it, and can make the N-th
 * allocation fail to drive every out-of-memory path. Single-threaded. */
#ifndef FUZZ_MEM_H
#define FUZZ_MEM_H

#include <stddef.h>

#include "gw_mem.h"

typedef struct fuzz_mem {
    gw_mem mem;   /* hand &mem to the code under test */
    long live;    /* allocations not yet freed */
    long calls;   /* allocation calls (alloc and realloc) so far */
    long fail_at; /* 1-based call number that fails; 0: none */
    int failed;   /* the failing call happened */
} fuzz_mem;

/** Sets m up with no failure armed and zero counts. */
void fuzz_mem_init(fuzz_mem *m);
/** Resets the counts and makes call number n fail (0: none). */
void fuzz_mem_arm(fuzz_mem *m, long n);

#endif
