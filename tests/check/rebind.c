/*
** rebind IN OUT FROM TO SORT - a .tal.types section (IN, as objcopy dumps
** it) with its one binder node "FROM: SORT" (TK_* number) renamed TO, a
** string the section already holds; written to OUT.
** rebind IN OUT --backwards - the section with its coercions listed from
** the last instruction to the first (those at one instruction keep their
** order).
** rebind IN OUT --export-twice - the section with its first export
** declared a second time, as talas never writes it (the link test).
** rebind IN OUT --typedef-twice - the section with its first typedef's
** name defined a second time, last, as its last typedef is (talas never
** writes a name twice: the tamper test).
** rebind IN OUT --entry KIND SECT OFFSET - the section with its first
** entry of kind KIND (E_* number) given that section and offset.
** rebind IN OUT --rename-entry FROM TO - the section with its first entry
** named FROM named TO, a string it already holds (a second entry of that
** name, as talas never writes it: the ELF test).
** rebind IN OUT --rename-field FROM TO - the section with every field
** named FROM named TO (a record that names one field twice, as talas
** never writes it).
** rebind IN OUT --typedef-extra - the section with an int put between the
** parameters and the body of its first typedef that has a body (a list
** of two parts after its parameters, as talas never writes it).
** The tamper test uses --entry to make sections the assembler never writes (a
** typedef whose body uses a variable its parameters do not bind).  Exit 0
** done, 2 otherwise.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "types.h"

static int write_table(TyTable *t, const char *path)
{
	Buf b = { 0 };
	ty_encode(t, &b);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b.p, 1, b.n, f) != b.n || fclose(f)) { perror(path); return 2; }
	free(b.p);
	ty_free(t);
	return 0;
}

/* Stable: by offset, last first; table order among equal offsets. */
static void backwards(TyTable *t)
{
	for (uint32_t i = 1; i < t->nann; i++)
		for (uint32_t j = i; j > 0 && t->ann[j - 1].offset < t->ann[j].offset; j--) {
			TyAnnot a = t->ann[j];
			t->ann[j] = t->ann[j - 1];
			t->ann[j - 1] = a;
		}
}

/* The first export entry, added again at the end: 0, or -1 if there is none. */
static int export_twice(TyTable *t)
{
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->ent[i].kind == E_EXPORT) {
			TyEntry e = t->ent[i];
			ty_add_entry(t, &e, ty_entry_pos(t, &t->ent[i]));
			return 0;
		}
	return -1;
}

/* The first typedef's name, defined again as the last typedef is. */
static int typedef_twice(TyTable *t)
{
	uint32_t first = t->nent, last = t->nent;
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->ent[i].kind == E_TYPEDEF) {
			if (first == t->nent) first = i;
			last = i;
		}
	if (first == last) return -1;
	TyEntry e = t->ent[last];
	e.name = t->ent[first].name;
	ty_add_entry(t, &e, ty_entry_pos(t, &t->ent[last]));
	return 0;
}

/* The first entry of a kind placed at sect and offset: 0, or -1 if there is none. */
static int entry_at(TyTable *t, int kind, int sect, uint32_t offset)
{
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->ent[i].kind == kind) {
			t->ent[i].sect = (uint8_t)sect;
			t->ent[i].offset = offset;
			return 0;
		}
	return -1;
}

/* The first entry named from, named to instead: 0, or -1 if there is none. */
static int rename_entry(TyTable *t, StrId from, StrId to)
{
	for (uint32_t i = 0; from && to && i < t->nent; i++)
		if (t->ent[i].name == from) {
			t->ent[i].name = to;
			return 0;
		}
	return -1;
}

/*
** Every field named from, named to instead, in a new table *dst (t's
** entries and annotations copied over it, so that fields now equal are
** one node, as a section must have them): how many were renamed.
*/
static int rename_field(TyTable *t, StrId from, StrId to, TyTable *dst)
{
	int n = 0;
	for (TyId i = 1; from && to && i < t->nnode; i++)
		if (t->node[i].kind == TY_FIELD && t->node[i].name == from) t->node[i].name = to, n++;
	ty_init(dst);
	TyId *map = calloc(t->nnode, sizeof *map);
	if (!map) return 0;
	for (uint32_t i = 0; i < t->nent; i++) {
		TyEntry e = ty_copy_entry(dst, t, &t->ent[i], map, NULL);
		ty_add_entry(dst, &e, ty_copy_pos(dst, t, &t->ent[i]));
	}
	for (uint32_t i = 0; i < t->nann; i++) {
		TyAnnot a = t->ann[i];
		a.type = ty_copy(dst, t, a.type, map, NULL);
		a.args = ty_copy(dst, t, a.args, map, NULL);
		ty_add_annot(dst, &a);
	}
	free(map);
	return n;
}

