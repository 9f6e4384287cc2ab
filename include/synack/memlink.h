/* synack — memlink: an in-memory link joining two or more stacks under one
 * virtual clock, with seeded, reproducible impairments.
 *
 * A memlink behaves like a hub: a frame sent by one port is delivered to
 * every other port (each receiving stack filters by MAC or IP address).
 * A frame passes through the sending port's impairments, in this order:
 * queue limit and bandwidth (once per frame, on the sender's wire: each port
 * serialises one frame at a time at rate_bps, and drops the new frame when
 * queue_limit frames are already waiting to start), then, for each receiving
 * port separately: loss, blackout window, corruption (one random bit
 * flipped), delay + jitter, reordering (an extra delay so later frames
 * overtake it) and duplication (a second copy, delivered right after the
 * first). Everything random comes from the link's seeded generator, so one
 * seed always gives one run.
 *
 * Every delivery, even one with zero delay, waits in the link's queue (a
 * binary heap ordered by delivery time, then by the order frames were queued)
 * until a step delivers it: a stack is never re-entered from another stack's
 * output callback.
 *
 * The loop: synack_memlink_step() advances virtual time to the earliest of
 * the next delivery and the next stack timeout (deliveries first when they
 * fall at the same time), does everything due then, and returns;
 * synack_memlink_run() repeats it.
 */
#ifndef SYNACK_MEMLINK_H
#define SYNACK_MEMLINK_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#include "stack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_memlink synack_memlink;

/** Impairments of frames leaving one port. Probabilities are in [0, 1]. */
typedef struct synack_impairments {
    double loss;         /**< probability a frame is lost; default 0 */
    double corrupt;      /**< probability one bit of a frame is flipped; default 0 */
    double duplicate;    /**< probability a frame is delivered twice; default 0 */
    double reorder;      /**< probability a frame is held back by reorder_ns; default 0 */
    uint64_t delay_ns;   /**< one-way propagation delay; default 0 */
    uint64_t jitter_ns;  /**< extra uniform delay in [0, jitter_ns]; default 0 */
    uint64_t reorder_ns; /**< hold-back for reordered frames; default 0 = 2*delay+1 ms */
    uint64_t rate_bps;   /**< bandwidth in bits/s; default 0 = unlimited */
    uint32_t
        queue_limit; /**< frames waiting for the wire before drop-tail; default 0 = unlimited */
    /** Frames that leave the sender's wire (after serialisation) during
     *  [blackout_start_ns, blackout_end_ns) of virtual time are lost; default none. */
    uint64_t blackout_start_ns, blackout_end_ns;
} synack_impairments;

typedef struct synack_memlink_config {
    uint64_t seed;                  /**< default 1 */
    uint64_t start_ns;              /**< virtual time at creation; default 0 */
    synack_impairments impairments; /**< applied to every port unless set per port */
    uint32_t max_ports;             /**< default 8 */
    uint32_t max_frame;             /**< largest frame carried, bytes; default 9216 */
} synack_memlink_config;

void synack_memlink_config_default(synack_memlink_config *cfg);

/** @return 0, SYNACK_ERR_INVAL, SYNACK_ERR_NOMEM. */
int synack_memlink_new(const synack_memlink_config *cfg, const synack_mem *mem,
                       synack_memlink **out);
/** Frees the link and its queued frames (not the stacks). NULL is allowed. */
void synack_memlink_del(synack_memlink *link);

/** Virtual time now, ns. */
uint64_t synack_memlink_now(const synack_memlink *link);

/** Adds a port with nothing bound to it: frames reach it (the tap sees them
 *  DELIVERED) but go nowhere until a stack is bound with
 *  synack_memlink_bind(). synack_memlink_attach() adds a port and creates a
 *  stack on it in one call.
 *  @return port index >= 0, SYNACK_ERR_INVAL, SYNACK_ERR_LIMIT (max_ports),
 *  SYNACK_ERR_NOMEM (the queue_limit of the default impairments). */
int synack_memlink_add_port(synack_memlink *link);

/** Creates a stack attached to a new port of @p link: its output callback
 *  sends into the link and the link delivers into it. The stack is created
 *  at synack_memlink_now(); drive it only with the link's clock.
 *
 *  The stack's own user data is the port (the output callback needs it), so
 *  the link forwards the echo_reply and unreachable callbacks of @p cb to
 *  the caller with @p user_data, as if they had been given to
 *  synack_stack_new directly.
 *
 *  The caller owns the stack and frees it with synack_stack_del(); it must
 *  not be used after synack_memlink_del(link) (its output points into the
 *  link). If the stack cannot be created, the port is not added.
 *  @param cfg stack configuration (see synack_stack_new)
 *  @param cb  other callbacks (output is ignored; may be NULL)
 *  @return 0 or the error of synack_memlink_add_port / synack_stack_new. */
