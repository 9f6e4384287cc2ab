/* memlink: timing, impairments and determinism, on raw ports (no stacks):
 * the tap sees every frame SENT, DELIVERED and LOST, which is all these
 * tests need. Stacks on a memlink are exercised by tests/sim/test_ping.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "synack/memlink.h"
#include "failalloc.h"

#define MS 1000000ull

/* ---- a tap that records events ------------------------------------------ */

typedef struct rec_event {
    synack_memlink_event ev;
    int from, to;
    uint64_t now;
    size_t len;
    uint32_t id; /* first four bytes of the frame */
    uint8_t bytes[64];
} rec_event;

typedef struct rec {
    size_t n, cap;
    rec_event *e;
    uint64_t hash; /* FNV-1a over every event, bytes included */
} rec;

static rec *rec_new(size_t cap)
{
    rec *r = calloc(1, sizeof(*r));
    r->cap = cap;
    r->e = calloc(cap, sizeof(*r->e));
    r->hash = 1469598103934665603ull;
    return r;
}

static void rec_free(rec *r)
{
    free(r->e);
    free(r);
}

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

static uint32_t get_id(const uint8_t *f, size_t len)
{
    if (len < 4)
        return UINT32_MAX;
    return (uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | (uint32_t)f[2] << 8 | f[3];
}

static void rec_tap(void *ud, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                    size_t len, uint64_t now)
{
    rec *r = ud;
    int hdr[3] = {(int)ev, from, to};
    fnv(&r->hash, hdr, sizeof(hdr));
    fnv(&r->hash, &now, sizeof(now));
    fnv(&r->hash, frame, len);
    assert_true(r->n < r->cap);
    rec_event *e = &r->e[r->n++];
    e->ev = ev;
    e->from = from;
    e->to = to;
    e->now = now;
    e->len = len;
    e->id = get_id(frame, len);
    memcpy(e->bytes, frame, len < sizeof(e->bytes) ? len : sizeof(e->bytes));
}

static size_t rec_count(const rec *r, synack_memlink_event ev)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->e[i].ev == ev;
    return n;
}

/* The i-th event of kind ev, or NULL. */
static const rec_event *rec_nth(const rec *r, synack_memlink_event ev, size_t nth)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->e[i].ev == ev && nth-- == 0)
            return &r->e[i];
    return NULL;
}

/* ---- helpers ------------------------------------------------------------ */

/* The id sits in bytes 0-3 and again in 4-7, so that a frame whose id was
 * corrupted can still be compared with its original. */
static void make_frame(uint8_t *f, size_t len, uint32_t id)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < 8 && i < len; i++)
        f[i] = (uint8_t)(id >> (24 - 8 * (i % 4)));
}

static void send_id(synack_memlink *link, int port, uint32_t id, size_t len)
{
    uint8_t f[1600];
    assert_true(len <= sizeof(f));
    make_frame(f, len, id);
    assert_int_equal(synack_memlink_send(link, port, f, len), 0);
}

/* A link with `ports` raw ports, impairments `imp` on every port. */
static synack_memlink *new_link(uint64_t seed, const synack_impairments *imp, int ports, rec *r)
{
    synack_memlink_config cfg;
    synack_memlink_config_default(&cfg);
    cfg.seed = seed;
    if (imp)
        cfg.impairments = *imp;
    synack_memlink *link;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), 0);
    for (int i = 0; i < ports; i++)
        assert_int_equal(synack_memlink_add_port(link), i);
    if (r)
        synack_memlink_set_tap(link, rec_tap, r);
    return link;
}

/* ---- tests -------------------------------------------------------------- */

