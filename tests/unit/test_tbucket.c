/* The token bucket behind the ICMP error rate limit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "net/tbucket.h"

#define MS 1000000ULL
#define S  1000000000ULL

static unsigned take_all(sk_tbucket *b, uint64_t now)
{
    unsigned n = 0;
    while (sk_tbucket_take(b, now))
        n++;
    return n;
}

static void test_starts_full_and_empties(void **state)
{
    (void)state;
    sk_tbucket b;
    sk_tbucket_init(&b, 10, 5, 7 * S);
    assert_int_equal(take_all(&b, 7 * S), 5);
}

static void test_refills_at_rate(void **state)
{
    (void)state;
    sk_tbucket b;
    sk_tbucket_init(&b, 10, 5, 0);
    assert_int_equal(take_all(&b, 0), 5);
    /* 10 per second: one token per 100 ms, none earlier. */
    assert_false(sk_tbucket_take(&b, 100 * MS - 1));
    assert_true(sk_tbucket_take(&b, 100 * MS));
    assert_false(sk_tbucket_take(&b, 100 * MS));
    /* Fractions accumulate: 3 x 50 ms is one and a half tokens. */
    assert_false(sk_tbucket_take(&b, 150 * MS));
    assert_true(sk_tbucket_take(&b, 200 * MS));
    assert_int_equal(take_all(&b, 250 * MS), 0);
    assert_int_equal(take_all(&b, 300 * MS), 1);
}

static void test_never_exceeds_burst(void **state)
{
    (void)state;
    sk_tbucket b;
    sk_tbucket_init(&b, 1000, 3, 0);
    assert_int_equal(take_all(&b, 0), 3);
    assert_int_equal(take_all(&b, 3600 * S), 3);
    assert_int_equal(take_all(&b, UINT64_MAX), 3); /* no overflow however long the gap */
}

static void test_time_going_backwards_adds_nothing(void **state)
{
    (void)state;
    sk_tbucket b;
    sk_tbucket_init(&b, 10, 1, 10 * S);
    assert_true(sk_tbucket_take(&b, 10 * S));
    assert_false(sk_tbucket_take(&b, 5 * S));
    assert_true(sk_tbucket_take(&b, 10 * S + 100 * MS));
}

static void test_zero_rate_or_burst(void **state)
{
    (void)state;
    sk_tbucket b;
    sk_tbucket_init(&b, 0, 2, 0);
    assert_int_equal(take_all(&b, 0), 2);
    assert_int_equal(take_all(&b, 100 * S), 0);
    sk_tbucket_init(&b, 100, 0, 0);
    assert_int_equal(take_all(&b, 100 * S), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_full_and_empties),
        cmocka_unit_test(test_refills_at_rate),
        cmocka_unit_test(test_never_exceeds_burst),
        cmocka_unit_test(test_time_going_backwards_adds_nothing),
        cmocka_unit_test(test_zero_rate_or_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
