#!/bin/sh
# guest.sh - /init of bench/kernel.sh's initramfs: prints what the guest
# runs on (`bench-info: ` lines), loads talshim.ko (fuel raised for the
# run), trusts the benchmark's certificate, loads the verified module
# kgetpid as "kg" and cloop.ko, checks that `talload call kg kloop NK`
# sums NK times talload's pid, runs kbench and prints its `key value`
# lines as `bench: ` lines, unloads everything, then prints
# `bench-status: N` (0 done, 1 a wrong result, 2 a step failed), the end
# marker, and powers the guest off.
# The counts come from /t/params (written by bench/kernel.sh): NK (loop
# iterations in the kernel), NS (system calls), REPS (timed rounds).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
dmesg -n 1
echo
cd /t
. /t/params

status=0
step() {   # step WHAT CMD...: run CMD, print its output; on failure, say so and stop
	what=$1
	shift
	if ! "$@" > /tmp/out 2>&1; then
		echo "bench-error: $what failed:"
		sed 's/^/    /' /tmp/out
		status=2
		return 1
	fi
	echo "bench-step: $what: $(head -n 1 /tmp/out)"
}

info() {   # what the guest runs on: the CPU qemu presents and the kernel's mitigations
	echo "bench-info: cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)"
	for v in spectre_v2 retbleed spec_rstack_overflow; do
		[ -r /sys/devices/system/cpu/vulnerabilities/$v ] &&
			echo "bench-info: $v: $(cat /sys/devices/system/cpu/vulnerabilities/$v)"
	done
	echo "bench-info: clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
}

run() {
	info
	step "insmod talshim.ko" insmod /t/talshim.ko || return
	# one unit of fuel per round of kloop: enough for NK rounds and more
	echo $((NK * 2)) > /sys/module/talshim/parameters/fuel
	echo "bench-step: talshim fuel per invocation: $(cat /sys/module/talshim/parameters/fuel)"
	step "talload addcert" /t/talload addcert /t/cert.der || return
	step "talload load kgetpid" /t/talload load /t/talcarrier.ko /t/kgetpid.signed.tlm kg || return
	step "insmod cloop.ko" insmod /t/cloop.ko || return
	# talload itself, for a large n: the sum must be n times talload's pid
	set -- $(sh -c 'echo $$; exec /t/talload call kg kloop '"$NK" 2>&1)
	if [ "$#" = 2 ] && [ "$2" = $(($1 * NK)) ]; then
		echo "bench-step: talload call kg kloop $NK: $2 = $NK x pid $1"
	else
		echo "bench-error: talload call kg kloop $NK: $*"
		status=1
		return
	fi
	/t/kbench kg "$NK" "$NS" "$REPS" > /tmp/res 2> /tmp/err
	status=$?
	sed 's/^/bench: /' /tmp/res
	sed 's/^/bench-error: /' /tmp/err
	# find: the verified walk in the kernel against the C walk in user space
	step "make the tree" /t/gen_tree /tmp/tree 1400 24000 || return
	printf '/tmp/tree' > /tmp/treepath
	step "talload load kfind" /t/talload load /t/talcarrier.ko /t/kfind.signed.tlm kf || return
	echo 100000000 > /sys/module/talshim/parameters/fuel
	/t/timeit kfind 5 /t/talload call kf kfind @/tmp/treepath 1 > /tmp/kf 2> /tmp/err || { echo "bench-error: kfind: $(cat /tmp/err)"; status=1; return; }
	/t/timeit cfind 5 /t/find_c /tmp/tree 1 > /tmp/cf 2> /tmp/err || { echo "bench-error: find_c: $(cat /tmp/err)"; status=1; return; }
	sed 's/^/bench: /' /tmp/kf /tmp/cf
	k=$(sed -n 's/^kfind_out //p' /tmp/kf); c=$(sed -n 's/^cfind_out //p' /tmp/cf)
	if [ "$k" != "$c" ] || [ "$k" != 24000 ]; then echo "bench-error: the walks disagree: kernel $k, C $c (24000 files made)"; status=1; fi
	echo "bench: find_dirs 1400"
	echo "bench: find_files 24000"
	echo "bench: find_reps 5"
	step "talload unload kf" /t/talload unload kf
	step "talload unload kg" /t/talload unload kg
	step "rmmod cloop" rmmod cloop
	step "rmmod talshim" rmmod talshim
}
run
if dmesg | grep -qE 'BUG:|WARNING:|Oops|general protection|rcu.*stall'; then
	echo "bench-error: the kernel log shows a BUG, WARNING, Oops or RCU stall:"
	dmesg | tail -n 40 | sed 's/^/    /'
	[ $status = 0 ] && status=1
fi
echo "bench-status: $status"
echo TAL-KERNEL-BENCH-DONE
poweroff -f
