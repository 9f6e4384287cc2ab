#!/usr/bin/env bash
# synack ladder --format html in a real browser: Debian's chromium,
# headless, loads the page of a capture with three connections from a
# file; the page's #selftest drives it through DOM events (click an arrow,
# toggle absolute numbers, zoom the time axis, pick another connection)
# and writes what happened into the DOM, which --dump-dom hands back. A
# screenshot is left for a person to look at. Also: the SVG is well-formed
# XML with one arrow per segment.
set -u
bin=${SYNACK_BIN:?SYNACK_BIN not set}
src=${SYNACK_SOURCE_DIR:?SYNACK_SOURCE_DIR not set}
out_dir=${SYNACK_TEST_OUT:-/tmp}/ladder_html
mkdir -p "$out_dir"
fail=0

if ! "$bin" help ladder >/dev/null 2>&1; then
    echo "SKIP: this synack was built without libpcap: no synack ladder"
    exit 77
fi
cap=$src/tests/golden/ladder_linux_several.pcap

# The SVG: well-formed, one <g class="seg ..."> per segment, every state.
"$bin" ladder --format svg --conn 1 "$cap" -o "$out_dir/normal.svg" || fail=1
if command -v xmllint >/dev/null; then
    if xmllint --noout "$out_dir/normal.svg"; then
        echo "ok   SVG is well-formed XML"
    else
        echo "FAIL SVG is not well-formed"
        fail=1
    fi
fi
segs=$(grep -o '<g class="seg ' "$out_dir/normal.svg" | wc -l)
[ "$segs" -eq 11 ] || { echo "FAIL SVG has $segs arrows, want 11"; fail=1; }
for st in CLOSED LISTEN SYN-SENT SYN-RCVD ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSE-WAIT \
    LAST-ACK TIME-WAIT; do
    grep -q "class=\"state\"[^>]*>$st<" "$out_dir/normal.svg" ||
        { echo "FAIL SVG has no state $st"; fail=1; }
done
"$bin" ladder --format svg "$cap" >/dev/null 2>"$out_dir/err"
[ $? -eq 1 ] && grep -q "choose one" "$out_dir/err" ||
    { echo "FAIL an SVG of three connections must ask to choose one"; fail=1; }

browser=
for b in chromium chromium-browser google-chrome; do
    command -v "$b" >/dev/null && { browser=$b; break; }
done
if [ -z "$browser" ]; then
    echo "SKIP: chromium is not installed (apt-get install chromium); the HTML page was not tested in a browser"
    [ "$fail" -eq 0 ] && exit 77
    exit 1
fi

page=$out_dir/several.html
"$bin" ladder --format html "$cap" -o "$page" || { echo "FAIL writing $page"; exit 1; }
# Self-contained: no scripts, styles or fonts from anywhere else.
if grep -Eq '(src|href)="(https?:)?//' "$page"; then
    echo "FAIL the page loads something from elsewhere"
    fail=1
fi
run_browser() {
    timeout 120 "$browser" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$out_dir/profile" "$@" 2>>"$out_dir/browser.log"
}
run_browser --dump-dom "file://$page#selftest" >"$out_dir/dom.html"
sed -n '/<pre id="selftest">/,/<\/pre>/p' "$out_dir/dom.html" |
    sed 's/.*<pre id="selftest">//; s/<\/pre>.*//' >"$out_dir/selftest.txt"
cat >"$out_dir/want.txt" <<'EOF'
connections=3
arrows=11
labels=11
states=12
panel=Segment 1: 127.0.0.1:36926 -&gt; 127.0.0.1:8080
picked=1
rel-shown=true
abs-shown=true rel-hidden=true
zoom-moved=true
picker-shows-2=true
EOF
if diff -u "$out_dir/want.txt" "$out_dir/selftest.txt"; then
    echo "ok   the page in $browser: arrows, labels, details on click, absolute toggle, zoom, picker"
else
    echo "FAIL the page in $browser (log: $out_dir/browser.log)"
    fail=1
fi
run_browser --screenshot="$out_dir/ladder.png" --window-size=1300,900 "file://$page" >/dev/null
if [ -s "$out_dir/ladder.png" ]; then
    echo "screenshot: $out_dir/ladder.png"
else
    echo "FAIL no screenshot"
    fail=1
fi
exit $fail
