/*
** sign.c - sign a linked module with OpenSSL, the way the Linux kernel's
** scripts/sign-file signs kernel modules: a detached CMS (PKCS#7) signature,
** SHA-256, binary content, no signed attributes, no certificates inside,
** the signer named by issuer and serial number.
**
**   module -> checks -> [module][attestation] -> CMS signature (DER)
**          -> [module][attestation][DER][module_signature][magic]
**
** libcrypto is loaded when the first signature is made (load_crypto), not
** when a program starts: talcheck, which signs only with --sign, starts
** without it (it would cost every check about 0.6 ms of loading).
*/
#include "talsign.h"
#include "readfile.h"
#include "sha256.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/*
** The OpenSSL functions the signer calls, each through a pointer of the
** type its header declares, found in libcrypto by load_crypto.
*/
#define CRYPTO_FUNCTIONS(X) \
	X(BIO_free) X(BIO_new_mem_buf) X(CMS_ContentInfo_free) X(CMS_add1_signer) \
	X(CMS_final) X(CMS_sign) X(ERR_clear_error) X(ERR_peek_last_error) X(ERR_reason_error_string) \
	X(EVP_PKEY_free) X(EVP_PKEY_get_base_id) X(EVP_sha256) X(PEM_read_bio_PrivateKey) \
	X(PEM_read_bio_X509) X(X509_check_private_key) X(X509_free) X(i2d_CMS_ContentInfo)
#define POINTER(f) __typeof__(f) *f;
static struct { CRYPTO_FUNCTIONS(POINTER) } C;
static int crypto_loaded;
static char crypto_err[256];   /* why it could not be */
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;

