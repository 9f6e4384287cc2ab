/* Ethernet II framing (RFC 894). */
#include "ethernet.h"

#include <string.h>

#include "bytes.h"
#include "synack/error.h"

const uint8_t sk_eth_broadcast[SK_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

int sk_eth_parse(const uint8_t *frame, size_t len, sk_eth_hdr *h)
{
    if (len < SK_ETH_HLEN)
        return SYNACK_ERR_TRUNCATED;
    memcpy(h->dst, frame, SK_ETH_ALEN);
    memcpy(h->src, frame + 6, SK_ETH_ALEN);
    h->type = sk_get16(frame + 12);
    return 0;
}

size_t sk_eth_emit(uint8_t *buf, size_t cap, const sk_eth_hdr *h)
{
    if (cap < SK_ETH_HLEN)
        return 0;
    memcpy(buf, h->dst, SK_ETH_ALEN);
    memcpy(buf + 6, h->src, SK_ETH_ALEN);
    sk_put16(buf + 12, h->type);
    return SK_ETH_HLEN;
}
