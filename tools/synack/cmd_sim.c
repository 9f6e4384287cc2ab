/* synack sim: bulk TCP transfers between two stacks on a memlink, in
 * virtual time, under chosen impairments. Each flow's bytes are generated
 * from the seed, hashed with SHA-256 as the sender hands them to the stack
 * and again as the receiver reads them, so a run proves the stream arrived
 * whole and in order; the same seed always prints the same figures. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crypto/sha256.h"
#include "liveladder.h"
#include "synack/synack.h"

#define NS_PER_MS  1000000ull
#define NS_PER_SEC 1000000000ull
#define ADDR_A     0x0a000001u /* the senders (clients) */
#define ADDR_B     0x0a000002u /* the receivers (server) */
#define SIM_PORT   5001
#define MAX_FLOWS  1000
#define CHUNK      65536 /* bytes per send/recv call */
/* --ladder: how long the closes may take after the figures (TIME-WAIT is
 * 2*MSL, 60 s by default; a flow that failed may still be backing off). */
#define CLOSE_LIMIT_NS (600 * NS_PER_SEC)

const char cmd_sim_usage[] =
    "usage: synack sim [OPTIONS]\n"
    "\n"
    "Runs bulk TCP transfers from one stack (10.0.0.1) to another (10.0.0.2)\n"
    "over a simulated link (memlink) in virtual time, and prints per flow the\n"
    "bytes moved, the virtual duration, the goodput, the retransmissions and\n"
    "whether the SHA-256 of what was received equals that of what was sent.\n"
    "Impairments apply to frames in both directions.\n"
    "\n"
    "  --bytes N           bytes per flow, with K/M/G suffixes (default 1M)\n"
    "  --flows K           parallel connections, 1..1000 (default 1)\n"
    "  --loss P            probability a frame is lost, 0..1 or 0%..100%\n"
    "  --delay MS          one-way delay (default 5)\n"
    "  --jitter MS         extra uniform one-way delay, 0..MS (default 0)\n"
    "  --reorder P         probability a frame is held back so later ones\n"
    "                      overtake it (by 2*delay + 1 ms)\n"
    "  --dup P             probability a frame is delivered twice\n"
    "  --corrupt P         probability one bit of a frame is flipped\n"
    "  --rate MBIT         link rate in Mbit/s, 0 = unlimited (default 100)\n"
    "  --queue PKTS        frames waiting for the wire before drop-tail,\n"
    "                      0 = unlimited (default 0; needs a rate)\n"
    "  --cc ALGO           congestion control: newreno or cubic (default cubic)\n"
    "  --no-sack           do not offer SACK (RFC 2018)\n"
    "  --no-timestamps     do not offer timestamps (RFC 7323)\n"
    "  --no-window-scaling do not offer window scaling (RFC 7323)\n"
    "  --sndbuf N          send buffer per connection (K/M suffixes)\n"
    "  --rcvbuf N          receive buffer per connection (K/M suffixes)\n"
    "  --rto-min MS        lower bound of the retransmission timeout\n"
    "  --seed N            seed of the link, the stacks and the data (default 1)\n"
    "  --pcap FILE         write every frame sent on the link to FILE\n"
    "  --json              print one JSON object instead of the lines\n"
    "  --no-progress       no progress bar (shown on stderr if a terminal)\n" CLI_LADDER_USAGE "\n"
    "With --ladder, once the figures are printed each receiver closes too and\n"
    "the link runs on (up to 600 s of virtual time, TIME-WAIT included), so\n"
    "each flow's ladder shows its whole connection as the sender's stack saw\n"
    "it: the handshake, the first and the last segments (--ladder-max; a 1M\n"
    "flow has over a thousand) and the four-way close. The figures and the\n"
    "JSON do not change; --pcap then captures the closes as well.\n"
    "\n"
    "Exit status: 0 if every flow completed with matching SHA-256, 1 if not,\n"
    "2 for bad arguments.\n";

static const cli_cmd sim_cmd = {"sim", NULL, cmd_sim_usage, NULL};

typedef struct sim_opts {
    uint64_t bytes, flows, seed, queue, sndbuf, rcvbuf, rto_min_ns;
    uint64_t delay_ns, jitter_ns, rate_bps;
    double loss, reorder, dup, corrupt, rate_mbit;
    const char *pcap_path;
    bool json, progress;
    bool no_sack, no_timestamps, no_window_scaling;
    synack_cc_algo cc;
    cli_ladder_opts ladder;
} sim_opts;

/* ---- options ------------------------------------------------------------ */

typedef struct opt_cursor {
    int argc, i;
    char **argv;
    const char *name; /* the option matched, for messages */
    const char *val;  /* its value, NULL if missing */
    bool flag;        /* a flag without a value */
} opt_cursor;

