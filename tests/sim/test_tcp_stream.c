/* TCP's promise, a reliable ordered byte stream (RFC 9293 1: "TCP ...
 * provides a reliable, in-order, byte-stream service"), as a property over
 * seeded runs (DESIGN.md test ring 3): two whole stacks on a memlink move
 * data both ways (a bulk stream A -> B and a smaller one back), under one
 * impairment at a time:
 *
 *   clean, loss 1%, 5% and 20%, reordering, duplication, 1% corruption,
 *   a 2-second blackout mid-transfer, and a receiver that reads slowly
 *   through a small buffer (zero windows), also with 2% loss (so that
 *   window updates are lost and only persist probes reopen the window).
 *
 * For every seed: each side reads exactly the bytes the other wrote (byte
 * for byte as they arrive, and SHA-256 of the whole stream), each reads the
 * end of stream once, nothing stalls (the link never goes idle with a
 * stream unfinished, and the reader never waits longer than the scenario's bound for
 * its next byte), and after both close every connection is gone and every
 * allocation freed. Each scenario also checks that its impairment really
 * happened: frames lost, reordered, duplicated; corrupted frames dropped by
 * the checksums (RFC 9293 3.1: "The checksum ... also covers a
 * pseudo-header"; RFC 1122 4.2.2.7: a segment with a bad checksum is
 * discarded); the blackout dropped frames and the stream ended after it;
 * the slow reader advertised a zero window (RFC 9293 3.8.6.1).
 *
 * Replay: SYNACK_SEED=N runs seed N alone with a trace of segments, drops
 * and app calls (SYNACK_SCENARIO=name limits it to one scenario);
 * SYNACK_SEEDS=N runs seeds 1..N instead of the default; SYNACK_LIST=1
 * prints one line per seed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "sha256.h"
#include "synack/synack.h"

#define MS     1000000ull
#define SEC    1000000000ull
#define ADDR_A 0x0a000001u /* the bulk sender, the client */
#define ADDR_B 0x0a000002u /* the bulk receiver, the server */
#define PORT_B 5001

#define DEFAULT_SEEDS 200
#define MAX_STEPS     4000000
#define BLACKOUT_NS   (2 * SEC)
#define RTO_MAX_NS    (3 * SEC)

static const char *prog = "test_tcp_stream";

/* ---- a small seeded generator ------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static uint64_t rng_range(rng *r, uint64_t lo, uint64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

/* ---- scenarios ------------------------------------------------------------ */

typedef struct scenario {
    const char *name;
    double loss, reorder, dup, corrupt;
    bool jitter;             /* uniform extra delay per frame, which also reorders */
    bool blackout;           /* 2 s of total loss once B has read a quarter */
    bool slow_reader;        /* B reads a little now and then, through a small buffer */
    size_t min_len, max_len; /* bytes A -> B */
    /* A stall: a reader waiting longer than this for its next byte (from
     * the connect). Set well past what the impairment explains: an RTO
     * backed off to RTO_MAX_NS after a run of losses, the blackout. */
    uint64_t stall_ns;
} scenario;

/* Sizes keep the whole file well under a minute under ASan: go-back-N
 * without reassembly (today's stack) pays an RTO and a window per loss. */
static const scenario scenarios[] = {
    {"clean", 0, 0, 0, 0, false, false, false, 1, 150000, 1 * SEC},
    {"loss1", 0.01, 0, 0, 0, false, false, false, 1, 100000, 10 * SEC},
    {"loss5", 0.05, 0, 0, 0, false, false, false, 1, 50000, 15 * SEC},
    {"loss20", 0.20, 0, 0, 0, false, false, false, 1, 20000, 30 * SEC},
    {"reorder", 0, 0.10, 0, 0, true, false, false, 1, 60000, 5 * SEC},
    {"dup", 0, 0, 0.10, 0, false, false, false, 1, 100000, 5 * SEC},
    {"corrupt1", 0, 0, 0, 0.01, false, false, false, 1, 100000, 10 * SEC},
    {"blackout", 0, 0, 0, 0, false, true, false, 100000, 150000, BLACKOUT_NS + 8 * SEC},
    {"slow_reader", 0, 0, 0, 0, false, false, true, 20000, 60000, 3 * SEC},
    /* Lost window updates: only the persist timer's probes reopen the
     * window (RFC 9293 3.8.6.1). */
    {"slow_reader_loss", 0.02, 0, 0, 0, false, false, true, 20000, 60000, 15 * SEC},
};
#define NSCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

