#!/usr/bin/env bash
# Compares prodready's Observatory-compatible grade with the MDN HTTP Observatory CLI
# on the bundled test app, for a few flaw sets. Not run in CI: it needs npm and Node.
#
#   scripts/observatory-compare.sh [FLAW-SETS...]      (default: none no-security-headers weak-csp)
#
# Known, documented differences (see src/families/headers/grade.rs):
# - the test app is plain http on loopback: prodready does not judge HSTS or the
#   http->https redirection there (0), the Observatory charges -20 for each;
# - measured 2026-11 on `--flaws none`: every other test agrees modifier for modifier
#   (CSP +5, referrer +5, frame-ancestors +5, CORP +10, nosniff 0, cookies 0, SRI 0),
#   so ours is A+ (125) and theirs C+ (60) = 125 - 5 - 5 - 5 - 10 - 40, no bonus below 90;
# - the Observatory scans a hostname (https first, then http), prodready its start URL.
set -euo pipefail
cd "$(dirname "$0")/.."
sets=("$@")
[ ${#sets[@]} -eq 0 ] && sets=(none no-security-headers weak-csp)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --workspace --quiet
obs_dir="${OBSERVATORY_DIR:-$(mktemp -d)}"
if [ ! -x "$obs_dir/node_modules/.bin/mdn-http-observatory-scan" ]; then
  # --ignore-scripts: the package's install scripts fetch lists we do not need.
  npm install --prefix "$obs_dir" --ignore-scripts --no-audit --no-fund @mdn/mdn-http-observatory >/dev/null
fi
# --ignore-scripts skips the download of the HSTS preload list; an empty one means
# "not preloaded", which is true of a loopback test app.
preload="$obs_dir/node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json"
[ -f "$preload" ] || echo '{}' >"$preload"
port=18089
printf '%-22s %-26s %s\n' "flaws" "prodready" "observatory"
for flaws in "${sets[@]}"; do
  "$CARGO_TARGET_DIR/debug/testserver" --listen "127.0.0.1:$port" --flaws "$flaws" >/tmp/observatory-testserver.log 2>&1 &
  pid=$!
  sleep 1
  # prodready: `demo` runs the same app in-process; the grade leads item 6's summary.
  ours=$("$CARGO_TARGET_DIR/debug/prodready" demo --flaws "$flaws" --format json 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);const i=r.items.find(x=>x.key==="security-headers");const m=/grade (\S+) \(score (-?\d+)\)/.exec(i.summary)||[];console.log(m[1]?m[1]+" ("+m[2]+")":"n/a: "+i.summary.slice(0,60))})' || echo "scan failed")
  theirs=$("$obs_dir/node_modules/.bin/mdn-http-observatory-scan" "127.0.0.1:$port" 2>/dev/null \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const r=JSON.parse(s);console.log(r.scan?r.scan.grade+" ("+r.scan.score+")":"error: "+r.error)}catch(e){console.log("unparsable output")}})' || echo "cli failed")
  printf '%-22s %-26s %s\n' "$flaws" "$ours" "$theirs"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
