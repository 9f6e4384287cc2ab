#include "pool.h"

#include <string.h>

int sk_pool_init(sk_pool *pool, sk_ctx *ctx, uint32_t count, size_t size)
{
    memset(pool, 0, sizeof(*pool));
    if (count == 0 || size == 0)
        return SYNACK_ERR_INVAL;
    size_t stride = (size + 15) & ~(size_t)15;
    if (stride / 16 > SIZE_MAX / 16 / count)
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
    memcpy(buf, &pool->free, sizeof(void *));
    pool->free = buf;
    pool->avail++;
}
