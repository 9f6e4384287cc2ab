/* IPv4: input validation and demux (RFC 791, RFC 1122 3.2.1), routing
 * (on-link or via the default gateway) and output. */
#include "net_priv.h"

#include <string.h>

#include "wire/icmp.h"

/* ---- addresses ---- */

bool sk_ipv4_is_multicast(synack_ipv4 a)
{
    return (a >> 28) == 0xe;
}

/* Subnet-directed broadcasts exist only when the prefix leaves at least two
 * host bits (RFC 3021: a /31 has none, a /32 is a single host). */
static bool has_subnet_broadcast(const sk_net *net)
{
    return net->cfg->prefix_len <= 30 && net->cfg->prefix_len > 0;
}

bool sk_net_is_broadcast(const sk_net *net, synack_ipv4 a)
{
    if (a == 0xffffffffu)
        return true;
    if (!has_subnet_broadcast(net) || (a & net->mask) != (net->addr & net->mask))
        return false;
    synack_ipv4 host = a & ~net->mask;
    /* RFC 1122 3.3.6: also accept the old all-zeros form of a broadcast. */
    return host == ~net->mask || host == 0;
}

bool sk_net_is_unicast_host(const sk_net *net, synack_ipv4 a)
{
    uint8_t first = (uint8_t)(a >> 24);
    /* RFC 1122 3.2.1.3: {0, x} only while booting, 127/8 never outside a
     * host, class D is a group, class E (with 255.255.255.255) reserved. */
    if (first == 0 || first == 127 || first >= 224)
        return false;
    return !sk_net_is_broadcast(net, a);
}

/* ---- input ---- */

static int drop_for_parse_error(sk_net *net, int err)
{
    switch (err) {
    case SYNACK_ERR_UNSUPPORTED:
        return SK_DROP(net->ctx, ip_drop_version, err);
    case SYNACK_ERR_MALFORMED:
        return SK_DROP(net->ctx, ip_drop_hdrlen, err);
    case SYNACK_ERR_CHECKSUM:
        return SK_DROP(net->ctx, ip_drop_checksum, err);
    default:
        return SK_DROP(net->ctx, ip_drop_short, SYNACK_ERR_TRUNCATED);
    }
}

/* RFC 1122 3.2.1.3: a datagram whose source is not one host is discarded;
 * so is one claiming our own address, which can only be a spoof or a loop. */
static bool source_acceptable(const sk_net *net, synack_ipv4 src)
{
    return sk_net_is_unicast_host(net, src) && src != net->addr;
}

/* RFC 1122 3.2.1.3 / 3.3.6: ours, or a broadcast of our interface. A
 * link-layer broadcast must carry an IP broadcast (we join no group). */
static bool destination_ours(const sk_net *net, synack_ipv4 dst)
{
    if (sk_net_is_broadcast(net, dst))
        return true;
    return dst == net->addr && !net->in_link_bcast;
}

static int protocol_unreachable(sk_net *net, const uint8_t *dgram, size_t len)
{
    /* RFC 1122 3.2.2.1: a host SHOULD generate protocol unreachable. */
    sk_net_icmp_unreach(net, dgram, len, SK_ICMP_UNREACH_PROTOCOL);
    return SK_DROP(net->ctx, ip_drop_proto, SYNACK_ERR_UNSUPPORTED);
}

