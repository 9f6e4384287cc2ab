/* The network layer of one stack: one interface (Ethernet with ARP, or
 * IP-only), IPv4 input and output with a default gateway, ICMP echo and
 * errors. TCP sits above and registers its input function here. */
#ifndef SK_NET_NET_H
#define SK_NET_NET_H

#include <stddef.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/timer.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

typedef struct sk_net sk_net;

/* Room an upper layer leaves in front of its payload for the IPv4 and
 * Ethernet headers, so output never copies the payload. */
#define SK_NET_HEADROOM (SK_ETH_HLEN + SK_IPV4_HLEN)

/* Input from the IP layer to a transport protocol. @p ip is the parsed
 * header; @p payload / @p len the transport segment (the IP payload).
 * Return 0 when taken, or the negative reason for a drop (already counted). */
typedef int (*sk_proto_input_fn)(void *upper, const sk_ipv4_hdr *ip, const uint8_t *payload,
                                 size_t len);

/* @p cfg must outlive the net (the stack keeps it); @p wheel drives ARP timers.
 * Everything the net will ever use is allocated here, sized from @p cfg.
 * @return 0, SYNACK_ERR_INVAL (arp_cache_size beyond SK_ARP_CACHE_MAX),
 *         SYNACK_ERR_NOMEM (nothing is left allocated). */
int sk_net_new(sk_ctx *ctx, const synack_config *cfg, sk_wheel *wheel, sk_net **out);
void sk_net_del(sk_net *net);

/* One frame in (Ethernet or bare IPv4, per cfg->link). Every drop is counted
 * through SK_DROP. @return 0 or the negative reason for the drop. */
int sk_net_input(sk_net *net, const uint8_t *frame, size_t len);

/* Registers TCP. Without it, TCP datagrams get ICMP protocol-unreachable. */
void sk_net_set_tcp_input(sk_net *net, sk_proto_input_fn fn, void *upper);

/* An ICMP error about a datagram a transport protocol sent (RFC 1122
 * 3.2.2.1, 4.2.3.9): @p from sent it, @p type/@p code/@p info are the ICMP
 * header's (info: the next-hop MTU of RFC 1191 for "fragmentation needed"),
 * @p quoted / @p len the quoted datagram, its IPv4 header checked to be
 * whole and followed by at least 8 bytes (RFC 792). */
typedef void (*sk_proto_error_fn)(void *upper, synack_ipv4 from, uint8_t type, uint8_t code,
                                  uint16_t info, const uint8_t *quoted, size_t len);

/* Registers the handler of ICMP errors about TCP datagrams. */
void sk_net_set_tcp_error(sk_net *net, sk_proto_error_fn fn, void *upper);

/* Sends the transport payload at buf + SK_NET_HEADROOM (payload_len bytes,
 * its own checksum already complete) to @p dst: prepends the IPv4 header and,
 * on Ethernet, the link header (in place), resolving the next hop by ARP and
 * queueing a copy while it resolves. @p buf must hold SK_ETH_HLEN + mtu
 * bytes. @return 0 (sent or queued), SYNACK_ERR_INVAL (too long for the MTU),
 * SYNACK_ERR_NOROUTE, SYNACK_ERR_NOBUFS (queue or pool full). */
int sk_net_send_ipv4(sk_net *net, synack_ipv4 dst, uint8_t proto, uint8_t *buf, size_t payload_len);

/* Sends an ICMP echo request (see synack_icmp_echo_send). */
int sk_net_icmp_echo_send(sk_net *net, synack_ipv4 dst, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len);

/* Sends ICMP destination-unreachable @p code about the received datagram
 * @p dgram (its IP header and at least the first 8 bytes after it, RFC 792;
 * RFC 1812 4.3.2.3 allows more, we quote up to 576 bytes in total), subject
 * to the token-bucket rate limit and to RFC 1122 3.2.2 (never about an ICMP
 * error, a broadcast/multicast, a non-first fragment or a source that is not
 * a unicast host). @return 0 when sent (or queued behind ARP),
 * SYNACK_ERR_LIMIT when rate limited, SYNACK_ERR_INVAL when the rules forbid
 * an error (counted in icmp_errors_suppressed) or @p dgram is not IPv4, or
 * the error of sk_net_send_ipv4. */
int sk_net_icmp_unreach(sk_net *net, const uint8_t *dgram, size_t len, uint8_t code);

/* Our address. */
synack_ipv4 sk_net_addr(const sk_net *net);
/* Negative advice from a transport (RFC 1122 2.3.2.1 (4), 4.2.3.5): what
 * it sends to @p dst goes unanswered; on Ethernet the next hop's ARP entry
 * is dropped so that the next datagram resolves it again. */
void sk_net_negative_advice(sk_net *net, synack_ipv4 dst);

#endif
