/* Test support: build input frames for a stack with the wire emitters, and
 * a standard two-host addressing plan for network-layer tests. */
#ifndef SYNACK_TEST_NETFRAME_H
#define SYNACK_TEST_NETFRAME_H

#include <stddef.h>
#include <stdint.h>

#include "synack/config.h"

/* The plan: us 10.0.0.1/24 at 02:00:00:00:00:01, a peer 10.0.0.2 at
 * 02:00:00:00:00:02, a gateway 10.0.0.254 at 02:00:00:00:00:fe. */
#define NF_US_IP   0x0a000001u
#define NF_PEER_IP 0x0a000002u
#define NF_GW_IP   0x0a0000feu
extern const uint8_t nf_us_mac[6];
extern const uint8_t nf_peer_mac[6];
extern const uint8_t nf_gw_mac[6];
extern const uint8_t nf_bcast_mac[6];

/* synack_config_default() plus the plan above (gateway set). */
void nf_config(synack_config *cfg);

/* Ethernet frame: header then @p payload, zero-padded to 60 bytes.
 * @return frame length. */
size_t nf_eth(uint8_t *buf, const uint8_t *dst, const uint8_t *src, uint16_t type,
              const uint8_t *payload, size_t len);
/* IPv4 datagram with a 20-byte header (id 0x1234, TTL 64, no flags) and a
 * correct checksum. @return datagram length. */
size_t nf_ipv4(uint8_t *buf, synack_ipv4 src, synack_ipv4 dst, uint8_t proto,
               const uint8_t *payload, size_t len);
/* Recomputes the header checksum of the datagram at @p dgram after a test
 * edited its header. */
void nf_ipv4_fix_checksum(uint8_t *dgram);
/* 28-byte ARP body (Ethernet/IPv4). @return 28. */
size_t nf_arp(uint8_t *buf, uint16_t op, const uint8_t *sha, synack_ipv4 spa, const uint8_t *tha,
              synack_ipv4 tpa);
/* ICMP echo request (type 8) or reply (type 0) with checksum. @return length. */
size_t nf_icmp_echo(uint8_t *buf, uint8_t type, uint16_t id, uint16_t seq, const uint8_t *data,
                    size_t len);
/* Whole Ethernet frame: echo request from the peer to us (or to @p dst). */
size_t nf_eth_echo_request(uint8_t *buf, synack_ipv4 src, synack_ipv4 dst, uint16_t id,
                           uint16_t seq, const uint8_t *data, size_t len);

#endif
