/*
** types.c - the type table in memory: interned strings, hash-consed
** nodes, entries and annotations; sort checking and printing.
**
** Both hash tables use open addressing with linear probing over a power of
** two slots, kept at most half full; a slot holds an id, 0 is empty.  The
** empty string is never put in the string table: it is always id 0.  A
** node's slot also holds the top bits of its hash above its id (node_tag),
** so that a search looks at no node whose hash differs there: on a large
** table each node looked at is a cache miss.
*/
#include "types.h"
#include "arena.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAXNODE = 1 << 24,  /* node ids stay below this                   */
	NODE_ID = MAXNODE - 1,  /* the id in a hash-cons slot; node_tag above */
	MAXKIDS = 65535,    /* TyNode.nkids is 16 bits                    */
	MAXKID = 1 << 28,   /* kid slots in one table                     */
	PRDEPTH = 64,       /* printer nesting before it prints "..."     */
	PRHID = 16,         /* binders primed at once (Pr.hid)            */
	PRWORK = 1 << 20,   /* printer nodes and bytes before it gives up */
	RESERVE_MAX = 1 << 20   /* array slots made room for at once: a count a
	                           hostile section claims gets no more */
};

/* One round of a multiplicative mixer: cheap and spreads low bits well. */
static uint64_t mix(uint64_t h, uint64_t x)
{
	h ^= x;
	h *= 0x9e3779b97f4a7c15u;
	return h ^ (h >> 29);
}

/* Hash of a string's bytes, for the intern table. */
static uint64_t str_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3u;
	return mix(h, len);
}

/* Hash of everything that makes two nodes the same node. */
static uint64_t node_hash(int kind, int flags, StrId name, int64_t value,
                          const TyId *kids, int nkids)
{
	uint64_t h = mix(0, (uint64_t)kind << 8 | (uint64_t)flags);
	h = mix(h, name);
	h = mix(h, (uint64_t)value);
	for (int i = 0; i < nkids; i++)
		h = mix(h, kids[i]);
	return mix(h, (uint64_t)nkids);
}

/* An empty table has node 0 (unused) and string 0 (""), so that ids
   can start at 1 and 0 can mean "none" everywhere.  The kid array is
   never NULL, so `t->kid + n->kids` is always defined. */
void ty_init(TyTable *t)
{
	memset(t, 0, sizeof *t);
	t->node = xgrow(NULL, sizeof *t->node, 1, &t->capnode);
	memset(&t->node[0], 0, sizeof t->node[0]);
	t->nnode = 1;
	t->kid = xgrow(NULL, sizeof *t->kid, 1, &t->capkid);  /* never NULL */
	t->str = xgrow(NULL, sizeof *t->str, 1, &t->capstr);
	memset(&t->str[0], 0, sizeof t->str[0]);   /* "" */
	t->nstr = 1;
}

/* Give everything back; the table may be ty_init'ed again. */
void ty_free(TyTable *t)
{
	arena_free(&t->strmem);
	if (!t->forked) {
		free(t->str);
		free(t->shash);
		free(t->ent);
		free(t->epos);
		free(t->ann);
	}
	if (!(t->lent & LENT_NODE)) free(t->node);
	if (!(t->lent & LENT_KID)) free(t->kid);
	free(t->hash);
	free(t->fhint);
	free(t->ftext);
	free(t->fvar);
	memset(t, 0, sizeof *t);
}

/* A copy of n elements of size sz, with room for exactly that many (at least one). */
static void *copy_of(const void *p, uint32_t n, size_t sz, uint32_t *cap)
{
	*cap = n ? n : 1;
	return n ? xmemdup(p, n * sz) : xmalloc(sz);
}

/*
** Room for `need` elements of size sz in the array p of t holding `used`
** (its node or kid array: `bit`).  An array lent by the original (ty_lend)
** is copied out, never moved or freed: it is the original's.
*/
static void *room(TyTable *t, int bit, void *p, size_t sz, size_t used, size_t need, uint32_t *cap)
{
	if (need <= *cap) return p;
	if (!(t->lent & bit)) return xgrow_to(p, sz, need, cap);
	uint32_t c = *cap;
	void *q = xgrow_to(NULL, sz, need, &c);
	memcpy(q, p, used * sz);
	t->lent &= ~bit;
	*cap = c;
	return q;
}

static void fork_of(TyTable *dst, const TyTable *src, int lend)
{
	*dst = *src;
	dst->forked = 1;
	memset(&dst->strmem, 0, sizeof dst->strmem);   /* for made-up names' text */
	uint32_t cap;
	dst->lent = lend && !src->forked ? LENT_NODE | LENT_KID : 0;
	if (!dst->lent) {
		dst->node = copy_of(src->node, src->nnode, sizeof *src->node, &dst->capnode);
		dst->kid = copy_of(src->kid, src->nkid, sizeof *src->kid, &dst->capkid);
	}
	if (src->bnode)   /* (a fork of a fork: its own table is copied, its base shared) */
		dst->hash = src->caphash ? copy_of(src->hash, src->caphash, sizeof *src->hash, &cap) : NULL;
	else {            /* src's nodes through src's table, in place */
		dst->bhash = src->hash, dst->capbhash = src->caphash, dst->bnode = src->nnode;
		dst->hash = NULL, dst->caphash = 0;
	}
	dst->fhint = (const char **)copy_of(src->fhint, src->nfresh, sizeof *src->fhint, &dst->capfresh);
	dst->ftext = copy_of(src->ftext, src->nfresh, sizeof *src->ftext, &cap);
	/* fvar[k] is read for every k below capfvar, so all of it is copied (none: none) */
	dst->fvar = src->capfvar ? xmemdup(src->fvar, (size_t)src->capfvar * sizeof *src->fvar) : NULL;
	dst->capfvar = src->capfvar;
}

void ty_fork(TyTable *dst, const TyTable *src)
{
	fork_of(dst, src, 0);
}

void ty_lend(TyTable *dst, const TyTable *src)
{
	fork_of(dst, src, 1);
}

/*
** Strings 1..nsorted (a decoded section's) are in byte order and found by
** binary search; the intern table holds only those interned after them.
** The table: open addressing, at most half full.  A slot holds a string's
** id and, above it, the low 32 bits of its hash, which give the slot and
** are compared before the string is looked at.
*/
static uint32_t str_tag(const char *s, size_t len)
{
	return (uint32_t)str_hash(s, len);
}

/* Byte order, a prefix before what it starts: <0, 0 or >0, as memcmp. */
int ty_str_order(const char *a, size_t alen, const char *b, size_t blen)
{
	int d = memcmp(a, b, alen < blen ? alen : blen);
	return d ? d : (alen > blen) - (alen < blen);
}

static void str_put(uint64_t *tab, uint32_t cap, uint32_t tag, StrId id)
{
	uint32_t mask = cap - 1, i = tag & mask;
	while (tab[i])
		i = (i + 1) & mask;
	tab[i] = (uint64_t)tag << 32 | id;
}

