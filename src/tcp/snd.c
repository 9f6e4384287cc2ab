/* Send-side control: congestion window, duplicate ACKs, fast retransmit,
 * NewReno (RFC 5681 3.2, RFC 6582) and SACK-based loss recovery (RFC 6675).
 * See snd.h for the sequence space and who calls what. */
#include "tcp/snd.h"

#include "wire/seq.h"

static const sk_cc_ops *cc_ops(synack_cc_algo algo)
{
    return algo == SYNACK_CC_NEWRENO ? &sk_cc_newreno : &sk_cc_cubic;
}

/* RFC 6928 by default, or the configured number of segments. */
static uint32_t initial_window(const sk_tcb *tcb)
{
    uint32_t mss = tcb->snd_mss;
    uint16_t n = tcb->tcp->cfg->tcp_initial_cwnd;
    return n ? n * mss : sk_cc_iw_rfc6928(mss);
}

int sk_snd_reserve(sk_tcb *tcb)
{
    if (sk_snd_of(tcb))
        return 0;
    sk_tcp *tcp = tcb->tcp;
    if (sk_buf_reserve_extra(&tcb->snd, tcp->ctx, (uint32_t)sizeof(sk_snd)) < 0)
        return SYNACK_ERR_NOMEM;
    sk_snd *snd = sk_snd_of(tcb);
    /* RFC 5681 3.1: "If the SYN or SYN/ACK is lost, the initial window
     * used by a sender after a correctly transmitted SYN MUST be one
     * segment consisting of at most SMSS bytes." */
    uint32_t iw = (tcb->cc_algo & SK_CC_SYN_RTX) ? tcb->snd_mss : initial_window(tcb);
    sk_cc_init(&snd->cc, cc_ops((synack_cc_algo)(tcb->cc_algo & SK_CC_ALGO_MASK)), tcb->snd_mss,
               iw);
    sk_rangeset_init(&snd->sacked, snd->ranges, SK_SND_SACK_RANGES);
    snd->recover = tcb->snd_una;
    snd->high_rxt = tcb->snd_una;
    snd->sml_end = tcb->snd_una;
    snd->last_send = tcp->ctx->now;
    return 0;
}

void sk_snd_set_cc(sk_tcb *tcb, synack_cc_algo algo)
{
    tcb->cc_algo = (uint8_t)((tcb->cc_algo & ~SK_CC_ALGO_MASK) | (unsigned)algo);
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd || snd->cc.ops == cc_ops(algo))
        return;
    uint32_t cwnd = snd->cc.cwnd, ssthresh = snd->cc.ssthresh;
    sk_cc_init(&snd->cc, cc_ops(algo), tcb->snd_mss, cwnd);
    snd->cc.ssthresh = ssthresh;
}

/* ---- the scoreboard (RFC 6675 4) ---- */

/* RFC 6675 Update(): records the SACK blocks of an acceptable ACK. Blocks
 * are checked against [SND.UNA, SND.MAX): a D-SACK (RFC 2883: below the
 * cumulative ACK) and anything forged or stale adds nothing.
 * @return bytes SACKed for the first time. */
static uint32_t scoreboard_update(sk_tcb *tcb, sk_snd *snd, const sk_seg *s)
{
    sk_rangeset_remove_below(&snd->sacked, tcb->snd_una);
    uint32_t fresh = 0;
    for (uint8_t i = 0; i < s->o.nsack; i++) {
        uint32_t l = s->o.sack[i].left, r = s->o.sack[i].right;
        if (!sk_seq_lt(l, r) || sk_seq_le(r, tcb->snd_una) || sk_seq_gt(r, tcb->snd_max))
            continue;
        if (sk_seq_lt(l, tcb->snd_una))
            l = tcb->snd_una;
        uint32_t had = sk_rangeset_covered(&snd->sacked, l, r);
        if (had == r - l)
            continue;
        if (sk_rangeset_add(&snd->sacked, l, r) < 0) {
            tcb->tcp->ctx->stats.tcp_sack_blocks_ignored++;
            continue;
        }
        fresh += (r - l) - had;
    }
    return fresh;
}

