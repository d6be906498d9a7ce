#!/usr/bin/env bash
#
# bench/check.sh - how fast talcheck verifies, and how its time grows with
# the size of the code; compared with Zydis decoding the same machine code
# and with wasm-validate checking a comparable WebAssembly module.  talcheck
# runs as by default (threads when the code is large) and, for the largest
# program, in one thread as well (-j 1).  The programs' functions come in
# a few shapes whose label types are the very same types; the largest
# program is also timed with each function's binders named apart
# (gen_check ... distinct), so that every function has types of its own.
#
#   bench/check.sh               talas and talcheck from build/ in the repo
#
# Environment (all optional):
#   TALAS        talas binary            (default: <repo>/build/talas)
#   TALCHECK     talcheck binary         (default: <repo>/build/talcheck)
#   TALLINK      tallink binary          (default: <repo>/build/tallink): the
#                largest program is also linked into a module and checked
#   BENCH_SIZES  program sizes, in instructions, smallest first
#                                        (default: "50000 100000 200000 400000")
#   BENCH_SEED   generator seed          (default: 1)
#   BENCH_RUNS   timed runs per command  (default: 5 with hyperfine, else 3)
#   BENCH_ROUNDS rounds of talcheck, Zydis and wasm-validate back to back,
#                                        for the side-by-side ratios (default: 11)
#   BENCH_JSON   hyperfine JSON export   (default: <repo>/build/bench/check.json)
#   CC           C compiler for the helpers (default: cc)
#
# Exit: 0 done, 1 a program failed to assemble or verify (or Zydis or
#       wasm-validate rejected what they were given), 2 setup problem.

set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
talas=${TALAS:-$root/build/talas}
talcheck=${TALCHECK:-$root/build/talcheck}
tallink=${TALLINK:-$root/build/tallink}
read -r -a sizes <<<"${BENCH_SIZES:-50000 100000 200000 400000}"
seed=${BENCH_SEED:-1}
cc=${CC:-cc}

die() { echo "check.sh: $*" >&2; exit 2; }
fail() { echo "check.sh: $*" >&2; exit 1; }

