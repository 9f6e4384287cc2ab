/* A small sorted set of disjoint half-open sequence-number ranges
 * [left, right) on the 2^32 circle: the out-of-order data a receiver holds
 * (RFC 9293 3.10.7.4, RFC 2018 4) and the SACKed data a sender knows of
 * (RFC 6675 4 Update()).
 *
 * The storage is the caller's (no allocation): an array of @c cap ranges.
 * Ranges are kept in ascending order, never overlap and never touch (two
 * adjacent ranges are merged into one).
 *
 * Sequence numbers are only ordered within half the circle (RFC 9293 3.4):
 * every range and every argument must lie within one window of less than
 * 2^31 bytes (the receive window or [SND.UNA, SND.MAX)), and the caller
 * removes what falls behind with sk_rangeset_remove_below() as the window
 * moves. Within that window the set is exact across the 2^32 wraparound.
 *
 * Operations are linear in the number of ranges: the sets are small (tens
 * of ranges) and a linear scan of a few cache lines beats anything clever.
 *
 * Cost: sizeof(sk_rangeset) is 16 bytes on LP64 plus 8 bytes per range of
 * storage. */
#ifndef SK_TCP_RANGESET_H
#define SK_TCP_RANGESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sk_range {
    uint32_t left, right; /* [left, right), left before right */
} sk_range;

typedef struct sk_rangeset {
    sk_range *r;  /* caller's storage, r[0..n) in ascending order */
    uint16_t n;   /* ranges held */
    uint16_t cap; /* ranges the storage holds */
} sk_rangeset;

/* Starts an empty set over @p storage (cap ranges; NULL when cap is 0). */
void sk_rangeset_init(sk_rangeset *s, sk_range *storage, uint16_t cap);

static inline void sk_rangeset_clear(sk_rangeset *s)
{
    s->n = 0;
}
static inline uint16_t sk_rangeset_count(const sk_rangeset *s)
{
    return s->n;
}
static inline bool sk_rangeset_empty(const sk_rangeset *s)
{
    return s->n == 0;
}
static inline bool sk_rangeset_full(const sk_rangeset *s)
{
    return s->n == s->cap;
}
/* The i-th range in ascending order (i < count): iterate with this. */
static inline const sk_range *sk_rangeset_at(const sk_rangeset *s, uint16_t i)
{
    return &s->r[i];
}
/* The lowest range, or NULL when empty. */
static inline const sk_range *sk_rangeset_first(const sk_rangeset *s)
{
    return s->n ? &s->r[0] : NULL;
}
/* The highest range, or NULL when empty. */
static inline const sk_range *sk_rangeset_last(const sk_rangeset *s)
{
    return s->n ? &s->r[s->n - 1] : NULL;
}

/* Adds [left, right), merging it with every range it overlaps or touches.
 * @return the index of the range that now holds [left, right) (>= 0);
 *         SYNACK_ERR_INVAL when the range is empty or not shorter than 2^31
 *         (left is not before right); SYNACK_ERR_LIMIT when it touches no
 *         range and the set is full: the set is unchanged and the caller
 *         decides (drop the segment, drop the SACK block). */
int sk_rangeset_add(sk_rangeset *s, uint32_t left, uint32_t right);

/* Removes every sequence number before @p seq (ranges ending at or before
 * it go, a range straddling it is trimmed to start at it). */
void sk_rangeset_remove_below(sk_rangeset *s, uint32_t seq);

/* Index of the range holding @p seq, or -1. */
int sk_rangeset_find(const sk_rangeset *s, uint32_t seq);

static inline bool sk_rangeset_contains(const sk_rangeset *s, uint32_t seq)
{
    return sk_rangeset_find(s, seq) >= 0;
}

/* Bytes of [left, right) that are in the set (0 for an empty range). */
uint32_t sk_rangeset_covered(const sk_rangeset *s, uint32_t left, uint32_t right);

/* Bytes in the whole set. */
uint32_t sk_rangeset_bytes(const sk_rangeset *s);

#endif
