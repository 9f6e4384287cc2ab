/* memlink: an in-memory hub between stacks under one virtual clock, with
 * seeded impairments (the picoquic test-link idea). Nothing here reads a
 * real clock: time moves only when a step takes it to the next event. */
#include "synack/memlink.h"

#include <string.h>

#include "core/prng.h"

/* A frame buffer. Buffers are carved from chunks and recycled through a
 * free list, so steady-state traffic never calls the allocator. */
typedef struct ml_buf {
    struct ml_buf *next; /* free-list link */
    size_t len;
    uint8_t data[];
} ml_buf;

typedef struct ml_chunk {
    struct ml_chunk *next;
} ml_chunk;

/* A frame on its way to one port. Ordered by (at, seq): seq is the order of
 * queueing, so deliveries due at the same time keep that order on every run. */
typedef struct ml_delivery {
    uint64_t at;
    uint64_t seq;
    ml_buf *buf;
    int from, to;
} ml_delivery;

typedef struct ml_port {
    synack_memlink *link;
    int index;
    synack_stack *stack; /* NULL: frames reach the port and go nowhere */
    synack_impairments imp;
    uint64_t busy_until; /* when the port's wire is free again (bandwidth) */
    /* Start times of frames waiting for the wire, oldest first: a ring of
     * queue_limit entries, kept only when both queue_limit and rate_bps are set. */
    uint64_t *waiting;
    uint32_t wcap, whead, wcount;
    /* For stacks made by synack_memlink_attach: the caller's callbacks. */
    synack_callbacks user_cb;
    void *user_data;
} ml_port;

struct synack_memlink {
    synack_mem mem;
    synack_memlink_config cfg;
    uint64_t now;
    sk_prng prng;
    ml_port *ports;
    uint32_t nports;
    ml_delivery *heap;
    size_t heap_len, heap_cap;
    uint64_t next_seq;
    ml_buf *free_bufs;
    ml_chunk *chunks;
    size_t nbufs, nfree, buf_stride;
    synack_memlink_tap_fn tap;
    void *tap_user;
    synack_memlink_stats stats;
};

/* Frames longer than this would overflow the serialisation-time arithmetic. */
#define ML_MAX_FRAME_LIMIT (1u << 20)
#define ML_MAX_PORTS_LIMIT 4096u
#define ML_FIRST_CHUNK     64u
#define ML_FIRST_HEAP      256u

