#include "pool.h"

#include <assert.h>
#include <string.h>

int sk_pool_init(sk_pool *pool, sk_ctx *ctx, uint32_t count, size_t size)
{
    memset(pool, 0, sizeof(*pool));
    if (count == 0 || size == 0)
        return SYNACK_ERR_INVAL;
    /* Round up so every buffer is 16-byte aligned (malloc's alignment for
     * max_align_t on common ABIs) and can hold the free-list link; refuse
     * sizes whose rounding or product would wrap. */
    if (size > SIZE_MAX - 15)
        return SYNACK_ERR_INVAL;
    size_t stride = (size + 15) & ~(size_t)15;
    if (stride > SIZE_MAX / count)
        return SYNACK_ERR_INVAL;
    pool->base = sk_malloc(ctx, stride * count);
    if (!pool->base)
        return SYNACK_ERR_NOMEM;
    pool->size = size;
    pool->stride = stride;
    pool->count = count;
    for (uint32_t i = count; i-- > 0;)
        sk_pool_put(pool, pool->base + (size_t)i * stride);
    return 0;
}

void sk_pool_free(sk_pool *pool, sk_ctx *ctx)
{
    sk_free(ctx, pool->base);
    memset(pool, 0, sizeof(*pool));
}

void *sk_pool_get(sk_pool *pool)
{
    void *buf = pool->free;
    if (!buf)
        return NULL;
    memcpy(&pool->free, buf, sizeof(void *));
    pool->avail--;
    return buf;
}

void sk_pool_put(sk_pool *pool, void *buf)
{
    /* Only buffers of this pool, each once: anything else corrupts the list. */
    assert((uintptr_t)buf >= (uintptr_t)pool->base &&
           (uintptr_t)buf < (uintptr_t)pool->base + pool->stride * pool->count &&
           ((uintptr_t)buf - (uintptr_t)pool->base) % pool->stride == 0);
    assert(pool->avail < pool->count);
    memcpy(buf, &pool->free, sizeof(void *));
    pool->free = buf;
    pool->avail++;
}
