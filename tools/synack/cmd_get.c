/* synack get: fetch one URL over HTTP/1.1 (RFC 9112) from a stack on a
 * TUN/TAP device, writing the body to stdout or a file. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "netloop.h"

const char cmd_get_usage[] =
    "usage: synack get URL [-o FILE] [OPTIONS]\n"
    "\n"
    "Runs a stack on a TUN (or TAP) device and fetches URL, of the form\n"
    "http://ADDRESS[:PORT][/PATH] (an IPv4 address: names are not looked up),\n"
    "writing the body to stdout, or to FILE. A progress bar is shown on a\n"
    "terminal.\n"
    "\n"
    "  -o, --output FILE   write the body to FILE instead of stdout\n"
    "  -q, --quiet         no progress bar\n"
    "\n" NL_COMMON_USAGE "\n"
    "Exit status: 0 for a complete 2xx response, 1 for any other status or a\n"
    "failed transfer, 2 for bad arguments, 77 when the device cannot be\n"
    "created here (no privilege).\n";

static const cli_cmd get_cmd = {"get", NULL, cmd_get_usage, NULL};

#define HEAD_MAX    16384
#define IO_BUF      65536
#define LINGER_NS   (3 * 1000000000ull)
#define PROGRESS_NS (200 * 1000000ull)
#define NS_PER_S    1000000000ull

typedef struct get_opts {
    nl_opts nl;
    synack_ipv4 host;
    uint16_t port;
    char hostport[32];
    const char *path; /* from the URL, starting with '/' */
    const char *output;
    bool quiet;
} get_opts;

enum body_kind { BODY_LENGTH, BODY_CHUNKED, BODY_TO_EOF };
enum chunk_state { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE };

typedef struct get_run {
    const get_opts *o;
    netloop nl;
    synack_tcp *tcp;
    struct pollfd fds[1]; /* the output, while it would block */
    char *req;
    size_t req_off, req_len;
    char head[HEAD_MAX];
    size_t head_len;
    bool head_done;
    int status;
    char reason[64];
    enum body_kind body;
    uint64_t length;     /* BODY_LENGTH: bytes expected */
    uint64_t received;   /* body bytes so far */
    enum chunk_state ch; /* BODY_CHUNKED */
    uint64_t ch_left;
    char ch_line[128];
    size_t ch_line_len;
    uint8_t raw[IO_BUF];
    uint8_t out[IO_BUF]; /* decoded body not yet written */
    size_t out_off, out_len;
    int out_fd;
    bool peer_eof, body_done, fin_sent, ok;
    int result;
    uint64_t started, deadline, next_progress;
    bool progress_shown;
} get_run;

/* ---- options ------------------------------------------------------------ */

/* http://A.B.C.D[:PORT][/PATH]; host and path point into the URL. */
static int parse_url(const char *url, get_opts *o)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return cli_usage_error(&get_cmd, "https is not supported: '%s'", url);
    if (strncasecmp(url, "http://", 7) != 0)
        return cli_usage_error(&get_cmd, "bad URL '%s' (want http://ADDRESS[:PORT]/PATH)", url);
    const char *h = url + 7;
    size_t hl = strcspn(h, ":/?#");
    char host[32];
    if (hl == 0 || hl >= sizeof(host))
        return cli_usage_error(&get_cmd, "bad URL '%s': no host", url);
    memcpy(host, h, hl);
    host[hl] = 0;
    if (synack_ipv4_parse(host, &o->host) < 0 || o->host == 0)
        return cli_usage_error(
            &get_cmd, "bad host '%s' in URL (an IPv4 address; names are not looked up)", host);
    const char *p = h + hl;
    o->port = 80;
    if (*p == ':') {
        size_t pl = strcspn(p + 1, "/?#");
        char port[8];
        uint64_t v = 0;
        if (pl == 0 || pl >= sizeof(port))
            return cli_usage_error(&get_cmd, "bad port in URL '%s'", url);
        memcpy(port, p + 1, pl);
        port[pl] = 0;
        if (cli_parse_u64(port, &v) < 0 || v < 1 || v > 65535)
            return cli_usage_error(&get_cmd, "bad port in URL '%s'", url);
        o->port = (uint16_t)v;
        p += 1 + pl;
    }
    snprintf(o->hostport, sizeof(o->hostport), o->port == 80 ? "%s" : "%s:%u", host, o->port);
    o->path = *p == '/' ? p : *p == '?' ? p : "/";
    if (*p == '#')
        o->path = "/";
    for (const char *q = o->path; *q; q++)
        if ((unsigned char)*q <= ' ' || *q == 0x7f)
            return cli_usage_error(&get_cmd, "bad URL '%s': spaces or control characters", url);
    return 0;
}

