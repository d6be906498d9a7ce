/*
** tc.h - the verifier's interface (prefix tc_).
**
** This is the trusted side of the project: everything here reads bytes it
** does not trust.  So far: opening an ELF object and finding its sections,
** with every size and offset checked.  The decoder and the checker follow.
*/
#ifndef TAL_TC_H
#define TAL_TC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "module.h"
#include "types.h"
#include "x86.h"

typedef struct TcSection { const uint8_t *p; size_t n; size_t index; uint64_t flags; } TcSection;

/* A relocation of .text: the linker fills `offset` with a symbol's address. */
typedef struct TcReloc {
	uint32_t offset;            /* of the field in .text                */
	uint32_t type;              /* R_X86_64_*                           */
	const char *sym;            /* symbol name ("" for a section)       */
	int sect;                   /* SEC_* of a section symbol, else 0    */
	int64_t addend;
	int def;                    /* a named symbol defined in the object:
	                               SEC_* of its section (-1: another one);
	                               0 when undefined                     */
	uint64_t value;             /* the symbol's value (st_value)        */
} TcReloc;

typedef struct TcObject {
	const uint8_t *image;       /* the whole file, as read once          */
	size_t len;
	uint8_t *own;               /* the image, when tc_open read it       */
	size_t ownlen;
	void *elf;                  /* Elf *, over the image                */
	TcSection sect[SEC_BSS + 1];/* by SEC_* (bss: n is its size, p NULL) */
	TcSection types, lines;     /* .tal.types, .tal.lines               */
	TcReloc *rel; size_t nrel;  /* .rela.text, sorted by offset         */
	/* a linked module (tallink): no relocations; .text and .rodata are
	   parts of one image, so code reaches constants and the host-service
	   stubs pc-relatively (the checker sees those fields as relocations) */
	int is_module;
	TalModule mod;              /* its header (pointing into the file)   */
	TcSection iface;            /* the host interface it was linked with */
	int is_signed;              /* a signature trailer follows the module */
} TcObject;

/* The relocation of the field at .text offset `off`, or NULL. */
const TcReloc *tc_reloc_at(const TcObject *o, uint32_t off);

/* ---- decode.c: the strict decoder ---- */

/*
** Operands of a decoded instruction, in Intel order (destination first),
** as the assembly was written.  Memory operands hold no labels: a
** rip-relative displacement is kept as is, and `target` gives the absolute
** .text offset it designates.
*/
enum { TC_REG = 1, TC_MEM, TC_IMM, TC_REL };

typedef struct TcOp {
	uint8_t kind;      /* TC_*                                                */
	uint8_t size;      /* width in bytes (S8..S64); 0 for TC_REL and lea's mem */
	uint8_t reg;       /* TC_REG                                              */
	uint8_t base;      /* TC_MEM: register, R_RIP or R_NONE                   */
	uint8_t index;     /* TC_MEM: register or R_NONE                          */
	uint8_t scale;     /* TC_MEM: 1, 2, 4, 8 (1 when there is no index)       */
	int64_t val;       /* TC_IMM: the value, sign-extended as the CPU does;
	                      TC_MEM: displacement; TC_REL: target .text offset   */
} TcOp;

typedef struct TcInst {
	uint32_t off;      /* offset in .text                                     */
	uint8_t len;       /* bytes                                               */
	uint8_t mnem, cc;  /* MN_* and condition code (x86.h)                     */
	uint8_t nops;
	uint8_t size;      /* operation width in bytes (0 when none)              */
	uint8_t rel;       /* 1 + the index of the TC_REL operand; 0: none        */
	uint16_t row;      /* index of its row in x86_rows                        */
	TcOp op[3];
} TcInst;

/*
** Decode the instruction at code[off], accepting exactly the rows of
** common/x86.def that the decoder may see (not X_ALIAS) in the encodings
** the assembler produces or their exact equivalents: no prefix but one 66
** for 16-bit operands and one REX right before the opcode; no REX bit that
** nothing uses; nothing that runs past `n`.  Returns the length, or -1
** with a message in err that names the offset and the bytes.
*/
int tc_decode(const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap);

