/* The ARP cache as a data structure: hashing, removal, LRU and victims. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "failalloc.h"
#include "net/arp_cache.h"

static void no_timer(sk_timer *t, uint64_t now)
{
    (void)t;
    (void)now;
}

static sk_ctx make_ctx(const synack_mem *mem)
{
    sk_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.mem = *mem;
    return ctx;
}

static void test_init_rejects_bad_sizes(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 0, 0, no_timer, NULL), SYNACK_ERR_INVAL);
    assert_int_equal(sk_arp_cache_init(&c, &ctx, SK_ARP_CACHE_MAX + 1, 0, no_timer, NULL),
                     SYNACK_ERR_INVAL);
}

static void test_init_failures_free_everything(void **state)
{
    (void)state;
    for (long n = 1; n <= 2; n++) {
        failalloc fa;
        failalloc_init(&fa, n);
        sk_ctx ctx = make_ctx(&fa.mem);
        sk_arp_cache c;
        assert_int_equal(sk_arp_cache_init(&c, &ctx, 8, 0, no_timer, NULL), SYNACK_ERR_NOMEM);
        assert_true(fa.failed);
        assert_int_equal(fa.live, 0);
    }
}

static void test_add_find_remove(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 4, 0x1234, no_timer, &c), 0);
    assert_null(sk_arp_cache_find(&c, 0x0a000002));
    sk_arp_entry *a = sk_arp_cache_add(&c, 0x0a000002);
    sk_arp_entry *b = sk_arp_cache_add(&c, 0x0a000003);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->state, SK_ARP_INCOMPLETE);
    assert_ptr_equal(a->cache, &c);
    assert_ptr_equal(c.owner, &c);
    assert_ptr_equal(sk_arp_cache_find(&c, 0x0a000002), a);
    assert_ptr_equal(sk_arp_cache_find(&c, 0x0a000003), b);
    assert_int_equal(c.used, 2);
    sk_arp_cache_remove(&c, a);
    assert_null(sk_arp_cache_find(&c, 0x0a000002));
    assert_ptr_equal(sk_arp_cache_find(&c, 0x0a000003), b);
    assert_int_equal(c.used, 1);
    sk_arp_cache_free(&c, &ctx);
}

static void test_full_cache_refuses_add(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 3, 7, no_timer, NULL), 0);
    for (uint32_t i = 0; i < 3; i++)
        assert_non_null(sk_arp_cache_add(&c, 0x0a000010 + i));
    assert_null(sk_arp_cache_add(&c, 0x0a000020));
    sk_arp_cache_remove(&c, sk_arp_cache_find(&c, 0x0a000011));
    assert_non_null(sk_arp_cache_add(&c, 0x0a000020));
    sk_arp_cache_free(&c, &ctx);
}

/* Random adds and removes against a plain array: backward-shift deletion must
 * keep every remaining address findable, whatever the collisions. */
static void test_random_operations_match_model(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    enum { N = 32, SPACE = 96 };
    assert_int_equal(sk_arp_cache_init(&c, &ctx, N, 0xdeadbeef, no_timer, NULL), 0);
    bool present[SPACE] = {0};
    unsigned npresent = 0;
    uint32_t x = 12345;
    for (int step = 0; step < 20000; step++) {
        x = x * 1103515245u + 12345u;
        unsigned k = (x >> 16) % SPACE;
        /* Addresses close together and far apart: both kinds of collision. */
        synack_ipv4 ip = (k & 1) ? 0x0a000000u + k : 0xc0a80000u + (k << 8);
        sk_arp_entry *e = sk_arp_cache_find(&c, ip);
        assert_int_equal(e != NULL, present[k]);
        if (present[k]) {
            sk_arp_cache_remove(&c, e);
            present[k] = false;
            npresent--;
        } else if (npresent < N) {
            e = sk_arp_cache_add(&c, ip);
            assert_non_null(e);
            assert_int_equal(e->ip, ip);
            present[k] = true;
            npresent++;
        }
        assert_int_equal(c.used, npresent);
    }
    for (unsigned k = 0; k < SPACE; k++) {
        synack_ipv4 ip = (k & 1) ? 0x0a000000u + k : 0xc0a80000u + (k << 8);
        assert_int_equal(sk_arp_cache_find(&c, ip) != NULL, present[k]);
    }
    sk_arp_cache_free(&c, &ctx);
}

static void test_victim_is_least_recently_used_resolved(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 3, 0, no_timer, NULL), 0);
    sk_arp_entry *a = sk_arp_cache_add(&c, 1);
    sk_arp_entry *b = sk_arp_cache_add(&c, 2);
    sk_arp_entry *d = sk_arp_cache_add(&c, 3);
    a->state = b->state = d->state = SK_ARP_RESOLVED;
    assert_ptr_equal(sk_arp_cache_victim(&c), a);
    sk_arp_cache_touch(&c, a);
    assert_ptr_equal(sk_arp_cache_victim(&c), b);
    sk_arp_cache_touch(&c, b);
    assert_ptr_equal(sk_arp_cache_victim(&c), d);
    sk_arp_cache_free(&c, &ctx);
}

static void test_victim_spares_entries_with_queued_datagrams(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 3, 0, no_timer, NULL), 0);
    sk_arp_qbuf q = {0};
    sk_arp_entry *pending = sk_arp_cache_add(&c, 1); /* oldest, with a datagram */
    pending->qhead = pending->qtail = &q;
    pending->qlen = 1;
    sk_arp_entry *idle = sk_arp_cache_add(&c, 2); /* incomplete, nothing queued */
    sk_arp_entry *resolved = sk_arp_cache_add(&c, 3);
    resolved->state = SK_ARP_RESOLVED;
    /* A resolved entry goes first even when it is the most recently used. */
    assert_ptr_equal(sk_arp_cache_victim(&c), resolved);
    resolved->state = SK_ARP_INCOMPLETE;
    resolved->qhead = resolved->qtail = &q;
    resolved->qlen = 1;
    assert_ptr_equal(sk_arp_cache_victim(&c), idle);
    idle->qhead = idle->qtail = &q;
    idle->qlen = 1;
    assert_null(sk_arp_cache_victim(&c));
    for (int i = 0; i < 3; i++) {
        c.entries[i].qhead = c.entries[i].qtail = NULL;
        c.entries[i].qlen = 0;
    }
    sk_arp_cache_free(&c, &ctx);
}

static void test_removed_entries_are_reused(void **state)
{
    (void)state;
    sk_ctx ctx = make_ctx(synack_mem_default());
    sk_arp_cache c;
    assert_int_equal(sk_arp_cache_init(&c, &ctx, 2, 0, no_timer, NULL), 0);
    for (uint32_t round = 0; round < 100; round++) {
        sk_arp_entry *e = sk_arp_cache_add(&c, 100 + round);
        assert_non_null(e);
        assert_int_equal(c.used, 1);
        assert_ptr_equal(sk_arp_cache_victim(&c), e); /* incomplete, empty queue */
        sk_arp_cache_remove(&c, e);
        assert_null(sk_arp_cache_victim(&c));
    }
    sk_arp_cache_free(&c, &ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_rejects_bad_sizes),
        cmocka_unit_test(test_init_failures_free_everything),
        cmocka_unit_test(test_add_find_remove),
        cmocka_unit_test(test_full_cache_refuses_add),
        cmocka_unit_test(test_random_operations_match_model),
        cmocka_unit_test(test_victim_is_least_recently_used_resolved),
        cmocka_unit_test(test_victim_spares_entries_with_queued_datagrams),
        cmocka_unit_test(test_removed_entries_are_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
