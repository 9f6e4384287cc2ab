/* The ladder renderer (see ladder.h). Two passes: first decide where every
 * state change goes, then lay out lines with columns wide enough for the
 * widest label, arrow and state, so the three columns stay aligned. */
#include "ladder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void ladder_mark_retransmissions(ladder *l)
{
    bool seen[2] = {false, false};
    uint32_t high[2] = {0, 0}; /* highest sequence number sent + 1, per sender */
    unsigned syns[2] = {0, 0}; /* bit 0: a SYN sent, bit 1: a SYN,ACK sent */
    for (size_t i = 0; i < l->n; i++) {
        if (l->rows[i].kind != ROW_SEG)
            continue;
        ladder_seg *s = &l->rows[i].seg;
        uint32_t space = seg_space(s);
        s->retransmission = space > 0 && seen[s->from] && seq_lt(s->seq, high[s->from]);
        if (s->flags & LADDER_SYN) {
            /* RFC 9293 3.5, Figure 8: in a simultaneous open the SYN,ACK
             * repeats the SYN's sequence number as the next step of the
             * handshake, not as a retransmission; only the same kind of
             * SYN again is one. */
            unsigned kind = (s->flags & LADDER_ACK) ? 2u : 1u;
            s->retransmission = (syns[s->from] & kind) != 0;
            syns[s->from] |= kind;
        }
        if (space > 0 && (!seen[s->from] || seq_lt(high[s->from], s->seq + space))) {
            high[s->from] = s->seq + space;
            seen[s->from] = true;
        }
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

/* ---- layout -------------------------------------------------------------- */

/* One output line: a segment row with the states beside it, a note, or
 * states on their own. */
typedef struct line {
    int row;            /* the segment or note row, -1 for states alone */
    uint64_t t;         /* for the time margin */
    const char *st[2];  /* state written on side A / B, NULL if none */
    char label[160];    /* segment rows: the text on the arrow */
    size_t label_cells; /* its width in columns */
    size_t rtx_at;      /* where " (retransmission)" starts in label, or 0 */
} line;

typedef struct layout {
    line *lines;
    size_t n;
    size_t time_w, left_w, arrow_w;
} layout;

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
static int build_lines(const ladder *l, layout *lay)
{
    bool(*taken)[2] = calloc(l->n ? l->n : 1, sizeof(*taken));
    bool *attached = calloc(l->n ? l->n : 1, sizeof(bool));
    int *seg_line = calloc(l->n ? l->n : 1, sizeof(int));
    lay->lines = calloc(l->n ? l->n : 1, sizeof(line));
    if (!taken || !attached || !seg_line || !lay->lines) {
        free(taken);
        free(attached);
        free(seg_line);
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && state_fits(l, r, (const bool(*)[2])taken)) {
            taken[r->seg_row][r->side] = true;
            attached[i] = true;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && attached[i])
            continue;
        if (r->kind == ROW_STATE) {
            /* States alone at the same time, on different sides, share a line. */
            line *prev = n ? &lay->lines[n - 1] : NULL;
            if (prev && prev->row < 0 && prev->t == r->t && !prev->st[r->side]) {
                prev->st[r->side] = synack_tcp_state_name(r->state);
                continue;
            }
            line *ln = &lay->lines[n++];
            ln->row = -1;
            ln->t = r->t;
            ln->st[r->side] = synack_tcp_state_name(r->state);
            continue;
        }
        line *ln = &lay->lines[n++];
        ln->row = (int)i;
        ln->t = r->t;
        if (r->kind == ROW_SEG)
            seg_line[i] = (int)(n - 1);
    }
    for (size_t i = 0; i < l->n; i++) {
        const lrow *r = &l->rows[i];
        if (r->kind == ROW_STATE && attached[i])
            lay->lines[seg_line[r->seg_row]].st[r->side] = synack_tcp_state_name(r->state);
    }
    lay->n = n;
    free(taken);
    free(attached);
    free(seg_line);
    return 0;
}

/* The text on a segment's arrow, RFC 9293 figure style but with names:
 * "SYN,ACK Seq=0 Ack=1 Win=65535 <MSS=1460>". */
static void segment_label(const ladder_seg *s, const uint32_t base[2], const bool have_base[2],
                          bool show_win, line *ln)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    char *p = ln->label;
    size_t cap = sizeof(ln->label), used = 0;
    /* The control bits first, ACK last, as people say them: SYN,ACK; FIN,ACK. */
    static const int order[8] = {1, 0, 2, 3, 5, 6, 7, 4};
    for (int k = 0; k < 8; k++) {
        int bit = order[k];
        if (s->flags & (1u << bit))
            used += (size_t)snprintf(p + used, cap - used, "%s%s", used ? "," : "", names[bit]);
    }
    if (!used)
        used += (size_t)snprintf(p + used, cap - used, "none");
    ladder_side to = s->from == LADDER_A ? LADDER_B : LADDER_A;
    uint32_t seq = have_base[s->from] ? s->seq - base[s->from] : s->seq;
    used += (size_t)snprintf(p + used, cap - used, " Seq=%lu", (unsigned long)seq);
    if (s->flags & LADDER_ACK) {
        uint32_t ack = have_base[to] ? s->ack - base[to] : s->ack;
        used += (size_t)snprintf(p + used, cap - used, " Ack=%lu", (unsigned long)ack);
    }
    if (show_win)
        used += (size_t)snprintf(p + used, cap - used, " Win=%u", s->win);
    if (s->len)
        used += (size_t)snprintf(p + used, cap - used, " Len=%lu", (unsigned long)s->len);
    if (s->mss)
        used += (size_t)snprintf(p + used, cap - used, " <MSS=%u>", s->mss);
    if (s->retransmission) {
        ln->rtx_at = used;
        used += (size_t)snprintf(p + used, cap - used, " (retransmission)");
    }
    ln->label_cells = strlen(p); /* plain ASCII: one column per byte */
}