void synack_memlink_config_default(synack_memlink_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->max_ports = 8;
    cfg->max_frame = 9216; /* a jumbo frame */
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int prob_ok(double p)
{
    return p >= 0.0 && p <= 1.0; /* false for NaN too */
}

static int impairments_ok(const synack_impairments *imp)
{
    return prob_ok(imp->loss) && prob_ok(imp->corrupt) && prob_ok(imp->duplicate) &&
           prob_ok(imp->reorder) && imp->blackout_start_ns <= imp->blackout_end_ns;
}

static void *ml_alloc(synack_memlink *link, size_t size)
{
    return link->mem.malloc(size, link->mem.user_data);
}

static void ml_free(synack_memlink *link, void *ptr)
{
    link->mem.free(ptr, link->mem.user_data);
}

/* ---- frame buffers ------------------------------------------------------ */

/* Makes sure @p n buffers are free, adding a chunk as large as everything
 * allocated so far (at least ML_FIRST_CHUNK) when they are not. */
static int bufs_reserve(synack_memlink *link, size_t n)
{
    if (link->nfree >= n)
        return 0;
    size_t count = link->nbufs > ML_FIRST_CHUNK ? link->nbufs : ML_FIRST_CHUNK;
    if (count < n)
        count = n;
    size_t head = (sizeof(ml_chunk) + 15) & ~(size_t)15;
    if (count > (SIZE_MAX - head) / link->buf_stride)
        return SYNACK_ERR_NOMEM;
    ml_chunk *c = ml_alloc(link, head + count * link->buf_stride);
    if (!c)
        return SYNACK_ERR_NOMEM;
    c->next = link->chunks;
    link->chunks = c;
    uint8_t *base = (uint8_t *)c + head;
    for (size_t i = count; i-- > 0;) {
        ml_buf *b = (ml_buf *)(void *)(base + i * link->buf_stride);
        b->next = link->free_bufs;
        link->free_bufs = b;
    }
    link->nbufs += count;
    link->nfree += count;
    return 0;
}

/* Only after bufs_reserve said there is one. */
static ml_buf *buf_get(synack_memlink *link)
{
    ml_buf *b = link->free_bufs;
    link->free_bufs = b->next;
    link->nfree--;
    return b;
}

static void buf_put(synack_memlink *link, ml_buf *b)
{
    b->next = link->free_bufs;
    link->free_bufs = b;
    link->nfree++;
}

/* ---- the delivery heap -------------------------------------------------- */

static int delivery_before(const ml_delivery *a, const ml_delivery *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int heap_reserve(synack_memlink *link, size_t n)
{
    if (link->heap_cap - link->heap_len >= n)
        return 0;
    size_t cap = link->heap_cap ? link->heap_cap : ML_FIRST_HEAP;
    while (cap - link->heap_len < n) {
        if (cap > SIZE_MAX / 2 / sizeof(ml_delivery))
            return SYNACK_ERR_NOMEM;
        cap *= 2;
    }
    ml_delivery *h = ml_alloc(link, cap * sizeof(*h));
    if (!h)
        return SYNACK_ERR_NOMEM;
    if (link->heap_len)
        memcpy(h, link->heap, link->heap_len * sizeof(*h));
    ml_free(link, link->heap);
    link->heap = h;
    link->heap_cap = cap;
    return 0;
}

/* Only after heap_reserve said there is room. */
static void heap_push(synack_memlink *link, uint64_t at, ml_buf *buf, int from, int to)
{
    ml_delivery d = {at, link->next_seq++, buf, from, to};
    size_t i = link->heap_len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!delivery_before(&d, &link->heap[parent]))
            break;
        link->heap[i] = link->heap[parent];
        i = parent;
    }
    link->heap[i] = d;
}

static ml_delivery heap_pop(synack_memlink *link)
{
    ml_delivery top = link->heap[0];
    ml_delivery last = link->heap[--link->heap_len];
    size_t n = link->heap_len, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && delivery_before(&link->heap[child + 1], &link->heap[child]))
            child++;
        if (!delivery_before(&link->heap[child], &last))
            break;
        link->heap[i] = link->heap[child];
        i = child;
    }
    if (n)
        link->heap[i] = last;
    return top;
}

/* ---- ports -------------------------------------------------------------- */

static int port_valid(const synack_memlink *link, int port)
{
    return link && port >= 0 && (uint32_t)port < link->nports;
}

static int port_needs_ring(const synack_impairments *imp)
{
    return imp->queue_limit > 0 && imp->rate_bps > 0;
}

/* Gives @p p impairments @p imp, resizing its waiting ring; frames already
 * waiting stay counted (as many as the new limit holds). */
static int port_set_impairments(synack_memlink *link, ml_port *p, const synack_impairments *imp)
{
    uint64_t *ring = NULL;
    uint32_t cap = 0, count = 0;
    if (port_needs_ring(imp)) {
        cap = imp->queue_limit;
        size_t bytes = (size_t)cap * sizeof(*ring);
        if (bytes / sizeof(*ring) != cap) /* 32-bit size_t */
            return SYNACK_ERR_NOMEM;
        ring = ml_alloc(link, bytes);
        if (!ring)
            return SYNACK_ERR_NOMEM;
        for (; count < p->wcount && count < cap; count++)
            ring[count] = p->waiting[(p->whead + count) % p->wcap];
    }
    ml_free(link, p->waiting);
    p->waiting = ring;
    p->wcap = cap;
    p->whead = 0;
    p->wcount = count;
    p->imp = *imp;
    return 0;
}

int synack_memlink_add_port(synack_memlink *link)
{
    if (!link)
        return SYNACK_ERR_INVAL;
    if (link->nports >= link->cfg.max_ports)
        return SYNACK_ERR_LIMIT;
    ml_port *p = &link->ports[link->nports];
    memset(p, 0, sizeof(*p));
    p->link = link;
    p->index = (int)link->nports;
    int rv = port_set_impairments(link, p, &link->cfg.impairments);
    if (rv < 0)
        return rv;
    return (int)link->nports++;
}

