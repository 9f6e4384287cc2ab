/* Read-only queries on a connection that socket emulations need
 * (FIONREAD, SIOCOUTQ). */
#include "tcp/tcp.h"

uint32_t synack_tcp_rcv_queued(const synack_tcp *c)
{
    return c->lst ? 0 : c->rcv.len;
}

uint32_t synack_tcp_snd_queued(const synack_tcp *c)
{
    return c->lst ? 0 : c->snd.len;
}
