/* See liveladder.h. */
#include "liveladder.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ladder_infer.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

typedef struct live_conn {
    synack_ipv4 laddr, raddr;
    uint16_t lport, rport;
    bool used;
    bool known;    /* the stack reported a state for it */
    uint64_t seen; /* order of first sight, to find the oldest */
    ladder_seg *segs;
    size_t n, cap;
    size_t dropped; /* segments beyond LIVE_LADDER_MAX_SEGS */
} live_conn;

struct live_ladder {
    synack_link_type link;
    live_ladder_opts o;
    FILE *out;           /* ascii: where the text goes; svg: the first file, until
                            written; html: the page's file */
    bool own_out;        /* opened here, closed at the end */
    size_t drawn;        /* connections drawn */
    ladder_page *page;   /* html */
    size_t page_dropped; /* html: connections beyond LIVE_LADDER_MAX_PAGE */
    bool failed;         /* something could not be drawn or written */
    uint64_t counter;
    size_t max_conns;
    live_conn *conns;
};

live_ladder *live_ladder_new(synack_link_type link, const live_ladder_opts *o)
{
    if (o->format != LADDER_FORMAT_ASCII && !o->path) {
        errno = EINVAL; /* a picture goes to a file of its own */
        return NULL;
    }
    live_ladder *ll = calloc(1, sizeof(*ll));
    if (!ll)
        return NULL;
    ll->link = link;
    ll->o = *o;
    ll->max_conns = o->max_conns ? o->max_conns : LIVE_LADDER_MAX_CONNS;
    ll->conns = calloc(ll->max_conns, sizeof(*ll->conns));
    if (o->format == LADDER_FORMAT_HTML) {
        ladder_svg_opts so = {
            .absolute = o->style.absolute, .time = o->style.time, .max = o->style.max};
        ll->page = ladder_page_new(&so);
    }
    if (!ll->conns || (o->format == LADDER_FORMAT_HTML && !ll->page)) {
        ladder_page_free(ll->page);
        free(ll->conns);
        free(ll);
        errno = ENOMEM;
        return NULL;
    }
    ll->out = o->stream ? o->stream : stderr;
    if (o->path) {
        ll->out = fopen(o->path, "w");
        if (!ll->out) {
            int e = errno;
            ladder_page_free(ll->page);
            free(ll->conns);
            free(ll);
            errno = e;
            return NULL;
        }
        ll->own_out = true;
    }
    return ll;
}

/* The segment in a frame the stack sent or received, with its addresses
 * and ports (source first). False for anything that is not IPv4/TCP with
 * whole, well-formed headers; fragments are not segments. */
static bool parse(const live_ladder *ll, const uint8_t *f, size_t len, synack_ipv4 addr[2],
                  uint16_t port[2], ladder_seg *seg)
{
    if (ll->link == SYNACK_LINK_ETHERNET) {
        if (len < SK_ETH_HLEN || sk_get16(f + 12) != SK_ETHERTYPE_IPV4)
            return false;
        f += SK_ETH_HLEN;
        len -= SK_ETH_HLEN;
    }
    sk_ipv4_hdr ip;
    sk_tcp_hdr h;
    sk_tcp_opts opts;
    if (sk_ipv4_parse(f, len, &ip) < 0 || ip.proto != SK_IPPROTO_TCP || sk_ipv4_is_fragment(&ip))
        return false;
    const uint8_t *t = f + ip.hlen;
    size_t tlen = (size_t)ip.total_len - ip.hlen;
    if (sk_tcp_parse(t, tlen, &h) < 0 || sk_tcp_parse_options(h.opts, h.opts_len, &opts) < 0)
        return false;
    memset(seg, 0, sizeof(*seg));
    ladder_seg_from_tcp(seg, &h, &opts, (uint32_t)(tlen - h.hlen));
    addr[0] = ip.src;
    addr[1] = ip.dst;
    port[0] = h.sport;
    port[1] = h.dport;
    return true;
}

static live_conn *find(live_ladder *ll, synack_ipv4 la, uint16_t lp, synack_ipv4 ra, uint16_t rp)
{
    for (size_t i = 0; i < ll->max_conns; i++) {
        live_conn *c = &ll->conns[i];
        if (c->used && c->laddr == la && c->lport == lp && c->raddr == ra && c->rport == rp)
            return c;
    }
    return NULL;
}