/* Move to a table of `cap` slots (a power of two). */
static void str_resize(TyTable *t, uint32_t cap)
{
	uint64_t *old = t->shash;
	uint32_t oldcap = t->capshash;
	t->shash = xzalloc(cap, sizeof *t->shash);
	t->capshash = cap;
	for (uint32_t i = 0; i < oldcap; i++)
		if (old[i])
			str_put(t->shash, cap, (uint32_t)(old[i] >> 32), (StrId)old[i]);
	free(old);
}

/* Room in the array by string id for `need` strings. */
static void str_room(TyTable *t, size_t need)
{
	if (need <= t->capstr) return;   /* (the usual case: the section's count was made room for) */
	t->str = xgrow(t->str, sizeof *t->str, need, &t->capstr);
}

/* The high bit of v's zero bytes: none when v has none, and exact at the lowest (a byte above it may be marked too). */
static uint64_t zero_bytes(uint64_t v)
{
	return (v - UINT64_C(0x0101010101010101)) & ~v & UINT64_C(0x8080808080808080);
}

/* The index of the first zero byte of a word, or 8 when it has none. */
static unsigned first_zero(uint64_t v)
{
	uint64_t z = zero_bytes(v);
	return z ? (unsigned)__builtin_ctzll(z) / 8 : 8;
}

uint32_t ty_strlen(const TyTable *t, StrId s)
{
	const TyStr *x = &t->str[s];
	if (x->l.big) return x->l.len;
	uint64_t w[2];
	memcpy(w, x->b, 16);
	unsigned k = first_zero(w[0]);
	return k < 8 ? k : 8 + first_zero(w[1]);   /* (b[15] is 0) */
}

/* A new string, id nstr: its bytes copied, in its slot when they fit. */
static StrId str_add(TyTable *t, const char *s, size_t len)
{
	str_room(t, (size_t)t->nstr + 1);
	StrId id = t->nstr++;
	TyStr *x = &t->str[id];
	memset(x, 0, sizeof *x);
	if (len < sizeof x->b && !memchr(s, 0, len)) memcpy(x->b, s, len);   /* (its length is where the zeros start) */
	else x->l.p = arena_strdup(&t->strmem, s, len), x->l.len = (uint32_t)len, x->l.big = 1;
	return id;
}

void ty_str_reserve(TyTable *t, uint64_t n)
{
	if (n > RESERVE_MAX)
		n = RESERVE_MAX;
	if (!t->forked && t->nstr + n <= TY_SLOT)
		str_room(t, (size_t)(t->nstr + n));   /* once, not by doubling (each time a copy) */
}

/* The id of a string among the sorted ones, or 0. */
static StrId sorted_find(const TyTable *t, const char *s, size_t len)
{
	uint32_t lo = 1, hi = t->nsorted + 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int d = ty_str_order(ty_str_text(t, mid), ty_strlen(t, mid), s, len);
		if (!d) return mid;
		if (d < 0) lo = mid + 1;
		else hi = mid;
	}
	return 0;
}

/* The id of the string, or 0 with *at the empty slot the search stopped at (UINT32_MAX: no table). */
static StrId str_search(const TyTable *t, const char *s, size_t len, uint32_t tag, uint32_t *at)
{
	StrId id = sorted_find(t, s, len);
	*at = UINT32_MAX;
	if (id || !t->capshash)
		return id;
	uint32_t mask = t->capshash - 1, i;
	for (i = tag & mask; t->shash[i]; i = (i + 1) & mask) {
		uint64_t slot = t->shash[i];
		id = (StrId)slot;
		if ((uint32_t)(slot >> 32) == tag && ty_strlen(t, id) == len && !memcmp(ty_str_text(t, id), s, len))
			return id;
	}
	*at = i;
	return 0;
}

/* The id of a string already interned, or 0. */
StrId ty_str_find(const TyTable *t, const char *s, size_t len)
{
	uint32_t at;
	if (len == 0 || len >= UINT32_MAX)
		return 0;
	return str_search(t, s, len, str_tag(s, len), &at);
}

/* Intern: equal strings get equal ids, so names compare as integers.
   A string of 4 GiB or more cannot be stored and gives 0. */
StrId ty_str(TyTable *t, const char *s, size_t len)
{
	if (len == 0 || len >= UINT32_MAX)
		return 0;
	uint32_t at, tag = str_tag(s, len);
	StrId found = str_search(t, s, len, tag, &at);
	if (found || t->nstr >= TY_SLOT || t->forked)
		return found;
	StrId id = str_add(t, s, len);
	if ((uint64_t)(t->nstr - t->nsorted) * 2 >= t->capshash) {
		str_resize(t, t->capshash ? t->capshash * 2 : 64);
		str_put(t->shash, t->capshash, tag, id);
	} else {
		t->shash[at] = (uint64_t)tag << 32 | id;   /* the table is as str_search left it */
	}
	return id;
}

/* A string's sort key: its first 16 bytes (at most len), zero past its end, as big-endian words. */
static void sort_key(uint64_t key[2], const char *s, size_t len)
{
	unsigned char b[16] = { 0 };
	memcpy(b, s, len < 16 ? len : 16);
	for (int w = 0; w < 2; w++) {
		key[w] = 0;
		for (int i = 0; i < 8; i++) key[w] = key[w] << 8 | b[8 * w + i];
	}
}

StrId ty_str_sorted(TyTable *t, const char *s, size_t len)
{
	if (len == 0 || len >= UINT32_MAX || t->nstr != t->nsorted + 1 || t->nstr >= TY_SLOT || t->forked)
		return 0;
	if (t->nsorted && ty_str_order(ty_str_text(t, t->nsorted), ty_strlen(t, t->nsorted), s, len) >= 0)
		return 0;
	t->nsorted++;
	sort_key(t->lastkey, s, len);
	return str_add(t, s, len);
}


/*
** Between strings without a NUL byte (the reader refuses any other before
** it orders them: rd_strings), ty_str_order is the order of their
** keys (sort_key) when one has at most 15 bytes: where the keys first
** differ, either both bytes are the strings' own, or the shorter string's
** key has its zero and the other string a byte that is not (so it is a
** prefix of the other, and comes first); and keys that do not differ are
** of equal strings, a zero past the end of both.
*/
StrId ty_str_sorted_short(TyTable *t, const char *s, size_t len)
{
	if (len == 0 || len > 15 || t->nstr != t->nsorted + 1 || t->nstr >= TY_SLOT || t->forked || t->nstr >= t->capstr)
		return 0;
	uint64_t w[2], keep[2];   /* little-endian: byte i of the string is bits 8i..8i+7 of w[i / 8] */
	memcpy(w, s, 16);
	keep[0] = len >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << 8 * len) - 1;
	keep[1] = len <= 8 ? 0 : (UINT64_C(1) << 8 * (len - 8)) - 1;
	w[0] &= keep[0];
	w[1] &= keep[1];
	if (zero_bytes(w[0] | ~keep[0]) || zero_bytes(w[1] | ~keep[1]))
		return 0;   /* a NUL byte */
	uint64_t k0 = __builtin_bswap64(w[0]), k1 = __builtin_bswap64(w[1]);
	if (t->nsorted && (k0 < t->lastkey[0] || (k0 == t->lastkey[0] && k1 <= t->lastkey[1])))
		return 0;
	t->lastkey[0] = k0;
	t->lastkey[1] = k1;
	t->nsorted++;
	StrId id = t->nstr++;
	memcpy(t->str[id].b, w, 16);   /* (zeros past len: b[15] too) */
	return id;
}

