#!/usr/bin/env bash
# golden.sh MODE TALAS TALDUMP FILE WORKDIR
#   err: talas must exit 1, print exactly FILE's .expect (no colour), and
#        leave no object behind.
#   ok:  talas must exit 0 and print nothing; readelf and objdump must read
#        the object without a word on stderr; if FILE's .dump exists, the
#        types taldump reads back must equal it (the type sections' round trip).
# With UPDATE=1, expectations are rewritten from the current output.
set -u
mode=$1 talas=$2 taldump=$3 file=$4 work=$5
runtime=$(cd "$(dirname "$0")/../../runtime" && pwd)   # the host interface, for .include "tal_host.tali"
dir=$(dirname "$file") name=$(basename "$file" .tal)
mkdir -p "$work"
tmp=$(mktemp -d "$work/$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
obj="$tmp/$name.o"
cd "$dir/.."
rel="$(basename "$dir")/$name.tal"
fail() { echo "FAIL: $rel: $*"; exit 1; }

"$talas" -fdiagnostics-color=never -I "$(basename "$dir")" -I "$runtime" -o "$obj" "$rel" >"$tmp/out" 2>"$tmp/err"
rc=$?
case $mode in
err)
  [ $rc -eq 1 ] || fail "exit status $rc, expected 1"
  [ -e "$obj" ] && fail "an object was written although assembly failed"
  ls -A "$tmp" | grep -q '^\.' && fail "a temporary file was left behind"
  expect="$dir/$name.expect"
  if [ "${UPDATE:-}" = 1 ]; then cp "$tmp/err" "$expect"; fi
  diff -u "$expect" "$tmp/err" || fail "diagnostics differ from $expect"
  ;;
ok)
  [ $rc -eq 0 ] || { cat "$tmp/err"; fail "exit status $rc, expected 0"; }
  [ -s "$tmp/err" ] && { cat "$tmp/err"; fail "unexpected diagnostics"; }
  readelf -a -W "$obj" >/dev/null 2>"$tmp/readelf" || fail "readelf failed"
  [ -s "$tmp/readelf" ] && { cat "$tmp/readelf"; fail "readelf complained"; }
  objdump -d -r "$obj" >/dev/null 2>"$tmp/objdump" || fail "objdump failed"
  [ -s "$tmp/objdump" ] && { cat "$tmp/objdump"; fail "objdump complained"; }
  dump="$dir/$name.dump"
  "$taldump" "$obj" >"$tmp/dump" 2>&1 || { cat "$tmp/dump"; fail "taldump could not read the type sections"; }
  if [ "${UPDATE:-}" = 1 ]; then cp "$tmp/dump" "$dump"; fi
  if [ -f "$dump" ]; then diff -u "$dump" "$tmp/dump" || fail "types read back differ from $dump"; fi
  # printing is parsing's inverse: the printed typedefs and imports assemble
  # to the same types again
  grep -E '^\.(typedef|import) ' "$tmp/dump" > "$tmp/again.tal"
  "$talas" -o "$tmp/again.o" "$tmp/again.tal" 2>"$tmp/again.err" || { cat "$tmp/again.err"; fail "printed types do not assemble"; }
  "$taldump" "$tmp/again.o" | grep -E '^\.(typedef|import) ' > "$tmp/again.dump"
  diff -u "$tmp/again.tal" "$tmp/again.dump" || fail "printed types change when assembled again"
  ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
echo "ok: $rel"
