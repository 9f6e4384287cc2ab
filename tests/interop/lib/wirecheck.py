#!/usr/bin/env python3
"""Checks one TCP connection in a capture: the three-way handshake and the
four-way close, flags and Seq/Ack numbers (RFC 9293 3.5 figure 6, 3.6
figure 12).

    wirecheck.py PCAP --port P --opener ADDR --closer ADDR

reads PCAP with tshark, takes the first connection to port P, checks that
--opener sent its SYN and --closer its first FIN, and prints each segment
it checked. Exit 0 when every check
holds, 1 otherwise.
"""
import argparse
import subprocess
import sys

FIN, SYN, RST, PSH, ACK, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80
MOD = 1 << 32


def flag_str(f):
    s = "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P")) if f & bit)
    return s + ("." if f & ACK else "")


class Seg:
    def __init__(self, src, sport, dst, dport, flags, seq, ack, length, ecn):
        self.src, self.sport, self.dst, self.dport = src, int(sport), dst, int(dport)
        self.flags, self.seq, self.ack, self.len = int(flags, 16), int(seq), int(ack), int(length)
        self.ecn = int(ecn, 0) if ecn else 0

    def frm(self, addr):
        return self.src == addr

    def __str__(self):
        return "%s:%d > %s:%d [%s] seq %d ack %d len %d" % (
            self.src, self.sport, self.dst, self.dport, flag_str(self.flags), self.seq,
            self.ack if self.flags & ACK else 0, self.len)


def read(pcap):
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,",
         "-e", "ip.src", "-e", "tcp.srcport", "-e", "ip.dst", "-e", "tcp.dstport",
         "-e", "tcp.flags", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw", "-e", "tcp.len",
         "-e", "ip.dsfield.ecn"],
        capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        sys.exit("wirecheck: tshark failed: " + out.stderr)
    return [Seg(*line.split(",")) for line in out.stdout.splitlines() if line]


class Checker:
    def __init__(self):
        self.failed = False

    def expect(self, cond, what, seg=None):
        print("%s %s%s" % ("ok  " if cond else "FAIL", what, "" if seg is None else ": " + str(seg)))
        if not cond:
            self.failed = True
        return cond


