/* TCP header and options on the wire (RFC 9293 3.1-3.2, RFC 7323, RFC 2018). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "synack/error.h"
#include "wire/tcp.h"
#include "wire_captures.h"

#define TCP(frame)     ((frame) + 34) /* the captures have a 14 + 20 byte prefix */
#define TCP_LEN(frame) (sizeof(frame) - 34)

static sk_tcp_opts parse_opts_of(const uint8_t *seg, size_t len)
{
    sk_tcp_hdr h;
    sk_tcp_opts o;
    assert_int_equal(sk_tcp_parse(seg, len, &h), 0);
    assert_int_equal(sk_tcp_parse_options(h.opts, h.opts_len, &o), 0);
    return o;
}

/* ---- header parse -------------------------------------------------------- */

static void test_parse_real_syn_header(void **state)
{
    (void)state;
    sk_tcp_hdr h;
    assert_int_equal(sk_tcp_parse(TCP(cap_tcp_syn), TCP_LEN(cap_tcp_syn), &h), 0);
    assert_int_equal(h.sport, 50276);
    assert_int_equal(h.dport, 5555);
    assert_int_equal(h.seq, 0x9d865ef5u);
    assert_int_equal(h.ack, 0);
    assert_int_equal(h.hlen, 40);
    assert_int_equal(h.flags, SK_TCP_SYN);
    assert_int_equal(h.win, 64240);
    assert_int_equal(h.csum, 0x6ac8);
    assert_int_equal(h.urg, 0);
    assert_ptr_equal(h.opts, TCP(cap_tcp_syn) + 20);
    assert_int_equal(h.opts_len, 20);
}

static void test_parse_real_rst_and_data_headers(void **state)
{
    (void)state;
    sk_tcp_hdr h;
    assert_int_equal(sk_tcp_parse(TCP(cap_tcp_rstack), TCP_LEN(cap_tcp_rstack), &h), 0);
    assert_int_equal(h.flags, SK_TCP_RST | SK_TCP_ACK);
    assert_int_equal(h.sport, 5556);
    assert_int_equal(h.seq, 0);
    assert_int_equal(h.ack, 0x07f890e4u);
    assert_int_equal(h.win, 0);
    assert_int_equal(h.hlen, 20);
    assert_int_equal(h.opts_len, 0);

    assert_int_equal(sk_tcp_parse(TCP(cap_tcp_data), TCP_LEN(cap_tcp_data), &h), 0);
    assert_int_equal(h.flags, SK_TCP_PSH | SK_TCP_ACK);
    assert_int_equal(h.hlen, 32);
    assert_int_equal(h.win, 63);
    assert_memory_equal(TCP(cap_tcp_data) + h.hlen, "hello\n", 6);

    assert_int_equal(sk_tcp_parse(TCP(cap_tcp_finack), TCP_LEN(cap_tcp_finack), &h), 0);
    assert_int_equal(h.flags, SK_TCP_FIN | SK_TCP_ACK);
    assert_int_equal(h.seq, 0x4e6addaau);
    assert_int_equal(h.ack, 0x9d865efcu);
}

static void test_parse_truncated_every_length(void **state)
{
    (void)state;
    sk_tcp_hdr h;
    for (size_t len = 0; len < 40; len++)
        assert_int_equal(sk_tcp_parse(TCP(cap_tcp_syn), len, &h), SYNACK_ERR_TRUNCATED);
    assert_int_equal(sk_tcp_parse(TCP(cap_tcp_syn), 40, &h), 0);
}

static void test_parse_data_offset_below_5_malformed(void **state)
{
    (void)state;
    for (unsigned off = 0; off < 5; off++) {
        uint8_t seg[20];
        memcpy(seg, TCP(cap_tcp_rstack), 20);
        seg[12] = (uint8_t)(off << 4);
        sk_tcp_hdr h;
        assert_int_equal(sk_tcp_parse(seg, sizeof(seg), &h), SYNACK_ERR_MALFORMED);
    }
}

/* The reserved bits and NS/AE bit of byte 12 do not disturb the offset. */
static void test_parse_ignores_reserved_bits(void **state)
{
    (void)state;
    uint8_t seg[20];
    memcpy(seg, TCP(cap_tcp_rstack), 20);
    seg[12] |= 0x0f;
    sk_tcp_hdr h;
    assert_int_equal(sk_tcp_parse(seg, sizeof(seg), &h), 0);
    assert_int_equal(h.hlen, 20);
}

