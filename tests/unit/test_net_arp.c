/* ARP through the stack (RFC 826, RFC 1122 2.3.2): answering, learning,
 * resolving with retries, queueing, expiry, eviction, gateways; and the
 * Ethernet framing around it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "netframe.h"
#include "synack/synack.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define MS 1000000ULL
#define S  1000000000ULL
#define T0 (1000 * S)

typedef struct fx {
    tcap *cap;
    synack_stack *s;
    synack_config cfg;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->cap = tcap_new();
    nf_config(&f->cfg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    synack_stack_del(f->s);
    tcap_free(f->cap);
    free(f);
    return 0;
}

/* Creates the stack from f->cfg (tests adjust it first). */
static void start(fx *f)
{
    synack_callbacks cb = {.output = tcap_output};
    assert_int_equal(synack_stack_new(&f->cfg, &cb, NULL, f->cap, T0, &f->s), 0);
}

static const synack_stats *st(fx *f)
{
    return synack_stack_stats(f->s);
}

/* An event loop up to @p t: handles every timeout the stack asks for (the
 * wheel may ask early, at cascade points), then @p t itself. */
static void run_until(fx *f, uint64_t t)
{
    for (int guard = 0; guard < 10000; guard++) {
        uint64_t next = synack_stack_next_timeout(f->s);
        if (next > t)
            break;
        synack_stack_handle_timeout(f->s, next);
    }
    synack_stack_handle_timeout(f->s, t);
}

static int input(fx *f, const uint8_t *frame, size_t len, uint64_t now)
{
    return synack_stack_input(f->s, frame, len, now);
}

static int arp_in(fx *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha, synack_ipv4 spa,
                  const uint8_t *tha, synack_ipv4 tpa, uint64_t now)
{
    uint8_t body[SK_ARP_LEN], frame[64];
    nf_arp(body, op, sha, spa, tha, tpa);
    size_t n = nf_eth(frame, eth_dst, sha, SK_ETHERTYPE_ARP, body, sizeof(body));
    return input(f, frame, n, now);
}

static const uint8_t zero_mac[6] = {0};

static int ping(fx *f, synack_ipv4 dst, uint16_t seq, uint64_t now)
{
    static const uint8_t data[] = "abc";
    return synack_icmp_echo_send(f->s, dst, 0x77, seq, data, 3, now);
}

/* Asserts frame i is a broadcast ARP request from us for @p tpa. */
static void assert_arp_request(fx *f, size_t i, synack_ipv4 tpa)
{
    assert_true(i < f->cap->count);
    const uint8_t *p = f->cap->f[i].data;
    assert_int_equal(f->cap->f[i].len, 60);
    sk_eth_hdr eth;
    assert_int_equal(sk_eth_parse(p, 60, &eth), 0);
    assert_memory_equal(eth.dst, nf_bcast_mac, 6);
    assert_memory_equal(eth.src, nf_us_mac, 6);
    assert_int_equal(eth.type, SK_ETHERTYPE_ARP);
    sk_arp a;
    assert_int_equal(sk_arp_parse(p + 14, 46, &a), 0);
    assert_int_equal(a.op, SK_ARP_OP_REQUEST);
    assert_memory_equal(a.sha, nf_us_mac, 6);
    assert_int_equal(a.spa, NF_US_IP);
    assert_memory_equal(a.tha, zero_mac, 6);
    assert_int_equal(a.tpa, tpa);
}

/* Asserts frame i is our echo request with @p seq to IP @p dst at MAC @p mac. */
static void assert_echo_to(fx *f, size_t i, const uint8_t *mac, synack_ipv4 dst, uint16_t seq)
{
    assert_true(i < f->cap->count);
    const uint8_t *p = f->cap->f[i].data;
    size_t len = f->cap->f[i].len;
    assert_int_equal(len, 60); /* 14 + 20 + 8 + 3, padded */
    sk_eth_hdr eth;
    assert_int_equal(sk_eth_parse(p, len, &eth), 0);
    assert_memory_equal(eth.dst, mac, 6);
    assert_memory_equal(eth.src, nf_us_mac, 6);
    assert_int_equal(eth.type, SK_ETHERTYPE_IPV4);
    sk_ipv4_hdr ip;
    assert_int_equal(sk_ipv4_parse(p + 14, len - 14, &ip), 0);
    assert_int_equal(ip.total_len, 31);
    assert_int_equal(ip.dst, dst);
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(p + 34, 11, &h), 0);
    assert_int_equal(h.type, SK_ICMP_ECHO_REQUEST);
    assert_int_equal(h.rest, (0x77u << 16) | seq);
    /* The padding is zeros. */
    for (size_t k = 14 + 31; k < 60; k++)
        assert_int_equal(p[k], 0);
}

