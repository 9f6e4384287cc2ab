/* The user's CLOSE and shutdown in every state (RFC 9293 3.10.4), and a
 * CLOSE that would lose unread data (RFC 9293 3.6, RFC 1122 4.2.2.13,
 * RFC 2525 2.17), segment by segment. ABORT is in test_tcp_rst.c;
 * tests/tcp/COVERAGE.md maps every rule to its test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define MSL (30 * ST_S)

/* CLOSE in SYN-RECEIVED (Figure 5: SYN-RCVD -> FIN-WAIT-1 "CLOSE / snd
 * FIN"), reached by a simultaneous open. RFC 9293 3.10.4: "If no SENDs have
 * been issued and there is no pending data to send, then form a FIN
 * segment and send it, and enter FIN-WAIT-1 state; otherwise, queue for
 * processing after entering ESTABLISHED state." synack always takes the
 * second branch: nothing is sent until our SYN is acknowledged, and the
 * ACK of it then takes SYN-RCVD -> ESTABLISHED -> FIN-WAIT-1 with the FIN
 * at once (a FIN sent before would have to be retransmitted together with
 * the SYN it follows). */
static void test_shutdown_in_syn_rcvd(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PORT, s.sport, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_SYN | F_ACK, iss, 301, 0, NULL);
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_RCVD);
    assert_int_equal(synack_tcp_shutdown(c, t->now), SYNACK_ERR_CLOSED);
    st_inject(t, ST_PORT, s.sport, F_ACK, 301, iss + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_FIN | F_ACK, iss + 1, 301, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_FIN_WAIT_1);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1);
    st_inject(t, ST_PORT, s.sport, F_FIN | F_ACK, 301, iss + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, iss + 2, 302, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* The same with close(): the handle is released at once and the stack
 * finishes the exchange alone. */
static void test_close_in_syn_rcvd(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PORT, s.sport, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_SYN | F_ACK, iss, 301, 0, NULL);
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    st_expect_none(t);
    st_inject(t, ST_PORT, s.sport, F_SYN | F_ACK, 300, iss + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_FIN | F_ACK, iss + 1, 301, 0, NULL);
    st_inject(t, ST_PORT, s.sport, F_FIN | F_ACK, 301, iss + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, iss + 2, 302, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1); /* TIME-WAIT */
    st_advance(t, 2 * MSL);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

/* CLOSE where the FIN is already on its way: RFC 9293 3.10.4, FIN-WAIT-1
 * and FIN-WAIT-2 "Strictly speaking, this is an error and should receive
 * an "error: connection closing" response"; CLOSING, LAST-ACK, TIME-WAIT
 * "Respond with "error: connection closing"". The API releases the handle
 * all the same (that is what close means to it) and sends nothing; the
 * connection finishes on its own and leaves nothing behind. */
static void test_close_after_fin_sent(void **state)
{
    (void)state;
    static const synack_tcp_state states[] = {SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2,
                                              SYNACK_TCP_CLOSING, SYNACK_TCP_LAST_ACK,
                                              SYNACK_TCP_TIME_WAIT};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, states[i]);
        assert_int_equal(synack_tcp_shutdown(k.c, t->now), SYNACK_ERR_CLOSED);
        assert_int_equal(synack_tcp_send(k.c, "x", 1, t->now), SYNACK_ERR_CLOSED);
        assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_expect_none(t);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        /* the peer finishes its part: ACK of our FIN, and its own FIN */
        switch (states[i]) {
        case SYNACK_TCP_FIN_WAIT_1:
            st_in(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
            st_expect_none(t);
            /* fall through */
        case SYNACK_TCP_FIN_WAIT_2:
            st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
            st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 1, 0, NULL);
            break;
        case SYNACK_TCP_CLOSING:
        case SYNACK_TCP_LAST_ACK:
            st_in(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
            st_expect_none(t);
            break;
        default:
            break;
        }
        if (states[i] == SYNACK_TCP_LAST_ACK) {
            assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        } else {
            assert_int_equal(synack_stack_tcp_count(t->stack), 1); /* TIME-WAIT */
            st_advance(t, 2 * MSL);
            assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        }
        assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
        st_expect_none(t);
        st_free(t);
    }
}

