#include "synack/trace.h"

const char *synack_tcp_state_name(synack_tcp_state s)
{
    /* Spelled as in RFC 9293 3.3.2. */
    static const char *const names[] = {
        "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RCVD", "ESTABLISHED", "FIN-WAIT-1",
        "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK", "TIME-WAIT",
    };
    if ((unsigned)s < sizeof(names) / sizeof(names[0]))
        return names[s];
    return "?";
}
