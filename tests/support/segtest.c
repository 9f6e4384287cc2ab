#include "segtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire/checksum.h"
#include "wire/ipv4.h"

static void on_event(void *user, synack_tcp *conn, uint32_t events)
{
    st *t = user;
    if (t->nev < 64) {
        t->ev_conn[t->nev] = conn;
        t->ev_bits[t->nev] = events;
        t->nev++;
    }
}

static void on_trace(void *user, const synack_trace_event *ev)
{
    st *t = user;
    if (ev->kind != SYNACK_TRACE_TCP_STATE || t->nstates >= ST_MAX_STATE_EVS)
        return;
    st_state_ev *e = &t->states[t->nstates++];
    e->conn_id = ev->conn_id;
    e->old_state = ev->old_state;
    e->new_state = ev->new_state;
    e->now = ev->now;
}

static int st_output(void *user, const uint8_t *frame, size_t len, uint64_t now)
{
    st *t = user;
    return tcap_output(t->cap, frame, len, now);
}

st *st_new(void (*tweak)(synack_config *cfg))
{
    st *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->cap = tcap_new();
    assert_non_null(t->cap);
    synack_config_default(&t->cfg);
    t->cfg.link = SYNACK_LINK_IP;
    t->cfg.addr = ST_LOCAL;
    t->cfg.prefix_len = 24;
    t->cfg.seed = 42;
    /* Segment scripts expect every segment ACKed at once unless they test
     * delayed ACKs (test_tcp_delack.c turns them back on). */
    t->cfg.tcp_delack_ns = 0;
    if (tweak)
        tweak(&t->cfg);
    synack_callbacks cb = {0};
    cb.output = st_output;
    cb.tcp_event = on_event;
    t->now = 1000 * ST_S; /* far from zero: catches code that assumes now == 0 */
    countalloc_init(&t->alloc);
    int rv = synack_stack_new(&t->cfg, &cb, &t->alloc.mem, t, t->now, &t->stack);
    assert_int_equal(rv, 0);
    assert_int_equal(synack_stack_add_trace(t->stack, on_trace, t), 0);
    return t;
}

void st_free(st *t)
{
    synack_stack_del(t->stack);
    tcap_free(t->cap);
    free(t);
}

int st_inject(st *t, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
              uint16_t win, const sk_tcp_opts *opts, const void *data, size_t len)
{
    uint8_t frame[2048 + 120];
    uint8_t *seg = frame + SK_IPV4_HLEN;
    uint8_t optbuf[40];
    size_t optlen = 0;
    if (opts)
        optlen = sk_tcp_emit_options(optbuf, sizeof(optbuf), opts, (flags & SK_TCP_SYN) != 0);
    sk_tcp_hdr h = {0};
    h.sport = sport;
    h.dport = dport;
    h.seq = seq;
    h.ack = ack;
    h.flags = flags;
    h.win = win;
    size_t hlen = sk_tcp_emit(seg, sizeof(frame) - SK_IPV4_HLEN, &h, optbuf, optlen);
    assert_true(hlen >= 20);
    assert_true(len <= 2048);
    if (len)
        memcpy(seg + hlen, data, len);
    sk_tcp_set_checksum(ST_REMOTE, ST_LOCAL, seg, hlen + len);
    sk_ipv4_hdr ip = {0};
    ip.total_len = (uint16_t)(SK_IPV4_HLEN + hlen + len);
    ip.id = 1;
    ip.frag = SK_IPV4_FLAG_DF;
    ip.ttl = 64;
    ip.proto = SK_IPPROTO_TCP;
    ip.src = ST_REMOTE;
    ip.dst = ST_LOCAL;
    sk_ipv4_emit(frame, sizeof(frame), &ip);
    return synack_stack_input(t->stack, frame, ip.total_len, t->now);
}

bool st_next(st *t, st_seg *out)
{
    if (t->next_out >= t->cap->count)
        return false;
    const uint8_t *f = t->cap->f[t->next_out].data;
    size_t flen = t->cap->f[t->next_out].len;
    uint64_t when = t->cap->f[t->next_out].now;
    t->next_out++;
    sk_ipv4_hdr ip;
    assert_int_equal(sk_ipv4_parse(f, flen, &ip), 0);
    assert_int_equal(ip.proto, SK_IPPROTO_TCP);
    assert_int_equal(ip.src, ST_LOCAL);
    assert_int_equal(ip.dst, ST_REMOTE);
    const uint8_t *seg = f + ip.hlen;
    size_t slen = ip.total_len - ip.hlen;
    assert_int_equal(sk_tcp_verify_checksum(ip.src, ip.dst, seg, slen), 0);
    sk_tcp_hdr h;
    assert_int_equal(sk_tcp_parse(seg, slen, &h), 0);
    memset(out, 0, sizeof(*out));
    assert_int_equal(sk_tcp_parse_options(h.opts, h.opts_len, &out->opts), 0);
    out->flags = h.flags;
    out->seq = h.seq;
    out->ack = h.ack;
    out->win = h.win;
    out->sport = h.sport;
    out->dport = h.dport;
    out->len = slen - h.hlen;
    assert_true(out->len <= sizeof(out->data));
    memcpy(out->data, seg + h.hlen, out->len);
    out->when = when;
    return true;
}

