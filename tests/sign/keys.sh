#!/usr/bin/env bash
# keys.sh TALKEY KEYDIR - talkey makes keys as documented; and the keys the
# other sign.* tests use:
#   a.key a.crt a.der  the trusted signer (talkey, RSA 2048), and a.crt in DER
#   b.key b.crt        a second signer (talkey)
#   c.key c.crt        an impostor: a's issuer and serial number, another key
#   ec.key ec.crt      an EC (P-256) signer
set -u
talkey=$1 dir=$2
rm -rf "$dir"; mkdir -p "$dir"; cd "$dir" || exit 2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run WANT CMD... - CMD exits with WANT
run() {
  local want=$1; shift
  "$@" >out 2>err; local rc=$?
  [ $rc -eq "$want" ] || { fail "$* exited $rc, not $want"; cat err; }
}

run 0 sh "$talkey" -b 2048 -k a.key -c a.crt
run 0 sh "$talkey" -b 2048 -k b.key -c b.crt -s "/CN=second signer/O=tal tests"

# What talkey made: an unencrypted RSA key only its owner reads, and a
# self-signed certificate for it with the extensions of module signing keys.
[ "$(stat -c %a a.key)" = 600 ] || fail "a.key has mode $(stat -c %a a.key)"
[ "$(stat -c %a a.crt)" = 644 ] || fail "a.crt has mode $(stat -c %a a.crt)"
grep -q 'BEGIN PRIVATE KEY' a.key || fail "a.key is not an unencrypted PEM key"
openssl x509 -in a.crt -noout -text >text || fail "a.crt does not parse"
for want in 'Public-Key: (2048 bit)' 'Signature Algorithm: sha256WithRSAEncryption' 'CA:FALSE' \
    'Digital Signature' 'Code Signing' 'X509v3 Subject Key Identifier' \
    'Issuer: CN = tal module signing key' 'Subject: CN = tal module signing key'; do
  grep -qF "$want" text || fail "a.crt lacks '$want'"
done
openssl x509 -in b.crt -noout -subject | grep -qF 'CN = second signer, O = tal tests' \
  || fail "b.crt has $(openssl x509 -in b.crt -noout -subject)"
[ "$(openssl x509 -in a.crt -noout -pubkey)" = "$(openssl pkey -in a.key -pubout)" ] || fail "a.crt is not a.key's"
openssl verify -CAfile a.crt -check_ss_sig a.crt >/dev/null 2>&1 || fail "a.crt's self-signature does not verify"

# It never overwrites, and leaves nothing behind when it refuses.
sum=$(cksum a.key a.crt)
run 1 sh "$talkey" -b 2048 -k a.key -c new.crt
run 1 sh "$talkey" -b 2048 -k new.key -c a.crt
ln -s nowhere dangling
run 1 sh "$talkey" -b 2048 -k dangling -c new.crt
[ "$(cksum a.key a.crt)" = "$sum" ] || fail "talkey changed an existing file"
[ ! -e new.key ] && [ ! -e new.crt ] || fail "talkey made a file while refusing"
grep -q 'exists; not overwriting' err || fail "no reason given for refusing: $(cat err)"

# Usage errors.
run 2 sh "$talkey" -b 1024 -k x.key -c x.crt
run 2 sh "$talkey" -x
run 2 sh "$talkey" -d soon -k x.key -c x.crt
run 2 sh "$talkey" -s "no slash" -k x.key -c x.crt
run 2 sh "$talkey" -k same.pem -c same.pem
run 2 sh "$talkey" -k x.key -c x.crt extra
run 2 sh "$talkey" -k
run 0 sh "$talkey" --help
grep -q '^Usage: talkey' out || fail "--help prints no usage"
run 0 sh "$talkey" --version
grep -q '^talkey (tal) ' out || fail "--version prints $(cat out)"
run 1 sh "$talkey" -k nodir/x.key -c x.crt
[ ! -e x.crt ] || fail "talkey made x.crt while failing"

# The default names and size, in a directory of their own.
mkdir defaults && (cd defaults && sh "$talkey") || fail "talkey with defaults failed"
[ -f defaults/talkey.pem ] && [ -f defaults/talcert.pem ] || fail "no talkey.pem and talcert.pem"
openssl x509 -in defaults/talcert.pem -noout -text | grep -qF 'Public-Key: (3072 bit)' || fail "the default key is not RSA 3072"
[ -z "$(ls -A . defaults | grep '^\.talkey')" ] || fail "talkey left temporaries: $(ls -A)"

# The others, made with openssl directly.
printf '[ req ]\ndistinguished_name = dn\nstring_mask = utf8only\n[ dn ]\n' >req.cnf
serial=$(openssl x509 -in a.crt -noout -serial | sed 's/^serial=//')
openssl req -x509 -new -nodes -utf8 -sha256 -days 1 -batch -config req.cnf -newkey rsa:2048 \
  -subj "/CN=tal module signing key" -set_serial "0x$serial" -keyout c.key -out c.crt 2>err || { fail "impostor"; cat err; }
[ "$(openssl x509 -in c.crt -noout -serial -issuer)" = "$(openssl x509 -in a.crt -noout -serial -issuer)" ] \
  || fail "the impostor does not have a's issuer and serial"
openssl req -x509 -new -nodes -utf8 -sha256 -days 1 -batch -config req.cnf -newkey ec \
  -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=ec signer" -keyout ec.key -out ec.crt 2>err || { fail "ec"; cat err; }
openssl x509 -in a.crt -outform DER -out a.der || fail "a.der"

echo "keys: $failures failures"
[ $failures -eq 0 ]
