/* Ethernet II framing (RFC 894). No FCS: drivers strip and add it. */
#ifndef SK_WIRE_ETHERNET_H
#define SK_WIRE_ETHERNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SK_ETH_HLEN       14
#define SK_ETH_ALEN       6
#define SK_ETH_MIN_FRAME  60 /* without FCS: shorter frames are padded on output */
#define SK_ETHERTYPE_IPV4 0x0800
#define SK_ETHERTYPE_ARP  0x0806

typedef struct sk_eth_hdr {
    uint8_t dst[SK_ETH_ALEN];
    uint8_t src[SK_ETH_ALEN];
    uint16_t type;
} sk_eth_hdr;

extern const uint8_t sk_eth_broadcast[SK_ETH_ALEN];

/* @return 0, or SYNACK_ERR_TRUNCATED when len < SK_ETH_HLEN. */
int sk_eth_parse(const uint8_t *frame, size_t len, sk_eth_hdr *h);
/* Writes the 14-byte header. @return SK_ETH_HLEN, or 0 when cap is too small. */
size_t sk_eth_emit(uint8_t *buf, size_t cap, const sk_eth_hdr *h);
static inline bool sk_eth_is_multicast(const uint8_t *mac)
{
    return (mac[0] & 1) != 0;
}

#endif