static void test_config_default(void **state)
{
    (void)state;
    synack_memlink_config cfg;
    memset(&cfg, 0xff, sizeof(cfg));
    synack_memlink_config_default(&cfg);
    assert_int_equal(cfg.seed, 1);
    assert_int_equal(cfg.start_ns, 0);
    assert_int_equal(cfg.max_ports, 8);
    assert_int_equal(cfg.max_frame, 9216);
    assert_true(cfg.impairments.loss == 0.0);
    assert_int_equal(cfg.impairments.delay_ns, 0);
    assert_int_equal(cfg.impairments.rate_bps, 0);
    assert_int_equal(cfg.impairments.queue_limit, 0);
    assert_int_equal(cfg.impairments.blackout_end_ns, 0);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    synack_memlink_config cfg;
    synack_memlink *link = (synack_memlink *)&cfg;
    assert_int_equal(synack_memlink_new(NULL, NULL, NULL), SYNACK_ERR_INVAL);

    synack_memlink_config_default(&cfg);
    cfg.max_ports = 0;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), SYNACK_ERR_INVAL);
    assert_null(link);
    synack_memlink_config_default(&cfg);
    cfg.max_frame = 0;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), SYNACK_ERR_INVAL);
    synack_memlink_config_default(&cfg);
    cfg.impairments.loss = 1.5;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), SYNACK_ERR_INVAL);
    synack_memlink_config_default(&cfg);
    cfg.impairments.blackout_start_ns = 2;
    cfg.impairments.blackout_end_ns = 1;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), SYNACK_ERR_INVAL);

    synack_memlink_config_default(&cfg);
    cfg.max_ports = 2;
    cfg.max_frame = 100;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), 0);
    assert_int_equal(synack_memlink_add_port(link), 0);
    assert_int_equal(synack_memlink_add_port(link), 1);
    assert_int_equal(synack_memlink_add_port(link), SYNACK_ERR_LIMIT);

    uint8_t f[101] = {0};
    assert_int_equal(synack_memlink_send(link, 2, f, 10), SYNACK_ERR_INVAL);
    assert_int_equal(synack_memlink_send(link, -1, f, 10), SYNACK_ERR_INVAL);
    assert_int_equal(synack_memlink_send(link, 0, NULL, 10), SYNACK_ERR_INVAL);
    assert_int_equal(synack_memlink_send(link, 0, f, 101), SYNACK_ERR_INVAL);
    assert_int_equal(synack_memlink_send(link, 0, f, 100), 0);

    synack_impairments imp = {0};
    imp.duplicate = -0.1;
    assert_int_equal(synack_memlink_set_impairments(link, 0, &imp), SYNACK_ERR_INVAL);
    imp.duplicate = 0.5;
    assert_int_equal(synack_memlink_set_impairments(link, 5, &imp), SYNACK_ERR_INVAL);
    assert_int_equal(synack_memlink_set_impairments(link, 1, &imp), 0);
    assert_int_equal(synack_memlink_bind(link, 3, NULL), SYNACK_ERR_INVAL);

    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->sent, 1);
    synack_memlink_del(link);
    synack_memlink_del(NULL);
}

static void test_zero_delay_waits_for_a_step(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    synack_memlink *link = new_link(1, NULL, 2, r);
    assert_int_equal(synack_memlink_next_event(link), UINT64_MAX);
    assert_int_equal(synack_memlink_step(link), 0);

    send_id(link, 0, 7, 60);
    /* Queued, not delivered: the sender's callback never re-enters a stack. */
    assert_int_equal(r->n, 1);
    assert_int_equal(r->e[0].ev, SYNACK_MEMLINK_SENT);
    assert_int_equal(r->e[0].from, 0);
    assert_int_equal(r->e[0].to, -1);
    assert_int_equal(synack_memlink_next_event(link), 0);

    assert_int_equal(synack_memlink_step(link), 1);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->e[1].ev, SYNACK_MEMLINK_DELIVERED);
    assert_int_equal(r->e[1].from, 0);
    assert_int_equal(r->e[1].to, 1);
    assert_int_equal(r->e[1].now, 0);
    assert_int_equal(r->e[1].id, 7);
    assert_int_equal(r->e[1].len, 60);
    assert_memory_equal(r->e[1].bytes, r->e[0].bytes, 60);
    assert_int_equal(synack_memlink_step(link), 0);
    synack_memlink_del(link);
    rec_free(r);
}

