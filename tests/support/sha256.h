/* Test support: SHA-256 (FIPS 180-2), small and incremental, so that
 * simulations can check whole byte streams end to end. Not for secrets:
 * no effort is made to be constant-time or fast. */
#ifndef SYNACK_TEST_SHA256_H
#define SYNACK_TEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;    /* message bytes so far */
    uint8_t buf[64]; /* a partial block */
    size_t used;     /* bytes in buf */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; @p c must be initialised again before reuse. */
void sha256_final(sha256_ctx *c, uint8_t out[SHA256_DIGEST_LEN]);
/* One call: the digest of @p len bytes. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);
/* Lower-case hex of a digest into @p out (65 bytes with the NUL); returns out. */
char *sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1]);

#endif
