#!/usr/bin/env bash
# safety.sh BUILD_DIR SAFETY WORKDIR: what talcheck accepts runs safely.
#   The examples are linked into modules; each is changed at random 300
#   times (1 to 3 bytes of code, or of the type section), and every change
#   that still verifies is signed, loaded and run with assorted arguments:
#   none may fault or crash the host (or fail to load).  Then the test's
#   own check: code changes talcheck rejects, run confined, do fault.
#   SAFETY_MUTANTS and SAFETY_SEED change the count and the seed (a longer
#   hunt: SAFETY_MUTANTS=20000).
set -eu
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
B=$1 safety=$2 work=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
tmp=$(mktemp -d "$work/safety.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$top/runtime/talkey" -b 2048 -k "$tmp/key.pem" -c "$tmp/cert.pem" >/dev/null 2>&1
# every example but getpid (a loop of host calls, as long as its argument says)
for n in hello sum checksum search sort depth find map list bst filter stats; do
  units="$n"; [ "$n" = stats ] && units="stats vec"
  objs=()
  for u in $units; do
    "$B/talas" -I "$top/runtime" -o "$tmp/$u.o" "$top/examples/$u.tal"
    objs+=("$tmp/$u.o")
  done
  "$B/tallink" -I "$top/runtime" -o "$tmp/$n.tlm" "${objs[@]}"
done
mods=("$tmp"/*.tlm)
"$safety" -n "${SAFETY_MUTANTS:-300}" -s "${SAFETY_SEED:-1}" "$tmp/key.pem" "$tmp/cert.pem" "$work" "${mods[@]}" ||
  { echo "FAIL: safety: a changed module verified and then faulted or crashed (above; saved in $work)"; exit 1; }
"$safety" -u -n 100 -s "${SAFETY_SEED:-1}" "$tmp/key.pem" "$tmp/cert.pem" "$tmp" "${mods[@]}" ||
  { echo "FAIL: safety: changed modules run unverified never faulted: the test cannot see a fault"; exit 1; }
echo "ok: safety"
