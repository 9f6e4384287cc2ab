#include "segstate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

st_pos st_reach(st *t, st_conn *k, synack_tcp_state state)
{
    st_passive_open(t, k, 1460);
    uint32_t S = k->iss + 1, R = k->irs + 1;
    st_pos p = {S, R};
    switch (state) {
    case SYNACK_TCP_ESTABLISHED:
        break;
    case SYNACK_TCP_FIN_WAIT_1:
    case SYNACK_TCP_FIN_WAIT_2:
    case SYNACK_TCP_CLOSING:
    case SYNACK_TCP_TIME_WAIT:
        assert_int_equal(synack_tcp_shutdown(k->c, t->now), 0);
        st_expect(t, F_FIN | F_ACK, S, R, 0, NULL);
        p.snd_nxt = S + 1;
        if (state == SYNACK_TCP_FIN_WAIT_2) {
            st_in(t, k, F_ACK, R, S + 1, NULL, 0);
        } else if (state == SYNACK_TCP_CLOSING) {
            st_in(t, k, F_FIN | F_ACK, R, S, NULL, 0); /* crossed: does not ACK our FIN */
            st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
            p.rcv_nxt = R + 1;
        } else if (state == SYNACK_TCP_TIME_WAIT) {
            st_in(t, k, F_FIN | F_ACK, R, S + 1, NULL, 0);
            st_expect(t, F_ACK, S + 1, R + 1, 0, NULL);
            p.rcv_nxt = R + 1;
        }
        break;
    case SYNACK_TCP_CLOSE_WAIT:
    case SYNACK_TCP_LAST_ACK:
        st_in(t, k, F_FIN | F_ACK, R, S, NULL, 0);
        st_expect(t, F_ACK, S, R + 1, 0, NULL);
        p.rcv_nxt = R + 1;
        if (state == SYNACK_TCP_LAST_ACK) {
            assert_int_equal(synack_tcp_shutdown(k->c, t->now), 0);
            st_expect(t, F_FIN | F_ACK, S, R + 1, 0, NULL);
            p.snd_nxt = S + 1;
        }
        break;
    default:
        fail_msg("st_reach: %s is not a state it reaches", synack_tcp_state_name(state));
    }
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k->c), state);
    return p;
}
