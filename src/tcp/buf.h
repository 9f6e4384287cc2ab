/* A bounded byte ring for a connection's send or receive data. Storage is
 * allocated on first use, so an idle connection costs only its TCB. */
#ifndef SK_TCP_BUF_H
#define SK_TCP_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"

typedef struct sk_buf {
    uint8_t *data; /* NULL until first use */
    uint32_t cap;  /* capacity in bytes */
    uint32_t head; /* offset of the first byte */
    uint32_t len;  /* bytes held */
} sk_buf;

void sk_buf_init(sk_buf *b, uint32_t cap);
/* Allocates storage if not yet done. @return 0 or SYNACK_ERR_NOMEM. */
int sk_buf_reserve(sk_buf *b, sk_ctx *ctx);
void sk_buf_release(sk_buf *b, sk_ctx *ctx);
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

#endif
