/*
** types.h - TAL types in memory, and their ELF sections.
**
** The assembler builds a type table from the annotations of one unit; the
** codec writes it into the `.tal.types` section and reads it back; the
** verifier rebuilds exactly the same table from the bytes of an object or
** module.  Types are hash-consed: building the same node twice gives the
** same id, so structurally equal types have equal ids.
**
** Every node has a kind, a small `flags` field, an optional name (a string
** id), an optional integer `value` and an ordered list of kids (node ids).
** Kids always have smaller ids than their parent, which is what lets the
** decoder check a section in one pass and makes cycles impossible.
**
** docs/typesections.md describes the bytes; docs/language.md the syntax.
*/
#ifndef TAL_TYPES_H
#define TAL_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef uint32_t TyId;   /* node id; 0 means "none" */
typedef uint32_t StrId;  /* string id; 0 is the empty string */

#define TY_FORMAT_VERSION 2

/*
** Node kinds.  The comment gives the surface syntax and the kids.  The sort
** of each kid (value type, layout, stack, index, ...) is fixed by the kind;
** ty_check_node() enforces it.
*/
enum {
	TY_NONE,
	/* value types: what a register or a word of memory holds */
	TY_INT,      /* int                                          */
	TY_U8,       /* u8   sized integer fields; in a register an  */
	TY_U16,      /* u16  int known to fit the width              */
	TY_U32,      /* u32                                          */
	TY_U64,      /* u64                                          */
	TY_ANY,      /* any: a word nobody may use (junk, top)       */
	TY_SING,     /* S(e): the int equal to index e; kid: index   */
	TY_VAR,      /* a variable of any sort; name                 */
	TY_NAME,     /* name or name[args]: abbreviation or abstract type; kids: args (any sort) */
	TY_PTR,      /* *L, ?*L (flags TF_NULLABLE); kid: layout     */
	TY_CODE,     /* code[binders | constraints] {regs} clauses;
	                kids: BINDER*, constraint*, REG*, STACKREQ?, FUELREQ? in that order */
	TY_EXISTS,   /* exists[binders | constraints]. t; kids: BINDER*, constraint*, body (last) */
	TY_MU,       /* rec a. t; name a; kid: body                  */
	/* memory layouts: what a pointer points to, what a data label labels */
	TY_RECORD,   /* { field, ... }; kids: FIELD*                 */
	TY_FIELD,    /* name: t perm [uninit]; name; flags perm|TF_UNINIT; kid: type (value type or layout) */
	TY_ARRAY,    /* [t perm; e]; flags perm; kids: element type, length index */
	/* stack types: what rsp points to */
	TY_SNIL,     /* empty                                        */
	TY_SCONS,    /* t :: s; kids: slot type, rest of the stack   */
	/* parts of code and existential types */
	TY_BINDER,   /* name: kind; name; flags: TK_TYPE/TK_STACK/TK_SIZE */
	TY_REG,      /* reg: t; flags: register number (x86.h); kid: type (a stack for rsp) */
	TY_STACKREQ, /* stack e: bytes of stack the label needs; kid: index */
	TY_FUELREQ,  /* fuel e: fuel the label needs; kid: index     */
	/* index expressions: kind size, linear in the variables */
	TY_ICONST,   /* integer constant; value                      */
	TY_IADD,     /* e + e                                        */
	TY_ISUB,     /* e - e                                        */
	TY_IMUL,     /* k * e; kids: ICONST k, e                     */
	/* constraints between indices */
	TY_CLT,      /* e < e                                        */
	TY_CLE,      /* e <= e                                       */
	TY_CEQ,      /* e == e                                       */
	TY_CNE,      /* e != e                                       */
	/* a plain list, for type arguments in annotations */
	TY_LIST,     /* kids: any                                    */
	/* a value type added after the others, to keep their numbers */
	TY_SPTR,     /* sptr(s): a pointer into the stack, at slots s; kid: stack */
	TY_LIMIT,    /* limit: the lowest address the stack may reach (from the host) */
	TY_BUDGET,   /* budget: fuel, which code may only count down by one and test */
	TY_NKINDS
};

