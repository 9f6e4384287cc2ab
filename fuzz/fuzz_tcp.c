/* Fuzz target: a TCP segment with its addresses. Input: 4 bytes source
 * address, 4 bytes destination address (big-endian), then the segment.
 * Parses the header, the options and the checksum; re-emits the header and
 * the options and checks they parse back to the same values. abort() only
 * on a broken invariant. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/error.h"
#include "wire/bytes.h"
#include "wire/tcp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* Options written with the SYN layout carry what the parsed ones carried. */
static void check_syn_round_trip(const sk_tcp_opts *o)
{
    uint8_t buf[40];
    size_t n = sk_tcp_emit_options(buf, sizeof(buf), o, true);
    CHECK(n % 4 == 0 && n <= 20);
    CHECK(sk_tcp_emit_options(buf, n == 0 ? 0 : n - 1, o, true) == 0 || n == 0);
    sk_tcp_opts b;
    CHECK(sk_tcp_parse_options(buf, n, &b) == 0);
    CHECK(b.has_mss == o->has_mss && (!o->has_mss || b.mss == o->mss));
    CHECK(b.has_wscale == o->has_wscale && (!o->has_wscale || b.wscale == o->wscale));
    CHECK(b.sack_permitted == o->sack_permitted);
    CHECK(b.has_ts == o->has_ts && (!o->has_ts || (b.tsval == o->tsval && b.tsecr == o->tsecr)));
    CHECK(b.nsack == 0);
}

static void check_data_round_trip(const sk_tcp_opts *o)
{
    uint8_t buf[40];
    size_t n = sk_tcp_emit_options(buf, sizeof(buf), o, false);
    CHECK(n % 4 == 0 && n <= 40);
    sk_tcp_opts b;
    CHECK(sk_tcp_parse_options(buf, n, &b) == 0);
    CHECK(!b.has_mss && !b.has_wscale && !b.sack_permitted);
    CHECK(b.has_ts == o->has_ts && (!o->has_ts || (b.tsval == o->tsval && b.tsecr == o->tsecr)));
    size_t fit = o->has_ts ? 3 : 4;
    size_t want = o->nsack < fit ? o->nsack : fit;
    CHECK(b.nsack == want);
    for (size_t i = 0; i < want; i++)
        CHECK(b.sack[i].left == o->sack[i].left && b.sack[i].right == o->sack[i].right);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    synack_ipv4 src = sk_get32(data), dst = sk_get32(data + 4);
    const uint8_t *seg = data + 8;
    size_t len = size - 8;

    sk_tcp_hdr h;
    int rc = sk_tcp_parse(seg, len, &h);
    CHECK(rc == 0 || rc == SYNACK_ERR_TRUNCATED || rc == SYNACK_ERR_MALFORMED);
    /* The options parser must cope with any span, not just a header's. */
    sk_tcp_opts o;
    rc = sk_tcp_parse_options(seg, len, &o);
    CHECK(rc == 0 || rc == SYNACK_ERR_MALFORMED);
    CHECK(o.nsack <= SK_TCP_MAX_SACK);
    if (sk_tcp_parse(seg, len, &h) != 0)
        return 0;
    CHECK(h.hlen >= SK_TCP_HLEN && h.hlen <= SK_TCP_MAX_HLEN && h.hlen % 4 == 0 && h.hlen <= len);
    CHECK(h.opts == seg + SK_TCP_HLEN && h.opts_len == (size_t)h.hlen - SK_TCP_HLEN);

    rc = sk_tcp_verify_checksum(src, dst, seg, len);
    CHECK(rc == 0 || rc == SYNACK_ERR_CHECKSUM);
    if (len <= 1600) {
        uint8_t copy[1600];
        memcpy(copy, seg, len);
        sk_tcp_set_checksum(src, dst, copy, len);
        CHECK(sk_tcp_verify_checksum(src, dst, copy, len) == 0);
        if (rc == 0) /* a verified checksum is only ambiguous as 0 vs 0xffff */
            CHECK(memcmp(copy, seg, len) == 0 ||
                  (sk_get16(seg + 16) == 0xffff && copy[16] == 0 && copy[17] == 0));
    }

    /* The header re-emitted from its parsed fields and its own options. */
    uint8_t out[SK_TCP_MAX_HLEN];
    size_t n = sk_tcp_emit(out, sizeof(out), &h, h.opts, h.opts_len);
    CHECK(n == h.hlen);
    CHECK(memcmp(out, seg, 12) == 0 && out[12] == (seg[12] & 0xf0) && out[13] == seg[13]);
    CHECK(memcmp(out + 14, seg + 14, 2) == 0 && memcmp(out + 18, seg + 18, n - 18) == 0);

    char flags[32];
    CHECK(strlen(sk_tcp_flags_str(h.flags, flags, sizeof(flags))) < sizeof(flags));

    if (sk_tcp_parse_options(h.opts, h.opts_len, &o) != 0)
        return 0;
    check_syn_round_trip(&o);
    check_data_round_trip(&o);
    return 0;
}
