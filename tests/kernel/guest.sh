#!/bin/sh
# guest.sh - /init of the kernel test's initramfs (tests/kernel/run.sh):
# the kernel shim's tests, run inside the guest.  Prints ok:/FAIL: lines,
# the kernel log, and the end marker; then powers the guest off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
dmesg -n 1                      # the log goes to the end of the output, not amid it
echo                            # past the console's escape sequences: results start a line
cd /t

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; }
T=/tmp/out

# expect WHAT STATUS PATTERN CMD...: CMD exits with STATUS (!0: not 0) and its output
# (stdout and stderr) matches the extended regex PATTERN
expect() {
	what=$1 want=$2 pat=$3
	shift 3
	"$@" > $T 2>&1
	rc=$?
	if { [ "$rc" = "$want" ] || { [ "$want" = "!0" ] && [ "$rc" != 0 ]; }; } && { [ -z "$pat" ] || grep -qE -- "$pat" $T; }; then
		ok "$what: $(head -n 1 $T)"
	else
		fail "$what: exit $rc (expected $want), output:"
		sed 's/^/    /' $T
	fi
}
# as WHAT STATUS PATTERN CMD...: the same, run as the unprivileged user nobody
as_user() {
	what=$1 want=$2 pat=$3
	shift 3
	expect "$what (as nobody)" "$want" "$pat" su -s /bin/sh nobody -c "$*"
}
# log_has WHAT PATTERN: the kernel log has a line matching PATTERN
log_has() {
	if dmesg | grep -qE -- "$2"; then ok "$1"; else fail "$1: no '$2' in the kernel log"; fi
}

# ---- the shim ----
expect "load talshim.ko" 0 "" insmod /t/talshim.ko
if [ -c /dev/tal ] && ls -l /dev/tal | grep -q '^crw-rw-rw-'; then ok "/dev/tal is a character device, mode 0666"; else fail "/dev/tal: $(ls -l /dev/tal 2>&1)"; fi
expect "an empty carrier does not load" "!0" "" insmod /t/talcarrier.ko
log_has "the empty carrier's reason is logged" "talcarrier: talcarrier: empty carrier"
as_user "adding a certificate needs CAP_SYS_ADMIN" 1 "Operation not permitted" /t/talload addcert /t/cert.der
expect "add the signing certificate" 0 "trusted" /t/talload addcert /t/cert.der

# ---- a signed module, invoked from an unprivileged process ----
expect "load a signed module" 0 "kt: loaded" /t/talload load /t/talcarrier.ko /t/ktest.signed.tlm kt
expect "list" 0 "^kt	15 exports" /t/talload list
as_user "kt_add 2 40" 0 "^42$" /t/talload call kt kt_add 2 40
as_user "kt_add -5 3" 0 "^-2$" /t/talload call kt kt_add -5 3
as_user "kt_twice 21 (an indirect call onto endbr64)" 0 "^42$" /t/talload call kt kt_twice 21
pid_out=$(su -s /bin/sh nobody -c 'echo $$; exec /t/talload call kt kt_pid' 2>&1)
set -- $pid_out
if [ "$#" = 2 ] && [ "$1" = "$2" ]; then ok "kt_pid is the invoker's pid ($1)"; else fail "kt_pid: $pid_out"; fi
c1=$(/t/talload call kt kt_clock); c2=$(/t/talload call kt kt_clock)
if [ "$c1" -gt 0 ] 2>/dev/null && [ "$c2" -ge "$c1" ]; then ok "kt_clock is monotonic ($c1, $c2)"; else fail "kt_clock: '$c1' then '$c2'"; fi
as_user "kt_hello logs a line" 0 "^21$" /t/talload call kt kt_hello
log_has "kt_hello's line is in the kernel log" "talshim: kt: hello from the kernel"
# a module cannot flood the kernel log: 100 lines in 5 s at most (one was kt_hello's)
logs=$(/t/talload call kt kt_logs 300 2>&1)
case "$logs" in
''|*[!0-9]*) fail "kt_logs 300: $logs" ;;
*) if [ "$logs" -le 2100 ] && [ "$logs" -ge 21 ]; then ok "kt_logs 300: tal_log wrote $logs bytes (21 a line), at most 100 lines"
   else fail "kt_logs 300: tal_log wrote $logs bytes: more than 100 lines of 21"; fi ;;
