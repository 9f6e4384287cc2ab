/* The TUN/TAP driver: configuration errors (anywhere), then, in a network
 * namespace of its own (root only), devices created and configured, the
 * errors for busy and mismatched devices and for a missing CAP_NET_ADMIN,
 * and the loop carrying a kernel TCP connection to a stack and back.
 * Without the privilege to make a namespace the program exits 77. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "synack/synack.h"
#include "synack/tun.h"

#define SEC 1000000000ull

/* ---- configuration errors: no device needed ------------------------------- */

static void test_config_default(void **state)
{
    (void)state;
    synack_tun_config c;
    memset(&c, 0xa5, sizeof(c));
    synack_tun_config_default(&c);
    assert_string_equal(c.name, "");
    assert_int_equal(c.link, SYNACK_LINK_IP);
    assert_int_equal(c.peer_addr, 0);
    assert_int_equal(c.peer_prefix_len, 24);
    assert_false(c.up);
    assert_int_equal(c.mtu, 0);
    assert_int_equal(c.batch, 32);
    assert_int_equal(c.tx_queue_len, 0);
}

static void expect_inval(const synack_tun_config *c, const char *msg)
{
    char why[256] = "unchanged";
    synack_tun *t = (synack_tun *)(uintptr_t)1;
    assert_int_equal(synack_tun_open(c, NULL, &t, why, sizeof(why)), SYNACK_ERR_INVAL);
    assert_null(t);
    assert_string_equal(why, msg);
}

static void test_config_errors(void **state)
{
    (void)state;
    synack_tun_config c;
    synack_tun_config_default(&c);
    memset(c.name, 'x', sizeof(c.name)); /* no NUL: 16 bytes */
    expect_inval(&c, "interface name longer than 15 bytes");

    synack_tun_config_default(&c);
    strcpy(c.name, "a/b");
    expect_inval(&c, "interface name 'a/b' contains '/' or a space");

    synack_tun_config_default(&c);
    c.peer_prefix_len = 33;
    expect_inval(&c, "peer prefix length 33 is over 32");

    synack_tun_config_default(&c);
    c.batch = 0;
    expect_inval(&c, "batch must be 1..1024");
    c.batch = 1025;
    expect_inval(&c, "batch must be 1..1024");

    synack_tun_config_default(&c);
    c.tx_queue_len = (1u << 20) + 1;
    expect_inval(&c, "tx_queue_len 1048577 is over 1048576");

    synack_tun_config_default(&c);
    c.mtu = 67;
    expect_inval(&c, "MTU 67 is below IPv4's minimum of 68 (RFC 791)");

    synack_tun_config_default(&c);
    c.link = (synack_link_type)7;
    expect_inval(&c, "link must be SYNACK_LINK_IP (TUN) or SYNACK_LINK_ETHERNET (TAP)");

    char why[64];
    assert_int_equal(synack_tun_open(NULL, NULL, NULL, why, sizeof(why)), SYNACK_ERR_INVAL);
    /* A NULL message buffer is allowed. */
    c.batch = 0;
    synack_tun *t;
    assert_int_equal(synack_tun_open(&c, NULL, &t, NULL, 0), SYNACK_ERR_INVAL);
}

/* ---- in a namespace of our own ------------------------------------------------ */

static synack_tun *open_tun(const char *name, synack_link_type link, uint32_t peer)
{
    synack_tun_config c;
    synack_tun_config_default(&c);
    strcpy(c.name, name);
    c.link = link;
    c.peer_addr = peer;
    char why[256];
    synack_tun *t = NULL;
    int rv = synack_tun_open(&c, NULL, &t, why, sizeof(why));
    if (rv != 0)
        fail_msg("open %s: %s (%s)", name, synack_errname(rv), why);
    assert_string_equal(why, "");
    return t;
}

