/* The ladder renderer (see ladder.h). Two passes: first decide where every
 * state change goes, then lay out lines with columns wide enough for the
 * widest label, arrow and state, so the three columns stay aligned. */
#include "ladder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/tcp.h"

enum row_kind { ROW_SEG, ROW_STATE, ROW_NOTE };

typedef struct lrow {
    enum row_kind kind;
    uint64_t t;
    ladder_seg seg; /* ROW_SEG */
    ladder_side side;
    synack_tcp_state state;
    int seg_row; /* ROW_STATE: the cause, or LADDER_NO_SEG */
    char *note;  /* ROW_NOTE */
} lrow;

struct ladder {
    char *label[2];
    lrow *rows;
    size_t n, cap;
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

ladder *ladder_new(const char *label_a, const char *label_b)
{
    ladder *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    if (ladder_set_labels(l, label_a, label_b) < 0) {
        ladder_free(l);
        return NULL;
    }
    return l;
}

void ladder_free(ladder *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->rows[i].note);
    free(l->rows);
    free(l->label[0]);
    free(l->label[1]);
    free(l);
}

int ladder_set_labels(ladder *l, const char *label_a, const char *label_b)
{
    char *a = dup_str(label_a), *b = dup_str(label_b);
    if (!a || !b) {
        free(a);
        free(b);
        return -1;
    }
    free(l->label[0]);
    free(l->label[1]);
    l->label[0] = a;
    l->label[1] = b;
    return 0;
}

static lrow *push_row(ladder *l)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        lrow *r = realloc(l->rows, cap * sizeof(*r));
        if (!r)
            return NULL;
        l->rows = r;
        l->cap = cap;
    }
    lrow *r = &l->rows[l->n++];
    memset(r, 0, sizeof(*r));
    r->seg_row = LADDER_NO_SEG;
    return r;
}

void ladder_seg_from_tcp(ladder_seg *seg, const sk_tcp_hdr *h, const sk_tcp_opts *o,
                         uint32_t payload_len)
{
    seg->flags = h->flags;
    seg->seq = h->seq;
    seg->ack = h->ack;
    seg->len = payload_len;
    seg->win = h->win;
    seg->sport = h->sport;
    seg->dport = h->dport;
    seg->csum = h->csum;
    seg->urg = h->urg;
    seg->hlen = h->hlen;
    seg->opts = 0;
    seg->mss = 0;
    seg->nsack = 0;
    if (o->has_mss) {
        seg->opts |= LADDER_OPT_MSS;
        seg->mss = o->mss;
    }
    if (o->has_wscale) {
        seg->opts |= LADDER_OPT_WS;
        seg->wscale = o->wscale;
    }
    if (o->sack_permitted)
        seg->opts |= LADDER_OPT_SACK_PERM;
    if (o->has_ts) {
        seg->opts |= LADDER_OPT_TS;
        seg->tsval = o->tsval;
        seg->tsecr = o->tsecr;
    }
    if (o->nsack) {
        seg->opts |= LADDER_OPT_SACK;
        seg->nsack = o->nsack < LADDER_MAX_SACK ? o->nsack : LADDER_MAX_SACK;
        for (int i = 0; i < seg->nsack; i++) {
            seg->sack[i][0] = o->sack[i].left;
            seg->sack[i][1] = o->sack[i].right;
        }
    }
}

int ladder_add_segment(ladder *l, const ladder_seg *seg)
{
    lrow *r = push_row(l);
    if (!r)
        return -1;
    r->kind = ROW_SEG;
    r->t = seg->sent_ns;
    r->seg = *seg;
    return (int)(l->n - 1);
}

ladder_seg *ladder_segment_at(ladder *l, int row)
{
    if (row < 0 || (size_t)row >= l->n || l->rows[row].kind != ROW_SEG)
        return NULL;
    return &l->rows[row].seg;
}

