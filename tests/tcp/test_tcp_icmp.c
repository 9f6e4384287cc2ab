/* ICMP errors about our segments (src/tcp/icmp_err.c): RFC 1122 4.2.3.9
 * hard and soft errors, RFC 5461 4 (soft in synchronized states), RFC 5927
 * 4.1 (the quoted sequence number must be in flight) and RFC 1191 path MTU
 * discovery. Each test builds the ICMP message a router or the peer would
 * send, quoting the segment the stack sent. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "netframe.h"
#include "segtest.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

#define ROUTER 0x0a0000feu

static uint8_t data[4000];

/* Injects ICMP type 3 @p code from @p from quoting a segment of ours
 * (ST_LOCAL:@p sport -> ST_REMOTE:@p dport, sequence @p seq). @p mtu goes
 * into the low 16 bits of the header's second word (RFC 1191 4). */
static int inject_unreach(st *t, synack_ipv4 from, uint8_t code, uint16_t sport, uint16_t dport,
                          uint32_t seq, uint16_t mtu)
{
    uint8_t th[8] = {(uint8_t)(sport >> 8), (uint8_t)sport,       (uint8_t)(dport >> 8),
                     (uint8_t)dport,        (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
                     (uint8_t)(seq >> 8),   (uint8_t)seq};
    uint8_t quoted[64], icmp[128], dgram[256];
    size_t qlen = nf_ipv4(quoted, ST_LOCAL, ST_REMOTE, SK_IPPROTO_TCP, th, sizeof(th));
    size_t ilen = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, code, mtu, quoted, qlen);
    assert_true(ilen > 0);
    size_t dlen = nf_ipv4(dgram, from, ST_LOCAL, SK_IPPROTO_ICMP, icmp, ilen);
    return synack_stack_input(t->stack, dgram, dlen, t->now);
}

static void no_rto_floor(synack_config *cfg)
{
    cfg->tcp_syn_timeout_ns = 10 * ST_S;
}

/* RFC 1122 4.2.3.9: port unreachable is a hard error; in SYN-SENT the open
 * fails at once with "refused" (as Linux and the BSDs do; RFC 5461 4). */
static void test_port_unreachable_refuses_syn_sent(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg syn;
    assert_true(st_next(t, &syn));
    assert_int_equal(syn.flags, F_SYN);
    assert_int_equal(
        inject_unreach(t, ROUTER, SK_ICMP_UNREACH_PORT, syn.sport, ST_PORT, syn.seq, 0), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_REFUSED);
    assert_true(st_events(t, c) & SYNACK_TCP_EV_ERROR);
    assert_int_equal(st_stat(t, "tcp_icmp_aborted"), 1);
    /* Nothing more is sent: no retransmitted SYN. */
    st_advance(t, 5 * ST_S);
    st_expect_none(t);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* RFC 5927 4.1: a message quoting a sequence number outside SND.UNA..
 * SND.NXT (here ISS + 1000 in SYN-SENT, where only the SYN is in flight) is
 * not about our data and is ignored; so is one for a 4-tuple we do not have. */
static void test_unreachable_out_of_window_is_ignored(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg syn;
    assert_true(st_next(t, &syn));
    assert_int_equal(syn.flags, F_SYN);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_PORT, syn.sport, ST_PORT, syn.seq + 1000, 0);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_PORT, syn.sport, ST_PORT + 1, syn.seq, 0);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_PORT, (uint16_t)(syn.sport + 1), ST_PORT, syn.seq, 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    assert_int_equal(synack_tcp_error(c), 0);
    assert_int_equal(st_stat(t, "tcp_icmp_in"), 3);
    assert_int_equal(st_stat(t, "tcp_icmp_ignored"), 3);
    /* The SYN is still retransmitted after the initial RTO (RFC 6298 2.1). */
    st_advance(t, 1 * ST_S);
    st_expect(t, F_SYN, syn.seq, 0, 0, NULL);
    synack_tcp_abort(c, t->now);
    st_free(t);
}

/* RFC 1122 4.2.3.9: host unreachable is soft: "MUST NOT abort"; the open
 * goes on, and when it finally times out the error says why. */
static void test_host_unreachable_is_soft_then_reported(void **state)
{
    (void)state;
    st *t = st_new(no_rto_floor);
    synack_tcp *c;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &c), 0);
    st_seg syn;
    assert_true(st_next(t, &syn));
    assert_int_equal(syn.flags, F_SYN);
    assert_int_equal(
        inject_unreach(t, ROUTER, SK_ICMP_UNREACH_HOST, syn.sport, ST_PORT, syn.seq, 0), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_SYN_SENT);
    assert_int_equal(synack_tcp_error(c), 0);
    st_advance(t, 1 * ST_S);
    st_expect(t, F_SYN, syn.seq, 0, 0, NULL);
    st_advance(t, 20 * ST_S);
    st_drain(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(c), SYNACK_ERR_HOSTUNREACH);
    synack_tcp_close(c, t->now);
    st_free(t);
}

/* RFC 5461 4: in ESTABLISHED even a port unreachable is treated as soft:
 * the connection stays, data still flows. */
