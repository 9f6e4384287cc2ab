/* The congestion-control interface and NewReno (RFC 5681, RFC 3465,
 * RFC 6582): exact windows after given ACK sequences. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tcp/cc/cc.h"

#define MSS 1460u

/* A NewReno connection with the RFC 6928 initial window. */
static sk_cc fresh(void)
{
    sk_cc cc;
    sk_cc_init(&cc, &sk_cc_newreno, MSS, sk_cc_iw_rfc6928(MSS));
    return cc;
}

/* Acknowledges the whole window in ACKs of @p per_ack bytes while the
 * sender keeps the window full (flight = cwnd at every ACK): one round trip. */
static void ack_window(sk_cc *cc, uint32_t per_ack)
{
    uint32_t left = cc->cwnd;
    while (left) {
        uint32_t n = left < per_ack ? left : per_ack;
        sk_cc_on_ack(cc, n, MSS, cc->cwnd, 0, 0);
        left -= n;
    }
}

static void test_state_is_small(void **state)
{
    (void)state;
    /* It lives in every TCB: 8 (ops) + 16 (common) + 32 (private) on LP64. */
    if (sizeof(void *) == 8)
        assert_int_equal(sizeof(sk_cc), 56);
    assert_int_equal(sizeof(((sk_cc *)0)->priv), 32);
}

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(sk_cc_find("newreno"), &sk_cc_newreno);
    assert_ptr_equal(sk_cc_find("cubic"), &sk_cc_cubic);
    assert_string_equal(sk_cc_newreno.name, "newreno");
    assert_string_equal(sk_cc_cubic.name, "cubic");
    assert_null(sk_cc_find("bbr"));
    assert_null(sk_cc_find("NewReno"));
    assert_null(sk_cc_find(""));
    assert_null(sk_cc_find(NULL));
}

static void test_initial_window(void **state)
{
    (void)state;
    /* RFC 6928 2: min(10*MSS, max(2*MSS, 14600)). */
    assert_int_equal(sk_cc_iw_rfc6928(1460), 14600);
    assert_int_equal(sk_cc_iw_rfc6928(536), 5360);
    assert_int_equal(sk_cc_iw_rfc6928(1000), 10000);
    assert_int_equal(sk_cc_iw_rfc6928(4000), 14600);
    assert_int_equal(sk_cc_iw_rfc6928(9000), 18000);
    /* RFC 5681 3.1: 4, 3 or 2 segments, split at 1095 and 2190 bytes. */
    assert_int_equal(sk_cc_iw_rfc5681(536), 2144);
    assert_int_equal(sk_cc_iw_rfc5681(1095), 4380);
    assert_int_equal(sk_cc_iw_rfc5681(1096), 3288);
    assert_int_equal(sk_cc_iw_rfc5681(1460), 4380);
    assert_int_equal(sk_cc_iw_rfc5681(2190), 6570);
    assert_int_equal(sk_cc_iw_rfc5681(2191), 4382);

    sk_cc cc = fresh();
    assert_ptr_equal(cc.ops, &sk_cc_newreno);
    assert_int_equal(cc.cwnd, 14600);
    assert_int_equal(cc.ssthresh, SK_CC_SSTHRESH_INF);
    assert_int_equal(cc.acc, 0);
}

/* ABC with an ACK per segment, or per two (delayed ACKs), doubles the
 * window every round trip. */
static void test_slow_start_doubles_per_rtt(void **state)
{
    (void)state;
    for (uint32_t segs = 1; segs <= 2; segs++) {
        sk_cc cc = fresh();
        for (int rtt = 1; rtt <= 6; rtt++) {
            ack_window(&cc, segs * MSS);
            assert_int_equal(cc.cwnd, 14600u << rtt);
        }
    }
}

/* RFC 3465 2.2: one ACK grows the window by at most L = 2 SMSS. */
static void test_abc_limit(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    sk_cc_on_ack(&cc, 4 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 14600 + 2 * MSS);
    /* Byte counting: a small ACK grows by what it acknowledges. */
    sk_cc_on_ack(&cc, 100, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 14600 + 2 * MSS + 100);
    /* Stretch ACKs of 4 segments: 1.5 times per round trip. */
    cc = fresh();
    cc.cwnd = 40 * MSS;
    ack_window(&cc, 4 * MSS);
    assert_int_equal(cc.cwnd, 60 * MSS);
}

static void test_slow_start_stops_at_ssthresh(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.ssthresh = 15000;
    sk_cc_on_ack(&cc, 2 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 15000);
    assert_int_equal(cc.acc, 0);
    /* From here on, congestion avoidance: bytes are counted, not added. */
    sk_cc_on_ack(&cc, MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 15000);
    assert_int_equal(cc.acc, MSS);
}

/* RFC 5681 3.1 with byte counting: exactly one SMSS per window of bytes
 * acknowledged, whatever the ACK sizes. */
