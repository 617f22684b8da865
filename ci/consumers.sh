#!/usr/bin/env bash
# Every way a user consumes dgram, each from a fresh build directory so that
# nothing left by an earlier configure can hide a bug. Each route builds
# ci/consumer (bind to 127.0.0.1, send itself a datagram, print it, close)
# with -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
# -Werror against dgram's headers, and runs it:
#
#   configure     defaults: build type, BUILD_TESTING=OFF, no Catch2
#   plain install the README's route with no option at all (tests on, as
#                 Catch2 is installed), building only the library: a
#                 Release archive without the test seam or debug info
#   install-*     cmake --install of a static, a shared and a c-ares-less
#                 static build into temporary prefixes (checked: no absolute
#                 path in the CMake package or the .pc, LICENSE, dgramcat,
#                 the shared library's SONAME and exported symbols, which
#                 must all be in namespace dgram: ci/check-exports.sh)
#   find_package  fresh configure against each prefix, then again after
#                 the prefix is moved elsewhere
#   pkg-config    with --static (static builds) and without (shared build,
#                 and the static one without c-ares)
#   plugin        a shared library of the consumer with the static dgram in
#                 it (needs position-independent code)
#   add_subdirectory  dgram vendored; the parent's cmake --install must not
#                 install anything of dgram
#   FetchContent  a clone of this repository's HEAD, as a shared library
#
# Usage: ci/consumers.sh   (from any directory; work in a temporary dir)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/ci/deps.sh" git

started=$SECONDS
jobs="$(nproc 2>/dev/null || echo 2)"
work="$(mktemp -d /tmp/dgram-consumers-XXXXXX)"
failed=0
# Kept when a route fails, for its logs.
trap '[ "$failed" -ne 0 ] || rm -rf "$work"' EXIT
consumer_src="$root/ci/consumer"
strict=(-Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
        -Werror)
# Library builds: nothing but the library (and dgramcat where checked),
# unoptimised and as a unity build (a third of the compile time), which
# packaging does not depend on. DGRAM_CONSUMERS_UNITY=OFF builds file by file.
unity=(-DCMAKE_UNITY_BUILD="${DGRAM_CONSUMERS_UNITY:-ON}")
lib_flags=(-DCMAKE_BUILD_TYPE=Debug -DDGRAM_BUILD_TESTS=OFF
           -DDGRAM_BUILD_EXAMPLES=OFF -DDGRAM_WERROR=ON "${unity[@]}")

results=()
# route NAME COMMAND...: runs one route, its output in $work/NAME.log.
route() {
  local name=$1 t0=$SECONDS status
  shift
  # A subshell with errexit of its own: any failing command ends the route.
  set +e
  (
    set -e
    "$@"
  ) >"$work/log" 2>&1
  status=$?
  set -e
  mv "$work/log" "$work/${name//[^A-Za-z0-9]/_}.log"
  if [ "$status" -eq 0 ]; then
    results+=("$(printf '%-34s ok      %3d s' "$name" $((SECONDS - t0)))")
  else
    results+=("$(printf '%-34s FAILED  %3d s' "$name" $((SECONDS - t0)))")
    failed=1
    echo "ci/consumers.sh: $name failed; its log:" >&2
    tail -60 "$work/${name//[^A-Za-z0-9]/_}.log" >&2
  fi
}
# fail MESSAGE: ends a route with an explanation.
fail() {
  echo "FAIL: $*"
  return 1
}

