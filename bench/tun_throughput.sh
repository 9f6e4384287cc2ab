#!/usr/bin/env bash
# Throughput of a 64 MiB HTTP transfer with synack on a TUN device, both
# directions, and the same transfer between two kernel endpoints over a
# veth pair, measured in the same run for comparison. A benchmark, not a
# test: it prints MB/s (10^6 bytes per second) and never fails on speed.
#
#   sudo bench/tun_throughput.sh [-n ROUNDS] [-s MIB] [SYNACK]
#
#   tun  kernel <- synack   curl fetches from `synack serve --http`
#   tun  synack <- kernel   `synack get` fetches from `python3 -m http.server`
#   veth kernel <- kernel   curl fetches from `python3 -m http.server` in a
#                           second namespace, over a veth pair
#
# curl's figure is its own (time_total: connect to last byte). `synack
# get`'s is the wall time of the whole command, which also creates the
# device: the same command fetching one byte is timed too and reported as
# the setup cost. Each figure is the median of ROUNDS (default 5), with the
# best. Needs root (network namespaces, TUN devices); runs in a namespace
# of its own and leaves nothing behind.
set -euo pipefail

rounds=5 mib=64
while getopts "n:s:h" opt; do
    case $opt in
    n) rounds=$OPTARG ;;
    s) mib=$OPTARG ;;
    *)
        sed -n '2,20p' "$0"
        exit 2
        ;;
    esac
done
shift $((OPTIND - 1))
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${SYNACK_BIN:-$here/../build/synack}}
bin=$(realpath "$bin")
[ -x "$bin" ] || { echo "tun_throughput: no synack program at $bin (build first)" >&2; exit 1; }
for t in unshare nsenter ip curl python3 ss timeout; do
    command -v "$t" >/dev/null || { echo "tun_throughput: $t is missing" >&2; exit 1; }
done

if [ -z "${SYNACK_BENCH_IN_NETNS:-}" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "tun_throughput: needs root (network namespaces, TUN devices)" >&2; exit 1; }
    export SYNACK_BENCH_IN_NETNS=1
    exec unshare -n -- bash "$0" -n "$rounds" -s "$mib" "$bin"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/synack-bench.XXXXXX")
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip link set lo up
mkdir -p "$work/www"
head -c $((mib * 1048576)) /dev/urandom >"$work/www/big.bin"
printf x >"$work/www/one"
bytes=$((mib * 1048576))

wait_for() { # wait_for WHAT CMD...
    local what=$1 end=$((SECONDS + 15))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$end" ] || { echo "tun_throughput: timed out waiting for $what" >&2; exit 1; }
        sleep 0.05
    done
}
listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }
listening_in() { nsenter -t "$1" -n ss -Hltn "( sport = :$2 )" | grep -q .; }
now() { date +%s.%N; }
mbps() { python3 -c "import sys; print('%.1f' % ($bytes / float(sys.argv[1]) / 1e6))" "$1"; }
# summary LABEL SECONDS... : median and best
summary() {
    local label=$1
    shift
    python3 - "$bytes" "$label" "$@" <<'PY'
import statistics, sys
n, label, ts = int(sys.argv[1]), sys.argv[2], sorted(float(t) for t in sys.argv[3:])
med, best = statistics.median(ts), ts[0]
print("%-44s %8.1f MB/s median  %8.1f MB/s best  (%d rounds, %.3f s median)"
      % (label, n / med / 1e6, n / best / 1e6, len(ts), med))
PY
}
check_size() {
    local got
    got=$(stat -c %s "$1")
    [ "$got" -eq "$bytes" ] || { echo "tun_throughput: $2 got $got bytes, want $bytes" >&2; exit 1; }
}

echo "# $mib MiB over HTTP, $rounds rounds; $(uname -sr), $(nproc) CPUs; synack $bin"

# 1. kernel <- synack over TUN.
timeout 600 "$bin" serve --port 80 --http "$work/www" --tun skb0 --addr 10.9.0.2/24 \
    --peer-addr 10.9.0.1/24 >"$work/serve.log" 2>&1 &
pids+=($!)
wait_for "synack serve" grep -q "listening on" "$work/serve.log"
t_serve=()
for ((i = 0; i < rounds; i++)); do
    t=$(curl -fsS --max-time 120 -o "$work/got" -w '%{time_total}' http://10.9.0.2/big.bin)
    check_size "$work/got" "curl from synack serve"
    t_serve+=("$t")
    echo "  tun  kernel <- synack  round $((i + 1)): $t s, $(mbps "$t") MB/s"
done
rm -f "$work/got"

# 2. synack <- kernel over TUN.
(cd "$work/www" && exec timeout 600 python3 -m http.server --bind 0.0.0.0 8000) \
    >"$work/py.log" 2>&1 &
pids+=($!)
wait_for "python3 -m http.server" listening 8000
link=(--tun skb1 --addr 10.9.1.2/24 --peer-addr 10.9.1.1/24 -q)
t_setup=()
for ((i = 0; i < rounds; i++)); do
    s=$(now)
    timeout 60 "$bin" get http://10.9.1.1:8000/one -o "$work/one.got" "${link[@]}"
    t_setup+=("$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$s" "$(now)")")
done
t_get=()
for ((i = 0; i < rounds; i++)); do
    s=$(now)
    timeout 120 "$bin" get http://10.9.1.1:8000/big.bin -o "$work/got" "${link[@]}"
    e=$(now)
    check_size "$work/got" "synack get"
    t=$(python3 -c "import sys; print('%.6f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$s" "$e")
    t_get+=("$t")
    echo "  tun  synack <- kernel  round $((i + 1)): $t s, $(mbps "$t") MB/s"
done
rm -f "$work/got"

# 3. kernel <- kernel over a veth pair: the server in a second namespace,
# so the traffic crosses the pair instead of the loopback device.
unshare -n sleep 600 &
peer_ns=$!
pids+=("$peer_ns")
wait_for "the second namespace" test "$(readlink /proc/$peer_ns/ns/net)" != "$(readlink /proc/self/ns/net)"
ip link add vb0 type veth peer name vb1
ip link set vb1 netns "$peer_ns"
ip addr add 10.9.2.1/24 dev vb0
ip link set vb0 up
nsenter -t "$peer_ns" -n sh -c 'ip link set lo up; ip addr add 10.9.2.2/24 dev vb1; ip link set vb1 up'
(cd "$work/www" && exec nsenter -t "$peer_ns" -n timeout 600 python3 -m http.server \
    --bind 10.9.2.2 8000) >"$work/py-veth.log" 2>&1 &
pids+=($!)
wait_for "python3 -m http.server behind the veth pair" listening_in "$peer_ns" 8000
t_veth=()
for ((i = 0; i < rounds; i++)); do
    t=$(curl -fsS --max-time 120 -o "$work/got" -w '%{time_total}' http://10.9.2.2:8000/big.bin)
    check_size "$work/got" "curl over veth"
    t_veth+=("$t")
    echo "  veth kernel <- kernel  round $((i + 1)): $t s, $(mbps "$t") MB/s"
done
rm -f "$work/got"

echo
summary "tun  kernel <- synack (curl <- synack serve)" "${t_serve[@]}"
summary "tun  synack <- kernel (synack get <- python)" "${t_get[@]}"
summary "veth kernel <- kernel (curl <- python)" "${t_veth[@]}"
python3 - "${t_setup[@]}" <<'PY'
import statistics, sys
print("synack get setup cost (a 1-byte fetch, whole command): %.1f ms median"
      % (1000 * statistics.median(float(t) for t in sys.argv[1:])))
PY
