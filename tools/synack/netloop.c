/* A stack on a TUN/TAP device, run until the command is done: what serve,
 * connect and get share. */
#include "netloop.h"
#include "liveladder.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's queue towards a device we configure (tun.h: tx_queue_len). */
#define NL_TX_QUEUE_LEN 4096

/* ---- options -------------------------------------------------------------- */

bool nl_take(nl_cursor *c, const char *lng, const char *shrt)
{
    const char *a = c->argv[c->i];
    size_t n = strlen(lng);
    c->name = lng;
    if (strncmp(a, lng, n) == 0 && a[n] == '=') {
        c->val = a + n + 1;
        return true;
    }
    if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
        c->val = c->i + 1 < c->argc ? c->argv[++c->i] : NULL;
        return true;
    }
    return false;
}

bool nl_flag(nl_cursor *c, const char *lng, const char *shrt)
{
    const char *a = c->argv[c->i];
    c->name = lng;
    c->val = a;
    return strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0);
}

void nl_opts_default(nl_opts *o)
{
    memset(o, 0, sizeof(*o));
    strcpy(o->dev, "synack0");
    o->link = SYNACK_LINK_IP;
    o->addr = 0x0a070002; /* 10.7.0.2/24 */
    o->prefix_len = 24;
    cli_ladder_opts_default(&o->ladder);
}

static bool valid_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SYNACK_TUN_NAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] == 0x7f)
            return false;
    return true;
}

int nl_parse_common(nl_opts *o, const cli_cmd *cmd, nl_cursor *c)
{
    bool ok;
    int rv;
    if (nl_take(c, "--tun", NULL) || nl_take(c, "--tap", NULL)) {
        ok = c->val && valid_ifname(c->val);
        if (ok) {
            strcpy(o->dev, c->val);
            o->link = strcmp(c->name, "--tap") == 0 ? SYNACK_LINK_ETHERNET : SYNACK_LINK_IP;
        }
    } else if (nl_take(c, "--addr", NULL)) {
        ok = c->val && synack_ipv4_parse_cidr(c->val, &o->addr, &o->prefix_len) == 0;
    } else if (nl_take(c, "--peer-addr", NULL)) {
        ok = c->val && synack_ipv4_parse_cidr(c->val, &o->peer, &o->peer_prefix_len) == 0;
        ok = ok && o->peer != 0;
    } else if (nl_take(c, "--mtu", NULL)) {
        uint64_t v = 0;
        ok = c->val && cli_parse_u64(c->val, &v) == 0 && v >= 576 && v <= 9000;
        o->mtu = (uint16_t)v;
    } else if (nl_take(c, "--pcap", NULL)) {
        ok = c->val && *(o->pcap_path = c->val);
    } else if (nl_flag(c, "--stats", NULL)) {
        return o->stats = true;
    } else if ((rv = cli_parse_ladder_opt(&o->ladder, cmd, c->argc, c->argv, &c->i))) {
        return rv;
    } else if (nl_flag(c, "--verbose", "-v")) {
        return o->verbose = true;
    } else {
        return 0;
    }
    if (!c->val)
        return cli_usage_error(cmd, "option %s needs a value", c->name);
    if (!ok)
        return cli_usage_error(cmd, "bad value '%s' for %s", c->val, c->name);
    return 1;
}

int nl_check_common(const nl_opts *o, const cli_cmd *cmd)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = o->addr;
    cfg.prefix_len = o->prefix_len;
    const char *why = NULL;
    if (synack_config_check(&cfg, &why) < 0) {
        char a[16];
        return cli_usage_error(cmd, "--addr %s/%u: %s", synack_ipv4_format(o->addr, a),
                               o->prefix_len, why + strlen("addr: "));
    }
    if (o->peer && o->peer == o->addr)
        return cli_usage_error(cmd, "--addr and --peer-addr must differ");
    return cli_check_ladder_opts(&o->ladder, cmd);
}

/* ---- signals and descriptors --------------------------------------------------- */

/* A signal handler can only reach a static: the one piece of global state
 * in the program, and only ever incremented. */
static volatile sig_atomic_t signals_seen;

static void on_signal(int sig)
{
    (void)sig;
    if (signals_seen < 100)
        signals_seen++;
}

unsigned nl_signals(void)
{
    return (unsigned)signals_seen;
}

/* Descriptors made non-blocking, to restore at exit: 0, 1 and 2 at most. */
static int saved_flags[3] = {-1, -1, -1};

void nl_nonblock(int fd)
{
    struct stat st;
    if (fd < 0 || fd > 2 || fstat(fd, &st) < 0 || !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
        return;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK))
        return;
    if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0)
        saved_flags[fd] = fl;
}

