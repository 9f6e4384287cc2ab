/* synack demo: the whole life of one TCP connection between two stacks on a
 * memlink, in virtual time, drawn as a ladder diagram (RFC 9293 Figures
 * 6-13): handshake, a request and its answer, the half-close, the four-way
 * close and TIME-WAIT until it expires. Options replay the rarer paths:
 * loss and retransmission, simultaneous open and close, the server closing
 * first, an abort with RST.
 *
 * Rows come from two places: the link's tap sees every frame sent,
 * delivered or lost (the arrows), and each stack's trace reports its state
 * changes. A state change is drawn beside the segment that caused it: the
 * one the stack sent during the user call that changed the state (SYN,
 * FIN, RST), or the one just delivered to it (the rest); a timer's (the end
 * of TIME-WAIT) gets a line of its own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ladder.h"
#include "ladder_svg.h"
#include "synack/synack.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S  1000000000ull

const char cmd_demo_usage[] =
    "usage: synack demo [OPTIONS]\n"
    "\n"
    "Plays the whole life of one TCP connection between two stacks on a\n"
    "simulated link, in virtual time, and draws it as a ladder diagram: the\n"
    "client 10.0.0.1 connects to the server 10.0.0.2 port 80, sends a request,\n"
    "reads the answer and closes first; the server, half-closed, sends a last\n"
    "segment, then closes; the client waits in TIME-WAIT for 2*MSL.\n"
    "\n"
    "  --loss P              probability each frame is lost, 0..1 or 0%..100%\n"
    "                        (below 1; default 0): shows retransmissions\n"
    "  --seed N              seed of the link and the stacks (default 1)\n"
    "  --delay MS            one-way delay of the link (default 10)\n"
    "  --msl MS              maximum segment lifetime; TIME-WAIT lasts 2*MSL\n"
    "                        (default 1000)\n"
    "  --simultaneous-open   both sides connect to each other at once (no listener)\n"
    "  --simultaneous-close  both sides shut down at once (both pass CLOSING)\n"
    "  --server-closes-first the server shuts down first, the client half-closed\n"
    "  --reset               the client aborts the connection with a RST\n"
    "  --pcap FILE           write every frame sent on the link to FILE\n"
    "  --ladder-format F     ascii (default), svg or html (a self-contained page\n"
    "                        with segment details, zoom and a relative/absolute\n"
    "                        toggle), on standard output\n"
    "  --time                show the virtual time of each line, in ms\n"
    "  --absolute            show raw sequence numbers (default: from each ISN)\n"
    "  --ascii, --unicode    plain ASCII arrows or box-drawing ones (default:\n"
    "                        box-drawing on a terminal, ASCII otherwise)\n"
    "  --color, --no-color   ANSI colours (default: on a terminal only)\n"
    "\n"
    "The same options and seed always draw the same ladder. Exit status: 0 if\n"
    "the connection ran to its end, 1 if it did not, 2 for bad arguments.\n";

static const cli_cmd demo_cmd = {"demo", NULL, cmd_demo_usage, NULL};

enum close_mode { CLOSE_CLIENT_FIRST, CLOSE_SERVER_FIRST, CLOSE_SIMULTANEOUS, CLOSE_RESET };

typedef struct demo_opts {
    double loss;
    uint64_t seed, delay_ns, msl_ns;
    bool sim_open, time, absolute;
    enum close_mode close;
    int color, unicode; /* -1: decide by the terminal */
    const char *pcap_path;
    int format; /* ladder_format */
} demo_opts;

#define CLIENT LADDER_A
#define SERVER LADDER_B
static const synack_ipv4 demo_addr[2] = {0x0a000001, 0x0a000002};
#define CLIENT_PORT 49152 /* fixed for the simultaneous open only */
#define SERVER_PORT 80

static const char request[] = "GET / HTTP/1.0\r\n\r\n";
static const char response[] = "HTTP/1.0 200 OK\r\n\r\n";
static const char last_words[] = "bye\n"; /* sent by the passive closer while half-closed */

/* A frame sent and not yet delivered or lost, to find its row again. */
typedef struct inflight {
    uint64_t hash;
    int row;
    int from;
} inflight;

#define MAX_INFLIGHT    256
#define MAX_CALL_STATES 4

