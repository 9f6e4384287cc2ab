/* Keep-alive (RFC 1122 4.2.3.6, RFC 9293 3.8.4), to the nanosecond of the
 * virtual clock: off by default; when on, a probe <SEQ=SND.NXT-1>
 * <ACK=RCV.NXT><CTL=ACK> with no data after `idle` with nothing received;
 * an answer (or any segment) starts the idle time again; unanswered probes
 * every `intvl`, and after `probes` of them a RST and SYNACK_ERR_TIMEDOUT
 * (Linux's tcp_keepalive_timer: tcp_send_active_reset, tcp_write_err).
 * Never a probe while data is outstanding or waits behind a zero window:
 * retransmission and the persist timer have the timer then. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segstate.h"

#define IDLE  (7200 * ST_S) /* the default tcp_keepalive_idle_ns */
#define INTVL (75 * ST_S)   /* the default tcp_keepalive_intvl_ns */
#define HOUR  (3600 * ST_S)

/* The clock runs to the next segment sent, which must be a keep-alive
 * probe <SEQ=@p seq><ACK=@p ack><CTL=ACK>, no data, sent at @p when. */
#define probe_at(t, when, seq, ack)                                                                \
    do {                                                                                           \
        st_wait_output((t), 4 * HOUR);                                                             \
        st_expect_at((t), F_ACK, (seq), (ack), 0, (when));                                         \
    } while (0)

static void tweak_on(synack_config *cfg)
{
    cfg->tcp_keepalive = true;
}

/* Short times, where a probe must be told apart from an RTO. */
static void tweak_on_short(synack_config *cfg)
{
    cfg->tcp_keepalive = true;
    cfg->tcp_keepalive_idle_ns = 10 * ST_S;
    cfg->tcp_keepalive_intvl_ns = 5 * ST_S;
    cfg->tcp_keepalive_probes = 3;
}

/* RFC 1122 4.2.3.6: "Keep-alive packets MUST only be sent when no data or
 * acknowledgement packets have been received for the connection within an
 * interval. This interval MUST be configurable and MUST default to no less
 * than two hours." "... it MUST default to off." Linux's values otherwise. */
static void test_defaults(void **state)
{
    (void)state;
    synack_config cfg;
    synack_config_default(&cfg);
    assert_false(cfg.tcp_keepalive);
    assert_int_equal(cfg.tcp_keepalive_idle_ns, IDLE);
    assert_int_equal(cfg.tcp_keepalive_intvl_ns, INTVL);
    assert_int_equal(cfg.tcp_keepalive_probes, 9);
    cfg.tcp_keepalive = true;
    cfg.tcp_keepalive_idle_ns = 1;
    assert_int_equal(synack_config_profile(&cfg, "linux"), 0);
    assert_false(cfg.tcp_keepalive);
    assert_int_equal(cfg.tcp_keepalive_idle_ns, IDLE);
    assert_int_equal(cfg.tcp_keepalive_intvl_ns, INTVL);
    assert_int_equal(cfg.tcp_keepalive_probes, 9);
}

/* The ranges synack_config_check accepts: Linux's (1..32767 s, up to 127
 * probes), times down to 1 ms, and never fewer than 2 probes ("MUST NOT
 * interpret failure to respond to any specific probe as a dead connection"). */
