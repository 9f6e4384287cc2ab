#!/usr/bin/env bash
# synack ladder's analysis flags against Wireshark's: for every golden
# capture of one connection, the segments synack ladder marks as
# retransmission, duplicate ACK, zero window and window update are
# exactly the ones tshark's TCP analysis marks (tcp.analysis.*).
set -u
bin=${SYNACK_BIN:?SYNACK_BIN not set}
src=${SYNACK_SOURCE_DIR:?SYNACK_SOURCE_DIR not set}
out_dir=${SYNACK_TEST_OUT:-/tmp}/ladder_tshark
mkdir -p "$out_dir"
fail=0

if ! "$bin" help ladder >/dev/null 2>&1; then
    echo "SKIP: this synack was built without libpcap: no synack ladder"
    exit 77
fi
if ! command -v tshark >/dev/null; then
    echo "SKIP: tshark is not installed (apt-get install tshark): nothing to compare with"
    exit 77
fi

# ours FILE WORD: the 1-based indexes, among the arrows, of those whose
# label says WORD.
ours() {
    grep -E -- '-->|<--' "$1" | awk -v w="$2" 'index($0, w) { print NR }' | tr '\n' ' '
}
# theirs CAP FILTER: the same indexes, among the TCP frames, per tshark.
# One deliberate difference: in a simultaneous open, the SYN,ACK that
# follows a side's own SYN repeats its sequence number as the next step of
# the handshake (RFC 9293 Figure 8); tshark calls it a retransmission,
# synack ladder does not.
theirs() {
    tshark -r "$1" -Y tcp -T fields -e "$2" -e tcp.flags.syn -e tcp.flags.ack -e tcp.srcport \
        2>/dev/null | awk -F'\t' '
        { n++; syn = ($2 == "1" || $2 == "True"); ack = ($3 == "1" || $3 == "True") }
        syn && ack && sawsyn[$4] && !sawsynack[$4] { sawsynack[$4] = 1; next }
        syn && ack { sawsynack[$4] = 1 }
        syn && !ack { sawsyn[$4] = 1 }
        $1 != "" { print n }' | tr '\n' ' '
}

checked=0
for cap in "$src"/tests/golden/ladder_*.pcap*; do
    name=$(basename "$cap")
    [ "$("$bin" ladder --list "$cap" | wc -l)" -eq 2 ] || continue # one connection only
    "$bin" ladder "$cap" >"$out_dir/$name.txt" 2>/dev/null || continue
    for pair in "retransmission|tcp.analysis.retransmission" \
        "dup ACK|tcp.analysis.duplicate_ack" \
        "zero window|tcp.analysis.zero_window" \
        "window update|tcp.analysis.window_update"; do
        word=${pair%%|*}
        field=${pair#*|}
        o=$(ours "$out_dir/$name.txt" "($word" | sed 's/ $//')
        [ -n "$o" ] || o=$(ours "$out_dir/$name.txt" ", $word" | sed 's/ $//')
        t=$(theirs "$cap" "$field" | sed 's/ $//')
        if [ "$o" != "$t" ]; then
            echo "FAIL $name $word: synack ladder marks [$o], tshark [$t]"
            fail=1
        fi
    done
    # The duplicate ACKs' numbers, in order.
    o=$(grep -oE 'dup ACK #[0-9]+' "$out_dir/$name.txt" | tr -dc '0-9\n' | tr '\n' ' ')
    t=$(tshark -r "$cap" -Y tcp.analysis.duplicate_ack -T fields -e tcp.analysis.duplicate_ack_num \
        2>/dev/null | tr '\n' ' ')
    if [ "$o" != "$t" ]; then
        echo "FAIL $name: duplicate ACK numbers [$o], tshark [$t]"
        fail=1
    fi
    checked=$((checked + 1))
done
if [ "$checked" -lt 10 ]; then
    echo "FAIL only $checked captures compared"
    fail=1
fi
[ "$fail" -eq 0 ] && echo "ok   $checked captures: the same analysis flags as tshark"
exit $fail
