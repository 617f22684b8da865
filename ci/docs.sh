#!/usr/bin/env bash
# Builds the API reference with Doxygen (docs/Doxyfile) into build/docs/html
# and fails on any Doxygen warning: every public type and member of
# include/dgram must be documented.
#   ci/docs.sh        (from any directory)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/ci/deps.sh" doxygen
cd "$root"
build=build/docs
# Configure only, for the generated headers (dgram/version.hpp, export.hpp).
cmake -S . -B "$build/cmake" -DDGRAM_BUILD_TESTS=OFF \
  -DDGRAM_BUILD_EXAMPLES=OFF >/dev/null
export DGRAM_GENERATED_INCLUDE="$root/$build/cmake/include"
export DGRAM_DOCS_OUT="$root/$build"
if ! doxygen docs/Doxyfile 2>"$build/warnings.log"; then
  cat "$build/warnings.log" >&2
  echo "ci/docs.sh: Doxygen warnings above (undocumented public members?)" >&2
  exit 1
fi
if [ -s "$build/warnings.log" ]; then
  cat "$build/warnings.log" >&2
  echo "ci/docs.sh: Doxygen warnings above" >&2
  exit 1
fi
echo "ci/docs.sh: API reference in $build/html/index.html, no warning"
