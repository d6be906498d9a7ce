/*
** talsign.h - signing linked modules and verifying signed ones in user space.
**
** A signed module is the module, an attestation and a detached PKCS#7
** (CMS) signature, appended in the layout of Linux kernel module signatures
** (common/module.h, docs/signing.md):
**
**   [module][attestation, 88 bytes][PKCS#7 DER][module_signature, 12][magic, 28]
**
** The signature covers [module][attestation]: SHA-256, no signed
** attributes, no certificates inside, as the kernel's scripts/sign-file
** makes them, so that the kernel's verify_pkcs7_signature accepts them too.
** Keys and certificates are PEM files (runtime/talkey makes a pair).
**
** Every function returns its errors as one line of text in a caller's
** buffer (err/why, of errcap/whycap bytes) and leaves the OpenSSL error
** queue empty.
*/
#ifndef TAL_TALSIGN_H
#define TAL_TALSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "module.h"

/*
** Sign a module: check it (talmod_parse, not signed already, its embedded
** interface hashing to iface_digest), append the attestation naming
** verifier_version (1 to 40 bytes) and iface_digest, sign module and
** attestation with the private key in key_pem_path, whose certificate is in
** cert_pem_path (NULL: the first certificate in key_pem_path), and append
** the signature and trailer.  iface_digest NULL means the SHA-256 of the
** module's own interface region.  On success *out is a malloc'd signed
** file of *outlen bytes and 0 is returned; else -1 with a message in err
** and *out untouched.  Encrypted keys are refused (nothing ever prompts).
*/
int talsig_sign(const uint8_t *module, size_t len, const uint8_t iface_digest[32], const char *verifier_version,
                const char *key_pem_path, const char *cert_pem_path, uint8_t **out, size_t *outlen,
                char *err, size_t errcap);

/*
** The lower half of talsig_sign: a detached PKCS#7 signature of `len`
** bytes exactly as they are (no checks of what they are), in DER, malloc'd
** in *der.  0, or -1 with a message in err.
*/
int talsig_pkcs7(const uint8_t *data, size_t len, const char *key_pem_path, const char *cert_pem_path,
                 uint8_t **der, size_t *derlen, char *err, size_t errcap);

/* A set of trusted certificates: signatures by their keys are accepted. */
typedef struct TalTrust TalTrust;

/* An empty set, or NULL when out of memory. */
TalTrust *taltrust_new(void);
/*
** Add every certificate of a PEM file (other PEM blocks, such as a private
** key, are skipped).  0, or -1 with a message in err when the file cannot
** be read, a certificate in it does not parse, or it holds none; then the
** set is as it was.
*/
int taltrust_add_file(TalTrust *t, const char *pem_path, char *err, size_t errcap);
/* How many certificates the set holds. */
int taltrust_count(const TalTrust *t);
/* Free the set (NULL is allowed). */
void taltrust_free(TalTrust *t);

/* What talsig_verify found. */
enum {
	TALV_OK = 0,
	TALV_UNSIGNED,        /* no signature marker at the end                     */
	TALV_BAD_TRAILER,     /* the signature information does not describe a fit  */
	TALV_BAD_ATTEST,      /* no well-formed attestation before the signature    */
	TALV_BAD_SIGNATURE,   /* tampered: the signature is malformed or does not
	                         match the module and attestation                    */
	TALV_UNTRUSTED,       /* signed by a key whose certificate is not trusted   */
	TALV_WRONG_INTERFACE, /* verified against another host interface            */
	TALV_MALFORMED        /* the module itself is not well formed               */
};

/*
** Verify a signed file of `len` bytes, in this order: the trailer and the
** attestation are well formed (talsig_split), the module is (talmod_parse),
** the signature is a PKCS#7 signature of the one shape sign-file makes, by
** a signer whose certificate is in `trust` (issuer and serial number, or
** subject key identifier, equal byte for byte), valid over module and
** attestation; then the attestation's interface digest equals iface_digest
** and the module's embedded interface (iface_off, iface_size) hashes to it.
** Certificates are not checked further: no chain, no dates, no purposes;
** trust is exactly the certificates added.  Returns TALV_OK and fills *m
** (pointing into file) and *s, or another TALV_ code with a one-line reason
** in why.  m and s may be NULL.
*/
int talsig_verify(const uint8_t *file, size_t len, const TalTrust *trust, const uint8_t iface_digest[32],
                  TalModule *m, TalSigned *s, char *why, size_t whycap);

/* A short name for a TALV_ code: "ok", "unsigned", "tampered", "untrusted", ... */
const char *talsig_result_name(int code);

#endif
