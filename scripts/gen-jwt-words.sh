#!/usr/bin/env bash
# Regenerates probes/data/jwt-words.txt.gz, the English dictionary the JWT weak-secret
# check tries offline, from Debian's `wamerican` word list (SCOWL, size 50), whose
# permissive licence is copied beside it as probes/data/jwt-words.LICENSE.
# Words are lower-cased, ASCII letters only (no possessives), sorted and deduplicated;
# the scanner derives the capitalised and upper-case forms itself.
# Usage: scripts/gen-jwt-words.sh      (needs: apt-get install -y wamerican)
set -euo pipefail
cd "$(dirname "$0")/.."
src=/usr/share/dict/american-english
copyright=/usr/share/doc/wamerican/copyright
[ -r "$src" ] || { echo "$src not found: apt-get install -y wamerican" >&2; exit 2; }
version=$(dpkg-query -W -f '${Version}' wamerican 2>/dev/null || echo unknown)
out=probes/data/jwt-words.txt.gz
{
  echo "# English words for the JWT weak-secret check (probes/README.md, Data files)."
  echo "# From Debian's wamerican $version (SCOWL by Kevin Atkinson and contributors),"
  echo "# lower-cased, ASCII letters only. Permission to use, copy, modify, distribute"
  echo "# and sell these word lists is granted without fee provided the copyright notice"
  echo "# appears in all copies: see jwt-words.LICENSE (the package's copyright file)."
  LC_ALL=C grep -v "'" "$src" | LC_ALL=C grep '^[A-Za-z]*$' | tr 'A-Z' 'a-z' | LC_ALL=C sort -u
} | gzip -9 -n > "$out"
cp "$copyright" probes/data/jwt-words.LICENSE
echo "$out: $(gzip -dc "$out" | grep -vc '^#') words, $(wc -c < "$out") bytes"
