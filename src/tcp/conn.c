/* Connection lifecycle: creation, state changes (traced), readiness
 * events, CLOSED and TIME-WAIT. */
#include <string.h>

#include "tcp/recv.h"
#include "tcp/tcp.h"

int sk_tcp_new(sk_ctx *ctx, const synack_config *cfg, sk_wheel *wheel, sk_net *net, sk_tcp **out)
{
    sk_tcp *tcp = sk_calloc(ctx, 1, sizeof(*tcp));
    if (!tcp)
        return SYNACK_ERR_NOMEM;
    tcp->ctx = ctx;
    tcp->cfg = cfg;
    tcp->wheel = wheel;
    tcp->net = net;
    /* The key: the caller's secret, or one drawn from the seeded PRNG
     * (reproducible simulations; real deployments should set a secret). */
    static const uint8_t zero[16];
    if (memcmp(cfg->secret, zero, 16) != 0) {
        memcpy(tcp->key, cfg->secret, 16);
    } else {
        uint64_t a = sk_prng_next(&ctx->prng), b = sk_prng_next(&ctx->prng);
        memcpy(tcp->key, &a, 8);
        memcpy(tcp->key + 8, &b, 8);
    }
    uint32_t n = 16;
    while (n < cfg->tcp_max_conns + cfg->tcp_max_time_wait && n < (1u << 24))
        n <<= 1;
    tcp->bucket_mask = n - 1;
    tcp->buckets = sk_calloc(ctx, n, sizeof(*tcp->buckets));
    tcp->listeners = sk_calloc(ctx, cfg->tcp_max_listeners, sizeof(*tcp->listeners));
    tcp->txbuf = sk_malloc(ctx, (size_t)SK_ETH_HLEN + cfg->mtu);
    if (!tcp->buckets || !tcp->listeners || !tcp->txbuf) {
        sk_free(ctx, tcp->buckets);
        sk_free(ctx, tcp->listeners);
        sk_free(ctx, tcp->txbuf);
        sk_free(ctx, tcp);
        return SYNACK_ERR_NOMEM;
    }
    tcp->mss_local = cfg->tcp_mss ? cfg->tcp_mss : (uint16_t)(cfg->mtu - 40);
    tcp->port_counter = (uint32_t)sk_prng_next(&ctx->prng);
    tcp->next_id = 1;
    *out = tcp;
    return 0;
}

static void tcb_free(sk_tcp *tcp, sk_tcb *tcb)
{
    sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
    if (tcb->aprev)
        tcb->aprev->anext = tcb->anext;
    else
        tcp->all = tcb->anext;
    if (tcb->anext)
        tcb->anext->aprev = tcb->aprev;
    sk_buf_release(&tcb->snd, tcp->ctx);
    sk_rcv_release(tcb);
    sk_free(tcp->ctx, tcb->lst);
    sk_free(tcp->ctx, tcb);
}

void sk_tcp_del(sk_tcp *tcp)
{
    if (!tcp)
        return;
    /* Every TCB and listener is on the all-list (including CLOSED handles
     * the user never closed, and the dead awaiting a flush); compact
     * TIME-WAIT entries are only in the hash chains. */
    for (uint32_t i = 0; i <= tcp->bucket_mask; i++) {
        for (sk_conn *c = tcp->buckets[i], *next; c; c = next) {
            next = c->hnext;
            if (c->kind == SK_CONN_TW) {
                sk_tw *tw = (sk_tw *)c;
                sk_wheel_cancel(tcp->wheel, &tw->timer);
                sk_free(tcp->ctx, tw);
            }
        }
    }
    while (tcp->all)
        tcb_free(tcp, tcp->all);
    sk_free(tcp->ctx, tcp->buckets);
    sk_free(tcp->ctx, tcp->listeners);
    sk_free(tcp->ctx, tcp->txbuf);
    sk_free(tcp->ctx, tcp);
}