/* CLOSE with received data not yet read, in every state where the peer
 * may still have sent some: RFC 9293 3.6 ("a TCP SHOULD send a RST if data
 * is received after close"), RFC 1122 4.2.2.13 ("If such a host issues a
 * CLOSE call while received data is still pending in TCP, or if new data
 * is received after CLOSE is called, its TCP SHOULD send a RST to show that
 * data was lost"), RFC 2525 2.17. <SEQ=SND.NXT><CTL=RST>, and the
 * connection ends at once. */
static void test_close_with_unread_data_rst(void **state)
{
    (void)state;
    static const synack_tcp_state states[] = {SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1,
                                              SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSE_WAIT};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        st *t = st_new(NULL);
        st_conn k;
        st_passive_open(t, &k, 1460);
        uint32_t S = k.iss + 1, R = k.irs + 1;
        st_in(t, &k, F_ACK | F_PSH, R, S, "unread", 6);
        st_expect(t, F_ACK, S, R + 6, 0, NULL);
        R += 6;
        switch (states[i]) {
        case SYNACK_TCP_FIN_WAIT_1:
        case SYNACK_TCP_FIN_WAIT_2:
            assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
            st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
            S++;
            if (states[i] == SYNACK_TCP_FIN_WAIT_2)
                st_in(t, &k, F_ACK, R, S, NULL, 0);
            break;
        case SYNACK_TCP_CLOSE_WAIT:
            st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
            st_expect(t, F_ACK, S, R + 1, 0, NULL);
            break;
        default:
            break;
        }
        assert_int_equal(synack_tcp_get_state(k.c), states[i]);
        uint32_t id = synack_tcp_id(k.c);
        assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_expect_w(t, F_RST, S, 0, 0, 0, NULL);
        st_expect_none(t);
        assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
        assert_int_equal(t->states[t->nstates - 1].conn_id, id);
        assert_int_equal(t->states[t->nstates - 1].new_state, SYNACK_TCP_CLOSED);
        st_free(t);
    }
}

/* shutdown() is the half-close: ESTABLISHED -> FIN-WAIT-1 and CLOSE-WAIT ->
 * LAST-ACK (RFC 9293 3.10.4), receiving goes on; before any connection it
 * is SYNACK_ERR_NOTCONN, a second time SYNACK_ERR_CLOSED, and data queued
 * before it goes out ahead of the FIN ("Any segments already queued ...
 * will be sent before the FIN"). */
static void test_shutdown_after_queued_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    st_in_w(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt, 3, NULL, 0); /* window 3 */
    assert_int_equal(synack_tcp_send(k.c, "abcdef", 6, t->now), 6);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt, 3, NULL);
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_1);
    st_expect_none(t); /* the FIN waits behind "def" */
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), SYNACK_ERR_CLOSED);
    st_in_w(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt + 3, 3, NULL, 0);
    st_expect(t, F_ACK | F_PSH | F_FIN, p.snd_nxt + 3, p.rcv_nxt, 3, NULL);
    st_in_w(t, &k, F_ACK | F_PSH, p.rcv_nxt, p.snd_nxt + 7, 3, "in", 2);
    st_expect(t, F_ACK, p.snd_nxt + 7, p.rcv_nxt + 2, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 2);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shutdown_in_syn_rcvd),
        cmocka_unit_test(test_close_in_syn_rcvd),
        cmocka_unit_test(test_close_after_fin_sent),
        cmocka_unit_test(test_close_with_unread_data_rst),
        cmocka_unit_test(test_shutdown_after_queued_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
