/* synack — the stack: one instance, no globals, no I/O of its own.
 *
 * The caller owns the clock and the wire:
 *   - every entry point takes `now`, a monotonic time in nanoseconds that
 *     never goes backwards between calls on one stack;
 *   - frames come in through synack_stack_input() and leave through the
 *     output callback given at creation;
 *   - after any call, ask synack_stack_next_timeout() when to call
 *     synack_stack_handle_timeout() next.
 *
 * A stack is not thread-safe: serialise calls on one stack. Different
 * stacks are independent and may be used from different threads.
 */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"
#include "error.h"
#include "mem.h"
#include "stats.h"
#include "trace.h"
#include "tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Called for every frame the stack sends. @p frame is valid only during the
 *  call: copy it or send it before returning. Return 0, or a negative
 *  SYNACK_ERR_* if the frame could not be sent (it is counted in
 *  output_errors and otherwise treated as lost on the wire). The callback must
 *  not call back into the same stack. */
typedef int (*synack_output_fn)(void *user_data, const uint8_t *frame, size_t len, uint64_t now);

/** Called when an ICMP echo reply arrives for an echo request we sent. */
typedef void (*synack_echo_reply_fn)(void *user_data, synack_ipv4 from, uint16_t id, uint16_t seq,
                                     const uint8_t *payload, size_t len, uint64_t now);

/** Called when an ICMP destination-unreachable arrives (code per RFC 792),
 *  with the quoted IPv4 header and the first bytes after it. */
typedef void (*synack_unreach_fn)(void *user_data, synack_ipv4 from, uint8_t code,
                                  const uint8_t *quoted, size_t quoted_len, uint64_t now);

typedef struct synack_callbacks {
    synack_output_fn output;         /**< required */
    synack_echo_reply_fn echo_reply; /**< optional */
    synack_unreach_fn unreachable;   /**< optional */
    synack_tcp_event_fn tcp_event;   /**< optional: TCP readiness (see tcp.h) */
} synack_callbacks;

/** Creates a stack.
 *  @param cfg   configuration (copied); NULL for synack_config_default() — but
 *               an address must be set, so NULL only suits tests of errors.
 *  @param cb    callbacks (copied); cb->output is required.
 *  @param mem   allocator, or NULL for libc.
 *  @param user_data passed to every callback.
 *  @param now   the caller's clock, ns.
 *  @param out   receives the stack.
 *  @return 0, SYNACK_ERR_INVAL (bad config or missing output callback),
 *          SYNACK_ERR_NOMEM. */
int synack_stack_new(const synack_config *cfg, const synack_callbacks *cb, const synack_mem *mem,
                     void *user_data, uint64_t now, synack_stack **out);

/** Frees a stack and everything it holds. NULL is allowed. No callback is called. */
void synack_stack_del(synack_stack *stack);

/** Hands one received frame (Ethernet or bare IPv4, per cfg.link) to the
 *  stack. The frame is only read during the call.
 *  @return 0 if the frame was accepted, or the negative reason it was
 *          dropped (SYNACK_ERR_TRUNCATED, _MALFORMED, _CHECKSUM,
 *          _UNSUPPORTED, _NOTFOUND for "not for us"). A dropped frame is
 *          always counted; the return value is informational. */
int synack_stack_input(synack_stack *stack, const uint8_t *frame, size_t len, uint64_t now);

/** Absolute time (ns) at which synack_stack_handle_timeout() must be called,
 *  or UINT64_MAX when no timer is armed. */
uint64_t synack_stack_next_timeout(const synack_stack *stack);

/** Runs every timer that is due at @p now. Returns 0. */
int synack_stack_handle_timeout(synack_stack *stack, uint64_t now);

/** Counters since creation. The pointer stays valid for the stack's life. */
const synack_stats *synack_stack_stats(const synack_stack *stack);

/** The configuration in force (after defaults were applied). */
const synack_config *synack_stack_config(const synack_stack *stack);

/** Adds a trace sink; up to SYNACK_TRACE_SINKS_MAX per stack.
 *  @return 0, SYNACK_ERR_INVAL (fn NULL), SYNACK_ERR_LIMIT (too many). */
#define SYNACK_TRACE_SINKS_MAX 4
int synack_stack_add_trace(synack_stack *stack, synack_trace_fn fn, void *user_data);

/** Removes a sink added with the same fn and user_data. @return 0 or SYNACK_ERR_NOTFOUND. */
int synack_stack_remove_trace(synack_stack *stack, synack_trace_fn fn, void *user_data);

/** Sends an ICMP echo request (RFC 792) to @p dst with the given id, seq and
 *  payload (at most mtu - 28 bytes). If the next hop is not yet resolved the
 *  datagram waits for ARP.
 *  @return 0, SYNACK_ERR_INVAL (payload too large), SYNACK_ERR_NOROUTE,
 *          SYNACK_ERR_NOBUFS (resolution queue or pool full). */
int synack_icmp_echo_send(synack_stack *stack, synack_ipv4 dst, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len, uint64_t now);

/** A 64-bit value from the stack's seeded generator (deterministic per seed). */
uint64_t synack_stack_random(synack_stack *stack);

/** Library version as "MAJOR.MINOR.PATCH". */
const char *synack_version(void);

#ifdef __cplusplus
}
#endif
#endif