/*
** tc_decode with a memo.  What tc_decode gives depends only on the bytes
** it reads (they are read in order, nothing past them is looked at, and
** only a branch target depends on where they sit), so an instruction
** whose bytes were decoded before, at any offset, is copied from the memo
** with its offset and branch target moved; one with the shape of an
** instruction decoded before (TcShape) is that instruction with its
** displacement and immediate read again.  Rejections are not kept: each
** is decoded afresh, message and all.  The memo starts zeroed.
*/
enum { TC_MEMO_BITS = 12, TC_SHAPE_BITS = 10 };
typedef struct TcMemoEntry { uint64_t w[2]; TcInst in; } TcMemoEntry;   /* w: the bytes, zero-padded; in.len */
/*
** An instruction whose bytes were not decoded before may still have the
** shape of one that was: the same bytes up to its displacement and
** immediate, which come last and decide nothing but their operand's value
** (decode.c).  Such bytes are the shape's instruction with those values
** read from them.
*/
typedef struct TcShape {
	uint64_t head;             /* the bytes before the displacement and immediate  */
	uint8_t hl, dk, ik;        /* their count; displacement, immediate bytes        */
	uint8_t dop, iop, how;     /* which operand takes each (3: none); how the       */
	TcInst in;                 /* immediate extends (decode.c)                      */
} TcShape;
typedef struct TcDecodeMemo {
	unsigned eshift, sshift;   /* 64 - log2 of the entries, of the shapes */
	unsigned nshapes;
	TcMemoEntry *e;
	TcShape *s;
} TcDecodeMemo;
/*
** A memo for n bytes of code: a power of two of entries, about one for 4
** bytes (2^6 to 2^TC_MEMO_BITS), and of shapes, one for 16 (2^4 to
** 2^TC_SHAPE_BITS), so that a small file does not zero a large table.
** Zeroed by writing (xzalloc).  Given back with tc_decode_memo_free.
*/
TcDecodeMemo *tc_decode_memo_new(size_t n);
void tc_decode_memo_free(TcDecodeMemo *m);
int tc_decode_memo_fill(TcDecodeMemo *m, const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap);

/* The least b in [lo, hi] with 2^b >= want: the size of a table of about `want` entries. */
static inline unsigned tc_table_bits(size_t want, unsigned lo, unsigned hi)
{
	unsigned b = lo;
	while (b < hi && ((size_t)1 << b) < want) b++;
	return b;
}

/* Keyed by the first 4 bytes; an entry is used only when all its bytes are there again. */
static inline unsigned tc_memo_slot(const TcDecodeMemo *m, uint64_t w0)
{
	return (unsigned)(((uint32_t)w0 * UINT64_C(0x9e3779b97f4a7c15)) >> m->eshift);
}

/* The low k bytes of a word (k <= 8; all of it from 8 on). */
static inline uint64_t tc_low_bytes(unsigned k) { return k >= 8 ? ~UINT64_C(0) : (UINT64_C(1) << 8 * k) - 1; }

/* e holds the instruction whose bytes start w0, w1 (avail of them there): copy it to out, moved to off. */
static inline int tc_memo_hit(const TcMemoEntry *e, uint64_t w0, uint64_t w1, size_t avail, size_t off, TcInst *out)
{
	unsigned have = e->in.len;   /* 0 in an empty entry; at most 15 */
	if (!have || have > avail || (w0 & tc_low_bytes(have)) != e->w[0] || (w1 & tc_low_bytes(have > 8 ? have - 8 : 0)) != e->w[1])
		return 0;
	*out = e->in;
	out->off = (uint32_t)off;
	if (out->rel) out->op[out->rel - 1].val += (int64_t)off;
	return 1;
}

/*
** A hint to bring a line into the cache, nothing more.  GCC 12 drops
** __builtin_prefetch from an inline function that has no other effect
** (tc_decode_memo_prefetch compiled to nothing), so on x86-64 the
** instruction is written out.
*/
static inline void tc_prefetch(const void *p)
{
#if defined(__x86_64__) && defined(__GNUC__)
	__asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p);
#endif
}

/* The memo's entry for the instruction at code[off], or NULL when fewer than 16 bytes are left there. */
static inline const TcMemoEntry *tc_decode_memo_entry(const TcDecodeMemo *m, const uint8_t *code, size_t n, size_t off)
{
	uint64_t w0;
	if (off > n || n - off < 16) return NULL;
	memcpy(&w0, code + off, 8);
	return &m->e[tc_memo_slot(m, w0)];
}