/* flags */
enum {
	TF_NULLABLE = 1,                      /* TY_PTR                        */
	TF_R = 1, TF_W = 2, TF_RW = 3,        /* TY_FIELD, TY_ARRAY permission */
	TF_UNINIT = 4                         /* TY_FIELD not yet written      */
};

/* sorts of variables (TY_BINDER flags) */
enum { TK_TYPE = 1, TK_STACK = 2, TK_SIZE = 3 };

typedef struct TyNode {
	uint8_t kind;
	uint8_t flags;
	uint16_t nkids;
	StrId name;
	int64_t value;
	uint32_t kids;    /* index of the first kid in TyTable.kid */
	uint32_t vars;    /* ty_var_bit() of every TY_VAR below (and of this
	                     node, if one): a node whose mask misses a name
	                     has no variable of that name inside */
} TyNode;

/* A variable name's bit in TyNode.vars. */
static inline uint32_t ty_var_bit(StrId name) { return UINT32_C(1) << (name & 31); }

/* Sections of the unit that entries point into. */
enum { SEC_NONE, SEC_TEXT, SEC_RODATA, SEC_DATA, SEC_BSS };

/* What a unit declares about its names. */
enum {
	E_TYPEDEF = 1, /* .typedef name[params] = t; type: TY_LIST of BINDERs then body (body 0 when abstract) */
	E_LABEL,       /* .label name : code type                                           */
	E_OBJECT,      /* .object name : layout                                             */
	E_IMPORT,      /* .import name : t                                                  */
	E_EXPORT       /* .export name [: t]; type 0 means "the label's own type"           */
};

/*
** A string of the table, by id: one of at most 15 bytes and no NUL in
** place, zeros after it (so b[15], `big`, is 0, and its length is where
** the zeros start); any other's text (NUL-terminated) and length
** elsewhere, with big 1.  So a name costs 16 bytes, and no
** pointer to follow (ty_strof, ty_strlen).
*/
typedef union TyStr {
	char b[16];
	struct { const char *p; uint32_t len; char pad[16 - sizeof(char *) - sizeof(uint32_t) - 1], big; } l;
} TyStr;
_Static_assert(sizeof(TyStr) == 16 && offsetof(TyStr, l.big) == 15, "a string's slot is 16 bytes, big its last");

typedef struct TyEntry {
	uint8_t kind;     /* E_*                                          */
	uint8_t sect;     /* SEC_* of a label or object, else SEC_NONE    */
	StrId name;
	uint32_t offset;  /* offset in sect                               */
	TyId type;
} TyEntry;

/* Where an entry was declared (file: a string id; all 0 when unknown), kept beside the entries (TyTable's epos). */
typedef struct TyPos { uint32_t file, line, col; } TyPos;

/* Coercions: annotations at a point of the code, no bytes of their own. */
enum {
	A_FOLD = 1,   /* .fold loc, t        loc : unfolding of t  becomes  t      */
	A_UNFOLD,     /* .unfold loc         loc : rec a. t        becomes  t[..]  */
	A_PACK,       /* .pack loc, t, [w]   loc : body[w/a]       becomes  t      */
	A_UNPACK,     /* .unpack loc, [a..]  loc : exists a. t     becomes  t      */
	A_INST,       /* .inst loc, [args]   loc : code[a..]{..}   becomes  code{..}[args/a] */
	A_SUBSUME     /* .subsume loc, t     loc : t' <= t         becomes  t      */
};

/*
** Where a coercion applies: a register, a stack slot [rsp + disp], or
** (only .inst) the target of the branch or call it precedes.
*/
enum { L_REG = 1, L_STACK, L_TARGET };

