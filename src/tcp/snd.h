/* The send side's control state: congestion window (cc/), duplicate ACKs,
 * fast retransmit and loss recovery - NewReno (RFC 5681 3.2, RFC 6582)
 * without SACK, the SACK scoreboard and pipe (RFC 6675) with it - and what
 * output.c may send next.
 *
 * The state lives behind the send ring (sk_buf_reserve_extra): it is
 * created with the ring on the first write and freed with it, so a
 * connection that never sends costs only its TCB (DESIGN.md 2a).
 *
 * Sequence space on the send side:
 *
 *   SND.UNA ........ SND.NXT ........ SND.MAX ........ SND.UNA + snd.len
 *   acknowledged |   sent (maybe again) | sent once, in flight | not sent
 *
 * SND.NXT falls behind SND.MAX only after a retransmission timeout, which
 * goes back to SND.UNA and sends again in order ("go-back-N", slow start),
 * skipping what the peer SACKed. Fast retransmit never moves SND.NXT: it
 * sends single segments from below SND.MAX (snd.h's sk_snd_pick). */
#ifndef SK_TCP_SND_H
#define SK_TCP_SND_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/cc/cc.h"
#include "tcp/rangeset.h"
#include "tcp/tcp.h"

/* Disjoint SACKed ranges the scoreboard keeps; a block that would need
 * more is ignored (its data may be sent again, never lost). */
#define SK_SND_SACK_RANGES 32

/* RFC 5681 3.2 / RFC 6675 2: DupThresh. */
#define SK_SND_DUPTHRESH 3

enum sk_snd_mode {
    SK_SND_OPEN = 0,       /* no loss being repaired */
    SK_SND_RECOVERY = 1,   /* NewReno fast recovery (RFC 6582 3.2) */
    SK_SND_SACK_RECOV = 2, /* SACK-based loss recovery (RFC 6675 5) */
    SK_SND_LOSS = 3        /* after a timeout, until SND.UNA passes `recover` */
};

typedef struct sk_snd {
    sk_cc cc;
    sk_rangeset sacked; /* RFC 6675 scoreboard: SACKed data in [SND.UNA, SND.MAX) */
    uint32_t recover;   /* RFC 6582 "recover" / RFC 6675 RecoveryPoint, as SND.MAX
                           then (exclusive): a full ACK reaches it */
    uint32_t high_rxt;  /* RFC 6675 HighRxt (exclusive end of what recovery resent) */
    uint32_t dupacks;
    uint32_t lt_from;       /* SND.MAX at the first duplicate ACK: what went past it
                               went by Limited Transmit (RFC 6675 5 (3)) */
    uint32_t sml_end;       /* end of the last segment shorter than the MSS (Minshall) */
    uint8_t mode;           /* enum sk_snd_mode */
    bool rxt_due;           /* SND.UNA must be resent now (fast retransmit, partial ACK) */
    bool rescued;           /* this recovery's rescue retransmission went (RFC 6675 NextSeg (4)) */
    uint32_t recover_fs;    /* RFC 6937 RecoverFS: the flight when the recovery began */
    uint32_t prr_delivered; /* RFC 6937: bytes the peer reported delivered since */
    uint32_t prr_out;       /* RFC 6937: bytes sent since */
    uint64_t last_send;     /* for the restart after idle (RFC 5681 4.1) */
    sk_range ranges[SK_SND_SACK_RANGES];
} sk_snd;

/* The state, or NULL before the first write. */
static inline sk_snd *sk_snd_of(const sk_tcb *tcb)
{
    return (sk_snd *)sk_buf_extra(&tcb->snd);
}

/* Allocates the send ring with the state behind it and starts the
 * congestion window. Called on a write in a synchronized state (the MSS is
 * known). @return 0 or SYNACK_ERR_NOMEM. */
int sk_snd_reserve(sk_tcb *tcb);

/* Switches the algorithm, keeping cwnd and ssthresh. */
void sk_snd_set_cc(sk_tcb *tcb, synack_cc_algo algo);

/* The fifth step's ACK processing for the send side, after SND.UNA and the
 * window were updated: the SACK scoreboard, duplicate ACKs, the congestion
 * window and the start, progress and end of a recovery. @p una_before,
 * @p flight_before and @p wnd_before are SND.UNA, SND.MAX - SND.UNA and
 * SND.WND as they were before this ACK; @p rtt_ns an RTT sample it gave
 * (0 for none). May send retransmissions. */
void sk_snd_on_ack(sk_tcb *tcb, const sk_seg *s, uint32_t una_before, uint32_t flight_before,
                   uint32_t wnd_before, uint64_t rtt_ns);

/* A retransmission timeout (RFC 6298 5.4-5.7, RFC 5681 3.1, RFC 6675 5.1):
 * window to one segment, recovery abandoned, go back to SND.UNA. */
void sk_snd_on_rto(sk_tcb *tcb);

/* What output.c sends next. */
typedef struct sk_snd_next {
    uint32_t seq, len;
    bool rxt;    /* from below SND.NXT: a retransmission that leaves SND.NXT alone */
    bool rescue; /* RFC 6675 NextSeg (4): leaves HighRxt alone */
} sk_snd_next;

/* RFC 6675 NextSeg() during a SACK recovery, limited by cwnd - pipe; or
 * the NewReno retransmission owed. @return false when nothing of the kind
 * is due: output.c then sends from SND.NXT as the windows allow. Rule (2)
 * (new data) stops the search unless @p no_new_data: output.c asks again
 * so when its send of new data was refused (Nagle, SWS), so that rules (3)
 * and (4) still run. */
bool sk_snd_pick_rxt(sk_tcb *tcb, sk_snd_next *out, bool no_new_data);

/* Bytes the congestion window still allows from SND.NXT (UINT32_MAX before
 * the first write: nothing to limit). */
uint32_t sk_snd_cwnd_room(const sk_tcb *tcb);

/* A segment [seq, seq+len) was just sent: new data (@p rxt NULL) or what
 * sk_snd_pick_rxt chose. */
void sk_snd_sent(sk_tcb *tcb, uint32_t seq, uint32_t len, const sk_snd_next *rxt);

/* Called before sending new data: restart after idle (RFC 5681 4.1). */
void sk_snd_before_send(sk_tcb *tcb);

/* Minshall's Nagle (draft-minshall-nagle, as Linux): a segment shorter
 * than the MSS is unacknowledged. */
bool sk_snd_small_in_flight(const sk_tcb *tcb);

/* The first SACKed range at or after @p seq below SND.MAX: [left, right)
 * (left may be before seq when seq lies inside it). @return false if none. */
bool sk_snd_sacked_from(const sk_tcb *tcb, uint32_t seq, sk_range *out);

#endif
