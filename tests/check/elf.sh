#!/usr/bin/env bash
# elf.sh TALAS TALCHECK EXAMPLES WORKDIR - malformed objects and paths.
# Each case is a small edit of a good object (examples/sum.tal, or a small
# program with relocations written below) made with printf, dd and objcopy.
# talcheck must answer every one in time with exit 2 (or 1 where the ELF is
# sound and only its types reject it): a clear error naming the file, one
# line for exit 2 and a bounded number for exit 1, never a crash or silence.
# Then every input of tests/fuzz/regress/ must give 0, 1 or 2.
set -u
talas=$1 talcheck=$2 examples=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
regress=$(cd "$here/../fuzz/regress" 2>/dev/null && pwd)
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 1
cases=0 failures=0
# In a sanitizer build a report must not pass for a rejection (both exit 1
# by default): make it a crash.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# u, put, shdr and the SH_* field offsets
. "$here/../elfedit.sh"

# expect NAME FILE CODES: talcheck FILE exits with one of CODES (in 10 s);
# exit 2 is one line naming FILE, exit 1 at most 200 lines with an error,
# exit 0 (where CODES allows it) nothing
expect() {
  local name=$1 f=$2 codes=$3 rc lines
  cases=$((cases + 1))
  timeout 10 "$talcheck" -fdiagnostics-color=never "$f" >out 2>err
  rc=$?
  case " $codes " in
  *" $rc "*) ;;
  *) fail "$name: exit $rc, expected $codes"; head -5 err; [ -f "$f" ] && cp "$f" "fail-$name"; return ;;
  esac
  grep -q "Sanitizer\|runtime error:" err && { fail "$name: a sanitizer report"; head -5 err; return; }
  [ -n "${ELF_SHOW:-}" ] && echo "$name: $rc: $(head -1 err)"
  lines=$(wc -l <err)
  [ -s out ] && fail "$name: output on stdout"
  if [ "$rc" -eq 0 ]; then
    [ "$lines" -eq 0 ] || { fail "$name: verified, yet $lines lines on stderr"; head -5 err; }
  elif [ "$rc" -eq 2 ]; then
    [ "$lines" -eq 1 ] || { fail "$name: $lines lines on stderr, expected 1"; head -5 err; }
    grep -qF -- "$f" err || { fail "$name: the error does not name $f"; cat err; }
  else
    [ "$lines" -ge 1 ] && [ "$lines" -le 200 ] || fail "$name: $lines lines on stderr"
    grep -q 'error: ' err || { fail "$name: no error on stderr"; head -5 err; }
  fi
}

# fresh NAME [SOURCE OBJECT]: a copy of the good object to edit
fresh() { cp "${2:-sum.o}" "$1"; }

"$talas" -o sum.o "$examples/sum.tal" || { echo "FAIL: sum.tal does not assemble"; exit 1; }
"$talcheck" sum.o || { echo "FAIL: sum.o does not verify"; exit 1; }
size=$(stat -c %s sum.o)

# A program with relocations (rip-relative data), for .rela.text.
cat >rel.tal <<'EOF'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.object table : [u32 ro; 4]
.object counter : { n: int rw }
.label f : code[s: stack] { rsp: ret[s] :: s }
.section .rodata
table: .long 1, 2, 3, 4
.data
counter: .quad 0
.text
f:
    mov eax, dword ptr [rip + table + 8]
    add qword ptr [rip + counter], 1
    add rax, qword ptr [rip + counter]
    ret
EOF
"$talas" -o rel.o rel.tal || { echo "FAIL: rel.tal does not assemble"; exit 1; }
"$talcheck" rel.o || { echo "FAIL: rel.o does not verify"; exit 1; }

# A call through a relocation against a symbol defined here (a global label).
cat >call.tal <<'EOF'
.intel_syntax noprefix
.typedef ret[s: stack] = code{ rax: int, rsp: s }
.label f : code[s: stack] { rsp: ret[s] :: s }
.label g : code[s: stack] { rsp: ret[s] :: s }
.globl g
.text
f:
    call g
    ret
g:
    mov eax, 1
    ret
EOF
"$talas" -o call.o call.tal || { echo "FAIL: call.tal does not assemble"; exit 1; }
"$talcheck" call.o || { echo "FAIL: call.o does not verify"; exit 1; }

