#!/usr/bin/env bash
# Windows builds besides the Windows job (ci/windows-wine.sh, which runs
# the suite under wine): what other Windows compilers and library kinds
# need, each checked as far as this machine can.
#
#   i686      32-bit mingw-w64 GCC: the library, the tests, the examples
#             and dgramcat compile and link, warning-free (64-bit wine
#             cannot run them).
#   clang     clang --target=x86_64-w64-mingw32 with
#             -Werror=dll-attribute-on-redeclaration, shared: the DLL,
#             the examples and dgramcat, which use it (MSVC rejects what
#             that warning finds, C2375). Not the suite: its sources
#             compile warning-free with clang, but dgram_tests.exe does not
#             link against GCC's libstdc++ (std::future's std::__once_call
#             is emulated TLS there, native TLS in clang's objects).
#   dll       mingw-w64 GCC, shared: dgram's DLL installed, its export
#             table checked (ci/check-exports.sh), ci/consumer built
#             against the install with find_package, and run under wine
#             next to the DLL: it sends itself a datagram and catches a
#             dgram::Error thrown inside the DLL.
#
#   ci/windows-builds.sh            all three, in build/windows-builds
#   ci/windows-builds.sh dll clang  some of them
#
# wine runs in a prefix of its own under the build directory, with its
# own wineserver, ended at exit: nothing is shared with ci/windows-wine.sh.
# Installs (Debian 12) the mingw-w64 compilers, clang, lld and wine64 if
# missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build="$root/${DGRAM_WINDOWS_BUILDS_DIR:-build/windows-builds}"
jobs="$(nproc 2>/dev/null || echo 2)"
started=$SECONDS
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(i686 clang dll)

"$root/ci/deps.sh" g++-mingw-w64-x86-64-posix g++-mingw-w64-i686-posix \
  clang lld wine64
mkdir -p "$build"

