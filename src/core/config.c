#include "synack/config.h"
#include "synack/error.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SK_MS 1000000ULL
#define SK_S  1000000000ULL

void synack_config_default(synack_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->link = SYNACK_LINK_ETHERNET;
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
    memcpy(cfg->mac, mac, 6);
    cfg->prefix_len = 24;
    cfg->mtu = 1500;  /* RFC 894 */
    cfg->ip_ttl = 64; /* RFC 1700 default TTL */
    cfg->seed = 1;
    cfg->timer_tick_ns = SK_MS;
    cfg->arp_cache_size = 64;
    cfg->arp_ttl_ns = 60 * SK_S;  /* RFC 1122 2.3.2.1: entries must time out */
    cfg->arp_retry_ns = 1 * SK_S; /* RFC 1122 2.3.2.1: at most one request per second */
    cfg->arp_max_requests = 3;
    cfg->arp_queue_len = 3; /* RFC 1122 2.3.2.2: SHOULD save at least one */
    cfg->pkt_pool_size = 64;
    cfg->icmp_rate_per_sec = 100; /* RFC 1812 4.3.2.8 / RFC 1122 3.2.2: rate-limit errors */
    cfg->icmp_burst = 50;
    cfg->icmp_echo_reply = true; /* RFC 1122 3.2.2.6 */
    cfg->tcp_max_conns = 1024;
    cfg->tcp_max_time_wait = 4096;
    cfg->tcp_max_listeners = 64;
    cfg->tcp_mss = 0;
    cfg->tcp_sndbuf = 65536;
    cfg->tcp_rcvbuf = 65535;
    cfg->tcp_msl_ns = 30 * SK_S;
    cfg->tcp_rto_initial_ns = 1 * SK_S; /* RFC 6298 2.1 */
    cfg->tcp_rto_min_ns = 1 * SK_S;     /* RFC 6298 2.4 */
    cfg->tcp_rto_max_ns = 60 * SK_S;    /* RFC 6298 2.5 */
    cfg->tcp_syn_timeout_ns = 75 * SK_S;
    cfg->tcp_user_timeout_ns = 300 * SK_S; /* RFC 9293 3.8.3 */
    cfg->tcp_ephemeral_lo = 49152;         /* RFC 6335 6 */
    cfg->tcp_ephemeral_hi = 65535;
    cfg->tcp_challenge_ack_limit = 1000; /* RFC 5961 7 */
    cfg->tcp_reass_max_ranges = 16;
    cfg->tcp_delack_ns = 40 * SK_MS;
    cfg->tcp_window_scaling = true;
    cfg->tcp_timestamps = true;
    cfg->tcp_sack = true;
    cfg->tcp_quickack_segs = 0; /* off: RFC 1122 4.2.3.2 delayed ACKs from the start */
    cfg->tcp_cc = SYNACK_CC_CUBIC;
    cfg->tcp_initial_cwnd = 0; /* RFC 6928 */
    cfg->tcp_nodelay = false;
    cfg->tcp_limited_transmit = true;
    cfg->tcp_prr = true;
    cfg->tcp_keepalive = false;               /* RFC 1122 4.2.3.6: off by default */
    cfg->tcp_keepalive_idle_ns = 7200 * SK_S; /* RFC 1122 4.2.3.6: >= two hours */
    cfg->tcp_keepalive_intvl_ns = 75 * SK_S;  /* BSD, Linux */
    cfg->tcp_keepalive_probes = 9;            /* BSD, Linux */
}

/* RFC 1122 3.2.1.3 / RFC 5771 / RFC 1112 4: addresses that can never be a
 * unicast host address: limited broadcast, multicast (224/4), reserved
 * class E (240/4). */
static bool ipv4_is_unicast(synack_ipv4 a)
{
    return a != 0 && (a >> 28) != 0xe && (a >> 28) != 0xf;
}

static synack_ipv4 prefix_mask(uint8_t len)
{
    return len == 0 ? 0 : ~(synack_ipv4)0 << (32 - len);
}

