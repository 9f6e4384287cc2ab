/* The ARP cache (RFC 826 translation table, RFC 1122 2.3.2): a fixed array
 * of entries sized at init, found through an open-addressed hash on the IPv4
 * address and kept in least-recently-used order for eviction. It knows
 * nothing of timers, queues' contents or the wire: the ARP protocol code
 * (arp.c) owns those and asks the cache only for slots and victims. */
#ifndef SK_NET_ARP_CACHE_H
#define SK_NET_ARP_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/timer.h"
#include "wire/ethernet.h"

/* Hard ceiling on arp_cache_size: keeps the hash table size in 32 bits and
 * the allocation sane for any config. */
#define SK_ARP_CACHE_MAX (1u << 24)

typedef enum sk_arp_state {
    SK_ARP_FREE = 0,
    SK_ARP_INCOMPLETE, /* request sent, waiting for a reply; may hold datagrams */
    SK_ARP_RESOLVED,
} sk_arp_state;

/* A datagram waiting for resolution: this header, then the frame (link
 * header space included) in the same pool buffer. */
typedef struct sk_arp_qbuf {
    struct sk_arp_qbuf *next;
    size_t len; /* bytes of frame after this header */
} sk_arp_qbuf;

static inline uint8_t *sk_arp_qbuf_data(sk_arp_qbuf *q)
{
    return (uint8_t *)(q + 1);
}

struct sk_arp_cache;

typedef struct sk_arp_entry {
    sk_timer timer; /* INCOMPLETE: next retry; RESOLVED: expiry */
    struct sk_arp_cache *cache;
    synack_ipv4 ip;
    uint8_t mac[SK_ETH_ALEN];
    uint8_t state;     /* sk_arp_state */
    uint32_t requests; /* requests sent for the current resolution */
    uint32_t lru_prev, lru_next;
    uint32_t qlen;
    sk_arp_qbuf *qhead, *qtail;
} sk_arp_entry;

typedef struct sk_arp_cache {
    sk_arp_entry *entries; /* size of them */
    uint32_t *slots;       /* hash slots: entry index + 1, 0 = empty */
    uint32_t size;         /* entries */
    uint32_t used;         /* entries not FREE */
    uint32_t nslots;       /* power of two, >= 2 * size */
    uint32_t key;          /* hash key, so peers cannot choose colliding addresses */
    uint32_t free_head;    /* free entries, linked through lru_next */
    uint32_t lru_head;     /* most recently used */
    uint32_t lru_tail;     /* least recently used */
    void *owner;           /* the sk_net, for timer callbacks */
} sk_arp_cache;

#define SK_ARP_NONE UINT32_MAX

/* Allocates @p size entries (each timer initialised with @p fn) and the hash.
 * @return 0, SYNACK_ERR_INVAL (size 0 or > SK_ARP_CACHE_MAX), SYNACK_ERR_NOMEM. */
int sk_arp_cache_init(sk_arp_cache *c, sk_ctx *ctx, uint32_t size, uint32_t key, sk_timer_fn fn,
                      void *owner);
void sk_arp_cache_free(sk_arp_cache *c, sk_ctx *ctx);

sk_arp_entry *sk_arp_cache_find(const sk_arp_cache *c, synack_ipv4 ip);
/* Takes a free entry for @p ip (not already present) in state INCOMPLETE,
 * most recently used. NULL when the cache is full: evict first. */
sk_arp_entry *sk_arp_cache_add(sk_arp_cache *c, synack_ipv4 ip);
/* Returns @p e to the free list. Its timer must be disarmed and its queue
 * empty (the caller's business). */
void sk_arp_cache_remove(sk_arp_cache *c, sk_arp_entry *e);
/* Marks @p e most recently used. */
void sk_arp_cache_touch(sk_arp_cache *c, sk_arp_entry *e);
/* The entry to evict when full: the least recently used one holding no
 * queued datagrams, preferring RESOLVED ones; NULL if every entry has
 * datagrams waiting (those are never evicted). */
sk_arp_entry *sk_arp_cache_victim(const sk_arp_cache *c);

#endif
