/* Building and sending segments. Every segment is built in the stack's
 * one transmit buffer, behind SK_NET_HEADROOM, and handed to the IP
 * layer; payload is copied once, from the send ring into the frame. */
#include <string.h>

#include "tcp/opts.h"
#include "tcp/recv.h"
#include "tcp/snd.h"
#include "tcp/tcp.h"
#include "wire/checksum.h"
#include "wire/seq.h"

static int send_segment(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                        uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                        const sk_tcp_opts *opts, const sk_buf *data, uint32_t data_off,
                        uint32_t len)
{
    uint8_t *seg = tcp->txbuf + SK_NET_HEADROOM;
    size_t room = (size_t)tcp->cfg->mtu - SK_IPV4_HLEN;
    uint8_t optbuf[40] = {0}; /* gcc -O2 cannot see that optlen 0 reads none */
    size_t optlen = 0;
    if (opts) {
        optlen = sk_tcp_emit_options(optbuf, sizeof(optbuf), opts, (flags & SK_TCP_SYN) != 0);
    }
    sk_tcp_hdr h = {0};
    h.sport = lport;
    h.dport = rport;
    h.seq = seq;
    h.ack = (flags & SK_TCP_ACK) ? ack : 0;
    h.flags = flags;
    h.win = win;
    size_t hlen = sk_tcp_emit(seg, room, &h, optbuf, optlen);
    if (hlen == 0 || hlen + len > room)
        return SYNACK_ERR_INVAL;
    if (len)
        sk_buf_peek(data, data_off, seg + hlen, len);
    sk_tcp_set_checksum(laddr, raddr, seg, hlen + len);
    (void)laddr; /* the IP layer sends from our address: laddr is always it */
    tcp->ctx->stats.tcp_out++;
    if (flags & SK_TCP_RST)
        tcp->ctx->stats.tcp_rst_out++;
    return sk_net_send_ipv4(tcp->net, raddr, SK_IPPROTO_TCP, tcp->txbuf, hlen + len);
}

/* A compact TIME-WAIT's <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, with what the
 * connection agreed on: timestamps "in every non-<RST> segment for the
 * duration of the connection" (RFC 7323 3.2) and the window in its scale
 * (2.3; the whole buffer: the ring is gone). */
int sk_tcp_send_tw_ack(sk_tcp *tcp, const sk_tw *tw)
{
    sk_tcp_opts o = {0};
    if (tw->topts & SK_TOPT_TS) {
        o.has_ts = true;
        o.tsval = sk_opts_tsval_at(tcp, tw->ts_offset);
        o.tsecr = tw->ts_recent;
    }
    uint32_t win = tcp->cfg->tcp_rcvbuf >> tw->rcv_wscale;
    return send_segment(tcp, tw->c.laddr, tw->c.lport, tw->c.raddr, tw->c.rport, tw->snd_nxt,
                        tw->rcv_nxt, SK_TCP_ACK, (uint16_t)(win > 65535 ? 65535 : win), &o, NULL, 0,
                        0);
}

int sk_tcp_send_raw(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                    uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win)
{
    return send_segment(tcp, laddr, lport, raddr, rport, seq, ack, flags, win, NULL, NULL, 0, 0);
}

static int tcb_send(sk_tcb *tcb, uint32_t seq, uint8_t flags, const sk_tcp_opts *opts,
                    uint32_t data_off, uint32_t len)
{
    uint16_t win = (flags & SK_TCP_RST) ? 0 : sk_rcv_window(tcb, (flags & SK_TCP_SYN) != 0);
    sk_tcp_opts o;
    if (!opts && !(flags & SK_TCP_RST) && tcb->topts) {
        sk_opts_segment(tcb, &o, len); /* opts.c: timestamps, SACK blocks */
        opts = &o;
    }
    if (flags & SK_TCP_ACK) {
        tcb->flags &= (uint16_t)~SK_TCB_ACK_NOW;
        sk_rcv_ack_sent(tcb); /* recv.c: the delayed ACK is paid */
    }
    return send_segment(tcb->tcp, tcb->c.laddr, tcb->c.lport, tcb->c.raddr, tcb->c.rport, seq,
                        tcb->rcv_nxt, flags, win, opts, &tcb->snd, data_off, len);
}