static void test_config_ranges(void **state)
{
    (void)state;
    synack_config cfg;
    synack_config_default(&cfg);
    synack_ipv4_parse("10.0.0.2", &cfg.addr);
    const char *why;
    assert_int_equal(synack_config_check(&cfg, &why), 0);
    cfg.tcp_keepalive_probes = 1;
    assert_int_equal(synack_config_check(&cfg, &why), SYNACK_ERR_INVAL);
    assert_non_null(strstr(why, "tcp_keepalive_probes"));
    cfg.tcp_keepalive_probes = 128;
    assert_int_equal(synack_config_check(&cfg, NULL), SYNACK_ERR_INVAL);
    cfg.tcp_keepalive_probes = 127;
    assert_int_equal(synack_config_check(&cfg, NULL), 0);
    cfg.tcp_keepalive_idle_ns = 0;
    assert_int_equal(synack_config_check(&cfg, NULL), SYNACK_ERR_INVAL);
    cfg.tcp_keepalive_idle_ns = 32768 * ST_S;
    assert_int_equal(synack_config_check(&cfg, NULL), SYNACK_ERR_INVAL);
    cfg.tcp_keepalive_idle_ns = 1 * ST_MS;
    assert_int_equal(synack_config_check(&cfg, NULL), 0);
    cfg.tcp_keepalive_intvl_ns = 0;
    assert_int_equal(synack_config_check(&cfg, &why), SYNACK_ERR_INVAL);
    assert_non_null(strstr(why, "tcp_keepalive"));
}

/* Off by default: ten hours idle, nothing sent, no timer armed. */
static void test_off_by_default(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(st_wait_output(t, 10 * HOUR), UINT64_MAX);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 0);
    st_free(t);
}

/* On: the first probe exactly `idle` after the handshake's ACK, with
 * SEG.SEQ = SND.NXT - 1, no data, ACK = RCV.NXT (RFC 1122 4.2.3.6). The
 * peer's ACK of it starts the idle time again: the next probe comes `idle`
 * after that ACK, not `intvl` after the probe. */
static void test_probe_at_idle_answer_restarts(void **state)
{
    (void)state;
    st *t = st_new(tweak_on);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    assert_int_equal(st_wait_output(t, 3 * HOUR), t0 + IDLE);
    st_seg p;
    st_expect(t, F_ACK, S - 1, R, 0, &p);
    assert_int_equal(p.win, ST_WIN);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 1);
    /* The peer finds SEG.SEQ below RCV.NXT and answers with an ACK
     * (RFC 9293 3.10.7.4 first check), 30 ms later. */
    st_advance(t, 30 * ST_MS);
    uint64_t t1 = t->now;
    st_in(t, &k, F_ACK, R, S, NULL, 0);
    st_expect_none(t);
    probe_at(t, t1 + IDLE, S - 1, R);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 2);
    st_free(t);
}

/* Nobody answers: probes at idle, idle + intvl, ... idle + 8 intvl (9 in
 * all); at idle + 9 intvl the connection gives up: a RST <SEQ=SND.NXT>
 * (as Linux and BSD do), CLOSED with SYNACK_ERR_TIMEDOUT, EV_ERROR and
 * EV_CLOSED, and nothing more is sent. */
static void test_unanswered_probes_drop(void **state)
{
    (void)state;
    st *t = st_new(tweak_on);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    for (uint64_t i = 0; i < 9; i++) {
        probe_at(t, t0 + IDLE + i * INTVL, S - 1, R);
        st_expect_none(t);
        assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    }
    assert_int_equal(st_events(t, k.c) & SYNACK_TCP_EV_ERROR, 0);
    assert_int_equal(st_wait_output(t, 3 * HOUR), t0 + IDLE + 9 * INTVL);
    st_expect(t, F_RST, S, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + IDLE + 9 * INTVL);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    uint32_t ev = SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED;
    assert_int_equal(st_events(t, k.c) & ev, ev);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 9);
    assert_int_equal(st_stat(t, "tcp_keepalive_drops"), 1);
    assert_int_equal(st_stat(t, "tcp_conn_timed_out"), 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(st_wait_output(t, 10 * HOUR), UINT64_MAX);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* A late answer after several unanswered probes resets the count: the
 * connection is dropped only after `probes` unanswered in a row. */
static void test_late_answer_resets_count(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short); /* idle 10 s, intvl 5 s, 3 probes */
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    for (uint64_t i = 0; i < 2; i++) {
        probe_at(t, t0 + (10 + 5 * i) * ST_S, S - 1, R);
    }
    st_advance(t, 1 * ST_S); /* t0 + 16 s: the second probe is answered */
    uint64_t t1 = t->now;
    st_in(t, &k, F_ACK, R, S, NULL, 0);
    for (uint64_t i = 0; i < 3; i++) {
        probe_at(t, t1 + (10 + 5 * i) * ST_S, S - 1, R);
    }
    assert_int_equal(st_wait_output(t, HOUR), t1 + 25 * ST_S);
    st_expect(t, F_RST, S, 0, 0, NULL);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 5);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* An answer that comes before the next probe is due when `intvl` is longer
 * than `idle`: the next probe follows `idle` after the answer, and the
 * count starts again (Linux: any ACK zeroes icsk_probes_out). */
