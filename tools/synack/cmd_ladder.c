/* synack ladder: any TCP capture drawn as ladder diagrams, one per
 * connection, with each side's state inferred from the segments alone
 * (ladder_infer.c) and the analysis flags of a capture viewer
 * (ladder_analyze). Reading is capread.c's (libpcap); drawing is the
 * demo's renderer, so both look the same. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capread.h"
#include "cli.h"
#include "ladder.h"
#include "ladder_infer.h"
#include "ladder_svg.h"

#define NS_PER_MS 1000000ull

const char cmd_ladder_usage[] =
    "usage: synack ladder [OPTIONS] FILE\n"
    "\n"
    "Draws the TCP connections of a capture (pcap or pcapng; Ethernet, raw IP,\n"
    "Linux cooked SLL/SLL2 or loopback; IPv4 and IPv6) as ladder diagrams: an\n"
    "arrow per segment with its flags, Seq/Ack (from each side's ISN), Len and\n"
    "window, each side's TCP state inferred from the segments alone (\"?\" until\n"
    "it can be known), and retransmissions, out-of-order segments, duplicate\n"
    "ACKs, zero windows and window updates marked.\n"
    "\n"
    "  --list                list the connections: endpoints, segments, duration,\n"
    "                        how each ended\n"
    "  --conn N              draw only connection N (as numbered by --list)\n"
    "  --port P              draw only connections with an endpoint on port P\n"
    "  --format F            ascii (default), svg or html\n"
    "  -o FILE               write to FILE instead of standard output\n"
    "  --absolute            raw sequence numbers (default: from each ISN)\n"
    "  --time                time of each line in the margin, ms from the\n"
    "                        connection's first segment\n"
    "  --max N               at most N segments per connection: the first and\n"
    "                        the last ones, the middle elided on a marked line\n"
    "  --ascii, --unicode    plain ASCII arrows or box-drawing ones (default:\n"
    "                        box-drawing on a terminal, ASCII otherwise)\n"
    "  --color, --no-color   ANSI colours (default: on a terminal only)\n"
    "\n"
    "Exit status: 0 if something was drawn or listed, 1 if the file cannot be\n"
    "read or holds no TCP connection, 2 for bad arguments.\n";

static const cli_cmd ladder_cmd = {"ladder", NULL, cmd_ladder_usage, NULL};

typedef struct ladder_opts {
    const char *path, *out_path;
    bool list, absolute, time;
    uint64_t conn, port, max; /* 0: not given */
    int format;               /* ladder_format */
    int color, unicode;       /* -1: decide by the terminal */
} ladder_opts;

static int parse_args(int argc, char **argv, ladder_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->color = o->unicode = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rv;
        const char *val = NULL;
        const char *name = a;
        if (strcmp(a, "--list") == 0) {
            o->list = true;
            continue;
        }
        if (strcmp(a, "--absolute") == 0) {
            o->absolute = true;
            continue;
        }
        if (strcmp(a, "--time") == 0) {
            o->time = true;
            continue;
        }
        if (strcmp(a, "--ascii") == 0 || strcmp(a, "--unicode") == 0) {
            o->unicode = a[2] == 'u';
            continue;
        }
        if (strcmp(a, "--color") == 0 || strcmp(a, "--colour") == 0) {
            o->color = 1;
            continue;
        }
        if (strcmp(a, "--no-color") == 0 || strcmp(a, "--no-colour") == 0) {
            o->color = 0;
            continue;
        }
        static const char *const valued[] = {"--conn", "--port", "--format", "--max", "-o"};
        bool is_valued = false;
        for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
            size_t n = strlen(valued[k]);
            if (strcmp(a, valued[k]) == 0) {
                if (i + 1 >= argc)
                    return cli_usage_error(&ladder_cmd, "option %s needs a value", a);
                val = argv[++i];
            } else if (strncmp(a, valued[k], n) == 0 && a[n] == '=') {
                val = a + n + 1;
            } else {
                continue;
            }
            name = valued[k];
            is_valued = true;
            break;
        }
        if (!is_valued) {
            if (a[0] == '-' && a[1])
                return cli_usage_error(&ladder_cmd, "unknown option '%s'", a);
            if (o->path)
                return cli_usage_error(&ladder_cmd, "unexpected argument '%s'", a);
            o->path = a;
            continue;
        }
        bool ok = true;
        if (strcmp(name, "--conn") == 0)
            ok = cli_parse_u64(val, &o->conn) == 0 && o->conn > 0;
        else if (strcmp(name, "--port") == 0)
            ok = cli_parse_u64(val, &o->port) == 0 && o->port > 0 && o->port <= 65535;
        else if (strcmp(name, "--max") == 0)
            ok = cli_parse_u64(val, &o->max) == 0 && o->max > 0;
        else if (strcmp(name, "-o") == 0)
            ok = *(o->out_path = val) != 0;
        else if ((rv = cli_parse_ladder_format(&ladder_cmd, name, val, &o->format)))
            return rv;
        if (!ok)
            return cli_usage_error(&ladder_cmd, "bad value '%s' for %s", val, name);
    }
    if (!o->path)
        return cli_usage_error(&ladder_cmd, "which capture file?");
    bool tty = !o->out_path && cli_stdout_is_tty();
    if (o->color < 0)
        o->color = tty && o->format == LADDER_FORMAT_ASCII;
    if (o->unicode < 0)
        o->unicode = tty;
    return 0;
}

