/* The ladder's state inference from segments alone (tools/synack/
 * ladder_infer.c) and its analysis flags (ladder.c), on hand-made segment
 * sequences: each case is a textbook figure of RFC 9293 or a situation a
 * capture viewer must read right. The golden captures test the same code
 * on real traffic; these pin the rarer transitions exactly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "ladder_infer.h"

#define A   LADDER_A
#define B   LADDER_B
#define SYN LADDER_SYN
#define ACK LADDER_ACK
#define FIN LADDER_FIN
#define RST LADDER_RST
#define PSH LADDER_PSH

typedef struct script {
    ladder_seg segs[64];
    size_t n;
} script;

static void seg(script *s, ladder_side from, uint8_t flags, uint32_t seq, uint32_t ack,
                uint32_t len, uint16_t win)
{
    ladder_seg *g = &s->segs[s->n];
    memset(g, 0, sizeof(*g));
    g->from = from;
    g->sent_ns = g->arrived_ns = s->n * 1000000ull;
    g->flags = flags;
    g->seq = seq;
    g->ack = ack;
    g->len = len;
    g->win = win;
    g->sport = from == A ? 40000 : 80;
    g->dport = from == A ? 80 : 40000;
    s->n++;
}

/* Each side's states, in order, as "CLOSED SYN-SENT ...". */
static void states_of(const ladder *l, char out[2][256])
{
    size_t n;
    ladder_line *lines = ladder_lines(l, false, &n);
    assert_non_null(lines);
    for (int k = 0; k < 2; k++) {
        out[k][0] = 0;
        for (size_t i = 0; i < n; i++)
            if (lines[i].state[k]) {
                if (out[k][0])
                    strcat(out[k], " ");
                strcat(out[k], lines[i].state[k]);
            }
    }
    free(lines);
}

static void expect_states(const script *s, const char *a, const char *b, ladder_summary *sum)
{
    ladder *l = ladder_from_segments(s->segs, s->n, "a", "b", sum);
    assert_non_null(l);
    char got[2][256];
    states_of(l, got);
    assert_string_equal(got[0], a);
    assert_string_equal(got[1], b);
    ladder_free(l);
}

/* The analysis text of segment number @p segno (1-based). */
static void analysis_of(const script *s, size_t segno, char *out, size_t cap)
{
    ladder *l = ladder_from_segments(s->segs, s->n, "a", "b", NULL);
    assert_non_null(l);
    size_t n;
    ladder_line *lines = ladder_lines(l, false, &n);
    assert_non_null(lines);
    out[0] = 0;
    for (size_t i = 0; i < n; i++)
        if (lines[i].segno == segno)
            snprintf(out, cap, "%s", lines[i].analysis);
    free(lines);
    ladder_free(l);
}

static void handshake(script *s, uint32_t x, uint32_t y)
{
    seg(s, A, SYN, x, 0, 0, 65535);
    seg(s, B, SYN | ACK, y, x + 1, 0, 65535);
    seg(s, A, ACK, x + 1, y + 1, 0, 65535);
}

/* RFC 9293 Figure 7 and 12: the three-way handshake, then the normal
 * close: the closer passes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; the other
 * CLOSE-WAIT, LAST-ACK, CLOSED. */
static void test_textbook_connection(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    seg(&s, A, FIN | ACK, 101, 301, 0, 65535);
    seg(&s, B, ACK, 301, 102, 0, 65535);
    seg(&s, B, FIN | ACK, 301, 102, 0, 65535);
    seg(&s, A, ACK, 102, 302, 0, 65535);
    ladder_summary sum;
    expect_states(&s, "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT",
                  "LISTEN SYN-RCVD ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED", &sum);
    assert_int_equal(sum.end, LADDER_END_CLOSED);
    assert_int_equal(sum.by, A);
}

/* RFC 9293 3.10.7.4, FIN-WAIT-1: "if our FIN has been ACKed (perhaps in
 * this segment), then enter TIME-WAIT": one FIN,ACK takes it there. */
static void test_fin_wait_1_straight_to_time_wait(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    seg(&s, A, FIN | ACK, 101, 301, 0, 65535);
    seg(&s, B, FIN | ACK, 301, 102, 0, 65535);
    seg(&s, A, ACK, 102, 302, 0, 65535);
    expect_states(&s, "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 TIME-WAIT",
                  "LISTEN SYN-RCVD ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED", NULL);
}

