/* SEGMENT ARRIVES in a synchronized state (RFC 9293 3.10.7.4), step by
 * step: the four cases of the sequence test and the trimming to the
 * window (first), the ACK field with RFC 5961 5.2's bounds and the window
 * update rule (fifth), URG (sixth), text in the states that take it and in
 * those that ignore it (seventh), FIN in SYN-RECEIVED (eighth). Steps two
 * and four are in test_tcp_rst.c and test_tcp_syn.c; tests/tcp/COVERAGE.md
 * maps every rule to its test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define WND 65535u

static uint8_t pattern[4096];

static void fill_pattern(void)
{
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + 3);
}

/* First step, SEG.LEN = 0 and RCV.WND > 0: acceptable iff "RCV.NXT =<
 * SEG.SEQ < RCV.NXT+RCV.WND". An acceptable empty ACK draws nothing; "If an
 * incoming segment is not acceptable, an acknowledgment should be sent in
 * reply ... <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" and it is dropped. */
static void test_seq_check_empty_segment(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    uint32_t S = p.snd_nxt, R = p.rcv_nxt;
    st_in(t, &k, F_ACK, R, S, NULL, 0);
    st_in(t, &k, F_ACK, R + WND - 1, S, NULL, 0);
    st_expect_none(t);
    st_in(t, &k, F_ACK, R + WND, S, NULL, 0);
    st_expect_w(t, F_ACK, S, R, WND, 0, NULL);
    st_in(t, &k, F_ACK, R - 1, S, NULL, 0);
    st_expect_at(t, F_ACK, S, R, 0, t->now);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_unacceptable"), 2);
    st_free(t);
}

/* First step, SEG.LEN > 0 and RCV.WND > 0: acceptable iff "RCV.NXT =<
 * SEG.SEQ < RCV.NXT+RCV.WND or RCV.NXT =< SEG.SEQ+SEG.LEN-1 <
 * RCV.NXT+RCV.WND". A wholly old segment (a retransmission) is ACKed and
 * dropped; one that straddles RCV.NXT is trimmed: "only the new parts are
 * processed". */
static void test_seq_check_data_segment(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    uint32_t S = p.snd_nxt, R = p.rcv_nxt;
    st_in(t, &k, F_ACK | F_PSH, R, S, "abc", 3);
    st_expect(t, F_ACK, S, R + 3, 0, NULL);
    st_in(t, &k, F_ACK | F_PSH, R, S, "abc", 3); /* wholly old */
    st_expect_w(t, F_ACK, S, R + 3, WND - 3, 0, NULL);
    st_in(t, &k, F_ACK | F_PSH, R + 1, S, "bcdef", 5); /* straddles: "def" is new */
    st_expect_w(t, F_ACK, S, R + 6, WND - 6, 0, NULL);
    st_expect_none(t);
    char b[16];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 6);
    assert_memory_equal(b, "abcdef", 6);
    st_free(t);
}

/* The right edge: text beyond RCV.NXT+RCV.WND is cut ("only the portion
 * within the window"), and a FIN beyond it is not taken; a segment wholly
 * beyond the window is not acceptable: ACK, drop. */
static void tweak_rcvbuf_1024(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 1024;
}

static void test_seq_check_right_edge(void **state)
{
    (void)state;
    fill_pattern();
    st *t = st_new(tweak_rcvbuf_1024);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R + 1024, S, pattern, 10); /* wholly beyond */
    st_expect_w(t, F_ACK, S, R, 1024, 0, NULL);
    st_in(t, &k, F_ACK | F_FIN, R, S, pattern, 1100);
    st_expect_w(t, F_ACK, S, R + 1024, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    static uint8_t b[2048];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 1024);
    assert_memory_equal(b, pattern, 1024);
    st_free(t);
}

/* First step with RCV.WND = 0: "If the RCV.WND is zero, no segments will be
 * acceptable, but special allowance should be made to accept valid ACKs,
 * URGs, and RSTs." An empty segment at RCV.NXT is acceptable (case 1); text
 * or a FIN is not ("SEG.LEN > 0, RCV.WND = 0: not acceptable") and is
 * answered with the ACK that repeats the zero window - but the ACK it
 * carries is taken: our data is acknowledged and not sent again. */
