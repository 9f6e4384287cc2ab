/* The congestion-control registry and the Reno building blocks that every
 * algorithm shares: slow start, fast recovery, timeout and idle restart. */
#include <string.h>

#include "tcp/cc/cc.h"

static const sk_cc_ops *const algorithms[] = {&sk_cc_newreno, &sk_cc_cubic};

const sk_cc_ops *sk_cc_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
        if (strcmp(algorithms[i]->name, name) == 0)
            return algorithms[i];
    return NULL;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

uint32_t sk_cc_iw_rfc6928(uint32_t mss)
{
    return min_u32(10 * mss, max_u32(2 * mss, 14600));
}

uint32_t sk_cc_iw_rfc5681(uint32_t mss)
{
    if (mss > 2190)
        return 2 * mss;
    if (mss > 1095)
        return 3 * mss;
    return 4 * mss;
}

void sk_cc_init(sk_cc *cc, const sk_cc_ops *ops, uint32_t mss, uint32_t iw)
{
    memset(cc, 0, sizeof(*cc));
    cc->ops = ops;
    cc->cwnd = iw;
    cc->ssthresh = SK_CC_SSTHRESH_INF;
    if (ops->init)
        ops->init(cc, mss);
}

bool sk_cc_window_in_use(const sk_cc *cc, uint32_t flight)
{
    return flight >= cc->cwnd / 2;
}

void sk_cc_slow_start(sk_cc *cc, uint32_t acked, uint32_t mss)
{
    /* RFC 3465 2.2: cwnd += min(N, L*SMSS) with L = 2; 2.3: L = 1 SMSS in
     * the slow start after a timeout, where one ACK may cover data the
     * receiver held out of order, not data that just left the network. */
    uint32_t limit = (cc->flags & SK_CC_F_AFTER_RTO) ? mss : 2 * mss;
    uint32_t inc = min_u32(acked, limit);
    /* Stop at ssthresh: what is beyond is congestion avoidance's. */
    cc->cwnd = (inc >= cc->ssthresh - cc->cwnd) ? cc->ssthresh : cc->cwnd + inc;
    if (cc->cwnd >= cc->ssthresh)
        cc->flags &= (uint16_t)~SK_CC_F_AFTER_RTO;
}

void sk_cc_reno_enter_recovery(sk_cc *cc, uint32_t mss, uint32_t ssthresh)
{
    /* RFC 6582 3.2 step 3 (RFC 5681 3.2 step 4): cwnd = ssthresh + 3*SMSS,
     * inflated by the three segments that left the network. */
    cc->ssthresh = ssthresh;
    cc->cwnd = ssthresh + 3 * mss;
    cc->acc = 0;
}

void sk_cc_reno_dupack(sk_cc *cc, uint32_t mss)
{
    /* RFC 6582 3.2 step 4: each further duplicate ACK inflates by SMSS.
     * Saturating: a peer sending millions of duplicate ACKs must not wrap
     * the window to a small number (the peer's window still limits). */
    cc->cwnd = cc->cwnd > UINT32_MAX - mss ? UINT32_MAX : cc->cwnd + mss;
}

void sk_cc_reno_partial_ack(sk_cc *cc, uint32_t acked, uint32_t mss)
{
    /* RFC 6582 3.2 step 5, partial acknowledgment: deflate by the amount
     * of new data acknowledged, add back SMSS if it was at least SMSS, so
     * that about ssthresh bytes stay in flight when the recovery ends. */
    cc->cwnd = cc->cwnd > acked ? cc->cwnd - acked : 0;
    if (acked >= mss)
        cc->cwnd += mss;
    cc->cwnd = max_u32(cc->cwnd, mss);
}

void sk_cc_reno_recovery_exit(sk_cc *cc, uint32_t mss, uint32_t flight)
{
    /* RFC 6582 3.2 step 5, full acknowledgment, option (1):
     * cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS), which avoids
     * the burst option (2), cwnd = ssthresh, could send. */
    cc->cwnd = min_u32(cc->ssthresh, max_u32(flight, mss) + mss);
    cc->acc = 0;
}

void sk_cc_reno_rto(sk_cc *cc, uint32_t mss, uint32_t ssthresh, bool repeated)
{
    /* RFC 5681 3.1: ssthresh is held constant when the segment has already
     * been retransmitted by the timer; cwnd = LW = 1 SMSS either way. */
    if (!repeated)
        cc->ssthresh = ssthresh;
    cc->cwnd = mss;
    cc->acc = 0; /* RFC 3465 2.1: bytes_acked is reset on a timeout */
    cc->flags |= SK_CC_F_AFTER_RTO;
}

void sk_cc_reno_idle(sk_cc *cc, uint32_t iw)
{
    /* RFC 5681 4.1: after an idle period longer than the RTO, restart
     * from RW = min(IW, cwnd). ssthresh is kept: slow start climbs back to
     * the window that was in use. */
    cc->cwnd = min_u32(iw, cc->cwnd);
    cc->acc = 0;
}
