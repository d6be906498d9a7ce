#!/usr/bin/env bash
# robust.sh TALAS WORKDIR - hostile input gets a clear error, never a crash,
# a hang or a half-written object.  Inputs are generated deterministically.
set -u
# In a sanitizer build a report must not pass for a rejection (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
talas=$1 work=$2
rm -rf "$work"; mkdir -p "$work"; cd "$work"
RANDOM=42
failures=0 passed=0

# check NAME EXPECTED-STATUS FILE [PATTERN]: run talas with a time limit.
check() {
  local name=$1 want=$2 file=$3 pat=${4:-}
  rm -f out.o .out.o.*
  timeout 20 "$talas" -fdiagnostics-color=never -o out.o "$file" >stdout 2>stderr
  local rc=$?
  local why=""
  if [ $rc -eq 124 ]; then why="timed out"
  elif [ $rc -ge 128 ]; then why="killed by signal $((rc - 128))"
  elif [ $rc -ne "$want" ]; then why="exit status $rc, expected $want"
  elif [ "$want" -ne 0 ] && [ -e out.o ]; then why="object written despite errors"
  elif ls -A | grep -q '^\.out\.o\.'; then why="temporary file left behind"
  elif [ -n "$pat" ] && ! grep -q -- "$pat" stderr; then why="no diagnostic matching '$pat'"
  elif [ "$want" -ne 0 ] && ! grep -qE '^[^:]+:[0-9]+:[0-9]+: error: |^talas: ' stderr; then why="no file:line:col diagnostic"
  fi
  if [ -n "$why" ]; then
    echo "FAIL: $name: $why"; head -c 2000 stderr; failures=$((failures + 1))
  else
    passed=$((passed + 1))
  fi
}

repeat() { local s=$1 n=$2 out=""; while [ ${#out} -lt "$n" ]; do out="$out$s$out"; done; printf '%s' "${out:0:$n}"; }

# 64 KiB of random bytes, NULs included
: > junk.tal
for ((i = 0; i < 2048; i++)); do
  printf "$(printf '\\%03o' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)) \
    $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))" >> junk.tal
done
for ((k = 0; k < 3; k++)); do cat junk.tal junk.tal > junk2.tal; mv junk2.tal junk.tal; done
check "binary junk" 1 junk.tal

# a 1 MB line of one word, and of one identifier operand
repeat a 1048576 > longword.tal; echo >> longword.tal
check "1 MB word" 1 longword.tal "unknown instruction"
{ printf 'jmp '; repeat b 1048576; echo; } > longlabel.tal
check "1 MB label" 1 longlabel.tal "undefined label"
# a 1 MB line of valid statements separated by ';'
{ repeat 'add rax, 1; ' 1048572; echo 'nop'; } > longline.tal
check "1 MB line of statements" 0 longline.tal

# deep nesting: expressions, memory operands, annotations
{ printf 'mov rax, '; repeat '(' 100000; echo 1; } > parens.tal
check "100k parentheses" 1 parens.tal "nested too deeply"
{ printf '.typedef t = '; repeat '[' 100000; echo; } > brackets.tal
check "100k brackets in a type" 1 brackets.tal "nested too deeply"
{ printf '.typedef t = '; for ((i = 0; i < 120; i++)); do printf '*{a: '; done; printf 'int'; repeat '}' 120; echo; } > deeptype.tal
check "type nested 120 deep (accepted)" 0 deeptype.tal
{ printf '.typedef t = '; repeat '?*' 200000; echo 'int'; } > ptrchain.tal
check "200k pointer prefixes" 1 ptrchain.tal "nested too deeply"

# NUL bytes and CR LF line ends
printf 'nop\0nop\n' > nul.tal
check "NUL byte" 1 nul.tal "stray"
printf '.intel_syntax noprefix\r\nf:\r\n    ret\r\n' > crlf.tal
check "CR LF line ends" 0 crlf.tal
printf 'f: ret' > noeol.tal
check "no newline at end of file" 0 noeol.tal

# unterminated things at end of file
printf '.label f : code {\n' > unterm_annot.tal
check "unterminated annotation" 1 unterm_annot.tal "unterminated annotation"
printf 'nop\n/*\n' > unterm_comment.tal
check "unterminated comment" 1 unterm_comment.tal "unterminated comment"
printf '.data\n.ascii "abc\n' > unterm_string.tal
check "unterminated string" 1 unterm_string.tal "missing terminating"

# very many errors stop at the limit
for ((i = 0; i < 10000; i++)); do echo "bogus $i"; done > many.tal
check "10000 errors" 1 many.tal "too many errors"
[ "$(grep -c ': error: ' stderr)" -le 50 ] || { echo "FAIL: error limit not applied"; failures=$((failures + 1)); }

# an include cycle, huge sizes, many labels
echo '.include "self.tal"' > self.tal
check "include cycle" 1 self.tal "nested too deeply"
printf '.data\n.zero 0x7fffffff\n' > hugezero.tal
check "huge .zero" 1 hugezero.tal "out of range"
printf '.data\n.zero 0x4000000\n.zero 0x4000000\n.zero 0x4000000\n.zero 0x4000000\n.zero 1\n' > bigdata.tal
check "section over the limit" 1 bigdata.tal "larger than"
for ((i = 0; i < 20000; i++)); do echo "l$i: jmp l$(( (i * 7919) % 20000 ))"; done > labels.tal
check "20000 labels, jumps everywhere" 0 labels.tal

echo "robust: $passed passed, $failures failed"
[ $failures -eq 0 ]
