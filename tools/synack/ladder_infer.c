/* State inference from segments (see ladder_infer.h). Each segment moves
 * its sender first (SYN, FIN and RST are entered on sending), then its
 * receiver (ACK processing before the FIN bit, as RFC 9293 3.10.7.4 orders
 * them: a FIN that also acknowledges ours takes FIN-WAIT-1 to TIME-WAIT). */
#include "ladder_infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct side_view {
    synack_tcp_state st;
    bool syn_sent;
    uint32_t iss;
    bool fin_sent; /* fin_seq: the FIN's sequence number */
    uint32_t fin_seq;
    bool fin_rcvd;
    bool fin_deferred; /* the peer's FIN arrives after our own FIN leaves */
    bool syn_deferred; /* the peer's SYN arrives after our own SYN leaves */
} side_view;

static bool seq_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0; /* RFC 9293 3.4: modulo 2^32 */
}

static bool is_syn(const ladder_seg *s)
{
    return (s->flags & (LADDER_SYN | LADDER_ACK)) == LADDER_SYN;
}

static bool is_syn_ack(const ladder_seg *s)
{
    return (s->flags & (LADDER_SYN | LADDER_ACK)) == (LADDER_SYN | LADDER_ACK);
}

ladder_side ladder_infer_client(const ladder_seg *segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_syn(&segs[i]))
            return segs[i].from;
    for (size_t i = 0; i < n; i++)
        if (is_syn_ack(&segs[i]))
            return segs[i].from == LADDER_A ? LADDER_B : LADDER_A;
    if (!n)
        return LADDER_A;
    /* No handshake in sight: the client is most likely the side on the
     * higher (ephemeral) port. */
    ladder_side other = segs[0].from == LADDER_A ? LADDER_B : LADDER_A;
    return segs[0].sport >= segs[0].dport ? segs[0].from : other;
}

/* The next segment @p side sends after index @p i, or NULL. */
static const ladder_seg *next_from(const ladder_seg *segs, size_t n, size_t i, ladder_side side)
{
    for (size_t j = i + 1; j < n; j++)
        if (segs[j].from == side)
            return &segs[j];
    return NULL;
}

/* What each side was before the first segment: a connection that starts
 * with a SYN has a CLOSED opener and, across, a LISTEN (it answers
 * SYN,ACK), a CLOSED (it answers RST: nothing listens) or another opener
 * (it sends its own SYN: a simultaneous open). A SYN,ACK first means the
 * opener is in SYN-SENT already. Anything else: unknown. */
static void initial_states(const ladder_seg *segs, size_t n, side_view v[2])
{
    v[0].st = v[1].st = LADDER_STATE_UNKNOWN;
    if (!n)
        return;
    const ladder_seg *f = &segs[0];
    ladder_side x = f->from, y = x == LADDER_A ? LADDER_B : LADDER_A;
    if (is_syn(f)) {
        v[x].st = SYNACK_TCP_CLOSED;
        const ladder_seg *r = next_from(segs, n, 0, y);
        if (r && is_syn_ack(r))
            v[y].st = SYNACK_TCP_LISTEN;
        else if (r && (is_syn(r) || (r->flags & LADDER_RST)))
            v[y].st = SYNACK_TCP_CLOSED;
    } else if (is_syn_ack(f)) {
        v[y].st = SYNACK_TCP_SYN_SENT;
    }
}

static uint32_t fin_seq_of(const ladder_seg *s)
{
    return s->seq + s->len + ((s->flags & LADDER_SYN) ? 1u : 0u);
}

static void on_send(side_view *x, const ladder_seg *s)
{
    if (s->flags & LADDER_RST) {
        if (x->st != SYNACK_TCP_LISTEN)
            x->st = SYNACK_TCP_CLOSED;
        return;
    }
    if (s->flags & LADDER_SYN) {
        if (!x->syn_sent) {
            x->syn_sent = true;
            x->iss = s->seq;
        }
        if (is_syn(s) && (x->st == SYNACK_TCP_CLOSED || x->st == LADDER_STATE_UNKNOWN))
            x->st = SYNACK_TCP_SYN_SENT;
        else if (is_syn_ack(s) && (x->st == SYNACK_TCP_LISTEN || x->st == SYNACK_TCP_CLOSED ||
                                   x->st == LADDER_STATE_UNKNOWN))
            x->st = SYNACK_TCP_SYN_RCVD; /* its SYN's arrival was not captured */
    }
    if ((s->flags & LADDER_FIN) && !x->fin_sent) {
        x->fin_sent = true;
        x->fin_seq = fin_seq_of(s);
        switch (x->st) {
        case SYNACK_TCP_SYN_RCVD:
        case SYNACK_TCP_ESTABLISHED:
            x->st = SYNACK_TCP_FIN_WAIT_1;
            break;
        case SYNACK_TCP_CLOSE_WAIT:
            x->st = SYNACK_TCP_LAST_ACK;
            break;
        default:
            if (x->st == LADDER_STATE_UNKNOWN)
                x->st = x->fin_rcvd ? SYNACK_TCP_LAST_ACK : SYNACK_TCP_FIN_WAIT_1;
            break;
        }
    }
}

