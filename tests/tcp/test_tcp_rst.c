/* RST, segment by segment: received RSTs checked as RFC 5961 3.2 says (in
 * every state that has a rule for them), the challenge ACK and its rate
 * limit (RFC 5961 7), RFC 1337 in TIME-WAIT, and the RSTs we send on
 * ABORT (RFC 9293 3.10.5). The RFC text each test checks is quoted at the
 * test; tests/tcp/COVERAGE.md maps every rule to its test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define MSL (30 * ST_S) /* the default tcp_msl_ns */
#define WND 65535u      /* the window the stack offers (tcp_rcvbuf) */

static const synack_tcp_state sync_states[] = {
    SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSE_WAIT,
    SYNACK_TCP_CLOSING,     SYNACK_TCP_LAST_ACK,   SYNACK_TCP_TIME_WAIT,
};
#define NSYNC (sizeof(sync_states) / sizeof(sync_states[0]))

/* The last state change traced for connection @p id was @p from -> @p to. */
static void expect_last_change(st *t, uint32_t id, synack_tcp_state from, synack_tcp_state to)
{
    for (size_t i = t->nstates; i-- > 0;) {
        if (t->states[i].conn_id != id)
            continue;
        assert_string_equal(synack_tcp_state_name(t->states[i].old_state),
                            synack_tcp_state_name(from));
        assert_string_equal(synack_tcp_state_name(t->states[i].new_state),
                            synack_tcp_state_name(to));
        return;
    }
    fail_msg("no state change traced for connection %u", id);
}

/* RFC 5961 3.2 (2): "If the RST bit is set and the sequence number exactly
 * matches the next expected sequence number (RCV.NXT), then TCP MUST reset
 * the connection." RFC 9293 3.10.7.4 second, ESTABLISHED: "any outstanding
 * RECEIVEs and SEND should receive "reset" responses. All segment queues
 * should be flushed. Users should also receive an unsolicited general
 * "connection reset" signal. Enter the CLOSED state". Unread data is
 * flushed too: recv reports the reset, not the bytes. */
static void test_rst_exact_resets_established(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt, p.snd_nxt, "unread", 6);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 6, 0, NULL);
    t->nev = 0;
    st_in(t, &k, F_RST, p.rcv_nxt + 6, 0, NULL, 0);
    st_expect_none(t); /* never a RST for a RST, nor an ACK */
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_RESET);
    assert_int_equal(st_events(t, k.c), SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED);
    char b[8];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), SYNACK_ERR_RESET);
    assert_int_equal(synack_tcp_send(k.c, "x", 1, t->now), SYNACK_ERR_RESET);
    assert_int_equal(st_stat(t, "tcp_rst_in"), 1);
    assert_int_equal(st_stat(t, "tcp_conn_reset"), 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    /* the tuple is closed now: the next segment meets 3.10.7.1 */
    st_in(t, &k, F_ACK, p.rcv_nxt + 6, p.snd_nxt, NULL, 0);
    st_expect(t, F_RST, p.snd_nxt, 0, 0, NULL);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect_none(t);
    st_free(t);
}

/* The same exact RST in every other synchronized state. RFC 9293 3.10.7.4
 * second: FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT as ESTABLISHED ("reset");
 * "CLOSING STATE, LAST-ACK STATE, TIME-WAIT: If the RST bit is set, then
 * enter the CLOSED state, delete the TCB, and return" - except TIME-WAIT,
 * where RFC 1337 (TIME-WAIT assassination, fix TW-2) says "ignore RST
 * segments in TIME-WAIT state". A RST with the ACK bit on is the same. */
static void test_rst_exact_in_every_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSYNC; i++) {
        for (int with_ack = 0; with_ack < 2; with_ack++) {
            synack_tcp_state s = sync_states[i];
            st *t = st_new(NULL);
            st_conn k;
            st_pos p = st_reach(t, &k, s);
            uint8_t fl = (uint8_t)(F_RST | (with_ack ? F_ACK : 0));
            st_in(t, &k, fl, p.rcv_nxt, p.snd_nxt, NULL, 0);
            st_expect_none(t);
            if (s == SYNACK_TCP_TIME_WAIT) {
                assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
                assert_int_equal(st_stat(t, "tcp_rst_ignored"), 1);
                assert_int_equal(st_stat(t, "tcp_rst_in"), 0);
            } else {
                assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
                bool reset = s != SYNACK_TCP_CLOSING && s != SYNACK_TCP_LAST_ACK;
                assert_int_equal(synack_tcp_error(k.c), reset ? SYNACK_ERR_RESET : 0);
                assert_int_equal(st_stat(t, "tcp_conn_reset"), reset ? 1 : 0);
                assert_int_equal(st_stat(t, "tcp_rst_in"), 1);
                assert_int_equal(synack_stack_tcp_count(t->stack), 0);
                assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
                expect_last_change(t, synack_tcp_id(k.c), s, SYNACK_TCP_CLOSED);
            }
            synack_tcp_close(k.c, t->now);
            st_free(t);
        }
    }
}