StrId ty_str_fresh(TyTable *t, const char *hint)
{
	if (t->nfresh >= UINT32_MAX - TY_FRESH)
		return 0;
	uint32_t old = t->capfresh;
	t->fhint = xgrow(t->fhint, sizeof *t->fhint, (size_t)t->nfresh + 1, &t->capfresh);
	if (t->capfresh != old)
		t->ftext = xrealloc(t->ftext, t->capfresh * sizeof *t->ftext);
	t->fhint[t->nfresh] = hint;
	t->ftext[t->nfresh] = NULL;
	return TY_FRESH + t->nfresh++;
}

/*
** The text of a string id; "" for ids the table does not have.  A made-up
** name's text is written the first time it is asked for (diagnostics), in
** the table's own string memory: the table is not const underneath.
*/
const char *ty_strof(const TyTable *t, StrId s)
{
	static const char slots[TY_SLOTS][4] = {
		"$0", "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11", "$12", "$13", "$14", "$15",
		"$16", "$17", "$18", "$19", "$20", "$21", "$22", "$23", "$24", "$25", "$26", "$27", "$28", "$29", "$30", "$31"
	};
	if (s < t->nstr)
		return ty_str_text(t, s);
	if (ty_is_slot(s)) {
		StrId shown = s - TY_SLOT < t->nshow ? t->show[s - TY_SLOT] : 0;
		return shown && shown < t->nstr ? ty_str_text(t, shown) : slots[s - TY_SLOT];
	}
	if (s < TY_FRESH || s - TY_FRESH >= t->nfresh)
		return "";
	uint32_t k = s - TY_FRESH;
	if (!t->ftext[k]) {
		/* primes until the text is no name of the table: a message names one variable once */
		char buf[80];
		int n = snprintf(buf, sizeof buf, "%.40s#%u", t->fhint[k], k + 1);
		while (ty_str_find(t, buf, (size_t)n) && n < (int)sizeof buf - 1) buf[n++] = '\'', buf[n] = 0;
		t->ftext[k] = arena_strdup(&((TyTable *)t)->strmem, buf, (size_t)n);
	}
	return t->ftext[k];
}

/* The bits of a node's hash kept in its slot of a hash-cons table, above its id (below MAXNODE). */
static inline uint32_t node_tag(uint64_t h)
{
	return (uint32_t)(h >> 56) << 24;
}

/* Put node `id` in its slot of the hash-cons table (known to be absent). */
static void node_slot(TyTable *t, TyId id)
{
	const TyNode *n = &t->node[id];
	uint32_t mask = t->caphash - 1;
	uint64_t h = node_hash(n->kind, n->flags, n->name, n->value,
	                       t->kid + n->kids, n->nkids);
	uint32_t i = (uint32_t)h & mask;
	while (t->hash[i])
		i = (i + 1) & mask;
	t->hash[i] = node_tag(h) | id;
}

/*
** A variable with a made-up name, and S(v) of one, are found by that
** name's number (fvar[2k] and fvar[2k + 1] for the name TY_FRESH + k),
** not in the hash-cons table: most are made once (a cmp of an int makes
** both), and a table slot is a cache miss each.  The index of the node's
** cell in fvar, or UINT32_MAX for a node the table keeps.
*/
static uint32_t fresh_cell(const TyTable *t, int kind, int flags, StrId name, const TyId *kids, int nkids)
{
	if (flags) return UINT32_MAX;
	if (kind == TY_VAR && name >= TY_FRESH && nkids == 0) return 2 * (name - TY_FRESH);
	if (kind != TY_SING || nkids != 1 || name) return UINT32_MAX;
	const TyNode *v = &t->node[kids[0]];
	return v->kind == TY_VAR && !v->flags && v->name >= TY_FRESH && !v->nkids ? 2 * (v->name - TY_FRESH) + 1 : UINT32_MAX;
}

static uint32_t fresh_node(const TyTable *t, TyId id)
{
	const TyNode *n = &t->node[id];
	return fresh_cell(t, n->kind, n->flags, n->name, t->kid + n->kids, n->nkids);
}

/* The nodes t's own hash-cons table holds (a fork's: those it made). */
static uint32_t own_nodes(const TyTable *t)
{
	return t->nnode - t->bnode;
}

/* Move to a hash-cons table of `cap` slots (a power of two). */
static void node_resize(TyTable *t, uint32_t cap)
{
	free(t->hash);
	t->caphash = cap;
	t->hash = xzalloc(t->caphash, sizeof *t->hash);
	for (TyId id = t->bnode ? t->bnode : 1; id < t->nnode; id++)
		if (fresh_node(t, id) == UINT32_MAX)
			node_slot(t, id);
}

/* Double the hash-cons table when it would become more than half full. */
static void node_rehash(TyTable *t)
{
	if ((uint64_t)own_nodes(t) * 2 >= t->caphash)
		node_resize(t, t->caphash ? t->caphash * 2 : 64);
}

void ty_node_reserve(TyTable *t, uint64_t n)
{
	uint64_t want = t->caphash ? t->caphash : 64;
	while (want <= 2 * (own_nodes(t) + n) && want < MAXNODE) want *= 2;
	if (want != t->caphash)
		node_resize(t, (uint32_t)want);
	if (t->nnode + n < MAXNODE && t->nkid + 2 * n < MAXKID) {   /* the arrays too: growing one copies it */
		t->node = room(t, LENT_NODE, t->node, sizeof *t->node, t->nnode, (size_t)(t->nnode + n), &t->capnode);
		t->kid = room(t, LENT_KID, t->kid, sizeof *t->kid, t->nkid, (size_t)(t->nkid + 2 * n), &t->capkid);
	}
}

/* Kids compared in a loop: most nodes have one to three, too few for a call to memcmp. */
static inline int same_kids(const TyId *a, const TyId *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i]) return 0;
	return 1;
}

/* Search one hash-cons table: the id of the node equal to the given one, or 0 with *at the empty slot the search stopped at. */
static inline __attribute__((always_inline)) TyId probe(const TyTable *t, const uint32_t *tab, uint32_t cap, uint64_t h, int kind, int flags,
                                                        StrId name, int64_t value, const TyId *kids, int nkids, uint32_t *at)
{
	uint32_t mask = cap - 1, tag = node_tag(h), i, s;
	for (i = (uint32_t)h & mask; (s = tab[i]); i = (i + 1) & mask) {
		if ((s & ~(uint32_t)NODE_ID) != tag) continue;
		const TyNode *n = &t->node[s & NODE_ID];
		if (n->kind == kind && n->flags == flags && n->name == name &&
		    n->value == value && n->nkids == nkids && same_kids(t->kid + n->kids, kids, nkids))
			return s & NODE_ID;
	}
	*at = i;
	return 0;
}

