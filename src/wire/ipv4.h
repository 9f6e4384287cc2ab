/* IPv4 header (RFC 791). Options are skipped (their length is honoured),
 * never interpreted. */
#ifndef SK_WIRE_IPV4_H
#define SK_WIRE_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/config.h"

#define SK_IPV4_HLEN        20
#define SK_IPV4_FLAG_DF     0x4000
#define SK_IPV4_FLAG_MF     0x2000
#define SK_IPV4_OFFSET_MASK 0x1fff
#define SK_IPPROTO_ICMP     1
#define SK_IPPROTO_TCP      6
#define SK_IPPROTO_UDP      17

typedef struct sk_ipv4_hdr {
    uint8_t hlen; /* header length in bytes, 20..60 */
    uint8_t tos;
    uint16_t total_len; /* header + payload */
    uint16_t id;
    uint16_t frag; /* flags and fragment offset, as on the wire */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    synack_ipv4 src, dst;
} sk_ipv4_hdr;

/* Parses and validates the header of the datagram at @p p (bytes past
 * total_len, such as Ethernet padding, are ignored).
 * @return 0;
 *   SYNACK_ERR_TRUNCATED  len < 20, or len < header length or total length;
 *   SYNACK_ERR_UNSUPPORTED version is not 4;
 *   SYNACK_ERR_MALFORMED  IHL < 5, or total length < header length;
 *   SYNACK_ERR_CHECKSUM   header checksum wrong. */
int sk_ipv4_parse(const uint8_t *p, size_t len, sk_ipv4_hdr *h);
/* Writes a 20-byte header (no options) from @p h, computing the checksum
 * (h->hlen and h->csum are ignored). @return 20, or 0 when cap < 20. */
size_t sk_ipv4_emit(uint8_t *buf, size_t cap, const sk_ipv4_hdr *h);
static inline bool sk_ipv4_is_fragment(const sk_ipv4_hdr *h)
{
    return (h->frag & (SK_IPV4_FLAG_MF | SK_IPV4_OFFSET_MASK)) != 0;
}

#endif
