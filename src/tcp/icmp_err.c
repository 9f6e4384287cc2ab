/* ICMP errors about our TCP segments (RFC 1122 4.2.3.9, RFC 5461, RFC 5927,
 * RFC 1191).
 *
 * What we do with each, and why:
 *   - Every message must quote a segment of a connection we have, with a
 *     sequence number in SND.UNA..SND.NXT (RFC 5927 4.1): otherwise it
 *     cannot be about data in flight and is ignored. An attacker must then
 *     guess both the 4-tuple and a number inside the send window.
 *   - "Fragmentation needed" (code 4) is path MTU discovery (RFC 1191): we
 *     send with DF, so a router that cannot forward tells us the next-hop
 *     MTU and the send MSS comes down to fit it.
 *   - Port and protocol unreachable (codes 2, 3) are hard errors (RFC 1122
 *     4.2.3.9). In SYN-SENT the connection is refused at once, as Linux and
 *     the BSDs do; in a synchronized state they are treated as soft, as
 *     RFC 5461 4 recommends, since a connection that has worked is better
 *     not torn down by one unauthenticated message.
 *   - Every other code is a soft error (RFC 1122 4.2.3.9: "MUST NOT abort"):
 *     it is remembered, and if the connection later times out the user is
 *     told "host unreachable" rather than "timed out". */
#include "tcp/tcp.h"
#include "wire/bytes.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"
#include "wire/seq.h"

/* RFC 1191 3 allows estimates down to 68 bytes; we go no lower than the
 * 576 bytes every IPv4 host must accept (RFC 791), so that a forged
 * message cannot make us send 28-byte segments. A real path below 576 with
 * DF set would black-hole; none is known to exist. */
#define MIN_PMTU 576u

static bool is_hard(uint8_t code)
{
    return code == SK_ICMP_UNREACH_PROTOCOL || code == SK_ICMP_UNREACH_PORT;
}

/* RFC 1191 6.3: lower the send MSS to what the next hop carries. Segments
 * already sent are retransmitted at the new size by the retransmission
 * timer (go-back-N resegments from SND.UNA). */
static void lower_mss(sk_tcb *tcb, uint16_t mtu)
{
    synack_stats *st = &tcb->tcp->ctx->stats;
    if (mtu < MIN_PMTU)
        mtu = MIN_PMTU;
    uint16_t mss = (uint16_t)(mtu - SK_IPV4_HLEN - SK_TCP_HLEN);
    if (mss >= tcb->snd_mss)
        return;
    tcb->snd_mss = mss;
    st->tcp_pmtu_lowered++;
}

void sk_tcp_icmp_error(void *arg, synack_ipv4 from, uint8_t type, uint8_t code, uint16_t info,
                       const uint8_t *quoted, size_t len)
{
    (void)from;
    sk_tcp *tcp = arg;
    synack_stats *st = &tcp->ctx->stats;
    st->tcp_icmp_in++;
    if (type != SK_ICMP_DEST_UNREACH) {
        st->tcp_icmp_ignored++;
        return;
    }
    /* The net layer checked the quoted IPv4 header and 8 bytes after it:
     * the ports and the sequence number (RFC 792). The datagram was ours,
     * so its source is our address and its destination the peer's. */
    size_t hlen = (size_t)(quoted[0] & 0xf) * 4;
    if (len < hlen + 8) {
        st->tcp_icmp_ignored++;
        return;
    }
    const uint8_t *th = quoted + hlen;
    sk_conn *c = sk_tcp_lookup(tcp, sk_get32(quoted + 12), sk_get16(th), sk_get32(quoted + 16),
                               sk_get16(th + 2));
    if (!c || c->kind != SK_CONN_TCB) {
        st->tcp_icmp_ignored++;
        return;
    }
    sk_tcb *tcb = (sk_tcb *)c;
    uint32_t seq = sk_get32(th + 4);
    /* RFC 5927 4.1. In SYN-SENT SND.NXT is ISS + 1, so only the SYN fits. */
    if (!sk_seq_in(seq, tcb->snd_una, tcb->snd_nxt)) {
        st->tcp_icmp_ignored++;
        return;
    }
    if (code == SK_ICMP_UNREACH_NEEDFRAG) {
        lower_mss(tcb, info);
        return;
    }
    if (tcb->state == SYNACK_TCP_SYN_SENT && is_hard(code)) {
        st->tcp_icmp_aborted++;
        st->tcp_conn_refused++;
        sk_tcb_close(tcb, SYNACK_ERR_REFUSED);
        return;
    }
    tcb->flags |= SK_TCB_SOFT_ERR;
}
