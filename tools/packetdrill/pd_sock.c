/* Socket calls with Linux's semantics (what packetdrill scripts written
 * against Linux expect), on top of synack_tcp_*. Each socket owns a real
 * host descriptor, reserved by opening /dev/null: packetdrill closes the
 * descriptors a script leaves open with the host's close(). Descriptors
 * that are not ours (pipes) go to the host's calls. */
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <unistd.h>

/* ---- descriptors ---------------------------------------------------------- */

pd_sock *pd_sock_get(pd *p, int fd)
{
    if (fd < 0 || fd >= p->nfds)
        return NULL;
    return p->fds[fd];
}

pd_sock *pd_sock_new(pd *p, enum pd_kind kind)
{
    pd_sock *s = calloc(1, sizeof(*s));
    if (!s) {
        errno = ENOMEM;
        return NULL;
    }
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        free(s);
        return NULL; /* errno from open: EMFILE, ENFILE */
    }
    if (fd >= p->nfds) {
        int n = fd + 64;
        pd_sock **t = realloc(p->fds, (size_t)n * sizeof(*t));
        if (!t) {
            close(fd);
            free(s);
            errno = ENOMEM;
            return NULL;
        }
        memset(t + p->nfds, 0, (size_t)(n - p->nfds) * sizeof(*t));
        p->fds = t;
        p->nfds = n;
    }
    s->fd = fd;
    s->kind = kind;
    s->all_next = p->all;
    p->all = s;
    p->fds[fd] = s;
    return s;
}

/* Socks are freed only with the instance: a thread blocked in a call on a
 * socket that another thread closes still holds it. */
void pd_sock_free_all(pd *p)
{
    for (pd_sock *s = p->all, *next; s; s = next) {
        next = s->all_next;
        free(s->items);
        free(s);
    }
    p->all = NULL;
}

static int errno_of(int err)
{
    switch (err) {
    case SYNACK_ERR_REFUSED:
        return ECONNREFUSED;
    case SYNACK_ERR_RESET:
        return ECONNRESET;
    case SYNACK_ERR_TIMEDOUT:
        return ETIMEDOUT;
    case SYNACK_ERR_HOSTUNREACH:
        return EHOSTUNREACH;
    case SYNACK_ERR_NOROUTE:
        return ENETUNREACH;
    case SYNACK_ERR_ADDRINUSE:
        return EADDRINUSE;
    case SYNACK_ERR_NOTCONN:
        return ENOTCONN;
    case SYNACK_ERR_ISCONN:
        return EISCONN;
    case SYNACK_ERR_CLOSED:
        return EPIPE;
    case SYNACK_ERR_INPROGRESS:
        return EINPROGRESS;
    case SYNACK_ERR_AGAIN:
        return EAGAIN;
    case SYNACK_ERR_NOMEM:
        return ENOMEM;
    case SYNACK_ERR_NOBUFS:
    case SYNACK_ERR_LIMIT:
        return ENOBUFS;
    case SYNACK_ERR_INVAL:
        return EINVAL;
    default:
        return EIO;
    }
}

/* Turns a connection error the stack reports into the socket's pending
 * error, once (Linux's sk_err: reported by one call, then cleared). */
void pd_sock_sync(pd_sock *s)
{
    if (s->kind != PD_TCP || !s->conn || s->listening || s->err_seen)
        return;
    int e = synack_tcp_error(s->conn);
    if (e) {
        s->err_seen = true;
        s->so_error = errno_of(e);
    }
}

static int take_error(pd_sock *s)
{
    int e = s->so_error;
    s->so_error = 0;
    return e;
}

static bool fin_received(synack_tcp_state st)
{
    return st == SYNACK_TCP_CLOSE_WAIT || st == SYNACK_TCP_LAST_ACK || st == SYNACK_TCP_CLOSING ||
           st == SYNACK_TCP_TIME_WAIT;
}

