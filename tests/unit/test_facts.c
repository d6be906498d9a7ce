/*
** test_facts.c - the linear-fact prover against a reference: the plain
** search it replaced (every choice of up to three facts, each difference
** built by lin_add), kept here only.  Random fact sets and goals with a
** fixed seed: small coefficients, constants near 0, near the 2^48 size
** bound and near lin_add's 2^56 limit, coefficients at lin_add's 4096
** limit, forms that outgrow LIN_MAX terms on the way, duplicates, forms
** that are not ok, and forms made by hand with repeated variables or zero
** coefficients.  lin_add itself is compared byte for byte as well.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tc.h"

/* ---- the reference ---- */

static void ref_addterm(Lin *l, StrId v, int64_t c)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == v) {
			if (l->c[i] + c > LIN_COEF || l->c[i] + c < -LIN_COEF) { l->ok = 0; return; }
			l->c[i] += (int32_t)c;
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
	l->c[l->n++] = (int32_t)c;
}

static Lin ref_add(Lin a, Lin b, int64_t m)
{
	const int64_t big = INT64_C(1) << 56;
	if (!a.ok || !b.ok) { a.ok = 0; return a; }
	if (b.k > big || b.k < -big || a.k > big || a.k < -big || m > 4096 || m < -4096) { a.ok = 0; return a; }
	if (m && (b.k > big / (m < 0 ? -m : m) || b.k < -big / (m < 0 ? -m : m))) { a.ok = 0; return a; }
	for (int i = 0; i < b.n; i++)
		if (b.c[i] > 4096 || b.c[i] < -4096) { a.ok = 0; return a; }
	a.k += m * b.k;
	for (int i = 0; i < b.n; i++) ref_addterm(&a, b.v[i], m * b.c[i]);
	return a;
}

static int ref_nonneg_const(Lin l)
{
	return l.ok && l.n == 0 && l.k >= 0;
}

static Lin ref_drop_vars(Lin g)
{
	Lin r = g;
	for (int i = r.n; i-- > 0;)
		if (r.c[i] > 0) {
			r.v[i] = r.v[r.n - 1];
			r.c[i] = r.c[r.n - 1];
			r.n--;
		}
	return r;
}

static int ref_prove(const Facts *f, Lin g)
{
	if (!g.ok) return 0;
	if (ref_nonneg_const(ref_drop_vars(g))) return 1;
	for (int i = 0; i < f->n; i++) {
		Lin d = ref_add(g, f->f[i], -1);
		if (ref_nonneg_const(ref_drop_vars(d))) return 1;
		for (int j = i; j < f->n; j++) {
			Lin e = ref_add(d, f->f[j], -1);
			if (ref_nonneg_const(ref_drop_vars(e))) return 1;
			for (int k = j; k < f->n; k++)
				if (ref_nonneg_const(ref_drop_vars(ref_add(e, f->f[k], -1)))) return 1;
		}
	}
	return 0;
}

static int ref_prove_rel(const Facts *f, Lin a, Lin b, int rel)
{
	switch (rel) {
	case TY_CLT: return ref_prove(f, ref_add(ref_add(b, a, -1), lin_const(1), -1));
	case TY_CLE: return ref_prove(f, ref_add(b, a, -1));
	case TY_CEQ: return ref_prove(f, ref_add(b, a, -1)) && ref_prove(f, ref_add(a, b, -1));
	case TY_CNE: {
		Lin d = ref_add(a, b, -1);
		int64_t k;
		return (lin_is_const(&d, &k) && k != 0) ||
		       ref_prove(f, ref_add(d, lin_const(1), -1)) || ref_prove(f, ref_add(lin_const(-1), d, -1));
	}
	}
	return 0;
}

/*
** Whether some choice of up to three facts has a difference with no
** negative entry, ignoring lin_add's limits (variables are below 64 here).
** Only counts how often the limits alone decide a goal.
*/
static int plain_prove(const Facts *f, const Lin *g)
{
	int n = f->n;
	for (int i = -1; i < n; i++)
		for (int j = i < 0 ? -1 : i; j < n; j++)
			for (int k = j < 0 ? -1 : j; k < n; k++) {
				int64_t c[64] = {0}, kk = g->k;
				int pick[3] = {i, j, k}, bad = 0;
				for (int t = 0; t < g->n; t++) c[g->v[t]] += g->c[t];
				for (int p = 0; p < 3; p++) {
					if (pick[p] < 0) continue;
					const Lin *l = &f->f[pick[p]];
					if (!l->ok) bad = 1;
					kk -= l->k;
					for (int t = 0; t < l->n; t++) c[l->v[t]] -= l->c[t];
				}
				for (int v = 0; v < 64; v++) bad |= c[v] < 0;
				if (!bad && kk >= 0) return 1;
			}
	return 0;
}

