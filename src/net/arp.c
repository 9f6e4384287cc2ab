/* ARP (RFC 826) with the host requirements of RFC 1122 2.3.2: answering
 * requests for our address, learning senders, resolving next hops with a
 * bounded retry, and holding datagrams while they resolve. */
#include "net_priv.h"

#include <stddef.h>
#include <string.h>

#include "wire/arp.h"

static void arp_timer_fired(sk_timer *t, uint64_t now);

int sk_net_arp_init(sk_net *net)
{
    const synack_config *cfg = net->cfg;
    uint32_t key = (uint32_t)sk_prng_next(&net->ctx->prng);
    int rv = sk_arp_cache_init(&net->arp, net->ctx, cfg->arp_cache_size, key, arp_timer_fired, net);
    if (rv < 0)
        return rv;
    return sk_pool_init(&net->pkts, net->ctx, cfg->pkt_pool_size,
                        sizeof(sk_arp_qbuf) + SK_ETH_HLEN + (size_t)cfg->mtu);
}

static void queue_drop_all(sk_net *net, sk_arp_entry *e, uint64_t *counter)
{
    while (e->qhead) {
        sk_arp_qbuf *q = e->qhead;
        e->qhead = q->next;
        if (counter)
            (*counter)++;
        sk_pool_put(&net->pkts, q);
    }
    e->qtail = NULL;
    e->qlen = 0;
}

static void entry_release(sk_net *net, sk_arp_entry *e, uint64_t *drop_counter)
{
    sk_wheel_cancel(net->wheel, &e->timer);
    queue_drop_all(net, e, drop_counter);
    sk_arp_cache_remove(&net->arp, e);
}

void sk_net_arp_fini(sk_net *net)
{
    sk_arp_cache *c = &net->arp;
    for (uint32_t i = 0; c->entries && i < c->size; i++)
        if (c->entries[i].state != SK_ARP_FREE)
            entry_release(net, &c->entries[i], NULL);
    sk_arp_cache_free(c, net->ctx);
    sk_pool_free(&net->pkts, net->ctx);
}

/* ---- sending ARP packets ---- */

static void arp_send(sk_net *net, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
                     synack_ipv4 tpa)
{
    sk_arp a;
    a.op = op;
    memcpy(a.sha, net->cfg->mac, SK_ETH_ALEN);
    a.spa = net->addr;
    memcpy(a.tha, tha, SK_ETH_ALEN);
    a.tpa = tpa;
    sk_eth_hdr eth;
    memcpy(eth.dst, eth_dst, SK_ETH_ALEN);
    memcpy(eth.src, net->cfg->mac, SK_ETH_ALEN);
    eth.type = SK_ETHERTYPE_ARP;

    /* Not net->tx: a datagram being sent from there may be what needs
     * resolving. */
    uint8_t *f = net->arp_tx;
    sk_eth_emit(f, SK_ETH_HLEN, &eth);
    sk_arp_emit(f + SK_ETH_HLEN, SK_ARP_LEN, &a);
    /* RFC 894 minimum frame: 14 + 28 = 42 bytes, padded with zeros to 60. */
    memset(f + SK_ETH_HLEN + SK_ARP_LEN, 0, SK_ETH_MIN_FRAME - SK_ETH_HLEN - SK_ARP_LEN);
    sk_output(net->ctx, f, SK_ETH_MIN_FRAME);
}

static void send_request(sk_net *net, sk_arp_entry *e)
{
    static const uint8_t unknown[SK_ETH_ALEN] = {0};
    /* RFC 826: the target hardware address is what we ask for; RFC 5227
     * 2.1.1 says to send it as zeros. */
    arp_send(net, SK_ARP_OP_REQUEST, sk_eth_broadcast, unknown, e->ip);
    e->requests++;
    net->ctx->stats.arp_requests_out++;
    /* RFC 1122 2.3.2.1: at most one request per second per destination. */
    sk_wheel_arm(net->wheel, &e->timer, net->ctx->now + net->cfg->arp_retry_ns);
}

/* ---- the cache, seen from the protocol ---- */

/* A slot for @p ip, evicting when full: the victim is chosen by
 * sk_arp_cache_victim, so an address with datagrams waiting keeps its slot. */
static sk_arp_entry *entry_new(sk_net *net, synack_ipv4 ip)
{
    sk_arp_entry *e = sk_arp_cache_add(&net->arp, ip);
    if (e)
        return e;
    sk_arp_entry *victim = sk_arp_cache_victim(&net->arp);
    if (!victim)
        return NULL;
    entry_release(net, victim, NULL);
    net->ctx->stats.arp_cache_evictions++;
    return sk_arp_cache_add(&net->arp, ip);
}

static void flush_queue(sk_net *net, sk_arp_entry *e)
{
    /* Take the queue first: the output callback cannot re-enter, but keep
     * the entry consistent while frames leave anyway. */
    sk_arp_qbuf *q = e->qhead;
    e->qhead = e->qtail = NULL;
    e->qlen = 0;
    while (q) {
        sk_arp_qbuf *next = q->next;
        sk_net_link_send_ipv4(net, sk_arp_qbuf_data(q), q->len - SK_ETH_HLEN, e->mac);
        sk_pool_put(&net->pkts, q);
        q = next;
    }
}

/* Records @p mac for @p e and (re)starts its lifetime: RFC 1122 2.3.2.1
 * requires entries to time out so a changed mapping is eventually noticed. */
