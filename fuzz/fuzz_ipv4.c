/* Fuzz target: an IPv4 datagram (no link header). Parses the header and,
 * when it is valid, the ICMP or TCP header it carries, then checks that
 * every length reported lies inside the input and that re-emitting the
 * header reproduces it. abort() only on a broken invariant: bad input must
 * come back as an error code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/error.h"
#include "wire/checksum.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void check_payload(const sk_ipv4_hdr *h, const uint8_t *p, size_t len)
{
    if (h->proto == SK_IPPROTO_ICMP) {
        sk_icmp_hdr ih;
        int rc = sk_icmp_parse(p, len, &ih);
        CHECK(rc == 0 || rc == SYNACK_ERR_TRUNCATED || rc == SYNACK_ERR_CHECKSUM);
        if (rc == 0)
            CHECK(sk_csum(p, len) == 0);
    } else if (h->proto == SK_IPPROTO_TCP) {
        sk_tcp_hdr th;
        int rc = sk_tcp_parse(p, len, &th);
        CHECK(rc == 0 || rc == SYNACK_ERR_TRUNCATED || rc == SYNACK_ERR_MALFORMED);
        if (rc == 0) {
            CHECK(th.hlen >= SK_TCP_HLEN && th.hlen <= SK_TCP_MAX_HLEN && th.hlen <= len);
            CHECK(th.opts == p + SK_TCP_HLEN && th.opts_len == (size_t)th.hlen - SK_TCP_HLEN);
            sk_tcp_opts o;
            rc = sk_tcp_parse_options(th.opts, th.opts_len, &o);
            CHECK(rc == 0 || rc == SYNACK_ERR_MALFORMED);
            CHECK(o.nsack <= SK_TCP_MAX_SACK);
            rc = sk_tcp_verify_checksum(h->src, h->dst, p, len);
            CHECK(rc == 0 || rc == SYNACK_ERR_CHECKSUM);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sk_ipv4_hdr h;
    int rc = sk_ipv4_parse(data, size, &h);
    CHECK(rc == 0 || rc == SYNACK_ERR_TRUNCATED || rc == SYNACK_ERR_UNSUPPORTED ||
          rc == SYNACK_ERR_MALFORMED || rc == SYNACK_ERR_CHECKSUM);
    if (rc != 0)
        return 0;
    CHECK(h.hlen >= SK_IPV4_HLEN && h.hlen <= 60 && h.hlen % 4 == 0);
    CHECK(h.hlen <= h.total_len && h.total_len <= size);
    CHECK(sk_csum(data, h.hlen) == 0);

    /* Re-emit without options: every field but IHL and the checksum must
     * come back the same, and the new header must verify. */
    uint8_t out[SK_IPV4_HLEN];
    CHECK(sk_ipv4_emit(out, sizeof(out), &h) == SK_IPV4_HLEN);
    CHECK(memcmp(out + 1, data + 1, 9) == 0 && memcmp(out + 12, data + 12, 8) == 0);
    CHECK(sk_csum(out, sizeof(out)) == 0);
    /* And the emitted header parses back to the same fields (as a bare
     * header: its total length set to 20 so that it stands alone). */
    sk_ipv4_hdr bare = h, back;
    bare.total_len = SK_IPV4_HLEN;
    CHECK(sk_ipv4_emit(out, sizeof(out), &bare) == SK_IPV4_HLEN);
    CHECK(sk_ipv4_parse(out, sizeof(out), &back) == 0);
    CHECK(back.hlen == SK_IPV4_HLEN && back.tos == h.tos && back.id == h.id &&
          back.frag == h.frag && back.ttl == h.ttl && back.proto == h.proto && back.src == h.src &&
          back.dst == h.dst);

    check_payload(&h, data + h.hlen, (size_t)h.total_len - h.hlen);
    return 0;
}
