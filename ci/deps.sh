#!/usr/bin/env bash
# Installs what dgram needs to build and test on Debian, if it is missing.
# Usage: ci/deps.sh [extra Debian packages...]
set -euo pipefail

# netcat-openbsd, ncat, socat and nodejs are dgramcat's peers in its
# end-to-end tests (test/dgramcat_peers_e2e.sh); man renders its page.
packages=(cmake g++ make pkg-config catch2 libc-ares-dev dnsmasq-base iproute2
  netcat-openbsd ncat socat nodejs man-db "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
    grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ci/deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
