/* synack — a TCP/IP stack in user space. Include this one header. */
#ifndef SYNACK_H
#define SYNACK_H

#include "error.h"
#include "mem.h"
#include "config.h"
#include "stats.h"
#include "trace.h"
#include "stack.h"
#include "tcp.h"
#include "memlink.h"
#include "pcap.h"

#endif
