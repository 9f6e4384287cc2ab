/* synack — the trace hook.
 *
 * A stack reports every frame it receives and sends, every frame it drops
 * (with the counter that counted it) and every TCP state change, each with
 * the `now` of the call that caused it. The pcap writer and the ladder
 * renderer are built on this hook; so can any user tool.
 */
#ifndef SYNACK_TRACE_H
#define SYNACK_TRACE_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** TCP connection states (RFC 9293 3.3.2). */
typedef enum synack_tcp_state {
    SYNACK_TCP_CLOSED = 0,
    SYNACK_TCP_LISTEN,
    SYNACK_TCP_SYN_SENT,
    SYNACK_TCP_SYN_RCVD,
    SYNACK_TCP_ESTABLISHED,
    SYNACK_TCP_FIN_WAIT_1,
    SYNACK_TCP_FIN_WAIT_2,
    SYNACK_TCP_CLOSE_WAIT,
    SYNACK_TCP_CLOSING,
    SYNACK_TCP_LAST_ACK,
    SYNACK_TCP_TIME_WAIT,
} synack_tcp_state;

/** "SYN-SENT" etc., as RFC 9293 spells them. */
const char *synack_tcp_state_name(synack_tcp_state s);

typedef enum synack_trace_kind {
    SYNACK_TRACE_FRAME_IN,  /**< a frame was handed to synack_stack_input */
    SYNACK_TRACE_FRAME_OUT, /**< a frame is about to be handed to the output callback */
    SYNACK_TRACE_DROP,      /**< an input frame was dropped; `reason` names the counter */
    SYNACK_TRACE_TCP_STATE, /**< a connection changed state */
} synack_trace_kind;

typedef struct synack_trace_event {
    synack_trace_kind kind;
    uint64_t now;          /**< ns, the caller's clock */
    synack_link_type link; /**< how to read `frame` */
    const uint8_t *frame;  /**< FRAME_IN, FRAME_OUT, DROP: the whole frame; else NULL */
    size_t len;
    const char *reason; /**< DROP: counter name (see stats.h); else NULL */
    /* TCP_STATE only: */
    uint32_t conn_id; /**< stable id of the connection within its stack */
    synack_tcp_state old_state, new_state;
    synack_ipv4 local_addr, remote_addr;
    uint16_t local_port, remote_port;
} synack_trace_event;

/** A trace sink. Called synchronously; must not call back into the stack. */
typedef void (*synack_trace_fn)(void *user_data, const synack_trace_event *ev);

#ifdef __cplusplus
}
#endif
#endif
