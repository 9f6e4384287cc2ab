#include "opts.h"

#include <string.h>

#include "crypto/siphash.h"
#include "tcp/recv.h"
#include "wire/seq.h"

#define WSCALE_MAX 14 /* RFC 7323 2.3 */

uint8_t sk_opts_rcv_wscale(const sk_tcp *tcp)
{
    uint8_t shift = 0;
    while (shift < WSCALE_MAX && (tcp->cfg->tcp_rcvbuf >> shift) > 65535)
        shift++;
    return shift;
}

/* RFC 7323 7.1: a per-connection random offset keeps the clock behind
 * TSval from the peer; a keyed hash of the 4-tuple (tag 'T') makes it
 * random to an observer and the same for every incarnation of a tuple, so
 * the TSvals of a new incarnation follow the old one's (RFC 6191). */
static uint32_t ts_offset(const sk_tcb *tcb)
{
    uint8_t b[13];
    memcpy(b, &tcb->c.laddr, 4);
    memcpy(b + 4, &tcb->c.raddr, 4);
    memcpy(b + 8, &tcb->c.lport, 2);
    memcpy(b + 10, &tcb->c.rport, 2);
    b[12] = 'T';
    return (uint32_t)sk_siphash24(tcb->tcp->key, b, sizeof(b));
}

uint32_t sk_opts_tsval_at(const sk_tcp *tcp, uint32_t offset)
{
    /* RFC 7323 5.4: a clock between 1 ms and 1 s per tick; 1 ms. */
    return (uint32_t)(tcp->ctx->now / 1000000u) + offset;
}

uint32_t sk_opts_tsval(const sk_tcb *tcb)
{
    return sk_opts_tsval_at(tcb->tcp, tcb->ts_offset);
}

uint64_t sk_opts_ts_rtt_ns(const sk_tcb *tcb, uint32_t tsecr)
{
    return (uint64_t)(uint32_t)(sk_opts_tsval(tcb) - tsecr) * 1000000u;
}

void sk_opts_syn(sk_tcb *tcb, sk_tcp_opts *o)
{
    const synack_config *cfg = tcb->tcp->cfg;
    /* In SYN-SENT we offer what the config allows; a SYN-ACK answers only
     * what the peer's SYN offered (RFC 7323 2.2, 3.2; RFC 2018 2). */
    bool offer = tcb->state == SYNACK_TCP_SYN_SENT;
    tcb->ts_offset = ts_offset(tcb);
    if (offer ? cfg->tcp_window_scaling : (tcb->topts & SK_TOPT_WS) != 0) {
        o->has_wscale = true;
        o->wscale = sk_opts_rcv_wscale(tcb->tcp);
    }
    if (offer ? cfg->tcp_timestamps : (tcb->topts & SK_TOPT_TS) != 0) {
        o->has_ts = true;
        o->tsval = sk_opts_tsval(tcb);
        o->tsecr = offer ? 0 : tcb->ts_recent;
    }
    if (offer ? cfg->tcp_sack : (tcb->topts & SK_TOPT_SACK) != 0)
        o->sack_permitted = true;
}

void sk_opts_negotiate(sk_tcb *tcb, const sk_tcp_opts *o)
{
    const synack_config *cfg = tcb->tcp->cfg;
    tcb->topts = 0;
    tcb->snd_wscale = 0;
    tcb->rcv_wscale = 0;
    if (cfg->tcp_window_scaling && o->has_wscale) {
        tcb->topts |= SK_TOPT_WS;
        /* RFC 7323 2.3: a shift above 14 is used as 14. */
        tcb->snd_wscale = o->wscale < WSCALE_MAX ? o->wscale : WSCALE_MAX;
        tcb->rcv_wscale = sk_opts_rcv_wscale(tcb->tcp);
    }
    if (cfg->tcp_timestamps && o->has_ts) {
        tcb->topts |= SK_TOPT_TS;
        tcb->ts_recent = o->tsval; /* RFC 7323 4.3 (1) */
        /* Every segment now carries 12 option bytes the MSS did not count
         * (RFC 6691): our data shrinks to keep segments within the MTU. */
        if (tcb->snd_mss > 64 + SK_OPTS_TS_LEN)
            tcb->snd_mss = (uint16_t)(tcb->snd_mss - SK_OPTS_TS_LEN);
    }
    if (cfg->tcp_sack && o->sack_permitted)
        tcb->topts |= SK_TOPT_SACK;
}

bool sk_opts_input(sk_tcb *tcb, sk_seg *s)
{
    if (!(tcb->topts & SK_TOPT_SACK))
        s->o.nsack = 0;
    if (!(tcb->topts & SK_TOPT_TS))
        s->o.has_ts = false;
    /* RFC 7323 2.2: the window in a SYN is never scaled. */
    s->wnd = (s->h.flags & SK_TCP_SYN) ? s->h.win : (uint32_t)s->h.win << tcb->snd_wscale;
    /* RFC 7323 5.3 R1: a segment with SEG.TSval < TS.Recent is an old
     * duplicate, unless it is a RST. (RFC 7323 3.2 lets a receiver drop
     * segments without timestamps; like Linux we take them.) */
    if (s->o.has_ts && !(s->h.flags & SK_TCP_RST) && sk_seq_lt(s->o.tsval, tcb->ts_recent))
        return false;
    return true;
}

void sk_opts_ts_update(sk_tcb *tcb, const sk_seg *s, uint32_t seq)
{
    if (!s->o.has_ts)
        return;
    const sk_rcv *r = sk_rcv_of(tcb);
    uint32_t last_ack_sent = r ? r->last_ack : tcb->rcv_nxt;
    if (sk_seq_ge(s->o.tsval, tcb->ts_recent) && sk_seq_le(seq, last_ack_sent))
        tcb->ts_recent = s->o.tsval;
}

void sk_opts_segment(sk_tcb *tcb, sk_tcp_opts *o, uint32_t len)
{
    memset(o, 0, sizeof *o);
    /* RFC 6691: payload and options together stay within the MSS the peer
     * announced (snd_mss is that, less the timestamps it always carries),
     * which also keeps the segment within our MTU. */
    uint32_t limit = tcb->snd_mss + ((tcb->topts & SK_TOPT_TS) ? SK_OPTS_TS_LEN : 0u);
    uint32_t room = len < limit ? limit - len : 0;
    if (room > 40)
        room = 40;
    if (tcb->topts & SK_TOPT_TS) {
        o->has_ts = true;
        o->tsval = sk_opts_tsval(tcb);
        o->tsecr = tcb->ts_recent;
        room = room > SK_OPTS_TS_LEN ? room - SK_OPTS_TS_LEN : 0;
    }
    const sk_rcv *r = sk_rcv_of(tcb);
    if ((tcb->topts & SK_TOPT_SACK) && r && r->reass && room >= 12) {
        /* NOP, NOP, kind, length, then 8 bytes a block (RFC 2018 3). */
        size_t max = (room - 4) / 8;
        o->nsack = (uint8_t)sk_reass_sack_blocks(r->reass, tcb->rcv_nxt, o->sack, max, true);
    }
}
