/* Timing wheel: ordering, rounding, cancel, re-arm, arming from callbacks,
 * cascades across every level, the overflow list, long idles, and a
 * randomized comparison with a reference model (a flat array). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "core/timer.h"

#define MS 1000000ULL

/* ---- a recording fixture ---------------------------------------------------- */

#define MAX_TIMERS 256
#define MAX_LOG    4096

struct rec;

typedef struct item {
    sk_timer t;
    struct rec *rec;
    int id;
    /* what the callback does */
    int rearm_self;      /* re-arm at now + period */
    uint64_t period;     /* for rearm_self */
    struct item *cancel; /* cancel this one */
    struct item *arm;    /* arm this one ... */
    uint64_t arm_at;     /* ... at this absolute time */
    int arm_past;        /* arm self at now (already due) */
    int reenter;         /* call sk_wheel_expire from the callback */
} item;

typedef struct rec {
    sk_wheel w;
    item items[MAX_TIMERS];
    int log_id[MAX_LOG];
    uint64_t log_now[MAX_LOG];
    uint64_t log_expiry[MAX_LOG];
    int nlog;
    uint32_t reenter_result;
} rec;

static item *item_of(sk_timer *t)
{
    return (item *)(void *)((char *)t - offsetof(item, t));
}

static void on_fire(sk_timer *t, uint64_t now)
{
    item *it = item_of(t);
    rec *r = it->rec;
    assert_false(sk_timer_armed(t));
    assert_true(r->nlog < MAX_LOG);
    r->log_id[r->nlog] = it->id;
    r->log_now[r->nlog] = now;
    r->log_expiry[r->nlog] = t->expiry;
    r->nlog++;
    /* Never early. */
    assert_true(now >= t->expiry);
    if (it->cancel)
        sk_wheel_cancel(&r->w, &it->cancel->t);
    if (it->arm)
        sk_wheel_arm(&r->w, &it->arm->t, it->arm_at);
    if (it->rearm_self)
        sk_wheel_arm(&r->w, t, now + it->period);
    if (it->arm_past)
        sk_wheel_arm(&r->w, t, now);
    if (it->reenter)
        r->reenter_result = sk_wheel_expire(&r->w, now + 1000 * MS) + 1;
}

static rec *rec_new(uint64_t tick_ns, uint64_t now)
{
    rec *r = calloc(1, sizeof(*r));
    assert_non_null(r);
    sk_wheel_init(&r->w, tick_ns, now);
    for (int i = 0; i < MAX_TIMERS; i++) {
        sk_timer_init(&r->items[i].t, on_fire);
        r->items[i].rec = r;
        r->items[i].id = i;
    }
    return r;
}

static void arm(rec *r, int id, uint64_t expiry)
{
    sk_wheel_arm(&r->w, &r->items[id].t, expiry);
}

/* ---- basic behaviour ---------------------------------------------------------- */

static void test_empty_wheel(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    assert_int_equal(sk_wheel_expire(&r->w, 5000 * MS), 0);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    assert_false(sk_timer_armed(&r->items[0].t));
    free(r);
}

static void test_fires_in_expiry_order(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    /* Armed out of order, several sharing a tick (ns apart inside tick 3). */
    static const uint64_t at[] = {
        7 * MS, 2 * MS + 999999, 2 * MS + 1, 300 * MS, 2 * MS + 500, 70000 * MS, 1, 7 * MS - 1,
    };
    static const int order[] = {6, 2, 4, 1, 7, 0, 3, 5};
    for (int i = 0; i < 8; i++)
        arm(r, i, at[i]);
    assert_int_equal(r->w.armed, 8);
    assert_int_equal(sk_wheel_expire(&r->w, 100000 * MS), 8);
    assert_int_equal(r->nlog, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(r->log_id[i], order[i]);
    assert_int_equal(r->w.armed, 0);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    free(r);
}

static void test_never_early_rounds_up(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    arm(r, 0, 1500000); /* 1.5 ms: fires at the 2 ms tick */
    assert_int_equal(sk_wheel_next_expiry(&r->w), 2 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 1500000), 0); /* reached, but rounded up */
    assert_int_equal(sk_wheel_expire(&r->w, 2 * MS - 1), 0);
    assert_true(sk_timer_armed(&r->items[0].t));
    assert_int_equal(sk_wheel_expire(&r->w, 2 * MS), 1);
    assert_int_equal(r->log_now[0], 2 * MS);
    /* Exactly on a tick: no rounding. */
    arm(r, 1, 5 * MS);
    assert_int_equal(sk_wheel_next_expiry(&r->w), 5 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 5 * MS - 1), 0);
    assert_int_equal(sk_wheel_expire(&r->w, 5 * MS), 1);
    free(r);
}

