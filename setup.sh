#!/usr/bin/env bash
# setup.sh - install the Debian packages the project needs, then build it.
# Works as root or through sudo on a fresh Debian 12 machine; quiet when
# everything is already there.  Build type: RelWithDebInfo in build/.
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(
  build-essential cmake pkg-config   # compiler and build
  clang libclang-rt-14-dev           # the sanitizer build of the tests, and the fuzzers (libFuzzer)
  flex bison                         # the assembler's scanner and parser
  libelf-dev                         # reading and writing ELF objects
  libcmocka-dev                      # unit tests
  binutils                           # GNU as, objdump, readelf: differential tests and the demo
  libzydis-dev                       # decoder oracle for the verifier's tests
  libssl-dev                         # module signing
  hyperfine                          # benchmarks
  wabt                               # benchmarks: wasm-validate
  libpcap-dev                        # benchmarks: classic BPF (bench/host.sh)
  linux-image-amd64 linux-headers-amd64  # the kernel shim: kbuild, and the kernel its test boots
  qemu-system-x86 busybox-static cpio    # the kernel shim's test: a qemu guest with a busybox initramfs
  keyutils                           # the kernel shim: inspecting keyrings (keyctl)
  strace                             # tests: talcheck reads the module it signs once
  python3                            # tests: reading the SARIF log talcheck writes
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
echo "setup: built in $BUILD_DIR/"
