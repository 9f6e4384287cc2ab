/* The retransmission timer (RFC 6298), which also serves as the persist
 * timer (RFC 9293 3.8.6.1), the TIME-WAIT timer (RFC 9293 3.6) and the
 * keep-alive timer (RFC 1122 4.2.3.6): a connection never needs two of
 * them at once. */
#include "tcp/snd.h"
#include "tcp/tcp.h"
#include "wire/seq.h"

static uint64_t rto_ns(const sk_tcb *tcb)
{
    const synack_config *cfg = tcb->tcp->cfg;
    uint64_t rto = (uint64_t)tcb->rto_us * 1000;
    /* RFC 6298 5.5: back off by doubling, up to the maximum. */
    for (unsigned i = 0; i < tcb->backoff && rto < cfg->tcp_rto_max_ns; i++)
        rto *= 2;
    return rto > cfg->tcp_rto_max_ns ? cfg->tcp_rto_max_ns : rto;
}

void sk_tcb_arm_rtx(sk_tcb *tcb)
{
    sk_wheel_arm(tcb->tcp->wheel, &tcb->rtx_timer, tcb->tcp->ctx->now + rto_ns(tcb));
}

/* RFC 6298 2.2 and 2.3, with alpha = 1/8 and beta = 1/4, K = 4, G = the
 * timer tick; then clamped to [rto_min, rto_max] (2.4, 2.5). */
void sk_tcb_rto_sample(sk_tcb *tcb, uint64_t rtt_ns)
{
    const synack_config *cfg = tcb->tcp->cfg;
    uint64_t r = rtt_ns / 1000;
    if (r == 0)
        r = 1;
    if (r > UINT32_MAX)
        r = UINT32_MAX;
    if (tcb->srtt_us == 0) {
        tcb->srtt_us = (uint32_t)r;
        tcb->rttvar_us = (uint32_t)(r / 2);
    } else {
        uint64_t delta = r > tcb->srtt_us ? r - tcb->srtt_us : tcb->srtt_us - r;
        tcb->rttvar_us = (uint32_t)((3 * (uint64_t)tcb->rttvar_us + delta) / 4);
        tcb->srtt_us = (uint32_t)((7 * (uint64_t)tcb->srtt_us + r) / 8);
    }
    uint64_t g = cfg->timer_tick_ns / 1000;
    uint64_t k = 4 * (uint64_t)tcb->rttvar_us;
    uint64_t rto = tcb->srtt_us + (k > g ? k : g);
    uint64_t lo = cfg->tcp_rto_min_ns / 1000, hi = cfg->tcp_rto_max_ns / 1000;
    if (rto < lo)
        rto = lo;
    if (rto > hi)
        rto = hi;
    tcb->rto_us = (uint32_t)rto;
}

/* Brings the timer forward to @p deadline if it would fire later: a time
 * to give up at (RFC 1122 4.2.3.5 R2) is kept to the tick, not overshot by
 * a backed-off RTO of up to tcp_rto_max. */
static void clamp_rtx(sk_tcb *tcb, uint64_t deadline)
{
    if (tcb->rtx_timer.expiry > deadline)
        sk_wheel_arm(tcb->tcp->wheel, &tcb->rtx_timer, deadline);
}

static void time_out(sk_tcb *tcb)
{
    tcb->tcp->ctx->stats.tcp_conn_timed_out++;
    /* RFC 1122 4.2.3.9: a soft ICMP error is reported when the connection
     * gives up; it says more than "timed out". */
    sk_tcb_close(tcb,
                 (tcb->flags & SK_TCB_SOFT_ERR) ? SYNACK_ERR_HOSTUNREACH : SYNACK_ERR_TIMEDOUT);
}