[ ${#sizes[@]} -ge 1 ] || die "BENCH_SIZES is empty"
for t in "$talas" "$talcheck" "$tallink"; do
	[ -x "$t" ] || die "no $(basename "$t") at $t (build it, or set TALAS / TALCHECK / TALLINK)"
done
talas=$(cd "$(dirname "$talas")" && pwd)/$(basename "$talas")
talcheck=$(cd "$(dirname "$talcheck")" && pwd)/$(basename "$talcheck")
for tool in objdump objcopy "$cc"; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool not found"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/talcheck-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

"$cc" -std=c11 -O2 -o "$tmp/gen_check" "$root/bench/gen_check.c" || die "cannot compile gen_check.c"

# "functions F instructions I" (the generator's last line on stderr) -> "F I"
counts() { awk '/^functions [0-9]+ instructions [0-9]+$/ { f = $2; i = $4 } END { print f, i }' "$1"; }

# 400000 -> 400k; 1234 -> 1234
lbl() { if [ $(($1 % 1000)) -eq 0 ]; then echo "$(($1 / 1000))k"; else echo "$1"; fi; }

# 1. The programs: generate, assemble, verify, count.
echo "programs (bench/gen_check.c, seed $seed): assembled with talas, verified with talcheck"
printf '  %-8s %9s %13s %12s  %s\n' size functions instructions ".text bytes" talcheck
declare -a insns funcs
for k in "${!sizes[@]}"; do
	n=${sizes[$k]}
	p=$tmp/p$n
	"$tmp/gen_check" tal "$n" "$seed" >"$p.tal" 2>"$p.gen" || die "gen_check failed"
	read -r f i < <(counts "$p.gen")
	if ! "$talas" -o "$p.o" "$p.tal" 2>"$p.err"; then
		head -n 5 "$p.err" >&2
		fail "talas rejected the $n-instruction program"
	fi
	if ! "$talcheck" -fdiagnostics-color=never "$p.o" >"$p.out" 2>"$p.err"; then
		head -n 8 "$p.err" >&2
		fail "talcheck rejected the $n-instruction program"
	fi
	# The disassembler's count must be the generator's.
	d=$(objdump -d --no-show-raw-insn "$p.o" | grep -cP '^\s+[0-9a-f]+:\t' || true)
	[ "$d" = "$i" ] || fail "objdump counts $d instructions, the generator wrote $i"
	objcopy -O binary -j .text "$p.o" "$p.text"
	printf '  %-8s %9d %13d %12d  %s\n' "$(lbl "$n")" "$f" "$i" "$(wc -c <"$p.text")" verified
	insns[$k]=$i
	funcs[$k]=$f
done
last=$((${#sizes[@]} - 1))
big=$tmp/p${sizes[$last]}
# The largest program linked into a module (what a host loads): the same code and types.
"$tallink" -I "$root/runtime" -o "$big.tlm" "$big.o" 2>"$tmp/link.err" || { head -n 5 "$tmp/link.err" >&2; fail "tallink failed on the largest program"; }
"$talcheck" -fdiagnostics-color=never "$big.tlm" >/dev/null 2>"$tmp/link.err" || { head -n 8 "$tmp/link.err" >&2; fail "talcheck rejected the module"; }
printf '  the %s program linked into a module (tallink): %d bytes, verified\n' "$(lbl "${sizes[$last]}")" "$(wc -c <"$big.tlm")"
# The same program with each function's binders named apart: types of its own.
dis=$tmp/d${sizes[$last]}
"$tmp/gen_check" tal "${sizes[$last]}" "$seed" distinct >"$dis.tal" 2>/dev/null || die "gen_check failed"
"$talas" -o "$dis.o" "$dis.tal" 2>"$tmp/dis.err" && "$tallink" -I "$root/runtime" -o "$dis.tlm" "$dis.o" 2>>"$tmp/dis.err" &&
	"$talcheck" -fdiagnostics-color=never "$dis.tlm" >/dev/null 2>>"$tmp/dis.err" || { head -n 8 "$tmp/dis.err" >&2; fail "the program with distinct types did not assemble, link or verify"; }
printf '  the same with every function'"'"'s binders named apart (distinct types), as a module: %d bytes, verified\n' "$(wc -c <"$dis.tlm")"

# The WebAssembly counterpart of the largest program, if wabt is there.
wasm=0
if command -v wasm-validate >/dev/null 2>&1 && command -v wat2wasm >/dev/null 2>&1; then
	"$tmp/gen_check" wat "${funcs[$last]}" >"$tmp/m.wat" 2>"$tmp/m.gen" || die "gen_check failed"
	read -r wf wi < <(counts "$tmp/m.gen")
	wat2wasm -o "$tmp/m.wasm" "$tmp/m.wat" 2>"$tmp/m.err" || { head -n 5 "$tmp/m.err" >&2; fail "wat2wasm rejected the module"; }
	wasm-validate "$tmp/m.wasm" 2>"$tmp/m.err" || { head -n 5 "$tmp/m.err" >&2; fail "wasm-validate rejected the module"; }
	if command -v wasm-objdump >/dev/null 2>&1; then
		# one line per instruction, plus the local declarations
		d=$(wasm-objdump -d "$tmp/m.wasm" | grep -P '^ [0-9a-f]+: [0-9a-f ]+\| ' | grep -vc '| local\[' || true)
		[ "$d" = "$wi" ] || fail "wasm-objdump counts $d instructions, the generator wrote $wi"
	fi
	wasm=1
else
	echo "wasm-validate or wat2wasm not found (Debian package wabt): no WebAssembly comparison"
fi

# 2. Timing.  Every command gets a name; "mean stddev" per line, in order.
# talcheck as it runs by default (threads: one per processor, each with
# 64 KiB of code or more), then the largest program in one thread (-j 1).
names=() cmds=()
for n in "${sizes[@]}"; do
	names+=("talcheck $(lbl "$n")")
	cmds+=("$(printf '%q %q' "$talcheck" "$tmp/p$n.o")")
done
one=${#cmds[@]}
names+=("talcheck -j 1 $(lbl "${sizes[$last]}")")
cmds+=("$(printf '%q -j 1 %q' "$talcheck" "$big.o")")
module=${#cmds[@]}
names+=("talcheck module $(lbl "${sizes[$last]}")")
cmds+=("$(printf '%q %q' "$talcheck" "$big.tlm")")
distinct=${#cmds[@]}
names+=("talcheck module distinct $(lbl "${sizes[$last]}")")
cmds+=("$(printf '%q %q' "$talcheck" "$dis.tlm")")
if [ "$wasm" -eq 1 ]; then
	names+=("wasm-validate")
	cmds+=("$(printf 'wasm-validate %q' "$tmp/m.wasm")")
fi

time_hyperfine() {
	local json=${BENCH_JSON:-$root/build/bench/check.json} args=() j
	mkdir -p "$(dirname "$json")"
	for j in "${!cmds[@]}"; do args+=(-n "${names[$j]}" "${cmds[$j]}"); done
	hyperfine -N --warmup 1 --runs "${BENCH_RUNS:-5}" --style none \
		--export-json "$json" "${args[@]}" >/dev/null
	awk -F': *' '/"mean"/ { sub(/,.*/, "", $2); m = $2 }
		/"stddev"/ { sub(/,.*/, "", $2); print m, ($2 == "null" ? 0 : $2) }' "$json"
}

best_of() {
	local cmd=$1 best='' s e d
	for _ in $(seq "${BENCH_RUNS:-3}"); do
		s=$EPOCHREALTIME
		eval "$cmd" >/dev/null 2>&1
		e=$EPOCHREALTIME
		d=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')
		if [ -z "$best" ] || awk -v d="$d" -v b="$best" 'BEGIN { exit !(d < b) }'; then
			best=$d
		fi
	done
	echo "$best -"
}

echo
declare -a mean sd
if command -v hyperfine >/dev/null 2>&1; then
	echo "timing: hyperfine -N, mean ± σ of ${BENCH_RUNS:-5} runs after 1 warm-up; JSON in ${BENCH_JSON:-$root/build/bench/check.json}"
	j=0
	while read -r m s; do mean[$j]=$m; sd[$j]=$s; j=$((j + 1)); done < <(time_hyperfine)
	[ "$j" -eq "${#cmds[@]}" ] || die "hyperfine gave $j results for ${#cmds[@]} commands"
else
	echo "timing: hyperfine not found; best of ${BENCH_RUNS:-3} runs (bash), no σ"
	for j in "${!cmds[@]}"; do read -r mean[$j] sd[$j] < <(best_of "${cmds[$j]}"); done
fi

printf '  %-8s %13s %10s %9s %15s\n' size instructions seconds "± σ" instructions/s
for k in "${!sizes[@]}"; do
	awk -v s="$(lbl "${sizes[$k]}")" -v i="${insns[$k]}" -v t="${mean[$k]}" -v d="${sd[$k]}" \
		'BEGIN { printf "  %-8s %13d %10.4f %9s %15.0f\n", s, i, t, (d == "-" ? d : sprintf("%.4f", d)), i / t }'
done
t_big=${mean[$last]}
rate_big=$(awk -v i="${insns[$last]}" -v t="$t_big" 'BEGIN { printf "%.0f", i / t }')
t_one=${mean[$one]}
rate_one=$(awk -v i="${insns[$last]}" -v t="$t_one" 'BEGIN { printf "%.0f", i / t }')
awk -v s="$(lbl "${sizes[$last]}")" -v t="$t_one" -v d="${sd[$one]}" -v r="$rate_one" -v b="$t_big" -v p="$(nproc 2>/dev/null || echo '?')" \
	'BEGIN { printf "  %-8s in one thread (-j 1): %.4f s%s, %.0f instructions/s; by default (%s processors) %.2fx faster\n", s, t, (d == "-" ? "" : sprintf(" ± %.4f", d)), r, p, t / b }'
awk -v s="$(lbl "${sizes[$last]}")" -v t="${mean[$module]}" -v d="${sd[$module]}" -v i="${insns[$last]}" \
	'BEGIN { printf "  %-8s linked into a module: %.4f s%s, %.0f instructions/s\n", s, t, (d == "-" ? "" : sprintf(" ± %.4f", d)), i / t }'
awk -v s="$(lbl "${sizes[$last]}")" -v t="${mean[$distinct]}" -v d="${sd[$distinct]}" -v i="${insns[$last]}" -v m="${mean[$module]}" \
	'BEGIN { printf "  %-8s a module with distinct types: %.4f s%s, %.0f instructions/s (%.1fx the time of the shared types)\n", s, t, (d == "-" ? "" : sprintf(" ± %.4f", d)), i / t, t / m }'
if [ "$last" -gt 0 ]; then
	awk -v a="${mean[0]}" -v b="$t_big" -v ia="${insns[0]}" -v ib="${insns[$last]}" 'BEGIN {
		r = b / a; x = ib / ia
		if (r <= 1.25 * x && r >= 0.8 * x) how = "grows linearly"
		else if (r > 1.25 * x) how = "grows faster than linearly"
		else how = "grows less than linearly"
		printf "verification time %s: ratio %.2f for %.0fx the code (ideal %.1f)\n", how, r, x, x
	}'
fi
# With three sizes or more: the least-squares line through (instructions,
# seconds), its fixed part (start-up: the process, the threads) and its
# slope; the time grows linearly if every size is within 15% of the line,
# or within twice its own σ (a noisy measurement is no evidence against).
if [ "$last" -gt 1 ]; then
	pts=()
	for k in "${!sizes[@]}"; do pts+=("${insns[$k]}" "${mean[$k]}" "${sd[$k]}"); done
	awk -v pts="${pts[*]}" 'BEGIN {
		n = split(pts, v, " ") / 3
		for (i = 1; i <= n; i++) {
			x[i] = v[3 * i - 2]; y[i] = v[3 * i - 1]; d[i] = (v[3 * i] == "-" ? 0 : v[3 * i])
			sx += x[i]; sy += y[i]; sxx += x[i] * x[i]; sxy += x[i] * y[i]
		}
		b = (n * sxy - sx * sy) / (n * sxx - sx * sx); a = (sy - b * sx) / n
		for (i = 1; i <= n; i++) {
			e = y[i] - (a + b * x[i]); if (e < 0) e = -e
			if (e / y[i] > worst) worst = e / y[i]
			if (e > 0.15 * y[i] && e > 2 * d[i]) off++
		}
		printf "a line through the %d sizes: %.2f ms + %.1f ns an instruction (%.1f M instructions/s at the margin); ", n, a * 1e3, b * 1e9, (b > 0 ? 1e-6 / b : 0)
		printf "the farthest size is %.0f%% off it: %s\n", 100 * worst, (off ? "not linear (off by more than 15% and 2 sigma)" : "linear (within 15% or 2 sigma)")
	}'
fi

# 3. Zydis decoding the largest program's .text.
echo
if [ -f /usr/include/Zydis/Zydis.h ] &&
	"$cc" -std=c11 -O2 -o "$tmp/zydis_rate" "$root/bench/zydis_rate.c" -lZydis 2>"$tmp/zr.err"; then
	if ! "$tmp/zydis_rate" "$big.text" >"$tmp/zr.out" 2>"$tmp/zr.err"; then
		cat "$tmp/zr.err" >&2
		fail "Zydis could not decode the .text of the ${sizes[$last]}-instruction program"
	fi
	read -r _ zi _ zp _ zt _ zr <"$tmp/zr.out"
	[ "$zi" = "${insns[$last]}" ] || fail "Zydis decodes $zi instructions, the generator wrote ${insns[$last]}"
	printf 'Zydis (ZydisDecoderDecodeFull, 64-bit): %d instructions x %d passes in %.3f s: %.0f instructions/s\n' \
		"$zi" "$zp" "$zt" "$zr"
	awk -v t="$rate_big" -v o="$rate_one" -v z="$zr" -v s="$(lbl "${sizes[$last]}")" \
		'BEGIN { printf "talcheck (%s, %.0f instructions/s) verifies at %.1f%% of Zydis'"'"'s raw decoding speed; in one thread %.1f%%\n", s, t, 100 * t / z, 100 * o / z }'
else
	echo "Zydis not usable (no /usr/include/Zydis/Zydis.h or -lZydis; Debian package libzydis-dev): no decoder comparison"
fi

# 4. wasm-validate on the WebAssembly module; peak memory of both.
mem() { /usr/bin/time -f %M -o "$tmp/mem" "$@" >/dev/null 2>&1 && cat "$tmp/mem"; }
have_time=0
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$tmp/mem" "$talcheck" --version >/dev/null 2>&1; then have_time=1; fi
echo
if [ "$wasm" -eq 1 ]; then
	w=$((distinct + 1))
	wt=${mean[$w]}
	printf 'WebAssembly (%s): %d functions, the summing loop in each: %d instructions (%.2fx the x86 count), %d bytes\n' \
		"$(wasm-validate --version 2>/dev/null | head -n 1 | sed 's/^/wabt /')" "$wf" "$wi" \
		"$(awk -v a="$wi" -v b="${insns[$last]}" 'BEGIN { print a / b }')" "$(wc -c <"$tmp/m.wasm")"
	awk -v i="$wi" -v t="$wt" -v d="${sd[$w]}" \
		'BEGIN { printf "wasm-validate: %.4f s%s: %.0f instructions/s\n", t, (d == "-" ? "" : sprintf(" ± %.4f", d)), i / t }'
	awk -v r="$rate_big" -v i="$wi" -v t="$wt" -v tt="$t_big" -v f="$wf" 'BEGIN {
		printf "talcheck verifies at %.1f%% of wasm-validate'"'"'s rate per instruction\n", 100 * r / (i / t)
		printf "for the same %d functions: talcheck %.4f s, wasm-validate %.4f s (talcheck takes %.2fx the time)\n", f, tt, t, tt / t
	}'
	awk -v o="$t_one" -v t="$wt" 'BEGIN { printf "in one thread: talcheck %.4f s (%.2fx wasm-validate'"'"'s time, which runs in one)\n", o, o / t }'
fi
if [ "$have_time" -eq 1 ]; then
	line="peak memory (max RSS): talcheck $(mem "$talcheck" "$big.o") KB on the $(lbl "${sizes[$last]}") program"
	[ "$wasm" -eq 1 ] && line="$line, wasm-validate $(mem wasm-validate "$tmp/m.wasm") KB on its module"
	echo "$line"
	# Where talcheck's processor time goes: its own code, or the kernel
	# (mostly page faults: each page of memory it touches first).  Ten runs
	# under one clock, for /usr/bin/time counts hundredths of a second; the
	# same loop around /bin/true is taken off (the shell's own share).
	ten() { /usr/bin/time -f '%U %S %R' -o "$tmp/cpu" bash -c 'for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null 2>&1 || exit 1; done' _ "$@"; }
	ten /bin/true || die "/usr/bin/time could not run /bin/true"
	read -r u0 s0 f0 <"$tmp/cpu"
	for how in default "-j 1"; do
		j=()
		[ "$how" = default ] || j=(-j 1)
		ten "$talcheck" "${j[@]}" "$big.o" || fail "talcheck $how failed on the ${sizes[$last]}-instruction program"
		read -r us ss pf <"$tmp/cpu"
		awk -v h="$how" -v u="$us" -v s="$ss" -v f="$pf" -v u0="$u0" -v s0="$s0" -v f0="$f0" -v p="$(lbl "${sizes[$last]}")" \
			'BEGIN { u = (u - u0) / 10; s = (s - s0) / 10; f = (f - f0) / 10
			printf "processor time of talcheck %s on the %s program, mean of 10 runs: user %.4f s, system %.4f s (%.0f%% in the kernel), %d page faults\n", h, p, u, s, (u + s > 0 ? 100 * s / (u + s) : 0), f }'
	done
else
	echo "/usr/bin/time not found (Debian package time): no peak memory"
fi

# 5. Side by side.  The machine's speed drifts (other tenants, the clock
# of its processors), and the ratios above are of measurements taken one
# after another, minutes apart.  Here each of BENCH_ROUNDS rounds (default
# 11) runs talcheck by default on the object and on the module (what a
# host loads: it is read without its ELF symbol table, which the module's
# checks never look at), talcheck -j 1 on the object, Zydis (3 passes) and
# wasm-validate back to back on the largest program, and what is printed
# is the median of the rounds' own ratios.  A run is timed from the shell
# ($EPOCHREALTIME, a builtin): its process start-up counts, as with
# hyperfine -N.  Each round starts with an untimed run of talcheck, as
# hyperfine warms up: right after the single-threaded tools, its second
# thread measurably waits for a processor that was idle (on the virtual
# machine it was written on, ~52 ms instead of ~45).
rounds=${BENCH_ROUNDS:-11}
if [ -x "$tmp/zydis_rate" ] && [ "$rounds" -gt 0 ]; then
	echo
	: >"$tmp/rounds"
	for _ in $(seq "$rounds"); do
		"$talcheck" "$big.o" >/dev/null 2>&1 || fail "talcheck failed"   # warm-up, untimed
		t0=$EPOCHREALTIME; "$talcheck" "$big.o" >/dev/null 2>&1 || fail "talcheck failed"
		t1=$EPOCHREALTIME; "$talcheck" "$big.tlm" >/dev/null 2>&1 || fail "talcheck failed on the module"
		t1m=$EPOCHREALTIME; "$talcheck" -j 1 "$big.o" >/dev/null 2>&1 || fail "talcheck -j 1 failed"
		t2=$EPOCHREALTIME
		read -r _ _ _ _ _ _ _ zr < <("$tmp/zydis_rate" "$big.text" 0)
		t3=$EPOCHREALTIME
		[ "$wasm" -eq 1 ] && { wasm-validate "$tmp/m.wasm" >/dev/null 2>&1 || fail "wasm-validate failed"; }
		t4=$EPOCHREALTIME
		echo "$t0 $t1 $t1m $t2 $zr $t3 $t4" >>"$tmp/rounds"
	done
	med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
	col() { awk -v i="${insns[$last]}" -v w="$wasm" "{ d = \$2 - \$1; m = \$3 - \$2; o = \$4 - \$3; v = \$7 - \$6; print $1 }" "$tmp/rounds" | med; }
	rd=$(col 'i / d') ro=$(col 'i / o') rm=$(col 'i / m') rz=$(col '$5') zd=$(col 'i / d / $5') zo=$(col 'i / o / $5') zm=$(col 'i / m / $5')
	printf 'side by side, median of %d rounds (talcheck on the object, on the module, -j 1 on the object, Zydis, wasm-validate, back to back):\n' "$rounds"
	awk -v d="$rd" -v o="$ro" -v z="$rz" -v zd="$zd" -v zo="$zo" 'BEGIN {
		printf "  talcheck %.2f M instructions/s (-j 1: %.2f M), Zydis %.2f M: talcheck verifies at %.1f%% of Zydis'"'"'s rate (-j 1: %.1f%%)\n", d / 1e6, o / 1e6, z / 1e6, 100 * zd, 100 * zo }'
	awk -v m="$rm" -v zm="$zm" 'BEGIN { printf "  the same code linked into a module: talcheck %.2f M instructions/s, %.1f%% of Zydis'"'"'s rate\n", m / 1e6, 100 * zm }'
	if [ "$wasm" -eq 1 ]; then
		wd=$(col 'd / v') wo=$(col 'o / v') wm=$(col 'm / v')
		awk -v wd="$wd" -v wo="$wo" -v wm="$wm" 'BEGIN { printf "  talcheck takes %.2fx wasm-validate'"'"'s time on the same functions (-j 1: %.2fx; the module: %.2fx)\n", wd, wo, wm }'
	fi
fi

# 6. Where the time goes, as talcheck --stats tells it: the median of each
# phase over BENCH_RUNS runs (default 5), by default and in one thread.
# Only the blocks are checked in threads; the other phases run in one.
echo
runs=${BENCH_RUNS:-5}
echo "where talcheck's time goes on the $(lbl "${sizes[$last]}") program (talcheck --stats, median of $runs runs, milliseconds):"
printf '  %-8s %8s %8s %15s %18s %8s %17s %8s %14s\n' how total reading "type sections" "before the blocks" blocks "after the blocks" threads "one-thread %"
for how in default "-j 1"; do
	j=()
	[ "$how" = default ] || j=(-j 1)
	for _ in $(seq "$runs"); do
		"$talcheck" --stats "${j[@]}" "$big.o" 2>&1 >/dev/null || fail "talcheck --stats $how failed"
	done >"$tmp/stats"
	threads=$(sed -n 's/.* \([0-9]*\) threads\{0,1\}$/\1/p' "$tmp/stats" | sort -n | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	sed -n 's/^.*: stats: \([0-9.]*\) ms (.*): reading \([0-9.]*\), type sections \([0-9.]*\), before the blocks \([0-9.]*\), blocks \([0-9.]*\), after the blocks \([0-9.]*\)$/\1 \2 \3 \4 \5 \6/p' "$tmp/stats" >"$tmp/times"
	[ "$(wc -l <"$tmp/times")" -eq "$runs" ] || fail "talcheck --stats printed $(wc -l <"$tmp/times") lines of times for $runs runs"
	read -r tt tr tl tb tk ta < <(for col in 1 2 3 4 5 6; do
		cut -d' ' -f"$col" "$tmp/times" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
	done | paste -sd' ')
	awk -v h="$how" -v t="$tt" -v r="$tr" -v l="$tl" -v b="$tb" -v k="$tk" -v a="$ta" -v n="$threads" \
		'BEGIN { printf "  %-8s %8.2f %8.2f %15.2f %18.2f %8.2f %17.2f %8s %13.0f%%\n", h, t, r, l, b, k, a, n, (t > 0 ? 100 * (r + l + b + a) / t : 0) }'
done
echo "  (one-thread %: reading, the type sections, and what comes before and after the blocks, of the total)"
exit 0
