/* SYNs after the first, segment by segment: a SYN in a synchronized state
 * (RFC 5961 4.2, RFC 9293 3.10.7.4 fourth), half-open connection discovery
 * (RFC 9293 3.5.1, Figure 11), a new SYN in TIME-WAIT (RFC 1122 4.2.2.13,
 * RFC 6191), and the handshake with its segments duplicated or lost
 * (RFC 9293 3.5, RFC 6298 5). tests/tcp/COVERAGE.md maps every rule to
 * its test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define MSL (30 * ST_S) /* the default tcp_msl_ns */
#define WND 65535u

static const sk_tcp_opts *mss(sk_tcp_opts *o, uint16_t v)
{
    memset(o, 0, sizeof(*o));
    o->has_mss = true;
    o->mss = v;
    return o;
}

/* RFC 5961 4.2: "If the SYN bit is set, irrespective of the sequence
 * number, TCP MUST send an ACK (also referred to as challenge ACK) to the
 * remote peer: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. After sending the
 * acknowledgment, TCP MUST drop the unacceptable segment and stop
 * processing further." Exactly RCV.NXT, inside the window, below it and
 * beyond it, with and without ACK, in every synchronized state but
 * TIME-WAIT (below). Nothing changes: no state, no data, no reset. */
static void test_syn_in_synchronized_states(void **state)
{
    (void)state;
    static const synack_tcp_state states[] = {
        SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2,
        SYNACK_TCP_CLOSE_WAIT,  SYNACK_TCP_CLOSING,    SYNACK_TCP_LAST_ACK,
    };
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, states[i]);
        const uint32_t seqs[] = {p.rcv_nxt, p.rcv_nxt + 100, p.rcv_nxt - 1, p.rcv_nxt + WND, k.irs};
        for (size_t j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++) {
            st_in(t, &k, F_SYN, seqs[j], 0, NULL, 0);
            st_expect_w(t, F_ACK, p.snd_nxt, p.rcv_nxt, WND, 0, NULL);
            st_in(t, &k, F_SYN | F_ACK, seqs[j], p.snd_nxt, "data", 4);
            st_expect_w(t, F_ACK, p.snd_nxt, p.rcv_nxt, WND, 0, NULL);
        }
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), states[i]);
        assert_int_equal(synack_tcp_error(k.c), 0);
        assert_int_equal(st_stat(t, "tcp_challenge_acks"), 10);
        char b[8];
        if (states[i] == SYNACK_TCP_ESTABLISHED || states[i] == SYNACK_TCP_FIN_WAIT_1 ||
            states[i] == SYNACK_TCP_FIN_WAIT_2)
            assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), SYNACK_ERR_AGAIN);
        synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* Half-open connection discovery (RFC 9293 3.5.1, Figure 11): the peer
 * crashed and opens again from the same port with a new ISN. Its SYN meets
 * our ESTABLISHED connection and draws the challenge ACK; its SYN-SENT
 * finds that ACK unacceptable and answers <SEQ=SEG.ACK><CTL=RST>, which is
 * exactly our RCV.NXT: we reset (RFC 5961 3.2 (2)), and its next SYN opens
 * a new connection from the listener. */
static void test_half_open_discovery(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt, p.snd_nxt, "abc", 3);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt + 3, 0, NULL);
    uint32_t R = p.rcv_nxt + 3;
    st_in(t, &k, F_SYN, 400, 0, NULL, 0); /* the crashed peer's new SYN */
    st_expect(t, F_ACK, p.snd_nxt, R, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_RST, R, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_RESET);
    st_in(t, &k, F_SYN, 400, 0, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, 401);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* SYN-RECEIVED, fourth step (RFC 9293 3.10.7.4): "If the connection was
 * initiated with a passive OPEN, then return this connection to the LISTEN
 * state and return." A SYN in the window that is not the one we hold
 * deletes the child silently; the listener goes on. */
static void test_syn_rcvd_new_syn_returns_to_listen(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 600, 0, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    st_free(t);
}

/* ---- the handshake, duplicated and lost ---- */

/* Our SYN+ACK was lost (RFC 9293 3.5, Figure 9 recovery): the peer's
 * retransmitted SYN - the same sequence number - is answered at once with
 * the same SYN+ACK (same ISS, same MSS option; as Linux does: a bare ACK
 * would be dropped by the peer's SYN-SENT), no second child is made, and
 * the retransmission timer keeps its schedule. */
