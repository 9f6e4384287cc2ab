/* Per-connection options and the TCP_INFO-like snapshot of the send side. */
#include <string.h>

#include "tcp/snd.h"
#include "tcp/tcp.h"

int synack_tcp_set_nodelay(synack_tcp *c, bool on)
{
    if (!c)
        return SYNACK_ERR_INVAL;
    /* On a listener it is what its children start with (as sockets do).
     * It applies from the next segment on: what Nagle holds now goes with
     * the ACK that would have released it (this call takes no `now`). */
    if (on)
        c->flags |= SK_TCB_NODELAY;
    else
        c->flags &= (uint16_t)~SK_TCB_NODELAY;
    return 0;
}

int synack_tcp_set_cc(synack_tcp *c, synack_cc_algo algo)
{
    if (!c || (algo != SYNACK_CC_NEWRENO && algo != SYNACK_CC_CUBIC))
        return SYNACK_ERR_INVAL;
    sk_snd_set_cc(c, algo);
    return 0;
}

int synack_tcp_get_info(const synack_tcp *c, synack_tcp_info *info)
{
    if (!c || !info || c->lst)
        return SYNACK_ERR_INVAL;
    memset(info, 0, sizeof(*info));
    info->state = (synack_tcp_state)c->state;
    info->cc = (synack_cc_algo)(c->cc_algo & SK_CC_ALGO_MASK);
    info->mss = c->snd_mss;
    info->snd_wnd = c->snd_wnd;
    info->flight = c->snd_max - c->snd_una;
    info->srtt_us = c->srtt_us;
    info->rttvar_us = c->rttvar_us;
    info->rto_us = c->rto_us;
    info->ssthresh = UINT32_MAX;
    const sk_snd *snd = sk_snd_of(c);
    if (snd) {
        info->cwnd = snd->cc.cwnd;
        info->ssthresh = snd->cc.ssthresh;
        info->sacked = sk_rangeset_bytes(&snd->sacked);
        info->in_recovery = snd->mode == SK_SND_RECOVERY || snd->mode == SK_SND_SACK_RECOV;
    }
    info->nodelay = (c->flags & SK_TCB_NODELAY) != 0;
    info->sack = (c->topts & SK_TOPT_SACK) != 0;
    info->timestamps = (c->topts & SK_TOPT_TS) != 0;
    info->snd_wscale = c->snd_wscale;
    info->rcv_wscale = c->rcv_wscale;
    return 0;
}

int synack_tcp_set_keepalive(synack_tcp *c, bool on)
{
    if (!c)
        return SYNACK_ERR_INVAL;
    /* On a listener it is what its children start with (input.c). */
    if (on == ((c->flags & SK_TCB_KEEPALIVE) != 0))
        return 0;
    if (on) {
        c->flags |= SK_TCB_KEEPALIVE;
        /* Idle already: the idle time counts from the last segment received
         * (RFC 1122 4.2.3.6), which may be long ago - then the first probe
         * goes at the next synack_stack_handle_timeout(). */
        if (!c->lst && !sk_timer_armed(&c->rtx_timer))
            sk_tcb_timer_idle(c);
    } else {
        sk_tcb_keepalive_yield(c); /* stops the timer if keep-alive ran it */
        c->flags &= (uint16_t)~SK_TCB_KEEPALIVE;
    }
    return 0;
}