static void tweak_intvl_over_idle(synack_config *cfg)
{
    cfg->tcp_keepalive = true;
    cfg->tcp_keepalive_idle_ns = 10 * ST_S;
    cfg->tcp_keepalive_intvl_ns = 60 * ST_S;
    cfg->tcp_keepalive_probes = 2;
}

static void test_answer_with_intvl_over_idle(void **state)
{
    (void)state;
    st *t = st_new(tweak_intvl_over_idle);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    probe_at(t, t0 + 10 * ST_S, S - 1, R);
    st_advance(t, 1 * ST_S);
    st_in(t, &k, F_ACK, R, S, NULL, 0); /* t0 + 11 s */
    /* The timer set for t0 + 70 s finds the answer; idle since t0 + 11 s. */
    probe_at(t, t0 + 70 * ST_S, S - 1, R);
    probe_at(t, t0 + 130 * ST_S, S - 1, R);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(st_wait_output(t, HOUR), t0 + 190 * ST_S);
    st_expect(t, F_RST, S, 0, 0, NULL);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* Data received meanwhile counts as traffic: the probe moves to `idle`
 * after it, and carries the new RCV.NXT. */
static void test_data_postpones_probe(void **state)
{
    (void)state;
    st *t = st_new(tweak_on);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_advance(t, HOUR);
    uint64_t t1 = t->now;
    st_in(t, &k, F_ACK | F_PSH, R, S, "abc", 3);
    st_expect(t, F_ACK, S, R + 3, 0, NULL);
    probe_at(t, t1 + IDLE, S - 1, R + 3);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 1);
    st_free(t);
}

/* With data outstanding there is no probe: retransmission finds out
 * whether the peer is there (Linux: "It is alive without keepalive"). The
 * write takes the timer from keep-alive, armed since the handshake: the
 * RTO fires at 1, 3, 7 s, never a probe, though idle is 10 s. Once all is
 * acknowledged keep-alive has the timer again, counting from that ACK. */
static void test_no_probe_with_data_outstanding(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_advance(t, 5 * ST_S);
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_send(k.c, "ping", 4, t->now), 4);
    st_expect(t, F_ACK | F_PSH, S, R, 4, NULL);
    const uint64_t at[] = {1, 3, 7, 15};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(st_wait_output(t, HOUR), t0 + at[i] * ST_S);
        st_expect(t, F_ACK | F_PSH, S, R, 4, NULL);
        st_expect_none(t);
    }
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 0);
    st_advance(t, 2 * ST_S);
    uint64_t t1 = t->now;
    st_in(t, &k, F_ACK, R, S + 4, NULL, 0);
    st_expect_none(t);
    probe_at(t, t1 + 10 * ST_S, S + 3, R);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 1);
    st_free(t);
}

/* A zero window with data waiting: the persist timer probes (RFC 9293
 * 3.8.6.1, at the RTO, 1 s), not keep-alive, though keep-alive held the
 * timer when the data was written. */