/* The same, brought into the cache (for the next instruction, while this one is checked). */
static inline const TcMemoEntry *tc_decode_memo_prefetch(const TcDecodeMemo *m, const uint8_t *code, size_t n, size_t off)
{
	const TcMemoEntry *e = tc_decode_memo_entry(m, code, n, off);
	if (e) {
		tc_prefetch(e);
		tc_prefetch((const char *)(e + 1) - 1);   /* an entry may span two lines */
	}
	return e;
}

/* e, tc_decode_memo_entry's for code[off], holds that instruction: 1, with it copied to out; else 0 (tc_decode_memo_fill). */
static inline int tc_decode_memo_hit(const TcMemoEntry *e, const uint8_t *code, size_t off, TcInst *out)
{
	uint64_t w0, w1;
	if (!e) return 0;
	memcpy(&w0, code + off, 8);
	memcpy(&w1, code + off + 8, 8);
	return tc_memo_hit(e, w0, w1, 16, off, out);
}

/* The hit with 16 bytes to read, inline; the rest in tc_decode_memo_fill. */
static inline int tc_decode_memo(TcDecodeMemo *m, const uint8_t *code, size_t n, size_t off, TcInst *out, char *err, size_t errcap)
{
	if (tc_decode_memo_hit(tc_decode_memo_entry(m, code, n, off), code, off, out)) return out->len;
	return tc_decode_memo_fill(m, code, n, off, out, err, errcap);
}

/* Intel-syntax text of a decoded instruction, for diagnostics. */
void tc_format(const TcInst *in, char *buf, size_t cap);

/* ---- crew.c: helper threads that are already running ---- */

/*
** Work handed to another thread starts when that thread runs, and a thread
** made or woken while the other processors sleep runs late: on a virtual
** machine, waking a halted processor has been measured at about 4 ms.  A
** crew is started once, early (the tool does, before reading its first
** file); each member runs the jobs handed to it, one at a time, and
** between jobs keeps its processor awake for a while (it yields it to
** anything else that wants to run) before it sleeps.  The results of a
** job never depend on which thread ran it.  Without a crew (a program
** that embeds the checker and starts none), tc_crew_run says no.
*/
typedef struct TcJob {
	void (*fn)(void *arg);
	void *arg;
	_Atomic int done;          /* set once fn has returned              */
} TcJob;
/* Start up to n members (beyond any already running): how many run. */
unsigned tc_crew_start(unsigned n);
/* Hand j to a member with no job waiting: 1, or 0 when every member has one (or none runs). */
int tc_crew_run(TcJob *j);
/*
** Until j, handed out by tc_crew_run, is done: 1; or 0 when no member had
** taken it yet, and it is taken back instead (it will never run).
*/
int tc_crew_wait(TcJob *j);

/* ---- object.c ---- */

/* The names of the sections the checker types, by SEC_* ("" for SEC_NONE). */
extern const char *const tc_sect_names[SEC_BSS + 1];

/*
** A whole regular file, read once into one buffer: what is checked, and
** then signed, is these bytes, not the file again.  0, or -1 with a
** message (no such file, a directory or a FIFO, I/O error, larger than
** TC_FILE_MAX).  The buffer is given back with tc_unread(p, n), not free.
*/
#define TC_FILE_MAX (1u << 30)
int tc_read(const char *path, uint8_t **p, size_t *n, char *err, size_t errcap);
/*
** What checking reads of a file, for a caller that neither signs nor runs
** the bytes: of an unsigned module, its headers, the regions its module
** header names (talmod_regions) and its ELF section table, the rest (its
** ELF symbol table, which only describes it to other tools and which the
** checker never looks at) left zero, never read; any other file whole, as
** tc_read reads it.  Given back with tc_unread.
**
** A module's line table is left for later (the file stays open, in
** *later): checking reads it only at its end, where a member of the crew
** reads it beside the stack check, so that it does not hold the reading
** up.  tc_read_later reads it into its place in the buffer, once (then
** nothing): 0, or -1 with later->err (errno); short, when the file shrank
** meanwhile, the rest stays zero, as with the other regions.
** tc_later_drop closes the file without reading.  Nothing is left when
** later->fd is -1 (any other file).
*/
typedef struct TcLater { int fd, err; uint8_t *p; size_t size; uint64_t off, len; } TcLater;
int tc_read_checked(const char *path, uint8_t **p, size_t *n, TcLater *later, char *err, size_t errcap);
int tc_read_later(TcLater *l);
void tc_later_drop(TcLater *l);
void tc_unread(uint8_t *p, size_t n);

