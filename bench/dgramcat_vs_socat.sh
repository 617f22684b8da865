#!/usr/bin/env bash
# 200,000 datagrams of 64 bytes over loopback: dgramcat -> dgramcat against
# socat -> socat, in one run, the same input file for both senders.
#   bench/dgramcat_vs_socat.sh PATH/TO/dgramcat [COUNT] [SIZE]
# Each sender reads the file in SIZE-byte datagrams (dgramcat --block SIZE,
# socat -b SIZE); each receiver writes the payloads to a file and stops
# after 1 s without traffic. Reports the sender's time and rate and what
# arrived (UDP drops when the receiver falls behind).
set -euo pipefail
dgramcat=${1:?usage: $0 PATH/TO/dgramcat [COUNT] [SIZE]}
count=${2:-200000}
size=${3:-64}
command -v socat >/dev/null || { echo "SKIPPED: socat is not installed"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c $((count * size)) /dev/urandom >"$work/input"
port=$((20000 + RANDOM % 40000))

now() { date +%s%N; }
report() {  # report NAME START END RECEIVED-BYTES
  local ns=$(($3 - $2)) got=$(($4 / size))
  awk -v n="$1" -v ns="$ns" -v c="$count" -v got="$got" -v s="$size" 'BEGIN {
    t = ns / 1e9
    printf "%-22s sent %d x %d B in %.3f s = %.0f datagrams/s (%.1f Mbit/s), received %d (%.1f%%)\n",
      n, c, s, t, c / t, c * s * 8 / t / 1e6, got, 100 * got / c }'
}

# dgramcat -> dgramcat
timeout 60 "$dgramcat" -b 127.0.0.1 -l "$port" --raw -w 1 -d --rcvbuf 4m \
  >"$work/dgramcat.out" &
receiver=$!
sleep 0.3
start=$(now)
timeout 60 "$dgramcat" --block "$size" 127.0.0.1 "$port" <"$work/input"
end=$(now)
wait "$receiver" || true
report "dgramcat -> dgramcat" "$start" "$end" "$(wc -c <"$work/dgramcat.out")"

# socat -> socat
port=$((port + 1))
timeout 60 socat -u -T 1 -b 65536 "UDP-RECV:$port,bind=127.0.0.1,rcvbuf=4194304" \
  "OPEN:$work/socat.out,creat,trunc" &
receiver=$!
sleep 0.3
start=$(now)
timeout 60 socat -u -b "$size" "OPEN:$work/input" "UDP-SENDTO:127.0.0.1:$port"
end=$(now)
wait "$receiver" || true
report "socat -> socat" "$start" "$end" "$(wc -c <"$work/socat.out")"
