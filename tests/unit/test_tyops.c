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

static void test_stack_unknown(void **state)
{
	Fx *x = *state;
	TyId v;
	assert_int_equal(solve(x, x->cons, TK_STACK, &v), 1);
	assert_int_equal(v, x->cons);
	assert_int_equal(solve(x, x->nil, TK_STACK, &v), 1);
	assert_int_equal(solve(x, x->s, TK_STACK, &v), 1);
	/* a stack variable standing for a byte, or a word: refused */
	assert_int_equal(solve(x, x->u8, TK_STACK, &v), 0);
	assert_non_null(strstr(x->o.err, "a stack variable stands for a stack"));
	assert_int_equal(solve(x, x->i64, TK_STACK, &v), 0);
	assert_non_null(strstr(x->o.err, "a stack variable stands for a stack"));
}

static void test_type_unknown(void **state)
{
	Fx *x = *state;
	TyId v;
	assert_int_equal(solve(x, x->i64, TK_TYPE, &v), 1);
	assert_int_equal(v, x->i64);
	assert_int_equal(solve(x, x->u8, TK_TYPE, &v), 0);
	assert_non_null(strstr(x->o.err, "a type variable stands for a word"));
	assert_int_equal(solve(x, x->cons, TK_TYPE, &v), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stack_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_type_unknown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
