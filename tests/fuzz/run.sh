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
# Not part of ./test.sh.  Crashes are saved in build-fuzz/crashes/ (asm) or
# build-fuzz/crashes-TARGET/ (the others).  A bare number is SECONDS for asm.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=asm
case ${1:-} in
asm|check|load|link) target=$1; shift ;;
''|*[!0-9]*) [ $# -eq 0 ] || { echo "usage: run.sh [asm|check|load|link] [SECONDS]" >&2; exit 2; } ;;
esac
secs=${1:-300}
command -v clang >/dev/null || { echo "fuzz: needs clang (./setup.sh installs it)"; exit 2; }
CC=clang cmake -S . -B build-fuzz -DTAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target "fuzz_$target" -j"$(nproc)" >/dev/null
flags=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536)

if [ "$target" = asm ]; then
  mkdir -p build-fuzz/corpus build-fuzz/crashes
  cp examples/*.tal tests/asm/ok/*.tal tests/asm/err/*.tal build-fuzz/corpus/ 2>/dev/null || true
  exec build-fuzz/fuzz_asm "${flags[@]}" -artifact_prefix=build-fuzz/crashes/ build-fuzz/corpus
fi

# The other targets' seeds are objects and modules: made with the normal build.
for t in talas tallink talcheck; do
  [ -x build/$t ] || { cmake -S . -B build >/dev/null && cmake --build build -j"$(nproc)" >/dev/null; break; }
done
root=$PWD

# assemble SRC OUT.o: from the source's directory, as the tests do (line tables name the file alone)
assemble() { (cd "$(dirname "$1")" && "$root/build/talas" -I "$root/runtime" -o "$root/$2" "$(basename "$1")") 2>/dev/null; }

if [ "$target" = load ]; then
  corpus=build-fuzz/corpus-load keys=build-fuzz/keys
  mkdir -p "$corpus" "$keys" build-fuzz/crashes-load
  [ -f "$keys/key.pem" ] || sh build/talkey -k "$keys/key.pem" -c "$keys/cert.pem" >/dev/null
  for src in examples/*.tal; do
    name=$(basename "$src" .tal)
    assemble "$src" "$corpus/$name.o" || continue
    build/tallink -I runtime -o "$corpus/$name.tlm" "$corpus/$name.o" 2>/dev/null || { rm -f "$corpus/$name.o"; continue; }
    build/talcheck --sign "$keys/key.pem" --cert "$keys/cert.pem" -o "$corpus/$name.signed.tlm" "$corpus/$name.tlm" 2>/dev/null || true
    rm -f "$corpus/$name.o"
  done
  export TAL_FUZZ_CERT=$keys/cert.pem
  exec build-fuzz/fuzz_load "${flags[@]}" -artifact_prefix=build-fuzz/crashes-load/ "$corpus"
fi

if [ "$target" = link ]; then
  corpus=build-fuzz/corpus-link
  mkdir -p "$corpus" build-fuzz/crashes-link
  for src in examples/*.tal tests/link/src/*.tal tests/check/ok/*.tal; do
    [ -e "$src" ] || continue
    assemble "$src" "$corpus/$(basename "$(dirname "$src")")-$(basename "$src" .tal).o" || true
  done
  # objects that link together, joined by the target's separator line (fuzz_link.c)
  split=$'\n@@tal-fuzz-object@@\n'
  if [ -f "$corpus/src-main.o" ] && [ -f "$corpus/src-vec.o" ]; then
    { cat "$corpus/src-main.o"; printf '%s' "$split"; cat "$corpus/src-vec.o"; } >"$corpus/pair-main-vec"
  fi
  exec build-fuzz/fuzz_link "${flags[@]}" -artifact_prefix=build-fuzz/crashes-link/ "$corpus"
fi

corpus=build-fuzz/corpus-check
mkdir -p "$corpus" build-fuzz/crashes-check
for src in examples/*.tal tests/check/*/*.tal; do
  [ -e "$src" ] || continue
  name=$(basename "$(dirname "$src")")-$(basename "$src" .tal)
  # from the source's directory, as the tests do: line tables name the file alone
  assemble "$src" "$corpus/$name.o" || true
  # and linked into a module, so that module headers, stubs and tables are fuzzed too
  [ -x build/tallink ] && build/tallink -I runtime -o "$corpus/$name.tlm" "$corpus/$name.o" 2>/dev/null || true
done
[ -d tests/fuzz/regress ] && cp tests/fuzz/regress/* "$corpus/" 2>/dev/null || true
exec build-fuzz/fuzz_check "${flags[@]}" -artifact_prefix=build-fuzz/crashes-check/ "$corpus"
