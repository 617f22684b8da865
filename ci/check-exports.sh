#!/usr/bin/env bash
# Checks that a shared dgram exports exactly its API: every exported symbol
# is in namespace dgram (functions, type information, vtables, thunks), and
# none is in dgram::detail. Anything else (a std:: template instance, the
# type information of a shared_ptr control block, a C symbol) fails.
#
#   ci/check-exports.sh build/libdgram.so.0.1.0     ELF: nm -D
#   ci/check-exports.sh build/dgram.dll [objdump]   PE: the export table
#                                                   (objdump -p; the mingw
#                                                   one by default)
#
# Prints the count of exported symbols; exits 1 listing the strays.
set -euo pipefail
lib=${1:?usage: ci/check-exports.sh LIBRARY [OBJDUMP]}
[ -f "$lib" ] || { echo "ci/check-exports.sh: no $lib" >&2; exit 2; }

case "$lib" in
  *.dll | *.DLL)
    objdump=${2:-x86_64-w64-mingw32-objdump}
    # The name pointer table: "\t[   3] _ZN5dgram..." lines.
    symbols=$("$objdump" -p "$lib" | awk '
      /^\[Ordinal\/Name Pointer\] Table/ { table = 1; next }
      table && /^[ \t]*\[ *[0-9]+\]/ { print $NF; next }
      table && /^[ \t]*$/ { table = 0 }')
    ;;
  *)
    # Defined dynamic symbols; undefined ones (what it imports) are not
    # exports.
    symbols=$(nm -D --defined-only "$lib" | awk '{ print $NF }')
    ;;
esac
[ -n "$symbols" ] || { echo "ci/check-exports.sh: $lib exports nothing" >&2; exit 1; }

# Mangled (Itanium ABI, which mingw and ELF share) names in namespace dgram:
# _ZN5dgram / _ZNK5dgram (members, functions), _ZT[ISV]N5dgram (type
# information, its name, vtables), _ZTT (VTT), _ZTh/_ZTv (thunks).
strays=$(printf '%s\n' "$symbols" | perl -ne '
  chomp;
  my $in_dgram = /^_Z(?:T[ISVT]|Th[^_]*_|Tv[^_]*_[^_]*_)?NK?5dgram/;
  my $internal = /^_Z(?:T[ISVT]|Th[^_]*_|Tv[^_]*_[^_]*_)?NK?5dgram6detail/;
  print "$_\n" if !$in_dgram || $internal;')
count=$(printf '%s\n' "$symbols" | wc -l)
if [ -n "$strays" ]; then
  echo "ci/check-exports.sh: $lib exports $count symbols; outside the API:" >&2
  printf '%s\n' "$strays" | while read -r symbol; do
    printf '  %s  (%s)\n' "$symbol" "$(printf '%s' "$symbol" | c++filt)"
  done >&2
  exit 1
fi
echo "ci/check-exports.sh: $lib exports $count symbols, all in namespace dgram"