# ---- what a system linker would read otherwise ----
# an object's verdict holds however it is linked: cc and ld read sections and
# symbols tallink drops, so those that would change the code are refused
# (each of these was verified before, and crashed once linked by cc)
sym_at() {   # FILE NAME: the file offset of symbol NAME's Elf64_Sym
  local i off
  i=$(readelf -sW "$1" | awk -v n="$2" '$8 == n { sub(":", "", $1); print $1; exit }')
  off=$(u "$1" 8 $(($(shdr "$1" .symtab) + SH_OFFSET)))
  echo $((off + i * 24))
}
says() { grep -q "$2" err || fail "$1: no message saying '$2': $(head -2 err)"; }
fresh ifunc.o call.o;  put ifunc.o $(($(sym_at ifunc.o g) + 4)) 1 $((16 + 10))   # GLOBAL, STT_GNU_IFUNC
expect sym-ifunc ifunc.o 1;  says sym-ifunc "\[reloc.symbol\] symbol .* ('g') is an indirect function"
fresh abs.o call.o;    put abs.o $(($(sym_at abs.o g) + 6)) 2 $((0xfff1))           # SHN_ABS
expect sym-abs abs.o 2;      says sym-abs "its symbol is absolute or common"
fresh relinfo.o rel.o; put relinfo.o $(($(shdr relinfo.o .rela.text) + 44)) 4 2      # sh_info: not .text's index
expect rela-info relinfo.o 2; says rela-info ".rela.text applies to section 2, not to .text"
h=$(shdr rel.o .rela.text)
fresh relb.o rel.o;    put relb.o $((h + SH_NAME)) 4 $(($(u rel.o 4 $((h + SH_NAME))) + 6))   # named "text": a second RELA section
expect rela-other relb.o 2;  says rela-other "section text holds relocations: only those of .rela.text are checked"
fresh wtext.o sum.o;   put wtext.o $(($(shdr wtext.o .text) + 8)) 8 $((1 | 2 | 4))     # sh_flags: write, alloc, exec
expect text-writable wtext.o 2; says text-writable ".text is writable"
fresh group.o sum.o;   put group.o $(($(shdr group.o .note.GNU-stack) + SH_TYPE)) 4 17  # SHT_GROUP
expect sect-group group.o 2;  says sect-group "section .note.GNU-stack groups sections a linker may drop or keep"
fresh undef.o call.o;  put undef.o $(($(sym_at undef.o g) + 6)) 2 0                   # g undefined, typed as a label here
expect sym-undef undef.o 1;  says sym-undef "against 'g', not defined in this object, but typed as one of its own labels"
printf '\x0f\x0b' >ud2.bin
if objcopy --add-section .init=ud2.bin --set-section-flags .init=alloc,code,readonly,contents sum.o init.o; then
  expect sect-init init.o 2; says sect-init "section .init is executable: only .text is checked"
else fail "objcopy cannot add .init"; fi
if objcopy --add-section .ctors=ud2.bin --set-section-flags .ctors=alloc,data,contents sum.o ctors.o; then
  expect sect-alloc ctors.o 2; says sect-alloc "section .ctors is loaded with the program"
else fail "objcopy cannot add .ctors"; fi

# ---- not an object at all ----
: >empty.o;                         expect empty empty.o 2
printf 'hello, world\n' >text.o;    expect not-elf text.o 2
printf '\177ELF' >magic.o;          expect magic-only magic.o 2
mkdir -p dir.o;                     expect directory dir.o 2
expect nonexistent missing.o 2
mkfifo fifo.o 2>/dev/null && expect fifo fifo.o 2
# a regular file whose size says 0 but that has bytes: the reader grows its buffer as it reads
[ -r /proc/self/maps ] && { expect grows-while-read /proc/self/maps 2; grep -q "not an x86-64 ELF64 file\|not an ELF" err || fail "grows-while-read: $(cat err)"; }
# several MiB: read into huge pages where the kernel gives them; the same bytes either way
{ cat sum.o; head -c 5000000 /dev/zero; } >padded.o;   expect padded-5mb padded.o 0
head -c 5000000 /dev/zero >zeros.o;                   expect zeros-5mb zeros.o 2
grep -q "not an ELF\|not an x86-64 ELF64" err || fail "zeros-5mb: $(cat err)"
# past the 1 GiB a file may have (sparse: no disk is used), refused before it is read
if truncate -s 1100M huge.o 2>/dev/null; then
  expect too-big huge.o 2
  grep -q "larger than 1024 MiB" err || fail "too-big: $(cat err)"
  rm -f huge.o
fi

# ---- truncated: every sixteenth of the file, every byte of the header ----
for len in $(seq 0 63) $(for k in $(seq 1 15); do echo $((size * k / 16)); done) $((size - 1)); do
  head -c "$len" sum.o >trunc.o
  expect "truncated-$len" trunc.o 2
