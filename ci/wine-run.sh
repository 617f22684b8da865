#!/usr/bin/env bash
# Runs a Windows program under wine for ctest and Catch2's test discovery
# (ci/windows-wine.sh makes it the build's CMAKE_CROSSCOMPILING_EMULATOR):
#
#   ci/wine-run.sh PROGRAM.exe [ARGS...]
#
# On a loaded machine wine now and then fails to start a program at all: it
# exits at once with no output (seen in the Windows job: a test "failed" in
# 0.00 s). That is the harness failing, not the test, so for the test
# program (dgram_tests.exe, whose main() writes the start mark named by
# DGRAM_TEST_STARTED_FILE before anything else, see test/support/main.cpp)
# it is told apart and retried once:
#   - the program wrote its start mark: whatever it returns is the result,
#     never retried (a real failure stays a failure);
#   - it exited non-zero without writing the mark: wine did not start it;
#     run once more, and say so on stderr and in DGRAM_WINE_RETRY_LOG (the
#     job prints that file at its end).
# Any other program (an example, dgramcat) runs once, as it is.
#
# Environment: DGRAM_WINE (the wine binary, default /usr/lib/wine/wine64),
# WINEPREFIX and the other WINE* variables as the job sets them.
set -u
wine=${DGRAM_WINE:-/usr/lib/wine/wine64}
program=${1:?usage: ci/wine-run.sh PROGRAM.exe [ARGS...]}

case "${program##*/}" in
  dgram_tests.exe) ;;
  *) exec "$wine" "$@" ;;
esac

marks=$(mktemp -d "${TMPDIR:-/tmp}/dgram-wine-run-XXXXXX") || exit 1
trap 'rm -rf "$marks"' EXIT
status=0
for attempt in 1 2; do
  mark="$marks/started-$attempt"
  # Wine's drive Z: is the Unix root.
  DGRAM_TEST_STARTED_FILE="Z:$mark" "$wine" "$@"
  status=$?
  if [ "$status" -eq 0 ] || [ -e "$mark" ]; then
    exit "$status"  # it ran: its own result
  fi
  what="wine did not start ${program##*/} ${*:2} (exit $status, no start mark)"
  if [ "$attempt" -eq 1 ]; then
    echo "ci/wine-run.sh: $what: retrying once" >&2
    if [ -n "${DGRAM_WINE_RETRY_LOG:-}" ]; then
      echo "$what" >>"$DGRAM_WINE_RETRY_LOG"
    fi
  else
    echo "ci/wine-run.sh: $what again: giving up" >&2
    if [ -n "${DGRAM_WINE_RETRY_LOG:-}" ]; then
      echo "$what, again on the retry: failed" >>"$DGRAM_WINE_RETRY_LOG"
    fi
  fi
done
exit "$status"
