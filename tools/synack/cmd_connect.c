/* synack connect: like nc, over a stack on a TUN/TAP device. stdin goes to
 * the connection and the connection to stdout; when stdin ends we shut
 * down our side (a half-close: the peer's data still arrives) and we exit
 * once both directions are done and the close has run its course. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "netloop.h"

const char cmd_connect_usage[] =
    "usage: synack connect HOST PORT [OPTIONS]\n"
    "\n"
    "Runs a stack on a TUN (or TAP) device and opens a TCP connection to\n"
    "HOST:PORT (an IPv4 address) from it, like nc: stdin is sent, what\n"
    "arrives is written to stdout. When stdin ends, our side is shut down\n"
    "(FIN) and what the peer still sends is read until it closes too.\n"
    "\n"
    "  --source-port P     local port (default: an ephemeral one)\n"
    "  --timeout MS        give up if the connection is not set up in time\n"
    "                      (default: the stack's SYN timeout, 75 s)\n"
    "\n" NL_COMMON_USAGE "\n"
    "Exit status: 0 when both sides closed cleanly, 1 if the connection\n"
    "failed (refused, reset, timed out), 2 for bad arguments, 77 when the\n"
    "device cannot be created here (no privilege).\n";

static const cli_cmd connect_cmd = {"connect", NULL, cmd_connect_usage, NULL};

#define IO_BUF       65536
#define LINGER_NS    (5 * 1000000000ull) /* for our FIN's ACK at the end */
#define INTERRUPT_NS (3 * 1000000000ull)

typedef struct connect_opts {
    nl_opts nl;
    synack_ipv4 host;
    uint64_t port, sport;
    uint64_t timeout_ns;
} connect_opts;

typedef struct connect_run {
    const connect_opts *o;
    netloop nl;
    synack_tcp *tcp;
    struct pollfd fds[2]; /* stdin, stdout */
    uint8_t in[IO_BUF];   /* from stdin, not yet accepted by the connection */
    size_t in_off, in_len;
    uint8_t out[IO_BUF]; /* from the connection, not yet written to stdout */
    size_t out_off, out_len;
    bool connected, stdin_eof, fin_sent, peer_eof, interrupted;
    uint64_t started, deadline; /* deadline: 0 = none */
    int status;
} connect_run;

static int parse_args(int argc, char **argv, connect_opts *o)
{
    memset(o, 0, sizeof(*o));
    nl_opts_default(&o->nl);
    nl_cursor c = {.argc = argc, .argv = argv};
    int npos = 0;
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        int rv = nl_parse_common(&o->nl, &connect_cmd, &c);
        if (rv == 1)
            continue;
        if (rv)
            return rv;
        bool ok;
        if (nl_take(&c, "--source-port", NULL)) {
            ok =
                c.val && cli_parse_u64(c.val, &o->sport) == 0 && o->sport >= 1 && o->sport <= 65535;
        } else if (nl_take(&c, "--timeout", NULL)) {
            ok = c.val && cli_parse_ms(c.val, &o->timeout_ns) == 0 && o->timeout_ns > 0;
        } else if (arg[0] == '-' && arg[1] != 0) {
            return cli_usage_error(&connect_cmd, "unknown option '%s'", arg);
        } else if (npos == 0) {
            npos++;
            if (synack_ipv4_parse(arg, &o->host) < 0 || o->host == 0)
                return cli_usage_error(
                    &connect_cmd, "bad HOST '%s' (an IPv4 address; names are not looked up)", arg);
            continue;
        } else if (npos == 1) {
            npos++;
            if (cli_parse_u64(arg, &o->port) < 0 || o->port < 1 || o->port > 65535)
                return cli_usage_error(&connect_cmd, "bad PORT '%s'", arg);
            continue;
        } else {
            return cli_usage_error(&connect_cmd, "unexpected argument '%s'", arg);
        }
        if (!c.val)
            return cli_usage_error(&connect_cmd, "option %s needs a value", c.name);
        if (!ok)
            return cli_usage_error(&connect_cmd, "bad value '%s' for %s", c.val, c.name);
    }
    if (npos < 2)
        return cli_usage_error(&connect_cmd, "HOST and PORT are required");
    if (o->host == o->nl.addr)
        return cli_usage_error(&connect_cmd, "HOST is the stack's own address");
    return nl_check_common(&o->nl, &connect_cmd);
}

static int fail(connect_run *r, const char *what)
{
    char ep[24];
    fprintf(stderr, "synack connect: %s%s%s\n", what, r->o ? " " : "",
            nl_endpoint(r->o->host, (uint16_t)r->o->port, ep));
    r->status = CLI_EXIT_FAILURE;
    return 1;
}

