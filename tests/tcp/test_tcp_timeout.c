/* Timers of the lifecycle, to the nanosecond of the virtual clock: SYN and
 * SYN+ACK retransmission with exponential backoff and the connect timeout
 * (RFC 6298 2.1, 5.5, 5.7; RFC 1122 4.2.3.5), the user timeout (RFC 9293
 * 3.8.3, 3.10.8), our FIN retransmitted, the peer's FIN retransmitted
 * (RFC 9293 3.10.7.4 eighth) and TIME-WAIT's 2 MSL. tests/tcp/COVERAGE.md
 * maps every rule to its test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define MSL (30 * ST_S) /* the default tcp_msl_ns */

/* The defaults this file relies on (include/synack/config.h). */
static void test_defaults(void **state)
{
    (void)state;
    synack_config cfg;
    synack_config_default(&cfg);
    assert_int_equal(cfg.tcp_rto_initial_ns, 1 * ST_S);  /* RFC 6298 2.1 */
    assert_int_equal(cfg.tcp_rto_max_ns, 60 * ST_S);     /* RFC 6298 2.5 */
    assert_int_equal(cfg.tcp_syn_timeout_ns, 75 * ST_S); /* BSD's 75 s */
    assert_int_equal(cfg.tcp_user_timeout_ns, 300 * ST_S);
    assert_int_equal(cfg.tcp_msl_ns, MSL);
}

/* Active open to nobody: the SYN is sent again at 1, 3, 7, 15, 31 and 63 s
 * (RFC 6298 2.1: initial RTO 1 s; 5.5: "back off the timer" by doubling;
 * RFC 9293 3.8.1 applies it to the SYN), each the same segment, and the
 * open gives up at exactly 75 s (tcp_syn_timeout; RFC 1122 4.2.3.5: "the
 * R2 timeout ... for a SYN"), not at the next backed-off retransmission
 * (127 s): CLOSED with SYNACK_ERR_TIMEDOUT, no segment (RFC 9293 3.10.8
 * "delete the TCB, enter the CLOSED state"). */
static void test_connect_timeout_with_syn_backoff(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    const uint64_t at[] = {1, 3, 7, 15, 31, 63};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        assert_int_equal(st_wait_output(t, 200 * ST_S), t0 + at[i] * ST_S);
        st_seg r;
        assert_true(st_next(t, &r));
        assert_int_equal(r.flags, F_SYN);
        assert_int_equal(r.seq, s.seq);
        assert_int_equal(r.sport, s.sport);
        assert_true(r.opts.has_mss);
        st_expect_none(t);
    }
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    assert_int_equal(st_events(t, c), 0);
    assert_int_equal(st_wait_output(t, 200 * ST_S), UINT64_MAX);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + 75 * ST_S);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_TIMEDOUT);
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED);
    assert_int_equal(st_stat(t, "tcp_conn_timed_out"), 1);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 6);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    char b[4];
    assert_int_equal(synack_tcp_recv(c, b, sizeof(b), t->now), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* With a longer connect timeout the backoff meets tcp_rto_max (RFC 6298
 * 2.5: "A maximum value MAY be placed on RTO provided it is at least 60
 * seconds"): after 63 s the SYN goes every 60 s. */
static void tweak_syn_timeout_300(synack_config *cfg)
{
    cfg->tcp_syn_timeout_ns = 300 * ST_S;
}

static void test_syn_backoff_capped_at_rto_max(void **state)
{
    (void)state;
    st *t = st_new(tweak_syn_timeout_300);
    synack_tcp *c;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    const uint64_t at[] = {1, 3, 7, 15, 31, 63, 123, 183, 243};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        assert_int_equal(st_wait_output(t, 200 * ST_S), t0 + at[i] * ST_S);
        st_expect(t, F_SYN, s.seq, 0, 0, NULL);
    }
    assert_int_equal(st_wait_output(t, 200 * ST_S), UINT64_MAX);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + 300 * ST_S);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* A passive open whose SYN+ACK is never answered: SYN+ACK at 1, 3, 7, 15,
 * 31, 63 s, then the half-open child is dropped at 75 s without a segment;
 * the listener never saw it and goes on listening. */
static void test_syn_rcvd_timeout(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    uint64_t t0 = t->now;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    const uint64_t at[] = {1, 3, 7, 15, 31, 63};
    for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        assert_int_equal(st_wait_output(t, 200 * ST_S), t0 + at[i] * ST_S);
        st_expect(t, F_SYN | F_ACK, s.seq, 501, 0, NULL);
    }
    assert_int_equal(st_wait_output(t, 200 * ST_S), UINT64_MAX);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + 75 * ST_S);
    assert_int_equal(t->states[t->nstates - 1].new_state, SYNACK_TCP_CLOSED);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), SYNACK_ERR_AGAIN);
    assert_int_equal(st_events(t, l), 0);
    st_free(t);
}