static void entry_set_resolved(sk_net *net, sk_arp_entry *e, const uint8_t *mac)
{
    memcpy(e->mac, mac, SK_ETH_ALEN);
    e->state = SK_ARP_RESOLVED;
    e->requests = 0;
    sk_wheel_arm(net->wheel, &e->timer, net->ctx->now + net->cfg->arp_ttl_ns);
    flush_queue(net, e);
}

static void arp_timer_fired(sk_timer *t, uint64_t now)
{
    (void)now;
    sk_arp_entry *e = (sk_arp_entry *)(void *)((char *)t - offsetof(sk_arp_entry, timer));
    sk_net *net = e->cache->owner;
    if (e->state == SK_ARP_RESOLVED) {
        /* Expired: forget it; the next datagram starts a fresh resolution. */
        sk_arp_cache_remove(&net->arp, e);
        return;
    }
    if (e->requests < net->cfg->arp_max_requests) {
        send_request(net, e);
        return;
    }
    /* RFC 1122 2.3.2.2: give up, discarding what waited. */
    net->ctx->stats.arp_resolve_failed++;
    entry_release(net, e, &net->ctx->stats.arp_drop_unresolved);
}

/* ---- input ---- */

static bool sender_acceptable(const sk_net *net, const sk_arp *a)
{
    /* A sender hardware address must be one station; a sender protocol
     * address must be one host other than us (0 is an RFC 5227 probe). */
    if (sk_eth_is_multicast(a->sha))
        return false;
    return a->spa != net->addr && sk_net_is_unicast_host(net, a->spa);
}

int sk_net_arp_input(sk_net *net, const uint8_t *p, size_t len)
{
    net->ctx->stats.arp_in++;
    sk_arp a;
    if (sk_arp_parse(p, len, &a) < 0 || sk_eth_is_multicast(a.sha))
        return SK_DROP(net->ctx, arp_drop_malformed, SYNACK_ERR_MALFORMED);

    bool for_us = a.tpa == net->addr;
    bool learnable = sender_acceptable(net, &a);
    /* RFC 826 packet reception: if the sender is in the table, update it
     * (merge) whoever the target is; this also takes gratuitous ARP
     * (spa == tpa) for a host we know. */
    sk_arp_entry *e = learnable ? sk_arp_cache_find(&net->arp, a.spa) : NULL;
    bool merged = e != NULL;
    if (!for_us) {
        if (merged) {
            entry_set_resolved(net, e, a.sha);
            return 0;
        }
        return SK_DROP(net->ctx, arp_drop_not_ours, SYNACK_ERR_NOTFOUND);
    }
    /* RFC 826: we are the target, so add the sender if it was not merged. */
    if (learnable) {
        if (!e)
            e = entry_new(net, a.spa);
        if (e)
            entry_set_resolved(net, e, a.sha);
    }
    if (a.op == SK_ARP_OP_REQUEST) {
        /* RFC 826: swap, put in our address, reply to the asker directly. */
        arp_send(net, SK_ARP_OP_REPLY, a.sha, a.sha, a.spa);
        net->ctx->stats.arp_replies_out++;
    }
    return 0;
}

/* ---- output ---- */

static int enqueue(sk_net *net, sk_arp_entry *e, const uint8_t *frame, size_t ip_len)
{
    if (e->qlen >= net->cfg->arp_queue_len) {
        net->ctx->stats.arp_queue_drops++;
        return SYNACK_ERR_NOBUFS;
    }
    sk_arp_qbuf *q = sk_pool_get(&net->pkts);
    if (!q) {
        net->ctx->stats.pool_exhausted++;
        return SYNACK_ERR_NOBUFS;
    }
    q->next = NULL;
    q->len = SK_ETH_HLEN + ip_len;
    memcpy(sk_arp_qbuf_data(q), frame, q->len);
    if (e->qtail)
        e->qtail->next = q;
    else
        e->qhead = q;
    e->qtail = q;
    e->qlen++;
    return 0;
}

int sk_net_arp_output(sk_net *net, synack_ipv4 next_hop, uint8_t *frame, size_t ip_len)
{
    sk_arp_entry *e = sk_arp_cache_find(&net->arp, next_hop);
    if (e && e->state == SK_ARP_RESOLVED) {
        sk_arp_cache_touch(&net->arp, e);
        sk_net_link_send_ipv4(net, frame, ip_len, e->mac);
        return 0;
    }
    if (!e) {
        e = entry_new(net, next_hop);
        if (!e) {
            /* Every slot has datagrams waiting: refuse rather than drop
             * theirs (Linux does the same on neighbour table overflow). */
            net->ctx->stats.arp_cache_full++;
            return SYNACK_ERR_NOBUFS;
        }
        /* RFC 1122 2.3.2.2: save the datagram, then ask. */
        int rv = enqueue(net, e, frame, ip_len);
        send_request(net, e);
        return rv;
    }
    sk_arp_cache_touch(&net->arp, e);
    return enqueue(net, e, frame, ip_len);
}

/* RFC 1122 2.3.2.1 (4) "Higher-layer advice": a transport that sees its
 * segments go unanswered says so, and the entry goes, so that the next
 * datagram asks again. Without it a wrong mapping (a corrupted or forged
 * reply; ARP has no checksum) would hold until arp_ttl_ns. Entries still
 * resolving are left alone: their requests are already going out. */
void sk_net_arp_forget(sk_net *net, synack_ipv4 ip)
{
    sk_arp_entry *e = sk_arp_cache_find(&net->arp, ip);
    if (!e || e->state != SK_ARP_RESOLVED)
        return;
    net->ctx->stats.arp_negative_advice++;
    entry_release(net, e, NULL);
}
