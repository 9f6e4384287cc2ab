/* Test support (after SQLite's malloc fault injection): an allocator that
 * counts allocations and fails the n-th one, so a test can loop n over
 * every allocation point and prove each error path frees what it took. */
#ifndef SYNACK_TEST_FAILALLOC_H
#define SYNACK_TEST_FAILALLOC_H

#include <stddef.h>

#include "synack/mem.h"

typedef struct failalloc {
    synack_mem mem; /* pass &fa.mem to synack_*_new */
    long fail_at;   /* 1-based allocation to fail; 0 = never */
    long count;     /* allocations attempted so far */
    long live;      /* allocations not yet freed */
    int failed;     /* set once the failure was injected */
} failalloc;

/* Resets counters; fail_at 0 means never fail. */
void failalloc_init(failalloc *fa, long fail_at);

#endif