int synack_memlink_set_impairments(synack_memlink *link, int port, const synack_impairments *imp)
{
    if (!port_valid(link, port) || !imp || !impairments_ok(imp))
        return SYNACK_ERR_INVAL;
    return port_set_impairments(link, &link->ports[port], imp);
}

int synack_memlink_bind(synack_memlink *link, int port, synack_stack *stack)
{
    if (!port_valid(link, port))
        return SYNACK_ERR_INVAL;
    link->ports[port].stack = stack;
    return 0;
}

static int port_output(void *user_data, const uint8_t *frame, size_t len, uint64_t now)
{
    ml_port *p = user_data;
    (void)now; /* the stack runs on the link's clock, which is the same */
    return synack_memlink_send(p->link, p->index, frame, len);
}

static void port_echo_reply(void *user_data, synack_ipv4 from, uint16_t id, uint16_t seq,
                            const uint8_t *payload, size_t len, uint64_t now)
{
    ml_port *p = user_data;
    p->user_cb.echo_reply(p->user_data, from, id, seq, payload, len, now);
}

static void port_unreachable(void *user_data, synack_ipv4 from, uint8_t code, const uint8_t *quoted,
                             size_t quoted_len, uint64_t now)
{
    ml_port *p = user_data;
    p->user_cb.unreachable(p->user_data, from, code, quoted, quoted_len, now);
}

static void port_tcp_event(void *user_data, synack_tcp *conn, uint32_t events)
{
    ml_port *p = user_data;
    p->user_cb.tcp_event(p->user_data, conn, events);
}

int synack_memlink_attach(synack_memlink *link, const synack_config *cfg,
                          const synack_callbacks *cb, const synack_mem *mem, void *user_data,
                          synack_stack **out)
{
    if (!link || !out)
        return SYNACK_ERR_INVAL;
    *out = NULL;
    int port = synack_memlink_add_port(link);
    if (port < 0)
        return port;
    ml_port *p = &link->ports[port];
    if (cb)
        p->user_cb = *cb;
    p->user_data = user_data;
    /* The stack has one user_data for all its callbacks and the output
     * needs the port, so the port stands in for the caller and forwards. */
    synack_callbacks own = {
        .output = port_output,
        .echo_reply = p->user_cb.echo_reply ? port_echo_reply : NULL,
        .unreachable = p->user_cb.unreachable ? port_unreachable : NULL,
        .tcp_event = p->user_cb.tcp_event ? port_tcp_event : NULL,
    };
    synack_stack *stack;
    int rv = synack_stack_new(cfg, &own, mem, p, link->now, &stack);
    if (rv < 0) {
        ml_free(link, p->waiting);
        link->nports--;
        return rv;
    }
    p->stack = stack;
    *out = stack;
    return 0;
}

/* ---- the link ----------------------------------------------------------- */

int synack_memlink_new(const synack_memlink_config *cfg, const synack_mem *mem,
                       synack_memlink **out)
{
    if (!out)
        return SYNACK_ERR_INVAL;
    *out = NULL;
    synack_memlink_config defaults;
    if (!cfg) {
        synack_memlink_config_default(&defaults);
        cfg = &defaults;
    }
    if (cfg->max_ports == 0 || cfg->max_ports > ML_MAX_PORTS_LIMIT || cfg->max_frame == 0 ||
        cfg->max_frame > ML_MAX_FRAME_LIMIT || !impairments_ok(&cfg->impairments))
        return SYNACK_ERR_INVAL;
    if (!mem)
        mem = synack_mem_default();
    synack_memlink *link = mem->calloc(1, sizeof(*link), mem->user_data);
    if (!link)
        return SYNACK_ERR_NOMEM;
    link->mem = *mem;
    link->cfg = *cfg;
    link->now = cfg->start_ns;
    sk_prng_seed(&link->prng, cfg->seed);
    link->buf_stride = (offsetof(ml_buf, data) + cfg->max_frame + 15) & ~(size_t)15;
    link->ports = mem->calloc(cfg->max_ports, sizeof(ml_port), mem->user_data);
    if (!link->ports) {
        mem->free(link, mem->user_data);
        return SYNACK_ERR_NOMEM;
    }
    *out = link;
    return 0;
}