/* The user timeout (RFC 9293 3.8.3: "If data is not successfully
 * delivered to the destination within the timeout period, the TCP will
 * abort the connection"; 3.10.8 USER TIMEOUT: "flush all queues, signal
 * the user "error: connection aborted due to user timeout" ... delete the
 * TCB, enter the CLOSED state"). With tcp_user_timeout 10 s, data sent at
 * t0 goes again at 1, 3 and 7 s and the connection ends at t0 + 10 s to
 * the tick, without a segment. */
static void tweak_user_timeout_10(synack_config *cfg)
{
    cfg->tcp_user_timeout_ns = 10 * ST_S;
}

static void test_user_timeout(void **state)
{
    (void)state;
    st *t = st_new(tweak_user_timeout_10);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_advance(t, 5 * ST_S);
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_send(k.c, "ping", 4, t->now), 4);
    st_expect(t, F_ACK | F_PSH, S, R, 4, NULL);
    const uint64_t at[] = {1, 3, 7};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(st_wait_output(t, 60 * ST_S), t0 + at[i] * ST_S);
        st_expect(t, F_ACK | F_PSH, S, R, 4, NULL);
        st_expect_none(t);
    }
    assert_int_equal(st_wait_output(t, 60 * ST_S), UINT64_MAX);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + 10 * ST_S);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    assert_true(st_events(t, k.c) & SYNACK_TCP_EV_ERROR);
    assert_int_equal(synack_tcp_send(k.c, "x", 1, t->now), SYNACK_ERR_TIMEDOUT);
    assert_int_equal(st_stat(t, "tcp_conn_timed_out"), 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* The user timeout counts from the last progress: an ACK that moves
 * SND.UNA starts it again. The backoff stays (RFC 6298 5: the RTO
 * "collapses" only with a new RTT measurement, and Karn's rule gives none
 * for retransmitted data): the next retransmission comes 4 s later. */
static void test_user_timeout_restarts_on_progress(void **state)
{
    (void)state;
    st *t = st_new(tweak_user_timeout_10);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_send(k.c, "ab", 2, t->now), 2);
    st_expect(t, F_ACK | F_PSH, S, R, 2, NULL);
    assert_int_equal(st_wait_output(t, 60 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_ACK | F_PSH, S, R, 2, NULL);
    assert_int_equal(st_wait_output(t, 60 * ST_S), t0 + 3 * ST_S);
    st_expect(t, F_ACK | F_PSH, S, R, 2, NULL);
    st_advance(t, 3 * ST_S); /* t0 + 6 s: the first byte only is acknowledged */
    uint64_t t1 = t->now;
    st_in(t, &k, F_ACK, R, S + 1, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_wait_output(t, 60 * ST_S), t1 + 4 * ST_S);
    st_expect(t, F_ACK | F_PSH, S + 1, R, 1, NULL);
    assert_int_equal(st_wait_output(t, 60 * ST_S), UINT64_MAX);
    assert_int_equal(t->states[t->nstates - 1].now, t1 + 10 * ST_S);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* Our FIN lost in FIN-WAIT-1: sent again, the same FIN, after 1 s and then
 * 2 s more (RFC 9293 3.10.4: the FIN is queued like data and retransmitted
 * like data; RFC 6298 5.5); its ACK then gives FIN-WAIT-2. */
static void test_fin_retransmitted_fin_wait_1(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect_at(t, F_FIN | F_ACK, S, R, 0, t0);
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 3 * ST_S);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_1);
    st_in(t, &k, F_ACK, R, S + 1, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_free(t);
}

/* The peer's FIN retransmitted (our ACK of it was lost) in CLOSING and in
 * LAST-ACK: RFC 9293 3.10.7.4 eighth, "CLOSING STATE: Remain in the CLOSING
 * state. LAST-ACK STATE: Remain in the LAST-ACK state." The old FIN fails
 * the sequence test and draws <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (first
 * step), at once; our own FIN keeps its retransmission schedule. */
static void test_peer_fin_retransmitted_closing_last_ack(void **state)
{
    (void)state;
    static const synack_tcp_state states[] = {SYNACK_TCP_CLOSING, SYNACK_TCP_LAST_ACK};
    for (size_t i = 0; i < 2; i++) {
        st *t = st_new(NULL);
        st_conn k;
        uint64_t t0 = t->now;
        st_pos p = st_reach(t, &k, states[i]);
        st_advance(t, 500 * ST_MS);
        st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt - 1, p.snd_nxt - 1, NULL, 0);
        st_expect_at(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, t->now);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), states[i]);
        assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 1 * ST_S);
        st_expect(t, F_FIN | F_ACK, p.snd_nxt - 1, p.rcv_nxt, 0, NULL);
        st_in(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), states[i] == SYNACK_TCP_CLOSING
                                                        ? SYNACK_TCP_TIME_WAIT
                                                        : SYNACK_TCP_CLOSED);
        synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* TIME-WAIT, RFC 9293 3.10.7.4 eighth: "Remain in the TIME-WAIT state.
 * Restart the 2 MSL time-wait timeout." Each retransmitted FIN is ACKed
 * and moves the end to 2 MSL after it - for the compact entry of a
 * released connection as for the full TCB. */
