/* Congestion control: a small pluggable interface (issue 5 item 5).
 *
 * An algorithm is a const table of operations (sk_cc_ops) that move one
 * connection's window (sk_cc). The module only does window arithmetic: the
 * TCB counts duplicate ACKs, keeps RFC 6582's `recover`, decides when a
 * recovery starts and ends, and notices idle periods; it then calls the
 * operation that matches the event. All windows are in bytes; an RFC's
 * "segments" are converted with the SMSS the caller passes in.
 *
 * How the TCB drives it (RFC 5681 3.2 with RFC 6582 3.2; `recover` is the
 * highest sequence number transmitted, SND.MAX - 1, when it was recorded):
 *
 *   connection established:  sk_cc_init(&cc, ops, mss, sk_cc_iw_rfc6928(mss))
 *   ACK of new data, not in recovery:
 *       sk_cc_on_ack(&cc, acked, mss, flight, rtt_us, now)
 *           flight = SND.MAX - SND.UNA *before* the ACK is applied;
 *           rtt_us = an RTT sample taken from this ACK, or 0.
 *   third duplicate ACK, if the ACK covers more than recover (step 1):
 *       recover = SND.MAX - 1; sk_cc_enter_recovery(&cc, mss, flight, now);
 *       retransmit SND.UNA.
 *   each further duplicate ACK in recovery:   sk_cc_on_dupack(&cc, mss)
 *   ACK of new data in recovery (step 5):
 *       it acknowledges recover (full ACK): sk_cc_on_recovery_exit(&cc, mss,
 *           flight, now) with flight = SND.MAX - SND.UNA *after* the ACK;
 *       otherwise (partial ACK): sk_cc_on_partial_ack(&cc, acked, mss) and
 *           retransmit the new SND.UNA.
 *   retransmission timeout:
 *       sk_cc_on_rto(&cc, mss, flight, repeated, now), repeated = true when
 *       this segment already timed out once (tcb->rtx_count > 0); leave
 *       recovery and record recover = SND.MAX - 1 (RFC 6582 3.2).
 *   about to send after nothing was sent for longer than the RTO and all
 *   data is acknowledged (RFC 5681 4.1):  sk_cc_on_idle(&cc, iw, now)
 *   may send:  min(cc.cwnd, SND.WND) - flight bytes.
 *
 * Times are the stack's `now`, in nanoseconds. Nothing here allocates,
 * reads a clock or uses floating point.
 */
#ifndef SK_TCP_CC_CC_H
#define SK_TCP_CC_CC_H

#include <stdbool.h>
#include <stdint.h>

struct sk_cc_ops;

/* Words of per-algorithm state; an algorithm copies its own struct in and
 * out of them (see cubic.h), which is checked at compile time to fit. */
#define SK_CC_PRIV_WORDS 4

/* sk_cc.flags, shared by the algorithms. */
#define SK_CC_F_AFTER_RTO 0x0001u /* slow start after a timeout: ABC with L = 1 SMSS */

/* One connection's congestion state: 56 bytes on LP64 (8 ops pointer,
 * 16 common fields, 32 private). Lives in every TCB. */
typedef struct sk_cc {
    const struct sk_cc_ops *ops;
    uint32_t cwnd;     /* congestion window, bytes (RFC 5681 2) */
    uint32_t ssthresh; /* slow start threshold, bytes */
    uint32_t acc;      /* bytes acknowledged not yet turned into window growth */
    uint16_t flags;    /* SK_CC_F_* */
    uint16_t algo_flags;
    uint64_t priv[SK_CC_PRIV_WORDS];
} sk_cc;

/* "Arbitrarily high" initial ssthresh (RFC 5681 3.1). */
#define SK_CC_SSTHRESH_INF UINT32_MAX

