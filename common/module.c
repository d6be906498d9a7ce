/*
** module.c - parse a module's header and a signed module's trailer.
** Freestanding: the kernel shim compiles this file as it is.
*/
#include "module.h"

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#define msg(...) snprintf(err, errcap, __VA_ARGS__)
#else
#include <stdio.h>
#include <string.h>
#define msg(...) snprintf(err, errcap, __VA_ARGS__)
#endif

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(uint8_t *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }

/* The header fields in file order (after the magic). */
#define FIELDS(X) X(version) X(flags) X(image_off) X(image_size) X(text_size) X(stubs_off) \
	X(nstubs) X(rodata_off) X(rodata_size) X(data_off) X(data_size) X(bss_size) \
	X(types_off) X(types_size) X(lines_off) X(lines_size) X(iface_off) X(iface_size) \
	X(imports_off) X(nimports) X(exports_off) X(nexports) X(strings_off) X(strings_size)

void talmod_put_header(uint8_t *out, const TalModule *m)
{
	uint8_t *q = out + 8;
	memcpy(out, TALMOD_MAGIC, 8);
#define PUT(f) put32(q, m->f), q += 4;
	FIELDS(PUT)
#undef PUT
}

typedef struct Region { uint64_t off, len; const char *what; } Region;

/* Regions of the file that must not share a byte. */
static int disjoint(const Region *r, int n, char *err, size_t errcap)
{
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++) {
			if (!r[i].len || !r[j].len) continue;
			if (r[i].off < r[j].off + r[j].len && r[j].off < r[i].off + r[i].len)
				return msg("module: the %s and the %s overlap", r[i].what, r[j].what), -1;
		}
	return 0;
}

