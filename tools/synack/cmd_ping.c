/* synack ping: two stacks on a memlink, one pinging the other, in virtual
 * time. Prints what ping(8) would, so the simulated numbers read like the
 * real ones; the same seed always prints the same lines. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "synack/synack.h"

#define NS_PER_MS 1000000ull

const char cmd_ping_usage[] =
    "usage: synack ping [OPTIONS]\n"
    "\n"
    "Runs two stacks on a simulated link (memlink) and pings one from the\n"
    "other, in virtual time: the run takes milliseconds whatever the interval.\n"
    "\n"
    "  --src ADDR          address of the pinging stack (default 10.0.0.1)\n"
    "  --dst ADDR          address of the pinged stack, in the same /24\n"
    "                      (default 10.0.0.2)\n"
    "  -c, --count N       echo requests to send, 1..65535 (default 5)\n"
    "  -i, --interval MS   between requests (default 1000)\n"
    "  -s, --size BYTES    payload bytes per request, 0..1472 (default 56)\n"
    "  -W, --wait MS       how long to wait for replies after the last\n"
    "                      request (default 2000)\n"
    "  --loss P            probability each frame is lost, 0..1 or 0%..100%\n"
    "                      (default 0)\n"
    "  --delay MS          one-way delay (default 5)\n"
    "  --jitter MS         extra uniform one-way delay, 0..MS (default 0)\n"
    "  --seed N            seed of the link and the stacks (default 1)\n"
    "  --pcap FILE         write every frame sent on the link to FILE\n"
    "\n"
    "Exit status: 0 if at least one reply arrived, 1 if none did, 2 for bad\n"
    "arguments.\n";

/* For cli_usage_error; main.c's table holds the same name and usage. */
static const cli_cmd ping_cmd = {"ping", NULL, cmd_ping_usage, NULL};

typedef struct ping_opts {
    synack_ipv4 src, dst;
    uint64_t count, interval_ns, size, wait_ns, delay_ns, jitter_ns, seed;
    double loss;
    const char *pcap_path;
} ping_opts;

#define PING_MAX_SIZE 1472 /* default MTU 1500 - 20 (IPv4) - 8 (ICMP) */

typedef struct ping_run {
    const ping_opts *o;
    uint64_t *sent_at; /* per seq (1-based); UINT64_MAX until sent */
    uint32_t *replies; /* replies seen per seq */
    uint64_t received; /* distinct seqs answered */
    uint64_t sent;     /* requests handed to the stack */
    uint16_t id;
    int last_ttl; /* TTL of the last frame delivered to the pinger */
    uint8_t *payload;
    double rtt_sum, rtt_sum2;
    uint64_t rtt_min, rtt_max;
    synack_pcap *pcap;
} ping_run;

/* ---- options ------------------------------------------------------------ */

typedef struct opt_cursor {
    int argc, i;
    char **argv;
    const char *name; /* the option matched, for messages */
    const char *val;  /* its value, NULL if missing */
} opt_cursor;

/* Matches the current argument against a long name (and short alias),
 * taking the value from "--name=VALUE" or from the next argument. */
static bool take_opt(opt_cursor *c, const char *lng, const char *shrt)
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

static int parse_args(int argc, char **argv, ping_opts *o)
{
    o->src = 0x0a000001;
    o->dst = 0x0a000002;
    o->count = 5;
    o->interval_ns = 1000 * NS_PER_MS;
    o->size = 56;
    o->wait_ns = 2000 * NS_PER_MS;
    o->delay_ns = 5 * NS_PER_MS;
    o->jitter_ns = 0;
    o->seed = 1;
    o->loss = 0.0;
    o->pcap_path = NULL;

    opt_cursor c = {.argc = argc, .argv = argv};
    for (c.i = 1; c.i < argc; c.i++) {
        const char *arg = argv[c.i];
        bool ok;
        if (take_opt(&c, "--src", NULL))
            ok = c.val && synack_ipv4_parse(c.val, &o->src) == 0;
        else if (take_opt(&c, "--dst", NULL))
            ok = c.val && synack_ipv4_parse(c.val, &o->dst) == 0;
        else if (take_opt(&c, "--count", "-c"))
            ok =
                c.val && cli_parse_u64(c.val, &o->count) == 0 && o->count >= 1 && o->count <= 65535;
        else if (take_opt(&c, "--interval", "-i"))
            ok = c.val && cli_parse_ms(c.val, &o->interval_ns) == 0;
        else if (take_opt(&c, "--size", "-s"))
            ok = c.val && cli_parse_u64(c.val, &o->size) == 0 && o->size <= PING_MAX_SIZE;
        else if (take_opt(&c, "--wait", "-W"))
            ok = c.val && cli_parse_ms(c.val, &o->wait_ns) == 0;
        else if (take_opt(&c, "--loss", NULL))
            ok = c.val && cli_parse_prob(c.val, &o->loss) == 0;
        else if (take_opt(&c, "--delay", NULL))
            ok = c.val && cli_parse_ms(c.val, &o->delay_ns) == 0;
        else if (take_opt(&c, "--jitter", NULL))
            ok = c.val && cli_parse_ms(c.val, &o->jitter_ns) == 0;
        else if (take_opt(&c, "--seed", NULL))
            ok = c.val && cli_parse_u64(c.val, &o->seed) == 0;
        else if (take_opt(&c, "--pcap", NULL))
            ok = c.val && *(o->pcap_path = c.val);
        else if (arg[0] == '-')
            return cli_usage_error(&ping_cmd, "unknown option '%s'", arg);
        else
            return cli_usage_error(&ping_cmd, "unexpected argument '%s'", arg);
        if (!c.val)
            return cli_usage_error(&ping_cmd, "option %s needs a value", c.name);
        if (!ok)
            return cli_usage_error(&ping_cmd, "bad value '%s' for %s", c.val, c.name);
    }
    if (o->src == o->dst)
        return cli_usage_error(&ping_cmd, "--src and --dst must differ");
    if ((o->src ^ o->dst) & 0xffffff00u)
        return cli_usage_error(&ping_cmd, "--src and --dst must be in the same /24");
    return 0;
}

