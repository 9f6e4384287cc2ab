/* ARP for IPv4 over Ethernet (RFC 826). */
#ifndef SK_WIRE_ARP_H
#define SK_WIRE_ARP_H

#include <stddef.h>
#include <stdint.h>

#include "synack/config.h"
#include "ethernet.h"

#define SK_ARP_LEN        28
#define SK_ARP_OP_REQUEST 1
#define SK_ARP_OP_REPLY   2

typedef struct sk_arp {
    uint16_t op;
    uint8_t sha[SK_ETH_ALEN]; /* sender hardware address */
    synack_ipv4 spa;          /* sender protocol address */
    uint8_t tha[SK_ETH_ALEN];
    synack_ipv4 tpa;
} sk_arp;

/* @return 0; SYNACK_ERR_TRUNCATED (len < 28); SYNACK_ERR_UNSUPPORTED (not
 * htype 1 / ptype 0x0800 / hlen 6 / plen 4); SYNACK_ERR_MALFORMED (op not 1 or 2). */
int sk_arp_parse(const uint8_t *p, size_t len, sk_arp *a);
/* @return SK_ARP_LEN, or 0 when cap is too small. */
size_t sk_arp_emit(uint8_t *buf, size_t cap, const sk_arp *a);

#endif
