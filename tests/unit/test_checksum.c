/* Internet checksum (RFC 1071) and the IPv4 pseudo-header. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "wire/checksum.h"
#include "wire_captures.h"

/* RFC 1071 3 "Numerical Examples": the bytes 00 01 f2 03 f4 f5 f6 f7 have
 * the folded 16-bit sum ddf2, so the checksum is its complement 220d. */
static const uint8_t rfc1071[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

/* The obvious byte-at-a-time reference the fast version must agree with. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void test_rfc1071_example(void **state)
{
    (void)state;
    assert_int_equal(sk_csum_add(0, rfc1071, sizeof(rfc1071)), 0xddf2);
    assert_int_equal(sk_csum(rfc1071, sizeof(rfc1071)), 0x220d);
    assert_int_equal(sk_csum_fold(0xddf2), 0x220d);
}

static void test_rfc1071_example_with_checksum_sums_to_zero(void **state)
{
    (void)state;
    uint8_t b[10];
    memcpy(b, rfc1071, 8);
    b[8] = 0x22;
    b[9] = 0x0d;
    assert_int_equal(sk_csum(b, sizeof(b)), 0);
}

static void test_empty_and_zero(void **state)
{
    (void)state;
    uint8_t z[4] = {0};
    assert_int_equal(sk_csum_add(0, NULL, 0), 0);
    assert_int_equal(sk_csum(NULL, 0), 0xffff);
    assert_int_equal(sk_csum(z, sizeof(z)), 0xffff);
}

static void test_odd_length_pads_high_byte(void **state)
{
    (void)state;
    const uint8_t one[1] = {0xab};
    assert_int_equal(sk_csum_add(0, one, 1), 0xab00);
    const uint8_t three[3] = {0x12, 0x34, 0x56};
    assert_int_equal(sk_csum_add(0, three, 3), 0x1234 + 0x5600);
}

/* The running sum can be split across calls at even offsets. */
static void test_chunks_match_whole(void **state)
{
    (void)state;
    uint8_t b[301];
    for (size_t i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 37 + 11);
    uint32_t whole = sk_csum_add(0, b, sizeof(b));
    for (size_t cut = 0; cut <= sizeof(b); cut += 2) {
        uint32_t s = sk_csum_add(0, b, cut);
        s = sk_csum_add(s, b + cut, sizeof(b) - cut);
        assert_int_equal(sk_csum_fold(s), sk_csum_fold(whole));
    }
}

/* Every length 0..300 at every alignment 0..7 against the reference; the
 * data includes runs of 0xff so the end-around carries are exercised. */
static void test_matches_reference_all_lengths_and_alignments(void **state)
{
    (void)state;
    uint8_t raw[320];
    for (size_t i = 0; i < sizeof(raw); i++)
        raw[i] = (i % 7 < 3) ? 0xff : (uint8_t)(i * 131 + 7);
    for (size_t align = 0; align < 8; align++)
        for (size_t len = 0; len <= 300; len++)
            assert_int_equal(sk_csum(raw + align, len), ref_csum(raw + align, len));
}

static void test_all_ones_carries(void **state)
{
    (void)state;
    uint8_t b[4096];
    memset(b, 0xff, sizeof(b));
    /* A sum of 0xffff words is 0xffff (negative zero); its checksum is 0. */
    assert_int_equal(sk_csum(b, sizeof(b)), 0);
    assert_int_equal(sk_csum(b, sizeof(b) - 1), ref_csum(b, sizeof(b) - 1));
}

/* A running sum given as any 32-bit value is folded, not overflowed. */
static void test_add_accepts_large_running_sum(void **state)
{
    (void)state;
    const uint8_t w[2] = {0xff, 0xff};
    uint32_t s = sk_csum_add(0xffffffffu, w, 2);
    assert_true(s <= 0xffff);
    /* 0xffffffff folds to 0xffff (-0); + 0xffff stays -0. */
    assert_int_equal(s, 0xffff);
}

/* Real frames: the IPv4 header, ICMP message and TCP segment (with the
 * pseudo-header) of each Linux capture sum to zero. */
static void test_real_ipv4_headers_verify(void **state)
{
    (void)state;
    assert_int_equal(sk_csum(cap_icmp_echo_request + 14, 20), 0);
    assert_int_equal(sk_csum(cap_icmp_echo_reply + 14, 20), 0);
    assert_int_equal(sk_csum(cap_tcp_syn + 14, 20), 0);
    assert_int_equal(sk_csum(cap_tcp_sack3 + 14, 20), 0);
    /* The stored checksum of the echo request header is 0xb16a. */
    uint8_t h[20];
    memcpy(h, cap_icmp_echo_request + 14, 20);
    h[10] = h[11] = 0;
    assert_int_equal(sk_csum(h, 20), 0xb16a);
}

static void test_real_icmp_verifies(void **state)
{
    (void)state;
    assert_int_equal(sk_csum(cap_icmp_echo_request + 34, 64), 0);
    assert_int_equal(sk_csum(cap_icmp_echo_reply + 34, 64), 0);
}

static void test_real_tcp_with_pseudo_header(void **state)
{
    (void)state;
    /* SYN 10.9.0.2 -> 10.9.0.1, 40-byte segment, stored checksum 0x6ac8. */
    uint8_t seg[40];
    memcpy(seg, cap_tcp_syn + 34, 40);
    uint32_t ph = sk_csum_pseudo_ipv4(CAP_IP_B, CAP_IP_A, 6, 40);
    assert_int_equal(sk_csum_fold(sk_csum_add(ph, seg, 40)), 0);
    seg[16] = seg[17] = 0;
    assert_int_equal(sk_csum_fold(sk_csum_add(ph, seg, 40)), 0x6ac8);
    /* Odd-length payload: the data segment carries "hello\n" (38 bytes). */
    ph = sk_csum_pseudo_ipv4(CAP_IP_B, CAP_IP_A, 6, 38);
    assert_int_equal(sk_csum_fold(sk_csum_add(ph, cap_tcp_data + 34, 38)), 0);
}

static void test_pseudo_header_value(void **state)
{
    (void)state;
    /* 0a09 + 0002 + 0a09 + 0001 + 0006 + 0028 = 0x1443 */
    assert_int_equal(sk_csum_pseudo_ipv4(CAP_IP_B, CAP_IP_A, 6, 40), 0x1443);
    /* Carries fold: ffff ffff ffff ffff + 00ff + ffff */
    assert_int_equal(sk_csum_pseudo_ipv4(0xffffffffu, 0xffffffffu, 0xff, 0xffff), 0x00ff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc1071_example),
        cmocka_unit_test(test_rfc1071_example_with_checksum_sums_to_zero),
        cmocka_unit_test(test_empty_and_zero),
        cmocka_unit_test(test_odd_length_pads_high_byte),
        cmocka_unit_test(test_chunks_match_whole),
        cmocka_unit_test(test_matches_reference_all_lengths_and_alignments),
        cmocka_unit_test(test_all_ones_carries),
        cmocka_unit_test(test_add_accepts_large_running_sum),
        cmocka_unit_test(test_real_ipv4_headers_verify),
        cmocka_unit_test(test_real_icmp_verifies),
        cmocka_unit_test(test_real_tcp_with_pseudo_header),
        cmocka_unit_test(test_pseudo_header_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
