/* synack — per-stack counters.
 *
 * Every frame that is dropped is counted under the reason it was dropped.
 * The list is an X-macro so that tools can print names and descriptions
 * without a second table to keep in step.
 */
#ifndef SYNACK_STATS_H
#define SYNACK_STATS_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(field, description) — grouped by layer. */
#define SYNACK_STATS_LINK(X)                                                                       \
    X(frames_in, "frames handed to synack_stack_input")                                            \
    X(frames_out, "frames handed to the output callback")                                          \
    X(output_errors, "frames the output callback refused")                                         \
    X(eth_drop_short, "Ethernet frames shorter than the header")                                   \
    X(eth_drop_not_ours, "Ethernet frames for another MAC")                                        \
    X(eth_drop_ethertype, "Ethernet frames of an unknown EtherType")

#define SYNACK_STATS_ARP(X)                                                                        \
    X(arp_in, "ARP packets received")                                                              \
    X(arp_drop_malformed, "ARP packets malformed or not Ethernet/IPv4")                            \
    X(arp_drop_not_ours, "ARP requests for another address")                                       \
    X(arp_requests_out, "ARP requests sent")                                                       \
    X(arp_replies_out, "ARP replies sent")                                                         \
    X(arp_cache_evictions, "ARP entries evicted to make room")                                     \
    X(arp_queue_drops, "datagrams dropped: resolution queue full")                                 \
    X(arp_resolve_failed, "addresses that never answered ARP")                                     \
    X(arp_negative_advice, "ARP entries dropped on a transport's advice (RFC 1122 2.3.2.1)")       \
    X(arp_drop_unresolved, "datagrams dropped when resolution failed")                             \
    X(arp_cache_full, "datagrams not sent: every ARP entry has datagrams waiting")

#define SYNACK_STATS_IPV4(X)                                                                       \
    X(ip_in, "IPv4 datagrams received")                                                            \
    X(ip_out, "IPv4 datagrams sent")                                                               \
    X(ip_drop_short, "IPv4 datagrams shorter than their lengths say")                              \
    X(ip_drop_version, "datagrams with a version other than 4")                                    \
    X(ip_drop_hdrlen, "IPv4 datagrams with a bad header or total length")                          \
    X(ip_drop_checksum, "IPv4 datagrams with a bad header checksum")                               \
    X(ip_drop_bad_src, "IPv4 datagrams from a broadcast/multicast/invalid source")                 \
    X(ip_drop_not_ours, "IPv4 datagrams for another address")                                      \
    X(ip_drop_fragment, "IPv4 fragments (reassembly not supported)")                               \
    X(ip_drop_proto, "IPv4 datagrams of an unsupported protocol")                                  \
    X(ip_noroute, "datagrams not sent: no route")                                                  \
    X(ip_options_skipped, "IPv4 datagrams whose options were skipped")                             \
    X(pool_exhausted, "datagrams dropped: packet pool empty")

#define SYNACK_STATS_ICMP(X)                                                                       \
    X(icmp_in, "ICMP messages received")                                                           \
    X(icmp_out, "ICMP messages sent")                                                              \
    X(icmp_drop_malformed, "ICMP messages too short or malformed")                                 \
    X(icmp_drop_checksum, "ICMP messages with a bad checksum")                                     \
    X(icmp_echo_requests_in, "ICMP echo requests received")                                        \
    X(icmp_echo_replies_out, "ICMP echo replies sent")                                             \
    X(icmp_echo_replies_in, "ICMP echo replies received")                                          \
    X(icmp_unreach_in, "ICMP destination-unreachable messages received")                           \
    X(icmp_unreach_out, "ICMP destination-unreachable messages sent")                              \
    X(icmp_rate_limited, "ICMP errors not sent: rate limit")                                       \
    X(icmp_drop_other, "ICMP messages of a type we ignore")                                        \
    X(icmp_drop_echo_bcast, "ICMP echo requests to a broadcast address, ignored")                  \
    X(icmp_drop_echo_disabled, "ICMP echo requests ignored: echo replies disabled")                \
    X(icmp_errors_suppressed,                                                                      \
      "ICMP errors not sent: about an error, broadcast, fragment or bad source")                   \
    X(icmp_send_failed, "ICMP messages not sent: too big, no route or no buffer")

