#!/usr/bin/env bash
# cli.sh TALVERIFY KEYDIR FILEDIR WORKDIR - talverify's messages and exit
# codes: 0 all verified, 1 some module refused, 2 usage or I/O error; it
# never changes a file.
set -u
# In a sanitizer build a report must not pass for a refusal (exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
tv=$1 keys=$2 files=$3 work=$4
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 2
failures=0 runs=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run WANT PATTERN ARGS... - talverify ARGS exits with WANT (within 10 s) and its stderr matches PATTERN
run() {
  local want=$1 pattern=$2; shift 2
  timeout 10 "$tv" "$@" >out 2>err; local rc=$?
  runs=$((runs + 1))
  [ $rc -eq "$want" ] || { fail "talverify $* exited $rc, not $want"; cat err; return; }
  [ -z "$pattern" ] || grep -qE -- "$pattern" err || { fail "talverify $*: stderr does not match '$pattern':"; cat err; }
}

cp "$files"/*.tlm "$files/iface.bin" .
digest=$(sha256sum <iface.bin | cut -c1-64)
other=$(printf 'another interface' | sha256sum | cut -c1-64)
sums=$(cksum ./*.tlm iface.bin)
A=(--cert "$keys/a.crt")

# Verified.
run 0 '^signed.tlm: ok \(verified by talcheck 0\.1\.0-test\)$' "${A[@]}" --interface iface.bin signed.tlm
run 0 '^signed.tlm: ok' "${A[@]}" --interface-digest "$digest" signed.tlm
run 0 '^signed.tlm: ok' "${A[@]}" --interface-digest "${digest^^}" signed.tlm
run 0 '^signed.tlm: ok' -cert="$keys/a.crt" -interface=iface.bin signed.tlm
run 0 '^untrusted.tlm: ok' --cert "$keys/b.crt" "${A[@]}" --interface iface.bin untrusted.tlm
run 0 '^signed.tlm: ok' --cert "$keys/a.der" --interface iface.bin signed.tlm
run 0 '^signed.tlm: ok' --interface iface.bin signed.tlm "${A[@]}"

# Refused, with the reason.
run 1 '^tampered.tlm: error: \[tampered\] signature: ' "${A[@]}" --interface iface.bin tampered.tlm
run 1 '^untrusted.tlm: error: \[untrusted\] signature: made by a key that is not trusted \(issuer /CN=second signer/O=tal tests, serial 0x[0-9A-F]+; 1 trusted certificate\)$' \
  "${A[@]}" --interface iface.bin untrusted.tlm
run 1 '^wrongif.tlm: error: \[wrong interface\] interface: ' "${A[@]}" --interface iface.bin wrongif.tlm
run 1 '^signed.tlm: error: \[wrong interface\] interface: the module was verified against interface [0-9a-f]{16}\.\.\., the host.s is [0-9a-f]{16}' \
  "${A[@]}" --interface-digest "$other" signed.tlm
run 1 '^module.tlm: error: \[unsigned\] signature: the module is not signed' "${A[@]}" --interface iface.bin module.tlm
: >empty.tlm
run 1 '^empty.tlm: error: \[unsigned\]' "${A[@]}" --interface iface.bin empty.tlm
head -c -1 signed.tlm >cut.tlm
run 1 '^cut.tlm: error: \[unsigned\]' "${A[@]}" --interface iface.bin cut.tlm
# All are verified, each says so, the status is the worst.
run 1 '' "${A[@]}" --interface iface.bin signed.tlm tampered.tlm signed.tlm
[ "$(grep -c ': ok ' err)" = 2 ] && [ "$(grep -c ': error: ' err)" = 1 ] || { fail "three modules, not three lines:"; cat err; }

# Usage and I/O errors.
run 2 '^talverify: error: cannot read missing.tlm: No such file or directory$' "${A[@]}" --interface iface.bin missing.tlm
run 2 '' "${A[@]}" --interface iface.bin signed.tlm missing.tlm tampered.tlm
[ "$(grep -c ': ok ' err)" = 1 ] && grep -q '^tampered.tlm: error:' err || { fail "an I/O error stopped the others:"; cat err; }
run 2 'no --cert' --interface iface.bin signed.tlm
run 2 'no --interface' "${A[@]}" signed.tlm
run 2 'no module' "${A[@]}" --interface iface.bin
run 2 'give the interface once' "${A[@]}" --interface iface.bin --interface-digest "$digest" signed.tlm
run 2 'not 64 hex digits' "${A[@]}" --interface-digest "${digest:1}" signed.tlm
run 2 'not 64 hex digits' "${A[@]}" --interface-digest "${digest:1}g" signed.tlm
run 2 'cannot read the interface nowhere.bin' "${A[@]}" --interface nowhere.bin signed.tlm
run 2 'cannot read the certificate' --cert nowhere.crt --interface iface.bin signed.tlm
# A FIFO or a device is refused at once: not waited on, not read without end.
mkfifo fifo
run 2 '^talverify: error: cannot read fifo: not a regular file$' "${A[@]}" --interface iface.bin fifo
run 2 '^talverify: error: cannot read /dev/zero: not a regular file$' "${A[@]}" --interface iface.bin /dev/zero
run 2 'cannot read the interface fifo: not a regular file' "${A[@]}" --interface fifo signed.tlm
run 2 'cannot read the interface /dev/zero: not a regular file' "${A[@]}" --interface /dev/zero signed.tlm
run 2 'cannot read the certificate fifo: not a regular file' --cert fifo --interface iface.bin signed.tlm
run 2 'cannot read the certificate /dev/zero: not a regular file' --cert /dev/zero --interface iface.bin signed.tlm
run 2 'no certificate in the file' --cert "$keys/a.key" --interface iface.bin signed.tlm
run 2 'unknown option --frobnicate' "${A[@]}" --interface iface.bin --frobnicate signed.tlm
run 2 'missing argument to --cert' --interface iface.bin signed.tlm --cert
run 2 "Try 'talverify --help'" -x
run 0 '' --help
grep -q '^Usage: talverify ' out || fail "--help prints no usage"
run 0 '' --version
grep -q '^talverify (tal) [0-9]' out || fail "--version prints $(cat out)"

# It only reads.
[ "$(cksum ./*.tlm iface.bin | grep -v -e empty.tlm -e cut.tlm)" = "$sums" ] || fail "talverify changed a file"

echo "cli: $runs runs, $failures failures"
[ $failures -eq 0 ]
