#!/usr/bin/env bash
# Benchmark (2): engine throughput with the rate cap out of the way, on one cheap
# endpoint of the test app (GET /robots.txt), at the same concurrency: wrk, a bare
# reqwest loop and the scanner's HttpLayer::send loop, each for a fixed duration.
# Usage: scripts/bench-throughput.sh [CONCURRENCY] [SECONDS] [RUNS]
#        (defaults 8, 5, 3; release build; loopback only; needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
conc="${1:-8}"
secs="${2:-5}"
runs="${3:-3}"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || cargo build --release --workspace --examples --quiet
target="${CARGO_TARGET_DIR:-target}/release"
port=18734
url="http://127.0.0.1:$port/robots.txt"
tmp=$(mktemp -d)
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
"$target/testserver" --listen "127.0.0.1:$port" --flaws none > "$tmp/app.env" &
app_pid=$!
for _ in $(seq 1 100); do grep -q PASSWORD "$tmp/app.env" 2>/dev/null && break; sleep 0.1; done

wrk_rps() {
  # wrk's thread count cannot exceed its connections.
  local threads=$(( conc < 2 ? conc : 2 ))
  wrk -t"$threads" -c"$conc" -d"${secs}s" "$url" | awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }'
}
loop_rps() { "$target/examples/throughput" --mode "$1" --url "$url" --concurrency "$conc" --secs "$secs" | awk '{ print $4 }'; }

echo "concurrency $conc, ${secs}s per tool, $runs runs, GET $url"
printf '%-4s %10s %10s %10s %14s %14s\n' run wrk bare layer layer/bare bare/wrk
for run in $(seq 1 "$runs"); do
  w=$(wrk_rps); b=$(loop_rps bare); l=$(loop_rps layer)
  awk -v r="$run" -v w="$w" -v b="$b" -v l="$l" \
    'BEGIN { printf "%-4s %10d %10d %10d %13.1f%% %13.1f%%\n", r, w, b, l, 100 * l / b, 100 * b / w }'
done
