/* The entry point, the clock, and the link between packetdrill and the
 * stack: netdev_send feeds synack_stack_input, the output callback fills
 * the queue that netdev_receive drains. */
#include "pd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Scripts assume Linux's numbers (PACKETDRILL-SO.md): this object speaks
 * the host's, so it only makes sense where the host is Linux. */
_Static_assert(EAGAIN == 11 && EINPROGRESS == 115 && ECONNREFUSED == 111 && ECONNRESET == 104 &&
                   EPIPE == 32 && ENOTCONN == 107 && EFAULT == 14 && EPROTONOSUPPORT == 93,
               "errno values must be Linux's");

#define PD_QUEUE_CAP 1024
/* A virtual clock first gives the other thread this long (real time) to
 * emit something before it jumps to the next timer. */
#define PD_VIRTUAL_GRACE_NS (20 * PD_NS_PER_MS)

int pd_fail(int err)
{
    errno = err;
    return -1;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * PD_NS_PER_S + (uint64_t)ts.tv_nsec;
}

void pd_lock(pd *p)
{
    pthread_mutex_lock(&p->mu);
}

void pd_unlock(pd *p)
{
    if (p->slept && pthread_equal(p->slept_thread, pthread_self())) {
        /* A call that slept returns: its caller reads the clock next. */
        p->slept = false;
        p->stamp_due = true;
        p->stamp_thread = p->slept_thread;
    }
    pthread_mutex_unlock(&p->mu);
}

void pd_wake(pd *p)
{
    pthread_cond_broadcast(&p->cv);
    p->stale = p->sleepers;
}

/* How long the main thread gives woken calls to finish before it moves a
 * virtual clock on regardless. */
#define PD_QUIESCE_NS (200 * PD_NS_PER_MS)

static bool others_busy(const pd *p)
{
    pthread_t self = pthread_self();
    return p->stale > 0 || (p->slept && !pthread_equal(p->slept_thread, self)) ||
           (p->stamp_due && !pthread_equal(p->stamp_thread, self));
}

void pd_quiesce(pd *p)
{
    uint64_t until = mono_ns() + PD_QUIESCE_NS;
    struct timespec ts = {.tv_sec = (time_t)(until / PD_NS_PER_S),
                          .tv_nsec = (long)(until % PD_NS_PER_S)};
    while (others_busy(p) && mono_ns() < until)
        pthread_cond_timedwait(&p->quiet_cv, &p->mu, &ts);
}

uint64_t pd_now(pd *p)
{
    if (p->virtual_clock)
        return p->vnow;
    return mono_ns() - p->mono0 + PD_T0;
}

static long long stack_to_usecs(const pd *p, uint64_t t)
{
    return p->epoch_us + (long long)((t - PD_T0) / PD_NS_PER_US);
}

void pd_run_timers(pd *p)
{
    uint64_t now = pd_now(p);
    if (synack_stack_next_timeout(p->stack) <= now) {
        synack_stack_handle_timeout(p->stack, now);
        pd_wake(p);
    }
}

static void timed_wait_real(pd *p, uint64_t until)
{
    uint64_t abs_ns = until - PD_T0 + p->mono0;
    struct timespec ts = {.tv_sec = (time_t)(abs_ns / PD_NS_PER_S),
                          .tv_nsec = (long)(abs_ns % PD_NS_PER_S)};
    pthread_cond_timedwait(&p->cv, &p->mu, &ts);
}

static void pd_wait_once(pd *p, uint64_t deadline);

void pd_wait(pd *p, uint64_t deadline)
{
    pthread_t self = pthread_self();
    if (p->slept && pthread_equal(p->slept_thread, self))
        p->slept = false; /* back to sleep: not on its way out (yet) */
    p->sleepers++;
    pd_wait_once(p, deadline);
    p->sleepers--;
    if (p->stale > 0)
        p->stale--;
    p->slept = true;
    p->slept_thread = self;
    pthread_cond_broadcast(&p->quiet_cv);
    pd_run_timers(p);
}

