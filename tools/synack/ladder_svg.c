/* SVG and HTML ladders (see ladder_svg.h). The picture is laid out on a
 * grid of lines, the ones ladder_lines() gives: line i sits at
 * y = TOP + i * ROW_H. Each line is a group translated to its y, so the
 * HTML page can move the lines (zooming the time axis) by rewriting one
 * transform per group; the state bands name their first and last line for
 * the same reason. Every arrow carries a <title> with the whole segment,
 * which any SVG viewer shows on hover, and the HTML page in its panel. */
#include "ladder_svg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        size_t cap = b->cap ? b->cap : 4096;
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

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sb_add(b, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_add(b, big, (size_t)n);
    free(big);
}

/* Text for XML content and attribute values. */
static void sb_xml(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            sb_add(b, "&amp;", 5);
            break;
        case '<':
            sb_add(b, "&lt;", 4);
            break;
        case '>':
            sb_add(b, "&gt;", 4);
            break;
        case '"':
            sb_add(b, "&quot;", 6);
            break;
        default:
            sb_add(b, s, 1);
        }
    }
}

/* ---- geometry -------------------------------------------------------------- */

#define TOP      78  /* the first line's y */
#define ROW_H    30  /* between lines */
#define SLANT    14  /* how far an arrow falls while it crosses */
#define STATE_W  112 /* room for a state name beside a host line */
#define CHAR_W   7.3 /* an average character of the 12px monospace font */
#define MIN_SPAN 360
#define TIME_W   76

typedef struct geom {
    double x_time, x_left, x_right, width, height;
    size_t nrows; /* lines drawn, the elision marker included */
} geom;

static const char *state_class(const char *name)
{
    /* CSS classes cannot start with '?': the unknown state is "unknown". */
    return strcmp(name, "?") == 0 ? "unknown" : name;
}

static void measure(const ladder_line *lines, size_t n, const ladder_svg_opts *o, size_t rows,
                    const ladder *l, const char *title, geom *g)
{
    size_t longest = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(lines[i].label) + strlen(lines[i].analysis) + 3;
        if (lines[i].note && strlen(lines[i].note) + 2 > len)
            len = strlen(lines[i].note) + 2;
        if (len > longest)
            longest = len;
    }
    double span = longest * CHAR_W + 60;
    if (span < MIN_SPAN)
        span = MIN_SPAN;
    size_t la = strlen(ladder_label(l, LADDER_A)), lb = strlen(ladder_label(l, LADDER_B));
    double head = (la > lb ? la : lb) * CHAR_W / 2;
    double side = STATE_W > head ? STATE_W : head;
    g->x_time = 10;
    g->x_left = (o->time ? TIME_W : 0) + side + 16;
    g->x_right = g->x_left + span;
    g->width = g->x_right + side + 16;
    double title_w = 20 + strlen(title ? title : "") * (CHAR_W + 0.5);
    if (g->width < title_w)
        g->width = title_w;
    g->nrows = rows;
    g->height = TOP + (double)rows * ROW_H + 24;
}

/* ---- the details of a segment ------------------------------------------- */

static void flags_text(uint8_t flags, char *buf, size_t cap)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    size_t used = 0;
    buf[0] = 0;
    for (int k = 0; k < 8; k++)
        if (flags & (1u << k))
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[k]);
    if (!used)
        snprintf(buf, cap, "none");
}

