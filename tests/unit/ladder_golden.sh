#!/usr/bin/env bash
# synack ladder: every capture tests/golden/ladder_<name>.pcap (made by
# synack demo --pcap, or by scripts/capture-linux-ladders.sh from Linux
# kernel connections) against tests/golden/ladder_<name>.txt: the --list
# output, then the ladder with the inferred states. A diff on failure;
# SYNACK_UPDATE_GOLDEN=1 rewrites the .txt files (read each difference
# first). Also: the states inferred from a demo's capture are the states
# the demo's stacks traced, and broken or empty captures give a clear
# error, never a crash.
set -u
bin=${SYNACK_BIN:?SYNACK_BIN not set}
src=${SYNACK_SOURCE_DIR:?SYNACK_SOURCE_DIR not set}
golden=$src/tests/golden
out_dir=${SYNACK_TEST_OUT:-/tmp}/ladder_golden
mkdir -p "$out_dir"
fail=0

if ! "$bin" help ladder >/dev/null 2>&1; then
    echo "SKIP: this synack was built without libpcap (apt-get install libpcap-dev): no synack ladder"
    exit 77
fi

n=0
for cap in "$golden"/ladder_*.pcap "$golden"/ladder_*.pcapng; do
    [ -e "$cap" ] || continue
    n=$((n + 1))
    base=${cap%.*}
    name=$(basename "$base")
    want=$base.txt
    got=$out_dir/$name.txt
    {
        "$bin" ladder --list "$cap" && echo && "$bin" ladder "$cap"
    } >"$got" 2>"$out_dir/err"
    status=$?
    if [ "$status" -ne 0 ] || [ -s "$out_dir/err" ]; then
        echo "FAIL $name: synack ladder exited $status"
        cat "$out_dir/err"
        fail=1
        continue
    fi
    if [ "${SYNACK_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$got" "$want"
        echo "updated $name"
    elif [ ! -f "$want" ]; then
        echo "FAIL $name: no golden file $want (SYNACK_UPDATE_GOLDEN=1 writes it)"
        fail=1
    elif ! diff -u "$want" "$got"; then
        echo "FAIL $name: synack ladder $cap differs from $want"
        fail=1
    else
        echo "ok   $name"
    fi
done
if [ "$n" -lt 17 ]; then
    echo "FAIL only $n captures under $golden"
    fail=1
fi

# The textbook close, from the golden of a normal connection: the closing
# side passes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; the other CLOSE-WAIT,
# LAST-ACK, CLOSED; the opener SYN-SENT then ESTABLISHED; the listener
# LISTEN, SYN-RCVD, ESTABLISHED.
# states FILE SIDE: the states of one column (0 left, 1 right), one a line.
states() {
    awk -v side="$2" '
        BEGIN { re = "^([A-Z][A-Z12-]*[A-Z12]|[?])$" }
        /^connection / || /^ *[(#]/ { next }
        {
            if (side == 0 && $0 ~ /^[^ ]/ && $1 ~ re) print $1
            if (side == 1 && NF > 1 - ($0 ~ /^ /) && $NF ~ re) print $NF
        }' "$1"
}
textbook=$golden/ladder_linux_normal.txt
if [ -f "$textbook" ]; then
    sed -n '/^connection 1:/,$p' "$textbook" >"$out_dir/normal_ladder"
    left=$(states "$out_dir/normal_ladder" 0 | tr '\n' ' ')
    right=$(states "$out_dir/normal_ladder" 1 | tr '\n' ' ')
    want_left="CLOSED SYN-SENT ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT "
    want_right="LISTEN SYN-RCVD ESTABLISHED CLOSE-WAIT LAST-ACK CLOSED "
    if [ "$left" = "$want_left" ] && [ "$right" = "$want_right" ]; then
        echo "ok   textbook states of a Linux connection"
    else
        echo "FAIL textbook states: client '$left' (want '$want_left'), server '$right' (want '$want_right')"
        fail=1
    fi
fi

# A capture that starts mid-connection: both sides unknown until the FINs
# tell them (the client FIN-WAIT-1, the server CLOSE-WAIT).
mid=$golden/ladder_linux_midconn.txt
if [ -f "$mid" ]; then
    sed -n '/^connection 1:/,$p' "$mid" >"$out_dir/mid_ladder"
    left=$(states "$out_dir/mid_ladder" 0 | tr '\n' ' ')
    right=$(states "$out_dir/mid_ladder" 1 | tr '\n' ' ')
    if [ "$left" = "? FIN-WAIT-1 FIN-WAIT-2 TIME-WAIT " ] &&
        [ "$right" = "? CLOSE-WAIT LAST-ACK CLOSED " ]; then
        echo "ok   mid-connection: unknown until the FINs"
    else
        echo "FAIL mid-connection states: '$left' | '$right'"
        fail=1
    fi
fi

# Inference against the truth: the demo's stacks trace their states; the
# ladder of the demo's capture infers them from the segments. They agree,
# except the demo's CLOSED at the end of TIME-WAIT (a timer, not on the wire).
for opt in "" --simultaneous-open --simultaneous-close --server-closes-first --reset; do
    "$bin" demo $opt --pcap "$out_dir/x.pcap" >"$out_dir/demo.txt" 2>&1
    "$bin" ladder "$out_dir/x.pcap" | tail -n +3 >"$out_dir/inferred.txt"
    head -n -2 "$out_dir/demo.txt" | grep -v '^ *(' >"$out_dir/traced.txt"
    t0=$(states "$out_dir/traced.txt" 0 | tr '\n' ' ' | sed 's/ $//; s/TIME-WAIT CLOSED$/TIME-WAIT/')
    t1=$(states "$out_dir/traced.txt" 1 | tr '\n' ' ' | sed 's/ $//; s/TIME-WAIT CLOSED$/TIME-WAIT/')
    i0=$(states "$out_dir/inferred.txt" 0 | tr '\n' ' ' | sed 's/ $//')
    i1=$(states "$out_dir/inferred.txt" 1 | tr '\n' ' ' | sed 's/ $//')
    # In a simultaneous open either side may be drawn on the left.
    if ! { [ "$t0" = "$i0" ] && [ "$t1" = "$i1" ]; } &&
        ! { [ "$t0" = "$i1" ] && [ "$t1" = "$i0" ]; }; then
        echo "FAIL demo ${opt:-(default)}: traced '$t0' | '$t1', inferred '$i0' | '$i1'"
        fail=1
    fi
done
[ "$fail" -eq 0 ] && echo "ok   inferred states match the demo's traced states"

# Bad input: a clear message and exit 1, never a crash.
expect_fail() { # NAME PATTERN FILE
    "$bin" ladder "$3" >"$out_dir/out" 2>"$out_dir/err"
    local st=$?
    if [ "$st" -ne 1 ] || ! grep -q -- "$2" "$out_dir/err"; then
        echo "FAIL $1: exit $st, stderr:"
        cat "$out_dir/err"
        fail=1
    else
        echo "ok   $1"
    fi
}
expect_fail "missing file" "cannot read" "$out_dir/does-not-exist.pcap"
printf 'this is not a capture\n' >"$out_dir/text.pcap"
expect_fail "not a capture" "cannot read" "$out_dir/text.pcap"
"$bin" ping --count 2 --pcap "$out_dir/ping.pcap" >/dev/null 2>&1
expect_fail "no TCP in a ping capture" "no TCP connections found" "$out_dir/ping.pcap"
# Cut a capture in the middle of a record: what was read is drawn, with a warning.
cap=$golden/ladder_synack_default.pcap
head -c $(($(stat -c %s "$cap") - 30)) "$cap" >"$out_dir/cut.pcap"
"$bin" ladder "$out_dir/cut.pcap" >"$out_dir/out" 2>"$out_dir/err"
st=$?
if [ "$st" -ne 0 ] || ! grep -q "stopped early\|truncated" "$out_dir/err" ||
    ! grep -q "SYN-SENT" "$out_dir/out"; then
    echo "FAIL cut capture: exit $st"
    cat "$out_dir/err"
    fail=1
else
    echo "ok   cut capture drawn up to the cut, with a warning"
fi

# The SVG of the normal Linux connection, byte for byte.
svg_want=$golden/ladder_linux_normal.svg
"$bin" ladder --format svg "$golden/ladder_linux_normal.pcap" >"$out_dir/normal.svg"
if [ "${SYNACK_UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$out_dir/normal.svg" "$svg_want"
    echo "updated ladder_linux_normal.svg"
elif ! diff -u "$svg_want" "$out_dir/normal.svg"; then
    echo "FAIL the SVG of ladder_linux_normal.pcap differs from $svg_want"
    fail=1
else
    echo "ok   ladder_linux_normal.svg"
fi

# --max 4: the first two and the last two segments, the middle on one
# marked line that shows the last state each side entered there.
"$bin" ladder --max 4 "$golden/ladder_synack_loss.pcap" >"$out_dir/max.txt"
arrows=$(grep -c -- '-->\|<--' "$out_dir/max.txt")
if [ "$arrows" -ne 4 ] || ! grep -q "(... 12 segments not shown (--max) ...)" "$out_dir/max.txt" ||
    ! grep -q "^TIME-WAIT .*not shown.* LAST-ACK$" "$out_dir/max.txt"; then
    echo "FAIL --max 4:"
    cat "$out_dir/max.txt"
    fail=1
else
    echo "ok   --max elides the middle on a marked line"
fi

# Mangled captures (bytes flipped, records cut) never crash the reader:
# exit 0 or 1, and a message when 1.
if command -v python3 >/dev/null; then
    python3 - "$golden" "$out_dir/mut" <<'PY'
import os, random, sys
golden, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = random.Random(7)
caps = sorted(f for f in os.listdir(golden) if f.startswith("ladder_") and ".pcap" in f)
k = 0
for f in caps:
    data = open(os.path.join(golden, f), "rb").read()
    for _ in range(25):
        b = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            i = rng.randrange(len(b))
            b[i] = rng.randrange(256)
        if rng.random() < 0.3:
            b = b[: rng.randrange(len(b))]
        open(os.path.join(out, "m%03d.pcap" % k), "wb").write(bytes(b))
        k += 1
PY
    crashed=0
    for m in "$out_dir"/mut/m*.pcap; do
        "$bin" ladder "$m" >/dev/null 2>"$out_dir/err"
        st=$?
        if [ "$st" -gt 1 ] || { [ "$st" -eq 1 ] && [ ! -s "$out_dir/err" ]; }; then
            echo "FAIL $m: exit $st"
            cat "$out_dir/err"
            crashed=1
        fi
        "$bin" ladder --format html "$m" >/dev/null 2>&1
        [ $? -gt 1 ] && { echo "FAIL $m (html) crashed"; crashed=1; }
    done
    [ "$crashed" -eq 0 ] && echo "ok   $(ls "$out_dir"/mut | wc -l) mangled captures: no crash"
    [ "$crashed" -eq 0 ] || fail=1
fi

# Selection: --conn and --port.
"$bin" ladder --conn 2 "$cap" >/dev/null 2>"$out_dir/err"
[ $? -eq 1 ] && grep -q "no connection matches" "$out_dir/err" ||
    { echo "FAIL --conn 2 of a one-connection capture"; fail=1; }
"$bin" ladder --port 80 "$cap" | grep -q "^connection 1:" ||
    { echo "FAIL --port 80"; fail=1; }
"$bin" ladder --bogus "$cap" >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL unknown option: want exit 2"; fail=1; }

exit $fail