sk_tcb *sk_tcb_alloc(sk_tcp *tcp)
{
    sk_tcb *tcb = sk_calloc(tcp->ctx, 1, sizeof(*tcb));
    if (!tcb)
        return NULL;
    tcb->c.kind = SK_CONN_TCB;
    tcb->tcp = tcp;
    tcb->id = tcp->next_id++;
    tcb->rto_us = (uint32_t)(tcp->cfg->tcp_rto_initial_ns / 1000);
    sk_timer_init(&tcb->rtx_timer, sk_tcp_rtx_timer_fn);
    sk_buf_init(&tcb->snd, tcp->cfg->tcp_sndbuf);
    sk_buf_init(&tcb->rcv, tcp->cfg->tcp_rcvbuf);
    tcb->opened_at = tcp->ctx->now;
    tcb->cc_algo = tcp->cfg->tcp_cc;
    if (tcp->cfg->tcp_nodelay)
        tcb->flags |= SK_TCB_NODELAY;
    if (tcp->cfg->tcp_keepalive)
        tcb->flags |= SK_TCB_KEEPALIVE;
    tcb->anext = tcp->all;
    if (tcp->all)
        tcp->all->aprev = tcb;
    tcp->all = tcb;
    return tcb;
}

void sk_tcb_set_state(sk_tcb *tcb, synack_tcp_state st)
{
    if (tcb->state == st)
        return;
    synack_trace_event ev = {0};
    ev.kind = SYNACK_TRACE_TCP_STATE;
    ev.link = tcb->tcp->ctx->link;
    ev.conn_id = tcb->id;
    ev.old_state = (synack_tcp_state)tcb->state;
    ev.new_state = st;
    ev.local_addr = tcb->c.laddr;
    ev.remote_addr = tcb->c.raddr;
    ev.local_port = tcb->c.lport;
    ev.remote_port = tcb->c.rport;
    tcb->state = (uint8_t)st;
    if (tcb->tcp->ctx->nsinks)
        sk_trace_event(tcb->tcp->ctx, &ev);
}

uint32_t sk_tcb_events(const sk_tcb *tcb)
{
    uint32_t ev = 0;
    if (tcb->lst)
        return tcb->lst->acc_head ? SYNACK_TCP_EV_ACCEPTABLE : 0;
    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_CLOSE_WAIT:
        ev |= SYNACK_TCP_EV_CONNECTED;
        if (!(tcb->flags & SK_TCB_FIN_QUEUED) && sk_buf_space(&tcb->snd) > 0)
            ev |= SYNACK_TCP_EV_WRITABLE;
        break;
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_CLOSING:
    case SYNACK_TCP_LAST_ACK:
    case SYNACK_TCP_TIME_WAIT:
        ev |= SYNACK_TCP_EV_CONNECTED;
        break;
    case SYNACK_TCP_CLOSED:
        ev |= SYNACK_TCP_EV_CLOSED;
        break;
    default:
        break;
    }
    if (tcb->rcv.len > 0 || ((tcb->flags & SK_TCB_FIN_RCVD) && !(tcb->flags & SK_TCB_EOF_READ)))
        ev |= SYNACK_TCP_EV_READABLE;
    if (tcb->error)
        ev |= SYNACK_TCP_EV_ERROR;
    return ev;
}

/* Queues @p events for delivery by sk_tcp_flush_events. Children not yet
 * accepted and released handles have nobody to tell. */
void sk_tcb_raise(sk_tcb *tcb, uint32_t events)
{
    if ((tcb->flags & SK_TCB_RELEASED) || tcb->listener || !tcb->tcp->ctx->cb.tcp_event)
        return;
    tcb->ev_pending |= events;
    if (!(tcb->flags & SK_TCB_EV_QUEUED)) {
        tcb->flags |= SK_TCB_EV_QUEUED;
        tcb->evnext = NULL;
        sk_tcp *tcp = tcb->tcp;
        if (tcp->ev_tail)
            tcp->ev_tail->evnext = tcb;
        else
            tcp->ev_head = tcb;
        tcp->ev_tail = tcb;
    }
}

