/* CUBIC (RFC 9438): the module's integer arithmetic against the RFC's
 * formulas computed here in double precision, its regions and reductions,
 * and a fluid model of a bottleneck comparing it with NewReno. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>

#include "tcp/cc/cc.h"
#include "tcp/cc/cubic.h"

#define MS 1000000ULL

/* The RFC's formulas in segments and seconds. */
static const double C = 0.4, BETA = 0.7;

static double ref_k(double w_max_segs, double cwnd_epoch_segs)
{
    return cbrt((w_max_segs - cwnd_epoch_segs) / C);
}

static double ref_w_cubic(double t, double k, double w_max_segs)
{
    return C * (t - k) * (t - k) * (t - k) + w_max_segs;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static bool is_floor_cbrt(uint64_t x, uint64_t y)
{
    /* y^3 <= x < (y+1)^3, with (y+1)^3 allowed to pass 2^64. */
    if (y * y * y > x)
        return false;
    uint64_t z = y + 1;
    if (z > 2642245) /* 2642246^3 > 2^64 - 1 */
        return true;
    return z * z * z > x;
}

static void test_cbrt(void **state)
{
    (void)state;
    for (uint64_t x = 0; x < 200000; x++)
        assert_true(is_floor_cbrt(x, sk_cubic_cbrt(x)));
    for (uint64_t y = 1; y < 2642245; y += 997) {
        assert_int_equal(sk_cubic_cbrt(y * y * y), y);
        assert_int_equal(sk_cubic_cbrt(y * y * y - 1), y - 1);
    }
    assert_int_equal(sk_cubic_cbrt(UINT64_MAX), 2642245);
    uint64_t s = 88172645463325252ULL;
    for (int i = 0; i < 100000; i++) {
        uint64_t x = xorshift(&s) >> (i % 64);
        assert_true(is_floor_cbrt(x, sk_cubic_cbrt(x)));
    }
}

/* K = cubic_root((W_max - cwnd_epoch) / C) to the millisecond. */
static void test_k_matches_rfc(void **state)
{
    (void)state;
    const uint32_t mss[] = {536, 1000, 1460, 8960};
    const double w_max[] = {2, 10, 37, 100, 1000, 12345, 100000};
    for (size_t m = 0; m < sizeof(mss) / sizeof(mss[0]); m++) {
        for (size_t i = 0; i < sizeof(w_max) / sizeof(w_max[0]); i++) {
            uint32_t wmax = (uint32_t)(w_max[i] * mss[m]);
            if (w_max[i] * mss[m] > UINT32_MAX)
                continue;
            uint32_t epoch = (uint32_t)(wmax * BETA);
            double want_ms = 1000 * ref_k((double)wmax / mss[m], (double)epoch / mss[m]);
            uint32_t got = sk_cubic_k_ms(wmax, epoch, mss[m]);
            assert_true(fabs(got - want_ms) <= 1.0);
        }
    }
    /* 100 segments after the 0.7 reduction: K = cbrt(75) s = 4.217 s. */
    assert_int_equal(sk_cubic_k_ms(146000, 102200, 1460), 4217);
    /* No distance to W_max, no K; the largest input does not overflow. */
    assert_int_equal(sk_cubic_k_ms(1000, 1000, 1000), 0);
    assert_int_equal(sk_cubic_k_ms(1000, 2000, 1000), 0);
    double big = 1000 * ref_k((double)UINT32_MAX, 0);
    assert_true(fabs(sk_cubic_k_ms(UINT32_MAX, 0, 1) - big) <= 1.0);
}

/* W_cubic(t) within one SMSS of the formula, before and after K. */
static void test_w_cubic_matches_rfc(void **state)
{
    (void)state;
    const uint32_t mss = 1460;
    const double w_max_segs[] = {10, 80, 1000, 20000};
    for (size_t i = 0; i < sizeof(w_max_segs) / sizeof(w_max_segs[0]); i++) {
        uint32_t wmax = (uint32_t)(w_max_segs[i] * mss);
        uint32_t epoch = (uint32_t)(wmax * BETA);
        uint32_t k = sk_cubic_k_ms(wmax, epoch, mss);
        double kref = ref_k((double)wmax / mss, (double)epoch / mss);
        for (uint64_t t = 0; t <= 4 * (uint64_t)k + 5000; t += 37) {
            double want = ref_w_cubic(t / 1000.0, kref, w_max_segs[i]) * mss;
            if (want < 0)
                want = 0;
            double got = (double)sk_cubic_w(t, k, wmax, mss);
            assert_true(fabs(got - want) <= mss);
        }
        /* The curve starts at cwnd_epoch and has its plateau at W_max. */
        assert_true(fabs((double)sk_cubic_w(0, k, wmax, mss) - epoch) <= mss);
        assert_int_equal(sk_cubic_w(k, k, wmax, mss), wmax);
    }
    /* Far out the curve saturates instead of wrapping. */
    assert_true(sk_cubic_w(UINT64_MAX / 2, 0, UINT32_MAX, 65535) > UINT32_MAX);
    assert_true(sk_cubic_w(4000000, 1000, 1000, 1) > UINT32_MAX);
    assert_int_equal(sk_cubic_w(0, 100000, 1460, 1460), 0);
}

/* A window-limited sender: a whole window acknowledged in ACKs of one
 * segment spread over one RTT (flight = cwnd at each ACK). */
static void round_trip(sk_cc *cc, uint32_t mss, uint64_t rtt_ns, uint64_t *now)
{
    uint32_t n = cc->cwnd / mss;
    for (uint32_t i = 0; i < n; i++) {
        *now += rtt_ns / n;
        sk_cc_on_ack(cc, mss, mss, cc->cwnd, (uint32_t)(rtt_ns / 1000), *now);
    }
}

/* A loss at @p cwnd with a full window in flight, recovered in one RTT. */
static void loss(sk_cc *cc, uint32_t mss, uint64_t rtt_ns, uint64_t *now)
{
    uint32_t flight = cc->cwnd;
    sk_cc_enter_recovery(cc, mss, flight, *now);
    *now += rtt_ns;
    sk_cc_on_recovery_exit(cc, mss, cc->ssthresh, *now);
}

static sk_cc cubic_at(uint32_t cwnd)
{
    sk_cc cc;
    sk_cc_init(&cc, &sk_cc_cubic, 1000, 10000);
    cc.cwnd = cwnd;
    return cc;
}

/* RFC 9438 4.6: ssthresh = 0.7 * FlightSize, never below 2 SMSS. */
static void test_beta_reduction(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    sk_cc cc = cubic_at(100 * mss);
    sk_cc_enter_recovery(&cc, mss, 100 * mss, 0);
    assert_int_equal(cc.ssthresh, 70 * mss);
    assert_int_equal(cc.cwnd, 73 * mss); /* the RFC 6582 recovery inflates */
    sk_cc_on_dupack(&cc, mss);
    assert_int_equal(cc.cwnd, 74 * mss);
    sk_cc_on_partial_ack(&cc, 2 * mss, mss);
    assert_int_equal(cc.cwnd, 73 * mss);
    sk_cc_on_recovery_exit(&cc, mss, 70 * mss, 0);
    assert_int_equal(cc.cwnd, 70 * mss);
    sk_cubic c = sk_cubic_state(&cc);
    assert_int_equal(c.w_max, 100 * mss);
    assert_int_equal(c.cwnd_prior, 100 * mss);
    /* FlightSize, not cwnd; at least 2 SMSS. */
    cc = cubic_at(100 * mss);
    sk_cc_enter_recovery(&cc, mss, 50 * mss, 0);
    assert_int_equal(cc.ssthresh, 35 * mss);
    assert_int_equal(sk_cubic_state(&cc).w_max, 100 * mss);
    cc = cubic_at(100 * mss);
    sk_cc_enter_recovery(&cc, mss, 2 * mss, 0);
    assert_int_equal(cc.ssthresh, 2 * mss);
}

/* RFC 9438 4.7: a loss below the last W_max lowers W_max to
 * cwnd * (1 + beta) / 2; one above it sets W_max = cwnd. */
static void test_fast_convergence(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    uint64_t now = 0;
    sk_cc cc = cubic_at(100 * mss);
    loss(&cc, mss, 100 * MS, &now);
    assert_int_equal(sk_cubic_state(&cc).w_max, 100 * mss);
    cc.cwnd = 80 * mss;
    loss(&cc, mss, 100 * MS, &now);
    assert_int_equal(sk_cubic_state(&cc).w_max, 68 * mss);
    assert_int_equal(cc.ssthresh, 56 * mss);
    cc.cwnd = 120 * mss;
    loss(&cc, mss, 100 * MS, &now);
    assert_int_equal(sk_cubic_state(&cc).w_max, 120 * mss);
}

/* After a loss at W_max = 1000 segments with a 100 ms RTT the window
 * follows the cubic: growth per RTT shrinks towards the plateau at W_max
 * around t = K (concave), then grows again (convex), and cwnd stays close
 * to W_cubic(t + RTT). */
static void test_concave_then_convex(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    const uint64_t rtt = 100 * MS;
    uint64_t now = 0;
    sk_cc cc = cubic_at(1000 * mss);
    loss(&cc, mss, rtt, &now);
    assert_int_equal(cc.cwnd, 700 * mss);

    round_trip(&cc, mss, rtt, &now); /* starts the epoch */
    sk_cubic c = sk_cubic_state(&cc);
    assert_true(cc.algo_flags & SK_CUBIC_F_EPOCH);
    assert_int_equal(c.k_ms, sk_cubic_k_ms(1000 * mss, 700 * mss, mss));
    assert_int_equal(c.rtt_min_us, 100000);
    uint32_t k_rtts = c.k_ms / 100; /* 90 */
    assert_int_equal(k_rtts, 90);

    uint32_t w[200];
    w[0] = cc.cwnd;
    for (int i = 1; i < 200; i++) {
        round_trip(&cc, mss, rtt, &now);
        w[i] = cc.cwnd;
        uint64_t t_ms = (now - c.epoch_start) / MS;
        /* cwnd aims one RTT ahead on the curve: it stays between the curve
         * now and the curve an RTT later, within two segments. */
        uint64_t lo = sk_cubic_w(t_ms, c.k_ms, c.w_max, mss);
        uint64_t hi = sk_cubic_w(t_ms + 100, c.k_ms, c.w_max, mss);
        assert_true((uint64_t)cc.cwnd + 2ull * mss >= lo);
        assert_true(cc.cwnd <= hi + 2ull * mss);
    }
    /* Concave: each RTT adds less than the one before, up to W_max. */
    for (uint32_t i = 10; i + 10 < k_rtts; i += 10)
        assert_true(w[i + 10] - w[i] < w[i] - w[i - 10]);
    assert_true(w[k_rtts - 5] < 1000 * mss);
    assert_true(w[k_rtts + 5] >= 1000 * mss);
    assert_true(w[k_rtts + 5] - w[k_rtts - 5] < 5 * mss); /* the plateau */
    /* Convex: each RTT adds more than the one before. */
    for (uint32_t i = k_rtts + 10; i + 10 < 200; i += 10)
        assert_true(w[i + 10] - w[i] > w[i] - w[i - 10]);
    /* The target clamp: never more than 1.5 times in one RTT. */
    for (int i = 1; i < 200; i++)
        assert_true((uint64_t)w[i] * 2 <= (uint64_t)w[i - 1] * 3);
}

/* RFC 9438 4.2: growth toward the target is capped at 1.5 cwnd per RTT,
 * even when the curve is far above (late in the convex region). */
static void test_target_clamp(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    uint64_t now = 0;
    sk_cc cc = cubic_at(20 * mss);
    cc.ssthresh = 10 * mss;
    round_trip(&cc, mss, 10 * MS, &now); /* epoch: K = 0, W_max = 20 segs */
    /* 100 s later the curve is 400000 segments above: one RTT of ACKs
     * takes the window from 20 to 30 segments, not further. */
    now += 100000 * MS;
    uint32_t before = cc.cwnd;
    round_trip(&cc, mss, 10 * MS, &now);
    assert_true(cc.cwnd <= before + before / 2 + 1);
    assert_true(cc.cwnd >= before + before / 2 - mss);
}

/* At a small BDP (20 segments, 10 ms) the Reno-friendly estimate grows
 * faster than the cubic curve, and cwnd follows W_est exactly as RFC 9438
 * 4.3 computes it: alpha = 9/17 until W_est reaches cwnd_prior, then 1. */
static void test_reno_friendly_at_small_bdp(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    const uint64_t rtt = 10 * MS;
    const double alpha = 3 * (1 - BETA) / (1 + BETA);
    uint64_t now = 0;
    sk_cc cc = cubic_at(20 * mss);
    loss(&cc, mss, rtt, &now);
    assert_int_equal(cc.cwnd, 14 * mss);

    double w_est = 14 * mss; /* W_est = cwnd_epoch */
    sk_cubic c = sk_cubic_state(&cc);
    int reno_acks = 0, acks = 0;
    for (int r = 0; r < 100; r++) {
        uint32_t n = cc.cwnd / mss;
        for (uint32_t i = 0; i < n; i++) {
            now += rtt / n;
            double a = w_est >= 20 * mss ? 1.0 : alpha;
            w_est += a * mss * mss / cc.cwnd;
            sk_cc_on_ack(&cc, mss, mss, cc.cwnd, 10000, now);
            c = sk_cubic_state(&cc);
            uint64_t t_ms = (now - c.epoch_start) / MS;
            acks++;
            if (sk_cubic_w(t_ms, c.k_ms, c.w_max, mss) < w_est) {
                reno_acks++;
                assert_true(fabs((double)cc.cwnd - floor(w_est)) <= 1.0);
            }
        }
    }
    /* Almost every ACK fell in the Reno-friendly region. */
    assert_true(reno_acks >= acks * 9 / 10);
    assert_true(fabs((double)(c.w_est_fp >> SK_CUBIC_WEST_SHIFT) - w_est) <= 2.0);
    /* 6 segments to cwnd_prior at 9/17 segment per RTT take 11 RTTs; after
     * that growth is Reno's, one segment per RTT: about 20 + 89 segments
     * (a little less: each round acknowledges whole segments only). */
    assert_true(cc.cwnd > 100 * mss && cc.cwnd < 110 * mss);
}

/* RFC 9438 4.8: cwnd = 1 SMSS, ssthresh = 0.7 FlightSize; the first
 * congestion avoidance stage after it has K = 0 and W_max = cwnd_epoch. */
static void test_rto(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    uint64_t now = 0;
    sk_cc cc = cubic_at(100 * mss);
    loss(&cc, mss, 100 * MS, &now);
    round_trip(&cc, mss, 100 * MS, &now);
    sk_cc_on_rto(&cc, mss, 60 * mss, false, now);
    assert_int_equal(cc.cwnd, mss);
    assert_int_equal(cc.ssthresh, 42 * mss);
    assert_int_equal(sk_cubic_state(&cc).w_max, 0);
    assert_false(cc.algo_flags & SK_CUBIC_F_EPOCH);
    /* A repeated timeout holds ssthresh. */
    sk_cc_on_rto(&cc, mss, mss, true, now);
    assert_int_equal(cc.ssthresh, 42 * mss);
    /* Slow start (ABC L = 1 after a timeout) up to ssthresh. */
    for (int i = 0; i < 41; i++)
        sk_cc_on_ack(&cc, 2 * mss, mss, cc.cwnd, 0, now);
    assert_int_equal(cc.cwnd, 42 * mss);
    sk_cc_on_ack(&cc, mss, mss, cc.cwnd, 0, now + 1);
    sk_cubic c = sk_cubic_state(&cc);
    assert_int_equal(c.k_ms, 0);
    assert_int_equal(c.w_max, 42 * mss);
    assert_int_equal(c.epoch_start, now + 1);
}

/* RFC 5681 4.1 restart window; the cubic epoch ends with the idle period. */
static void test_idle(void **state)
{
    (void)state;
    const uint32_t mss = 1000;
    uint64_t now = 0;
    sk_cc cc = cubic_at(100 * mss);
    loss(&cc, mss, 100 * MS, &now);
    round_trip(&cc, mss, 100 * MS, &now);
    assert_true(cc.algo_flags & SK_CUBIC_F_EPOCH);
    sk_cc_on_idle(&cc, 10 * mss, now);
    assert_int_equal(cc.cwnd, 10 * mss);
    assert_int_equal(cc.ssthresh, 70 * mss);
    assert_false(cc.algo_flags & SK_CUBIC_F_EPOCH);
    assert_int_equal(sk_cubic_state(&cc).w_max, 100 * mss);
}

/* ---- a fluid model of one flow through a drop-tail bottleneck ----
 * Each round the sender's whole window is acknowledged. A window up to the
 * BDP takes one base RTT; beyond it the excess waits in the queue and the
 * round lasts cwnd / rate. A window larger than BDP + queue loses a
 * segment, recovered in that round. Link use is bytes delivered over the
 * time they took, relative to the link rate. */
typedef struct {
    double utilisation;
    unsigned losses;
} fluid_result;

static fluid_result fluid(const sk_cc_ops *ops, uint32_t bdp_segs, uint32_t queue_segs,
                          uint64_t rtt_ns, unsigned rounds)
{
    const uint32_t mss = 1460;
    const uint64_t bdp = (uint64_t)bdp_segs * mss, pipe = bdp + (uint64_t)queue_segs * mss;
    sk_cc cc;
    sk_cc_init(&cc, ops, mss, sk_cc_iw_rfc6928(mss));
    uint64_t now = 0;
    double bytes = 0;
    fluid_result res = {0, 0};
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t sent = cc.cwnd < pipe ? cc.cwnd : pipe;
        uint64_t round_ns = sent > bdp ? rtt_ns * sent / bdp : rtt_ns;
        bytes += (double)sent;
        if (cc.cwnd > pipe) {
            res.losses++;
            sk_cc_enter_recovery(&cc, mss, cc.cwnd, now);
            now += round_ns;
            sk_cc_on_recovery_exit(&cc, mss, cc.ssthresh, now);
            continue;
        }
        /* Delayed ACKs: one per two segments. */
        uint32_t n = cc.cwnd / (2 * mss);
        if (n == 0)
            n = 1;
        for (uint32_t i = 0; i < n; i++) {
            now += round_ns / n;
            sk_cc_on_ack(&cc, 2 * mss, mss, cc.cwnd, (uint32_t)(round_ns / 1000), now);
        }
    }
    res.utilisation = bytes / ((double)now / (double)rtt_ns * (double)bdp);
    return res;
}

