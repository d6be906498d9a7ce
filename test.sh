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
fi
