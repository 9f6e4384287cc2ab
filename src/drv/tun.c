/* TUN/TAP driver (Linux): moves a stack's frames to and from the kernel
 * through /dev/net/tun, and runs a ppoll loop around it. A driver, not part
 * of the sans-I/O core: it does system calls and reads the clock. */
#define _GNU_SOURCE
#include "synack/tun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifdef __linux__
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#endif

#define TUN_BATCH_DEFAULT 32
#define TUN_BATCH_MAX     1024
#define TUN_ETH_HLEN      14
#define TUN_TXQLEN_MAX    (1 << 20) /* the kernel takes an int; a sane bound */
/* Largest frame the kernel can hand us without GSO (IFF_VNET_HDR is not
 * asked for): an IPv4 datagram's total length is 16 bits. */
#define TUN_RX_MAX (65535 + TUN_ETH_HLEN)

void synack_tun_config_default(synack_tun_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->link = SYNACK_LINK_IP;
    cfg->peer_prefix_len = 24;
    cfg->batch = TUN_BATCH_DEFAULT;
}

static void say(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *why, size_t why_len, const char *fmt, ...)
{
    if (!why || why_len == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

#ifdef __linux__

struct synack_tun {
    synack_mem mem;
    int fd;
    synack_link_type link;
    char name[IFNAMSIZ];
    uint16_t mtu;
    uint32_t batch;

    uint8_t *rx; /* one frame: the stack reads it only during input */

    /* Transmit queue: a ring of `batch` slots of slot_size bytes. */
    uint8_t *tx;
    uint32_t *tx_len;
    size_t slot_size;
    uint32_t tx_head, tx_count;
    bool tx_blocked; /* the last flush stopped on EAGAIN: poll for POLLOUT */

    struct pollfd *pfds; /* the loop's poll set (device + the hook's fds) */
    size_t pfds_cap;

    synack_tun_stats stats;
};

uint64_t synack_tun_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *kind_name(synack_link_type link)
{
    return link == SYNACK_LINK_ETHERNET ? "TAP" : "TUN";
}

static int open_clone_device(char *why, size_t why_len)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    int e = errno;
    switch (e) {
    case ENOENT:
        say(why, why_len,
            "/dev/net/tun does not exist: this system has no TUN/TAP device node "
            "(load the module with 'modprobe tun', create the node with "
            "'mknod /dev/net/tun c 10 200', or in a container pass the device in)");
        return SYNACK_ERR_UNSUPPORTED;
    case ENODEV:
    case ENXIO:
        say(why, why_len,
            "/dev/net/tun exists but the kernel has no TUN/TAP driver "
            "(load it with 'modprobe tun')");
        return SYNACK_ERR_UNSUPPORTED;
    case EACCES:
    case EPERM:
        say(why, why_len,
            "cannot open /dev/net/tun: permission denied (it needs read-write access to "
            "the device node; run as root)");
        return SYNACK_ERR_PERM;
    default:
        say(why, why_len, "cannot open /dev/net/tun: %s", strerror(e));
        return SYNACK_ERR_IO;
    }
}

/* TUNSETIFF creates the device, or attaches to an existing one of the same
 * kind (a persistent device may be attached to by its owner without
 * privilege). */
static int attach_device(synack_tun *t, const char *name, char *why, size_t why_len)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = (short)((t->link == SYNACK_LINK_ETHERNET ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(t->fd, TUNSETIFF, &ifr) == 0) {
        memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
        t->name[IFNAMSIZ - 1] = 0;
        return 0;
    }
    int e = errno;
    const char *shown = *name ? name : "(any)";
    switch (e) {
    case EPERM:
    case EACCES:
        say(why, why_len,
            "creating %s device '%s' needs the CAP_NET_ADMIN capability: run as root "
            "(e.g. sudo), grant it with 'setcap cap_net_admin+ep' on the program, or "
            "create a persistent device you own with 'ip tuntap add dev %s mode %s user "
            "$USER'",
            kind_name(t->link), shown, *name ? name : "NAME",
            t->link == SYNACK_LINK_ETHERNET ? "tap" : "tun");
        return SYNACK_ERR_PERM;
    case EBUSY:
        say(why, why_len, "%s device '%s' is busy: another process has it open", kind_name(t->link),
            shown);
        return SYNACK_ERR_ADDRINUSE;
    case EINVAL:
        say(why, why_len, "an interface named '%s' already exists and is not a %s device", shown,
            kind_name(t->link));
        return SYNACK_ERR_ADDRINUSE;
    default:
        say(why, why_len, "ioctl(TUNSETIFF) for %s device '%s': %s", kind_name(t->link), shown,
            strerror(e));
        return SYNACK_ERR_IO;
    }
}

static int ifreq_ioctl(int sock, unsigned long req, struct ifreq *ifr, const char *what,
                       const char *ifname, char *why, size_t why_len)
{
    if (ioctl(sock, req, ifr) == 0)
        return 0;
    int e = errno;
    if (e == EPERM || e == EACCES) {
        say(why, why_len, "%s on '%s' needs the CAP_NET_ADMIN capability (run as root)", what,
            ifname);
        return SYNACK_ERR_PERM;
    }
    say(why, why_len, "%s on '%s': %s", what, ifname, strerror(e));
    return SYNACK_ERR_IO;
}

static void put_sin(struct sockaddr *sa, synack_ipv4 addr)
{
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(addr);
    memcpy(sa, &sin, sizeof(sin));
}

/* The kernel side of the link: MTU, address and prefix (which installs the
 * on-link route), IFF_UP. Old-style ioctls on an AF_INET socket, as
 * ifconfig does: no netlink parsing, and no shelling out to ip(8). */
static int configure_device(synack_tun *t, const synack_tun_config *cfg, char *why, size_t why_len)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        say(why, why_len, "socket(AF_INET): %s", strerror(errno));
        return SYNACK_ERR_IO;
    }
    struct ifreq ifr;
    int rv = 0;
    if (cfg->mtu) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
        ifr.ifr_mtu = cfg->mtu;
        rv = ifreq_ioctl(sock, SIOCSIFMTU, &ifr, "setting the MTU", t->name, why, why_len);
    }
    if (rv == 0 && cfg->tx_queue_len) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
        ifr.ifr_qlen = (int)cfg->tx_queue_len;
        rv = ifreq_ioctl(sock, SIOCSIFTXQLEN, &ifr, "setting the transmit queue length", t->name,
                         why, why_len);
    }
    if (rv == 0 && cfg->peer_addr) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
        put_sin(&ifr.ifr_addr, cfg->peer_addr);
        rv = ifreq_ioctl(sock, SIOCSIFADDR, &ifr, "assigning an address", t->name, why, why_len);
        if (rv == 0) {
            uint32_t mask = cfg->peer_prefix_len ? 0xffffffffu << (32 - cfg->peer_prefix_len) : 0;
            memset(&ifr, 0, sizeof(ifr));
            memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
            put_sin(&ifr.ifr_netmask, mask);
            rv = ifreq_ioctl(sock, SIOCSIFNETMASK, &ifr, "setting the netmask", t->name, why,
                             why_len);
        }
    }
    if (rv == 0 && (cfg->up || cfg->peer_addr)) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
        rv = ifreq_ioctl(sock, SIOCGIFFLAGS, &ifr, "reading the flags", t->name, why, why_len);
        if (rv == 0 && !(ifr.ifr_flags & IFF_UP)) {
            ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
            rv = ifreq_ioctl(sock, SIOCSIFFLAGS, &ifr, "bringing the link up", t->name, why,
                             why_len);
        }
    }
    if (rv == 0) {
        memset(&ifr, 0, sizeof(ifr));
        memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
        rv = ifreq_ioctl(sock, SIOCGIFMTU, &ifr, "reading the MTU", t->name, why, why_len);
        if (rv == 0)
            t->mtu = ifr.ifr_mtu > 65535 ? 65535 : (uint16_t)ifr.ifr_mtu;
    }
    close(sock);
    return rv;
}

