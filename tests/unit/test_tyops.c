/*
** test_tyops.c - what an unknown of each sort may stand for when ty_leq
** solves it.  The sort check ([type.sort]) keeps a variable from a place
** of another sort in every declared type; ty_leq refuses such a binding
** on its own as well, and only a type table made by hand reaches that.
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

typedef struct Fx { TyTable t; TyOps o; Facts f; TyId u8, i64, nil, s, cons, e; StrId ename; } Fx;

static TyId leaf(TyTable *t, int kind) { return ty_node(t, kind, 0, 0, 0, NULL, 0); }

static int setup(void **state)
{
	Fx *x = calloc(1, sizeof *x);
	if (!x) return -1;
	ty_init(&x->t);
	x->u8 = leaf(&x->t, TY_U8);
	x->i64 = leaf(&x->t, TY_INT);
	x->nil = leaf(&x->t, TY_SNIL);
	x->s = ty_node(&x->t, TY_VAR, 0, ty_str(&x->t, "s", 1), 0, NULL, 0);
	TyId kids[2] = { x->i64, x->s };
	x->cons = ty_node(&x->t, TY_SCONS, 0, 0, 0, kids, 2);
	x->ename = ty_str(&x->t, "e", 1);
	x->e = ty_node(&x->t, TY_VAR, 0, x->ename, 0, NULL, 0);
	tyops_init(&x->o, &x->t);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	Fx *x = *state;
	tyops_free(&x->o);
	ty_free(&x->t);
	free(x);
	return 0;
}

/* ty_leq(a, e) with e an unknown of this sort: 1 with e bound to a, or 0 (o.err). */
static int solve(Fx *x, TyId a, int sort, TyId *val)
{
	Subst u = { .n = 1 };
	u.name[0] = x->ename;
	u.sort[0] = (uint8_t)sort;
	x->o.budget = TYOPS_BUDGET;
	int ok = ty_leq(&x->o, a, x->e, &u, &x->f);
	*val = u.val[0];
	return ok;
}

/* One case: ty_leq(value, e) with e an unknown of `sort`, and what it must say (err NULL: bound to the value). */
typedef struct Case { const char *what; int sort; const char *err; } Case;

static void run_cases(Fx *x, const TyId *vals, const Case *cs, int n)
{
	for (int i = 0; i < n; i++) {
		TyId v;
		int ok = solve(x, vals[i], cs[i].sort, &v);
		print_message("%s\n", cs[i].what);
		assert_int_equal(ok, cs[i].err == NULL);
		if (cs[i].err) assert_non_null(strstr(x->o.err, cs[i].err));
		else assert_int_equal(v, vals[i]);
	}
}

static void test_stack_unknown(void **state)
{
	Fx *x = *state;
	const TyId vals[] = { x->cons, x->nil, x->s, x->u8, x->i64 };
	const Case cs[] = {
		{ "int :: s", TK_STACK, NULL },
		{ "empty", TK_STACK, NULL },
		{ "a stack variable", TK_STACK, NULL },
		{ "u8: no stack", TK_STACK, "a stack variable stands for a stack" },
		{ "int: no stack", TK_STACK, "a stack variable stands for a stack" },
	};
	run_cases(x, vals, cs, 5);
}

static void test_type_unknown(void **state)
{
	Fx *x = *state;
	const TyId vals[] = { x->i64, x->u8, x->cons };
	const Case cs[] = {
		{ "int", TK_TYPE, NULL },
		{ "u8: no word", TK_TYPE, "a type variable stands for a word" },
		{ "int :: s: no word", TK_TYPE, "a type variable stands for a word" },
	};
	run_cases(x, vals, cs, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stack_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_unknown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