static void test_past_expiry_fires_on_next_expire(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 10 * MS + 300);
    arm(r, 0, 3 * MS);        /* long past */
    arm(r, 1, 10 * MS + 300); /* exactly the init time */
    arm(r, 2, 10 * MS + 301); /* future: waits for the 11 ms tick */
    assert_true(sk_wheel_next_expiry(&r->w) <= 3 * MS);
    /* Same now as init, not even a new tick: the past ones still fire. */
    assert_int_equal(sk_wheel_expire(&r->w, 10 * MS + 300), 2);
    assert_int_equal(r->log_id[0], 0);
    assert_int_equal(r->log_id[1], 1);
    assert_int_equal(sk_wheel_next_expiry(&r->w), 11 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 11 * MS), 1);
    /* Past relative to the last expire's now. */
    arm(r, 3, 11 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 11 * MS), 1);
    assert_int_equal(r->log_id[3], 3);
    free(r);
}

static void test_due_and_wheel_ties_fire_in_order(void **state)
{
    (void)state;
    rec *r = rec_new(10, 100);
    arm(r, 0, 125); /* wheel, tick 13 */
    assert_int_equal(sk_wheel_expire(&r->w, 128), 0);
    arm(r, 1, 127); /* past (<= 128): due, also "tick 13" */
    arm(r, 2, 121); /* past too, earliest */
    assert_int_equal(sk_wheel_expire(&r->w, 130), 3);
    assert_int_equal(r->log_id[0], 2);
    assert_int_equal(r->log_id[1], 0);
    assert_int_equal(r->log_id[2], 1);
    free(r);
}

static void test_clock_going_back_is_held(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 50 * MS);
    arm(r, 0, 60 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 10 * MS), 0);
    assert_int_equal(r->w.last_now, 50 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 60 * MS), 1);
    free(r);
}

static void test_cancel(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    sk_wheel_cancel(&r->w, &r->items[0].t); /* never armed: harmless */
    arm(r, 0, 5 * MS);
    arm(r, 1, 5 * MS);
    arm(r, 2, 100000 * MS);
    arm(r, 3, 1); /* wheel, tick 1 */
    assert_int_equal(sk_wheel_expire(&r->w, 0), 0);
    arm(r, 4, 0); /* past */
    assert_int_equal(r->w.armed, 5);
    sk_wheel_cancel(&r->w, &r->items[0].t);
    sk_wheel_cancel(&r->w, &r->items[0].t); /* twice: harmless */
    sk_wheel_cancel(&r->w, &r->items[2].t);
    sk_wheel_cancel(&r->w, &r->items[3].t);
    sk_wheel_cancel(&r->w, &r->items[4].t);
    assert_false(sk_timer_armed(&r->items[0].t));
    assert_int_equal(r->w.armed, 1);
    assert_int_equal(sk_wheel_next_expiry(&r->w), 5 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 200000 * MS), 1);
    assert_int_equal(r->log_id[0], 1);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    /* Cancelling the only timer of a slot clears it: nothing left to find. */
    arm(r, 5, 300000 * MS);
    sk_wheel_cancel(&r->w, &r->items[5].t);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    for (unsigned l = 0; l < SK_WHEEL_LEVELS; l++)
        for (unsigned i = 0; i < SK_WHEEL_MAP_WORDS; i++)
            assert_int_equal(r->w.occupied[l][i], 0);
    free(r);
}

