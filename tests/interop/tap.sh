#!/usr/bin/env bash
# The same stack on a TAP device (Ethernet + ARP, RFC 826) with the kernel
# on the other side: ARP resolves both ways, ping, curl fetches 64 MiB from
# `synack serve --http`, the echo service half-closes, the handshake and
# close are right on the wire, and `synack get` / `synack connect` reach
# the kernel's servers.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tap curl ping python3 ss tcpdump tshark

dir=$OUT/www
mkdir -p "$dir"
big=$(random_file 64)
ln "$big" "$dir/big.bin" 2>/dev/null || cp "$big" "$dir/big.bin"
head -c 4194304 "$big" >"$dir/4m"
start_capture any "$OUT/tap.pcap" || interop_done

start_serve "$OUT/http.log" --port 80 --http "$dir" --tap skt0 --addr 10.8.0.2/24 \
    --peer-addr 10.8.0.1/24 -v || interop_done
http_pid=$SERVE_PID
start_serve "$OUT/echo.log" --port 7 --echo --tap skt1 --addr 10.8.1.2/24 \
    --peer-addr 10.8.1.1/24 -v || interop_done
echo_pid=$SERVE_PID

ping -c 3 -i 0.2 -W 2 10.8.0.2 >"$OUT/ping.out" 2>&1
check_log "$OUT/ping.out" "3 packets transmitted, 3 received" "ping over TAP: 3 echo replies"
# The kernel learnt synack's MAC from its ARP reply.
ip neigh show 10.8.0.2 dev skt0 >"$OUT/neigh.out"
check_log "$OUT/neigh.out" "lladdr ([0-9a-f]{2}:){5}[0-9a-f]{2} (REACHABLE|STALE|DELAY|PROBE)" \
    "ARP: the kernel has synack's MAC"

curl -fsS --max-time 60 -o "$OUT/big.got" http://10.8.0.2/big.bin 2>"$OUT/curl.err"
check "curl over TAP: 64 MiB exits 0" [ $? -eq 0 ]
check_same_sha "curl over TAP: 64 MiB" "$big" "$OUT/big.got"
rm -f "$OUT/big.got"

peer echo-client 10.8.1.2 7 "$dir/4m" >"$OUT/echo.out" 2>&1
check "echo over TAP: 4 MiB both ways, then half-close" [ $? -eq 0 ]
head -c 48000 "$big" >"$OUT/48k"
peer echo-client 10.8.1.2 7 "$OUT/48k" --sequential >"$OUT/echo-seq.out" 2>&1
check "echo over TAP: 48000 bytes, all read after our FIN" [ $? -eq 0 ]

# synack -> kernel: synack's ARP request for the kernel's address first.
listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }
link=(--tap skt2 --addr 10.8.2.2/24 --peer-addr 10.8.2.1/24)
bg "$OUT/http.server.log" python3 -m http.server --bind 0.0.0.0 --directory "$dir" 8000
py_pid=$BG_PID
wait_until "$INTEROP_WAIT" "python3 -m http.server" listening 8000
timeout -k 2 60 "$BIN" get http://10.8.2.1:8000/4m -o "$OUT/4m.got" "${link[@]}" \
    >"$OUT/get.out" 2>"$OUT/get.err"
check "synack get over TAP: exits 0" [ $? -eq 0 ]
check_same_sha "synack get over TAP: 4 MiB" "$dir/4m" "$OUT/4m.got"
bg "$OUT/echo-server.log" python3 "$interop_lib_dir/peer.py" echo-server 7000
wait_until "$INTEROP_WAIT" "the echo server" listening 7000
timeout -k 2 60 "$BIN" connect 10.8.2.1 7000 "${link[@]}" <"$dir/4m" >"$OUT/connect.got" \
    2>"$OUT/connect.err"
check "synack connect over TAP: exits 0" [ $? -eq 0 ]
check_same_sha "synack connect over TAP: 4 MiB echoed" "$dir/4m" "$OUT/connect.got"

stop_capture
if python3 "$interop_lib_dir/wirecheck.py" "$OUT/tap.pcap" --port 7 --opener 10.8.1.1 \
    --closer 10.8.1.1 --allow-fin-ack >"$OUT/wire.txt" 2>&1; then
    ok "handshake and four-way close over TAP on the wire"
else
    fail "handshake and four-way close over TAP on the wire:"
    sed 's/^/    /' "$OUT/wire.txt"
fi

stop "$http_pid" "synack serve --http"
stop "$echo_pid" "synack serve --echo"
end "$py_pid" "python3 -m http.server"
interop_done