/*
** The id of an existing node equal to the given one, or 0 with *slot the
** empty slot of t's own table the search stopped at (UINT32_MAX when there
** is no table): where the node goes if it is made before the table
** changes.  A fork looks first in the table of the one it was made from.
*/
static TyId node_find(const TyTable *t, uint64_t h, int kind, int flags,
                      StrId name, int64_t value, const TyId *kids, int nkids, uint32_t *slot)
{
	uint32_t at = UINT32_MAX;
	TyId id;
	if (t->capbhash && (id = probe(t, t->bhash, t->capbhash, h, kind, flags, name, value, kids, nkids, &at)))
		return *slot = UINT32_MAX, id;
	id = t->caphash ? probe(t, t->hash, t->caphash, h, kind, flags, name, value, kids, nkids, &at) : 0;
	*slot = id || !t->caphash ? UINT32_MAX : at;
	return id;
}

/*
** Make or find a node.  Since kids must already exist, the graph is acyclic
** and ids are a topological order.  `value` only means something for
** TY_ICONST and is dropped for other kinds, so that it cannot tell nodes
** apart that the section format cannot.  0 on a bad kind, name or kid, or
** when a limit is reached.  hp: the node's hash, when the caller has it.
*/
static TyId node_make(TyTable *t, const uint64_t *hp, int kind, int flags, StrId name, int64_t value,
                      const TyId *kids, int nkids)
{
	if (kind <= TY_NONE || kind >= TY_NKINDS || flags < 0 || flags > 255)
		return 0;
	if (nkids < 0 || nkids > MAXKIDS || (nkids && !kids) ||
	    (name >= t->nstr && !ty_is_slot(name) && (name < TY_FRESH || name - TY_FRESH >= t->nfresh)))
		return 0;
	for (int i = 0; i < nkids; i++)
		if (kids[i] == 0 || kids[i] >= t->nnode)
			return 0;
	if (kind != TY_ICONST)
		value = 0;
	uint32_t cell = fresh_cell(t, kind, flags, name, kids, nkids);
	TyId id;
	uint32_t slot = UINT32_MAX;
	uint64_t h = 0;
	if (cell != UINT32_MAX) {
		if (cell < t->capfvar && t->fvar[cell])
			return t->fvar[cell];
	} else if ((id = node_find(t, h = hp ? *hp : node_hash(kind, flags, name, value, kids, nkids), kind, flags, name, value, kids, nkids, &slot))) {
		return id;
	}
	if (t->nnode >= MAXNODE || t->nkid > (uint32_t)(MAXKID - nkids) || (t->cap && ty_parts(t) + (uint64_t)nkids + 1 > t->cap))
		return t->full = 1, 0;
	/* kids may point into t->kid, which is about to move */
	uintptr_t at = (uintptr_t)kids, base = (uintptr_t)t->kid;
	size_t inside = SIZE_MAX;
	if (nkids && t->nkid && at >= base && at < base + (uintptr_t)t->nkid * sizeof *kids)
		inside = (at - base) / sizeof *kids;
	t->kid = room(t, LENT_KID, t->kid, sizeof *t->kid, t->nkid, (size_t)t->nkid + nkids, &t->capkid);
	if (inside != SIZE_MAX)
		kids = t->kid + inside;
	t->node = room(t, LENT_NODE, t->node, sizeof *t->node, t->nnode, (size_t)t->nnode + 1, &t->capnode);
	id = t->nnode++;
	TyNode *n = &t->node[id];
	n->kind = (uint8_t)kind;
	n->flags = (uint8_t)flags;
	n->nkids = (uint16_t)nkids;
	n->name = name;
	n->value = value;
	n->kids = t->nkid;
	n->vars = kind == TY_VAR ? ty_var_bit(name) : 0;
	for (int i = 0; i < nkids; i++)
		n->vars |= t->node[kids[i]].vars;
	if (nkids)
		memmove(t->kid + t->nkid, kids, nkids * sizeof *kids);
	t->nkid += nkids;
	if (cell != UINT32_MAX) {
		t->fvar = xgrowz(t->fvar, sizeof *t->fvar, (size_t)cell + 1, &t->capfvar);
		t->fvar[cell] = id;
	} else if ((uint64_t)own_nodes(t) * 2 >= t->caphash) {
		node_rehash(t);
	} else {
		t->hash[slot] = node_tag(h) | id;   /* the table is as node_find left it: only node and kid moved */
	}
	return id;
}

TyId ty_node(TyTable *t, int kind, int flags, StrId name, int64_t value, const TyId *kids, int nkids)
{
	return node_make(t, NULL, kind, flags, name, value, kids, nkids);
}

TyId ty_node_hashed(TyTable *t, uint64_t h, int kind, int flags, StrId name, int64_t value, const TyId *kids, int nkids)
{
	return node_make(t, &h, kind, flags, name, value, kids, nkids);
}

uint64_t ty_node_fetch(const TyTable *t, int kind, int flags, StrId name, int64_t value, const TyId *kids, int nkids)
{
	if (nkids < 0 || nkids > MAXKIDS) return 0;   /* (ty_node refuses it before it looks at a hash) */
	uint64_t h = node_hash(kind, flags, name, kind == TY_ICONST ? value : 0, kids, nkids);
	if (t->caphash) __builtin_prefetch(&t->hash[(uint32_t)h & (t->caphash - 1)]);
	return h;
}

/* Room for `need` entries, and their positions unless the table keeps none. */
static void entry_room(TyTable *t, size_t need)
{
	uint32_t old = t->capent;
	t->ent = xgrow(t->ent, sizeof *t->ent, need, &t->capent);
	if (!t->nopos && (t->capent != old || !t->epos)) t->epos = xrealloc(t->epos, (size_t)t->capent * sizeof *t->epos);
}

void ty_entry_reserve(TyTable *t, uint64_t n)
{
	if (n > RESERVE_MAX)
		n = RESERVE_MAX;
	if (t->forked || t->nent + n > UINT32_MAX / 2)
		return;
	entry_room(t, (size_t)(t->nent + n));
}

void ty_names_index(const TyTable *t, TyNames *x)
{
	x->nfirst = t->nstr;
	x->first = xcalloc((size_t)x->nfirst + 1, sizeof *x->first);
	x->next = xcalloc((size_t)t->nent + 1, sizeof *x->next);
	for (uint32_t i = t->nent; i-- > 0;) {   /* from the back: each chain comes out in table order */
		StrId n = t->ent[i].name;
		if (n >= x->nfirst) continue;
		x->next[i] = x->first[n];
		x->first[n] = i + 1;
	}
}

void ty_names_free(TyNames *x)
{
	free(x->first);
	free(x->next);
	x->first = x->next = NULL;
	x->nfirst = 0;
}

/* Entries are kept in the order the unit declares them. */
void ty_add_entry(TyTable *t, const TyEntry *e, TyPos pos)
{
	if (t->nent >= t->capent) entry_room(t, (size_t)t->nent + 1);
	if (t->epos) t->epos[t->nent] = pos;
	t->ent[t->nent++] = *e;
}