static const char *check_addresses(const synack_config *cfg)
{
    if (cfg->addr == 0)
        return "addr: an IPv4 address is required";
    if (!ipv4_is_unicast(cfg->addr))
        return "addr: must be a unicast address (not multicast, broadcast or class E)";
    if (cfg->prefix_len > 32)
        return "prefix_len: must be 0..32";
    synack_ipv4 host = cfg->addr & ~prefix_mask(cfg->prefix_len);
    /* RFC 1122 3.2.1.3: host number all zeros or all ones is not a host;
     * RFC 3021: /31 (and /32) have no such addresses. */
    if (cfg->prefix_len <= 30 && (host == 0 || host == ~prefix_mask(cfg->prefix_len)))
        return "addr: is the subnet's network or broadcast address for this prefix_len";
    if (cfg->gateway != 0) {
        if (!ipv4_is_unicast(cfg->gateway) || cfg->gateway == cfg->addr)
            return "gateway: must be a unicast address other than addr (or 0 for none)";
        /* A /32 may still reach its gateway on-link (a route the stack assumes). */
        if (cfg->prefix_len < 32 &&
            ((cfg->gateway ^ cfg->addr) & prefix_mask(cfg->prefix_len)) != 0)
            return "gateway: must be on the subnet of addr/prefix_len";
    }
    return NULL;
}