static int check_config(const synack_tun_config *cfg, char *why, size_t why_len)
{
    if (memchr(cfg->name, 0, sizeof(cfg->name)) == NULL) {
        say(why, why_len, "interface name longer than %d bytes", SYNACK_TUN_NAME_MAX);
        return SYNACK_ERR_INVAL;
    }
    if (strchr(cfg->name, '/') || strchr(cfg->name, ' ')) {
        say(why, why_len, "interface name '%s' contains '/' or a space", cfg->name);
        return SYNACK_ERR_INVAL;
    }
    if (cfg->link != SYNACK_LINK_IP && cfg->link != SYNACK_LINK_ETHERNET) {
        say(why, why_len, "link must be SYNACK_LINK_IP (TUN) or SYNACK_LINK_ETHERNET (TAP)");
        return SYNACK_ERR_INVAL;
    }
    if (cfg->peer_prefix_len > 32) {
        say(why, why_len, "peer prefix length %u is over 32", cfg->peer_prefix_len);
        return SYNACK_ERR_INVAL;
    }
    if (cfg->batch < 1 || cfg->batch > TUN_BATCH_MAX) {
        say(why, why_len, "batch must be 1..%d", TUN_BATCH_MAX);
        return SYNACK_ERR_INVAL;
    }
    if (cfg->tx_queue_len > TUN_TXQLEN_MAX) {
        say(why, why_len, "tx_queue_len %u is over %d", cfg->tx_queue_len, TUN_TXQLEN_MAX);
        return SYNACK_ERR_INVAL;
    }
    if (cfg->mtu && cfg->mtu < 68) {
        say(why, why_len, "MTU %u is below IPv4's minimum of 68 (RFC 791)", cfg->mtu);
        return SYNACK_ERR_INVAL;
    }
    return 0;
}

