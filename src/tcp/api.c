/* The user calls of RFC 9293 3.10 (OPEN, SEND, RECEIVE, CLOSE, ABORT,
 * STATUS) behind the socket-like API of include/synack/tcp.h. */
#include <string.h>

#include "tcp/recv.h"
#include "tcp/snd.h"
#include "tcp/tcp.h"
#include "wire/seq.h"

/* Every call runs at the caller's `now` (never backwards) and delivers the
 * events it caused before returning. */
static void enter(sk_tcp *tcp, uint64_t now)
{
    if (now > tcp->ctx->now)
        tcp->ctx->now = now;
}

static void leave(sk_tcp *tcp)
{
    sk_tcp_flush_events(tcp);
}

int sk_tcp_listen(sk_tcp *tcp, synack_ipv4 addr, uint16_t port, int backlog, synack_tcp **out)
{
    if (!out || port == 0 || backlog < 1)
        return SYNACK_ERR_INVAL;
    if (addr != 0 && addr != sk_net_addr(tcp->net))
        return SYNACK_ERR_INVAL;
    for (uint32_t i = 0; i < tcp->nlisteners; i++) {
        sk_tcb *l = tcp->listeners[i];
        if (l->c.lport == port && (l->c.laddr == addr || l->c.laddr == 0 || addr == 0))
            return SYNACK_ERR_ADDRINUSE;
    }
    if (tcp->nlisteners >= tcp->cfg->tcp_max_listeners)
        return SYNACK_ERR_LIMIT;
    /* The listener state first: a TCB, once allocated, is on the stack's
     * list of all TCBs and cannot simply be freed again. */
    sk_listen *lst = sk_calloc(tcp->ctx, 1, sizeof(*lst));
    if (!lst)
        return SYNACK_ERR_NOMEM;
    sk_tcb *l = sk_tcb_alloc(tcp);
    if (!l) {
        sk_free(tcp->ctx, lst);
        return SYNACK_ERR_NOMEM;
    }
    l->lst = lst;
    l->c.kind = SK_CONN_LISTENER;
    l->c.laddr = addr;
    l->c.lport = port;
    l->lst->backlog = backlog;
    tcp->listeners[tcp->nlisteners++] = l;
    sk_tcb_set_state(l, SYNACK_TCP_LISTEN);
    *out = l;
    return 0;
}

int sk_tcp_connect(sk_tcp *tcp, synack_ipv4 dst, uint16_t port, uint16_t sport, synack_tcp **out)
{
    if (!out || dst == 0 || port == 0 || dst == 0xffffffffu || (dst >> 28) == 0xe)
        return SYNACK_ERR_INVAL;
    if (tcp->nconns >= tcp->cfg->tcp_max_conns)
        return SYNACK_ERR_LIMIT;
    synack_ipv4 laddr = sk_net_addr(tcp->net);
    if (sport == 0) {
        int rv = sk_tcp_pick_port(tcp, laddr, dst, port, &sport);
        if (rv < 0)
            return rv;
    } else if (sk_tcp_lookup(tcp, laddr, sport, dst, port)) {
        return SYNACK_ERR_ADDRINUSE;
    }
    sk_tcb *tcb = sk_tcb_alloc(tcp);
    if (!tcb)
        return SYNACK_ERR_NOMEM;
    tcb->c.laddr = laddr;
    tcb->c.lport = sport;
    tcb->c.raddr = dst;
    tcb->c.rport = port;
    tcb->iss = sk_tcp_isn(tcp, laddr, sport, dst, port);
    tcb->snd_una = tcb->iss;
    tcb->snd_nxt = tcb->iss + 1;
    tcb->snd_max = tcb->snd_nxt;
    tcb->flags |= SK_TCB_RTT_TIMING;
    tcb->rtt_seq = tcb->iss;
    tcb->rtt_start = tcp->ctx->now;
    sk_tcp_table_insert(tcp, &tcb->c);
    tcb->flags |= SK_TCB_IN_TABLE;
    tcp->nconns++;
    sk_tcb_set_state(tcb, SYNACK_TCP_SYN_SENT);
    int rv = sk_tcp_send_syn(tcb);
    if (rv == SYNACK_ERR_NOROUTE || rv == SYNACK_ERR_INVAL) {
        tcb->flags |= SK_TCB_RELEASED;
        sk_tcb_close(tcb, rv);
        return rv;
    }
    tcp->ctx->stats.tcp_conn_opened_active++;
    sk_tcb_arm_rtx(tcb);
    *out = tcb;
    return 0;
}

