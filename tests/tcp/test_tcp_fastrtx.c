/* Fast retransmit and NewReno fast recovery without SACK (RFC 5681 2 and
 * 3.2, RFC 6582 3.2), segment by segment, and Karn's rule (RFC 6298 3).
 * The peer's SYN offers no SACK-permitted and no timestamps; MSS 1460,
 * NewReno, the initial window is 10 segments (RFC 6928). Segment i of the
 * first write starts at S + i*MSS. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

#define MSS    1460u
#define SEG(i) (S + (uint32_t)(i)*MSS)

/* Opens (handshake RTT @p rtt), writes 30000 bytes: segments 0-9 go. */
static st *open_and_fill(st_conn *k, uint64_t rtt)
{
    st_peer p = {.mss = 1460, .rtt = rtt};
    return st_open_written(k, &p, 30000);
}

static void dupacks(st *t, const st_conn *k, uint32_t ack, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        st_ack(t, k, ack);
}

/* RFC 3042 2 (RFC 5681 3.2 (1)): with Limited Transmit each of the first
 * two duplicate ACKs sends one new segment; the third starts the recovery
 * and ssthresh halves the flight without them (RFC 5681 3.2 (2): "MUST NOT
 * be included"): 10 segments, not 12. */
static void newreno_lt(synack_config *cfg)
{
    st_newreno(cfg);
    cfg->tcp_limited_transmit = true;
}

static void test_limited_transmit_without_sack(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(newreno_lt);
    st_peer p = {.mss = 1460};
    st_open_peer(t, &k, &p);
    st_write(t, &k, 30000);
    uint32_t S = k.iss + 1;
    st_expect_run(t, &k, S, 10u * MSS, MSS, false);
    st_expect_none(t);
    st_ack(t, &k, S);
    st_expect_run(t, &k, SEG(10), MSS, MSS, false);
    st_expect_none(t);
    st_ack(t, &k, S);
    st_expect_run(t, &k, SEG(11), MSS, MSS, false);
    st_expect_none(t);
    st_ack(t, &k, S);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.ssthresh, 5 * MSS);
    st_free(t);
}

/* RFC 5681 3.2 steps 1-4 with RFC 6582 3.2 steps 2-4, segment 0 lost: the
 * third duplicate ACK sends SND.UNA's segment again, exactly one segment;
 * ssthresh = max(FlightSize / 2, 2*SMSS) = 7300 (eq. 4), cwnd = ssthresh +
 * 3*SMSS. Each further duplicate ACK inflates cwnd by SMSS; new data goes
 * once cwnd exceeds the 10 segments in flight, one per duplicate ACK. */
