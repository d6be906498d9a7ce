/*
** tyops.c - types as the checker sees them: abbreviations expanded,
** variables substituted, layouts measured, and the one judgement everything
** else rests on, "a value of type a may be used where b is expected".
**
** Every walk over a type is depth-limited: the types come from a section
** the verifier does not trust.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tc.h"

enum { DEPTH_MAX = 200 };

void tyops_init(TyOps *o, TyTable *t)
{
	memset(o, 0, sizeof *o);
	o->budget = TYOPS_BUDGET;
	o->t = t;
	o->tdef = xcalloc(t->nstr + 1, sizeof *o->tdef);
	o->tclosed = xcalloc(t->nent + 1, sizeof *o->tclosed);
	o->ntdef = t->nstr;
	for (uint32_t i = 0; i < t->nent; i++)
		if (t->ent[i].kind == E_TYPEDEF && t->ent[i].name < t->nstr) o->tdef[t->ent[i].name] = i + 1;
}

void tyops_fork(TyOps *dst, const TyOps *src, TyTable *t)
{
	*dst = *src;
	dst->t = t;
	dst->forked = 1;
	dst->tclosed = xmemdup(src->tclosed, ((size_t)src->t->nent + 1) * sizeof *src->tclosed);
	dst->exp = xmemdup(src->exp, src->nexp * sizeof *src->exp);
	dst->size = xmemdup(src->size, src->nsize * sizeof *src->size);
	dst->align = xmemdup(src->align, src->nalign * sizeof *src->align);
	dst->self = NULL;
	dst->made = 0;
}

void tyops_free(TyOps *o)
{
	if (!o->forked) free(o->tdef);
	free(o->tclosed);
	free(o->exp);
	free(o->size);
	free(o->align);
	free(o->self);
	o->self = NULL;
	o->tdef = NULL;
	o->exp = NULL;
	o->size = NULL;
	o->align = NULL;
}

static const TyNode *N(TyOps *o, TyId id) { return ty_get(o->t, id); }
static TyId K(TyOps *o, TyId id, int i) { return ty_kid(o->t, id, i); }

static int fail(TyOps *o, const char *why)
{
	o->err = why;
	return 0;
}

/* A name no section spells (hint#N): see ty_str_fresh. */
StrId ty_fresh(TyOps *o, const char *hint)
{
	return ty_str_fresh(o->t, hint);
}

/* ---- substitution ---- */

static int in_subst(const Subst *s, StrId name)
{
	for (int i = 0; s && i < s->n; i++)
		if (s->name[i] == name) return i;
	return -1;
}

/* s without the names a binder list rebinds (they are not free inside). */
static void shadow(TyOps *o, TyId id, Subst *s)
{
	const TyNode *n = N(o, id);
	for (int i = 0; i < n->nkids; i++) {
		const TyNode *k = N(o, K(o, id, i));
		int j = k->kind == TY_BINDER ? in_subst(s, k->name) : -1;
		if (j >= 0) s->val[j] = 0, s->name[j] = 0;
	}
	if (n->kind == TY_MU) {
		int j = in_subst(s, n->name);
		if (j >= 0) s->val[j] = 0, s->name[j] = 0;
	}
}

/* The bits (TyNode.vars) of the names s gives a value: a node missing them all stays as it is. */
static uint32_t bound_bits(const Subst *s)
{
	uint32_t m = 0;
	for (int i = 0; s && i < s->n; i++)
		if (s->val[i]) m |= ty_var_bit(s->name[i]);
	return m;
}

static TyId subst(TyOps *o, TyId id, const Subst *s, uint32_t bits, int depth);

/* Does id hold an unknown of u not yet bound? (bits: ty_var_bit of those unknowns) */
static int mentions_(TyOps *o, TyId id, const Subst *u, uint32_t bits, int depth)
{
	if (!id || !(N(o, id)->vars & bits)) return 0;
	if (depth > DEPTH_MAX || --o->budget < 0) return 1;   /* assume the worst: callers then fail */
	const TyNode *n = N(o, id);
	if (n->kind == TY_VAR) {
		int j = in_subst(u, n->name);
		return j >= 0 && !u->val[j];
	}
	for (int i = 0; i < n->nkids; i++)
		if (mentions_(o, K(o, id, i), u, bits, depth + 1)) return 1;
	return 0;
}

static int mentions(TyOps *o, TyId id, const Subst *u, int depth)
{
	uint32_t bits = 0;
	for (int i = 0; u && i < u->n; i++)
		if (!u->val[i]) bits |= ty_var_bit(u->name[i]);
	return bits ? mentions_(o, id, u, bits, depth) : 0;
}

