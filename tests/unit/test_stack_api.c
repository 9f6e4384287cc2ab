/* The synack_stack_* entry points around the network layer: creation with
 * bad configs, every allocation failing in turn, trace sinks, counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "failalloc.h"
#include "netframe.h"
#include "synack/synack.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

#define T0 5000000000ULL

static const uint8_t zero_mac[6] = {0};

static void test_new_rejects_bad_arguments(void **state)
{
    (void)state;
    tcap *cap = tcap_new();
    synack_callbacks cb = {.output = tcap_output};
    synack_callbacks no_output = {.output = NULL};
    synack_config cfg;
    nf_config(&cfg);
    synack_stack *s = (synack_stack *)&cfg; /* must be reset to NULL */
    /* The defaults have no address. */
    assert_int_equal(synack_stack_new(NULL, &cb, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    assert_null(s);
    assert_int_equal(synack_stack_new(&cfg, NULL, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    assert_int_equal(synack_stack_new(&cfg, &no_output, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, NULL), SYNACK_ERR_INVAL);
    cfg.mtu = 100;
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    nf_config(&cfg);
    cfg.mac[0] = 0x01; /* multicast */
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    nf_config(&cfg);
    cfg.arp_cache_size = 0;
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), SYNACK_ERR_INVAL);
    /* Beyond what the ARP cache accepts: refused, and nothing leaks. */
    failalloc fa;
    failalloc_init(&fa, 0);
    nf_config(&cfg);
    cfg.arp_cache_size = UINT32_MAX;
    assert_int_equal(synack_stack_new(&cfg, &cb, &fa.mem, cap, T0, &s), SYNACK_ERR_INVAL);
    assert_int_equal(fa.live, 0);
    assert_null(s);
    /* IP-only links need no ARP cache. */
    cfg.link = SYNACK_LINK_IP;
    cfg.arp_cache_size = 0;
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), 0);
    assert_int_equal(synack_stack_config(s)->link, SYNACK_LINK_IP);
    synack_stack_del(s);
    synack_stack_del(NULL);
    tcap_free(cap);
}

/* Fails each allocation of synack_stack_new in turn: each failure returns
 * NOMEM with nothing left allocated. */
static void fail_every_allocation(const synack_config *cfg, long min_allocs)
{
    tcap *cap = tcap_new();
    synack_callbacks cb = {.output = tcap_output};
    long n;
    for (n = 1;; n++) {
        failalloc fa;
        failalloc_init(&fa, n);
        synack_stack *s = NULL;
        int rv = synack_stack_new(cfg, &cb, &fa.mem, cap, T0, &s);
        if (!fa.failed) {
            /* Past the last allocation: it worked; use it, then free it. */
            assert_int_equal(rv, 0);
            assert_int_equal(synack_icmp_echo_send(s, NF_PEER_IP, 1, 1, NULL, 0, T0), 0);
            synack_stack_del(s);
            assert_int_equal(fa.live, 0);
            break;
        }
        assert_int_equal(rv, SYNACK_ERR_NOMEM);
        assert_null(s);
        assert_int_equal(fa.live, 0);
    }
    assert_true(n - 1 >= min_allocs);
    tcap_free(cap);
}

static void test_failalloc_ethernet(void **state)
{
    (void)state;
    synack_config cfg;
    nf_config(&cfg);
    fail_every_allocation(&cfg, 6); /* stack, net, tx, ARP entries, ARP hash, pool */
}

static void test_failalloc_ip_link(void **state)
{
    (void)state;
    synack_config cfg;
    nf_config(&cfg);
    cfg.link = SYNACK_LINK_IP;
    fail_every_allocation(&cfg, 3); /* stack, net, tx */
}

static void test_no_allocation_after_new(void **state)
{
    (void)state;
    tcap *cap = tcap_new();
    synack_callbacks cb = {.output = tcap_output};
    synack_config cfg;
    nf_config(&cfg);
    failalloc fa;
    failalloc_init(&fa, 0);
    synack_stack *s;
    assert_int_equal(synack_stack_new(&cfg, &cb, &fa.mem, cap, T0, &s), 0);
    long after_new = fa.count;
    /* Resolve, queue, flush, answer, time out: all from what new took. */
    for (uint16_t i = 0; i < 100; i++)
        synack_icmp_echo_send(s, NF_PEER_IP + (i % 70), 1, i, NULL, 0, T0);
    uint8_t body[28], frame[64];
    nf_arp(body, 2, nf_peer_mac, NF_PEER_IP, nf_us_mac, NF_US_IP);
    size_t n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, 28);
    synack_stack_input(s, frame, n, T0);
    while (synack_stack_next_timeout(s) != UINT64_MAX)
        synack_stack_handle_timeout(s, synack_stack_next_timeout(s));
    assert_int_equal(fa.count, after_new);
    synack_stack_del(s);
    assert_int_equal(fa.live, 0);
    tcap_free(cap);
}

/* ---- trace ---- */

typedef struct seen {
    int n;
    synack_trace_kind kind[8];
    const char *reason[8];
    size_t len[8];
    uint64_t now[8];
} seen;

static void sink(void *ud, const synack_trace_event *ev)
{
    seen *s = ud;
    if (s->n < 8) {
        s->kind[s->n] = ev->kind;
        s->reason[s->n] = ev->reason;
        s->len[s->n] = ev->len;
        s->now[s->n] = ev->now;
    }
    s->n++;
}

