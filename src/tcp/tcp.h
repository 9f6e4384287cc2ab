/* The TCP layer of one stack (RFC 9293): connection table, state machine,
 * output, timers. The public functions of include/synack/tcp.h that take
 * a handle are in api.c; those that take a stack go through stack.c. */
#ifndef SK_TCP_TCP_H
#define SK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/ctx.h"
#include "core/timer.h"
#include "net/net.h"
#include "tcp/tcb.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

typedef struct sk_tcp {
    sk_ctx *ctx;
    const synack_config *cfg;
    sk_wheel *wheel;
    sk_net *net;
    uint8_t key[16]; /* keyed hash for the table, ISNs and ports */

    sk_conn **buckets; /* chained hash on the 4-tuple; TCBs and TIME-WAIT alike */
    uint32_t bucket_mask;
    sk_tcb **listeners; /* cfg->tcp_max_listeners slots */
    uint32_t nlisteners;
    uint32_t nconns; /* TCBs (not listeners, not compact TIME-WAIT) */
    uint32_t ntw;
    uint32_t next_id;
    uint32_t port_counter; /* RFC 6056 algorithm 3 */
    uint16_t mss_local;    /* what we announce */

    uint8_t *txbuf; /* one frame under construction (SK_ETH_HLEN + mtu) */

    uint64_t chack_second; /* RFC 5961 7: the second being counted */
    uint32_t chack_sent;

    sk_tcb *ev_head, *ev_tail; /* connections with undelivered events */
    sk_tcb *dead;              /* freed after event delivery */
    sk_tcb *all;               /* every TCB and listener, whatever its state */
    bool delivering;
} sk_tcp;

/* A parsed inbound segment. */
typedef struct sk_seg {
    const sk_ipv4_hdr *ip;
    sk_tcp_hdr h;
    sk_tcp_opts o;
    const uint8_t *data;
    uint32_t len;  /* payload bytes */
    uint32_t slen; /* SEG.LEN: payload + SYN + FIN */
    uint32_t lcut; /* text bytes trimmed before RCV.NXT (received already) */
    uint32_t wnd;  /* SEG.WND scaled (RFC 7323 2.3); set by sk_opts_input (opts.h) */
} sk_seg;

int sk_tcp_new(sk_ctx *ctx, const synack_config *cfg, sk_wheel *wheel, sk_net *net, sk_tcp **out);
void sk_tcp_del(sk_tcp *tcp);
/* Registered with the net layer (sk_proto_input_fn). */
int sk_tcp_input(void *tcp, const sk_ipv4_hdr *ip, const uint8_t *seg, size_t len);
/* icmp_err.c: an ICMP error quoting one of our segments (sk_proto_error_fn). */
void sk_tcp_icmp_error(void *tcp, synack_ipv4 from, uint8_t type, uint8_t code, uint16_t info,
                       const uint8_t *quoted, size_t len);
/* Delivers queued readiness events and frees dead TCBs; the stack calls it
 * before every entry point returns. */
void sk_tcp_flush_events(sk_tcp *tcp);

int sk_tcp_listen(sk_tcp *tcp, synack_ipv4 addr, uint16_t port, int backlog, synack_tcp **out);
int sk_tcp_connect(sk_tcp *tcp, synack_ipv4 dst, uint16_t port, uint16_t sport, synack_tcp **out);
uint32_t sk_tcp_count(const sk_tcp *tcp);

/* ---- shared between the tcp/ files ---- */
/* table.c */
sk_conn *sk_tcp_lookup(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                       uint16_t rport);
void sk_tcp_table_insert(sk_tcp *tcp, sk_conn *c);
void sk_tcp_table_remove(sk_tcp *tcp, sk_conn *c);
sk_tcb *sk_tcp_find_listener(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport);
int sk_tcp_pick_port(sk_tcp *tcp, synack_ipv4 laddr, synack_ipv4 raddr, uint16_t rport,
                     uint16_t *out);
uint32_t sk_tcp_isn(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                    uint16_t rport);

/* conn.c: lifecycle */
sk_tcb *sk_tcb_alloc(sk_tcp *tcp);
void sk_tcb_set_state(sk_tcb *tcb, synack_tcp_state st);
void sk_tcb_raise(sk_tcb *tcb, uint32_t events);
/* Enters CLOSED with @p err reported to the user (0 for a normal end):
 * cancels timers, leaves the table, frees buffers; frees the TCB if the
 * user released it. */
void sk_tcb_close(sk_tcb *tcb, int err);
void sk_tcb_enter_time_wait(sk_tcb *tcb);
void sk_tcb_compact_time_wait(sk_tcb *tcb);
void sk_tcb_established(sk_tcb *tcb);
uint32_t sk_tcb_events(const sk_tcb *tcb);

/* output.c */
/* Sends data and FIN as the window allows; sends a pure ACK if one is owed. */
void sk_tcp_output(sk_tcb *tcb);
int sk_tcp_send_syn(sk_tcb *tcb); /* SYN or SYN+ACK per state */
int sk_tcp_send_ack(sk_tcb *tcb);
/* A keep-alive probe: <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>, no data. */
/* <SEQ=@p seq><ACK=RCV.NXT><CTL=ACK> with the connection's options: a
 * zero-window probe (SND.UNA-1) or a keep-alive probe. */
int sk_tcp_send_probe(sk_tcb *tcb, uint32_t seq);
int sk_tcp_send_keepalive(sk_tcb *tcb);
int sk_tcp_send_rst_tcb(sk_tcb *tcb); /* <SEQ=SND.NXT><CTL=RST> for abort */
/* RST in answer to @p s for which no connection exists (RFC 9293 3.10.7.1). */
int sk_tcp_send_rst_reply(sk_tcp *tcp, const sk_seg *s);
/* A bare segment on a tuple (TIME-WAIT entries, challenge ACKs). */
int sk_tcp_send_raw(sk_tcp *tcp, synack_ipv4 laddr, uint16_t lport, synack_ipv4 raddr,
                    uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win);
int sk_tcp_challenge_ack(sk_tcb *tcb);
int sk_tcp_send_tw_ack(sk_tcp *tcp, const sk_tw *tw);
uint16_t sk_tcb_rcv_window(sk_tcb *tcb);

/* timers.c */
void sk_tcb_arm_rtx(sk_tcb *tcb);
void sk_tcb_rto_sample(sk_tcb *tcb, uint64_t rtt_ns);
void sk_tcp_rtx_timer_fn(sk_timer *t, uint64_t now);
void sk_tcp_tw_timer_fn(sk_timer *t, uint64_t now);
/* Where the rtx timer would stop, everything acknowledged: it runs on as
 * the keep-alive timer when that is on and the state calls for it (RFC
 * 1122 4.2.3.6), else stops. */
void sk_tcb_timer_idle(sk_tcb *tcb);
/* Before data or a FIN is queued on an idle connection: keep-alive gives
 * the timer up, so that sending arms it as the rtx or persist timer. */
void sk_tcb_keepalive_yield(sk_tcb *tcb);

/* input.c */
int sk_tcp_segment_arrives(sk_tcp *tcp, sk_seg *s);

#define SK_TCB_FROM_TIMER(t) ((sk_tcb *)(void *)((char *)(t)-offsetof(sk_tcb, rtx_timer)))
#define SK_TW_FROM_TIMER(t)  ((sk_tw *)(void *)((char *)(t)-offsetof(sk_tw, timer)))

#endif
