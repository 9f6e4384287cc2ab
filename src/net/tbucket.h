/* A token bucket: at most @c burst events at once, refilled at @c rate per
 * second, on the caller's clock. Used to rate-limit ICMP errors (RFC 1122
 * 3.2.2, RFC 1812 4.3.2.8). Tokens are kept in billionths so that a refill
 * over any number of nanoseconds is exact. */
#ifndef SK_NET_TBUCKET_H
#define SK_NET_TBUCKET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sk_tbucket {
    uint64_t nanotokens; /* tokens * 1e9 */
    uint64_t cap;        /* burst * 1e9 */
    uint64_t rate;       /* tokens per second == nanotokens per ns */
    uint64_t last;       /* time of the last refill, ns */
} sk_tbucket;

/* Starts full. */
void sk_tbucket_init(sk_tbucket *b, uint32_t rate_per_sec, uint32_t burst, uint64_t now);
/* Refills for the time since the last call, then takes one token if there
 * is one. @return true when the event may happen. */
bool sk_tbucket_take(sk_tbucket *b, uint64_t now);

#endif
