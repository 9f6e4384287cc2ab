/* Range sets on the sequence circle: fixed cases across 2^32, and seeded
 * random operations checked after every step against a bitmap model of a
 * window that straddles the wraparound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/prng.h"
#include "synack/error.h"
#include "tcp/rangeset.h"

static void expect_ranges(const sk_rangeset *s, const uint32_t *edges, uint16_t n)
{
    assert_int_equal(sk_rangeset_count(s), n);
    for (uint16_t i = 0; i < n; i++) {
        assert_int_equal(sk_rangeset_at(s, i)->left, edges[2 * i]);
        assert_int_equal(sk_rangeset_at(s, i)->right, edges[2 * i + 1]);
    }
}

static void test_merge_overlap_and_adjacency(void **state)
{
    (void)state;
    sk_range st[8];
    sk_rangeset s;
    sk_rangeset_init(&s, st, 8);
    assert_null(sk_rangeset_first(&s));
    assert_null(sk_rangeset_last(&s));
    assert_int_equal(sk_rangeset_add(&s, 100, 200), 0);
    assert_int_equal(sk_rangeset_add(&s, 300, 400), 1);
    assert_int_equal(sk_rangeset_add(&s, 10, 20), 0);
    expect_ranges(&s, (const uint32_t[]){10, 20, 100, 200, 300, 400}, 3);
    /* Touching on the right edge merges ([100,200) + [200,250)). */
    assert_int_equal(sk_rangeset_add(&s, 200, 250), 1);
    /* Touching on the left edge merges. */
    assert_int_equal(sk_rangeset_add(&s, 290, 300), 2);
    expect_ranges(&s, (const uint32_t[]){10, 20, 100, 250, 290, 400}, 3);
    /* One range swallowing two and bridging the gap between them. */
    assert_int_equal(sk_rangeset_add(&s, 150, 295), 1);
    expect_ranges(&s, (const uint32_t[]){10, 20, 100, 400}, 2);
    /* Fully inside: nothing changes. */
    assert_int_equal(sk_rangeset_add(&s, 120, 130), 1);
    expect_ranges(&s, (const uint32_t[]){10, 20, 100, 400}, 2);
    /* Covering everything. */
    assert_int_equal(sk_rangeset_add(&s, 5, 500), 0);
    expect_ranges(&s, (const uint32_t[]){5, 500}, 1);
    assert_int_equal(sk_rangeset_bytes(&s), 495);
}

static void test_wraparound(void **state)
{
    (void)state;
    sk_range st[4];
    sk_rangeset s;
    sk_rangeset_init(&s, st, 4);
    /* A range across 2^32 sorts after one just below it and before one
     * just above 0. */
    assert_int_equal(sk_rangeset_add(&s, 0x10, 0x20), 0);
    assert_int_equal(sk_rangeset_add(&s, 0xfffffff0u, 0x4), 0);
    assert_int_equal(sk_rangeset_add(&s, 0xffffff00u, 0xffffff10u), 0);
    expect_ranges(&s, (const uint32_t[]){0xffffff00u, 0xffffff10u, 0xfffffff0u, 0x4, 0x10, 0x20},
                  3);
    assert_true(sk_rangeset_contains(&s, 0xffffffffu));
    assert_true(sk_rangeset_contains(&s, 0));
    assert_true(sk_rangeset_contains(&s, 3));
    assert_false(sk_rangeset_contains(&s, 4));
    assert_int_equal(sk_rangeset_find(&s, 0x1f), 2);
    assert_int_equal(sk_rangeset_find(&s, 0xffffff10u), -1);
    assert_int_equal(sk_rangeset_covered(&s, 0xfffffffeu, 0x12), 2 + 4 + 2);
    assert_int_equal(sk_rangeset_bytes(&s), 0x10 + 0x14 + 0x10);
    /* Bridging across zero. */
    assert_int_equal(sk_rangeset_add(&s, 0x0, 0x10), 1);
    expect_ranges(&s, (const uint32_t[]){0xffffff00u, 0xffffff10u, 0xfffffff0u, 0x20}, 2);
    /* Remove below a number past zero: the range across zero is trimmed. */
    sk_rangeset_remove_below(&s, 0x8);
    expect_ranges(&s, (const uint32_t[]){0x8, 0x20}, 1);
    sk_rangeset_remove_below(&s, 0x20);
    assert_true(sk_rangeset_empty(&s));
}

