/* Named configuration profiles: sets of field values that together match
 * another stack's behaviour, so that tests written for it (packetdrill
 * scripts written against Linux) can run against synack. */
#include <string.h>

#include "synack/config.h"
#include "synack/error.h"

#define SK_MS 1000000ULL
#define SK_S  1000000000ULL

/* The fields a profile decides: the same list for every profile, so that
 * switching profiles never leaves a field from the previous one behind. */
static void profile_default(synack_config *cfg)
{
    synack_config d;
    synack_config_default(&d);
    cfg->tcp_mss = d.tcp_mss;
    cfg->tcp_rcvbuf = d.tcp_rcvbuf;
    cfg->tcp_sndbuf = d.tcp_sndbuf;
    cfg->tcp_msl_ns = d.tcp_msl_ns;
    cfg->tcp_rto_initial_ns = d.tcp_rto_initial_ns;
    cfg->tcp_rto_min_ns = d.tcp_rto_min_ns;
    cfg->tcp_rto_max_ns = d.tcp_rto_max_ns;
    cfg->tcp_syn_timeout_ns = d.tcp_syn_timeout_ns;
    cfg->tcp_ephemeral_lo = d.tcp_ephemeral_lo;
    cfg->tcp_ephemeral_hi = d.tcp_ephemeral_hi;
    cfg->ip_ttl = d.ip_ttl;
    cfg->tcp_delack_ns = d.tcp_delack_ns;
    cfg->tcp_window_scaling = d.tcp_window_scaling;
    cfg->tcp_timestamps = d.tcp_timestamps;
    cfg->tcp_sack = d.tcp_sack;
    cfg->tcp_quickack_segs = d.tcp_quickack_segs;
    cfg->tcp_cc = d.tcp_cc;
    cfg->tcp_initial_cwnd = d.tcp_initial_cwnd;
    cfg->tcp_nodelay = d.tcp_nodelay;
    cfg->tcp_limited_transmit = d.tcp_limited_transmit;
    cfg->tcp_prr = d.tcp_prr;
    cfg->tcp_keepalive = d.tcp_keepalive;
    cfg->tcp_keepalive_idle_ns = d.tcp_keepalive_idle_ns;
    cfg->tcp_keepalive_intvl_ns = d.tcp_keepalive_intvl_ns;
    cfg->tcp_keepalive_probes = d.tcp_keepalive_probes;
}

/* Linux's defaults (include/net/tcp.h and the net.ipv4 sysctls). */
static void profile_linux(synack_config *cfg)
{
    profile_default(cfg);
    cfg->tcp_mss = 0;                     /* mtu - 40: 1460 at MTU 1500 */
    cfg->tcp_rto_initial_ns = 1 * SK_S;   /* TCP_TIMEOUT_INIT, as RFC 6298 2.1 */
    cfg->tcp_rto_min_ns = 200 * SK_MS;    /* TCP_RTO_MIN */
    cfg->tcp_rto_max_ns = 120 * SK_S;     /* TCP_RTO_MAX */
    cfg->tcp_msl_ns = 30 * SK_S;          /* TCP_TIMEWAIT_LEN is 60 s = 2 MSL */
    cfg->tcp_syn_timeout_ns = 127 * SK_S; /* tcp_syn_retries 6: 1+2+...+64 s */
    cfg->tcp_ephemeral_lo = 32768;        /* ip_local_port_range */
    cfg->tcp_ephemeral_hi = 60999;
    cfg->ip_ttl = 64;                /* ip_default_ttl */
    cfg->tcp_delack_ns = 40 * SK_MS; /* TCP_DELACK_MIN */
    /* Window scaling, timestamps, SACK (and D-SACK) on: tcp_window_scaling,
     * tcp_timestamps, tcp_sack, tcp_dsack sysctls. */
    cfg->tcp_window_scaling = true;
    cfg->tcp_timestamps = true;
    cfg->tcp_sack = true;
    /* tcp_incr_quickack: the first ACKs go at once, up to TCP_MAX_QUICKACKS. */
    cfg->tcp_quickack_segs = 16;
    /* Scripts written for Linux expect wscale 8 in the SYN: the largest
     * window that scale can express (RFC 7323 2.3), a 16 MiB buffer. */
    cfg->tcp_rcvbuf = 65535u << 8;
    cfg->tcp_cc = SYNACK_CC_CUBIC;    /* tcp_congestion_control */
    cfg->tcp_initial_cwnd = 10;       /* TCP_INIT_CWND (RFC 6928) */
    cfg->tcp_nodelay = false;         /* Nagle on until TCP_NODELAY */
    cfg->tcp_limited_transmit = true; /* tcp_input.c: tcp_cwnd_test's RFC 3042 */
    cfg->tcp_prr = true;              /* tcp_cwnd_reduction */
    /* Keep-alive off until SO_KEEPALIVE; tcp_keepalive_time, _intvl, _probes. */
    cfg->tcp_keepalive = false;
    cfg->tcp_keepalive_idle_ns = 7200 * SK_S;
    cfg->tcp_keepalive_intvl_ns = 75 * SK_S;
    cfg->tcp_keepalive_probes = 9;
}

int synack_config_profile(synack_config *cfg, const char *name)
{
    if (!cfg || !name)
        return SYNACK_ERR_INVAL;
    if (strcmp(name, "default") == 0)
        profile_default(cfg);
    else if (strcmp(name, "linux") == 0)
        profile_linux(cfg);
    else
        return SYNACK_ERR_NOTFOUND;
    return 0;
}
