/*
** params.c - what an export takes, read from its verified type.
**
** The host fills registers from its caller's arguments exactly as the
** export's type (the one talcheck verified the code against) says; a
** length it passes for S(n) must be the length of the buffer whose type
** says n.  So only types of a few plain shapes are callable:
**
**   code[s: stack, n: size, ...] { rdi: t, ..., rsp: code{ rax: int, rsp: s } :: s }
**
** with each argument register (rdi, rsi, rdx, rcx, r8, r9) of type `ctx`,
** an array `*[u8|u64|int p; n]`, `S(n)`, or an integer type; no other
** register, no constraints, no type variables.  Anything else is refused.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostint.h"
#include "tc.h"
#include "x86.h"

static const int argreg[6] = { R_RDI, R_RSI, R_RDX, R_RCX, R_R8, R_R9 };

typedef struct Px {
	TalMod *m;
	TyOps o;
	TalError *err;
	StrId size[SUBST_MAX]; int nsize;
	StrId stack;
	TyId ctx;                   /* the interface's context type, expanded */
} Px;

static int bad(Px *x, const char *fmt, const char *what)
{
	talrt_fail(x->err, TALRT_ETYPE, fmt, what);
	return -1;
}

static const TyNode *N(Px *x, TyId id) { return ty_get(&x->m->t, id); }
static TyId K(Px *x, TyId id, int i) { return ty_kid(&x->m->t, id, i); }
static TyId X(Px *x, TyId id) { x->o.budget = TYOPS_BUDGET; return ty_expand(&x->o, id); }

static int is_size(Px *x, TyId id)
{
	if (!id || N(x, id)->kind != TY_VAR) return 0;
	for (int i = 0; i < x->nsize; i++)
		if (x->size[i] == N(x, id)->name) return 1;
	return 0;
}

/* The return: code{ rax: an integer, rsp: s } :: s, for the stack variable s; rax and rsp must be there. */
static int check_return(Px *x, TyId st)
{
	st = X(x, st);
	if (!st || N(x, st)->kind != TY_SCONS) return bad(x, "%s", "the export's stack is not a return address on its caller's");
	TyId r = X(x, K(x, st, 0)), rest = K(x, st, 1);
	if (N(x, rest)->kind != TY_VAR || N(x, rest)->name != x->stack) return bad(x, "%s", "the export uses its caller's stack");
	if (!r || N(x, r)->kind != TY_CODE) return bad(x, "%s", "the return address is not code");
	int rax = 0, rsp = 0;
	for (int i = 0; i < N(x, r)->nkids; i++) {
		TyId k = K(x, r, i);
		if (N(x, k)->kind != TY_REG) return bad(x, "%s", "the return type has parameters of its own");
		if (N(x, k)->flags == R_RSP) {
			TyId s = K(x, k, 0);
			if (N(x, s)->kind != TY_VAR || N(x, s)->name != x->stack) return bad(x, "%s", "the export does not return to its caller's stack");
			rsp = 1;
		} else if (N(x, k)->flags == R_RAX) {
			TyId t = X(x, K(x, k, 0));
			int kind = t ? N(x, t)->kind : 0;
			if (kind != TY_INT && kind != TY_U64 && kind != TY_U32 && kind != TY_U16 && kind != TY_U8 && kind != TY_SING)
				return bad(x, "%s", "the export returns something other than an integer in rax");
			rax = 1;
		}
	}
	/* (a return type silent about rsp lets the export return on any stack: the host's frame is above the
	   return address, and it would take its own stack pointer from words the module wrote) */
	if (!rsp) return bad(x, "%s", "the export does not return to its caller's stack (its return type says nothing of rsp)");
	/* (rax: any, or no rax, would hand the caller whatever rax holds: an address of the host's, say) */
	return rax ? 0 : bad(x, "%s", "the export returns no integer in rax");
}

/* One argument register's type as a parameter. */
static int param(Px *x, TyId t0, TalParam *p)
{
	TyId t = X(x, t0);
	if (!t) return bad(x, "%s", "an argument's type does not expand");
	const TyNode *n = N(x, t);
	p->bits = 64;
	if (x->ctx && t == x->ctx) { p->kind = TALP_CTX; return 0; }
	switch (n->kind) {
	case TY_INT: case TY_U64: p->kind = TALP_INT; return 0;
	case TY_U32: p->kind = TALP_INT, p->bits = 32; return 0;
	case TY_U16: p->kind = TALP_INT, p->bits = 16; return 0;
	case TY_U8: p->kind = TALP_INT, p->bits = 8; return 0;
	case TY_SING:
		if (!is_size(x, K(x, t, 0))) return bad(x, "%s", "an argument is a singleton of something other than a size variable");
		p->kind = TALP_LEN;
		p->len_of = N(x, K(x, t, 0))->name;   /* resolved to an array below */
		p->bits = 48;
		return 0;
	case TY_PTR: {
		TyId a = X(x, K(x, t, 0));
		if ((n->flags & TF_NULLABLE) || !a || N(x, a)->kind != TY_ARRAY) break;
		TyId e = X(x, K(x, a, 0)), len = K(x, a, 1);
		int ek = e ? N(x, e)->kind : 0;
		if (!is_size(x, len)) return bad(x, "%s", "an array argument's length is not a size variable");
		if (ek == TY_U8) p->kind = TALP_BYTES;
		else if (ek == TY_U64 || ek == TY_INT) p->kind = TALP_WORDS;
		else return bad(x, "%s", "an array argument holds something other than bytes or 64-bit integers");
		p->writable = (N(x, a)->flags & TF_W) != 0;
		p->len_of = N(x, len)->name;
		return 0;
	}
	default: break;
	}
	char buf[200];
	ty_print(&x->m->t, t0, buf, sizeof buf);
	return bad(x, "an argument of type %s cannot be passed by a host", buf);
}

