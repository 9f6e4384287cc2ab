/* synack serve: a TCP server on a TUN/TAP device, for the kernel's TCP and
 * everyday programs (curl, nc, a browser) to talk to: echo (RFC 862),
 * discard (RFC 863), chargen (RFC 864) or a small HTTP/1.1 file server. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "httpd.h"
#include "netloop.h"

const char cmd_serve_usage[] =
    "usage: synack serve --port P (--echo | --discard | --chargen | --http DIR) [OPTIONS]\n"
    "\n"
    "Runs a stack on a TUN (or TAP) device and serves TCP on port P of its\n"
    "address, until SIGINT or SIGTERM.\n"
    "\n"
    "  -p, --port P        port to listen on, 1..65535\n"
    "  --echo              send back what each client sends (RFC 862)\n"
    "  --discard           read and drop what each client sends (RFC 863)\n"
    "  --chargen           send a rotating character pattern until the client\n"
    "                      shuts down its side (RFC 864)\n"
    "  --http DIR          serve the files under DIR over HTTP/1.1 (GET and\n"
    "                      HEAD, keep-alive, directory listings)\n"
    "  --backlog N         connections waiting to be accepted (default 128)\n"
    "\n" NL_COMMON_USAGE "\n"
    "Example (as root): synack serve --port 80 --http . --tun tun0 \\\n"
    "                     --addr 10.7.0.2/24 --peer-addr 10.7.0.1/24\n"
    "then: curl http://10.7.0.2/\n"
    "\n"
    "Exit status: 0 after a clean shutdown, 1 on failure, 2 for bad\n"
    "arguments, 77 when the device cannot be created here (no privilege).\n";

static const cli_cmd serve_cmd = {"serve", NULL, cmd_serve_usage, NULL};

typedef enum serve_mode {
    MODE_NONE,
    MODE_ECHO,
    MODE_DISCARD,
    MODE_CHARGEN,
    MODE_HTTP,
} serve_mode;

typedef struct serve_opts {
    nl_opts nl;
    uint64_t port;
    uint64_t backlog;
    serve_mode mode;
    const char *dir;
} serve_opts;

#define SERVE_BUF        65536               /* per-connection output buffer */
#define SHUTDOWN_GRACE   (3 * 1000000000ull) /* for connections to close on SIGINT */
#define CHARGEN_LINE     72                  /* RFC 864: 72 characters a line */
#define CHARGEN_PERIOD   95                  /* printable ASCII: the pattern repeats */
#define CHARGEN_PERIOD_B (CHARGEN_PERIOD * (CHARGEN_LINE + 2))

typedef struct sconn {
    struct sconn *next, *prev;
    synack_tcp *tcp;
    bool lingering; /* our FIN is queued: discard input until the close ends */
    uint8_t *out;   /* bytes accepted from the client or generated, not yet sent */
    size_t out_off, out_len;
    uint64_t gen; /* chargen: bytes of the pattern sent */
    httpd_conn *http;
} sconn;

typedef struct serve {
    const serve_opts *o;
    netloop nl;
    synack_tcp *listener;
    sconn *conns;
    httpd *http;
    uint8_t chargen[2 * CHARGEN_PERIOD_B]; /* two periods: any window is contiguous */
    bool shutting_down;
    uint64_t shutdown_deadline;
    uint64_t accepted;
} serve;

/* ---- options ------------------------------------------------------------ */

static int set_mode(serve_opts *o, serve_mode m, const char *name)
{
    if (o->mode != MODE_NONE && o->mode != m)
        return cli_usage_error(&serve_cmd, "%s conflicts with an earlier mode option", name);
    o->mode = m;
    return 0;
}

