/* synack — TUN and TAP devices (Linux): a stack talking to the kernel.
 *
 * A driver, not part of the sans-I/O core: it opens /dev/net/tun, reads and
 * writes frames, reads CLOCK_MONOTONIC and sleeps. A TUN device carries
 * bare IPv4 datagrams (use cfg.link = SYNACK_LINK_IP), a TAP device Ethernet
 * frames (SYNACK_LINK_ETHERNET; the stack answers ARP with cfg.mac). Both
 * are opened with IFF_NO_PI (no packet-information prefix) and
 * non-blocking.
 *
 * Wiring a stack to a device:
 *
 *     static int out(void *user, const uint8_t *f, size_t n, uint64_t now)
 *     {
 *         return synack_tun_write(((struct app *)user)->tun, f, n);
 *     }
 *     ...
 *     synack_tun_open(&tcfg, NULL, &app.tun, why, sizeof(why));
 *     cfg.link = synack_tun_link(app.tun);
 *     synack_stack_new(&cfg, &(synack_callbacks){.output = out}, NULL, &app,
 *                      synack_tun_now(), &app.stack);
 *     synack_tun_run(app.tun, app.stack, &loop);
 *
 * synack_tun_write() queues a copy of the frame; queued frames go to the
 * device in one burst (synack_tun_flush(), called by the loop after every
 * batch of input and every timer run). Reads are batched too: one wake-up
 * reads up to `batch` frames before the loop looks at timers again.
 *
 * To drive the device from your own poll/epoll loop instead of
 * synack_tun_run(): watch synack_tun_fd() for synack_tun_poll_events(),
 * call synack_tun_read() when it is readable, synack_tun_flush() when it is
 * writable (and after you called into the stack), and time your sleep by
 * synack_stack_next_timeout() on the clock of synack_tun_now().
 *
 * This header needs POSIX (poll.h, sigset_t): compile with
 * _POSIX_C_SOURCE >= 200809L or _GNU_SOURCE. It is not included by
 * synack.h; include it on its own. On systems other than Linux every
 * function that opens a device returns SYNACK_ERR_UNSUPPORTED.
 *
 * Opening needs CAP_NET_ADMIN unless the device already exists as a
 * persistent device owned by the caller (`ip tuntap add ... user U`);
 * assigning the kernel side's address and bringing the link up always
 * needs it.
 */
#ifndef SYNACK_TUN_H
#define SYNACK_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>

#include "stack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_tun synack_tun;

/** Longest interface name, without the NUL (Linux IFNAMSIZ - 1). */
#define SYNACK_TUN_NAME_MAX 15

typedef struct synack_tun_config {
    /** Interface name ("tun0"); at most SYNACK_TUN_NAME_MAX bytes. Empty
     *  lets the kernel choose ("tun%d" / "tap%d"); synack_tun_name() tells. */
    char name[SYNACK_TUN_NAME_MAX + 1];
    /** SYNACK_LINK_IP opens a TUN device, SYNACK_LINK_ETHERNET a TAP device;
     *  default SYNACK_LINK_IP. */
    synack_link_type link;
    /** The kernel side's address on the device, assigned with its prefix
     *  (which gives the kernel its on-link route); 0 = leave the device's
     *  addresses alone. Default 0. */
    synack_ipv4 peer_addr;
    uint8_t peer_prefix_len; /**< 0..32; default 24 */
    /** Bring the link up (IFF_UP) after opening; default true when
     *  peer_addr is set, and harmless when it already is up. */
    bool up;
    /** Set the device MTU (IP bytes); 0 = leave it (1500 for a new device).
     *  The stack's cfg.mtu should not exceed the device's. Default 0. */
    uint16_t mtu;
    /** Frames read per wake-up and frames queued before a write burst;
     *  1..1024, default 32. */
    uint32_t batch;
    /** The kernel's queue of frames towards us (txqueuelen, SIOCSIFTXQLEN);
     *  0 = leave it (500 for a new device). Each frame we write is
     *  processed by the kernel at once, and the ACKs it answers with wait
     *  in this queue until we read: a burst of more than twice its length
     *  (delayed ACKs) loses ACKs, which the sender sees as losses. Raising
     *  it needs CAP_NET_ADMIN. Default 0. */
    uint32_t tx_queue_len;
} synack_tun_config;

/** Fills @p cfg with the defaults above (name empty, TUN, no address). */
void synack_tun_config_default(synack_tun_config *cfg);

/** Driver counters. */
typedef struct synack_tun_stats {
    uint64_t frames_read;    /**< frames read from the device */
    uint64_t bytes_read;     /**< their bytes */
    uint64_t frames_written; /**< frames written to the device */
    uint64_t bytes_written;  /**< their bytes */
    uint64_t read_batches;   /**< wake-ups that read at least one frame */
    uint64_t write_bursts;   /**< flushes that wrote at least one frame */
    uint64_t write_errors;   /**< frames the device refused (dropped) */
    uint64_t queue_full;     /**< frames dropped: queue full and the device would block */
    uint64_t oversize;       /**< frames longer than the device MTU allows (dropped) */
} synack_tun_stats;

