/* libsynack_packetdrill.so driven the way packetdrill drives it
 * (PACKETDRILL-SO.md): every member of the interface, the clock rules, the
 * descriptor rules, re-initialisation between scripts, and whole
 * connections segment by segment. RFC references are to RFC 9293. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "pdh.h"

#define PORT    8080
#define RPORT   48000
#define R_ISN   1000000u
#define WIN     65535
#define MSS_OPT 0x02, 0x04, 0x05, 0xb4 /* mss 1460 */

static const uint8_t mss_opt[4] = {MSS_OPT};

static long long mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long tv_us(pdh *h)
{
    struct timeval tv;
    assert_int_equal(h->ifc.gettimeofday(h->ifc.userdata, &tv, NULL), 0);
    return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

static struct sockaddr_in sin_of(uint32_t addr, uint16_t port)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(addr);
    return sin;
}

static int listener(pdh *h, uint16_t port)
{
    void *u = h->ifc.userdata;
    int fd = h->ifc.socket(u, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    assert_true(fd >= 0);
    int one = 1;
    assert_int_equal(h->ifc.setsockopt(u, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
    struct sockaddr_in sin = sin_of(0, port);
    assert_int_equal(h->ifc.bind(u, fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(h->ifc.listen(u, fd, 1), 0);
    return fd;
}

static long call_accept(pdh *h, void *arg)
{
    int fd = *(int *)arg;
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    memset(&peer, 0xee, sizeof(peer));
    int rv = h->ifc.accept(h->ifc.userdata, fd, (struct sockaddr *)&peer, &len);
    /* packetdrill checks the peer's address and its length */
    if (rv >= 0 && (len != sizeof(peer) || peer.sin_family != AF_INET ||
                    ntohl(peer.sin_addr.s_addr) != PDH_REMOTE || ntohs(peer.sin_port) != RPORT))
        return -100;
    return rv;
}

/* Passive open: SYN in, SYN-ACK out, ACK in, with accept() blocked on the
 * second thread until the handshake completes (RFC 9293 3.5 Figure 6).
 * Returns the accepted fd; *iss is the stack's ISS. */
static int passive_open(pdh *h, int lfd, uint32_t *iss)
{
    pdh_call c;
    pdh_call_start(&c, h, call_accept, &lfd);
    assert_true(pdh_call_sleeping(&c)); /* asleep, not spinning */
    pdh_inject(h, RPORT, PORT, TH_SYN, R_ISN, 0, WIN, mss_opt, 4, NULL, 0);
    pdh_seg s;
    pdh_expect(h, &s);
    assert_int_equal(s.flags, TH_SYN | TH_ACK);
    assert_int_equal(s.sport, PORT);
    assert_int_equal(s.dport, RPORT);
    assert_int_equal(s.ack, R_ISN + 1);
    assert_int_equal(pdh_mss(&s), 1460);
    assert_int_equal(s.len, 0);
    *iss = s.seq;
    pdh_inject(h, RPORT, PORT, TH_ACK, R_ISN + 1, s.seq + 1, WIN, NULL, 0, NULL, 0);
    long fd = pdh_call_join(&c);
    assert_true(fd >= 0);
    return (int)fd;
}

/* ---- the interface itself ------------------------------------------------ */

/* PACKETDRILL-SO.md: userdata first, then the 32 calls in that order, each
 * set by packetdrill_interface_init, and no other exported symbol. */
static void test_every_member_set(void **state)
{
    (void)state;
    static const size_t offs[] = {
        offsetof(struct packetdrill_interface, userdata),
        offsetof(struct packetdrill_interface, free),
        offsetof(struct packetdrill_interface, socket),
        offsetof(struct packetdrill_interface, bind),
        offsetof(struct packetdrill_interface, listen),
        offsetof(struct packetdrill_interface, accept),
        offsetof(struct packetdrill_interface, connect),
        offsetof(struct packetdrill_interface, read),
        offsetof(struct packetdrill_interface, readv),
        offsetof(struct packetdrill_interface, recv),
        offsetof(struct packetdrill_interface, recvfrom),
        offsetof(struct packetdrill_interface, recvmsg),
        offsetof(struct packetdrill_interface, write),
        offsetof(struct packetdrill_interface, writev),
        offsetof(struct packetdrill_interface, send),
        offsetof(struct packetdrill_interface, sendto),
        offsetof(struct packetdrill_interface, sendmsg),
        offsetof(struct packetdrill_interface, fcntl),
        offsetof(struct packetdrill_interface, ioctl),
        offsetof(struct packetdrill_interface, close),
        offsetof(struct packetdrill_interface, shutdown),
        offsetof(struct packetdrill_interface, getsockopt),
        offsetof(struct packetdrill_interface, setsockopt),
        offsetof(struct packetdrill_interface, poll),
        offsetof(struct packetdrill_interface, netdev_send),
        offsetof(struct packetdrill_interface, netdev_receive),
        offsetof(struct packetdrill_interface, usleep),
        offsetof(struct packetdrill_interface, gettimeofday),
        offsetof(struct packetdrill_interface, epoll_create),
        offsetof(struct packetdrill_interface, epoll_ctl),
        offsetof(struct packetdrill_interface, epoll_wait),
        offsetof(struct packetdrill_interface, pipe),
        offsetof(struct packetdrill_interface, splice),
    };
    assert_int_equal(sizeof(offs) / sizeof(offs[0]), 33);
    for (size_t i = 0; i < 33; i++)
        assert_int_equal(offs[i], i * sizeof(void *));
    assert_int_equal(sizeof(struct packetdrill_interface), 33 * sizeof(void *));

    pdh h;
    pdh_open(&h, NULL);
    void *const *slot = (void *const *)&h.ifc;
    for (size_t i = 0; i < 33; i++)
        assert_non_null(slot[i]);
    /* the library inside stays hidden: only the entry point is exported */
    assert_null(dlsym(h.dl, "synack_stack_new"));
    assert_null(dlsym(h.dl, "pd_now"));
    pdh_close(&h);
}

/* Real clock: gettimeofday is wall-like, never goes back, and usleep
 * sleeps at least as long as asked; also callable from two threads. */
static long spin_clock(pdh *h, void *arg)
{
    (void)arg;
    long long last = 0;
    for (int i = 0; i < 2000; i++) {
        long long t = tv_us(h);
        if (t < last)
            return -1;
        last = t;
    }
    return 0;
}

static void test_clock_real(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "");
    struct timeval wall;
    gettimeofday(&wall, NULL);
    long long t0 = tv_us(&h);
    long long wall_us = (long long)wall.tv_sec * 1000000 + wall.tv_usec;
    assert_true(llabs(t0 - wall_us) < 2000000);
    pdh_call c;
    pdh_call_start(&c, &h, spin_clock, NULL);
    assert_int_equal(spin_clock(&h, NULL), 0);
    assert_int_equal(pdh_call_join(&c), 0);
    long long a = tv_us(&h), m = mono_us();
    assert_int_equal(h.ifc.usleep(h.ifc.userdata, 30000), 0);
    long long b = tv_us(&h);
    assert_true(b - a >= 30000);
    assert_true(mono_us() - m >= 30000);
    pdh_close(&h);
}

/* Virtual clock: each read steps by exactly 1 us (packetdrill spins on
 * it), usleep advances it by exactly what was asked without sleeping. */
static void test_clock_virtual(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "virtual");
    long long a = tv_us(&h);
    long long b = tv_us(&h);
    long long c = tv_us(&h);
    assert_int_equal(b - a, 1);
    assert_int_equal(c - b, 1);
    long long m = mono_us();
    assert_int_equal(h.ifc.usleep(h.ifc.userdata, 5000000), 0);
    long long d = tv_us(&h);
    assert_int_equal(d - c, 5000000 + 1);
    assert_true(mono_us() - m < 1000000); /* five virtual seconds, no real ones */
    pdh_call t;
    pdh_call_start(&t, &h, spin_clock, NULL);
    assert_int_equal(spin_clock(&h, NULL), 0);
    assert_int_equal(pdh_call_join(&t), 0);
    pdh_close(&h);
}

/* Sockets, epoll sets and pipes are real descriptors: the host's fcntl
 * knows them and packetdrill can close() them itself before free. */
static void test_fd_rules(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int s1 = h.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    int s2 = h.ifc.socket(u, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int ep = h.ifc.epoll_create(u, 1);
    int pfd[2];
    assert_int_equal(h.ifc.pipe(u, pfd), 0);
    int fds[] = {s1, s2, ep, pfd[0], pfd[1]};
    for (size_t i = 0; i < 5; i++) {
        assert_true(fds[i] >= 0);
        assert_true(fcntl(fds[i], F_GETFD) >= 0);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(fds[i], fds[j]);
    }
    assert_int_equal(h.ifc.fcntl(u, s2, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    assert_int_equal(h.ifc.fcntl(u, s1, F_GETFL) & O_NONBLOCK, 0);
    /* a pipe passes through to the host */
    assert_int_equal(h.ifc.write(u, pfd[1], "ab", 2), 2);
    char buf[4];
    assert_int_equal(h.ifc.read(u, pfd[0], buf, sizeof(buf)), 2);
    /* close through the interface releases the host descriptor */
    assert_int_equal(h.ifc.close(u, s1), 0);
    errno = 0;
    assert_int_equal(fcntl(s1, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(h.ifc.close(u, s1), -1);
    assert_int_equal(errno, EBADF);
    /* what a script leaves open, packetdrill closes with the host's close()
     * before it calls free: that must work and free must not close again */
    assert_int_equal(close(s2), 0);
    assert_int_equal(close(ep), 0);
    assert_int_equal(h.ifc.close(u, pfd[0]), 0);
    assert_int_equal(close(pfd[1]), 0);
    pdh_close(&h);
}

/* Linux errno values for the errors scripts check. */
static void test_errors(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    errno = 0;
    assert_int_equal(h.ifc.socket(u, AF_INET6, SOCK_STREAM, 0), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    assert_int_equal(h.ifc.socket(u, AF_INET, SOCK_DGRAM, 0), -1);
    assert_int_equal(errno, EPROTONOSUPPORT);
    assert_int_equal(h.ifc.socket(u, AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
    assert_int_equal(errno, EPROTONOSUPPORT);
    int fd = h.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    char b[8];
    assert_int_equal(h.ifc.read(u, fd, NULL, 8), -1);
    assert_int_equal(errno, EFAULT);
    assert_int_equal(h.ifc.read(u, fd, b, 8), -1);
    assert_int_equal(errno, ENOTCONN);
    assert_int_equal(h.ifc.write(u, fd, "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(h.ifc.shutdown(u, fd, SHUT_WR), -1);
    assert_int_equal(errno, ENOTCONN);
    assert_int_equal(h.ifc.shutdown(u, fd, 7), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(h.ifc.accept(u, fd, NULL, NULL), -1);
    assert_int_equal(errno, EINVAL);
    struct sockaddr_in sin = sin_of(0x0a000001u, PORT);
    assert_int_equal(h.ifc.bind(u, fd, (struct sockaddr *)&sin, sizeof(sin)), -1);
    assert_int_equal(errno, EADDRNOTAVAIL);
    assert_int_equal(h.ifc.bind(u, fd, (struct sockaddr *)&sin, 4), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(h.ifc.connect(u, fd, NULL, sizeof(sin)), -1);
    assert_int_equal(errno, EFAULT);
    int v = 0;
    socklen_t len = sizeof(v);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    assert_int_equal(v, 0);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_ERROR, NULL, &len), -1);
    assert_int_equal(errno, EFAULT);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, 9999, &v, &len), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    /* options synack cannot honour per socket say so */
    v = 4096;
    assert_int_equal(h.ifc.setsockopt(u, fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    assert_int_equal(h.ifc.setsockopt(u, fd, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)), -1);
    assert_int_equal(errno, ENOPROTOOPT);
    v = 1;
    assert_int_equal(h.ifc.setsockopt(u, fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), 0);
    len = sizeof(v);
    assert_int_equal(h.ifc.getsockopt(u, fd, IPPROTO_TCP, TCP_MAXSEG, &v, &len), 0);
    assert_int_equal(v, 1460);
    assert_int_equal(h.ifc.ioctl(u, fd, 0x12345678ul, &v), -1);
    assert_int_equal(errno, ENOTTY);
    assert_int_equal(h.ifc.epoll_ctl(u, fd, EPOLL_CTL_ADD, fd, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(h.ifc.epoll_create(u, 0), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(h.ifc.close(u, fd), 0);
    /* a nonblocking listener with nothing queued */
    int l = listener(&h, PORT);
    assert_int_equal(h.ifc.fcntl(u, l, F_SETFL, O_NONBLOCK), 0);
    assert_int_equal(h.ifc.accept(u, l, NULL, NULL), -1);
    assert_int_equal(errno, EAGAIN);
    assert_int_equal(h.ifc.read(u, l, b, 8), -1);
    assert_int_equal(errno, ENOTCONN);
    int l2 = h.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    sin = sin_of(0, PORT);
    assert_int_equal(h.ifc.bind(u, l2, (struct sockaddr *)&sin, sizeof(sin)), -1);
    assert_int_equal(errno, EADDRINUSE);
    assert_int_equal(h.ifc.close(u, l2), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* When nothing comes out, netdev_receive gives up with count 0 instead of
 * hanging (PACKETDRILL-SO.md), after the configured wait. */
static void test_netdev_gives_up(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "netdev_timeout_ms=150");
    uint8_t buf[64];
    size_t n;
    long long t;
    long long m = mono_us();
    assert_int_equal(pdh_receive_raw(&h, buf, &n, &t), 0);
    assert_int_equal(n, 0);
    assert_true(mono_us() - m >= 150000);
    /* and IPv6 is refused rather than misread */
    uint8_t v6[40] = {0x60};
    errno = 0;
    assert_int_equal(h.ifc.netdev_send(h.ifc.userdata, v6, sizeof(v6)), -1);
    assert_int_equal(errno, EAFNOSUPPORT);
    pdh_close(&h);
}

/* Scripts run one after another in one process: a second instance starts
 * fresh (the port is free, nothing queued from the first). */
static void test_reinit(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        pdh h;
        pdh_open(&h, round == 1 ? "virtual,netdev_timeout_ms=100" : "netdev_timeout_ms=100");
        void *u = h.ifc.userdata;
        int l = listener(&h, PORT);
        /* leave a connection half-open in the stack and the socket open */
        pdh_inject(&h, RPORT, PORT, TH_SYN, R_ISN, 0, WIN, mss_opt, 4, NULL, 0);
        pdh_seg s;
        pdh_expect(&h, &s);
        assert_int_equal(s.flags, TH_SYN | TH_ACK);
        int c = h.ifc.socket(u, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in dst = sin_of(PDH_REMOTE, 9);
        assert_int_equal(h.ifc.connect(u, c, (struct sockaddr *)&dst, sizeof(dst)), -1);
        assert_int_equal(errno, EINPROGRESS);
        pdh_expect(&h, &s);
        assert_int_equal(s.flags, TH_SYN);
        /* what packetdrill does at the end of a script */
        assert_int_equal(close(l), 0);
        assert_int_equal(close(c), 0);
        pdh_close(&h);
    }
}

/* ---- whole connections ---------------------------------------------------- */

/* Passive open, data both ways, then the peer closes first (passive close:
 * CLOSE-WAIT, LAST-ACK, RFC 9293 3.6 case 2). */
static void test_passive_open_data_passive_close(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    assert_true(fd != l);

    pdh_inject(&h, RPORT, PORT, TH_ACK | TH_PSH, R_ISN + 1, iss + 1, WIN, NULL, 0, "hello", 5);
    pdh_seg s;
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.seq, iss + 1);
    assert_int_equal(s.ack, R_ISN + 6);
    int avail = -1;
    assert_int_equal(h.ifc.ioctl(u, fd, FIONREAD, &avail), 0);
    assert_int_equal(avail, 5);
    struct pollfd pfd = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
    assert_int_equal(h.ifc.poll(u, &pfd, 1, 0), 1);
    assert_int_equal(pfd.revents, POLLIN | POLLOUT);
    char buf[16];
    struct iovec iov[2] = {{buf, 2}, {buf + 2, 14}};
    assert_int_equal(h.ifc.readv(u, fd, iov, 2), 5);
    assert_memory_equal(buf, "hello", 5);

    struct iovec out[2] = {{(void *)"0123", 4}, {(void *)"456789", 6}};
    assert_int_equal(h.ifc.writev(u, fd, out, 2), 10);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK | TH_PSH);
    assert_int_equal(s.seq, iss + 1);
    assert_int_equal(s.len, 10);
    assert_memory_equal(s.data, "0123456789", 10);
    pdh_inject(&h, RPORT, PORT, TH_ACK, R_ISN + 6, iss + 11, WIN, NULL, 0, NULL, 0);

    /* the peer closes: FIN is ACKed, read sees end of stream */
    pdh_inject(&h, RPORT, PORT, TH_ACK | TH_FIN, R_ISN + 6, iss + 11, WIN, NULL, 0, NULL, 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.ack, R_ISN + 7);
    pfd.revents = 0;
    assert_int_equal(h.ifc.poll(u, &pfd, 1, 0), 1);
    assert_int_equal(pfd.revents, POLLIN | POLLOUT | POLLRDHUP);
    assert_int_equal(h.ifc.read(u, fd, buf, sizeof(buf)), 0);
    /* our close sends FIN from CLOSE-WAIT (LAST-ACK) */
    assert_int_equal(h.ifc.close(u, fd), 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK | TH_FIN);
    assert_int_equal(s.seq, iss + 11);
    assert_int_equal(s.ack, R_ISN + 7);
    pdh_inject(&h, RPORT, PORT, TH_ACK, R_ISN + 7, iss + 12, WIN, NULL, 0, NULL, 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

static long call_connect(pdh *h, void *arg)
{
    int fd = *(int *)arg;
    struct sockaddr_in dst = sin_of(PDH_REMOTE, PORT);
    return h->ifc.connect(h->ifc.userdata, fd, (struct sockaddr *)&dst, sizeof(dst));
}

static long call_read(pdh *h, void *arg)
{
    static _Thread_local char buf[64];
    return h->ifc.recv(h->ifc.userdata, *(int *)arg, buf, sizeof(buf), 0);
}

/* Active open with a blocking connect on the second thread, a blocking
 * read woken by data, then we close first (active close: FIN-WAIT-1,
 * FIN-WAIT-2, TIME-WAIT). */
static void test_active_open_active_close(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int fd = h.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    pdh_call c;
    pdh_call_start(&c, &h, call_connect, &fd);
    pdh_seg s;
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_SYN);
    assert_int_equal(s.dport, PORT);
    assert_int_equal(pdh_mss(&s), 1460);
    uint16_t lport = s.sport;
    uint32_t iss = s.seq;
    assert_true(pdh_call_sleeping(&c));
    pdh_inject(&h, PORT, lport, TH_SYN | TH_ACK, R_ISN, iss + 1, WIN, mss_opt, 4, NULL, 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.seq, iss + 1);
    assert_int_equal(s.ack, R_ISN + 1);
    assert_int_equal(pdh_call_join(&c), 0);
    /* connected: a second connect says so */
    struct sockaddr_in dst = sin_of(PDH_REMOTE, PORT);
    assert_int_equal(h.ifc.connect(u, fd, (struct sockaddr *)&dst, sizeof(dst)), -1);
    assert_int_equal(errno, EISCONN);

    pdh_call_start(&c, &h, call_read, &fd);
    assert_true(pdh_call_sleeping(&c));
    pdh_inject(&h, PORT, lport, TH_ACK, R_ISN + 1, iss + 1, WIN, NULL, 0, "abc", 3);
    assert_int_equal(pdh_call_join(&c), 3);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.ack, R_ISN + 4);

    assert_int_equal(h.ifc.send(u, fd, "xyz", 3, MSG_NOSIGNAL), 3);
    pdh_expect(&h, &s);
    assert_int_equal(s.len, 3);
    pdh_inject(&h, PORT, lport, TH_ACK, R_ISN + 4, iss + 4, WIN, NULL, 0, NULL, 0);

    assert_int_equal(h.ifc.close(u, fd), 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK | TH_FIN);
    assert_int_equal(s.seq, iss + 4);
    pdh_inject(&h, PORT, lport, TH_ACK, R_ISN + 4, iss + 5, WIN, NULL, 0, NULL, 0);
    pdh_inject(&h, PORT, lport, TH_ACK | TH_FIN, R_ISN + 4, iss + 5, WIN, NULL, 0, NULL, 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.seq, iss + 5);
    assert_int_equal(s.ack, R_ISN + 5);
    /* TIME-WAIT answers a retransmitted FIN with the same ACK */
    pdh_inject(&h, PORT, lport, TH_ACK | TH_FIN, R_ISN + 4, iss + 5, WIN, NULL, 0, NULL, 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.ack, R_ISN + 5);
    pdh_close(&h);
}

/* Non-blocking connect refused by RST (RFC 9293 3.10.7.3): EINPROGRESS,
 * then poll reports the error, SO_ERROR says ECONNREFUSED once. */
static void test_connect_refused(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int fd = h.ifc.socket(u, AF_INET, SOCK_STREAM, 0);
    assert_int_equal(h.ifc.fcntl(u, fd, F_SETFL, O_NONBLOCK), 0);
    struct sockaddr_in dst = sin_of(PDH_REMOTE, PORT);
    assert_int_equal(h.ifc.connect(u, fd, (struct sockaddr *)&dst, sizeof(dst)), -1);
    assert_int_equal(errno, EINPROGRESS);
    assert_int_equal(h.ifc.connect(u, fd, (struct sockaddr *)&dst, sizeof(dst)), -1);
    assert_int_equal(errno, EALREADY);
    pdh_seg s;
    pdh_expect(&h, &s);
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    assert_int_equal(h.ifc.poll(u, &pfd, 1, 0), 0);
    pdh_inject(&h, PORT, s.sport, TH_RST | TH_ACK, 0, s.seq + 1, 0, NULL, 0, NULL, 0);
    assert_int_equal(h.ifc.poll(u, &pfd, 1, 0), 1);
    assert_int_equal(pfd.revents, POLLOUT | POLLERR | POLLHUP);
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    assert_int_equal(v, ECONNREFUSED);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_ERROR, &v, &len), 0);
    assert_int_equal(v, 0);
    assert_int_equal(h.ifc.close(u, fd), 0);
    pdh_close(&h);
}

/* RST in ESTABLISHED (RFC 9293 3.10.7.4): the next read says ECONNRESET,
 * then end of stream; writes say EPIPE. */
static void test_reset_established(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    pdh_inject(&h, RPORT, PORT, TH_RST, R_ISN + 1, 0, 0, NULL, 0, NULL, 0);
    char buf[8];
    assert_int_equal(h.ifc.read(u, fd, buf, sizeof(buf)), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(h.ifc.read(u, fd, buf, sizeof(buf)), 0);
    assert_int_equal(h.ifc.write(u, fd, "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* SO_LINGER {on, 0}: close() aborts with a RST (RFC 9293 3.10.5). */
static void test_linger_zero_resets(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(h.ifc.setsockopt(u, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    struct linger back;
    socklen_t len = sizeof(back);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_LINGER, &back, &len), 0);
    assert_int_equal(back.l_onoff, 1);
    assert_int_equal(h.ifc.close(u, fd), 0);
    pdh_seg s;
    pdh_expect(&h, &s);
    assert_int_equal(s.flags & TH_RST, TH_RST);
    assert_int_equal(s.seq, iss + 1);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* epoll on a listener and a connection, level-triggered and edge-triggered,
 * with epoll_wait blocking on the second thread. */
static long call_epoll_wait(pdh *h, void *arg)
{
    struct epoll_event ev[4];
    int n = h->ifc.epoll_wait(h->ifc.userdata, *(int *)arg, ev, 4, 5000);
    return n == 1 && ev[0].data.u64 == 77 && ev[0].events == EPOLLIN ? 1 : -1;
}

static void test_epoll(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    int ep = h.ifc.epoll_create(u, 1);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    assert_int_equal(h.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, l, &ev), 0);
    assert_int_equal(h.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, l, &ev), -1);
    assert_int_equal(errno, EEXIST);
    struct epoll_event got[4];
    assert_int_equal(h.ifc.epoll_wait(u, ep, got, 4, 0), 0);
    pdh_call c;
    pdh_call_start(&c, &h, call_epoll_wait, &ep);
    pdh_inject(&h, RPORT, PORT, TH_SYN, R_ISN, 0, WIN, mss_opt, 4, NULL, 0);
    pdh_seg s;
    pdh_expect(&h, &s);
    pdh_inject(&h, RPORT, PORT, TH_ACK, R_ISN + 1, s.seq + 1, WIN, NULL, 0, NULL, 0);
    assert_int_equal(pdh_call_join(&c), 1);
    int fd = h.ifc.accept(u, l, NULL, NULL);
    assert_true(fd >= 0);
    /* edge-triggered on the connection: data reported once */
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 5;
    assert_int_equal(h.ifc.epoll_ctl(u, ep, EPOLL_CTL_ADD, fd, &ev), 0);
    assert_int_equal(h.ifc.epoll_ctl(u, ep, EPOLL_CTL_DEL, l, NULL), 0);
    pdh_inject(&h, RPORT, PORT, TH_ACK, R_ISN + 1, s.seq + 1, WIN, NULL, 0, "q", 1);
    pdh_expect(&h, &s);
    assert_int_equal(h.ifc.epoll_wait(u, ep, got, 4, 0), 1);
    assert_int_equal(got[0].events, EPOLLIN);
    assert_int_equal(got[0].data.u64, 5);
    assert_int_equal(h.ifc.epoll_wait(u, ep, got, 4, 0), 0);
    /* a closed socket leaves the set */
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.epoll_ctl(u, ep, EPOLL_CTL_DEL, l, NULL), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(h.ifc.close(u, ep), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* The remaining data calls: recvfrom, recvmsg, sendto, sendmsg, splice to
 * and from a pipe, shutdown(SHUT_WR) (half-close, RFC 9293 3.6). */
static void test_other_data_calls(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    uint32_t rseq = R_ISN + 1, snd = iss + 1;
    pdh_seg s;

    pdh_inject(&h, RPORT, PORT, TH_ACK, rseq, snd, WIN, NULL, 0, "abcdef", 6);
    rseq += 6;
    pdh_expect(&h, &s);
    char buf[16];
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    assert_int_equal(h.ifc.recv(u, fd, buf, 3, MSG_PEEK), 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(h.ifc.recv(u, fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT), 6);
    assert_int_equal(h.ifc.recvfrom(u, fd, buf, 2, 0, (struct sockaddr *)&from, &flen), 2);
    assert_memory_equal(buf, "ab", 2);
    assert_int_equal(flen, 0);
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    assert_int_equal(h.ifc.recvmsg(u, fd, &msg, MSG_DONTWAIT), 4);
    assert_memory_equal(buf, "cdef", 4);
    assert_int_equal(h.ifc.recv(u, fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
    assert_int_equal(errno, EAGAIN);

    struct sockaddr_in to = sin_of(PDH_REMOTE, RPORT);
    assert_int_equal(h.ifc.sendto(u, fd, "12", 2, 0, (struct sockaddr *)&to, sizeof(to)), 2);
    pdh_expect(&h, &s);
    assert_int_equal(s.len, 2);
    snd += 2;
    /* Nagle holds a second short segment while the first is unacknowledged */
    pdh_inject(&h, RPORT, PORT, TH_ACK, rseq, snd, WIN, NULL, 0, NULL, 0);
    struct iovec oiov = {(void *)"345", 3};
    struct msghdr omsg = {.msg_iov = &oiov, .msg_iovlen = 1};
    assert_int_equal(h.ifc.sendmsg(u, fd, &omsg, 0), 3);
    pdh_expect(&h, &s);
    assert_int_equal(s.seq, snd);
    assert_memory_equal(s.data, "345", 3);
    snd += 3;
    pdh_inject(&h, RPORT, PORT, TH_ACK, rseq, snd, WIN, NULL, 0, NULL, 0);

    int pfd[2];
    assert_int_equal(h.ifc.pipe(u, pfd), 0);
    assert_int_equal(write(pfd[1], "pipe", 4), 4);
    assert_int_equal(h.ifc.splice(u, pfd[0], NULL, fd, NULL, 4, 0), 4);
    pdh_expect(&h, &s);
    assert_memory_equal(s.data, "pipe", 4);
    snd += 4;
    pdh_inject(&h, RPORT, PORT, TH_ACK, rseq, snd, WIN, NULL, 0, "zz", 2);
    rseq += 2;
    pdh_expect(&h, &s);
    assert_int_equal(h.ifc.splice(u, fd, NULL, pfd[1], NULL, 16, 0), 2);
    assert_int_equal(read(pfd[0], buf, sizeof(buf)), 2);

    /* half-close: our FIN goes out, we still read what the peer sends */
    assert_int_equal(h.ifc.shutdown(u, fd, SHUT_WR), 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK | TH_FIN);
    assert_int_equal(s.seq, snd);
    pdh_inject(&h, RPORT, PORT, TH_ACK, rseq, snd + 1, WIN, NULL, 0, "late", 4);
    pdh_expect(&h, &s);
    assert_int_equal(s.ack, rseq + 4);
    assert_int_equal(h.ifc.read(u, fd, buf, sizeof(buf)), 4);
    assert_int_equal(h.ifc.write(u, fd, "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(pfd[0]);
    close(pfd[1]);
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* A descriptor closed while another thread sleeps in a call on it: the
 * sleeper wakes with an error instead of touching freed state (the
 * harness runs under ASan and TSan). */
static long call_accept_plain(pdh *h, void *arg)
{
    return h->ifc.accept(h->ifc.userdata, *(int *)arg, NULL, NULL);
}

static void test_close_wakes_sleepers(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, NULL);
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    pdh_call c;
    pdh_call_start(&c, &h, call_accept_plain, &l);
    assert_true(pdh_call_sleeping(&c));
    assert_int_equal(h.ifc.close(u, l), 0);
    assert_int_equal(pdh_call_join(&c), -1);
    assert_int_equal(c.err, EINVAL); /* Linux: the socket is no longer listening */

    l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    pdh_call_start(&c, &h, call_read, &fd);
    assert_true(pdh_call_sleeping(&c));
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(pdh_call_join(&c), -1);
    assert_int_equal(c.err, EBADF);
    pdh_seg s;
    pdh_expect(&h, &s); /* the close sent our FIN */
    assert_int_equal(s.flags, TH_ACK | TH_FIN);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* Virtual clock: timers run as virtual time passes. The SYN is
 * retransmitted after the initial RTO of 1 s (RFC 6298 2.1), then 2 s
 * later (5.5: back off), stamped exactly, in no real time at all. */
static void test_virtual_retransmission_timing(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "virtual");
    void *u = h.ifc.userdata;
    int fd = h.ifc.socket(u, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in dst = sin_of(PDH_REMOTE, PORT);
    assert_int_equal(h.ifc.connect(u, fd, (struct sockaddr *)&dst, sizeof(dst)), -1);
    pdh_seg a, b, c;
    pdh_expect(&h, &a);
    pdh_expect(&h, &b);
    pdh_expect(&h, &c);
    assert_int_equal(b.flags, TH_SYN);
    assert_int_equal(b.seq, a.seq);
    assert_int_equal(b.usecs - a.usecs, 1000000);
    assert_int_equal(c.usecs - b.usecs, 2000000);
    assert_true(tv_us(&h) > c.usecs);
    assert_int_equal(h.ifc.close(u, fd), 0);
    pdh_close(&h);
}

/* packetdrill stamps a blocking call's end with gettimeofday right after
 * it returns. On a virtual clock the main thread's next usleep must not
 * jump time before a call it woke has returned and read the clock. */
static long call_read_then_stamp(pdh *h, void *arg)
{
    char buf[16];
    if (h->ifc.read(h->ifc.userdata, *(int *)arg, buf, sizeof(buf)) != 3)
        return -1;
    return (long)tv_us(h);
}

static void test_virtual_jump_waits_for_woken_call(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "virtual");
    int l = listener(&h, PORT);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    for (int round = 0; round < 20; round++) {
        pdh_call c;
        pdh_call_start(&c, &h, call_read_then_stamp, &fd);
        long long sent = tv_us(&h);
        pdh_inject(&h, RPORT, PORT, TH_ACK, R_ISN + 1 + 3 * (uint32_t)round, iss + 1, WIN, NULL, 0,
                   "abc", 3);
        assert_int_equal(h.ifc.usleep(h.ifc.userdata, 1000000), 0);
        long end = pdh_call_join(&c);
        assert_true(end > sent);
        assert_true(end - sent < 1000); /* not a second later */
    }
    assert_int_equal(h.ifc.close(h.ifc.userdata, fd), 0);
    assert_int_equal(h.ifc.close(h.ifc.userdata, l), 0);
    pdh_close(&h);
}

/* Opens the object with --so_flags="linux virtual" and accepts a
 * connection on PORT (*l the listener, *iss the stack's ISS). */
static int linux_connection(pdh *h, int *l, uint32_t *iss)
{
    pdh_open(h, "linux virtual");
    *l = listener(h, PORT);
    return passive_open(h, *l, iss);
}

/* --so_flags=linux selects Linux's timers: RTO min 200 ms. After an RTT
 * of ~0 the RTO is the minimum, so lost data is resent 200 ms later
 * (RFC 6298 2.4 allows a smaller minimum than 1 s). */
static void test_linux_profile_rto_min(void **state)
{
    (void)state;
    pdh h;
    int l;
    uint32_t iss;
    int fd = linux_connection(&h, &l, &iss);
    void *u = h.ifc.userdata;
    assert_int_equal(h.ifc.write(u, fd, "data", 4), 4);
    pdh_seg a, b;
    pdh_expect(&h, &a);
    pdh_expect(&h, &b);
    assert_int_equal(b.seq, a.seq);
    assert_int_equal(b.len, 4);
    assert_int_equal(b.usecs - a.usecs, 200000);
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* SO_KEEPALIVE on a listener passes to the accepted socket (as on Linux)
 * and its connection probes after tcp_keepalive_time, 7200 s of the
 * virtual clock (the wait for it raised from 180 s): <SEQ=SND.NXT-1>
 * <ACK=RCV.NXT><CTL=ACK>. TCP_KEEPIDLE,
 * TCP_KEEPINTVL and TCP_KEEPCNT are the stack-wide values: read, set to
 * what they are already, refused (ENOPROTOOPT) otherwise, and EINVAL out
 * of Linux's ranges. */
static void test_keepalive_sockopts(void **state)
{
    (void)state;
    pdh h;
    pdh_open(&h, "linux virtual netdev_max_wait_ms=8000000"); /* beyond 2 h */
    void *u = h.ifc.userdata;
    int l = listener(&h, PORT);
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(h.ifc.getsockopt(u, l, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
    assert_int_equal(v, 0);
    const int names[] = {TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT}, want[] = {7200, 75, 9};
    for (size_t i = 0; i < 3; i++) {
        len = sizeof(v);
        assert_int_equal(h.ifc.getsockopt(u, l, IPPROTO_TCP, names[i], &v, &len), 0);
        assert_int_equal(v, want[i]);
        assert_int_equal(h.ifc.setsockopt(u, l, IPPROTO_TCP, names[i], &v, sizeof(v)), 0);
        v = want[i] - 1;
        assert_int_equal(h.ifc.setsockopt(u, l, IPPROTO_TCP, names[i], &v, sizeof(v)), -1);
        assert_int_equal(errno, ENOPROTOOPT);
        v = 0;
        assert_int_equal(h.ifc.setsockopt(u, l, IPPROTO_TCP, names[i], &v, sizeof(v)), -1);
        assert_int_equal(errno, EINVAL);
    }
    v = 1;
    assert_int_equal(h.ifc.setsockopt(u, l, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)), 0);
    uint32_t iss;
    int fd = passive_open(&h, l, &iss);
    long long t0 = tv_us(&h);
    v = 0;
    len = sizeof(v);
    assert_int_equal(h.ifc.getsockopt(u, fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len), 0);
    assert_int_equal(v, 1);
    pdh_seg s;
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_ACK);
    assert_int_equal(s.seq, iss);
    assert_int_equal(s.ack, R_ISN + 1);
    assert_int_equal(s.len, 0);
    /* t0 is read after the handshake's ACK, on a clock with steps of its own */
    assert_true(s.usecs - t0 > 7200000000LL - 1000 && s.usecs - t0 <= 7200000000LL);
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);
}

/* --so_flags=linux: the SYN-ACK's options in Linux's order and values
 * (PACKETDRILL-SO.md): "mss, sackOK, TS val ecr, nop, wscale" with
 * timestamps, "mss, nop, nop, sackOK, nop, wscale" without; wscale 8. */
static void test_linux_profile_syn_options(void **state)
{
    (void)state;
    static const uint8_t syn_ts[20] = {2, 4,   0x05, 0xb4, 4, 2, 8, 10, 0, 0,
                                       0, 100, 0,    0,    0, 0, 1, 3,  3, 7};
    static const uint8_t syn_nots[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    pdh h;
    pdh_open(&h, "linux,virtual");
    int l = listener(&h, PORT);
    pdh_inject(&h, RPORT, PORT, TH_SYN, R_ISN, 0, WIN, syn_ts, sizeof(syn_ts), NULL, 0);
    pdh_seg s;
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_SYN | TH_ACK);
    assert_int_equal(s.optlen, 20);
    static const uint8_t want_head[8] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};
    assert_memory_equal(s.opts, want_head, 8);
    static const uint8_t want_ecr_tail[8] = {0, 0, 0, 100, 1, 3, 3, 8}; /* ecr 100; wscale 8 */
    assert_memory_equal(s.opts + 12, want_ecr_tail, 8);
    assert_int_equal(s.win, 65535); /* a SYN's window is never scaled (RFC 7323 2.2) */

    assert_int_equal(h.ifc.close(h.ifc.userdata, l), 0);
    pdh_close(&h);

    pdh_open(&h, "linux,virtual");
    l = listener(&h, PORT);
    pdh_inject(&h, RPORT, PORT, TH_SYN, R_ISN, 0, WIN, syn_nots, sizeof(syn_nots), NULL, 0);
    pdh_expect(&h, &s);
    assert_int_equal(s.flags, TH_SYN | TH_ACK);
    static const uint8_t want_nots[12] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 8};
    assert_int_equal(s.optlen, 12);
    assert_memory_equal(s.opts, want_nots, 12);
    assert_int_equal(h.ifc.close(h.ifc.userdata, l), 0);
    pdh_close(&h);
}

static int get_nodelay(pdh *h, int fd)
{
    int v = -1;
    socklen_t len = sizeof(v);
    assert_int_equal(h->ifc.getsockopt(h->ifc.userdata, fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    assert_int_equal(len, sizeof(v));
    return v;
}

static void set_nodelay(pdh *h, int fd, int on)
{
    assert_int_equal(
        h->ifc.setsockopt(h->ifc.userdata, fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), 0);
}

/* Two 4-byte writes with nothing in flight: the first goes at once; with
 * TCP_NODELAY the second follows at the same instant (@return true),
 * under Nagle it waits for the ACK of the first. Leaves nothing in flight
 * and nothing pending. */
static bool small_writes_back_to_back(pdh *h, int fd, uint32_t *snd_nxt)
{
    void *u = h->ifc.userdata;
    pdh_seg a, b;
    assert_int_equal(h->ifc.write(u, fd, "abcd", 4), 4);
    pdh_expect(h, &a);
    assert_int_equal(a.seq, *snd_nxt);
    assert_int_equal(a.len, 4);
    assert_int_equal(h->ifc.write(u, fd, "efgh", 4), 4);
    assert_int_equal(h->ifc.usleep(u, 50000), 0);
    pdh_inject(h, RPORT, PORT, TH_ACK, R_ISN + 1, *snd_nxt + 4, WIN, NULL, 0, NULL, 0);
    pdh_expect(h, &b);
    assert_int_equal(b.seq, *snd_nxt + 4);
    assert_int_equal(b.len, 4);
    pdh_inject(h, RPORT, PORT, TH_ACK, R_ISN + 1, *snd_nxt + 8, WIN, NULL, 0, NULL, 0);
    *snd_nxt += 8;
    if (b.usecs == a.usecs)
        return true;
    assert_true(b.usecs >= a.usecs + 50000); /* sent on the ACK, not before */
    return false;
}

/* TCP_NODELAY through setsockopt reaches the connection (Nagle's algorithm,
 * RFC 9293 3.7.4, goes off: two small writes leave back to back) and
 * getsockopt reports it; a listener's setting passes to the connections
 * it accepts, as on Linux. */
static void test_nodelay_reaches_connection(void **state)
{
    (void)state;
    pdh h;
    int l;
    uint32_t iss;
    int fd = linux_connection(&h, &l, &iss);
    void *u = h.ifc.userdata;
    uint32_t nxt = iss + 1;
    assert_int_equal(get_nodelay(&h, fd), 0);
    assert_false(small_writes_back_to_back(&h, fd, &nxt));
    set_nodelay(&h, fd, 1);
    assert_int_equal(get_nodelay(&h, fd), 1);
    assert_true(small_writes_back_to_back(&h, fd, &nxt));
    set_nodelay(&h, fd, 0);
    assert_int_equal(get_nodelay(&h, fd), 0);
    assert_false(small_writes_back_to_back(&h, fd, &nxt));
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, l), 0);
    pdh_close(&h);

    pdh_open(&h, "linux virtual");
    u = h.ifc.userdata;
    int s = h.ifc.socket(u, AF_INET, SOCK_STREAM, IPPROTO_TCP);
    set_nodelay(&h, s, 1); /* before bind and listen */
    int one = 1;
    assert_int_equal(h.ifc.setsockopt(u, s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
    struct sockaddr_in sin = sin_of(0, PORT);
    assert_int_equal(h.ifc.bind(u, s, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(h.ifc.listen(u, s, 1), 0);
    fd = passive_open(&h, s, &iss);
    nxt = iss + 1;
    assert_int_equal(get_nodelay(&h, fd), 1);
    assert_true(small_writes_back_to_back(&h, fd, &nxt));
    assert_int_equal(h.ifc.close(u, fd), 0);
    assert_int_equal(h.ifc.close(u, s), 0);
    pdh_close(&h);
}

int main(void)
{
    if (pdh_no_deepbind())
        fprintf(stderr, "note: sanitizer build: dlopen without RTLD_DEEPBIND, which the "
                        "sanitizer runtimes refuse\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_member_set),
        cmocka_unit_test(test_clock_real),
        cmocka_unit_test(test_clock_virtual),
        cmocka_unit_test(test_fd_rules),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_netdev_gives_up),
        cmocka_unit_test(test_reinit),
        cmocka_unit_test(test_passive_open_data_passive_close),
        cmocka_unit_test(test_active_open_active_close),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_reset_established),
        cmocka_unit_test(test_linger_zero_resets),
        cmocka_unit_test(test_epoll),
        cmocka_unit_test(test_other_data_calls),
        cmocka_unit_test(test_close_wakes_sleepers),
        cmocka_unit_test(test_virtual_retransmission_timing),
        cmocka_unit_test(test_virtual_jump_waits_for_woken_call),
        cmocka_unit_test(test_linux_profile_rto_min),
        cmocka_unit_test(test_linux_profile_syn_options),
        cmocka_unit_test(test_nodelay_reaches_connection),
        cmocka_unit_test(test_keepalive_sockopts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