/* ---- Keep-alive (RFC 1122 4.2.3.6, RFC 9293 3.8.4) ----
 *
 * Keep-alive needs the timer only while it is otherwise idle: with data
 * outstanding or waiting behind a zero window, retransmission or the
 * persist probes find out whether the peer is there. So it shares the
 * rtx timer: armed when everything is acknowledged (instead of stopping
 * it), it fires `tcp_keepalive_idle_ns` after the last segment received
 * (tcb->last_rx, stored on every segment with an acceptable ACK: no timer
 * work per segment; a timer that finds it moved re-arms itself from it). Unanswered probes are
 * counted in `backoff` (the RTO's exponent, 0 once all is acknowledged:
 * ack_advance) and the last one's time kept in `rtt_start` (read only while
 * a segment is timed, and none is with nothing outstanding). */

/* Whether keep-alive may hold the rtx timer: it is on, nothing is
 * outstanding, no persist, and the state is one Linux probes in
 * (tcp_keepalive_timer): ESTABLISHED, CLOSE-WAIT, and FIN-WAIT-2 while the
 * user holds the connection (half-closed; once released, FIN-WAIT-2 has
 * its own 2 MSL limit). An armed timer is then keep-alive's. */
static bool keepalive_may_run(const sk_tcb *tcb)
{
    if ((tcb->flags & (SK_TCB_KEEPALIVE | SK_TCB_PERSIST)) != SK_TCB_KEEPALIVE ||
        tcb->snd_una != tcb->snd_max)
        return false;
    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_ESTABLISHED:
    case SYNACK_TCP_CLOSE_WAIT:
        return true;
    case SYNACK_TCP_FIN_WAIT_2:
        return !(tcb->flags & SK_TCB_RELEASED);
    default:
        return false;
    }
}

/* ... and nothing waits to be sent either: keep-alive runs the timer. */
static bool keepalive_applies(const sk_tcb *tcb)
{
    return keepalive_may_run(tcb) && tcb->snd.len == 0;
}

void sk_tcb_timer_idle(sk_tcb *tcb)
{
    sk_tcp *tcp = tcb->tcp;
    if (keepalive_applies(tcb)) {
        /* RFC 1122 4.2.3.6: a probe only after "no data or acknowledgement
         * packets have been received for the connection within an interval". */
        tcb->backoff = 0; /* from here on it counts unanswered probes */
        sk_wheel_arm(tcp->wheel, &tcb->rtx_timer, tcb->last_rx + tcp->cfg->tcp_keepalive_idle_ns);
    } else {
        sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
    }
}

void sk_tcb_keepalive_yield(sk_tcb *tcb)
{
    if (keepalive_may_run(tcb)) {
        sk_wheel_cancel(tcb->tcp->wheel, &tcb->rtx_timer);
        tcb->backoff = 0; /* probes counted here; the RTO starts unbacked */
    }
}

static void keepalive_timer(sk_tcb *tcb, uint64_t now)
{
    sk_tcp *tcp = tcb->tcp;
    const synack_config *cfg = tcp->cfg;
    if (!keepalive_applies(tcb)) {
        /* Something to send after all (the write should have taken the
         * timer: sk_tcb_keepalive_yield): sending arms what it needs. */
        if (tcb->flags & SK_TCB_KEEPALIVE) {
            tcb->backoff = 0;
            sk_tcp_output(tcb);
        }
        return;
    }
    if (now - tcb->last_rx < cfg->tcp_keepalive_idle_ns) {
        /* Something came meanwhile: it answered any probe; wait from it. */
        tcb->backoff = 0;
        sk_tcb_timer_idle(tcb);
        return;
    }
    /* Still idle past the limit, yet something came after the last probe
     * (possible when intvl > idle): that probe was answered, count anew. */
    if (tcb->backoff > 0 && tcb->last_rx > tcb->rtt_start)
        tcb->backoff = 0;
    if (tcb->backoff >= cfg->tcp_keepalive_probes) {
        /* RFC 1122 4.2.3.6: a dead peer is concluded from several
         * unanswered probes, never from one (tcp_keepalive_probes >= 2).
         * Like Linux (tcp_keepalive_timer: tcp_send_active_reset, then
         * tcp_write_err) and BSD (tcp_drop), tell the peer with a RST in
         * case only its answers were lost, and report the error. */
        tcp->ctx->stats.tcp_keepalive_drops++;
        sk_tcp_send_rst_tcb(tcb);
        time_out(tcb);
        return;
    }
    tcp->ctx->stats.tcp_keepalive_probes++;
    sk_tcp_send_keepalive(tcb);
    tcb->backoff++;
    tcb->rtt_start = now;
    sk_wheel_arm(tcp->wheel, &tcb->rtx_timer, now + cfg->tcp_keepalive_intvl_ns);
}