/* Teaches the stack @p ip -> @p mac by an ARP request for us. */
static void learn(fx *f, const uint8_t *mac, synack_ipv4 ip, uint64_t now)
{
    assert_int_equal(arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, mac, ip, zero_mac, NF_US_IP, now),
                     0);
}

/* ---- answering ---- */

static void test_request_for_us_gets_exact_reply(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(
        arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, nf_peer_mac, NF_PEER_IP, zero_mac, NF_US_IP, T0),
        0);
    static const uint8_t want[60] = {
        0x02, 0,    0,    0,    0, 0x02, 0x02, 0,    0, 0,
        0,    0x01, 0x08, 0x06,                            /* Ethernet, unicast */
        0x00, 0x01, 0x08, 0x00, 6, 4,    0x00, 0x02,       /* Ethernet/IPv4, reply */
        0x02, 0,    0,    0,    0, 0x01, 10,   0,    0, 1, /* sender: us */
        0x02, 0,    0,    0,    0, 0x02, 10,   0,    0, 2, /* target: the asker */
    };
    assert_int_equal(f->cap->count, 1);
    assert_int_equal(f->cap->f[0].len, 60);
    assert_memory_equal(f->cap->f[0].data, want, 60);
    assert_int_equal(st(f)->arp_in, 1);
    assert_int_equal(st(f)->arp_replies_out, 1);
    assert_int_equal(st(f)->frames_out, 1);

    /* RFC 826: we were the target, so the asker was added: no request now. */
    tcap_clear(f->cap);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(f->cap->count, 1);
    assert_echo_to(f, 0, nf_peer_mac, NF_PEER_IP, 1);
    assert_int_equal(st(f)->arp_requests_out, 0);
}

static void test_unicast_request_for_us_is_answered(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(
        arp_in(f, nf_us_mac, SK_ARP_OP_REQUEST, nf_peer_mac, NF_PEER_IP, nf_us_mac, NF_US_IP, T0),
        0);
    assert_int_equal(st(f)->arp_replies_out, 1);
}

static void test_request_for_another_address_is_ignored(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, nf_peer_mac, NF_PEER_IP, zero_mac,
                            0x0a000009, T0),
                     SYNACK_ERR_NOTFOUND);
    assert_int_equal(f->cap->count, 0);
    assert_int_equal(st(f)->arp_in, 1);
    assert_int_equal(st(f)->arp_drop_not_ours, 1);
    /* Not learned: we were not the target and did not know the sender. */
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_arp_request(f, 0, NF_PEER_IP);
}

static void test_malformed_arp_is_counted(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t body[SK_ARP_LEN], frame[64];
    nf_arp(body, SK_ARP_OP_REQUEST, nf_peer_mac, NF_PEER_IP, zero_mac, NF_US_IP);
    /* Truncated: an Ethernet header and 20 bytes of ARP, no padding. */
    nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, sizeof(body));
    assert_int_equal(input(f, frame, 14 + 20, T0), SYNACK_ERR_MALFORMED);
    /* Hardware type 6 (IEEE 802). */
    body[1] = 6;
    size_t n = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, sizeof(body));
    assert_int_equal(input(f, frame, n, T0), SYNACK_ERR_MALFORMED);
    /* A multicast sender hardware address. */
    nf_arp(body, SK_ARP_OP_REQUEST, nf_bcast_mac, NF_PEER_IP, zero_mac, NF_US_IP);
    n = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, sizeof(body));
    assert_int_equal(input(f, frame, n, T0), SYNACK_ERR_MALFORMED);
    assert_int_equal(st(f)->arp_in, 3);
    assert_int_equal(st(f)->arp_drop_malformed, 3);
    assert_int_equal(f->cap->count, 0);
}

/* ---- Ethernet ---- */