/* One side: its stack, its connection and what its user has done. */
typedef struct side {
    struct demo_run *run;
    ladder_side me;
    synack_stack *stack;
    synack_tcp *listener, *conn;
    uint32_t conn_id; /* the connection the ladder follows; 0 until seen */
    bool conn_known;
    /* The user call in progress, if any: its state changes wait for the
     * first segment the call sends. */
    bool in_call;
    int call_first_row;
    synack_tcp_state call_states[MAX_CALL_STATES];
    uint64_t call_state_t[MAX_CALL_STATES];
    int ncall_states;
    /* States entered by a call that sent nothing yet (connect() waiting for
     * ARP): they go beside the next segment this side sends. */
    synack_tcp_state pending[MAX_CALL_STATES];
    uint64_t pending_t[MAX_CALL_STATES];
    int npending;
    /* Deliveries in the current step (a state change then is their doing). */
    bool delivered, timer_due;
    int last_delivered_row;
    /* The application. */
    size_t got;      /* bytes read */
    char inbuf[256]; /* what was read (the request, for the server) */
    bool sent_request, sent_response, shut, eof, sent_last, closed;
    uint64_t close_at;           /* UINT64_MAX: no close scheduled */
    synack_tcp_state state;      /* last state traced */
    uint64_t tw_enter, tw_leave; /* TIME-WAIT, UINT64_MAX if never */
    int half_closed_segs;        /* data segments sent while in CLOSE-WAIT */
    uint64_t fin_wait_at;        /* when it entered FIN-WAIT-1, UINT64_MAX if never */
    int error;
} side;

typedef struct demo_run {
    const demo_opts *o;
    synack_memlink *link;
    side s[2];
    ladder *lad;
    synack_pcap *pcap;
    inflight fl[MAX_INFLIGHT];
    int nfl;
    bool overflow;
    /* ARP, summed up in one note. */
    int arp_note;
    int arp_frames, arp_lost;
    bool arp_seen[2]; /* a request from this side */
    uint8_t mac[2][6];
    bool mac_known[2];
    uint64_t sim_close_at;
    uint64_t tw_note_at; /* when the last TIME-WAIT note was drawn */
    uint16_t client_port;
    int segments, lost;
    bool stopped; /* tearing down: the trace is no longer the story */
} demo_run;

/* ---- options ------------------------------------------------------------ */

typedef struct opt_cursor {
    int argc, i;
    char **argv;
    const char *name, *val;
} opt_cursor;

static bool take_opt(opt_cursor *c, const char *lng)
{
    const char *a = c->argv[c->i];
    size_t n = strlen(lng);
    c->name = lng;
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        c->val = a + n + 1;
        return true;
    }
    if (strcmp(a, lng) == 0) {
        c->val = c->i + 1 < c->argc ? c->argv[++c->i] : NULL;
        return true;
    }
    return false;
}

static bool take_flag(opt_cursor *c, const char *lng, bool *flag)
{
    if (strcmp(c->argv[c->i], lng) != 0)
        return false;
    *flag = true;
    return true;
}

static int set_close_mode(demo_opts *o, enum close_mode m, const char *name, bool *given)
{
    if (*given && o->close != m)
        return cli_usage_error(&demo_cmd, "%s cannot be combined with another way to close", name);
    *given = true;
    o->close = m;
    return 0;
}

static int parse_args(int argc, char **argv, demo_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->seed = 1;
    o->delay_ns = 10 * NS_PER_MS;
    o->msl_ns = 1000 * NS_PER_MS;
    o->close = CLOSE_CLIENT_FIRST;
    o->color = o->unicode = -1;
    bool close_given = false;

    opt_cursor c = {.argc = argc, .argv = argv};
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        bool flag = false;
        int rv = 0;
        if (take_flag(&c, "--simultaneous-open", &o->sim_open) ||
            take_flag(&c, "--time", &o->time) || take_flag(&c, "--absolute", &o->absolute))
            continue;
        if (strcmp(arg, "--simultaneous-close") == 0)
            rv = set_close_mode(o, CLOSE_SIMULTANEOUS, arg, &close_given);
        else if (strcmp(arg, "--server-closes-first") == 0)
            rv = set_close_mode(o, CLOSE_SERVER_FIRST, arg, &close_given);
        else if (strcmp(arg, "--reset") == 0)
            rv = set_close_mode(o, CLOSE_RESET, arg, &close_given);
        else if (take_flag(&c, "--ascii", &flag))
            o->unicode = 0;
        else if (take_flag(&c, "--unicode", &flag))
            o->unicode = 1;
        else if (take_flag(&c, "--color", &flag) || take_flag(&c, "--colour", &flag))
            o->color = 1;
        else if (take_flag(&c, "--no-color", &flag) || take_flag(&c, "--no-colour", &flag))
            o->color = 0;
        else
            goto valued;
        if (rv)
            return rv;
        continue;
    valued:
        if (take_opt(&c, "--ladder-format")) {
            rv = cli_parse_ladder_format(&demo_cmd, c.name, c.val, &o->format);
            if (rv)
                return rv;
            continue;
        }
        bool ok;
        if (take_opt(&c, "--loss"))
            ok = c.val && cli_parse_prob(c.val, &o->loss) == 0 && o->loss < 1.0;
        else if (take_opt(&c, "--seed"))
            ok = c.val && cli_parse_u64(c.val, &o->seed) == 0;
        else if (take_opt(&c, "--delay"))
            ok = c.val && cli_parse_ms(c.val, &o->delay_ns) == 0 && o->delay_ns <= 10 * NS_PER_S;
        else if (take_opt(&c, "--msl"))
            ok = c.val && cli_parse_ms(c.val, &o->msl_ns) == 0 && o->msl_ns >= NS_PER_MS &&
                 o->msl_ns <= 600 * NS_PER_S;
        else if (take_opt(&c, "--pcap"))
            ok = c.val && *(o->pcap_path = c.val);
        else if (arg[0] == '-')
            return cli_usage_error(&demo_cmd, "unknown option '%s'", arg);
        else
            return cli_usage_error(&demo_cmd, "unexpected argument '%s'", arg);
        if (!c.val)
            return cli_usage_error(&demo_cmd, "option %s needs a value", c.name);
        if (!ok)
            return cli_usage_error(&demo_cmd, "bad value '%s' for %s", c.val, c.name);
    }
    bool tty = cli_stdout_is_tty();
    if (o->color < 0)
        o->color = tty;
    if (o->unicode < 0)
        o->unicode = tty;
    return 0;
}

