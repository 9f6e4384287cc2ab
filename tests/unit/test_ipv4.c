/* IPv4 header (RFC 791). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/error.h"
#include "wire/checksum.h"
#include "wire/ipv4.h"
#include "wire_captures.h"

/* Copies the IPv4 datagram out of a captured Ethernet frame. */
static size_t datagram(uint8_t *out, const uint8_t *frame, size_t frame_len)
{
    memcpy(out, frame + 14, frame_len - 14);
    return frame_len - 14;
}

static void fix_checksum(uint8_t *ip)
{
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
    ip[10] = ip[11] = 0;
    uint16_t c = sk_csum(ip, hlen);
    ip[10] = (uint8_t)(c >> 8);
    ip[11] = (uint8_t)c;
}

static void test_parse_real_icmp_datagram(void **state)
{
    (void)state;
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(cap_icmp_echo_request + 14, 84, &h), 0);
    assert_int_equal(h.hlen, 20);
    assert_int_equal(h.tos, 0);
    assert_int_equal(h.total_len, 84);
    assert_int_equal(h.id, 0x752a);
    assert_int_equal(h.frag, SK_IPV4_FLAG_DF);
    assert_int_equal(h.ttl, 64);
    assert_int_equal(h.proto, SK_IPPROTO_ICMP);
    assert_int_equal(h.csum, 0xb16a);
    assert_int_equal(h.src, CAP_IP_B);
    assert_int_equal(h.dst, CAP_IP_A);
    assert_false(sk_ipv4_is_fragment(&h));
}

static void test_parse_real_tcp_datagrams(void **state)
{
    (void)state;
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(cap_tcp_synack + 14, 60, &h), 0);
    assert_int_equal(h.proto, SK_IPPROTO_TCP);
    assert_int_equal(h.total_len, 60);
    assert_int_equal(h.id, 0); /* Linux uses id 0 on DF SYN-ACKs */
    assert_int_equal(h.src, CAP_IP_A);
    assert_int_equal(h.dst, CAP_IP_B);
    assert_int_equal(sk_ipv4_parse(cap_tcp_sack3 + 14, 80, &h), 0);
    assert_int_equal(h.dst, CAP_IP_C);
}

/* Every prefix of a real datagram: < 20 and < total_len are truncated. */
static void test_parse_truncated_every_length(void **state)
{
    (void)state;
    sk_ipv4_hdr h;
    for (size_t len = 0; len < 84; len++)
        assert_int_equal(sk_ipv4_parse(cap_icmp_echo_request + 14, len, &h), SYNACK_ERR_TRUNCATED);
    assert_int_equal(sk_ipv4_parse(cap_icmp_echo_request + 14, 84, &h), 0);
}

/* A 40-byte RST is padded to Ethernet's 46-byte minimum payload. */
static void test_parse_ignores_ethernet_padding(void **state)
{
    (void)state;
    uint8_t buf[46];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, cap_tcp_rstack + 14, 40);
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(buf, sizeof(buf), &h), 0);
    assert_int_equal(h.total_len, 40);
    memset(buf + 40, 0xa5, 6); /* padding content does not matter */
    assert_int_equal(sk_ipv4_parse(buf, sizeof(buf), &h), 0);
}

static void test_parse_version_not_4_unsupported(void **state)
{
    (void)state;
    uint8_t ip[84];
    for (unsigned v = 0; v < 16; v++) {
        if (v == 4)
            continue;
        datagram(ip, cap_icmp_echo_request, sizeof(cap_icmp_echo_request));
        ip[0] = (uint8_t)(v << 4 | 5);
        fix_checksum(ip);
        sk_ipv4_hdr h;
        assert_int_equal(sk_ipv4_parse(ip, sizeof(ip), &h), SYNACK_ERR_UNSUPPORTED);
    }
}

