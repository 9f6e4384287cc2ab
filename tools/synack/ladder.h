/* A two-host ladder diagram of one TCP connection, drawn as text the way
 * RFC 9293's figures draw it (Figures 6-13): one line per segment, an arrow
 * from the sender's column to the receiver's, and each side's state written
 * beside the arrow whose sending or receipt made that side enter it.
 *
 * The renderer only knows rows: `synack demo` fills them from two stacks on
 * a memlink, a capture viewer can fill them from a pcap file. It has no
 * clock, no link and no I/O; the same rows and style always give the same
 * text.
 *
 * Rows are drawn in the order they were added, which should be the order of
 * the events (segments by the time they were sent). A state change names the
 * segment row that caused it:
 *   - a segment sent by the same side (the state was entered on sending it:
 *     SYN-SENT, FIN-WAIT-1, LAST-ACK) goes on the sender's side of that row;
 *   - a segment sent to that side and delivered (entered on its receipt:
 *     SYN-RCVD, ESTABLISHED, CLOSE-WAIT, TIME-WAIT...) goes on the receiver's
 *     side of that row;
 *   - none (LADDER_NO_SEG: a user call or a timer without a segment, such as
 *     LISTEN or TIME-WAIT -> CLOSED) gets a line of its own, where it was added.
 * A state that cannot go where it asks (the row is not a segment of that
 * side, the segment was lost, or that side of the row is taken) also gets a
 * line of its own, so nothing is ever hidden.
 */
#ifndef SYNACK_TOOLS_LADDER_H
#define SYNACK_TOOLS_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/trace.h"

/* Flag bits, as in the TCP header (RFC 9293 3.1). */
#define LADDER_FIN 0x01u
#define LADDER_SYN 0x02u
#define LADDER_RST 0x04u
#define LADDER_PSH 0x08u
#define LADDER_ACK 0x10u
#define LADDER_URG 0x20u
#define LADDER_ECE 0x40u
#define LADDER_CWR 0x80u

/* Side A is drawn on the left, side B on the right. */
typedef enum ladder_side { LADDER_A = 0, LADDER_B = 1 } ladder_side;

#define LADDER_NO_SEG (-1)

/* Options present on a segment (ladder_seg.opts). */
#define LADDER_OPT_MSS       0x01u
#define LADDER_OPT_WS        0x02u
#define LADDER_OPT_SACK_PERM 0x04u
#define LADDER_OPT_TS        0x08u
#define LADDER_OPT_SACK      0x10u

/* What ladder_analyze() found, as Wireshark's TCP analysis flags do. */
#define LADDER_AN_RETRANSMISSION 0x01u /* sequence space its sender had sent before */
#define LADDER_AN_OUT_OF_ORDER   0x02u /* below the highest sent, but never sent before */
#define LADDER_AN_DUP_ACK        0x04u /* the same ACK, window and Seq again, no data */
#define LADDER_AN_ZERO_WINDOW    0x08u /* the sender advertises no room */
#define LADDER_AN_WINDOW_UPDATE  0x10u /* only the window changed */

#define LADDER_MAX_SACK 4

/* One segment, everything its header said: a source-independent event that
 * the demo fills from its link and `synack ladder` from a capture. */
typedef struct ladder_seg {
    ladder_side from;    /* the sender; the receiver is the other side */
    uint64_t sent_ns;    /* when it was sent (or seen, in a capture) */
    uint64_t arrived_ns; /* when it arrived (ignored when lost) */
    bool lost;           /* never arrived: drawn ending in an X */
    uint8_t flags;       /* LADDER_SYN | LADDER_ACK ... */
    uint32_t seq, ack;   /* as on the wire; ack is shown only with LADDER_ACK */
    uint32_t len;        /* payload bytes */
    uint16_t win;        /* as on the wire (unscaled) */
    uint16_t mss;        /* the MSS option, 0 if the segment has none */
    /* The rest of the header, for the detailed views. */
    uint16_t sport, dport, csum, urg;
    uint8_t hlen;          /* data offset in bytes */
    uint8_t opts;          /* LADDER_OPT_* present */
    uint8_t wscale;        /* LADDER_OPT_WS */
    uint32_t tsval, tsecr; /* LADDER_OPT_TS */
    uint8_t nsack;         /* LADDER_OPT_SACK: blocks [left, right) */
    uint32_t sack[LADDER_MAX_SACK][2];
    /* Set by ladder_analyze(). */
    uint8_t analysis; /* LADDER_AN_* */
    uint16_t dup_ack; /* LADDER_AN_DUP_ACK: its number, 1 for the first duplicate */
} ladder_seg;

/* A state that cannot be known yet (a capture that starts mid-connection). */
#define LADDER_STATE_UNKNOWN ((synack_tcp_state)0x7f)

/** The name of a state as drawn: RFC 9293's, or "?" for LADDER_STATE_UNKNOWN. */
const char *ladder_state_name(synack_tcp_state s);

typedef struct ladder ladder;

/** A ladder with no rows, between hosts labelled @p label_a and @p label_b
 *  ("10.0.0.1:49152"; copied; may be changed later). NULL if out of memory. */