int ladder_add_state(ladder *l, ladder_side side, uint64_t t_ns, synack_tcp_state state,
                     int seg_row)
{
    lrow *r = push_row(l);
    if (!r)
        return -1;
    r->kind = ROW_STATE;
    r->t = t_ns;
    r->side = side;
    r->state = state;
    r->seg_row = seg_row;
    return (int)(l->n - 1);
}

int ladder_add_note(ladder *l, uint64_t t_ns, const char *text)
{
    char *d = dup_str(text);
    if (!d)
        return -1;
    lrow *r = push_row(l);
    if (!r) {
        free(d);
        return -1;
    }
    r->kind = ROW_NOTE;
    r->t = t_ns;
    r->note = d;
    return (int)(l->n - 1);
}

int ladder_set_note(ladder *l, int row, const char *text)
{
    if (row < 0 || (size_t)row >= l->n || l->rows[row].kind != ROW_NOTE)
        return -1;
    char *d = dup_str(text);
    if (!d)
        return -1;
    free(l->rows[row].note);
    l->rows[row].note = d;
    return 0;
}

size_t ladder_rows(const ladder *l)
{
    return l->n;
}

static bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0; /* RFC 9293 3.4: modulo 2^32 */
}

static uint32_t seg_space(const ladder_seg *s)
{
    return s->len + ((s->flags & LADDER_SYN) ? 1u : 0u) + ((s->flags & LADDER_FIN) ? 1u : 0u);
}

const char *ladder_state_name(synack_tcp_state s)
{
    return s == LADDER_STATE_UNKNOWN ? "?" : synack_tcp_state_name(s);
}

const char *ladder_label(const ladder *l, ladder_side side)
{
    return l->label[side];
}

static bool seq_le(uint32_t a, uint32_t b)
{
    return !seq_lt(b, a);
}

/* What a sender has put on the wire so far, to tell a retransmission
 * (space sent before) from an out-of-order segment (a hole filled late). */
typedef struct sent_space {
    bool seen;
    uint32_t high; /* highest sequence number sent + 1 */
    /* Sent ranges [lo, hi), merged; a few are enough for a ladder: when
     * they run out, the oldest is merged into its neighbour (a hole then
     * looks sent: retransmission rather than out-of-order). */
    uint32_t lo[16], hi[16];
    int n;
    /* The last segment, for duplicate ACKs and window updates. */
    bool have_ack;
    uint32_t last_ack;
    uint32_t last_win; /* scaled */
    uint16_t dups;
} sent_space;

static bool range_overlaps_sent(const sent_space *sp, uint32_t lo, uint32_t hi)
{
    for (int i = 0; i < sp->n; i++)
        if (seq_lt(lo, sp->hi[i]) && seq_lt(sp->lo[i], hi))
            return true;
    return false;
}

static void range_add(sent_space *sp, uint32_t lo, uint32_t hi)
{
    for (int i = 0; i < sp->n; i++) {
        if (seq_le(lo, sp->hi[i]) && seq_le(sp->lo[i], hi)) {
            if (seq_lt(lo, sp->lo[i]))
                sp->lo[i] = lo;
            if (seq_lt(sp->hi[i], hi))
                sp->hi[i] = hi;
            return;
        }
    }
    if (sp->n == 16) {
        sp->hi[0] = sp->hi[1];
        memmove(&sp->lo[1], &sp->lo[2], 14 * sizeof(uint32_t));
        memmove(&sp->hi[1], &sp->hi[2], 14 * sizeof(uint32_t));
        sp->n--;
    }
    sp->lo[sp->n] = lo;
    sp->hi[sp->n++] = hi;
}