void sk_tcp_flush_events(sk_tcp *tcp)
{
    if (tcp->delivering)
        return; /* a callback called the API: the outer loop delivers */
    tcp->delivering = true;
    while (tcp->ev_head) {
        sk_tcb *tcb = tcp->ev_head;
        tcp->ev_head = tcb->evnext;
        if (!tcp->ev_head)
            tcp->ev_tail = NULL;
        tcb->evnext = NULL;
        tcb->flags &= (uint16_t)~SK_TCB_EV_QUEUED;
        uint32_t ev = tcb->ev_pending;
        tcb->ev_pending = 0;
        if (ev && !(tcb->flags & SK_TCB_RELEASED))
            tcp->ctx->cb.tcp_event(tcp->ctx->user_data, tcb, ev);
    }
    while (tcp->dead) {
        sk_tcb *tcb = tcp->dead;
        tcp->dead = tcb->evnext;
        tcb_free(tcp, tcb);
    }
    tcp->delivering = false;
}

/* Frees now, or after event delivery if the TCB is on the event list. */
static void tcb_destroy(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    if (tcb->flags & SK_TCB_EV_QUEUED) {
        /* Unlink from the event list (singly linked: walk it; short). */
        sk_tcb *prev = NULL;
        for (sk_tcb *t = tcp->ev_head; t; prev = t, t = t->evnext) {
            if (t == tcb) {
                if (prev)
                    prev->evnext = t->evnext;
                else
                    tcp->ev_head = t->evnext;
                if (tcp->ev_tail == t)
                    tcp->ev_tail = prev;
                break;
            }
        }
        tcb->flags &= (uint16_t)~SK_TCB_EV_QUEUED;
    }
    if (tcp->delivering) {
        /* The callback running may hold this pointer: free after it returns. */
        tcb->evnext = tcp->dead;
        tcp->dead = tcb;
        return;
    }
    tcb_free(tcp, tcb);
}

static void unlink_from_listener(sk_tcb *tcb)
{
    sk_tcb *l = tcb->listener;
    if (!l)
        return;
    sk_listen *lst = l->lst;
    if (tcb->flags & SK_TCB_IN_ACCEPTQ) {
        sk_tcb *prev = NULL;
        for (sk_tcb *t = lst->acc_head; t; prev = t, t = t->qnext) {
            if (t == tcb) {
                if (prev)
                    prev->qnext = t->qnext;
                else
                    lst->acc_head = t->qnext;
                if (lst->acc_tail == t)
                    lst->acc_tail = prev;
                break;
            }
        }
        tcb->flags &= (uint16_t)~SK_TCB_IN_ACCEPTQ;
    }
    lst->pending--;
    tcb->listener = NULL;
    tcb->qnext = NULL;
}

void sk_tcb_close(sk_tcb *tcb, int err)
{
    sk_tcp *tcp = tcb->tcp;
    sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
    if (tcb->flags & SK_TCB_IN_TABLE) {
        sk_tcp_table_remove(tcp, &tcb->c);
        tcb->flags &= (uint16_t)~SK_TCB_IN_TABLE;
        tcp->nconns--;
    }
    if (err && !tcb->error)
        tcb->error = (int8_t)err;
    sk_tcb_set_state(tcb, SYNACK_TCP_CLOSED);
    sk_buf_release(&tcb->snd, tcp->ctx);
    /* Unread data stays readable after a graceful end; an error discards it. */
    sk_rcv_stop(tcb);
    if (err)
        sk_rcv_release(tcb);
    if (tcb->listener) {
        /* Never accepted: nobody holds it. */
        unlink_from_listener(tcb);
        tcb_destroy(tcb);
        return;
    }
    if (tcb->flags & SK_TCB_RELEASED) {
        tcb_destroy(tcb);
        return;
    }
    sk_tcb_raise(tcb, SYNACK_TCP_EV_CLOSED | (err ? SYNACK_TCP_EV_ERROR : 0) |
                          (tcb->rcv.len ? SYNACK_TCP_EV_READABLE : 0));
}

/* RFC 9293 3.6: TIME-WAIT for 2*MSL. A released connection shrinks to a
 * compact entry; one the user still holds keeps its TCB until released. */