esac
as_user "kt_rec 10: recursion within the stack" 0 "^10$" /t/talload call kt kt_rec 10
as_user "kt_rec 100000: deep recursion ends in the stack trap" 1 "ktest.tal:[0-9]+:[0-9]+: trap: stack at code offset 0x" /t/talload call kt kt_rec 100000
as_user "kt_deepdir: the file services called from as deep as the stack check allows" 0 "^[0-9]+$" /t/talload call kt kt_deepdir 100000
# the stack check tells a module only how deep it is in its own frames:
# the room above the limit is the same at every call, though the kernel
# puts each system call's frames at a random depth (randomize_kstack_offset)
rooms=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /t/talload call kt kt_room 2>&1; done | sort -u | tr '\n' ' ')
case "$rooms" in
*[!0-9\ ]*|*" "?*" "*|"") fail "kt_room: the room above the stack limit differs between calls (or failed): $rooms" ;;
*) ok "kt_room: the same room above the stack limit at 12 calls: $rooms" ;;
esac
# how much of the task's stack calls use at their deepest (stack_probe):
# all of it must stay within the TAL_STACK_NEED bytes (13440) the shim
# makes sure are there before a call
need=13440
# peak WHAT CMD...: CMD's call, measured alone; prints its peak
peak() {
	what=$1
	shift
	echo 0 > /sys/module/talshim/parameters/stack_peak
	"$@" > $T 2>&1
	p=$(cat /sys/module/talshim/parameters/stack_peak)
	last=$p
	if [ "$p" -gt 0 ] && [ "$p" -le $need ]; then ok "stack probe: $what: $p of $need bytes"; else fail "stack probe: $what: $p bytes (of $need): $(head -n 1 $T)"; fi
}
echo 1 > /sys/module/talshim/parameters/stack_probe
levels=${rooms% }
case $levels in ''|*[!0-9]*) levels=0 ;; esac   # (kt_room failed: reported above)
# kt_deepfuel's slice runs out at its deepest level's fuel checks when it first burns n units (ktest.tal)
n=$((65552 - 32 * levels))
expect "kt_deepfuel: the shim refuels a call at the bottom of what it may use" 0 "^$levels$" /t/talload call kt kt_deepfuel $n
peak "the module's deepest frames, which write nothing below their last check" /t/talload call kt kt_deepfuel 0
bottom=$last
peak "refuelled there (tal_ktrap_refuel, cond_resched)" /t/talload call kt kt_deepfuel $n
if [ "$last" -ge $((bottom + 8192)) ]; then ok "stack probe: the refuel path ran 8 KiB below the module's deepest check"; else fail "stack probe: the refuel path did not run at the bottom ($last bytes; the deepest check at $bottom)"; fi
# the same with the processors busy, so that the refuel there gives the
# processor up now and then (a context switch on that stack): 3 slices
# before the deepest level's, 20 calls, the highest of them
(while :; do :; done) & hog1=$!
(while :; do :; done) & hog2=$!
peak "refuelled there among busy tasks (20 calls)" sh -c "for i in \$(seq 20); do /t/talload call kt kt_deepfuel $((n + 3 * 65536)) || exit 1; done"
kill $hog1 $hog2
peak "the file services called there (kt_deepdir)" /t/talload call kt kt_deepdir 100000
peak "the stack trap (kt_rec)" /t/talload call kt kt_rec 100000
echo 0 > /sys/module/talshim/parameters/stack_probe
as_user "kt_spin: a runaway loop is stopped by the fuel" 1 "ktest.tal:[0-9]+:[0-9]+: trap: fuel at code offset 0x" /t/talload call kt kt_spin
as_user "a call after a trap" 0 "^7$" /t/talload call kt kt_add 3 4
# fuel comes in slices of 65536: a call goes on from one to the next and
# traps when the whole is spent, at the same unit as in one piece
# (kt_count n counts n + 1 units down)
for f in 131072 200001; do
	echo $f > /sys/module/talshim/parameters/fuel
	expect "fuel $f: kt_count $((f - 1)) goes on across slices" 0 "^$((f - 1))$" /t/talload call kt kt_count $((f - 1))
	expect "fuel $f: kt_count $f runs out" 1 "trap: fuel at code offset 0x" /t/talload call kt kt_count $f