/* Matches the current argument against an option taking a value, from
 * "--name=VALUE" or the next argument. */
static bool take_opt(opt_cursor *c, const char *name)
{
    const char *a = c->argv[c->i];
    size_t n = strlen(name);
    c->name = name;
    c->flag = false;
    if (strncmp(a, name, n) == 0 && a[n] == '=') {
        c->val = a + n + 1;
        return true;
    }
    if (strcmp(a, name) == 0) {
        c->val = c->i + 1 < c->argc ? c->argv[++c->i] : NULL;
        return true;
    }
    return false;
}

/* Matches an option without a value. */
static bool take_flag(opt_cursor *c, const char *name)
{
    c->name = name;
    c->flag = true;
    c->val = "";
    return strcmp(c->argv[c->i], name) == 0;
}

static int parse_mbit(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || isnan(v) || v < 0.0 || v > 1e6)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(int argc, char **argv, sim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->bytes = 1u << 20;
    o->cc = SYNACK_CC_CUBIC; /* the stack's default */
    o->flows = 1;
    o->seed = 1;
    o->delay_ns = 5 * NS_PER_MS;
    o->rate_mbit = 100;
    o->progress = true;
    cli_ladder_opts_default(&o->ladder);

    opt_cursor c = {.argc = argc, .argv = argv};
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        int lrv = cli_parse_ladder_opt(&o->ladder, &sim_cmd, argc, argv, &c.i);
        if (lrv == 1)
            continue;
        if (lrv)
            return lrv;
        bool ok;
        if (take_opt(&c, "--bytes"))
            ok = c.val && cli_parse_size(c.val, &o->bytes) == 0 && o->bytes >= 1 &&
                 o->bytes <= (1ull << 50);
        else if (take_opt(&c, "--flows"))
            ok = c.val && cli_parse_u64(c.val, &o->flows) == 0 && o->flows >= 1 &&
                 o->flows <= MAX_FLOWS;
        else if (take_opt(&c, "--loss"))
            ok = c.val && cli_parse_prob(c.val, &o->loss) == 0;
        else if (take_opt(&c, "--delay"))
            ok = c.val && cli_parse_ms(c.val, &o->delay_ns) == 0;
        else if (take_opt(&c, "--jitter"))
            ok = c.val && cli_parse_ms(c.val, &o->jitter_ns) == 0;
        else if (take_opt(&c, "--reorder"))
            ok = c.val && cli_parse_prob(c.val, &o->reorder) == 0;
        else if (take_opt(&c, "--dup"))
            ok = c.val && cli_parse_prob(c.val, &o->dup) == 0;
        else if (take_opt(&c, "--corrupt"))
            ok = c.val && cli_parse_prob(c.val, &o->corrupt) == 0;
        else if (take_opt(&c, "--rate"))
            ok = c.val && parse_mbit(c.val, &o->rate_mbit) == 0;
        else if (take_opt(&c, "--queue"))
            ok = c.val && cli_parse_u64(c.val, &o->queue) == 0 && o->queue <= 1000000;
        else if (take_opt(&c, "--sndbuf"))
            ok = c.val && cli_parse_size(c.val, &o->sndbuf) == 0 && o->sndbuf <= UINT32_MAX;
        else if (take_opt(&c, "--rcvbuf"))
            ok = c.val && cli_parse_size(c.val, &o->rcvbuf) == 0 && o->rcvbuf <= UINT32_MAX;
        else if (take_opt(&c, "--rto-min"))
            ok = c.val && cli_parse_ms(c.val, &o->rto_min_ns) == 0 && o->rto_min_ns > 0;
        else if (take_opt(&c, "--seed"))
            ok = c.val && cli_parse_u64(c.val, &o->seed) == 0;
        else if (take_opt(&c, "--pcap"))
            ok = c.val && *(o->pcap_path = c.val);
        else if (take_opt(&c, "--cc")) {
            ok = c.val && (strcmp(c.val, "newreno") == 0 || strcmp(c.val, "cubic") == 0);
            if (ok)
                o->cc = strcmp(c.val, "newreno") == 0 ? SYNACK_CC_NEWRENO : SYNACK_CC_CUBIC;
        } else if (take_flag(&c, "--no-sack"))
            ok = o->no_sack = true;
        else if (take_flag(&c, "--no-timestamps"))
            ok = o->no_timestamps = true;
        else if (take_flag(&c, "--no-window-scaling"))
            ok = o->no_window_scaling = true;
        else if (take_flag(&c, "--json"))
            ok = o->json = true;
        else if (take_flag(&c, "--no-progress"))
            ok = !(o->progress = false);
        else if (arg[0] == '-' && arg[1])
            return cli_usage_error(&sim_cmd, "unknown option '%s'", arg);
        else
            return cli_usage_error(&sim_cmd, "unexpected argument '%s'", arg);
        if (!c.val)
            return cli_usage_error(&sim_cmd, "option %s needs a value", c.name);
        if (!ok)
            return cli_usage_error(&sim_cmd, "bad value '%s' for %s", c.val, c.name);
    }
    o->rate_bps = (uint64_t)llround(o->rate_mbit * 1e6);
    if (o->queue && !o->rate_bps)
        return cli_usage_error(&sim_cmd, "--queue needs a link rate (--rate > 0)");
    return cli_check_ladder_opts(&o->ladder, &sim_cmd);
}