/* A long fat path: 100 ms, 5000 segments (about 580 Mbit/s). NewReno
 * needs 2500 RTTs to climb back after a loss; CUBIC about K = 16 s. */
static void test_fluid_cubic_beats_newreno_at_large_bdp(void **state)
{
    (void)state;
    fluid_result reno = fluid(&sk_cc_newreno, 5000, 500, 100 * MS, 6000);
    fluid_result cubic = fluid(&sk_cc_cubic, 5000, 500, 100 * MS, 6000);
    print_message("large BDP: newreno %.3f (%u losses), cubic %.3f (%u losses)\n", reno.utilisation,
                  reno.losses, cubic.utilisation, cubic.losses);
    assert_true(reno.losses >= 1);
    assert_true(cubic.losses > reno.losses);
    assert_true(cubic.utilisation > reno.utilisation + 0.05);
    assert_true(cubic.utilisation > 0.9);
}

/* A short thin path: 10 ms, 20 segments. The Reno-friendly region keeps
 * CUBIC at least as fast as NewReno. */
static void test_fluid_small_bdp_reno_friendly(void **state)
{
    (void)state;
    fluid_result reno = fluid(&sk_cc_newreno, 20, 5, 10 * MS, 3000);
    fluid_result cubic = fluid(&sk_cc_cubic, 20, 5, 10 * MS, 3000);
    print_message("small BDP: newreno %.3f (%u losses), cubic %.3f (%u losses)\n", reno.utilisation,
                  reno.losses, cubic.utilisation, cubic.losses);
    assert_true(cubic.utilisation >= reno.utilisation - 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cbrt),
        cmocka_unit_test(test_k_matches_rfc),
        cmocka_unit_test(test_w_cubic_matches_rfc),
        cmocka_unit_test(test_beta_reduction),
        cmocka_unit_test(test_fast_convergence),
        cmocka_unit_test(test_concave_then_convex),
        cmocka_unit_test(test_target_clamp),
        cmocka_unit_test(test_reno_friendly_at_small_bdp),
        cmocka_unit_test(test_rto),
        cmocka_unit_test(test_idle),
        cmocka_unit_test(test_fluid_cubic_beats_newreno_at_large_bdp),
        cmocka_unit_test(test_fluid_small_bdp_reno_friendly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