/* RFC 6675 IsLost() for the whole scoreboard at once: an unSACKed octet is
 * lost when DupThresh discontiguous SACKed ranges, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, lie above it. That holds for every
 * hole below some range; @return that range's left edge (SND.UNA when
 * nothing is lost): the unSACKed octets before it are the lost ones. */
static uint32_t lost_below(const sk_tcb *tcb, const sk_snd *snd)
{
    uint16_t n = sk_rangeset_count(&snd->sacked);
    uint32_t bytes = 0;
    for (uint16_t k = n; k > 0; k--) {
        const sk_range *r = sk_rangeset_at(&snd->sacked, (uint16_t)(k - 1));
        bytes += r->right - r->left;
        if (n - (k - 1) >= SK_SND_DUPTHRESH ||
            bytes > (uint32_t)(SK_SND_DUPTHRESH - 1) * tcb->snd_mss)
            return r->left;
    }
    return tcb->snd_una;
}

/* Unsacked bytes in [SND.UNA, @p end). */
static uint32_t unsacked_below(const sk_tcb *tcb, const sk_snd *snd, uint32_t end)
{
    if (!sk_seq_gt(end, tcb->snd_una))
        return 0;
    return (end - tcb->snd_una) - sk_rangeset_covered(&snd->sacked, tcb->snd_una, end);
}

/* RFC 6675 SetPipe(): octets in flight. Every unSACKed octet not lost
 * (at or above @p lost, from lost_below()) counts once, and once more if
 * recovery retransmitted it (below HighRxt). */
static uint32_t pipe_from(const sk_tcb *tcb, const sk_snd *snd, uint32_t lost)
{
    uint32_t rxt_end = sk_seq_lt(snd->high_rxt, tcb->snd_max) ? snd->high_rxt : tcb->snd_max;
    return unsacked_below(tcb, snd, tcb->snd_max) - unsacked_below(tcb, snd, lost) +
           unsacked_below(tcb, snd, rxt_end);
}

static uint32_t pipe(const sk_tcb *tcb, const sk_snd *snd)
{
    return pipe_from(tcb, snd, lost_below(tcb, snd));
}

bool sk_snd_sacked_from(const sk_tcb *tcb, uint32_t seq, sk_range *out)
{
    const sk_snd *snd = sk_snd_of(tcb);
    if (!snd)
        return false;
    for (uint16_t i = 0; i < sk_rangeset_count(&snd->sacked); i++) {
        const sk_range *r = sk_rangeset_at(&snd->sacked, i);
        if (sk_seq_gt(r->right, seq)) {
            *out = *r;
            return true;
        }
    }
    return false;
}

/* The first unSACKed octet at or after @p seq (may be SND.MAX). */
static uint32_t first_unsacked(const sk_tcb *tcb, uint32_t seq)
{
    sk_range r;
    if (sk_snd_sacked_from(tcb, seq, &r) && sk_seq_le(r.left, seq))
        return r.right;
    return seq;
}

/* One segment of retransmission from @p seq: up to an SMSS, not into the
 * next SACKed range, not past SND.MAX (nor past the data: a FIN alone has
 * length 0 and output.c adds the flag). */
static void rxt_segment(const sk_tcb *tcb, uint32_t seq, sk_snd_next *out)
{
    uint32_t end = tcb->snd_max;
    uint32_t data_end = tcb->snd_una + tcb->snd.len;
    if (sk_seq_lt(data_end, end))
        end = data_end;
    sk_range r;
    if (sk_snd_sacked_from(tcb, seq, &r) && sk_seq_lt(r.left, end))
        end = r.left;
    uint32_t len = sk_seq_gt(end, seq) ? end - seq : 0;
    if (len > tcb->snd_mss)
        len = tcb->snd_mss;
    out->seq = seq;
    out->len = len;
    out->rxt = true;
    out->rescue = false;
}

/* RFC 6675 NextSeg (4): "one segment of upto SMSS octets that MUST include
 * the highest outstanding unSACKed sequence number": the up to SMSS
 * unSACKed octets that end there (the FIN alone when it is that number). */
