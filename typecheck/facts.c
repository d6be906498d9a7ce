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

#include <stdatomic.h>

#include "tc.h"

/* Add c*v to l (|c| <= 2^24: lin_addto's bounds); a coefficient beyond LIN_COEF is too big. */
static void lin_addterm(Lin *l, StrId v, int64_t c)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == v) {
			int64_t s = l->c[i] + c;
			if (s > LIN_COEF || s < -LIN_COEF) { l->ok = 0; return; }
			l->c[i] = (int32_t)s;
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

/* a += m*b; numbers stay far from overflow (|k| <= 2^56, |m| <= 2^12) or a is no longer ok. */
void lin_addto(Lin *a, const Lin *b, int64_t m)
{
	const int64_t big = INT64_C(1) << 56;
	if (!a->ok || !b->ok) { a->ok = 0; return; }
	if (b->k > big || b->k < -big || a->k > big || a->k < -big || m > 4096 || m < -4096) { a->ok = 0; return; }
	/* m * b.k too: 4096 * 2^56 would overflow (a product of constants gets there) */
	if (m > 1 || m < -1) {   /* (|m| <= 1 was checked with b.k just above) */
		int64_t am = m < 0 ? -m : m;
		if (b->k > big / am || b->k < -big / am) { a->ok = 0; return; }
	}
	for (int i = 0; i < b->n; i++)
		if (b->c[i] > 4096 || b->c[i] < -4096) { a->ok = 0; return; }
	a->k += m * b->k;
	for (int i = 0; i < b->n; i++) lin_addterm(a, b->v[i], m * b->c[i]);
}

static Lin lin_bad(void)
{
	return (Lin){.ok = 0};
}

/*
** The linear form of an index expression.  Limited in depth and in steps:
** sections are untrusted, and a shared subexpression could make a walk
** exponential.
*/

static Lin lin_rec(const TyTable *t, TyId e, int depth, int *steps)
{
	if (!e || depth > 64 || --*steps < 0) return lin_bad();
	const TyNode *n = ty_get(t, e);
	switch (n->kind) {
	case TY_ICONST:
		return n->value > INT32_MAX || n->value < INT32_MIN ? lin_bad() : lin_const(n->value);
	case TY_VAR:
		return lin_var(n->name);
	case TY_IADD: case TY_ISUB:
		return lin_add(lin_rec(t, ty_kid(t, e, 0), depth + 1, steps), lin_rec(t, ty_kid(t, e, 1), depth + 1, steps),
		               n->kind == TY_IADD ? 1 : -1);
	case TY_IMUL: {
		Lin k = lin_rec(t, ty_kid(t, e, 0), depth + 1, steps), x = lin_rec(t, ty_kid(t, e, 1), depth + 1, steps);
		if (!k.ok || k.n || k.k > 4096 || k.k < -4096) return lin_bad();
		return lin_add(lin_const(0), x, k.k);
	}
	default:
		return lin_bad();
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

int lin_is_const(const Lin *l, int64_t *k)
{
	if (!l->ok || l->n) return 0;
	if (k) *k = l->k;
	return 1;
}

/*
** The numbers facts_add gives the sets of facts it makes (see Facts):
** unique across the threads of a check, which share the sets of code
** types.  A thread takes them 2^20 at a time, so that threads do not
** contend for one counter.
*/
enum { GEN_BLOCK = 1 << 20 };
static _Atomic uint64_t gen_blocks;
static _Thread_local uint64_t gen_next, gen_end;

static uint64_t new_gen(void)
{
	if (gen_next == gen_end) {
		uint64_t b = atomic_fetch_add_explicit(&gen_blocks, 1, memory_order_relaxed);
		gen_next = b * GEN_BLOCK + 1;   /* never 0: 0 means "no number" */
		gen_end = (b + 1) * GEN_BLOCK;
	}
	return gen_next++;
}

/* A set's sum once l joins it: a hash of its facts in order (0 for none). */
static uint64_t sum_with(uint64_t sum, const Lin *l)
{
	return (sum ^ lin_hash(l)) * UINT64_C(0x9e3779b97f4a7c15) + 1;
}

/*
** The fact written in f->f[f->n], the slot past the last (there is one:
** n < FACTS_MAX), joins them unless it is not ok or one of them already.
** Facts are made where they go rather than copied there (facts_rel).
*/
static void facts_commit(Facts *f)
{
	const Lin *l = &f->f[f->n];
	if (!l->ok) return;
	for (int i = 0; i < f->n; i++)
		if (lin_identical(&f->f[i], l)) return;
	f->n++;
	f->gen = new_gen();
	f->sum = sum_with(f->sum, l);
}

void facts_subset(const Facts *f, uint64_t keep, Facts *out)
{
	out->n = 0;
	out->sum = 0;
	for (int i = 0; i < f->n; i++)
		if (keep >> i & 1) {
			out->f[out->n] = f->f[i];
			out->sum = sum_with(out->sum, &f->f[i]);
			out->n++;
		}
	out->gen = new_gen();
}

void facts_add(Facts *f, const Lin *l)
{
	if (!l->ok || f->n == FACTS_MAX) return;
	f->f[f->n] = *l;
	facts_commit(f);
}

static const Lin one = {.ok = 1, .k = 1};

/* The slot past f's last fact set to a - b, or NULL when f is full. */
static Lin *facts_diff(Facts *f, const Lin *a, const Lin *b)
{
	if (f->n == FACTS_MAX) return NULL;
	Lin *d = &f->f[f->n];
	*d = *a;
	lin_addto(d, b, -1);
	return d;
}

/* a < b, a <= b, a == b as facts. */
void facts_rel(Facts *f, const Lin *a, const Lin *b, int rel)
{
	if (rel != TY_CLT && rel != TY_CLE && rel != TY_CEQ) return;
	Lin *d = facts_diff(f, b, a);           /* b - a */
	if (!d) return;
	if (rel == TY_CLT) lin_addto(d, &one, -1);
	facts_commit(f);
	if (rel == TY_CEQ && facts_diff(f, a, b)) facts_commit(f);   /* a - b */
}

/*
** l >= 0 plainly: l is ok, its constant is >= 0, and each term is c*v
** with c > 0, non-negative as every variable is a size.
*/
static int plainly_nonneg(const Lin *l)
{
	if (!l->ok || l->k < 0) return 0;
	for (int i = 0; i < l->n; i++)
		if (l->c[i] <= 0) return 0;
	return 1;
}

/*
** The rule.  g >= 0 from the facts: g minus at most three facts is a sum
** of non-negative terms.  Three covers a bound through two constraints and
** a size's upper limit (i <= n - m, j <= m, n < 2^48  =>  i + j < 2^48).
** Precisely: g is proven when, for some i <= j <= k (or fewer facts),
** ((g - f[i]) - f[j]) - f[k], each step a lin_add, is plainly non-negative.
** rule_holds is that test, for the facts pick[0..n) put in index order.
*/
enum { PICK_MAX = 3 };

/*
** The work of the search, for the checker's count of steps ([type.size]):
** each difference taken and each test of the rule, in this thread.
*/
_Thread_local uint64_t tc_facts_work;


static int rule_holds(const Facts *f, const Lin *g, const int *pick, int n)
{
	int p[PICK_MAX];
	tc_facts_work++;
	memcpy(p, pick, (size_t)n * sizeof *p);
	for (int i = 1; i < n; i++)          /* into index order */
		for (int j = i; j > 0 && p[j - 1] > p[j]; j--) {
			int t = p[j];
			p[j] = p[j - 1];
			p[j - 1] = t;
		}
	Lin r = *g;
	for (int i = 0; i < n; i++) lin_addto(&r, &f->f[p[i]], -1);
	return plainly_nonneg(&r);
}

/*
** The search finds facts for the rule without trying every choice.  It
** takes facts one at a time, in any order, and follows the plain
** difference g - f[a] - f[b] - ...: exact sums, one entry per variable
** and one for the constant, no limit on terms.  When the rule holds for
** some facts, their plain difference has no negative entry (lin_add is
** exact when it stays ok).  So, with d the difference so far:
**
**  - a fact lin_add refuses (not ok, a coefficient beyond 4096, a constant
**    beyond 2^56; any fact when g's constant is beyond 2^56) is not taken;
**  - if d has a negative entry, the facts still to come sum to at most
**    that entry there, so one of them is negative there: the next fact is
**    one of those, for the negative entry with the fewest;
**  - if d has none, rule_holds decides for the facts taken; if it does
**    not hold (a step of lin_add refused: a seventh term on the way, or a
**    constant beyond 2^56), adding facts may still help, so any fact may
**    come next;
**  - once all choices taking fact a next have been tried, the later ones
**    at that point do not take a: every set of facts with a was among them.
**
** So every set of facts the rule accepts is reached, and the answer is
** the rule's.
*/
typedef struct Diff { int n; StrId v[(PICK_MAX + 1) * LIN_MAX]; int64_t c[(PICK_MAX + 1) * LIN_MAX]; int64_t k; } Diff;

typedef struct Search {
	const Facts *f;
	const Lin *g;
	uint64_t usable;        /* bit i: lin_add accepts f[i] */
	int pick[PICK_MAX];     /* the facts taken, in the order taken */
	Diff d[PICK_MAX + 1];   /* d[n]: g minus the first n facts taken */
} Search;

_Static_assert(FACTS_MAX <= 64, "a fact set is a 64-bit mask");

/*
** Add c*v to d.  Exact: a fact taken changes an entry by at most 4096, or
** 2^56 for the constant, and no goal comes near 2^63 (lin_of's
** coefficients stay below 2^37).
*/
static void diff_term(Diff *d, StrId v, int64_t c)
{
	for (int i = 0; i < d->n; i++)
		if (d->v[i] == v) {
			d->c[i] += c;
			return;
		}
	d->v[d->n] = v;
	d->c[d->n++] = c;
}

/* to = from - l */
static void diff_sub(Diff *to, const Diff *from, const Lin *l)
{
	tc_facts_work++;
	to->n = from->n;
	for (int i = 0; i < from->n; i++) {
		to->v[i] = from->v[i];
		to->c[i] = from->c[i];
	}
	to->k = from->k - l->k;
	for (int i = 0; i < l->n; i++) diff_term(to, l->v[i], -l->c[i]);
}

/* lin_add(a, l, -1) is not refused because of l. */
static int usable(const Lin *l)
{
	const int64_t big = INT64_C(1) << 56;
	if (!l->ok || l->k > big || l->k < -big) return 0;
	for (int i = 0; i < l->n; i++)
		if (l->c[i] > 4096 || l->c[i] < -4096) return 0;
	return 1;
}

/* The usable facts with a negative coefficient for *v (the constant when v is NULL). */
static uint64_t negative_at(const Search *s, const StrId *v)
{
	uint64_t m = 0;
	for (int i = 0; i < s->f->n; i++) {
		const Lin *l = &s->f->f[i];
		int64_t c = v ? 0 : l->k;
		for (int j = 0; v && j < l->n; j++)
			if (l->v[j] == *v) c += l->c[j];
		if (c < 0) m |= UINT64_C(1) << i;
	}
	return m & s->usable;
}

static int count(uint64_t m)
{
	int n = 0;
	for (; m; m &= m - 1) n++;
	return n;
}

/* The facts one of which must come next, when d has a negative entry. */
static uint64_t next_facts(const Search *s, const Diff *d)
{
	uint64_t best = d->k < 0 ? negative_at(s, NULL) : s->usable;
	int nbest = d->k < 0 ? count(best) : FACTS_MAX + 1;
	for (int i = 0; i < d->n && nbest; i++)
		if (d->c[i] < 0) {
			uint64_t m = negative_at(s, &d->v[i]);
			if (count(m) < nbest) best = m, nbest = count(m);
		}
	return best;
}

static int has_negative(const Diff *d)
{
	if (d->k < 0) return 1;
	for (int i = 0; i < d->n; i++)
		if (d->c[i] < 0) return 1;
	return 0;
}

/* n facts taken, d[n] the difference; the facts in skip are not taken next. */
static int search(Search *s, int n, uint64_t skip)
{
	uint64_t next;
	if (has_negative(&s->d[n])) {
		if (n == PICK_MAX) return 0;
		next = next_facts(s, &s->d[n]);
	} else {
		if (rule_holds(s->f, s->g, s->pick, n)) return 1;
		if (n == PICK_MAX) return 0;
		next = s->usable;
	}
	for (int i = 0; next & ~skip; i++) {        /* each one tried joins skip */
		uint64_t bit = UINT64_C(1) << i;
		if (!(next & ~skip & bit)) continue;
		s->pick[n] = i;
		diff_sub(&s->d[n + 1], &s->d[n], &s->f->f[i]);
		if (search(s, n + 1, skip)) return 1;
		skip |= bit;
	}
	return 0;
}

/* c's coefficient of v */
static int64_t coef(const Lin *l, StrId v)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i] == v) return l->c[i];
	return 0;
}

