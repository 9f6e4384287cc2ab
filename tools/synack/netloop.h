/* What the commands that talk to the kernel (serve, connect, get) share:
 * the device and address options, a stack on a TUN/TAP device, the loop,
 * signals, --pcap, --stats and --verbose. */
#ifndef SYNACK_NETLOOP_H
#define SYNACK_NETLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "synack/synack.h"
#include "synack/tun.h"

/* The option text every such command prints in its usage. */
#define NL_COMMON_USAGE                                                                            \
    "Link options:\n"                                                                              \
    "  --tun NAME          run on TUN device NAME, IP only (default synack0)\n"                    \
    "  --tap NAME          run on TAP device NAME instead, Ethernet + ARP\n"                       \
    "  --addr A/LEN        the stack's own address (default 10.7.0.2/24)\n"                        \
    "  --peer-addr A/LEN   assign A/LEN to the kernel's side of the device and\n"                  \
    "                      bring it up; omit for a device you set up yourself\n"                   \
    "  --mtu N             device and stack MTU, 576..9000 (default: the\n"                        \
    "                      device's, 1500 for a new one)\n"                                        \
    "  --pcap FILE         capture every frame the stack receives and sends\n"                     \
    "  --stats             print the stack's and the device's counters at exit\n" CLI_LADDER_USAGE \
    "  -v, --verbose       print each connection's state changes\n"                                \
    "\n"                                                                                           \
    "Creating a device needs root (CAP_NET_ADMIN). SIGINT or SIGTERM closes\n"                     \
    "connections cleanly and exits; a second one exits at once.\n"

/* Command-line cursor: "--name VALUE", "--name=VALUE" and short aliases. */
typedef struct nl_cursor {
    int argc, i;
    char **argv;
    const char *name; /* the option matched, for messages */
    const char *val;  /* its value, NULL if missing */
} nl_cursor;

/* An option with a value: true if argv[i] is it (val NULL if missing). */
bool nl_take(nl_cursor *c, const char *lng, const char *shrt);
/* An option without a value. */
bool nl_flag(nl_cursor *c, const char *lng, const char *shrt);

typedef struct nl_opts {
    char dev[SYNACK_TUN_NAME_MAX + 1];
    synack_link_type link;
    synack_ipv4 addr;
    uint8_t prefix_len;
    synack_ipv4 peer;
    uint8_t peer_prefix_len;
    uint16_t mtu;
    const char *pcap_path;
    bool stats, verbose;
    cli_ladder_opts ladder;
} nl_opts;

void nl_opts_default(nl_opts *o);

/* Parses argv[c->i] if it is one of the link options: returns 1 (taken),
 * 0 (not one of them), or CLI_EXIT_USAGE after printing the problem. */
int nl_parse_common(nl_opts *o, const cli_cmd *cmd, nl_cursor *c);

/* Checks the options together; 0 or CLI_EXIT_USAGE after printing. */
int nl_check_common(const nl_opts *o, const cli_cmd *cmd);

typedef struct netloop {
    const nl_opts *o;
    const char *cmd; /* "serve", for messages */
    synack_tun *tun;
    synack_stack *stack;
    synack_pcap *pcap;
    synack_tun_loop loop; /* the hook may set loop.wake_at */
    synack_tcp_event_fn on_event;
    void *user;
    struct live_ladder *ladder; /* --ladder */
} netloop;

/* Opens the device, creates the stack on it (events go to on_event with
 * user) and the capture. Returns 0, or an exit status after printing why
 * (77 when the device cannot be created for lack of privilege or
 * support, so that scripts can tell "cannot run here" from "failed"). */
int nl_start(netloop *nl, const nl_opts *o, const char *cmd, synack_tcp_event_fn on_event,
             void *user);

/* Runs the loop with SIGINT/SIGTERM caught (see nl_signals) until the hook
 * returns non-zero. Returns the hook's value, or -1 after printing an error. */
int nl_run(netloop *nl, synack_tun_hook_fn hook, void *user, struct pollfd *fds, size_t nfds);

/* SIGINT/SIGTERM received since nl_run started. */
unsigned nl_signals(void);

/* Prints --stats, closes the capture, frees the stack and the device.
 * Returns 0, or CLI_EXIT_FAILURE if the capture could not be written. */
int nl_finish(netloop *nl);

/* "10.7.0.1:80" into buf (at least 22 bytes). */
const char *nl_endpoint(synack_ipv4 addr, uint16_t port, char *buf);

/* Whether a connection has finished with us: CLOSED, or TIME-WAIT (which
 * the stack keeps on its own after the handle is closed). */
bool nl_conn_done(const synack_tcp *c);

/* Makes a pipe or socket non-blocking (not a terminal or a file, whose
 * description the shell shares); restored by nl_restore_fd. */
void nl_nonblock(int fd);
void nl_restore_fds(void);

#endif