/* ---- the run ------------------------------------------------------------ */

typedef struct sim_flow {
    struct sim_run *run;
    int idx;
    synack_tcp *cli, *srv;
    uint16_t cport;
    uint64_t sent, received;
    bool writable, readable, shut, eof;
    bool finished; /* end_ns and the digests are final */
    int error;
    const char *error_side;
    uint64_t end_ns;
    uint64_t tail_ns, tail_bytes; /* when a tenth had been read, and how much */
    sk_sha256_ctx sha_out, sha_in;
    uint8_t dig_out[SK_SHA256_DIGEST_LEN], dig_in[SK_SHA256_DIGEST_LEN];
    /* From the wire: data segments sent again below the highest sent. */
    uint64_t rtx_segs, rtx_bytes;
    uint32_t max_end;
    bool have_max;
    bool queued; /* on the run's work list */
    struct sim_flow *next;
} sim_flow;

typedef struct sim_run {
    const sim_opts *o;
    uint32_t sndbuf; /* the senders' tcp_sndbuf: what one send can take at most */
    synack_memlink *link;
    synack_stack *a, *b;
    synack_tcp *listener;
    bool acceptable;
    sim_flow *flows;
    sim_flow *work;    /* flows with new readiness */
    uint16_t *by_port; /* client port -> flow index + 1 */
    uint64_t done, received_total;
    bool stalled;
    synack_pcap *pcap;
    live_ladder *ladder; /* --ladder: follows the senders' stack */
    uint8_t *buf;
    /* progress bar */
    bool bar;
    struct timespec last_draw;
} sim_run;

/* The flow's bytes: a splitmix64 stream keyed by the seed and the flow, so
 * that any offset can be produced again without keeping the data. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void flow_data(const sim_run *r, const sim_flow *f, uint64_t off, uint8_t *p, size_t n)
{
    uint64_t key = mix64(r->o->seed) ^ ((uint64_t)f->idx << 48);
    size_t i = 0;
    while (i < n) {
        uint64_t pos = off + i;
        uint64_t w = mix64(key ^ (pos >> 3));
        for (unsigned b = (unsigned)(pos & 7); b < 8 && i < n; b++, i++)
            p[i] = (uint8_t)(w >> (8 * b));
    }
}

static void flow_queue(sim_run *r, sim_flow *f)
{
    if (f->queued)
        return;
    f->queued = true;
    f->next = r->work;
    r->work = f;
}

static void on_tcp_event(void *user_data, synack_tcp *conn, uint32_t events)
{
    sim_run *r = user_data;
    if (conn == r->listener) {
        r->acceptable = true;
        return;
    }
    sim_flow *f = synack_tcp_get_user(conn);
    if (!f)
        return; /* accept() is still returning it: the caller reads at once */
    if (conn == f->cli && (events & (SYNACK_TCP_EV_CONNECTED | SYNACK_TCP_EV_WRITABLE)))
        f->writable = true;
    if (conn == f->srv && (events & SYNACK_TCP_EV_READABLE))
        f->readable = true;
    if (events & SYNACK_TCP_EV_ERROR) {
        if (!f->error) {
            f->error = synack_tcp_error(conn);
            f->error_side = conn == f->cli ? "sender" : "receiver";
        }
    }
    flow_queue(r, f);
}

static bool flow_finished(const sim_flow *f)
{
    return f->eof || f->error;
}

static void flow_finish(sim_run *r, sim_flow *f)
{
    f->finished = true;
    f->end_ns = synack_memlink_now(r->link);
    sk_sha256_final(&f->sha_out, f->dig_out);
    sk_sha256_final(&f->sha_in, f->dig_in);
    r->done++;
}

