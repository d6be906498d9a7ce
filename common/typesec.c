/*
** typesec.c - the `.tal.types` and `.tal.lines` sections: byte buffers,
** LEB128, the encoders, and decoders for bytes nobody vouches for.
**
** docs/typesections.md gives the formats byte by byte.  The decoders check
** every count against the bytes left before they loop or allocate, accept
** only the shortest LEB128 of each number, and reject duplicate strings and
** nodes, so a section that decodes is the one encoding of its table:
** decoding then encoding gives back the same bytes.
*/
#include "types.h"
#include "arena.h"
#include "module.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	MAXNODE = 1 << 24,  /* as in types.c: node ids stay below this */
	MAXKIDS = 65535,
	NODEMIN = 4,        /* fewest bytes of a node, entry, annotation, row */
	NODE_RESERVE_MAX = 1 << 20,   /* nodes made room for before they are read */
	ENTMIN = 8,
	ANNMIN = 10,
	ROWMIN = 4
};

/* ---- writing ---- */

/* Append bytes, doubling the buffer as needed. */
void buf_put(Buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->cap - b->n < n) {
		size_t c = b->cap ? b->cap : 64;
		while (c - b->n < n)
			c *= 2;
		b->p = xrealloc(b->p, c);
		b->cap = c;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* Unsigned LEB128: 7 bits a byte, low first, top bit = more follows. */
void buf_uleb(Buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	buf_put(b, tmp, n);
}

/* Signed LEB128: stop once the rest is the sign extension of bit 6. */
void buf_sleb(Buf *b, int64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	for (;;) {
		uint8_t byte = (uint64_t)v & 0x7f;
		v = v < 0 ? ~(~v >> 7) : v >> 7;
		if ((v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40))) {
			tmp[n++] = byte;
			break;
		}
		tmp[n++] = byte | 0x80;
	}
	buf_put(b, tmp, n);
}

/* Kinds, flags and small codes are single bytes. */
static void buf_u8(Buf *b, unsigned v)
{
	uint8_t c = (uint8_t)v;
	buf_put(b, &c, 1);
}

/* Magic, little-endian u16 version, u16 flags (0). */
static void buf_header(Buf *b, const char *magic, unsigned version)
{
	uint8_t h[8] = { 0, 0, 0, 0, version & 0xff, version >> 8, 0, 0 };
	memcpy(h, magic, 4);
	buf_put(b, h, sizeof h);
}

/* A string: its length, then its bytes (no NUL). */
static void buf_string(Buf *b, const char *s, size_t len)
{
	buf_uleb(b, len);
	buf_put(b, s, len);
}

/*
** A section's strings are in order (ty_str_order), so a reader finds a
** repeat by looking at the string before, and a name by binary search,
** with no hash table; the ids the section uses are their ranks in that
** order.  id[old] is the new id of the table's string old.
*/
typedef struct SortStr { const char *s; uint32_t len; StrId old; } SortStr;

static int by_bytes(const void *a, const void *b)
{
	const SortStr *x = a, *y = b;
	return ty_str_order(x->s, x->len, y->s, y->len);
}

static StrId *string_ranks(const TyTable *t)
{
	StrId *id = xmalloc((size_t)t->nstr * sizeof *id);
	for (StrId i = 0; i < t->nstr; i++) id[i] = i;
	if (t->nsorted + 1 == t->nstr) return id;   /* a decoded table: in order already */
	SortStr *v = xmalloc((size_t)t->nstr * sizeof *v);
	for (StrId i = 1; i < t->nstr; i++) v[i - 1] = (SortStr){ ty_str_text(t, i), ty_strlen(t, i), i };
	qsort(v, t->nstr - 1, sizeof *v, by_bytes);
	for (StrId i = 1; i < t->nstr; i++) id[v[i - 1].old] = i;
	free(v);
	return id;
}

/* A string id as the section numbers it (made-up names are never written). */
static void buf_strid(Buf *b, const StrId *id, const TyTable *t, StrId s)
{
	buf_uleb(b, s < t->nstr ? id[s] : 0);
}