ladder *ladder_new(const char *label_a, const char *label_b);
void ladder_free(ladder *l);

/** Changes the labels (copied). @return 0 or -1 if out of memory. */
int ladder_set_labels(ladder *l, const char *label_a, const char *label_b);

struct sk_tcp_hdr;
struct sk_tcp_opts;
/** Fills the header fields of @p seg (flags, numbers, window, ports,
 *  options) from a parsed TCP header; leaves from, times, lost alone. */
void ladder_seg_from_tcp(ladder_seg *seg, const struct sk_tcp_hdr *h, const struct sk_tcp_opts *o,
                         uint32_t payload_len);

/** Appends a segment row. @return its row index (>= 0), or -1 if out of memory. */
int ladder_add_segment(ladder *l, const ladder_seg *seg);

/** The segment at row @p row, to fill in what is known only later (its
 *  arrival or loss); NULL if that row is not a segment. */
ladder_seg *ladder_segment_at(ladder *l, int row);

/** Appends a state change: @p side entered @p state at @p t_ns, caused by
 *  segment row @p seg_row (sent by or delivered to @p side), or
 *  LADDER_NO_SEG. The row may come after this one (a state entered on
 *  sending is usually traced just before the segment leaves).
 *  @return the row index, or -1 if out of memory. */
int ladder_add_state(ladder *l, ladder_side side, uint64_t t_ns, synack_tcp_state state,
                     int seg_row);

/** Appends a note (copied; one line, drawn between the two columns).
 *  @return the row index, or -1 if out of memory. */
int ladder_add_note(ladder *l, uint64_t t_ns, const char *text);

/** Replaces the text of note row @p row. @return 0, or -1 (not a note, or
 *  out of memory). */
int ladder_set_note(ladder *l, int row, const char *text);

/** Number of rows added. */
size_t ladder_rows(const ladder *l);

/** Sets every segment's analysis flags (LADDER_AN_*) from the segments
 *  before it, in row order, the way a capture viewer must (wraparound-safe):
 *  retransmission and out-of-order for segments with sequence space
 *  (SYN, FIN or data), duplicate ACK, zero window and window update for
 *  the others. */
void ladder_analyze(ladder *l);

/** Each side's window scale (RFC 7323 2.2: applies once both SYNs carried
 *  the option, never to a SYN), 0 when unscaled. */
void ladder_window_scales(const ladder *l, uint8_t scale[2]);

/* One line of the drawing, for renderers other than the text one (SVG,
 * HTML): a segment's arrow, a note, or states alone. */
typedef struct ladder_line {
    int row;               /* the segment or note row, -1 for states alone */
    const ladder_seg *seg; /* the segment drawn on this line, or NULL */
    size_t segno;          /* its number, 1 for the first segment */
    const char *note;      /* the note, or NULL */
    uint64_t t;            /* the row's time (a segment's send time) */
    const char *state[2];  /* the state each side entered here, or NULL */
    char label[200];       /* the arrow's text: flags, Seq, Ack, Win, Len, options */
    char analysis[64];     /* "retransmission", "dup ACK #2"... or "" */
} ladder_line;

/** The lines in drawing order, labels numbered relative to each side's
 *  ISN unless @p absolute. Pointers stay valid while @p l is unchanged.
 *  @return an array of *n lines (malloc'ed, caller frees; never NULL on
 *  success even when empty), or NULL if out of memory. */
ladder_line *ladder_lines(const ladder *l, bool absolute, size_t *n);

/** With at most @p max segments drawn (0: all), the lines [*from, *to)
 *  to leave out: all but the first max/2 and the last max - max/2
 *  segments. @return how many segments are left out (0: none, and
 *  *from == *to). */
size_t ladder_elision(const ladder_line *lines, size_t n, size_t max, size_t *from, size_t *to);

/** Each side's ISN as ladder_lines() counts from it: the sequence number
 *  of its first SYN, else of its first segment; have[i] false if side i
 *  sent nothing. */
void ladder_bases(const ladder *l, uint32_t base[2], bool have[2]);

/** The labels given to ladder_new() or ladder_set_labels(). */
const char *ladder_label(const ladder *l, ladder_side side);

typedef struct ladder_style {
    bool absolute; /* raw sequence numbers; default relative to each side's ISN */
    bool time;     /* send time of each row in the left margin, in ms */
    bool color;    /* ANSI colours */
    bool unicode;  /* box-drawing arrows; default plain ASCII */
    size_t max;    /* if > 0 and there are more segments: the first max/2 and
                      the last max - max/2, the middle elided on a marked line */
} ladder_style;

/** Draws the ladder. Sequence numbers are shown relative to each side's ISN
 *  (the sequence number of its first SYN; without one, of its first
 *  segment) unless style->absolute: the first SYN shows Seq=0, and each
 *  Ack counts from the other side's ISN. The window is shown on a side's
 *  first segment and whenever it changes (never on a RST).
 *  @return the text (malloc'ed, ends in a newline, caller frees), or NULL
 *  if out of memory. */
char *ladder_render(const ladder *l, const ladder_style *style);

#endif