/* RFC 9293 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges
 * our SYN; elsewhere a capture cannot check the window, so it counts. */
static void on_receive_rst(side_view *y, const ladder_seg *s)
{
    if (y->st == SYNACK_TCP_LISTEN)
        return;
    if (y->st == SYNACK_TCP_SYN_SENT && y->syn_sent &&
        !((s->flags & LADDER_ACK) && s->ack == y->iss + 1))
        return;
    y->st = SYNACK_TCP_CLOSED;
}

static void on_receive_ack(side_view *y, const ladder_seg *s)
{
    bool acks_syn = !y->syn_sent || seq_ge(s->ack, y->iss + 1);
    if (y->st == SYNACK_TCP_SYN_SENT && (s->flags & LADDER_SYN) && acks_syn)
        y->st = SYNACK_TCP_ESTABLISHED;
    else if (y->st == SYNACK_TCP_SYN_RCVD && acks_syn)
        y->st = SYNACK_TCP_ESTABLISHED;
    if (!y->fin_sent || !seq_ge(s->ack, y->fin_seq + 1))
        return;
    if (y->st == SYNACK_TCP_FIN_WAIT_1)
        y->st = SYNACK_TCP_FIN_WAIT_2;
    else if (y->st == SYNACK_TCP_CLOSING)
        y->st = SYNACK_TCP_TIME_WAIT;
    else if (y->st == SYNACK_TCP_LAST_ACK)
        y->st = SYNACK_TCP_CLOSED;
}

static void on_receive_fin(side_view *y)
{
    if (y->fin_rcvd || y->fin_deferred)
        return; /* a retransmitted FIN changes no state */
    y->fin_rcvd = true;
    switch (y->st) {
    case SYNACK_TCP_SYN_RCVD:
    case SYNACK_TCP_ESTABLISHED:
        y->st = SYNACK_TCP_CLOSE_WAIT;
        break;
    case SYNACK_TCP_FIN_WAIT_1:
        y->st = SYNACK_TCP_CLOSING;
        break;
    case SYNACK_TCP_FIN_WAIT_2:
        y->st = SYNACK_TCP_TIME_WAIT;
        break;
    default:
        if (y->st == LADDER_STATE_UNKNOWN && !y->fin_sent)
            y->st = SYNACK_TCP_CLOSE_WAIT;
        break;
    }
}

static void on_receive(side_view *y, const ladder_seg *segs, size_t n, size_t i, ladder_side yside)
{
    const ladder_seg *s = &segs[i];
    if (s->flags & LADDER_RST) {
        on_receive_rst(y, s);
        return;
    }
    if (is_syn(s)) {
        /* A listener moves to SYN-RCVD only if it answers with SYN,ACK;
         * an opener whose SYN crossed this one does too (Figure 8): if
         * its next segment is its own SYN, this one arrives after it. */
        const ladder_seg *r = next_from(segs, n, i, yside);
        if (y->st == SYNACK_TCP_SYN_SENT ||
            ((y->st == SYNACK_TCP_LISTEN || y->st == LADDER_STATE_UNKNOWN) && r && is_syn_ack(r)))
            y->st = SYNACK_TCP_SYN_RCVD;
        else if (y->st == SYNACK_TCP_CLOSED && !y->syn_sent && r && is_syn(r))
            y->syn_deferred = true;
    }
    if (s->flags & LADDER_ACK)
        on_receive_ack(y, s);
    if (s->flags & LADDER_FIN) {
        /* If the receiver's next segment is its own FIN and does not
         * acknowledge this one, the two crossed (a simultaneous close,
         * RFC 9293 Figure 13): this FIN arrives after that one leaves. */
        const ladder_seg *r = next_from(segs, n, i, yside);
        uint32_t fin_next = fin_seq_of(s) + 1;
        if (!y->fin_rcvd && !y->fin_sent && r && (r->flags & LADDER_FIN) &&
            !(r->flags & LADDER_RST) && !((r->flags & LADDER_ACK) && seq_ge(r->ack, fin_next)))
            y->fin_deferred = true;
        else
            on_receive_fin(y);
    }
}

