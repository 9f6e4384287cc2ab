/* ICMP (RFC 792, RFC 1122 3.2.2): echo, reports to the user, and
 * destination-unreachable generation with its rules and rate limit. */
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
    /* what the callbacks saw */
    int echo_calls, unreach_calls;
    synack_ipv4 from;
    uint16_t id, seq;
    uint8_t code;
    uint8_t data[128];
    size_t len;
    uint64_t now;
    uint64_t replies_in_at_callback;
    int resend_from_callback; /* echo_reply callback pings back once */
    int resend_rv;
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

static void on_echo_reply(void *ud, synack_ipv4 from, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len, uint64_t now)
{
    fx *f = ud;
    f->echo_calls++;
    f->from = from;
    f->id = id;
    f->seq = seq;
    f->len = len;
    memcpy(f->data, payload, len < sizeof(f->data) ? len : sizeof(f->data));
    f->now = now;
    f->replies_in_at_callback = synack_stack_stats(f->s)->icmp_echo_replies_in;
    if (f->resend_from_callback) {
        f->resend_from_callback = 0;
        f->resend_rv =
            synack_icmp_echo_send(f->s, from, id, (uint16_t)(seq + 1), payload, len, now);
    }
}

static void on_unreach(void *ud, synack_ipv4 from, uint8_t code, const uint8_t *quoted, size_t len,
                       uint64_t now)
{
    fx *f = ud;
    f->unreach_calls++;
    f->from = from;
    f->code = code;
    f->len = len;
    memcpy(f->data, quoted, len < sizeof(f->data) ? len : sizeof(f->data));
    f->now = now;
}

static int fx_output(void *ud, const uint8_t *frame, size_t len, uint64_t now)
{
    fx *f = ud;
    return tcap_output(f->cap, frame, len, now);
}

static const uint8_t zero_mac[6] = {0};

static void start(fx *f)
{
    synack_callbacks cb = {
        .output = fx_output, .echo_reply = on_echo_reply, .unreachable = on_unreach};
    assert_int_equal(synack_stack_new(&f->cfg, &cb, NULL, f, T0, &f->s), 0);
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

static int dgram_in_at(fx *f, const uint8_t *d, size_t len, uint64_t now)
{
    uint8_t frame[2048];
    size_t n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, len);
    return synack_stack_input(f->s, frame, n, now);
}

static int dgram_in(fx *f, const uint8_t *d, size_t len)
{
    return dgram_in_at(f, d, len, T0);
}

static int icmp_in(fx *f, synack_ipv4 src, synack_ipv4 dst, const uint8_t *icmp, size_t len)
{
    uint8_t d[2048];
    size_t n = nf_ipv4(d, src, dst, SK_IPPROTO_ICMP, icmp, len);
    return dgram_in(f, d, n);
}

static const uint8_t digits[10] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};

/* ---- echo ---- */

static void test_echo_request_gets_exact_reply(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 7, 9, digits, sizeof(digits));
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), 0);
    assert_int_equal(f->cap->count, 1);
    const uint8_t *r = f->cap->f[0].data;
    static const uint8_t want[60] = {
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
        /* IPv4: 38 bytes, id (checked apart), DF, TTL 64, ICMP, checksum (apart) */
        0x45, 0x00, 0x00, 0x26, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00, 10, 0, 0, 1, 10, 0,
        0, 2,
        /* ICMP echo reply, checksum, id 7, seq 9, the request's data */
        0x00, 0x00, 0xfa, 0xe5, 0x00, 0x07, 0x00, 0x09, '0', '1', '2', '3', '4', '5', '6', '7', '8',
        '9',
        /* padding to 60 */
        0, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(f->cap->f[0].len, 60);
    uint8_t got[60];
    memcpy(got, r, 60);
    memset(got + 18, 0, 2); /* id */
    memset(got + 24, 0, 2); /* header checksum */
    assert_memory_equal(got, want, 60);
    assert_int_equal(sk_csum(r + 14, 20), 0);
    assert_int_equal(sk_csum(r + 34, 18), 0);
    assert_int_equal(st(f)->icmp_in, 1);
    assert_int_equal(st(f)->icmp_echo_requests_in, 1);
    assert_int_equal(st(f)->icmp_echo_replies_out, 1);
    assert_int_equal(st(f)->icmp_out, 1);
    assert_int_equal(f->echo_calls, 0);
}

