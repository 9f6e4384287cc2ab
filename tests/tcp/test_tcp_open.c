/* Opening connections, segment by segment: the arrows of RFC 9293 Figure 5
 * that lead to ESTABLISHED, what LISTEN and SYN-SENT do with every other
 * segment (RFC 9293 3.10.7.2, 3.10.7.3), the backlog and connection limits,
 * the MSS option (RFC 9293 3.7.1) and the ISN (RFC 6528). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

static const sk_tcp_opts *mss(sk_tcp_opts *o, uint16_t v)
{
    memset(o, 0, sizeof(*o));
    o->has_mss = true;
    o->mss = v;
    return o;
}

/* CLOSED -> LISTEN (passive OPEN) and LISTEN -> CLOSED (CLOSE): no segment
 * either way. RFC 9293 Figure 5 also draws LISTEN -> SYN-SENT on a SEND;
 * the API does not offer it (a listener only accepts): send on a listener
 * is SYNACK_ERR_INVAL and leaves it in LISTEN. */
static void test_listen_then_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    assert_int_equal(synack_tcp_send(l, "x", 1, t->now), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    uint32_t id = synack_tcp_id(l);
    assert_int_equal(synack_tcp_close(l, t->now), 0);
    st_expect_none(t);
    st_expect_states(t, id, SYNACK_TCP_CLOSED, SYNACK_TCP_LISTEN, SYNACK_TCP_CLOSED);
    /* the port is free again */
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_free(t);
}

/* LISTEN -> SYN-RCVD -> ESTABLISHED, each segment exact:
 * <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with our MSS and the full window. */
static void test_passive_open_exact(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    sk_tcp_opts o;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 7777, 0, 8192, mss(&o, 1200), NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, 7778);
    assert_int_equal(s.win, 65535);
    assert_true(s.opts.has_mss);
    assert_int_equal(s.opts.mss, 1460);
    assert_false(s.opts.has_wscale || s.opts.sack_permitted || s.opts.has_ts);
    assert_int_equal(s.len, 0);
    assert_int_equal(s.when, t->now);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), SYNACK_ERR_AGAIN);
    assert_int_equal(st_events(t, l), 0);

    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 7778, iss + 1, 8192, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_events(t, l), SYNACK_TCP_EV_ACCEPTABLE);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 1200);
    assert_int_equal(st_stat(t, "tcp_conn_opened_passive"), 1);
    assert_int_equal(st_stat(t, "tcp_conn_established"), 1);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD,
                     SYNACK_TCP_ESTABLISHED);
    /* the listener itself never left LISTEN */
    st_expect_states(t, synack_tcp_id(l), SYNACK_TCP_CLOSED, SYNACK_TCP_LISTEN);
    /* the accepted connection is told what is already true of it */
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE);
    /* the window the peer offered is the one we use: 8192 bytes, no more;
     * six full segments, and the 992 bytes left of it wait (sender SWS
     * avoidance, RFC 9293 3.8.6.2.1: less than an MSS and than half the
     * largest window, with data in flight) */
    static uint8_t big[10000];
    assert_int_equal(synack_tcp_send(c, big, sizeof(big), t->now), 10000);
    for (uint32_t off = 0; off + 1200 <= 8192; off += 1200)
        st_expect(t, F_ACK, iss + 1 + off, 7778, 1200, NULL);
    st_expect_none(t);
    st_free(t);
}

/* CLOSED -> SYN-SENT -> ESTABLISHED: <SEQ=ISS><CTL=SYN> with our MSS, then
 * <SEQ=ISS+1><ACK=IRS+1><CTL=ACK> when the SYN+ACK acknowledges our SYN. */
static void test_active_open_exact(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN);
    assert_int_equal(s.ack, 0);
    assert_int_equal(s.win, 65535);
    assert_true(s.opts.has_mss);
    assert_int_equal(s.opts.mss, 1460);
    assert_int_equal(s.dport, ST_PORT);
    assert_true(s.sport >= 49152);
    uint32_t iss = s.seq;
    uint16_t lport = s.sport;
    assert_int_equal(synack_tcp_send(c, "x", 1, t->now), SYNACK_ERR_AGAIN);
    assert_int_equal(st_events(t, c), 0);
    sk_tcp_opts o;
    st_inject(t, ST_PORT, lport, F_SYN | F_ACK, 300, iss + 1, 4096, mss(&o, 1400), NULL, 0);
    st_expect_w(t, F_ACK, iss + 1, 301, 65535, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 1400);
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE);
    assert_int_equal(st_stat(t, "tcp_conn_opened_active"), 1);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_ESTABLISHED);
    /* the SYN's retransmission timer is gone */
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_free(t);
}

