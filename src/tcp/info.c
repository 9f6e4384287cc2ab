/* Read-only queries on a connection that socket emulations need
 * (FIONREAD, SIOCOUTQ, MSG_PEEK). */
#include "tcp/tcp.h"

uint32_t synack_tcp_rcv_queued(const synack_tcp *c)
{
    return c->lst ? 0 : c->rcv.len;
}

uint32_t synack_tcp_snd_queued(const synack_tcp *c)
{
    return c->lst ? 0 : c->snd.len;
}

ssize_t synack_tcp_peek(const synack_tcp *c, void *buf, size_t len)
{
    if (!c || c->lst || (!buf && len))
        return SYNACK_ERR_INVAL;
    if (c->rcv.len > 0) {
        uint32_t n = len < c->rcv.len ? (uint32_t)len : c->rcv.len;
        sk_buf_peek(&c->rcv, 0, buf, n);
        return (ssize_t)n;
    }
    /* The same answers as synack_tcp_recv() with nothing to read. */
    if (c->flags & SK_TCB_FIN_RCVD)
        return 0;
    if (c->error)
        return c->error;
    if (c->state == SYNACK_TCP_CLOSED)
        return SYNACK_ERR_NOTCONN;
    return SYNACK_ERR_AGAIN;
}
