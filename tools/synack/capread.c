/* Capture reading (see capread.h). libpcap reads both file formats and
 * hands us frames; everything past the link header is parsed here, by
 * hand for IP (a capture may be cut short, so the IP parsers of the stack,
 * which insist on whole datagrams, do not fit) and by the stack's wire
 * parser for TCP. */
#include "capread.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder_infer.h"
#include "wire/tcp.h"

/* Link types by number (LINKTYPE_* as stored, DLT_* as libpcap maps them):
 * the numbers differ between systems for raw IP and loopback. */
enum {
    LT_NULL = 0,
    LT_ETHERNET = 1,
    LT_RAW_12 = 12,
    LT_RAW_14 = 14,
    LT_RAW = 101,
    LT_LOOP = 108,
    LT_SLL = 113,
    LT_IPV4 = 228,
    LT_IPV6 = 229,
    LT_SLL2 = 276,
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

/* The network-layer bytes of a frame and their ethertype; false if the
 * frame is too short or carries something else. */
static bool link_payload(int lt, const uint8_t *p, size_t len, const uint8_t **out, size_t *out_len,
                         uint16_t *etype)
{
    size_t off;
    switch (lt) {
    case LT_ETHERNET:
        if (len < 14)
            return false;
        *etype = rd16(p + 12);
        off = 14;
        /* 802.1Q and 802.1ad tags, up to two. */
        for (int k = 0; k < 2 && (*etype == 0x8100 || *etype == 0x88a8); k++) {
            if (len < off + 4)
                return false;
            *etype = rd16(p + off + 2);
            off += 4;
        }
        break;
    case LT_SLL:
        if (len < 16)
            return false;
        *etype = rd16(p + 14);
        off = 16;
        break;
    case LT_SLL2:
        if (len < 20)
            return false;
        *etype = rd16(p);
        off = 20;
        break;
    case LT_NULL:
    case LT_LOOP: {
        if (len < 4)
            return false;
        /* The address family: host order for NULL (either order, since the
         * writer's is unknown), network order for LOOP. 2 is AF_INET; the
         * values of AF_INET6 differ: 24, 28, 30 (BSDs), 10 (Linux). */
        uint32_t be = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
        uint32_t af = (lt == LT_LOOP || be < le) ? be : le;
        if (af == 2)
            *etype = 0x0800;
        else if (af == 10 || af == 24 || af == 28 || af == 30)
            *etype = 0x86dd;
        else
            return false;
        off = 4;
        break;
    }
    case LT_RAW:
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_IPV4:
    case LT_IPV6:
        if (len < 1)
            return false;
        *etype = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
        off = 0;
        break;
    default:
        return false;
    }
    if (off > len)
        return false;
    *out = p + off;
    *out_len = len - off;
    return true;
}

static bool supported_linktype(int lt)
{
    switch (lt) {
    case LT_NULL:
    case LT_ETHERNET:
    case LT_RAW_12:
    case LT_RAW_14:
    case LT_RAW:
    case LT_LOOP:
    case LT_SLL:
    case LT_IPV4:
    case LT_IPV6:
    case LT_SLL2:
        return true;
    default:
        return false;
    }
}

typedef struct tcp_frame {
    cap_endpoint src, dst;
    const uint8_t *tcp; /* captured bytes from the TCP header on */
    size_t tcp_caplen;  /* how many were captured */
    uint32_t tcp_len;   /* how long the segment was on the wire (header + data) */
} tcp_frame;

/* 1: a TCP segment, 0: not TCP, -1: truncated. */
static int parse_ipv4(const uint8_t *p, size_t len, tcp_frame *f)
{
    if (len < 20)
        return -1;
    size_t ihl = (size_t)(p[0] & 0x0f) * 4;
    uint16_t total = rd16(p + 2);
    if (ihl < 20 || total < ihl)
        return 0;
    if (p[9] != 6)
        return 0;
    if ((rd16(p + 6) & 0x1fff) != 0)
        return 0; /* a later fragment: no TCP header here */
    if (len < ihl)
        return -1;
    memset(f, 0, sizeof(*f));
    memcpy(f->src.addr, p + 12, 4);
    memcpy(f->dst.addr, p + 16, 4);
    f->tcp = p + ihl;
    f->tcp_caplen = len - ihl;
    f->tcp_len = (uint32_t)(total - ihl);
    /* TSO captures show total length 0; trust what was captured then. */
    if (total == 0)
        f->tcp_len = (uint32_t)f->tcp_caplen;
    return 1;
}

static int parse_ipv6(const uint8_t *p, size_t len, tcp_frame *f)
{
    if (len < 40)
        return -1;
    uint8_t next = p[6];
    size_t off = 40;
    size_t payload = rd16(p + 4); /* RFC 8200 3: everything after the fixed header */
    /* Skip the extension headers that may come before TCP (RFC 8200 4). */
    for (int k = 0; k < 8; k++) {
        if (next == 6)
            break;
        if (next == 0 || next == 43 || next == 60) {
            if (len < off + 2)
                return -1;
            size_t hl = ((size_t)p[off + 1] + 1) * 8;
            next = p[off];
            off += hl;
        } else if (next == 44) {
            if (len < off + 8)
                return -1;
            if ((rd16(p + off + 2) & 0xfff8) != 0)
                return 0; /* not the first fragment */
            next = p[off];
            off += 8;
        } else {
            return 0;
        }
    }
    if (next != 6)
        return 0;
    if (len < off)
        return -1;
    memset(f, 0, sizeof(*f));
    f->src.v6 = f->dst.v6 = true;
    memcpy(f->src.addr, p + 8, 16);
    memcpy(f->dst.addr, p + 24, 16);
    f->tcp = p + off;
    f->tcp_caplen = len - off;
    if (payload + 40 < off)
        return 0;
    f->tcp_len = payload ? (uint32_t)(payload + 40 - off) : (uint32_t)f->tcp_caplen;
    return 1;
}

/* ---- connections ---------------------------------------------------------- */

static bool ep_eq(const cap_endpoint *a, const cap_endpoint *b)
{
    return a->v6 == b->v6 && a->port == b->port && memcmp(a->addr, b->addr, 16) == 0;
}

static uint64_t ep_hash(const cap_endpoint *e, uint64_t h)
{
    for (int i = 0; i < 16; i++)
        h = (h ^ e->addr[i]) * 1099511628211ull;
    h = (h ^ e->port) * 1099511628211ull;
    return (h ^ e->v6) * 1099511628211ull;
}

/* The same for both directions: hash the smaller endpoint first. */
static uint64_t key_hash(const cap_endpoint *a, const cap_endpoint *b)
{
    int c = memcmp(a->addr, b->addr, 16);
    bool swap = c > 0 || (c == 0 && a->port > b->port);
    uint64_t h = 1469598103934665603ull;
    h = ep_hash(swap ? b : a, h);
    return ep_hash(swap ? a : b, h);
}

static bool conn_matches(const cap_conn *c, const cap_endpoint *s, const cap_endpoint *d)
{
    return (ep_eq(&c->ep[0], s) && ep_eq(&c->ep[1], d)) ||
           (ep_eq(&c->ep[0], d) && ep_eq(&c->ep[1], s));
}

static int index_grow(cap_file *cf)
{
    size_t ns = cf->nslots ? cf->nslots * 2 : 256;
    uint32_t *slots = calloc(ns, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < cf->n; i++) {
        /* Only the latest connection of each 4-tuple is indexed. */
        const cap_conn *c = &cf->conns[i];
        size_t j = key_hash(&c->ep[0], &c->ep[1]) & (ns - 1);
        while (slots[j] && !conn_matches(&cf->conns[slots[j] - 1], &c->ep[0], &c->ep[1]))
            j = (j + 1) & (ns - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    free(cf->slots);
    cf->slots = slots;
    cf->nslots = ns;
    return 0;
}

/* The slot of the 4-tuple: its latest connection, or an empty slot. */
static uint32_t *index_slot(cap_file *cf, const cap_endpoint *s, const cap_endpoint *d)
{
    size_t j = key_hash(s, d) & (cf->nslots - 1);
    while (cf->slots[j] && !conn_matches(&cf->conns[cf->slots[j] - 1], s, d))
        j = (j + 1) & (cf->nslots - 1);
    return &cf->slots[j];
}

static cap_conn *new_conn(cap_file *cf, const cap_endpoint *s, const cap_endpoint *d)
{
    if (cf->n == cf->cap) {
        size_t cap = cf->cap ? cf->cap * 2 : 16;
        cap_conn *c = realloc(cf->conns, cap * sizeof(*c));
        if (!c)
            return NULL;
        cf->conns = c;
        cf->cap = cap;
    }
    if ((cf->n + 1) * 2 > cf->nslots && index_grow(cf) < 0)
        return NULL;
    cap_conn *c = &cf->conns[cf->n++];
    memset(c, 0, sizeof(*c));
    c->ep[0] = *s;
    c->ep[1] = *d;
    *index_slot(cf, s, d) = (uint32_t)cf->n;
    return c;
}

static int add_segment(cap_conn *c, const ladder_seg *seg)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        ladder_seg *s = realloc(c->segs, cap * sizeof(*s));
        if (!s)
            return -1;
        c->segs = s;
        c->cap = cap;
    }
    c->segs[c->n++] = *seg;
    if (seg->flags & LADDER_RST)
        c->closed_for_reuse = true;
    if (seg->flags & LADDER_FIN) {
        c->fin[seg->from] = true;
        if (c->fin[0] && c->fin[1])
            c->closed_for_reuse = true;
    }
    return 0;
}

/* Whether a SYN from @p from with @p seq opens a new connection on the
 * 4-tuple of @p c: the old one is over (RST, both FINs), or it already
 * had a SYN from that side with another initial sequence number. */
static bool starts_new(const cap_conn *c, ladder_side from, uint32_t seq)
{
    if (c->closed_for_reuse)
        return true;
    for (size_t i = 0; i < c->n; i++) {
        const ladder_seg *s = &c->segs[i];
        if (s->from == from && (s->flags & LADDER_SYN) && !(s->flags & LADDER_ACK))
            return s->seq != seq;
    }
    return false;
}

static int on_tcp(cap_file *cf, const tcp_frame *f, uint64_t t)
{
    sk_tcp_hdr h;
    sk_tcp_opts o;
    if (sk_tcp_parse(f->tcp, f->tcp_caplen, &h) < 0) {
        cf->truncated++;
        return 0;
    }
    if (sk_tcp_parse_options(h.opts, h.opts_len, &o) < 0)
        memset(&o, 0, sizeof(o)); /* malformed options: draw the segment without them */
    cap_endpoint src = f->src, dst = f->dst;
    src.port = h.sport;
    dst.port = h.dport;
    if (!cf->nslots && index_grow(cf) < 0)
        return -1;
    uint32_t *slot = index_slot(cf, &src, &dst);
    cap_conn *c = *slot ? &cf->conns[*slot - 1] : NULL;
    ladder_side from = c && ep_eq(&c->ep[0], &src) ? LADDER_A : LADDER_B;
    if (c && (h.flags & (SK_TCP_SYN | SK_TCP_ACK)) == SK_TCP_SYN && starts_new(c, from, h.seq))
        c = NULL;
    if (!c) {
        c = new_conn(cf, &src, &dst);
        if (!c)
            return -1;
        from = LADDER_A;
    }
    ladder_seg seg = {.from = from, .sent_ns = t, .arrived_ns = t};
    uint32_t payload = f->tcp_len > h.hlen ? f->tcp_len - h.hlen : 0;
    ladder_seg_from_tcp(&seg, &h, &o, payload);
    return add_segment(c, &seg);
}

/* Puts the opener on the left (ep[LADDER_A]). */
static void orient(cap_conn *c)
{
    if (ladder_infer_client(c->segs, c->n) == LADDER_A)
        return;
    cap_endpoint e = c->ep[0];
    c->ep[0] = c->ep[1];
    c->ep[1] = e;
    for (size_t i = 0; i < c->n; i++)
        c->segs[i].from = c->segs[i].from == LADDER_A ? LADDER_B : LADDER_A;
}

int cap_read(const char *path, cap_file *cf, char *err, size_t errlen)
{
    memset(cf, 0, sizeof(*cf));
    char perr[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!p) {
        snprintf(err, errlen, "cannot read %s: %s", path, perr);
        return -1;
    }
    cf->linktype = pcap_datalink(p);
    if (!supported_linktype(cf->linktype)) {
        const char *name = pcap_datalink_val_to_name(cf->linktype);
        snprintf(err, errlen, "%s: link type %d (%s) is not supported", path, cf->linktype,
                 name ? name : "unknown");
        pcap_close(p);
        return -1;
    }
    struct pcap_pkthdr *ph;
    const uint8_t *data;
    int rv;
    while ((rv = pcap_next_ex(p, &ph, &data)) == 1) {
        uint64_t t = (uint64_t)ph->ts.tv_sec * 1000000000ull + (uint64_t)ph->ts.tv_usec;
        if (cf->frames++ == 0)
            cf->first_ns = t;
        const uint8_t *net;
        size_t nlen;
        uint16_t etype;
        size_t caplen = ph->caplen < ph->len ? ph->caplen : ph->len;
        if (!link_payload(cf->linktype, data, caplen, &net, &nlen, &etype)) {
            cf->not_tcp++;
            continue;
        }
        tcp_frame f;
        int k = etype == 0x0800   ? parse_ipv4(net, nlen, &f)
                : etype == 0x86dd ? parse_ipv6(net, nlen, &f)
                                  : 0;
        if (k == 0) {
            cf->not_tcp++;
            continue;
        }
        if (k < 0) {
            cf->truncated++;
            continue;
        }
        if (on_tcp(cf, &f, t) < 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            pcap_close(p);
            cap_free(cf);
            return -1;
        }
    }
    if (rv == -1 && cf->frames == 0) {
        snprintf(err, errlen, "%s: %s", path, pcap_geterr(p));
        pcap_close(p);
        cap_free(cf);
        return -1;
    }
    /* A damaged record after good ones ends the reading, as it does in
     * tcpdump: what came before is still worth drawing. */
    if (rv == -1)
        snprintf(cf->damaged, sizeof(cf->damaged), "%s", pcap_geterr(p));
    pcap_close(p);
    for (size_t i = 0; i < cf->n; i++)
        orient(&cf->conns[i]);
    return 0;
}

void cap_free(cap_file *cf)
{
    for (size_t i = 0; i < cf->n; i++)
        free(cf->conns[i].segs);
    free(cf->conns);
    free(cf->slots);
    memset(cf, 0, sizeof(*cf));
}

void cap_endpoint_str(const cap_endpoint *ep, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    if (!inet_ntop(ep->v6 ? AF_INET6 : AF_INET, ep->addr, a, sizeof(a)))
        snprintf(a, sizeof(a), "?");
    snprintf(buf, cap, ep->v6 ? "[%s]:%u" : "%s:%u", a, ep->port);
}
