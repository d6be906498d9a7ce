#!/usr/bin/env bash
# reloc.sh TALAS TALCHECK WORKDIR - relocations may only fill fields the
# checker typed.  The objects are made with GNU as (whose .reloc directive
# puts a relocation anywhere) plus the type sections talas made for the same
# code, copied in with objcopy.
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
echo "reloc: $((3 - failures)) of 3 cases rejected as they must be"
[ $failures -eq 0 ]
