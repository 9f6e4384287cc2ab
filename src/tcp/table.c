/* The connection table: one keyed-hash probe on the 4-tuple finds a TCB
 * or a TIME-WAIT entry (DESIGN.md 2a); listeners in their own small table. */
#include <string.h>

#include "crypto/siphash.h"
#include "tcp/tcp.h"

static uint32_t tuple_hash(const sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                           uint16_t rport)
{
    /* Keyed, so that a peer cannot aim many tuples at one chain. */
    uint8_t b[12];
    memcpy(b, &laddr, 4);
    memcpy(b + 4, &raddr, 4);
    memcpy(b + 8, &lport, 2);
    memcpy(b + 10, &rport, 2);
    return (uint32_t)sk_siphash24(tcp->key, b, sizeof(b));
}

sk_conn *sk_tcp_lookup(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                       uint16_t rport)
{
    uint32_t h = tuple_hash(tcp, laddr, lport, raddr, rport) & tcp->bucket_mask;
    for (sk_conn *c = tcp->buckets[h]; c; c = c->hnext)
        if (c->lport == lport && c->rport == rport && c->laddr == laddr && c->raddr == raddr)
            return c;
    return NULL;
}

void sk_tcp_table_insert(sk_tcp *tcp, sk_conn *c)
{
    uint32_t h = tuple_hash(tcp, c->laddr, c->lport, c->raddr, c->rport) & tcp->bucket_mask;
    c->hnext = tcp->buckets[h];
    tcp->buckets[h] = c;
}

void sk_tcp_table_remove(sk_tcp *tcp, sk_conn *c)
{
    uint32_t h = tuple_hash(tcp, c->laddr, c->lport, c->raddr, c->rport) & tcp->bucket_mask;
    for (sk_conn **pp = &tcp->buckets[h]; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            c->hnext = NULL;
            return;
        }
    }
}

/* Exact address first, then the wildcard (RFC 9293 3.10.1: a passive OPEN
 * may leave the local address unspecified). Listeners are few: a linear
 * scan of a small array. */
sk_tcb *sk_tcp_find_listener(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport)
{
    sk_tcb *wild = NULL;
    for (uint32_t i = 0; i < tcp->nlisteners; i++) {
        sk_tcb *l = tcp->listeners[i];
        if (l->c.lport != lport)
            continue;
        if (l->c.laddr == laddr)
            return l;
        if (l->c.laddr == 0)
            wild = l;
    }
    return wild;
}

/* RFC 6056 3.3.3 (algorithm 3): a keyed hash of the destination picks
 * where to start, a counter moves on, so ports are hard to guess and
 * different peers get independent sequences. */
int sk_tcp_pick_port(sk_tcp *tcp, synack_ipv4 laddr, synack_ipv4 raddr, uint16_t rport,
                     uint16_t *out)
{
    uint32_t lo = tcp->cfg->tcp_ephemeral_lo, hi = tcp->cfg->tcp_ephemeral_hi;
    uint32_t num = hi - lo + 1;
    uint8_t b[10];
    memcpy(b, &laddr, 4);
    memcpy(b + 4, &raddr, 4);
    memcpy(b + 8, &rport, 2);
    uint32_t offset = (uint32_t)sk_siphash24(tcp->key, b, sizeof(b));
    for (uint32_t i = 0; i < num; i++) {
        uint16_t port = (uint16_t)(lo + (offset + tcp->port_counter + i) % num);
        if (sk_tcp_lookup(tcp, laddr, port, raddr, rport))
            continue;
        if (sk_tcp_find_listener(tcp, laddr, port))
            continue;
        tcp->port_counter += i + 1;
        *out = port;
        return 0;
    }
    return SYNACK_ERR_ADDRINUSE;
}

/* RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
 * M a 4-microsecond timer, F a keyed hash (SipHash-2-4 here). */
uint32_t sk_tcp_isn(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                    uint16_t rport)
{
    /* A tag byte keeps F apart from the table's hash of the same tuple. */
    uint8_t b[13];
    memcpy(b, &laddr, 4);
    memcpy(b + 4, &raddr, 4);
    memcpy(b + 8, &lport, 2);
    memcpy(b + 10, &rport, 2);
    b[12] = 'I';
    uint32_t m = (uint32_t)(tcp->ctx->now / 4000);
    return m + (uint32_t)sk_siphash24(tcp->key, b, sizeof(b));
}
