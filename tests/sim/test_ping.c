/* Two whole stacks on a lossy memlink: 10.0.0.1 pings 10.0.0.2. Checks that
 * ARP comes first, that the replies are the right ones, that every counter
 * of both stacks agrees with what the link delivered and lost, that a seed
 * replays exactly, and that tshark finds nothing wrong in the capture. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "synack/synack.h"

#define MS       1000000ull
#define SEC      1000000000ull
#define ADDR_A   0x0a000001u
#define ADDR_B   0x0a000002u
#define PING_ID  0x1234
#define NPINGS   20
#define DATA_LEN 56

/* ---- what a frame is, read straight from the bytes ---------------------- */

typedef enum kind {
    K_OTHER,
    K_ARP_REQUEST,
    K_ARP_REPLY,
    K_ECHO_REQUEST,
    K_ECHO_REPLY,
} kind;

static kind classify(const uint8_t *f, size_t len)
{
    if (len < 14)
        return K_OTHER;
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    if (type == 0x0806 && len >= 14 + 28) {
        uint16_t op = (uint16_t)(f[20] << 8 | f[21]);
        return op == 1 ? K_ARP_REQUEST : op == 2 ? K_ARP_REPLY : K_OTHER;
    }
    if (type == 0x0800 && len >= 14 + 20 + 8 && f[14 + 9] == 1) {
        size_t ihl = (size_t)(f[14] & 0x0f) * 4;
        if (len < 14 + ihl + 8)
            return K_OTHER;
        uint8_t t = f[14 + ihl];
        return t == 8 ? K_ECHO_REQUEST : t == 0 ? K_ECHO_REPLY : K_OTHER;
    }
    return K_OTHER;
}

/* ---- one simulated run -------------------------------------------------- */

typedef struct reply {
    synack_ipv4 from;
    uint16_t id, seq;
    bool payload_ok;
    uint64_t now;
} reply;

typedef struct sim {
    synack_memlink *link;
    synack_stack *a, *b;
    synack_pcap *pcap;
    reply replies[4 * NPINGS];
    size_t nreplies;
    uint8_t data[DATA_LEN];
    /* From the tap: */
    uint64_t hash;
    size_t nsent;
    kind first_sent[4];
    int first_sent_port[4];
    size_t sent[2][5];      /* [port][kind] */
    size_t delivered[2][5]; /* [to port][kind] */
    /* Order: when A first sent an echo request and first got an ARP reply. */
    long first_echo_sent_at, first_arp_reply_in_at;
    long events;
} sim;

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211ull;
}

static void sim_tap(void *ud, synack_memlink_event ev, int from, int to, const uint8_t *frame,
                    size_t len, uint64_t now)
{
    sim *s = ud;
    if (s->pcap)
        synack_pcap_memlink_tap(s->pcap, ev, from, to, frame, len, now);
    int hdr[3] = {(int)ev, from, to};
    fnv(&s->hash, hdr, sizeof(hdr));
    fnv(&s->hash, &now, sizeof(now));
    fnv(&s->hash, frame, len);
    kind k = classify(frame, len);
    s->events++;
    if (ev == SYNACK_MEMLINK_SENT) {
        if (s->nsent < 4) {
            s->first_sent[s->nsent] = k;
            s->first_sent_port[s->nsent] = from;
        }
        s->nsent++;
        s->sent[from][k]++;
        if (from == 0 && k == K_ECHO_REQUEST && s->first_echo_sent_at < 0)
            s->first_echo_sent_at = s->events;
    } else if (ev == SYNACK_MEMLINK_DELIVERED) {
        s->delivered[to][k]++;
        if (to == 0 && k == K_ARP_REPLY && s->first_arp_reply_in_at < 0)
            s->first_arp_reply_in_at = s->events;
    }
}

static void on_echo_reply(void *ud, synack_ipv4 from, uint16_t id, uint16_t seq,
                          const uint8_t *payload, size_t len, uint64_t now)
{
    sim *s = ud;
    assert_true(s->nreplies < sizeof(s->replies) / sizeof(s->replies[0]));
    reply *r = &s->replies[s->nreplies++];
    r->from = from;
    r->id = id;
    r->seq = seq;
    r->now = now;
    r->payload_ok = len == DATA_LEN && memcmp(payload, s->data, DATA_LEN) == 0;
}

