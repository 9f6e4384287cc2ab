/* The retransmission timeout's arithmetic (RFC 6298 2 and 5) on the wire:
 * SRTT, RTTVAR and RTO after given samples, the clock granularity G, the
 * clamps to tcp_rto_min and tcp_rto_max, the backoff, and samples taken
 * from timestamps (RFC 7323 4). Samples come from the handshake (the time
 * between our SYN-ACK and its ACK) and from ACKs of timed data; the
 * retransmission is expected at the exact RTO on the virtual clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sndtest.h"

static void rto_min_200ms(synack_config *cfg)
{
    cfg->tcp_rto_min_ns = 200 * ST_MS;
}

static st *open_rtt(void (*tweak)(synack_config *), st_conn *k, uint64_t rtt, bool ts)
{
    st *t = st_new(tweak);
    st_peer p = {.mss = 1460, .rtt = rtt, .ts = ts};
    st_open_peer(t, k, &p);
    return t;
}

static void expect_rtt(const st_conn *k, uint32_t srtt, uint32_t rttvar, uint32_t rto)
{
    synack_tcp_info info = st_info(k);
    assert_int_equal(info.srtt_us, srtt);
    assert_int_equal(info.rttvar_us, rttvar);
    assert_int_equal(info.rto_us, rto);
}

/* RFC 6298 2.2: the first measurement R: SRTT = R, RTTVAR = R/2, RTO =
 * SRTT + max(G, K*RTTVAR), K = 4. R = 100 ms: RTO = 300 ms, and data goes
 * again exactly 300 ms after it was sent (5.1, 5.4). 2.3, a second
 * measurement R' = 260 ms: RTTVAR = 3/4 * 50 + 1/4 * |100 - 260| = 77.5 ms,
 * SRTT = 7/8 * 100 + 1/8 * 260 = 120 ms, RTO = 120 + 4 * 77.5 = 430 ms. */
static void test_first_and_second_sample(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_rtt(rto_min_200ms, &k, 100 * ST_MS, false);
    uint32_t S = k.iss + 1;
    expect_rtt(&k, 100000, 50000, 300000);
    st_write(t, &k, 100);
    st_expect(t, F_ACK | F_PSH, S, k.irs + 1, 100, NULL);
    st_expect_timeout(t, &k, 300 * ST_MS, F_ACK | F_PSH, S, 100);
    st_ack(t, &k, S + 100); /* Karn: no sample from it */
    expect_rtt(&k, 100000, 50000, 300000);
    st_write(t, &k, 100);
    st_expect(t, F_ACK | F_PSH, S + 100, k.irs + 1, 100, NULL);
    st_advance(t, 260 * ST_MS);
    st_ack(t, &k, S + 200);
    expect_rtt(&k, 120000, 77500, 430000);
    st_write(t, &k, 100);
    st_expect(t, F_ACK | F_PSH, S + 200, k.irs + 1, 100, NULL);
    st_expect_timeout(t, &k, 430 * ST_MS, F_ACK | F_PSH, S + 200, 100);
    st_free(t);
}

static void rto_max_3s(synack_config *cfg)
{
    cfg->tcp_rto_initial_ns = 2 * ST_S; /* the SYN-ACK waits for its 1.5 s ACK */
    cfg->tcp_rto_max_ns = 3 * ST_S;
}

/* RFC 6298 2.4: "Whenever RTO is computed, if it is less than 1 second,
 * then the RTO SHOULD be rounded up to 1 second" (tcp_rto_min, default 1
 * s); 2.5: "A maximum value MAY be placed on RTO": R = 1.5 s gives 4.5 s,
 * held at tcp_rto_max = 3 s. */
static void test_rto_clamped(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_rtt(NULL, &k, 100 * ST_MS, false);
    expect_rtt(&k, 100000, 50000, 1000000);
    st_write(t, &k, 100);
    st_drain(t);
    st_expect_timeout(t, &k, ST_S, F_ACK | F_PSH, k.iss + 1, 100);
    st_free(t);

    t = open_rtt(rto_max_3s, &k, 1500 * ST_MS, false);
    expect_rtt(&k, 1500000, 750000, 3000000);
    st_write(t, &k, 100);
    st_drain(t);
    st_expect_timeout(t, &k, 3 * ST_S, F_ACK | F_PSH, k.iss + 1, 100);
    st_free(t);
}