/* TAL_LIBCRYPTO (the soname of the OpenSSL the build found), and every function from it. */
static void load_crypto_once(void)
{
	void *h = dlopen(TAL_LIBCRYPTO, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		snprintf(crypto_err, sizeof crypto_err, "cannot load OpenSSL to sign: %s", why ? why : TAL_LIBCRYPTO);
		return;
	}
#define FIND(f) \
	if (!(*(void **)&C.f = dlsym(h, #f))) { \
		snprintf(crypto_err, sizeof crypto_err, "cannot load OpenSSL to sign: %s has no %s", TAL_LIBCRYPTO, #f); \
		return; \
	}
	CRYPTO_FUNCTIONS(FIND)
#undef FIND
	crypto_loaded = 1;
}

/* 0 once libcrypto is there, or -1 with the reason in err. */
static int load_crypto(char *err, size_t errcap)
{
	pthread_once(&crypto_once, load_crypto_once);
	if (crypto_loaded) return 0;
	snprintf(err, errcap, "%s", crypto_err);
	return -1;
}

/*
** Format a message into err, followed by OpenSSL's reason for the last
** error if there is one; the OpenSSL error queue is left empty.
*/
static void fail(char *err, size_t errcap, const char *fmt, ...)
{
	char head[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	unsigned long e = C.ERR_peek_last_error();
	const char *why = e ? C.ERR_reason_error_string(e) : NULL;
	snprintf(err, errcap, "%s%s%s", head, why ? ": " : "", why ? why : "");
	C.ERR_clear_error();
}

/* A passphrase callback that never asks: an encrypted key fails to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* A key or certificate file is at most this big. */
#define PEM_MAX (16u << 20)

/* A PEM file's bytes, and OpenSSL's view of them. */
typedef struct Pem { uint8_t *p; size_t n; BIO *b; } Pem;

/* The bytes wiped, then freed: a key's do not stay behind in freed memory. */
static void close_pem(Pem *f)
{
	C.BIO_free(f->b);
	if (f->p) explicit_bzero(f->p, f->n);
	free(f->p);
}

/*
** A PEM file read whole (a regular file: a FIFO or a device is refused, not
** waited on) for OpenSSL to parse from memory.  0, or -1 with a message.
*/
static int open_pem(Pem *f, const char *path, const char *what, char *err, size_t errcap)
{
	f->p = NULL;
	f->b = NULL;
	if (read_whole(path, PEM_MAX, &f->p, &f->n) != 0) {
		snprintf(err, errcap, "cannot read the %s %s: %s", what, path, read_error(errno));
		return -1;
	}
	if (!(f->b = C.BIO_new_mem_buf(f->p, (int)f->n))) {   /* (n <= PEM_MAX) */
		close_pem(f);
		fail(err, errcap, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

/* The private key in a PEM file (unencrypted), or NULL with a message. */
static EVP_PKEY *load_key(const char *path, char *err, size_t errcap)
{
	Pem f;
	if (open_pem(&f, path, "key", err, errcap) != 0) return NULL;
	EVP_PKEY *k = C.PEM_read_bio_PrivateKey(f.b, NULL, no_passphrase, NULL);
	close_pem(&f);
	if (!k) fail(err, errcap, "%s: no unencrypted private key could be read", path);
	else if (C.EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA && C.EVP_PKEY_get_base_id(k) != EVP_PKEY_EC) {
		snprintf(err, errcap, "%s: the key is neither an RSA nor an EC key", path);
		C.EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* The first certificate in a PEM file, or NULL with a message. */
static X509 *load_cert(const char *path, char *err, size_t errcap)
{
	Pem f;
	if (open_pem(&f, path, "certificate", err, errcap) != 0) return NULL;
	X509 *x = C.PEM_read_bio_X509(f.b, NULL, no_passphrase, NULL);
	close_pem(&f);
	if (!x) fail(err, errcap, "%s: no certificate could be read", path);
	return x;
}

/*
** The CMS structure sign-file makes for `len` bytes: detached, binary, no
** certificates, no signed attributes, no S/MIME capabilities.  NULL when
** OpenSSL fails (its error is queued).
*/
static CMS_ContentInfo *make_cms(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key)
{
	BIO *in = C.BIO_new_mem_buf(data, (int)len);
	CMS_ContentInfo *cms = in ? C.CMS_sign(NULL, NULL, NULL, NULL, CMS_DETACHED | CMS_BINARY | CMS_NOCERTS | CMS_PARTIAL) : NULL;
	int ok = cms && C.CMS_add1_signer(cms, cert, key, C.EVP_sha256(),
	                                CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR)
	         && C.CMS_final(cms, in, NULL, CMS_NOCERTS | CMS_BINARY) == 1;
	C.BIO_free(in);
	if (!ok) {
		C.CMS_ContentInfo_free(cms);
		return NULL;
	}
	return cms;
}

/* The DER encoding of a signature of `len` bytes, malloc'd.  0 or -1 with a message. */
static int encode(const uint8_t *data, size_t len, X509 *cert, EVP_PKEY *key, uint8_t **der, size_t *derlen,
                  char *err, size_t errcap)
{
	CMS_ContentInfo *cms = make_cms(data, len, cert, key);
	int n = cms ? C.i2d_CMS_ContentInfo(cms, NULL) : -1;
	uint8_t *buf = n > 0 ? malloc((size_t)n) : NULL, *q = buf;
	int ok = buf && C.i2d_CMS_ContentInfo(cms, &q) == n;
	C.CMS_ContentInfo_free(cms);
	if (!ok) {
		free(buf);
		fail(err, errcap, "cannot make the signature");
		return -1;
	}
	*der = buf;
	*derlen = (size_t)n;
	return 0;
}

/* The signature of `len` bytes as they are, after loading and matching key and certificate. */
int talsig_pkcs7(const uint8_t *data, size_t len, const char *key_pem_path, const char *cert_pem_path,
                 uint8_t **der, size_t *derlen, char *err, size_t errcap)
{
	if (len > INT_MAX) {
		snprintf(err, errcap, "%zu bytes are too many to sign", len);
		return -1;
	}
	if (load_crypto(err, errcap) != 0) return -1;
	if (!cert_pem_path) cert_pem_path = key_pem_path;
	EVP_PKEY *key = load_key(key_pem_path, err, errcap);
	X509 *cert = key ? load_cert(cert_pem_path, err, errcap) : NULL;
	int rc = -1;
	if (cert && C.X509_check_private_key(cert, key) != 1)
		fail(err, errcap, "the key in %s does not belong to the certificate in %s", key_pem_path, cert_pem_path);
	else if (cert)
		rc = encode(data, len, cert, key, der, derlen, err, errcap);
	C.X509_free(cert);
	C.EVP_PKEY_free(key);
	C.ERR_clear_error();
	return rc;
}

/*
** What may be signed: a well-formed module, not signed already, whose
** embedded interface hashes to the digest of the interface it was verified
** against (which *digest receives; iface NULL: the embedded one's).
*/
static int check_module(const uint8_t *p, size_t len, const uint8_t *iface, uint8_t digest[32],
                        char *err, size_t errcap)
{
	TalModule m;
	uint8_t own[32];
	if (len >= TALSIG_MAGIC_LEN && memcmp(p + len - TALSIG_MAGIC_LEN, TALSIG_MAGIC, TALSIG_MAGIC_LEN) == 0) {
		snprintf(err, errcap, "the module is signed already");
		return -1;
	}
	if (talmod_parse(&m, p, len, err, errcap)) return -1;
	sha256(m.base + m.iface_off, m.iface_size, own);
	if (iface && memcmp(own, iface, 32) != 0) {
		snprintf(err, errcap, "the module was linked against another interface than the one it was verified against");
		return -1;
	}
	memcpy(digest, own, 32);
	return 0;
}

/* A verifier version fits the attestation: 1 to 40 bytes. */
static int check_version(const char *v, char *err, size_t errcap)
{
	size_t n = v ? strlen(v) : 0;
	if (n == 0 || n > TALSIG_VERSION_LEN) {
		snprintf(err, errcap, "the verifier version must have 1 to %d bytes, not %zu", TALSIG_VERSION_LEN, n);
		return -1;
	}
	return 0;
}

/* [module][attestation] in a malloc'd buffer, or NULL. */
static uint8_t *signed_part(const uint8_t *p, size_t len, const uint8_t digest[32], const char *version)
{
	TalAttest a = { .module_size = (uint32_t)len };
	uint8_t *buf = malloc(len + TALATT_SIZE);
	if (!buf) return NULL;
	memcpy(a.verifier, version, strlen(version) + 1);
	memcpy(a.iface_digest, digest, 32);
	memcpy(buf, p, len);
	talatt_put(buf + len, &a);
	return buf;
}

/* The signed file, or -1 with nothing allocated (talsign.h). */
int talsig_sign(const uint8_t *module, size_t len, const uint8_t iface_digest[32], const char *verifier_version,
                const char *key_pem_path, const char *cert_pem_path, uint8_t **out, size_t *outlen,
                char *err, size_t errcap)
{
	uint8_t digest[32], *der = NULL, *buf, *all;
	size_t derlen = 0, n = len + TALATT_SIZE;
	if (check_version(verifier_version, err, errcap) || check_module(module, len, iface_digest, digest, err, errcap))
		return -1;
	if (!(buf = signed_part(module, len, digest, verifier_version))) {
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	if (talsig_pkcs7(buf, n, key_pem_path, cert_pem_path, &der, &derlen, err, errcap)) {
		free(buf);
		return -1;
	}
	if (derlen > UINT32_MAX || !(all = realloc(buf, n + derlen + TALSIG_INFO_SIZE + TALSIG_MAGIC_LEN))) {
		free(buf);
		free(der);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	memcpy(all + n, der, derlen);
	talsig_info_put(all + n + derlen, (uint32_t)derlen);
	memcpy(all + n + derlen + TALSIG_INFO_SIZE, TALSIG_MAGIC, TALSIG_MAGIC_LEN);
	free(der);
	*out = all;
	*outlen = n + derlen + TALSIG_INFO_SIZE + TALSIG_MAGIC_LEN;
	return 0;
}
