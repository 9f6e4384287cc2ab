/* When data may leave: Nagle's algorithm (RFC 9293 3.7.4, RFC 1122
 * 4.2.3.4) in Minshall's variant, TCP_NODELAY, PSH, sender-side silly
 * window avoidance (RFC 9293 3.8.6.2.1) and the zero-window probes of the
 * persist timer (RFC 9293 3.8.6.1). MSS 1460, no SACK, no timestamps. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

#define MSS 1460u

static st *open_win(void (*tweak)(synack_config *), st_conn *k, uint16_t win)
{
    st *t = st_new(tweak);
    st_peer p = {.mss = 1460, .win = win};
    st_open_peer(t, k, &p);
    return t;
}

static void expect_data(st *t, const st_conn *k, uint8_t flags, uint32_t seq, size_t len)
{
    st_expect(t, flags, seq, k->irs + 1, len, NULL);
}

/* RFC 9293 3.7.4: "if there is unacknowledged data ... the sending TCP
 * buffers all user data (regardless of the PSH bit) until the outstanding
 * data has been acknowledged or until the TCP can send a full-sized
 * segment". The first small write goes (nothing unacknowledged), the next
 * two wait and leave together with the ACK. */
static void test_nagle_holds_small_writes(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(NULL, &k, 0);
    uint32_t S = k.iss + 1;
    assert_false(st_info(&k).nodelay);
    st_write(t, &k, 100);
    expect_data(t, &k, F_ACK | F_PSH, S, 100);
    st_write(t, &k, 100);
    st_write(t, &k, 100);
    st_expect_none(t);
    st_ack(t, &k, S + 100);
    expect_data(t, &k, F_ACK | F_PSH, S + 100, 200);
    st_expect_none(t);

    /* Held data that reaches a full segment goes at once, the rest of it
     * waits for the small segment's ACK. */
    st_write(t, &k, 1500);
    expect_data(t, &k, F_ACK, S + 300, MSS);
    st_expect_none(t);
    st_ack(t, &k, S + 300);
    expect_data(t, &k, F_ACK | F_PSH, S + 300 + MSS, 40);
    st_expect_none(t);
    st_free(t);
}

/* Minshall's variant (draft-minshall-nagle, as Linux): only an
 * unacknowledged segment shorter than the MSS holds a short one back. The
 * tail of a large write goes at once, PSH on it alone (RFC 9293 3.9.1.2:
 * the last segment of a write); the next small write then waits for the
 * tail's ACK, not for the full segments'. */
static void test_minshall_tail_goes(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(NULL, &k, 0);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 3000);
    expect_data(t, &k, F_ACK, S, MSS);
    expect_data(t, &k, F_ACK, S + MSS, MSS);
    expect_data(t, &k, F_ACK | F_PSH, S + 2 * MSS, 80);
    st_expect_none(t);
    st_write(t, &k, 100);
    st_expect_none(t);
    st_ack(t, &k, S + 2 * MSS);
    st_expect_none(t);
    st_ack(t, &k, S + 3000);
    expect_data(t, &k, F_ACK | F_PSH, S + 3000, 100);
    st_expect_none(t);
    st_free(t);
}

/* synack_tcp_set_nodelay (TCP_NODELAY): small writes go at once; back on,
 * Nagle holds again. */
static void test_nodelay(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(NULL, &k, 0);
    uint32_t S = k.iss + 1;
    assert_int_equal(synack_tcp_set_nodelay(k.c, true), 0);
    assert_true(st_info(&k).nodelay);
    for (uint32_t i = 0; i < 3; i++) {
        st_write(t, &k, 100);
        expect_data(t, &k, F_ACK | F_PSH, S + 100 * i, 100);
    }
    st_expect_none(t);
    assert_int_equal(synack_tcp_set_nodelay(k.c, false), 0);
    assert_false(st_info(&k).nodelay);
    st_write(t, &k, 100);
    st_expect_none(t);
    st_ack(t, &k, S + 300);
    expect_data(t, &k, F_ACK | F_PSH, S + 300, 100);
    assert_int_equal(synack_tcp_set_nodelay(NULL, true), SYNACK_ERR_INVAL);
    st_free(t);
}

static void nodelay_config(synack_config *cfg)
{
    cfg->tcp_nodelay = true;
}

/* synack_config.tcp_nodelay: connections start with Nagle off. */
static void test_nodelay_config(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(nodelay_config, &k, 0);
    uint32_t S = k.iss + 1;
    assert_true(st_info(&k).nodelay);
    st_write(t, &k, 100);
    st_write(t, &k, 100);
    expect_data(t, &k, F_ACK | F_PSH, S, 100);
    expect_data(t, &k, F_ACK | F_PSH, S + 100, 100);
    st_expect_none(t);
    st_free(t);
}

/* A close pushes what Nagle holds: the data goes with the FIN (RFC 9293
 * 3.10.4: "segmentize any text to be sent"; as Linux). */
