/* poll() and epoll over our sockets, level- or edge-triggered, with the
 * readiness masks of Linux's tcp_poll() (pd_sock_poll_mask). */
#include "pd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A timeout in ms (negative: none) as a deadline on the stack's clock. */
static uint64_t deadline_of(pd *p, int timeout_ms)
{
    if (timeout_ms < 0)
        return UINT64_MAX;
    return pd_now(p) + (uint64_t)timeout_ms * PD_NS_PER_MS;
}

static int poll_once(pd *p, struct pollfd *fds, nfds_t n)
{
    int ready = 0;
    for (nfds_t i = 0; i < n; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        pd_sock *s = pd_sock_get(p, fds[i].fd);
        if (!s) {
            /* A host descriptor (a pipe): ask the host, without waiting. */
            struct pollfd h = {.fd = fds[i].fd, .events = fds[i].events};
            if (poll(&h, 1, 0) > 0)
                fds[i].revents = h.revents;
        } else {
            uint32_t m = pd_sock_poll_mask(s);
            fds[i].revents = (short)(m & ((uint32_t)(uint16_t)fds[i].events | POLLERR | POLLHUP));
        }
        if (fds[i].revents)
            ready++;
    }
    return ready;
}

static int pd_poll(void *ud, struct pollfd *fds, nfds_t n, int timeout)
{
    pd *p = ud;
    if (n > 0 && !fds)
        return pd_fail(EFAULT);
    pd_lock(p);
    uint64_t deadline = deadline_of(p, timeout);
    int ready;
    for (;;) {
        ready = poll_once(p, fds, n);
        if (ready > 0 || timeout == 0 || pd_now(p) >= deadline)
            break;
        pd_wait(p, deadline);
    }
    pd_unlock(p);
    return ready;
}

static int pd_epoll_create(void *ud, int size)
{
    pd *p = ud;
    if (size <= 0)
        return pd_fail(EINVAL);
    pd_lock(p);
    pd_sock *s = pd_sock_new(p, PD_EPOLL);
    int fd = s ? s->fd : -1;
    pd_unlock(p);
    return fd;
}

static pd_epitem *find_item(pd_sock *ep, const pd_sock *s)
{
    for (size_t i = 0; i < ep->nitems; i++)
        if (ep->items[i].sock == s)
            return &ep->items[i];
    return NULL;
}

static void remove_item(pd_sock *ep, pd_epitem *it)
{
    *it = ep->items[--ep->nitems];
}

/* A closed socket leaves every epoll set (Linux: when its last reference
 * goes). */
void pd_epoll_forget(pd *p, pd_sock *s)
{
    for (pd_sock *ep = p->all; ep; ep = ep->all_next) {
        if (ep->kind != PD_EPOLL)
            continue;
        pd_epitem *it = find_item(ep, s);
        if (it)
            remove_item(ep, it);
    }
}

static bool fcntl_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static int epoll_ctl_locked(pd *p, int epfd, int op, int fd, struct epoll_event *ev)
{
    pd_sock *ep = pd_sock_get(p, epfd);
    if (!ep)
        return EBADF;
    if (ep->kind != PD_EPOLL || fd == epfd)
        return EINVAL;
    pd_sock *s = pd_sock_get(p, fd);
    if (!s)
        return fcntl_is_open(fd) ? EPERM : EBADF;
    if (s->kind != PD_TCP)
        return EPERM; /* nested epoll sets are not supported */
    if (op != EPOLL_CTL_DEL && !ev)
        return EFAULT;
    pd_epitem *it = find_item(ep, s);
    switch (op) {
    case EPOLL_CTL_ADD:
        if (it)
            return EEXIST;
        if (ep->nitems == ep->capitems) {
            size_t cap = ep->capitems ? 2 * ep->capitems : 8;
            pd_epitem *t = realloc(ep->items, cap * sizeof(*t));
            if (!t)
                return ENOMEM;
            ep->items = t;
            ep->capitems = cap;
        }
        it = &ep->items[ep->nitems++];
        memset(it, 0, sizeof(*it));
        it->sock = s;
        it->events = ev->events;
        it->data = ev->data.u64;
        return 0;
    case EPOLL_CTL_MOD:
        if (!it)
            return ENOENT;
        it->events = ev->events;
        it->data = ev->data.u64;
        it->last = 0;
        it->disabled = false;
        return 0;
    case EPOLL_CTL_DEL:
        if (!it)
            return ENOENT;
        remove_item(ep, it);
        return 0;
    default:
        return EINVAL;
    }
}

static int pd_epoll_ctl(void *ud, int epfd, int op, int fd, struct epoll_event *ev)
{
    pd *p = ud;
    pd_lock(p);
    int rv = epoll_ctl_locked(p, epfd, op, fd, ev);
    pd_unlock(p);
    return rv ? pd_fail(rv) : 0;
}

static int epoll_collect(pd_sock *ep, struct epoll_event *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < ep->nitems && n < max; i++) {
        pd_epitem *it = &ep->items[i];
        if (it->disabled)
            continue;
        uint32_t want = (it->events & ~(uint32_t)(EPOLLET | EPOLLONESHOT)) | EPOLLERR | EPOLLHUP;
        uint32_t m = pd_sock_poll_mask(it->sock) & want;
        uint32_t report = m;
        if (it->events & EPOLLET)
            report = m & ~it->last; /* edge: only what became ready */
        it->last = m;
        if (!report)
            continue;
        out[n].events = (it->events & EPOLLET) ? m : report;
        out[n].data.u64 = it->data;
        n++;
        if (it->events & EPOLLONESHOT)
            it->disabled = true;
    }
    return n;
}

static int pd_epoll_wait(void *ud, int epfd, struct epoll_event *events, int maxevents, int timeout)
{
    pd *p = ud;
    if (maxevents <= 0)
        return pd_fail(EINVAL);
    if (!events)
        return pd_fail(EFAULT);
    pd_lock(p);
    pd_sock *ep = pd_sock_get(p, epfd);
    int rv;
    if (!ep) {
        rv = pd_fail(EBADF);
    } else if (ep->kind != PD_EPOLL) {
        rv = pd_fail(EINVAL);
    } else {
        uint64_t deadline = deadline_of(p, timeout);
        for (;;) {
            rv = epoll_collect(ep, events, maxevents);
            if (rv > 0 || timeout == 0 || pd_now(p) >= deadline || ep->closed)
                break;
            pd_wait(p, deadline);
        }
    }
    pd_unlock(p);
    return rv;
}

void pd_fill_poll_table(struct packetdrill_interface *ifc)
{
    ifc->poll = pd_poll;
    ifc->epoll_create = pd_epoll_create;
    ifc->epoll_ctl = pd_epoll_ctl;
    ifc->epoll_wait = pd_epoll_wait;
}
