/* The transmission control block (RFC 9293 3.3.1) and the compact
 * TIME-WAIT entry (DESIGN.md 2a). Fields the common path touches come first. */
#ifndef SK_TCP_TCB_H
#define SK_TCP_TCB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/timer.h"
#include "synack/tcp.h"
#include "tcp/buf.h"

struct sk_tcp;

/* What a hash-table entry is. */
enum sk_conn_kind { SK_CONN_TCB = 1, SK_CONN_TW = 2, SK_CONN_LISTENER = 3 };

/* Flags (sk_tcb.flags). */
#define SK_TCB_PASSIVE    0x0001u /* opened from a listener (SYN-RCVD returns to LISTEN on RST) */
#define SK_TCB_RELEASED   0x0002u /* the user closed or aborted the handle */
#define SK_TCB_FIN_QUEUED 0x0004u /* user shut down the send side: FIN after the data */
#define SK_TCB_FIN_SENT   0x0008u /* our FIN has been sent (SND.NXT covers it) */
#define SK_TCB_FIN_RCVD   0x0010u /* peer's FIN processed (RCV.NXT covers it) */
#define SK_TCB_IN_TABLE   0x0020u /* linked in the connection hash */
#define SK_TCB_IN_ACCEPTQ 0x0040u /* on its listener's accept queue */
#define SK_TCB_RTT_TIMING 0x0080u /* rtt_seq is being timed (Karn: never a retransmission) */
#define SK_TCB_EV_QUEUED  0x0100u /* on the stack's pending-event list */
#define SK_TCB_SYN_ACKED  0x0200u /* our SYN has been acknowledged */
#define SK_TCB_PERSIST    0x0400u /* the rtx timer runs as the persist timer */
#define SK_TCB_ACK_NOW    0x0800u /* an ACK must go out at the end of input */
#define SK_TCB_EOF_READ   0x1000u /* the user has read the end of stream */
#define SK_TCB_NODELAY    0x2000u /* Nagle's algorithm is off (synack_tcp_set_nodelay) */
#define SK_TCB_KEEPALIVE  0x4000u /* keep-alive probes when idle (synack_tcp_set_keepalive) */
#define SK_TCB_SOFT_ERR   0x8000u /* an ICMP soft error came: a timeout reports HOSTUNREACH */

/* sk_tcb.cc_algo: the algorithm in the low bits, and one fact about the
 * handshake kept there because sk_tcb.flags has no bit left. */
#define SK_CC_ALGO_MASK 0x0fu
#define SK_CC_SYN_RTX   0x80u /* our SYN or SYN-ACK was sent more than once */

/* Options in use on a connection (sk_tcb.topts), negotiated in the SYNs. */
#define SK_TOPT_TS   0x01u /* timestamps (RFC 7323 3) */
#define SK_TOPT_SACK 0x02u /* SACK (RFC 2018) */
#define SK_TOPT_WS   0x04u /* window scaling (RFC 7323 2) */

/* Common head of every entry in the connection table. */
typedef struct sk_conn {
    struct sk_conn *hnext; /* hash chain */
    synack_ipv4 laddr, raddr;
    uint16_t lport, rport;
    uint8_t kind; /* enum sk_conn_kind */
} sk_conn;

/* Listener state (RFC 9293 3.10.1 passive OPEN). A listener is a
 * synack_tcp in state LISTEN whose `lst` points here. */
typedef struct sk_listen {
    int backlog;
    int pending;                 /* children in SYN-RCVD or queued, not accepted */
    struct synack_tcp *acc_head; /* established, not yet accepted (FIFO) */
    struct synack_tcp *acc_tail;
} sk_listen;

struct synack_tcp {
    sk_conn c; /* must be first */
    uint8_t state;
    int8_t error; /* SYNACK_ERR_* reported to the user, 0 if none */
    uint16_t flags;

    /* Send sequence variables (RFC 9293 3.3.1). */
    uint32_t snd_una, snd_nxt, snd_max; /* snd_max: highest SND.NXT ever (after go-back) */
    uint32_t snd_wnd, snd_wl1, snd_wl2, iss;
    uint32_t max_snd_wnd; /* largest window the peer offered (RFC 5961 5.2) */
    /* Receive sequence variables. */
    uint32_t rcv_nxt, irs;
    uint32_t rcv_adv; /* right edge of the window we last advertised */
    /* Options (opts.c): RFC 7323 window scale and timestamps, RFC 2018 SACK. */
    uint32_t ts_recent; /* TS.Recent (RFC 7323 4.3), when SK_TOPT_TS */
    uint32_t ts_offset; /* added to our millisecond clock in TSval (RFC 7323 7.1) */
    uint8_t snd_wscale; /* shift of the windows the peer sends (0 without scaling) */
    uint8_t rcv_wscale; /* shift of the windows we send */
    uint8_t topts;      /* SK_TOPT_*: what was negotiated */
    uint8_t cc_algo;    /* synack_cc_algo (SK_CC_ALGO_MASK) and SK_CC_SYN_RTX; the state
                           lives with the send ring (snd.h) */
    uint16_t snd_mss;   /* effective send MSS (RFC 9293 3.7.1) */

    /* Retransmission (RFC 6298), in microseconds. */
    uint8_t backoff;   /* exponent of the current backoff; keep-alive probes unanswered */
    uint8_t rtx_count; /* retransmissions of the current snd_una */
    uint32_t srtt_us, rttvar_us, rto_us;
    uint32_t rtt_seq;   /* sequence number being timed */
    uint64_t rtt_start; /* when it was sent, ns; when idle: the last keep-alive probe's time */
    uint64_t first_rtx; /* since when snd_una waits (user timeout); 0 until its first RTO */
    union {
        uint64_t opened_at; /* before ESTABLISHED: when the open started (SYN timeout) */
        /* From ESTABLISHED on: when the last segment with an acceptable ACK
         * came. Keep-alive (timers.c) measures idle time from it; the
         * probes sent since follow from it too, so no count is kept. */
        uint64_t last_rx;
    };

    sk_timer rtx_timer; /* retransmission, persist, TIME-WAIT; keep-alive when idle */

    sk_buf snd; /* bytes from snd_una (unacknowledged + unsent) */
    sk_buf rcv; /* bytes received in order, not yet read */

    struct sk_tcp *tcp;
    sk_listen *lst;            /* listeners only */
    synack_tcp *listener;      /* passive open: the listener (while not accepted) */
    synack_tcp *qnext;         /* accept queue link / pending-event link */
    synack_tcp *evnext;        /* pending-event list link */
    synack_tcp *anext, *aprev; /* every TCB of the stack (for teardown) */
    uint32_t ev_pending;       /* raised bits not yet delivered */
    uint32_t id;
    void *user;
};
typedef struct synack_tcp sk_tcb;

/* A connection in TIME-WAIT after its handle was released: what it must
 * still recognise (a retransmitted FIN, a new SYN) and its expiry. */
typedef struct sk_tw {
    sk_conn c;
    uint8_t topts, rcv_wscale; /* RFC 7323: its ACKs keep the agreed options */
    uint32_t snd_nxt, rcv_nxt;
    uint32_t ts_recent, ts_offset;
    uint32_t id;
    sk_timer timer;
    struct sk_tcp *tcp;
} sk_tw;

#endif