done
echo 16777216 > /sys/module/talshim/parameters/fuel
# a caller killed during a call that would run for days: the call ends
# at its next slice, and the module is free again
echo 1099511627776 > /sys/module/talshim/parameters/fuel
su -s /bin/sh nobody -c "exec /t/talload call kt kt_spin" >/tmp/killed 2>&1 &
n=0
until /t/talload list 2>/dev/null | grep -qE '^kt	.*	1 running'; do
	n=$((n + 1)); [ $n -gt 1200 ] && break
	usleep 50000 2>/dev/null || sleep 1
done
kill -9 $(pidof talload) 2>/dev/null
n=0
while /t/talload list 2>/dev/null | grep -qE '^kt	.*	[1-9][0-9]* running'; do
	n=$((n + 1)); [ $n -gt 400 ] && break
	usleep 50000 2>/dev/null || sleep 1
done
echo 16777216 > /sys/module/talshim/parameters/fuel
if [ $n -le 400 ]; then wait; ok "a killed caller's call ends at its next slice of fuel: $(cat /tmp/killed)"; else fail "a killed caller's call still runs 20 s on"; fi
# buffers: copied in before the call, the writable ones back after it
printf 'abc' > /tmp/abc; chmod 666 /tmp/abc
as_user "kt_bufsum @FILE: the module reads a copy of the caller's buffer" 0 "^294$" /t/talload call kt kt_bufsum @/tmp/abc
as_user "kt_fill +FILE 65: the module writes the caller's buffer" 0 "^3$" /t/talload call kt kt_fill +/tmp/abc 65
if [ "$(cat /tmp/abc)" = AAA ]; then ok "the buffer came back written: AAA"; else fail "the buffer: '$(cat /tmp/abc)'"; fi
printf 'xyz' > /tmp/ro; chmod 444 /tmp/ro
as_user "kt_fill @FILE: a read-only buffer is not written" 0 "^3$" /t/talload call kt kt_fill @/tmp/ro 66
if [ "$(cat /tmp/ro)" = xyz ]; then ok "the read-only buffer is as it was"; else fail "the read-only buffer: '$(cat /tmp/ro)'"; fi
: > /tmp/empty; chmod 666 /tmp/empty
as_user "kt_bufsum of an empty buffer" 0 "^0$" /t/talload call kt kt_bufsum @/tmp/empty
as_user "kt_bufsum without a buffer" 0 "^0$" /t/talload call kt kt_bufsum
# the memory quota (1 MiB by default): 16 blocks of 64 KiB fit, 17 do not
as_user "kt_hog 16: within the quota" 0 "^0$" /t/talload call kt kt_hog 16
as_user "kt_hog 17: the quota trap" 1 "^trap: quota" /t/talload call kt kt_hog 17
as_user "a call after the quota trap" 0 "^7$" /t/talload call kt kt_add 3 4
# find in the kernel: a tree walked through the kernel's file API
expect "load the find module" 0 "kf: loaded" /t/talload load /t/talcarrier.ko /t/kfind.signed.tlm kf
mkdir -p /tmp/tree/a/b/c /tmp/tree/d /tmp/tree/e/f
for f in 1 2 3; do : > /tmp/tree/f$f; : > /tmp/tree/a/g$f; : > /tmp/tree/a/b/c/h$f; done
: > /tmp/tree/e/f/i; ln -s f1 /tmp/tree/link; chmod -R a+rX /tmp/tree
printf '/tmp/tree' > /tmp/treepath; chmod 644 /tmp/treepath
files=$(find /tmp/tree -type f | wc -l); dirs=$(find /tmp/tree -mindepth 1 -type d | wc -l)
as_user "kfind files: as many as find counts ($files)" 0 "^$files$" /t/talload call kf kfind @/tmp/treepath 1
as_user "kfind directories: as many as find counts ($dirs)" 0 "^$dirs$" /t/talload call kf kfind @/tmp/treepath 2
mkdir -p /tmp/secret/x; : > /tmp/secret/x/y; chmod 700 /tmp/secret
printf '/tmp/secret' > /tmp/secretpath; chmod 644 /tmp/secretpath
as_user "kfind with the caller's permissions: a directory nobody may read counts nothing" 0 "^0$" /t/talload call kf kfind @/tmp/secretpath 1
expect "kfind as root reads it" 0 "^1$" /t/talload call kf kfind @/tmp/secretpath 1

