/* Named configuration profiles (synack_config_profile). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/synack.h"

#define MS 1000000ULL
#define S  1000000000ULL

/* "linux": the values Linux scripts assume (PACKETDRILL-SO.md), and only
 * the profile's fields change: the address stays. */
static void test_linux_values(void **state)
{
    (void)state;
    synack_config c;
    synack_config_default(&c);
    c.addr = 0x0a000001u;
    assert_int_equal(synack_config_profile(&c, "linux"), 0);
    assert_int_equal(c.tcp_rto_min_ns, 200 * MS);
    assert_int_equal(c.tcp_rto_initial_ns, 1 * S);
    assert_int_equal(c.tcp_rto_max_ns, 120 * S);
    assert_int_equal(c.tcp_msl_ns, 30 * S); /* TIME-WAIT 60 s */
    assert_int_equal(c.tcp_syn_timeout_ns, 127 * S);
    assert_int_equal(c.tcp_ephemeral_lo, 32768);
    assert_int_equal(c.tcp_ephemeral_hi, 60999);
    assert_int_equal(c.tcp_mss, 0); /* 1460 at MTU 1500 */
    assert_int_equal(c.mtu, 1500);
    assert_int_equal(c.tcp_delack_ns, 40 * MS);
    assert_true(c.tcp_window_scaling);
    assert_true(c.tcp_timestamps);
    assert_true(c.tcp_sack);
    assert_int_equal(c.tcp_rcvbuf, 65535u << 8); /* window scale 8 (RFC 7323 2.3) */
    assert_int_equal(c.tcp_quickack_segs, 16);   /* TCP_MAX_QUICKACKS */
    assert_int_equal(c.tcp_initial_cwnd, 10);    /* TCP_INIT_CWND */
    assert_int_equal(c.tcp_cc, SYNACK_CC_CUBIC);
    assert_false(c.tcp_nodelay);
    assert_int_equal(c.addr, 0x0a000001u);
    assert_int_equal(synack_config_check(&c, NULL), 0);
}

/* "default" undoes "linux" field for field. */
static void test_default_undoes_linux(void **state)
{
    (void)state;
    synack_config a, b;
    synack_config_default(&a);
    a.addr = 0x0a000001u;
    a.tcp_timestamps = false; /* "default" resets a field "linux" sets */
    b = a;
    assert_int_equal(synack_config_profile(&b, "linux"), 0);
    assert_memory_not_equal(&a, &b, sizeof(a));
    a.tcp_timestamps = true;
    assert_int_equal(synack_config_profile(&b, "default"), 0);
    assert_true(b.tcp_timestamps);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void test_unknown_name(void **state)
{
    (void)state;
    synack_config a, b;
    synack_config_default(&a);
    b = a;
    assert_int_equal(synack_config_profile(&b, "bsd"), SYNACK_ERR_NOTFOUND);
    assert_int_equal(synack_config_profile(&b, "Linux"), SYNACK_ERR_NOTFOUND);
    assert_memory_equal(&a, &b, sizeof(a));
    assert_int_equal(synack_config_profile(&b, NULL), SYNACK_ERR_INVAL);
    assert_int_equal(synack_config_profile(NULL, "linux"), SYNACK_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_values),
        cmocka_unit_test(test_default_undoes_linux),
        cmocka_unit_test(test_unknown_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