int synack_memlink_attach(synack_memlink *link, const synack_config *cfg,
                          const synack_callbacks *cb, const synack_mem *mem, void *user_data,
                          synack_stack **out);

/** Binds an existing stack to port @p port, for stacks created by hand whose
 *  output callback calls synack_memlink_send(link, port, ...): the link
 *  delivers frames into it and runs its timers. NULL unbinds.
 *  @return 0 or SYNACK_ERR_INVAL (no such port). */
int synack_memlink_bind(synack_memlink *link, int port, synack_stack *stack);

/** Sends a frame into the link from @p port at synack_memlink_now() (what a
 *  bound stack's output callback calls). The frame is copied.
 *  @return 0 (also when an impairment drops it), SYNACK_ERR_INVAL (no such
 *  port, or longer than max_frame), SYNACK_ERR_NOMEM. */
int synack_memlink_send(synack_memlink *link, int port, const uint8_t *frame, size_t len);

/** Impairments for frames leaving @p port (overrides the link default).
 *  Frames already queued keep the impairments they were given.
 *  @return 0, SYNACK_ERR_INVAL (no such port, or a probability outside
 *  [0, 1]), SYNACK_ERR_NOMEM. */
int synack_memlink_set_impairments(synack_memlink *link, int port, const synack_impairments *imp);

/** Events a tap sees. */
typedef enum synack_memlink_event {
    SYNACK_MEMLINK_SENT,      /**< a port sent the frame */
    SYNACK_MEMLINK_DELIVERED, /**< the frame reached a port (after impairments) */
    SYNACK_MEMLINK_LOST,      /**< an impairment or the queue limit dropped it */
} synack_memlink_event;

/** A tap sees SENT once per frame with to_port -1, when the port sends it;
 *  DELIVERED when the frame reaches to_port (just before the stack bound
 *  there gets it; the bytes as delivered, so possibly corrupted); LOST when
 *  the loss impairment or the blackout drops the delivery to to_port, or
 *  (to_port -1) when the sending port's queue is full. @p now is the
 *  virtual time of the event. It must not call into the link or a stack. */
typedef void (*synack_memlink_tap_fn)(void *user_data, synack_memlink_event ev, int from_port,
                                      int to_port, const uint8_t *frame, size_t len, uint64_t now);
/** Sets (or clears, with NULL) the link's tap; a pcap writer can sit here. */
void synack_memlink_set_tap(synack_memlink *link, synack_memlink_tap_fn fn, void *user_data);

/** Time of the next event (delivery or stack timeout), UINT64_MAX if none. */
uint64_t synack_memlink_next_event(const synack_memlink *link);

/** Advances to the next event and handles everything due then: first the
 *  deliveries that were queued for that time when the step began (frames
 *  sent during the step with zero delay wait for the next step, at the same
 *  virtual time), then the timeouts of the stacks, in port order.
 *  @return 1 if something happened, 0 if there was nothing to do. */
int synack_memlink_step(synack_memlink *link);

/** Runs events until virtual time would pass @p until_ns, or @p done returns
 *  true (checked after every step), or nothing is left to do. Unless @p done
 *  stopped it, the clock then moves on to @p until_ns (if that is not
 *  UINT64_MAX), so that a caller can act at exactly that time.
 *  @param done may be NULL
 *  @return the number of steps taken. */
uint64_t synack_memlink_run(synack_memlink *link, uint64_t until_ns, bool (*done)(void *user_data),
                            void *user_data);

/** Counters since creation. A frame sent counts once in `sent`; each of its
 *  deliveries to a receiving port counts in `delivered` or `lost`. */
typedef struct synack_memlink_stats {
    uint64_t sent;           /**< frames sent by ports */
    uint64_t delivered;      /**< deliveries made (duplicates included) */
    uint64_t lost;           /**< deliveries dropped: loss + blackout, plus queue drops */
    uint64_t corrupted;      /**< deliveries with a bit flipped */
    uint64_t duplicated;     /**< extra copies queued */
    uint64_t reordered;      /**< deliveries held back by reorder_ns */
    uint64_t queue_drops;    /**< frames dropped by the sender's queue limit (once per frame) */
    uint64_t blackout_drops; /**< deliveries dropped by the blackout window */
} synack_memlink_stats;
const synack_memlink_stats *synack_memlink_stats_get(const synack_memlink *link);

#ifdef __cplusplus
}
#endif
#endif