void synack_memlink_del(synack_memlink *link)
{
    if (!link)
        return;
    while (link->chunks) {
        ml_chunk *next = link->chunks->next;
        ml_free(link, link->chunks);
        link->chunks = next;
    }
    for (uint32_t i = 0; i < link->nports; i++)
        ml_free(link, link->ports[i].waiting);
    ml_free(link, link->ports);
    ml_free(link, link->heap);
    synack_mem mem = link->mem;
    mem.free(link, mem.user_data);
}

uint64_t synack_memlink_now(const synack_memlink *link)
{
    return link->now;
}

void synack_memlink_set_tap(synack_memlink *link, synack_memlink_tap_fn fn, void *user_data)
{
    link->tap = fn;
    link->tap_user = user_data;
}

const synack_memlink_stats *synack_memlink_stats_get(const synack_memlink *link)
{
    return &link->stats;
}

static void tap(synack_memlink *link, synack_memlink_event ev, int from, int to,
                const uint8_t *frame, size_t len)
{
    if (link->tap)
        link->tap(link->tap_user, ev, from, to, frame, len, link->now);
}

/* Drops the oldest waiting frames that have started on the wire by now,
 * and says whether one more may wait (drop-tail beyond queue_limit). */
static int wire_accepts(ml_port *p, uint64_t now)
{
    if (!p->waiting)
        return 1;
    while (p->wcount > 0 && p->waiting[p->whead] <= now) {
        p->whead = (p->whead + 1) % p->wcap;
        p->wcount--;
    }
    return p->wcount < p->wcap;
}

/* Serialises @p len bytes on the port's wire, one frame after another at
 * rate_bps, and returns when the last bit has left. */
static uint64_t serialise(ml_port *p, size_t len, uint64_t now)
{
    if (p->imp.rate_bps == 0)
        return now;
    uint64_t start = p->busy_until > now ? p->busy_until : now;
    uint64_t bits_ns = (uint64_t)len * 8u * 1000000000u; /* len <= 1 MiB: no overflow */
    uint64_t tx = bits_ns / p->imp.rate_bps + (bits_ns % p->imp.rate_bps != 0);
    p->busy_until = sat_add(start, tx);
    if (p->waiting && start > now) {
        p->waiting[(p->whead + p->wcount) % p->wcap] = start;
        p->wcount++;
    }
    return p->busy_until;
}

static int in_blackout(const synack_impairments *imp, uint64_t t)
{
    return t >= imp->blackout_start_ns && t < imp->blackout_end_ns;
}

static uint64_t reorder_hold(const synack_impairments *imp)
{
    if (imp->reorder_ns)
        return imp->reorder_ns;
    return sat_add(sat_add(imp->delay_ns, imp->delay_ns), 1000000u);
}

/* One frame towards one receiving port, through the per-delivery
 * impairments in the order memlink.h states. The draws happen in a fixed
 * order so that a seed always gives the same run. */
static void queue_delivery(synack_memlink *link, const ml_port *from, int to, const uint8_t *frame,
                           size_t len, uint64_t leave)
{
    const synack_impairments *imp = &from->imp;
    if (sk_prng_chance(&link->prng, imp->loss)) {
        link->stats.lost++;
        tap(link, SYNACK_MEMLINK_LOST, from->index, to, frame, len);
        return;
    }
    if (in_blackout(imp, leave)) {
        link->stats.lost++;
        link->stats.blackout_drops++;
        tap(link, SYNACK_MEMLINK_LOST, from->index, to, frame, len);
        return;
    }
    ml_buf *b = buf_get(link);
    if (len)
        memcpy(b->data, frame, len);
    b->len = len;
    if (len && sk_prng_chance(&link->prng, imp->corrupt)) {
        uint64_t bit = sk_prng_below(&link->prng, (uint64_t)len * 8u);
        b->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        link->stats.corrupted++;
    }
    uint64_t at = sat_add(leave, imp->delay_ns);
    if (imp->jitter_ns)
        at = sat_add(at, sk_prng_below(&link->prng, sat_add(imp->jitter_ns, 1)));
    if (sk_prng_chance(&link->prng, imp->reorder)) {
        at = sat_add(at, reorder_hold(imp));
        link->stats.reordered++;
    }
    heap_push(link, at, b, from->index, to);
    if (sk_prng_chance(&link->prng, imp->duplicate)) {
        ml_buf *copy = buf_get(link);
        memcpy(copy->data, b->data, len);
        copy->len = len;
        heap_push(link, at, copy, from->index, to);
        link->stats.duplicated++;
    }
}