static void summarize(const ladder_seg *segs, size_t n, const side_view v[2], ladder_side client,
                      ladder_summary *sum)
{
    memset(sum, 0, sizeof(*sum));
    sum->final[0] = v[0].st;
    sum->final[1] = v[1].st;
    bool answered = false, rst = false;
    for (size_t i = 0; i < n && !rst; i++) {
        const ladder_seg *s = &segs[i];
        if (s->flags & LADDER_RST) {
            rst = true;
            sum->by = s->from;
            sum->end = answered || s->from == client ? LADDER_END_RESET : LADDER_END_REFUSED;
        } else if (s->from != client) {
            answered = true;
        }
    }
    if (rst)
        return;
    if (v[0].fin_sent && v[1].fin_sent) {
        bool done = (v[0].st == SYNACK_TCP_CLOSED || v[0].st == SYNACK_TCP_TIME_WAIT) &&
                    (v[1].st == SYNACK_TCP_CLOSED || v[1].st == SYNACK_TCP_TIME_WAIT);
        sum->end = done ? LADDER_END_CLOSED : LADDER_END_CLOSING;
    } else if (v[0].fin_sent || v[1].fin_sent) {
        sum->end = LADDER_END_HALF_CLOSED;
    } else if (!answered && n && is_syn(&segs[0])) {
        sum->end = LADDER_END_NO_ANSWER;
    } else {
        sum->end = LADDER_END_OPEN;
    }
    /* Who sent the first FIN. */
    for (size_t i = 0; i < n; i++)
        if (segs[i].flags & LADDER_FIN) {
            sum->by = segs[i].from;
            break;
        }
}

ladder *ladder_from_segments(const ladder_seg *segs, size_t n, const char *label_a,
                             const char *label_b, ladder_summary *sum)
{
    ladder *l = ladder_new(label_a, label_b);
    if (!l)
        return NULL;
    side_view v[2];
    memset(v, 0, sizeof(v));
    initial_states(segs, n, v);
    uint64_t t0 = n ? segs[0].sent_ns : 0;
    for (int k = 0; k < 2; k++)
        if (ladder_add_state(l, (ladder_side)k, t0, v[k].st, LADDER_NO_SEG) < 0)
            goto oom;
    for (size_t i = 0; i < n; i++) {
        ladder_seg s = segs[i];
        s.arrived_ns = s.sent_ns;
        s.lost = false;
        int row = ladder_add_segment(l, &s);
        if (row < 0)
            goto oom;
        ladder_side x = s.from, y = x == LADDER_A ? LADDER_B : LADDER_A;
        synack_tcp_state before[2] = {v[0].st, v[1].st};
        on_send(&v[x], &s);
        if (v[x].st != before[x] && ladder_add_state(l, x, s.sent_ns, v[x].st, row) < 0)
            goto oom;
        if (v[x].syn_deferred && v[x].st == SYNACK_TCP_SYN_SENT) {
            /* The peer's SYN, crossed with this one, arrives now. */
            v[x].syn_deferred = false;
            v[x].st = SYNACK_TCP_SYN_RCVD;
            if (ladder_add_state(l, x, s.sent_ns, v[x].st, LADDER_NO_SEG) < 0)
                goto oom;
        }
        if (v[x].fin_deferred && v[x].fin_sent) {
            /* The peer's FIN, crossed with this one, arrives now. */
            synack_tcp_state sent = v[x].st;
            v[x].fin_deferred = false;
            on_receive_fin(&v[x]);
            if (v[x].st != sent && ladder_add_state(l, x, s.sent_ns, v[x].st, LADDER_NO_SEG) < 0)
                goto oom;
        }
        on_receive(&v[y], segs, n, i, y);
        if (v[y].st != before[y] && ladder_add_state(l, y, s.sent_ns, v[y].st, row) < 0)
            goto oom;
    }
    ladder_analyze(l);
    if (sum)
        summarize(segs, n, v, ladder_infer_client(segs, n), sum);
    return l;
oom:
    ladder_free(l);
    return NULL;
}

const char *ladder_end_text(const ladder_summary *sum, const char *const names[2], char *buf,
                            size_t cap)
{
    const char *who = names[sum->by];
    switch (sum->end) {
    case LADDER_END_OPEN:
        snprintf(buf, cap, "open at the end of the capture");
        break;
    case LADDER_END_NO_ANSWER:
        snprintf(buf, cap, "SYN not answered");
        break;
    case LADDER_END_REFUSED:
        snprintf(buf, cap, "refused (RST from the %s)", who);
        break;
    case LADDER_END_RESET:
        snprintf(buf, cap, "reset by the %s", who);
        break;
    case LADDER_END_HALF_CLOSED:
        snprintf(buf, cap, "half-closed by the %s", who);
        break;
    case LADDER_END_CLOSING:
        snprintf(buf, cap, "closing (first FIN from the %s)", who);
        break;
    case LADDER_END_CLOSED:
        snprintf(buf, cap, "closed (first FIN from the %s)", who);
        break;
    }
    return buf;
}