static void test_trace_sees_frames_and_drops(void **state)
{
    (void)state;
    tcap *cap = tcap_new();
    synack_callbacks cb = {.output = tcap_output};
    synack_config cfg;
    nf_config(&cfg);
    synack_stack *s;
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), 0);
    seen tr = {0};
    assert_int_equal(synack_stack_add_trace(s, sink, &tr), 0);

    /* An ARP request for us: in, then our reply out. */
    uint8_t body[28], frame[128];
    nf_arp(body, 1, nf_peer_mac, NF_PEER_IP, zero_mac, NF_US_IP);
    size_t n = nf_eth(frame, nf_bcast_mac, nf_peer_mac, SK_ETHERTYPE_ARP, body, 28);
    assert_int_equal(synack_stack_input(s, frame, n, T0 + 1), 0);
    assert_int_equal(tr.n, 2);
    assert_int_equal(tr.kind[0], SYNACK_TRACE_FRAME_IN);
    assert_int_equal(tr.len[0], 60);
    assert_int_equal(tr.now[0], T0 + 1);
    assert_int_equal(tr.kind[1], SYNACK_TRACE_FRAME_OUT);
    assert_int_equal(tr.len[1], 60);

    /* A datagram with a bad checksum: in, then dropped under its counter. */
    uint8_t d[64];
    size_t dn = nf_ipv4(d, NF_PEER_IP, NF_US_IP, 99, body, 10);
    d[11] ^= 0xff;
    n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, dn);
    assert_int_equal(synack_stack_input(s, frame, n, T0 + 2), SYNACK_ERR_CHECKSUM);
    assert_int_equal(tr.n, 4);
    assert_int_equal(tr.kind[2], SYNACK_TRACE_FRAME_IN);
    assert_int_equal(tr.kind[3], SYNACK_TRACE_DROP);
    assert_string_equal(tr.reason[3], "ip_drop_checksum");
    assert_int_equal(tr.len[3], 60); /* the whole frame */

    /* Unknown protocol: dropped under ip_drop_proto, the unreachable goes out. */
    dn = nf_ipv4(d, NF_PEER_IP, NF_US_IP, 99, body, 10);
    n = nf_eth(frame, nf_us_mac, nf_peer_mac, SK_ETHERTYPE_IPV4, d, dn);
    synack_stack_input(s, frame, n, T0 + 3);
    assert_int_equal(tr.n, 7);
    assert_int_equal(tr.kind[5], SYNACK_TRACE_FRAME_OUT);
    assert_int_equal(tr.kind[6], SYNACK_TRACE_DROP);
    assert_string_equal(tr.reason[6], "ip_drop_proto");

    /* Timer-driven output is traced too; drops there have no frame to show. */
    synack_icmp_echo_send(s, 0x0a000009, 1, 1, NULL, 0, T0 + 4);
    assert_int_equal(tr.n, 8);
    assert_int_equal(tr.kind[7], SYNACK_TRACE_FRAME_OUT);

    assert_int_equal(synack_stack_remove_trace(s, sink, &tr), 0);
    assert_int_equal(synack_stack_remove_trace(s, sink, &tr), SYNACK_ERR_NOTFOUND);
    synack_stack_input(s, frame, n, T0 + 5);
    assert_int_equal(tr.n, 8);
    synack_stack_del(s);
    tcap_free(cap);
}

static void test_trace_sink_limits(void **state)
{
    (void)state;
    tcap *cap = tcap_new();
    synack_callbacks cb = {.output = tcap_output};
    synack_config cfg;
    nf_config(&cfg);
    synack_stack *s;
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, cap, T0, &s), 0);
    seen tr[SYNACK_TRACE_SINKS_MAX + 1];
    memset(tr, 0, sizeof(tr));
    assert_int_equal(synack_stack_add_trace(s, NULL, NULL), SYNACK_ERR_INVAL);
    for (int i = 0; i < SYNACK_TRACE_SINKS_MAX; i++)
        assert_int_equal(synack_stack_add_trace(s, sink, &tr[i]), 0);
    assert_int_equal(synack_stack_add_trace(s, sink, &tr[SYNACK_TRACE_SINKS_MAX]),
                     SYNACK_ERR_LIMIT);
    /* Removing from the middle keeps the others. */
    assert_int_equal(synack_stack_remove_trace(s, sink, &tr[1]), 0);
    uint8_t frame[60] = {0};
    synack_stack_input(s, frame, 10, T0);
    assert_int_equal(tr[0].n, 2);
    assert_int_equal(tr[1].n, 0);
    assert_int_equal(tr[2].n, 2);
    assert_int_equal(tr[3].n, 2);
    assert_string_equal(tr[3].reason[1], "eth_drop_short");
    synack_stack_del(s);
    tcap_free(cap);
}

static void test_counters_are_named(void **state)
{
    (void)state;
    static const char *const mine[] = {
        "eth_drop_not_ours", "arp_cache_full",         "ip_drop_bad_src",
        "icmp_rate_limited", "icmp_errors_suppressed", "icmp_drop_echo_bcast",
    };
    size_t found = 0;
    for (size_t i = 0; i < synack_stats_count(); i++)
        for (size_t k = 0; k < sizeof(mine) / sizeof(mine[0]); k++)
            if (strcmp(synack_stats_name(i), mine[k]) == 0)
                found++;
    assert_int_equal(found, sizeof(mine) / sizeof(mine[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_rejects_bad_arguments),
        cmocka_unit_test(test_failalloc_ethernet),
        cmocka_unit_test(test_failalloc_ip_link),
        cmocka_unit_test(test_no_allocation_after_new),
        cmocka_unit_test(test_trace_sees_frames_and_drops),
        cmocka_unit_test(test_trace_sink_limits),
        cmocka_unit_test(test_counters_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
