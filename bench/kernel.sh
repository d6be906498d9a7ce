#!/usr/bin/env bash
#
# bench/kernel.sh - the getpid loop three ways inside one boot of Debian's
# kernel under qemu (TCG), measured in the same run (see bench/README.md):
#
#   a. verified: examples/kernel/kgetpid.tal's kloop(ctx, n), signed with
#      --profile kernel, loaded with talload into talshim.ko and invoked
#      through /dev/tal: n calls of the kernel service tal_getpid, one unit
#      of fuel counted each round;
#   b. C in a kernel module: bench/kernel/cloop.c, n iterations of
#      task_tgid_vnr(current) run by an ioctl on /dev/cloop;
#   c. system calls: syscall(SYS_getpid) n times from a static binary;
# and, to break the difference between a and b down, the C loop of b
# calling talshim.ko's service function tal_ksvc_getpid() directly; then
#   d. find in the kernel: examples/kernel/kfind.tal walking a generated
#      tree of 1,400 directories and 24,000 files (tmpfs) through the
#      shim's directory services, `talload call` as a whole process;
#   e. the same walk in user space: bench/find_c.c (opendir/readdir);
# both timed as whole processes by bench/kernel/timeit.c (median of 5).
#
# All three are timed inside the guest by bench/kernel/kbench.c (static,
# CLOCK_MONOTONIC around each ioctl or loop; many short interleaved
# rounds, medians; the ratios are medians of the ratios within a round).
# Timings inside a TCG guest are not hardware timings: only the ratios
# within the run mean anything.
#
#   bench/kernel.sh              tools from build/ in the repo
#
# Environment (all optional):
#   BUILD_DIR         the build directory (talas, tallink, talcheck)  (default: <repo>/build)
#   BENCH_KITERS      loop iterations per kernel round (a, b, b2)     (default: 200000)
#   BENCH_SYSCALLS    system calls per round (c)                      (default: 20000)
#   BENCH_REPS        timed rounds, after one warm-up round (1..201)  (default: 101)
#   BENCH_TIMEOUT     seconds the guest may run                       (default: 150)
#   CC                C compiler for kbench                           (default: cc)
#
# Everything it builds goes to <build>/bench-kernel/: a signing key of its
# own, kgetpid.signed.tlm, talshim.ko, talcarrier.ko and talload (built
# from a copy of kernel-shim/ as tests/kernel/run.sh does), cloop.ko (from
# a copy of bench/kernel/), kbench, the initramfs and the guest's console
# (console.txt).
#
# Exit: 0 done (whether or not the target was met), 1 a result was wrong
#       (a sum, a trap, a kernel BUG/WARNING), 2 setup problem (a tool,
#       the kernel, its headers, qemu or busybox missing; a build failed;
#       the guest did not finish).

set -euo pipefail
export LC_ALL=C

root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/bench/kernel
B=${BUILD_DIR:-$root/build}
kiters=${BENCH_KITERS:-200000}
syscalls=${BENCH_SYSCALLS:-20000}
reps=${BENCH_REPS:-101}
timeout=${BENCH_TIMEOUT:-150}
cc=${CC:-cc}

die() { echo "kernel.sh: $*" >&2; exit 2; }
fail() { echo "kernel.sh: $*" >&2; exit 1; }

# ---- what it needs ----
[ -d "$B" ] || die "no build directory $B (cmake -S . -B build && cmake --build build, or set BUILD_DIR)"
B=$(cd "$B" && pwd)
for t in talas tallink talcheck; do [ -x "$B/$t" ] || die "no $t in $B (cmake --build $B)"; done
talkey=$B/talkey
[ -x "$talkey" ] || talkey=$root/runtime/talkey
[ -x "$talkey" ] || die "no talkey in $B or $root/runtime"
. "$root/tests/kernel/tools.sh"
kernel_tools die
for t in openssl objdump "$cc"; do command -v "$t" >/dev/null || die "no $t"; done
case "$kiters$syscalls$reps" in *[!0-9]*) die "BENCH_KITERS, BENCH_SYSCALLS and BENCH_REPS must be numbers" ;; esac
[ "$kiters" -ge 1 ] && [ "$syscalls" -ge 1 ] && [ "$reps" -ge 1 ] && [ "$reps" -le 201 ] || die "BENCH_REPS must be 1..201, the counts at least 1"

out=$B/bench-kernel
mkdir -p "$out"
start=$(date +%s)