static void sim_setup(sim *s, uint64_t seed, const synack_impairments *imp, const char *pcap_path)
{
    memset(s, 0, sizeof(*s));
    s->hash = 1469598103934665603ull;
    s->first_echo_sent_at = s->first_arp_reply_in_at = -1;
    for (size_t i = 0; i < DATA_LEN; i++)
        s->data[i] = (uint8_t)(0x10 + i);

    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    lc.seed = seed;
    lc.impairments = *imp;
    assert_int_equal(synack_memlink_new(&lc, NULL, &s->link), 0);

    synack_callbacks cb = {.echo_reply = on_echo_reply};
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = ADDR_A;
    cfg.mac[5] = 0x01;
    cfg.seed = seed;
    assert_int_equal(synack_memlink_attach(s->link, &cfg, &cb, NULL, s, &s->a), 0);
    cfg.addr = ADDR_B;
    cfg.mac[5] = 0x02;
    cfg.seed = seed + 1000;
    assert_int_equal(synack_memlink_attach(s->link, &cfg, &cb, NULL, s, &s->b), 0);

    if (pcap_path)
        assert_int_equal(
            synack_pcap_open(pcap_path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &s->pcap), 0);
    synack_memlink_set_tap(s->link, sim_tap, s);
}

static void sim_teardown(sim *s)
{
    synack_stack_del(s->a);
    synack_stack_del(s->b);
    synack_memlink_del(s->link);
    if (s->pcap)
        assert_int_equal(synack_pcap_close(s->pcap), 0);
}

/* NPINGS echo requests one second apart, then five seconds for stragglers. */
static void sim_ping(sim *s)
{
    for (uint16_t seq = 1; seq <= NPINGS; seq++) {
        synack_memlink_run(s->link, (uint64_t)(seq - 1) * SEC, NULL, NULL);
        uint64_t now = synack_memlink_now(s->link);
        assert_int_equal(now, (uint64_t)(seq - 1) * SEC);
        int rv = synack_icmp_echo_send(s->a, ADDR_B, PING_ID, seq, s->data, DATA_LEN, now);
        /* While ARP is unanswered only arp_queue_len requests can wait. */
        if (rv != 0)
            assert_int_equal(rv, SYNACK_ERR_NOBUFS);
    }
    synack_memlink_run(s->link, (NPINGS + 5) * SEC, NULL, NULL);
}

static void check_sim(const sim *s, const char *what)
{
    const synack_stats *a = synack_stack_stats(s->a), *b = synack_stack_stats(s->b);
    const synack_memlink_stats *ls = synack_memlink_stats_get(s->link);

    /* ARP first: A's broadcast request opens the capture, and A sends no
     * echo request before an ARP reply has reached it. */
    assert_true(s->nsent >= 2);
    assert_int_equal(s->first_sent[0], K_ARP_REQUEST);
    assert_int_equal(s->first_sent_port[0], 0);
    assert_true(s->first_arp_reply_in_at > 0);
    if (s->first_echo_sent_at >= 0)
        assert_true(s->first_echo_sent_at > s->first_arp_reply_in_at);

    /* Every reply is one of ours, once, with the payload we sent. */
    bool seen[NPINGS + 1] = {false};
    for (size_t i = 0; i < s->nreplies; i++) {
        const reply *r = &s->replies[i];
        assert_int_equal(r->from, ADDR_B);
        assert_int_equal(r->id, PING_ID);
        assert_in_range(r->seq, 1, NPINGS);
        assert_false(seen[r->seq]);
        seen[r->seq] = true;
        assert_true(r->payload_ok);
    }

    /* The stacks' counters agree with what the link did. */
    assert_int_equal(ls->sent, a->frames_out + b->frames_out);
    assert_int_equal(ls->delivered, a->frames_in + b->frames_in);
    assert_int_equal(ls->sent, ls->delivered + ls->lost);
    assert_int_equal(ls->sent, s->nsent);
    assert_int_equal(a->arp_requests_out, s->sent[0][K_ARP_REQUEST]);
    assert_int_equal(b->arp_replies_out, s->sent[1][K_ARP_REPLY]);
    assert_int_equal(b->icmp_echo_requests_in, s->delivered[1][K_ECHO_REQUEST]);
    assert_int_equal(b->icmp_echo_replies_out, b->icmp_echo_requests_in);
    assert_int_equal(s->sent[1][K_ECHO_REPLY], b->icmp_echo_replies_out);
    assert_int_equal(a->icmp_echo_replies_in, s->delivered[0][K_ECHO_REPLY]);
    assert_int_equal(s->nreplies, a->icmp_echo_replies_in);
    assert_int_equal(s->sent[0][K_ECHO_REQUEST], a->icmp_out);
    assert_int_equal(a->ip_drop_checksum + a->icmp_drop_checksum, 0);
    assert_int_equal(b->ip_drop_checksum + b->icmp_drop_checksum, 0);
    print_message("%s: %zu of %d replies; link sent %llu, lost %llu\n", what, s->nreplies, NPINGS,
                  (unsigned long long)ls->sent, (unsigned long long)ls->lost);
}