static void test_three_dupacks_fast_retransmit(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 0);
    uint32_t S = k.iss + 1;
    dupacks(t, &k, S, 2);
    st_expect_none(t); /* no Limited Transmit (RFC 3042) */
    assert_false(st_info(&k).in_recovery);
    st_ack(t, &k, S);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(info.cwnd, 8 * MSS);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 3);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 1);

    dupacks(t, &k, S, 2); /* cwnd 9, 10 segments: nothing new */
    st_expect_none(t);
    assert_int_equal(st_info(&k).cwnd, 10 * MSS);
    for (unsigned i = 0; i < 4; i++) { /* cwnd 11..14: one new segment each */
        st_ack(t, &k, S);
        st_expect_run(t, &k, SEG(10 + i), MSS, MSS, false);
        st_expect_none(t);
    }
    info = st_info(&k);
    assert_int_equal(info.cwnd, 14 * MSS);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 9);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 1);

    /* RFC 6582 3.2 step 5, full acknowledgment (it covers `recover`,
     * SEG(10)): option (1), cwnd = min(ssthresh, max(FlightSize, SMSS) +
     * SMSS) with FlightSize = SEG(14) - SEG(11) = 3 segments: 4 segments,
     * one of them free. */
    st_ack(t, &k, SEG(11));
    info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, 4 * MSS);
    assert_int_equal(info.ssthresh, 5 * MSS);
    st_expect_run(t, &k, SEG(14), MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* The full ACK exactly at `recover`: FlightSize 4 segments, min(ssthresh =
 * 5, 4 + 1) = 5 segments: one new segment goes. */
static void test_full_ack_at_recover(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 0);
    uint32_t S = k.iss + 1;
    dupacks(t, &k, S, 3 + 6);
    st_drain(t); /* the retransmission and new segments 10-13 */
    assert_int_equal(st_info(&k).flight, 14 * MSS);
    st_ack(t, &k, SEG(10));
    synack_tcp_info info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, 5 * MSS);
    st_expect_run(t, &k, SEG(14), MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* RFC 6582 3.2 step 5, partial acknowledgment: segments 0 and 4 lost. The
 * ACK of the retransmitted segment 0 stops at segment 4: it is sent again
 * at once, cwnd deflates by the 4 segments acknowledged and gains one
 * back ("If the partial ACK acknowledges at least one SMSS of new data"),
 * a new segment goes if cwnd permits, and the recovery goes on - with no
 * second reduction of ssthresh however many duplicate ACKs follow (step 1
 * and 4: one window's losses halve the window once). */
static void test_partial_ack(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 0);
    uint32_t S = k.iss + 1;
    dupacks(t, &k, S, 3);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    dupacks(t, &k, S, 5); /* segments 1-3, 5-9: cwnd 13 segments */
    st_expect_run(t, &k, SEG(10), 3 * MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_info(&k).cwnd, 13 * MSS);

    st_ack(t, &k, SEG(4));
    st_expect_run(t, &k, SEG(4), MSS, MSS, false);  /* the next hole, at once */
    st_expect_run(t, &k, SEG(13), MSS, MSS, false); /* cwnd 10, 9 in flight */
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.cwnd, 10 * MSS); /* 13 - 4 + 1 */
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(st_stat(t, "tcp_partial_acks"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);

    dupacks(t, &k, SEG(4), 4); /* more duplicates: inflation only */
    st_expect_run(t, &k, SEG(14), 4 * MSS, MSS, false);
    st_expect_none(t);
    info = st_info(&k);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(info.cwnd, 14 * MSS);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);

    /* A partial ACK of less than one SMSS: deflate by it, add nothing. */
    st_ack(t, &k, SEG(4) + 1000);
    info = st_info(&k);
    assert_int_equal(info.cwnd, 14 * MSS - 1000);
    assert_int_equal(st_stat(t, "tcp_partial_acks"), 2);
    st_expect(t, F_ACK, SEG(4) + 1000, k.irs + 1, MSS, NULL); /* an SMSS from SND.UNA */
    st_expect_none(t); /* 14 segments less 1000 bytes in flight: cwnd is full */

    st_ack(t, &k, SEG(18)); /* full: FlightSize 0 */
    info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, 2 * MSS);
    st_expect_run(t, &k, SEG(18), 2 * MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* RFC 5681 2, DUPLICATE ACKNOWLEDGMENT: "(b) the incoming acknowledgment
 * carries no data, ... (e) the advertised window in the incoming
 * acknowledgment equals the advertised window in the last incoming
 * acknowledgment". An ACK that changes the window or carries data is no
 * duplicate; only the third true one starts the recovery. An ACK that
 * advances SND.UNA starts the count again (RFC 6675 5 "reset DupAcks"). */
static void test_what_is_not_a_dupack(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 0);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_ack(t, &k, S);                              /* 1 */
    st_ack_full(t, &k, S, 60000, 0, NULL, 0);      /* window changed */
    st_ack_full(t, &k, S, 60000, 0, NULL, 0);      /* 2 */
    st_in_w(t, &k, F_ACK, R, S, 60000, "data", 4); /* carries data */
    st_expect(t, F_ACK, SEG(10), R + 4, 0, NULL);  /* the ACK of it */
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 2);
    assert_false(st_info(&k).in_recovery);
    st_in_w(t, &k, F_ACK, R + 4, S, 60000, NULL, 0); /* 3 */
    st_expect(t, F_ACK, SEG(0), R + 4, MSS, NULL);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 3);
    assert_true(st_info(&k).in_recovery);
    st_free(t);

    t = open_and_fill(&k, 0);
    S = k.iss + 1;
    dupacks(t, &k, S, 2);
    st_ack(t, &k, SEG(1)); /* new data acknowledged */
    st_drain(t);
    dupacks(t, &k, SEG(1), 2);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 4);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 0);
    st_ack(t, &k, SEG(1));
    st_expect_run(t, &k, SEG(1), MSS, MSS, false);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    st_free(t);
}

/* RFC 6582 3.2 step 1: duplicate ACKs whose cumulative ACK does not cover
 * more than `recover` do not start a fast retransmit. After a timeout
 * `recover` is SND.MAX then (RFC 6582 4.2: the duplicates that go-back-N
 * causes); once SND.UNA passes it, three duplicates do again. */
