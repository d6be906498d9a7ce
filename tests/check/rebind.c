/*
** rebind IN OUT FROM TO SORT - a .tal.types section (IN, as objcopy dumps
** it) with its one binder node "FROM: SORT" (TK_* number) renamed TO, a
** string the section already holds; written to OUT.  The tamper test uses
** it to make sections the assembler never writes (a typedef whose body
** uses a variable its parameters do not bind).  Exit 0 done, 2 otherwise.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

int main(int argc, char **argv)
{
	if (argc != 6) { fprintf(stderr, "usage: rebind IN OUT FROM TO SORT\n"); return 2; }
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	static unsigned char buf[1 << 22];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	TyTable t;
	char err[256];
	ty_init(&t);
	if (ty_decode(&t, buf, n, err, sizeof err)) { fprintf(stderr, "rebind: %s: %s\n", argv[1], err); return 2; }
	StrId from = ty_str_find(&t, argv[3], strlen(argv[3])), to = ty_str_find(&t, argv[4], strlen(argv[4]));
	int sort = atoi(argv[5]), hits = 0;
	TyId hit = 0;
	for (TyId i = 1; from && i < t.nnode; i++)
		if (t.node[i].kind == TY_BINDER && t.node[i].name == from && t.node[i].flags == sort) hit = i, hits++;
	if (!to || hits != 1) { fprintf(stderr, "rebind: %d binders %s: %s, string %s %s\n", hits, argv[3], argv[5], argv[4], to ? "found" : "missing"); return 2; }
	t.node[hit].name = to;   /* the table's hash index is stale now: it is only written out */
	Buf b = { 0 };
	ty_encode(&t, &b);
	f = fopen(argv[2], "wb");
	if (!f || fwrite(b.p, 1, b.n, f) != b.n || fclose(f)) { perror(argv[2]); return 2; }
	free(b.p);
	ty_free(&t);
	return 0;
}