# --- library builds ---------------------------------------------------------
# install_variant NAME CMAKE_ARGS...: builds dgram into $work/build-NAME and
# installs it to $work/prefix-NAME.
install_variant() {
  local name=$1
  shift
  local build="$work/build-$name" prefix="$work/prefix-$name"
  cmake -S "$root" -B "$build" "${lib_flags[@]}" "$@"
  cmake --build "$build" -j "$jobs"
  cmake --install "$build" --prefix "$prefix"
  find "$prefix" -type f -o -type l | sort
  check_relocatable "$prefix"
  [ -f "$prefix/share/doc/dgram/LICENSE" ] || fail "LICENSE not installed"
  grep -q DGRAM_VERSION_MAJOR "$prefix/include/dgram/version.hpp" ||
    fail "dgram/version.hpp not installed"
}
# No file of the CMake package or the .pc may name the prefix.
check_relocatable() {
  local prefix=$1
  if grep -rn -- "$prefix" "$prefix/lib/cmake/dgram" "$prefix/lib/pkgconfig"; then
    fail "absolute paths in the installed package (above)"
  fi
  grep -q '^prefix=${pcfiledir}/' "$prefix/lib/pkgconfig/dgram.pc" ||
    fail "dgram.pc is not \${pcfiledir}-relative"
}

# --- consumers --------------------------------------------------------------
# cmake_consumer BUILD_DIR CMAKE_ARGS...: configures, builds and runs
# ci/consumer in a fresh directory.
cmake_consumer() {
  local build=$1
  shift
  rm -rf "$build"
  cmake -S "$consumer_src" -B "$build" -DCMAKE_BUILD_TYPE=Debug "${unity[@]}" "$@"
  cmake --build "$build" -j "$jobs"
  "$build/consumer"
}
# find_package_consumer PREFIX: find_package(dgram) from PREFIX.
find_package_consumer() {
  cmake_consumer "$work/consumer-fp" -DCMAKE_PREFIX_PATH="$1"
}
# pkg_config_consumer PREFIX [--static]: a plain g++ command line.
pkg_config_consumer() {
  local prefix=$1 static=${2:-} out="$work/consumer-pc"
  local flags
  flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" \
          pkg-config $static --cflags --libs dgram)
  echo "pkg-config $static --cflags --libs dgram: $flags"
  # shellcheck disable=SC2086  # pkg-config's output is a list of words
  g++ -std=c++17 "${strict[@]}" "$consumer_src/main.cpp" -o "$out" \
    $flags "-Wl,-rpath,$prefix/lib"
  "$out"
}
# move_prefix FROM TO: the installed tree, somewhere else.
move_prefix() {
  mv "$1" "$2"
  [ ! -e "$1" ] || fail "$1 still exists"
}

# --- configure-time defaults ----------------------------------------------------
configure_defaults() {
  local cache
  cmake -S "$root" -B "$work/defaults" -DDGRAM_BUILD_EXAMPLES=OFF
  cache="$work/defaults/CMakeCache.txt"
  grep -q '^CMAKE_BUILD_TYPE:STRING=Release$' "$cache" ||
    fail "the default build type is not Release"
  grep -q '^DGRAM_INSTALL:BOOL=ON$' "$cache" || fail "DGRAM_INSTALL not on"
  grep -q '^DGRAM_PIC:BOOL=ON$' "$cache" || fail "DGRAM_PIC not on"
  cmake -S "$root" -B "$work/no-testing" -DBUILD_TESTING=OFF \
    -DDGRAM_BUILD_EXAMPLES=OFF
  grep -q '^DGRAM_BUILD_TESTS:BOOL=OFF$' "$work/no-testing/CMakeCache.txt" ||
    fail "BUILD_TESTING=OFF did not turn the tests off"
  # No Catch2 on the machine: the configure still succeeds, without tests.
  cmake -S "$root" -B "$work/no-catch2" -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=ON \
    -DDGRAM_BUILD_EXAMPLES=OFF
  grep -q '^DGRAM_BUILD_TESTS:BOOL=OFF$' "$work/no-catch2/CMakeCache.txt" ||
    fail "tests on without Catch2"
  # The defaults are worked out again at each configure: Catch2 found later
  # (or BUILD_TESTING back on) turns the tests on in the same build tree...
  cmake -S "$root" -B "$work/no-catch2" -DCMAKE_DISABLE_FIND_PACKAGE_Catch2=OFF
  grep -q '^DGRAM_BUILD_TESTS:BOOL=ON$' "$work/no-catch2/CMakeCache.txt" ||
    fail "tests still off once Catch2 is found"
  cmake -S "$root" -B "$work/no-testing" -DBUILD_TESTING=ON
  grep -q '^DGRAM_BUILD_TESTS:BOOL=ON$' "$work/no-testing/CMakeCache.txt" ||
    fail "tests still off with BUILD_TESTING=ON"
  # ...but a value set by hand stays.
  cmake -S "$root" -B "$work/no-testing" -DDGRAM_BUILD_TESTS=OFF
  cmake -S "$root" -B "$work/no-testing"
  grep -q '^DGRAM_BUILD_TESTS:BOOL=OFF$' "$work/no-testing/CMakeCache.txt" ||
    fail "-DDGRAM_BUILD_TESTS=OFF did not stay"
}

