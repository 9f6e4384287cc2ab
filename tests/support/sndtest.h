/* Send-side segment tests (congestion window, loss recovery, Nagle, RTO),
 * on top of segtest.h: a passive open with the peer's SYN options chosen by
 * the test, writes of a known pattern, pure ACKs from the peer with SACK
 * blocks or timestamps, and runs of full-sized data segments expected in
 * one call. The peer never sends data of its own, so its sequence number
 * stays IRS + 1. */
#ifndef SYNACK_TEST_SNDTEST_H
#define SYNACK_TEST_SNDTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "segtest.h"

/* What the peer's SYN offers and how the handshake goes. */
typedef struct st_peer {
    uint16_t mss; /* MSS option (0: none) */
    bool sack;    /* SACK-permitted (RFC 2018 2) */
    bool ts;      /* timestamps (RFC 7323 3); the peer's TSval starts at ST_PEER_TS */
    uint16_t win; /* the window of the handshake's ACK (0 means ST_WIN) */
    uint64_t rtt; /* the time between our SYN-ACK and the peer's ACK of it */
} st_peer;

#define ST_PEER_TS 5000u

/* Listens on ST_PORT, plays the peer's SYN with @p p's options, checks the
 * SYN-ACK, advances the clock by p->rtt, sends the ACK (with a timestamp
 * echoing the SYN-ACK's when agreed) and accepts. Leaves nothing pending. */
void st_open_peer(st *t, st_conn *k, const st_peer *p);

/* An active open (st_active_open's ports and ISN, peer MSS 1460) whose
 * first SYN is lost: the SYN goes again after the initial RTO (1 s), the
 * SYN-ACK answers that one. Leaves nothing pending. */
void st_open_after_syn_loss(st *t, st_conn *k);

/* A config tweak for st_new: NewReno (SYNACK_CC_NEWRENO). */
void st_newreno(synack_config *cfg);

/* A stack with NewReno, a passive open with @p p (p->mss set), and a write
 * of @p n >= 10 * p->mss bytes: the initial window's 10 segments go
 * (RFC 6928, PSH on the last if it ends the write), checked; nothing else.
 * The options agreed are checked to be those offered. */
st *st_open_written(st_conn *k, const st_peer *p, uint32_t n);

/* Writes @p n bytes (a repeating pattern) and asserts all were taken. */
void st_write(st *t, const st_conn *k, size_t n);

/* A pure ACK from the peer: ACK = @p ack, window @p win, the @p nsack
 * blocks in @p edges as (left, right) pairs, and a timestamp (TSval
 * ST_PEER_TS, TSecr @p tsecr) when @p tsecr is not 0. @return what
 * synack_stack_input returned. */
int st_ack_full(st *t, const st_conn *k, uint32_t ack, uint16_t win, size_t nsack,
                const uint32_t *edges, uint32_t tsecr);
/* The same with window ST_WIN, no SACK, no timestamp. */
int st_ack(st *t, const st_conn *k, uint32_t ack);
/* With window ST_WIN and SACK blocks: st_ack_sack(t, k, ack, l1, r1, l2, r2...). */
#define st_ack_sack(t, k, ack, ...)                                                                \
    st_ack_full((t), (k), (ack), ST_WIN,                                                           \
                sizeof((const uint32_t[]){__VA_ARGS__}) / (2 * sizeof(uint32_t)),                  \
                (const uint32_t[]){__VA_ARGS__}, 0)

/* Expects data segments covering [@p seq, @p seq + @p len) in pieces of
 * @p mss (the last may be shorter), acknowledging the peer's IRS + 1, PSH
 * on the last one if @p psh_last. */
void st_expect_run_(st *t, const st_conn *k, uint32_t seq, uint32_t len, uint32_t mss,
                    bool psh_last, const char *file, int line);
#define st_expect_run(t, k, seq, len, mss, psh_last)                                               \
    st_expect_run_((t), (k), (seq), (len), (mss), (psh_last), __FILE__, __LINE__)

/* Runs the timers until the stack sends, which must be exactly @p after
 * from now, and expects that segment: @p flags, data [@p seq, @p seq +
 * @p len) acknowledging IRS + 1 (a timeout's retransmission). */
void st_expect_timeout_(st *t, const st_conn *k, uint64_t after, uint8_t flags, uint32_t seq,
                        uint32_t len, const char *file, int line);
#define st_expect_timeout(t, k, after, flags, seq, len)                                            \
    st_expect_timeout_((t), (k), (after), (flags), (seq), (len), __FILE__, __LINE__)

/* synack_tcp_get_info of k's connection, asserted to succeed. */
synack_tcp_info st_info(const st_conn *k);

#endif