static void flow_write(sim_run *r, sim_flow *f)
{
    uint64_t now = synack_memlink_now(r->link);
    while (f->writable && f->sent < r->o->bytes) {
        uint64_t left = r->o->bytes - f->sent;
        /* Generate only what the send buffer can take: an ACK often frees
         * one segment's room, and making a whole chunk for it each time
         * cost more than the stacks themselves. */
        uint32_t queued = synack_tcp_snd_queued(f->cli);
        uint64_t room = r->sndbuf > queued ? r->sndbuf - queued : 1;
        if (left > room)
            left = room;
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        flow_data(r, f, f->sent, r->buf, n);
        ssize_t k = synack_tcp_send(f->cli, r->buf, n, now);
        if (k == SYNACK_ERR_AGAIN) {
            f->writable = false;
            return;
        }
        if (k < 0) {
            f->error = (int)k;
            f->error_side = "sender";
            return;
        }
        sk_sha256_update(&f->sha_out, r->buf, (size_t)k);
        f->sent += (uint64_t)k;
    }
    if (f->sent == r->o->bytes && !f->shut) {
        int rv = synack_tcp_shutdown(f->cli, now);
        if (rv < 0) {
            f->error = rv;
            f->error_side = "sender";
        }
        f->shut = true;
    }
}

static void flow_read(sim_run *r, sim_flow *f)
{
    uint64_t now = synack_memlink_now(r->link);
    while (f->srv && f->readable && !f->eof) {
        ssize_t k = synack_tcp_recv(f->srv, r->buf, CHUNK, now);
        if (k == SYNACK_ERR_AGAIN) {
            f->readable = false;
            return;
        }
        if (k < 0) {
            f->error = (int)k;
            f->error_side = "receiver";
            return;
        }
        if (k == 0) {
            f->eof = true;
            return;
        }
        sk_sha256_update(&f->sha_in, r->buf, (size_t)k);
        if (f->tail_ns == 0 && f->received + (uint64_t)k >= r->o->bytes / 10) {
            f->tail_ns = now;
            f->tail_bytes = f->received + (uint64_t)k;
        }
        f->received += (uint64_t)k;
        r->received_total += (uint64_t)k;
    }
}

static void flow_work(sim_run *r, sim_flow *f)
{
    if (f->finished)
        return;
    if (!f->error)
        flow_write(r, f);
    if (!f->error)
        flow_read(r, f);
    if (flow_finished(f))
        flow_finish(r, f);
}

static sim_flow *flow_of_port(const sim_run *r, uint16_t port)
{
    uint16_t i = r->by_port[port];
    return i ? &r->flows[i - 1] : NULL;
}

static void accept_all(sim_run *r)
{
    r->acceptable = false;
    for (;;) {
        synack_tcp *c = NULL;
        int rv = synack_tcp_accept(r->listener, &c, synack_memlink_now(r->link));
        if (rv < 0)
            return;
        synack_ipv4 addr;
        uint16_t port;
        synack_tcp_remote(c, &addr, &port);
        sim_flow *f = flow_of_port(r, port);
        if (!f || f->srv) {
            synack_tcp_abort(c, synack_memlink_now(r->link));
            continue;
        }
        f->srv = c;
        synack_tcp_set_user(c, f);
        f->readable = true; /* its first events went by before it had a user */
        flow_queue(r, f);
    }
}

static void do_work(sim_run *r)
{
    if (r->acceptable)
        accept_all(r);
    while (r->work) {
        sim_flow *f = r->work;
        r->work = f->next;
        f->queued = false;
        flow_work(r, f);
    }
}

/* Counts retransmissions as the wire sees them: a data segment from a
 * sender that starts below the highest sequence number it has sent. */
static void count_retransmit(sim_run *r, const uint8_t *fr, size_t n)
{
    if (n < 14 + 20 || fr[12] != 0x08 || fr[13] != 0x00 || fr[14 + 9] != 6)
        return;
    size_t ihl = (size_t)(fr[14] & 15) * 4, tot = (size_t)fr[16] << 8 | fr[17];
    if (ihl < 20 || tot < ihl + 20 || 14 + tot > n)
        return;
    const uint8_t *t = fr + 14 + ihl;
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || ihl + thl > tot)
        return;
    uint32_t len = (uint32_t)(tot - ihl - thl);
    sim_flow *f = flow_of_port(r, (uint16_t)(t[0] << 8 | t[1]));
    if (!f || len == 0)
        return;
    uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    if (f->have_max && (int32_t)(seq - f->max_end) < 0) {
        f->rtx_segs++;
        f->rtx_bytes += len;
    }
    if (!f->have_max || (int32_t)(seq + len - f->max_end) > 0)
        f->max_end = seq + len;
    f->have_max = true;
}

