/*
** sym.c - symbols, sections, and what each statement puts into them.
**
** A section is a byte buffer cut into fragments.  A fragment is a run of
** fixed bytes followed by at most one variable tail (a relaxable branch, an
** alignment or a block of space); a tail always ends its fragment, so the
** last fragment of a section is always open for more bytes.
*/
#include <stdlib.h>
#include <string.h>

#include "as.h"

enum { SECT_MAX = 1u << 28 };   /* no section may grow past 256 MiB */

static const char *const sect_names[AS_NSECT] = { "", ".text", ".rodata", ".data", ".bss" };

static Frag *open_frag(Section *s)
{
	s->frag = xgrow(s->frag, sizeof *s->frag, s->nfrag + 1, &s->capfrag);
	Frag *f = &s->frag[s->nfrag++];
	memset(f, 0, sizeof *f);
	f->start = s->nbytes;
	return f;
}

void as_init(Asm *as, Diag *d)
{
	memset(as, 0, sizeof *as);
	as->diag = d;
	arena_init(&as->arena);
	for (int i = 0; i < AS_NSECT; i++) {
		as->sect[i].name = sect_names[i];
		as->sect[i].id = (uint8_t)i;
		open_frag(&as->sect[i]);
	}
	as->cur = SEC_TEXT;
	as->nsymtab = 1 << 12;
	as->symtab = xcalloc(as->nsymtab, sizeof *as->symtab);
	ty_init(&as->types);
	lt_init(&as->lt);
}

void as_free(Asm *as)
{
	for (int i = 0; i < AS_NSECT; i++) {
		free(as->sect[i].bytes);
		free(as->sect[i].frag);
	}
	for (uint32_t i = 0; i < as->ndeps; i++) free(as->deps[i]);
	for (uint32_t i = 0; i < as->ntexts; i++) free(as->texts[i]);
	free(as->texts);
	free(as->deps);
	free(as->iface);
	free(as->symtab);
	free(as->syms);
	free(as->fix);
	free(as->lines);
	free(as->annloc);
	free(as->annpos);
	free(as->entpos);
	free(as->byname);
	free(as->prevname);
	free(as->rel);
	ty_free(&as->types);
	lt_free(&as->lt);
	arena_free(&as->arena);
}

/* ---- symbols ---- */

