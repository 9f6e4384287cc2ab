/* Keep-alive between two whole stacks on a memlink, under the virtual
 * clock (RFC 1122 4.2.3.6): A connects to B with keep-alive on (Linux's
 * times: 7200 s idle, 75 s between probes, 9 probes), B has it off. While
 * B is there it answers every probe and the idle connection lives on for
 * hours; once B vanishes (every frame lost) A gives up exactly 7200 s +
 * 9 * 75 s after the last segment it received, with SYNACK_ERR_TIMEDOUT,
 * while B, which never probes, still holds its half of the connection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/synack.h"

#define SEC    1000000000ULL
#define HOUR   (3600 * SEC)
#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u
#define PORT   7
#define RTT    (20 * 1000000ULL)

typedef struct sim {
    synack_memlink *link;
    synack_stack *a, *b;
    synack_tcp *ca, *lb, *cb;
    uint64_t last_to_a; /* when a frame last reached A */
} sim;

static void tap(void *ud, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                size_t len, uint64_t now)
{
    (void)from;
    (void)frame;
    (void)len;
    sim *s = ud;
    if (ev == SYNACK_MEMLINK_DELIVERED && to == 0)
        s->last_to_a = now;
}

static bool a_closed(void *ud)
{
    const sim *s = ud;
    return synack_tcp_get_state(s->ca) == SYNACK_TCP_CLOSED;
}

static uint64_t stat_of(synack_stack *st, const char *name)
{
    const synack_stats *stats = synack_stack_stats(st);
    const uint64_t *v = (const uint64_t *)(const void *)stats;
    for (size_t i = 0; i < synack_stats_count(); i++)
        if (strcmp(synack_stats_name(i), name) == 0)
            return v[i];
    fail_msg("no counter %s", name);
    return 0;
}

static void test_keepalive_peer_vanishes(void **state)
{
    (void)state;
    sim s;
    memset(&s, 0, sizeof(s));
    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    lc.impairments.delay_ns = RTT / 2;
    assert_int_equal(synack_memlink_new(&lc, NULL, &s.link), 0);
    synack_memlink_set_tap(s.link, tap, &s);
    synack_config cfg;
    synack_config_default(&cfg);
    assert_int_equal(synack_config_profile(&cfg, "linux"), 0);
    cfg.link = SYNACK_LINK_IP;
    cfg.addr = ADDR_A;
    cfg.tcp_keepalive = true;
    assert_int_equal(synack_memlink_attach(s.link, &cfg, NULL, NULL, &s, &s.a), 0);
    cfg.addr = ADDR_B;
    cfg.tcp_keepalive = false;
    cfg.seed = 2;
    assert_int_equal(synack_memlink_attach(s.link, &cfg, NULL, NULL, &s, &s.b), 0);

    uint64_t now = synack_memlink_now(s.link);
    assert_int_equal(synack_tcp_listen(s.b, 0, PORT, 4, now, &s.lb), 0);
    assert_int_equal(synack_tcp_connect(s.a, ADDR_B, PORT, 0, now, &s.ca), 0);
    synack_memlink_run(s.link, now + SEC, NULL, NULL);
    now = synack_memlink_now(s.link);
    assert_int_equal(synack_tcp_accept(s.lb, &s.cb, now), 0);
    assert_int_equal(synack_tcp_get_state(s.ca), SYNACK_TCP_ESTABLISHED);
    uint64_t est = s.last_to_a; /* the SYN-ACK reached A */

    /* Five idle hours with B there: probes at 2 h and 4 h, both answered. */
    synack_memlink_run(s.link, now + 5 * HOUR, NULL, NULL);
    assert_int_equal(stat_of(s.a, "tcp_keepalive_probes"), 2);
    assert_int_equal(stat_of(s.b, "tcp_keepalive_probes"), 0);
    assert_int_equal(synack_tcp_get_state(s.ca), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_get_state(s.cb), SYNACK_TCP_ESTABLISHED);
    /* Each probe 7200 s after the last answer, answered a round trip later. */
    uint64_t last = s.last_to_a;
    assert_int_equal(last, est + 2 * (7200 * SEC + RTT));

    /* B vanishes: nothing gets through any more. */
    synack_impairments lost;
    memset(&lost, 0, sizeof(lost));
    lost.loss = 1.0;
    assert_int_equal(synack_memlink_set_impairments(s.link, 0, &lost), 0);
    assert_int_equal(synack_memlink_set_impairments(s.link, 1, &lost), 0);
    synack_memlink_run(s.link, UINT64_MAX, a_closed, &s);
    assert_int_equal(synack_tcp_get_state(s.ca), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_memlink_now(s.link), last + 7200 * SEC + 9 * 75 * SEC);
    assert_int_equal(synack_tcp_error(s.ca), SYNACK_ERR_TIMEDOUT);
    assert_int_equal(stat_of(s.a, "tcp_keepalive_probes"), 2 + 9);
    assert_int_equal(stat_of(s.a, "tcp_keepalive_drops"), 1);
    assert_int_equal(s.last_to_a, last);
    /* B never probes: its half of the connection stays (the reason to
     * turn keep-alive on at the end that must notice). */
    assert_int_equal(synack_tcp_get_state(s.cb), SYNACK_TCP_ESTABLISHED);

    synack_tcp_close(s.ca, synack_memlink_now(s.link));
    synack_tcp_abort(s.cb, synack_memlink_now(s.link));
    synack_tcp_close(s.lb, synack_memlink_now(s.link));
    synack_stack_del(s.a);
    synack_stack_del(s.b);
    synack_memlink_del(s.link);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalive_peer_vanishes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