static void test_rearm(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    arm(r, 0, 10 * MS);
    arm(r, 0, 20 * MS); /* later */
    assert_int_equal(r->w.armed, 1);
    assert_int_equal(sk_wheel_expire(&r->w, 15 * MS), 0);
    arm(r, 0, 17 * MS); /* earlier */
    assert_int_equal(sk_wheel_next_expiry(&r->w), 17 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 16 * MS), 0);
    assert_int_equal(sk_wheel_expire(&r->w, 17 * MS), 1);
    assert_int_equal(sk_wheel_expire(&r->w, 30 * MS), 0);
    assert_int_equal(r->nlog, 1);
    /* Re-arm from far (level 3) to near and back. */
    arm(r, 1, 5000000 * MS);
    arm(r, 1, 31 * MS);
    arm(r, 1, 40000000 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 39999999 * MS), 0);
    assert_int_equal(sk_wheel_expire(&r->w, 40000000 * MS), 1);
    assert_int_equal(r->log_now[1], 40000000 * MS);
    free(r);
}

static void test_periodic_rearm_in_callback(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    r->items[0].rearm_self = 1;
    r->items[0].period = 10 * MS;
    arm(r, 0, 10 * MS);
    /* Each call fires it at most once, even if several periods passed. */
    assert_int_equal(sk_wheel_expire(&r->w, 10 * MS), 1);
    assert_int_equal(sk_wheel_next_expiry(&r->w), 20 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 55 * MS), 1);
    assert_int_equal(sk_wheel_next_expiry(&r->w), 65 * MS);
    for (int i = 0; i < 100; i++)
        assert_int_equal(sk_wheel_expire(&r->w, sk_wheel_next_expiry(&r->w)), 1);
    assert_int_equal(r->log_now[r->nlog - 1], 65 * MS + 99 * 10 * MS);
    assert_true(sk_timer_armed(&r->items[0].t));
    free(r);
}

static void test_past_rearm_in_callback_does_not_loop(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    r->items[0].arm_past = 1;
    arm(r, 0, 1 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 1 * MS), 1);
    /* Re-armed at now: due, fires on the next call (same now) once. */
    assert_true(sk_wheel_next_expiry(&r->w) <= 1 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 1 * MS), 1);
    assert_int_equal(sk_wheel_expire(&r->w, 1 * MS), 1);
    r->items[0].arm_past = 0;
    assert_int_equal(sk_wheel_expire(&r->w, 1 * MS), 1);
    assert_int_equal(sk_wheel_expire(&r->w, 1 * MS), 0);
    free(r);
}

static void test_callback_cancels_and_arms_others(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    /* 0 fires first and cancels 1 (same tick, later), moves 2 (same tick)
     * away, and arms 3 for a tick this call would otherwise reach. */
    r->items[0].cancel = &r->items[1];
    r->items[0].arm = &r->items[2];
    r->items[0].arm_at = 50 * MS;
    r->items[4].arm = &r->items[3];
    r->items[4].arm_at = 8 * MS; /* before now (9 ms): due on the next call */
    arm(r, 0, 5 * MS - 3);
    arm(r, 1, 5 * MS - 2);
    arm(r, 2, 5 * MS - 1);
    arm(r, 4, 6 * MS);
    arm(r, 5, 7 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, 9 * MS), 3);
    assert_int_equal(r->log_id[0], 0);
    assert_int_equal(r->log_id[1], 4);
    assert_int_equal(r->log_id[2], 5);
    assert_false(sk_timer_armed(&r->items[1].t));
    assert_true(sk_timer_armed(&r->items[2].t));
    assert_true(sk_timer_armed(&r->items[3].t));
    assert_int_equal(sk_wheel_expire(&r->w, 9 * MS), 1);
    assert_int_equal(r->log_id[3], 3);
    assert_int_equal(sk_wheel_expire(&r->w, 50 * MS), 1);
    assert_int_equal(r->log_id[4], 2);
    assert_int_equal(r->w.armed, 0);
    free(r);
}