static void test_hub_delivers_to_every_other_port(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    synack_memlink *link = new_link(1, NULL, 3, r);
    send_id(link, 1, 42, 64);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(rec_count(r, SYNACK_MEMLINK_DELIVERED), 2);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, 0)->to, 0);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, 1)->to, 2);
    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->sent, 1);
    assert_int_equal(st->delivered, 2);
    assert_int_equal(st->lost, 0);
    synack_memlink_del(link);
    rec_free(r);
}

static void test_delay_exact(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    synack_impairments imp = {.delay_ns = 5 * MS};
    synack_memlink_config cfg;
    synack_memlink_config_default(&cfg);
    cfg.start_ns = 1000;
    cfg.impairments = imp;
    synack_memlink *link;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), 0);
    assert_int_equal(synack_memlink_now(link), 1000);
    synack_memlink_add_port(link);
    synack_memlink_add_port(link);
    synack_memlink_set_tap(link, rec_tap, r);

    send_id(link, 0, 1, 100);
    assert_int_equal(synack_memlink_next_event(link), 1000 + 5 * MS);
    assert_int_equal(synack_memlink_step(link), 1);
    assert_int_equal(synack_memlink_now(link), 1000 + 5 * MS);
    assert_int_equal(r->e[1].ev, SYNACK_MEMLINK_DELIVERED);
    assert_int_equal(r->e[1].now, 1000 + 5 * MS);

    /* run() stops before an event past until_ns and moves the clock to it. */
    send_id(link, 1, 2, 100);
    assert_int_equal(synack_memlink_run(link, 1000 + 9 * MS, NULL, NULL), 0);
    assert_int_equal(synack_memlink_now(link), 1000 + 9 * MS);
    assert_int_equal(r->n, 3);
    assert_int_equal(synack_memlink_run(link, 1000 + 10 * MS, NULL, NULL), 1);
    assert_int_equal(r->n, 4);
    assert_int_equal(r->e[3].now, 1000 + 10 * MS);
    assert_int_equal(r->e[3].to, 0);
    synack_memlink_del(link);
    rec_free(r);
}

/* 1500-byte frames at 12 Mbit/s take exactly 1 ms each on the wire. */
static void test_bandwidth_serialisation(void **state)
{
    (void)state;
    rec *r = rec_new(64);
    synack_impairments imp = {.rate_bps = 12000000, .delay_ns = 2 * MS};
    synack_memlink *link = new_link(1, &imp, 2, r);
    for (uint32_t i = 0; i < 4; i++)
        send_id(link, 0, i, 1500);
    /* The other direction has its own wire: not delayed by port 0's queue. */
    send_id(link, 1, 100, 1500);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(rec_count(r, SYNACK_MEMLINK_DELIVERED), 5);
    const uint64_t want[] = {3 * MS, 3 * MS, 4 * MS, 5 * MS, 6 * MS};
    const uint32_t ids[] = {0, 100, 1, 2, 3};
    for (size_t i = 0; i < 5; i++) {
        const rec_event *e = rec_nth(r, SYNACK_MEMLINK_DELIVERED, i);
        assert_int_equal(e->now, want[i]);
        assert_int_equal(e->id, ids[i]);
    }

    /* An idle wire starts the next frame at once; a 64-byte frame takes
     * 512 bits / 12e6 = 42666.67 ns, rounded up. */
    r->n = 0;
    synack_memlink_run(link, 100 * MS, NULL, NULL);
    send_id(link, 0, 9, 64);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, 0)->now, 100 * MS + 42667 + 2 * MS);
    synack_memlink_del(link);
    rec_free(r);
}