static void rescue_segment(const sk_tcb *tcb, const sk_snd *snd, sk_snd_next *out)
{
    uint32_t hi = tcb->snd_max; /* one past the highest unSACKed octet */
    uint32_t floor = tcb->snd_una;
    uint16_t n = sk_rangeset_count(&snd->sacked);
    if (n > 0 && sk_rangeset_at(&snd->sacked, (uint16_t)(n - 1))->right == hi) {
        n--;
        hi = sk_rangeset_at(&snd->sacked, n)->left;
    }
    if (n > 0)
        floor = sk_rangeset_at(&snd->sacked, (uint16_t)(n - 1))->right;
    uint32_t data_end = tcb->snd_una + tcb->snd.len;
    if (sk_seq_gt(hi, data_end))
        hi = data_end; /* the FIN: rxt_segment gives it length 0 */
    rxt_segment(tcb, hi - floor > tcb->snd_mss ? hi - tcb->snd_mss : floor, out);
    out->rescue = true;
}

/* ---- entering and leaving a recovery ---- */

/* RFC 6937 3: on every ACK of a SACK recovery, the window becomes what
 * is in the pipe plus what may go now. Above ssthresh the sending follows
 * the delivery in the ratio ssthresh / RecoverFS (proportional rate
 * reduction); at or below it, slow start back up to ssthresh but never
 * more than one SMSS beyond what was delivered (PRR-SSRB). */
static void prr_ack(sk_tcb *tcb, sk_snd *snd, uint32_t delivered)
{
    uint32_t mss = tcb->snd_mss;
    snd->prr_delivered += delivered;
    uint64_t p = pipe(tcb, snd), ssthresh = snd->cc.ssthresh;
    int64_t sndcnt;
    if (p > ssthresh) {
        uint64_t fs = snd->recover_fs ? snd->recover_fs : 1;
        uint64_t due = (snd->prr_delivered * ssthresh + fs - 1) / fs;
        /* CEIL in whole segments, as Linux counts packets: a part of a
         * segment due lets the segment go (segments are what is sent). */
        due = (due + mss - 1) / mss * mss;
        sndcnt = (int64_t)due - (int64_t)snd->prr_out;
    } else {
        int64_t lim = (int64_t)snd->prr_delivered - (int64_t)snd->prr_out;
        if (lim < (int64_t)delivered)
            lim = (int64_t)delivered;
        lim += mss;
        sndcnt = (int64_t)(ssthresh - p) < lim ? (int64_t)(ssthresh - p) : lim;
    }
    if (sndcnt < 0)
        sndcnt = 0;
    uint64_t cwnd = p + (uint64_t)sndcnt;
    snd->cc.cwnd = cwnd > UINT32_MAX ? UINT32_MAX : (uint32_t)cwnd;
}

static void enter_recovery(sk_tcb *tcb, sk_snd *snd, uint32_t flight)
{
    sk_ctx *ctx = tcb->tcp->ctx;
    snd->recover = tcb->snd_max;
    snd->high_rxt = tcb->snd_una;
    snd->rxt_due = true; /* RFC 6675 (4.3), RFC 6582 step 3: resend SND.UNA now */
    snd->rescued = false;
    sk_cc_enter_recovery(&snd->cc, tcb->snd_mss, flight, ctx->now);
    /* RFC 6937 RecoverFS: the flight that ssthresh was taken from (without
     * Limited Transmit's segments, RFC 5681 3.2 (2); Linux: prior_cwnd). */
    snd->recover_fs = flight;
    snd->prr_delivered = 0;
    snd->prr_out = 0;
    if (tcb->topts & SK_TOPT_SACK) {
        /* RFC 6675 (4.2): cwnd = ssthresh; no inflation, the pipe counts
         * (with PRR, prr_ack() sets it on this ACK and each one after). */
        snd->cc.cwnd = snd->cc.ssthresh;
        snd->mode = SK_SND_SACK_RECOV;
        ctx->stats.tcp_sack_recoveries++;
    } else {
        snd->mode = SK_SND_RECOVERY;
        ctx->stats.tcp_fast_recoveries++;
    }
    /* Karn: a sample in flight may now be of a retransmitted segment. */
    tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
}