/* The kernel's view of the interface: flags, MTU and IPv4 address. */
static void kernel_view(const char *name, short *flags, int *mtu, uint32_t *addr, uint32_t *mask)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, name);
    assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    *flags = ifr.ifr_flags;
    assert_int_equal(ioctl(s, SIOCGIFMTU, &ifr), 0);
    *mtu = ifr.ifr_mtu;
    *addr = *mask = 0;
    if (ioctl(s, SIOCGIFADDR, &ifr) == 0) {
        struct sockaddr_in sin;
        memcpy(&sin, &ifr.ifr_addr, sizeof(sin));
        *addr = ntohl(sin.sin_addr.s_addr);
        assert_int_equal(ioctl(s, SIOCGIFNETMASK, &ifr), 0);
        memcpy(&sin, &ifr.ifr_netmask, sizeof(sin));
        *mask = ntohl(sin.sin_addr.s_addr);
    }
    close(s);
}

static int kernel_txqlen(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(s >= 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, name);
    assert_int_equal(ioctl(s, SIOCGIFTXQLEN, &ifr), 0);
    close(s);
    return ifr.ifr_qlen;
}

static void test_open_configures_device(void **state)
{
    (void)state;
    synack_tun *t = open_tun("sktun0", SYNACK_LINK_IP, 0x0a090001);
    assert_string_equal(synack_tun_name(t), "sktun0");
    assert_int_equal(synack_tun_link(t), SYNACK_LINK_IP);
    assert_int_equal(synack_tun_mtu(t), 1500);
    assert_true(synack_tun_fd(t) >= 0);
    assert_int_equal(fcntl(synack_tun_fd(t), F_GETFL) & O_NONBLOCK, O_NONBLOCK);
    assert_int_equal(synack_tun_poll_events(t), POLLIN);
    short flags;
    int mtu;
    uint32_t addr, mask;
    kernel_view("sktun0", &flags, &mtu, &addr, &mask);
    assert_true(flags & IFF_UP);
    assert_int_equal(mtu, 1500);
    assert_int_equal(addr, 0x0a090001);
    assert_int_equal(mask, 0xffffff00);
    assert_int_equal(kernel_txqlen("sktun0"), 500); /* left alone by default */
    synack_tun_close(t);
    /* Not persistent: the device went away with its descriptor. */
    assert_int_equal(if_nametoindex("sktun0"), 0);

    /* TAP, a chosen MTU, a kernel-chosen name, no address: left down. */
    synack_tun_config c;
    synack_tun_config_default(&c);
    c.link = SYNACK_LINK_ETHERNET;
    c.mtu = 1400;
    char why[256];
    assert_int_equal(synack_tun_open(&c, NULL, &t, why, sizeof(why)), 0);
    assert_int_equal(strncmp(synack_tun_name(t), "tap", 3), 0);
    assert_int_equal(synack_tun_link(t), SYNACK_LINK_ETHERNET);
    assert_int_equal(synack_tun_mtu(t), 1400);
    kernel_view(synack_tun_name(t), &flags, &mtu, &addr, &mask);
    assert_false(flags & IFF_UP);
    assert_int_equal(mtu, 1400);
    assert_int_equal(addr, 0);
    synack_tun_close(t);

    /* A deeper queue towards us, for the ACKs a burst of ours provokes. */
    synack_tun_config_default(&c);
    strcpy(c.name, "sktun1");
    c.tx_queue_len = 4096;
    assert_int_equal(synack_tun_open(&c, NULL, &t, why, sizeof(why)), 0);
    assert_int_equal(kernel_txqlen("sktun1"), 4096);
    synack_tun_close(t);
}

static void test_busy_and_mismatched(void **state)
{
    (void)state;
    synack_tun *t = open_tun("sktun1", SYNACK_LINK_IP, 0);
    synack_tun_config c;
    synack_tun_config_default(&c);
    strcpy(c.name, "sktun1");
    char why[256];
    synack_tun *t2 = NULL;
    assert_int_equal(synack_tun_open(&c, NULL, &t2, why, sizeof(why)), SYNACK_ERR_ADDRINUSE);
    assert_null(t2);
    assert_string_equal(why, "TUN device 'sktun1' is busy: another process has it open");
    c.link = SYNACK_LINK_ETHERNET;
    assert_int_equal(synack_tun_open(&c, NULL, &t2, why, sizeof(why)), SYNACK_ERR_ADDRINUSE);
    assert_string_equal(why, "an interface named 'sktun1' already exists and is not a TAP device");
    /* "lo" is no TUN device either. */
    strcpy(c.name, "lo");
    c.link = SYNACK_LINK_IP;
    assert_int_equal(synack_tun_open(&c, NULL, &t2, why, sizeof(why)), SYNACK_ERR_ADDRINUSE);
    assert_string_equal(why, "an interface named 'lo' already exists and is not a TUN device");
    synack_tun_close(t);
}