/* The whole segment, one field a line: the panel and the tooltip. */
static void seg_details(sbuf *b, const ladder *l, const ladder_seg *s, size_t number,
                        const uint32_t base[2], const bool have[2], const uint8_t scale[2])
{
    ladder_side to = s->from == LADDER_A ? LADDER_B : LADDER_A;
    char fl[48];
    flags_text(s->flags, fl, sizeof(fl));
    sb_printf(b, "Segment %zu: %s -> %s\n", number, ladder_label(l, s->from), ladder_label(l, to));
    sb_printf(b, "Time: %llu.%06llu ms%s\n", (unsigned long long)(s->sent_ns / 1000000u),
              (unsigned long long)(s->sent_ns % 1000000u), s->lost ? " (lost)" : "");
    sb_printf(b, "Ports: %u -> %u\n", s->sport, s->dport);
    sb_printf(b, "Flags: %s (0x%02x)\n", fl, s->flags);
    sb_printf(b, "Seq: %lu (relative %lu)\n", (unsigned long)s->seq,
              (unsigned long)(s->seq - (have[s->from] ? base[s->from] : 0)));
    if (s->flags & LADDER_ACK)
        sb_printf(b, "Ack: %lu (relative %lu)\n", (unsigned long)s->ack,
                  (unsigned long)(s->ack - (have[to] ? base[to] : 0)));
    else
        sb_printf(b, "Ack: %lu (not valid: no ACK flag)\n", (unsigned long)s->ack);
    sb_printf(b, "Len: %lu\n", (unsigned long)s->len);
    if ((s->flags & LADDER_SYN) || !scale[s->from])
        sb_printf(b, "Window: %u\n", s->win);
    else
        sb_printf(b, "Window: %u (scaled: %lu, shift %u)\n", s->win,
                  (unsigned long)s->win << scale[s->from], scale[s->from]);
    sb_printf(b, "Header length: %u\n", s->hlen);
    sb_printf(b, "Checksum: 0x%04x\n", s->csum);
    sb_printf(b, "Urgent pointer: %u\n", s->urg);
    if (s->opts & LADDER_OPT_MSS)
        sb_printf(b, "Option MSS: %u\n", s->mss);
    if (s->opts & LADDER_OPT_WS)
        sb_printf(b, "Option window scale: %u (x%lu)\n", s->wscale,
                  1ul << (s->wscale > 14 ? 14 : s->wscale));
    if (s->opts & LADDER_OPT_SACK_PERM)
        sb_printf(b, "Option SACK permitted\n");
    if (s->opts & LADDER_OPT_TS)
        sb_printf(b, "Option timestamps: TSval %lu, TSecr %lu\n", (unsigned long)s->tsval,
                  (unsigned long)s->tsecr);
    for (int i = 0; i < s->nsack && i < LADDER_MAX_SACK; i++)
        sb_printf(b, "Option SACK block: %lu-%lu (relative %lu-%lu)\n",
                  (unsigned long)s->sack[i][0], (unsigned long)s->sack[i][1],
                  (unsigned long)(s->sack[i][0] - (have[to] ? base[to] : 0)),
                  (unsigned long)(s->sack[i][1] - (have[to] ? base[to] : 0)));
    if (s->analysis & LADDER_AN_RETRANSMISSION)
        sb_printf(b, "Analysis: retransmission\n");
    if (s->analysis & LADDER_AN_OUT_OF_ORDER)
        sb_printf(b, "Analysis: out-of-order\n");
    if (s->analysis & LADDER_AN_DUP_ACK)
        sb_printf(b, "Analysis: duplicate ACK #%u\n", s->dup_ack);
    if (s->analysis & LADDER_AN_ZERO_WINDOW)
        sb_printf(b, "Analysis: zero window\n");
    if (s->analysis & LADDER_AN_WINDOW_UPDATE)
        sb_printf(b, "Analysis: window update\n");
}

/* ---- drawing ------------------------------------------------------------------ */

static const char svg_style[] =
    "<style>\n"
    ".ladder{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,'DejaVu Sans Mono',"
    "monospace;font-size:12px}\n"
    ".ladder .title{font-size:13px;font-weight:bold;fill:#222}\n"
    ".ladder .host{font-size:13px;font-weight:bold;fill:#222}\n"
    ".ladder .hostline{stroke:#888;stroke-width:1.5}\n"
    ".ladder .arrow{stroke:#333;stroke-width:1.4;fill:none}\n"
    ".ladder .head{fill:#333}\n"
    ".ladder .syn .arrow{stroke:#1a7f37}.ladder .syn .head{fill:#1a7f37}\n"
    ".ladder .fin .arrow{stroke:#b35900}.ladder .fin .head{fill:#b35900}\n"
    ".ladder .rst .arrow{stroke:#cf222e}.ladder .rst .head{fill:#cf222e}\n"
    ".ladder .data .arrow{stroke:#0550ae}.ladder .data .head{fill:#0550ae}\n"
    ".ladder .lost .arrow{stroke-dasharray:5 3}\n"
    ".ladder .lostx{stroke:#cf222e;stroke-width:2}\n"
    ".ladder .label{fill:#222}\n"
    ".ladder .an{fill:#8250df;font-style:italic}\n"
    ".ladder .note{fill:#666;font-style:italic}\n"
    ".ladder .time{fill:#888;font-size:11px}\n"
    ".ladder .state{font-weight:bold;fill:#222}\n"
    ".ladder .abs{display:none}\n"
    ".ladder.absolute .abs{display:inline}.ladder.absolute .rel{display:none}\n"
    ".ladder .seg:hover .arrow,.ladder .seg.picked .arrow{stroke-width:3}\n"
    ".ladder .seg:hover .label,.ladder .seg.picked .label{font-weight:bold}\n"
    ".ladder .band{opacity:.85}\n"
    ".ladder .band.LISTEN{fill:#d0d7de}.ladder .band.SYN-SENT,.ladder .band.SYN-RCVD"
    "{fill:#aceebb}\n"
    ".ladder .band.ESTABLISHED{fill:#54aeff}.ladder .band.FIN-WAIT-1,.ladder .band.FIN-WAIT-2"
    ",.ladder .band.CLOSING{fill:#ffb77c}\n"
    ".ladder .band.CLOSE-WAIT,.ladder .band.LAST-ACK{fill:#d4a72c}.ladder .band.TIME-WAIT"
    "{fill:#c297ff}\n"
    ".ladder .band.CLOSED{fill:#eaeef2}.ladder .band.unknown{fill:#f6f8fa;stroke:#bbb;"
    "stroke-dasharray:2 2}\n"
    "</style>\n";

