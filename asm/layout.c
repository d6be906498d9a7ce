/*
** layout.c - addresses, branch relaxation, and what is left for the linker.
**
** Every branch to a label in the same section starts short (rel8).  Each
** pass places all fragments, then widens the branches whose target is out
** of reach.  Branches only ever grow, so the passes stop, at the smallest
** layout in which every branch reaches: the one GNU as finds too.
*/
#include <stdlib.h>
#include <string.h>

#include "as.h"
#include "module.h"

uint64_t as_offset(const Asm *as, int sect, Loc at)
{
	return as->sect[sect].frag[at.frag].addr + at.rel;
}

static uint64_t sym_addr(const Asm *as, const Sym *s)
{
	return as_offset(as, s->sect, s->loc);
}

static uint32_t tail_size(const Frag *f, uint64_t addr)
{
	switch (f->var) {
	case V_BRANCH:
		return (uint32_t)as_branch_size(f->mnem, f->far);
	case V_ALIGN: {
		uint32_t pad = (uint32_t)(-addr & ((UINT64_C(1) << f->align) - 1));
		return pad <= f->maxskip ? pad : 0;
	}
	case V_SPACE:
		return f->align;
	}
	return 0;
}

static void place(Section *s)
{
	uint64_t addr = 0;
	for (uint32_t i = 0; i < s->nfrag; i++) {
		Frag *f = &s->frag[i];
		f->addr = addr;
		addr += f->len;
		f->varsize = tail_size(f, addr);
		addr += f->varsize;
	}
	s->size = addr;
}

static int local_target(const Section *s, const Frag *f)
{
	return f->target->defined && f->target->sect == s->id;
}

/* Displacement of a branch tail to its target, measured from its end. */
static int64_t branch_disp(const Asm *as, const Frag *f)
{
	uint64_t end = f->addr + f->len + f->varsize;
	return (int64_t)(sym_addr(as, f->target) + (uint64_t)f->addend - end);
}

static void relax(Asm *as, Section *s)
{
	for (uint32_t i = 0; i < s->nfrag; i++)
		if (s->frag[i].var == V_BRANCH) s->frag[i].far = !local_target(s, &s->frag[i]);
	for (int changed = 1; changed;) {
		place(s);
		changed = 0;
		for (uint32_t i = 0; i < s->nfrag; i++) {
			Frag *f = &s->frag[i];
			if (f->var != V_BRANCH || f->far) continue;
			int64_t d = branch_disp(as, f);
			if (d < -128 || d > 127) f->far = 1, changed = 1;
		}
	}
}

int as_layout(Asm *as)
{
	for (int i = 1; i < AS_NSECT; i++) relax(as, &as->sect[i]);
	for (uint32_t i = 0; i < as->nsyms; i++) {
		Sym *s = as->syms[i];
		if (s->defined) s->value = (int64_t)sym_addr(as, s);
	}
	return 0;
}

/* ---- resolution ---- */

static void add_rel(Asm *as, int sect, Loc at, int kind, Sym *sym, int64_t addend, Pos p)
{
	as->rel = xgrow(as->rel, sizeof *as->rel, as->nrel + 1, &as->caprel);
	Fixup *r = &as->rel[as->nrel++];
	memset(r, 0, sizeof *r);
	r->at = at;
	r->kind = (uint8_t)kind;
	r->size = kind == FX_ABS64 ? 8 : 4;
	r->sect = (uint8_t)sect;
	r->sym = sym;
	r->addend = addend;
	r->pos = p;
}

static void check_symbols(Asm *as)
{
	for (uint32_t i = 0; i < as->nsyms; i++) {
		Sym *s = as->syms[i];
		if (s->is_equ) continue;
		if (s->used && !s->defined && !s->global && !s->external)
			diag_error(as->diag, s->pos, "undefined label '%s' (declare it with .import if it is defined in another unit)", s->name);
		if (s->defined && s->external)
			diag_error(as->diag, s->pos, "'%s' is declared external (.import or .extern) but defined here", s->name);
	}
}

/*
** A field is filled here when its label is local to the field's own section
** (GNU as does the same); anything that could move at link time or be
** interposed becomes a relocation.
*/
static void resolve_fixups(Asm *as)
{
	for (uint32_t i = 0; i < as->nfix; i++) {
		Fixup *f = &as->fix[i];
		Sym *s = f->sym;
		if (s->defined && s->sect == f->sect && !s->global && f->kind != FX_ABS64) {
			Section *sec = &as->sect[f->sect];
			int64_t v = s->value + f->addend - (int64_t)as_offset(as, f->sect, f->at);
			if (v < INT32_MIN || v > INT32_MAX) {
				diag_error(as->diag, f->pos, "'%s' is out of reach of a 32-bit displacement", s->name);
				continue;
			}
			int32_t v32 = (int32_t)v;
			memcpy(sec->bytes + sec->frag[f->at.frag].start + f->at.rel, &v32, 4);
		} else if (s->defined || s->global || s->external) {
			add_rel(as, f->sect, f->at, f->kind, s, f->addend, f->pos);
		}
	}
	Section *t = &as->sect[SEC_TEXT];
	for (uint32_t i = 0; i < t->nfrag; i++) {
		Frag *f = &t->frag[i];
		if (f->var != V_BRANCH || local_target(t, f)) continue;
		if (!f->target->defined && !f->target->global && !f->target->external) continue;
		Loc at = { i, f->len + (f->mnem == MN_JCC ? 2 : 1) };
		add_rel(as, SEC_TEXT, at, FX_PLT32, f->target, f->addend - 4, f->pos);
	}
}