/* SYN (SYN-SENT) or SYN+ACK (SYN-RCVD) carrying our MSS (RFC 9293 3.7.1:
 * the MSS option is sent only in SYN segments). */
int sk_tcp_send_syn(sk_tcb *tcb)
{
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = tcb->tcp->mss_local;
    sk_opts_syn(tcb, &o); /* opts.c: window scale, timestamps, SACK-permitted */
    uint8_t flags = SK_TCP_SYN;
    if (tcb->state == SYNACK_TCP_SYN_RCVD)
        flags |= SK_TCP_ACK;
    return tcb_send(tcb, tcb->iss, flags, &o, 0, 0);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, where the RFC's SND.NXT is our
 * snd_max: after a timeout snd_nxt is only where the resending stands, and
 * an ACK carrying that older number would be unacceptable to the peer
 * (RFC 9293 3.10.7.4 first check), which would answer with an ACK of its
 * own - two ends going back at once would trade such ACKs forever. BSD's
 * tcp_output does the same. */
int sk_tcp_send_ack(sk_tcb *tcb)
{
    return tcb_send(tcb, tcb->snd_max, SK_TCP_ACK, NULL, 0, 0);
}

/* RFC 1122 4.2.3.6 (RFC 9293 3.8.4): "a keep-alive segment ... with
 * SEG.SEQ = SND.NXT-1", which the peer must answer with an ACK as for any
 * unacceptable segment (RFC 9293 3.10.7.4 first). We send no garbage
 * octet (only needed by peers that ignore an empty segment). The options
 * go with it: RFC 7323 3.2 has timestamps in every non-RST segment, and a
 * peer may drop a segment without them. */
int sk_tcp_send_probe(sk_tcb *tcb, uint32_t seq)
{
    return tcb_send(tcb, seq, SK_TCP_ACK, NULL, 0, 0);
}

int sk_tcp_send_keepalive(sk_tcb *tcb)
{
    return sk_tcp_send_probe(tcb, tcb->snd_max - 1);
}

int sk_tcp_send_rst_tcb(sk_tcb *tcb)
{
    /* RFC 9293 3.10.5: <SEQ=SND.NXT><CTL=RST> (snd_max: see sk_tcp_send_ack). */
    return tcb_send(tcb, tcb->snd_max, SK_TCP_RST, NULL, 0, 0);
}

/* RFC 9293 3.10.7.1 (CLOSED): if the ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
 * <CTL=RST,ACK>; if on, <SEQ=SEG.ACK><CTL=RST>. Never in answer to a RST. */
int sk_tcp_send_rst_reply(sk_tcp *tcp, const sk_seg *s)
{
    if (s->h.flags & SK_TCP_RST)
        return 0;
    if (s->h.flags & SK_TCP_ACK)
        return sk_tcp_send_raw(tcp, s->ip->dst, s->h.dport, s->ip->src, s->h.sport, s->h.ack, 0,
                               SK_TCP_RST, 0);
    return sk_tcp_send_raw(tcp, s->ip->dst, s->h.dport, s->ip->src, s->h.sport, 0,
                           s->h.seq + s->slen, SK_TCP_RST | SK_TCP_ACK, 0);
}

/* RFC 5961 3.2, 4.2, 5.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at most
 * tcp_challenge_ack_limit per second for the whole stack (RFC 5961 7). */
int sk_tcp_challenge_ack(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    uint64_t second = tcp->ctx->now / 1000000000ULL;
    if (second != tcp->chack_second) {
        tcp->chack_second = second;
        tcp->chack_sent = 0;
    }
    if (tcp->chack_sent >= tcp->cfg->tcp_challenge_ack_limit) {
        tcp->ctx->stats.tcp_challenge_ack_limited++;
        return SYNACK_ERR_LIMIT;
    }
    tcp->chack_sent++;
    tcp->ctx->stats.tcp_challenge_acks++;
    return sk_tcp_send_ack(tcb);
}

static bool can_send_data(const sk_tcb *tcb)
{
    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_CLOSE_WAIT:
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_CLOSING:
    case SYNACK_TCP_LAST_ACK:
        return true;
    default:
        return false;
    }
}