# ---- the checksum and packet filter examples in the kernel ----
expect "load the checksum module" 0 "kc: loaded" /t/talload load /t/talcarrier.ko /t/kchecksum.signed.tlm kc
printf Wikipedia > /tmp/wiki
as_user "kadler32 @FILE: Adler-32 of 'Wikipedia'" 0 "^300286872$" /t/talload call kc kadler32 @/tmp/wiki
as_user "kadler32 of an empty buffer is 1" 0 "^1$" /t/talload call kc kadler32 @/tmp/empty
expect "load the packet filter module" 0 "kp: loaded" /t/talload load /t/talcarrier.ko /t/kfilter.signed.tlm kp
as_user "kfilter_count: as many packets as the user-space host accepts ($(cat /t/packets.want))" 0 "^$(cat /t/packets.want)$" /t/talload call kp kfilter_count @/t/packets.bin
as_user "kfilter_count of an empty buffer" 0 "^0$" /t/talload call kp kfilter_count @/tmp/empty
expect "unload the checksum and filter modules" 0 "kp: unloaded" sh -c "/t/talload unload kc && /t/talload unload kp"
expect "unload the find module" 0 "kf: unloaded" /t/talload unload kf
as_user "unknown module" 2 "no module 'nosuch' is loaded" /t/talload call nosuch kt_add 1 2
as_user "unknown export" 2 "has no export 'nosuch'" /t/talload call kt nosuch
su -s /bin/sh nobody -c "/t/badioctl user"
/t/badioctl

# ---- refusals: each carrier fails to load, with the reason logged ----
refused() {
	expect "refused: $1" 1 "the kernel refused '$2'.*$3" /t/talload load /t/talcarrier.ko "/t/$4" "$2"
	log_has "refused: $1: reason logged" "talshim: $2: refused: $5"
	if grep -qE "^talload: kernel log: talshim: $2: refused: $5" $T; then ok "refused: $1: talload shows the reason"; else fail "refused: $1: talload does not show the kernel's reason"; sed 's/^/    /' $T; fi
	if lsmod | grep -q "^tal_$2 "; then fail "refused: $1: the carrier stayed loaded"; fi
}
refused "unsigned module" unsigned "not signed" ktest.tlm "signature: the module is not signed"
refused "tampered image (first code byte)" tampered1 "tampered" tampered1.signed.tlm "the signature does not verify"
refused "tampered image (code)" tampered2 "tampered" tampered2.signed.tlm "the signature does not verify"
refused "tampered image (constant)" tampered3 "tampered" tampered3.signed.tlm "the signature does not verify"
refused "signed by an untrusted key" other "does not trust" other.signed.tlm "the signature does not verify.*signed by a key the shim does not trust"
refused "a signature carrying the signer's certificate" certsig "malformed" certs.signed.tlm "signature: the PKCS#7 signature carries certificates"
refused "a signature in BER, not DER" bersig "malformed" ber.signed.tlm "the signature is not DER of the shape sign-file makes, without certificates"
refused "verified against the user-space host interface" hostif "another interface" hostiface.signed.tlm "the module was verified against another interface"
refused "verified with the user profile only" userprof "kernel profile" userprofile.signed.tlm "the module was not verified with the kernel profile"
expect "refused: a carrier whose code is not the signed image" "!0" "" insmod /t/badcode.ko
log_has "refused: carrier code: reason logged" "talshim: badcode: refused: the carrier's code is not the signed module's image"
expect "refused: a carrier whose stub goes to another service" "!0" "" insmod /t/badstub.ko
log_has "refused: carrier stub: reason logged" "talshim: badstub: refused: the carrier's stub 0 is not the direct branch"
expect "refused: a carrier whose entry trampoline jumps elsewhere" "!0" "" insmod /t/badentry.ko
log_has "refused: carrier entry: reason logged" "talshim: badentry: refused: the carrier's entry trampoline 0 is not endbr64"
expect "refused: a carrier whose tal_getpid body was changed" "!0" "" insmod /t/badgetpid.ko
log_has "refused: carrier tal_getpid: reason logged" "talshim: badgetpid: refused: the carrier's tal_getpid is not task_tgid_vnr"
expect "a second module of a loaded name" 1 "File exists" /t/talload load /t/talcarrier.ko /t/ktest.signed.tlm kt

