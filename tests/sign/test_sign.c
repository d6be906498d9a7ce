/*
** test_sign KEYDIR OUTDIR [--only] [module.tlm...] - signing and verifying modules.
**
** KEYDIR holds a.key/a.crt (the trusted signer), b.key/b.crt (another
** signer), c.key/c.crt (an impostor: a's issuer and serial number, another
** key) and ec.key/ec.crt (an EC signer), made by keys.sh.  A small module
** is built here after common/module.h; each module given is tested too
** (with --only, the modules given alone).
** For each: signed, it verifies; every byte flipped (three patterns),
** every truncation, cuts and appended bytes are refused for the right
** reason.  Then the signers, the interface checks, signature shapes made
** directly with OpenSSL, and the errors of signing and of the trust set;
** and common/sha256.c against FIPS 180-4's examples and OpenSSL.
** OUTDIR receives files for the shell tests.  Exit 0 when all pass.
*/
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sha256.h"
#include "talsign.h"

#define VERSION "talcheck 0.1.0-test"

static int failures, checks;
static char keydir[1024], outdir[1024];

/* Count a check; report it when it fails. */
static void check(int ok, const char *fmt, ...)
{
	checks++;
	if (ok) return;
	va_list ap;
	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures++;
}

/* A file in KEYDIR or OUTDIR (a static buffer each, two at a time). */
static const char *in_dir(const char *dir, const char *name)
{
	static char bufs[4][2048];
	static int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}
#define KEY(n) in_dir(keydir, n)
#define OUT(n) in_dir(outdir, n)

/* Write a whole file (a failed check otherwise). */
static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	check(f && fwrite(p, 1, n, f) == n && fclose(f) == 0, "cannot write %s", path);
}

/* A whole file, malloc'd, or NULL after a failed check. */
static uint8_t *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long len;
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) goto out;
	p = malloc((size_t)len + 1);
	if (p && fread(p, 1, (size_t)len, f) != (size_t)len) { free(p); p = NULL; }
	*n = (size_t)len;
out:
	if (f) fclose(f);
	check(p != NULL, "cannot read %s", path);
	return p;
}

/* Seconds, for timing. */
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- a module, after common/module.h ---- */

/* Little-endian integers. */
static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

enum { IMAGE_OFF = 4096, DATA_OFF = 8192, DATA_ADDR = 4096 };

/* Append n bytes at *at (aligned to align first); their offset. */
static uint32_t place(uint8_t *p, size_t *at, size_t align, const void *src, size_t n)
{
	*at = (*at + align - 1) / align * align;
	uint32_t off = (uint32_t)*at;
	memcpy(p + off, src, n);
	*at += n;
	return off;
}

/* The ELF header and two PT_LOADs: the image (r-x, at 0) and the data (rw-, the next page). */
static void put_elf(uint8_t *p, const TalModule *m, uint64_t shoff, uint16_t shnum)
{
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
	                  .e_type = ET_DYN, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
	                  .e_phoff = TALMOD_HDR_OFF + TALMOD_HDR_SIZE, .e_shoff = shoff, .e_ehsize = sizeof eh,
	                  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2, .e_shentsize = sizeof(Elf64_Shdr),
	                  .e_shnum = shnum, .e_shstrndx = shnum - 1 };
	Elf64_Phdr ph[2] = {
		{ PT_LOAD, PF_R | PF_X, m->image_off, 0, 0, m->image_size, m->image_size, 4096 },
		{ PT_LOAD, PF_R | PF_W, m->data_off, DATA_ADDR, DATA_ADDR, m->data_size, m->data_size + m->bss_size, 4096 },
	};
	memcpy(p, &eh, sizeof eh);
	memcpy(p + eh.e_phoff, ph, sizeof ph);
}

typedef struct Sect { const char *name; uint32_t type, flags, off, size, addr; } Sect;