static void test_no_fast_retransmit_below_recover(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 0);
    uint32_t S = k.iss + 1;
    st_expect_timeout(t, &k, ST_S, F_ACK, SEG(0), MSS);
    st_ack(t, &k, SEG(1));
    st_expect_run(t, &k, SEG(1), 2 * MSS, MSS, false); /* slow start: cwnd 2 */
    dupacks(t, &k, SEG(1), 3);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, 2 * MSS);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 0);

    st_ack(t, &k, SEG(10)); /* all that went before the timeout: cwnd 3 */
    st_expect_run(t, &k, SEG(10), 3 * MSS, MSS, false);
    dupacks(t, &k, SEG(10), 3);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    st_expect_run(t, &k, SEG(10), MSS, MSS, false);
    /* ssthresh = max(3 segments / 2, 2*SMSS); cwnd = 2 + 3 segments, 3 in
     * flight: two new segments go. */
    info = st_info(&k);
    assert_int_equal(info.ssthresh, 2 * MSS);
    assert_int_equal(info.cwnd, 5 * MSS);
    st_expect_run(t, &k, SEG(13), 2 * MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* Karn's rule (RFC 6298 3): "RTT samples MUST NOT be made using segments
 * that were retransmitted". The handshake's RTT is 100 ms: SRTT 100 ms,
 * RTTVAR 50 ms (2.2). The ACK of a segment sent again by the timer, 10 ms
 * after the retransmission, leaves both alone; the next new segment is
 * timed again: a 50 ms sample gives SRTT = 7/8 * 100 + 1/8 * 50 = 93.75
 * ms and RTTVAR = 3/4 * 50 + 1/4 * |100 - 50| = 50 ms (2.3). */
static void test_karn_after_timeout(void **state)
{
    (void)state;
    st *t = st_new(st_newreno);
    st_conn k;
    st_peer p = {.mss = 1460, .rtt = 100 * ST_MS};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.srtt_us, 100000);
    assert_int_equal(info.rttvar_us, 50000);
    st_write(t, &k, 1000);
    st_expect(t, F_ACK | F_PSH, S, k.irs + 1, 1000, NULL);
    st_expect_timeout(t, &k, ST_S, F_ACK | F_PSH, S, 1000);
    st_advance(t, 10 * ST_MS);
    st_ack(t, &k, S + 1000);
    info = st_info(&k);
    assert_int_equal(info.srtt_us, 100000);
    assert_int_equal(info.rttvar_us, 50000);

    st_write(t, &k, 1000);
    st_expect(t, F_ACK | F_PSH, S + 1000, k.irs + 1, 1000, NULL);
    st_advance(t, 50 * ST_MS);
    st_ack(t, &k, S + 2000);
    info = st_info(&k);
    assert_int_equal(info.srtt_us, 93750);
    assert_int_equal(info.rttvar_us, 50000);
    st_free(t);
}

/* Karn's rule across a fast retransmit: segment 0 was the one timed; the
 * ACK that covers it after its retransmission gives no sample. */
static void test_karn_after_fast_retransmit(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k, 100 * ST_MS);
    uint32_t S = k.iss + 1;
    st_advance(t, 20 * ST_MS);
    dupacks(t, &k, S, 3);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_advance(t, 100 * ST_MS);
    st_ack(t, &k, SEG(10));
    synack_tcp_info info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.srtt_us, 100000);
    assert_int_equal(info.rttvar_us, 50000);
    st_free(t);
}

/* A recovery whose window holds our FIN (sent alone after the write's
 * segments, the congestion window full: it carries no data) ends only with
 * an ACK of the FIN, `recover` being SND.MAX past it. The ACK of all data
 * is partial: the FIN is the next "first unacknowledged segment" (RFC 6582
 * 3.2 step 5) and goes again at once; its ACK moves FIN-WAIT-1 to
 * FIN-WAIT-2. */
static void test_recovery_with_fin(void **state)
{
    (void)state;
    st *t = st_new(st_newreno);
    st_conn k;
    st_peer p = {.mss = 1460};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 10 * MSS);
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect_run(t, &k, S, 10 * MSS, MSS, true);
    st_expect(t, F_ACK | F_FIN, SEG(10), k.irs + 1, 0, NULL);
    st_expect_none(t);
    dupacks(t, &k, S, 3);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    st_ack(t, &k, SEG(10)); /* all data, not the FIN: partial */
    st_expect(t, F_ACK | F_FIN, SEG(10), k.irs + 1, 0, NULL);
    st_expect_none(t);
    assert_true(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_partial_acks"), 1);
    st_ack(t, &k, SEG(10) + 1);
    assert_false(st_info(&k).in_recovery);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    st_free(t);
}

/* CUBIC (the default, RFC 9438 4.6): the third duplicate ACK sets
 * ssthresh = flight_size * beta_cubic = 0.7 * 10 segments = 10220, and the
 * Reno inflation of RFC 6582 applies on top: cwnd = ssthresh + 3*SMSS =
 * 14600 = the flight, so the fourth duplicate lets one new segment out. */
static void no_limited_transmit(synack_config *cfg)
{
    cfg->tcp_limited_transmit = false; /* CUBIC stays the default */
}

static void test_cubic_reduction(void **state)
{
    (void)state;
    st *t = st_new(no_limited_transmit);
    st_conn k;
    st_peer p = {.mss = 1460};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    assert_int_equal(st_info(&k).cc, SYNACK_CC_CUBIC);
    st_write(t, &k, 30000);
    st_drain(t);
    dupacks(t, &k, S, 3);
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.ssthresh, 10220);
    assert_int_equal(info.cwnd, 10220 + 3 * MSS);
    st_ack(t, &k, S);
    st_expect_run(t, &k, SEG(10), MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_dupacks_fast_retransmit),
        cmocka_unit_test(test_limited_transmit_without_sack),
        cmocka_unit_test(test_full_ack_at_recover),
        cmocka_unit_test(test_partial_ack),
        cmocka_unit_test(test_what_is_not_a_dupack),
        cmocka_unit_test(test_no_fast_retransmit_below_recover),
        cmocka_unit_test(test_karn_after_timeout),
        cmocka_unit_test(test_karn_after_fast_retransmit),
        cmocka_unit_test(test_cubic_reduction),
        cmocka_unit_test(test_recovery_with_fin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
