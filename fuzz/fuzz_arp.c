/* Fuzz target: an Ethernet frame carrying ARP (the ethertype is not
 * required to say so: the ARP parser sees bytes 14.. regardless). A parsed
 * packet re-emits to exactly its first 28 bytes. abort() only on a broken
 * invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/error.h"
#include "wire/arp.h"
#include "wire/ethernet.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_eth_hdr e;
    int rc = sk_eth_parse(data, size, &e);
    CHECK(rc == 0 || (rc == SYNACK_ERR_TRUNCATED && size < SK_ETH_HLEN));
    if (rc != 0)
        return 0;
    uint8_t eout[SK_ETH_HLEN];
    CHECK(sk_eth_emit(eout, sizeof(eout), &e) == SK_ETH_HLEN);
    CHECK(memcmp(eout, data, SK_ETH_HLEN) == 0);

    const uint8_t *p = data + SK_ETH_HLEN;
    size_t len = size - SK_ETH_HLEN;
    sk_arp a;
    rc = sk_arp_parse(p, len, &a);
    CHECK(rc == 0 || rc == SYNACK_ERR_TRUNCATED || rc == SYNACK_ERR_UNSUPPORTED ||
          rc == SYNACK_ERR_MALFORMED);
    CHECK(rc != SYNACK_ERR_TRUNCATED || len < SK_ARP_LEN);
    if (rc != 0)
        return 0;
    CHECK(a.op == SK_ARP_OP_REQUEST || a.op == SK_ARP_OP_REPLY);
    uint8_t out[SK_ARP_LEN];
    CHECK(sk_arp_emit(out, sizeof(out), &a) == SK_ARP_LEN);
    CHECK(memcmp(out, p, SK_ARP_LEN) == 0);
    return 0;
}
