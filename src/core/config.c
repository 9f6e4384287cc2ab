#include "synack/config.h"
#include "synack/error.h"

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
}

int synack_config_check(const synack_config *cfg, const char **why)
{
    const char *msg = NULL;
    if (cfg->link != SYNACK_LINK_ETHERNET && cfg->link != SYNACK_LINK_IP)
        msg = "link: must be SYNACK_LINK_ETHERNET or SYNACK_LINK_IP";
    else if (cfg->addr == 0)
        msg = "addr: an IPv4 address is required";
    else if (cfg->prefix_len > 32)
        msg = "prefix_len: must be 0..32";
    else if (cfg->mtu < 576 || cfg->mtu > 9000)
        msg = "mtu: must be 576..9000 (RFC 791 minimum reassembly size is 576)";
    else if (cfg->ip_ttl == 0)
        msg = "ip_ttl: must be at least 1";
    else if (cfg->timer_tick_ns == 0)
        msg = "timer_tick_ns: must be > 0";
    else if (cfg->link == SYNACK_LINK_ETHERNET && (cfg->mac[0] & 1))
        msg = "mac: must be a unicast address";
    else if (cfg->link == SYNACK_LINK_ETHERNET && cfg->arp_cache_size == 0)
        msg = "arp_cache_size: must be > 0";
    else if (cfg->pkt_pool_size == 0)
        msg = "pkt_pool_size: must be > 0";
    else if (cfg->arp_retry_ns == 0 || cfg->arp_max_requests == 0)
        msg = "arp_retry_ns/arp_max_requests: must be > 0";
    if (why)
        *why = msg;
    return msg ? SYNACK_ERR_INVAL : 0;
}

int synack_ipv4_parse(const char *s, synack_ipv4 *out)
{
    if (!s || !out)
        return SYNACK_ERR_INVAL;
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return SYNACK_ERR_INVAL;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s - '0');
            if (++digits > 3 || v > 255)
                return SYNACK_ERR_INVAL;
            s++;
        }
        addr = (addr << 8) | v;
        if (part < 3) {
            if (*s != '.')
                return SYNACK_ERR_INVAL;
            s++;
        }
    }
    if (*s != '\0')
        return SYNACK_ERR_INVAL;
    *out = addr;
    return 0;
}

int synack_ipv4_parse_cidr(const char *s, synack_ipv4 *addr, uint8_t *prefix_len)
{
    if (!s || !addr || !prefix_len)
        return SYNACK_ERR_INVAL;
    char buf[32];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n >= sizeof(buf))
        return SYNACK_ERR_INVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int rv = synack_ipv4_parse(buf, addr);
    if (rv < 0)
        return rv;
    unsigned len = 32;
    if (slash) {
        const char *p = slash + 1;
        if (*p == '\0')
            return SYNACK_ERR_INVAL;
        len = 0;
        for (int digits = 0; *p; p++) {
            if (*p < '0' || *p > '9' || ++digits > 2)
                return SYNACK_ERR_INVAL;
            len = len * 10 + (unsigned)(*p - '0');
        }
        if (len > 32)
            return SYNACK_ERR_INVAL;
    }
    *prefix_len = (uint8_t)len;
    return 0;
}

char *synack_ipv4_format(synack_ipv4 a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(a >> 24), (unsigned)((a >> 16) & 255),
             (unsigned)((a >> 8) & 255), (unsigned)(a & 255));
    return buf;
}