static void test_parse_ihl_below_5_malformed(void **state)
{
    (void)state;
    uint8_t ip[84];
    for (unsigned ihl = 0; ihl < 5; ihl++) {
        datagram(ip, cap_icmp_echo_request, sizeof(cap_icmp_echo_request));
        ip[0] = (uint8_t)(0x40 | ihl);
        sk_ipv4_hdr h;
        assert_int_equal(sk_ipv4_parse(ip, sizeof(ip), &h), SYNACK_ERR_MALFORMED);
    }
}

static void test_parse_total_below_header_malformed(void **state)
{
    (void)state;
    uint8_t ip[84];
    for (unsigned total = 0; total < 20; total++) {
        datagram(ip, cap_icmp_echo_request, sizeof(cap_icmp_echo_request));
        ip[2] = 0;
        ip[3] = (uint8_t)total;
        fix_checksum(ip);
        sk_ipv4_hdr h;
        assert_int_equal(sk_ipv4_parse(ip, sizeof(ip), &h), SYNACK_ERR_MALFORMED);
    }
    /* With options, total must cover them too. */
    uint8_t opt[28] = {0x46, 0, 0, 22, 0,  0, 0, 0, 64, 6, 0, 0,
                       10,   0, 0, 1,  10, 0, 0, 2, 1,  1, 1, 0};
    fix_checksum(opt);
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(opt, sizeof(opt), &h), SYNACK_ERR_MALFORMED);
}

/* Options are skipped by IHL (here NOP, NOP, NOP, EOL and a 60-byte header
 * full of NOPs); a header longer than the buffer is truncated. */
static void test_parse_options_skipped(void **state)
{
    (void)state;
    uint8_t ip[64] = {0x46, 0, 0, 28, 0x12, 0x34, 0, 0, 64, 6, 0, 0,
                      10,   0, 0, 1,  10,   0,    0, 2, 1,  1, 1, 0};
    fix_checksum(ip);
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(ip, 28, &h), 0);
    assert_int_equal(h.hlen, 24);
    assert_int_equal(h.total_len, 28);
    for (size_t len = 0; len < 28; len++)
        assert_int_equal(sk_ipv4_parse(ip, len, &h), SYNACK_ERR_TRUNCATED);

    memset(ip + 20, 1, 40);
    ip[0] = 0x4f;
    ip[3] = 60;
    fix_checksum(ip);
    assert_int_equal(sk_ipv4_parse(ip, 60, &h), 0);
    assert_int_equal(h.hlen, 60);
    assert_int_equal(sk_ipv4_parse(ip, 59, &h), SYNACK_ERR_TRUNCATED);
    /* The checksum covers the options. */
    ip[40] ^= 0x10;
    assert_int_equal(sk_ipv4_parse(ip, 60, &h), SYNACK_ERR_CHECKSUM);
}

/* Any single-bit flip in the header (other than in version, IHL or total
 * length, which have their own errors) is a checksum error. */
static void test_parse_bad_checksum_every_bit(void **state)
{
    (void)state;
    for (size_t byte = 1; byte < 20; byte++) {
        if (byte == 2 || byte == 3)
            continue;
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t ip[84];
            datagram(ip, cap_icmp_echo_request, sizeof(cap_icmp_echo_request));
            ip[byte] ^= (uint8_t)(1u << bit);
            sk_ipv4_hdr h;
            assert_int_equal(sk_ipv4_parse(ip, sizeof(ip), &h), SYNACK_ERR_CHECKSUM);
        }
    }
    /* A smaller total length with the old checksum: also a checksum error. */
    uint8_t ip[84];
    datagram(ip, cap_icmp_echo_request, sizeof(cap_icmp_echo_request));
    ip[3] = 0x50;
    sk_ipv4_hdr h;
    assert_int_equal(sk_ipv4_parse(ip, sizeof(ip), &h), SYNACK_ERR_CHECKSUM);
}