/* Would binder `b` of id capture a variable of a value s puts in id? */
static int captures(TyOps *o, TyId id, const Subst *s, StrId b)
{
	Subst var = { .n = 1, .name = { b } };   /* b, as an unknown not yet bound */
	for (int j = 0; j < s->n; j++)
		if (s->name[j] && s->val[j] && (N(o, id)->vars & ty_var_bit(s->name[j])) && mentions(o, s->val[j], &var, 0))
			return 1;
	return 0;
}

/*
** Substitution does not capture: where a binder of id (code, exists, rec)
** has the name of a variable in a value s puts inside, the binder and its
** uses are renamed to a fresh name first.  Without this, [n := m] in
** code[m: size]{rsi: S(n)} would give code[m: size]{rsi: S(m)}, whose m
** is the binder's, and the type would promise something else.
*/
static TyId unclash(TyOps *o, TyId id, const Subst *s, int depth)
{
	Subst live = *s;
	shadow(o, id, &live);
	int mu = N(o, id)->kind == TY_MU;
	for (int i = 0; i < (mu ? 1 : N(o, id)->nkids); i++) {
		const TyNode *n = N(o, id), *bn = mu ? n : N(o, K(o, id, i));
		if (!mu && bn->kind != TY_BINDER) continue;
		StrId b = bn->name;
		if (!captures(o, id, &live, b)) continue;
		StrId fresh = ty_fresh(o, ty_strof(o->t, b));
		Subst ren = { .n = 1 };
		ren.name[0] = b;
		ren.sort[0] = (uint8_t)(mu ? TK_TYPE : bn->flags);
		if (!(ren.val[0] = ty_node(o->t, TY_VAR, 0, fresh, 0, NULL, 0))) return fail(o, "type table is full"), 0;
		int nk = N(o, id)->nkids;   /* not n's: making the variable may have moved the nodes */
		TyId kids[256], *kp = nk <= 256 ? kids : xmalloc((size_t)nk * sizeof *kp);
		for (int k = 0; k < nk; k++) {
			TyId kid = K(o, id, k);
			if (!mu && k == i) {
				const TyNode *x = N(o, kid);
				kp[k] = ty_node(o->t, TY_BINDER, x->flags, fresh, x->value, o->t->kid + x->kids, x->nkids);
			} else {
				kp[k] = subst(o, kid, &ren, ty_var_bit(b), depth + 1);
			}
			if (!kp[k]) { if (kp != kids) free(kp); return fail(o, "cannot rename a binder"), 0; }
		}
		n = N(o, id);   /* the node array may have moved */
		id = ty_node(o->t, n->kind, n->flags, mu ? fresh : n->name, n->value, kp, nk);
		if (kp != kids) free(kp);
		if (!id) return fail(o, "type table is full"), 0;
	}
	return id;
}

static TyId subst(TyOps *o, TyId id, const Subst *s, uint32_t bits, int depth)
{
	if (!id) return 0;
	if (!(N(o, id)->vars & bits)) return id;
	if (depth > DEPTH_MAX) return fail(o, "type nested too deeply"), 0;
	if (--o->budget < 0) return fail(o, "types too large to compare"), 0;
	const TyNode *n = N(o, id);
	if (n->kind == TY_VAR) {
		int j = in_subst(s, n->name);
		return j >= 0 && s->val[j] ? s->val[j] : id;
	}
	Subst inner;
	if (n->kind == TY_CODE || n->kind == TY_EXISTS || n->kind == TY_MU) {
		if (!(id = unclash(o, id, s, depth))) return 0;
		n = N(o, id);
		inner = *s;
		shadow(o, id, &inner);
		s = &inner;
	}
	TyId kids[256], *kp = n->nkids <= 256 ? kids : xmalloc(n->nkids * sizeof *kp);
	int changed = 0, nk = n->nkids;
	for (int i = 0; i < nk; i++) {
		TyId k = K(o, id, i);
		kp[i] = subst(o, k, s, bits, depth + 1);
		if (!kp[i]) { if (kp != kids) free(kp); return 0; }
		changed |= kp[i] != k;
	}
	n = N(o, id);   /* the node array may have moved */
	if (changed) o->made += (uint64_t)nk + 1;
	TyId r = changed ? ty_node(o->t, n->kind, n->flags, n->name, n->value, kp, nk) : id;
	if (kp != kids) free(kp);
	if (!r) fail(o, "type table is full");
	return r;
}

TyId ty_subst(TyOps *o, TyId id, const Subst *s)
{
	return s && s->n ? subst(o, id, s, bound_bits(s), 0) : id;
}

