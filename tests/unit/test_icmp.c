/* ICMP for IPv4 (RFC 792). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/error.h"
#include "wire/icmp.h"
#include "wire_captures.h"

#define ECHO_LEN    64 /* ping's 8-byte header + 56 data bytes */
#define UNREACH_LEN 41 /* 8 + the 20-byte IP header + 13 bytes of the UDP datagram */

static void test_parse_real_echo_request(void **state)
{
    (void)state;
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(cap_icmp_echo_request + 34, ECHO_LEN, &h), 0);
    assert_int_equal(h.type, SK_ICMP_ECHO_REQUEST);
    assert_int_equal(h.code, 0);
    assert_int_equal(h.csum, 0xe038);
    assert_int_equal(h.rest, 0x13d80001u); /* id 0x13d8, seq 1 */
}

static void test_parse_real_echo_reply(void **state)
{
    (void)state;
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(cap_icmp_echo_reply + 34, ECHO_LEN, &h), 0);
    assert_int_equal(h.type, SK_ICMP_ECHO_REPLY);
    assert_int_equal(h.rest, 0x13d80001u);
}

/* Odd length: the checksum pads the last byte (RFC 1071). */
static void test_parse_real_port_unreachable(void **state)
{
    (void)state;
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(cap_icmp_port_unreach + 34, UNREACH_LEN, &h), 0);
    assert_int_equal(h.type, SK_ICMP_DEST_UNREACH);
    assert_int_equal(h.code, SK_ICMP_UNREACH_PORT);
    assert_int_equal(h.rest, 0);
}

static void test_parse_truncated_header(void **state)
{
    (void)state;
    sk_icmp_hdr h;
    for (size_t len = 0; len < SK_ICMP_HLEN; len++)
        assert_int_equal(sk_icmp_parse(cap_icmp_echo_request + 34, len, &h), SYNACK_ERR_TRUNCATED);
}

/* A message cut short (the IP layer passed fewer bytes) fails its checksum:
 * the checksum covers the data, so every shorter length but the full one
 * is rejected. */
static void test_parse_short_body_fails_checksum(void **state)
{
    (void)state;
    sk_icmp_hdr h;
    for (size_t len = SK_ICMP_HLEN; len < ECHO_LEN; len++)
        assert_int_equal(sk_icmp_parse(cap_icmp_echo_request + 34, len, &h), SYNACK_ERR_CHECKSUM);
}

static void test_parse_bad_checksum_every_bit(void **state)
{
    (void)state;
    for (size_t byte = 0; byte < ECHO_LEN; byte++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t m[ECHO_LEN];
            memcpy(m, cap_icmp_echo_request + 34, ECHO_LEN);
            m[byte] ^= (uint8_t)(1u << bit);
            sk_icmp_hdr h;
            assert_int_equal(sk_icmp_parse(m, sizeof(m), &h), SYNACK_ERR_CHECKSUM);
        }
    }
}

/* The echo reply Linux sent, rebuilt from the request's body. */
static void test_emit_echo_reply_matches_capture(void **state)
{
    (void)state;
    uint8_t buf[ECHO_LEN];
    assert_int_equal(sk_icmp_emit(buf, sizeof(buf), SK_ICMP_ECHO_REPLY, 0, 0x13d80001u,
                                  cap_icmp_echo_request + 34 + 8, ECHO_LEN - 8),
                     ECHO_LEN);
    assert_memory_equal(buf, cap_icmp_echo_reply + 34, ECHO_LEN);
}

/* Built in place over the request: the body already sits at buf + 8. */
static void test_emit_in_place(void **state)
{
    (void)state;
    uint8_t buf[ECHO_LEN];
    memcpy(buf, cap_icmp_echo_request + 34, ECHO_LEN);
    assert_int_equal(
        sk_icmp_emit(buf, sizeof(buf), SK_ICMP_ECHO_REPLY, 0, 0x13d80001u, buf + 8, ECHO_LEN - 8),
        ECHO_LEN);
    assert_memory_equal(buf, cap_icmp_echo_reply + 34, ECHO_LEN);
}

/* Port unreachable quoting the offending datagram, as Linux did. */
static void test_emit_port_unreachable_matches_capture(void **state)
{
    (void)state;
    uint8_t buf[UNREACH_LEN];
    assert_int_equal(sk_icmp_emit(buf, sizeof(buf), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_PORT, 0,
                                  cap_icmp_port_unreach + 42, UNREACH_LEN - 8),
                     UNREACH_LEN);
    assert_memory_equal(buf, cap_icmp_port_unreach + 34, UNREACH_LEN);
}

static void test_emit_small_cap_returns_zero(void **state)
{
    (void)state;
    uint8_t body[16] = {0};
    uint8_t buf[SK_ICMP_HLEN + 16];
    memset(buf, 0xee, sizeof(buf));
    for (size_t cap = 0; cap < sizeof(buf); cap++)
        assert_int_equal(sk_icmp_emit(buf, cap, SK_ICMP_ECHO_REQUEST, 0, 1, body, sizeof(body)), 0);
    assert_int_equal(buf[0], 0xee);
    /* A body length near SIZE_MAX must not wrap the check. */
    assert_int_equal(sk_icmp_emit(buf, sizeof(buf), 8, 0, 1, body, (size_t)-4), 0);
}

static void test_emit_no_body_round_trip(void **state)
{
    (void)state;
    uint8_t buf[SK_ICMP_HLEN];
    assert_int_equal(sk_icmp_emit(buf, sizeof(buf), SK_ICMP_TIME_EXCEEDED, 1, 0xdeadbeefu, NULL, 0),
                     SK_ICMP_HLEN);
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(buf, sizeof(buf), &h), 0);
    assert_int_equal(h.type, SK_ICMP_TIME_EXCEEDED);
    assert_int_equal(h.code, 1);
    assert_int_equal(h.rest, 0xdeadbeefu);
}

/* Next-hop MTU in the low 16 bits of a fragmentation-needed message (RFC 1191 4). */
static void test_emit_needfrag_round_trip(void **state)
{
    (void)state;
    uint8_t body[28] = {0x45};
    uint8_t buf[64];
    size_t n = sk_icmp_emit(buf, sizeof(buf), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_NEEDFRAG, 1400,
                            body, sizeof(body));
    assert_int_equal(n, 36);
    sk_icmp_hdr h;
    assert_int_equal(sk_icmp_parse(buf, n, &h), 0);
    assert_int_equal(h.code, SK_ICMP_UNREACH_NEEDFRAG);
    assert_int_equal(h.rest & 0xffff, 1400);
    assert_memory_equal(buf + 8, body, sizeof(body));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_echo_request),
        cmocka_unit_test(test_parse_real_echo_reply),
        cmocka_unit_test(test_parse_real_port_unreachable),
        cmocka_unit_test(test_parse_truncated_header),
        cmocka_unit_test(test_parse_short_body_fails_checksum),
        cmocka_unit_test(test_parse_bad_checksum_every_bit),
        cmocka_unit_test(test_emit_echo_reply_matches_capture),
        cmocka_unit_test(test_emit_in_place),
        cmocka_unit_test(test_emit_port_unreachable_matches_capture),
        cmocka_unit_test(test_emit_small_cap_returns_zero),
        cmocka_unit_test(test_emit_no_body_round_trip),
        cmocka_unit_test(test_emit_needfrag_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
