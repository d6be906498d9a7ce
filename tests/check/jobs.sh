#!/usr/bin/env bash
# jobs.sh TALAS TALCHECK GEN_CHECK WORKDIR TALLINK SRCDIR
#   A program large enough to be checked in threads by default: it
#   verifies with -j 1, -j 2, -j 7 and the default alike.  The same
#   program with one bounds test made off by one (jae -> ja) in a function
#   near the end is rejected with the same messages however many threads
#   check it: a part that fails has the whole checked again in one thread.
#   Both answer the same with TALCHECK_NO_WARM set (no heap warming).
#   A call below a stack check that needs too much, near the start of the
#   program (its site in the first of many runs of sites), is reported alike.
#   A count that is not 0 to 64 is a usage error.  A linked module (the
#   examples' stats and vec), verified and refused alike in 1 and 4 threads.
#   Several large files in one run (the crew of helper threads, started
#   once, checks the blocks of each): each answers as it does alone.
#   A corrupt line table is refused alike, with or without bad blocks, in
#   an object and in a module (whose line table is read last, by a helper).
#   Substitutions past the bound on rebuilt types ([type.size]), in blocks
#   spread over threads: refused alike, with one message.
set -u
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=134"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
talas=$1 talcheck=$2 gen=$3 work=$4 tallink=$5 src=$6
mkdir -p "$work"
tmp=$(mktemp -d "$work/jobs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: jobs: $*"; exit 1; }
cd "$tmp"
"$gen" tal 60000 7 >big.tal 2>gen.err || fail "gen_check failed"
"$talas" -o big.o big.tal || fail "does not assemble"
size=$(stat -c %s big.o)
for j in 1 2 7 default; do
  opt=(-j "$j"); [ "$j" = default ] && opt=()
  "$talcheck" "${opt[@]}" big.o 2>err.$j || { cat err.$j; fail "rejected with -j $j"; }
  [ -s err.$j ] && { cat err.$j; fail "diagnostics with -j $j"; }
done
# the last function whose loop tests jae: make it ja (runs one past the end)
last=$(grep -n 'jae f[0-9]*\.done' big.tal | tail -1 | cut -d: -f1)
[ -n "$last" ] || fail "no bounds test to break"
sed "${last}s/jae /ja /" big.tal >bad.tal
"$talas" -o bad.o bad.tal || fail "bad.tal does not assemble"
"$talcheck" -j 1 -fdiagnostics-color=never bad.o >out.1 2>err.1
rc=$?
[ $rc -eq 1 ] || { cat err.1; fail "the broken program: exit $rc with -j 1, expected 1"; }
grep -q "error: \[mem.bounds\]" err.1 || { cat err.1; fail "no mem.bounds error"; }
for j in 2 7 default; do
  opt=(-j "$j"); [ "$j" = default ] && opt=()
  "$talcheck" "${opt[@]}" -fdiagnostics-color=never bad.o >out.$j 2>err.$j
  r=$?
  [ $r -eq 1 ] || { cat err.$j; fail "the broken program: exit $r with -j $j"; }
  cmp -s err.1 err.$j || { diff err.1 err.$j; fail "-j $j reports otherwise than -j 1"; }
done
# the heap warmed before a large file is read (talcheck's main.c) or not: the same answers
TALCHECK_NO_WARM=1 "$talcheck" big.o 2>err.cold || { cat err.cold; fail "rejected without the warmed heap"; }
TALCHECK_NO_WARM=1 "$talcheck" -fdiagnostics-color=never bad.o >/dev/null 2>err.cold
r=$?
[ $r -eq 1 ] && cmp -s err.1 err.cold || { diff err.1 err.cold; fail "without the warmed heap: exit $r, or other messages"; }
# a stack error at a site in the first of the many runs of sites (4096 a run) of a large
# program: a call below a stack check that needs more than the check promises
{ sed -n 1,4p big.tal
  cat <<'EOF'
.typedef ctx = *{ stack_limit: limit ro }
.import trap : code {}
.label gg : code[s: stack] { rsp: ret[s] :: s } stack 8192
.label gf : code[s: stack] { rsi: ctx, rsp: ret[s] :: s }
gg:
    sub rsp, 8192
    add rsp, 8192
    xor eax, eax
    ret
gf:
    cmp rsp, qword ptr [rsi]
    jb trap
    call gg
    ret
EOF
  sed 1,4d big.tal; } >deep.tal