/* Simultaneous open (RFC 9293 Figure 8): SYN-SENT -> SYN-RCVD on a bare SYN,
 * answered <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>; the peer's SYN+ACK then
 * completes it without a further segment (Figure 8 lines 5-7). */
static void test_simultaneous_open(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    uint16_t lport = s.sport;
    uint64_t t0 = t->now;
    sk_tcp_opts o;
    st_inject(t, ST_PORT, lport, F_SYN, 300, 0, 65535, mss(&o, 1000), NULL, 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_RCVD);
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.seq, iss);
    assert_int_equal(s.ack, 301);
    assert_true(s.opts.has_mss);
    st_expect_none(t);
    /* our SYN+ACK is retransmitted on the SYN's timer (1 s after the SYN) */
    assert_int_equal(st_wait_output(t, 5 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_SYN | F_ACK, iss, 301, 0, NULL);
    st_inject(t, ST_PORT, lport, F_SYN | F_ACK, 300, iss + 1, 65535, mss(&o, 1000), NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 1000);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    /* the connection works both ways from there */
    assert_int_equal(synack_tcp_send(c, "ab", 2, t->now), 2);
    st_expect(t, F_ACK | F_PSH, iss + 1, 301, 2, NULL);
    st_inject(t, ST_PORT, lport, F_ACK, 301, iss + 3, 65535, NULL, "cd", 2);
    st_expect(t, F_ACK, iss + 3, 303, 0, NULL);
    st_free(t);
}

/* Simultaneous open completed by a bare ACK of our SYN+ACK. */
static void test_simultaneous_open_bare_ack(void **state)
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
    st_inject(t, ST_PORT, s.sport, F_ACK, 301, iss + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 536); /* no MSS option in the peer's SYN */
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE);
    st_free(t);
}

/* LISTEN, RFC 9293 3.10.7.2: a RST is ignored; an ACK draws
 * <SEQ=SEG.ACK><CTL=RST>; anything without SYN is dropped. Each counted. */
static void test_listen_other_segments(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_RST, 100, 0, 0, NULL, NULL, 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_RST | F_ACK, 100, 5, 0, NULL, NULL, 0);
    st_expect_none(t);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 100, 123456, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, 123456, 0, 0, NULL);
    /* ACK with data or FIN: the same RST, data ignored */
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK | F_FIN, 100, 99, 65535, NULL, "abc", 3);
    st_expect(t, F_RST, 99, 0, 0, NULL);
    /* no ACK, no SYN: dropped */
    st_inject(t, ST_PEER_PORT, ST_PORT, F_FIN, 100, 0, 65535, NULL, NULL, 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, 0, 100, 0, 65535, NULL, "abc", 3);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_listen"), 6);
    assert_int_equal(st_stat(t, "tcp_rst_out"), 2);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    /* a SYN+ACK to a listener is an ACK: RST, no connection */
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN | F_ACK, 100, 42, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, 42, 0, 0, NULL);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

/* A SYN that carries data: RFC 9293 3.10.7.2 lets us queue it or not; we
 * acknowledge the SYN alone and the peer sends the data again. */
static void test_listen_syn_with_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, 100, 0, 65535, NULL, "hello", 5);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, 101);
    st_inject(t, ST_PEER_PORT, ST_PORT, F_ACK, 101, s.seq + 1, 65535, NULL, "hello", 5);
    st_expect(t, F_ACK, s.seq + 1, 106, 0, NULL);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    char buf[8];
    assert_int_equal(synack_tcp_recv(c, buf, sizeof(buf), t->now), 5);
    assert_memory_equal(buf, "hello", 5);
    st_free(t);
}

static void tweak_two_conns(synack_config *cfg)
{
    cfg->tcp_max_conns = 2;
}

/* The backlog bounds children in SYN-RCVD plus those waiting for accept:
 * past it a SYN is dropped without a reply (the peer retries) and counted. */
