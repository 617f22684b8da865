#!/usr/bin/env bash
# 32-bit ARM and big-endian, run and not only compiled: cross-builds dgram
# with Debian's cross compilers (armhf: 32-bit, little-endian; s390x:
# 64-bit, big-endian) and runs a subset of the suite under qemu-user:
#
#   address_parse_format.cpp  address parsing and formatting
#   timers_heap.cpp           the timer heap
#   udp_send_receive.cpp      send / receive on loopback
#   udp_close.cpp             close, with sends in flight
#   error_list.cpp            error codes and numbers
#   buffer_methods.cpp        byte helpers: big/little-endian integers
#   (every fuzz target's seed corpus replayed, and library_seam)
#
# on every backend compiled in (epoll and poll). No c-ares (Debian has no
# cross-built libc-ares-dev without multiarch): DGRAM_WITH_CARES=OFF.
#
#   ci/cross-qemu.sh                 both, in build/cross-<arch>
#   ci/cross-qemu.sh s390x-linux-gnu one triple
#
# Installs (Debian 12) g++-arm-linux-gnueabihf, g++-s390x-linux-gnu and
# qemu-user if missing. Compiled with -O1 and assertions on: optimised
# enough for the emulator, checked enough for a test run. (-Wno-psabi:
# GCC notes on ARM that std::vector iterators of 64-bit values are passed
# differently since GCC 7.1, which concerns mixing objects across that
# version, not this build.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs="$(nproc 2>/dev/null || echo 2)"
started=$SECONDS
triples=("$@")
[ ${#triples[@]} -gt 0 ] || triples=(arm-linux-gnueabihf s390x-linux-gnu)

packages=(qemu-user)
for triple in "${triples[@]}"; do packages+=("g++-$triple"); done
"$root/ci/deps.sh" "${packages[@]}"

test_files="address_parse_format.cpp;timers_heap.cpp;udp_send_receive.cpp"
test_files+=";udp_close.cpp;error_list.cpp;buffer_methods.cpp"

results=()
failed=0
for triple in "${triples[@]}"; do
  arch=${triple%%-*}
  build="$root/build/cross-$arch"
  t0=$SECONDS
  rm -rf "$build"
  mkdir -p "$build"
  # Debian's header-only Catch2 v2, without /usr/include on the cross
  # compiler's include path.
  catch2="$build/deps/catch2"
  mkdir -p "$catch2/include"
  cp -r /usr/include/catch2 "$catch2/include/"
  cat >"$catch2/Catch2Config.cmake" <<'EOF'
# Debian's header-only Catch2 v2 for a cross build (ci/cross-qemu.sh).
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/include")
endif()
list(APPEND CMAKE_MODULE_PATH "/usr/lib/cmake/Catch2")  # Catch.cmake
EOF
  status=ok
  if ! {
    cmake -S . -B "$build" \
      -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/linux-cross.cmake" \
      -DDGRAM_CROSS_TRIPLE="$triple" \
      -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O1 -Wno-psabi" \
      -DDGRAM_WITH_CARES=OFF -DDGRAM_WERROR=ON -DDGRAM_BUILD_EXAMPLES=OFF \
      -DDGRAM_TEST_FILES="$test_files" -DCatch2_DIR="$catch2" &&
    cmake --build "$build" -j "$jobs"
  } >"$build/build.log" 2>&1; then
    tail -40 "$build/build.log" >&2
    echo "ci/cross-qemu.sh: $triple did not build; see $build/build.log" >&2
    status=FAILED
  else
    built=$((SECONDS - t0))
    echo "ci/cross-qemu.sh: $triple built in $built s:" \
      "$(file -b "$build/test/dgram_tests" | cut -d, -f1-2)"
    # Not the compile-fail checks: they run the cross compiler on the
    # host and say nothing about the target.
    ctest --test-dir "$build" -j "$jobs" --timeout 120 -LE compile_fail \
      --output-on-failure 2>&1 | tee "$build/ctest.log" | tail -15 || true
    grep -q "^100% tests passed" "$build/ctest.log" || status=FAILED
  fi
  [ "$status" = ok ] || failed=1
  results+=("$(printf '%-22s %-7s %4d s' "$triple" "$status" $((SECONDS - t0)))")
done

echo "ci/cross-qemu.sh:"
printf '  %s\n' "${results[@]}"
echo "ci/cross-qemu.sh: $((SECONDS - started)) s"
exit "$failed"