/* RFC 9293 3.7.4 (Nagle, RFC 1122 4.2.3.4) and 3.8.6.2.1 (sender SWS
 * avoidance): whether @p n bytes of new data, of @p unsent queued, go now. */
static bool may_send_new(const sk_tcb *tcb, uint32_t n, uint32_t unsent, bool fin)
{
    bool idle = tcb->snd_una == tcb->snd_max; /* nothing unacknowledged */
    if (n >= tcb->snd_mss)
        return true; /* a full segment */
    if (n == unsent) {
        /* The end of what was written. Nagle holds a short segment while
         * data is unacknowledged; we use Minshall's refinement (as Linux):
         * only while a short segment is, so the tail of a large write goes
         * at once and small writes still coalesce. Never with no-delay, or
         * when it carries the FIN (the close pushes it, as Linux does). */
        return idle || fin || (tcb->flags & SK_TCB_NODELAY) || !sk_snd_small_in_flight(tcb);
    }
    /* Less than the data waiting, the peer's window allows no more: send
     * when it is at least half the largest window the peer offered (Fs =
     * 1/2). With nothing in flight no ACK will come to open it further, so
     * the override timeout is zero then. */
    return idle || n >= tcb->max_snd_wnd / 2;
}

/* Sends one segment chosen by loss recovery (snd.h). @return false when
 * it could not go. */
static bool send_rxt(sk_tcb *tcb, const sk_snd_next *nx)
{
    uint32_t data_end = tcb->snd_una + tcb->snd.len;
    /* The FIN sits at data_end; resend it with the last data, or alone. */
    bool fin = (tcb->flags & SK_TCB_FIN_SENT) && nx->seq + nx->len == data_end;
    if (nx->len == 0 && !fin)
        return false;
    uint8_t flags = SK_TCP_ACK;
    if (nx->len > 0 && nx->seq + nx->len == data_end)
        flags |= SK_TCP_PSH;
    if (fin)
        flags |= SK_TCP_FIN;
    tcb->tcp->ctx->stats.tcp_retransmits++;
    if (tcb_send(tcb, nx->seq, flags, NULL, nx->seq - tcb->snd_una, nx->len) < 0)
        return false;
    /* Karn's rule (RFC 6298 3): a timed segment sent again times nothing. */
    if ((tcb->flags & SK_TCB_RTT_TIMING) &&
        sk_seq_in(tcb->rtt_seq, nx->seq, nx->seq + nx->len + (fin ? 1 : 0)))
        tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
    sk_snd_sent(tcb, nx->seq, nx->len + (fin ? 1 : 0), nx);
    if (!sk_timer_armed(&tcb->rtx_timer))
        sk_tcb_arm_rtx(tcb);
    return true;
}

/* Sends the next segment from SND.NXT: new data, or after a timeout the
 * data sent before, in order, skipping what the peer SACKed (RFC 6675
 * 5.1). Limited by the peer's window, the congestion window, the MSS,
 * Nagle and SWS avoidance; the FIN follows the last byte and needs no
 * window. @return true if a segment went and another may follow. */
