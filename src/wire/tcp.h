/* TCP header and options (RFC 9293 3.1; MSS RFC 9293 3.7.1; window scale
 * and timestamps RFC 7323; SACK RFC 2018). */
#ifndef SK_WIRE_TCP_H
#define SK_WIRE_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/config.h"

#define SK_TCP_HLEN     20
#define SK_TCP_MAX_HLEN 60

#define SK_TCP_FIN 0x01
#define SK_TCP_SYN 0x02
#define SK_TCP_RST 0x04
#define SK_TCP_PSH 0x08
#define SK_TCP_ACK 0x10
#define SK_TCP_URG 0x20
#define SK_TCP_ECE 0x40
#define SK_TCP_CWR 0x80

#define SK_TCPOPT_EOL       0
#define SK_TCPOPT_NOP       1
#define SK_TCPOPT_MSS       2
#define SK_TCPOPT_WSCALE    3
#define SK_TCPOPT_SACK_PERM 4
#define SK_TCPOPT_SACK      5
#define SK_TCPOPT_TS        8

#define SK_TCP_MAX_SACK 4 /* 4 blocks fit in 40 option bytes (RFC 2018 3) */

typedef struct sk_tcp_sack_block {
    uint32_t left, right; /* [left, right) */
} sk_tcp_sack_block;

typedef struct sk_tcp_opts {
    bool has_mss, has_wscale, sack_permitted, has_ts;
    uint16_t mss;
    uint8_t wscale; /* as received; callers clamp to 14 (RFC 7323 2.3) */
    uint32_t tsval, tsecr;
    uint8_t nsack;
    sk_tcp_sack_block sack[SK_TCP_MAX_SACK];
} sk_tcp_opts;

typedef struct sk_tcp_hdr {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t hlen;  /* data offset in bytes, 20..60 */
    uint8_t flags; /* SK_TCP_* (the 8 low flag bits) */
    uint16_t win;  /* as on the wire, unscaled */
    uint16_t csum;
    uint16_t urg;
    const uint8_t *opts; /* points into the parsed buffer; NULL when emitting */
    size_t opts_len;
} sk_tcp_hdr;

/* Parses the fixed header and locates the options.
 * @return 0; SYNACK_ERR_TRUNCATED (len < 20 or < data offset);
 *         SYNACK_ERR_MALFORMED (data offset < 5 words). */
int sk_tcp_parse(const uint8_t *seg, size_t len, sk_tcp_hdr *h);
/* Parses options into @p o (zeroed first): unknown kinds are skipped by
 * their length; EOL ends the list; an option whose length is < 2, runs past
 * the end, or has the wrong fixed size for its kind (MSS 4, WS 3, SACK-perm
 * 2, TS 10, SACK 2+8n, n >= 0) is rejected. At most SK_TCP_MAX_SACK blocks
 * are kept; a repeated kind overrides the earlier one.
 * @return 0 or SYNACK_ERR_MALFORMED. */
int sk_tcp_parse_options(const uint8_t *p, size_t len, sk_tcp_opts *o);
/* Verifies the checksum of a whole segment (header + data) with the IPv4
 * pseudo-header. @return 0 or SYNACK_ERR_CHECKSUM. */
int sk_tcp_verify_checksum(synack_ipv4 src, synack_ipv4 dst, const uint8_t *seg, size_t len);
/* Writes options in the layout Linux uses (so packetdrill scripts match):
 * SYN: MSS, then SACK-permitted+timestamps as (4,2,8,10,..) or NOP,NOP,TS or
 * NOP,NOP,SACK-perm, then NOP,WS. Other segments: NOP,NOP,TS then
 * NOP,NOP,SACK blocks. Every option fills whole 4-byte words (EOL never
 * needed). @p syn selects the SYN layout: with it, MSS, WS and SACK-permitted
 * are written and SACK blocks are not; without it, the reverse (RFC 9293
 * 3.7.1, RFC 7323 2.2, RFC 2018 2). SACK blocks that do not fit in 40 bytes
 * are left off from the end (3 fit beside timestamps, 4 without).
 * @return bytes written (multiple of 4, <= 40), or 0 when cap is too small. */
size_t sk_tcp_emit_options(uint8_t *buf, size_t cap, const sk_tcp_opts *o, bool syn);
/* Writes the header (h->hlen is computed as 20 + opts_len), then the
 * options. Checksum is left 0: finish with sk_tcp_set_checksum once the
 * payload follows. @return header length, or 0 if cap is too small or
 * opts_len is not a multiple of 4 or exceeds 40. */
size_t sk_tcp_emit(uint8_t *buf, size_t cap, const sk_tcp_hdr *h, const uint8_t *opts,
                   size_t opts_len);
/* Computes and stores the checksum of the whole segment at @p seg (does
 * nothing when len < 20 or > 65535). */
void sk_tcp_set_checksum(synack_ipv4 src, synack_ipv4 dst, uint8_t *seg, size_t len);
/* Writes flags as "SYN,ACK" style into buf: names joined by ',' in bit
 * order FIN,SYN,RST,PSH,ACK,URG,ECE,CWR; "none" when no flag is set. cap >= 32
 * always fits; a smaller cap drops whole names from the end. Returns buf. */
char *sk_tcp_flags_str(uint8_t flags, char *buf, size_t cap);

#endif
