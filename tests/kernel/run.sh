#!/usr/bin/env bash
# tests/kernel/run.sh - the kernel shim, end to end, in one boot of Debian's
# kernel under qemu (TCG) with a busybox initramfs.
#
#   run.sh [BUILD_DIR [WORK_DIR]]
#
# BUILD_DIR holds the user-space tools (talas, tallink, talcheck; default
# build/); WORK_DIR receives everything made here (default: a temporary
# directory, removed afterwards).  Builds talshim.ko, talcarrier.ko and
# talload from kernel-shim/ (in a copy), the test modules from
# tests/kernel/src, boots /boot/vmlinuz-*-amd64 with an initramfs whose
# init runs the guest-side tests (tests/kernel/guest.sh), and fails if
# a guest test fails, the end marker is missing, or the kernel log shows
# BUG, WARNING, Oops or a general protection fault.
#
# Exit status: 0 passed, 1 failed, 77 skipped (no kernel, headers, qemu
# or busybox on this machine).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=$(cd "${1:-$src/build}" && pwd)
if [ -n "${2:-}" ]; then
	work=$2
	rm -rf "$work"
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
TIMEOUT=${TAL_KTEST_TIMEOUT:-170}

skip() { echo "kernel test: skipped: $*"; exit 77; }
die() { echo "kernel test: FAIL: $*" >&2; exit 1; }

. "$here/tools.sh"
kernel_tools skip
"$busybox" --list 2>/dev/null | grep -qx su || skip "$busybox has no su applet"
for t in talas tallink talcheck talrun; do [ -x "$bin/$t" ] || die "no $bin/$t: build the project first"; done

start=$(date +%s)