static int parse_args(int argc, char **argv, get_opts *o)
{
    memset(o, 0, sizeof(*o));
    nl_opts_default(&o->nl);
    nl_cursor c = {.argc = argc, .argv = argv};
    const char *url = NULL;
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        int rv = nl_parse_common(&o->nl, &get_cmd, &c);
        if (rv == 1)
            continue;
        if (rv)
            return rv;
        if (nl_take(&c, "--output", "-o")) {
            if (!c.val)
                return cli_usage_error(&get_cmd, "option %s needs a value", c.name);
            if (!*c.val)
                return cli_usage_error(&get_cmd, "bad value '' for %s", c.name);
            o->output = c.val;
        } else if (nl_flag(&c, "--quiet", "-q")) {
            o->quiet = true;
        } else if (arg[0] == '-') {
            return cli_usage_error(&get_cmd, "unknown option '%s'", arg);
        } else if (!url) {
            url = arg;
        } else {
            return cli_usage_error(&get_cmd, "unexpected argument '%s'", arg);
        }
    }
    if (!url)
        return cli_usage_error(&get_cmd, "URL is required");
    int rv = parse_url(url, o);
    if (rv)
        return rv;
    if (o->host == o->nl.addr)
        return cli_usage_error(&get_cmd, "the URL's host is the stack's own address");
    if (o->output && o->nl.ladder.out && strcmp(o->output, o->nl.ladder.out) == 0)
        return cli_usage_error(&get_cmd, "--ladder-out and --output name the same file");
    return nl_check_common(&o->nl, &get_cmd);
}

/* ---- progress ------------------------------------------------------------ */

static void human(double v, char *buf, size_t cap)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    snprintf(buf, cap, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void show_progress(get_run *r, uint64_t now, bool final)
{
    if (r->o->quiet || !isatty(STDERR_FILENO) || !r->head_done)
        return;
    if (!final && now < r->next_progress)
        return;
    r->next_progress = now + PROGRESS_NS;
    double secs = (double)(now - r->started) / 1e9;
    char got[32], total[32], rate[32];
    human((double)r->received, got, sizeof(got));
    human(secs > 0 ? (double)r->received / secs : 0, rate, sizeof(rate));
    if (r->body == BODY_LENGTH && r->length) {
        int width = 30;
        int pct = (int)(r->received * 100 / r->length);
        int fill = (int)(r->received * (uint64_t)width / r->length);
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width] = 0;
        human((double)r->length, total, sizeof(total));
        fprintf(stderr, "\r%3d%% [%s] %s / %s  %s/s   ", pct, bar, got, total, rate);
    } else {
        fprintf(stderr, "\r%s  %s/s   ", got, rate);
    }
    r->progress_shown = true;
    if (final)
        fputc('\n', stderr);
}

/* ---- the response ------------------------------------------------------------ */

static const char *find_header(const char *head, const char *name, char *buf, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = strchr(head, '\n'); line; line = strchr(line, '\n')) {
        line++;
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t n = strcspn(v, "\r\n");
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            n--;
        if (n >= cap)
            n = cap - 1;
        memcpy(buf, v, n);
        buf[n] = 0;
        return buf;
    }
    return NULL;
}