void st_expect_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, size_t len, st_seg *out,
                const char *file, int line)
{
    st_seg s;
    if (!st_next(t, &s)) {
        print_error("%s:%d: expected a segment, none was sent\n", file, line);
        fail();
    }
    char want[40], got[40];
    sk_tcp_flags_str(flags, want, sizeof(want));
    sk_tcp_flags_str(s.flags, got, sizeof(got));
    if (s.flags != flags || s.seq != seq || ((flags & SK_TCP_ACK) && s.ack != ack) ||
        s.len != len) {
        print_error("%s:%d: expected [%s] seq=%u ack=%u len=%zu\n"
                    "%*s got [%s] seq=%u ack=%u len=%zu\n",
                    file, line, want, seq, ack, len, (int)strlen(file) + 8, "", got, s.seq, s.ack,
                    s.len);
        fail();
    }
    if (out)
        *out = s;
}

void st_expect_none_(st *t, const char *file, int line)
{
    st_seg s;
    if (st_next(t, &s)) {
        char got[40];
        sk_tcp_flags_str(s.flags, got, sizeof(got));
        print_error("%s:%d: expected nothing, got [%s] seq=%u ack=%u len=%zu\n", file, line, got,
                    s.seq, s.ack, s.len);
        fail();
    }
}

uint64_t st_run_next_timer(st *t)
{
    uint64_t when = synack_stack_next_timeout(t->stack);
    if (when == UINT64_MAX)
        return when;
    if (when > t->now)
        t->now = when;
    synack_stack_handle_timeout(t->stack, t->now);
    return when;
}

void st_advance(st *t, uint64_t ns)
{
    uint64_t end = t->now + ns;
    for (;;) {
        uint64_t when = synack_stack_next_timeout(t->stack);
        if (when > end)
            break;
        if (when > t->now)
            t->now = when;
        synack_stack_handle_timeout(t->stack, t->now);
    }
    t->now = end;
}

uint64_t st_stat(st *t, const char *name)
{
    const synack_stats *s = synack_stack_stats(t->stack);
    for (size_t i = 0; i < synack_stats_count(); i++)
        if (strcmp(synack_stats_name(i), name) == 0)
            return synack_stats_value(s, i);
    print_error("no counter named %s\n", name);
    fail();
    return 0;
}

void st_expect_w_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, size_t len,
                  st_seg *out, const char *file, int line)
{
    st_seg s;
    st_expect_(t, flags, seq, ack, len, &s, file, line);
    if (s.win != win) {
        print_error("%s:%d: expected window %u, got %u\n", file, line, win, s.win);
        fail();
    }
    if (out)
        *out = s;
}

void st_expect_at_(st *t, uint8_t flags, uint32_t seq, uint32_t ack, size_t len, uint64_t when,
                   const char *file, int line)
{
    st_seg s;
    st_expect_(t, flags, seq, ack, len, &s, file, line);
    if (s.when != when) {
        print_error("%s:%d: expected the segment at %llu ns, it was sent at %llu ns (%+lld ns)\n",
                    file, line, (unsigned long long)when, (unsigned long long)s.when,
                    (long long)(s.when - when));
        fail();
    }
}

uint64_t st_wait_output(st *t, uint64_t limit_ns)
{
    uint64_t end = t->now + limit_ns;
    size_t before = t->cap->count;
    for (;;) {
        uint64_t when = synack_stack_next_timeout(t->stack);
        if (when == UINT64_MAX || when > end)
            break;
        if (when > t->now)
            t->now = when;
        synack_stack_handle_timeout(t->stack, t->now);
        if (t->cap->count > before)
            return t->now;
    }
    t->now = end;
    return UINT64_MAX;
}

void st_drain(st *t)
{
    tcap_clear(t->cap);
    t->next_out = 0;
}

