/* Fuzz target: a whole stack (network layer) fed a script of frames, echo
 * sends and clock advances. abort() only on a broken invariant:
 *   - every input the stack refuses is counted by exactly one drop counter,
 *     and an accepted one by none;
 *   - every frame the stack sends is well formed (Ethernet padded to 60,
 *     ARP or IPv4 with a valid header checksum, from our address);
 *   - nothing is allocated after synack_stack_new, and nothing leaks.
 *
 * Input: byte 0 picks the configuration (bit 0: IP-only link; bit 1: a
 * 2-entry ARP cache; bit 2: a 2-buffer packet pool). Then records:
 *   kind, dt, ...   the clock first advances by dt * 50 ms (timers run);
 *   kind % 3 == 0:  len (2 bytes, big-endian), then a frame of len bytes;
 *   kind % 3 == 1:  dst (4 bytes): an echo request of kind / 4 bytes;
 *   kind % 3 == 2:  nothing more.
 * Stack: 10.0.0.1/24 at 02:00:00:00:00:01, gateway 10.0.0.254. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "wire/arp.h"
#include "wire/bytes.h"
#include "wire/checksum.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define US_IP 0x0a000001u

typedef struct fuzz_state {
    synack_mem mem;
    long allocs, live;
    synack_link_type link;
    synack_stack *stack;
} fuzz_state;

static void *f_malloc(size_t n, void *ud)
{
    fuzz_state *s = ud;
    s->allocs++;
    s->live++;
    return malloc(n);
}

static void *f_calloc(size_t n, size_t size, void *ud)
{
    fuzz_state *s = ud;
    s->allocs++;
    s->live++;
    return calloc(n, size);
}

static void *f_realloc(void *p, size_t n, void *ud)
{
    fuzz_state *s = ud;
    s->allocs++;
    if (!p)
        s->live++;
    return realloc(p, n);
}

static void f_free(void *p, void *ud)
{
    fuzz_state *s = ud;
    if (p)
        s->live--;
    free(p);
}

static void check_ipv4_out(const uint8_t *d, size_t len)
{
    sk_ipv4_hdr ip;
    CHECK(sk_ipv4_parse(d, len, &ip) == 0);
    CHECK(ip.src == US_IP);
    CHECK(ip.hlen == SK_IPV4_HLEN);
    CHECK(ip.frag == SK_IPV4_FLAG_DF);
    CHECK(ip.total_len <= 1500);
    /* ICMP, or TCP answering stray segments (RST): checksums complete. */
    const uint8_t *payload = d + ip.hlen;
    size_t plen = ip.total_len - ip.hlen;
    if (ip.proto == SK_IPPROTO_TCP)
        CHECK(sk_tcp_verify_checksum(ip.src, ip.dst, payload, plen) == 0);
    else
        CHECK(ip.proto == SK_IPPROTO_ICMP && sk_csum(payload, plen) == 0);
}

static int f_output(void *ud, const uint8_t *frame, size_t len, uint64_t now)
{
    fuzz_state *s = ud;
    (void)now;
    if (s->link == SYNACK_LINK_IP) {
        check_ipv4_out(frame, len);
        return 0;
    }
    sk_eth_hdr eth;
    CHECK(len >= SK_ETH_MIN_FRAME && len <= SK_ETH_HLEN + 1500);
    CHECK(sk_eth_parse(frame, len, &eth) == 0);
    static const uint8_t us[6] = {2, 0, 0, 0, 0, 1};
    CHECK(memcmp(eth.src, us, 6) == 0);
    if (eth.type == SK_ETHERTYPE_ARP) {
        sk_arp a;
        CHECK(len == SK_ETH_MIN_FRAME);
        CHECK(sk_arp_parse(frame + SK_ETH_HLEN, len - SK_ETH_HLEN, &a) == 0);
        CHECK(a.spa == US_IP && memcmp(a.sha, us, 6) == 0);
        return 0;
    }
    CHECK(eth.type == SK_ETHERTYPE_IPV4);
    check_ipv4_out(frame + SK_ETH_HLEN, len - SK_ETH_HLEN);
    return 0;
}

/* Sum of the counters that count a refused input frame: the *_drop_* ones
 * (arp_queue_drops counts datagrams we could not send, not input). */
static uint64_t drops(const synack_stats *st)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < synack_stats_count(); i++)
        if (strstr(synack_stats_name(i), "_drop_"))
            sum += synack_stats_value(st, i);
    return sum;
}

static void advance(fuzz_state *s, uint64_t *now, uint8_t dt)
{
    *now += (uint64_t)dt * 50000000ULL;
    for (int guard = 0; guard < 64; guard++) {
        uint64_t next = synack_stack_next_timeout(s->stack);
        if (next > *now)
            break;
        synack_stack_handle_timeout(s->stack, next);
    }
    synack_stack_handle_timeout(s->stack, *now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fuzz_state s;
    memset(&s, 0, sizeof(s));
    s.mem = (synack_mem){&s, f_malloc, f_free, f_calloc, f_realloc};
    synack_config cfg;
    synack_config_default(&cfg);
    cfg.addr = US_IP;
    cfg.gateway = 0x0a0000fe;
    cfg.link = (data[0] & 1) ? SYNACK_LINK_IP : SYNACK_LINK_ETHERNET;
    if (data[0] & 2)
        cfg.arp_cache_size = 2;
    if (data[0] & 4)
        cfg.pkt_pool_size = 2;
    cfg.icmp_burst = 4;
    s.link = cfg.link;
    synack_callbacks cb = {.output = f_output};
    uint64_t now = 1000000000ULL;
    CHECK(synack_stack_new(&cfg, &cb, &s.mem, &s, now, &s.stack) == 0);
    long allocs_at_new = s.allocs;
    const synack_stats *st = synack_stack_stats(s.stack);

    size_t i = 1;
    while (i + 2 <= size) {
        uint8_t kind = data[i], dt = data[i + 1];
        i += 2;
        advance(&s, &now, dt);
        if (kind % 3 == 0) {
            if (i + 2 > size)
                break;
            size_t len = sk_get16(data + i);
            i += 2;
            if (len > size - i)
                len = size - i;
            uint64_t before = drops(st);
            int rv = synack_stack_input(s.stack, data + i, len, now);
            uint64_t counted = drops(st) - before;
            CHECK(rv <= 0);
            CHECK(rv == 0 ? counted == 0 : counted == 1);
            i += len;
        } else if (kind % 3 == 1) {
            if (i + 4 > size)
                break;
            static const uint8_t payload[64] = {0};
            int rv = synack_icmp_echo_send(s.stack, sk_get32(data + i), 1, kind, payload,
                                           (size_t)(kind / 4), now);
            CHECK(rv == 0 || rv == SYNACK_ERR_NOROUTE || rv == SYNACK_ERR_NOBUFS);
            i += 4;
        }
    }
    /* Let every timer run out: ARP gives up or expires. */
    advance(&s, &now, 255);
    advance(&s, &now, 255);
    for (int k = 0; k < 8; k++)
        advance(&s, &now, 255); /* > the 60 s ARP lifetime */
    CHECK(synack_stack_next_timeout(s.stack) == UINT64_MAX);
    CHECK(s.allocs == allocs_at_new);
    synack_stack_del(s.stack);
    CHECK(s.live == 0);
    return 0;
}
