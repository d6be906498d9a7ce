# elfedit.sh - sourced by the tests that edit ELF files in place: read and
# write little-endian numbers, and find a section's header.

# u FILE WIDTH OFFSET: the unsigned little-endian number there
u() { od -An -t "u$2" -j "$3" -N "$2" "$1" | tr -d ' \n'; }

# put FILE OFFSET WIDTH VALUE: write VALUE there, little-endian
put() {
  local s='' i
  for ((i = 0; i < $3; i++)); do s+=$(printf '\\%03o' $((($4 >> (8 * i)) & 255))); done
  printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# shdr FILE NAME: file offset of the section header of NAME
shdr() {
  local i
  i=$(readelf -SW "$1" | sed -n "s/^ *\[ *\([0-9]*\)\] $2 .*/\1/p" | head -1)
  [ -n "$i" ] || { echo "elfedit.sh: no section $2 in $1" >&2; exit 1; }
  echo $(($(u "$1" 8 40) + i * $(u "$1" 2 58)))
}
# field offsets in an Elf64_Shdr
SH_NAME=0 SH_TYPE=4 SH_OFFSET=24 SH_SIZE=32 SH_LINK=40 SH_ENTSIZE=56