static void test_backlog_full(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 2, t->now, &l), 0);
    st_seg s1, s2;
    st_inject(t, 40001, ST_PORT, F_SYN, 100, 0, 65535, NULL, NULL, 0);
    assert_true(st_next(t, &s1));
    st_inject(t, 40002, ST_PORT, F_SYN, 200, 0, 65535, NULL, NULL, 0);
    assert_true(st_next(t, &s2));
    st_inject(t, 40003, ST_PORT, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_backlog"), 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 2);
    /* one completes but is not accepted yet: still full */
    st_inject(t, 40001, ST_PORT, F_ACK, 101, s1.seq + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    st_inject(t, 40003, ST_PORT, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_backlog"), 2);
    /* accepting it makes room */
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    st_inject(t, 40003, ST_PORT, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_seg s3;
    assert_true(st_next(t, &s3));
    assert_int_equal(s3.flags, F_SYN | F_ACK);
    assert_int_equal(s3.ack, 301);
    assert_int_equal(s3.dport, 40003);
    st_free(t);
}

/* tcp_max_conns bounds every connection: a SYN past it is dropped and
 * counted, a connect fails with SYNACK_ERR_LIMIT. */
static void test_connection_limit(void **state)
{
    (void)state;
    st *t = st_new(tweak_two_conns);
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 16, t->now, &l), 0);
    st_inject(t, 40001, ST_PORT, F_SYN, 100, 0, 65535, NULL, NULL, 0);
    st_inject(t, 40002, ST_PORT, F_SYN, 200, 0, 65535, NULL, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_true(st_next(t, &s));
    st_inject(t, 40003, ST_PORT, F_SYN, 300, 0, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_conn_limit"), 1);
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, 8080, 0, t->now, &c),
                     SYNACK_ERR_LIMIT);
    st_expect_none(t);
    /* a RST frees a slot (the child returns to LISTEN, RFC 9293 3.10.7.4) */
    st_inject(t, 40001, ST_PORT, F_RST, 101, 0, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, 8080, 0, t->now, &c), 0);
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN);
    st_free(t);
}

/* SYN-SENT, first check the ACK bit (RFC 9293 3.10.7.3): SEG.ACK =< ISS or
 * > SND.NXT draws <SEQ=SEG.ACK><CTL=RST> (nothing if the segment is itself a
 * RST) and the connection stays in SYN-SENT. */
