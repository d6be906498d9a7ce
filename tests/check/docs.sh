#!/usr/bin/env bash
# docs.sh TALAS TALCHECK RUNTIME WORKDIR DOC...
# The examples of the documentation say what talcheck prints: each ```tal
# block followed by a ```text block that starts
#   $ talas NAME.tal && talcheck NAME.o
# is assembled and checked as NAME.tal, and what talcheck prints must be
# the rest of that block, word for word.
set -u
talas=$1 talcheck=$2 runtime=$3 work=$4
shift 4
mkdir -p "$work"
tmp=$(mktemp -d "$work/docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0 n=0
for doc in "$@"; do
  d=$tmp/$(basename "$doc" .md)
  mkdir -p "$d"
  # NAME.tal and NAME.want for each pair; the names, one per line, in d/list
  awk -v dir="$d" '
    /^```tal$/ { intal = 1; body = ""; next }
    intal && /^```$/ { intal = 0; last = body; ended = NR; next }
    intal { body = body $0 "\n"; next }
    /^```text$/ { text = NR; next }
    text == NR - 1 && match($0, /^\$ talas [A-Za-z0-9_]+\.tal && talcheck [A-Za-z0-9_]+\.o$/) {
      name = $3; sub(/\.tal$/, "", name)
      if (ended == NR - 3 && $6 == name ".o") {
        printf "%s", last > (dir "/" name ".tal"); close(dir "/" name ".tal")
        want = dir "/" name ".want"; printf "" > want; inwant = 1
        print name >> (dir "/list")
      }
      next
    }
    inwant && /^```$/ { inwant = 0; close(want); next }
    inwant { print > want }
  ' "$doc"
  [ -s "$d/list" ] || { echo "FAIL: $doc: no examples found"; failures=$((failures + 1)); continue; }
  while read -r name; do
    n=$((n + 1))
    (cd "$d" && "$talas" -I "$runtime" -o "$name.o" "$name.tal") >"$d/$name.as" 2>&1 \
      || { cat "$d/$name.as"; echo "FAIL: $doc: $name.tal does not assemble"; failures=$((failures + 1)); continue; }
    (cd "$d" && "$talcheck" -fdiagnostics-color=never "$name.o") >"$d/$name.got" 2>&1
    if ! cmp -s "$d/$name.want" "$d/$name.got"; then
      diff "$d/$name.want" "$d/$name.got"
      echo "FAIL: $doc: the output of $name.tal is not what the documentation shows"
      failures=$((failures + 1))
    fi
  done <"$d/list"
done
echo "docs: $n examples, $failures failing"
[ $failures -eq 0 ]