done

# ---- the ELF header ----
fresh elf32.o;  put elf32.o 4 1 1;           expect elf32 elf32.o 2
fresh class.o;  put class.o 4 1 7;           expect bad-class class.o 2
fresh msb.o;    put msb.o 5 1 2;             expect big-endian msb.o 2
fresh mach.o;   put mach.o 18 2 3;           expect machine-386 mach.o 2
fresh mach2.o;  put mach2.o 18 2 0xb7;       expect machine-aarch64 mach2.o 2
fresh exec.o;   put exec.o 16 2 2;           expect type-exec exec.o 2
fresh dyn.o;    put dyn.o 16 2 3;            expect type-dyn dyn.o 2
fresh shoff.o;  put shoff.o 40 8 $((size + 4096)); expect shoff-past-end shoff.o 2
fresh shoff2.o; put shoff2.o 40 8 $((size - 8));   expect shoff-at-end shoff2.o 2
fresh shoff3.o; put shoff3.o 40 8 -1;        expect shoff-huge shoff3.o 2
fresh shnum.o;  put shnum.o 60 2 0xffff;     expect shnum-huge shnum.o 2
fresh shnum0.o; put shnum0.o 60 2 0;         expect shnum-zero shnum0.o 2
fresh shent.o;  put shent.o 58 2 32;         expect shentsize shent.o 2
fresh strndx.o; put strndx.o 62 2 200;       expect shstrndx-out-of-range strndx.o 2
fresh strndx2.o; put strndx2.o 62 2 1;       expect shstrndx-not-strtab strndx2.o 2
fresh strndx3.o; put strndx3.o 62 2 0xffff;  expect shstrndx-xindex strndx3.o 2

# ---- section headers ----
for sect in .text .tal.types .tal.lines .shstrtab; do
  h=$(shdr sum.o "$sect") off=$(u sum.o 8 $((h + SH_OFFSET)))
  fresh past.o; put past.o $((h + SH_OFFSET)) 8 $((size - 4)); expect "past-end$sect" past.o 2
  fresh past2.o; put past2.o $((h + SH_OFFSET)) 8 -16;       expect "offset-huge$sect" past2.o 2
  fresh big.o; put big.o $((h + SH_SIZE)) 8 0x7fffffffffffffff; expect "size-huge$sect" big.o 2
  fresh big2.o; put big2.o $((h + SH_SIZE)) 8 $((size - off + 1)); expect "size-past-end$sect" big2.o 2
  fresh nobits.o; put nobits.o $((h + SH_TYPE)) 4 8;         expect "nobits$sect" nobits.o 2
done
# a .bss takes no room in the file: any size up to what a module may have (1 GiB), and no more
fresh bss.o; put bss.o $(($(shdr sum.o .bss) + SH_SIZE)) 8 $((1 << 30)); expect bss-1g bss.o 0
fresh bss2.o; put bss2.o $(($(shdr sum.o .bss) + SH_SIZE)) 8 $(((1 << 30) + 1)); expect bss-over-1g bss2.o 2
grep -q "bss2.o: a .bss of 1073741825 bytes: more than a module may have (1073741824)" err || fail "bss-over-1g: $(cat err)"
fresh bss3.o; put bss3.o $(($(shdr sum.o .bss) + SH_SIZE)) 8 0x7fffffffffffffff; expect bss-huge bss3.o 2
# overlapping sections: .tal.lines laid over .tal.types, .text over .tal.types
ht=$(shdr sum.o .tal.types) hl=$(shdr sum.o .tal.lines) hx=$(shdr sum.o .text)
fresh over.o;  put over.o $((hl + SH_OFFSET)) 8 $(($(u sum.o 8 $((ht + SH_OFFSET))) + 4)); expect overlap-lines-types over.o 2
fresh over2.o; put over2.o $((hx + SH_OFFSET)) 8 $(($(u sum.o 8 $((ht + SH_OFFSET))) + 8)); expect overlap-text-types over2.o 2
fresh over3.o; put over3.o $((hx + SH_OFFSET)) 8 0;         expect overlap-text-header over3.o "1 2"
# a section name outside the name table
fresh sname.o; put sname.o $((hx + SH_NAME)) 4 0x7fffffff; expect name-out-of-range sname.o 2

