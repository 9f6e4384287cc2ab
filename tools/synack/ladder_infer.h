/* Each side's TCP state inferred from the segments of one connection alone,
 * as a capture shows them (RFC 9293 3.3.2 and the "segment arrives" rules
 * of 3.10.7, read from the outside): what a capture viewer draws beside
 * the arrows when it has no trace of the stacks.
 *
 * A capture sees each segment once, at one point: the inference treats it
 * as sent and received at that instant. A side whose state the segments do
 * not tell yet (a capture that starts mid-connection) is
 * LADDER_STATE_UNKNOWN until a SYN, FIN or RST tells it. The end of
 * TIME-WAIT is a timer, never on the wire: a side that ends in TIME-WAIT
 * stays there. */
#ifndef SYNACK_TOOLS_LADDER_INFER_H
#define SYNACK_TOOLS_LADDER_INFER_H

#include "ladder.h"

/* How a connection ended, as far as the capture shows. */
typedef enum ladder_end {
    LADDER_END_OPEN,        /* still open at the end of the capture */
    LADDER_END_NO_ANSWER,   /* a SYN nobody answered */
    LADDER_END_REFUSED,     /* a SYN answered by a RST */
    LADDER_END_RESET,       /* a RST after the handshake */
    LADDER_END_HALF_CLOSED, /* one FIN only */
    LADDER_END_CLOSING,     /* both FINs, not both acknowledged */
    LADDER_END_CLOSED,      /* both FINs acknowledged */
} ladder_end;

typedef struct ladder_summary {
    ladder_end end;
    ladder_side by;            /* who sent the RST or the first FIN */
    synack_tcp_state final[2]; /* each side's last inferred state */
} ladder_summary;

/** Which side opened: the sender of the first SYN without ACK, else the
 *  receiver of the first SYN,ACK, else the side on the higher port. */
ladder_side ladder_infer_client(const ladder_seg *segs, size_t n);

/** Builds the ladder of @p n segments (in capture order, `from` already
 *  set, times in sent_ns; arrived_ns and lost are overwritten: seen means
 *  delivered) with each side's inferred states, and runs ladder_analyze().
 *  @p sum (may be NULL) receives how it ended. NULL if out of memory. */
ladder *ladder_from_segments(const ladder_seg *segs, size_t n, const char *label_a,
                             const char *label_b, ladder_summary *sum);

/** "closed", "reset by A"... for --list; @p names are the two sides' names. */
const char *ladder_end_text(const ladder_summary *sum, const char *const names[2], char *buf,
                            size_t cap);

#endif
