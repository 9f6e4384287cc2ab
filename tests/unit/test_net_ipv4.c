/* IPv4 input validation and demux (RFC 791, RFC 1122 3.2.1, 3.3.6) and
 * output (routing, header fields, MTU), on Ethernet and on an IP-only link. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "netframe.h"
#include "core/ctx.h"
#include "core/timer.h"
#include "net/net.h"
#include "synack/synack.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
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

static const uint8_t zero_mac[6] = {0};

/* Starts the stack; on Ethernet it already knows the peer (ARP), so that
 * replies leave at once. */
static void start(fx *f)
{
    synack_callbacks cb = {.output = tcap_output};
    assert_int_equal(synack_stack_new(&f->cfg, &cb, NULL, f->cap, T0, &f->s), 0);
    if (f->cfg.link == SYNACK_LINK_ETHERNET) {
        uint8_t body[28], frame[64];
        nf_arp(body, 1, nf_peer_mac, NF_PEER_IP, zero_mac, NF_US_IP);
        size_t n = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, 28);
        assert_int_equal(synack_stack_input(f->s, frame, n, T0), 0);
        tcap_clear(f->cap);
    }
}

static const synack_stats *st(fx *f)
{
    return synack_stack_stats(f->s);
}

/* Hands a datagram to the stack the way the link carries it. */
static int dgram_in(fx *f, const uint8_t *d, size_t len)
{
    if (f->cfg.link == SYNACK_LINK_IP)
        return synack_stack_input(f->s, d, len, T0);
    uint8_t frame[2048];
    size_t n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, len);
    return synack_stack_input(f->s, frame, n, T0);
}

static const uint8_t echo_data[10] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};

/* An echo request from the peer to @p dst: 20 + 8 + 10 = 38 bytes. */
static size_t echo_dgram(uint8_t *d, synack_ipv4 src, synack_ipv4 dst)
{
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 7, 9, echo_data, sizeof(echo_data));
    return nf_ipv4(d, src, dst, SK_IPPROTO_ICMP, icmp, n);
}

/* The datagram inside output frame i (after the link header, if any). */
static const uint8_t *out_dgram(fx *f, size_t i, size_t *len)
{
    assert_true(i < f->cap->count);
    size_t hl = f->cfg.link == SYNACK_LINK_IP ? 0 : SK_ETH_HLEN;
    *len = f->cap->f[i].len - hl;
    return f->cap->f[i].data + hl;
}

static void assert_echo_reply(fx *f, size_t i)
{
    size_t len;
    const uint8_t *d = out_dgram(f, i, &len);
    sk_ipv4_hdr ip;
    assert_int_equal(sk_ipv4_parse(d, len, &ip), 0);
    assert_int_equal(ip.src, NF_US_IP);
    assert_int_equal(ip.dst, NF_PEER_IP);
    assert_int_equal(ip.proto, SK_IPPROTO_ICMP);
    assert_int_equal(ip.hlen, 20);
    assert_int_equal(ip.total_len, 38);
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(d + 20, 18, &h), 0);
    assert_int_equal(h.type, SK_ICMP_ECHO_REPLY);
    assert_int_equal(h.rest, (7u << 16) | 9);
    assert_memory_equal(d + 28, echo_data, sizeof(echo_data));
}

/* ---- malformed input ---- */

static void truncated_at_every_length(fx *f)
{
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    for (size_t len = 0; len < n; len++) {
        if (f->cfg.link == SYNACK_LINK_IP) {
            assert_int_equal(dgram_in(f, d, len), SYNACK_ERR_TRUNCATED);
        } else {
            /* Cut the frame itself (no padding), as a broken driver would. */
            uint8_t frame[128];
            nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, n);
            assert_int_equal(synack_stack_input(f->s, frame, SK_ETH_HLEN + len, T0),
                             SYNACK_ERR_TRUNCATED);
        }
    }
    assert_int_equal(st(f)->ip_in, n);
    assert_int_equal(st(f)->ip_drop_short, n);
    assert_int_equal(f->cap->count, 0);
    assert_int_equal(dgram_in(f, d, n), 0);
    assert_int_equal(f->cap->count, 1);
    assert_echo_reply(f, 0);
}

