/* TCP options beyond the MSS, segment by segment: window scaling and
 * timestamps with PAWS (RFC 7323), SACK and D-SACK on our ACKs (RFC 2018,
 * RFC 2883). Each is used only when both SYNs offer it, and the stack's
 * config can switch SACK, timestamps and window scaling off. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

#define PTS 5000u /* the peer's first TSval */

static uint8_t payload[4096];
static uint16_t handshake_ack_win = ST_WIN; /* the window of the handshake's ACK */

static sk_tcp_opts syn_opts(bool ws, uint8_t shift, bool ts, bool sack)
{
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1460;
    o.has_wscale = ws;
    o.wscale = shift;
    o.has_ts = ts;
    o.tsval = PTS;
    o.sack_permitted = sack;
    return o;
}

/* A segment from the peer on k with a timestamps option (tsval, tsecr). */
static void in_ts(st *t, const st_conn *k, uint8_t flags, uint32_t seq, uint16_t win,
                  uint32_t tsval, uint32_t tsecr, const void *data, size_t len)
{
    sk_tcp_opts o = {0};
    o.has_ts = true;
    o.tsval = tsval;
    o.tsecr = tsecr;
    st_inject(t, k->peer_port, k->port, flags, seq, k->iss + 1, win, &o, data, len);
}

/* Passive open with the peer's SYN options @p o; returns the SYN-ACK. The
 * handshake's ACK carries a timestamp when the SYN did. */
static st_seg open_with(st *t, st_conn *k, const sk_tcp_opts *o)
{
    memset(k, 0, sizeof *k);
    k->port = ST_PORT;
    k->peer_port = ST_PEER_PORT;
    k->irs = ST_PEER_ISN;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &k->l), 0);
    st_inject(t, k->peer_port, k->port, F_SYN, k->irs, 0, ST_WIN, o, NULL, 0);
    st_seg sa;
    assert_true(st_next(t, &sa));
    assert_int_equal(sa.flags, F_SYN | F_ACK);
    k->iss = sa.seq;
    if (o->has_ts)
        in_ts(t, k, F_ACK, k->irs + 1, handshake_ack_win, PTS, sa.opts.tsval, NULL, 0);
    else
        st_in_w(t, k, F_ACK, k->irs + 1, k->iss + 1, handshake_ack_win, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(k->l, &k->c, t->now), 0);
    return sa;
}

static void tweak_big_rcvbuf(synack_config *cfg)
{
    cfg->tcp_rcvbuf = 200000; /* needs a shift of 2: 200000 >> 2 = 50000 */
}

static void tweak_all_off(synack_config *cfg)
{
    cfg->tcp_sack = false;
    cfg->tcp_timestamps = false;
    cfg->tcp_window_scaling = false;
}

/* RFC 7323 2.2, 3.2, RFC 2018 2: the SYN-ACK carries WS, TS and
 * SACK-permitted only when the SYN did; the TSecr echoes the SYN's TSval. */
static void test_syn_ack_answers_what_was_offered(void **state)
{
    (void)state;
    st *t = st_new(tweak_big_rcvbuf);
    st_conn k;
    sk_tcp_opts o = syn_opts(true, 7, true, true);
    st_seg sa = open_with(t, &k, &o);
    assert_true(sa.opts.has_mss);
    assert_true(sa.opts.has_wscale);
    assert_int_equal(sa.opts.wscale, 2);
    assert_true(sa.opts.has_ts);
    assert_int_equal(sa.opts.tsecr, PTS);
    assert_true(sa.opts.sack_permitted);
    assert_int_equal(sa.win, 65535); /* RFC 7323 2.2: a SYN's window is never scaled */
    st_free(t);

    /* Nothing offered: nothing answered. */
    t = st_new(tweak_big_rcvbuf);
    o = syn_opts(false, 0, false, false);
    sa = open_with(t, &k, &o);
    assert_true(sa.opts.has_mss);
    assert_false(sa.opts.has_wscale);
    assert_false(sa.opts.has_ts);
    assert_false(sa.opts.sack_permitted);
    /* Without scaling the window stops at 65535 (RFC 7323 2.3), however
     * big the buffer: 10 bytes in, the edge holds (SWS avoidance). */
    st_in(t, &k, F_ACK, k.irs + 1, k.iss + 1, payload, 10);
    st_expect_w(t, F_ACK, k.iss + 1, k.irs + 11, 65525, 0, NULL);
    st_free(t);

    /* Everything offered, the config says no. */
    t = st_new(tweak_all_off);
    o = syn_opts(true, 7, true, true);
    sa = open_with(t, &k, &o);
    assert_false(sa.opts.has_wscale);
    assert_false(sa.opts.has_ts);
    assert_false(sa.opts.sack_permitted);
    st_free(t);
}

