#include "arp_cache.h"

#include <string.h>

/* murmur3's finaliser over the keyed address: every input bit reaches every
 * slot bit, so addresses that differ only in the host part still spread. */
static uint32_t arp_hash(const sk_arp_cache *c, synack_ipv4 ip)
{
    uint32_t h = ip ^ c->key;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h & (c->nslots - 1);
}

static uint32_t entry_index(const sk_arp_cache *c, const sk_arp_entry *e)
{
    return (uint32_t)(e - c->entries);
}

int sk_arp_cache_init(sk_arp_cache *c, sk_ctx *ctx, uint32_t size, uint32_t key, sk_timer_fn fn,
                      void *owner)
{
    memset(c, 0, sizeof(*c));
    if (size == 0 || size > SK_ARP_CACHE_MAX)
        return SYNACK_ERR_INVAL;
    uint32_t nslots = 2;
    while (nslots < 2 * size)
        nslots <<= 1;
    c->entries = sk_calloc(ctx, size, sizeof(*c->entries));
    if (!c->entries)
        return SYNACK_ERR_NOMEM;
    c->slots = sk_calloc(ctx, nslots, sizeof(*c->slots));
    if (!c->slots) {
        sk_free(ctx, c->entries);
        c->entries = NULL;
        return SYNACK_ERR_NOMEM;
    }
    c->size = size;
    c->nslots = nslots;
    c->key = key;
    c->owner = owner;
    c->lru_head = c->lru_tail = SK_ARP_NONE;
    for (uint32_t i = 0; i < size; i++) {
        sk_arp_entry *e = &c->entries[i];
        sk_timer_init(&e->timer, fn);
        e->cache = c;
        e->lru_prev = SK_ARP_NONE;
        e->lru_next = i + 1 < size ? i + 1 : SK_ARP_NONE;
    }
    c->free_head = 0;
    return 0;
}

void sk_arp_cache_free(sk_arp_cache *c, sk_ctx *ctx)
{
    sk_free(ctx, c->slots);
    sk_free(ctx, c->entries);
    memset(c, 0, sizeof(*c));
}

/* Slot holding @p ip, or the empty slot where it would go. */
static uint32_t probe(const sk_arp_cache *c, synack_ipv4 ip)
{
    uint32_t mask = c->nslots - 1;
    uint32_t s = arp_hash(c, ip);
    while (c->slots[s] != 0 && c->entries[c->slots[s] - 1].ip != ip)
        s = (s + 1) & mask;
    return s;
}

sk_arp_entry *sk_arp_cache_find(const sk_arp_cache *c, synack_ipv4 ip)
{
    if (!c->entries)
        return NULL;
    uint32_t s = probe(c, ip);
    return c->slots[s] ? &c->entries[c->slots[s] - 1] : NULL;
}

static void lru_unlink(sk_arp_cache *c, sk_arp_entry *e)
{
    if (e->lru_prev != SK_ARP_NONE)
        c->entries[e->lru_prev].lru_next = e->lru_next;
    else
        c->lru_head = e->lru_next;
    if (e->lru_next != SK_ARP_NONE)
        c->entries[e->lru_next].lru_prev = e->lru_prev;
    else
        c->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = SK_ARP_NONE;
}

static void lru_push_head(sk_arp_cache *c, sk_arp_entry *e)
{
    uint32_t i = entry_index(c, e);
    e->lru_prev = SK_ARP_NONE;
    e->lru_next = c->lru_head;
    if (c->lru_head != SK_ARP_NONE)
        c->entries[c->lru_head].lru_prev = i;
    else
        c->lru_tail = i;
    c->lru_head = i;
}

sk_arp_entry *sk_arp_cache_add(sk_arp_cache *c, synack_ipv4 ip)
{
    if (c->free_head == SK_ARP_NONE)
        return NULL;
    uint32_t i = c->free_head;
    sk_arp_entry *e = &c->entries[i];
    c->free_head = e->lru_next;
    e->ip = ip;
    memset(e->mac, 0, sizeof(e->mac));
    e->state = SK_ARP_INCOMPLETE;
    e->requests = 0;
    e->qlen = 0;
    e->qhead = e->qtail = NULL;
    c->slots[probe(c, ip)] = i + 1;
    c->used++;
    lru_push_head(c, e);
    return e;
}

/* Backward-shift deletion (Knuth 6.4 algorithm R): no tombstones, so probe
 * lengths never degrade however long the stack runs. */
static void slot_delete(sk_arp_cache *c, uint32_t hole)
{
    uint32_t mask = c->nslots - 1;
    uint32_t s = hole;
    for (;;) {
        s = (s + 1) & mask;
        if (c->slots[s] == 0)
            break;
        uint32_t home = arp_hash(c, c->entries[c->slots[s] - 1].ip);
        /* The entry at s may move into the hole only if its home slot is not
         * cyclically within (hole, s]. */
        bool home_between = hole <= s ? (home > hole && home <= s) : (home > hole || home <= s);
        if (!home_between) {
            c->slots[hole] = c->slots[s];
            hole = s;
        }
    }
    c->slots[hole] = 0;
}

void sk_arp_cache_remove(sk_arp_cache *c, sk_arp_entry *e)
{
    if (e->state == SK_ARP_FREE)
        return;
    slot_delete(c, probe(c, e->ip));
    lru_unlink(c, e);
    e->state = SK_ARP_FREE;
    e->ip = 0;
    e->qhead = e->qtail = NULL;
    e->qlen = 0;
    e->lru_next = c->free_head;
    c->free_head = entry_index(c, e);
    c->used--;
}

void sk_arp_cache_touch(sk_arp_cache *c, sk_arp_entry *e)
{
    if (c->lru_head == entry_index(c, e))
        return;
    lru_unlink(c, e);
    lru_push_head(c, e);
}

sk_arp_entry *sk_arp_cache_victim(const sk_arp_cache *c)
{
    sk_arp_entry *idle_pending = NULL;
    for (uint32_t i = c->lru_tail; i != SK_ARP_NONE; i = c->entries[i].lru_prev) {
        sk_arp_entry *e = &c->entries[i];
        if (e->state == SK_ARP_RESOLVED)
            return e;
        if (e->qlen == 0 && !idle_pending)
            idle_pending = e;
    }
    return idle_pending;
}
