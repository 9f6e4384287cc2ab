/* Hierarchical timing wheel (see timer.h for the layout).
 *
 * Invariants, with tj = now_tick + 1 the next tick to process:
 * - a timer in level 0 slot s has expiry tick et in [tj, tj + SLOTS), s = et % SLOTS;
 * - a timer in level l > 0 has slot s = (et >> l*BITS) % SLOTS and "cascade tick"
 *   T = et rounded down to a multiple of SLOTS^l, T >= tj; T is the first tick
 *   >= tj that is a multiple of SLOTS^l and whose level-l slot index is s;
 * - a timer on the overflow list was SLOTS^LEVELS ticks or more away when placed;
 *   overflow_min <= every et on the list, so the rescan (overflow_tick) comes no
 *   later than the start of the reach-sized block holding et, where it fits;
 * - a timer on the due list was armed in the past and fires on the next expire.
 * Processing tick T (a "step"): rescan the overflow list if T is its rescan
 * tick, cascade every level whose slot boundary T is, then fire level 0's slot.
 * Only ticks where some step has work are visited (found with the bitmaps).
 *
 * A list head is an sk_timer with fn == NULL whose `expiry` holds a tag: the
 * slot's index (level * SLOTS + slot) for wheel slots, TAG_NONE otherwise.
 * Unlinking the last timer of a slot finds its head as its only neighbour and
 * clears the slot's bitmap bit from the tag, keeping cancel O(1).
 */
#include "timer.h"

#include <assert.h>
#include <stddef.h>

#define TAG_NONE   UINT64_MAX
#define SLOT_MASK  ((uint64_t)SK_WHEEL_SLOTS - 1)
#define WHEEL_BITS ((unsigned)SK_WHEEL_LEVELS * SK_WHEEL_SLOT_BITS)
#define NO_TICK    UINT64_MAX

/* ---- intrusive circular lists ------------------------------------------- */

static void list_head_init(sk_timer *h, uint64_t tag)
{
    h->next = h->prev = h;
    h->expiry = tag;
    h->fn = NULL;
}

static bool list_empty(const sk_timer *h)
{
    return h->next == h;
}

static void list_add_tail(sk_timer *h, sk_timer *t)
{
    t->prev = h->prev;
    t->next = h;
    h->prev->next = t;
    h->prev = t;
}

/* Moves every node of @p from to the tail of @p to; @p from ends empty. */
static void list_splice_tail(sk_timer *to, sk_timer *from)
{
    if (list_empty(from))
        return;
    sk_timer *first = from->next, *last = from->prev;
    first->prev = to->prev;
    to->prev->next = first;
    last->next = to;
    to->prev = last;
    from->next = from->prev = from;
}

/* ---- occupancy bitmaps ---------------------------------------------------- */

static void map_set(sk_wheel *w, unsigned level, unsigned slot)
{
    w->occupied[level][slot / 64] |= (uint64_t)1 << (slot % 64);
}

static void map_clear(sk_wheel *w, unsigned level, unsigned slot)
{
    w->occupied[level][slot / 64] &= ~((uint64_t)1 << (slot % 64));
}

/* Distance (0..SLOTS-1) from @p start to the first occupied slot of @p level,
 * going round the wheel, or -1 when the level is empty. */
static int map_next(const sk_wheel *w, unsigned level, unsigned start)
{
    const uint64_t *m = w->occupied[level];
    unsigned word = start / 64, bit = start % 64;
    uint64_t first = m[word] & (~(uint64_t)0 << bit);
    if (first)
        return (int)(word * 64 + (unsigned)__builtin_ctzll(first) - start);
    for (unsigned i = 1; i <= SK_WHEEL_MAP_WORDS; i++) {
        unsigned wi = (word + i) % SK_WHEEL_MAP_WORDS;
        uint64_t bits = m[wi];
        if (i == SK_WHEEL_MAP_WORDS) /* back at the start word: only bits below start */
            bits &= ((uint64_t)1 << bit) - 1;
        if (bits) {
            unsigned slot = wi * 64 + (unsigned)__builtin_ctzll(bits);
            return (int)((slot - start) & SLOT_MASK);
        }
    }
    return -1;
}