static void test_ethernet_filtering(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t body[SK_ARP_LEN], frame[64];
    nf_arp(body, SK_ARP_OP_REQUEST, nf_peer_mac, NF_PEER_IP, zero_mac, NF_US_IP);
    static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x33};
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    size_t n = nf_eth(frame, other, nf_peer_mac, SK_ETHERTYPE_ARP, body, sizeof(body));
    assert_int_equal(input(f, frame, n, T0), SYNACK_ERR_NOTFOUND);
    n = nf_eth(frame, mcast, nf_peer_mac, SK_ETHERTYPE_ARP, body, sizeof(body));
    assert_int_equal(input(f, frame, n, T0), SYNACK_ERR_NOTFOUND);
    assert_int_equal(st(f)->eth_drop_not_ours, 2);
    n = nf_eth(frame, nf_us_mac, nf_peer_mac, 0x86dd, body, sizeof(body));
    assert_int_equal(input(f, frame, n, T0), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(st(f)->eth_drop_ethertype, 1);
    for (size_t len = 0; len < SK_ETH_HLEN; len++)
        assert_int_equal(input(f, frame, len, T0), SYNACK_ERR_TRUNCATED);
    assert_int_equal(st(f)->eth_drop_short, SK_ETH_HLEN);
    assert_int_equal(st(f)->frames_in, 3 + SK_ETH_HLEN);
    assert_int_equal(st(f)->arp_in, 0);
    assert_int_equal(f->cap->count, 0);
}

/* ---- resolving ---- */

static void test_unresolved_send_requests_once_and_queues(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0 + 1 * MS), 0);
    assert_int_equal(ping(f, NF_PEER_IP, 3, T0 + 2 * MS), 0);
    static const uint8_t want[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0,    0,
        0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, /* request */
        0x02, 0,    0,    0,    0,    0x01, 10,   0, 0, 1,          /* sender: us */
        0,    0,    0,    0,    0,    0,    10,   0, 0, 2,          /* target: 10.0.0.2 */
    };
    assert_int_equal(f->cap->count, 1);
    assert_memory_equal(f->cap->f[0].data, want, 60);
    assert_int_equal(st(f)->arp_requests_out, 1);
    /* The fourth exceeds arp_queue_len (3). */
    assert_int_equal(ping(f, NF_PEER_IP, 4, T0 + 3 * MS), SYNACK_ERR_NOBUFS);
    assert_int_equal(st(f)->arp_queue_drops, 1);
    assert_int_equal(st(f)->ip_out, 0);
    assert_int_equal(f->cap->count, 1);
}

static void test_retry_and_give_up(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0), 0);
    assert_int_equal(f->cap->count, 1);
    /* RFC 1122 2.3.2.1: the next request exactly arp_retry_ns later. */
    run_until(f, T0 + 1 * S - 1);
    assert_int_equal(f->cap->count, 1);
    run_until(f, T0 + 1 * S);
    assert_int_equal(f->cap->count, 2);
    assert_arp_request(f, 1, NF_PEER_IP);
    assert_int_equal(f->cap->f[1].now, T0 + 1 * S);
    run_until(f, T0 + 2 * S - 1);
    assert_int_equal(f->cap->count, 2);
    run_until(f, T0 + 2 * S);
    assert_int_equal(f->cap->count, 3);
    assert_arp_request(f, 2, NF_PEER_IP);
    assert_int_equal(f->cap->f[2].now, T0 + 2 * S);
    assert_int_equal(st(f)->arp_requests_out, 3);
    /* After arp_max_requests (3) unanswered: give up one interval after the
     * last request, and send nothing more. */
    run_until(f, T0 + 3 * S - 1);
    assert_int_equal(st(f)->arp_resolve_failed, 0);
    run_until(f, T0 + 3 * S);
    assert_int_equal(f->cap->count, 3);
    assert_int_equal(st(f)->arp_resolve_failed, 1);
    assert_int_equal(st(f)->arp_drop_unresolved, 2);
    assert_int_equal(synack_stack_next_timeout(f->s), UINT64_MAX);
    /* A late reply changes nothing: the entry and its queue are gone. */
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, nf_peer_mac, NF_PEER_IP, nf_us_mac,
                            NF_US_IP, T0 + 4 * S),
                     0);
    assert_int_equal(f->cap->count, 3);
    assert_int_equal(st(f)->ip_out, 0);
}

static void test_retry_count_follows_config(void **state)
{
    fx *f = *state;
    f->cfg.arp_max_requests = 5;
    f->cfg.arp_retry_ns = 250 * MS;
    start(f);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    run_until(f, T0 + 10 * S);
    assert_int_equal(st(f)->arp_requests_out, 5);
    assert_int_equal(f->cap->count, 5);
    assert_int_equal(f->cap->f[4].now, T0 + 4 * 250 * MS);
    assert_int_equal(st(f)->arp_resolve_failed, 1);
}