/* ---- random forms ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 0 <= r < n */
static int64_t below(int64_t n)
{
	return (int64_t)(rnd() % (uint64_t)n);
}

static int64_t near(int64_t x)
{
	return x + below(9) - 4;
}

static int64_t rnd_const(void)
{
	const int64_t big = INT64_C(1) << 56;
	switch (below(12)) {
	case 0: return near(SIZE_LIMIT - 1);
	case 1: return -near(SIZE_LIMIT - 1);
	case 2: return near(big);
	case 3: return -near(big);
	case 4: return near(big / 2);
	case 5: return -near(big / 2);
	case 6: return near(big / 3);
	default: return below(11) - 5;
	}
}

static int64_t rnd_coef(void)
{
	switch (below(24)) {
	case 0: return near(4096);
	case 1: return -near(4096);
	case 2: return below(2) ? 1 << 20 : -(1 << 20);
	default: {
		int64_t c = below(7) - 3;
		return c ? c : 1;
	}
	}
}

/* The variables of one case: npool of them, ids below 64. */
static StrId pool[8];
static int npool;

static void new_pool(void)
{
	npool = (int)below(8) + 1;
	for (int i = 0; i < npool; i++) pool[i] = (StrId)(below(63) + 1);
}

static StrId rnd_var(void)
{
	return pool[below(npool)];
}

static Lin bad_lin(void)
{
	Lin l = lin_const(0);
	l.ok = 0;
	return l;
}

/* lin_add, checked against the reference byte for byte. */
static Lin add(Lin a, Lin b, int64_t m)
{
	Lin r = lin_add(a, b, m), s = ref_add(a, b, m);
	if (memcmp(&r, &s, sizeof r) != 0) fail_msg("lin_add differs from the reference");
	return r;
}

/* A form built through lin_add: any order of terms, cancellations, limits. */
static Lin built_lin(void)
{
	Lin l = lin_const(rnd_const());
	int steps = (int)below(9);
	for (int i = 0; i < steps; i++) {
		int64_t c = rnd_coef(), m = 1;
		if (c > 4096 || c < -4096) m = c / 4096, c = 4096;
		l = add(l, lin_var(rnd_var()), c);
		if (m != 1) l = add(l, lin_var(rnd_var()), m);
	}
	if (!below(40)) l = add(l, lin_const(rnd_const()), 1);
	return l;
}

/* A form made by hand: repeated variables, zero coefficients, not ok. */
static Lin raw_lin(void)
{
	Lin l;
	memset(&l, 0, sizeof l);
	l.ok = below(10) != 0;
	l.n = (int)below(LIN_MAX + 1);
	for (int i = 0; i < l.n; i++) {
		l.v[i] = rnd_var();
		l.c[i] = below(20) ? rnd_coef() : 0;
	}
	l.k = rnd_const();
	return l;
}

static Lin rnd_lin(void)
{
	int r = (int)below(20);
	return r == 0 ? raw_lin() : r == 1 ? bad_lin() : built_lin();
}

/* A goal: often the sum of a few facts, nudged, so that some are proven. */
static Lin rnd_goal(const Facts *f)
{
	if (!f->n || below(4) == 0) return rnd_lin();
	Lin g = below(2) ? lin_const(0) : lin_var(rnd_var());
	int n = (int)below(4);
	for (int i = 0; i < n; i++) g = add(g, f->f[below(f->n)], 1);
	if (below(2)) g = add(g, lin_const(below(5) - 2), 1);
	if (below(3) == 0) g = add(g, lin_var(rnd_var()), below(5) - 2);
	if (below(8) == 0) g = add(g, lin_const(rnd_const()), 1);
	return g;
}

