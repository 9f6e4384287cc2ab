/* Everything stays bounded (issue 5, last "Done when"): a peer that never
 * reads, one that sends only out-of-order data, one that SACKs nonsense
 * and a flood of SYNs cannot make the stack hold more memory than the
 * configured limits allow (DESIGN.md 2: "Memory is bounded and explicit").
 *
 * The bound is exact and needs no sizeof of private structures: once a
 * connection is established and its first write or receive has made its
 * buffers, the hostile phase allocates nothing at all - the bytes live,
 * the peak (even for a moment) and the count of allocations are those of
 * the moment it began (countalloc.h). Connection counts are bounded by
 * the cost of one connection times the configured limit.
 *
 * The reassembly's range set and the SACK scoreboard are checked through
 * the internal headers (tcp/recv.h, tcp/snd.h): the public API does not
 * show them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "segtest.h"
#include "tcp/recv.h"
#include "tcp/snd.h"
#include "wire/seq.h"

#define PTS 5000u /* the peer's first TSval */

static uint8_t stream_byte(uint32_t i)
{
    return (uint8_t)('a' + (i * 11u + (i >> 7)) % 26u);
}

static void fill(uint8_t *dst, uint32_t off, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        dst[i] = stream_byte(off + i);
}

/* A small deterministic generator: every run is the same. */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* ---- the bound ---- */

/* Fails unless nothing was allocated since @p m and the memory live never
 * went above what it was then, even for a moment. */
static void expect_no_growth_(st *t, const countalloc_mark *m, const char *what, const char *file,
                              int line)
{
    const countalloc *a = &t->alloc;
    if (a->allocs == m->allocs && a->live == m->live && a->peak == m->live)
        return;
    print_error("%s:%d: %s: memory grew: %ld allocations (was %ld), %zu bytes live (was %zu), "
                "peak %zu\n",
                file, line, what, a->allocs, m->allocs, a->live, m->live, a->peak);
    fail();
}
#define expect_no_growth(t, m, what) expect_no_growth_((t), (m), (what), __FILE__, __LINE__)

static sk_tcp_opts syn_opts(bool ts, bool sack)
{
    sk_tcp_opts o = {0};
    o.has_mss = true;
    o.mss = 1460;
    o.has_ts = ts;
    o.tsval = PTS;
    o.sack_permitted = sack;
    return o;
}

static synack_tcp_info info_of(const st_conn *k)
{
    synack_tcp_info i;
    assert_int_equal(synack_tcp_get_info(k->c, &i), 0);
    return i;
}

/* Writes the stream on from offset *@p off until the send buffer refuses
 * (RFC 9293 3.10.2 SEND with no room: SYNACK_ERR_AGAIN) or *@p off reaches
 * @p limit. @return bytes taken. */
static uint32_t write_upto(st *t, const st_conn *k, uint32_t *off, uint32_t limit)
{
    static uint8_t buf[16384];
    uint32_t total = 0;
    while (*off < limit) {
        uint32_t len = limit - *off < sizeof buf ? limit - *off : (uint32_t)sizeof buf;
        fill(buf, *off, len);
        ssize_t n = synack_tcp_send(k->c, buf, len, t->now);
        if (n == SYNACK_ERR_AGAIN)
            return total;
        assert_true(n > 0);
        *off += (uint32_t)n;
        total += (uint32_t)n;
    }
    return total;
}

static uint32_t write_until_full(st *t, const st_conn *k, uint32_t *off)
{
    return write_upto(t, k, off, UINT32_MAX);
}

/* ---- 1. a peer that never reads ---- */

/* Takes the zero-window probe just sent, <SEQ=SND.UNA-1><ACK=RCV.NXT>
 * <CTL=ACK> with no data (RFC 9293 3.8.6.1; SND.UNA - 1 as Linux and BSD,
 * so that a forged window cannot pull data out), and answers it with the
 * window still zero. */
static void answer_probe(st *t, const st_conn *k, uint32_t una)
{
    st_expect(t, F_ACK, una - 1, k->irs + 1, 0, NULL);
    st_expect_none(t);
    st_in_w(t, k, F_ACK, k->irs + 1, una, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k->c), SYNACK_TCP_ESTABLISHED);
}

/* The window opens at last: the data follows at once, from SND.UNA. */
static void expect_window_opens(st *t, const st_conn *k, uint32_t una)
{
    st_in_w(t, k, F_ACK, k->irs + 1, una, ST_WIN, NULL, 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.seq, una);
    assert_int_equal(s.len, 1460);
}

/* Opens, fills the send buffer (its first flight goes out) and forgets
 * what was sent. @return the flight. */
static uint32_t open_and_fill(st *t, st_conn *k, uint32_t *off)
{
    st_passive_open(t, k, 1460);
    *off = 0;
    assert_int_equal(write_until_full(t, k, off), t->cfg.tcp_sndbuf);
    uint32_t flight = info_of(k).flight;
    assert_true(flight > 1460 && flight < t->cfg.tcp_sndbuf);
    st_drain(t);
    return flight;
}

