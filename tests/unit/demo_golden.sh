#!/usr/bin/env bash
# synack demo: the ladder of every option against its golden file in
# tests/golden/demo_<name>.txt (a diff on failure), determinism, exit
# statuses and --pcap. SYNACK_UPDATE_GOLDEN=1 rewrites the golden files
# instead of comparing: do that only after reading each difference and
# checking it is a legitimate change of the protocol, and say so in the
# commit.
set -u
bin=${SYNACK_BIN:?SYNACK_BIN not set}
src=${SYNACK_SOURCE_DIR:?SYNACK_SOURCE_DIR not set}
golden=$src/tests/golden
out_dir=${SYNACK_TEST_OUT:-/tmp}/demo_golden
mkdir -p "$out_dir"
fail=0

# name|arguments. Every option of the demo that changes the story has one.
cases=(
    "default|"
    "loss|--loss 0.2 --seed 59"
    "simultaneous_open|--simultaneous-open"
    "simultaneous_close|--simultaneous-close"
    "server_closes_first|--server-closes-first"
    "reset|--reset"
    "time_absolute|--time --absolute"
    "unicode|--unicode --no-color"
)

for c in "${cases[@]}"; do
    name=${c%%|*}
    args=${c#*|}
    want=$golden/demo_$name.txt
    got=$out_dir/demo_$name.txt
    # shellcheck disable=SC2086 # the arguments are words on purpose
    "$bin" demo $args >"$got" 2>"$out_dir/err"
    status=$?
    if [ "$status" -ne 0 ]; then
        echo "FAIL demo_$name: synack demo $args exited $status"
        cat "$out_dir/err"
        fail=1
        continue
    fi
    if [ -s "$out_dir/err" ]; then
        echo "FAIL demo_$name: unexpected stderr:"
        cat "$out_dir/err"
        fail=1
    fi
    if [ "${SYNACK_UPDATE_GOLDEN:-0}" = 1 ]; then
        cp "$got" "$want"
        echo "updated demo_$name ($want)"
        continue
    fi
    if [ ! -f "$want" ]; then
        echo "FAIL demo_$name: no golden file $want (SYNACK_UPDATE_GOLDEN=1 writes it)"
        fail=1
    elif ! diff -u "$want" "$got"; then
        echo "FAIL demo_$name: synack demo $args differs from $want"
        echo "     (if the change is a legitimate protocol change, rerun with SYNACK_UPDATE_GOLDEN=1)"
        fail=1
    else
        echo "ok   demo_$name"
    fi
done

# The README's picture is the default ladder (between its demo markers).
readme=$src/README.md
picture=$out_dir/readme_picture.txt
awk '/^<!-- demo:begin/ {inb=1; next} /^<!-- demo:end/ {inb=0} inb && !/^```/' "$readme" \
    >"$picture"
if [ "${SYNACK_UPDATE_GOLDEN:-0}" = 1 ]; then
    awk -v lad="$out_dir/demo_default.txt" '
        /^<!-- demo:begin/ {print; print "```"; while ((getline l < lad) > 0) print l;
                            print "```"; skip=1; next}
        /^<!-- demo:end/ {skip=0}
        !skip' "$readme" >"$out_dir/README.md" && cp "$out_dir/README.md" "$readme"
    echo "updated the README picture"
elif [ ! -s "$picture" ]; then
    echo "FAIL README.md has no demo picture between <!-- demo:begin --> and <!-- demo:end -->"
    fail=1
elif ! diff -u "$picture" "$out_dir/demo_default.txt"; then
    echo "FAIL README.md's picture is not what synack demo draws (SYNACK_UPDATE_GOLDEN=1)"
    fail=1
else
    echo "ok   README picture is synack demo's output"
fi

# The same seed draws the same ladder, byte for byte.
"$bin" demo --loss 0.3 --seed 7 >"$out_dir/a" 2>&1
"$bin" demo --loss 0.3 --seed 7 >"$out_dir/b" 2>&1
if cmp -s "$out_dir/a" "$out_dir/b"; then
    echo "ok   deterministic per seed"
else
    echo "FAIL two runs with --seed 7 differ:"
    diff -u "$out_dir/a" "$out_dir/b"
    fail=1
fi

# The default ladder says what the mission's textbook figure says: the
# handshake with relative numbers, the half-close, TIME-WAIT, CLOSED.
d=$out_dir/demo_default.txt
for line in \
    'SYN-SENT        --------- SYN Seq=0 Win=65535 <MSS=1460> ---------->  SYN-RCVD' \
    'ESTABLISHED     <---- SYN,ACK Seq=0 Ack=1 Win=65535 <MSS=1460> -----' \
    '                ----------------- ACK Seq=1 Ack=1 ----------------->  ESTABLISHED'; do
    if ! grep -qxF -- "$line" "$d"; then
        echo "FAIL default: no line '$line'"
        fail=1
    fi
done
for st in FIN-WAIT-1 FIN-WAIT-2 CLOSE-WAIT LAST-ACK TIME-WAIT; do
    grep -q -- "$st" "$d" || { echo "FAIL default: no $st"; fail=1; }
done
[ "$(tail -n 3 "$d" | head -n 1)" = CLOSED ] ||
    { echo "FAIL default: the client does not end CLOSED"; fail=1; }

# Colour only when asked (stdout is not a terminal here).
"$bin" demo >"$out_dir/plain" 2>&1
if grep -q $'\033' "$out_dir/plain"; then
    echo "FAIL colour escapes in piped output"
    fail=1
fi
"$bin" demo --color >"$out_dir/color" 2>&1
if ! grep -q $'\033\\[' "$out_dir/color"; then
    echo "FAIL --color printed no escapes"
    fail=1
fi

# --pcap writes the capture: a pcap global header, then the frames.
rm -f "$out_dir/demo.pcap"
"$bin" demo --pcap "$out_dir/demo.pcap" >/dev/null 2>&1
magic=$(od -An -tx1 -N4 "$out_dir/demo.pcap" 2>/dev/null | tr -d ' ')
if [ "$magic" = d4c3b2a1 ] || [ "$magic" = 4d3cb2a1 ]; then
    echo "ok   --pcap writes a pcap file"
else
    echo "FAIL --pcap: magic '$magic'"
    fail=1
fi

# Bad arguments: exit 2 with a message.
for bad in "--loss 1" "--loss x" "--seed" "--reset --simultaneous-close" "--bogus" "extra"; do
    # shellcheck disable=SC2086
    "$bin" demo $bad >/dev/null 2>"$out_dir/err"
    status=$?
    if [ "$status" -ne 2 ] || [ ! -s "$out_dir/err" ]; then
        echo "FAIL 'synack demo $bad': exit $status, want 2 with a message"
        fail=1
    fi
done

exit $fail
