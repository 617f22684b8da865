#!/usr/bin/env bash
# The fault-injection seam is in the library the tests link and in no
# library a user gets: its functions (dgram::detail::fault::take, failNth,
# reset, calls) must be defined in dgram_internal and absent from dgram,
# whose objects must not call them either.
# Usage: library_seam.sh NM LIBDGRAM LIBDGRAM_INTERNAL
set -u
nm=$1 dgram=$2 internal=$3
status=0
# Defined (T) or referenced (U) symbols of the seam, demangled.
seam() { "$nm" -C "$1" 2>/dev/null | grep -E ' [TtU] dgram::detail::fault::' | sort -u; }

found=$(seam "$dgram")
if [ -n "$found" ]; then
  echo "FAIL: $dgram (what users link and install) has the fault seam:"
  printf '  %s\n' "$found"
  status=1
else
  echo "ok: $dgram has no fault seam"
fi
found=$(seam "$internal")
if ! printf '%s\n' "$found" | grep -q ' T dgram::detail::fault::take('; then
  echo "FAIL: $internal (the tests' library) has no fault seam"
  status=1
else
  echo "ok: $internal has the fault seam ($(printf '%s\n' "$found" | grep -c ' T ') functions)"
fi
exit "$status"
