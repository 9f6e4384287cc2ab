#!/usr/bin/env bash
# Captures Linux kernel TCP connections for the ladder golden tests:
# tests/golden/ladder_linux_<name>.pcap, each made in a fresh network
# namespace (unshare -n, only lo) with tcpdump, so nothing else is on the
# wire. Needs root (or unprivileged user namespaces), tcpdump and python3;
# editcap (tshark's) for the pcapng copy. The captures are committed: their
# ladders are deterministic, the captures themselves are not (ports, ISNs).
# Usage: tests/golden/linux/capture.sh [OUTDIR [SCENARIO...]]
#   (default: tests/golden, all of normal refused reset half_close several)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/..}
out=$(cd "$out" && pwd)
shift || true
scenarios=${*:-normal refused reset half_close several}
for s in $scenarios; do
    unshare -n bash -c '
        set -eu
        ip link set lo up
        tcpdump -i lo -U --immediate-mode -Z root -n -s 256 --time-stamp-precision=nano -w "$1" tcp 2>/dev/null &
        pid=$!
        sleep 1
        python3 "$2" "$3"
        sleep 1
        kill $pid
        wait $pid || true
    ' capture "$out/ladder_linux_$s.pcap" "$here/scenario.py" "$s"
    echo "wrote $out/ladder_linux_$s.pcap"
done
if [[ " $scenarios " == *" half_close "* ]] && command -v editcap >/dev/null; then
    editcap -F pcapng "$out/ladder_linux_half_close.pcap" "$out/ladder_linux_half_close_ng.pcapng"
    echo "wrote $out/ladder_linux_half_close_ng.pcapng"
fi
