/*
** test_types.c - the type table, its printer, and the `.tal.types` and
** `.tal.lines` codecs, including decoding of broken and hostile bytes.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "types.h"

/* ---- helpers ---- */

/* Make a node from a name and a list of kids. */
static TyId mk(TyTable *t, int kind, int flags, const char *name, int64_t value, int nk, ...)
{
	TyId kids[16];
	va_list ap;
	va_start(ap, nk);
	for (int i = 0; i < nk; i++)
		kids[i] = va_arg(ap, TyId);
	va_end(ap);
	StrId s = name ? ty_str(t, name, strlen(name)) : 0;
	return ty_node(t, kind, flags, s, value, kids, nk);
}

#define LEAF(k) mk(t, (k), 0, NULL, 0, 0)
#define VAR(n) mk(t, TY_VAR, 0, (n), 0, 0)
#define CONST(v) mk(t, TY_ICONST, 0, NULL, (v), 0)
#define OP(k, a, b) mk(t, (k), 0, NULL, 0, 2, (a), (b))

/* Print into a static-sized buffer and return it (valid until the next call). */
static const char *pr(const TyTable *t, TyId id)
{
	static char buf[4096];
	size_t n = ty_print(t, id, buf, sizeof buf);
	assert_int_equal(n, strlen(buf));
	return buf;
}

/* The ids of interesting nodes of the full table. */
typedef struct Full {
	TyId code, ex, mu, arr, list, ptr, rec, scons, name, sub;
} Full;

/* A table with every node kind, every entry kind and every annotation op. */
static Full build_full(TyTable *t)
{
	Full f;
	TyId i = LEAF(TY_INT), u8 = LEAF(TY_U8), u64 = LEAF(TY_U64);
	LEAF(TY_U16);
	LEAF(TY_U32);
	LEAF(TY_ANY);
	LEAF(TY_LIMIT);
	LEAF(TY_BUDGET);
	TyId n = VAR("n"), a = VAR("a"), s = VAR("s");
	TyId sing = mk(t, TY_SING, 0, NULL, 0, 1, n);
	f.name = mk(t, TY_NAME, 0, "list", 0, 2, i, a);
	TyId hd = mk(t, TY_FIELD, TF_RW, "hd", 0, 1, sing);
	TyId tl = mk(t, TY_FIELD, TF_R | TF_UNINIT, "tl", 0, 1, a);
	f.rec = mk(t, TY_RECORD, 0, NULL, 0, 2, hd, tl);
	f.ptr = mk(t, TY_PTR, TF_NULLABLE, NULL, 0, 1, f.rec);
	f.mu = mk(t, TY_MU, 0, "a", 0, 1, f.ptr);
	TyId mul = OP(TY_IMUL, CONST(4), n);
	TyId add = OP(TY_IADD, mul, CONST(1));
	f.sub = OP(TY_ISUB, add, n);
	f.arr = mk(t, TY_ARRAY, TF_W, NULL, 0, 2, u8, f.sub);
	TyId snil = LEAF(TY_SNIL);
	f.scons = OP(TY_SCONS, i, OP(TY_SCONS, u64, s));
	TyId ba = mk(t, TY_BINDER, TK_TYPE, "a", 0, 0);
	TyId bs = mk(t, TY_BINDER, TK_STACK, "s", 0, 0);
	TyId bn = mk(t, TY_BINDER, TK_SIZE, "n", 0, 0);
	TyId clt = OP(TY_CLT, CONST(0), n), cle = OP(TY_CLE, n, CONST(100));
	TyId ceq = OP(TY_CEQ, n, CONST(-7)), cne = OP(TY_CNE, n, CONST(3));
	TyId rax = mk(t, TY_REG, 0, NULL, 0, 1, i);
	TyId rsp = mk(t, TY_REG, 4, NULL, 0, 1, f.scons);
	TyId r15 = mk(t, TY_REG, 15, NULL, 0, 1, mk(t, TY_PTR, 0, NULL, 0, 1, f.arr));
	TyId sreq = mk(t, TY_STACKREQ, 0, NULL, 0, 1, CONST(64));
	TyId freq = mk(t, TY_FUELREQ, 0, NULL, 0, 1, CONST(10));
	TyId kids[] = { ba, bs, bn, clt, cle, rax, rsp, r15, sreq, freq };
	f.code = ty_node(t, TY_CODE, 0, 0, 0, kids, 10);
	f.ex = mk(t, TY_EXISTS, 0, NULL, 0, 4, bn, ceq, cne, mk(t, TY_PTR, 0, NULL, 0, 1, f.arr));
	f.list = mk(t, TY_LIST, 0, NULL, 0, 6, snil, CONST(INT64_MIN), CONST(INT64_MAX), f.mu, f.ex,
	            mk(t, TY_SPTR, 0, NULL, 0, 1, f.scons));

	StrId file = ty_str(t, "main.s", 6);
	TyId tdef = mk(t, TY_LIST, 0, NULL, 0, 2, ba, f.mu);
	struct { TyEntry e; TyPos p; } e[] = {
		{ { E_TYPEDEF, SEC_NONE, ty_str(t, "list", 4), 0, tdef }, { file, 1, 1 } },
		{ { E_LABEL, SEC_TEXT, ty_str(t, "f", 1), 0x10, f.code }, { file, 2, 3 } },
		{ { E_OBJECT, SEC_RODATA, ty_str(t, "k", 1), 8, f.arr }, { file, 3, 1 } },
		{ { E_OBJECT, SEC_DATA, ty_str(t, "g", 1), UINT32_MAX, f.rec }, { file, 4, 1 } },
		{ { E_OBJECT, SEC_BSS, ty_str(t, "z", 1), 0, f.rec }, { file, UINT32_MAX, UINT32_MAX } },
		{ { E_IMPORT, SEC_NONE, ty_str(t, "ext", 3), 0, f.code }, { file, 5, 1 } },
		{ { E_EXPORT, SEC_NONE, ty_str(t, "f", 1), 0, 0 }, { file, 6, 1 } },
	};
	for (size_t j = 0; j < sizeof e / sizeof *e; j++)
		ty_add_entry(t, &e[j].e, e[j].p);
	TyId args = mk(t, TY_LIST, 0, NULL, 0, 2, i, snil);
	TyAnnot an[] = {
		{ 0, A_FOLD, L_REG, 0, 0, 0, f.mu, 0, file, 7, 2 },
		{ 3, A_UNFOLD, L_STACK, 1, 0, -8, 0, 0, file, 8, 2 },
		{ 3, A_PACK, L_REG, 0, 15, 0, f.ex, args, file, 9, 2 },
		{ 9, A_UNPACK, L_STACK, 0, 0, INT32_MIN, 0, args, file, 10, 2 },
		{ 12, A_INST, L_REG, 1, 3, 0, 0, args, file, 11, 2 },
		{ UINT32_MAX, A_SUBSUME, L_STACK, 0, 0, INT32_MAX, f.rec, 0, file, 12, UINT32_MAX },
	};
	for (size_t j = 0; j < sizeof an / sizeof *an; j++)
		ty_add_annot(t, &an[j]);
	return f;
}

/* The encoding of the full table, in a malloc'ed buffer. */
static Buf full_bytes(void)
{
	TyTable t;
	Buf b = { 0 };
	ty_init(&t);
	build_full(&t);
	ty_encode(&t, &b);
	ty_free(&t);
	return b;
}

/* Decode `n` bytes into a fresh table; check the failure contract:
   -1 leaves the table empty and sets an "offset N: ..." message. */
static int decode(const uint8_t *p, size_t n, char *err, size_t cap)
{
	TyTable t;
	ty_init(&t);
	int rc = ty_decode(&t, p, n, err, cap);
	if (rc < 0) {
		assert_int_equal(rc, -1);
		assert_int_equal(t.nnode, 1);
		assert_int_equal(t.nstr, 1);
		assert_int_equal(t.nent, 0);
		assert_int_equal(t.nann, 0);
		assert_true(!strncmp(err, "offset ", 7));
	} else {
		assert_int_equal(rc, 0);
		Buf again = { 0 };
		ty_encode(&t, &again);    /* a decodable section is canonical */
		assert_int_equal(again.n, n);
		assert_memory_equal(again.p, p, n);
		free(again.p);
	}
	ty_free(&t);
	return rc;
}

/* Expect decoding to fail with `want` somewhere in the message. */
static void reject(const Buf *b, const char *want)
{
	char err[256];
	int rc = decode(b->p, b->n, err, sizeof err);
	if (rc != -1 || !strstr(err, want))
		fail_msg("want error containing \"%s\", got rc %d \"%s\"", want, rc, err);
}

/* A section header. */
static void hdr(Buf *b, const char *magic, unsigned version)
{
	uint8_t h[8] = { 0, 0, 0, 0, version & 0xff, version >> 8, 0, 0 };
	memcpy(h, magic, 4);
	buf_put(b, h, 8);
}

/* ---- the table ---- */

static void test_strings(void **state)
{
	TyTable t;
	ty_init(&t);
	assert_string_equal(ty_strof(&t, 0), "");
	assert_int_equal(ty_str(&t, "", 0), 0);
	StrId a = ty_str(&t, "abc", 3);
	assert_int_equal(a, 1);
	assert_int_equal(ty_str(&t, "abcdef", 3), a);   /* only len bytes count */
	StrId b = ty_str(&t, "abd", 3);
	assert_int_not_equal(a, b);
	assert_string_equal(ty_strof(&t, b), "abd");
	assert_string_equal(ty_strof(&t, 999), "");
	char name[32];
	for (int i = 0; i < 5000; i++) {          /* through several rehashes */
		snprintf(name, sizeof name, "s%d", i);
		assert_int_equal(ty_str(&t, name, strlen(name)), (StrId)(i + 3));
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof name, "s%d", i);
		assert_int_equal(ty_str(&t, name, strlen(name)), (StrId)(i + 3));
	}
	ty_free(&t);
}

/* A string is kept in its 16-byte slot up to 15 bytes, elsewhere from 16, or when it holds a NUL: text and length come back either way. */
static void test_strings_slots(void **state)
{
	TyTable t;
	ty_init(&t);
	char buf[40];
	StrId id[40], nul[40];
	for (int n = 1; n < 40; n++) {
		for (int i = 0; i < n; i++) buf[i] = (char)('a' + (n + i) % 26);
		id[n] = ty_str(&t, buf, (size_t)n);
		buf[n / 2] = 0;   /* the same with a NUL inside: another string, its length all of it */
		nul[n] = ty_str(&t, buf, (size_t)n);
	}
	for (int n = 1; n < 40; n++) {
		for (int i = 0; i < n; i++) buf[i] = (char)('a' + (n + i) % 26);
		assert_int_equal(ty_strlen(&t, id[n]), n);
		assert_memory_equal(ty_str_text(&t, id[n]), buf, (size_t)n);
		assert_int_equal(ty_str_text(&t, id[n])[n], 0);
		assert_int_equal(strlen(ty_strof(&t, id[n])), n);
		assert_int_equal(ty_str_find(&t, buf, (size_t)n), id[n]);
		buf[n / 2] = 0;
		assert_int_not_equal(nul[n], id[n]);
		assert_int_equal(ty_strlen(&t, nul[n]), n);
		assert_memory_equal(ty_str_text(&t, nul[n]), buf, (size_t)n);
		assert_int_equal(ty_str_find(&t, buf, (size_t)n), nul[n]);
	}
	ty_free(&t);
}