static void test_echo_odd_length_and_empty(void **state)
{
    fx *f = *state;
    start(f);
    static const size_t lens[] = {0, 1, 5, 1000, 1472};
    static uint8_t data[1472];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 3);
    static uint8_t icmp[1500];
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        tcap_clear(f->cap);
        size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 0xabcd, (uint16_t)i, data, lens[i]);
        assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), 0);
        assert_int_equal(f->cap->count, 1);
        const uint8_t *r = f->cap->f[0].data + 14;
        size_t ilen = sk_get16(r + 2) - 20u;
        assert_int_equal(ilen, 8 + lens[i]);
        sk_icmp_hdr h;
        assert_int_equal(sk_icmp_parse(r + 20, ilen, &h), 0); /* checksum valid */
        assert_int_equal(h.type, SK_ICMP_ECHO_REPLY);
        assert_int_equal(h.rest, (0xabcdu << 16) | i);
        assert_memory_equal(r + 28, data, lens[i]);
    }
}

static void test_echo_to_broadcast_is_ignored(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t icmp[64], d[64], frame[128];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, digits, 10);
    static const synack_ipv4 bcasts[] = {0xffffffff, 0x0a0000ff};
    for (size_t i = 0; i < 2; i++) {
        size_t dn = nf_ipv4(d, NF_PEER_IP, bcasts[i], SK_IPPROTO_ICMP, icmp, n);
        size_t fn = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, dn);
        assert_int_equal(synack_stack_input(f->s, frame, fn, T0), SYNACK_ERR_NOTFOUND);
    }
    assert_int_equal(st(f)->icmp_echo_requests_in, 2);
    assert_int_equal(st(f)->icmp_drop_echo_bcast, 2);
    assert_int_equal(f->cap->count, 0);
}

static void test_echo_replies_can_be_disabled(void **state)
{
    fx *f = *state;
    f->cfg.icmp_echo_reply = false;
    start(f);
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, digits, 10);
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(st(f)->icmp_drop_echo_disabled, 1);
    assert_int_equal(f->cap->count, 0);
}

static void test_unsendable_reply_still_takes_the_request(void **state)
{
    fx *f = *state;
    f->cfg.gateway = 0;
    f->cfg.arp_queue_len = 0;
    start(f);
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, digits, 10);
    /* Off-link source and no gateway: no route back. */
    assert_int_equal(icmp_in(f, 0xc0a80001, NF_US_IP, icmp, n), 0);
    /* An unknown on-link source, and no room to queue while it resolves. */
    assert_int_equal(icmp_in(f, 0x0a000003, NF_US_IP, icmp, n), 0);
    assert_int_equal(st(f)->icmp_echo_requests_in, 2);
    assert_int_equal(st(f)->icmp_send_failed, 2);
    assert_int_equal(st(f)->icmp_echo_replies_out, 0);
    assert_int_equal(st(f)->ip_noroute, 1);
    assert_int_equal(st(f)->arp_queue_drops, 1);
    assert_int_equal(f->cap->count, 1); /* the ARP request for 10.0.0.3 */
}

static void test_malformed_icmp_is_counted(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, digits, 10);
    icmp[9] ^= 0x40;
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), SYNACK_ERR_CHECKSUM);
    assert_int_equal(st(f)->icmp_drop_checksum, 1);
    for (size_t len = 0; len < SK_ICMP_HLEN; len++)
        assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, len), SYNACK_ERR_TRUNCATED);
    assert_int_equal(st(f)->icmp_drop_malformed, SK_ICMP_HLEN);
    /* Timestamp (13) and time exceeded (11): types we do not handle. */
    n = sk_icmp_emit(icmp, sizeof(icmp), 13, 0, 0, digits, 10);
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), SYNACK_ERR_UNSUPPORTED);
    n = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_TIME_EXCEEDED, 0, 0, digits, 10);
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(st(f)->icmp_drop_other, 2);
    assert_int_equal(st(f)->icmp_in, 1 + SK_ICMP_HLEN + 2);
    assert_int_equal(f->cap->count, 0);
}