/* ---- options parse: real captures --------------------------------------- */

static void test_options_real_syn(void **state)
{
    (void)state;
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_syn), TCP_LEN(cap_tcp_syn));
    assert_true(o.has_mss);
    assert_int_equal(o.mss, 1460);
    assert_true(o.sack_permitted);
    assert_true(o.has_ts);
    assert_int_equal(o.tsval, 0xfe8ff90bu);
    assert_int_equal(o.tsecr, 0);
    assert_true(o.has_wscale);
    assert_int_equal(o.wscale, 10);
    assert_int_equal(o.nsack, 0);
}

static void test_options_real_synack(void **state)
{
    (void)state;
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_synack), TCP_LEN(cap_tcp_synack));
    assert_int_equal(o.mss, 1460);
    assert_true(o.sack_permitted);
    assert_int_equal(o.tsval, 0x8ca53976u);
    assert_int_equal(o.tsecr, 0xfe8ff90bu);
    assert_int_equal(o.wscale, 10);
}

static void test_options_real_syn_without_timestamps(void **state)
{
    (void)state;
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_syn_nots), TCP_LEN(cap_tcp_syn_nots));
    assert_true(o.has_mss && o.sack_permitted && o.has_wscale);
    assert_false(o.has_ts);
    o = parse_opts_of(TCP(cap_tcp_syn_mss_ws), TCP_LEN(cap_tcp_syn_mss_ws));
    assert_true(o.has_mss && o.has_wscale);
    assert_false(o.has_ts || o.sack_permitted);
    assert_int_equal(o.wscale, 10);
}

static void test_options_real_data_and_ack(void **state)
{
    (void)state;
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_data), TCP_LEN(cap_tcp_data));
    assert_true(o.has_ts);
    assert_false(o.has_mss || o.has_wscale || o.sack_permitted);
    assert_int_equal(o.tsval, 0xfe8ff90bu);
    assert_int_equal(o.tsecr, 0x8ca53976u);
    o = parse_opts_of(TCP(cap_tcp_rstack), TCP_LEN(cap_tcp_rstack));
    assert_false(o.has_ts || o.has_mss);
}

static void test_options_real_sack_blocks(void **state)
{
    (void)state;
    /* Relative to the raw peer's ISN 1000: blocks [1101,1201) [1301,1401) [1501,1601). */
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_sack1), TCP_LEN(cap_tcp_sack1));
    assert_true(o.has_ts);
    assert_int_equal(o.tsecr, 2);
    assert_int_equal(o.nsack, 1);
    assert_int_equal(o.sack[0].left, 1101);
    assert_int_equal(o.sack[0].right, 1201);

    o = parse_opts_of(TCP(cap_tcp_sack3), TCP_LEN(cap_tcp_sack3));
    assert_int_equal(o.nsack, 3);
    /* Most recent block first (RFC 2018 4). */
    assert_int_equal(o.sack[0].left, 1501);
    assert_int_equal(o.sack[0].right, 1601);
    assert_int_equal(o.sack[1].left, 1301);
    assert_int_equal(o.sack[1].right, 1401);
    assert_int_equal(o.sack[2].left, 1101);
    assert_int_equal(o.sack[2].right, 1201);
}

/* ---- options parse: edge cases ------------------------------------------ */

static int parse_bytes(const uint8_t *p, size_t len, sk_tcp_opts *o)
{
    return sk_tcp_parse_options(p, len, o);
}

static void test_options_empty_and_padding(void **state)
{
    (void)state;
    sk_tcp_opts o;
    memset(&o, 0xaa, sizeof(o));
    assert_int_equal(parse_bytes(NULL, 0, &o), 0);
    assert_false(o.has_mss || o.has_ts || o.has_wscale || o.sack_permitted);
    assert_int_equal(o.nsack, 0);
    const uint8_t nops[4] = {1, 1, 1, 1};
    assert_int_equal(parse_bytes(nops, 4, &o), 0);
    const uint8_t eols[4] = {0, 0, 0, 0};
    assert_int_equal(parse_bytes(eols, 4, &o), 0);
}