/* Each side's ISN: the sequence number of its first SYN, else of its first
 * segment (a capture that starts mid-connection). */
static void find_bases(const ladder *l, uint32_t base[2], bool have[2])
{
    bool syn[2] = {false, false};
    have[0] = have[1] = false;
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
}

static void format_time(uint64_t ns, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ns / 1000000u),
             (unsigned long long)(ns % 1000000u / 1000u));
}

static void fill_labels(const ladder *l, const ladder_style *st, layout *lay)
{
    uint32_t base[2] = {0, 0};
    bool have[2] = {false, false};
    if (!st->absolute)
        find_bases(l, base, have);
    bool win_shown[2] = {false, false};
    uint16_t last_win[2] = {0, 0};
    for (size_t i = 0; i < lay->n; i++) {
        line *ln = &lay->lines[i];
        if (ln->row < 0 || l->rows[ln->row].kind != ROW_SEG)
            continue;
        const ladder_seg *s = &l->rows[ln->row].seg;
        bool show_win = false;
        if (!(s->flags & LADDER_RST)) {
            show_win = !win_shown[s->from] || last_win[s->from] != s->win;
            win_shown[s->from] = true;
            last_win[s->from] = s->win;
        }
        segment_label(s, base, have, show_win, ln);
    }
}

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

#define STATE_W   11 /* "ESTABLISHED" */
#define MIN_ARROW 24
#define GAP       2

static void measure(const ladder *l, const ladder_style *st, layout *lay)
{
    lay->left_w = STATE_W;
    if (str_cells(l->label[0]) > lay->left_w)
        lay->left_w = str_cells(l->label[0]);
    lay->arrow_w = MIN_ARROW;
    lay->time_w = 0;
    for (size_t i = 0; i < lay->n; i++) {
        const line *ln = &lay->lines[i];
        if (ln->row >= 0 && l->rows[ln->row].kind == ROW_SEG && ln->label_cells + 12 > lay->arrow_w)
            lay->arrow_w = ln->label_cells + 12; /* room for the lost X and 4 dashes a side */
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
                       const line *ln)
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
    size_t lab = ln->label_cells + 2; /* a space each side */
    size_t lab_at = body_lo + (body_hi - body_lo - lab) / 2;

    sb_spaces(b, lo);
    if (!to_b)
        put_colored(b, end_col, end);
    if (col)
        sb_str(b, col);
    for (size_t c = body_lo; c < lab_at; c++)
        sb_str(b, dash);
    sb_str(b, " ");
    sb_add(b, ln->label, ln->rtx_at ? ln->rtx_at : strlen(ln->label));
    if (col)
        sb_str(b, C_RESET);
    if (ln->rtx_at)
        put_colored(b, st->color ? C_RTX : NULL, ln->label + ln->rtx_at);
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

static void draw_line(sbuf *b, const ladder *l, const layout *lay, const ladder_style *st,
                      const line *ln)
{
    size_t start = b->len;
    if (st->time) {
        char tb[32];
        format_time(ln->t, tb, sizeof(tb));
        sb_spaces(b, lay->time_w - strlen(tb));
        put_colored(b, st->color ? C_DIM : NULL, tb);
        sb_spaces(b, GAP);
    }
    const char *left = ln->st[LADDER_A] ? ln->st[LADDER_A] : "";
    if (*left)
        put_colored(b, st->color ? C_STATE : NULL, left);
    sb_spaces(b, lay->left_w - strlen(left) + GAP);
    const lrow *r = ln->row >= 0 ? &l->rows[ln->row] : NULL;
    if (r && r->kind == ROW_SEG) {
        draw_arrow(b, lay, st, &r->seg, ln);
    } else if (r && r->kind == ROW_NOTE) {
        char note[512];
        snprintf(note, sizeof(note), "(%s)", r->note);
        put_colored(b, st->color ? C_DIM : NULL, note);
        size_t cells = str_cells(note);
        sb_spaces(b, cells < lay->arrow_w ? lay->arrow_w - cells : 0);
    } else {
        sb_spaces(b, lay->arrow_w);
    }
    sb_spaces(b, GAP);
    if (ln->st[LADDER_B])
        put_colored(b, st->color ? C_STATE : NULL, ln->st[LADDER_B]);
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
    if (build_lines(l, &lay) < 0)
        return NULL;
    fill_labels(l, st, &lay);
    measure(l, st, &lay);
    sbuf b = {0};
    draw_header(&b, l, &lay, st);
    for (size_t i = 0; i < lay.n; i++)
        draw_line(&b, l, &lay, st, &lay.lines[i]);
    free(lay.lines);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
