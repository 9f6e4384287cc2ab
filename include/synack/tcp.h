/* synack — TCP connections: a socket-like API over RFC 9293.
 *
 * A connection or listener is a synack_tcp handle owned by its stack.
 *
 * Readiness events (fit for epoll/libuv-style loops): each handle has a
 * level — synack_tcp_events() says at any time what it is ready for — and
 * the stack's `tcp_event` callback (synack_callbacks) is told, edge-style,
 * whenever new readiness appears. Events are collected while the stack
 * works and delivered when the entry point that caused them is about to
 * return, so the callback may call any synack_tcp_* function (including
 * close) and is never re-entered.
 *
 * Lifetime: a handle stays valid until the user calls synack_tcp_close()
 * or synack_tcp_abort() on it. After that the stack finishes the connection
 * on its own (FIN exchange, TIME-WAIT) and frees it; the handle must not be
 * used again. A connection that fails (refused, reset, timed out) stays
 * valid, in CLOSED with synack_tcp_error() set, until the user closes it.
 */
#ifndef SYNACK_TCP_H
#define SYNACK_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_stack synack_stack;
typedef struct synack_tcp synack_tcp;

/* Readiness bits (synack_tcp_events, and the tcp_event callback). */
#define SYNACK_TCP_EV_CONNECTED  0x01u /**< handshake completed (active or accepted) */
#define SYNACK_TCP_EV_READABLE   0x02u /**< data to read, or the peer's FIN (recv returns 0) */
#define SYNACK_TCP_EV_WRITABLE   0x04u /**< send buffer has room */
#define SYNACK_TCP_EV_ACCEPTABLE 0x08u /**< listener: a connection waits in the accept queue */
#define SYNACK_TCP_EV_ERROR      0x10u /**< synack_tcp_error() is set (refused, reset, timed out) */
#define SYNACK_TCP_EV_CLOSED     0x20u /**< reached CLOSED (after TIME-WAIT, LAST-ACK, or an error) */

/** Called with the newly raised bits of @p events for @p conn. */
typedef void (*synack_tcp_event_fn)(void *user_data, synack_tcp *conn, uint32_t events);

/** Opens a listener on @p addr (0 = any of ours) and @p port (RFC 9293
 *  3.10.1, passive OPEN). @p backlog bounds connections completed and not
 *  yet accepted plus those in SYN-RCVD (>= 1).
 *  @return 0, SYNACK_ERR_INVAL, SYNACK_ERR_ADDRINUSE, SYNACK_ERR_LIMIT,
 *          SYNACK_ERR_NOMEM. */
int synack_tcp_listen(synack_stack *stack, synack_ipv4 addr, uint16_t port, int backlog,
                      uint64_t now, synack_tcp **out);

/** Takes the oldest established connection from a listener's queue.
 *  @return 0, SYNACK_ERR_AGAIN (queue empty), SYNACK_ERR_INVAL (not a listener). */
int synack_tcp_accept(synack_tcp *listener, synack_tcp **out, uint64_t now);

/** Active OPEN (RFC 9293 3.10.1): sends a SYN to @p dst:@p port from an
 *  ephemeral port. Completion is reported by SYNACK_TCP_EV_CONNECTED or
 *  SYNACK_TCP_EV_ERROR (SYNACK_ERR_REFUSED, _TIMEDOUT, _HOSTUNREACH).
 *  @param src_port 0 for an ephemeral port.
 *  @return 0, SYNACK_ERR_INVAL, SYNACK_ERR_NOROUTE, SYNACK_ERR_ADDRINUSE,
 *          SYNACK_ERR_LIMIT, SYNACK_ERR_NOMEM. */
int synack_tcp_connect(synack_stack *stack, synack_ipv4 dst, uint16_t port, uint16_t src_port,
                       uint64_t now, synack_tcp **out);

/** Queues up to @p len bytes for sending (RFC 9293 3.10.2).
 *  @return bytes queued (> 0), SYNACK_ERR_AGAIN (buffer full, or not yet
 *  connected), SYNACK_ERR_CLOSED (send side shut down), SYNACK_ERR_NOTCONN,
 *  or the connection's error (SYNACK_ERR_RESET, ...). */
ssize_t synack_tcp_send(synack_tcp *conn, const void *data, size_t len, uint64_t now);

/** Reads up to @p len bytes in order (RFC 9293 3.10.3).
 *  @return bytes read (> 0), 0 at end of stream (the peer's FIN was read),
 *  SYNACK_ERR_AGAIN (nothing yet), or the connection's error. */
ssize_t synack_tcp_recv(synack_tcp *conn, void *buf, size_t len, uint64_t now);

/** Shuts down the send side: a FIN follows the queued data (RFC 9293
 *  3.10.4 CLOSE while still able to receive: the half-close).
 *  @return 0, SYNACK_ERR_NOTCONN (never connected), SYNACK_ERR_CLOSED (already). */
int synack_tcp_shutdown(synack_tcp *conn, uint64_t now);

/** Graceful close and release of the handle (RFC 9293 3.10.4). If data
 *  received is still unread, the connection is reset instead (RFC 9293
 *  3.6 / RFC 2525 2.17). Closing a listener resets its unaccepted
 *  connections. @return 0 (the handle is gone either way). */
int synack_tcp_close(synack_tcp *conn, uint64_t now);

/** Abortive close (RFC 9293 3.10.5 ABORT): sends RST where the state calls
 *  for it and releases the handle at once. In TIME-WAIT, where nothing is
 *  left to abort, the 2 MSL wait still runs out (as after close). @return 0. */
int synack_tcp_abort(synack_tcp *conn, uint64_t now);