int sk_net_ipv4_input(sk_net *net, const uint8_t *dgram, size_t len)
{
    net->ctx->stats.ip_in++;
    sk_ipv4_hdr ip;
    int rv = sk_ipv4_parse(dgram, len, &ip);
    if (rv < 0)
        return drop_for_parse_error(net, rv);
    if (!source_acceptable(net, ip.src))
        return SK_DROP(net->ctx, ip_drop_bad_src, SYNACK_ERR_MALFORMED);
    if (!destination_ours(net, ip.dst))
        return SK_DROP(net->ctx, ip_drop_not_ours, SYNACK_ERR_NOTFOUND);
    /* RFC 1122 3.2.1.4 asks for reassembly; we do not reassemble, and say
     * so by counting. */
    if (sk_ipv4_is_fragment(&ip))
        return SK_DROP(net->ctx, ip_drop_fragment, SYNACK_ERR_UNSUPPORTED);
    /* RFC 1122 3.2.1.8: options we do not understand are ignored. */
    if (ip.hlen > SK_IPV4_HLEN)
        net->ctx->stats.ip_options_skipped++;

    /* Ethernet padding past total_len is not payload. */
    const uint8_t *payload = dgram + ip.hlen;
    size_t plen = (size_t)ip.total_len - ip.hlen;
    switch (ip.proto) {
    case SK_IPPROTO_ICMP:
        return sk_net_icmp_input(net, &ip, dgram, payload, plen);
    case SK_IPPROTO_TCP:
        if (net->tcp_input)
            return net->tcp_input(net->tcp_upper, &ip, payload, plen);
        return protocol_unreachable(net, dgram, ip.total_len);
    default:
        return protocol_unreachable(net, dgram, ip.total_len);
    }
}

/* ---- output ---- */

/* Where a datagram to @p dst goes on our link. *bcast is set when it goes
 * to the link broadcast address instead of a resolved next hop. */
static int route(sk_net *net, synack_ipv4 dst, synack_ipv4 *next_hop, bool *bcast)
{
    *bcast = false;
    if (sk_net_is_broadcast(net, dst)) {
        *bcast = true;
        return 0;
    }
    /* Nothing to loop back through, and no multicast routing. */
    uint8_t first = (uint8_t)(dst >> 24);
    if (dst == net->addr || first == 0 || first == 127 || first >= 224)
        return SYNACK_ERR_NOROUTE;
    /* RFC 1122 3.3.1.1: on-link when the destination shares our prefix,
     * otherwise through the (default) gateway. */
    if ((dst & net->mask) == (net->addr & net->mask)) {
        *next_hop = dst;
        return 0;
    }
    if (net->cfg->gateway == 0)
        return SYNACK_ERR_NOROUTE;
    *next_hop = net->cfg->gateway;
    return 0;
}

void sk_net_negative_advice(sk_net *net, synack_ipv4 dst)
{
    synack_ipv4 next_hop = 0;
    bool bcast;
    if (net->cfg->link != SYNACK_LINK_ETHERNET || route(net, dst, &next_hop, &bcast) < 0 || bcast)
        return;
    sk_net_arp_forget(net, next_hop);
}

int sk_net_send_ipv4(sk_net *net, synack_ipv4 dst, uint8_t proto, uint8_t *buf, size_t payload_len)
{
    /* We never fragment (DF below), so the datagram must fit the MTU. */
    if (payload_len > (size_t)net->cfg->mtu - SK_IPV4_HLEN)
        return SYNACK_ERR_INVAL;
    synack_ipv4 next_hop = 0;
    bool bcast;
    int rv = route(net, dst, &next_hop, &bcast);
    if (rv < 0) {
        net->ctx->stats.ip_noroute++;
        return rv;
    }

    /* RFC 791 3.1. DF: we do not fragment; path MTU discovery (RFC 1191)
     * will rely on it. */
    sk_ipv4_hdr ip = {0};
    ip.total_len = (uint16_t)(SK_IPV4_HLEN + payload_len);
    ip.id = net->ip_id++;
    ip.frag = SK_IPV4_FLAG_DF;
    ip.ttl = net->cfg->ip_ttl;
    ip.proto = proto;
    ip.src = net->addr;
    ip.dst = dst;
    sk_ipv4_emit(buf + SK_ETH_HLEN, SK_IPV4_HLEN, &ip);

    size_t ip_len = ip.total_len;
    if (net->cfg->link == SYNACK_LINK_IP || bcast) {
        sk_net_link_send_ipv4(net, buf, ip_len, sk_eth_broadcast);
        return 0;
    }
    return sk_net_arp_output(net, next_hop, buf, ip_len);
}