static void test_fin_pushes_held_data(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(NULL, &k, 0);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 100);
    expect_data(t, &k, F_ACK | F_PSH, S, 100);
    st_write(t, &k, 100);
    st_expect_none(t);
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    expect_data(t, &k, F_ACK | F_PSH | F_FIN, S + 100, 100);
    st_expect_none(t);
    st_free(t);
}

/* RFC 9293 3.8.6.2.1, sender SWS avoidance: with data in flight a usable
 * window that is less than an MSS, less than what is queued and less than
 * Fs = 1/2 of the largest window the peer offered (65535) is not used;
 * each ACK that brings a full segment's room sends one. With nothing in
 * flight no ACK would come to open it more, so the rest of the window is
 * used at once (the override timeout, zero here). */
static void test_sws_small_window_waits(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(NULL, &k, 0);
    uint32_t S = k.iss + 1;
    st_ack_full(t, &k, S, 3000, 0, NULL, 0); /* the window shrinks to 3000 */
    st_write(t, &k, 5000);
    expect_data(t, &k, F_ACK, S, MSS);
    expect_data(t, &k, F_ACK, S + MSS, MSS);
    st_expect_none(t); /* 80 bytes usable */
    st_ack_full(t, &k, S + MSS, 3000, 0, NULL, 0);
    expect_data(t, &k, F_ACK, S + 2 * MSS, MSS);
    st_expect_none(t);
    st_ack_full(t, &k, S + 3 * MSS, 500, 0, NULL, 0); /* all ACKed, 500 offered */
    expect_data(t, &k, F_ACK, S + 3 * MSS, 500);
    st_expect_none(t);
    st_ack_full(t, &k, S + 3 * MSS + 500, 3000, 0, NULL, 0);
    expect_data(t, &k, F_ACK | F_PSH, S + 3 * MSS + 500, 5000 - 3 * MSS - 500);
    st_expect_none(t);
    st_free(t);
}

/* The third rule of RFC 9293 3.8.6.2.1: "at least a fraction Fs of the
 * maximum window can be sent": min(D, U) >= Fs * Max(SND.WND), Fs = 1/2,
 * even with data in flight. The peer's largest window is 2000: 540 usable
 * bytes wait, 1040 go. With Nagle off (the rule's bracketed
 * [SND.NXT = SND.UNA] is Nagle's). */
static void test_sws_half_of_max_window(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(nodelay_config, &k, 2000);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 3000);
    expect_data(t, &k, F_ACK, S, MSS);
    st_expect_none(t); /* 540 < 1000 */
    st_ack_full(t, &k, S + 100, 2000, 0, NULL, 0);
    st_expect_none(t); /* 640 < 1000 */
    st_ack_full(t, &k, S + 500, 2000, 0, NULL, 0);
    expect_data(t, &k, F_ACK, S + MSS, 1040);
    st_expect_none(t);
    st_free(t);
}

static void rto_max_4s(synack_config *cfg)
{
    cfg->tcp_rto_max_ns = 4 * ST_S;
}

/* RFC 9293 3.8.6.1: with the window shut and data waiting, probe after an
 * RTO (SHLD-29) and at exponentially growing intervals (SHLD-30), capped
 * at tcp_rto_max: 1, 2, 4, 4 s. The probe is <SEQ=SND.UNA-1><ACK> with no
 * data (as Linux): the peer must answer it with an ACK carrying its
 * window. When the window opens the data goes at once, and the timer that
 * follows is the retransmission timer, not backed off. */
static void test_zero_window_persist(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_win(rto_max_4s, &k, 0);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_ack_full(t, &k, S, 0, 0, NULL, 0);
    st_write(t, &k, 1000);
    st_expect_none(t);
    static const uint64_t gaps[] = {1, 2, 4, 4};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        uint64_t before = t->now;
        assert_int_equal(st_wait_output(t, 10 * ST_S), before + gaps[i] * ST_S);
        st_expect(t, F_ACK, S - 1, R, 0, NULL);
        st_expect_none(t);
        st_ack_full(t, &k, S, 0, 0, NULL, 0); /* still shut */
        st_expect_none(t);
    }
    assert_int_equal(st_stat(t, "tcp_retransmits"), 0);
    st_advance(t, ST_S);
    st_ack_full(t, &k, S, ST_WIN, 0, NULL, 0); /* a window update opens it */
    expect_data(t, &k, F_ACK | F_PSH, S, 1000);
    st_expect_none(t);
    st_expect_timeout(t, &k, ST_S, F_ACK | F_PSH, S, 1000);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nagle_holds_small_writes),
        cmocka_unit_test(test_minshall_tail_goes),
        cmocka_unit_test(test_nodelay),
        cmocka_unit_test(test_nodelay_config),
        cmocka_unit_test(test_fin_pushes_held_data),
        cmocka_unit_test(test_sws_small_window_waits),
        cmocka_unit_test(test_sws_half_of_max_window),
        cmocka_unit_test(test_zero_window_persist),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
