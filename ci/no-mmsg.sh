#!/usr/bin/env bash
# The build of a system without sendmmsg and recvmmsg (macOS; CMake finds
# neither there), made on this Linux by telling CMake the calls are
# missing: clang++ (macOS's compiler), warnings as errors, and the whole
# suite on every backend. It walks the code those systems run and Linux
# otherwise never does: one datagram per sendmsg and recvmsg, and GSO
# reported inactive (only the sendmmsg path makes runs to segment).
#   ci/no-mmsg.sh      builds in build/no-mmsg
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/ci/deps.sh" clang

jobs="$(nproc 2>/dev/null || echo 2)"
build=build/no-mmsg
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDGRAM_WERROR=ON \
  -DDGRAM_CXX_HAS_RECVMMSG=OFF -DDGRAM_CXX_HAS_SENDMMSG=OFF >/dev/null
# The answers must have reached the compiler: no batch call is compiled in.
if grep -Eq 'DGRAM_HAVE_(SEND|RECV)MMSG' \
     "$build"/CMakeFiles/dgram_objects.dir/flags.make; then
  echo "ci/no-mmsg.sh: the build still has sendmmsg or recvmmsg" >&2
  exit 1
fi
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 120
echo "ci/no-mmsg.sh: built without sendmmsg/recvmmsg; the suite passed"