static int alloc_buffers(synack_tun *t)
{
    t->slot_size = (size_t)t->mtu + TUN_ETH_HLEN;
    t->rx = t->mem.malloc(TUN_RX_MAX, t->mem.user_data);
    t->tx = t->mem.malloc(t->slot_size * t->batch, t->mem.user_data);
    t->tx_len = t->mem.calloc(t->batch, sizeof(*t->tx_len), t->mem.user_data);
    return t->rx && t->tx && t->tx_len ? 0 : SYNACK_ERR_NOMEM;
}

static void free_tun(synack_tun *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->mem.free(t->rx, t->mem.user_data);
    t->mem.free(t->tx, t->mem.user_data);
    t->mem.free(t->tx_len, t->mem.user_data);
    t->mem.free(t->pfds, t->mem.user_data);
    t->mem.free(t, t->mem.user_data);
}

int synack_tun_open(const synack_tun_config *cfg, const synack_mem *mem, synack_tun **out,
                    char *why, size_t why_len)
{
    say(why, why_len, "%s", "");
    if (!cfg || !out) {
        say(why, why_len, "no configuration or no place for the result");
        return SYNACK_ERR_INVAL;
    }
    *out = NULL;
    int rv = check_config(cfg, why, why_len);
    if (rv < 0)
        return rv;
    if (!mem)
        mem = synack_mem_default();
    synack_tun *t = mem->calloc(1, sizeof(*t), mem->user_data);
    if (!t) {
        say(why, why_len, "out of memory");
        return SYNACK_ERR_NOMEM;
    }
    t->mem = *mem;
    t->link = cfg->link;
    t->batch = cfg->batch;
    t->fd = open_clone_device(why, why_len);
    if (t->fd < 0) {
        rv = t->fd;
        free_tun(t);
        return rv;
    }
    rv = attach_device(t, cfg->name, why, why_len);
    if (rv == 0)
        rv = configure_device(t, cfg, why, why_len);
    if (rv == 0) {
        rv = alloc_buffers(t);
        if (rv < 0)
            say(why, why_len, "out of memory");
    }
    if (rv < 0) {
        free_tun(t);
        return rv;
    }
    *out = t;
    return 0;
}

