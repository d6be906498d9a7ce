#!/usr/bin/env bash
# test.sh - set up, build, and run the whole test suite through ctest:
# once in the normal build, once more with AddressSanitizer and UBSan (built
# with clang, whose UBSan also reports arithmetic on null pointers), and
# the verifier's corpus (checked in threads too) with ThreadSanitizer.
# Extra arguments go to ctest (e.g. -R asm.err to run a subset).
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
echo "test: ${BUILD_DIR:-build}"
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j"$(nproc)" "$@")
if [ "${TAL_NO_SANITIZE:-}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_C_COMPILER=clang -DTAL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build build-asan -j"$(nproc)" >/dev/null
  echo "test: build-asan (clang, AddressSanitizer, UBSan)"
  (cd build-asan && ctest --output-on-failure -j"$(nproc)" "$@")
  # talcheck checks in threads: its corpus (each file with -j 4) under ThreadSanitizer
  cmake -S . -B build-tsan -DTAL_TSAN=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-tsan -j"$(nproc)" --target talas tallink talcheck_tool gen_check >/dev/null
  echo "test: build-tsan (ThreadSanitizer, the verifier's corpus)"
  (cd build-tsan && ctest --output-on-failure -j"$(nproc)" -R '^check\.(ok|bad|example|jobs|stats)' "$@")
  # the fuzz targets build, and each runs its seeds once without a crash
  # (not with a ctest filter: that is for the suite above)
  if [ $# -eq 0 ]; then
    echo "test: build-fuzz (every fuzz target over its seeds, once)"
    mkdir -p build-fuzz
    for t in asm check load link; do
      log=build-fuzz/seeds-$t.log
      tests/fuzz/run.sh "$t" 0 >"$log" 2>&1 || { tail -n 40 "$log"; echo "test: fuzz target $t failed on its seeds"; exit 1; }
      grep -E '^Done [0-9]+ runs' "$log" | sed "s/^/  $t: /"
      # the signed seeds load: the key the run made is trusted, and the load path past the signature is fuzzed
      if [ "$t" = load ] && ! grep -qE '^fuzz_load: [1-9][0-9]* of' "$log"; then echo "test: no signed seed loads in fuzz_load"; exit 1; fi
    done
  fi
fi