/* The first typedef with a body given an int before it: 0, or -1 if there is none. */
static int typedef_extra(TyTable *t)
{
	for (uint32_t i = 0; i < t->nent; i++) {
		TyId l = t->ent[i].type;
		if (t->ent[i].kind != E_TYPEDEF || !l || t->node[l].kind != TY_LIST) continue;
		int nk = t->node[l].nkids, nb = 0;
		while (nb < nk && t->node[ty_kid(t, l, nb)].kind == TY_BINDER) nb++;
		if (nb == nk || nk >= 64) continue;
		TyId kids[65];
		for (int k = 0; k < nk; k++) kids[k + (k == nk - 1)] = ty_kid(t, l, k);
		kids[nk - 1] = ty_node(t, TY_INT, 0, 0, 0, NULL, 0);
		t->ent[i].type = ty_node(t, TY_LIST, 0, 0, 0, kids, nk + 1);
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	int back = argc == 4 && strcmp(argv[3], "--backwards") == 0, twice = argc == 4 && strcmp(argv[3], "--export-twice") == 0;
	int tdextra = argc == 4 && strcmp(argv[3], "--typedef-extra") == 0;
	int tdtwice = argc == 4 && strcmp(argv[3], "--typedef-twice") == 0, at = argc == 7 && strcmp(argv[3], "--entry") == 0;
	int ren = argc == 6 && strcmp(argv[3], "--rename-entry") == 0, renf = argc == 6 && strcmp(argv[3], "--rename-field") == 0;
	if (argc != 6 && !back && !twice && !tdtwice && !tdextra && !at) {
		fprintf(stderr, "usage: rebind IN OUT FROM TO SORT | rebind IN OUT --backwards | rebind IN OUT --export-twice | "
		        "rebind IN OUT --typedef-twice | rebind IN OUT --typedef-extra | rebind IN OUT --entry KIND SECT OFFSET | rebind IN OUT --rename-entry FROM TO | rebind IN OUT --rename-field FROM TO\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	static unsigned char buf[1 << 22];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	TyTable t;
	char err[256];
	ty_init(&t);
	if (ty_decode(&t, buf, n, err, sizeof err)) { fprintf(stderr, "rebind: %s: %s\n", argv[1], err); return 2; }
	if (back) {
		backwards(&t);
		return write_table(&t, argv[2]);
	}
	if (twice) {
		if (export_twice(&t)) { fprintf(stderr, "rebind: %s has no export\n", argv[1]); return 2; }
		return write_table(&t, argv[2]);
	}
	if (at) {
		if (entry_at(&t, atoi(argv[4]), atoi(argv[5]), (uint32_t)strtoul(argv[6], NULL, 0))) {
			fprintf(stderr, "rebind: %s has no entry of kind %s\n", argv[1], argv[4]);
			return 2;
		}
		return write_table(&t, argv[2]);
	}
	if (ren) {
		if (rename_entry(&t, ty_str_find(&t, argv[4], strlen(argv[4])), ty_str_find(&t, argv[5], strlen(argv[5])))) {
			fprintf(stderr, "rebind: %s has no entry %s, or no string %s\n", argv[1], argv[4], argv[5]);
			return 2;
		}
		return write_table(&t, argv[2]);
	}
	if (renf) {
		TyTable d;
		if (!rename_field(&t, ty_str_find(&t, argv[4], strlen(argv[4])), ty_str_find(&t, argv[5], strlen(argv[5])), &d)) {
			fprintf(stderr, "rebind: %s has no field %s, or no string %s\n", argv[1], argv[4], argv[5]);
			return 2;
		}
		ty_free(&t);
		return write_table(&d, argv[2]);
	}
	if (tdextra) {
		if (typedef_extra(&t)) { fprintf(stderr, "rebind: %s has no typedef with a body\n", argv[1]); return 2; }
		return write_table(&t, argv[2]);
	}
	if (tdtwice) {
		if (typedef_twice(&t)) { fprintf(stderr, "rebind: %s has fewer than two typedefs\n", argv[1]); return 2; }
		return write_table(&t, argv[2]);
	}
	StrId from = ty_str_find(&t, argv[3], strlen(argv[3])), to = ty_str_find(&t, argv[4], strlen(argv[4]));
	int sort = atoi(argv[5]), hits = 0;
	TyId hit = 0;
	for (TyId i = 1; from && i < t.nnode; i++)
		if (t.node[i].kind == TY_BINDER && t.node[i].name == from && t.node[i].flags == sort) hit = i, hits++;
	if (!to || hits != 1) { fprintf(stderr, "rebind: %d binders %s: %s, string %s %s\n", hits, argv[3], argv[5], argv[4], to ? "found" : "missing"); return 2; }
	t.node[hit].name = to;   /* the table's hash index is stale now: it is only written out */
	return write_table(&t, argv[2]);
}