/* What one seed of a scenario does. */
typedef struct plan {
    uint64_t seed;
    const scenario *sc;
    synack_impairments imp;
    size_t len[2];      /* bytes A writes, bytes B writes */
    uint32_t write_max; /* largest single send() */
    uint16_t mtu[2];
    uint32_t sndbuf[2], rcvbuf[2];
    uint32_t read_chunk; /* slow reader: bytes per wake-up */
    uint64_t read_every; /* slow reader: ns between wake-ups */
    /* Send-side variety, drawn last so that the draws above stay as they
     * were: congestion control, Nagle, and SACK/timestamps offered or not
     * (without SACK on either side, losses take NewReno's path). */
    uint8_t cc[2];
    bool nodelay[2], sack[2], timestamps[2];
} plan;

static void plan_make(plan *p, const scenario *sc, uint64_t seed)
{
    rng r = {seed * 0x9e3779b97f4a7c15ull + (uint64_t)(sc - scenarios) * 0x1000193ull};
    memset(p, 0, sizeof(*p));
    p->seed = seed;
    p->sc = sc;
    p->imp.loss = sc->loss;
    p->imp.reorder = sc->reorder;
    p->imp.duplicate = sc->dup;
    p->imp.corrupt = sc->corrupt;
    p->imp.delay_ns = rng_range(&r, 1, 20) * MS;
    if (sc->jitter && rng_below(&r, 2))
        p->imp.jitter_ns = rng_range(&r, 1, 5) * MS;
    if (rng_below(&r, 3) == 0)
        p->imp.rate_bps = rng_range(&r, 5, 100) * 1000000ull;
    p->len[0] = (size_t)rng_range(&r, sc->min_len, sc->max_len);
    p->len[1] = (size_t)rng_below(&r, p->len[0] / 4 + 1);
    p->write_max = (uint32_t)rng_range(&r, 1, rng_below(&r, 2) ? 2000 : 40000);
    static const uint16_t mtus[] = {576, 1000, 1500, 1500};
    static const uint32_t bufs[] = {4096, 16384, 65535, 65535};
    for (int i = 0; i < 2; i++) {
        p->mtu[i] = mtus[rng_below(&r, 4)];
        p->sndbuf[i] = bufs[rng_below(&r, 4)];
        p->rcvbuf[i] = bufs[rng_below(&r, 4)];
    }
    if (sc->slow_reader) {
        /* The sender can always fill the reader's buffer. */
        p->rcvbuf[1] = (uint32_t)rng_range(&r, 2048, 8192);
        p->sndbuf[0] = 65536;
        p->read_chunk = (uint32_t)rng_range(&r, 300, 2000);
        /* Slow: between reads the data that arrived fills the buffer and
         * the delayed ACK (40 ms by default, RFC 1122 4.2.3.2 allows up to
         * 500 ms) goes out saying so, with a zero window. */
        p->read_every = rng_range(&r, 100, 250) * MS;
    }
    for (int i = 0; i < 2; i++) {
        p->cc[i] = rng_below(&r, 2) ? SYNACK_CC_CUBIC : SYNACK_CC_NEWRENO;
        p->nodelay[i] = rng_below(&r, 2) != 0;
        p->sack[i] = rng_below(&r, 4) != 0;
        p->timestamps[i] = rng_below(&r, 4) != 0;
    }
}

static void plan_describe(const plan *p, char *buf, size_t n)
{
    snprintf(buf, n,
             "%s: A->B %zu B, B->A %zu B, write_max %u; A mtu %u snd %u rcv %u; B mtu %u snd %u "
             "rcv %u; delay %.0f ms jitter %.0f ms rate %" PRIu64 " bit/s%s",
             p->sc->name, p->len[0], p->len[1], p->write_max, (unsigned)p->mtu[0],
             (unsigned)p->sndbuf[0], (unsigned)p->rcvbuf[0], (unsigned)p->mtu[1],
             (unsigned)p->sndbuf[1], (unsigned)p->rcvbuf[1], p->imp.delay_ns / 1e6,
             p->imp.jitter_ns / 1e6, p->imp.rate_bps, p->sc->slow_reader ? "; slow reader" : "");
    if (p->sc->slow_reader) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, " (%u B every %.0f ms)", (unsigned)p->read_chunk,
                 p->read_every / 1e6);
    }
    for (int i = 0; i < 2; i++) {
        size_t k = strlen(buf);
        snprintf(buf + k, n - k, "; %c %s%s%s%s", i ? 'B' : 'A',
                 p->cc[i] == SYNACK_CC_CUBIC ? "cubic" : "newreno", p->nodelay[i] ? " nodelay" : "",
                 p->sack[i] ? "" : " no-sack", p->timestamps[i] ? "" : " no-ts");
    }
}

/* ---- one run -------------------------------------------------------------- */

struct run;

typedef struct side {
    struct run *run;
    int idx;
    const char *name;
    synack_stack *stack;
    synack_tcp *conn;
    uint32_t ev; /* edge bits not yet handled */
    bool writable, readable, shut, closed;
    uint8_t *out; /* what this side writes */
    size_t len, sent;
    size_t got; /* bytes of the peer's stream read */
    sha256_ctx out_sha, in_sha;
    int eof;
    uint64_t last_read; /* virtual time of the last byte (or start) */
    uint64_t max_gap;
    uint64_t next_read_at; /* slow reader */
    uint64_t eof_at;
} side;

