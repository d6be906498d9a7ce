#!/usr/bin/env bash
# run.sh [asm|check|load|link] [SECONDS] - fuzz with libFuzzer (clang, ASan, UBSan).
#   asm (the default): the assembler, from the examples and test programs.
#   check: the verifier (each input in one thread and in three parts: the
#          answers must agree), from the objects build/talas makes of the examples
#          and of tests/check/*/*.tal, and the modules build/tallink links
#          from them.
#   load:  what a host reads of a signed module before believing it (the
#          trailer, the attestation, the module header and tables, the
#          signature's shape), and the unsigned module parser, from the
#          examples linked and signed with a key made for the run.
#   link:  the linker, from the objects of the examples and tests, alone and
#          in the pairs that link together.
# SECONDS 0 runs each seed once and stops: ./test.sh does that for every
# target (they build, and no seed crashes them).  Longer runs are not part
# of the tests.  A bare number is SECONDS for asm.  The seeds are made
# afresh in build-fuzz/seeds-TARGET; what a run finds goes to
# build-fuzz/corpus-TARGET (kept from run to run) and crashes to
# build-fuzz/crashes-TARGET.  A crash worth keeping as it is goes to
# tests/fuzz/regress/ (there is none yet: each bug found so far got a test
# of its own instead): those files are seeds of check, and
# tests/check/elf.sh runs talcheck on each of them.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=asm
case ${1:-} in
asm|check|load|link) target=$1; shift ;;
''|*[!0-9]*) [ $# -eq 0 ] || { echo "usage: run.sh [asm|check|load|link] [SECONDS]" >&2; exit 2; } ;;
esac
secs=${1:-300}
case $secs in ''|*[!0-9]*) echo "usage: run.sh [asm|check|load|link] [SECONDS]" >&2; exit 2 ;; esac
command -v clang >/dev/null || { echo "fuzz: needs clang (./setup.sh installs it)"; exit 2; }
CC=clang cmake -S . -B build-fuzz -DTAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target "fuzz_$target" -j"$(nproc)" >/dev/null
# the seeds of every target but asm are objects and modules, made with the normal build
[ "$target" = asm ] || for t in talas tallink talcheck; do
  [ -x build/$t ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; break; }
done

root=$PWD
seeds=build-fuzz/seeds-$target corpus=build-fuzz/corpus-$target crashes=build-fuzz/crashes-$target
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$crashes"

# assemble SRC OUT.o: from the source's directory, as the tests do (line tables name the file alone)
assemble() { (cd "$(dirname "$1")" && "$root/build/talas" -I "$root/runtime" -o "$root/$2" "$(basename "$1")") 2>/dev/null; }

case $target in
asm)
  cp examples/*.tal tests/asm/ok/*.tal tests/asm/err/*.tal "$seeds/" ;;
check)
  for src in examples/*.tal tests/check/*/*.tal; do
    [ -e "$src" ] || continue
    grep -q '^# not a fuzz seed' "$src" && continue   # (made to be slow: its mutants would be too)
    name=$(basename "$(dirname "$src")")-$(basename "$src" .tal)
    assemble "$src" "$seeds/$name.o" || continue
    # and linked into a module, so that module headers, stubs and tables are fuzzed too
    build/tallink -I runtime -o "$seeds/$name.tlm" "$seeds/$name.o" 2>/dev/null || true
  done
  if [ -d tests/fuzz/regress ]; then cp tests/fuzz/regress/* "$seeds/"; fi ;;
load)
  keys=build-fuzz/keys
  mkdir -p "$keys"
  [ -f "$keys/key.pem" ] || sh build/talkey -k "$keys/key.pem" -c "$keys/cert.pem" >/dev/null
  for src in examples/*.tal; do
    name=$(basename "$src" .tal)
    assemble "$src" "$seeds/$name.o" || continue
    build/tallink -I runtime -o "$seeds/$name.tlm" "$seeds/$name.o" 2>/dev/null &&
      build/talcheck --sign "$keys/key.pem" --cert "$keys/cert.pem" -o "$seeds/$name.signed.tlm" "$seeds/$name.tlm" 2>/dev/null || true
    rm -f "$seeds/$name.o"
  done
  export TAL_FUZZ_CERT=$keys/cert.pem ;;
link)
  for src in examples/*.tal tests/link/src/*.tal tests/check/ok/*.tal; do
    [ -e "$src" ] || continue
    assemble "$src" "$seeds/$(basename "$(dirname "$src")")-$(basename "$src" .tal).o" || true
  done
  # objects that link together, joined by the target's separator line (fuzz_link.c)
  split=$'\n@@tal-fuzz-object@@\n'
  if [ -f "$seeds/src-main.o" ] && [ -f "$seeds/src-vec.o" ]; then
    { cat "$seeds/src-main.o"; printf '%s' "$split"; cat "$seeds/src-vec.o"; } >"$seeds/pair-main-vec"
  fi ;;
esac
[ -n "$(ls "$seeds")" ] || { echo "fuzz: no seeds for $target" >&2; exit 2; }

if [ "$secs" -eq 0 ]; then
  exec "build-fuzz/fuzz_$target" -runs=0 -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$crashes/" "$seeds"
fi
exec "build-fuzz/fuzz_$target" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
  -artifact_prefix="$crashes/" "$corpus" "$seeds"
