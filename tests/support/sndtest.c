#include "sndtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <string.h>

#include <cmocka.h>

void st_open_peer(st *t, st_conn *k, const st_peer *p)
{
    memset(k, 0, sizeof(*k));
    k->port = ST_PORT;
    k->peer_port = ST_PEER_PORT;
    k->irs = ST_PEER_ISN;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &k->l), 0);
    sk_tcp_opts o = {0};
    o.has_mss = p->mss != 0;
    o.mss = p->mss;
    o.sack_permitted = p->sack;
    o.has_ts = p->ts;
    o.tsval = ST_PEER_TS;
    assert_int_equal(st_inject(t, k->peer_port, k->port, F_SYN, k->irs, 0, ST_WIN, &o, NULL, 0), 0);
    st_seg sa;
    assert_true(st_next(t, &sa));
    assert_int_equal(sa.flags, F_SYN | F_ACK);
    assert_int_equal(sa.ack, k->irs + 1);
    assert_int_equal(sa.opts.sack_permitted, p->sack);
    assert_int_equal(sa.opts.has_ts, p->ts);
    k->iss = sa.seq;
    st_advance(t, p->rtt);
    assert_int_equal(
        st_ack_full(t, k, k->iss + 1, p->win ? p->win : ST_WIN, 0, NULL, p->ts ? sa.opts.tsval : 0),
        0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(k->l, &k->c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(k->c), SYNACK_TCP_ESTABLISHED);
}

void st_open_after_syn_loss(st *t, st_conn *k)
{
    st_connect(t, k);
    uint64_t sent = t->now;
    assert_int_equal(st_wait_output(t, 2 * ST_S), sent + ST_S);
    st_expect(t, F_SYN, k->iss, 0, 0, NULL);
    st_answer_syn(t, k, 1460);
}

void st_newreno(synack_config *cfg)
{
    cfg->tcp_cc = SYNACK_CC_NEWRENO;
    /* The exact windows of RFC 5681 3.2 without RFC 3042's extra segments;
     * test_tcp_fastrtx test_limited_transmit_without_sack turns it on. */
    cfg->tcp_limited_transmit = false;
    /* RFC 6675's own recovery (cwnd = ssthresh), which test_tcp_sack_recovery
     * checks rule by rule; test_tcp_sndedge test_prr turns RFC 6937 on. */
    cfg->tcp_prr = false;
}

st *st_open_written(st_conn *k, const st_peer *p, uint32_t n)
{
    st *t = st_new(st_newreno);
    st_open_peer(t, k, p);
    synack_tcp_info info = st_info(k);
    assert_int_equal(info.sack, p->sack);
    assert_int_equal(info.timestamps, p->ts);
    assert_true(n >= 10u * p->mss);
    st_write(t, k, n);
    st_expect_run(t, k, k->iss + 1, 10u * p->mss, p->mss, n == 10u * p->mss);
    st_expect_none(t);
    return t;
}

void st_write(st *t, const st_conn *k, size_t n)
{
    static uint8_t pattern[65536];
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (uint8_t)(i * 7 + 3);
    assert_true(n <= sizeof(pattern));
    assert_int_equal(synack_tcp_send(k->c, pattern, n, t->now), (ssize_t)n);
}

int st_ack_full(st *t, const st_conn *k, uint32_t ack, uint16_t win, size_t nsack,
                const uint32_t *edges, uint32_t tsecr)
{
    sk_tcp_opts o = {0};
    assert_true(nsack <= SK_TCP_MAX_SACK);
    o.nsack = (uint8_t)nsack;
    for (size_t i = 0; i < nsack; i++) {
        o.sack[i].left = edges[2 * i];
        o.sack[i].right = edges[2 * i + 1];
    }
    o.has_ts = tsecr != 0;
    o.tsval = ST_PEER_TS;
    o.tsecr = tsecr;
    return st_inject(t, k->peer_port, k->port, F_ACK, k->irs + 1, ack, win,
                     (nsack || tsecr) ? &o : NULL, NULL, 0);
}

int st_ack(st *t, const st_conn *k, uint32_t ack)
{
    return st_ack_full(t, k, ack, ST_WIN, 0, NULL, 0);
}

void st_expect_run_(st *t, const st_conn *k, uint32_t seq, uint32_t len, uint32_t mss,
                    bool psh_last, const char *file, int line)
{
    for (uint32_t off = 0; off < len; off += mss) {
        uint32_t n = len - off < mss ? len - off : mss;
        bool last = off + n == len;
        uint8_t flags = (uint8_t)(F_ACK | (last && psh_last ? F_PSH : 0));
        st_expect_(t, flags, seq + off, k->irs + 1, n, NULL, file, line);
    }
}

void st_expect_timeout_(st *t, const st_conn *k, uint64_t after, uint8_t flags, uint32_t seq,
                        uint32_t len, const char *file, int line)
{
    uint64_t start = t->now;
    uint64_t when = st_wait_output(t, after + ST_S);
    if (when != start + after) {
        print_error("%s:%d: expected a segment %llu ns from now, got one at %lld ns\n", file, line,
                    (unsigned long long)after,
                    when == UINT64_MAX ? -1LL : (long long)(when - start));
        fail();
    }
    st_expect_(t, flags, seq, k->irs + 1, len, NULL, file, line);
}

synack_tcp_info st_info(const st_conn *k)
{
    synack_tcp_info info;
    assert_int_equal(synack_tcp_get_info(k->c, &info), 0);
    return info;
}
