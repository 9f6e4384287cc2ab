#!/usr/bin/env bash
# --ladder-format, --ladder-out and --ladder-max (demo, sim, serve, connect,
# get): bad values exit 2 naming the flag and the accepted values, a
# picture without a file is refused (standard output is the command's
# own), and `synack sim` draws each flow's connection as text on stderr,
# as well-formed SVG files (one per flow) or one self-contained HTML page,
# without changing its figures. serve, connect and get with a real device
# are tested in tests/interop/tun_ladder.sh (root only).
set -u
# shellcheck source=lib/cli.bash
source "$(dirname "$0")/lib/cli.bash"
cli_test_init cli_ladder_format
if ! command -v xmllint >/dev/null; then
    echo "skip: xmllint (libxml2-utils) is needed to check the SVG"
    exit 77
fi

# ---- arguments -------------------------------------------------------------------
url=http://10.7.0.1/
for cmd in "demo" "sim" "serve --echo --port 7" "connect 10.7.0.1 7" "get $url"; do
    name=${cmd%% *}
    # shellcheck disable=SC2086 # $cmd is the command and its arguments
    check "$name: bad --ladder-format" 2 "$bin" $cmd --ladder-format png
    has "$name: the message names the flag and the formats" "$err" \
        "^synack $name: bad value 'png' for --ladder-format: the formats are ascii, svg or html$"
    # shellcheck disable=SC2086
    check "$name: --ladder-format without a value" 2 "$bin" $cmd --ladder-format
    has "$name: ... says it needs a value" "$err" "option --ladder-format needs a value"
    [ "$name" = demo ] && continue
    # shellcheck disable=SC2086
    check "$name: --ladder-format=svg without --ladder-out" 2 "$bin" $cmd --ladder-format=svg
    has "$name: ... asks for --ladder-out" "$err" \
        "^synack $name: --ladder-format svg writes a file: give it with --ladder-out FILE"
    # shellcheck disable=SC2086
    check "$name: --ladder-format html without --ladder-out" 2 "$bin" $cmd --ladder --ladder-format html
    has "$name: ... asks for --ladder-out too" "$err" "^synack $name: --ladder-format html writes a file"
    # shellcheck disable=SC2086
    check "$name: --ladder-out -" 2 "$bin" $cmd --ladder-out -
    has "$name: ... is not standard output" "$err" "bad value '-' for --ladder-out: a file name"
    # shellcheck disable=SC2086
    check "$name: bad --ladder-max" 2 "$bin" $cmd --ladder-max=-1
    has "$name: ... names the flag" "$err" "bad value '-1' for --ladder-max"
    "$bin" help "$name" >"$out" 2>&1
    has "$name: usage lists --ladder-format" "$out" "^  --ladder-format F +ascii \(default\), svg or html; implies --ladder"
    has "$name: usage lists --ladder-out" "$out" "^  --ladder-out FILE"
done
check "get: --ladder-out is not the body's file" 2 "$bin" get -o "$out_dir/x" --ladder-out "$out_dir/x" $url
has "get: ... says so" "$err" "--ladder-out and --output name the same file"
check "sim: a file that cannot be written" 1 "$bin" sim --bytes 1K --ladder-out "$out_dir/no/such/dir"
has "sim: ... says why" "$err" "^synack sim: cannot write $out_dir/no/such/dir: No such file or directory$"

# ---- sim: text ---------------------------------------------------------------------
check "sim: figures without a ladder" 0 "$bin" sim --bytes 20K --flows 2 --json
cp "$out" "$out_dir/plain.json"
check "sim --ladder" 0 "$bin" sim --bytes 20K --flows 2 --json --ladder
if cmp -s "$out" "$out_dir/plain.json"; then
    echo "ok   sim: --ladder leaves the figures alone"
else
    echo "FAIL sim: --ladder changed standard output"
    fail=1
fi
has "sim --ladder: the handshake on stderr" "$err" "^SYN-SENT +-+ SYN Seq=0 .*-> +SYN-RCVD$"
has "sim --ladder: the four-way close" "$err" "^TIME-WAIT +<-+ FIN,ACK .*-+ +LAST-ACK$"
has "sim --ladder: the last ACK" "$err" "^ +-+ ACK Seq=20482 Ack=2 -+> +CLOSED$"
n=$(grep -c '^10\.0\.0\.1:[0-9]* *10\.0\.0\.2:5001$' "$err")
ok_if "sim --ladder: one ladder per flow ($n for 2 flows)" [ "$n" -eq 2 ]
check "sim --ladder-out (text)" 0 "$bin" sim --bytes 20K --ladder-out "$out_dir/ladder.txt"
has "sim --ladder-out: the ladder is in the file" "$out_dir/ladder.txt" "^SYN-SENT +-+ SYN Seq=0"
hasnt "sim --ladder-out: not on stderr" "$err" "SYN Seq=0"