static int parse_args(int argc, char **argv, serve_opts *o)
{
    memset(o, 0, sizeof(*o));
    nl_opts_default(&o->nl);
    o->backlog = 128;
    nl_cursor c = {.argc = argc, .argv = argv};
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        int rv = nl_parse_common(&o->nl, &serve_cmd, &c);
        if (rv == 1)
            continue;
        if (rv)
            return rv;
        bool ok;
        if (nl_take(&c, "--port", "-p")) {
            ok = c.val && cli_parse_u64(c.val, &o->port) == 0 && o->port >= 1 && o->port <= 65535;
        } else if (nl_take(&c, "--backlog", NULL)) {
            ok = c.val && cli_parse_u64(c.val, &o->backlog) == 0 && o->backlog >= 1 &&
                 o->backlog <= 65535;
        } else if (nl_take(&c, "--http", NULL)) {
            if (c.val && (rv = set_mode(o, MODE_HTTP, "--http")) != 0)
                return rv;
            ok = c.val && *(o->dir = c.val);
        } else if (nl_flag(&c, "--echo", NULL) || nl_flag(&c, "--discard", NULL) ||
                   nl_flag(&c, "--chargen", NULL)) {
            serve_mode m = arg[2] == 'e' ? MODE_ECHO : arg[2] == 'd' ? MODE_DISCARD : MODE_CHARGEN;
            if ((rv = set_mode(o, m, arg)) != 0)
                return rv;
            continue;
        } else if (arg[0] == '-') {
            return cli_usage_error(&serve_cmd, "unknown option '%s'", arg);
        } else {
            return cli_usage_error(&serve_cmd, "unexpected argument '%s'", arg);
        }
        if (!c.val)
            return cli_usage_error(&serve_cmd, "option %s needs a value", c.name);
        if (!ok)
            return cli_usage_error(&serve_cmd, "bad value '%s' for %s", c.val, c.name);
    }
    if (o->port == 0)
        return cli_usage_error(&serve_cmd, "--port is required");
    if (o->mode == MODE_NONE)
        return cli_usage_error(&serve_cmd,
                               "a mode is required: --echo, --discard, --chargen or --http DIR");
    if (o->mode == MODE_HTTP) {
        struct stat st;
        if (stat(o->dir, &st) < 0)
            return cli_usage_error(&serve_cmd, "--http %s: %s", o->dir, strerror(errno));
        if (!S_ISDIR(st.st_mode))
            return cli_usage_error(&serve_cmd, "--http %s: not a directory", o->dir);
    }
    return nl_check_common(&o->nl, &serve_cmd);
}

/* ---- connections ------------------------------------------------------------ */