/* The peer takes the first flight, ACKs it with a zero window and never
 * opens it again; it answers every probe. RFC 9293 3.8.6.1: the sender
 * probes the zero window, the interval growing exponentially (RFC 6298
 * 5.5 doubling, capped at tcp_rto_max_ns); RFC 1122 4.2.2.17: the
 * connection stays open as long as the probes are answered. Bounds: the
 * send buffer holds exactly tcp_sndbuf bytes and hours of probing
 * allocate nothing. */
static void test_zero_window_peer(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    uint32_t off;
    const uint32_t flight = open_and_fill(t, &k, &off);
    const uint32_t S = k.iss + 1, R = k.irs + 1, sndbuf = t->cfg.tcp_sndbuf;
    /* The peer ACKs all it got and closes the window. */
    st_in_w(t, &k, F_ACK, R, S + flight, 0, NULL, 0);
    st_expect_none(t);
    assert_int_equal(write_until_full(t, &k, &off), flight);
    assert_int_equal(synack_tcp_snd_queued(k.c), sndbuf);
    const uint32_t una = S + flight;
    const uint64_t rto = (uint64_t)info_of(&k).rto_us * ST_US;
    const uint64_t rto_max = t->cfg.tcp_rto_max_ns;
    assert_true(rto > 0 && rto < rto_max);

    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint64_t start = t->now, prev = t->now;
    uint64_t gap = rto;
    int probes = 0, capped = 0;
    static uint8_t more[100];
    while (t->now - start < 3 * 3600 * ST_S) {
        uint64_t when = st_wait_output(t, rto_max + ST_S);
        assert_true(when != UINT64_MAX);
        answer_probe(t, &k, una);
        assert_int_equal(when - prev, gap);
        if (gap == rto_max)
            capped++;
        prev = when;
        gap = gap * 2 < rto_max ? gap * 2 : rto_max;
        probes++;
        assert_int_equal(synack_tcp_send(k.c, more, sizeof more, t->now), SYNACK_ERR_AGAIN);
        assert_int_equal(synack_tcp_snd_queued(k.c), sndbuf);
        expect_no_growth(t, &m, "zero-window probing");
    }
    assert_true(probes > 150); /* three hours at one a minute, most of it */
    assert_true(capped > 150); /* the interval stopped growing at rto_max */
    assert_int_equal(st_stat(t, "tcp_conn_timed_out"), 0);
    expect_window_opens(t, &k, una);
    st_free(t);
}

/* The peer shuts its window and vanishes; the user has closed the
 * connection (its FIN waits behind the data). RFC 1122 4.2.2.17 keeps a
 * connection open only while the probes are answered: unanswered for the
 * user timeout (RFC 9293 3.8.3), counted from the peer's last word, it
 * ends and its memory is freed - else such peers would pin connections,
 * up to tcp_max_conns, forever. */
static void test_zero_window_peer_that_vanishes(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    uint32_t off;
    const uint32_t flight = open_and_fill(t, &k, &off);
    st_in_w(t, &k, F_ACK, k.irs + 1, k.iss + 1 + flight, 0, NULL, 0);
    const uint64_t last_word = t->now;
    assert_int_equal(synack_tcp_close(k.c, t->now), 0);
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    const uint64_t user_timeout = t->cfg.tcp_user_timeout_ns;
    st_advance(t, user_timeout - ST_MS);
    assert_true(t->cap->count > 5); /* it probed, backing off */
    assert_int_equal(synack_stack_tcp_count(t->stack), 1);
    st_advance(t, 2 * ST_MS);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(st_stat(t, "tcp_conn_timed_out"), 1);
    assert_int_equal(t->now - last_word, user_timeout + ST_MS);
    st_free(t);
}

/* The peer takes a flight, ACKs its first segment only and shrinks its
 * window to zero (RFC 9293 3.8.6 says it SHOULD NOT; the sender "MUST be
 * robust against window shrinking"), then answers whatever comes with a
 * zero window, forever. The data beyond the window is unacknowledged, so
 * the retransmission timer runs, not the persist timer; still, something
 * must reach the peer at each expiry so that its answer (and a window it
 * opens) can come back (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17: the
 * connection stays open while the probes are answered). */
static void test_shrunk_window_peer(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    uint32_t off;
    open_and_fill(t, &k, &off);
    const uint32_t una = k.iss + 1 + 1460;
    st_in_w(t, &k, F_ACK, k.irs + 1, una, 0, NULL, 0);
    st_expect_none(t);
    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint64_t start = t->now, prev = t->now;
    int probes = 0;
    while (t->now - start < 3600 * ST_S) {
        uint64_t when = st_wait_output(t, t->cfg.tcp_rto_max_ns);
        assert_true(when != UINT64_MAX); /* never longer than rto_max apart */
        assert_true(when - prev <= t->cfg.tcp_rto_max_ns);
        prev = when;
        answer_probe(t, &k, una); /* nothing goes past the window */
        probes++;
        expect_no_growth(t, &m, "shrunk window");
    }
    assert_true(probes > 50);
    expect_window_opens(t, &k, una);
    st_free(t);
}

