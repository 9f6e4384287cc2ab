/* synack_tcp_rcv_queued / synack_tcp_snd_queued: what FIONREAD and
 * SIOCOUTQ report, exact to the byte. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "segtest.h"

static void test_queued_bytes(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    assert_int_equal(synack_tcp_rcv_queued(k.c), 0);
    assert_int_equal(synack_tcp_snd_queued(k.c), 0);
    assert_int_equal(synack_tcp_rcv_queued(k.l), 0); /* a listener has no queue */

    st_in(t, &k, F_ACK, k.irs + 1, k.iss + 1, "hello", 5);
    st_expect(t, F_ACK, k.iss + 1, k.irs + 6, 0, NULL);
    assert_int_equal(synack_tcp_rcv_queued(k.c), 5);
    char buf[8];
    /* peeking copies without consuming, however often */
    assert_int_equal(synack_tcp_peek(k.c, buf, 3), 3);
    assert_memory_equal(buf, "hel", 3);
    assert_int_equal(synack_tcp_peek(k.c, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(synack_tcp_rcv_queued(k.c), 5);
    assert_int_equal(synack_tcp_recv(k.c, buf, 2, t->now), 2);
    assert_int_equal(synack_tcp_rcv_queued(k.c), 3);
    assert_int_equal(synack_tcp_peek(k.c, buf, sizeof(buf)), 3);
    assert_memory_equal(buf, "llo", 3);
    assert_int_equal(synack_tcp_peek(k.l, buf, 1), SYNACK_ERR_INVAL);

    /* sent and unacknowledged bytes stay queued until the ACK */
    assert_int_equal(synack_tcp_send(k.c, "0123456789", 10, t->now), 10);
    st_expect(t, F_ACK | F_PSH, k.iss + 1, k.irs + 6, 10, NULL);
    assert_int_equal(synack_tcp_snd_queued(k.c), 10);
    st_in(t, &k, F_ACK, k.irs + 6, k.iss + 5, NULL, 0);
    assert_int_equal(synack_tcp_snd_queued(k.c), 6);
    st_in(t, &k, F_ACK, k.irs + 6, k.iss + 11, NULL, 0);
    assert_int_equal(synack_tcp_snd_queued(k.c), 0);
    /* drained: nothing to peek yet, then the end of stream */
    assert_int_equal(synack_tcp_recv(k.c, buf, sizeof(buf), t->now), 3);
    assert_int_equal(synack_tcp_peek(k.c, buf, sizeof(buf)), SYNACK_ERR_AGAIN);
    st_in(t, &k, F_ACK | F_FIN, k.irs + 6, k.iss + 11, NULL, 0);
    assert_int_equal(synack_tcp_peek(k.c, buf, sizeof(buf)), 0);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queued_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
