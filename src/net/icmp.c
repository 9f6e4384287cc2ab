/* ICMP (RFC 792) as a host (RFC 1122 3.2.2): echo, reports to the user, and
 * destination-unreachable generation under the rules and rate limit. */
#include "net_priv.h"

#include "wire/bytes.h"
#include "wire/icmp.h"

/* RFC 1812 4.3.2.3: an ICMP error with its IP header fits in 576 bytes. */
#define ICMP_ERROR_MAX_LEN 576

static int send_icmp(sk_net *net, synack_ipv4 dst, uint8_t type, uint8_t code, uint32_t rest,
                     const uint8_t *body, size_t body_len)
{
    size_t room = net->tx_cap - SK_NET_HEADROOM;
    size_t n = sk_icmp_emit(net->tx + SK_NET_HEADROOM, room, type, code, rest, body, body_len);
    if (n == 0) {
        net->ctx->stats.icmp_send_failed++;
        return SYNACK_ERR_INVAL;
    }
    int rv = sk_net_send_ipv4(net, dst, SK_IPPROTO_ICMP, net->tx, n);
    if (rv < 0) {
        net->ctx->stats.icmp_send_failed++;
        return rv;
    }
    net->ctx->stats.icmp_out++;
    return 0;
}

int sk_net_icmp_echo_send(sk_net *net, synack_ipv4 dst, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len)
{
    if (len > (size_t)net->cfg->mtu - SK_IPV4_HLEN - SK_ICMP_HLEN)
        return SYNACK_ERR_INVAL;
    return send_icmp(net, dst, SK_ICMP_ECHO_REQUEST, 0, (uint32_t)id << 16 | seq, payload, len);
}

/* ---- input ---- */

static int echo_request_input(sk_net *net, const sk_ipv4_hdr *ip, const sk_icmp_hdr *h,
                              const uint8_t *data, size_t len)
{
    net->ctx->stats.icmp_echo_requests_in++;
    /* RFC 1122 3.2.2.6: a request to a broadcast or multicast address MAY be
     * silently discarded; answering lets one packet draw a storm. */
    if (ip->dst != net->addr)
        return SK_DROP(net->ctx, icmp_drop_echo_bcast, SYNACK_ERR_NOTFOUND);
    if (!net->cfg->icmp_echo_reply)
        return SK_DROP(net->ctx, icmp_drop_echo_disabled, SYNACK_ERR_UNSUPPORTED);
    /* RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence
     * number and data unchanged, back to its source. */
    /* The request was taken either way: a reply we cannot send (no buffer
     * while its destination resolves, say) is counted in icmp_send_failed. */
    if (send_icmp(net, ip->src, SK_ICMP_ECHO_REPLY, 0, h->rest, data, len) == 0)
        net->ctx->stats.icmp_echo_replies_out++;
    return 0;
}

static int echo_reply_input(sk_net *net, const sk_ipv4_hdr *ip, const sk_icmp_hdr *h,
                            const uint8_t *data, size_t len)
{
    sk_ctx *ctx = net->ctx;
    ctx->stats.icmp_echo_replies_in++;
    if (ctx->cb.echo_reply)
        ctx->cb.echo_reply(ctx->user_data, ip->src, (uint16_t)(h->rest >> 16), (uint16_t)h->rest,
                           data, len, ctx->now);
    return 0;
}

static int unreach_input(sk_net *net, const sk_ipv4_hdr *ip, const sk_icmp_hdr *h,
                         const uint8_t *quoted, size_t len)
{
    sk_ctx *ctx = net->ctx;
    ctx->stats.icmp_unreach_in++;
    /* RFC 792: the quote is the offending datagram's IP header and at least
     * its first 64 bits of data, which is what an upper layer needs. */
    size_t hlen = len > 0 ? (size_t)(quoted[0] & 0xf) * 4 : 0;
    if (len < SK_IPV4_HLEN || (quoted[0] >> 4) != 4 || hlen < SK_IPV4_HLEN || len < hlen + 8)
        return SK_DROP(ctx, icmp_drop_malformed, SYNACK_ERR_MALFORMED);
    if (ctx->cb.unreachable)
        ctx->cb.unreachable(ctx->user_data, ip->src, h->code, quoted, len, ctx->now);
    /* RFC 1122 3.2.2.1: pass it to the transport that sent the datagram. */
    if (quoted[9] == SK_IPPROTO_TCP && net->tcp_error)
        net->tcp_error(net->tcp_upper, ip->src, h->type, h->code, (uint16_t)h->rest, quoted, len);
    return 0;
}