static int open_output(get_run *r)
{
    if (!r->o->output) {
        r->out_fd = STDOUT_FILENO;
        nl_nonblock(STDOUT_FILENO);
        return 0;
    }
    r->out_fd = open(r->o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (r->out_fd < 0) {
        fprintf(stderr, "synack get: cannot write %s: %s\n", r->o->output, strerror(errno));
        return -1;
    }
    return 0;
}

/* Status line and headers (RFC 9112 4, 6.3): how the body is delimited. */
static int parse_head(get_run *r)
{
    int minor = 0;
    char reason[64] = "";
    if (sscanf(r->head, "HTTP/1.%d %3d %63[^\r\n]", &minor, &r->status, reason) < 2) {
        fprintf(stderr, "synack get: not an HTTP/1.x response\n");
        return -1;
    }
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
    char val[64];
    if (find_header(r->head, "Transfer-Encoding", val, sizeof(val))) {
        if (strcasecmp(val, "chunked") != 0) {
            fprintf(stderr, "synack get: unsupported Transfer-Encoding '%s'\n", val);
            return -1;
        }
        r->body = BODY_CHUNKED;
    } else if (find_header(r->head, "Content-Length", val, sizeof(val))) {
        if (cli_parse_u64(val, &r->length) < 0) {
            fprintf(stderr, "synack get: bad Content-Length '%s'\n", val);
            return -1;
        }
        r->body = BODY_LENGTH;
        if (r->length == 0)
            r->body_done = true;
    } else {
        r->body = BODY_TO_EOF;
    }
    /* 1xx, 204 and 304 have no body (RFC 9112 6.3). */
    if (r->status / 100 == 1 || r->status == 204 || r->status == 304)
        r->body_done = true;
    r->ok = r->status / 100 == 2;
    if (!r->ok) {
        fprintf(stderr, "synack get: HTTP %d %s\n", r->status, r->reason);
        return 0;
    }
    return open_output(r);
}

/* Appends decoded body bytes to the output buffer (the caller made room:
 * at most sizeof(raw) bytes arrive at once and out is empty then). */
static void emit(get_run *r, const uint8_t *p, size_t n)
{
    r->received += n;
    if (!r->ok)
        return; /* an error page: counted, not written */
    memcpy(r->out + r->out_len, p, n);
    r->out_len += n;
}

/* RFC 9112 7.1: chunk-size [ext] CRLF data CRLF ... 0 CRLF trailers CRLF. */
static int dechunk(get_run *r, const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && r->ch != CH_DONE) {
        if (r->ch == CH_DATA) {
            size_t take = n - i < r->ch_left ? n - i : (size_t)r->ch_left;
            emit(r, p + i, take);
            i += take;
            r->ch_left -= take;
            if (r->ch_left == 0)
                r->ch = CH_DATA_END;
            continue;
        }
        char ch = (char)p[i++];
        if (ch != '\n') {
            if (r->ch_line_len + 1 >= sizeof(r->ch_line))
                return -1;
            r->ch_line[r->ch_line_len++] = ch;
            continue;
        }
        r->ch_line[r->ch_line_len] = 0;
        if (r->ch_line_len && r->ch_line[r->ch_line_len - 1] == '\r')
            r->ch_line[--r->ch_line_len] = 0;
        size_t len = r->ch_line_len;
        r->ch_line_len = 0;
        if (r->ch == CH_SIZE) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(r->ch_line, &end, 16);
            if (end == r->ch_line || errno || (*end && *end != ';' && *end != ' '))
                return -1;
            r->ch_left = v;
            r->ch = v ? CH_DATA : CH_TRAILER;
        } else if (r->ch == CH_DATA_END) {
            if (len != 0)
                return -1;
            r->ch = CH_SIZE;
        } else if (r->ch == CH_TRAILER && len == 0) {
            r->ch = CH_DONE;
        }
    }
    if (r->ch == CH_DONE)
        r->body_done = true;
    return 0;
}

