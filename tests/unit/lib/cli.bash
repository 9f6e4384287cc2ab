# Helpers for the CLI tests (tests/unit/cli_*.sh; this file is not a test:
# CMake registers only the scripts directly under tests/unit/).
#
# A test sources this file and calls cli_test_init NAME: it sets $bin (the
# synack program; skipped, exit 77, when it was not built), $out_dir (empty,
# under SYNACK_TEST_OUT), $out and $err (what the last `check` printed) and
# $fail, which the checks set to 1 and the test ends with: exit "$fail".
# shellcheck disable=SC2034 # the variables are the sourcing test's

cli_test_init() {
    bin=${SYNACK_BIN:-}
    if [ -z "$bin" ]; then
        echo "skip: the synack CLI is not built"
        exit 77
    fi
    out_dir=${SYNACK_TEST_OUT:-/tmp}/$1
    rm -rf "$out_dir"
    mkdir -p "$out_dir"
    out=$out_dir/out
    err=$out_dir/err
    fail=0
}

# check NAME EXPECTED_STATUS CMD... : runs CMD (stdout to $out, stderr to
# $err, no stdin) and compares its exit status.
check() {
    local name=$1 want=$2
    shift 2
    "$@" >"$out" 2>"$err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL $name: exit $got, want $want"
        cat "$out" "$err"
        fail=1
    else
        echo "ok   $name"
    fi
}

# ok_if NAME CMD... : passes if CMD succeeds.
ok_if() {
    local name=$1
    shift
    if "$@"; then
        echo "ok   $name"
    else
        echo "FAIL $name"
        fail=1
    fi
}

# has NAME FILE ERE : FILE has a line matching ERE.
has() {
    if grep -Eq -- "$3" "$2"; then
        echo "ok   $1"
    else
        echo "FAIL $1: no line matching '$3' in $2:"
        head -5 "$2"
        fail=1
    fi
}

# hasnt NAME FILE ERE : FILE has no line matching ERE.
hasnt() {
    if grep -Eq -- "$3" "$2"; then
        echo "FAIL $1: '$3' found in $2"
        fail=1
    else
        echo "ok   $1"
    fi
}
