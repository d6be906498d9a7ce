/*
** verify.c - verify a signed module in user space with OpenSSL.
**
**   signed file -> trailer, attestation (talsig_split) -> module (talmod_parse)
**     -> signature: the one DER shape sign-file makes -> a trusted certificate
**        names the signer -> CMS_verify over [module][attestation]
**     -> the attested interface is the host's, and the module embeds it
**
** Nothing in the file is believed before the step that checks it.  The
** shape check matters: OpenSSL ignores some fields the signature does not
** cover (versions, algorithm parameters, the content type), and an exact
** shape makes every byte of the signature either checked or signed.  (An
** ECDSA value (r, s) also verifies as (r, n - s): the kernel takes both,
** and so does this; docs/signing.md.)
*/
#include "talsign.h"
#include "readfile.h"
#include "sha256.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct TalTrust {
	STACK_OF(X509) *certs;
};

/* Format a one-line message into why; returns code, for `return say(...)`. */
static int say(int code, char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whycap, fmt, ap);
	va_end(ap);
	return code;
}

/* The name talverify prints for a code; "unknown" for any other number. */
const char *talsig_result_name(int code)
{
	static const char *const names[] = {
		[TALV_OK] = "ok", [TALV_UNSIGNED] = "unsigned", [TALV_BAD_TRAILER] = "bad trailer",
		[TALV_BAD_ATTEST] = "bad attestation", [TALV_BAD_SIGNATURE] = "tampered",
		[TALV_UNTRUSTED] = "untrusted", [TALV_WRONG_INTERFACE] = "wrong interface",
		[TALV_MALFORMED] = "malformed",
	};
	return code >= 0 && code < (int)(sizeof names / sizeof names[0]) ? names[code] : "unknown";
}

/* ---- trusted certificates ---- */

/* An empty trust set, or NULL. */
TalTrust *taltrust_new(void)
{
	TalTrust *t = calloc(1, sizeof *t);
	if (t && !(t->certs = sk_X509_new_null())) {
		free(t);
		t = NULL;
	}
	return t;
}

/* The set and its certificates freed; NULL is allowed. */
void taltrust_free(TalTrust *t)
{
	if (!t) return;
	sk_X509_pop_free(t->certs, X509_free);
	free(t);
}

/* The number of trusted certificates (0 for NULL). */
int taltrust_count(const TalTrust *t)
{
	return t ? sk_X509_num(t->certs) : 0;
}

/* A passphrase callback that never asks. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/*
** The certificates in the bytes of a file: PEM blocks named CERTIFICATE
** (other blocks skipped), or else one DER certificate and nothing more.
** A stack of at least one, or NULL with a message.
*/
static STACK_OF(X509) *parse_certs(const uint8_t *p, size_t n, const char *path, char *err, size_t errcap)
{
	STACK_OF(X509) *got = sk_X509_new_null();
	BIO *b = n <= INT_MAX ? BIO_new_mem_buf(p, (int)n) : NULL;
	X509 *x;
	if (!got || !b) {
		snprintf(err, errcap, "%s: out of memory", path);
		sk_X509_free(got);
		BIO_free(b);
		ERR_clear_error();
		return NULL;
	}
	while ((x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)))
		if (!sk_X509_push(got, x)) { X509_free(x); break; }
	unsigned long e = ERR_peek_last_error();
	int ended = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
	BIO_free(b);
	ERR_clear_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;
	if (ended && sk_X509_num(got) == 0) {   /* no PEM at all: one DER certificate? */
		const unsigned char *q = p;
		x = n <= LONG_MAX ? d2i_X509(NULL, &q, (long)n) : NULL;
		if (x && (q != p + n || !sk_X509_push(got, x))) X509_free(x), x = NULL;
		if (!x) snprintf(err, errcap, "%s: no certificate in the file (PEM or DER)", path);
		ERR_clear_error();
		ended = x != NULL;
	} else if (!ended) {
		snprintf(err, errcap, "%s: a certificate does not parse%s%s", path, reason ? ": " : "", reason ? reason : "");
	}
	if (!ended) {
		sk_X509_pop_free(got, X509_free);
		return NULL;
	}
	return got;
}

/* Every certificate of the file added, or none (talsign.h). */
int taltrust_add_file(TalTrust *t, const char *pem_path, char *err, size_t errcap)
{
	uint8_t *p;
	size_t n;
	if (read_whole(pem_path, 16u << 20, &p, &n)) {
		snprintf(err, errcap, "cannot read the certificate %s: %s", pem_path, read_error(errno));
		return -1;
	}
	STACK_OF(X509) *got = parse_certs(p, n, pem_path, err, errcap);
	free(p);
	if (!got) return -1;
	int had = sk_X509_num(t->certs), ok = 1;
	for (int i = 0; ok && i < sk_X509_num(got); i++)
		ok = sk_X509_push(t->certs, sk_X509_value(got, i)) > 0;
	if (!ok) {   /* put the set back as it was; `got` still owns every certificate */
		while (sk_X509_num(t->certs) > had) sk_X509_pop(t->certs);
		sk_X509_pop_free(got, X509_free);
		snprintf(err, errcap, "out of memory");
		return -1;
	}
	sk_X509_free(got);
	return 0;
}