static void test_zero_window_persist_not_keepalive(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in_w(t, &k, F_ACK, R, S, 0, NULL, 0); /* the peer shuts its window */
    st_advance(t, 2 * ST_S);
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_send(k.c, "data", 4, t->now), 4);
    st_expect_none(t);
    assert_int_equal(st_wait_output(t, HOUR), t0 + 1 * ST_S);
    st_expect(t, F_ACK, S - 1, R, 0, NULL); /* the persist probe: SND.UNA - 1 */
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 0);
    st_in_w(t, &k, F_ACK, R, S, ST_WIN, NULL, 0);
    st_expect(t, F_ACK | F_PSH, S, R, 4, NULL);
    st_in(t, &k, F_ACK, R, S + 4, NULL, 0);
    uint64_t t1 = t->now;
    probe_at(t, t1 + 10 * ST_S, S + 3, R);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 1);
    st_free(t);
}

/* Our FIN written while idle takes the timer too: sent at once, again
 * after the RTO (1 s), not at the keep-alive time. */
static void test_shutdown_while_idle(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_advance(t, 3 * ST_S);
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    assert_int_equal(st_wait_output(t, HOUR), t0 + 1 * ST_S);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 0);
    st_free(t);
}

/* Linux probes in CLOSE-WAIT and in a FIN-WAIT-2 the user still holds
 * (half-closed: the peer may send for a long time), with SND.NXT - 1 and
 * RCV.NXT where they stand after the FINs. */
static void test_probes_in_close_wait_and_fin_wait_2(void **state)
{
    (void)state;
    const synack_tcp_state states[] = {SYNACK_TCP_CLOSE_WAIT, SYNACK_TCP_FIN_WAIT_2};
    for (size_t i = 0; i < 2; i++) {
        st *t = st_new(tweak_on_short);
        st_conn k;
        st_pos pos = st_reach(t, &k, states[i]);
        uint64_t t0 = t->now;
        probe_at(t, t0 + 10 * ST_S, pos.snd_nxt - 1, pos.rcv_nxt);
        st_in(t, &k, F_ACK, pos.rcv_nxt, pos.snd_nxt, NULL, 0);
        probe_at(t, t0 + 20 * ST_S, pos.snd_nxt - 1, pos.rcv_nxt);
        assert_int_equal(synack_tcp_get_state(k.c), states[i]);
        st_free(t);
    }
}

/* A FIN-WAIT-2 the user released ends by its own 2 MSL timer, unprobed. */
static void test_released_fin_wait_2_not_probed(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short);
    st_conn k;
    st_reach(t, &k, SYNACK_TCP_FIN_WAIT_2);
    uint64_t t0 = t->now;
    uint32_t id = synack_tcp_id(k.c);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    assert_int_equal(st_wait_output(t, HOUR), UINT64_MAX);
    assert_int_equal(st_stat(t, "tcp_keepalive_probes"), 0);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(t->states[t->nstates - 1].conn_id, id);
    assert_int_equal(t->states[t->nstates - 1].now, t0 + 60 * ST_S);
    st_free(t);
}

/* Opens through listener @p l (already listening on ST_PORT). */
static void open_via(st *t, st_conn *k, synack_tcp *l)
{
    memset(k, 0, sizeof(*k));
    k->l = l;
    k->port = ST_PORT;
    k->peer_port = ST_PEER_PORT;
    k->irs = ST_PEER_ISN;
    st_inject(t, k->peer_port, k->port, F_SYN, k->irs, 0, ST_WIN, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    k->iss = s.seq;
    st_in(t, k, F_ACK, k->irs + 1, k->iss + 1, NULL, 0);
    assert_int_equal(synack_tcp_accept(l, &k->c, t->now), 0);
}

/* A listener's setting is what its connections start with, either way
 * (as SO_KEEPALIVE on a listening socket): on over a stack-wide off, off
 * over a stack-wide on. */
static void test_listener_setting_inherited(void **state)
{
    (void)state;
    for (int on = 0; on < 2; on++) {
        st *t = st_new(on ? NULL : tweak_on_short);
        synack_tcp *l;
        assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &l), 0);
        assert_int_equal(synack_tcp_set_keepalive(l, on != 0), 0);
        st_conn k;
        open_via(t, &k, l);
        uint64_t t0 = t->now;
        if (on) {
            probe_at(t, t0 + IDLE, k.iss, k.irs + 1);
        } else {
            assert_int_equal(st_wait_output(t, 3 * HOUR), UINT64_MAX);
        }
        assert_int_equal(st_stat(t, "tcp_keepalive_probes"), on ? 1 : 0);
        st_free(t);
    }
    assert_int_equal(synack_tcp_set_keepalive(NULL, true), SYNACK_ERR_INVAL);
}

