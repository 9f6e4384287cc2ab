/* synack — one error enum for the whole library.
 *
 * Every function that can fail returns a negative SYNACK_ERR_* code (or 0 /
 * a non-negative count on success). synack_strerror() gives a one-line
 * description of each. The values are stable: new codes are appended.
 */
#ifndef SYNACK_ERROR_H
#define SYNACK_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, description) */
#define SYNACK_ERRORS(X)                                                                           \
    X(OK, 0, "success")                                                                            \
    X(INVAL, -1, "invalid argument")                                                               \
    X(NOMEM, -2, "out of memory (allocator returned NULL)")                                        \
    X(TRUNCATED, -3, "input shorter than its header says")                                         \
    X(MALFORMED, -4, "malformed header or option")                                                 \
    X(CHECKSUM, -5, "checksum mismatch")                                                           \
    X(UNSUPPORTED, -6, "unsupported protocol, version or feature")                                 \
    X(NOBUFS, -7, "buffer too small or queue full")                                                \
    X(NOROUTE, -8, "no route to host")                                                             \
    X(AGAIN, -9, "operation would block; try again later")                                         \
    X(LIMIT, -10, "configured limit reached")                                                      \
    X(NOTFOUND, -11, "no such entry")                                                              \
    X(HOSTUNREACH, -12, "host unreachable (no ARP reply, or ICMP unreachable)")                    \
    X(REFUSED, -13, "connection refused (peer sent RST)")                                          \
    X(RESET, -14, "connection reset by peer")                                                      \
    X(TIMEDOUT, -15, "connection timed out")                                                       \
    X(ADDRINUSE, -16, "address already in use")                                                    \
    X(NOTCONN, -17, "not connected")                                                               \
    X(ISCONN, -18, "already connected")                                                            \
    X(CLOSED, -19, "connection closing or closed")                                                 \
    X(INPROGRESS, -20, "operation in progress")                                                    \
    X(STATE, -21, "operation not valid in this state")                                             \
    X(IO, -22, "I/O error in a driver")                                                            \
    X(PERM, -23, "operation not permitted (missing privilege)")

typedef enum synack_err {
#define SYNACK_ERR_ENUM_(name, value, desc) SYNACK_ERR_##name = (value),
    SYNACK_ERRORS(SYNACK_ERR_ENUM_)
#undef SYNACK_ERR_ENUM_
} synack_err;

/** Returns a static one-line description of @p err (any int; unknown codes
 *  give "unknown error"). Never returns NULL. */
const char *synack_strerror(int err);

/** Returns the symbolic name of @p err without prefix ("NOMEM"), or "?" . */
const char *synack_errname(int err);

#ifdef __cplusplus
}
#endif
#endif