/* ---- abbreviations ---- */

/*
** [typedef.closed] A type abbreviation's body uses only its parameters and
** the variables bound inside it.  A name is not a variable: it hides what
** its body mentions from substitution and from the unknowns of a jump, so
** a free n in a body would mean, at each place the name is used, whatever
** n is there (a section that talas did not write can say so).
**
** open_vars: a variable id uses that neither scope[0..nscope) nor a binder
** inside binds, 0 if there is none, TY_OPEN_BIG when the walk is too deep
** or too long to tell.
*/
enum { SCOPE_MAX = 256, CLOSED_STEPS = 1 << 16 };

static StrId open_vars(TyOps *o, TyId id, StrId *scope, int nscope, int depth, long *steps)
{
	if (!id || !N(o, id)->vars) return 0;
	if (depth > DEPTH_MAX || --*steps < 0) return TY_OPEN_BIG;
	const TyNode *n = N(o, id);
	if (n->kind == TY_VAR) {
		for (int i = 0; i < nscope; i++)
			if (scope[i] == n->name) return 0;
		return n->name;
	}
	int add = 0;   /* the names this node binds join the scope */
	if (n->kind == TY_MU) {
		if (nscope == SCOPE_MAX) return TY_OPEN_BIG;
		scope[nscope + add++] = n->name;
	} else if (n->kind == TY_CODE || n->kind == TY_EXISTS) {
		for (int i = 0; i < n->nkids; i++) {
			const TyNode *b = N(o, K(o, id, i));
			if (b->kind != TY_BINDER) continue;
			if (nscope + add == SCOPE_MAX) return TY_OPEN_BIG;
			scope[nscope + add++] = b->name;
		}
	}
	for (int i = 0; i < n->nkids; i++) {
		StrId v = N(o, K(o, id, i))->kind == TY_BINDER ? 0 : open_vars(o, K(o, id, i), scope, nscope + add, depth + 1, steps);
		if (v) return v;
	}
	return 0;
}

StrId ty_typedef_open(TyOps *o, uint32_t e)
{
	TyId list = o->t->ent[e].type;
	int nparams = 0, nk = N(o, list)->nkids;
	StrId v = 0, scope[SCOPE_MAX];
	long steps = CLOSED_STEPS;
	while (nparams < nk && N(o, K(o, list, nparams))->kind == TY_BINDER) nparams++;
	if (nparams > SCOPE_MAX) v = TY_OPEN_BIG;
	else if (nparams < nk) {   /* else abstract: no body */
		for (int i = 0; i < nparams; i++) scope[i] = N(o, K(o, list, i))->name;
		v = open_vars(o, K(o, list, nk - 1), scope, nparams, 0, &steps);
	}
	o->tclosed[e] = v ? 2 : 1;   /* for expand */
	return v;
}

/* Entry e is a closed typedef; worked out once (talcheck asks first, for its message). */
static int closed(TyOps *o, uint32_t e)
{
	if (!o->tclosed[e]) ty_typedef_open(o, e);
	return o->tclosed[e] == 1;
}

/* name[args] -> its definition with the parameters replaced. */
static TyId expand(TyOps *o, TyId id)
{
	for (int round = 0; round < 64; round++) {
		if (!id) return 0;
		const TyNode *n = N(o, id);
		if (n->kind != TY_NAME) return id;
		uint32_t e = n->name < o->ntdef ? o->tdef[n->name] : 0;
		if (!e) return fail(o, "unknown type name"), 0;
		TyId list = o->t->ent[e - 1].type;
		const TyNode *l = N(o, list);
		int nparams = 0;
		while (nparams < l->nkids && N(o, K(o, list, nparams))->kind == TY_BINDER) nparams++;
		if (nparams == l->nkids) return id;               /* abstract */
		if (nparams != n->nkids) return fail(o, "wrong number of type arguments"), 0;
		if (!closed(o, e - 1))
			return fail(o, "a type abbreviation uses a variable it does not bind"), 0;
		Subst s;
		s.n = nparams;
		if (nparams > SUBST_MAX) return fail(o, "too many type parameters"), 0;
		for (int i = 0; i < nparams; i++) {
			s.name[i] = N(o, K(o, list, i))->name;
			s.sort[i] = N(o, K(o, list, i))->flags;
			s.val[i] = K(o, id, i);
		}
		id = ty_subst(o, K(o, list, l->nkids - 1), &s);
	}
	return fail(o, "type names stand for each other in a cycle, or more than 64 deep"), 0;
}