/* Linux's tcp_poll(), read off synack's state. */
uint32_t pd_sock_poll_mask(pd_sock *s)
{
    if (s->kind != PD_TCP)
        return 0;
    pd_sock_sync(s);
    if (s->listening) {
        return (synack_tcp_events(s->conn) & SYNACK_TCP_EV_ACCEPTABLE) ? (POLLIN | POLLRDNORM) : 0;
    }
    synack_tcp_state st = s->conn ? synack_tcp_get_state(s->conn) : SYNACK_TCP_CLOSED;
    /* Linux's TCP_CLOSE: never connected, failed, or done (TIME-WAIT
     * belongs to a timewait sock there, not to the socket). */
    bool done = st == SYNACK_TCP_CLOSED || st == SYNACK_TCP_TIME_WAIT;
    bool rcv_shut = s->shut_rd || fin_received(st) || (done && s->ss != PD_SS_UNCONNECTED);
    bool snd_shut = s->shut_wr || (done && s->ss != PD_SS_UNCONNECTED);
    uint32_t mask = 0;
    if ((rcv_shut && snd_shut) || done)
        mask |= POLLHUP;
    if (rcv_shut)
        mask |= POLLIN | POLLRDNORM | POLLRDHUP;
    if (st != SYNACK_TCP_SYN_SENT && st != SYNACK_TCP_SYN_RCVD) {
        if (s->conn && synack_tcp_rcv_queued(s->conn) > 0)
            mask |= POLLIN | POLLRDNORM;
        if (snd_shut || !s->conn || (synack_tcp_events(s->conn) & SYNACK_TCP_EV_WRITABLE))
            mask |= POLLOUT | POLLWRNORM;
    }
    if (s->so_error)
        mask |= POLLERR;
    return mask;
}

static void fill_addr(struct sockaddr *addr, socklen_t *addrlen, synack_ipv4 a, uint16_t port)
{
    if (!addr || !addrlen)
        return;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(a);
    size_t n = *addrlen < sizeof(sin) ? *addrlen : sizeof(sin);
    memcpy(addr, &sin, n);
    *addrlen = sizeof(sin);
}

static int read_sockaddr_in(const struct sockaddr *addr, socklen_t len, synack_ipv4 *a,
                            uint16_t *port)
{
    if (!addr)
        return EFAULT;
    if (len < (socklen_t)sizeof(struct sockaddr_in))
        return EINVAL;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)addr;
    if (sin->sin_family != AF_INET)
        return EAFNOSUPPORT;
    *a = ntohl(sin->sin_addr.s_addr);
    *port = ntohs(sin->sin_port);
    return 0;
}

static bool port_in_use(pd *p, const pd_sock *self, uint16_t port)
{
    for (int fd = 0; fd < p->nfds; fd++) {
        const pd_sock *o = p->fds[fd];
        if (!o || o == self || o->kind != PD_TCP || !o->bound || o->bind_port != port)
            continue;
        /* SO_REUSEADDR on both lets a socket bind beside one that is not
         * listening (Linux's rule). */
        if (!(o->reuseaddr && self->reuseaddr) || o->listening)
            return true;
    }
    return false;
}

static uint16_t pick_port(pd *p, const pd_sock *self)
{
    for (int i = 0; i < 20000; i++) {
        uint16_t port = p->next_port++;
        if (p->next_port > 60999 || p->next_port < 40000)
            p->next_port = 40000;
        if (!port_in_use(p, self, port))
            return port;
    }
    return 0;
}

/* ---- socket, bind, listen, accept, connect -------------------------------- */

static int pd_socket(void *ud, int domain, int type, int protocol)
{
    pd *p = ud;
    int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (domain != AF_INET)
        return pd_fail(EAFNOSUPPORT); /* IPv4 only, for now */
    if (base != SOCK_STREAM || (protocol != 0 && protocol != IPPROTO_TCP))
        return pd_fail(EPROTONOSUPPORT);
    pd_lock(p);
    pd_sock *s = pd_sock_new(p, PD_TCP);
    int fd = -1;
    if (s) {
        s->nonblock = (type & SOCK_NONBLOCK) != 0;
        fd = s->fd;
    }
    pd_unlock(p);
    return fd;
}