/* Our SYN offers all three (TSecr 0); a SYN-ACK offering none leaves the
 * connection without options, and none appear on its segments. */
static void test_active_open_offers_and_settles(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg syn;
    assert_true(st_next(t, &syn));
    assert_int_equal(syn.flags, F_SYN);
    assert_true(syn.opts.has_wscale);
    assert_int_equal(syn.opts.wscale, 0); /* a 65535-byte buffer needs no shift */
    assert_true(syn.opts.has_ts);
    assert_int_equal(syn.opts.tsecr, 0);
    assert_true(syn.opts.sack_permitted);
    sk_tcp_opts o = syn_opts(false, 0, false, false);
    st_inject(t, ST_PORT, syn.sport, F_SYN | F_ACK, ST_PEER_ISN, syn.seq + 1, ST_WIN, &o, NULL, 0);
    st_seg a;
    st_expect(t, F_ACK, syn.seq + 1, ST_PEER_ISN + 1, 0, &a);
    assert_false(a.opts.has_ts);
    assert_int_equal(a.opts.nsack, 0);
    st_free(t);
}

/* RFC 7323 2.3: windows we receive are shifted by the peer's scale, the
 * ones we send by ours. Peer shift 7, window 10 units = 1280 bytes: a
 * 3000-byte write goes out as exactly 1280 bytes. Ours is 2: 50000 units
 * for a 200000-byte buffer, and 1000 bytes taken leave 49750. */
static void test_window_scale_both_ways(void **state)
{
    (void)state;
    st *t = st_new(tweak_big_rcvbuf);
    st_conn k;
    sk_tcp_opts o = syn_opts(true, 7, false, false);
    handshake_ack_win = 10; /* 10 << 7: the largest window it ever offers */
    open_with(t, &k, &o);
    handshake_ack_win = ST_WIN;
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(synack_tcp_send(k.c, payload, 3000, t->now), 3000);
    st_seg d;
    assert_true(st_next(t, &d));
    assert_int_equal(d.seq, S);
    assert_int_equal(d.win, 50000); /* 200000 >> 2 */
    size_t sent = d.len;
    while (st_next(t, &d))
        sent += d.len;
    assert_int_equal(sent, 1280);
    st_inject(t, k.peer_port, k.port, F_ACK, R, S, 10, NULL, payload, 1000);
    st_expect_w(t, F_ACK, S + 1280, R + 1000, 49750, 0, NULL);
    st_free(t);
}

/* RFC 7323 3.2: with timestamps every segment carries them; TSecr is
 * TS.Recent, TSval our millisecond clock. Our data shrinks by the 12
 * option bytes (RFC 6691): 1460 - 12 = 1448 per segment. */
static void test_timestamps_on_every_segment(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, true, false);
    st_seg sa = open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_advance(t, 250 * ST_MS);
    in_ts(t, &k, F_ACK, R, ST_WIN, PTS + 7, sa.opts.tsval, payload, 10);
    st_seg a;
    st_expect(t, F_ACK, S, R + 10, 0, &a);
    assert_true(a.opts.has_ts);
    assert_int_equal(a.opts.tsecr, PTS + 7);
    assert_int_equal(a.opts.tsval - sa.opts.tsval, 250); /* 1 ms ticks */
    assert_int_equal(synack_tcp_send(k.c, payload, 2000, t->now), 2000);
    st_expect(t, F_ACK, S, R + 10, 1448, &a);
    assert_true(a.opts.has_ts);
    assert_int_equal(a.opts.tsecr, PTS + 7);
    st_free(t);
}

/* RFC 7323 5.3 R1: a segment whose TSval is older than TS.Recent is not
 * acceptable: ACKed and dropped, its data not taken. A RST is exempt. */