/* Strings 1.. and nodes 1..; string 0 and node 0 are implicit. */
static void enc_nodes(const TyTable *t, const StrId *id, Buf *out)
{
	StrId *at = xmalloc((size_t)t->nstr * sizeof *at);   /* by new id: the old */
	for (StrId i = 1; i < t->nstr; i++) at[id[i]] = i;
	buf_uleb(out, t->nstr - 1);
	for (StrId i = 1; i < t->nstr; i++)
		buf_string(out, ty_str_text(t, at[i]), ty_strlen(t, at[i]));
	free(at);
	buf_uleb(out, t->nnode - 1);
	for (TyId i = 1; i < t->nnode; i++) {
		const TyNode *n = &t->node[i];
		buf_u8(out, n->kind);
		buf_u8(out, n->flags);
		buf_strid(out, id, t, n->name);
		if (n->kind == TY_ICONST)
			buf_sleb(out, n->value);
		buf_uleb(out, n->nkids);
		for (int j = 0; j < n->nkids; j++)
			buf_uleb(out, t->kid[n->kids + j]);
	}
}

/* Entries and annotations, in table order. */
static void enc_decls(const TyTable *t, const StrId *id, Buf *out)
{
	buf_uleb(out, t->nent);
	for (uint32_t i = 0; i < t->nent; i++) {
		const TyEntry *e = &t->ent[i];
		TyPos p = ty_entry_pos(t, e);
		buf_u8(out, e->kind);
		buf_u8(out, e->sect);
		buf_strid(out, id, t, e->name);
		buf_uleb(out, e->offset);
		buf_uleb(out, e->type);
		buf_strid(out, id, t, p.file);
		buf_uleb(out, p.line);
		buf_uleb(out, p.col);
	}
	buf_uleb(out, t->nann);
	for (uint32_t i = 0; i < t->nann; i++) {
		const TyAnnot *a = &t->ann[i];
		buf_uleb(out, a->offset);
		buf_u8(out, a->op);
		buf_u8(out, a->loc | (a->edge ? 0x80 : 0));
		buf_u8(out, a->reg);
		buf_sleb(out, a->disp);
		buf_uleb(out, a->type);
		buf_uleb(out, a->args);
		buf_strid(out, id, t, a->file);
		buf_uleb(out, a->line);
		buf_uleb(out, a->col);
	}
}

/* The whole `.tal.types` section. */
void ty_encode(const TyTable *t, Buf *out)
{
	StrId *id = string_ranks(t);
	buf_header(out, "TALT", TY_FORMAT_VERSION);
	enc_nodes(t, id, out);
	enc_decls(t, id, out);
	free(id);
}

/* ---- reading ---- */

typedef struct Rd {
	const uint8_t *p;
	size_t n, pos;
	char *err;
	size_t errcap;
	int bad;          /* set by the first error; reads then return 0 */
} Rd;

/* Record the first error as "offset N: message"; returns 0 for callers. */
static uint64_t fail(Rd *r, size_t at, const char *fmt, ...)
{
	if (!r->bad && r->err && r->errcap) {
		int k = snprintf(r->err, r->errcap, "offset %zu: ", at);
		if (k >= 0 && (size_t)k < r->errcap) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(r->err + k, r->errcap - k, fmt, ap);
			va_end(ap);
		}
	}
	r->bad = 1;
	return 0;
}

/* Bytes not read yet. */
static size_t left(const Rd *r)
{
	return r->n - r->pos;
}

/* One byte, or an error at the end of the input. */
static inline __attribute__((always_inline)) unsigned rd_u8(Rd *r, const char *what)
{
	if (r->bad)
		return 0;
	if (r->pos >= r->n)
		return (unsigned)fail(r, r->pos, "truncated %s", what);
	return r->p[r->pos++];
}

/* An unsigned LEB128 of at most 10 bytes, shortest form, at most `max`. */
static uint64_t rd_uleb_long(Rd *r, uint64_t max, const char *what);