# Debian's header-only Catch2 v2 for a cross build: its package config
# points at /usr/include, which must not be on a mingw include path.
catch2="$build/deps/catch2"
rm -rf "$catch2"
mkdir -p "$catch2/include"
cp -r /usr/include/catch2 "$catch2/include/"
cat >"$catch2/Catch2Config.cmake" <<'EOF'
# Debian's header-only Catch2 v2 for a cross build (ci/windows-builds.sh).
if(NOT TARGET Catch2::Catch2)
  add_library(Catch2::Catch2 INTERFACE IMPORTED)
  set_target_properties(Catch2::Catch2 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${CMAKE_CURRENT_LIST_DIR}/include")
endif()
list(APPEND CMAKE_MODULE_PATH "/usr/lib/cmake/Catch2")  # Catch.cmake
EOF

results=()
failed=0
# step NAME FUNCTION: runs one step, its output in $build/NAME.log.
step() {
  local name=$1 t0=$SECONDS status
  shift
  echo "ci/windows-builds.sh: $name ..."
  set +e
  (
    set -e
    "$@"
  ) >"$build/$name.log" 2>&1
  status=$?
  set -e
  if [ "$status" -eq 0 ]; then
    results+=("$(printf '%-8s ok      %4d s' "$name" $((SECONDS - t0)))")
  else
    results+=("$(printf '%-8s FAILED  %4d s' "$name" $((SECONDS - t0)))")
    failed=1
    echo "ci/windows-builds.sh: $name failed; the end of $build/$name.log:" >&2
    tail -60 "$build/$name.log" >&2
  fi
}
fail() {
  echo "FAIL: $*"
  return 1
}
# no_warnings LOG: a -Werror build can still print linker warnings.
no_warnings() {
  if grep -E "warning:" "$1"; then
    fail "warnings (above)"
  fi
}

# --- i686: 32-bit Windows, compiled and linked --------------------------------
# No optimisation (-O0, no debug info): this step is about what compiles
# on a 32-bit target, and it compiles the whole suite.
i686_build() {
  local dir="$build/i686"
  rm -rf "$dir"
  cmake -S "$root" -B "$dir" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64.cmake" \
    -DDGRAM_MINGW_TRIPLE=i686-w64-mingw32 \
    -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-O0 \
    -DDGRAM_WITH_CARES=OFF -DDGRAM_WERROR=ON -DCatch2_DIR="$catch2"
  cmake --build "$dir" -j "$jobs" 2>&1 | tee "$dir/build.log"
  no_warnings "$dir/build.log"
  for file in libdgram.a test/dgram_tests.exe examples/server.exe \
              tools/dgramcat.exe; do
    [ -f "$dir/$file" ] || fail "$file not built"
  done
  # grep without -q reads to the end: with pipefail, -q's early exit could
  # kill the producer with SIGPIPE and fail the pipeline.
  i686-w64-mingw32-objdump -f "$dir/test/dgram_tests.exe" | grep 'i386' >/dev/null ||
    fail "dgram_tests.exe is not a 32-bit program"
}

# --- clang for the mingw target ---------------------------------------------------
clang_build() {
  local dir="$build/clang"
  rm -rf "$dir"
  cmake -S "$root" -B "$dir" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/clang-mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS="-O0 -Werror=dll-attribute-on-redeclaration" \
    -DBUILD_SHARED_LIBS=ON -DDGRAM_WITH_CARES=OFF -DDGRAM_WERROR=ON \
    -DDGRAM_BUILD_TESTS=OFF
  cmake --build "$dir" -j "$jobs" 2>&1 | tee "$dir/build.log"
  no_warnings "$dir/build.log"
  for file in libdgram.dll examples/server.exe tools/dgramcat.exe; do
    [ -f "$dir/$file" ] || fail "$file not built"
  done
  bash "$root/ci/check-exports.sh" "$dir/libdgram.dll"
}

# --- dgram's DLL and a program using it, under wine -------------------------------
# The program links the C++ runtime as a DLL too (libstdc++-6.dll beside
# it): one runtime for the DLL and the program, the rule docs/windows.md
# gives for a dgram DLL.
mingw_runtime_dlls() {
  local gcc dll
  gcc=$(dirname "$(x86_64-w64-mingw32-g++-posix -print-libgcc-file-name)")
  for dll in "$gcc/libstdc++-6.dll" "$gcc/libgcc_s_seh-1.dll" \
             /usr/x86_64-w64-mingw32/lib/libwinpthread-1.dll; do
    [ -f "$dll" ] || fail "no $dll"
    echo "$dll"
  done
}
dll_build() {
  local dir="$build/dll" prefix="$build/dll-prefix" consumer="$build/dll-consumer"
  rm -rf "$dir" "$prefix" "$consumer"
  cmake -S "$root" -B "$dir" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DDGRAM_WITH_CARES=OFF -DDGRAM_WERROR=ON \
    -DDGRAM_BUILD_TESTS=OFF -DDGRAM_BUILD_EXAMPLES=OFF
  cmake --build "$dir" -j "$jobs"
  cmake --install "$dir" --prefix "$prefix"
  find "$prefix" -type f | sort
  [ -f "$prefix/bin/libdgram.dll" ] || fail "no bin/libdgram.dll installed"
  [ -f "$prefix/lib/libdgram.dll.a" ] || fail "no import library installed"
  bash "$root/ci/check-exports.sh" "$prefix/bin/libdgram.dll"
  # The consumer, with the flags it has in ci/consumers.sh; linked against
  # the shared C++ runtime (the toolchain's -static is replaced).
  cmake -S "$root/ci/consumer" -B "$consumer" \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64.cmake" \
    -DCMAKE_BUILD_TYPE=Release -Ddgram_DIR="$prefix/lib/cmake/dgram" \
    -DCMAKE_EXE_LINKER_FLAGS=-Wl,--no-insert-timestamp
  cmake --build "$consumer" -j "$jobs"
  x86_64-w64-mingw32-objdump -p "$consumer/consumer.exe" |
    grep 'DLL Name: libdgram.dll' >/dev/null ||
    fail "consumer.exe does not use libdgram.dll"
  cp "$prefix/bin/libdgram.dll" "$consumer/"
  mingw_runtime_dlls | xargs -I{} cp {} "$consumer/"
  x86_64-w64-mingw32-objdump -p "$consumer/consumer.exe" | grep 'DLL Name'
  (cd "$consumer" && timeout 120 "$wine" ./consumer.exe) >"$consumer/run.out" 2>&1 || {
    tr -d '\r' <"$consumer/run.out"
    fail "consumer.exe failed under wine"
  }
  tr -d '\r' <"$consumer/run.out"
  grep -q ": ok" "$consumer/run.out" || fail "consumer.exe did not report ok"
}

# --- wine: a prefix of this script's own ----------------------------------------
wine=/usr/lib/wine/wine64
wineserver=/usr/lib/wine/wineserver
wine_job=""
start_wine_prefix() {
  export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  export WINEPREFIX="$build/wineprefix"
  unset DISPLAY
  rm -rf "$WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  # One persistent server for this prefix (ended at exit, this prefix's
  # only), made while the builds run.
  "$wineserver" -p
  ("$wine" wineboot --init >"$build/wineboot.log" 2>&1 || true) &
  wine_job=$!
}
wait_wine_prefix() {
  if [ -n "$wine_job" ]; then
    wait "$wine_job" || true
    wine_job=""
  fi
}
cleanup() {
  if [ -n "${WINEPREFIX:-}" ]; then
    "$wineserver" -k 2>/dev/null || true
  fi
}
trap cleanup EXIT

for name in "${steps[@]}"; do
  case "$name" in
    dll) start_wine_prefix ;;
    i686 | clang) ;;
    *) echo "ci/windows-builds.sh: unknown step '$name' (i686, clang, dll)" >&2
       exit 2 ;;
  esac
done
for name in "${steps[@]}"; do
  [ "$name" != dll ] || wait_wine_prefix
  step "$name" "${name}_build"
done

echo "ci/windows-builds.sh: steps:"
printf '  %s\n' "${results[@]}"
echo "ci/windows-builds.sh: $((SECONDS - started)) s"
exit "$failed"