static int pd_bind(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    pd *p = ud;
    synack_ipv4 a = 0;
    uint16_t port = 0;
    int rv = 0;
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    if (!s)
        rv = EBADF;
    else if (s->kind != PD_TCP)
        rv = ENOTSOCK;
    else if ((rv = read_sockaddr_in(addr, len, &a, &port)) != 0)
        ;
    else if (s->bound || s->conn)
        rv = EINVAL;
    else if (a != 0 && a != p->cfg.addr)
        rv = EADDRNOTAVAIL;
    else if (port == 0 && (port = pick_port(p, s)) == 0)
        rv = EADDRINUSE;
    else if (port_in_use(p, s, port))
        rv = EADDRINUSE;
    if (rv == 0) {
        s->bound = true;
        s->bind_addr = a;
        s->bind_port = port;
    }
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

static int pd_listen(void *ud, int fd, int backlog)
{
    pd *p = ud;
    int rv = 0;
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    if (!s)
        rv = EBADF;
    else if (s->kind != PD_TCP)
        rv = ENOTSOCK;
    else if (s->listening)
        rv = 0; /* Linux lets a listener change its backlog; ours stays */
    else if (s->conn || s->ss != PD_SS_UNCONNECTED)
        rv = EINVAL;
    else if (!s->bound && (s->bind_port = pick_port(p, s)) == 0)
        rv = EADDRINUSE;
    else {
        s->bound = true;
        /* Linux accepts 0 and clamps to somaxconn. */
        int bl = backlog < 1 ? 1 : backlog > 4096 ? 4096 : backlog;
        int e = synack_tcp_listen(p->stack, s->bind_addr, s->bind_port, bl, pd_now(p), &s->conn);
        if (e < 0) {
            rv = errno_of(e);
        } else {
            s->listening = true;
            synack_tcp_set_nodelay(s->conn, s->nodelay);
            synack_tcp_set_keepalive(s->conn, s->keepalive);
        }
    }
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

static int pd_accept(void *ud, int fd, struct sockaddr *addr, socklen_t *addrlen)
{
    pd *p = ud;
    int rv = 0;
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    if (!s)
        rv = EBADF;
    else if (s->kind != PD_TCP)
        rv = ENOTSOCK;
    else if (!s->listening)
        rv = EINVAL;
    else if (addr && !addrlen)
        rv = EFAULT;
    while (rv == 0) {
        if (s->closed || !s->listening) {
            rv = EINVAL; /* Linux: the socket stopped listening */
            break;
        }
        synack_tcp *c;
        int e = synack_tcp_accept(s->conn, &c, pd_now(p));
        if (e == SYNACK_ERR_AGAIN) {
            if (s->nonblock) {
                rv = EAGAIN;
                break;
            }
            pd_wait(p, UINT64_MAX);
            continue;
        }
        if (e < 0) {
            rv = errno_of(e);
            break;
        }
        pd_sock *n = pd_sock_new(p, PD_TCP);
        if (!n) {
            rv = errno;
            synack_tcp_abort(c, pd_now(p));
            break;
        }
        n->conn = c;
        n->ss = PD_SS_CONNECTED;
        n->bound = true;
        n->nodelay = s->nodelay; /* what the connection inherited (as Linux) */
        n->keepalive = s->keepalive;
        synack_tcp_local(c, &n->bind_addr, &n->bind_port);
        synack_tcp_remote(c, &n->peer_addr, &n->peer_port);
        fill_addr(addr, addrlen, n->peer_addr, n->peer_port);
        pd_unlock(p);
        return n->fd;
    }
    pd_unlock(p);
    return pd_fail(rv);
}

static bool connecting(const pd_sock *s)
{
    synack_tcp_state st = synack_tcp_get_state(s->conn);
    return st == SYNACK_TCP_SYN_SENT || st == SYNACK_TCP_SYN_RCVD;
}

/* Linux's inet_stream_connect(): what a first, repeated, blocking or
 * non-blocking connect() returns. */
static int connect_locked(pd *p, pd_sock *s, const struct sockaddr *addr, socklen_t len)
{
    synack_ipv4 a;
    uint16_t port;
    int rv;
    if (s->kind != PD_TCP)
        return ENOTSOCK;
    if ((rv = read_sockaddr_in(addr, len, &a, &port)) != 0)
        return rv;
    if (s->listening)
        return EISCONN;
    switch (s->ss) {
    case PD_SS_CONNECTED:
        return EISCONN;
    case PD_SS_CONNECTING:
        rv = EALREADY;
        break;
    case PD_SS_UNCONNECTED: {
        uint16_t sport = s->bound ? s->bind_port : 0;
        int e = synack_tcp_connect(p->stack, a, port, sport, pd_now(p), &s->conn);
        if (e < 0) {
            s->conn = NULL;
            return e == SYNACK_ERR_INVAL ? EINVAL : errno_of(e);
        }
        synack_tcp_set_nodelay(s->conn, s->nodelay);
        synack_tcp_set_keepalive(s->conn, s->keepalive);
        s->err_seen = false;
        s->so_error = 0;
        s->ss = PD_SS_CONNECTING;
        s->peer_addr = a;
        s->peer_port = port;
        if (!s->bound) {
            s->bound = true;
            synack_tcp_local(s->conn, &s->bind_addr, &s->bind_port);
        }
        rv = EINPROGRESS;
        break;
    }
    }
    while (s->conn && connecting(s)) {
        if (s->nonblock)
            return rv;
        pd_wait(p, UINT64_MAX);
        if (s->closed)
            return EBADF;
    }
    if (!s->conn || synack_tcp_get_state(s->conn) == SYNACK_TCP_CLOSED) {
        pd_sock_sync(s);
        rv = s->so_error ? take_error(s) : ECONNABORTED;
        s->ss = PD_SS_UNCONNECTED;
        if (s->conn)
            synack_tcp_close(s->conn, pd_now(p));
        s->conn = NULL;
        return rv;
    }
    s->ss = PD_SS_CONNECTED;
    return 0;
}

static int pd_connect(void *ud, int fd, const struct sockaddr *addr, socklen_t len)
{
    pd *p = ud;
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    int rv = s ? connect_locked(p, s, addr, len) : EBADF;
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

/* ---- data ------------------------------------------------------------------- */

static ssize_t recv_locked(pd *p, pd_sock *s, void *buf, size_t len, int flags)
{
    if (s->kind != PD_TCP)
        return pd_fail(EINVAL);
    if (!buf && len)
        return pd_fail(EFAULT);
    if (flags & MSG_OOB)
        return pd_fail(EOPNOTSUPP); /* no urgent data in synack */
    bool peek = (flags & MSG_PEEK) != 0;
    bool nb = s->nonblock || (flags & MSG_DONTWAIT);
    size_t got = 0;
    for (;;) {
        if (s->closed)
            return got ? (ssize_t)got : pd_fail(EBADF);
        pd_sock_sync(s);
        if (s->so_error)
            return got ? (ssize_t)got : pd_fail(take_error(s));
        if (s->listening || !s->conn) {
            if (got || s->shut_rd || s->err_seen)
                return (ssize_t)got;
            return pd_fail(ENOTCONN);
        }
        if (got == len)
            return (ssize_t)got;
        ssize_t n = peek ? synack_tcp_peek(s->conn, (uint8_t *)buf + got, len - got)
                         : synack_tcp_recv(s->conn, (uint8_t *)buf + got, len - got, pd_now(p));
        if (n > 0) {
            got += (size_t)n;
            if (peek || !(flags & MSG_WAITALL))
                return (ssize_t)got;
            continue;
        }
        if (n == 0)
            return (ssize_t)got; /* end of stream */
        if (n == SYNACK_ERR_AGAIN) {
            if (s->shut_rd || (got && !(flags & MSG_WAITALL)))
                return (ssize_t)got;
            if (nb)
                return got ? (ssize_t)got : pd_fail(EAGAIN);
            pd_wait(p, UINT64_MAX);
            continue;
        }
        if (n == SYNACK_ERR_NOTCONN && !s->err_seen && s->ss != PD_SS_CONNECTED)
            return got ? (ssize_t)got : pd_fail(ENOTCONN);
        /* Closed after an error already reported, or after the exchange of
         * FINs: Linux reads 0 (RCV_SHUTDOWN). */
        if (s->err_seen || n == SYNACK_ERR_NOTCONN)
            return (ssize_t)got;
        pd_sock_sync(s);
        if (!s->so_error)
            return got ? (ssize_t)got : pd_fail(errno_of((int)n));
    }
}

static ssize_t send_locked(pd *p, pd_sock *s, const void *buf, size_t len, int flags)
{
    if (s->kind != PD_TCP)
        return pd_fail(EINVAL);
    if (!buf && len)
        return pd_fail(EFAULT);
    if (flags & MSG_OOB)
        return pd_fail(EOPNOTSUPP); /* no urgent data in synack */
    bool nb = s->nonblock || (flags & MSG_DONTWAIT);
    size_t sent = 0;
    for (;;) {
        if (s->closed)
            return sent ? (ssize_t)sent : pd_fail(EBADF);
        pd_sock_sync(s);
        if (s->so_error)
            return sent ? (ssize_t)sent : pd_fail(take_error(s));
        /* Linux: EPIPE when the send side is shut or never connected. */
        if (s->shut_wr || !s->conn || s->listening)
            return sent ? (ssize_t)sent : pd_fail(EPIPE);
        if (sent == len)
            return (ssize_t)sent;
        ssize_t n = synack_tcp_send(s->conn, (const uint8_t *)buf + sent, len - sent, pd_now(p));
        if (n > 0) {
            sent += (size_t)n;
            continue;
        }
        if (n == 0)
            return (ssize_t)sent;
        if (n == SYNACK_ERR_AGAIN) {
            if (nb)
                return sent ? (ssize_t)sent : pd_fail(EAGAIN);
            pd_wait(p, UINT64_MAX);
            continue;
        }
        if (n == SYNACK_ERR_CLOSED || n == SYNACK_ERR_NOTCONN || s->err_seen)
            return sent ? (ssize_t)sent : pd_fail(EPIPE);
        pd_sock_sync(s);
        if (!s->so_error)
            return sent ? (ssize_t)sent : pd_fail(errno_of((int)n));
    }
}

/* Gathers or scatters an iovec through one contiguous buffer. */
static size_t iov_total(const struct iovec *iov, int cnt, int *err)
{
    size_t total = 0;
    if (cnt < 0 || cnt > IOV_MAX) {
        *err = EINVAL;
        return 0;
    }
    if (cnt > 0 && !iov) {
        *err = EFAULT;
        return 0;
    }
    for (int i = 0; i < cnt; i++) {
        if (!iov[i].iov_base && iov[i].iov_len) {
            *err = EFAULT;
            return 0;
        }
        total += iov[i].iov_len;
    }
    *err = 0;
    return total;
}

typedef ssize_t (*pd_host_io)(int fd, const struct iovec *iov, int cnt);

static ssize_t recv_iov(pd *p, int fd, const struct iovec *iov, int cnt, int flags)
{
    int err;
    size_t total = iov_total(iov, cnt, &err);
    if (err)
        return pd_fail(err);
    uint8_t *tmp = malloc(total ? total : 1);
    if (!tmp)
        return pd_fail(ENOMEM);
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    ssize_t n = s ? recv_locked(p, s, tmp, total, flags) : pd_fail(EBADF);
    pd_unlock(p);
    size_t off = 0;
    for (int i = 0; n > 0 && i < cnt && off < (size_t)n; i++) {
        size_t k = (size_t)n - off < iov[i].iov_len ? (size_t)n - off : iov[i].iov_len;
        memcpy(iov[i].iov_base, tmp + off, k);
        off += k;
    }
    int saved = errno;
    free(tmp);
    errno = saved;
    return n;
}

static ssize_t send_iov(pd *p, int fd, const struct iovec *iov, int cnt, int flags)
{
    int err;
    size_t total = iov_total(iov, cnt, &err);
    if (err)
        return pd_fail(err);
    uint8_t *tmp = malloc(total ? total : 1);
    if (!tmp)
        return pd_fail(ENOMEM);
    size_t off = 0;
    for (int i = 0; i < cnt; i++) {
        if (iov[i].iov_len)
            memcpy(tmp + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    ssize_t n = s ? send_locked(p, s, tmp, total, flags) : pd_fail(EBADF);
    pd_unlock(p);
    int saved = errno;
    free(tmp);
    errno = saved;
    return n;
}

/* Looks @p fd up; when it is not ours, unlocks and returns NULL so that the
 * caller hands the call to the host. */
static pd_sock *lookup_or_unlock(pd *p, int fd)
{
    pd_lock(p);
    pd_sock *s = pd_sock_get(p, fd);
    if (!s)
        pd_unlock(p);
    return s;
}

static ssize_t pd_read(void *ud, int fd, void *buf, size_t count)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return read(fd, buf, count);
    ssize_t n = recv_locked(p, s, buf, count, 0);
    pd_unlock(p);
    return n;
}

static ssize_t pd_readv(void *ud, int fd, const struct iovec *iov, int cnt)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return readv(fd, iov, cnt);
    pd_unlock(p);
    return recv_iov(p, fd, iov, cnt, 0);
}

static ssize_t pd_recv(void *ud, int fd, void *buf, size_t len, int flags)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return recv(fd, buf, len, flags);
    ssize_t n = recv_locked(p, s, buf, len, flags);
    pd_unlock(p);
    return n;
}

static ssize_t pd_recvfrom(void *ud, int fd, void *buf, size_t len, int flags, struct sockaddr *src,
                           socklen_t *srclen)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return recvfrom(fd, buf, len, flags, src, srclen);
    ssize_t n = recv_locked(p, s, buf, len, flags);
    pd_unlock(p);
    /* Linux's TCP leaves the address alone and reports its length as 0. */
    if (n >= 0 && src && srclen)
        *srclen = 0;
    return n;
}

static ssize_t pd_recvmsg(void *ud, int fd, struct msghdr *msg, int flags)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return recvmsg(fd, msg, flags);
    pd_unlock(p);
    if (!msg)
        return pd_fail(EFAULT);
    ssize_t n = recv_iov(p, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
    if (n >= 0) {
        msg->msg_namelen = 0;
        msg->msg_controllen = 0;
        msg->msg_flags = 0;
    }
    return n;
}

static ssize_t pd_write(void *ud, int fd, const void *buf, size_t count)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return write(fd, buf, count);
    ssize_t n = send_locked(p, s, buf, count, 0);
    pd_unlock(p);
    return n;
}

