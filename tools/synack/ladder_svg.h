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

/* The same page built one connection at a time, for commands that draw
 * connections as they close: each ladder is drawn when it is added and
 * only its drawing is kept, so the ladder itself can be freed at once. */
typedef struct ladder_page ladder_page;

/** An empty page drawn with @p o (copied). NULL if out of memory. */
ladder_page *ladder_page_new(const ladder_svg_opts *o);
void ladder_page_free(ladder_page *p);

/** Draws @p l under @p title as the page's next connection.
 *  @return 0, or -1 if out of memory (the page is unchanged). */
int ladder_page_add(ladder_page *p, const ladder *l, const char *title);

/** Connections added so far. */
size_t ladder_page_count(const ladder_page *p);

/** The whole page (malloc'ed, caller frees). NULL if out of memory. */
char *ladder_page_render(const ladder_page *p);

/* What --ladder-format (and `synack ladder --format`) accept. */
typedef enum ladder_format {
    LADDER_FORMAT_ASCII,
    LADDER_FORMAT_SVG,
    LADDER_FORMAT_HTML,
} ladder_format;

/* The accepted values, as usage and error messages list them. */
#define LADDER_FORMAT_NAMES "ascii, svg or html"

/** Parses "ascii", "svg" or "html". @return 0, or -1 for anything else. */
int ladder_format_parse(const char *s, ladder_format *out);

/** "ascii", "svg" or "html". */
const char *ladder_format_name(ladder_format f);

#endif
