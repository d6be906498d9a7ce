#!/usr/bin/env bash
# demo.sh - the main job: set up, build, then build every example with
# tal.mk (assemble, link into a module, verify, sign with a key made on
# first use), and show what came out: the module's parts, its types, and
# the signature checked as a host will check it.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
top=$PWD
B=$top/${BUILD_DIR:-build}
keys=$B/keys
mkdir -p "$B/examples" "$keys"
make -s -C "$B/examples" -f "$top/examples/Makefile" SRC="$top/examples" TAL_BIN="$B" \
  TAL_KEY="$keys/talkey.pem" TAL_CERT="$keys/talcert.pem" -j"$(nproc)" all
digest=$("$B/tallink" -I runtime --interface-digest)
echo "host interface runtime/tal_host.tali: SHA-256 $digest"
n=0
for src in examples/*.tal; do
  name=$(basename "$src" .tal)
  mod="$B/examples/$name.signed.tlm"
  [ -e "$mod" ] || continue      # a unit of another module (vec.tal)
  n=$((n + 1))
  echo "=== $name.signed.tlm ($(stat -c %s "$mod") bytes)"
  size -A -d "$mod" | grep -E '^\.(text|tal\.stubs|rodata|data|bss) ' | while read -r sec bytes _; do
    printf '  %-12s %6d bytes\n' "$sec" "$bytes"
  done
  objdump -d -M intel --no-show-raw-insn "$mod" | sed -n '/<.*>:/,$p' | head -24 | sed 's/^/  /'
  "$B/taldump" "$mod" | grep -E '^\.(export|import)' | sed 's/^/  /'
  "$B/talcheck" -v "$mod" 2>&1 | sed 's/^/  talcheck: /'
  "$B/runtime/talverify" --cert "$keys/talcert.pem" --interface-digest "$digest" "$mod" 2>&1 | sed 's/^/  talverify: /'
done
# list.tal needs a host allocator service: verified as an object for now
"$B/talas" -o "$B/examples/list.o" examples/list.tal
"$B/talcheck" -v "$B/examples/list.o" 2>&1 | sed 's/^/  talcheck: /'
echo "demo: $n modules linked, verified and signed (key: $keys/talcert.pem)"