static void test_truncated_at_every_length_ip_link(void **state)
{
    fx *f = *state;
    f->cfg.link = SYNACK_LINK_IP;
    start(f);
    truncated_at_every_length(f);
}

static void test_truncated_at_every_length_ethernet(void **state)
{
    fx *f = *state;
    start(f);
    truncated_at_every_length(f);
}

static void test_total_length_beyond_data_is_short(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    /* Within the 60-byte padded frame, but longer than the datagram + pad. */
    sk_put16(d + 2, 47);
    nf_ipv4_fix_checksum(d);
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_TRUNCATED);
    assert_int_equal(st(f)->ip_drop_short, 1);
}

static void test_bad_version(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    static const uint8_t versions[] = {0, 5, 6, 15};
    for (size_t i = 0; i < sizeof(versions); i++) {
        d[0] = (uint8_t)(versions[i] << 4 | 5);
        nf_ipv4_fix_checksum(d);
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    }
    assert_int_equal(st(f)->ip_drop_version, sizeof(versions));
    assert_int_equal(f->cap->count, 0);
}

static void test_bad_header_or_total_length(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64];
    size_t n;
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
        d[0] = (uint8_t)(0x40 | ihl);
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_MALFORMED);
    }
    n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    sk_put16(d + 2, 19); /* total length shorter than the header */
    nf_ipv4_fix_checksum(d);
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_MALFORMED);
    assert_int_equal(st(f)->ip_drop_hdrlen, 6);
    assert_int_equal(f->cap->count, 0);
}

static void test_bad_checksum(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    d[8] ^= 1; /* TTL changed, checksum not */
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_CHECKSUM);
    assert_int_equal(st(f)->ip_drop_checksum, 1);
    assert_int_equal(f->cap->count, 0);
}

static void test_fragments_are_dropped(void **state)
{
    fx *f = *state;
    start(f);
    static const uint16_t frags[] = {SK_IPV4_FLAG_MF, 1, SK_IPV4_FLAG_MF | 100,
                                     SK_IPV4_FLAG_DF | 1};
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
        sk_put16(d + 6, frags[i]);
        nf_ipv4_fix_checksum(d);
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    }
    assert_int_equal(st(f)->ip_drop_fragment, 4);
    assert_int_equal(f->cap->count, 0);
    /* DF alone is not a fragment. */
    sk_put16(d + 6, SK_IPV4_FLAG_DF);
    nf_ipv4_fix_checksum(d);
    assert_int_equal(dgram_in(f, d, n), 0);
    assert_int_equal(f->cap->count, 1);
}

static void test_bad_sources(void **state)
{
    fx *f = *state;
    start(f);
    static const synack_ipv4 bad[] = {
        0xffffffff, /* limited broadcast */
        0x0a0000ff, /* our subnet's broadcast */
        0x0a000000, /* our subnet's all-zeros broadcast */
        0xe0000001, /* multicast */
        0xf0000001, /* class E */
        0x00000000, /* this host */
        0x00000005, /* this network */
        0x7f000001, /* loopback, on a wire */
        NF_US_IP,   /* ourselves */
    };
    uint8_t d[64];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = echo_dgram(d, bad[i], NF_US_IP);
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_MALFORMED);
    }
    assert_int_equal(st(f)->ip_drop_bad_src, sizeof(bad) / sizeof(bad[0]));
    assert_int_equal(f->cap->count, 0);
}

static void test_not_ours(void **state)
{
    fx *f = *state;
    start(f);
    static const synack_ipv4 others[] = {0x0a000009, 0x0a000101, 0xc0a80001, 0xe0000001};
    uint8_t d[64];
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        size_t n = echo_dgram(d, NF_PEER_IP, others[i]);
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_NOTFOUND);
    }
    assert_int_equal(st(f)->ip_drop_not_ours, 4);
    assert_int_equal(f->cap->count, 0);
}

