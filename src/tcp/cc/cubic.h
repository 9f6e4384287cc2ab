/* CUBIC's private state and its integer arithmetic (RFC 9438), visible so
 * that tests can check them against the RFC's formulas.
 *
 * Units and scaling: windows in bytes (RFC 9438 counts segments; one
 * segment is the SMSS the caller passes). Time inside the cubic function in
 * milliseconds, which keeps every intermediate in 64 bits:
 *   K^3 [ms^3]       = (W_max - cwnd_epoch) / SMSS / C * 10^9
 *                    = (W_max - cwnd_epoch) * 2.5e9 / SMSS   (< 2^64 for any u32 bytes)
 *   C*(t-K)^3 [bytes] = 0.4 * SMSS * (t-K)^3 / 10^9
 *                    = 2 * SMSS * (t-K)^3 / 5e9              (|t-K| capped at 2600 s)
 * W_est keeps 16 fractional bits of a byte: its growth per ACK,
 * alpha * SMSS * acked / cwnd, is a fraction of a byte when cwnd is large.
 */
#ifndef SK_TCP_CC_CUBIC_H
#define SK_TCP_CC_CUBIC_H

#include <stdint.h>

#include "tcp/cc/cc.h"

#define SK_CUBIC_WEST_SHIFT 16

/* sk_cc.algo_flags */
#define SK_CUBIC_F_EPOCH 0x0001u /* a congestion avoidance stage is running */

typedef struct sk_cubic {
    uint64_t epoch_start; /* t_epoch, ns (RFC 9438 4.2) */
    uint64_t w_est_fp;    /* W_est, bytes << SK_CUBIC_WEST_SHIFT (4.3) */
    uint32_t k_ms;        /* K (4.2) */
    uint32_t w_max;       /* bytes; 0 after a timeout: the next stage sets it (4.8) */
    uint32_t cwnd_prior;  /* cwnd when ssthresh was last set (4.6) */
    uint32_t rtt_min_us;  /* smallest RTT sample, 0 before the first */
} sk_cubic;

/* floor(cbrt(x)). */
uint32_t sk_cubic_cbrt(uint64_t x);
/* K = cubic_root((W_max - cwnd_epoch) / C), in ms (RFC 9438 4.2, Figure 2). */
uint32_t sk_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t mss);
/* W_cubic(t) = C*(t-K)^3 + W_max, in bytes, not below 0 (RFC 9438 4.2, Figure 1). */
uint64_t sk_cubic_w(uint64_t t_ms, uint32_t k_ms, uint32_t w_max, uint32_t mss);
/* A copy of the private state of a connection that runs CUBIC. */
sk_cubic sk_cubic_state(const sk_cc *cc);

#endif
