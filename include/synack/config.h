/* synack — every limit and every timer in one place (after lwIP's opt.h,
 * but as runtime fields rather than macros).
 *
 * Fill a synack_config with synack_config_default(), change what you need,
 * and pass it to synack_stack_new(). Each field says its default and where
 * that default comes from.
 */
#ifndef SYNACK_CONFIG_H
#define SYNACK_CONFIG_H

#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What the stack's frames look like on the link. */
typedef enum synack_link_type {
    /** Ethernet II frames; the stack answers and resolves with ARP (TAP, memlink). */
    SYNACK_LINK_ETHERNET = 0,
    /** Bare IPv4 datagrams, no link header, no ARP (TUN). */
    SYNACK_LINK_IP = 1,
} synack_link_type;

/** IPv4 addresses are uint32_t in host byte order throughout the public API
 *  (10.0.0.1 is 0x0a000001). */
typedef uint32_t synack_ipv4;

/** Congestion control algorithms (synack_config.tcp_cc, synack_tcp_set_cc). */
typedef enum synack_cc_algo {
    SYNACK_CC_NEWRENO = 0, /**< RFC 5681 with RFC 6582 NewReno recovery */
    SYNACK_CC_CUBIC = 1    /**< RFC 9438 */
} synack_cc_algo;