/* The ELF header: what tallink writes and nothing else. */
static int check_elf(const uint8_t *p, size_t len, char *err, size_t errcap)
{
	static const uint8_t ident[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	if (len < TALMOD_HDR_OFF + TALMOD_HDR_SIZE) return msg("module: %zu bytes, too short for the headers", len), -1;
	if (memcmp(p, ident, sizeof ident) != 0) return msg("module: not an ELF64 little-endian file"), -1;
	if ((p[16] | p[17] << 8) != 3 || (p[18] | p[19] << 8) != 62) return msg("module: not an x86-64 ET_DYN file"), -1;
	if (memcmp(p + TALMOD_HDR_OFF, TALMOD_MAGIC, 8) != 0) return msg("module: no module header (not made by tallink)"), -1;
	return 0;
}

/* The regions the header names (talmod_regions), in that order. */
static const char *const region_name[TALMOD_REGIONS] = {
	"image", "data template", "type section", "line table", "interface", "import table", "export table", "string table",
};

static void regions_of(const TalModule *m, uint64_t off[TALMOD_REGIONS], uint64_t len[TALMOD_REGIONS])
{
	const uint64_t r[TALMOD_REGIONS][2] = {
		{ m->image_off, m->image_size }, { m->data_off, m->data_size }, { m->types_off, m->types_size },
		{ m->lines_off, m->lines_size }, { m->iface_off, m->iface_size }, { m->imports_off, (uint64_t)m->nimports * 8 },
		{ m->exports_off, (uint64_t)m->nexports * 8 }, { m->strings_off, m->strings_size },
	};
	for (int i = 0; i < TALMOD_REGIONS; i++) off[i] = r[i][0], len[i] = r[i][1];
}

/* Every region inside the file, aligned, and apart from the others. */
static int check_regions(const TalModule *m, size_t len, char *err, size_t errcap)
{
	uint64_t off[TALMOD_REGIONS], n[TALMOD_REGIONS];
	Region r[1 + TALMOD_REGIONS] = { { 0, TALMOD_HDR_OFF + TALMOD_HDR_SIZE, "headers" } };
	regions_of(m, off, n);
	for (int i = 0; i < TALMOD_REGIONS; i++) r[1 + i] = (Region){ off[i], n[i], region_name[i] };
	if (m->nimports > TALMOD_MAX_SIZE / 8 || m->nexports > TALMOD_MAX_SIZE / 8) return msg("module: too many imports or exports"), -1;
	for (int i = 0; i < 1 + TALMOD_REGIONS; i++)
		if (r[i].off > len || r[i].len > len - r[i].off)
			return msg("module: the %s (%u bytes at %#x) runs past the end of the file (%zu bytes)", r[i].what,
			           (unsigned)r[i].len, (unsigned)r[i].off, len), -1;
	if (m->image_off % TALMOD_PAGE) return msg("module: the image does not start on a page"), -1;
	if (m->imports_off % 4 || m->exports_off % 4) return msg("module: the import or export table is not aligned"), -1;
	return disjoint(r, 1 + TALMOD_REGIONS, err, errcap);
}

/* Inside the image: code, then the stubs, then the constants. */
static int check_image(const TalModule *m, char *err, size_t errcap)
{
	uint64_t stubs_end = (uint64_t)m->stubs_off + (uint64_t)m->nstubs * TALMOD_STUB_SIZE;
	if (m->text_size > m->image_size) return msg("module: the code is larger than the image"), -1;
	if (m->stubs_off % TALMOD_STUB_SIZE || m->stubs_off < m->text_size || stubs_end > m->image_size)
		return msg("module: the stub table is misplaced"), -1;
	if (m->nstubs != m->nimports) return msg("module: %u stubs for %u imports", m->nstubs, m->nimports), -1;
	if (m->rodata_off < stubs_end || m->rodata_off > m->image_size || m->rodata_size > m->image_size - m->rodata_off)
		return msg("module: the constants are misplaced"), -1;
	return 0;
}

/* A name: an offset inside the string table with a NUL after it. */
static int check_name(const TalModule *m, uint32_t off, const char *what, uint32_t i, char *err, size_t errcap)
{
	if (off >= m->strings_size || !memchr(m->base + m->strings_off + off, 0, m->strings_size - off))
		return msg("module: %s %u has a bad name", what, i), -1;
	if (m->base[m->strings_off + off] == 0) return msg("module: %s %u has an empty name", what, i), -1;
	return 0;
}

static int check_tables(const TalModule *m, char *err, size_t errcap)
{
	for (uint32_t i = 0; i < m->nimports; i++) {
		if (check_name(m, get32(m->base + m->imports_off + 8 * i), "import", i, err, errcap)) return -1;
		uint32_t site = talmod_import_site(m, i);
		if (site != TALMOD_NO_SITE && (site >= m->text_size || m->text_size - site < 4))
			return msg("module: import %u has a jump site outside the code", i), -1;
	}
	for (uint32_t i = 0; i < m->nexports; i++) {
		if (check_name(m, get32(m->base + m->exports_off + 8 * i), "export", i, err, errcap)) return -1;
		if (talmod_export_offset(m, i) >= m->text_size) return msg("module: export %u is not in the code", i), -1;
		/* sorted, each name once: a host finds an entry point by binary search */
		if (i && strcmp(talmod_export_name(m, i - 1), talmod_export_name(m, i)) >= 0)
			return msg("module: export %u ('%s') does not come after export %u ('%s') in byte order", i, talmod_export_name(m, i), i - 1, talmod_export_name(m, i - 1)), -1;
	}
	return 0;
}

/* The header's fields, as they are. */
static void get_fields(TalModule *m, const uint8_t *p)
{
	const uint8_t *q = p + TALMOD_HDR_OFF + 8;
#define GET(f) m->f = get32(q), q += 4;
	FIELDS(GET)
#undef GET
}

void talmod_regions(const uint8_t *p, uint64_t off[TALMOD_REGIONS], uint64_t len[TALMOD_REGIONS])
{
	TalModule m;
	get_fields(&m, p);
	regions_of(&m, off, len);
}

int talmod_parse(TalModule *m, const uint8_t *p, size_t len, char *err, size_t errcap)
{
	memset(m, 0, sizeof *m);
	if (len > TALMOD_MAX_SIZE) return msg("module: %zu bytes is too big", len), -1;
	if (check_elf(p, len, err, errcap)) return -1;
	get_fields(m, p);
	m->base = p;
	m->size = (uint32_t)len;
	if (m->version != TALMOD_VERSION) return msg("module: format version %u, this reads version %u", m->version, TALMOD_VERSION), -1;
	if (m->flags != 0) return msg("module: unknown flags %#x", m->flags), -1;
	if (m->bss_size > TALMOD_MAX_SIZE) return msg("module: the BSS is too big"), -1;
	return check_regions(m, len, err, errcap) || check_image(m, err, errcap) || check_tables(m, err, errcap) ? -1 : 0;
}

const char *talmod_import_name(const TalModule *m, uint32_t i)
{
	return (const char *)m->base + m->strings_off + get32(m->base + m->imports_off + 8 * i);
}

uint32_t talmod_import_site(const TalModule *m, uint32_t i)
{
	return get32(m->base + m->imports_off + 8 * i + 4);
}

const char *talmod_export_name(const TalModule *m, uint32_t i)
{
	return (const char *)m->base + m->strings_off + get32(m->base + m->exports_off + 8 * i);
}

uint32_t talmod_export_offset(const TalModule *m, uint32_t i)
{
	return get32(m->base + m->exports_off + 8 * i + 4);
}

int talmod_find_export(const TalModule *m, const char *name)
{
	uint32_t lo = 0, hi = m->nexports;   /* the names are sorted (check_tables) */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int d = strcmp(talmod_export_name(m, mid), name);
		if (!d) return (int)mid;
		if (d < 0) lo = mid + 1;
		else hi = mid;
	}
	return -1;
}