static void test_echo_reply_reaches_callback(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REPLY, 0x1111, 0x2222, digits, 10);
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), 0);
    assert_int_equal(f->echo_calls, 1);
    assert_int_equal(f->from, NF_PEER_IP);
    assert_int_equal(f->id, 0x1111);
    assert_int_equal(f->seq, 0x2222);
    assert_int_equal(f->len, 10);
    assert_memory_equal(f->data, digits, 10);
    assert_int_equal(f->now, T0);
    assert_int_equal(f->replies_in_at_callback, 1); /* counted before the call */
    assert_int_equal(st(f)->icmp_echo_replies_in, 1);
    assert_int_equal(f->cap->count, 0);
}

static void test_callback_may_send_echo(void **state)
{
    fx *f = *state;
    start(f);
    f->resend_from_callback = 1;
    uint8_t icmp[64];
    size_t n = nf_icmp_echo(icmp, SK_ICMP_ECHO_REPLY, 5, 41, digits, 10);
    assert_int_equal(icmp_in(f, NF_PEER_IP, NF_US_IP, icmp, n), 0);
    assert_int_equal(f->resend_rv, 0);
    assert_int_equal(f->cap->count, 1);
    const uint8_t *r = f->cap->f[0].data + 14;
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(r + 20, 18, &h), 0);
    assert_int_equal(h.type, SK_ICMP_ECHO_REQUEST);
    assert_int_equal(h.rest, (5u << 16) | 42);
    assert_memory_equal(r + 28, digits, 10);
}

/* ---- unreachable received ---- */

static void test_unreachable_reaches_callback(void **state)
{
    fx *f = *state;
    start(f);
    /* A router says our UDP datagram's port was unreachable. */
    uint8_t ours[64], icmp[128];
    size_t qn = nf_ipv4(ours, NF_US_IP, 0xc0a80101, SK_IPPROTO_UDP, digits, 10);
    size_t n =
        sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_PORT, 0, ours, 28);
    assert_int_equal(icmp_in(f, NF_GW_IP, NF_US_IP, icmp, n), 0);
    assert_int_equal(f->unreach_calls, 1);
    assert_int_equal(f->from, NF_GW_IP);
    assert_int_equal(f->code, SK_ICMP_UNREACH_PORT);
    assert_int_equal(f->len, 28);
    assert_memory_equal(f->data, ours, 28);
    assert_int_equal(st(f)->icmp_unreach_in, 1);
    (void)qn;
    /* A quote too short to hold a header and 8 bytes is refused. */
    n = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_HOST, 0, ours, 27);
    assert_int_equal(icmp_in(f, NF_GW_IP, NF_US_IP, icmp, n), SYNACK_ERR_MALFORMED);
    n = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_HOST, 0, ours, 0);
    assert_int_equal(icmp_in(f, NF_GW_IP, NF_US_IP, icmp, n), SYNACK_ERR_MALFORMED);
    assert_int_equal(st(f)->icmp_drop_malformed, 2);
    assert_int_equal(st(f)->icmp_unreach_in, 3);
    assert_int_equal(f->unreach_calls, 1);
}

/* ---- unreachable generated ---- */

static void assert_unreach(fx *f, size_t i, uint8_t code, const uint8_t *quote, size_t qlen)
{
    assert_true(i < f->cap->count);
    const uint8_t *r = f->cap->f[i].data + 14;
    sk_ipv4_hdr ip;
    assert_int_equal(sk_ipv4_parse(r, f->cap->f[i].len - 14, &ip), 0);
    assert_int_equal(ip.src, NF_US_IP);
    assert_int_equal(ip.dst, NF_PEER_IP);
    assert_int_equal(ip.proto, SK_IPPROTO_ICMP);
    assert_int_equal(ip.total_len, 20 + 8 + qlen);
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(r + 20, 8 + qlen, &h), 0);
    assert_int_equal(h.type, SK_ICMP_DEST_UNREACH);
    assert_int_equal(h.code, code);
    assert_int_equal(h.rest, 0);
    assert_memory_equal(r + 28, quote, qlen);
}