static void test_seq_check_zero_window(void **state)
{
    (void)state;
    fill_pattern();
    st *t = st_new(tweak_rcvbuf_1024);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R, S, pattern, 1024);
    st_expect_w(t, F_ACK, S, R + 1024, 0, 0, NULL);
    R += 1024;
    assert_int_equal(synack_tcp_send(k.c, "0123456789", 10, t->now), 10);
    st_expect_w(t, F_ACK | F_PSH, S, R, 0, 10, NULL);
    /* text at RCV.NXT that acknowledges ours: ACK taken, text not */
    st_in(t, &k, F_ACK | F_PSH, R, S + 10, "x", 1);
    st_expect_w(t, F_ACK, S + 10, R, 0, 0, NULL);
    assert_int_equal(st_wait_output(t, 5 * ST_S), UINT64_MAX); /* nothing to retransmit */
    /* a FIN at RCV.NXT: not taken either */
    st_in(t, &k, F_ACK | F_FIN, R, S + 10, NULL, 0);
    st_expect_w(t, F_ACK, S + 10, R, 0, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    /* empty: at RCV.NXT acceptable and silent, anywhere else an ACK */
    st_in(t, &k, F_ACK, R, S + 10, NULL, 0);
    st_expect_none(t);
    st_in(t, &k, F_ACK, R + 1, S + 10, NULL, 0);
    st_expect_w(t, F_ACK, S + 10, R, 0, 0, NULL);
    st_expect_none(t);
    static uint8_t b[2048];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 1024);
    /* the window update after the read (RFC 9293 3.8.6.2.2) */
    st_expect_w(t, F_ACK, S + 10, R, 1024, 0, NULL);
    st_free(t);
}

/* Fifth step: "if the ACK bit is off, drop the segment and return" - text
 * and FIN included, with no reply. */
static void test_ack_bit_off_dropped(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_PSH, p.rcv_nxt, 0, "abc", 3);
    st_in(t, &k, F_FIN, p.rcv_nxt, 0, NULL, 0);
    st_in(t, &k, 0, p.rcv_nxt, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_bad_ack"), 3);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), SYNACK_ERR_AGAIN);
    /* the same text with the ACK bit is taken */
    st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt, p.snd_nxt, "abc", 3);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 3, 0, NULL);
    st_free(t);
}

/* Fifth step, SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
 * ESTABLISHED state ... If the segment acknowledgment is not acceptable,
 * form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it." The child stays
 * in SYN-RECEIVED; the right ACK still completes it. */
static void test_syn_rcvd_unacceptable_ack(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss, 65535, NULL, NULL, 0);
    st_expect_w(t, F_RST, iss, 0, 0, 0, NULL);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK | F_PSH, 501, iss + 2, 65535, NULL, "ab", 2);
    st_expect(t, F_RST, iss + 2, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), SYNACK_ERR_AGAIN);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    st_free(t);
}

/* Fifth step, ESTABLISHED, with RFC 5961 5.2: "All incoming segments whose
 * ACK value doesn't satisfy the above condition [(SND.UNA - MAX.SND.WND) =<
 * SEG.ACK =< SND.NXT] MUST be discarded and an ACK sent back." (RFC 9293:
 * "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an
 * ACK, drop the segment, and return.") The ACK is a challenge ACK (rate
 * limited). Both edges exactly; an old ACK within the bound is a duplicate
 * ("it can be ignored") and its text is taken. */
static void test_ack_number_bounds(void **state)
{
    (void)state;
    fill_pattern();
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    uint32_t S = p.snd_nxt, R = p.rcv_nxt;
    assert_int_equal(synack_tcp_send(k.c, pattern, 100, t->now), 100);
    st_expect(t, F_ACK | F_PSH, S, R, 100, NULL);
    /* beyond SND.NXT: challenge ACK, text dropped */
    st_in(t, &k, F_ACK | F_PSH, R, S + 101, "a", 1);
    st_expect(t, F_ACK, S + 100, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_challenge_acks"), 1);
    /* exactly SND.NXT: everything acknowledged, text taken */
    st_in(t, &k, F_ACK | F_PSH, R, S + 100, "a", 1);
    st_expect(t, F_ACK, S + 100, R + 1, 0, NULL);
    assert_int_equal(st_wait_output(t, 5 * ST_S), UINT64_MAX); /* no retransmission */
    /* exactly SND.UNA - MAX.SND.WND (65535): an old duplicate, text taken */
    st_in(t, &k, F_ACK | F_PSH, R + 1, S + 100 - WND, "b", 1);
    st_expect(t, F_ACK, S + 100, R + 2, 0, NULL);
    /* one below: challenge ACK, text dropped */
    st_in(t, &k, F_ACK | F_PSH, R + 2, S + 100 - WND - 1, "c", 1);
    st_expect(t, F_ACK, S + 100, R + 2, 0, NULL);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_challenge_acks"), 2);
    char b[8];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 2);
    assert_memory_equal(b, "ab", 2);
    st_free(t);
}

/* Fifth step, the send window: "If SND.UNA =< SEG.ACK =< SND.NXT, the send
 * window should be updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
 * SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
 * set SND.WL2 <- SEG.ACK." "This prevents using old segments to update the
 * window." Observed through what we send: only as much as the window. */