void sk_tcb_enter_time_wait(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    sk_tcb_set_state(tcb, SYNACK_TCP_TIME_WAIT);
    tcb->flags &= (uint16_t)~SK_TCB_PERSIST;
    sk_buf_release(&tcb->snd, tcp->ctx);
    sk_rcv_stop(tcb);
    sk_wheel_arm(tcp->wheel, &tcb->rtx_timer, tcp->ctx->now + 2 * tcp->cfg->tcp_msl_ns);
    if (tcb->flags & SK_TCB_RELEASED)
        sk_tcb_compact_time_wait(tcb);
}

/* Replaces a released TCB in TIME-WAIT by a compact entry with the same
 * expiry. With the TIME-WAIT table full, the connection ends at once (the
 * configured limit says so); without memory for the entry, the TCB we
 * already have serves out the 2 MSL itself (RFC 9293 3.6). */
void sk_tcb_compact_time_wait(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    uint64_t expiry = tcb->rtx_timer.expiry;
    if (tcp->ntw >= tcp->cfg->tcp_max_time_wait) {
        tcp->ctx->stats.tcp_time_wait_dropped++;
        sk_tcb_close(tcb, 0);
        return;
    }
    sk_tw *tw = sk_calloc(tcp->ctx, 1, sizeof(*tw));
    if (!tw)
        return;
    tw->c = tcb->c;
    tw->c.kind = SK_CONN_TW;
    tw->c.hnext = NULL;
    tw->snd_nxt = tcb->snd_nxt;
    tw->rcv_nxt = tcb->rcv_nxt;
    tw->topts = tcb->topts;
    tw->rcv_wscale = tcb->rcv_wscale;
    tw->ts_recent = tcb->ts_recent;
    tw->ts_offset = tcb->ts_offset;
    tw->id = tcb->id;
    tw->tcp = tcp;
    sk_timer_init(&tw->timer, sk_tcp_tw_timer_fn);
    /* Leave the table without a state change: the entry carries on. */
    sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
    sk_tcp_table_remove(tcp, &tcb->c);
    tcb->flags &= (uint16_t)~SK_TCB_IN_TABLE;
    tcp->nconns--;
    sk_tcp_table_insert(tcp, &tw->c);
    tcp->ntw++;
    sk_wheel_arm(tcp->wheel, &tw->timer, expiry);
    tcb_destroy(tcb);
}

void sk_tcb_established(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    sk_tcb_set_state(tcb, SYNACK_TCP_ESTABLISHED);
    tcp->ctx->stats.tcp_conn_established++;
    tcb->flags |= SK_TCB_SYN_ACKED;
    /* RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
     * and the TCP implementation is using an RTO less than 3 seconds, the
     * RTO MUST be re-initialized to 3 seconds when data transmission
     * begins" (with no sample: Karn's rule gives none then). */
    uint64_t three_s =
        tcp->cfg->tcp_rto_max_ns < 3000000000ULL ? tcp->cfg->tcp_rto_max_ns : 3000000000ULL;
    if ((tcb->cc_algo & SK_CC_SYN_RTX) && tcb->srtt_us == 0 && tcb->rto_us < three_s / 1000)
        tcb->rto_us = (uint32_t)(three_s / 1000);
    if (tcb->listener) {
        sk_listen *lst = tcb->listener->lst;
        tcb->qnext = NULL;
        if (lst->acc_tail)
            lst->acc_tail->qnext = tcb;
        else
            lst->acc_head = tcb;
        lst->acc_tail = tcb;
        tcb->flags |= SK_TCB_IN_ACCEPTQ;
        sk_tcb_raise(tcb->listener, SYNACK_TCP_EV_ACCEPTABLE);
    } else {
        sk_tcb_raise(tcb, SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE);
    }
    /* A shutdown asked for during the handshake takes effect now. */
    if (tcb->flags & SK_TCB_FIN_QUEUED)
        sk_tcb_set_state(tcb, SYNACK_TCP_FIN_WAIT_1);
    tcb->last_rx = tcp->ctx->now; /* opened_at is done with: idle from here */
    sk_tcb_timer_idle(tcb);       /* keep-alive, if on */
}

uint32_t sk_tcp_count(const sk_tcp *tcp)
{
    return tcp->nconns + tcp->ntw;
}