/* RFC 5961 3.2 (3): "If the RST bit is set and the sequence number does not
 * exactly match the next expected sequence value, yet is within the
 * current receive window, TCP MUST send an acknowledgment (challenge ACK):
 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the challenge ACK, TCP
 * MUST drop the unacceptable segment". Both edges of the window, in every
 * synchronized state but TIME-WAIT (RFC 1337: ignored, no ACK). The peer
 * that really reset then answers with the exact RST and is believed. */
static void test_rst_in_window_draws_challenge_ack(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSYNC; i++) {
        synack_tcp_state s = sync_states[i];
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, s);
        st_in(t, &k, F_RST, p.rcv_nxt + 1, 0, NULL, 0);
        if (s == SYNACK_TCP_TIME_WAIT) {
            st_expect_none(t);
            assert_int_equal(st_stat(t, "tcp_challenge_acks"), 0);
            synack_tcp_close(k.c, t->now);
            st_free(t);
            continue;
        }
        st_expect_w(t, F_ACK, p.snd_nxt, p.rcv_nxt, WND, 0, NULL);
        st_in(t, &k, F_RST | F_ACK, p.rcv_nxt + WND - 1, p.snd_nxt, NULL, 0);
        st_expect_w(t, F_ACK, p.snd_nxt, p.rcv_nxt, WND, 0, NULL);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), s);
        assert_int_equal(st_stat(t, "tcp_challenge_acks"), 2);
        assert_int_equal(st_stat(t, "tcp_rst_ignored"), 2);
        assert_int_equal(synack_tcp_error(k.c), 0);
        st_in(t, &k, F_RST, p.rcv_nxt, 0, NULL, 0);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
        synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* RFC 5961 3.2 (1): "If the RST bit is set and the sequence number is
 * outside the current receive window, silently drop the segment." (RFC
 * 9293 3.10.7.4 first: an unacceptable segment draws an ACK "unless the RST
 * bit is set, if so drop the segment and return".) Just below RCV.NXT,
 * exactly RCV.NXT+RCV.WND, and far away. */
static void test_rst_out_of_window_dropped(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSYNC; i++) {
        synack_tcp_state s = sync_states[i];
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, s);
        const uint32_t seqs[] = {p.rcv_nxt - 1, p.rcv_nxt + WND, p.rcv_nxt + 0x40000000u,
                                 p.rcv_nxt - 0x40000000u};
        for (size_t j = 0; j < 4; j++) {
            st_in(t, &k, F_RST, seqs[j], 0, NULL, 0);
            st_in(t, &k, F_RST | F_ACK, seqs[j], p.snd_nxt, NULL, 0);
        }
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), s);
        assert_int_equal(st_stat(t, "tcp_rst_ignored"), 8);
        assert_int_equal(st_stat(t, "tcp_rst_in"), 0);
        assert_int_equal(st_stat(t, "tcp_challenge_acks"), 0);
        synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* With the receive window closed, RCV.NXT is still the one acceptable
 * sequence number: RFC 9293 3.10.7.4 first, "If the RCV.WND is zero, no
 * segments will be acceptable, but special allowance should be made to
 * accept valid ACKs, URGs, and RSTs." */
static void tweak_small_rcvbuf(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 1024;
}

