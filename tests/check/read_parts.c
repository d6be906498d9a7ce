/*
** read_parts MODULE OBJECT WORKDIR - what talcheck reads of a file to check
** it (tc_read_checked) against the whole file (tc_read):
**   - of an unsigned module, every byte the checker uses is read (the
**     headers, the regions its module header names, the ELF section
**     table), and the rest is zero: the ELF symbol and string tables,
**     which are not zero in the file, are not read; the parts check alike;
**   - its line table is left for later (zero until tc_read_later reads
**     it, once; a second call reads nothing);
**   - an object, and a module with a signature trailer, are read whole,
**     nothing left for later.
*/
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"

static int failed;
#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "FAIL: read_parts: " __VA_ARGS__); fputc('\n', stderr); failed = 1; } } while (0)

static void read_both(const char *path, uint8_t **whole, size_t *nw, uint8_t **parts, size_t *np, TcLater *later)
{
	char err[512];
	if (tc_read(path, whole, nw, err, sizeof err) || tc_read_checked(path, parts, np, later, err, sizeof err)) {
		fprintf(stderr, "read_parts: %s\n", err);
		exit(2);
	}
}

/* p[off, off + len) is all zero (clamped to n). */
static int zero(const uint8_t *p, size_t n, uint64_t off, uint64_t len)
{
	for (uint64_t k = off; k < off + len && k < n; k++)
		if (p[k]) return 0;
	return 1;
}

/* p[off, off + len) is the same in both (clamped to n). */
static int same(const uint8_t *a, const uint8_t *b, size_t n, uint64_t off, uint64_t len)
{
	if (off >= n) return 1;
	if (len > n - off) len = n - off;
	return !memcmp(a + off, b + off, len);
}

static int errors(const char *path, const uint8_t *p, size_t n)
{
	Diag d;
	diag_init(&d, "read_parts", COLOR_NEVER);
	int r = tc_check_image(path, p, n, &d, NULL, TC_PROFILE_USER, NULL);
	diag_free(&d);
	return r;
}

static void module(const char *path)
{
	uint8_t *w, *p;
	size_t nw, np;
	TcLater later;
	read_both(path, &w, &nw, &p, &np, &later);
	CHECK(nw == np, "%s: %zu bytes read whole, %zu in parts", path, nw, np);
	uint64_t off[TALMOD_REGIONS], len[TALMOD_REGIONS];
	talmod_regions(w, off, len);
	uint64_t lo = off[TALMOD_REGION_LINES], ll = len[TALMOD_REGION_LINES];
	CHECK(later.fd >= 0 && later.off == lo && later.len == ll, "%s: the line table is not left for later", path);
	CHECK(ll > 0 && !zero(w, nw, lo, ll) && zero(p, np, lo, ll), "%s: the line table was read at once", path);
	CHECK(tc_read_later(&later) == 0 && later.fd < 0, "%s: the line table could not be read later", path);
	CHECK(tc_read_later(&later) == 0, "%s: a second read_later failed", path);
	CHECK(same(w, p, nw, 0, TALMOD_HDR_OFF + TALMOD_HDR_SIZE), "%s: the headers differ", path);
	for (int i = 0; i < TALMOD_REGIONS; i++) CHECK(same(w, p, nw, off[i], len[i]), "%s: region %d differs", path, i);
	/* every other byte is zero in the parts; the symbol table's are not all zero in the file */
	Elf *e = elf_memory((char *)w, nw);
	size_t symtab = 0, nonzero = 0;
	for (Elf_Scn *s = NULL; e && (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(s, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_STRTAB) || sh.sh_offset >= nw) continue;
		int in_region = 0;
		for (int i = 0; i < TALMOD_REGIONS; i++) in_region |= sh.sh_offset >= off[i] && sh.sh_offset < off[i] + len[i];
		if (in_region) continue;   /* the module's own string table is a region */
		for (uint64_t k = sh.sh_offset; k < sh.sh_offset + sh.sh_size && k < nw; k++) {
			nonzero += w[k] != 0;
			CHECK(p[k] == 0, "%s: byte %#llx (section type %u) was read", path, (unsigned long long)k, sh.sh_type);
			if (p[k]) break;
		}
		symtab += sh.sh_type == SHT_SYMTAB;
	}
	if (e) elf_end(e);
	CHECK(symtab == 1 && nonzero > 0, "%s: no symbol table to leave unread (%zu, %zu nonzero bytes)", path, symtab, nonzero);
	CHECK(errors(path, w, nw) == 0 && errors(path, p, np) == 0, "%s: does not verify, read whole or in parts", path);
	tc_unread(w, nw);
	tc_unread(p, np);
}

static void whole(const char *path)
{
	uint8_t *w, *p;
	size_t nw, np;
	TcLater later;
	read_both(path, &w, &nw, &p, &np, &later);
	CHECK(nw == np && !memcmp(w, p, nw), "%s: not read whole", path);
	CHECK(later.fd < 0 && tc_read_later(&later) == 0, "%s: a part left for later", path);
	tc_unread(w, nw);
	tc_unread(p, np);
}

int main(int argc, char **argv)
{
	if (argc != 4) { fprintf(stderr, "usage: read_parts MODULE OBJECT WORKDIR\n"); return 2; }
	if (elf_version(EV_CURRENT) == EV_NONE) return 2;
	module(argv[1]);
	whole(argv[2]);
	/* the module with a signature trailer's marker at its end: read whole */
	char path[4096];
	snprintf(path, sizeof path, "%s/marked.tlm", argv[3]);
	uint8_t *w;
	size_t n;
	char err[512];
	if (tc_read(argv[1], &w, &n, err, sizeof err)) { fprintf(stderr, "read_parts: %s\n", err); return 2; }
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(w, 1, n, f) != n || fwrite(TALSIG_MAGIC, 1, TALSIG_MAGIC_LEN, f) != TALSIG_MAGIC_LEN || fclose(f)) { perror(path); return 2; }
	tc_unread(w, n);
	whole(path);
	if (!failed) printf("ok: read_parts\n");
	return failed;
}
