/* Receive-side reassembly (RFC 9293 3.10.7.4 "seventh, process the segment
 * text"; issue 5 item 2) and the SACK blocks the receiver reports (RFC 2018
 * 4, D-SACK RFC 2883 4).
 *
 * Out-of-order data is written straight into the receive ring at its place
 * beyond the in-order data (sk_buf_write_at), and a rangeset records which
 * ranges above RCV.NXT are present. When a segment fills the gap at
 * RCV.NXT, the bytes that became contiguous are committed to the ring
 * (sk_buf_commit) and RCV.NXT moves over all of them: nothing is copied
 * twice and nothing is allocated per segment.
 *
 * Bounds: at most `cap` disjoint out-of-order ranges (a segment that would
 * need one more is refused whole: SYNACK_ERR_LIMIT), and never a byte past
 * the ring's free space (RCV.NXT + sk_buf_space(buf); bytes beyond it are
 * trimmed). The caller trims segments to the receive window first, as
 * RFC 9293 3.10.7.4 says; the ring bound holds whatever it does.
 *
 * Overlaps: RFC 9293 3.10.7.4 lets a receiver assume the same sequence
 * numbers carry the same bytes. Bytes already held are kept (the first copy
 * wins, so a peer cannot rewrite data once it is queued) and counted as
 * duplicates.
 *
 * The ring must be consumed with sk_buf_consume_keep()/sk_buf_read_keep()
 * while this holds data (see buf.h), and the ring must not be released or
 * resized without sk_reass_clear().
 *
 * Cost: sizeof(sk_reass) is 48 bytes on LP64, plus 8 bytes per range
 * (sk_reass_size(16) == 176). Allocate sk_reass_size(cap) bytes lazily, on
 * the first out-of-order segment. The struct points into itself: do not
 * copy or move it after sk_reass_init(). */
#ifndef SK_TCP_REASS_H
#define SK_TCP_REASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/buf.h"
#include "tcp/rangeset.h"
#include "wire/tcp.h"

/* Out-of-order ranges per connection unless configured otherwise: 16, the
 * bound Linux's ofo queue never needs in practice with SACK's 3-4 blocks,
 * and small enough (128 bytes) to sit in every connection that reorders. */
#define SK_REASS_DEFAULT_RANGES 16

/* Recent first SACK blocks remembered for RFC 2018 4 (as many as fit). */
#define SK_REASS_HISTORY SK_TCP_MAX_SACK

typedef struct sk_reass {
    sk_rangeset ooo; /* out-of-order ranges present, all above RCV.NXT */
    /* One sequence number inside each recently reported first SACK block,
     * newest first (RFC 2018 4: repeat the most recently reported blocks).
     * A point rather than a block, so that it follows merges. */
    uint32_t hist[SK_REASS_HISTORY];
    sk_tcp_sack_block dsack; /* pending D-SACK block (RFC 2883 4) */
    uint32_t fin_seq;        /* sequence number of an out-of-order FIN */
    uint8_t nhist;
    bool dsack_pending;
    bool fin_pending;
    sk_range slots[]; /* storage of `ooo` */
} sk_reass;

/* What one sk_reass_add did. */
typedef struct sk_reass_result {
    uint32_t in_order; /* bytes committed to the ring: RCV.NXT += in_order */
    uint32_t stored;   /* out-of-order bytes newly held */
    uint32_t dup;      /* bytes already received or held (kept, not rewritten) */
    uint32_t dropped;  /* bytes refused: past the ring, past a known FIN, or ranges full */
    bool fin;          /* the FIN is now next: the caller takes it (RCV.NXT += 1) */
    bool ack_now;      /* out of order, duplicate, or filling a gap: ACK at once (RFC 5681 4.2) */
} sk_reass_result;

/* Bytes to allocate for a reassembly state with @p cap ranges. */
size_t sk_reass_size(uint16_t cap);
/* Starts empty state in @p r, which has room for sk_reass_size(cap). */
void sk_reass_init(sk_reass *r, uint16_t cap);
/* Forgets every out-of-order byte, the SACK history, D-SACK and FIN (on
 * reset, close, or before the ring is released). */
void sk_reass_clear(sk_reass *r);

/* True when nothing is held out of order (the fast path may bypass this). */
static inline bool sk_reass_empty(const sk_reass *r)
{
    return sk_rangeset_empty(&r->ooo) && !r->fin_pending;
}
/* Out-of-order bytes held beyond the in-order data. */
static inline uint32_t sk_reass_ooo_bytes(const sk_reass *r)
{
    return sk_rangeset_bytes(&r->ooo);
}

/* Takes one segment's text (and FIN) as it arrived: seq, data, len and fin
 * from the segment, before any trimming at RCV.NXT, so that a duplicate
 * below RCV.NXT can be reported as a D-SACK (RFC 2883 4). The caller
 * reserves @p buf storage first and passes its RCV.NXT; it must call this
 * for every segment with text or FIN once this state exists, since the
 * D-SACK reports only the most recent segment (RFC 2883 4).
 *
 * The part in order goes into the ring and is committed together with the
 * out-of-order bytes it joins; the caller advances RCV.NXT by the result
 * (res->in_order, also the return value) and, when res->fin, by one more
 * for the FIN (RFC 9293 3.10.7.4 "eighth, check the FIN bit"). An
 * out-of-order FIN is remembered and reported when the data before it
 * arrives; bytes past a known FIN are dropped.
 *
 * @return bytes newly in order (>= 0); SYNACK_ERR_LIMIT when the segment
 *         would need a range beyond the bound (nothing taken, res->dropped
 *         = len: count the drop); SYNACK_ERR_NOBUFS when it lies wholly
 *         past the ring's free space; SYNACK_ERR_INVAL when the ring has no
 *         storage. @p res is filled in every case. */
int sk_reass_add(sk_reass *r, sk_buf *buf, uint32_t rcv_nxt, uint32_t seq, const uint8_t *data,
                 uint32_t len, bool fin, sk_reass_result *res);

/* Fills @p out with up to @p max SACK blocks for the next ACK (RFC 2018 4):
 * the block holding the most recent out-of-order segment first (unless that
 * segment advanced RCV.NXT), then the blocks of the segments before it,
 * most recent first, then any others from the lowest up. When @p dsack and
 * a duplicate was just received, a D-SACK block goes first (RFC 2883 4) and
 * is reported once; the block holding it follows when it lies above
 * RCV.NXT. Pass max = 3 when the segment carries timestamps, 4 otherwise
 * (RFC 2018 3). @return blocks written. */
size_t sk_reass_sack_blocks(sk_reass *r, uint32_t rcv_nxt, sk_tcp_sack_block *out, size_t max,
                            bool dsack);

#endif
