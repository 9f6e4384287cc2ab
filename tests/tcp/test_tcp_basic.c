/* The textbook lifecycle, segment by segment (RFC 9293 3.5, 3.6): the
 * three-way handshake both ways, the four-way close both ways, RST for a
 * closed port. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

#define PEER_PORT 40000
#define PORT      80
#define X         1000u /* the peer's ISN */

/* Passive open up to ESTABLISHED; returns the accepted connection and our ISS. */
static synack_tcp *passive_open(st *t, uint32_t *iss)
{
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, PORT, 8, t->now, &l), 0);
    assert_int_equal(synack_tcp_get_state(l), SYNACK_TCP_LISTEN);
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1460;
    /* 1: peer -> SYN, seq=x */
    assert_int_equal(st_inject(t, PEER_PORT, PORT, F_SYN, X, 0, 65535, &o, NULL, 0), 0);
    /* 2: SYN+ACK, seq=y, ack=x+1, with our MSS */
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, X + 1);
    assert_true(s.opts.has_mss);
    assert_int_equal(s.opts.mss, 1460);
    assert_int_equal(s.sport, PORT);
    assert_int_equal(s.dport, PEER_PORT);
    *iss = s.seq;
    assert_int_equal(synack_tcp_accept(l, &c, t->now), SYNACK_ERR_AGAIN);
    /* 3: ACK, seq=x+1, ack=y+1 */
    assert_int_equal(st_inject(t, PEER_PORT, PORT, F_ACK, X + 1, *iss + 1, 65535, NULL, NULL, 0),
                     0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 1460);
    return c;
}

static void test_passive_open(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = passive_open(t, &y);
    synack_ipv4 a;
    uint16_t p;
    synack_tcp_remote(c, &a, &p);
    assert_int_equal(a, ST_REMOTE);
    assert_int_equal(p, PEER_PORT);
    assert_int_equal(st_stat(t, "tcp_conn_established"), 1);
    st_free(t);
}

static void test_active_open(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, PORT, 0, t->now, &c), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    st_seg syn;
    assert_true(st_next(t, &syn));
    assert_int_equal(syn.flags, F_SYN);
    assert_int_equal(syn.dport, PORT);
    assert_true(syn.opts.has_mss);
    uint32_t x = syn.seq;
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1000;
    assert_int_equal(st_inject(t, PORT, syn.sport, F_SYN | F_ACK, 5000, x + 1, 65535, &o, NULL, 0),
                     0);
    st_expect(t, F_ACK, x + 1, 5001, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_mss(c), 1000);
    assert_true(synack_tcp_events(c) & SYNACK_TCP_EV_CONNECTED);
    st_free(t);
}

static void test_closed_port_rst(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    /* No ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> (RFC 9293 3.10.7.1). */
    st_inject(t, PEER_PORT, 9, F_SYN, X, 0, 65535, NULL, NULL, 0);
    st_expect(t, F_RST | F_ACK, 0, X + 1, 0, NULL);
    /* With ACK: <SEQ=SEG.ACK><CTL=RST>. */
    st_inject(t, PEER_PORT, 9, F_ACK, X, 777, 65535, NULL, NULL, 0);
    st_expect(t, F_RST, 777, 0, 0, NULL);
    /* Never a RST for a RST. */
    st_inject(t, PEER_PORT, 9, F_RST, X, 0, 0, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_drop_no_conn"), 3);
    st_free(t);
}

/* The mission's close: we (server side here) are told FIN first by the peer,
 * keep sending from CLOSE-WAIT, then close: LAST-ACK, CLOSED. */
static void test_passive_close_with_half_close_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = passive_open(t, &y);
    /* peer -> FIN, seq=u */
    uint32_t u = X + 1;
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, u, y + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 1, u + 1, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSE_WAIT);
    char buf[16];
    assert_int_equal(synack_tcp_recv(c, buf, sizeof(buf), t->now), 0); /* end of stream */
    /* still sending from CLOSE-WAIT */
    assert_int_equal(synack_tcp_send(c, "more", 4, t->now), 4);
    st_expect(t, F_ACK | F_PSH, y + 1, u + 1, 4, NULL);
    st_inject(t, PEER_PORT, PORT, F_ACK, u + 1, y + 5, 65535, NULL, NULL, 0);
    st_expect_none(t);
    /* our FIN+ACK, seq=w */
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    uint32_t w = y + 5;
    st_expect(t, F_FIN | F_ACK, w, u + 1, 0, NULL);
    /* peer -> ACK, ack=w+1: CLOSED, and the handle is gone */
    st_inject(t, PEER_PORT, PORT, F_ACK, u + 1, w + 1, 65535, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

/* We close first: FIN-WAIT-1, FIN-WAIT-2 (still receiving), TIME-WAIT for 2 MSL. */
static void test_active_close_time_wait(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = passive_open(t, &y);
    uint32_t u = y + 1;
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_FIN_WAIT_1);
    st_expect(t, F_FIN | F_ACK, u, X + 1, 0, NULL);
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 1, u + 1, 65535, NULL, NULL, 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_FIN_WAIT_2);
    /* the peer keeps sending; we keep receiving */
    st_inject(t, PEER_PORT, PORT, F_ACK | F_PSH, X + 1, u + 1, 65535, NULL, "late", 4);
    st_expect(t, F_ACK, u + 1, X + 5, 0, NULL);
    char buf[8];
    assert_int_equal(synack_tcp_recv(c, buf, sizeof(buf), t->now), 4);
    assert_memory_equal(buf, "late", 4);
    /* peer FIN+ACK, seq=w */
    uint32_t w = X + 5;
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, w, u + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, u + 1, w + 1, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    /* a retransmitted FIN is ACKed again */
    st_advance(t, 10 * ST_S);
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, w, u + 1, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, u + 1, w + 1, 0, NULL);
    /* ... and the 2 MSL (60 s) restart from there */
    st_advance(t, 59 * ST_S);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    st_advance(t, 2 * ST_S);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(c), 0);
    synack_tcp_close(c, t->now);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passive_open),
        cmocka_unit_test(test_active_open),
        cmocka_unit_test(test_closed_port_rst),
        cmocka_unit_test(test_passive_close_with_half_close_data),
        cmocka_unit_test(test_active_close_time_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
