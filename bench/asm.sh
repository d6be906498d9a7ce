#!/usr/bin/env bash
#
# bench/asm.sh - time talas against GNU as on one large generated source.
#
#   bench/asm.sh                 talas from build/talas (relative to the repo)
#   TALAS=/path/to/talas bench/asm.sh
#
# Environment (all optional):
#   TALAS        talas binary            (default: <repo>/build/talas)
#   BENCH_LINES  input size in lines     (default: 1000000)
#   BENCH_SEED   generator seed          (default: 1)
#   BENCH_RUNS   timed runs per tool     (default: 5 with hyperfine, else 3)
#   BENCH_JSON   hyperfine JSON export   (default: <repo>/build/bench/asm.json)
#   CC           C compiler for the generator (default: cc)
#
# Exit: 0 done and .text identical, 1 .text differs or a tool failed,
#       2 setup problem (talas, as, objcopy or cc missing).

set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
talas=${TALAS:-$root/build/talas}
lines=${BENCH_LINES:-1000000}
seed=${BENCH_SEED:-1}
cc=${CC:-cc}

die() { echo "asm.sh: $*" >&2; exit 2; }

[ -x "$talas" ] || die "no talas at $talas (build it, or set TALAS)"
talas=$(cd "$(dirname "$talas")" && pwd)/$(basename "$talas")
for tool in as objcopy "$cc"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/talas-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# The input: the generator is compiled afresh so the script needs no build.
"$cc" -std=c11 -O2 -o "$tmp/gen_asm" "$root/bench/gen_asm.c" || die "cannot compile gen_asm.c"
"$tmp/gen_asm" "$lines" "$seed" >"$tmp/bench.s"
nlines=$(wc -l <"$tmp/bench.s")
nbytes=$(wc -c <"$tmp/bench.s")
echo "input:  $nlines lines, $((nbytes / 1024)) KiB (bench/gen_asm.c, seed $seed)"

# Both assemblers once: a failure stops here, and it warms the page cache.
if ! as --64 -o "$tmp/gas.o" "$tmp/bench.s" 2>"$tmp/gas.err"; then
	head -n 5 "$tmp/gas.err" >&2
	echo "asm.sh: GNU as rejected the input" >&2
	exit 1
fi
if ! "$talas" -o "$tmp/talas.o" "$tmp/bench.s" 2>"$tmp/talas.err"; then
	head -n 5 "$tmp/talas.err" >&2
	echo "asm.sh: talas rejected the input" >&2
	exit 1
fi

# Same machine code?  Only .text is compared (relocations are not).
objcopy -O binary -j .text "$tmp/gas.o" "$tmp/gas.text"
objcopy -O binary -j .text "$tmp/talas.o" "$tmp/talas.text"
same=0
if cmp -s "$tmp/gas.text" "$tmp/talas.text"; then
	same=1
	echo ".text:  identical ($(wc -c <"$tmp/gas.text") bytes)"
else
	echo ".text:  DIFFERENT (gas $(wc -c <"$tmp/gas.text") bytes, talas $(wc -c <"$tmp/talas.text") bytes)"
	cmp "$tmp/gas.text" "$tmp/talas.text" 2>&1 | head -n 1 |
		sed -n 's/.*differ: [a-z]* \([0-9]*\),.*/        first difference at byte \1 of .text/p' || true
fi

q_talas=$(printf '%q' "$talas")
q_in=$(printf '%q' "$tmp/bench.s")
q_out=$(printf '%q' "$tmp/run.o")
cmd_talas="$q_talas -o $q_out $q_in"
cmd_gas="as --64 -o $q_out $q_in"

# Seconds per run for talas and for GNU as, one "talas gas" line on stdout.
time_hyperfine() {
	local json=${BENCH_JSON:-$root/build/bench/asm.json}
	mkdir -p "$(dirname "$json")"
	hyperfine --warmup 1 --runs "${BENCH_RUNS:-5}" --style basic -N \
		--export-json "$json" -n talas "$cmd_talas" -n "GNU as" "$cmd_gas" >&2
	echo "timing: hyperfine, mean of ${BENCH_RUNS:-5} runs; JSON in $json" >&2
	awk -F': *' '/"mean"/ { sub(/,.*/, "", $2); printf "%s ", $2 } END { print "" }' "$json"
}

# Without hyperfine: best wall time of a few runs, measured by bash.
best_of() {
	local cmd=$1 best='' s e d
	for _ in $(seq "${BENCH_RUNS:-3}"); do
		s=$EPOCHREALTIME
		eval "$cmd" >/dev/null
		e=$EPOCHREALTIME
		d=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')
		if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then
			best=$d
		fi
	done
	echo "$best"
}

if command -v hyperfine >/dev/null 2>&1; then
	read -r t_talas t_gas < <(time_hyperfine)
else
	echo "timing: hyperfine not found; best of ${BENCH_RUNS:-3} runs (bash)" >&2
	t_talas=$(best_of "$cmd_talas")
	t_gas=$(best_of "$cmd_gas")
fi

awk -v n="$nlines" -v t="$t_talas" -v g="$t_gas" 'BEGIN {
	printf "talas:  %8.3f s  %12.0f lines/s\n", t, n / t
	printf "GNU as: %8.3f s  %12.0f lines/s\n", g, n / g
	if (t <= g)
		printf "talas is %.1fx faster than GNU as\n", g / t
	else
		printf "talas is %.1fx slower than GNU as\n", t / g
}'

[ "$same" -eq 1 ] || exit 1