static void on_tap(void *user_data, synack_memlink_event ev, int from_port, int to_port,
                   const uint8_t *frame, size_t len, uint64_t now)
{
    sim_run *r = user_data;
    if (r->pcap)
        synack_pcap_memlink_tap(r->pcap, ev, from_port, to_port, frame, len, now);
    if (ev == SYNACK_MEMLINK_SENT && from_port == 0)
        count_retransmit(r, frame, len);
}

/* ---- progress ----------------------------------------------------------- */

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void draw_bar(sim_run *r, bool force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && elapsed_s(&r->last_draw, &now) < 0.1)
        return;
    r->last_draw = now;
    double total = (double)r->o->bytes * (double)r->o->flows;
    double frac = total > 0 ? (double)r->received_total / total : 1.0;
    char bar[31];
    int fill = (int)(frac * 30.0);
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[30] = 0;
    fprintf(stderr, "\r[%s] %5.1f%%  %.2f/%.2f MiB  %.3f s virtual", bar, frac * 100.0,
            (double)r->received_total / 1048576.0, total / 1048576.0,
            (double)synack_memlink_now(r->link) / 1e9);
    fflush(stderr);
}

static void clear_bar(void)
{
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
}

/* ---- output ------------------------------------------------------------- */

static double goodput_bps(uint64_t bytes, uint64_t ns)
{
    return ns ? (double)bytes * 8.0 * 1e9 / (double)ns : 0.0;
}

/* Goodput over the bytes read after the first tenth: the steady state,
 * without the handshake and slow start. */
static double tail_goodput_bps(const sim_flow *f)
{
    if (f->tail_ns == 0 || f->end_ns <= f->tail_ns)
        return 0.0;
    return goodput_bps(f->received - f->tail_bytes, f->end_ns - f->tail_ns);
}

static bool flow_ok(const sim_run *r, const sim_flow *f)
{
    return f->eof && !f->error && f->received == r->o->bytes &&
           memcmp(f->dig_in, f->dig_out, sizeof(f->dig_in)) == 0;
}

static const char *flow_status(const sim_run *r, const sim_flow *f)
{
    if (f->error)
        return "error";
    if (!f->eof)
        return "stalled";
    return flow_ok(r, f) ? "ok" : "mismatch";
}

static void print_lines(const sim_run *r, const synack_stats *sa, const synack_stats *sb)
{
    const sim_opts *o = r->o;
    printf("sim: %llu flow%s x %llu bytes, 10.0.0.1 -> 10.0.0.2, rate %g Mbit/s, delay %g ms, "
           "jitter %g ms, loss %g%%, reorder %g%%, dup %g%%, corrupt %g%%, queue %llu, %s, seed "
           "%llu%s%s%s\n",
           (unsigned long long)o->flows, o->flows == 1 ? "" : "s", (unsigned long long)o->bytes,
           o->rate_mbit, (double)o->delay_ns / 1e6, (double)o->jitter_ns / 1e6, o->loss * 100,
           o->reorder * 100, o->dup * 100, o->corrupt * 100, (unsigned long long)o->queue,
           o->cc == SYNACK_CC_NEWRENO ? "newreno" : "cubic", (unsigned long long)o->seed,
           o->no_sack ? ", no SACK" : "", o->no_timestamps ? ", no timestamps" : "",
           o->no_window_scaling ? ", no window scaling" : "");
    uint64_t bytes = 0, rtx = 0, end = 0;
    bool all_ok = true;
    for (uint64_t i = 0; i < o->flows; i++) {
        const sim_flow *f = &r->flows[i];
        char hex[2 * SK_SHA256_DIGEST_LEN + 1];
        printf("flow %d: %llu/%llu bytes in %.3f s, %.2f Mbit/s, %llu retransmits, sha256 %s %s",
               f->idx + 1, (unsigned long long)f->received, (unsigned long long)o->bytes,
               (double)f->end_ns / 1e9, goodput_bps(f->received, f->end_ns) / 1e6,
               (unsigned long long)f->rtx_segs, flow_status(r, f), sk_sha256_hex(f->dig_in, hex));
        if (f->error)
            printf(" (%s: %s)", f->error_side, synack_errname(f->error));
        printf("\n");
        bytes += f->received;
        rtx += f->rtx_segs;
        end = f->end_ns > end ? f->end_ns : end;
        all_ok &= flow_ok(r, f);
    }
    printf("total: %llu bytes in %.3f s, %.2f Mbit/s, %llu retransmits, %llu timeouts, "
           "%llu checksum drops, %s\n",
           (unsigned long long)bytes, (double)end / 1e9, goodput_bps(bytes, end) / 1e6,
           (unsigned long long)rtx, (unsigned long long)(sa->tcp_timeouts + sb->tcp_timeouts),
           (unsigned long long)(sa->tcp_drop_checksum + sb->tcp_drop_checksum +
                                sa->ip_drop_checksum + sb->ip_drop_checksum),
           all_ok ? "all match" : "NOT ALL MATCH");
}

