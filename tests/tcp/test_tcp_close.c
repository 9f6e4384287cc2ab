/* Closing connections, segment by segment: the arrows of RFC 9293 Figure 5
 * from ESTABLISHED down to CLOSED, the FIN rules of SEGMENT ARRIVES (RFC 9293
 * 3.10.7.4 eighth), and what a CLOSE does with data still unread (RFC 1122
 * 4.2.2.13, RFC 2525 2.17). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

#define MSL (30 * ST_S) /* the default tcp_msl_ns */

/* ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT -> CLOSED after
 * exactly 2 MSL. */
static void test_active_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_1);
    st_expect_w(t, F_FIN | F_ACK, S, R, 65535, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_send(k.c, "x", 1, t->now), SYNACK_ERR_CLOSED);
    st_in(t, &k, F_ACK, R, S + 1, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    /* a held FIN-WAIT-2 waits for the peer as long as it takes */
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_advance(t, 3600 * ST_S);
    st_in(t, &k, F_FIN | F_ACK, R, S + 1, NULL, 0);
    st_expect_w(t, F_ACK, S + 1, R + 1, 65535, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    uint64_t tw = t->now;
    st_advance(t, 2 * MSL - 1);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_advance(t, 1);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(t->states[t->nstates - 1].now, tw + 2 * MSL);
    assert_int_equal(synack_tcp_error(k.c), 0);
    assert_true(st_events(t, k.c) & SYNACK_TCP_EV_CLOSED);
    assert_false(st_events(t, k.c) & SYNACK_TCP_EV_ERROR);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    st_expect_none(t);
    st_expect_states(t, synack_tcp_id(k.c), SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2,
                     SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* Simultaneous close: FIN-WAIT-1 -> CLOSING on a FIN that does not
 * acknowledge ours, CLOSING -> TIME-WAIT on the ACK of our FIN. */
static void test_simultaneous_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSING);
    /* CLOSING: a segment that does not acknowledge our FIN is ignored */
    st_in(t, &k, F_ACK, R + 1, S, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSING);
    st_in(t, &k, F_ACK, R + 1, S + 1, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_expect_states(t, synack_tcp_id(k.c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_CLOSING,
                     SYNACK_TCP_TIME_WAIT);
    st_advance(t, 2 * MSL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    st_free(t);
}

/* In CLOSING our FIN is retransmitted until acknowledged. */
static void test_closing_retransmits_fin(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_FIN | F_ACK, S, R + 1, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSING);
    st_in(t, &k, F_ACK, R + 1, S + 1, NULL, 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_free(t);
}

/* ESTABLISHED -> CLOSE-WAIT -> LAST-ACK -> CLOSED, with our FIN lost once:
 * retransmitted after the RTO; an ACK of the data alone keeps LAST-ACK. */
static void test_passive_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect_w(t, F_ACK, S, R + 1, 65535, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    assert_true(st_events(t, k.c) & SYNACK_TCP_EV_READABLE);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    assert_int_equal(synack_tcp_send(k.c, "bye", 3, t->now), 3);
    st_expect(t, F_ACK | F_PSH, S, R + 1, 3, NULL);
    uint64_t t0 = t->now;
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S + 3, R + 1, 0, NULL);
    st_expect_none(t);
    st_in(t, &k, F_ACK, R + 1, S + 3, NULL, 0); /* the data, not the FIN */
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    /* the RTO restarted on that ACK: the FIN goes again 1 s after it */
    assert_int_equal(st_wait_output(t, 10 * ST_S), t0 + 1 * ST_S);
    st_expect(t, F_FIN | F_ACK, S + 3, R + 1, 0, NULL);
    st_expect_none(t);
    st_in(t, &k, F_ACK, R + 1, S + 4, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 1);
    st_free(t);
}

/* The trace of the passive close, and LAST-ACK -> CLOSED on the last ACK. */
static void test_passive_close_trace(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint32_t id = synack_tcp_id(k.c);
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect(t, F_ACK, S, R + 1, 0, NULL);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R + 1, 0, NULL);
    st_in(t, &k, F_ACK, R + 1, S + 1, NULL, 0);
    st_expect_none(t);
    st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                     SYNACK_TCP_CLOSE_WAIT, SYNACK_TCP_LAST_ACK, SYNACK_TCP_CLOSED);
    /* the port is closed for this tuple now */
    st_in(t, &k, F_ACK, R + 1, S + 1, NULL, 0);
    st_expect(t, F_RST, S + 1, 0, 0, NULL);
    st_free(t);
}

/* A FIN on a data segment: the data is delivered, then end of stream; one
 * ACK covers both (RFC 9293 3.10.7.4 seventh and eighth). */
static void test_fin_on_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_FIN | F_ACK | F_PSH, R, S, "abc", 3);
    st_expect_w(t, F_ACK, S, R + 4, 65535 - 3, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    char b[8];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 3);
    assert_memory_equal(b, "abc", 3);
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    st_free(t);
}