void ladder_window_scales(const ladder *l, uint8_t scale[2])
{
    bool syn[2] = {false, false}, ws[2] = {false, false};
    uint8_t shift[2] = {0, 0};
    for (size_t i = 0; i < l->n; i++) {
        const ladder_seg *s = &l->rows[i].seg;
        if (l->rows[i].kind != ROW_SEG || !(s->flags & LADDER_SYN) || syn[s->from])
            continue;
        syn[s->from] = true;
        ws[s->from] = (s->opts & LADDER_OPT_WS) != 0;
        shift[s->from] = s->wscale > 14 ? 14 : s->wscale; /* RFC 7323 2.3 */
    }
    bool on = ws[0] && ws[1];
    scale[0] = on ? shift[0] : 0;
    scale[1] = on ? shift[1] : 0;
}

static uint32_t scaled_win(const ladder_seg *s, const uint8_t scale[2])
{
    /* RFC 7323 2.2: the window of a SYN is never scaled. */
    return (s->flags & LADDER_SYN) ? s->win : (uint32_t)s->win << scale[s->from];
}

static uint8_t analyze_space(sent_space *sp, ladder_seg *s, unsigned *syns)
{
    uint32_t space = seg_space(s);
    uint8_t an = 0;
    if (s->flags & LADDER_SYN) {
        /* RFC 9293 3.5, Figure 8: in a simultaneous open the SYN,ACK
         * repeats the SYN's sequence number as the next step of the
         * handshake, not as a retransmission; only the same kind of SYN
         * again is one. */
        unsigned kind = (s->flags & LADDER_ACK) ? 2u : 1u;
        if (*syns & kind)
            an = LADDER_AN_RETRANSMISSION;
        *syns |= kind;
    } else if (sp->seen && seq_lt(s->seq, sp->high)) {
        an = range_overlaps_sent(sp, s->seq, s->seq + space) ? LADDER_AN_RETRANSMISSION
                                                             : LADDER_AN_OUT_OF_ORDER;
    }
    if (!sp->seen || seq_lt(sp->high, s->seq + space))
        sp->high = s->seq + space;
    sp->seen = true;
    range_add(sp, s->seq, s->seq + space);
    return an;
}

void ladder_analyze(ladder *l)
{
    sent_space sp[2];
    memset(sp, 0, sizeof(sp));
    unsigned syns[2] = {0, 0}; /* bit 0: a SYN sent, bit 1: a SYN,ACK sent */
    uint8_t scale[2];
    ladder_window_scales(l, scale);
    for (size_t i = 0; i < l->n; i++) {
        if (l->rows[i].kind != ROW_SEG)
            continue;
        ladder_seg *s = &l->rows[i].seg;
        sent_space *me = &sp[s->from];
        s->analysis = 0;
        s->dup_ack = 0;
        if (s->flags & LADDER_RST)
            continue;
        uint32_t win = scaled_win(s, scale);
        bool ctl = (s->flags & (LADDER_SYN | LADDER_FIN)) != 0;
        if (seg_space(s) > 0) {
            s->analysis = analyze_space(me, s, &syns[s->from]);
        } else if (!me->seen) {
            me->seen = true; /* a capture that starts with this side's ACKs */
            me->high = s->seq;
        } else if ((s->flags & LADDER_ACK) && me->have_ack && me->seen && s->seq == me->high &&
                   s->ack == me->last_ack) {
            /* Wireshark's rules: no data, no SYN/FIN/RST, the next Seq, the
             * same Ack: only the window changed (an update), or nothing
             * changed and the window is open (a duplicate ACK, RFC 5681 2). */
            if (win != me->last_win && win != 0)
                s->analysis = LADDER_AN_WINDOW_UPDATE;
            else if (win == me->last_win && win != 0 && !ctl)
                s->analysis = LADDER_AN_DUP_ACK;
        }
        if (win == 0 && !(s->flags & LADDER_SYN))
            s->analysis |= LADDER_AN_ZERO_WINDOW;
        if (s->analysis & LADDER_AN_DUP_ACK)
            s->dup_ack = ++me->dups;
        else if (!(s->flags & LADDER_ACK) || s->ack != me->last_ack)
            me->dups = 0; /* counted per acknowledgment number, as Wireshark does */
        if (s->flags & LADDER_ACK) {
            me->have_ack = true;
            me->last_ack = s->ack;
        }
        me->last_win = win;
    }
}

