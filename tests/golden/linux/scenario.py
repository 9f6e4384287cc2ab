"""One TCP scenario between two sockets of this process over lo, for
capture.sh: normal, refused, reset or half_close. Pauses between the steps
let each segment go on its own (no ACK folded into the next FIN), so the
ladders read like the textbook's."""
import socket
import struct
import sys
import time

PORT = 8080
STEP = 0.05
FAMILY, HOST = socket.AF_INET, "127.0.0.1"


def pair():
    ls = socket.socket(FAMILY)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, PORT))
    ls.listen(1)
    c = socket.create_connection((HOST, PORT))
    s, _ = ls.accept()
    ls.close()
    time.sleep(STEP)
    return c, s


def exchange(c, s):
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    time.sleep(STEP)
    s.recv(100)
    s.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
    time.sleep(STEP)
    c.recv(100)
    time.sleep(STEP)


def zero_window():
    """The server reads nothing until the client has filled its window:
    zero-window advertisements, then window updates as it reads."""
    ls = socket.socket(FAMILY)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    ls.bind((HOST, PORT))
    ls.listen(1)
    c = socket.create_connection((HOST, PORT))
    s, _ = ls.accept()
    ls.close()
    c.setblocking(False)
    sent = 0
    try:
        while sent < 40000:
            sent += c.send(b"x" * 1000)
            time.sleep(0.002)
    except BlockingIOError:
        pass
    time.sleep(0.3)
    got = 0
    s.settimeout(1)
    while got < sent:
        got += len(s.recv(65536))
        time.sleep(0.02)
    c.close()
    time.sleep(STEP)
    s.close()
    time.sleep(STEP)


def main(which):
    global FAMILY, HOST
    if which == "normal6":
        FAMILY, HOST = socket.AF_INET6, "::1"
        which = "normal"
    if which == "several":
        # Three connections in one capture, for --list, --conn and the
        # HTML page's connection picker.
        for w in ("normal", "refused", "reset"):
            main(w)
            time.sleep(STEP)
        return
    if which == "refused":
        try:
            socket.create_connection((HOST, PORT + 1))
        except ConnectionRefusedError:
            pass
        return
    if which == "zero_window":
        zero_window()
        return
    c, s = pair()
    exchange(c, s)
    if which == "normal":
        c.shutdown(socket.SHUT_WR)  # FIN-WAIT-1; the server ACKs: FIN-WAIT-2
        time.sleep(STEP)
        assert s.recv(100) == b""  # CLOSE-WAIT
        s.close()  # LAST-ACK
        time.sleep(STEP)
        c.close()  # TIME-WAIT
    elif which == "reset":
        # SO_LINGER with a zero timeout: close() aborts with a RST
        # (RFC 9293 3.10.5 ABORT).
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        time.sleep(STEP)
        try:
            s.recv(100)
        except ConnectionResetError:
            pass
        s.close()
    elif which == "half_close":
        c.shutdown(socket.SHUT_WR)
        time.sleep(STEP)
        assert s.recv(100) == b""
        s.sendall(b"bye\n")  # data from CLOSE-WAIT after the peer's FIN
        time.sleep(STEP)
        assert c.recv(100) == b"bye\n"  # received in FIN-WAIT-2
        time.sleep(STEP)
        s.close()
        time.sleep(STEP)
        c.close()
    time.sleep(STEP)


main(sys.argv[1])