/* Types are hash-consed and the typedefs fixed, so an expansion is remembered by node. */
TyId ty_expand_name(TyOps *o, TyId id)
{
	TyId e = expand(o, id);
	if (e) {
		o->exp = xgrowz(o->exp, sizeof *o->exp, (size_t)id + 1, &o->nexp);
		o->exp[id] = e;
	}
	return e;
}

/* ---- layouts ---- */

/*
** Sizes and alignments are worked out once per node and kept: a node's are
** the same wherever it is, so a layout shared many times over (types are
** DAGs) is measured once, and every question about one node gets one
** answer, whatever budget is left when it is asked.  0: unknown (a failure,
** with o->err, is not kept: asked again, it is tried again).
*/
typedef uint64_t Walk(TyOps *o, TyId id, int depth);
static Walk align_walk, size_walk;

/* walk's answer for id, kept in (*memo)[id] (n entries) once it is known */
static uint64_t kept(TyOps *o, TyId id, int depth, Walk *walk, uint64_t **memo, unsigned *n)
{
	id = ty_expand(o, id);
	if (!id) return 0;
	if (id < *n && (*memo)[id]) return (*memo)[id];
	uint64_t v = walk(o, id, depth);
	if (v) {
		*memo = xgrowz(*memo, sizeof **memo, (size_t)id + 1, n);
		(*memo)[id] = v;
	}
	return v;
}

static uint64_t align_of(TyOps *o, TyId id, int depth) { return kept(o, id, depth, align_walk, &o->align, &o->nalign); }
static uint64_t size_of(TyOps *o, TyId id, int depth) { return kept(o, id, depth, size_walk, &o->size, &o->nsize); }

/* 1, 2, 4 or 8; 0 when the type is too large or deep to tell (o->err) */
static uint64_t align_walk(TyOps *o, TyId id, int depth)
{
	if (--o->budget < 0) return fail(o, "types too large to measure"), 0;
	if (depth > DEPTH_MAX) return fail(o, "type nested too deeply"), 0;
	switch (N(o, id)->kind) {
	case TY_U8: return 1;
	case TY_U16: return 2;
	case TY_U32: return 4;
	case TY_ARRAY: return align_of(o, K(o, id, 0), depth + 1);
	case TY_RECORD: {
		uint64_t a = 1;
		for (int i = 0; i < N(o, id)->nkids; i++) {
			uint64_t f = align_of(o, K(o, K(o, id, i), 0), depth + 1);
			if (!f) return 0;
			if (f > a) a = f;
		}
		return a;
	}
	default: return 8;
	}
}

/* Whether the linear form of node e is a constant, and which (k, if not NULL). */
static int const_of(TyOps *o, TyId e, int64_t *k)
{
	Lin l = lin_of(o->t, e);
	return lin_is_const(&l, k);
}

static uint64_t size_walk(TyOps *o, TyId id, int depth)
{
	if (--o->budget < 0) return fail(o, "types too large to measure"), 0;
	if (depth > DEPTH_MAX) return fail(o, "type nested too deeply"), 0;
	switch (N(o, id)->kind) {
	case TY_U8: return 1;
	case TY_U16: return 2;
	case TY_U32: return 4;
	case TY_ARRAY: {
		int64_t k;
		if (!const_of(o, K(o, id, 1), &k) || k < 0 || k > (1 << 28))
			return fail(o, "an array of unknown length, or of more than 2^28 elements, has no fixed size"), 0;
		uint64_t es = size_of(o, K(o, id, 0), depth + 1);
		/* sizes stay below 2^48, as sizes do: products and sums must not wrap */
		if (es > (uint64_t)SIZE_LIMIT / ((uint64_t)k + 1)) return fail(o, "layout too large"), 0;
		return (uint64_t)k * es;
	}
	case TY_RECORD: {
		uint64_t at = 0;
		for (int i = 0; i < N(o, id)->nkids; i++) {
			TyId f = K(o, K(o, id, i), 0);
			uint64_t a = align_of(o, f, depth + 1), s = size_of(o, f, depth + 1);
			if (!a || !s) return 0;
			at = (at + a - 1) / a * a + s;
			if (at > (uint64_t)SIZE_LIMIT) return fail(o, "layout too large"), 0;
		}
		uint64_t a = align_of(o, id, depth);
		return a ? (at + a - 1) / a * a : 0;
	}
	default: return 8;
	}
}

uint64_t ty_size(TyOps *o, TyId id)
{
	return size_of(o, id, 0);
}