static void test_retransmitted_syn_in_syn_rcvd(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    sk_tcp_opts o;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    uint64_t t0 = t->now;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, mss(&o, 1200), NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_advance(t, 700 * ST_MS);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, mss(&o, 1200), NULL, 0);
    st_expect_at(t, F_SYN | F_ACK, iss, 501, 0, t->now);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    assert_int_equal(st_wait_output(t, 5 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_SYN | F_ACK, iss, 501, 0, NULL);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_mss(c), 1200);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_free(t);
}

/* The SYN+ACK lost with no SYN again: retransmitted on the timer, RFC 6298
 * 5.5 doubling from the initial 1 s (2.1): at 1, 3, 7 s, each the same
 * segment with our MSS. */
static void test_syn_ack_retransmitted_with_backoff(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    uint64_t t0 = t->now;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    const uint64_t at[] = {1, 3, 7};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(st_wait_output(t, 60 * ST_S), t0 + at[i] * ST_S);
        assert_true(st_next(t, &s));
        assert_int_equal(s.flags, F_SYN | F_ACK);
        assert_int_equal(s.seq, iss);
        assert_int_equal(s.ack, 501);
        assert_int_equal(s.win, 65535);
        assert_true(s.opts.has_mss);
        assert_int_equal(s.opts.mss, 1460);
        st_expect_none(t);
    }
    assert_int_equal(st_stat(t, "tcp_retransmits"), 3);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss + 1, 65535, NULL, NULL, 0);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_free(t);
}

/* The third segment of the handshake lost, the peer's first data arrives
 * instead: its ACK acknowledges our SYN (RFC 9293 3.10.7.4 fifth,
 * SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
 * state and continue processing"), so the data is delivered and ACKed. */
static void test_handshake_ack_lost_data_completes(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK | F_PSH, 501, iss + 1, 65535, NULL, "GET", 3);
    st_expect_w(t, F_ACK, iss + 1, 504, 65535 - 3, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    char b[4];
    assert_int_equal(synack_tcp_recv(c, b, sizeof(b), t->now), 3);
    assert_memory_equal(b, "GET", 3);
    st_free(t);
}

/* The third segment lost, nothing else from the peer: our SYN+ACK goes
 * again after 1 s; the peer (ESTABLISHED) ACKs it and we are done. A
 * delayed duplicate of the peer's SYN arriving after that meets an
 * ESTABLISHED connection: challenge ACK (RFC 5961 4.2), nothing else. */
static void test_handshake_ack_lost_syn_ack_again(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    uint64_t t0 = t->now;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    assert_int_equal(st_wait_output(t, 5 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_SYN | F_ACK, iss, 501, 0, NULL);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, iss + 1, 501, 0, NULL);
    st_expect_none(t);
    /* a duplicate of the third segment is an old duplicate ACK: ignored */
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 501, iss + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_free(t);
}

/* Active side: our ACK of the SYN+ACK was lost and the peer sends its
 * SYN+ACK again. We are ESTABLISHED: the SYN draws the challenge ACK (RFC
 * 5961 4.2), which is the very ACK the peer missed:
 * <SEQ=SND.NXT><ACK=RCV.NXT>, with SND.NXT past data already sent. */
