#!/usr/bin/env bash
# Loopback UDP throughput, side by side in one run: the raw
# recvmmsg/sendmmsg limit, dgram, libuv, asio and Node's dgram, interleaved,
# reported as the median datagrams/s and its ratio to raw. Then, if valgrind
# is installed (and BENCH_CALLGRIND is not 0), user-space instructions per
# datagram of the C++ variants from callgrind.
#
# Usage: bench/run.sh [dgram_bench options, e.g. --reps 5 --seconds 2]
# Installs libuv1-dev and libasio-dev (and the build tools) if missing;
# a variant whose dependency cannot be had is skipped with a message.
set -euo pipefail
cd "$(dirname "$0")/.."

ci/deps.sh libuv1-dev libasio-dev ||
  echo "bench/run.sh: could not install libuv1-dev/libasio-dev; their variants will be skipped"

build=build/bench
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDGRAM_BUILD_BENCH=ON \
  -DDGRAM_BUILD_TESTS=OFF -DDGRAM_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target dgram_bench -j "$(nproc)" >/dev/null
bench="$build/bench/dgram_bench"

"$bench" "$@"

if [ "${BENCH_CALLGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null; then
  exit 0
fi
# Instructions collected inside bench::run<Variant> for N and 2N datagrams;
# the difference over N leaves out the setup.
collected() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    --collect-atstart=no --toggle-collect="bench::run$2*" \
    "$bench" --variants "$1" --sizes 64 --reps 1 --count "$3" 2>&1 |
    sed -n 's/.*Collected : //p'
}
echo
echo "user-space instructions per datagram (callgrind, 64 B, send + receive):"
n=20000
for pair in raw:Raw dgram:Dgram libuv:Libuv asio:Asio; do
  name=${pair%%:*}
  small=$(collected "$name" "${pair#*:}" "$n")
  large=$(collected "$name" "${pair#*:}" "$((2 * n))")
  if [ -n "$small" ] && [ -n "$large" ]; then
    printf "  %-6s %6d\n" "$name" "$(((large - small) / n))"
  fi
done