static uint32_t hash(const char *s, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* Double the buckets when the chains get long: lookups stay O(1). */
static void rehash(Asm *as)
{
	uint32_t n = as->nsymtab * 2;
	Sym **t = xcalloc(n, sizeof *t);
	for (uint32_t i = 0; i < as->nsyms; i++) {
		Sym *s = as->syms[i];
		uint32_t b = s->hash & (n - 1);
		s->next = t[b];
		t[b] = s;
	}
	free(as->symtab);
	as->symtab = t;
	as->nsymtab = n;
}

Sym *as_sym_find(Asm *as, const char *name, uint32_t len)
{
	uint32_t h = hash(name, len);
	for (Sym *s = as->symtab[h & (as->nsymtab - 1)]; s; s = s->next)
		if (s->hash == h && s->len == len && memcmp(s->name, name, len) == 0) return s;
	return NULL;
}

Sym *as_sym(Asm *as, const char *name, uint32_t len)
{
	Sym *s = as_sym_find(as, name, len);
	if (s) return s;
	if (as->nsyms >= as->nsymtab) rehash(as);
	s = arena_alloc(&as->arena, sizeof *s);
	s->name = arena_strdup(&as->arena, name, len);
	s->len = len;
	s->hash = hash(name, len);
	uint32_t b = s->hash & (as->nsymtab - 1);
	s->next = as->symtab[b];
	as->symtab[b] = s;
	as->syms = xgrow(as->syms, sizeof *as->syms, as->nsyms + 1, &as->capsyms);
	as->syms[as->nsyms++] = s;
	return s;
}

/* ---- sections ---- */

static Section *cur(Asm *as) { return &as->sect[as->cur]; }

Loc as_here(Asm *as)
{
	Section *s = cur(as);
	Loc l = { s->nfrag - 1, s->frag[s->nfrag - 1].len };
	return l;
}

/* The section that statements write into, or NULL after an error. */
static Section *writable(Asm *as, Pos p, const char *what)
{
	if (as->cur == SEC_NONE) {
		diag_error(as->diag, p, "%s outside of .text, .rodata, .data and .bss", what);
		return NULL;
	}
	return cur(as);
}

static int grow_ok(Asm *as, Section *s, Pos p, uint64_t more)
{
	uint64_t total = s->nbytes + s->reserved + more;
	if (total <= SECT_MAX) return 1;
	diag_error(as->diag, p, "section %s would be larger than 256 MiB", s->name);
	return 0;
}

static void emit(Section *s, const void *p, uint32_t n)
{
	if (!n) return;
	s->bytes = xgrow(s->bytes, 1, (size_t)s->nbytes + n, &s->capbytes);
	memcpy(s->bytes + s->nbytes, p, n);
	s->nbytes += n;
	s->frag[s->nfrag - 1].len += n;
}

/* End the current fragment with a variable tail and open the next one. */
static Frag *tail(Section *s, int var, Pos p)
{
	Frag *f = &s->frag[s->nfrag - 1];
	f->var = (uint8_t)var;
	f->pos = p;
	open_frag(s);
	return &s->frag[s->nfrag - 2];
}

void as_label(Asm *as, Pos p, const char *name, uint32_t len)
{
	Sym *s = as_sym(as, name, len);
	if (s->defined || s->is_equ) {
		diag_error(as->diag, p, "'%s' is already defined", s->name);
		diag_note(as->diag, s->pos, "previous definition of '%s' is here", s->name);
		return;
	}
	if (!writable(as, p, "label")) return;
	s->defined = 1;
	s->sect = (uint8_t)as->cur;
	s->loc = as_here(as);
	s->pos = p;
	/* coercions written just before the label apply on the way into it */
	for (uint32_t i = as->types.nann; i-- > 0;) {
		Loc l = as->annloc[i];
		if (as->cur != SEC_TEXT || l.frag != s->loc.frag || l.rel != s->loc.rel) break;
		as->types.ann[i].edge = 1;
	}
}

static void fixup(Asm *as, Pos p, Loc at, int kind, int size, Sym *sym, int64_t addend)
{
	as->fix = xgrow(as->fix, sizeof *as->fix, as->nfix + 1, &as->capfix);
	Fixup *f = &as->fix[as->nfix++];
	f->at = at;
	f->kind = (uint8_t)kind;
	f->size = (uint8_t)size;
	f->sect = (uint8_t)as->cur;
	f->sym = sym;
	f->addend = addend;
	f->pos = p;
	sym->used = 1;
}

/* Bytes put in .text get a line row, so that whatever decodes them can point at the source. */
static void line_row(Asm *as, Pos p, Loc at)
{
	if (as->cur != SEC_TEXT) return;
	as->lines = xgrow(as->lines, sizeof *as->lines, as->nlines + 1, &as->caplines);
	LineRef *lr = &as->lines[as->nlines++];
	lr->at = at;
	lr->file = p.file;
	lr->line = p.line;
	lr->col = p.col;
}

static int is_branch(const Inst *in)
{
	return (in->mnem == MN_JMP || in->mnem == MN_JCC) && in->nops == 1 &&
	       in->op[0].kind == OP_IMM && in->op[0].sym;
}

/*
** An instruction: a branch to a label becomes a relaxable tail; anything
** else is encoded now, and a label in it becomes a fixup.
*/
void as_inst(Asm *as, Inst *in)
{
	if (as->cur != SEC_TEXT) {
		diag_error(as->diag, in->pos, "instructions belong in .text");
		return;
	}
	Section *s = cur(as);
	if (!grow_ok(as, s, in->pos, 16)) return;
	if (in->mnem == MN_IMUL && in->nops == 2 && in->op[1].kind == OP_IMM) {
		in->op[2] = in->op[1];          /* imul r, imm  is  imul r, r, imm */
		in->op[1] = in->op[0];
		in->nops = 3;
	}
	Loc here = as_here(as);
	if (is_branch(in)) {
		Frag *f = tail(s, V_BRANCH, in->pos);
		f->mnem = in->mnem;
		f->cc = in->cc;
		f->target = in->op[0].sym;
		f->addend = in->op[0].val;
		f->target->used = 1;
	} else {
		uint8_t buf[16];
		AsEnc r;
		int n = as_encode(in, 0, buf, &r);
		if (n < 0) {
			diag_error(as->diag, r.bad >= 0 ? in->op[r.bad].pos : in->pos, "%s", r.err);
			return;
		}
		emit(s, buf, (uint32_t)n);
		if (r.field_size) {
			const Operand *o = &in->op[0];
			for (int i = 0; i < in->nops; i++)
				if (in->op[i].sym) o = &in->op[i];
			Loc fl = { here.frag, here.rel + (uint32_t)r.field_at };
			int kind = in->mnem == MN_CALL && o->kind == OP_IMM ? FX_PLT32 : FX_PC32;
			fixup(as, o->pos, fl, kind, r.field_size, o->sym, o->val - r.field_size - r.tail);
		}
	}
	line_row(as, in->pos, here);
}

void as_data(Asm *as, Pos p, int width, int64_t v, Sym *sym)
{
	Section *s = writable(as, p, "data");
	uint8_t buf[8];
	if (!s || !grow_ok(as, s, p, 8)) return;
	if (as->cur == SEC_BSS) {
		diag_error(as->diag, p, "only .zero, .skip and .space may reserve space in .bss");
		return;
	}
	if (sym && width != 8) {
		diag_error(as->diag, p, "a label's address needs 8 bytes (.quad)");
		return;
	}
	if (width < 8 && (v < -(INT64_C(1) << (8 * width - 1)) || v >= (INT64_C(1) << (8 * width)))) {
		diag_error(as->diag, p, "value %lld does not fit in %d byte%s", (long long)v, width,
		           width > 1 ? "s" : "");
		return;
	}
	for (int i = 0; i < width; i++) buf[i] = (uint8_t)((uint64_t)v >> (8 * i));
	Loc at = as_here(as);
	line_row(as, p, at);
	if (sym) {
		memset(buf, 0, sizeof buf);
		fixup(as, p, at, FX_ABS64, 8, sym, v);
	}
	emit(s, buf, (uint32_t)width);
}

void as_bytes(Asm *as, Pos p, const void *bytes, uint32_t n)
{
	Section *s = writable(as, p, "data");
	if (!s || !grow_ok(as, s, p, n)) return;
	if (as->cur == SEC_BSS) {
		diag_error(as->diag, p, "only .zero, .skip and .space may reserve space in .bss");
		return;
	}
	line_row(as, p, as_here(as));
	emit(s, bytes, n);
}

void as_align(Asm *as, Pos p, int p2, int fill, uint32_t maxskip)
{
	Section *s = writable(as, p, "alignment");
	if (!s || !grow_ok(as, s, p, 1u << p2)) return;
	if (as->cur == SEC_BSS && fill > 0) {
		diag_error(as->diag, p, ".bss holds only zeros");
		return;
	}
	if ((uint32_t)p2 > s->p2align) s->p2align = (uint32_t)p2;
	s->reserved += 1u << p2;
	Frag *f = tail(s, V_ALIGN, p);
	f->align = (uint32_t)p2;
	f->fill = (uint8_t)(fill >= 0 ? fill : as->cur == SEC_TEXT ? 0x90 : 0);
	f->maxskip = maxskip ? maxskip : 1u << p2;
}

void as_space(Asm *as, Pos p, uint32_t n, int fill)
{
	Section *s = writable(as, p, "space");
	if (!s || !grow_ok(as, s, p, n)) return;
	if (as->cur == SEC_BSS && fill) {
		diag_error(as->diag, p, ".bss holds only zeros");
		return;
	}
	Frag *f = tail(s, V_SPACE, p);
	f->align = n;
	s->reserved += n;
	f->fill = (uint8_t)fill;
}

/* ---- annotations ---- */

/* Annotations remember their file by name: the sections outlive the Diag. */
static StrId file_str(Asm *as, Pos p)
{
	const char *f = diag_file(as->diag, p.file);
	return f ? ty_str(&as->types, f, strlen(f)) : 0;
}

static uint32_t add_entry(Asm *as, Pos p, int kind, StrId name, TyId type)
{
	TyEntry e;
	memset(&e, 0, sizeof e);
	e.kind = (uint8_t)kind;
	e.name = name;
	e.type = type;
	ty_add_entry(&as->types, &e, (TyPos){ file_str(as, p), p.line, p.col });
	as->entpos = xgrow(as->entpos, sizeof *as->entpos, as->types.nent, &as->capentpos);
	as->entpos[as->types.nent - 1] = p;
	as->byname = xgrowz(as->byname, sizeof *as->byname, (size_t)name + 1, &as->capbyname);
	as->prevname = xgrow(as->prevname, sizeof *as->prevname, as->types.nent, &as->capprevname);
	as->prevname[as->types.nent - 1] = as->byname[name];
	as->byname[name] = as->types.nent;
	return as->types.nent;
}

/*
** A second declaration of the same thing is an error that names the first.
** The entries of one name are chained (byname, prevname), so a unit of n
** declarations takes time linear in n, not n^2.
*/
static int redeclared(Asm *as, Pos p, int kind, StrId name, const char *text)
{
	uint32_t first = 0;
	for (uint32_t k = name < as->capbyname ? as->byname[name] : 0; k; k = as->prevname[k - 1]) {
		const TyEntry *e = &as->types.ent[k - 1];
		int same = e->kind == kind || (kind != E_TYPEDEF && e->kind != E_TYPEDEF &&
		           e->kind != E_EXPORT && kind != E_EXPORT);
		if (same) first = k;   /* the chain runs back: the last one found is the first declared */
	}
	if (!first) return 0;
	diag_error(as->diag, p, "'%s' is already declared", text);
	diag_note(as->diag, as->entpos[first - 1], "previous declaration of '%s' is here", text);
	return 1;
}

void as_decl(Asm *as, Pos p, int kind, const char *name, uint32_t len, TyId type)
{
	StrId sid = ty_str(&as->types, name, len);
	Sym *s = kind == E_TYPEDEF ? NULL : as_sym(as, name, len);
	if (redeclared(as, p, kind, sid, s ? s->name : ty_strof(&as->types, sid))) return;
	if (s && s->is_equ) {
		diag_error(as->diag, p, "'%s' is a constant, not a label", s->name);
		return;
	}
	uint32_t idx = add_entry(as, p, kind, sid, type);
	if (!s) return;
	if (kind == E_LABEL || kind == E_OBJECT) s->entry = idx;
	if (kind == E_IMPORT) s->external = 1;
	if (kind == E_EXPORT) s->global = 1;
	if (!s->defined && !s->used) s->pos = p;
}

void as_coerce(Asm *as, Pos p, int op, int loc, int reg, int32_t disp, TyId type, TyId args)
{
	if (as->cur != SEC_TEXT) {
		diag_error(as->diag, p, "coercions belong in .text, before the instruction they apply to");
		return;
	}
	Loc here = as_here(as);
	TyAnnot a;
	memset(&a, 0, sizeof a);
	a.op = (uint8_t)op;
	a.loc = (uint8_t)loc;
	a.reg = (uint8_t)reg;
	a.disp = disp;
	a.type = type;
	a.args = args;
	a.file = file_str(as, p);
	a.line = p.line;
	a.col = p.col;
	ty_add_annot(&as->types, &a);
	as->annloc = xgrow(as->annloc, sizeof *as->annloc, as->types.nann, &as->capannloc);
	as->annloc[as->types.nann - 1] = here;
	as->annpos = xgrow(as->annpos, sizeof *as->annpos, as->types.nann, &as->capannpos);
	as->annpos[as->types.nann - 1] = p;
}
