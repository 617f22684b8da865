#!/usr/bin/env bash
# The load check (issue 27): the README's test command (ci/test.sh, every
# backend) and the Windows job (ci/windows-wine.sh) with the CPUs kept busy
# beside them, as on a loaded CI machine, several times over. A test that
# depends on timing or on having the machine to itself fails here first.
#
#   ci/load-check.sh [RUNS]    default 3; one busy loop per CPU
#
# Prints one line per run (green or which suite failed, with its log) and
# a summary ("3/3 green"); exits non-zero unless every run was green. The
# logs are in build/load-check/. A 2-core machine takes about 20-40 min a
# run, depending on what else it is doing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs=${1:-3}
cpus=$(nproc 2>/dev/null || echo 2)
logs="$root/build/load-check"
mkdir -p "$logs"

busy=()
stop_busy() {
  local pid
  for pid in "${busy[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${busy[@]}"; do wait "$pid" 2>/dev/null || true; done
  busy=()
}
trap stop_busy EXIT
for _ in $(seq 1 "$cpus"); do
  # A busy loop in its own shell; nice 0, like the builds beside it.
  bash -c 'while :; do :; done' &
  busy+=("$!")
done
echo "ci/load-check.sh: $cpus busy loops (pids ${busy[*]}); $runs run(s)"

green=0
for run in $(seq 1 "$runs"); do
  started=$SECONDS
  result=green
  for suite in test windows-wine; do
    log="$logs/run$run-$suite.log"
    if ! bash "ci/$suite.sh" >"$log" 2>&1; then
      result="ci/$suite.sh failed (see $log)"
      break
    fi
    # Say so when wine had to be asked twice to start a test.
    retries="$root/${DGRAM_WINE_BUILD:-build/windows-wine}/wine-retries.log"
    if [ "$suite" = windows-wine ] && [ -s "$retries" ]; then
      echo "ci/load-check.sh: run $run: wine did not start" \
        "$(wc -l <"$retries") test(s) at first; retried once:"
      sed 's/^/  /' "$retries"
    fi
  done
  [ "$result" = green ] && green=$((green + 1))
  echo "ci/load-check.sh: run $run: $result in $((SECONDS - started)) s"
done
echo "ci/load-check.sh: $green/$runs green"
[ "$green" -eq "$runs" ]
