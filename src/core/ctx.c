#include "ctx.h"

void *sk_malloc(sk_ctx *ctx, size_t size)
{
    return ctx->mem.malloc(size, ctx->mem.user_data);
}

void *sk_calloc(sk_ctx *ctx, size_t nmemb, size_t size)
{
    return ctx->mem.calloc(nmemb, size, ctx->mem.user_data);
}

void sk_free(sk_ctx *ctx, void *ptr)
{
    if (ptr)
        ctx->mem.free(ptr, ctx->mem.user_data);
}

void sk_trace_event(sk_ctx *ctx, synack_trace_event *ev)
{
    ev->now = ctx->now;
    for (unsigned i = 0; i < ctx->nsinks; i++)
        ctx->sinks[i].fn(ctx->sinks[i].user_data, ev);
}

void sk_trace_frame(sk_ctx *ctx, synack_trace_kind kind, const uint8_t *frame, size_t len,
                    const char *reason)
{
    if (ctx->nsinks == 0)
        return;
    synack_trace_event ev = {0};
    ev.kind = kind;
    ev.link = ctx->link;
    ev.frame = frame;
    ev.len = len;
    ev.reason = reason;
    sk_trace_event(ctx, &ev);
}

int sk_drop(sk_ctx *ctx, uint64_t *counter, const char *name, int err)
{
    (*counter)++;
    if (ctx->in_frame)
        sk_trace_frame(ctx, SYNACK_TRACE_DROP, ctx->in_frame, ctx->in_len, name);
    return err;
}

int sk_output(sk_ctx *ctx, const uint8_t *frame, size_t len)
{
    sk_trace_frame(ctx, SYNACK_TRACE_FRAME_OUT, frame, len, NULL);
    ctx->stats.frames_out++;
    int rv = ctx->cb.output(ctx->user_data, frame, len, ctx->now);
    if (rv < 0) {
        ctx->stats.output_errors++;
        return rv;
    }
    return 0;
}