/* The other direction: the application never reads, the peer keeps
 * pushing. RFC 9293 3.10.7.4: once the receive window is zero no text is
 * acceptable; each segment (zero-window probes of one byte, full
 * segments, text past the window) draws an ACK of RCV.NXT with a zero
 * window. The receive ring holds exactly tcp_rcvbuf bytes and nothing
 * more is allocated; when the application reads, the stream is whole. */
static void test_unread_receive_buffer(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    st_passive_open(t, &k, 1460);
    const uint32_t S = k.iss + 1, R = k.irs + 1, rcvbuf = t->cfg.tcp_rcvbuf;
    uint8_t buf[1460];
    uint32_t off = 0;
    while (off < rcvbuf) {
        uint32_t len = rcvbuf - off < sizeof buf ? rcvbuf - off : (uint32_t)sizeof buf;
        fill(buf, off, len);
        st_in(t, &k, F_ACK, R + off, S, buf, len);
        off += len;
        st_seg a;
        st_expect(t, F_ACK, S, R + off, 0, &a);
        assert_int_equal(a.win, rcvbuf - off);
    }
    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint32_t x = 99;
    for (int i = 0; i < 3000; i++) {
        uint32_t at = rcvbuf + (i % 3 == 0 ? 0 : rnd(&x) % 100000);
        uint32_t len = i % 3 == 0 ? 1 : 1 + rnd(&x) % (uint32_t)sizeof buf;
        fill(buf, at, len);
        st_in(t, &k, F_ACK, R + at, S, buf, len);
        st_seg a;
        st_expect(t, F_ACK, S, R + rcvbuf, 0, &a);
        st_expect_none(t);
        assert_int_equal(a.win, 0);
        assert_int_equal(synack_tcp_rcv_queued(k.c), rcvbuf);
        expect_no_growth(t, &m, "pushing into a zero window");
        st_advance(t, 100 * ST_MS);
        st_drain(t);
    }
    static uint8_t got[65535];
    assert_true(rcvbuf <= sizeof got);
    assert_int_equal(synack_tcp_recv(k.c, got, sizeof got, t->now), rcvbuf);
    for (uint32_t i = 0; i < rcvbuf; i++)
        assert_int_equal(got[i], stream_byte(i));
    st_free(t);
}

/* ---- 2. a peer that sends only out-of-order data ---- */

/* Fails unless the SACK blocks of @p a are valid (RFC 2018 3, 4; RFC 2883
 * 4): at most 3 with timestamps, 4 without; a D-SACK only first (below
 * RCV.NXT or within the second block); every other block is exactly one
 * range held, each at most once; and when the segment that caused the ACK
 * is held, the first non-D-SACK block contains it. */
static void expect_sack_valid(const st_seg *a, const sk_reass *r, uint32_t rcv_nxt, bool ts,
                              bool held, uint32_t seg_seq)
{
    assert_int_equal(a->opts.has_ts, ts);
    assert_true(a->opts.nsack <= (ts ? 3 : 4));
    uint8_t i = 0;
    if (a->opts.nsack > 0) {
        const sk_tcp_sack_block *b = &a->opts.sack[0];
        bool below = sk_seq_le(b->right, rcv_nxt);
        bool within = a->opts.nsack > 1 && sk_seq_ge(b->left, a->opts.sack[1].left) &&
                      sk_seq_le(b->right, a->opts.sack[1].right);
        if (below || within) {
            assert_true(sk_seq_lt(b->left, b->right));
            i = 1;
        }
    }
    for (uint8_t j = i; j < a->opts.nsack; j++) {
        const sk_tcp_sack_block *b = &a->opts.sack[j];
        int k = sk_rangeset_find(&r->ooo, b->left);
        assert_true(k >= 0);
        const sk_range *g = sk_rangeset_at(&r->ooo, (uint16_t)k);
        assert_int_equal(g->left, b->left);
        assert_int_equal(g->right, b->right);
        assert_true(sk_seq_gt(b->left, rcv_nxt));
        for (uint8_t q = i; q < j; q++)
            assert_int_not_equal(a->opts.sack[q].left, b->left);
    }
    if (held) {
        assert_true(i < a->opts.nsack);
        assert_true(sk_seq_in(seg_seq, a->opts.sack[i].left, a->opts.sack[i].right));
    }
}

/* Thousands of segments at random places in and past the window, below
 * RCV.NXT, overlapping and repeated, none covering RCV.NXT itself. RFC
 * 9293 3.10.7.4: the out-of-order text is held within the window;
 * tcp_reass_max_ranges bounds the ranges; the bytes lie in the receive
 * ring, so nothing is allocated after its first segment. Every segment
 * draws an immediate ACK (RFC 5681 4.2) of RCV.NXT with valid SACK blocks.
 * One in twenty carries a FIN, wherever it lies: one is held at most, and
 * nothing past it (RFC 9293 3.10.7.4 eighth). When the peer at last sends
 * the data at RCV.NXT, the window's worth, or the stream up to the FIN
 * held, comes out exactly: what was held was the right bytes. With and
 * without timestamps (3 or 4 SACK blocks fit, RFC 2018 3). */
