/* A small, fast, seeded generator (xoshiro256**, seeded by splitmix64).
 * Deterministic per seed, so a simulation run can be replayed exactly.
 * Not for secrets: keys come from the caller or from siphash of the seed. */
#ifndef SK_CORE_PRNG_H
#define SK_CORE_PRNG_H

#include <stdint.h>

typedef struct sk_prng {
    uint64_t s[4];
} sk_prng;

void sk_prng_seed(sk_prng *p, uint64_t seed);
uint64_t sk_prng_next(sk_prng *p);
/* Uniform in [0, n) without modulo bias; n == 0 returns 0. */
uint64_t sk_prng_below(sk_prng *p, uint64_t n);
/* Uniform double in [0, 1). */
double sk_prng_double(sk_prng *p);
/* true with probability prob (prob <= 0 never, >= 1 always). */
int sk_prng_chance(sk_prng *p, double prob);

#endif
