/* Reaching any synchronized state of RFC 9293 Figure 5 in a few exact
 * segments, for tests that start from it (on top of segtest.h). */
#ifndef SYNACK_TEST_SEGSTATE_H
#define SYNACK_TEST_SEGSTATE_H

#include <stdint.h>

#include "segtest.h"

/* Where a connection stands once st_reach returns: SND.NXT (what the
 * stack sends next, past its FIN if sent) and RCV.NXT (past the peer's FIN
 * if received). With no data exchanged these are ISS+1 or ISS+2 and
 * IRS+1 or IRS+2. */
typedef struct st_pos {
    uint32_t snd_nxt;
    uint32_t rcv_nxt;
} st_pos;

/* Passive open (st_passive_open, peer MSS 1460), then the segments that
 * lead to @p state, each checked exactly; the handle stays the user's (the
 * close that leads to LAST-ACK is a shutdown). @p state is one of
 * ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK,
 * TIME-WAIT. Leaves no segment pending. */
st_pos st_reach(st *t, st_conn *k, synack_tcp_state state);

#endif