static void test_callback_cancels_itself_after_rearm(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    r->items[0].rearm_self = 1;
    r->items[0].period = MS;
    r->items[0].cancel = &r->items[0]; /* cancel runs first, then re-arm */
    arm(r, 0, MS);
    assert_int_equal(sk_wheel_expire(&r->w, MS), 1);
    assert_true(sk_timer_armed(&r->items[0].t));
    r->items[0].rearm_self = 0;
    assert_int_equal(sk_wheel_expire(&r->w, 2 * MS), 1);
    assert_false(sk_timer_armed(&r->items[0].t));
    free(r);
}

static void test_reentry_is_refused(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    r->items[0].reenter = 1;
    arm(r, 0, MS);
    arm(r, 1, 2 * MS);
    assert_int_equal(sk_wheel_expire(&r->w, MS), 1);
    assert_int_equal(r->reenter_result, 1); /* inner call returned 0 */
    assert_true(sk_timer_armed(&r->items[1].t));
    free(r);
}

static void test_next_expiry_exact_in_each_slot(void **state)
{
    (void)state;
    /* From positions on every side of the bitmap words: a level-0 timer is
     * reported exactly, and so is a level-1 timer on a slot boundary. */
    static const uint64_t starts[] = {0, 1, 62, 63, 64, 65, 127, 128, 191, 192, 255, 256 + 70};
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        rec *r = rec_new(3, starts[i] * 3);
        for (uint64_t d = 1; d < SK_WHEEL_SLOTS; d++) {
            arm(r, 0, (starts[i] + d) * 3);
            assert_int_equal(sk_wheel_next_expiry(&r->w), (starts[i] + d) * 3);
            uint64_t et = ((starts[i] >> 8) + d + 1) << 8;
            arm(r, 0, et * 3);
            assert_int_equal(sk_wheel_next_expiry(&r->w), et * 3);
        }
        free(r);
    }
}

/* ---- levels, overflow, long idle -------------------------------------------------- */

/* Expiry ticks on both sides of every level boundary and beyond the reach. */
static const uint64_t boundary_ticks[] = {
    1,
    2,
    255,
    256,
    257,
    511,
    512,
    65535,
    65536,
    65537,
    70000,
    (1ULL << 24) - 1,
    1ULL << 24,
    (1ULL << 24) + 1,
    (1ULL << 32) - 1,
    1ULL << 32,
    (1ULL << 32) + 1,
    (1ULL << 32) + (1ULL << 24) + 5,
    3ULL << 32,
    (1ULL << 40) + 12345,
};
#define NBOUND (sizeof(boundary_ticks) / sizeof(boundary_ticks[0]))

static void check_cascade(uint64_t start_tick, int event_driven)
{
    rec *r = rec_new(1, start_tick);
    for (size_t i = 0; i < NBOUND; i++)
        arm(r, (int)i, start_tick + boundary_ticks[i]);
    uint32_t fired = 0;
    unsigned wakeups = 0;
    if (event_driven) {
        while (r->w.armed) {
            uint64_t next = sk_wheel_next_expiry(&r->w);
            /* Never later than the earliest timer left. */
            for (size_t i = 0; i < NBOUND; i++)
                if (sk_timer_armed(&r->items[i].t))
                    assert_true(next <= r->items[i].t.expiry);
            fired += sk_wheel_expire(&r->w, next);
            wakeups++;
        }
        /* Each timer costs at most one wake per level it cascades through
         * plus the overflow rescans. */
        assert_true(wakeups <= NBOUND * (SK_WHEEL_LEVELS + 2));
    } else {
        fired = sk_wheel_expire(&r->w, start_tick + (1ULL << 41));
    }
    assert_int_equal(fired, NBOUND);
    for (size_t i = 0; i < NBOUND; i++) {
        assert_int_equal(r->log_id[i], (int)i);
        if (event_driven)
            assert_int_equal(r->log_now[i], start_tick + boundary_ticks[i]);
    }
    free(r);
}

static void test_cascade_across_levels(void **state)
{
    (void)state;
    static const uint64_t starts[] = {
        0, 1, 200, 255, 256, 65535, 65536 + 77, (1ULL << 24) - 3, (1ULL << 32) - 1, 123456789012,
    };
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        check_cascade(starts[i], 1);
        check_cascade(starts[i], 0);
    }
}