/*
** Check an ELF64 x86-64 relocatable object, or a module (with or without
** its signature trailer, which is not checked here), held in memory; the
** image must outlive o.  tc_open reads the file first (tc_read) and owns
** the image.  0, or -1 with a message; path only names the file in it.
*/
int tc_open_image(TcObject *o, const char *path, const uint8_t *image, size_t len, char *err, size_t errcap);
int tc_open(TcObject *o, const char *path, char *err, size_t errcap);
void tc_close(TcObject *o);

/* ---- facts.c: linear facts about sizes ---- */

enum { LIN_MAX = 6, FACTS_MAX = 48 };
/* Every size is below this: no sum of a few sizes, nor a size times 4096, overflows 64 bits. */
#define SIZE_LIMIT (INT64_C(1) << 48)

/*
** sum of c[i]*v[i] + k; ok = 0 when it is not linear or got too big: a
** coefficient beyond LIN_COEF, or (lin_addto) a constant beyond 2^56.
** 64 bytes, one cache line: states, facts and memos copy many of them.
*/
#define LIN_COEF (INT32_C(1) << 30)
typedef struct Lin { int n, ok; StrId v[LIN_MAX]; int32_t c[LIN_MAX]; int64_t k; } Lin;
_Static_assert(sizeof(Lin) == 2 * sizeof(int) + LIN_MAX * (sizeof(StrId) + sizeof(int32_t)) + sizeof(int64_t),
               "Lin has no padding: equal forms compare equal byte for byte");
/*
** What is known: each f[i] >= 0.  gen names the facts: facts_add gives
** each set it makes a new number (0: none made), so the prover can keep
** its answers for (gen, n, goal).  A copy keeps gen; code that writes f[]
** other than through facts_add must set gen to 0.  sum is a hash of f[0..n)
** in order, kept by facts_add, so that equal sets made apart can be told
** equal cheaply (a match is then confirmed fact by fact).
*/
typedef struct Facts { int n; uint64_t gen, sum; Lin f[FACTS_MAX]; } Facts;

static inline Lin lin_const(int64_t k) { return (Lin){.ok = 1, .k = k}; }
static inline Lin lin_var(StrId v) { return (Lin){.n = 1, .ok = 1, .v = {v}, .c = {1}}; }
void lin_addto(Lin *a, const Lin *b, int64_t m); /* a += m*b */
static inline Lin lin_add(Lin a, Lin b, int64_t m) { lin_addto(&a, &b, m); return a; }   /* a + m*b */
Lin lin_of(const TyTable *t, TyId index);
int lin_is_const(const Lin *l, int64_t *k);
/* Forms with the same terms in the same order and the same constant (ok ones), and a hash to match. */
static inline int lin_same(const Lin *a, const Lin *b)
{
	if (a->n != b->n || a->k != b->k) return 0;
	for (int i = 0; i < a->n; i++)
		if (a->v[i] != b->v[i] || a->c[i] != b->c[i]) return 0;
	return 1;
}
/* Every field and slot the same (what memcmp would say: Lin has no padding), constant first. */
static inline int lin_identical(const Lin *a, const Lin *b)
{
	if (a->k != b->k || a->n != b->n || a->ok != b->ok) return 0;
	for (int i = 0; i < LIN_MAX; i++)
		if (a->v[i] != b->v[i] || a->c[i] != b->c[i]) return 0;
	return 1;
}
static inline uint64_t lin_hash(const Lin *l)
{
	uint64_t h = (uint64_t)l->k * 0xff51afd7ed558ccdu ^ (uint64_t)l->n;
	for (int i = 0; i < l->n; i++) h = (h ^ l->v[i] ^ (uint64_t)l->c[i] << 32) * 0x9e3779b97f4a7c15u;
	return h;
}
void lin_print(const TyTable *t, Lin l, char *buf, size_t cap);
/* Forms by address: passed by value, each is 64 bytes copied, often just after it was written. */
void facts_add(Facts *f, const Lin *ge0);
void facts_rel(Facts *f, const Lin *a, const Lin *b, int rel);        /* rel: TY_CLT, TY_CLE, TY_CEQ */
/*
** The facts of f that bit i of `keep` selects, in their order, as a set of
** their own in out (its sum is the one facts_add would give it): what they
** prove, f proves.
*/
void facts_subset(const Facts *f, uint64_t keep, Facts *out);
int facts_prove(const Facts *f, const Lin *ge0);
int facts_prove_rel(const Facts *f, const Lin *a, const Lin *b, int rel);
/* The prover's work so far in this thread (steps of its search): for a bound on it. */
extern _Thread_local uint64_t tc_facts_work;
static inline uint64_t facts_work(void) { return tc_facts_work; }

