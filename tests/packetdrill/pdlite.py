#!/usr/bin/env python3
"""pdlite: runs a subset of packetdrill's script language against
libsynack_packetdrill.so, for machines without packetdrill (it is not
packaged in Debian). Not packetdrill: it knows the calls, packet forms and
options that tests/packetdrill/scripts use, drives the object through the
same interface packetdrill uses (ctypes instead of C), on the object's
virtual clock, and checks what packetdrill checks of those lines (flags,
sequence and ack numbers relative to each side's ISN, payload length,
window when stated, TCP options in order unless <...>, return values and
errno, timing within packetdrill's default tolerance). Where it and
packetdrill disagree, packetdrill is right.

usage: pdlite.py path/to/libsynack_packetdrill.so [--so_flags=...] [--xfail=FILE] script.pkt...
--so_flags defaults to "linux,virtual". --xfail names a file of scripts
expected to fail ("name reason" lines, # comments): they report XFAIL, and
XPASS (an error) when they pass.
exit status: 0 all scripts passed or failed as expected, 1 otherwise.
"""
import ctypes as C
import errno
import fcntl
import os
import re
import select
import socket
import struct
import sys
import termios
import threading
import time

LOCAL_IP = "192.168.0.1"
REMOTE_IP = "192.0.2.1"
LOCAL_PORT = 8080  # packetdrill binds to this port
REMOTE_PORT = 8080  # and connects to this one
REMOTE_EPHEMERAL = 48000
REMOTE_ISN = 1000000
TOLERANCE_US = 4000
TOLERANCE_PCT = 12.5


class ScriptError(Exception):
    pass


# ---- the shared object -------------------------------------------------------

VP = C.c_void_p
SIGS = [  # after userdata; in the struct's order (PACKETDRILL-SO.md)
    ("free", None, []),
    ("socket", C.c_int, [C.c_int, C.c_int, C.c_int]),
    ("bind", C.c_int, [C.c_int, VP, C.c_uint32]),
    ("listen", C.c_int, [C.c_int, C.c_int]),
    ("accept", C.c_int, [C.c_int, VP, VP]),
    ("connect", C.c_int, [C.c_int, VP, C.c_uint32]),
    ("read", C.c_ssize_t, [C.c_int, VP, C.c_size_t]),
    ("readv", C.c_ssize_t, [C.c_int, VP, C.c_int]),
    ("recv", C.c_ssize_t, [C.c_int, VP, C.c_size_t, C.c_int]),
    ("recvfrom", C.c_ssize_t, [C.c_int, VP, C.c_size_t, C.c_int, VP, VP]),
    ("recvmsg", C.c_ssize_t, [C.c_int, VP, C.c_int]),
    ("write", C.c_ssize_t, [C.c_int, VP, C.c_size_t]),
    ("writev", C.c_ssize_t, [C.c_int, VP, C.c_int]),
    ("send", C.c_ssize_t, [C.c_int, VP, C.c_size_t, C.c_int]),
    ("sendto", C.c_ssize_t, [C.c_int, VP, C.c_size_t, C.c_int, VP, C.c_uint32]),
    ("sendmsg", C.c_ssize_t, [C.c_int, VP, C.c_int]),
    ("fcntl", C.c_int, [C.c_int, C.c_int, C.c_int]),
    ("ioctl", C.c_int, [C.c_int, C.c_ulong, VP]),
    ("close", C.c_int, [C.c_int]),
    ("shutdown", C.c_int, [C.c_int, C.c_int]),
    ("getsockopt", C.c_int, [C.c_int, C.c_int, C.c_int, VP, VP]),
    ("setsockopt", C.c_int, [C.c_int, C.c_int, C.c_int, VP, C.c_uint32]),
    ("poll", C.c_int, [VP, C.c_ulong, C.c_int]),
    ("netdev_send", C.c_int, [VP, C.c_size_t]),
    ("netdev_receive", C.c_int, [VP, VP, VP]),
    ("usleep", C.c_int, [C.c_uint32]),
    ("gettimeofday", C.c_int, [VP, VP]),
    ("epoll_create", C.c_int, [C.c_int]),
    ("epoll_ctl", C.c_int, [C.c_int, C.c_int, C.c_int, VP]),
    ("epoll_wait", C.c_int, [C.c_int, VP, C.c_int, C.c_int]),
    ("pipe", C.c_int, [VP]),
    ("splice", C.c_int, [C.c_int, VP, C.c_int, VP, C.c_size_t, C.c_uint]),
]


