#!/usr/bin/env bash
# cli.sh TALAS SRCDIR WORKDIR - the command line: options, exit statuses,
# default names, dependency files, atomic output, colour.
set -u
talas=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work/inc" "$work/sub"; cd "$work"
failures=0 passed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS DESCRIPTION command...
expect() {
  local want=$1 what=$2; shift 2
  "$@" >out 2>err; local rc=$?
  if [ $rc -eq "$want" ]; then ok; else bad "$what: exit $rc, expected $want"; cat err; fi
}

printf '.intel_syntax noprefix\n.include "defs.tal"\nf:\n    mov eax, N\n    ret\n' > prog.tal
printf '.equ N, 42\n' > inc/defs.tal
printf '    bogus\n' > broken.tal

expect 0 "--help" "$talas" --help
grep -q '^Usage: talas' out || bad "--help prints no usage"
expect 0 "--version" "$talas" --version
grep -q '^talas (tal) ' out || bad "--version prints no version"
expect 2 "no input" "$talas"
grep -q "no input file" err || bad "no message for a missing input"
expect 2 "unknown option" "$talas" --frobnicate prog.tal
expect 2 "two inputs" "$talas" prog.tal broken.tal
expect 2 "missing file" "$talas" -o x.o does-not-exist.tal
grep -q "cannot open 'does-not-exist.tal'" err || bad "no message for a missing file"
expect 2 "directory as input" "$talas" -o x.o inc
# a FIFO or a device is refused at once: not waited on (a FIFO without a
# writer), not read without end (/dev/zero); on the command line or included
mkfifo fifo.tal
expect 2 "a FIFO as input" timeout 10 "$talas" -o x.o fifo.tal
grep -q "^talas: fatal error: cannot read 'fifo.tal': not a regular file$" err || bad "no message for a FIFO as input"
expect 2 "a device as input" timeout 10 "$talas" -o x.o /dev/zero
grep -q "cannot read '/dev/zero': not a regular file" err || bad "no message for a device as input"
printf '.include "fifo.tal"\n' > inc_fifo.tal
expect 1 "a FIFO included" timeout 10 "$talas" -o x.o inc_fifo.tal
grep -q "^inc_fifo.tal:1:1: error: cannot read 'fifo.tal': not a regular file$" err || bad "no message for a FIFO included"
printf '.interface "/dev/zero"\n' > inc_zero.tal
expect 1 "a device included" timeout 10 "$talas" -o x.o inc_zero.tal
grep -q "^inc_zero.tal:1:1: error: cannot read '/dev/zero': not a regular file$" err || bad "no message for a device included"
expect 1 "include not found without -I" "$talas" -o x.o prog.tal
expect 0 "include found with -I" "$talas" -I inc -o x.o prog.tal
objdump -d x.o | grep -q 'mov    \$0x2a,%eax' || bad "the .equ from the include was not used"

# default object name: the input's base name with .o, in the current directory
(cd sub && "$talas" -I ../inc ../prog.tal) && [ -f sub/prog.o ] && ok || bad "default output name"

# dependency files
expect 0 "-MD" "$talas" -I inc -MD -o dep.o prog.tal
[ -f dep.d ] && grep -q '^dep.o: prog.tal inc/defs.tal$' dep.d && grep -q '^inc/defs.tal:$' dep.d && ok \
  || { bad "-MD dependency file"; cat dep.d; }
expect 0 "-MD beside the object" "$talas" -I inc -MD -o sub/dep.o prog.tal
[ -f sub/dep.d ] && ok || bad "-MD with -o dir/x.o should write dir/x.d"
expect 0 "-MF -MT" "$talas" -I inc -MF custom.d -MT target.o -o dep.o prog.tal
grep -q '^target.o: prog.tal inc/defs.tal$' custom.d && ok || bad "-MF/-MT dependency file"

# a failed run leaves an existing output untouched and no temporaries
echo "precious" > keep.o
expect 1 "errors in the input" "$talas" -o keep.o broken.tal
[ "$(cat keep.o)" = precious ] && ok || bad "failed run overwrote the output"
ls -A | grep -q '^\.keep' && bad "temporary left behind" || ok
expect 2 "unwritable output directory" "$talas" -I inc -o no/such/dir/x.o prog.tal
grep -q "cannot create 'no/such/dir/x.o'" err || bad "no message for an unwritable output"

# a symbolic link is written through; a pipe gets the bytes copied in
"$talas" -I inc -o plain.o prog.tal
ln -s target.o link.o
expect 0 "-o through a symbolic link" "$talas" -I inc -o link.o prog.tal
[ -L link.o ] && cmp -s plain.o target.o && ok || bad "-o link.o must replace the link's target, not the link"
mkfifo pipe.o
(cat pipe.o > from-pipe.o) & reader=$!
expect 0 "-o into a pipe" "$talas" -I inc -o pipe.o prog.tal
wait $reader
[ -p pipe.o ] && cmp -s plain.o from-pipe.o && ok || bad "-o pipe must write into the pipe and leave it a pipe"
expect 2 "-o without its argument" "$talas" prog.tal -o
grep -q "needs an argument" err || bad "no message for a missing option argument"

# standard input
"$talas" -o stdin.o - < broken.tal 2>err; [ $? -eq 1 ] && grep -q '^<stdin>:1:5: error: unknown instruction' err && ok \
  || bad "errors from standard input"

# a pipe on standard input is read to its end, however slowly its writer writes
{ printf '.intel_syntax noprefix\n.include "defs.tal"\nf:\n'; sleep 1; printf '    mov eax, N\n    ret\n'; } \
  | timeout 10 "$talas" -I inc -o piped.o - 2>err; [ $? -eq 0 ] && objdump -d piped.o | grep -q 'mov    \$0x2a,%eax' && ok \
  || { bad "a pipe on standard input"; cat err; }

# colour only when asked or on a terminal
"$talas" -fdiagnostics-color=always -o x.o broken.tal 2>err; grep -q $'\033\[' err && ok || bad "no colour with =always"
"$talas" -fdiagnostics-color=never -o x.o broken.tal 2>err; grep -q $'\033' err && bad "colour with =never" || ok
"$talas" -o x.o broken.tal 2>err; grep -q $'\033' err && bad "colour when stderr is not a terminal" || ok
expect 2 "bad colour mode" "$talas" -fdiagnostics-color=sometimes prog.tal
"$talas" -fmax-errors=1 -o x.o "$src/err/unknown_mnemonic.tal" 2>err
[ "$(grep -c ': error: ' err)" -eq 1 ] && grep -q 'too many errors' err && ok || bad "-fmax-errors"

echo "cli: $passed passed, $failures failed"
[ $failures -eq 0 ]
