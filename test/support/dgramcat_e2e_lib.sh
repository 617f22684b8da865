# Shared by the dgramcat end-to-end scripts (test/dgramcat_*_e2e.sh):
#   source test/support/dgramcat_e2e_lib.sh PATH/TO/dgramcat
# Every dgramcat run is bounded with `timeout`; every wait loop is bounded
# in count; traffic goes to 127.0.0.1 and ::1 only.
dgramcat=${1:?usage: $0 PATH/TO/dgramcat}
support=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$work"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
skip() { echo "SKIPPED: $*"; }

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  if [[ "$2" == "$3" ]]; then
    pass "$1"
  else
    fail "$1: got [$2], expected [$3]"
  fi
}

# expect_match WHAT FILE REGEX: some line of FILE matches REGEX.
expect_match() {
  if grep -Eq -- "$3" "$2"; then
    pass "$1"
  else
    fail "$1: no line matching [$3] in [$(cat "$2")]"
  fi
}

# start_listener NAME ADDRESS ARGS...: runs `dgramcat -v -b ADDRESS -l PORT
# ARGS...` in the background (ADDRESS "" = no -b) and waits until it is
# bound. Sets $port and $pid ($pid is timeout(1)'s, which passes a signal
# on; with timeout_flags=(--foreground) to the listener alone, else to its
# whole process group as well); output in $work/NAME.out, $work/NAME.err.
timeout_flags=()
start_listener() {
  local name=$1 address=$2
  shift 2
  local bind=()
  [[ -n $address ]] && bind=(-b "$address")
  for _ in {1..10}; do
    port=$((20000 + RANDOM % 40000))
    timeout "${timeout_flags[@]}" 20 "$dgramcat" -v "${bind[@]}" -l "$port" "$@" \
      >"$work/$name.out" 2>"$work/$name.err" </dev/null &
    pid=$!
    wait_for_line "$work/$name.err" "listening on" "$pid" && return 0
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    grep -qs EADDRINUSE "$work/$name.err" || break
  done
  fail "$name: listener did not start: $(cat "$work/$name.err")"
  return 1
}

# wait_for_line FILE TEXT [PID]: up to 5 s for TEXT to appear in FILE
# (gives up early if PID ends).
wait_for_line() {
  for _ in {1..100}; do
    grep -qs -- "$2" "$1" && return 0
    [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null && {
      grep -qs -- "$2" "$1"
      return
    }
    sleep 0.05
  done
  return 1
}

# finish_listener: waits for the listener; sets $status.
finish_listener() {
  wait "$pid"
  status=$?
}

# free_udp_port: a port with nothing bound on 127.0.0.1 (for ICMP tests).
free_udp_port() {
  python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_echo_server NAME [ADDRESS]: Node's dgram echo server; sets
# $echo_port and $echo_pid, or returns 1 (skipped) without node.
start_echo_server() {
  if ! command -v node >/dev/null; then
    skip "$1: node is not installed"
    return 1
  fi
  mkfifo "$work/$1.stdin"
  timeout 20 node "$support/udp_echo_server.js" "${2:-127.0.0.1}" 20 \
    <"$work/$1.stdin" >"$work/$1.port" 2>&1 &
  echo_pid=$!
  exec {echo_fd}>"$work/$1.stdin"  # stdin stays open until the end
  wait_for_line "$work/$1.port" "port=" "$echo_pid" || {
    fail "$1: echo server did not start: $(cat "$work/$1.port")"
    return 1
  }
  echo_port=$(sed -n 's/^port=//p' "$work/$1.port")
}

# have TOOL: whether TOOL is installed (prints SKIPPED otherwise).
have() {
  command -v "$1" >/dev/null && return 0
  skip "$1 is not installed (ci/deps.sh installs it)"
  return 1
}

finish_script() {
  if ((failures > 0)); then
    echo "$failures check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