/* ---- a growing string ---------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_str(sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_spaces(sbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sb_add(b, " ", 1);
}

/* ---- lines ---------------------------------------------------------------- */

/* Whether the receiver of segment row @p sr sent a segment drawn below it
 * before it arrived (the two crossed, as SYNs in a simultaneous open do):
 * a state entered on its receipt would then read as coming before that
 * send, so it must get a line of its own, below both. */
static bool sent_while_in_flight(const ladder *l, size_t sr)
{
    const ladder_seg *s = &l->rows[sr].seg;
    for (size_t j = sr + 1; j < l->n; j++) {
        const lrow *r = &l->rows[j];
        if (r->kind == ROW_SEG && r->seg.from != s->from && r->seg.sent_ns < s->arrived_ns)
            return true;
    }
    return false;
}

static bool state_fits(const ladder *l, const lrow *st, const bool (*taken)[2])
{
    int sr = st->seg_row;
    if (sr < 0 || (size_t)sr >= l->n || l->rows[sr].kind != ROW_SEG)
        return false;
    const ladder_seg *s = &l->rows[sr].seg;
    bool is_sender = s->from == st->side;
    if (!is_sender && s->lost)
        return false;
    if (!is_sender && sent_while_in_flight(l, (size_t)sr))
        return false;
    return !taken[sr][st->side];
}

/* Decides which state rows sit beside their segment; builds the lines. */
static ladder_line *build_lines(const ladder *l, size_t *nlines)
{
    size_t cap = l->n ? l->n : 1;
    bool(*taken)[2] = calloc(cap, sizeof(*taken));
    bool *attached = calloc(cap, sizeof(bool));
    size_t *seg_line = calloc(cap, sizeof(size_t));
    ladder_line *lines = calloc(cap, sizeof(ladder_line));
    if (!taken || !attached || !seg_line || !lines) {
        free(taken);
        free(attached);
        free(seg_line);
        free(lines);
        return NULL;
    }
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && state_fits(l, r, (const bool(*)[2])taken)) {
            taken[r->seg_row][r->side] = true;
            attached[i] = true;
        }
    }
    size_t n = 0, segno = 0;
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && attached[i])
            continue;
        if (r->kind == ROW_STATE) {
            /* States alone at the same time, on different sides, share a line. */
            ladder_line *prev = n ? &lines[n - 1] : NULL;
            if (prev && prev->row < 0 && prev->t == r->t && !prev->state[r->side]) {
                prev->state[r->side] = ladder_state_name(r->state);
                continue;
            }
            ladder_line *ln = &lines[n++];
            ln->row = -1;
            ln->t = r->t;
            ln->state[r->side] = ladder_state_name(r->state);
            continue;
        }
        ladder_line *ln = &lines[n++];
        ln->row = (int)i;
        ln->t = r->t;
        if (r->kind == ROW_SEG) {
            ln->seg = &r->seg;
            ln->segno = ++segno;
            seg_line[i] = n - 1;
        } else {
            ln->note = r->note;
        }
    }
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && attached[i])
            lines[seg_line[r->seg_row]].state[r->side] = ladder_state_name(r->state);
    }
    free(taken);
    free(attached);
    free(seg_line);
    *nlines = n;
    return lines;
}

