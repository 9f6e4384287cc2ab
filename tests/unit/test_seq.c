/* Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "wire/seq.h"

static void test_order_simple(void **state)
{
    (void)state;
    assert_true(sk_seq_lt(1, 2));
    assert_false(sk_seq_lt(2, 2));
    assert_true(sk_seq_le(2, 2));
    assert_true(sk_seq_gt(3, 2));
    assert_false(sk_seq_gt(2, 2));
    assert_true(sk_seq_ge(2, 2));
    assert_false(sk_seq_ge(1, 2));
}

/* 0xffffffff is just before 0: the comparison must follow the circle. */
static void test_order_across_wrap(void **state)
{
    (void)state;
    assert_true(sk_seq_lt(0xffffffffu, 0));
    assert_true(sk_seq_gt(0, 0xffffffffu));
    assert_true(sk_seq_lt(0xfffffff0u, 0x10));
    assert_true(sk_seq_le(0xfffffff0u, 0x10));
    assert_false(sk_seq_ge(0xfffffff0u, 0x10));
    assert_true(sk_seq_gt(5, 0xfffffffbu));
    /* Up to 2^31 - 1 ahead is "after"; exactly 2^31 ahead reads as before
     * (the comparison is only meaningful within half the space). */
    assert_true(sk_seq_gt(0x7fffffffu, 0));
    assert_true(sk_seq_lt(0x80000000u, 0));
    assert_true(sk_seq_gt(0x7fffffffu + 100u, 100u));
}

static void test_max_min_across_wrap(void **state)
{
    (void)state;
    assert_int_equal(sk_seq_max(0xffffffffu, 0), 0);
    assert_int_equal(sk_seq_min(0xffffffffu, 0), 0xffffffffu);
    assert_int_equal(sk_seq_max(0xfffffff0u, 0x10), 0x10);
    assert_int_equal(sk_seq_min(0xfffffff0u, 0x10), 0xfffffff0u);
    assert_int_equal(sk_seq_max(7, 7), 7);
    assert_int_equal(sk_seq_min(100, 200), 100);
}

/* lo <= x < hi (RFC 9293 3.10.7.4 window checks: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND). */
static void test_in_half_open(void **state)
{
    (void)state;
    assert_true(sk_seq_in(10, 10, 20));
    assert_true(sk_seq_in(19, 10, 20));
    assert_false(sk_seq_in(20, 10, 20));
    assert_false(sk_seq_in(9, 10, 20));
    /* Empty window: nothing is in it (RFC 9293 3.10.7.4, RCV.WND = 0). */
    assert_false(sk_seq_in(10, 10, 10));
    assert_false(sk_seq_in(0, 0, 0));
}

static void test_in_straddling_wrap(void **state)
{
    (void)state;
    uint32_t lo = 0xfffffff0u, hi = 0x10; /* 32-byte window across 0 */
    assert_true(sk_seq_in(0xfffffff0u, lo, hi));
    assert_true(sk_seq_in(0xffffffffu, lo, hi));
    assert_true(sk_seq_in(0, lo, hi));
    assert_true(sk_seq_in(0x0f, lo, hi));
    assert_false(sk_seq_in(0x10, lo, hi));
    assert_false(sk_seq_in(0xffffffefu, lo, hi));
    assert_false(sk_seq_in(0x80000000u, lo, hi));
    /* A window ending exactly at 0. */
    assert_true(sk_seq_in(0xffffffffu, 0xffffff00u, 0));
    assert_false(sk_seq_in(0, 0xffffff00u, 0));
}

static void test_in_closed(void **state)
{
    (void)state;
    /* SND.UNA < SEG.ACK =< SND.NXT style bounds use the closed form. */
    assert_true(sk_seq_in_closed(20, 10, 20));
    assert_true(sk_seq_in_closed(10, 10, 20));
    assert_false(sk_seq_in_closed(21, 10, 20));
    assert_false(sk_seq_in_closed(9, 10, 20));
    assert_true(sk_seq_in_closed(10, 10, 10)); /* single point */
    assert_false(sk_seq_in_closed(11, 10, 10));
    assert_true(sk_seq_in_closed(0, 0xfffffffeu, 1));
    assert_true(sk_seq_in_closed(1, 0xfffffffeu, 1));
    assert_true(sk_seq_in_closed(0xfffffffeu, 0xfffffffeu, 1));
    assert_false(sk_seq_in_closed(2, 0xfffffffeu, 1));
    assert_false(sk_seq_in_closed(0xfffffffdu, 0xfffffffeu, 1));
}

/* The helpers agree with 64-bit arithmetic for every offset pattern near
 * the wrap and near 2^31. */
static void test_agree_with_wide_arithmetic(void **state)
{
    (void)state;
    static const uint32_t bases[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xfffffff0u, 0xffffffffu};
    static const int32_t deltas[] = {-0x7fffffff, -65536, -2, -1, 0, 1, 2, 65535, 0x7fffffff};
    for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
            uint32_t a = bases[i];
            uint32_t b = (uint32_t)((int64_t)a + deltas[j]); /* b = a + d mod 2^32 */
            assert_int_equal(sk_seq_lt(a, b), deltas[j] > 0);
            assert_int_equal(sk_seq_gt(a, b), deltas[j] < 0);
            assert_int_equal(sk_seq_le(a, b), deltas[j] >= 0);
            assert_int_equal(sk_seq_ge(a, b), deltas[j] <= 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_simple),
        cmocka_unit_test(test_order_across_wrap),
        cmocka_unit_test(test_max_min_across_wrap),
        cmocka_unit_test(test_in_half_open),
        cmocka_unit_test(test_in_straddling_wrap),
        cmocka_unit_test(test_in_closed),
        cmocka_unit_test(test_agree_with_wide_arithmetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
