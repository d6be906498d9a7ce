#!/bin/sh
# pgo-train.sh SOURCE-DIR PGO-TREE BUILD-TREE
#
# The training run of the profile-guided build (CMakeLists.txt, TAL_PGO):
# the instrumented tools of PGO-TREE assemble, link and check a corpus of
# the project's own programs (the verifier's accepting corpus and the
# examples, then its rejecting corpus once), then the counts they wrote (a .gcda file beside each object)
# are copied to the same places in BUILD-TREE, where the optimised objects
# are compiled with them.  Checking runs in one thread, so the counts are
# the same from one build to the next.  The benchmark's generated program
# is not part of the corpus.
set -eu
src=$1 pgo=$2 out=$3
work=$pgo/train
rm -rf "$work"
find "$pgo" -name '*.gcda' -exec rm -f {} +
mkdir -p "$work"
for f in "$src"/tests/check/ok/*.tal "$src"/examples/*.tal; do
  b=$(basename "$f" .tal)
  "$pgo/talas" -I "$src/runtime" -I "$src/examples" -o "$work/$b.o" "$f" 2>/dev/null || continue
done
# examples as modules (a module takes the module rules' paths)
for m in sum checksum search sort depth map list bst filter hello; do
  [ -f "$work/$m.o" ] && "$pgo/tallink" -I "$src/runtime" -o "$work/$m.tlm" "$work/$m.o" 2>/dev/null || true
done
for round in 1 2 3 4 5 6 7 8; do
  "$pgo/talcheck" -j 1 "$work"/*.o "$work"/*.tlm >/dev/null 2>&1 || true
done
# the rejecting corpus too, once: diagnostics are part of the tool
for f in "$src"/tests/check/bad/*.tal; do
  b=$(basename "$f" .tal)
  "$pgo/talas" -I "$src/runtime" -o "$work/bad-$b.o" "$f" 2>/dev/null || continue
  "$pgo/talcheck" -j 1 "$work/bad-$b.o" >/dev/null 2>&1 || true
done
n=0
cd "$pgo"
for g in $(find . -name '*.gcda'); do
  mkdir -p "$out/$(dirname "$g")"
  cp "$g" "$out/$g"
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "pgo-train.sh: the training run wrote no profile" >&2; exit 1; }
