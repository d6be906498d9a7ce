#!/usr/bin/env bash
# modules.sh BIN TEST_SIGN EXAMPLES HOSTDIR KEYDIR WORKDIR - real modules:
# an example of two units assembled and linked by the tools in BIN, signed
# by talcheck --sign, verified by talverify against the host interface
# tallink compiles; and the library's tampering tests on that module.
set -u
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=134"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:exitcode=134"
bin=$1 test_sign=$2 examples=$3 host=$4 keys=$5 work=$6
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

"$bin/talas" -I "$host" -I "$examples" -o stats.o "$examples/stats.tal" &&
"$bin/talas" -I "$host" -I "$examples" -o vec.o "$examples/vec.tal" &&
"$bin/tallink" -I "$host" -I "$examples" -o stats.tlm stats.o vec.o || { echo "FAIL: cannot build stats.tlm"; exit 1; }
"$bin/tallink" -I "$host" --emit-interface iface.bin || fail "tallink --emit-interface"
digest=$("$bin/tallink" -I "$host" --interface-digest) || fail "tallink --interface-digest"
[ "$digest" = "$(sha256sum <iface.bin | cut -c1-64)" ] || fail "the interface digest is not the SHA-256 of the interface"

"$bin/talcheck" --sign "$keys/a.key" --cert "$keys/a.crt" -o stats.signed.tlm stats.tlm || fail "talcheck --sign"
# What is signed is what was checked: talcheck reads its input once, so a
# file changed between the check and the signature cannot be signed.
# (strace counts the opens; LeakSanitizer cannot run under ptrace.)
ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -qq -e trace=open,openat -o opens \
  "$bin/talcheck" --sign "$keys/a.key" --cert "$keys/a.crt" -o stats.again.tlm stats.tlm || fail "talcheck --sign under strace"
[ "$(grep -c '"stats.tlm"' opens)" = 1 ] || { fail "talcheck opened its input more than once"; grep '"stats.tlm"' opens; }
cmp -s stats.signed.tlm stats.again.tlm || fail "two signatures of one module differ"
"$bin/talverify" --cert "$keys/a.crt" --interface iface.bin stats.signed.tlm 2>err || { fail "talverify --interface"; cat err; }
grep -q '^stats.signed.tlm: ok (verified by talcheck ' err || { fail "talverify says"; cat err; }
"$bin/talverify" --cert "$keys/a.crt" --interface-digest "$digest" stats.signed.tlm 2>err || { fail "talverify --interface-digest"; cat err; }
"$bin/talverify" --cert "$keys/b.crt" --interface iface.bin stats.signed.tlm 2>err
[ $? -eq 1 ] && grep -q '\[untrusted\]' err || { fail "talverify trusts another signer"; cat err; }
"$bin/talverify" --cert "$keys/a.crt" --interface iface.bin stats.tlm 2>err
[ $? -eq 1 ] && grep -q '\[unsigned\]' err || { fail "talverify accepts the unsigned module"; cat err; }
[ "$(head -c "$(wc -c <stats.tlm)" stats.signed.tlm | cmp - stats.tlm && echo same)" = same ] \
  || fail "the signed module does not start with the module"

# A key or certificate that is no regular file is refused at once: a FIFO
# is not waited on, a device not read without end; nothing is written.
mkfifo fifo.pem
refused() {  # WHAT ARGS... : talcheck ARGS exits 2 within 10 s, cannot read WHAT, not a regular file
  local what=$1; shift
  rm -f refused.tlm
  timeout 10 "$bin/talcheck" "$@" -o refused.tlm stats.tlm 2>err; local rc=$?
  [ $rc -eq 2 ] && grep -qF "cannot read the $what: not a regular file" err && [ ! -e refused.tlm ] \
    || { fail "talcheck $*: exit $rc, expected 2 and 'cannot read the $what: not a regular file'"; cat err; }
}
refused "key fifo.pem" --sign fifo.pem --cert "$keys/a.crt"
refused "key /dev/zero" --sign /dev/zero --cert "$keys/a.crt"
refused "key fifo.pem" --sign fifo.pem
refused "certificate fifo.pem" --sign "$keys/a.key" --cert fifo.pem
refused "certificate /dev/zero" --sign "$keys/a.key" --cert /dev/zero

"$test_sign" "$keys" files --only stats.tlm >out || { fail "test_sign on stats.tlm"; grep FAIL out | head -20; }
tail -1 out
echo "modules: $failures failures"
[ $failures -eq 0 ]