static void leave_recovery(sk_tcb *tcb, sk_snd *snd)
{
    bool prr = snd->mode == SK_SND_SACK_RECOV && tcb->tcp->cfg->tcp_prr;
    sk_cc_on_recovery_exit(&snd->cc, tcb->snd_mss, tcb->snd_max - tcb->snd_una, tcb->tcp->ctx->now);
    if (prr)
        snd->cc.cwnd = snd->cc.ssthresh; /* RFC 6937 3: "cwnd = ssthresh" at the end */
    snd->mode = SK_SND_OPEN;
    snd->dupacks = 0;
    snd->rxt_due = false;
}

void sk_snd_on_ack(sk_tcb *tcb, const sk_seg *s, uint32_t una_before, uint32_t flight_before,
                   uint32_t wnd_before, uint64_t rtt_ns)
{
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd)
        return;
    sk_ctx *ctx = tcb->tcp->ctx;
    uint32_t mss = tcb->snd_mss;
    uint32_t ack = s->h.ack;
    uint32_t acked = sk_seq_gt(ack, una_before) ? ack - una_before : 0;
    bool sack = (tcb->topts & SK_TOPT_SACK) != 0;
    uint32_t sacked_before = sk_rangeset_bytes(&snd->sacked);
    uint32_t fresh = sack ? scoreboard_update(tcb, snd, s) : 0;
    /* RFC 6937 DeliveredData: change in SND.UNA plus change in SACKed. */
    int64_t delivered = (int64_t)acked + sk_rangeset_bytes(&snd->sacked) - sacked_before;
    if (delivered < 0)
        delivered = 0;
    if (sk_seq_lt(snd->high_rxt, tcb->snd_una))
        snd->high_rxt = tcb->snd_una;

    /* A duplicate ACK: RFC 5681 2 (no data, no SYN/FIN, the same ACK and
     * window, data outstanding); with SACK, RFC 6675 2: an ACK that does not
     * advance SND.UNA and SACKs data not SACKed before. */
    bool outstanding = sk_seq_lt(tcb->snd_una, tcb->snd_max);
    bool dup = false;
    if (acked == 0 && ack == una_before && outstanding) {
        if (sack)
            dup = fresh > 0;
        else
            dup = s->len == 0 && !(s->h.flags & (SK_TCP_SYN | SK_TCP_FIN)) && s->wnd == wnd_before;
    }
    if (dup)
        ctx->stats.tcp_dupacks_in++;
    uint32_t rtt_us = (uint32_t)(rtt_ns / 1000 > UINT32_MAX ? UINT32_MAX : rtt_ns / 1000);

    switch ((enum sk_snd_mode)snd->mode) {
    case SK_SND_OPEN:
        if (acked) {
            snd->dupacks = 0; /* RFC 6675 5: reset when the cumulative ACK advances */
            sk_cc_on_ack(&snd->cc, acked, mss, flight_before, rtt_us, ctx->now);
            break;
        }
        if (!dup)
            break;
        if (snd->dupacks++ == 0)
            snd->lt_from = tcb->snd_max;
        /* RFC 5681 3.2 step 2 / RFC 6675 5 (1)-(2): the third duplicate ACK,
         * or SACKed data showing SND.UNA lost; RFC 6582 3.2 step 1: only when
         * the ACK covers more than `recover`, so that one window's losses
         * halve the window once. */
        if ((snd->dupacks >= SK_SND_DUPTHRESH ||
             (sack && sk_seq_gt(lost_below(tcb, snd), tcb->snd_una))) &&
            sk_seq_ge(tcb->snd_una, snd->recover)) {
            /* RFC 5681 3.2 (2): "additional data sent in limited transmit
             * MUST NOT be included in this calculation" of ssthresh. */
            enter_recovery(tcb, snd, snd->lt_from - una_before);
            if (snd->mode == SK_SND_SACK_RECOV && tcb->tcp->cfg->tcp_prr)
                prr_ack(tcb, snd, (uint32_t)delivered); /* "starting or during" */
        }
        break;
    case SK_SND_RECOVERY:
        if (dup) {
            sk_cc_on_dupack(&snd->cc, mss); /* RFC 6582 3.2 step 4 */
            break;
        }
        if (!acked)
            break;
        if (sk_seq_ge(ack, snd->recover)) {
            leave_recovery(tcb, snd); /* step 5, full acknowledgment */
        } else {
            /* Step 5, partial acknowledgment: the next hole is lost too. */
            sk_cc_on_partial_ack(&snd->cc, acked, mss);
            snd->rxt_due = true;
            ctx->stats.tcp_partial_acks++;
        }
        break;
    case SK_SND_SACK_RECOV:
        /* RFC 6675 5: cwnd stays at ssthresh (or PRR sets it, RFC 6937);
         * output.c sends as the pipe allows. The recovery ends with an ACK
         * of RecoveryPoint. */
        if (acked && sk_seq_ge(ack, snd->recover))
            leave_recovery(tcb, snd);
        else if (tcb->tcp->cfg->tcp_prr)
            prr_ack(tcb, snd, (uint32_t)delivered);
        break;
    case SK_SND_LOSS:
        /* Slow start after the timeout (RFC 5681 3.1). No fast retransmit
         * until SND.UNA passes what was sent before it (RFC 6582 3.2 step 1,
         * RFC 6675 5.1). */
        if (acked) {
            sk_cc_on_ack(&snd->cc, acked, mss, flight_before, rtt_us, ctx->now);
            if (sk_seq_ge(ack, snd->recover)) {
                snd->mode = SK_SND_OPEN;
                snd->dupacks = 0;
            }
        }
        break;
    }
    /* `recover` and HighRxt are compared with SND.UNA: keep them within
     * half the sequence space of it, or after 2^31 bytes without a loss an
     * old `recover` would read as ahead and forbid fast retransmit. */
    if (snd->mode == SK_SND_OPEN && sk_seq_lt(snd->recover, tcb->snd_una))
        snd->recover = tcb->snd_una;
}

