/* TCP header and options (RFC 9293 3.1, 3.2; RFC 7323; RFC 2018). */
#include "tcp.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "ipv4.h"
#include "synack/error.h"

/* Fixed option lengths (RFC 9293 3.2, RFC 7323 2.2 and 3.2, RFC 2018 2-3). */
#define TCPOLEN_MSS        4
#define TCPOLEN_WSCALE     3
#define TCPOLEN_SACK_PERM  2
#define TCPOLEN_TS         10
#define TCPOLEN_SACK_BASE  2
#define TCPOLEN_SACK_BLOCK 8
#define TCP_MAX_OPTS       (SK_TCP_MAX_HLEN - SK_TCP_HLEN)

int sk_tcp_parse(const uint8_t *seg, size_t len, sk_tcp_hdr *h)
{
    if (len < SK_TCP_HLEN)
        return SYNACK_ERR_TRUNCATED;
    /* RFC 9293 3.1 "Data Offset": header length in 32-bit words, at least 5. */
    size_t hlen = (size_t)(seg[12] >> 4) * 4;
    if (hlen < SK_TCP_HLEN)
        return SYNACK_ERR_MALFORMED;
    if (len < hlen)
        return SYNACK_ERR_TRUNCATED;
    h->sport = sk_get16(seg);
    h->dport = sk_get16(seg + 2);
    h->seq = sk_get32(seg + 4);
    h->ack = sk_get32(seg + 8);
    h->hlen = (uint8_t)hlen;
    h->flags = seg[13];
    h->win = sk_get16(seg + 14);
    h->csum = sk_get16(seg + 16);
    h->urg = sk_get16(seg + 18);
    h->opts = seg + SK_TCP_HLEN;
    h->opts_len = hlen - SK_TCP_HLEN;
    return 0;
}

