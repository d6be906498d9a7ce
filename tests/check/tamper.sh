#!/usr/bin/env bash
# tamper.sh TALAS TALCHECK EXAMPLES WORKDIR REBIND - the verifier trusts no byte.
#  1. Every byte of .text of each example (and of .tal.types of sum),
#     replaced by two values in turn: talcheck always answers 0, 1 or 2 in time, never
#     crashes; and the edits that matter are caught (see 2).
#  2. Specific edits to sum.o must be rejected: the loop's bound check
#     turned into nops, a syscall written over an instruction, a jump
#     edited to land inside an instruction, and a type section that lies.
set -u
# In a sanitizer build a report must not pass for a rejection (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
talas=$1 talcheck=$2 examples=$3 work=$4 rebind=$5
runtime=$(cd "$(dirname "$0")/../../runtime" && pwd)   # the host interface, for .include "tal_host.tali"
rm -rf "$work"; mkdir -p "$work"; cd "$work"
failures=0 runs=0 rejected=0

# section_range OBJ NAME -> "offset size" of a section in the file
hexrange() { readelf -S -W "$1" | sed -n "s/^ *\[ *[0-9]*\] $2 \{1,\}[A-Z_]\{1,\} \{1,\}[0-9a-f]\{1,\} \([0-9a-f]\{1,\}\) \([0-9a-f]\{1,\}\).*/\1 \2/p"; }