typedef struct sk_cc_ops {
    const char *name;
    /* Sets the algorithm's private state; cwnd and ssthresh are already set. */
    void (*init)(sk_cc *cc, uint32_t mss);
    /* New data acknowledged outside recovery. */
    void (*on_ack)(sk_cc *cc, uint32_t acked, uint32_t mss, uint32_t flight, uint32_t rtt_us,
                   uint64_t now);
    /* Fast retransmit: the third duplicate ACK starts a recovery. */
    void (*enter_recovery)(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now);
    /* A further duplicate ACK during recovery. */
    void (*on_dupack)(sk_cc *cc, uint32_t mss);
    /* An ACK of new data that does not cover `recover`. */
    void (*on_partial_ack)(sk_cc *cc, uint32_t acked, uint32_t mss);
    /* The full ACK that ends the recovery. */
    void (*on_recovery_exit)(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now);
    void (*on_rto)(sk_cc *cc, uint32_t mss, uint32_t flight, bool repeated, uint64_t now);
    void (*on_idle)(sk_cc *cc, uint32_t iw, uint64_t now);
} sk_cc_ops;

extern const sk_cc_ops sk_cc_newreno;
extern const sk_cc_ops sk_cc_cubic;

/* The algorithm called @p name ("newreno", "cubic"), or NULL. */
const sk_cc_ops *sk_cc_find(const char *name);

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). */
uint32_t sk_cc_iw_rfc6928(uint32_t mss);
/* RFC 5681 3.1 (eq. 1): 2, 3 or 4 segments by SMSS. */
uint32_t sk_cc_iw_rfc5681(uint32_t mss);

/* cwnd = @p iw, ssthresh = SK_CC_SSTHRESH_INF, then the algorithm's init. */
void sk_cc_init(sk_cc *cc, const sk_cc_ops *ops, uint32_t mss, uint32_t iw);

static inline void sk_cc_on_ack(sk_cc *cc, uint32_t acked, uint32_t mss, uint32_t flight,
                                uint32_t rtt_us, uint64_t now)
{
    cc->ops->on_ack(cc, acked, mss, flight, rtt_us, now);
}
static inline void sk_cc_enter_recovery(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    cc->ops->enter_recovery(cc, mss, flight, now);
}
static inline void sk_cc_on_dupack(sk_cc *cc, uint32_t mss)
{
    cc->ops->on_dupack(cc, mss);
}
static inline void sk_cc_on_partial_ack(sk_cc *cc, uint32_t acked, uint32_t mss)
{
    cc->ops->on_partial_ack(cc, acked, mss);
}
static inline void sk_cc_on_recovery_exit(sk_cc *cc, uint32_t mss, uint32_t flight, uint64_t now)
{
    cc->ops->on_recovery_exit(cc, mss, flight, now);
}
static inline void sk_cc_on_rto(sk_cc *cc, uint32_t mss, uint32_t flight, bool repeated,
                                uint64_t now)
{
    cc->ops->on_rto(cc, mss, flight, repeated, now);
}
static inline void sk_cc_on_idle(sk_cc *cc, uint32_t iw, uint64_t now)
{
    cc->ops->on_idle(cc, iw, now);
}

/* ---- building blocks the algorithms share (cc.c) ---- */

/* RFC 7661 4.3: the window is in use ("validated") while at least half of
 * it is in flight; it must not grow from ACKs of a flow that does not use it. */
bool sk_cc_window_in_use(const sk_cc *cc, uint32_t flight);
/* RFC 3465 2.2 slow start with Appropriate Byte Counting, stopping at ssthresh. */
void sk_cc_slow_start(sk_cc *cc, uint32_t acked, uint32_t mss);
/* The Reno parts of fast recovery, used by every algorithm (RFC 5681 3.2,
 * RFC 6582 3.2); enter_recovery takes the ssthresh the algorithm chose. */
void sk_cc_reno_enter_recovery(sk_cc *cc, uint32_t mss, uint32_t ssthresh);
void sk_cc_reno_dupack(sk_cc *cc, uint32_t mss);
void sk_cc_reno_partial_ack(sk_cc *cc, uint32_t acked, uint32_t mss);
void sk_cc_reno_recovery_exit(sk_cc *cc, uint32_t mss, uint32_t flight);
/* RFC 5681 3.1: cwnd = LW = 1 SMSS; ssthresh is the algorithm's, held on a
 * repeated timeout. */
void sk_cc_reno_rto(sk_cc *cc, uint32_t mss, uint32_t ssthresh, bool repeated);
/* RFC 5681 4.1: cwnd = RW = min(IW, cwnd). */
void sk_cc_reno_idle(sk_cc *cc, uint32_t iw);

#endif
