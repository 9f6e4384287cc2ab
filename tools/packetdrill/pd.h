/* libsynack_packetdrill.so: one synack stack driven by packetdrill through
 * the table of packetdrill_interface.h. A consumer of the public API only
 * (include/synack/), like any program embedding the library.
 *
 * Threads: packetdrill calls in from its main thread and, for blocking
 * calls, from a second thread. One mutex guards everything (the stack is
 * not thread-safe); a blocking call sleeps on one condition variable that
 * is broadcast whenever the stack reports readiness, emits a datagram, the
 * clock moves, or a descriptor closes.
 */
#ifndef SYNACK_PD_H
#define SYNACK_PD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <synack/synack.h>

#include "packetdrill_interface.h"

#define PD_NS_PER_US 1000ULL
#define PD_NS_PER_MS 1000000ULL
#define PD_NS_PER_S  1000000000ULL

/* The stack's clock starts here rather than at 0, so that no time the
 * stack keeps ever looks like "unset". */
#define PD_T0 PD_NS_PER_S

enum pd_kind { PD_TCP = 1, PD_EPOLL = 2 };

/* Linux's socket->state, which decides what a repeated connect() says. */
enum pd_ss { PD_SS_UNCONNECTED = 0, PD_SS_CONNECTING, PD_SS_CONNECTED };

struct pd_sock;

typedef struct pd_epitem {
    struct pd_sock *sock;
    uint32_t events; /* EPOLL* interest, including EPOLLET / EPOLLONESHOT */
    uint64_t data;
    uint32_t last; /* mask seen by the last wait (edge-triggered items) */
    bool disabled; /* EPOLLONESHOT fired */
} pd_epitem;

typedef struct pd_sock {
    int fd; /* the host descriptor reserved for it (/dev/null) */
    enum pd_kind kind;
    bool closed; /* closed by the user: blocked callers give up */
    bool nonblock;
    bool bound, listening;
    bool shut_rd, shut_wr;
    bool err_seen; /* the connection's error has been turned into so_error */
    enum pd_ss ss;
    int so_error; /* pending errno (SO_ERROR), 0 if none */
    synack_ipv4 bind_addr;
    uint16_t bind_port;
    synack_tcp *conn; /* connection or listener */
    synack_ipv4 peer_addr;
    uint16_t peer_port;
    int reuseaddr, reuseport;
    bool linger_on;
    bool nodelay;   /* TCP_NODELAY: Nagle off */
    bool keepalive; /* SO_KEEPALIVE */
    int linger_secs;
    /* epoll */
    pd_epitem *items;
    size_t nitems, capitems;
    struct pd_sock *all_next; /* every sock of the instance, freed with it */
} pd_sock;

typedef struct pd_pkt {
    uint8_t *data;
    size_t len;
    long long usecs;
} pd_pkt;

typedef struct pd {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    synack_stack *stack;
    synack_config cfg;
    /* clock */
    bool virtual_clock;
    uint64_t vnow;      /* virtual: the stack's now, ns */
    uint64_t mono0;     /* real: CLOCK_MONOTONIC at init, ns */
    long long epoch_us; /* what gettimeofday says at stack time PD_T0 */
    uint64_t vstep_ns;  /* virtual: how far each gettimeofday steps */
    uint64_t netdev_timeout_ns;
    uint64_t netdev_max_wait_ns;
    /* output queue (ring) */
    pd_pkt *q;
    size_t qcap, qhead, qlen;
    uint64_t qdropped;
    /* descriptors */
    pd_sock **fds; /* indexed by host fd */
    int nfds;
    pd_sock *all;
    uint16_t next_port;
    /* Virtual clock only: packetdrill stamps a blocking call's end with
     * gettimeofday right after the call returns, so the main thread must
     * not jump the clock while a woken call is still on its way out. */
    pthread_cond_t quiet_cv; /* signalled as sleepers catch up */
    int sleepers;            /* threads asleep in pd_wait */
    int stale;               /* sleepers woken that have not looked yet */
    bool slept;              /* slept_thread woke in its current call */
    bool stamp_due;          /* stamp_thread returned from a call it slept in
                                and has not read the clock since */
    pthread_t slept_thread, stamp_thread;
} pd;

/* pd_main.c */
void pd_lock(pd *p);
void pd_unlock(pd *p);
uint64_t pd_now(pd *p);
void pd_run_timers(pd *p);
/* Sleeps until woken or @p deadline (stack ns; UINT64_MAX = none), then
 * runs the timers that fell due. Called with the lock held. */
void pd_wait(pd *p, uint64_t deadline);
void pd_wake(pd *p);
/* Virtual clock: waits (real time, bounded) until every thread woken in a
 * call has gone back to sleep or returned and read the clock. */
void pd_quiesce(pd *p);
int pd_fail(int err); /* sets errno, returns -1 */

/* pd_sock.c */
pd_sock *pd_sock_get(pd *p, int fd);
pd_sock *pd_sock_new(pd *p, enum pd_kind kind);
void pd_sock_sync(pd_sock *s);
uint32_t pd_sock_poll_mask(pd_sock *s);
void pd_sock_free_all(pd *p);
void pd_fill_sock_table(struct packetdrill_interface *ifc);

/* pd_poll.c */
void pd_fill_poll_table(struct packetdrill_interface *ifc);
void pd_epoll_forget(pd *p, pd_sock *s);

#endif
