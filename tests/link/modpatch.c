/*
** modpatch IN REGION DONOR OUT - a module whose REGION (iface, types or
** lines) is replaced by the same region of another module: the new bytes
** go at the end of the file and the module header points at them.  Tests
** use it to make modules whose parts disagree, as an attacker would.
** modpatch IN swap-exports OUT - the same module with its first two
** exports swapped (out of order).  modpatch IN exports - print the export
** names, one a line, in the order of the table.  modpatch IN types-out
** OUT - write the module's type section (its bytes only) to OUT; modpatch
** IN types-raw FILE OUT - the module with FILE's bytes as its type section.
** modpatch IN sites - print each import's index, name and site (hex, or
** "none"), one a line.  modpatch IN site I VALUE OUT - import I's site set
** to VALUE (a number, or "none").
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(2); }
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *p = malloc((size_t)len + 16);
	if (!p || fread(p, 1, (size_t)len, f) != (size_t)len) { perror(path); exit(2); }
	fclose(f);
	*n = (size_t)len;
	return p;
}

static int write_file(const char *path, const unsigned char *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;
	if (f && fclose(f)) ok = 0;
	if (!ok) perror(path);
	return ok;
}

/* The two modes that read one module: print its exports, or swap the first two. */
static int one_module(int argc, char **argv)
{
	size_t n;
	unsigned char *in = slurp(argv[1], &n);
	TalModule m;
	char err[256];
	int ok = 0;
	if (talmod_parse(&m, in, n, err, sizeof err)) fprintf(stderr, "%s\n", err);
	else if (argc == 3 && !strcmp(argv[2], "exports")) {
		for (uint32_t i = 0; i < m.nexports; i++) printf("%s\n", talmod_export_name(&m, i));
		ok = 1;
	} else if (argc == 4 && !strcmp(argv[2], "swap-exports") && m.nexports >= 2) {
		unsigned char t[8], *e = in + m.exports_off;
		memcpy(t, e, 8), memcpy(e, e + 8, 8), memcpy(e + 8, t, 8);
		ok = write_file(argv[3], in, n);
	} else if (argc == 3 && !strcmp(argv[2], "sites")) {
		for (uint32_t i = 0; i < m.nimports; i++) {
			uint32_t site = talmod_import_site(&m, i);
			if (site == TALMOD_NO_SITE) printf("%u %s none\n", i, talmod_import_name(&m, i));
			else printf("%u %s %#x\n", i, talmod_import_name(&m, i), site);
		}
		ok = 1;
	} else if (argc == 6 && !strcmp(argv[2], "site")) {
		unsigned long i = strtoul(argv[3], NULL, 0);
		uint32_t v = !strcmp(argv[4], "none") ? TALMOD_NO_SITE : (uint32_t)strtoul(argv[4], NULL, 0);
		if (i >= m.nimports) fprintf(stderr, "modpatch: no import %lu\n", i);
		else {
			unsigned char *p = in + m.imports_off + 8 * i + 4;   /* little-endian, as the format says */
			for (int k = 0; k < 4; k++) p[k] = (unsigned char)(v >> 8 * k);
			ok = write_file(argv[5], in, n);
		}
	} else if (argc == 4 && !strcmp(argv[2], "types-out")) {
		ok = write_file(argv[3], in + m.types_off, m.types_size);
	} else fprintf(stderr, "modpatch: want 'IN exports', 'IN types-out OUT', or 'IN swap-exports OUT' with two exports or more\n");
	free(in);
	return ok ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 || argc == 4 || (argc == 6 && !strcmp(argv[2], "site"))) return one_module(argc, argv);
	if (argc != 5) { fprintf(stderr, "usage: modpatch IN iface|types|lines DONOR OUT | modpatch IN types-raw FILE OUT\n"); return 2; }
	size_t n, dn;
	unsigned char *in = slurp(argv[1], &n), *donor = slurp(argv[3], &dn);
	TalModule m, d;
	char err[256];
	int raw = !strcmp(argv[2], "types-raw");   /* the donor is the region's bytes, not a module */
	if (talmod_parse(&m, in, n, err, sizeof err) || (!raw && talmod_parse(&d, donor, dn, err, sizeof err))) { fprintf(stderr, "%s\n", err); return 2; }
	uint32_t *off, *size, doff, dsize;
	if (raw) off = &m.types_off, size = &m.types_size, doff = 0, dsize = (uint32_t)dn;
	else if (!strcmp(argv[2], "iface")) off = &m.iface_off, size = &m.iface_size, doff = d.iface_off, dsize = d.iface_size;
	else if (!strcmp(argv[2], "types")) off = &m.types_off, size = &m.types_size, doff = d.types_off, dsize = d.types_size;
	else if (!strcmp(argv[2], "lines")) off = &m.lines_off, size = &m.lines_size, doff = d.lines_off, dsize = d.lines_size;
	else { fprintf(stderr, "modpatch: unknown region '%s'\n", argv[2]); return 2; }
	size_t at = (n + 7) & ~(size_t)7;
	unsigned char *out = calloc(at + dsize, 1);
	memcpy(out, in, n);
	memcpy(out + at, donor + doff, dsize);
	*off = (uint32_t)at;
	*size = dsize;
	talmod_put_header(out + TALMOD_HDR_OFF, &m);
	int ok = write_file(argv[4], out, at + dsize);
	free(out), free(in), free(donor);   /* (a leak fails the run under LeakSanitizer) */
	return ok ? 0 : 2;
}