/* Annotations are kept in source order, which is .text order. */
void ty_add_annot(TyTable *t, const TyAnnot *a)
{
	t->ann = xgrow(t->ann, sizeof *t->ann, (size_t)t->nann + 1, &t->capann);
	t->ann[t->nann++] = *a;
}

/* ---- sorts ---- */

/* The sort a node stands for; 0 for variables and names, which fit any. */
static int sort_of(int kind)
{
	switch (kind) {
	case TY_VAR: case TY_NAME:
		return 0;
	case TY_RECORD: case TY_ARRAY:
		return SORT_LAYOUT;
	case TY_SNIL: case TY_SCONS:
		return SORT_STACK;
	case TY_ICONST: case TY_IADD: case TY_ISUB: case TY_IMUL:
		return SORT_INDEX;
	case TY_CLT: case TY_CLE: case TY_CEQ: case TY_CNE:
		return SORT_CONSTR;
	case TY_FIELD: case TY_BINDER: case TY_REG: case TY_STACKREQ:
	case TY_FUELREQ: case TY_LIST:
		return SORT_PART;
	default:
		return SORT_VALUE;
	}
}

/* Does node `id` fit where sort `s` is wanted? */
static int fits(const TyTable *t, TyId id, int s)
{
	int k = sort_of(t->node[id].kind);
	return k == 0 || k == s;
}

/*
** Where a kid of a code or existential type belongs: binders (0), then
** constraints (1), registers (2), stack (3) and fuel (4); -1 for nothing.
** Variables and names count as constraints, since they fit any sort.
*/
static int part_rank(int kind)
{
	switch (kind) {
	case TY_BINDER: return 0;
	case TY_CLT: case TY_CLE: case TY_CEQ: case TY_CNE:
	case TY_VAR: case TY_NAME: return 1;
	case TY_REG: return 2;
	case TY_STACKREQ: return 3;
	case TY_FUELREQ: return 4;
	default: return -1;
	}
}

/* Kids of a code type: parts in rank order, each register once. */
static const char *check_code(const TyTable *t, const TyId *k, int nk)
{
	int last = 0;
	uint32_t regs = 0;
	for (int i = 0; i < nk; i++) {
		const TyNode *c = &t->node[k[i]];
		int r = part_rank(c->kind);
		if (r < 0)
			return "code type parts must be binders, constraints, registers, stack and fuel";
		if (r < last || (r == last && r >= 3))
			return "code type parts are out of order";
		if (r == 2) {
			if (regs >> c->flags & 1)
				return "register appears twice in a code type";
			regs |= 1u << c->flags;
		}
		last = r;
	}
	return NULL;
}

/* Kids of an existential: binders, constraints, then a value type. */
static const char *check_exists(const TyTable *t, const TyId *k, int nk)
{
	int last = 0;
	if (nk < 1)
		return "existential type needs a body";
	for (int i = 0; i < nk - 1; i++) {
		int r = part_rank(t->node[k[i]].kind);
		if (r < 0 || r > 1)
			return "existential parts must be binders and constraints";
		if (r < last)
			return "existential binders must come before constraints";
		last = r;
	}
	if (!fits(t, k[nk - 1], SORT_VALUE))
		return "existential body must be a value type";
	return NULL;
}

/* Nodes without kids: only the arity and flags can be wrong. */
static const char *check_leaf(const TyNode *n)
{
	if (n->nkids)
		return "this kind of node has no kids";
	if (n->kind == TY_BINDER)
		return n->flags >= TK_TYPE && n->flags <= TK_SIZE ? NULL : "binder sort must be type, stack or size";
	return n->flags ? "this kind of node has no flags" : NULL;
}

/* Nodes whose kids all have one sort (or two, for e op e). */
static const char *check_fixed(const TyTable *t, const TyNode *n, const TyId *k)
{
	switch (n->kind) {
	case TY_SING:
		return n->nkids == 1 && fits(t, k[0], SORT_INDEX) ? NULL : "S(e) needs an index expression";
	case TY_MU:
		return n->nkids == 1 && fits(t, k[0], SORT_VALUE) ? NULL : "rec body must be a value type";
	case TY_PTR:
		if (n->flags & ~TF_NULLABLE)
			return "bad pointer flags";
		return n->nkids == 1 && fits(t, k[0], SORT_LAYOUT) ? NULL : "pointer target must be a layout";
	case TY_STACKREQ: case TY_FUELREQ:
		return n->nkids == 1 && fits(t, k[0], SORT_INDEX) ? NULL : "stack and fuel need an index expression";
	case TY_IADD: case TY_ISUB:
		return n->nkids == 2 && fits(t, k[0], SORT_INDEX) && fits(t, k[1], SORT_INDEX) ? NULL : "operands of + and - must be index expressions";
	case TY_IMUL:
		if (n->nkids != 2 || t->node[k[0]].kind != TY_ICONST)
			return "multiplier must be an integer constant";
		return fits(t, k[1], SORT_INDEX) ? NULL : "operand of * must be an index expression";
	default: /* constraints */
		return n->nkids == 2 && fits(t, k[0], SORT_INDEX) && fits(t, k[1], SORT_INDEX) ? NULL : "comparisons need index expressions";
	}
}

/* Memory layouts: records of fields, fields, arrays. */
static const char *check_layout(const TyTable *t, const TyNode *n, const TyId *k)
{
	int perm = n->flags & TF_RW;
	switch (n->kind) {
	case TY_RECORD:
		for (int i = 0; i < n->nkids; i++)
			if (t->node[k[i]].kind != TY_FIELD)
				return "record members must be fields";
		return n->flags ? "this kind of node has no flags" : NULL;
	case TY_FIELD:
		if (!perm || (n->flags & ~(TF_RW | TF_UNINIT)))
			return "field permission must be ro, wo or rw";
		if (n->nkids != 1 || !(fits(t, k[0], SORT_VALUE) || fits(t, k[0], SORT_LAYOUT)))
			return "field type must be a value type or a layout";
		return NULL;
	default: /* TY_ARRAY */
		if (!perm || (n->flags & ~TF_RW))
			return "array permission must be ro, wo or rw";
		if (n->nkids != 2 || !(fits(t, k[0], SORT_VALUE) || fits(t, k[0], SORT_LAYOUT)))
			return "array element must be a value type or a layout";
		return fits(t, k[1], SORT_INDEX) ? NULL : "array length must be an index expression";
	}
}