static void test_time_wait_fin_restarts_2msl(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(NULL);
        st_conn k;
        st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
        if (released)
            assert_int_equal(synack_tcp_close(k.c, t->now), 0);
        st_advance(t, 50 * ST_S);
        st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt - 1, p.snd_nxt, NULL, 0);
        st_expect_at(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, t->now);
        uint64_t fin1 = t->now;
        st_advance(t, 50 * ST_S);
        st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt - 1, p.snd_nxt, NULL, 0);
        st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, NULL);
        uint64_t fin2 = t->now;
        assert_true(fin2 < fin1 + 2 * MSL);
        st_advance(t, fin2 + 2 * MSL - 1 - t->now);
        assert_int_equal(synack_stack_tcp_count(t->stack), 1);
        st_advance(t, 1);
        assert_int_equal(synack_stack_tcp_count(t->stack), 0);
        assert_int_equal(t->states[t->nstates - 1].now, fin2 + 2 * MSL);
        /* an ACK alone does not restart it: see test_tcp_close; gone now */
        st_in(t, &k, F_FIN | F_ACK, p.rcv_nxt - 1, p.snd_nxt, NULL, 0);
        st_expect(t, F_RST, p.snd_nxt, 0, 0, NULL);
        if (!released)
            synack_tcp_close(k.c, t->now);
        st_free(t);
    }
}

/* TIME-WAIT: segments other than the FIN. An old duplicate ACK or data
 * fails the sequence test and is ACKed (3.10.7.4 first); the ACK does not
 * restart the 2 MSL; an empty segment exactly at RCV.NXT is dropped without
 * a reply (two ends in TIME-WAIT never trade ACKs). */
