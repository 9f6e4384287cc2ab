/* SACK-based loss recovery (RFC 6675, RFC 2018), segment by segment: the
 * scoreboard, IsLost, the start of a recovery, NextSeg's rules under cwnd
 * - pipe, its end at RecoveryPoint, and what a timeout does with the
 * scoreboard. The peer's SYN offers SACK-permitted (no timestamps); MSS
 * 1460, NewReno, initial window 10 segments; segment i of the first write
 * starts at S + i*MSS. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

#define MSS    1460u
#define SEG(i) (S + (uint32_t)(i)*MSS)

/* Opens with SACK and writes @p n bytes, at least 10 segments: segments
 * 0-9 go (PSH on 9 if it ends the write). With exactly 10 segments written
 * nothing new is left for Limited Transmit (RFC 6675 5 (3)) to send. */
static st *open_and_write(st_conn *k, uint32_t n)
{
    st_peer p = {.mss = 1460, .sack = true};
    return st_open_written(k, &p, n);
}

static st *open_and_fill(st_conn *k)
{
    return open_and_write(k, 10 * MSS);
}

/* Segment 0 lost, 1-3 SACKed in one ACK: IsLost(0), the recovery starts
 * with segment 0 sent again, nothing else (pipe 7 > cwnd 5). */
static void recover_segment_0(st *t, const st_conn *k)
{
    uint32_t S = k->iss + 1;
    st_ack_sack(t, k, S, SEG(1), SEG(4));
    st_expect_run(t, k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    assert_true(st_info(k).in_recovery);
}

/* RFC 6675 4 Update() and 2's DupAck: blocks within [SND.UNA, SND.MAX)
 * mark data SACKed; an ACK that SACKs nothing new is no duplicate. A
 * D-SACK (RFC 2883: below the cumulative ACK), a block beyond SND.MAX or
 * reaching past it, and an empty or reversed one add nothing. The
 * cumulative ACK takes SACKed data off the scoreboard. */
static void test_scoreboard(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(2), SEG(3));
    assert_int_equal(st_info(&k).sacked, MSS);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 1);
    st_ack_sack(t, &k, S, SEG(2), SEG(3));                 /* nothing new */
    st_ack_sack(t, &k, S, S - 1000, S, SEG(2), SEG(3));    /* D-SACK first */
    st_ack_sack(t, &k, S, SEG(10), SEG(11));               /* beyond SND.MAX */
    st_ack_sack(t, &k, S, SEG(9), SEG(10) + 1);            /* reaching past it */
    st_ack_sack(t, &k, S, SEG(5), SEG(4), SEG(6), SEG(6)); /* reversed, empty */
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.sacked, MSS);
    assert_false(info.in_recovery);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 1);
    st_expect_none(t);

    st_ack_sack(t, &k, S, SEG(4), SEG(5), SEG(2), SEG(3));
    assert_int_equal(st_info(&k).sacked, 2 * MSS);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 2);
    st_ack_sack(t, &k, SEG(3), SEG(4), SEG(5)); /* cumulative past the first */
    assert_int_equal(st_info(&k).sacked, MSS);
    assert_int_equal(st_stat(t, "tcp_sack_blocks_ignored"), 0);
    st_free(t);
}

/* The scoreboard holds SK_SND_SACK_RANGES (32) disjoint ranges; a block
 * that would need a 33rd is ignored and counted (its data may be sent
 * again, never taken for delivered). */
static void test_scoreboard_full(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    for (uint32_t i = 0; i < 33; i += 3) {
        uint32_t e[6];
        for (uint32_t j = 0; j < 3; j++) {
            e[2 * j] = S + 200 * (i + j) + 100;
            e[2 * j + 1] = e[2 * j] + 100;
        }
        st_ack_full(t, &k, S, ST_WIN, 3, e, 0);
    }
    assert_int_equal(st_info(&k).sacked, 32 * 100);
    assert_int_equal(st_stat(t, "tcp_sack_blocks_ignored"), 1);
    st_free(t);
}

/* RFC 6675 5 (2): "If DupAcks < DupThresh but IsLost (HighACK + 1) returns
 * true", the recovery starts. IsLost (4): more than (DupThresh - 1) * SMSS
 * bytes SACKed above: two segments are not enough, three are - on the
 * second duplicate ACK. (4.1)-(4.3): RecoveryPoint = HighData, ssthresh =
 * cwnd = FlightSize / 2 (eq. 4 of RFC 5681: 7300), and SND.UNA's segment
 * goes at once; no more, as the pipe (10 segments less the 3 SACKed) is
 * above cwnd. */