void nl_restore_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (saved_flags[fd] >= 0)
            fcntl(fd, F_SETFL, saved_flags[fd]);
        saved_flags[fd] = -1;
    }
}

/* ---- the stack on the device ------------------------------------------------- */

static int on_output(void *user, const uint8_t *frame, size_t len, uint64_t now)
{
    (void)now;
    netloop *nl = user;
    return synack_tun_write(nl->tun, frame, len);
}

static void on_tcp_event(void *user, synack_tcp *conn, uint32_t events)
{
    netloop *nl = user;
    if (nl->on_event)
        nl->on_event(nl->user, conn, events);
}

static void on_trace(void *user, const synack_trace_event *ev)
{
    netloop *nl = user;
    /* Connections only: a listener has no remote end. */
    if (ev->kind != SYNACK_TRACE_TCP_STATE || ev->remote_port == 0)
        return;
    char l[24], r[24];
    fprintf(stderr, "synack %s: [%u] %s > %s %s -> %s\n", nl->cmd, ev->conn_id,
            nl_endpoint(ev->local_addr, ev->local_port, l),
            nl_endpoint(ev->remote_addr, ev->remote_port, r), synack_tcp_state_name(ev->old_state),
            synack_tcp_state_name(ev->new_state));
}

const char *nl_endpoint(synack_ipv4 addr, uint16_t port, char *buf)
{
    char a[16];
    snprintf(buf, 22, "%s:%u", synack_ipv4_format(addr, a), port);
    return buf;
}

bool nl_conn_done(const synack_tcp *c)
{
    synack_tcp_state s = synack_tcp_get_state(c);
    return s == SYNACK_TCP_CLOSED || s == SYNACK_TCP_TIME_WAIT;
}

/* Real peers see our ISNs and ports: seed and key the stack from the
 * kernel's generator rather than the reproducible default. */
static void seed_randomly(synack_config *cfg)
{
    uint8_t r[24];
    if (getrandom(r, sizeof(r), 0) == (ssize_t)sizeof(r)) {
        memcpy(&cfg->seed, r, 8);
        memcpy(cfg->secret, r + 8, 16);
    } else {
        cfg->seed = synack_tun_now() ^ (uint64_t)getpid() << 32;
    }
}

static int open_device(netloop *nl)
{
    const nl_opts *o = nl->o;
    synack_tun_config tcfg;
    synack_tun_config_default(&tcfg);
    strcpy(tcfg.name, o->dev);
    tcfg.link = o->link;
    tcfg.peer_addr = o->peer;
    tcfg.peer_prefix_len = o->peer_prefix_len;
    tcfg.up = o->peer != 0;
    tcfg.mtu = o->mtu;
    /* A device we configure gets a queue deep enough for the ACKs the
     * kernel sends back during one of our bursts (500 loses ACKs as soon
     * as a few dozen connections send a window each; see tun.h). */
    if (o->peer)
        tcfg.tx_queue_len = NL_TX_QUEUE_LEN;
    char why[256];
    int rv = synack_tun_open(&tcfg, NULL, &nl->tun, why, sizeof(why));
    if (rv == 0)
        return 0;
    fprintf(stderr, "synack %s: %s\n", nl->cmd, why);
    /* Cannot run here (no privilege, no TUN support) vs. failed. */
    return rv == SYNACK_ERR_PERM || rv == SYNACK_ERR_UNSUPPORTED ? 77 : CLI_EXIT_FAILURE;
}

