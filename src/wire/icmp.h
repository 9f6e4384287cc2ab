/* ICMP for IPv4 (RFC 792). */
#ifndef SK_WIRE_ICMP_H
#define SK_WIRE_ICMP_H

#include <stddef.h>
#include <stdint.h>

#define SK_ICMP_HLEN          8
#define SK_ICMP_ECHO_REPLY    0
#define SK_ICMP_DEST_UNREACH  3
#define SK_ICMP_ECHO_REQUEST  8
#define SK_ICMP_TIME_EXCEEDED 11
/* Destination-unreachable codes (RFC 792, RFC 1122 3.2.2.1). */
#define SK_ICMP_UNREACH_NET      0
#define SK_ICMP_UNREACH_HOST     1
#define SK_ICMP_UNREACH_PROTOCOL 2
#define SK_ICMP_UNREACH_PORT     3
#define SK_ICMP_UNREACH_NEEDFRAG 4

typedef struct sk_icmp_hdr {
    uint8_t type, code;
    uint16_t csum;
    uint32_t rest; /* echo: id << 16 | seq; unreachable: unused / next-hop MTU */
} sk_icmp_hdr;

/* Parses the 8-byte header and verifies the checksum over all @p len bytes.
 * @return 0, SYNACK_ERR_TRUNCATED (len < 8), SYNACK_ERR_CHECKSUM. */
int sk_icmp_parse(const uint8_t *p, size_t len, sk_icmp_hdr *h);
/* Writes header + body, computing the checksum.
 * @return 8 + body_len, or 0 when cap is too small. */
size_t sk_icmp_emit(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint32_t rest,
                    const uint8_t *body, size_t body_len);

#endif
