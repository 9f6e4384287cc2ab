# Shared by the interop tests (tests/interop/*.sh; this file is not a test:
# CMake registers only the scripts directly under tests/interop/).
#
# A test sources this file, calls interop_init NAME TOOLS..., and then runs
# inside a network namespace of its own: the script re-executes itself
# under `unshare -n`, so the devices, addresses and sockets it creates
# vanish with it, and tests run in parallel without seeing each other. An
# EXIT trap stops every background process the test started, which is
# what lets the namespace go.
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped (not
# root, no /dev/net/tun, a tool missing), so a machine that cannot run
# these reports "skipped", never "passed".

# Every wait is bounded; a hang fails the test, it does not stall CTest.
INTEROP_WAIT=${INTEROP_WAIT:-15}

interop_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

skip() {
    echo "skip: $*"
    exit 77
}

# The effective capability set has bit N set (linux/capability.h numbers).
has_cap() {
    local eff
    eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status 2>/dev/null) || return 1
    [ -n "$eff" ] && (((0x$eff >> $1) & 1))
}

interop_check_privileges() {
    [ -e /dev/net/tun ] ||
        skip "no /dev/net/tun: the kernel's TUN/TAP driver is missing (modprobe tun, or a container without the device)"
    [ -r /dev/net/tun ] && [ -w /dev/net/tun ] ||
        skip "/dev/net/tun is not readable and writable by $(id -un)"
    has_cap 12 ||
        skip "needs the CAP_NET_ADMIN capability to create TUN/TAP devices and assign addresses (run as root)"
    has_cap 21 ||
        skip "needs the CAP_SYS_ADMIN capability to create a network namespace with unshare -n (run as root)"
}

# interop_init NAME TOOL... : checks what the test needs, enters a new
# network namespace, sets up the output directory and the cleanup.
interop_init() {
    local name=$1
    shift
    local missing=() t
    for t in unshare ip timeout "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] ||
        skip "missing programs: ${missing[*]} (scripts/install-deps.sh installs them)"
    BIN=${SYNACK_BIN:-}
    [ -n "$BIN" ] && [ -x "$BIN" ] || skip "the synack program was not built (SYNACK_BIN is empty)"
    if [ -z "${SYNACK_INTEROP_IN_NETNS:-}" ]; then
        interop_check_privileges
        local why
        why=$(unshare -n true 2>&1) || skip "cannot create a network namespace here: $why"
        export SYNACK_INTEROP_IN_NETNS=1
        exec unshare -n -- bash "$0"
    fi
    OUT=${SYNACK_TEST_OUT:-/tmp/synack-test-out}/interop/$name
    rm -rf "$OUT"
    mkdir -p "$OUT"
    BG_PIDS=()
    FAILED=0
    trap interop_cleanup EXIT
    trap 'exit 1' INT TERM
    ip link set lo up
}

interop_cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${BG_PIDS[@]}"; do
        wait "$p" 2>/dev/null
    done
}

# bg LOG CMD... : runs CMD in the background, stdout and stderr to LOG,
# killed after a while in any case; sets BG_PID.
bg() {
    local log=$1
    shift
    timeout -k 2 120 "$@" >"$log" 2>&1 </dev/null &
    BG_PID=$!
    BG_PIDS+=("$BG_PID")
}

# wait_until SECONDS WHAT CMD... : polls CMD until it succeeds; fails the
# test (and returns 1) with WHAT if it does not within SECONDS.
wait_until() {
    local secs=$1 what=$2
    shift 2
    local end=$((SECONDS + secs))
    until "$@"; do
        if [ "$SECONDS" -ge "$end" ]; then
            fail "timed out after ${secs}s waiting for $what"
            return 1
        fi
        sleep 0.05
    done
}

# wait_exit PID SECONDS WHAT : waits for a background process to end by
# itself, killing it after SECONDS; sets RC to its exit status (124 when
# it had to be killed).
wait_exit() {
    local pid=$1 secs=$2 what=$3
    local end=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$end" ]; then
            fail "timed out after ${secs}s waiting for $what to exit"
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            RC=124
            return 1
        fi
        sleep 0.05
    done
    wait "$pid"
    RC=$?
}

