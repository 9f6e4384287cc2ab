#include "prng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sk_prng_seed(sk_prng *p, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        p->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** 1.0 (Blackman & Vigna). */
uint64_t sk_prng_next(sk_prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sk_prng_below(sk_prng *p, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection sampling: discard the top partial range. */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t r;
    do {
        r = sk_prng_next(p);
    } while (r >= limit);
    return r % n;
}

double sk_prng_double(sk_prng *p)
{
    return (double)(sk_prng_next(p) >> 11) * 0x1.0p-53;
}

int sk_prng_chance(sk_prng *p, double prob)
{
    if (prob <= 0.0)
        return 0;
    if (prob >= 1.0)
        return 1;
    return sk_prng_double(p) < prob;
}