static void test_syn_sent_bad_ack(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    uint16_t lport = s.sport;
    st_inject(t, ST_PORT, lport, F_SYN | F_ACK, 300, iss, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, iss, 0, 0, NULL);
    st_inject(t, ST_PORT, lport, F_SYN | F_ACK, 300, iss + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, iss + 2, 0, 0, NULL);
    st_inject(t, ST_PORT, lport, F_ACK, 300, iss - 1000, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, iss - 1000, 0, 0, NULL);
    st_inject(t, ST_PORT, lport, F_RST | F_ACK, 300, iss + 2, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    assert_int_equal(st_stat(t, "tcp_drop_bad_ack"), 4);
    assert_int_equal(synack_tcp_error(c), 0);
    /* the handshake still completes */
    st_inject(t, ST_PORT, lport, F_SYN | F_ACK, 300, iss + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, iss + 1, 301, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    st_free(t);
}

/* SYN-SENT, second check the RST bit: with an acceptable ACK the connection
 * is refused (CLOSED, SYNACK_ERR_REFUSED, EV_ERROR); without an ACK the RST
 * is dropped (RFC 9293 3.10.7.3, RFC 5961 3.2 leaves SYN-SENT to it). */
static void test_syn_sent_rst(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t iss = s.seq;
    st_inject(t, ST_PORT, s.sport, F_RST, 0, 0, 0, NULL, NULL, 0);
    st_inject(t, ST_PORT, s.sport, F_RST, iss + 1, 0, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    assert_int_equal(st_stat(t, "tcp_rst_ignored"), 2);
    assert_int_equal(st_events(t, c), 0);

    st_inject(t, ST_PORT, s.sport, F_RST | F_ACK, 0, iss + 1, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_REFUSED);
    assert_int_equal(st_events(t, c), SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED);
    assert_int_equal(synack_tcp_events(c), SYNACK_TCP_EV_ERROR | SYNACK_TCP_EV_CLOSED);
    assert_int_equal(st_stat(t, "tcp_conn_refused"), 1);
    assert_int_equal(st_stat(t, "tcp_rst_in"), 1);
    char b[4];
    assert_int_equal(synack_tcp_send(c, "x", 1, t->now), SYNACK_ERR_REFUSED);
    assert_int_equal(synack_tcp_recv(c, b, sizeof(b), t->now), SYNACK_ERR_REFUSED);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_CLOSED);
    /* no timer left behind, and the tuple is free */
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    /* the handle stays until closed; closing it sends nothing */
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    st_expect_none(t);
    st_free(t);
}

/* SYN-SENT, fifth: neither SYN nor RST (an acceptable bare ACK, data, FIN):
 * drop. */
static void test_syn_sent_ack_without_syn(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    st_inject(t, ST_PORT, s.sport, F_ACK, 300, s.seq + 1, 65535, NULL, NULL, 0);
    st_inject(t, ST_PORT, s.sport, F_ACK | F_FIN, 300, s.seq + 1, 65535, NULL, "ab", 2);
    st_inject(t, ST_PORT, s.sport, F_FIN, 300, 0, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    st_free(t);
}

/* SYN-SENT -> CLOSED on CLOSE: the TCB is deleted, nothing is sent
 * (RFC 9293 3.10.4), and a late SYN+ACK then finds a closed port. */
static void test_syn_sent_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t id = synack_tcp_id(c);
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    st_expect_none(t);
    st_expect_states(t, id, SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT, SYNACK_TCP_CLOSED);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_inject(t, ST_PORT, s.sport, F_SYN | F_ACK, 300, s.seq + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, s.seq + 1, 0, 0, NULL);
    st_free(t);
}

/* A SYN+ACK carrying data: RFC 9293 3.10.7.3 allows dropping the text (as
 * Linux does without Fast Open): we ACK the SYN only, so the peer resends. */
static void test_syn_ack_with_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    st_inject(t, ST_PORT, s.sport, F_SYN | F_ACK, 300, s.seq + 1, 65535, NULL, "data", 4);
    st_expect(t, F_ACK, s.seq + 1, 301, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    st_inject(t, ST_PORT, s.sport, F_ACK, 301, s.seq + 1, 65535, NULL, "data", 4);
    st_expect(t, F_ACK, s.seq + 1, 305, 0, NULL);
    st_free(t);
}

/* ---- the MSS option (RFC 9293 3.7.1, RFC 6691) ---- */

static void tweak_mtu_1000(synack_config *cfg)
{
    cfg->mtu = 1000;
}

static void tweak_mss_1000(synack_config *cfg)
{
    cfg->tcp_mss = 1000;
}

static uint16_t announced_mss(void (*tweak)(synack_config *))
{
    st *t = st_new(tweak);
    synack_tcp *c, *l;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_true(s.opts.has_mss);
    uint16_t v = s.opts.mss;
    /* the SYN+ACK announces the same */
    assert_int_equal(synack_tcp_listen(t->stack, 0, 81, 4, t->now, &l), 0);
    st_inject(t, ST_PEER_PORT, 81, F_SYN, 1, 0, 65535, NULL, NULL, 0);
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_true(s.opts.has_mss);
    assert_int_equal(s.opts.mss, v);
    st_free(t);
    return v;
}

static void test_mss_announced(void **state)
{
    (void)state;
    assert_int_equal(announced_mss(NULL), 1460);          /* mtu 1500 - 40 */
    assert_int_equal(announced_mss(tweak_mtu_1000), 960); /* mtu 1000 - 40 */
    assert_int_equal(announced_mss(tweak_mss_1000), 1000);
}

static uint16_t effective_mss(void (*tweak)(synack_config *), uint16_t peer)
{
    st *t = st_new(tweak);
    st_conn k;
    st_passive_open(t, &k, peer);
    uint16_t v = synack_tcp_mss(k.c);
    st_free(t);
    return v;
}

/* Effective send MSS = min(peer's MSS, what our MTU carries); 536 when the
 * peer sends no option (RFC 9293 3.7.1 MUST-15). Our own announced MSS
 * (tcp_mss) limits what we receive, not what we send. */
static void test_mss_effective(void **state)
{
    (void)state;
    assert_int_equal(effective_mss(NULL, 1000), 1000);
    assert_int_equal(effective_mss(NULL, 0), 536);
    assert_int_equal(effective_mss(NULL, 9000), 1460);
    assert_int_equal(effective_mss(tweak_mtu_1000, 1460), 960);
    assert_int_equal(effective_mss(tweak_mss_1000, 1460), 1460);
}

/* Data segments are cut at the effective MSS: without an option, 536. */
static void test_mss_segments(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 0);
    static uint8_t d[3000];
    for (size_t i = 0; i < sizeof(d); i++)
        d[i] = (uint8_t)i;
    assert_int_equal(synack_tcp_send(k.c, d, sizeof(d), t->now), 3000);
    st_seg s;
    for (uint32_t off = 0; off < 3000; off += 536) {
        uint32_t n = 3000 - off < 536 ? 3000 - off : 536;
        st_expect(t, n < 536 ? F_ACK | F_PSH : F_ACK, k.iss + 1 + off, k.irs + 1, n, &s);
        assert_memory_equal(s.data, d + off, n);
        assert_false(s.opts.has_mss); /* the option only in SYNs */
    }
    st_expect_none(t);
    st_free(t);
}

/* ---- ISNs (RFC 6528): M + F(4-tuple, secret), M a 4 microsecond clock ---- */

static uint32_t connect_iss(st *t, uint16_t sport, uint16_t dport)
{
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, dport, sport, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN);
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    return s.seq;
}

