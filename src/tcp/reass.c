#include "reass.h"

#include <string.h>

#include "synack/error.h"
#include "wire/seq.h"

size_t sk_reass_size(uint16_t cap)
{
    return sizeof(sk_reass) + (size_t)cap * sizeof(sk_range);
}

void sk_reass_init(sk_reass *r, uint16_t cap)
{
    sk_rangeset_init(&r->ooo, r->slots, cap);
    sk_reass_clear(r);
}

void sk_reass_clear(sk_reass *r)
{
    sk_rangeset_clear(&r->ooo);
    r->nhist = 0;
    r->dsack_pending = false;
    r->fin_pending = false;
    r->fin_seq = 0;
}

/* RFC 2018 4: the segment that triggered this ACK names the first block.
 * Older entries in the same block would only repeat it, and entries whose
 * block has gone in order name nothing: both are dropped. */
static void hist_push(sk_reass *r, uint32_t seq)
{
    int blk = sk_rangeset_find(&r->ooo, seq);
    uint8_t k = 0;
    for (uint8_t i = 0; i < r->nhist; i++) {
        int b = sk_rangeset_find(&r->ooo, r->hist[i]);
        if (b >= 0 && b != blk && k < SK_REASS_HISTORY - 1)
            r->hist[k++] = r->hist[i];
    }
    memmove(&r->hist[1], &r->hist[0], k * sizeof r->hist[0]);
    r->hist[0] = seq;
    r->nhist = (uint8_t)(k + 1);
}

static void hist_prune(sk_reass *r)
{
    uint8_t k = 0;
    for (uint8_t i = 0; i < r->nhist; i++)
        if (sk_rangeset_find(&r->ooo, r->hist[i]) >= 0)
            r->hist[k++] = r->hist[i];
    r->nhist = k;
}

/* RFC 2883 4: the D-SACK block names the first duplicate contiguous
 * sequence of the segment (its lowest, as in the examples of 4.2). */
static void note_dup(sk_reass *r, uint32_t left, uint32_t right)
{
    if (r->dsack_pending || !sk_seq_lt(left, right))
        return;
    r->dsack.left = left;
    r->dsack.right = right;
    r->dsack_pending = true;
}

/* Writes the bytes of [seq, seq + len) that no range holds yet (the first
 * copy of a byte wins) and notes the first duplicate run. The caller has
 * checked that everything fits in the ring. Returns bytes written. */
static uint32_t write_missing(sk_reass *r, sk_buf *buf, uint32_t rcv_nxt, uint32_t seq,
                              const uint8_t *data, uint32_t len)
{
    uint32_t end = seq + len, at = seq, written = 0;
    for (uint16_t i = 0; i < sk_rangeset_count(&r->ooo); i++) {
        const sk_range *g = sk_rangeset_at(&r->ooo, i);
        if (sk_seq_le(g->right, at))
            continue;
        if (sk_seq_ge(g->left, end))
            break;
        if (sk_seq_lt(at, g->left))
            written += sk_buf_write_at(buf, at - rcv_nxt, data + (at - seq), g->left - at);
        uint32_t dup_lo = sk_seq_max(at, g->left);
        at = sk_seq_min(end, g->right);
        note_dup(r, dup_lo, at);
    }
    if (sk_seq_lt(at, end))
        written += sk_buf_write_at(buf, at - rcv_nxt, data + (at - seq), end - at);
    return written;
}

/* A FIN is believed only where it can end the stream: not past the ring,
 * not before data already held, and not moved once seen. */
static bool fin_plausible(const sk_reass *r, uint32_t rcv_nxt, uint32_t fin_seq, uint32_t space)
{
    const sk_range *last = sk_rangeset_last(&r->ooo);
    if (r->fin_pending && fin_seq != r->fin_seq)
        return false;
    if (last && sk_seq_gt(last->right, fin_seq))
        return false;
    return fin_seq - rcv_nxt <= space;
}