/* A retransmitted FIN in CLOSE-WAIT (our ACK was lost) is acknowledged
 * again with the same numbers; nothing else changes. */
static void test_fin_retransmitted_close_wait(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect(t, F_ACK, S, R + 1, 0, NULL);
    st_advance(t, 1 * ST_S);
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect_w(t, F_ACK, S, R + 1, 65535, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK | F_PSH, R - 2, S, "ab", 2); /* with its data, also old */
    st_expect(t, F_ACK, S, R + 1, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    char b[4];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 0);
    st_free(t);
}

/* A CLOSE with received data unread resets the connection: the peer learns
 * the data was lost (RFC 1122 4.2.2.13, RFC 2525 2.17):
 * <SEQ=SND.NXT><CTL=RST>. */
static void test_close_with_unread_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_send(k.c, "out", 3, t->now), 3);
    st_expect(t, F_ACK | F_PSH, S, R, 3, NULL);
    st_in(t, &k, F_ACK | F_PSH, R, S, "unread", 6);
    st_expect(t, F_ACK, S + 3, R + 6, 0, NULL);
    uint32_t id = synack_tcp_id(k.c);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect_w(t, F_RST, S + 3, 0, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(synack_stack_next_timeout(t->stack), UINT64_MAX);
    st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                     SYNACK_TCP_CLOSED);
    st_free(t);
}

/* A CLOSE with only the peer's FIN unread (end of stream) is graceful. */
static void test_close_with_unread_eof(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_FIN | F_ACK, R, S, NULL, 0);
    st_expect(t, F_ACK, S, R + 1, 0, NULL);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R + 1, 0, NULL);
    st_expect_none(t);
    st_free(t);
}

/* After a half-close (shutdown) the data is still wanted: no RST. */
static void test_data_after_shutdown(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_ACK | F_PSH, R, S, "in-fw1", 6); /* FIN-WAIT-1, FIN not yet acked */
    st_expect(t, F_ACK, S + 1, R + 6, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_1);
    st_in(t, &k, F_ACK, R + 6, S + 1, NULL, 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    char b[8];
    assert_int_equal(synack_tcp_recv(k.c, b, sizeof(b), t->now), 6);
    assert_memory_equal(b, "in-fw1", 6);
    st_free(t);
}

/* A connection the user released in FIN-WAIT-2 does not wait forever for
 * the peer's FIN: it ends 2 MSL later without a segment (as BSD and Linux
 * do; RFC 9293 would wait). */
static void test_orphan_fin_wait_2_timeout(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint32_t id = synack_tcp_id(k.c);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_advance(t, 100 * ST_MS);
    st_in(t, &k, F_ACK, R, S + 1, NULL, 0);
    uint64_t t2 = t->now;
    st_advance(t, 2 * MSL - 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_advance(t, 1);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(t->states[t->nstates - 1].now, t2 + 2 * MSL);
    st_expect_none(t);
    st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                     SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSED);
    st_free(t);
}

/* A shutdown during the handshake: the FIN follows the SYN's ACK in one
 * segment as soon as the connection is established. */
