/* SHA-256 (FIPS 180-2), small and incremental, so that simulations (the
 * tests and `synack sim`) can check whole byte streams end to end. The stack
 * itself does not use it; it lives here, internal, so that tools and tests
 * share one copy without it becoming public API. Not for secrets: no effort
 * is made to be constant-time or fast. */
#ifndef SK_CRYPTO_SHA256_H
#define SK_CRYPTO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SK_SHA256_DIGEST_LEN 32

typedef struct sk_sha256_ctx {
    uint32_t h[8];
    uint64_t len;    /* message bytes so far */
    uint8_t buf[64]; /* a partial block */
    size_t used;     /* bytes in buf */
} sk_sha256_ctx;

void sk_sha256_init(sk_sha256_ctx *c);
void sk_sha256_update(sk_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; @p c must be initialised again before reuse. */
void sk_sha256_final(sk_sha256_ctx *c, uint8_t out[SK_SHA256_DIGEST_LEN]);
/* One call: the digest of @p len bytes. */
void sk_sha256(const void *data, size_t len, uint8_t out[SK_SHA256_DIGEST_LEN]);
/* Lower-case hex of a digest into @p out (65 bytes with the NUL); returns out. */
char *sk_sha256_hex(const uint8_t digest[SK_SHA256_DIGEST_LEN],
                    char out[2 * SK_SHA256_DIGEST_LEN + 1]);

#endif