/* The emitted header is byte-for-byte what Linux sent. */
static void test_emit_reproduces_capture(void **state)
{
    (void)state;
    sk_ipv4_hdr h = {.tos = 0,
                     .total_len = 84,
                     .id = 0x4f59,
                     .frag = 0,
                     .ttl = 64,
                     .proto = SK_IPPROTO_ICMP,
                     .src = CAP_IP_A,
                     .dst = CAP_IP_B,
                     .hlen = 99,      /* ignored */
                     .csum = 0x1234}; /* ignored */
    uint8_t buf[20];
    assert_int_equal(sk_ipv4_emit(buf, sizeof(buf), &h), 20);
    assert_memory_equal(buf, cap_icmp_echo_reply + 14, 20);

    sk_ipv4_hdr s = {.total_len = 60,
                     .id = 0x6268,
                     .frag = SK_IPV4_FLAG_DF,
                     .ttl = 64,
                     .proto = SK_IPPROTO_TCP,
                     .src = CAP_IP_B,
                     .dst = CAP_IP_A};
    assert_int_equal(sk_ipv4_emit(buf, sizeof(buf), &s), 20);
    assert_memory_equal(buf, cap_tcp_syn + 14, 20);
}

static void test_emit_small_cap_returns_zero(void **state)
{
    (void)state;
    sk_ipv4_hdr h = {.total_len = 20, .ttl = 1};
    uint8_t buf[20];
    memset(buf, 0xee, sizeof(buf));
    for (size_t cap = 0; cap < 20; cap++)
        assert_int_equal(sk_ipv4_emit(buf, cap, &h), 0);
    assert_int_equal(buf[0], 0xee);
}

static void test_round_trip(void **state)
{
    (void)state;
    sk_ipv4_hdr in = {.tos = 0xb8,
                      .total_len = 1500,
                      .id = 0xffff,
                      .frag = SK_IPV4_FLAG_MF | 185,
                      .ttl = 255,
                      .proto = SK_IPPROTO_UDP,
                      .src = 0xc0a80101u,
                      .dst = 0xffffffffu},
                out;
    static uint8_t buf[1500];
    assert_int_equal(sk_ipv4_emit(buf, sizeof(buf), &in), 20);
    assert_int_equal(sk_ipv4_parse(buf, sizeof(buf), &out), 0);
    assert_int_equal(out.hlen, 20);
    assert_int_equal(out.tos, in.tos);
    assert_int_equal(out.total_len, in.total_len);
    assert_int_equal(out.id, in.id);
    assert_int_equal(out.frag, in.frag);
    assert_int_equal(out.ttl, in.ttl);
    assert_int_equal(out.proto, in.proto);
    assert_int_equal(out.src, in.src);
    assert_int_equal(out.dst, in.dst);
    assert_int_equal(sk_csum(buf, 20), 0);
    assert_true(sk_ipv4_is_fragment(&out));
}

static void test_is_fragment(void **state)
{
    (void)state;
    sk_ipv4_hdr h = {.frag = SK_IPV4_FLAG_DF};
    assert_false(sk_ipv4_is_fragment(&h));
    h.frag = 0;
    assert_false(sk_ipv4_is_fragment(&h));
    h.frag = SK_IPV4_FLAG_MF; /* first fragment */
    assert_true(sk_ipv4_is_fragment(&h));
    h.frag = 1; /* last fragment, offset 8 */
    assert_true(sk_ipv4_is_fragment(&h));
    h.frag = SK_IPV4_FLAG_DF | SK_IPV4_OFFSET_MASK;
    assert_true(sk_ipv4_is_fragment(&h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_icmp_datagram),
        cmocka_unit_test(test_parse_real_tcp_datagrams),
        cmocka_unit_test(test_parse_truncated_every_length),
        cmocka_unit_test(test_parse_ignores_ethernet_padding),
        cmocka_unit_test(test_parse_version_not_4_unsupported),
        cmocka_unit_test(test_parse_ihl_below_5_malformed),
        cmocka_unit_test(test_parse_total_below_header_malformed),
        cmocka_unit_test(test_parse_options_skipped),
        cmocka_unit_test(test_parse_bad_checksum_every_bit),
        cmocka_unit_test(test_emit_reproduces_capture),
        cmocka_unit_test(test_emit_small_cap_returns_zero),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_is_fragment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