static int take_body(get_run *r, const uint8_t *p, size_t n)
{
    switch (r->body) {
    case BODY_CHUNKED:
        return dechunk(r, p, n);
    case BODY_LENGTH: {
        uint64_t left = r->length - r->received;
        if (n > left)
            n = (size_t)left; /* extra bytes are not ours: a broken server */
        emit(r, p, n);
        if (r->received == r->length)
            r->body_done = true;
        return 0;
    }
    default:
        emit(r, p, n);
        return 0;
    }
}

/* Collects the head; hands whatever follows it to the body. */
static int take_head(get_run *r, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (r->head_len + 1 >= sizeof(r->head)) {
            fprintf(stderr, "synack get: response head longer than %d bytes\n", HEAD_MAX);
            return -1;
        }
        r->head[r->head_len++] = (char)p[i];
        r->head[r->head_len] = 0;
        size_t hl = r->head_len;
        bool end = (hl >= 2 && r->head[hl - 1] == '\n' && r->head[hl - 2] == '\n') ||
                   (hl >= 4 && memcmp(r->head + hl - 4, "\r\n\r\n", 4) == 0);
        if (!end)
            continue;
        /* RFC 9110 15.2: skip interim 1xx responses. */
        if (strncmp(r->head, "HTTP/1.", 7) == 0 && r->head_len > 9 && r->head[9] == '1') {
            r->head_len = 0;
            continue;
        }
        r->head_done = true;
        if (parse_head(r) < 0)
            return -1;
        return r->body_done ? 0 : take_body(r, p + i + 1, n - i - 1);
    }
    return 0;
}

/* ---- the loop ------------------------------------------------------------------ */

static bool flush_out(get_run *r)
{
    while (r->out_off < r->out_len) {
        ssize_t n = write(r->out_fd, r->out + r->out_off, r->out_len - r->out_off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n < 0) {
            fprintf(stderr, "synack get: writing %s: %s\n", r->o->output ? r->o->output : "stdout",
                    strerror(errno));
            return false;
        }
        r->out_off += (size_t)n;
    }
    r->out_off = r->out_len = 0;
    return true;
}

static int finish(get_run *r, int result, uint64_t now)
{
    r->result = result;
    show_progress(r, now, true);
    return 1;
}

