#!/usr/bin/env bash
#
# run_encoding.sh TALAS GEN WORKDIR
#
# Differential encoding test: GEN (gen_encoding) prints an .intel_syntax
# noprefix source covering every row of common/x86.def; GNU as and TALAS
# assemble it, and the two objects' `objdump -dr -M intel` listings are
# compared instruction by instruction: the section, the raw bytes and the
# relocations (type, symbol+addend, offset within the instruction) must be
# identical.
#
# Not compared: objdump's file header, symbol heading lines and the
# <symbol+offset> annotations (which local labels an assembler keeps in its
# symbol table is not an encoding matter), and the `# address` comments.
# The disassembly text is printed, not compared: it follows from the bytes.
#
# The whole file is compared first.  If it differs, or talas rejects it, the
# source is split into its units (the generator's "# unit N: ..." comments;
# each unit is a valid source on its own) and talas assembles each unit
# alone (gas's records are cut from its whole-file output), so that one
# wrong instruction length or one rejected line cannot hide the rest.  The
# report then gives, per unit that differs, the first differing instruction
# with context: the source line (numbered as in the generator's output),
# gas's and talas's bytes and relocations.  The instructions of a unit that
# talas rejects all count as mismatches.  ENCODING_DETAILS=N (default 25)
# sets how many units are shown in full; the others get one line each.
#
# Exit: 0 identical, 1 mismatch or an assembler failed, 2 usage,
#       77 GNU as or objdump missing (ctest counts it as skipped).
# Set ENCODING_KEEP=1 to keep the work directory (path printed at the end).

set -u -o pipefail