static void test_far_future_overflow(void **state)
{
    (void)state;
    rec *r = rec_new(MS, 0);
    uint64_t far = 100ULL * 24 * 3600 * 1000 * MS; /* 100 days: past the 49.7-day reach */
    uint64_t farther = 3000ULL * 24 * 3600 * 1000 * MS;
    arm(r, 0, farther);
    arm(r, 1, far);
    assert_int_equal(sk_wheel_expire(&r->w, far - 1), 0);
    assert_true(sk_wheel_next_expiry(&r->w) <= far);
    assert_int_equal(sk_wheel_expire(&r->w, far), 1);
    assert_int_equal(r->log_id[0], 1);
    assert_true(sk_wheel_next_expiry(&r->w) <= farther);
    assert_int_equal(sk_wheel_expire(&r->w, farther - 1), 0);
    assert_int_equal(sk_wheel_expire(&r->w, farther), 1);
    /* The end of time: a timer at UINT64_MAX ns on a 1 ms wheel. */
    arm(r, 2, UINT64_MAX - 5);
    assert_true(sk_wheel_next_expiry(&r->w) > farther);
    assert_true(sk_wheel_next_expiry(&r->w) < UINT64_MAX);
    assert_int_equal(sk_wheel_expire(&r->w, UINT64_MAX - MS), 0);
    sk_wheel_cancel(&r->w, &r->items[2].t);
    assert_int_equal(sk_wheel_next_expiry(&r->w), UINT64_MAX);
    free(r);
}

static void test_long_idle_skips_empty_ticks(void **state)
{
    (void)state;
    /* A 1 ns tick and 10^15 ns (11.6 days) of idle: stepping tick by tick
     * would take weeks. */
    rec *r = rec_new(1, 0);
    arm(r, 0, 3);
    arm(r, 1, 1000000000000ULL);
    arm(r, 2, 999999999999999ULL);
    arm(r, 3, 2000000000000000ULL);
    assert_int_equal(sk_wheel_expire(&r->w, 1000000000000000ULL), 3);
    assert_int_equal(r->log_id[2], 2);
    assert_int_equal(r->w.now_tick, 1000000000000000ULL);
    assert_int_equal(sk_wheel_expire(&r->w, 2000000000000000ULL), 1);
    /* And with a 1 ms tick, hours of virtual time in one call. */
    rec *q = rec_new(MS, 0);
    for (int i = 0; i < 200; i++)
        arm(q, i, (uint64_t)(i + 1) * 3600 * 1000 * MS / 7);
    assert_int_equal(sk_wheel_expire(&q->w, 0), 0);
    assert_int_equal(sk_wheel_expire(&q->w, 48ULL * 3600 * 1000 * MS), 200);
    for (int i = 0; i < 200; i++)
        assert_int_equal(q->log_id[i], i);
    free(q);
    free(r);
}

/* ---- randomized comparison with a reference model ------------------------------- */

/* The model: per timer, armed / expiry / "due" (armed at or before the last
 * expire's now, so it fires on the next expire whatever the time). */
typedef struct model {
    rec *r;
    sk_prng prng;
    int n;
    uint64_t tick;
    uint64_t last_now;
    int armed[MAX_TIMERS];
    int due[MAX_TIMERS];
    uint64_t expiry[MAX_TIMERS];
    /* During an expire: what may still fire in this call. */
    int in_expire;
    int expect[MAX_TIMERS];
    uint64_t now;
    uint64_t prev_fired_expiry;
    int fired_in_call;
    int event_driven; /* this expire's now came from next_expiry */
} model;

static uint64_t up(const model *m, uint64_t e)
{
    return e / m->tick + (e % m->tick != 0);
}

static uint64_t random_offset(model *m)
{
    switch (sk_prng_below(&m->prng, 8)) {
    case 0:
        return sk_prng_below(&m->prng, 4 * m->tick);
    case 1:
    case 2:
        return sk_prng_below(&m->prng, 300 * m->tick);
    case 3:
        return sk_prng_below(&m->prng, 70000 * m->tick);
    case 4:
        return sk_prng_below(&m->prng, (1ULL << 25) * m->tick);
    case 5:
        return sk_prng_below(&m->prng, 256) * (m->tick << 8) + sk_prng_below(&m->prng, 3);
    case 6:
        return sk_prng_below(&m->prng, 1ULL << 12) << 20;
    default:
        return sk_prng_chance(&m->prng, 0.02) ? sk_prng_below(&m->prng, 1ULL << 34) * m->tick
                                              : sk_prng_below(&m->prng, 1000);
    }
}