/* ---- frames to rows ----------------------------------------------------- */

static void flush_pending(side *s, int row);

static uint64_t frame_hash(const uint8_t *p, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h ^ len;
}

static void arp_summary(demo_run *r)
{
    char a[16], b[16], text[160];
    synack_ipv4_format(demo_addr[CLIENT], a);
    synack_ipv4_format(demo_addr[SERVER], b);
    const char *who = r->arp_seen[CLIENT] && r->arp_seen[SERVER] ? "both ask" : NULL;
    int n = 0;
    if (who)
        n = snprintf(text, sizeof(text), "ARP: %s and %s ask for each other's MAC", a, b);
    else
        n = snprintf(text, sizeof(text),
                     "ARP: %s asks who has %s; it is at "
                     "%02x:%02x:%02x:%02x:%02x:%02x",
                     r->arp_seen[SERVER] ? b : a, r->arp_seen[SERVER] ? a : b,
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][0],
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][1],
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][2],
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][3],
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][4],
                     r->mac[r->arp_seen[SERVER] ? CLIENT : SERVER][5]);
    if (r->arp_lost && n > 0 && (size_t)n < sizeof(text))
        snprintf(text + n, sizeof(text) - (size_t)n, " (%d of %d ARP frames lost)", r->arp_lost,
                 r->arp_frames);
    ladder_set_note(r->lad, r->arp_note, text);
}

static void on_arp(demo_run *r, synack_memlink_event ev, int from, const uint8_t *frame, size_t len,
                   uint64_t now)
{
    sk_arp a;
    if (sk_arp_parse(frame + SK_ETH_HLEN, len - SK_ETH_HLEN, &a) < 0)
        return;
    if (ev == SYNACK_MEMLINK_SENT) {
        r->arp_frames++;
        if (from == CLIENT || from == SERVER) {
            if (a.op == SK_ARP_OP_REQUEST)
                r->arp_seen[from] = true;
            memcpy(r->mac[from], a.sha, 6);
            r->mac_known[from] = true;
        }
        if (r->arp_note < 0)
            r->arp_note = ladder_add_note(r->lad, now, "ARP");
    } else if (ev == SYNACK_MEMLINK_LOST) {
        r->arp_lost++;
    }
    if (r->arp_note >= 0)
        arp_summary(r);
}

static void on_segment_sent(demo_run *r, int from, const uint8_t *frame, size_t len, uint64_t now)
{
    sk_ipv4_hdr ip;
    sk_tcp_hdr h;
    sk_tcp_opts opts;
    const uint8_t *p = frame + SK_ETH_HLEN;
    size_t plen = len - SK_ETH_HLEN;
    if (sk_ipv4_parse(p, plen, &ip) < 0 || ip.proto != SK_IPPROTO_TCP)
        return;
    p += ip.hlen;
    plen = (size_t)ip.total_len - ip.hlen;
    if (sk_tcp_parse(p, plen, &h) < 0 || sk_tcp_parse_options(h.opts, h.opts_len, &opts) < 0)
        return;
    ladder_seg seg = {.from = (ladder_side)from, .sent_ns = now};
    ladder_seg_from_tcp(&seg, &h, &opts, (uint32_t)(plen - h.hlen));
    int row = ladder_add_segment(r->lad, &seg);
    if (row < 0 || r->nfl == MAX_INFLIGHT) {
        r->overflow = true;
        return;
    }
    r->segments++;
    r->fl[r->nfl++] = (inflight){frame_hash(frame, len), row, from};
    side *s = &r->s[from];
    if (s->in_call && s->call_first_row < 0)
        s->call_first_row = row;
    if (s->npending)
        flush_pending(s, row);
    if (s->state == SYNACK_TCP_CLOSE_WAIT && seg.len > 0)
        s->half_closed_segs++;
}

