#include "ladder_svg.h"

const bool ladder_svg_available = false;

char *ladder_render_svg(const ladder *l, const char *title, const ladder_svg_opts *o)
{
    (void)l;
    (void)title;
    (void)o;
    return NULL;
}

char *ladder_render_html(const ladder_doc_item *items, size_t n, const ladder_svg_opts *o)
{
    (void)items;
    (void)n;
    (void)o;
    return NULL;
}