static void json_stats(const char *name, const synack_stats *s)
{
    printf("\"%s\": {", name);
    for (size_t i = 0; i < synack_stats_count(); i++)
        printf("%s\"%s\": %llu", i ? ", " : "", synack_stats_name(i),
               (unsigned long long)synack_stats_value(s, i));
    printf("}");
}

static void print_json(const sim_run *r, const synack_stats *sa, const synack_stats *sb)
{
    const sim_opts *o = r->o;
    printf("{\"config\": {\"bytes\": %llu, \"flows\": %llu, \"loss\": %.17g, \"delay_ms\": %.17g, "
           "\"jitter_ms\": %.17g, \"reorder\": %.17g, \"dup\": %.17g, \"corrupt\": %.17g, "
           "\"rate_mbit\": %.17g, \"queue\": %llu, \"seed\": %llu, \"sack\": %s, "
           "\"timestamps\": %s, \"window_scaling\": %s, \"cc\": \"%s\"},\n",
           (unsigned long long)o->bytes, (unsigned long long)o->flows, o->loss,
           (double)o->delay_ns / 1e6, (double)o->jitter_ns / 1e6, o->reorder, o->dup, o->corrupt,
           o->rate_mbit, (unsigned long long)o->queue, (unsigned long long)o->seed,
           o->no_sack ? "false" : "true", o->no_timestamps ? "false" : "true",
           o->no_window_scaling ? "false" : "true",
           o->cc == SYNACK_CC_NEWRENO ? "newreno" : "cubic");
    printf(" \"flows\": [\n");
    uint64_t bytes = 0, rtx = 0, rtx_bytes = 0, end = 0;
    bool all_ok = true;
    for (uint64_t i = 0; i < o->flows; i++) {
        const sim_flow *f = &r->flows[i];
        char hin[2 * SK_SHA256_DIGEST_LEN + 1], hout[2 * SK_SHA256_DIGEST_LEN + 1];
        printf("  {\"flow\": %d, \"port\": %u, \"bytes\": %llu, \"sent\": %llu, \"received\": "
               "%llu, \"duration_ns\": %llu, \"duration_s\": %.9f, \"goodput_bps\": %.0f, "
               "\"goodput_mbit\": %.6f, \"goodput_tail_mbit\": %.6f, \"retransmits\": %llu, "
               "\"retransmitted_bytes\": %llu, \"sha256_sent\": \"%s\", \"sha256_received\": "
               "\"%s\", \"match\": %s, "
               "\"status\": \"%s\", \"error\": ",
               f->idx + 1, (unsigned)f->cport, (unsigned long long)o->bytes,
               (unsigned long long)f->sent, (unsigned long long)f->received,
               (unsigned long long)f->end_ns, (double)f->end_ns / 1e9,
               goodput_bps(f->received, f->end_ns), goodput_bps(f->received, f->end_ns) / 1e6,
               tail_goodput_bps(f) / 1e6, (unsigned long long)f->rtx_segs,
               (unsigned long long)f->rtx_bytes, sk_sha256_hex(f->dig_out, hout),
               sk_sha256_hex(f->dig_in, hin), flow_ok(r, f) ? "true" : "false", flow_status(r, f));
        if (f->error)
            printf("\"%s: %s\"}", f->error_side, synack_errname(f->error));
        else
            printf("null}");
        printf("%s\n", i + 1 < o->flows ? "," : "");
        bytes += f->received;
        rtx += f->rtx_segs;
        rtx_bytes += f->rtx_bytes;
        end = f->end_ns > end ? f->end_ns : end;
        all_ok &= flow_ok(r, f);
    }
    printf(" ],\n \"total\": {\"received\": %llu, \"duration_ns\": %llu, \"duration_s\": %.9f, "
           "\"goodput_bps\": %.0f, \"goodput_mbit\": %.6f, \"retransmits\": %llu, "
           "\"retransmitted_bytes\": %llu, \"match\": %s},\n",
           (unsigned long long)bytes, (unsigned long long)end, (double)end / 1e9,
           goodput_bps(bytes, end), goodput_bps(bytes, end) / 1e6, (unsigned long long)rtx,
           (unsigned long long)rtx_bytes, all_ok ? "true" : "false");
    const synack_memlink_stats *ls = synack_memlink_stats_get(r->link);
    printf(" \"link\": {\"sent\": %llu, \"delivered\": %llu, \"lost\": %llu, \"corrupted\": %llu, "
           "\"duplicated\": %llu, \"reordered\": %llu, \"queue_drops\": %llu},\n ",
           (unsigned long long)ls->sent, (unsigned long long)ls->delivered,
           (unsigned long long)ls->lost, (unsigned long long)ls->corrupted,
           (unsigned long long)ls->duplicated, (unsigned long long)ls->reordered,
           (unsigned long long)ls->queue_drops);
    json_stats("sender_stack", sa);
    printf(",\n ");
    json_stats("receiver_stack", sb);
    printf("}\n");
}