static void model_arm(model *m, int id, uint64_t expiry)
{
    m->armed[id] = 1;
    m->expiry[id] = expiry;
    m->due[id] = expiry <= m->last_now;
    if (m->in_expire)
        m->expect[id] = 0;
    sk_wheel_arm(&m->r->w, &m->r->items[id].t, expiry);
}

static void model_cancel(model *m, int id)
{
    m->armed[id] = 0;
    if (m->in_expire)
        m->expect[id] = 0;
    sk_wheel_cancel(&m->r->w, &m->r->items[id].t);
}

/* Arms at now - something sometimes, to exercise the due list. */
static uint64_t random_expiry(model *m, uint64_t now)
{
    if (sk_prng_chance(&m->prng, 0.05)) {
        uint64_t back = random_offset(m);
        return back > now ? 0 : now - back;
    }
    return now + random_offset(m);
}

static void model_random_op(model *m, uint64_t now)
{
    int id = (int)sk_prng_below(&m->prng, (uint64_t)m->n);
    if (sk_prng_chance(&m->prng, 0.7))
        model_arm(m, id, random_expiry(m, now));
    else
        model_cancel(m, id);
}

static model *model_of_rec(const rec *r);

static void on_model_fire(sk_timer *t, uint64_t now)
{
    item *it = item_of(t);
    model *m = model_of_rec(it->rec);
    int id = it->id;
    assert_true(m->in_expire);
    assert_int_equal(now, m->now);
    assert_true(m->expect[id]); /* due in this call and not cancelled/re-armed since */
    assert_true(m->armed[id]);
    assert_int_equal(t->expiry, m->expiry[id]);
    assert_true(t->expiry >= m->prev_fired_expiry); /* expiry order within a call */
    m->prev_fired_expiry = t->expiry;
    /* Called back exactly at next_expiry: a timer that fires was due exactly then. */
    if (m->event_driven && !m->due[id] && up(m, t->expiry) * m->tick != now)
        print_error("id %d expiry %llu tick %llu now %llu fired_in_call %d\n", id,
                    (unsigned long long)t->expiry, (unsigned long long)m->tick,
                    (unsigned long long)now, m->fired_in_call);
    if (m->event_driven && !m->due[id])
        assert_int_equal(up(m, t->expiry) * m->tick, now);
    m->expect[id] = 0;
    m->armed[id] = 0;
    m->fired_in_call++;
    /* Callbacks arm and cancel random timers, themselves included. */
    int ops = (int)sk_prng_below(&m->prng, 3);
    for (int i = 0; i < ops; i++)
        model_random_op(m, now);
}

/* rec is the first member of the test's model container. */
typedef struct model_box {
    rec r;
    model m;
} model_box;

static model *model_of_rec(const rec *r)
{
    return &((model_box *)(void *)(uintptr_t)r)->m;
}

static void check_next_expiry(model *m)
{
    uint64_t next = sk_wheel_next_expiry(&m->r->w);
    uint64_t earliest = UINT64_MAX;
    uint32_t count = 0;
    int any_due = 0;
    for (int i = 0; i < m->n; i++) {
        if (!m->armed[i])
            continue;
        count++;
        uint64_t e = up(m, m->expiry[i]) * m->tick;
        if (e < earliest)
            earliest = e;
        any_due |= m->due[i];
    }
    assert_int_equal(m->r->w.armed, count);
    if (count == 0) {
        assert_int_equal(next, UINT64_MAX);
        return;
    }
    /* Never later than the earliest timer; "now" when one is already due. */
    if (next > earliest)
        print_error("next %llu earliest %llu last_now %llu tick %llu now_tick %llu\n",
                    (unsigned long long)next, (unsigned long long)earliest,
                    (unsigned long long)m->last_now, (unsigned long long)m->tick,
                    (unsigned long long)m->r->w.now_tick);
    assert_true(next <= earliest);
    if (any_due)
        assert_true(next <= m->last_now);
    else
        assert_true(next > m->last_now);
}