static void test_retransmitted_syn_ack_after_established(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_inject(t, k.peer_port, k.port, F_SYN | F_ACK, k.irs, S, 65535, NULL, NULL, 0);
    st_expect_at(t, F_ACK, S, R, 0, t->now);
    assert_int_equal(synack_tcp_send(k.c, "hi", 2, t->now), 2);
    st_expect(t, F_ACK | F_PSH, S, R, 2, NULL);
    st_inject(t, k.peer_port, k.port, F_SYN | F_ACK, k.irs, S, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, S + 2, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(st_stat(t, "tcp_conn_established"), 1);
    st_free(t);
}

/* Our SYN was lost: SYN-SENT retransmits it, the same segment, at 1 s and
 * 3 s (RFC 6298 2.1 and 5.5); a SYN+ACK for it then completes the open and
 * stops the timer. Karn's rule (RFC 6298 3): no RTT sample from a
 * retransmitted SYN; and RFC 6298 5.7: "If the timer expires awaiting the
 * ACK of a SYN segment and the TCP implementation is using an RTO less
 * than 3 seconds, the RTO MUST be re-initialized to 3 seconds when data
 * transmission begins": the first data waits 3 s. */
static void test_syn_retransmitted_then_answered(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s, r;
    assert_true(st_next(t, &s));
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 1 * ST_S);
    assert_true(st_next(t, &r));
    assert_int_equal(r.flags, F_SYN);
    assert_int_equal(r.seq, s.seq);
    assert_int_equal(r.sport, s.sport);
    assert_true(r.opts.has_mss);
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 3 * ST_S);
    st_expect(t, F_SYN, s.seq, 0, 0, NULL);
    st_advance(t, 500 * ST_MS);
    st_inject(t, ST_PORT, s.sport, F_SYN | F_ACK, 300, s.seq + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, s.seq + 1, 301, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    uint64_t t1 = t->now;
    assert_int_equal(synack_tcp_send(c, "x", 1, t->now), 1);
    st_expect(t, F_ACK | F_PSH, s.seq + 1, 301, 1, NULL);
    assert_int_equal(st_wait_output(t, 10 * ST_S), t1 + 3 * ST_S);
    st_expect(t, F_ACK | F_PSH, s.seq + 1, 301, 1, NULL);
    st_free(t);
}

/* ---- a new SYN in TIME-WAIT (RFC 1122 4.2.2.13, RFC 6191 without
 * timestamps, RFC 9293 3.10.7.4 fourth) ---- */

/* RFC 1122 4.2.2.13: a TCP "MAY accept a new SYN from the remote TCP to
 * reopen the connection directly from TIME-WAIT state, if it: (1) assigns
 * its initial sequence number for the new connection to be larger than
 * the largest sequence number it used on the previous connection
 * incarnation". RFC 6191 2 (no timestamps): only "if the sequence number
 * of the incoming SYN is greater than the last sequence number seen on the
 * previous incarnation" (RCV.NXT). Our ISS is at least SND.NXT + 2 * 65535
 * (as Linux): exact here since the ISN clock has not moved. For a TIME-WAIT
 * the user still holds and for a compact one. */
static void test_time_wait_syn_higher_seq_reopens(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
        synack_tcp *old = k.c;
        if (released)
            assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        sk_tcp_opts o;
        st_inject(t, k.peer_port, k.port, F_SYN, p.rcv_nxt + 1, 0, 65535, mss(&o, 1000), NULL, 0);
        st_seg s;
        assert_true(st_next(t, &s));
        assert_int_equal(s.flags, F_SYN | F_ACK);
        assert_int_equal(s.ack, p.rcv_nxt + 2);
        assert_int_equal(s.seq, p.snd_nxt + 2 * 65535);
        assert_true(s.opts.has_mss);
        st_expect_none(t);
        assert_int_equal(st_stat(t, "tcp_time_wait_reused"), 1);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        if (!released) {
            assert_int_equal(synack_tcp_get_state(old), SYNACK_TCP_CLOSED);
            assert_int_equal(synack_tcp_error(old), 0);
        }
        st_inject(t, k.peer_port, k.port, F_ACK, p.rcv_nxt + 2, s.seq + 1, 65535, NULL, NULL, 0);
        st_expect_none(t);
        synack_tcp *c;
        assert_int_equal(synack_tcp_accept(k.l, &c, t->now), 0);
        assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
        assert_int_equal(synack_tcp_mss(c), 1000);
        if (!released)
            synack_tcp_close(old, t->now);
        st_free(t);
    }
}

/* The ISS after TIME-WAIT is the ISN clock's when that is already higher
 * (RFC 6528: 250000 per second); only a young TIME-WAIT needs the floor. */
static void test_time_wait_reopen_iss_from_clock(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_advance(t, 10 * ST_S);
    st_inject(t, k.peer_port, k.port, F_SYN, p.rcv_nxt + 5000, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_SYN | F_ACK, k.iss + 10 * 250000, p.rcv_nxt + 5001, 0, NULL);
    st_free(t);
}

/* A SYN at or below RCV.NXT may be an old duplicate of the last
 * incarnation: refused (RFC 6191 2, else-branch: "the SYN segment is
 * processed as specified in RFC 793" i.e. acknowledged as unacceptable,
 * the RFC 5961 4.2 challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT>). TIME-WAIT goes
 * on and still ends 2 MSL after it began (a SYN does not restart it). */