int synack_tcp_accept(synack_tcp *l, synack_tcp **out, uint64_t now)
{
    if (!l || !out || !l->lst)
        return SYNACK_ERR_INVAL;
    enter(l->tcp, now);
    sk_listen *lst = l->lst;
    sk_tcb *c = lst->acc_head;
    if (!c)
        return SYNACK_ERR_AGAIN;
    lst->acc_head = c->qnext;
    if (!lst->acc_head)
        lst->acc_tail = NULL;
    c->qnext = NULL;
    c->flags &= (uint16_t)~SK_TCB_IN_ACCEPTQ;
    c->listener = NULL;
    lst->pending--;
    *out = c;
    /* Tell the new owner what is already true of it. */
    sk_tcb_raise(c, sk_tcb_events(c));
    leave(l->tcp);
    return 0;
}

ssize_t synack_tcp_send(synack_tcp *c, const void *data, size_t len, uint64_t now)
{
    if (!c || c->lst || (!data && len))
        return SYNACK_ERR_INVAL;
    if (c->error)
        return c->error;
    switch ((synack_tcp_state)c->state) {
    case SYNACK_TCP_SYN_SENT:
    case SYNACK_TCP_SYN_RCVD:
        return SYNACK_ERR_AGAIN;
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_CLOSE_WAIT:
        break;
    case SYNACK_TCP_CLOSED:
        return SYNACK_ERR_NOTCONN;
    default:
        return SYNACK_ERR_CLOSED;
    }
    if (c->flags & SK_TCB_FIN_QUEUED)
        return SYNACK_ERR_CLOSED;
    if (len == 0)
        return 0;
    sk_tcp *tcp = c->tcp;
    enter(tcp, now);
    if (sk_snd_reserve(c) < 0) { /* snd.h: the ring, with the congestion state */
        leave(tcp);
        return SYNACK_ERR_NOMEM;
    }
    uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    uint32_t n = sk_buf_write(&c->snd, data, want);
    if (n == 0) {
        leave(tcp);
        return SYNACK_ERR_AGAIN;
    }
    sk_tcb_keepalive_yield(c); /* the data takes the timer (timers.c) */
    sk_tcp_output(c);
    leave(tcp);
    return (ssize_t)n;
}

ssize_t synack_tcp_recv(synack_tcp *c, void *buf, size_t len, uint64_t now)
{
    if (!c || c->lst || (!buf && len))
        return SYNACK_ERR_INVAL;
    sk_tcp *tcp = c->tcp;
    if (c->rcv.len > 0) {
        enter(tcp, now);
        uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        uint32_t n = sk_buf_read_keep(&c->rcv, buf, want); /* recv.h: never rewind */
        sk_rcv_read_done(c);
        if (c->rcv.len == 0 && c->state == SYNACK_TCP_CLOSED)
            sk_rcv_release(c);
        leave(tcp);
        return (ssize_t)n;
    }
    if (c->flags & SK_TCB_FIN_RCVD) {
        c->flags |= SK_TCB_EOF_READ;
        return 0;
    }
    if (c->error)
        return c->error;
    if (c->state == SYNACK_TCP_CLOSED)
        return SYNACK_ERR_NOTCONN;
    return SYNACK_ERR_AGAIN;
}

/* Queues our FIN after the data (RFC 9293 3.10.4): ESTABLISHED goes to
 * FIN-WAIT-1, CLOSE-WAIT to LAST-ACK. Before the handshake completes the
 * FIN waits for ESTABLISHED. */
static int queue_fin(sk_tcb *c)
{
    if (c->flags & SK_TCB_FIN_QUEUED)
        return SYNACK_ERR_CLOSED;
    sk_tcb_keepalive_yield(c); /* the FIN will take the timer (timers.c) */
    switch ((synack_tcp_state)c->state) {
    case SYNACK_TCP_SYN_SENT:
    case SYNACK_TCP_SYN_RCVD:
        c->flags |= SK_TCB_FIN_QUEUED;
        return 0;
    case SYNACK_TCP_ESTABLISHED:
        c->flags |= SK_TCB_FIN_QUEUED;
        sk_tcb_set_state(c, SYNACK_TCP_FIN_WAIT_1);
        break;
    case SYNACK_TCP_CLOSE_WAIT:
        c->flags |= SK_TCB_FIN_QUEUED;
        sk_tcb_set_state(c, SYNACK_TCP_LAST_ACK);
        break;
    case SYNACK_TCP_CLOSED:
        return SYNACK_ERR_NOTCONN;
    default:
        return SYNACK_ERR_CLOSED;
    }
    sk_tcp_output(c);
    return 0;
}

int synack_tcp_shutdown(synack_tcp *c, uint64_t now)
{
    if (!c || c->lst)
        return SYNACK_ERR_INVAL;
    enter(c->tcp, now);
    int rv = queue_fin(c);
    leave(c->tcp);
    return rv;
}

