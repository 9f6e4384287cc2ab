/* Bugs the lifecycle simulation (test_tcp_lifecycle.c) found, each replayed
 * here segment by segment so that it stays fixed whatever the simulation's
 * random scripts become. Each test names the seed that found it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "failalloc.h"
#include "segtest.h"

#define PEER_PORT 40000
#define PORT      80
#define X         1000u /* the peer's ISN */

static uint8_t payload[4000];

/* Passive open with the peer offering @p win; returns the accepted
 * connection and our ISS. */
static synack_tcp *open_with_window(st *t, uint16_t win, uint32_t *iss)
{
    synack_tcp *l, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, PORT, 8, t->now, &l), 0);
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1000;
    st_inject(t, PEER_PORT, PORT, F_SYN, X, 0, win, &o, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, X + 1);
    *iss = s.seq;
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 1, *iss + 1, win, NULL, NULL, 0);
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    assert_int_equal(synack_tcp_close(l, t->now), 0);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 13 + 5);
    return c;
}

/* Seed 63: close() in CLOSE-WAIT with data still queued behind a full
 * window enters LAST-ACK before the FIN is sent. The ACK that opened the
 * window was then dropped by the LAST-ACK rule ("the only thing that can
 * arrive is the ACK of our FIN"), nothing was armed to send the rest, and
 * both ends waited for ever. RFC 9293 3.10.4 sends the FIN only once the
 * queued data is segmentized, so until then the ESTABLISHED processing of
 * the ACK must go on sending. */
static void test_last_ack_sends_queued_data_when_window_opens(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = open_with_window(t, 1000, &y);
    /* The peer closes its side; we answer with 3000 bytes, then close. */
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 1, 1000, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 1, X + 2, 0, NULL);
    assert_int_equal(synack_tcp_send(c, payload, 3000, t->now), 3000);
    st_expect(t, F_ACK, y + 1, X + 2, 1000, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    st_expect_none(t); /* the window is full: nothing more yet */
    /* Each ACK opens the window again: the rest goes, then the FIN. */
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 2, y + 1001, 1000, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 1001, X + 2, 1000, NULL);
    st_expect_none(t);
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 2, y + 2001, 1000, NULL, NULL, 0);
    st_expect(t, F_ACK | F_PSH | F_FIN, y + 2001, X + 2, 1000, NULL);
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 2, y + 3002, 1000, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_free(t);
}

/* The same in CLOSING: our FIN queued behind data when the peer's FIN came
 * (simultaneous close, RFC 9293 Figure 13); "in addition to the
 * processing for the ESTABLISHED state" (3.10.7.4) the window update must
 * let the data and the FIN out. */
static void test_closing_sends_queued_data_when_window_opens(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = open_with_window(t, 1000, &y);
    assert_int_equal(synack_tcp_send(c, payload, 2000, t->now), 2000);
    st_expect(t, F_ACK, y + 1, X + 1, 1000, NULL);
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_FIN_WAIT_1);
    st_expect_none(t);
    /* The peer's FIN crosses: CLOSING, our FIN still unsent. */
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 1, 1000, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 1001, X + 2, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_CLOSING);
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 2, y + 1001, 1000, NULL, NULL, 0);
    st_expect(t, F_ACK | F_PSH | F_FIN, y + 1001, X + 2, 1000, NULL);
    st_inject(t, PEER_PORT, PORT, F_ACK, X + 2, y + 2002, 1000, NULL, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    synack_tcp_close(c, t->now);
    st_free(t);
}

static int drop_output(void *user, const uint8_t *frame, size_t len, uint64_t now)
{
    (void)user;
    (void)frame;
    (void)len;
    (void)now;
    return 0;
}

/* Seed 1000 of the allocation-failure test: when the listener state could
 * not be allocated, synack_tcp_listen freed its TCB while the TCB was still
 * on the stack's list of all TCBs, and synack_stack_del freed it again.
 * Every allocation listen makes fails in turn here; each must leave
 * nothing behind, and the stack must still listen afterwards. */
static void test_listen_nomem_frees_cleanly(void **state)
{
    (void)state;
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.link = SYNACK_LINK_IP;
    cfg.addr = ST_LOCAL;
    synack_callbacks cb = {.output = drop_output};
    int failures = 0;
    for (long n = 1;; n++) {
        failalloc fa;
        failalloc_init(&fa, 0);
        synack_stack *s;
        assert_int_equal(synack_stack_new(&cfg, &cb, &fa.mem, NULL, 0, &s), 0);
        fa.fail_at = fa.count + n;
        synack_tcp *l;
        int rv = synack_tcp_listen(s, 0, PORT, 8, 0, &l);
        if (rv == 0) {
            assert_false(fa.failed); /* past the last allocation listen makes */
            synack_stack_del(s);
            assert_int_equal(fa.live, 0);
            break;
        }
        assert_int_equal(rv, SYNACK_ERR_NOMEM);
        failures++;
        assert_int_equal(synack_tcp_listen(s, 0, PORT, 8, 0, &l), 0);
        synack_stack_del(s);
        assert_int_equal(fa.live, 0);
    }
    assert_true(failures >= 2); /* the TCB and the listener state */
}