static ssize_t pd_writev(void *ud, int fd, const struct iovec *iov, int cnt)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return writev(fd, iov, cnt);
    pd_unlock(p);
    return send_iov(p, fd, iov, cnt, 0);
}

static ssize_t pd_send(void *ud, int fd, const void *buf, size_t len, int flags)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return send(fd, buf, len, flags);
    ssize_t n = send_locked(p, s, buf, len, flags);
    pd_unlock(p);
    return n;
}

static ssize_t pd_sendto(void *ud, int fd, const void *buf, size_t len, int flags,
                         const struct sockaddr *dst, socklen_t dstlen)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return sendto(fd, buf, len, flags, dst, dstlen);
    /* Linux's TCP ignores the address of a sendto (no Fast Open here). */
    ssize_t n = send_locked(p, s, buf, len, flags);
    pd_unlock(p);
    return n;
}

static ssize_t pd_sendmsg(void *ud, int fd, const struct msghdr *msg, int flags)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return sendmsg(fd, msg, flags);
    pd_unlock(p);
    if (!msg)
        return pd_fail(EFAULT);
    return send_iov(p, fd, msg->msg_iov, (int)msg->msg_iovlen, flags);
}

/* ---- control ------------------------------------------------------------- */

static int pd_fcntl(void *ud, int fd, int cmd, ...)
{
    pd *p = ud;
    int arg = 0;
    bool has_arg = cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC;
    if (has_arg) {
        va_list ap;
        va_start(ap, cmd);
        arg = va_arg(ap, int);
        va_end(ap);
    }
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return has_arg ? fcntl(fd, cmd, arg) : fcntl(fd, cmd);
    int rv;
    switch (cmd) {
    case F_GETFL:
        rv = O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
        break;
    case F_SETFL:
        s->nonblock = (arg & O_NONBLOCK) != 0;
        rv = 0;
        break;
    case F_GETFD:
    case F_SETFD:
        rv = has_arg ? fcntl(fd, cmd, arg) : fcntl(fd, cmd);
        break;
    default:
        rv = pd_fail(EINVAL); /* duplicating a socket is not supported */
        break;
    }
    pd_unlock(p);
    return rv;
}