typedef struct run {
    const plan *p;
    synack_memlink *link;
    failalloc fa;
    side s[2];
    synack_tcp *listener;
    bool acceptable;
    bool verbose, failed;
    char why[400];
    uint64_t steps;
    bool blackout_set;
    uint64_t blackout_end;
    uint64_t zero_windows; /* segments from B advertising window 0 */
    uint64_t tiny_windows; /* ... or a window below A's MSS: SWS avoidance holds it */
} run;

static uint64_t now_of(const run *m)
{
    return synack_memlink_now(m->link);
}

static void run_fail(run *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_fail(run *m, const char *fmt, ...)
{
    if (m->failed)
        return;
    m->failed = true;
    int k = snprintf(m->why, sizeof(m->why), "t=%.6f: ", now_of(m) / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why + k, sizeof(m->why) - (size_t)k, fmt, ap);
    va_end(ap);
    if (m->verbose)
        printf("FAIL %s\n", m->why);
}

static void vlog(const run *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(const run *m, const char *fmt, ...)
{
    if (!m->verbose)
        return;
    printf("%12.6f ", now_of(m) / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A TCP segment read from an Ethernet frame. */
typedef struct seginfo {
    synack_ipv4 src;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    size_t len;
} seginfo;

static bool parse_seg(const uint8_t *f, size_t n, seginfo *si)
{
    if (n < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
        return false;
    size_t ihl = (size_t)(f[14] & 15) * 4;
    size_t tot = (size_t)f[16] << 8 | f[17];
    if (ihl < 20 || tot < ihl + 20 || 14 + tot > n)
        return false;
    const uint8_t *ip = f + 14, *t = ip + ihl;
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || ihl + thl > tot)
        return false;
    si->src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
    si->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    si->ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    si->flags = t[13];
    si->win = (uint16_t)(t[14] << 8 | t[15]);
    si->len = tot - ihl - thl;
    return true;
}

static void log_frame(const run *m, const char *what, const uint8_t *f, size_t n)
{
    if (!m->verbose)
        return;
    seginfo si;
    if (!parse_seg(f, n, &si)) {
        vlog(m, "%s non-TCP frame, %zu bytes", what, n);
        return;
    }
    static const char names[] = "FSRPAU";
    char fl[8];
    int k = 0;
    for (int i = 0; i < 6; i++)
        if (si.flags & (1u << i))
            fl[k++] = names[i];
    fl[k] = 0;
    vlog(m, "%s %c [%s] seq=%u ack=%u win=%u len=%zu", what, si.src == ADDR_A ? 'A' : 'B', fl,
         si.seq, si.ack, si.win, si.len);
}

static void on_trace(void *ud, const synack_trace_event *ev)
{
    side *sd = ud;
    run *m = sd->run;
    if (!m->verbose)
        return;
    switch (ev->kind) {
    case SYNACK_TRACE_TCP_STATE:
        vlog(m, "%s#%u %s -> %s", sd->name, ev->conn_id, synack_tcp_state_name(ev->old_state),
             synack_tcp_state_name(ev->new_state));
        break;
    case SYNACK_TRACE_FRAME_OUT:
        log_frame(m, sd->idx ? "B out" : "A out", ev->frame, ev->len);
        break;
    case SYNACK_TRACE_DROP: {
        char what[64];
        snprintf(what, sizeof(what), "%s drop (%s)", sd->name, ev->reason);
        log_frame(m, what, ev->frame, ev->len);
        break;
    }
    default:
        break;
    }
}

static void on_tap(void *ud, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                   size_t len, uint64_t now)
{
    (void)to;
    (void)now;
    run *m = ud;
    if (ev == SYNACK_MEMLINK_LOST)
        log_frame(m, "   lost", frame, len);
    seginfo si;
    /* RFC 9293 3.8.6.1: the receiver shut its window. */
    if (ev == SYNACK_MEMLINK_SENT && from == 1 && parse_seg(frame, len, &si) && si.win == 0 &&
        !(si.flags & 0x04))
        m->zero_windows++;
    else if (ev == SYNACK_MEMLINK_SENT && from == 1 && parse_seg(frame, len, &si) &&
             si.win < (m->p->mtu[0] < m->p->mtu[1] ? m->p->mtu[0] : m->p->mtu[1]) - 40u &&
             !(si.flags & 0x04))
        m->tiny_windows++;
}

static void on_tcp_event(void *ud, synack_tcp *c, uint32_t events)
{
    side *sd = ud;
    run *m = sd->run;
    if (sd->idx == 1 && c == m->listener) {
        m->acceptable = true;
        return;
    }
    if (c == sd->conn)
        sd->ev |= events;
    /* Else: B's connection while accept() is returning it; the app reads
     * at once after accepting. */
}

static side *peer_of(side *sd)
{
    return &sd->run->s[!sd->idx];
}

static void app_accept(run *m)
{
    side *b = &m->s[1];
    m->acceptable = false;
    synack_tcp *c = NULL;
    int rv = synack_tcp_accept(m->listener, &c, now_of(m));
    if (rv == SYNACK_ERR_AGAIN)
        return;
    if (rv != 0 || b->conn) {
        run_fail(m, "accept returned %s%s", synack_errname(rv), b->conn ? " a second time" : "");
        return;
    }
    vlog(m, "B app: accepted");
    b->conn = c;
    b->writable = b->readable = true;
    assert_int_equal(synack_tcp_close(m->listener, now_of(m)), 0);
    m->listener = NULL;
}

static void app_write(side *sd)
{
    run *m = sd->run;
    rng r = {m->p->seed * 7 + sd->sent};
    while (sd->conn && sd->writable && sd->sent < sd->len) {
        size_t want = (size_t)rng_range(&r, 1, m->p->write_max);
        if (want > sd->len - sd->sent)
            want = sd->len - sd->sent;
        ssize_t n = synack_tcp_send(sd->conn, sd->out + sd->sent, want, now_of(m));
        if (n == SYNACK_ERR_AGAIN) {
            sd->writable = false;
            return;
        }
        if (n <= 0 || (size_t)n > want) {
            run_fail(m, "%s: send(%zu) returned %zd (%s)", sd->name, want, n,
                     n < 0 ? synack_errname((int)n) : "bad count");
            return;
        }
        sha256_update(&sd->out_sha, sd->out + sd->sent, (size_t)n);
        sd->sent += (size_t)n;
        vlog(m, "%s app: sent %zd (%zu/%zu)", sd->name, n, sd->sent, sd->len);
    }
    if (sd->conn && sd->sent == sd->len && !sd->shut) {
        int rv = synack_tcp_shutdown(sd->conn, now_of(m));
        vlog(m, "%s app: shutdown -> %s", sd->name, synack_errname(rv));
        if (rv != 0)
            run_fail(m, "%s: shutdown returned %s", sd->name, synack_errname(rv));
        sd->shut = true;
    }
}

static bool slow(const side *sd)
{
    return sd->idx == 1 && sd->run->p->sc->slow_reader;
}

static void note_read_gap(side *sd, uint64_t now)
{
    uint64_t gap = now - sd->last_read;
    if (gap > sd->max_gap)
        sd->max_gap = gap;
    sd->last_read = now;
}

static void app_read(side *sd)
{
    run *m = sd->run;
    uint64_t now = now_of(m);
    if (!sd->conn || !sd->readable || sd->eof)
        return;
    if (slow(sd) && now < sd->next_read_at)
        return;
    side *p = peer_of(sd);
    size_t budget = slow(sd) ? m->p->read_chunk : SIZE_MAX;
    uint8_t buf[16384];
    while (budget > 0) {
        size_t want = budget < sizeof(buf) ? budget : sizeof(buf);
        ssize_t n = synack_tcp_recv(sd->conn, buf, want, now);
        if (n == SYNACK_ERR_AGAIN) {
            sd->readable = false;
            break;
        }
        if (n < 0) {
            run_fail(m, "%s: recv returned %s", sd->name, synack_errname((int)n));
            return;
        }
        if (n == 0) {
            vlog(m, "%s app: end of stream", sd->name);
            if (sd->got != p->len)
                run_fail(m, "%s: end of stream after %zu of %zu bytes", sd->name, sd->got, p->len);
            sd->eof++;
            sd->eof_at = now;
            note_read_gap(sd, now);
            if (synack_tcp_recv(sd->conn, buf, sizeof(buf), now) != 0)
                run_fail(m, "%s: the end of stream did not stay", sd->name);
            return;
        }
        if ((size_t)n > want || sd->got + (size_t)n > p->len) {
            run_fail(m, "%s: read %zd bytes at %zu: more than the %zu written", sd->name, n,
                     sd->got, p->len);
            return;
        }
        /* RFC 9293 3.10.3: the bytes, in order, as the peer wrote them. */
        if (memcmp(buf, p->out + sd->got, (size_t)n) != 0) {
            size_t i = 0;
            while (buf[i] == p->out[sd->got + i])
                i++;
            run_fail(m, "%s: wrong byte at stream offset %zu", sd->name, sd->got + i);
            return;
        }
        sha256_update(&sd->in_sha, buf, (size_t)n);
        sd->got += (size_t)n;
        budget -= (size_t)n;
        note_read_gap(sd, now);
        vlog(m, "%s app: read %zd (%zu/%zu)", sd->name, n, sd->got, p->len);
    }
    if (slow(sd))
        sd->next_read_at = now + m->p->read_every;
}

static void app_maybe_close(side *sd)
{
    run *m = sd->run;
    if (sd->conn && !sd->closed && sd->shut && sd->eof) {
        vlog(m, "%s app: close (state %s)", sd->name,
             synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
        assert_int_equal(synack_tcp_close(sd->conn, now_of(m)), 0);
        sd->conn = NULL;
        sd->closed = true;
    }
}

/* A blackout once B has read a quarter: by then more than a window is
 * still to send, so the stream is surely cut in the middle. */
static void maybe_blackout(run *m)
{
    if (!m->p->sc->blackout || m->blackout_set || m->s[1].got < m->p->len[0] / 4)
        return;
    uint64_t now = now_of(m);
    synack_impairments imp = m->p->imp;
    imp.blackout_start_ns = now;
    imp.blackout_end_ns = now + BLACKOUT_NS;
    for (int i = 0; i < 2; i++)
        assert_int_equal(synack_memlink_set_impairments(m->link, i, &imp), 0);
    m->blackout_set = true;
    m->blackout_end = imp.blackout_end_ns;
    vlog(m, "link: blackout until %.6f", imp.blackout_end_ns / 1e9);
}

static bool app_poll(side *sd)
{
    run *m = sd->run;
    if (m->failed)
        return false;
    size_t before = sd->sent + sd->got + (size_t)sd->eof;
    bool did = false;
    if (sd->idx == 1 && m->acceptable) {
        app_accept(m);
        did = true;
    }
    if (sd->conn) {
        uint32_t ev = sd->ev;
        sd->ev = 0;
        if (ev & (SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE))
            sd->writable = true;
        if (ev & SYNACK_TCP_EV_READABLE)
            sd->readable = true;
        if (ev & SYNACK_TCP_EV_ERROR)
            run_fail(m, "%s: connection error %s", sd->name,
                     synack_errname(synack_tcp_error(sd->conn)));
        app_write(sd);
        app_read(sd);
        app_maybe_close(sd);
    }
    maybe_blackout(m);
    return did || sd->sent + sd->got + (size_t)sd->eof != before;
}

static void poll_all(run *m)
{
    for (int round = 0; round < 1000; round++) {
        bool did = app_poll(&m->s[0]);
        did |= app_poll(&m->s[1]);
        if (!did || m->failed)
            return;
    }
    run_fail(m, "the apps do not settle");
}

static bool streams_done(const run *m)
{
    return m->s[0].closed && m->s[1].closed;
}

static void describe_stall(run *m)
{
    char buf[300];
    int k = 0;
    for (int i = 0; i < 2 && k >= 0 && (size_t)k < sizeof(buf); i++) {
        side *sd = &m->s[i];
        k += snprintf(buf + k, sizeof(buf) - (size_t)k,
                      "%s%s: %s, wrote %zu/%zu, read %zu/%zu, eof %d", i ? "; " : "", sd->name,
                      sd->conn ? synack_tcp_state_name(synack_tcp_get_state(sd->conn)) : "closed",
                      sd->sent, sd->len, sd->got, peer_of(sd)->len, sd->eof);
    }
    run_fail(m, "stalled with nothing left to happen: %s", buf);
}

static bool conns_gone(void *ud)
{
    const run *m = ud;
    return synack_stack_tcp_count(m->s[0].stack) == 0 && synack_stack_tcp_count(m->s[1].stack) == 0;
}

static void run_loop(run *m)
{
    poll_all(m);
    while (!m->failed && !streams_done(m)) {
        uint64_t next = synack_memlink_next_event(m->link);
        uint64_t wake = UINT64_MAX;
        side *b = &m->s[1];
        if (slow(b) && b->conn && b->readable && !b->eof)
            wake = b->next_read_at;
        if (next == UINT64_MAX && wake == UINT64_MAX) {
            describe_stall(m);
            return;
        }
        if (wake < next)
            synack_memlink_run(m->link, wake, NULL, NULL);
        else
            synack_memlink_step(m->link);
        poll_all(m);
        for (int i = 0; i < 2 && !m->failed; i++) {
            side *sd = &m->s[i];
            if (!sd->eof && now_of(m) - sd->last_read > m->p->sc->stall_ns)
                run_fail(m, "%s: no byte read for %.3f s (read %zu/%zu)", sd->name,
                         (now_of(m) - sd->last_read) / 1e9, sd->got, peer_of(sd)->len);
        }
        if (++m->steps > MAX_STEPS)
            run_fail(m, "no end after %" PRIu64 " steps", m->steps);
    }
    /* Both closed: the FIN exchange and TIME-WAIT end on their own. */
    if (!m->failed)
        synack_memlink_run(m->link, UINT64_MAX, conns_gone, m);
}

static void stack_config(const plan *p, int i, synack_config *cfg)
{
    synack_config_default(cfg);
    cfg->addr = i ? ADDR_B : ADDR_A;
    cfg->mac[5] = (uint8_t)(i + 1);
    cfg->seed = p->seed * 2 + (uint64_t)i;
    cfg->mtu = p->mtu[i];
    cfg->tcp_sndbuf = p->sndbuf[i];
    cfg->tcp_rcvbuf = p->rcvbuf[i];
    cfg->tcp_msl_ns = 1 * SEC;
    cfg->tcp_rto_initial_ns = 300 * MS;
    cfg->tcp_rto_min_ns = 200 * MS;
    cfg->tcp_rto_max_ns = RTO_MAX_NS;
    cfg->tcp_syn_timeout_ns = 60 * SEC;
    cfg->tcp_user_timeout_ns = 60 * SEC;
    cfg->tcp_cc = p->cc[i];
    cfg->tcp_nodelay = p->nodelay[i];
    cfg->tcp_sack = p->sack[i];
    cfg->tcp_timestamps = p->timestamps[i];
}

typedef struct outcome {
    uint64_t vtime, end;
    size_t bytes;
    uint64_t max_gap;
    synack_memlink_stats link;
    uint64_t checksum_drops; /* TCP and IPv4 checksum drops, both stacks */
    uint64_t tcp_checksum_drops;
    uint64_t retransmits, timeouts;
    uint64_t zero_windows;
    uint64_t blackout_end;
} outcome;

static void run_check(run *m, outcome *o)
{
    for (int i = 0; i < 2 && !m->failed; i++) {
        side *sd = &m->s[i];
        side *p = peer_of(sd);
        uint8_t din[SHA256_DIGEST_LEN], dout[SHA256_DIGEST_LEN];
        sha256_final(&sd->in_sha, din);
        sha256_final(&p->out_sha, dout);
        if (p->sent != p->len || sd->got != p->len || memcmp(din, dout, sizeof(din)) != 0)
            run_fail(m, "%s wrote %zu of %zu, %s read %zu%s", p->name, p->sent, p->len, sd->name,
                     sd->got, memcmp(din, dout, sizeof(din)) ? ", SHA-256 differs" : "");
        else if (sd->eof != 1)
            run_fail(m, "%s read the end of stream %d times", sd->name, sd->eof);
        uint32_t n = synack_stack_tcp_count(sd->stack);
        if (!m->failed && n != 0)
            run_fail(m, "%s: %u connections left after both closed", sd->name, n);
        o->bytes += sd->got;
        if (sd->max_gap > o->max_gap)
            o->max_gap = sd->max_gap;
        const synack_stats *st = synack_stack_stats(sd->stack);
        o->checksum_drops += st->tcp_drop_checksum + st->ip_drop_checksum;
        o->tcp_checksum_drops += st->tcp_drop_checksum;
        o->retransmits += st->tcp_retransmits;
        o->timeouts += st->tcp_timeouts;
    }
    o->link = *synack_memlink_stats_get(m->link);
    o->zero_windows = m->zero_windows;
    o->blackout_end = m->blackout_end;
    o->end = m->s[1].eof_at;
    if (m->failed)
        return;
    /* The scenario's own evidence. */
    const scenario *sc = m->p->sc;
    if (sc->blackout) {
        if (!m->blackout_set || o->link.blackout_drops == 0)
            run_fail(m, "the blackout dropped nothing");
        else if (o->end < m->blackout_end)
            run_fail(m, "the stream ended at %.3f s, inside the blackout", o->end / 1e9);
    }
    /* The sender's SWS avoidance (RFC 9293 3.8.6.2.1) may leave a window of
     * less than a segment unused rather than fill it to zero; the totals
     * still require zero windows (test_slow_reader). */
    if (sc->slow_reader && m->zero_windows == 0 && m->tiny_windows == 0)
        run_fail(m, "the slow reader never advertised a zero or sub-segment window");
    /* A corrupted frame never passes as good data (SHA-256 above); those
     * the checksums caught are counted, never more than were corrupted. */
    if (o->checksum_drops > o->link.corrupted)
        run_fail(m, "%" PRIu64 " checksum drops, only %" PRIu64 " frames corrupted",
                 o->checksum_drops, o->link.corrupted);
}

static bool run_plan(const plan *p, bool verbose, outcome *o, char *why, size_t whylen)
{
    static run m; /* one run at a time */
    memset(&m, 0, sizeof(m));
    memset(o, 0, sizeof(*o));
    m.p = p;
    m.verbose = verbose;
    if (verbose) {
        char d[400];
        plan_describe(p, d, sizeof(d));
        printf("seed %" PRIu64 ": %s\n", p->seed, d);
    }
    failalloc_init(&m.fa, 0);
    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    lc.seed = p->seed;
    lc.impairments = p->imp;
    assert_int_equal(synack_memlink_new(&lc, NULL, &m.link), 0);
    synack_memlink_set_tap(m.link, on_tap, &m);
    synack_callbacks cb = {.tcp_event = on_tcp_event};
    for (int i = 0; i < 2; i++) {
        side *sd = &m.s[i];
        sd->run = &m;
        sd->idx = i;
        sd->name = i ? "B" : "A";
        sd->len = p->len[i];
        sd->out = malloc(sd->len ? sd->len : 1);
        assert_non_null(sd->out);
        rng data = {p->seed * 31 + (uint64_t)i};
        for (size_t k = 0; k < sd->len; k++)
            sd->out[k] = (uint8_t)(rng_next(&data) >> 56);
        sha256_init(&sd->out_sha);
        sha256_init(&sd->in_sha);
        synack_config cfg;
        stack_config(p, i, &cfg);
        assert_int_equal(synack_memlink_attach(m.link, &cfg, &cb, &m.fa.mem, sd, &sd->stack), 0);
        assert_int_equal(synack_stack_add_trace(sd->stack, on_trace, sd), 0);
    }
    assert_int_equal(synack_tcp_listen(m.s[1].stack, 0, PORT_B, 1, 0, &m.listener), 0);
    assert_int_equal(synack_tcp_connect(m.s[0].stack, ADDR_B, PORT_B, 0, 0, &m.s[0].conn), 0);
    run_loop(&m);
    run_check(&m, o);
    o->vtime = now_of(&m);
    for (int i = 0; i < 2 && verbose; i++) {
        const synack_stats *st = synack_stack_stats(m.s[i].stack);
        printf("%s counters:", m.s[i].name);
        for (size_t k = 0; k < synack_stats_count(); k++)
            if (synack_stats_value(st, k))
                printf(" %s=%" PRIu64, synack_stats_name(k), synack_stats_value(st, k));
        printf("\n");
    }
    for (int i = 0; i < 2; i++)
        synack_stack_del(m.s[i].stack);
    synack_memlink_del(m.link);
    if (m.fa.live != 0)
        run_fail(&m, "%ld allocations still live after both stacks were deleted", m.fa.live);
    for (int i = 0; i < 2; i++)
        free(m.s[i].out);
    if (m.failed)
        snprintf(why, whylen, "%s", m.why);
    if (verbose)
        printf("seed %" PRIu64 ": %s (%.3f s virtual, %" PRIu64 " steps, %" PRIu64
               " retransmits, longest wait for a byte %.3f s)\n",
               p->seed, m.failed ? "FAILED" : "ok", o->vtime / 1e9, m.steps, o->retransmits,
               o->max_gap / 1e9);
    return !m.failed;
}

/* ---- the tests -------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : dflt;
}

typedef struct totals {
    uint64_t seeds, failures, bytes, vtime;
    uint64_t lost, corrupted, duplicated, reordered, checksum_drops, tcp_checksum_drops;
    uint64_t retransmits, timeouts, zero_windows, max_gap;
} totals;

static void run_scenario(const scenario *sc, totals *t)
{
    memset(t, 0, sizeof(*t));
    const char *only = getenv("SYNACK_SCENARIO");
    if (only && *only && strcmp(only, sc->name) != 0)
        skip();
    uint64_t one = env_u64("SYNACK_SEED", 0);
    uint64_t first = one ? one : 1, count = one ? 1 : env_u64("SYNACK_SEEDS", DEFAULT_SEEDS);
    for (uint64_t seed = first; seed < first + count; seed++) {
        plan p;
        plan_make(&p, sc, seed);
        outcome o;
        char why[400] = "";
        t->seeds++;
        if (!run_plan(&p, one != 0, &o, why, sizeof(why))) {
            if (t->failures++ < 10) {
                char d[400];
                plan_describe(&p, d, sizeof(d));
                print_message("seed %" PRIu64
                              " FAILED: %s\n  plan: %s\n  replay: SYNACK_SEED=%" PRIu64
                              " SYNACK_SCENARIO=%s %s\n",
                              seed, why, d, seed, sc->name, prog);
            }
            continue;
        }
        if (getenv("SYNACK_LIST"))
            print_message("%s seed %" PRIu64 ": %.3f s virtual, %" PRIu64 " retransmits, %" PRIu64
                          " timeouts, longest wait %.3f s\n",
                          sc->name, seed, o.vtime / 1e9, o.retransmits, o.timeouts,
                          o.max_gap / 1e9);
        t->bytes += o.bytes;
        t->vtime += o.vtime;
        t->lost += o.link.lost;
        t->corrupted += o.link.corrupted;
        t->duplicated += o.link.duplicated;
        t->reordered += o.link.reordered;
        t->checksum_drops += o.checksum_drops;
        t->tcp_checksum_drops += o.tcp_checksum_drops;
        t->retransmits += o.retransmits;
        t->timeouts += o.timeouts;
        t->zero_windows += o.zero_windows;
        if (o.max_gap > t->max_gap)
            t->max_gap = o.max_gap;
    }
    print_message("%s: %" PRIu64 " seeds, %" PRIu64 " failed; %" PRIu64 " bytes checked, %.0f s "
                  "virtual; lost %" PRIu64 ", corrupted %" PRIu64 " (checksum drops %" PRIu64
                  "), duplicated %" PRIu64 ", reordered %" PRIu64 "; %" PRIu64
                  " retransmits, %" PRIu64 " timeouts, %" PRIu64
                  " zero windows; longest wait for a byte %.3f s\n",
                  sc->name, t->seeds, t->failures, t->bytes, t->vtime / 1e9, t->lost, t->corrupted,
                  t->checksum_drops, t->duplicated, t->reordered, t->retransmits, t->timeouts,
                  t->zero_windows, t->max_gap / 1e9);
    if (t->failures)
        fail_msg("%" PRIu64 " of %" PRIu64 " seeds failed", t->failures, t->seeds);
}

static const scenario *find(const char *name)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    fail_msg("no scenario %s", name);
    return NULL;
}

/* Below this many seeds the aggregate checks say little. */
#define ENOUGH(t) ((t).seeds >= 50)

static void test_clean(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("clean"), &t);
    /* Nothing lost: nothing is sent twice and no timer expires. */
    assert_int_equal(t.lost, 0);
    assert_int_equal(t.retransmits, 0);
    assert_int_equal(t.timeouts, 0);
}

static void test_loss(const char *name, void **state)
{
    (void)state;
    totals t;
    run_scenario(find(name), &t);
    if (ENOUGH(t)) {
        assert_true(t.lost > 0);
        assert_true(t.retransmits > 0);
    }
}

static void test_loss1(void **state)
{
    test_loss("loss1", state);
}

static void test_loss5(void **state)
{
    test_loss("loss5", state);
}

static void test_loss20(void **state)
{
    test_loss("loss20", state);
}

static void test_reorder(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("reorder"), &t);
    if (ENOUGH(t)) {
        assert_true(t.reordered > 0);
        assert_int_equal(t.lost, 0);
    }
}

static void test_dup(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("dup"), &t);
    if (ENOUGH(t)) {
        assert_true(t.duplicated > 0);
        assert_int_equal(t.lost, 0);
    }
}

/* RFC 1122 4.2.2.7 / RFC 9293 3.1: corrupted segments are caught by the
 * checksum and dropped (counted), and then repaired by retransmission. Most
 * of a full-sized frame is TCP payload, so most flipped bits land where
 * only the TCP checksum can see them. */
static void test_corrupt1(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("corrupt1"), &t);
    if (ENOUGH(t)) {
        assert_true(t.corrupted > 0);
        assert_true(t.tcp_checksum_drops > 0);
        assert_true(t.checksum_drops * 2 >= t.corrupted);
        assert_true(t.retransmits > 0);
        assert_int_equal(t.lost, 0);
    }
}

static void test_blackout(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("blackout"), &t);
    if (ENOUGH(t)) {
        /* Each seed waited out the blackout (checked per seed). */
        assert_true(t.max_gap >= BLACKOUT_NS / 2);
        assert_true(t.timeouts > 0);
    }
}

