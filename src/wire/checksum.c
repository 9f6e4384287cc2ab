/* The Internet checksum (RFC 1071) and the IPv4 pseudo-header (RFC 9293 3.1). */
#include "checksum.h"

#include <string.h>

#include "bytes.h"

/* Adds two 64-bit words in one's complement: the carry out of bit 63 wraps
 * around to bit 0 (RFC 1071 2(C): the sum may be taken over any word size
 * that is a multiple of 16 bits and folded at the end). */
static inline uint64_t add64_carry(uint64_t acc, uint64_t w)
{
    acc += w;
    return acc + (acc < w);
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w)); /* unaligned-safe; a single load on common targets */
    return w;
}

/* Folds to 16 bits with end-around carry. The result is never 0 unless
 * every word summed was 0 (one's-complement +0 vs -0, RFC 1071 2(A)). */
static inline uint16_t fold64(uint64_t acc)
{
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffffffu) + (acc >> 32);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    acc = (acc & 0xffffu) + (acc >> 16);
    return (uint16_t)acc;
}

/* Sums the bytes as 16-bit words in the machine's own byte order. RFC 1071
 * 2(B): the one's-complement sum is independent of byte order, so the
 * folded result only needs swapping to network order once, at the end. */
static uint16_t sum_native(const uint8_t *p, size_t len)
{
    uint64_t a0 = 0, a1 = 0;
    while (len >= 32) {
        a0 = add64_carry(a0, load64(p));
        a1 = add64_carry(a1, load64(p + 8));
        a0 = add64_carry(a0, load64(p + 16));
        a1 = add64_carry(a1, load64(p + 24));
        p += 32;
        len -= 32;
    }
    while (len >= 8) {
        a0 = add64_carry(a0, load64(p));
        p += 8;
        len -= 8;
    }
    /* Tail of 0..7 bytes: pad with zeros to a whole word. An odd final
     * byte is the high-order byte of a word padded with zero (RFC 1071 1),
     * which is exactly where it lands in memory order. */
    if (len > 0) {
        uint8_t tail[8] = {0};
        memcpy(tail, p, len);
        a1 = add64_carry(a1, load64(tail));
    }
    return fold64(add64_carry(a0, a1));
}

/* Turns a 16-bit sum of native-order words into the network-order value. */
static inline uint16_t native_to_net(uint16_t v)
{
    uint8_t b[2];
    memcpy(b, &v, sizeof(b));
    return sk_get16(b);
}

uint32_t sk_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
    uint64_t acc = sum;
    if (len > 0)
        acc += native_to_net(sum_native(data, len));
    return fold64(acc);
}

uint16_t sk_csum_fold(uint32_t sum)
{
    return (uint16_t)~fold64(sum);
}

uint16_t sk_csum(const uint8_t *data, size_t len)
{
    return sk_csum_fold(sk_csum_add(0, data, len));
}

/* RFC 9293 3.1: the pseudo-header is source address, destination address,
 * a zero byte, the protocol and the TCP length, summed as 16-bit words. */
uint32_t sk_csum_pseudo_ipv4(synack_ipv4 src, synack_ipv4 dst, uint8_t proto, uint16_t len)
{
    uint64_t acc =
        (uint64_t)(src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
    return fold64(acc);
}