/* Appends to a fixed buffer, never past its end. */
static void lab_add(char *p, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void lab_add(char *p, size_t cap, size_t *used, const char *fmt, ...)
{
    if (*used + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(p + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used += (size_t)k < cap - *used ? (size_t)k : cap - *used - 1;
}

/* The options worth reading on the arrow: a SYN's negotiation (MSS, window
 * scale, SACK permitted) and SACK blocks. Timestamps change on every
 * segment and would drown the numbers: the detailed views show them. */
static void options_label(const ladder_seg *s, uint32_t base, bool rel, char *p, size_t cap,
                          size_t *used)
{
    const char *sep = " <";
    if (s->opts & LADDER_OPT_MSS) {
        lab_add(p, cap, used, "%sMSS=%u", sep, s->mss);
        sep = ",";
    }
    if (s->opts & LADDER_OPT_WS) {
        lab_add(p, cap, used, "%sWS=%u", sep, s->wscale);
        sep = ",";
    }
    if (s->opts & LADDER_OPT_SACK_PERM) {
        lab_add(p, cap, used, "%sSACK_PERM", sep);
        sep = ",";
    }
    if (s->opts & LADDER_OPT_SACK) {
        for (int i = 0; i < s->nsack && i < LADDER_MAX_SACK; i++) {
            uint32_t lo = s->sack[i][0] - (rel ? base : 0), hi = s->sack[i][1] - (rel ? base : 0);
            lab_add(p, cap, used, "%sSACK=%lu-%lu", sep, (unsigned long)lo, (unsigned long)hi);
            sep = ",";
        }
    }
    if (sep[0] == ',')
        lab_add(p, cap, used, ">");
}

/* The text on a segment's arrow, RFC 9293 figure style but with names:
 * "SYN,ACK Seq=0 Ack=1 Win=65535 <MSS=1460>". */
static void segment_label(const ladder_seg *s, const uint32_t base[2], const bool have_base[2],
                          bool show_win, uint32_t win, ladder_line *ln)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    char *p = ln->label;
    size_t cap = sizeof(ln->label), used = 0;
    /* The control bits first, ACK last, as people say them: SYN,ACK; FIN,ACK. */
    static const int order[8] = {1, 0, 2, 3, 5, 6, 7, 4};
    for (int k = 0; k < 8; k++) {
        int bit = order[k];
        if (s->flags & (1u << bit))
            lab_add(p, cap, &used, "%s%s", used ? "," : "", names[bit]);
    }
    if (!used)
        lab_add(p, cap, &used, "none");
    ladder_side to = s->from == LADDER_A ? LADDER_B : LADDER_A;
    uint32_t seq = have_base[s->from] ? s->seq - base[s->from] : s->seq;
    lab_add(p, cap, &used, " Seq=%lu", (unsigned long)seq);
    if (s->flags & LADDER_ACK) {
        uint32_t ack = have_base[to] ? s->ack - base[to] : s->ack;
        lab_add(p, cap, &used, " Ack=%lu", (unsigned long)ack);
    }
    if (show_win)
        lab_add(p, cap, &used, " Win=%lu", (unsigned long)win);
    if (s->len)
        lab_add(p, cap, &used, " Len=%lu", (unsigned long)s->len);
    options_label(s, base[to], have_base[to], p, cap, &used);

    char *a = ln->analysis;
    size_t acap = sizeof(ln->analysis), aused = 0;
    if (s->analysis & LADDER_AN_RETRANSMISSION)
        lab_add(a, acap, &aused, "retransmission");
    if (s->analysis & LADDER_AN_OUT_OF_ORDER)
        lab_add(a, acap, &aused, "%sout-of-order", aused ? ", " : "");
    if (s->analysis & LADDER_AN_DUP_ACK)
        lab_add(a, acap, &aused, "%sdup ACK #%u", aused ? ", " : "", s->dup_ack);
    if (s->analysis & LADDER_AN_WINDOW_UPDATE)
        lab_add(a, acap, &aused, "%swindow update", aused ? ", " : "");
    if (s->analysis & LADDER_AN_ZERO_WINDOW)
        lab_add(a, acap, &aused, "%szero window", aused ? ", " : "");
}

void ladder_bases(const ladder *l, uint32_t base[2], bool have[2])
{
    bool syn[2] = {false, false};
    have[0] = have[1] = false;
    base[0] = base[1] = 0;
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind != ROW_SEG)
            continue;
        ladder_side f = r->seg.from;
        if ((r->seg.flags & LADDER_SYN) && !syn[f]) {
            syn[f] = true;
            base[f] = r->seg.seq;
            have[f] = true;
        } else if (!have[f]) {
            base[f] = r->seg.seq;
            have[f] = true;
        }
    }
    /* A side whose SYN was not captured: the peer's SYN,ACK still tells
     * its ISN (the acknowledgment number less one). */
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        uint8_t sa = LADDER_SYN | LADDER_ACK;
        if (r->kind != ROW_SEG || (r->seg.flags & sa) != sa)
            continue;
        ladder_side to = r->seg.from == LADDER_A ? LADDER_B : LADDER_A;
        if (!syn[to]) {
            base[to] = r->seg.ack - 1;
            have[to] = true;
        }
        break;
    }
}