/* Turned on for an established connection, the idle time counts from the
 * last segment received (RFC 1122 4.2.3.6), before the call; turned off,
 * the timer stops. Idle longer than `idle` already: a probe at once. */
static void test_set_keepalive_on_idle_connection(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    st_advance(t, HOUR);
    assert_int_equal(synack_tcp_set_keepalive(k.c, true), 0);
    assert_int_equal(synack_tcp_set_keepalive(k.c, true), 0); /* again: no change */
    assert_int_not_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(synack_tcp_set_keepalive(k.c, false), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(synack_tcp_set_keepalive(k.c, true), 0);
    probe_at(t, t0 + IDLE, S - 1, R);
    assert_int_equal(synack_tcp_set_keepalive(k.c, false), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(st_wait_output(t, 3 * HOUR), UINT64_MAX);
    assert_int_equal(synack_tcp_set_keepalive(k.c, true), 0);
    uint64_t t1 = t->now;
    probe_at(t, t1, S - 1, R);
    probe_at(t, t1 + INTVL, S - 1, R);
    st_free(t);
}

/* The probe carries the options the connection agreed on: timestamps are
 * "in every non-<RST> segment" (RFC 7323 3.2), and a peer may drop one
 * without them; TSecr echoes the peer's latest TSval. */
static void test_probe_carries_timestamps(void **state)
{
    (void)state;
    st *t = st_new(tweak_on_short);
    st_conn k;
    memset(&k, 0, sizeof(k));
    k.port = ST_PORT;
    k.peer_port = ST_PEER_PORT;
    k.irs = ST_PEER_ISN;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &k.l), 0);
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1460;
    o.has_ts = true;
    o.tsval = 5000;
    st_inject(t, k.peer_port, k.port, F_SYN, k.irs, 0, ST_WIN, &o, NULL, 0);
    st_seg sa;
    assert_true(st_next(t, &sa));
    assert_true(sa.opts.has_ts);
    k.iss = sa.seq;
    sk_tcp_opts a = {0};
    a.has_ts = true;
    a.tsval = 5001;
    a.tsecr = sa.opts.tsval;
    st_inject(t, k.peer_port, k.port, F_ACK, k.irs + 1, k.iss + 1, ST_WIN, &a, NULL, 0);
    assert_int_equal(synack_tcp_accept(k.l, &k.c, t->now), 0);
    uint64_t t0 = t->now;
    assert_int_equal(st_wait_output(t, HOUR), t0 + 10 * ST_S);
    st_seg p;
    st_expect(t, F_ACK, k.iss, k.irs + 1, 0, &p);
    assert_true(p.opts.has_ts);
    assert_int_equal(p.opts.tsecr, 5001);
    assert_int_equal(p.opts.tsval, sa.opts.tsval + 10000);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_config_ranges),
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_probe_at_idle_answer_restarts),
        cmocka_unit_test(test_unanswered_probes_drop),
        cmocka_unit_test(test_late_answer_resets_count),
        cmocka_unit_test(test_answer_with_intvl_over_idle),
        cmocka_unit_test(test_data_postpones_probe),
        cmocka_unit_test(test_no_probe_with_data_outstanding),
        cmocka_unit_test(test_zero_window_persist_not_keepalive),
        cmocka_unit_test(test_shutdown_while_idle),
        cmocka_unit_test(test_probes_in_close_wait_and_fin_wait_2),
        cmocka_unit_test(test_released_fin_wait_2_not_probed),
        cmocka_unit_test(test_listener_setting_inherited),
        cmocka_unit_test(test_set_keepalive_on_idle_connection),
        cmocka_unit_test(test_probe_carries_timestamps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
