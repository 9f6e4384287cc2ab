/* The TCP lifecycle as a property (DESIGN.md test ring 3): two whole stacks
 * on a memlink with seeded loss, delay, jitter, duplication, reordering and
 * corruption play a random script — open (normal or simultaneous), data
 * both ways (none to ~200 KB), close in a random order or abort — and after
 * the link has gone idle (every timer drained) these must hold:
 *
 *   - every connection either side ever had ends in CLOSED; the app's
 *     handles end closed or with SYNACK_ERR_RESET/_REFUSED/_TIMEDOUT;
 *   - synack_stack_tcp_count() is 0 on both stacks, and once both stacks
 *     are deleted the allocator has nothing live (ASan checks the rest);
 *   - whatever a side read is a prefix of what the other wrote; when nobody
 *     aborted and nothing failed, it is all of it (SHA-256 of both streams)
 *     and a side that waits for the end of the stream reads it exactly once;
 *   - every TCP_STATE trace event is an arrow of RFC 9293 Figure 5 (or one
 *     the text adds, see `legal`), continues where the connection was, and
 *     TIME-WAIT lasts 2*MSL from its start or from the last FIN it saw;
 *   - the application, driven only by the tcp_event callback (edge
 *     triggered, as epoll's EPOLLET), never stalls.
 *
 * A second test fails the n-th allocation of a whole scenario for every n.
 *
 * Replay: SYNACK_SEED=N runs seed N alone with a trace of states, segments
 * and app calls (add SYNACK_FAIL_AT=n for an allocation failure run);
 * SYNACK_SEEDS=N runs seeds 1..N instead of the default. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failalloc.h"
#include "sha256.h"
#include "synack/synack.h"

#define MS     1000000ull
#define SEC    1000000000ull
#define ADDR_A 0x0a000001u /* the client */
#define ADDR_B 0x0a000002u /* the server */
#define MSL    (1 * SEC)
#define TICK   MS

/* 1000 seeds take ~10 s of CPU under ASan (4 ms each in a plain build);
 * seeds 1..20000 pass and are worth a run after any change to src/tcp. */
#define DEFAULT_SEEDS 1000
#define MAX_IDS       64      /* connection ids a stack may hand out in one run */
#define MAX_FINS      32      /* FINs remembered per TIME-WAIT */
#define MAX_STEPS     3000000 /* a run that takes more has lost its way */
#define MAX_VTIME     (3600 * SEC)
#define MAX_DATA      200000

static const char *prog = "test_tcp_lifecycle";

/* ---- a small seeded generator for the script and the apps -------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t rng_below(rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) / (double)(1ull << 53);
}

/* ---- the script ---------------------------------------------------------- */

typedef enum open_mode { OPEN_NORMAL, OPEN_SIMULTANEOUS } open_mode;

/* How a side ends its part. */
typedef enum close_style {
    CS_AFTER_DATA,     /* close() once all is written and all the peer's bytes are read */
    CS_AFTER_EOF,      /* close() once all is written and the end of stream is read */
    CS_SHUTDOWN_EARLY, /* shutdown() once all is written; read to the end; close() */
} close_style;

typedef enum close_order {
    CO_CLIENT_FIRST,
    CO_SERVER_FIRST,
    CO_BOTH_AT_ONCE,
    CO_SHUTDOWN_READ,
    CO_ABORT,
    CO_COUNT
} close_order;

static const char *const order_names[] = {"client-first", "server-first", "both-at-once",
                                          "shutdown-read", "abort"};
static const char *const style_names[] = {"close-after-data", "close-after-eof", "shutdown-early"};

typedef struct side_script {
    size_t len;          /* bytes this side writes */
    close_style style;   /* how it closes */
    bool linger;         /* keep the handle until EV_CLOSED (after shutdown) */
    bool slow_reader;    /* reads read_chunk bytes every read_every ns */
    uint32_t read_chunk; /* slow reader: bytes per wake-up */
    uint64_t read_every; /* slow reader: ns between wake-ups */
    uint32_t write_max;  /* largest single send() */
    bool aborts;         /* this side aborts at abort_time or after abort_bytes */
    uint64_t abort_time; /* UINT64_MAX: by bytes */
    size_t abort_bytes;  /* written + read */
    uint16_t mtu;        /* of this side's stack */
    uint32_t sndbuf, rcvbuf;
} side_script;

typedef struct script {
    uint64_t seed;
    synack_impairments imp[2]; /* frames leaving A, leaving B */
    open_mode open;
    close_order order;
    bool keep_listener; /* the server keeps listening until its connection ends */
    uint16_t port_a, port_b;
    side_script side[2]; /* 0 = client A, 1 = server B */
} script;

static size_t pick_size(rng *r)
{
    switch (rng_below(r, 4)) {
    case 0:
        return (size_t)rng_below(r, 100);
    case 1:
        return (size_t)rng_below(r, 4096);
    case 2:
        return (size_t)rng_below(r, 50000);
    default:
        return (size_t)rng_below(r, MAX_DATA + 1);
    }
}

static void pick_impairments(rng *r, synack_impairments *imp)
{
    memset(imp, 0, sizeof(*imp));
    imp->loss = rng_below(r, 5) == 0 ? 0.0 : rng_unit(r) * 0.20;
    imp->delay_ns = rng_below(r, 50 * MS);
    imp->jitter_ns = rng_below(r, 3) ? rng_below(r, 20 * MS) : 0;
    imp->duplicate = rng_below(r, 3) ? rng_unit(r) * 0.05 : 0.0;
    imp->reorder = rng_below(r, 3) ? rng_unit(r) * 0.10 : 0.0;
    imp->corrupt = rng_below(r, 4) == 0 ? rng_unit(r) * 0.02 : 0.0;
    if (rng_below(r, 4) == 0) {
        imp->rate_bps = (1 + rng_below(r, 100)) * 1000000ull;
        imp->queue_limit = rng_below(r, 2) ? 0 : (uint32_t)(16 + rng_below(r, 64));
    }
}