static void test_hashcons(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	TyId i = LEAF(TY_INT);
	assert_int_equal(i, 1);
	assert_int_equal(LEAF(TY_INT), i);
	TyId f = mk(t, TY_FIELD, TF_RW, "x", 0, 1, i);
	assert_int_equal(mk(t, TY_FIELD, TF_RW, "x", 0, 1, i), f);
	assert_int_not_equal(mk(t, TY_FIELD, TF_R, "x", 0, 1, i), f);
	assert_int_not_equal(mk(t, TY_FIELD, TF_RW, "y", 0, 1, i), f);
	TyId r = mk(t, TY_RECORD, 0, NULL, 0, 1, f);
	TyId p1 = mk(t, TY_PTR, 0, NULL, 0, 1, r);
	TyId p2 = mk(t, TY_PTR, 0, NULL, 0, 1, mk(t, TY_RECORD, 0, NULL, 0, 1,
	                                          mk(t, TY_FIELD, TF_RW, "x", 0, 1, LEAF(TY_INT))));
	assert_int_equal(p1, p2);
	assert_int_not_equal(mk(t, TY_PTR, TF_NULLABLE, NULL, 0, 1, r), p1);
	/* kid order matters */
	TyId u = LEAF(TY_U8);
	assert_int_not_equal(OP(TY_SCONS, i, u), OP(TY_SCONS, u, i));
	/* constants differ by value; other kinds ignore it */
	assert_int_not_equal(CONST(1), CONST(2));
	assert_int_equal(CONST(-5), CONST(-5));
	assert_int_equal(mk(t, TY_INT, 0, NULL, 42, 0), i);
	assert_int_equal(ty_get(t, i)->value, 0);
	assert_int_equal(ty_get(t, CONST(-5))->value, -5);
	/* the node keeps what it was given */
	const TyNode *n = ty_get(t, f);
	assert_int_equal(n->kind, TY_FIELD);
	assert_int_equal(n->flags, TF_RW);
	assert_string_equal(ty_strof(t, n->name), "x");
	assert_int_equal(n->nkids, 1);
	assert_int_equal(ty_kid(t, f, 0), i);
	/* many nodes survive rehashing and are found again */
	TyId first = CONST(1000);
	for (int k = 1; k < 100000; k++)
		assert_int_equal(CONST(1000 + k), first + (TyId)k);
	uint32_t nn = t->nnode;
	for (int k = 0; k < 100000; k++)
		assert_int_equal(CONST(1000 + k), first + (TyId)k);
	assert_int_equal(t->nnode, nn);
	ty_free(t);
}

/*
** Variables with made-up names, and S(v) of them, are kept by number, not
** in the hash-cons table: still one node per name, through rehashing, next
** to the other nodes that name them, and in a fork (which has the same ones).
*/
static void test_fresh_vars(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	enum { N = 3000 };
	static TyId var[N], sing[N];
	for (int k = 0; k < N; k++) {
		StrId v = ty_str_fresh(t, "v");
		var[k] = ty_node(t, TY_VAR, 0, v, 0, NULL, 0);
		assert_int_not_equal(var[k], 0);
		assert_int_equal(ty_node(t, TY_VAR, 0, v, 0, NULL, 0), var[k]);
		sing[k] = ty_node(t, TY_SING, 0, 0, 0, &var[k], 1);
		assert_int_not_equal(sing[k], var[k]);
		CONST(k);   /* other nodes in between, and rehashing */
	}
	StrId named = ty_str(t, "n", 1);
	TyId nv = ty_node(t, TY_VAR, 0, named, 0, NULL, 0);
	for (int k = 0; k < N; k++) {
		StrId v = TY_FRESH + (StrId)k;
		assert_int_equal(ty_node(t, TY_VAR, 0, v, 0, NULL, 0), var[k]);
		assert_int_equal(ty_node(t, TY_SING, 0, 0, 0, &var[k], 1), sing[k]);
		assert_int_not_equal(var[k], nv);
	}
	assert_int_equal(ty_node(t, TY_VAR, 0, named, 0, NULL, 0), nv);
	TyId snv = ty_node(t, TY_SING, 0, 0, 0, &nv, 1);   /* S(n): in the table */
	assert_int_equal(ty_node(t, TY_SING, 0, 0, 0, &nv, 1), snv);
	for (int k = 0; k < N; k++) assert_int_not_equal(sing[k], snv);
	/* a made-up name the table has not made is refused, as any unknown name */
	assert_int_equal(ty_node(t, TY_VAR, 0, TY_FRESH + N, 0, NULL, 0), 0);
	TyTable f;
	ty_fork(&f, t);
	uint32_t nn = f.nnode;
	for (int k = 0; k < N; k += 97) {
		assert_int_equal(ty_node(&f, TY_VAR, 0, TY_FRESH + (StrId)k, 0, NULL, 0), var[k]);
		assert_int_equal(ty_node(&f, TY_SING, 0, 0, 0, &var[k], 1), sing[k]);
	}
	StrId w = ty_str_fresh(&f, "w");
	TyId wv = ty_node(&f, TY_VAR, 0, w, 0, NULL, 0);
	assert_int_equal(wv, nn);
	assert_int_equal(ty_node(&f, TY_VAR, 0, w, 0, NULL, 0), wv);
	TyId swv = ty_node(&f, TY_SING, 0, 0, 0, &wv, 1);
	assert_int_equal(swv, nn + 1);
	assert_int_equal(ty_node(&f, TY_SING, 0, 0, 0, &wv, 1), swv);
	assert_int_equal(t->nfresh, N);   /* the original is as it was */
	ty_free(&f);
	ty_free(t);
	/* a fork of a table that has made up no name yet: its first one is a new node */
	ty_init(t);
	TyId i = LEAF(TY_INT);
	ty_fork(&f, t);
	StrId u = ty_str_fresh(&f, "u");
	TyId uv = ty_node(&f, TY_VAR, 0, u, 0, NULL, 0);
	assert_int_equal(uv, t->nnode);
	assert_int_not_equal(uv, i);
	assert_int_equal(ty_get(&f, uv)->kind, TY_VAR);
	assert_int_equal(ty_node(&f, TY_VAR, 0, u, 0, NULL, 0), uv);
	ty_free(&f);
	ty_free(t);
}

/*
** A fork finds the nodes of the table it was made from through that
** table's own hash-cons table, read in place, and keeps only those it
** makes in its own: the same ids for old nodes, new ids past them, its
** own table grown as it makes many, and the original untouched.
*/
static void test_fork_shares_table(void **state)
{
	(void)state;
	TyTable tt, *t = &tt, f;
	enum { N = 3000 };
	TyId c[N];
	ty_init(t);
	for (int k = 0; k < N; k++) c[k] = CONST(k);
	TyId arr = mk(t, TY_ARRAY, TF_R, NULL, 0, 2, LEAF(TY_U64), c[7]);
	uint32_t nn = t->nnode, cap = t->caphash;
	ty_fork(&f, t);
	assert_int_equal(f.caphash, 0);   /* nothing of its own yet */
	for (int k = 0; k < N; k += 7)
		assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, k, NULL, 0), c[k]);
	TyId kids[2] = { ty_node(&f, TY_U64, 0, 0, 0, NULL, 0), c[7] };
	assert_int_equal(ty_node(&f, TY_ARRAY, TF_R, 0, 0, kids, 2), arr);
	assert_int_equal(f.nnode, nn);
	TyId mine[N];
	for (int k = 0; k < N; k++) {
		mine[k] = ty_node(&f, TY_ICONST, 0, 0, N + k, NULL, 0);
		assert_int_equal(mine[k], nn + (TyId)k);
	}
	for (int k = 0; k < N; k++) {   /* found again after its table grew */
		assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, N + k, NULL, 0), mine[k]);
		assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, k, NULL, 0), c[k]);
	}
	assert_true(f.caphash >= 2 * N);
	assert_int_equal(t->nnode, nn);   /* the original is as it was */
	assert_int_equal(t->caphash, cap);
	/* a fork of the fork: the original's nodes through the same table, the fork's through a copy of its own */
	TyTable g;
	ty_fork(&g, &f);
	assert_int_equal(ty_node(&g, TY_ICONST, 0, 0, 11, NULL, 0), c[11]);
	assert_int_equal(ty_node(&g, TY_ICONST, 0, 0, N + 11, NULL, 0), mine[11]);
	uint32_t fn = f.nnode;
	assert_int_equal(ty_node(&g, TY_ICONST, 0, 0, 3 * N, NULL, 0), fn);
	assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, 3 * N, NULL, 0), fn);   /* made in g only: f makes it anew, at the same id */
	assert_int_equal(f.nnode, fn + 1);
	ty_free(&g);
	ty_free(&f);
	assert_int_equal(ty_node(t, TY_ICONST, 0, 0, 5, NULL, 0), c[5]);   /* and still works */
	assert_int_equal(ty_node(t, TY_ICONST, 0, 0, N, NULL, 0), nn);
	ty_free(t);
}