static void test_rst_with_zero_window(void **state)
{
    (void)state;
    st *t = st_new(tweak_small_rcvbuf);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    static uint8_t d[1024];
    st_in(t, &k, F_ACK, R, S, d, sizeof(d));
    st_expect_w(t, F_ACK, S, R + 1024, 0, 0, NULL);
    st_in(t, &k, F_RST, R + 1025, 0, NULL, 0); /* beyond a zero window */
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_RST, R + 1024, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_RESET);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* RFC 5961 7: "An implementation SHOULD include an ACK throttling
 * mechanism to be conservative" - at most tcp_challenge_ack_limit per
 * second for the whole stack (as Linux's tcp_challenge_ack_limit), shared
 * by the RST, SYN and ACK checks; the count starts again each second. */
static void tweak_limit_2(synack_config *cfg)
{
    cfg->tcp_challenge_ack_limit = 2;
}

static void test_challenge_ack_rate_limit(void **state)
{
    (void)state;
    st *t = st_new(tweak_limit_2);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    uint32_t S = p.snd_nxt, R = p.rcv_nxt;
    st_in(t, &k, F_RST, R + 10, 0, NULL, 0);  /* RFC 5961 3.2 */
    st_in(t, &k, F_SYN, R + 10, 0, NULL, 0);  /* RFC 5961 4.2 */
    st_in(t, &k, F_ACK, R, S + 100, NULL, 0); /* RFC 5961 5.2 */
    st_in(t, &k, F_RST, R + 11, 0, NULL, 0);  /* over the limit */
    st_expect_at(t, F_ACK, S, R, 0, t->now);
    st_expect_at(t, F_ACK, S, R, 0, t->now);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_challenge_acks"), 2);
    assert_int_equal(st_stat(t, "tcp_challenge_ack_limited"), 2);
    /* the stack counts per second of its clock: t->now is a whole second */
    st_advance(t, 999 * ST_MS);
    st_in(t, &k, F_RST, R + 12, 0, NULL, 0);
    st_expect_none(t);
    st_advance(t, 1 * ST_MS);
    st_in(t, &k, F_RST, R + 13, 0, NULL, 0);
    st_expect_at(t, F_ACK, S, R, 0, t->now);
    assert_int_equal(st_stat(t, "tcp_challenge_acks"), 3);
    assert_int_equal(st_stat(t, "tcp_challenge_ack_limited"), 3);
    /* the limit never stops an exact RST */
    st_in(t, &k, F_RST, R + 14, 0, NULL, 0);
    st_in(t, &k, F_RST, R, 0, NULL, 0);
    st_expect(t, F_ACK, S, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_RESET);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* SYN-RECEIVED, passive: RFC 9293 3.10.7.4 second, "If this connection was
 * initiated with a passive OPEN (i.e., came from the LISTEN state), then
 * return this connection to LISTEN state and return. The user need not be
 * informed." (Figure 5: SYN-RCVD -> LISTEN on rcv RST.) The child is gone,
 * the listener never heard of it, and the next SYN opens afresh. An
 * in-window RST that is not exact draws a challenge ACK first (RFC 5961
 * 3.2 applies to every state but SYN-SENT). */
static void test_rst_syn_rcvd_passive_returns_to_listen(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    uint32_t child = synack_tcp_id(l) + 1;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_RST, 502, 0, 0, NULL, NULL, 0);
    st_expect(t, F_ACK, iss + 1, 501, 0, NULL);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_RST, 501, 0, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX); /* no SYN+ACK rtx */
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), SYNACK_ERR_AGAIN);
    assert_int_equal(st_events(t, l), 0);
    st_expect_states(t, child, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_CLOSED);
    assert_int_equal(st_stat(t, "tcp_conn_reset"), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 900, 0, 65535, NULL, NULL, 0);
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, 901);
    st_free(t);
}

/* SYN-RECEIVED, active (simultaneous open): "If this connection was
 * initiated with an active OPEN (i.e., came from SYN-SENT state), then the
 * connection was refused; signal the user "connection refused". ... enter
 * the CLOSED state and delete the TCB". */
static void test_rst_syn_rcvd_active_refused(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    st_inject(t, ST_PORT, s.sport, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_SYN | F_ACK, s.seq, 301, 0, NULL);
    st_inject(t, ST_PORT, s.sport, F_RST, 301, 0, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_REFUSED);
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED);
    assert_int_equal(st_stat(t, "tcp_conn_refused"), 1);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_SYN_RCVD, SYNACK_TCP_CLOSED);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* RFC 1337 in TIME-WAIT, both while the user holds the handle (full TCB)
 * and after close (compact entry): an exact RST neither ends TIME-WAIT
 * nor draws a reply, and TIME-WAIT lasts its whole 2 MSL. */