# ---- the kernel modules and talload ----
mkdir -p "$work/ks"
cp -r "$src/kernel-shim/Makefile" "$src"/kernel-shim/*.[chS] "$src/kernel-shim/tal_kernel.tali" "$src/kernel-shim/kinc" "$work/ks/"
make -s -C "$work/ks" TAL_SRC="$src" TAL_BIN="$bin" KVER="$kver" all > "$work/ks.log" 2>&1 ||
	{ cat "$work/ks.log"; die "building kernel-shim failed"; }
grep -E "warning|WARNING" "$work/ks.log" | grep -v "Skipping BTF" && die "kernel-shim builds with warnings"
cc -static -O2 -Wall -I"$src/kernel-shim" -o "$work/badioctl" "$here/src/badioctl.c" || die "building badioctl failed"

# ---- the test modules ----
m=$work/mods
mkdir -p "$m"
(
	cd "$m"
	"$src/runtime/talkey" -k key.pem -c cert.pem >/dev/null
	"$src/runtime/talkey" -k other.pem -c othercert.pem -s "/CN=untrusted tal key" >/dev/null
	openssl x509 -in cert.pem -outform DER -out cert.der
	"$bin/talas" -I "$src/kernel-shim" -o ktest.o "$here/src/ktest.tal"
	"$bin/tallink" --host "$src/kernel-shim/tal_kernel.tali" -o ktest.tlm ktest.o
	"$bin/talcheck" --profile kernel --sign key.pem --cert cert.pem -o ktest.signed.tlm ktest.tlm
	"$bin/talcheck" --profile kernel --sign other.pem --cert othercert.pem -o other.signed.tlm ktest.tlm
	# the examples in the kernel (examples/kernel)
	for e in kfind kchecksum kfilter; do
		"$bin/talas" -I "$src/kernel-shim" -o $e.o "$src/examples/kernel/$e.tal"
		"$bin/tallink" --host "$src/kernel-shim/tal_kernel.tali" -o $e.tlm $e.o
		"$bin/talcheck" --profile kernel --sign key.pem --cert cert.pem -o $e.signed.tlm $e.tlm
	done
	# packets for kfilter, each after its length (2 bytes, little-endian): TTL $1, port $2 $3
	packet() { printf "\x36\0\0\0\0\0\0\0\0\0\0\0\0\0\x08\x00\x45\0\0\x28\0\0\x40\0\x$1\x06\0\0\x0a\0\0\x01\x0a\0\0\x02\x30\x39\x$2\x$3\0\0\0\0\0\0\0\0\x50\0\0\0\0\0\0\0"; }
	{ packet 80 00 50; packet 80 01 bb; packet 40 00 50; packet 80 00 16; packet 80 00 50
	  printf "\x25\0"; packet 80 00 50 | tail -c +3 | head -c 37; packet 80 01 bb; } > packets.bin
	# the same filter in the user-space host: what the kernel must answer
	"$bin/talas" -I "$src/runtime" -o filter.o "$src/examples/filter.tal"
	"$bin/tallink" -I "$src/runtime" -o filter.tlm filter.o
	"$bin/talcheck" --sign key.pem --cert cert.pem -o filter.signed.tlm filter.tlm
	"$bin/talrun" --cert cert.pem filter.signed.tlm filter_count @packets.bin > packets.want
	[ "$(cat packets.want)" = 4 ]
	# the same module verified only with the user profile: the shim refuses it
	"$bin/talcheck" --sign key.pem --cert cert.pem -o userprofile.signed.tlm ktest.tlm
	"$bin/talas" -I "$src/runtime" -o hostiface.o "$here/src/hostiface.tal"
	"$bin/tallink" -I "$src/runtime" -o hostiface.tlm hostiface.o
	"$bin/talcheck" --profile kernel --sign key.pem --cert cert.pem -o hostiface.signed.tlm hostiface.tlm
	# signed again by openssl with the signer's certificate inside the
	# PKCS#7 (its default), and that with a BER length: the kernel's
	# verify_pkcs7_signature would follow a chain through such certificates
	# and its parser reads BER, so the shim refuses both
	resign() {   # resign IN OUT [ber]
		local n siglen p7
		n=$(stat -c %s "$1")
		siglen=$(od -An -tu1 -j $((n - 32)) -N 4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
		head -c $((n - 40 - siglen)) "$1" > "$2.part"
		openssl cms -sign -binary -noattr -md sha256 -in "$2.part" -signer cert.pem -inkey key.pem -outform DER -out "$2.p7"
		if [ "${3:-}" = ber ]; then   # 30 82 HH LL ... -> 30 80 ... 00 00: an indefinite length, BER but not DER
			[ "$(od -An -tx1 -N 2 "$2.p7" | tr -d ' ')" = 3082 ]
			{ printf '\x30\x80'; tail -c +5 "$2.p7"; printf '\0\0'; } > "$2.ber" && mv "$2.ber" "$2.p7"
		fi
		p7=$(stat -c %s "$2.p7")
		{ cat "$2.part" "$2.p7"; printf '\0\0\2\0\0\0\0\0'
		  printf "$(printf '\\%03o' $((p7 >> 24 & 255)) $((p7 >> 16 & 255)) $((p7 >> 8 & 255)) $((p7 & 255)))"
		  printf '~Module signature appended~\n'; } > "$2"
		rm -f "$2.part" "$2.p7"
	}
	resign ktest.signed.tlm certs.signed.tlm
	resign ktest.signed.tlm ber.signed.tlm ber
	# tampered: one byte of the image flipped in the signed file (code at
	# the start, code further in, a constant)
	image_off=$(od -An -tu4 -j $((64 + 8 + 4 * 2)) -N 4 ktest.tlm | tr -d ' ')
	rodata_off=$(od -An -tu4 -j $((64 + 8 + 4 * 7)) -N 4 ktest.tlm | tr -d ' ')
	n=0
	for at in $image_off $((image_off + 0x30)) $((image_off + rodata_off + 3)); do
		n=$((n + 1))
		cp ktest.signed.tlm tampered$n.signed.tlm
		b=$(od -An -tu1 -j "$at" -N 1 ktest.signed.tlm | tr -d ' ')
		printf "$(printf '\\%03o' $(((b ^ 0x01) & 0xff)))" |
			dd of=tampered$n.signed.tlm bs=1 seek="$at" conv=notrunc status=none
		cmp -s ktest.signed.tlm tampered$n.signed.tlm && exit 1
	done
	true
) > "$work/mods.log" 2>&1 || { cat "$work/mods.log"; die "building the test modules failed"; }

# ---- carriers whose code is not the signed image (the signed file intact) ----
flip() {   # flip FILE OFFSET: xor one byte with 1
	local b
	b=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(((b ^ 0x01) & 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
(
	set -e
	ks=$work/ks
	"$ks/talload" fill "$ks/talcarrier.ko" "$m/ktest.signed.tlm" badcode "$m/badcode.ko"
	"$ks/talload" fill "$ks/talcarrier.ko" "$m/ktest.signed.tlm" badstub "$m/badstub.ko"
	"$ks/talload" fill "$ks/talcarrier.ko" "$m/ktest.signed.tlm" badentry "$m/badentry.ko"
	"$ks/talload" fill "$ks/talcarrier.ko" "$m/ktest.signed.tlm" badgetpid "$m/badgetpid.ko"
	# a FIFO for the module is refused at once, not waited on
	mkfifo "$m/fifo.tlm"
	rc=0; timeout 10 "$ks/talload" fill "$ks/talcarrier.ko" "$m/fifo.tlm" fifo "$m/fifo.ko" 2>"$m/fifo.err" || rc=$?
	[ "$rc" -eq 2 ] && grep -q "not a regular file" "$m/fifo.err" && [ ! -e "$m/fifo.ko" ]
	text=$(readelf -S -W "$ks/talcarrier.ko" | sed -n 's/.*\] \.tal\.text  *PROGBITS  *[0-9a-f]*  *\([0-9a-f]*\) .*/\1/p')
	[ -n "$text" ]
	text=$((0x$text))
	stubs_off=$(od -An -tu4 -j $((64 + 8 + 4 * 5)) -N 4 "$m/ktest.tlm" | tr -d ' ')
	# the layout of talshim_uapi.h: stub area 1024 bytes, tal_getpid's body at 384, entries at 512
	flip "$m/badcode.ko" $((text + 1024 + 1))                  # a byte of code
	flip "$m/badstub.ko" $((text + 1024 + stubs_off + 1))      # stub 0: its branch moved by a byte
	flip "$m/badentry.ko" $((text + 512 + 5))                  # entry 0: its jump moved by a byte
	flip "$m/badgetpid.ko" $((text + 384 + 10))                # tal_getpid's body: mov esi, 0
) > "$work/carriers.log" 2>&1 || { cat "$work/carriers.log"; die "making the corrupted carriers failed"; }