/* ---- tyops.c: types as the checker sees them ---- */

enum { SUBST_MAX = 32, TYOPS_BUDGET = 1 << 20, TY_SELF_BITS = 12 };

/* Binders being solved (unknowns) or replaced: name -> value (0: not yet known). */
typedef struct Subst { int n; StrId name[SUBST_MAX]; uint8_t sort[SUBST_MAX]; TyId val[SUBST_MAX]; } Subst;

typedef struct TyOps {
	TyTable *t;
	uint32_t *tdef;      /* by StrId: 1 + entry index of its .typedef, or 0 */
	uint32_t ntdef;      /* strings when it was built                       */
	uint8_t *tclosed;    /* by entry: typedef body closed 1, open 2, not yet 0 */
	TyId *exp;           /* by node: its expansion (ty_expand), or 0        */
	unsigned nexp;
	uint64_t *size;      /* by node: its size and alignment (ty_size), once  */
	uint64_t *align;     /* worked out; 0: not yet, or it could not be      */
	unsigned nsize, nalign;
	const char *err;     /* why the last operation failed                   */
	long budget;         /* steps left for the current instruction: types
	                        are DAGs, and a walk must not blow up on one   */
	Subst scope;         /* names bound by the code, exists and rec types
	                        ty_leq is inside (values 0)                    */
	struct SelfSum *self;/* the variables of recently compared types:     */
	unsigned selfbits;   /* 2^selfbits of them (0: 2^TY_SELF_BITS)          */
	int forked;          /* tyops_fork made it: tdef is the original's      */
	uint64_t made;       /* kid slots and nodes ty_subst rebuilt, found in
	                        the table or not: a function of the types and
	                        the substitution alone (its callers charge it)  */
} TyOps;

void tyops_init(TyOps *o, TyTable *t);
void tyops_free(TyOps *o);
/* Operations over a fork of src's table (ty_fork), for another thread: its own caches. */
void tyops_fork(TyOps *dst, const TyOps *src, TyTable *t);
/* The kinds of integer a register holds (int, u64 ... u8, S(e)): what fits int, at once. */
static inline int ty_is_int(int kind)
{
	return kind == TY_INT || kind == TY_U64 || kind == TY_U32 || kind == TY_U16 || kind == TY_U8 || kind == TY_SING;
}
/* A type with its outer names replaced by their definitions (0 on error: o->err). */
TyId ty_expand_name(TyOps *o, TyId id);   /* (a name not expanded before: ty_expand's slow part) */
static inline TyId ty_expand(TyOps *o, TyId id)
{
	if (!id || ty_get(o->t, id)->kind != TY_NAME) return id;
	if (id < o->nexp && o->exp[id]) return o->exp[id];
	return ty_expand_name(o, id);
}
/* Replace the variables of s (those not rebound inside) by their values. */
TyId ty_subst(TyOps *o, TyId id, const Subst *s);
/* Bytes a value or layout takes in memory; 0 with o->err if unknown. */
uint64_t ty_size(TyOps *o, TyId id);
/* The field of a record at byte offset `off`: its node, its offset and its position. */
TyId ty_field_at(TyOps *o, TyId record, uint64_t off, uint64_t *start, int *index);
/*
** Is `a` usable where `b` is expected?  Variables of b listed in u are
** unknowns, bound as they are met; facts decide equalities of indices.
*/
int ty_leq(TyOps *o, TyId a, TyId b, Subst *u, const Facts *f);
/*
** Can a type variable stand for this type?  Only for a word: a value of 8
** bytes (not a u8..u32 field type, a record, an array or a stack), or the
** layouts the variable sits in would not be the same bytes on both sides.
*/
int ty_is_word(TyOps *o, TyId w);
/*
** [typedef.closed] The variable a typedef's body (entry e) uses without
** binding it (as a parameter or inside), or 0 when there is none;
** TY_OPEN_BIG when the body is too big or deep to tell.  The answer is
** kept: expanding the name later does not walk the body again.
*/
#define TY_OPEN_BIG UINT32_MAX
StrId ty_typedef_open(TyOps *o, uint32_t e);
/*
** A new variable name ("rax#1", "n#2", ...): an id from TY_FRESH up, so it
** differs from every name the sections spell, even one a hostile section
** spells the same way.
*/
StrId ty_fresh(TyOps *o, const char *hint);