static void test_congestion_avoidance_one_mss_per_rtt(void **state)
{
    (void)state;
    const uint32_t sizes[] = {MSS, 2 * MSS, 1000, 7};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        sk_cc cc = fresh();
        cc.cwnd = 20 * MSS;
        cc.ssthresh = 10 * MSS;
        uint32_t acked = 0;
        while (acked + sizes[k] < 20 * MSS) {
            sk_cc_on_ack(&cc, sizes[k], MSS, cc.cwnd, 0, 0);
            acked += sizes[k];
            assert_int_equal(cc.cwnd, 20 * MSS); /* not before a whole window */
        }
        sk_cc_on_ack(&cc, sizes[k], MSS, cc.cwnd, 0, 0);
        acked += sizes[k];
        assert_int_equal(cc.cwnd, 21 * MSS);
        assert_int_equal(cc.acc, acked - 20 * MSS);
    }
    /* Ten round trips, ten segments. */
    sk_cc cc = fresh();
    cc.cwnd = 20 * MSS;
    cc.ssthresh = 20 * MSS;
    for (int rtt = 1; rtt <= 10; rtt++) {
        ack_window(&cc, MSS);
        assert_int_equal(cc.cwnd, (20u + (uint32_t)rtt) * MSS);
    }
}

/* RFC 7661 4.3: a window less than half used does not grow. */
static void test_no_growth_when_window_unused(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    sk_cc_on_ack(&cc, MSS, MSS, 14600 / 2 - 1, 0, 0);
    assert_int_equal(cc.cwnd, 14600);
    sk_cc_on_ack(&cc, MSS, MSS, 14600 / 2, 0, 0);
    assert_int_equal(cc.cwnd, 14600 + MSS);
    cc.ssthresh = cc.cwnd;
    sk_cc_on_ack(&cc, MSS, MSS, 0, 0, 0);
    assert_int_equal(cc.acc, 0);
}

/* RFC 5681 3.2 / RFC 6582 3.2 steps 2-5 with a full ACK. */
static void test_fast_retransmit_halves(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 20 * MSS;
    cc.ssthresh = 10 * MSS;
    cc.acc = 999;
    sk_cc_enter_recovery(&cc, MSS, 20 * MSS, 0);
    assert_int_equal(cc.ssthresh, 10 * MSS); /* FlightSize / 2 */
    assert_int_equal(cc.cwnd, 13 * MSS);     /* ssthresh + 3 SMSS */
    assert_int_equal(cc.acc, 0);
    for (int i = 0; i < 4; i++)
        sk_cc_on_dupack(&cc, MSS);
    assert_int_equal(cc.cwnd, 17 * MSS);
    /* Full ACK: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
    sk_cc_on_recovery_exit(&cc, MSS, 12 * MSS, 0);
    assert_int_equal(cc.cwnd, 10 * MSS);
    assert_int_equal(cc.ssthresh, 10 * MSS);
    /* Then congestion avoidance from ssthresh. */
    ack_window(&cc, MSS);
    assert_int_equal(cc.cwnd, 11 * MSS);
}

/* A flood of duplicate ACKs saturates the inflated window, never wraps it
 * to a small one (about 2.9 million would wrap 32 bits by MSS steps). */
static void test_dupack_inflation_saturates(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 20 * MSS;
    sk_cc_enter_recovery(&cc, MSS, 20 * MSS, 0);
    cc.cwnd = UINT32_MAX - MSS / 2;
    sk_cc_on_dupack(&cc, MSS);
    assert_int_equal(cc.cwnd, UINT32_MAX);
    sk_cc_on_dupack(&cc, MSS);
    assert_int_equal(cc.cwnd, UINT32_MAX);
}

/* FlightSize, not cwnd, sets ssthresh; never below 2 SMSS. */
static void test_ssthresh_from_flight(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 100 * MSS;
    sk_cc_enter_recovery(&cc, MSS, 30 * MSS + 1, 0);
    assert_int_equal(cc.ssthresh, 15 * MSS);
    assert_int_equal(cc.cwnd, 18 * MSS);
    cc = fresh();
    sk_cc_enter_recovery(&cc, MSS, 3 * MSS, 0);
    assert_int_equal(cc.ssthresh, 2 * MSS);
    assert_int_equal(cc.cwnd, 5 * MSS);
    /* A full ACK with little in flight leaves FlightSize + SMSS. */
    sk_cc_on_recovery_exit(&cc, MSS, 0, 0);
    assert_int_equal(cc.cwnd, 2 * MSS);
    cc.cwnd = 30 * MSS;
    cc.ssthresh = 20 * MSS;
    sk_cc_on_recovery_exit(&cc, MSS, 5 * MSS, 0);
    assert_int_equal(cc.cwnd, 6 * MSS);
}

/* RFC 6582 3.2 step 5, partial ACKs: deflate by the bytes acknowledged,
 * add back one SMSS if at least one SMSS was acknowledged. */