# ---- unload ----
expect "load a second instance under another name" 0 "kt2: loaded" /t/talload load /t/talcarrier.ko /t/ktest.signed.tlm kt2
as_user "call the second instance" 0 "^3$" /t/talload call kt2 kt_add 1 2
# several processes run a module (calls of seconds under TCG) while root,
# once the shim lists a call as running, tries to unload it: the unload is
# refused, every call ends in its fuel trap, and nothing in the kernel breaks
echo 2147483648 > /sys/module/talshim/parameters/fuel    # calls of seconds (past the time a loaded guest may take to start the last call or the unload), to race
for i in 1 2 3; do su -s /bin/sh nobody -c "/t/talload call kt kt_spin" >/tmp/spin$i 2>&1 & done
# wait until the shim says a call is running (talload list), then unload;
# a busy host can take more than 10 s to start su and talload in the guest
n=0
until /t/talload list 2>/dev/null | grep -qE '^kt	.*	[1-9][0-9]* running'; do
	n=$((n + 1)); [ $n -gt 1200 ] && break
	usleep 50000 2>/dev/null || sleep 1
done
[ $n -gt 1200 ] && echo "(no call of kt was seen running within the wait: the checks below fail for that)"
/t/talload unload kt >/tmp/unload_busy 2>&1; busy_rc=$?
wait
echo 16777216 > /sys/module/talshim/parameters/fuel
spun=0
for i in 1 2 3; do grep -q "trap: fuel" /tmp/spin$i && spun=$((spun + 1)); done
if [ $spun = 3 ]; then ok "three concurrent runaway calls each end in the fuel trap"; else fail "concurrent calls: $spun of 3 trapped: $(cat /tmp/spin1 /tmp/spin2 /tmp/spin3)"; fi
if [ $busy_rc != 0 ] && grep -q "in use" /tmp/unload_busy; then
	ok "an unload during the calls is refused: $(head -n 1 /tmp/unload_busy)"
else
	fail "an unload during the calls (exit $busy_rc): $(cat /tmp/unload_busy)"
	/t/talload load /t/talcarrier.ko /t/ktest.signed.tlm kt >/dev/null 2>&1
fi
expect "unload kt" 0 "kt: unloaded" /t/talload unload kt
as_user "a call to an unloaded module" 2 "no module 'kt' is loaded" /t/talload call kt kt_add 1 2
as_user "unloading needs privilege" 2 "Operation not permitted" /t/talload unload kt2
expect "unload kt2" 0 "kt2: unloaded" /t/talload unload kt2
out=$(/t/talload list 2>&1)
if [ $? = 0 ] && [ -z "$out" ]; then ok "list is empty"; else fail "list is not empty: $out"; fi
expect "unload talshim.ko" 0 "" rmmod talshim

# ---- the kernel log ----
if dmesg | grep -qE 'BUG:|WARNING:|Oops|general protection'; then fail "the kernel log shows a BUG, WARNING or Oops"; else ok "no BUG, WARNING or Oops in the kernel log"; fi
echo "---- kernel log ----"
dmesg | grep -vE '^\[ *[0-9.]+\] (ACPI|PCI|pci|e820|BIOS|x86|smpboot|clocksource|Memory|Zone|DMA|Normal|Movable|Early|Kernel command|Dentry|Inode|mem auto|Unknown kernel|printk|pid_max|rcu|NR_IRQS|Console|HugeTLB)'
echo "---- end of kernel log ----"
echo TAL-KERNEL-TESTS-DONE
poweroff -f