/* ---- the line table, read in place ---- */

typedef struct Cur { const uint8_t *p; uint32_t n, at; int bad; } Cur;

static uint64_t uleb(Cur *c)
{
	uint64_t v = 0;
	for (int shift = 0; !c->bad; shift += 7) {
		if (c->at >= c->n || shift > 63) { c->bad = 1; return 0; }
		uint8_t b = c->p[c->at++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) return v;
	}
	return 0;
}

static int64_t sleb(Cur *c)
{
	uint64_t v = 0;
	int shift = 0;
	uint8_t b = 0x80;
	while (!c->bad && (b & 0x80)) {
		if (c->at >= c->n || shift > 63) { c->bad = 1; return 0; }
		b = c->p[c->at++];
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	}
	if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

/* The first control character (below 0x20, or 0x7f) of a file name, or NULL: none may be printed as it is. */
const char *tal_name_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return s + i;
	return NULL;
}

int talmod_line(const TalModule *m, uint32_t off, const char **file, uint32_t *filelen, uint32_t *line, uint32_t *col)
{
	Cur c = { m->base + m->lines_off, m->lines_size, 8, 0 };
	uint32_t nfile, nrow, best_file = 0, files_at;
	uint64_t o = 0;
	int64_t ln = 0;
	int found = 0;
	if (m->lines_size < 8 || memcmp(c.p, "TALL", 4) != 0) return -1;
	nfile = (uint32_t)uleb(&c);
	files_at = c.at;
	for (uint32_t i = 0; i < nfile && !c.bad; i++) {
		uint64_t len = uleb(&c);
		if (len > c.n - c.at) return -1;
		c.at += (uint32_t)len;
	}
	nrow = (uint32_t)uleb(&c);
	for (uint32_t i = 0; i < nrow && !c.bad; i++) {
		uint64_t d = uleb(&c), f = uleb(&c);
		int64_t dl = sleb(&c);
		uint64_t cl = uleb(&c);
		o += d;
		ln = (int64_t)((uint64_t)ln + (uint64_t)dl);   /* (wraps: a verified table's deltas are small, any other's need not be) */
		if (c.bad || o > off) break;
		found = 1, best_file = (uint32_t)f, *line = (uint32_t)ln, *col = (uint32_t)cl;
	}
	if (!found || best_file >= nfile) return -1;
	c.at = files_at;
	c.bad = 0;
	for (uint32_t i = 0; ; i++) {
		uint64_t len = uleb(&c);
		if (c.bad || len > c.n - c.at) return -1;
		if (i == best_file) {   /* (a verified table has no control characters; a name with one is not shown) */
			*file = (const char *)c.p + c.at, *filelen = (uint32_t)len;
			return tal_name_control(*file, len) ? -1 : 0;
		}
		c.at += (uint32_t)len;
	}
}

/* ---- the signature trailer ---- */

void talatt_put(uint8_t *out, const TalAttest *a)
{
	memset(out, 0, TALATT_SIZE);
	memcpy(out, TALATT_MAGIC, 8);
	put32(out + 8, TALATT_SIZE);
	put32(out + 12, a->module_size);
	size_t n = strlen(a->verifier);
	memcpy(out + 16, a->verifier, n < TALSIG_VERSION_LEN ? n : TALSIG_VERSION_LEN);
	memcpy(out + 16 + TALSIG_VERSION_LEN, a->iface_digest, 32);
}

void talsig_info_put(uint8_t *out, uint32_t sig_len)
{
	memset(out, 0, TALSIG_INFO_SIZE);
	out[2] = 2;   /* PKEY_ID_PKCS7 */
	out[8] = sig_len >> 24; out[9] = sig_len >> 16; out[10] = sig_len >> 8; out[11] = sig_len;
}

