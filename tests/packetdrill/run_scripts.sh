#!/usr/bin/env bash
# Runs tests/packetdrill/scripts/*.pkt with packetdrill against
# libsynack_packetdrill.so and prints a pass/fail table.
#
#   tests/packetdrill/run_scripts.sh [path/to/libsynack_packetdrill.so] [script.pkt...]
#
# Environment: PACKETDRILL (the binary; default: packetdrill on PATH),
# PD_SO_FLAGS (default "linux"), PD_TIMEOUT (seconds per script, default 120).
# Scripts listed in scripts/XFAIL are expected to fail (XFAIL); one that
# passes is reported as XPASS and counts as a failure, so the list stays true.
# Exit status: 0 all as expected, 1 otherwise, 77 packetdrill is not installed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
so=${1:-${SYNACK_BINARY_DIR:-$here/../../build}/libsynack_packetdrill.so}
shift $(( $# > 0 ? 1 : 0 ))
flags=${PD_SO_FLAGS:-linux}
per_script=${PD_TIMEOUT:-120}

pd=${PACKETDRILL:-$(command -v packetdrill || true)}
if [ -z "$pd" ] || [ ! -x "$pd" ]; then
    echo "SKIP: no packetdrill binary on PATH (or in \$PACKETDRILL)."
    echo "packetdrill is not packaged in Debian: build it from"
    echo "https://github.com/google/packetdrill (cd gtests/net/packetdrill &&"
    echo "./configure && make) and put the packetdrill binary on PATH."
    exit 77
fi
case "$so" in /*) ;; *) so=$PWD/$so ;; esac
if [ ! -f "$so" ]; then
    echo "error: $so not found (build the synack_packetdrill target first)" >&2
    exit 1
fi

if [ $# -gt 0 ]; then
    scripts=("$@")
else
    scripts=("$here"/scripts/*.pkt)
fi

out=${SYNACK_TEST_OUT:-${TMPDIR:-/tmp}}/packetdrill-logs
mkdir -p "$out"
xfail_reason() {
    awk -v n="$1" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' "$here/scripts/XFAIL" \
        2>/dev/null
}
pass=0
fail=0
xfail=0
printf '%-32s %-6s %8s\n' script result seconds
printf '%-32s %-6s %8s\n' ------ ------ -------
for s in "${scripts[@]}"; do
    name=$(basename "$s" .pkt)
    log=$out/$name.log
    start=$(date +%s%N)
    timeout "$per_script" "$pd" --ip_version=ipv4 --local_ip=192.168.0.1 \
        --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 \
        --so_filename="$so" --so_flags="$flags" "$s" >"$log" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    secs=$(printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10)))
    why=$(xfail_reason "$name")
    if [ $rc -eq 0 ] && [ -z "$why" ]; then
        pass=$((pass + 1))
        printf '%-32s %-6s %8s\n' "$name" PASS "$secs"
    elif [ $rc -eq 0 ]; then
        fail=$((fail + 1))
        printf '%-32s %-6s %8s   (listed in XFAIL: %s)\n' "$name" XPASS "$secs" "$why"
    elif [ -n "$why" ]; then
        xfail=$((xfail + 1))
        printf '%-32s %-6s %8s   (%s)\n' "$name" XFAIL "$secs" "$why"
    else
        fail=$((fail + 1))
        printf '%-32s %-6s %8s   (%s)\n' "$name" FAIL "$secs" "$log"
    fi
done
echo
echo "$pass passed, $xfail failed as expected, $fail unexpected" \
    "(packetdrill: $pd; --so_flags=$flags)"
[ $fail -eq 0 ]
