/* Send-side edge cases a review found (each was a real bug): state
 * compared with SND.UNA after 2^31 bytes (RFC 6582 `recover`, Minshall's
 * snd_sml), Karn's backoff kept until a valid sample (RFC 6298 5), a TSecr
 * we never sent (RFC 7323 4), timestamps on the persist probe (RFC 7323
 * 3.2), NextSeg rule (3) when Nagle holds new data (RFC 6675), the persist
 * flag left behind with nothing to probe for. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

#define MSS 1460u

/* Moves @p total bytes in full-sized segments, all acknowledged, no loss. */
static void bulk(st *t, st_conn *k, uint64_t total)
{
    static uint8_t buf[44 * MSS];
    uint64_t moved = 0;
    uint32_t una = k->iss + 1;
    while (moved < total) {
        assert_int_equal(synack_tcp_send(k->c, buf, sizeof(buf), t->now), (ssize_t)sizeof(buf));
        uint32_t end = una + sizeof(buf);
        while (una != end) {
            st_seg s;
            uint32_t hi = una;
            while (st_next(t, &s))
                hi = s.seq + (uint32_t)s.len;
            st_drain(t);
            assert_true(hi != una);
            st_ack(t, k, hi);
            una = hi;
        }
        moved += sizeof(buf);
    }
    st_drain(t);
}

static unsigned count_out(st *t)
{
    st_seg s;
    unsigned n = 0;
    while (st_next(t, &s))
        n++;
    st_drain(t);
    return n;
}

/* After 2^31 bytes without a loss: Minshall's tail still goes at once and
 * three duplicate ACKs still start a fast retransmit. */
static void test_after_2g(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(st_newreno);
    st_peer p = {.mss = 1460};
    st_open_peer(t, &k, &p);
    uint64_t total = (1ull << 31) + 64ull * 44 * MSS;
    bulk(t, &k, total);
    uint32_t una = k.iss + 1 + (uint32_t)(((total + 44 * MSS - 1) / (44 * MSS)) * 44 * MSS);
    st_write(t, &k, MSS + 100);
    assert_int_equal(count_out(t), 2); /* a full segment and the tail */
    st_ack(t, &k, una + MSS + 100);
    st_drain(t);
    una += MSS + 100;
    st_write(t, &k, 20 * MSS);
    st_drain(t);
    st_ack(t, &k, una);
    st_ack(t, &k, una);
    st_ack(t, &k, una);
    assert_true(st_info(&k).in_recovery);
    assert_int_equal(st_stat(t, "tcp_fast_recoveries"), 1);
    st_free(t);
}

/* RFC 6298 5: three timeouts, then the ACK of the retransmitted segment
 * (no sample: Karn): the next timeout is still backed off (8 s). */
static void test_backoff_kept_without_sample(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(st_newreno);
    st_peer p = {.mss = 1460, .rtt = 100 * ST_MS};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 3 * MSS);
    st_drain(t);
    for (int i = 0; i < 3; i++) {
        assert_true(st_wait_output(t, 10 * ST_S) != UINT64_MAX);
        st_drain(t);
    }
    st_advance(t, 100 * ST_MS);
    st_ack(t, &k, S + MSS);
    st_drain(t);
    uint64_t at = t->now;
    uint64_t w = st_wait_output(t, 60 * ST_S);
    assert_int_equal(w - at, 8 * ST_S);
    st_free(t);
}

/* RFC 7323 4 / Linux tcp_rtt_tsopt_us: a TSecr ahead of our clock is no
 * RTT sample (one would pin the RTO at tcp_rto_max). */
static void test_future_tsecr_ignored(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(st_newreno);
    st_peer p = {.mss = 1460, .ts = true, .rtt = 10 * ST_MS};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 2 * MSS);
    st_seg s;
    assert_true(st_next(t, &s));
    uint32_t tsval = s.opts.tsval;
    st_drain(t);
    synack_tcp_info before = st_info(&k);
    st_advance(t, 10 * ST_MS);
    st_ack_full(t, &k, S + MSS, ST_WIN, 0, NULL, tsval + 100);
    synack_tcp_info after = st_info(&k);
    assert_true(after.rto_us <= before.rto_us);
    assert_true(after.srtt_us < 1000000);
    st_drain(t);
    st_free(t);
}

/* RFC 7323 3.2: timestamps "in every non-<RST> segment": the zero-window
 * probe too, or a peer may drop it and never answer. */
static void test_persist_probe_has_timestamps(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(st_newreno);
    st_peer p = {.mss = 1460, .ts = true};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 2 * MSS);
    st_seg s;
    assert_true(st_next(t, &s));
    st_drain(t);
    st_ack_full(t, &k, S + 2 * MSS, 0, 0, NULL, s.opts.tsval);
    st_write(t, &k, 100);
    st_drain(t);
    assert_true(st_wait_output(t, 10 * ST_S) != UINT64_MAX);
    assert_true(st_next(t, &s));
    assert_int_equal(s.seq, S + 2 * MSS - 1);
    assert_int_equal(s.len, 0);
    assert_true(s.opts.has_ts);
    st_free(t);
}

/* RFC 6675 NextSeg: when rule (2)'s new data is held by Nagle, rule (3)
 * still resends the next hole at once, not at the timeout. Segments 0-3
 * and a 100-byte tail are out, 50 bytes wait; 0 and 2 are lost. */
static void test_rule3_when_nagle_holds_new_data(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(st_newreno);
    st_peer p = {.mss = 1460, .sack = true};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 4 * MSS + 100);
    st_drain(t);
    st_write(t, &k, 50);
    st_drain(t);
    st_ack_sack(t, &k, S, S + MSS, S + 2 * MSS);
    st_ack_sack(t, &k, S, S + MSS, S + 2 * MSS, S + 3 * MSS, S + 4 * MSS);
    st_ack_sack(t, &k, S, S + 3 * MSS, S + 4 * MSS + 100, S + MSS, S + 2 * MSS);
    st_drain(t); /* the fast retransmission of segment 0 */
    st_ack_sack(t, &k, S + 2 * MSS, S + 3 * MSS, S + 4 * MSS + 100);
    st_seg s;
    bool hole = false;
    while (st_next(t, &s))
        hole |= s.seq == S + 2 * MSS && s.len == MSS;
    assert_true(hole);
    st_free(t);
}

/* Everything acknowledged under a zero window with nothing queued: the
 * persist timer is done and keep-alive gets the timer. */
static void ka_cfg(synack_config *cfg)
{
    st_newreno(cfg);
    cfg->tcp_keepalive = true;
}

static void test_persist_ends_when_all_acked(void **state)
{
    (void)state;
    st_conn k;
    st *t = st_new(ka_cfg);
    st_peer p = {.mss = 1460};
    st_open_peer(t, &k, &p);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 2 * MSS);
    st_drain(t);
    st_ack_full(t, &k, S, 0, 0, NULL, 0);
    st_wait_output(t, 5 * ST_S);
    st_drain(t);
    st_ack_full(t, &k, S + 2 * MSS, 0, 0, NULL, 0);
    st_drain(t);
    uint64_t at = t->now;
    uint64_t w = st_wait_output(t, 4 * 3600 * ST_S);
    assert_int_equal(w - at, 7200 * ST_S); /* the keep-alive probe */
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_after_2g),
        cmocka_unit_test(test_backoff_kept_without_sample),
        cmocka_unit_test(test_future_tsecr_ignored),
        cmocka_unit_test(test_persist_probe_has_timestamps),
        cmocka_unit_test(test_rule3_when_nagle_holds_new_data),
        cmocka_unit_test(test_persist_ends_when_all_acked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
