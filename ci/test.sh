#!/usr/bin/env bash
# Builds dgram warning-free and runs the whole test suite on every backend
# this machine has (epoll and poll on Linux).
#   ci/test.sh            Release-with-asserts build in build/ci
#   ci/test.sh asan       the same under AddressSanitizer + UBSan (build/asan)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"  # works from any directory
cd "$root"

variant="${1:-default}"
"$root/ci/deps.sh"

jobs="$(nproc 2>/dev/null || echo 2)"
case "$variant" in
  default)
    build=build/ci
    flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  asan)
    build=build/asan
    flags=(-DCMAKE_BUILD_TYPE=Debug
           "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined")
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" ;;
  *)
    echo "ci/test.sh: unknown variant '$variant' (default or asan)" >&2
    exit 2 ;;
esac

cmake -S . -B "$build" -DDGRAM_WERROR=ON "${flags[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 120