/* ---- callbacks ---------------------------------------------------------- */

static void print_ms(uint64_t ns)
{
    printf("%llu.%03llu", (unsigned long long)(ns / NS_PER_MS),
           (unsigned long long)(ns % NS_PER_MS / 1000));
}

/* "10", "2.5": milliseconds without trailing zeros, for option echoes. */
static void print_ms_short(uint64_t ns)
{
    printf("%llu", (unsigned long long)(ns / NS_PER_MS));
    uint64_t frac = ns % NS_PER_MS;
    if (frac) {
        char digits[8];
        snprintf(digits, sizeof(digits), "%06llu", (unsigned long long)frac);
        for (int i = 5; i > 0 && digits[i] == '0'; i--)
            digits[i] = 0;
        printf(".%s", digits);
    }
}

static void on_echo_reply(void *user_data, synack_ipv4 from, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len, uint64_t now)
{
    ping_run *r = user_data;
    if (id != r->id || seq == 0 || seq > r->o->count || r->sent_at[seq] == UINT64_MAX)
        return; /* not one of ours */
    char addr[16];
    uint64_t rtt = now - r->sent_at[seq];
    printf("%zu bytes from %s: icmp_seq=%u ttl=%d time=", len + 8, synack_ipv4_format(from, addr),
           seq, r->last_ttl);
    print_ms(rtt);
    printf(" ms");
    if (len != r->o->size || (len && memcmp(payload, r->payload, len) != 0))
        printf(" (BAD DATA)");
    if (r->replies[seq]++) {
        printf(" (DUP!)\n");
        return;
    }
    printf("\n");
    r->received++;
    double ms = (double)rtt / 1e6;
    r->rtt_sum += ms;
    r->rtt_sum2 += ms * ms;
    if (r->received == 1 || rtt < r->rtt_min)
        r->rtt_min = rtt;
    if (rtt > r->rtt_max)
        r->rtt_max = rtt;
}

/* The reply callback carries no TTL, so read it off the frame the link
 * hands to the pinger (port 0) just before the stack sees it. */
static void on_tap(void *user_data, synack_memlink_event ev, int from_port, int to_port,
                   const uint8_t *frame, size_t len, uint64_t now)
{
    ping_run *r = user_data;
    if (r->pcap)
        synack_pcap_memlink_tap(r->pcap, ev, from_port, to_port, frame, len, now);
    /* Ethernet (14) + IPv4: EtherType 0x0800, TTL at IP offset 8. */
    if (ev == SYNACK_MEMLINK_DELIVERED && to_port == 0 && len >= 14 + 20 && frame[12] == 0x08 &&
        frame[13] == 0x00)
        r->last_ttl = frame[14 + 8];
}

static bool all_answered(void *user_data)
{
    const ping_run *r = user_data;
    return r->received == r->sent;
}

/* ---- the run ------------------------------------------------------------ */

static int make_stack(synack_memlink *link, synack_ipv4 addr, uint8_t mac_last, uint64_t seed,
                      ping_run *r, synack_stack **out)
{
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = addr;
    cfg.prefix_len = 24;
    cfg.mac[5] = mac_last;
    cfg.seed = seed;
    synack_callbacks cb = {.echo_reply = on_echo_reply};
    return synack_memlink_attach(link, &cfg, &cb, NULL, r, out);
}

static void print_header(const ping_opts *o)
{
    char src[16], dst[16];
    printf("PING %s from %s: %llu data bytes (memlink: loss %g%%, delay ",
           synack_ipv4_format(o->dst, dst), synack_ipv4_format(o->src, src),
           (unsigned long long)o->size, o->loss * 100.0);
    print_ms_short(o->delay_ns);
    if (o->jitter_ns) {
        printf(" ms, jitter ");
        print_ms_short(o->jitter_ns);
    }
    printf(" ms, seed %llu)\n", (unsigned long long)o->seed);
}