/*
** Fields are laid out in order, each at the next multiple of its alignment,
** as C does.  A last field may be an array of unknown length.  0 when no
** field starts at or holds `off` (o->err NULL), or when the layout cannot
** be worked out (o->err says why: too deep, too large).  *index gets the
** field's position: equal fields are one node, so a record may list one
** node twice, and only the position tells which is meant.
*/
TyId ty_field_at(TyOps *o, TyId rec, uint64_t off, uint64_t *start, int *index)
{
	uint64_t at = 0;
	int n = N(o, rec)->nkids;
	o->err = NULL;
	for (int i = 0; i < n; i++) {
		if (--o->budget < 0) return fail(o, "types too large to measure"), 0;
		TyId f = K(o, rec, i), ft = K(o, f, 0);
		uint64_t a = align_of(o, ft, 0);
		if (!a) return o->err ? 0 : (fail(o, "its layout cannot be worked out"), 0);
		at = (at + a - 1) / a * a;
		TyId e = ty_expand(o, ft);
		int open = i == n - 1 && e && N(o, e)->kind == TY_ARRAY &&
		           !const_of(o, K(o, e, 1), NULL);
		uint64_t s = open ? 0 : size_of(o, ft, 0);
		if (off >= at && (open || off < at + s)) { *start = at, *index = i; return f; }
		if (!s && !open) return o->err ? 0 : (fail(o, "a field of 0 bytes has no place in a record"), 0);
		at += s;
		if (at > (uint64_t)SIZE_LIMIT) return fail(o, "layout too large"), 0;   /* 65535 fields must not wrap */
	}
	return 0;
}

/* ---- a <= b ---- */


/*
** Binders met on the way down.  same() walks into a code, exists or rec
** type only when both sides bind the same names, and inside, those names
** are that type's own variables: not the unknowns of the caller that may
** be spelled the same (a name in o->scope is never solved), and never the
** value an unknown is solved with (it would escape its binder).  Without
** this, a jump to code[n: size]{ rdx: code[n: size, p: size]{ rdi:
** *[u64 ro; n], .. } } solved its n with the p of the code in rdx, and
** let through a function that reads an array of length p as one that
** reads one of length n.
*/
static int in_scope(const TyOps *o, StrId name)
{
	for (int i = o->scope.n; i-- > 0;)
		if (o->scope.name[i] == name) return 1;
	return 0;
}

/* Does t hold a variable named as a binder we are inside?  (When too big to tell, yes.) */
static int escapes(TyOps *o, TyId t)
{
	return o->scope.n && mentions(o, t, &o->scope, 0);
}

/* The names node id binds: a code or exists type's leading binders, a rec type's own. */
static int binder_names(TyOps *o, TyId id, StrId *out, int cap)
{
	const TyNode *n = N(o, id);
	int k = 0;
	if (n->kind == TY_MU) { if (cap < 1) return -1; out[k++] = n->name; return k; }
	if (n->kind != TY_CODE && n->kind != TY_EXISTS) return 0;
	for (int i = 0; i < n->nkids && N(o, K(o, id, i))->kind == TY_BINDER; i++) {
		if (k == cap) return -1;
		out[k++] = N(o, K(o, id, i))->name;
	}
	return k;
}

/* Does node id bind a name that is an unknown of u? */
static int binds_unknown(TyOps *o, TyId id, const Subst *u)
{
	StrId b[SUBST_MAX];
	int k = binder_names(o, id, b, SUBST_MAX);
	if (k < 0) return 1;
	for (int i = 0; i < k; i++)
		if (in_subst(u, b[i]) >= 0) return 1;
	return 0;
}

/*
** a <= a: each unknown of u met in a is solved by itself (the node met),
** or must already be; not so when a binder inside a rebinds an unknown's
** name.  Worked out from a summary of a made once and kept in a small
** cache by node: its variable nodes and its binder nodes.  A type with
** more of them than the summary holds (or too big to summarise) gets 0,
** as does a failure: the caller undoes nothing and compares the long way,
** which may still prove it equal.
*/
enum { SELF_VARS = 8, SELF_BINDERS = 4, SELF_BIG = 0xff };
typedef struct SelfSum { TyId id; uint8_t nv, nb; TyId v[SELF_VARS], b[SELF_BINDERS]; } SelfSum;

static int sum_add(TyId *set, uint8_t *n, int cap, TyId id)
{
	for (int i = 0; i < *n; i++)
		if (set[i] == id) return 1;
	if (*n == cap) return 0;
	set[(*n)++] = id;
	return 1;
}

