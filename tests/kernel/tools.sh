# tests/kernel/tools.sh - sourced by tests/kernel/run.sh and bench/kernel.sh:
# what booting Debian's kernel under qemu with a busybox initramfs needs.
#
#   kernel_tools MISSING
#
# sets headers, kver, kernel and busybox, or runs MISSING "why" (a function
# that exits: the test skips, the benchmark fails) for the first thing
# missing.
kernel_tools() {
	headers=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
	[ -n "$headers" ] || "$1" "no /usr/src/linux-headers-*-amd64 (install linux-headers-amd64)"
	kver=${headers#/usr/src/linux-headers-}
	kernel=/boot/vmlinuz-$kver
	[ -r "$kernel" ] || "$1" "no readable $kernel (install linux-image-amd64 matching the headers)"
	command -v qemu-system-x86_64 >/dev/null || "$1" "no qemu-system-x86_64 (install qemu-system-x86)"
	busybox=$(command -v busybox || true)
	[ -n "$busybox" ] || "$1" "no busybox (install busybox-static)"
	if readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then "$1" "$busybox is not statically linked (install busybox-static)"; fi
	command -v cpio >/dev/null || "$1" "no cpio"
}
