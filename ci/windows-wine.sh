#!/usr/bin/env bash
# The Windows job: cross-builds dgram with mingw-w64 (IOCP backend, Winsock)
# and runs the whole Catch2 suite under wine, then the seed's server example
# under wine receiving a datagram from the Linux build of dgramcat.
#
#   ci/windows-wine.sh            build in build/windows-wine and test
#
# Installs (Debian 12) g++-mingw-w64-x86-64-posix and wine64 if missing.
# Name lookup: c-ares from Debian's source package (`apt-get source c-ares`,
# with a deb-src entry for the Debian mirror the machine already uses),
# cross-built as a static library into the build tree on every run (nothing
# is cached across runs), then dgram with DGRAM_WITH_CARES=ON. The [dns]
# tests that need a DNS server use one dnsmasq started here on loopback
# (a Windows program cannot start it); see test/support/dns_server.cpp.
#
# Tests that wine cannot run are skipped visibly: each is listed with the
# reason before the run (SKIPS below), and so are the test files or cases
# that are not compiled for Windows at all.
#
# Running beside other jobs (issue 27):
# - each run has its own wine prefix in a fresh temporary directory, hence
#   its own wineserver (started here, ended at exit): two wine jobs on one
#   machine never share or kill each other's server;
# - two runs that share a build tree (two jobs in one clone) would rebuild
#   dgram_tests.exe under each other's tests: the second waits for the
#   first (flock on the file $build.lock);
# - ctest runs every test program through ci/wine-run.sh, which runs once
#   more a test that wine did not start at all (no start mark; a test that
#   started is never retried) and logs it; the log is printed at the end;
# - what stays machine-wide is taken in turn under flock(1): apt (the
#   deb-src entry, apt-get update; ${TMPDIR:-/tmp}/dgram-apt.lock) and port
#   41234, which the server example binds
#   (${TMPDIR:-/tmp}/dgram-port-41234.lock, as ci/demo.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${DGRAM_WINE_BUILD:-build/windows-wine}
jobs="$(nproc 2>/dev/null || echo 2)"
started=$SECONDS
mkdir -p "$build"
exec 7>"$build.lock"
if ! flock -n 7; then
  echo "ci/windows-wine.sh: another run is using $build; waiting for it"
  flock -w 3600 7
fi

"$root/ci/wine-run-selftest.sh"
locks=${TMPDIR:-/tmp}
# apt is machine-wide: one job at a time adds the deb-src entry, updates
# the lists and installs (released after apt-get source below).
exec 8>"$locks/dgram-apt.lock"
flock -w 1200 8
"$root/ci/deps.sh" g++-mingw-w64-x86-64-posix wine64 dpkg-dev
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# --- c-ares: Debian's source package, cross-built as a static library -------
# deb-src entries for the Debian release this machine runs, one per mirror
# and suite its deb entries use (one-line .list and deb822 .sources files).
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
apt_entries() {  # apt_entries TYPE: tab-separated URI, suite, components, key
  local type=$1 file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$file" ] || continue
    awk -v type="$type" -v OFS='\t' '
      $1 == type {
        i = 2; signed = "-"
        if ($2 ~ /^\[/) {  # [ option=value ... ]
          for (; i <= NF; i++) {
            if ($i ~ /^\[?signed-by=/) {
              signed = $i; sub(/^\[?signed-by=/, "", signed); sub(/\]$/, "", signed)
            }
            if ($i ~ /\]$/) { i++; break }
          }
        }
        comps = ""
        for (j = i + 2; j <= NF; j++) comps = comps (comps ? " " : "") $j
        print $i, $(i + 1), comps, signed
      }' "$file"
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    awk -v type="$type" -v OFS='\t' '
      function emit() {
        if (enabled && index(" " types " ", " " type " "))
          for (u = 1; u <= nu; u++)
            for (s = 1; s <= ns; s++) print uri[u], suite[s], comps, signed
        types = ""; comps = ""; signed = "-"; nu = ns = 0; enabled = 1
      }
      BEGIN { signed = "-"; enabled = 1 }
      /^[ \t]*$/ { emit(); next }
      /^#/ || /^[ \t]/ { next }  # comments, continued (multi-line) values
      {
        key = tolower($1); value = $0
        sub(/^[^ \t]+[ \t]*/, "", value); gsub(/[ \t]+/, " ", value)
        if (key == "types:") types = value
        else if (key == "uris:") nu = split(value, uri, " ")
        else if (key == "suites:") ns = split(value, suite, " ")
        else if (key == "components:") comps = value
        else if (key == "signed-by:") signed = value
        else if (key == "enabled:") enabled = (value != "no")
      }
      END { emit() }' "$file"
  done
}
cares_started=$SECONDS
deb_src_file=/etc/apt/sources.list.d/dgram-deb-src.sources
added=0
while IFS=$'\t' read -r uri suite comps signed; do
  case "$suite" in "$codename" | "$codename"-*) ;; *) continue ;; esac
  if apt_entries deb-src | awk -F '\t' -v u="${uri%/}" -v s="$suite" '
       { sub(/\/$/, "", $1) } $1 == u && $2 == s { found = 1 }
       END { exit !found }'; then
    continue
  fi
  echo "ci/windows-wine.sh: adding deb-src $uri $suite $comps to $deb_src_file"
  {
    if [ -s "$deb_src_file" ]; then echo; fi
    echo "Types: deb-src"
    echo "URIs: $uri"
    echo "Suites: $suite"
    echo "Components: $comps"
    if [ "$signed" != "-" ] && [ -n "$signed" ]; then
      echo "Signed-By: $signed"
    fi
  } | $sudo tee -a "$deb_src_file" >/dev/null
  added=1
