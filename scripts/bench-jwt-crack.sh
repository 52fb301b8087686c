#!/usr/bin/env bash
# Benchmark (5): the JWT weak-secret search, offline and on one thread. For each HMAC
# algorithm, signs a token with a random 256-bit secret (so the search runs to its end)
# and runs the scanner's search over every guess: built-in lists, app-derived words and
# the English dictionary (examples/jwt_crack.rs). Prints guesses, wall and CPU time per
# search, and guesses per CPU second (on a loaded machine wall time runs ahead of CPU
# time: compare the two).
# Usage: scripts/bench-jwt-crack.sh [RUNS]      (default 3; release build; no network)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
[ -n "${NO_BUILD:-}" ] || cargo build --release --workspace --examples --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/jwt_crack"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
printf '%-6s %9s %9s %9s %14s\n' alg guesses wall_ms cpu_ms guesses/cpu_s
for alg in HS256 HS384 HS512; do
  "$bin" --alg "$alg" --runs "$runs" | awk '
    /^HS/ { printf "%-6s %9d %9.1f %9d %14d\n", $1, $2, $3, $4, $5; next }
    { print "       " $0 }'
done