static void test_queue_limit_drop_tail(void **state)
{
    (void)state;
    rec *r = rec_new(64);
    synack_impairments imp = {.rate_bps = 12000000, .queue_limit = 2};
    synack_memlink *link = new_link(1, &imp, 2, r);
    /* Frame 0 goes on the wire at once; 1 and 2 wait; 3 and 4 are dropped. */
    for (uint32_t i = 0; i < 5; i++)
        send_id(link, 0, i, 1500);
    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->sent, 5);
    assert_int_equal(st->queue_drops, 2);
    assert_int_equal(st->lost, 2);
    const rec_event *l0 = rec_nth(r, SYNACK_MEMLINK_LOST, 0);
    const rec_event *l1 = rec_nth(r, SYNACK_MEMLINK_LOST, 1);
    assert_non_null(l1);
    assert_int_equal(l0->id, 3);
    assert_int_equal(l0->to, -1);
    assert_int_equal(l1->id, 4);

    /* At 1 ms frame 1 has started: one waits, so one more fits, then no more. */
    synack_memlink_run(link, 1 * MS, NULL, NULL);
    send_id(link, 0, 5, 1500);
    send_id(link, 0, 6, 1500);
    assert_int_equal(st->queue_drops, 3);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_LOST, 2)->id, 6);

    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(st->delivered, 4);
    const uint32_t ids[] = {0, 1, 2, 5};
    for (size_t i = 0; i < 4; i++) {
        const rec_event *e = rec_nth(r, SYNACK_MEMLINK_DELIVERED, i);
        assert_int_equal(e->id, ids[i]);
        assert_int_equal(e->now, (i + 1) * MS);
    }
    /* With an empty queue, a burst of queue_limit + 1 fits exactly. */
    for (uint32_t i = 10; i < 13; i++)
        send_id(link, 0, i, 1500);
    assert_int_equal(st->queue_drops, 3);
    synack_memlink_del(link);
    rec_free(r);
}

static void test_blackout_window(void **state)
{
    (void)state;
    rec *r = rec_new(256);
    synack_impairments imp = {
        .delay_ns = 3 * MS, .blackout_start_ns = 10 * MS, .blackout_end_ns = 20 * MS};
    synack_memlink *link = new_link(1, &imp, 2, r);
    for (uint32_t i = 0; i < 30; i++) {
        synack_memlink_run(link, i * MS, NULL, NULL);
        send_id(link, 0, i, 100);
    }
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->sent, 30);
    assert_int_equal(st->lost, 10);
    assert_int_equal(st->blackout_drops, 10);
    assert_int_equal(st->delivered, 20);
    for (size_t i = 0; i < 10; i++) {
        const rec_event *e = rec_nth(r, SYNACK_MEMLINK_LOST, i);
        assert_int_equal(e->id, 10 + i);
        assert_int_equal(e->now, (10 + i) * MS);
        assert_int_equal(e->to, 1);
    }
    for (size_t i = 0; i < 20; i++) {
        const rec_event *e = rec_nth(r, SYNACK_MEMLINK_DELIVERED, i);
        uint32_t id = i < 10 ? (uint32_t)i : (uint32_t)i + 10;
        assert_int_equal(e->id, id);
        assert_int_equal(e->now, id * MS + 3 * MS);
    }
    synack_memlink_del(link);
    rec_free(r);
}

/* Deliveries due at the same time come out in the order they were queued,
 * however the heap is shaped. */