static void out_of_order_only_peer(bool with_ts)
{
    st *t = st_new(NULL);
    st_conn k;
    sk_tcp_opts o = syn_opts(with_ts, true);
    st_seg sa;
    st_passive_open_opts(t, &k, &o, &sa);
    const uint32_t S = k.iss + 1, R = k.irs + 1, ecr = sa.opts.tsval;
    const uint32_t wnd = t->cfg.tcp_rcvbuf, max_ranges = t->cfg.tcp_reass_max_ranges;
    assert_true(wnd <= 65535); /* no window scaling in this test */
    uint8_t buf[1460];
    sk_tcp_opts ts = {0};
    ts.has_ts = with_ts;
    ts.tsval = PTS;
    ts.tsecr = ecr;

    /* The first out-of-order segment makes the ring and its ranges. */
    fill(buf, 100, 100);
    st_inject(t, k.peer_port, k.port, F_ACK, R + 100, S, ST_WIN, &ts, buf, 100);
    st_expect(t, F_ACK, S, R, 0, NULL);
    const sk_reass *r = sk_rcv_of(k.c)->reass;
    assert_non_null(r);

    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint32_t x = 0x2545f491u;
    int32_t last_off = 100;
    uint32_t last_len = 100;
    uint16_t most_ranges = 0;
    uint8_t most_blocks = 0;
    for (int i = 0; i < 5000; i++) {
        int32_t off;
        uint32_t len;
        uint32_t pick = rnd(&x) % 10;
        if (pick == 0) {
            off = last_off; /* the same segment again */
            len = last_len;
        } else {
            /* Anywhere from 4000 below RCV.NXT to 40000 past the window. */
            off = (int32_t)(rnd(&x) % (wnd + 44000)) - 4000;
            len = 1 + rnd(&x) % (pick < 4 ? 40 : 1460);
            if (off == 0)
                off = 1;
            if (off < 0 && off + (int32_t)len > 0)
                len = (uint32_t)-off; /* never RCV.NXT itself */
        }
        last_off = off;
        last_len = len;
        fill(buf, (uint32_t)off, len);
        ts.tsval = PTS + (uint32_t)i / 16; /* the peer's clock ticks on (RFC 7323 5.3) */
        uint8_t fin = rnd(&x) % 20 == 0 ? F_FIN : 0;
        st_inject(t, k.peer_port, k.port, F_ACK | fin, R + (uint32_t)off, S, ST_WIN, &ts, buf, len);
        st_seg a;
        st_expect(t, F_ACK, S, R, 0, &a);
        st_expect_none(t);
        assert_int_equal(a.win, wnd);
        bool held = off > 0 && sk_rangeset_contains(&r->ooo, R + (uint32_t)off);
        expect_sack_valid(&a, r, R, with_ts, held, R + (uint32_t)off);
        if (a.opts.nsack > most_blocks)
            most_blocks = a.opts.nsack;
        /* The bounds: ranges, and bytes only inside the window offered. */
        uint16_t n = sk_rangeset_count(&r->ooo);
        assert_true(n <= max_ranges);
        if (n > most_ranges)
            most_ranges = n;
        assert_true(sk_reass_ooo_bytes(r) <= wnd);
        if (n)
            assert_true(sk_seq_le(sk_rangeset_last(&r->ooo)->right, R + wnd));
        expect_no_growth(t, &m, "out-of-order text");
        st_drain(t);
    }
    assert_int_equal(most_ranges, max_ranges);            /* the bound was reached */
    assert_int_equal(most_blocks, with_ts ? 3 : 4);       /* SACK options were full */
    assert_true(st_stat(t, "tcp_drop_ooo") > 0);          /* and held */
    assert_true(st_stat(t, "tcp_drop_unacceptable") > 0); /* so was the window */
    /* The peer sends the data at RCV.NXT: the window fills and reads back
     * exactly. */
    for (uint32_t off = 0; off < wnd; off += sizeof buf) {
        uint32_t len = wnd - off < sizeof buf ? wnd - off : (uint32_t)sizeof buf;
        fill(buf, off, len);
        st_inject(t, k.peer_port, k.port, F_ACK, R + off, S, ST_WIN, &ts, buf, len);
    }
    st_drain(t);
    uint32_t n = synack_tcp_rcv_queued(k.c);
    bool fin_taken = synack_tcp_get_state(k.c) == SYNACK_TCP_CLOSE_WAIT;
    assert_true(fin_taken ? n <= wnd : n == wnd);
    static uint8_t got[65535];
    assert_int_equal(synack_tcp_recv(k.c, got, sizeof got, t->now), n);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(got[i], stream_byte(i));
    if (fin_taken)
        assert_int_equal(synack_tcp_recv(k.c, got, sizeof got, t->now), 0);
    st_free(t);
}

static void test_out_of_order_only_peer(void **state)
{
    (void)state;
    out_of_order_only_peer(true);
}

static void test_out_of_order_only_peer_no_timestamps(void **state)
{
    (void)state;
    out_of_order_only_peer(false);
}

/* ---- 3. a peer that SACKs nonsense ---- */

/* A SACK block the data in flight, [una, max), cannot justify, or a tiny
 * one inside it (@p tiny counts them so that they are all disjoint). */