static int sum_walk(TyOps *o, TyId id, SelfSum *s, int depth, int *steps)
{
	if (!id || !N(o, id)->vars) return 1;
	if (depth > 32 || --*steps < 0) return 0;
	const TyNode *n = N(o, id);
	if ((n->kind == TY_CODE || n->kind == TY_EXISTS || n->kind == TY_MU) && !sum_add(s->b, &s->nb, SELF_BINDERS, id)) return 0;
	if (n->kind == TY_VAR) return sum_add(s->v, &s->nv, SELF_VARS, id);
	for (int i = 0; i < n->nkids; i++)
		if (!sum_walk(o, K(o, id, i), s, depth + 1, steps)) return 0;
	return 1;
}

static const SelfSum *self_sum(TyOps *o, TyId a)
{
	unsigned bits = o->selfbits ? o->selfbits : TY_SELF_BITS;
	if (!o->self) o->self = xzalloc((size_t)1 << bits, sizeof *o->self);
	SelfSum *s = &o->self[(a * UINT32_C(0x9e3779b1)) >> 20 & ((UINT32_C(1) << bits) - 1)];
	if (s->id != a) {
		int steps = 256;
		s->id = a;
		s->nv = s->nb = 0;
		if (!sum_walk(o, a, s, 0, &steps)) s->nv = SELF_BIG;
	}
	return s;
}

static int self_fits(TyOps *o, TyId a, Subst *u)
{
	uint32_t bits = 0, vars = N(o, a)->vars;
	int bound[SELF_VARS], nbound = 0;
	if (!vars) return 1;   /* no variable below: nothing to bind */
	for (int i = 0; u && i < u->n; i++) bits |= ty_var_bit(u->name[i]);
	if (!(vars & bits)) return 1;
	if (o->scope.n) return 0;   /* under a binder: the long way, which knows what is bound */
	const SelfSum *s = self_sum(o, a);
	if (s->nv == SELF_BIG) return 0;
	for (int i = 0; i < s->nb; i++)
		if ((N(o, s->b[i])->vars & bits) && binds_unknown(o, s->b[i], u)) return 0;
	for (int i = 0; i < s->nv; i++) {
		int j = in_subst(u, N(o, s->v[i])->name);
		if (j < 0) continue;
		if (!u->val[j]) {
			u->val[j] = s->v[i];
			bound[nbound++] = j;
		} else if (u->val[j] != s->v[i]) {
			while (nbound > 0) u->val[bound[--nbound]] = 0;
			return 0;
		}
	}
	return 1;
}

/* An unknown of u met in b's position: bind it, or check what it is bound to. */
int ty_is_word(TyOps *o, TyId w)
{
	TyId e = ty_expand(o, w);
	if (!e) return 0;
	switch (N(o, e)->kind) {
	case TY_INT: case TY_U64: case TY_ANY: case TY_SING: case TY_VAR: case TY_PTR: case TY_CODE:
	case TY_EXISTS: case TY_SPTR: case TY_LIMIT: case TY_NAME: return 1;
	case TY_MU: { TyId b = ty_expand(o, K(o, e, 0)); return b && N(o, b)->kind == TY_PTR; }
	default: return 0;
	}
}

/* Can a stack variable stand for this?  Only a stack: the empty one, t :: s, or a variable (one of the caller's stack variables). */
static int is_stack(TyOps *o, TyId w)
{
	TyId e = ty_expand(o, w);
	int k = e ? N(o, e)->kind : 0;
	return k == TY_SNIL || k == TY_SCONS || k == TY_VAR;
}

static int unknown(TyOps *o, TyId a, TyId b, Subst *u, int *handled)
{
	const TyNode *n = N(o, b);
	int j = n->kind == TY_VAR && !in_scope(o, n->name) ? in_subst(u, n->name) : -1;
	*handled = j >= 0;
	if (j < 0) return 0;
	if (!u->val[j] && u->sort[j] == TK_TYPE && !ty_is_word(o, a)) return fail(o, "a type variable stands for a word (8 bytes), not this");
	if (!u->val[j] && u->sort[j] == TK_STACK && !is_stack(o, a)) return fail(o, "a stack variable stands for a stack, not this");   /* (type.sort keeps one from where a type goes: this, in case) */
	if (escapes(o, a)) return fail(o, "a variable of the target would stand for one bound inside the type");
	if (!u->val[j]) { u->val[j] = a; return 1; }
	return -1;   /* bound: compare with the value */
}

static int leq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f, int depth);