static bool selected(const ladder_opts *o, const cap_conn *c, size_t idx)
{
    if (o->conn && idx + 1 != o->conn)
        return false;
    if (o->port && c->ep[0].port != o->port && c->ep[1].port != o->port)
        return false;
    return true;
}

static void format_duration(uint64_t ns, char *buf, size_t cap)
{
    snprintf(buf, cap, "%llu.%03llu s", (unsigned long long)(ns / 1000000000ull),
             (unsigned long long)(ns % 1000000000ull / NS_PER_MS));
}

static const char *const side_names[2] = {"client", "server"};

/* The ladder of one connection, times from its first segment. */
static ladder *conn_ladder(const cap_conn *c, ladder_summary *sum)
{
    char a[64], b[64];
    cap_endpoint_str(&c->ep[0], a, sizeof(a));
    cap_endpoint_str(&c->ep[1], b, sizeof(b));
    ladder_seg *segs = malloc((c->n ? c->n : 1) * sizeof(*segs));
    if (!segs)
        return NULL;
    uint64_t t0 = c->n ? c->segs[0].sent_ns : 0;
    for (size_t i = 0; i < c->n; i++) {
        segs[i] = c->segs[i];
        segs[i].sent_ns -= t0;
    }
    ladder *l = ladder_from_segments(segs, c->n, a, b, sum);
    free(segs);
    return l;
}

static void describe(const cap_conn *c, size_t idx, const ladder_summary *sum, char *buf,
                     size_t cap)
{
    char a[64], b[64], d[32], end[96];
    cap_endpoint_str(&c->ep[0], a, sizeof(a));
    cap_endpoint_str(&c->ep[1], b, sizeof(b));
    format_duration(c->n ? c->segs[c->n - 1].sent_ns - c->segs[0].sent_ns : 0, d, sizeof(d));
    snprintf(buf, cap, "connection %zu: %s -> %s, %zu segment%s in %s, %s", idx + 1, a, b, c->n,
             c->n == 1 ? "" : "s", d, ladder_end_text(sum, side_names, end, sizeof(end)));
}

static int print_list(FILE *out, const cap_file *cf, const ladder_opts *o)
{
    fprintf(out, "%3s  %-24s %-24s %8s %10s  %s\n", "#", "client", "server", "segments", "duration",
            "end");
    for (size_t i = 0; i < cf->n; i++) {
        const cap_conn *c = &cf->conns[i];
        if (!selected(o, c, i))
            continue;
        ladder_summary sum;
        ladder *l = conn_ladder(c, &sum);
        if (!l)
            return -1;
        ladder_free(l);
        char a[64], b[64], d[32], end[96];
        cap_endpoint_str(&c->ep[0], a, sizeof(a));
        cap_endpoint_str(&c->ep[1], b, sizeof(b));
        format_duration(c->n ? c->segs[c->n - 1].sent_ns - c->segs[0].sent_ns : 0, d, sizeof(d));
        fprintf(out, "%3zu  %-24s %-24s %8zu %10s  %s\n", i + 1, a, b, c->n, d,
                ladder_end_text(&sum, side_names, end, sizeof(end)));
    }
    return 0;
}