# --- the plain route ---------------------------------------------------------
# `cmake -S . -B b && cmake --build b && cmake --install b` with nothing
# else, here building only the library (the tests are on, Catch2 being
# installed): the install works without dgramcat, and what it installs is
# a Release archive, with neither the tests' fault seam nor debug info.
plain_install() {
  local build="$work/plain" prefix="$work/prefix-plain" archive size
  cmake -S "$root" -B "$build"
  grep -q '^DGRAM_BUILD_TESTS:BOOL=ON$' "$build/CMakeCache.txt" ||
    fail "the tests are off: this route checks the library of a test build"
  cmake --build "$build" -j "$jobs" --target dgram
  cmake --install "$build" --prefix "$prefix"
  find "$prefix" -type f | sort
  archive="$prefix/lib/libdgram.a"
  [ -f "$archive" ] || fail "no libdgram.a installed"
  [ ! -e "$prefix/bin/dgramcat" ] || fail "dgramcat installed, not built"
  if nm -C "$archive" | grep -E ' [TU] dgram::detail::fault::'; then
    fail "the installed library has the tests' fault seam (above)"
  fi
  if objdump -h "$archive" | grep '\.debug_info' >/dev/null; then
    fail "the installed library has debug info"
  fi
  size=$(stat -c %s "$archive")
  echo "installed libdgram.a: $size bytes"
  [ "$size" -lt 4000000 ] || fail "libdgram.a is $size bytes: not a release build"
}

# --- the shared library's interface -------------------------------------------
check_shared_library() {
  local prefix=$1 lib soname
  lib=$(find "$prefix/lib" -name 'libdgram.so.*.*.*' | head -1)
  [ -n "$lib" ] || fail "no versioned libdgram.so"
  soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
  echo "SONAME: $soname ($lib)"
  [ -e "$prefix/lib/$soname" ] || fail "no $soname link"
  [ -e "$prefix/lib/libdgram.so" ] || fail "no libdgram.so link"
  # Every exported symbol in namespace dgram (none in dgram::detail),
  # nothing else: no std:: template instance, no C symbol.
  bash "$root/ci/check-exports.sh" "$lib"
  nm -DC --defined-only "$lib" >"$work/symbols"
  grep -q 'dgram::createSocket(' "$work/symbols" ||
    fail "createSocket is not exported"
  echo "exported: $(grep -c 'dgram::' "$work/symbols") symbols of or with dgram types, all public"
}