typedef struct TyAnnot {
	uint32_t offset;  /* .text offset of the instruction it precedes */
	uint8_t op;       /* A_*                                         */
	uint8_t loc;      /* L_*                                         */
	uint8_t edge;     /* 1: written before a label at the same offset,
	                     so it applies on the way into that label     */
	uint8_t reg;      /* register for L_REG                          */
	int32_t disp;     /* byte offset from rsp for L_STACK            */
	TyId type;        /* target type, or 0                           */
	TyId args;        /* TY_LIST of arguments or binder names, or 0  */
	uint32_t file, line, col;
} TyAnnot;

typedef struct TyTable {
	TyNode *node; uint32_t nnode, capnode;      /* node[0] unused        */
	TyId *kid; uint32_t nkid, capkid;
	TyStr *str; uint32_t nstr, capstr;         /* str[0] = "" */
	uint32_t nsorted;                           /* strings 1..nsorted: in order, not in shash */
	uint64_t lastkey[2];                        /* string nsorted's first 16 bytes, zero past its end, as big-endian words */
	uint32_t *hash; uint32_t caphash;           /* node hash-cons table (a fork's: of its own nodes) */
	const uint32_t *bhash; uint32_t capbhash;   /* a fork's: the hash-cons table of the table it was made from, */
	TyId bnode;                                 /* read only, which holds its nodes below bnode (0: not a fork) */
	uint64_t *shash; uint32_t capshash;         /* string intern table   */
	TyEntry *ent; uint32_t nent, capent;
	TyPos *epos;                                /* by entry, where it was declared (capent of them); NULL when */
	int nopos;                                  /* nopos: a reader that reports nothing needs no positions */
	TyAnnot *ann; uint32_t nann, capann;
	Arena strmem;                               /* the strings' bytes     */
	const char **fhint; char **ftext; uint32_t nfresh, capfresh;  /* made-up names */
	TyId *fvar; uint32_t capfvar;               /* by made-up name k: its TY_VAR node [2k] and S(it) [2k+1], or 0 */
	const StrId *show; uint32_t nshow;          /* by slot below nshow: the name it prints as (0: "$i") */
	int forked;                                 /* ty_fork made it        */
	int lent;                                   /* ty_lend made it: LENT_* of the arrays still the original's */
	int full;                                   /* a node was refused for want of room */
	uint64_t cap;                               /* nodes and kids it may hold (0: as many as ids allow) */
} TyTable;

void ty_init(TyTable *t);
/* What the table holds, for its cap: its nodes and their kids. */
static inline uint64_t ty_parts(const TyTable *t) { return (uint64_t)t->nnode + t->nkid; }
void ty_free(TyTable *t);
/*
** A table for one thread of a check that runs in several: its own copy of
** the nodes (it makes more) and of the made-up names, and src's strings,
** entries and annotations, which it only reads: in a fork ty_str finds a
** string but interns none, and no entry or annotation is added.  The
** nodes src has are found through src's own hash-cons table, read in
** place; the fork's table holds only the nodes it makes.  src must not
** change while the fork lives.  ty_free gives back what is the fork's.
*/
void ty_fork(TyTable *dst, const TyTable *src);
/*
** ty_fork, but without copying src's nodes and kids: the fork reads them
** in src's arrays and makes its own after them there, in the room src
** has left, then in arrays of its own once that is full (src's are copied
** then, never moved or freed).  So at most one fork of src may be lent
** its arrays at a time, and src itself makes no node while it lives (its
** arrays past its own nodes are the fork's).  Not of a fork: that copies.
*/
void ty_lend(TyTable *dst, const TyTable *src);
enum { LENT_NODE = 1, LENT_KID = 2 };