/* After EOL nothing is read, even bytes that would be malformed. */
static void test_options_eol_stops(void **state)
{
    (void)state;
    const uint8_t p[8] = {2, 4, 0x05, 0xb4, 0, 3, 1, 0xff};
    sk_tcp_opts o;
    assert_int_equal(parse_bytes(p, sizeof(p), &o), 0);
    assert_true(o.has_mss);
    assert_false(o.has_wscale);
}

static void test_options_unknown_kinds_skipped(void **state)
{
    (void)state;
    /* MPTCP (30) len 4, TFO cookie (34) len 10, experimental (254) len 2,
     * then MSS: the MSS must still be seen. */
    const uint8_t p[] = {30, 4, 0x10, 0x00, 34,  10, 1, 2, 3,    4,
                         5,  6, 7,    8,    254, 2,  2, 4, 0x02, 0x18};
    sk_tcp_opts o;
    assert_int_equal(parse_bytes(p, sizeof(p), &o), 0);
    assert_true(o.has_mss);
    assert_int_equal(o.mss, 536);
    /* An unknown kind may not claim length < 2 either. */
    const uint8_t bad[] = {99, 1, 1, 1};
    assert_int_equal(parse_bytes(bad, sizeof(bad), &o), SYNACK_ERR_MALFORMED);
}

/* Each known kind with every wrong length (0..12 plus 255) is malformed,
 * even when the buffer is long enough for the claimed length. */
static void test_options_wrong_length_every_kind(void **state)
{
    (void)state;
    static const struct {
        uint8_t kind, good;
    } kinds[] = {
        {SK_TCPOPT_MSS, 4}, {SK_TCPOPT_WSCALE, 3}, {SK_TCPOPT_SACK_PERM, 2}, {SK_TCPOPT_TS, 10}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (unsigned len = 0; len <= 40; len++) {
            uint8_t p[40];
            memset(p, 1, sizeof(p)); /* NOPs after the option */
            p[0] = kinds[k].kind;
            p[1] = (uint8_t)len;
            sk_tcp_opts o;
            int want = (len == kinds[k].good) ? 0 : SYNACK_ERR_MALFORMED;
            assert_int_equal(parse_bytes(p, sizeof(p), &o), want);
        }
    }
    /* SACK: 2 + 8n only. */
    for (unsigned len = 0; len <= 40; len++) {
        uint8_t p[40];
        memset(p, 1, sizeof(p));
        p[0] = SK_TCPOPT_SACK;
        p[1] = (uint8_t)len;
        sk_tcp_opts o;
        int want = (len >= 2 && (len - 2) % 8 == 0) ? 0 : SYNACK_ERR_MALFORMED;
        assert_int_equal(parse_bytes(p, sizeof(p), &o), want);
        if (want == 0)
            assert_int_equal(o.nsack, (len - 2) / 8);
    }
}

/* A length running past the end, at every cut of the real SYN options; a
 * kind byte with no length byte after it. */
static void test_options_overrun_every_cut(void **state)
{
    (void)state;
    const uint8_t *opts = TCP(cap_tcp_syn) + 20; /* 02 04 05 b4 04 02 08 0a .. 01 03 03 0a */
    /* Cuts that end exactly on an option boundary parse; all others fail. */
    static const int ok_at[21] = {[0] = 1, [4] = 1, [6] = 1, [16] = 1, [17] = 1, [20] = 1};
    for (size_t len = 0; len <= 20; len++) {
        sk_tcp_opts o;
        assert_int_equal(parse_bytes(opts, len, &o), ok_at[len] ? 0 : SYNACK_ERR_MALFORMED);
    }
    const uint8_t lone[1] = {SK_TCPOPT_TS};
    sk_tcp_opts o;
    assert_int_equal(parse_bytes(lone, 1, &o), SYNACK_ERR_MALFORMED);
    const uint8_t unknown_lone[3] = {1, 1, 77};
    assert_int_equal(parse_bytes(unknown_lone, 3, &o), SYNACK_ERR_MALFORMED);
    const uint8_t unknown_over[4] = {77, 5, 0, 0};
    assert_int_equal(parse_bytes(unknown_over, 4, &o), SYNACK_ERR_MALFORMED);
}