/* Indices: equal by the facts, binding an unknown met alone. */
static int idx_eq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f)
{
	int handled, r = unknown(o, a, b, u, &handled);
	if (handled && r >= 0) return r;
	TyId bb = ty_subst(o, b, u);
	if (!bb) return 0;
	if (mentions(o, bb, u, 0)) return fail(o, "cannot tell what a size variable of the target stands for");
	if (a == bb) return 1;
	Lin la = lin_of(o->t, a), lb = lin_of(o->t, bb);
	if (!facts_prove_rel(f, &la, &lb, TY_CEQ))
		return fail(o, "sizes not proven equal");
	return 1;
}

/* Invariant positions: the same type, binding unknowns on the way. */
static int same(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f, int depth)
{
	if (depth > DEPTH_MAX) return fail(o, "type nested too deeply");
	if (--o->budget < 0) return fail(o, "types too large to compare");
	if (!a || !b) return 0;
	int handled, r = unknown(o, a, b, u, &handled);
	if (handled) return r >= 0 ? r : same(o, a, u->val[in_subst(u, N(o, b)->name)], NULL, f, depth + 1);
	if (a == b && self_fits(o, a, u)) return 1;
	const TyNode *x = N(o, a), *y = N(o, b);
	if (x->kind == TY_NAME || y->kind == TY_NAME) {
		TyId ea = ty_expand(o, a), eb = ty_expand(o, b);
		if (!ea || !eb) return 0;
		if (ea != a || eb != b) return same(o, ea, eb, u, f, depth + 1);
	}
	x = N(o, a), y = N(o, b);
	/* field names are for people: records are equal field by field */
	if (x->kind != y->kind || x->flags != y->flags || (x->name != y->name && x->kind != TY_FIELD) ||
	    x->value != y->value || x->nkids != y->nkids)
		return x->kind == TY_SING && y->kind == TY_SING ? idx_eq(o, K(o, a, 0), K(o, b, 0), u, f)
		                                                 : fail(o, "types differ");
	/* a binder's names are in scope for its kids (the binders compare equal
	   first); indices in here compare as written, never by the facts, which
	   are about the block's variables */
	int mark = o->scope.n, k = binder_names(o, a, o->scope.name + mark, SUBST_MAX - mark);
	if (k < 0) return fail(o, "too many nested binders");
	o->scope.n += k;
	int ok = 1;
	for (int i = 0; ok && i < x->nkids; i++) ok = same(o, K(o, a, i), K(o, b, i), u, f, depth + 1);
	o->scope.n = mark;
	return ok;
}

static int perm_ok(int have, int want) { return (have & want) == want; }

/*
** [fits.width] a field or an element is read where it lies, as wide as the
** type it is read at: so a type that fits it there takes the same bytes.
** A word (8 bytes, as a type variable always is) fits only a word; a u8,
** u16 or u32 only the same; an inline record or array only one of the same
** size and alignment.  (Read as an int, a u8 would take the 7 bytes after
** it, and the elements of a byte array would be 8 apart; a record cut short
** inline would move the fields after it.)
*/
static int same_width(TyOps *o, TyId a, TyId b)
{
	int wa = ty_is_word(o, a), wb = ty_is_word(o, b);
	if (wa || wb) return wa == wb ? 1 : fail(o, wa ? "memory of 8-byte words read at a narrower width" : "memory of values narrower than the 8-byte words expected");
	TyId ea = ty_expand(o, a), eb = ty_expand(o, b);
	if (!ea || !eb) return 0;
	int k = N(o, ea)->kind;
	if (k != N(o, eb)->kind) return fail(o, "memory of values of another width than expected");
	if (k == TY_U8 || k == TY_U16 || k == TY_U32 || ea == eb) return 1;
	if (k != TY_RECORD && k != TY_ARRAY) return fail(o, "inline layouts differ");
	uint64_t sa = size_of(o, ea, 0), sb = size_of(o, eb, 0);
	if (!sa || !sb) return 0;
	return sa == sb && align_of(o, ea, 0) == align_of(o, eb, 0) ? 1 : fail(o, "inline records or arrays of different sizes or alignments");
}

