/* The congestion window on the wire (RFC 5681, RFC 6928, RFC 3465): the
 * initial window, slow start with Appropriate Byte Counting, congestion
 * avoidance, the restart after idle, the window after a timeout, and
 * synack_tcp_set_cc / synack_tcp_get_info. NewReno unless a test says
 * otherwise; the peer's MSS is 1460 and its window 65535. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

#define MSS 1460u

static void newreno_iw4(synack_config *cfg)
{
    st_newreno(cfg);
    cfg->tcp_initial_cwnd = 4;
}

static void jumbo(synack_config *cfg)
{
    st_newreno(cfg);
    cfg->mtu = 9000;
}

static st *open_mss(void (*tweak)(synack_config *), st_conn *k, uint16_t mss)
{
    st *t = st_new(tweak);
    st_peer p = {.mss = mss};
    st_open_peer(t, k, &p);
    return t;
}

/* Opens, writes 30000 bytes (the initial window goes) and lets the RTO
 * (1 s, rto_min) fire: SND.UNA's segment is sent again. */
static st *open_and_time_out(void (*tweak)(synack_config *), st_conn *k)
{
    st *t = open_mss(tweak, k, 1460);
    st_write(t, k, 30000);
    st_drain(t);
    st_expect_timeout(t, k, ST_S, F_ACK, k->iss + 1, MSS);
    return t;
}

/* RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)). A large write sends
 * exactly IW - in whole segments - and stops until an ACK comes. */
static void test_initial_window_rfc6928(void **state)
{
    (void)state;
    static const struct {
        uint16_t mss;
        uint32_t iw, segs;
    } rows[] = {
        {1460, 14600, 10}, /* 10*MSS = 14600 */
        {536, 5360, 10},   /* 10*MSS = 5360 < 14600 */
        {1000, 10000, 10}, /* 10*MSS */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        st_conn k;
        st *t = open_mss(st_newreno, &k, rows[i].mss);
        uint32_t S = k.iss + 1;
        synack_tcp_info info = st_info(&k);
        assert_int_equal(info.cwnd, 0); /* before the first write */
        assert_int_equal(info.ssthresh, UINT32_MAX);
        st_write(t, &k, 30000);
        st_expect_run(t, &k, S, rows[i].segs * rows[i].mss, rows[i].mss, false);
        st_expect_none(t);
        info = st_info(&k);
        assert_int_equal(info.cwnd, rows[i].iw);
        assert_int_equal(info.flight, rows[i].segs * rows[i].mss);
        assert_int_equal(info.ssthresh, UINT32_MAX); /* RFC 5681 3.1: arbitrarily high */
        st_free(t);
    }
}

/* The max(2*MSS, 14600) arms of RFC 6928's formula need an MSS above 1460
 * (an MTU of 9000): MSS 4000 gives 14600 bytes, three whole segments;
 * MSS 8000 gives 2*MSS. */
static void test_initial_window_large_mss(void **state)
{
    (void)state;
    static const struct {
        uint16_t mss;
        uint32_t iw, flight;
    } rows[] = {{4000, 14600, 12000}, {8000, 16000, 16000}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        st_conn k;
        st *t = open_mss(jumbo, &k, rows[i].mss);
        st_write(t, &k, 60000);
        synack_tcp_info info = st_info(&k);
        assert_int_equal(info.mss, rows[i].mss);
        assert_int_equal(info.cwnd, rows[i].iw);
        assert_int_equal(info.flight, rows[i].flight);
        st_drain(t); /* segments larger than st_seg holds */
        st_free(t);
    }
}

/* tcp_initial_cwnd = N: N segments. */
static void test_initial_window_configured(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_mss(newreno_iw4, &k, 1460);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 30000);
    st_expect_run(t, &k, S, 4 * MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_info(&k).cwnd, 4 * MSS);
    st_free(t);
}

/* RFC 5681 3.1: "If the SYN or SYN/ACK is lost, the initial window used
 * by a sender after a correctly transmitted SYN MUST be one segment
 * consisting of at most SMSS bytes." */
static void test_initial_window_after_syn_loss(void **state)
{
    (void)state;
    st *t = st_new(st_newreno);
    st_conn k;
    st_open_after_syn_loss(t, &k);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 30000);
    st_expect_run(t, &k, S, MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_info(&k).cwnd, MSS);
    st_ack(t, &k, S + MSS); /* slow start from there */
    st_expect_run(t, &k, S + MSS, 2 * MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* RFC 5681 3.1 slow start with RFC 3465 2.2 byte counting, L = 2: each ACK
 * grows cwnd by min(bytes acknowledged, 2*SMSS). An ACK of two segments
 * opens room for four; an ACK of four grows cwnd by two segments only. */
static void test_slow_start_abc(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_mss(st_newreno, &k, 1460);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 60000);
    st_expect_run(t, &k, S, 10 * MSS, MSS, false);
    st_expect_none(t);

    st_ack(t, &k, S + 2 * MSS);
    assert_int_equal(st_info(&k).cwnd, 12 * MSS);
    st_expect_run(t, &k, S + 10 * MSS, 4 * MSS, MSS, false);
    st_expect_none(t);

    st_ack(t, &k, S + 6 * MSS); /* 4 segments: +2*SMSS, not +4 */
    assert_int_equal(st_info(&k).cwnd, 14 * MSS);
    st_expect_run(t, &k, S + 14 * MSS, 6 * MSS, MSS, false); /* 14 - (14 - 6) in flight */
    st_expect_none(t);

    st_ack(t, &k, S + 6 * MSS + 100); /* a part of a segment: +100 bytes */
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cwnd, 14 * MSS + 100);
    assert_int_equal(info.flight, 14 * MSS - 100);
    st_expect_none(t); /* 200 bytes of room: cwnd lets whole segments only */
    st_free(t);
}