static void test_protocol_unreachable_quotes_datagram(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64];
    size_t n = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_UDP, digits, 10);
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(st(f)->ip_drop_proto, 1);
    assert_int_equal(st(f)->icmp_unreach_out, 1);
    assert_int_equal(st(f)->icmp_out, 1);
    assert_int_equal(f->cap->count, 1);
    /* The whole datagram (30 bytes), not the Ethernet padding after it. */
    assert_unreach(f, 0, SK_ICMP_UNREACH_PROTOCOL, d, n);
}

static void test_quote_fits_576_bytes(void **state)
{
    fx *f = *state;
    start(f);
    static uint8_t payload[1400], d[1500];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)i;
    size_t n = nf_ipv4(d, NF_PEER_IP, NF_US_IP, 99, payload, sizeof(payload));
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    /* RFC 1812 4.3.2.3: 576 - 20 - 8 = 548 bytes of quote. */
    assert_int_equal(f->cap->f[0].len, 14 + 576);
    assert_unreach(f, 0, SK_ICMP_UNREACH_PROTOCOL, d, 548);
}

static void test_no_error_about_broadcasts(void **state)
{
    fx *f = *state;
    start(f);
    uint8_t d[64], frame[128];
    size_t n = nf_ipv4(d, NF_PEER_IP, 0xffffffff, 99, digits, 10);
    size_t fn = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, n);
    assert_int_equal(synack_stack_input(f->s, frame, fn, T0), SYNACK_ERR_UNSUPPORTED);
    /* Subnet broadcast, sent to our MAC. */
    n = nf_ipv4(d, NF_PEER_IP, 0x0a0000ff, 99, digits, 10);
    assert_int_equal(dgram_in(f, d, n), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(st(f)->ip_drop_proto, 2);
    assert_int_equal(st(f)->icmp_errors_suppressed, 2);
    assert_int_equal(st(f)->icmp_unreach_out, 0);
    assert_int_equal(f->cap->count, 0);
}

static void test_rate_limit_burst_then_refill(void **state)
{
    fx *f = *state;
    f->cfg.icmp_burst = 5;
    f->cfg.icmp_rate_per_sec = 10;
    start(f);
    uint8_t d[64];
    size_t n = nf_ipv4(d, NF_PEER_IP, NF_US_IP, 99, digits, 10);
    for (int i = 0; i < 8; i++)
        assert_int_equal(dgram_in_at(f, d, n, T0), SYNACK_ERR_UNSUPPORTED);
    assert_int_equal(f->cap->count, 5);
    assert_int_equal(st(f)->icmp_rate_limited, 3);
    assert_int_equal(st(f)->ip_drop_proto, 8); /* every one counted as a drop */
    /* 10 per second: one more token after 100 ms, not before. */
    dgram_in_at(f, d, n, T0 + 100 * MS - 1);
    assert_int_equal(f->cap->count, 5);
    dgram_in_at(f, d, n, T0 + 100 * MS);
    assert_int_equal(f->cap->count, 6);
    dgram_in_at(f, d, n, T0 + 100 * MS);
    assert_int_equal(f->cap->count, 6);
    /* A long quiet spell refills to the burst, no further. */
    for (int i = 0; i < 8; i++)
        dgram_in_at(f, d, n, T0 + 60 * S);
    assert_int_equal(f->cap->count, 11);
    assert_int_equal(st(f)->icmp_rate_limited, 3 + 2 + 3);
    assert_int_equal(st(f)->icmp_unreach_out, 11);
}

/* ---- generation rules, through the internal API ---- */

typedef struct inet {
    sk_ctx ctx;
    sk_wheel wheel;
    sk_net *net;
} inet;

static inet *inet_new(fx *f)
{
    inet *n = calloc(1, sizeof(*n));
    n->ctx.mem = *synack_mem_default();
    n->ctx.link = SYNACK_LINK_IP;
    n->ctx.cb.output = tcap_output;
    n->ctx.user_data = f->cap;
    n->ctx.now = T0;
    sk_prng_seed(&n->ctx.prng, 1);
    sk_wheel_init(&n->wheel, MS, T0);
    f->cfg.link = SYNACK_LINK_IP;
    assert_int_equal(sk_net_new(&n->ctx, &f->cfg, &n->wheel, &n->net), 0);
    return n;
}

static void inet_del(inet *n)
{
    sk_net_del(n->net);
    free(n);
}