done < <(apt_entries deb | awk -F '\t' '$2 != "" && !seen[$1 " " $2]++')
if [ "$added" = 1 ] || ! apt-cache showsrc c-ares >/dev/null 2>&1; then
  $sudo apt-get update -qq
fi
cares_src="$root/$build/c-ares-src"
cares_build="$root/$build/c-ares-build"
cares_prefix="$root/$build/c-ares-prefix"
rm -rf "$cares_src" "$cares_build" "$cares_prefix"
mkdir -p "$cares_src"
(cd "$cares_src" && apt-get source -qq c-ares >"$cares_src/apt-get-source.log" 2>&1) || {
  cat "$cares_src/apt-get-source.log" >&2
  echo "ci/windows-wine.sh: apt-get source c-ares failed" >&2
  exit 1
}
flock -u 8
cares_dir=$(find "$cares_src" -mindepth 1 -maxdepth 1 -type d -name 'c-ares-*')
echo "ci/windows-wine.sh: c-ares source: ${cares_dir##*/} ($(cd "$cares_src" && ls ./*.dsc | sed 's|^\./||'))"
# Debian's CVE-2023-31130 patch (1.18.1-3) spells the IPv4 address size
# INADDRSZ, which only glibc's <arpa/nameser_compat.h> defines (upstream
# 1.19.1 says NS_INADDRSZ): define it for the Windows build. Built in the
# background while the wine prefix is made (its ~200 configure checks run
# one at a time); waited for before dgram is configured.
(
  cmake -S "$cares_dir" -B "$cares_build" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS="-DINADDRSZ=4" \
    -DCMAKE_INSTALL_PREFIX="$cares_prefix" \
    -DCARES_STATIC=ON -DCARES_SHARED=OFF \
    -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF &&
  cmake --build "$cares_build" -j "$jobs" &&
  cmake --install "$cares_build"
) >"$root/$build/c-ares-build.log" 2>&1 &
cares_job=$!

# --- wine: a prefix of this run's own, quiet, no Mono/Gecko prompts -------
wine=/usr/lib/wine/wine64
export DGRAM_WINE=$wine  # for ci/wine-run.sh
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
# Not in the build tree: a second run from the same tree (or a leftover
# server of an interrupted one) must not find it. The wineserver belongs to
# the prefix, so it is this run's alone too.
export WINEPREFIX
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/dgram-wineprefix-XXXXXX")
unset DISPLAY
mkdir -p "$build"
export DGRAM_WINE_RETRY_LOG="$root/$build/wine-retries.log"
: >"$DGRAM_WINE_RETRY_LOG"
wineserver="${wine%/*}/wineserver"
# One persistent wineserver for the whole run: otherwise a test that starts
# while the previous one's server is shutting down can fail to connect
# ("wine client error ... Connection reset by peer"). Ended at exit (this
# prefix's server only), then the prefix is removed.
"$wineserver" -p
dnsmasq_pid=""
dns_dir=""
cleanup() {
  "$wineserver" -k 2>/dev/null || true
  "$wineserver" -w 2>/dev/null || true
  rm -rf "$WINEPREFIX"
  if [ -n "$dnsmasq_pid" ]; then
    kill "$dnsmasq_pid" 2>/dev/null || true
    wait "$dnsmasq_pid" 2>/dev/null || true
  fi
  if [ -n "$dns_dir" ]; then rm -rf "$dns_dir"; fi
}
trap cleanup EXIT
"$wine" wineboot --init >/dev/null 2>&1 || true
# c-ares reads the prefix's hosts file (the registry's DataBasePath), not
# /etc/hosts: give it a name besides localhost for the hosts-file test.
printf '127.0.0.1 dgram-hosts-file-test\r\n' \
  >>"$WINEPREFIX/drive_c/windows/system32/drivers/etc/hosts"