/* ---- the shape of the signature, in DER ---- */

/* (the DER reader, talder_take, is common/module.c's: the kernel shim reads signatures with it too) */

/* The tag of the next element, or -1 at the end. */
static int der_peek(const TalDer *d)
{
	return d->n ? d->p[0] : -1;
}

/* The next element is an OBJECT IDENTIFIER with these content bytes.  0 or -1. */
static int der_oid(TalDer *d, const uint8_t *oid, size_t n)
{
	TalDer o;
	return talder_take(d, 0x06, &o) || o.n != n || memcmp(o.p, oid, n) != 0 ? -1 : 0;
}

/* The next element is an INTEGER from 0 to 127, put in *v.  0 or -1. */
static int der_small_int(TalDer *d, int *v)
{
	TalDer i;
	if (talder_take(d, 0x02, &i) || i.n != 1 || i.p[0] > 0x7f) return -1;
	*v = i.p[0];
	return 0;
}

typedef struct Alg { uint8_t oid[9], len; int digest; } Alg;
/* SHA-256, -384, -512: a digest's `digest` is its own index. */
static const Alg digests[] = {
	{ { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 }, 9, 0 },
	{ { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 }, 9, 1 },
	{ { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 }, 9, 2 },
};
/* rsaEncryption (any digest), ecdsa-with-SHA256, -384, -512 (that digest). */
static const Alg sigalgs[] = {
	{ { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01 }, 9, -1 },
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 }, 8, 0 },
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 }, 8, 1 },
	{ { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 }, 8, 2 },
};
static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };

/*
** The next element is an AlgorithmIdentifier of the table, with no
** parameters or NULL ones.  Its index, or -1.
*/
static int der_alg(TalDer *d, const Alg *table, int n)
{
	TalDer a, o;
	if (talder_take(d, 0x30, &a) || talder_take(&a, 0x06, &o)) return -1;
	if (a.n != 0 && (a.n != 2 || a.p[0] != 0x05 || a.p[1] != 0)) return -1;
	for (int i = 0; i < n; i++)
		if (o.n == table[i].len && memcmp(o.p, table[i].oid, o.n) == 0) return i;
	return -1;
}

#define NDIGESTS ((int)(sizeof digests / sizeof digests[0]))
#define NSIGALGS ((int)(sizeof sigalgs / sizeof sigalgs[0]))

/*
** The SignerInfo: version 1 with issuer and serial number or 3 with a
** subject key identifier, as the SignedData's; the digest of the
** SignedData; no signed attributes; RSA or ECDSA; a signature value; no
** unsigned attributes.  NULL, or what is wrong.
*/
static const char *check_signer(TalDer *si, int version, int digest)
{
	TalDer x;
	int v, alg;
	if (der_small_int(si, &v) || v != version) return "the signer's version is not the signed data's";
	if (talder_take(si, v == 1 ? 0x30 : 0x80, &x)) return "the signer's identifier does not fit its version";
	if (der_alg(si, digests, NDIGESTS) != digest) return "the signer's digest algorithm is not the signed data's";
	if (der_peek(si) == 0xa0) return "the signer has signed attributes";
	alg = der_alg(si, sigalgs, NSIGALGS);
	if (alg < 0 || (sigalgs[alg].digest >= 0 && sigalgs[alg].digest != digest))
		return "the signature algorithm is not RSA, or ECDSA with the signed data's digest";
	if (talder_take(si, 0x04, &x) || x.n == 0) return "the signer has no signature value";
	if (si->n) return "the signer has unsigned attributes";
	return NULL;
}

