#!/usr/bin/env bash
# Installs what dgram needs to build and test on Debian, if it is missing.
# Usage: ci/deps.sh [extra Debian packages...]
#        ci/deps.sh --build [extra...]   only what building the library and
#                                        dgramcat needs (ci/demo.sh)
set -euo pipefail

build=(cmake g++ make pkg-config libc-ares-dev)
if [ "${1:-}" = "--build" ]; then
  shift
  packages=("${build[@]}" "$@")
else
  # catch2 for the suite, dnsmasq for its DNS server, iproute2 for its
  # network namespaces; netcat-openbsd, ncat, socat and nodejs are
  # dgramcat's peers in its end-to-end tests (test/dgramcat_peers_e2e.sh);
  # man renders its page.
  packages=("${build[@]}" catch2 dnsmasq-base iproute2 netcat-openbsd ncat
    socat nodejs man-db "$@")
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep "install ok installed" >/dev/null || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ci/deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
# CI scripts may run side by side (.ci/run): one apt at a time, waiting
# for the lock rather than failing on it.
lock=(-o DPkg::Lock::Timeout=600)
exec 9>/tmp/dgram-ci-deps.lock
flock -w 900 9 || true
$sudo apt-get "${lock[@]}" update -qq
$sudo apt-get "${lock[@]}" install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
