#!/usr/bin/env bash
# openssl.sh KEYDIR FILEDIR WORKDIR TALVERIFY - a signed module, taken apart
# by the trailer layout with head and tail alone (none of our code), is a
# detached PKCS#7 signature that `openssl cms -verify` accepts over module
# and attestation, of the shape the kernel's sign-file makes; changing a
# byte makes openssl refuse it; `openssl cms -sign` makes the same bytes,
# and a file put together from them by hand verifies; ELF tools still read
# the signed file.
#
#   [module][attestation, 88][PKCS#7 DER][module_signature, 12][magic, 28]
set -u
keys=$1 files=$2 work=$3 talverify=$4
rm -rf "$work"; mkdir -p "$work"; cd "$work" || exit 2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

signed=$files/signed.tlm
size=$(wc -c <"$signed")

# The magic, then struct module_signature: algo, hash, id_type (2: PKCS#7),
# signer_len, key_id_len, 3 bytes of padding, sig_len (big-endian).
printf '~Module signature appended~\n' >magic.ref
tail -c 28 "$signed" | cmp -s - magic.ref || fail "no signature magic at the end"
read -r -a info < <(tail -c 40 "$signed" | head -c 12 | od -An -v -tu1)
[ "${#info[@]}" -eq 12 ] || fail "the signature information is not 12 bytes"
[ "${info[*]:0:8}" = "0 0 2 0 0 0 0 0" ] || fail "the signature information is ${info[*]:0:8}, not that of PKCS#7"
siglen=$(( info[8] << 24 | info[9] << 16 | info[10] << 8 | info[11] ))
signedlen=$((size - 40 - siglen))
modlen=$((signedlen - 88))
echo "file $size bytes: module $modlen, attestation 88, signature $siglen, trailer 40"

head -c "$signedlen" "$signed" >signed.bin
tail -c $((siglen + 40)) "$signed" | head -c "$siglen" >sig.der
head -c "$modlen" "$signed" >module.bin
tail -c 88 signed.bin >attest.bin
cmp -s module.bin "$files/module.tlm" || fail "the signed file does not start with the module"
[ "$(head -c 8 attest.bin)" = TALATTS1 ] || fail "the attestation does not start with TALATTS1"
read -r -a att < <(head -c 16 attest.bin | tail -c 8 | od -An -v -tu4 --endian=little)
[ "${att[0]}" = 88 ] && [ "${att[1]}" = "$modlen" ] || fail "the attestation says size ${att[0]}, module ${att[1]}"
[ "$(tail -c 32 attest.bin | od -An -v -tx1 | tr -d ' \n')" = "$(sha256sum <"$files/iface.bin" | cut -c1-64)" ] \
  || fail "the attestation does not name the interface's SHA-256"

# openssl verifies it: with the certificate as the only one, or as a CA.
cms() { openssl cms -verify -binary -inform DER -in "$1" -content "$2" -nointern -certfile "$3" "${@:4}" -out /dev/null 2>err; }
cms sig.der signed.bin "$keys/a.crt" -noverify || { fail "openssl cms -verify refuses the signature"; cat err; }
cms sig.der signed.bin "$keys/a.crt" -CAfile "$keys/a.crt" -purpose any || { fail "openssl cms -verify -CAfile refuses it"; cat err; }
cms sig.der signed.bin "$keys/b.crt" -noverify && fail "openssl accepts b's certificate for a's signature"
cms sig.der signed.bin "$keys/c.crt" -noverify && fail "openssl accepts the impostor's certificate"
for at in 0 100 $((modlen - 1)) $((modlen + 20)) $((signedlen - 1)); do
  cp signed.bin flipped.bin
  printf '\xa5' | dd of=flipped.bin bs=1 seek="$at" conv=notrunc status=none
  cmp -s flipped.bin signed.bin && continue
  cms sig.der flipped.bin "$keys/a.crt" -noverify && fail "openssl accepts the signed bytes with byte $at changed"
done
cp sig.der flipped.der
# the byte's complement: a constant would, once in 256 signatures, be the byte already there
b=$(od -An -v -tu1 -j $((siglen - 5)) -N 1 sig.der | tr -d ' ')
printf "\\$(printf '%03o' $((b ^ 255)))" | dd of=flipped.der bs=1 seek=$((siglen - 5)) conv=notrunc status=none
cmp -s flipped.der sig.der && fail "the signature value was not changed"
cms flipped.der signed.bin "$keys/a.crt" -noverify && fail "openssl accepts a changed signature value"

# The shape sign-file makes: SHA-256, no signed attributes, no certificates.
openssl cms -cmsout -print -inform DER -in sig.der >print 2>err || { fail "the signature does not print"; cat err; }
grep -A1 'signedAttrs:' print | grep -q '<ABSENT>' || fail "the signature has signed attributes"
grep -A1 'certificates:' print | grep -q '<ABSENT>' || fail "the signature carries certificates"
grep -A1 'digestAlgorithm:' print | grep -q 'sha256' || fail "the digest is not SHA-256"
grep -q 'eContent: <ABSENT>' print || fail "the content is not detached"

# openssl cms -sign, as docs/signing.md says, makes the same signature (RSA
# PKCS#1 v1.5 is deterministic), and the file put together by hand verifies.
openssl cms -sign -binary -noattr -nocerts -nosmimecap -md sha256 -signer "$keys/a.crt" -inkey "$keys/a.key" \
  -in signed.bin -outform DER -out byhand.der 2>err || { fail "openssl cms -sign"; cat err; }
cmp -s byhand.der sig.der || fail "openssl cms -sign makes another signature"
n=$(wc -c <byhand.der)
{ cat signed.bin byhand.der
  printf '\0\0\2\0\0\0\0\0'
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n >> 24 & 255)) $((n >> 16 & 255)) $((n >> 8 & 255)) $((n & 255)))"
  printf '~Module signature appended~\n'; } >byhand.tlm
cmp -s byhand.tlm "$signed" || fail "the file put together by hand differs from the signed one"
"$talverify" --cert "$keys/a.crt" --interface "$files/iface.bin" byhand.tlm 2>err || { fail "talverify refuses the file made by hand"; cat err; }

# ELF tools read the signed file as they read the module.
for opt in -h -S -l; do
  readelf -W "$opt" "$files/module.tlm" >mod.out 2>mod.err; rc1=$?
  readelf -W "$opt" "$signed" >sig.out 2>sig.err; rc2=$?
  [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ ! -s mod.err ] && [ ! -s sig.err ] || { fail "readelf $opt: $(cat mod.err sig.err)"; }
  cmp -s mod.out sig.out || fail "readelf $opt reads the signed file differently"
done
grep -q 'DYN' <(readelf -h "$signed") && grep -q 'X86-64' <(readelf -h "$signed") || fail "readelf -h: not an x86-64 ET_DYN file"
grep -q '\.tal\.iface' <(readelf -S -W "$signed") || fail "readelf -S: no .tal.iface section"

echo "openssl: $failures failures"
[ $failures -eq 0 ]