void synack_tun_close(synack_tun *t)
{
    if (!t)
        return;
    synack_tun_flush(t);
    free_tun(t);
}

const char *synack_tun_name(const synack_tun *t)
{
    return t->name;
}

synack_link_type synack_tun_link(const synack_tun *t)
{
    return t->link;
}

uint16_t synack_tun_mtu(const synack_tun *t)
{
    return t->mtu;
}

int synack_tun_fd(const synack_tun *t)
{
    return t->fd;
}

short synack_tun_poll_events(const synack_tun *t)
{
    return (short)(POLLIN | (t->tx_blocked && t->tx_count ? POLLOUT : 0));
}

const synack_tun_stats *synack_tun_get_stats(const synack_tun *t)
{
    return &t->stats;
}

static uint8_t *tx_slot(synack_tun *t, uint32_t i)
{
    return t->tx + (size_t)((t->tx_head + i) % t->batch) * t->slot_size;
}

int synack_tun_flush(synack_tun *t)
{
    uint32_t written = 0;
    t->tx_blocked = false;
    while (t->tx_count > 0) {
        uint32_t len = t->tx_len[t->tx_head];
        ssize_t n = write(t->fd, tx_slot(t, 0), len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            t->tx_blocked = true;
            break;
        }
        if (n < 0 || (size_t)n != len) {
            t->stats.write_errors++; /* the frame is lost, as on a wire */
        } else {
            t->stats.frames_written++;
            t->stats.bytes_written += len;
            written++;
        }
        t->tx_head = (t->tx_head + 1) % t->batch;
        t->tx_count--;
    }
    if (written)
        t->stats.write_bursts++;
    return (int)t->tx_count;
}

int synack_tun_write(synack_tun *t, const uint8_t *frame, size_t len)
{
    size_t hdr = t->link == SYNACK_LINK_ETHERNET ? TUN_ETH_HLEN : 0;
    if (!frame || len == 0 || len > (size_t)t->mtu + hdr) {
        t->stats.oversize++;
        return SYNACK_ERR_INVAL;
    }
    if (t->tx_count == t->batch && synack_tun_flush(t) == (int)t->batch) {
        t->stats.queue_full++;
        return SYNACK_ERR_NOBUFS;
    }
    uint32_t slot = (t->tx_head + t->tx_count) % t->batch;
    memcpy(t->tx + (size_t)slot * t->slot_size, frame, len);
    t->tx_len[slot] = (uint32_t)len;
    t->tx_count++;
    return 0;
}

int synack_tun_read(synack_tun *t, synack_stack *stack, uint64_t now)
{
    uint32_t got = 0;
    while (got < t->batch) {
        ssize_t n = read(t->fd, t->rx, TUN_RX_MAX);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return SYNACK_ERR_IO;
        if (n == 0)
            break;
        got++;
        t->stats.frames_read++;
        t->stats.bytes_read += (uint64_t)n;
        synack_stack_input(stack, t->rx, (size_t)n, now);
    }
    if (got)
        t->stats.read_batches++;
    return (int)got;
}

static int ensure_pfds(synack_tun *t, size_t n)
{
    if (n <= t->pfds_cap)
        return 0;
    struct pollfd *p = t->mem.realloc(t->pfds, n * sizeof(*p), t->mem.user_data);
    if (!p)
        return SYNACK_ERR_NOMEM;
    t->pfds = p;
    t->pfds_cap = n;
    return 0;
}

/* The earliest of the stack's next timer and the hook's deadline, as a
 * relative timeout for ppoll (NULL: sleep until something happens). */
static struct timespec *sleep_for(const synack_stack *stack, const synack_tun_loop *loop,
                                  struct timespec *ts)
{
    uint64_t deadline = synack_stack_next_timeout(stack);
    if (loop->wake_at && loop->wake_at < deadline)
        deadline = loop->wake_at;
    if (deadline == UINT64_MAX)
        return NULL;
    uint64_t now = synack_tun_now();
    uint64_t d = deadline > now ? deadline - now : 0;
    ts->tv_sec = (time_t)(d / 1000000000ull);
    ts->tv_nsec = (long)(d % 1000000000ull);
    return ts;
}