typedef struct synack_config {
    /* ---- interface ---- */
    synack_link_type link; /**< default SYNACK_LINK_ETHERNET */
    uint8_t
        mac[6]; /**< our MAC (Ethernet only); default 02:00:00:00:00:01 (locally administered) */
    synack_ipv4 addr;   /**< our IPv4 address; default 0 (must be set) */
    uint8_t prefix_len; /**< on-link prefix length, 0..32; default 24 */
    synack_ipv4
        gateway;    /**< default gateway, 0 = none (off-link traffic gets SYNACK_ERR_NOROUTE) */
    uint16_t mtu;   /**< IP MTU in bytes, 576..9000; default 1500 (RFC 894) */
    uint8_t ip_ttl; /**< TTL of datagrams we send; default 64 (RFC 1700 / common practice) */

    /* ---- randomness and secrets ---- */
    uint64_t seed;      /**< seed of the stack's PRNG (IP ids, ports, simulation); default 1 */
    uint8_t secret[16]; /**< key for keyed hashes (ISN, connection table); all zero = derived from
                           seed */

    /* ---- timers ---- */
    uint64_t timer_tick_ns; /**< timer wheel granularity; default 1 ms */

    /* ---- ARP (RFC 826, RFC 1122 2.3.2) ---- */
    uint32_t arp_cache_size; /**< entries; default 64 */
    uint64_t arp_ttl_ns; /**< lifetime of a resolved entry; default 60 s (RFC 1122 2.3.2.1 asks for
                            a timeout; BSD uses 20 min, Linux ~30 s reachable) */
    uint64_t arp_retry_ns;     /**< interval between requests for one address; default 1 s (RFC
                                  1122 2.3.2.1: at most one per second) */
    uint32_t arp_max_requests; /**< requests before giving up; default 3 (Linux mcast_solicit) */
    uint32_t arp_queue_len;    /**< datagrams held per unresolved address; default 3 (Linux
                                  unres_qlen_bytes idea; RFC 1122 2.3.2.2 SHOULD hold at least one) */

    /* ---- packet pool ---- */
    uint32_t pkt_pool_size; /**< buffers for datagrams waiting on ARP; default 64 */

    /* ---- ICMP (RFC 792, RFC 1122 3.2.2, RFC 1812 4.3.2.8) ---- */
    uint32_t icmp_rate_per_sec; /**< ICMP errors per second (token bucket refill); default 100 */
    uint32_t icmp_burst;        /**< bucket depth; default 50 (Linux icmp_msgs_burst) */
    bool icmp_echo_reply;       /**< answer pings; default true (RFC 1122 3.2.2.6 MUST) */

    /* ---- TCP (RFC 9293) ---- */
    uint32_t tcp_max_conns;     /**< connections in any state but TIME-WAIT; default 1024 */
    uint32_t tcp_max_time_wait; /**< compact TIME-WAIT entries; default 4096 */
    uint32_t tcp_max_listeners; /**< default 64 */
    uint16_t tcp_mss;           /**< MSS we announce; default 0 = mtu - 40 (RFC 9293 3.7.1) */
    uint32_t tcp_sndbuf;        /**< send buffer bytes per connection; default 65536 */
    uint32_t tcp_rcvbuf; /**< receive buffer bytes per connection, 1024..2^30; above 65535 only
                            with tcp_window_scaling (RFC 7323 2.3); default 65535 */
    uint64_t tcp_msl_ns; /**< maximum segment lifetime; TIME-WAIT lasts 2*MSL; default 30 s (RFC
                            9293 3.4.2 says 2 min; 30 s is common practice) */
    uint64_t tcp_rto_initial_ns;  /**< default 1 s (RFC 6298 2.1) */
    uint64_t tcp_rto_min_ns;      /**< default 1 s (RFC 6298 2.4; Linux uses 200 ms) */
    uint64_t tcp_rto_max_ns;      /**< default 60 s (RFC 6298 2.5) */
    uint64_t tcp_syn_timeout_ns;  /**< give up an active or passive open after; default 75 s (RFC
                                     1122 4.2.3.5 R2 for SYN is >= 3 min; BSD uses 75 s) */
    uint64_t tcp_user_timeout_ns; /**< give up when data stays unacknowledged this long; default 300
                                     s (RFC 9293 3.8.3: 5 minutes) */
    uint16_t tcp_ephemeral_lo;    /**< first ephemeral port; default 49152 (RFC 6335 6) */
    uint16_t tcp_ephemeral_hi;    /**< last ephemeral port; default 65535 */
    uint32_t tcp_challenge_ack_limit; /**< challenge ACKs per second (RFC 5961 7); default 1000 */
    /* ---- TCP receive side ---- */
    uint16_t tcp_reass_max_ranges; /**< disjoint out-of-order ranges held per connection for
                                      reassembly (RFC 9293 3.10.7.4); their bytes always lie in the
                                      receive buffer, so this bounds the bookkeeping, never the
                                      memory; 0 = drop out-of-order text; default 16 (8 bytes each;
                                      SACK reports at most 4 blocks, RFC 2018 3) */
    uint64_t tcp_delack_ns;        /**< longest an ACK of in-order text may wait for a second
                                      full-sized segment or a reply to ride on (RFC 1122 4.2.3.2: < 0.5 s;
                                      RFC 5681 4.2); 0 = ACK every segment at once; default 40 ms (Linux's
                                      minimum delayed-ACK timeout) */
    bool tcp_window_scaling; /**< offer the window scale option (RFC 7323 2); used only when both
                                ends offer it; default true */
    bool tcp_timestamps;     /**< offer timestamps (RFC 7323 3: RTT samples, PAWS); used only when
                                both ends offer them; default true */
    bool tcp_sack;           /**< offer SACK (RFC 2018) and report D-SACK (RFC 2883); used only
                                when both ends offer it; default true */
    uint16_t tcp_quickack_segs; /**< quick-ack at the start of a connection, as Linux does
                                   (tcp_incr_quickack): the first ACKs of new text go at once,
                                   without the delay of tcp_delack_ns, as many as
                                   min(this, window / (2 * MSS)) (RFC 1122 4.2.3.2 and RFC 5681
                                   4.2 allow ACKing more often); 0 = off; default 0 (Linux: 16,
                                   TCP_MAX_QUICKACKS) */
    /* ---- TCP send side ---- */
    uint8_t tcp_cc;            /**< congestion control of new connections (synack_cc_algo):
                                  SYNACK_CC_NEWRENO (RFC 5681, RFC 6582) or SYNACK_CC_CUBIC
                                  (RFC 9438); default CUBIC */
    uint16_t tcp_initial_cwnd; /**< initial congestion window in segments, 1..100; 0 = RFC
                                  6928's min(10*MSS, max(2*MSS, 14600 bytes)); default 0 */
    bool tcp_nodelay;          /**< new connections start with Nagle's algorithm off (RFC 9293
                                  3.7.4; synack_tcp_set_nodelay per connection); default false */
    bool tcp_limited_transmit; /**< without SACK, each of the first two duplicate ACKs sends one
                                  new segment (RFC 3042; RFC 5681 3.2 SHOULD); with SACK the
                                  RFC 6675 pipe does this anyway; default true */
    bool tcp_prr; /**< Proportional Rate Reduction (RFC 6937) paces what a SACK recovery sends,
                     down to ssthresh by the data the peer reports delivered; false: RFC 6675's
                     cwnd = ssthresh at once; default true (as Linux) */
    /* ---- TCP keep-alive (RFC 1122 4.2.3.6, RFC 9293 3.8.4) ---- */
    bool tcp_keepalive;              /**< new connections send keep-alive probes when idle
                                        (SO_KEEPALIVE; synack_tcp_set_keepalive per connection);
                                        default false (RFC 1122 4.2.3.6: "MUST default to off") */
    uint64_t tcp_keepalive_idle_ns;  /**< time with nothing received before the first probe;
                                        1 ms..32767 s; default 7200 s (RFC 1122 4.2.3.6: "MUST
                                        default to no less than two hours"; tcp_keepalive_time) */
    uint64_t tcp_keepalive_intvl_ns; /**< time between unanswered probes; 1 ms..32767 s; default
                                        75 s (BSD and Linux tcp_keepalive_intvl) */
    uint32_t tcp_keepalive_probes;   /**< unanswered probes after which the connection is dropped
                                        with SYNACK_ERR_TIMEDOUT (RFC 1122 4.2.3.6: never for one
                                        alone); 2..127; default 9 (tcp_keepalive_probes) */
} synack_config;

