#!/usr/bin/env bash
# Checks ci/wine-run.sh's retry rule with a stand-in for wine (no wine
# needed, a second at most): a program wine did not start is run once more
# and the retry is logged; a program that started and failed is never run
# again and keeps its exit status; other programs run once. ci/windows-wine.sh
# runs it before the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/dgram-wine-run-selftest-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The stand-in: counts its runs; MODE says what each run does.
cat >"$work/fake-wine" <<'EOF'
#!/usr/bin/env bash
runs=$(( $(cat "$FAKE_DIR/runs" 2>/dev/null || echo 0) + 1 ))
echo "$runs" >"$FAKE_DIR/runs"
mark=${DGRAM_TEST_STARTED_FILE:-}
mark=${mark#Z:}
case "$FAKE_MODE" in
  flaky)   # does not start the first time, then passes
    [ "$runs" -eq 1 ] && exit 1
    : >"$mark"; exit 0 ;;
  fails)   # starts, and the test fails
    : >"$mark"; exit 3 ;;
  never)   # never starts
    exit 1 ;;
  plain)   # a program without a start mark that fails
    exit 4 ;;
esac
EOF
chmod +x "$work/fake-wine"

failures=0
check() {  # check MODE PROGRAM EXPECTED_STATUS EXPECTED_RUNS EXPECTED_LOG_LINES
  local mode=$1 program=$2 want_status=$3 want_runs=$4 want_log=$5 status runs log
  rm -f "$work/runs" "$work/retries"
  status=0
  FAKE_MODE=$mode FAKE_DIR=$work DGRAM_WINE="$work/fake-wine" \
    DGRAM_WINE_RETRY_LOG="$work/retries" \
    "$root/ci/wine-run.sh" "$program" "some test" 2>"$work/stderr" || status=$?
  runs=$(cat "$work/runs")
  log=$( (cat "$work/retries" 2>/dev/null || true) | wc -l)
  if [ "$status" != "$want_status" ] || [ "$runs" != "$want_runs" ] ||
     [ "$log" != "$want_log" ]; then
    echo "ci/wine-run-selftest.sh: $mode: exit $status, $runs runs, $log log" \
      "lines; expected $want_status, $want_runs, $want_log" >&2
    cat "$work/stderr" >&2
    failures=$((failures + 1))
  fi
}
check flaky /x/dgram_tests.exe 0 2 1
check fails /x/dgram_tests.exe 3 1 0
check never /x/dgram_tests.exe 1 2 2
check plain /x/server.exe 4 1 0
if [ "$failures" -ne 0 ]; then
  echo "ci/wine-run-selftest.sh: $failures case(s) failed" >&2
  exit 1
fi
echo "ci/wine-run-selftest.sh: retry rule holds (not started: retried once;" \
  "started and failed: not retried)"