/*
** A code label exported with a type and given no .label (as when the type
** comes from an interface) has the exported type as its label type.
*/
static void label_exports(Asm *as)
{
	uint32_t n = as->types.nent;
	for (uint32_t i = 0; i < n; i++) {
		TyEntry e = as->types.ent[i];
		if (e.kind != E_EXPORT || !e.type) continue;
		const char *name = ty_strof(&as->types, e.name);
		Sym *s = as_sym_find(as, name, (uint32_t)strlen(name));
		if (s && s->defined && s->sect == SEC_TEXT && !s->entry)
			as_decl(as, as->entpos[i], E_LABEL, name, (uint32_t)strlen(name), e.type);
	}
}

/* Label and object types get the place their label ended up at. */
static void resolve_entries(Asm *as)
{
	label_exports(as);
	for (uint32_t i = 0; i < as->types.nent; i++) {
		TyEntry *e = &as->types.ent[i];
		if (e->kind == E_TYPEDEF) continue;
		const char *name = ty_strof(&as->types, e->name);
		Sym *s = as_sym_find(as, name, (uint32_t)strlen(name));
		Pos p = as->entpos[i];
		if (e->kind == E_IMPORT) continue;   /* defined-here is reported by check_symbols */
		if (e->kind == E_EXPORT && p.file < as->niface && as->iface[p.file] && (!s || !s->defined)) {
			e->kind = E_IMPORT;   /* an interface's export that another unit defines */
			if (s) s->external = 1;
			continue;
		}
		if (!s || !s->defined) {
			diag_error(as->diag, p, "'%s' is %s here but never defined", name,
			           e->kind == E_EXPORT ? "exported" : "given a type");
			continue;
		}
		if (e->kind == E_LABEL && s->sect != SEC_TEXT) {
			diag_error(as->diag, p, "'%s' is not a code label; give data a type with .object", name);
			continue;
		}
		if (e->kind == E_OBJECT && s->sect == SEC_TEXT) {
			diag_error(as->diag, p, "'%s' is a code label; give it a type with .label", name);
			continue;
		}
		e->sect = s->sect;
		e->offset = (uint32_t)s->value;
	}
	uint64_t end = as->sect[SEC_TEXT].size;
	for (uint32_t i = 0; i < as->types.nann; i++) {
		TyAnnot *a = &as->types.ann[i];
		a->offset = (uint32_t)as_offset(as, SEC_TEXT, as->annloc[i]);
		if (a->offset >= end)
			diag_error(as->diag, as->annpos[i], "a coercion must be followed by the instruction it applies to");
	}
}

static void resolve_lines(Asm *as)
{
	uint32_t last_src = 0, last_id = 0;
	for (uint32_t i = 0; i < as->nlines; i++) {
		LineRef *l = &as->lines[i];
		if (l->file != last_src) {
			const char *name = diag_file(as->diag, l->file), *ctl = name ? tal_name_control(name, strlen(name)) : NULL;
			if (ctl)   /* (talcheck refuses such a table: a name is printed as it is) */
				diag_fatal(as->diag, "a source file's path has a control character (0x%02x): the line table cannot name it", (unsigned char)*ctl);
			last_id = lt_file(&as->lt, name ? name : "");
			last_src = l->file;
		}
		lt_add(&as->lt, (uint32_t)as_offset(as, SEC_TEXT, l->at), last_id, l->line, l->col);
	}
}

int as_resolve(Asm *as)
{
	int before = as->diag->errors;
	check_symbols(as);
	resolve_entries(as);
	if (as->diag->errors != before) return -1;
	resolve_fixups(as);
	resolve_lines(as);
	return as->diag->errors == before ? 0 : -1;
}

/* ---- contents ---- */

static void put_branch(const Asm *as, const Section *s, const Frag *f, uint8_t *out)
{
	Inst in;
	uint8_t buf[16];
	AsEnc r;
	memset(&in, 0, sizeof in);
	in.mnem = f->mnem;
	in.cc = f->cc;
	in.nops = 1;
	in.op[0].kind = OP_IMM;
	in.op[0].sym = f->target;
	int n = as_encode(&in, f->far, buf, &r);
	if (n != (int)f->varsize) abort();   /* table and as_branch_size disagree */
	if (local_target(s, f)) {
		int64_t d = branch_disp(as, f);
		for (int i = 0; i < r.field_size; i++) buf[r.field_at + i] = (uint8_t)((uint64_t)d >> (8 * i));
	}
	memcpy(out, buf, (size_t)n);
}

uint8_t *as_contents(const Asm *as, int sect)
{
	const Section *s = &as->sect[sect];
	if (sect == SEC_BSS) return NULL;
	uint8_t *out = xmalloc(s->size ? s->size : 1);
	for (uint32_t i = 0; i < s->nfrag; i++) {
		const Frag *f = &s->frag[i];
		uint8_t *p = out + f->addr;
		if (f->len) memcpy(p, s->bytes + f->start, f->len);
		p += f->len;
		if (f->var == V_BRANCH) put_branch(as, s, f, p);
		else if (f->varsize) memset(p, f->fill, f->varsize);
	}
	return out;
}
