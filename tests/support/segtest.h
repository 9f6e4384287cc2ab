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

#endif
