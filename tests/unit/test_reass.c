/* Receive-side reassembly (src/tcp/reass.c) and the ring additions it uses
 * (sk_buf_write_at / commit / consume_keep): every arrival order of sets
 * of overlapping, duplicate and gap-spanning segments rebuilds the stream;
 * bounds (ranges, ring space, FIN) hold; SACK blocks come in RFC 2018 4
 * order; D-SACK per RFC 2883 4. Streams start just below 2^32 so that
 * every case crosses the wraparound. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prng.h"
#include "synack/error.h"
#include "tcp/reass.h"

/* ---- the byte ring additions ------------------------------------------------ */

static void test_buf_write_at_commit(void **state)
{
    (void)state;
    uint8_t store[8];
    sk_buf b;
    sk_buf_init(&b, sizeof store);
    b.data = store;
    uint8_t out[8];
    /* Out of order first: "cd" two bytes past the (empty) in-order data. */
    assert_int_equal(sk_buf_write_at(&b, 2, (const uint8_t *)"cd", 2), 2);
    assert_int_equal(b.len, 0);
    assert_int_equal(sk_buf_write(&b, (const uint8_t *)"ab", 2), 2);
    sk_buf_commit(&b, 2);
    assert_int_equal(b.len, 4);
    assert_int_equal(sk_buf_read_keep(&b, out, 3), 3);
    assert_memory_equal(out, "abc", 3);
    /* Past the capacity is left out: space is 7, off 5 leaves 2. */
    assert_int_equal(sk_buf_write_at(&b, 5, (const uint8_t *)"xyz", 3), 2);
    assert_int_equal(sk_buf_write_at(&b, 7, (const uint8_t *)"x", 1), 0);
    assert_int_equal(sk_buf_write_at(&b, 0, (const uint8_t *)"", 0), 0);
    /* head is 3, len 1: offset 5 past the data is ring index 1 (wrapped). */
    assert_int_equal(store[1], 'x');
    assert_int_equal(store[2], 'y');
}

/* sk_buf_consume rewinds an emptied ring, which would move bytes held past
 * len; consume_keep must not. */
static void test_buf_consume_keep_holds_place(void **state)
{
    (void)state;
    uint8_t store[16];
    sk_buf b;
    sk_buf_init(&b, sizeof store);
    b.data = store;
    uint8_t out[16];
    sk_buf_write(&b, (const uint8_t *)"0123456789", 10);
    assert_int_equal(sk_buf_write_at(&b, 3, (const uint8_t *)"QRS", 3), 3); /* at 13..15 */
    assert_int_equal(sk_buf_read_keep(&b, out, 10), 10);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.head, 10);
    /* The gap (3 bytes) arrives; everything reads back in order across the
     * end of the ring. */
    assert_int_equal(sk_buf_write_at(&b, 0, (const uint8_t *)"NOP", 3), 3);
    sk_buf_commit(&b, 6);
    assert_int_equal(sk_buf_read_keep(&b, out, 16), 6);
    assert_memory_equal(out, "NOPQRS", 6);
    assert_int_equal(b.head, 0); /* (10 + 6) mod 16, by arithmetic, not rewinding */
    /* The hazard: with sk_buf_consume the held bytes would be read at the
     * wrong place. */
    sk_buf_write(&b, (const uint8_t *)"ab", 2);
    sk_buf_write_at(&b, 1, (const uint8_t *)"d", 1); /* ring index 3 */
    sk_buf_consume(&b, 2);                           /* rewinds head to 0 */
    sk_buf_write_at(&b, 0, (const uint8_t *)"c", 1);
    sk_buf_commit(&b, 2);
    sk_buf_peek(&b, 0, out, 2);
    assert_memory_not_equal(out, "cd", 2);
}

/* ---- a receiver under test ------------------------------------------------- */

#define STREAM_MAX 65536

static uint8_t orig_byte(uint32_t i)
{
    return (uint8_t)(i * 7u + 3u + (i >> 8));
}

typedef struct seg {
    uint32_t off, len;
    bool fin;
} seg;

typedef struct rx {
    sk_buf buf;
    uint8_t *store;
    sk_reass *r;
    uint32_t isn, rcv_nxt;
    uint8_t *out;
    uint32_t nout;
    unsigned fins;
    uint64_t in_order, stored, dup, dropped;
} rx;