/*
** A fork lent the original's arrays (ty_lend) makes its nodes in them,
** past the original's, while another fork copies them, and in arrays of
** its own once the original's room is used up: the original's nodes
** stay as they were, and freeing the fork leaves its arrays alone.
*/
static void test_lend(void **state)
{
	(void)state;
	TyTable tt, *t = &tt, f, g;
	enum { N = 3000 };
	TyId c[N];
	ty_init(t);
	for (int k = 0; k < N; k++) c[k] = CONST(k);
	uint32_t nn = t->nnode, nk = t->nkid;
	TyNode before = *ty_get(t, c[N - 1]);
	ty_lend(&f, t);
	ty_fork(&g, t);
	assert_ptr_equal(f.node, t->node);
	assert_int_equal(f.lent, LENT_NODE | LENT_KID);
	assert_int_equal(g.lent, 0);
	assert_ptr_not_equal(g.node, t->node);
	assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, 5, NULL, 0), c[5]);
	TyId s = ty_node(&f, TY_SING, 0, 0, 0, &c[5], 1);   /* in the original's room, if it has any */
	assert_int_equal(s, nn);
	assert_true(f.lent & LENT_NODE);   /* (3001 nodes in room for 4096) */
	assert_int_equal(ty_node(&g, TY_ICONST, 0, 0, 2 * N, NULL, 0), nn);   /* g: its own node nn */
	assert_int_equal(ty_get(&g, nn)->kind, TY_ICONST);
	assert_int_equal(ty_get(&f, nn)->kind, TY_SING);
	TyId mine[N];
	for (int k = 0; k < N; k++) {   /* more than the original's room: copied out */
		TyId kid = c[k];
		mine[k] = ty_node(&f, TY_SING, 0, 0, 0, &kid, 1);
		assert_int_equal(ty_get(&f, mine[k])->kind, TY_SING);
	}
	assert_int_equal(f.lent, 0);
	assert_ptr_not_equal(f.node, t->node);
	assert_ptr_not_equal(f.kid, t->kid);
	for (int k = 0; k < N; k++) {
		TyId kid = c[k];
		assert_int_equal(ty_node(&f, TY_SING, 0, 0, 0, &kid, 1), mine[k]);
		assert_int_equal(ty_kid(&f, mine[k], 0), c[k]);
		assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, k, NULL, 0), c[k]);
	}
	assert_int_equal(t->nnode, nn);   /* the original's nodes are as they were */
	assert_int_equal(t->nkid, nk);
	assert_memory_equal(ty_get(t, c[N - 1]), &before, sizeof before);
	ty_free(&f);
	ty_free(&g);
	/* a fork lent arrays, freed before it outgrew them: the original's are still its own */
	ty_lend(&f, t);
	assert_int_equal(ty_node(&f, TY_ICONST, 0, 0, -1, NULL, 0), nn);
	ty_free(&f);
	assert_int_equal(ty_node(t, TY_ICONST, 0, 0, 7, NULL, 0), c[7]);
	assert_int_equal(ty_node(t, TY_ICONST, 0, 0, -2, NULL, 0), nn);   /* the original goes on past its own */
	ty_free(t);
}

