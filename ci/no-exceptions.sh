#!/usr/bin/env bash
# The build without exceptions: the library (every translation unit), the
# examples and the programs of test/no_exceptions compiled with
# -fno-exceptions -fno-rtti and warnings as errors, by g++ and clang++;
# then those programs run on every backend: the error-returning forms, and
# the ErrorHandler (the default's abort, an installed one, an 'error' with
# no listener raised from the loop).
#   ci/no-exceptions.sh      builds in build/no-exceptions-<compiler>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/ci/deps.sh" clang

jobs="$(nproc 2>/dev/null || echo 2)"
compilers=(g++ clang++)

for compiler in "${compilers[@]}"; do
  build="build/no-exceptions-$compiler"
  cmake -S . -B "$build" -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS=-fno-exceptions -fno-rtti" -DDGRAM_WERROR=ON \
    -DDGRAM_BUILD_EXAMPLES=ON -DDGRAM_BUILD_TESTS=ON >"$build.configure.log"
  # The flags must have reached the compiler: dgram/exceptions.hpp says
  # exceptions are off (the configure check reads it).
  if ! grep -q "dgram: built without exceptions" "$build.configure.log"; then
    cat "$build.configure.log" >&2
    echo "ci/no-exceptions.sh: $compiler: exceptions still on" >&2
    exit 1
  fi
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 120
  echo "ci/no-exceptions.sh: $compiler: library, examples and" \
       "test/no_exceptions built and passed without exceptions"
done