class Ifc(C.Structure):
    _fields_ = [("userdata", VP)] + [(n, VP) for n, _, _ in SIGS]


class Stack:
    def __init__(self, so_path, flags):
        mode = os.RTLD_NOW | os.RTLD_LOCAL | getattr(os, "RTLD_DEEPBIND", 0)
        self.dl = C.CDLL(so_path, mode=mode)
        self.ifc = Ifc()
        self.dl.packetdrill_interface_init.argtypes = [C.c_char_p, C.POINTER(Ifc)]
        self.dl.packetdrill_interface_init.restype = None
        self.dl.packetdrill_interface_init(flags.encode() if flags is not None else None,
                                           C.byref(self.ifc))
        if not self.ifc.userdata:
            raise ScriptError("packetdrill_interface_init left the table empty")
        self.fn = {}
        for name, res, args in SIGS:
            ptr = getattr(self.ifc, name)
            if not ptr:
                raise ScriptError("member %s is NULL" % name)
            proto = C.CFUNCTYPE(res, VP, *args, use_errno=True)
            self.fn[name] = proto(ptr)

    def call(self, name, *args):
        C.set_errno(0)
        rv = self.fn[name](self.ifc.userdata, *args)
        return rv, C.get_errno()

    def now_us(self):
        tv = (C.c_long * 2)()
        self.call("gettimeofday", tv, None)
        return tv[0] * 1000000 + tv[1]

    def free(self):
        self.fn["free"](self.ifc.userdata)


# ---- packets -------------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, ".": 0x10, "U": 0x20, "E": 0x40,
             "W": 0x80}


def flags_of(word):
    v = 0
    for ch in word:
        if ch not in FLAG_BITS:
            raise ScriptError("unknown TCP flag %r" % ch)
        v |= FLAG_BITS[ch]
    return v


def flags_str(v):
    return "".join(ch for ch, b in FLAG_BITS.items() if v & b) or "-"


def encode_options(opts):
    out = b""
    for o in opts:
        if o[0] == "nop":
            out += b"\x01"
        elif o[0] == "mss":
            out += struct.pack("!BBH", 2, 4, o[1])
        elif o[0] == "wscale":
            out += struct.pack("!BBB", 3, 3, o[1])
        elif o[0] == "sackOK":
            out += b"\x04\x02"
        elif o[0] == "TS":
            out += struct.pack("!BBII", 8, 10, o[1], o[2])
        elif o[0] == "sack":
            out += struct.pack("!BB", 5, 2 + 8 * len(o[1]))
            for left, right in o[1]:
                out += struct.pack("!II", left & 0xFFFFFFFF, right & 0xFFFFFFFF)
        else:
            raise ScriptError("option %s not supported by pdlite" % o[0])
    while len(out) % 4:
        out += b"\x01"  # packetdrill pads with NOPs? (it rejects unaligned lists)
    return out


def decode_options(raw):
    out, i = [], 0
    while i < len(raw):
        k = raw[i]
        if k == 0:
            out.append(("eol",))
            break
        if k == 1:
            out.append(("nop",))
            i += 1
            continue
        ln = raw[i + 1] if i + 1 < len(raw) else 0
        body = raw[i + 2:i + ln]
        if k == 2 and ln == 4:
            out.append(("mss", struct.unpack("!H", body)[0]))
        elif k == 3 and ln == 3:
            out.append(("wscale", body[0]))
        elif k == 4 and ln == 2:
            out.append(("sackOK",))
        elif k == 8 and ln == 10:
            out.append(("TS",) + struct.unpack("!II", body))
        elif k == 5 and ln >= 10 and (ln - 2) % 8 == 0:
            out.append(("sack", [struct.unpack("!II", body[j:j + 8])
                                 for j in range(0, ln - 2, 8)]))
        else:
            out.append(("kind%d" % k, bytes(body)))
        i += max(ln, 2)
    return out


