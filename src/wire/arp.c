/* ARP for IPv4 over Ethernet (RFC 826). */
#include "arp.h"

#include <string.h>

#include "bytes.h"
#include "synack/error.h"

/* RFC 826 "Packet format": ar$hrd 1 (Ethernet), ar$pro 0x0800, ar$hln 6, ar$pln 4. */
#define ARP_HTYPE_ETHERNET 1

int sk_arp_parse(const uint8_t *p, size_t len, sk_arp *a)
{
    if (len < SK_ARP_LEN)
        return SYNACK_ERR_TRUNCATED;
    if (sk_get16(p) != ARP_HTYPE_ETHERNET || sk_get16(p + 2) != SK_ETHERTYPE_IPV4 ||
        p[4] != SK_ETH_ALEN || p[5] != 4)
        return SYNACK_ERR_UNSUPPORTED;
    uint16_t op = sk_get16(p + 6);
    if (op != SK_ARP_OP_REQUEST && op != SK_ARP_OP_REPLY)
        return SYNACK_ERR_MALFORMED;
    a->op = op;
    memcpy(a->sha, p + 8, SK_ETH_ALEN);
    a->spa = sk_get32(p + 14);
    memcpy(a->tha, p + 18, SK_ETH_ALEN);
    a->tpa = sk_get32(p + 24);
    return 0;
}

size_t sk_arp_emit(uint8_t *buf, size_t cap, const sk_arp *a)
{
    if (cap < SK_ARP_LEN)
        return 0;
    sk_put16(buf, ARP_HTYPE_ETHERNET);
    sk_put16(buf + 2, SK_ETHERTYPE_IPV4);
    buf[4] = SK_ETH_ALEN;
    buf[5] = 4;
    sk_put16(buf + 6, a->op);
    memcpy(buf + 8, a->sha, SK_ETH_ALEN);
    sk_put32(buf + 14, a->spa);
    memcpy(buf + 18, a->tha, SK_ETH_ALEN);
    sk_put32(buf + 24, a->tpa);
    return SK_ARP_LEN;
}