static void test_broadcasts_are_accepted(void **state)
{
    fx *f = *state;
    start(f);
    static const synack_ipv4 bcasts[] = {0xffffffff, 0x0a0000ff, 0x0a000000};
    uint8_t d[64];
    for (size_t i = 0; i < 3; i++) {
        size_t n = nf_ipv4(d, NF_PEER_IP, bcasts[i], 99, echo_data, 10);
        /* Accepted as ours, then an unknown protocol: no unreachable for a
         * broadcast (RFC 1122 3.2.2). */
        assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    }
    assert_int_equal(st(f)->ip_drop_not_ours, 0);
    assert_int_equal(st(f)->ip_drop_proto, 3);
    assert_int_equal(st(f)->icmp_errors_suppressed, 3);
    assert_int_equal(f->cap->count, 0);
}

static void test_slash_31_has_no_broadcast(void **state)
{
    fx *f = *state;
    f->cfg.prefix_len = 31;
    f->cfg.gateway = 0;
    start(f);
    /* RFC 3021: in 10.0.0.0/31 both addresses are hosts. */
    uint8_t d[64];
    size_t n = echo_dgram(d, 0x0a000000, NF_US_IP);
    assert_int_equal(dgram_in(f, d, n), 0);
    assert_int_equal(st(f)->ip_drop_bad_src, 0);
}

static void test_link_broadcast_with_unicast_ip_is_dropped(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64], frame[128];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    n = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, n);
    /* RFC 1122 3.3.6: SHOULD discard. */
    assert_int_equal(synack_stack_input(f->s, frame, n, T0), SYNACK_ERR_NOTFOUND);
    assert_int_equal(st(f)->ip_drop_not_ours, 1);
    assert_int_equal(f->cap->count, 0);
}

static void test_options_are_skipped(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t plain[64], d[64];
    size_t n = echo_dgram(plain, NF_PEER_IP, NF_US_IP);
    /* Insert 8 option bytes: NOP, NOP, a 4-byte unknown option, EOL, pad. */
    static const uint8_t opts[8] = {1, 1, 0x5e, 4, 0xaa, 0xbb, 0, 0};
    memcpy(d, plain, 20);
    memcpy(d + 20, opts, 8);
    memcpy(d + 28, plain + 20, n - 20);
    d[0] = 0x47;
    sk_put16(d + 2, (uint16_t)(n + 8));
    nf_ipv4_fix_checksum(d);
    assert_int_equal(dgram_in(f, d, n + 8), 0);
    assert_int_equal(st(f)->ip_options_skipped, 1);
    assert_int_equal(f->cap->count, 1);
    assert_echo_reply(f, 0); /* and the reply carries no options */
}

static void test_ethernet_padding_is_not_payload(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t icmp[16], d[64], frame[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, (const uint8_t *)"x", 1);
    n = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_ICMP, icmp, n);
    n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, n);
    memset(frame + 14 + 29, 0xee, 60 - 14 - 29); /* junk padding */
    assert_int_equal(n, 60);
    assert_int_equal(synack_stack_input(f->s, frame, n, T0), 0);
    size_t len;
    const uint8_t *r = out_dgram(f, 0, &len);
    assert_int_equal(sk_get16(r + 2), 29);
    assert_int_equal(r[28], 'x');
}

/* ---- output ---- */