poke() { printf "$(printf '\\%03o' "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

for src in "$examples"/*.tal; do
  name=$(basename "$src" .tal)
  "$talas" -I "$runtime" -o "$name.o" "$src" || { echo "FAIL: $name does not assemble"; failures=$((failures + 1)); continue; }
  "$talcheck" "$name.o" 2>/dev/null || { echo "FAIL: $name does not verify"; failures=$((failures + 1)); continue; }
  sects=.text
  [ "$name" = sum ] && sects=".text .tal.types"
  for sect in $sects; do
    read -r off size < <(hexrange "$name.o" "$sect")
    off=$((16#$off)) size=$((16#$size))
    for ((i = 0; i < size; i++)); do
      for v in 0xcc 0x0f; do
        cp "$name.o" t.o
        poke t.o $((off + i)) $((v))
        cmp -s t.o "$name.o" && continue
        timeout 10 "$talcheck" t.o >/dev/null 2>&1
        rc=$?
        runs=$((runs + 1))
        [ $rc -eq 1 ] && rejected=$((rejected + 1))
        if [ $rc -ne 0 ] && [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
          echo "FAIL: $name: byte $sect+$i := $v: exit $rc"; failures=$((failures + 1))
          cp t.o "crash-$name-$i.o"
        fi
      done
    done
  done
done

# The bound check of sum's loop (cmp rcx, rsi; jae done) becomes nops.
"$talas" -o sum.o "$examples/sum.tal"
read -r off _ < <(hexrange sum.o .text)
off=$((16#$off))
cp sum.o nocheck.o
for i in 4 5 6 7 8; do poke nocheck.o $((off + i)) 0x90; done
"$talcheck" -fdiagnostics-color=never nocheck.o 2>err; rc=$?
if [ $rc -eq 1 ] && grep -q '\[mem.bounds\]' err; then :; else echo "FAIL: sum without its bound check: exit $rc"; cat err; failures=$((failures + 1)); fi
# A syscall over the first instruction (xor eax, eax).
cp sum.o syscall.o
poke syscall.o $off 0x0f; poke syscall.o $((off + 1)) 0x05
"$talcheck" -fdiagnostics-color=never syscall.o 2>err; rc=$?
if [ $rc -eq 1 ] && grep -q '\[decode\].*syscall' err; then :; else echo "FAIL: syscall in sum: exit $rc"; cat err; failures=$((failures + 1)); fi

# The loop's back edge (jmp sum.loop, eb f2 at .text+0x10) edited to land
# inside the cmp before it.
cp sum.o midjump.o
poke midjump.o $((off + 0x11)) 0xf3
"$talcheck" -fdiagnostics-color=never midjump.o 2>err; rc=$?
if [ $rc -eq 1 ] && grep -q '\[jump.target\].*inside an instruction' err; then :; else echo "FAIL: jump into an instruction: exit $rc"; cat err; failures=$((failures + 1)); fi
# The type section replaced by one that lies: the length register is a
# plain int, so the loop's compare proves nothing about the array.
sed 's/rsi: S(n)/rsi: int/g' "$examples/sum.tal" > lie.tal
"$talas" -o lie.o lie.tal && objcopy --dump-section .tal.types=lie.types lie.o
cp sum.o lied.o
objcopy --update-section .tal.types=lie.types lied.o
"$talcheck" -fdiagnostics-color=never lied.o 2>err; rc=$?
if [ $rc -eq 1 ] && grep -q '\[mem.bounds\]' err; then :; else echo "FAIL: lying type section: exit $rc"; cat err; failures=$((failures + 1)); fi

# A binder spelled like a name the checker makes up: a compare gives rax
# the type S(v) for a new variable v ("rax#N"), which must not be the
# binder rax#1 that a hostile section declares (with rax#1 < n), or
# the unchecked index would pass.  The assembler cannot spell the name, so
# the string rax_1 of the section is edited.
cat > fresh.tal <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.text
.label f : code[s: stack, n: size, rax_1: size | rax_1 < n] { rdi: *[u64 ro; n], rsi: S(n), rax: int, rsp: ret[s] :: s }
f:
    cmp rax, rsi
    mov rcx, qword ptr [rdi + rax*8]
    ret
EOT
"$talas" -o fresh.o fresh.tal && objcopy --dump-section .tal.types=fresh.types fresh.o
if [ "$(grep -c 'rax_1' fresh.types)" = 1 ]; then
  sed 's/rax_1/rax#1/' fresh.types > fresh2.types
  objcopy --update-section .tal.types=fresh2.types fresh.o fresh2.o
  "$talcheck" -fdiagnostics-color=never fresh2.o 2>err; rc=$?
  if [ $rc -eq 1 ] && grep -q "\[mem.bounds\].*rax#1'" err; then :; else echo "FAIL: binder named like a fresh variable: exit $rc"; cat err; failures=$((failures + 1)); fi
else
  echo "FAIL: fresh.types does not hold the string rax_1 once"; failures=$((failures + 1))
fi

# rebound NAME RULE MESSAGE REBIND-ARGS..., the program on stdin: assembled,
# its type section rewritten by rebind, and rejected under RULE with MESSAGE.
rebound() {
  local name=$1 rule=$2 msg=$3; shift 3
  cat > "$name.tal"
  "$talas" -o "$name.o" "$name.tal" && objcopy --dump-section .tal.types="$name.types" "$name.o" &&
  "$rebind" "$name.types" "$name.2.types" "$@" && objcopy --update-section .tal.types="$name.2.types" "$name.o" "$name.2.o" ||
    { echo "FAIL: $name: cannot rewrite the section"; failures=$((failures + 1)); return; }
  "$talcheck" -fdiagnostics-color=never "$name.2.o" 2>err; rc=$?
  if [ $rc -eq 1 ] && grep -q "\[$rule\] $msg" err; then :; else echo "FAIL: $name: exit $rc"; cat err; failures=$((failures + 1)); fi
}

# A typedef whose body uses a variable it does not bind.  Its name would
# hide n from the unknowns of a jump: a's rdx (code over a's n) would reach
# b, where t[1] reads as code over b's n, and be called with b's array of
# length 1.  talas binds every variable it writes, so the parameter n of t
# (the only binder "n: type") is renamed s in the section.
rebound open typedef.closed "the body of 't' uses 'n'" n s 1 <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.typedef t[n: type] = code[s: stack]{ rdi: *[u64 ro; n], rsp: ret[s] :: s }
.text
.label a : code[s: stack, n: size] { rdx: t[1], rbx: *[u64 ro; 1], rsp: ret[s] :: s }
a:
    mov rdi, rbx
    jmp b
.label b : code[s: stack, n: size] { rdx: t[1], rdi: *[u64 ro; n], rsp: ret[s] :: s }
b:
    jmp rdx
EOT

# A label type with a variable that no binder binds: its binder a is
# renamed f (a string the section holds), so rdi's type a is free.  It
# would be a parameter no jump or call ever gives (talas binds every
# variable it writes), and it is refused before any instruction.
rebound free type.bad "in the type of 'f', 'a' is bound nowhere" a f 1 <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.text
.label f : code[s: stack, a: type] { rdi: a, rsp: ret[s] :: s }
f:
    mov rax, rdi
    xor eax, eax
    ret
EOT

# A record that names one field twice, as talas refuses to write: equal
# fields are one node in the table of types, and must still be tracked
# by position.  Writing field 0 once cleared `uninit` on both, and field
# 1, never written, was read (a signed module so read 0 as a pointer and
# stepped out of bounds with it).  The y field of each is renamed x.
# dupu: field 1 is read before it is written; dupi: each is written, then
# both are read.
cat > dupu.tal <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.label f : code[s: stack] { rdi: *{ x: int rw uninit, y: int rw uninit }, rsp: ret[s] :: s }
f:
    mov qword ptr [rdi], 1
    mov rax, qword ptr [rdi + 8]
    ret
EOT
cat > dupi.tal <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.label f : code[s: stack] { rdi: *{ x: int rw uninit, y: int rw uninit }, rsp: ret[s] :: s }
f:
    mov qword ptr [rdi + 8], 2
    mov qword ptr [rdi], 1
    mov rax, qword ptr [rdi + 8]
    add rax, qword ptr [rdi]
    ret
EOT
for d in dupu dupi; do
  if "$talas" -o $d.o $d.tal && objcopy --dump-section .tal.types=$d.types $d.o && "$rebind" $d.types $d.2.types --rename-field y x &&
     objcopy --update-section .tal.types=$d.2.types $d.o $d.2.o && "$(dirname "$talas")/taldump" $d.2.o 2>/dev/null | grep -qF '{x: int rw uninit, x: int rw uninit}'; then
    "$talcheck" -fdiagnostics-color=never $d.2.o 2>err; rc=$?
    if [ $d = dupu ]; then
      if [ $rc -eq 1 ] && grep -q "\[mem.uninit\] field 'x' is read before it is written" err; then :; else echo "FAIL: a field named twice, read unwritten: exit $rc"; cat err; failures=$((failures + 1)); fi
    elif [ $rc -ne 0 ]; then echo "FAIL: a field named twice, each written: exit $rc"; cat err; failures=$((failures + 1)); fi
  else
    echo "FAIL: cannot make $d's record name x twice"; failures=$((failures + 1))
  fi
done

# A typedef whose list holds two parts after its parameters (an int put
# before ret's body): the checks of declarations looked at the first,
# every use at the last, so the body went unchecked for sorts and names.
rebound sum_extra type.bad "the .typedef of 'ret' has 2 parts after its parameters" --typedef-extra < "$examples/sum.tal"

# Coercions listed last instruction first (talas lists them in order; those
# at one instruction keep theirs): each still applies where it is, so the
# list example verifies as before.
if objcopy --dump-section .tal.types=list.types list.o && "$rebind" list.types list.back.types --backwards &&
   ! cmp -s list.types list.back.types && objcopy --update-section .tal.types=list.back.types list.o list.back.o; then
  "$talcheck" -fdiagnostics-color=never list.back.o 2>err || { echo "FAIL: list with its coercions backwards is rejected"; cat err; failures=$((failures + 1)); }
else
  echo "FAIL: cannot list the coercions of list backwards"; failures=$((failures + 1))
fi

# A type binding one name twice, which talas refuses to write: the second
# binder is renamed in the section (to a node the section does not hold
# already: sections hold each node once).  In a label type, a jump would solve n
# once, as a stack variable never checked to be a size, while the block
# assumes the size below 2^48; in a package, which witness would a be?
rebound binder_twice label.type "the type of 'f' binds 'n' twice" q n 2 <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.label f : code[s: stack, q: stack, n: size] { rsi: S(n), rsp: ret[s] :: s }
f:
    mov rax, rsi
    ret
EOT
rebound pack_binder_twice type.bad "in the type of 'pkg', one list of binders binds 'a' twice" b a 3 <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.typedef pkg = exists[a: type, b: size]. *{ f: code[s: stack] { rdi: a, rsp: ret[s] :: s } ro, env: a ro }
.label f : code[s: stack] { rdi: *{ f: code[s: stack] { rdi: int, rsp: ret[s] :: s } ro, env: int ro }, rsp: ret[s] :: s }
f:
    .pack rdi, pkg, [int, 1]
    xor eax, eax
    ret
EOT

# A name defined twice, which talas refuses to write: the checker expands a
# name by one definition, and a host compares its interface with another
# (a module redefining ctx after the host's definition read and wrote the
# host's own memory).  Here ret is defined again as a pointer.
cat > twice.tal <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.label f : code[s: stack] { rdi: int, rsp: ret[s] :: s }
f:
    mov rax, rdi
    ret
.typedef ptr[s: stack] = *[int rw; 64]
EOT
if "$talas" -o twice.o twice.tal && objcopy --dump-section .tal.types=twice.types twice.o &&
   "$rebind" twice.types twice2.types --typedef-twice && objcopy --update-section .tal.types=twice2.types twice.o twice2.o; then
  "$talcheck" -fdiagnostics-color=never twice2.o 2>err; rc=$?
  if [ $rc -eq 1 ] && grep -q "\[typedef.twice\] 'ret' is defined more than once" err; then :; else echo "FAIL: typedef twice: exit $rc"; cat err; failures=$((failures + 1)); fi
else
  echo "FAIL: cannot define ret twice"; failures=$((failures + 1))
fi

# A typedef whose parameters bind one name twice, at two sorts: its body
# would be checked against one binder and instantiated through the other
# (buf[int, m] would be an array of length int).
rebound bindtwice type.bad "the parameters of 'buf' bind 'n' twice" k n 1 <<'EOT'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.typedef buf[k: type, n: size] = *[u8 rw; n]
.label f : code[s: stack, m: size] { rdi: buf[int, m], rsp: ret[s] :: s }
f:
    xor eax, eax
    ret
EOT

# Entries placed where talas never puts them: an import of an object at
# an offset (the linker gives each import its stub; an object's have
# none), a typedef in a section, a label outside .text.  (Kinds: E_TYPEDEF
# 1, E_LABEL 2, E_IMPORT 4; sections: .text 1, .rodata 2.)
# placed NAME KIND SECT OFFSET EXIT TEXT
placed() {
  if objcopy --dump-section .tal.types=list.types list.o && "$rebind" list.types "$1.types" --entry "$2" "$3" "$4" &&
     objcopy --update-section .tal.types="$1.types" list.o "$1.o"; then
    "$talcheck" -fdiagnostics-color=never "$1.o" 2>err; rc=$?
    if [ $rc -eq "$5" ] && grep -qF -- "$6" err; then :; else echo "FAIL: $1: exit $rc"; cat err; failures=$((failures + 1)); fi
  else
    echo "FAIL: cannot make $1"; failures=$((failures + 1))
  fi
}
"$talas" -I "$runtime" -o list.o "$examples/list.tal"
placed import_at 4 0 16 1 "[import.host] the import 'tal_trap_bounds' has offset 0x10: an object's imports have none"
placed typedef_at 1 0 8 2 "a typedef entry must have no section and no offset"
placed import_sect 4 1 0 2 "an import entry must have no section"
placed label_sect 2 2 0 2 "a label entry must be in .text"

# a label and an object of one name (an edited section: talas refuses it): a
# rip-relative write would be checked against the object and linked to the
# code of the label, or a jump checked against the label and linked into data
cat >clash.tal <<'EOF'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.object Y : { a: int rw }
.label f : code[s: stack] { rdi: int, rsp: ret[s] :: s }
.label X : code[s: stack] { rsp: ret[s] :: s }
.globl X
.data
Y: .quad 0
.text
f:
    mov qword ptr [rip + X], rdi
    ret
X:
    ret
EOF
runs=$((runs + 1))
if "$talas" -o clash.o clash.tal && objcopy --dump-section .tal.types=clash.types clash.o &&
   "$rebind" clash.types clash2.types --rename-entry Y X && objcopy --update-section .tal.types=clash2.types clash.o clash2.o; then
  "$talcheck" -fdiagnostics-color=never clash2.o >/dev/null 2>clash.err
  rc=$?
  if [ $rc -eq 1 ] && grep -q "\[reloc.symbol\] the relocation at .text+0x3 is against 'X', which has 2 types" clash.err; then
    rejected=$((rejected + 1))
  else
    echo "FAIL: a label and an object named X: exit $rc"; head -3 clash.err; failures=$((failures + 1))
  fi
else
  echo "FAIL: cannot make the object with a label and an object of one name"; failures=$((failures + 1))
fi

echo "tamper: $runs edited objects checked, $rejected rejected, $failures failures"
[ $failures -eq 0 ]