int sk_reass_add(sk_reass *r, sk_buf *buf, uint32_t rcv_nxt, uint32_t seq, const uint8_t *data,
                 uint32_t len, bool fin, sk_reass_result *res)
{
    memset(res, 0, sizeof *res);
    /* RFC 2883 4: a D-SACK block reports the most recent segment only. */
    r->dsack_pending = false;

    /* Text before RCV.NXT was received already (RFC 9293 3.10.7.4 trims
     * it); a D-SACK tells the sender its retransmission was not needed. */
    if (len > 0 && sk_seq_lt(seq, rcv_nxt)) {
        uint32_t d = rcv_nxt - seq < len ? rcv_nxt - seq : len;
        note_dup(r, seq, seq + d);
        res->dup = d;
        seq += d;
        data += d;
        len -= d;
        res->ack_now = true;
    }
    if (fin && sk_seq_lt(seq + len, rcv_nxt))
        fin = false; /* a FIN taken already */

    /* Nothing follows a FIN (RFC 9293 3.10.7.4 eighth). */
    if (r->fin_pending && len > 0 && sk_seq_gt(seq + len, r->fin_seq)) {
        uint32_t keep = sk_seq_gt(r->fin_seq, seq) ? r->fin_seq - seq : 0;
        res->dropped += len - keep;
        len = keep;
    }

    uint32_t space = sk_buf_space(buf);
    if (len > 0) {
        if (!buf->data) {
            res->dropped += len;
            return SYNACK_ERR_INVAL;
        }
        uint32_t off = seq - rcv_nxt;
        if (off >= space) {
            res->dropped += len;
            res->ack_now = true;
            return res->dup ? 0 : SYNACK_ERR_NOBUFS;
        }
        if (len > space - off) {
            res->dropped += len - (space - off);
            len = space - off;
            fin = false; /* the FIN lies past what we keep */
        }
    }
    uint32_t end = seq + len;
    if (fin && !fin_plausible(r, rcv_nxt, end, space))
        fin = false;

    bool had_ooo = !sk_rangeset_empty(&r->ooo);
    uint32_t written = len ? write_missing(r, buf, rcv_nxt, seq, data, len) : 0;
    res->dup += len - written;
    if (len > written)
        res->ack_now = true;

    if (seq == rcv_nxt) {
        /* In order: commit it and every held range it now reaches. */
        uint32_t nxt = end;
        for (uint16_t i = 0; i < sk_rangeset_count(&r->ooo); i++) {
            const sk_range *g = sk_rangeset_at(&r->ooo, i);
            if (sk_seq_gt(g->left, nxt))
                break;
            nxt = sk_seq_max(nxt, g->right);
        }
        sk_rangeset_remove_below(&r->ooo, nxt);
        sk_buf_commit(buf, nxt - rcv_nxt);
        res->in_order = nxt - rcv_nxt;
        if (had_ooo && len > 0)
            res->ack_now = true; /* RFC 5681 4.2: it filled (part of) a gap */
        hist_prune(r);
        if (fin && nxt == end)
            res->fin = true;
        else if (r->fin_pending && nxt == r->fin_seq)
            res->fin = true;
        if (res->fin)
            r->fin_pending = false;
        return (int)res->in_order;
    }

    /* Out of order: record what is held. */
    res->ack_now = true; /* RFC 5681 4.2: a duplicate ACK at once */
    if (len > 0) {
        int rc = sk_rangeset_add(&r->ooo, seq, end);
        if (rc < 0) {
            /* Touches no range, so nothing was a duplicate: drop it all. */
            res->dropped += len;
            res->dup = 0;
            r->dsack_pending = false;
            return rc;
        }
        res->stored = written;
        hist_push(r, seq);
    }
    if (fin) {
        r->fin_pending = true;
        r->fin_seq = end;
    }
    return 0;
}

/* Blocks being written into one SACK option: each range at most once. */
typedef struct sack_out {
    sk_tcp_sack_block *out;
    size_t n, max;
    int done[SK_TCP_MAX_SACK];
    size_t ndone;
} sack_out;

static void emit_range(sack_out *o, const sk_reass *r, uint32_t rcv_nxt, int k)
{
    if (k < 0 || o->n == o->max)
        return;
    for (size_t j = 0; j < o->ndone; j++)
        if (o->done[j] == k)
            return;
    const sk_range *g = sk_rangeset_at(&r->ooo, (uint16_t)k);
    if (sk_seq_le(g->right, rcv_nxt))
        return;
    o->done[o->ndone++] = k;
    o->out[o->n].left = sk_seq_max(g->left, rcv_nxt);
    o->out[o->n].right = g->right;
    o->n++;
}

size_t sk_reass_sack_blocks(sk_reass *r, uint32_t rcv_nxt, sk_tcp_sack_block *out, size_t max,
                            bool dsack)
{
    sack_out o = {.out = out, .max = max < SK_TCP_MAX_SACK ? max : SK_TCP_MAX_SACK};
    if (o.max == 0)
        return 0;
    if (dsack && r->dsack_pending) {
        out[o.n++] = r->dsack;
        r->dsack_pending = false; /* RFC 2883 4: each duplicate in one D-SACK */
    }
    /* RFC 2018 4: the blocks of the most recent segments first, newest
     * first; then whatever else is held, from the lowest up, which tells
     * the sender most about the holes it must fill first. */
    for (uint8_t h = 0; h < r->nhist; h++)
        emit_range(&o, r, rcv_nxt, sk_rangeset_find(&r->ooo, r->hist[h]));
    for (uint16_t k = 0; k < sk_rangeset_count(&r->ooo); k++)
        emit_range(&o, r, rcv_nxt, k);
    return o.n;
}
