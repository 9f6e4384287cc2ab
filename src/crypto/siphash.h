/* SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF",
 * INDOCRYPT 2012): a keyed 64-bit hash, so that an attacker who does not know
 * the key cannot build colliding inputs (connection table) or predict the
 * output (RFC 6528 initial sequence numbers).
 *
 * The key is 16 bytes, read as two little-endian 64-bit words as in the
 * reference implementation; the output is the 64-bit value whose
 * little-endian bytes are the reference's 8 output bytes.
 */
#ifndef SK_CRYPTO_SIPHASH_H
#define SK_CRYPTO_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SK_SIPHASH_KEY_LEN 16

/* SipHash-2-4 of @p len bytes at @p data (data may be NULL when len is 0). */
uint64_t sk_siphash24(const uint8_t key[SK_SIPHASH_KEY_LEN], const void *data, size_t len);

/* SipHash-2-4 of the 12 bytes a, b, c, each little-endian: the same value as
 * sk_siphash24 over those bytes, without building the buffer. For hashing a
 * 4-tuple (two addresses and the two ports packed in one word). */
uint64_t sk_siphash24_u32x3(const uint8_t key[SK_SIPHASH_KEY_LEN], uint32_t a, uint32_t b,
                            uint32_t c);

#endif
