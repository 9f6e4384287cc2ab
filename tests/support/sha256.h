/* Test support: the short names tests use for the stack's internal SHA-256
 * (src/crypto/sha256.h), so that simulations can check whole byte streams
 * end to end. */
#ifndef SYNACK_TEST_SHA256_H
#define SYNACK_TEST_SHA256_H

#include "crypto/sha256.h"

#define SHA256_DIGEST_LEN SK_SHA256_DIGEST_LEN

typedef sk_sha256_ctx sha256_ctx;

static inline void sha256_init(sha256_ctx *c)
{
    sk_sha256_init(c);
}
static inline void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
    sk_sha256_update(c, data, len);
}
static inline void sha256_final(sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN])
{
    sk_sha256_final(c, out);
}
static inline void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN])
{
    sk_sha256(data, len, out);
}
static inline char *sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN],
                               char out[2 * SHA256_DIGEST_LEN + 1])
{
    return sk_sha256_hex(digest, out);
}

#endif
