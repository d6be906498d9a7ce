#!/usr/bin/env bash
#
# run_encoding.sh TALAS GEN WORKDIR
#
# Differential encoding test: GEN prints an .intel_syntax noprefix source
# covering every row of common/x86.def; GNU as and TALAS assemble it, and the
# two objects' `objdump -dr -M intel` listings are compared instruction by
# instruction: the raw bytes and the relocations (type, symbol, addend, and
# offset within the instruction) must be identical.
#
# What is ignored: the file-name header, symbol heading lines and the
# <symbol+offset> annotations objdump derives from the symbol table (which
# local labels an assembler keeps is not an encoding matter), and objdump's
# `# address` comments.  The disassembly text is shown, not compared: it is
# a function of the bytes.
#
# Exit: 0 identical, 1 mismatch or an assembler failed, 2 usage,
#       77 GNU as or objdump missing (ctest counts it as skipped).

set -u -o pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 TALAS GEN WORKDIR" >&2
	exit 2
fi
talas=$1 gen=$2 workdir=$3

for tool in as objdump; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "encoding: SKIPPED, $tool not found" >&2
		exit 77
	fi
done

mkdir -p "$workdir" || exit 2
tmp=$(mktemp -d "$workdir/encoding.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# Instruction records, one a line, tab-separated:
#   index  address  section  bytes  relocations  text
# Relocations are written "type symbol+addend @offset-in-instruction".
records() {
	objdump -dr -z -M intel "$1" | awk -F'\t' '
	function hex(h,    v, i) {
		v = 0
		for (i = 1; i <= length(h); i++)
			v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		return v
	}
	function flush() {
		if (pending)
			printf "%d\t%s\t%s\t%s\t%s\t%s\n", n, addr, sec, bytes, rel, text
		pending = 0
	}
	/^Disassembly of section / { flush(); sec = $0; sub(/^Disassembly of section /, "", sec); sub(/:$/, "", sec); addr = ""; next }
	/^[0-9a-f]+ <.*>:$/ { next }
	/^\t\t\t[0-9a-f]+: R_/ {
		split($4, a, ": "); off = hex(a[1]) - hex(addr)
		r = a[2] " " $5 " @" off
		rel = rel == "" ? r : rel "; " r
		next
	}
	/^ *[0-9a-f]+:\t/ {
		b = $2; sub(/ +$/, "", b)
		if (NF < 3) { bytes = bytes " " b; next }
		flush(); n++; pending = 1
		addr = $1; sub(/^ +/, "", addr); sub(/:$/, "", addr)
		bytes = b; rel = ""
		text = $3; for (i = 4; i <= NF; i++) text = text " " $i
		gsub(/ *<[^>]*>/, "", text); sub(/ +# [0-9a-f]+$/, "", text); gsub(/  +/, " ", text)
		next
	}
	END { flush() }'
}

# Source lines that are instructions (not labels, directives or blanks),
# numbered: "lineno<TAB>text", in the same order as the records.
source_insns() {
	awk '!/^[ \t]*$/ && !/^[ \t]*\./ && !/:[ \t]*$/ { printf "%d\t%s\n", NR, $0 }' "$1"
}

if ! "$gen" >"$tmp/enc.s"; then
	echo "encoding: generator $gen failed" >&2
	exit 1
fi
if ! as --64 --fatal-warnings -o "$tmp/gas.o" "$tmp/enc.s" 2>"$tmp/gas.err"; then
	echo "encoding: GNU as rejected the generated source (generator bug):" >&2
	head -n 20 "$tmp/gas.err" >&2
	exit 1
fi
"$talas" -o "$tmp/talas.o" "$tmp/enc.s" >"$tmp/talas.out" 2>&1
rc=$?
if [ $rc -ne 0 ] || [ ! -s "$tmp/talas.o" ]; then
	echo "encoding: $talas failed (exit $rc) on the generated source:" >&2
	head -n 20 "$tmp/talas.out" >&2
	nerr=$(grep -c . "$tmp/talas.out")
	echo "($nerr lines of messages; source lines follow)" >&2
	grep -o 'enc\.s:[0-9]*' "$tmp/talas.out" | head -n 10 | while IFS=: read -r _ ln; do
		printf '  %6d: %s\n' "$ln" "$(sed -n "${ln}p" "$tmp/enc.s")" >&2
	done
	exit 1
fi

for who in gas talas; do
	if ! records "$tmp/$who.o" >"$tmp/$who.rec" 2>"$tmp/$who.objdump"; then
		echo "encoding: objdump cannot read the $who object:" >&2
		head -n 5 "$tmp/$who.objdump" >&2
		exit 1
	fi
done
source_insns "$tmp/enc.s" >"$tmp/src.lst"

# Pair the k-th record of each side with the k-th source instruction.
awk -F'\t' -v G="$tmp/gas.rec" -v T="$tmp/talas.rec" -v S="$tmp/src.lst" '
function side(tag, r,    f) {
	split(r, f, "\t")
	printf "    %-6s %-8s %-30s %s%s\n", tag, f[2] ":", f[4], f[6], f[5] == "" ? "" : "   [" f[5] "]"
}
BEGIN {
	while ((getline l < G) > 0) g[++ng] = l
	while ((getline l < T) > 0) t[++nt] = l
	while ((getline l < S) > 0) s[++ns] = l
	n = ng > nt ? ng : nt
	bad = 0
	for (k = 1; k <= n; k++) {
		split(g[k], a, "\t"); split(t[k], b, "\t")
		if (k <= ng && k <= nt && a[3] == b[3] && a[4] == b[4] && a[5] == b[5])
			continue
		if (++bad == 1) {
			printf "encoding: first mismatch at instruction %d; context:\n", k
			for (j = k - 3; j <= k + 3; j++) {
				if (j < 1 || j > n) continue
				split(s[j], src, "\t")
				printf "  %s line %s: %s\n", j == k ? ">>" : "  ", src[1], src[2]
				if (j <= ng) side("gas", g[j]); else print "    gas    (none)"
				if (j <= nt) side("talas", t[j]); else print "    talas  (none)"
			}
			print "encoding: mismatches (source line, gas, talas):"
		}
		if (bad <= 40) {
			split(s[k], src, "\t")
			printf "  line %s: %s\n", src[1], src[2]
			if (k <= ng) side("gas", g[k]); else print "    gas    (none)"
			if (k <= nt) side("talas", t[k]); else print "    talas  (none)"
		}
	}
	if (ng != ns)
		printf "encoding: warning: %d source instructions but gas produced %d\n", ns, ng
	if (nt != ng)
		printf "encoding: gas produced %d instructions, talas %d\n", ng, nt
	if (bad > 40)
		printf "  ... %d more\n", bad - 40
	printf "encoding: %d instructions compared, %d mismatches\n", ng, bad
	exit (bad > 0 || nt != ng)
}'