/* At most 4 blocks are kept, even if a (non-TCP-sized) buffer holds more. */
static void test_options_sack_keeps_at_most_4(void **state)
{
    (void)state;
    uint8_t p[2 + 6 * 8];
    p[0] = SK_TCPOPT_SACK;
    p[1] = sizeof(p);
    for (unsigned i = 0; i < 12; i++) {
        uint32_t v = 1000 * (i + 1);
        p[2 + 4 * i] = (uint8_t)(v >> 24);
        p[3 + 4 * i] = (uint8_t)(v >> 16);
        p[4 + 4 * i] = (uint8_t)(v >> 8);
        p[5 + 4 * i] = (uint8_t)v;
    }
    sk_tcp_opts o;
    assert_int_equal(parse_bytes(p, sizeof(p), &o), 0);
    assert_int_equal(o.nsack, 4);
    assert_int_equal(o.sack[0].left, 1000);
    assert_int_equal(o.sack[3].right, 8000);
}

/* ---- checksum ----------------------------------------------------------- */

static void test_checksum_real_segments_verify(void **state)
{
    (void)state;
    static const struct {
        const uint8_t *f;
        size_t len;
        synack_ipv4 src, dst;
    } segs[] = {
        {cap_tcp_syn, sizeof(cap_tcp_syn), CAP_IP_B, CAP_IP_A},
        {cap_tcp_synack, sizeof(cap_tcp_synack), CAP_IP_A, CAP_IP_B},
        {cap_tcp_ack, sizeof(cap_tcp_ack), CAP_IP_B, CAP_IP_A},
        {cap_tcp_data, sizeof(cap_tcp_data), CAP_IP_B, CAP_IP_A},
        {cap_tcp_finack, sizeof(cap_tcp_finack), CAP_IP_A, CAP_IP_B},
        {cap_tcp_rstack, sizeof(cap_tcp_rstack), CAP_IP_A, CAP_IP_B},
        {cap_tcp_syn_nots, sizeof(cap_tcp_syn_nots), CAP_IP_B, CAP_IP_A},
        {cap_tcp_syn_mss_ws, sizeof(cap_tcp_syn_mss_ws), CAP_IP_B, CAP_IP_A},
        {cap_tcp_sack1, sizeof(cap_tcp_sack1), CAP_IP_B, CAP_IP_C},
        {cap_tcp_sack2, sizeof(cap_tcp_sack2), CAP_IP_B, CAP_IP_C},
        {cap_tcp_sack3, sizeof(cap_tcp_sack3), CAP_IP_B, CAP_IP_C},
    };
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        const uint8_t *seg = segs[i].f + 34;
        size_t len = segs[i].len - 34;
        assert_int_equal(sk_tcp_verify_checksum(segs[i].src, segs[i].dst, seg, len), 0);
        /* The pseudo-header binds the addresses. */
        assert_int_equal(sk_tcp_verify_checksum(segs[i].src, segs[i].dst + 1, seg, len),
                         SYNACK_ERR_CHECKSUM);
        assert_int_equal(sk_tcp_verify_checksum(segs[i].dst, segs[i].src + 256, seg, len),
                         SYNACK_ERR_CHECKSUM);
        /* One byte short: wrong length in the pseudo-header and missing data. */
        assert_int_equal(sk_tcp_verify_checksum(segs[i].src, segs[i].dst, seg, len - 1),
                         SYNACK_ERR_CHECKSUM);
    }
}

static void test_checksum_every_bit_flip_detected(void **state)
{
    (void)state;
    size_t len = TCP_LEN(cap_tcp_data);
    for (size_t byte = 0; byte < len; byte++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t seg[64];
            memcpy(seg, TCP(cap_tcp_data), len);
            seg[byte] ^= (uint8_t)(1u << bit);
            assert_int_equal(sk_tcp_verify_checksum(CAP_IP_B, CAP_IP_A, seg, len),
                             SYNACK_ERR_CHECKSUM);
        }
    }
}

static void test_set_checksum_matches_linux(void **state)
{
    (void)state;
    uint8_t seg[64];
    size_t len = TCP_LEN(cap_tcp_data); /* 38: odd-sized payload */
    memcpy(seg, TCP(cap_tcp_data), len);
    seg[16] = 0x12;
    seg[17] = 0x34;
    sk_tcp_set_checksum(CAP_IP_B, CAP_IP_A, seg, len);
    assert_memory_equal(seg, TCP(cap_tcp_data), len);
    /* Too short to hold a checksum field: left alone. */
    uint8_t tiny[10] = {0};
    sk_tcp_set_checksum(CAP_IP_B, CAP_IP_A, tiny, sizeof(tiny));
    for (size_t i = 0; i < sizeof(tiny); i++)
        assert_int_equal(tiny[i], 0);
}

