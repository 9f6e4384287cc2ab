#include "recv.h"

#include "wire/seq.h"

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

static void delack_fn(sk_timer *t, uint64_t now);

static size_t rcv_state_size(const sk_tcp *tcp)
{
    uint16_t ranges = tcp->cfg->tcp_reass_max_ranges;
    return ALIGN8(sizeof(sk_rcv)) + (ranges ? sk_reass_size(ranges) : 0);
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
    sk_tcp_send_ack(r->tcb);
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
     * ACKed at once; so, for now, is everything else. */
    (void)res.ack_now;
    tcb->flags |= SK_TCB_ACK_NOW;
    return fin_next;
}
