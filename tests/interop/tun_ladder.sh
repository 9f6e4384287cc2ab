#!/usr/bin/env bash
# `synack serve --ladder` against the kernel's TCP: each connection's ladder
# is drawn when the stack reports it CLOSED, with both sides' states
# inferred from the segments. The kernel opens and closes first (the echo
# client shuts down writing), so the kernel's side goes SYN-SENT,
# ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT and synack's LISTEN,
# SYN-RCVD, ESTABLISHED, CLOSE-WAIT, LAST-ACK, CLOSED (RFC 9293 Figure 5);
# a connection to a closed port is drawn as a SYN answered by RST,ACK.
# The same as pictures (--ladder-format svg: a well-formed file per
# connection; html: one page for both), and `synack get` / `synack connect`
# drawing their connection to a file while the data goes to stdout intact.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tun_ladder python3 xmllint ss

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

# check_svg WHAT FILE : FILE is a well-formed SVG document.
check_svg() {
    if xmllint --noout "$2" 2>"$2.xmllint"; then
        ok "$1: well-formed SVG"
    else
        fail "$1: not well-formed SVG:"
        sed 's/^/    /' "$2.xmllint" | head -5
    fi
    check_log "$2" "^<svg xmlns=\"http://www.w3.org/2000/svg\"" "$1: an <svg> root"
}

# serve: the echo connection, then the refused one, as pictures.
serve_pictures() { # serve_pictures FORMAT FILE
    start_serve "$OUT/serve-$1.log" --port 7 --echo --tun sk5 --addr 10.7.5.2/24 \
        --peer-addr 10.7.5.1/24 --ladder-format "$1" --ladder-out "$2" || return 1
    local pid=$SERVE_PID
    peer echo-client 10.7.5.2 7 "$interop_lib_dir/peer.py" --sequential >"$OUT/echo-$1.out" 2>&1
    check "$1: the echo client gets its echo" [ $? -eq 0 ]
    # An SVG is written when its connection is CLOSED (synack's LAST-ACK
    # acknowledged): the echo connection first, so it gets the first file.
    [ "$1" = svg ] && wait_until "$INTEROP_WAIT" "the echo connection's SVG" has_line "$2" "</svg>"
    peer refused 10.7.5.2 9 >"$OUT/refused-$1.out" 2>&1
    check "$1: a connection to a closed port is refused" [ $? -eq 0 ]
    stop "$pid" "synack serve --ladder-format $1"
}
svg=$OUT/serve.svg
serve_pictures svg "$svg"
check_svg "serve svg, the echo connection" "$svg"
check_log "$svg" ">SYN Seq=0" "serve svg: the SYN"
check_log "$svg" ">SYN,ACK Seq=0 Ack=1" "serve svg: the SYN,ACK"
check_log "$svg" "class=\"state\"[^>]*>LAST-ACK<" "serve svg: synack's LAST-ACK"
check_svg "serve svg, the refused connection" "$OUT/serve-2.svg"
check_log "$OUT/serve-2.svg" ">RST,ACK Seq=0 Ack=1" "serve svg: the refusal"
check "serve svg: the ladders stay off stderr" [ "$(grep -c -- '-->' "$OUT/serve-svg.log")" -eq 0 ]
page=$OUT/serve.html
serve_pictures html "$page"
check "serve html: one page, both connections" [ "$(grep -c '<svg ' "$page")" -eq 2 ]
check_log "$page" "<option value=\"2\">connection 2: " "serve html: the picker"

# get and connect: the ladder to a file, the data on stdout untouched.
printf 'a small file\n' >"$OUT/small.txt"
listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }
bg "$OUT/http.server.log" python3 -m http.server --bind 0.0.0.0 --directory "$OUT" 8000
wait_until "$INTEROP_WAIT" "python3 -m http.server" listening 8000
link=(--tun sk5 --addr 10.7.5.2/24 --peer-addr 10.7.5.1/24)
timeout -k 2 30 "$BIN" get http://10.7.5.1:8000/small.txt "${link[@]}" --ladder-format svg \
    --ladder-out "$OUT/get.svg" >"$OUT/get.out" 2>"$OUT/get.err"
check "get --ladder-format svg: exits 0" [ $? -eq 0 ]
check "get --ladder-format svg: the body on stdout, alone" cmp -s "$OUT/small.txt" "$OUT/get.out"
check_svg "get svg" "$OUT/get.svg"
check_log "$OUT/get.svg" ">SYN Seq=0" "get svg: synack's SYN"
check_log "$OUT/get.svg" "10\.7\.5\.2:[0-9]+<" "get svg: synack on the left, the opener"

bg "$OUT/echo-server.log" python3 "$interop_lib_dir/peer.py" echo-server 7000
echo_pid=$BG_PID
wait_until "$INTEROP_WAIT" "the echo server" listening 7000
timeout -k 2 30 "$BIN" connect 10.7.5.1 7000 "${link[@]}" --ladder-format html \
    --ladder-out "$OUT/connect.html" <"$OUT/small.txt" >"$OUT/connect.out" 2>"$OUT/connect.err"
check "connect --ladder-format html: exits 0" [ $? -eq 0 ]
check "connect --ladder-format html: the echo on stdout, alone" \
    cmp -s "$OUT/small.txt" "$OUT/connect.out"
check "connect html: one drawing" [ "$(grep -c '<svg ' "$OUT/connect.html")" -eq 1 ]
check_log "$OUT/connect.html" ">SYN Seq=0" "connect html: synack's SYN"
wait_exit "$echo_pid" 10 "the echo server"
interop_done
