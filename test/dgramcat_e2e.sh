#!/usr/bin/env bash
# End-to-end test of dgramcat on loopback: real processes, real sockets.
# Usage: dgramcat_e2e.sh PATH/TO/dgramcat
# Every dgramcat run is bounded with `timeout`; listeners use a random
# high port, picked again when it is taken (EADDRINUSE).
set -u

source "$(dirname "$0")/support/dgramcat_e2e_lib.sh" "$@"

# payloads NAME: the payload column of the listener's output.
payloads() { sed -e 's/^[^)]*): //' "$work/$1.out"; }

# --- one message, one datagram ----------------------------------------------
if start_listener single 127.0.0.1 --count 1 --timeout 5; then
  # While it runs, a second listener on its port fails at run time.
  timeout 5 "$dgramcat" -b 127.0.0.1 -l "$port" --timeout 2 \
    >"$work/busy.out" 2>"$work/busy.err"
  expect_eq "port in use: exit status" "$?" 1
  expect_eq "port in use: one line on stderr" "$(wc -l <"$work/busy.err")" 1
  if grep -q "^dgramcat: bind EADDRINUSE 127.0.0.1:$port\$" "$work/busy.err"
  then
    pass "port in use: message"
  else
    fail "port in use: message: $(cat "$work/busy.err")"
  fi

  timeout 5 "$dgramcat" 127.0.0.1 "$port" --message hello
  expect_eq "send --message: exit status" "$?" 0
  finish_listener
  expect_eq "listener --count 1: exit status" "$status" 0
  if grep -Eq '^127\.0\.0\.1:[0-9]+ \(IPv4, 5 bytes\): hello$' \
    "$work/single.out" && [[ $(wc -l <"$work/single.out") == 1 ]]; then
    pass "listener printed the datagram"
  else
    fail "listener output: $(cat "$work/single.out")"
  fi
fi

# --- stdin lines: one datagram each, empty lines too, CRLF stripped -----------
if start_listener lines 127.0.0.1 --count 3 --timeout 5; then
  printf 'one\n\ntwo\r\n' | timeout 5 "$dgramcat" 127.0.0.1 "$port"
  expect_eq "send stdin: exit status" "$?" 0
  finish_listener
  expect_eq "listener --count 3: exit status" "$status" 0
  expect_eq "stdin lines arrive as datagrams" "$(payloads lines | tr '\n' '|')" \
    "one||two|"
  grep -q "(IPv4, 0 bytes): $" "$work/lines.out" ||
    fail "empty line: $(cat "$work/lines.out")"
fi

# --- --count N in send mode reads N lines; --timeout ends a blocked read -----
if start_listener first 127.0.0.1 --count 2 --timeout 5; then
  printf 'a\nb\nc\n' | timeout 5 "$dgramcat" 127.0.0.1 "$port" --count 2
  expect_eq "send --count 2: exit status" "$?" 0
  finish_listener
  expect_eq "send --count 2: datagrams" "$(payloads first | tr '\n' '|')" "a|b|"
fi
# stdin is a FIFO this script keeps open for writing and never writes: only
# --timeout can end this one.
mkfifo "$work/idle-stdin"
exec 4<>"$work/idle-stdin"
timeout 5 "$dgramcat" 127.0.0.1 9 --timeout 0.3 <"$work/idle-stdin"
expect_eq "send with idle stdin, --timeout: exit status" "$?" 0
exec 4>&-

# --- --message with --count N sends N copies; escaping; host name lookup ------
if start_listener copies 127.0.0.1 --count 3 --timeout 5; then
  timeout 10 "$dgramcat" localhost "$port" --count 3 --message $'a\tb\x01'
  expect_eq "send --count 3 to localhost: exit status" "$?" 0
  finish_listener
  expect_eq "listener: exit status" "$status" 0
  expect_eq "three escaped copies" "$(payloads copies | tr '\n' '|')" \
    'a\tb\x01|a\tb\x01|a\tb\x01|'
fi

# --- --echo sends each datagram back ----------------------------------------
if start_listener echo 127.0.0.1 --echo --count 1 --timeout 5; then
  reply=
  # bash's /dev/udp: a connected UDP socket as file descriptor 3.
  if exec 3<>"/dev/udp/127.0.0.1/$port"; then
    printf 'ping' >&3
    # dd reads the datagram whole (bash's read would take one byte of it).
    reply=$(timeout 3 dd bs=65536 count=1 status=none <&3)
    exec 3<&-
  fi
  finish_listener
  expect_eq "echo: listener exit status" "$status" 0
  expect_eq "echo: reply" "$reply" ping
fi

# --- --timeout: exit 0 in plain listen mode, 1 when --count is not reached ----
if start_listener idle 127.0.0.1 --timeout 0.3; then
  finish_listener
  expect_eq "plain listen --timeout: exit status" "$status" 0
  expect_eq "plain listen --timeout: no output" "$(cat "$work/idle.out")" ""
fi
if start_listener short 127.0.0.1 --count 2 --timeout 0.3; then
  finish_listener
  expect_eq "--count 2 --timeout: exit status" "$status" 1
  grep -q "^dgramcat: timeout: received 0 of 2 datagrams$" "$work/short.err" ||
    fail "--count --timeout message: $(cat "$work/short.err")"
fi

# --- IPv6, where the machine has ::1 ------------------------------------------
if timeout 5 "$dgramcat" -6 -b ::1 -l 0 --timeout 0.1 2>/dev/null; then
  if start_listener six ::1 -6 --count 1 --timeout 5; then
    timeout 5 "$dgramcat" -6 ::1 "$port" --message v6
    expect_eq "send -6: exit status" "$?" 0
    finish_listener
    expect_eq "listener -6: exit status" "$status" 0
    grep -Eq '^\[::1\]:[0-9]+ \(IPv6, 2 bytes\): v6$' "$work/six.out" ||
      fail "listener -6 output: $(cat "$work/six.out")"
  fi
else
  echo "skip: no IPv6 loopback"
fi

# --- bad arguments: exit 2, one line on stderr, nothing on stdout -------------
check_bad_args() {
  local expected=$1
  shift
  timeout 5 "$dgramcat" "$@" >"$work/bad.out" 2>"$work/bad.err"
  local status=$?
  if [[ $status == 2 && ! -s "$work/bad.out" &&
    $(cat "$work/bad.err") == "$expected" ]]; then
    pass "bad arguments: $*"
  else
    fail "bad arguments: $*: status $status, stderr [$(cat "$work/bad.err")]"
  fi
}
check_bad_args "dgramcat: option '--count' needs a value (try --help)" \
  127.0.0.1 9 --count
check_bad_args "dgramcat: port '70000' out of range (0-65535) (try --help)" \
  -l 70000
check_bad_args \
  "dgramcat: -l cannot be combined with HOST PORT (got 'host') (try --help)" \
  -l 9 host 9
check_bad_args "dgramcat: unknown option '--bogus' (try --help)" --bogus
check_bad_args "dgramcat: missing HOST PORT (or -l PORT) (try --help)"

# --- --help and --version -------------------------------------------------------
help=$(timeout 5 "$dgramcat" --help)
expect_eq "--help: exit status" "$?" 0
[[ $help == "Usage: dgramcat"* ]] || fail "--help text: $help"
version=$(timeout 5 "$dgramcat" --version)
expect_eq "--version: exit status" "$?" 0
[[ $version == "dgramcat "* ]] || fail "--version text: $version"

finish_script