static void test_invalid_and_limit(void **state)
{
    (void)state;
    sk_range st[2];
    sk_rangeset s;
    sk_rangeset_init(&s, st, 2);
    assert_int_equal(sk_rangeset_add(&s, 5, 5), SYNACK_ERR_INVAL);
    assert_int_equal(sk_rangeset_add(&s, 6, 5), SYNACK_ERR_INVAL);
    /* 2^31 long cannot be ordered. */
    assert_int_equal(sk_rangeset_add(&s, 0, 0x80000000u), SYNACK_ERR_INVAL);
    assert_int_equal(sk_rangeset_add(&s, 0, 0x7fffffffu), 0);
    sk_rangeset_clear(&s);
    assert_int_equal(sk_rangeset_add(&s, 10, 20), 0);
    assert_int_equal(sk_rangeset_add(&s, 30, 40), 1);
    assert_true(sk_rangeset_full(&s));
    /* A third disjoint range does not fit: reported, nothing changed. */
    assert_int_equal(sk_rangeset_add(&s, 50, 60), SYNACK_ERR_LIMIT);
    assert_int_equal(sk_rangeset_add(&s, 0, 5), SYNACK_ERR_LIMIT);
    assert_int_equal(sk_rangeset_add(&s, 22, 28), SYNACK_ERR_LIMIT);
    expect_ranges(&s, (const uint32_t[]){10, 20, 30, 40}, 2);
    /* But merging still works when full, and frees a slot. */
    assert_int_equal(sk_rangeset_add(&s, 40, 45), 1);
    assert_int_equal(sk_rangeset_add(&s, 20, 30), 0);
    expect_ranges(&s, (const uint32_t[]){10, 45}, 1);
    assert_int_equal(sk_rangeset_add(&s, 50, 60), 1);
    /* A set without storage holds nothing. */
    sk_rangeset z;
    sk_rangeset_init(&z, NULL, 0);
    assert_int_equal(sk_rangeset_add(&z, 1, 2), SYNACK_ERR_LIMIT);
    sk_rangeset_remove_below(&z, 7);
    assert_int_equal(sk_rangeset_find(&z, 1), -1);
    assert_int_equal(sk_rangeset_covered(&z, 0, 10), 0);
}

static void test_remove_below(void **state)
{
    (void)state;
    sk_range st[4];
    sk_rangeset s;
    sk_rangeset_init(&s, st, 4);
    sk_rangeset_add(&s, 10, 20);
    sk_rangeset_add(&s, 30, 40);
    sk_rangeset_add(&s, 50, 60);
    sk_rangeset_remove_below(&s, 5); /* nothing below */
    expect_ranges(&s, (const uint32_t[]){10, 20, 30, 40, 50, 60}, 3);
    sk_rangeset_remove_below(&s, 20); /* exactly the right edge */
    expect_ranges(&s, (const uint32_t[]){30, 40, 50, 60}, 2);
    sk_rangeset_remove_below(&s, 35); /* straddling */
    expect_ranges(&s, (const uint32_t[]){35, 40, 50, 60}, 2);
    sk_rangeset_remove_below(&s, 45); /* in a gap */
    expect_ranges(&s, (const uint32_t[]){50, 60}, 1);
    sk_rangeset_remove_below(&s, 1000);
    assert_true(sk_rangeset_empty(&s));
}

/* ---- randomized comparison with a bitmap ------------------------------------ */

#define W      2048u                  /* window of the model */
#define BASE   (0u - W / 2u)          /* the window straddles 2^32 */
#define SEQ(p) (BASE + (uint32_t)(p)) /* position in the window -> sequence number */

typedef struct model {
    uint8_t bit[W];
} model;

/* Number of maximal runs of set bits. */
static unsigned model_runs(const model *m)
{
    unsigned runs = 0;
    for (unsigned p = 0; p < W; p++)
        if (m->bit[p] && (p == 0 || !m->bit[p - 1]))
            runs++;
    return runs;
}