static_route() {  # static dgram with c-ares, installed
  install_variant static
  find_package_consumer "$work/prefix-static"
  pkg_config_consumer "$work/prefix-static" --static
}
static_moved() {
  move_prefix "$work/prefix-static" "$work/moved/static"
  find_package_consumer "$work/moved/static"
  pkg_config_consumer "$work/moved/static" --static
}
plugin_route() {  # the static archive inside a shared library of ours
  cmake_consumer "$work/consumer-plugin" -DCMAKE_PREFIX_PATH="$work/moved/static" \
    -DCONSUMER_PLUGIN=ON
  "$work/consumer-plugin/plugin_host"
}
shared_route() {  # shared dgram with c-ares, and dgramcat
  install_variant shared -DBUILD_SHARED_LIBS=ON -DDGRAM_BUILD_EXAMPLES=ON
  check_shared_library "$work/prefix-shared"
  [ -x "$work/prefix-shared/bin/dgramcat" ] || fail "dgramcat not installed"
  # Its users need not know about c-ares.
  if grep -q cares "$work/prefix-shared/lib/pkgconfig/dgram.pc"; then
    fail "the shared library's dgram.pc names c-ares"
  fi
  find_package_consumer "$work/prefix-shared"
  ldd "$work/consumer-fp/consumer" | grep libdgram ||
    fail "the consumer did not link libdgram.so"
  pkg_config_consumer "$work/prefix-shared"
}
shared_moved() {
  move_prefix "$work/prefix-shared" "$work/moved/shared"
  find_package_consumer "$work/moved/shared"
  pkg_config_consumer "$work/moved/shared"
  "$work/moved/shared/bin/dgramcat" --version
}
no_cares_route() {  # static dgram without c-ares
  install_variant no-cares -DDGRAM_WITH_CARES=OFF
  if grep -q cares "$work/prefix-no-cares/lib/pkgconfig/dgram.pc" \
       "$work/prefix-no-cares/lib/cmake/dgram/dgramTargets"*.cmake; then
    fail "a build without c-ares asks for c-ares"
  fi
  move_prefix "$work/prefix-no-cares" "$work/moved/no-cares"
  find_package_consumer "$work/moved/no-cares"
  pkg_config_consumer "$work/moved/no-cares"
  pkg_config_consumer "$work/moved/no-cares" --static
}
add_subdirectory_route() {
  local build="$work/consumer-subdir"
  cmake_consumer "$build" -DCONSUMER_ROUTE=add_subdirectory \
    -DDGRAM_SOURCE="$root"
  # The parent's install is the parent's: nothing of dgram in it.
  cmake --install "$build" --prefix "$work/prefix-parent"
  find "$work/prefix-parent" -type f | sort
  if find "$work/prefix-parent" | grep -E 'dgram[^/]*$|LICENSE|dgramcat'; then
    fail "the parent project's install installed dgram (above)"
  fi
  [ -x "$work/prefix-parent/bin/consumer" ] || fail "consumer not installed"
}
fetchcontent_route() {  # a clone of HEAD (uncommitted changes are not in it)
  local head
  head=$(git -C "$root" rev-parse HEAD)
  if [ -n "$(git -C "$root" status --porcelain -- CMakeLists.txt cmake include src)" ]; then
    echo "note: FetchContent builds HEAD ($head), not the uncommitted changes"
  fi
  cmake_consumer "$work/consumer-fetch" -DCONSUMER_ROUTE=fetchcontent \
    -DDGRAM_SOURCE="$root" -DDGRAM_GIT_TAG="$head" -DBUILD_SHARED_LIBS=ON \
    -DDGRAM_WITH_CARES=OFF
  ldd "$work/consumer-fetch/consumer" | grep libdgram ||
    fail "BUILD_SHARED_LIBS=ON did not give a shared dgram"
}

mkdir -p "$work/moved"
route "configure: defaults" configure_defaults
route "plain install, library only" plain_install
route "install static, find_package+pc" static_route
route "static: prefix moved" static_moved
route "static in consumer's .so" plugin_route
route "install shared, find_package+pc" shared_route
route "shared: prefix moved" shared_moved
route "install static no c-ares" no_cares_route
route "add_subdirectory" add_subdirectory_route
route "FetchContent (shared, no c-ares)" fetchcontent_route

echo "ci/consumers.sh: routes:"
printf '  %s\n' "${results[@]}"
echo "ci/consumers.sh: $((SECONDS - started)) s"
[ "$failed" -eq 0 ] || echo "ci/consumers.sh: logs kept in $work" >&2
exit "$failed"
