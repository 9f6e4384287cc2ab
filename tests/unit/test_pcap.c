/* pcap writer: the file is read back byte by byte and every header field
 * checked, so a wrong magic, order or length cannot pass. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "synack/pcap.h"
#include "failalloc.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Everything written to @p f so far. */
static size_t slurp(FILE *f, uint8_t *buf, size_t cap)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, cap, f);
    fseek(f, 0, SEEK_END);
    return n;
}

static void check_file_header(const uint8_t *b, uint32_t snaplen, uint32_t linktype)
{
    const uint8_t magic[4] = {0x4d, 0x3c, 0xb2, 0xa1}; /* 0xa1b23c4d little-endian */
    assert_memory_equal(b, magic, 4);
    assert_int_equal(le16(b + 4), 2);
    assert_int_equal(le16(b + 6), 4);
    assert_int_equal(le32(b + 8), 0);
    assert_int_equal(le32(b + 12), 0);
    assert_int_equal(le32(b + 16), snaplen);
    assert_int_equal(le32(b + 20), linktype);
}

static void check_record(const uint8_t *b, uint32_t sec, uint32_t nsec, uint32_t incl,
                         uint32_t orig)
{
    assert_int_equal(le32(b), sec);
    assert_int_equal(le32(b + 4), nsec);
    assert_int_equal(le32(b + 8), incl);
    assert_int_equal(le32(b + 12), orig);
}

static void test_header_and_records(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    synack_pcap *p;
    assert_int_equal(synack_pcap_open_file(f, SYNACK_PCAP_LINKTYPE_ETHERNET, 1514, NULL, &p), 0);
    uint8_t buf[4096];
    assert_int_equal(slurp(f, buf, sizeof(buf)), 24);
    check_file_header(buf, 1514, 1);

    uint8_t a[60], b[3];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)(0xa0 + i);
    memcpy(b, "xyz", 3);
    assert_int_equal(synack_pcap_write(p, 1500000007ull, a, sizeof(a)), 0);
    assert_int_equal(synack_pcap_write(p, 4000000000ull * 1000000000ull + 999999999, b, 3), 0);
    assert_int_equal(synack_pcap_write(p, 0, NULL, 0), 0);
    assert_int_equal(synack_pcap_count(p), 3);

    size_t n = slurp(f, buf, sizeof(buf));
    assert_int_equal(n, 24 + 16 + 60 + 16 + 3 + 16);
    check_record(buf + 24, 1, 500000007, 60, 60);
    assert_memory_equal(buf + 40, a, 60);
    check_record(buf + 100, 4000000000u, 999999999, 3, 3);
    assert_memory_equal(buf + 116, "xyz", 3);
    check_record(buf + 119, 0, 0, 0, 0);

    assert_int_equal(synack_pcap_close(p), 0);
    fclose(f);
}