/* The row of the oldest frame in flight with these bytes, removed from the
 * list; -1 if none (a frame that is not a TCP segment). */
static int take_inflight(demo_run *r, int from, const uint8_t *frame, size_t len)
{
    uint64_t h = frame_hash(frame, len);
    for (int i = 0; i < r->nfl; i++) {
        if (r->fl[i].hash == h && r->fl[i].from == from) {
            int row = r->fl[i].row;
            memmove(&r->fl[i], &r->fl[i + 1], (size_t)(r->nfl - i - 1) * sizeof(r->fl[0]));
            r->nfl--;
            return row;
        }
    }
    return -1;
}

static void on_tap(void *user_data, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                   size_t len, uint64_t now)
{
    demo_run *r = user_data;
    if (r->pcap)
        synack_pcap_memlink_tap(r->pcap, ev, from, to, frame, len, now);
    sk_eth_hdr eth;
    if (from < 0 || from > 1 || sk_eth_parse(frame, len, &eth) < 0)
        return;
    if (eth.type == SK_ETHERTYPE_ARP) {
        on_arp(r, ev, from, frame, len, now);
        return;
    }
    if (eth.type != SK_ETHERTYPE_IPV4)
        return;
    if (ev == SYNACK_MEMLINK_SENT) {
        on_segment_sent(r, from, frame, len, now);
        return;
    }
    int row = take_inflight(r, from, frame, len);
    ladder_seg *seg = ladder_segment_at(r->lad, row);
    if (!seg)
        return;
    if (ev == SYNACK_MEMLINK_DELIVERED && to >= 0 && to <= 1) {
        seg->arrived_ns = now;
        r->s[to].delivered = true;
        r->s[to].last_delivered_row = row;
    } else {
        seg->lost = true;
        r->lost++;
    }
}

/* ---- state changes ------------------------------------------------------ */

static void format_secs(uint64_t ns, char *buf, size_t cap);

/* Draws the states waiting for a segment beside @p row, or on lines of
 * their own if @p row is LADDER_NO_SEG. */
static void flush_pending(side *s, int row)
{
    for (int i = 0; i < s->npending; i++)
        ladder_add_state(s->run->lad, s->me, s->pending_t[i], s->pending[i], row);
    s->npending = 0;
}

static void record_state(side *s, const synack_trace_event *ev)
{
    demo_run *r = s->run;
    s->state = ev->new_state;
    if (ev->new_state == SYNACK_TCP_TIME_WAIT)
        s->tw_enter = ev->now;
    if (ev->old_state == SYNACK_TCP_TIME_WAIT)
        s->tw_leave = ev->now;
    if (ev->new_state == SYNACK_TCP_FIN_WAIT_1 && s->fin_wait_at == UINT64_MAX)
        s->fin_wait_at = ev->now;
    /* Something else happened to this side before the segment the waiting
     * states expected: they keep their order on lines of their own. */
    flush_pending(s, LADDER_NO_SEG);
    if (s->in_call) {
        /* Entered by a user call: beside the segment the call sends (SYN,
         * FIN, RST), known when the call returns. */
        if (s->ncall_states < MAX_CALL_STATES) {
            s->call_states[s->ncall_states] = ev->new_state;
            s->call_state_t[s->ncall_states++] = ev->now;
        }
        return;
    }
    /* Deliveries come before timers in a step: a state change in a step
     * that delivered to this side is the delivery's doing, unless a timer
     * of this side was due too and the change is a timer's (the end of
     * TIME-WAIT or of an open that timed out). */
    bool by_timer = s->timer_due && (!s->delivered || ev->new_state == SYNACK_TCP_CLOSED);
    int cause = (s->delivered && !by_timer) ? s->last_delivered_row : LADDER_NO_SEG;
    if (by_timer && ev->old_state == SYNACK_TCP_TIME_WAIT && ev->new_state == SYNACK_TCP_CLOSED) {
        /* One note for both sides when their TIME-WAITs end together. */
        if (r->tw_note_at != ev->now) {
            char secs[32], text[96];
            format_secs(2 * r->o->msl_ns, secs, sizeof(secs));
            snprintf(text, sizeof(text), "TIME-WAIT over: 2*MSL = %s after the last FIN", secs);
            ladder_add_note(r->lad, ev->now, text);
            r->tw_note_at = ev->now;
        }
    }
    ladder_add_state(r->lad, s->me, ev->now, ev->new_state, cause);
}

static void on_trace(void *user_data, const synack_trace_event *ev)
{
    side *s = user_data;
    if (ev->kind != SYNACK_TRACE_TCP_STATE || s->run->stopped)
        return;
    if (ev->remote_port == 0) {
        /* The listener: only its LISTEN opens the server's column. */
        if (ev->new_state == SYNACK_TCP_LISTEN)
            ladder_add_state(s->run->lad, s->me, ev->now, SYNACK_TCP_LISTEN, LADDER_NO_SEG);
        return;
    }
    if (!s->conn_known) {
        s->conn_known = true;
        s->conn_id = ev->conn_id;
    }
    if (ev->conn_id == s->conn_id)
        record_state(s, ev);
}