# ---- the type sections ----
objcopy --remove-section .tal.types sum.o notypes.o; expect no-tal.types notypes.o 2
objcopy --remove-section .tal.lines sum.o nolines.o; expect no-tal.lines nolines.o 2
objcopy --remove-section .text sum.o notext.o;        expect no-text notext.o "1 2"
to=$(u sum.o 8 $((ht + SH_OFFSET))) tn=$(u sum.o 8 $((ht + SH_SIZE)))
lo=$(u sum.o 8 $((hl + SH_OFFSET)))
fresh magic1.o; put magic1.o "$to" 4 0x58585858;          expect types-bad-magic magic1.o 2
fresh ver.o;    put ver.o $((to + 4)) 2 99;              expect types-bad-version ver.o 2
fresh flags.o;  put flags.o $((to + 6)) 2 1;             expect types-bad-flags flags.o 2
fresh cnt.o;    put cnt.o $((to + 8)) 5 0x0fffffffff;    expect types-huge-string-count cnt.o 2
fresh cnt2.o;   put cnt2.o $((to + 8)) 10 -1;            expect types-count-overflow cnt2.o 2
fresh lmagic.o; put lmagic.o "$lo" 4 0x58585858;         expect lines-bad-magic lmagic.o 2
fresh lver.o;   put lver.o $((lo + 4)) 2 2;              expect lines-bad-version lver.o 2
fresh lcnt.o;   put lcnt.o $((lo + 8)) 5 0x0fffffffff;   expect lines-huge-file-count lcnt.o 2
fresh tshort.o; put tshort.o $((ht + SH_SIZE)) 8 $((tn - 1)); expect types-short tshort.o 2
fresh tzero.o;  put tzero.o $((ht + SH_SIZE)) 8 0;       expect types-empty tzero.o 2
# every byte of the types overwritten in turn: any answer but a crash
for ((i = 8; i < tn; i += 3)); do
  fresh tb.o; put tb.o $((to + i)) 1 0xff; expect "types-byte-$i" tb.o "0 1 2"
done

# ---- relocations (rel.o) ----
hr=$(shdr rel.o .rela.text) hs=$(shdr rel.o .symtab) ro=$(u rel.o 8 $(($(shdr rel.o .rela.text) + SH_OFFSET)))
fresh rsym.o rel.o;  put rsym.o $((ro + 12)) 4 9999;       expect rela-bad-symbol rsym.o 2
fresh rsym2.o rel.o; put rsym2.o $((ro + 24 + 12)) 4 0xffffffff; expect rela-symbol-huge rsym2.o 2
fresh rlink.o rel.o; put rlink.o $((hr + SH_LINK)) 4 1;    expect rela-link-text rlink.o 2
fresh rlink2.o rel.o; put rlink2.o $((hr + SH_LINK)) 4 500; expect rela-link-out-of-range rlink2.o 2
fresh rtype.o rel.o; put rtype.o $((hr + SH_TYPE)) 4 1;    expect rela-not-rela rtype.o 2
fresh rent.o rel.o;  put rent.o $((hr + SH_ENTSIZE)) 8 1;  expect rela-entsize rent.o 2
fresh rent0.o rel.o; put rent0.o $((hr + SH_ENTSIZE)) 8 0; expect rela-entsize-zero rent0.o 2
fresh rsize.o rel.o; put rsize.o $((hr + SH_SIZE)) 8 0x7fffffffffffffff; expect rela-size-huge rsize.o 2
fresh raddend.o rel.o; put raddend.o $((ro + 16)) 8 0x7ffffffffffffffe; expect rela-addend-huge raddend.o 1
fresh roff.o rel.o;  put roff.o "$ro" 8 0x100000000;       expect rela-offset-huge roff.o 2
fresh rend.o rel.o;  put rend.o "$ro" 8 $(($(u rel.o 8 $(($(shdr rel.o .text) + SH_SIZE))) - 2)); expect rela-field-past-text rend.o 1
fresh r64.o rel.o;   put r64.o $((ro + 8)) 4 1;            expect rela-type-64 r64.o 1
fresh rover.o rel.o; put rover.o $((ro + 24)) 8 $(($(u rel.o 8 "$ro") + 2)); expect rela-fields-overlap rover.o 1
fresh roff2.o rel.o; put roff2.o "$ro" 8 0;                expect rela-offset-not-a-field roff2.o 1
# [reloc.symbol]: the linker puts a field where its symbol is, so a section's
# symbol is at the section's start and a defined symbol where the label or
# object of its name is (the fuzzer of the linker found an object that
# verified with its .rodata symbol moved, and a module linked from it that
# did not)
sv=$(u rel.o 8 $((hs + SH_OFFSET)))
k=$(readelf -sW rel.o | awk '$4 == "SECTION" && $7 == 2 { sub(":", "", $1); print $1 }')
fresh ssym.o rel.o;  put ssym.o $((sv + k * 24 + 8)) 8 0x10; expect symbol-of-section-moved ssym.o 1
grep -q "\[reloc.symbol\] the relocation at .text+0x2 is against the symbol of .rodata, whose value is 0x10" err || fail "symbol-of-section-moved: $(head -1 err)"
cv=$(u call.o 8 $(($(shdr call.o .symtab) + SH_OFFSET)))
k=$(readelf -sW call.o | awk '$8 == "g" { sub(":", "", $1); print $1 }')
fresh gsym.o call.o; put gsym.o $((cv + k * 24 + 8)) 8 0; expect symbol-moved-to-another-label gsym.o 1
grep -q "\[reloc.symbol\] the relocation at .text+0x1 is against 'g', defined at .text+0, but the type of 'g' is for .text+0x6" err || fail "symbol-moved-to-another-label: $(head -1 err)"
fresh stype.o rel.o; put stype.o $((hs + SH_TYPE)) 4 1;    expect symtab-not-symtab stype.o 2
fresh slink.o rel.o; put slink.o $((hs + SH_LINK)) 4 1;    expect symtab-link-text slink.o "1 2"

