#!/usr/bin/env bash
# The test suite under the sanitizers and valgrind:
#   asan-gcc    the whole suite under ASan+UBSan built by g++ (ci/test.sh asan)
#   asan-clang  the same built by clang++ (build/asan-clang)
#   tsan        the thread-safe calls (post, stop: the "[thread]" tests,
#               the soak test among them, short form) under
#               ThreadSanitizer, on every backend (build/tsan)
#   valgrind    memcheck over a representative subset ("[loop],[send]",
#               less the "[timer]" cases, whose millisecond deadlines do not
#               survive valgrind's slowdown, and the "[parallel]" ones, which
#               need two threads running at once where valgrind runs one at
#               a time) of the plain build (build/ci):
#               no error, no leak
# Usage: ci/sanitize.sh [STEP...]   (default: all four, in that order)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"  # works from any directory
cd "$root"

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(asan-gcc asan-clang tsan valgrind)
"$root/ci/deps.sh" clang libclang-rt-14-dev valgrind
jobs="$(nproc 2>/dev/null || echo 2)"
asan_flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

# Every backend this build has, as ctest registered them ("epoll:...").
backends() {
  ctest --test-dir "$1" -N | sed -n 's/^ *Test *#[0-9]*: \([a-z]*\):.*/\1/p' |
    sort -u
}

for step in "${steps[@]}"; do
  echo "== ci/sanitize.sh: $step"
  case "$step" in
    asan-gcc)
      bash ci/test.sh asan ;;
    asan-clang)
      cmake -S . -B build/asan-clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS=$asan_flags" \
        -DDGRAM_WERROR=ON >/dev/null
      cmake --build build/asan-clang -j "$jobs"
      ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
      UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
        ctest --test-dir build/asan-clang --output-on-failure -j "$jobs" \
          --timeout 120 ;;
    tsan)
      cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug \
        "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
        -DDGRAM_BUILD_EXAMPLES=OFF -DDGRAM_WERROR=ON >/dev/null
      cmake --build build/tsan -j "$jobs" --target dgram_tests
      for backend in $(backends build/tsan); do
        echo "-- [thread] tests on $backend"
        DGRAM_BACKEND="$backend" TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
          build/tsan/test/dgram_tests "[thread]"
      done ;;
    valgrind)
      # The plain build ci/test.sh makes (built here if it has not run).
      cmake -S . -B build/ci -DDGRAM_WERROR=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
      cmake --build build/ci -j "$jobs" --target dgram_tests
      valgrind --quiet --error-exitcode=99 --leak-check=full \
        --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible \
        build/ci/test/dgram_tests "[loop]~[timer]~[parallel],[send]~[timer]" ;;
    *)
      echo "ci/sanitize.sh: unknown step '$step'" >&2
      exit 2 ;;
  esac
done
echo "ci/sanitize.sh: ${steps[*]}: no sanitizer or valgrind report"