/* Checks a known kind's length against its fixed size. */
static bool option_len_ok(uint8_t kind, size_t optlen)
{
    switch (kind) {
    case SK_TCPOPT_MSS:
        return optlen == TCPOLEN_MSS;
    case SK_TCPOPT_WSCALE:
        return optlen == TCPOLEN_WSCALE;
    case SK_TCPOPT_SACK_PERM:
        return optlen == TCPOLEN_SACK_PERM;
    case SK_TCPOPT_TS:
        return optlen == TCPOLEN_TS;
    case SK_TCPOPT_SACK:
        /* RFC 2018 3: 8n + 2. n = 0 carries nothing but is harmless (Linux
         * accepts it too), so it is not an error. */
        return (optlen - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_BLOCK == 0;
    default:
        return true; /* unknown kinds: any length >= 2, skipped */
    }
}

static void store_option(const uint8_t *v, uint8_t kind, size_t optlen, sk_tcp_opts *o)
{
    switch (kind) {
    case SK_TCPOPT_MSS:
        o->has_mss = true;
        o->mss = sk_get16(v);
        break;
    case SK_TCPOPT_WSCALE:
        o->has_wscale = true;
        o->wscale = v[0];
        break;
    case SK_TCPOPT_SACK_PERM:
        o->sack_permitted = true;
        break;
    case SK_TCPOPT_TS:
        o->has_ts = true;
        o->tsval = sk_get32(v);
        o->tsecr = sk_get32(v + 4);
        break;
    case SK_TCPOPT_SACK: {
        size_t n = (optlen - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_BLOCK;
        if (n > SK_TCP_MAX_SACK)
            n = SK_TCP_MAX_SACK; /* only reachable with an oversized option area */
        o->nsack = (uint8_t)n;
        for (size_t i = 0; i < n; i++) {
            o->sack[i].left = sk_get32(v + i * TCPOLEN_SACK_BLOCK);
            o->sack[i].right = sk_get32(v + i * TCPOLEN_SACK_BLOCK + 4);
        }
        break;
    }
    default:
        break;
    }
}

int sk_tcp_parse_options(const uint8_t *p, size_t len, sk_tcp_opts *o)
{
    memset(o, 0, sizeof(*o));
    size_t i = 0;
    while (i < len) {
        uint8_t kind = p[i];
        /* RFC 9293 3.2: EOL ends the list (what follows is padding); NOP is
         * one byte; every other option has a length byte covering kind and
         * length, so < 2 is malformed. */
        if (kind == SK_TCPOPT_EOL)
            break;
        if (kind == SK_TCPOPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2)
            return SYNACK_ERR_MALFORMED;
        size_t optlen = p[i + 1];
        if (optlen < 2 || optlen > len - i || !option_len_ok(kind, optlen))
            return SYNACK_ERR_MALFORMED;
        store_option(p + i + 2, kind, optlen, o);
        i += optlen;
    }
    return 0;
}

int sk_tcp_verify_checksum(synack_ipv4 src, synack_ipv4 dst, const uint8_t *seg, size_t len)
{
    /* The pseudo-header's length field is 16 bits: nothing longer can verify. */
    if (len > 0xffff)
        return SYNACK_ERR_CHECKSUM;
    uint32_t sum = sk_csum_pseudo_ipv4(src, dst, SK_IPPROTO_TCP, (uint16_t)len);
    return sk_csum_fold(sk_csum_add(sum, seg, len)) == 0 ? 0 : SYNACK_ERR_CHECKSUM;
}

void sk_tcp_set_checksum(synack_ipv4 src, synack_ipv4 dst, uint8_t *seg, size_t len)
{
    if (len < SK_TCP_HLEN || len > 0xffff)
        return;
    sk_put16(seg + 16, 0);
    uint32_t sum = sk_csum_pseudo_ipv4(src, dst, SK_IPPROTO_TCP, (uint16_t)len);
    sk_put16(seg + 16, sk_csum_fold(sk_csum_add(sum, seg, len)));
}

/* The options a segment carries, decided before anything is written so that
 * the length can be checked against cap first. */
typedef struct opt_plan {
    bool mss, ts, sack_perm, wscale;
    size_t nsack;
    size_t len;
} opt_plan;

/* MSS, window scale and SACK-permitted belong on SYNs only (RFC 9293 3.7.1,
 * RFC 7323 2.2, RFC 2018 2); SACK blocks never on a SYN. */
static opt_plan plan_options(const sk_tcp_opts *o, bool syn)
{
    opt_plan pl = {0};
    pl.ts = o->has_ts;
    if (syn) {
        pl.mss = o->has_mss;
        pl.sack_perm = o->sack_permitted;
        pl.wscale = o->has_wscale;
    } else {
        pl.nsack = o->nsack > SK_TCP_MAX_SACK ? SK_TCP_MAX_SACK : o->nsack;
    }
    /* Every option below takes whole 4-byte words, as Linux lays them out. */
    pl.len = (pl.mss ? 4 : 0) + (pl.ts ? 12 : 0) + (pl.sack_perm && !pl.ts ? 4 : 0) +
             (pl.wscale ? 4 : 0);
    /* Send as many SACK blocks as fit (RFC 2018 4: the first block is the
     * most recent, so it is the one to keep); 3 with timestamps. */
    size_t room = TCP_MAX_OPTS - pl.len;
    if (pl.nsack > 0 && room < 4 + TCPOLEN_SACK_BLOCK)
        pl.nsack = 0;
    else if (pl.nsack > (room - 4) / TCPOLEN_SACK_BLOCK)
        pl.nsack = (room - 4) / TCPOLEN_SACK_BLOCK;
    if (pl.nsack > 0)
        pl.len += 4 + pl.nsack * TCPOLEN_SACK_BLOCK;
    return pl;
}

static uint8_t *put4(uint8_t *p, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    return p + 4;
}

/* Layout of Linux's tcp_options_write(): MSS; then SACK-permitted folded
 * into the first word of the timestamp option, or NOP,NOP,TS; then
 * NOP,NOP,SACK-permitted when there is no timestamp; NOP,WS; NOP,NOP,SACK. */
size_t sk_tcp_emit_options(uint8_t *buf, size_t cap, const sk_tcp_opts *o, bool syn)
{
    opt_plan pl = plan_options(o, syn);
    if (cap < pl.len)
        return 0;
    uint8_t *p = buf;
    if (pl.mss) {
        p = put4(p, SK_TCPOPT_MSS, TCPOLEN_MSS, 0, 0);
        sk_put16(p - 2, o->mss);
    }
    if (pl.ts) {
        if (pl.sack_perm)
            p = put4(p, SK_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM, SK_TCPOPT_TS, TCPOLEN_TS);
        else
            p = put4(p, SK_TCPOPT_NOP, SK_TCPOPT_NOP, SK_TCPOPT_TS, TCPOLEN_TS);
        sk_put32(p, o->tsval);
        sk_put32(p + 4, o->tsecr);
        p += 8;
    } else if (pl.sack_perm) {
        p = put4(p, SK_TCPOPT_NOP, SK_TCPOPT_NOP, SK_TCPOPT_SACK_PERM, TCPOLEN_SACK_PERM);
    }
    if (pl.wscale)
        p = put4(p, SK_TCPOPT_NOP, SK_TCPOPT_WSCALE, TCPOLEN_WSCALE, o->wscale);
    if (pl.nsack > 0) {
        p = put4(p, SK_TCPOPT_NOP, SK_TCPOPT_NOP, SK_TCPOPT_SACK,
                 (uint8_t)(TCPOLEN_SACK_BASE + pl.nsack * TCPOLEN_SACK_BLOCK));
        for (size_t i = 0; i < pl.nsack; i++) {
            sk_put32(p, o->sack[i].left);
            sk_put32(p + 4, o->sack[i].right);
            p += 8;
        }
    }
    return (size_t)(p - buf);
}

size_t sk_tcp_emit(uint8_t *buf, size_t cap, const sk_tcp_hdr *h, const uint8_t *opts,
                   size_t opts_len)
{
    if (opts_len % 4 != 0 || opts_len > TCP_MAX_OPTS)
        return 0;
    size_t hlen = SK_TCP_HLEN + opts_len;
    if (cap < hlen)
        return 0;
    if (opts_len > 0)
        memmove(buf + SK_TCP_HLEN, opts, opts_len); /* opts may already sit there */
    sk_put16(buf, h->sport);
    sk_put16(buf + 2, h->dport);
    sk_put32(buf + 4, h->seq);
    sk_put32(buf + 8, h->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = h->flags;
    sk_put16(buf + 14, h->win);
    sk_put16(buf + 16, 0);
    sk_put16(buf + 18, h->urg);
    return hlen;
}

/* Flag names in bit order, lowest first (RFC 9293 3.1, RFC 3168 6.1):
 * the order tcpdump -v and Wireshark print them in, so "SYN,ACK", "FIN,ACK",
 * "PSH,ACK", "FIN,PSH,ACK". No flag at all gives "none". */
char *sk_tcp_flags_str(uint8_t flags, char *buf, size_t cap)
{
    static const char names[8][4] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    if (cap == 0)
        return buf;
    const char *none = "none";
    size_t n = 0;
    buf[0] = '\0';
    if (flags == 0) {
        for (; none[n] != '\0' && n + 1 < cap; n++)
            buf[n] = none[n];
        buf[n] = '\0';
        return buf;
    }
    for (int bit = 0; bit < 8; bit++) {
        if (!(flags & (1u << bit)))
            continue;
        const char *s = names[bit];
        size_t need = (n > 0 ? 1 : 0) + 3;
        if (n + need + 1 > cap)
            break; /* never print a partial name */
        if (n > 0)
            buf[n++] = ',';
        memcpy(buf + n, s, 3);
        n += 3;
        buf[n] = '\0';
    }
    return buf;
}