/* RFC 7661 4.3 (and RFC 5681 4.1's concern): the window grows only while it
 * is used; a flow that keeps little in flight does not inflate it. */
static void test_cwnd_not_grown_by_small_flight(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_mss(st_newreno, &k, 1460);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 1000);
    st_expect(t, F_ACK | F_PSH, S, k.irs + 1, 1000, NULL);
    st_ack(t, &k, S + 1000);
    assert_int_equal(st_info(&k).cwnd, 10 * MSS);
    st_free(t);
}

/* Slow start after a timeout. IW 4: the RTO gives ssthresh =
 * max(FlightSize / 2, 2*SMSS) = 2920 and cwnd = 1 SMSS (RFC 5681 3.1 eq. 4
 * and LW); one segment goes, SND.UNA's (RFC 6298 5.4). Its ACK grows cwnd
 * by min(N, 1*SMSS) (RFC 3465 2.3: L = 1 SMSS after a timeout) to 2920 =
 * ssthresh, and the go-back-N sends the next two. */
static void test_rto_one_segment_then_slow_start(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_time_out(newreno_iw4, &k);
    uint32_t S = k.iss + 1;
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cwnd, MSS);
    assert_int_equal(info.ssthresh, 2 * MSS);
    assert_int_equal(st_stat(t, "tcp_timeouts"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 1);

    st_ack(t, &k, S + MSS);
    info = st_info(&k);
    assert_int_equal(info.cwnd, 2 * MSS);
    assert_int_equal(info.ssthresh, 2 * MSS);
    st_expect_run(t, &k, S + MSS, 2 * MSS, MSS, false); /* sent again, in order */
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 3);
    st_free(t);
}

/* RFC 5681 3.1: "ssthresh ... MUST be set to no more than the value given
 * in equation (4)" on the first timeout; when the segment "has already
 * been retransmitted by the retransmission timer at least once, the value
 * of ssthresh is held constant". IW 10: ssthresh 7300, and again 7300 (not
 * max(1460 / 2, 2920)) when the retransmission times out too. */
static void test_repeated_rto_holds_ssthresh(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_time_out(st_newreno, &k);
    assert_int_equal(st_info(&k).ssthresh, 5 * MSS);
    st_expect_timeout(t, &k, 2 * ST_S, F_ACK, k.iss + 1, MSS); /* backed off (RFC 6298 5.5) */
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(info.cwnd, MSS);
    st_free(t);
}

/* Congestion avoidance (RFC 5681 3.1, RFC 3465 2.1 byte counting): once
 * cwnd >= ssthresh it grows by one SMSS when a whole cwnd of bytes has
 * been acknowledged. IW 4, a timeout: ssthresh = cwnd = 2920 after the
 * first ACK. */