static void rx_open(rx *x, uint32_t isn, uint32_t ring, uint16_t ranges)
{
    memset(x, 0, sizeof *x);
    sk_buf_init(&x->buf, ring);
    x->store = malloc(ring);
    x->buf.data = x->store;
    x->r = malloc(sk_reass_size(ranges));
    sk_reass_init(x->r, ranges);
    x->isn = x->rcv_nxt = isn;
    x->out = malloc(STREAM_MAX);
}

static void rx_close(rx *x)
{
    free(x->store);
    free(x->r);
    free(x->out);
}

static void rx_read(rx *x, uint32_t n)
{
    x->nout += sk_buf_read_keep(&x->buf, x->out + x->nout, n);
}

/* Out-of-order ranges stay above RCV.NXT, inside the ring's free space,
 * within their bound. */
static void rx_check_invariants(const rx *x)
{
    const sk_rangeset *s = &x->r->ooo;
    assert_true(sk_rangeset_count(s) <= s->cap);
    for (uint16_t i = 0; i < sk_rangeset_count(s); i++) {
        const sk_range *g = sk_rangeset_at(s, i);
        assert_true(g->left - x->rcv_nxt > 0);
        assert_true(g->right - x->rcv_nxt <= sk_buf_space(&x->buf));
    }
    assert_true(sk_reass_ooo_bytes(x->r) <= sk_buf_space(&x->buf));
}

/* Delivers bytes [off, off+len) of the stream, each byte XORed with mark. */
static int rx_deliver(rx *x, uint32_t off, uint32_t len, bool fin, uint8_t mark,
                      sk_reass_result *res)
{
    uint8_t data[STREAM_MAX];
    for (uint32_t i = 0; i < len; i++)
        data[i] = orig_byte(off + i) ^ mark;
    int rc = sk_reass_add(x->r, &x->buf, x->rcv_nxt, x->isn + off, data, len, fin, res);
    assert_int_equal(rc >= 0 ? (uint32_t)rc : 0, res->in_order);
    x->rcv_nxt += res->in_order;
    if (res->fin) {
        x->rcv_nxt++;
        x->fins++;
    }
    x->in_order += res->in_order;
    x->stored += res->stored;
    x->dup += res->dup;
    x->dropped += res->dropped;
    rx_check_invariants(x);
    return rc;
}