/* RFC 9293 Figure 13: the FINs cross; each side's FIN does not
 * acknowledge the other's: both pass CLOSING, then TIME-WAIT. */
static void test_simultaneous_close(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    seg(&s, A, FIN | ACK, 101, 301, 0, 65535);
    seg(&s, B, FIN | ACK, 301, 101, 0, 65535);
    seg(&s, A, ACK, 102, 302, 0, 65535);
    seg(&s, B, ACK, 302, 102, 0, 65535);
    ladder_summary sum;
    expect_states(&s, "CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 CLOSING TIME-WAIT",
                  "LISTEN SYN-RCVD ESTABLISHED FIN-WAIT-1 CLOSING TIME-WAIT", &sum);
    assert_int_equal(sum.end, LADDER_END_CLOSED);
}

/* RFC 9293 Figure 8: the SYNs cross; both go SYN-SENT, SYN-RCVD,
 * ESTABLISHED, and the SYN,ACKs are not retransmissions. */
static void test_simultaneous_open(void **state)
{
    (void)state;
    script s = {0};
    seg(&s, A, SYN, 100, 0, 0, 65535);
    seg(&s, B, SYN, 300, 0, 0, 65535);
    seg(&s, A, SYN | ACK, 100, 301, 0, 65535);
    seg(&s, B, SYN | ACK, 300, 101, 0, 65535);
    expect_states(&s, "CLOSED SYN-SENT SYN-RCVD ESTABLISHED",
                  "CLOSED SYN-SENT SYN-RCVD ESTABLISHED", NULL);
    char an[64];
    analysis_of(&s, 3, an, sizeof(an));
    assert_string_equal(an, "");
    analysis_of(&s, 4, an, sizeof(an));
    assert_string_equal(an, "");
}

/* A SYN to a port where nothing listens: RST,ACK (RFC 9293 3.10.7.1);
 * the opener is CLOSED again, the other side never left CLOSED. */
static void test_refused(void **state)
{
    (void)state;
    script s = {0};
    seg(&s, A, SYN, 100, 0, 0, 65535);
    seg(&s, B, RST | ACK, 0, 101, 0, 0);
    ladder_summary sum;
    expect_states(&s, "CLOSED SYN-SENT CLOSED", "CLOSED", &sum);
    assert_int_equal(sum.end, LADDER_END_REFUSED);
    assert_int_equal(sum.by, B);
}

/* RFC 9293 3.10.7.3, SYN-SENT: a RST whose ACK does not acknowledge our
 * SYN is dropped: the opener stays in SYN-SENT. */
static void test_rst_with_bad_ack_in_syn_sent_ignored(void **state)
{
    (void)state;
    script s = {0};
    seg(&s, A, SYN, 100, 0, 0, 65535);
    seg(&s, B, RST | ACK, 0, 555, 0, 0);
    expect_states(&s, "CLOSED SYN-SENT", "CLOSED", NULL);
}

/* An abort after the handshake: both sides CLOSED on the RST. */
static void test_reset(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    seg(&s, A, RST | ACK, 101, 301, 0, 0);
    ladder_summary sum;
    expect_states(&s, "CLOSED SYN-SENT ESTABLISHED CLOSED", "LISTEN SYN-RCVD ESTABLISHED CLOSED",
                  &sum);
    assert_int_equal(sum.end, LADDER_END_RESET);
    assert_int_equal(sum.by, A);
}

/* A capture that starts mid-connection: unknown ("?") until a FIN tells;
 * a retransmitted FIN changes nothing. */
static void test_mid_connection(void **state)
{
    (void)state;
    script s = {0};
    seg(&s, A, PSH | ACK, 5000, 9000, 10, 100);
    seg(&s, B, ACK, 9000, 5010, 0, 100);
    seg(&s, B, FIN | ACK, 9000, 5010, 0, 100);
    seg(&s, B, FIN | ACK, 9000, 5010, 0, 100);
    seg(&s, A, ACK, 5010, 9001, 0, 100);
    ladder_summary sum;
    expect_states(&s, "? CLOSE-WAIT", "? FIN-WAIT-1 FIN-WAIT-2", &sum);
    assert_int_equal(sum.end, LADDER_END_HALF_CLOSED);
    char an[64];
    analysis_of(&s, 4, an, sizeof(an));
    assert_string_equal(an, "retransmission");
}