/* ---- setup -------------------------------------------------------------- */

static void stack_config(const sim_opts *o, int i, synack_config *cfg)
{
    synack_config_default(cfg);
    cfg->addr = i ? ADDR_B : ADDR_A;
    cfg->prefix_len = 24;
    cfg->mac[5] = (uint8_t)(i + 1);
    cfg->seed = o->seed * 2 + (uint64_t)i;
    cfg->tcp_sack = !o->no_sack;
    cfg->tcp_cc = (uint8_t)o->cc;
    cfg->tcp_timestamps = !o->no_timestamps;
    cfg->tcp_window_scaling = !o->no_window_scaling;
    if (o->sndbuf)
        cfg->tcp_sndbuf = (uint32_t)o->sndbuf;
    if (o->rcvbuf)
        cfg->tcp_rcvbuf = (uint32_t)o->rcvbuf;
    if (o->rto_min_ns) {
        cfg->tcp_rto_min_ns = o->rto_min_ns;
        if (cfg->tcp_rto_initial_ns < o->rto_min_ns)
            cfg->tcp_rto_initial_ns = o->rto_min_ns;
        if (cfg->tcp_rto_max_ns < o->rto_min_ns)
            cfg->tcp_rto_max_ns = o->rto_min_ns;
    }
}

/* The stack's own check of the options that end in its configuration
 * (buffer sizes): a usage error, with the stack's reason. */
static int check_stack_config(const sim_opts *o)
{
    synack_config cfg;
    stack_config(o, 0, &cfg);
    const char *why = NULL;
    if (synack_config_check(&cfg, &why) != 0)
        return cli_usage_error(&sim_cmd, "the stack refuses these options: %s",
                               why ? why : "invalid");
    return 0;
}

static int setup(sim_run *r)
{
    const sim_opts *o = r->o;
    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    lc.seed = o->seed;
    lc.max_ports = 2;
    lc.impairments.loss = o->loss;
    lc.impairments.delay_ns = o->delay_ns;
    lc.impairments.jitter_ns = o->jitter_ns;
    lc.impairments.reorder = o->reorder;
    lc.impairments.duplicate = o->dup;
    lc.impairments.corrupt = o->corrupt;
    lc.impairments.rate_bps = o->rate_bps;
    lc.impairments.queue_limit = (uint32_t)o->queue;
    int rv = synack_memlink_new(&lc, NULL, &r->link);
    if (rv < 0)
        return rv;
    synack_memlink_set_tap(r->link, on_tap, r);
    synack_callbacks cb = {.tcp_event = on_tcp_event};
    for (int i = 0; i < 2; i++) {
        synack_config cfg;
        stack_config(o, i, &cfg);
        r->sndbuf = cfg.tcp_sndbuf;
        rv = synack_memlink_attach(r->link, &cfg, &cb, NULL, r, i ? &r->b : &r->a);
        if (rv < 0)
            return rv;
    }
    if (r->ladder)
        synack_stack_add_trace(r->a, live_ladder_trace, r->ladder);
    rv = synack_tcp_listen(r->b, 0, SIM_PORT, (int)o->flows, 0, &r->listener);
    if (rv < 0)
        return rv;
    for (uint64_t i = 0; i < o->flows; i++) {
        sim_flow *f = &r->flows[i];
        f->run = r;
        f->idx = (int)i;
        sk_sha256_init(&f->sha_out);
        sk_sha256_init(&f->sha_in);
        rv = synack_tcp_connect(r->a, ADDR_B, SIM_PORT, 0, 0, &f->cli);
        if (rv < 0)
            return rv;
        synack_ipv4 addr;
        synack_tcp_local(f->cli, &addr, &f->cport);
        r->by_port[f->cport] = (uint16_t)(i + 1);
        synack_tcp_set_user(f->cli, f);
    }
    return 0;
}

