#!/usr/bin/env bash
# Benchmark of the full demo scan (all flaws on): wall time, requests sent, peak memory.
# Usage: scripts/bench-demo.sh [RUNS]   (default 5; release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build --release --quiet
bin=target/release/prodready
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-4s %10s %10s %12s\n' run wall_ms requests peak_rss_mib
for i in $(seq 1 "$runs"); do
  # Exit code 1 is the expected gate failure on the flawed app.
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" demo -q --format json --output "$tmp/report.json" || [ $? -eq 1 ]
  read -r wall_s rss_kib < "$tmp/time"
  requests=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests_sent"])' "$tmp/report.json")
  awk -v r="$i" -v w="$wall_s" -v q="$requests" -v m="$rss_kib" \
    'BEGIN { printf "%-4s %10d %10d %12.1f\n", r, w * 1000, q, m / 1024 }'
done
