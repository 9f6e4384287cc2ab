#include "netframe.h"

#include <string.h>

#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

const uint8_t nf_us_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
const uint8_t nf_peer_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
const uint8_t nf_gw_mac[6] = {0x02, 0, 0, 0, 0, 0xfe};
const uint8_t nf_bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void nf_config(synack_config *cfg)
{
    synack_config_default(cfg);
    memcpy(cfg->mac, nf_us_mac, 6);
    cfg->addr = NF_US_IP;
    cfg->prefix_len = 24;
    cfg->gateway = NF_GW_IP;
}

size_t nf_eth(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint16_t type,
              const uint8_t *payload, size_t len)
{
    sk_eth_hdr h;
    memcpy(h.dst, dst, 6);
    memcpy(h.src, src, 6);
    h.type = type;
    sk_eth_emit(buf, SK_ETH_HLEN, &h);
    memmove(buf + SK_ETH_HLEN, payload, len);
    size_t n = SK_ETH_HLEN + len;
    if (n < SK_ETH_MIN_FRAME) {
        memset(buf + n, 0, SK_ETH_MIN_FRAME - n);
        n = SK_ETH_MIN_FRAME;
    }
    return n;
}

size_t nf_ipv4(uint8_t *buf, synack_ipv4 src, synack_ipv4 dst, uint8_t proto,
               const uint8_t *payload, size_t len)
{
    sk_ipv4_hdr h = {0};
    h.total_len = (uint16_t)(SK_IPV4_HLEN + len);
    h.id = 0x1234;
    h.ttl = 64;
    h.proto = proto;
    h.src = src;
    h.dst = dst;
    memmove(buf + SK_IPV4_HLEN, payload, len);
    sk_ipv4_emit(buf, SK_IPV4_HLEN, &h);
    return SK_IPV4_HLEN + len;
}

void nf_ipv4_fix_checksum(uint8_t *dgram)
{
    size_t hlen = (size_t)(dgram[0] & 0xf) * 4;
    sk_put16(dgram + 10, 0);
    sk_put16(dgram + 10, sk_csum(dgram, hlen));
}

size_t nf_arp(uint8_t *buf, uint16_t op, const uint8_t *sha, synack_ipv4 spa, const uint8_t *tha,
              synack_ipv4 tpa)
{
    sk_arp a;
    a.op = op;
    memcpy(a.sha, sha, 6);
    a.spa = spa;
    memcpy(a.tha, tha, 6);
    a.tpa = tpa;
    return sk_arp_emit(buf, SK_ARP_LEN, &a);
}

size_t nf_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq, const uint8_t *data,
                    size_t len)
{
    return sk_icmp_emit(buf, SK_ICMP_HLEN + len, type, 0, (uint32_t)id << 16 | seq, data, len);
}

size_t nf_eth_echo_request(uint8_t *buf, synack_ipv4 src, synack_ipv4 dst, uint16_t id,
                           uint16_t seq, const uint8_t *data, size_t len)
{
    uint8_t icmp[2048], ip[2048];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, id, seq, data, len);
    n = nf_ipv4(ip, src, dst, SK_IPPROTO_ICMP, icmp, n);
    return nf_eth(buf, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, ip, n);
}