/** Current state (RFC 9293 3.3.2). */
synack_tcp_state synack_tcp_get_state(const synack_tcp *conn);
/** The connection's error: 0, SYNACK_ERR_REFUSED, _RESET, _TIMEDOUT, _HOSTUNREACH. */
int synack_tcp_error(const synack_tcp *conn);
/** Current readiness (level), SYNACK_TCP_EV_* bits. */
uint32_t synack_tcp_events(const synack_tcp *conn);
/** Local and remote address and port (remote is 0 for a listener). */
void synack_tcp_local(const synack_tcp *conn, synack_ipv4 *addr, uint16_t *port);
void synack_tcp_remote(const synack_tcp *conn, synack_ipv4 *addr, uint16_t *port);
/** The id used in trace events for this connection. */
uint32_t synack_tcp_id(const synack_tcp *conn);
/** The effective send MSS (RFC 9293 3.7.1, RFC 6691), 0 before the handshake. */
uint16_t synack_tcp_mss(const synack_tcp *conn);
/** Bytes received in order and not yet read (what FIONREAD reports). */
uint32_t synack_tcp_rcv_queued(const synack_tcp *conn);
/** Bytes in the send buffer, sent but unacknowledged plus not yet sent
 *  (what SIOCOUTQ reports). */
uint32_t synack_tcp_snd_queued(const synack_tcp *conn);
/** Copies up to @p len bytes of received data like synack_tcp_recv() but
 *  leaves them to be read again (MSG_PEEK); the window does not move.
 *  @return bytes copied (> 0), 0 at end of stream, SYNACK_ERR_AGAIN,
 *  SYNACK_ERR_NOTCONN, SYNACK_ERR_INVAL, or the connection's error. */
ssize_t synack_tcp_peek(const synack_tcp *conn, void *buf, size_t len);
/** Nagle's algorithm (RFC 9293 3.7.4, RFC 1122 4.2.3.4) holds a segment
 *  shorter than the MSS while data is unacknowledged; @p on = true turns it
 *  off for this connection (TCP_NODELAY), false back on. The stack-wide
 *  default is synack_config.tcp_nodelay; on a listener it is what its
 *  connections start with. It applies from the next segment on.
 *  @return 0, or SYNACK_ERR_INVAL for NULL. */
int synack_tcp_set_nodelay(synack_tcp *conn, bool on);
/** Keep-alive (RFC 1122 4.2.3.6, RFC 9293 3.8.4; SO_KEEPALIVE): with
 *  @p on = true, a connection that has received nothing for
 *  synack_config.tcp_keepalive_idle_ns while it has nothing outstanding
 *  sends a probe (<SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data), which the
 *  peer answers with an ACK; unanswered, another every
 *  tcp_keepalive_intvl_ns, and after tcp_keepalive_probes of them the
 *  connection sends a RST and closes with SYNACK_ERR_TIMEDOUT (or
 *  SYNACK_ERR_HOSTUNREACH after an ICMP soft error), as Linux does. Probes
 *  go in ESTABLISHED, CLOSE-WAIT and a half-closed FIN-WAIT-2. The
 *  stack-wide default is synack_config.tcp_keepalive (off); on a listener
 *  it is what its connections start with. The times are stack-wide.
 *  @return 0, or SYNACK_ERR_INVAL for NULL. */
int synack_tcp_set_keepalive(synack_tcp *conn, bool on);
/** Chooses this connection's congestion control (the stack-wide default
 *  is synack_config.tcp_cc). On a connection that has sent data already the
 *  window and ssthresh are kept and the new algorithm starts its own state
 *  from them; on a listener, what its connections use.
 *  @return 0, or SYNACK_ERR_INVAL (NULL, unknown algo). */
int synack_tcp_set_cc(synack_tcp *conn, synack_cc_algo algo);

/** A snapshot of a connection's send side, for tools and tests (like
 *  Linux's TCP_INFO). Windows are in bytes, times in microseconds. */
typedef struct synack_tcp_info {
    synack_tcp_state state;
    synack_cc_algo cc;     /**< congestion control in use */
    uint32_t mss;          /**< effective send MSS */
    uint32_t cwnd;         /**< congestion window (0 before the first write) */
    uint32_t ssthresh;     /**< slow start threshold (UINT32_MAX: not yet set) */
    uint32_t snd_wnd;      /**< the peer's window, scaled */
    uint32_t flight;       /**< bytes sent and not acknowledged (SND.MAX - SND.UNA) */
    uint32_t srtt_us;      /**< smoothed RTT (0: no sample yet) */
    uint32_t rttvar_us;    /**< RTT variation */
    uint32_t rto_us;       /**< current RTO before backoff */
    uint32_t sacked;       /**< bytes the peer holds out of order (SACK scoreboard) */
    bool in_recovery;      /**< in fast recovery (NewReno or SACK, RFC 6582 / RFC 6675) */
    bool nodelay;          /**< Nagle's algorithm is off */
    bool sack, timestamps; /**< options agreed in the handshake */
    uint8_t snd_wscale, rcv_wscale;
} synack_tcp_info;
/** Fills @p info. @return 0, or SYNACK_ERR_INVAL for a listener or NULL. */
int synack_tcp_get_info(const synack_tcp *conn, synack_tcp_info *info);
/** A pointer of the user's, kept with the handle. */
void synack_tcp_set_user(synack_tcp *conn, void *user);
void *synack_tcp_get_user(const synack_tcp *conn);

/** Connections currently held by the stack (all states but listeners). */
uint32_t synack_stack_tcp_count(const synack_stack *stack);

#ifdef __cplusplus
}
#endif
#endif