static void test_time_wait_other_segments(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_pos p = st_reach(t, &k, SYNACK_TCP_TIME_WAIT);
    uint64_t tw = t->now;
    st_advance(t, 10 * ST_S);
    st_in(t, &k, F_ACK, p.rcv_nxt - 1, p.snd_nxt, NULL, 0);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, NULL);
    st_in(t, &k, F_ACK | F_PSH, p.rcv_nxt - 5, p.snd_nxt, "hello", 5);
    st_expect(t, F_ACK, p.snd_nxt, p.rcv_nxt, 0, NULL);
    st_in(t, &k, F_ACK, p.rcv_nxt, p.snd_nxt, NULL, 0);
    st_expect_none(t);
    st_advance(t, tw + 2 * MSL - t->now);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(t->states[t->nstates - 1].now, tw + 2 * MSL);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* TIME-WAIT on a connection that agreed on timestamps and window scaling
 * (RFC 7323): its ACKs keep carrying them - "Once TSopt has been
 * successfully negotiated ... the TSopt MUST be sent in every non-<RST>
 * segment for the duration of the connection" (3.2), TSecr echoing the
 * peer's latest TSval (4.3), the window in the agreed scale (2.3) - for
 * the full TCB the user holds and, after close, for the compact entry. */
static void tweak_rcvbuf_200000(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 200000; /* window scale 2 */
}

static void test_time_wait_ack_keeps_options(void **state)
{
    (void)state;
    for (int released = 0; released < 2; released++) {
        st *t = st_new(tweak_rcvbuf_200000);
        synack_tcp *l, *c;
        assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
        sk_tcp_opts o = {0};
        o.has_mss = true;
        o.mss = 1460;
        o.has_wscale = true;
        o.wscale = 0;
        o.has_ts = true;
        o.tsval = 100;
        st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 500, 0, 65535, &o, NULL, 0);
        st_seg s;
        assert_true(st_next(t, &s));
        assert_true(s.opts.has_ts && s.opts.has_wscale);
        assert_int_equal(s.opts.wscale, 2);
        assert_int_equal(s.opts.tsecr, 100);
        uint32_t S = s.seq + 1, R = 501, ts0 = s.opts.tsval;
        sk_tcp_opts ts = {0};
        ts.has_ts = true;
        ts.tsval = 101;
        ts.tsecr = ts0;
        st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, R, S, 65535, &ts, NULL, 0);
        assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
        assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
        assert_true(st_next(t, &s));
        assert_int_equal(s.flags, F_FIN | F_ACK);
        ts.tsval = 102;
        st_inject(t, ST_PEER_PORT, ST_PORT, F_FIN | F_ACK, R, S + 1, 65535, &ts, NULL, 0);
        st_expect(t, F_ACK, S + 1, R + 1, 0, &s);
        assert_true(s.opts.has_ts);
        assert_int_equal(s.opts.tsecr, 102);
        assert_int_equal(s.win, 200000 >> 2);
        assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
        if (released)
            assert_int_equal(synack_tcp_close(c, t->now), 0);
        /* our last ACK was lost: the FIN again, 1.5 s later, newer TSval */
        st_advance(t, 1500 * ST_MS);
        ts.tsval = 103;
        st_inject(t, ST_PEER_PORT, ST_PORT, F_FIN | F_ACK, R, S + 1, 65535, &ts, NULL, 0);
        st_expect(t, F_ACK, S + 1, R + 1, 0, &s);
        assert_true(s.opts.has_ts);
        assert_int_equal(s.opts.tsval, ts0 + 1500 + (uint32_t)((s.when - t->now) / ST_MS));
        assert_true(s.opts.tsecr == 103 || (!released && s.opts.tsecr == 102));
        assert_int_equal(s.win, 200000 >> 2);
        assert_false(s.opts.has_wscale || s.opts.has_mss);
        st_expect_none(t);
        if (!released)
            synack_tcp_close(c, t->now);
        st_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_connect_timeout_with_syn_backoff),
        cmocka_unit_test(test_syn_backoff_capped_at_rto_max),
        cmocka_unit_test(test_syn_rcvd_timeout),
        cmocka_unit_test(test_user_timeout),
        cmocka_unit_test(test_user_timeout_restarts_on_progress),
        cmocka_unit_test(test_fin_retransmitted_fin_wait_1),
        cmocka_unit_test(test_peer_fin_retransmitted_closing_last_ack),
        cmocka_unit_test(test_time_wait_fin_restarts_2msl),
        cmocka_unit_test(test_time_wait_other_segments),
        cmocka_unit_test(test_time_wait_ack_keeps_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