/*
** Sort check of one node against its kids (which are checked on their own):
** the decoder calls this on every node, so a table that decodes is well
** sorted.  Besides kid sorts it checks arity, flags and required names.
*/
const char *ty_check_node(const TyTable *t, TyId id)
{
	if (id == 0 || id >= t->nnode)
		return "no such node";
	const TyNode *n = &t->node[id];
	const TyId *k = t->kid + n->kids;
	int named = n->kind == TY_VAR || n->kind == TY_NAME || n->kind == TY_MU ||
	            n->kind == TY_FIELD || n->kind == TY_BINDER;
	if (named && n->name == 0)
		return "variables, names, rec, fields and binders need a name";
	switch (n->kind) {
	case TY_INT: case TY_U8: case TY_U16: case TY_U32: case TY_U64: case TY_LIMIT: case TY_BUDGET:
	case TY_ANY: case TY_VAR: case TY_SNIL: case TY_BINDER: case TY_ICONST:
		return check_leaf(n);
	case TY_NAME: case TY_LIST:
		return n->flags ? "this kind of node has no flags" : NULL;
	case TY_CODE: case TY_EXISTS:
		if (n->flags)
			return "this kind of node has no flags";
		return n->kind == TY_CODE ? check_code(t, k, n->nkids) : check_exists(t, k, n->nkids);
	case TY_RECORD: case TY_FIELD: case TY_ARRAY:
		return check_layout(t, n, k);
	case TY_SCONS:
		if (n->flags || n->nkids != 2)
			return "t :: s needs a slot and a stack";
		if (!fits(t, k[0], SORT_VALUE))
			return "stack slot must be a value type";
		return fits(t, k[1], SORT_STACK) ? NULL : "rest of the stack must be a stack type";
	case TY_REG:
		if (n->flags > 15 || n->nkids != 1)
			return "register must be rax..r15 with one type";
		if (n->flags == 4)  /* R_RSP in x86.h */
			return fits(t, k[0], SORT_STACK) ? NULL : "rsp must have a stack type";
		return fits(t, k[0], SORT_VALUE) ? NULL : "register type must be a value type";
	case TY_SPTR:
		if (n->flags || n->nkids != 1)
			return "sptr(s) needs one stack type";
		return fits(t, k[0], SORT_STACK) ? NULL : "sptr(s) needs a stack type";
	case TY_SING: case TY_MU: case TY_PTR: case TY_STACKREQ: case TY_FUELREQ:
	case TY_IADD: case TY_ISUB: case TY_IMUL:
	case TY_CLT: case TY_CLE: case TY_CEQ: case TY_CNE:
		if (n->flags && n->kind != TY_PTR)
			return "this kind of node has no flags";
		return check_fixed(t, n, k);
	default:
		return "unknown node kind";
	}
}

/* ---- printing ---- */

typedef struct Pr {
	const TyTable *t;
	char *buf;
	size_t cap, n;       /* n: bytes the full text would have so far */
	size_t limit, work;  /* give up after `limit` nodes or bytes     */
	int depth, stop;
	StrId hid[PRHID];    /* binders around that print as a slot does (t->show): */
	int nhid;            /* they print primed                                   */
} Pr;

/* Where a node is printed, for deciding on parentheses. */
enum {
	C_TOP,     /* nothing follows that could be swallowed          */
	C_OPEN,    /* something follows: wrap rec, exists, ::, clauses */
	C_RIGHT,   /* right of + or -: wrap sums and negative numbers  */
	C_FACTOR   /* operand of *: wrap sums, products and negatives  */
};

/* Append bytes, keeping room for the NUL; count what does not fit. */
static void put(Pr *p, const char *s, size_t len)
{
	if (p->n < p->cap) {
		size_t room = p->cap - 1 - p->n;
		memcpy(p->buf + p->n, s, len < room ? len : room);
	}
	p->n += len;
}