int synack_memlink_send(synack_memlink *link, int port, const uint8_t *frame, size_t len)
{
    if (!port_valid(link, port) || (!frame && len) || len > link->cfg.max_frame)
        return SYNACK_ERR_INVAL;
    /* Room for every delivery and its duplicate first, so that a failed
     * allocation leaves the link as it was. */
    size_t most = 2 * (size_t)(link->nports - 1);
    int rv = bufs_reserve(link, most);
    if (rv == 0)
        rv = heap_reserve(link, most);
    if (rv < 0)
        return rv;

    ml_port *p = &link->ports[port];
    link->stats.sent++;
    tap(link, SYNACK_MEMLINK_SENT, port, -1, frame, len);
    if (!wire_accepts(p, link->now)) {
        link->stats.lost++;
        link->stats.queue_drops++;
        tap(link, SYNACK_MEMLINK_LOST, port, -1, frame, len);
        return 0;
    }
    uint64_t leave = serialise(p, len, link->now);
    for (uint32_t to = 0; to < link->nports; to++)
        if (to != (uint32_t)port)
            queue_delivery(link, p, (int)to, frame, len, leave);
    return 0;
}

/* ---- the loop ----------------------------------------------------------- */

static uint64_t next_timeout(const synack_memlink *link)
{
    uint64_t t = UINT64_MAX;
    for (uint32_t i = 0; i < link->nports; i++) {
        if (link->ports[i].stack) {
            uint64_t st = synack_stack_next_timeout(link->ports[i].stack);
            if (st < t)
                t = st;
        }
    }
    return t;
}

uint64_t synack_memlink_next_event(const synack_memlink *link)
{
    uint64_t t = next_timeout(link);
    if (link->heap_len && link->heap[0].at < t)
        t = link->heap[0].at;
    return t;
}

static void deliver(synack_memlink *link, const ml_delivery *d)
{
    link->stats.delivered++;
    tap(link, SYNACK_MEMLINK_DELIVERED, d->from, d->to, d->buf->data, d->buf->len);
    synack_stack *stack = link->ports[d->to].stack;
    if (stack)
        synack_stack_input(stack, d->buf->data, d->buf->len, link->now);
    buf_put(link, d->buf);
}

int synack_memlink_step(synack_memlink *link)
{
    uint64_t t = synack_memlink_next_event(link);
    if (t == UINT64_MAX)
        return 0;
    if (t > link->now)
        link->now = t;
    /* Deliveries queued during this step (zero delay) carry a seq at or
     * past the fence: they wait for the next step, so a step always ends. */
    uint64_t fence = link->next_seq;
    while (link->heap_len && link->heap[0].at <= link->now && link->heap[0].seq < fence) {
        ml_delivery d = heap_pop(link);
        deliver(link, &d);
    }
    for (uint32_t i = 0; i < link->nports; i++) {
        synack_stack *stack = link->ports[i].stack;
        if (stack && synack_stack_next_timeout(stack) <= link->now)
            synack_stack_handle_timeout(stack, link->now);
    }
    return 1;
}

uint64_t synack_memlink_run(synack_memlink *link, uint64_t until_ns, bool (*done)(void *user_data),
                            void *user_data)
{
    uint64_t steps = 0;
    for (;;) {
        uint64_t t = synack_memlink_next_event(link);
        if (t == UINT64_MAX || (t > link->now ? t : link->now) > until_ns)
            break;
        if (!synack_memlink_step(link))
            break;
        steps++;
        if (done && done(user_data))
            return steps;
    }
    if (until_ns != UINT64_MAX && until_ns > link->now)
        link->now = until_ns;
    return steps;
}