static const char *seg_class(const ladder_seg *s)
{
    if (s->flags & LADDER_RST)
        return "rst";
    if (s->flags & LADDER_SYN)
        return "syn";
    if (s->flags & LADDER_FIN)
        return "fin";
    if (s->len)
        return "data";
    return "ack";
}

static void draw_arrow(sbuf *b, const geom *g, const ladder_line *ln, const ladder_line *abs_ln,
                       const char *details)
{
    const ladder_seg *s = ln->seg;
    bool to_right = s->from == LADDER_A;
    double x0 = to_right ? g->x_left : g->x_right, x1 = to_right ? g->x_right : g->x_left;
    double y1 = SLANT;
    if (s->lost) {
        /* A lost segment stops two thirds of the way, under a red cross. */
        x1 = x0 + (x1 - x0) * 0.66;
        y1 = SLANT * 0.66;
    }
    double dir = to_right ? 1 : -1;
    sb_printf(b, "<g class=\"seg %s%s\"><title>", seg_class(s), s->lost ? " lost" : "");
    sb_xml(b, details);
    sb_printf(b, "</title>");
    /* An invisible wide stroke makes the arrow easy to hover. */
    sb_printf(b,
              "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"transparent\" "
              "stroke-width=\"12\"/>",
              x0, x1, y1);
    sb_printf(b, "<line class=\"arrow\" x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\"/>", x0,
              x1 - (s->lost ? 0 : dir * 8), y1 - (s->lost ? 0 : 8.0 * SLANT / (x1 - x0) * dir));
    if (s->lost) {
        sb_printf(b, "<path class=\"lostx\" d=\"M%.1f %.1f l8 8 M%.1f %.1f l8 -8\"/>", x1 - 4,
                  y1 - 4, x1 - 4, y1 + 4);
    } else {
        double k = SLANT / (x1 - x0); /* the slope, to aim the head along the line */
        sb_printf(b, "<path class=\"head\" d=\"M%.1f %.1f L%.1f %.1f L%.1f %.1f Z\"/>", x1, y1,
                  x1 - dir * 10, y1 - dir * 10 * k - 4, x1 - dir * 10, y1 - dir * 10 * k + 4);
    }
    double xm = (g->x_left + g->x_right) / 2, ym = SLANT / 2.0 - 5;
    sb_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", xm, ym);
    sb_printf(b, "<tspan class=\"rel\">");
    sb_xml(b, ln->label);
    sb_printf(b, "</tspan><tspan class=\"abs\">");
    sb_xml(b, abs_ln->label);
    sb_printf(b, "</tspan>");
    if (ln->analysis[0]) {
        sb_printf(b, "<tspan class=\"an\"> (");
        sb_xml(b, ln->analysis);
        sb_printf(b, ")</tspan>");
    }
    sb_printf(b, "</text></g>");
}

static void draw_time(sbuf *b, const geom *g, uint64_t t)
{
    sb_printf(b, "<text class=\"time\" x=\"%.1f\" y=\"4\">%llu.%03llu</text>", g->x_time,
              (unsigned long long)(t / 1000000u), (unsigned long long)(t % 1000000u / 1000u));
}