/* Field by field: b may be a prefix of a, and may give up permissions. */
static int layout_leq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f, int depth)
{
	const TyNode *x = N(o, a), *y = N(o, b);
	if (x->kind != y->kind) return fail(o, "layouts differ");
	if (y->kind == TY_ARRAY) {
		if (!perm_ok(x->flags & TF_RW, y->flags & TF_RW)) return fail(o, "array permission not granted");
		int inv = y->flags & TF_W;
		int ok = inv ? same(o, K(o, a, 0), K(o, b, 0), u, f, depth + 1)
		             : leq(o, K(o, a, 0), K(o, b, 0), u, f, depth + 1) && same_width(o, K(o, a, 0), K(o, b, 0));
		return ok && idx_eq(o, K(o, a, 1), K(o, b, 1), u, f);
	}
	if (y->kind != TY_RECORD) return same(o, a, b, u, f, depth + 1);
	if (x->nkids < y->nkids) return fail(o, "record has fewer fields than expected");
	for (int i = 0; i < y->nkids; i++) {
		const TyNode *fa = N(o, K(o, a, i)), *fb = N(o, K(o, b, i));
		if (!perm_ok(fa->flags & TF_RW, fb->flags & TF_RW)) return fail(o, "field permission not granted");
		if ((fa->flags & TF_UNINIT) && !(fb->flags & TF_UNINIT)) return fail(o, "field not initialised");
		TyId ta = K(o, K(o, a, i), 0), tb = K(o, K(o, b, i), 0);
		int ok = (fb->flags & TF_W) ? same(o, ta, tb, u, f, depth + 1) : leq(o, ta, tb, u, f, depth + 1) && same_width(o, ta, tb);
		if (!ok) return 0;
	}
	return 1;
}

/* Width of an integer type's values (8 for int, u64 and singletons). */
static int int_width(TyOps *o, TyId a)
{
	switch (N(o, a)->kind) {
	case TY_U8: return 1;
	case TY_U16: return 2;
	case TY_U32: return 4;
	case TY_SING: {
		int64_t k;
		if (const_of(o, K(o, a, 0), &k) && k >= 0)
			return k < 0x100 ? 1 : k < 0x10000 ? 2 : k < 0x100000000LL ? 4 : 8;
		return 8;
	}
	default: return 8;
	}
}

static int leq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f, int depth)
{
	if (depth > DEPTH_MAX) return fail(o, "type nested too deeply");
	if (--o->budget < 0) return fail(o, "types too large to compare");
	if (!a) return fail(o, "no value");
	int handled, r = unknown(o, a, b, u, &handled);
	if (handled) return r >= 0 ? r : leq(o, a, u->val[in_subst(u, N(o, b)->name)], NULL, f, depth + 1);
	if (a == b && self_fits(o, a, u)) return 1;
	TyId ea = ty_expand(o, a), eb = ty_expand(o, b);
	if (!ea || !eb) return 0;
	const TyNode *x = N(o, ea), *y = N(o, eb);
	switch (y->kind) {
	case TY_ANY:
		return 1;
	case TY_INT: case TY_U64:
		return ty_is_int(x->kind) ? 1 : fail(o, "not an integer");
	case TY_U8: case TY_U16: case TY_U32: {
		int w = y->kind == TY_U8 ? 1 : y->kind == TY_U16 ? 2 : 4;
		if (!ty_is_int(x->kind) || (x->kind == TY_SING && N(o, ea) && int_width(o, ea) > w) ||
		    (x->kind != TY_SING && int_width(o, ea) > w))
			return fail(o, "integer may be too wide");
		return 1;
	}
	case TY_SING:
		if (x->kind != TY_SING) return fail(o, "not the integer expected (a singleton S(e))");
		return idx_eq(o, K(o, ea, 0), K(o, eb, 0), u, f);
	case TY_PTR:
		if (x->kind == TY_SING && (y->flags & TF_NULLABLE)) {
			int64_t k;
			if (const_of(o, K(o, ea, 0), &k) && k == 0) return 1;
		}
		if (x->kind != TY_PTR) return fail(o, "not a pointer");
		if ((x->flags & TF_NULLABLE) && !(y->flags & TF_NULLABLE)) return fail(o, "pointer may be null");
		{
			TyId la = ty_expand(o, K(o, ea, 0)), lb = K(o, eb, 0);
			int hb, rb = unknown(o, la, lb, u, &hb);
			if (hb && rb >= 0) return rb;
			lb = ty_expand(o, hb ? u->val[in_subst(u, N(o, lb)->name)] : lb);
			if (!la || !lb) return 0;
			return layout_leq(o, la, lb, u, f, depth + 1);
		}
	case TY_SCONS:
		if (x->kind != TY_SCONS) return fail(o, "stack is shorter than expected");
		return leq(o, K(o, ea, 0), K(o, eb, 0), u, f, depth + 1) && leq(o, K(o, ea, 1), K(o, eb, 1), u, f, depth + 1);
	case TY_RECORD: case TY_ARRAY:
		return layout_leq(o, ea, eb, u, f, depth + 1);
	default:
		return same(o, ea, eb, u, f, depth + 1);
	}
}

int ty_leq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f)
{
	Subst none;
	none.n = 0;
	o->err = NULL;
	o->scope.n = 0;
	return leq(o, a, b, u ? u : &none, f, 0);
}
