/* The harness's packetdrill: loads libsynack_packetdrill.so the way
 * packetdrill does, builds the datagrams a script's inbound lines describe,
 * parses the ones the stack sends, and runs blocking calls on a second
 * thread. Independent of synack: it sees only the shared object. */
#ifndef SYNACK_PDH_H
#define SYNACK_PDH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packetdrill_interface.h"

/* packetdrill's default addresses. */
#define PDH_LOCAL  0xc0a80001u /* 192.168.0.1: the stack under test */
#define PDH_REMOTE 0xc0000201u /* 192.0.2.1: the side the script plays */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

typedef struct pdh {
    void *dl;
    struct packetdrill_interface ifc;
} pdh;

/* dlopen (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND, as packetdrill; the
 * sanitizers refuse RTLD_DEEPBIND, so their builds go without it) and
 * packetdrill_interface_init(flags). Fails the test on error. */
void pdh_open(pdh *h, const char *flags);
/* ifc.free, then dlclose. */
void pdh_close(pdh *h);
/* True when the harness was built without RTLD_DEEPBIND. */
bool pdh_no_deepbind(void);

typedef struct pdh_seg {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win;
    uint8_t opts[40];
    size_t optlen;
    uint8_t data[2048];
    size_t len;
    long long usecs; /* netdev_receive's timestamp */
} pdh_seg;

/* Injects one segment from PDH_REMOTE:@p sport to PDH_LOCAL:@p dport
 * (valid checksums, window @p win). */
void pdh_inject(pdh *h, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                uint16_t win, const uint8_t *opts, size_t optlen, const void *data, size_t len);
/* Receives the next datagram, checks its IPv4 and TCP checksums and
 * addresses, and parses it. Fails the test when none comes. */
void pdh_expect(pdh *h, pdh_seg *out);
/* netdev_receive once: returns its value and the raw count. */
int pdh_receive_raw(pdh *h, uint8_t *buf, size_t *count, long long *usecs);
/* The MSS option value in @p s, or -1. */
int pdh_mss(const pdh_seg *s);

/* A call running on a second thread, as packetdrill runs blocking calls. */
typedef long (*pdh_fn)(pdh *h, void *arg);
typedef struct pdh_call {
    pthread_t thread;
    pdh *h;
    pdh_fn fn;
    void *arg;
    int tid;
    long rv;
    int err; /* errno after the call */
} pdh_call;

/* Starts fn(h, arg) on a second thread and returns once that thread sleeps
 * in the kernel (state S in /proc, as packetdrill checks) or has finished. */
void pdh_call_start(pdh_call *c, pdh *h, pdh_fn fn, void *arg);
/* Joins it; returns its value (errno in c->err). */
long pdh_call_join(pdh_call *c);
/* True if the thread has not returned (checked through /proc). */
bool pdh_call_sleeping(const pdh_call *c);

#endif
