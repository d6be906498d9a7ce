#!/usr/bin/env bash
# test.sh - set up, build, and run the whole test suite through ctest.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
