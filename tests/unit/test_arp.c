/* ARP for IPv4 over Ethernet (RFC 826). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/error.h"
#include "wire/arp.h"
#include "wire_captures.h"

static const uint8_t mac_a[6] = {0x46, 0x03, 0x25, 0x5d, 0xd8, 0xf9};
static const uint8_t mac_b[6] = {0xae, 0xbe, 0xe1, 0x7d, 0xec, 0x36};
static const uint8_t zero_mac[6] = {0};

static void test_parse_real_request(void **state)
{
    (void)state;
    sk_arp a;
    assert_int_equal(sk_arp_parse(cap_arp_request + 14, 28, &a), 0);
    assert_int_equal(a.op, SK_ARP_OP_REQUEST);
    assert_memory_equal(a.sha, mac_b, 6);
    assert_int_equal(a.spa, CAP_IP_B);
    assert_memory_equal(a.tha, zero_mac, 6); /* Linux sends zeros here */
    assert_int_equal(a.tpa, CAP_IP_A);
}

static void test_parse_real_reply(void **state)
{
    (void)state;
    sk_arp a;
    assert_int_equal(sk_arp_parse(cap_arp_reply + 14, 28, &a), 0);
    assert_int_equal(a.op, SK_ARP_OP_REPLY);
    assert_memory_equal(a.sha, mac_a, 6);
    assert_int_equal(a.spa, CAP_IP_A);
    assert_memory_equal(a.tha, mac_b, 6);
    assert_int_equal(a.tpa, CAP_IP_B);
}

/* Ethernet pads ARP to 60 bytes: extra bytes after the 28 are ignored. */
static void test_parse_ignores_padding(void **state)
{
    (void)state;
    uint8_t buf[46] = {0};
    memcpy(buf, cap_arp_request + 14, 28);
    sk_arp a;
    assert_int_equal(sk_arp_parse(buf, sizeof(buf), &a), 0);
    assert_int_equal(a.tpa, CAP_IP_A);
}

static void test_parse_truncated_every_length(void **state)
{
    (void)state;
    sk_arp a;
    for (size_t len = 0; len < SK_ARP_LEN; len++)
        assert_int_equal(sk_arp_parse(cap_arp_request + 14, len, &a), SYNACK_ERR_TRUNCATED);
}

static void test_parse_unsupported_fields(void **state)
{
    (void)state;
    static const struct {
        size_t off;
        uint8_t val;
    } bad[] = {
        {1, 6},    /* htype 6 (IEEE 802) */
        {0, 1},    /* htype 0x0101 */
        {2, 0x86}, /* ptype 0x8600 */
        {3, 0xdd}, /* ptype 0x08dd */
        {4, 8},    /* hlen 8 */
        {5, 16},   /* plen 16 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t buf[28];
        memcpy(buf, cap_arp_request + 14, 28);
        buf[bad[i].off] = bad[i].val;
        sk_arp a;
        assert_int_equal(sk_arp_parse(buf, sizeof(buf), &a), SYNACK_ERR_UNSUPPORTED);
    }
}

static void test_parse_bad_op_is_malformed(void **state)
{
    (void)state;
    static const uint16_t ops[] = {0, 3, 4, 8, 9, 0x0101, 0xffff}; /* RARP 3/4, InARP 8/9 */
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        uint8_t buf[28];
        memcpy(buf, cap_arp_request + 14, 28);
        buf[6] = (uint8_t)(ops[i] >> 8);
        buf[7] = (uint8_t)ops[i];
        sk_arp a;
        assert_int_equal(sk_arp_parse(buf, sizeof(buf), &a), SYNACK_ERR_MALFORMED);
    }
}

static void test_emit_reproduces_real_reply(void **state)
{
    (void)state;
    sk_arp a = {.op = SK_ARP_OP_REPLY, .spa = CAP_IP_A, .tpa = CAP_IP_B};
    memcpy(a.sha, mac_a, 6);
    memcpy(a.tha, mac_b, 6);
    uint8_t buf[SK_ARP_LEN];
    assert_int_equal(sk_arp_emit(buf, sizeof(buf), &a), SK_ARP_LEN);
    assert_memory_equal(buf, cap_arp_reply + 14, SK_ARP_LEN);
}

static void test_emit_reproduces_real_request(void **state)
{
    (void)state;
    sk_arp a = {.op = SK_ARP_OP_REQUEST, .spa = CAP_IP_B, .tpa = CAP_IP_A};
    memcpy(a.sha, mac_b, 6);
    uint8_t buf[SK_ARP_LEN];
    assert_int_equal(sk_arp_emit(buf, sizeof(buf), &a), SK_ARP_LEN);
    assert_memory_equal(buf, cap_arp_request + 14, SK_ARP_LEN);
}

static void test_emit_small_cap_returns_zero(void **state)
{
    (void)state;
    sk_arp a = {.op = SK_ARP_OP_REQUEST};
    uint8_t buf[SK_ARP_LEN];
    memset(buf, 0xee, sizeof(buf));
    for (size_t cap = 0; cap < SK_ARP_LEN; cap++)
        assert_int_equal(sk_arp_emit(buf, cap, &a), 0);
    assert_int_equal(buf[0], 0xee);
}

static void test_round_trip(void **state)
{
    (void)state;
    sk_arp in = {.op = SK_ARP_OP_REQUEST, .spa = 0xc0a80001u, .tpa = 0xc0a800feu}, out;
    memcpy(in.sha, mac_a, 6);
    memcpy(in.tha, mac_b, 6);
    uint8_t buf[SK_ARP_LEN];
    assert_int_equal(sk_arp_emit(buf, sizeof(buf), &in), SK_ARP_LEN);
    assert_int_equal(sk_arp_parse(buf, sizeof(buf), &out), 0);
    assert_int_equal(out.op, in.op);
    assert_memory_equal(out.sha, in.sha, 6);
    assert_memory_equal(out.tha, in.tha, 6);
    assert_int_equal(out.spa, in.spa);
    assert_int_equal(out.tpa, in.tpa);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_request),
        cmocka_unit_test(test_parse_real_reply),
        cmocka_unit_test(test_parse_ignores_padding),
        cmocka_unit_test(test_parse_truncated_every_length),
        cmocka_unit_test(test_parse_unsupported_fields),
        cmocka_unit_test(test_parse_bad_op_is_malformed),
        cmocka_unit_test(test_emit_reproduces_real_reply),
        cmocka_unit_test(test_emit_reproduces_real_request),
        cmocka_unit_test(test_emit_small_cap_returns_zero),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