static void script_make(script *sc, uint64_t seed)
{
    rng r = {seed * 0x2545f4914f6cdd1dull + 0x1234567ull};
    memset(sc, 0, sizeof(*sc));
    sc->seed = seed;
    pick_impairments(&r, &sc->imp[0]);
    if (rng_below(&r, 2))
        sc->imp[1] = sc->imp[0];
    else
        pick_impairments(&r, &sc->imp[1]);
    sc->open = rng_below(&r, 4) == 0 ? OPEN_SIMULTANEOUS : OPEN_NORMAL;
    sc->order = (close_order)rng_below(&r, CO_COUNT);
    sc->keep_listener = rng_below(&r, 2);
    sc->port_a = (uint16_t)(10000 + rng_below(&r, 1000));
    sc->port_b = (uint16_t)(20000 + rng_below(&r, 1000));
    static const uint16_t mtus[] = {576, 1000, 1500, 1500};
    static const uint32_t bufs[] = {2048, 8192, 20000, 65535, 65535};
    for (int i = 0; i < 2; i++) {
        side_script *s = &sc->side[i];
        s->len = pick_size(&r);
        s->linger = rng_below(&r, 3) == 0;
        s->slow_reader = rng_below(&r, 4) == 0;
        s->read_chunk = (uint32_t)(500 + rng_below(&r, 20000));
        s->read_every = 1 * MS + rng_below(&r, 50 * MS);
        s->write_max = (uint32_t)(1 + rng_below(&r, rng_below(&r, 2) ? 1500 : 40000));
        s->mtu = mtus[rng_below(&r, 4)];
        s->sndbuf = bufs[rng_below(&r, 5)];
        s->rcvbuf = bufs[rng_below(&r, 5)];
        s->abort_time = UINT64_MAX;
    }
    side_script *c = &sc->side[0], *s = &sc->side[1];
    switch (sc->order) {
    case CO_CLIENT_FIRST:
        c->style = CS_AFTER_DATA;
        s->style = CS_AFTER_EOF;
        break;
    case CO_SERVER_FIRST:
        c->style = CS_AFTER_EOF;
        s->style = CS_AFTER_DATA;
        break;
    case CO_BOTH_AT_ONCE:
        c->style = s->style = CS_AFTER_DATA;
        break;
    case CO_SHUTDOWN_READ: {
        int first = (int)rng_below(&r, 2);
        sc->side[first].style = CS_SHUTDOWN_EARLY;
        sc->side[!first].style = (close_style)rng_below(&r, 3);
        break;
    }
    default: { /* CO_ABORT */
        c->style = (close_style)rng_below(&r, 3);
        s->style = (close_style)rng_below(&r, 3);
        if (c->style == CS_AFTER_EOF && s->style == CS_AFTER_EOF)
            s->style = CS_SHUTDOWN_EARLY; /* someone must start the close */
        side_script *a = &sc->side[rng_below(&r, 2)];
        a->aborts = true;
        if (rng_below(&r, 2))
            a->abort_time = rng_below(&r, 1500 * MS);
        else
            a->abort_bytes = (size_t)rng_below(&r, c->len + s->len + 1);
        break;
    }
    }
}

static void script_describe(const script *sc, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s open, %s", sc->open == OPEN_NORMAL ? "normal" : "simultaneous",
                     order_names[sc->order]);
    for (int i = 0; i < 2 && k > 0 && (size_t)k < n; i++) {
        const side_script *s = &sc->side[i];
        k += snprintf(buf + k, n - (size_t)k, "; %s: %zu B, %s%s%s%s, mtu %u, snd %u, rcv %u",
                      i ? "server" : "client", s->len, style_names[s->style],
                      s->linger ? "+linger" : "", s->slow_reader ? ", slow reader" : "",
                      s->aborts ? ", ABORTS" : "", (unsigned)s->mtu, (unsigned)s->sndbuf,
                      (unsigned)s->rcvbuf);
        if (s->aborts && (size_t)k < n)
            k += s->abort_time != UINT64_MAX
                     ? snprintf(buf + k, n - (size_t)k, " at %.3f s", s->abort_time / 1e9)
                     : snprintf(buf + k, n - (size_t)k, " after %zu B", s->abort_bytes);
    }
    for (int i = 0; i < 2 && k > 0 && (size_t)k < n; i++) {
        const synack_impairments *m = &sc->imp[i];
        k += snprintf(buf + k, n - (size_t)k,
                      "; link %s: loss %.3f delay %.1f ms jitter %.1f ms dup %.3f reorder %.3f "
                      "corrupt %.3f rate %" PRIu64 " qlim %u",
                      i ? "B>A" : "A>B", m->loss, m->delay_ns / 1e6, m->jitter_ns / 1e6,
                      m->duplicate, m->reorder, m->corrupt, m->rate_bps, m->queue_limit);
    }
}

/* ---- RFC 9293 Figure 5, as a table ------------------------------------- */

enum {
    C = SYNACK_TCP_CLOSED,
    L = SYNACK_TCP_LISTEN,
    SS = SYNACK_TCP_SYN_SENT,
    SR = SYNACK_TCP_SYN_RCVD,
    E = SYNACK_TCP_ESTABLISHED,
    F1 = SYNACK_TCP_FIN_WAIT_1,
    F2 = SYNACK_TCP_FIN_WAIT_2,
    CW = SYNACK_TCP_CLOSE_WAIT,
    CG = SYNACK_TCP_CLOSING,
    LA = SYNACK_TCP_LAST_ACK,
    TW = SYNACK_TCP_TIME_WAIT,
    NSTATES
};

static const struct {
    uint8_t from, to;
} legal_arrows[] = {
    /* The arrows of RFC 9293 Figure 5. */
    {C, L},   /* passive OPEN */
    {L, C},   /* CLOSE */
    {C, SS},  /* active OPEN, snd SYN */
    {L, SS},  /* SEND in LISTEN */
    {SS, C},  /* CLOSE */
    {L, SR},  /* rcv SYN, snd SYN,ACK */
    {SS, SR}, /* rcv SYN (simultaneous open) */
    {SR, L},  /* rcv RST (note 1: passive open) */
    {SR, E},  /* rcv ACK of SYN */
    {SS, E},  /* rcv SYN,ACK, snd ACK */
    {SR, F1}, /* CLOSE, snd FIN */
    {E, F1},  /* CLOSE, snd FIN */
    {E, CW},  /* rcv FIN, snd ACK */
    {F1, F2}, /* rcv ACK of FIN */
    {F1, CG}, /* rcv FIN, snd ACK */
    {CW, LA}, /* CLOSE, snd FIN */
    {F2, TW}, /* rcv FIN, snd ACK */
    {CG, TW}, /* rcv ACK of FIN */
    {LA, C},  /* rcv ACK of FIN */
    {TW, C},  /* timeout = 2 MSL */
    /* What the text adds to the figure ("the diagram is only a summary"). */
    {F1, TW}, /* 3.10.7.4 eighth: FIN-WAIT-1 and our FIN ACKed in this segment */
    {SR, CW}, /* 3.10.7.4 eighth: SYN-RECEIVED, rcv FIN */
    /* RST (3.10.7.3, 3.10.7.4 second), ABORT (3.10.5), the user and SYN
     * timeouts (3.8.3, RFC 1122 4.2.3.5): CLOSED from every state that
     * has them. A passive child returns to LISTEN by being deleted: its
     * listener carries on, so the child itself goes to CLOSED. */
    {SR, C},
    {E, C},
    {F1, C},
    {F2, C}, /* also the FIN-WAIT-2 timeout of a released handle (BSD, Linux) */
    {CW, C},
    {CG, C},
};

static bool legal[NSTATES][NSTATES];

