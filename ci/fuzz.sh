#!/usr/bin/env bash
# Builds the fuzz targets with clang, libFuzzer, ASan and UBSan (build/fuzz)
# and runs every target for SECONDS each (default 60), as many at once as
# there are cores. Fails on any crash, leak, timeout or sanitizer report.
#   ci/fuzz.sh [SECONDS] [TARGET...]     e.g. ci/fuzz.sh 600 ip_address
# Each run starts from the seed corpus fuzz/corpus/<target>/ (read only) and
# grows build/fuzz/corpus/<target>/. A crashing input is left in
# build/fuzz/findings/<target>/: once fixed, add it to fuzz/corpus/<target>/
# named after the bug, as a regression seed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"  # works from any directory
cd "$root"

seconds="${1:-60}"
shift || true
"$root/ci/deps.sh" clang libclang-rt-14-dev

build=build/fuzz
jobs="$(nproc 2>/dev/null || echo 2)"
# The whole build is instrumented (fuzzer-no-link gives libFuzzer coverage
# of the library, not just of the targets); the targets themselves link
# -fsanitize=fuzzer,address,undefined (fuzz/CMakeLists.txt).
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
  -DDGRAM_BUILD_FUZZERS=ON -DDGRAM_BUILD_TESTS=OFF -DDGRAM_BUILD_EXAMPLES=OFF \
  -DDGRAM_WERROR=ON >/dev/null
cmake --build "$build" -j "$jobs"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# Runs one target; its log is build/fuzz/logs/<target>.log.
fuzz_one() {
  local name="$1"
  local corpus="$build/corpus/$name" findings="$build/findings/$name"
  mkdir -p "$corpus" "$findings" "$build/logs"
  local args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560
              -print_final_stats=1 -artifact_prefix="$findings/")
  [ -f "fuzz/$name.dict" ] && args+=(-dict="fuzz/$name.dict")
  if "$build/fuzz/fuzz_$name" "${args[@]}" "$corpus" "fuzz/corpus/$name" \
       >"$build/logs/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -Eo 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' \
      "$build/logs/$name.log" | tail -1))"
  else
    echo "fuzz $name: FAILED, see $build/logs/$name.log; input in $findings/"
    tail -40 "$build/logs/$name.log"
    return 1
  fi
}

failed=0
running=0
for name in "${targets[@]}"; do
  fuzz_one "$name" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
[ "$failed" -eq 0 ] || { echo "ci/fuzz.sh: findings above" >&2; exit 1; }
echo "ci/fuzz.sh: ${#targets[@]} targets, ${seconds}s each, no finding"