static void pd_wait_once(pd *p, uint64_t deadline)
{
    if (p->virtual_clock) {
        /* Virtual time moves only when the main thread reads or sleeps on
         * the clock, and it broadcasts when it does. */
        pthread_cond_wait(&p->cv, &p->mu);
    } else {
        uint64_t next = synack_stack_next_timeout(p->stack);
        uint64_t until = next < deadline ? next : deadline;
        if (until != UINT64_MAX)
            timed_wait_real(p, until);
        else
            pthread_cond_wait(&p->cv, &p->mu);
    }
}

/* ---- the output side of the link --------------------------------------- */

static int on_output(void *user, const uint8_t *frame, size_t len, uint64_t now)
{
    pd *p = user;
    size_t max = p->cfg.mtu;
    if (p->qlen == p->qcap || len > max) {
        p->qdropped++;
        return SYNACK_ERR_NOBUFS;
    }
    pd_pkt *k = &p->q[(p->qhead + p->qlen) % p->qcap];
    memcpy(k->data, frame, len);
    k->len = len;
    k->usecs = stack_to_usecs(p, now);
    p->qlen++;
    pd_wake(p);
    return 0;
}

static void on_tcp_event(void *user, synack_tcp *conn, uint32_t events)
{
    (void)conn;
    (void)events;
    pd_wake(user);
}

static int pd_netdev_send(void *ud, const void *buf, size_t count)
{
    pd *p = ud;
    if (!buf || count < 20)
        return pd_fail(EINVAL);
    if ((((const uint8_t *)buf)[0] >> 4) != 4) {
        fprintf(stderr, "synack packetdrill: only IPv4 is supported (run with "
                        "--ip_version=ipv4)\n");
        return pd_fail(EAFNOSUPPORT);
    }
    pd_lock(p);
    pd_run_timers(p);
    /* Like a NIC: the datagram is taken even if the stack then drops it
     * (and counts the drop). */
    synack_stack_input(p->stack, buf, count, pd_now(p));
    pd_wake(p);
    pd_unlock(p);
    return 0;
}

static bool pop_packet(pd *p, void *buf, size_t *count, long long *time_usecs)
{
    if (p->qlen == 0)
        return false;
    pd_pkt *k = &p->q[p->qhead];
    size_t n = k->len < *count ? k->len : *count;
    memcpy(buf, k->data, n);
    *count = n;
    if (time_usecs)
        *time_usecs = k->usecs;
    p->qhead = (p->qhead + 1) % p->qcap;
    p->qlen--;
    return true;
}

static void step_virtual(pd *p, uint64_t target);

/* Virtual clock: nothing happens unless time moves, so after a short real
 * grace period for the other thread, jump to the next timer. */
static bool receive_virtual(pd *p, void *buf, size_t *count, long long *time_usecs)
{
    uint64_t v_start = p->vnow, r_start = mono_ns(), r_idle = r_start;
    for (;;) {
        if (pop_packet(p, buf, count, time_usecs))
            return true;
        uint64_t r = mono_ns();
        uint64_t next = synack_stack_next_timeout(p->stack);
        if (r - r_idle >= PD_VIRTUAL_GRACE_NS && next != UINT64_MAX &&
            next - v_start <= p->netdev_max_wait_ns) {
            pd_quiesce(p);
            step_virtual(p, next);
            r_idle = mono_ns();
            continue;
        }
        if (r - r_start >= p->netdev_timeout_ns &&
            (next == UINT64_MAX || next - v_start > p->netdev_max_wait_ns))
            return false;
        uint64_t wait_until = r + PD_VIRTUAL_GRACE_NS;
        struct timespec ts = {.tv_sec = (time_t)(wait_until / PD_NS_PER_S),
                              .tv_nsec = (long)(wait_until % PD_NS_PER_S)};
        pthread_cond_timedwait(&p->cv, &p->mu, &ts);
    }
}

/* Real clock: wait as long as a timer may still produce a datagram (up to
 * netdev_max_wait), or netdev_timeout when none is armed. */
static bool receive_real(pd *p, void *buf, size_t *count, long long *time_usecs)
{
    uint64_t start = pd_now(p);
    for (;;) {
        pd_run_timers(p);
        if (pop_packet(p, buf, count, time_usecs))
            return true;
        uint64_t now = pd_now(p);
        bool armed = synack_stack_next_timeout(p->stack) != UINT64_MAX;
        if (now - start >= p->netdev_max_wait_ns || (!armed && now - start >= p->netdev_timeout_ns))
            return false;
        uint64_t limit = start + (armed ? p->netdev_max_wait_ns : p->netdev_timeout_ns);
        pd_wait(p, limit);
    }
}