static void test_node_rejects(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	TyId i = LEAF(TY_INT);
	uint32_t nn = t->nnode;
	TyId zero[] = { 0 }, self[] = { 2 }, fwd[] = { 7 }, mixed[] = { i, 0 };
	assert_int_equal(ty_node(t, TY_PTR, 0, 0, 0, zero, 1), 0);
	assert_int_equal(ty_node(t, TY_PTR, 0, 0, 0, self, 1), 0);   /* would be its own kid */
	assert_int_equal(ty_node(t, TY_PTR, 0, 0, 0, fwd, 1), 0);
	assert_int_equal(ty_node(t, TY_LIST, 0, 0, 0, mixed, 2), 0);
	assert_int_equal(ty_node(t, TY_LIST, 0, 0, 0, NULL, 1), 0);
	assert_int_equal(ty_node(t, TY_LIST, 0, 0, 0, zero, -1), 0);
	assert_int_equal(ty_node(t, TY_NONE, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(ty_node(t, TY_NKINDS, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(ty_node(t, TY_VAR, 0, 99, 0, NULL, 0), 0);   /* no string 99 */
	assert_int_equal(ty_node(t, TY_INT, 256, 0, 0, NULL, 0), 0);
	assert_int_equal(t->nnode, nn);
	/* kid counts: 65535 fit in nkids, 65536 do not */
	TyId *many = malloc(65536 * sizeof *many);
	for (int k = 0; k < 65536; k++)
		many[k] = i;
	assert_int_equal(ty_node(t, TY_LIST, 0, 0, 0, many, 65536), 0);
	assert_int_equal(t->nnode, nn);
	TyId big = ty_node(t, TY_LIST, 0, 0, 0, many, 65535);
	assert_int_equal(big, nn);
	assert_int_equal(ty_get(t, big)->nkids, 65535);
	free(many);
	/* kids may be taken from the table itself, even as it grows */
	TyId l = mk(t, TY_LIST, 0, NULL, 0, 2, i, big);
	for (int k = 0; k < 100; k++) {
		TyId c = ty_node(t, TY_NAME, 0, ty_str(t, "m", 1), k, &t->kid[ty_get(t, l)->kids], 2);
		assert_int_not_equal(c, 0);
		assert_int_equal(ty_kid(t, c, 0), i);
		assert_int_equal(ty_kid(t, c, 1), big);
		l = mk(t, TY_LIST, 0, NULL, 0, 3, i, big, c);
	}
	ty_free(t);
}

/* Ill-sorted nodes get the right message; well-sorted ones none. */
static void test_sorts(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	TyId i = LEAF(TY_INT), n = VAR("n"), e = LEAF(TY_SNIL), k = CONST(2);
	TyId f = mk(t, TY_FIELD, TF_RW, "x", 0, 1, i), rec = mk(t, TY_RECORD, 0, NULL, 0, 1, f);
	TyId ba = mk(t, TY_BINDER, TK_TYPE, "a", 0, 0), rax = mk(t, TY_REG, 0, NULL, 0, 1, i);
	TyId clt = OP(TY_CLT, k, n);
	TyId sreq = mk(t, TY_STACKREQ, 0, NULL, 0, 1, k), fuel = mk(t, TY_FUELREQ, 0, NULL, 0, 1, k);
	struct { TyId id; const char *msg; } c[] = {
		{ mk(t, TY_ARRAY, TF_RW, NULL, 0, 2, i, i), "array length must be an index expression" },
		{ mk(t, TY_ARRAY, TF_RW, NULL, 0, 2, e, k), "array element must be a value type or a layout" },
		{ mk(t, TY_ARRAY, 0, NULL, 0, 2, i, k), "array permission must be ro, wo or rw" },
		{ mk(t, TY_PTR, 0, NULL, 0, 1, i), "pointer target must be a layout" },
		{ mk(t, TY_PTR, 2, NULL, 0, 1, rec), "bad pointer flags" },
		{ mk(t, TY_SING, 0, NULL, 0, 1, i), "S(e) needs an index expression" },
		{ mk(t, TY_SPTR, 0, NULL, 0, 1, i), "sptr(s) needs a stack type" },
		{ OP(TY_SCONS, e, e), "stack slot must be a value type" },
		{ OP(TY_SCONS, i, i), "rest of the stack must be a stack type" },
		{ OP(TY_IMUL, n, n), "multiplier must be an integer constant" },
		{ OP(TY_IMUL, k, i), "operand of * must be an index expression" },
		{ OP(TY_IADD, i, k), "operands of + and - must be index expressions" },
		{ OP(TY_CLE, k, e), "comparisons need index expressions" },
		{ mk(t, TY_STACKREQ, 0, NULL, 0, 1, i), "stack and fuel need an index expression" },
		{ mk(t, TY_RECORD, 0, NULL, 0, 1, i), "record members must be fields" },
		{ mk(t, TY_FIELD, 0, "y", 0, 1, i), "field permission must be ro, wo or rw" },
		{ mk(t, TY_FIELD, TF_RW, "y", 0, 1, k), "field type must be a value type or a layout" },
		{ mk(t, TY_MU, 0, "a", 0, 1, rec), "rec body must be a value type" },
		{ mk(t, TY_MU, 0, NULL, 0, 1, i), "variables, names, rec, fields and binders need a name" },
		{ mk(t, TY_VAR, 0, NULL, 0, 0), "variables, names, rec, fields and binders need a name" },
		{ mk(t, TY_BINDER, 4, "b", 0, 0), "binder sort must be type, stack or size" },
		{ mk(t, TY_INT, 1, NULL, 0, 0), "this kind of node has no flags" },
		{ mk(t, TY_U8, 0, NULL, 0, 1, i), "this kind of node has no kids" },
		{ mk(t, TY_REG, 4, NULL, 0, 1, i), "rsp must have a stack type" },
		{ mk(t, TY_REG, 0, NULL, 0, 1, e), "register type must be a value type" },
		{ mk(t, TY_REG, 16, NULL, 0, 1, i), "register must be rax..r15 with one type" },
		{ mk(t, TY_CODE, 0, NULL, 0, 2, rax, ba), "code type parts are out of order" },
		{ mk(t, TY_CODE, 0, NULL, 0, 2, rax, rax), "register appears twice in a code type" },
		{ mk(t, TY_CODE, 0, NULL, 0, 2, sreq, sreq), "code type parts are out of order" },
		{ mk(t, TY_CODE, 0, NULL, 0, 2, fuel, sreq), "code type parts are out of order" },
		{ mk(t, TY_CODE, 0, NULL, 0, 1, i), "code type parts must be binders, constraints, registers, stack and fuel" },
		{ mk(t, TY_EXISTS, 0, NULL, 0, 2, ba, k), "existential body must be a value type" },
		{ mk(t, TY_EXISTS, 0, NULL, 0, 3, clt, ba, i), "existential binders must come before constraints" },
		{ mk(t, TY_EXISTS, 0, NULL, 0, 0), "existential type needs a body" },
	};
	for (size_t j = 0; j < sizeof c / sizeof *c; j++) {
		assert_int_not_equal(c[j].id, 0);
		const char *m = ty_check_node(t, c[j].id);
		if (!m || strcmp(m, c[j].msg))
			fail_msg("case %zu (%s): got \"%s\"", j, pr(t, c[j].id), m ? m : "(null)");
	}
	/* variables and names fit any sort */
	TyId nm = mk(t, TY_NAME, 0, "T", 0, 0);
	assert_null(ty_check_node(t, mk(t, TY_PTR, 0, NULL, 0, 1, n)));
	assert_null(ty_check_node(t, mk(t, TY_ARRAY, TF_R, NULL, 0, 2, n, nm)));
	assert_null(ty_check_node(t, OP(TY_SCONS, nm, n)));
	assert_null(ty_check_node(t, OP(TY_IMUL, k, nm)));
	assert_null(ty_check_node(t, mk(t, TY_REG, 4, NULL, 0, 1, n)));
	assert_null(ty_check_node(t, mk(t, TY_PTR, 0, NULL, 0, 1, rec)));
	assert_null(ty_check_node(t, mk(t, TY_CODE, 0, NULL, 0, 0)));
	assert_string_equal(ty_check_node(t, 0), "no such node");
	assert_string_equal(ty_check_node(t, t->nnode), "no such node");
	ty_free(t);

	/* every node of the full table is well sorted */
	ty_init(t);
	build_full(t);
	for (TyId id = 1; id < t->nnode; id++)
		if (ty_check_node(t, id))
			fail_msg("node %u (%s): %s", id, pr(t, id), ty_check_node(t, id));
	ty_free(t);
}

/* ---- printing ---- */

static void test_print_kinds(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	Full f = build_full(t);
	TyId i = LEAF(TY_INT), n = VAR("n"), a = VAR("a"), b = VAR("b"), e = LEAF(TY_SNIL);
	assert_string_equal(pr(t, i), "int");
	assert_string_equal(pr(t, LEAF(TY_U8)), "u8");
	assert_string_equal(pr(t, LEAF(TY_U16)), "u16");
	assert_string_equal(pr(t, LEAF(TY_U32)), "u32");
	assert_string_equal(pr(t, LEAF(TY_U64)), "u64");
	assert_string_equal(pr(t, LEAF(TY_ANY)), "any");
	assert_string_equal(pr(t, LEAF(TY_LIMIT)), "limit");
	assert_string_equal(pr(t, LEAF(TY_BUDGET)), "budget");
	assert_string_equal(pr(t, e), "empty");
	assert_string_equal(pr(t, n), "n");
	assert_string_equal(pr(t, mk(t, TY_SING, 0, NULL, 0, 1, CONST(3))), "S(3)");
	assert_string_equal(pr(t, mk(t, TY_SPTR, 0, NULL, 0, 1, OP(TY_SCONS, i, e))), "sptr(int :: empty)");
	assert_string_equal(pr(t, mk(t, TY_NAME, 0, "T", 0, 0)), "T");
	assert_string_equal(pr(t, f.name), "list[int, a]");
	assert_string_equal(pr(t, f.rec), "{hd: S(n) rw, tl: a ro uninit}");
	assert_string_equal(pr(t, f.ptr), "?*{hd: S(n) rw, tl: a ro uninit}");
	assert_string_equal(pr(t, mk(t, TY_PTR, 0, NULL, 0, 1, f.arr)), "*[u8 wo; 4*n + 1 - n]");
	assert_string_equal(pr(t, f.mu), "rec a. ?*{hd: S(n) rw, tl: a ro uninit}");
	assert_string_equal(pr(t, mk(t, TY_RECORD, 0, NULL, 0, 0)), "{}");
	assert_string_equal(pr(t, mk(t, TY_FIELD, TF_W, "f", 0, 1, i)), "f: int wo");
	assert_string_equal(pr(t, f.scons), "int :: u64 :: s");
	assert_string_equal(pr(t, f.code),
		"code[a: type, s: stack, n: size | 0 < n, n <= 100] "
		"{rax: int, rsp: int :: u64 :: s, r15: *[u8 wo; 4*n + 1 - n]} stack 64 fuel 10");
	assert_string_equal(pr(t, f.ex), "exists[n: size | n == -7, n != 3]. *[u8 wo; 4*n + 1 - n]");
	assert_string_equal(pr(t, f.list),
		"[empty, -9223372036854775808, 9223372036854775807, "
		"rec a. ?*{hd: S(n) rw, tl: a ro uninit}, exists[n: size | n == -7, n != 3]. *[u8 wo; 4*n + 1 - n], "
		"sptr(int :: u64 :: s)]");
	assert_string_equal(pr(t, mk(t, TY_LIST, 0, NULL, 0, 0)), "[]");
	/* code types without binders, registers or clauses */
	TyId rbx = mk(t, TY_REG, 3, NULL, 0, 1, i);
	assert_string_equal(pr(t, mk(t, TY_CODE, 0, NULL, 0, 1, rbx)), "code {rbx: int}");
	assert_string_equal(pr(t, mk(t, TY_CODE, 0, NULL, 0, 0)), "code {}");
	TyId lt = OP(TY_CLT, CONST(0), n);
	assert_string_equal(pr(t, mk(t, TY_CODE, 0, NULL, 0, 1, lt)), "code[| 0 < n] {}");
	assert_string_equal(pr(t, mk(t, TY_EXISTS, 0, NULL, 0, 1, i)), "exists[]. int");
	/* parts on their own */
	assert_string_equal(pr(t, mk(t, TY_BINDER, TK_SIZE, "m", 0, 0)), "m: size");
	assert_string_equal(pr(t, rbx), "rbx: int");
	assert_string_equal(pr(t, mk(t, TY_REG, 8, NULL, 0, 1, i)), "r8: int");
	assert_string_equal(pr(t, mk(t, TY_STACKREQ, 0, NULL, 0, 1, CONST(8))), "stack 8");
	assert_string_equal(pr(t, mk(t, TY_FUELREQ, 0, NULL, 0, 1, n)), "fuel n");
	/* index expressions and constraints */
	assert_string_equal(pr(t, OP(TY_IADD, a, b)), "a + b");
	assert_string_equal(pr(t, OP(TY_ISUB, OP(TY_IADD, a, b), n)), "a + b - n");
	assert_string_equal(pr(t, OP(TY_ISUB, n, OP(TY_IADD, a, b))), "n - (a + b)");
	assert_string_equal(pr(t, OP(TY_IADD, n, OP(TY_ISUB, a, b))), "n + (a - b)");
	assert_string_equal(pr(t, OP(TY_IADD, n, CONST(-3))), "n + (-3)");
	assert_string_equal(pr(t, OP(TY_IADD, CONST(-3), n)), "-3 + n");
	assert_string_equal(pr(t, OP(TY_IMUL, CONST(2), OP(TY_IADD, n, CONST(1)))), "2*(n + 1)");
	assert_string_equal(pr(t, OP(TY_IMUL, CONST(2), OP(TY_IMUL, CONST(3), n))), "2*(3*n)");
	assert_string_equal(pr(t, OP(TY_IMUL, CONST(-2), n)), "(-2)*n");
	assert_string_equal(pr(t, OP(TY_CLT, a, b)), "a < b");
	assert_string_equal(pr(t, OP(TY_CLE, a, OP(TY_IADD, b, CONST(1)))), "a <= b + 1");
	assert_string_equal(pr(t, OP(TY_CEQ, a, b)), "a == b");
	assert_string_equal(pr(t, OP(TY_CNE, a, b)), "a != b");
	/* parentheses around open-ended types that something follows */
	assert_string_equal(pr(t, OP(TY_SCONS, OP(TY_SCONS, i, e), e)), "(int :: empty) :: empty");
	assert_string_equal(pr(t, OP(TY_SCONS, f.mu, e)), "(rec a. ?*{hd: S(n) rw, tl: a ro uninit}) :: empty");
	TyId sreq = mk(t, TY_STACKREQ, 0, NULL, 0, 1, CONST(8));
	TyId clause = mk(t, TY_CODE, 0, NULL, 0, 1, sreq);
	assert_string_equal(pr(t, OP(TY_SCONS, clause, e)), "(code {} stack 8) :: empty");
	assert_string_equal(pr(t, OP(TY_SCONS, mk(t, TY_CODE, 0, NULL, 0, 1, rbx), e)), "code {rbx: int} :: empty");
	TyId exs = mk(t, TY_EXISTS, 0, NULL, 0, 1, i);
	assert_string_equal(pr(t, mk(t, TY_FIELD, TF_RW, "g", 0, 1, clause)), "g: (code {} stack 8) rw");
	assert_string_equal(pr(t, mk(t, TY_ARRAY, TF_R, NULL, 0, 2, exs, n)), "[(exists[]. int) ro; n]");
	/* strange ids */
	assert_string_equal(pr(t, 0), "?");
	assert_string_equal(pr(t, t->nnode + 5), "?");
	ty_free(t);
}

static void test_print_bounded(void **state)
{
	TyTable tt, *t = &tt;
	ty_init(t);
	TyId i = LEAF(TY_INT), s = LEAF(TY_SNIL);
	/* a deep stack: printing stops at depth 64 */
	for (int k = 0; k < 10000; k++)
		s = OP(TY_SCONS, i, s);
	char big[8192];
	size_t n = ty_print(t, s, big, sizeof big);
	assert_int_equal(n, strlen(big));
	assert_true(n < 1000);
	assert_true(n > 64 * 7);
	assert_string_equal(big + n - 3, "...");
	assert_memory_equal(big, "int :: int :: ", 14);
	/* small buffers: snprintf semantics, never a byte more */
	for (size_t cap = 1; cap < 40; cap++) {
		char *b = malloc(cap);
		assert_int_equal(ty_print(t, s, b, cap), n);
		assert_int_equal(strlen(b), cap - 1);
		assert_memory_equal(b, big, cap - 1);
		free(b);
	}
	assert_int_equal(ty_print(t, s, NULL, 0), n);
	char one[1] = { 'x' };
	assert_int_equal(ty_print(t, s, one, 0), n);
	assert_int_equal(one[0], 'x');
	/* a DAG whose text is 2^60 long: printing gives up quickly */
	TyId d = i;
	for (int k = 0; k < 60; k++)
		d = mk(t, TY_LIST, 0, NULL, 0, 2, d, d);
	char small[100];
	n = ty_print(t, d, small, sizeof small);
	assert_true(n >= sizeof small);
	assert_true(n < (size_t)4 << 20);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, "[[[[", 4);
	/* a wide node: each kid printed once, separated */
	TyId *kids = malloc(65535 * sizeof *kids);
	for (int k = 0; k < 65535; k++)
		kids[k] = i;
	TyId w = ty_node(t, TY_LIST, 0, 0, 0, kids, 65535);
	free(kids);
	assert_int_equal(ty_print(t, w, NULL, 0), 2 + 65535 * 3 + 65534 * 2);
	ty_free(t);
}

/* ---- the .tal.types section ---- */

static void test_roundtrip(void **state)
{
	TyTable a, b;
	Buf buf = { 0 };
	char err[256], why[128];
	ty_init(&a);
	Full f = build_full(&a);
	int seen[TY_NKINDS] = { 0 };
	for (TyId id = 1; id < a.nnode; id++)
		seen[ty_get(&a, id)->kind] = 1;
	for (int k = TY_NONE + 1; k < TY_NKINDS; k++)
		if (!seen[k])
			fail_msg("kind %d missing from the full table", k);
	ty_encode(&a, &buf);
	ty_init(&b);
	if (ty_decode(&b, buf.p, buf.n, err, sizeof err))
		fail_msg("decode: %s", err);
	assert_int_equal(ty_table_cmp(&a, &b, why, sizeof why), 0);
	assert_string_equal(why, "");
	/* the decoded table prints alike and is hash-consed */
	char pa[1024];
	ty_print(&a, f.code, pa, sizeof pa);
	assert_string_equal(pr(&b, f.code), pa);
	ty_print(&a, f.list, pa, sizeof pa);
	assert_string_equal(pr(&b, f.list), pa);
	TyId id = ty_node(&b, TY_PTR, TF_NULLABLE, 0, 0, &f.rec, 1);
	assert_int_equal(id, f.ptr);
	/* the decoded table's strings are the section's, in byte order: found by binary search */
	assert_int_equal(b.nsorted, b.nstr - 1);
	assert_string_equal(ty_strof(&b, ty_str_find(&b, "main.s", 6)), "main.s");
	assert_int_equal(ty_str(&b, "main.s", 6), ty_str_find(&b, "main.s", 6));
	{
		Buf again = { 0 };
		ty_encode(&b, &again);   /* the same bytes from the decoded table */
		assert_int_equal(again.n, buf.n);
		assert_memory_equal(again.p, buf.p, buf.n);
		free(again.p);
	}
	/* ty_table_cmp notices differences */
	b.ent[2].offset++;
	assert_int_not_equal(ty_table_cmp(&a, &b, why, sizeof why), 0);
	assert_string_equal(why, "entry 2 differs");
	b.ent[2].offset--;
	b.ann[5].disp = 0;
	assert_int_not_equal(ty_table_cmp(&a, &b, why, sizeof why), 0);
	assert_string_equal(why, "annotation 5 differs");
	ty_free(&b);
	ty_init(&b);
	assert_int_not_equal(ty_table_cmp(&a, &b, NULL, 0), 0);
	/* decoding into a table that is not empty is refused */
	mk(&b, TY_INT, 0, NULL, 0, 0);
	assert_int_equal(ty_decode(&b, buf.p, buf.n, err, sizeof err), -1);
	ty_free(&b);
	ty_free(&a);
	free(buf.p);

	/* an empty table: header and four zero counts */
	ty_init(&a);
	buf = (Buf){ 0 };
	ty_encode(&a, &buf);
	assert_int_equal(buf.n, 12);
	assert_memory_equal(buf.p, "TALT\2\0\0\0\0\0\0\0", 12);
	ty_init(&b);
	assert_int_equal(ty_decode(&b, buf.p, buf.n, err, sizeof err), 0);
	assert_int_equal(ty_table_cmp(&a, &b, NULL, 0), 0);
	ty_free(&a);
	ty_free(&b);
	free(buf.p);
}

static void test_leb(void **state)
{
	struct { int64_t v; const char *bytes; size_t n; } s[] = {
		{ 0, "\x00", 1 }, { 63, "\x3f", 1 }, { 64, "\xc0\x00", 2 }, { -1, "\x7f", 1 },
		{ -64, "\x40", 1 }, { -65, "\xbf\x7f", 2 },
		{ INT64_MIN, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 10 },
		{ INT64_MAX, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10 },
	};
	for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
		Buf b = { 0 };
		buf_sleb(&b, s[i].v);
		assert_int_equal(b.n, s[i].n);
		assert_memory_equal(b.p, s[i].bytes, s[i].n);
		free(b.p);
	}
	Buf b = { 0 };
	buf_uleb(&b, 0);
	buf_uleb(&b, 127);
	buf_uleb(&b, 128);
	buf_uleb(&b, UINT64_MAX);
	assert_int_equal(b.n, 1 + 1 + 2 + 10);
	assert_memory_equal(b.p, "\x00\x7f\x80\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 14);
	free(b.p);
	/* buf_put grows past its first block */
	b = (Buf){ 0 };
	for (int i = 0; i < 1000; i++)
		buf_put(&b, "abcdefg", 7);
	assert_int_equal(b.n, 7000);
	assert_memory_equal(b.p + 6993, "abcdefg", 7);
	free(b.p);
}

/*
** Numbers at each boundary of one, two, three and four bytes of LEB128
** read back as written: entries' offsets, lines and columns, with the rest
** of the section after them (eight bytes or more: the reader's fast path)
** and at its end.
*/
static void test_leb_boundaries(void **state)
{
	static const uint32_t v[] = { 0, 1, 127, 128, 129, 255, 256, 16383, 16384, 16385, (1u << 21) - 1, 1u << 21,
	                              (1u << 21) + 1, (1u << 28) - 1, 1u << 28, UINT32_MAX - 1, UINT32_MAX };
	enum { N = sizeof v / sizeof *v };
	TyTable a, b;
	Buf buf = { 0 };
	char err[256];
	ty_init(&a);
	StrId name = ty_str(&a, "f", 1), file = ty_str(&a, "main.s", 6);
	for (int i = 0; i < N; i++)
		ty_add_entry(&a, &(TyEntry){ E_LABEL, SEC_TEXT, name, v[i], 0 }, (TyPos){ file, v[N - 1 - i], v[i] });
	ty_encode(&a, &buf);
	ty_init(&b);
	assert_int_equal(ty_decode(&b, buf.p, buf.n, err, sizeof err), 0);
	assert_int_equal(b.nent, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(b.ent[i].offset, v[i]);
		assert_int_equal(ty_entry_pos(&b, &b.ent[i]).line, v[N - 1 - i]);
		assert_int_equal(ty_entry_pos(&b, &b.ent[i]).col, v[i]);
	}
	ty_free(&a);
	ty_free(&b);
	free(buf.p);
}

static void test_reject_header(void **state)
{
	Buf b = full_bytes();
	char err[256];
	b.p[0] = 'X';
	reject(&b, "offset 0: bad magic");
	b.p[0] = 'T';
	b.p[4] = 1;
	reject(&b, "offset 4: unsupported version 1 (want 2)");
	b.p[4] = 3;
	reject(&b, "offset 4: unsupported version 3");
	b.p[4] = TY_FORMAT_VERSION;
	b.p[5] = 1;
	reject(&b, "unsupported version 258");
	b.p[5] = 0;
	b.p[6] = 1;
	reject(&b, "offset 6: unknown flags");
	b.p[6] = 0;
	assert_int_equal(decode(b.p, b.n, err, sizeof err), 0);
	assert_int_equal(decode(b.p, 0, err, sizeof err), -1);
	assert_int_equal(decode((const uint8_t *)"TAL", 3, err, sizeof err), -1);
	free(b.p);
}

static void test_reject_truncated(void **state)
{
	Buf b = full_bytes();
	char err[256];
	assert_true(b.n > 200);
	for (size_t n = 0; n < b.n; n++) {
		/* an exact-size copy, so that reading past it is an ASan error */
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, b.p, n);
		if (decode(p, n, err, sizeof err) != -1)
			fail_msg("prefix of %zu bytes decoded", n);
		free(p);
	}
	/* and a tiny error buffer is still NUL-terminated */
	char tiny[5];
	TyTable t;
	ty_init(&t);
	assert_int_equal(ty_decode(&t, b.p, b.n - 1, tiny, sizeof tiny), -1);
	assert_string_equal(tiny, "offs");
	assert_int_equal(ty_decode(&t, b.p, b.n - 1, NULL, 0), -1);
	ty_free(&t);
	free(b.p);
}

static void test_reject_flipped(void **state)
{
	static const uint8_t masks[] = { 1, 2, 4, 8, 16, 32, 64, 128, 0xff };
	Buf b = full_bytes();
	char err[256];
	int ok = 0, bad = 0;
	uint8_t *p = malloc(b.n);
	for (size_t i = 0; i < b.n; i++)
		for (size_t m = 0; m < sizeof masks; m++) {
			memcpy(p, b.p, b.n);
			p[i] ^= masks[m];
			/* decode() re-encodes what decodes and checks it is the same */
			if (decode(p, b.n, err, sizeof err) == 0)
				ok++;
			else
				bad++;
		}
	free(p);
	assert_true(bad > ok);   /* most flips are caught */
	assert_true(ok > 0);     /* some (names, lines, offsets) are just other tables */
	free(b.p);
}

static void test_reject_counts(void **state)
{
	Buf b = { 0 };
	/* 2^40 strings */
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, (uint64_t)1 << 40);
	reject(&b, "offset 8: string count");
	free(b.p);
	/* 2^30 strings in a short section */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, (uint64_t)1 << 29);
	buf_put(&b, "\1a\1b", 4);
	reject(&b, "bytes left can hold");
	free(b.p);
	/* a 2 GiB string */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 1);
	buf_uleb(&b, (uint64_t)1 << 31);
	buf_put(&b, "abc", 3);
	reject(&b, "offset 9: string of 2147483648 bytes runs past the end");
	free(b.p);
	/* 2^40 nodes */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 0);
	buf_uleb(&b, (uint64_t)1 << 40);
	reject(&b, "node count");
	free(b.p);
	/* 2^24 nodes: over the limit even if the bytes were there */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 0);
	buf_uleb(&b, (uint64_t)1 << 24);
	reject(&b, "node count 16777216 is out of range");
	free(b.p);
	/* a node with 60000 kids and 3 bytes */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 0);
	buf_uleb(&b, 1);
	buf_put(&b, "\x1f\0\0", 3);     /* TY_LIST, flags 0, name 0 */
	buf_uleb(&b, 60000);
	buf_put(&b, "\1\1\1", 3);
	reject(&b, "kid count 60000 is more than");
	free(b.p);
	/* 70000 kids do not fit nkids */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 0);
	buf_uleb(&b, 1);
	buf_put(&b, "\x1f\0\0", 3);
	buf_uleb(&b, 70000);
	reject(&b, "kid count 70000 is out of range");
	free(b.p);
	/* huge entry and annotation counts */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_put(&b, "\0\0", 2);
	buf_uleb(&b, UINT64_MAX);
	reject(&b, "entry count");
	free(b.p);
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_put(&b, "\0\0\0", 3);
	buf_uleb(&b, 1000);
	buf_put(&b, "\0\1\1\0\0\0\0\0\0\0\0\0\0", 13);
	reject(&b, "annotation count 1000");
	free(b.p);
}

