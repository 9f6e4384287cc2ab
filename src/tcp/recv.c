#include "recv.h"

#include "wire/seq.h"

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

static void delack_fn(sk_timer *t, uint64_t now);

static size_t rcv_state_size(const sk_tcp *tcp)
{
    uint16_t ranges = tcp->cfg->tcp_reass_max_ranges;
    return ALIGN8(sizeof(sk_rcv)) + (ranges ? sk_reass_size(ranges) : 0);
}

/* Linux's quick-ack mode at the start of a connection (tcp_input.c
 * tcp_incr_quickack, on the first text): the first ACKs of new text go at
 * once, as many as the window offered holds pairs of segments (2 if it
 * holds none), at most tcp_quickack_segs. RFC 1122 4.2.3.2 and RFC 5681
 * 4.2 allow ACKing more often than every second segment; it lets the
 * peer's slow start open its window at once instead of one delayed ACK
 * at a time. Linux also re-enters the mode later (after a retransmitted or
 * out-of-window segment, an ECN CE mark, a long silence, TCP_QUICKACK)
 * and suspends it in interactive ("pingpong") exchanges; that is not done
 * here. */
static uint16_t quickack_budget(const sk_tcb *tcb, const sk_rcv *r)
{
    uint16_t max = tcb->tcp->cfg->tcp_quickack_segs;
    if (max == 0)
        return 0;
    uint32_t wnd = sk_seq_gt(tcb->rcv_adv, tcb->rcv_nxt) ? tcb->rcv_adv - tcb->rcv_nxt : 0;
    uint32_t n = wnd / (2u * r->rcv_mss);
    if (n == 0)
        n = 2;
    return (uint16_t)(n < max ? n : max);
}

int sk_rcv_reserve(sk_tcb *tcb)
{
    if (tcb->rcv.data)
        return 0;
    sk_tcp *tcp = tcb->tcp;
    if (sk_buf_reserve_extra(&tcb->rcv, tcp->ctx, (uint32_t)rcv_state_size(tcp)) < 0)
        return SYNACK_ERR_NOMEM;
    sk_rcv *r = sk_rcv_of(tcb);
    sk_timer_init(&r->delack, delack_fn);
    r->tcb = tcb;
    r->last_ack = tcb->rcv_nxt;
    r->rcv_mss = tcb->snd_mss < tcp->mss_local ? tcb->snd_mss : tcp->mss_local;
    r->quick = quickack_budget(tcb, r);
    uint16_t ranges = tcp->cfg->tcp_reass_max_ranges;
    if (ranges) {
        r->reass = (sk_reass *)(void *)((char *)r + ALIGN8(sizeof(sk_rcv)));
        sk_reass_init(r->reass, ranges);
    }
    return 0;
}

void sk_rcv_stop(sk_tcb *tcb)
{
    sk_rcv *r = sk_rcv_of(tcb);
    if (!r)
        return;
    sk_wheel_cancel(tcb->tcp->wheel, &r->delack);
    if (r->reass)
        sk_reass_clear(r->reass);
}

void sk_rcv_release(sk_tcb *tcb)
{
    sk_rcv_stop(tcb);
    sk_buf_release(&tcb->rcv, tcb->tcp->ctx);
}

static void delack_fn(sk_timer *t, uint64_t now)
{
    (void)now;
    sk_rcv *r = (sk_rcv *)(void *)((char *)t - offsetof(sk_rcv, delack));
    r->tcb->tcp->ctx->stats.tcp_delayed_acks++;
    sk_tcp_send_ack(r->tcb);
}

void sk_rcv_ack_sent(sk_tcb *tcb)
{
    sk_rcv *r = sk_rcv_of(tcb);
    if (!r)
        return;
    /* One quick ACK spent per ACK that covers new text (Linux's
     * tcp_dec_quickack_mode counts ACKs sent while one was owed). */
    if (r->quick && tcb->rcv_nxt != r->last_ack)
        r->quick--;
    r->last_ack = tcb->rcv_nxt;
    sk_wheel_cancel(tcb->tcp->wheel, &r->delack);
}

