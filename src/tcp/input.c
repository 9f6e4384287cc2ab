/* SEGMENT ARRIVES (RFC 9293 3.10.7), in the RFC's order: sequence check,
 * RST, security (not used), SYN, ACK, URG, text, FIN. Each step cites the
 * paragraph it implements. */
#include <string.h>

#include "tcp/opts.h"
#include "tcp/recv.h"
#include "tcp/snd.h"
#include "tcp/tcp.h"
#include "wire/checksum.h"
#include "wire/seq.h"

/* RFC 9293 3.7.1: without an MSS option assume 536 (RFC 9293 3.7.1,
 * RFC 1122 4.2.2.6); never exceed what our own MTU carries. */
static uint16_t effective_mss(const sk_tcp *tcp, const sk_tcp_opts *o)
{
    uint32_t peer = o->has_mss ? o->mss : 536;
    if (peer < 64)
        peer = 64; /* a tiny MSS would turn every byte into a segment */
    uint32_t ours = (uint32_t)tcp->cfg->mtu - 40;
    return (uint16_t)(peer < ours ? peer : ours);
}

/* RFC 9293 3.10.7.4 "first, check sequence number": the four cases. */
static bool seq_acceptable(uint32_t seq, uint32_t slen, uint32_t rcv_nxt, uint32_t wnd)
{
    if (slen == 0)
        return wnd == 0 ? seq == rcv_nxt : sk_seq_in(seq, rcv_nxt, rcv_nxt + wnd);
    if (wnd == 0)
        return false;
    return sk_seq_in(seq, rcv_nxt, rcv_nxt + wnd) ||
           sk_seq_in(seq + slen - 1, rcv_nxt, rcv_nxt + wnd);
}

/* ---- CLOSED (RFC 9293 3.10.7.1) ---- */
static int closed_input(sk_tcp *tcp, const sk_seg *s)
{
    sk_tcp_send_rst_reply(tcp, s);
    return SK_DROP(tcp->ctx, tcp_drop_no_conn, SYNACK_ERR_NOTFOUND);
}

/* ---- LISTEN (RFC 9293 3.10.7.2) ---- */

/* Whether @p l can take a new connection (backlog, connection limit), with
 * @p freeing TCBs about to end to make way for it. A TIME-WAIT asks before
 * it ends for a new SYN: when the SYN will be dropped anyway, TIME-WAIT
 * must stay (RFC 1122 4.2.2.13 reopens only a connection it can take). */