static void test_unreach_rules(void **state)
{
    fx *f = *state;
    inet *n = inet_new(f);
    uint8_t d[128], icmp[64];
    size_t len;

    /* About an ICMP error: never. */
    size_t in = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, 1, 0, digits, 10);
    len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_ICMP, icmp, in);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 2), SYNACK_ERR_INVAL);
    /* Nor about an ICMP message of unknown type, nor one with no type byte. */
    in = sk_icmp_emit(icmp, sizeof(icmp), 42, 0, 0, NULL, 0);
    len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_ICMP, icmp, in);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 2), SYNACK_ERR_INVAL);
    len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_ICMP, icmp, 0);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 2), SYNACK_ERR_INVAL);
    /* About an ICMP query: allowed. */
    in = nf_icmp_echo(icmp, SK_ICMP_ECHO_REQUEST, 1, 1, digits, 4);
    len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_ICMP, icmp, in);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 2), 0);

    /* A non-initial fragment: never; the first fragment: allowed. */
    len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_UDP, digits, 10);
    sk_put16(d + 6, 185);
    nf_ipv4_fix_checksum(d);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 3), SYNACK_ERR_INVAL);
    sk_put16(d + 6, SK_IPV4_FLAG_MF);
    nf_ipv4_fix_checksum(d);
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 3), 0);

    /* To a broadcast or multicast destination: never. */
    static const synack_ipv4 groups[] = {0xffffffff, 0x0a0000ff, 0xe0000001};
    for (size_t i = 0; i < 3; i++) {
        len = nf_ipv4(d, NF_PEER_IP, groups[i], SK_IPPROTO_UDP, digits, 10);
        assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 3), SYNACK_ERR_INVAL);
    }
    /* From something that is not one host: never. */
    static const synack_ipv4 srcs[] = {0, 0x7f000001, 0xe0000001, 0xffffffff, 0x0a0000ff};
    for (size_t i = 0; i < 5; i++) {
        len = nf_ipv4(d, srcs[i], NF_US_IP, SK_IPPROTO_UDP, digits, 10);
        assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 3), SYNACK_ERR_INVAL);
    }
    /* Not an IPv4 header at all. */
    assert_int_equal(sk_net_icmp_unreach(n->net, d, 19, 3), SYNACK_ERR_INVAL);
    d[0] = 0x65;
    assert_int_equal(sk_net_icmp_unreach(n->net, d, len, 3), SYNACK_ERR_INVAL);

    assert_int_equal(n->ctx.stats.icmp_errors_suppressed, 3 + 1 + 3 + 5);
    assert_int_equal(n->ctx.stats.icmp_unreach_out, 2);
    assert_int_equal(f->cap->count, 2);
    inet_del(n);
}

static void test_unreach_quotes_at_least_8_bytes(void **state)
{
    fx *f = *state;
    inet *n = inet_new(f);
    uint8_t d[64];
    size_t len = nf_ipv4(d, NF_PEER_IP, NF_US_IP, SK_IPPROTO_UDP, digits, 10);
    /* A caller that has only the header and 8 bytes passes just those. */
    assert_int_equal(sk_net_icmp_unreach(n->net, d, 28, SK_ICMP_UNREACH_PORT), 0);
    assert_int_equal(f->cap->count, 1);
    assert_int_equal(f->cap->f[0].len, 20 + 8 + 28);
    assert_memory_equal(f->cap->f[0].data + 28, d, 28);
    assert_int_equal(f->cap->f[0].data[21], SK_ICMP_UNREACH_PORT);
    (void)len;
    inet_del(n);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_echo_request_gets_exact_reply),
        T(test_echo_odd_length_and_empty),
        T(test_echo_to_broadcast_is_ignored),
        T(test_echo_replies_can_be_disabled),
        T(test_unsendable_reply_still_takes_the_request),
        T(test_malformed_icmp_is_counted),
        T(test_echo_reply_reaches_callback),
        T(test_callback_may_send_echo),
        T(test_unreachable_reaches_callback),
        T(test_protocol_unreachable_quotes_datagram),
        T(test_quote_fits_576_bytes),
        T(test_no_error_about_broadcasts),
        T(test_rate_limit_burst_then_refill),
        T(test_unreach_rules),
        T(test_unreach_quotes_at_least_8_bytes),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