void st_expect_states_(st *t, uint32_t conn_id, const synack_tcp_state *want, size_t n,
                       const char *file, int line)
{
    size_t got = 1;
    synack_tcp_state prev = want[0];
    bool ok = n >= 1;
    for (size_t i = 0; ok && i < t->nstates; i++) {
        const st_state_ev *e = &t->states[i];
        if (e->conn_id != conn_id)
            continue;
        if (e->old_state != prev || got >= n || e->new_state != want[got])
            ok = false;
        prev = e->new_state;
        got++;
    }
    if (ok && got == n)
        return;
    print_error("%s:%d: state changes of connection %u:\n  expected:", file, line, conn_id);
    for (size_t i = 0; i < n; i++)
        print_error(" %s", synack_tcp_state_name(want[i]));
    print_error("\n  traced:  ");
    for (size_t i = 0; i < t->nstates; i++)
        if (t->states[i].conn_id == conn_id)
            print_error(" %s->%s", synack_tcp_state_name(t->states[i].old_state),
                        synack_tcp_state_name(t->states[i].new_state));
    print_error("\n");
    fail();
}

uint32_t st_events(st *t, const synack_tcp *conn)
{
    uint32_t bits = 0;
    for (size_t i = 0; i < t->nev; i++)
        if (t->ev_conn[i] == conn)
            bits |= t->ev_bits[i];
    return bits;
}

int st_in_w(st *t, const st_conn *k, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
            const void *data, size_t len)
{
    return st_inject(t, k->peer_port, k->port, flags, seq, ack, win, NULL, data, len);
}

int st_in(st *t, const st_conn *k, uint8_t flags, uint32_t seq, uint32_t ack, const void *data,
          size_t len)
{
    return st_in_w(t, k, flags, seq, ack, ST_WIN, data, len);
}

static const sk_tcp_opts *mss_opt(sk_tcp_opts *o, uint16_t mss)
{
    memset(o, 0, sizeof(*o));
    if (!mss)
        return NULL;
    o->has_mss = true;
    o->mss = mss;
    return o;
}

void st_passive_open_opts(st *t, st_conn *k, const sk_tcp_opts *syn, st_seg *synack)
{
    memset(k, 0, sizeof(*k));
    k->port = ST_PORT;
    k->peer_port = ST_PEER_PORT;
    k->irs = ST_PEER_ISN;
    assert_int_equal(synack_tcp_listen(t->stack, 0, ST_PORT, 8, t->now, &k->l), 0);
    assert_int_equal(st_inject(t, k->peer_port, k->port, F_SYN, k->irs, 0, ST_WIN, syn, NULL, 0),
                     0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN | F_ACK);
    assert_int_equal(s.ack, k->irs + 1);
    k->iss = s.seq;
    /* RFC 7323 3.2: once agreed, timestamps ride on every segment. */
    sk_tcp_opts ts = {0};
    bool has_ts = syn && syn->has_ts && s.opts.has_ts;
    if (has_ts) {
        ts.has_ts = true;
        ts.tsval = syn->tsval;
        ts.tsecr = s.opts.tsval;
    }
    assert_int_equal(st_inject(t, k->peer_port, k->port, F_ACK, k->irs + 1, k->iss + 1, ST_WIN,
                               has_ts ? &ts : NULL, NULL, 0),
                     0);
    st_expect_none(t);
    assert_int_equal(synack_tcp_accept(k->l, &k->c, t->now), 0);
    assert_int_equal(synack_tcp_get_state(k->c), SYNACK_TCP_ESTABLISHED);
    if (synack)
        *synack = s;
}

void st_passive_open(st *t, st_conn *k, uint16_t mss)
{
    sk_tcp_opts o;
    st_passive_open_opts(t, k, mss_opt(&o, mss), NULL);
}

void st_connect(st *t, st_conn *k)
{
    memset(k, 0, sizeof(*k));
    k->peer_port = ST_PORT;
    k->irs = ST_PEER_ISN;
    assert_int_equal(synack_tcp_connect(t->stack, ST_REMOTE, ST_PORT, 0, t->now, &k->c), 0);
    st_seg s;
    assert_true(st_next(t, &s));
    assert_int_equal(s.flags, F_SYN);
    k->iss = s.seq;
    k->port = s.sport;
}

void st_active_open(st *t, st_conn *k, uint16_t mss)
{
    st_connect(t, k);
    st_answer_syn(t, k, mss);
}

void st_answer_syn(st *t, const st_conn *k, uint16_t mss)
{
    sk_tcp_opts o;
    assert_int_equal(st_inject(t, k->peer_port, k->port, F_SYN | F_ACK, k->irs, k->iss + 1, ST_WIN,
                               mss_opt(&o, mss), NULL, 0),
                     0);
    st_expect(t, F_ACK, k->iss + 1, k->irs + 1, 0, NULL);
    st_expect_none(t);
    assert_int_equal(synack_tcp_get_state(k->c), SYNACK_TCP_ESTABLISHED);
}