/* How far below its line a side's state is drawn: where the arrow meets
 * the receiver (its state changed on arrival), at the line for the sender. */
static int state_dy(const ladder_line *ln, int side)
{
    if (!ln->seg || ln->seg->from == (ladder_side)side)
        return 0;
    return ln->seg->lost ? 0 : SLANT;
}

static void draw_states(sbuf *b, const geom *g, const ladder_line *ln)
{
    if (ln->state[0]) {
        sb_printf(b, "<text class=\"state\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">",
                  g->x_left - 10, 4 + state_dy(ln, 0));
        sb_xml(b, ln->state[0]);
        sb_printf(b, "</text>");
    }
    if (ln->state[1]) {
        sb_printf(b, "<text class=\"state\" x=\"%.1f\" y=\"%d\">", g->x_right + 10,
                  4 + state_dy(ln, 1));
        sb_xml(b, ln->state[1]);
        sb_printf(b, "</text>");
    }
}

/* The bands: each side's state from the line that entered it to the line
 * of the next change (or the end). */
static void draw_bands(sbuf *b, const geom *g, const ladder_line *rows, size_t nrows)
{
    for (int side = 0; side < 2; side++) {
        double x = (side == 0 ? g->x_left : g->x_right) - 4;
        size_t from = 0;
        int from_dy = 0;
        const char *cur = NULL;
        for (size_t i = 0; i <= nrows; i++) {
            const char *st = i < nrows ? rows[i].state[side] : "";
            if (!st)
                continue;
            int dy = i < nrows ? state_dy(&rows[i], side) : 0;
            if (cur) {
                double y0 = (double)TOP + (double)from * ROW_H + from_dy;
                double y1 = (double)TOP + (double)i * ROW_H + dy;
                sb_printf(b,
                          "<rect class=\"band %s\" data-from=\"%zu\" data-from-dy=\"%d\" "
                          "data-to=\"%zu\" data-to-dy=\"%d\" x=\"%.1f\" y=\"%.1f\" "
                          "width=\"8\" height=\"%.1f\"><title>",
                          state_class(cur), from, from_dy, i, dy, x, y0, y1 - y0);
                sb_xml(b, cur);
                sb_printf(b, "</title></rect>\n");
            }
            cur = st;
            from = i;
            from_dy = dy;
        }
    }
}

/* The lines to draw: the elided part replaced by one marker line. */
static ladder_line *rows_to_draw(ladder_line *lines, size_t n, size_t max, size_t *nrows,
                                 char *marker, size_t cap)
{
    size_t from, to;
    size_t elided = ladder_elision(lines, n, max, &from, &to);
    if (!elided) {
        *nrows = n;
        return lines;
    }
    ladder_line *rows = calloc(n, sizeof(*rows));
    if (!rows)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == from) {
            ladder_line *m = &rows[k++];
            memset(m, 0, sizeof(*m));
            m->row = -1;
            m->t = lines[i].t;
            snprintf(marker, cap, "... %zu segment%s not shown (--max) ...", elided,
                     elided == 1 ? "" : "s");
            m->note = marker;
            for (size_t j = from; j < to; j++)
                for (int s = 0; s < 2; s++)
                    if (lines[j].state[s])
                        m->state[s] = lines[j].state[s];
        }
        if (i >= from && i < to)
            continue;
        rows[k++] = lines[i];
    }
    *nrows = k;
    return rows;
}

/* Draws the <svg> of @p l into @p b; @p id names it in the HTML page. */
static int svg_body(sbuf *b, const ladder *l, const char *title, const ladder_svg_opts *o,
                    const char *id, bool hidden)
{
    size_t n, na;
    ladder_line *lines = ladder_lines(l, false, &n);
    ladder_line *abs_lines = ladder_lines(l, true, &na);
    if (!lines || !abs_lines || n != na) {
        free(lines);
        free(abs_lines);
        return -1;
    }
    /* Both layouts have the same lines in the same order (only the numbers
     * differ), so line i of one is line i of the other. */
    char marker[96];
    size_t nrows;
    ladder_line *rows = rows_to_draw(lines, n, o->max, &nrows, marker, sizeof(marker));
    ladder_line *abs_rows = rows_to_draw(abs_lines, na, o->max, &nrows, marker, sizeof(marker));
    if (!rows || !abs_rows) {
        if (rows != lines)
            free(rows);
        if (abs_rows != abs_lines)
            free(abs_rows);
        free(lines);
        free(abs_lines);
        return -1;
    }
    geom g;
    measure(rows, nrows, o, nrows, l, title, &g);
    uint32_t base[2];
    bool have[2];
    ladder_bases(l, base, have);
    uint8_t scale[2];
    ladder_window_scales(l, scale);

    sb_printf(b,
              "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder%s\"%s%s%s width=\"%.0f\" "
              "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" data-top=\"%d\" data-row=\"%d\">\n",
              o->absolute ? " absolute" : "", id ? " id=\"" : "", id ? id : "", id ? "\"" : "",
              g.width, g.height, g.width, g.height, TOP, ROW_H);
    if (hidden)
        sb_printf(b, "<!-- shown by the connection picker -->\n");
    sb_add(b, svg_style, strlen(svg_style));
    sb_printf(b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
    sb_printf(b, "<text class=\"title\" x=\"10\" y=\"20\">");
    sb_xml(b, title ? title : "");
    sb_printf(b, "</text>\n");
    for (int side = 0; side < 2; side++) {
        double x = side == 0 ? g.x_left : g.x_right;
        sb_printf(b, "<text class=\"host\" x=\"%.1f\" y=\"50\" text-anchor=\"middle\">", x);
        sb_xml(b, ladder_label(l, (ladder_side)side));
        sb_printf(b, "</text>\n");
        sb_printf(b, "<line class=\"hostline\" x1=\"%.1f\" y1=\"58\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                  x, x, g.height - 14);
    }
    if (o->time)
        sb_printf(b, "<text class=\"time\" x=\"%.1f\" y=\"50\">ms</text>\n", g.x_time);
    draw_bands(b, &g, rows, nrows);
    for (size_t i = 0; i < nrows; i++) {
        const ladder_line *ln = &rows[i];
        sb_printf(b,
                  "<g class=\"ln\" data-i=\"%zu\" data-t=\"%llu\" transform=\"translate(0 %d)\">",
                  i, (unsigned long long)ln->t, TOP + (int)i * ROW_H);
        if (o->time)
            draw_time(b, &g, ln->t);
        draw_states(b, &g, ln);
        if (ln->seg) {
            sbuf d = {0};
            seg_details(&d, l, ln->seg, ln->segno, base, have, scale);
            if (d.failed) {
                b->failed = true;
            } else {
                draw_arrow(b, &g, ln, &abs_rows[i], d.p ? d.p : "");
            }
            free(d.p);
        } else if (ln->note) {
            sb_printf(b, "<text class=\"note\" x=\"%.1f\" y=\"4\" text-anchor=\"middle\">(",
                      (g.x_left + g.x_right) / 2);
            sb_xml(b, ln->note);
            sb_printf(b, ")</text>");
        }
        sb_printf(b, "</g>\n");
    }
    sb_printf(b, "</svg>\n");
    if (rows != lines)
        free(rows);
    if (abs_rows != abs_lines)
        free(abs_rows);
    free(lines);
    free(abs_lines);
    return b->failed ? -1 : 0;
}

char *ladder_render_svg(const ladder *l, const char *title, const ladder_svg_opts *o)
{
    sbuf b = {0};
    sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (svg_body(&b, l, title, o, NULL, false) < 0 || b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- HTML ------------------------------------------------------------------ */

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>synack ladder</title>\n<style>\n"
    "body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;"
    "background:#f6f8fa}\n"
    "header{display:flex;flex-wrap:wrap;gap:14px;align-items:center;padding:10px 16px;"
    "background:#fff;border-bottom:1px solid #d0d7de;position:sticky;top:0;z-index:2}\n"
    "header h1{font-size:16px;margin:0 12px 0 0}\n"
    "main{display:flex;gap:16px;padding:16px;align-items:flex-start}\n"
    "#view{background:#fff;border:1px solid #d0d7de;overflow:auto;flex:1 1 auto}\n"
    "#panel{flex:0 0 340px;background:#fff;border:1px solid #d0d7de;padding:10px;"
    "position:sticky;top:64px;font:12px ui-monospace,Menlo,Consolas,monospace;"
    "white-space:pre-wrap;min-height:120px}\n"
    "#panel b{font-family:system-ui,sans-serif}\n"
    ".seg{cursor:pointer}\n"
    "</style>\n</head>\n<body>\n";

static const char html_script[] =
    "<script>\n"
    "(function(){\n"
    "var pick=document.getElementById('conn'),abs=document.getElementById('abs'),\n"
    "zoom=document.getElementById('zoom'),panel=document.getElementById('panel');\n"
    "function svgs(){return Array.prototype.slice.call(document.querySelectorAll('svg.ladder'))}\n"
    "function current(){return document.getElementById('c'+pick.value)}\n"
    "function show(){svgs().forEach(function(s){s.style.display=s===current()?'block':'none'});"
    "layout()}\n"
    "function setAbs(){svgs().forEach(function(s){s.classList.toggle('absolute',abs.checked)})}\n"
    /* Zoom: 0 spaces lines evenly; above, the gap between two lines grows
     * with the time between them (log scale so a 2 s TIME-WAIT stays on
     * screen), times the zoom factor. */
    "function layout(){var s=current();if(!s)return;var top=+s.dataset.top,row=+s.dataset.row,"
    "z=+zoom.value,lines=s.querySelectorAll('g.ln'),y=[],prev=null,cur=top;\n"
    "for(var i=0;i<lines.length;i++){var t=+lines[i].dataset.t;if(prev!==null){var dt=Math.max(0,"
    "t-prev)/1e6;cur+=row+z*row*Math.log(1+dt)/Math.log(10);}y.push(cur);prev=t;"
    "lines[i].setAttribute('transform','translate(0 '+cur+')');}\n"
    "y.push(cur+row);\n"
    "s.querySelectorAll('rect.band').forEach(function(r){var a=y[+r.dataset.from]+"
    "(+r.dataset.fromDy),b=y[+r.dataset.to]+(+r.dataset.toDy);"
    "r.setAttribute('y',a);r.setAttribute('height',Math.max(0,b-a));});\n"
    "var h=cur+row+24;s.setAttribute('height',h);var vb=s.getAttribute('viewBox').split(' ');"
    "vb[3]=h;s.setAttribute('viewBox',vb.join(' '));\n"
    "s.querySelectorAll('line.hostline').forEach(function(l){l.setAttribute('y2',h-14)});}\n"
    "function detail(g){var t=g.querySelector('title');svgs().forEach(function(s){"
    "s.querySelectorAll('.picked').forEach(function(p){p.classList.remove('picked')})});"
    "g.classList.add('picked');panel.textContent=t?t.textContent:'';}\n"
    "document.querySelectorAll('g.seg').forEach(function(g){"
    "g.addEventListener('click',function(){detail(g)});"
    "g.addEventListener('mouseenter',function(){if(!document.querySelector('.picked'))"
    "panel.textContent=g.querySelector('title').textContent});});\n"
    "pick.addEventListener('change',show);abs.addEventListener('change',setAbs);"
    "zoom.addEventListener('input',layout);\n"
    "setAbs();show();\n"
    /* #selftest: drive the page as a user would, through DOM events, and
     * write what happened into <pre id=selftest> (tests/unit/ladder_html.sh
     * reads it from chromium's --dump-dom). */
    "if(location.hash.indexOf('selftest')>=0){var out=[],s=current(),"
    "segs=s.querySelectorAll('g.seg');\n"
    "out.push('connections='+svgs().length);out.push('arrows='+segs.length);"
    "out.push('labels='+s.querySelectorAll('text.label').length);"
    "out.push('states='+s.querySelectorAll('text.state').length);\n"
    "segs[0].dispatchEvent(new MouseEvent('click',{bubbles:true}));"
    "out.push('panel='+panel.textContent.split('\\n')[0]);"
    "out.push('picked='+s.querySelectorAll('g.seg.picked').length);\n"
    "var rel=s.querySelector('tspan.rel');out.push('rel-shown='+(getComputedStyle(rel).display"
    "!=='none'));abs.click();out.push('abs-shown='+(getComputedStyle(s.querySelector("
    "'tspan.abs')).display!=='none')+' rel-hidden='+(getComputedStyle(rel).display==='none'));"
    "\n"
    "var last=s.querySelectorAll('g.ln');last=last[last.length-1];"
    "var y0=last.getAttribute('transform');zoom.value=6;zoom.dispatchEvent(new Event('input'));"
    "out.push('zoom-moved='+(last.getAttribute('transform')!==y0));\n"
    "if(pick.options.length>1){pick.value='2';pick.dispatchEvent(new Event('change'));"
    "out.push('picker-shows-2='+(document.getElementById('c2').style.display==='block'&&"
    "document.getElementById('c1').style.display==='none'));}\n"
    "var pre=document.createElement('pre');pre.id='selftest';pre.textContent=out.join('\\n');"
    "document.body.appendChild(pre);}\n"
    "})();\n"
    "</script>\n";

struct ladder_page {
    ladder_svg_opts o;
    sbuf options; /* the picker's <option>s */
    sbuf svgs;    /* the drawings, one <svg> per connection */
    size_t n;
};

ladder_page *ladder_page_new(const ladder_svg_opts *o)
{
    ladder_page *p = calloc(1, sizeof(*p));
    if (p)
        p->o = *o;
    return p;
}

void ladder_page_free(ladder_page *p)
{
    if (!p)
        return;
    free(p->options.p);
    free(p->svgs.p);
    free(p);
}

size_t ladder_page_count(const ladder_page *p)
{
    return p->n;
}

int ladder_page_add(ladder_page *p, const ladder *l, const char *title)
{
    size_t n = p->n + 1;
    char id[32];
    snprintf(id, sizeof(id), "c%zu", n);
    /* Drawn aside first, so that a failure leaves the page as it was. */
    sbuf opt = {0}, svg = {0};
    sb_printf(&opt, "<option value=\"%zu\">", n);
    sb_xml(&opt, title);
    sb_printf(&opt, "</option>\n");
    int rv = svg_body(&svg, l, title, &p->o, id, n > 1);
    if (rv == 0 && !opt.failed && !svg.failed) {
        sb_add(&p->options, opt.p, opt.len);
        sb_add(&p->svgs, svg.p, svg.len);
    }
    free(opt.p);
    free(svg.p);
    if (rv < 0 || opt.failed || svg.failed || p->options.failed || p->svgs.failed)
        return -1;
    p->n = n;
    return 0;
}

char *ladder_page_render(const ladder_page *p)
{
    sbuf b = {0};
    sb_add(&b, html_head, strlen(html_head));
    sb_printf(&b, "<header><h1>synack ladder</h1>\n<label>Connection <select id=\"conn\">\n");
    if (p->options.p)
        sb_add(&b, p->options.p, p->options.len);
    sb_printf(&b,
              "</select></label>\n<label><input type=\"checkbox\" id=\"abs\"%s> absolute "
              "sequence numbers</label>\n"
              "<label>time axis <input type=\"range\" id=\"zoom\" min=\"0\" max=\"8\" "
              "step=\"0.25\" value=\"0\"></label>\n</header>\n<main>\n<div id=\"view\">\n",
              p->o.absolute ? " checked" : "");
    if (p->svgs.p)
        sb_add(&b, p->svgs.p, p->svgs.len);
    sb_printf(&b, "</div>\n<div id=\"panel\"><b>Hover or click an arrow</b> to see the whole "
                  "segment: every header field and option.</div>\n</main>\n");
    sb_add(&b, html_script, strlen(html_script));
    sb_printf(&b, "</body>\n</html>\n");
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

char *ladder_render_html(const ladder_doc_item *items, size_t n, const ladder_svg_opts *o)
{
    ladder_page *p = ladder_page_new(o);
    char *doc = NULL;
    size_t i = 0;
    while (p && i < n && ladder_page_add(p, items[i].lad, items[i].title) == 0)
        i++;
    if (p && i == n)
        doc = ladder_page_render(p);
    ladder_page_free(p);
    return doc;
}

/* ---- formats ---------------------------------------------------------------- */

static const char *const format_names[] = {"ascii", "svg", "html"};

int ladder_format_parse(const char *s, ladder_format *out)
{
    for (size_t i = 0; s && i < sizeof(format_names) / sizeof(format_names[0]); i++) {
        if (strcmp(s, format_names[i]) == 0) {
            *out = (ladder_format)i;
            return 0;
        }
    }
    return -1;
}

const char *ladder_format_name(ladder_format f)
{
    return (size_t)f < sizeof(format_names) / sizeof(format_names[0]) ? format_names[f] : "?";
}
