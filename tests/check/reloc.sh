#!/usr/bin/env bash
# reloc.sh TALAS TALCHECK WORKDIR - relocations may only fill fields the
# checker typed ([reloc.place]), against symbols that are where the checker
# looks their targets up ([reloc.symbol]).  The objects are made with GNU as
# (whose .reloc directive puts a relocation anywhere, and which calls a
# global symbol through a relocation) plus the type sections talas made for
# the same code, copied in with objcopy.
set -u
# In a sanitizer build a report must not pass for a rejection (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
talas=$1 talcheck=$2 work=$3
rm -rf "$work"; mkdir -p "$work"; cd "$work"
failures=0
# case NAME CODE RELOC RULE: the code, once with talas for its types and
# once with GNU as and the .reloc line; talcheck must reject with RULE.
case_() {
  local name=$1 code=$2 reloc=$3 rule=$4
  printf '.intel_syntax noprefix\n.typedef ret[s: stack] = code{ rax: int, rsp: s }\n.import g : code[s: stack] { rsp: ret[s] :: s }\n.label f : code[s: stack] { rsp: ret[s] :: s }\nf:\n%s\n' "$code" > "$name.tal"
  "$talas" -o "$name.t.o" "$name.tal" || { echo "FAIL: $name: talas"; failures=$((failures + 1)); return; }
  objcopy --dump-section .tal.types="$name.types" --dump-section .tal.lines="$name.lines" "$name.t.o"
  printf '.intel_syntax noprefix\n.text\nf:\n%s\n%s\n' "$code" "$reloc" > "$name.s"
  as -o "$name.g.o" "$name.s" || { echo "FAIL: $name: as"; failures=$((failures + 1)); return; }
  objcopy --add-section .tal.types="$name.types" --add-section .tal.lines="$name.lines" "$name.g.o" "$name.o"
  "$talcheck" -fdiagnostics-color=never "$name.o" 2>err
  local rc=$?
  if [ $rc -ne 1 ] || ! grep -q "\[$rule\]" err; then
    echo "FAIL: $name: exit $rc, expected rule $rule"; cat err; failures=$((failures + 1))
  fi
}
case_ into_immediate  $'    mov eax, 1\n    ret' '.reloc f+1, R_X86_64_32, g' reloc.place
case_ into_opcode     $'    mov eax, 1\n    ret' '.reloc f, R_X86_64_PC32, g' reloc.place
case_ second_reloc    $'    call g\n    ret' '.reloc f+1, R_X86_64_32, g' reloc.place
# symbol NAME TYPES MESSAGE: the code below, its types from talas with the
# declarations TYPES (for a label g where GNU as defines a global h), its
# bytes from GNU as, which calls h through a relocation against h, defined
# here; talcheck must reject with [reloc.symbol] and MESSAGE.
symbol() {
  local name=$1 types=$2 msg=$3
  printf '.intel_syntax noprefix\n.typedef ret[s: stack] = code{ rax: int, rsp: s }\n.label f : code[s: stack] { rsp: ret[s] :: s }\n%s\nf:\n    call g\n    ret\ng:\n    mov eax, 1\n    ret\n' "$types" > "$name.tal"
  "$talas" -o "$name.t.o" "$name.tal" || { echo "FAIL: $name: talas"; failures=$((failures + 1)); return; }
  objcopy --dump-section .tal.types="$name.types" --dump-section .tal.lines="$name.lines" "$name.t.o"
  printf '.intel_syntax noprefix\n.text\n.globl h\nf:\n    call h\n    ret\nh:\n    mov eax, 1\n    ret\n' > "$name.s"
  as -o "$name.g.o" "$name.s" || { echo "FAIL: $name: as"; failures=$((failures + 1)); return; }
  objcopy --add-section .tal.types="$name.types" --add-section .tal.lines="$name.lines" "$name.g.o" "$name.o"
  "$talcheck" -fdiagnostics-color=never "$name.o" 2>err
  local rc=$?
  if [ $rc -ne 1 ] || ! grep -qF "[reloc.symbol] $msg" err; then
    echo "FAIL: $name: exit $rc, expected [reloc.symbol] $msg"; cat err; failures=$((failures + 1))
  fi
}
symbol untyped_symbol '.label g : code[s: stack] { rsp: ret[s] :: s }' \
  "the relocation at .text+0x1 is against 'h', defined at .text+0x6, with no label or object type of that name"
symbol imported_symbol $'.label g : code[s: stack] { rsp: ret[s] :: s }\n.import h : code[s: stack] { rsp: ret[s] :: s }' \
  "the relocation at .text+0x1 is against 'h', defined in this object but declared an import"
echo "reloc: $((5 - failures)) of 5 cases rejected as they must be"
[ $failures -eq 0 ]