static void test_islost_before_three_dupacks(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(1), SEG(3));
    st_expect_none(t);
    assert_false(st_info(&k).in_recovery);
    st_ack_sack(t, &k, S, SEG(1), SEG(4));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(info.cwnd, 5 * MSS);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 2);
    assert_int_equal(st_stat(t, "tcp_sack_recoveries"), 1);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 0);
    st_free(t);
}

/* IsLost's other arm: DupThresh discontiguous SACKed ranges above, in one
 * ACK (the first duplicate). */
static void test_islost_three_ranges(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(6), SEG(7), SEG(4), SEG(5), SEG(2), SEG(3));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t);
    assert_true(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_dupacks_in"), 1);
    st_free(t);
}

/* A retransmission never carries SACKed data: the hole below a block that
 * starts mid-segment is resent up to the block's edge. */
static void test_retransmission_stops_at_sacked_data(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, S + 1000, SEG(4));
    st_expect(t, F_ACK, S, k.irs + 1, 1000, NULL);
    st_expect_none(t);
    st_free(t);
}

/* Segments 0 and 2 lost. The third duplicate ACK starts the recovery with
 * segment 0. Then, each time cwnd - pipe reaches an SMSS (5 (C)), NextSeg:
 * rule (1) resends segment 2 once IsLost says so (three segments SACKed
 * above it), skipping the SACKed segment 1; rule (2) sends new data when
 * no hole is lost. The pipe (SetPipe, 4): unSACKed octets not lost, plus
 * those retransmitted (below HighRxt). The recovery ends with the ACK of
 * RecoveryPoint (SEG(10)), not before. */
static void test_nextseg_rules(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(1), SEG(2));
    st_ack_sack(t, &k, S, SEG(3), SEG(4), SEG(1), SEG(2));
    st_expect_none(t);
    st_ack_sack(t, &k, S, SEG(3), SEG(5), SEG(1), SEG(2));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t); /* pipe: 7 unSACKed, 0 lost and resent: 7 > cwnd 5 */

    st_ack_sack(t, &k, S, SEG(3), SEG(6), SEG(1), SEG(2));
    st_expect_none(t); /* pipe: 6 - 2 lost + 1 resent = 5 = cwnd */

    st_ack_sack(t, &k, S, SEG(3), SEG(7), SEG(1), SEG(2));
    st_expect_run(t, &k, SEG(2), MSS, MSS, false); /* rule 1; pipe 4 before */
    st_expect_none(t);
    st_write(t, &k, 10 * MSS); /* new data for rule 2; the pipe holds it */
    st_expect_none(t);

    st_ack_sack(t, &k, S, SEG(3), SEG(8), SEG(1), SEG(2));
    st_expect_run(t, &k, SEG(10), MSS, MSS, false); /* rule 2: 8, 9 are not lost */
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);

    st_ack_sack(t, &k, SEG(2), SEG(3), SEG(8)); /* segment 0 arrived */
    st_expect_run(t, &k, SEG(11), MSS, MSS, false);
    st_expect_none(t);
    st_ack(t, &k, SEG(8)); /* segment 2 arrived: below RecoveryPoint */
    st_expect_run(t, &k, SEG(12), MSS, MSS, false);
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.cwnd, 5 * MSS);
    assert_int_equal(info.sacked, 0);

    /* RecoveryPoint: the recovery ends; cwnd = min(ssthresh, FlightSize +
     * SMSS) as for NewReno (RFC 6582 3.2 step 5 option 1). */
    st_ack(t, &k, SEG(10));
    info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, 4 * MSS);
    st_expect_run(t, &k, SEG(13), MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_sack_recoveries"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);
    st_free(t);
}

/* RFC 6675 5.1: after a timeout the go-back-N resends in order from
 * SND.UNA, in slow start, but not what the scoreboard says the peer holds
 * ("the data sender SHOULD use the SACK information": segments 2 and 3). */
