#!/usr/bin/env bash
#
# bench/host.sh - the user-space host (libtalrt) against its peers, all
# measured in one run (see bench/host/README.md):
#
#   a. a host service call from verified code (examples/getpid.tal) against
#      a system call and an indirect call in C;
#   b. a packet filter: verified code (examples/filter.tal) against the same
#      filter in C (gcc -O2) and libpcap's classic BPF interpreter;
#   c. start-up: load a signed module + instantiate + first call, against
#      dlopen + dlsym + call + dlclose of a C shared object.
#
#   bench/host.sh                tools and libraries from build/ in the repo
#
# Everything it builds goes to <build>/bench-host/: a signing key of its own,
# the three modules (talas, tallink, talcheck --sign), the C programs of
# bench/host/ (linked with libtalrt.a as talrun is, and svc once more with
# libtalrt.so).
#
# Environment (all optional):
#   BUILD_DIR       the build directory             (default: <repo>/build)
#   BENCH_CALLS     service calls and C calls per round (default: 20000000)
#   BENCH_SYSCALLS  system calls per round          (default: 1000000)
#   BENCH_PACKETS   packets generated               (default: 2000000)
#   BENCH_SEED      packet generator seed           (default: 1)
#   BENCH_REPS      timed rounds of a and b; the median is used (default: 5)
#   BENCH_STARTS    start-ups of each kind in c; the median is used (default: 2000)
#   CC              C compiler                      (default: cc)
#
# Exit: 0 done (whether or not the targets were met), 1 a result was wrong
#       (the filters disagree, a call returned the wrong value), 2 setup
#       problem (a tool, library or header missing, a build failed).

set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD_DIR:-$root/build}
calls=${BENCH_CALLS:-20000000}
syscalls=${BENCH_SYSCALLS:-1000000}
packets=${BENCH_PACKETS:-2000000}
seed=${BENCH_SEED:-1}
reps=${BENCH_REPS:-5}
starts=${BENCH_STARTS:-2000}
cc=${CC:-cc}

die() { echo "host.sh: $*" >&2; exit 2; }
fail() { echo "host.sh: $*" >&2; exit 1; }

# ---- what it needs ----
[ -d "$B" ] || die "no build directory $B (cmake -S . -B build && cmake --build build, or set BUILD_DIR)"
B=$(cd "$B" && pwd)
for f in talas tallink talcheck; do
	[ -x "$B/$f" ] || die "no $f in $B (cmake --build $B)"
done
for f in runtime/libtalrt.a runtime/libtalrt.so runtime/libtalsign.a libtalcheck.a libtalcommon.a; do
	[ -f "$B/$f" ] || die "no $f in $B (cmake --build $B)"
done
talkey=$B/talkey
[ -x "$talkey" ] || talkey=$root/runtime/talkey
[ -x "$talkey" ] || die "no talkey in $B or $root/runtime"
command -v "$cc" >/dev/null 2>&1 || die "C compiler '$cc' not found"
command -v openssl >/dev/null 2>&1 || die "openssl not found (talkey needs it)"
[ -f /usr/include/pcap/pcap.h ] || die "no /usr/include/pcap/pcap.h: install libpcap-dev (setup.sh does)"

out=$B/bench-host
mkdir -p "$out"
src=$root/bench/host

# ---- the modules, signed with a key of the benchmark's own ----
if [ ! -f "$out/talkey.pem" ] || [ ! -f "$out/talcert.pem" ]; then
	rm -f "$out/talkey.pem" "$out/talcert.pem"
	"$talkey" -k "$out/talkey.pem" -c "$out/talcert.pem" >"$out/talkey.log" 2>&1 ||
		{ cat "$out/talkey.log" >&2; die "talkey failed"; }
fi
cert=$out/talcert.pem
for m in getpid filter sum; do
	{
		"$B/talas" -I "$root/runtime" -o "$out/$m.o" "$root/examples/$m.tal" &&
			"$B/tallink" -I "$root/runtime" -o "$out/$m.tlm" "$out/$m.o" &&
			"$B/talcheck" --sign "$out/talkey.pem" --cert "$cert" -o "$out/$m.signed.tlm" "$out/$m.tlm"
	} 2>"$out/$m.log" || { head -n 20 "$out/$m.log" >&2; die "examples/$m.tal did not assemble, link, verify and sign"; }
done

# ---- the C programs ----
cflags=(-std=c11 -O2 -Wall -Wextra -I "$root/runtime" -I "$src")
static=("$B/runtime/libtalrt.a" "$B/runtime/libtalsign.a" "$B/libtalcheck.a" "$B/libtalcommon.a" -lcrypto -lpthread)
shared=(-L "$B/runtime" -ltalrt -Wl,-rpath,"$B/runtime")
build() {   # output, then the compiler's arguments
	local o=$1
	shift
	"$cc" "$@" -o "$out/$o" 2>"$out/$o.log" || { head -n 20 "$out/$o.log" >&2; die "cannot build $o"; }
}
build svc "${cflags[@]}" "$src/svc.c" "${static[@]}"
build svc-shared "${cflags[@]}" "$src/svc.c" "${shared[@]}"
build filter_c.o "${cflags[@]}" -c "$src/filter_c.c"
build filter_bench "${cflags[@]}" "$src/filter_bench.c" "$out/filter_c.o" "${static[@]}" -lpcap
build libsum.so -std=c11 -O2 -shared -fPIC "$src/sum_so.c"
build startup "${cflags[@]}" "$src/startup.c" "${static[@]}" -ldl

