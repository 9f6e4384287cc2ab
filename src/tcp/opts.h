/* The TCP options a connection uses beyond the MSS: window scaling and
 * timestamps with PAWS (RFC 7323), SACK and D-SACK (RFC 2018, RFC 2883).
 * Each is offered in our SYN when the stack's config allows it and used
 * only when the peer's SYN or SYN-ACK offered it too (RFC 7323 2.2, 3.2;
 * RFC 2018 2); sk_tcb.topts says what was agreed.
 *
 * For the send side: after sk_opts_input() the options of an incoming
 * segment are in s->o, cleared of anything not negotiated, so
 *   - s->o.nsack / s->o.sack[] are the peer's SACK blocks (RFC 2018 3;
 *     unchecked against SND.UNA/SND.MAX: the scoreboard must bound them),
 *   - s->o.has_ts / s->o.tsecr give an RTT sample with sk_opts_ts_rtt_ns()
 *     (RFC 7323 4.1, when tsecr is not 0),
 *   - s->wnd is SEG.WND already shifted by the peer's window scale. */
#ifndef SK_TCP_OPTS_H
#define SK_TCP_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp/tcp.h"

/* TCP option bytes a timestamps option takes in every segment (NOP, NOP,
 * kind, length, TSval, TSecr): the MSS of our data shrinks by this much
 * (RFC 7323 3.2, RFC 6691). */
#define SK_OPTS_TS_LEN 12

/* Options of our SYN (SYN-SENT: what the config offers) or SYN-ACK
 * (SYN-RCVD: what was agreed from the peer's SYN). Adds to @p o, which
 * holds the MSS already. */
void sk_opts_syn(sk_tcb *tcb, sk_tcp_opts *o);

/* Agrees on options from the peer's SYN or SYN-ACK @p o (passive open,
 * active open, simultaneous open): only what both offered. Sets
 * TS.Recent from the SYN and shrinks snd_mss by the timestamps option. */
void sk_opts_negotiate(sk_tcb *tcb, const sk_tcp_opts *o);

/* First thing for a segment on a synchronized connection (or SYN-RCVD):
 * clears options that were not negotiated, scales SEG.WND into s->wnd
 * (RFC 7323 2.3: never in a SYN), and applies PAWS (RFC 7323 5.3 R1).
 * @return false when PAWS finds the segment old: the caller ACKs it (not
 * a RST) and drops it. */
bool sk_opts_input(sk_tcb *tcb, sk_seg *s);

/* RFC 7323 5.3 R3 / 4.3: an acceptable segment whose SEG.SEQ (@p seq, as
 * it arrived) is at or before Last.ACK.sent updates TS.Recent. */
void sk_opts_ts_update(sk_tcb *tcb, const sk_seg *s, uint32_t seq);

/* Options of a segment other than a SYN: timestamps, and SACK blocks from
 * the reassembly (RFC 2018 4; a D-SACK first, RFC 2883 4) as many as fit
 * beside @p len bytes of payload in one MTU. */
void sk_opts_segment(sk_tcb *tcb, sk_tcp_opts *o, uint32_t len);

/* Our TSval now: a millisecond clock plus a per-connection offset. */
uint32_t sk_opts_tsval(const sk_tcb *tcb);
/* The same for a connection whose offset is @p offset (a compact TIME-WAIT). */
uint32_t sk_opts_tsval_at(const sk_tcp *tcp, uint32_t offset);

/* The RTT that an echoed TSecr measures (RFC 7323 4.1), in ns, at the
 * clock's 1 ms resolution. Only for a TSecr of a segment carrying an
 * acceptable ACK; 0 is not a valid TSecr. */
uint64_t sk_opts_ts_rtt_ns(const sk_tcb *tcb, uint32_t tsecr);

/* The window scale we announce: the least shift that lets a window cover
 * the whole receive buffer (RFC 7323 2.3, at most 14). */
uint8_t sk_opts_rcv_wscale(const sk_tcp *tcp);

#endif
