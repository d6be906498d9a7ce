#!/usr/bin/env bash
#
# run_zydis.sh TALAS GEN DIFF WORKDIR stream
# run_zydis.sh TALAS GEN DIFF WORKDIR random SEED COUNT
#
# The decoder's differential tests against Zydis.  GEN (gen_encoding)
# prints a source covering every row of common/x86.def, TALAS assembles it,
# and DIFF (diff_zydis) decodes the object's .text with the verifier's
# decoder and with Zydis: the whole stream (stream), or COUNT random byte
# strings seeded with SEED, many of them mutations of that .text (random).
#
# Exit: diff_zydis's (0 identical, 1 differences), 2 usage or setup failure.
# Set ZYDIS_KEEP=1 to keep the work directory (path printed at the end).

set -u -o pipefail

if [ $# -lt 5 ]; then
	echo "usage: $0 TALAS GEN DIFF WORKDIR stream|random [SEED COUNT]" >&2
	exit 2
fi
talas=$1 gen=$2 diff=$3 workdir=$4 mode=$5
shift 5

mkdir -p "$workdir" || exit 2
tmp=$(mktemp -d "$workdir/zydis.XXXXXX") || exit 2
cleanup() {
	if [ "${ZYDIS_KEEP:-0}" = 1 ]; then
		echo "zydis: work files kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

if ! "$gen" >"$tmp/enc.s"; then
	echo "zydis: generator $gen failed" >&2
	exit 2
fi
if ! "$talas" -o "$tmp/enc.o" "$tmp/enc.s" >"$tmp/talas.err" 2>&1; then
	echo "zydis: talas rejected the generated source:" >&2
	head -n 10 "$tmp/talas.err" >&2
	exit 2
fi

case $mode in
stream) "$diff" stream "$tmp/enc.o" ;;
random) "$diff" random "$@" "$tmp/enc.o" ;;
*) echo "zydis: unknown mode $mode" >&2; exit 2 ;;
esac