static sk_tcp_sack_block nonsense_block(uint32_t *x, uint32_t una, uint32_t max, uint32_t *tiny,
                                        bool only_tiny)
{
    uint32_t a = rnd(x) % (max - una + 1), b = 1 + rnd(x) % 3000;
    switch (only_tiny ? 9 : rnd(x) % 10) {
    case 0: /* empty */
        return (sk_tcp_sack_block){una + a, una + a};
    case 1: /* reversed */
        return (sk_tcp_sack_block){una + a + b, una + a};
    case 2: /* wholly below SND.UNA (a D-SACK would be; this is not one) */
        return (sk_tcp_sack_block){una - b - a, una - a};
    case 3: /* wholly above SND.MAX: data never sent */
        return (sk_tcp_sack_block){max + a, max + a + b};
    case 4: /* from sent data on past SND.MAX */
        return (sk_tcp_sack_block){una + a, max + b};
    case 5: /* wrapping: more than half the circle, or all of it but one */
        return (b & 1) ? (sk_tcp_sack_block){una + a + 0x80000000u + b, una + a}
                       : (sk_tcp_sack_block){una + a, una + a - 1};
    case 6: /* covering everything, and more on both sides */
        return (sk_tcp_sack_block){una - b, max + b};
    case 7: /* from below SND.UNA into the data: the part above it may count */
        return (sk_tcp_sack_block){una - b, una + (a ? a : 1)};
    default: { /* one byte of every other: thousands of disjoint blocks */
        uint32_t slots = (max - una) / 2;
        uint32_t at = una + 1 + 2 * ((*tiny)++ % slots);
        return (sk_tcp_sack_block){at, at + 1};
    }
    }
}

/* The peer as a receiver that takes only in-order data and ACKs it all,
 * until @p total bytes came; the application writes as room opens.
 * Checks every byte. @return the virtual time it took. */
static uint64_t behave_until(st *t, const st_conn *k, uint32_t *written, uint32_t total)
{
    const uint32_t S = k->iss + 1, R = k->irs + 1;
    uint64_t start = t->now;
    uint32_t got = 0;
    for (int guard = 0; got < total; guard++) {
        assert_true(guard < 100000);
        st_seg s;
        bool any = false;
        while (st_next(t, &s)) {
            any = true;
            uint32_t nxt = S + got;
            if (s.len == 0 || !sk_seq_le(s.seq, nxt) || !sk_seq_gt(s.seq + s.len, nxt))
                continue;
            for (uint32_t i = nxt - s.seq; i < s.len; i++)
                assert_int_equal(s.data[i], stream_byte(s.seq - S + i));
            got += s.len - (nxt - s.seq);
        }
        st_drain(t);
        if (any) {
            st_in(t, k, F_ACK, R, S + got, NULL, 0);
            write_upto(t, k, written, total);
        } else {
            assert_true(st_run_next_timer(t) != UINT64_MAX);
        }
    }
    return t->now - start;
}

/* Opens with SACK agreed (no timestamps: 4 blocks fit, RFC 2018 3),
 * writes up to @p limit and forgets what was sent. @return SND.MAX. */
static uint32_t open_sack_sender(st *t, st_conn *k, uint32_t *written, uint32_t limit)
{
    sk_tcp_opts o = syn_opts(false, true);
    st_passive_open_opts(t, k, &o, NULL);
    *written = 0;
    write_upto(t, k, written, limit);
    st_drain(t);
    return k->iss + 1 + info_of(k).flight;
}

/* ACKs of SND.UNA carrying SACK blocks that are empty, reversed, below
 * SND.UNA, above SND.MAX, straddling it, wrapping, covering everything, and
 * thousands of disjoint one-byte blocks, while time runs (retransmission
 * timeouts go back over the "SACKed" data). RFC 6675 4 Update() takes only
 * what lies in [SND.UNA, SND.MAX); the scoreboard has SK_SND_SACK_RANGES
 * slots behind the send ring. Bounds: nothing allocated, get_info().sacked
 * never above SND.MAX - SND.UNA; and once the peer behaves, every byte
 * arrives (RFC 2018 8: SACKed data the receiver does not have, it may have
 * discarded, is sent again after a timeout). */