/** Opens (creating if needed) the device and configures it as asked.
 *  @param why      if not NULL, receives a one-line message saying what
 *                  failed and what to do (at most @p why_len bytes with the
 *                  NUL); "" on success.
 *  @return 0,
 *          SYNACK_ERR_INVAL (bad config: name too long, prefix > 32, batch),
 *          SYNACK_ERR_PERM (no permission: CAP_NET_ADMIN missing, or
 *          /dev/net/tun not accessible),
 *          SYNACK_ERR_UNSUPPORTED (no /dev/net/tun, or not Linux),
 *          SYNACK_ERR_ADDRINUSE (the device is busy or exists as the
 *          other kind), SYNACK_ERR_IO (another system error; *why has
 *          the call and errno text), SYNACK_ERR_NOMEM. */
int synack_tun_open(const synack_tun_config *cfg, const synack_mem *mem, synack_tun **out,
                    char *why, size_t why_len);

/** Closes the device (a non-persistent device disappears with it) and
 *  frees @p tun. Queued frames are written first. NULL is allowed. */
void synack_tun_close(synack_tun *tun);

/** The interface name the kernel gave the device. */
const char *synack_tun_name(const synack_tun *tun);
/** SYNACK_LINK_IP for TUN, SYNACK_LINK_ETHERNET for TAP: use as cfg.link. */
synack_link_type synack_tun_link(const synack_tun *tun);
/** The device MTU (IP bytes) as read after opening. */
uint16_t synack_tun_mtu(const synack_tun *tun);
/** The file descriptor, for poll/epoll. */
int synack_tun_fd(const synack_tun *tun);
/** POLLIN, plus POLLOUT while frames wait for a device that would block. */
short synack_tun_poll_events(const synack_tun *tun);
const synack_tun_stats *synack_tun_get_stats(const synack_tun *tun);

/** CLOCK_MONOTONIC in nanoseconds: the clock synack_tun_run() passes to
 *  the stack, so a stack driven by it must be created with this `now`. */
uint64_t synack_tun_now(void);

/** Queues a copy of one frame for the device (the stack's output callback
 *  calls this). When the queue is full it is flushed first.
 *  @return 0, SYNACK_ERR_INVAL (longer than MTU + link header: counted in
 *          oversize), SYNACK_ERR_NOBUFS (queue full and the device would
 *          block: counted in queue_full). */
int synack_tun_write(synack_tun *tun, const uint8_t *frame, size_t len);

/** Writes queued frames until the queue is empty or the device would block.
 *  A frame the device refuses for another reason is dropped and counted.
 *  @return frames still queued (>= 0). */
int synack_tun_flush(synack_tun *tun);

/** Reads up to `batch` frames that are ready (never blocks) and hands each
 *  to synack_stack_input() at @p now.
 *  @return frames read (0: none ready), SYNACK_ERR_IO (the device failed;
 *          errno says why). */
int synack_tun_read(synack_tun *tun, synack_stack *stack, uint64_t now);

/** Called once per loop iteration, after input and timers and before the
 *  loop sleeps. Return 0 to go on, > 0 to end the loop (synack_tun_run
 *  returns that value), or a negative SYNACK_ERR_* to end it with an error.
 *  The hook may call into the stack; its output is flushed before sleeping. */
typedef int (*synack_tun_hook_fn)(void *user_data, uint64_t now);

typedef struct synack_tun_loop {
    synack_tun_hook_fn hook; /**< optional */
    void *user_data;
    /** Other descriptors to wait on (stdin, sockets...), or NULL. The loop
     *  polls them with the device; the hook sets `events` and reads
     *  `revents` (0 when the wake-up was for something else). */
    struct pollfd *fds;
    size_t nfds;
    /** The hook's own deadline (CLOCK_MONOTONIC ns): the loop wakes by then
     *  even if nothing else happens. UINT64_MAX (or 0) = none. The hook may
     *  change it on every call. */
    uint64_t wake_at;
    /** The signal mask to use while sleeping (given to ppoll). Block the
     *  signals whose handlers set *stop before calling synack_tun_run()
     *  and pass the mask from before you blocked them: they are then
     *  delivered only during the sleep, so a flag set by a handler is never
     *  missed between the check and the sleep. NULL = leave the mask alone. */
    const sigset_t *sigmask;
    /** Ends the loop (return 0) when it becomes non-zero, e.g. set by a
     *  SIGINT handler. NULL = none. */
    volatile sig_atomic_t *stop;
} synack_tun_loop;

/** Runs the stack on the device: read batches of frames into the stack,
 *  run its timers, call the hook, write what the stack sent, and sleep in
 *  ppoll until the device is readable, the next timer is due, the hook's
 *  deadline passes, one of the hook's descriptors is ready, or a signal
 *  arrives.
 *  @return 0 when *stop became non-zero, the hook's positive value, the
 *          hook's error, or SYNACK_ERR_IO (the device or ppoll failed). */
int synack_tun_run(synack_tun *tun, synack_stack *stack, synack_tun_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
