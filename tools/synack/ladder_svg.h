/* The ladder drawn as a picture: an SVG (one connection) that looks good in
 * a document, and a self-contained HTML page (several connections, a
 * picker, details of every segment on hover or click, a zoomable time
 * axis, relative or absolute numbers). Both draw the lines ladder_lines()
 * gives, so the text and the pictures always agree. */
#ifndef SYNACK_TOOLS_LADDER_SVG_H
#define SYNACK_TOOLS_LADDER_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "ladder.h"

typedef struct ladder_svg_opts {
    bool absolute; /* raw sequence numbers */
    bool time;     /* times in the left margin */
    size_t max;    /* as ladder_style.max */
} ladder_svg_opts;

typedef struct ladder_doc_item {
    ladder *lad;
    char title[256];
} ladder_doc_item;

/** An SVG document of @p l under @p title. NULL if out of memory. */
char *ladder_render_svg(const ladder *l, const char *title, const ladder_svg_opts *o);

/** A self-contained HTML page with the @p n ladders. NULL if out of memory. */
char *ladder_render_html(const ladder_doc_item *items, size_t n, const ladder_svg_opts *o);

#endif