/* RFC 1122 4.2.3.2 and RFC 5681 4.2: in-order text may wait for a second
 * full-sized segment, or for data of ours to carry the ACK, but not past
 * tcp_delack_ns from the first byte not acknowledged; in quick-ack mode
 * (quickack_budget above) it does not wait. */
static void ack_in_order(sk_tcb *tcb, sk_rcv *r, uint32_t len)
{
    const sk_tcp *tcp = tcb->tcp;
    if (len > r->rcv_mss)
        r->rcv_mss = (uint16_t)(len < tcp->mss_local ? len : tcp->mss_local);
    if (tcp->cfg->tcp_delack_ns == 0 || r->quick || tcb->rcv_nxt - r->last_ack >= 2u * r->rcv_mss) {
        tcb->flags |= SK_TCB_ACK_NOW;
        return;
    }
    if (!sk_timer_armed(&r->delack))
        sk_wheel_arm(tcp->wheel, &r->delack, tcp->ctx->now + tcp->cfg->tcp_delack_ns);
}

/* Reassembly switched off (tcp_reass_max_ranges 0): only text at RCV.NXT
 * is taken, the rest draws a duplicate ACK (RFC 5681 4.2). */
static bool text_in_order_only(sk_tcb *tcb, const sk_seg *s, bool fin, sk_reass_result *res)
{
    sk_ctx *ctx = tcb->tcp->ctx;
    if (s->h.seq != tcb->rcv_nxt) {
        ctx->stats.tcp_drop_ooo++;
        res->ack_now = true;
        return false;
    }
    uint32_t n = sk_buf_write(&tcb->rcv, s->data, s->len);
    res->in_order = n;
    res->dropped = s->len - n;
    return fin && n == s->len;
}

bool sk_rcv_text(sk_tcb *tcb, sk_seg *s, bool fin)
{
    sk_ctx *ctx = tcb->tcp->ctx;
    if (sk_rcv_reserve(tcb) < 0) {
        ctx->stats.tcp_drop_nomem++;
        tcb->flags |= SK_TCB_ACK_NOW;
        return false;
    }
    sk_rcv *r = sk_rcv_of(tcb);
    sk_reass_result res = {0};
    bool fin_next;
    if (!r->reass) {
        fin_next = text_in_order_only(tcb, s, fin, &res);
        if (s->lcut)
            ctx->stats.tcp_rcv_dup++;
    } else {
        /* The reassembly sees the text as it came, the part before RCV.NXT
         * included, so that it can report it as a duplicate (RFC 2883 4). */
        int rc = sk_reass_add(r->reass, &tcb->rcv, tcb->rcv_nxt, s->h.seq - s->lcut,
                              s->data - s->lcut, s->len + s->lcut, fin, &res);
        if (rc < 0)
            ctx->stats.tcp_drop_ooo++;
        else if (s->h.seq != tcb->rcv_nxt && (res.stored || (fin && r->reass->fin_pending)))
            ctx->stats.tcp_rcv_ooo++;
        if (res.dup)
            ctx->stats.tcp_rcv_dup++;
        fin_next = res.fin;
    }
    if (res.in_order) {
        tcb->rcv_nxt += res.in_order;
        sk_tcb_raise(tcb, SYNACK_TCP_EV_READABLE);
    }
    /* RFC 5681 4.2: out-of-order text, and text that fills a gap, are
     * ACKed at once; so is a segment we could not take whole. */
    if (res.ack_now || res.dropped || res.in_order == 0)
        tcb->flags |= SK_TCB_ACK_NOW;
    else
        ack_in_order(tcb, r, s->len);
    return fin_next;
}

