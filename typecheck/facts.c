/*
** facts.c - what the checker knows about sizes: linear facts  e >= 0.
**
** Index expressions (types.h) are linear in the size variables.  A label's
** constraints, the comparisons the code makes, and each size's bounds
** (0 <= v < 2^48) are facts; a goal is proven when it is the sum of at most
** three facts plus a non-negative constant.  That is far from a full
** decision procedure, and is meant to be: it covers what loops over arrays
** need (i < n from the test, i + 1 <= n at the back edge), costs a bounded
** amount per goal, and is easy to audit.
*/
#include <string.h>

#include "tc.h"

/* Add c*v to l. */
static void lin_addterm(Lin *l, StrId v, int64_t c)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == v) {
			l->c[i] += c;
			if (l->c[i] == 0) {
				l->v[i] = l->v[l->n - 1];
				l->c[i] = l->c[l->n - 1];
				l->n--;
			}
			return;
		}
	if (c == 0) return;
	if (l->n == LIN_MAX) { l->ok = 0; return; }
	l->v[l->n] = v;
	l->c[l->n++] = c;
}

Lin lin_const(int64_t k)
{
	Lin l;
	memset(&l, 0, sizeof l);
	l.ok = 1;
	l.k = k;
	return l;
}

Lin lin_var(StrId v)
{
	Lin l = lin_const(0);
	lin_addterm(&l, v, 1);
	return l;
}

/* a + m*b; numbers stay far from overflow (|k| <= 2^56, |m| <= 2^12) or the result is not ok. */
Lin lin_add(Lin a, Lin b, int64_t m)
{
	const int64_t big = INT64_C(1) << 56;
	if (!a.ok || !b.ok) { a.ok = 0; return a; }
	if (b.k > big || b.k < -big || a.k > big || a.k < -big || m > 4096 || m < -4096) { a.ok = 0; return a; }
	/* m * b.k too: 4096 * 2^56 would overflow (a product of constants gets there) */
	if (m && (b.k > big / (m < 0 ? -m : m) || b.k < -big / (m < 0 ? -m : m))) { a.ok = 0; return a; }
	for (int i = 0; i < b.n; i++)
		if (b.c[i] > 4096 || b.c[i] < -4096) { a.ok = 0; return a; }
	a.k += m * b.k;
	for (int i = 0; i < b.n; i++) lin_addterm(&a, b.v[i], m * b.c[i]);
	return a;
}

/*
** The linear form of an index expression.  Limited in depth and in steps:
** sections are untrusted, and a shared subexpression could make a walk
** exponential.
*/
static Lin lin_rec(const TyTable *t, TyId e, int depth, int *steps)
{
	Lin bad = lin_const(0);
	bad.ok = 0;
	if (!e || depth > 64 || --*steps < 0) return bad;
	const TyNode *n = ty_get(t, e);
	switch (n->kind) {
	case TY_ICONST:
		return n->value > INT32_MAX || n->value < INT32_MIN ? bad : lin_const(n->value);
	case TY_VAR:
		return lin_var(n->name);
	case TY_IADD: case TY_ISUB:
		return lin_add(lin_rec(t, ty_kid(t, e, 0), depth + 1, steps), lin_rec(t, ty_kid(t, e, 1), depth + 1, steps),
		               n->kind == TY_IADD ? 1 : -1);
	case TY_IMUL: {
		Lin k = lin_rec(t, ty_kid(t, e, 0), depth + 1, steps), x = lin_rec(t, ty_kid(t, e, 1), depth + 1, steps);
		if (!k.ok || k.n || k.k > 4096 || k.k < -4096) return bad;
		Lin r = lin_const(0);
		return lin_add(r, x, k.k);
	}
	default:
		return bad;
	}
}

Lin lin_of(const TyTable *t, TyId e)
{
	int steps = 4096;
	return lin_rec(t, e, 0, &steps);
}