/* Brackets every call the application makes on a side's stack. */
static void call_begin(side *s)
{
    s->in_call = true;
    s->call_first_row = -1;
    s->ncall_states = 0;
}

static void call_end(side *s)
{
    for (int i = 0; i < s->ncall_states; i++) {
        if (s->call_first_row >= 0) {
            ladder_add_state(s->run->lad, s->me, s->call_state_t[i], s->call_states[i],
                             s->call_first_row);
        } else if (s->npending < MAX_CALL_STATES) {
            s->pending[s->npending] = s->call_states[i];
            s->pending_t[s->npending++] = s->call_state_t[i];
        }
    }
    s->in_call = false;
    s->ncall_states = 0;
}

/* ---- the two applications ----------------------------------------------- */

static uint64_t rtt(const demo_run *r)
{
    return 2 * r->o->delay_ns;
}

static bool is_active_closer(const demo_run *r, const side *s)
{
    switch (r->o->close) {
    case CLOSE_CLIENT_FIRST:
    case CLOSE_RESET:
        return s->me == CLIENT;
    case CLOSE_SERVER_FIRST:
        return s->me == SERVER;
    case CLOSE_SIMULTANEOUS:
        return true;
    }
    return false;
}

static void app_send(side *s, const char *text, uint64_t now)
{
    ssize_t n = synack_tcp_send(s->conn, text, strlen(text), now);
    if (n < 0)
        fprintf(stderr, "synack demo: send on the %s failed: %s\n",
                s->me == CLIENT ? "client" : "server", synack_strerror((int)n));
}

/* Reads what arrived; notes the end of stream. */
static void app_read(side *s, uint64_t now)
{
    for (;;) {
        char buf[512];
        ssize_t n = synack_tcp_recv(s->conn, buf, sizeof(buf), now);
        if (n > 0) {
            size_t room = sizeof(s->inbuf) - 1 - s->got;
            size_t keep = (size_t)n < room ? (size_t)n : room;
            memcpy(s->inbuf + s->got, buf, keep);
            s->got += keep;
            s->inbuf[s->got] = 0;
            continue;
        }
        if (n == 0)
            s->eof = true;
        else if (n != SYNACK_ERR_AGAIN)
            s->error = (int)n;
        return;
    }
}

/* What an application does once its connection is established: the client
 * asks, the server answers; the active closer shuts down once the answer
 * is through; the passive closer, told of the peer's FIN, says its last
 * words and closes one round trip later. */
static void app_step(demo_run *r, side *s, uint64_t now)
{
    if (!s->conn || s->closed)
        return;
    uint32_t ev = synack_tcp_events(s->conn);
    if (ev & SYNACK_TCP_EV_READABLE)
        app_read(s, now);
    if (ev & SYNACK_TCP_EV_ERROR) {
        s->error = synack_tcp_error(s->conn);
        synack_tcp_close(s->conn, now);
        s->closed = true;
        return;
    }
    if (!(ev & SYNACK_TCP_EV_CONNECTED))
        return;
    if (s->me == CLIENT && !s->sent_request) {
        s->sent_request = true;
        app_send(s, request, now);
    }
    if (s->me == SERVER && !s->sent_response && s->got >= strlen(request)) {
        s->sent_response = true;
        app_send(s, response, now);
        if (r->o->close == CLOSE_SERVER_FIRST)
            s->close_at = now + rtt(r);
    }
    bool answered = s->me == CLIENT ? s->got >= strlen(response) : s->sent_response;
    if (answered && is_active_closer(r, s) && !s->shut) {
        if (r->o->close == CLOSE_RESET) {
            s->shut = s->closed = true;
            synack_tcp_abort(s->conn, now);
            return;
        }
        if (r->o->close == CLOSE_SIMULTANEOUS && s->me == CLIENT && r->sim_close_at == UINT64_MAX)
            r->sim_close_at = now + rtt(r); /* both shut down then, all data acknowledged */
        if (r->o->close == CLOSE_CLIENT_FIRST)
            s->close_at = now;
    }
    if (!s->shut && s->close_at <= now && is_active_closer(r, s)) {
        s->shut = true;
        s->close_at = UINT64_MAX; /* done: app_next() must not wake for it again */
        synack_tcp_shutdown(s->conn, now);
    }
    /* The passive closer: the peer's FIN came (CLOSE-WAIT), say the last
     * words while half-closed, then close a round trip later. */
    if (!is_active_closer(r, s) && s->eof && !s->sent_last) {
        s->sent_last = true;
        app_send(s, last_words, now);
        s->close_at = now + rtt(r);
    }
    if (!is_active_closer(r, s) && s->sent_last && !s->closed && s->close_at <= now) {
        s->closed = true;
        synack_tcp_close(s->conn, now);
        return;
    }
    /* The active closer releases its handle once it read the end of stream;
     * the stack keeps the connection in TIME-WAIT on its own. */
    if (is_active_closer(r, s) && s->shut && s->eof && !s->closed) {
        s->closed = true;
        synack_tcp_close(s->conn, now);
    }
}

