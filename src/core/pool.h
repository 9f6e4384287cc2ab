/* A pool of fixed-size buffers carved from one allocation at init, so the
 * data path never calls the allocator. Get/put are O(1) (a free list). */
#ifndef SK_CORE_POOL_H
#define SK_CORE_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

typedef struct sk_pool {
    uint8_t *base;  /* count * stride bytes */
    void *free;     /* singly linked through the first word of each buffer */
    size_t size;    /* usable bytes per buffer */
    size_t stride;  /* size rounded up for alignment */
    uint32_t count; /* total buffers */
    uint32_t avail; /* buffers on the free list */
} sk_pool;

/* Buffers are spaced by size rounded up to 16 bytes, so each is 16-byte
 * aligned when the allocator's block is (malloc's is, for max_align_t).
 * @return 0, SYNACK_ERR_INVAL (count or size 0, or count * size too big),
 *         SYNACK_ERR_NOMEM. */
int sk_pool_init(sk_pool *pool, sk_ctx *ctx, uint32_t count, size_t size);
void sk_pool_free(sk_pool *pool, sk_ctx *ctx);
/* NULL when empty. */
void *sk_pool_get(sk_pool *pool);
/* @p buf must come from this pool and not be on its free list (asserted). */
void sk_pool_put(sk_pool *pool, void *buf);

#endif