static int pd_netdev_receive(void *ud, void *buf, size_t *count, long long *time_usecs)
{
    pd *p = ud;
    if (!buf || !count)
        return pd_fail(EFAULT);
    pd_lock(p);
    bool got = p->virtual_clock ? receive_virtual(p, buf, count, time_usecs)
                                : receive_real(p, buf, count, time_usecs);
    if (!got) {
        /* PACKETDRILL-SO.md: 0 with *count == 0 fails the script at once,
         * where waiting on would hang it forever. */
        fprintf(stderr, "synack packetdrill: no outbound datagram after waiting; giving up\n");
        *count = 0;
    }
    pd_unlock(p);
    return 0;
}

/* ---- the clock ----------------------------------------------------------- */

/* Moves a virtual clock to @p target, running each timer at its own time. */
static void step_virtual(pd *p, uint64_t target)
{
    bool fired = false;
    for (;;) {
        uint64_t next = synack_stack_next_timeout(p->stack);
        if (next > target)
            break;
        if (next > p->vnow)
            p->vnow = next;
        synack_stack_handle_timeout(p->stack, p->vnow);
        fired = true;
    }
    if (target > p->vnow)
        p->vnow = target;
    if (fired)
        pd_wake(p);
}

/* A jump (usleep): first let calls woken by what the main thread did
 * finish at the time they finished. */
static void advance_virtual(pd *p, uint64_t target)
{
    pd_quiesce(p);
    step_virtual(p, target);
    pd_wake(p); /* sleepers with a deadline look at the new time */
}

static int pd_usleep(void *ud, useconds_t usec)
{
    pd *p = ud;
    pd_lock(p);
    uint64_t target = pd_now(p) + (uint64_t)usec * PD_NS_PER_US;
    if (p->virtual_clock) {
        advance_virtual(p, target);
    } else {
        pd_run_timers(p);
        while (pd_now(p) < target)
            pd_wait(p, target);
    }
    pd_unlock(p);
    return 0;
}

static int pd_gettimeofday(void *ud, struct timeval *tv, struct timezone *tz)
{
    pd *p = ud;
    if (!tv)
        return pd_fail(EFAULT);
    pd_lock(p);
    /* PACKETDRILL-SO.md: packetdrill spins on this clock, so it must move
     * on every read. A step is too small to wait for other threads. */
    if (p->virtual_clock)
        step_virtual(p, p->vnow + p->vstep_ns);
    else
        pd_run_timers(p);
    long long us = stack_to_usecs(p, pd_now(p));
    if (p->stamp_due && pthread_equal(p->stamp_thread, pthread_self())) {
        p->stamp_due = false;
        pthread_cond_broadcast(&p->quiet_cv);
    }
    pd_unlock(p);
    tv->tv_sec = (time_t)(us / 1000000);
    tv->tv_usec = (suseconds_t)(us % 1000000);
    if (tz)
        memset(tz, 0, sizeof(*tz));
    return 0;
}

/* ---- set-up and tear-down ---------------------------------------------- */

static int apply_flag(pd *p, const char *w, size_t n)
{
    char word[128];
    if (n == 0)
        return 0;
    if (n >= sizeof(word))
        return -1;
    memcpy(word, w, n);
    word[n] = '\0';
    char *eq = strchr(word, '=');
    if (eq)
        *eq++ = '\0';
    if (!eq && strcmp(word, "virtual") == 0) {
        p->virtual_clock = true;
    } else if (!eq && strcmp(word, "real") == 0) {
        p->virtual_clock = false;
    } else if (!eq && (strcmp(word, "linux") == 0 || strcmp(word, "default") == 0)) {
        return synack_config_profile(&p->cfg, word) < 0 ? -1 : 0;
    } else if (eq && strcmp(word, "local_ip") == 0) {
        return synack_ipv4_parse(eq, &p->cfg.addr) < 0 ? -1 : 0;
    } else if (eq && strcmp(word, "seed") == 0) {
        p->cfg.seed = strtoull(eq, NULL, 0);
    } else if (eq && strcmp(word, "netdev_timeout_ms") == 0) {
        p->netdev_timeout_ns = strtoull(eq, NULL, 10) * PD_NS_PER_MS;
    } else if (eq && strcmp(word, "netdev_max_wait_ms") == 0) {
        p->netdev_max_wait_ns = strtoull(eq, NULL, 10) * PD_NS_PER_MS;
    } else if (eq && strcmp(word, "virtual_step_us") == 0) {
        p->vstep_ns = strtoull(eq, NULL, 10) * PD_NS_PER_US;
    } else {
        return -1;
    }
    return 0;
}

