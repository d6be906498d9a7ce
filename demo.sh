#!/usr/bin/env bash
# demo.sh - the main job: set up, build, then for every example assemble
# it, show what came out (sections, code, the embedded types) and verify it.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
B=${BUILD_DIR:-build}
mkdir -p "$B/examples"
for src in examples/*.tal; do
  name=$(basename "$src" .tal)
  obj="$B/examples/$name.o"
  echo "=== $src"
  "$B/talas" -I examples -o "$obj" "$src"
  size -A -d "$obj" | grep -E '^\.(text|rodata|data|bss|tal\.|rela\.)' | while read -r name bytes _; do
    printf '  %-12s %6d bytes\n' "$name" "$bytes"
  done
  objdump -d -r -M intel --no-addresses "$obj" | sed -n '/<.*>:/,$p' | head -40 | sed 's/^/  /'
  "$B/taldump" "$obj" | sed 's/^/  /'
  "$B/talcheck" -v "$obj" 2>&1 | sed 's/^/  talcheck: /'
done
echo "demo: all $(ls examples/*.tal | wc -l) examples assembled and verified"