static bool mac_is_zero(const uint8_t mac[6])
{
    return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

static const char *check_ethernet(const synack_config *cfg)
{
    if (cfg->mac[0] & 1)
        return "mac: must be a unicast address";
    if (mac_is_zero(cfg->mac))
        return "mac: must not be all zero";
    if (cfg->arp_cache_size == 0)
        return "arp_cache_size: must be > 0";
    if (cfg->arp_ttl_ns == 0)
        return "arp_ttl_ns: must be > 0";
    if (cfg->arp_retry_ns == 0 || cfg->arp_max_requests == 0)
        return "arp_retry_ns/arp_max_requests: must be > 0";
    return NULL;
}

static const char *check_tcp(const synack_config *cfg)
{
    if (cfg->tcp_max_conns == 0 || cfg->tcp_max_listeners == 0)
        return "tcp_max_conns/tcp_max_listeners: must be > 0";
    if (cfg->tcp_mss != 0 && (cfg->tcp_mss < 88 || cfg->tcp_mss > cfg->mtu - 40))
        return "tcp_mss: must be 0 (from the MTU) or 88..mtu-40";
    if (cfg->tcp_sndbuf < 1024 || cfg->tcp_rcvbuf < 1024)
        return "tcp_sndbuf/tcp_rcvbuf: must be >= 1024";
    /* RFC 7323 2.3: a window reaches at most 65535 << 14 (2^30). */
    if (cfg->tcp_rcvbuf > (cfg->tcp_window_scaling ? (1u << 30) : 65535u))
        return "tcp_rcvbuf: must be <= 65535 without window scaling, <= 2^30 with it";
    if (cfg->tcp_rto_min_ns == 0 || cfg->tcp_rto_min_ns > cfg->tcp_rto_max_ns ||
        cfg->tcp_rto_initial_ns < cfg->tcp_rto_min_ns ||
        cfg->tcp_rto_initial_ns > cfg->tcp_rto_max_ns)
        return "tcp_rto_*: need 0 < rto_min <= rto_initial <= rto_max";
    if (cfg->tcp_ephemeral_lo == 0 || cfg->tcp_ephemeral_lo > cfg->tcp_ephemeral_hi)
        return "tcp_ephemeral_lo/hi: need 0 < lo <= hi";
    if (cfg->tcp_delack_ns >= 500 * SK_MS)
        return "tcp_delack_ns: must be < 500 ms (RFC 1122 4.2.3.2)";
    if (cfg->tcp_cc != SYNACK_CC_NEWRENO && cfg->tcp_cc != SYNACK_CC_CUBIC)
        return "tcp_cc: must be SYNACK_CC_NEWRENO or SYNACK_CC_CUBIC";
    if (cfg->tcp_initial_cwnd > 100)
        return "tcp_initial_cwnd: must be 0 (RFC 6928) or 1..100 segments";
    /* Linux's limits (MAX_TCP_KEEPIDLE, MAX_TCP_KEEPINTVL, MAX_TCP_KEEPCNT);
     * at least 2 probes: RFC 1122 4.2.3.6 forbids dropping for one. */
    if (cfg->tcp_keepalive_idle_ns < SK_MS || cfg->tcp_keepalive_idle_ns > 32767 * SK_S ||
        cfg->tcp_keepalive_intvl_ns < SK_MS || cfg->tcp_keepalive_intvl_ns > 32767 * SK_S)
        return "tcp_keepalive_idle_ns/intvl_ns: must be 1 ms..32767 s";
    if (cfg->tcp_keepalive_probes < 2 || cfg->tcp_keepalive_probes > 127)
        return "tcp_keepalive_probes: must be 2..127 (RFC 1122 4.2.3.6: never drop for one)";
    return NULL;
}

/* The first problem found, as "field: what is wrong", or NULL. */
static const char *config_problem(const synack_config *cfg)
{
    const char *msg;
    if (!cfg)
        return "cfg: must not be NULL";
    if (cfg->link != SYNACK_LINK_ETHERNET && cfg->link != SYNACK_LINK_IP)
        return "link: must be SYNACK_LINK_ETHERNET or SYNACK_LINK_IP";
    if ((msg = check_addresses(cfg)) != NULL)
        return msg;
    if (cfg->mtu < 576 || cfg->mtu > 9000)
        return "mtu: must be 576..9000 (RFC 791 minimum reassembly size is 576)";
    if (cfg->ip_ttl == 0)
        return "ip_ttl: must be at least 1";
    if (cfg->timer_tick_ns == 0)
        return "timer_tick_ns: must be > 0";
    if (cfg->link == SYNACK_LINK_ETHERNET && (msg = check_ethernet(cfg)) != NULL)
        return msg;
    if (cfg->pkt_pool_size == 0)
        return "pkt_pool_size: must be > 0";
    return check_tcp(cfg);
}

int synack_config_check(const synack_config *cfg, const char **why)
{
    const char *msg = config_problem(cfg);
    if (why)
        *why = msg;
    return msg ? SYNACK_ERR_INVAL : 0;
}

/* One decimal number of at most @p max_digits digits and value <= @p max,
 * without a leading zero (so "010" is rejected rather than guessed to be
 * octal, as inet_aton would, or decimal). Advances *s past it. */
static int parse_decimal(const char **s, unsigned max_digits, unsigned max, unsigned *out)
{
    const char *p = *s;
    if (*p < '0' || *p > '9')
        return SYNACK_ERR_INVAL;
    if (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
        return SYNACK_ERR_INVAL;
    unsigned v = 0, digits = 0;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (unsigned)(*p - '0');
        if (++digits > max_digits || v > max)
            return SYNACK_ERR_INVAL;
        p++;
    }
    *s = p;
    *out = v;
    return 0;
}

/* Parses a dotted quad at *s, stopping at the first character after it. */
static int parse_quad(const char **s, synack_ipv4 *out)
{
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (**s != '.')
                return SYNACK_ERR_INVAL;
            (*s)++;
        }
        unsigned v;
        if (parse_decimal(s, 3, 255, &v) < 0)
            return SYNACK_ERR_INVAL;
        addr = (addr << 8) | v;
    }
    *out = addr;
    return 0;
}

int synack_ipv4_parse(const char *s, synack_ipv4 *out)
{
    synack_ipv4 addr;
    if (!s || !out || parse_quad(&s, &addr) < 0 || *s != '\0')
        return SYNACK_ERR_INVAL;
    *out = addr;
    return 0;
}

int synack_ipv4_parse_cidr(const char *s, synack_ipv4 *addr, uint8_t *prefix_len)
{
    synack_ipv4 a;
    unsigned len = 32;
    if (!s || !addr || !prefix_len || parse_quad(&s, &a) < 0)
        return SYNACK_ERR_INVAL;
    if (*s == '/') {
        s++;
        if (parse_decimal(&s, 2, 32, &len) < 0)
            return SYNACK_ERR_INVAL;
    }
    if (*s != '\0')
        return SYNACK_ERR_INVAL;
    *addr = a;
    *prefix_len = (uint8_t)len;
    return 0;
}

char *synack_ipv4_format(synack_ipv4 a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)((a >> 16) & 255),
             (unsigned)((a >> 8) & 255), (unsigned)(a & 255));
    return buf;
}
