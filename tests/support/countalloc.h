/* Test support: an allocator that counts. It wraps libc's and records the
 * bytes live, the most ever live and the number of allocations, so that a
 * test can prove a phase allocates nothing and the stack's memory never
 * grows past a bound (DESIGN.md 2: "Memory is bounded and explicit"). */
#ifndef SYNACK_TEST_COUNTALLOC_H
#define SYNACK_TEST_COUNTALLOC_H

#include <stddef.h>

#include "synack/mem.h"

typedef struct countalloc {
    synack_mem mem; /* pass &ca.mem to synack_*_new */
    size_t live;    /* bytes allocated and not yet freed */
    size_t peak;    /* the most bytes ever live (countalloc_mark resets it) */
    long allocs;    /* successful malloc, calloc and realloc calls */
    long blocks;    /* blocks allocated and not yet freed */
} countalloc;

/* Zeroes the counters and points ca->mem at the counting functions. */
void countalloc_init(countalloc *ca);

/* What a phase starts from (countalloc_mark) and must not grow past. */
typedef struct countalloc_mark {
    size_t live, peak;
    long allocs;
} countalloc_mark;

/* Records the counters and resets the peak to what is live now, so that
 * a later peak above mark.live shows growth even if it was freed again. */
countalloc_mark countalloc_mark_now(countalloc *ca);

#endif
