/* The synack command-line program: shared declarations. Each subcommand
 * lives in its own cmd_<name>.c and is listed once in main.c's table. */
#ifndef SYNACK_CLI_H
#define SYNACK_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Exit statuses: 0 success, 1 runtime failure, 2 usage error (bad
 * command or argument), 77 unsupported here (e.g. missing privilege). */
#define CLI_EXIT_OK      0
#define CLI_EXIT_FAILURE 1
#define CLI_EXIT_USAGE   2

typedef struct cli_cmd {
    const char *name;
    const char *summary;               /* one line for `synack --help` */
    const char *usage;                 /* full usage text for `synack CMD --help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} cli_cmd;

/* Prints "synack CMD: <message>" and the command's usage to stderr;
 * returns CLI_EXIT_USAGE, so callers can `return cli_usage_error(...)`. */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parsers for option values; each returns 0, or -1 after printing nothing
 * (the caller reports with cli_usage_error). */
int cli_parse_u64(const char *s, uint64_t *out);   /* decimal */
int cli_parse_size(const char *s, uint64_t *out);  /* 10, 64K, 5M, 1G */
int cli_parse_prob(const char *s, double *out);    /* 0..1 or 0%..100% */
int cli_parse_ms(const char *s, uint64_t *out_ns); /* milliseconds, may be fractional */

/* --ladder-format (demo, sim, serve, connect, get) and `ladder --format`:
 * @p val ("ascii", "svg" or "html"; NULL if the option had no value) into
 * *out (a ladder_format, ladder_svg.h). Returns 0, or CLI_EXIT_USAGE after
 * a message that names @p opt and the accepted values. */
int cli_parse_ladder_format(const cli_cmd *cmd, const char *opt, const char *val, int *out);

/* --ladder and its companions, for the commands that draw each
 * connection's ladder as it closes (sim, serve, connect, get). */
typedef struct cli_ladder_opts {
    bool on;         /* --ladder, or any of the others (they imply it) */
    int format;      /* --ladder-format: a ladder_format, ascii by default */
    const char *out; /* --ladder-out FILE, NULL: stderr (ascii only) */
    uint64_t max;    /* --ladder-max N, segments drawn per connection, 0: all */
} cli_ladder_opts;

#define CLI_LADDER_MAX_DEFAULT 40

#define CLI_LADDER_USAGE                                                                           \
    "  --ladder            draw each connection's ladder when it closes, as text\n"                \
    "                      on stderr\n"                                                            \
    "  --ladder-format F   ascii (default), svg or html; implies --ladder. svg\n"                  \
    "                      and html need --ladder-out: svg writes a file per\n"                    \
    "                      connection (FILE, then FILE-2.svg, FILE-3.svg...),\n"                   \
    "                      html one page with a connection picker, at exit\n"                      \
    "  --ladder-out FILE   write the ladders to FILE instead of stderr (never\n"                   \
    "                      standard output); implies --ladder\n"                                   \
    "  --ladder-max N      segments drawn per connection: the first N/2 and the\n"                 \
    "                      last N-N/2, the middle elided on a marked line\n"                       \
    "                      (default 40; 0 draws all)\n"

void cli_ladder_opts_default(cli_ladder_opts *o);

/* Takes argv[*i] if it is one of the ladder options ("--opt VALUE", which
 * advances *i, or "--opt=VALUE"): returns 1 (taken), 0 (not one of them),
 * or CLI_EXIT_USAGE after printing the problem. */
int cli_parse_ladder_opt(cli_ladder_opts *o, const cli_cmd *cmd, int argc, char **argv, int *i);

/* Checks the ladder options together (a picture needs --ladder-out);
 * 0 or CLI_EXIT_USAGE after printing. */
int cli_check_ladder_opts(const cli_ladder_opts *o, const cli_cmd *cmd);

/* Subcommands (cmd_<name>.c): the entry point and the usage text. */
int cmd_ping(int argc, char **argv);
extern const char cmd_ping_usage[];
int cmd_demo(int argc, char **argv);
extern const char cmd_demo_usage[];
int cmd_ladder(int argc, char **argv); /* built with libpcap only (SYNACK_HAVE_LIBPCAP) */
extern const char cmd_ladder_usage[];
int cmd_sim(int argc, char **argv);
extern const char cmd_sim_usage[];
int cmd_serve(int argc, char **argv);
extern const char cmd_serve_usage[];
int cmd_connect(int argc, char **argv);
extern const char cmd_connect_usage[];
int cmd_get(int argc, char **argv);
extern const char cmd_get_usage[];

/* Whether stdout is a terminal (colour, progress bars). */
bool cli_stdout_is_tty(void);

#endif