/** Fills @p cfg with the defaults documented above. */
void synack_config_default(synack_config *cfg);

/** Applies the named profile to @p cfg: sets the fields that profile
 *  decides and leaves the others (addresses, limits) as they are.
 *  - "default": those fields as synack_config_default() sets them.
 *  - "linux": Linux's defaults, which most published packetdrill scripts
 *    assume (RTO min 200 ms, initial RTO 1 s, RTO max 120 s, TIME-WAIT
 *    60 s, SYN retries worth 127 s, ephemeral ports 32768..60999; MSS 1460
 *    at MTU 1500 as by default; window scale 8, timestamps, SACK and
 *    D-SACK on; an initial window of 10 segments, CUBIC, Nagle on; delayed
 *    ACKs of 40 ms after 16 quick ACKs at the start of a connection).
 *  @return 0, or SYNACK_ERR_NOTFOUND for an unknown name (cfg untouched),
 *          SYNACK_ERR_INVAL if cfg or name is NULL. */
int synack_config_profile(synack_config *cfg, const char *name);

/** Checks a configuration: returns 0, or SYNACK_ERR_INVAL and, if @p why is
 *  not NULL, points *why at a static message naming the bad field ("mtu: ...";
 *  NULL on success). Besides each field's range it rejects an addr that is
 *  not a unicast host address on its prefix (RFC 1122 3.2.1.3; /31 and /32
 *  have no network or broadcast address, RFC 3021), a gateway that is not
 *  unicast, is addr, or (prefix_len < 32) is off the subnet, and on Ethernet
 *  an all-zero or multicast MAC. */
int synack_config_check(const synack_config *cfg, const char **why);

/** Parses dotted-quad "a.b.c.d" into @p out: exactly four decimal numbers
 *  0..255, no spaces, no leading zeros ("01.2.3.4" is rejected rather than
 *  read as octal, as inet_aton would, or as decimal: like inet_pton).
 *  Returns 0 or SYNACK_ERR_INVAL; @p out is untouched on error. */
int synack_ipv4_parse(const char *s, synack_ipv4 *out);

/** Parses "a.b.c.d/len" (the "/len" part is optional and defaults to 32;
 *  len is 0..32 without leading zeros). Returns 0 or SYNACK_ERR_INVAL;
 *  the outputs are untouched on error. */
int synack_ipv4_parse_cidr(const char *s, synack_ipv4 *addr, uint8_t *prefix_len);

/** Writes "a.b.c.d" into @p buf (at least 16 bytes); returns buf. */
char *synack_ipv4_format(synack_ipv4 addr, char *buf);

#ifdef __cplusplus
}
#endif
#endif