static void test_heap_ties_keep_queue_order(void **state)
{
    (void)state;
    enum { N = 2000 };
    rec *r = rec_new(3 * N);
    synack_impairments imp = {.delay_ns = 1 * MS, .jitter_ns = 3};
    synack_memlink *link = new_link(99, &imp, 2, r);
    for (uint32_t i = 0; i < N; i++)
        send_id(link, 0, i, 40);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(rec_count(r, SYNACK_MEMLINK_DELIVERED), N);
    uint64_t seen_times[4] = {0};
    const rec_event *prev = NULL;
    for (size_t i = 0; i < N; i++) {
        const rec_event *e = rec_nth(r, SYNACK_MEMLINK_DELIVERED, i);
        assert_true(e->now >= 1 * MS && e->now <= 1 * MS + 3);
        seen_times[e->now - 1 * MS]++;
        if (prev) {
            assert_true(e->now >= prev->now);
            if (e->now == prev->now)
                assert_true(e->id > prev->id);
        }
        prev = e;
    }
    /* Jitter is uniform over [0, 3] ns inclusive: every value occurs. */
    for (size_t i = 0; i < 4; i++)
        assert_true(seen_times[i] > N / 8);

    /* Ties across ports: port 0's frame (10 ms delay, sent at 0) and port 1's
     * (5 ms delay, sent at 5 ms) are both due at 10 ms; the earlier-queued first. */
    r->n = 0;
    synack_memlink_config cfg;
    synack_memlink_config_default(&cfg);
    synack_memlink *l2;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &l2), 0);
    synack_memlink_add_port(l2);
    synack_memlink_add_port(l2);
    synack_memlink_add_port(l2);
    synack_impairments d10 = {.delay_ns = 10 * MS}, d5 = {.delay_ns = 5 * MS};
    assert_int_equal(synack_memlink_set_impairments(l2, 0, &d10), 0);
    assert_int_equal(synack_memlink_set_impairments(l2, 1, &d5), 0);
    synack_memlink_set_tap(l2, rec_tap, r);
    send_id(l2, 0, 1, 40);
    synack_memlink_run(l2, 5 * MS, NULL, NULL);
    send_id(l2, 1, 2, 40);
    assert_int_equal(synack_memlink_step(l2), 1);
    assert_int_equal(synack_memlink_now(l2), 10 * MS);
    /* One step delivered all four (1 -> ports 1 and 2, then 2 -> ports 0 and 2). */
    assert_int_equal(rec_count(r, SYNACK_MEMLINK_DELIVERED), 4);
    const int want_id[] = {1, 1, 2, 2}, want_to[] = {1, 2, 0, 2};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, i)->id, want_id[i]);
        assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, i)->to, want_to[i]);
    }
    synack_memlink_del(l2);
    synack_memlink_del(link);
    rec_free(r);
}

/* ---- rates and determinism over many frames ----------------------------- */

typedef struct run_result {
    synack_memlink_stats st;
    uint64_t hash;
    size_t out_of_order;  /* deliveries with an id below the previous one */
    size_t one_bit_diffs; /* delivered frames differing from the original in exactly one bit */
    size_t other_diffs;   /* ... in some other number of bits (must be 0) */
} run_result;

static int popcount8(uint8_t v)
{
    int n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

enum { RATE_N = 10000, RATE_LEN = 60 };

static run_result run_impaired(uint64_t seed)
{
    rec *r = rec_new(4 * RATE_N);
    synack_impairments imp = {
        .loss = 0.10,
        .corrupt = 0.05,
        .duplicate = 0.04,
        .reorder = 0.03,
        .delay_ns = 2 * MS,
        .jitter_ns = 100000,
        .reorder_ns = 5 * MS,
    };
    synack_memlink *link = new_link(seed, &imp, 2, r);
    for (uint32_t i = 0; i < RATE_N; i++) {
        synack_memlink_run(link, (uint64_t)i * 100000, NULL, NULL); /* one per 0.1 ms */
        send_id(link, 0, i, RATE_LEN);
    }
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);

    run_result res;
    memset(&res, 0, sizeof(res));
    res.st = *synack_memlink_stats_get(link);
    res.hash = r->hash;
    uint8_t orig[RATE_LEN];
    uint32_t prev = 0;
    for (size_t i = 0; i < r->n; i++) {
        const rec_event *e = &r->e[i];
        if (e->ev != SYNACK_MEMLINK_DELIVERED)
            continue;
        int bits = RATE_LEN * 8;
        for (int copy = 0; copy < 2; copy++) {
            make_frame(orig, RATE_LEN, get_id(e->bytes + 4 * copy, 4));
            int b = 0;
            for (size_t j = 0; j < RATE_LEN; j++)
                b += popcount8(orig[j] ^ e->bytes[j]);
            if (b < bits)
                bits = b;
        }
        if (bits == 1)
            res.one_bit_diffs++;
        else if (bits != 0)
            res.other_diffs++;
        if (e->id < prev)
            res.out_of_order++;
        prev = e->id;
    }
    synack_memlink_del(link);
    rec_free(r);
    return res;
}