static int get_hook(void *user, uint64_t now)
{
    get_run *r = user;
    if (nl_signals()) {
        fprintf(stderr, "%ssynack get: interrupted\n", r->progress_shown ? "\n" : "");
        r->progress_shown = false;
        return finish(r, CLI_EXIT_FAILURE, now);
    }
    int err = synack_tcp_error(r->tcp);
    if (err && !r->body_done) {
        char ep[24];
        fprintf(stderr, "%ssynack get: %s: %s\n", r->progress_shown ? "\n" : "",
                nl_endpoint(r->o->host, r->o->port, ep), synack_strerror(err));
        r->progress_shown = false;
        return finish(r, CLI_EXIT_FAILURE, now);
    }
    /* The request (small: it fits the send buffer at once, but be exact). */
    while (!err && r->req_off < r->req_len) {
        ssize_t n = synack_tcp_send(r->tcp, r->req + r->req_off, r->req_len - r->req_off, now);
        if (n <= 0)
            break;
        r->req_off += (size_t)n;
    }
    if (!flush_out(r))
        return finish(r, CLI_EXIT_FAILURE, now);
    while (!err && r->out_len == 0 && !r->peer_eof) {
        ssize_t n = synack_tcp_recv(r->tcp, r->raw, sizeof(r->raw), now);
        if (n == SYNACK_ERR_AGAIN)
            break;
        if (n <= 0) {
            r->peer_eof = true;
            break;
        }
        if (r->body_done)
            continue; /* after the body: nothing more is ours */
        int rv = r->head_done ? take_body(r, r->raw, (size_t)n) : take_head(r, r->raw, (size_t)n);
        if (rv < 0)
            return finish(r, CLI_EXIT_FAILURE, now);
        if (!flush_out(r))
            return finish(r, CLI_EXIT_FAILURE, now);
    }
    if (r->peer_eof && !r->body_done) {
        if (r->head_done && r->body == BODY_TO_EOF) {
            r->body_done = true;
        } else {
            fprintf(stderr, "%ssynack get: connection closed after %llu body bytes%s\n",
                    r->progress_shown ? "\n" : "", (unsigned long long)r->received,
                    r->head_done ? "" : " (no complete response)");
            r->progress_shown = false;
            return finish(r, CLI_EXIT_FAILURE, now);
        }
    }
    show_progress(r, now, false);
    if (r->body_done && r->out_len == 0) {
        if (!r->fin_sent) {
            r->fin_sent = true;
            synack_tcp_shutdown(r->tcp, now);
            r->deadline = now + LINGER_NS;
        }
        if (nl_conn_done(r->tcp) || now >= r->deadline)
            return finish(r, r->ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE, now);
    }
    r->fds[0].fd = r->out_len ? r->out_fd : -1;
    r->fds[0].events = POLLOUT;
    uint64_t wake = r->deadline;
    if (!r->o->quiet && r->head_done && (!wake || r->next_progress < wake))
        wake = r->next_progress;
    r->nl.loop.wake_at = wake;
    return 0;
}

#define REQUEST_FMT                                                                                \
    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack/%s\r\nAccept: */*\r\n"                      \
    "Connection: close\r\n\r\n"

static char *build_request(const get_opts *o, size_t *len)
{
    int n = snprintf(NULL, 0, REQUEST_FMT, o->path, o->hostport, synack_version());
    char *req = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (req) {
        snprintf(req, (size_t)n + 1, REQUEST_FMT, o->path, o->hostport, synack_version());
        *len = (size_t)n;
    }
    return req;
}

int cmd_get(int argc, char **argv)
{
    get_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;
    get_run *r = calloc(1, sizeof(*r));
    char *req = NULL;
    if (!r || !(req = build_request(&o, &r->req_len))) {
        fprintf(stderr, "synack get: out of memory\n");
        free(r);
        return CLI_EXIT_FAILURE;
    }
    r->o = &o;
    r->req = req;
    r->out_fd = -1;
    r->result = CLI_EXIT_FAILURE;
    rv = nl_start(&r->nl, &o.nl, "get", NULL, r);
    if (rv) {
        free(req);
        free(r);
        return rv;
    }
    r->started = synack_tun_now();
    int err = synack_tcp_connect(r->nl.stack, o.host, o.port, 0, r->started, &r->tcp);
    if (err < 0) {
        char ep[24];
        fprintf(stderr, "synack get: cannot connect to %s: %s\n", nl_endpoint(o.host, o.port, ep),
                synack_strerror(err));
        rv = CLI_EXIT_FAILURE;
    } else {
        r->fds[0].fd = -1;
        rv = nl_run(&r->nl, get_hook, r, r->fds, 1) < 0 ? CLI_EXIT_FAILURE : r->result;
    }
    if (r->tcp) {
        uint64_t now = synack_tun_now();
        if (r->fin_sent || nl_conn_done(r->tcp))
            synack_tcp_close(r->tcp, now);
        else
            synack_tcp_abort(r->tcp, now);
    }
    if (r->out_fd > STDERR_FILENO && close(r->out_fd) < 0 && rv == 0) {
        fprintf(stderr, "synack get: writing %s: %s\n", o.output, strerror(errno));
        rv = CLI_EXIT_FAILURE;
    }
    int frv = nl_finish(&r->nl);
    free(req);
    free(r);
    return rv ? rv : frv;
}
