#!/usr/bin/env bash
#
# bench/find.sh - the find example (examples/find.tal, a verified module
# walking a tree through the host's directory services) against the same
# walk in C with opendir/readdir, over a generated tree of about 1,400
# directories and 24,000 files.  Both run as processes (hyperfine), so the
# module's figure includes loading it: reading, checking the signature,
# mapping the image.
#
#   bench/find.sh            tools from build/ (run ./demo.sh first: it makes the modules)
#
# Environment (optional): BENCH_DIRS (1400), BENCH_FILES (24000),
#   BENCH_RUNS (10), CC (cc).
# Exit: 0 done, 1 the two disagree, 2 setup problem.
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/.." && pwd)
B=$root/build
out=$B/bench-find
dirs=${BENCH_DIRS:-1400} files=${BENCH_FILES:-24000} runs=${BENCH_RUNS:-10} cc=${CC:-cc}
die() { echo "find.sh: $*" >&2; exit 2; }
mod=$B/examples/find.signed.tlm cert=$B/keys/talcert.pem
[ -x "$B/talrun" ] || die "no talrun in $B (build first)"
[ -e "$mod" ] && [ -e "$cert" ] || die "no $mod (run ./demo.sh first)"
command -v hyperfine >/dev/null || die "hyperfine is not installed (./setup.sh installs it)"
mkdir -p "$out"
$cc -O2 -o "$out/gen_tree" "$root/bench/gen_tree.c"
$cc -O2 -o "$out/find_c" "$root/bench/find_c.c"
tree=$out/tree-$dirs-$files
[ -d "$tree" ] || "$out/gen_tree" "$tree" "$dirs" "$files"
for kind in 1 2; do
  a=$("$B/talrun" --cert "$cert" "$mod" find_count "$tree" $kind)
  b=$("$out/find_c" "$tree" $kind)
  [ "$a" = "$b" ] || { echo "find.sh: the module counts $a, C counts $b (kind $kind)" >&2; exit 1; }
done
echo "tree: $tree ($("$out/find_c" "$tree" 2) directories below the root, $("$out/find_c" "$tree" 1) files)"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/find.json" \
  -n module "$B/talrun --cert $cert $mod find_count $tree 1" \
  -n C "$out/find_c $tree 1"
python3 - "$out/find.json" <<'PY' 2>/dev/null || true
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print("module %.2f ms, C %.2f ms: the module takes %.2fx the C walk's time" % (r["module"] * 1e3, r["C"] * 1e3, r["module"] / r["C"]))
PY