static void app_poll(demo_run *r, uint64_t now)
{
    for (int i = 0; i < 2; i++) {
        side *s = &r->s[i];
        call_begin(s);
        if (s->listener && !s->conn) {
            synack_tcp *c;
            if (synack_tcp_accept(s->listener, &c, now) == 0)
                s->conn = c;
        }
        if (r->o->close == CLOSE_SIMULTANEOUS && now >= r->sim_close_at && s->conn && !s->shut &&
            !s->closed) {
            s->shut = true;
            synack_tcp_shutdown(s->conn, now);
        }
        app_step(r, s, now);
        call_end(s);
    }
}

/* The next time an application wants to act on its own (not woken by the
 * link), UINT64_MAX if none. */
static uint64_t app_next(const demo_run *r)
{
    uint64_t t = UINT64_MAX;
    if (r->o->close == CLOSE_SIMULTANEOUS && r->sim_close_at != UINT64_MAX &&
        !(r->s[0].shut && r->s[1].shut))
        t = r->sim_close_at;
    for (int i = 0; i < 2; i++) {
        const side *s = &r->s[i];
        if (s->conn && !s->closed && s->close_at != UINT64_MAX && s->close_at < t)
            t = s->close_at;
    }
    return t;
}

static bool finished(const demo_run *r)
{
    for (int i = 0; i < 2; i++)
        if (!r->s[i].closed || synack_stack_tcp_count(r->s[i].stack) > 0)
            return false;
    return true;
}

/* ---- the run ------------------------------------------------------------ */

static int make_stack(demo_run *r, side *s, uint64_t seed)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = demo_addr[s->me];
    cfg.prefix_len = 24;
    cfg.mac[5] = (uint8_t)(s->me + 1);
    cfg.seed = seed;
    cfg.tcp_msl_ns = r->o->msl_ns;
    /* The textbook figure: no options beyond the MSS in the SYNs. */
    cfg.tcp_window_scaling = false;
    cfg.tcp_timestamps = false;
    cfg.tcp_sack = false;
    int rv = synack_memlink_attach(r->link, &cfg, NULL, NULL, s, &s->stack);
    if (rv == 0)
        rv = synack_stack_add_trace(s->stack, on_trace, s);
    return rv;
}

static int open_connection(demo_run *r, uint64_t now)
{
    side *c = &r->s[CLIENT], *sv = &r->s[SERVER];
    int rv = 0;
    ladder_add_state(r->lad, CLIENT, now, SYNACK_TCP_CLOSED, LADDER_NO_SEG);
    if (r->o->sim_open) {
        ladder_add_state(r->lad, SERVER, now, SYNACK_TCP_CLOSED, LADDER_NO_SEG);
        call_begin(c);
        rv = synack_tcp_connect(c->stack, demo_addr[SERVER], SERVER_PORT, CLIENT_PORT, now,
                                &c->conn);
        call_end(c);
        call_begin(sv);
        if (rv == 0)
            rv = synack_tcp_connect(sv->stack, demo_addr[CLIENT], CLIENT_PORT, SERVER_PORT, now,
                                    &sv->conn);
        call_end(sv);
        r->client_port = CLIENT_PORT;
        return rv;
    }
    call_begin(sv);
    rv = synack_tcp_listen(sv->stack, demo_addr[SERVER], SERVER_PORT, 1, now, &sv->listener);
    call_end(sv);
    call_begin(c);
    if (rv == 0)
        rv = synack_tcp_connect(c->stack, demo_addr[SERVER], SERVER_PORT, 0, now, &c->conn);
    call_end(c);
    if (rv == 0)
        synack_tcp_local(c->conn, NULL, &r->client_port);
    return rv;
}

/* Which stacks have a timer due by @p t (their state changes in that step
 * may be a timer's doing). */
static void note_due_timers(demo_run *r, uint64_t t)
{
    for (int i = 0; i < 2; i++) {
        r->s[i].delivered = false;
        r->s[i].timer_due = synack_stack_next_timeout(r->s[i].stack) <= t;
    }
}

#define RUN_LIMIT_NS (600 * NS_PER_S) /* ten virtual minutes */