static void close_listener(sk_tcb *l)
{
    sk_tcp *tcp = l->tcp;
    /* Its children, accepted by nobody, are reset (RFC 9293 3.10.4:
     * CLOSE in LISTEN; the half-open ones get a RST like an ABORT). */
    for (sk_tcb *t = tcp->all, *next; t; t = next) {
        next = t->anext;
        if (t->listener == l) {
            if (t->state != SYNACK_TCP_CLOSED)
                sk_tcp_send_rst_tcb(t);
            sk_tcb_close(t, SYNACK_ERR_RESET);
        }
    }
    for (uint32_t i = 0; i < tcp->nlisteners; i++) {
        if (tcp->listeners[i] == l) {
            tcp->listeners[i] = tcp->listeners[--tcp->nlisteners];
            break;
        }
    }
    l->flags |= SK_TCB_RELEASED;
    sk_tcb_set_state(l, SYNACK_TCP_CLOSED);
    sk_tcb_close(l, 0);
}

static bool synchronized(const sk_tcb *c)
{
    return c->state >= SYNACK_TCP_SYN_RCVD && c->state != SYNACK_TCP_TIME_WAIT;
}

int synack_tcp_close(synack_tcp *c, uint64_t now)
{
    if (!c)
        return SYNACK_ERR_INVAL;
    sk_tcp *tcp = c->tcp;
    enter(tcp, now);
    if (c->lst) {
        close_listener(c);
        leave(tcp);
        return 0;
    }
    c->flags |= SK_TCB_RELEASED;
    c->ev_pending = 0;
    if (c->rcv.len > 0 && synchronized(c) && c->state != SYNACK_TCP_SYN_RCVD) {
        /* Unread data would be lost silently: tell the peer with a RST
         * (RFC 9293 3.6 / RFC 2525 2.17). */
        sk_tcp_send_rst_tcb(c);
        sk_tcb_close(c, 0);
        leave(tcp);
        return 0;
    }
    switch ((synack_tcp_state)c->state) {
    case SYNACK_TCP_CLOSED:
    case SYNACK_TCP_SYN_SENT: /* RFC 9293 3.10.4: delete the TCB */
        sk_tcb_close(c, 0);
        break;
    case SYNACK_TCP_TIME_WAIT:
        sk_tcb_compact_time_wait(c);
        break;
    case SYNACK_TCP_FIN_WAIT_2:
        sk_wheel_arm(tcp->wheel, &c->rtx_timer, tcp->ctx->now + 2 * tcp->cfg->tcp_msl_ns);
        break;
    default:
        queue_fin(c); /* already queued in FIN-WAIT-1, CLOSING, LAST-ACK */
        break;
    }
    leave(tcp);
    return 0;
}

int synack_tcp_abort(synack_tcp *c, uint64_t now)
{
    if (!c)
        return SYNACK_ERR_INVAL;
    sk_tcp *tcp = c->tcp;
    enter(tcp, now);
    if (c->lst) {
        close_listener(c);
        leave(tcp);
        return 0;
    }
    c->flags |= SK_TCB_RELEASED;
    c->ev_pending = 0;
    if (c->state == SYNACK_TCP_TIME_WAIT) {
        /* Both directions are closed and acknowledged: there is nothing
         * left to abort. RFC 9293 3.10.5 reads "delete the TCB", but that
         * would end TIME-WAIT early and lose what 3.6.1 and RFC 1337 keep
         * it for (re-ACKing a lost last ACK, keeping old duplicates out of
         * a new incarnation). Like close(), and like BSD and Linux, where
         * the handle and the TIME-WAIT entry part ways, only the handle goes. */
        sk_tcb_compact_time_wait(c);
        leave(tcp);
        return 0;
    }
    /* RFC 9293 3.10.5: in SYN-RCVD, ESTABLISHED, FIN-WAIT-1/2 and CLOSE-WAIT
     * send <SEQ=SND.NXT><CTL=RST>; in the other states just delete. */
    switch ((synack_tcp_state)c->state) {
    case SYNACK_TCP_SYN_RCVD:
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_CLOSE_WAIT:
        sk_tcp_send_rst_tcb(c);
        break;
    default:
        break;
    }
    sk_tcb_close(c, 0);
    leave(tcp);
    return 0;
}

synack_tcp_state synack_tcp_get_state(const synack_tcp *c)
{
    return (synack_tcp_state)c->state;
}

int synack_tcp_error(const synack_tcp *c)
{
    return c->error;
}

uint32_t synack_tcp_events(const synack_tcp *c)
{
    return sk_tcb_events(c);
}

void synack_tcp_local(const synack_tcp *c, synack_ipv4 *addr, uint16_t *port)
{
    if (addr)
        *addr = c->c.laddr;
    if (port)
        *port = c->c.lport;
}

void synack_tcp_remote(const synack_tcp *c, synack_ipv4 *addr, uint16_t *port)
{
    if (addr)
        *addr = c->c.raddr;
    if (port)
        *port = c->c.rport;
}

uint32_t synack_tcp_id(const synack_tcp *c)
{
    return c->id;
}

uint16_t synack_tcp_mss(const synack_tcp *c)
{
    return c->snd_mss;
}

void synack_tcp_set_user(synack_tcp *c, void *user)
{
    c->user = user;
}

void *synack_tcp_get_user(const synack_tcp *c)
{
    return c->user;
}
