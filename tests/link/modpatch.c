/*
** modpatch IN REGION DONOR OUT - a module whose REGION (iface, types or
** lines) is replaced by the same region of another module: the new bytes
** go at the end of the file and the module header points at them.  Tests
** use it to make modules whose parts disagree, as an attacker would.
*/
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

int main(int argc, char **argv)
{
	if (argc != 5) { fprintf(stderr, "usage: modpatch IN iface|types|lines DONOR OUT\n"); return 2; }
	size_t n, dn;
	unsigned char *in = slurp(argv[1], &n), *donor = slurp(argv[3], &dn);
	TalModule m, d;
	char err[256];
	if (talmod_parse(&m, in, n, err, sizeof err) || talmod_parse(&d, donor, dn, err, sizeof err)) { fprintf(stderr, "%s\n", err); return 2; }
	uint32_t *off, *size, doff, dsize;
	if (!strcmp(argv[2], "iface")) off = &m.iface_off, size = &m.iface_size, doff = d.iface_off, dsize = d.iface_size;
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
	FILE *f = fopen(argv[4], "wb");
	int ok = f && fwrite(out, 1, at + dsize, f) == at + dsize;
	if (f && fclose(f)) ok = 0;
	if (!ok) perror(argv[4]);
	free(out), free(in), free(donor);   /* (a leak fails the run under LeakSanitizer) */
	return ok ? 0 : 2;
}