static void print_summary(const ping_run *r, uint64_t elapsed_ns)
{
    char addr[16];
    printf("\n--- %s ping statistics ---\n", synack_ipv4_format(r->o->dst, addr));
    double loss =
        r->o->count ? 100.0 * (double)(r->o->count - r->received) / (double)r->o->count : 0.0;
    printf("%llu packets transmitted, %llu received, %g%% packet loss, time %llums\n",
           (unsigned long long)r->o->count, (unsigned long long)r->received, loss,
           (unsigned long long)(elapsed_ns / NS_PER_MS));
    if (r->received) {
        double n = (double)r->received, avg = r->rtt_sum / n;
        double var = r->rtt_sum2 / n - avg * avg;
        printf("rtt min/avg/max/mdev = ");
        print_ms(r->rtt_min);
        printf("/%.3f/", avg);
        print_ms(r->rtt_max);
        printf("/%.3f ms\n", var > 0 ? sqrt(var) : 0.0);
    }
}

static int run_ping(const ping_opts *o, ping_run *r)
{
    synack_memlink_config lcfg;
    synack_memlink_config_default(&lcfg);
    lcfg.seed = o->seed;
    lcfg.max_ports = 2;
    lcfg.impairments.loss = o->loss;
    lcfg.impairments.delay_ns = o->delay_ns;
    lcfg.impairments.jitter_ns = o->jitter_ns;
    synack_memlink *link = NULL;
    synack_stack *a = NULL, *b = NULL;
    int rv = synack_memlink_new(&lcfg, NULL, &link);
    if (rv == 0)
        rv = make_stack(link, o->src, 1, o->seed, r, &a);
    if (rv == 0)
        rv = make_stack(link, o->dst, 2, o->seed + 1, r, &b);
    if (rv < 0) {
        fprintf(stderr, "synack ping: cannot set up the link: %s\n", synack_strerror(rv));
        goto out;
    }
    synack_memlink_set_tap(link, on_tap, r);
    r->id = (uint16_t)synack_stack_random(a);

    print_header(o);
    uint64_t start = synack_memlink_now(link);
    for (uint64_t seq = 1; seq <= o->count; seq++) {
        synack_memlink_run(link, start + (seq - 1) * o->interval_ns, NULL, NULL);
        uint64_t now = synack_memlink_now(link);
        r->sent_at[seq] = now;
        r->sent++;
        int err = synack_icmp_echo_send(a, o->dst, r->id, (uint16_t)seq, r->payload, o->size, now);
        if (err < 0)
            fprintf(stderr, "synack ping: icmp_seq=%llu not sent: %s\n", (unsigned long long)seq,
                    synack_strerror(err));
    }
    synack_memlink_run(link, synack_memlink_now(link) + o->wait_ns, all_answered, r);
    print_summary(r, synack_memlink_now(link) - start);
    rv = 0;
out:
    synack_stack_del(a);
    synack_stack_del(b);
    synack_memlink_del(link);
    return rv;
}

int cmd_ping(int argc, char **argv)
{
    ping_opts o;
    int rv = parse_args(argc, argv, &o);
    if (rv)
        return rv;

    ping_run r;
    memset(&r, 0, sizeof(r));
    r.o = &o;
    r.last_ttl = -1;
    r.sent_at = malloc((o.count + 1) * sizeof(*r.sent_at));
    r.replies = calloc(o.count + 1, sizeof(*r.replies));
    r.payload = malloc(o.size ? o.size : 1);
    if (!r.sent_at || !r.replies || !r.payload) {
        fprintf(stderr, "synack ping: out of memory\n");
        rv = CLI_EXIT_FAILURE;
        goto out;
    }
    for (uint64_t i = 0; i <= o.count; i++)
        r.sent_at[i] = UINT64_MAX;
    /* Like ping(8), a recognisable pattern the reply must echo back. */
    for (uint64_t i = 0; i < o.size; i++)
        r.payload[i] = (uint8_t)(0x10 + i);
    if (o.pcap_path) {
        rv = synack_pcap_open(o.pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &r.pcap);
        if (rv < 0) {
            fprintf(stderr, "synack ping: cannot write %s: %s\n", o.pcap_path,
                    rv == SYNACK_ERR_IO ? strerror(errno) : synack_strerror(rv));
            rv = CLI_EXIT_FAILURE;
            goto out;
        }
    }
    rv =
        run_ping(&o, &r) < 0 ? CLI_EXIT_FAILURE : (r.received > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE);
    if (r.pcap && synack_pcap_close(r.pcap) < 0) {
        fprintf(stderr, "synack ping: writing %s failed\n", o.pcap_path);
        rv = CLI_EXIT_FAILURE;
    }
    r.pcap = NULL;
out:
    synack_pcap_close(r.pcap);
    free(r.sent_at);
    free(r.replies);
    free(r.payload);
    return rv;
}