static bool listener_has_room(const sk_tcp *tcp, const sk_tcb *l, uint32_t freeing)
{
    return l->lst->pending < l->lst->backlog && tcp->nconns - freeing < tcp->cfg->tcp_max_conns;
}
static int listen_input(sk_tcp *tcp, sk_tcb *l, const sk_seg *s, uint32_t iss_floor,
                        bool have_floor)
{
    sk_ctx *ctx = tcp->ctx;
    /* First, check for a RST: ignore it. */
    if (s->h.flags & SK_TCP_RST)
        return SK_DROP(ctx, tcp_drop_listen, SYNACK_ERR_STATE);
    /* Second, an ACK is bad: <SEQ=SEG.ACK><CTL=RST>. */
    if (s->h.flags & SK_TCP_ACK) {
        sk_tcp_send_rst_reply(tcp, s);
        return SK_DROP(ctx, tcp_drop_listen, SYNACK_ERR_STATE);
    }
    /* Third, a SYN. Anything else is dropped. */
    if (!(s->h.flags & SK_TCP_SYN))
        return SK_DROP(ctx, tcp_drop_listen, SYNACK_ERR_STATE);
    if (l->lst->pending >= l->lst->backlog)
        return SK_DROP(ctx, tcp_drop_backlog, SYNACK_ERR_LIMIT);
    if (tcp->nconns >= tcp->cfg->tcp_max_conns)
        return SK_DROP(ctx, tcp_drop_conn_limit, SYNACK_ERR_LIMIT);
    sk_tcb *c = sk_tcb_alloc(tcp);
    if (!c)
        return SK_DROP(ctx, tcp_drop_nomem, SYNACK_ERR_NOMEM);
    c->c.laddr = s->ip->dst;
    c->c.lport = s->h.dport;
    c->c.raddr = s->ip->src;
    c->c.rport = s->h.sport;
    /* Options pass to children, over the stack-wide defaults either way. */
    const uint16_t inherited = SK_TCB_NODELAY | SK_TCB_KEEPALIVE;
    c->flags = (uint16_t)((c->flags & ~inherited) | SK_TCB_PASSIVE | (l->flags & inherited));
    c->cc_algo = l->cc_algo & SK_CC_ALGO_MASK;
    c->irs = s->h.seq;
    c->rcv_nxt = s->h.seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->iss = sk_tcp_isn(tcp, c->c.laddr, c->c.lport, c->c.raddr, c->c.rport);
    /* RFC 9293 3.10.7.4 / RFC 6191: a connection reopened from TIME-WAIT
     * must start above anything the old one may still have in flight. */
    if (have_floor && sk_seq_lt(c->iss, iss_floor))
        c->iss = iss_floor;
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_max = c->snd_nxt;
    c->snd_wnd = s->h.win; /* the window in a SYN is never scaled (RFC 7323 2.2) */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->h.seq;
    c->snd_wl2 = c->iss;
    c->snd_mss = effective_mss(tcp, &s->o);
    sk_opts_negotiate(c, &s->o); /* RFC 7323, RFC 2018: what the SYN offers */
    c->listener = l;
    l->lst->pending++;
    c->state = SYNACK_TCP_LISTEN; /* the child starts where its listener is */
    sk_tcp_table_insert(tcp, &c->c);
    c->flags |= SK_TCB_IN_TABLE;
    tcp->nconns++;
    ctx->stats.tcp_conn_opened_passive++;
    sk_tcb_set_state(c, SYNACK_TCP_SYN_RCVD);
    c->flags |= SK_TCB_RTT_TIMING;
    c->rtt_seq = c->iss;
    c->rtt_start = ctx->now;
    /* Text or FIN in the SYN is not queued: the peer sends it again once
     * we acknowledge the SYN alone (RFC 9293 3.10.7.2 allows either). */
    sk_tcp_send_syn(c);
    sk_tcb_arm_rtx(c);
    return 0;
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */
static int syn_sent_input(sk_tcb *tcb, const sk_seg *s)
{
    sk_tcp *tcp = tcb->tcp;
    sk_ctx *ctx = tcp->ctx;
    const sk_tcp_hdr *h = &s->h;
    bool ack_ok = false;
    /* First, check the ACK bit. */
    if (h->flags & SK_TCP_ACK) {
        if (sk_seq_le(h->ack, tcb->iss) || sk_seq_gt(h->ack, tcb->snd_nxt)) {
            if (!(h->flags & SK_TCP_RST))
                sk_tcp_send_rst_reply(tcp, s);
            return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
        }
        ack_ok = true;
    }
    /* Second, the RST bit: only an RST that acknowledges our SYN counts
     * (RFC 9293 3.10.7.3; RFC 5961 3.2 leaves SYN-SENT to this rule). */
    if (h->flags & SK_TCP_RST) {
        if (!ack_ok) {
            ctx->stats.tcp_rst_ignored++;
            return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
        }
        ctx->stats.tcp_rst_in++;
        ctx->stats.tcp_conn_refused++;
        sk_tcb_close(tcb, SYNACK_ERR_REFUSED);
        return 0;
    }
    /* Fourth, the SYN bit. */
    if (!(h->flags & SK_TCP_SYN))
        return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
    tcb->irs = h->seq;
    tcb->rcv_nxt = h->seq + 1;
    tcb->rcv_adv = tcb->rcv_nxt;
    tcb->snd_mss = effective_mss(tcp, &s->o);
    sk_opts_negotiate(tcb, &s->o); /* what both our SYN and theirs offer */
    tcb->snd_wnd = h->win;
    tcb->max_snd_wnd = h->win;
    tcb->snd_wl1 = h->seq;
    tcb->snd_wl2 = h->ack;
    if (ack_ok) {
        tcb->snd_una = h->ack;
        if ((tcb->flags & SK_TCB_RTT_TIMING) && sk_seq_gt(h->ack, tcb->rtt_seq)) {
            sk_tcb_rto_sample(tcb, ctx->now - tcb->rtt_start);
            tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
        }
    }
    if (sk_seq_gt(tcb->snd_una, tcb->iss)) {
        /* Our SYN is acknowledged: ESTABLISHED, and <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
        sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
        tcb->backoff = 0;
        tcb->rtx_count = 0;
        tcb->flags |= SK_TCB_ACK_NOW;
        sk_tcb_established(tcb);
        sk_tcp_output(tcb);
        return 0;
    }
    /* Simultaneous open (RFC 9293 Figure 8): SYN-RCVD, <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>. */
    sk_tcb_set_state(tcb, SYNACK_TCP_SYN_RCVD);
    sk_tcp_send_syn(tcb);
    return 0;
}

/* What a connection in TIME-WAIT does with a segment (RFC 9293 3.10.7.4,
 * RFC 1337, RFC 6191 / RFC 1122 4.2.2.13). */
enum tw_action { TW_DROP, TW_ACK, TW_ACK_RESTART, TW_REOPEN };

static enum tw_action time_wait_action(sk_ctx *ctx, const sk_seg *s, uint32_t rcv_nxt)
{
    const sk_tcp_hdr *h = &s->h;
    if (h->flags & SK_TCP_RST) {
        /* RFC 1337 (TIME-WAIT assassination): ignore RST in TIME-WAIT. */
        ctx->stats.tcp_rst_ignored++;
        return TW_DROP;
    }
    if ((h->flags & SK_TCP_SYN) && !(h->flags & SK_TCP_ACK)) {
        /* A new incarnation may start if its SYN is above what the old
         * one received (RFC 1122 4.2.2.13, RFC 9293 3.6.1). */
        if (sk_seq_gt(h->seq, rcv_nxt))
            return TW_REOPEN;
        return TW_ACK;
    }
    /* The only thing that can arrive is a retransmission of the remote
     * FIN: acknowledge it and restart the 2 MSL timeout. */
    if ((h->flags & SK_TCP_FIN) && h->seq + s->slen == rcv_nxt)
        return TW_ACK_RESTART;
    /* Anything else unacceptable gets an ACK (first check); an empty
     * in-sequence segment is simply dropped, so two ends never trade ACKs. */
    if (s->slen == 0 && h->seq == rcv_nxt)
        return TW_DROP;
    return TW_ACK;
}

static int compact_time_wait_input(sk_tcp *tcp, sk_tw *tw, const sk_seg *s)
{
    switch (time_wait_action(tcp->ctx, s, tw->rcv_nxt)) {
    case TW_DROP:
        return SK_DROP(tcp->ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
    case TW_ACK_RESTART:
        sk_wheel_arm(tcp->wheel, &tw->timer, tcp->ctx->now + 2 * tcp->cfg->tcp_msl_ns);
        /* RFC 7323 4.3: the FIN is at or before Last.ACK.sent; echo its TSval. */
        if ((tw->topts & SK_TOPT_TS) && s->o.has_ts && sk_seq_ge(s->o.tsval, tw->ts_recent))
            tw->ts_recent = s->o.tsval;
        /* fall through */
    case TW_ACK:
        sk_tcp_send_tw_ack(tcp, tw);
        return 0;
    case TW_REOPEN: {
        sk_tcb *l = sk_tcp_find_listener(tcp, s->ip->dst, s->h.dport);
        if (!l)
            return closed_input(tcp, s);
        if (!listener_has_room(tcp, l, 0))
            return listen_input(tcp, l, s, 0, false); /* counted, dropped */
        uint32_t floor = tw->snd_nxt + 65535 * 2;     /* Linux does the same */
        tcp->ctx->stats.tcp_time_wait_reused++;
        sk_wheel_cancel(tcp->wheel, &tw->timer);
        sk_tcp_tw_timer_fn(&tw->timer, tcp->ctx->now); /* ends it: traced, freed */
        return listen_input(tcp, l, s, floor, true);
    }
    }
    return 0;
}

/* Resets the connection as RFC 9293 3.10.7.4 "second, check the RST bit"
 * says for its state. Returns 0; the TCB may be gone. */
static int reset_connection(sk_tcb *tcb)
{
    sk_ctx *ctx = tcb->tcp->ctx;
    ctx->stats.tcp_rst_in++;
    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_SYN_RCVD:
        if (tcb->flags & SK_TCB_PASSIVE) {
            /* Return to LISTEN: the listener never saw this child. */
            sk_tcb_close(tcb, 0);
        } else {
            ctx->stats.tcp_conn_refused++;
            sk_tcb_close(tcb, SYNACK_ERR_REFUSED);
        }
        break;
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_CLOSE_WAIT:
        ctx->stats.tcp_conn_reset++;
        sk_tcb_close(tcb, SYNACK_ERR_RESET);
        break;
    default: /* CLOSING, LAST-ACK: enter CLOSED, delete the TCB */
        sk_tcb_close(tcb, 0);
        break;
    }
    return 0;
}

/* The RTT sample an ACK of new data gives (RFC 6298 2.3, RFC 7323 4.1),
 * in ns, or 0. Without timestamps only the one segment timed at a time
 * and never a retransmitted one (Karn's rule, RFC 6298 3); with them the
 * echoed TSval times even a retransmission, once a round trip. */
static uint64_t rtt_sample(sk_tcb *tcb, const sk_seg *s)
{
    bool timed = (tcb->flags & SK_TCB_RTT_TIMING) && sk_seq_gt(s->h.ack, tcb->rtt_seq);
    bool ts = (tcb->topts & SK_TOPT_TS) && s->o.has_ts && s->o.tsecr != 0;
    if (!timed && !(ts && !(tcb->flags & SK_TCB_RTT_TIMING)))
        return 0;
    uint64_t rtt = 0;
    if (ts) {
        rtt = sk_opts_ts_rtt_ns(tcb, s->o.tsecr);
        /* A TSecr we cannot have sent (ahead of our clock, or so old that
         * the difference wrapped) is no sample: Linux's tcp_rtt_tsopt_us
         * refuses it too. One such echo would otherwise pin the RTO. */
        if (rtt > tcb->tcp->cfg->tcp_rto_max_ns) {
            if (!timed)
                return 0;
            ts = false;
        } else if (rtt == 0) {
            rtt = 1; /* under the clock's 1 ms: the RTO's floor decides */
        }
    }
    tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
    if (!ts)
        rtt = tcb->tcp->ctx->now - tcb->rtt_start;
    sk_tcb_rto_sample(tcb, rtt);
    return rtt;
}

/* SND.UNA advances to SEG.ACK (RFC 9293 3.10.7.4 fifth, ESTABLISHED).
 * @return the RTT sample taken, ns, or 0. */
static uint64_t ack_advance(sk_tcb *tcb, const sk_seg *s)
{
    uint32_t ack = s->h.ack;
    uint32_t acked = ack - tcb->snd_una;
    uint32_t data = acked < tcb->snd.len ? acked : tcb->snd.len;
    if (data)
        sk_buf_consume(&tcb->snd, data);
    tcb->snd_una = ack;
    if (sk_seq_lt(tcb->snd_nxt, ack))
        tcb->snd_nxt = ack;
    uint64_t rtt = rtt_sample(tcb, s);
    /* RFC 6298 5 (and Karn): the backed-off RTO is kept until a new RTT
     * sample; Linux: "only reset backoff on valid RTT measurement". */
    if (rtt)
        tcb->backoff = 0;
    tcb->rtx_count = 0;
    tcb->first_rtx = 0;
    /* An ICMP soft error is about a path that has carried data since:
     * forget it (as Linux clears sk_err_soft on progress). */
    tcb->flags &= (uint16_t)~SK_TCB_SOFT_ERR;
    /* RFC 6298 5.2 / 5.3: stop the timer when all is acknowledged (or hand
     * it to keep-alive), else restart it. */
    if (tcb->snd_una == tcb->snd_max && tcb->snd.len == 0 && (tcb->flags & SK_TCB_PERSIST)) {
        /* Nothing left to probe for: the persist timer is done. */
        tcb->flags &= (uint16_t)~SK_TCB_PERSIST;
        tcb->backoff = 0;
    }
    if (tcb->snd_una == tcb->snd_max)
        sk_tcb_timer_idle(tcb);
    else
        sk_tcb_arm_rtx(tcb);
    if (data && !(tcb->flags & SK_TCB_FIN_QUEUED))
        sk_tcb_raise(tcb, SYNACK_TCP_EV_WRITABLE);
    return rtt;
}

static bool our_fin_acked(const sk_tcb *tcb)
{
    return (tcb->flags & SK_TCB_FIN_SENT) && tcb->snd_una == tcb->snd_max && tcb->snd.len == 0;
}

/* RFC 9293 3.10.7.4 fifth, FIN-WAIT-1: our FIN is acknowledged. */
static void enter_fin_wait_2(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    sk_tcb_set_state(tcb, SYNACK_TCP_FIN_WAIT_2);
    if (tcb->flags & SK_TCB_RELEASED) /* nobody will close it: bound FIN-WAIT-2 */
        sk_wheel_arm(tcp->wheel, &tcb->rtx_timer, tcp->ctx->now + 2 * tcp->cfg->tcp_msl_ns);
    else
        sk_tcb_timer_idle(tcb); /* half-closed: keep-alive goes on, if on */
}

/* Segments for a TCB in any synchronized state or SYN-RCVD (RFC 9293 3.10.7.4). */
static int tcb_input(sk_tcb *tcb, sk_seg *s)
{
    sk_tcp *tcp = tcb->tcp;
    sk_ctx *ctx = tcp->ctx;
    sk_tcp_hdr *h = &s->h;

    if (tcb->state == SYNACK_TCP_SYN_SENT)
        return syn_sent_input(tcb, s);

    if (tcb->state == SYNACK_TCP_TIME_WAIT) {
        switch (time_wait_action(ctx, s, tcb->rcv_nxt)) {
        case TW_DROP:
            return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
        case TW_ACK_RESTART:
            sk_wheel_arm(tcp->wheel, &tcb->rtx_timer, ctx->now + 2 * tcp->cfg->tcp_msl_ns);
            /* fall through */
        case TW_ACK:
            sk_tcp_send_ack(tcb);
            return 0;
        case TW_REOPEN: {
            sk_tcb *l = sk_tcp_find_listener(tcp, s->ip->dst, s->h.dport);
            if (!l)
                return closed_input(tcp, s);
            if (!listener_has_room(tcp, l, 1))
                return listen_input(tcp, l, s, 0, false); /* counted, dropped */
            uint32_t floor = tcb->snd_nxt + 65535 * 2;
            ctx->stats.tcp_time_wait_reused++;
            sk_tcb_close(tcb, 0);
            return listen_input(tcp, l, s, floor, true);
        }
        }
    }

    /* RFC 7323 5.3 R1 (PAWS), before the sequence check; opts.c also
     * scales SEG.WND into s->wnd. */
    if (!sk_opts_input(tcb, s)) {
        sk_tcp_send_ack(tcb);
        return SK_DROP(ctx, tcp_drop_paws, SYNACK_ERR_STATE);
    }

    if (tcb->state == SYNACK_TCP_SYN_RCVD && (h->flags & SK_TCP_SYN) && h->seq == tcb->irs) {
        if (!(h->flags & SK_TCP_ACK)) {
            /* The peer did not get our SYN+ACK and sent its SYN again: answer
             * with the SYN+ACK again (as Linux does) rather than a bare ACK
             * it would drop in SYN-SENT. */
            ctx->stats.tcp_retransmits++;
            sk_tcp_send_syn(tcb);
            return 0;
        }
        /* Simultaneous open, RFC 9293 Figure 8 line 6: the peer's SYN+ACK
         * repeats the SYN we already hold; keep its ACK. */
        h->flags &= (uint8_t)~SK_TCP_SYN;
        h->seq++;
        s->slen--;
    }

    /* First, check the sequence number. */
    uint32_t wnd = sk_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
    uint32_t orig_seq = h->seq;
    if (!seq_acceptable(h->seq, s->slen, tcb->rcv_nxt, wnd)) {
        bool zero_wnd_ok = wnd == 0 && h->seq == tcb->rcv_nxt;
        if (!zero_wnd_ok) {
            if (h->flags & SK_TCP_RST) {
                ctx->stats.tcp_rst_ignored++;
                return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
            }
            if (h->flags & SK_TCP_SYN) { /* RFC 5961 4.2: challenge ACK, whatever the seq */
                sk_tcp_challenge_ack(tcb);
            } else {
                sk_rcv_old_duplicate(tcb, s); /* a D-SACK on this ACK (RFC 2883) */
                sk_tcp_send_ack(tcb);
            }
            return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
        }
        /* RCV.WND is zero: still process valid ACKs, URGs and RSTs, but no
         * text and no FIN (RFC 9293 3.10.7.4). */
        s->len = 0;
        h->flags &= (uint8_t)~SK_TCP_FIN;
        s->slen = (h->flags & SK_TCP_SYN) ? 1 : 0;
        tcb->flags |= SK_TCB_ACK_NOW;
    }
    /* Trim to the window: what starts before RCV.NXT was received already.
     * Never a SYN (an old one straddling RCV.NXT with data): RFC 5961 4.2
     * answers a SYN "irrespective of the sequence number" (fourth step). */
    if (sk_seq_lt(h->seq, tcb->rcv_nxt) && !(h->flags & SK_TCP_SYN)) {
        uint32_t d = tcb->rcv_nxt - h->seq;
        uint32_t cut = d < s->len ? d : s->len;
        s->data += cut;
        s->len -= cut;
        s->slen -= cut;
        s->lcut = cut;
        h->seq = tcb->rcv_nxt;
    }
    if (wnd && sk_seq_gt(h->seq + s->len, tcb->rcv_nxt + wnd)) {
        uint32_t keep = tcb->rcv_nxt + wnd - h->seq;
        s->len = keep < s->len ? keep : s->len;
        h->flags &= (uint8_t)~SK_TCP_FIN; /* the FIN lies beyond the window */
        s->slen = s->len;
    }

    sk_opts_ts_update(tcb, s, orig_seq); /* RFC 7323 4.3, 5.3 R3 */

    /* Second, check the RST bit (RFC 5961 3.2): exactly RCV.NXT resets,
     * anything else in the window draws a challenge ACK. */
    if (h->flags & SK_TCP_RST) {
        if (orig_seq == tcb->rcv_nxt)
            return reset_connection(tcb);
        sk_tcp_challenge_ack(tcb);
        ctx->stats.tcp_rst_ignored++;
        return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
    }

    /* Fourth, check the SYN bit (RFC 9293 3.10.7.4, RFC 5961 4.2). */
    if (h->flags & SK_TCP_SYN) {
        if (tcb->state == SYNACK_TCP_SYN_RCVD && (tcb->flags & SK_TCB_PASSIVE)) {
            /* Return to LISTEN: forget this half-open child. */
            sk_tcb_close(tcb, 0);
            return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
        }
        sk_tcp_challenge_ack(tcb);
        return SK_DROP(ctx, tcp_drop_unacceptable, SYNACK_ERR_STATE);
    }

    /* Fifth, check the ACK field. */
    if (!(h->flags & SK_TCP_ACK))
        return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
    if (tcb->state == SYNACK_TCP_SYN_RCVD) {
        if (!(sk_seq_lt(tcb->snd_una, h->ack) && sk_seq_le(h->ack, tcb->snd_nxt))) {
            sk_tcp_send_rst_reply(tcp, s); /* <SEQ=SEG.ACK><CTL=RST> */
            return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
        }
        tcb->snd_wnd = s->wnd;
        tcb->max_snd_wnd = s->wnd;
        tcb->snd_wl1 = h->seq;
        tcb->snd_wl2 = h->ack;
        /* The ACK of our SYN: SND.UNA passes ISS. */
        if ((tcb->flags & SK_TCB_RTT_TIMING) && sk_seq_gt(h->ack, tcb->rtt_seq)) {
            sk_tcb_rto_sample(tcb, ctx->now - tcb->rtt_start);
            tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
        }
        tcb->snd_una = tcb->iss + 1;
        tcb->backoff = 0;
        tcb->rtx_count = 0;
        sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
        sk_tcb_established(tcb);
    }
    /* RFC 5961 5.2: acceptable iff SND.UNA - MAX.SND.WND <= SEG.ACK <= SND.NXT
     * (SND.NXT here is the highest we sent, snd_max). */
    if (sk_seq_gt(h->ack, tcb->snd_max) || sk_seq_lt(h->ack, tcb->snd_una - tcb->max_snd_wnd)) {
        sk_tcp_challenge_ack(tcb);
        return SK_DROP(ctx, tcp_drop_bad_ack, SYNACK_ERR_STATE);
    }
    /* Keep-alive's idle time restarts (RFC 1122 4.2.3.6); timers.c reads it. */
    tcb->last_rx = ctx->now;
    /* An answer to our window probes: the peer is there (timers.c gives up
     * on a silent one, RFC 1122 4.2.2.17). */
    if (tcb->flags & SK_TCB_PERSIST)
        tcb->first_rtx = 0;
    uint32_t una_before = tcb->snd_una, wnd_before = tcb->snd_wnd;
    uint32_t flight_before = tcb->snd_max - tcb->snd_una;
    uint64_t rtt_ns = 0;
    if (sk_seq_lt(tcb->snd_una, h->ack))
        rtt_ns = ack_advance(tcb, s);
    /* Window update: "If SND.UNA =< SEG.ACK =< SND.NXT", and only from a
     * segment newer than the last one used (RFC 9293 3.10.7.4 fifth). */
    if (sk_seq_le(tcb->snd_una, h->ack) &&
        (sk_seq_lt(tcb->snd_wl1, h->seq) ||
         (tcb->snd_wl1 == h->seq && sk_seq_le(tcb->snd_wl2, h->ack)))) {
        bool opened = tcb->snd_wnd == 0 && s->wnd > 0;
        tcb->snd_wnd = s->wnd;
        if (tcb->snd_wnd > tcb->max_snd_wnd)
            tcb->max_snd_wnd = tcb->snd_wnd;
        tcb->snd_wl1 = h->seq;
        tcb->snd_wl2 = h->ack;
        if (opened && (tcb->flags & SK_TCB_PERSIST)) {
            tcb->flags &= (uint16_t)~SK_TCB_PERSIST;
            tcb->backoff = 0;
            sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
        }
    }
    /* snd.c: SACK scoreboard, duplicate ACKs, congestion window, recovery. */
    sk_snd_on_ack(tcb, s, una_before, flight_before, wnd_before, rtt_ns);
    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_FIN_WAIT_1:
        /* Our FIN acknowledged: FIN-WAIT-2. When the segment carries the
         * peer's FIN as well, the eighth step takes FIN-WAIT-1 straight to
         * TIME-WAIT instead ("if our FIN has been ACKed (perhaps in this
         * segment)"), the arrow of DESIGN.md 1; the text between is handled
         * alike in both states. (Linux passes through FIN-WAIT-2.) */
        if (our_fin_acked(tcb) && !(h->flags & SK_TCP_FIN))
            enter_fin_wait_2(tcb);
        break;
    case SYNACK_TCP_CLOSING:
        if (our_fin_acked(tcb)) {
            sk_tcb_enter_time_wait(tcb);
            return 0;
        }
        /* Otherwise ignore the segment, but not its ACK: we enter CLOSING
         * and LAST-ACK with data still queued ahead of our FIN (RFC 9293
         * 3.10.4 sends the FIN once that data is segmentized), and the
         * window this ACK opened must let it out. */
        sk_tcp_output(tcb);
        return 0;
    case SYNACK_TCP_LAST_ACK:
        if (our_fin_acked(tcb))
            sk_tcb_close(tcb, 0);
        else
            sk_tcp_output(tcb); /* as in CLOSING */
        return 0;
    default:
        break;
    }

    /* Sixth, the URG bit: urgent data is delivered in line (RFC 6093). */

    /* Seventh, process the segment text. */
    if (s->len > 0 && (tcb->flags & SK_TCB_RELEASED) &&
        (tcb->state == SYNACK_TCP_FIN_WAIT_1 || tcb->state == SYNACK_TCP_FIN_WAIT_2)) {
        /* The user closed: nobody will ever read this. RFC 1122 4.2.2.13:
         * "if new data is received after CLOSE is called, its TCP SHOULD
         * send a RST to show that data was lost" (Linux does, as BSD). */
        sk_tcp_send_rst_tcb(tcb);
        sk_tcb_close(tcb, 0);
        return SK_DROP(ctx, tcp_abort_on_data, SYNACK_ERR_STATE);
    }
    bool fin = (h->flags & SK_TCP_FIN) != 0;
    bool fin_next = fin && h->seq + s->len == tcb->rcv_nxt;
    if (s->len > 0 || fin) {
        switch ((synack_tcp_state)tcb->state) {
        case SYNACK_TCP_ESTABLISHED:
        case SYNACK_TCP_FIN_WAIT_1:
        case SYNACK_TCP_FIN_WAIT_2:
            /* recv.c: in order to the ring, out of order held, ACK policy. */
            fin_next = sk_rcv_text(tcb, s, fin);
            break;
        default:
            /* CLOSE-WAIT, CLOSING, LAST-ACK: the peer's FIN came already. */
            break;
        }
    }

    /* Eighth, check the FIN bit: only a FIN that is next in sequence (an
     * out-of-order one is held by the reassembly until the gap fills). */
    if (fin_next && !(tcb->flags & SK_TCB_FIN_RCVD)) {
        tcb->rcv_nxt++;
        tcb->flags |= SK_TCB_FIN_RCVD | SK_TCB_ACK_NOW;
        sk_tcb_raise(tcb, SYNACK_TCP_EV_READABLE);
        switch ((synack_tcp_state)tcb->state) {
        case SYNACK_TCP_SYN_RCVD:
        case SYNACK_TCP_ESTABLISHED:
            sk_tcb_set_state(tcb, SYNACK_TCP_CLOSE_WAIT);
            break;
        case SYNACK_TCP_FIN_WAIT_1:
            if (!our_fin_acked(tcb)) {
                sk_tcb_set_state(tcb, SYNACK_TCP_CLOSING); /* simultaneous close */
                break;
            }
            /* FIN and the ACK of ours together: straight to TIME-WAIT. */
            /* fall through */
        case SYNACK_TCP_FIN_WAIT_2:
            sk_tcp_send_ack(tcb);
            sk_tcb_enter_time_wait(tcb);
            return 0;
        default:
            break;
        }
    } else if (fin && (tcb->flags & SK_TCB_FIN_RCVD)) {
        tcb->flags |= SK_TCB_ACK_NOW; /* a retransmitted FIN: ACK it again */
    }
    /* The FIN that came with the ACK of ours could not be processed. */
    if (tcb->state == SYNACK_TCP_FIN_WAIT_1 && our_fin_acked(tcb))
        enter_fin_wait_2(tcb);
    sk_tcp_output(tcb);
    return 0;
}

int sk_tcp_segment_arrives(sk_tcp *tcp, sk_seg *s)
{
    sk_conn *c = sk_tcp_lookup(tcp, s->ip->dst, s->h.dport, s->ip->src, s->h.sport);
    if (c && c->kind == SK_CONN_TW)
        return compact_time_wait_input(tcp, (sk_tw *)c, s);
    if (c)
        return tcb_input((sk_tcb *)c, s);
    sk_tcb *l = sk_tcp_find_listener(tcp, s->ip->dst, s->h.dport);
    if (l)
        return listen_input(tcp, l, s, 0, false);
    return closed_input(tcp, s);
}

int sk_tcp_input(void *arg, const sk_ipv4_hdr *ip, const uint8_t *p, size_t len)
{
    sk_tcp *tcp = arg;
    sk_ctx *ctx = tcp->ctx;
    ctx->stats.tcp_in++;
    sk_seg s;
    memset(&s, 0, sizeof(s));
    s.ip = ip;
    int rv = sk_tcp_parse(p, len, &s.h);
    if (rv == SYNACK_ERR_TRUNCATED)
        return SK_DROP(ctx, tcp_drop_short, rv);
    if (rv < 0)
        return SK_DROP(ctx, tcp_drop_malformed, rv);
    if (sk_tcp_verify_checksum(ip->src, ip->dst, p, len) < 0)
        return SK_DROP(ctx, tcp_drop_checksum, SYNACK_ERR_CHECKSUM);
    if (sk_tcp_parse_options(s.h.opts, s.h.opts_len, &s.o) < 0)
        return SK_DROP(ctx, tcp_drop_malformed, SYNACK_ERR_MALFORMED);
    /* TCP is unicast only (RFC 1122 4.2.3.10): a segment to a broadcast
     * address, or with a port of 0, belongs to no connection. */
    if (ip->dst != sk_net_addr(tcp->net) || s.h.sport == 0 || s.h.dport == 0)
        return SK_DROP(ctx, tcp_drop_malformed, SYNACK_ERR_MALFORMED);
    s.data = p + s.h.hlen;
    s.len = (uint32_t)(len - s.h.hlen);
    s.slen = s.len + ((s.h.flags & SK_TCP_SYN) ? 1 : 0) + ((s.h.flags & SK_TCP_FIN) ? 1 : 0);
    return sk_tcp_segment_arrives(tcp, &s);
}