static int run_demo(demo_run *r)
{
    uint64_t now = synack_memlink_now(r->link);
    int rv = open_connection(r, now);
    if (rv < 0) {
        fprintf(stderr, "synack demo: cannot open the connection: %s\n", synack_strerror(rv));
        return rv;
    }
    while (!finished(r)) {
        uint64_t ev = synack_memlink_next_event(r->link);
        uint64_t app = app_next(r);
        uint64_t t = ev < app ? ev : app;
        if (t == UINT64_MAX || t > RUN_LIMIT_NS)
            break;
        if (app <= synack_memlink_now(r->link) && app < ev) {
            /* An application step due now that did not act: a bug here,
             * not a reason to spin forever. */
            fprintf(stderr, "synack demo: internal error: application stuck at %llu ns\n",
                    (unsigned long long)app);
            return -1;
        }
        if (app < ev) {
            synack_memlink_run(r->link, app, NULL, NULL); /* nothing happens before it */
        } else {
            note_due_timers(r, t);
            synack_memlink_step(r->link);
        }
        app_poll(r, synack_memlink_now(r->link));
    }
    for (int i = 0; i < 2; i++)
        flush_pending(&r->s[i], LADDER_NO_SEG);
    return 0;
}

/* ---- the words under the picture ---------------------------------------- */

static void append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

/* "2 s", "2.02 s": seconds, to the millisecond, without trailing zeros. */
static void format_secs(uint64_t ns, char *buf, size_t cap)
{
    uint64_t ms = (ns + NS_PER_MS / 2) / NS_PER_MS;
    int len = snprintf(buf, cap, "%llu.%03llu", (unsigned long long)(ms / 1000),
                       (unsigned long long)(ms % 1000));
    while (len > 0 && buf[len - 1] == '0')
        buf[--len] = 0;
    if (len > 0 && buf[len - 1] == '.')
        buf[--len] = 0;
    snprintf(buf + len, cap - (size_t)len, " s");
}

static const char *who(int which)
{
    return which == CLIENT ? "client" : "server";
}

static void explain_close(const demo_run *r, char *out, size_t cap)
{
    const side *c = &r->s[CLIENT], *sv = &r->s[SERVER];
    if (r->o->close == CLOSE_RESET) {
        append(out, cap, "the client aborted with a RST");
        if (sv->error == SYNACK_ERR_RESET)
            append(out, cap, ", the server's connection was reset: no FIN, no TIME-WAIT");
        return;
    }
    if (c->fin_wait_at == UINT64_MAX && sv->fin_wait_at == UINT64_MAX) {
        append(out, cap, "the connection never closed");
        return;
    }
    if (c->fin_wait_at == sv->fin_wait_at) {
        append(out, cap, "both sides closed at once and the FINs crossed");
        return;
    }
    int first = c->fin_wait_at < sv->fin_wait_at ? CLIENT : SERVER;
    int n = r->s[!first].half_closed_segs;
    append(out, cap, "%s closed first; %s sent %d segment%s while half-closed", who(first),
           who(!first), n, n == 1 ? "" : "s");
}

static void explain_time_wait(const demo_run *r, char *out, size_t cap)
{
    bool tw[2];
    char d[2][32];
    for (int i = 0; i < 2; i++) {
        const side *s = &r->s[i];
        tw[i] = s->tw_enter != UINT64_MAX && s->tw_leave != UINT64_MAX;
        if (tw[i])
            format_secs(s->tw_leave - s->tw_enter, d[i], sizeof(d[i]));
    }
    if (tw[0] && tw[1] && strcmp(d[0], d[1]) == 0)
        append(out, cap, "; TIME-WAIT lasted %s on both sides", d[0]);
    else if (tw[0] && tw[1])
        append(out, cap, "; TIME-WAIT lasted %s on the client, %s on the server", d[0], d[1]);
    else if (tw[CLIENT])
        append(out, cap, "; TIME-WAIT lasted %s", d[CLIENT]);
    else if (tw[SERVER])
        append(out, cap, "; TIME-WAIT lasted %s on the server", d[SERVER]);
}

static void explain(const demo_run *r, int rtx, char *out, size_t cap)
{
    out[0] = 0;
    if (r->o->sim_open)
        append(out, cap, "both sides opened at once and the SYNs crossed; ");
    explain_close(r, out, cap);
    explain_time_wait(r, out, cap);
    if (r->lost || rtx)
        append(out, cap, "; %d of %d segments lost, %d retransmitted", r->lost, r->segments, rtx);
    for (int i = 0; i < 2; i++)
        if (r->s[i].error && !(i == SERVER && r->o->close == CLOSE_RESET))
            append(out, cap, "; the %s's connection failed: %s", who(i),
                   synack_strerror(r->s[i].error));
    append(out, cap, ".");
}

/* ---- entry point -------------------------------------------------------- */

static int count_retransmissions(ladder *l)
{
    int n = 0;
    ladder_analyze(l);
    for (size_t i = 0; i < ladder_rows(l); i++) {
        ladder_seg *s = ladder_segment_at(l, (int)i);
        if (s && (s->analysis & LADDER_AN_RETRANSMISSION))
            n++;
    }
    return n;
}

