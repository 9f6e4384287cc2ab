/* --ladder for the commands that run on a real device (serve, connect,
 * get): a trace sink that collects each connection's segments as the stack
 * sends and receives them, and draws the connection's ladder when the stack
 * reports it CLOSED (after TIME-WAIT, LAST-ACK, a reset or a timeout). Both
 * sides' states are inferred from the segments (ladder_infer.h), exactly as
 * `synack ladder` draws a capture, so the two always agree.
 *
 * The segments of a connection are kept in memory until it closes (48 bytes
 * each, at most LIVE_LADDER_MAX_SEGS; later ones are counted, not kept), and
 * at most LIVE_LADDER_MAX_CONNS connections at once: beyond that the oldest
 * is drawn early. A refused connection (a SYN answered by a RST, which never
 * becomes a connection of the stack) is drawn at once. */
#ifndef SYNACK_TOOLS_LIVELADDER_H
#define SYNACK_TOOLS_LIVELADDER_H

#include <stdio.h>

#include "ladder.h"
#include "synack/synack.h"

#define LIVE_LADDER_MAX_CONNS 256
#define LIVE_LADDER_MAX_SEGS  200000

typedef struct live_ladder live_ladder;

/** Draws to @p out with @p style (copied). NULL if out of memory. */
live_ladder *live_ladder_new(synack_link_type link, FILE *out, const ladder_style *style);

/** The trace sink (synack_trace_fn); @p user is the live_ladder. */
void live_ladder_trace(void *user, const synack_trace_event *ev);

/** Draws every connection not drawn yet (at exit), then frees. NULL is fine. */
void live_ladder_finish(live_ladder *ll);

#endif