/* Append a C string. */
static void pstr(Pr *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Append a decimal integer. */
static void pnum(Pr *p, int64_t v)
{
	char tmp[24];
	int len = snprintf(tmp, sizeof tmp, "%" PRId64, v);
	put(p, tmp, (size_t)len);
}

/* Is s a name a slot prints as (TyTable.show)? */
static int shown(const TyTable *t, StrId s)
{
	for (uint32_t i = 0; s && i < t->nshow; i++)
		if (t->show[i] == s) return 1;
	return 0;
}

/*
** A variable or a binder: primed when a binder around it in the type
** prints as a slot does, so that the two read apart
** (code[m': size] {rdi: *[u64 ro; m], rsi: S(m')}, m a slot).
*/
static void pvar(Pr *p, StrId s);

/* Append a string of the table (by length: names are counted, not scanned). */
static void pname(Pr *p, StrId s)
{
	if (s < p->t->nstr)
		put(p, ty_str_text(p->t, s), ty_strlen(p->t, s));
	else {
		const char *n = ty_strof(p->t, s);
		put(p, n, strlen(n));
	}
}

static void pvar(Pr *p, StrId s)
{
	pname(p, s);
	for (int i = p->nhid; i-- > 0;)
		if (p->hid[i] == s) { pstr(p, "'"); break; }
}

/* Binders of node n (kids k) that print as a slot does, to p->hid; how many were there before. */
static int hide(Pr *p, const TyNode *n, const TyId *k)
{
	int mark = p->nhid;
	if (!p->t->nshow) return mark;
	if (n->kind == TY_MU && p->nhid < PRHID && shown(p->t, n->name)) p->hid[p->nhid++] = n->name;
	for (int i = 0; (n->kind == TY_CODE || n->kind == TY_EXISTS) && i < n->nkids && p->t->node[k[i]].kind == TY_BINDER; i++)
		if (p->nhid < PRHID && shown(p->t, p->t->node[k[i]].name)) p->hid[p->nhid++] = p->t->node[k[i]].name;
	return mark;
}

static void pnode(Pr *p, TyId id, int ctx);

/* Kids from..to-1, separated by commas. */
static void pkids(Pr *p, const TyId *k, int from, int to)
{
	for (int i = from; i < to && !p->stop; i++) {
		if (i > from)
			pstr(p, ", ");
		pnode(p, k[i], C_TOP);
	}
}

/* "[binders | constraints]" of a code or existential type: the first nk kids. */
static void pbinders(Pr *p, const TyId *k, int nk)
{
	int nb = 0;
	while (nb < nk && p->t->node[k[nb]].kind == TY_BINDER)
		nb++;
	pstr(p, "[");
	pkids(p, k, 0, nb);
	if (nb < nk) {
		pstr(p, nb ? " | " : "| ");
		pkids(p, k, nb, nk);
	}
	pstr(p, "]");
}

/* code[binders | constraints] {regs} stack e fuel e */
static void pcode(Pr *p, const TyNode *n, const TyId *k)
{
	int nb = 0, nr;
	while (nb < n->nkids && part_rank(p->t->node[k[nb]].kind) <= 1 &&
	       part_rank(p->t->node[k[nb]].kind) >= 0)
		nb++;
	pstr(p, "code");
	if (nb)
		pbinders(p, k, nb);
	pstr(p, " {");
	for (nr = nb; nr < n->nkids && p->t->node[k[nr]].kind == TY_REG; nr++)
		;
	pkids(p, k, nb, nr);
	pstr(p, "}");
	for (int i = nr; i < n->nkids && !p->stop; i++) {
		pstr(p, " ");
		pnode(p, k[i], C_OPEN);
	}
}

/* Permissions always print, so that "ro" is never left implicit. */
static const char *perm_name(int flags)
{
	static const char *const names[] = { "?", "ro", "wo", "rw" };
	return names[flags & TF_RW];
}

/* Index expressions and constraints. */
static void pindex(Pr *p, const TyNode *n, const TyId *k)
{
	static const char *const ops[] = {
		[TY_IADD] = " + ", [TY_ISUB] = " - ",
		[TY_CLT] = " < ", [TY_CLE] = " <= ", [TY_CEQ] = " == ", [TY_CNE] = " != "
	};
	if (n->kind == TY_ICONST) {
		pnum(p, n->value);
	} else if (n->nkids != 2) {
		pstr(p, "?");
	} else if (n->kind == TY_IMUL) {
		pnode(p, k[0], C_FACTOR);
		pstr(p, "*");
		pnode(p, k[1], C_FACTOR);
	} else {
		int right = n->kind == TY_IADD || n->kind == TY_ISUB ? C_RIGHT : C_TOP;
		pnode(p, k[0], C_TOP);
		pstr(p, ops[n->kind]);
		pnode(p, k[1], right);
	}
}

/* Parts of code types, records and lists, which print on their own too. */
static void ppart(Pr *p, const TyNode *n, const TyId *k)
{
	static const char *const regs[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
	};
	static const char *const sorts[] = { "?", "type", "stack", "size" };
	switch (n->kind) {
	case TY_FIELD:
		pname(p, n->name);
		pstr(p, ": ");
		if (n->nkids)
			pnode(p, k[0], C_OPEN);
		pstr(p, " ");
		pstr(p, perm_name(n->flags));
		if (n->flags & TF_UNINIT)
			pstr(p, " uninit");
		break;
	case TY_BINDER:
		pvar(p, n->name);
		pstr(p, ": ");
		pstr(p, sorts[n->flags <= TK_SIZE ? n->flags : 0]);
		break;
	case TY_REG:
		pstr(p, n->flags < 16 ? regs[n->flags] : "r?");
		pstr(p, ": ");
		pkids(p, k, 0, n->nkids);
		break;
	case TY_STACKREQ: case TY_FUELREQ:
		pstr(p, n->kind == TY_STACKREQ ? "stack " : "fuel ");
		if (n->nkids)
			pnode(p, k[0], C_FACTOR);   /* the grammar takes a primary here */
		break;
	default: /* TY_LIST, TY_RECORD */
		pstr(p, n->kind == TY_LIST ? "[" : "{");
		pkids(p, k, 0, n->nkids);
		pstr(p, n->kind == TY_LIST ? "]" : "}");
		break;
	}
}

/* Types proper: everything but index expressions and parts. */
static void ptype(Pr *p, const TyNode *n, const TyId *k)
{
	static const char *const words[] = {
		[TY_INT] = "int", [TY_U8] = "u8", [TY_U16] = "u16", [TY_U32] = "u32",
		[TY_U64] = "u64", [TY_ANY] = "any", [TY_SNIL] = "empty", [TY_LIMIT] = "limit",
		[TY_BUDGET] = "budget"
	};
	switch (n->kind) {
	case TY_SING: case TY_SPTR:
		pstr(p, n->kind == TY_SING ? "S(" : "sptr(");
		pkids(p, k, 0, n->nkids);
		pstr(p, ")");
		break;
	case TY_VAR: case TY_NAME:
		if (n->kind == TY_VAR) pvar(p, n->name);
		else pname(p, n->name);
		if (n->kind == TY_NAME && n->nkids) {
			pstr(p, "[");
			pkids(p, k, 0, n->nkids);
			pstr(p, "]");
		}
		break;
	case TY_PTR:
		pstr(p, n->flags & TF_NULLABLE ? "?*" : "*");
		if (n->nkids)
			pnode(p, k[0], C_OPEN);
		break;
	case TY_CODE:
		pcode(p, n, k);
		break;
	case TY_EXISTS:
		pstr(p, "exists");
		pbinders(p, k, n->nkids ? n->nkids - 1 : 0);
		pstr(p, ". ");
		if (n->nkids)
			pnode(p, k[n->nkids - 1], C_TOP);
		break;
	case TY_MU:
		pstr(p, "rec ");
		pvar(p, n->name);
		pstr(p, ". ");
		pkids(p, k, 0, n->nkids);
		break;
	case TY_ARRAY:
		pstr(p, "[");
		if (n->nkids == 2) {
			pnode(p, k[0], C_OPEN);
			pstr(p, " ");
			pstr(p, perm_name(n->flags));
			pstr(p, "; ");
			pnode(p, k[1], C_TOP);
		}
		pstr(p, "]");
		break;
	case TY_SCONS:
		if (n->nkids == 2) {
			pnode(p, k[0], C_OPEN);
			pstr(p, " :: ");
			pnode(p, k[1], C_TOP);
		}
		break;
	default:
		pstr(p, n->kind < sizeof words / sizeof *words && words[n->kind] ? words[n->kind] : "?");
		break;
	}
}

/* Does node `id`, printed in context `ctx`, need parentheses? */
static int needs_paren(const TyTable *t, TyId id, int ctx)
{
	const TyNode *n = &t->node[id];
	int sum = n->kind == TY_IADD || n->kind == TY_ISUB;
	int neg = n->kind == TY_ICONST && n->value < 0;
	switch (ctx) {
	case C_OPEN:
		if (n->kind == TY_CODE && n->nkids)
			return part_rank(t->node[t->kid[n->kids + n->nkids - 1]].kind) >= 3;
		return n->kind == TY_MU || n->kind == TY_EXISTS || n->kind == TY_SCONS;
	case C_RIGHT:
		return sum || neg;
	case C_FACTOR:
		return sum || neg || n->kind == TY_IMUL;
	default:
		return 0;
	}
}

/* Print one node, bounded in depth and in total work. */
static void pnode(Pr *p, TyId id, int ctx)
{
	if (p->stop)
		return;
	if (++p->work > p->limit || p->n > p->limit) {
		pstr(p, "...");
		p->stop = 1;
		return;
	}
	if (id == 0 || id >= p->t->nnode) {
		pstr(p, "?");
		return;
	}
	if (p->depth >= PRDEPTH) {
		pstr(p, "...");
		return;
	}
	const TyNode *n = &p->t->node[id];
	const TyId *k = p->t->kid + n->kids;
	int paren = needs_paren(p->t, id, ctx);
	if (paren)
		pstr(p, "(");
	p->depth++;
	int mark = hide(p, n, k);
	switch (sort_of(n->kind)) {
	case SORT_INDEX: case SORT_CONSTR:
		pindex(p, n, k);
		break;
	case SORT_PART:
		ppart(p, n, k);
		break;
	case SORT_LAYOUT:
		if (n->kind == TY_RECORD)
			ppart(p, n, k);
		else
			ptype(p, n, k);
		break;
	default:
		ptype(p, n, k);
		break;
	}
	p->nhid = mark;
	p->depth--;
	if (paren)
		pstr(p, ")");
}

/*
** Print like snprintf.  Hash-consed types are DAGs whose text can be
** exponentially long, so printing also stops (with "...") after about a
** million nodes or bytes, or `cap` bytes when that is more; the result is
** then a length of what was printed, still >= cap when truncated by cap.
*/
size_t ty_print(const TyTable *t, TyId id, char *buf, size_t cap)
{
	Pr p = { .t = t, .buf = buf, .cap = buf ? cap : 0, .limit = cap > PRWORK ? cap : PRWORK };
	pnode(&p, id, C_TOP);
	if (p.cap)
		buf[p.n < p.cap ? p.n : p.cap - 1] = 0;
	return p.n;
}

/* ---- comparison ---- */

/* Report a difference (if asked for the reason) and return 1. */
static int differ(char *why, size_t cap, const char *what, uint32_t i)
{
	if (why && cap)
		snprintf(why, cap, "%s %" PRIu32 " differs", what, i);
	return 1;
}

/* String x of a and y of b have the same text (ids differ after encoding: a section's are in order). */
static int same_str(const TyTable *a, StrId x, const TyTable *b, StrId y)
{
	const char *s = ty_strof(a, x), *u = ty_strof(b, y);
	return !strcmp(s, u);
}

/* Strings (as sets), then nodes id by id. */
static int cmp_nodes(const TyTable *a, const TyTable *b, char *why, size_t cap)
{
	if (a->nstr != b->nstr)
		return differ(why, cap, "string count", a->nstr);
	for (uint32_t i = 1; i < a->nstr; i++)
		if (!ty_str_find(b, ty_str_text(a, i), ty_strlen(a, i)))
			return differ(why, cap, "string", i);
	if (a->nnode != b->nnode)
		return differ(why, cap, "node count", a->nnode);
	for (uint32_t i = 1; i < a->nnode; i++) {
		const TyNode *x = &a->node[i], *y = &b->node[i];
		if (x->kind != y->kind || x->flags != y->flags || !same_str(a, x->name, b, y->name) ||
		    x->value != y->value || x->nkids != y->nkids)
			return differ(why, cap, "node", i);
		for (int j = 0; j < x->nkids; j++)
			if (a->kid[x->kids + j] != b->kid[y->kids + j])
				return differ(why, cap, "kids of node", i);
	}
	return 0;
}

/* Entries and annotations, field by field (structs have padding). */
static int cmp_decls(const TyTable *a, const TyTable *b, char *why, size_t cap)
{
	if (a->nent != b->nent)
		return differ(why, cap, "entry count", a->nent);
	for (uint32_t i = 0; i < a->nent; i++) {
		const TyEntry *x = &a->ent[i], *y = &b->ent[i];
		TyPos px = ty_entry_pos(a, x), py = ty_entry_pos(b, y);
		if (x->kind != y->kind || x->sect != y->sect || !same_str(a, x->name, b, y->name) ||
		    x->offset != y->offset || x->type != y->type || !same_str(a, px.file, b, py.file) ||
		    px.line != py.line || px.col != py.col)
			return differ(why, cap, "entry", i);
	}
	if (a->nann != b->nann)
		return differ(why, cap, "annotation count", a->nann);
	for (uint32_t i = 0; i < a->nann; i++) {
		const TyAnnot *x = &a->ann[i], *y = &b->ann[i];
		if (x->offset != y->offset || x->op != y->op || x->loc != y->loc || x->edge != y->edge ||
		    x->reg != y->reg || x->disp != y->disp || x->type != y->type ||
		    x->args != y->args || !same_str(a, x->file, b, y->file) || x->line != y->line ||
		    x->col != y->col)
			return differ(why, cap, "annotation", i);
	}
	return 0;
}

/* Tables built the same way have the same node ids, so compare id by id; strings by their text. */
int ty_table_cmp(const TyTable *a, const TyTable *b, char *why, size_t whycap)
{
	if (why && whycap)
		why[0] = 0;
	return cmp_nodes(a, b, why, whycap) || cmp_decls(a, b, why, whycap);
}

/* ---- copying between tables (linker, module verification) ---- */

/* The name of a string of src in dst. */
static StrId copy_str(TyTable *dst, const TyTable *src, StrId s)
{
	return s ? ty_str(dst, ty_str_text(src, s), ty_strlen(src, s)) : 0;
}

/*
** Copy src's node id into dst, its kids already copied (map[k] != 0).
** Kids have smaller ids than their parents, so copying in increasing id
** order needs no recursion, whatever the depth of a type.
*/
static TyId copy_one(TyTable *dst, const TyTable *src, TyId id, const TyId *map, const StrId *rename)
{
	const TyNode *n = &src->node[id];
	TyId kids[256], *k = n->nkids <= 256 ? kids : xmalloc(n->nkids * sizeof *k);
	for (int i = 0; i < n->nkids; i++) k[i] = map[src->kid[n->kids + i]];
	StrId name = n->kind == TY_NAME && rename && n->name < src->nstr && rename[n->name]
	             ? rename[n->name] : copy_str(dst, src, n->name);
	TyId r = ty_node(dst, n->kind, n->flags, name, n->value, k, n->nkids);
	if (k != kids) free(k);
	return r;
}

static int by_id(const void *a, const void *b)
{
	TyId x = *(const TyId *)a, y = *(const TyId *)b;
	return (x > y) - (x < y);
}

/*
** What id reaches and is not copied yet, found by a walk that goes only
** there (so that copying many types, one by one, costs what they add, not
** the size of src each time), is copied in increasing id order: kids first.
** While the walk lasts, map holds QUEUED for a node it found.
*/
enum { QUEUED = UINT32_MAX };

TyId ty_copy(TyTable *dst, const TyTable *src, TyId id, TyId *map, const StrId *rename)
{
	if (!id || id >= src->nnode) return 0;
	if (map[id]) return map[id];
	TyId *todo = NULL, *walk = NULL;
	unsigned captodo = 0, capwalk = 0;
	uint32_t ntodo = 0, nwalk = 0;
	map[id] = QUEUED;
	walk = xgrow(walk, sizeof *walk, 1, &capwalk);
	walk[nwalk++] = id;
	while (nwalk) {
		TyId v = walk[--nwalk];
		todo = xgrow(todo, sizeof *todo, (size_t)ntodo + 1, &captodo);
		todo[ntodo++] = v;
		const TyNode *n = &src->node[v];
		for (int j = 0; j < n->nkids; j++) {
			TyId k = src->kid[n->kids + j];
			if (map[k]) continue;
			map[k] = QUEUED;
			walk = xgrow(walk, sizeof *walk, (size_t)nwalk + 1, &capwalk);
			walk[nwalk++] = k;
		}
	}
	qsort(todo, ntodo, sizeof *todo, by_id);
	uint32_t i = 0;
	for (; i < ntodo; i++)
		if (!(map[todo[i]] = copy_one(dst, src, todo[i], map, rename))) break;
	for (; i < ntodo; i++) map[todo[i]] = 0;   /* a limit was hit: what is left is not copied */
	free(todo);
	free(walk);
	return map[id];
}

TyEntry ty_copy_entry(TyTable *dst, const TyTable *src, const TyEntry *e, TyId *map, const StrId *rename)
{
	TyEntry r = *e;
	r.name = copy_str(dst, src, e->name);
	r.type = e->type ? ty_copy(dst, src, e->type, map, rename) : 0;
	return r;
}

TyPos ty_copy_pos(TyTable *dst, const TyTable *src, const TyEntry *e)
{
	TyPos p = ty_entry_pos(src, e);
	p.file = copy_str(dst, src, p.file);
	return p;
}
