/* Segment-level TCP tests (DESIGN.md test ring 2, in the spirit of
 * packetdrill and smoltcp): one stack on an IP-only link at 10.0.0.2; the
 * test plays the peer 10.0.0.1, injects exact segments and expects exact
 * replies. Times are explicit: nothing happens until the test advances the
 * clock. */
#ifndef SYNACK_TEST_SEGTEST_H
#define SYNACK_TEST_SEGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "countalloc.h"
#include "synack/synack.h"
#include "wire/tcp.h"

#define ST_US 1000ULL
#define ST_MS 1000000ULL
#define ST_S  1000000000ULL

#define ST_LOCAL  0x0a000002u /* the stack under test */
#define ST_REMOTE 0x0a000001u /* the peer the test plays */

/* Flag shorthands for scripts. */
#define F_SYN SK_TCP_SYN
#define F_ACK SK_TCP_ACK
#define F_FIN SK_TCP_FIN
#define F_RST SK_TCP_RST
#define F_PSH SK_TCP_PSH

typedef struct st_seg {
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    uint16_t sport, dport;
    sk_tcp_opts opts;
    uint8_t data[2048];
    size_t len;
    uint64_t when;
} st_seg;

/* One TCP state change reported by the trace hook. */
typedef struct st_state_ev {
    uint32_t conn_id;
    synack_tcp_state old_state, new_state;
    uint64_t now;
} st_state_ev;

#define ST_MAX_STATE_EVS 256

typedef struct st {
    synack_stack *stack;
    synack_config cfg;
    tcap *cap;
    size_t next_out; /* next captured frame to examine */
    uint64_t now;
    /* events seen by the tcp_event callback */
    synack_tcp *ev_conn[64];
    uint32_t ev_bits[64];
    size_t nev;
    /* state changes seen by the trace sink, in order */
    st_state_ev states[ST_MAX_STATE_EVS];
    size_t nstates;
    /* the stack's memory, through a counting allocator */
    countalloc alloc;
} st;

/* A stack with the given config tweaks applied by @p tweak (may be NULL). */
st *st_new(void (*tweak)(synack_config *cfg));
void st_free(st *t);

/* Sends a segment from the peer (ST_REMOTE:@p sport) to the stack's port
 * @p dport. @p opts may be NULL. Returns synack_stack_input's result. */
int st_inject(st *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
              uint16_t win, const sk_tcp_opts *opts, const void *data, size_t len);

/* Pops the next segment the stack sent; false if none. Aborts the test on
 * a frame that is not a valid IPv4/TCP segment with a correct checksum. */
bool st_next(st *t, st_seg *out);

/* Asserts the next segment has exactly these flags, seq and ack (ack is
 * ignored when the ACK flag is absent) and payload length. */
void st_expect_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, size_t len, st_seg *out,
                const char *file, int line);
#define st_expect(t, flags, seq, ack, len, out)                                                    \
    st_expect_((t), (flags), (seq), (ack), (len), (out), __FILE__, __LINE__)

/* Asserts nothing more was sent. */
void st_expect_none_(st *t, const char *file, int line);
#define st_expect_none(t) st_expect_none_((t), __FILE__, __LINE__)

/* Advances the clock by @p ns, running every timer that falls due in
 * order (each at its own time). */
void st_advance(st *t, uint64_t ns);

/* Runs timers up to the next one only; returns the time it fired at, or
 * UINT64_MAX if none is armed. */
uint64_t st_run_next_timer(st *t);

/* Counter by name (e.g. "tcp_rst_out"). */
uint64_t st_stat(st *t, const char *name);

/* Like st_expect, and also the advertised window. */
void st_expect_w_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, size_t len,
                  st_seg *out, const char *file, int line);
#define st_expect_w(t, flags, seq, ack, win, len, out)                                             \
    st_expect_w_((t), (flags), (seq), (ack), (win), (len), (out), __FILE__, __LINE__)

/* Like st_expect, and also the time the segment was sent. */
void st_expect_at_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, size_t len, uint64_t when,
                   const char *file, int line);
#define st_expect_at(t, flags, seq, ack, len, when)                                                \
    st_expect_at_((t), (flags), (seq), (ack), (len), (when), __FILE__, __LINE__)

/* Runs timers one at a time until the stack sends something or the clock
 * would pass @p limit_ns from now; the clock stays at the firing that sent
 * (or at now + limit_ns). Returns the time of that firing, or UINT64_MAX
 * when nothing was sent. The segment itself is left for st_expect. */
uint64_t st_wait_output(st *t, uint64_t limit_ns);

/* Forgets every segment sent so far (after asserting nothing is pending is
 * not wanted: for tests that send hundreds of segments). */
void st_drain(st *t);

/* Asserts that the trace hook reported exactly this sequence of states for
 * connection @p conn_id since the stack was created: the first state named is
 * where the first change starts from (CLOSED, or LISTEN for a listener's
 * child), each following one the end of one change, in order. */
void st_expect_states_(st *t, uint32_t conn_id, const synack_tcp_state *want, size_t n,
                       const char *file, int line);
#define st_expect_states(t, conn_id, ...)                                                          \
    st_expect_states_((t), (conn_id), (const synack_tcp_state[]){__VA_ARGS__},                     \
                      sizeof((const synack_tcp_state[]){__VA_ARGS__}) / sizeof(synack_tcp_state),  \
                      __FILE__, __LINE__)

/* The bits the tcp_event callback delivered for @p conn, OR-ed together. */
uint32_t st_events(st *t, const synack_tcp *conn);

/* ---- reaching a state quickly ---- */

#define ST_PORT      80    /* the stack's port in passive opens; the peer's in active ones */
#define ST_PEER_PORT 40000 /* the peer's port in passive opens */
#define ST_PEER_ISN  1000u /* the peer's ISN (IRS as the stack sees it) */
#define ST_WIN       65535

typedef struct st_conn {
    synack_tcp *c;      /* the connection under test */
    synack_tcp *l;      /* its listener (passive opens), else NULL */
    uint16_t port;      /* the stack's port */
    uint16_t peer_port; /* the peer's port */
    uint32_t iss;       /* the stack's ISS */
    uint32_t irs;       /* the peer's ISS */
} st_conn;

/* Listens on ST_PORT (backlog 8), plays SYN (peer MSS option @p mss, none
 * if 0) / SYN+ACK / ACK from ST_PEER_PORT with ISN ST_PEER_ISN, accepts.
 * Asserts each step; leaves no segment pending. */
void st_passive_open(st *t, st_conn *k, uint16_t mss);
/* The same with the peer's SYN carrying @p syn (NULL: no options); the
 * handshake's ACK carries a timestamp when both SYNs did. The SYN+ACK is
 * copied to @p synack unless NULL. */
void st_passive_open_opts(st *t, st_conn *k, const sk_tcp_opts *syn, st_seg *synack);
/* Connects to ST_PORT, answers SYN+ACK with ISN ST_PEER_ISN (MSS @p mss, none
 * if 0), expects the ACK. Leaves no segment pending. */
void st_active_open(st *t, st_conn *k, uint16_t mss);
/* Its two halves: connects and expects the SYN (k's ports and ISS set)... */
void st_connect(st *t, st_conn *k);
/* ... and answers with the SYN+ACK, expecting the ACK. */
void st_answer_syn(st *t, const st_conn *k, uint16_t mss);
/* Injects a segment from the peer on @p k's 4-tuple with window ST_WIN. */
int st_in(st *t, const st_conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
          size_t len);
/* The same with an explicit window. */
int st_in_w(st *t, const st_conn *k, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
            const void *data, size_t len);

#endif
