/* Delayed ACKs, segment by segment and to the tick (RFC 1122 4.2.3.2, RFC
 * 5681 4.2): in-order text is ACKed at the latest tcp_delack_ns after its
 * first unacknowledged byte arrived, at once on every second full-sized
 * segment, at once for out-of-order text and gap fills, and not at all
 * when data of ours carries the ACK first. Peer MSS 1460, ours 1460. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"

static uint8_t payload[2048];

static void tweak_default(synack_config *cfg)
{
    synack_config d;
    synack_config_default(&d);
    cfg->tcp_delack_ns = d.tcp_delack_ns; /* the library's default, 40 ms */
}

static void tweak_100ms(synack_config *cfg)
{
    cfg->tcp_delack_ns = 100 * ST_MS;
}

static void test_default_is_40ms(void **state)
{
    (void)state;
    synack_config d;
    synack_config_default(&d);
    assert_int_equal(d.tcp_delack_ns, 40 * ST_MS);
    /* RFC 1122 4.2.3.2: "the delay MUST be less than 0.5 seconds". */
    d.addr = ST_LOCAL;
    d.tcp_delack_ns = 500 * ST_MS;
    const char *why = NULL;
    assert_int_equal(synack_config_check(&d, &why), SYNACK_ERR_INVAL);
    assert_non_null(strstr(why, "tcp_delack_ns"));
    d.tcp_delack_ns = 499 * ST_MS;
    assert_int_equal(synack_config_check(&d, NULL), 0);
}

/* One segment alone: its ACK waits exactly the delay (the wheel's 1 ms
 * tick divides 40 ms), and goes once. */
static void test_lone_segment_acked_after_delay(void **state)
{
    (void)state;
    st *t = st_new(tweak_default);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    st_in(t, &k, F_ACK | F_PSH, R, S, payload, 100);
    st_expect_none(t);
    st_advance(t, 39 * ST_MS);
    st_expect_none(t);
    st_advance(t, 1 * ST_MS);
    st_expect_at(t, F_ACK, S, R + 100, 0, t0 + 40 * ST_MS);
    st_advance(t, 1 * ST_S);
    st_expect_none(t);
    assert_int_equal(st_stat(t, "tcp_delayed_acks"), 1);
    st_free(t);
}

/* The delay runs from the first unacknowledged segment: later small ones
 * do not push it back. The delay is the configured one. */
static void test_delay_not_restarted_and_configurable(void **state)
{
    (void)state;
    st *t = st_new(tweak_100ms);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    uint64_t t0 = t->now;
    st_in(t, &k, F_ACK, R, S, payload, 10);
    st_advance(t, 60 * ST_MS);
    st_in(t, &k, F_ACK, R + 10, S, payload, 10);
    st_advance(t, 30 * ST_MS);
    st_in(t, &k, F_ACK, R + 20, S, payload, 10);
    st_expect_none(t);
    assert_int_equal(st_wait_output(t, 1 * ST_S), t0 + 100 * ST_MS);
    st_expect_at(t, F_ACK, S, R + 30, 0, t0 + 100 * ST_MS);
    st_expect_none(t);
    st_free(t);
}

/* RFC 5681 4.2: "an ACK SHOULD be generated for at least every second
 * full-sized segment". */
static void test_every_second_full_segment(void **state)
{
    (void)state;
    st *t = st_new(tweak_default);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    for (uint32_t i = 0; i < 6; i++) {
        st_in(t, &k, F_ACK, R + i * 1460, S, payload, 1460);
        if (i % 2 == 1)
            st_expect(t, F_ACK, S, R + (i + 1) * 1460, 0, NULL);
        st_expect_none(t);
    }
    assert_int_equal(st_stat(t, "tcp_delayed_acks"), 0);
    /* Small segments count by bytes: 2 x 1460 of them also draw an ACK. */
    uint32_t at = R + 6 * 1460;
    for (uint32_t i = 0; i < 3; i++) {
        st_in(t, &k, F_ACK, at, S, payload, 1000);
        at += 1000;
        if (i == 2)
            st_expect(t, F_ACK, S, at, 0, NULL);
        st_expect_none(t);
    }
    st_free(t);
}

/* RFC 5681 4.2: out-of-order text gets an immediate duplicate ACK, and
 * text that fills the gap an immediate ACK, even with a delay pending. */
static void test_out_of_order_and_gap_fill_at_once(void **state)
{
    (void)state;
    st *t = st_new(tweak_default);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R, S, payload, 100);
    st_expect_none(t); /* delayed */
    st_in(t, &k, F_ACK, R + 200, S, payload, 100);
    st_expect(t, F_ACK, S, R + 100, 0, NULL);
    st_in(t, &k, F_ACK, R + 100, S, payload, 100);
    st_expect(t, F_ACK, S, R + 300, 0, NULL);
    st_advance(t, 1 * ST_S);
    st_expect_none(t); /* the delayed ACK was paid by those */
    st_free(t);
}

/* A reply of ours carries the ACK (RFC 1122 4.2.3.2: the point of the
 * delay); the timer is then cancelled. */
