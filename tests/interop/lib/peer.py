#!/usr/bin/env python3
"""The kernel's side of the interop tests: small TCP clients and servers on
the kernel's sockets, each doing one thing and saying what it saw.

Every socket has a timeout, so a stalled connection fails the test instead
of hanging it. Exit status 0 means the expectation held; anything else is a
failure, explained on stderr.
"""
import argparse
import hashlib
import socket
import struct
import sys
import threading
import time

TIMEOUT = 20.0


def say(*a):
    print(*a, flush=True)


def die(msg):
    print("peer.py: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def recv_all(s):
    """Reads until the peer's FIN; returns the bytes."""
    parts = []
    while True:
        b = s.recv(1 << 16)
        if not b:
            return b"".join(parts)
        parts.append(b)


def connect(host, port):
    s = socket.create_connection((host, port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def echo_client(a):
    """Sends FILE to an echo server while reading the echo, shuts down our
    writing side, and reads the rest; the echo must equal FILE."""
    data = open(a.file, "rb").read()
    s = connect(a.host, a.port)
    got = []
    after_shutdown = [0]
    shut = threading.Event()
    err = []

    def reader():
        try:
            while True:
                b = s.recv(1 << 16)
                if not b:
                    return
                if shut.is_set():
                    after_shutdown[0] += len(b)
                got.append(b)
        except OSError as e:
            err.append(e)

    if a.sequential:
        # Everything is sent and our side shut down before the first read:
        # the whole echo arrives after our FIN (needs FILE to fit in the
        # buffers on the way).
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        shut.set()
        reader()
    else:
        t = threading.Thread(target=reader)
        t.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        shut.set()
        t.join(TIMEOUT * 2)
        if t.is_alive():
            die("the echo did not end")
    if err:
        die("reading the echo: %s" % err[0])
    echo = b"".join(got)
    if a.close_delay:
        time.sleep(a.close_delay)
    s.close()
    say("sent %d bytes, echo %d bytes, %d of them after our FIN, sha256 %s" %
        (len(data), len(echo), after_shutdown[0], hashlib.sha256(echo).hexdigest()))
    if echo != data:
        die("the echo differs from what was sent (%d vs %d bytes)" % (len(echo), len(data)))
    if a.sequential and after_shutdown[0] != len(data):
        die("only %d bytes read after shutting down" % after_shutdown[0])


def abort(a):
    """Connects, sends a little, then closes with SO_LINGER 0: the kernel
    aborts the connection with a RST (RFC 9293 3.10.7.1 ABORT)."""
    s = connect(a.host, a.port)
    s.sendall(b"abort me\n")
    if a.wait_echo:
        b = s.recv(100)
        say("echo before the abort: %r" % b)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    say("aborted")


def reset_by_peer(a):
    """Connects and reads until the peer resets the connection."""
    s = connect(a.host, a.port)
    if a.send:
        s.sendall(a.send.encode())
    try:
        n = len(recv_all(s))
    except ConnectionResetError:
        say("connection reset by peer")
        return
    die("the connection ended with a FIN after %d bytes, not a RST" % n)


def keepalive(a):
    """An idle connection with the kernel's keep-alive probes (RFC 1122
    4.2.3.6: an ACK-eliciting segment below the window) and one unanswered
    probe allowed: it survives the idle time only if the peer ACKs."""
    s = connect(a.host, a.port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 1)
    s.sendall(b"before\n")
    if s.recv(100) != b"before\n":
        die("no echo before the idle time")
    time.sleep(a.idle)
    s.sendall(b"after\n")
    if s.recv(100) != b"after\n":
        die("no echo after the idle time")
    s.close()
    say("the connection survived %.1f s of keep-alive probes" % a.idle)


def refused(a):
    """A connect to a port nobody listens on must fail with ECONNREFUSED
    (RFC 9293 3.10.7.1: a RST answers a SYN to a CLOSED port)."""
    try:
        s = connect(a.host, a.port)
    except ConnectionRefusedError as e:
        say("connection refused (%s)" % e.strerror)
        return
    except OSError as e:
        die("connect failed with %s, not ECONNREFUSED" % e)
    s.close()
    die("connect succeeded")


def listen(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(8)
    ls.settimeout(TIMEOUT * 3)
    say("listening on %d" % port)
    return ls


def echo_server(a):
    """Echoes each connection until its FIN, then (after --close-delay)
    closes; serves --count connections and exits."""
    ls = listen(a.port)
    for _ in range(a.count):
        c, peer = ls.accept()
        c.settimeout(TIMEOUT)
        n = 0
        while True:
            b = c.recv(1 << 16)
            if not b:
                break
            c.sendall(b)
            n += len(b)
        say("echoed %d bytes to %s:%d" % (n, peer[0], peer[1]))
        if a.close_delay:
            time.sleep(a.close_delay)
        c.close()


def greet_server(a):
    """Sends a greeting and closes at once: our FIN comes first."""
    ls = listen(a.port)
    c, peer = ls.accept()
    c.sendall(a.text.encode())
    c.close()
    say("greeted %s:%d and closed" % peer)
    # Stay until the peer's FIN is ACKed and our socket is in TIME-WAIT.
    time.sleep(a.linger)


def flood_server(a):
    """Sends data until the peer aborts: the send must fail with a reset
    (the peer's RST, RFC 9293 3.10.7.1), not end quietly."""
    ls = listen(a.port)
    c, peer = ls.accept()
    c.settimeout(TIMEOUT)
    chunk = b"x" * 65536
    n = 0
    try:
        while n < (1 << 30):
            n += c.send(chunk)
    except (ConnectionResetError, BrokenPipeError) as e:
        say("reset by %s:%d after %d bytes (%s)" % (peer[0], peer[1], n, e.strerror))
        return
    die("sent %d bytes without a reset" % n)


def http_close(a):
    """An HTTP/1.0 request without keep-alive: the server closes first.
    We read to its FIN, wait --close-delay, then close."""
    if a.local_port:
        # A fixed port: the next connection reuses the 4-tuple, and meets
        # the server's TIME-WAIT if it closed first.
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", a.local_port))
        s.settimeout(TIMEOUT)
        s.connect((a.host, a.port))
    else:
        s = connect(a.host, a.port)
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (a.path, a.host)).encode())
    resp = recv_all(s)
    if a.close_delay:
        time.sleep(a.close_delay)
    s.close()
    head = resp.split(b"\r\n", 1)[0].decode(errors="replace")
    say("%s, %d bytes" % (head, len(resp)))
    if not head.startswith("HTTP/1.") or " 200 " not in head:
        die("unexpected response: %r" % head)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("echo-client")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("file")
    c.add_argument("--sequential", action="store_true")
    c.add_argument("--close-delay", type=float, default=0)
    c.set_defaults(fn=echo_client)
    c = sub.add_parser("abort")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--wait-echo", action="store_true")
    c.set_defaults(fn=abort)
    c = sub.add_parser("reset-by-peer")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--send", default="")
    c.set_defaults(fn=reset_by_peer)
    c = sub.add_parser("keepalive")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("--idle", type=float, default=3.5)
    c.set_defaults(fn=keepalive)
    c = sub.add_parser("refused")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.set_defaults(fn=refused)
    c = sub.add_parser("echo-server")
    c.add_argument("port", type=int)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--close-delay", type=float, default=0)
    c.set_defaults(fn=echo_server)
    c = sub.add_parser("greet-server")
    c.add_argument("port", type=int)
    c.add_argument("--text", default="hello from the kernel\n")
    c.add_argument("--linger", type=float, default=1.0)
    c.set_defaults(fn=greet_server)
    c = sub.add_parser("flood-server")
    c.add_argument("port", type=int)
    c.set_defaults(fn=flood_server)
    c = sub.add_parser("http-close")
    c.add_argument("host")
    c.add_argument("port", type=int)
    c.add_argument("path")
    c.add_argument("--close-delay", type=float, default=0)
    c.add_argument("--local-port", type=int, default=0)
    c.set_defaults(fn=http_close)
    a = p.parse_args()
    try:
        a.fn(a)
    except socket.timeout:
        die("timed out")
    except OSError as e:
        die(str(e))


if __name__ == "__main__":
    main()