/* ---- tick arithmetic (saturating: NO_TICK means "never") ------------------ */

static uint64_t ticks_up(const sk_wheel *w, uint64_t ns)
{
    return ns / w->tick_ns + (ns % w->tick_ns != 0);
}

static uint64_t tick_to_ns(const sk_wheel *w, uint64_t tick)
{
    if (tick > UINT64_MAX / w->tick_ns)
        return UINT64_MAX;
    return tick * w->tick_ns;
}

/* ceil(tick / 2^shift) */
static uint64_t blocks_up(uint64_t tick, unsigned shift)
{
    return (tick >> shift) + ((tick & (((uint64_t)1 << shift) - 1)) != 0);
}

/* block * 2^shift, or NO_TICK if that does not fit. */
static uint64_t block_start(uint64_t block, unsigned shift)
{
    if (block > (UINT64_MAX >> shift))
        return NO_TICK;
    return block << shift;
}

/* ---- placement ------------------------------------------------------------- */

/* Links @p t (unlinked, armed count already taken) where its expiry tick @p et
 * belongs, relative to the next unprocessed tick. Requires et >= now_tick + 1. */
static void place(sk_wheel *w, sk_timer *t, uint64_t et)
{
    uint64_t tj = w->now_tick + 1;
    uint64_t delta = et - tj;
    for (unsigned level = 0; level < SK_WHEEL_LEVELS; level++) {
        unsigned shift = level * SK_WHEEL_SLOT_BITS;
        if ((delta >> shift) < SK_WHEEL_SLOTS) {
            unsigned slot = (unsigned)((et >> shift) & SLOT_MASK);
            list_add_tail(&w->slots[level][slot], t);
            map_set(w, level, slot);
            return;
        }
    }
    if (list_empty(&w->overflow) || et < w->overflow_min)
        w->overflow_min = et;
    list_add_tail(&w->overflow, t);
}

static void unlink_timer(sk_wheel *w, sk_timer *t)
{
    sk_timer *n = t->next, *p = t->prev;
    p->next = n;
    n->prev = p;
    t->next = t->prev = NULL;
    /* n == p only when the list is now just its head. */
    if (n == p && n->expiry < (uint64_t)SK_WHEEL_LEVELS * SK_WHEEL_SLOTS) {
        unsigned tag = (unsigned)n->expiry;
        map_clear(w, tag / SK_WHEEL_SLOTS, tag % SK_WHEEL_SLOTS);
    }
}

/* The tick at which the overflow list must next be rescanned: the first
 * multiple of the wheel's reach at or after the next tick, but no earlier
 * than the block of the smallest expiry it may hold. */
static uint64_t overflow_tick(const sk_wheel *w, uint64_t tj)
{
    uint64_t a = blocks_up(tj, WHEEL_BITS);
    uint64_t b = w->overflow_min >> WHEEL_BITS;
    return block_start(a > b ? a : b, WHEEL_BITS);
}

/* The first tick >= now_tick + 1 at which a step has work, or NO_TICK. */
static uint64_t next_event_tick(const sk_wheel *w)
{
    if (w->now_tick == UINT64_MAX)
        return NO_TICK;
    uint64_t tj = w->now_tick + 1;
    uint64_t best = NO_TICK;
    for (unsigned level = 0; level < SK_WHEEL_LEVELS; level++) {
        unsigned shift = level * SK_WHEEL_SLOT_BITS;
        uint64_t block = blocks_up(tj, shift);
        int d = map_next(w, level, (unsigned)(block & SLOT_MASK));
        if (d < 0)
            continue;
        uint64_t tick = block_start(block + (uint64_t)d, shift);
        if (tick < best)
            best = tick;
    }
    if (!list_empty(&w->overflow)) {
        uint64_t tick = overflow_tick(w, tj);
        if (tick < best)
            best = tick;
    }
    return best;
}