/* The set must be exactly the runs of the model, in order. */
static void check_equal(const sk_rangeset *s, const model *m)
{
    uint16_t i = 0;
    unsigned p = 0;
    while (p < W) {
        if (!m->bit[p]) {
            p++;
            continue;
        }
        unsigned q = p;
        while (q < W && m->bit[q])
            q++;
        assert_true(i < sk_rangeset_count(s));
        assert_int_equal(sk_rangeset_at(s, i)->left, SEQ(p));
        assert_int_equal(sk_rangeset_at(s, i)->right, SEQ(q));
        i++;
        p = q;
    }
    assert_int_equal(i, sk_rangeset_count(s));
}

static unsigned model_count(const model *m, unsigned lo, unsigned hi)
{
    unsigned c = 0;
    for (unsigned p = lo; p < hi; p++)
        c += m->bit[p];
    return c;
}

static void random_run(uint64_t seed, uint16_t cap, unsigned ops)
{
    sk_range st[64];
    sk_rangeset s;
    model m;
    sk_prng rng;
    sk_prng_seed(&rng, seed);
    sk_rangeset_init(&s, st, cap);
    memset(&m, 0, sizeof m);
    unsigned limits = 0, merges = 0;

    for (unsigned op = 0; op < ops; op++) {
        unsigned kind = (unsigned)sk_prng_below(&rng, 100);
        if (kind < 70) {
            unsigned l = (unsigned)sk_prng_below(&rng, W);
            unsigned maxlen = W - l;
            unsigned len = 1 + (unsigned)sk_prng_below(&rng, sk_prng_chance(&rng, 0.1)
                                                                 ? maxlen
                                                                 : (maxlen < 24 ? maxlen : 24));
            model next = m;
            for (unsigned p = l; p < l + len; p++)
                next.bit[p] = 1;
            int rc = sk_rangeset_add(&s, SEQ(l), SEQ(l + len));
            if (model_runs(&next) > cap) {
                assert_int_equal(rc, SYNACK_ERR_LIMIT);
                limits++;
            } else {
                assert_true(rc >= 0);
                /* The returned range holds what was added. */
                assert_true(sk_rangeset_find(&s, SEQ(l)) == rc);
                assert_true(sk_rangeset_find(&s, SEQ(l + len - 1)) == rc);
                if (model_runs(&next) < model_runs(&m) + 1)
                    merges++;
                m = next;
            }
        } else if (kind < 75) {
            unsigned x = (unsigned)sk_prng_below(&rng, W + 1);
            sk_rangeset_remove_below(&s, SEQ(x));
            memset(m.bit, 0, x);
        } else if (kind < 76) {
            sk_rangeset_clear(&s);
            memset(&m, 0, sizeof m);
        } else if (kind < 90) {
            unsigned p = (unsigned)sk_prng_below(&rng, W);
            assert_int_equal(sk_rangeset_contains(&s, SEQ(p)), m.bit[p] != 0);
            int f = sk_rangeset_find(&s, SEQ(p));
            if (f >= 0) {
                const sk_range *r = sk_rangeset_at(&s, (uint16_t)f);
                assert_true(SEQ(p) - r->left < r->right - r->left);
            }
        } else {
            unsigned lo = (unsigned)sk_prng_below(&rng, W);
            unsigned hi = lo + (unsigned)sk_prng_below(&rng, W - lo + 1);
            assert_int_equal(sk_rangeset_covered(&s, SEQ(lo), SEQ(hi)), model_count(&m, lo, hi));
        }
        check_equal(&s, &m);
        assert_int_equal(sk_rangeset_bytes(&s), model_count(&m, 0, W));
        assert_true(sk_rangeset_count(&s) <= cap);
    }
    /* The run must have exercised both the limit and merging. */
    if (cap < 16) {
        assert_true(limits > 0);
    }
    assert_true(merges > 0);
}

static void test_random_against_bitmap(void **state)
{
    (void)state;
    static const uint16_t caps[] = {1, 2, 3, 4, 8, 16, 64};
    unsigned total = 0;
    for (uint64_t seed = 1; seed <= 40; seed++) {
        for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
            random_run(seed * 7919u + c, caps[c], 400);
            total += 400;
        }
    }
    assert_int_equal(total, 40u * 7u * 400u); /* 112000 seeded operations */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_overlap_and_adjacency), cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_invalid_and_limit),           cmocka_unit_test(test_remove_below),
        cmocka_unit_test(test_random_against_bitmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