static void test_output_header_fields(void **state)
{
    fx *f = *state;
    f->cfg.ip_ttl = 33;
    start(f);
    assert_int_equal(synack_icmp_echo_send(f->s, NF_PEER_IP, 1, 1, NULL, 0, T0), 0);
    assert_int_equal(synack_icmp_echo_send(f->s, NF_PEER_IP, 1, 2, NULL, 0, T0), 0);
    assert_int_equal(f->cap->count, 2);
    size_t len;
    const uint8_t *d = out_dgram(f, 0, &len);
    sk_ipv4_hdr a, b;
    assert_int_equal(sk_ipv4_parse(d, len, &a), 0); /* checksum valid */
    d = out_dgram(f, 1, &len);
    assert_int_equal(sk_ipv4_parse(d, len, &b), 0);
    assert_int_equal(d[0], 0x45);
    assert_int_equal(a.tos, 0);
    assert_int_equal(a.ttl, 33);
    assert_int_equal(a.frag, SK_IPV4_FLAG_DF);
    assert_int_equal(a.proto, SK_IPPROTO_ICMP);
    assert_int_equal(a.src, NF_US_IP);
    assert_int_equal(a.dst, NF_PEER_IP);
    assert_int_equal(a.total_len, 28);
    assert_int_equal((uint16_t)(a.id + 1), b.id);
    assert_int_equal(st(f)->ip_out, 2);
}

static void test_ip_id_depends_on_seed(void **state)
{
    fx *f = *state;
    uint16_t ids[2];
    for (int i = 0; i < 2; i++) {
        f->cfg.seed = 1000 + (uint64_t)i;
        start(f);
        assert_int_equal(synack_icmp_echo_send(f->s, NF_PEER_IP, 1, 1, NULL, 0, T0), 0);
        size_t len;
        ids[i] = sk_get16(out_dgram(f, 0, &len) + 4);
        synack_stack_del(f->s);
        f->s = NULL;
        tcap_clear(f->cap);
    }
    assert_int_not_equal(ids[0], ids[1]);
}

static void test_payload_limited_by_mtu(void **state)
{
    fx *f = *state;
    f->cfg.mtu = 576;
    start(f);
    static uint8_t big[600];
    assert_int_equal(synack_icmp_echo_send(f->s, NF_PEER_IP, 1, 1, big, 576 - 28, T0), 0);
    assert_int_equal(f->cap->f[0].len, 14 + 576);
    assert_int_equal(synack_icmp_echo_send(f->s, NF_PEER_IP, 1, 2, big, 576 - 27, T0),
                     SYNACK_ERR_INVAL);
    assert_int_equal(f->cap->count, 1);
}

static void test_no_route(void **state)
{
    fx *f = *state;
    f->cfg.gateway = 0;
    start(f);
    static const synack_ipv4 unroutable[] = {0xc0a80101, NF_US_IP, 0x7f000001, 0xe0000001, 0};
    for (size_t i = 0; i < sizeof(unroutable) / sizeof(unroutable[0]); i++)
        assert_int_equal(synack_icmp_echo_send(f->s, unroutable[i], 1, 1, NULL, 0, T0),
                         SYNACK_ERR_NOROUTE);
    assert_int_equal(st(f)->ip_noroute, 5);
    assert_int_equal(f->cap->count, 0);
}

static void test_ip_link_echo(void **state)
{
    fx *f = *state;
    f->cfg.link = SYNACK_LINK_IP;
    start(f);
    uint8_t d[64];
    size_t n = echo_dgram(d, NF_PEER_IP, NF_US_IP);
    assert_int_equal(synack_stack_input(f->s, d, n, T0), 0);
    assert_int_equal(f->cap->count, 1);
    assert_int_equal(f->cap->f[0].len, 38); /* bare datagram, no padding */
    assert_echo_reply(f, 0);
    /* Off-link through the gateway: still no ARP, no link header. */
    assert_int_equal(synack_icmp_echo_send(f->s, 0x08080808, 1, 1, NULL, 0, T0), 0);
    assert_int_equal(f->cap->count, 2);
    assert_int_equal(f->cap->f[1].len, 28);
    assert_int_equal(f->cap->f[1].data[0], 0x45);
    assert_int_equal(st(f)->arp_requests_out, 0);
}

/* ---- transport demux, through the internal API ---- */