/* ---- public API ------------------------------------------------------------ */

void sk_wheel_init(sk_wheel *w, uint64_t tick_ns, uint64_t now)
{
    assert(tick_ns > 0);
    w->tick_ns = tick_ns ? tick_ns : 1;
    w->now_tick = now / w->tick_ns;
    w->last_now = now;
    w->armed = 0;
    w->expiring = false;
    for (unsigned l = 0; l < SK_WHEEL_LEVELS; l++) {
        for (unsigned i = 0; i < SK_WHEEL_MAP_WORDS; i++)
            w->occupied[l][i] = 0;
        for (unsigned s = 0; s < SK_WHEEL_SLOTS; s++)
            list_head_init(&w->slots[l][s], (uint64_t)l * SK_WHEEL_SLOTS + s);
    }
    list_head_init(&w->overflow, TAG_NONE);
    list_head_init(&w->due, TAG_NONE);
    w->overflow_min = NO_TICK;
    w->due_min = NO_TICK;
}

void sk_timer_init(sk_timer *t, sk_timer_fn fn)
{
    assert(fn != NULL);
    t->next = t->prev = NULL;
    t->expiry = 0;
    t->fn = fn;
}

void sk_wheel_cancel(sk_wheel *w, sk_timer *t)
{
    if (!sk_timer_armed(t))
        return;
    unlink_timer(w, t);
    w->armed--;
}

void sk_wheel_arm(sk_wheel *w, sk_timer *t, uint64_t expiry)
{
    sk_wheel_cancel(w, t);
    t->expiry = expiry;
    w->armed++;
    uint64_t et = ticks_up(w, expiry);
    if (expiry <= w->last_now) {
        if (list_empty(&w->due) || et < w->due_min)
            w->due_min = et;
        list_add_tail(&w->due, t);
        return;
    }
    /* expiry > last_now >= now_tick * tick_ns, so et >= now_tick + 1. */
    place(w, t, et);
}

uint64_t sk_wheel_next_expiry(const sk_wheel *w)
{
    if (w->armed == 0)
        return UINT64_MAX;
    uint64_t best = UINT64_MAX;
    if (!list_empty(&w->due)) {
        /* Due timers fire on the next call: say "now", but never later
         * than their own (rounded) expiry. */
        best = tick_to_ns(w, w->due_min);
        if (w->last_now < best)
            best = w->last_now;
    }
    uint64_t tick = next_event_tick(w);
    if (tick != NO_TICK && tick_to_ns(w, tick) < best)
        best = tick_to_ns(w, tick);
    return best;
}

/* Moves every timer of @p head back into the wheel relative to the current
 * position (now_tick + 1 is the tick being processed). */
static void replace_all(sk_wheel *w, sk_timer *head)
{
    sk_timer *t = head->next;
    head->next = head->prev = head;
    while (t != head) {
        sk_timer *next = t->next;
        place(w, t, ticks_up(w, t->expiry));
        t = next;
    }
}

/* Everything a step at tick @p tick does before firing: rescan the overflow
 * list and cascade the higher levels whose slot starts at @p tick. Neither
 * can put a timer in a slot being cascaded at this tick (a cascaded timer
 * lands at least one slot further on) except level 0's slot for @p tick. */
static void cascade(sk_wheel *w, uint64_t tick)
{
    if (!list_empty(&w->overflow) && tick == overflow_tick(w, tick)) {
        w->overflow_min = NO_TICK;
        sk_timer head;
        list_head_init(&head, TAG_NONE);
        list_splice_tail(&head, &w->overflow);
        replace_all(w, &head);
    }
    for (unsigned level = SK_WHEEL_LEVELS - 1; level > 0; level--) {
        unsigned shift = level * SK_WHEEL_SLOT_BITS;
        if (tick & (((uint64_t)1 << shift) - 1))
            continue;
        unsigned slot = (unsigned)((tick >> shift) & SLOT_MASK);
        if (list_empty(&w->slots[level][slot]))
            continue;
        map_clear(w, level, slot);
        replace_all(w, &w->slots[level][slot]);
    }
}

