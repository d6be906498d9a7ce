#!/usr/bin/env bash
# demo.sh - the main job: set up, build, then assemble every example and
# show what came out (sections, code, and the embedded types).
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
  readelf -S -W "$obj" | grep -E '\.(text|rodata|data|bss|tal\.[a-z]+|rela\.[a-z]+) ' | awk '{printf "  %-12s %s bytes\n", $2, strtonum("0x"$6)}'
  objdump -d -M intel --no-addresses "$obj" | sed -n '/<.*>:/,$p' | head -40 | sed 's/^/  /'
  "$B/taldump" "$obj" | sed 's/^/  /'
done
echo "demo: all $(ls examples/*.tal | wc -l) examples assembled"
