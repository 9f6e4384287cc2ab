#include "buf.h"

#include <string.h>

void sk_buf_init(sk_buf *b, uint32_t cap)
{
    b->data = NULL;
    b->cap = cap;
    b->head = 0;
    b->len = 0;
    b->extra = 0;
}

int sk_buf_reserve(sk_buf *b, sk_ctx *ctx)
{
    if (b->data)
        return 0;
    b->data = sk_malloc(ctx, b->cap);
    return b->data ? 0 : SYNACK_ERR_NOMEM;
}

int sk_buf_reserve_extra(sk_buf *b, sk_ctx *ctx, uint32_t extra)
{
    if (b->data)
        return b->extra >= extra ? 0 : SYNACK_ERR_NOMEM;
    size_t ring = ((size_t)b->cap + 7u) & ~(size_t)7u;
    b->data = sk_malloc(ctx, ring + extra);
    if (!b->data)
        return SYNACK_ERR_NOMEM;
    memset(b->data + ring, 0, extra);
    b->extra = extra;
    return 0;
}

void sk_buf_release(sk_buf *b, sk_ctx *ctx)
{
    sk_free(ctx, b->data);
    b->data = NULL;
    b->head = 0;
    b->len = 0;
    b->extra = 0;
}

uint32_t sk_buf_write(sk_buf *b, const uint8_t *src, uint32_t len)
{
    uint32_t n = len < sk_buf_space(b) ? len : sk_buf_space(b);
    uint32_t tail = (b->head + b->len) % b->cap;
    uint32_t first = b->cap - tail < n ? b->cap - tail : n;
    memcpy(b->data + tail, src, first);
    memcpy(b->data, src + first, n - first);
    b->len += n;
    return n;
}

void sk_buf_peek(const sk_buf *b, uint32_t off, uint8_t *dst, uint32_t len)
{
    uint32_t start = (b->head + off) % b->cap;
    uint32_t first = b->cap - start < len ? b->cap - start : len;
    memcpy(dst, b->data + start, first);
    memcpy(dst + first, b->data, len - first);
}

void sk_buf_consume(sk_buf *b, uint32_t len)
{
    b->head = (b->head + len) % b->cap;
    b->len -= len;
    if (b->len == 0)
        b->head = 0;
}

uint32_t sk_buf_read(sk_buf *b, uint8_t *dst, uint32_t len)
{
    uint32_t n = len < b->len ? len : b->len;
    if (n) {
        sk_buf_peek(b, 0, dst, n);
        sk_buf_consume(b, n);
    }
    return n;
}

uint32_t sk_buf_write_at(sk_buf *b, uint32_t off, const uint8_t *src, uint32_t len)
{
    uint32_t space = sk_buf_space(b);
    if (off >= space || len == 0)
        return 0;
    uint32_t n = len < space - off ? len : space - off;
    uint32_t at = (uint32_t)(((uint64_t)b->head + b->len + off) % b->cap);
    uint32_t first = b->cap - at < n ? b->cap - at : n;
    memcpy(b->data + at, src, first);
    memcpy(b->data, src + first, n - first);
    return n;
}

void sk_buf_commit(sk_buf *b, uint32_t n)
{
    b->len += n;
}

void sk_buf_consume_keep(sk_buf *b, uint32_t len)
{
    if (b->cap)
        b->head = (uint32_t)(((uint64_t)b->head + len) % b->cap);
    b->len -= len;
}

uint32_t sk_buf_read_keep(sk_buf *b, uint8_t *dst, uint32_t len)
{
    uint32_t n = len < b->len ? len : b->len;
    if (n) {
        sk_buf_peek(b, 0, dst, n);
        sk_buf_consume_keep(b, n);
    }
    return n;
}
