/*
** sha256.h - SHA-256 (FIPS 180-4) of a byte string.  The tools digest the
** host interface and name it by that digest; with the hash here, a tool
** that only checks or links does not load a crypto library at all (the
** signer loads OpenSSL when it signs: runtime/sign.c).
*/
#ifndef TAL_SHA256_H
#define TAL_SHA256_H

#include <stddef.h>
#include <stdint.h>

void sha256(const void *p, size_t n, uint8_t out[32]);

#endif
