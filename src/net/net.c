/* The network layer object: creation, the link-level input demux and the
 * link-level output of IPv4 datagrams. */
#include "net_priv.h"

#include <string.h>

#include "wire/bytes.h"

static synack_ipv4 prefix_mask(uint8_t prefix_len)
{
    return prefix_len == 0 ? 0 : (synack_ipv4)(0xffffffffu << (32 - prefix_len));
}

int sk_net_new(sk_ctx *ctx, const synack_config *cfg, sk_wheel *wheel, sk_net **out)
{
    *out = NULL;
    sk_net *net = sk_calloc(ctx, 1, sizeof(*net));
    if (!net)
        return SYNACK_ERR_NOMEM;
    net->ctx = ctx;
    net->cfg = cfg;
    net->wheel = wheel;
    net->addr = cfg->addr;
    net->mask = prefix_mask(cfg->prefix_len);
    /* Only unique per (src, dst, proto) within a datagram's lifetime matters
     * (RFC 791, RFC 6864); a random start keeps restarts from reusing ids. */
    net->ip_id = (uint16_t)sk_prng_next(&ctx->prng);
    sk_tbucket_init(&net->icmp_rate, cfg->icmp_rate_per_sec, cfg->icmp_burst, ctx->now);

    net->tx_cap = SK_ETH_HLEN + (size_t)cfg->mtu;
    net->tx = sk_malloc(ctx, net->tx_cap);
    int rv = net->tx ? 0 : SYNACK_ERR_NOMEM;
    if (rv == 0 && cfg->link == SYNACK_LINK_ETHERNET)
        rv = sk_net_arp_init(net);
    if (rv < 0) {
        sk_net_del(net);
        return rv;
    }
    *out = net;
    return 0;
}

void sk_net_del(sk_net *net)
{
    if (!net)
        return;
    sk_ctx *ctx = net->ctx;
    sk_net_arp_fini(net);
    sk_free(ctx, net->tx);
    sk_free(ctx, net);
}

void sk_net_set_tcp_error(sk_net *net, sk_proto_error_fn fn, void *upper)
{
    net->tcp_error = fn;
    net->tcp_upper = upper;
}

void sk_net_set_tcp_input(sk_net *net, sk_proto_input_fn fn, void *upper)
{
    net->tcp_input = fn;
    net->tcp_upper = upper;
}

synack_ipv4 sk_net_addr(const sk_net *net)
{
    return net->addr;
}

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, SK_ETH_ALEN) == 0;
}

static int eth_input(sk_net *net, const uint8_t *frame, size_t len)
{
    sk_eth_hdr eth;
    if (sk_eth_parse(frame, len, &eth) < 0)
        return SK_DROP(net->ctx, eth_drop_short, SYNACK_ERR_TRUNCATED);
    bool bcast = mac_equal(eth.dst, sk_eth_broadcast);
    /* We join no multicast group, so only our address and broadcast reach us. */
    if (!bcast && !mac_equal(eth.dst, net->cfg->mac))
        return SK_DROP(net->ctx, eth_drop_not_ours, SYNACK_ERR_NOTFOUND);
    const uint8_t *p = frame + SK_ETH_HLEN;
    size_t plen = len - SK_ETH_HLEN;
    switch (eth.type) {
    case SK_ETHERTYPE_IPV4: {
        net->in_link_bcast = bcast;
        int rv = sk_net_ipv4_input(net, p, plen);
        net->in_link_bcast = false;
        return rv;
    }
    case SK_ETHERTYPE_ARP:
        return sk_net_arp_input(net, p, plen);
    default:
        return SK_DROP(net->ctx, eth_drop_ethertype, SYNACK_ERR_UNSUPPORTED);
    }
}

int sk_net_input(sk_net *net, const uint8_t *frame, size_t len)
{
    if (net->cfg->link == SYNACK_LINK_IP)
        return sk_net_ipv4_input(net, frame, len);
    return eth_input(net, frame, len);
}

void sk_net_link_send_ipv4(sk_net *net, uint8_t *frame, size_t ip_len, const uint8_t *dst_mac)
{
    net->ctx->stats.ip_out++;
    if (net->cfg->link == SYNACK_LINK_IP) {
        sk_output(net->ctx, frame + SK_ETH_HLEN, ip_len);
        return;
    }
    sk_eth_hdr eth;
    memcpy(eth.dst, dst_mac, SK_ETH_ALEN);
    memcpy(eth.src, net->cfg->mac, SK_ETH_ALEN);
    eth.type = SK_ETHERTYPE_IPV4;
    sk_eth_emit(frame, SK_ETH_HLEN, &eth);
    size_t len = SK_ETH_HLEN + ip_len;
    /* RFC 894: the data field is at least 46 bytes; pad with zeros (the IP
     * total length tells the receiver where the datagram ends). */
    if (len < SK_ETH_MIN_FRAME) {
        memset(frame + len, 0, SK_ETH_MIN_FRAME - len);
        len = SK_ETH_MIN_FRAME;
    }
    sk_output(net->ctx, frame, len);
}
