#!/usr/bin/env bash
# The interop tests need root; without it they must report "skipped"
# (exit 77, CTest's SKIP_RETURN_CODE) and say which privilege is missing,
# never pass silently and never fail. Runs each of them with a capability
# dropped, one without /dev/net/tun and one as an ordinary user (root is
# needed for that; otherwise this is skipped too).
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root to drop capabilities from"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: setpriv (util-linux) is missing"; exit 77; }
[ -n "${SYNACK_BIN:-}" ] || { echo "skip: the synack program was not built"; exit 77; }
out_dir=${SYNACK_TEST_OUT:-/tmp/synack-test-out}/interop/skip_unprivileged
mkdir -p "$out_dir"
fail=0

expect_skip() { # expect_skip NAME MESSAGE SETPRIV_ARGS... -- : each test exits 77 with MESSAGE
    local name=$1 msg=$2
    shift 2
    local t base rc
    for t in "$here"/*.sh; do
        base=$(basename "$t" .sh)
        [ "$base" = skip_unprivileged ] && continue
        # SYNACK_TEST_OUT points elsewhere: a skipped test must not touch
        # the real tests' output.
        SYNACK_TEST_OUT=$out_dir timeout 30 setpriv "$@" bash "$t" >"$out_dir/$base.out" 2>&1
        rc=$?
        if [ "$rc" -eq 77 ] && grep -qF "skip: $msg" "$out_dir/$base.out"; then
            echo "ok   $base $name: skipped, '$msg'"
        else
            echo "FAIL $base $name: exit $rc, want 77 and 'skip: $msg':"
            sed 's/^/    /' "$out_dir/$base.out"
            fail=1
        fi
    done
}

expect_skip "without CAP_NET_ADMIN" "needs the CAP_NET_ADMIN capability" \
    --inh-caps=-all --bounding-set=-net_admin
expect_skip "without CAP_SYS_ADMIN" "needs the CAP_SYS_ADMIN capability" \
    --inh-caps=-all --bounding-set=-sys_admin
# No TUN/TAP driver: /dev/net hidden under an empty tmpfs in a mount
# namespace of its own (the real one is untouched).
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
    SYNACK_TEST_OUT=$out_dir timeout 30 unshare -m bash -c \
        'mount -t tmpfs none /dev/net && exec bash "$0"' "$here/tun_serve.sh" \
        >"$out_dir/notun.out" 2>&1
    rc=$?
    if [ "$rc" -eq 77 ] && grep -q "skip: no /dev/net/tun" "$out_dir/notun.out"; then
        echo "ok   tun_serve without /dev/net/tun: skipped, $(head -1 "$out_dir/notun.out")"
    else
        echo "FAIL tun_serve without /dev/net/tun: exit $rc, want 77 and 'skip: no /dev/net/tun':"
        sed 's/^/    /' "$out_dir/notun.out"
        fail=1
    fi
fi
# An ordinary user: /dev/net/tun is world-writable on most systems (then
# the capability is what is missing), root-only on some.
SYNACK_TEST_OUT=$out_dir timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups \
    bash "$here/tun_serve.sh" >"$out_dir/nobody.out" 2>&1
rc=$?
if [ "$rc" -eq 77 ] && grep -Eq "skip: (needs the CAP_NET_ADMIN capability|/dev/net/tun is not readable and writable)" "$out_dir/nobody.out"; then
    echo "ok   tun_serve as nobody: skipped, $(head -1 "$out_dir/nobody.out")"
else
    echo "FAIL tun_serve as nobody: exit $rc, want 77:"
    sed 's/^/    /' "$out_dir/nobody.out"
    fail=1
fi
exit $fail