/*
** Each S(n) gets its length from the first array of length n; without
** one, the first S(n) is an integer the caller gives (a size: below 2^48)
** and every later S(n) gets that integer: the code was checked knowing
** they are one value.  Arrays sharing an n must be passed with equal
** lengths (talrt_call checks).  Before: len_of holds n's name; after, for
** TALP_LEN, the parameter whose length or value it copies.
*/
static void link_lengths(TalParam *p, int np)
{
	StrId var[6];
	for (int i = 0; i < np; i++) var[i] = (StrId)p[i].len_of;
	for (int i = 0; i < np; i++) {
		if (p[i].kind != TALP_LEN) continue;
		int from = -1;
		for (int j = 0; j < np && from < 0; j++)
			if ((p[j].kind == TALP_BYTES || p[j].kind == TALP_WORDS) && var[j] == var[i]) from = j;
		for (int j = 0; j < i && from < 0; j++)
			if (p[j].kind == TALP_INT && p[j].bits == 48 && var[j] == var[i]) from = j;
		if (from < 0) p[i].kind = TALP_INT;
		p[i].len_of = from;
	}
}

/* The module's E_EXPORT entry of export i: by its name, through the index of names. */
static const TyEntry *export_entry(TalMod *m, const TyNames *names, int i)
{
	const char *name = talmod_export_name(&m->mod, (uint32_t)i);
	uint32_t off = talmod_export_offset(&m->mod, (uint32_t)i);
	StrId id = ty_str_find(&m->t, name, strlen(name));
	for (uint32_t k = id ? ty_names_first(names, id) : 0; k; k = names->next[k - 1]) {
		const TyEntry *e = &m->t.ent[k - 1];
		if (e->kind == E_EXPORT && e->offset == off) return e;
	}
	return NULL;
}

static int analyse(Px *x, TyId k, TalParam *params)
{
	int np = 0;
	TyId regs[16] = { 0 }, stack = 0;
	for (int i = 0; i < N(x, k)->nkids; i++) {
		TyId c = K(x, k, i);
		switch (N(x, c)->kind) {
		case TY_BINDER:
			if (N(x, c)->flags == TK_SIZE && x->nsize < SUBST_MAX) x->size[x->nsize++] = N(x, c)->name;
			else if (N(x, c)->flags == TK_STACK && !x->stack) x->stack = N(x, c)->name;
			else return bad(x, "%s", "the export has type parameters a host cannot choose");
			break;
		case TY_REG:
			if (N(x, c)->flags == R_RSP) stack = K(x, c, 0);
			else regs[N(x, c)->flags & 15] = K(x, c, 0);
			break;
		case TY_STACKREQ: case TY_FUELREQ: break;
		default: return bad(x, "%s", "the export's type has constraints a host cannot check");
		}
	}
	if (!stack || !x->stack) return bad(x, "%s", "the export does not take a return address");
	if (check_return(x, stack) != 0) return -1;
	for (int r = 0; r < 16; r++) {
		int a = -1;
		for (int j = 0; j < 6; j++)
			if (argreg[j] == r) a = j;
		if (!regs[r]) continue;
		if (a < 0) return bad(x, "the export expects %s, which is not an argument register", x86_reg_name(r, 8));
	}
	for (int j = 0; j < 6; j++) {
		if (!regs[argreg[j]]) continue;
		TalParam *p = &params[np++];
		memset(p, 0, sizeof *p);
		p->reg = j;
		if (param(x, regs[argreg[j]], p) != 0) return -1;
	}
	link_lengths(params, np);
	return np;
}

/* Export i's parameters (0 <= i < the module's exports); x->o and x->ctx serve every export. */
static int analyse_export(Px *x, const TyNames *names, int i, TalParam *params)
{
	x->nsize = 0;
	x->stack = 0;
	const TyEntry *e = export_entry(x->m, names, i);
	if (!e || !e->type) return bad(x, "%s", "the export has no type in the module");
	TyId k = X(x, e->type);
	return k && N(x, k)->kind == TY_CODE ? analyse(x, k, params) : bad(x, "%s", "the export is not code");
}

/*
** Every export's parameters, once, at load: calls then only read them.
** The names are indexed once and the typedefs once (tyops_init), so a
** module of many exports loads in time linear in its size.
*/
void talrt_analyse_exports(TalMod *m)
{
	m->params = calloc(m->mod.nexports + 1, sizeof *m->params);
	if (!m->params) return;
	TyNames names;
	ty_names_index(&m->t, &names);
	/* the context's name, made before the index of typedefs is built */
	TyId ctx = ty_node(&m->t, TY_NAME, 0, ty_str(&m->t, "ctx", 3), 0, NULL, 0);
	Px x = { .m = m };
	tyops_init(&x.o, &m->t);
	x.ctx = X(&x, ctx);
	for (uint32_t i = 0; i < m->mod.nexports; i++) {
		x.err = &m->params[i].err;
		m->params[i].n = analyse_export(&x, &names, (int)i, m->params[i].p);
	}
	tyops_free(&x.o);
	ty_names_free(&names);
}

int talrt_export_params(const TalMod *m, int i, TalParam *params, TalError *err)
{
	if (i < 0 || (uint32_t)i >= m->mod.nexports || !m->params) {
		if (err) { err->code = TALRT_ENOEXPORT; snprintf(err->msg, sizeof err->msg, "no such export"); }
		return -1;
	}
	const struct ExportParams *e = &m->params[i];
	if (e->n < 0) { if (err) *err = e->err; return -1; }
	memcpy(params, e->p, (size_t)e->n * sizeof *params);
	return e->n;
}