static bool next_permutation(unsigned *a, unsigned n)
{
    if (n < 2)
        return false;
    unsigned i = n - 1;
    while (i > 0 && a[i - 1] >= a[i])
        i--;
    if (i == 0)
        return false;
    unsigned j = n - 1;
    while (a[j] <= a[i - 1])
        j--;
    unsigned t = a[i - 1];
    a[i - 1] = a[j];
    a[j] = t;
    for (unsigned l = i, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
    return true;
}

/* Every arrival order of @p segs rebuilds the stream [0, total) plus FIN.
 * With marked payloads each segment carries different bytes, and the
 * stream must hold the first copy of every byte to arrive. */
static unsigned run_all_orders(const seg *segs, unsigned n, uint32_t total, uint32_t isn,
                               uint32_t ring, bool read_each, bool marked)
{
    unsigned perm[8], orders = 0;
    uint32_t sum_len = 0;
    for (unsigned i = 0; i < n; i++) {
        perm[i] = i;
        sum_len += segs[i].len;
    }
    do {
        rx x;
        rx_open(&x, isn, ring, SK_REASS_DEFAULT_RANGES);
        uint8_t model[256];
        bool have[256] = {false};
        for (unsigned k = 0; k < n; k++) {
            const seg *s = &segs[perm[k]];
            uint8_t mark = marked ? (uint8_t)(0x11 * (perm[k] + 1)) : 0;
            for (uint32_t i = s->off; i < s->off + s->len; i++) {
                if (!have[i]) {
                    model[i] = orig_byte(i) ^ mark;
                    have[i] = true;
                }
            }
            sk_reass_result res;
            uint32_t before = x.rcv_nxt;
            assert_true(rx_deliver(&x, s->off, s->len, s->fin, mark, &res) >= 0);
            if (res.fin) /* the FIN comes only after the whole stream */
                assert_int_equal(before + res.in_order, isn + total);
            if (read_each)
                rx_read(&x, UINT32_MAX);
        }
        rx_read(&x, UINT32_MAX);
        assert_int_equal(x.rcv_nxt, isn + total + 1);
        assert_int_equal(x.fins, 1);
        assert_int_equal(x.nout, total);
        if (marked) {
            assert_memory_equal(x.out, model, total);
        } else {
            for (uint32_t i = 0; i < total; i++)
                assert_int_equal(x.out[i], orig_byte(i));
        }
        /* Every byte was new exactly once; the rest were duplicates. */
        assert_int_equal(x.in_order, total);
        assert_int_equal(x.dup, sum_len - total);
        assert_int_equal(x.dropped, 0);
        assert_true(sk_reass_empty(x.r));
        rx_close(&x);
        orders++;
    } while (next_permutation(perm, n));
    return orders;
}

/* Overlaps on both sides, a segment spanning two others, one wholly inside
 * two others, and the FIN on a segment that overlaps its neighbour. */
static const seg set_overlap[] = {
    {0, 10, false},  {8, 17, false}, {20, 10, false},
    {30, 15, false}, {25, 35, true}, {40, 10, false},
};
/* Exact duplicates, a segment covering two held ones and the gaps between,
 * and a bare FIN that may come first. */
static const seg set_dup_span[] = {
    {10, 10, false}, {30, 10, false}, {10, 10, false},
    {0, 50, false},  {50, 10, false}, {60, 0, true},
};

static void test_every_order_overlaps(void **state)
{
    (void)state;
    unsigned orders = 0;
    static const uint32_t isns[] = {0xfffffff0u, 0xffffffc4u, 1000};
    for (size_t i = 0; i < 3; i++) {
        for (int read_each = 0; read_each < 2; read_each++) {
            for (int marked = 0; marked < 2; marked++) {
                /* A ring just big enough, and one that wraps when read. */
                orders += run_all_orders(set_overlap, 6, 60, isns[i], 60, read_each, marked);
                orders += run_all_orders(set_overlap, 6, 60, isns[i], 61, read_each, marked);
            }
        }
    }
    assert_int_equal(orders, 3 * 2 * 2 * 2 * 720);
}

static void test_every_order_dups_and_spans(void **state)
{
    (void)state;
    unsigned orders = 0;
    for (int read_each = 0; read_each < 2; read_each++)
        for (int marked = 0; marked < 2; marked++)
            orders += run_all_orders(set_dup_span, 6, 60, 0xffffffe0u, 64, read_each, marked);
    /* 6! orders, counting the two identical segments apart. */
    assert_int_equal(orders, 4 * 720);
}

/* With a ring smaller than the stream and a single range, segments are
 * trimmed or refused; retransmitting them until done still rebuilds the
 * stream exactly. */
static void test_every_order_under_bounds(void **state)
{
    (void)state;
    static const struct {
        uint32_t ring;
        uint16_t ranges;
    } bounds[] = {{24, 1}, {24, 2}, {16, 16}, {60, 1}, {7, 3}};
    unsigned orders = 0, refused = 0, trimmed = 0;
    for (size_t b = 0; b < sizeof bounds / sizeof bounds[0]; b++) {
        unsigned perm[6] = {0, 1, 2, 3, 4, 5};
        do {
            rx x;
            rx_open(&x, 0xffffffd0u, bounds[b].ring, bounds[b].ranges);
            for (unsigned round = 0; round < 40 && x.fins == 0; round++) {
                for (unsigned k = 0; k < 6; k++) {
                    const seg *s = &set_overlap[round == 0 ? perm[k] : k];
                    sk_reass_result res;
                    int rc = rx_deliver(&x, s->off, s->len, s->fin, 0, &res);
                    assert_true(rc >= 0 || rc == SYNACK_ERR_LIMIT || rc == SYNACK_ERR_NOBUFS);
                    if (rc == SYNACK_ERR_LIMIT) {
                        assert_int_equal(res.dropped, s->len);
                        refused++;
                    }
                    if (rc >= 0 && res.dropped)
                        trimmed++;
                    rx_read(&x, UINT32_MAX);
                }
            }
            assert_int_equal(x.fins, 1);
            assert_int_equal(x.nout, 60);
            for (uint32_t i = 0; i < 60; i++)
                assert_int_equal(x.out[i], orig_byte(i));
            rx_close(&x);
            orders++;
        } while (next_permutation(perm, 6));
    }
    assert_int_equal(orders, 5 * 720);
    assert_true(refused > 0);
    assert_true(trimmed > 0);
}

/* Random segments over a long stream with random reads: never more than the
 * bounds, and the stream comes out intact. */
static void test_random_stream(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 60; seed++) {
        sk_prng rng;
        sk_prng_seed(&rng, seed);
        const uint32_t total = 20000;
        uint16_t ranges = (uint16_t)(1 + sk_prng_below(&rng, 16));
        uint32_t ring = (uint32_t)(256 + sk_prng_below(&rng, 2048));
        rx x;
        rx_open(&x, (uint32_t)sk_prng_next(&rng), ring, ranges);
        unsigned steps = 0;
        while (x.fins == 0) {
            assert_true(++steps < 200000);
            uint32_t done = x.rcv_nxt - x.isn;
            uint32_t off, len;
            if (sk_prng_chance(&rng, 0.1)) {
                off = done; /* the retransmission that fills the gap */
                len = 1 + (uint32_t)sk_prng_below(&rng, 600);
            } else {
                uint32_t lo = done > 300 ? done - 300 : 0;
                off = lo + (uint32_t)sk_prng_below(&rng, done - lo + ring + 100);
                len = (uint32_t)sk_prng_below(&rng, 700);
            }
            if (off > total)
                off = total;
            if (off + len > total)
                len = total - off;
            bool fin = off + len == total && sk_prng_chance(&rng, 0.7);
            sk_reass_result res;
            int rc = rx_deliver(&x, off, len, fin, 0, &res);
            assert_true(rc >= 0 || rc == SYNACK_ERR_LIMIT || rc == SYNACK_ERR_NOBUFS);
            if (sk_prng_chance(&rng, 0.3))
                rx_read(&x, (uint32_t)sk_prng_below(&rng, ring));
        }
        rx_read(&x, UINT32_MAX);
        assert_int_equal(x.nout, total);
        for (uint32_t i = 0; i < total; i++)
            assert_int_equal(x.out[i], orig_byte(i));
        rx_close(&x);
    }
}

/* A peer that sends only out-of-order data holds at most the ring's free
 * space in at most `cap` ranges, however long it goes on. */
static void test_ooo_only_peer_is_bounded(void **state)
{
    (void)state;
    sk_prng rng;
    sk_prng_seed(&rng, 99);
    rx x;
    rx_open(&x, 0x7ffffff0u, 4096, 8);
    unsigned limited = 0, nobufs = 0;
    for (unsigned i = 0; i < 20000; i++) {
        uint32_t off = 1 + (uint32_t)sk_prng_below(&rng, 8000);
        uint32_t len = 1 + (uint32_t)sk_prng_below(&rng, 100);
        sk_reass_result res;
        int rc = rx_deliver(&x, off, len, false, 0, &res);
        limited += rc == SYNACK_ERR_LIMIT;
        nobufs += rc == SYNACK_ERR_NOBUFS;
        assert_int_equal(res.in_order, 0);
        assert_true(res.ack_now);
    }
    assert_true(limited > 0);
    assert_true(nobufs > 0);
    assert_true(sk_rangeset_count(&x.r->ooo) <= 8);
    assert_true(sk_reass_ooo_bytes(x.r) < 4096);
    assert_int_equal(x.rcv_nxt, x.isn);
    rx_close(&x);
}

static void test_bounds_exact(void **state)
{
    (void)state;
    rx x;
    rx_open(&x, 0xfffffffau, 100, 2);
    sk_reass_result res;
    assert_int_equal(rx_deliver(&x, 10, 10, false, 0, &res), 0);
    assert_int_equal(res.stored, 10);
    assert_int_equal(rx_deliver(&x, 30, 10, false, 0, &res), 0);
    /* A third disjoint range: refused whole. */
    assert_int_equal(rx_deliver(&x, 50, 10, false, 0, &res), SYNACK_ERR_LIMIT);
    assert_int_equal(res.dropped, 10);
    assert_int_equal(res.stored, 0);
    assert_int_equal(sk_rangeset_count(&x.r->ooo), 2);
    /* Joining a held range still works when full. */
    assert_int_equal(rx_deliver(&x, 40, 15, false, 0, &res), 0);
    assert_int_equal(res.stored, 15);
    /* Past the ring: trimmed at RCV.NXT + 100, or refused when wholly past. */
    assert_int_equal(rx_deliver(&x, 55, 60, false, 0, &res), 0);
    assert_int_equal(res.stored, 45);
    assert_int_equal(res.dropped, 15);
    assert_int_equal(rx_deliver(&x, 100, 5, false, 0, &res), SYNACK_ERR_NOBUFS);
    assert_int_equal(res.dropped, 5);
    /* In order with nothing held: no reason to ACK at once. */
    rx_read(&x, 0);
    assert_int_equal(rx_deliver(&x, 0, 0, false, 0, &res), 0);
    assert_false(res.ack_now);
    /* The gap fills: 100 bytes in order at once, ACKed at once. */
    assert_int_equal(rx_deliver(&x, 0, 30, false, 0, &res), 100);
    assert_int_equal(res.dup, 10);
    assert_true(res.ack_now);
    assert_int_equal(sk_buf_space(&x.buf), 0);
    /* A full ring takes nothing, but a duplicate is still a duplicate. */
    assert_int_equal(rx_deliver(&x, 100, 1, false, 0, &res), SYNACK_ERR_NOBUFS);
    assert_int_equal(rx_deliver(&x, 90, 11, false, 0, &res), 0);
    assert_int_equal(res.dup, 10);
    assert_int_equal(res.dropped, 1);
    rx_read(&x, UINT32_MAX);
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(x.out[i], orig_byte(i));
    /* A ring without storage is a caller error. */
    sk_buf none;
    sk_buf_init(&none, 10);
    assert_int_equal(sk_reass_add(x.r, &none, 0, 0, (const uint8_t *)"a", 1, false, &res),
                     SYNACK_ERR_INVAL);
    rx_close(&x);
}

static void test_fin_rules(void **state)
{
    (void)state;
    rx x;
    sk_reass_result res;
    rx_open(&x, 0xfffffff0u, 100, 4);
    /* An out-of-order FIN is held... */
    assert_int_equal(rx_deliver(&x, 20, 10, true, 0, &res), 0);
    assert_false(res.fin);
    assert_false(sk_reass_empty(x.r));
    /* ...bytes past it are not data, and another FIN elsewhere is ignored. */
    assert_int_equal(rx_deliver(&x, 25, 10, true, 0, &res), 0);
    assert_int_equal(res.dropped, 5);
    assert_int_equal(res.dup, 5);
    assert_int_equal(rx_deliver(&x, 30, 5, false, 0, &res), 0);
    assert_int_equal(res.dropped, 5);
    assert_int_equal(rx_deliver(&x, 10, 5, true, 0, &res), 0); /* FIN before held data */
    assert_int_equal(rx_deliver(&x, 0, 10, false, 0, &res), 15);
    assert_false(res.fin);
    /* The last gap: data and the held FIN together. */
    assert_int_equal(rx_deliver(&x, 15, 5, false, 0, &res), 15);
    assert_true(res.fin);
    assert_int_equal(x.rcv_nxt, x.isn + 31);
    assert_true(sk_reass_empty(x.r));
    /* A retransmitted FIN after it was taken is only a duplicate. */
    assert_int_equal(rx_deliver(&x, 25, 5, true, 0, &res), 0);
    assert_false(res.fin);
    assert_int_equal(res.dup, 5);
    assert_int_equal(x.fins, 1);
    rx_close(&x);

    /* A FIN past the ring's free space is not remembered, bare or not. */
    rx_open(&x, 5, 16, 4);
    assert_int_equal(rx_deliver(&x, 17, 0, true, 0, &res), 0);
    assert_true(sk_reass_empty(x.r));
    assert_int_equal(rx_deliver(&x, 16, 0, true, 0, &res), 0);
    assert_false(sk_reass_empty(x.r));
    sk_reass_clear(x.r);
    assert_int_equal(rx_deliver(&x, 10, 10, true, 0, &res), 0);
    assert_int_equal(res.dropped, 4);
    assert_int_equal(rx_deliver(&x, 0, 10, false, 0, &res), 16);
    assert_false(res.fin);
    /* A bare FIN in order is taken at once. */
    rx_read(&x, UINT32_MAX);
    assert_int_equal(rx_deliver(&x, 16, 4, false, 0, &res), 4);
    assert_int_equal(rx_deliver(&x, 20, 0, true, 0, &res), 0);
    assert_true(res.fin);
    rx_close(&x);
}

/* ---- SACK blocks (RFC 2018 4) and D-SACK (RFC 2883 4) ------------------------ */

static size_t blocks(rx *x, sk_tcp_sack_block *b, size_t max, bool dsack)
{
    return sk_reass_sack_blocks(x->r, x->rcv_nxt, b, max, dsack);
}

#define EXPECT_BLOCK(b, l, r)                                                                      \
    do {                                                                                           \
        assert_int_equal((b).left, (uint32_t)(l));                                                 \
        assert_int_equal((b).right, (uint32_t)(r));                                                \
    } while (0)

/* RFC 2018 5, case 3: 500-byte segments from 5000; the 2nd, 4th, 6th and
 * 8th are dropped. Each ACK names the newest segment's block first, then
 * the blocks reported most recently. */
static void test_rfc2018_example(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 5000, 8192, SK_REASS_DEFAULT_RANGES);
    assert_int_equal(rx_deliver(&x, 0, 500, false, 0, &res), 500);
    assert_int_equal(blocks(&x, b, 4, true), 0);
    rx_deliver(&x, 1000, 500, false, 0, &res); /* 6000 */
    assert_int_equal(blocks(&x, b, 4, true), 1);
    EXPECT_BLOCK(b[0], 6000, 6500);
    rx_deliver(&x, 2000, 500, false, 0, &res); /* 7000 */
    assert_int_equal(blocks(&x, b, 4, true), 2);
    EXPECT_BLOCK(b[0], 7000, 7500);
    EXPECT_BLOCK(b[1], 6000, 6500);
    rx_deliver(&x, 3000, 500, false, 0, &res); /* 8000 */
    assert_int_equal(blocks(&x, b, 4, true), 3);
    EXPECT_BLOCK(b[0], 8000, 8500);
    EXPECT_BLOCK(b[1], 7000, 7500);
    EXPECT_BLOCK(b[2], 6000, 6500);
    /* The 4th segment arrives late: its block is first (now 6000-7500). */
    rx_deliver(&x, 1500, 500, false, 0, &res); /* 6500 */
    assert_int_equal(blocks(&x, b, 4, true), 2);
    EXPECT_BLOCK(b[0], 6000, 7500);
    EXPECT_BLOCK(b[1], 8000, 8500);
    /* The 2nd arrives: ACK 7500, and the block it did not join. */
    assert_int_equal(rx_deliver(&x, 500, 500, false, 0, &res), 2000);
    assert_int_equal(x.rcv_nxt, 7500);
    assert_int_equal(blocks(&x, b, 4, true), 1);
    EXPECT_BLOCK(b[0], 8000, 8500);
    rx_close(&x);
}

/* More blocks than fit: the least recent ones are left off; 3 with
 * timestamps (RFC 2018 3). */
static void test_sack_block_limit_and_recency(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 0xfffff000u, 8192, SK_REASS_DEFAULT_RANGES);
    uint32_t base = x.isn;
    for (uint32_t k = 1; k <= 6; k++)
        rx_deliver(&x, k * 200, 100, false, 0, &res); /* 200,400,...,1200 */
    assert_int_equal(blocks(&x, b, 4, true), 4);
    EXPECT_BLOCK(b[0], base + 1200, base + 1300);
    EXPECT_BLOCK(b[1], base + 1000, base + 1100);
    EXPECT_BLOCK(b[2], base + 800, base + 900);
    EXPECT_BLOCK(b[3], base + 600, base + 700);
    assert_int_equal(blocks(&x, b, 3, true), 3);
    EXPECT_BLOCK(b[2], base + 800, base + 900);
    /* An old block grows: it becomes the first (200-300 + 300-350). */
    rx_deliver(&x, 300, 50, false, 0, &res);
    assert_int_equal(blocks(&x, b, 4, true), 4);
    EXPECT_BLOCK(b[0], base + 200, base + 350);
    EXPECT_BLOCK(b[1], base + 1200, base + 1300);
    EXPECT_BLOCK(b[2], base + 1000, base + 1100);
    EXPECT_BLOCK(b[3], base + 800, base + 900);
    /* Merging two reported blocks: one block, reported once. */
    rx_deliver(&x, 1100, 100, false, 0, &res);
    assert_int_equal(blocks(&x, b, 4, true), 4);
    EXPECT_BLOCK(b[0], base + 1000, base + 1300);
    EXPECT_BLOCK(b[1], base + 200, base + 350);
    EXPECT_BLOCK(b[2], base + 800, base + 900);
    /* Then the history is spent: the lowest block not yet named. */
    EXPECT_BLOCK(b[3], base + 400, base + 500);
    /* max 0 and max above 4. */
    assert_int_equal(blocks(&x, b, 0, true), 0);
    sk_tcp_sack_block big[8];
    assert_int_equal(blocks(&x, big, 8, true), 4);
    rx_close(&x);
}

/* RFC 2883 4.1.1: a duplicate below RCV.NXT (the ACKs were lost). */
static void test_dsack_below_rcv_nxt(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 3000, 8192, SK_REASS_DEFAULT_RANGES);
    rx_deliver(&x, 0, 500, false, 0, &res);
    rx_deliver(&x, 500, 500, false, 0, &res);
    assert_int_equal(rx_deliver(&x, 0, 500, false, 0, &res), 0);
    assert_int_equal(res.dup, 500);
    assert_true(res.ack_now);
    assert_int_equal(blocks(&x, b, 4, true), 1);
    EXPECT_BLOCK(b[0], 3000, 3500);
    /* Reported once only. */
    assert_int_equal(blocks(&x, b, 4, true), 0);
    /* Not when D-SACK is off. */
    rx_deliver(&x, 0, 500, false, 0, &res);
    assert_int_equal(blocks(&x, b, 4, false), 0);
    /* Partly old, partly new: the old part is the D-SACK. */
    assert_int_equal(rx_deliver(&x, 900, 300, false, 0, &res), 200);
    assert_int_equal(blocks(&x, b, 4, true), 1);
    EXPECT_BLOCK(b[0], 3900, 4000);
    rx_close(&x);
}

/* RFC 2883 4.1.2: an out-of-order block held and an old duplicate: the
 * D-SACK first, then the SACK block. */
static void test_dsack_with_ooo(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 3000, 8192, SK_REASS_DEFAULT_RANGES);
    rx_deliver(&x, 0, 500, false, 0, &res);
    rx_deliver(&x, 500, 500, false, 0, &res);
    rx_deliver(&x, 1500, 500, false, 0, &res); /* 4000-4499 lost */
    rx_deliver(&x, 0, 500, false, 0, &res);
    assert_int_equal(blocks(&x, b, 4, true), 2);
    EXPECT_BLOCK(b[0], 3000, 3500);
    EXPECT_BLOCK(b[1], 4500, 5000);
    /* A D-SACK is only for the most recent segment. */
    rx_deliver(&x, 0, 500, false, 0, &res);
    rx_deliver(&x, 2500, 500, false, 0, &res);
    assert_int_equal(blocks(&x, b, 4, true), 2);
    EXPECT_BLOCK(b[0], 5500, 6000);
    EXPECT_BLOCK(b[1], 4500, 5000);
    rx_close(&x);
}

/* RFC 2883 4.1.3: a duplicate of an out-of-order segment: the D-SACK, then
 * the (larger) block holding it. */
static void test_dsack_of_ooo_segment(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 3000, 8192, SK_REASS_DEFAULT_RANGES);
    rx_deliver(&x, 0, 500, false, 0, &res);
    rx_deliver(&x, 1000, 500, false, 0, &res); /* 3500-3999 lost */
    rx_deliver(&x, 1500, 500, false, 0, &res);
    rx_deliver(&x, 2000, 500, false, 0, &res);
    rx_deliver(&x, 3000, 500, false, 0, &res); /* 5500-5999 lost */
    assert_int_equal(rx_deliver(&x, 1500, 500, false, 0, &res), 0);
    assert_int_equal(res.dup, 500);
    assert_int_equal(res.stored, 0);
    assert_int_equal(blocks(&x, b, 4, true), 3);
    EXPECT_BLOCK(b[0], 4500, 5000);
    EXPECT_BLOCK(b[1], 4000, 5500);
    EXPECT_BLOCK(b[2], 6000, 6500);
    /* Max 3 with timestamps keeps the D-SACK and the two newest. */
    rx_deliver(&x, 1500, 500, false, 0, &res);
    assert_int_equal(blocks(&x, b, 2, true), 2);
    EXPECT_BLOCK(b[0], 4500, 5000);
    EXPECT_BLOCK(b[1], 4000, 5500);
    rx_close(&x);
}

/* RFC 2883 4.2: a retransmission covering two held blocks and the gap
 * between them: the first duplicate run is reported, then the block. */
static void test_dsack_two_duplicate_runs(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 0xffffff00u, 8192, SK_REASS_DEFAULT_RANGES);
    uint32_t base = x.isn;
    rx_deliver(&x, 500, 500, false, 0, &res);
    rx_deliver(&x, 1500, 500, false, 0, &res);
    assert_int_equal(rx_deliver(&x, 500, 1500, false, 0, &res), 0);
    assert_int_equal(res.dup, 1000);
    assert_int_equal(res.stored, 500);
    assert_int_equal(blocks(&x, b, 4, true), 2);
    EXPECT_BLOCK(b[0], base + 500, base + 1000);
    EXPECT_BLOCK(b[1], base + 500, base + 2000);
    /* An in-order segment overlapping held data: it advances the ACK, and
     * the overlap is still a duplicate to report. */
    assert_int_equal(rx_deliver(&x, 0, 700, false, 0, &res), 2000);
    assert_int_equal(res.dup, 200);
    assert_int_equal(blocks(&x, b, 4, true), 1);
    EXPECT_BLOCK(b[0], base + 500, base + 700);
    rx_close(&x);
}

static void test_clear_and_sizes(void **state)
{
    (void)state;
    rx x;
    sk_tcp_sack_block b[4];
    sk_reass_result res;
    rx_open(&x, 77, 256, 4);
    rx_deliver(&x, 10, 10, true, 0, &res);
    rx_deliver(&x, 10, 10, false, 0, &res);
    sk_reass_clear(x.r);
    assert_true(sk_reass_empty(x.r));
    assert_int_equal(blocks(&x, b, 4, true), 0);
    rx_close(&x);
    assert_int_equal(sk_reass_size(16), sizeof(sk_reass) + 16 * sizeof(sk_range));
    if (sizeof(void *) == 8) {
        assert_int_equal(sizeof(sk_reass), 48);
        assert_int_equal(sk_reass_size(SK_REASS_DEFAULT_RANGES), 176);
    }
    printf("sizeof(sk_reass) = %zu, sk_reass_size(%d) = %zu\n", sizeof(sk_reass),
           SK_REASS_DEFAULT_RANGES, sk_reass_size(SK_REASS_DEFAULT_RANGES));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_write_at_commit),
        cmocka_unit_test(test_buf_consume_keep_holds_place),
        cmocka_unit_test(test_every_order_overlaps),
        cmocka_unit_test(test_every_order_dups_and_spans),
        cmocka_unit_test(test_every_order_under_bounds),
        cmocka_unit_test(test_random_stream),
        cmocka_unit_test(test_ooo_only_peer_is_bounded),
        cmocka_unit_test(test_bounds_exact),
        cmocka_unit_test(test_fin_rules),
        cmocka_unit_test(test_rfc2018_example),
        cmocka_unit_test(test_sack_block_limit_and_recency),
        cmocka_unit_test(test_dsack_below_rcv_nxt),
        cmocka_unit_test(test_dsack_with_ooo),
        cmocka_unit_test(test_dsack_of_ooo_segment),
        cmocka_unit_test(test_dsack_two_duplicate_runs),
        cmocka_unit_test(test_clear_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
