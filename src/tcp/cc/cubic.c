/* CUBIC (RFC 9438) in integer arithmetic; scaling is described in cubic.h.
 * Slow start and the Reno parts of fast recovery are shared with NewReno
 * (cc.c); CUBIC changes how far the window falls on congestion and how it
 * grows in congestion avoidance. */
#include <string.h>

#include "tcp/cc/cubic.h"

/* RFC 9438 4.1.1: C = 0.4, beta_cubic = 0.7, hence
 * alpha_cubic = 3 * (1 - beta) / (1 + beta) = 0.9 / 1.7 = 9/17 (4.3). */
#define BETA_NUM  7
#define BETA_DEN  10
#define ALPHA_NUM 9
#define ALPHA_DEN 17
/* 4.7: (1 + beta_cubic) / 2 = 17/20. */
#define FC_NUM 17
#define FC_DEN 20

#define NS_PER_MS    1000000u
#define MAX_DT_MS    2600000u /* |t - K| bound: (2.6e6)^3 < 2^64 */
#define CUBE_DIVISOR 5000000000u

_Static_assert(sizeof(sk_cubic) <= sizeof(((sk_cc *)0)->priv), "sk_cubic must fit sk_cc.priv");

static sk_cubic load(const sk_cc *cc)
{
    sk_cubic c;
    memcpy(&c, cc->priv, sizeof(c));
    return c;
}

static void store(sk_cc *cc, const sk_cubic *c)
{
    memcpy(cc->priv, c, sizeof(*c));
}

sk_cubic sk_cubic_state(const sk_cc *cc)
{
    return load(cc);
}

uint32_t sk_cubic_cbrt(uint64_t x)
{
    /* Digit by digit, three bits at a time (Hacker's Delight 11-2). The
     * test (x >> s) >= b keeps b << s from overflowing. */
    uint64_t y = 0;
    for (int s = 63; s >= 0; s -= 3) {
        y *= 2;
        uint64_t b = 3 * y * (y + 1) + 1;
        if ((x >> s) >= b) {
            x -= b << s;
            y++;
        }
    }
    return (uint32_t)y;
}

uint32_t sk_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss)
{
    if (w_max <= cwnd_epoch || mss == 0)
        return 0;
    /* (W_max - cwnd_epoch) < 2^32, times 2.5e9 < 1.1e19 < 2^64. */
    uint64_t k3 = (uint64_t)(w_max - cwnd_epoch) * 2500000000u / mss;
    return sk_cubic_cbrt(k3);
}

uint64_t sk_cubic_w(uint64_t t_ms, uint32_t k_ms, uint32_t w_max, uint32_t mss)
{
    bool before_k = t_ms < k_ms;
    uint64_t d = before_k ? k_ms - t_ms : t_ms - k_ms;
    if (d > MAX_DT_MS)
        d = MAX_DT_MS; /* far past any window a u32 can hold */
    uint64_t cube = d * d * d;
    /* 2 * SMSS * cube / 5e9 without overflow: quotient and remainder apart. */
    uint64_t q = cube / CUBE_DIVISOR, r = cube % CUBE_DIVISOR;
    uint64_t off = q * 2 * mss + r * 2 * mss / CUBE_DIVISOR;
    if (before_k)
        return off < w_max ? w_max - off : 0;
    return w_max + off;
}

/* RFC 9438 4.6: ssthresh = flight_size * beta_cubic, at least 2 SMSS. */
static uint32_t beta_flight(uint32_t flight, uint32_t mss)
{
    uint32_t s = (uint32_t)((uint64_t)flight * BETA_NUM / BETA_DEN);
    return s > 2 * mss ? s : 2 * mss;
}

static void end_epoch(sk_cc *cc)
{
    cc->algo_flags &= (uint16_t)~SK_CUBIC_F_EPOCH;
}

/* RFC 9438 4.2: a congestion avoidance stage begins with t_epoch = now,
 * cwnd_epoch = cwnd and K from W_max; 4.3: W_est = cwnd_epoch. With no
 * W_max above the window (the first stage after a timeout, 4.8, or
 * after a slow start that never saw a loss), W_max = cwnd_epoch and K = 0. */
static void start_epoch(sk_cc *cc, sk_cubic *c, uint32_t mss, uint64_t now)
{
    c->epoch_start = now;
    if (c->w_max <= cc->cwnd) {
        c->w_max = cc->cwnd;
        c->k_ms = 0;
    } else {
        c->k_ms = sk_cubic_k_ms(c->w_max, cc->cwnd, mss);
    }
    c->w_est_fp = (uint64_t)cc->cwnd << SK_CUBIC_WEST_SHIFT;
    cc->acc = 0;
    cc->algo_flags |= SK_CUBIC_F_EPOCH;
}

/* RFC 9438 4.3: W_est += alpha_cubic * segments_acked / cwnd, in bytes
 * alpha * SMSS * acked / cwnd; alpha_cubic becomes 1 once W_est reaches
 * cwnd_prior, where Reno would be. acked <= cwnd, so q <= SMSS. */
static void grow_w_est(const sk_cc *cc, sk_cubic *c, uint32_t acked, uint32_t mss)
{
    uint64_t n = (uint64_t)mss * acked;
    uint64_t q = n / cc->cwnd, r = n % cc->cwnd;
    uint64_t inc = (q << SK_CUBIC_WEST_SHIFT) + (r << SK_CUBIC_WEST_SHIFT) / cc->cwnd;
    if ((c->w_est_fp >> SK_CUBIC_WEST_SHIFT) < c->cwnd_prior)
        inc = inc * ALPHA_NUM / ALPHA_DEN;
    c->w_est_fp += inc;
}