# stop PID WHAT : SIGINT (synack's clean shutdown), then waits for exit 0.
stop() {
    local pid=$1 what=$2
    kill -INT "$pid" 2>/dev/null
    wait_exit "$pid" 10 "$what" || return 1
    check "$what exits 0 after SIGINT" [ "$RC" -eq 0 ]
}

# end PID WHAT : stops a helper (not synack) whose exit status is not the
# point, and waits for it.
end() {
    kill -TERM "$1" 2>/dev/null
    wait_exit "$1" 10 "$2"
}

ok() { echo "ok   $*"; }
fail() {
    echo "FAIL $*"
    FAILED=1
}

# check WHAT CMD... : one named check.
check() {
    local what=$1
    shift
    if "$@"; then
        ok "$what"
    else
        fail "$what"
    fi
}

# check_log FILE PATTERN WHAT : FILE has a line matching the extended regex.
check_log() {
    if grep -Eq -- "$2" "$1"; then
        ok "$3"
    else
        fail "$3: no /$2/ in $1:"
        sed 's/^/    /' "$1" | tail -20
    fi
}

# A file has a line matching the regex (for wait_until).
has_line() { grep -Eq -- "$2" "$1" 2>/dev/null; }

# check_same_sha WHAT EXPECTED_FILE GOT_FILE : SHA-256 of both, and equal.
check_same_sha() {
    local want got
    want=$(sha256sum <"$2" | cut -d' ' -f1)
    got=$(sha256sum <"$3" 2>/dev/null | cut -d' ' -f1)
    if [ "$want" = "$got" ]; then
        ok "$1: SHA-256 $want"
    else
        fail "$1: SHA-256 $got, want $want ($(stat -c %s "$3" 2>/dev/null || echo no) bytes, want $(stat -c %s "$2"))"
    fi
}

# A file of N MiB of random bytes, made once per build tree and shared by
# the tests (made under a temporary name: tests run in parallel).
random_file() { # random_file MIB -> prints the path
    # Shared by tests that run at once (ctest -j): the content is a pure
    # function of the size, so two tests creating it together write the same
    # bytes, and the one that renames last replaces nothing that differs.
    local dir=${SYNACK_TEST_OUT:-/tmp/synack-test-out}/interop/data
    local f=$dir/random-$1M
    if [ ! -s "$f" ]; then
        mkdir -p "$dir"
        python3 -c 'import random, sys
n = int(sys.argv[1]) * 1048576
sys.stdout.buffer.write(random.Random(n).randbytes(n))' "$1" >"$f.$$"
        mv -f "$f.$$" "$f"
    fi
    echo "$f"
}

# serve_on DEV ADDR PEER LOG ARGS... : starts `synack serve ARGS` creating
# DEV (a TUN device unless ARGS says --tap) with the kernel side PEER, and
# waits until it listens; sets SERVE_PID.
start_serve() {
    local log=$1
    shift
    bg "$log" "$BIN" serve "$@"
    SERVE_PID=$BG_PID
    wait_until "$INTEROP_WAIT" "synack serve to listen ($log)" has_line "$log" "listening on"
}

# start_capture DEV FILE : tcpdump on DEV (or "any") writing FILE, each
# packet as it comes; returns once tcpdump is capturing. Sets CAP_PID.
start_capture() {
    local dev=$1 file=$2
    bg "$file.log" tcpdump -i "$dev" -nn -U --immediate-mode -s 256 -B 8192 -w "$file" tcp
    CAP_PID=$BG_PID
    wait_until "$INTEROP_WAIT" "tcpdump to start" has_line "$file.log" "listening on"
}

# stop_capture : lets the last packets reach the file, then stops tcpdump.
stop_capture() {
    sleep 0.3
    kill -INT "$CAP_PID" 2>/dev/null
    wait_exit "$CAP_PID" 10 tcpdump
}

peer() { timeout -k 2 60 python3 "$interop_lib_dir/peer.py" "$@"; }

interop_done() {
    if [ "$FAILED" -ne 0 ]; then
        echo "logs and captures: $OUT"
        exit 1
    fi
    exit 0
}
