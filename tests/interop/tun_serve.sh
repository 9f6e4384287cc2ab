#!/usr/bin/env bash
# The kernel's TCP as the client of `synack serve` on a TUN device: curl
# fetches a 64 MiB file over HTTP (SHA-256 must match), nc and python
# sockets use the echo service (a half-close: the client shuts down its
# writing side and still reads the whole echo), a client aborts with a
# RST (and so does curl leaving in the middle of the 64 MiB), 32 parallel
# fetches lose nothing, an idle connection answers the kernel's keep-alive
# probes, a connect to a closed port is refused, and ping gets its replies.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tun_serve curl nc ping python3 tcpdump tshark

dir=$OUT/www
mkdir -p "$dir"
big=$(random_file 64)
ln "$big" "$dir/big.bin" 2>/dev/null || cp "$big" "$dir/big.bin"
head -c 1000000 "$big" >"$dir/small.bin"
start_capture any "$OUT/rst.pcap" || interop_done

start_serve "$OUT/http.log" --port 80 --http "$dir" --tun sk0 --addr 10.7.0.2/24 \
    --peer-addr 10.7.0.1/24 -v --stats || interop_done
http_pid=$SERVE_PID
start_serve "$OUT/echo.log" --port 7 --echo --tun sk1 --addr 10.7.1.2/24 \
    --peer-addr 10.7.1.1/24 -v --stats || interop_done
echo_pid=$SERVE_PID

# ICMP (RFC 792): echo replies, small and near the MTU.
ping -c 3 -i 0.2 -W 2 10.7.0.2 >"$OUT/ping.out" 2>&1
check_log "$OUT/ping.out" "3 packets transmitted, 3 received" "ping: 3 echo replies"
ping -c 2 -i 0.2 -W 2 -s 1472 -M "do" 10.7.0.2 >"$OUT/ping-big.out" 2>&1
check_log "$OUT/ping-big.out" "2 packets transmitted, 2 received" "ping -s 1472 (1500-byte datagrams): 2 replies"

# kernel -> synack over HTTP: 64 MiB, then two files on one keep-alive
# connection.
curl -fsS --max-time 60 -o "$OUT/big.got" http://10.7.0.2/big.bin 2>"$OUT/curl.err"
check "curl: 64 MiB from synack serve --http exits 0" [ $? -eq 0 ]
check_same_sha "curl: 64 MiB" "$big" "$OUT/big.got"
rm -f "$OUT/big.got"
curl -fsS --max-time 30 -o "$OUT/s1.got" http://10.7.0.2/small.bin -o "$OUT/s2.got" \
    http://10.7.0.2/small.bin -w '%{num_connects}\n' >"$OUT/keepalive.out" 2>&1
check "curl: two requests exit 0" [ $? -eq 0 ]
check_same_sha "curl keep-alive: first" "$dir/small.bin" "$OUT/s1.got"
check_same_sha "curl keep-alive: second" "$dir/small.bin" "$OUT/s2.got"
check "curl keep-alive: the second request reuses the connection" \
    test "$(tr -d '\n' <"$OUT/keepalive.out")" = "10"
