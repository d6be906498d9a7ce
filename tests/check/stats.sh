#!/usr/bin/env bash
# stats.sh TALAS TALCHECK GEN_CHECK WORKDIR
#   talcheck --stats says, for each file, how many instructions and blocks
#   it checked, in how many threads, and how long each phase took.  On a
#   generated program the counts are the generator's (every instruction
#   is reached; every .label starts a block), the same with -j 1 and
#   -j 2; the threads are 1 and 2; the phases add up to no more than the
#   total.  A rejected file is checked twice (to report) and says so; a
#   file that is not an object gets no stats; without --stats, none.
set -u
talas=$1 talcheck=$2 gen=$3 work=$4
mkdir -p "$work"
tmp=$(mktemp -d "$work/stats.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: stats: $*"; exit 1; }
cd "$tmp"
"$gen" tal 3000 5 >p.tal 2>gen.err || fail "gen_check failed"
read -r insns < <(awk '/^functions [0-9]+ instructions [0-9]+$/ { print $4 }' gen.err)
blocks=$(grep -c '^\.label' p.tal)
[ -n "$insns" ] && [ "$blocks" -gt 1 ] || fail "cannot count the generated program"
"$talas" -o p.o p.tal || fail "does not assemble"
hex=$(objdump -h p.o | awk '$2 == ".text" { print $3 }')
[ -n "$hex" ] || fail "no .text in p.o"
code=$((16#$hex))

# counts: "FILE: stats: I instructions, B blocks, C bytes of code, T thread(s)[; ...]"
# times:  "FILE: stats: TOTAL ms (R M instructions/s): reading a, type sections b, before the blocks c, blocks d, after the blocks e"
for j in 1 2; do
  "$talcheck" --stats -j $j p.o 2>err.$j || { cat err.$j; fail "-j $j: rejected"; }
  [ "$(wc -l <err.$j)" -eq 2 ] || { cat err.$j; fail "-j $j: not two lines of stats"; }
  want="p.o: stats: $insns instructions, $blocks blocks, $code bytes of code, $j thread$([ $j -gt 1 ] && echo s)"
  [ "$(head -1 err.$j)" = "$want" ] || { cat err.$j; fail "-j $j: counts: expected '$want'"; }
  times=$(sed -n '2s/^p\.o: stats: \([0-9.]*\) ms ([0-9.]* M instructions\/s): reading \([0-9.]*\), type sections \([0-9.]*\), before the blocks \([0-9.]*\), blocks \([0-9.]*\), after the blocks \([0-9.]*\)$/\1 \2 \3 \4 \5 \6/p' err.$j)
  [ -n "$times" ] || { cat err.$j; fail "-j $j: the times are malformed"; }
  # total, then the phases: they add up to no more than it (each is rounded to 0.01 ms)
  echo "$times" | awk '{ if ($1 <= 0 || $2 + $3 + $4 + $5 + $6 > $1 + 0.05) exit 1 }' ||
    { cat err.$j; fail "-j $j: the phases add up past the total"; }
done

# rejected: checked twice, and said so after the diagnostics
sed '0,/jae f[0-9]*\.done/s/jae /ja /' p.tal >bad.tal
"$talas" -o bad.o bad.tal || fail "bad.tal does not assemble"
"$talcheck" --stats -fdiagnostics-color=never bad.o 2>err.bad
r=$?
[ $r -eq 1 ] || { cat err.bad; fail "the off-by-one program: exit $r, expected 1"; }
grep -q "error: \[mem.bounds\]" err.bad || { cat err.bad; fail "no mem.bounds error"; }
grep -q "^bad.o: stats: [0-9]* instructions, [0-9]* blocks, $code bytes of code, 1 thread; checked twice, to report an error$" err.bad ||
  { cat err.bad; fail "a rejected file: no stats saying it was checked twice"; }

# not an object: no stats; without --stats: none
printf 'junk\n' >junk.o
"$talcheck" --stats junk.o 2>err.junk
r=$?
[ $r -eq 2 ] || { cat err.junk; fail "junk: exit $r, expected 2"; }
grep -q "stats:" err.junk && { cat err.junk; fail "junk: stats for a file not checked"; }
"$talcheck" p.o 2>err.none || fail "without --stats: rejected"
[ -s err.none ] && { cat err.none; fail "without --stats: something printed"; }
echo "ok: stats ($insns instructions, $blocks blocks)"