/* ---- options emit: Linux's layout --------------------------------------- */

static void test_emit_options_linux_syn(void **state)
{
    (void)state;
    sk_tcp_opts o = {.has_mss = true,
                     .mss = 1460,
                     .sack_permitted = true,
                     .has_ts = true,
                     .tsval = 0xfe8ff90bu,
                     .tsecr = 0,
                     .has_wscale = true,
                     .wscale = 10};
    uint8_t buf[40];
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, true), 20);
    assert_memory_equal(buf, TCP(cap_tcp_syn) + 20, 20);
    /* The same with WS 7, as the task's reference layout spells it. */
    o.wscale = 7;
    o.tsval = 0x01020304u;
    o.tsecr = 0x05060708u;
    const uint8_t want[20] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 1,    2,
                              3,    4,    5,    6,    7,    8,    0x01, 0x03, 0x03, 0x07};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, true), 20);
    assert_memory_equal(buf, want, 20);
}

static void test_emit_options_linux_synack(void **state)
{
    (void)state;
    sk_tcp_opts o = parse_opts_of(TCP(cap_tcp_synack), TCP_LEN(cap_tcp_synack));
    uint8_t buf[40];
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, true), 20);
    assert_memory_equal(buf, TCP(cap_tcp_synack) + 20, 20);
}

static void test_emit_options_syn_partial_sets(void **state)
{
    (void)state;
    uint8_t buf[40];
    /* MSS, SACK-perm, WS, no TS: Linux with tcp_timestamps=0. */
    sk_tcp_opts o = {
        .has_mss = true, .mss = 1460, .sack_permitted = true, .has_wscale = true, .wscale = 10};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, true), 12);
    assert_memory_equal(buf, TCP(cap_tcp_syn_nots) + 20, 12);
    /* MSS and WS only: Linux with tcp_timestamps=0 and tcp_sack=0. */
    o.sack_permitted = false;
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, true), 8);
    assert_memory_equal(buf, TCP(cap_tcp_syn_mss_ws) + 20, 8);
    /* MSS and SACK-perm only. */
    sk_tcp_opts m = {.has_mss = true, .mss = 1460, .sack_permitted = true};
    const uint8_t want_ms[8] = {0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &m, true), 8);
    assert_memory_equal(buf, want_ms, 8);
    /* MSS and TS without SACK: NOP,NOP,TS. */
    sk_tcp_opts t = {.has_mss = true, .mss = 536, .has_ts = true, .tsval = 9, .tsecr = 0};
    const uint8_t want_mt[16] = {0x02, 0x04, 0x02, 0x18, 0x01, 0x01, 0x08, 0x0a,
                                 0,    0,    0,    9,    0,    0,    0,    0};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &t, true), 16);
    assert_memory_equal(buf, want_mt, 16);
    /* MSS only. */
    sk_tcp_opts mo = {.has_mss = true, .mss = 1460};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &mo, true), 4);
    assert_memory_equal(buf, want_ms, 4);
    /* Nothing at all. */
    sk_tcp_opts none = {0};
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &none, true), 0);
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &none, false), 0);
}

static void test_emit_options_linux_data_segment(void **state)
{
    (void)state;
    sk_tcp_opts o = {.has_ts = true, .tsval = 0xfe8ff90bu, .tsecr = 0x8ca53976u};
    uint8_t buf[40];
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, false), 12);
    assert_memory_equal(buf, TCP(cap_tcp_data) + 20, 12);
}

static void test_emit_options_linux_sack(void **state)
{
    (void)state;
    const uint8_t *frames[3] = {cap_tcp_sack1, cap_tcp_sack2, cap_tcp_sack3};
    const size_t lens[3] = {sizeof(cap_tcp_sack1), sizeof(cap_tcp_sack2), sizeof(cap_tcp_sack3)};
    for (size_t i = 0; i < 3; i++) {
        sk_tcp_opts o = parse_opts_of(frames[i] + 34, lens[i] - 34);
        uint8_t buf[40];
        size_t want = 12 + 4 + 8 * (i + 1);
        assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, false), want);
        assert_memory_equal(buf, frames[i] + 34 + 20, want);
    }
}

