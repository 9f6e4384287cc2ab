/* Receive-side reassembly micro-benchmark: ns per 1448-byte segment taken
 * by sk_reass_add into a 256 KiB ring (the copy included), for a stream in
 * order, with every pair of segments swapped, and with every 50th segment
 * late by 20 segments (a hole that the SACK blocks report meanwhile: the
 * blocks are computed after every segment, as an ACK would). The reader
 * drains the ring whenever it is half full.
 *
 * Usage: bench_reass [segments]. Prints figures; it is not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcp/reass.h"

#define MSS  1448u
#define RING (256u * 1024u)

static uint64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The arrival order of segment indexes for a pattern. */
static void order(uint32_t *ord, uint32_t n, int pattern)
{
    for (uint32_t i = 0; i < n; i++)
        ord[i] = i;
    if (pattern == 1) {
        for (uint32_t i = 0; i + 1 < n; i += 2) {
            uint32_t t = ord[i];
            ord[i] = ord[i + 1];
            ord[i + 1] = t;
        }
    } else if (pattern == 2) {
        /* Segment k (k % 50 == 0) arrives after k + 20. */
        for (uint32_t k = 0; k + 20 < n; k += 50) {
            uint32_t late = ord[k];
            memmove(&ord[k], &ord[k + 1], 20 * sizeof ord[0]);
            ord[k + 20] = late;
        }
    }
}

static double run(uint32_t n, int pattern, uint64_t *sum)
{
    uint32_t *ord = malloc(n * sizeof *ord);
    uint8_t *store = malloc(RING), *out = malloc(RING);
    sk_reass *r = malloc(sk_reass_size(SK_REASS_DEFAULT_RANGES));
    uint8_t seg[MSS];
    if (!ord || !store || !out || !r)
        abort();
    for (uint32_t i = 0; i < MSS; i++)
        seg[i] = (uint8_t)i;
    order(ord, n, pattern);
    sk_buf b;
    sk_buf_init(&b, RING);
    b.data = store;
    sk_reass_init(r, SK_REASS_DEFAULT_RANGES);
    uint32_t rcv_nxt = 0xfff00000u, isn = rcv_nxt;
    sk_tcp_sack_block blk[4];
    uint64_t t0 = clock_ns();
    for (uint32_t i = 0; i < n; i++) {
        sk_reass_result res;
        int rc = sk_reass_add(r, &b, rcv_nxt, isn + ord[i] * MSS, seg, MSS, false, &res);
        if (rc < 0)
            abort(); /* the ring is drained early enough for this never to happen */
        rcv_nxt += res.in_order;
        *sum += sk_reass_sack_blocks(r, rcv_nxt, blk, 3, true);
        if (b.len >= RING / 2)
            *sum += sk_buf_read_keep(&b, out, RING);
    }
    uint64_t t1 = clock_ns();
    if (rcv_nxt - isn != n * MSS)
        abort();
    free(ord);
    free(store);
    free(out);
    free(r);
    return (double)(t1 - t0) / n;
}

int main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 2000000;
    static const char *const names[] = {"in order", "pairs swapped", "every 50th 20 late"};
    uint64_t sum = 0;
    printf("bench_reass: %u segments of %u bytes, ring %u KiB\n", n, MSS, RING / 1024);
    for (int p = 0; p < 3; p++) {
        double ns = run(n, p, &sum);
        printf("  %-20s %7.1f ns/segment  %6.2f Gbit/s\n", names[p], ns, MSS * 8.0 / ns);
    }
    return sum == 0; /* keep the work observable */
}
