/* synack — pcap writer (classic libpcap format, nanosecond timestamps).
 *
 * A driver, not part of the sans-I/O core: it writes to a stdio FILE.
 * Attach it to a stack's trace (synack_pcap_trace) or to a memlink's tap
 * (synack_pcap_memlink_tap). Timestamps are the caller's `now` values.
 * Header fields are written little-endian on every host, so one run gives
 * the same bytes everywhere (readers take the byte order from the magic).
 *
 * A failed write sticks: every later write and the close report
 * SYNACK_ERR_IO (the trace and tap callbacks cannot return it, so check the
 * close). stdio buffers, so a failure may only show at close.
 */
#ifndef SYNACK_PCAP_H
#define SYNACK_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "stack.h"
#include "memlink.h"

#ifdef __cplusplus
extern "C" {
#endif

/** LINKTYPE_ETHERNET (1) and LINKTYPE_RAW (101, bare IPv4/IPv6). */
#define SYNACK_PCAP_LINKTYPE_ETHERNET 1
#define SYNACK_PCAP_LINKTYPE_RAW      101

typedef struct synack_pcap synack_pcap;

/** Opens @p path for writing (truncating) and writes and flushes the file
 *  header (so an unwritable file fails here).
 *  @param linktype SYNACK_PCAP_LINKTYPE_*
 *  @param snaplen  largest frame recorded in full (0 = 262144)
 *  @return 0, SYNACK_ERR_INVAL, SYNACK_ERR_IO (errno says why), SYNACK_ERR_NOMEM. */
int synack_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen, const synack_mem *mem,
                     synack_pcap **out);

/** Same, on a FILE the caller opened (not closed by synack_pcap_close). */
int synack_pcap_open_file(FILE *f, uint32_t linktype, uint32_t snaplen, const synack_mem *mem,
                          synack_pcap **out);

/** Writes one record: at most snaplen bytes of the frame, with its full
 *  length as orig_len. @return 0, SYNACK_ERR_INVAL, SYNACK_ERR_IO. */
int synack_pcap_write(synack_pcap *p, uint64_t ts_ns, const uint8_t *frame, size_t len);

/** Flushes and frees (and closes the file if synack_pcap_open opened it).
 *  @return 0 or SYNACK_ERR_IO if a write or the close failed. NULL allowed. */
int synack_pcap_close(synack_pcap *p);

/** Frames written so far. */
uint64_t synack_pcap_count(const synack_pcap *p);

/** A synack_trace_fn: records FRAME_IN and FRAME_OUT events, so one stack's
 *  capture shows both directions (user_data is the synack_pcap *). Frames of
 *  the other link type than the file's (IP in an Ethernet capture) are
 *  skipped. Use with synack_stack_add_trace(). */
void synack_pcap_trace(void *user_data, const synack_trace_event *ev);

/** A synack_memlink_tap_fn: records each frame once, when it is sent
 *  (user_data is the synack_pcap *). */
void synack_pcap_memlink_tap(void *user_data, synack_memlink_event ev, int from_port, int to_port,
                             const uint8_t *frame, size_t len, uint64_t now);

#ifdef __cplusplus
}
#endif
#endif
