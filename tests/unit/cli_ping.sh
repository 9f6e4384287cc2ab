#!/usr/bin/env bash
# synack ping: exact output on a clean link, loss and exit statuses, bad
# arguments (exit 2 with a message), determinism per seed, and --pcap.
set -u
# shellcheck source=lib/cli.bash
source "$(dirname "$0")/lib/cli.bash"
cli_test_init cli_ping

expect_line() { # expect_line FILE NAME LINE: FILE has exactly this line
    if ! grep -qxF -- "$3" "$1"; then
        echo "FAIL $2: no line '$3' in:"
        cat "$1"
        fail=1
    fi
}

# A clean link, 5 ms each way: ARP costs the first request one extra round
# trip (10 ms), every other reply takes exactly 10 ms of virtual time.
check "clean link exits 0" 0 "$bin" ping --count 3 --interval 1000 --delay 5
cat >"$out_dir/want" <<'EOF'
PING 10.0.0.2 from 10.0.0.1: 56 data bytes (memlink: loss 0%, delay 5 ms, seed 1)
64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=20.000 ms
64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=10.000 ms
64 bytes from 10.0.0.2: icmp_seq=3 ttl=64 time=10.000 ms

--- 10.0.0.2 ping statistics ---
3 packets transmitted, 3 received, 0% packet loss, time 2010ms
rtt min/avg/max/mdev = 10.000/13.333/20.000/4.714 ms
EOF
if ! diff -u "$out_dir/want" "$out"; then
    echo "FAIL clean link output"
    fail=1
fi

check "defaults exit 0" 0 "$bin" ping
expect_line "$out" "default count" "5 packets transmitted, 5 received, 0% packet loss, time 4010ms"

check "size, addresses" 0 "$bin" ping -c 1 -s 100 --src 192.168.7.9 --dst 192.168.7.1 --delay 1
expect_line "$out" "size and address" "108 bytes from 192.168.7.1: icmp_seq=1 ttl=64 time=4.000 ms"

check "all lost exits 1" 1 "$bin" ping -c 3 --loss 100% -W 100
expect_line "$out" "all lost summary" "3 packets transmitted, 0 received, 100% packet loss, time 2100ms"
if grep -q "bytes from" "$out"; then
    echo "FAIL all lost: a reply was printed"
    fail=1
fi

# Loss: some replies missing, the summary counts them, the same seed prints
# the same lines, another seed other lines.
check "lossy link" 0 "$bin" ping -c 40 -i 200 --loss 0.2 --jitter 3 --seed 7
cp "$out" "$out_dir/seed7a"
check "lossy link again" 0 "$bin" ping -c 40 -i 200 --loss 0.2 --jitter 3 --seed 7
if ! cmp -s "$out" "$out_dir/seed7a"; then
    echo "FAIL same seed, different output"
    diff -u "$out_dir/seed7a" "$out"
    fail=1
fi
check "lossy link, other seed" 0 "$bin" ping -c 40 -i 200 --loss 0.2 --jitter 3 --seed 8
if cmp -s "$out" "$out_dir/seed7a"; then
    echo "FAIL seeds 7 and 8 print the same"
    fail=1
fi
replies=$(grep -c "bytes from 10.0.0.2" "$out_dir/seed7a")
summary=$(grep "packets transmitted" "$out_dir/seed7a")
case "$summary" in
"40 packets transmitted, $replies received, "*) ;;
*)
    echo "FAIL summary '$summary' does not count $replies replies"
    fail=1
    ;;
esac
# Each request and each reply is lost with p = 0.2: about 64% come back.
if [ "$replies" -lt 15 ] || [ "$replies" -gt 38 ]; then
    echo "FAIL $replies of 40 replies with 20% loss each way"
    fail=1
fi

check "pcap written" 0 "$bin" ping -c 2 --pcap "$out_dir/ping.pcap"
magic=$(head -c 4 "$out_dir/ping.pcap" | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "4d3cb2a1" ]; then
    echo "FAIL pcap magic '$magic'"
    fail=1
fi
check "pcap unwritable exits 1" 1 "$bin" ping -c 1 --pcap /nonexistent-dir/x.pcap
grep -q "cannot write /nonexistent-dir/x.pcap" "$err" || {
    echo "FAIL unwritable pcap message"
    fail=1
}

check "help ping" 0 "$bin" help ping
grep -q "^usage: synack ping" "$out" || {
    echo "FAIL help ping prints usage"
    fail=1
}

bad() { # bad NAME MESSAGE ARGS...: exit 2, MESSAGE and the usage on stderr
    local name=$1 msg=$2
    shift 2
    check "$name exits 2" 2 "$bin" ping "$@"
    grep -qF -- "$msg" "$err" || {
        echo "FAIL $name: no '$msg' in stderr"
        cat "$err"
        fail=1
    }
    grep -q "^usage: synack ping" "$err" || {
        echo "FAIL $name: no usage"
        fail=1
    }
}
bad "count 0" "bad value '0' for --count" --count 0
bad "count junk" "bad value '5x' for --count" -c 5x
bad "count too big" "bad value '65536' for --count" --count=65536
bad "loss over 1" "bad value '1.5' for --loss" --loss 1.5
bad "negative delay" "bad value '-1' for --delay" --delay -1
bad "size too big" "bad value '1473' for --size" --size 1473
bad "bad address" "bad value '10.0.0.300' for --dst" --dst 10.0.0.300
bad "missing value" "option --seed needs a value" --seed
bad "unknown option" "unknown option '--bogus'" --bogus
bad "extra argument" "unexpected argument 'extra'" extra
bad "other subnet" "--src and --dst must be in the same /24" --dst 10.0.1.2
bad "same address" "--src and --dst must differ" --src 10.0.0.2

exit "$fail"
