#!/usr/bin/env bash
# synack serve, connect and get: usage, and bad arguments (exit 2 with a
# message and the usage) before any device is touched. Talking to the
# kernel is tested in tests/interop/.
set -u
# shellcheck source=lib/cli.bash
source "$(dirname "$0")/lib/cli.bash"
cli_test_init cli_net

bad() { # bad CMD NAME MESSAGE ARGS...: exit 2, MESSAGE and the usage on stderr
    local cmd=$1 name=$2 msg=$3
    shift 3
    check "$cmd $name exits 2" 2 "$bin" "$cmd" "$@"
    grep -qF -- "synack $cmd: $msg" "$err" || {
        echo "FAIL $cmd $name: no 'synack $cmd: $msg' in stderr"
        cat "$err"
        fail=1
    }
    grep -q "^usage: synack $cmd" "$err" || {
        echo "FAIL $cmd $name: no usage"
        fail=1
    }
}

for cmd in serve connect get; do
    check "$cmd --help" 0 "$bin" "$cmd" --help
    grep -q "^usage: synack $cmd" "$out" || { echo "FAIL $cmd --help prints usage"; fail=1; }
    grep -q -- "--peer-addr A/LEN" "$out" || { echo "FAIL $cmd --help lists link options"; fail=1; }
    check "help $cmd" 0 "$bin" help "$cmd"
done
check "--help lists serve" 0 "$bin" --help
for cmd in serve connect get; do
    grep -q "^  $cmd " "$out" || { echo "FAIL --help does not list $cmd"; fail=1; }
done

bad serve "no port" "--port is required" --echo
bad serve "no mode" "a mode is required: --echo, --discard, --chargen or --http DIR" --port 7
bad serve "two modes" "--discard conflicts with an earlier mode option" --port 7 --echo --discard
bad serve "port 0" "bad value '0' for --port" --port 0 --echo
bad serve "port too big" "bad value '65536' for --port" -p 65536 --echo
bad serve "http not a dir" "--http /nonexistent-dir: No such file or directory" --port 80 --http /nonexistent-dir
bad serve "http a file" "--http /etc/passwd: not a directory" --port 80 --http /etc/passwd
bad serve "bad addr" "bad value '10.7.0.300/24' for --addr" --port 7 --echo --addr 10.7.0.300/24
bad serve "network addr" "--addr 10.7.0.0/24: is the subnet's network or broadcast address" --port 7 --echo --addr 10.7.0.0/24
bad serve "same addrs" "--addr and --peer-addr must differ" --port 7 --echo --addr 10.7.0.2/24 --peer-addr 10.7.0.2/24
bad serve "bad peer" "bad value '0.0.0.0/24' for --peer-addr" --port 7 --echo --peer-addr 0.0.0.0/24
bad serve "long ifname" "bad value 'abcdefghijklmnop' for --tun" --port 7 --echo --tun abcdefghijklmnop
bad serve "slash ifname" "bad value 'a/b' for --tap" --port 7 --echo --tap a/b
bad serve "mtu" "bad value '100' for --mtu" --port 7 --echo --mtu 100
bad serve "missing value" "option --pcap needs a value" --port 7 --echo --pcap
bad serve "unknown" "unknown option '--bogus'" --port 7 --echo --bogus
bad serve "extra" "unexpected argument 'extra'" --port 7 --echo extra

bad connect "nothing" "HOST and PORT are required"
bad connect "no port" "HOST and PORT are required" 10.7.0.1
bad connect "name" "bad HOST 'example.com' (an IPv4 address; names are not looked up)" example.com 80
bad connect "bad port" "bad PORT '0'" 10.7.0.1 0
bad connect "three args" "unexpected argument 'x'" 10.7.0.1 80 x
bad connect "own addr" "HOST is the stack's own address" 10.7.0.2 80
bad connect "timeout" "bad value 'x' for --timeout" 10.7.0.1 80 --timeout x

bad get "nothing" "URL is required"
bad get "https" "https is not supported: 'https://10.7.0.1/'" https://10.7.0.1/
bad get "no scheme" "bad URL '10.7.0.1/x' (want http://ADDRESS[:PORT]/PATH)" 10.7.0.1/x
bad get "name" "bad host 'example.com' in URL (an IPv4 address; names are not looked up)" http://example.com/
bad get "port" "bad port in URL 'http://10.7.0.1:99999/'" http://10.7.0.1:99999/
bad get "two urls" "unexpected argument 'http://10.7.0.1/b'" http://10.7.0.1/a http://10.7.0.1/b
bad get "no output" "option --output needs a value" http://10.7.0.1/ --output

# Without CAP_NET_ADMIN the device cannot be created: exit 77 ("cannot
# run here", not "failed") and a message naming the capability. Needs root
# to drop the capability from (and setpriv); the bounding set keeps it
# dropped for the whole command, so no device is created.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    for cmd in "serve --port 7 --echo" "connect 10.7.0.1 7" "get http://10.7.0.1/"; do
        # shellcheck disable=SC2086
        check "${cmd%% *} without CAP_NET_ADMIN exits 77" 77 \
            setpriv --inh-caps=-all --bounding-set=-net_admin "$bin" $cmd --tun sknopriv0
        grep -qF "creating TUN device 'sknopriv0' needs the CAP_NET_ADMIN capability" "$err" || {
            echo "FAIL ${cmd%% *}: no CAP_NET_ADMIN message"
            cat "$err"
            fail=1
        }
    done
else
    echo "note: not root or no setpriv: the missing-privilege messages are not checked"
fi

exit $fail