static void coarse_clock(synack_config *cfg)
{
    cfg->tcp_rto_min_ns = ST_MS;
    cfg->timer_tick_ns = 10 * ST_MS;
}

/* RFC 6298 2.2: max(G, K*RTTVAR) - with a 10 ms timer tick and R = 2 ms,
 * K*RTTVAR = 4 ms < G: RTO = 2 + 10 ms. */
static void test_clock_granularity(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_rtt(coarse_clock, &k, 2 * ST_MS, false);
    expect_rtt(&k, 2000, 1000, 12000);
    st_free(t);
}

static void rto_max_4s(synack_config *cfg)
{
    cfg->tcp_rto_max_ns = 4 * ST_S;
}

/* RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")",
 * 2.5's maximum applying: the same segment at 1, 2, 4, 4, 4 s intervals
 * with tcp_rto_max = 4 s. */
static void test_backoff_doubles_to_rto_max(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_rtt(rto_max_4s, &k, 0, false);
    uint32_t S = k.iss + 1;
    st_write(t, &k, 100);
    st_drain(t);
    static const uint64_t gaps[] = {1, 2, 4, 4, 4};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        st_expect_timeout(t, &k, gaps[i] * ST_S, F_ACK | F_PSH, S, 100);
    assert_int_equal(st_stat(t, "tcp_timeouts"), 5);
    assert_int_equal(st_stat(t, "tcp_retransmits"), 5);
    st_free(t);
}

/* RFC 7323 4 (RTTM): with timestamps the RTT is the time since the TSval
 * the ACK echoes. 40 ms after the first: RTTVAR = 3/4 * 50 + 1/4 * 60 =
 * 52.5 ms, SRTT = 7/8 * 100 + 1/8 * 40 = 92.5 ms. The echoed TSval names
 * the transmission it times, so even a retransmitted segment gives a
 * sample (no Karn ambiguity, RFC 7323 4.2 / RFC 6298 3): an ACK 20 ms
 * after the retransmission that echoes its TSval: RTTVAR = 3/4 * 52.5 +
 * 1/4 * 72.5 = 57.5 ms, SRTT = 7/8 * 92.5 + 1/8 * 20 = 83.4375 ms. */
static void test_rtt_from_timestamps(void **state)
{
    (void)state;
    st_conn k;
    st *t = open_rtt(rto_min_200ms, &k, 100 * ST_MS, true);
    uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_true(st_info(&k).timestamps);
    expect_rtt(&k, 100000, 50000, 300000);
    st_write(t, &k, 100);
    st_seg d;
    st_expect(t, F_ACK | F_PSH, S, R, 100, &d);
    assert_true(d.opts.has_ts);
    st_advance(t, 40 * ST_MS);
    st_ack_full(t, &k, S + 100, ST_WIN, 0, NULL, d.opts.tsval);
    expect_rtt(&k, 92500, 52500, 302500);

    st_write(t, &k, 100);
    st_expect(t, F_ACK | F_PSH, S + 100, R, 100, NULL);
    assert_true(st_wait_output(t, ST_S) != UINT64_MAX);
    st_expect(t, F_ACK | F_PSH, S + 100, R, 100, &d);
    st_advance(t, 20 * ST_MS);
    st_ack_full(t, &k, S + 200, ST_WIN, 0, NULL, d.opts.tsval);
    expect_rtt(&k, 83437, 57500, 313437);
    st_free(t);
}

/* RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
 * and the TCP implementation is using an RTO less than 3 seconds, the RTO
 * MUST be re-initialized to 3 seconds when data transmission begins". The
 * SYN went twice (Karn: no sample): the first data waits 3 s. */
static void test_rto_3s_after_syn_timeout(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_open_after_syn_loss(t, &k);
    synack_tcp_info info = st_info(&k);
    assert_int_equal(info.srtt_us, 0);
    assert_int_equal(info.rto_us, 3000000);
    st_write(t, &k, 100);
    st_expect(t, F_ACK | F_PSH, k.iss + 1, k.irs + 1, 100, NULL);
    st_expect_timeout(t, &k, 3 * ST_S, F_ACK | F_PSH, k.iss + 1, 100);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_and_second_sample),
        cmocka_unit_test(test_rto_clamped),
        cmocka_unit_test(test_clock_granularity),
        cmocka_unit_test(test_backoff_doubles_to_rto_max),
        cmocka_unit_test(test_rtt_from_timestamps),
        cmocka_unit_test(test_rto_3s_after_syn_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
