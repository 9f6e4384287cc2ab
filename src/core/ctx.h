/* The per-stack context every layer shares: allocator, counters, trace
 * sinks, the output callback, the current time and the PRNG. It lives in
 * core so that net/ and tcp/ can reach it without including upward. */
#ifndef SK_CORE_CTX_H
#define SK_CORE_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/stack.h"
#include "prng.h"

typedef struct sk_trace_sink {
    synack_trace_fn fn;
    void *user_data;
} sk_trace_sink;

typedef struct sk_ctx {
    synack_mem mem;
    synack_stats stats;
    synack_link_type link;
    uint64_t now; /* the `now` of the entry point being run */
    sk_prng prng;
    synack_callbacks cb;
    void *user_data;
    sk_trace_sink sinks[SYNACK_TRACE_SINKS_MAX];
    unsigned nsinks;
    /* The frame being processed by synack_stack_input, so that a drop deep
     * in a layer can be traced with the whole frame. NULL outside input. */
    const uint8_t *in_frame;
    size_t in_len;
} sk_ctx;

void *sk_malloc(sk_ctx *ctx, size_t size);
void *sk_calloc(sk_ctx *ctx, size_t nmemb, size_t size);
void sk_free(sk_ctx *ctx, void *ptr);

/* Reports a frame event to every sink. */
void sk_trace_frame(sk_ctx *ctx, synack_trace_kind kind, const uint8_t *frame, size_t len,
                    const char *reason);

/* Reports an arbitrary event (TCP state changes) to every sink; `now` is filled in. */
void sk_trace_event(sk_ctx *ctx, synack_trace_event *ev);

/* Counts a drop of the frame being input and traces it; returns err so that
 * a caller can write `return SK_DROP(ctx, ip_drop_checksum, SYNACK_ERR_CHECKSUM);` */
int sk_drop(sk_ctx *ctx, uint64_t *counter, const char *name, int err);
#define SK_DROP(ctx, field, err) sk_drop((ctx), &(ctx)->stats.field, #field, (err))

/* Traces and hands a finished frame to the output callback; counts it. */
int sk_output(sk_ctx *ctx, const uint8_t *frame, size_t len);

#endif
