#!/usr/bin/env bash
# synack sim: bad arguments (exit 2 with a message), the JSON summary parses
# and its SHA-256 of the sent data equals one computed here from the data
# generator's definition, received equals sent under impairments, the same
# seed prints the same figures, a flow that cannot finish exits 1, --pcap.
set -u
# shellcheck source=lib/cli.bash
source "$(dirname "$0")/lib/cli.bash"
cli_test_init cli_sim
if ! command -v python3 >/dev/null; then
    echo "skip: python3 is needed to parse the JSON summary"
    exit 77
fi

# json NAME PYTHON: runs PYTHON with `d` the JSON in $out; it fails by assert.
json() {
    local name=$1
    if ! python3 -c "
import json, sys
d = json.load(open('$out'))
$2
" 2>"$out_dir/py.err"; then
        echo "FAIL $name:"
        cat "$out_dir/py.err"
        fail=1
    fi
}

# The sender's SHA-256 against the generator's definition (cmd_sim.c
# flow_data: byte i of flow k is byte i%8 of splitmix64(key ^ i/8), with
# key = splitmix64(seed) ^ k<<48), computed with Python's hashlib.
check "clean link, JSON" 0 "$bin" sim --bytes 100K --flows 2 --seed 3 --json
json "JSON of a clean run" "
import hashlib
M = (1 << 64) - 1
def mix(z):
    z = (z + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
def data(seed, k, n):
    key = mix(seed) ^ (k << 48)
    return b''.join(mix(key ^ i).to_bytes(8, 'little') for i in range((n + 7) // 8))[:n]
assert d['config']['bytes'] == 102400 and d['config']['flows'] == 2, d['config']
assert len(d['flows']) == 2
for k, f in enumerate(d['flows']):
    want = hashlib.sha256(data(3, k, 102400)).hexdigest()
    assert f['flow'] == k + 1
    assert f['sha256_sent'] == want, (k, f['sha256_sent'], want)
    assert f['sha256_received'] == want, (k, f['sha256_received'])
    assert f['match'] is True and f['status'] == 'ok' and f['error'] is None
    assert f['sent'] == f['received'] == 102400
    assert f['retransmits'] == 0
    assert f['duration_ns'] > 0 and f['goodput_bps'] > 0
    # Nothing goes faster than the link (100 Mbit/s by default).
    assert 0 < f['goodput_mbit'] <= 100 and 0 < f['goodput_tail_mbit'] <= 100, f
    assert abs(f['goodput_bps'] - f['received'] * 8e9 / f['duration_ns']) <= 1, f
assert d['flows'][0]['sha256_sent'] != d['flows'][1]['sha256_sent']
assert d['total']['received'] == 204800 and d['total']['match'] is True
assert d['link']['lost'] == 0
assert d['sender_stack']['tcp_retransmits'] == 0
"

# Impairments in both directions: data still arrives whole (SHA match),
# and the wire saw retransmissions, corrupted frames and checksum drops.
check "impaired link" 0 "$bin" sim --bytes 200K --loss 3% --reorder 2% --dup 2% --corrupt 2% \
    --jitter 2 --rto-min 200 --seed 5 --json
cp "$out" "$out_dir/impaired.json"
json "JSON of an impaired run" "
f = d['flows'][0]
assert f['match'] is True and f['sha256_sent'] == f['sha256_received'], f
assert f['received'] == 204800
assert f['retransmits'] > 0 and f['retransmitted_bytes'] > 0
assert d['link']['lost'] > 0 and d['link']['corrupted'] > 0
assert d['link']['duplicated'] > 0 and d['link']['reordered'] > 0
drops = sum(s['tcp_drop_checksum'] + s['ip_drop_checksum'] + s['eth_drop_short']
            for s in (d['sender_stack'], d['receiver_stack']))
assert drops > 0, drops
"
check "impaired link again" 0 "$bin" sim --bytes 200K --loss 3% --reorder 2% --dup 2% \
    --corrupt 2% --jitter 2 --rto-min 200 --seed 5 --json
if ! cmp -s "$out" "$out_dir/impaired.json"; then
    echo "FAIL same seed, different output"
    diff "$out_dir/impaired.json" "$out" | head
    fail=1
fi
check "impaired link, other seed" 0 "$bin" sim --bytes 200K --loss 3% --reorder 2% --dup 2% \
    --corrupt 2% --jitter 2 --rto-min 200 --seed 6 --json
if cmp -s "$out" "$out_dir/impaired.json"; then
    echo "FAIL seeds 5 and 6 print the same"
    fail=1
fi

# The lines: one per flow and a total, each saying the SHA-256 matched.
check "lines" 0 "$bin" sim --bytes 64K --flows 3 --rate 10 --queue 100
if [ "$(grep -c '^flow [123]: 65536/65536 bytes in .* sha256 ok [0-9a-f]\{64\}$' "$out")" != 3 ]; then
    echo "FAIL flow lines:"
    cat "$out"
    fail=1
fi
grep -q "^total: 196608 bytes in .*, all match$" "$out" || {
    echo "FAIL total line:"
    cat "$out"
    fail=1
}

# Nothing gets through: the connection times out, the flow is reported
# as an error and the exit status is 1.
check "all lost exits 1" 1 "$bin" sim --bytes 1K --loss 100%
grep -q "^flow 1: 0/1024 bytes .* sha256 error .*(sender: TIMEDOUT)$" "$out" || {
    echo "FAIL all lost line:"
    cat "$out"
    fail=1
}
grep -q "NOT ALL MATCH" "$out" || {
    echo "FAIL all lost total"
    fail=1
}

check "pcap written" 0 "$bin" sim --bytes 10K --pcap "$out_dir/sim.pcap"
magic=$(head -c 4 "$out_dir/sim.pcap" | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "4d3cb2a1" ]; then
    echo "FAIL pcap magic '$magic'"
    fail=1
fi
check "pcap unwritable exits 1" 1 "$bin" sim --bytes 1K --pcap /nonexistent-dir/x.pcap
grep -q "cannot write /nonexistent-dir/x.pcap" "$err" || {
    echo "FAIL unwritable pcap message"
    fail=1
}

# The options each SYN offers (RFC 9293 3.1 option kinds: 2 MSS, 3 window
# scale, 4 SACK permitted, 8 timestamps), read from the capture.
syn_options() { # syn_options PCAP: the option kinds of each SYN, one line each
    python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], 'rb')
f.read(24)
while True:
    h = f.read(16)
    if len(h) < 16:
        break
    incl = struct.unpack('<IIII', h)[2]
    d = f.read(incl)
    if d[12:14] != b'\x08\x00' or d[23] != 6:
        continue
    t = d[14 + (d[14] & 15) * 4:]
    if not t[13] & 0x02:
        continue
    opts, kinds, i = t[20:(t[12] >> 4) * 4], [], 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        kinds.append(opts[i])
        i += opts[i + 1]
    print(' '.join(str(k) for k in sorted(kinds)))
PY
}
check "options offered" 0 "$bin" sim --bytes 10K --pcap "$out_dir/opts.pcap"
if [ "$(syn_options "$out_dir/opts.pcap" | sort -u)" != "2 3 4 8" ]; then
    echo "FAIL SYNs by default offer: $(syn_options "$out_dir/opts.pcap" | tr '\n' ';')"
    fail=1
fi
check "options not offered" 0 "$bin" sim --bytes 10K --no-sack --no-timestamps \
    --no-window-scaling --pcap "$out_dir/noopts.pcap"
if [ "$(syn_options "$out_dir/noopts.pcap" | sort -u)" != "2" ]; then
    echo "FAIL SYNs with --no-*: $(syn_options "$out_dir/noopts.pcap" | tr '\n' ';')"
    fail=1
fi
check "no SACK only" 0 "$bin" sim --bytes 10K --no-sack --pcap "$out_dir/nosack.pcap"
if [ "$(syn_options "$out_dir/nosack.pcap" | sort -u)" != "2 3 8" ]; then
    echo "FAIL SYNs with --no-sack: $(syn_options "$out_dir/nosack.pcap" | tr '\n' ';')"
    fail=1
fi
grep -q "^sim: .*, no SACK$" "$out" || {
    echo "FAIL --no-sack not in the first line"
    fail=1
}

check "help sim" 0 "$bin" help sim
grep -q "^usage: synack sim" "$out" || {
    echo "FAIL help sim prints usage"
    fail=1
}

bad() { # bad NAME MESSAGE ARGS...: exit 2, MESSAGE and the usage on stderr
    local name=$1 msg=$2
    shift 2
    check "$name exits 2" 2 "$bin" sim "$@"
    grep -qF -- "$msg" "$err" || {
        echo "FAIL $name: no '$msg' in stderr"
        cat "$err"
        fail=1
    }
    grep -q "^usage: synack sim" "$err" || {
        echo "FAIL $name: no usage"
        fail=1
    }
    if [ -s "$out" ]; then
        echo "FAIL $name: printed on stdout"
        fail=1
    fi
}
bad "bytes 0" "bad value '0' for --bytes" --bytes 0
bad "bytes suffix" "bad value '5X' for --bytes" --bytes 5X
bad "flows 0" "bad value '0' for --flows" --flows 0
bad "flows too many" "bad value '1001' for --flows" --flows=1001
bad "loss over 1" "bad value '1.5' for --loss" --loss 1.5
bad "loss percent over 100" "bad value '101%' for --loss" --loss 101%
bad "negative delay" "bad value '-1' for --delay" --delay -1
bad "jitter junk" "bad value 'x' for --jitter" --jitter x
bad "reorder over 1" "bad value '2' for --reorder" --reorder 2
bad "dup negative" "bad value '-0.1' for --dup" --dup -0.1
bad "corrupt junk" "bad value '1%%' for --corrupt" --corrupt 1%%
bad "negative rate" "bad value '-5' for --rate" --rate -5
bad "queue junk" "bad value '10p' for --queue" --queue 10p
bad "queue without rate" "--queue needs a link rate (--rate > 0)" --queue 10 --rate 0
bad "seed junk" "bad value 'abc' for --seed" --seed abc
bad "cc unknown" "bad value 'vegas' for --cc" --cc vegas
bad "rcvbuf the stack refuses" "the stack refuses these options: tcp_sndbuf/tcp_rcvbuf" \
    --rcvbuf 100
bad "rto-min zero" "bad value '0' for --rto-min" --rto-min 0
bad "missing value" "option --seed needs a value" --seed
bad "unknown option" "unknown option '--bogus'" --bogus
bad "extra argument" "unexpected argument 'extra'" extra
bad "flag with a value" "unknown option '--json=1'" --json=1

bad "rcvbuf over 64K without window scaling" "tcp_rcvbuf: must be <= 65535 without window scaling" \
    --rcvbuf 100K --no-window-scaling

# --cc reaches the stack: the JSON says which ran, and under loss the two
# algorithms move the same bytes in different times (RFC 9438 grows the
# window faster than Reno after a loss, RFC 9438 1).
check "cc newreno" 0 "$bin" sim --bytes 2M --loss 1% --delay 10 --rate 50 --rcvbuf 1M \
    --sndbuf 1M --cc newreno --json
json "cc newreno" 'assert d["config"]["cc"] == "newreno", d["config"]
assert d["total"]["match"]'
cp "$out" "$out_dir/newreno.json"
check "cc cubic" 0 "$bin" sim --bytes 2M --loss 1% --delay 10 --rate 50 --rcvbuf 1M \
    --sndbuf 1M --cc cubic --json
json "cc cubic" 'assert d["config"]["cc"] == "cubic", d["config"]
assert d["total"]["match"]
n = json.load(open("'"$out_dir/newreno.json"'"))
assert n["total"]["duration_ns"] != d["total"]["duration_ns"], "same run twice"'

exit "$fail"
