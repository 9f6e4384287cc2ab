/* The receive window, segment by segment: what we advertise is the free
 * receive buffer (RFC 9293 3.8.6), its right edge never moves left and
 * moves right only by a worthwhile step (receiver-side SWS avoidance, RFC
 * 9293 3.8.6.2.2 and RFC 1122 4.2.3.3), and reading enough from a full
 * buffer sends a window update at once. Buffer 4096 bytes, our MSS 1460:
 * the step is min(4096 / 2, 1460) = 1460. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

static void tweak(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 4096;
}

static uint8_t payload[2048];

static void open_small(st *t, st_conn *k)
{
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &l), 0);
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1460;
    st_inject(t, ST_PEER_PORT, ST_PORT, F_SYN, ST_PEER_ISN, 0, ST_WIN, &o, NULL, 0);
    st_seg sa;
    assert_true(st_next(t, &sa));
    assert_int_equal(sa.flags, F_SYN | F_ACK);
    assert_int_equal(sa.ack, ST_PEER_ISN + 1);
    assert_int_equal(sa.win, 4096); /* the whole buffer (RFC 9293 3.8.6) */
    k->l = l;
    k->port = ST_PORT;
    k->peer_port = ST_PEER_PORT;
    k->irs = ST_PEER_ISN;
    k->iss = sa.seq;
    st_in(t, k, F_ACK, k->irs + 1, k->iss + 1, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    k->c = c;
}

static void read_n(st *t, const st_conn *k, size_t n)
{
    uint8_t buf[4096];
    assert_int_equal(synack_tcp_recv(k->c, buf, n, t->now), (ssize_t)n);
}

/* The window is the free space: each segment taken closes it by its size. */
static void test_window_is_free_space(void **state)
{
    (void)state;
    st *t = st_new(tweak);
    st_conn k;
    open_small(t, &k);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R, S, payload, 1000);
    st_expect_w(t, F_ACK, S, R + 1000, 3096, 0, NULL);
    st_in(t, &k, F_ACK, R + 1000, S, payload, 1000);
    st_expect_w(t, F_ACK, S, R + 2000, 2096, 0, NULL);
    st_expect_none(t);
    st_free(t);
}

/* RFC 1122 4.2.3.3: keep RCV.NXT + RCV.WND fixed until the space beyond it
 * reaches min(RCV.BUFF / 2, MSS). A read of 1000 bytes does not move the
 * edge (no update, and the next ACK offers what is left of the old
 * window); 500 more do, and the update goes out at once. */
static void test_small_reads_do_not_move_the_edge(void **state)
{
    (void)state;
    st *t = st_new(tweak);
    st_conn k;
    open_small(t, &k);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R, S, payload, 2000);
    st_expect_w(t, F_ACK, S, R + 2000, 2096, 0, NULL);
    read_n(t, &k, 1000);
    st_expect_none(t);
    st_in(t, &k, F_ACK, R + 2000, S, payload, 100);
    st_expect_w(t, F_ACK, S, R + 2100, 1996, 0, NULL);
    assert_int_equal(st_stat(t, "tcp_window_updates"), 0);
    read_n(t, &k, 500); /* 1500 free beyond the edge: >= 1460 */
    st_expect_w(t, F_ACK, S, R + 2100, 1996 + 1500, 0, NULL);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_window_updates"), 1);
    st_free(t);
}

/* A full buffer advertises a zero window; text at RCV.NXT is then not
 * taken (RFC 9293 3.10.7.4: only ACK, URG, RST processed) but ACKed; the
 * reader opens it again with one update once the step is reached. */
static void test_zero_window_and_reopen(void **state)
{
    (void)state;
    st *t = st_new(tweak);
    st_conn k;
    open_small(t, &k);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    for (uint32_t i = 0; i < 4; i++) {
        st_in(t, &k, F_ACK, R + i * 1024, S, payload, 1024);
        st_expect_w(t, F_ACK, S, R + (i + 1) * 1024, (uint16_t)(4096 - (i + 1) * 1024), 0, NULL);
    }
    st_in(t, &k, F_ACK, R + 4096, S, payload, 1); /* a zero-window probe */
    st_expect_w(t, F_ACK, S, R + 4096, 0, 0, NULL);
    read_n(t, &k, 1000);
    st_expect_none(t);
    read_n(t, &k, 460);
    st_expect_w(t, F_ACK, S, R + 4096, 1460, 0, NULL);
    st_expect_none(t);
    /* Text past the window is cut at its edge. */
    st_in(t, &k, F_ACK, R + 4096, S, payload, 2000);
    st_expect_w(t, F_ACK, S, R + 4096 + 1460, 0, 0, NULL);
    st_free(t);
}

int main(void)
{
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)i;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_is_free_space),
        cmocka_unit_test(test_small_reads_do_not_move_the_edge),
        cmocka_unit_test(test_zero_window_and_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
