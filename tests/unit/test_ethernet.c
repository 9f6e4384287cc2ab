/* Ethernet II framing (RFC 894). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/error.h"
#include "wire/ethernet.h"
#include "wire_captures.h"

static const uint8_t mac_a[6] = {0x46, 0x03, 0x25, 0x5d, 0xd8, 0xf9};
static const uint8_t mac_b[6] = {0xae, 0xbe, 0xe1, 0x7d, 0xec, 0x36};

static void test_parse_real_arp_broadcast(void **state)
{
    (void)state;
    sk_eth_hdr h;
    assert_int_equal(sk_eth_parse(cap_arp_request, sizeof(cap_arp_request), &h), 0);
    assert_memory_equal(h.dst, sk_eth_broadcast, 6);
    assert_memory_equal(h.src, mac_b, 6);
    assert_int_equal(h.type, SK_ETHERTYPE_ARP);
    assert_true(sk_eth_is_multicast(h.dst));
    assert_false(sk_eth_is_multicast(h.src));
}

static void test_parse_real_ipv4_unicast(void **state)
{
    (void)state;
    sk_eth_hdr h;
    assert_int_equal(sk_eth_parse(cap_tcp_syn, sizeof(cap_tcp_syn), &h), 0);
    assert_memory_equal(h.dst, mac_a, 6);
    assert_memory_equal(h.src, mac_b, 6);
    assert_int_equal(h.type, SK_ETHERTYPE_IPV4);
}

static void test_parse_truncated_every_length(void **state)
{
    (void)state;
    sk_eth_hdr h;
    for (size_t len = 0; len < SK_ETH_HLEN; len++)
        assert_int_equal(sk_eth_parse(cap_tcp_syn, len, &h), SYNACK_ERR_TRUNCATED);
    assert_int_equal(sk_eth_parse(cap_tcp_syn, SK_ETH_HLEN, &h), 0);
}

static void test_emit_reproduces_capture(void **state)
{
    (void)state;
    sk_eth_hdr h;
    memcpy(h.dst, mac_b, 6);
    memcpy(h.src, mac_a, 6);
    h.type = SK_ETHERTYPE_ARP;
    uint8_t buf[SK_ETH_HLEN];
    assert_int_equal(sk_eth_emit(buf, sizeof(buf), &h), SK_ETH_HLEN);
    assert_memory_equal(buf, cap_arp_reply, SK_ETH_HLEN);
}

static void test_emit_small_cap_returns_zero(void **state)
{
    (void)state;
    sk_eth_hdr h = {.type = SK_ETHERTYPE_IPV4};
    uint8_t buf[SK_ETH_HLEN + 1];
    memset(buf, 0xee, sizeof(buf));
    for (size_t cap = 0; cap < SK_ETH_HLEN; cap++)
        assert_int_equal(sk_eth_emit(buf, cap, &h), 0);
    assert_int_equal(buf[0], 0xee); /* nothing written */
}

static void test_round_trip(void **state)
{
    (void)state;
    sk_eth_hdr in = {.type = 0x86dd}, out;
    memcpy(in.dst, sk_eth_broadcast, 6);
    memcpy(in.src, mac_a, 6);
    uint8_t buf[64];
    assert_int_equal(sk_eth_emit(buf, sizeof(buf), &in), SK_ETH_HLEN);
    assert_int_equal(sk_eth_parse(buf, SK_ETH_HLEN, &out), 0);
    assert_memory_equal(&in.dst, &out.dst, 6);
    assert_memory_equal(&in.src, &out.src, 6);
    assert_int_equal(out.type, 0x86dd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_arp_broadcast),
        cmocka_unit_test(test_parse_real_ipv4_unicast),
        cmocka_unit_test(test_parse_truncated_every_length),
        cmocka_unit_test(test_emit_reproduces_capture),
        cmocka_unit_test(test_emit_small_cap_returns_zero),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