def main():
    p = argparse.ArgumentParser()
    p.add_argument("pcap")
    p.add_argument("--port", type=int, required=True, help="the listening side's port")
    p.add_argument("--opener", required=True, help="address that must send the SYN")
    p.add_argument("--closer", required=True, help="address that must send the first FIN")
    p.add_argument("--nth", type=int, default=1, help="check the Nth connection to the port")
    p.add_argument("--allow-fin-ack", action="store_true",
                   help="accept the first FIN's ACK on the second FIN (when nothing delays it)")
    a = p.parse_args()

    segs = read(a.pcap)
    syns = [s for s in segs if s.flags & SYN and not s.flags & ACK and s.dport == a.port]
    if len(syns) < a.nth:
        sys.exit("wirecheck: no SYN number %d to port %d in %s" % (a.nth, a.port, a.pcap))
    first = syns[a.nth - 1]
    ends = {(first.src, first.sport), (first.dst, first.dport)}
    # One incarnation of the 4-tuple: from its SYN to the next SYN on it.
    start = segs.index(first)
    conn = [first]
    for s in segs[start + 1:]:
        if {(s.src, s.sport), (s.dst, s.dport)} != ends:
            continue
        if s.flags & SYN and not s.flags & ACK and s.seq != first.seq:
            break
        conn.append(s)
    opener, passive = first.src, first.dst
    closer = a.closer
    other = passive if closer == opener else opener
    c = Checker()
    print("connection %s:%d > %s:%d, %d segments" %
          (first.src, first.sport, first.dst, first.dport, len(conn)))

    # RFC 9293 3.5: SYN (seq x); SYN,ACK (seq y, ack x+1); ACK (seq x+1, ack y+1).
    c.expect(opener == a.opener, "the SYN comes from %s" % a.opener, first)
    # A SYN or SYN,ACK sent again unchanged is a retransmission (a slow
    # peer on a busy machine): told, then left out of the relations.
    hs, seen = [], set()
    for s in conn:
        key = (s.src, s.flags, s.seq)
        if s.flags & SYN and key in seen:
            print("     (retransmitted: %s)" % s)
            continue
        seen.add(key)
        hs.append(s)
    if not c.expect(len(hs) >= 3, "at least 3 segments"):
        return 1
    s0, s1, s2 = hs[0], hs[1], hs[2]
    x = s0.seq
    c.expect(s0.flags & (SYN | ACK | FIN | RST) == SYN and s0.len == 0,
             "1: SYN alone", s0)
    y = s1.seq
    c.expect(s1.frm(passive) and s1.flags & (SYN | ACK | FIN | RST) == SYN | ACK and
             s1.ack == (x + 1) % MOD and s1.len == 0, "2: SYN,ACK with ack = x+1", s1)
    c.expect(s2.frm(opener) and s2.flags & (SYN | ACK | FIN | RST) == ACK and
             s2.seq == (x + 1) % MOD and s2.ack == (y + 1) % MOD, "3: ACK with seq = x+1, ack = y+1",
             s2)
    # RFC 3168 6.1.1: ECE in a SYN,ACK only answers an ECN-setup SYN (ECE
    # and CWR) from a host that does ECN. synack does not: whoever opens,
    # the SYN,ACK has no ECE and no segment carries an ECT codepoint.
    if s0.flags & (ECE | CWR) == ECE | CWR:
        print("     (an ECN-setup SYN)")
    c.expect(not s1.flags & ECE, "2: no ECE in the SYN,ACK: ECN is not negotiated", s1)
    c.expect(all(s.ecn == 0 for s in conn), "no segment carries an ECT codepoint (RFC 3168 5)")
    c.expect(not any(s.flags & SYN for s in hs[3:]), "no SYN after the handshake")
    c.expect(not any(s.flags & RST for s in conn), "no RST in the connection")

    # RFC 9293 3.6 figure 12: FIN (seq u); ACK (ack u+1); FIN (seq v);
    # ACK (seq u+1, ack v+1). u counts the FIN segment's data.
    # A FIN sent again with the same sequence number is a retransmission
    # (the kernel's tail loss probe fires after a few ms when the machine is
    # busy): legal, and told, not counted as another FIN.
    fins = [i for i, s in enumerate(conn) if s.flags & FIN]
    if not c.expect(len(fins) >= 2, "two FINs in the connection"):
        return 1
    i1 = fins[0]
    f1 = conn[i1]
    c.expect(f1.frm(closer), "4: the first FIN comes from %s" % closer, f1)
    u = (f1.seq + f1.len) % MOD

    def again(s, fin):
        return s.flags & FIN and s.src == fin.src and s.seq == fin.seq and s.len == fin.len

    rest = conn[i1 + 1:]
    n1 = sum(1 for s in rest if again(s, f1))
    if n1:
        print("     (the first FIN was sent %d more time%s)" % (n1, "s" if n1 > 1 else ""))
    acks1 = [s for s in rest if s.frm(other) and s.ack == (u + 1) % MOD]
    if not c.expect(acks1, "an ACK of the first FIN (ack = u+1 = %d)" % ((u + 1) % MOD)):
        return 1
    a1 = acks1[0]
    if a.allow_fin_ack and a1.flags & FIN:
        # The second side closed before its ACK of the first FIN went out:
        # the ACK rides on its FIN (RFC 9293 3.6), a legal three-segment close.
        print("     (the first FIN's ACK rides on the second FIN)")
    else:
        c.expect(a1.flags & ACK and not a1.flags & (FIN | SYN | RST),
                 "5: the first FIN is acknowledged by a segment of its own (four-way, not FIN,ACK)",
                 a1)
    f2s = [s for s in rest if s.frm(other) and s.flags & FIN]
    if not c.expect(f2s, "a FIN from %s" % other):
        return 1
    f2 = f2s[0]
    c.expect(all(again(s, f2) for s in f2s[1:]),
             "%s sends one FIN (%d retransmission%s of it)" %
             (other, len(f2s) - 1, "" if len(f2s) == 2 else "s"))
    v = (f2.seq + f2.len) % MOD
    c.expect(f2.ack == (u + 1) % MOD, "6: the second FIN (seq v = %d) carries ack = u+1" % v, f2)
    c.expect(rest.index(f2) >= rest.index(a1), "the second FIN does not precede the first's ACK")
    after = rest[rest.index(f2) + 1:]
    mine = [s for s in after if s.frm(closer) and not again(s, f1)]
    if not c.expect(mine, "a segment from %s after the second FIN" % closer):
        return 1
    a2 = mine[0]
    c.expect(a2.flags & (SYN | ACK | FIN | RST) == ACK and a2.len == 0 and a2.seq == (u + 1) % MOD and
             a2.ack == (v + 1) % MOD, "7: the last ACK has seq = u+1, ack = v+1", a2)
    c.expect(all(s.flags & (SYN | ACK | FIN | RST) == ACK and s.len == 0 and
                 s.seq == (u + 1) % MOD and s.ack == (v + 1) % MOD for s in mine[1:]),
             "any later segment from %s is the same ACK again (%d)" % (closer, len(mine) - 1))
    c.expect(all(s.seq == (u + 1) % MOD and s.len == 0 for s in rest
                 if s.frm(closer) and not again(s, f1)),
             "%s sends no data after its FIN" % closer)
    c.expect(all(again(s, f2) for s in after if s.frm(other)),
             "%s sends nothing after its FIN but that FIN again" % other)
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