static void rnd_facts(Facts *f)
{
	int r = (int)below(1000), n;
	n = r < 2 ? FACTS_MAX + 4 : r < 30 ? (int)below(20) : (int)below(7);
	f->n = 0;
	for (int i = 0; i < n; i++) {
		if (below(12) == 0 && f->n < FACTS_MAX) {
			f->f[f->n++] = rnd_lin();     /* kept as is, even when not ok */
		} else if (f->n && f->n < FACTS_MAX && below(12) == 0) {
			f->f[f->n] = f->f[below(f->n)];     /* a duplicate */
			f->n++;
		} else {
			facts_add(f, (Lin[]){ rnd_lin() });
		}
	}
}

/* ---- tests ---- */

static void show(const char *what, const Lin *l)
{
	printf("%s: ok %d k %lld", what, l->ok, (long long)l->k);
	for (int i = 0; i < l->n; i++) printf(" %+lld*v%u", (long long)l->c[i], (unsigned)l->v[i]);
	printf("\n");
}

static void test_prove_random(void **state)
{
	(void)state;
	enum { CASES = 400000 };
	static Facts f;
	long proven = 0, limits = 0;
	for (long t = 0; t < CASES; t++) {
		new_pool();
		rnd_facts(&f);
		Lin g = rnd_goal(&f);
		int want = ref_prove(&f, g), got = facts_prove(&f, &g);
		if (want != got) {
			printf("case %ld: facts_prove %d, reference %d\n", t, got, want);
			show("goal", &g);
			for (int i = 0; i < f.n; i++) show("fact", &f.f[i]);
			fail();
		}
		proven += want;
		if (!want && f.n <= 12 && g.ok && plain_prove(&f, &g)) limits++;
	}
	printf("%d cases: %ld proven, %ld refused only by lin_add's limits\n", CASES, proven, limits);
	assert_true(proven > CASES / 5 && proven < CASES * 4 / 5);
	assert_true(limits > 100);
}

static void test_prove_rel_random(void **state)
{
	(void)state;
	static Facts f;
	static const int rels[] = {TY_CLT, TY_CLE, TY_CEQ, TY_CNE};
	for (long t = 0; t < 100000; t++) {
		new_pool();
		rnd_facts(&f);
		Lin a = rnd_goal(&f), b = rnd_lin();
		if (below(2)) b = add(a, lin_const(below(5) - 2), 1);
		int rel = rels[below(4)];
		if (facts_prove_rel(&f, &a, &b, rel) != ref_prove_rel(&f, a, b, rel))
			fail_msg("case %ld: facts_prove_rel differs from the reference", t);
	}
}

/*
** The prover keeps answers by (gen, n, goal): many sets of facts alive at
** once (copies too, some cut short by hand, as code may), the same goals
** asked of each again and again in any order, each answer the reference's.
*/
static void test_prove_memo(void **state)
{
	(void)state;
	enum { SETS = 64, GOALS = 16 };
	static Facts f[SETS];
	static Lin g[SETS][GOALS];
	static int want[SETS][GOALS];
	for (long round = 0; round < 40; round++) {
		new_pool();
		for (int s = 0; s < SETS; s++) {
			if (s && below(4) == 0) {
				f[s] = f[s - 1];                 /* a copy: the same gen */
				if (f[s].n && below(2)) f[s].n--;   /* cut short by hand: n tells */
			} else rnd_facts(&f[s]);
			for (int i = 0; i < GOALS; i++) {
				g[s][i] = rnd_goal(&f[s]);
				want[s][i] = ref_prove(&f[s], g[s][i]);
			}
		}
		for (int k = 0; k < SETS * GOALS * 4; k++) {
			int s = (int)below(SETS), i = (int)below(GOALS);
			if (facts_prove(&f[s], &g[s][i]) != want[s][i])
				fail_msg("round %ld: set %d goal %d: facts_prove differs from the reference", round, s, i);
		}
	}
}

/* g from f: the reference's answer is want, and facts_prove's too */
static void expect_at(const Facts *f, Lin g, int want, int line)
{
	int r = ref_prove(f, g), p = facts_prove(f, &g);
	if (r != want || p != want) fail_msg("line %d: reference %d, facts_prove %d, expected %d", line, r, p, want);
}
#define expect(f, g, want) expect_at((f), (g), (want), __LINE__)

