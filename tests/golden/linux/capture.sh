#!/usr/bin/env bash
# Captures Linux kernel TCP connections for the ladder golden tests:
# tests/golden/ladder_linux_<name>.pcap, each made in a fresh network
# namespace (unshare -n, only lo) with tcpdump, so nothing else is on the
# wire. Needs root (or unprivileged user namespaces), tcpdump and python3;
# editcap (tshark's) for the pcapng copy. The captures are committed: their
# ladders are deterministic, the captures themselves are not (ports, ISNs).
# The ladder_synack_*.pcap captures come from `synack demo --pcap FILE`
# with: default (no option), loss (--loss 0.2 --seed 59), loss_dupack
# (--loss 0.3 --seed 45), simultaneous_open, simultaneous_close,
# server_closes_first and reset (the option of that name); raw is made
# below from the default one.
# Usage: tests/golden/linux/capture.sh [OUTDIR [SCENARIO...]]
#   (default: tests/golden, all of normal refused reset half_close several)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/..}
out=$(cd "$out" && pwd)
shift || true
scenarios=${*:-normal refused reset half_close several normal6 normal_sll2 zero_window}
for s in $scenarios; do
    # normal_sll2: the normal scenario captured on "any", which tcpdump
    # writes as Linux cooked v2 (SLL2); normal6 runs over ::1.
    iface=lo
    run=$s
    if [ "$s" = normal_sll2 ]; then
        iface=any
        run=normal
    fi
    unshare -n bash -c '
        set -eu
        ip link set lo up
        tcpdump -i "$4" -U --immediate-mode -Z root -n -s 256 --time-stamp-precision=nano -w "$1" tcp 2>/dev/null &
        pid=$!
        sleep 1
        python3 "$2" "$3"
        sleep 1
        kill $pid
        wait $pid || true
    ' capture "$out/ladder_linux_$s.pcap" "$here/scenario.py" "$run" "$iface"
    echo "wrote $out/ladder_linux_$s.pcap"
done
if [[ " $scenarios " == *" half_close "* ]] && command -v editcap >/dev/null; then
    editcap -F pcapng "$out/ladder_linux_half_close.pcap" "$out/ladder_linux_half_close_ng.pcapng"
    echo "wrote $out/ladder_linux_half_close_ng.pcapng"
fi
# A capture that starts mid-connection (after the handshake and the
# request) and one that misses only the first SYN: states unknown ("?")
# until the segments tell them.
if [[ " $scenarios " == *" half_close "* ]] && command -v editcap >/dev/null; then
    editcap -r "$out/ladder_linux_half_close.pcap" "$out/ladder_linux_midconn.pcap" 5-13
    editcap -r "$out/ladder_linux_half_close.pcap" "$out/ladder_linux_no_syn.pcap" 2-13
    echo "wrote $out/ladder_linux_midconn.pcap $out/ladder_linux_no_syn.pcap"
fi
# Raw IP (LINKTYPE_RAW, 101): synack's default demo capture without its
# Ethernet headers (and without ARP).
python3 - "$out/ladder_synack_default.pcap" "$out/ladder_synack_default_raw.pcap" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic = data[:4]
end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
hdr = bytearray(data[:24])
struct.pack_into(end + "I", hdr, 20, 101)
out = [bytes(hdr)]
off = 24
while off + 16 <= len(data):
    ts, tf, incl, orig = struct.unpack_from(end + "IIII", data, off)
    frame = data[off + 16: off + 16 + incl]
    off += 16 + incl
    if frame[12:14] != b"\x08\x00":
        continue
    ip = frame[14:]
    out.append(struct.pack(end + "IIII", ts, tf, len(ip), orig - 14) + ip)
open(dst, "wb").write(b"".join(out))
PY
echo "wrote $out/ladder_synack_default_raw.pcap"