/* Drops CAP_NET_ADMIN from this process (the child of a fork). */
static int drop_net_admin(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -1;
    data[0].effective &= ~(1u << CAP_NET_ADMIN);
    data[0].permitted &= ~(1u << CAP_NET_ADMIN);
    data[0].inheritable &= ~(1u << CAP_NET_ADMIN);
    return (int)syscall(SYS_capset, &hdr, data);
}

static void test_missing_privilege(void **state)
{
    (void)state;
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        char msg[300] = "capset failed";
        int rv = -100;
        if (drop_net_admin() == 0) {
            synack_tun_config c;
            synack_tun_config_default(&c);
            strcpy(c.name, "sktun2");
            synack_tun *t = NULL;
            rv = synack_tun_open(&c, NULL, &t, msg, sizeof(msg));
        }
        dprintf(pipefd[1], "%d %s", rv, msg);
        _exit(0);
    }
    close(pipefd[1]);
    char buf[400] = "";
    ssize_t n = read(pipefd[0], buf, sizeof(buf) - 1);
    close(pipefd[0]);
    waitpid(pid, NULL, 0);
    assert_true(n > 0);
    int rv = atoi(buf);
    assert_int_equal(rv, SYNACK_ERR_PERM);
    assert_non_null(strstr(buf, "creating TUN device 'sktun2' needs the CAP_NET_ADMIN capability"));
}

static void test_write_queue(void **state)
{
    (void)state;
    synack_tun *t = open_tun("sktun3", SYNACK_LINK_IP, 0x0a0a0001);
    uint8_t big[1501] = {0};
    assert_int_equal(synack_tun_write(t, big, sizeof(big)), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tun_write(t, big, 0), SYNACK_ERR_INVAL);
    assert_int_equal(synack_tun_get_stats(t)->oversize, 2);
    /* Queued, then written in one burst (the kernel drops these: no
     * valid IPv4 in them, which is not the driver's business). */
    uint8_t f[40] = {0x45};
    for (int i = 0; i < 40; i++)
        assert_int_equal(synack_tun_write(t, f, sizeof(f)), 0);
    /* 40 frames in a queue of 32: the 33rd forced a flush of the first 32. */
    assert_int_equal(synack_tun_get_stats(t)->write_bursts, 1);
    assert_int_equal(synack_tun_flush(t), 0);
    const synack_tun_stats *st = synack_tun_get_stats(t);
    assert_int_equal(st->frames_written + st->write_errors, 40);
    assert_int_equal(st->write_bursts, st->frames_written ? 2 : 0);
    assert_int_equal(st->queue_full, 0);
    synack_tun_close(t);
}

/* ---- the loop: a kernel TCP client, a synack server ------------------------- */

typedef struct loop_test {
    synack_tun *tun;
    synack_stack *stack;
    synack_tcp *listener, *conn;
    int ksock;
    struct pollfd pfd;
    int phase; /* 0 connecting, 1 sent "ping", 2 got "pong" */
    char got[16];
    size_t got_len;
    uint64_t deadline;
    unsigned hook_calls;
} loop_test;

static int out_fn(void *user, const uint8_t *f, size_t n, uint64_t now)
{
    (void)now;
    return synack_tun_write(((loop_test *)user)->tun, f, n);
}