/* Retransmission, out-of-order, duplicate ACKs (numbered per Ack, as
 * Wireshark does), zero window and window update. */
static void test_analysis_flags(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    seg(&s, A, ACK, 101, 301, 100, 65535); /* 4: [101, 201) */
    seg(&s, A, ACK, 301, 301, 100, 65535); /* 5: [301, 401): a hole before it */
    seg(&s, A, ACK, 201, 301, 100, 65535); /* 6: fills the hole: out-of-order */
    seg(&s, A, ACK, 101, 301, 100, 65535); /* 7: sent before: retransmission */
    seg(&s, B, ACK, 301, 201, 0, 65535);   /* 8 */
    seg(&s, B, ACK, 301, 201, 0, 65535);   /* 9: dup #1 */
    seg(&s, B, ACK, 301, 201, 0, 65535);   /* 10: dup #2 */
    seg(&s, B, ACK, 301, 401, 0, 0);       /* 11: zero window */
    seg(&s, B, ACK, 301, 401, 0, 4096);    /* 12: window update */
    static const char *const want[] = {
        [4] = "",
        [5] = "",
        [6] = "out-of-order",
        [7] = "retransmission",
        [8] = "",
        [9] = "dup ACK #1",
        [10] = "dup ACK #2",
        [11] = "zero window",
        [12] = "window update",
    };
    for (size_t k = 4; k <= 12; k++) {
        char an[64];
        analysis_of(&s, k, an, sizeof(an));
        assert_string_equal(an, want[k]);
    }
}

/* Sequence numbers wrap modulo 2^32 (RFC 9293 3.4): relative numbers
 * count across the wrap, and a retransmission across it is one. */
static void test_wraparound(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 0xfffffff0u, 7);
    seg(&s, A, PSH | ACK, 0xfffffff1u, 8, 100, 65535); /* [-15, 85) */
    seg(&s, A, PSH | ACK, 0xfffffff1u, 8, 100, 65535);
    ladder *l = ladder_from_segments(s.segs, s.n, "a", "b", NULL);
    assert_non_null(l);
    size_t n;
    ladder_line *lines = ladder_lines(l, false, &n);
    assert_non_null(lines);
    const ladder_line *data = NULL, *again = NULL;
    for (size_t i = 0; i < n; i++) {
        if (lines[i].segno == 4)
            data = &lines[i];
        if (lines[i].segno == 5)
            again = &lines[i];
    }
    assert_non_null(data);
    assert_non_null(again);
    assert_string_equal(data->label, "PSH,ACK Seq=1 Ack=1 Len=100");
    assert_string_equal(again->analysis, "retransmission");
    free(lines);
    ladder_free(l);
}

/* RFC 7323 2.2: the window is scaled once both SYNs carried the option,
 * never on a SYN; the label shows what the sender means. */
static void test_window_scaling_shown_scaled(void **state)
{
    (void)state;
    script s = {0};
    handshake(&s, 100, 300);
    s.segs[0].opts = s.segs[1].opts = LADDER_OPT_WS;
    s.segs[0].wscale = 7;
    s.segs[1].wscale = 2;
    s.segs[2].win = 512; /* A's: 512 << 7 */
    ladder *l = ladder_from_segments(s.segs, s.n, "a", "b", NULL);
    assert_non_null(l);
    size_t n;
    ladder_line *lines = ladder_lines(l, false, &n);
    assert_non_null(lines);
    for (size_t i = 0; i < n; i++) {
        if (lines[i].segno == 1)
            assert_string_equal(lines[i].label, "SYN Seq=0 Win=65535 <WS=7>");
        if (lines[i].segno == 3)
            assert_string_equal(lines[i].label, "ACK Seq=1 Ack=1 Win=65536");
    }
    free(lines);
    ladder_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbook_connection),
        cmocka_unit_test(test_fin_wait_1_straight_to_time_wait),
        cmocka_unit_test(test_simultaneous_close),
        cmocka_unit_test(test_simultaneous_open),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_rst_with_bad_ack_in_syn_sent_ignored),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_mid_connection),
        cmocka_unit_test(test_analysis_flags),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_window_scaling_shown_scaled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