StrId ty_str(TyTable *t, const char *s, size_t len);  /* intern */
StrId ty_str_find(const TyTable *t, const char *s, size_t len);  /* interned already: its id, else 0 */
/*
** The order of the strings of a section (docs/typesections.md): by bytes,
** unsigned, a string before any longer one it starts.  <0, 0, >0.
*/
int ty_str_order(const char *a, size_t alen, const char *b, size_t blen);
/*
** Add the next string of a section, which must come after the last one in
** that order, to a table that has only such strings (ty_decode): it goes
** to no hash table, since a search among them is a binary search.  Its
** id, or 0 when it is empty or out of order.
*/
StrId ty_str_sorted(TyTable *t, const char *s, size_t len);
/*
** The same for a string of 1 to 15 bytes with 16 bytes readable at s (the
** bytes past len not the string's), which most names are, without a call
** to compare or copy it; 0 also when it holds a NUL byte or the arrays
** must grow, and then nothing changed: the caller goes on as for a longer
** string.
*/
StrId ty_str_sorted_short(TyTable *t, const char *s, size_t len);
void ty_str_reserve(TyTable *t, uint64_t n);  /* room for n more strings (up to 2^20 at once) without growing the arrays */
const char *ty_strof(const TyTable *t, StrId s);
/* The text and length of string s of the table (s < nstr). */
static inline const char *ty_str_text(const TyTable *t, StrId s) { return t->str[s].l.big ? t->str[s].l.p : t->str[s].b; }
uint32_t ty_strlen(const TyTable *t, StrId s);
/*
** Made-up names ("rcx#3"), for the checker: ids from TY_FRESH up, which no
** string of the table reaches, so a made-up name never equals a name a
** section spells.  Nothing is interned: the text is written only when
** ty_strof asks for it.  `hint` must outlive the table (a string of the
** table, or a constant).  0 past the limit.
*/
#define TY_FRESH UINT32_C(0x40000000)
StrId ty_str_fresh(TyTable *t, const char *hint);
/*
** Slots, for the checker: the names it gives a label's own variables,
** binder i of the label's code type becoming slot i, so that label types
** which differ only in the names they bind are one node.  Ids below
** TY_FRESH that no string of a table reaches, so a slot never equals a
** name a section spells.  Slot i prints as the string t->show[i] when i
** is below t->nshow and that is not 0, else as "$i".
*/
#define TY_SLOTS 32
#define TY_SLOT (TY_FRESH - 2 * TY_SLOTS)
static inline StrId ty_slot(int i) { return TY_SLOT + (StrId)i; }
static inline int ty_is_slot(StrId s) { return s - TY_SLOT < TY_SLOTS; }

/* Make (or find) a node.  Returns 0 only if a limit is exceeded. */
TyId ty_node(TyTable *t, int kind, int flags, StrId name, int64_t value,
             const TyId *kids, int nkids);
/*
** A hint for a reader that makes many nodes in a row (the section's): start
** loading the slot of t's hash-cons table where ty_node will look for this
** node first, so that the cache miss it is on a large table overlaps with
** reading the next nodes.  It changes nothing, and returns the node's
** hash, for ty_node_hashed.
*/
uint64_t ty_node_fetch(const TyTable *t, int kind, int flags, StrId name, int64_t value, const TyId *kids, int nkids);
/* ty_node, given the hash ty_node_fetch returned for these very fields: not computed twice. */
TyId ty_node_hashed(TyTable *t, uint64_t h, int kind, int flags, StrId name, int64_t value, const TyId *kids, int nkids);
/* Room for n more nodes (two kids each) without growing the hash-cons table or the arrays. */
void ty_node_reserve(TyTable *t, uint64_t n);
static inline const TyNode *ty_get(const TyTable *t, TyId id) { return &t->node[id]; }
static inline TyId ty_kid(const TyTable *t, TyId id, int i) { return t->kid[t->node[id].kids + i]; }

void ty_add_entry(TyTable *t, const TyEntry *e, TyPos pos);
/* Where entry e (of t) was declared: all 0 when t keeps no positions. */
static inline TyPos ty_entry_pos(const TyTable *t, const TyEntry *e)
{
	return t->epos && e >= t->ent && e < t->ent + t->nent ? t->epos[e - t->ent] : (TyPos){ 0, 0, 0 };
}
void ty_entry_reserve(TyTable *t, uint64_t n);   /* room for n more entries (up to 2^20 at once) */

