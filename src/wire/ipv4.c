/* IPv4 header (RFC 791 3.1). */
#include "ipv4.h"

#include "bytes.h"
#include "checksum.h"
#include "synack/error.h"

int sk_ipv4_parse(const uint8_t *p, size_t len, sk_ipv4_hdr *h)
{
    if (len < SK_IPV4_HLEN)
        return SYNACK_ERR_TRUNCATED;
    if ((p[0] >> 4) != 4)
        return SYNACK_ERR_UNSUPPORTED;
    /* RFC 791 3.1: IHL counts 32-bit words; the minimum header is 5 words. */
    size_t hlen = (size_t)(p[0] & 0x0f) * 4;
    if (hlen < SK_IPV4_HLEN)
        return SYNACK_ERR_MALFORMED;
    if (len < hlen)
        return SYNACK_ERR_TRUNCATED;
    uint16_t total = sk_get16(p + 2);
    if (total < hlen)
        return SYNACK_ERR_MALFORMED;
    /* Bytes past total length (Ethernet minimum-frame padding) are not ours. */
    if (len < total)
        return SYNACK_ERR_TRUNCATED;
    /* RFC 791 3.1 "Header Checksum": covers the header only, options included. */
    if (sk_csum(p, hlen) != 0)
        return SYNACK_ERR_CHECKSUM;
    h->hlen = (uint8_t)hlen;
    h->tos = p[1];
    h->total_len = total;
    h->id = sk_get16(p + 4);
    h->frag = sk_get16(p + 6);
    h->ttl = p[8];
    h->proto = p[9];
    h->csum = sk_get16(p + 10);
    h->src = sk_get32(p + 12);
    h->dst = sk_get32(p + 16);
    return 0;
}

size_t sk_ipv4_emit(uint8_t *buf, size_t cap, const sk_ipv4_hdr *h)
{
    if (cap < SK_IPV4_HLEN)
        return 0;
    buf[0] = 0x45; /* version 4, IHL 5: we never send options */
    buf[1] = h->tos;
    sk_put16(buf + 2, h->total_len);
    sk_put16(buf + 4, h->id);
    sk_put16(buf + 6, h->frag);
    buf[8] = h->ttl;
    buf[9] = h->proto;
    sk_put16(buf + 10, 0);
    sk_put32(buf + 12, h->src);
    sk_put32(buf + 16, h->dst);
    sk_put16(buf + 10, sk_csum(buf, SK_IPV4_HLEN));
    return SK_IPV4_HLEN;
}