static int pd_ioctl(void *ud, int fd, unsigned long request, ...)
{
    pd *p = ud;
    va_list ap;
    va_start(ap, request);
    void *argp = va_arg(ap, void *);
    va_end(ap);
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return ioctl(fd, request, argp);
    int rv = 0;
    int *iarg = argp;
    if (s->kind != PD_TCP) {
        rv = pd_fail(ENOTTY);
    } else if (request != FIONREAD && request != SIOCOUTQ && request != FIONBIO) {
        rv = pd_fail(ENOTTY);
    } else if (!iarg) {
        rv = pd_fail(EFAULT);
    } else if (request == FIONBIO) {
        s->nonblock = *iarg != 0;
    } else if (s->listening) {
        rv = pd_fail(EINVAL);         /* Linux: no queue to measure on a listener */
    } else if (request == FIONREAD) { /* == SIOCINQ */
        *iarg = s->conn ? (int)synack_tcp_rcv_queued(s->conn) : 0;
    } else {
        *iarg = s->conn ? (int)synack_tcp_snd_queued(s->conn) : 0;
    }
    pd_unlock(p);
    return rv;
}

static int pd_close(void *ud, int fd)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return close(fd);
    s->closed = true;
    p->fds[fd] = NULL;
    if (s->kind == PD_TCP && s->conn) {
        /* SO_LINGER with a zero timeout: an abortive close (RST). */
        if (s->linger_on && s->linger_secs == 0)
            synack_tcp_abort(s->conn, pd_now(p));
        else
            synack_tcp_close(s->conn, pd_now(p));
        s->conn = NULL;
    }
    if (s->kind == PD_EPOLL)
        s->nitems = 0;
    pd_epoll_forget(p, s);
    pd_wake(p);
    int rv = close(fd);
    pd_unlock(p);
    return rv;
}

