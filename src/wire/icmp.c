/* ICMP for IPv4 (RFC 792). */
#include "icmp.h"

#include <string.h>

#include "bytes.h"
#include "checksum.h"
#include "synack/error.h"

int sk_icmp_parse(const uint8_t *p, size_t len, sk_icmp_hdr *h)
{
    if (len < SK_ICMP_HLEN)
        return SYNACK_ERR_TRUNCATED;
    /* RFC 792: the checksum covers the whole ICMP message, data included. */
    if (sk_csum(p, len) != 0)
        return SYNACK_ERR_CHECKSUM;
    h->type = p[0];
    h->code = p[1];
    h->csum = sk_get16(p + 2);
    h->rest = sk_get32(p + 4);
    return 0;
}

size_t sk_icmp_emit(uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint32_t rest,
                    const uint8_t *body, size_t body_len)
{
    if (cap < SK_ICMP_HLEN || cap - SK_ICMP_HLEN < body_len)
        return 0;
    /* memmove: an echo reply may be built in place over its request. */
    if (body_len > 0)
        memmove(buf + SK_ICMP_HLEN, body, body_len);
    buf[0] = type;
    buf[1] = code;
    sk_put16(buf + 2, 0);
    sk_put32(buf + 4, rest);
    sk_put16(buf + 2, sk_csum(buf, SK_ICMP_HLEN + body_len));
    return SK_ICMP_HLEN + body_len;
}