static void test_snaplen_truncates(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    synack_pcap *p;
    assert_int_equal(synack_pcap_open_file(f, SYNACK_PCAP_LINKTYPE_RAW, 64, NULL, &p), 0);
    uint8_t frame[100];
    for (size_t i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    assert_int_equal(synack_pcap_write(p, 2000000000, frame, 100), 0);
    assert_int_equal(synack_pcap_write(p, 2000000001, frame, 64), 0);
    assert_int_equal(synack_pcap_write(p, 2000000002, frame, 65), 0);
    uint8_t buf[4096];
    size_t n = slurp(f, buf, sizeof(buf));
    assert_int_equal(n, 24 + 3 * (16 + 64));
    check_file_header(buf, 64, 101);
    check_record(buf + 24, 2, 0, 64, 100);
    assert_memory_equal(buf + 40, frame, 64);
    check_record(buf + 104, 2, 1, 64, 64);
    check_record(buf + 184, 2, 2, 64, 65);
    assert_memory_equal(buf + 200, frame, 64);
    assert_int_equal(synack_pcap_close(p), 0);
    fclose(f);
}

static void test_default_snaplen_and_path(void **state)
{
    (void)state;
    char path[] = "/tmp/synack_test_pcap_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    synack_pcap *p;
    assert_int_equal(synack_pcap_open(path, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &p), 0);
    uint8_t frame[14] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06};
    assert_int_equal(synack_pcap_write(p, 5, frame, sizeof(frame)), 0);
    assert_int_equal(synack_pcap_close(p), 0);

    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    unlink(path);
    close(fd);
    assert_int_equal(n, 24 + 16 + 14);
    check_file_header(buf, 262144, 1);
    check_record(buf + 24, 0, 5, 14, 14);
    assert_memory_equal(buf + 40, frame, 14);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    synack_pcap *p = (synack_pcap *)state;
    FILE *f = tmpfile();
    assert_int_equal(synack_pcap_open_file(f, 42, 0, NULL, &p), SYNACK_ERR_INVAL);
    assert_null(p);
    assert_int_equal(synack_pcap_open_file(NULL, 1, 0, NULL, &p), SYNACK_ERR_INVAL);
    assert_int_equal(synack_pcap_open_file(f, 1, 0, NULL, NULL), SYNACK_ERR_INVAL);
    assert_int_equal(synack_pcap_open(NULL, 1, 0, NULL, &p), SYNACK_ERR_INVAL);
    assert_int_equal(synack_pcap_open_file(f, 1, 0, NULL, &p), 0);
    assert_int_equal(synack_pcap_write(p, 0, NULL, 5), SYNACK_ERR_INVAL);
    assert_int_equal(synack_pcap_write(NULL, 0, NULL, 0), SYNACK_ERR_INVAL);
    assert_int_equal(synack_pcap_close(p), 0);
    assert_int_equal(synack_pcap_close(NULL), 0);
    fclose(f);
}

static void test_write_errors_reported(void **state)
{
    (void)state;
    synack_pcap *p = NULL;
    /* /dev/full takes the open but fails the first flush: the header. */
    FILE *f = fopen("/dev/full", "wb");
    if (!f)
        skip();
    assert_int_equal(synack_pcap_open_file(f, 1, 0, NULL, &p), SYNACK_ERR_IO);
    assert_null(p);
    fclose(f);
    assert_int_equal(synack_pcap_open("/dev/full", 1, 0, NULL, &p), SYNACK_ERR_IO);
    assert_int_equal(synack_pcap_open("/nonexistent-dir/x.pcap", 1, 0, NULL, &p), SYNACK_ERR_IO);

    /* Room for the header and little more: the record fails, and so does
     * every later call (the error sticks). */
    char mem[40];
    f = fmemopen(mem, sizeof(mem), "wb");
    assert_non_null(f);
    setvbuf(f, NULL, _IONBF, 0);
    assert_int_equal(synack_pcap_open_file(f, 1, 0, NULL, &p), 0);
    uint8_t frame[100] = {0};
    assert_int_equal(synack_pcap_write(p, 1, frame, sizeof(frame)), SYNACK_ERR_IO);
    assert_int_equal(synack_pcap_write(p, 2, frame, 1), SYNACK_ERR_IO);
    assert_int_equal(synack_pcap_count(p), 0);
    assert_int_equal(synack_pcap_close(p), SYNACK_ERR_IO);
    fclose(f);

    /* Buffered: the write seems to succeed and the failure shows at close. */
    f = fmemopen(mem, sizeof(mem), "wb");
    assert_non_null(f);
    static char big[4096];
    setvbuf(f, big, _IOFBF, sizeof(big));
    assert_int_equal(synack_pcap_open_file(f, 1, 0, NULL, &p), 0);
    assert_int_equal(synack_pcap_write(p, 1, frame, sizeof(frame)), 0);
    assert_int_equal(synack_pcap_close(p), SYNACK_ERR_IO);
    fclose(f);
}

static void test_allocation_failure(void **state)
{
    (void)state;
    failalloc fa;
    failalloc_init(&fa, 1);
    FILE *f = tmpfile();
    synack_pcap *p;
    assert_int_equal(synack_pcap_open_file(f, 1, 0, &fa.mem, &p), SYNACK_ERR_NOMEM);
    assert_null(p);
    uint8_t buf[64];
    assert_int_equal(slurp(f, buf, sizeof(buf)), 0);
    fclose(f);
    failalloc_init(&fa, 0);
    f = tmpfile();
    assert_int_equal(synack_pcap_open_file(f, 1, 0, &fa.mem, &p), 0);
    assert_int_equal(synack_pcap_close(p), 0);
    assert_int_equal(fa.live, 0);
    fclose(f);
}

