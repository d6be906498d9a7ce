#!/usr/bin/env bash
# sarif.sh TALAS TALCHECK SRCDIR WORKDIR
#   talcheck --sarif FILE writes one SARIF 2.1.0 log for all its files: a
#   result for every error the text diagnostics give (same rule, message,
#   source file, line and column; object, offset, bytes, instruction and
#   state as properties), a notification for a file that is not a TAL
#   object, the rules named once each.  Rejections are results of a
#   successful run; an unreadable file makes the run unsuccessful.  With
#   nothing rejected the log has no results.  The log appears whole or not
#   at all: a log that cannot be written is an error (exit 2), with no
#   file left behind.  --json gives the same findings, line by line.
set -u
talas=$1 talcheck=$2 src=$3 work=$4
mkdir -p "$work"
tmp=$(mktemp -d "$work/sarif.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: sarif: $*"; exit 1; }
cd "$tmp"
check() { python3 "$src/tests/check/sarif_check.py" "$@" || fail "the log does not match: $*"; }

# two rejected objects (three errors between them), one accepted, one not an object
cp "$src/tests/check/bad/signed_off_by_one.tal" one.tal
cp "$src/tests/check/bad/uninit_read.tal" two.tal
cat >three.tal <<'TAL'
.intel_syntax noprefix
.text
.label f : code[s: stack] { rsp: code{ rsp: s } :: s }
.label g : code[s: stack] { rsp: code{ rsp: s } :: s }
f:
    mov rax, [rax]
    ret
g:
    add rsp, 4
    ret
TAL
for f in one two three; do "$talas" -o $f.o $f.tal || fail "$f.tal does not assemble"; done
"$talas" -I "$src/runtime" -o ok.o "$src/examples/stats.tal" || fail "stats.tal does not assemble"
printf 'not an object\n' >junk.o

"$talcheck" -fdiagnostics-color=never --sarif log.sarif one.o ok.o two.o three.o 2>err.txt
[ $? = 1 ] || fail "rejected objects: exit status is not 1"
check log.sarif err.txt --successful true --results 4 --notifications 0
"$talcheck" -fdiagnostics-color=never --sarif log.sarif --json one.o two.o three.o >json.txt 2>/dev/null
[ "$(grep -c '"rule": ' json.txt)" = 4 ] || fail "--json and --sarif together: not four JSON lines"
check log.sarif err.txt --successful true --results 4 --notifications 0

# a file that is not an object: a notification, and the run is not successful
"$talcheck" -fdiagnostics-color=always --sarif log.sarif one.o junk.o 2>err.txt
[ $? = 2 ] || fail "a file that is not an object: exit status is not 2"
check log.sarif err.txt --successful false --results 1 --notifications 1 --note-has "not an ELF file"

# nothing rejected: an empty list of results
"$talcheck" --sarif log.sarif ok.o 2>err.txt || fail "ok.o is rejected"
check log.sarif err.txt --successful true --results 0 --notifications 0

# a log that cannot be written: exit 2, a message, nothing left behind
mkdir ro
"$talcheck" --sarif ro/missing/log.sarif ok.o 2>err.txt
[ $? = 2 ] || fail "an unwritable log: exit status is not 2"
grep -q "cannot write 'ro/missing/log.sarif'" err.txt || fail "an unwritable log: no message"
[ -z "$(ls -A ro)" ] || fail "an unwritable log left files behind"
"$talcheck" --sarif 2>/dev/null; [ $? = 2 ] || fail "--sarif without a file is not a usage error"
echo "sarif: ok"