static void test_nonsense_sack_peer(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    st_conn k;
    uint32_t written;
    assert_true(open_sack_sender(t, &k, &written, UINT32_MAX) != k.iss + 1);
    const uint32_t S = k.iss + 1, R = k.irs + 1;

    /* First a thousand ACKs of four disjoint one-byte blocks each, then
     * every kind of nonsense mixed. */
    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint32_t x = 0x9e3779b9u, tiny = 0;
    for (int i = 0; i < 4000; i++) {
        synack_tcp_info in = info_of(&k);
        uint32_t una = S, max = S + in.flight;
        sk_tcp_opts so = {0};
        so.nsack = SK_TCP_MAX_SACK; /* 4 fit without timestamps (RFC 2018 3) */
        for (uint8_t j = 0; j < so.nsack; j++)
            so.sack[j] = nonsense_block(&x, una, max, &tiny, i < 1000);
        st_inject(t, k.peer_port, k.port, F_ACK, R, una, ST_WIN, &so, NULL, 0);
        st_advance(t, 2 * ST_MS); /* timeouts come and go back over it all */
        in = info_of(&k);
        assert_true(in.sacked <= in.flight);
        /* The scoreboard: its fixed slots, inside [SND.UNA, SND.MAX). */
        const sk_rangeset *sb = &sk_snd_of(k.c)->sacked;
        assert_true(sk_rangeset_count(sb) <= SK_SND_SACK_RANGES);
        if (!sk_rangeset_empty(sb)) {
            assert_true(sk_seq_ge(sk_rangeset_first(sb)->left, S));
            assert_true(sk_seq_le(sk_rangeset_last(sb)->right, S + in.flight));
        }
        assert_int_equal(synack_tcp_get_state(k.c), SYNACK_TCP_ESTABLISHED);
        expect_no_growth(t, &m, "nonsense SACK blocks");
        st_drain(t);
    }
    assert_true(st_stat(t, "tcp_sack_blocks_ignored") > 0); /* the scoreboard filled */
    assert_true(st_stat(t, "tcp_timeouts") > 0);
    /* The peer behaves: all it was sent arrives, and 200 kB more. */
    behave_until(t, &k, &written, written + 200000);
    assert_int_equal(info_of(&k).flight, 0);
    assert_int_equal(info_of(&k).sacked, 0);
    st_free(t);
}

/* Opens, sends ten segments, lets @p hostile answer them with ACKs of
 * SND.UNA only, and expects SND.UNA's segment again at the first timeout,
 * one RTO after it was sent; then the peer behaves and all arrives. */
static void expect_left_edge_resent(void (*hostile)(st *t, const st_conn *k, uint32_t max))
{
    st *t = st_new(NULL);
    st_conn k;
    uint32_t written;
    const uint32_t max = open_sack_sender(t, &k, &written, 10 * 1460);
    const uint32_t S = k.iss + 1, R = k.irs + 1;
    assert_int_equal(max, S + 10 * 1460);
    uint64_t sent_at = t->now;
    hostile(t, &k, max);
    uint64_t rto = (uint64_t)info_of(&k).rto_us * ST_US;
    assert_true(st_wait_output(t, rto) != UINT64_MAX);
    st_expect_at(t, F_ACK, S, R, 1460, sent_at + rto);
    behave_until(t, &k, &written, written);
    st_free(t);
}

static void sack_unsent(st *t, const st_conn *k, uint32_t max)
{
    const uint32_t S = k->iss + 1;
    for (uint32_t i = 0; i < 5; i++) {
        sk_tcp_opts so = {0};
        so.nsack = 3;
        so.sack[0] = (sk_tcp_sack_block){max + i * 1460, max + (i + 1) * 1460};
        so.sack[1] = (sk_tcp_sack_block){S + 1460, max + 1}; /* past SND.MAX by one */
        so.sack[2] = (sk_tcp_sack_block){S, max + 100000};
        st_inject(t, k->peer_port, k->port, F_ACK, k->irs + 1, S, ST_WIN, &so, NULL, 0);
        st_expect_none(t); /* no fast retransmit */
        assert_int_equal(info_of(k).sacked, 0);
        assert_false(info_of(k).in_recovery);
    }
}

/* RFC 2018 8 / RFC 6675 5.1: a SACK names data the receiver holds; one
 * of data never sent (above SND.MAX, or running past it) is not believed,
 * so it neither starts a fast retransmit nor hides real data from the
 * retransmission: at the timeout SND.UNA's segment goes again. */
static void test_sack_of_unsent_data_is_not_believed(void **state)
{
    (void)state;
    expect_left_edge_resent(sack_unsent);
}

static void sack_all_sent(st *t, const st_conn *k, uint32_t max)
{
    const uint32_t S = k->iss + 1;
    sk_tcp_opts so = {0};
    so.nsack = 1;
    so.sack[0] = (sk_tcp_sack_block){S, max};
    st_inject(t, k->peer_port, k->port, F_ACK, k->irs + 1, S, ST_WIN, &so, NULL, 0);
    assert_int_equal(info_of(k).sacked, max - S);
    st_drain(t);
}

/* RFC 2018 8: "The data sender MUST retransmit the segment at the left
 * edge of the window after a retransmit timeout, whether or not the SACK
 * bit is on for that segment." A peer that SACKs all it was sent and never
 * ACKs it (it reneged, or lies) still gets SND.UNA's segment again at the
 * first timeout, not only after a second one. */
static void test_sacked_left_edge_is_resent_at_timeout(void **state)
{
    (void)state;
    expect_left_edge_resent(sack_all_sent);
}

/* ---- 4. many connections ---- */

static void syn_from(st *t, uint16_t sport, uint16_t dport, uint32_t isn)
{
    sk_tcp_opts o = syn_opts(true, true);
    o.has_wscale = true;
    o.wscale = 7;
    st_inject(t, sport, dport, F_SYN, isn, 0, ST_WIN, &o, NULL, 0);
}

