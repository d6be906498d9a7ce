/*
** taldump - print the types and line table embedded in an object, in the
** syntax of the language, so that a person (or a test) can read them.
**
**   taldump [-l] file.o...
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc.h"
#include "x86.h"
#include "version.h"

static const char *const annot_name[] = { "", ".fold", ".unfold", ".pack", ".unpack", ".inst", ".subsume" };

static const char *print(const TyTable *t, TyId id, char *buf, size_t cap)
{
	ty_print(t, id, buf, cap);
	return buf;
}

/* .typedef name[params] = body: the entry's list holds binders, then the body. */
static void print_typedef(const TyTable *t, const TyEntry *e, char *buf, size_t cap)
{
	const TyNode *l = ty_get(t, e->type);
	int n = l->nkids, body = n > 0 && ty_get(t, ty_kid(t, e->type, n - 1))->kind != TY_BINDER;
	printf(".typedef %s", ty_strof(t, e->name));
	for (int i = 0; i < n - body; i++)
		printf("%s%s", i ? ", " : "[", print(t, ty_kid(t, e->type, i), buf, cap));
	if (n - body > 0) printf("]");
	if (body) printf(" = %s", print(t, ty_kid(t, e->type, n - 1), buf, cap));
	printf("\n");
}

static void print_entry(const TyTable *t, const TyEntry *e, char *buf, size_t cap)
{
	static const char *const kind[] = { "", ".typedef", ".label", ".object", ".import", ".export" };
	if (e->kind == E_TYPEDEF) { print_typedef(t, e, buf, cap); return; }
	printf("%s %s", kind[e->kind], ty_strof(t, e->name));
	if (e->type) printf(" : %s", print(t, e->type, buf, cap));
	if (e->sect) printf("    # %s+%#x", tc_sect_names[e->sect], e->offset);
	printf("\n");
}

static void print_annot(const TyTable *t, const TyAnnot *a, char *buf, size_t cap)
{
	printf("0x%04x  %s%s ", a->offset, a->edge ? "(before the label) " : "", annot_name[a->op]);
	if (a->loc == L_REG) printf("%s", x86_reg_name(a->reg, S64));
	else if (a->loc == L_STACK) printf("[rsp + %d]", a->disp);
	if (a->type) printf(", %s", print(t, a->type, buf, cap));
	if (a->args) printf("%s%s", a->loc == L_TARGET ? "" : ", ", print(t, a->args, buf, cap));
	printf("\n");
}

static int dump(const char *path, int lines)
{
	TcObject o;
	char err[512];
	if (tc_open(&o, path, err, sizeof err) != 0) {
		fprintf(stderr, "taldump: error: %s\n", err);
		return 2;
	}
	TyTable t;
	LineTable lt;
	ty_init(&t);
	lt_init(&lt);
	int r = 0;
	if (!o.types.index || !o.lines.index) {
		fprintf(stderr, "taldump: error: %s: no .tal.types or .tal.lines section\n", path);
		r = 1;
	} else if (ty_decode(&t, o.types.p, o.types.n, err, sizeof err) != 0 ||
	           lt_decode(&lt, o.lines.p, o.lines.n, err, sizeof err) != 0) {
		fprintf(stderr, "taldump: error: %s: %s\n", path, err);
		r = 1;
	} else {
		size_t cap = 1 << 16;
		char *buf = malloc(cap);
		for (uint32_t i = 0; i < t.nent; i++) print_entry(&t, &t.ent[i], buf, cap);
		if (t.nann) printf("coercions:\n");
		for (uint32_t i = 0; i < t.nann; i++) print_annot(&t, &t.ann[i], buf, cap);
		printf("lines: %u rows in %u file%s\n", lt.nrow, lt.nfile, lt.nfile == 1 ? "" : "s");
		for (uint32_t i = 0; lines && i < lt.nrow; i++)
			printf("0x%04x  %s:%u:%u\n", lt.row[i].offset, lt.file[lt.row[i].file],
			       lt.row[i].line, lt.row[i].col);
		free(buf);
	}
	ty_free(&t);
	lt_free(&lt);
	tc_close(&o);
	return r;
}

static int usage(void)
{
	fprintf(stderr, "Usage: taldump [-l] file.o...\nTry 'taldump --help' for more information.\n");
	return 2;
}

int main(int argc, char **argv)
{
	int lines = 0, r = 0, first = 1, files = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-l") == 0) lines = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("Usage: taldump [-l] file.o...\nPrint the types (and with -l the line table) embedded in TAL objects.\n");
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("taldump (tal) %s\n", TAL_VERSION);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "taldump: error: unknown option '%s'\n", argv[i]);
			return usage();
		} else files++;
	}
	if (!files) return usage();
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1]) continue;
		if (!first) printf("\n");
		first = 0;
		int k = dump(argv[i], lines);
		if (k > r) r = k;
	}
	return r;
}