# --- Catch2: Debian's header-only v2, seen from the cross build ------------
# (Debian's package config points at /usr/include, which must not be on a
# mingw include path; this one points at a copy of the headers only.)
catch2="$root/$build/deps/catch2"
mkdir -p "$catch2/include"
cp -r /usr/include/catch2 "$catch2/include/"
cat >"$catch2/Catch2Config.cmake" <<'EOF'
# Debian's header-only Catch2 v2 for a cross build (ci/windows-wine.sh).
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/include")
endif()
list(APPEND CMAKE_MODULE_PATH "/usr/lib/cmake/Catch2")  # Catch.cmake
EOF

# --- c-ares, built in the background above -------------------------------
if ! wait "$cares_job"; then
  tail -40 "$root/$build/c-ares-build.log" >&2
  echo "ci/windows-wine.sh: c-ares did not build; see $build/c-ares-build.log" >&2
  exit 1
fi
echo "ci/windows-wine.sh: c-ares fetched, built and installed in" \
  "$((SECONDS - cares_started)) s"

# --- build ---------------------------------------------------------------
cmake -S . -B "$build" \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DDGRAM_WITH_CARES=ON \
  -Dc-ares_DIR="$cares_prefix/lib/cmake/c-ares" \
  -DDGRAM_WERROR=ON \
  -DCMAKE_CROSSCOMPILING_EMULATOR="$root/ci/wine-run.sh" \
  -DCatch2_DIR="$catch2" >"$build/configure.log" 2>&1 &&
  grep -q "dgram: name lookup with c-ares" "$build/configure.log" || {
  tail -40 "$build/configure.log" >&2
  echo "ci/windows-wine.sh: configuring with c-ares failed" >&2
  exit 1
}
# Keep going past targets that do not build for Windows (see "not built"
# below); the ones the job needs are checked right after.
cmake --build "$build" -j "$jobs" -- -k >"$build/build.log" 2>&1 || true
grep -E "warning:|error:" "$build/build.log" | sort -u || true
for target in src:libdgram.a test:dgram_tests.exe tools:dgramcat.exe \
              examples:server.exe; do
  dir=${target%%:*} file=${target#*:}
  [ "$dir" = src ] && path="$build/$file" || path="$build/$dir/$file"
  if [ ! -f "$path" ]; then
    echo "ci/windows-wine.sh: $file did not build; see $build/build.log" >&2
    tail -40 "$build/build.log" >&2
    exit 1
  fi
done
echo "ci/windows-wine.sh: built in $((SECONDS - started)) s"

# --- what is skipped, and why ----------------------------------------------
skips=()
skip() {  # skip REGEX REASON
  skips+=("$1")
  printf '  SKIP %-58s %s\n' "$1" "$2"
}
echo "ci/windows-wine.sh: skipped under wine:"
skip "dgramcat_.*e2e" \
  "run dgramcat.exe straight from bash; the wine e2e below replaces them"
skip "bind to an address of no interface emits EADDRNOTAVAIL" \
  "wine binds to any IPv4 address (Windows: WSAEADDRNOTAVAIL)"
skip "bind failures leave no descriptor" \
  "needs bind to a foreign address to fail; wine lets it succeed"
skip "setMulticastInterface: EBADF unbound, EINVAL unparsable, EADDRNOTAVAIL" \
  "wine: IP_MULTICAST_IF with a multicast address is WSAEINVAL, not EADDRNOTAVAIL"
if ! ls "$build"/fuzz/fuzz_*.exe >/dev/null 2>&1; then
  skip "fuzz_replay" "fuzz/ targets do not build for Windows yet"
fi
echo "ci/windows-wine.sh: not compiled for Windows (#ifndef _WIN32):"
echo "  address_parse_format.cpp (the oracle is glibc inet_pton and 'lo')"
grep -l "^#ifndef _WIN32" test/*.cpp | grep -v address_parse_format |
  sed 's/^/  parts of /'

# --- a DNS server for the [dns] tests ------------------------------------
# dnsmasq cannot be started from a Windows program: one runs here, on the
# loopback wine shares, serving what test/dns_lookup.cpp's testHosts(50)
# asks for; test/support/dns_server.cpp finds it through the environment
# and skips visibly a test whose names it does not serve.
dns_dir=$(mktemp -d /tmp/dgram-wine-dns-XXXXXX)
chmod 755 "$dns_dir"  # dnsmasq drops privileges before reading the file
{
  for i in $(seq 0 49); do
    echo "127.0.0.1 host$i.dgram.test"
    echo "::1 host$i.dgram.test"
  done
  echo "127.0.0.1 v4only.dgram.test"
} >"$dns_dir/hosts"
chmod 644 "$dns_dir/hosts"
for _ in 1 2 3 4 5; do
  dns_port=$((20000 + RANDOM % 20000))
  /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --port="$dns_port" --listen-address=127.0.0.1 --bind-interfaces \
    --no-resolv --no-hosts --no-negcache --pid-file= \
    --addn-hosts="$dns_dir/hosts" --local=/dgram.test/ \
    >"$dns_dir/dnsmasq.log" 2>&1 &
  dnsmasq_pid=$!
  sleep 0.3
  kill -0 "$dnsmasq_pid" 2>/dev/null && break  # else the port was taken
  wait "$dnsmasq_pid" 2>/dev/null || true
  dnsmasq_pid=""
done
if [ -n "$dnsmasq_pid" ]; then
  export DGRAM_TEST_DNS_SERVER="127.0.0.1:$dns_port"
  export DGRAM_TEST_DNS_HOSTS="Z:$dns_dir/hosts"  # wine's Z: is /
  echo "ci/windows-wine.sh: [dns] tests use dnsmasq on $DGRAM_TEST_DNS_SERVER"
else
  cat "$dns_dir/dnsmasq.log" >&2 || true
  echo "ci/windows-wine.sh: dnsmasq did not start: [dns] tests that need" \
    "a DNS server will skip (with a warning)" >&2
fi

# --- the suite ---------------------------------------------------------------
exclude=$(IFS='|'; echo "${skips[*]}")
status=0
ctest --test-dir "$build" -j "$jobs" --timeout 120 --output-on-failure \
  -E "$exclude" || status=1
if [ -s "$DGRAM_WINE_RETRY_LOG" ]; then
  echo "ci/windows-wine.sh: tests wine did not start, run once more" \
    "(ci/wine-run.sh):"
  sed 's/^/  /' "$DGRAM_WINE_RETRY_LOG"
fi

# --- examples and dgramcat under wine, with the Linux build on the other end --
linux="$build/linux-dgramcat"
cmake -S . -B "$linux" -DCMAKE_BUILD_TYPE=Release -DDGRAM_BUILD_TESTS=OFF \
  -DDGRAM_WITH_CARES=OFF >/dev/null
cmake --build "$linux" -j "$jobs" --target dgramcat >/dev/null
# server.exe binds the fixed port of Node's example: one job at a time.
exec 9>"$locks/dgram-port-41234.lock"
flock -w 600 9
out="$build/server-wine.out"
timeout 60 "$wine" "$build/examples/server.exe" >"$out" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  grep -qs "server listening" "$out" && break
  sleep 0.1
done
for _ in 1 2 3; do
  # Connected: "connection refused" (exit 1) if server.exe is not bound yet.
  "$linux/tools/dgramcat" 127.0.0.1 41234 --message "hello from linux" || true
  sleep 0.5
  grep -qs "server got: hello from linux" "$out" && break
done
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
flock -u 9
tr -d '\r' <"$out"
if ! grep -qs "server got: hello from linux from 127.0.0.1:" "$out"; then
  echo "ci/windows-wine.sh: server.exe under wine got nothing from Linux" >&2
  status=1
else
  echo "ci/windows-wine.sh: server.exe (wine) received from dgramcat (Linux)"
fi
echo "ci/windows-wine.sh: done in $((SECONDS - started)) s"
exit "$status"