# ---- the initramfs ----
r=$work/root
mkdir -p "$r"/{bin,sbin,dev,proc,sys,tmp,etc,root,t}
cp "$busybox" "$r/bin/busybox"
for a in sh su; do ln -s busybox "$r/bin/$a"; done
cp "$work/ks/talshim.ko" "$work/ks/talcarrier.ko" "$work/ks/talload" "$work/badioctl" "$r/t/"
cp "$m"/*.signed.tlm "$m/ktest.tlm" "$m/cert.der" "$m/badcode.ko" "$m/badstub.ko" "$m/badentry.ko" "$m/badgetpid.ko" "$m/packets.bin" "$m/packets.want" "$r/t/"
cp "$here/guest.sh" "$r/init"
chmod 755 "$r/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initramfs.cpio.gz"

# ---- the boot ----
echo "kernel test: booting $kernel (TCG)"
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -smp 2 -nographic -no-reboot -m 512 \
	-kernel "$kernel" -initrd "$work/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 quiet" < /dev/null > "$work/console.log" 2>&1
qrc=$?
set -e
tr -d '\r' < "$work/console.log" > "$work/console.txt"
grep -E '^(ok|FAIL|skip): ' "$work/console.txt" || true
elapsed=$(( $(date +%s) - start ))

status=0
[ $qrc -eq 124 ] && { echo "kernel test: FAIL: the guest did not finish in ${TIMEOUT}s"; status=1; }
grep -q '^FAIL: ' "$work/console.txt" && { echo "kernel test: FAIL: guest tests failed"; status=1; }
grep -q '^TAL-KERNEL-TESTS-DONE$' "$work/console.txt" || { echo "kernel test: FAIL: no end marker from the guest"; status=1; }
if grep -nE '^\[ *[0-9.]+\] .*(BUG:|WARNING:|Oops|general protection|Kernel panic|Call Trace)' "$work/console.txt"; then
	echo "kernel test: FAIL: the kernel log shows a BUG, WARNING, Oops or panic"
	status=1
fi
if [ $status -ne 0 ]; then
	echo "---- console (last 80 lines) ----"
	tail -n 80 "$work/console.txt"
	exit 1
fi
echo "kernel test: passed in ${elapsed}s (kernel $kver)"