static void test_trace_records_in_and_out(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    synack_pcap *p;
    assert_int_equal(synack_pcap_open_file(f, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &p), 0);
    const uint8_t in[20] = {1}, out[30] = {2};
    synack_trace_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.link = SYNACK_LINK_ETHERNET;

    ev.kind = SYNACK_TRACE_FRAME_IN;
    ev.now = 10;
    ev.frame = in;
    ev.len = sizeof(in);
    synack_pcap_trace(p, &ev);
    ev.kind = SYNACK_TRACE_DROP; /* the same frame again: already recorded */
    ev.now = 11;
    ev.reason = "ip_drop_checksum";
    synack_pcap_trace(p, &ev);
    ev.kind = SYNACK_TRACE_FRAME_OUT;
    ev.now = 12;
    ev.frame = out;
    ev.len = sizeof(out);
    ev.reason = NULL;
    synack_pcap_trace(p, &ev);
    ev.kind = SYNACK_TRACE_TCP_STATE;
    ev.frame = NULL;
    ev.len = 0;
    synack_pcap_trace(p, &ev);
    /* A bare-IP frame does not belong in an Ethernet capture. */
    ev.kind = SYNACK_TRACE_FRAME_OUT;
    ev.link = SYNACK_LINK_IP;
    ev.frame = out;
    ev.len = sizeof(out);
    synack_pcap_trace(p, &ev);

    assert_int_equal(synack_pcap_count(p), 2);
    uint8_t buf[256];
    assert_int_equal(slurp(f, buf, sizeof(buf)), 24 + 16 + 20 + 16 + 30);
    check_record(buf + 24, 0, 10, 20, 20);
    assert_memory_equal(buf + 40, in, 20);
    check_record(buf + 60, 0, 12, 30, 30);
    assert_memory_equal(buf + 76, out, 30);
    assert_int_equal(synack_pcap_close(p), 0);
    fclose(f);
}

static void test_memlink_tap_records_sent_once(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    synack_pcap *p;
    assert_int_equal(synack_pcap_open_file(f, SYNACK_PCAP_LINKTYPE_ETHERNET, 0, NULL, &p), 0);
    synack_memlink_config cfg;
    synack_memlink_config_default(&cfg);
    cfg.impairments.delay_ns = 1000;
    cfg.impairments.duplicate = 1.0;
    synack_memlink *link;
    assert_int_equal(synack_memlink_new(&cfg, NULL, &link), 0);
    for (int i = 0; i < 3; i++)
        synack_memlink_add_port(link);
    synack_memlink_set_tap(link, synack_pcap_memlink_tap, p);
    uint8_t frame[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06};
    synack_memlink_run(link, 777, NULL, NULL);
    assert_int_equal(synack_memlink_send(link, 0, frame, sizeof(frame)), 0);
    synack_memlink_run(link, UINT64_MAX, NULL, NULL);
    /* Four deliveries (two ports, each twice), one record. */
    assert_int_equal(synack_memlink_stats_get(link)->delivered, 4);
    assert_int_equal(synack_pcap_count(p), 1);
    uint8_t buf[256];
    assert_int_equal(slurp(f, buf, sizeof(buf)), 24 + 16 + 42);
    check_record(buf + 24, 0, 777, 42, 42);
    assert_memory_equal(buf + 40, frame, 42);
    synack_memlink_del(link);
    assert_int_equal(synack_pcap_close(p), 0);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_records),
        cmocka_unit_test(test_snaplen_truncates),
        cmocka_unit_test(test_default_snaplen_and_path),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_write_errors_reported),
        cmocka_unit_test(test_allocation_failure),
        cmocka_unit_test(test_trace_records_in_and_out),
        cmocka_unit_test(test_memlink_tap_records_sent_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
