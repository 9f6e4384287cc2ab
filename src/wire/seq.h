/* Sequence-number arithmetic modulo 2^32 (RFC 9293 3.4, RFC 1982 style).
 * Always compare sequence numbers with these, never with < or >. */
#ifndef SK_WIRE_SEQ_H
#define SK_WIRE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool sk_seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool sk_seq_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}
static inline bool sk_seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool sk_seq_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}
/* lo <= x < hi, on the circle (lo == hi is an empty range). */
static inline bool sk_seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
    return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}
/* lo <= x <= hi, on the circle. */
static inline bool sk_seq_in_closed(uint32_t x, uint32_t lo, uint32_t hi)
{
    return (uint32_t)(x - lo) <= (uint32_t)(hi - lo);
}
static inline uint32_t sk_seq_max(uint32_t a, uint32_t b)
{
    return sk_seq_ge(a, b) ? a : b;
}
static inline uint32_t sk_seq_min(uint32_t a, uint32_t b)
{
    return sk_seq_le(a, b) ? a : b;
}

#endif