static void test_shutdown_in_syn_sent(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    st_inject(t, ST_PORT, s.sport, F_SYN | F_ACK, 300, s.seq + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_FIN | F_ACK, s.seq + 1, 301, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_FIN_WAIT_1);
    st_expect_states(t, synack_tcp_id(c), SYNACK_TCP_CLOSED, SYNACK_TCP_SYN_SENT,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1);
    st_free(t);
}

/* Only a FIN in sequence is processed (RFC 9293 3.10.7.4 eighth). One
 * that arrives ahead of missing data draws an immediate duplicate ACK, like
 * any out-of-order segment (RFC 5681 4.2), and is held by the reassembly:
 * the text that fills the gap takes it, and a retransmission of it later
 * is only ACKed again. */
static void test_fin_out_of_order(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_FIN | F_ACK, R + 10, S, NULL, 0);
    st_expect(t, F_ACK, S, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_rcv_ooo"), 1);
    assert_int_equal(st_stat(t, "tcp_drop_ooo"), 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    st_in(t, &k, F_ACK, R, S, "0123456789", 10);
    st_expect(t, F_ACK, S, R + 11, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    st_in(t, &k, F_FIN | F_ACK, R + 10, S, NULL, 0);
    st_expect(t, F_ACK, S, R + 11, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    char buf[16];
    assert_int_equal(synack_tcp_recv(k.c, buf, sizeof buf, t->now), 10);
    assert_memory_equal(buf, "0123456789", 10);
    assert_int_equal(synack_tcp_recv(k.c, buf, sizeof buf, t->now), 0);
    st_free(t);
}

/* New data arriving after the user closed (released the handle) can never
 * be read: RST (RFC 1122 4.2.2.13 "or if new data is received after CLOSE
 * is called"; Linux does the same in FIN-WAIT-1/2). */
static void test_data_after_close(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint32_t id = synack_tcp_id(k.c);
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_ACK, R, S + 1, NULL, 0);
    st_expect_none(t);
    st_in(t, &k, F_ACK | F_PSH, R, S + 1, "late", 4);
    st_expect(t, F_RST, S + 1, 0, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(st_stat(t, "tcp_abort_on_data"), 1);
    st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                     SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2, SYNACK_TCP_CLOSED);
    st_free(t);
}

/* FIN-WAIT-1 -> TIME-WAIT directly when the peer's FIN also acknowledges
 * ours (RFC 9293 3.10.7.4 eighth, FIN-WAIT-1). */
static void test_fin_ack_together(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK, R, S + 1, NULL, 0);
    st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_expect_states(t, synack_tcp_id(k.c), SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_TIME_WAIT);
    st_free(t);
}

/* The ACK of our FIN with a FIN that cannot be processed (out of order):
 * FIN-WAIT-2 all the same, and a duplicate ACK for the gap. */
static void test_fin_ack_together_out_of_order(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_shutdown(k.c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
    st_in(t, &k, F_FIN | F_ACK, R + 5, S + 1, NULL, 0);
    st_expect(t, F_ACK, S + 1, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_FIN_WAIT_2);
    st_in(t, &k, F_FIN | F_ACK, R, S + 1, "abcde", 5);
    st_expect(t, F_ACK, S + 1, R + 6, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_TIME_WAIT);
    st_expect_states(t, synack_tcp_id(k.c), SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD,
                     SYNACK_TCP_ESTABLISHED, SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_FIN_WAIT_2,
                     SYNACK_TCP_TIME_WAIT);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_close),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_closing_retransmits_fin),
        cmocka_unit_test(test_passive_close),
        cmocka_unit_test(test_passive_close_trace),
        cmocka_unit_test(test_fin_on_data),
        cmocka_unit_test(test_fin_retransmitted_close_wait),
        cmocka_unit_test(test_close_with_unread_data),
        cmocka_unit_test(test_close_with_unread_eof),
        cmocka_unit_test(test_data_after_shutdown),
        cmocka_unit_test(test_orphan_fin_wait_2_timeout),
        cmocka_unit_test(test_shutdown_in_syn_sent),
        cmocka_unit_test(test_fin_out_of_order),
        cmocka_unit_test(test_data_after_close),
        cmocka_unit_test(test_fin_ack_together),
        cmocka_unit_test(test_fin_ack_together_out_of_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
