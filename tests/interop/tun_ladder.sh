#!/usr/bin/env bash
# `synack serve --ladder` against the kernel's TCP: each connection's ladder
# is drawn when the stack reports it CLOSED, with both sides' states
# inferred from the segments. The kernel opens and closes first (the echo
# client shuts down writing), so the kernel's side goes SYN-SENT,
# ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT and synack's LISTEN,
# SYN-RCVD, ESTABLISHED, CLOSE-WAIT, LAST-ACK, CLOSED (RFC 9293 Figure 5);
# a connection to a closed port is drawn as a SYN answered by RST,ACK.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tun_ladder python3

start_serve "$OUT/serve.log" --port 7 --echo --tun sk5 --addr 10.7.5.2/24 \
    --peer-addr 10.7.5.1/24 --ladder || interop_done
pid=$SERVE_PID

peer echo-client 10.7.5.2 7 "$interop_lib_dir/peer.py" --sequential >"$OUT/echo.out" 2>&1
check "the echo client gets its echo after its FIN" [ $? -eq 0 ]
wait_until "$INTEROP_WAIT" "the ladder of the echo connection" has_line "$OUT/serve.log" \
    "LAST-ACK"
timeout 5 python3 - <<'PY' >"$OUT/refused.out" 2>&1
import socket
try:
    socket.create_connection(("10.7.5.2", 9), timeout=3)
except ConnectionRefusedError:
    print("refused")
PY
check_log "$OUT/refused.out" "^refused$" "a connection to a closed port is refused"
wait_until "$INTEROP_WAIT" "the ladder of the refused connection" has_line "$OUT/serve.log" \
    "RST,ACK"
stop "$pid" "synack serve --echo --ladder"

log=$OUT/serve.log
check_log "$log" "^10\.7\.5\.1:[0-9]+ +10\.7\.5\.2:7$" "the ladder names both ends, the opener left"
check_log "$log" "^CLOSED +LISTEN$" "the states before the first segment"
check_log "$log" "^SYN-SENT +-+ SYN Seq=0 .*-> +SYN-RCVD$" "SYN: SYN-SENT -> SYN-RCVD"
check_log "$log" "^ESTABLISHED +<-+ SYN,ACK Seq=0 Ack=1 .*-+ *$" "SYN,ACK Seq=0 Ack=1"
check_log "$log" "^ +-+ ACK Seq=1 Ack=1( Win=[0-9]+)? -+> +ESTABLISHED$" "ACK Seq=1 Ack=1 -> ESTABLISHED"
check_log "$log" "^FIN-WAIT-1 +-+ FIN,ACK .*-> +CLOSE-WAIT$" "the kernel's FIN: CLOSE-WAIT"
check_log "$log" "^FIN-WAIT-2 +<-" "the kernel half-closed: FIN-WAIT-2"
check_log "$log" "^TIME-WAIT +<-+ FIN,ACK .*-+ +LAST-ACK$" "synack's FIN: LAST-ACK, TIME-WAIT"
check_log "$log" "^ +-+ ACK .*-> +CLOSED$" "the last ACK: CLOSED"
check_log "$log" "^10\.7\.5\.1:[0-9]+ +10\.7\.5\.2:9$" "the refused connection is drawn"
check_log "$log" "^CLOSED +<-+ RST,ACK Seq=0 Ack=1 -+ *$" "refused: RST,ACK Seq=0 Ack=1"
interop_done