/* RFC 4987 3: a SYN flood from thousands of ports. The listener's backlog
 * bounds the connections in SYN-RCVD (RFC 9293 3.10.7.2 queues a SYN only
 * "if there is room"); the rest are dropped and counted, without a
 * SYN+ACK and without allocating. A connection in SYN-RCVD costs one TCB
 * (DESIGN.md 2a: buffers come with data), so the memory peak is what the
 * stack had before plus backlog times that - also over minutes, as
 * half-open connections time out (tcp_syn_timeout_ns) and new ones take
 * their place. */
static void test_syn_flood_stays_in_backlog(void **state)
{
    (void)state;
    st *t = st_new(NULL);
    const int backlog = 16;
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, backlog, t->now, &l), 0);
    const size_t base = t->alloc.live;
    uint32_t x = 0x1234567u;
    syn_from(t, 1024, ST_PORT, rnd(&x));
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    const size_t one = t->alloc.live - base; /* what a half-open connection costs */
    assert_true(one > 0);
    for (int i = 1; i < backlog; i++) {
        syn_from(t, (uint16_t)(1024 + i), ST_PORT, rnd(&x));
        assert_true(st_next(t, &s));
        assert_int_equal(s.flags, F_SYN | F_ACK);
        assert_int_equal(t->alloc.live, base + (size_t)(i + 1) * one);
    }
    assert_int_equal(synack_stack_tcp_count(t->stack), backlog);

    /* At once: nothing more is taken, nothing allocated, nothing sent. */
    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint16_t port = (uint16_t)(1024 + backlog);
    for (int i = 0; i < 5000; i++)
        syn_from(t, port++, ST_PORT, rnd(&x));
    st_expect_none(t);
    expect_no_growth(t, &m, "SYN flood, backlog full");
    assert_int_equal(synack_stack_tcp_count(t->stack), backlog);
    assert_int_equal(st_stat(t, "tcp_drop_backlog"), 5000);

    /* Over four minutes, one SYN every 20 ms: half-open connections time
     * out and others take their place, never more than the backlog. */
    countalloc_mark_now(&t->alloc);
    const size_t bound = base + (size_t)backlog * one;
    for (int i = 0; i < 12000; i++) {
        syn_from(t, port++, ST_PORT, rnd(&x));
        if (port < 1024)
            port = 1024;
        st_advance(t, 20 * ST_MS);
        assert_true(synack_stack_tcp_count(t->stack) <= (uint32_t)backlog);
        assert_true(t->alloc.live <= bound);
        st_drain(t);
    }
    assert_true(t->alloc.peak <= bound);
    assert_true(st_stat(t, "tcp_conn_opened_passive") > 2 * (uint64_t)backlog);
    assert_true(st_stat(t, "tcp_conn_timed_out") > (uint64_t)backlog);
    st_free(t);
}

static void tweak_few_conns(synack_config *cfg)
{
    cfg->tcp_max_conns = 40;
}

/* tcp_max_conns bounds the connections of all listeners and active opens
 * together, however large the backlogs: a flood on two ports holds exactly
 * tcp_max_conns, connect() is refused with SYNACK_ERR_LIMIT, and the memory
 * is that many connections' worth. */
static void test_syn_flood_stays_in_max_conns(void **state)
{
    (void)state;
    st *t = st_new(tweak_few_conns);
    const uint32_t limit = t->cfg.tcp_max_conns;
    synack_tcp *l1, *l2, *c;
    assert_int_equal(synack_tcp_listen(t->stack, 0, 80, 1000, t->now, &l1), 0);
    assert_int_equal(synack_tcp_listen(t->stack, 0, 81, 1000, t->now, &l2), 0);
    const size_t base = t->alloc.live;
    syn_from(t, 1024, 80, 1);
    const size_t one = t->alloc.live - base;
    countalloc_mark_now(&t->alloc);
    uint32_t x = 77;
    for (uint16_t i = 1; i < 6000; i++)
        syn_from(t, (uint16_t)(1024 + i), (uint16_t)(80 + (i & 1)), rnd(&x));
    st_drain(t);
    assert_int_equal(synack_stack_tcp_count(t->stack), limit);
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, 80, 0, t->now, &c), SYNACK_ERR_LIMIT);
    assert_true(st_stat(t, "tcp_drop_conn_limit") > 0);
    assert_int_equal(t->alloc.live, base + limit * one);
    assert_int_equal(t->alloc.peak, base + limit * one);
    st_free(t);
}

/* Completes a passive open from the peer's @p port with ISN @p isn and
 * accepts it; @p iss gets the stack's ISS. */
static synack_tcp *accept_from(st *t, synack_tcp *l, uint16_t port, uint32_t isn, uint32_t *iss)
{
    st_inject(t, port, ST_PORT, F_SYN, isn, 0, ST_WIN, NULL, NULL, 0);
    st_seg sa;
    assert_true(st_next(t, &sa));
    assert_int_equal(sa.flags, F_SYN | F_ACK);
    *iss = sa.seq;
    st_inject(t, port, ST_PORT, F_ACK, isn + 1, sa.seq + 1, ST_WIN, NULL, NULL, 0);
    synack_tcp *c;
    assert_int_equal(synack_tcp_accept(l, &c, t->now), 0);
    return c;
}

static void tweak_sixteen_conns(synack_config *cfg)
{
    cfg->tcp_max_conns = 16;
}