static int draw_ascii(FILE *out, const cap_file *cf, const ladder_opts *o)
{
    ladder_style st = {
        .absolute = o->absolute,
        .time = o->time,
        .color = o->color > 0,
        .unicode = o->unicode > 0,
        .max = (size_t)o->max,
    };
    bool first = true;
    for (size_t i = 0; i < cf->n; i++) {
        const cap_conn *c = &cf->conns[i];
        if (!selected(o, c, i))
            continue;
        ladder_summary sum;
        ladder *l = conn_ladder(c, &sum);
        char *text = l ? ladder_render(l, &st) : NULL;
        ladder_free(l);
        if (!text)
            return -1;
        char head[256];
        describe(c, i, &sum, head, sizeof(head));
        fprintf(out, "%s%s\n\n%s", first ? "" : "\n", head, text);
        free(text);
        first = false;
    }
    return 0;
}

static int draw_graphic(FILE *out, const cap_file *cf, const ladder_opts *o)
{
    size_t n = 0;
    for (size_t i = 0; i < cf->n; i++)
        n += selected(o, &cf->conns[i], i);
    ladder_doc_item *items = calloc(n ? n : 1, sizeof(*items));
    if (!items)
        return -1;
    int rv = 0;
    size_t k = 0;
    for (size_t i = 0; i < cf->n && rv == 0; i++) {
        const cap_conn *c = &cf->conns[i];
        if (!selected(o, c, i))
            continue;
        ladder_summary sum;
        items[k].lad = conn_ladder(c, &sum);
        if (!items[k].lad)
            rv = -1;
        else
            describe(c, i, &sum, items[k].title, sizeof(items[k].title));
        k++;
    }
    char *doc = NULL;
    if (rv == 0) {
        ladder_svg_opts so = {.absolute = o->absolute, .time = o->time, .max = (size_t)o->max};
        doc = o->format == LADDER_FORMAT_SVG ? ladder_render_svg(items[0].lad, items[0].title, &so)
                                             : ladder_render_html(items, n, &so);
    }
    if (!doc)
        rv = -1;
    else
        fputs(doc, out);
    free(doc);
    for (size_t i = 0; i < k; i++)
        ladder_free(items[i].lad);
    free(items);
    return rv;
}

int cmd_ladder(int argc, char **argv)
{
    ladder_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;
    cap_file cf;
    char err[512];
    if (cap_read(o.path, &cf, err, sizeof(err)) < 0) {
        fprintf(stderr, "synack ladder: %s\n", err);
        return CLI_EXIT_FAILURE;
    }
    int status = CLI_EXIT_FAILURE;
    if (cf.damaged[0])
        fprintf(stderr, "synack ladder: %s: reading stopped early: %s\n", o.path, cf.damaged);
    if (cf.n == 0) {
        fprintf(stderr,
                "synack ladder: no TCP connections found in %s (%zu frame%s: %zu not TCP, %zu "
                "truncated)\n",
                o.path, cf.frames, cf.frames == 1 ? "" : "s", cf.not_tcp, cf.truncated);
        goto out;
    }
    size_t chosen = 0;
    for (size_t i = 0; i < cf.n; i++)
        chosen += selected(&o, &cf.conns[i], i);
    if (chosen == 0) {
        fprintf(stderr, "synack ladder: no connection matches (the capture has %zu; --list)\n",
                cf.n);
        goto out;
    }
    if (o.format == LADDER_FORMAT_SVG && chosen > 1 && !o.list) {
        fprintf(stderr,
                "synack ladder: an SVG holds one connection and %zu match: choose one "
                "with --conn or --port, or use --format html\n",
                chosen);
        goto out;
    }
    FILE *out = stdout;
    if (o.out_path && !(out = fopen(o.out_path, "w"))) {
        fprintf(stderr, "synack ladder: cannot write %s: %s\n", o.out_path, strerror(errno));
        goto out;
    }
    if (o.list)
        rv = print_list(out, &cf, &o);
    else if (o.format == LADDER_FORMAT_ASCII)
        rv = draw_ascii(out, &cf, &o);
    else
        rv = draw_graphic(out, &cf, &o);
    if (rv < 0)
        fprintf(stderr, "synack ladder: out of memory\n");
    bool write_failed = fflush(out) != 0 || ferror(out);
    if (out != stdout && fclose(out) != 0)
        write_failed = true;
    if (write_failed) {
        fprintf(stderr, "synack ladder: writing %s failed\n", o.out_path ? o.out_path : "output");
        rv = -1;
    }
    status = rv < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
out:
    cap_free(&cf);
    return status;
}