static const synack_impairments lossy = {
    .loss = 0.20,
    .delay_ns = 10 * MS,
    .jitter_ns = 2 * MS,
};

static void test_ping_clean_link(void **state)
{
    (void)state;
    sim s;
    synack_impairments imp = {.delay_ns = 10 * MS};
    sim_setup(&s, 1, &imp, NULL);
    sim_ping(&s);
    check_sim(&s, "clean");
    assert_int_equal(s.nreplies, NPINGS);
    /* Exactly: ARP, then one request and one reply per ping. */
    assert_int_equal(s.nsent, 2 + 2 * NPINGS);
    assert_int_equal(s.first_sent[1], K_ARP_REPLY);
    assert_int_equal(s.first_sent[2], K_ECHO_REQUEST);
    assert_int_equal(s.first_sent[3], K_ECHO_REPLY);
    /* The first round trip waits for ARP (two 10 ms hops), the others take 20 ms. */
    assert_int_equal(s.replies[0].seq, 1);
    assert_int_equal(s.replies[0].now, 40 * MS);
    for (size_t i = 1; i < s.nreplies; i++) {
        assert_int_equal(s.replies[i].seq, i + 1);
        assert_int_equal(s.replies[i].now, i * SEC + 20 * MS);
    }
    sim_teardown(&s);
}

static void test_ping_lossy_seeds(void **state)
{
    (void)state;
    size_t total = 0;
    for (uint64_t seed = 1; seed <= 10; seed++) {
        sim s;
        sim_setup(&s, seed, &lossy, NULL);
        sim_ping(&s);
        char what[32];
        snprintf(what, sizeof(what), "seed %llu", (unsigned long long)seed);
        check_sim(&s, what);
        assert_true(synack_memlink_stats_get(s.link)->lost > 0);
        /* Each way loses 20%: about 64% come back, more than 7 of 20 every time. */
        assert_true(s.nreplies >= 8);
        assert_true(s.nreplies < NPINGS);
        total += s.nreplies;
        sim_teardown(&s);
    }
    assert_in_range(total, 10 * NPINGS * 50 / 100, 10 * NPINGS * 80 / 100);
}

static void test_ping_same_seed_same_run(void **state)
{
    (void)state;
    uint64_t hash[3];
    size_t replies[3];
    const uint64_t seeds[3] = {42, 42, 43};
    for (int i = 0; i < 3; i++) {
        sim s;
        sim_setup(&s, seeds[i], &lossy, NULL);
        sim_ping(&s);
        hash[i] = s.hash;
        replies[i] = s.nreplies;
        sim_teardown(&s);
    }
    assert_int_equal(hash[0], hash[1]);
    assert_int_equal(replies[0], replies[1]);
    assert_true(hash[0] != hash[2]);
}

/* With no delay every hop still waits for a step: the stacks are never
 * re-entered from each other's output, and each step moves one hop. */
static void test_zero_delay_hops_one_step_each(void **state)
{
    (void)state;
    sim s;
    synack_impairments none = {0};
    sim_setup(&s, 1, &none, NULL);
    assert_int_equal(synack_icmp_echo_send(s.a, ADDR_B, PING_ID, 1, s.data, DATA_LEN, 0), 0);
    const synack_memlink_stats *ls = synack_memlink_stats_get(s.link);
    assert_int_equal(ls->sent, 1); /* the ARP request, not yet delivered */
    assert_int_equal(ls->delivered, 0);
    const kind hop[4] = {K_ARP_REQUEST, K_ARP_REPLY, K_ECHO_REQUEST, K_ECHO_REPLY};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(synack_memlink_next_event(s.link), 0);
        assert_int_equal(synack_memlink_step(s.link), 1);
        assert_int_equal(ls->delivered, i + 1);
        assert_int_equal(s.delivered[i % 2 == 0 ? 1 : 0][hop[i]], 1);
        assert_int_equal(synack_memlink_now(s.link), 0);
    }
    assert_int_equal(s.nreplies, 1);
    assert_int_equal(s.replies[0].now, 0);
    sim_teardown(&s);
}

/* ---- tshark ------------------------------------------------------------- */

static bool tshark_missing;

static const char *out_dir(char *buf, size_t len)
{
    const char *d = getenv("SYNACK_TEST_OUT");
    if (!d || !*d)
        d = "/tmp";
    snprintf(buf, len, "%s", d);
    if (mkdir(buf, 0777) < 0 && errno != EEXIST)
        fail_msg("cannot create %s: %s", buf, strerror(errno));
    return buf;
}