/*
** The DER shape sign-file makes (RFC 5652): ContentInfo { signedData,
** SignedData { version 1 or 3, { one of SHA-256/384/512 }, { data, no
** content }, { exactly one SignerInfo } } } (certificates: refused by
** talsig_split).
** NULL, or what is wrong.
*/
static const char *check_shape(const uint8_t *p, size_t n)
{
	TalDer all = { p, n }, ci, a0, sd, set, eci, si, x;
	int version, digest;
	if (talder_take(&all, 0x30, &ci) || all.n) return "the signature is not one DER SEQUENCE";
	if (der_oid(&ci, oid_signed_data, sizeof oid_signed_data) || talder_take(&ci, 0xa0, &a0) || ci.n)
		return "the signature is not PKCS#7 signed data";
	if (talder_take(&a0, 0x30, &sd) || a0.n || der_small_int(&sd, &version) || (version != 1 && version != 3))
		return "the signed data has a bad version";
	if (talder_take(&sd, 0x31, &set) || (digest = der_alg(&set, digests, NDIGESTS)) < 0 || set.n)
		return "the digest algorithms are not one of SHA-256, SHA-384 or SHA-512";
	if (talder_take(&sd, 0x30, &eci) || der_oid(&eci, oid_data, sizeof oid_data) || eci.n)
		return "the signed content is not detached data";
	if (der_peek(&sd) == 0xa0 && talder_take(&sd, 0xa0, &x)) return "the certificates do not parse";
	if (talder_take(&sd, 0x31, &set) || sd.n) return "the signed data has no signer information, or more";
	if (talder_take(&set, 0x30, &si) || set.n) return "the signature does not have exactly one signer";
	return check_signer(&si, version, digest);
}

/* ---- the signer ---- */

/* Two names with the same DER encoding. */
static int same_der(const X509_NAME *a, const X509_NAME *b)
{
	const unsigned char *pa, *pb;
	size_t na, nb;
	return X509_NAME_get0_der(a, &pa, &na) == 1 && X509_NAME_get0_der(b, &pb, &nb) == 1 && na == nb &&
	       memcmp(pa, pb, na) == 0;
}

/*
** The signer identifier names this certificate byte for byte (OpenSSL's
** own comparison folds case and spaces in names).
*/
static int same_signer(CMS_SignerInfo *si, X509 *x)
{
	ASN1_OCTET_STRING *kid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	if (CMS_SignerInfo_cert_cmp(si, x) != 0 || CMS_SignerInfo_get0_signer_id(si, &kid, &issuer, &serial) != 1)
		return 0;
	if (kid) {
		const ASN1_OCTET_STRING *k = X509_get0_subject_key_id(x);
		return k && ASN1_OCTET_STRING_cmp(kid, k) == 0;
	}
	return issuer && serial && same_der(issuer, X509_get_issuer_name(x)) &&
	       ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(x)) == 0;
}