/* "i + j - 1", "2*n", "0": for diagnostics. */
void lin_print(const TyTable *t, Lin l, char *buf, size_t cap)
{
	size_t at = 0;
	if (!l.ok) { snprintf(buf, cap, "?"); return; }
	buf[0] = 0;
	for (int i = 0; i < l.n && at < cap; i++) {
		int64_t c = l.c[i];
		const char *sign = c < 0 ? (at ? " - " : "-") : (at ? " + " : "");
		if (c < 0) c = -c;
		if (c == 1) at += (size_t)snprintf(buf + at, cap - at, "%s%s", sign, ty_strof(t, l.v[i]));
		else at += (size_t)snprintf(buf + at, cap - at, "%s%lld*%s", sign, (long long)c, ty_strof(t, l.v[i]));
	}
	if (at < cap && (l.k || !at))
		snprintf(buf + at, cap - at, "%s%lld", at ? (l.k < 0 ? " - " : " + ") : "", (long long)(at && l.k < 0 ? -l.k : l.k));
}

int lin_is_const(Lin l, int64_t *k)
{
	if (!l.ok || l.n) return 0;
	if (k) *k = l.k;
	return 1;
}

void facts_add(Facts *f, Lin l)
{
	if (!l.ok || f->n == FACTS_MAX) return;
	for (int i = 0; i < f->n; i++)
		if (memcmp(&f->f[i], &l, sizeof l) == 0) return;
	f->f[f->n++] = l;
}

/* a < b, a <= b, a == b as facts. */
void facts_rel(Facts *f, Lin a, Lin b, int rel)
{
	if (rel == TY_CLT) facts_add(f, lin_add(lin_add(b, a, -1), lin_const(1), -1));
	else if (rel == TY_CLE) facts_add(f, lin_add(b, a, -1));
	else if (rel == TY_CEQ) {
		facts_add(f, lin_add(b, a, -1));
		facts_add(f, lin_add(a, b, -1));
	}
}

static int nonneg_const(Lin l)
{
	return l.ok && l.n == 0 && l.k >= 0;
}

/* Every variable is a size: v >= 0 is a fact for each variable of g. */
static Lin drop_vars(Lin g)
{
	Lin r = g;
	for (int i = r.n; i-- > 0;)
		if (r.c[i] > 0) {           /* c*v with c > 0 only adds */
			r.v[i] = r.v[r.n - 1];
			r.c[i] = r.c[r.n - 1];
			r.n--;
		}
	return r;
}

/*
** g >= 0 from the facts: g minus at most three facts is a sum of
** non-negative terms.  Three covers a bound through two constraints and a
** size's upper limit (i <= n - m, j <= m, n < 2^48  =>  i + j < 2^48).
*/
int facts_prove(const Facts *f, Lin g)
{
	if (!g.ok) return 0;
	if (nonneg_const(drop_vars(g))) return 1;
	for (int i = 0; i < f->n; i++) {
		Lin d = lin_add(g, f->f[i], -1);
		if (nonneg_const(drop_vars(d))) return 1;
		for (int j = i; j < f->n; j++) {
			Lin e = lin_add(d, f->f[j], -1);
			if (nonneg_const(drop_vars(e))) return 1;
			for (int k = j; k < f->n; k++)
				if (nonneg_const(drop_vars(lin_add(e, f->f[k], -1)))) return 1;
		}
	}
	return 0;
}

int facts_prove_rel(const Facts *f, Lin a, Lin b, int rel)
{
	switch (rel) {
	case TY_CLT: return facts_prove(f, lin_add(lin_add(b, a, -1), lin_const(1), -1));
	case TY_CLE: return facts_prove(f, lin_add(b, a, -1));
	case TY_CEQ: return facts_prove(f, lin_add(b, a, -1)) && facts_prove(f, lin_add(a, b, -1));
	case TY_CNE: {
		Lin d = lin_add(a, b, -1);
		int64_t k;
		return (lin_is_const(d, &k) && k != 0) ||
		       facts_prove(f, lin_add(d, lin_const(1), -1)) || facts_prove(f, lin_add(lin_const(-1), d, -1));
	}
	}
	return 0;
}