static void test_newreno_partial_ack_deflation(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 20 * MSS;
    sk_cc_enter_recovery(&cc, MSS, 20 * MSS, 0);
    sk_cc_on_dupack(&cc, MSS);
    sk_cc_on_dupack(&cc, MSS);
    assert_int_equal(cc.cwnd, 15 * MSS);
    sk_cc_on_partial_ack(&cc, 3 * MSS, MSS);
    assert_int_equal(cc.cwnd, 13 * MSS);
    sk_cc_on_partial_ack(&cc, MSS, MSS);
    assert_int_equal(cc.cwnd, 13 * MSS);
    sk_cc_on_partial_ack(&cc, 500, MSS);
    assert_int_equal(cc.cwnd, 13 * MSS - 500);
    assert_int_equal(cc.ssthresh, 10 * MSS); /* partial ACKs leave ssthresh */
    /* Never below one segment, whatever the ACK claims. */
    sk_cc_on_partial_ack(&cc, 100 * MSS, MSS);
    assert_int_equal(cc.cwnd, MSS);
    sk_cc_on_recovery_exit(&cc, MSS, 9 * MSS, 0);
    assert_int_equal(cc.cwnd, 10 * MSS);
}

/* RFC 5681 3.1: ssthresh = max(FlightSize/2, 2 SMSS), cwnd = LW = 1 SMSS;
 * a repeated timeout keeps ssthresh. */
static void test_rto_one_mss(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 30 * MSS;
    cc.acc = 5;
    sk_cc_on_rto(&cc, MSS, 30 * MSS, false, 0);
    assert_int_equal(cc.cwnd, MSS);
    assert_int_equal(cc.ssthresh, 15 * MSS);
    assert_int_equal(cc.acc, 0);
    sk_cc_on_rto(&cc, MSS, MSS, true, 0);
    assert_int_equal(cc.cwnd, MSS);
    assert_int_equal(cc.ssthresh, 15 * MSS);
    /* Not repeated: ssthresh from what is in flight now, at least 2 SMSS. */
    sk_cc_on_rto(&cc, MSS, MSS, false, 0);
    assert_int_equal(cc.ssthresh, 2 * MSS);
}

/* RFC 3465 2.3: the slow start after a timeout counts at most 1 SMSS per
 * ACK; past ssthresh the usual limit returns. */
static void test_slow_start_after_rto(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 8 * MSS;
    sk_cc_on_rto(&cc, MSS, 8 * MSS, false, 0);
    assert_int_equal(cc.ssthresh, 4 * MSS);
    sk_cc_on_ack(&cc, 3 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 2 * MSS);
    sk_cc_on_ack(&cc, 2 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 3 * MSS);
    sk_cc_on_ack(&cc, 2 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 4 * MSS);
    assert_int_equal(cc.flags & SK_CC_F_AFTER_RTO, 0);
    /* A later slow start (after idle) uses L = 2 again. */
    cc.ssthresh = 100 * MSS;
    sk_cc_on_ack(&cc, 3 * MSS, MSS, cc.cwnd, 0, 0);
    assert_int_equal(cc.cwnd, 6 * MSS);
}

/* RFC 5681 4.1: after an idle period, cwnd = min(IW, cwnd). */
static void test_restart_after_idle(void **state)
{
    (void)state;
    sk_cc cc = fresh();
    cc.cwnd = 40 * MSS;
    cc.ssthresh = 30 * MSS;
    cc.acc = 77;
    sk_cc_on_idle(&cc, sk_cc_iw_rfc6928(MSS), 0);
    assert_int_equal(cc.cwnd, 14600);
    assert_int_equal(cc.ssthresh, 30 * MSS);
    assert_int_equal(cc.acc, 0);
    /* Slow start climbs back towards the old ssthresh. */
    ack_window(&cc, MSS);
    assert_int_equal(cc.cwnd, 20 * MSS);
    /* A window already below IW is kept. */
    cc.cwnd = 3 * MSS;
    sk_cc_on_idle(&cc, sk_cc_iw_rfc6928(MSS), 0);
    assert_int_equal(cc.cwnd, 3 * MSS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_is_small),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_initial_window),
        cmocka_unit_test(test_slow_start_doubles_per_rtt),
        cmocka_unit_test(test_abc_limit),
        cmocka_unit_test(test_slow_start_stops_at_ssthresh),
        cmocka_unit_test(test_congestion_avoidance_one_mss_per_rtt),
        cmocka_unit_test(test_no_growth_when_window_unused),
        cmocka_unit_test(test_fast_retransmit_halves),
        cmocka_unit_test(test_dupack_inflation_saturates),
        cmocka_unit_test(test_ssthresh_from_flight),
        cmocka_unit_test(test_newreno_partial_ack_deflation),
        cmocka_unit_test(test_rto_one_mss),
        cmocka_unit_test(test_slow_start_after_rto),
        cmocka_unit_test(test_restart_after_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