int nl_start(netloop *nl, const nl_opts *o, const char *cmd, synack_tcp_event_fn on_event,
             void *user)
{
    memset(nl, 0, sizeof(*nl));
    nl->o = o;
    nl->cmd = cmd;
    nl->on_event = on_event;
    nl->user = user;
    int rv = open_device(nl);
    if (rv)
        return rv;

    synack_config cfg;
    synack_config_default(&cfg);
    cfg.link = synack_tun_link(nl->tun);
    cfg.addr = o->addr;
    cfg.prefix_len = o->prefix_len;
    uint16_t mtu = synack_tun_mtu(nl->tun);
    cfg.mtu = mtu < 576 ? 576 : mtu > 9000 ? 9000 : mtu;
    /* Off-link destinations go to the kernel, which routes them. */
    synack_ipv4 mask = o->prefix_len ? 0xffffffffu << (32 - o->prefix_len) : 0;
    if (o->peer && o->prefix_len > 0 && o->prefix_len < 32 && ((o->peer ^ o->addr) & mask) == 0)
        cfg.gateway = o->peer;
    seed_randomly(&cfg);
    synack_callbacks cb = {.output = on_output, .tcp_event = on_tcp_event};
    rv = synack_stack_new(&cfg, &cb, NULL, nl, synack_tun_now(), &nl->stack);
    if (rv < 0) {
        fprintf(stderr, "synack %s: cannot create the stack: %s\n", cmd, synack_strerror(rv));
        nl_finish(nl);
        return CLI_EXIT_FAILURE;
    }
    if (o->pcap_path) {
        uint32_t lt =
            cfg.link == SYNACK_LINK_IP ? SYNACK_PCAP_LINKTYPE_RAW : SYNACK_PCAP_LINKTYPE_ETHERNET;
        rv = synack_pcap_open(o->pcap_path, lt, 0, NULL, &nl->pcap);
        if (rv < 0) {
            fprintf(stderr, "synack %s: cannot write %s: %s\n", cmd, o->pcap_path,
                    rv == SYNACK_ERR_IO ? strerror(errno) : synack_strerror(rv));
            nl_finish(nl);
            return CLI_EXIT_FAILURE;
        }
        synack_stack_add_trace(nl->stack, synack_pcap_trace, nl->pcap);
    }
    if (o->verbose)
        synack_stack_add_trace(nl->stack, on_trace, nl);
    if (o->ladder.on) {
        bool tty = !o->ladder.out && isatty(STDERR_FILENO);
        live_ladder_opts lo = {
            .cmd = cmd,
            .format = (ladder_format)o->ladder.format,
            .path = o->ladder.out,
            .stream = stderr,
            .style = {.unicode = tty, .color = tty, .max = (size_t)o->ladder.max},
        };
        nl->ladder = live_ladder_new(cfg.link, &lo);
        if (!nl->ladder) {
            fprintf(stderr, "synack %s: cannot write %s: %s\n", cmd,
                    o->ladder.out ? o->ladder.out : "the ladders", strerror(errno));
            nl_finish(nl);
            return CLI_EXIT_FAILURE;
        }
        synack_stack_add_trace(nl->stack, live_ladder_trace, nl->ladder);
    }
    return 0;
}

int nl_run(netloop *nl, synack_tun_hook_fn hook, void *user, struct pollfd *fds, size_t nfds)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an EPIPE to report, not death */

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);

    nl->loop.hook = hook;
    nl->loop.user_data = user;
    nl->loop.fds = fds;
    nl->loop.nfds = nfds;
    nl->loop.sigmask = &old;
    nl->loop.stop = NULL;
    int rv = synack_tun_run(nl->tun, nl->stack, &nl->loop);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (rv < 0) {
        fprintf(stderr, "synack %s: %s on %s: %s\n", nl->cmd, synack_strerror(rv),
                synack_tun_name(nl->tun), strerror(errno));
        return -1;
    }
    return rv;
}

static void print_stats(const netloop *nl)
{
    if (nl->stack) {
        const synack_stats *s = synack_stack_stats(nl->stack);
        fprintf(stderr, "stack counters (non-zero):\n");
        for (size_t i = 0; i < synack_stats_count(); i++) {
            uint64_t v = synack_stats_value(s, i);
            if (v)
                fprintf(stderr, "  %-28s %12llu  %s\n", synack_stats_name(i), (unsigned long long)v,
                        synack_stats_desc(i));
        }
    }
    if (nl->tun) {
        const synack_tun_stats *t = synack_tun_get_stats(nl->tun);
        fprintf(stderr, "device %s:\n", synack_tun_name(nl->tun));
#define NL_TUN_STAT(f) fprintf(stderr, "  %-28s %12llu\n", #f, (unsigned long long)t->f)
        NL_TUN_STAT(frames_read);
        NL_TUN_STAT(bytes_read);
        NL_TUN_STAT(frames_written);
        NL_TUN_STAT(bytes_written);
        NL_TUN_STAT(read_batches);
        NL_TUN_STAT(write_bursts);
        NL_TUN_STAT(write_errors);
        NL_TUN_STAT(queue_full);
        NL_TUN_STAT(oversize);
#undef NL_TUN_STAT
    }
}

int nl_finish(netloop *nl)
{
    int rv = 0;
    if (nl->o->stats)
        print_stats(nl);
    if (nl->pcap && synack_pcap_close(nl->pcap) < 0) {
        fprintf(stderr, "synack %s: writing %s failed\n", nl->cmd, nl->o->pcap_path);
        rv = CLI_EXIT_FAILURE;
    }
    nl->pcap = NULL;
    /* The last frames (a final ACK) go out before the device goes away. */
    if (nl->tun)
        synack_tun_flush(nl->tun);
    synack_stack_del(nl->stack);
    nl->stack = NULL;
    /* After the stack: it may still report connections closing. */
    if (live_ladder_finish(nl->ladder) < 0)
        rv = CLI_EXIT_FAILURE;
    nl->ladder = NULL;
    synack_tun_close(nl->tun);
    nl->tun = NULL;
    nl_restore_fds();
    return rv;
}
