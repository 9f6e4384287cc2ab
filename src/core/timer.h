/* Hierarchical timing wheel: arm, re-arm and cancel in O(1); a timer is an
 * intrusive node embedded in its owner (a connection holds one node per
 * timer kind, so it can never hold two slots for the same kind).
 *
 * Times are absolute ns on the caller's clock; the wheel counts in ticks of
 * tick_ns. A timer's expiry is rounded UP to the tick, so a timer never
 * fires early: it fires on the first sk_wheel_expire(now) whose now reaches
 * that tick. The one exception is a timer armed "in the past", at or before
 * the `now` of the last sk_wheel_init/sk_wheel_expire: it fires on the very
 * next sk_wheel_expire, whatever its now.
 *
 * Layout (Varghese & Lauck's scheme 7, as in the classic Linux timer wheel):
 * SK_WHEEL_LEVELS levels of SK_WHEEL_SLOTS slots; level l has slots of
 * SLOTS^l ticks, so the wheel reaches SLOTS^LEVELS ticks (2^32: 49 days at
 * 1 ms). Timers further out wait on an overflow list. A timer in a slot of
 * level l moves down ("cascades") when the wheel reaches the start of that
 * slot. A bitmap per level marks non-empty slots, so that sk_wheel_expire
 * jumps over empty stretches (hours of idle cost a handful of steps) and
 * sk_wheel_next_expiry is a few word scans.
 *
 * No allocation: the wheel is a fixed array of list heads inside sk_wheel.
 * One wheel per stack; not thread-safe.
 */
#ifndef SK_CORE_TIMER_H
#define SK_CORE_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct sk_timer;
/* @p now is the `now` given to sk_wheel_expire (>= the timer's expiry). */
typedef void (*sk_timer_fn)(struct sk_timer *t, uint64_t now);

typedef struct sk_timer {
    struct sk_timer *next, *prev; /* NULL when not armed */
    uint64_t expiry;              /* absolute ns requested (in a list head: its slot tag) */
    sk_timer_fn fn;               /* never NULL in a timer (NULL marks a list head) */
} sk_timer;

#define SK_WHEEL_LEVELS    4
#define SK_WHEEL_SLOT_BITS 8
#define SK_WHEEL_SLOTS     (1u << SK_WHEEL_SLOT_BITS)
#define SK_WHEEL_MAP_WORDS (SK_WHEEL_SLOTS / 64)

typedef struct sk_wheel {
    uint64_t tick_ns;  /* granularity */
    uint64_t now_tick; /* every tick <= now_tick has been processed */
    uint64_t last_now; /* `now` of the last init/expire; arming at or before it is "past" */
    uint32_t armed;    /* timers currently armed (wheel, overflow, due list) */
    bool expiring;     /* inside sk_wheel_expire (guards against re-entry) */
    uint64_t occupied[SK_WHEEL_LEVELS][SK_WHEEL_MAP_WORDS]; /* bit set = slot non-empty */
    sk_timer slots[SK_WHEEL_LEVELS][SK_WHEEL_SLOTS];        /* sentinel heads */
    sk_timer overflow;                                      /* beyond the last level's reach */
    uint64_t overflow_min; /* <= the smallest expiry tick on overflow (a lower bound) */
    sk_timer due;          /* armed in the past: fire on the next expire */
    uint64_t due_min;      /* <= the smallest expiry tick on due (a lower bound) */
} sk_wheel;

/* @p tick_ns > 0; @p now is the current time. */
void sk_wheel_init(sk_wheel *w, uint64_t tick_ns, uint64_t now);
/* @p fn must not be NULL. */
void sk_timer_init(sk_timer *t, sk_timer_fn fn);
static inline bool sk_timer_armed(const sk_timer *t)
{
    return t->next != 0;
}
/* Arms or re-arms @p t to fire at @p expiry, O(1). An expiry at or before
 * the last expire's now fires on the next sk_wheel_expire. */
void sk_wheel_arm(sk_wheel *w, sk_timer *t, uint64_t expiry);
/* Cancels @p t if armed; harmless if not. O(1). */
void sk_wheel_cancel(sk_wheel *w, sk_timer *t);
/* A time at which sk_wheel_expire should next be called: never later than
 * the earliest armed expiry rounded up to the tick, but possibly earlier
 * (the start of a higher-level slot that must cascade, at most once per
 * level on the way down), UINT64_MAX when nothing is armed. A value <= the
 * last expire's now means "call now". Cost: a scan of the occupancy bitmaps,
 * O(LEVELS * SLOTS/64) word operations, independent of the number of timers.
 * Meant to be called outside timer callbacks. */
uint64_t sk_wheel_next_expiry(const sk_wheel *w);
/* Fires every timer whose expiry, rounded up to the tick, is <= now (plus
 * those armed in the past), in order of expiry (ties in an unspecified but
 * deterministic order). A callback may arm or cancel any timer, itself
 * included; a timer armed during the call fires at the earliest on the next
 * call, so a callback re-arming itself cannot loop. Ticks with nothing to do
 * are skipped, so a call after a long idle costs O(timers due + levels), not
 * O(ticks). A now earlier than the previous one counts as the previous one.
 * A callback must not call sk_wheel_expire (it would return 0).
 * Returns the number fired. */
uint32_t sk_wheel_expire(sk_wheel *w, uint64_t now);

#endif
