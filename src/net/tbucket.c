#include "tbucket.h"

#define NANO 1000000000ULL

void sk_tbucket_init(sk_tbucket *b, uint32_t rate_per_sec, uint32_t burst, uint64_t now)
{
    b->cap = (uint64_t)burst * NANO;
    b->nanotokens = b->cap;
    b->rate = rate_per_sec;
    b->last = now;
}

static void refill(sk_tbucket *b, uint64_t now)
{
    if (now <= b->last)
        return;
    uint64_t elapsed = now - b->last;
    b->last = now;
    uint64_t room = b->cap - b->nanotokens;
    /* elapsed * rate >= room, written so that it cannot overflow. */
    if (b->rate != 0 && elapsed >= (room + b->rate - 1) / b->rate)
        b->nanotokens = b->cap;
    else
        b->nanotokens += elapsed * b->rate;
}

bool sk_tbucket_take(sk_tbucket *b, uint64_t now)
{
    refill(b, now);
    if (b->nanotokens < NANO)
        return false;
    b->nanotokens -= NANO;
    return true;
}