static int print_ladder(demo_run *r)
{
    char a[32], b[32], ip[16];
    snprintf(a, sizeof(a), "%s:%u", synack_ipv4_format(demo_addr[CLIENT], ip), r->client_port);
    snprintf(b, sizeof(b), "%s:%u", synack_ipv4_format(demo_addr[SERVER], ip), SERVER_PORT);
    if (ladder_set_labels(r->lad, a, b) < 0)
        return -1;
    int rtx = count_retransmissions(r->lad);
    ladder_style style = {
        .absolute = r->o->absolute,
        .time = r->o->time,
        .color = r->o->color > 0,
        .unicode = r->o->unicode > 0,
    };
    char words[512];
    explain(r, rtx, words, sizeof(words));
    if (r->o->format != LADDER_FORMAT_ASCII) {
        /* The same ladder as a picture, the words as its title. */
        ladder_svg_opts so = {.absolute = r->o->absolute, .time = r->o->time};
        ladder_doc_item item = {.lad = r->lad};
        snprintf(item.title, sizeof(item.title), "synack demo: %.200s", words);
        char *doc = r->o->format == LADDER_FORMAT_SVG ? ladder_render_svg(r->lad, item.title, &so)
                                                      : ladder_render_html(&item, 1, &so);
        if (!doc)
            return -1;
        fputs(doc, stdout);
        free(doc);
        return 0;
    }
    char *text = ladder_render(r->lad, &style);
    if (!text)
        return -1;
    fputs(text, stdout);
    printf("\n%s\n", words);
    free(text);
    return 0;
}

static void teardown(demo_run *r)
{
    r->stopped = true;
    if (r->link)
        synack_memlink_set_tap(r->link, NULL, NULL);
    uint64_t now = r->link ? synack_memlink_now(r->link) : 0;
    for (int i = 0; i < 2; i++) {
        side *s = &r->s[i];
        if (s->conn && !s->closed)
            synack_tcp_abort(s->conn, now);
        if (s->listener)
            synack_tcp_close(s->listener, now);
        synack_stack_del(s->stack);
    }
    synack_memlink_del(r->link);
    ladder_free(r->lad);
}

int cmd_demo(int argc, char **argv)
{
    demo_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;

    demo_run r;
    memset(&r, 0, sizeof(r));
    r.o = &o;
    r.arp_note = -1;
    r.sim_close_at = UINT64_MAX;
    r.tw_note_at = UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        side *s = &r.s[i];
        s->run = &r;
        s->me = (ladder_side)i;
        s->close_at = UINT64_MAX;
        s->tw_enter = s->tw_leave = s->fin_wait_at = UINT64_MAX;
        s->last_delivered_row = LADDER_NO_SEG;
    }
    int status = CLI_EXIT_FAILURE;
    r.lad = ladder_new("client", "server");
    if (!r.lad) {
        fprintf(stderr, "synack demo: out of memory\n");
        return status;
    }
    if (o.pcap_path) {
        rv = synack_pcap_open(o.pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &r.pcap);
        if (rv < 0) {
            fprintf(stderr, "synack demo: cannot write %s: %s\n", o.pcap_path,
                    rv == SYNACK_ERR_IO ? strerror(errno) : synack_strerror(rv));
            ladder_free(r.lad);
            return status;
        }
    }
    synack_memlink_config lcfg;
    synack_memlink_config_default(&lcfg);
    lcfg.seed = o.seed;
    lcfg.max_ports = 2;
    lcfg.impairments.loss = o.loss;
    lcfg.impairments.delay_ns = o.delay_ns;
    rv = synack_memlink_new(&lcfg, NULL, &r.link);
    if (rv == 0)
        rv = make_stack(&r, &r.s[CLIENT], 2 * o.seed + 1);
    if (rv == 0)
        rv = make_stack(&r, &r.s[SERVER], 2 * o.seed + 2);
    if (rv < 0) {
        fprintf(stderr, "synack demo: cannot set up the link: %s\n", synack_strerror(rv));
        goto out;
    }
    synack_memlink_set_tap(r.link, on_tap, &r);
    if (run_demo(&r) < 0)
        goto out;
    bool done = finished(&r);
    if (print_ladder(&r) < 0) {
        fprintf(stderr, "synack demo: out of memory\n");
        goto out;
    }
    if (!done)
        fprintf(stderr,
                "synack demo: the connection did not finish within %llu s of virtual "
                "time\n",
                (unsigned long long)(RUN_LIMIT_NS / NS_PER_S));
    if (r.overflow)
        fprintf(stderr, "synack demo: too many frames in flight; the ladder is incomplete\n");
    status = done && !r.overflow ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
    teardown(&r);
    if (r.pcap && synack_pcap_close(r.pcap) < 0) {
        fprintf(stderr, "synack demo: writing %s failed\n", o.pcap_path);
        status = CLI_EXIT_FAILURE;
    }
    return status;
}