/* 4 SACK blocks fit without timestamps; with them only the first 3 do. */
static void test_emit_options_sack_fit(void **state)
{
    (void)state;
    sk_tcp_opts o = {.nsack = 4};
    for (unsigned i = 0; i < 4; i++) {
        o.sack[i].left = 100 * i + 1;
        o.sack[i].right = 100 * i + 51;
    }
    uint8_t buf[40];
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, false), 36);
    const uint8_t head[4] = {1, 1, 5, 34};
    assert_memory_equal(buf, head, 4);
    sk_tcp_opts back;
    assert_int_equal(sk_tcp_parse_options(buf, 36, &back), 0);
    assert_int_equal(back.nsack, 4);
    assert_int_equal(back.sack[3].left, 301);

    o.has_ts = true;
    o.tsval = 1;
    o.tsecr = 2;
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, false), 40);
    assert_int_equal(sk_tcp_parse_options(buf, 40, &back), 0);
    assert_int_equal(back.nsack, 3);
    assert_int_equal(back.sack[0].left, 1);
    assert_int_equal(back.sack[2].right, 251);
    assert_true(back.has_ts);

    o.nsack = 200; /* nonsense count: clamped, never read past sack[3] */
    o.has_ts = false;
    assert_int_equal(sk_tcp_emit_options(buf, sizeof(buf), &o, false), 36);
}

/* syn selects which options may appear. */
static void test_emit_options_syn_selects(void **state)
{
    (void)state;
    sk_tcp_opts o = {.has_mss = true,
                     .mss = 1460,
                     .sack_permitted = true,
                     .has_wscale = true,
                     .wscale = 7,
                     .has_ts = true,
                     .tsval = 5,
                     .tsecr = 6,
                     .nsack = 1,
                     .sack = {{10, 20}}};
    uint8_t buf[40];
    sk_tcp_opts back;
    size_t n = sk_tcp_emit_options(buf, sizeof(buf), &o, false);
    assert_int_equal(n, 24); /* TS + one SACK block */
    assert_int_equal(sk_tcp_parse_options(buf, n, &back), 0);
    assert_false(back.has_mss || back.has_wscale || back.sack_permitted);
    assert_true(back.has_ts);
    assert_int_equal(back.nsack, 1);
    n = sk_tcp_emit_options(buf, sizeof(buf), &o, true);
    assert_int_equal(n, 20);
    assert_int_equal(sk_tcp_parse_options(buf, n, &back), 0);
    assert_true(back.has_mss && back.has_wscale && back.sack_permitted && back.has_ts);
    assert_int_equal(back.nsack, 0);
}

static void test_emit_options_small_cap_returns_zero(void **state)
{
    (void)state;
    sk_tcp_opts o = {
        .has_mss = true, .mss = 1460, .sack_permitted = true, .has_ts = true, .has_wscale = true};
    uint8_t buf[40];
    memset(buf, 0xee, sizeof(buf));
    for (size_t cap = 0; cap < 20; cap++)
        assert_int_equal(sk_tcp_emit_options(buf, cap, &o, true), 0);
    assert_int_equal(buf[0], 0xee);
    sk_tcp_opts s = {.has_ts = true, .nsack = 3};
    for (size_t cap = 0; cap < 40; cap++)
        assert_int_equal(sk_tcp_emit_options(buf, cap, &s, false), 0);
    assert_int_equal(buf[0], 0xee);
}

/* ---- header emit -------------------------------------------------------- */

/* The whole SYN Linux sent, rebuilt: header, options, checksum. */
static void test_emit_reproduces_real_syn(void **state)
{
    (void)state;
    sk_tcp_opts o = {.has_mss = true,
                     .mss = 1460,
                     .sack_permitted = true,
                     .has_ts = true,
                     .tsval = 0xfe8ff90bu,
                     .has_wscale = true,
                     .wscale = 10};
    uint8_t opts[40];
    size_t olen = sk_tcp_emit_options(opts, sizeof(opts), &o, true);
    sk_tcp_hdr h = {.sport = 50276,
                    .dport = 5555,
                    .seq = 0x9d865ef5u,
                    .ack = 0,
                    .flags = SK_TCP_SYN,
                    .win = 64240,
                    .hlen = 7,      /* ignored */
                    .csum = 0xbeef, /* ignored */
                    .urg = 0};
    uint8_t seg[60];
    assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &h, opts, olen), 40);
    assert_int_equal(seg[16], 0);
    assert_int_equal(seg[17], 0);
    sk_tcp_set_checksum(CAP_IP_B, CAP_IP_A, seg, 40);
    assert_memory_equal(seg, TCP(cap_tcp_syn), 40);
}