static void model_expire(model *m, uint64_t now)
{
    if (now < m->last_now)
        now = m->last_now;
    m->last_now = now;
    m->now = now;
    int want = 0;
    for (int i = 0; i < m->n; i++) {
        m->expect[i] = m->armed[i] && (m->due[i] || up(m, m->expiry[i]) <= now / m->tick);
        want += m->expect[i];
    }
    m->in_expire = 1;
    m->prev_fired_expiry = 0;
    m->fired_in_call = 0;
    uint32_t fired = sk_wheel_expire(&m->r->w, now);
    m->in_expire = 0;
    assert_int_equal(fired, (uint32_t)m->fired_in_call);
    for (int i = 0; i < m->n; i++)
        assert_false(m->expect[i]); /* everything due fired (or was cancelled/re-armed) */
    (void)want;
}

static void run_model(uint64_t seed, uint64_t tick, int ntimers, int nops)
{
    model_box *box = calloc(1, sizeof(*box));
    assert_non_null(box);
    model *m = &box->m;
    rec *r = &box->r;
    m->r = r;
    m->n = ntimers;
    m->tick = tick;
    sk_prng_seed(&m->prng, seed);
    uint64_t now = sk_prng_below(&m->prng, 1ULL << 40);
    m->last_now = now;
    sk_wheel_init(&r->w, tick, now);
    for (int i = 0; i < ntimers; i++) {
        sk_timer_init(&r->items[i].t, on_model_fire);
        r->items[i].rec = r;
        r->items[i].id = i;
    }
    uint64_t total_fired = 0;
    for (int op = 0; op < nops; op++) {
        uint64_t kind = sk_prng_below(&m->prng, 10);
        m->event_driven = 0;
        if (kind < 5) {
            model_random_op(m, now);
        } else if (kind < 7) {
            uint64_t next = sk_wheel_next_expiry(&r->w);
            if (next != UINT64_MAX && next > m->last_now) {
                m->event_driven = 1;
                now = next;
            }
            model_expire(m, now);
        } else {
            now += sk_prng_chance(&m->prng, 0.01) ? random_offset(m) * 64 : random_offset(m);
            model_expire(m, now);
        }
        total_fired += (uint64_t)m->fired_in_call;
        m->fired_in_call = 0;
        check_next_expiry(m);
    }
    /* Drain: everything still armed fires, in order, when time runs far ahead. */
    m->event_driven = 0;
    now += 1ULL << 50;
    model_expire(m, now);
    model_expire(m, now); /* those re-armed as due by the drain's callbacks */
    (void)total_fired;
    free(box);
}

static void test_random_against_model(void **state)
{
    (void)state;
    static const uint64_t ticks[] = {1, 7, 1000, MS};
    for (uint64_t seed = 1; seed <= 12; seed++)
        run_model(seed, ticks[seed % 4], seed % 3 ? 64 : 200, 20000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_wheel),
        cmocka_unit_test(test_fires_in_expiry_order),
        cmocka_unit_test(test_never_early_rounds_up),
        cmocka_unit_test(test_past_expiry_fires_on_next_expire),
        cmocka_unit_test(test_due_and_wheel_ties_fire_in_order),
        cmocka_unit_test(test_clock_going_back_is_held),
        cmocka_unit_test(test_next_expiry_exact_in_each_slot),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_rearm),
        cmocka_unit_test(test_periodic_rearm_in_callback),
        cmocka_unit_test(test_past_rearm_in_callback_does_not_loop),
        cmocka_unit_test(test_callback_cancels_and_arms_others),
        cmocka_unit_test(test_callback_cancels_itself_after_rearm),
        cmocka_unit_test(test_reentry_is_refused),
        cmocka_unit_test(test_cascade_across_levels),
        cmocka_unit_test(test_far_future_overflow),
        cmocka_unit_test(test_long_idle_skips_empty_ticks),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