static bool send_next(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    uint32_t data_end = tcb->snd_una + tcb->snd.len;
    uint32_t limit = data_end; /* where this segment must end at the latest */
    bool again = sk_seq_lt(tcb->snd_nxt, tcb->snd_max);
    if (again) {
        sk_range r;
        if (sk_snd_sacked_from(tcb, tcb->snd_nxt, &r)) {
            if (sk_seq_le(r.left, tcb->snd_nxt)) {
                tcb->snd_nxt = r.right; /* the peer has it: skip */
                return true;
            }
            if (sk_seq_lt(r.left, limit))
                limit = r.left;
        }
    }
    uint32_t off = tcb->snd_nxt - tcb->snd_una;
    uint32_t unsent = sk_seq_lt(tcb->snd_nxt, data_end) ? data_end - tcb->snd_nxt : 0;
    uint32_t n = sk_seq_lt(tcb->snd_nxt, limit) ? limit - tcb->snd_nxt : 0;
    uint32_t wnd_end = tcb->snd_una + tcb->snd_wnd;
    uint32_t usable = sk_seq_lt(tcb->snd_nxt, wnd_end) ? wnd_end - tcb->snd_nxt : 0;
    if (n > usable)
        n = usable;
    if (n > tcb->snd_mss)
        n = tcb->snd_mss;
    /* The congestion window (RFC 5681): whole segments only; what it holds
     * back goes when an ACK opens it (cwnd >= 1 SMSS, so one will come). */
    if (n > sk_snd_cwnd_room(tcb))
        return false;
    /* The FIN follows the last byte and needs no window. Once sent, SND.NXT
     * is past data_end, so it goes again only as a retransmission. */
    bool fin = (tcb->flags & SK_TCB_FIN_QUEUED) && n == unsent && tcb->snd_nxt + n == data_end;
    if (n == 0 && !fin)
        return false;
    if (n > 0 && !again && !may_send_new(tcb, n, unsent, fin))
        return false;
    uint8_t flags = SK_TCP_ACK;
    if (n > 0 && n == unsent)
        flags |= SK_TCP_PSH; /* the last segment of a write (RFC 9293 3.9.1.2) */
    if (fin)
        flags |= SK_TCP_FIN;
    if (again)
        tcp->ctx->stats.tcp_retransmits++;
    else
        sk_snd_before_send(tcb); /* restart after idle (RFC 5681 4.1) */
    if (tcb_send(tcb, tcb->snd_nxt, flags, NULL, off, n) < 0)
        return false;
    /* Karn's rule (RFC 6298 3): time only new data, never a retransmission. */
    if (!(tcb->flags & SK_TCB_RTT_TIMING) && !again && tcb->rtx_count == 0) {
        tcb->flags |= SK_TCB_RTT_TIMING;
        tcb->rtt_seq = tcb->snd_nxt;
        tcb->rtt_start = tcp->ctx->now;
    }
    sk_snd_sent(tcb, tcb->snd_nxt, n, NULL);
    tcb->snd_nxt += n + (fin ? 1 : 0);
    if (fin)
        tcb->flags |= SK_TCB_FIN_SENT;
    if (sk_seq_gt(tcb->snd_nxt, tcb->snd_max))
        tcb->snd_max = tcb->snd_nxt;
    if (!sk_timer_armed(&tcb->rtx_timer) || (tcb->flags & SK_TCB_PERSIST)) {
        tcb->flags &= (uint16_t)~SK_TCB_PERSIST;
        sk_tcb_arm_rtx(tcb);
    }
    return !fin;
}

/* Sends what loss recovery owes and then new data as the windows allow,
 * the FIN once all data is out, and a pure ACK if one is owed. */
void sk_tcp_output(sk_tcb *tcb)
{
    if (can_send_data(tcb)) {
        for (;;) {
            sk_snd_next nx;
            if (sk_snd_pick_rxt(tcb, &nx, false)) {
                if (!send_rxt(tcb, &nx))
                    break;
                continue;
            }
            if (send_next(tcb))
                continue;
            /* No new data went: RFC 6675 NextSeg rules (3) and (4) apply. */
            if (!sk_snd_pick_rxt(tcb, &nx, true) || !send_rxt(tcb, &nx))
                break;
        }
        /* Data waits and the window is shut with nothing in flight: probe
         * (RFC 9293 3.8.6.1) on the persist timer. */
        uint32_t data_end = tcb->snd_una + tcb->snd.len;
        if (tcb->snd_wnd == 0 && sk_seq_lt(tcb->snd_nxt, data_end) &&
            tcb->snd_una == tcb->snd_nxt && !sk_timer_armed(&tcb->rtx_timer)) {
            tcb->flags |= SK_TCB_PERSIST;
            sk_tcb_arm_rtx(tcb);
        }
    }
    if (tcb->flags & SK_TCB_ACK_NOW)
        sk_tcp_send_ack(tcb);
}