/* Seed 1000 of the allocation-failure test, allocation 29: when the
 * compact TIME-WAIT entry could not be allocated, the connection skipped
 * TIME-WAIT altogether and a retransmitted FIN drew a RST. RFC 9293 3.6
 * asks for 2 MSL; the full TCB can serve them. */
static void test_time_wait_kept_without_memory_for_compact_entry(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    synack_stack_del(t->stack);
    failalloc fa;
    failalloc_init(&fa, 0);
    synack_callbacks cb = {.output = tcap_output};
    assert_int_equal(synack_stack_new(&t->cfg, &cb, &fa.mem, t->cap, t->now, &t->stack), 0);
    uint32_t y;
    synack_tcp *c = open_with_window(t, 65535, &y);
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, y + 1, X + 1, 0, NULL);
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 2, X + 2, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    fa.fail_at = fa.count + 1;
    assert_int_equal(synack_tcp_close(c, t->now), 0);
    assert_true(fa.failed);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    /* Still in TIME-WAIT: a retransmitted FIN is acknowledged, not reset. */
    st_advance(t, 10 * ST_S);
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 2, X + 2, 0, NULL);
    st_advance(t, 2 * t->cfg.tcp_msl_ns - 1 * ST_S);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_advance(t, 2 * ST_S);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(st_stat(t, "tcp_time_wait_dropped"), 0);
    st_free(t);
    assert_int_equal(fa.live, 0);
}

/* Seeds 401, 1019, 1058, 1420, 1520, 2290, 2655 and 2728 of 3000: an app
 * that aborts a connection already in TIME-WAIT (its side read the end of
 * stream, then its abort timer fired) deleted the TCB at once, as RFC 9293
 * 3.10.5 literally says for TIME-WAIT. That ended TIME-WAIT before 2 MSL
 * (3.3.2), so the peer's retransmitted FIN, after our last ACK was lost,
 * drew a RST instead of the ACK 3.10.7.4 asks for: "The only thing that
 * can arrive in this state is a retransmission of the remote FIN.
 * Acknowledge it, and restart the 2 MSL timeout." Abort releases the
 * handle; the TIME-WAIT entry serves out its time. */
static void test_abort_in_time_wait_keeps_time_wait(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    uint32_t y;
    synack_tcp *c = open_with_window(t, 65535, &y);
    assert_int_equal(synack_tcp_shutdown(c, t->now), 0);
    st_expect(t, F_FIN | F_ACK, y + 1, X + 1, 0, NULL);
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 2, X + 2, 0, NULL);
    assert_int_equal(synack_tcp_get_state(c), SYNACK_TCP_TIME_WAIT);
    uint32_t id = synack_tcp_id(c);
    st_advance(t, 1 * ST_S);
    assert_int_equal(synack_tcp_abort(c, t->now), 0);
    st_expect_none(t); /* no RST in TIME-WAIT (3.10.5) */
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    /* Our last ACK was lost: the peer's FIN again is ACKed, not reset. */
    st_advance(t, 10 * ST_S);
    st_inject(t, PEER_PORT, PORT, F_FIN | F_ACK, X + 1, y + 2, 65535, NULL, NULL, 0);
    st_expect(t, F_ACK, y + 2, X + 2, 0, NULL);
    /* The retransmitted FIN restarted the 2 MSL timeout. */
    st_advance(t, 2 * t->cfg.tcp_msl_ns - 1 * ST_MS);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_advance(t, 2 * ST_MS);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    st_expect_states(t, id, SYNACK_TCP_LISTEN, SYNACK_TCP_SYN_RCVD, SYNACK_TCP_ESTABLISHED,
                     SYNACK_TCP_FIN_WAIT_1, SYNACK_TCP_TIME_WAIT, SYNACK_TCP_CLOSED);
    assert_int_equal(st_stat(t, "tcp_rst_out"), 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_ack_sends_queued_data_when_window_opens),
        cmocka_unit_test(test_closing_sends_queued_data_when_window_opens),
        cmocka_unit_test(test_listen_nomem_frees_cleanly),
        cmocka_unit_test(test_time_wait_kept_without_memory_for_compact_entry),
        cmocka_unit_test(test_abort_in_time_wait_keeps_time_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
