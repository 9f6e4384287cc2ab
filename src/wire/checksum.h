/* The Internet checksum (RFC 1071) and the TCP/UDP IPv4 pseudo-header
 * (RFC 9293 3.1). Sums are kept in 32 bits and folded at the end. */
#ifndef SK_WIRE_CHECKSUM_H
#define SK_WIRE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "synack/config.h"

/* Adds @p len bytes to a running one's-complement sum. Feed chunks of even
 * length, except possibly the last (RFC 1071 treats an odd final byte as
 * padded with a zero). */
uint32_t sk_csum_add(uint32_t sum, const uint8_t *data, size_t len);
/* Folds a running sum to 16 bits and complements it: the value to store. */
uint16_t sk_csum_fold(uint32_t sum);
/* sk_csum_fold(sk_csum_add(0, data, len)). A buffer that includes a correct
 * checksum field sums to 0. */
uint16_t sk_csum(const uint8_t *data, size_t len);
/* Running sum of the IPv4 pseudo-header: src, dst, zero, proto, length. */
uint32_t sk_csum_pseudo_ipv4(synack_ipv4 src, synack_ipv4 dst, uint8_t proto, uint16_t len);

#endif