static void congestion_avoidance(sk_cc *cc, sk_cubic *c, uint32_t acked, uint32_t mss, uint64_t now)
{
    if (!(cc->algo_flags & SK_CUBIC_F_EPOCH))
        start_epoch(cc, c, mss, now);
    if (acked > cc->cwnd)
        acked = cc->cwnd; /* no more than a window leaves in one round trip */
    uint64_t t_ms = (now - c->epoch_start) / NS_PER_MS;

    grow_w_est(cc, c, acked, mss);
    uint64_t w_est = c->w_est_fp >> SK_CUBIC_WEST_SHIFT;
    if (sk_cubic_w(t_ms, c->k_ms, c->w_max, mss) < w_est) {
        /* 4.3 Reno-friendly region: cwnd = W_est (never lowered by an ACK). */
        if (w_est > cc->cwnd)
            cc->cwnd = w_est > UINT32_MAX ? UINT32_MAX : (uint32_t)w_est;
        return;
    }

    /* 4.2, Figure 4: target = W_cubic(t + RTT), kept within [cwnd, 1.5*cwnd]
     * (the RFC's RTT is the smoothed one; like Linux we use the minimum, so
     * queueing delay does not pull the target forward). */
    uint64_t target = sk_cubic_w(t_ms + c->rtt_min_us / 1000, c->k_ms, c->w_max, mss);
    uint64_t hi = (uint64_t)cc->cwnd + cc->cwnd / 2;
    if (hi > UINT32_MAX)
        hi = UINT32_MAX;
    if (target < cc->cwnd)
        target = cc->cwnd;
    if (target > hi)
        target = hi;
    /* 4.4 concave and 4.5 convex regions alike: cwnd += (target - cwnd) / cwnd
     * per segment acknowledged, in bytes (target - cwnd) * acked / cwnd;
     * acc keeps the remainder so that no fraction of a byte is lost. */
    uint64_t sum = cc->acc + (target - cc->cwnd) * acked;
    uint32_t old = cc->cwnd;
    cc->cwnd += (uint32_t)(sum / old);
    cc->acc = (uint32_t)(sum % old);
}

static void cubic_on_ack(sk_cc *cc, uint32_t acked, uint32_t mss, uint32_t flight, uint32_t rtt_us,
                         uint64_t now)
{
    sk_cubic c = load(cc);
    if (rtt_us && (c.rtt_min_us == 0 || rtt_us < c.rtt_min_us))
        c.rtt_min_us = rtt_us;
    if (sk_cc_window_in_use(cc, flight)) {
        /* 4.10: slow start below ssthresh (HyStart++ not implemented). */
        if (cc->cwnd < cc->ssthresh)
            sk_cc_slow_start(cc, acked, mss);
        else
            congestion_avoidance(cc, &c, acked, mss, now);
    }
    store(cc, &c);
}

static void cubic_enter_recovery(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    (void)now;
    sk_cubic c = load(cc);
    /* 4.7 fast convergence: a flow whose window peaks below the last W_max
     * is losing share to a newcomer, so it releases some more. */
    if (cc->cwnd < c.w_max)
        c.w_max = (uint32_t)((uint64_t)cc->cwnd * FC_NUM / FC_DEN);
    else
        c.w_max = cc->cwnd;
    /* 4.6 multiplicative decrease; the recovery itself is RFC 6582's. */
    c.cwnd_prior = cc->cwnd;
    end_epoch(cc);
    store(cc, &c);
    sk_cc_reno_enter_recovery(cc, mss, beta_flight(flight, mss));
}

static void cubic_recovery_exit(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    (void)now;
    sk_cc_reno_recovery_exit(cc, mss, flight);
}

static void cubic_on_rto(sk_cc *cc, uint32_t mss, uint32_t flight, bool repeated, uint64_t now)
{
    (void)now;
    sk_cubic c = load(cc);
    /* 4.8: cwnd falls as Reno's does, ssthresh as in 4.6; the next stage
     * starts with K = 0 and W_max = cwnd_epoch, which w_max = 0 requests. */
    if (!repeated)
        c.cwnd_prior = cc->cwnd;
    c.w_max = 0;
    end_epoch(cc);
    store(cc, &c);
    sk_cc_reno_rto(cc, mss, beta_flight(flight, mss), repeated);
}

static void cubic_on_idle(sk_cc *cc, uint32_t iw, uint64_t now)
{
    (void)now;
    /* 4.2: t must not count time the window was not in use; the next
     * congestion avoidance stage starts afresh from the same W_max. */
    end_epoch(cc);
    sk_cc_reno_idle(cc, iw);
}

const sk_cc_ops sk_cc_cubic = {
    .name = "cubic",
    .init = NULL, /* all zero: no epoch, no W_max, no RTT sample */
    .on_ack = cubic_on_ack,
    .enter_recovery = cubic_enter_recovery,
    .on_dupack = sk_cc_reno_dupack,
    .on_partial_ack = sk_cc_reno_partial_ack,
    .on_recovery_exit = cubic_recovery_exit,
    .on_rto = cubic_on_rto,
    .on_idle = cubic_on_idle,
};