void sk_snd_on_rto(sk_tcb *tcb)
{
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd)
        return;
    bool repeated = tcb->rtx_count > 0;
    sk_cc_on_rto(&snd->cc, tcb->snd_mss, tcb->snd_max - tcb->snd_una, repeated, tcb->tcp->ctx->now);
    snd->mode = SK_SND_LOSS;
    snd->recover = tcb->snd_max; /* RFC 6675 5.1, RFC 6582 3.2 */
    snd->high_rxt = tcb->snd_una;
    snd->dupacks = 0;
    snd->rxt_due = false;
    /* RFC 2018 8: a receiver may renege on what it SACKed; the go-back after
     * the timeout skips SACKed data once, and forgets the scoreboard when
     * the same segment times out again, so reneged data is sent at last.
     * But the segment at SND.UNA "MUST" go again at every timeout, SACKed
     * or not: a SACKed SND.UNA shows the receiver reneged (holding it, it
     * would have ACKed it; Linux's tcp_check_sack_reneging), so the
     * scoreboard goes at once then. */
    if (repeated || sk_rangeset_contains(&snd->sacked, tcb->snd_una))
        sk_rangeset_clear(&snd->sacked);
}

/* ---- what to send ---- */

bool sk_snd_pick_rxt(sk_tcb *tcb, sk_snd_next *out, bool no_new_data)
{
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd || !sk_seq_lt(tcb->snd_una, tcb->snd_max))
        return false;
    if ((snd->mode == SK_SND_RECOVERY || snd->mode == SK_SND_SACK_RECOV) && snd->rxt_due) {
        /* The fast retransmission (RFC 5681 3.2 step 4, RFC 6675 (4.3)) and
         * NewReno's after a partial ACK go whatever the window says. */
        rxt_segment(tcb, tcb->snd_una, out);
        if (out->len > 0 ||
            ((tcb->flags & SK_TCB_FIN_SENT) && out->seq == tcb->snd_una + tcb->snd.len))
            return true;
        snd->rxt_due = false; /* nothing there to resend: never block new data */
    }
    if (snd->mode != SK_SND_SACK_RECOV)
        return false;
    /* RFC 6675 5 (C): while cwnd - pipe >= 1 SMSS, NextSeg(). */
    uint32_t lost = lost_below(tcb, snd);
    if (snd->cc.cwnd < pipe_from(tcb, snd, lost) + tcb->snd_mss)
        return false;
    /* Rule (1): the first unSACKed octet above HighRxt that is lost. */
    uint32_t s2 = first_unsacked(tcb, snd->high_rxt);
    if (sk_seq_lt(s2, lost)) {
        rxt_segment(tcb, s2, out);
        return out->len > 0;
    }
    /* Rule (2): new data, if the peer's window lets some out: output.c. */
    uint32_t data_end = tcb->snd_una + tcb->snd.len;
    uint32_t wnd_end = tcb->snd_una + tcb->snd_wnd;
    if (!no_new_data && sk_seq_lt(tcb->snd_nxt, data_end) && sk_seq_lt(tcb->snd_nxt, wnd_end))
        return false;
    /* Rule (3): an unSACKed octet above HighRxt below the highest SACKed. */
    const sk_range *top = sk_rangeset_last(&snd->sacked);
    if (top && sk_seq_lt(s2, top->left)) {
        rxt_segment(tcb, s2, out);
        return out->len > 0;
    }
    /* Rule (4): once a recovery, the highest unSACKed segment, so that a
     * loss at the end of the window with nothing new to send waits for no
     * timeout ("RescueRxt" is RecoveryPoint once it went: a flag). */
    if (!snd->rescued) {
        snd->rescued = true;
        rescue_segment(tcb, snd, out);
        bool fin = (tcb->flags & SK_TCB_FIN_SENT) && out->seq == data_end;
        return out->len > 0 || fin;
    }
    return false;
}