static void run_loop(sim_run *r)
{
    uint64_t steps = 0;
    do_work(r);
    while (r->done < r->o->flows) {
        if (synack_memlink_next_event(r->link) == UINT64_MAX) {
            r->stalled = true;
            break;
        }
        synack_memlink_step(r->link);
        do_work(r);
        if (r->bar && (++steps & 1023) == 0)
            draw_bar(r, false);
    }
    /* Flows still open when the run ends count as stalled, as they are. */
    for (uint64_t i = 0; i < r->o->flows; i++)
        if (!r->flows[i].finished)
            flow_finish(r, &r->flows[i]);
}

/* --ladder: every connection closes on both sides, so that each ladder
 * ends as a connection does; the live ladder draws each as it is CLOSED. */
static void close_all(sim_run *r)
{
    uint64_t now = synack_memlink_now(r->link);
    for (uint64_t i = 0; i < r->o->flows; i++) {
        sim_flow *f = &r->flows[i];
        if (f->srv)
            synack_tcp_close(f->srv, now);
        if (f->cli)
            synack_tcp_close(f->cli, now);
        f->srv = f->cli = NULL;
    }
    synack_memlink_run(r->link, now + CLOSE_LIMIT_NS, NULL, NULL);
}

static int open_ladder(sim_run *r)
{
    const cli_ladder_opts *lo = &r->o->ladder;
    bool tty = !lo->out && isatty(STDERR_FILENO) == 1;
    live_ladder_opts llo = {
        .cmd = "sim",
        .format = (ladder_format)lo->format,
        .path = lo->out,
        .stream = stderr,
        .style = {.unicode = tty, .color = tty, .max = (size_t)lo->max},
        .max_conns = (size_t)r->o->flows,
    };
    r->ladder = live_ladder_new(SYNACK_LINK_ETHERNET, &llo);
    if (r->ladder)
        return 0;
    fprintf(stderr, "synack sim: cannot write %s: %s\n", lo->out ? lo->out : "the ladders",
            strerror(errno));
    return -1;
}

int cmd_sim(int argc, char **argv)
{
    sim_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;
    rv = check_stack_config(&o);
    if (rv)
        return rv;

    sim_run r;
    memset(&r, 0, sizeof(r));
    r.o = &o;
    r.flows = calloc(o.flows, sizeof(*r.flows));
    r.by_port = calloc(65536, sizeof(*r.by_port));
    r.buf = malloc(CHUNK);
    if (!r.flows || !r.by_port || !r.buf) {
        fprintf(stderr, "synack sim: out of memory\n");
        rv = CLI_EXIT_FAILURE;
        goto out;
    }
    if (o.pcap_path) {
        rv = synack_pcap_open(o.pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &r.pcap);
        if (rv < 0) {
            fprintf(stderr, "synack sim: cannot write %s: %s\n", o.pcap_path,
                    rv == SYNACK_ERR_IO ? strerror(errno) : synack_strerror(rv));
            rv = CLI_EXIT_FAILURE;
            goto out;
        }
    }
    if (o.ladder.on && open_ladder(&r) < 0) {
        rv = CLI_EXIT_FAILURE;
        goto out;
    }
    rv = setup(&r);
    if (rv < 0) {
        fprintf(stderr, "synack sim: cannot set up the run: %s\n", synack_strerror(rv));
        rv = CLI_EXIT_FAILURE;
        goto out;
    }
    r.bar = o.progress && isatty(STDERR_FILENO) == 1;
    if (r.bar)
        clock_gettime(CLOCK_MONOTONIC, &r.last_draw);
    run_loop(&r);
    if (r.bar) {
        draw_bar(&r, true);
        clear_bar();
    }
    const synack_stats *sa = synack_stack_stats(r.a), *sb = synack_stack_stats(r.b);
    if (o.json)
        print_json(&r, sa, sb);
    else
        print_lines(&r, sa, sb);
    rv = CLI_EXIT_OK;
    for (uint64_t i = 0; i < o.flows; i++)
        if (!flow_ok(&r, &r.flows[i]))
            rv = CLI_EXIT_FAILURE;
    fflush(stdout); /* the figures before the ladders, when both go to a terminal */
    if (r.ladder)
        close_all(&r);
    if (r.pcap && synack_pcap_close(r.pcap) < 0) {
        fprintf(stderr, "synack sim: writing %s failed\n", o.pcap_path);
        rv = CLI_EXIT_FAILURE;
    }
    r.pcap = NULL;
out:
    synack_pcap_close(r.pcap);
    synack_stack_del(r.a);
    synack_stack_del(r.b);
    synack_memlink_del(r.link);
    /* After the stacks: they may still report connections closing. */
    if (live_ladder_finish(r.ladder) < 0 && rv == CLI_EXIT_OK)
        rv = CLI_EXIT_FAILURE;
    free(r.flows);
    free(r.by_port);
    free(r.buf);
    return rv;
}
