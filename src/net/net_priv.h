/* What the files of the network layer share: the sk_net object and the
 * functions one file offers the others. Not for use outside src/net/. */
#ifndef SK_NET_NET_PRIV_H
#define SK_NET_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "arp_cache.h"
#include "tbucket.h"
#include "core/pool.h"
#include "wire/ipv4.h"

struct sk_net {
    sk_ctx *ctx;
    const synack_config *cfg;
    sk_wheel *wheel;
    synack_ipv4 addr;
    synack_ipv4 mask;
    uint16_t ip_id; /* next IPv4 identification */
    /* The frame being input was sent to the link broadcast address: the
     * datagram inside must be a broadcast too, and never draws an ICMP error
     * (RFC 1122 3.3.6, 3.2.2). */
    bool in_link_bcast;
    sk_proto_input_fn tcp_input;
    sk_proto_error_fn tcp_error;
    void *tcp_upper;
    sk_arp_cache arp;     /* Ethernet only */
    sk_pool pkts;         /* Ethernet only: datagrams waiting for ARP */
    sk_tbucket icmp_rate; /* ICMP errors */
    /* Scratch for the datagrams we build ourselves (echo replies, ICMP errors,
     * echo requests): SK_ETH_HLEN + mtu bytes. */
    uint8_t *tx;
    size_t tx_cap;
    uint8_t arp_tx[SK_ETH_MIN_FRAME]; /* ARP requests and replies */
};

/* ---- addresses (ipv4.c) ---- */

/* The broadcast addresses of our interface: limited 255.255.255.255 and,
 * when the prefix leaves room for one, the subnet's all-ones and all-zeros
 * host (RFC 1122 3.2.1.3, 3.3.6; RFC 3021 for /31 and /32). */
bool sk_net_is_broadcast(const sk_net *net, synack_ipv4 a);
/* Class D (RFC 1112). */
bool sk_ipv4_is_multicast(synack_ipv4 a);
/* A valid source for a datagram from the wire: one single host, not us
 * (RFC 1122 3.2.1.3). */
bool sk_net_is_unicast_host(const sk_net *net, synack_ipv4 a);

/* ---- IPv4 (ipv4.c) ---- */

/* One IPv4 datagram from the link. */
int sk_net_ipv4_input(sk_net *net, const uint8_t *dgram, size_t len);

/* ---- link output (net.c) ---- */

/* @p frame holds SK_ETH_HLEN bytes of room then @p ip_len bytes of IPv4
 * datagram, and at least SK_ETH_MIN_FRAME bytes in all. On Ethernet writes
 * the header to @p dst_mac and pads to the minimum; on an IP link sends the
 * bare datagram. Counts ip_out. */
void sk_net_link_send_ipv4(sk_net *net, uint8_t *frame, size_t ip_len, const uint8_t *dst_mac);

/* ---- ARP (arp.c) ---- */

int sk_net_arp_init(sk_net *net);
void sk_net_arp_fini(sk_net *net);
int sk_net_arp_input(sk_net *net, const uint8_t *p, size_t len);
/* Sends the frame (as for sk_net_link_send_ipv4) to @p next_hop, resolving
 * its MAC first if need be (then a copy waits in the queue).
 * @return 0 (sent or queued), SYNACK_ERR_NOBUFS. */
int sk_net_arp_output(sk_net *net, synack_ipv4 next_hop, uint8_t *frame, size_t ip_len);
/* Forgets a resolved mapping for @p ip (higher-layer advice). */
void sk_net_arp_forget(sk_net *net, synack_ipv4 ip);

/* ---- ICMP (icmp.c) ---- */

int sk_net_icmp_input(sk_net *net, const sk_ipv4_hdr *ip, const uint8_t *dgram,
                      const uint8_t *payload, size_t len);

#endif