/*
** g - a - b (b may be NULL) has no negative entry: necessary for the rule
** to hold for {a, b}, and cheap.  |k| <= 2^56 for g and usable facts, and
** coefficients stay far below 2^62, so nothing here overflows.
*/
static int no_negative(const Lin *g, const Lin *a, const Lin *b)
{
	const Lin *l[3] = { g, a, b };
	if (g->k - a->k - (b ? b->k : 0) < 0) return 0;
	for (int x = 0; x < 3 && l[x]; x++)
		for (int i = 0; i < l[x]->n; i++) {
			StrId v = l[x]->v[i];
			if (x >= 1 && coef(g, v)) continue;           /* seen with g */
			if (x == 2 && coef(a, v)) continue;           /* seen with a */
			if (coef(g, v) - coef(a, v) - (b ? coef(b, v) : 0) < 0) return 0;
		}
	return 1;
}

/*
** Answers kept.  What prove answers depends on the goal and the facts
** f[0..n) alone, so the same goal from the same facts has the same
** answer.  The same facts are those of the same set (gen and n, see
** Facts): a block asks many goals twice (a bound at the access and again
** at the jump back, a size at inc and again at the jump); or, for a set
** of at most MEMO_FACTS facts, an equal one made apart (by sum, then fact
** by fact): blocks of one shape, in many functions, ask the same goals.
** Each thread keeps its own; gen numbers are unique across threads.
*/
enum { MEMO = 128, MEMO_FACTS = 8 };
static _Thread_local struct Memo { uint64_t gen, sum; int n, ans; Lin g; Lin f[MEMO_FACTS]; } memo[MEMO];