static void legal_init(void)
{
    for (size_t i = 0; i < sizeof(legal_arrows) / sizeof(legal_arrows[0]); i++)
        legal[legal_arrows[i].from][legal_arrows[i].to] = true;
}

/* ---- one run ------------------------------------------------------------- */

typedef struct conn_track {
    bool seen;
    synack_tcp_state state;
    uint16_t lport, rport;
    uint64_t tw_enter;
    uint64_t fins[MAX_FINS]; /* FINs that arrived for it in TIME-WAIT */
    size_t nfins;
} conn_track;

struct sim;

typedef struct side {
    struct sim *m;
    int idx;
    const char *name;
    const side_script *ss;
    synack_stack *stack;
    synack_tcp *listener, *conn;
    bool have_listener, have_conn; /* handles the app holds */
    synack_tcp *extra[4];          /* unexpected accepted connections */
    size_t nextra;
    uint32_t ev;     /* edge bits received for conn since last looked at */
    bool acceptable; /* edge: the listener said ACCEPTABLE */
    bool connected, readable, writable, closed_ev;
    int error;
    bool shut, released, aborted;
    uint8_t *out;
    size_t out_sent;
    sha256_ctx out_sha;
    size_t in_read;
    sha256_ctx in_sha;
    int eof_count;
    uint64_t next_read_at;
    int nomem; /* API calls that returned SYNACK_ERR_NOMEM */
    conn_track tracks[MAX_IDS];
} side;

typedef struct sim {
    const script *sc;
    synack_memlink *link;
    failalloc fa;
    side s[2];
    rng r;
    bool verbose;
    bool failed;
    char why[600];
    bool app_timeout; /* the apps gave up on a peer that went quiet */
    uint64_t steps;
} sim;

static uint64_t now_of(const sim *m)
{
    return synack_memlink_now(m->link);
}