# ---- the shim, the carrier and talload (in a copy of kernel-shim/) ----
rm -rf "$out/ks" "$out/cloop"
mkdir -p "$out/ks" "$out/cloop"
cp -r "$root/kernel-shim/Makefile" "$root"/kernel-shim/*.[chS] "$root/kernel-shim/tal_kernel.tali" "$root/kernel-shim/kinc" "$out/ks/"
make -s -C "$out/ks" TAL_SRC="$root" TAL_BIN="$B" KVER="$kver" all > "$out/ks.log" 2>&1 ||
	{ tail -n 30 "$out/ks.log" >&2; die "building kernel-shim failed"; }

# ---- cloop.ko (in a copy of bench/kernel/) and kbench ----
cp "$here/Makefile" "$here/cloop.c" "$here/cloop_uapi.h" "$out/cloop/"
make -s -C "$out/cloop" KVER="$kver" TALSHIM_DIR="$out/ks" > "$out/cloop.log" 2>&1 ||
	{ tail -n 30 "$out/cloop.log" >&2; die "building cloop.ko failed"; }
# the C loops must still call the kernel each iteration (the sums are
# checked in the guest too)
objdump -dr "$out/cloop/cloop.o" > "$out/cloop.dis"
sed -n '/<cloop_run>:/,/^$/p' "$out/cloop.dis" | grep -q 'R_X86_64_PLT32[[:space:]]*__task_pid_nr_ns' ||
	die "cloop_run does not call __task_pid_nr_ns (see $out/cloop.dis)"
sed -n '/<cloop_svc>:/,/^$/p' "$out/cloop.dis" | grep -q 'R_X86_64_PLT32[[:space:]]*tal_ksvc_getpid' ||
	die "cloop_svc does not call tal_ksvc_getpid (see $out/cloop.dis)"
"$cc" -static -O2 -Wall -Wextra -I"$root/kernel-shim" -I"$here" -o "$out/kbench" "$here/kbench.c" 2> "$out/kbench.log" ||
	{ cat "$out/kbench.log" >&2; die "building kbench failed"; }
# the find part: the tree generator, the C walk and a timer, all static
for p in gen_tree find_c; do
	"$cc" -static -O2 -o "$out/$p" "$root/bench/$p.c" 2>> "$out/kbench.log" || { cat "$out/kbench.log" >&2; die "building $p failed"; }
done
"$cc" -static -O2 -Wall -o "$out/timeit" "$here/timeit.c" 2>> "$out/kbench.log" || { cat "$out/kbench.log" >&2; die "building timeit failed"; }

# ---- the verified module, signed with a key of the benchmark's own ----
if [ ! -f "$out/talkey.pem" ] || [ ! -f "$out/talcert.pem" ]; then
	rm -f "$out/talkey.pem" "$out/talcert.pem"
	"$talkey" -k "$out/talkey.pem" -c "$out/talcert.pem" > "$out/talkey.log" 2>&1 ||
		{ cat "$out/talkey.log" >&2; die "talkey failed"; }
fi
{
	openssl x509 -in "$out/talcert.pem" -outform DER -out "$out/talcert.der" &&
		"$B/talas" -I "$root/kernel-shim" -o "$out/kgetpid.o" "$root/examples/kernel/kgetpid.tal" &&
		"$B/tallink" --host "$root/kernel-shim/tal_kernel.tali" -o "$out/kgetpid.tlm" "$out/kgetpid.o" &&
		"$B/talcheck" --profile kernel --sign "$out/talkey.pem" --cert "$out/talcert.pem" \
			-o "$out/kgetpid.signed.tlm" "$out/kgetpid.tlm"
} > "$out/kgetpid.log" 2>&1 || { head -n 20 "$out/kgetpid.log" >&2; die "kgetpid.tal did not assemble, link, verify and sign"; }
{
	"$B/talas" -I "$root/kernel-shim" -o "$out/kfind.o" "$root/examples/kernel/kfind.tal" &&
		"$B/tallink" --host "$root/kernel-shim/tal_kernel.tali" -o "$out/kfind.tlm" "$out/kfind.o" &&
		"$B/talcheck" --profile kernel --sign "$out/talkey.pem" --cert "$out/talcert.pem" \
			-o "$out/kfind.signed.tlm" "$out/kfind.tlm"
} > "$out/kfind.log" 2>&1 || { head -n 20 "$out/kfind.log" >&2; die "kfind.tal did not assemble, link, verify and sign"; }

# ---- the initramfs ----
r=$out/root
rm -rf "$r"
mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,t}
cp "$busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"
cp "$out/ks/talshim.ko" "$out/ks/talcarrier.ko" "$out/ks/talload" "$out/cloop/cloop.ko" "$out/kbench" "$r/t/"
cp "$out/kgetpid.signed.tlm" "$out/kfind.signed.tlm" "$out/gen_tree" "$out/find_c" "$out/timeit" "$r/t/"
cp "$out/talcert.der" "$r/t/cert.der"
printf 'NK=%s\nNS=%s\nREPS=%s\n' "$kiters" "$syscalls" "$reps" > "$r/t/params"
cp "$here/guest.sh" "$r/init"
chmod 755 "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"
built=$(date +%s)

# ---- the boot ----
echo "kernel.sh: booting $kernel under qemu TCG ($reps rounds: 3 x $kiters loop iterations in the kernel, $syscalls system calls)" >&2
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel tcg -smp 1 -nographic -no-reboot -m 512 \
	-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet" < /dev/null > "$out/console.log" 2>&1
qrc=$?
set -e
tr -d '\r' < "$out/console.log" > "$out/console.txt"
ended=$(date +%s)

grep -E '^bench-(step|error): |^    ' "$out/console.txt" | grep -v '^    \[' >&2 || true
sed -n 's/^bench-info: /guest /p' "$out/console.txt" > "$out/info.txt"
grep -q '^TAL-KERNEL-BENCH-DONE$' "$out/console.txt" || {
	[ $qrc -eq 124 ] && echo "kernel.sh: the guest did not finish in ${timeout}s" >&2
	tail -n 40 "$out/console.txt" >&2
	die "no end marker from the guest (console: $out/console.txt)"
}
st=$(sed -n 's/^bench-status: //p' "$out/console.txt")
case "$st" in
	0) ;;
	1) fail "a result was wrong in the guest (above; console: $out/console.txt)" ;;
	*) die "the guest could not run the benchmark (above; console: $out/console.txt)" ;;
esac
if grep -nE '^\[ *[0-9.]+\] .*(BUG:|WARNING:|Oops|general protection|Kernel panic|Call Trace)' "$out/console.txt" >&2; then
	fail "the kernel log shows a BUG, WARNING, Oops or panic (console: $out/console.txt)"
fi
sed -n 's/^bench: //p' "$out/console.txt" > "$out/results.txt"

# ---- the table ----
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
qv=$(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')
echo "kernel benchmark: guest kernel $kver under qemu $qv -accel tcg -smp 1, host ${cpu:-unknown CPU}"
sed 's/^/  /' "$out/info.txt"
echo "built in $((built - start))s, guest ran $((ended - built))s; built in $out"
echo
awk '
NF == 2 { val[$1] = $2 }
function g(k) {
	if (!(k in val)) { printf "kernel.sh: no %s in the results\n", k > "/dev/stderr"; missing = 1; exit 2 }
	return val[k]
}
function row(what, x, lo, hi) { printf "  %-54s %9.2f ns/iteration  (rounds %.2f..%.2f)\n", what, x, lo, hi }
function ratio(what, x, target) { printf "  %-54s %9.3fx%s\n", what, x, target }
END {
	if (missing) exit 2
	tal = g("tal_ns"); c = g("c_ns"); sys = g("sys_ns"); svc = g("svc_ns")
	rtc = g("tal_c_ratio"); rst = g("sys_tal_ratio"); rsc = g("svc_c_ratio")
	printf "getpid loop, %d timed rounds (medians): %d iterations per kernel round, %d system calls per round\n",
		g("reps"), g("kernel_iters"), g("syscalls")
	row("a. verified module: kloop -> tal_getpid (talshim)", tal, g("tal_min"), g("tal_max"))
	row("b. C kernel module: task_tgid_vnr(current) (cloop.ko)", c, g("c_min"), g("c_max"))
	printf "  %-54s %9.2f ns/iteration  (inside the ioctl)\n", "   the same C loop timed in the kernel (ktime_get_ns)", g("c_kernel_ns")
	row("c. system call: syscall(SYS_getpid), static binary", sys, g("sys_min"), g("sys_max"))
	print ""
	print "ratios (median over the rounds of the ratio within a round):"
	ratio("verified module / C kernel loop (a / b)", rtc, sprintf("  (target <= 1.1x: %s)", rtc <= 1.1 ? "met" : "NOT met"))
	ratio("system call / verified module (c / a)", rst, "")
	printf "  %-54s %9.3fx, %.3fx\n", "the same two from the medians above", tal / c, sys / tal
	printf "  %-54s %9.3fx, %.3fx\n", "the same two from the fastest rounds", g("tal_min") / g("c_min"), g("sys_min") / g("tal_min")
	print ""
	printf "where a takes longer than b (%.2f ns/iteration at b = %.2f): its call goes through a stub of the\n", (rtc - 1) * c, c
	printf "module (one direct jump to the body of tal_getpid in the carrier), and each round counts fuel down in\n"
	printf "memory and tests it; for scale, the cost of one more call level in C:\n"
	row("b2. the C loop of b calling tal_ksvc_getpid() in C", svc, g("svc_min"), g("svc_max"))
	ratio("b2 / b", rsc, "")
	print ""
	printf "find over a tree of %d directories and %d files in the guest (tmpfs), whole processes,\n", g("find_dirs"), g("find_files")
	printf "median of %d runs each; both counted %d files:\n", g("find_reps"), g("kfind_out")
	printf "  %-54s %9.2f ms  (fastest %.2f)\n", "d. find in the kernel: talload call kf kfind (kfind.tal)", g("kfind_ms"), g("kfind_min")
	printf "  %-54s %9.2f ms  (fastest %.2f)\n", "e. find in user space: find_c (opendir/readdir)", g("cfind_ms"), g("cfind_min")
	ratio("find in the kernel / in user space (d / e)", g("kfind_ms") / g("cfind_ms"), "")
	print ""
	print "Timings inside a TCG guest are not hardware timings (qemu translates every"
	print "guest instruction): only the ratios within this run mean anything."
}' "$out/results.txt" || die "cannot make the table"