ladder_line *ladder_lines(const ladder *l, bool absolute, size_t *nlines)
{
    ladder_line *lines = build_lines(l, nlines);
    if (!lines)
        return NULL;
    uint32_t base[2] = {0, 0};
    bool have[2] = {false, false};
    if (!absolute)
        ladder_bases(l, base, have);
    uint8_t scale[2];
    ladder_window_scales(l, scale);
    bool win_shown[2] = {false, false};
    uint32_t last_win[2] = {0, 0};
    for (size_t i = 0; i < *nlines; i++) {
        ladder_line *ln = &lines[i];
        const ladder_seg *s = ln->seg;
        if (!s)
            continue;
        /* The window is worth reading on a side's first segment and when it
         * changes; a RST's means nothing. */
        uint32_t win = scaled_win(s, scale);
        bool show_win = false;
        if (!(s->flags & LADDER_RST)) {
            show_win = !win_shown[s->from] || last_win[s->from] != win;
            win_shown[s->from] = true;
            last_win[s->from] = win;
        }
        segment_label(s, base, have, show_win, win, ln);
    }
    return lines;
}

/* ---- text layout ------------------------------------------------------------- */

typedef struct layout {
    ladder_line *lines;
    size_t n;
    size_t time_w, left_w, arrow_w;
    size_t elide_from, elide_to; /* lines [from, to) are elided; from == to: none */
    size_t elided_segs;
} layout;

static size_t str_cells(const char *s)
{
    /* Labels and states are ASCII; count code points in case a caller's
     * label is not (UTF-8 continuation bytes take no column). */
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    return n;
}

static size_t label_cells(const ladder_line *ln)
{
    return strlen(ln->label) + (ln->analysis[0] ? strlen(ln->analysis) + 3 : 0);
}

static void format_time(uint64_t ns, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ns / 1000000u),
             (unsigned long long)(ns % 1000000u / 1000u));
}

#define STATE_W   11 /* "ESTABLISHED" */
#define MIN_ARROW 24
#define GAP       2

/* With style->max, the lines from the (max/2 + 1)-th segment up to the
 * last (max - max/2) segments are replaced by one marked line. */
size_t ladder_elision(const ladder_line *lines, size_t n, size_t max, size_t *from, size_t *to)
{
    *from = *to = 0;
    size_t segs = 0;
    for (size_t i = 0; i < n; i++)
        segs += lines[i].seg != NULL;
    if (!max || segs <= max)
        return 0;
    size_t head = max / 2, tail = max - head, k = 0;
    bool started = false;
    for (size_t i = 0; i < n; i++) {
        if (!lines[i].seg)
            continue;
        if (k == head && !started) {
            *from = i;
            started = true;
        }
        if (k == segs - tail) {
            *to = i;
            break;
        }
        k++;
    }
    return segs - max;
}

static void plan_elision(layout *lay, const ladder_style *st)
{
    lay->elided_segs =
        ladder_elision(lay->lines, lay->n, st->max, &lay->elide_from, &lay->elide_to);
}

