#!/usr/bin/env bash
# demo.sh - the main job: set up, build, then build every example with
# tal.mk (assemble, link into a module, verify, sign with a key made on
# first use) and run each in the user-space host (talrun), printing what
# it returns or writes.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
top=$PWD
B=$top/${BUILD_DIR:-build}
keys=$B/keys
E=$B/examples
mkdir -p "$E" "$keys"
make -s -C "$E" -f "$top/examples/Makefile" SRC="$top/examples" TAL_BIN="$B" \
  TAL_KEY="$keys/talkey.pem" TAL_CERT="$keys/talcert.pem" -j"$(nproc)" all
# the kernel examples: linked against the kernel interface and verified with
# the kernel profile, ready for talload (they run under talshim.ko, not here)
mkdir -p "$B/kexamples"
make -s -C "$B/kexamples" -f "$top/examples/kernel/Makefile" SRC="$top/examples/kernel" TAL_BIN="$B" \
  TAL_KEY="$keys/talkey.pem" TAL_CERT="$keys/talcert.pem" -j"$(nproc)" all
echo "host interface runtime/tal_host.tali, SHA-256 $("$B/tallink" -I runtime --interface-digest)"
echo "signing certificate $keys/talcert.pem"

n=0
# run MODULE EXPORT ARGS...: show the module once, then the call and its result
run() {
  local mod=$1; shift
  echo "\$ talrun $mod.signed.tlm $*"
  "$B/talrun" --cert "$keys/talcert.pem" "$E/$mod.signed.tlm" "$@" 2>&1 | sed 's/^/  /'
  n=$((n + 1))
}
show() {
  local mod=$1
  echo
  echo "=== $mod.signed.tlm: $(stat -c %s "$E/$mod.signed.tlm") bytes, $(size -A -d "$E/$mod.signed.tlm" | awk '$1 == ".text" { print $2 }') bytes of code"
  "$B/taldump" "$E/$mod.signed.tlm" | grep -E '^\.(export|import)' | sed 's/    #.*//; s/^/  /'
}

show hello;  run hello hello
show sum;    run sum sum 3,1,4,1,5,9,2,6
show checksum; run checksum adler32 Wikipedia; run checksum byte_at "typed assembly" 40 || true
show search; run search search "typed assembly language" assembly
show sort;   run sort sort 31,41,59,26,53,58,97,93,23,84
show stats;  run stats stats_excess 1,5,3,7
show depth;  run depth tree_depth 111111111111111
show find;   run find find_count "$top/examples" 1; run find find_count "$top" 2
show getpid; run getpid getpid_loop 1000000; echo "  (the sum of the pids 1000000 service calls returned)"
# an Ethernet/IPv4/TCP packet: TTL $1, destination port $2 (hex bytes)
packet() { printf "\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00\x45\0\0\x28\0\0\x40\0\x$1\x06\0\0\x0a\0\0\x01\x0a\0\0\x02\x30\x39\x$2\x$3\0\0\0\0\0\0\0\0\x50\0\0\0\0\0\0\0"; }
packet 80 00 50 >"$E/web.pkt"; packet 40 00 50 >"$E/ttl64.pkt"; packet 80 00 16 >"$E/ssh.pkt"
show filter; run filter filter "@$E/web.pkt"; run filter filter "@$E/ttl64.pkt"; run filter filter "@$E/ssh.pkt"
show map;    run map map_add 1,2,3,4 100
show list;   run list list_demo 1000
show bst;    run bst bst_distinct 31,41,59,26,53,58,97,93,23,84,62,64,33,83,27,95,2,88,41,97; echo "  (different keys, counted in a search tree)"
echo
echo "demo: $n calls of $(ls "$E"/*.signed.tlm | wc -l) modules assembled, linked, verified, signed and run"
echo "kernel examples (examples/kernel) verified with the kernel profile and signed for talshim.ko: $(cd "$B/kexamples" && ls *.signed.tlm | tr '\n' ' ')"