static void test_window_update_rules(void **state)
{
    (void)state;
    fill_pattern();
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    uint32_t S = p.snd_nxt, R = p.rcv_nxt;
    assert_int_equal(synack_tcp_send(k.c, pattern, 100, t->now), 100);
    st_expect(t, F_ACK | F_PSH, S, R, 100, NULL);
    st_in_w(t, &k, F_ACK, R, S + 100, 300, NULL, 0); /* WL1 = R, WL2 = S+100: window 300 */
    /* reordered older segment: same SEQ, older ACK, bigger window: not used */
    st_in_w(t, &k, F_ACK, R, S + 50, 60000, NULL, 0);
    st_expect_none(t);
    /* text at R with the same ACK: used (WL1 = SEG.SEQ, WL2 = SEG.ACK), window 200 */
    st_in_w(t, &k, F_ACK | F_PSH, R, S + 100, 200, "z", 1);
    st_expect(t, F_ACK, S + 100, R + 1, 0, NULL);
    /* newer SEQ (SND.WL1 < SEG.SEQ) but SEG.ACK below SND.UNA: not used */
    st_in_w(t, &k, F_ACK | F_PSH, R + 1, S + 50, 60000, "y", 1);
    st_expect(t, F_ACK, S + 100, R + 2, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_send(k.c, pattern, 1000, t->now), 1000);
    st_expect(t, F_ACK, S + 100, R + 2, 200, NULL);
    st_expect_none(t);
    /* a newer segment with SEG.ACK = SND.UNA is used: the window reaches
     * S+600, but 300 bytes with 200 in flight is less than an MSS and
     * than half the largest window: sender SWS avoidance (RFC 9293
     * 3.8.6.2.1) waits, and the ACK goes alone */
    st_in_w(t, &k, F_ACK | F_PSH, R + 2, S + 100, 500, "x", 1);
    st_expect(t, F_ACK, S + 300, R + 3, 0, NULL);
    st_expect_none(t);
    /* with nothing in flight no ACK would open it further: the 500 go */
    st_in_w(t, &k, F_ACK, R + 3, S + 300, 500, NULL, 0);
    st_expect(t, F_ACK, S + 300, R + 3, 500, NULL);
    st_expect_none(t);
    st_free(t);
}

/* Sixth step, URG: synack keeps urgent data in line (RFC 6093 6: "the
 * urgent mechanism ... applications SHOULD NOT use"; RFC 9293 3.8.5 MUST-30
 * the "urgent data in line"): the bytes arrive in order with the rest. */
static void test_urg_in_line(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_ACK | SK_TCP_URG, p.rcv_nxt, p.snd_nxt, "ab!", 3);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 3, 0, NULL);
    st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt + 3, p.snd_nxt, "cd", 2);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 5, 0, NULL);
    char b[8];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 5);
    assert_memory_equal(b, "ab!cd", 5);
    st_free(t);
}

/* Seventh step, "CLOSE-WAIT STATE, CLOSING STATE, LAST-ACK STATE,
 * TIME-WAIT STATE: This should not occur since a FIN has been received from
 * the remote side. Ignore the segment text." Text after the peer's FIN is
 * neither delivered nor acknowledged; the end of stream stays where the
 * FIN put it. */
static void test_text_after_fin_ignored(void **state)
{
    (void)state;
    static const synack_tcp_state states[] = {SYNACK_TCP_CLOSE_WAIT, SYNACK_TCP_CLOSING,
                                              SYNACK_TCP_LAST_ACK};
    for (size_t i = 0; i < 3; i++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, states[i]);
        st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt, p.snd_nxt - (states[i] != SYNACK_TCP_CLOSE_WAIT),
              "zzz", 3);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), states[i]);
        char b[8];
        assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
        synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* Eighth step, "SYN-RECEIVED STATE, ESTABLISHED STATE: Enter the CLOSE-WAIT
 * state": a FIN on the very ACK that completes a passive open. The fifth
 * step has made it ESTABLISHED; the FIN then gives CLOSE-WAIT, ACKed at
 * once, and the accepted connection reads the end of stream. */
static void test_fin_completing_handshake(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK | F_FIN | F_PSH, 501, iss + 1, 65535, NULL, "q", 1);
    st_expect(t, F_ACK, iss + 1, 503, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSE_WAIT);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_CLOSE_WAIT);
    char b[4];
    assert_int_equal(synack_tcp_recv(c, b, sizeof(b), t->now), 1);
    assert_int_equal(synack_tcp_recv(c, b, sizeof(b), t->now), 0);
    assert_int_equal(synack_tcp_send(c, "r", 1, t->now), 1);
    st_expect(t, F_ACK | F_PSH, iss + 1, 503, 1, NULL);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_check_empty_segment),
        cmocka_unit_test(test_seq_check_data_segment),
        cmocka_unit_test(test_seq_check_right_edge),
        cmocka_unit_test(test_seq_check_zero_window),
        cmocka_unit_test(test_ack_bit_off_dropped),
        cmocka_unit_test(test_syn_rcvd_unacceptable_ack),
        cmocka_unit_test(test_ack_number_bounds),
        cmocka_unit_test(test_window_update_rules),
        cmocka_unit_test(test_urg_in_line),
        cmocka_unit_test(test_text_after_fin_ignored),
        cmocka_unit_test(test_fin_completing_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