/* tcp_max_conns connections, each sending and receiving so that both its
 * rings exist (DESIGN.md 2a: made on first use, sized tcp_sndbuf and
 * tcp_rcvbuf): each costs the same, the total is that times the limit,
 * and a SYN flood on top allocates nothing. */
static void test_busy_connections_stay_in_max_conns(void **state)
{
    (void)state;
    st *t = st_new(tweak_sixteen_conns);
    const uint32_t limit = t->cfg.tcp_max_conns;
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 1000, t->now, &l), 0);
    const size_t base = t->alloc.live;
    size_t one = 0;
    static uint8_t data[1000];
    for (uint16_t i = 0; i < limit; i++) {
        uint32_t isn = 100000u * i, iss;
        synack_tcp *c = accept_from(t, l, (uint16_t)(3000 + i), isn, &iss);
        assert_int_equal(synack_tcp_send(c, data, sizeof data, t->now), sizeof data);
        st_inject(t, (uint16_t)(3000 + i), ST_PORT, F_ACK, isn + 1, iss + 1, ST_WIN, NULL, data,
                  100);
        st_drain(t);
        if (i == 0)
            one = t->alloc.live - base;
        assert_int_equal(t->alloc.live, base + (i + 1u) * one);
    }
    assert_true(one > t->cfg.tcp_sndbuf + t->cfg.tcp_rcvbuf);
    countalloc_mark m = countalloc_mark_now(&t->alloc);
    uint32_t x = 5;
    for (uint16_t i = 0; i < 3000; i++)
        syn_from(t, (uint16_t)(10000 + i), ST_PORT, rnd(&x));
    st_expect_none(t);
    expect_no_growth(t, &m, "SYN flood on busy connections");
    assert_int_equal(synack_stack_tcp_count(t->stack), limit);
    st_free(t);
}

static void tweak_few_time_waits(synack_config *cfg)
{
    cfg->tcp_max_time_wait = 8;
}

/* Thousands of short connections the stack closes first, each leaving a
 * TIME-WAIT (RFC 9293 3.6: 2 MSL). A released connection shrinks to a
 * compact entry (DESIGN.md 2a); tcp_max_time_wait bounds them: with the
 * table full the connection ends at once (counted). Memory stays at that
 * many entries' worth, and nothing more is allocated per connection than
 * the TCB it frees again. */
static void test_time_wait_stays_in_max_time_wait(void **state)
{
    (void)state;
    st *t = st_new(tweak_few_time_waits);
    const uint32_t limit = t->cfg.tcp_max_time_wait;
    synack_tcp *l;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &l), 0);
    const size_t base = t->alloc.live;
    countalloc_mark_now(&t->alloc);
    size_t one = 0, conn = 0;
    for (uint16_t i = 0; i < 3000; i++) {
        uint16_t port = (uint16_t)(2000 + i);
        uint32_t isn = 1000u * i, iss;
        synack_tcp *c = accept_from(t, l, port, isn, &iss);
        assert_int_equal(synack_tcp_close(c, t->now), 0);
        st_expect(t, F_FIN | F_ACK, iss + 1, isn + 1, 0, NULL);
        st_inject(t, port, ST_PORT, F_FIN | F_ACK, isn + 1, iss + 2, ST_WIN, NULL, NULL, 0);
        st_expect(t, F_ACK, iss + 2, isn + 2, 0, NULL);
        st_expect_none(t);
        if (i == 0) {
            one = t->alloc.live - base;  /* one compact TIME-WAIT entry */
            conn = t->alloc.peak - base; /* a connection while it lives */
        }
        uint32_t held = i + 1u < limit ? i + 1u : limit;
        assert_int_equal(synack_stack_tcp_count(t->stack), held);
        assert_int_equal(t->alloc.live, base + held * one);
        st_drain(t);
    }
    assert_true(one > 0 && conn >= one);
    assert_true(t->alloc.peak <= base + limit * one + conn);
    assert_int_equal(st_stat(t, "tcp_time_wait_dropped"), 3000 - limit);
    /* 2 MSL later they are all gone. */
    st_advance(t, 2 * t->cfg.tcp_msl_ns + ST_S);
    assert_int_equal(synack_stack_tcp_count(t->stack), 0);
    assert_int_equal(t->alloc.live, base);
    st_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_window_peer),
        cmocka_unit_test(test_zero_window_peer_that_vanishes),
        cmocka_unit_test(test_shrunk_window_peer),
        cmocka_unit_test(test_unread_receive_buffer),
        cmocka_unit_test(test_out_of_order_only_peer),
        cmocka_unit_test(test_out_of_order_only_peer_no_timestamps),
        cmocka_unit_test(test_nonsense_sack_peer),
        cmocka_unit_test(test_sack_of_unsent_data_is_not_believed),
        cmocka_unit_test(test_sacked_left_edge_is_resent_at_timeout),
        cmocka_unit_test(test_syn_flood_stays_in_backlog),
        cmocka_unit_test(test_syn_flood_stays_in_max_conns),
        cmocka_unit_test(test_busy_connections_stay_in_max_conns),
        cmocka_unit_test(test_time_wait_stays_in_max_time_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