static bool have_tshark(void)
{
    return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* Runs `tshark ARGS` over @p file and returns its output lines (stdout only:
 * tshark as root warns on stderr, which goes to a file beside the capture). */
static size_t tshark_lines(const char *file, const char *args, char *out, size_t outlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "tshark -r '%s' %s 2>'%s.tshark-stderr'", file, args, file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = 0;
    int status = pclose(p);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("'%s' failed (status %d); see %s.tshark-stderr", cmd, status, file);
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += out[i] == '\n';
    return lines;
}

/* IP checksums are checked only with ip.check_checksum:TRUE; ICMP checksums
 * always. Single pass, so a request whose reply was lost on the link does
 * not raise "no response seen" (a -2 pass would). */
#define TSHARK_PROBLEMS                                                                            \
    "-o ip.check_checksum:TRUE -Y '_ws.malformed || _ws.expert.severity >= warning || "            \
    "ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\"'"

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Flips a bit of the IPv4 header checksum of the first ICMP frame in a
 * copy of the capture; returns that frame's number (1-based). */
static int corrupt_first_icmp(const char *path)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    long off = 24;
    int frame = 0;
    uint8_t rec[16], eth[14 + 20];
    while (fseek(f, off, SEEK_SET) == 0 && fread(rec, 1, 16, f) == 16) {
        frame++;
        uint32_t incl = (uint32_t)rec[8] | (uint32_t)rec[9] << 8 | (uint32_t)rec[10] << 16 |
                        (uint32_t)rec[11] << 24;
        if (incl >= sizeof(eth) && fread(eth, 1, sizeof(eth), f) == sizeof(eth) &&
            eth[12] == 0x08 && eth[13] == 0x00 && eth[14 + 9] == 1) {
            fseek(f, off + 16 + 14 + 10, SEEK_SET); /* the IPv4 checksum */
            fputc(eth[14 + 10] ^ 0x40, f);
            fclose(f);
            return frame;
        }
        off += 16 + (long)incl;
    }
    fclose(f);
    fail_msg("no ICMP frame in %s", path);
    return 0;
}

static void test_ping_capture_passes_tshark(void **state)
{
    (void)state;
    char dir[512], path[600], bad[620];
    snprintf(path, sizeof(path), "%s/ping.pcap", out_dir(dir, sizeof(dir)));
    sim s;
    sim_setup(&s, 3, &lossy, path);
    sim_ping(&s);
    check_sim(&s, "capture");
    uint64_t frames = synack_pcap_count(s.pcap);
    assert_int_equal(frames, s.nsent);
    size_t arp = s.sent[0][K_ARP_REQUEST] + s.sent[0][K_ARP_REPLY] + s.sent[1][K_ARP_REQUEST] +
                 s.sent[1][K_ARP_REPLY];
    size_t icmp = s.sent[0][K_ECHO_REQUEST] + s.sent[1][K_ECHO_REPLY];
    assert_int_equal(arp + icmp, frames);
    sim_teardown(&s);

    if (!have_tshark()) {
        tshark_missing = true;
        skip();
    }
    static char out[1 << 16];
    /* Nothing malformed, no checksum or other warning. */
    size_t n = tshark_lines(path, TSHARK_PROBLEMS, out, sizeof(out));
    if (n != 0)
        fail_msg("tshark flags %zu frames in %s:\n%s", n, path, out);
    /* tshark sees as many ARP and ICMP frames as we sent. */
    assert_int_equal(tshark_lines(path, "", out, sizeof(out)), frames);
    assert_int_equal(tshark_lines(path, "-Y arp", out, sizeof(out)), arp);
    assert_int_equal(tshark_lines(path, "-Y 'icmp.type == 8'", out, sizeof(out)),
                     s.sent[0][K_ECHO_REQUEST]);
    assert_int_equal(tshark_lines(path, "-Y 'icmp.type == 0'", out, sizeof(out)),
                     s.sent[1][K_ECHO_REPLY]);

    /* The check can fail: one bad IPv4 checksum is reported, on that frame. */
    snprintf(bad, sizeof(bad), "%s.corrupt", path);
    copy_file(path, bad);
    int frame = corrupt_first_icmp(bad);
    assert_int_equal(
        tshark_lines(bad, TSHARK_PROBLEMS " -T fields -e frame.number", out, sizeof(out)), 1);
    assert_int_equal(atoi(out), frame);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_clean_link),
        cmocka_unit_test(test_ping_lossy_seeds),
        cmocka_unit_test(test_ping_same_seed_same_run),
        cmocka_unit_test(test_zero_delay_hops_one_step_each),
        cmocka_unit_test(test_ping_capture_passes_tshark),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed)
        return failed;
    if (tshark_missing) {
        fprintf(stderr, "tshark not found; install tshark (apt-get install tshark) to check "
                        "the capture\n");
        return 77;
    }
    return 0;
}
