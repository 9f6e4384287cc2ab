/* Timing wheel micro-benchmark: ns per arm, re-arm, cancel, next_expiry and
 * per fired timer, for 1M timers spread over 10 s of 1 ms ticks (a busy
 * server's retransmission and keepalive timers), plus one long idle.
 *
 * Usage: bench_timer [timers] [seed]. Prints figures; it is not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/prng.h"
#include "core/timer.h"

#define MS 1000000ULL

typedef struct bench_timer {
    sk_timer t;
    uint64_t fired;
} bench_timer;

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_fire(sk_timer *t, uint64_t now)
{
    (void)now;
    ((bench_timer *)(void *)t)->fired++;
}

static void report(const char *what, uint64_t ns, uint64_t ops)
{
    printf("  %-44s %10.1f ns/op  (%llu ops, %.1f ms)\n", what,
           ops ? (double)ns / (double)ops : 0.0, (unsigned long long)ops, (double)ns / 1e6);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 1000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    if (n == 0)
        n = 1;
    bench_timer *timers = calloc(n, sizeof(*timers));
    uint64_t *when = calloc(n, sizeof(*when));
    sk_wheel *w = malloc(sizeof(*w));
    if (!timers || !when || !w) {
        fprintf(stderr, "bench_timer: out of memory\n");
        return 1;
    }
    sk_prng prng;
    sk_prng_seed(&prng, seed);
    uint64_t now = 1000 * MS;
    sk_wheel_init(w, MS, now);
    for (size_t i = 0; i < n; i++) {
        sk_timer_init(&timers[i].t, on_fire);
        when[i] = now + 1 + sk_prng_below(&prng, 10000 * MS);
    }
    printf("bench_timer: %zu timers over 10 s, 1 ms tick, seed %llu\n", n,
           (unsigned long long)seed);

    uint64_t t0 = clock_ns();
    for (size_t i = 0; i < n; i++)
        sk_wheel_arm(w, &timers[i].t, when[i]);
    report("arm (empty timer)", clock_ns() - t0, n);

    for (size_t i = 0; i < n; i++)
        when[i] = now + 1 + sk_prng_below(&prng, 10000 * MS);
    t0 = clock_ns();
    for (size_t i = 0; i < n; i++)
        sk_wheel_arm(w, &timers[i].t, when[i]);
    report("re-arm (armed timer, new expiry)", clock_ns() - t0, n);

    uint64_t sink = 0;
    t0 = clock_ns();
    for (size_t i = 0; i < n; i++)
        sink += sk_wheel_next_expiry(w);
    report("next_expiry", clock_ns() - t0, n);

    t0 = clock_ns();
    for (size_t i = 0; i < n; i += 2)
        sk_wheel_cancel(w, &timers[i].t);
    report("cancel (every other timer)", clock_ns() - t0, (n + 1) / 2);

    for (size_t i = 0; i < n; i += 2)
        sk_wheel_arm(w, &timers[i].t, when[i]);
    uint64_t fired = 0, calls = 0;
    t0 = clock_ns();
    while (w->armed) {
        now += MS;
        fired += sk_wheel_expire(w, now);
        calls++;
    }
    uint64_t dt = clock_ns() - t0;
    report("expire, called every tick (per timer fired)", dt, fired);
    printf("  %-44s %10.1f ns/call (%llu calls)\n", "expire, per call", (double)dt / (double)calls,
           (unsigned long long)calls);

    for (size_t i = 0; i < n; i++)
        sk_wheel_arm(w, &timers[i].t, now + 1 + sk_prng_below(&prng, 10000 * MS));
    fired = calls = 0;
    t0 = clock_ns();
    while (w->armed) {
        now = sk_wheel_next_expiry(w);
        fired += sk_wheel_expire(w, now);
        calls++;
    }
    dt = clock_ns() - t0;
    report("expire, event-driven via next_expiry", dt, fired);
    printf("  %-44s %10llu\n", "  wake-ups", (unsigned long long)calls);

    /* A long idle: a few timers days apart, one call. */
    for (size_t i = 0; i < 1000 && i < n; i++)
        sk_wheel_arm(w, &timers[i].t, now + (uint64_t)(i + 1) * 3600 * 1000 * MS);
    t0 = clock_ns();
    fired = sk_wheel_expire(w, now + 1001ULL * 3600 * 1000 * MS);
    report("expire after 1000 h idle (per timer fired)", clock_ns() - t0, fired);

    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += timers[i].fired;
    printf("  (checksum %llu fired, %llu)\n", (unsigned long long)total,
           (unsigned long long)(sink & 1));
    free(w);
    free(when);
    free(timers);
    return 0;
}