# ---- duplicate sections ----
printf '\303' >ret.bin
objcopy --add-section .extra=ret.bin --set-section-flags .extra=code sum.o two.o
put two.o $(($(shdr two.o .extra) + SH_NAME)) 4 "$(u two.o 4 $(shdr two.o .text))"; expect two-text two.o 2
objcopy --add-section .extra=ret.bin sum.o two2.o
put two2.o $(($(shdr two2.o .extra) + SH_NAME)) 4 "$(u two2.o 4 $(shdr two2.o .tal.types))"; expect two-tal.types two2.o 2
objcopy --add-section .extra=ret.bin rel.o two3.o
put two3.o $(($(shdr two3.o .extra) + SH_NAME)) 4 "$(u two3.o 4 $(shdr two3.o .rela.text))"; expect two-rela.text two3.o 2

# ---- the line table names a FIFO: quoting the source must not wait on it ----
printf '.intel_syntax noprefix\n.label f : code[s: stack] { rsp: s }\n.text\nf:\n    ret\n' >quoted.tal
"$talas" -o quoted.o quoted.tal && rm -f quoted.tal && mkfifo quoted.tal 2>/dev/null &&
  expect source-is-fifo quoted.o 1

# ---- a file name in the line table with a control character: a name is
# printed as it is (in diagnostics and trap reports), so it may hold none;
# talas refuses to write one ----
printf '.intel_syntax noprefix\n.label f : code[s: stack] { rsp: code{ rsp: s } :: s }\n.text\nf:\n    ret\n' >ctlXname.tal
"$talas" -o ctl.o ctlXname.tal || fail "ctlXname.tal does not assemble"
python3 - ctl.o <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
b = b.replace(b'ctlXname.tal', b'ctl\x1bname.tal')   # (the line table's, and the symbol table's)
open(sys.argv[1], 'wb').write(b)
PY
python3 -c "b = open('ctl.o', 'rb').read(); open('ctl-good.o', 'wb').write(b.replace(b'ctl\x1bname.tal', b'ctlYname.tal'))"   # (the same edit, a printable byte)
expect ctl-file-name-good ctl-good.o 0
expect ctl-file-name ctl.o 2
grep -q "has a control character (0x1b)" err || { fail "ctl-file-name: the error does not name the control character"; cat err; }
cp ctlXname.tal "$(printf 'ctl\033name.tal')"
if "$talas" -o ctl2.o "$(printf 'ctl\033name.tal')" 2>err; then fail "talas wrote a line table naming a file with a control character"
else grep -q "control character (0x1b)" err || { fail "talas: no clear error for a control character in a path"; cat err; }; fi
[ -e ctl2.o ] && fail "talas left an output for a path with a control character"

# ---- the fuzzer's finds: any answer but a crash or a hang ----
if [ -n "$regress" ]; then
  for f in "$regress"/*; do
    [ -f "$f" ] || continue
    cases=$((cases + 1))
    timeout 10 "$talcheck" -fdiagnostics-color=never "$f" >/dev/null 2>err
    rc=$?
    if [ $rc -gt 2 ] || grep -q "Sanitizer\|runtime error:" err; then fail "regress/$(basename "$f"): exit $rc"; head -5 err; fi
  done
fi

if [ $failures -ne 0 ]; then
  echo "elf: $cases cases, $failures failures"
  exit 1
fi
echo "elf: $cases cases, all handled"