/*
** The entries of each name, in table order, for a table whose entries no
** longer change: first[s] is 1 + the first entry named s (0: none; names
** from nfirst up have none), next[e] is 1 + the entry after entry e that
** has its name (0: none).  A lookup by name costs the entries of that name.
*/
typedef struct TyNames { uint32_t *first, *next, nfirst; } TyNames;
void ty_names_index(const TyTable *t, TyNames *x);
void ty_names_free(TyNames *x);
static inline uint32_t ty_names_first(const TyNames *x, StrId s) { return s < x->nfirst ? x->first[s] : 0; }

/*
** Copy node `id` of src, and all it reaches, into dst.  map (src->nnode
** entries, zeroed at first) remembers what is copied already, so copying
** many types of one table shares the work.  rename, if not NULL, is indexed
** by src string ids: a TY_NAME whose name has a non-zero entry gets that
** dst string instead (typedefs renamed apart when units are linked).
** Returns 0 if id is 0 or out of range, or a limit is exceeded.
*/
TyId ty_copy(TyTable *dst, const TyTable *src, TyId id, TyId *map, const StrId *rename);
/* An entry of src with its name, file and type copied into dst. */
TyEntry ty_copy_entry(TyTable *dst, const TyTable *src, const TyEntry *e, TyId *map, const StrId *rename);
/* Entry e's position (of src) with its file interned in dst. */
TyPos ty_copy_pos(TyTable *dst, const TyTable *src, const TyEntry *e);
void ty_add_annot(TyTable *t, const TyAnnot *a);

/* Sort of a node: what it may stand for. */
enum { SORT_VALUE = 1, SORT_LAYOUT, SORT_STACK, SORT_INDEX, SORT_CONSTR, SORT_PART };

/*
** Check that node `id`'s kids have the sorts its kind requires (variables
** and names fit any sort).  Returns NULL or a static message.
*/
const char *ty_check_node(const TyTable *t, TyId id);

/* Print a type in the surface syntax of docs/language.md.  Always NUL-terminates;
   returns the length it would have had (like snprintf). */
size_t ty_print(const TyTable *t, TyId id, char *buf, size_t cap);

/* A growable byte buffer for encoders. */
typedef struct Buf { uint8_t *p; size_t n, cap; } Buf;
void buf_put(Buf *b, const void *p, size_t n);
void buf_uleb(Buf *b, uint64_t v);
void buf_sleb(Buf *b, int64_t v);

/*
** The `.tal.types` section.  ty_encode appends the whole table (strings,
** nodes, entries, annotations) to `out`.  ty_decode fills an empty table
** from bytes it does not trust: every count, index, kind and sort is checked;
** on failure it returns -1 with a message naming the byte offset in `err`.
*/
void ty_encode(const TyTable *t, Buf *out);
int ty_decode(TyTable *t, const uint8_t *p, size_t n, char *err, size_t errcap);

/* Structural comparison of two tables (for tests): 0 when equal. */
int ty_table_cmp(const TyTable *a, const TyTable *b, char *why, size_t whycap);

/*
** The `.tal.lines` section: for each instruction, its .text offset and its
** source position.  Rows are sorted by offset.
*/
typedef struct LineRow { uint32_t offset, file, line, col; } LineRow;
typedef struct LineTable {
	char **file; uint32_t nfile, capfile;        /* file names          */
	LineRow *row; uint32_t nrow, caprow;
	int count_only;                              /* lt_decode keeps no rows, only nrow */
} LineTable;

void lt_init(LineTable *l);
void lt_free(LineTable *l);
uint32_t lt_file(LineTable *l, const char *name);   /* intern a file name */
void lt_add(LineTable *l, uint32_t offset, uint32_t file, uint32_t line, uint32_t col);
void lt_encode(const LineTable *l, Buf *out);
int lt_decode(LineTable *l, const uint8_t *p, size_t n, char *err, size_t errcap);
/* Check a section as lt_decode does, keeping nothing: 0, or -1 with a message. */
int lt_check(const uint8_t *p, size_t n, char *err, size_t errcap);
/* The row covering `offset` (the last row at or before it), or NULL. */
const LineRow *lt_find(const LineTable *l, uint32_t offset);

#endif