/* The section headers and their string table, at *at. */
static void put_sections(uint8_t *p, size_t *at, const TalModule *m)
{
	const Sect s[] = {
		{ "", SHT_NULL, 0, 0, 0, 0 },
		{ ".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, m->image_off, m->text_size, 0 },
		{ ".tal.stubs", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, m->image_off + m->stubs_off, m->nstubs * 16, m->stubs_off },
		{ ".rodata", SHT_PROGBITS, SHF_ALLOC, m->image_off + m->rodata_off, m->rodata_size, m->rodata_off },
		{ ".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, m->data_off, m->data_size, DATA_ADDR },
		{ ".bss", SHT_NOBITS, SHF_ALLOC | SHF_WRITE, m->data_off + m->data_size, m->bss_size, DATA_ADDR + m->data_size },
		{ ".tal.module", SHT_PROGBITS, 0, TALMOD_HDR_OFF, TALMOD_HDR_SIZE, 0 },
		{ ".tal.types", SHT_PROGBITS, 0, m->types_off, m->types_size, 0 },
		{ ".tal.lines", SHT_PROGBITS, 0, m->lines_off, m->lines_size, 0 },
		{ ".tal.iface", SHT_PROGBITS, 0, m->iface_off, m->iface_size, 0 },
		{ ".tal.imports", SHT_PROGBITS, 0, m->imports_off, m->nimports * 8, 0 },
		{ ".tal.exports", SHT_PROGBITS, 0, m->exports_off, m->nexports * 8, 0 },
		{ ".tal.strings", SHT_STRTAB, 0, m->strings_off, m->strings_size, 0 },
		{ ".shstrtab", SHT_STRTAB, 0, 0, 0, 0 },
	};
	enum { N = sizeof s / sizeof s[0] };
	char names[512];
	uint32_t name_at[N], n = 0;
	for (int i = 0; i < N; i++) {
		name_at[i] = n;
		n += (uint32_t)strlen(s[i].name) + 1;
		memcpy(names + name_at[i], s[i].name, strlen(s[i].name) + 1);
	}
	uint32_t shstr = place(p, at, 1, names, n);
	*at = (*at + 7) / 8 * 8;
	uint64_t shoff = *at;
	for (int i = 0; i < N; i++) {
		Elf64_Shdr h = { .sh_name = name_at[i], .sh_type = s[i].type, .sh_flags = s[i].flags, .sh_addr = s[i].addr,
		                 .sh_offset = i == N - 1 ? shstr : s[i].off, .sh_size = i == N - 1 ? n : s[i].size,
		                 .sh_addralign = 1 };
		place(p, at, 8, &h, sizeof h);
	}
	put_elf(p, m, shoff, N);
}

/* A small module linked against the interface `iface`; malloc'd, its size in *n. */
static uint8_t *build_module(const char *iface, size_t *n)
{
	static const uint8_t code[32] = { 0x55, 0x48, 0x89, 0xe5, 0xe8, 23, 0, 0, 0, 0x5d, 0xc3,
	                                  0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
	                                  0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	static const uint8_t stub[16] = { 0xff, 0x25, 0, 0, 0, 0, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc };
	static const char rodata[16] = "hello, module\n";
	static const uint8_t data[24] = { 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
	static const char types[40] = "types: main : code{ rsp: ret :: s }";
	static const char lines[24] = "lines: 0->1 4->2 9->3";
	static const char strings[] = "\0host_print\0main";
	uint8_t *p = calloc(1, 16384), imports[8], exports[8];
	size_t at = DATA_OFF;
	TalModule m = { .version = TALMOD_VERSION, .image_off = IMAGE_OFF, .image_size = 64, .text_size = 32,
	                .stubs_off = 32, .nstubs = 1, .rodata_off = 48, .rodata_size = 16, .bss_size = 32,
	                .nimports = 1, .nexports = 1 };
	memcpy(p + IMAGE_OFF, code, 32);
	memcpy(p + IMAGE_OFF + 32, stub, 16);
	memcpy(p + IMAGE_OFF + 48, rodata, 16);
	m.data_off = place(p, &at, 8, data, m.data_size = sizeof data);
	m.types_off = place(p, &at, 8, types, m.types_size = sizeof types);
	m.lines_off = place(p, &at, 4, lines, m.lines_size = sizeof lines);
	m.iface_off = place(p, &at, 8, iface, m.iface_size = (uint32_t)strlen(iface));
	put32(imports, 1);                                  /* host_print */
	put32(imports + 4, 0xffffffff);                     /* a shared stub */
	put32(exports, 12), put32(exports + 4, 0);          /* main at 0  */
	m.imports_off = place(p, &at, 4, imports, 8);
	m.exports_off = place(p, &at, 4, exports, 8);
	m.strings_off = place(p, &at, 1, strings, m.strings_size = sizeof strings);
	talmod_put_header(p + TALMOD_HDR_OFF, &m);
	put_sections(p, &at, &m);
	*n = at;
	return p;
}

/* The SHA-256 of a module's embedded interface (the module must parse). */
static void iface_digest_of(const uint8_t *p, size_t n, uint8_t d[32])
{
	TalModule m;
	char err[256];
	memset(d, 0, 32);
	if (talmod_parse(&m, p, n, err, sizeof err) == 0) sha256(m.base + m.iface_off, m.iface_size, d);
}

/* ---- helpers ---- */

static TalTrust *trust_of(const char *c1, const char *c2)
{
	TalTrust *t = taltrust_new();
	char err[512];
	if (c1) check(taltrust_add_file(t, KEY(c1), err, sizeof err) == 0, "trust %s: %s", c1, err);
	if (c2) check(taltrust_add_file(t, KEY(c2), err, sizeof err) == 0, "trust %s: %s", c2, err);
	return t;
}

/* Sign with KEYDIR's key `k` (k.key, k.crt); NULL after a failed check. */
static uint8_t *sign_with(const uint8_t *mod, size_t n, const char *k, size_t *outlen)
{
	char key[64], crt[64], err[512];
	uint8_t *out = NULL;
	snprintf(key, sizeof key, "%s.key", k);
	snprintf(crt, sizeof crt, "%s.crt", k);
	int rc = talsig_sign(mod, n, NULL, VERSION, KEY(key), KEY(crt), &out, outlen, err, sizeof err);
	check(rc == 0, "signing with %s: %s", k, err);
	return rc == 0 ? out : NULL;
}

/* Verify and compare with what is expected; the code. */
static int expect(const uint8_t *p, size_t n, const TalTrust *t, const uint8_t d[32], int want, const char *what)
{
	char why[1024];
	TalModule m;
	TalSigned s;
	int rc = talsig_verify(p, n, t, d, &m, &s, why, sizeof why);
	check(rc == want, "%s: %s (%s), expected %s", what, talsig_result_name(rc), rc ? why : "ok", talsig_result_name(want));
	if (rc == TALV_OK) check(m.base == p && strcmp(s.att.verifier, VERSION) == 0 && m.nexports >= 1,
	                         "%s: the module or attestation is not filled in", what);
	return rc;
}

/* [signed part][der][info][magic], malloc'd. */
static uint8_t *assemble(const uint8_t *sp, size_t spn, const uint8_t *der, size_t dn, size_t *n)
{
	*n = spn + dn + TALSIG_INFO_SIZE + TALSIG_MAGIC_LEN;
	uint8_t *p = malloc(*n);
	memcpy(p, sp, spn);
	memcpy(p + spn, der, dn);
	talsig_info_put(p + spn + dn, (uint32_t)dn);
	memcpy(p + spn + dn + TALSIG_INFO_SIZE, TALSIG_MAGIC, TALSIG_MAGIC_LEN);
	return p;
}

/* [module][attestation naming `digest`], malloc'd. */
static uint8_t *with_attest(const uint8_t *mod, size_t n, const uint8_t digest[32])
{
	TalAttest a = { .module_size = (uint32_t)n };
	uint8_t *p = malloc(n + TALATT_SIZE);
	snprintf(a.verifier, sizeof a.verifier, "%s", VERSION);
	memcpy(a.iface_digest, digest, 32);
	memcpy(p, mod, n);
	talatt_put(p + n, &a);
	return p;
}

/* ---- tampering ---- */

typedef struct Region { const char *name; size_t from, to; unsigned allowed; int count[8]; } Region;
#define BIT(c) (1u << (c))

/*
** Where the bytes of a signed file are, and what flipping one may give:
** module bytes a refusal of the signature, or of the module when the
** header no longer parses (checked first); attestation bytes likewise; the
** signer's name and serial an untrusted signer; other signature bytes a
** refused signature; the trailer information a bad trailer or a misplaced
** attestation; the magic, an unsigned module.
*/
static int regions(const uint8_t *p, size_t n, const char *cert, Region *r)
{
	TalSigned s;
	char err[256];
	if (talsig_split(p, n, &s, err, sizeof err) != TALSIG_OK) return check(0, "split: %s", err), 0;
	size_t sig = s.signed_len, info = n - TALSIG_MAGIC_LEN - TALSIG_INFO_SIZE, name_at = sig, name_end = sig;
	FILE *f = fopen(KEY(cert), "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	const unsigned char *der;
	size_t dn;
	if (f) fclose(f);
	if (x && X509_NAME_get0_der(X509_get_issuer_name(x), &der, &dn) == 1)
		for (size_t i = sig; i + dn <= info; i++)
			if (memcmp(p + i, der, dn) == 0 && i + dn + 2 <= info) {   /* the name, then the serial number */
				name_at = i, name_end = i + dn + 2 + p[i + dn + 1];
				break;
			}
	X509_free(x);
	check(name_at > sig, "the signer's name is not in the signature");
	Region all[] = {
		{ "module", 0, s.module_len, BIT(TALV_BAD_SIGNATURE) | BIT(TALV_MALFORMED), { 0 } },
		{ "attestation", s.module_len, sig, BIT(TALV_BAD_SIGNATURE) | BIT(TALV_BAD_ATTEST), { 0 } },
		{ "signature", sig, name_at, BIT(TALV_BAD_SIGNATURE), { 0 } },
		{ "signer id", name_at, name_end, BIT(TALV_BAD_SIGNATURE) | BIT(TALV_UNTRUSTED), { 0 } },
		{ "signature", name_end, info, BIT(TALV_BAD_SIGNATURE), { 0 } },
		{ "trailer info", info, n - TALSIG_MAGIC_LEN, BIT(TALV_BAD_TRAILER) | BIT(TALV_BAD_ATTEST), { 0 } },
		{ "magic", n - TALSIG_MAGIC_LEN, n, BIT(TALV_UNSIGNED), { 0 } },
	};
	memcpy(r, all, sizeof all);
	return (int)(sizeof all / sizeof all[0]);
}

/* Every byte (or every `step`-th, and all of the first and last 4 KiB), flipped three ways. */
static void flip_bytes(const char *what, uint8_t *p, size_t n, const TalTrust *t, const uint8_t d[32], const char *cert)
{
	static const uint8_t patterns[] = { 0xff, 0x01, 0x20 };
	Region r[8];
	int nr = regions(p, n, cert, r), runs = 0;
	size_t step = n <= 65536 ? 1 : n / 16384;
	double t0 = now();
	for (size_t i = 0; i < n; i += (i < 4096 || i + 4096 >= n) ? 1 : step)
		for (int k = 0; k < 3; k++) {
			char why[512];
			int j = 0;
			while (j < nr - 1 && i >= r[j].to) j++;
			p[i] ^= patterns[k];
			int rc = talsig_verify(p, n, t, d, NULL, NULL, why, sizeof why);
			p[i] ^= patterns[k];
			runs++;
			r[j].count[rc]++;
			if (!(r[j].allowed & BIT(rc)))
				check(0, "%s: byte %zu (%s) ^ %#x: %s (%s)", what, i, r[j].name, patterns[k], talsig_result_name(rc), why);
			else checks++;
		}
	printf("%s: %d flipped files refused in %.2f s:\n", what, runs, now() - t0);
	for (int j = 0; j < nr; j++) {
		printf("  %-12s [%6zu, %6zu)", r[j].name, r[j].from, r[j].to);
		for (int c = 1; c < 8; c++)
			if (r[j].count[c]) printf("  %s %d", talsig_result_name(c), r[j].count[c]);
		putchar('\n');
	}
}

/* Every shorter file; the module cut inside, with and without a matching attestation; bytes appended. */
static void cut_bytes(const char *what, const uint8_t *p, size_t n, size_t module_len, const TalTrust *t, const uint8_t d[32])
{
	uint8_t *q = malloc(n + 8192);
	char why[512];
	int runs = 0;
	size_t step = n <= 65536 ? 1 : n / 16384;
	for (size_t k = 0; k < n; k += (k + 4096 >= n) ? 1 : step, runs++)
		check(talsig_verify(p, k, t, d, NULL, NULL, why, sizeof why) == TALV_UNSIGNED, "%s: cut to %zu bytes: not unsigned", what, k);
	for (size_t k = 1; k < module_len; k += k < 4096 ? 1 : step, runs += 2) {   /* k bytes of the module's end removed */
		memcpy(q, p, module_len - k);
		memcpy(q + module_len - k, p + module_len, n - module_len);
		check(talsig_verify(q, n - k, t, d, NULL, NULL, why, sizeof why) == TALV_BAD_ATTEST, "%s: module cut by %zu: %s", what, k, why);
		put32(q + module_len - k + 12, (uint32_t)(module_len - k));      /* the attestation made to agree */
		int rc = talsig_verify(q, n - k, t, d, NULL, NULL, why, sizeof why);
		check(rc == TALV_MALFORMED || rc == TALV_BAD_SIGNATURE, "%s: module cut by %zu, attested: %s", what, k, talsig_result_name(rc));
	}
	static const size_t extra[] = { 1, 7, 40, 4096, 8192 };
	for (int i = 0; i < 5; i++, runs++) {
		memcpy(q, p, n);
		for (size_t j = 0; j < extra[i]; j++) q[n + j] = (uint8_t)(j * 37 + i);
		check(talsig_verify(q, n + extra[i], t, d, NULL, NULL, why, sizeof why) == TALV_UNSIGNED, "%s: %zu bytes appended: not unsigned", what, extra[i]);
	}
	memcpy(q, p, n);   /* the trailer's end repeated: a second, bogus signature */
	memcpy(q + n, p + n - TALSIG_MAGIC_LEN - TALSIG_INFO_SIZE, TALSIG_MAGIC_LEN + TALSIG_INFO_SIZE);
	int rc = talsig_verify(q, n + TALSIG_MAGIC_LEN + TALSIG_INFO_SIZE, t, d, NULL, NULL, why, sizeof why);
	check(rc != TALV_OK, "%s: repeated trailer accepted", what);
	printf("%s: %d cut or extended files refused\n", what, runs + 1);
	free(q);
}

/* All of the above for one module, signed by a. */
static void tamper_module(const char *what, const uint8_t *mod, size_t n)
{
	uint8_t d[32], *sig;
	size_t sn;
	TalTrust *t = trust_of("a.crt", NULL);
	iface_digest_of(mod, n, d);
	if ((sig = sign_with(mod, n, "a", &sn))) {
		if (expect(sig, sn, t, d, TALV_OK, what) == TALV_OK) {
			flip_bytes(what, sig, sn, t, d, "a.crt");
			cut_bytes(what, sig, sn, n, t, d);
		}
		check(expect(mod, n, t, d, TALV_UNSIGNED, "unsigned") == TALV_UNSIGNED, "unsigned accepted");
	}
	free(sig);
	taltrust_free(t);
}

/* ---- signers and interfaces ---- */

/* Who signed, against whom it is checked. */
static void signers(const uint8_t *mod, size_t n, const uint8_t d[32])
{
	size_t na, nb, nc, ne;
	uint8_t *a = sign_with(mod, n, "a", &na), *b = sign_with(mod, n, "b", &nb);
	uint8_t *c = sign_with(mod, n, "c", &nc), *e = sign_with(mod, n, "ec", &ne);
	TalTrust *ta = trust_of("a.crt", NULL), *tab = trust_of("a.crt", "b.crt"), *tb = trust_of("b.crt", NULL);
	TalTrust *te = trust_of("ec.crt", NULL), *none = taltrust_new(), *tca = trust_of("c.crt", "a.crt");
	if (a && b && c && e) {
		expect(b, nb, ta, d, TALV_UNTRUSTED, "b's signature, a trusted");
		expect(b, nb, tab, d, TALV_OK, "b's signature, a and b trusted");
		expect(a, na, tab, d, TALV_OK, "a's signature, a and b trusted");
		expect(a, na, tb, d, TALV_UNTRUSTED, "a's signature, b trusted");
		expect(a, na, none, d, TALV_UNTRUSTED, "a's signature, nothing trusted");
		expect(a, na, NULL, d, TALV_UNTRUSTED, "a's signature, no trust set");
		expect(c, nc, ta, d, TALV_BAD_SIGNATURE, "the impostor's signature (a's name and serial), a trusted");
		expect(a, na, tca, d, TALV_OK, "a's signature, the impostor and a trusted");
		expect(c, nc, tca, d, TALV_OK, "the impostor's signature, the impostor and a trusted");
		expect(e, ne, te, d, TALV_OK, "an EC signature");
		expect(e, ne, ta, d, TALV_UNTRUSTED, "an EC signature, a trusted");
		write_file(OUT("signed.tlm"), a, na);
		write_file(OUT("untrusted.tlm"), b, nb);
		a[IMAGE_OFF + 1] ^= 0x40;
		expect(a, na, ta, d, TALV_BAD_SIGNATURE, "a code byte changed");
		write_file(OUT("tampered.tlm"), a, na);
	}
	free(a), free(b), free(c), free(e);
	taltrust_free(ta), taltrust_free(tab), taltrust_free(tb), taltrust_free(te), taltrust_free(none), taltrust_free(tca);
}

/* The interface the module was verified against, and the one it embeds. */
static void interfaces(const uint8_t *mod, size_t n, const uint8_t d[32])
{
	size_t n2, sn, fn;
	uint8_t *other = build_module("interface 2: host_print(int), host_exit(int)\n", &n2), d2[32], *der = NULL, *sp;
	uint8_t *sig = sign_with(other, n2, "a", &sn), *out = NULL;
	TalTrust *t = trust_of("a.crt", NULL);
	char err[512];
	iface_digest_of(other, n2, d2);
	if (sig) {
		expect(sig, sn, t, d, TALV_WRONG_INTERFACE, "verified against another interface");
		expect(sig, sn, t, d2, TALV_OK, "verified against its interface");
		expect(sig, sn, t, NULL, TALV_WRONG_INTERFACE, "no host interface");
		write_file(OUT("wrongif.tlm"), sig, sn);
	}
	check(talsig_sign(other, n2, d, VERSION, KEY("a.key"), KEY("a.crt"), &out, &sn, err, sizeof err) == -1 && !out,
	      "signing a module that embeds another interface than the verified one");
	/* made by hand: the attestation names the host's interface, the module embeds another */
	sp = with_attest(other, n2, d);
	if (talsig_pkcs7(sp, n2 + TALATT_SIZE, KEY("a.key"), KEY("a.crt"), &der, &sn, err, sizeof err) == 0) {
		uint8_t *f = assemble(sp, n2 + TALATT_SIZE, der, sn, &fn);
		expect(f, fn, t, d, TALV_WRONG_INTERFACE, "attested the host's interface, embeds another");
		free(f);
	} else check(0, "talsig_pkcs7: %s", err);
	free(der), free(sp), free(sig), free(other);
	taltrust_free(t);
}

/* ---- signature shapes made with OpenSSL directly ---- */

/*
** A signed module whose signature is made with these CMS flags (signer:
** a): certificates in or not, signer flags, a digest.
*/
static uint8_t *custom(const uint8_t *mod, size_t n, const uint8_t d[32], unsigned flags, unsigned sflags,
                       const EVP_MD *md, size_t *fn)
{
	FILE *kf = fopen(KEY("a.key"), "r"), *cf = fopen(KEY("a.crt"), "r");
	EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	X509 *cert = cf ? PEM_read_X509(cf, NULL, NULL, NULL) : NULL;
	uint8_t *sp = with_attest(mod, n, d), *der = NULL, *f = NULL;
	BIO *in = BIO_new_mem_buf(sp, (int)(n + TALATT_SIZE));
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags | CMS_DETACHED | CMS_BINARY | CMS_PARTIAL);
	int dn = -1;
	if (cms && key && cert && CMS_add1_signer(cms, cert, key, md, sflags | CMS_BINARY | CMS_NOSMIMECAP) &&
	    CMS_final(cms, in, NULL, flags | CMS_BINARY))
		dn = i2d_CMS_ContentInfo(cms, &der);
	check(dn > 0, "OpenSSL could not sign");
	if (dn > 0) f = assemble(sp, n + TALATT_SIZE, der, (size_t)dn, fn);
	if (kf) fclose(kf);
	if (cf) fclose(cf);
	OPENSSL_free(der), free(sp);
	BIO_free(in), CMS_ContentInfo_free(cms), EVP_PKEY_free(key), X509_free(cert);
	ERR_clear_error();
	return f;
}

/* What sign-file may make is accepted; what it does not make is refused. */
static void shapes(const uint8_t *mod, size_t n, const uint8_t d[32])
{
	static const struct { const char *what; unsigned flags, sflags; int sha512, want; } cases[] = {
		{ "as talsig_sign makes it", CMS_NOCERTS, CMS_NOCERTS | CMS_NOATTR, 0, TALV_OK },
		{ "the signer by subject key identifier (sign-file -k)", CMS_NOCERTS, CMS_NOCERTS | CMS_NOATTR | CMS_USE_KEYID, 0, TALV_OK },
		{ "with the certificate inside (a chain the kernel would follow)", 0, CMS_NOATTR, 0, TALV_BAD_TRAILER },
		{ "SHA-512", CMS_NOCERTS, CMS_NOCERTS | CMS_NOATTR, 1, TALV_OK },
		{ "with signed attributes", CMS_NOCERTS, CMS_NOCERTS, 0, TALV_BAD_SIGNATURE },
	};
	TalTrust *t = trust_of("a.crt", NULL);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t fn;
		uint8_t *f = custom(mod, n, d, cases[i].flags, cases[i].sflags, cases[i].sha512 ? EVP_sha512() : EVP_sha256(), &fn);
		if (f) expect(f, fn, t, d, cases[i].want, cases[i].what);
		free(f);
	}
	taltrust_free(t);
}

/* ---- errors ---- */

/* talsig_sign refuses, with a message, and leaves *out alone. */
static void sign_fails(const uint8_t *mod, size_t n, const char *version, const char *key, const char *cert, const char *what)
{
	uint8_t *out = NULL;
	size_t on = 0;
	char err[512] = "";
	int rc = talsig_sign(mod, n, NULL, version, key, cert, &out, &on, err, sizeof err);
	check(rc == -1 && !out && err[0], "signing %s: not refused", what);
	if (rc == -1) printf("  refused %s: %s\n", what, err);
	free(out);
}

/* Every way signing refuses, and a key with its certificate in one file. */
static void sign_errors(uint8_t *mod, size_t n)
{
	size_t sn, kn, cn;
	uint8_t *sig = sign_with(mod, n, "a", &sn), *k = read_file(KEY("a.key"), &kn), *c = read_file(KEY("a.crt"), &cn);
	sign_fails(mod, n, VERSION, KEY("none.key"), KEY("a.crt"), "with a missing key");
	sign_fails(mod, n, VERSION, KEY("a.key"), KEY("b.crt"), "with another key's certificate");
	sign_fails(mod, n, VERSION, KEY("a.crt"), KEY("a.crt"), "with a certificate for a key");
	sign_fails(mod, n, VERSION, KEY("a.key"), KEY("none.crt"), "with a missing certificate");
	sign_fails(mod, n, "", KEY("a.key"), KEY("a.crt"), "with no verifier version");
	sign_fails(mod, n, "0123456789012345678901234567890123456789x", KEY("a.key"), KEY("a.crt"), "with a long version");
	if (sig) sign_fails(sig, sn, VERSION, KEY("a.key"), KEY("a.crt"), "a signed module");
	mod[0] ^= 1;
	sign_fails(mod, n, VERSION, KEY("a.key"), KEY("a.crt"), "a module that is not one");
	mod[0] ^= 1;
	if (k && c) {   /* key and certificate in one file */
		uint8_t *both = malloc(kn + cn), *out = NULL;
		char err[512];
		memcpy(both, k, kn);
		memcpy(both + kn, c, cn);
		write_file(OUT("both.pem"), both, kn + cn);
		check(talsig_sign(mod, n, NULL, VERSION, OUT("both.pem"), NULL, &out, &sn, err, sizeof err) == 0,
		      "signing with key and certificate in one file: %s", err);
		free(out), free(both);
	}
	free(sig), free(k), free(c);
}

/* taltrust_add_file: several certificates, DER, and files that hold none. */
static void trust_errors(void)
{
	size_t an, bn;
	uint8_t *a = read_file(KEY("a.crt"), &an), *b = read_file(KEY("b.crt"), &bn);
	TalTrust *t = taltrust_new();
	char err[512];
	if (a && b) {
		uint8_t *ab = malloc(an + bn);
		memcpy(ab, a, an);
		memcpy(ab + an, b, bn);
		write_file(OUT("ab.pem"), ab, an + bn);
		free(ab);
	}
	check(taltrust_add_file(t, OUT("ab.pem"), err, sizeof err) == 0 && taltrust_count(t) == 2, "two certificates in one file: %s", err);
	check(taltrust_add_file(t, KEY("a.der"), err, sizeof err) == 0 && taltrust_count(t) == 3, "a DER certificate: %s", err);
	static const char *bad[] = { "none.crt", "a.key", "empty", "garbage", "broken.crt" };
	write_file(OUT("empty"), "", 0);
	write_file(OUT("garbage"), "\x30\x82\x01garbage", 10);
	if (a) {   /* a PEM certificate cut in the middle */
		static const char end[] = "\n-----END CERTIFICATE-----\n";
		memcpy(a + an / 2, end, sizeof end - 1);
		write_file(OUT("broken.crt"), a, an / 2 + sizeof end - 1);
	}
	for (int i = 0; i < 5; i++) {
		const char *path = i == 0 || i == 1 ? KEY(bad[i]) : OUT(bad[i]);
		err[0] = 0;
		check(taltrust_add_file(t, path, err, sizeof err) == -1 && err[0] && taltrust_count(t) == 3, "trusting %s: not refused", bad[i]);
		printf("  refused to trust %s: %s\n", bad[i], err);
	}
	taltrust_free(t);
	free(a), free(b);
}

/* The codes have distinct names. */
static void names(void)
{
	for (int i = 0; i <= TALV_MALFORMED; i++)
		for (int j = 0; j < i; j++)
			check(strcmp(talsig_result_name(i), talsig_result_name(j)) != 0, "codes %d and %d have one name", i, j);
	check(strcmp(talsig_result_name(TALV_BAD_SIGNATURE), "tampered") == 0, "TALV_BAD_SIGNATURE is not 'tampered'");
	check(strcmp(talsig_result_name(99), "unknown") == 0, "code 99 has a name");
}

/*
** sha256 (common/sha256.c): the examples of FIPS 180-4 (one block, two
** blocks, a million bytes), and OpenSSL's digest of every length from 0 to
** 1100 bytes (each padding case, up to many blocks) of changing bytes.
*/
static void digests(void)
{
	static const struct { const char *in; size_t repeat; const char *hex; } known[] = {
		{ "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
		{ "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
	};
	uint8_t got[32], want[32];
	for (size_t i = 0; i < sizeof known / sizeof *known; i++) {
		size_t len = strlen(known[i].in), n = len * known[i].repeat;
		uint8_t *p = malloc(n + 1);
		for (size_t k = 0; k < known[i].repeat; k++) memcpy(p + k * len, known[i].in, len);
		sha256(p, n, got);
		char hex[65];
		for (int k = 0; k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", got[k]);
		check(strcmp(hex, known[i].hex) == 0, "sha256 of %zu x '%s' is %s, not %s", known[i].repeat, known[i].in, hex, known[i].hex);
		free(p);
	}
	uint8_t buf[1100];
	uint32_t x = 2463534242u;
	for (size_t n = 0; n <= sizeof buf; n++) {
		if (n) buf[n - 1] = (uint8_t)(x ^= x << 13, x ^= x >> 17, x ^= x << 5);
		unsigned wl = 32;
		sha256(buf, n, got);
		check(EVP_Digest(buf, n, want, &wl, EVP_sha256(), NULL) == 1 && memcmp(got, want, 32) == 0,
		      "sha256 of %zu bytes differs from OpenSSL's", n);
	}
}

/* Build the module, run every group of checks, then the modules given. */
int main(int argc, char **argv)
{
	char err[256];
	size_t n;
	uint8_t d[32];
	if (argc < 3) {
		fputs("usage: test_sign KEYDIR OUTDIR [--only] [module.tlm...]\n", stderr);
		return 2;
	}
	snprintf(keydir, sizeof keydir, "%s", argv[1]);
	snprintf(outdir, sizeof outdir, "%s", argv[2]);
	mkdir(outdir, 0777);
	int only = argc > 3 && strcmp(argv[3], "--only") == 0;
	double t0 = now();
	uint8_t *mod = build_module("interface 1: host_print(int)\n", &n);
	TalModule m;
	check(talmod_parse(&m, mod, n, err, sizeof err) == 0, "the test module does not parse: %s", err);
	iface_digest_of(mod, n, d);
	if (!only) {
		write_file(OUT("module.tlm"), mod, n);
		write_file(OUT("iface.bin"), mod + m.iface_off, m.iface_size);
		names();
		digests();
		tamper_module("test module", mod, n);
		signers(mod, n, d);
		interfaces(mod, n, d);
		shapes(mod, n, d);
		sign_errors(mod, n);
		trust_errors();
	}
	for (int i = 3 + only; i < argc; i++) {
		size_t mn;
		uint8_t *p = read_file(argv[i], &mn);
		if (p) tamper_module(argv[i], p, mn);
		free(p);
	}
	free(mod);
	printf("%d checks, %d failed, %.2f s\n", checks, failures, now() - t0);
	return failures ? 1 : 0;
}