static void test_paws_rejects_old_timestamps(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, true, false);
    st_seg sa = open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    in_ts(t, &k, F_ACK, R, ST_WIN, PTS + 100, sa.opts.tsval, payload, 10);
    st_expect(t, F_ACK, S, R + 10, 0, NULL);
    /* Wraparound-safe "older": 2^31 - 1 behind. */
    in_ts(t, &k, F_ACK, R + 10, ST_WIN, PTS + 99, sa.opts.tsval, payload, 10);
    st_seg a;
    st_expect(t, F_ACK, S, R + 10, 0, &a);
    assert_int_equal(a.opts.tsecr, PTS + 100);
    in_ts(t, &k, F_ACK, R + 10, ST_WIN, PTS + 100 - 0x7fffffffu, sa.opts.tsval, payload, 10);
    st_expect(t, F_ACK, S, R + 10, 0, NULL);
    assert_int_equal(st_stat(t, "tcp_drop_paws"), 2);
    uint8_t buf[64];
    assert_int_equal(synack_tcp_recv(k.c, buf, sizeof buf, t->now), 10);
    /* Equal is not older. */
    in_ts(t, &k, F_ACK, R + 10, ST_WIN, PTS + 100, sa.opts.tsval, payload, 10);
    st_expect(t, F_ACK, S, R + 20, 0, NULL);
    /* A RST with an old TSval still resets (RFC 7323 5.3 R1). */
    in_ts(t, &k, F_RST, R + 20, ST_WIN, 1, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(st_stat(t, "tcp_drop_paws"), 2);
    st_free(t);
}

static void tweak_delack(synack_config *cfg)
{
    cfg->tcp_delack_ns = 40 * ST_MS;
}

/* RFC 7323 4.3: TS.Recent takes the TSval of a segment only if it covers
 * Last.ACK.sent, so a delayed ACK echoes the earliest unacknowledged
 * segment's TSval (the RTT it measures includes the delay), and an
 * out-of-order segment's TSval is not taken; the segment that fills the
 * gap is. */
static void test_ts_recent_update_rules(void **state)
{
    (void)state;
    st *t = st_new(tweak_delack);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, true, false);
    st_seg sa = open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1, e = sa.opts.tsval;
    in_ts(t, &k, F_ACK, R, ST_WIN, PTS + 10, e, payload, 100);
    in_ts(t, &k, F_ACK, R + 100, ST_WIN, PTS + 20, e, payload, 100);
    st_expect_none(t);
    st_seg a;
    st_advance(t, 40 * ST_MS);
    st_expect(t, F_ACK, S, R + 200, 0, &a);
    assert_int_equal(a.opts.tsecr, PTS + 10);
    /* Out of order: its TSval is not taken. */
    in_ts(t, &k, F_ACK, R + 300, ST_WIN, PTS + 40, e, payload, 100);
    st_expect(t, F_ACK, S, R + 200, 0, &a);
    assert_int_equal(a.opts.tsecr, PTS + 10);
    /* The gap filler starts at Last.ACK.sent: taken. */
    in_ts(t, &k, F_ACK, R + 200, ST_WIN, PTS + 30, e, payload, 100);
    st_expect(t, F_ACK, S, R + 400, 0, &a);
    assert_int_equal(a.opts.tsecr, PTS + 30);
    st_free(t);
}

/* RFC 2018 4 with timestamps: at most 3 blocks, the newest first; the
 * example of RFC 2018 5 case 3 (segments of 500 bytes, 2nd, 4th, 6th, 8th
 * lost, with 1000 as the first segment's offset). */
static void test_sack_blocks_on_acks(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, true, true);
    st_seg sa = open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1, e = sa.opts.tsval;
    st_seg a;
    in_ts(t, &k, F_ACK, R, ST_WIN, PTS, e, payload, 500);
    st_expect(t, F_ACK, S, R + 500, 0, &a);
    assert_int_equal(a.opts.nsack, 0);
    for (uint32_t i = 0; i < 4; i++) {
        uint32_t left = R + 1000 + i * 1000;
        in_ts(t, &k, F_ACK, left, ST_WIN, PTS, e, payload, 500);
        st_expect(t, F_ACK, S, R + 500, 0, &a);
        assert_true(a.opts.has_ts);
        assert_int_equal(a.opts.nsack, i < 3 ? i + 1 : 3);
        assert_int_equal(a.opts.sack[0].left, left);
        assert_int_equal(a.opts.sack[0].right, left + 500);
        if (i >= 1) {
            assert_int_equal(a.opts.sack[1].left, left - 1000);
            assert_int_equal(a.opts.sack[1].right, left - 500);
        }
    }
    /* The 2nd segment arrives: RCV.NXT moves to the next hole, the held
     * blocks above it remain. */
    in_ts(t, &k, F_ACK, R + 500, ST_WIN, PTS, e, payload, 500);
    st_expect(t, F_ACK, S, R + 1500, 0, &a);
    assert_int_equal(a.opts.nsack, 3);
    assert_int_equal(a.opts.sack[0].left, R + 4000);
    st_free(t);
}

