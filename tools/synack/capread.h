/* Reading a capture (pcap or pcapng, through libpcap) into TCP connections:
 * each connection is its two endpoints and its segments in capture order,
 * ready for ladder_from_segments(). Link types: Ethernet (with VLAN tags),
 * raw IP, Linux cooked SLL and SLL2, BSD and OpenBSD loopback; IPv4 and
 * IPv6. Frames that are not TCP, or are truncated before the end of the
 * TCP header, are counted and skipped; a capture cut short (snaplen) keeps
 * the payload length the IP header gives. */
#ifndef SYNACK_TOOLS_CAPREAD_H
#define SYNACK_TOOLS_CAPREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder.h"

typedef struct cap_endpoint {
    bool v6;
    uint8_t addr[16]; /* IPv4 in the first 4 bytes */
    uint16_t port;
} cap_endpoint;

typedef struct cap_conn {
    cap_endpoint ep[2]; /* ep[LADDER_A] is the side that opened (ladder_infer_client) */
    ladder_seg *segs;   /* `from` is LADDER_A or LADDER_B; sent_ns from the capture */
    size_t n, cap;
    bool closed_for_reuse; /* a RST or both FINs: a new SYN starts another connection */
    bool fin[2];
} cap_conn;

typedef struct cap_file {
    cap_conn *conns;
    size_t n, cap;
    size_t frames;     /* frames read */
    size_t not_tcp;    /* frames skipped: not TCP over IPv4/IPv6 */
    size_t truncated;  /* frames skipped: cut before the end of the TCP header */
    int linktype;      /* libpcap's DLT_* */
    uint64_t first_ns; /* time of the first frame */
    char damaged[128]; /* why reading stopped early, "" if it did not */
    /* The index: 4-tuple -> latest connection, open addressing. */
    uint32_t *slots; /* connection index + 1; 0 = empty */
    size_t nslots;
} cap_file;

/** Reads @p path. @return 0, or -1 with a message in @p err (cannot open,
 *  not a capture, unsupported link type, out of memory). */
int cap_read(const char *path, cap_file *cf, char *err, size_t errlen);

void cap_free(cap_file *cf);

/** "10.0.0.1:80", "[2001:db8::1]:443". */
void cap_endpoint_str(const cap_endpoint *ep, char *buf, size_t cap);

#endif