static void test_reply_flushes_queue_in_order(void **state)
{
    fx *f = *state;
    start(f);
    for (uint16_t seq = 1; seq <= 3; seq++)
        assert_int_equal(ping(f, NF_PEER_IP, seq, T0), 0);
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, nf_peer_mac, NF_PEER_IP, nf_us_mac,
                            NF_US_IP, T0 + 5 * MS),
                     0);
    assert_int_equal(f->cap->count, 4);
    for (uint16_t seq = 1; seq <= 3; seq++) {
        assert_echo_to(f, seq, nf_peer_mac, NF_PEER_IP, seq);
        assert_int_equal(f->cap->f[seq].now, T0 + 5 * MS);
    }
    assert_int_equal(st(f)->ip_out, 3);
    /* Resolved: the next one goes straight out, no request. */
    assert_int_equal(ping(f, NF_PEER_IP, 4, T0 + 6 * MS), 0);
    assert_int_equal(f->cap->count, 5);
    assert_echo_to(f, 4, nf_peer_mac, NF_PEER_IP, 4);
    assert_int_equal(st(f)->arp_requests_out, 1);
    /* No retry is pending any more: nothing leaves until the entry expires. */
    run_until(f, T0 + 5 * MS + 60 * S - 1);
    assert_int_equal(f->cap->count, 5);
    assert_int_equal(st(f)->arp_resolve_failed, 0);
}

static void test_expiry_triggers_resolution_again(void **state)
{
    fx *f = *state;
    f->cfg.arp_ttl_ns = 30 * S;
    start(f);
    learn(f, nf_peer_mac, NF_PEER_IP, T0);
    tcap_clear(f->cap);
    run_until(f, T0 + 30 * S - 1);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0 + 30 * S - 1), 0);
    assert_int_equal(f->cap->count, 1);
    assert_echo_to(f, 0, nf_peer_mac, NF_PEER_IP, 1);
    run_until(f, T0 + 30 * S);
    assert_int_equal(synack_stack_next_timeout(f->s), UINT64_MAX);
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0 + 31 * S), 0);
    assert_int_equal(f->cap->count, 2);
    assert_arp_request(f, 1, NF_PEER_IP);
}

static void test_refresh_extends_lifetime_and_updates_mac(void **state)
{
    fx *f = *state;
    f->cfg.arp_ttl_ns = 30 * S;
    start(f);
    learn(f, nf_peer_mac, NF_PEER_IP, T0);
    /* A reply from the same host 20 s later: lifetime restarts, MAC changes. */
    static const uint8_t new_mac[6] = {0x02, 0, 0, 0, 0, 0x22};
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, new_mac, NF_PEER_IP, nf_us_mac, NF_US_IP,
                            T0 + 20 * S),
                     0);
    run_until(f, T0 + 50 * S - 1);
    tcap_clear(f->cap);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0 + 50 * S - 1), 0);
    assert_echo_to(f, 0, new_mac, NF_PEER_IP, 1);
    run_until(f, T0 + 50 * S);
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0 + 50 * S), 0);
    assert_arp_request(f, 1, NF_PEER_IP);
}

static void test_gratuitous_arp_updates_known_hosts_only(void **state)
{
    fx *f = *state;
    start(f);
    learn(f, nf_peer_mac, NF_PEER_IP, T0);
    static const uint8_t moved[6] = {0x02, 0, 0, 0, 0, 0x99};
    /* Gratuitous request: spa == tpa, broadcast; we are not the target. */
    assert_int_equal(arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, moved, NF_PEER_IP, zero_mac,
                            NF_PEER_IP, T0 + 1 * S),
                     0);
    tcap_clear(f->cap);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0 + 1 * S), 0);
    assert_int_equal(f->cap->count, 1);
    assert_echo_to(f, 0, moved, NF_PEER_IP, 1);
    /* For a host we do not know, it adds nothing (RFC 826: merge only). */
    assert_int_equal(arp_in(f, nf_bcast_mac, SK_ARP_OP_REPLY, moved, 0x0a000007, nf_bcast_mac,
                            0x0a000007, T0 + 1 * S),
                     SYNACK_ERR_NOTFOUND);
    assert_int_equal(st(f)->arp_drop_not_ours, 1);
    assert_int_equal(ping(f, 0x0a000007, 1, T0 + 1 * S), 0);
    assert_arp_request(f, 1, 0x0a000007);
    assert_int_equal(st(f)->arp_replies_out, 1); /* only to learn()'s request */
}

