#!/usr/bin/env bash
# library.sh BUILD_DIR TEST_HOST WORKDIR: build the modules test_host loads, then run it.
set -eu
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
B=$1 test_host=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
mkdir -p "$work"
tmp=$(mktemp -d "$work/lib.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$top/runtime/talkey" -b 2048 -k "$tmp/key.pem" -c "$tmp/cert.pem" >/dev/null 2>&1
for src in "$top/examples/sum.tal" "$here/src/deep.tal" "$here/src/hog.tal" "$top/examples/hello.tal" "$here/src/race.tal"; do
  n=$(basename "$src" .tal)
  "$B/talas" -I "$top/runtime" -o "$tmp/$n.o" "$src"
  "$B/tallink" -I "$top/runtime" -o "$tmp/$n.unsigned.tlm" "$tmp/$n.o"
  "$B/talcheck" --sign "$tmp/key.pem" --cert "$tmp/cert.pem" -o "$tmp/$n.tlm" "$tmp/$n.unsigned.tlm"
done
"$test_host" "$tmp/cert.pem" "$tmp/sum.tlm" "$tmp/deep.tlm" "$tmp/hog.tlm" "$tmp/sum.unsigned.tlm" "$tmp/hello.tlm" "$tmp/race.tlm"
