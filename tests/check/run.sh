#!/usr/bin/env bash
# run.sh MODE TALAS TALCHECK FILE WORKDIR
#   ok:  the program assembles and talcheck verifies it, silently.
#   bad: the program assembles and talcheck rejects it (exit 1) with a
#        file:line:col diagnostic naming the rule of its "# expect: RULE"
#        line, in text and in --json alike; at LINE:COL when an
#        "# expect-at: LINE:COL" line says so; saying the words of an
#        "# expect-text: WORDS" line when there is one.
#   A "# profile: kernel" line checks with that profile.
#   Checked in 4 threads (-j 4), the answer and the messages are the same.
set -u
# In a sanitizer build a report must not pass for a rejection (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
mode=$1 talas=$2 talcheck=$3 file=$4 work=$5
runtime=$(cd "$(dirname "$0")/../../runtime" && pwd)   # the host interface, for .include "tal_host.tali"
name=$(basename "$file" .tal)
mkdir -p "$work"
tmp=$(mktemp -d "$work/$name.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $name: $*"; exit 1; }
cd "$(dirname "$file")"
src=$(basename "$file")
"$talas" -I "$runtime" -o "$tmp/$name.o" "$src" 2>"$tmp/as.err" || { cat "$tmp/as.err"; fail "does not assemble"; }
profile=$(sed -n 's/^# profile: //p' "$src" | head -1)
timeout 60 "$talcheck" -j 1 --profile "${profile:-user}" -fdiagnostics-color=never "$tmp/$name.o" >"$tmp/out" 2>"$tmp/err"
rc=$?
# In threads (the blocks cut in up to 4 parts at labels): the same answer, the same words.
timeout 60 "$talcheck" -j 4 --profile "${profile:-user}" -fdiagnostics-color=never "$tmp/$name.o" >"$tmp/out4" 2>"$tmp/err4"
rc4=$?
[ $rc4 -eq $rc ] || { cat "$tmp/err4"; fail "exit $rc4 with -j 4, $rc with -j 1"; }
cmp -s "$tmp/err" "$tmp/err4" || { diff "$tmp/err" "$tmp/err4"; fail "-j 4 reports otherwise than -j 1"; }
case $mode in
ok)
  [ $rc -eq 0 ] || { cat "$tmp/err"; fail "rejected (exit $rc)"; }
  [ -s "$tmp/err" ] && { cat "$tmp/err"; fail "diagnostics for a verified program"; }
  ;;
bad)
  rule=$(sed -n 's/^# expect: //p' "$src" | head -1)
  [ -n "$rule" ] || fail "no '# expect: RULE' line"
  [ $rc -eq 1 ] || { cat "$tmp/err"; fail "exit $rc, expected 1"; }
  grep -qE "^$src:[0-9]+:[0-9]+: error: \[$rule\]" "$tmp/err" || { cat "$tmp/err"; fail "no $src:line:col diagnostic for rule $rule"; }
  at=$(sed -n 's/^# expect-at: \([0-9]*:[0-9]*\).*/\1/p' "$src" | head -1)
  [ -z "$at" ] || grep -qE "^$src:$at: error: \[$rule\]" "$tmp/err" || { cat "$tmp/err"; fail "the [$rule] diagnostic is not at $src:$at"; }
  # a label's variables are checked as slots, printed in the label's own names, never by number
  grep -qE '\$[0-9]' "$tmp/err" && { cat "$tmp/err"; fail "a diagnostic names a variable by its slot number"; }
  text=$(sed -n 's/^# expect-text: //p' "$src" | head -1)
  [ -z "$text" ] || grep -qF -- "$text" "$tmp/err" || { cat "$tmp/err"; fail "no diagnostic says: $text"; }
  "$talcheck" --profile "${profile:-user}" --json -fdiagnostics-color=never "$tmp/$name.o" 2>/dev/null | grep -q "\"rule\": \"$rule\"" || fail "--json does not name rule $rule"
  ;;
esac
echo "ok: $name ($mode)"
