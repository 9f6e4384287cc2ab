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