static int shutdown_locked(pd *p, pd_sock *s, int how)
{
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
        return EINVAL;
    if (s->kind != PD_TCP)
        return ENOTSOCK;
    if (s->listening) {
        /* Linux: shutting the receive side of a listener stops it. */
        if (how != SHUT_WR) {
            synack_tcp_close(s->conn, pd_now(p));
            s->conn = NULL;
            s->listening = false;
            pd_wake(p);
        }
        return 0;
    }
    if (!s->conn || synack_tcp_get_state(s->conn) == SYNACK_TCP_CLOSED)
        return ENOTCONN;
    if (synack_tcp_get_state(s->conn) == SYNACK_TCP_SYN_SENT) {
        synack_tcp_abort(s->conn, pd_now(p)); /* Linux disconnects */
        s->conn = NULL;
        s->ss = PD_SS_UNCONNECTED;
        pd_wake(p);
        return 0;
    }
    if (how != SHUT_WR)
        s->shut_rd = true;
    if (how != SHUT_RD && !s->shut_wr) {
        s->shut_wr = true;
        synack_tcp_shutdown(s->conn, pd_now(p));
    }
    pd_wake(p);
    return 0;
}

static int pd_shutdown(void *ud, int fd, int how)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return shutdown(fd, how);
    int rv = shutdown_locked(p, s, how);
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