def parse_options(text):
    if text is None:
        return []
    text = text.strip()
    if text == "...":
        return None
    opts = []
    for part in [p.strip() for p in text.split(",")]:
        w = part.split()
        if w[0] == "nop":
            opts.append(("nop",))
        elif w[0] == "sackOK":
            opts.append(("sackOK",))
        elif w[0] in ("mss", "wscale"):
            opts.append((w[0], int(w[1])))
        elif w[0] == "TS":
            opts.append(("TS", int(w[2]), int(w[4])))
        elif w[0] == "sack":  # blocks relative to the sender's ISN, like seq
            opts.append(("sack", [tuple(int(x) for x in b.split(":")) for b in w[1:]]))
        else:
            raise ScriptError("option %r not supported by pdlite" % part)
    return opts


def build_datagram(sport, dport, flags, seq, ack, win, opts, payload):
    o = encode_options(opts)
    thl = 20 + len(o)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF,
                      (thl // 4) << 4, flags, win, 0, 0) + o + payload
    src, dst = socket.inet_aton(REMOTE_IP), socket.inet_aton(LOCAL_IP)
    ph = src + dst + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64, 6, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def parse_datagram(d):
    if len(d) < 40 or d[0] != 0x45:
        raise ScriptError("outbound datagram is not IPv4 with a 20-byte header")
    if csum(d[:20]) != 0:
        raise ScriptError("bad IPv4 header checksum")
    total = struct.unpack("!H", d[2:4])[0]
    if total != len(d) or d[9] != 6:
        return None
    t = d[20:]
    ph = d[12:16] + d[16:20] + struct.pack("!BBH", 0, 6, len(t))
    if csum(ph + t) != 0:
        raise ScriptError("bad TCP checksum")
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", t[:16])
    thl = (off >> 4) * 4
    return dict(sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, win=win,
                opts=decode_options(t[20:thl]), len=len(t) - thl)


# ---- constants and arguments ----------------------------------------------------

def constant(name):
    for mod in (socket, os, fcntl, select, termios, errno):
        if hasattr(mod, name):
            return getattr(mod, name)
    extra = {"SOL_TCP": 6, "TCP_USER_TIMEOUT": 18, "POLLRDHUP": 0x2000, "SIOCINQ": 0x541B,
             "SIOCOUTQ": 0x5411}
    if name in extra:
        return extra[name]
    raise ScriptError("unknown symbol %s" % name)


def split_top(s, sep=","):
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def int_expr(s):
    s = s.strip()
    v = 0
    for part in s.split("|"):
        part = part.strip()
        if re.fullmatch(r"-?\d+", part):
            v |= int(part)
        elif re.fullmatch(r"0x[0-9a-fA-F]+", part):
            v |= int(part, 16)
        else:
            v |= constant(part)
    return v


# ---- the interpreter ----------------------------------------------------------------

NUM = r"(?:\d+(?:\.\d+)?|\.\d+)"
LINE = re.compile(r"^(?P<time>\*|\+?" + NUM + r"(?:~\+?" + NUM + r")?)(?:\s+|(?=\.\.\.))(?P<rest>.*)$")
PKT = re.compile(r"^(?P<dir>[<>])\s+(?P<flags>[A-Z.]+)\s+(?P<start>\d+):(?P<end>\d+)\((?P<len>\d+)\)"
                 r"(?:\s+ack\s+(?P<ack>\d+))?(?:\s+win\s+(?P<win>\d+))?"
                 r"(?:\s+<(?P<opts>[^>]*)>)?\s*$")
CALL = re.compile(r"^(?:\.\.\.(?P<end>[\d.]+)\s+)?(?P<name>\w+)\((?P<args>.*)\)\s*=\s*"
                  r"(?P<ret>-?\d+)(?:\s+(?P<errno>E[A-Z]+)\s*\([^)]*\))?\s*$")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return [re.sub(r"//.*$", "", ln).rstrip() for ln in text.splitlines()]


class Run:
    def __init__(self, stack, path):
        self.s = stack
        self.path = path
        self.fds = {}  # script fd -> live fd
        self.local_isn = None
        self.local_port = None  # the stack's port on the connection under test
        self.remote_port = None
        self.start = None
        self.last_time = 0  # script time of the previous event (us)
        self.pending = None  # blocking call in flight
        self.bufs = []

    def fail(self, lineno, msg):
        raise ScriptError("%s:%d: %s" % (self.path, lineno, msg))

    def live_time(self):
        return self.s.now_us() - self.start

    def wait_until(self, t):
        while True:
            now = self.live_time()
            if now >= t:
                return
            self.s.call("usleep", max(1, t - now))

    def check_time(self, lineno, what, expect, end, actual):
        tol = max(TOLERANCE_US, int(TOLERANCE_PCT / 100.0 * (expect - self.last_time)))
        if actual < expect - tol or actual > end + tol:
            self.fail(lineno, "timing error: expected %s at %.6f~%.6f s but it happened at "
                      "%.6f s" % (what, expect / 1e6, end / 1e6, actual / 1e6))

    def fd(self, lineno, text):
        n = int_expr(text)
        if n not in self.fds:
            self.fail(lineno, "unknown fd %d" % n)
        return self.fds[n]

    def run(self, lines):
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            m = LINE.match(line.strip())
            if not m:
                self.fail(lineno, "cannot parse %r" % line.strip())
            tspec, rest = m.group("time"), m.group("rest").strip()
            if self.start is None:
                self.start = self.s.now_us()
            any_time = tspec == "*"
            lo = hi = None
            if not any_time:
                parts = tspec.split("~")
                vals = []
                for p in parts:
                    rel = p.startswith("+")
                    v = int(round(float(p.lstrip("+")) * 1e6))
                    base = self.live_time() if rel else 0
                    if rel and rest.startswith("<") and self.prev_inbound:
                        base = self.last_time  # packetdrill anchors inbound runs
                    vals.append(base + v if rel else v)
                lo, hi = vals[0], vals[-1]
            if rest.startswith("<"):
                self.inbound(lineno, lo, rest)
                self.prev_inbound = True
            elif rest.startswith(">"):
                self.outbound(lineno, lo, hi, any_time, rest)
                self.prev_inbound = False
            else:
                self.syscall(lineno, lo, rest)
                self.prev_inbound = False
        self.join_pending()

    prev_inbound = False
    ts_offset = 0  # the stack's TSval minus the script's, learned from its first TS
    ts_offset_known = False

    def inbound(self, lineno, t, rest):
        m = PKT.match(rest)
        if not m:
            self.fail(lineno, "cannot parse packet %r" % rest)
        self.wait_until(t)
        self.check_time(lineno, "inbound packet", t, t, self.live_time())
        flags = flags_of(m.group("flags"))
        if flags & FLAG_BITS["S"] and not flags & FLAG_BITS["."] and self.local_port is None:
            self.local_port, self.remote_port = LOCAL_PORT, REMOTE_EPHEMERAL
        if self.local_port is None:
            self.fail(lineno, "inbound packet before any connection")
        ack = 0
        if flags & FLAG_BITS["."]:
            if self.local_isn is None:
                self.fail(lineno, "ACK before the stack's ISN is known")
            ack = self.local_isn + int(m.group("ack") or 0)
        opts = parse_options(m.group("opts"))
        if opts is None:
            self.fail(lineno, "<...> only for outbound packets")
        # packetdrill echoes the stack's live TSval where the script wrote
        # the value its own outbound lines gave it
        opts = [("TS", o[1], (o[2] + self.ts_offset) & 0xFFFFFFFF) if o[0] == "TS" else o
                for o in opts]
        opts = [("sack", [(self.local_isn + a, self.local_isn + b) for a, b in o[1]])
                if o[0] == "sack" else o for o in opts]
        d = build_datagram(self.remote_port, self.local_port, flags,
                           REMOTE_ISN + int(m.group("start")), ack,
                           int(m.group("win") or 65535), opts, b"x" * int(m.group("len")))
        rv, _ = self.s.call("netdev_send", d, len(d))
        if rv != 0:
            self.fail(lineno, "netdev_send returned %d" % rv)
        self.last_time = t

    def outbound(self, lineno, lo, hi, any_time, rest):
        m = PKT.match(rest)
        if not m:
            self.fail(lineno, "cannot parse packet %r" % rest)
        buf = C.create_string_buffer(65536)
        while True:
            count = C.c_size_t(65536)
            when = C.c_longlong(0)
            rv, _ = self.s.call("netdev_receive", buf, C.byref(count), C.byref(when))
            if rv != 0:
                continue
            if count.value == 0:
                self.fail(lineno, "expected outbound packet, none came")
            p = parse_datagram(buf.raw[:count.value])
            if p is None:
                continue
            if self.local_port is None and p["flags"] & FLAG_BITS["S"]:
                self.local_port, self.remote_port = p["sport"], REMOTE_PORT
            if (p["sport"], p["dport"]) == (self.local_port, self.remote_port):
                break  # others belong to no socket under test: ignored
        want_flags = flags_of(m.group("flags"))
        if p["flags"] != want_flags:
            self.fail(lineno, "bad outbound TCP flags: expected %s got %s" %
                      (flags_str(want_flags), flags_str(p["flags"])))
        if p["flags"] & FLAG_BITS["S"] and self.local_isn is None:
            self.local_isn = (p["seq"] - int(m.group("start"))) & 0xFFFFFFFF
        rel_seq = (p["seq"] - self.local_isn) & 0xFFFFFFFF
        if rel_seq != int(m.group("start")):
            self.fail(lineno, "bad outbound seq: expected %s got %d" % (m.group("start"), rel_seq))
        if p["len"] != int(m.group("len")):
            self.fail(lineno, "bad payload length: expected %s got %d" % (m.group("len"), p["len"]))
        if p["flags"] & FLAG_BITS["."]:
            rel_ack = (p["ack"] - REMOTE_ISN) & 0xFFFFFFFF
            if rel_ack != int(m.group("ack") or 0):
                self.fail(lineno, "bad outbound ack: expected %s got %d" % (m.group("ack"), rel_ack))
        if m.group("win") is not None and p["win"] != int(m.group("win")):
            self.fail(lineno, "bad window: expected %s got %d" % (m.group("win"), p["win"]))
        want_opts = parse_options(m.group("opts"))
        for o in p["opts"]:
            if o[0] == "TS" and self.ts_offset_known is False:
                for w in want_opts or []:
                    if w[0] == "TS":
                        self.ts_offset = (o[1] - w[1]) & 0xFFFFFFFF
                        self.ts_offset_known = True
        # SACK blocks the stack sends cover the remote side's numbers
        p["opts"] = [("sack", [((a - REMOTE_ISN) & 0xFFFFFFFF, (b - REMOTE_ISN) & 0xFFFFFFFF)
                               for a, b in o[1]]) if o[0] == "sack" else o for o in p["opts"]]
        if want_opts is not None:
            got = [o if o[0] != "TS" else ("TS", None, o[2]) for o in p["opts"]]
            want = [o if o[0] != "TS" else ("TS", None, o[2]) for o in want_opts]
            if got != want:
                self.fail(lineno, "bad TCP options: expected %s got %s" % (want_opts, p["opts"]))
        actual = when.value - self.start
        if not any_time:
            self.check_time(lineno, "outbound packet", lo, hi, actual)
            self.last_time = lo
        else:
            self.last_time = actual

    def args_for(self, lineno, name, a):
        """The live arguments, and a check of what the call wrote back."""
        keep = self.bufs
        post = []

        def intp(text):
            v = C.c_int(int_expr(text.strip()[1:-1]) if text.strip() != "..." else 0)
            keep.append(v)
            return v

        if name == "socket":  # "..." is the address family of --ip_version
            return [socket.AF_INET if x == "..." else int_expr(x) for x in a], post
        if name in ("bind", "connect"):
            ip, port = (LOCAL_IP, LOCAL_PORT) if name == "bind" else (REMOTE_IP, REMOTE_PORT)
            sa = C.create_string_buffer(struct.pack("=H", socket.AF_INET) +
                                        struct.pack("!H", port) + socket.inet_aton(ip) + b"\0" * 8,
                                        16)
            keep.append(sa)
            return [self.fd(lineno, a[0]), sa, 16], post
        if name == "listen":
            return [self.fd(lineno, a[0]), int_expr(a[1])], post
        if name == "accept":
            sa = C.create_string_buffer(16)
            ln = C.c_uint32(16)
            keep += [sa, ln]
            return [self.fd(lineno, a[0]), sa, C.byref(ln)], post
        if name in ("read", "write"):
            n = int_expr(a[2])
            b = C.create_string_buffer(max(n, 1))
            keep.append(b)
            return [self.fd(lineno, a[0]), b, n], post
        if name in ("close",):
            return [self.fd(lineno, a[0])], post
        if name == "shutdown":
            return [self.fd(lineno, a[0]), int_expr(a[1])], post
        if name == "fcntl":
            return [self.fd(lineno, a[0]), int_expr(a[1]), int_expr(a[2]) if len(a) > 2 else 0], post
        if name == "ioctl":
            v = intp(a[2])
            want = v.value
            v.value = -1
            post.append(lambda: v.value == want or self.fail(
                lineno, "ioctl wrote %d, expected %d" % (v.value, want)))
            return [self.fd(lineno, a[0]), int_expr(a[1]), C.byref(v)], post
        if name == "setsockopt":
            val = a[3].strip()
            if val.startswith("{"):
                fields = dict(f.split("=") for f in split_top(val[1:-1]))
                b = C.create_string_buffer(struct.pack("=ii", int(fields["onoff"]),
                                                       int(fields["linger"])), 8)
                keep.append(b)
                return [self.fd(lineno, a[0]), int_expr(a[1]), int_expr(a[2]), b,
                        int_expr(a[4])], post
            v = intp(val)
            return [self.fd(lineno, a[0]), int_expr(a[1]), int_expr(a[2]), C.byref(v),
                    int_expr(a[4])], post
        if name == "getsockopt":
            v = intp(a[3])
            want = v.value
            v.value = -12345
            ln = intp(a[4])
            post.append(lambda: v.value == want or self.fail(
                lineno, "getsockopt wrote %d, expected %d" % (v.value, want)))
            return [self.fd(lineno, a[0]), int_expr(a[1]), int_expr(a[2]), C.byref(v),
                    C.byref(ln)], post
        if name == "poll":
            items = split_top(a[0].strip()[1:-1])
            arr = (C.c_int * (2 * len(items)))()
            wants = []
            for i, it in enumerate(items):
                f = dict(x.split("=", 1) for x in split_top(it.strip()[1:-1]))
                arr[2 * i] = self.fds[int_expr(f["fd"])]
                ev = int_expr(f["events"])
                arr[2 * i + 1] = ev & 0xFFFF
                wants.append(int_expr(f.get("revents", "0")))
            keep.append(arr)

            def check():
                for i, w in enumerate(wants):
                    got = (arr[2 * i + 1] >> 16) & 0xFFFF
                    if got != w:
                        self.fail(lineno, "poll revents 0x%x, expected 0x%x" % (got, w))
            post.append(check)
            return [arr, int_expr(a[1]), int_expr(a[2])], post
        self.fail(lineno, "call %s not supported by pdlite" % name)

    def join_pending(self):
        if not self.pending:
            return
        th, box, lineno, lo, end, want = self.pending
        th.join(30)
        if th.is_alive():
            self.fail(lineno, "blocking call never returned")
        self.pending = None
        self.check_result(lineno, box, want)
        self.check_time(lineno, "blocking call end", lo, end, box["end"])

    def check_result(self, lineno, box, want):
        rv, err = box["rv"], box["err"]
        ret, eno, name, post = want
        if name in ("socket", "accept") and rv >= 0 and ret >= 0:
            self.fds[ret] = rv  # packetdrill maps the script's fd to the live one
            rv = ret
        if rv != ret:
            self.fail(lineno, "%s returned %d (%s), expected %d" %
                      (name, rv, errno.errorcode.get(err, err) if rv < 0 else "", ret))
        if ret < 0 and eno and err != constant(eno):
            self.fail(lineno, "%s: errno %s, expected %s" % (name, errno.errorcode.get(err), eno))
        for p in post:
            p()

    def syscall(self, lineno, t, rest):
        m = CALL.match(rest)
        if not m:
            self.fail(lineno, "cannot parse call %r" % rest)
        self.join_pending()
        self.wait_until(t)
        self.check_time(lineno, "system call start", t, t, self.live_time())
        self.last_time = t
        name = m.group("name")
        args, post = self.args_for(lineno, name, split_top(m.group("args")))
        want = (int(m.group("ret")), m.group("errno"), name, post)
        box = {}

        def run():
            rv, err = self.s.call(name, *args)
            box.update(rv=rv, err=err, end=self.live_time())
        if m.group("end") is None:
            run()
            self.check_result(lineno, box, want)
            if name == "close" and box["rv"] == 0:
                self.fds.pop(int_expr(split_top(m.group("args"))[0]), None)
            return
        end = t + int(round(float(m.group("end")) * 1e6))
        th = threading.Thread(target=run)
        th.start()
        # packetdrill's await_idle_thread: wait until it sleeps or is done
        deadline = time.monotonic() + 5
        while th.is_alive() and time.monotonic() < deadline:
            if thread_sleeping(th.native_id):
                break
            time.sleep(0.0005)
        self.pending = (th, box, lineno, t, end, want)


def thread_sleeping(tid):
    try:
        with open("/proc/self/task/%d/stat" % tid) as f:
            st = f.read()
        return st[st.rindex(")") + 2] == "S"
    except (OSError, ValueError, IndexError):
        return False


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    so, flags, scripts, xfail = argv[1], "linux,virtual", [], {}
    for a in argv[2:]:
        if a.startswith("--so_flags="):
            flags = a.split("=", 1)[1]
        elif a.startswith("--xfail="):
            with open(a.split("=", 1)[1]) as f:
                for ln in f:
                    w = ln.split(None, 1)
                    if w and not w[0].startswith("#"):
                        xfail[w[0]] = w[1].strip() if len(w) > 1 else ""
        else:
            scripts.append(a)
    bad = 0
    for path in scripts:
        name = os.path.basename(path)[:-4] if path.endswith(".pkt") else os.path.basename(path)
        with open(path) as f:
            lines = strip_comments(f.read())
        st = Stack(so, flags)
        try:
            Run(st, path).run(lines)
            if name in xfail:
                bad += 1
                print("XPASS %-28s (listed as expected to fail: %s)" % (name, xfail[name]))
            else:
                print("PASS  %s" % name)
        except ScriptError as e:
            if name in xfail:
                print("XFAIL %-28s %s\n      (%s)" % (name, xfail[name], e))
            else:
                bad += 1
                print("FAIL  %s" % e)
        finally:
            st.free()
    print("%d script(s), %d unexpected result(s)" % (len(scripts), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