static void test_bogus_senders_are_not_learned(void **state)
{
    fx *f = *state;
    start(f);
    /* A probe (RFC 5227, sender 0.0.0.0) for our address is answered... */
    assert_int_equal(
        arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, nf_peer_mac, 0, zero_mac, NF_US_IP, T0), 0);
    assert_int_equal(st(f)->arp_replies_out, 1);
    /* ...as is a request from someone claiming our own address; neither
     * sender, nor a subnet broadcast sender, is learned. */
    assert_int_equal(
        arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, nf_peer_mac, NF_US_IP, zero_mac, NF_US_IP, T0),
        0);
    assert_int_equal(
        arp_in(f, nf_bcast_mac, SK_ARP_OP_REQUEST, nf_peer_mac, 0x0a0000ff, zero_mac, NF_US_IP, T0),
        0);
    tcap_clear(f->cap);
    /* 10.0.0.255 is our broadcast: it goes to ff:ff:.. without ARP. */
    assert_int_equal(ping(f, 0x0a0000ff, 1, T0), 0);
    assert_echo_to(f, 0, nf_bcast_mac, 0x0a0000ff, 1);
    assert_int_equal(st(f)->arp_requests_out, 0);
}

static void test_gateway_is_resolved_not_destination(void **state)
{
    fx *f = *state;
    start(f);
    const synack_ipv4 far = 0xc0a80101; /* 192.168.1.1 */
    assert_int_equal(ping(f, far, 1, T0), 0);
    assert_int_equal(f->cap->count, 1);
    assert_arp_request(f, 0, NF_GW_IP);
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, nf_gw_mac, NF_GW_IP, nf_us_mac, NF_US_IP,
                            T0 + 1 * MS),
                     0);
    assert_int_equal(f->cap->count, 2);
    assert_echo_to(f, 1, nf_gw_mac, far, 1);
    /* Another off-link destination shares the gateway's entry. */
    assert_int_equal(ping(f, 0x08080808, 2, T0 + 2 * MS), 0);
    assert_int_equal(f->cap->count, 3);
    assert_echo_to(f, 2, nf_gw_mac, 0x08080808, 2);
    assert_int_equal(st(f)->arp_requests_out, 1);
}

static void test_limited_broadcast_needs_no_arp(void **state)
{
    fx *f = *state;
    start(f);
    assert_int_equal(ping(f, 0xffffffff, 1, T0), 0);
    assert_int_equal(f->cap->count, 1);
    assert_echo_to(f, 0, nf_bcast_mac, 0xffffffff, 1);
    assert_int_equal(st(f)->arp_requests_out, 0);
}

static void test_eviction_when_full(void **state)
{
    fx *f = *state;
    f->cfg.arp_cache_size = 2;
    start(f);
    static const uint8_t mac3[6] = {0x02, 0, 0, 0, 0, 0x03};
    learn(f, nf_peer_mac, NF_PEER_IP, T0);
    learn(f, mac3, 0x0a000003, T0 + 1 * MS);
    /* Use .2 so that .3 is the least recently used. */
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0 + 2 * MS), 0);
    tcap_clear(f->cap);
    assert_int_equal(ping(f, 0x0a000004, 1, T0 + 3 * MS), 0);
    assert_int_equal(st(f)->arp_cache_evictions, 1);
    assert_arp_request(f, 0, 0x0a000004);
    /* .2 survived; .3 must be asked for again. */
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0 + 4 * MS), 0);
    assert_echo_to(f, 1, nf_peer_mac, NF_PEER_IP, 2);
    assert_int_equal(ping(f, 0x0a000003, 1, T0 + 5 * MS), 0);
    assert_int_equal(st(f)->arp_cache_evictions, 2); /* .2 was the only resolved one left */
    assert_arp_request(f, 2, 0x0a000003);
}

static void test_pending_entries_are_never_evicted(void **state)
{
    fx *f = *state;
    f->cfg.arp_cache_size = 2;
    start(f);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(ping(f, 0x0a000003, 1, T0), 0);
    assert_int_equal(f->cap->count, 2);
    /* Both slots hold datagrams: the third destination is refused. */
    assert_int_equal(ping(f, 0x0a000004, 1, T0), SYNACK_ERR_NOBUFS);
    assert_int_equal(st(f)->arp_cache_full, 1);
    assert_int_equal(st(f)->arp_cache_evictions, 0);
    assert_int_equal(f->cap->count, 2);
    /* Learning a new host does not push them out either. */
    static const uint8_t mac5[6] = {0x02, 0, 0, 0, 0, 0x05};
    learn(f, mac5, 0x0a000005, T0);
    assert_int_equal(st(f)->arp_cache_evictions, 0);
    /* Their replies still flush their queues. */
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, nf_peer_mac, NF_PEER_IP, nf_us_mac,
                            NF_US_IP, T0 + 1 * MS),
                     0);
    assert_echo_to(f, 3, nf_peer_mac, NF_PEER_IP, 1);
}