/* The cases where lin_add's limits, not the arithmetic, decide. */
static void test_prove_edges(void **state)
{
	(void)state;
	static Facts f;
	const StrId x = 1, y = 2, z = 3, w = 4;
	const int64_t big = INT64_C(1) << 56;

	/* the simplest forms, byte for byte as the reference builds them */
	Lin l = lin_const(-7), r;
	memset(&r, 0, sizeof r);
	r.ok = 1;
	r.k = -7;
	assert_memory_equal(&l, &r, sizeof l);
	l = lin_var(x);
	r.k = 0;
	ref_addterm(&r, x, 1);
	assert_memory_equal(&l, &r, sizeof l);

	/* g - f1 needs a seventh term (x) before z cancels; g - f0 - f1 does not. */
	Lin g = lin_var(10);
	for (StrId v = 11; v < 15; v++) g = add(g, lin_var(v), 1);
	g = add(g, lin_var(z), -1);
	Lin f1 = add(add(lin_const(0), lin_var(x), -1), lin_var(z), -1);   /* -x - z */
	f.n = 0;
	facts_add(&f, (Lin[]){ f1 });
	expect(&f, g, 0);
	f.n = 0;
	facts_add(&f, (Lin[]){ lin_var(10) });
	facts_add(&f, (Lin[]){ f1 });
	expect(&f, g, 1);

	/* (big - y - w) - (-w - 2) is beyond 2^56 before f1 comes; the other way round it is not */
	Lin fa = add(lin_const(-2), lin_var(w), -1), fb = add(lin_const(big - 1), lin_var(y), -1);
	g = add(add(lin_const(big), lin_var(y), -1), lin_var(w), -1);
	f.n = 0;
	facts_add(&f, (Lin[]){ fa });
	facts_add(&f, (Lin[]){ fb });
	expect(&f, g, 0);
	f.n = 0;
	facts_add(&f, (Lin[]){ fb });
	facts_add(&f, (Lin[]){ fa });
	expect(&f, g, 1);

	/* a fact lin_add refuses (a coefficient beyond 4096) proves nothing */
	f.n = 0;
	facts_add(&f, (Lin[]){ add(add(lin_const(1), lin_var(x), -4096), lin_var(x), -904) });
	assert_int_equal(f.n, 1);
	expect(&f, add(lin_const(1), lin_var(x), -1), 0);
	expect(&f, lin_var(x), 1);

	/* a coefficient grows to LIN_COEF (2^30) and no further: 64 adds of 2^24 x reach it, the 65th is too big */
	Lin b = add(lin_const(0), lin_var(x), 4096), acc = lin_const(0);
	for (int i = 0; i < 64; i++) acc = add(acc, b, 4096);
	assert_true(acc.ok);
	assert_int_equal(acc.n, 1);
	assert_int_equal(acc.c[0], LIN_COEF);
	assert_false(add(acc, b, 4096).ok);
	acc = lin_const(0);
	for (int i = 0; i < 64; i++) acc = add(acc, b, -4096);
	assert_true(acc.ok);
	assert_int_equal(acc.c[0], -LIN_COEF);
	assert_false(add(acc, b, -4096).ok);

	/* a goal's constant beyond 2^56: only with no facts */
	f.n = 0;
	facts_add(&f, (Lin[]){ lin_const(1) });
	facts_add(&f, (Lin[]){ add(lin_const(SIZE_LIMIT - 1), lin_var(x), -1) });
	expect(&f, lin_const(big * 4), 1);
	expect(&f, add(lin_const(big * 4), lin_var(x), -1), 0);
	expect(&f, add(lin_const(big), lin_var(x), -1), 1);
	expect(&f, lin_const(-1), 0);
	expect(&f, bad_lin(), 0);

	/* three facts, each needed */
	f.n = 0;
	facts_add(&f, (Lin[]){ add(lin_var(x), lin_var(y), -1) });     /* y <= x */
	facts_add(&f, (Lin[]){ add(lin_var(y), lin_var(z), -1) });     /* z <= y */
	facts_add(&f, (Lin[]){ add(lin_var(z), lin_var(w), -1) });     /* w <= z */
	expect(&f, add(lin_var(x), lin_var(w), -1), 1);
	expect(&f, add(add(lin_var(x), lin_var(w), -1), lin_const(1), -1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prove_edges),
		cmocka_unit_test(test_prove_random),
		cmocka_unit_test(test_prove_memo),
		cmocka_unit_test(test_prove_rel_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