#define SYNACK_STATS_TCP(X)                                                                        \
    X(tcp_in, "TCP segments received")                                                             \
    X(tcp_out, "TCP segments sent")                                                                \
    X(tcp_drop_short, "TCP segments shorter than their header")                                    \
    X(tcp_drop_checksum, "TCP segments with a bad checksum")                                       \
    X(tcp_drop_malformed, "TCP segments with a bad data offset or option")                         \
    X(tcp_drop_no_conn, "TCP segments for no connection or listener (answered by RST)")            \
    X(tcp_drop_unacceptable, "TCP segments outside the receive window (RFC 9293 3.10.7.4)")        \
    X(tcp_drop_bad_ack, "TCP segments with an unacceptable ACK")                                   \
    X(tcp_drop_listen, "TCP segments to a listener that were not a SYN")                           \
    X(tcp_drop_backlog, "SYNs dropped: listener backlog full")                                     \
    X(tcp_drop_conn_limit, "SYNs dropped: connection limit reached")                               \
    X(tcp_drop_ooo, "out-of-order segments dropped: reassembly bounds or no memory")               \
    X(tcp_rcv_ooo, "out-of-order segments held for reassembly (RFC 9293 3.10.7.4)")                \
    X(tcp_rcv_dup, "segments carrying text received before (trimmed)")                             \
    X(tcp_drop_paws, "segments dropped by PAWS: timestamp older than TS.Recent (RFC 7323 5)")      \
    X(tcp_delayed_acks, "ACKs sent by the delayed-ACK timer (RFC 1122 4.2.3.2)")                   \
    X(tcp_window_updates, "window updates sent after the application read (RFC 9293 3.8.6.2.2)")   \
    X(tcp_drop_nomem, "TCP segments dropped: no memory for a buffer")                              \
    X(tcp_rst_out, "RST segments sent")                                                            \
    X(tcp_rst_in, "RST segments that reset a connection")                                          \
    X(tcp_rst_ignored, "RST segments ignored (out of window, RFC 1337 TIME-WAIT)")                 \
    X(tcp_challenge_acks, "challenge ACKs sent (RFC 5961)")                                        \
    X(tcp_challenge_ack_limited, "challenge ACKs suppressed by the rate limit (RFC 5961 7)")       \
    X(tcp_retransmits, "segments retransmitted")                                                   \
    X(tcp_timeouts, "retransmission timeouts")                                                     \
    X(tcp_dupacks_in, "duplicate ACKs received (RFC 5681 2, RFC 6675 2)")                          \
    X(tcp_fast_recoveries, "NewReno fast recoveries entered (RFC 6582)")                           \
    X(tcp_sack_recoveries, "SACK-based loss recoveries entered (RFC 6675)")                        \
    X(tcp_partial_acks, "partial ACKs in NewReno recovery, each a retransmission (RFC 6582)")      \
    X(tcp_sack_blocks_ignored, "SACK blocks ignored: the scoreboard was full")                     \
    X(tcp_conn_opened_active, "connections opened by connect")                                     \
    X(tcp_conn_opened_passive, "connections accepted from a listener")                             \
    X(tcp_conn_established, "connections that reached ESTABLISHED")                                \
    X(tcp_conn_reset, "connections reset by the peer")                                             \
    X(tcp_conn_refused, "connections refused by the peer")                                         \
    X(tcp_conn_timed_out, "connections that timed out")                                            \
    X(tcp_keepalive_probes, "keep-alive probes sent (RFC 1122 4.2.3.6)")                           \
    X(tcp_keepalive_drops, "connections dropped: keep-alive probes unanswered")                    \
    X(tcp_time_wait_reused, "TIME-WAIT entries reused by a new SYN (RFC 6191)")                    \
    X(tcp_time_wait_dropped, "connections closed without TIME-WAIT: table full")                   \
    X(tcp_abort_on_data, "connections reset: data arrived after close (RFC 1122 4.2.2.13)")        \
    X(tcp_icmp_in, "ICMP errors about TCP segments received")                                      \
    X(tcp_icmp_ignored,                                                                            \
      "ICMP errors ignored: no such connection or sequence out of window (RFC 5927)")              \
    X(tcp_icmp_aborted, "connections refused by an ICMP port/protocol unreachable in SYN-SENT")    \
    X(tcp_pmtu_lowered, "send MSS lowered by ICMP fragmentation needed (RFC 1191)")

#define SYNACK_STATS(X)                                                                            \
    SYNACK_STATS_LINK(X)                                                                           \
    SYNACK_STATS_ARP(X) SYNACK_STATS_IPV4(X) SYNACK_STATS_ICMP(X) SYNACK_STATS_TCP(X)

typedef struct synack_stats {
#define SYNACK_STATS_FIELD_(name, desc) uint64_t name;
    SYNACK_STATS(SYNACK_STATS_FIELD_)
#undef SYNACK_STATS_FIELD_
} synack_stats;

/** Number of counters in synack_stats. */
size_t synack_stats_count(void);
/** Name of counter @p i ("ip_drop_checksum"), or NULL past the end. */
const char *synack_stats_name(size_t i);
/** One-line description of counter @p i, or NULL past the end. */
const char *synack_stats_desc(size_t i);
/** Value of counter @p i in @p s (0 past the end). */
uint64_t synack_stats_value(const synack_stats *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif
