/* Core utilities: the PRNG, buffer pools, error names, counter tables and
 * the configuration checks and address parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/ctx.h"
#include "core/pool.h"
#include "core/prng.h"
#include "failalloc.h"
#include "synack/config.h"
#include "synack/error.h"
#include "synack/stats.h"

/* ---- prng ---------------------------------------------------------------------- */

static void test_prng_known_sequence(void **state)
{
    (void)state;
    /* xoshiro256** seeded by splitmix64, computed from the published
     * algorithms by an independent implementation. */
    static const uint64_t seed0[] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                     0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL};
    static const uint64_t seed1[] = {0xb3f2af6d0fc710c5ULL, 0x853b559647364ceaULL,
                                     0x92f89756082a4514ULL, 0x642e1c7bc266a3a7ULL};
    sk_prng a, b;
    sk_prng_seed(&a, 0);
    sk_prng_seed(&b, 1);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sk_prng_next(&a), seed0[i]);
        assert_int_equal(sk_prng_next(&b), seed1[i]);
    }
}

static void test_prng_deterministic_per_seed(void **state)
{
    (void)state;
    sk_prng a, b, c;
    sk_prng_seed(&a, 0xdeadbeef);
    sk_prng_seed(&b, 0xdeadbeef);
    sk_prng_seed(&c, 0xdeadbef0);
    int differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = sk_prng_next(&a);
        assert_int_equal(x, sk_prng_next(&b));
        differ += x != sk_prng_next(&c);
    }
    assert_true(differ > 990);
    /* Re-seeding restarts the stream. */
    sk_prng_seed(&a, 1);
    assert_int_equal(sk_prng_next(&a), 0xb3f2af6d0fc710c5ULL);
}

static void test_prng_below_bounds(void **state)
{
    (void)state;
    sk_prng p;
    sk_prng_seed(&p, 7);
    assert_int_equal(sk_prng_below(&p, 0), 0);
    static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000, 1ULL << 32, (1ULL << 63) + 1, UINT64_MAX};
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
        for (int i = 0; i < 2000; i++)
            assert_true(sk_prng_below(&p, ns[k]) < ns[k]);
    /* Uniform enough: each of 3 outcomes within 5% of a third of 30000. */
    unsigned hist[3] = {0};
    for (int i = 0; i < 30000; i++)
        hist[sk_prng_below(&p, 3)]++;
    for (int i = 0; i < 3; i++)
        assert_in_range(hist[i], 9500, 10500);
    /* 2^63 + 1 rejects almost half the raw outputs: both halves still appear. */
    unsigned high = 0;
    for (int i = 0; i < 1000; i++)
        high += sk_prng_below(&p, (1ULL << 63) + 1) >= (1ULL << 62);
    assert_in_range(high, 400, 600);
}

static void test_prng_double_and_chance(void **state)
{
    (void)state;
    sk_prng p;
    sk_prng_seed(&p, 99);
    for (int i = 0; i < 10000; i++) {
        double d = sk_prng_double(&p);
        assert_true(d >= 0.0 && d < 1.0);
    }
    for (int i = 0; i < 1000; i++) {
        assert_false(sk_prng_chance(&p, 0.0));
        assert_false(sk_prng_chance(&p, -1.0));
        assert_false(sk_prng_chance(&p, -INFINITY));
        assert_false(sk_prng_chance(&p, NAN));
        assert_true(sk_prng_chance(&p, 1.0));
        assert_true(sk_prng_chance(&p, 1.5));
        assert_true(sk_prng_chance(&p, INFINITY));
    }
    unsigned hits = 0;
    for (int i = 0; i < 10000; i++)
        hits += (unsigned)sk_prng_chance(&p, 0.25);
    assert_in_range(hits, 2300, 2700);
}

/* ---- pool ---------------------------------------------------------------------- */

static void ctx_with(sk_ctx *ctx, const synack_mem *mem)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->mem = *mem;
}

static void test_pool_get_put_exhaust(void **state)
{
    (void)state;
    failalloc fa;
    failalloc_init(&fa, 0);
    sk_ctx ctx;
    ctx_with(&ctx, &fa.mem);
    sk_pool pool;
    assert_int_equal(sk_pool_init(&pool, &ctx, 4, 24), 0);
    assert_int_equal(fa.live, 1); /* one allocation for the whole pool */
    assert_int_equal(pool.stride, 32);
    assert_int_equal(pool.avail, 4);
    uint8_t *b[4];
    for (int i = 0; i < 4; i++) {
        b[i] = sk_pool_get(&pool);
        assert_non_null(b[i]);
        assert_int_equal((uintptr_t)b[i] % 16, 0);
        memset(b[i], 0xa0 + i, 24); /* the whole usable size */
    }
    assert_null(sk_pool_get(&pool));
    assert_int_equal(pool.avail, 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 24; j++)
            assert_int_equal(b[i][j], 0xa0 + i); /* no overlap */
    sk_pool_put(&pool, b[2]);
    assert_int_equal(pool.avail, 1);
    assert_ptr_equal(sk_pool_get(&pool), b[2]); /* LIFO: the warm buffer first */
    assert_null(sk_pool_get(&pool));
    for (int i = 0; i < 4; i++)
        sk_pool_put(&pool, b[i]);
    assert_int_equal(pool.avail, 4);
    sk_pool_free(&pool, &ctx);
    assert_int_equal(fa.live, 0);
    assert_null(pool.base);
}

static void test_pool_tiny_buffers_hold_the_link(void **state)
{
    (void)state;
    sk_ctx ctx;
    ctx_with(&ctx, synack_mem_default());
    sk_pool pool;
    assert_int_equal(sk_pool_init(&pool, &ctx, 3, 1), 0);
    assert_int_equal(pool.stride, 16);
    void *a = sk_pool_get(&pool), *b = sk_pool_get(&pool), *c = sk_pool_get(&pool);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_null(sk_pool_get(&pool));
    sk_pool_put(&pool, b);
    sk_pool_put(&pool, a);
    assert_ptr_equal(sk_pool_get(&pool), a);
    assert_ptr_equal(sk_pool_get(&pool), b);
    sk_pool_free(&pool, &ctx);
}

static void test_pool_init_errors(void **state)
{
    (void)state;
    failalloc fa;
    failalloc_init(&fa, 0);
    sk_ctx ctx;
    ctx_with(&ctx, &fa.mem);
    sk_pool pool;
    assert_int_equal(sk_pool_init(&pool, &ctx, 0, 16), SYNACK_ERR_INVAL);
    assert_int_equal(sk_pool_init(&pool, &ctx, 16, 0), SYNACK_ERR_INVAL);
    /* Sizes whose rounding up or product would wrap. */
    assert_int_equal(sk_pool_init(&pool, &ctx, 1, SIZE_MAX), SYNACK_ERR_INVAL);
    assert_int_equal(sk_pool_init(&pool, &ctx, 1, SIZE_MAX - 14), SYNACK_ERR_INVAL);
    assert_int_equal(sk_pool_init(&pool, &ctx, 2, SIZE_MAX / 2), SYNACK_ERR_INVAL);
    assert_int_equal(sk_pool_init(&pool, &ctx, UINT32_MAX, SIZE_MAX / 16), SYNACK_ERR_INVAL);
    assert_int_equal(fa.count, 0); /* refused before allocating */
    assert_null(pool.base);
    failalloc_init(&fa, 1);
    assert_int_equal(sk_pool_init(&pool, &ctx, 8, 64), SYNACK_ERR_NOMEM);
    assert_true(fa.failed);
    assert_int_equal(fa.live, 0);
    assert_null(sk_pool_get(&pool)); /* a failed pool is empty, not garbage */
    sk_pool_free(&pool, &ctx);       /* and freeing it is harmless */
}

/* ---- errors -------------------------------------------------------------------- */

static void test_every_error_has_name_and_description(void **state)
{
    (void)state;
    static const struct {
        int value;
        const char *name;
    } all[] = {
#define E_(name, value, desc) {value, #name},
        SYNACK_ERRORS(E_)
#undef E_
    };
    size_t n = sizeof(all) / sizeof(all[0]);
    assert_true(n >= 24); /* new codes are appended */
    for (size_t i = 0; i < n; i++) {
        /* Stable values: OK is 0, the rest count down from -1 in order. */
        assert_int_equal(all[i].value, -(int)i);
        assert_string_equal(synack_errname(all[i].value), all[i].name);
        const char *d = synack_strerror(all[i].value);
        assert_non_null(d);
        assert_true(strlen(d) > 5);
        assert_string_not_equal(d, "unknown error");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(d, synack_strerror(all[j].value));
    }
    assert_string_equal(synack_errname(SYNACK_ERR_NOMEM), "NOMEM");
    assert_string_equal(synack_strerror(SYNACK_ERR_CHECKSUM), "checksum mismatch");
}

static void test_unknown_error(void **state)
{
    (void)state;
    static const int unknown[] = {1, 2, -24, -25, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(synack_strerror(unknown[i]), "unknown error");
        assert_string_equal(synack_errname(unknown[i]), "?");
    }
}

/* ---- stats --------------------------------------------------------------------- */

static void test_stats_tables_agree_with_struct(void **state)
{
    (void)state;
    static const char *const names[] = {
#define S_(name, desc) #name,
        SYNACK_STATS(S_)
#undef S_
    };
    size_t n = synack_stats_count();
    assert_int_equal(n, sizeof(names) / sizeof(names[0]));
    assert_int_equal(n * sizeof(uint64_t), sizeof(synack_stats));
    /* Give every field, by name, a value that encodes its position. */
    synack_stats s;
    memset(&s, 0, sizeof(s));
    uint64_t k = 0;
#define SET_(name, desc) s.name = 0x1000000000ULL + (k++);
    SYNACK_STATS(SET_)
#undef SET_
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(synack_stats_value(&s, i), 0x1000000000ULL + i);
        assert_string_equal(synack_stats_name(i), names[i]);
        const char *d = synack_stats_desc(i);
        assert_non_null(d);
        assert_true(strlen(d) > 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(names[i], names[j]);
    }
    assert_null(synack_stats_name(n));
    assert_null(synack_stats_desc(n));
    assert_int_equal(synack_stats_value(&s, n), 0);
    assert_null(synack_stats_name(SIZE_MAX));
    assert_int_equal(synack_stats_value(&s, SIZE_MAX), 0);
    assert_string_equal(synack_stats_name(0), "frames_in");
}

/* ---- config -------------------------------------------------------------------- */

static void good_config(synack_config *c)
{
    synack_config_default(c);
    c->addr = 0x0a000001; /* 10.0.0.1/24 */
    c->gateway = 0x0a0000fe;
}

static void test_config_default_needs_only_an_address(void **state)
{
    (void)state;
    synack_config c;
    synack_config_default(&c);
    const char *why = "unset";
    assert_int_equal(synack_config_check(&c, &why), SYNACK_ERR_INVAL);
    assert_string_equal(why, "addr: an IPv4 address is required");
    good_config(&c);
    assert_int_equal(synack_config_check(&c, &why), 0);
    assert_null(why);
    assert_int_equal(synack_config_check(&c, NULL), 0);
    assert_int_equal(synack_config_check(NULL, &why), SYNACK_ERR_INVAL);
    assert_string_equal(why, "cfg: must not be NULL");
    /* The defaults documented in config.h. */
    assert_int_equal(c.mtu, 1500);
    assert_int_equal(c.ip_ttl, 64);
    assert_int_equal(c.prefix_len, 24);
    assert_int_equal(c.timer_tick_ns, 1000000);
    assert_int_equal(c.link, SYNACK_LINK_ETHERNET);
    assert_true(c.icmp_echo_reply);
}

/* One bad field per case, and the start of the message that must name it. */
typedef struct bad_case {
    const char *why;
    void (*spoil)(synack_config *c);
} bad_case;

#define SPOIL(fn, body)                                                                            \
    static void fn(synack_config *c)                                                               \
    {                                                                                              \
        body;                                                                                      \
    }
SPOIL(bad_link, c->link = (synack_link_type)7)
SPOIL(bad_addr_zero, c->addr = 0)
SPOIL(bad_addr_bcast, c->addr = 0xffffffff)
SPOIL(bad_addr_mcast, c->addr = 0xe0000001)
SPOIL(bad_addr_class_e, c->addr = 0xf0000001)
SPOIL(bad_addr_net, c->addr = 0x0a000000)
SPOIL(bad_addr_subnet_bcast, c->addr = 0x0a0000ff)
SPOIL(bad_prefix, c->prefix_len = 33)
SPOIL(bad_gw_self, c->gateway = c->addr)
SPOIL(bad_gw_mcast, c->gateway = 0xe0000001)
SPOIL(bad_gw_offlink, c->gateway = 0x0a000101)
SPOIL(bad_mtu_low, c->mtu = 575)
SPOIL(bad_mtu_high, c->mtu = 9001)
SPOIL(bad_ttl, c->ip_ttl = 0)
SPOIL(bad_tick, c->timer_tick_ns = 0)
SPOIL(bad_mac_mcast, c->mac[0] = 0x01)
SPOIL(bad_mac_zero, memset(c->mac, 0, 6))
SPOIL(bad_arp_cache, c->arp_cache_size = 0)
SPOIL(bad_arp_ttl, c->arp_ttl_ns = 0)
SPOIL(bad_arp_retry, c->arp_retry_ns = 0)
SPOIL(bad_arp_max, c->arp_max_requests = 0)
SPOIL(bad_pool, c->pkt_pool_size = 0)

static void test_config_names_each_bad_field(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"link: ", bad_link},
        {"addr: an IPv4 address is required", bad_addr_zero},
        {"addr: must be a unicast", bad_addr_bcast},
        {"addr: must be a unicast", bad_addr_mcast},
        {"addr: must be a unicast", bad_addr_class_e},
        {"addr: is the subnet's network or broadcast", bad_addr_net},
        {"addr: is the subnet's network or broadcast", bad_addr_subnet_bcast},
        {"prefix_len: must be 0..32", bad_prefix},
        {"gateway: must be a unicast address other than addr", bad_gw_self},
        {"gateway: must be a unicast address other than addr", bad_gw_mcast},
        {"gateway: must be on the subnet", bad_gw_offlink},
        {"mtu: must be 576..9000", bad_mtu_low},
        {"mtu: must be 576..9000", bad_mtu_high},
        {"ip_ttl: ", bad_ttl},
        {"timer_tick_ns: ", bad_tick},
        {"mac: must be a unicast address", bad_mac_mcast},
        {"mac: must not be all zero", bad_mac_zero},
        {"arp_cache_size: ", bad_arp_cache},
        {"arp_ttl_ns: ", bad_arp_ttl},
        {"arp_retry_ns/arp_max_requests: ", bad_arp_retry},
        {"arp_retry_ns/arp_max_requests: ", bad_arp_max},
        {"pkt_pool_size: ", bad_pool},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        synack_config c;
        good_config(&c);
        cases[i].spoil(&c);
        const char *why = NULL;
        assert_int_equal(synack_config_check(&c, &why), SYNACK_ERR_INVAL);
        assert_non_null(why);
        if (strncmp(why, cases[i].why, strlen(cases[i].why)) != 0)
            fail_msg("case %zu: expected \"%s...\", got \"%s\"", i, cases[i].why, why);
    }
}

static void test_config_accepts_edge_values(void **state)
{
    (void)state;
    synack_config c;
    const char *why;
    good_config(&c);
    c.mtu = 576;
    assert_int_equal(synack_config_check(&c, &why), 0);
    c.mtu = 9000;
    assert_int_equal(synack_config_check(&c, &why), 0);
    /* RFC 3021: both ends of a /31 are hosts; a /32 has no subnet at all. */
    good_config(&c);
    c.prefix_len = 31;
    c.gateway = 0;
    c.addr = 0x0a000000;
    assert_int_equal(synack_config_check(&c, &why), 0);
    c.addr = 0x0a000001;
    c.gateway = 0x0a000000;
    assert_int_equal(synack_config_check(&c, &why), 0);
    c.prefix_len = 32;
    c.gateway = 0x0a0000fe; /* reached on-link by assumption */
    assert_int_equal(synack_config_check(&c, &why), 0);
    /* A bare-IP link has no MAC or ARP to check. */
    good_config(&c);
    c.link = SYNACK_LINK_IP;
    memset(c.mac, 0, 6);
    c.arp_cache_size = 0;
    c.arp_retry_ns = 0;
    assert_int_equal(synack_config_check(&c, &why), 0);
    /* No gateway at all is fine. */
    good_config(&c);
    c.gateway = 0;
    assert_int_equal(synack_config_check(&c, &why), 0);
}

/* ---- IPv4 text ------------------------------------------------------------------- */

typedef struct parse_case {
    const char *s;
    int ok;
    synack_ipv4 addr;
} parse_case;

static void test_ipv4_parse_table(void **state)
{
    (void)state;
    static const parse_case cases[] = {
        {"10.0.0.1", 1, 0x0a000001},
        {"255.255.255.255", 1, 0xffffffff},
        {"0.0.0.0", 1, 0},
        {"1.2.3.4", 1, 0x01020304},
        {"192.168.100.200", 1, 0xc0a864c8},
        {"0.10.100.0", 1, 0x000a6400},
        {"256.0.0.1", 0, 0},
        {"1.2.3.256", 0, 0},
        {"1.2.3.999", 0, 0},
        {"1.2.3", 0, 0},
        {"1.2.3.4.5", 0, 0},
        {"1.2.3.4.", 0, 0},
        {".1.2.3.4", 0, 0},
        {"1..2.3", 0, 0},
        {"01.2.3.4", 0, 0}, /* leading zero: octal or decimal? refuse */
        {"1.2.3.04", 0, 0},
        {"1.2.00.4", 0, 0},
        {"0001.2.3.4", 0, 0},
        {" 1.2.3.4", 0, 0},
        {"1.2.3.4 ", 0, 0},
        {"1.2.3.4\n", 0, 0},
        {"1. 2.3.4", 0, 0},
        {"+1.2.3.4", 0, 0},
        {"-1.2.3.4", 0, 0},
        {"1.2.3.4/24", 0, 0},
        {"0x7f.0.0.1", 0, 0},
        {"127.1", 0, 0},
        {"2130706433", 0, 0},
        {"a.b.c.d", 0, 0},
        {"", 0, 0},
        {"....", 0, 0},
        {"1.2.3.4294967297", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        synack_ipv4 a = 0xdeadbeef;
        int rv = synack_ipv4_parse(cases[i].s, &a);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("\"%s\" should parse", cases[i].s);
            assert_int_equal(a, cases[i].addr);
        } else {
            if (rv != SYNACK_ERR_INVAL)
                fail_msg("\"%s\" should be rejected", cases[i].s);
            assert_int_equal(a, 0xdeadbeef); /* untouched */
        }
    }
    synack_ipv4 a;
    assert_int_equal(synack_ipv4_parse(NULL, &a), SYNACK_ERR_INVAL);
    assert_int_equal(synack_ipv4_parse("1.2.3.4", NULL), SYNACK_ERR_INVAL);
}

static void test_ipv4_parse_cidr_table(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int ok;
        synack_ipv4 addr;
        uint8_t len;
    } cases[] = {
        {"10.0.0.1/24", 1, 0x0a000001, 24},
        {"10.0.0.1", 1, 0x0a000001, 32},
        {"0.0.0.0/0", 1, 0, 0},
        {"1.2.3.4/32", 1, 0x01020304, 32},
        {"1.2.3.4/9", 1, 0x01020304, 9},
        {"1.2.3.4/33", 0, 0, 0},
        {"1.2.3.4/99", 0, 0, 0},
        {"1.2.3.4/100", 0, 0, 0},
        {"1.2.3.4/", 0, 0, 0},
        {"1.2.3.4/08", 0, 0, 0},
        {"1.2.3.4/00", 0, 0, 0},
        {"1.2.3.4/-1", 0, 0, 0},
        {"1.2.3.4/ 24", 0, 0, 0},
        {"1.2.3.4 /24", 0, 0, 0},
        {"1.2.3.4/24 ", 0, 0, 0},
        {"1.2.3.4/24/", 0, 0, 0},
        {"1.2.3.4//24", 0, 0, 0},
        {"1.2.3/24", 0, 0, 0},
        {"01.2.3.4/24", 0, 0, 0},
        {"/24", 0, 0, 0},
        {"1.2.3.4/2a", 0, 0, 0},
        {"1.2.3.4.5/24", 0, 0, 0},
        {"", 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        synack_ipv4 a = 0xdeadbeef;
        uint8_t len = 77;
        int rv = synack_ipv4_parse_cidr(cases[i].s, &a, &len);
        if (cases[i].ok) {
            if (rv != 0)
                fail_msg("\"%s\" should parse", cases[i].s);
            assert_int_equal(a, cases[i].addr);
            assert_int_equal(len, cases[i].len);
        } else {
            if (rv != SYNACK_ERR_INVAL)
                fail_msg("\"%s\" should be rejected", cases[i].s);
            assert_int_equal(a, 0xdeadbeef);
            assert_int_equal(len, 77);
        }
    }
    synack_ipv4 a;
    uint8_t len;
    assert_int_equal(synack_ipv4_parse_cidr(NULL, &a, &len), SYNACK_ERR_INVAL);
    assert_int_equal(synack_ipv4_parse_cidr("1.2.3.4/8", NULL, &len), SYNACK_ERR_INVAL);
    assert_int_equal(synack_ipv4_parse_cidr("1.2.3.4/8", &a, NULL), SYNACK_ERR_INVAL);
}

static void test_ipv4_format(void **state)
{
    (void)state;
    char buf[16];
    assert_string_equal(synack_ipv4_format(0, buf), "0.0.0.0");
    assert_string_equal(synack_ipv4_format(0xffffffff, buf), "255.255.255.255");
    assert_string_equal(synack_ipv4_format(0x0a000001, buf), "10.0.0.1");
    assert_string_equal(synack_ipv4_format(0x01020304, buf), "1.2.3.4");
    assert_ptr_equal(synack_ipv4_format(0x01020304, buf), buf);
    /* Format then parse is the identity. */
    sk_prng p;
    sk_prng_seed(&p, 5);
    for (int i = 0; i < 10000; i++) {
        synack_ipv4 a = (synack_ipv4)sk_prng_next(&p), b = 0;
        assert_int_equal(synack_ipv4_parse(synack_ipv4_format(a, buf), &b), 0);
        assert_int_equal(a, b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prng_known_sequence),
        cmocka_unit_test(test_prng_deterministic_per_seed),
        cmocka_unit_test(test_prng_below_bounds),
        cmocka_unit_test(test_prng_double_and_chance),
        cmocka_unit_test(test_pool_get_put_exhaust),
        cmocka_unit_test(test_pool_tiny_buffers_hold_the_link),
        cmocka_unit_test(test_pool_init_errors),
        cmocka_unit_test(test_every_error_has_name_and_description),
        cmocka_unit_test(test_unknown_error),
        cmocka_unit_test(test_stats_tables_agree_with_struct),
        cmocka_unit_test(test_config_default_needs_only_an_address),
        cmocka_unit_test(test_config_names_each_bad_field),
        cmocka_unit_test(test_config_accepts_edge_values),
        cmocka_unit_test(test_ipv4_parse_table),
        cmocka_unit_test(test_ipv4_parse_cidr_table),
        cmocka_unit_test(test_ipv4_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