/* Expect a section of a header and then `n` bytes to be rejected with `want` in the message. */
static void reject_body(const char *bytes, size_t n, const char *want)
{
	Buf b = { 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_put(&b, bytes, n);
	reject(&b, want);
	free(b.p);
}

static void test_reject_leb(void **state)
{
	Buf b;
	/* 11 bytes */
	reject_body("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11, "offset 8: string count overflows 64 bits");
	/* 10 bytes with bits above 64 */
	reject_body("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x03", 10, "overflows 64 bits");
	/* not the shortest form */
	reject_body("\x80\x00\0\0\0", 5, "offset 8: string count is not in its shortest form");
	/* the same with eight bytes or more to read (the reader's fast path), in two and three bytes */
	reject_body("\x80\x00\0\0\0\0\0\0\0\0", 10, "offset 8: string count is not in its shortest form");
	reject_body("\x81\x80\x00\0\0\0\0\0\0\0", 10, "offset 8: string count is not in its shortest form");
	/* two- and three-byte names past the strings, with eight bytes or more after them:
	   string 1 "x", no nodes, one entry (E_TYPEDEF, SEC_NONE) named 130, then 16384 */
	reject_body("\1\1x\0\1\1\0\x82\x01\0\0\0\0\0\0\0\0", 17, "offset 15: entry name 130 is out of range");
	reject_body("\1\1x\0\1\1\0\x80\x80\x01\0\0\0\0\0\0\0", 17, "offset 15: entry name 16384 is out of range");
	/* a field that does not fit 32 bits: entry offset 2^32 */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_put(&b, "\0\0\1\1\0\0", 6);      /* E_TYPEDEF, SEC_NONE, name 0 */
	buf_uleb(&b, (uint64_t)1 << 32);
	buf_put(&b, "\0\0\0\0\0", 5);
	reject(&b, "offset 14: entry offset 4294967296 is out of range");
	free(b.p);
	/* constants: 10-byte SLEB with bad top byte; not the shortest form */
	reject_body("\0\1\x17\0\0" "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7e\0\0\0", 18,   /* TY_ICONST */
	            "offset 13: constant overflows 64 bits");
	reject_body("\0\1\x17\0\0" "\xff\x7f\0\0\0", 10, "constant is not in its shortest form");   /* -1 in two bytes */
	/* displacement beyond int32 */
	b = (Buf){ 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_put(&b, "\0\0\0\1\0\1\2\0", 8);  /* offset 0, A_FOLD, L_STACK, reg 0 */
	buf_sleb(&b, (int64_t)INT32_MIN - 1);
	buf_put(&b, "\0\0\0\0\0", 5);
	reject(&b, "annotation displacement -2147483649 is out of range");
	free(b.p);
}

/* Header, no strings, then the given node bytes and empty entry/annot tables. */
static Buf nodes(size_t count, const char *bytes, size_t n)
{
	Buf b = { 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, 1);
	buf_put(&b, "\1x", 2);   /* string 1: "x" */
	buf_uleb(&b, count);
	buf_put(&b, bytes, n);
	buf_put(&b, "\0\0", 2);
	return b;
}

static void test_reject_nodes(void **state)
{
	char err[256];
	/* sanity: int, *{x: int rw} decodes */
	Buf b = nodes(4, "\1\0\0\0" "\x0f\3\1\1\1" "\x0e\0\0\1\2" "\x0a\0\0\1\3", 19);
	assert_int_equal(decode(b.p, b.n, err, sizeof err), 0);
	free(b.p);
	b = nodes(2, "\1\0\0\0" "\x0a\0\0\1\1", 9);     /* *int */
	reject(&b, "offset 16: node 2: pointer target must be a layout");
	free(b.p);
}

static void test_reject_kids(void **state)
{
	Buf b = nodes(2, "\1\0\0\0" "\x1f\0\0\1\2", 9);    /* list whose kid is itself */
	reject(&b, "offset 20: kid 2 of node 2 is not an earlier node");
	free(b.p);
	b = nodes(2, "\1\0\0\0" "\x1f\0\0\2\1\3", 10);     /* a later node */
	reject(&b, "offset 21: kid 3 of node 2 is not an earlier node");
	free(b.p);
	b = nodes(1, "\x1f\0\0\1\0", 5);                   /* kid 0 */
	reject(&b, "kid 0 of node 1 is not an earlier node");
	free(b.p);
	b = nodes(2, "\1\0\0\0" "\x1f\0\0\1\x80\x80\x80\x80\x10", 13);   /* kid 2^32 */
	reject(&b, "kid 4294967296 is out of range");
	free(b.p);
}

static void test_reject_kinds(void **state)
{
	Buf b = nodes(1, "\0\0\0\0", 4);
	reject(&b, "offset 12: node 1 has unknown kind 0");
	free(b.p);
	b = nodes(1, "\x23\0\0\0", 4);
	reject(&b, "node 1 has unknown kind 35");
	free(b.p);
	b = nodes(1, "\xff\0\0\0", 4);
	reject(&b, "unknown kind 255");
	free(b.p);
	/* a name that is not a string */
	b = nodes(1, "\x08\0\2\0", 4);
	reject(&b, "node name 2 is out of range");
	free(b.p);
	/* sort errors: [int rw; int] */
	b = nodes(2, "\1\0\0\0" "\x10\3\0\2\1\1", 10);
	reject(&b, "offset 16: node 2: array length must be an index expression");
	free(b.p);
	/* a variable without a name */
	b = nodes(1, "\x08\0\0\0", 4);
	reject(&b, "node 1: variables, names, rec, fields and binders need a name");
	free(b.p);
	/* entries and annotations */
	struct { const char *bytes; size_t n; const char *want; } c[] = {
		{ "\1\0\0\0" "\1" "\0\0\0\0\0\0\0\0" "\0", 14, "offset 17: unknown entry kind 0" },
		{ "\1\0\0\0" "\1" "\6\0\0\0\0\0\0\0" "\0", 14, "unknown entry kind 6" },
		{ "\1\0\0\0" "\1" "\2\5\0\0\0\0\0\0" "\0", 14, "offset 18: unknown section 5" },
		{ "\1\0\0\0" "\1" "\2\1\2\0\0\0\0\0" "\0", 14, "offset 19: entry name 2 is out of range" },
		{ "\1\0\0\0" "\1" "\2\1\1\0\2\0\0\0" "\0", 14, "entry type 2 is out of range" },
		{ "\1\0\0\0" "\1" "\2\1\1\0\1\2\0\0" "\0", 14, "entry file 2 is out of range" },
		{ "\1\0\0\0" "\0" "\1" "\0\0\1\0\0\0\0\0\0\0", 16, "offset 19: unknown annotation op 0" },
		{ "\1\0\0\0" "\0" "\1" "\0\7\1\0\0\0\0\0\0\0", 16, "unknown annotation op 7" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\0\0\0\0\0\0\0\0", 16, "offset 20: unknown annotation location 0" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\4\0\0\0\0\0\0\0", 16, "unknown annotation location 4" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\3\0\0\0\0\0\0\0", 16, "only .inst applies to a branch target" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\1\x10\0\0\0\0\0\0", 16, "offset 21: unknown register 16" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\1\0\0\2\0\0\0\0", 16, "annotation type 2 is out of range" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\1\0\0\0\1\0\0\0", 16, "offset 24: annotation arguments must be a list" },
		{ "\1\0\0\0" "\0" "\1" "\0\1\1\0\0\0\0\2\0\0", 16, "annotation file 2 is out of range" },
	};

	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		Buf e = { 0 };
		hdr(&e, "TALT", TY_FORMAT_VERSION);
		buf_put(&e, "\1\1x\1", 4);   /* string "x", one node */
		buf_put(&e, c[i].bytes, c[i].n);
		reject(&e, c[i].want);
		free(e.p);
	}
	/* a register number is only checked for registers */
	Buf ok = { 0 };
	char err[256];
	hdr(&ok, "TALT", TY_FORMAT_VERSION);
	buf_put(&ok, "\0\0\0\1" "\0\1\2\xff\0\0\0\0\0\0", 14);
	assert_int_equal(decode(ok.p, ok.n, err, sizeof err), 0);
	free(ok.p);
}

/* A string table section with the given strings, and nothing else. */
static Buf strings_section(const char **str, int n)
{
	Buf b = { 0 };
	hdr(&b, "TALT", TY_FORMAT_VERSION);
	buf_uleb(&b, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		buf_uleb(&b, strlen(str[i]));
		buf_put(&b, str[i], strlen(str[i]));
	}
	buf_put(&b, "\0\0\0", 3);
	return b;
}

/*
** A section's strings are in byte order (unsigned bytes, a prefix first),
** which is what makes a repeat one the reader sees at once: every string
** gets its rank as id and is found by binary search; one out of order or
** repeated, next to it or not, is refused, whatever its length.
*/
static void test_strings_order(void **state)
{
	char l1[200], l2[300], err[256];
	memset(l1, 'x', sizeof l1 - 1), l1[sizeof l1 - 1] = 0;
	memset(l2, 'y', sizeof l2 - 1), l2[sizeof l2 - 1] = 0;
	const char *ok[] = { "A", "a", "ab", "abc", "b", l1, l2 + 1, l2, "z", "\x7f", "\x80", "\xff" };
	int n = (int)(sizeof ok / sizeof *ok);
	Buf b = strings_section(ok, n);
	TyTable t;
	ty_init(&t);
	assert_int_equal(ty_decode(&t, b.p, b.n, err, sizeof err), 0);
	assert_int_equal(t.nstr, (uint32_t)n + 1);
	assert_int_equal(t.nsorted, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		assert_string_equal(ty_strof(&t, (StrId)i + 1), ok[i]);
		assert_int_equal(ty_str_find(&t, ok[i], strlen(ok[i])), (StrId)i + 1);
		assert_int_equal(ty_str(&t, ok[i], strlen(ok[i])), (StrId)i + 1);
	}
	/* absent: before the first, between two, after the last, a prefix of one */
	const char *absent[] = { "0", "aa", "abd", "yy", "\xfe", "\xff\xff", "x" };
	for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
		assert_int_equal(ty_str_find(&t, absent[i], strlen(absent[i])), 0);
	/* interned after decoding: a new id, found by hash, the sorted ones still by search */
	StrId aa = ty_str(&t, "aa", 2);
	assert_int_equal(aa, (StrId)n + 1);
	assert_int_equal(ty_str_find(&t, "aa", 2), aa);
	assert_int_equal(ty_str(&t, "aa", 2), aa);
	assert_int_equal(ty_str_find(&t, "ab", 2), 3);
	/* no sorted string once one is interned by hash */
	assert_int_equal(ty_str_sorted(&t, "zz", 2), 0);
	ty_free(&t);
	free(b.p);
	const char *bad[][4] = {
		{ "a", l1, "z", l1 },      /* a long repeat after a short string  */
		{ l1, "a", l2, "a" },      /* a short repeat after a long one     */
		{ "a", "b", "c", "c" },    /* a repeat next to it                 */
		{ "a", "ab", "b", "aa" },  /* before the one before it            */
		{ "a", "b", "c", "\xff" "x" },
		{ "b", "ba", "bab", "ba" },/* a prefix after what it starts       */
		{ "\x80", "a", "b", "c" },  /* bytes are unsigned: 0x80 is after 'a' */
	};
	const char *want[] = {
		"string 4 does not come after string 3", "string 2 does not come after string 1",
		"offset 15: string 4 does not come after string 3 in byte order",
		"string 4 does not come after string 3", NULL,
		"string 4 does not come after string 3", "string 2 does not come after string 1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		b = strings_section(bad[i], 4);
		if (want[i]) reject(&b, want[i]);
		else assert_int_equal(decode(b.p, b.n, err, sizeof err), 0);
		free(b.p);
	}
	/* a string cut off by the end */
	b = strings_section(ok, 3);
	b.n -= 3 + 1;              /* drop the counts and the last byte of "ab" */
	reject(&b, "runs past the end");
	free(b.p);
}

/*
** The reader's path for names of 1 to 15 bytes (ty_str_sorted_short, which
** compares and copies 16 bytes at once) gives what ty_str_sorted gives for
** the same string after the same one, or leaves it to that (0, nothing
** changed) when the string holds a NUL: random pairs over a few bytes
** (NUL, 1, letters, 0x80, 0xff), often one a prefix of the other, with the
** string before it short or long.
*/
static void test_strings_short_path(void **state)
{
	static const unsigned char alpha[] = { 0, 1, 'a', 'b', 0x80, 0xff };
	uint64_t seed = 12345;
	for (int round = 0; round < 20000; round++) {
		char prev[24], next[40];   /* next: 16 bytes readable past its start, whatever its length */
		size_t plen, nlen;
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		plen = 1 + (seed >> 33) % 20;
		nlen = 1 + (seed >> 43) % 15;
		for (size_t i = 0; i < sizeof prev; i++) {
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			prev[i] = (char)alpha[1 + (seed >> 40) % 5];   /* the string before holds no NUL */
		}
		memcpy(next, prev, sizeof prev);   /* often a prefix, or with a byte changed */
		memset(next + sizeof prev, 'q', sizeof next - sizeof prev);
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		size_t at = (seed >> 35) % 16;
		if ((seed >> 20) % 3) next[at] = (char)alpha[(seed >> 50) % 6];
		int first = (seed >> 10) % 8 == 0;
		TyTable a, b;
		ty_init(&a);
		ty_init(&b);
		ty_str_reserve(&a, 4);
		ty_str_reserve(&b, 4);
		if (!first) {
			assert_int_equal(ty_str_sorted(&a, prev, plen), 1);
			assert_int_equal(ty_str_sorted(&b, prev, plen), 1);
		}
		StrId slow = ty_str_sorted(&a, next, nlen), fast = ty_str_sorted_short(&b, next, nlen);
		if (fast) {
			assert_int_equal(fast, slow);
			assert_int_equal(ty_strlen(&b, fast), nlen);
			assert_memory_equal(ty_str_text(&b, fast), next, nlen);
			assert_int_equal(ty_str_text(&b, fast)[nlen], 0);
			assert_int_equal(b.nsorted, a.nsorted);
			assert_memory_equal(b.lastkey, a.lastkey, sizeof a.lastkey);
		} else {
			assert_true(memchr(next, 0, nlen) || !slow);   /* refused for a NUL (the reader's to report), else as the slow path */
			assert_int_equal(b.nstr, first ? 1 : 2);
		}
		ty_free(&a);
		ty_free(&b);
	}
}

/*
** In a section long enough for that path, a repeat or a string out of
** order, and one with a NUL byte, get the same messages at the same
** offsets.
*/
static void test_strings_short_path_rejects(void **state)
{
	const char *dup[] = { "alpha", "beta", "beta", "gamma", "delta", "epsilon", "zeta" };
	Buf b = strings_section(dup, 7);
	reject(&b, "offset 20: string 3 does not come after string 2 in byte order");
	free(b.p);
	const char *back[] = { "alpha", "beta", "gam", "gal", "delta", "epsilon", "zeta" };
	b = strings_section(back, 7);
	reject(&b, "offset 24: string 4 does not come after string 3 in byte order");
	free(b.p);
	reject_body("\4\5alpha\4b\0ta\5gamma\5delta\0\0\0", 28, "offset 15: string contains a NUL byte");
}

/* ty_encode writes the strings in byte order, whatever order they were interned in, and renumbers every use. */
static void test_strings_encoded_in_order(void **state)
{
	TyTable a, b;
	Buf buf = { 0 };
	char err[256];
	ty_init(&a);
	StrId z = ty_str(&a, "zeta", 4), f = ty_str(&a, "file.tal", 8), al = ty_str(&a, "alpha", 5);
	TyId v = ty_node(&a, TY_VAR, 0, z, 0, NULL, 0);
	TyId w = ty_node(&a, TY_VAR, 0, al, 0, NULL, 0);
	ty_add_entry(&a, &(TyEntry){ .kind = E_LABEL, .sect = SEC_TEXT, .name = z, .type = 0 }, (TyPos){ .file = f, .line = 1 });
	ty_add_annot(&a, &(TyAnnot){ .op = A_FOLD, .loc = L_REG, .type = v, .file = al, .line = 2 });
	ty_encode(&a, &buf);
	/* header, 3 strings: alpha, file.tal, zeta */
	assert_memory_equal(buf.p + 8, "\3\5alpha\x08" "file.tal\4zeta", 1 + 6 + 9 + 5);
	ty_init(&b);
	if (ty_decode(&b, buf.p, buf.n, err, sizeof err)) fail_msg("decode: %s", err);
	assert_string_equal(ty_strof(&b, ty_get(&b, v)->name), "zeta");
	assert_string_equal(ty_strof(&b, ty_get(&b, w)->name), "alpha");
	assert_string_equal(ty_strof(&b, b.ent[0].name), "zeta");
	assert_string_equal(ty_strof(&b, ty_entry_pos(&b, &b.ent[0]).file), "file.tal");
	assert_string_equal(ty_strof(&b, b.ann[0].file), "alpha");
	assert_int_equal(ty_table_cmp(&a, &b, NULL, 0), 0);
	ty_free(&a);
	ty_free(&b);
	free(buf.p);
}

static void test_reject_dups_and_trailing(void **state)
{
	char err[256];
	reject_body("\2\1x\1x\0\0\0", 8, "offset 11: string 2 does not come after string 1 in byte order");
	reject_body("\1\0\0\0\0", 5, "offset 9: string 1 is empty");
	reject_body("\1\3a\0b\0\0\0", 8, "offset 9: string contains a NUL byte");
	Buf b = nodes(2, "\1\0\0\0" "\1\0\0\0", 8);
	reject(&b, "offset 16: node 2 repeats node 1");
	free(b.p);
	b = nodes(3, "\x17\0\0\5\0" "\x17\0\0\6\0" "\x17\0\0\5\0", 15);
	reject(&b, "node 3 repeats node 1");
	free(b.p);
	/* trailing bytes */
	b = full_bytes();
	assert_int_equal(decode(b.p, b.n, err, sizeof err), 0);
	buf_put(&b, "\0", 1);
	char want[64];
	snprintf(want, sizeof want, "offset %zu: 1 bytes after the last table", b.n - 1);
	reject(&b, want);
	free(b.p);
}

/*
** Nodes are read in batches (typesec.c, NODE_BATCH): what is reported must
** be what reading them one by one reports, the first error in the bytes,
** wherever the batches end.  n constants 0..n-1 (5 bytes each), then `tail`.
*/
static Buf consts_then(int n, const char *tail, size_t tn)
{
	char bytes[512];
	size_t at = 0;
	for (int i = 0; i < n; i++) {
		memcpy(bytes + at, "\x17\0\0", 3);
		bytes[at + 3] = (char)i;   /* sleb of 0..63 */
		bytes[at + 4] = 0;         /* no kids */
		at += 5;
	}
	memcpy(bytes + at, tail, tn);
	return nodes((size_t)n + 2, bytes, at + tn);
}

static void test_node_batches(void **state)
{
	char err[256];
	(void)state;
	/* a repeat before a node that is not one, in the same batch */
	Buf b = nodes(4, "\1\0\0\0" "\1\0\0\0" "\2\0\0\0" "\x7f\0\0\0", 16);
	reject(&b, "offset 16: node 2 repeats node 1");
	free(b.p);
	/* from 1 to 40 constants, then a repeat of the first, then a node of an unknown kind */
	for (int n = 1; n <= 40; n++) {
		char want[64];
		b = consts_then(n, "\x17\0\0\0\0" "\x7f\0\0\0", 9);
		snprintf(want, sizeof want, "offset %d: node %d repeats node 1", 12 + 5 * n, n + 1);
		reject(&b, want);
		free(b.p);
		/* a node of an unknown kind after n constants, then a repeat */
		b = consts_then(n, "\x7f\0\0\0" "\x17\0\0\0\0", 9);
		snprintf(want, sizeof want, "offset %d: node %d has unknown kind 127", 12 + 5 * n, n + 1);
		reject(&b, want);
		free(b.p);
		/* k + k of the last constant k, then (k + k) + k: kids in the same batch or the one before */
		char tail[12] = { 0x18, 0, 0, 2, (char)n, (char)n, 0x18, 0, 0, 2, (char)(n + 1), (char)n };
		b = consts_then(n, tail, sizeof tail);
		if (decode(b.p, b.n, err, sizeof err)) fail_msg("%d constants: %s", n, err);
		free(b.p);
		tail[10] = (char)(n + 2);   /* the second one's own number: not an earlier node */
		b = consts_then(n, tail, sizeof tail);
		snprintf(want, sizeof want, "offset %d: kid %d of node %d is not an earlier node", 12 + 5 * n + 6 + 4, n + 2, n + 2);
		reject(&b, want);
		free(b.p);
	}
}

/* ---- the .tal.lines section ---- */

/*
** Decode lines; failures must leave the table empty with a message.
** lt_check must give the same answer and message without keeping rows.
*/
static int ldecode(LineTable *l, const uint8_t *p, size_t n, char *err, size_t cap)
{
	char err2[256];
	lt_init(l);
	int rc = lt_decode(l, p, n, err, cap);
	assert_int_equal(lt_check(p, n, err2, sizeof err2), rc);
	if (rc) assert_string_equal(err2, err);
	if (rc) {
		assert_int_equal(rc, -1);
		assert_int_equal(l->nfile, 0);
		assert_int_equal(l->nrow, 0);
		assert_true(!strncmp(err, "offset ", 7));
	}
	return rc;
}

/* A line table with files, lines going both ways, and a repeated offset. */
static void build_lines(LineTable *l)
{
	lt_init(l);
	uint32_t a = lt_file(l, "a.s"), inc = lt_file(l, "inc.s");
	assert_int_equal(lt_file(l, "a.s"), a);
	assert_int_equal(a, 0);
	assert_int_equal(inc, 1);
	lt_add(l, 0, a, 10, 1);
	lt_add(l, 3, a, 11, 5);
	lt_add(l, 8, inc, 2, 1);
	lt_add(l, 8, a, 12, 1);
	lt_add(l, 1000, a, 7, 9);
	lt_add(l, UINT32_MAX, a, UINT32_MAX, UINT32_MAX);
}

/*
** Rows of four one-byte numbers are read by a short path; each check it
** makes must still reject, with rd_row's message.  A one-row table with
** one file is built, then its last row's bytes (the last 4) are patched.
*/
static void reject_row(uint32_t off0, uint8_t d_off, uint8_t file, uint8_t d_line, const char *want)
{
	LineTable l, m;
	Buf b = { 0 };
	char err[256];
	lt_init(&l);
	lt_file(&l, "a.s");
	lt_add(&l, off0, 0, 0, 0);
	lt_add(&l, off0, 0, 0, 0);
	lt_encode(&l, &b);
	uint8_t *q = b.p + b.n - 4;
	assert_memory_equal(q, "\0\0\0\0", 4);
	q[0] = d_off, q[1] = file, q[2] = d_line, q[3] = 7;
	assert_int_equal(ldecode(&m, b.p, b.n, err, sizeof err), -1);
	if (!strstr(err, want)) fail_msg("'%s' does not say '%s'", err, want);
	lt_free(&l);
	free(b.p);
}

static void test_line_rows(void **state)
{
	(void)state;
	reject_row(0, 0, 0, 0x7f, "row line -1 is out of range");
	reject_row(0, 0, 1, 0, "row file 1 is out of range (max 0)");
	reject_row(UINT32_MAX, 1, 0, 0, "row offset goes past 4 GiB");
	/* one-byte numbers at their limits are rows: 127 forward, line back by 2 */
	LineTable l, m;
	Buf b = { 0 };
	char err[256];
	lt_init(&l);
	lt_file(&l, "a.s");
	lt_add(&l, 5, 0, 9, 0);
	lt_add(&l, 5 + 127, 0, 7, 127);
	lt_encode(&l, &b);
	assert_memory_equal(b.p + b.n - 4, "\x7f\0\x7e\x7f", 4);
	if (ldecode(&m, b.p, b.n, err, sizeof err) != 0) fail_msg("%s", err);
	assert_int_equal(m.nrow, 2);
	assert_int_equal(m.row[1].offset, 5 + 127);
	assert_int_equal(m.row[1].line, 7);
	assert_int_equal(m.row[1].col, 127);
	lt_free(&l);
	free(b.p);
	lt_free(&m);
}

/*
** Runs of short rows (four one-byte numbers) broken by long ones, at the
** start, in the middle and at the end: every row comes back, and the
** table cut short anywhere in a row is refused.
*/
static void test_line_runs(void **state)
{
	static const uint32_t col[] = { 1, 2, 300, 3, 4, 5, 400, 500, 6, 7, 600 };
	enum { N = sizeof col / sizeof *col };
	LineTable l, m;
	Buf b = { 0 };
	char err[256];
	(void)state;
	lt_init(&l);
	lt_file(&l, "a.s");
	lt_file(&l, "b.s");
	for (uint32_t i = 0; i < N; i++) lt_add(&l, 3 * i, i & 1, 10 + i, col[i]);
	lt_encode(&l, &b);
	if (ldecode(&m, b.p, b.n, err, sizeof err) != 0) fail_msg("%s", err);
	assert_int_equal(m.nrow, N);
	for (uint32_t i = 0; i < N; i++) {
		assert_int_equal(m.row[i].offset, 3 * i);
		assert_int_equal(m.row[i].file, i & 1);
		assert_int_equal(m.row[i].line, 10 + i);
		assert_int_equal(m.row[i].col, col[i]);
	}
	lt_free(&m);
	for (size_t cut = b.n - 4 * N; cut < b.n; cut++)   /* within the rows */
		assert_int_equal(ldecode(&m, b.p, cut, err, sizeof err), -1);
	lt_free(&l);
	free(b.p);
}

static void test_lines(void **state)
{
	LineTable l, m;
	Buf b = { 0 };
	char err[256];
	build_lines(&l);
	lt_encode(&l, &b);
	if (ldecode(&m, b.p, b.n, err, sizeof err))
		fail_msg("decode: %s", err);
	assert_int_equal(m.nfile, 2);
	assert_string_equal(m.file[0], "a.s");
	assert_string_equal(m.file[1], "inc.s");
	assert_int_equal(m.nrow, l.nrow);
	for (uint32_t i = 0; i < l.nrow; i++) {
		assert_int_equal(m.row[i].offset, l.row[i].offset);
		assert_int_equal(m.row[i].file, l.row[i].file);
		assert_int_equal(m.row[i].line, l.row[i].line);
		assert_int_equal(m.row[i].col, l.row[i].col);
	}
	/* lookups */
	assert_int_equal(lt_find(&m, 0)->line, 10);
	assert_int_equal(lt_find(&m, 2)->line, 10);
	assert_int_equal(lt_find(&m, 3)->line, 11);
	assert_int_equal(lt_find(&m, 8)->line, 12);   /* the last of equal offsets */
	assert_int_equal(lt_find(&m, 999)->line, 12);
	assert_int_equal(lt_find(&m, 1000)->line, 7);
	assert_int_equal(lt_find(&m, UINT32_MAX - 1)->line, 7);
	assert_int_equal(lt_find(&m, UINT32_MAX)->line, UINT32_MAX);
	lt_free(&m);
	LineTable e;
	lt_init(&e);
	assert_null(lt_find(&e, 0));
	lt_add(&e, 5, 0, 1, 1);
	assert_null(lt_find(&e, 4));
	assert_non_null(lt_find(&e, 5));
	lt_free(&e);
	/* every prefix fails; flipped bytes never crash */
	for (size_t n = 0; n < b.n; n++) {
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, b.p, n);
		if (ldecode(&m, p, n, err, sizeof err) != -1)
			fail_msg("prefix of %zu bytes decoded", n);
		free(p);
	}
	uint8_t *p = malloc(b.n);
	for (size_t i = 0; i < b.n; i++)
		for (int mask = 1; mask < 256; mask <<= 1) {
			memcpy(p, b.p, b.n);
			p[i] ^= mask;
			if (ldecode(&m, p, b.n, err, sizeof err) == 0) {
				Buf again = { 0 };
				lt_encode(&m, &again);
				assert_int_equal(again.n, b.n);
				assert_memory_equal(again.p, p, b.n);
				free(again.p);
				lt_free(&m);
			}
		}
	free(p);
	/* trailing bytes */
	buf_put(&b, "\0", 1);
	assert_int_equal(ldecode(&m, b.p, b.n, err, sizeof err), -1);
	assert_non_null(strstr(err, "after the last row"));
	/* decoding into a table that is not empty is refused */
	assert_int_equal(lt_decode(&l, b.p, b.n - 1, err, sizeof err), -1);
	lt_free(&l);
	free(b.p);
	/* an empty table */
	lt_init(&l);
	b = (Buf){ 0 };
	lt_encode(&l, &b);
	assert_int_equal(b.n, 10);
	assert_memory_equal(b.p, "TALL\1\0\0\0\0\0", 10);
	assert_int_equal(ldecode(&m, b.p, b.n, err, sizeof err), 0);
	assert_int_equal(m.nrow, 0);
	lt_free(&m);
	free(b.p);
}

static void test_lines_reject(void **state)
{
	LineTable l;
	Buf b = { 0 };
	char err[256];
	/* rows added out of order cannot decode */
	lt_init(&l);
	lt_add(&l, 100, lt_file(&l, "a.s"), 1, 1);
	lt_add(&l, 50, 0, 2, 1);
	lt_encode(&l, &b);
	lt_free(&l);
	assert_int_equal(ldecode(&l, b.p, b.n, err, sizeof err), -1);
	assert_non_null(strstr(err, "rows are not sorted"));
	free(b.p);
	struct { const char *bytes; size_t n; const char *want; } c[] = {
		{ "TALX\1\0\0\0\0\0", 10, "offset 0: bad magic" },
		{ "TALL\2\0\0\0\0\0", 10, "offset 4: unsupported version 2" },
		{ "TALL\1\0\0\1\0\0", 10, "offset 6: unknown flags 0x100" },
		{ "TALL\1\0\0\0\0\1\0\0\0\0", 14, "row refers to a file but there are none" },
		{ "TALL\1\0\0\0\1\1a\1\0\1\0\0", 16, "offset 13: row file 1 is out of range" },
		{ "TALL\1\0\0\0\1\1a\1\0\0\x7f\0", 16, "offset 14: row line -1 is out of range" },
		{ "TALL\1\0\0\0\1\1a\2\xff\xff\xff\xff\x0f\0\1\0\1\0\0\0", 24, "rows are not sorted" },
		{ "TALL\1\0\0\0\1\1a\1\0\0\0\x80\x80\x80\x80\x10", 20, "row column 4294967296 is out of range" },
		{ "TALL\1\0\0\0\1\2a\0\0", 13, "offset 9: file name contains a NUL byte" },
		{ "TALL\1\0\0\0\x80\x80\x80\x80\x80\x80\x80\x01", 16, "file count" },
		{ "TALL\1\0\0\0\0\xff\xff\xff\xff\x0f\0\0\0\0", 18, "row count" },
		{ "TALL\1\0\0\0\0\0\0", 11, "offset 10: 1 bytes after the last row" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		uint8_t *p = malloc(c[i].n);
		memcpy(p, c[i].bytes, c[i].n);
		int rc = ldecode(&l, p, c[i].n, err, sizeof err);
		if (rc != -1 || !strstr(err, c[i].want))
			fail_msg("case %zu: want \"%s\", got rc %d \"%s\"", i, c[i].want, rc, err);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_strings_slots),
		cmocka_unit_test(test_strings_short_path),
		cmocka_unit_test(test_strings_short_path_rejects),
		cmocka_unit_test(test_hashcons),
		cmocka_unit_test(test_fresh_vars),
		cmocka_unit_test(test_fork_shares_table),
		cmocka_unit_test(test_lend),
		cmocka_unit_test(test_node_rejects),
		cmocka_unit_test(test_sorts),
		cmocka_unit_test(test_print_kinds),
		cmocka_unit_test(test_print_bounded),
		cmocka_unit_test(test_leb),
		cmocka_unit_test(test_leb_boundaries),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_reject_header),
		cmocka_unit_test(test_reject_truncated),
		cmocka_unit_test(test_reject_flipped),
		cmocka_unit_test(test_reject_counts),
		cmocka_unit_test(test_reject_leb),
		cmocka_unit_test(test_reject_nodes),
		cmocka_unit_test(test_reject_kids),
		cmocka_unit_test(test_reject_kinds),
		cmocka_unit_test(test_strings_order),
		cmocka_unit_test(test_strings_encoded_in_order),
		cmocka_unit_test(test_reject_dups_and_trailing),
		cmocka_unit_test(test_node_batches),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_line_rows),
		cmocka_unit_test(test_line_runs),
		cmocka_unit_test(test_lines_reject),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
