/* The public stack object: owns the context, the timer wheel and the
 * layers, and is the only place that knows all of them. */
#include "synack/stack.h"

#include <string.h>

#include "core/ctx.h"
#include "core/timer.h"
#include "net/net.h"
#include "tcp/tcp.h"

#ifndef SYNACK_VERSION_STRING
#define SYNACK_VERSION_STRING "0.0.0"
#endif

struct synack_stack {
    sk_ctx ctx;
    synack_config cfg;
    sk_wheel wheel;
    sk_net *net;
    sk_tcp *tcp;
};

const char *synack_version(void)
{
    return SYNACK_VERSION_STRING;
}

int synack_stack_new(const synack_config *cfg, const synack_callbacks *cb, const synack_mem *mem,
                     void *user_data, uint64_t now, synack_stack **out)
{
    if (!out)
        return SYNACK_ERR_INVAL;
    *out = NULL;
    synack_config defaults;
    if (!cfg) {
        synack_config_default(&defaults);
        cfg = &defaults;
    }
    if (!cb || !cb->output || synack_config_check(cfg, NULL) < 0)
        return SYNACK_ERR_INVAL;
    if (!mem)
        mem = synack_mem_default();

    synack_stack *s = mem->calloc(1, sizeof(*s), mem->user_data);
    if (!s)
        return SYNACK_ERR_NOMEM;
    s->cfg = *cfg;
    s->ctx.mem = *mem;
    s->ctx.link = cfg->link;
    s->ctx.now = now;
    s->ctx.cb = *cb;
    s->ctx.user_data = user_data;
    sk_prng_seed(&s->ctx.prng, cfg->seed);
    sk_wheel_init(&s->wheel, cfg->timer_tick_ns, now);

    int rv = sk_net_new(&s->ctx, &s->cfg, &s->wheel, &s->net);
    if (rv < 0) {
        mem->free(s, mem->user_data);
        return rv;
    }
    rv = sk_tcp_new(&s->ctx, &s->cfg, &s->wheel, s->net, &s->tcp);
    if (rv < 0) {
        sk_net_del(s->net);
        mem->free(s, mem->user_data);
        return rv;
    }
    sk_net_set_tcp_input(s->net, sk_tcp_input, s->tcp);
    sk_net_set_tcp_error(s->net, sk_tcp_icmp_error, s->tcp);
    *out = s;
    return 0;
}

void synack_stack_del(synack_stack *s)
{
    if (!s)
        return;
    sk_tcp_del(s->tcp);
    sk_net_del(s->net);
    synack_mem mem = s->ctx.mem;
    mem.free(s, mem.user_data);
}

/* The caller's clock must not go backwards; if it does, we hold time still
 * rather than let timers and RTT samples see negative intervals. */
static void advance_clock(synack_stack *s, uint64_t now)
{
    if (now > s->ctx.now)
        s->ctx.now = now;
}

int synack_stack_input(synack_stack *s, const uint8_t *frame, size_t len, uint64_t now)
{
    if (!s || (!frame && len))
        return SYNACK_ERR_INVAL;
    advance_clock(s, now);
    s->ctx.stats.frames_in++;
    sk_trace_frame(&s->ctx, SYNACK_TRACE_FRAME_IN, frame, len, NULL);
    s->ctx.in_frame = frame;
    s->ctx.in_len = len;
    int rv = sk_net_input(s->net, frame, len);
    s->ctx.in_frame = NULL;
    s->ctx.in_len = 0;
    sk_tcp_flush_events(s->tcp);
    return rv;
}

uint64_t synack_stack_next_timeout(const synack_stack *s)
{
    return sk_wheel_next_expiry(&s->wheel);
}

int synack_stack_handle_timeout(synack_stack *s, uint64_t now)
{
    advance_clock(s, now);
    sk_wheel_expire(&s->wheel, s->ctx.now);
    sk_tcp_flush_events(s->tcp);
    return 0;
}

const synack_stats *synack_stack_stats(const synack_stack *s)
{
    return &s->ctx.stats;
}

const synack_config *synack_stack_config(const synack_stack *s)
{
    return &s->cfg;
}

int synack_stack_add_trace(synack_stack *s, synack_trace_fn fn, void *user_data)
{
    if (!fn)
        return SYNACK_ERR_INVAL;
    if (s->ctx.nsinks >= SYNACK_TRACE_SINKS_MAX)
        return SYNACK_ERR_LIMIT;
    s->ctx.sinks[s->ctx.nsinks].fn = fn;
    s->ctx.sinks[s->ctx.nsinks].user_data = user_data;
    s->ctx.nsinks++;
    return 0;
}

int synack_stack_remove_trace(synack_stack *s, synack_trace_fn fn, void *user_data)
{
    for (unsigned i = 0; i < s->ctx.nsinks; i++) {
        if (s->ctx.sinks[i].fn == fn && s->ctx.sinks[i].user_data == user_data) {
            memmove(&s->ctx.sinks[i], &s->ctx.sinks[i + 1],
                    (s->ctx.nsinks - i - 1) * sizeof(s->ctx.sinks[0]));
            s->ctx.nsinks--;
            return 0;
        }
    }
    return SYNACK_ERR_NOTFOUND;
}

int synack_icmp_echo_send(synack_stack *s, synack_ipv4 dst, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len, uint64_t now)
{
    if (!s || (!payload && len))
        return SYNACK_ERR_INVAL;
    advance_clock(s, now);
    return sk_net_icmp_echo_send(s->net, dst, id, seq, payload, len);
}

uint64_t synack_stack_random(synack_stack *s)
{
    return sk_prng_next(&s->ctx.prng);
}

int synack_tcp_listen(synack_stack *s, synack_ipv4 addr, uint16_t port, int backlog, uint64_t now,
                      synack_tcp **out)
{
    if (!s)
        return SYNACK_ERR_INVAL;
    advance_clock(s, now);
    int rv = sk_tcp_listen(s->tcp, addr, port, backlog, out);
    sk_tcp_flush_events(s->tcp);
    return rv;
}

int synack_tcp_connect(synack_stack *s, synack_ipv4 dst, uint16_t port, uint16_t src_port,
                       uint64_t now, synack_tcp **out)
{
    if (!s)
        return SYNACK_ERR_INVAL;
    advance_clock(s, now);
    int rv = sk_tcp_connect(s->tcp, dst, port, src_port, out);
    sk_tcp_flush_events(s->tcp);
    return rv;
}

uint32_t synack_stack_tcp_count(const synack_stack *s)
{
    return sk_tcp_count(s->tcp);
}
