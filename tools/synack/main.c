/* synack — the command-line program. Subcommands are dispatched from one
 * table; each prints its own usage with --help. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "synack/synack.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const cli_cmd commands[] = {
    {"help", "show this help, or a command's usage", "usage: synack help [COMMAND]\n", cmd_help},
    {"version", "print the version", "usage: synack version\n", cmd_version},
    {"demo", "draw the life of one TCP connection as a ladder (virtual time)", cmd_demo_usage,
     cmd_demo},
#ifdef SYNACK_HAVE_LIBPCAP
    {"ladder", "draw the TCP connections of a capture as ladders (pcap, pcapng)", cmd_ladder_usage,
     cmd_ladder},
#endif
    {"ping", "ping between two simulated stacks (virtual time)", cmd_ping_usage, cmd_ping},
    {"sim", "bulk TCP transfers between two simulated stacks, under impairments", cmd_sim_usage,
     cmd_sim},
    {"serve", "serve echo, discard, chargen or HTTP on a TUN/TAP device", cmd_serve_usage,
     cmd_serve},
    {"connect", "connect to HOST PORT from a TUN/TAP device, like nc", cmd_connect_usage,
     cmd_connect},
    {"get", "fetch a URL over HTTP from a TUN/TAP device", cmd_get_usage, cmd_get},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *f)
{
    fprintf(f,
            "synack %s — a TCP/IP stack in user space\n\n"
            "usage: synack [--help | --version] COMMAND [ARGS...]\n\n"
            "commands:\n",
            synack_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'synack COMMAND --help' for a command's options.\n");
}

static const cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 2)
        return cli_usage_error(find_command("help"), "too many arguments");
    if (argc == 2) {
        const cli_cmd *c = find_command(argv[1]);
        if (!c) {
            fprintf(stderr, "synack help: unknown command '%s'\n\n", argv[1]);
            print_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        fputs(c->usage, stdout);
        return CLI_EXIT_OK;
    }
    print_usage(stdout);
    return CLI_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return cli_usage_error(find_command("version"), "unexpected argument '%s'", argv[1]);
    printf("synack %s\n", synack_version());
    return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
        return cmd_help(1, argv + 1);
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0)
        return cmd_version(1, argv + 1);
    const cli_cmd *c = find_command(name);
    if (!c) {
        fprintf(stderr, "synack: unknown command '%s'\n\n", name);
        print_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    /* `synack CMD --help` prints that command's usage. */
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(c->usage, stdout);
            return CLI_EXIT_OK;
        }
    }
    return c->run(argc - 1, argv + 1);
}
