/* pcap writer: the classic libpcap file format with nanosecond timestamps
 * (magic 0xa1b23c4d), as described in draft-ietf-opsawg-pcap. A driver: it
 * does stdio, which the core never does. Fields are written little-endian
 * whatever the host, so that one run gives the same bytes everywhere
 * (readers detect the byte order from the magic). */
#include "synack/pcap.h"

#include <stdbool.h>
#include <string.h>

#define PCAP_MAGIC_NS       0xa1b23c4du
#define PCAP_VERSION_MAJOR  2
#define PCAP_VERSION_MINOR  4
#define PCAP_DEFAULT_SNAP   262144u
#define PCAP_FILE_HDR_LEN   24
#define PCAP_RECORD_HDR_LEN 16

struct synack_pcap {
    synack_mem mem;
    FILE *f;
    bool owns_file;
    bool failed; /* a write failed: every later call reports SYNACK_ERR_IO */
    uint32_t linktype;
    uint32_t snaplen;
    uint64_t count;
};

static void put_le16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    put_le16(p, (uint16_t)v);
    put_le16(p + 2, (uint16_t)(v >> 16));
}

static int write_all(synack_pcap *p, const void *buf, size_t len)
{
    if (p->failed || (len && fwrite(buf, 1, len, p->f) != len)) {
        p->failed = true;
        return SYNACK_ERR_IO;
    }
    return 0;
}

static int write_file_header(synack_pcap *p)
{
    uint8_t h[PCAP_FILE_HDR_LEN];
    put_le32(h, PCAP_MAGIC_NS);
    put_le16(h + 4, PCAP_VERSION_MAJOR);
    put_le16(h + 6, PCAP_VERSION_MINOR);
    put_le32(h + 8, 0);  /* thiszone: timestamps are UTC (here: virtual) */
    put_le32(h + 12, 0); /* sigfigs: always 0 */
    put_le32(h + 16, p->snaplen);
    put_le32(h + 20, p->linktype);
    int rv = write_all(p, h, sizeof(h));
    /* Flush now so that an unwritable file fails at open, not at close. */
    if (rv == 0 && fflush(p->f) != 0) {
        p->failed = true;
        rv = SYNACK_ERR_IO;
    }
    return rv;
}

static int pcap_new(FILE *f, bool owns, uint32_t linktype, uint32_t snaplen, const synack_mem *mem,
                    synack_pcap **out)
{
    if (!mem)
        mem = synack_mem_default();
    synack_pcap *p = mem->calloc(1, sizeof(*p), mem->user_data);
    if (!p)
        return SYNACK_ERR_NOMEM;
    p->mem = *mem;
    p->f = f;
    p->owns_file = owns;
    p->linktype = linktype;
    p->snaplen = snaplen ? snaplen : PCAP_DEFAULT_SNAP;
    int rv = write_file_header(p);
    if (rv < 0) {
        p->owns_file = false; /* the caller of pcap_new closes it */
        synack_pcap_close(p);
        return rv;
    }
    *out = p;
    return 0;
}

static int linktype_ok(uint32_t linktype)
{
    return linktype == SYNACK_PCAP_LINKTYPE_ETHERNET || linktype == SYNACK_PCAP_LINKTYPE_RAW;
}

int synack_pcap_open_file(FILE *f, uint32_t linktype, uint32_t snaplen, const synack_mem *mem,
                          synack_pcap **out)
{
    if (!out)
        return SYNACK_ERR_INVAL;
    *out = NULL;
    if (!f || !linktype_ok(linktype))
        return SYNACK_ERR_INVAL;
    return pcap_new(f, false, linktype, snaplen, mem, out);
}

int synack_pcap_open(const char *path, uint32_t linktype, uint32_t snaplen, const synack_mem *mem,
                     synack_pcap **out)
{
    if (!out)
        return SYNACK_ERR_INVAL;
    *out = NULL;
    if (!path || !linktype_ok(linktype))
        return SYNACK_ERR_INVAL;
    FILE *f = fopen(path, "wb");
    if (!f)
        return SYNACK_ERR_IO;
    int rv = pcap_new(f, true, linktype, snaplen, mem, out);
    if (rv < 0)
        fclose(f);
    return rv;
}

int synack_pcap_write(synack_pcap *p, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
    if (!p || (!frame && len))
        return SYNACK_ERR_INVAL;
    if (len > UINT32_MAX)
        len = UINT32_MAX; /* orig_len is 32 bits; never reached with real frames */
    uint32_t incl = len < p->snaplen ? (uint32_t)len : p->snaplen;
    uint8_t h[PCAP_RECORD_HDR_LEN];
    put_le32(h, (uint32_t)(ts_ns / 1000000000u));
    put_le32(h + 4, (uint32_t)(ts_ns % 1000000000u));
    put_le32(h + 8, incl);
    put_le32(h + 12, (uint32_t)len);
    int rv = write_all(p, h, sizeof(h));
    if (rv == 0)
        rv = write_all(p, frame, incl);
    if (rv == 0)
        p->count++;
    return rv;
}

int synack_pcap_close(synack_pcap *p)
{
    if (!p)
        return 0;
    int rv = p->failed ? SYNACK_ERR_IO : 0;
    if (fflush(p->f) != 0 || ferror(p->f))
        rv = SYNACK_ERR_IO;
    if (p->owns_file && fclose(p->f) != 0)
        rv = SYNACK_ERR_IO;
    synack_mem mem = p->mem;
    mem.free(p, mem.user_data);
    return rv;
}

uint64_t synack_pcap_count(const synack_pcap *p)
{
    return p->count;
}

static uint32_t linktype_of(synack_link_type link)
{
    return link == SYNACK_LINK_IP ? SYNACK_PCAP_LINKTYPE_RAW : SYNACK_PCAP_LINKTYPE_ETHERNET;
}

void synack_pcap_trace(void *user_data, const synack_trace_event *ev)
{
    synack_pcap *p = user_data;
    if (ev->kind != SYNACK_TRACE_FRAME_IN && ev->kind != SYNACK_TRACE_FRAME_OUT)
        return;
    /* A frame of the other link type would be misread by every reader. */
    if (linktype_of(ev->link) != p->linktype)
        return;
    synack_pcap_write(p, ev->now, ev->frame, ev->len);
}

void synack_pcap_memlink_tap(void *user_data, synack_memlink_event ev, int from_port, int to_port,
                             const uint8_t *frame, size_t len, uint64_t now)
{
    (void)from_port;
    (void)to_port;
    if (ev == SYNACK_MEMLINK_SENT)
        synack_pcap_write(user_data, now, frame, len);
}
