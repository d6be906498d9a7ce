#!/usr/bin/env bash
# run.sh [SECONDS] - fuzz the assembler with libFuzzer (clang, ASan, UBSan),
# starting from the examples and test programs.  Not part of ./test.sh.
# Crashes are saved in build-fuzz/crashes/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
command -v clang >/dev/null || { echo "fuzz: needs clang (apt-get install clang libclang-rt-14-dev)"; exit 2; }
CC=clang cmake -S . -B build-fuzz -DTAL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --target fuzz_asm -j"$(nproc)" >/dev/null
mkdir -p build-fuzz/corpus build-fuzz/crashes
cp examples/*.tal tests/asm/ok/*.tal tests/asm/err/*.tal build-fuzz/corpus/ 2>/dev/null || true
build-fuzz/fuzz_asm -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
  -artifact_prefix=build-fuzz/crashes/ build-fuzz/corpus