static void test_rto_go_back_skips_sacked(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(2), SEG(4));
    assert_false(st_info(&k).in_recovery);
    st_expect_timeout(t, &k, ST_S, F_ACK, SEG(0), MSS);
    st_expect_none(t);
    assert_int_equal(st_info(&k).sacked, 2 * MSS);
    st_ack_sack(t, &k, SEG(1), SEG(2), SEG(4)); /* cwnd 2 segments */
    st_expect_run(t, &k, SEG(1), MSS, MSS, false);
    st_expect_run(t, &k, SEG(4), MSS, MSS, false);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 3);
    /* No SACK recovery from the duplicates the go-back draws while SND.UNA
     * is below RecoveryPoint (RFC 6675 5.1): the go-back goes on, past
     * what is SACKed now, as the resent segment 4 left the network. */
    st_ack_sack(t, &k, SEG(1), SEG(2), SEG(8));
    st_expect_run(t, &k, SEG(8), MSS, MSS, false);
    st_expect_none(t);
    st_ack_sack(t, &k, SEG(1), SEG(2), SEG(9)); /* and segment 8 again */
    st_expect_run(t, &k, SEG(9), MSS, MSS, true);
    st_expect_none(t);
    assert_false(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_sack_recoveries"), 0);
    st_free(t);
}

/* RFC 2018 8: the receiver may renege on SACKed data. When SND.UNA's
 * segment times out a second time the scoreboard is forgotten and the
 * go-back sends the once-SACKed segments too. */
static void test_second_rto_forgets_scoreboard(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(2), SEG(4));
    st_expect_timeout(t, &k, ST_S, F_ACK, SEG(0), MSS);
    assert_int_equal(st_info(&k).sacked, 2 * MSS);
    st_expect_timeout(t, &k, 2 * ST_S, F_ACK, SEG(0), MSS);
    st_expect_none(t);
    assert_int_equal(st_info(&k).sacked, 0);
    st_ack(t, &k, SEG(1));
    st_expect_run(t, &k, SEG(1), 2 * MSS, MSS, false);
    st_expect_none(t);
    st_free(t);
}

/* NextSeg rule (3): no lost hole, no new data to send (the write was 10
 * segments), and an unSACKed segment above HighRxt lies below the highest
 * SACKed octet: it is resent. Segments 0 and 4 lost, 1-3 and 5-6 SACKed:
 * segment 4 has only two segments SACKed above it, so IsLost(4) is false
 * and rule (1) does not take it. */
static void test_nextseg_rule3(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    recover_segment_0(t, &k);
    st_ack_sack(t, &k, S, SEG(5), SEG(7), SEG(1), SEG(4));
    st_expect_none(t);                          /* pipe: 0 (resent), 4, 7, 8, 9 = 5 = cwnd */
    st_ack_sack(t, &k, SEG(4), SEG(5), SEG(7)); /* pipe: 4, 7, 8, 9 */
    st_expect_run(t, &k, SEG(4), MSS, MSS, false);
    st_expect_none(t);
    assert_true(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);
    st_free(t);
}

/* The end of the window lost as well as its start: segments 0 and 9 (the
 * last, with nothing new to send). IsLost cannot declare segment 9
 * (nothing is SACKed above it) and rules (1)-(3) do not take it. NextSeg
 * rule (4): "we provide the opportunity for a single "rescue"
 * retransmission per entry into loss recovery. If HighACK is greater than
 * RescueRxt (or RescueRxt is undefined), then one segment of upto SMSS
 * octets that MUST include the highest outstanding unSACKed sequence
 * number SHOULD be returned ... HighRxt MUST NOT be updated." The pipe (2
 * segments) leaves room at once; one rescue only, so the partial ACK that
 * follows sends nothing. When that number is our FIN, the FIN goes alone. */
static void test_rescue_retransmission(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(1), SEG(9));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_run(t, &k, SEG(9), MSS, MSS, true);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 2);
    st_ack(t, &k, SEG(9));
    st_expect_none(t);
    assert_true(st_info(&k).in_recovery);
    st_ack(t, &k, SEG(10));
    assert_false(st_info(&k).in_recovery);
    st_free(t);

    t = open_and_fill(&k);
    S = k.iss + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_ACK | F_FIN, SEG(10), k.irs + 1, 0, NULL);
    st_ack_sack(t, &k, S, SEG(1), SEG(10));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect(t, F_ACK | F_FIN, SEG(10), k.irs + 1, 0, NULL);
    st_expect_none(t);
    st_ack(t, &k, SEG(10) + 1);
    assert_false(st_info(&k).in_recovery);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    st_free(t);
}