static void test_slow_reader(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("slow_reader"), &t);
    if (ENOUGH(t)) {
        assert_true(t.zero_windows >= t.seeds);
        assert_int_equal(t.lost, 0);
    }
}

static void test_slow_reader_loss(void **state)
{
    (void)state;
    totals t;
    run_scenario(find("slow_reader_loss"), &t);
    if (ENOUGH(t)) {
        assert_true(t.zero_windows >= t.seeds);
        assert_true(t.lost > 0);
    }
}

/* The same seed gives the same run. */
static void test_seed_replays_exactly(void **state)
{
    (void)state;
    if (getenv("SYNACK_SEED"))
        skip();
    for (size_t i = 0; i < NSCENARIOS; i++) {
        plan p;
        plan_make(&p, &scenarios[i], 11);
        outcome o1, o2;
        char why[400];
        assert_true(run_plan(&p, false, &o1, why, sizeof(why)));
        assert_true(run_plan(&p, false, &o2, why, sizeof(why)));
        assert_int_equal(o1.vtime, o2.vtime);
        assert_int_equal(o1.end, o2.end);
        assert_int_equal(o1.retransmits, o2.retransmits);
        assert_int_equal(o1.link.sent, o2.link.sent);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    prog = argv[0];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_loss1),
        cmocka_unit_test(test_loss5),
        cmocka_unit_test(test_loss20),
        cmocka_unit_test(test_reorder),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_corrupt1),
        cmocka_unit_test(test_blackout),
        cmocka_unit_test(test_slow_reader),
        cmocka_unit_test(test_slow_reader_loss),
        cmocka_unit_test(test_seed_replays_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