int sk_net_icmp_input(sk_net *net, const sk_ipv4_hdr *ip, const uint8_t *dgram,
                      const uint8_t *payload, size_t len)
{
    (void)dgram;
    sk_ctx *ctx = net->ctx;
    ctx->stats.icmp_in++;
    sk_icmp_hdr h;
    int rv = sk_icmp_parse(payload, len, &h);
    if (rv == SYNACK_ERR_CHECKSUM)
        return SK_DROP(ctx, icmp_drop_checksum, rv);
    if (rv < 0)
        return SK_DROP(ctx, icmp_drop_malformed, rv);
    const uint8_t *body = payload + SK_ICMP_HLEN;
    size_t body_len = len - SK_ICMP_HLEN;
    switch (h.type) {
    case SK_ICMP_ECHO_REQUEST:
        return echo_request_input(net, ip, &h, body, body_len);
    case SK_ICMP_ECHO_REPLY:
        return echo_reply_input(net, ip, &h, body, body_len);
    case SK_ICMP_DEST_UNREACH:
        return unreach_input(net, ip, &h, body, body_len);
    default:
        /* RFC 1122 3.2.2: unknown types MUST be silently discarded. */
        return SK_DROP(ctx, icmp_drop_other, SYNACK_ERR_UNSUPPORTED);
    }
}

/* ---- errors we generate ---- */

/* Queries and their replies (RFC 792, RFC 950, RFC 1256); every other type,
 * known or not, is treated as an error, so that we never answer one. */
static bool icmp_type_is_query(uint8_t type)
{
    switch (type) {
    case 0:  /* echo reply */
    case 8:  /* echo */
    case 9:  /* router advertisement */
    case 10: /* router solicitation */
    case 13: /* timestamp */
    case 14: /* timestamp reply */
    case 15: /* information request */
    case 16: /* information reply */
    case 17: /* address mask request */
    case 18: /* address mask reply */
        return true;
    default:
        return false;
    }
}

/* RFC 1122 3.2.2: an ICMP error MUST NOT be sent about an ICMP error, a
 * datagram to an IP broadcast or multicast address, one sent as a link-layer
 * broadcast, a non-initial fragment, or one whose source is not a single
 * host. */
static bool error_allowed(const sk_net *net, const uint8_t *dgram, size_t hlen, size_t len)
{
    synack_ipv4 src = sk_get32(dgram + 12);
    synack_ipv4 dst = sk_get32(dgram + 16);
    if ((sk_get16(dgram + 6) & SK_IPV4_OFFSET_MASK) != 0)
        return false;
    if (net->in_link_bcast || sk_net_is_broadcast(net, dst) || sk_ipv4_is_multicast(dst))
        return false;
    if (!sk_net_is_unicast_host(net, src))
        return false;
    if (dgram[9] == SK_IPPROTO_ICMP && (len <= hlen || !icmp_type_is_query(dgram[hlen])))
        return false;
    return true;
}

int sk_net_icmp_unreach(sk_net *net, const uint8_t *dgram, size_t len, uint8_t code)
{
    if (len < SK_IPV4_HLEN || (dgram[0] >> 4) != 4)
        return SYNACK_ERR_INVAL;
    size_t hlen = (size_t)(dgram[0] & 0xf) * 4;
    if (hlen < SK_IPV4_HLEN || len < hlen)
        return SYNACK_ERR_INVAL;
    /* Quote the datagram, never the link padding after it. */
    size_t total = sk_get16(dgram + 2);
    if (total >= hlen && total < len)
        len = total;
    if (!error_allowed(net, dgram, hlen, len)) {
        net->ctx->stats.icmp_errors_suppressed++;
        return SYNACK_ERR_INVAL;
    }
    /* RFC 1812 4.3.2.8 (and RFC 1122 3.2.2's "MAY limit"): a token bucket,
     * so a flood of bad datagrams cannot make us flood in return. */
    if (!sk_tbucket_take(&net->icmp_rate, net->ctx->now)) {
        net->ctx->stats.icmp_rate_limited++;
        return SYNACK_ERR_LIMIT;
    }
    /* RFC 792 asks for the IP header and 64 bits; RFC 1812 4.3.2.3 for as
     * much as fits in 576 bytes. */
    size_t quote = len;
    if (quote > ICMP_ERROR_MAX_LEN - SK_IPV4_HLEN - SK_ICMP_HLEN)
        quote = ICMP_ERROR_MAX_LEN - SK_IPV4_HLEN - SK_ICMP_HLEN;
    int rv = send_icmp(net, sk_get32(dgram + 12), SK_ICMP_DEST_UNREACH, code, 0, dgram, quote);
    if (rv == 0)
        net->ctx->stats.icmp_unreach_out++;
    return rv;
}