/* Whether the wait that started one RTO (not backed off) before the
 * first expiry, or at the last sign of the peer's progress (first_rtx,
 * cleared by input.c), has lasted tcp_user_timeout_ns. */
static bool user_timed_out(sk_tcb *tcb, uint64_t now)
{
    if (tcb->first_rtx == 0)
        tcb->first_rtx = now - rto_ns(tcb);
    return now - tcb->first_rtx >= tcb->tcp->cfg->tcp_user_timeout_ns;
}

void sk_tcp_rtx_timer_fn(sk_timer *t, uint64_t now)
{
    sk_tcb *tcb = SK_TCB_FROM_TIMER(t);
    sk_tcp *tcp = tcb->tcp;
    const synack_config *cfg = tcp->cfg;

    switch ((synack_tcp_state)tcb->state) {
    case SYNACK_TCP_TIME_WAIT:
        /* RFC 9293 3.10.8: the 2 MSL timeout deletes the TCB. */
        sk_tcb_close(tcb, 0);
        return;
    case SYNACK_TCP_FIN_WAIT_2:
        /* Released and the peer never sent its FIN: the RFC would wait
         * forever; like BSD and Linux we give up after 2 MSL. */
        if (tcb->flags & SK_TCB_RELEASED)
            sk_tcb_close(tcb, 0);
        else
            keepalive_timer(tcb, now); /* half-closed and held: probe */
        return;
    case SYNACK_TCP_SYN_SENT:
    case SYNACK_TCP_SYN_RCVD:
        /* RFC 1122 4.2.3.5: give up an open after R2 for SYN. */
        if (now - tcb->opened_at >= cfg->tcp_syn_timeout_ns) {
            time_out(tcb);
            return;
        }
        tcp->ctx->stats.tcp_timeouts++;
        tcp->ctx->stats.tcp_retransmits++;
        if (tcb->backoff < 30)
            tcb->backoff++;
        tcb->rtx_count++;
        /* Karn: the SYN's RTT is unknown once it was sent twice. */
        tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
        tcb->cc_algo |= SK_CC_SYN_RTX;
        /* RFC 1122 4.2.3.5: negative advice to the IP layer; a SYN going
         * unanswered may be a stale link-layer mapping. At every second
         * retransmission: one lost SYN is most likely just lost, and each
         * new resolution delays what waits for it (more so on a lossy link);
         * but a resolution can go wrong too, so it is asked again later. */
        if (tcb->rtx_count % 2 == 0)
            sk_net_negative_advice(tcp->net, tcb->c.raddr);
        sk_tcp_send_syn(tcb);
        sk_tcb_arm_rtx(tcb);
        clamp_rtx(tcb, tcb->opened_at + cfg->tcp_syn_timeout_ns);
        return;
    default:
        break;
    }

    if (tcb->flags & SK_TCB_PERSIST) {
        /* RFC 9293 3.8.6.1: probe the zero window. The probe is a segment
         * with an old sequence number and no data (SEG.SEQ = SND.UNA - 1):
         * the peer must answer with an ACK carrying its window, and a
         * forged window cannot make us push data it never asked for. */
        if (tcb->snd_wnd != 0 || tcb->snd.len == 0) {
            tcb->flags &= (uint16_t)~SK_TCB_PERSIST;
            tcb->backoff = 0;
            sk_tcp_output(tcb);
            return;
        }
        /* RFC 1122 4.2.2.17 keeps the connection open "as long as the
         * receiving TCP continues to send acknowledgments in response to
         * the probe segments"; a peer that leaves them unanswered for the
         * user timeout (RFC 9293 3.8.3) is gone, as BSD's persist timer
         * decides (tcp_maxpersistidle). Otherwise a peer that shuts its
         * window and vanishes holds the connection, even one the user
         * released, forever. input.c clears first_rtx on each answer. */
        if (user_timed_out(tcb, now)) {
            time_out(tcb);
            return;
        }
        /* Through the connection, with its timestamps: RFC 7323 3.2 lets
         * a peer drop a segment without them, and then no probe would ever
         * be answered. */
        sk_tcp_send_probe(tcb, tcb->snd_una - 1);
        if (tcb->backoff < 30)
            tcb->backoff++;
        sk_tcb_arm_rtx(tcb);
        clamp_rtx(tcb, tcb->first_rtx + cfg->tcp_user_timeout_ns);
        return;
    }

    if (tcb->snd_una == tcb->snd_max) {
        keepalive_timer(tcb, now); /* nothing outstanding: the idle timer */
        return;
    }

    /* RFC 9293 3.8.3 user timeout: data unacknowledged for too long
     * (RFC 5482: "the maximum amount of time that transmitted data may
     * remain unacknowledged"). The wait began when this timer was started
     * for the data - its send, or the last ACK that moved SND.UNA - one
     * RTO, not yet backed off, before it first fired. */
    if (user_timed_out(tcb, now)) {
        time_out(tcb);
        return;
    }
    /* RFC 6298 5.4-5.6: retransmit the earliest unacknowledged segment,
     * back off the timer, restart it. We go back to SND.UNA and resend
     * from there as the window allows. */
    tcp->ctx->stats.tcp_timeouts++;
    sk_snd_on_rto(tcb); /* snd.c: cwnd to 1 SMSS (RFC 5681 3.1), recovery over */
    if (tcb->backoff < 30)
        tcb->backoff++;
    tcb->rtx_count++;
    /* RFC 1122 4.2.3.5: at R1 = 3 retransmissions of a segment, pass
     * negative advice to the IP layer (ARP asks again, 2.3.2.1 (4)); then
     * at every third, as each resolution holds the traffic behind it. */
    if (tcb->rtx_count % 3 == 0)
        sk_net_negative_advice(tcp->net, tcb->c.raddr);
    tcb->flags &= (uint16_t)~SK_TCB_RTT_TIMING;
    tcb->snd_nxt = tcb->snd_una;
    sk_wheel_cancel(tcp->wheel, &tcb->rtx_timer);
    sk_tcp_output(tcb);
    if (!sk_timer_armed(&tcb->rtx_timer))
        sk_tcb_arm_rtx(tcb);
    clamp_rtx(tcb, tcb->first_rtx + cfg->tcp_user_timeout_ns);
}

/* A compact TIME-WAIT entry expires: the connection is gone (RFC 9293 3.10.8). */
void sk_tcp_tw_timer_fn(sk_timer *t, uint64_t now)
{
    (void)now;
    sk_tw *tw = SK_TW_FROM_TIMER(t);
    sk_tcp *tcp = tw->tcp;
    synack_trace_event ev = {0};
    ev.kind = SYNACK_TRACE_TCP_STATE;
    ev.link = tcp->ctx->link;
    ev.conn_id = tw->id;
    ev.old_state = SYNACK_TCP_TIME_WAIT;
    ev.new_state = SYNACK_TCP_CLOSED;
    ev.local_addr = tw->c.laddr;
    ev.remote_addr = tw->c.raddr;
    ev.local_port = tw->c.lport;
    ev.remote_port = tw->c.rport;
    if (tcp->ctx->nsinks)
        sk_trace_event(tcp->ctx, &ev);
    sk_tcp_table_remove(tcp, &tw->c);
    tcp->ntw--;
    sk_free(tcp->ctx, tw);
}