typedef struct tcp_seen {
    int calls;
    sk_ipv4_hdr ip;
    uint8_t seg[64];
    size_t len;
} tcp_seen;

static int fake_tcp_input(void *upper, const sk_ipv4_hdr *ip, const uint8_t *payload, size_t len)
{
    tcp_seen *t = upper;
    t->calls++;
    t->ip = *ip;
    t->len = len;
    memcpy(t->seg, payload, len < sizeof(t->seg) ? len : sizeof(t->seg));
    return 0;
}

static void test_tcp_goes_to_registered_handler(void **state)
{
    fx *f = *state;
    sk_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.mem = *synack_mem_default();
    ctx.link = SYNACK_LINK_IP;
    ctx.cb.output = tcap_output;
    ctx.user_data = f->cap;
    ctx.now = T0;
    sk_prng_seed(&ctx.prng, 1);
    sk_wheel *wheel = calloc(1, sizeof(*wheel));
    sk_wheel_init(wheel, MS, T0);
    f->cfg.link = SYNACK_LINK_IP;
    sk_net *net;
    assert_int_equal(sk_net_new(&ctx, &f->cfg, wheel, &net), 0);
    assert_int_equal(sk_net_addr(net), NF_US_IP);

    uint8_t seg[24] = {0x30, 0x39, 0x00, 0x50}, d[64];
    size_t n = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_TCP, seg, sizeof(seg));
    /* Unregistered: protocol unreachable (RFC 1122 3.2.2.1). */
    assert_int_equal(sk_net_input(net, d, n), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(ctx.stats.ip_drop_proto, 1);
    assert_int_equal(ctx.stats.icmp_unreach_out, 1);

    tcp_seen seen = {0};
    sk_net_set_tcp_input(net, fake_tcp_input, &seen);
    assert_int_equal(sk_net_input(net, d, n), 0);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.len, sizeof(seg));
    assert_memory_equal(seen.seg, seg, sizeof(seg));
    assert_int_equal(seen.ip.src, NF_PEER_IP);
    assert_int_equal(seen.ip.proto, SK_IPPROTO_TCP);

    /* And the send path: payload at SK_NET_HEADROOM, header prepended. */
    uint8_t buf[SK_ETH_HLEN + 1500];
    memcpy(buf + SK_NET_HEADROOM, seg, sizeof(seg));
    tcap_clear(f->cap);
    assert_int_equal(sk_net_send_ipv4(net, NF_PEER_IP, SK_IPPROTO_TCP, buf, sizeof(seg)), 0);
    assert_int_equal(f->cap->count, 1);
    assert_int_equal(f->cap->f[0].len, 20 + sizeof(seg));
    assert_memory_equal(f->cap->f[0].data + 20, seg, sizeof(seg));
    assert_int_equal(sk_net_send_ipv4(net, NF_PEER_IP, SK_IPPROTO_TCP, buf, 1480), 0);
    assert_int_equal(sk_net_send_ipv4(net, NF_PEER_IP, SK_IPPROTO_TCP, buf, 1481),
                     SYNACK_ERR_INVAL);
    sk_net_del(net);
    free(wheel);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_truncated_at_every_length_ip_link),
        T(test_truncated_at_every_length_ethernet),
        T(test_total_length_beyond_data_is_short),
        T(test_bad_version),
        T(test_bad_header_or_total_length),
        T(test_bad_checksum),
        T(test_fragments_are_dropped),
        T(test_bad_sources),
        T(test_not_ours),
        T(test_broadcasts_are_accepted),
        T(test_slash_31_has_no_broadcast),
        T(test_link_broadcast_with_unicast_ip_is_dropped),
        T(test_options_are_skipped),
        T(test_ethernet_padding_is_not_payload),
        T(test_output_header_fields),
        T(test_ip_id_depends_on_seed),
        T(test_payload_limited_by_mtu),
        T(test_no_route),
        T(test_ip_link_echo),
        T(test_tcp_goes_to_registered_handler),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