/* The attestation at the end of the signed bytes. */
static int read_attest(TalSigned *s, char *err, size_t errcap)
{
	const uint8_t *a = s->signed_part + s->signed_len - TALATT_SIZE;
	if (memcmp(a, TALATT_MAGIC, 8) != 0 || get32(a + 8) != TALATT_SIZE)
		return msg("signature: no attestation block before the signature"), TALSIG_BAD_ATTEST;
	s->att.module_size = get32(a + 12);
	if (s->att.module_size != s->signed_len - TALATT_SIZE)
		return msg("signature: the attestation covers %u bytes, the module has %zu", s->att.module_size, s->signed_len - TALATT_SIZE), TALSIG_BAD_ATTEST;
	const uint8_t *v = a + 16;
	size_t n = 0;
	while (n < TALSIG_VERSION_LEN && v[n]) n++;
	for (size_t i = n; i < TALSIG_VERSION_LEN; i++)
		if (v[i]) return msg("signature: the verifier version is not NUL-padded"), TALSIG_BAD_ATTEST;
	if (n == 0) return msg("signature: the attestation names no verifier"), TALSIG_BAD_ATTEST;
	memcpy(s->att.verifier, v, n);
	s->att.verifier[n] = 0;
	memcpy(s->att.iface_digest, a + 16 + TALSIG_VERSION_LEN, 32);
	s->module = s->signed_part;
	s->module_len = s->att.module_size;
	return TALSIG_OK;
}

int talder_take(TalDer *d, uint8_t tag, TalDer *in)
{
	if (d->n < 2 || d->p[0] != tag) return -1;
	size_t len = d->p[1], head = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || d->n < 2 + k || d->p[2] == 0) return -1;
		len = 0;
		for (size_t i = 0; i < k; i++) len = len << 8 | d->p[2 + i];
		if (len < 0x80) return -1;
		head += k;
	}
	if (len > d->n - head) return -1;
	in->p = d->p + head;
	in->n = len;
	d->p += head + len;
	d->n -= head + len;
	return 0;
}

int talsig_pkcs7_certs(const uint8_t *p, size_t n)
{
	static const uint8_t want[] = { 0x30, 0, 0x06, 0xa0, 0, 0x30, 0, 0x02, 0x31, 0x30 };   /* 0: enter the last */
	TalDer d = { p, n }, in = { p, n };
	for (size_t i = 0; i < sizeof want; i++) {
		if (!want[i]) { d = in; continue; }
		if (talder_take(&d, want[i], &in)) return -1;
	}
	if (!d.n) return -1;
	return d.p[0] == 0xa0 || d.p[0] == 0xa1 ? 1 : d.p[0] == 0x31 ? 0 : -1;
}

int talsig_split(const uint8_t *p, size_t len, TalSigned *s, char *err, size_t errcap)
{
	static const uint8_t zero[5];
	memset(s, 0, sizeof *s);
	if (len < TALSIG_MAGIC_LEN || memcmp(p + len - TALSIG_MAGIC_LEN, TALSIG_MAGIC, TALSIG_MAGIC_LEN) != 0)
		return msg("signature: the module is not signed (no signature marker at its end)"), TALSIG_UNSIGNED;
	if (len < TALSIG_MAGIC_LEN + TALSIG_INFO_SIZE) return msg("signature: the trailer is cut short"), TALSIG_BAD_TRAILER;
	const uint8_t *info = p + len - TALSIG_MAGIC_LEN - TALSIG_INFO_SIZE;
	if (info[2] != 2 || info[0] || info[1] || memcmp(info + 3, zero, 5) != 0)
		return msg("signature: the signature information is not that of a PKCS#7 signature"), TALSIG_BAD_TRAILER;
	uint32_t sig_len = (uint32_t)info[8] << 24 | info[9] << 16 | info[10] << 8 | info[11];
	size_t rest = len - TALSIG_MAGIC_LEN - TALSIG_INFO_SIZE;
	if (sig_len == 0 || sig_len > rest || rest - sig_len < TALATT_SIZE)
		return msg("signature: a signature of %u bytes does not fit in the file", sig_len), TALSIG_BAD_TRAILER;
	s->pkcs7 = p + rest - sig_len;
	s->pkcs7_len = sig_len;
	if (talsig_pkcs7_certs(s->pkcs7, s->pkcs7_len) == 1)
		return msg("signature: the PKCS#7 signature carries certificates: a signer must be trusted itself, not through a chain"), TALSIG_BAD_TRAILER;
	s->signed_part = p;
	s->signed_len = rest - sig_len;
	return read_attest(s, err, errcap);
}