/* ---- check.c: the checker ---- */

/*
** A rejection as the checker reports it, for machines (report.c): where
** in the source (the object's path when no source is known; line and
** column 0 when unknown), the rule and the message, and the instruction
** when there is one (insn NULL otherwise; offset -1 when no .text offset).
*/
typedef struct TcFinding {
	const char *file;
	unsigned line, col;
	const char *rule, *message;
	long long offset;
	const char *bytes, *insn, *state;
} TcFinding;
/* Where findings go besides the diagnostics: found(arg, finding), called as each is reported. */
typedef struct TcSink { void (*found)(void *arg, const TcFinding *x); void *arg; } TcSink;

/*
** What a check took (talcheck --stats): how much it checked, in how many
** threads, and how long each phase ran, in milliseconds of wall-clock
** time.  A file with an error is checked twice (tc_check_image): runs is
** 2, the counts are the second run's and the times add up both.  A file
** that cannot be read or is not a TAL object leaves runs at 0.
*/
typedef struct TcStats {
	uint64_t insns;      /* instructions checked (those a typed path reaches) */
	uint64_t blocks;     /* blocks checked: typed labels of .text           */
	uint64_t code;       /* bytes of .text                                  */
	unsigned threads;    /* threads the blocks were checked in (the last run) */
	unsigned runs;
	double read;         /* reading the file (tc_check_object), but for a module's line table, read in `after` */
	double load;         /* the ELF headers and the type sections           */
	double before;       /* names, labels, relocations, sorts, exports, data */
	double blocks_ms;    /* the blocks                                      */
	double after;        /* after them: where instructions start, stack, fuel */
	double total;        /* all of it, reading included                      */
} TcStats;

/*
** Verify one object or module: decode all of .text and check every
** instruction against the types.  Reports through d (and to `sink` if
** not NULL); returns the number of errors, or -1 when the file
** cannot be read or is not one (reported).  The file is read once:
** with `image`, whole (tc_read), and the caller gets those bytes (to give
** back with tc_unread), so that what it signs or runs is exactly what was
** checked; without, only what checking reads (tc_read_checked).
** tc_check_image checks bytes already in memory.  With `stats` (or NULL)
** either says what the check took (tc_check_image: read is 0).
*/
int tc_check_object(const char *path, Diag *d, const TcSink *sink, int profile, uint8_t **image, size_t *len, TcStats *stats);
/*
** Threads for the blocks of one file: n of them, or with 0 one per
** processor when the code is large enough (64 KiB a thread).  The
** default is 1.  The answer and every message are the same whatever n is:
** should any thread find an error, the file is checked again in one.
*/
void tc_set_jobs(int n);
int tc_check_image(const char *path, const uint8_t *image, size_t len, Diag *d, const TcSink *sink, int profile, TcStats *stats);

/*
** Profiles: what is checked beyond memory and control-flow safety.  The
** kernel profile also bounds running time (every loop and recursion counts
** fuel down: [fuel.loop], [fuel.indirect]) and division ([div.zero]).
*/
enum { TC_PROFILE_USER = 0, TC_PROFILE_KERNEL = 1 };

/* ---- report.c: findings for machines ---- */

/* One finding as one line of JSON (--json): file, line, column, rule, message, offset, bytes, instruction, state. */
void tc_json_line(FILE *f, const TcFinding *x);

/* A SARIF 2.1.0 log (--sarif), gathered as findings come and written whole at the end. */
typedef struct TcSarif {
	FILE *res, *note;           /* the results and notifications so far */
	char *resbuf, *notebuf;
	size_t reslen, notelen;
	unsigned nres, nnote;
	char **rules; unsigned nrules, caprules;   /* rule ids, in the order first seen */
	int broken;                 /* out of memory: the log cannot be written */
} TcSarif;
void tc_sarif_init(TcSarif *s);
void tc_sarif_result(TcSarif *s, const char *object, const TcFinding *x);
void tc_sarif_notification(TcSarif *s, const char *object, const char *message);
int tc_sarif_write(TcSarif *s, const char *path, const char *version, int ok);
void tc_sarif_free(TcSarif *s);

#endif
