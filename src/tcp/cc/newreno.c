/* NewReno: RFC 5681 slow start and congestion avoidance, with Appropriate
 * Byte Counting (RFC 3465), and RFC 6582's fast recovery. It needs no
 * private state: sk_cc.acc is RFC 3465's bytes_acked. */
#include <stddef.h>

#include "tcp/cc/cc.h"

/* RFC 5681 3.1 eq. (4), also used by fast retransmit (3.2 step 2):
 * ssthresh = max(FlightSize / 2, 2*SMSS). */
static uint32_t half_flight(uint32_t flight, uint32_t mss)
{
    uint32_t half = flight / 2;
    return half > 2 * mss ? half : 2 * mss;
}

/* RFC 3465 2.1 (RFC 5681 3.1, byte counting): once a whole window of bytes
 * has been acknowledged, cwnd += SMSS, so cwnd grows by exactly one SMSS
 * per window acknowledged, however the ACKs divide it. */
static void congestion_avoidance(sk_cc *cc, uint32_t acked, uint32_t mss)
{
    /* No more than a window can leave in one round trip. */
    cc->acc += acked < cc->cwnd ? acked : cc->cwnd;
    if (cc->acc >= cc->cwnd) {
        cc->acc -= cc->cwnd;
        cc->cwnd += mss;
    }
}

static void newreno_on_ack(sk_cc *cc, uint32_t acked, uint32_t mss, uint32_t flight,
                           uint32_t rtt_us, uint64_t now)
{
    (void)rtt_us;
    (void)now;
    if (!sk_cc_window_in_use(cc, flight))
        return;
    if (cc->cwnd < cc->ssthresh)
        sk_cc_slow_start(cc, acked, mss);
    else
        congestion_avoidance(cc, acked, mss);
}

static void newreno_enter_recovery(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    (void)now;
    sk_cc_reno_enter_recovery(cc, mss, half_flight(flight, mss));
}

static void newreno_recovery_exit(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    (void)now;
    sk_cc_reno_recovery_exit(cc, mss, flight);
}

static void newreno_on_rto(sk_cc *cc, uint32_t mss, uint32_t flight, bool repeated, uint64_t now)
{
    (void)now;
    sk_cc_reno_rto(cc, mss, half_flight(flight, mss), repeated);
}

static void newreno_on_idle(sk_cc *cc, uint32_t iw, uint64_t now)
{
    (void)now;
    sk_cc_reno_idle(cc, iw);
}

const sk_cc_ops sk_cc_newreno = {
    .name = "newreno",
    .init = NULL,
    .on_ack = newreno_on_ack,
    .enter_recovery = newreno_enter_recovery,
    .on_dupack = sk_cc_reno_dupack,
    .on_partial_ack = sk_cc_reno_partial_ack,
    .on_recovery_exit = newreno_recovery_exit,
    .on_rto = newreno_on_rto,
    .on_idle = newreno_on_idle,
};