"$talas" -o deep.o deep.tal || fail "deep.tal does not assemble"
for j in 1 default; do
  opt=(-j "$j"); [ "$j" = default ] && opt=()
  "$talcheck" "${opt[@]}" -fdiagnostics-color=never deep.o >/dev/null 2>deep.$j
  r=$?
  [ $r -eq 1 ] && [ "$(grep -c 'error: ' deep.$j)" -eq 1 ] &&
    grep -q "error: \[stack.depth\] this needs 8200 bytes of stack where 8192 are known to be there" deep.$j ||
    { cat deep.$j; fail "the deep call in a large program, -j $j: exit $r, or not the one stack.depth error"; }
done
cmp -s deep.1 deep.default || { diff deep.1 deep.default; fail "the deep call: the default reports otherwise than -j 1"; }
# a bad count is a usage error
for j in x 65 -1; do
  "$talcheck" -j "$j" big.o >/dev/null 2>err.use
  r=$?
  [ $r -eq 2 ] && grep -q "bad -j" err.use || { cat err.use; fail "-j $j: exit $r, expected 2 and a message"; }
done
# several large files in one run: the messages of each, in order, and exit 1
"$talcheck" -fdiagnostics-color=never big.o bad.o big.o deep.o >/dev/null 2>err.many
r=$?
cat err.1 deep.1 >err.want
[ $r -eq 1 ] && cmp -s err.want err.many || { diff err.want err.many; fail "big, bad, big, deep in one run: exit $r, or other messages"; }
# a corrupt line table in a large file (checked last, beside the stack bound, by a
# helper): refused as a corrupt type section, whether or not the blocks pass; in
# an object, and in a module, read in parts with its line table last (tc_read_later)
corrupt_lines() {   # FILE: a copy with its .tal.lines' magic broken, refused with -j 1 and by default
  local f=$1 base=${1%.*} ext=${1##*.} off
  off=$(readelf -S -W "$f" | sed -n 's/^ *\[ *[0-9]*\] \.tal\.lines \{1,\}[A-Z]\{1,\} \{1,\}[0-9a-f]\{1,\} \([0-9a-f]\{1,\}\) .*/\1/p')
  [ -n "$off" ] || fail "no .tal.lines in $f"
  cp "$f" "$base-lines.$ext"
  printf 'XXXX' | dd of="$base-lines.$ext" bs=1 seek=$((16#$off)) conv=notrunc status=none
  for j in 1 default; do
    opt=(-j "$j"); [ "$j" = default ] && opt=()
    "$talcheck" "${opt[@]}" "$base-lines.$ext" >/dev/null 2>err.lines
    r=$?
    [ $r -eq 2 ] && [ "$(wc -l <err.lines)" -eq 1 ] && grep -q "$base-lines.$ext: corrupt type section: .*magic" err.lines ||
      { cat err.lines; fail "$f with a corrupt line table, -j $j: exit $r, or not the one message"; }
  done
}
for f in big bad; do
  corrupt_lines $f.o
  "$tallink" -I "$src/runtime" -o $f.tlm $f.o || fail "cannot link $f.o"
  corrupt_lines $f.tlm
done
"$talcheck" big.tlm || fail "big.tlm does not verify"
"$talcheck" -fdiagnostics-color=never bad.tlm >/dev/null 2>err.badm
[ $? -eq 1 ] && grep -q "error: \[mem.bounds\]" err.badm && grep -q "bad.tal:[0-9]*:" err.badm ||
  { cat err.badm; fail "bad.tlm: not refused, or its message has no source line"; }
# a module: the user profile verifies it, the kernel profile refuses it
"$talas" -I "$src/runtime" -o s.o "$src/examples/stats.tal" && "$talas" -I "$src/runtime" -o v.o "$src/examples/vec.tal" &&
  "$tallink" -I "$src/runtime" -o m.tlm s.o v.o || fail "cannot link the module"
for prof in user kernel; do
  "$talcheck" -j 1 --profile $prof -fdiagnostics-color=never m.tlm >/dev/null 2>m1.$prof
  r1=$?
  "$talcheck" -j 4 --profile $prof -fdiagnostics-color=never m.tlm >/dev/null 2>m4.$prof
  r4=$?
  [ $r1 -eq $r4 ] && cmp -s m1.$prof m4.$prof || { diff m1.$prof m4.$prof; fail "the module, --profile $prof: -j 4 (exit $r4) differs from -j 1 (exit $r1)"; }
done
[ "$(cat m1.user)" = "" ] || { cat m1.user; fail "the module does not verify"; }
grep -q "error: \[" m1.kernel || { cat m1.kernel; fail "the kernel profile does not refuse the module"; }
# [type.size] .pack of a record of 20000 fields, twice in each of 150 blocks: what
# the substitutions rebuild goes past the bound for a file of this size (the
# same type each time: the table does not grow); each thread's part stays
# below it, their sum does not, and the message is the same
fields() { awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "f%d: int rw, ", i }'; }
{ echo ".intel_syntax noprefix"
  echo ".typedef ret[s: stack] = code{ rax: int, rsp: s }"
  echo ".typedef E = exists[x: type]. *{ $(fields 20000)g: x ro }"
  echo ".typedef R = *{ $(fields 20000)g: S(0) ro }"
  awk -v nb=150 'BEGIN {
    for (b = 0; b < nb; b++) {
      print ".label g" b " : code[s: stack] { rdi: R, rsp: ret[s] :: s }"
      print "g" b ":"
      for (k = 0; k < 2; k++) { print "    mov rsi, rdi"; print "    .pack rsi, E, [?*[u8 ro; 1]]" }
      print (b + 1 < nb ? "    jmp g" (b + 1) : "    mov eax, 0\n    ret")
    }
  }'
} >pack.tal
# and 400 labels whose types name a typedef of 20000 fields with an argument of
# their own (arrays of 1 to 400 bytes: types that differ only in the names of
# their variables would be one type): the table of types would grow past the bound
{ echo ".intel_syntax noprefix"
  echo ".typedef ret[s: stack] = code{ rax: int, rsp: s }"
  echo ".typedef Big[x: type] = *{ $(fields 20000)g: x ro }"
  awk 'BEGIN { for (k = 0; k < 400; k++) {
    print ".label g" k " : code[s: stack] { rdi: Big[*[u8 ro; " k + 1 "]], rsp: ret[s] :: s }"
    print "g" k ":"; print "    mov rax, qword ptr [rdi + 8]"; print "    ret" } }'
} >grow.tal
"$talas" -o pack.o pack.tal && "$talas" -o grow.o grow.tal || fail "pack.tal or grow.tal does not assemble"
{ head -n 8 pack.tal; printf "    mov eax, 0\n    ret\n"; } >pack3.tal && "$talas" -o pack3.o pack3.tal || fail "pack3.tal does not assemble"
"$talcheck" pack3.o 2>err.pack3 || { cat err.pack3; fail "2 packs of a record of 20000 fields are refused"; }
for t in "pack:rebuild more than" "grow:take more than"; do
  f=${t%%:*} want=${t#*:}
  for j in 1 2 7; do
    "$talcheck" -j $j -fdiagnostics-color=never $f.o >/dev/null 2>err.$f$j
    r=$?
    [ $r -eq 1 ] && [ "$(grep -c 'error: ' err.$f$j)" -eq 1 ] && grep -q "error: \[type.size\] .* $want " err.$f$j ||
      { head -c 2000 err.$f$j; fail "$f.tal, -j $j: exit $r, or not one type.size error saying '$want'"; }
    cmp -s err.${f}1 err.$f$j || fail "$f.tal, -j $j: other messages than -j 1"
  done
done
echo "ok: jobs ($size-byte object, a module)"
