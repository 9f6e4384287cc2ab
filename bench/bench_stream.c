/* Bulk-transfer benchmark: the CPU cost of moving a byte stream through two
 * synack stacks joined by a memlink (no delay, no loss, no rate limit: the
 * stacks and the link's copy are all that run), against the Linux kernel
 * moving the same bytes over a loopback TCP connection in the same process
 * and the same run. Prints MB/s (10^6 bytes per wall-clock second), and
 * for synack segments per second and CPU ns per data segment (both stacks:
 * sender and receiver, ACKs included). It is not a test.
 *
 * The kernel's loopback is not a like-for-like peer: it moves 64 KiB GSO
 * super-packets where synack moves 1448-byte segments, and it crosses the
 * system-call boundary twice per write/read. The figure says what a user-
 * space stack costs per byte where it matters (memory to memory), next to
 * the kernel's best case.
 *
 * Usage: bench_stream [MiB]   (default 1024). Build with
 * -DCMAKE_BUILD_TYPE=Release for meaningful numbers. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/synack.h"

#define CHUNK  65536
#define PORT   5001
#define ADDR_A 0x0a000001u
#define ADDR_B 0x0a000002u

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- synack: two stacks on a memlink ---- */

typedef struct run {
    synack_memlink *link;
    synack_stack *a, *b;
    synack_tcp *listener, *cli, *srv;
    uint64_t total, sent, received;
    bool shut, eof;
} run;

static void stack_cfg(synack_config *cfg, int i)
{
    synack_config_default(cfg);
    cfg->addr = i ? ADDR_B : ADDR_A;
    cfg->mac[5] = (uint8_t)(i + 1);
    cfg->seed = 7 + (uint64_t)i;
    cfg->tcp_sndbuf = 4u << 20;
    cfg->tcp_rcvbuf = 4u << 20;
}

static int bench_synack(uint64_t total, double *mbps, double *segs_per_s, double *ns_per_seg)
{
    static uint8_t buf[CHUNK];
    memset(buf, 0x5a, sizeof(buf));
    run r = {.total = total};
    synack_memlink_config lc;
    synack_memlink_config_default(&lc);
    if (synack_memlink_new(&lc, NULL, &r.link) < 0)
        return -1;
    synack_callbacks cb = {0}; /* the loop below polls the handles: no events */
    for (int i = 0; i < 2; i++) {
        synack_config cfg;
        stack_cfg(&cfg, i);
        if (synack_memlink_attach(r.link, &cfg, &cb, NULL, &r, i ? &r.b : &r.a) < 0)
            return -1;
    }
    uint64_t now = synack_memlink_now(r.link);
    if (synack_tcp_listen(r.b, 0, PORT, 4, now, &r.listener) < 0 ||
        synack_tcp_connect(r.a, ADDR_B, PORT, 0, now, &r.cli) < 0)
        return -1;
    uint64_t wall0 = 0, cpu0 = 0;
    for (uint64_t guard = 0; guard < (1ull << 40); guard++) {
        now = synack_memlink_now(r.link);
        if (!r.srv && synack_tcp_accept(r.listener, &r.srv, now) == 0) {
            wall0 = clock_ns(CLOCK_MONOTONIC);
            cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
        }
        while (r.srv && r.sent < total) {
            uint64_t left = total - r.sent;
            ssize_t n = synack_tcp_send(r.cli, buf, left < CHUNK ? (size_t)left : CHUNK, now);
            if (n <= 0)
                break;
            r.sent += (uint64_t)n;
        }
        if (r.sent == total && !r.shut) {
            synack_tcp_shutdown(r.cli, now);
            r.shut = true;
        }
        while (r.srv && !r.eof) {
            ssize_t n = synack_tcp_recv(r.srv, buf, sizeof(buf), now);
            if (n == 0)
                r.eof = true;
            if (n <= 0)
                break;
            r.received += (uint64_t)n;
        }
        if (r.eof)
            break;
        if (synack_memlink_step(r.link) == 0 && synack_tcp_events(r.cli) == 0)
            break;
    }
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    const synack_stats *sa = synack_stack_stats(r.a);
    uint64_t segs = sa->tcp_out;
    int ok = r.received == total ? 0 : -1;
    synack_memlink_del(r.link);
    *mbps = (double)total / ((double)wall / 1e9) / 1e6;
    *segs_per_s = (double)segs / ((double)wall / 1e9);
    *ns_per_seg = (double)cpu / (double)segs;
    return ok;
}

/* ---- the kernel: one loopback TCP connection, one thread, poll ---- */

static int bench_kernel(uint64_t total, double *mbps)
{
    static uint8_t buf[CHUNK];
    memset(buf, 0x5a, sizeof(buf));
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t sl = sizeof(sin);
    if (l < 0 || bind(l, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&sin, &sl) < 0)
        return -1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int mss = 1448;
    setsockopt(c, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
    if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0)
        return -1;
    int s = accept(l, NULL, NULL);
    if (s < 0)
        return -1;
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    uint64_t sent = 0, received = 0;
    uint64_t wall0 = clock_ns(CLOCK_MONOTONIC);
    while (received < total) {
        struct pollfd p[2] = {{c, sent < total ? POLLOUT : 0, 0}, {s, POLLIN, 0}};
        if (poll(p, 2, 1000) < 0)
            return -1;
        if (sent < total && (p[0].revents & POLLOUT)) {
            uint64_t left = total - sent;
            ssize_t n = write(c, buf, left < CHUNK ? (size_t)left : CHUNK);
            if (n > 0)
                sent += (uint64_t)n;
        }
        if (p[1].revents & POLLIN) {
            ssize_t n = read(s, buf, sizeof(buf));
            if (n > 0)
                received += (uint64_t)n;
        }
    }
    uint64_t wall = clock_ns(CLOCK_MONOTONIC) - wall0;
    close(c);
    close(s);
    close(l);
    *mbps = (double)total / ((double)wall / 1e9) / 1e6;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t mib = 1024;
    if (argc > 1) {
        char *end;
        mib = strtoull(argv[1], &end, 10);
        if (*end || mib == 0 || mib > 1u << 20) {
            fprintf(stderr, "bench_stream: bad size '%s' (MiB, 1..1048576)\n", argv[1]);
            return 2;
        }
    }
    uint64_t total = mib << 20;
    double s_mbps, segs, nsseg, k_mbps;
    if (bench_synack(total, &s_mbps, &segs, &nsseg) < 0) {
        fprintf(stderr, "bench_stream: the synack transfer did not complete\n");
        return 1;
    }
    if (bench_kernel(total, &k_mbps) < 0) {
        fprintf(stderr, "bench_stream: the kernel transfer failed: %s\n", strerror(errno));
        return 1;
    }
    printf("# %llu MiB, one connection, one thread\n", (unsigned long long)mib);
    printf("synack  two stacks on a memlink  %8.1f MB/s  %10.0f segments/s  %6.0f CPU ns/segment "
           "(both stacks)\n",
           s_mbps, segs, nsseg);
    printf("linux   loopback TCP, MSS 1448   %8.1f MB/s\n", k_mbps);
    return 0;
}