/* --so_flags: words separated by spaces or commas. */
static void apply_flags(pd *p, const char *flags)
{
    if (!flags)
        return;
    const char *s = flags;
    while (*s) {
        size_t n = strcspn(s, " ,\t");
        if (apply_flag(p, s, n) < 0)
            fprintf(stderr, "synack packetdrill: ignoring bad --so_flags word '%.*s'\n", (int)n, s);
        s += n;
        s += strspn(s, " ,\t");
    }
}

static void pd_free(void *ud)
{
    pd *p = ud;
    if (!p)
        return;
    /* The host descriptors are packetdrill's to close (it closes every one
     * a script left open before calling free), so only memory goes here. */
    synack_stack_del(p->stack);
    pd_sock_free_all(p);
    for (size_t i = 0; p->q && i < p->qcap; i++)
        free(p->q[i].data);
    free(p->q);
    free(p->fds);
    pthread_cond_destroy(&p->cv);
    pthread_cond_destroy(&p->quiet_cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

static pd *pd_new(const char *flags)
{
    pd *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_cond_init(&p->quiet_cv, &ca);
    pthread_condattr_destroy(&ca);

    /* packetdrill's default addresses: us 192.168.0.1, the remote side
     * 192.0.2.1 (off our /16). The link carries bare IP, so a /0 prefix
     * makes every address on-link and no gateway is needed. */
    synack_config_default(&p->cfg);
    p->cfg.link = SYNACK_LINK_IP;
    p->cfg.addr = 0xc0a80001u;
    p->cfg.prefix_len = 0;
    p->cfg.gateway = 0;
    p->netdev_timeout_ns = 10 * PD_NS_PER_S;
    p->netdev_max_wait_ns = 180 * PD_NS_PER_S;
    p->vstep_ns = PD_NS_PER_US;
    p->next_port = 40000;
    apply_flags(p, flags);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    p->epoch_us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    p->mono0 = mono_ns();
    p->vnow = PD_T0;

    p->qcap = PD_QUEUE_CAP;
    p->q = calloc(p->qcap, sizeof(*p->q));
    if (!p->q)
        goto fail;
    for (size_t i = 0; i < p->qcap; i++) {
        p->q[i].data = malloc(p->cfg.mtu);
        if (!p->q[i].data)
            goto fail;
    }
    synack_callbacks cb = {.output = on_output, .tcp_event = on_tcp_event};
    const char *why = NULL;
    if (synack_config_check(&p->cfg, &why) < 0) {
        fprintf(stderr, "synack packetdrill: bad configuration: %s\n", why);
        goto fail;
    }
    if (synack_stack_new(&p->cfg, &cb, NULL, p, PD_T0, &p->stack) < 0)
        goto fail;
    return p;
fail:
    pd_free(p);
    return NULL;
}

__attribute__((visibility("default"))) void
packetdrill_interface_init(const char *flags, struct packetdrill_interface *ifc)
{
    pd *p = pd_new(flags);
    if (!p) {
        /* No way to report failure but to leave the table empty: packetdrill
         * then fails at the script's first call. */
        fprintf(stderr, "synack packetdrill: cannot create the stack\n");
        return;
    }
    ifc->userdata = p;
    ifc->free = pd_free;
    ifc->netdev_send = pd_netdev_send;
    ifc->netdev_receive = pd_netdev_receive;
    ifc->usleep = pd_usleep;
    ifc->gettimeofday = pd_gettimeofday;
    pd_fill_sock_table(ifc);
    pd_fill_poll_table(ifc);
}
