#!/usr/bin/env bash
# Benchmark of the full demo scan (all flaws on): wall time, requests sent, peak memory.
# Two rows per run: `demo` (scanner and test app in one process, what users run first)
# and `scanner` (the scanner alone, against the test app running as its own process).
# Usage: scripts/bench-demo.sh [RUNS]   (default 5; release build; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build --release --workspace --quiet
bin=target/release/prodready
tmp=$(mktemp -d)
port=18733
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

measure() { # label, then the command; prints one row
  local label=$1; shift
  # Exit code 1 is the expected gate failure on the flawed app.
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" || [ $? -eq 1 ]
  # GNU time prepends "Command exited with non-zero status 1" on that exit.
  read -r wall_s rss_kib < <(tail -n 1 "$tmp/time")
  requests=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests_sent"])' "$tmp/report.json")
  awk -v l="$label" -v w="$wall_s" -v q="$requests" -v m="$rss_kib" \
    'BEGIN { printf "%-8s %10d %10d %12.1f\n", l, w * 1000, q, m / 1024 }'
}

printf '%-8s %10s %10s %12s\n' what wall_ms requests peak_rss_mib
for _ in $(seq 1 "$runs"); do
  measure demo "$bin" demo -q --format json --output "$tmp/report.json"
  target/release/testserver --listen "127.0.0.1:$port" --flaws all > "$tmp/app.env" &
  app_pid=$!
  for _ in $(seq 1 50); do grep -q PASSWORD "$tmp/app.env" 2>/dev/null && break; sleep 0.1; done
  sed "s|http://127.0.0.1:8080|http://127.0.0.1:$port|" testserver/scan.toml > "$tmp/scan.toml"
  (set -a; eval "$(sed -n 's/^export //p' "$tmp/app.env")"; set +a
   measure scanner "$bin" scan --config "$tmp/scan.toml" -q --format json --output "$tmp/report.json")
  kill "$app_pid"; wait "$app_pid" 2>/dev/null || true; app_pid=""
done
