/* Reassembly of the receive side, segment by segment (RFC 9293 3.10.7.4
 * seventh and eighth; RFC 5681 4.2 for when to ACK): overlapping and
 * duplicate segments in any order rebuild the stream exactly, an
 * out-of-order FIN waits for the data before it, and a peer that sends
 * only out-of-order data cannot make the stack hold more than its limits. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

#define STREAM 8192

static uint8_t stream_byte(uint32_t i)
{
    return (uint8_t)('A' + (i * 7u + (i >> 6)) % 26u);
}

static void fill(uint8_t *dst, uint32_t off, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        dst[i] = stream_byte(off + i);
}

/* Injects bytes [off, off + len) of the stream on k (FIN if asked). */
static void in_part(st *t, const st_conn *k, uint32_t off, uint32_t len, bool fin)
{
    uint8_t buf[2048];
    assert_true(len <= sizeof buf);
    fill(buf, off, len);
    st_in(t, k, F_ACK | (fin ? F_FIN : 0), k->irs + 1 + off, k->iss + 1, buf, len);
}

/* Reads everything and checks it is bytes [0, n) of the stream. */
static void expect_stream(st *t, const st_conn *k, uint32_t n)
{
    static uint8_t got[STREAM + 1];
    uint32_t total = 0;
    for (;;) {
        ssize_t r = synack_tcp_recv(k->c, got + total, sizeof got - total, t->now);
        if (r <= 0)
            break;
        total += (uint32_t)r;
    }
    assert_int_equal(total, n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(got[i], stream_byte(i));
}

/* RFC 5681 4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when
 * an out-of-order segment arrives" and "an immediate ACK when the incoming
 * segment fills in all or part of a gap". Segments overlap held data on
 * one side, on both sides, and the gap filler overlaps the first held
 * range: the stream comes out whole, each byte once. */
static void test_overlapping_out_of_order(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_part(t, &k, 20, 10, false); /* [20,30) */
    st_expect(t, F_ACK, S, R, 0, NULL);
    in_part(t, &k, 40, 20, false); /* [40,60) */
    st_expect(t, F_ACK, S, R, 0, NULL);
    in_part(t, &k, 25, 20, false); /* [25,45): overlaps both, joins them */
    st_expect(t, F_ACK, S, R, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_recv(k.c, (uint8_t[8]){0}, 8, t->now), SYNACK_ERR_AGAIN);
    in_part(t, &k, 0, 22, false); /* [0,22): fills the gap, overlaps [20,22) */
    st_expect(t, F_ACK, S, R + 60, 0, NULL);
    st_expect_none(t);
    expect_stream(t, &k, 60);
    assert_int_equal(st_stat(t, "tcp_rcv_ooo"), 3);
    assert_int_equal(st_stat(t, "tcp_rcv_dup"), 2);
    assert_int_equal(st_stat(t, "tcp_drop_ooo"), 0);
    st_free(t);
}

/* A retransmission that starts below RCV.NXT: the old part is trimmed
 * (RFC 9293 3.10.7.4), the new part taken, and it reaches held data. */
static void test_retransmission_spanning_rcv_nxt(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_part(t, &k, 1000, 1000, false);
    st_expect(t, F_ACK, S, R, 0, NULL);
    in_part(t, &k, 0, 500, false);
    st_expect(t, F_ACK, S, R + 500, 0, NULL); /* fills part of the gap: at once */
    in_part(t, &k, 200, 1300, false);         /* [200,1500) */
    st_expect(t, F_ACK, S, R + 2000, 0, NULL);
    st_expect_none(t);
    expect_stream(t, &k, 2000);
    st_free(t);
}

/* RFC 9293 3.10.7.4 eighth: a FIN is processed only in sequence. One ahead
 * of a gap (on data, here) is held, and the data filling the gap takes it:
 * CLOSE-WAIT, ACK of everything and the FIN. */
static void test_out_of_order_fin_on_data(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_part(t, &k, 100, 50, true);
    st_expect(t, F_ACK, S, R, 0, NULL);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    /* Text past the FIN is not data. */
    in_part(t, &k, 140, 30, false);
    st_expect(t, F_ACK, S, R, 0, NULL);
    in_part(t, &k, 0, 100, false);
    st_expect(t, F_ACK, S, R + 151, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSE_WAIT);
    expect_stream(t, &k, 150);
    assert_int_equal(synack_tcp_recv(k.c, (uint8_t[8]){0}, 8, t->now), 0);
    st_free(t);
}

static void tweak_small(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 4096;
    cfg->tcp_reass_max_ranges = 4;
}

/* Issue 5: "a peer that sends only out-of-order data ... cannot grow memory
 * past the configured limits". Thousands of segments at scattered offsets,
 * in and past the window: the stack's memory does not grow after the first
 * one (the held bytes live in the receive buffer, the ranges in a fixed
 * array), every one is answered with a duplicate ACK, and once the peer
 * sends the stream in order it arrives intact. */
static void test_out_of_order_only_peer_is_bounded(void **state)
{
    (void)state;
    st *t = st_new(tweak_small);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_part(t, &k, 3000, 10, false);
    st_expect(t, F_ACK, S, R, 0, NULL);
    size_t live = t->alloc.live;
    t->alloc.peak = live;
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t off = 1 + (x >> 8) % 6000; /* never RCV.NXT; up to past the window */
        uint32_t len = 1 + (x >> 3) % 200;
        in_part(t, &k, off, len, false);
        st_seg a;
        st_expect(t, F_ACK, S, R, 0, &a);
        assert_true(a.win <= 4096);
        assert_int_equal(t->alloc.live, live);
        st_drain(t); /* the capture holds 256 frames */
    }
    assert_int_equal(t->alloc.peak, live);                /* never more, even for a moment */
    assert_true(st_stat(t, "tcp_drop_ooo") > 0);          /* the range bound was reached */
    assert_true(st_stat(t, "tcp_drop_unacceptable") > 0); /* and the window */
    for (uint32_t off = 0; off < 4096; off += 1000)
        in_part(t, &k, off, off + 1000 <= 4096 ? 1000 : 4096 - off, false);
    expect_stream(t, &k, 4096);
    st_free(t);
}

/* Reassembly off (tcp_reass_max_ranges 0): out-of-order text is dropped
 * with a duplicate ACK, and counted. */
static void tweak_no_reass(synack_config *cfg)
{
    cfg->tcp_reass_max_ranges = 0;
}

static void test_reassembly_off(void **state)
{
    (void)state;
    st *t = st_new(tweak_no_reass);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_part(t, &k, 10, 10, false);
    st_expect(t, F_ACK, S, R, 0, NULL);
    assert_int_equal(st_stat(t, "tcp_drop_ooo"), 1);
    in_part(t, &k, 0, 10, false);
    st_expect(t, F_ACK, S, R + 10, 0, NULL);
    in_part(t, &k, 5, 15, false);
    st_expect(t, F_ACK, S, R + 20, 0, NULL);
    expect_stream(t, &k, 20);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlapping_out_of_order),
        cmocka_unit_test(test_retransmission_spanning_rcv_nxt),
        cmocka_unit_test(test_out_of_order_fin_on_data),
        cmocka_unit_test(test_out_of_order_only_peer_is_bounded),
        cmocka_unit_test(test_reassembly_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