/* "issuer /CN=..., serial 0x..." or "subject key identifier ab:cd:..." for a message. */
static void describe_signer(CMS_SignerInfo *si, char *buf, size_t cap)
{
	ASN1_OCTET_STRING *kid = NULL;
	X509_NAME *issuer = NULL;
	ASN1_INTEGER *serial = NULL;
	snprintf(buf, cap, "an unreadable identifier");
	if (CMS_SignerInfo_get0_signer_id(si, &kid, &issuer, &serial) != 1) return;
	if (kid) {
		size_t at = (size_t)snprintf(buf, cap, "subject key identifier ");
		for (int i = 0; i < ASN1_STRING_length(kid) && at + 3 < cap; i++)
			at += (size_t)snprintf(buf + at, cap - at, "%s%02x", i ? ":" : "", ASN1_STRING_get0_data(kid)[i]);
		return;
	}
	char name[256];
	BIGNUM *bn = serial ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(buf, cap, "issuer %s, serial 0x%s", issuer ? X509_NAME_oneline(issuer, name, sizeof name) : "?",
	         hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The signature verifies with this certificate's key over the signed bytes. */
static int verify_with(CMS_ContentInfo *cms, CMS_SignerInfo *si, X509 *cert, const TalSigned *s)
{
	BIO *data = s->signed_len <= INT_MAX ? BIO_new_mem_buf(s->signed_part, (int)s->signed_len) : NULL;
	CMS_SignerInfo_set1_signer_cert(si, cert);
	int ok = data && CMS_verify(cms, NULL, NULL, data, NULL, CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	BIO_free(data);
	ERR_clear_error();
	return ok;
}

/*
** Try each trusted certificate that names the signer (two may have the
** same issuer and serial number): TALV_OK when one verifies the signature,
** TALV_BAD_SIGNATURE when none does, TALV_UNTRUSTED when none names it.
*/
static int try_signers(CMS_ContentInfo *cms, CMS_SignerInfo *si, const TalTrust *t, const TalSigned *s)
{
	int named = 0;
	for (int i = 0; t && i < sk_X509_num(t->certs); i++) {
		X509 *x = sk_X509_value(t->certs, i);
		if (!same_signer(si, x)) continue;
		named = 1;
		if (verify_with(cms, si, x, s)) return TALV_OK;
	}
	return named ? TALV_BAD_SIGNATURE : TALV_UNTRUSTED;
}

/* The DER of a CMS structure is exactly the bytes it was read from. */
static int reencodes(const CMS_ContentInfo *cms, const uint8_t *p, size_t n)
{
	unsigned char *q = NULL;
	int k = i2d_CMS_ContentInfo(cms, &q);
	int same = k > 0 && (size_t)k == n && memcmp(q, p, n) == 0;
	OPENSSL_free(q);
	return same;
}

/* The signature: well formed, by a trusted signer, over the signed bytes. */
static int check_signature(const TalSigned *s, const TalTrust *trust, char *why, size_t whycap)
{
	const char *bad = check_shape(s->pkcs7, s->pkcs7_len);
	if (bad) return say(TALV_BAD_SIGNATURE, why, whycap, "signature: %s", bad);
	const unsigned char *q = s->pkcs7;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)s->pkcs7_len);
	STACK_OF(CMS_SignerInfo) *sis = cms ? CMS_get0_SignerInfos(cms) : NULL;
	CMS_SignerInfo *si = sk_CMS_SignerInfo_num(sis) == 1 ? sk_CMS_SignerInfo_value(sis, 0) : NULL;
	char who[400];
	int rc, n = taltrust_count(trust);
	if (!si || q != s->pkcs7 + s->pkcs7_len || !reencodes(cms, s->pkcs7, s->pkcs7_len))
		rc = say(TALV_BAD_SIGNATURE, why, whycap, "signature: the PKCS#7 signature does not parse as DER");
	else if ((rc = try_signers(cms, si, trust, s)) == TALV_UNTRUSTED) {
		describe_signer(si, who, sizeof who);
		say(rc, why, whycap, "signature: made by a key that is not trusted (%s; %d trusted certificate%s)", who, n,
		    n == 1 ? "" : "s");
	} else if (rc == TALV_BAD_SIGNATURE)
		say(rc, why, whycap, "signature: the signature does not match the module and its attestation");
	CMS_ContentInfo_free(cms);
	return rc;
}

/* ---- the rest ---- */

/* The first bytes of a digest in hex, for a message. */
static const char *short_hex(const uint8_t d[32], char buf[17])
{
	for (int i = 0; i < 8; i++) snprintf(buf + 2 * i, 3, "%02x", d[i]);
	return buf;
}

/* The module was verified against the host's interface, and embeds that interface. */
static int check_interface(const TalModule *m, const TalSigned *s, const uint8_t host[32], char *why, size_t whycap)
{
	uint8_t own[32];
	char a[17], b[17];
	if (!host) return say(TALV_WRONG_INTERFACE, why, whycap, "interface: the host gave no interface digest");
	if (memcmp(s->att.iface_digest, host, 32) != 0)
		return say(TALV_WRONG_INTERFACE, why, whycap,
		           "interface: the module was verified against interface %s..., the host's is %s...",
		           short_hex(s->att.iface_digest, a), short_hex(host, b));
	sha256(m->base + m->iface_off, m->iface_size, own);
	if (memcmp(own, host, 32) != 0)
		return say(TALV_WRONG_INTERFACE, why, whycap,
		           "interface: the module embeds interface %s..., not the %s... its attestation names",
		           short_hex(own, a), short_hex(host, b));
	return TALV_OK;
}

/* Trailer, attestation and module, before any cryptography. */
static int check_structure(const uint8_t *file, size_t len, TalModule *m, TalSigned *s, char *why, size_t whycap)
{
	switch (talsig_split(file, len, s, why, whycap)) {
	case TALSIG_OK: break;
	case TALSIG_UNSIGNED: return TALV_UNSIGNED;
	case TALSIG_BAD_TRAILER: return TALV_BAD_TRAILER;
	default: return TALV_BAD_ATTEST;
	}
	return talmod_parse(m, s->module, s->module_len, why, whycap) ? TALV_MALFORMED : TALV_OK;
}

/*
** Structure, signature, interface, in that order (talsign.h); *m and *s
** zeroed unless the file verified.
*/
int talsig_verify(const uint8_t *file, size_t len, const TalTrust *trust, const uint8_t iface_digest[32],
                  TalModule *m, TalSigned *s, char *why, size_t whycap)
{
	TalModule mm;
	TalSigned ss;
	if (!m) m = &mm;
	if (!s) s = &ss;
	if (!file) len = 0;
	int rc = check_structure(file, len, m, s, why, whycap);
	if (rc == TALV_OK) rc = check_signature(s, trust, why, whycap);
	if (rc == TALV_OK) rc = check_interface(m, s, iface_digest, why, whycap);
	ERR_clear_error();
	if (rc != TALV_OK) {
		memset(m, 0, sizeof *m);
		memset(s, 0, sizeof *s);
	} else if (whycap) {
		why[0] = 0;
	}
	return rc;
}
