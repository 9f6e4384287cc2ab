/* Fuzz target: the receive-side reassembly (src/tcp/reass.c) driven by an
 * arbitrary sequence of segments, reads and SACK queries against a model.
 *
 * Input: 2 bytes ring size (64 + value % 4096), 1 byte range bound (0..16),
 * 4 bytes initial sequence number, 2 bytes stream length, then 5-byte
 * operations: kind, 2 bytes offset, 2 bytes length. Kinds 0-5 deliver
 * bytes [offset % (length + 64), + len % 1500) of the stream (a FIN with
 * it when it ends the stream and the kind is odd); 6 reads up to `offset`
 * bytes; 7 asks for SACK blocks.
 *
 * The stream's bytes are a function of their offset, so every byte read
 * must be the right one; a FIN is taken exactly once and only after the
 * whole stream. abort() only on a broken invariant: held ranges always lie
 * in (RCV.NXT, RCV.NXT + free space], within the bound; SACK blocks are
 * well formed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/error.h"
#include "tcp/reass.h"
#include "wire/seq.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static uint8_t stream_byte(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 7) + 17u);
}

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static void check_held(const sk_reass *r, const sk_buf *b, uint32_t rcv_nxt)
{
    const sk_rangeset *s = &r->ooo;
    CHECK(sk_rangeset_count(s) <= s->cap);
    for (uint16_t i = 0; i < sk_rangeset_count(s); i++) {
        const sk_range *g = sk_rangeset_at(s, i);
        CHECK(sk_seq_gt(g->left, rcv_nxt));
        CHECK(sk_seq_lt(g->left, g->right));
        CHECK(g->right - rcv_nxt <= sk_buf_space(b));
        if (i > 0)
            CHECK(sk_seq_gt(g->left, sk_rangeset_at(s, (uint16_t)(i - 1))->right));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint32_t ring = 64 + rd16(data) % 4096;
    uint16_t ranges = (uint16_t)(data[2] % 17);
    uint32_t isn =
        (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 | (uint32_t)data[5] << 8 | data[6];
    uint32_t total = rd16(data + 7);
    data += 9;
    size -= 9;

    uint8_t *store = malloc(ring);
    sk_reass *r = malloc(sk_reass_size(ranges));
    uint8_t *seg = malloc(1500 + 64);
    CHECK(store && r && seg);
    sk_buf b;
    sk_buf_init(&b, ring);
    b.data = store;
    sk_reass_init(r, ranges);
    uint32_t rcv_nxt = isn, nread = 0;
    bool fin_taken = false;

    for (; size >= 5; data += 5, size -= 5) {
        uint8_t kind = data[0] % 8;
        uint32_t a = rd16(data + 1), l = rd16(data + 3);
        if (kind <= 5) {
            uint32_t off = a % (total + 64), len = l % 1500;
            if (off > total)
                off = total;
            if (len > total - off)
                len = total - off;
            for (uint32_t i = 0; i < len; i++)
                seg[i] = stream_byte(off + i);
            bool fin = (kind & 1) && off + len == total;
            sk_reass_result res;
            int rc = sk_reass_add(r, &b, rcv_nxt, isn + off, seg, len, fin, &res);
            CHECK(rc >= 0 || rc == SYNACK_ERR_LIMIT || rc == SYNACK_ERR_NOBUFS);
            CHECK(rc < 0 || (uint32_t)rc == res.in_order);
            CHECK(res.stored + res.dup + res.dropped <= len);
            rcv_nxt += res.in_order;
            CHECK(rcv_nxt - isn <= total + (fin_taken ? 1u : 0u));
            if (res.fin) {
                CHECK(!fin_taken && rcv_nxt - isn == total);
                fin_taken = true;
                rcv_nxt++;
            }
        } else if (kind == 6) {
            uint8_t out[4096];
            uint32_t n = sk_buf_read_keep(&b, out, a % sizeof out);
            for (uint32_t i = 0; i < n; i++)
                CHECK(out[i] == stream_byte(nread + i));
            nread += n;
        } else {
            sk_tcp_sack_block blk[SK_TCP_MAX_SACK];
            size_t max = l % 6;
            size_t n = sk_reass_sack_blocks(r, rcv_nxt, blk, max, (a & 1) != 0);
            CHECK(n <= max && n <= SK_TCP_MAX_SACK);
            for (size_t i = 0; i < n; i++)
                CHECK(sk_seq_lt(blk[i].left, blk[i].right));
        }
        if (!fin_taken)
            check_held(r, &b, rcv_nxt);
    }
    free(store);
    free(r);
    free(seg);
    return 0;
}
