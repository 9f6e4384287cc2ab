/* Hierarchical timing wheel: arm, re-arm and cancel in O(1); a timer is an
 * intrusive node embedded in its owner (a connection holds one node per
 * timer kind, so it can never hold two slots for the same kind).
 *
 * Times are absolute ns on the caller's clock. Expiries are rounded up to
 * the wheel's tick, so a timer never fires early. No allocation: the wheel
 * is a fixed array of list heads inside sk_wheel.
 */
#ifndef SK_CORE_TIMER_H
#define SK_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct sk_timer;
typedef void (*sk_timer_fn)(struct sk_timer *t, uint64_t now);

typedef struct sk_timer {
    struct sk_timer *next, *prev; /* NULL when not armed */
    uint64_t expiry;              /* absolute ns requested */
    sk_timer_fn fn;
} sk_timer;

#define SK_WHEEL_LEVELS    4
#define SK_WHEEL_SLOT_BITS 8
#define SK_WHEEL_SLOTS     (1u << SK_WHEEL_SLOT_BITS)

typedef struct sk_wheel {
    uint64_t tick_ns;                                /* granularity */
    uint64_t now_tick;                               /* ticks processed so far */
    uint32_t armed;                                  /* timers currently armed */
    sk_timer slots[SK_WHEEL_LEVELS][SK_WHEEL_SLOTS]; /* sentinel heads */
    sk_timer overflow;                               /* beyond the last level's reach */
} sk_wheel;

/* @p tick_ns > 0; @p now is the current time. */
void sk_wheel_init(sk_wheel *w, uint64_t tick_ns, uint64_t now);
void sk_timer_init(sk_timer *t, sk_timer_fn fn);
static inline bool sk_timer_armed(const sk_timer *t)
{
    return t->next != 0;
}
/* Arms or re-arms @p t to fire at @p expiry (a time in the past fires on the next expire). */
void sk_wheel_arm(sk_wheel *w, sk_timer *t, uint64_t expiry);
/* Cancels @p t if armed; harmless if not. */
void sk_wheel_cancel(sk_wheel *w, sk_timer *t);
/* Earliest time at which sk_wheel_expire has work (>= the earliest expiry,
 * rounded to the tick), UINT64_MAX when nothing is armed. */
uint64_t sk_wheel_next_expiry(const sk_wheel *w);
/* Fires every timer with expiry <= now, in expiry order within a tick;
 * a callback may arm or cancel any timer. Returns the number fired. */
uint32_t sk_wheel_expire(sk_wheel *w, uint64_t now);

#endif