/* Stable merge sort of a NULL-terminated singly linked chain by expiry. */
static sk_timer *sort_chain(sk_timer *a, size_t n)
{
    if (n < 2)
        return a;
    sk_timer *b = a;
    for (size_t i = 1; i < n / 2; i++)
        b = b->next;
    sk_timer *rest = b->next;
    b->next = NULL;
    a = sort_chain(a, n / 2);
    b = sort_chain(rest, n - n / 2);
    sk_timer out, *tail = &out;
    while (a && b) {
        if (b->expiry < a->expiry) {
            tail->next = b;
            b = b->next;
        } else {
            tail->next = a;
            a = a->next;
        }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return out.next;
}

/* Sorts the list under @p head by expiry, keeping equal expiries in list order. */
static void sort_list(sk_timer *head)
{
    /* Timers armed with one timeout in time order arrive sorted: check first. */
    size_t n = 0;
    bool sorted = true;
    for (sk_timer *t = head->next; t != head; t = t->next) {
        if (n++ > 0 && t->expiry < t->prev->expiry)
            sorted = false;
    }
    if (sorted)
        return;
    head->prev->next = NULL;
    sk_timer *t = sort_chain(head->next, n);
    sk_timer *prev = head;
    for (; t; t = t->next) {
        t->prev = prev;
        prev->next = t;
        prev = t;
    }
    prev->next = head;
    head->prev = prev;
}

/* Fires the timers on @p batch in expiry order. A callback may cancel or
 * re-arm timers still on the batch; they simply leave it. */
static uint32_t fire(sk_wheel *w, sk_timer *batch, uint64_t now)
{
    uint32_t fired = 0;
    sort_list(batch);
    while (!list_empty(batch)) {
        sk_timer *t = batch->next;
        unlink_timer(w, t);
        w->armed--;
        fired++;
        t->fn(t, now);
    }
    return fired;
}

uint32_t sk_wheel_expire(sk_wheel *w, uint64_t now)
{
    if (w->expiring)
        return 0;
    if (now < w->last_now)
        now = w->last_now;
    w->expiring = true;
    /* From here on any arming at or before now goes to the due list and any
     * later one lands beyond target: nothing armed now fires in this call. */
    w->last_now = now;
    uint64_t target = now / w->tick_ns;

    sk_timer batch;
    list_head_init(&batch, TAG_NONE);
    list_splice_tail(&batch, &w->due);
    w->due_min = NO_TICK;

    uint32_t fired = 0;
    for (;;) {
        uint64_t tick = next_event_tick(w);
        /* Due timers precede every wheel tick but the first, where they may
         * tie: fire them alone unless that first tick is the one at hand.
         * Their callbacks may arm timers, so look for the next tick again
         * (a timer placed from here may cascade before target). */
        bool tick_due = tick != NO_TICK && tick <= target;
        if (!list_empty(&batch) && (!tick_due || tick != w->now_tick + 1)) {
            fired += fire(w, &batch, now);
            continue;
        }
        if (!tick_due)
            break;
        w->now_tick = tick - 1;
        cascade(w, tick);
        unsigned slot = (unsigned)(tick & SLOT_MASK);
        if (!list_empty(&w->slots[0][slot])) {
            map_clear(w, 0, slot);
            list_splice_tail(&batch, &w->slots[0][slot]);
        }
        w->now_tick = tick;
        fired += fire(w, &batch, now);
    }
    /* No step has work up to target: jumping there keeps every invariant. */
    if (target > w->now_tick)
        w->now_tick = target;
    w->expiring = false;
    return fired;
}