static struct Memo *memo_of(const Facts *f, const Lin *g, int *hit)
{
	uint64_t h = (f->sum * 0x9e3779b97f4a7c15u ^ (uint64_t)f->n ^ lin_hash(g)) * 0x9e3779b97f4a7c15u;
	struct Memo *m = &memo[(h >> 40) & (MEMO - 1)];
	*hit = m->n == f->n && lin_same(&m->g, g) &&
	       (m->gen == f->gen ||
	        (m->sum == f->sum && f->n <= MEMO_FACTS && !memcmp(m->f, f->f, (size_t)f->n * sizeof *f->f)));   /* Lin has no padding */
	return m;
}

static int prove(const Facts *f, const Lin *g);

int facts_prove(const Facts *f, const Lin *g)
{
	int hit;
	if (!g->ok) return 0;
	if (plainly_nonneg(g)) return 1;      /* most goals need no fact */
	if (!f->gen) return prove(f, g);
	struct Memo *m = memo_of(f, g, &hit);
	if (hit) return m->ans;
	int ans = prove(f, g);
	m->gen = f->gen, m->sum = f->sum, m->n = f->n, m->g = *g, m->ans = ans;
	if (f->n <= MEMO_FACTS) memcpy(m->f, f->f, (size_t)f->n * sizeof *f->f);
	return ans;
}