static void test_rst_time_wait_rfc1337(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
        uint64_t tw = t->now;
        uint32_t id = synack_tcp_id(k.c);
        if (released)
            assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_advance(t, 5 * ST_S);
        st_in(t, &k, F_RST, p.rcv_nxt, 0, NULL, 0);
        st_in(t, &k, F_RST | F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
        st_expect_none(t);
        assert_int_equal(st_stat(t, "tcp_rst_ignored"), 2);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        if (!released)
            assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
        st_advance(t, tw + 2 * MSL - 1 - t->now);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        st_advance(t, 1);
        assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        assert_int_equal(t->states[t->nstates - 1].now, tw + 2 * MSL);
        st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                         SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED);
        if (!released)
            synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* ABORT (RFC 9293 3.10.5): "SYN-RECEIVED STATE, ESTABLISHED STATE,
 * FIN-WAIT-1 STATE, FIN-WAIT-2 STATE, CLOSE-WAIT STATE: Send a reset
 * segment: <SEQ=SND.NXT><CTL=RST> ... enter CLOSED state". "CLOSING STATE
 * LAST-ACK STATE TIME-WAIT STATE: Respond with "ok" and delete the TCB"
 * - no segment (TIME-WAIT keeps its 2 MSL, see test_tcp_regress). The RST
 * carries no ACK and a zero window. */
static void test_abort_in_every_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSYNC; i++) {
        synack_tcp_state s = sync_states[i];
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, s);
        uint32_t id = synack_tcp_id(k.c);
        assert_int_equal(synack_tcp_abort(k.c, t->now), 0);
        if (s == SYNACK_TCP_CLOSING || s == SYNACK_TCP_LAST_ACK || s == SYNACK_TCP_TIME_WAIT) {
            st_expect_none(t);
            assert_int_equal(st_stat(t, "tcp_rst_out"), 0);
        } else {
            st_seg r;
            st_expect_w(t, F_RST, p.snd_nxt, 0, 0, 0, &r);
            assert_int_equal(r.ack, 0);
            st_expect_none(t);
        }
        if (s != SYNACK_TCP_TIME_WAIT) {
            assert_int_equal(synack_stack_tcp_count(t->stack), 0);
            assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
            expect_last_change(t, id, s, SYNACK_TCP_CLOSED);
        }
        st_free(t);
    }
}

/* ABORT with unsent data queued: the RST still says SND.NXT - the next
 * byte never sent - and the queued data is dropped. */
static void test_abort_with_queued_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in_w(t, &k, F_ACK, R, S, 100, NULL, 0); /* the peer's window: 100 bytes */
    static uint8_t d[500];
    assert_int_equal(synack_tcp_send(k.c, d, sizeof(d), t->now), 500);
    st_expect(t, F_ACK, S, R, 100, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_abort(k.c, t->now), 0);
    st_expect(t, F_RST, S + 100, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

/* ABORT in SYN-SENT: "delete the TCB, enter CLOSED state" - nothing sent;
 * in SYN-RECEIVED (simultaneous open) the RST of the list above, at
 * SND.NXT = ISS+1. */
static void test_abort_during_handshake(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(synack_tcp_abort(c, t->now), 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);

    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    assert_true(st_next(t, &s));
    st_inject(t, ST_PORT, s.sport, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_SYN | F_ACK, s.seq, 301, 0, NULL);
    assert_int_equal(synack_tcp_abort(c, t->now), 0);
    st_expect(t, F_RST, s.seq + 1, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rst_exact_resets_established),
        cmocka_unit_test(test_rst_exact_in_every_state),
        cmocka_unit_test(test_rst_in_window_draws_challenge_ack),
        cmocka_unit_test(test_rst_out_of_window_dropped),
        cmocka_unit_test(test_rst_with_zero_window),
        cmocka_unit_test(test_challenge_ack_rate_limit),
        cmocka_unit_test(test_rst_syn_rcvd_passive_returns_to_listen),
        cmocka_unit_test(test_rst_syn_rcvd_active_refused),
        cmocka_unit_test(test_rst_time_wait_rfc1337),
        cmocka_unit_test(test_abort_in_every_state),
        cmocka_unit_test(test_abort_with_queued_data),
        cmocka_unit_test(test_abort_during_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