static void measure(const ladder *l, const ladder_style *st, layout *lay)
{
    lay->left_w = STATE_W;
    if (str_cells(l->label[0]) > lay->left_w)
        lay->left_w = str_cells(l->label[0]);
    lay->arrow_w = MIN_ARROW;
    lay->time_w = 0;
    for (size_t i = 0; i < lay->n; i++) {
        const ladder_line *ln = &lay->lines[i];
        if (i >= lay->elide_from && i < lay->elide_to)
            continue;
        if (ln->seg && label_cells(ln) + 12 > lay->arrow_w)
            lay->arrow_w = label_cells(ln) + 12; /* room for the lost X and 4 dashes a side */
        if (st->time) {
            char tb[32];
            format_time(ln->t, tb, sizeof(tb));
            if (strlen(tb) > lay->time_w)
                lay->time_w = strlen(tb);
        }
    }
    if (st->time && lay->time_w < 2)
        lay->time_w = 2;
}

/* ---- drawing -------------------------------------------------------------- */

#define C_RESET "\033[0m"
#define C_STATE "\033[1;36m" /* bold cyan */
#define C_SYN   "\033[32m"   /* green */
#define C_FIN   "\033[33m"   /* yellow */
#define C_RST   "\033[31m"   /* red */
#define C_DATA  "\033[34m"   /* blue */
#define C_LOST  "\033[1;31m" /* bold red */
#define C_RTX   "\033[35m"   /* magenta */
#define C_DIM   "\033[2m"

/* Writes @p s, wrapped in colour @p code unless it is NULL. */
static void put_colored(sbuf *b, const char *code, const char *s)
{
    if (code)
        sb_str(b, code);
    sb_str(b, s);
    if (code)
        sb_str(b, C_RESET);
}

static const char *arrow_color(const ladder_seg *s)
{
    if (s->flags & LADDER_RST)
        return C_RST;
    if (s->flags & LADDER_SYN)
        return C_SYN;
    if (s->flags & LADDER_FIN)
        return C_FIN;
    if (s->len)
        return C_DATA;
    return NULL;
}

/* Draws the arrow of a segment in exactly lay->arrow_w columns:
 *   A to B:  "------ label ------>"     lost:  "----- label -----X   "
 *   B to A:  "<------ label ------"     lost:  "   X----- label -----"
 * In colour every piece is wrapped on its own, so a cut never leaks. */
static void draw_arrow(sbuf *b, const layout *lay, const ladder_style *st, const ladder_seg *s,
                       const ladder_line *ln)
{
    const size_t w = lay->arrow_w;
    const bool to_b = s->from == LADDER_A;
    const char *dash = st->unicode ? "\u2500" : "-";
    const char *end = s->lost ? (st->unicode ? "\u2715" : "X")
                      : to_b  ? (st->unicode ? "\u25b6" : ">")
                              : (st->unicode ? "\u25c0" : "<");
    const char *end_col = s->lost ? C_LOST : arrow_color(s);
    const char *col = st->color ? arrow_color(s) : NULL;
    if (!st->color)
        end_col = NULL;
    /* [lo, hi): the columns the arrow covers; a lost one stops short. */
    size_t lo = (s->lost && !to_b) ? 3 : 0;
    size_t hi = (s->lost && to_b) ? w - 3 : w;
    size_t body_lo = to_b ? lo : lo + 1, body_hi = to_b ? hi - 1 : hi;
    size_t lab = label_cells(ln) + 2; /* a space each side */
    size_t lab_at = body_lo + (body_hi - body_lo - lab) / 2;

    sb_spaces(b, lo);
    if (!to_b)
        put_colored(b, end_col, end);
    if (col)
        sb_str(b, col);
    for (size_t c = body_lo; c < lab_at; c++)
        sb_str(b, dash);
    sb_str(b, " ");
    sb_str(b, ln->label);
    if (col)
        sb_str(b, C_RESET);
    if (ln->analysis[0]) {
        char an[sizeof(ln->analysis) + 4];
        snprintf(an, sizeof(an), " (%s)", ln->analysis);
        put_colored(b, st->color ? C_RTX : NULL, an);
    }
    if (col)
        sb_str(b, col);
    sb_str(b, " ");
    for (size_t c = lab_at + lab; c < body_hi; c++)
        sb_str(b, dash);
    if (col)
        sb_str(b, C_RESET);
    if (to_b)
        put_colored(b, end_col, end);
    sb_spaces(b, w - hi);
}

