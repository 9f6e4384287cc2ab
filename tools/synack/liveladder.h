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
 * becomes a connection of the stack) is drawn at once.
 *
 * The ladders are text (as `synack demo` draws them), SVG pictures (one
 * file per connection) or one HTML page with a connection picker (the
 * page `synack ladder --format html` writes). */
#ifndef SYNACK_TOOLS_LIVELADDER_H
#define SYNACK_TOOLS_LIVELADDER_H

#include <stdio.h>

#include "ladder.h"
#include "ladder_svg.h"
#include "synack/synack.h"

#define LIVE_LADDER_MAX_CONNS 256
#define LIVE_LADDER_MAX_SEGS  200000
#define LIVE_LADDER_MAX_PAGE  1000 /* connections on one HTML page; later ones are counted */

typedef struct live_ladder live_ladder;

typedef struct live_ladder_opts {
    const char *cmd;      /* "serve", for messages on stderr */
    ladder_format format; /* ascii, svg or html */
    /* Where the ladders go. ascii: @p path if given, else @p stream, each
     * connection's ladder when it closes. svg (needs @p path): one file per
     * connection, the first to @p path, the n-th (n >= 2) to @p path with
     * "-n" before its extension (ladder.svg, ladder-2.svg...). html (needs
     * @p path): one page with a connection picker, written at the end. */
    const char *path;
    FILE *stream;
    ladder_style style; /* absolute, time and max apply to every format */
    size_t max_conns;   /* connections followed at once; 0: LIVE_LADDER_MAX_CONNS */
} live_ladder_opts;

/** A sink drawing as @p o says (copied; @p o->path is not). The file is
 *  created at once, so that a path that cannot be written is known before
 *  anything runs. NULL with errno set (ENOMEM, or fopen's). */
live_ladder *live_ladder_new(synack_link_type link, const live_ladder_opts *o);

/** The trace sink (synack_trace_fn); @p user is the live_ladder. */
void live_ladder_trace(void *user, const synack_trace_event *ev);

/** Draws every connection not drawn yet (at exit), writes the page (html),
 *  then frees. NULL is fine. @return 0, or -1 after a message on stderr
 *  if a ladder could not be drawn or written. */
int live_ladder_finish(live_ladder *ll);

#endif