/* stdin -> connection. */
static void pump_stdin(connect_run *r, uint64_t now)
{
    for (;;) {
        while (r->in_off < r->in_len) {
            ssize_t n = synack_tcp_send(r->tcp, r->in + r->in_off, r->in_len - r->in_off, now);
            if (n <= 0)
                return;
            r->in_off += (size_t)n;
        }
        r->in_off = r->in_len = 0;
        if (r->stdin_eof || !(r->fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            break;
        r->fds[0].revents = 0; /* one read per wake-up: it may not be non-blocking */
        ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));
        if (n > 0) {
            r->in_len = (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        if (n < 0)
            fprintf(stderr, "synack connect: reading stdin: %s\n", strerror(errno));
        r->stdin_eof = true;
    }
    if (r->stdin_eof && r->in_len == 0 && !r->fin_sent) {
        r->fin_sent = true;
        synack_tcp_shutdown(r->tcp, now); /* RFC 9293 3.10.4: half-close */
    }
}

/* connection -> stdout. Returns false if stdout failed. */
static bool pump_stdout(connect_run *r, uint64_t now)
{
    for (;;) {
        while (r->out_off < r->out_len) {
            ssize_t n = write(STDOUT_FILENO, r->out + r->out_off, r->out_len - r->out_off);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                return true;
            if (n < 0) {
                fprintf(stderr, "synack connect: writing stdout: %s\n", strerror(errno));
                return false;
            }
            r->out_off += (size_t)n;
        }
        r->out_off = r->out_len = 0;
        if (r->peer_eof)
            return true;
        ssize_t n = synack_tcp_recv(r->tcp, r->out, sizeof(r->out), now);
        if (n > 0)
            r->out_len = (size_t)n;
        else if (n == 0)
            r->peer_eof = true;
        else
            return true;
    }
}

static void interrupt(connect_run *r, uint64_t now)
{
    r->interrupted = true;
    r->stdin_eof = true;
    r->in_len = r->in_off = 0;
    if (!r->fin_sent && r->connected) {
        r->fin_sent = true;
        synack_tcp_shutdown(r->tcp, now);
    }
    r->deadline = now + INTERRUPT_NS;
}

static int connect_hook(void *user, uint64_t now)
{
    connect_run *r = user;
    unsigned sigs = nl_signals();
    if (sigs >= 2 || (sigs == 1 && !r->connected))
        return 1;
    if (sigs == 1 && !r->interrupted)
        interrupt(r, now);
    int err = synack_tcp_error(r->tcp);
    if (err) {
        pump_stdout(r, now); /* what arrived before a reset is still the peer's */
        if (err == SYNACK_ERR_REFUSED)
            return fail(r, "connection refused by");
        if (err == SYNACK_ERR_RESET)
            return fail(r, "connection reset by");
        if (err == SYNACK_ERR_TIMEDOUT)
            return fail(r, "connection timed out:");
        return fail(r, synack_strerror(err));
    }
    if (!r->connected) {
        if (!(synack_tcp_events(r->tcp) & SYNACK_TCP_EV_CONNECTED)) {
            if (r->o->timeout_ns && now - r->started >= r->o->timeout_ns)
                return fail(r, "connection timed out:");
            return 0;
        }
        r->connected = true;
        if (r->o->nl.verbose) {
            char ep[24];
            fprintf(stderr, "synack connect: connected to %s\n",
                    nl_endpoint(r->o->host, (uint16_t)r->o->port, ep));
        }
    }
    if (!r->interrupted)
        pump_stdin(r, now);
    if (!pump_stdout(r, now)) {
        synack_tcp_abort(r->tcp, now);
        r->tcp = NULL;
        r->status = CLI_EXIT_FAILURE;
        return 1;
    }
    bool both_done = r->fin_sent && r->peer_eof && r->out_len == 0;
    if (both_done && nl_conn_done(r->tcp))
        return 1;
    if (both_done && !r->deadline)
        r->deadline = now + LINGER_NS;
    if (r->deadline && now >= r->deadline) {
        if (r->interrupted || !both_done)
            return 1;
        fprintf(stderr, "synack connect: the peer did not acknowledge our FIN\n");
        return 1;
    }
    r->nl.loop.wake_at = r->deadline;
    r->fds[0].fd = r->stdin_eof || r->interrupted || r->in_len ? -1 : STDIN_FILENO;
    r->fds[0].events = POLLIN;
    r->fds[1].fd = r->out_len ? STDOUT_FILENO : -1;
    r->fds[1].events = POLLOUT;
    return 0;
}

int cmd_connect(int argc, char **argv)
{
    connect_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;
    connect_run *r = calloc(1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "synack connect: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    r->o = &o;
    rv = nl_start(&r->nl, &o.nl, "connect", NULL, r);
    if (rv) {
        free(r);
        return rv;
    }
    nl_nonblock(STDIN_FILENO);
    nl_nonblock(STDOUT_FILENO);
    r->started = synack_tun_now();
    if (o.timeout_ns)
        r->nl.loop.wake_at = r->started + o.timeout_ns;
    int err = synack_tcp_connect(r->nl.stack, o.host, (uint16_t)o.port, (uint16_t)o.sport,
                                 r->started, &r->tcp);
    if (err < 0) {
        char ep[24];
        fprintf(stderr, "synack connect: cannot connect to %s: %s\n",
                nl_endpoint(o.host, (uint16_t)o.port, ep), synack_strerror(err));
        rv = CLI_EXIT_FAILURE;
    } else {
        r->fds[0].fd = r->fds[1].fd = -1;
        rv = nl_run(&r->nl, connect_hook, r, r->fds, 2) < 0 ? CLI_EXIT_FAILURE : r->status;
    }
    if (r->tcp) {
        uint64_t now = synack_tun_now();
        if (nl_conn_done(r->tcp) || r->fin_sent)
            synack_tcp_close(r->tcp, now);
        else
            synack_tcp_abort(r->tcp, now);
    }
    int frv = nl_finish(&r->nl);
    free(r);
    return rv ? rv : frv;
}
