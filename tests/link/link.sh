#!/usr/bin/env bash
# link.sh TALAS TALLINK TALCHECK MODPATCH WORKDIR REBIND
# Linking: multi-unit modules that verify, every link error with both
# sides named, the module's own checks in talcheck ([import.host],
# [export.type]), ELF tools reading modules, and the command line.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
talas=$1 tallink=$2 talcheck=$3 modpatch=$4 work=$5 rebind=$6
here=$(cd "$(dirname "$0")" && pwd)
runtime=$(cd "$here/../../runtime" && pwd)
mkdir -p "$work"
tmp=$(mktemp -d "$work/link.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$here/src"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

for f in *.tal; do
  "$talas" -I "$runtime" -I "$here/../../kernel-shim" -o "$tmp/${f%.tal}.o" "$f" || fail "$f does not assemble"
done

# link NAME EXPECTED-EXIT ARGS... : runs tallink into $tmp/NAME.tlm
link() {
  local name=$1 want=$2; shift 2
  (cd "$tmp" && timeout 60 "$tallink" -fdiagnostics-color=never -I "$runtime" -o "$name.tlm" "$@") >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  if [ $rc -ne "$want" ]; then cat "$tmp/$name.err"; fail "$name: tallink exit $rc, expected $want"; return 1; fi
  if [ "$want" -ne 0 ] && [ -e "$tmp/$name.tlm" ]; then fail "$name: a module was written despite errors"; return 1; fi
  return 0
}
# expect NAME REGEX : the diagnostics of NAME match (grep -E) REGEX
expect() {
  grep -qE -- "$2" "$tmp/$1.err" || { cat "$tmp/$1.err"; fail "$1: no diagnostic matching: $2"; return 1; }
}
check_ok() {
  timeout 60 "$talcheck" -fdiagnostics-color=never "$tmp/$1.tlm" >"$tmp/$1.chk" 2>&1 || { cat "$tmp/$1.chk"; fail "$1: talcheck rejects the module"; return 1; }
}
check_bad() {  # NAME RULE
  timeout 60 "$talcheck" -fdiagnostics-color=never "$tmp/$1.tlm" >"$tmp/$1.chk" 2>&1
  local rc=$?
  [ $rc -eq 1 ] || { cat "$tmp/$1.chk"; fail "$1: talcheck exit $rc, expected 1"; return 1; }
  grep -qE "error: \[$2\]" "$tmp/$1.chk" || { cat "$tmp/$1.chk"; fail "$1: no [$2] diagnostic"; return 1; }
}

# -- modules that link and verify
link multi 0 main.o vec.o other.o konst.o && check_ok multi && pass "multi-unit module links and verifies" || fail "multi-unit module links and verifies"
taldump=$(dirname "$talcheck")/taldump
"$taldump" "$tmp/multi.tlm" >"$tmp/multi.dump" 2>&1 || fail "taldump cannot read a module"
grep -q "^.typedef vret'3 = u32" "$tmp/multi.dump" && grep -q '^.typedef vret\[s: stack\]' "$tmp/multi.dump" \
  && pass "typedefs of the same name with different meanings are kept apart" || { cat "$tmp/multi.dump"; fail "typedef renaming"; }
grep -q '^.import tal_trap_bounds : code {}' "$tmp/multi.dump" && pass "host services used become the module's imports" || fail "module imports"
readelf -hlS "$tmp/multi.tlm" >"$tmp/readelf" 2>&1 && grep -q 'DYN' "$tmp/readelf" && grep -q '.tal.types' "$tmp/readelf" \
  && pass "readelf reads the module" || { cat "$tmp/readelf"; fail "readelf"; }
objdump -d "$tmp/multi.tlm" >"$tmp/objdump" 2>&1 && grep -q '<twice_sum>:' "$tmp/objdump" && grep -qE 'call +[0-9a-f]+ <vec_sum>' "$tmp/objdump" \
  && grep -qE 'jne +[0-9a-f]+ <tal_trap_bounds>' "$tmp/objdump" && pass "objdump disassembles it, calls resolved" || { cat "$tmp/objdump"; fail "objdump"; }
link usectx 0 usectx.o && check_ok usectx && pass "context type and stack trap from the host interface" || fail "context type and stack trap from the host interface"
# every example that needs no allocator links and verifies on its own
for ex in sum checksum map sort search depth; do
  "$talas" -I "$runtime" -o "$tmp/ex_$ex.o" "$here/../../examples/$ex.tal" && link "ex_$ex" 0 "ex_$ex.o" && check_ok "ex_$ex" || fail "example $ex"
done
pass "examples link and verify"

# -- link errors: each names both sides
link undef 1 undef.o && expect undef "undef.tal:3:9: error: 'nowhere' is imported but no unit defines it" && pass "undefined import" || fail "undefined import"
link missing_unit 1 main.o && expect missing_unit "vec.tali:5:9: error: 'vec_sum' is imported but no unit defines it" && pass "import from an interface, defining unit missing" || fail "import from an interface, defining unit missing"
link dup 1 vec.o main.o vec.o && expect dup "vec.tal:[0-9]+:[0-9]+: error: multiple definition of 'vec_sum'" \
  && expect dup "note: first defined here \(vec.o\)" && pass "duplicate definition names both" || fail "duplicate definition names both"
link mismatch 1 main.o vec_bad.o && expect mismatch "vec.tali:5:9: error: 'vec_sum' is imported with a type that does not match its definition" \
  && expect mismatch "vec.tali:5:9: note: imported as: .*u64" && expect mismatch "vec_bad.tal:4:9: note: its definition: .*u8" \
  && pass "import/export type mismatch names both locations and types" || fail "import/export type mismatch names both locations and types"
link host_mismatch 1 host_mismatch.o && expect host_mismatch "host_mismatch.tal:3:9: error: 'tal_trap_stack' is imported with a type that does not match the host's service" \
  && expect host_mismatch "tal_host.tali:[0-9]+:9: note: the host's service: code \{\}" && pass "host service type mismatch names the interface" || fail "host service type mismatch names the interface"
link wdata 1 wdata.o && expect wdata "wdata.tal:9:5: error: code refers to 'counter' in .data" && pass "writable data by address" || fail "writable data by address"
link absdata 1 absdata.o && expect absdata "absdata.o: error: absdata.o: section .rela.rodata holds relocations" && pass "addresses in data" || fail "addresses in data"
link cycle 1 cycle.o && expect cycle "cycle.tal:2:10: error: type abbreviation 'a' is part of a cycle" \
  && expect cycle "cycle.tal:3:10: error: type abbreviation 'b' is part of a cycle" && pass "cycle of type abbreviations" || fail "cycle of type abbreviations"
link typeorder 0 typeorder.o && check_ok typeorder && "$taldump" "$tmp/typeorder.tlm" >"$tmp/typeorder.dump" 2>&1 \
  && [ "$(sed -n 's/^\.typedef \([a-z]\) = .*/\1/p' "$tmp/typeorder.dump" | tr -d '\n')" = yzwaxbc ] \
  && pass "type abbreviations merged after the ones they name, in sweeps" || { cat "$tmp/typeorder.dump"; fail "typedef order"; }
printf 'not an object\n' >"$tmp/junk.o"
link junk 1 junk.o && expect junk "junk.o: error: .*not an ELF file" && pass "not an object" || fail "not an object"
link noinput 2 nonexistent.o && expect noinput "cannot open 'nonexistent.o'" && pass "missing input: exit 2" || fail "missing input: exit 2"
(cd "$tmp" && "$tallink" -o nohost.tlm vec.o) 2>"$tmp/nohost.err"; rc=$?
[ $rc -eq 2 ] && grep -q "cannot find the host interface" "$tmp/nohost.err" && pass "no host interface: exit 2" || fail "no host interface (exit $rc)"
"$tallink" --bogus 2>/dev/null; [ $? -eq 2 ] && pass "unknown option: exit 2" || fail "unknown option"
"$tallink" --help | grep -q '^Usage: tallink' && pass "--help" || fail "--help"

# -- a failed link leaves an existing output alone
echo precious >"$tmp/keep.tlm"
(cd "$tmp" && "$tallink" -I "$runtime" -o keep.tlm undef.o) 2>/dev/null
[ "$(cat "$tmp/keep.tlm")" = precious ] && pass "failed link keeps the old output" || fail "failed link clobbered its output"

# -- dependency files
(cd "$tmp" && "$tallink" -I "$runtime" -MD -o deps.tlm main.o vec.o) || fail "link with -MD"
grep -q '^deps.tlm:.*tal_host.tali.*main.o vec.o' "$tmp/deps.d" && pass "-MD names the interface and the objects" || { cat "$tmp/deps.d"; fail "-MD"; }

# -- [stack.entry] an entry point needs at most the 8 KiB a host promises below the limit
link entry_ok 0 entry_ok.o && check_ok entry_ok && pass "[stack.entry] entry points within 8 KiB, or checking the stack, verify" || fail "[stack.entry] entry points within 8 KiB, or checking the stack, verify"
link entry_far 0 entry_far.o && check_bad entry_far stack.entry \
  && grep -q "entry_far.tal:7:9: error: \[stack.entry\] the entry point 'far' may use 16384 bytes of stack, but a host promises 8192" "$tmp/entry_far.chk" \
  && grep -q "entry point 'chain' may use 12296 bytes of stack" "$tmp/entry_far.chk" \
  && pass "[stack.entry] entry points needing more than 8 KiB, in one frame or through a call, are rejected" || fail "stack.entry"

# -- the export table is sorted by name, whatever the order of the units and declarations
"$modpatch" "$tmp/multi.tlm" exports >"$tmp/multi.exports" && [ "$(cat "$tmp/multi.exports")" = "$(printf 'low_byte\npick\ntwice_sum\nvec_sum')" ] \
  && "$modpatch" "$tmp/entry_ok.tlm" exports >"$tmp/entry_ok.exports" && [ "$(cat "$tmp/entry_ok.exports")" = "$(printf 'deep\nnear')" ] \
  && pass "the export table is sorted by name (four units; near declared before deep)" || { cat "$tmp/multi.exports" "$tmp/entry_ok.exports"; fail "export table order"; }
"$modpatch" "$tmp/multi.tlm" swap-exports "$tmp/unsorted.tlm" && { "$talcheck" "$tmp/unsorted.tlm" >"$tmp/unsorted.chk" 2>&1; [ $? -eq 2 ]; } \
  && grep -q "module: export 1 ('low_byte') does not come after export 0 ('pick') in byte order" "$tmp/unsorted.chk" \
  && pass "a module whose exports are out of order is refused" || { cat "$tmp/unsorted.chk"; fail "unsorted exports"; }

objcopy --dump-section .tal.types="$tmp/twice.types" "$tmp/entry_ok.o" && "$rebind" "$tmp/twice.types" "$tmp/twice2.types" --export-twice \
  && objcopy --update-section .tal.types="$tmp/twice2.types" "$tmp/entry_ok.o" "$tmp/twice.o" && link twice 1 twice.o \
  && expect twice "entry_ok.tal:6:9: error: 'near' is exported twice" && pass "an object that exports a name twice (not from talas) does not link" || fail "export twice"
{ timeout 60 "$talcheck" -fdiagnostics-color=never "$tmp/twice.o" >"$tmp/twice.chk" 2>&1; [ $? -eq 1 ]; } \
  && grep -q "error: \[export.type\] 'near' is exported more than once" "$tmp/twice.chk" \
  && pass "[export.type] talcheck refuses an object that exports a name twice" || { cat "$tmp/twice.chk"; fail "export.type: exported twice"; }

# -- talcheck's own module checks: parts of a module that disagree
(cd "$tmp" && "$tallink" --host "$here/hosts/alt_service.tali" -o alt_service.tlm usectx_alt.o) || fail "link against alt_service"
(cd "$tmp" && "$tallink" --host "$here/hosts/alt_ctx.tali" -o alt_ctx.tlm konst.o) || fail "link against alt_ctx"
(cd "$tmp" && "$tallink" --host "$here/hosts/no_stack.tali" -o no_stack.tlm konst.o) || fail "link against no_stack"
"$modpatch" "$tmp/usectx.tlm" iface "$tmp/alt_service.tlm" "$tmp/p_service.tlm" && check_bad p_service import.host \
  && grep -q "'tal_trap_stack' is imported as code {}, but the host interface gives it type code {rax: int}" "$tmp/p_service.chk" \
  && pass "[import.host] a service's type differs from the embedded interface" || fail "import.host: a service's type"
"$modpatch" "$tmp/usectx.tlm" iface "$tmp/alt_ctx.tlm" "$tmp/p_ctx.tlm" && check_bad p_ctx import.host \
  && grep -q "the module's type 'ctx' is not the host interface's" "$tmp/p_ctx.chk" && pass "[import.host] a typedef differs from the interface's" || fail "import.host: a typedef"
"$modpatch" "$tmp/usectx.tlm" iface "$tmp/no_stack.tlm" "$tmp/p_nosvc.tlm" && check_bad p_nosvc import.host \
  && grep -q "imports 'tal_trap_stack', which the host interface does not offer" "$tmp/p_nosvc.chk" && pass "[import.host] a service the interface lacks" || fail "import.host: a service the interface lacks"
"$modpatch" "$tmp/usectx.tlm" iface "$tmp/usectx.tlm" "$tmp/p_same.tlm" && check_ok p_same && pass "the same interface, moved: accepted" || fail "the same interface, moved"
# the import of a service placed off its stub (E_IMPORT is 4): stubs are on 16 bytes
"$modpatch" "$tmp/usectx.tlm" types-out "$tmp/usectx.types" && "$rebind" "$tmp/usectx.types" "$tmp/offstub.types" --entry 4 0 1 \
  && "$modpatch" "$tmp/usectx.tlm" types-raw "$tmp/offstub.types" "$tmp/p_offstub.tlm" && check_bad p_offstub import.host \
  && grep -q "the import 'tal_trap_stack' is at image offset 0x1, which is not a stub of its name" "$tmp/p_offstub.chk" \
  && pass "[import.host] a service's import entry off its stub" || fail "import.host: an import entry off its stub"
# [import.site] a trap's stub names where its jump is; a call's stub names no place
"$modpatch" "$tmp/multi.tlm" sites >"$tmp/multi.sites" && [ "$(cat "$tmp/multi.sites")" = "0 tal_trap_bounds 0x27" ] \
  && pass "a trap's stub has its jump's site" || { cat "$tmp/multi.sites"; fail "the site of a trap's stub"; }
"$modpatch" "$tmp/multi.tlm" site 0 0x10 "$tmp/p_site_moved.tlm" && check_bad p_site_moved import.site \
  && grep -q "the jump goes through the stub of 'tal_trap_bounds', whose site is .text+0x10, not this jump's field at .text+0x27" "$tmp/p_site_moved.chk" \
  && pass "[import.site] a trap's site moved elsewhere" || fail "import.site: a trap's site moved"
"$modpatch" "$tmp/multi.tlm" site 0 none "$tmp/p_site_none.tlm" && check_bad p_site_none import.site \
  && pass "[import.site] a trap's stub without a site" || fail "import.site: a trap's stub without a site"
"$talas" -I "$runtime" -o "$tmp/ex_list.o" "$here/../../examples/list.tal" && link ex_list 0 ex_list.o && check_ok ex_list \
  && "$modpatch" "$tmp/ex_list.tlm" sites >"$tmp/list.sites" && grep -q "^0 tal_alloc_pair none$" "$tmp/list.sites" \
  && "$modpatch" "$tmp/ex_list.tlm" site 0 0x10 "$tmp/p_site_call.tlm" && check_bad p_site_call import.site \
  && grep -q "a call's stub has no site" "$tmp/p_site_call.chk" \
  && pass "[import.site] a call's stub given a site" || fail "import.site: a call's stub given a site"
"$modpatch" "$tmp/usectx.tlm" types-out "$tmp/usectx.types" && "$modpatch" "$tmp/usectx.tlm" types-raw "$tmp/usectx.types" "$tmp/p_types.tlm" \
  && check_ok p_types && pass "the same type section, moved: accepted" || fail "the same type section, moved"
link svcname 0 svcname.o && "$modpatch" "$tmp/usectx.tlm" types "$tmp/svcname.tlm" "$tmp/p_svcname.tlm" && check_bad p_svcname import.host \
  && grep -q "'tal_trap_stack' must be declared once, as an import (1 declarations)" "$tmp/p_svcname.chk" \
  && pass "[import.host] a service's name given to a label instead" || fail "import.host: a label with a service's name"

# u, put, shdr and the SH_* field offsets
. "$here/../elfedit.sh"
# field offsets in an Elf64_Rela
RELA_OFFSET=0 RELA_ADDEND=16
# rela FILE: file offset of the first entry of .rela.text
rela() { u "$1" 8 $(($(shdr "$1" .rela.text) + SH_OFFSET)); }

# -- a relocation whose field is not inside .text: reported, and its field is never written
# (at 1 GiB, a write would fault even without AddressSanitizer)
cp "$tmp/main.o" "$tmp/relout.o"; put "$tmp/relout.o" $(($(rela "$tmp/relout.o") + RELA_OFFSET)) 8 $((1 << 30))
link relout 1 relout.o vec.o && expect relout 'relout\.o: error: relocation 0 in \.rela\.text is outside \.text' \
  && pass "a relocation outside .text is an error, and nothing is written for it" || fail "relocation outside .text"
# -- S + A - P out of 32 bits, whatever the addend (computed without overflow)
cp "$tmp/main.o" "$tmp/addend.o"; put "$tmp/addend.o" $(($(rela "$tmp/addend.o") + RELA_ADDEND)) 8 0x7ffffffffffffffc
link addend 1 addend.o vec.o && expect addend "main\.tal:[0-9]+:[0-9]+: error: relocation against 'vec_sum' out of range" \
  && pass "a relocation whose addend takes it out of range is an error" || fail "relocation addend out of range"

# -- parts too big for a module: two objects of 600 MiB of BSS each (an object's .bss takes no room)
for f in main vec; do
  cp "$tmp/$f.o" "$tmp/big_$f.o"; put "$tmp/big_$f.o" $(($(shdr "$tmp/big_$f.o" .bss) + SH_SIZE)) 8 $((600 << 20))
done
link bigbss 1 big_main.o big_vec.o && expect bigbss "big_vec\.o: error: the module's BSS would pass 1073741824 bytes with this object's \(629145600 bytes\)" \
  && link bigbss1 0 big_main.o vec.o && pass "a module's BSS is at most 1 GiB, whatever the objects claim" || fail "BSS too big for a module"

# -- the interface digest: of the canonical form, whatever the path or layout
d1=$("$tallink" -I "$runtime" --interface-digest)
d2=$(cd "$tmp" && "$tallink" --host "$runtime/tal_host.tali" --interface-digest)
sed 's/#.*//' "$runtime/tal_host.tali" | tr -s ' ' >"$tmp/tal_host.tali"
d3=$("$tallink" --host "$tmp/tal_host.tali" --interface-digest)
d4=$("$tallink" --host "$here/hosts/alt_ctx.tali" --interface-digest)
[ ${#d1} -eq 64 ] && [ "$d1" = "$d2" ] && [ "$d1" = "$d3" ] && [ "$d1" != "$d4" ] \
  && pass "interface digest: same for another path and layout, differs for another interface" || fail "interface digest ($d1 $d2 $d3 $d4)"
"$tallink" -I "$runtime" --emit-interface "$tmp/host.iface" && [ "$(sha256sum <"$tmp/host.iface" | cut -c1-64)" = "$d1" ] \
  && pass "--emit-interface writes the bytes the digest is of" || fail "--emit-interface"
"$talcheck" --interface "$tmp/host.iface" "$tmp/usectx.tlm" && "$talcheck" --interface-digest "$d1" "$tmp/usectx.tlm" \
  && pass "talcheck accepts a module linked against the interface required" || fail "talcheck --interface"
"$talcheck" --interface-digest "$d4" "$tmp/usectx.tlm" 2>"$tmp/wrongif.err"; rc=$?
[ $rc -eq 1 ] && grep -q "linked against another host interface" "$tmp/wrongif.err" && pass "talcheck refuses a module of another interface" || fail "talcheck --interface-digest mismatch (exit $rc)"
"$talcheck" --interface-digest 1234 "$tmp/usectx.tlm" 2>/dev/null; [ $? -eq 2 ] && pass "bad digest: usage error" || fail "bad digest"

# -- a host interface that is no regular file is refused at once: a FIFO is not
# waited on, a device not read without end; named by --host or included
mkfifo "$tmp/host.fifo"
printf '.include "host.fifo"\n' >"$tmp/inc_fifo.tali"
refused() {  # NAME EXIT REGEX ARGS... : tallink ARGS (in $tmp) exits EXIT within 10 s, says REGEX, writes nothing
  local name=$1 want=$2 re=$3; shift 3
  (cd "$tmp" && timeout 10 "$tallink" -fdiagnostics-color=never "$@") >"$tmp/$name.out" 2>"$tmp/$name.err"
  local rc=$?
  [ $rc -eq "$want" ] && grep -qE -- "$re" "$tmp/$name.err" && [ ! -e "$tmp/$name.tlm" ] \
    && pass "$name: refused" || { cat "$tmp/$name.err"; fail "$name: tallink exit $rc, expected $want and: $re"; }
}
refused host_fifo 2 "^tallink: fatal error: cannot read 'host.fifo': not a regular file$" --host host.fifo -o host_fifo.tlm main.o vec.o
refused host_zero 2 "cannot read '/dev/zero': not a regular file" --host /dev/zero -o host_zero.tlm main.o vec.o
refused host_digest 2 "cannot read 'host.fifo': not a regular file" --host host.fifo --interface-digest
refused host_include 1 "^\./inc_fifo.tali:1:1: error: cannot read '\./host.fifo': not a regular file$" --host ./inc_fifo.tali -o host_include.tlm main.o vec.o

# -- the kernel profile: exports take the context first and integers after
(cd "$tmp" && "$tallink" --host "$here/../../kernel-shim/tal_kernel.tali" -o kleak.tlm kleak.o) || fail "link kleak"
"$talcheck" "$tmp/kleak.tlm" 2>/dev/null && pass "user profile: an integer in rdi is fine" || fail "kleak, user profile"
cp "$tmp/kleak.tlm" "$tmp/kleak_k.tlm"
check_bad_profile() { "$talcheck" --profile kernel -fdiagnostics-color=never "$tmp/$1.tlm" >"$tmp/$1.chk" 2>&1; [ $? -eq 1 ] && grep -q "error: \[$2\]" "$tmp/$1.chk"; }
check_bad_profile kleak_k export.kernel && grep -q "'leak' must take the context (ctx) in rdi" "$tmp/kleak_k.chk" \
  && pass "[export.kernel] an export that does not take the context first" || { cat "$tmp/kleak_k.chk"; fail "export.kernel"; }
(cd "$tmp" && "$tallink" --host "$here/../../kernel-shim/tal_kernel.tali" -o kframe.tlm kframe.o) || fail "link kframe"
check_bad_profile kframe export.kernel && grep -q "'frame' must have the stack ret :: s" "$tmp/kframe.chk" \
  && pass "[export.kernel] an export whose stack type reaches into the shim's frame" || { cat "$tmp/kframe.chk"; fail "export.kernel: the shim's frame"; }

echo "$failures failure(s)"
[ $failures -eq 0 ]