if [ $# -ne 3 ]; then
	echo "usage: $0 TALAS GEN WORKDIR" >&2
	exit 2
fi
talas=$1 gen=$2 workdir=$3

for tool in as objdump awk; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "encoding: SKIPPED, $tool not found" >&2
		exit 77
	fi
done

mkdir -p "$workdir" || exit 2
tmp=$(mktemp -d "$workdir/encoding.XXXXXX") || exit 2
cleanup() {
	if [ "${ENCODING_KEEP:-0}" = 1 ]; then
		echo "encoding: work files kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Instruction records of an object, one a line, tab-separated:
#   index  address  section  bytes  relocations  text
# A relocation is written "type symbol+addend @offset-in-instruction".
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
	/^Disassembly of section / {
		flush(); sec = $0
		sub(/^Disassembly of section /, "", sec); sub(/:$/, "", sec)
		next
	}
	/^[0-9a-f]+ <.*>:$/ { next }
	/^\t\t\t[0-9a-f]+: R_/ {
		split($4, a, ": ")
		r = a[2] " " $5 " @" (hex(a[1]) - hex(addr))
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
		gsub(/ *<[^>]*>/, "", text); sub(/ +# [0-9a-f]+$/, "", text)
		gsub(/  +/, " ", text)
		next
	}
	END { flush() }'
}

# Records of the object $2 into $3; on failure say which and return 1.
records_of() {
	if ! records "$2" >"$3" 2>"$3.err"; then
		echo "encoding: objdump cannot read the $1 object:" >&2
		head -n 5 "$3.err" >&2
		return 1
	fi
}

# The first $3 messages of $1, each followed by the line of source file $2
# it points at ("file:line:..."), since the work files do not outlive us.
show_errors() {
	head -n "$3" "$1" | while IFS= read -r msg; do
		printf '    %s\n' "$msg"
		ln=$(printf '%s\n' "$msg" | sed -n 's/^[^:]*\.s:\([0-9][0-9]*\):.*/\1/p')
		[ -n "$ln" ] && printf '      | %s\n' "$(sed -n "${ln}p" "$2")"
	done
	return 0
}

# Only what must match: section, bytes, relocations.
essence() {
	cut -f3-5 "$1"
}

# Compare records G and T, the k-th of each being the k-th line of S
# ("lineno<TAB>source").  Prints "STAT ng nt mismatches" first, then, when
# they differ, the first mismatch with 2 instructions of context each side.
compare() {
	awk -F'\t' -v G="$1" -v T="$2" -v S="$3" '
	function side(tag, k, n, r,    f) {
		if (k > n) { printf "      %-6s (none)\n", tag; return }
		split(r, f, "\t")
		printf "      %-6s %-30s %s%s\n", tag, f[4], f[6], f[5] == "" ? "" : "   [" f[5] "]"
	}
	function same(k,    a, b) {
		if (k > ng || k > nt) return 0
		split(g[k], a, "\t"); split(t[k], b, "\t")
		return a[3] == b[3] && a[4] == b[4] && a[5] == b[5]
	}
	BEGIN {
		while ((getline l < G) > 0) g[++ng] = l
		while ((getline l < T) > 0) t[++nt] = l
		while ((getline l < S) > 0) s[++ns] = l
		n = ng > nt ? ng : nt
		for (k = 1; k <= n; k++)
			if (!same(k) && !bad++) first = k
		printf "STAT %d %d %d\n", ng, nt, bad
		if (!bad) exit 0
		if (nt != ng) printf "    gas: %d instructions, talas: %d\n", ng, nt
		for (j = first - 2; j <= first + 2; j++) {
			if (j < 1 || j > n) continue
			split(s[j], src, "\t")
			printf "  %s line %s: %s\n", j == first ? ">>" : "  ", src[1], src[2]
			side("gas", j, ng, g[j])
			side("talas", j, nt, t[j])
		}
	}'
}

# Split enc.s into units: $tmp/u/N.s (header + unit), $tmp/u/N.src
# (instruction lines with their line numbers in enc.s), $tmp/units
# ("N<TAB>description<TAB>instructions"); then cut gas's records of the whole
# file into $tmp/u/N.gas.rec, since each unit's code is position-independent
# (labels of other sections are all at offset 0, branches are relative).
split_units() {
	mkdir -p "$tmp/u"
	awk -v D="$tmp/u" -v L="$tmp/units" '
	function insn(l) { return l !~ /^[ \t]*$/ && l !~ /^[ \t]*[.#]/ && l !~ /:[ \t]*$/ }
	function done() {
		if (!f) return
		close(f); close(sf)
		print u "\t" d "\t" n > L
	}
	/^# unit [0-9]+:/ {
		done()
		u = $3; sub(/:$/, "", u); n = 0
		f = D "/" u ".s"; sf = D "/" u ".src"
		d = $0; sub(/^# unit [0-9]+: /, "", d)
		printf "%s", head > f
		printf "" > sf
	}
	!f { head = head $0 "\n"; next }
	{ print > f; if (insn($0)) { printf "%d\t%s\n", NR, $0 > sf; n++ } }
	END { done() }' "$tmp/enc.s"
	awk -F'\t' -v D="$tmp/u" -v L="$tmp/units" '
	function next_unit() {
		if (f) close(f)
		if ((getline l < L) <= 0) { f = ""; left = -1; return }
		split(l, a, "\t"); f = D "/" a[1] ".gas.rec"; left = a[3]
		printf "" > f
	}
	BEGIN { next_unit() }
	{
		while (left == 0) next_unit()
		if (left < 0) exit 1
		print > f; left--
	}
	END { while (left == 0) next_unit() }' "$tmp/gas.rec"
}

# Assemble and compare unit $1 ($2: description); report to stdout.
# Prints "UNIT ng bad rejected" as its first line for the tally.
check_unit() {
	local u=$1 what=$2 base=$tmp/u/$1
	local ng
	ng=$(wc -l <"$base.gas.rec")
	local rc=0
	"$talas" -o "$base.talas.o" "$base.s" >"$base.talas.err" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ ! -s "$base.talas.o" ]; then
		echo "UNIT $ng $ng 1"
		echo "  unit $u ($what): talas rejected it (exit $rc):"
		show_errors "$base.talas.err" "$base.s" 3
		return
	fi
	records_of talas "$base.talas.o" "$base.talas.rec" || { echo "UNIT $ng $ng 1"; return; }
	compare "$base.gas.rec" "$base.talas.rec" "$base.src" >"$base.cmp"
	local bad
	read -r _ _ _ bad <"$base.cmp"
	echo "UNIT $ng $bad 0"
	if [ "$bad" -gt 0 ]; then
		echo "  unit $u ($what): $bad of $ng instructions differ"
		tail -n +2 "$base.cmp"
	fi
}

# All units, a few at a time; then details of the first $1 units that
# differ, and a line for each of the rest.
check_units() {
	local limit=$1 shown=0 total=0 badi=0 badu=0 rej=0 running=0 u what ng bad r
	local max
	max=$(nproc 2>/dev/null || echo 4)
	split_units
	while IFS=$'\t' read -r u what _; do
		check_unit "$u" "$what" >"$tmp/u/$u.report" &
		running=$((running + 1))
		if [ $running -ge "$max" ]; then
			wait -n
			running=$((running - 1))
		fi
	done <"$tmp/units"
	wait
	while IFS=$'\t' read -r u what _; do
		read -r _ ng bad r <"$tmp/u/$u.report"
		total=$((total + ng)); badi=$((badi + bad)); rej=$((rej + r))
		[ "$bad" -gt 0 ] || [ "$r" -gt 0 ] || continue
		badu=$((badu + 1))
		if [ $shown -lt "$limit" ]; then
			tail -n +2 "$tmp/u/$u.report"
		else
			sed -n 2p "$tmp/u/$u.report"
		fi
		shown=$((shown + 1))
	done <"$tmp/units"
	nunits=$(wc -l <"$tmp/units")
	echo "encoding: $badu of $nunits units differ ($rej rejected by talas)"
	echo "encoding: $total instructions compared, $badi mismatches"
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
records_of gas "$tmp/gas.o" "$tmp/gas.rec" || exit 1
ng=$(wc -l <"$tmp/gas.rec")

# The whole file: the common, fast case.
if "$talas" -o "$tmp/talas.o" "$tmp/enc.s" >"$tmp/talas.err" 2>&1 && [ -s "$tmp/talas.o" ]; then
	records_of talas "$tmp/talas.o" "$tmp/talas.rec" || exit 1
	if essence "$tmp/gas.rec" | cmp -s - <(essence "$tmp/talas.rec"); then
		echo "encoding: $ng instructions compared, 0 mismatches"
		exit 0
	fi
	echo "encoding: the objects differ; comparing unit by unit"
else
	echo "encoding: talas rejected the whole file:"
	show_errors "$tmp/talas.err" "$tmp/enc.s" 10
	echo "encoding: comparing unit by unit"
fi
check_units "${ENCODING_DETAILS:-25}"
exit 1