static void test_time_wait_syn_lower_seq_refused(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
        uint64_t tw = t->now;
        if (released)
            assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_advance(t, 1 * ST_S);
        const uint32_t seqs[] = {p.rcv_nxt, p.rcv_nxt - 1, k.irs, p.rcv_nxt - 0x10000000u};
        for (size_t j = 0; j < 4; j++) {
            st_inject(t, k.peer_port, k.port, F_SYN, seqs[j], 0, 65535, NULL, NULL, 0);
            st_expect_w(t, F_ACK, p.snd_nxt, p.rcv_nxt, WND, 0, NULL);
        }
        st_expect_none(t);
        assert_int_equal(st_stat(t, "tcp_time_wait_reused"), 0);
        assert_int_equal(st_stat(t, "tcp_conn_opened_passive"), 1);
        st_advance(t, tw + 2 * MSL - 1 - t->now);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        st_advance(t, 1);
        assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        if (!released)
            synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* A TIME-WAIT with no listener behind it (the active opener's side): a new
 * SYN finds nobody to accept it and is refused as on a closed port (RFC
 * 9293 3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>); TIME-WAIT
 * stays. (Linux answers with an ACK instead.) */
static void test_time_wait_syn_without_listener(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK, R, S + 1, NULL, 0);
    st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_in(t, &k, F_SYN, R + 1000, 0, NULL, 0);
    st_expect(t, F_RST | F_ACK, 0, R + 1001, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    /* the retransmitted FIN is still ACKed */
    st_in(t, &k, F_FIN | F_ACK, R, S + 1, NULL, 0);
    st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* A new SYN on a TIME-WAIT whose listener cannot take it (backlog full):
 * the SYN is dropped and counted like any SYN to a full listener, and
 * TIME-WAIT stays - RFC 1122 4.2.2.13 reopens a connection from TIME-WAIT,
 * it does not end TIME-WAIT for nothing. A retransmitted FIN is still
 * ACKed; once the listener has room the SYN reopens. */
static void test_time_wait_syn_listener_full(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
        if (released)
            assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_seg s;
        for (uint16_t i = 0; i < 8; i++) { /* st_passive_open's backlog is 8 */
            st_inject(t, (uint16_t)(41000 + i), k.port, F_SYN, 7000, 0, 65535, NULL, NULL, 0);
            assert_true(st_next(t, &s));
        }
        st_inject(t, k.peer_port, k.port, F_SYN, p.rcv_nxt + 1, 0, 65535, NULL, NULL, 0);
        st_expect_none(t);
        assert_int_equal(st_stat(t, "tcp_drop_backlog"), 1);
        assert_int_equal(st_stat(t, "tcp_time_wait_reused"), 0);
        assert_int_equal(synack_stack_tcp_count(t->stack), 9);
        if (!released)
            assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
        st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt - 1, p.snd_nxt, NULL, 0);
        st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, NULL);
        /* a half-open child goes (RST): room again */
        st_inject(t, 41000, k.port, F_RST, 7001, 0, 0, NULL, NULL, 0);
        st_inject(t, k.peer_port, k.port, F_SYN, p.rcv_nxt + 1, 0, 65535, NULL, NULL, 0);
        assert_true(st_next(t, &s));
        assert_int_equal(s.flags, F_SYN | F_ACK);
        assert_int_equal(s.ack, p.rcv_nxt + 2);
        assert_int_equal(st_stat(t, "tcp_time_wait_reused"), 1);
        if (!released)
            synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_in_synchronized_states),
        cmocka_unit_test(test_half_open_discovery),
        cmocka_unit_test(test_syn_rcvd_new_syn_returns_to_listen),
        cmocka_unit_test(test_retransmitted_syn_in_syn_rcvd),
        cmocka_unit_test(test_syn_ack_retransmitted_with_backoff),
        cmocka_unit_test(test_handshake_ack_lost_data_completes),
        cmocka_unit_test(test_handshake_ack_lost_syn_ack_again),
        cmocka_unit_test(test_retransmitted_syn_ack_after_established),
        cmocka_unit_test(test_syn_retransmitted_then_answered),
        cmocka_unit_test(test_time_wait_syn_higher_seq_reopens),
        cmocka_unit_test(test_time_wait_reopen_iss_from_clock),
        cmocka_unit_test(test_time_wait_syn_lower_seq_refused),
        cmocka_unit_test(test_time_wait_syn_without_listener),
        cmocka_unit_test(test_time_wait_syn_listener_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