static sconn *conn_new(serve *s, synack_tcp *tcp)
{
    sconn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->tcp = tcp;
    if (s->o->mode == MODE_ECHO || s->o->mode == MODE_HTTP) {
        c->out = malloc(SERVE_BUF);
        if (!c->out) {
            free(c);
            return NULL;
        }
    }
    if (s->o->mode == MODE_HTTP && !(c->http = httpd_conn_new(s->http, tcp))) {
        free(c->out);
        free(c);
        return NULL;
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    synack_tcp_set_user(tcp, c);
    return c;
}

/* Releases the handle (the stack finishes the connection on its own: a
 * compact TIME-WAIT, or nothing left to do) and forgets the connection. */
static void conn_free(serve *s, sconn *c, bool abort, uint64_t now)
{
    if (abort)
        synack_tcp_abort(c->tcp, now);
    else
        synack_tcp_close(c->tcp, now);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    httpd_conn_del(c->http);
    free(c->out);
    free(c);
}

/* Our side is done: FIN after what is queued (RFC 9293 3.10.4), then keep
 * reading until the peer's FIN so that close never has unread data to
 * answer with a RST. */
static void conn_finish(sconn *c, uint64_t now)
{
    if (!c->lingering) {
        c->lingering = true;
        synack_tcp_shutdown(c->tcp, now);
    }
}

/* Reads and drops input; true at end of stream. */
static bool drain(sconn *c, uint64_t now)
{
    uint8_t scratch[16384];
    for (;;) {
        ssize_t n = synack_tcp_recv(c->tcp, scratch, sizeof(scratch), now);
        if (n > 0)
            continue;
        return n == 0;
    }
}

/* Sends what waits in c->out; true when all of it is in the send buffer. */
static bool send_pending(sconn *c, uint64_t now)
{
    while (c->out_off < c->out_len) {
        ssize_t n = synack_tcp_send(c->tcp, c->out + c->out_off, c->out_len - c->out_off, now);
        if (n <= 0)
            return false;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return true;
}

/* RFC 862: echo everything back; a full send buffer stops reading, so a
 * client that does not read its echo is slowed by our window, not by memory. */
static void serve_echo(sconn *c, uint64_t now)
{
    for (;;) {
        if (!send_pending(c, now))
            return;
        ssize_t n = synack_tcp_recv(c->tcp, c->out, SERVE_BUF, now);
        if (n > 0) {
            c->out_len = (size_t)n;
            continue;
        }
        if (n == 0)
            conn_finish(c, now);
        return;
    }
}

static void serve_discard(sconn *c, uint64_t now)
{
    if (drain(c, now))
        conn_finish(c, now);
}

/* RFC 864: lines of 72 printable characters, each starting one character
 * further along the 95 printable ASCII characters, until the client is done. */
static void fill_chargen(uint8_t *p)
{
    for (int period = 0; period < 2; period++) {
        for (int line = 0; line < CHARGEN_PERIOD; line++) {
            for (int i = 0; i < CHARGEN_LINE; i++)
                *p++ = (uint8_t)(' ' + (line + i) % CHARGEN_PERIOD);
            *p++ = '\r';
            *p++ = '\n';
        }
    }
}

static void serve_chargen(serve *s, sconn *c, uint64_t now)
{
    if (drain(c, now)) {
        conn_finish(c, now);
        return;
    }
    for (;;) {
        size_t at = (size_t)(c->gen % CHARGEN_PERIOD_B);
        ssize_t n = synack_tcp_send(c->tcp, s->chargen + at, CHARGEN_PERIOD_B, now);
        if (n <= 0)
            return;
        c->gen += (uint64_t)n;
    }
}

static void service(serve *s, sconn *c, uint64_t now)
{
    if (c->lingering) {
        drain(c, now);
        return;
    }
    switch (s->o->mode) {
    case MODE_ECHO:
        serve_echo(c, now);
        break;
    case MODE_DISCARD:
        serve_discard(c, now);
        break;
    case MODE_CHARGEN:
        serve_chargen(s, c, now);
        break;
    case MODE_HTTP:
        if (httpd_conn_service(c->http, now) == HTTPD_DONE)
            conn_finish(c, now);
        break;
    default:
        break;
    }
}

static void report_error(serve *s, sconn *c)
{
    if (!s->o->nl.verbose)
        return;
    synack_ipv4 a;
    uint16_t p;
    char ep[24];
    synack_tcp_remote(c->tcp, &a, &p);
    fprintf(stderr, "synack serve: [%u] %s: %s\n", synack_tcp_id(c->tcp), nl_endpoint(a, p, ep),
            synack_strerror(synack_tcp_error(c->tcp)));
}

static void accept_all(serve *s, uint64_t now)
{
    synack_tcp *tcp;
    while (s->listener && synack_tcp_accept(s->listener, &tcp, now) == 0) {
        s->accepted++;
        if (s->shutting_down || !conn_new(s, tcp))
            synack_tcp_abort(tcp, now);
    }
}

static void begin_shutdown(serve *s, uint64_t now)
{
    s->shutting_down = true;
    s->shutdown_deadline = now + SHUTDOWN_GRACE;
    s->nl.loop.wake_at = s->shutdown_deadline;
    if (s->listener)
        synack_tcp_close(s->listener, now);
    s->listener = NULL;
    for (sconn *c = s->conns; c; c = c->next)
        conn_finish(c, now);
}

static int serve_hook(void *user, uint64_t now)
{
    serve *s = user;
    unsigned sigs = nl_signals();
    if (sigs >= 2)
        return 1;
    if (sigs == 1 && !s->shutting_down)
        begin_shutdown(s, now);
    accept_all(s, now);
    for (sconn *c = s->conns, *next; c; c = next) {
        next = c->next;
        if (synack_tcp_error(c->tcp)) {
            report_error(s, c);
            conn_free(s, c, false, now);
            continue;
        }
        service(s, c, now);
        if (c->lingering && nl_conn_done(c->tcp))
            conn_free(s, c, false, now);
    }
    if (s->shutting_down && (!s->conns || now >= s->shutdown_deadline))
        return 1;
    return 0;
}

static void print_ready(const serve *s)
{
    const serve_opts *o = s->o;
    char a[16], p[16];
    fprintf(stderr, "synack serve: listening on %s:%u (%s %s", synack_ipv4_format(o->nl.addr, a),
            (unsigned)o->port, o->nl.link == SYNACK_LINK_IP ? "tun" : "tap",
            synack_tun_name(s->nl.tun));
    if (o->nl.peer)
        fprintf(stderr, ", kernel side %s/%u", synack_ipv4_format(o->nl.peer, p),
                o->nl.peer_prefix_len);
    fprintf(stderr, ")\n");
}

int cmd_serve(int argc, char **argv)
{
    serve_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;
    serve *s = calloc(1, sizeof(*s));
    if (!s) {
        fprintf(stderr, "synack serve: out of memory\n");
        return CLI_EXIT_FAILURE;
    }
    s->o = &o;
    fill_chargen(s->chargen);
    if (o.mode == MODE_HTTP) {
        char why[256];
        if (httpd_new(o.dir, o.nl.verbose, &s->http, why, sizeof(why)) < 0) {
            fprintf(stderr, "synack serve: --http %s: %s\n", o.dir, why);
            free(s);
            return CLI_EXIT_FAILURE;
        }
    }
    rv = nl_start(&s->nl, &o.nl, "serve", NULL, s);
    if (rv) {
        httpd_del(s->http);
        free(s);
        return rv;
    }
    uint64_t now = synack_tun_now();
    int err =
        synack_tcp_listen(s->nl.stack, 0, (uint16_t)o.port, (int)o.backlog, now, &s->listener);
    if (err < 0) {
        fprintf(stderr, "synack serve: cannot listen on port %u: %s\n", (unsigned)o.port,
                synack_strerror(err));
        rv = CLI_EXIT_FAILURE;
    } else {
        print_ready(s);
        rv = nl_run(&s->nl, serve_hook, s, NULL, 0) < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
    }
    now = synack_tun_now();
    while (s->conns)
        conn_free(s, s->conns, true, now);
    if (s->listener)
        synack_tcp_close(s->listener, now);
    int frv = nl_finish(&s->nl);
    httpd_del(s->http);
    free(s);
    return rv ? rv : frv;
}
