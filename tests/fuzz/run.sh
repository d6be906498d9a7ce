#!/usr/bin/env bash
# run.sh [asm|check] [SECONDS] - fuzz with libFuzzer (clang, ASan, UBSan).
#   asm (the default): the assembler, from the examples and test programs.
#   check: the verifier (each input in one thread and in three parts: the
#          answers must agree), from the objects build/talas makes of the examples
#          and of tests/check/*/*.tal, and the modules build/tallink links
#          from them.
# Not part of ./test.sh.  Crashes are saved in build-fuzz/crashes/ (asm) or
# build-fuzz/crashes-check/ (check).  A bare number is SECONDS for asm.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=asm
case ${1:-} in
asm|check) target=$1; shift ;;
''|*[!0-9]*) [ $# -eq 0 ] || { echo "usage: run.sh [asm|check] [SECONDS]" >&2; exit 2; } ;;
esac
secs=${1:-300}
command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang libclang-rt-14-dev)"; exit 2; }
CC=clang cmake -S . -B build-fuzz -DTAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target "fuzz_$target" -j"$(nproc)" >/dev/null

if [ "$target" = asm ]; then
  mkdir -p build-fuzz/corpus build-fuzz/crashes
  cp examples/*.tal tests/asm/ok/*.tal tests/asm/err/*.tal build-fuzz/corpus/ 2>/dev/null || true
  exec build-fuzz/fuzz_asm -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -artifact_prefix=build-fuzz/crashes/ build-fuzz/corpus
fi

# The verifier's seeds are objects: assemble them with the normal build.
[ -x build/talas ] || { cmake -S . -B build >/dev/null && cmake --build build --target talas -j"$(nproc)" >/dev/null; }
root=$PWD corpus=build-fuzz/corpus-check
mkdir -p "$corpus" build-fuzz/crashes-check
for src in examples/*.tal tests/check/*/*.tal; do
  [ -e "$src" ] || continue
  name=$(basename "$(dirname "$src")")-$(basename "$src" .tal)
  # from the source's directory, as the tests do: line tables name the file alone
  (cd "$(dirname "$src")" && "$root/build/talas" -I "$root/runtime" -o "$root/$corpus/$name.o" "$(basename "$src")") 2>/dev/null || true
  # and linked into a module, so that module headers, stubs and tables are fuzzed too
  [ -x build/tallink ] && build/tallink -I runtime -o "$corpus/$name.tlm" "$corpus/$name.o" 2>/dev/null || true
done
[ -d tests/fuzz/regress ] && cp tests/fuzz/regress/* "$corpus/" 2>/dev/null || true
exec build-fuzz/fuzz_check -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
  -artifact_prefix=build-fuzz/crashes-check/ "$corpus"
