/* The receive side of a connection (issue 5 item 2): segment text into the
 * receive ring through reassembly (RFC 9293 3.10.7.4 seventh and eighth),
 * when to ACK (RFC 1122 4.2.3.2, RFC 5681 4.2), and the window we offer
 * (RFC 9293 3.8.6.2.2).
 *
 * The state that only a connection receiving data needs (the reassembly
 * ranges, the delayed-ACK timer, the quick-ack count) lives in the same allocation as the
 * receive ring, behind its bytes: it costs the TCB nothing, is allocated
 * when the first text or FIN arrives and freed with the ring. So every
 * release of tcb->rcv goes through sk_rcv_release(). */
#ifndef SK_TCP_RECV_H
#define SK_TCP_RECV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timer.h"
#include "tcp/reass.h"
#include "tcp/tcp.h"

typedef struct sk_rcv {
    sk_timer delack; /* delayed ACK (RFC 1122 4.2.3.2) */
    sk_tcb *tcb;
    sk_reass *reass;   /* behind this struct; NULL when reassembly is off */
    uint32_t last_ack; /* RCV.NXT in the last ACK we sent (RFC 7323 4.3 Last.ACK.sent) */
    uint16_t rcv_mss;  /* largest segment the peer sent, our "full-sized" (RFC 5681 4.2) */
    uint16_t quick;    /* ACKs of new text still to send at once (tcp_quickack_segs) */
} sk_rcv;

/* The state behind the ring, or NULL when the ring has no storage. */
static inline sk_rcv *sk_rcv_of(const sk_tcb *tcb)
{
    return (sk_rcv *)sk_buf_extra(&tcb->rcv);
}

/* Allocates the ring and the state behind it. @return 0 or SYNACK_ERR_NOMEM. */
int sk_rcv_reserve(sk_tcb *tcb);
/* Stops the delayed-ACK timer and forgets out-of-order data (on close). */
void sk_rcv_stop(sk_tcb *tcb);
/* sk_rcv_stop, then frees the ring and the state behind it. */
void sk_rcv_release(sk_tcb *tcb);

/* RFC 9293 3.10.7.4 seventh (ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2): takes
 * the text and FIN of @p s, trimmed to the window, with s->lcut bytes cut
 * before RCV.NXT. In-order text goes to the ring and RCV.NXT moves over it
 * and over any held text it joins; out-of-order text is held within the
 * bounds. Sets SK_TCB_ACK_NOW where an ACK must go at once.
 * @return true when the peer's FIN is now next in sequence: the caller
 * takes it (eighth step), RCV.NXT not yet advanced over it. */
bool sk_rcv_text(sk_tcb *tcb, sk_seg *s, bool fin);

/* A segment wholly below RCV.NXT (found unacceptable): remembered for a
 * D-SACK on the ACK that answers it (RFC 2883 4.1.1). */
void sk_rcv_old_duplicate(sk_tcb *tcb, const sk_seg *s);

/* The window field of a segment we send, from the free receive space
 * (RFC 9293 3.8.6), with receiver-side SWS avoidance (RFC 9293 3.8.6.2.2),
 * scaled (RFC 7323 2.3) unless @p syn; moves tcb->rcv_adv. */
uint16_t sk_rcv_window(sk_tcb *tcb, bool syn);

/* Every segment we send with ACK calls this: the ACK owed is paid. */
void sk_rcv_ack_sent(sk_tcb *tcb);

/* After the user read from the ring: sends a window update when the window
 * can open by enough to matter (receiver SWS avoidance, RFC 9293 3.8.6.2.2). */
void sk_rcv_read_done(sk_tcb *tcb);

#endif