/*
** Up to three bytes, the most numbers (ids, offsets, lines), here, from
** one load of the next eight; the rest in rd_uleb_long.  Always inline: a
** type section of many labels reads six numbers an entry.  The byte that
** ends a number is the first with its high bit clear; a form of two or
** three bytes is the shortest only when its last byte is not 0.
*/
static inline __attribute__((always_inline)) uint64_t rd_uleb(Rd *r, uint64_t max, const char *what)
{
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !r->bad && r->n - r->pos >= 8) {   /* (pos <= n always) */
		uint64_t w, v = 0;
		unsigned len = 0;
		memcpy(&w, r->p + r->pos, 8);
		uint64_t ends = ~w & 0x808080;   /* the first three bytes' stop bits */
		if (ends & 0x80) v = w & 0x7f, len = 1;
		else if (ends & 0x8000) v = (w & 0x7f) | (w >> 1 & 0x3f80), len = (w >> 8 & 0xff) ? 2 : 0;
		else if (ends & 0x800000) v = (w & 0x7f) | (w >> 1 & 0x3f80) | (w >> 2 & 0x1fc000), len = (w >> 16 & 0xff) ? 3 : 0;
		if (len && v <= max) {
			r->pos += len;
			return v;
		}
	}
	return rd_uleb_long(r, max, what);
}

static uint64_t rd_uleb_long(Rd *r, uint64_t max, const char *what)
{
	size_t at = r->pos;
	uint64_t v = 0;
	if (r->bad)
		return 0;
	for (int shift = 0;; shift += 7) {
		if (r->pos >= r->n)
			return fail(r, at, "truncated %s", what);
		uint8_t b = r->p[r->pos++];
		if (shift == 63 && (b & 0xfe))
			return fail(r, at, "%s overflows 64 bits", what);
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift)
				return fail(r, at, "%s is not in its shortest form", what);
			break;
		}
	}
	if (v > max)
		return fail(r, at, "%s %" PRIu64 " is out of range (max %" PRIu64 ")", what, v, max);
	return v;
}

/* Two's complement bits to int64_t without implementation-defined casts. */
static int64_t to_signed(uint64_t v)
{
	return v <= INT64_MAX ? (int64_t)v : -(int64_t)(~v) - 1;
}

/* A signed LEB128 of at most 10 bytes, shortest form, within [min, max]. */
static int64_t rd_sleb_long(Rd *r, int64_t min, int64_t max, const char *what);

/* One byte (-64..63), the most numbers, here; the rest in rd_sleb_long. */
static inline int64_t rd_sleb(Rd *r, int64_t min, int64_t max, const char *what)
{
	if (!r->bad && r->pos < r->n && r->p[r->pos] < 0x80) {
		int64_t s = r->p[r->pos] & 0x40 ? (int64_t)r->p[r->pos] - 0x80 : r->p[r->pos];
		if (s >= min && s <= max) {
			r->pos++;
			return s;
		}
	}
	return rd_sleb_long(r, min, max, what);
}