static void test_emit_reproduces_real_rst_and_data(void **state)
{
    (void)state;
    sk_tcp_hdr r = {.sport = 5556,
                    .dport = 41508,
                    .seq = 0,
                    .ack = 0x07f890e4u,
                    .flags = SK_TCP_RST | SK_TCP_ACK,
                    .win = 0};
    uint8_t seg[64];
    assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &r, NULL, 0), 20);
    sk_tcp_set_checksum(CAP_IP_A, CAP_IP_B, seg, 20);
    assert_memory_equal(seg, TCP(cap_tcp_rstack), 20);

    /* Options already in place at seg + 20 (the emit may overlap them). */
    sk_tcp_opts o = {.has_ts = true, .tsval = 0xfe8ff90bu, .tsecr = 0x8ca53976u};
    size_t olen = sk_tcp_emit_options(seg + 20, sizeof(seg) - 20, &o, false);
    sk_tcp_hdr d = {.sport = 50276,
                    .dport = 5555,
                    .seq = 0x9d865ef6u,
                    .ack = 0x4e6adda4u,
                    .flags = SK_TCP_PSH | SK_TCP_ACK,
                    .win = 63};
    assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &d, seg + 20, olen), 32);
    memcpy(seg + 32, "hello\n", 6);
    sk_tcp_set_checksum(CAP_IP_B, CAP_IP_A, seg, 38);
    assert_memory_equal(seg, TCP(cap_tcp_data), 38);
}

static void test_emit_rejects_bad_sizes(void **state)
{
    (void)state;
    sk_tcp_hdr h = {.sport = 1, .dport = 2, .flags = SK_TCP_ACK};
    uint8_t opts[44] = {0};
    uint8_t seg[80];
    memset(seg, 0xee, sizeof(seg));
    for (size_t cap = 0; cap < 20; cap++)
        assert_int_equal(sk_tcp_emit(seg, cap, &h, NULL, 0), 0);
    for (size_t cap = 0; cap < 32; cap++)
        assert_int_equal(sk_tcp_emit(seg, cap, &h, opts, 12), 0);
    for (size_t olen = 1; olen < 44; olen++)
        if (olen % 4 != 0)
            assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &h, opts, olen), 0);
    assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &h, opts, 44), 0);
    assert_int_equal(seg[0], 0xee);
    assert_int_equal(sk_tcp_emit(seg, sizeof(seg), &h, opts, 40), 60);
    assert_int_equal(seg[12], 0xf0);
}

static void test_emit_parse_round_trip(void **state)
{
    (void)state;
    sk_tcp_opts o = {.has_ts = true,
                     .tsval = 0xffffffffu,
                     .tsecr = 0x80000000u,
                     .nsack = 2,
                     .sack = {{0xfffffff0u, 0x10}, {0x20, 0x30}}};
    uint8_t opts[40];
    size_t olen = sk_tcp_emit_options(opts, sizeof(opts), &o, false);
    sk_tcp_hdr in = {.sport = 65535,
                     .dport = 1,
                     .seq = 0xffffffffu,
                     .ack = 0x12345678u,
                     .flags = 0xff,
                     .win = 0xffff,
                     .urg = 0xabcd};
    uint8_t seg[60];
    size_t n = sk_tcp_emit(seg, sizeof(seg), &in, opts, olen);
    assert_int_equal(n, 20 + olen);
    sk_tcp_hdr out;
    assert_int_equal(sk_tcp_parse(seg, n, &out), 0);
    assert_int_equal(out.sport, in.sport);
    assert_int_equal(out.dport, in.dport);
    assert_int_equal(out.seq, in.seq);
    assert_int_equal(out.ack, in.ack);
    assert_int_equal(out.flags, in.flags);
    assert_int_equal(out.win, in.win);
    assert_int_equal(out.urg, in.urg);
    assert_int_equal(out.hlen, n);
    sk_tcp_opts back;
    assert_int_equal(sk_tcp_parse_options(out.opts, out.opts_len, &back), 0);
    assert_true(back.has_ts);
    assert_int_equal(back.tsval, o.tsval);
    assert_int_equal(back.tsecr, o.tsecr);
    assert_int_equal(back.nsack, 2);
    assert_int_equal(back.sack[0].left, 0xfffffff0u);
    assert_int_equal(back.sack[1].right, 0x30);
}

