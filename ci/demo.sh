#!/usr/bin/env bash
# Builds dgramcat and shows it working on loopback: a listener that prints
# one datagram, and a sender. Installs, with apt-get and only if missing,
# Debian's cmake, g++, make, pkg-config and libc-ares-dev; installs nothing
# else and nothing of dgram (the build stays in build/demo).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"  # works from any directory
cd "$root"
"$root/ci/deps.sh" --build  # cmake g++ make pkg-config libc-ares-dev
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DDGRAM_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j "$(nproc 2>/dev/null || echo 2)" --target dgramcat >/dev/null
dgramcat=build/demo/tools/dgramcat

port=41234
# The port of Node's example, which ci/windows-wine.sh's server.exe binds
# too: one at a time on a shared machine.
exec 9>"${TMPDIR:-/tmp}/dgram-port-41234.lock"
flock -w 600 9
"$dgramcat" -l "$port" -b 127.0.0.1 --count 1 --timeout 5 &
listener=$!
sleep 0.3
"$dgramcat" 127.0.0.1 "$port" --message "hello from dgramcat"
wait "$listener"