/* RFC 2883 4.1.1: a segment wholly below RCV.NXT (its ACK was lost) is
 * reported in a D-SACK block, first, once; 4.1.2: with out-of-order data
 * held, the D-SACK comes before the SACK block. Without timestamps 4
 * blocks fit. */
static void test_dsack(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, false, true);
    open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_seg a;
    st_in(t, &k, F_ACK, R, S, payload, 500);
    st_expect(t, F_ACK, S, R + 500, 0, NULL);
    st_in(t, &k, F_ACK, R, S, payload, 500);
    st_expect(t, F_ACK, S, R + 500, 0, &a);
    assert_int_equal(a.opts.nsack, 1);
    assert_int_equal(a.opts.sack[0].left, R);
    assert_int_equal(a.opts.sack[0].right, R + 500);
    st_in(t, &k, F_ACK, R + 1000, S, payload, 500);
    st_expect(t, F_ACK, S, R + 500, 0, &a);
    assert_int_equal(a.opts.nsack, 1);
    st_in(t, &k, F_ACK, R + 200, S, payload, 100); /* old again */
    st_expect(t, F_ACK, S, R + 500, 0, &a);
    assert_int_equal(a.opts.nsack, 2);
    assert_int_equal(a.opts.sack[0].left, R + 200);
    assert_int_equal(a.opts.sack[0].right, R + 300);
    assert_int_equal(a.opts.sack[1].left, R + 1000);
    assert_int_equal(a.opts.sack[1].right, R + 1500);
    assert_int_equal(st_stat(t, "tcp_rcv_dup"), 2);
    st_free(t);
}

/* RFC 6691: options count against the MSS the peer announced. Peer MSS
 * 536 with timestamps: a full data segment carries 524 bytes and no room
 * for SACK blocks; a pure ACK carries them. */
static void test_sack_blocks_fit_the_peer_mss(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(false, 0, true, true);
    o.mss = 536;
    st_seg sa = open_with(t, &k, &o);
    uint32_t S = k.iss + 1, R = k.irs + 1, e = sa.opts.tsval;
    st_seg a;
    in_ts(t, &k, F_ACK, R + 100, ST_WIN, PTS, e, payload, 100);
    st_expect(t, F_ACK, S, R, 0, &a);
    assert_int_equal(a.opts.nsack, 1);
    assert_int_equal(synack_tcp_send(k.c, payload, 524, t->now), 524);
    st_expect(t, F_ACK | F_PSH, S, R, 524, &a);
    assert_true(a.opts.has_ts);
    assert_int_equal(a.opts.nsack, 0);
    in_ts(t, &k, F_ACK, R + 300, ST_WIN, PTS, e, payload, 100);
    st_expect(t, F_ACK, S + 524, R, 0, &a);
    assert_int_equal(a.opts.nsack, 2);
    assert_int_equal(a.opts.sack[0].left, R + 300);
    assert_int_equal(a.opts.sack[1].left, R + 100);
    st_free(t);
}

int main(void)
{
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 5);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_syn_ack_answers_what_was_offered),
        cmocka_unit_test(test_active_open_offers_and_settles),
        cmocka_unit_test(test_window_scale_both_ways),
        cmocka_unit_test(test_timestamps_on_every_segment),
        cmocka_unit_test(test_paws_rejects_old_timestamps),
        cmocka_unit_test(test_ts_recent_update_rules),
        cmocka_unit_test(test_sack_blocks_on_acks),
        cmocka_unit_test(test_dsack),
        cmocka_unit_test(test_sack_blocks_fit_the_peer_mss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