# A 1M flow has about 1500 segments: by default the first 20 and the last 20.
check "sim --ladder, 1M" 0 "$bin" sim --ladder
has "sim --ladder, 1M: the middle elided" "$err" "segments not shown"
arrows=$(grep -Ec -- '-->|<--' "$err")
ok_if "sim --ladder, 1M: 40 arrows (got $arrows)" [ "$arrows" -eq 40 ]
check "sim --ladder-max 6" 0 "$bin" sim --bytes 100K --ladder-max 6
arrows=$(grep -Ec -- '-->|<--' "$err")
ok_if "sim --ladder-max 6: 6 arrows (got $arrows)" [ "$arrows" -eq 6 ]

# ---- sim: SVG --------------------------------------------------------------------
svg=$out_dir/sim.svg
check "sim --ladder --ladder-format svg --ladder-out" 0 \
    "$bin" sim --bytes 20K --ladder --ladder-format svg --ladder-out "$svg"
hasnt "sim svg: nothing on standard output but the figures" "$out" "<svg|<\?xml"
if xmllint --noout "$svg" 2>"$out_dir/xmllint.err"; then
    echo "ok   sim svg: well-formed XML"
else
    echo "FAIL sim svg: not well-formed:"
    head -5 "$out_dir/xmllint.err"
    fail=1
fi
has "sim svg: an <svg> root" "$svg" "^<svg xmlns=\"http://www.w3.org/2000/svg\""
has "sim svg: the SYN" "$svg" ">SYN Seq=0"
has "sim svg: the SYN,ACK" "$svg" ">SYN,ACK Seq=0 Ack=1"
has "sim svg: the third ACK" "$svg" ">ACK Seq=1 Ack=1<"
for st in SYN-SENT SYN-RCVD ESTABLISHED FIN-WAIT-1 CLOSE-WAIT LAST-ACK TIME-WAIT CLOSED; do
    has "sim svg: state $st" "$svg" "class=\"state\"[^>]*>$st<"
done
check "sim svg, two flows" 0 "$bin" sim --bytes 20K --flows 2 --ladder-format svg \
    --ladder-out "$out_dir/two.svg"
for f in "$out_dir/two.svg" "$out_dir/two-2.svg"; do
    ok_if "sim svg, two flows: $f is well-formed" xmllint --noout "$f"
done

# No frame ever leaves (ARP is lost too): no connection, so no file rather
# than an empty one that is not SVG.
check "sim svg, no connection (exit 1: the flow fails)" 1 "$bin" sim --bytes 1K --loss 1 \
    --ladder-format svg --ladder-out "$out_dir/none.svg"
ok_if "sim svg, no connection: no file" [ ! -e "$out_dir/none.svg" ]
has "sim svg, no connection: says so" "$err" "^synack sim: no connection drawn; .*none.svg not written$"

# ---- sim: HTML -------------------------------------------------------------------
page=$out_dir/sim.html
check "sim --ladder-format html --ladder-out" 0 \
    "$bin" sim --bytes 20K --flows 3 --ladder-format html --ladder-out "$page"
has "sim html: a page" "$page" "^<!DOCTYPE html>"
has "sim html: the drawing inline" "$page" "<svg "
n=$(grep -c '<svg ' "$page")
ok_if "sim html: one drawing per flow ($n for 3 flows)" [ "$n" -eq 3 ]
has "sim html: a picker entry per flow" "$page" "<option value=\"3\">connection 3: 10\.0\.0\.1:"
hasnt "sim html: nothing loaded from elsewhere (src=)" "$page" "src="
hasnt "sim html: no external links" "$page" "href=\"?https?:"
# The drawings inside the page are well-formed XML too (the page itself is
# HTML5, which xmllint's HTML 4 parser cannot judge).
{
    echo "<page>"
    sed -n '/^<svg /,/^<\/svg>$/p' "$page"
    echo "</page>"
} >"$out_dir/page-svgs.xml"
ok_if "sim html: the drawings are well-formed" xmllint --noout "$out_dir/page-svgs.xml"

exit "$fail"