/* ---- flags -------------------------------------------------------------- */

static void test_flags_str(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN, buf, sizeof(buf)), "SYN");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN | SK_TCP_ACK, buf, sizeof(buf)), "SYN,ACK");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_FIN | SK_TCP_ACK, buf, sizeof(buf)), "FIN,ACK");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_RST, buf, sizeof(buf)), "RST");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_RST | SK_TCP_ACK, buf, sizeof(buf)), "RST,ACK");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_PSH | SK_TCP_ACK, buf, sizeof(buf)), "PSH,ACK");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_FIN | SK_TCP_PSH | SK_TCP_ACK, buf, sizeof(buf)),
                        "FIN,PSH,ACK");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN | SK_TCP_ECE | SK_TCP_CWR, buf, sizeof(buf)),
                        "SYN,ECE,CWR");
    assert_string_equal(sk_tcp_flags_str(0, buf, sizeof(buf)), "none");
    assert_string_equal(sk_tcp_flags_str(0xff, buf, sizeof(buf)),
                        "FIN,SYN,RST,PSH,ACK,URG,ECE,CWR");
    assert_int_equal(strlen(buf), 31);
}

static void test_flags_str_small_buffers(void **state)
{
    (void)state;
    char buf[32];
    memset(buf, 'x', sizeof(buf));
    assert_ptr_equal(sk_tcp_flags_str(SK_TCP_SYN, buf, 0), buf);
    assert_int_equal(buf[0], 'x');
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN, buf, 1), "");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN | SK_TCP_ACK, buf, 4), "SYN");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN | SK_TCP_ACK, buf, 7), "SYN");
    assert_string_equal(sk_tcp_flags_str(SK_TCP_SYN | SK_TCP_ACK, buf, 8), "SYN,ACK");
    assert_string_equal(sk_tcp_flags_str(0, buf, 3), "no");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_real_syn_header),
        cmocka_unit_test(test_parse_real_rst_and_data_headers),
        cmocka_unit_test(test_parse_truncated_every_length),
        cmocka_unit_test(test_parse_data_offset_below_5_malformed),
        cmocka_unit_test(test_parse_ignores_reserved_bits),
        cmocka_unit_test(test_options_real_syn),
        cmocka_unit_test(test_options_real_synack),
        cmocka_unit_test(test_options_real_syn_without_timestamps),
        cmocka_unit_test(test_options_real_data_and_ack),
        cmocka_unit_test(test_options_real_sack_blocks),
        cmocka_unit_test(test_options_empty_and_padding),
        cmocka_unit_test(test_options_eol_stops),
        cmocka_unit_test(test_options_unknown_kinds_skipped),
        cmocka_unit_test(test_options_wrong_length_every_kind),
        cmocka_unit_test(test_options_overrun_every_cut),
        cmocka_unit_test(test_options_sack_keeps_at_most_4),
        cmocka_unit_test(test_checksum_real_segments_verify),
        cmocka_unit_test(test_checksum_every_bit_flip_detected),
        cmocka_unit_test(test_set_checksum_matches_linux),
        cmocka_unit_test(test_emit_options_linux_syn),
        cmocka_unit_test(test_emit_options_linux_synack),
        cmocka_unit_test(test_emit_options_syn_partial_sets),
        cmocka_unit_test(test_emit_options_linux_data_segment),
        cmocka_unit_test(test_emit_options_linux_sack),
        cmocka_unit_test(test_emit_options_sack_fit),
        cmocka_unit_test(test_emit_options_syn_selects),
        cmocka_unit_test(test_emit_options_small_cap_returns_zero),
        cmocka_unit_test(test_emit_reproduces_real_syn),
        cmocka_unit_test(test_emit_reproduces_real_rst_and_data),
        cmocka_unit_test(test_emit_rejects_bad_sizes),
        cmocka_unit_test(test_emit_parse_round_trip),
        cmocka_unit_test(test_flags_str),
        cmocka_unit_test(test_flags_str_small_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