static void test_pool_exhaustion(void **state)
{
    fx *f = *state;
    f->cfg.pkt_pool_size = 2;
    start(f);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(ping(f, NF_PEER_IP, 2, T0), 0);
    assert_int_equal(ping(f, 0x0a000003, 1, T0), SYNACK_ERR_NOBUFS);
    assert_int_equal(st(f)->pool_exhausted, 1);
    /* The request for .3 still went out: the next datagram may fit. */
    assert_int_equal(st(f)->arp_requests_out, 2);
    /* Flushing returns the buffers to the pool. */
    assert_int_equal(
        arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, nf_peer_mac, NF_PEER_IP, nf_us_mac, NF_US_IP, T0), 0);
    assert_int_equal(ping(f, 0x0a000003, 2, T0), 0);
    assert_int_equal(ping(f, 0x0a000003, 3, T0), 0);
    assert_int_equal(st(f)->pool_exhausted, 1);
}

static void test_output_error_is_counted_not_fatal(void **state)
{
    fx *f = *state;
    start(f);
    f->cap->fail = SYNACK_ERR_IO;
    learn(f, nf_peer_mac, NF_PEER_IP, T0);
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(st(f)->output_errors, 2);
    assert_int_equal(st(f)->frames_out, 2);
}

/* RFC 1122 2.3.2.1 (4) "higher-layer advice", 4.2.3.5: a wrong mapping
 * (here a reply with a MAC nobody has; on a link, a corrupted reply) would
 * hold for arp_ttl_ns. TCP's SYN going unanswered advises IP, the entry
 * goes, and the retransmitted SYN asks ARP again. */
static void test_tcp_advice_forgets_a_wrong_mapping(void **state)
{
    fx *f = *state;
    start(f);
    static const uint8_t wrong_mac[6] = {0x02, 0x66, 0x66, 0x66, 0x66, 0x66};
    assert_int_equal(ping(f, NF_PEER_IP, 1, T0), 0);
    assert_int_equal(arp_in(f, nf_us_mac, SK_ARP_OP_REPLY, wrong_mac, NF_PEER_IP, nf_us_mac,
                            NF_US_IP, T0 + 1 * MS),
                     0);
    assert_int_equal(f->cap->count, 2); /* the request, the ping to the wrong MAC */
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(f->s, NF_PEER_IP, 80, 0, T0 + 2 * MS, &c), 0);
    assert_int_equal(f->cap->count, 3); /* the SYN, to the wrong MAC: no request */
    assert_int_equal(st(f)->arp_requests_out, 1);
    run_until(f, T0 + 2 * MS + 1 * S); /* the first retransmission: still no advice */
    assert_int_equal(f->cap->count, 4);
    assert_int_equal(st(f)->arp_negative_advice, 0);
    run_until(f, T0 + 2 * MS + 3 * S); /* the second: advice, and ARP asks again */
    assert_int_equal(st(f)->arp_negative_advice, 1);
    assert_int_equal(st(f)->arp_requests_out, 2);
    assert_arp_request(f, 4, NF_PEER_IP);
    synack_tcp_abort(c, T0 + 2 * S);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_request_for_us_gets_exact_reply),
        T(test_unicast_request_for_us_is_answered),
        T(test_request_for_another_address_is_ignored),
        T(test_malformed_arp_is_counted),
        T(test_ethernet_filtering),
        T(test_unresolved_send_requests_once_and_queues),
        T(test_retry_and_give_up),
        T(test_retry_count_follows_config),
        T(test_reply_flushes_queue_in_order),
        T(test_expiry_triggers_resolution_again),
        T(test_refresh_extends_lifetime_and_updates_mac),
        T(test_gratuitous_arp_updates_known_hosts_only),
        T(test_bogus_senders_are_not_learned),
        T(test_gateway_is_resolved_not_destination),
        T(test_limited_broadcast_needs_no_arp),
        T(test_eviction_when_full),
        T(test_pending_entries_are_never_evicted),
        T(test_pool_exhaustion),
        T(test_output_error_is_counted_not_fatal),
        T(test_tcp_advice_forgets_a_wrong_mapping),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