void sk_rcv_old_duplicate(sk_tcb *tcb, const sk_seg *s)
{
    sk_rcv *r = sk_rcv_of(tcb);
    if (!r || s->len == 0 || sk_seq_gt(s->h.seq + s->len, tcb->rcv_nxt))
        return;
    tcb->tcp->ctx->stats.tcp_rcv_dup++;
    if (r->reass && (tcb->topts & SK_TOPT_SACK)) {
        sk_reass_result res;
        (void)sk_reass_add(r->reass, &tcb->rcv, tcb->rcv_nxt, s->h.seq, s->data, s->len, false,
                           &res);
    }
}

/* RFC 9293 3.8.6.2.2 (RFC 1122 4.2.3.3): receiver-side SWS avoidance moves
 * the right edge only in steps of at least min(Fr * RCV.BUFF, Eff.snd.MSS)
 * with Fr = 1/2; the MSS is the one we announced, the largest segment the
 * peer sends us. */
static uint32_t sws_step(const sk_tcb *tcb)
{
    uint32_t half = tcb->rcv.cap / 2, mss = tcb->tcp->mss_local;
    return half < mss ? half : mss;
}

/* The right edge the free space allows, not yet SWS-rounded: at most
 * 65535 units of the window scale, in whole units (RFC 7323 2.3). */
static uint32_t space_edge(const sk_tcb *tcb, uint8_t shift)
{
    uint32_t space = sk_buf_space(&tcb->rcv);
    uint32_t max = (uint32_t)65535 << shift;
    if (space > max)
        space = max;
    space &= ~(((uint32_t)1 << shift) - 1);
    return tcb->rcv_nxt + space;
}

uint16_t sk_rcv_window(sk_tcb *tcb, bool syn)
{
    /* RFC 7323 2.2: the window in a SYN is never scaled. */
    uint8_t shift = syn ? 0 : tcb->rcv_wscale;
    uint32_t edge = space_edge(tcb, shift);
    if (sk_seq_lt(tcb->rcv_adv, tcb->rcv_nxt))
        tcb->rcv_adv = tcb->rcv_nxt;
    /* The window SHOULD NOT shrink (RFC 9293 3.8.6) and moves right only by
     * a worthwhile step (SWS avoidance above). After the peer's FIN no
     * more text comes, and no silly window: the edge simply follows the
     * space (the FIN took a number, not a byte). */
    uint32_t step = (tcb->flags & SK_TCB_FIN_RCVD) ? 1 : sws_step(tcb);
    if (sk_seq_ge(edge, tcb->rcv_adv + step))
        tcb->rcv_adv = edge;
    /* A held edge that is not a whole number of units shows a window
     * rounded down: RFC 7323 2.4 / appendix F accept that. */
    uint32_t wnd = (tcb->rcv_adv - tcb->rcv_nxt) >> shift;
    return (uint16_t)(wnd > 65535 ? 65535 : wnd);
}

uint16_t sk_tcb_rcv_window(sk_tcb *tcb)
{
    return sk_rcv_window(tcb, false);
}

void sk_rcv_read_done(sk_tcb *tcb)
{
    /* Tell the peer the window opened once it can grow by a worthwhile
     * step (the SWS rule above), so that a reader draining a full buffer
     * restarts the sender without waiting for its persist probe (RFC 9293
     * 3.8.6.2.2, RFC 1122 4.2.3.3). Not after the peer's FIN: it sends no
     * more. */
    if (tcb->state == SYNACK_TCP_CLOSED || tcb->state == SYNACK_TCP_TIME_WAIT ||
        (tcb->flags & SK_TCB_FIN_RCVD))
        return;
    if (sk_seq_ge(space_edge(tcb, tcb->rcv_wscale), tcb->rcv_adv + sws_step(tcb))) {
        tcb->tcp->ctx->stats.tcp_window_updates++;
        tcb->flags |= SK_TCB_ACK_NOW;
        sk_tcp_output(tcb);
    }
}