static void test_reply_carries_the_ack(void **state)
{
    (void)state;
    st *t = st_new(tweak_default);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK | F_PSH, R, S, "ping", 4);
    st_expect_none(t);
    st_advance(t, 10 * ST_MS);
    char buf[8];
    assert_int_equal(synack_tcp_recv(k.c, buf, sizeof buf, t->now), 4);
    assert_int_equal(synack_tcp_send(k.c, "pong", 4, t->now), 4);
    st_expect(t, F_ACK | F_PSH, S, R + 4, 4, NULL);
    st_advance(t, 1 * ST_S);
    /* Only the retransmission of our unacknowledged "pong" may follow. */
    st_seg s;
    while (st_next(t, &s))
        assert_int_equal(s.len, 4);
    assert_int_equal(st_stat(t, "tcp_delayed_acks"), 0);
    st_free(t);
}

/* A FIN is ACKed at once, with the text before it. */
static void test_fin_acked_at_once(void **state)
{
    (void)state;
    st *t = st_new(tweak_default);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    st_in(t, &k, F_ACK, R, S, payload, 10);
    st_expect_none(t);
    st_in(t, &k, F_ACK | F_FIN, R + 10, S, payload, 10);
    st_expect(t, F_ACK, S, R + 21, 0, NULL);
    st_expect_none(t);
    st_free(t);
}

static void tweak_quickack(synack_config *cfg)
{
    tweak_default(cfg);
    cfg->tcp_quickack_segs = 16; /* the linux profile's */
}

static void tweak_quickack_small_window(synack_config *cfg)
{
    tweak_quickack(cfg);
    cfg->tcp_rcvbuf = 8192; /* 8192 / (2 * 1460): 2 quick ACKs */
}

/* Text from the peer (it acknowledges @p ack, our SND.NXT) whose ACK waits
 * the 40 ms delay. */
static void in_then_delayed_ack(st *t, const st_conn *k, uint32_t seq, uint32_t ack,
                                const void *data, uint32_t len)
{
    uint64_t t0 = t->now;
    st_in(t, k, F_ACK | F_PSH, seq, ack, data, len);
    st_expect_none(t);
    assert_int_equal(st_wait_output(t, 1 * ST_S), t0 + 40 * ST_MS);
    st_expect_at(t, F_ACK, ack, seq + len, 0, t0 + 40 * ST_MS);
}

/* @p n segments of 100 bytes from the peer, each ACKed at once, then one
 * more whose ACK waits the delay. */
static void quick_acks_then_delay(st *t, const st_conn *k, uint32_t n)
{
    uint32_t S = k->iss + 1, R = k->irs + 1;
    for (uint32_t i = 0; i < n; i++) {
        st_in(t, k, F_ACK | F_PSH, R + i * 100, S, payload, 100);
        st_expect(t, F_ACK, S, R + (i + 1) * 100, 0, NULL);
        st_expect_none(t);
    }
    in_then_delayed_ack(t, k, R + n * 100, S, payload, 100);
}

/* Quick-ack at the start (Linux's tcp_incr_quickack): the first 16 ACKs of
 * text go at once, small segments included; the 17th segment waits the
 * delay again. Off by default. */
static void test_quickack_first_segments(void **state)
{
    (void)state;
    synack_config d;
    synack_config_default(&d);
    assert_int_equal(d.tcp_quickack_segs, 0);
    st *t = st_new(tweak_quickack);
    st_conn k;
    st_passive_open(t, &k, 1460);
    quick_acks_then_delay(t, &k, 16);
    assert_int_equal(st_stat(t, "tcp_delayed_acks"), 1);
    st_free(t);
}

/* The count is min(tcp_quickack_segs, window / (2 * MSS)): a window of
 * 8192 bytes holds two pairs of 1460-byte segments. */
static void test_quickack_bounded_by_window(void **state)
{
    (void)state;
    st *t = st_new(tweak_quickack_small_window);
    st_conn k;
    st_passive_open(t, &k, 1460);
    quick_acks_then_delay(t, &k, 2);
    st_free(t);
}

/* A quick ACK is spent only by an ACK that covers new text (Linux counts
 * the ACKs sent while one was owed): replies that acknowledge nothing new
 * leave the count alone, so 16 request/reply rounds still get 16 quick
 * ACKs, and the 17th request waits the delay. */
static void test_quickack_not_spent_by_replies(void **state)
{
    (void)state;
    st *t = st_new(tweak_quickack);
    st_conn k;
    st_passive_open(t, &k, 1460);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    char buf[8];
    for (uint32_t i = 0; i < 16; i++) {
        st_in(t, &k, F_ACK | F_PSH, R + i * 4, S + i * 4, "ping", 4);
        st_expect(t, F_ACK, S + i * 4, R + (i + 1) * 4, 0, NULL);
        assert_int_equal(synack_tcp_recv(k.c, buf, sizeof buf, t->now), 4);
        assert_int_equal(synack_tcp_send(k.c, "pong", 4, t->now), 4);
        st_expect(t, F_ACK | F_PSH, S + i * 4, R + (i + 1) * 4, 4, NULL);
    }
    in_then_delayed_ack(t, &k, R + 64, S + 64, "ping", 4);
    st_free(t);
}

int main(void)
{
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 3);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_is_40ms),
        cmocka_unit_test(test_lone_segment_acked_after_delay),
        cmocka_unit_test(test_delay_not_restarted_and_configurable),
        cmocka_unit_test(test_every_second_full_segment),
        cmocka_unit_test(test_out_of_order_and_gap_fill_at_once),
        cmocka_unit_test(test_reply_carries_the_ack),
        cmocka_unit_test(test_fin_acked_at_once),
        cmocka_unit_test(test_quickack_first_segments),
        cmocka_unit_test(test_quickack_bounded_by_window),
        cmocka_unit_test(test_quickack_not_spent_by_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
