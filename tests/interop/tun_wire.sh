#!/usr/bin/env bash
# Handshake and close on the wire, between synack on a TUN device and the
# kernel's TCP: a tcpdump capture, read back with tshark, must show the
# three-way handshake (RFC 9293 3.5) and the four-way close (3.6) with the
# right flags and Seq/Ack relations, for each side opening and each side
# closing first. The side that closes first ends in TIME-WAIT: synack's
# state changes (-v) or the kernel's sockets (ss) must say so; a new SYN
# on a 4-tuple synack holds in TIME-WAIT opens a new connection at once.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tun_wire tcpdump tshark python3 ss

# The kernel asks for ECN in the SYNs it sends (RFC 3168 6.1.1): synack
# must decline, and nothing may then be ECT-marked.
echo 1 >/proc/sys/net/ipv4/tcp_ecn || fail "cannot set net.ipv4.tcp_ecn in the namespace"

cap=$OUT/wire.pcap
start_capture any "$cap" || interop_done

# C, D: the kernel opens (synack serve listens).
start_serve "$OUT/echo.log" --port 7 --echo --tun sk0 --addr 10.7.0.2/24 \
    --peer-addr 10.7.0.1/24 -v || interop_done
echo_pid=$SERVE_PID
start_serve "$OUT/http.log" --port 80 --http "$SYNACK_SOURCE_DIR/tests/interop" --tun sk2 \
    --addr 10.7.2.2/24 --peer-addr 10.7.2.1/24 -v --stats || interop_done
http_pid=$SERVE_PID

# A: synack opens and closes first (stdin ends), the kernel closes later.
bg "$OUT/a-server.log" python3 "$interop_lib_dir/peer.py" echo-server 7001 --close-delay 0.5
a_srv=$BG_PID
wait_until "$INTEROP_WAIT" "the echo server" has_line "$OUT/a-server.log" listening
echo "synack closes first" | timeout -k 2 30 "$BIN" connect 10.7.1.1 7001 --tun sk1 \
    --addr 10.7.1.2/24 --peer-addr 10.7.1.1/24 -v >"$OUT/a.out" 2>"$OUT/a.err"
check "A: synack connect exits 0" [ $? -eq 0 ]
check "A: the echo came back" grep -qx "synack closes first" "$OUT/a.out"
check_log "$OUT/a.err" "ESTABLISHED -> FIN-WAIT-1" "A: synack sends the first FIN"
check_log "$OUT/a.err" "FIN-WAIT-2 -> TIME-WAIT" "A: synack ends in TIME-WAIT"
wait_exit "$a_srv" 10 "the echo server"

# B: synack opens, the kernel closes first (right after its greeting);
# synack's stdin ends a second later.
bg "$OUT/b-server.log" python3 "$interop_lib_dir/peer.py" greet-server 7002 --linger 3
wait_until "$INTEROP_WAIT" "the greet server" has_line "$OUT/b-server.log" listening
sleep 1 | timeout -k 2 30 "$BIN" connect 10.7.1.1 7002 --tun sk1 --addr 10.7.1.2/24 \
    --peer-addr 10.7.1.1/24 -v >"$OUT/b.out" 2>"$OUT/b.err"
check "B: synack connect exits 0" [ $? -eq 0 ]
check "B: the greeting arrived" grep -qx "hello from the kernel" "$OUT/b.out"
check_log "$OUT/b.err" "ESTABLISHED -> CLOSE-WAIT" "B: the kernel's FIN comes first"
check_log "$OUT/b.err" "LAST-ACK -> CLOSED" "B: synack goes LAST-ACK -> CLOSED"
check "B: the kernel's socket is in TIME-WAIT" \
    test -n "$(ss -Htan state time-wait '( sport = :7002 )')"

# C: the kernel opens and closes first (shuts down writing after its data).
peer echo-client 10.7.0.2 7 "$interop_lib_dir/peer.py" --sequential >"$OUT/c.out" 2>&1
check "C: the echo client gets its echo after its FIN" [ $? -eq 0 ]
check_log "$OUT/echo.log" "ESTABLISHED -> CLOSE-WAIT" "C: the kernel's FIN comes first"
check_log "$OUT/echo.log" "LAST-ACK -> CLOSED" "C: synack goes LAST-ACK -> CLOSED"
check "C: the kernel's socket is in TIME-WAIT" \
    test -n "$(ss -Htan state time-wait '( dport = :7 )')"

# D: the kernel opens, synack closes first (HTTP/1.0 without keep-alive).
peer http-close 10.7.2.2 80 /lib/peer.py --close-delay 0.5 --local-port 40000 \
    >"$OUT/d.out" 2>&1
check "D: HTTP/1.0 GET gets 200 and the server's FIN" [ $? -eq 0 ]
wait_until "$INTEROP_WAIT" "synack's TIME-WAIT" has_line "$OUT/http.log" "-> TIME-WAIT"
check_log "$OUT/http.log" "ESTABLISHED -> FIN-WAIT-1" "D: synack sends the first FIN"
check_log "$OUT/http.log" "FIN-WAIT-2 -> TIME-WAIT" "D: synack ends in TIME-WAIT"

# E: the kernel connects again from the same port while synack's side of
# that 4-tuple is in TIME-WAIT: the new SYN's sequence number is above the
# old connection's, so synack accepts it at once (RFC 9293 3.6.1, RFC 6191).
peer http-close 10.7.2.2 80 /lib/peer.py --close-delay 0.5 --local-port 40000 \
    >"$OUT/e.out" 2>&1
check "E: a new connection on the TIME-WAIT 4-tuple gets its 200" [ $? -eq 0 ]
check_log "$OUT/http.log" "\[[0-9]+\] 10\.7\.2\.2:80 > 10\.7\.2\.1:40000 TIME-WAIT -> CLOSED" \
    "E: synack's TIME-WAIT gives way to the new SYN"

stop_capture
tcpdump -nn -S -r "$cap" >"$OUT/wire.txt" 2>/dev/null
wire() { # wire NAME ARGS...
    local name=$1
    shift
    if python3 "$interop_lib_dir/wirecheck.py" "$cap" "$@" >"$OUT/wire-$name.txt" 2>&1; then
        ok "$name on the wire"
    else
        fail "$name on the wire:"
        sed 's/^/    /' "$OUT/wire-$name.txt"
    fi
}
wire "A: synack opens, synack closes first" --port 7001 --opener 10.7.1.2 --closer 10.7.1.2
wire "B: synack opens, the kernel closes first" --port 7002 --opener 10.7.1.2 --closer 10.7.1.1
# C's echo server closes as soon as it has the FIN: whether synack's ACK of
# that FIN leaves before its own FIN is synack's choice (both are RFC 9293).
wire "C: the kernel opens, the kernel closes first" --port 7 --opener 10.7.0.1 --closer 10.7.0.1 \
    --allow-fin-ack
wire "D: the kernel opens, synack closes first" --port 80 --opener 10.7.2.1 --closer 10.7.2.2
wire "E: the same 4-tuple again, synack closes first" --port 80 --nth 2 --opener 10.7.2.1 \
    --closer 10.7.2.2

stop "$http_pid" "synack serve --http"
check_log "$OUT/http.log" "tcp_time_wait_reused +1 " "E: synack counted one TIME-WAIT reuse"
stop "$echo_pid" "synack serve --echo"
interop_done