static void assert_near(uint64_t got, double want, double rel)
{
    if ((double)got < want * (1 - rel) || (double)got > want * (1 + rel))
        fail_msg("got %llu, want %.0f +- %.0f%%", (unsigned long long)got, want, rel * 100);
}

static void test_impairment_rates(void **state)
{
    (void)state;
    run_result a = run_impaired(12345);
    assert_int_equal(a.st.sent, RATE_N);
    /* Every delivery is accounted for: kept + duplicated = delivered. */
    assert_int_equal(a.st.delivered, a.st.sent - a.st.lost + a.st.duplicated);
    assert_int_equal(a.st.queue_drops, 0);
    assert_int_equal(a.st.blackout_drops, 0);
    /* Binomial counts: the tolerance is over 4 standard deviations. */
    assert_near(a.st.lost, RATE_N * 0.10, 0.15);
    double kept = RATE_N * 0.90;
    assert_near(a.st.corrupted, kept * 0.05, 0.25);
    assert_near(a.st.duplicated, kept * 0.04, 0.25);
    assert_near(a.st.reordered, kept * 0.03, 0.25);
    /* A corrupted frame differs in exactly one bit; so does its duplicate. */
    assert_int_equal(a.other_diffs, 0);
    assert_true(a.one_bit_diffs >= a.st.corrupted);
    assert_true(a.one_bit_diffs <= 2 * a.st.corrupted);
    /* A frame held back 5 ms is overtaken by the ~50 sent after it. */
    assert_true(a.out_of_order >= a.st.reordered / 2);
    assert_true(a.out_of_order <= a.st.reordered + a.st.corrupted);
}

static void test_same_seed_same_run(void **state)
{
    (void)state;
    run_result a = run_impaired(777), b = run_impaired(777), c = run_impaired(778);
    assert_memory_equal(&a.st, &b.st, sizeof(a.st));
    assert_int_equal(a.hash, b.hash);
    assert_int_equal(a.out_of_order, b.out_of_order);
    assert_true(c.hash != a.hash);
    assert_true(memcmp(&a.st, &c.st, sizeof(a.st)) != 0);
}

static void test_reorder_default_hold(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    /* reorder_ns 0 means 2 * delay + 1 ms. */
    synack_impairments imp = {.reorder = 1.0, .delay_ns = 4 * MS};
    synack_memlink *link = new_link(1, &imp, 2, r);
    send_id(link, 0, 1, 50);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_DELIVERED, 0)->now, 4 * MS + 9 * MS);
    assert_int_equal(synack_memlink_stats_get(link)->reordered, 1);
    synack_memlink_del(link);
    rec_free(r);
}

static void test_duplicate_and_corrupt_always(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    synack_impairments imp = {.duplicate = 1.0, .corrupt = 1.0, .delay_ns = 1 * MS};
    synack_memlink *link = new_link(5, &imp, 2, r);
    send_id(link, 0, 0x01020304, 200);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->delivered, 2);
    assert_int_equal(st->duplicated, 1);
    assert_int_equal(st->corrupted, 1);
    const rec_event *d0 = rec_nth(r, SYNACK_MEMLINK_DELIVERED, 0);
    const rec_event *d1 = rec_nth(r, SYNACK_MEMLINK_DELIVERED, 1);
    assert_int_equal(d0->now, 1 * MS);
    assert_int_equal(d1->now, 1 * MS);
    assert_memory_equal(d0->bytes, d1->bytes, sizeof(d0->bytes));
    synack_memlink_del(link);
    rec_free(r);
}

static void test_loss_always(void **state)
{
    (void)state;
    rec *r = rec_new(16);
    synack_impairments imp = {.loss = 1.0};
    synack_memlink *link = new_link(5, &imp, 3, r);
    send_id(link, 2, 1, 50);
    assert_int_equal(synack_memlink_next_event(link), UINT64_MAX);
    const synack_memlink_stats *st = synack_memlink_stats_get(link);
    assert_int_equal(st->lost, 2);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_LOST, 0)->to, 0);
    assert_int_equal(rec_nth(r, SYNACK_MEMLINK_LOST, 1)->to, 1);
    synack_memlink_del(link);
    rec_free(r);
}