static void sim_fail(sim *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sim_fail(sim *m, const char *fmt, ...)
{
    if (m->failed)
        return;
    m->failed = true;
    int k = snprintf(m->why, sizeof(m->why), "t=%.6f: ", now_of(m) / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->why + k, sizeof(m->why) - (size_t)k, fmt, ap);
    va_end(ap);
    if (m->verbose)
        printf("FAIL %s\n", m->why);
}

static void vlog(const sim *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(const sim *m, const char *fmt, ...)
{
    if (!m->verbose)
        return;
    printf("%12.6f ", now_of(m) / 1e9);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* A TCP segment read from an Ethernet frame. */
typedef struct seginfo {
    synack_ipv4 src, dst;
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;
    size_t len;
} seginfo;

static bool parse_seg(const uint8_t *f, size_t n, seginfo *si)
{
    if (n < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[14 + 9] != 6)
        return false;
    size_t ihl = (size_t)(f[14] & 15) * 4;
    size_t tot = (size_t)f[16] << 8 | f[17];
    if (ihl < 20 || tot < ihl + 20 || 14 + tot > n)
        return false;
    const uint8_t *ip = f + 14, *t = ip + ihl;
    size_t thl = (size_t)(t[12] >> 4) * 4;
    if (thl < 20 || ihl + thl > tot)
        return false;
    si->src = (uint32_t)ip[12] << 24 | (uint32_t)ip[13] << 16 | (uint32_t)ip[14] << 8 | ip[15];
    si->dst = (uint32_t)ip[16] << 24 | (uint32_t)ip[17] << 16 | (uint32_t)ip[18] << 8 | ip[19];
    si->sport = (uint16_t)(t[0] << 8 | t[1]);
    si->dport = (uint16_t)(t[2] << 8 | t[3]);
    si->seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    si->ack = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    si->flags = t[13];
    si->win = (uint16_t)(t[14] << 8 | t[15]);
    si->len = tot - ihl - thl;
    return true;
}

static const char *flag_str(uint8_t f, char *b)
{
    static const char names[] = "FSRPAU";
    int k = 0;
    for (int i = 0; i < 6; i++)
        if (f & (1u << i))
            b[k++] = names[i];
    b[k] = 0;
    return b;
}

static void log_frame(const sim *m, const char *what, const uint8_t *f, size_t n)
{
    if (!m->verbose)
        return;
    seginfo si;
    if (!parse_seg(f, n, &si)) {
        vlog(m, "%s non-TCP frame, %zu bytes", what, n);
        return;
    }
    char fl[8];
    vlog(m, "%s %c:%u > %c:%u [%s] seq=%u ack=%u win=%u len=%zu", what,
         si.src == ADDR_A ? 'A' : 'B', si.sport, si.dst == ADDR_A ? 'A' : 'B', si.dport,
         flag_str(si.flags, fl), si.seq, si.ack, si.win, si.len);
}

/* The 2*MSL check (RFC 9293 3.3.2: TIME-WAIT lasts 2 MSL; 3.10.7.4: a
 * retransmitted FIN restarts it): the exit is one tick at most after
 * 2 MSL from the entry or from one of the FINs received meanwhile. */
static void check_time_wait(sim *m, side *sd, uint32_t id, const conn_track *t, uint64_t now)
{
    if (now < t->tw_enter + 2 * MSL) {
        sim_fail(m, "%s conn %u left TIME-WAIT after %.6f s, before 2*MSL", sd->name, id,
                 (now - t->tw_enter) / 1e9);
        return;
    }
    if (t->nfins >= MAX_FINS)
        return; /* too many restarts to say which one counted */
    if (now - t->tw_enter - 2 * MSL <= TICK)
        return;
    for (size_t i = 0; i < t->nfins; i++)
        if (now >= t->fins[i] + 2 * MSL && now - t->fins[i] - 2 * MSL <= TICK)
            return;
    sim_fail(m, "%s conn %u left TIME-WAIT %.6f s after entering it (and %zu FINs): not 2*MSL",
             sd->name, id, (now - t->tw_enter) / 1e9, t->nfins);
}

static void track_state(sim *m, side *sd, const synack_trace_event *ev)
{
    vlog(m, "%s#%u %s -> %s", sd->name, ev->conn_id, synack_tcp_state_name(ev->old_state),
         synack_tcp_state_name(ev->new_state));
    if (ev->conn_id >= MAX_IDS) {
        sim_fail(m, "%s: connection id %u beyond what the test tracks", sd->name, ev->conn_id);
        return;
    }
    conn_track *t = &sd->tracks[ev->conn_id];
    if (!t->seen) {
        /* A connection starts CLOSED; a passive child where its listener is. */
        if (ev->old_state != SYNACK_TCP_CLOSED && ev->old_state != SYNACK_TCP_LISTEN)
            sim_fail(m, "%s conn %u first seen leaving %s", sd->name, ev->conn_id,
                     synack_tcp_state_name(ev->old_state));
        t->seen = true;
        t->state = ev->old_state;
    }
    if (t->state != ev->old_state)
        sim_fail(m, "%s conn %u: %s -> %s traced, but it was in %s", sd->name, ev->conn_id,
                 synack_tcp_state_name(ev->old_state), synack_tcp_state_name(ev->new_state),
                 synack_tcp_state_name(t->state));
    if ((unsigned)ev->old_state >= (unsigned)NSTATES ||
        (unsigned)ev->new_state >= (unsigned)NSTATES || !legal[ev->old_state][ev->new_state])
        sim_fail(m, "%s conn %u: illegal transition %s -> %s", sd->name, ev->conn_id,
                 synack_tcp_state_name(ev->old_state), synack_tcp_state_name(ev->new_state));
    if (ev->old_state == SYNACK_TCP_TIME_WAIT)
        check_time_wait(m, sd, ev->conn_id, t, ev->now);
    if (ev->new_state == SYNACK_TCP_TIME_WAIT) {
        t->tw_enter = ev->now;
        t->nfins = 0;
    }
    t->state = ev->new_state;
    t->lport = ev->local_port;
    t->rport = ev->remote_port;
}

static void note_fin_in(side *sd, const uint8_t *f, size_t n, uint64_t now)
{
    seginfo si;
    if (!parse_seg(f, n, &si) || !(si.flags & 0x01))
        return;
    for (uint32_t id = 0; id < MAX_IDS; id++) {
        conn_track *t = &sd->tracks[id];
        if (t->seen && t->state == SYNACK_TCP_TIME_WAIT && t->lport == si.dport &&
            t->rport == si.sport && t->nfins < MAX_FINS)
            t->fins[t->nfins++] = now;
    }
}

static void on_trace(void *ud, const synack_trace_event *ev)
{
    side *sd = ud;
    sim *m = sd->m;
    switch (ev->kind) {
    case SYNACK_TRACE_TCP_STATE:
        track_state(m, sd, ev);
        break;
    case SYNACK_TRACE_FRAME_IN:
        note_fin_in(sd, ev->frame, ev->len, ev->now);
        break;
    case SYNACK_TRACE_FRAME_OUT:
        log_frame(m, sd->idx ? "B out" : "A out", ev->frame, ev->len);
        break;
    case SYNACK_TRACE_DROP:
        if (m->verbose) {
            char what[48];
            snprintf(what, sizeof(what), "%s drop (%s)", sd->name, ev->reason);
            log_frame(m, what, ev->frame, ev->len);
        }
        break;
    }
}

static void on_tap(void *ud, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                   size_t len, uint64_t now)
{
    (void)from;
    (void)to;
    (void)now;
    sim *m = ud;
    if (ev == SYNACK_MEMLINK_LOST)
        log_frame(m, "   lost", frame, len);
}

static void on_tcp_event(void *ud, synack_tcp *c, uint32_t events)
{
    side *sd = ud;
    sim *m = sd->m;
    if (sd->have_listener && c == sd->listener) {
        if (events & ~SYNACK_TCP_EV_ACCEPTABLE)
            sim_fail(m, "%s listener raised %#x", sd->name, events);
        sd->acceptable = true;
        return;
    }
    if (sd->have_conn && c == sd->conn) {
        sd->ev |= events;
        return;
    }
    for (size_t i = 0; i < sd->nextra; i++)
        if (c == sd->extra[i])
            return;
    sim_fail(m, "%s: event %#x for a handle the app does not hold", sd->name, events);
}

static const side *peer_of(const side *sd)
{
    return &sd->m->s[!sd->idx];
}

static size_t expected_in(const side *sd)
{
    return peer_of(sd)->ss->len;
}

static void release_listener(side *sd, bool abort)
{
    vlog(sd->m, "%s app: %s listener", sd->name, abort ? "abort" : "close");
    if (abort)
        assert_int_equal(synack_tcp_abort(sd->listener, now_of(sd->m)), 0);
    else
        assert_int_equal(synack_tcp_close(sd->listener, now_of(sd->m)), 0);
    sd->have_listener = false;
}

static void release_conn(side *sd, bool abort)
{
    sim *m = sd->m;
    vlog(m, "%s app: %s (state %s)", sd->name, abort ? "abort" : "close",
         synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
    if (abort)
        assert_int_equal(synack_tcp_abort(sd->conn, now_of(m)), 0);
    else
        assert_int_equal(synack_tcp_close(sd->conn, now_of(m)), 0);
    sd->have_conn = false;
    sd->released = true;
    sd->ev = 0;
    if (sd->have_listener)
        release_listener(sd, false);
}

static bool error_allowed(int err)
{
    return err == SYNACK_ERR_RESET || err == SYNACK_ERR_REFUSED || err == SYNACK_ERR_TIMEDOUT;
}

static void note_error(side *sd, int err, const char *where)
{
    sim *m = sd->m;
    vlog(m, "%s app: %s -> %s", sd->name, where, synack_errname(err));
    if (!error_allowed(err))
        sim_fail(m, "%s: %s returned %s", sd->name, where, synack_errname(err));
    if (!sd->error)
        sd->error = err;
}

static void app_accept(side *sd)
{
    sim *m = sd->m;
    sd->acceptable = false;
    for (;;) {
        int rv;
        if (!sd->have_conn && !sd->released) {
            /* Held from the start: accept delivers the handle's first
             * events before it returns. */
            sd->conn = NULL;
            sd->have_conn = true;
            rv = synack_tcp_accept(sd->listener, &sd->conn, now_of(m));
            sd->have_conn = rv == 0;
            if (rv == 0)
                vlog(m, "%s app: accepted (state %s)", sd->name,
                     synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
        } else if (sd->nextra < sizeof(sd->extra) / sizeof(sd->extra[0])) {
            synack_tcp **x = &sd->extra[sd->nextra++];
            *x = NULL;
            rv = synack_tcp_accept(sd->listener, x, now_of(m));
            if (rv == 0) {
                /* RFC 9293 3.5: an old duplicate SYN must not make a connection. */
                sim_fail(m, "%s accepted a second connection", sd->name);
                synack_tcp_abort(*x, now_of(m));
            } else {
                sd->nextra--;
            }
        } else {
            return;
        }
        if (rv == SYNACK_ERR_AGAIN)
            break;
        if (rv < 0) {
            sim_fail(m, "%s: accept returned %s", sd->name, synack_errname(rv));
            return;
        }
    }
    if (sd->have_conn && sd->have_listener && !m->sc->keep_listener)
        release_listener(sd, false);
}

static bool write_done(const side *sd)
{
    return sd->out_sent == sd->ss->len;
}

static bool read_done(const side *sd)
{
    return sd->in_read == expected_in(sd);
}

static void app_write(side *sd)
{
    sim *m = sd->m;
    int nomem_retries = 0;
    while (sd->have_conn && sd->writable && !write_done(sd) && !sd->shut) {
        size_t left = sd->ss->len - sd->out_sent;
        size_t want = 1 + rng_below(&m->r, sd->ss->write_max);
        if (want > left)
            want = left;
        ssize_t n = synack_tcp_send(sd->conn, sd->out + sd->out_sent, want, now_of(m));
        if (n > 0) {
            if ((size_t)n > want) {
                sim_fail(m, "%s: send of %zu returned %zd", sd->name, want, n);
                return;
            }
            sha256_update(&sd->out_sha, sd->out + sd->out_sent, (size_t)n);
            sd->out_sent += (size_t)n;
            vlog(m, "%s app: sent %zd (%zu/%zu)", sd->name, n, sd->out_sent, sd->ss->len);
        } else if (n == SYNACK_ERR_AGAIN) {
            sd->writable = false;
        } else if (n == SYNACK_ERR_NOMEM && nomem_retries++ < 2) {
            sd->nomem++;
            vlog(m, "%s app: send -> NOMEM", sd->name);
        } else {
            note_error(sd, (int)n, "send");
            return;
        }
    }
}

static void app_read(side *sd)
{
    sim *m = sd->m;
    uint64_t now = now_of(m);
    if (!sd->have_conn || !sd->readable)
        return;
    if (sd->ss->slow_reader && now < sd->next_read_at)
        return;
    size_t budget = sd->ss->slow_reader ? sd->ss->read_chunk : SIZE_MAX;
    uint8_t buf[8192];
    while (budget > 0 && sd->have_conn) {
        size_t want = 1 + rng_below(&m->r, sizeof(buf));
        if (want > budget)
            want = budget;
        ssize_t n = synack_tcp_recv(sd->conn, buf, want, now);
        if (n > 0) {
            size_t exp = expected_in(sd);
            const uint8_t *src = peer_of(sd)->out + sd->in_read;
            if (sd->eof_count) {
                sim_fail(m, "%s read %zd bytes after the end of stream", sd->name, n);
                return;
            }
            if ((size_t)n > want || sd->in_read + (size_t)n > exp) {
                sim_fail(m, "%s read %zd bytes at offset %zu: more than the %zu written", sd->name,
                         n, sd->in_read, exp);
                return;
            }
            for (size_t i = 0; i < (size_t)n; i++) {
                if (buf[i] != src[i]) {
                    sim_fail(m, "%s read a wrong byte at stream offset %zu", sd->name,
                             sd->in_read + i);
                    return;
                }
            }
            sha256_update(&sd->in_sha, buf, (size_t)n);
            sd->in_read += (size_t)n;
            budget -= (size_t)n;
            vlog(m, "%s app: read %zd (%zu/%zu)", sd->name, n, sd->in_read, exp);
        } else if (n == 0) {
            if (sd->eof_count == 0) {
                vlog(m, "%s app: end of stream", sd->name);
                /* The FIN follows every byte of the peer's data. */
                if (!read_done(sd))
                    sim_fail(m, "%s: end of stream after %zu of %zu bytes", sd->name, sd->in_read,
                             expected_in(sd));
                sd->eof_count++;
                if (synack_tcp_recv(sd->conn, buf, sizeof(buf), now) != 0)
                    sim_fail(m, "%s: end of stream read once did not stay", sd->name);
                if (synack_tcp_events(sd->conn) & SYNACK_TCP_EV_READABLE)
                    sim_fail(m, "%s: still READABLE after the end of stream was read", sd->name);
            }
            sd->readable = false;
            return;
        } else if (n == SYNACK_ERR_AGAIN) {
            sd->readable = false;
            return;
        } else {
            note_error(sd, (int)n, "recv");
            return;
        }
    }
    if (sd->ss->slow_reader)
        sd->next_read_at = now + sd->ss->read_every;
}

static void app_shutdown(side *sd)
{
    vlog(sd->m, "%s app: shutdown (state %s)", sd->name,
         synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
    int rv = synack_tcp_shutdown(sd->conn, now_of(sd->m));
    if (rv != 0)
        sim_fail(sd->m, "%s: shutdown returned %s", sd->name, synack_errname(rv));
    sd->shut = true;
}

static size_t progress(const side *sd)
{
    return sd->out_sent + sd->in_read;
}

static bool abort_due(const side *sd)
{
    if (!sd->ss->aborts || sd->aborted)
        return false;
    if (sd->ss->abort_time != UINT64_MAX)
        return now_of(sd->m) >= sd->ss->abort_time;
    return progress(sd) >= sd->ss->abort_bytes;
}

/* Whether this side is ready to close() in style CS_AFTER_DATA. */
static bool ready_after_data(const side *sd)
{
    return sd->have_conn && sd->connected && write_done(sd) && read_done(sd);
}

/* Ends the side's part as its style says, once it may. */
static void app_maybe_close(side *sd)
{
    sim *m = sd->m;
    if (!sd->have_conn || !sd->connected)
        return;
    switch (sd->ss->style) {
    case CS_AFTER_DATA:
        if (m->sc->order != CO_BOTH_AT_ONCE && ready_after_data(sd))
            release_conn(sd, false);
        return;
    case CS_SHUTDOWN_EARLY:
        if (write_done(sd) && !sd->shut)
            app_shutdown(sd);
        break;
    case CS_AFTER_EOF:
        break;
    }
    if (!write_done(sd) || !sd->eof_count)
        return;
    if (!sd->ss->linger) {
        release_conn(sd, false);
        return;
    }
    /* Linger: keep the handle through LAST-ACK or TIME-WAIT until CLOSED. */
    if (!sd->shut)
        app_shutdown(sd);
    if (sd->closed_ev) {
        if (synack_tcp_get_state(sd->conn) != SYNACK_TCP_CLOSED)
            sim_fail(m, "%s: EV_CLOSED in state %s", sd->name,
                     synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
        release_conn(sd, false);
    }
}

/* Does what the side's app does now; true if it handled anything. */
static bool app_poll(side *sd)
{
    sim *m = sd->m;
    bool did = false;
    if (m->failed)
        return false;
    if (abort_due(sd)) {
        sd->aborted = true;
        if (sd->have_conn)
            release_conn(sd, true);
        else if (sd->have_listener)
            release_listener(sd, true);
        did = true;
    }
    if (sd->have_listener && sd->acceptable) {
        app_accept(sd);
        did = true;
    }
    if (!sd->have_conn)
        return did;
    uint32_t ev = sd->ev;
    sd->ev = 0;
    if (ev) {
        did = true;
        vlog(m, "%s app: events %#x (state %s)", sd->name, ev,
             synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
    }
    if (ev & SYNACK_TCP_EV_CONNECTED)
        sd->connected = true;
    if (ev & SYNACK_TCP_EV_READABLE)
        sd->readable = true;
    if (ev & SYNACK_TCP_EV_WRITABLE)
        sd->writable = true;
    if (ev & SYNACK_TCP_EV_CLOSED)
        sd->closed_ev = true;
    if (ev & SYNACK_TCP_EV_ERROR) {
        int err = synack_tcp_error(sd->conn);
        if (!err)
            sim_fail(m, "%s: EV_ERROR without an error", sd->name);
        else
            note_error(sd, err, "EV_ERROR");
        if (synack_tcp_get_state(sd->conn) != SYNACK_TCP_CLOSED)
            sim_fail(m, "%s: EV_ERROR in state %s", sd->name,
                     synack_tcp_state_name(synack_tcp_get_state(sd->conn)));
    }
    if (sd->error) {
        release_conn(sd, false);
        return true;
    }
    size_t before = progress(sd);
    app_write(sd);
    app_read(sd);
    app_maybe_close(sd);
    if (sd->error && sd->have_conn)
        release_conn(sd, false);
    return did || progress(sd) != before;
}

static void poll_all(sim *m)
{
    for (int round = 0; round < 1000; round++) {
        bool did = app_poll(&m->s[0]);
        did |= app_poll(&m->s[1]);
        /* Both at once: the two close() calls in the same instant. */
        if (m->sc->order == CO_BOTH_AT_ONCE && ready_after_data(&m->s[0]) &&
            ready_after_data(&m->s[1])) {
            release_conn(&m->s[0], false);
            release_conn(&m->s[1], false);
            did = true;
        }
        if (!did || m->failed)
            return;
    }
    sim_fail(m, "the apps do not settle");
}

static uint64_t app_next_wake(const sim *m)
{
    uint64_t wake = UINT64_MAX;
    for (int i = 0; i < 2; i++) {
        const side *sd = &m->s[i];
        if (sd->have_conn && sd->readable && sd->ss->slow_reader && sd->next_read_at < wake)
            wake = sd->next_read_at;
        if (sd->ss->aborts && !sd->aborted && sd->ss->abort_time != UINT64_MAX &&
            (sd->have_conn || sd->have_listener) && sd->ss->abort_time < wake)
            wake = sd->ss->abort_time;
    }
    return wake;
}

static bool apps_done(const sim *m)
{
    for (int i = 0; i < 2; i++)
        if (m->s[i].have_conn || m->s[i].have_listener)
            return false;
    return true;
}

/* Something went wrong on purpose (abort, error, no memory): a real app
 * would give up on a quiet peer after a while. Without that, a side whose
 * peer vanished silently (its RST lost) would wait forever, as RFC 9293
 * allows (no keep-alives here). */
static bool provoked(const sim *m)
{
    for (int i = 0; i < 2; i++)
        if (m->s[i].aborted || m->s[i].nomem)
            return true;
    return false;
}

static bool trouble(const sim *m)
{
    return provoked(m) || m->s[0].error || m->s[1].error;
}

static void describe_stall(sim *m)
{
    char buf[400];
    int k = 0;
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        k += snprintf(buf + k, sizeof(buf) - (size_t)k,
                      "%s%s: %s, level %#x, app readable %d writable %d, wrote %zu/%zu, read "
                      "%zu/%zu, eof %d",
                      i ? "; " : "", sd->name,
                      sd->have_conn       ? synack_tcp_state_name(synack_tcp_get_state(sd->conn))
                      : sd->have_listener ? "listening"
                                          : "released",
                      sd->have_conn ? synack_tcp_events(sd->conn) : 0, sd->readable, sd->writable,
                      sd->out_sent, sd->ss->len, sd->in_read, expected_in(sd), sd->eof_count);
        if (k < 0 || (size_t)k >= sizeof(buf))
            break;
    }
    sim_fail(m, "stalled with nothing left to happen: %s", buf);
}

static void give_up(sim *m)
{
    vlog(m, "apps: the link is quiet; giving up on the peer");
    m->app_timeout = true;
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        if (sd->have_conn)
            release_conn(sd, false);
        if (sd->have_listener)
            release_listener(sd, false);
    }
}

/* Runs the link and the apps until nothing is left to happen. */
static void sim_loop(sim *m)
{
    poll_all(m);
    while (!m->failed) {
        uint64_t next = synack_memlink_next_event(m->link);
        uint64_t wake = app_next_wake(m);
        if (next == UINT64_MAX && wake == UINT64_MAX) {
            if (apps_done(m))
                return;
            if (trouble(m) && !m->app_timeout) {
                give_up(m);
                continue;
            }
            describe_stall(m);
            return;
        }
        if (wake < next)
            synack_memlink_run(m->link, wake, NULL, NULL);
        else
            synack_memlink_step(m->link);
        poll_all(m);
        if (++m->steps > MAX_STEPS || now_of(m) > MAX_VTIME) {
            sim_fail(m, "no end after %" PRIu64 " steps", m->steps);
            return;
        }
    }
}

static void stack_config(const script *sc, int i, synack_config *cfg)
{
    const side_script *ss = &sc->side[i];
    synack_config_default(cfg);
    cfg->addr = i ? ADDR_B : ADDR_A;
    cfg->mac[5] = (uint8_t)(i + 1);
    cfg->seed = sc->seed * 2 + (uint64_t)i;
    cfg->mtu = ss->mtu;
    cfg->tcp_sndbuf = ss->sndbuf;
    cfg->tcp_rcvbuf = ss->rcvbuf;
    cfg->tcp_msl_ns = MSL;
    cfg->tcp_rto_initial_ns = 300 * MS;
    cfg->tcp_rto_min_ns = 200 * MS;
    cfg->tcp_rto_max_ns = 3 * SEC;
    cfg->tcp_syn_timeout_ns = 20 * SEC;
    cfg->tcp_user_timeout_ns = 40 * SEC;
}

/* Creates the link, the stacks and the first app calls. False if an
 * allocation failure stopped it (then nothing is left to run). */
static bool sim_setup(sim *m, const script *sc, long fail_at, bool verbose)
{
    memset(m, 0, sizeof(*m));
    m->sc = sc;
    m->verbose = verbose;
    m->r.s = sc->seed ^ 0x5eed5eed5eedull;
    failalloc_init(&m->fa, fail_at);
    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    lc.seed = sc->seed;
    lc.impairments = sc->imp[0];
    assert_int_equal(synack_memlink_new(&lc, NULL, &m->link), 0);
    synack_memlink_set_tap(m->link, on_tap, m);
    synack_callbacks cb = {.tcp_event = on_tcp_event};
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        sd->m = m;
        sd->idx = i;
        sd->name = i ? "B" : "A";
        sd->ss = &sc->side[i];
        sha256_init(&sd->out_sha);
        sha256_init(&sd->in_sha);
        sd->out = malloc(sd->ss->len ? sd->ss->len : 1);
        assert_non_null(sd->out);
        rng data = {sc->seed * 31 + (uint64_t)i};
        for (size_t k = 0; k < sd->ss->len; k++)
            sd->out[k] = (uint8_t)(rng_next(&data) >> 56);
    }
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        synack_config cfg;
        stack_config(sc, i, &cfg);
        int rv = synack_memlink_attach(m->link, &cfg, &cb, &m->fa.mem, sd, &sd->stack);
        if (rv == SYNACK_ERR_NOMEM && m->fa.failed)
            return false;
        assert_int_equal(rv, 0);
        assert_int_equal(synack_memlink_set_impairments(m->link, i, &sc->imp[i]), 0);
        assert_int_equal(synack_stack_add_trace(sd->stack, on_trace, sd), 0);
    }
    side *a = &m->s[0], *b = &m->s[1];
    int rv;
    if (sc->open == OPEN_NORMAL) {
        rv = synack_tcp_listen(b->stack, 0, sc->port_b, 4, 0, &b->listener);
        vlog(m, "B app: listen on %u -> %s", sc->port_b, synack_errname(rv));
        if (rv == 0)
            b->have_listener = true;
        else if (rv == SYNACK_ERR_NOMEM)
            b->nomem++;
        else
            sim_fail(m, "listen returned %s", synack_errname(rv));
        rv = synack_tcp_connect(a->stack, ADDR_B, sc->port_b, 0, 0, &a->conn);
        vlog(m, "A app: connect to %u -> %s", sc->port_b, synack_errname(rv));
        if (rv == 0)
            a->have_conn = true;
        else if (rv == SYNACK_ERR_NOMEM)
            a->nomem++;
        else
            sim_fail(m, "connect returned %s", synack_errname(rv));
    } else {
        /* RFC 9293 3.5 Figure 8: both ends open actively at once. */
        for (int i = 0; i < 2; i++) {
            side *sd = &m->s[i];
            uint16_t mine = i ? sc->port_b : sc->port_a, theirs = i ? sc->port_a : sc->port_b;
            rv = synack_tcp_connect(sd->stack, i ? ADDR_A : ADDR_B, theirs, mine, 0, &sd->conn);
            vlog(m, "%s app: connect %u -> %u: %s", sd->name, mine, theirs, synack_errname(rv));
            if (rv == 0)
                sd->have_conn = true;
            else if (rv == SYNACK_ERR_NOMEM)
                sd->nomem++;
            else
                sim_fail(m, "connect returned %s", synack_errname(rv));
        }
    }
    return true;
}

typedef struct outcome {
    bool graceful;     /* nobody aborted, nothing failed: data checked in full */
    bool setup_failed; /* a stack could not be created (SYNACK_ERR_NOMEM) */
    bool provoked;     /* an abort, or a call that returned SYNACK_ERR_NOMEM */
    int error[2];
    uint64_t vtime;
    size_t bytes;
} outcome;

static bool tracks_closed(sim *m, side *sd)
{
    for (uint32_t id = 0; id < MAX_IDS; id++) {
        const conn_track *t = &sd->tracks[id];
        if (t->seen && t->state != SYNACK_TCP_CLOSED) {
            sim_fail(m, "%s conn %u ended in %s", sd->name, id, synack_tcp_state_name(t->state));
            return false;
        }
    }
    return true;
}

/* The end-of-run properties (the trace and the apps checked the rest as
 * they went). */
static void sim_check(sim *m, outcome *o)
{
    o->graceful = !trouble(m) && !m->app_timeout;
    o->provoked = provoked(m);
    for (int i = 0; i < 2 && !m->failed; i++) {
        side *sd = &m->s[i];
        o->error[i] = sd->error;
        if (!tracks_closed(m, sd))
            return;
        uint32_t n = synack_stack_tcp_count(sd->stack);
        if (n != 0) {
            sim_fail(m, "%s: %u connections left in the stack", sd->name, n);
            return;
        }
    }
    if (m->failed || provoked(m))
        return;
    /* Without an abort or a failed call, only a time-out may end it badly
     * (and then what was in flight is lost). */
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        if (sd->error && sd->error != SYNACK_ERR_TIMEDOUT) {
            sim_fail(m, "%s: %s with nobody aborting", sd->name, synack_errname(sd->error));
            return;
        }
    }
    if (!o->graceful)
        return;
    for (int i = 0; i < 2; i++) {
        side *sd = &m->s[i];
        const side *p = peer_of(sd);
        uint8_t din[SHA256_DIGEST_LEN], dout[SHA256_DIGEST_LEN];
        sha256_ctx in = sd->in_sha, out = p->out_sha;
        sha256_final(&in, din);
        sha256_final(&out, dout);
        if (p->out_sent != p->ss->len || sd->in_read != p->out_sent ||
            memcmp(din, dout, sizeof(din)) != 0) {
            sim_fail(m, "%s wrote %zu of %zu bytes, %s read %zu%s", p->name, p->out_sent,
                     p->ss->len, sd->name, sd->in_read,
                     memcmp(din, dout, sizeof(din)) ? ", SHA-256 differs" : "");
            return;
        }
        /* A side that waits for the end of the stream reads it once; one
         * that closes after the data may have read it before closing. */
        if (sd->ss->style != CS_AFTER_DATA && sd->eof_count != 1) {
            sim_fail(m, "%s read the end of stream %d times", sd->name, sd->eof_count);
            return;
        }
        o->bytes += sd->in_read;
    }
}

/* One whole run. Returns true if every property held; the reason is in
 * @p why otherwise. */
static bool run_script(const script *sc, long fail_at, bool verbose, outcome *o, char *why,
                       size_t whylen, long *allocs)
{
    static sim m; /* large; one run at a time */
    memset(o, 0, sizeof(*o));
    if (verbose) {
        char d[800];
        script_describe(sc, d, sizeof(d));
        printf("seed %" PRIu64 ": %s\n", sc->seed, d);
    }
    if (sim_setup(&m, sc, fail_at, verbose)) {
        sim_loop(&m);
        sim_check(&m, o);
    } else {
        o->setup_failed = true;
    }
    o->vtime = now_of(&m);
    if (allocs)
        *allocs = m.fa.count;
    for (int i = 0; i < 2; i++)
        synack_stack_del(m.s[i].stack);
    synack_memlink_del(m.link);
    if (m.fa.live != 0)
        sim_fail(&m, "%ld allocations still live after both stacks were deleted", m.fa.live);
    for (int i = 0; i < 2; i++)
        free(m.s[i].out);
    if (m.failed)
        snprintf(why, whylen, "%s", m.why);
    if (verbose)
        printf("seed %" PRIu64 ": %s (%.3f s virtual, %" PRIu64 " steps)\n", sc->seed,
               m.failed ? "FAILED" : "ok", o->vtime / 1e9, m.steps);
    return !m.failed;
}

/* ---- the tests ----------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : dflt;
}

static void report_failure(const script *sc, long fail_at, const char *why)
{
    char d[800];
    script_describe(sc, d, sizeof(d));
    if (fail_at)
        print_message("seed %" PRIu64 " fail_at %ld FAILED: %s\n  script: %s\n  replay: "
                      "SYNACK_SEED=%" PRIu64 " SYNACK_FAIL_AT=%ld %s\n",
                      sc->seed, fail_at, why, d, sc->seed, fail_at, prog);
    else
        print_message("seed %" PRIu64 " FAILED: %s\n  script: %s\n  replay: SYNACK_SEED=%" PRIu64
                      " %s\n",
                      sc->seed, why, d, sc->seed, prog);
}

static void test_lifecycle_seeds(void **state)
{
    (void)state;
    uint64_t one = env_u64("SYNACK_SEED", 0);
    if (one && getenv("SYNACK_FAIL_AT"))
        skip(); /* the allocation-failure test replays that */
    uint64_t first = one ? one : 1, count = one ? 1 : env_u64("SYNACK_SEEDS", DEFAULT_SEEDS);
    size_t failures = 0, graceful = 0, errors = 0;
    uint64_t bytes = 0, vtime = 0;
    for (uint64_t seed = first; seed < first + count; seed++) {
        script sc;
        script_make(&sc, seed);
        outcome o;
        char why[600] = "";
        if (!run_script(&sc, 0, one != 0, &o, why, sizeof(why), NULL)) {
            if (failures++ < 20)
                report_failure(&sc, 0, why);
            continue;
        }
        graceful += o.graceful;
        errors += o.error[0] != 0 || o.error[1] != 0;
        bytes += o.bytes;
        vtime += o.vtime;
    }
    print_message("%" PRIu64 " seeds: %zu failed, %zu graceful, %zu with an error; %" PRIu64
                  " bytes checked, %.0f s virtual\n",
                  count, failures, graceful, errors, bytes, vtime / 1e9);
    if (failures)
        fail_msg("%zu of %" PRIu64 " seeds failed", failures, count);
    /* The mix exercises both endings. */
    if (count >= 100) {
        assert_true(graceful >= count / 2);
        assert_true(graceful < count);
    }
}

/* The same seed gives the same run. */
static void test_seed_replays_exactly(void **state)
{
    (void)state;
    if (getenv("SYNACK_SEED"))
        skip();
    for (uint64_t seed = 7; seed < 10; seed++) {
        script sc;
        script_make(&sc, seed);
        outcome o1, o2;
        char why[600];
        long n1, n2;
        assert_true(run_script(&sc, 0, false, &o1, why, sizeof(why), &n1));
        assert_true(run_script(&sc, 0, false, &o2, why, sizeof(why), &n2));
        assert_int_equal(o1.vtime, o2.vtime);
        assert_int_equal(o1.bytes, o2.bytes);
        assert_int_equal(n1, n2);
    }
}

/* SQLite-style: every allocation of a whole scenario fails in turn. The
 * stack must not crash, must say SYNACK_ERR_NOMEM or recover by
 * retransmission, and must free everything. The scenarios are mild (no
 * loss) and small, so that each n runs in a moment. */
static void failalloc_scenario(uint64_t seed, open_mode open, close_order order, size_t len0,
                               size_t len1, long only_n)
{
    script sc;
    script_make(&sc, seed);
    sc.open = open;
    sc.order = order;
    for (int i = 0; i < 2; i++) {
        memset(&sc.imp[i], 0, sizeof(sc.imp[i]));
        sc.imp[i].delay_ns = 5 * MS;
        sc.side[i].aborts = false;
        sc.side[i].slow_reader = false;
        sc.side[i].mtu = 1500;
        sc.side[i].sndbuf = sc.side[i].rcvbuf = 8192;
    }
    sc.side[0].len = len0;
    sc.side[1].len = len1;
    switch (order) {
    case CO_CLIENT_FIRST:
        sc.side[0].style = CS_AFTER_DATA;
        sc.side[1].style = CS_AFTER_EOF;
        break;
    case CO_SERVER_FIRST:
        sc.side[0].style = CS_AFTER_EOF;
        sc.side[1].style = CS_AFTER_DATA;
        break;
    case CO_BOTH_AT_ONCE:
        sc.side[0].style = sc.side[1].style = CS_AFTER_DATA;
        break;
    default:
        sc.side[0].style = sc.side[1].style = CS_SHUTDOWN_EARLY;
        break;
    }
    outcome o;
    char why[600] = "";
    long total;
    if (only_n) {
        if (!run_script(&sc, only_n, true, &o, why, sizeof(why), &total))
            fail_msg("%s", why);
        return;
    }
    if (!run_script(&sc, 0, false, &o, why, sizeof(why), &total)) {
        report_failure(&sc, 0, why);
        fail_msg("the scenario fails without an allocation failure");
    }
    assert_true(o.graceful);
    assert_true(total > 10);
    size_t failures = 0, at_setup = 0, reported = 0, recovered = 0;
    for (long n = 1; n <= total; n++) {
        if (!run_script(&sc, n, false, &o, why, sizeof(why), NULL)) {
            if (failures++ < 10)
                report_failure(&sc, n, why);
            continue;
        }
        /* Each failure was either told to the caller or made good. */
        if (o.setup_failed)
            at_setup++;
        else if (o.provoked)
            reported++;
        else if (o.graceful)
            recovered++;
        else if (failures++ < 10)
            report_failure(&sc, n, "neither reported nor recovered");
    }
    print_message("seed %" PRIu64 " (%s, %s): %ld allocations, each failed in turn: %zu runs "
                  "failed; NOMEM from stack creation %zu, from a call %zu; recovered %zu\n",
                  seed, open == OPEN_NORMAL ? "normal" : "simultaneous", order_names[order], total,
                  failures, at_setup, reported, recovered);
    if (failures)
        fail_msg("%zu allocation-failure runs failed", failures);
}

static void test_failalloc_every_allocation(void **state)
{
    (void)state;
    uint64_t one = env_u64("SYNACK_SEED", 0);
    long only_n = (long)env_u64("SYNACK_FAIL_AT", 0);
    if (one && !only_n)
        skip();
    static const struct {
        open_mode open;
        close_order order;
        size_t len0, len1;
    } cases[] = {
        {OPEN_NORMAL, CO_CLIENT_FIRST, 3000, 20000},
        {OPEN_NORMAL, CO_SERVER_FIRST, 20000, 100},
        {OPEN_SIMULTANEOUS, CO_BOTH_AT_ONCE, 5000, 5000},
        {OPEN_NORMAL, CO_SHUTDOWN_READ, 10000, 10000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t seed = 1000 + i;
        if (one && one != seed)
            continue;
        failalloc_scenario(seed, cases[i].open, cases[i].order, cases[i].len0, cases[i].len1,
                           one ? only_n : 0);
    }
}

int main(int argc, char **argv)
{
    (void)argc;
    prog = argv[0];
    legal_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lifecycle_seeds),
        cmocka_unit_test(test_seed_replays_exactly),
        cmocka_unit_test(test_failalloc_every_allocation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