/* "ladder.svg" -> "ladder-2.svg" (n >= 2); "out" -> "out-2". */
static char *nth_path(const char *path, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    size_t cap = strlen(path) + 24;
    char *p = malloc(cap);
    if (p)
        snprintf(p, cap, "%.*s-%zu%s", (int)stem, path, n, path + stem);
    return p;
}

static void failed(live_ladder *ll, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failed(live_ladder *ll, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "synack %s: ", ll->o.cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    ll->failed = true;
}

/* An SVG file per connection. */
static void write_svg(live_ladder *ll, const ladder *l, const char *title)
{
    ladder_svg_opts so = {
        .absolute = ll->o.style.absolute, .time = ll->o.style.time, .max = ll->o.style.max};
    char *doc = ladder_render_svg(l, title, &so);
    char *path = NULL;
    FILE *f = ll->out;
    if (!doc) {
        failed(ll, "out of memory drawing %s", title);
        return;
    }
    /* The first picture goes to the file opened at the start (and named
     * by the user), the others to files named after it. */
    if (!f) {
        path = nth_path(ll->o.path, ll->drawn + 1);
        f = path ? fopen(path, "w") : NULL;
    }
    ll->out = NULL;
    const char *name = path ? path : ll->o.path;
    if (!f) {
        failed(ll, "cannot write %s: %s", name, strerror(errno));
    } else {
        bool bad = fputs(doc, f) < 0;
        if (fclose(f) != 0 || bad)
            failed(ll, "writing %s failed", name);
    }
    free(path);
    free(doc);
}

static void draw(live_ladder *ll, live_conn *c)
{
    char a[24], b[24], sa[16], sb[16];
    snprintf(a, sizeof(a), "%s:%u", synack_ipv4_format(c->laddr, sa), c->lport);
    snprintf(b, sizeof(b), "%s:%u", synack_ipv4_format(c->raddr, sb), c->rport);
    /* The side that opened goes on the left, as in the RFC's figures. */
    bool swap = c->n && ladder_infer_client(c->segs, c->n) == LADDER_B;
    if (swap)
        for (size_t i = 0; i < c->n; i++)
            c->segs[i].from = c->segs[i].from == LADDER_A ? LADDER_B : LADDER_A;
    uint64_t t0 = c->n ? c->segs[0].sent_ns : 0;
    for (size_t i = 0; i < c->n; i++)
        c->segs[i].sent_ns -= t0;
    ladder_summary sum;
    ladder *l = ladder_from_segments(c->segs, c->n, swap ? b : a, swap ? a : b, &sum);
    if (ll->o.format == LADDER_FORMAT_ASCII) {
        char *text = l ? ladder_render(l, &ll->o.style) : NULL;
        if (text) {
            fputs(text, ll->out);
            if (c->dropped)
                fprintf(ll->out, "(%zu later segments not kept)\n", c->dropped);
            fputc('\n', ll->out);
        } else {
            fprintf(ll->out, "synack: out of memory drawing the ladder of %s - %s\n", a, b);
        }
        fflush(ll->out);
        free(text);
    } else if (!l) {
        failed(ll, "out of memory drawing the ladder of %s - %s", a, b);
    } else {
        static const char *const names[2] = {"client", "server"};
        char title[256], end[96], kept[64] = "";
        uint64_t d = c->n ? c->segs[c->n - 1].sent_ns : 0;
        if (c->dropped)
            snprintf(kept, sizeof(kept), " (%zu later not kept)", c->dropped);
        snprintf(title, sizeof(title), "connection %zu: %s -> %s, %zu segment%s%s in %.3f s, %s",
                 ll->drawn + 1, ladder_label(l, LADDER_A), ladder_label(l, LADDER_B), c->n,
                 c->n == 1 ? "" : "s", kept, (double)d / 1e9,
                 ladder_end_text(&sum, names, end, sizeof(end)));
        if (ll->o.format == LADDER_FORMAT_SVG)
            write_svg(ll, l, title);
        else if (ladder_page_count(ll->page) >= LIVE_LADDER_MAX_PAGE)
            ll->page_dropped++;
        else if (ladder_page_add(ll->page, l, title) < 0)
            failed(ll, "out of memory drawing %s", title);
    }
    ll->drawn++;
    ladder_free(l);
    free(c->segs);
    memset(c, 0, sizeof(*c));
}

static live_conn *add(live_ladder *ll, synack_ipv4 la, uint16_t lp, synack_ipv4 ra, uint16_t rp)
{
    live_conn *free_slot = NULL, *oldest = NULL;
    for (size_t i = 0; i < ll->max_conns && !free_slot; i++) {
        live_conn *c = &ll->conns[i];
        if (!c->used)
            free_slot = c;
        else if (!oldest || c->seen < oldest->seen)
            oldest = c;
    }
    if (!free_slot) {
        draw(ll, oldest);
        free_slot = oldest;
    }
    *free_slot = (live_conn){
        .laddr = la, .lport = lp, .raddr = ra, .rport = rp, .used = true, .seen = ll->counter++};
    return free_slot;
}

static void on_frame(live_ladder *ll, const synack_trace_event *ev, bool out)
{
    synack_ipv4 addr[2];
    uint16_t port[2];
    ladder_seg seg;
    if (!parse(ll, ev->frame, ev->len, addr, port, &seg))
        return;
    /* Ours is the sender's side of what we send, the receiver's otherwise. */
    int me = out ? 0 : 1, peer = 1 - me;
    live_conn *c = find(ll, addr[me], port[me], addr[peer], port[peer]);
    if (!c) {
        /* A connection starts with a SYN; a stray segment (to a closed port,
         * of a connection already drawn) starts none. */
        if (!(seg.flags & LADDER_SYN))
            return;
        c = add(ll, addr[me], port[me], addr[peer], port[peer]);
    }
    if (c->n == LIVE_LADDER_MAX_SEGS) {
        c->dropped++;
        return;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        ladder_seg *s = realloc(c->segs, cap * sizeof(*s));
        if (!s) {
            c->dropped++;
            return;
        }
        c->segs = s;
        c->cap = cap;
    }
    seg.from = out ? LADDER_A : LADDER_B;
    seg.sent_ns = ev->now;
    c->segs[c->n++] = seg;
    /* Refused: the stack never had a connection to report. */
    if ((seg.flags & LADDER_RST) && !c->known)
        draw(ll, c);
}

void live_ladder_trace(void *user, const synack_trace_event *ev)
{
    live_ladder *ll = user;
    switch (ev->kind) {
    case SYNACK_TRACE_FRAME_IN:
        on_frame(ll, ev, false);
        break;
    case SYNACK_TRACE_FRAME_OUT:
        on_frame(ll, ev, true);
        break;
    case SYNACK_TRACE_TCP_STATE: {
        if (ev->remote_port == 0) /* a listener */
            break;
        live_conn *c = find(ll, ev->local_addr, ev->local_port, ev->remote_addr, ev->remote_port);
        if (!c)
            break;
        c->known = true;
        if (ev->new_state == SYNACK_TCP_CLOSED)
            draw(ll, c);
        break;
    }
    default:
        break;
    }
}

/* The end of the output: the page (html), the check that all was written. */
static void finish_output(live_ladder *ll)
{
    if (ll->o.format == LADDER_FORMAT_HTML) {
        char *doc = ladder_page_render(ll->page);
        if (!doc)
            failed(ll, "out of memory writing %s", ll->o.path);
        else if (fputs(doc, ll->out) < 0)
            failed(ll, "writing %s failed", ll->o.path);
        free(doc);
        if (ll->page_dropped)
            fprintf(stderr,
                    "synack %s: %s holds the first %d connections; %zu later ones are not "
                    "drawn\n",
                    ll->o.cmd, ll->o.path, LIVE_LADDER_MAX_PAGE, ll->page_dropped);
    }
    if (ll->o.format == LADDER_FORMAT_SVG && ll->out) {
        /* No picture: no file, rather than an empty one that is not SVG. */
        fclose(ll->out);
        ll->out = NULL;
        remove(ll->o.path);
        fprintf(stderr, "synack %s: no connection drawn; %s not written\n", ll->o.cmd, ll->o.path);
    }
    if (ll->own_out && ll->out) {
        bool bad = fflush(ll->out) != 0 || ferror(ll->out);
        if (fclose(ll->out) != 0 || bad)
            failed(ll, "writing %s failed", ll->o.path);
    }
    ll->out = NULL;
}

int live_ladder_finish(live_ladder *ll)
{
    if (!ll)
        return 0;
    /* In the order they began. */
    for (;;) {
        live_conn *first = NULL;
        for (size_t i = 0; i < ll->max_conns; i++) {
            live_conn *c = &ll->conns[i];
            if (c->used && (!first || c->seen < first->seen))
                first = c;
        }
        if (!first)
            break;
        draw(ll, first);
    }
    finish_output(ll);
    int rv = ll->failed ? -1 : 0;
    ladder_page_free(ll->page);
    free(ll->conns);
    free(ll);
    return rv;
}
