#!/usr/bin/env bash
# Benchmark (4): scaling. Runs the full scanner (release build) against the test app
# started with `--size N` (about N generated tenant-scoped endpoints listed in its
# OpenAPI document, on top of its ~45 own) and prints wall time, requests, peak memory
# and the per-endpoint figures.
# The scan runs at limits.rate = 10000 (the highest prodready accepts; the rate is the
# user's to set, and this is our own app on loopback) with concurrency 16.
# Usage: scripts/bench-scale.sh [SIZE...]   (default: 0 1000 10000; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(0 1000 10000)
[ -n "${NO_BUILD:-}" ] || cargo build --release --workspace --quiet
target="${CARGO_TARGET_DIR:-target}/release"
tmp=$(mktemp -d)
port=18735
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# The demo config with a bench rate; a 10,000-path OpenAPI document is 1.8 MB.
# The demo config sets rate_limit.max_wait_secs = 0: the hardened app's login limit
# trips in the burst, and waiting it out would be a constant, not per-endpoint cost.
sed -e "s|http://127.0.0.1:8080|http://127.0.0.1:$port|" \
    -e 's|^rate = .*|rate = 10000|' -e 's|^concurrency = .*|concurrency = 16\nbody_cap_kib = 16384|' \
    testserver/scan.toml > "$tmp/scan.toml"

printf '%7s %9s %8s %9s %12s %12s %14s %14s\n' \
  size endpoints wall_s requests peak_rss_mib ms_per_ep requests_per_ep rss_kib_per_ep
for size in "${sizes[@]}"; do
  "$target/testserver" --listen "127.0.0.1:$port" --flaws none --size "$size" > "$tmp/app.env" &
  app_pid=$!
  for _ in $(seq 1 100); do grep -q PASSWORD "$tmp/app.env" 2>/dev/null && break; sleep 0.1; done
  (set -a; eval "$(sed -n 's/^export //p' "$tmp/app.env")"; set +a
   # Exit code 1 is a failed gate; the numbers are what matter here.
   /usr/bin/time -f '%e %M' -o "$tmp/time" "$target/prodready" scan --config "$tmp/scan.toml" \
     -q --format json --output "$tmp/report.json" || [ $? -eq 1 ])
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=""
  read -r wall_s rss_kib < <(tail -n 1 "$tmp/time")
  read -r requests endpoints < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["requests_sent"], r["inventory"]["endpoints"])' "$tmp/report.json")
  awk -v s="$size" -v e="$endpoints" -v w="$wall_s" -v q="$requests" -v m="$rss_kib" \
    'BEGIN { printf "%7d %9d %8.2f %9d %12.1f %12.2f %14.2f %14.1f\n", s, e, w, q, m / 1024, 1000 * w / e, q / e, m / e }'
done