static void test_hard_error_is_soft_when_established(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    assert_int_equal(synack_tcp_send(k.c, data, 100, t->now), 100);
    st_seg s;
    st_expect(t, F_ACK | F_PSH, k.iss + 1, k.irs + 1, 100, &s);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_PORT, k.port, k.peer_port, s.seq, 0);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
    assert_int_equal(synack_tcp_error(k.c), 0);
    st_in(t, &k, F_ACK, k.irs + 1, k.iss + 101, NULL, 0);
    st_expect_none(t);
    synack_tcp_abort(k.c, t->now);
    st_free(t);
}

/* A soft error is about the path as it was: once an ACK shows data got
 * through, it is forgotten (as Linux clears sk_err_soft), and a later
 * timeout reports TIMEDOUT, not the stale HOSTUNREACH (RFC 1122 4.2.3.9
 * reports soft errors "at the end of a timeout" they explain). */
static void short_user_timeout(synack_config *cfg)
{
    cfg->tcp_user_timeout_ns = 10 * ST_S;
}

static void test_soft_error_forgotten_after_progress(void **state)
{
    (void)state;
    st *t = st_new(short_user_timeout);
    st_conn k;
    st_active_open(t, &k, 1460);
    assert_int_equal(synack_tcp_send(k.c, data, 100, t->now), 100);
    st_seg s;
    st_expect(t, F_ACK | F_PSH, k.iss + 1, k.irs + 1, 100, &s);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_HOST, k.port, k.peer_port, s.seq, 0);
    st_in(t, &k, F_ACK, k.irs + 1, k.iss + 101, NULL, 0); /* progress */
    assert_int_equal(synack_tcp_send(k.c, data, 100, t->now), 100);
    st_expect(t, F_ACK | F_PSH, k.iss + 101, k.irs + 1, 100, NULL);
    st_advance(t, 30 * ST_S); /* nothing answers: the user timeout */
    st_drain(t);
    assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_CLOSED);
    assert_int_equal(synack_tcp_error(k.c), SYNACK_ERR_TIMEDOUT);
    synack_tcp_close(k.c, t->now);
    st_free(t);
}

/* RFC 1191 6.3: "fragmentation needed" with a next-hop MTU of 1000 lowers
 * the send MSS to 960; the retransmission of the lost segment and what
 * follows fit it. A claim below 576 is raised to 576 (MSS 536). */
static void test_frag_needed_lowers_mss(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_active_open(t, &k, 1460);
    assert_int_equal(synack_tcp_mss(k.c), 1460);
    assert_int_equal(synack_tcp_send(k.c, data, 1460, t->now), 1460);
    st_seg s;
    st_expect(t, F_ACK | F_PSH, k.iss + 1, k.irs + 1, 1460, &s);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_NEEDFRAG, k.port, k.peer_port, s.seq, 1000);
    assert_int_equal(synack_tcp_mss(k.c), 960);
    assert_int_equal(st_stat(t, "tcp_pmtu_lowered"), 1);
    /* A larger MTU never raises it (RFC 1191 6.3 only lowers). */
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_NEEDFRAG, k.port, k.peer_port, s.seq, 1400);
    assert_int_equal(synack_tcp_mss(k.c), 960);
    /* The retransmission resegments at the new size. */
    assert_true(st_wait_output(t, 5 * ST_S) != UINT64_MAX);
    st_expect(t, F_ACK, k.iss + 1, k.irs + 1, 960, NULL);
    inject_unreach(t, ROUTER, SK_ICMP_UNREACH_NEEDFRAG, k.port, k.peer_port, s.seq, 68);
    assert_int_equal(synack_tcp_mss(k.c), 536);
    synack_tcp_abort(k.c, t->now);
    st_free(t);
}

/* A truncated quote (IP header but fewer than 8 bytes of TCP) is dropped
 * by the network layer and counted, never read past its end. */
static void test_truncated_quote_is_dropped(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint8_t quoted[64], icmp[128], dgram[256];
    uint8_t th[4] = {0, 80, 0, 80};
    size_t qlen = nf_ipv4(quoted, ST_LOCAL, ST_REMOTE, SK_IPPROTO_TCP, th, sizeof(th));
    size_t ilen = sk_icmp_emit(icmp, sizeof(icmp), SK_ICMP_DEST_UNREACH, SK_ICMP_UNREACH_PORT, 0,
                               quoted, qlen);
    size_t dlen = nf_ipv4(dgram, ROUTER, ST_LOCAL, SK_IPPROTO_ICMP, icmp, ilen);
    assert_int_equal(synack_stack_input(t->stack, dgram, dlen, t->now), SYNACK_ERR_MALFORMED);
    assert_int_equal(st_stat(t, "icmp_drop_malformed"), 1);
    assert_int_equal(st_stat(t, "tcp_icmp_in"), 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_unreachable_refuses_syn_sent),
        cmocka_unit_test(test_unreachable_out_of_window_is_ignored),
        cmocka_unit_test(test_host_unreachable_is_soft_then_reported),
        cmocka_unit_test(test_hard_error_is_soft_when_established),
        cmocka_unit_test(test_frag_needed_lowers_mss),
        cmocka_unit_test(test_truncated_quote_is_dropped),
        cmocka_unit_test(test_soft_error_forgotten_after_progress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