static int put_int(void *val, socklen_t *len, int v)
{
    if (*len < (socklen_t)sizeof(int))
        return EINVAL;
    memcpy(val, &v, sizeof(v));
    *len = sizeof(int);
    return 0;
}

/* TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) or TCP_KEEPCNT as the stack has it. */
static int keepalive_value(const synack_config *cfg, int name)
{
    if (name == TCP_KEEPCNT)
        return (int)cfg->tcp_keepalive_probes;
    uint64_t ns = name == TCP_KEEPIDLE ? cfg->tcp_keepalive_idle_ns : cfg->tcp_keepalive_intvl_ns;
    return (int)(ns / 1000000000u);
}

static int getsockopt_locked(pd *p, pd_sock *s, int level, int name, void *val, socklen_t *len)
{
    if (!val || !len)
        return EFAULT;
    if (s->kind != PD_TCP)
        return ENOTSOCK;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_ERROR:
            pd_sock_sync(s);
            return put_int(val, len, take_error(s));
        case SO_TYPE:
            return put_int(val, len, SOCK_STREAM);
        case SO_ACCEPTCONN:
            return put_int(val, len, s->listening);
        case SO_REUSEADDR:
            return put_int(val, len, s->reuseaddr);
        case SO_REUSEPORT:
            return put_int(val, len, s->reuseport);
        case SO_KEEPALIVE:
            return put_int(val, len, s->keepalive ? 1 : 0);
        case SO_RCVBUF: /* the stack-wide sizes; synack has no per-socket ones */
            return put_int(val, len, (int)p->cfg.tcp_rcvbuf);
        case SO_SNDBUF:
            return put_int(val, len, (int)p->cfg.tcp_sndbuf);
        case SO_LINGER: {
            struct linger l = {.l_onoff = s->linger_on, .l_linger = s->linger_secs};
            if (*len < (socklen_t)sizeof(l))
                return EINVAL;
            memcpy(val, &l, sizeof(l));
            *len = sizeof(l);
            return 0;
        }
        default:
            return ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            return put_int(val, len, s->nodelay ? 1 : 0);
        case TCP_MAXSEG: {
            uint16_t mss = s->conn && !s->listening ? synack_tcp_mss(s->conn) : 0;
            if (mss == 0)
                mss = p->cfg.tcp_mss ? p->cfg.tcp_mss : (uint16_t)(p->cfg.mtu - 40);
            return put_int(val, len, mss);
        }
        case TCP_USER_TIMEOUT:
            return put_int(val, len, 0); /* 0: the stack's default applies */
        case TCP_KEEPIDLE:               /* stack-wide values: see setsockopt */
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
            return put_int(val, len, keepalive_value(&p->cfg, name));
        default:
            return ENOPROTOOPT;
        }
    }
    return ENOPROTOOPT;
}

static int pd_getsockopt(void *ud, int fd, int level, int name, void *val, socklen_t *len)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return getsockopt(fd, level, name, val, len);
    int rv = getsockopt_locked(p, s, level, name, val, len);
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