/* RFC 6675 5 (3): on the first and second duplicate ACK, with no loss
 * shown yet, new data may go as far as cwnd - pipe allows (Limited
 * Transmit): each SACKed segment lets one out. The third starts the
 * recovery; RFC 5681 3.2 (2): "additional data sent in limited transmit
 * MUST NOT be included" in the FlightSize that ssthresh halves, so
 * ssthresh = cwnd = 10 segments / 2. RecoveryPoint is HighData, past them. */
static void test_limited_transmit(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_write(&k, 30000);
    uint32_t S = k.iss + 1;
    st_ack_sack(t, &k, S, SEG(1), SEG(2));
    st_expect_run(t, &k, SEG(10), MSS, MSS, false);
    st_expect_none(t);
    st_ack_sack(t, &k, S, SEG(1), SEG(3));
    st_expect_run(t, &k, SEG(11), MSS, MSS, false);
    st_expect_none(t);
    assert_false(st_info(&k).in_recovery);
    assert_int_equal(st_info(&k).cwnd, 10 * MSS);
    st_ack_sack(t, &k, S, SEG(1), SEG(4));
    st_expect_run(t, &k, SEG(0), MSS, MSS, false);
    st_expect_none(t); /* pipe: 12 - 3 SACKed = 9 > 5 */
    synack_tcp_info info = st_info(&k);
    assert_true(info.in_recovery);
    assert_int_equal(info.ssthresh, 5 * MSS);
    assert_int_equal(info.cwnd, 5 * MSS);
    st_ack(t, &k, SEG(10)); /* below RecoveryPoint SEG(12): recovery goes on */
    assert_true(st_info(&k).in_recovery);
    st_drain(t);
    st_ack(t, &k, SEG(12));
    assert_false(st_info(&k).in_recovery);
    st_free(t);
}

/* RFC 6675 5.1: "If an RTO occurs during loss recovery ... RecoveryPoint
 * MUST be set to HighData ... the loss recovery algorithm ... MUST be
 * terminated ... a new recovery phase ... MUST NOT be initiated until
 * HighACK is greater than or equal to the new value of RecoveryPoint."
 * The timeout takes cwnd to 1 SMSS (RFC 5681 3.1); the go-back resends
 * what the scoreboard does not hold, duplicates with news of losses start
 * no recovery. */
static void test_rto_during_recovery(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_and_fill(&k);
    uint32_t S = k.iss + 1;
    recover_segment_0(t, &k);
    st_expect_timeout(t, &k, ST_S, F_ACK, SEG(0), MSS); /* 1 s after the first send */
    st_expect_none(t);
    synack_tcp_info info = st_info(&k);
    assert_false(info.in_recovery);
    assert_int_equal(info.cwnd, MSS);
    st_ack_sack(t, &k, SEG(4), SEG(5), SEG(8)); /* segment 4 lost too */
    st_expect_run(t, &k, SEG(4), MSS, MSS, false);
    st_expect_run(t, &k, SEG(8), MSS, MSS, false);
    st_expect_none(t);
    st_ack_sack(t, &k, SEG(4), SEG(5), SEG(9)); /* 8 left the network */
    st_expect_run(t, &k, SEG(9), MSS, MSS, true);
    st_ack_sack(t, &k, SEG(4), SEG(5), SEG(10));
    st_expect_none(t);
    assert_false(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_sack_recoveries"), 1);
    st_ack(t, &k, SEG(10));
    assert_false(st_info(&k).in_recovery);
    st_expect_none(t);
    assert_int_equal(st_info(&k).flight, 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scoreboard),
        cmocka_unit_test(test_scoreboard_full),
        cmocka_unit_test(test_islost_before_three_dupacks),
        cmocka_unit_test(test_islost_three_ranges),
        cmocka_unit_test(test_retransmission_stops_at_sacked_data),
        cmocka_unit_test(test_nextseg_rules),
        cmocka_unit_test(test_nextseg_rule3),
        cmocka_unit_test(test_rescue_retransmission),
        cmocka_unit_test(test_limited_transmit),
        cmocka_unit_test(test_rto_go_back_skips_sacked),
        cmocka_unit_test(test_second_rto_forgets_scoreboard),
        cmocka_unit_test(test_rto_during_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