static int64_t rd_sleb_long(Rd *r, int64_t min, int64_t max, const char *what)
{
	size_t at = r->pos;
	uint64_t v = 0;
	uint8_t b = 0;
	int shift = 0;
	if (r->bad)
		return 0;
	do {
		if (r->pos >= r->n)
			return (int64_t)fail(r, at, "truncated %s", what);
		b = r->p[r->pos++];
		if (shift == 63 && b != 0 && b != 0x7f)
			return (int64_t)fail(r, at, "%s overflows 64 bits", what);
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	if (shift > 7) {
		uint8_t prev = r->p[r->pos - 2];
		if ((b == 0 && !(prev & 0x40)) || (b == 0x7f && (prev & 0x40)))
			return (int64_t)fail(r, at, "%s is not in its shortest form", what);
	}
	int64_t s = to_signed(v);
	if (s < min || s > max)
		return (int64_t)fail(r, at, "%s %" PRId64 " is out of range", what, s);
	return s;
}

/* A count of items of at least `min` bytes each: it must fit what is left,
   which bounds every loop and allocation by the size of the input. */
static inline uint64_t rd_count(Rd *r, size_t min, uint64_t max, const char *what)
{
	size_t at = r->pos;
	uint64_t c = rd_uleb(r, max, what);
	if (!r->bad && c * min > left(r))   /* (c > left / min, without a division: c <= max < 2^33, min small) */
		return fail(r, at, "%s %" PRIu64 " is more than the %zu bytes left can hold", what, c, left(r));
	return c;
}

/* A string's bytes: in bounds and free of NUL.  Returns its start. */
static const char *rd_string(Rd *r, size_t *len, const char *what)
{
	size_t at = r->pos;
	uint64_t n = rd_uleb(r, UINT32_MAX - 1, what);
	if (r->bad)
		return NULL;
	if (n > left(r))
		return (void)fail(r, at, "%s of %" PRIu64 " bytes runs past the end", what, n), NULL;
	const char *s = (const char *)r->p + r->pos;
	if (memchr(s, 0, n))
		return (void)fail(r, at, "%s contains a NUL byte", what), NULL;
	r->pos += n;
	*len = n;
	return s;
}

/* Magic, version and flags of a section. */
static void rd_header(Rd *r, const char *magic, unsigned version)
{
	if (r->n < 4 || memcmp(r->p, magic, 4)) {
		fail(r, 0, "bad magic (want \"%s\")", magic);
		return;
	}
	r->pos = 4;
	unsigned v = rd_u8(r, "version");
	v |= rd_u8(r, "version") << 8;
	if (!r->bad && v != version)
		fail(r, 4, "unsupported version %u (want %u)", v, version);
	unsigned f = rd_u8(r, "flags");
	f |= rd_u8(r, "flags") << 8;
	if (!r->bad && f)
		fail(r, 6, "unknown flags 0x%x", f);
}

/*
** Strings 1..count, each after the one before in byte order: so none is
** empty or repeats another (it would shift the ids of all later strings).
*/
static void rd_strings(Rd *r, TyTable *t)
{
	uint64_t count = rd_count(r, 1, UINT32_MAX / 4, "string count");
	ty_str_reserve(t, count);
	for (uint64_t i = 0; i < count && !r->bad; i++) {
		size_t at = r->pos, len = 0;
		if (r->n - at >= 17) {   /* a length of one byte, then 16 bytes to read: most names */
			len = r->p[at];
			if (len - 1 < 15 && ty_str_sorted_short(t, (const char *)r->p + at + 1, len)) {
				r->pos = at + 1 + len;
				continue;
			}
		}
		const char *s = rd_string(r, &len, "string");
		if (r->bad)
			break;
		StrId want = t->nstr;
		if (len == 0)
			fail(r, at, "string %" PRIu32 " is empty (string 0 is implicit)", want);
		else if (ty_str_sorted(t, s, len) != want)
			fail(r, at, "string %" PRIu32 " does not come after string %" PRIu32 " in byte order", want, want - 1);
	}
}

/* One node's kids appended to *kids (grown as needed) from *nkid: how many.  Each must be an earlier node. */
static int rd_kids(Rd *r, TyId self, TyId **kids, uint32_t *nkid, uint32_t *cap)
{
	int nk = (int)rd_count(r, 1, MAXKIDS, "kid count");
	if (r->bad)
		return 0;
	*kids = xgrow(*kids, sizeof **kids, (size_t)*nkid + (nk ? nk : 1), cap);
	for (int j = 0; j < nk && !r->bad; j++) {
		size_t at = r->pos;
		uint64_t k = rd_uleb(r, UINT32_MAX, "kid");
		if (!r->bad && (k == 0 || k >= self))
			fail(r, at, "kid %" PRIu64 " of node %" PRIu32 " is not an earlier node", k, self);
		(*kids)[(*nkid)++] = (TyId)k;
	}
	return nk;
}

/*
** Nodes are read NODE_BATCH at a time, their fields first (Pend), and then
** made: each one's slot of the hash-cons table is being loaded meanwhile
** (ty_node_fetch).  What is reported is the same as one by one: a node
** whose bytes are not one ends its batch unread, and is read again first
** in the next, once the nodes before it are made.
*/
enum { NODE_BATCH = 16 };
typedef struct Pend { size_t at; unsigned kind, flags; StrId name; int64_t value; uint32_t kid; int nk; uint64_t h; } Pend;

/* The fields of the node n places after t's last into p, its kids after the *nkid in *kids: 0 when its bytes are not a node (r->bad). */
static int rd_fields(Rd *r, const TyTable *t, int n, Pend *p, TyId **kids, uint32_t *nkid, uint32_t *cap)
{
	TyId self = t->nnode + (TyId)n;
	p->at = r->pos;
	p->kind = rd_u8(r, "node kind");
	if (!r->bad && (p->kind == TY_NONE || p->kind >= TY_NKINDS))
		return (int)fail(r, p->at, "node %" PRIu32 " has unknown kind %u", self, p->kind);
	p->flags = rd_u8(r, "node flags");
	p->name = (StrId)rd_uleb(r, t->nstr - 1, "node name");
	p->value = p->kind == TY_ICONST ? rd_sleb(r, INT64_MIN, INT64_MAX, "constant") : 0;
	p->kid = *nkid;
	p->nk = rd_kids(r, self, kids, nkid, cap);
	return !r->bad;
}

/* A node read by rd_fields, made through ty_node (with the hash ty_node_fetch gave): it must come out new and well sorted. */
static void mk_node(Rd *r, TyTable *t, const Pend *p, const TyId *kids)
{
	TyId self = t->nnode;
	TyId id = ty_node_hashed(t, p->h, (int)p->kind, (int)p->flags, p->name, p->value, kids + p->kid, p->nk);
	const char *msg;
	if (id == 0)
		fail(r, p->at, "node %" PRIu32 " exceeds the table's limits", self);
	else if (id != self)
		fail(r, p->at, "node %" PRIu32 " repeats node %" PRIu32, self, id);
	else if ((msg = ty_check_node(t, id)))
		fail(r, p->at, "node %" PRIu32 ": %s", self, msg);
}

/* Nodes 1..count, each referring only to earlier ones. */
static void rd_nodes(Rd *r, TyTable *t)
{
	Pend p[NODE_BATCH];
	TyId *kids = NULL;
	uint32_t cap = 0;
	uint64_t count = rd_count(r, NODEMIN, MAXNODE - 1, "node count");
	if (!r->bad)   /* room for them at once, not by doubling as they come (a count the bytes left can hold) */
		ty_node_reserve(t, count < NODE_RESERVE_MAX ? count : NODE_RESERVE_MAX);
	for (uint64_t i = 0; i < count && !r->bad;) {
		uint32_t nkid = 0;
		int n = 0;
		for (; n < NODE_BATCH && i + (uint64_t)n < count; n++) {
			if (!rd_fields(r, t, n, &p[n], &kids, &nkid, &cap)) {
				if (n) r->bad = 0, r->pos = p[n].at;   /* (read again, first of the next batch) */
				break;
			}
			p[n].h = ty_node_fetch(t, (int)p[n].kind, (int)p[n].flags, p[n].name, p[n].value, kids + p[n].kid, p[n].nk);
		}
		for (int j = 0; j < n && !r->bad; j++)
			mk_node(r, t, &p[j], kids);
		i += (uint64_t)n;
	}
	free(kids);
}

/* A type id of an entry or annotation: 0 or a node of the table. */
static TyId rd_type(Rd *r, const TyTable *t, const char *what)
{
	return (TyId)rd_uleb(r, t->nnode - 1, what);
}

/* One entry; kinds and sections must be known. */
static void rd_entry(Rd *r, TyTable *t)
{
	size_t at = r->pos;
	TyEntry e;
	TyPos pos;
	e.kind = (uint8_t)rd_u8(r, "entry kind");
	if (!r->bad && (e.kind < E_TYPEDEF || e.kind > E_EXPORT)) {
		fail(r, at, "unknown entry kind %u", e.kind);
		return;
	}
	e.sect = (uint8_t)rd_u8(r, "entry section");
	if (!r->bad && e.sect > SEC_BSS) {
		fail(r, at + 1, "unknown section %u", e.sect);
		return;
	}
	e.name = (StrId)rd_uleb(r, t->nstr - 1, "entry name");
	e.offset = (uint32_t)rd_uleb(r, UINT32_MAX, "entry offset");
	e.type = rd_type(r, t, "entry type");
	pos.file = (uint32_t)rd_uleb(r, t->nstr - 1, "entry file");
	pos.line = (uint32_t)rd_uleb(r, UINT32_MAX, "entry line");
	pos.col = (uint32_t)rd_uleb(r, UINT32_MAX, "entry column");
	if (r->bad) return;
	/* a typedef or an import is in no section (an import's offset is the checker's to judge); a label
	   is in .text, an object in a data section */
	if (e.kind == E_TYPEDEF && (e.sect != SEC_NONE || e.offset))
		fail(r, at + 1, "a typedef entry must have no section and no offset");
	else if (e.kind == E_IMPORT && e.sect != SEC_NONE)
		fail(r, at + 1, "an import entry must have no section");
	else if (e.kind == E_LABEL && e.sect != SEC_TEXT)
		fail(r, at + 1, "a label entry must be in .text");
	else if (e.kind == E_OBJECT && e.sect < SEC_RODATA)
		fail(r, at + 1, "an object entry must be in .rodata, .data or .bss");
	else
		ty_add_entry(t, &e, pos);
}

/* One annotation; op, location and register must be known, and the
   arguments (if any) a list. */
static void rd_annot(Rd *r, TyTable *t)
{
	TyAnnot a;
	a.offset = (uint32_t)rd_uleb(r, UINT32_MAX, "annotation offset");
	size_t at = r->pos;
	a.op = (uint8_t)rd_u8(r, "annotation op");
	a.loc = (uint8_t)rd_u8(r, "annotation location");
	a.edge = a.loc >> 7;
	a.loc &= 0x7f;
	a.reg = (uint8_t)rd_u8(r, "annotation register");
	if (!r->bad && (a.op < A_FOLD || a.op > A_SUBSUME))
		fail(r, at, "unknown annotation op %u", a.op);
	else if (!r->bad && (a.loc < L_REG || a.loc > L_TARGET))
		fail(r, at + 1, "unknown annotation location %u", a.loc);
	else if (!r->bad && a.loc == L_TARGET && a.op != A_INST)
		fail(r, at, "only .inst applies to a branch target");
	else if (!r->bad && a.loc == L_REG && a.reg > 15)
		fail(r, at + 2, "unknown register %u", a.reg);
	a.disp = (int32_t)rd_sleb(r, INT32_MIN, INT32_MAX, "annotation displacement");
	a.type = rd_type(r, t, "annotation type");
	at = r->pos;
	a.args = rd_type(r, t, "annotation arguments");
	if (!r->bad && a.args && t->node[a.args].kind != TY_LIST)
		fail(r, at, "annotation arguments must be a list");
	a.file = (uint32_t)rd_uleb(r, t->nstr - 1, "annotation file");
	a.line = (uint32_t)rd_uleb(r, UINT32_MAX, "annotation line");
	a.col = (uint32_t)rd_uleb(r, UINT32_MAX, "annotation column");
	if (!r->bad)
		ty_add_annot(t, &a);
}

/* Decode into an empty table; on failure leave it empty again. */
int ty_decode(TyTable *t, const uint8_t *p, size_t n, char *err, size_t errcap)
{
	Rd r = { p, n, 0, err, errcap, 0 };
	if (err && errcap)
		err[0] = 0;
	if (t->nnode != 1 || t->nstr != 1 || t->nent || t->nann) {
		fail(&r, 0, "the table to decode into is not empty");
		return -1;
	}
	rd_header(&r, "TALT", TY_FORMAT_VERSION);
	rd_strings(&r, t);
	rd_nodes(&r, t);
	uint64_t count = rd_count(&r, ENTMIN, UINT32_MAX / 4, "entry count");
	if (!r.bad)
		ty_entry_reserve(t, count);
	for (uint64_t i = 0; i < count && !r.bad; i++)
		rd_entry(&r, t);
	count = rd_count(&r, ANNMIN, UINT32_MAX / 4, "annotation count");
	for (uint64_t i = 0; i < count && !r.bad; i++)
		rd_annot(&r, t);
	if (!r.bad && r.pos != r.n)
		fail(&r, r.pos, "%zu bytes after the last table", left(&r));
	if (r.bad) {
		ty_free(t);
		ty_init(t);
		return -1;
	}
	return 0;
}

/* ---- line tables ---- */

/* A line table starts with no files and no rows; nothing to allocate. */
void lt_init(LineTable *l)
{
	memset(l, 0, sizeof *l);
}

/* Give everything back; the table may be lt_init'ed again. */
void lt_free(LineTable *l)
{
	for (uint32_t i = 0; i < l->nfile; i++)
		free(l->file[i]);
	free(l->file);
	free(l->row);
	memset(l, 0, sizeof *l);
}

/* Append a file name without looking for an earlier copy. */
static uint32_t lt_newfile(LineTable *l, const char *name, size_t len)
{
	l->file = xgrow(l->file, sizeof *l->file, (size_t)l->nfile + 1, &l->capfile);
	char *s = xmalloc(len + 1);
	memcpy(s, name, len);
	s[len] = 0;
	l->file[l->nfile] = s;
	return l->nfile++;
}

/* A unit has a handful of files (the source and its includes), so a
   linear search from the most recent one is enough. */
uint32_t lt_file(LineTable *l, const char *name)
{
	for (uint32_t i = l->nfile; i-- > 0;)
		if (!strcmp(l->file[i], name))
			return i;
	return lt_newfile(l, name, strlen(name));
}

/* The assembler emits instructions in order, so rows arrive sorted. */
void lt_add(LineTable *l, uint32_t offset, uint32_t file, uint32_t line, uint32_t col)
{
	l->row = xgrow(l->row, sizeof *l->row, (size_t)l->nrow + 1, &l->caprow);
	l->row[l->nrow++] = (LineRow){ offset, file, line, col };
}

/* Rows are delta-encoded: offsets grow, lines mostly move by a little. */
void lt_encode(const LineTable *l, Buf *out)
{
	uint32_t off = 0, line = 0;
	buf_header(out, "TALL", 1);
	buf_uleb(out, l->nfile);
	for (uint32_t i = 0; i < l->nfile; i++)
		buf_string(out, l->file[i], strlen(l->file[i]));
	buf_uleb(out, l->nrow);
	for (uint32_t i = 0; i < l->nrow; i++) {
		const LineRow *w = &l->row[i];
		buf_uleb(out, (uint32_t)(w->offset - off));
		buf_uleb(out, w->file);
		buf_sleb(out, (int64_t)w->line - (int64_t)line);
		buf_uleb(out, w->col);
		off = w->offset;
		line = w->line;
	}
}

static void put_row(LineTable *l, const LineRow *w)
{
	if (l->count_only) {
		l->nrow++;
		return;
	}
	if (l->nrow == l->caprow)   /* lt_decode made room for the count it read */
		l->row = xgrow(l->row, sizeof *l->row, (size_t)l->nrow + 1, &l->caprow);
	l->row[l->nrow++] = *w;
}

/* One row after `prev` (zeros for the first): offsets may not go past
   4 GiB, which is the only way rows could come out unsorted. */
static void rd_row(Rd *r, LineTable *l, LineRow *prev)
{
	size_t at = r->pos;
	uint64_t off = prev->offset + rd_uleb(r, UINT32_MAX, "row offset delta");
	if (!r->bad && off > UINT32_MAX) {
		fail(r, at, "row offset goes past 4 GiB, so rows are not sorted");
		return;
	}
	uint32_t file = (uint32_t)rd_uleb(r, l->nfile ? l->nfile - 1 : 0, "row file");
	if (!r->bad && !l->nfile) {
		fail(r, at, "row refers to a file but there are none");
		return;
	}
	at = r->pos;
	int64_t line = (int64_t)prev->line + rd_sleb(r, -(int64_t)UINT32_MAX, UINT32_MAX, "row line delta");
	if (!r->bad && (line < 0 || line > UINT32_MAX)) {
		fail(r, at, "row line %" PRId64 " is out of range", line);
		return;
	}
	uint32_t col = (uint32_t)rd_uleb(r, UINT32_MAX, "row column");
	if (r->bad)
		return;
	*prev = (LineRow){ (uint32_t)off, file, (uint32_t)line, col };
	put_row(l, prev);
}

/*
** Most rows are four one-byte numbers that rd_row would accept: up to
** `most` of those in a row are read here in one go (the same checks, on
** the same values).  Returns how many; the row it stops at, if any, is
** rd_row's to read (and to word any error in).
*/
static uint64_t rd_rows_short(Rd *r, LineTable *l, LineRow *prev, uint64_t most)
{
	const uint8_t *p = r->p;
	size_t pos = r->pos, n = r->n;
	uint64_t off = prev->offset, k = 0;
	int64_t line = prev->line;
	uint32_t last = l->nfile - 1, file = prev->file, col = prev->col;
	if (r->bad || !l->nfile) return 0;
	for (; k < most && n - pos >= 4; k++, pos += 4) {
		const uint8_t *q = p + pos;
		uint32_t w;
		memcpy(&w, q, 4);
		if ((w & 0x80808080u) || q[1] > last) break;
		uint64_t o = off + q[0];
		int64_t ln = line + (q[2] & 0x40 ? (int64_t)q[2] - 0x80 : (int64_t)q[2]);
		if (o > UINT32_MAX || ln < 0 || ln > UINT32_MAX) break;
		off = o, line = ln, file = q[1], col = q[3];
		if (!l->count_only) l->row[l->nrow + k] = (LineRow){ (uint32_t)off, file, (uint32_t)line, col };
	}
	r->pos = pos;
	l->nrow += (uint32_t)k;
	*prev = (LineRow){ (uint32_t)off, file, (uint32_t)line, col };
	return k;
}

/* Decode into an empty line table; on failure leave it empty again. */
int lt_decode(LineTable *l, const uint8_t *p, size_t n, char *err, size_t errcap)
{
	Rd r = { p, n, 0, err, errcap, 0 };
	LineRow prev = { 0, 0, 0, 0 };
	if (err && errcap)
		err[0] = 0;
	if (l->nfile || l->nrow) {
		fail(&r, 0, "the line table to decode into is not empty");
		return -1;
	}
	rd_header(&r, "TALL", 1);
	uint64_t count = rd_count(&r, 1, UINT32_MAX / 4, "file count");
	for (uint64_t i = 0; i < count && !r.bad; i++) {
		size_t len = 0;
		size_t at = r.pos;
		const char *s = rd_string(&r, &len, "file name");
		const char *ctl = r.bad ? NULL : tal_name_control(s, len);
		if (ctl)
			fail(&r, at, "file name %" PRIu64 " has a control character (0x%02x)", i, (unsigned char)*ctl);
		if (!r.bad)
			lt_newfile(l, s, len);
	}
	count = rd_count(&r, ROWMIN, UINT32_MAX / 4, "row count");
	if (!r.bad && count && !l->count_only)   /* bounded by the bytes left: rd_count checked */
		l->row = xgrow(l->row, sizeof *l->row, (size_t)count, &l->caprow);
	for (uint64_t i = 0; i < count && !r.bad; i++) {
		i += rd_rows_short(&r, l, &prev, count - i);
		if (i < count)
			rd_row(&r, l, &prev);
	}
	if (!r.bad && r.pos != r.n)
		fail(&r, r.pos, "%zu bytes after the last row", left(&r));
	if (r.bad) {
		lt_free(l);
		return -1;
	}
	return 0;
}

int lt_check(const uint8_t *p, size_t n, char *err, size_t errcap)
{
	LineTable l;
	lt_init(&l);
	l.count_only = 1;
	int r = lt_decode(&l, p, n, err, errcap);
	lt_free(&l);
	return r;
}

/* Binary search for the last row at or before `offset`. */
const LineRow *lt_find(const LineTable *l, uint32_t offset)
{
	if (!l->row) return NULL;
	uint32_t lo = 0, hi = l->nrow;   /* rows below lo are <= offset, from hi on > */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (l->row[mid].offset <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &l->row[lo - 1] : NULL;
}