static int loop_hook(void *user, uint64_t now)
{
    loop_test *L = user;
    L->hook_calls++;
    if (now > L->deadline)
        return SYNACK_ERR_TIMEDOUT;
    if (!L->conn)
        synack_tcp_accept(L->listener, &L->conn, now);
    if (L->phase == 0 && (L->pfd.revents & POLLOUT)) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(L->ksock, SOL_SOCKET, SO_ERROR, &err, &len);
        assert_int_equal(err, 0);
        assert_int_equal(send(L->ksock, "ping", 4, 0), 4);
        L->phase = 1;
    }
    if (L->conn && L->phase == 1) {
        char buf[8];
        ssize_t n = synack_tcp_recv(L->conn, buf, sizeof(buf), now);
        if (n == 4) {
            assert_memory_equal(buf, "ping", 4);
            assert_int_equal(synack_tcp_send(L->conn, "pong", 4, now), 4);
            L->phase = 2;
        }
    }
    if (L->phase == 2 && (L->pfd.revents & POLLIN)) {
        ssize_t n = recv(L->ksock, L->got + L->got_len, sizeof(L->got) - L->got_len, 0);
        if (n > 0)
            L->got_len += (size_t)n;
        if (L->got_len >= 4)
            return 7; /* done: the loop returns this */
    }
    L->pfd.fd = L->ksock;
    L->pfd.events = L->phase == 0 ? POLLOUT : POLLIN;
    return 0;
}

static void test_loop_carries_kernel_tcp(void **state)
{
    (void)state;
    loop_test L;
    memset(&L, 0, sizeof(L));
    L.tun = open_tun("sktun4", SYNACK_LINK_IP, 0x0a0b0001);
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.link = synack_tun_link(L.tun);
    cfg.addr = 0x0a0b0002;
    synack_callbacks cb = {.output = out_fn};
    uint64_t now = synack_tun_now();
    assert_int_equal(synack_stack_new(&cfg, &cb, NULL, &L, now, &L.stack), 0);
    assert_int_equal(synack_tcp_listen(L.stack, 0, 7777, 4, now, &L.listener), 0);

    L.ksock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(L.ksock >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(7777)};
    sin.sin_addr.s_addr = htonl(0x0a0b0002);
    int rv = connect(L.ksock, (struct sockaddr *)&sin, sizeof(sin));
    assert_true(rv == 0 || errno == EINPROGRESS);

    L.deadline = now + 5 * SEC;
    L.pfd.fd = L.ksock;
    L.pfd.events = POLLOUT;
    synack_tun_loop loop = {.hook = loop_hook, .user_data = &L, .fds = &L.pfd, .nfds = 1};
    loop.wake_at = L.deadline + 1;
    assert_int_equal(synack_tun_run(L.tun, L.stack, &loop), 7);
    assert_int_equal(L.got_len, 4);
    assert_memory_equal(L.got, "pong", 4);
    const synack_tun_stats *st = synack_tun_get_stats(L.tun);
    /* SYN, ACK, "ping" at least; SYN+ACK and "pong" at least ("pong"
     * carries the ACK of "ping": delayed ACK, RFC 1122 4.2.3.2). */
    assert_true(st->frames_read >= 3);
    assert_true(st->frames_written >= 2);
    assert_true(st->read_batches >= 1 && st->read_batches <= st->frames_read);
    assert_int_equal(st->write_errors, 0);
    assert_int_equal(synack_stack_stats(L.stack)->tcp_conn_established, 1);

    /* A stop flag already set ends the loop before it sleeps. */
    volatile sig_atomic_t stop = 1;
    synack_tun_loop stopped = {.stop = &stop};
    assert_int_equal(synack_tun_run(L.tun, L.stack, &stopped), 0);

    close(L.ksock);
    synack_stack_del(L.stack);
    synack_tun_close(L.tun);
}

int main(void)
{
    const struct CMUnitTest anywhere[] = {
        cmocka_unit_test(test_config_default),
        cmocka_unit_test(test_config_errors),
    };
    int failed = cmocka_run_group_tests_name("tun (no device)", anywhere, NULL, NULL);
    if (failed)
        return failed;
    if (access("/dev/net/tun", F_OK) != 0) {
        printf("skip: /dev/net/tun does not exist; the device tests need it\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) != 0) {
        printf("skip: cannot create a network namespace (%s); the device tests need root "
               "(CAP_SYS_ADMIN and CAP_NET_ADMIN)\n",
               strerror(errno));
        return 77;
    }
    const struct CMUnitTest privileged[] = {
        cmocka_unit_test(test_open_configures_device),  cmocka_unit_test(test_busy_and_mismatched),
        cmocka_unit_test(test_missing_privilege),       cmocka_unit_test(test_write_queue),
        cmocka_unit_test(test_loop_carries_kernel_tcp),
    };
    return cmocka_run_group_tests_name("tun (in a network namespace)", privileged, NULL, NULL);
}