static void test_congestion_avoidance(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_time_out(newreno_iw4, &k);
    uint32_t S = k.iss + 1;
    st_ack(t, &k, S + 4 * MSS); /* the peer had the rest */
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cwnd, 2 * MSS);
    assert_int_equal(info.ssthresh, 2 * MSS);
    st_expect_run(t, &k, S + 4 * MSS, 2 * MSS, MSS, false);
    st_expect_none(t);

    st_ack(t, &k, S + 5 * MSS); /* 1460 of 2920 counted: no growth */
    assert_int_equal(st_info(&k).cwnd, 2 * MSS);
    st_expect_run(t, &k, S + 6 * MSS, MSS, MSS, false);
    st_expect_none(t);

    st_ack(t, &k, S + 6 * MSS); /* 2920 counted: +1 SMSS */
    assert_int_equal(st_info(&k).cwnd, 3 * MSS);
    st_expect_run(t, &k, S + 7 * MSS, 2 * MSS, MSS, false);
    st_expect_none(t);

    st_ack(t, &k, S + 9 * MSS); /* 4380 of the next 4380: +1 SMSS */
    assert_int_equal(st_info(&k).cwnd, 4 * MSS);
    st_expect_run(t, &k, S + 9 * MSS, 4 * MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* RFC 5681 4.1: "if the TCP has not sent data in an interval exceeding the
 * retransmission timeout", cwnd = RW = min(IW, cwnd) before sending; after
 * a shorter pause the window stays. Slow start took cwnd to 12 segments;
 * the RTO is 1 s (rto_min). */
static void grow_to_12_segments(st *t, const st_conn *k)
{
    uint32_t S = k->iss + 1;
    st_write(t, k, 10 * MSS);
    st_expect_run(t, k, S, 10 * MSS, MSS, true); /* PSH: the end of the write */
    st_ack(t, k, S + 10 * MSS);
    assert_int_equal(st_info(k).cwnd, 12 * MSS);
    assert_int_equal(st_info(k).flight, 0);
}

static void test_restart_after_idle(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_mss(st_newreno, &k, 1460);
    uint32_t S = k.iss + 1;
    grow_to_12_segments(t, &k);
    st_advance(t, ST_S + ST_MS); /* idle for longer than the RTO */
    st_write(t, &k, 30000);
    st_expect_run(t, &k, S + 10 * MSS, 10 * MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cwnd, 10 * MSS);
    assert_int_equal(info.ssthresh, UINT32_MAX); /* kept */
    st_free(t);

    t = open_mss(st_newreno, &k, 1460);
    S = k.iss + 1;
    grow_to_12_segments(t, &k);
    st_advance(t, ST_S - ST_MS); /* not long enough */
    st_write(t, &k, 30000);
    st_expect_run(t, &k, S + 10 * MSS, 12 * MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_info(&k).cwnd, 12 * MSS);
    st_free(t);
}

/* synack_tcp_set_cc: the algorithm changes, cwnd and ssthresh stay (the
 * header's promise); unknown algorithms and listeners are refused where
 * the header says. */
static void test_set_cc_keeps_windows(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_time_out(newreno_iw4, &k);
    uint32_t S = k.iss + 1;
    assert_int_equal(st_info(&k).cc, SYNACK_CC_NEWRENO);
    assert_int_equal(synack_tcp_set_cc(k.c, SYNACK_CC_CUBIC), 0);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cc, SYNACK_CC_CUBIC);
    assert_int_equal(info.cwnd, MSS);
    assert_int_equal(info.ssthresh, 2 * MSS);
    assert_int_equal(synack_tcp_set_cc(k.c, (synack_cc_algo)7), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tcp_set_cc(NULL, SYNACK_CC_CUBIC), SYNACK_ERR_INVAL);
    assert_int_equal(st_info(&k).cc, SYNACK_CC_CUBIC);
    /* Slow start goes on under CUBIC: +1 SMSS (L = 1 after the timeout). */
    st_ack(t, &k, S + MSS);
    assert_int_equal(st_info(&k).cwnd, 2 * MSS);
    st_expect_run(t, &k, S + MSS, 2 * MSS, MSS, false);
    st_free(t);
}

/* The default algorithm is CUBIC (config.h), set_cc before the first write
 * chooses the one the window starts with; the IW does not depend on it. */
static void test_default_cc_and_set_before_write(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_mss(NULL, &k, 1460);
    assert_int_equal(st_info(&k).cc, SYNACK_CC_CUBIC);
    assert_int_equal(synack_tcp_set_cc(k.c, SYNACK_CC_NEWRENO), 0);
    assert_int_equal(st_info(&k).cc, SYNACK_CC_NEWRENO);
    st_write(t, &k, 30000);
    st_drain(t);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.cc, SYNACK_CC_NEWRENO);
    assert_int_equal(info.cwnd, 10 * MSS);
    st_free(t);
}

/* synack_tcp_get_info's other fields, and its refusals. */
static void test_get_info_fields(void **state)
{
    (void)state;
    st *t = st_new(st_newreno);
    st_conn k;
    st_peer p = {.mss = 1200, .sack = true, .win = 30000};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.state, SYNACK_TCP_ESTABLISHED);
    assert_int_equal(info.mss, 1200);
    assert_int_equal(info.snd_wnd, 30000);
    assert_int_equal(info.flight, 0);
    assert_true(info.sack);
    assert_false(info.timestamps);
    assert_false(info.nodelay);
    assert_false(info.in_recovery);
    assert_int_equal(info.sacked, 0);
    assert_int_equal(info.rto_us, 1000000); /* rto_min */
    st_write(t, &k, 5000);
    st_expect_run(t, &k, S, 5000, 1200, true);
    info = st_info(&k);
    assert_int_equal(info.flight, 5000);
    assert_int_equal(info.cwnd, 12000);
    assert_int_equal(synack_tcp_get_info(k.l, &info), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tcp_get_info(NULL, &info), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tcp_get_info(k.c, NULL), SYNACK_ERR_INVAL);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial_window_rfc6928),
        cmocka_unit_test(test_initial_window_large_mss),
        cmocka_unit_test(test_initial_window_configured),
        cmocka_unit_test(test_initial_window_after_syn_loss),
        cmocka_unit_test(test_slow_start_abc),
        cmocka_unit_test(test_cwnd_not_grown_by_small_flight),
        cmocka_unit_test(test_rto_one_segment_then_slow_start),
        cmocka_unit_test(test_repeated_rto_holds_ssthresh),
        cmocka_unit_test(test_congestion_avoidance),
        cmocka_unit_test(test_restart_after_idle),
        cmocka_unit_test(test_set_cc_keeps_windows),
        cmocka_unit_test(test_default_cc_and_set_before_write),
        cmocka_unit_test(test_get_info_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