# ---- the runs: each prints "key value" lines ----
run() {   # name, then the command
	local name=$1 st=0
	shift
	"$@" >"$out/$name.txt" 2>"$out/$name.err" || st=$?
	if [ "$st" -ne 0 ]; then
		cat "$out/$name.err" >&2
		[ "$st" -eq 1 ] && fail "$name: a result was wrong (above)"
		die "$name failed (status $st)"
	fi
}
echo "host.sh: measuring (a: $reps rounds of $calls service calls, $syscalls system calls; b: $packets packets x $reps; c: $starts start-ups)" >&2
run svc "$out/svc" "$cert" "$out/getpid.signed.tlm" "$calls" "$syscalls" "$reps"
run svc-shared "$out/svc-shared" "$cert" "$out/getpid.signed.tlm" "$calls" "$syscalls" "$reps"
run filter "$out/filter_bench" "$cert" "$out/filter.signed.tlm" "$packets" "$reps" "$seed"
run startup "$out/startup" "$cert" "$out/sum.signed.tlm" "$out/libsum.so" "$starts"

# ---- the table ----
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "host benchmarks: ${cpu:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r); medians; built in $out"
echo
# val["svc.svc_ns"] is the line "svc_ns ..." of svc.txt, and so on.
awk -v seed="$seed" '
FNR == 1 { f = FILENAME; sub(/.*\//, "", f); sub(/\.txt$/, "", f) }
NF == 2 { val[f "." $1] = $2 }
function g(k) {
	if (!(k in val)) { printf "host.sh: no %s in the results\n", k > "/dev/stderr"; missing = 1; exit 2 }
	return val[k]
}
function row(what, x, unit) { printf "  %-52s %10.2f %s\n", what, x, unit }
function ratio(what, x, target) { printf "  %-52s %10.2fx%s\n", what, x, target }
function verdict(ok, what) { return sprintf("  (target %s: %s)", what, ok ? "met" : "NOT met") }
END {
	if (missing) exit 2
	svc = g("svc.svc_ns"); svcso = g("svc-shared.svc_ns"); sys = g("svc.syscall_ns"); fnp = g("svc.fnptr_ns")
	printf "a. service call (%d rounds: %d service and C calls, %d system calls each)\n", g("svc.reps"), g("svc.svc_calls"), g("svc.syscalls")
	row("tal_getpid from verified code (libtalrt.a)", svc, "ns/call")
	row("tal_getpid from verified code (libtalrt.so)", svcso, "ns/call")
	row("syscall(SYS_getpid)", sys, "ns/call")
	row("C call through a function pointer", fnp, "ns/call")
	ratio("system call / service call (libtalrt.a)", sys / svc, verdict(sys / svc >= 50, ">= 50x"))
	ratio("system call / service call (libtalrt.so)", sys / svcso, "")
	ratio("service call / C indirect call", svc / fnp, "")
	print ""

	tal = g("filter.tal_ns"); c = g("filter.c_ns"); bpf = g("filter.bpf_ns")
	printf "b. packet filter (%d packets, %.1f MB, seed %s; %d accepted by all three; %d rounds)\n",
		g("filter.packets"), g("filter.bytes") / 1e6, seed, g("filter.accepted"), g("filter.reps")
	row("filter.tal filter_count, verified (one talrt_call)", tal, "ns/packet")
	row("the same filter in C, gcc -O2", c, "ns/packet")
	row("libpcap bpf_filter (classic BPF interpreter)", bpf, "ns/packet")
	ratio("verified / C", tal / c, verdict(tal / c <= 1.3, "<= 1.3x"))
	ratio("BPF / verified (verified is this much faster)", bpf / tal, verdict(bpf / tal >= 2.5, ">= 2.5x"))
	row(sprintf("one talrt_call of filter per packet (%d packets)", g("filter.sample")), g("filter.call_ns"), "ns/packet")
	print ""

	tu = g("startup.tal_us"); du = g("startup.dl_us")
	printf "c. start-up to a first call of sum([1,2,3,4]) (%d of each; medians of the whole and of each part)\n", g("startup.iters")
	row("signed module: load + instantiate + call + free", tu, "us")
	row("  talrt_load (signature check, types, image)", g("startup.tal_load_us"), "us")
	row("  talrt_instantiate (stack, quota, data)", g("startup.tal_inst_us"), "us")
	row("  first talrt_call", g("startup.tal_call_us"), "us")
	row("  talrt_destroy + talrt_unload", g("startup.tal_free_us"), "us")
	row("C shared object: dlopen + dlsym + call + dlclose", du, "us")
	row("  dlopen", g("startup.dl_open_us"), "us")
	row("  dlsym + call", g("startup.dl_call_us"), "us")
	row("  dlclose", g("startup.dl_close_us"), "us")
	if (tu >= du) ratio("signed module / shared object (slower)", tu / du, "")
	else ratio("shared object / signed module (faster)", du / tu, "")
}' "$out/svc.txt" "$out/svc-shared.txt" "$out/filter.txt" "$out/startup.txt" || die "cannot make the table"