static int prove(const Facts *f, const Lin *g)
{
	const int64_t big = INT64_C(1) << 56;
	for (int i = 0; i < f->n; i++)        /* many others are a fact: the rule with it alone */
		if (lin_identical(&f->f[i], g) && usable(g)) return 1;
	Search s;
	s.f = f;
	s.g = g;
	s.usable = 0;
	for (int i = 0; g->k <= big && g->k >= -big && i < f->n; i++)
		if (usable(&f->f[i])) s.usable |= UINT64_C(1) << i;
	/* most others one fact or two: tried first, then the search; the
	   newest facts first, as a bound the code just tested is the usual one */
	for (int i = f->n - 1; i >= 0; i--) {
		if (!(s.usable >> i & 1)) continue;
		if (no_negative(g, &f->f[i], NULL) && rule_holds(f, g, &i, 1)) return 1;
		for (int j = 0; j < i; j++) {
			int p[2] = { j, i };
			if ((s.usable >> j & 1) && no_negative(g, &f->f[j], &f->f[i]) && rule_holds(f, g, p, 2)) return 1;
		}
	}
	s.d[0].n = 0;
	s.d[0].k = g->k;
	for (int i = 0; i < g->n; i++) diff_term(&s.d[0], g->v[i], g->c[i]);
	return search(&s, 0, 0);
}

int facts_prove_rel(const Facts *f, const Lin *a, const Lin *b, int rel)
{
	Lin d = *b, e;
	switch (rel) {
	case TY_CLT: lin_addto(&d, a, -1); lin_addto(&d, &one, -1); return facts_prove(f, &d);
	case TY_CLE: lin_addto(&d, a, -1); return facts_prove(f, &d);
	case TY_CEQ:
		lin_addto(&d, a, -1);                /* b - a */
		if (!facts_prove(f, &d)) return 0;
		e = *a;
		lin_addto(&e, b, -1);                /* a - b */
		return facts_prove(f, &e);
	case TY_CNE: {
		int64_t k;
		e = *a;
		lin_addto(&e, b, -1);                /* a - b */
		if (lin_is_const(&e, &k) && k != 0) return 1;
		d = e;
		lin_addto(&d, &one, -1);             /* a - b - 1 */
		if (facts_prove(f, &d)) return 1;
		d = lin_const(-1);
		lin_addto(&d, &e, -1);               /* b - a - 1 */
		return facts_prove(f, &d);
	}
	}
	return 0;
}