static void test_isn_per_tuple(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t a = connect_iss(t, 50000, 80);
    uint32_t b = connect_iss(t, 50001, 80);
    uint32_t c = connect_iss(t, 50000, 81);
    assert_int_not_equal(a, b);
    assert_int_not_equal(a, c);
    assert_int_not_equal(b, c);
    /* same tuple, same time: same ISN (a function of the tuple, not a draw) */
    assert_int_equal(connect_iss(t, 50000, 80), a);
    st_free(t);
}

static void test_isn_clock(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t a = connect_iss(t, 50000, 80);
    st_advance(t, 1 * ST_S);
    uint32_t b = connect_iss(t, 50000, 80);
    assert_int_equal(b - a, 250000); /* one tick per 4 us */
    st_advance(t, 4 * ST_US);
    assert_int_equal(connect_iss(t, 50000, 80) - b, 1);
    /* and it wraps like any sequence number: 2^32 * 4 us later, the same again */
    st_advance(t, 4 * ST_US * (1ULL << 32));
    assert_int_equal(connect_iss(t, 50000, 80) - b, 1);
    st_free(t);
}

static void tweak_secret_a(synack_config *cfg)
{
    memset(cfg->secret, 0xa5, sizeof(cfg->secret));
}

static void tweak_secret_b(synack_config *cfg)
{
    memset(cfg->secret, 0xa5, sizeof(cfg->secret));
    cfg->secret[15] = 0xa4;
}

static void tweak_secret_a_seed_7(synack_config *cfg)
{
    tweak_secret_a(cfg);
    cfg->seed = 7;
}

static void test_isn_secret(void **state)
{
    (void)state;
    st *a = st_new(tweak_secret_a);
    st *b = st_new(tweak_secret_b);
    st *a2 = st_new(tweak_secret_a_seed_7);
    uint32_t ia = connect_iss(a, 50000, 80);
    uint32_t ib = connect_iss(b, 50000, 80);
    uint32_t ia2 = connect_iss(a2, 50000, 80);
    assert_int_not_equal(ia, ib);
    assert_int_equal(ia, ia2); /* the key is the secret: same secret, same ISN */
    /* over many tuples, never equal across the two secrets */
    for (uint16_t p = 50001; p < 50101; p++)
        assert_int_not_equal(connect_iss(a, p, 80), connect_iss(b, p, 80));
    st_free(a);
    st_free(b);
    st_free(a2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_then_close),
        cmocka_unit_test(test_passive_open_exact),
        cmocka_unit_test(test_active_open_exact),
        cmocka_unit_test(test_simultaneous_open),
        cmocka_unit_test(test_simultaneous_open_bare_ack),
        cmocka_unit_test(test_listen_other_segments),
        cmocka_unit_test(test_listen_syn_with_data),
        cmocka_unit_test(test_backlog_full),
        cmocka_unit_test(test_connection_limit),
        cmocka_unit_test(test_syn_sent_bad_ack),
        cmocka_unit_test(test_syn_sent_rst),
        cmocka_unit_test(test_syn_sent_ack_without_syn),
        cmocka_unit_test(test_syn_sent_close),
        cmocka_unit_test(test_syn_ack_with_data),
        cmocka_unit_test(test_mss_announced),
        cmocka_unit_test(test_mss_effective),
        cmocka_unit_test(test_mss_segments),
        cmocka_unit_test(test_isn_per_tuple),
        cmocka_unit_test(test_isn_clock),
        cmocka_unit_test(test_isn_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
