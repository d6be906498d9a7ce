#!/usr/bin/env bash
# lazy.sh BUILD NOLOAD - talcheck and tallink start without libcrypto (the
# signer loads it when it signs: runtime/sign.c), and signing without it
# fails with a message (NOLOAD: sign.c built to load a library that is not
# there).  That talcheck --sign does load it and sign is modules.sh's test.
set -u
build=$1 noload=$2
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
for tool in talcheck tallink; do
  deps=$(LD_TRACE_LOADED_OBJECTS=1 "$build/$tool" 2>&1) || fail "$tool: cannot list what it loads: $deps"
  if grep -q libcrypto <<<"$deps"; then fail "$tool loads libcrypto when it starts:"; echo "$deps"; fi
  grep -q libc.so <<<"$deps" || fail "$tool: no libc among what it loads (the listing did not work): $deps"
done
"$noload" || fail "signing without libcrypto"
[ "$fails" -eq 0 ] && echo "lazy: ok"
exit $((fails != 0))
