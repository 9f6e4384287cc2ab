#!/usr/bin/env bash
# The CLI's dispatch: --help, --version, unknown commands and bad arguments.
set -u
bin=${SYNACK_BIN:-}
[ -n "$bin" ] || { echo "skip: the synack program was not built"; exit 77; }
fail=0
check() { # check NAME EXPECTED_STATUS CMD...
    local name=$1 want=$2; shift 2
    "$@" >/tmp/cli_main.out 2>/tmp/cli_main.err
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"; cat /tmp/cli_main.out /tmp/cli_main.err; fail=1
    else
        echo "ok   $name"
    fi
}
check "--help exits 0"            0 "$bin" --help
grep -q "^usage: synack" /tmp/cli_main.out || { echo "FAIL --help prints usage"; fail=1; }
grep -q "  version" /tmp/cli_main.out || { echo "FAIL --help lists commands"; fail=1; }
check "--version exits 0"         0 "$bin" --version
grep -Eq "^synack [0-9]+\.[0-9]+\.[0-9]+$" /tmp/cli_main.out || { echo "FAIL --version format"; fail=1; }
check "no command exits 2"        2 "$bin"
check "unknown command exits 2"   2 "$bin" frobnicate
grep -q "unknown command 'frobnicate'" /tmp/cli_main.err || { echo "FAIL unknown command message"; fail=1; }
grep -q "^usage: synack" /tmp/cli_main.err || { echo "FAIL unknown command prints usage"; fail=1; }
check "help version exits 0"      0 "$bin" help version
check "help unknown exits 2"      2 "$bin" help nope
check "version with arg exits 2"  2 "$bin" version extra
grep -q "unexpected argument 'extra'" /tmp/cli_main.err || { echo "FAIL bad-argument message"; fail=1; }
exit $fail