static int setsockopt_locked(pd *p, pd_sock *s, int level, int name, const void *val, socklen_t len)
{
    if (!val)
        return EFAULT;
    if (s->kind != PD_TCP)
        return ENOTSOCK;
    if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l;
        if (len < (socklen_t)sizeof(l))
            return EINVAL;
        memcpy(&l, val, sizeof(l));
        s->linger_on = l.l_onoff != 0;
        s->linger_secs = l.l_linger < 0 ? 0 : l.l_linger;
        return 0;
    }
    int v;
    if (len < (socklen_t)sizeof(int))
        return EINVAL;
    memcpy(&v, val, sizeof(v));
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            /* synack lets a new listener or connection reuse a port in
             * TIME-WAIT already, which is what the option asks for. */
            s->reuseaddr = v != 0;
            return 0;
        case SO_REUSEPORT:
            s->reuseport = v != 0;
            return 0;
        case SO_KEEPALIVE:
            /* Kept for a socket not yet connected, like TCP_NODELAY. */
            s->keepalive = v != 0;
            if (s->conn)
                synack_tcp_set_keepalive(s->conn, s->keepalive);
            return 0;
        case SO_RCVBUF:
        case SO_SNDBUF:
            /* Buffer sizes are stack-wide (synack_config); none per socket. */
            return ENOPROTOOPT;
        default:
            return ENOPROTOOPT;
        }
    }
    if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            /* Kept for a socket not yet connected; a listener's passes to
             * the connections it accepts (as on Linux). */
            s->nodelay = v != 0;
            if (s->conn)
                synack_tcp_set_nodelay(s->conn, s->nodelay);
            return 0;
        case TCP_MAXSEG:
        case TCP_USER_TIMEOUT:
            /* Stack-wide settings only (tcp_mss, tcp_user_timeout_ns). */
            return ENOPROTOOPT;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
            /* Stack-wide too (tcp_keepalive_*: the TCB has no room for
             * them): Linux's range check, then a value the stack already
             * uses is accepted and any other refused, never ignored. */
            if (v < 1 || v > (name == TCP_KEEPCNT ? 127 : 32767))
                return EINVAL;
            return v == keepalive_value(&p->cfg, name) ? 0 : ENOPROTOOPT;
        default:
            return ENOPROTOOPT;
        }
    }
    return ENOPROTOOPT;
}

static int pd_setsockopt(void *ud, int fd, int level, int name, const void *val, socklen_t len)
{
    pd *p = ud;
    pd_sock *s = lookup_or_unlock(p, fd);
    if (!s)
        return setsockopt(fd, level, name, val, len);
    int rv = setsockopt_locked(p, s, level, name, val, len);
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

/* ---- pipes ------------------------------------------------------------------ */

static int pd_pipe(void *ud, int fds[2])
{
    (void)ud;
    return pipe(fds); /* real host pipes: read/write/close pass through */
}

/* splice between one of our sockets and a host pipe, by copying. */
static int pd_splice(void *ud, int fd_in, loff_t *off_in, int fd_out, loff_t *off_out, size_t len,
                     unsigned int flags)
{
    pd *p = ud;
    pd_lock(p);
    pd_sock *in = pd_sock_get(p, fd_in), *out = pd_sock_get(p, fd_out);
    pd_unlock(p);
    if (!in && !out)
        return (int)splice(fd_in, off_in, fd_out, off_out, len, flags);
    if ((in && off_in) || (out && off_out))
        return pd_fail(ESPIPE);
    if (in && out)
        return pd_fail(EINVAL); /* Linux needs a pipe on one side */
    if (len > 65536)
        len = 65536;
    uint8_t *tmp = malloc(len ? len : 1);
    if (!tmp)
        return pd_fail(ENOMEM);
    int mflags = (flags & SPLICE_F_NONBLOCK) ? MSG_DONTWAIT : 0;
    ssize_t n;
    if (in) {
        n = pd_recv(ud, fd_in, tmp, len, mflags);
        if (n > 0)
            n = write(fd_out, tmp, (size_t)n);
    } else {
        n = read(fd_in, tmp, len);
        if (n > 0)
            n = pd_send(ud, fd_out, tmp, (size_t)n, mflags);
    }
    int saved = errno;
    free(tmp);
    errno = saved;
    return (int)n;
}

void pd_fill_sock_table(struct packetdrill_interface *ifc)
{
    ifc->socket = pd_socket;
    ifc->bind = pd_bind;
    ifc->listen = pd_listen;
    ifc->accept = pd_accept;
    ifc->connect = pd_connect;
    ifc->read = pd_read;
    ifc->readv = pd_readv;
    ifc->recv = pd_recv;
    ifc->recvfrom = pd_recvfrom;
    ifc->recvmsg = pd_recvmsg;
    ifc->write = pd_write;
    ifc->writev = pd_writev;
    ifc->send = pd_send;
    ifc->sendto = pd_sendto;
    ifc->sendmsg = pd_sendmsg;
    ifc->fcntl = pd_fcntl;
    ifc->ioctl = pd_ioctl;
    ifc->close = pd_close;
    ifc->shutdown = pd_shutdown;
    ifc->getsockopt = pd_getsockopt;
    ifc->setsockopt = pd_setsockopt;
    ifc->pipe = pd_pipe;
    ifc->splice = pd_splice;
}