uint32_t sk_snd_cwnd_room(const sk_tcb *tcb)
{
    const sk_snd *snd = sk_snd_of(tcb);
    if (!snd)
        return UINT32_MAX;
    uint32_t flight;
    if (snd->mode == SK_SND_SACK_RECOV)
        flight = pipe(tcb, snd);
    else /* after a timeout, what went before SND.NXT is presumed lost */
        flight = unsacked_below(tcb, snd, tcb->snd_nxt);
    uint32_t cwnd = snd->cc.cwnd;
    /* Limited Transmit (RFC 3042 2, RFC 5681 3.2 (1)): each of the first two
     * duplicate ACKs lets one new segment out, "provided that ... the
     * outstanding data remains less than or equal to the congestion window
     * plus 2*SMSS". With SACK the scoreboard does this already: what the
     * duplicate ACK SACKed leaves the flight. */
    if (snd->mode == SK_SND_OPEN && !(tcb->topts & SK_TOPT_SACK) &&
        tcb->tcp->cfg->tcp_limited_transmit)
        cwnd += (snd->dupacks < 2 ? snd->dupacks : 2) * (uint32_t)tcb->snd_mss;
    return cwnd > flight ? cwnd - flight : 0;
}

void sk_snd_sent(sk_tcb *tcb, uint32_t seq, uint32_t len, const sk_snd_next *rxt)
{
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd)
        return;
    snd->last_send = tcb->tcp->ctx->now;
    if (snd->mode == SK_SND_SACK_RECOV)
        snd->prr_out += len; /* RFC 6937: everything sent during the recovery */
    if (!rxt) {
        if (len < tcb->snd_mss)
            snd->sml_end = seq + len;
        return;
    }
    snd->rxt_due = false;
    if (rxt->rescue)
        return; /* RFC 6675 NextSeg (4): "HighRxt MUST NOT be updated" */
    uint32_t end = seq + (len ? len : 1);
    if (sk_seq_gt(end, snd->high_rxt))
        snd->high_rxt = end;
}

void sk_snd_before_send(sk_tcb *tcb)
{
    sk_snd *snd = sk_snd_of(tcb);
    if (!snd || tcb->snd_una != tcb->snd_max)
        return;
    /* RFC 5681 4.1: idle for longer than an RTO, the ACK clock is gone. */
    uint64_t now = tcb->tcp->ctx->now;
    if (now - snd->last_send > (uint64_t)tcb->rto_us * 1000)
        sk_cc_on_idle(&snd->cc, initial_window(tcb), now);
}

bool sk_snd_small_in_flight(const sk_tcb *tcb)
{
    const sk_snd *snd = sk_snd_of(tcb);
    /* tcp_minshall_check: after SND.UNA and not after SND.NXT, so that a
     * value left 2^31 bytes behind never reads as in flight. */
    return snd && sk_seq_gt(snd->sml_end, tcb->snd_una) && sk_seq_le(snd->sml_end, tcb->snd_nxt);
}
