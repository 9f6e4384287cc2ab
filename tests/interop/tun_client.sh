#!/usr/bin/env bash
# synack as the client of the kernel's TCP on a TUN device: `synack get`
# fetches a 64 MiB file from `python3 -m http.server` (SHA-256 must match),
# `synack connect` sends a file through a python echo server and gets it
# back, a closed port refuses, and when synack aborts (its stdout closed
# early) the kernel's side sees the reset.
# shellcheck source=lib/common.bash
source "$(dirname "$0")/lib/common.bash"
interop_init tun_client python3 ss

dir=$OUT/www
mkdir -p "$dir"
big=$(random_file 64)
ln "$big" "$dir/big.bin" 2>/dev/null || cp "$big" "$dir/big.bin"
printf 'a small file\n' >"$dir/small.txt"
link=(--tun sk1 --addr 10.7.1.2/24 --peer-addr 10.7.1.1/24)

listening() { ss -Hltn "( sport = :$1 )" | grep -q .; }

bg "$OUT/http.server.log" python3 -m http.server --bind 0.0.0.0 --directory "$dir" 8000
http_pid=$BG_PID
wait_until "$INTEROP_WAIT" "python3 -m http.server" listening 8000

# synack -> kernel over HTTP.
timeout -k 2 90 "$BIN" get http://10.7.1.1:8000/big.bin -o "$OUT/big.got" "${link[@]}" \
    --stats >"$OUT/get.out" 2>"$OUT/get.err"
check "synack get: 64 MiB exits 0" [ $? -eq 0 ]
check_same_sha "synack get: 64 MiB" "$big" "$OUT/big.got"
rm -f "$OUT/big.got"
timeout -k 2 30 "$BIN" get http://10.7.1.1:8000/small.txt "${link[@]}" \
    >"$OUT/small.out" 2>"$OUT/small.err"
check "synack get: a small file to stdout" [ $? -eq 0 ]
check "synack get: the small file's bytes" cmp -s "$dir/small.txt" "$OUT/small.out"
timeout -k 2 30 "$BIN" get http://10.7.1.1:8000/missing "${link[@]}" \
    >"$OUT/404.out" 2>"$OUT/404.err"
check "synack get: a 404 exits 1" [ $? -eq 1 ]
check_log "$OUT/404.err" "404" "synack get: says 404"

# synack -> kernel through a python echo server: 4 MiB each way.
head -c 4194304 "$big" >"$OUT/4m"
bg "$OUT/echo-server.log" python3 "$interop_lib_dir/peer.py" echo-server 7000
echo_pid=$BG_PID
wait_until "$INTEROP_WAIT" "the echo server" listening 7000
timeout -k 2 60 "$BIN" connect 10.7.1.1 7000 "${link[@]}" -v <"$OUT/4m" >"$OUT/4m.got" \
    2>"$OUT/connect.err"
check "synack connect: exits 0" [ $? -eq 0 ]
check_same_sha "synack connect: 4 MiB echoed" "$OUT/4m" "$OUT/4m.got"
wait_exit "$echo_pid" 10 "the echo server"
check_log "$OUT/echo-server.log" "echoed 4194304 bytes" "the echo server saw 4 MiB"

# A closed port: the kernel answers the SYN with a RST.
timeout -k 2 30 "$BIN" connect 10.7.1.1 7999 "${link[@]}" </dev/null >"$OUT/refused.out" \
    2>"$OUT/refused.err"
check "synack connect: a closed port exits 1" [ $? -eq 1 ]
check_log "$OUT/refused.err" "connection refused by 10\.7\.1\.1:7999" "synack connect: refused"

# synack aborts: its stdout goes away while data is still arriving, it
# resets the connection (RFC 9293 3.10.7.1), the kernel's send fails.
bg "$OUT/flood.log" python3 "$interop_lib_dir/peer.py" flood-server 7001
flood_pid=$BG_PID
wait_until "$INTEROP_WAIT" "the flood server" listening 7001
timeout -k 2 30 "$BIN" connect 10.7.1.1 7001 "${link[@]}" </dev/null 2>"$OUT/abort.err" |
    head -c 100000 >/dev/null
wait_exit "$flood_pid" 15 "the flood server"
check "abort: the kernel's sender gets a reset" [ "$RC" -eq 0 ]
check_log "$OUT/flood.log" "reset by 10\.7\.1\.2" "abort: reset by synack's address"

end "$http_pid" "python3 -m http.server"
interop_done