/* ---- memory ------------------------------------------------------------- */

static bool stop_at(void *ud)
{
    return --*(int *)ud <= 0;
}

static void test_no_allocation_in_steady_state(void **state)
{
    (void)state;
    failalloc fa;
    failalloc_init(&fa, 0);
    synack_memlink_config cfg;
    synack_memlink_config_default(&cfg);
    cfg.impairments.delay_ns = 1 * MS;
    cfg.impairments.duplicate = 0.5;
    synack_memlink *link;
    assert_int_equal(synack_memlink_new(&cfg, &fa.mem, &link), 0);
    synack_memlink_add_port(link);
    synack_memlink_add_port(link);
    for (uint32_t i = 0; i < 20; i++)
        send_id(link, 0, i, 1500);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    long warm = fa.count;
    for (uint32_t i = 0; i < 10000; i++) {
        synack_memlink_run(link, synack_memlink_now(link) + 100000, NULL, NULL);
        send_id(link, 0, i, 1500);
        send_id(link, 1, i, 1500);
    }
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    assert_int_equal(fa.count, warm);

    /* run() stops when done() says so. */
    send_id(link, 0, 1, 100);
    synack_memlink_run(link, synack_memlink_now(link) + MS / 2, NULL, NULL);
    send_id(link, 0, 2, 100);
    int left = 1;
    assert_int_equal(synack_memlink_run(link, UINT64_MAX, stop_at, &left), 1);
    assert_true(synack_memlink_next_event(link) != UINT64_MAX);
    synack_memlink_del(link);
    assert_int_equal(fa.live, 0);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    /* Fail each allocation in turn: creation, ports with a queue ring, the
     * first buffers and the heap. Nothing leaks and a failed send changes nothing. */
    for (long n = 1; n < 20; n++) {
        failalloc fa;
        failalloc_init(&fa, n);
        synack_memlink_config cfg;
        synack_memlink_config_default(&cfg);
        cfg.impairments.rate_bps = 1000000;
        cfg.impairments.queue_limit = 4;
        synack_memlink *link = NULL;
        int rv = synack_memlink_new(&cfg, &fa.mem, &link);
        if (rv == 0) {
            int p0 = synack_memlink_add_port(link);
            int p1 = synack_memlink_add_port(link);
            if (p0 >= 0 && p1 >= 0) {
                uint8_t f[100] = {0};
                rv = synack_memlink_send(link, p0, f, sizeof(f));
                if (rv < 0) {
                    assert_int_equal(rv, SYNACK_ERR_NOMEM);
                    assert_int_equal(synack_memlink_stats_get(link)->sent, 0);
                    assert_int_equal(synack_memlink_next_event(link), UINT64_MAX);
                } else {
                    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
                    assert_int_equal(synack_memlink_stats_get(link)->delivered, 1);
                }
            } else {
                assert_int_equal(p0 < 0 ? p0 : p1, SYNACK_ERR_NOMEM);
            }
        } else {
            assert_int_equal(rv, SYNACK_ERR_NOMEM);
            assert_null(link);
        }
        synack_memlink_del(link);
        assert_int_equal(fa.live, 0);
        if (!fa.failed)
            break;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_zero_delay_waits_for_a_step),
        cmocka_unit_test(test_hub_delivers_to_every_other_port),
        cmocka_unit_test(test_delay_exact),
        cmocka_unit_test(test_bandwidth_serialisation),
        cmocka_unit_test(test_queue_limit_drop_tail),
        cmocka_unit_test(test_blackout_window),
        cmocka_unit_test(test_heap_ties_keep_queue_order),
        cmocka_unit_test(test_impairment_rates),
        cmocka_unit_test(test_same_seed_same_run),
        cmocka_unit_test(test_reorder_default_hold),
        cmocka_unit_test(test_duplicate_and_corrupt_always),
        cmocka_unit_test(test_loss_always),
        cmocka_unit_test(test_no_allocation_in_steady_state),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