# 32 connections at once: each sends a window, the kernel's ACKs to all
# of that wait in the device's queue until synack reads them. Nothing may
# be dropped there (synack makes the queue deep enough; 500 frames lost
# ACKs and forced retransmission timeouts).
args=()
for i in $(seq 32); do args+=(-o "$OUT/p$i.got" http://10.7.0.2/small.bin); done
curl -fsS --max-time 60 --parallel --parallel-max 32 "${args[@]}" >"$OUT/parallel.out" 2>&1
check "curl: 32 parallel fetches exit 0" [ $? -eq 0 ]
bad=0
for i in $(seq 32); do cmp -s "$dir/small.bin" "$OUT/p$i.got" || bad=$((bad + 1)); done
check "curl: 32 parallel fetches, all 32 files intact" [ "$bad" -eq 0 ]
rm -f "$OUT"/p*.got
tx_dropped() { ip -s -j link show "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["dropped"])'; }
check "the kernel dropped no frame on its way to synack" test "$(tx_dropped sk0)" = 0
curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' http://10.7.0.2/missing >"$OUT/404.out" 2>&1
check "curl: a missing file is 404" test "$(cat "$OUT/404.out")" = "404"

# The client goes away in the middle of the 64 MiB: the kernel resets the
# connection (closed with unread data, RFC 2525 2.17),
# synack drops it and goes on serving.
curl -sS --max-time 60 http://10.7.0.2/big.bin 2>/dev/null | head -c 100000 >/dev/null
wait_until "$INTEROP_WAIT" "synack to see the reset" has_line "$OUT/http.log" \
    "10\.7\.0\.1:[0-9]+: connection reset" && ok "curl | head: synack sees the reset"
curl -fsS --max-time 30 -o "$OUT/s3.got" http://10.7.0.2/small.bin 2>>"$OUT/curl.err"
check_same_sha "curl after a reset mid-transfer" "$dir/small.bin" "$OUT/s3.got"

# A port nobody listens on: the SYN is answered by a RST (RFC 9293 3.10.7.1).
curl -sS --max-time 10 http://10.7.0.2:81/ >"$OUT/refused.out" 2>&1
check "curl: port 81 exits 7 (cannot connect: refused)" [ $? -eq 7 ]
peer refused 10.7.0.2 81 >"$OUT/refused-py.out" 2>&1
check "python connect to port 81: ECONNREFUSED" [ $? -eq 0 ]

# Echo (RFC 862) with half-close: everything sent before shutdown(SHUT_WR)
# comes back after it.
head -c 48000 "$big" >"$OUT/48k"
peer echo-client 10.7.1.2 7 "$OUT/48k" --sequential >"$OUT/echo-seq.out" 2>&1
check "echo: 48000 bytes, all read after our FIN" [ $? -eq 0 ]
head -c 4194304 "$big" >"$OUT/4m"
peer echo-client 10.7.1.2 7 "$OUT/4m" >"$OUT/echo-4m.out" 2>&1
check "echo: 4 MiB both ways at once, then half-close" [ $? -eq 0 ]
check_log "$OUT/echo-4m.out" "echo 4194304 bytes" "echo: 4 MiB came back"
printf 'hello over nc\n' | timeout 10 nc -N 10.7.1.2 7 >"$OUT/nc.out" 2>&1
check "nc -N: exits 0" [ $? -eq 0 ]
check "nc -N: the line is echoed" grep -qx "hello over nc" "$OUT/nc.out"

# Keep-alive: the kernel probes an idle connection and gives up after one
# unanswered probe; synack must ACK each (RFC 9293 3.10.7.4).
peer keepalive 10.7.1.2 7 --idle 3.5 >"$OUT/keepalive.out" 2>&1
check "keep-alive: an idle connection survives the kernel's probes" [ $? -eq 0 ]

# Abort: the client closes with SO_LINGER 0, the kernel sends a RST
# (RFC 9293 3.10.7.1), synack reports the reset and keeps serving.
peer abort 10.7.1.2 7 --wait-echo >"$OUT/abort.out" 2>&1
check "abort: the client aborts" [ $? -eq 0 ]
wait_until "$INTEROP_WAIT" "synack to see the reset" has_line "$OUT/echo.log" \
    "10\.7\.1\.1:[0-9]+: connection reset" && ok "abort: synack sees the reset"
peer echo-client 10.7.1.2 7 "$OUT/48k" >"$OUT/echo-after.out" 2>&1
check "echo: still served after the abort" [ $? -eq 0 ]

stop_capture
tshark -n -r "$OUT/rst.pcap" -Y "tcp.flags.reset == 1 && ip.src == 10.7.1.1 && tcp.dstport == 7" \
    -T fields -e tcp.srcport 2>/dev/null >"$OUT/rst.txt"
check "abort: a RST from the kernel to synack's port 7 is on the wire" test -s "$OUT/rst.txt"
tshark -n -r "$OUT/rst.pcap" -Y "tcp.flags.reset == 1 && ip.src == 10.7.0.2 && tcp.srcport == 81" \
    -T fields -e tcp.flags.ack 2>/dev/null >"$OUT/rst81.txt"
check "refused: synack's RST,ACK from port 81 is on the wire" grep -q "^1" "$OUT/rst81.txt"

stop "$http_pid" "synack serve --http"
stop "$echo_pid" "synack serve --echo"
check_log "$OUT/http.log" "tcp_rst_out +[1-9]" "synack counted the RSTs it sent"
interop_done