static void draw_line(sbuf *b, const layout *lay, const ladder_style *st, const ladder_line *ln)
{
    size_t start = b->len;
    if (st->time) {
        char tb[32];
        format_time(ln->t, tb, sizeof(tb));
        sb_spaces(b, lay->time_w - strlen(tb));
        put_colored(b, st->color ? C_DIM : NULL, tb);
        sb_spaces(b, GAP);
    }
    const char *left = ln->state[LADDER_A] ? ln->state[LADDER_A] : "";
    if (*left)
        put_colored(b, st->color ? C_STATE : NULL, left);
    sb_spaces(b, lay->left_w - strlen(left) + GAP);
    if (ln->seg) {
        draw_arrow(b, lay, st, ln->seg, ln);
    } else if (ln->note) {
        char note[512];
        snprintf(note, sizeof(note), "(%s)", ln->note);
        put_colored(b, st->color ? C_DIM : NULL, note);
        size_t cells = str_cells(note);
        sb_spaces(b, cells < lay->arrow_w ? lay->arrow_w - cells : 0);
    } else {
        sb_spaces(b, lay->arrow_w);
    }
    sb_spaces(b, GAP);
    if (ln->state[LADDER_B])
        put_colored(b, st->color ? C_STATE : NULL, ln->state[LADDER_B]);
    /* No trailing blanks: golden files and diffs stay clean. */
    while (b->len > start && b->p && b->p[b->len - 1] == ' ')
        b->len--;
    sb_str(b, "\n");
}

static void draw_header(sbuf *b, const ladder *l, const layout *lay, const ladder_style *st)
{
    size_t start = b->len;
    if (st->time) {
        sb_spaces(b, lay->time_w - 2);
        sb_str(b, "ms");
        sb_spaces(b, GAP);
    }
    sb_str(b, l->label[0]);
    sb_spaces(b, lay->left_w - str_cells(l->label[0]) + GAP + lay->arrow_w + GAP);
    sb_str(b, l->label[1]);
    while (b->len > start && b->p && b->p[b->len - 1] == ' ')
        b->len--;
    sb_str(b, "\n");
}

char *ladder_render(const ladder *l, const ladder_style *style)
{
    static const ladder_style plain;
    const ladder_style *st = style ? style : &plain;
    layout lay = {0};
    lay.lines = ladder_lines(l, st->absolute, &lay.n);
    if (!lay.lines)
        return NULL;
    plan_elision(&lay, st);
    measure(l, st, &lay);
    sbuf b = {0};
    draw_header(&b, l, &lay, st);
    for (size_t i = 0; i < lay.n; i++) {
        if (i == lay.elide_from && lay.elide_from < lay.elide_to) {
            /* States changed in the elided part are shown on the marked
             * line, so the columns never skip a state silently. */
            ladder_line gap = {.row = -1, .t = lay.lines[i].t};
            char text[96];
            snprintf(text, sizeof(text), "... %zu segment%s not shown (--max) ...", lay.elided_segs,
                     lay.elided_segs == 1 ? "" : "s");
            gap.note = text;
            for (size_t j = lay.elide_from; j < lay.elide_to; j++)
                for (int k = 0; k < 2; k++)
                    if (lay.lines[j].state[k])
                        gap.state[k] = lay.lines[j].state[k];
            draw_line(&b, &lay, st, &gap);
        }
        if (i >= lay.elide_from && i < lay.elide_to)
            continue;
        draw_line(&b, &lay, st, &lay.lines[i]);
    }
    free(lay.lines);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