int synack_tun_run(synack_tun *t, synack_stack *stack, synack_tun_loop *loop)
{
    synack_tun_loop none = {0};
    if (!loop)
        loop = &none;
    if (ensure_pfds(t, 1 + loop->nfds) < 0)
        return SYNACK_ERR_NOMEM;
    for (;;) {
        if (loop->stop && *loop->stop)
            break;
        uint64_t now = synack_tun_now();
        if (synack_stack_next_timeout(stack) <= now)
            synack_stack_handle_timeout(stack, now);
        if (loop->hook) {
            int rv = loop->hook(loop->user_data, now);
            if (rv != 0) {
                synack_tun_flush(t);
                return rv;
            }
        }
        synack_tun_flush(t);
        if (loop->stop && *loop->stop)
            break;

        struct timespec ts;
        struct timespec *tsp = sleep_for(stack, loop, &ts);
        t->pfds[0].fd = t->fd;
        t->pfds[0].events = synack_tun_poll_events(t);
        t->pfds[0].revents = 0;
        for (size_t i = 0; i < loop->nfds; i++) {
            t->pfds[1 + i] = loop->fds[i];
            t->pfds[1 + i].revents = 0;
        }
        int n = ppoll(t->pfds, (nfds_t)(1 + loop->nfds), tsp, loop->sigmask);
        if (n < 0 && errno != EINTR)
            return SYNACK_ERR_IO;
        for (size_t i = 0; i < loop->nfds; i++)
            loop->fds[i].revents = n < 0 ? 0 : t->pfds[1 + i].revents;
        if (n <= 0)
            continue;
        short rev = t->pfds[0].revents;
        if (rev & POLLOUT)
            synack_tun_flush(t);
        if (rev & (POLLIN | POLLERR | POLLHUP)) {
            if (synack_tun_read(t, stack, synack_tun_now()) < 0)
                return SYNACK_ERR_IO;
        }
        if (rev & POLLNVAL)
            return SYNACK_ERR_IO;
    }
    synack_tun_flush(t);
    return 0;
}

#else /* !__linux__ */

struct synack_tun {
    int unused;
};

uint64_t synack_tun_now(void)
{
    return 0;
}

int synack_tun_open(const synack_tun_config *cfg, const synack_mem *mem, synack_tun **out,
                    char *why, size_t why_len)
{
    (void)cfg;
    (void)mem;
    if (out)
        *out = NULL;
    say(why, why_len, "TUN/TAP devices are supported on Linux only");
    return SYNACK_ERR_UNSUPPORTED;
}

void synack_tun_close(synack_tun *t)
{
    (void)t;
}

const char *synack_tun_name(const synack_tun *t)
{
    (void)t;
    return "";
}

synack_link_type synack_tun_link(const synack_tun *t)
{
    (void)t;
    return SYNACK_LINK_IP;
}

uint16_t synack_tun_mtu(const synack_tun *t)
{
    (void)t;
    return 0;
}

int synack_tun_fd(const synack_tun *t)
{
    (void)t;
    return -1;
}

short synack_tun_poll_events(const synack_tun *t)
{
    (void)t;
    return 0;
}

const synack_tun_stats *synack_tun_get_stats(const synack_tun *t)
{
    (void)t;
    return NULL;
}

int synack_tun_write(synack_tun *t, const uint8_t *frame, size_t len)
{
    (void)t;
    (void)frame;
    (void)len;
    return SYNACK_ERR_UNSUPPORTED;
}

int synack_tun_flush(synack_tun *t)
{
    (void)t;
    return 0;
}

int synack_tun_read(synack_tun *t, synack_stack *stack, uint64_t now)
{
    (void)t;
    (void)stack;
    (void)now;
    return SYNACK_ERR_UNSUPPORTED;
}

int synack_tun_run(synack_tun *t, synack_stack *stack, synack_tun_loop *loop)
{
    (void)t;
    (void)stack;
    (void)loop;
    return SYNACK_ERR_UNSUPPORTED;
}

#endif
