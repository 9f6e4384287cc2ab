#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pdh.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PDH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PDH_SANITIZED 1
#endif
#endif

bool pdh_no_deepbind(void)
{
#ifdef PDH_SANITIZED
    return true;
#else
    return false;
#endif
}

void pdh_open(pdh *h, const char *flags)
{
    memset(h, 0, sizeof(*h));
    int mode = RTLD_NOW | RTLD_LOCAL;
    if (!pdh_no_deepbind())
        mode |= RTLD_DEEPBIND; /* what packetdrill passes */
    h->dl = dlopen(PD_SO_PATH, mode);
    if (!h->dl)
        fail_msg("dlopen %s: %s", PD_SO_PATH, dlerror());
    /* POSIX's way round ISO C's ban on object-to-function pointer casts */
    packetdrill_interface_init_t init;
    void *sym = dlsym(h->dl, "packetdrill_interface_init");
    assert_non_null(sym);
    memcpy(&init, &sym, sizeof(init));
    init(flags, &h->ifc);
    assert_non_null(h->ifc.userdata);
}

void pdh_close(pdh *h)
{
    if (h->ifc.free)
        h->ifc.free(h->ifc.userdata);
    if (h->dl)
        dlclose(h->dl);
    memset(h, 0, sizeof(*h));
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t acc)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        acc += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint16_t tcp_checksum(uint32_t src, uint32_t dst, const uint8_t *seg, size_t len)
{
    uint8_t ph[12];
    put32(ph, src);
    put32(ph + 4, dst);
    ph[8] = 0;
    ph[9] = 6;
    put16(ph + 10, (uint16_t)len);
    return fold(sum16(seg, len, sum16(ph, 12, 0)));
}

void pdh_inject(pdh *h, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack,
                uint16_t win, const uint8_t *opts, size_t optlen, const void *data, size_t len)
{
    uint8_t pkt[2048];
    assert_true(optlen % 4 == 0 && optlen <= 40 && 40 + optlen + len <= sizeof(pkt));
    size_t thl = 20 + optlen, total = 20 + thl + len;
    memset(pkt, 0, 40);
    pkt[0] = 0x45;
    put16(pkt + 2, (uint16_t)total);
    put16(pkt + 4, 0x4242);
    pkt[8] = 64;
    pkt[9] = 6;
    put32(pkt + 12, PDH_REMOTE);
    put32(pkt + 16, PDH_LOCAL);
    put16(pkt + 10, fold(sum16(pkt, 20, 0)));
    uint8_t *t = pkt + 20;
    put16(t, sport);
    put16(t + 2, dport);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((thl / 4) << 4);
    t[13] = flags;
    put16(t + 14, win);
    if (optlen)
        memcpy(t + 20, opts, optlen);
    if (len)
        memcpy(t + thl, data, len);
    put16(t + 16, tcp_checksum(PDH_REMOTE, PDH_LOCAL, t, thl + len));
    assert_int_equal(h->ifc.netdev_send(h->ifc.userdata, pkt, total), 0);
}

int pdh_receive_raw(pdh *h, uint8_t *buf, size_t *count, long long *usecs)
{
    *count = 65536;
    return h->ifc.netdev_receive(h->ifc.userdata, buf, count, usecs);
}

void pdh_expect(pdh *h, pdh_seg *s)
{
    static _Thread_local uint8_t buf[65536];
    size_t n;
    memset(s, 0, sizeof(*s));
    assert_int_equal(pdh_receive_raw(h, buf, &n, &s->usecs), 0);
    if (n == 0)
        fail_msg("no outbound datagram");
    assert_true(n >= 40);
    assert_int_equal(buf[0], 0x45);
    assert_int_equal(get16(buf + 2), n);
    assert_int_equal(fold(sum16(buf, 20, 0)), 0); /* IPv4 header checksum */
    assert_int_equal(buf[9], 6);
    s->src = get32(buf + 12);
    s->dst = get32(buf + 16);
    assert_int_equal(s->src, PDH_LOCAL);
    assert_int_equal(s->dst, PDH_REMOTE);
    const uint8_t *t = buf + 20;
    size_t tlen = n - 20, thl = (size_t)(t[12] >> 4) * 4;
    assert_true(thl >= 20 && thl <= tlen);
    assert_int_equal(tcp_checksum(s->src, s->dst, t, tlen), 0);
    s->sport = get16(t);
    s->dport = get16(t + 2);
    s->seq = get32(t + 4);
    s->ack = get32(t + 8);
    s->flags = t[13];
    s->win = get16(t + 14);
    s->optlen = thl - 20;
    memcpy(s->opts, t + 20, s->optlen);
    s->len = tlen - thl;
    assert_true(s->len <= sizeof(s->data));
    memcpy(s->data, t + thl, s->len);
}

int pdh_mss(const pdh_seg *s)
{
    for (size_t i = 0; i < s->optlen;) {
        uint8_t kind = s->opts[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= s->optlen || s->opts[i + 1] < 2)
            break;
        if (kind == 2 && s->opts[i + 1] == 4)
            return get16(s->opts + i + 2);
        i += s->opts[i + 1];
    }
    return -1;
}

static void *call_main(void *arg)
{
    pdh_call *c = arg;
    __atomic_store_n(&c->tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
    errno = 0;
    long rv = c->fn(c->h, c->arg);
    c->err = errno;
    c->rv = rv;
    return NULL;
}

/* The thread's state letter from /proc/self/task/<tid>/stat, or 0 when
 * it is gone. */
static char thread_state(int tid)
{
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = '\0';
    const char *paren = strrchr(line, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

bool pdh_call_sleeping(const pdh_call *c)
{
    int tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
    char st = tid ? thread_state(tid) : 0;
    return st == 'S';
}

void pdh_call_start(pdh_call *c, pdh *h, pdh_fn fn, void *arg)
{
    memset(c, 0, sizeof(*c));
    c->h = h;
    c->fn = fn;
    c->arg = arg;
    assert_int_equal(pthread_create(&c->thread, NULL, call_main, c), 0);
    /* packetdrill's await_idle_thread(): wait until the call sleeps (or is
     * done: the thread's entry disappears or turns zombie). */
    for (int i = 0; i < 20000; i++) {
        int tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE);
        if (tid) {
            char st = thread_state(tid);
            if (st == 'S' || st == 0 || st == 'Z')
                return;
        }
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    fail_msg("the blocking call neither slept nor returned within 2 s");
}

long pdh_call_join(pdh_call *c)
{
    assert_int_equal(pthread_join(c->thread, NULL), 0);
    return c->rv;
}
