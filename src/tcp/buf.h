/* A bounded byte ring for a connection's send or receive data. Storage is
 * allocated on first use, so an idle connection costs only its TCB. */
#ifndef SK_TCP_BUF_H
#define SK_TCP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef struct sk_buf {
    uint8_t *data;  /* NULL until first use */
    uint32_t cap;   /* capacity in bytes */
    uint32_t head;  /* offset of the first byte */
    uint32_t len;   /* bytes held */
    uint32_t extra; /* bytes allocated behind the ring (sk_buf_reserve_extra) */
} sk_buf;

void sk_buf_init(sk_buf *b, uint32_t cap);
/* Allocates storage if not yet done. @return 0 or SYNACK_ERR_NOMEM. */
int sk_buf_reserve(sk_buf *b, sk_ctx *ctx);
void sk_buf_release(sk_buf *b, sk_ctx *ctx);
/* Like sk_buf_reserve, with @p extra more bytes behind the ring's bytes
 * (8-byte aligned, zeroed) for state that lives and dies with the ring.
 * @return 0 or SYNACK_ERR_NOMEM (also when storage exists without extra). */
int sk_buf_reserve_extra(sk_buf *b, sk_ctx *ctx, uint32_t extra);
/* The area behind the ring, or NULL when there is none. */
static inline void *sk_buf_extra(const sk_buf *b)
{
    return b->data && b->extra ? b->data + ((b->cap + 7u) & ~7u) : NULL;
}
static inline uint32_t sk_buf_space(const sk_buf *b)
{
    return b->cap - b->len;
}
/* Appends up to len bytes; returns bytes appended (storage must exist). */
uint32_t sk_buf_write(sk_buf *b, const uint8_t *src, uint32_t len);
/* Copies len bytes starting @p off bytes after the head, without consuming. */
void sk_buf_peek(const sk_buf *b, uint32_t off, uint8_t *dst, uint32_t len);
/* Consumes len bytes from the head (len <= b->len). */
void sk_buf_consume(sk_buf *b, uint32_t len);
/* Copies out and consumes up to len bytes; returns bytes read. */
uint32_t sk_buf_read(sk_buf *b, uint8_t *dst, uint32_t len);

/* ---- out-of-order data (reassembly, src/tcp/reass.c) ----
 * Bytes beyond len can be written ahead of the gap before them and taken
 * into len once the gap fills. Their place is fixed relative to the end of
 * the in-order data (head + len), so the ring must never be rewound while
 * they are there: sk_buf_consume() rewinds an emptied ring to offset 0, so
 * a receive ring that may hold such bytes is consumed with
 * sk_buf_consume_keep() / sk_buf_read_keep() instead. */

/* Writes up to len bytes @p off bytes past the in-order data (at head +
 * len + off) without changing len; what would pass the capacity is left
 * out. @return bytes written (storage must exist). */
uint32_t sk_buf_write_at(sk_buf *b, uint32_t off, const uint8_t *src, uint32_t len);
/* Extends len over n bytes already written past it (n <= sk_buf_space). */
void sk_buf_commit(sk_buf *b, uint32_t n);
/* Consumes len bytes (len <= b->len) keeping every later byte in place. */
void sk_buf_consume_keep(sk_buf *b, uint32_t len);
/* Copies out and consumes up to len bytes with sk_buf_consume_keep(). */
uint32_t sk_buf_read_keep(sk_buf *b, uint8_t *dst, uint32_t len);

#endif
