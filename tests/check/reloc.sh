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
# check NAME TAL AS WANT: the types and lines talas makes of TAL, put on
# the object GNU as makes of AS (the same code); talcheck must reject it
# (exit 1) with WANT in its message.
check() {
  local name=$1 want=$4
  printf '.intel_syntax noprefix\n.typedef ret[s: stack] = code{ rax: int, rsp: s }\n%s\n' "$2" > "$name.tal"
  "$talas" -o "$name.t.o" "$name.tal" || { echo "FAIL: $name: talas"; failures=$((failures + 1)); return; }
  objcopy --dump-section .tal.types="$name.types" --dump-section .tal.lines="$name.lines" "$name.t.o"
  printf '.intel_syntax noprefix\n.text\n%s\n' "$3" > "$name.s"
  as -o "$name.g.o" "$name.s" || { echo "FAIL: $name: as"; failures=$((failures + 1)); return; }
  objcopy --add-section .tal.types="$name.types" --add-section .tal.lines="$name.lines" "$name.g.o" "$name.o"
  "$talcheck" -fdiagnostics-color=never "$name.o" 2>err
  local rc=$?
  if [ $rc -ne 1 ] || ! grep -qF -- "$want" err; then
    echo "FAIL: $name: exit $rc, expected $want"; cat err; failures=$((failures + 1))
  fi
}
lf='.label f : code[s: stack] { rsp: ret[s] :: s }'
# case NAME CODE RELOC RULE: CODE, and in GNU as's object the .reloc line
case_() { check "$1" $'.import g : code[s: stack] { rsp: ret[s] :: s }\n'"$lf"$'\nf:\n'"$2" $'f:\n'"$2"$'\n'"$3" "[$4]"; }
case_ into_immediate  $'    mov eax, 1\n    ret' '.reloc f+1, R_X86_64_32, g' reloc.place
case_ into_opcode     $'    mov eax, 1\n    ret' '.reloc f, R_X86_64_PC32, g' reloc.place
case_ second_reloc    $'    call g\n    ret' '.reloc f+1, R_X86_64_32, g' reloc.place
# symbol NAME TYPES MESSAGE: f calls g, typed with TYPES besides f's, where
# GNU as's code calls a global h it defines there, through a relocation
symbol() {
  check "$1" "$lf"$'\n'"$2"$'\nf:\n    call g\n    ret\ng:\n    mov eax, 1\n    ret' \
    $'.globl h\nf:\n    call h\n    ret\nh:\n    mov eax, 1\n    ret' "[reloc.symbol] $3"
}
symbol untyped_symbol '.label g : code[s: stack] { rsp: ret[s] :: s }' \
  "the relocation at .text+0x1 is against 'h', defined at .text+0x6, with no label or object type of that name"
symbol imported_symbol $'.label g : code[s: stack] { rsp: ret[s] :: s }\n.import h : code[s: stack] { rsp: ret[s] :: s }' \
  "the relocation at .text+0x1 is against 'h', defined in this object but declared an import"
echo "reloc: $((5 - failures)) of 5 cases rejected as they must be"
[ $failures -eq 0 ]
