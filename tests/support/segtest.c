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
    if (tweak)
        tweak(&t->cfg);
    synack_callbacks cb = {0};
    cb.output = st_output;
    cb.tcp_event = on_event;
    t->now = 1000 * ST_S; /* far from zero: catches code that assumes now == 0 */
    int rv = synack_stack_new(&t->cfg, &cb, NULL, t, t->now, &t->stack);
    assert_int_equal(rv, 0);
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
