/*
** check.c - the checker: every instruction of .text against the types.
**
** The code is cut at labels.  Each label with a type starts a block; the
** block is checked once, from the state its label type describes, one
** instruction after another, until it jumps, returns, or falls into the
** next label.  Wherever control goes to a label, the state must fit that
** label's type, with the label's type and size variables instantiated from
** the state.  So the work is linear in the size of the code.
**
** The rules are written above the functions that enforce them, as
**     [rule] premises  =>  conclusion
** and every rejection names its rule (docs/checking.md lists them).
*/
#include <ctype.h>
#include <elf.h>
#include <gelf.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "arena.h"
#include "tc.h"

enum { FL_NONE, FL_CMP, FL_TEST, FL_STACK, FL_FUEL };

/* Sets of conditions (bit cc): all; those that read CF, OF, ZF alone. */
#define CCS(a, b) (1u << (a) | 1u << (b))
enum {
	CC_ALL = 0xffff,
	CC_READS_CF = CCS(CC_B, CC_AE) | CCS(CC_BE, CC_A),
	CC_READS_OF = CCS(CC_O, CC_NO) | CCS(CC_L, CC_GE) | CCS(CC_LE, CC_G),
	CC_CF_ONLY = CCS(CC_B, CC_AE), CC_ZF_ONLY = CCS(CC_E, CC_NE), CC_CF_OF = CCS(CC_B, CC_AE) | CCS(CC_O, CC_NO)
};

/*
** What a host promises below the stack limit it hands out: after code has
** checked rsp against the limit, this many bytes may be used before the
** next check (docs/checking.md, "Stack").
*/
enum { STACK_GUARD = 8192 };

/* What the last compare established, for the conditional jumps after it. */
typedef struct FlagInfo {
	int kind;
	Lin a, b;          /* FL_CMP: a compared with b, as linear forms   */
	int reg;           /* FL_TEST: the register tested against itself */
	TyId regty;        /* its type at the test                         */
	int64_t depth;     /* FL_STACK: the stack's depth at the compare   */
} FlagInfo;

typedef struct State {
	TyId reg[16];      /* 0: no value                                  */
	TyId stack;        /* what rsp points at; 0: unknown               */
	int64_t depth;     /* bytes pushed since the block's label         */
	int checked;       /* stack is known to be there: budget bytes ... (GUARD_*) */
	int64_t cdepth;    /* ... below this depth                         */
	int64_t budget;
	int fueled;        /* the block counted its fuel down and tested it */
	int live;          /* control reaches the next instruction         */
	unsigned ccok;     /* bit cc: the flags condition cc reads may be read ([addr.bits]) */
	FlagInfo flags;    /* past flags.kind, only what its kind sets is read */
	Facts facts;       /* last: only its first facts.n entries are in use (and written, but for
	                      the slot after them, where facts_rel makes a fact before it joins) */
} State;

/*
** What makes the stack known to be there: the block's label declares
** `stack N` (the budget is N), or the block checked rsp against the limit
** (STACK_GUARD bytes).
*/
enum { GUARD_DECLARED = 1, GUARD_CHECKED };

/* A place where a block calls or jumps to a label: for the stack bound. */
/* `guarded` (GUARD_*, or 0): `depth` counts from the check (from the
   label, under a declared stack), and the site must fit the budget
   (site_budget) instead of adding to its label's need. */
/* `fueled`: after a fuel check in the block (kernel profile). */
typedef struct Site { uint32_t from, to, at; uint8_t call, guarded, fueled; int64_t depth; } Site;
/*
** The sites in runs: arrays of SITE_RUN sites, a new one begun when the
** last is full, and each thread's kept as they are after a threaded run:
** sites are never copied (growing one array would copy it, into pages
** that are new).
*/
typedef struct SiteRun { Site *p; unsigned n; } SiteRun;
enum { SITE_RUN = 4096 };

/* Names an .unpack gives that later coercions of its block may use. */
enum { ALIAS_MAX = 16 };

/*
** A set of .text offsets, one bit each, with the members below each
** 64-bit word counted once it is built (marks_rank is then O(1)): where
** instructions start, and where labels are.
*/
typedef struct Marks { uint64_t *w; uint32_t *below; size_t n; } Marks;

static void marks_init(Marks *m, size_t n)
{
	m->n = n;
	m->w = xzalloc(n / 64 + 1, sizeof *m->w);
	m->below = NULL;
}

static void marks_set(Marks *m, size_t i) { m->w[i >> 6] |= UINT64_C(1) << (i & 63); }

/* The small helpers the walk over the blocks calls at every instruction: kept inline, whatever else grows. */
#define HOT static inline __attribute__((always_inline))

HOT int marks_has(const Marks *m, int64_t i)
{
	return i >= 0 && (uint64_t)i < m->n && (m->w[i >> 6] >> (i & 63) & 1);
}

/* Bits set in x (without the popcnt instruction, which x86-64 does not promise). */
HOT uint32_t pop64(uint64_t x)
{
	x -= (x >> 1) & UINT64_C(0x5555555555555555);
	x = (x & UINT64_C(0x3333333333333333)) + ((x >> 2) & UINT64_C(0x3333333333333333));
	x = (x + (x >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (uint32_t)((x * UINT64_C(0x0101010101010101)) >> 56);
}

static void marks_count(Marks *m)
{
	size_t nw = m->n / 64 + 1;
	m->below = xmalloc(nw * sizeof *m->below);
	uint32_t k = 0;
	for (size_t i = 0; i < nw; i++) {
		m->below[i] = k;
		k += pop64(m->w[i]);
	}
}

/* Members below i (after marks_count). */
HOT uint32_t marks_rank(const Marks *m, size_t i)
{
	return m->below[i >> 6] + pop64(m->w[i >> 6] & ((UINT64_C(1) << (i & 63)) - 1));
}

/* The first member at or after i, or m->n. */
static size_t marks_next(const Marks *m, size_t i)
{
	if (i >= m->n) return m->n;
	size_t k = i >> 6;
	uint64_t w = m->w[k] & (~UINT64_C(0) << (i & 63));
	while (!w) {
		if (++k > m->n / 64) return m->n;
		w = m->w[k];
	}
	size_t at = k * 64 + (size_t)__builtin_ctzll(w);   /* w != 0: bsf, in every x86-64 */
	return at < m->n ? at : m->n;
}

static void marks_free(Marks *m)
{
	free(m->w);
	free(m->below);
}

typedef struct Ck {
	const char *path;
	Diag *d;
	const TcSink *sink;        /* findings for machines, or NULL            */
	TcObject obj;
	TyTable t;
	LineTable lt;              /* decoded at the first report (load checks it) */
	int lt_read;
	TcLater *later;             /* the line table, still to be read from the file (Lines), or NULL */
	TyOps o;
	TcDecodeMemo *memo;        /* for decoding .text again after decode_all  */
	Marks starts;              /* .text offsets where an instruction starts  */
	Marks labels;              /* .text offsets with a label type            */
	uint32_t *lab;             /* by rank in labels: 1 + entry index         */
	uint32_t *annx;            /* annotation indexes by offset, then table order */
	uint32_t block;            /* entry index of the block being checked     */
	TyId *orig;                /* by entry: a label's type as its section gives it, where
	                              t.ent holds it with slots (slot_labels); else 0 */
	uint32_t *slotat;          /* by entry, for such a label: where in slotpool its names are */
	StrId *slotpool;           /* at each place: how many slots, then by slot the name its
	                              binder has as written (what t.show points to in its blocks) */
	uint32_t shown; TyId shown_t;  /* enter: 1 + the label entered, or 0, and the type entered */
	int64_t *local;            /* by entry: deepest stack use of its block   */
	uint8_t *taken;            /* by entry: the label's address is taken     */
	uint8_t *stackn;           /* by entry: a label whose type says `stack N` (place_labels) */
	uint8_t *tdsort;           /* by entry: what a typedef's name stands for (name_sort) */
	uint64_t slots;            /* stack slots the blocks it checked made by sub rsp (adjust_rsp) */
	uint64_t made;             /* what the substitutions they asked for rebuilt (subst_charged) */
	uint64_t steps, steps_max; /* steps the rules took (steps_take), and how many they may */
	uint64_t facts_seen;       /* facts_work() when they were last counted             */
	int too_big;               /* a thread's part went past steps_max (steps_check) */
	int said_full;             /* reported that c->t is full (report)        */
	TyNames names;             /* the entries of each name                   */
	StrId *relsym;             /* by relocation: its symbol's name (0: a section) */
	StrId *stubsym;            /* a module's: by import, its name                 */
	TcReloc mrel; StrId mrelsym; /* the first run of a module: the field's, made as met */
	struct Span *seg; uint32_t nseg;  /* the data sections cut where objects start and end */
	struct Span *objs; uint32_t nobjs; /* the objects by section, offset, entry        */
	Site *site; unsigned nsite;           /* the sites found: the run being filled,     */
	struct SiteRun *runs; unsigned nruns, capruns;   /* and the full ones, and the threads' */
	State st;
	const TcInst *in;          /* the instruction being checked              */
	const TyAnnot *inst;       /* a pending .inst [args] for its target     */
	const TyAnnot *ann;        /* the coercion being applied: where its
	                              coerce.* errors are reported           */
	StrId said[ALIAS_MAX], meant[ALIAS_MAX];   /* names .unpack gave in this block, */
	uint8_t msort[ALIAS_MAX];  /* the new variables they name, and their sorts */
	int nalias;
	const TyEntry *ent;        /* or the declaration                         */
	int64_t off;               /* or this .text offset (-1: none)            */
	int errors;
	int first;                 /* the first run (tc_check_image): errors are counted, not
	                              reported; no decode_all: the walks over the blocks decode,
	                              and what needs to know where instructions start is
	                              checked after them (check_places) */
	int kernel;                /* the kernel profile: fuel, guarded division */
	TyId small[256];           /* S(k) for small constants k, once made      */
	TyId leafs[TY_NKINDS];     /* the leaf node of each kind, once made      */
	struct { TyId id; Lin l; } lin[512];  /* lin_of of recent nodes, by id  */
	struct { TyId s; Lin l; } sing[256];  /* S(l) made for recent forms l   */
	struct Code **code;        /* by node: its parts (code_of), or NULL; a fork's: its original's, read only */
	struct Code **mine;        /* a fork's own parts of the nodes it made, by node - mbase */
	unsigned nmine; TyId mbase;
	struct CodeMap { TyId *key; struct Code **val; uint32_t cap, n; } older;   /* and of older nodes its original had none for */
	struct EntryMemo *ememo;   /* entries answered before (enter2)          */
	unsigned eshift;           /* 64 - log2 of its size                      */
	unsigned ncode;
	uint64_t ninsn, nblock;    /* instructions and blocks checked (TcStats)  */
	unsigned nthreads;         /* threads the blocks were checked in        */
	Arena arena;
} Ck;

static const TyNode *N(Ck *c, TyId id) { return ty_get(&c->t, id); }

/*
** [type.size] Past what the type sections put there, the checker's table
** of types holds at most GROW_MIN parts (a node, and each of its kids),
** and GROW_PER_BYTE a byte of the file (its cap, set after loading): label
** types of 20 bytes each that named a typedef of 30000 fields with an
** argument of their own, 4000 of them in 900 KB, took 497 MB before, and
** objects so typed 495 MB and 5 seconds.  A type that would not fit is
** not made, and report says so, once.  What the table gains depends on
** what it held, and threads hold tables of their own: a thread may take a
** quarter of the bound, and should one run out (or the threads together
** take more), the blocks are checked again in one thread, which alone
** decides (check_parallel).
*/
enum { GROW_MIN = 1 << 22, GROW_PER_BYTE = 4 };

static uint64_t grow_allowed(const Ck *c)
{
	return GROW_MIN + GROW_PER_BYTE * (uint64_t)c->obj.len;
}

static int report(Ck *c, const char *rule, const char *fmt, ...);

/*
** [type.size] And the rules' work on types (TyOps.budget: each instruction
** may take TYOPS_BUDGET steps) adds up to at most STEPS_MIN steps, and
** STEPS_PER_BYTE a byte of the file: a .subsume between two records of
** 640000 fields in all, before each of 1000 nops, in 21 KB, took 13
** seconds before, and reads of the last of 65000 fields 10 seconds.  Some
** steps are saved by what a table remembers, so threads may take more than
** one thread: as for the table (grow_allowed), a thread may take a quarter,
** and past that one thread decides.
*/
enum { STEPS_MIN = 1 << 24, STEPS_PER_BYTE = 64 };

static uint64_t steps_allowed(const Ck *c)
{
	return STEPS_MIN + STEPS_PER_BYTE * (uint64_t)c->obj.len;
}

/* Count the steps taken since the budget was last set, and the prover's, and set the budget again. */
HOT void steps_take(Ck *c)
{
	long used = TYOPS_BUDGET - c->o.budget;
	uint64_t w = facts_work();
	if (used > 0) c->steps += (uint64_t)used;
	c->steps += 4 * (w - c->facts_seen);   /* (a step of the search takes about four of the others' time) */
	c->facts_seen = w;
	c->o.budget = TYOPS_BUDGET;
}

/*
** A count of the whole file (stack slots, rebuilt parts, steps) after an
** instruction, `before` it: 0 within its bound; past it, the block stops
** there, and 1 the first time (the caller says so) or 2 after (an error
** counted, said once).
*/
static int passed(Ck *c, uint64_t now, uint64_t before, uint64_t allowed)
{
	if (now <= allowed) return 0;
	c->st.live = 0;
	if (before > allowed) return c->errors++, 2;
	return 1;
}

/* Past steps_max: 1, said once (a thread's part only stops: one thread decides). */
static int steps_check(Ck *c, uint64_t before)
{
	if (c->steps <= c->steps_max) return 0;
	if (c->steps_max < steps_allowed(c)) return c->st.live = 0, c->too_big = 1;
	if (passed(c, c->steps, before, c->steps_max) == 1)
		report(c, "type.size", "checking the types of this file takes more than %llu steps (%d, and %d a byte of the file): too many to check",
		       (unsigned long long)c->steps_max, STEPS_MIN, STEPS_PER_BYTE);
	return 1;
}
static TyId K(Ck *c, TyId id, int i) { return ty_kid(&c->t, id, i); }
static TyId X(Ck *c, TyId id) { return id ? ty_expand(&c->o, id) : 0; }
static TyId mk(Ck *c, int kind, int flags, StrId name, int64_t v, const TyId *k, int n)
{
	return ty_node(&c->t, kind, flags, name, v, k, n);
}
/* Nodes are hash-consed and never change: a leaf is made once, and a node's linear form kept. */
static TyId leaf(Ck *c, int kind)
{
	return c->leafs[kind] ? c->leafs[kind] : (c->leafs[kind] = mk(c, kind, 0, 0, 0, NULL, 0));
}
/* The form kept for e: valid until the next lin_ref or lin_at. */
HOT const Lin *lin_ref(Ck *c, TyId e)
{
	unsigned h = e & (sizeof c->lin / sizeof *c->lin - 1);
	if (!e || c->lin[h].id != e) {
		c->lin[h].l = lin_of(&c->t, e);
		c->lin[h].id = e;
	}
	return &c->lin[h].l;
}

static Lin lin_at(Ck *c, TyId e) { return *lin_ref(c, e); }
static TyId mk1(Ck *c, int kind, int flags, TyId a) { return mk(c, kind, flags, 0, 0, &a, 1); }
static TyId mk2(Ck *c, int kind, TyId a, TyId b) { TyId k[2] = { a, b }; return mk(c, kind, 0, 0, 0, k, 2); }

/* ---- diagnostics ---- */

static void state_text(Ck *c, const State *st, char *buf, size_t cap)
{
	size_t at = 0;
	char ty[512];
	buf[0] = 0;
	for (int r = 0; r < 16 && at < cap; r++) {
		if (r == R_RSP || !st->reg[r]) continue;
		ty_print(&c->t, st->reg[r], ty, sizeof ty);
		at += (size_t)snprintf(buf + at, cap - at, "%s%s: %s", at ? ", " : "", x86_reg_name(r, S64), ty);
	}
	if (at < cap) {
		if (st->stack) ty_print(&c->t, st->stack, ty, sizeof ty);
		else strcpy(ty, "unknown");
		snprintf(buf + at, cap - at, "%srsp: %s", at ? ", " : "", ty);
	}
}

/* The source position of a .text offset, through the line table. */
static Pos src_pos(Ck *c, uint32_t off)
{
	Pos p = { 0, 0, 0 };
	char err[512];
	if (!c->lt_read) {   /* load checked the section: this cannot fail */
		c->lt_read = 1;
		if (lt_decode(&c->lt, c->obj.lines.p, c->obj.lines.n, err, sizeof err) != 0) return p;
	}
	const LineRow *r = lt_find(&c->lt, off);
	if (!r || r->file >= c->lt.nfile) return p;
	p.file = diag_source_file(c->d, c->lt.file[r->file]);
	p.line = r->line;
	p.col = r->col;
	return p;
}

/*
** file:line:col: error: [rule] message, the source line and a caret, then
** the instruction (offset, bytes, disassembly) and the state before it.
*/
static int report(Ck *c, const char *rule, const char *fmt, ...)
{
	char msg[1024], insn[128] = "", bytes[64] = "", state[2048] = "";
	va_list ap;
	if (c->first) return c->errors++, 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->errors++;
	if (c->t.full) {   /* whatever failed once the table of types was full failed for want of room: that is said, once */
		if (c->said_full) return 0;
		c->said_full = 1;
		rule = "type.size";
		snprintf(msg, sizeof msg, "the types of this file take more than %llu parts (nodes and their kids) in the checker's table (%d, and %d a byte of the file, besides the type sections'): too many to check",
		         (unsigned long long)grow_allowed(c), GROW_MIN, GROW_PER_BYTE);
	}
	Pos p = { 0, 0, 0 };
	if (c->in) {
		const TcSection *tx = &c->obj.sect[SEC_TEXT];
		size_t at = 0;
		for (int i = 0; i < c->in->len && at + 4 < sizeof bytes; i++)
			at += (size_t)snprintf(bytes + at, sizeof bytes - at, "%s%02x", i ? " " : "", tx->p[c->in->off + i]);
		tc_format(c->in, insn, sizeof insn);
		state_text(c, &c->st, state, sizeof state);
		p = src_pos(c, c->in->off);
	}
	if (!c->in && c->off >= 0) p = src_pos(c, (uint32_t)c->off);
	TyPos at = c->ent ? ty_entry_pos(&c->t, c->ent) : (TyPos){ 0, 0, 0 };
	if (!c->in && !p.file && at.file) {
		p.file = diag_source_file(c->d, ty_strof(&c->t, at.file));
		p.line = at.line;
		p.col = at.col;
	}
	if (c->ann && c->ann->file && strncmp(rule, "coerce.", 7) == 0) {   /* the coercion's own line */
		p.file = diag_source_file(c->d, ty_strof(&c->t, c->ann->file));
		p.line = c->ann->line;
		p.col = c->ann->col;
	}
	if (!p.file) p.file = diag_source(c->d, c->path, NULL, 0);
	diag_error(c->d, p, "[%s] %s", rule, msg);
	if (c->in) {
		Pos none = p;
		none.line = 0;
		diag_note(c->d, none, "at .text+%#x: %s    %s", c->in->off, bytes, insn);
		if (c->st.live) diag_note(c->d, none, "state: %s", state);
	}
	if (c->sink) {
		const char *file = diag_file(c->d, p.file);
		TcFinding x = { file ? file : c->path, p.line, p.col, rule, msg, c->in ? (long long)c->in->off : c->off,
		                bytes, c->in ? insn : NULL, state };
		c->sink->found(c->sink->arg, &x);
	}
	return 0;
}

static const char *tyname(Ck *c, TyId id, char *buf, size_t cap)
{
	if (!id) return "nothing";
	ty_print(&c->t, id, buf, cap);
	return buf;
}
#define TYS(id) tyname(c, (id), (char[512]){0}, 512)

/* ---- stacks ---- */

/* The k-th slot of stack s (0 at rsp), or 0 when s is not that long. */
static TyId slot(Ck *c, TyId s, int64_t k)
{
	for (; k >= 0; k--) {
		if (--c->o.budget < 0) return 0;   /* (each slot is a step: a walk per access) */
		s = X(c, s);
		if (!s || N(c, s)->kind != TY_SCONS) return 0;
		if (k == 0) return K(c, s, 0);
		s = K(c, s, 1);
	}
	return 0;
}

/* Stack s with slot k replaced by t; 0 if it has no slot k, or it is too deep to walk (a step a slot). */
static TyId set_slot(Ck *c, TyId s, int64_t k, TyId t)
{
	if (k < 0 || k >= c->o.budget) return 0;
	TyId few[64], *above = k <= 64 ? few : xmalloc((size_t)k * sizeof *above);   /* (not recursion: 2^20 slots are possible) */
	TyId r = 0;
	int64_t i;
	c->o.budget -= k + 1;
	for (i = 0; i < k; i++) {
		s = X(c, s);
		if (!s || N(c, s)->kind != TY_SCONS) break;
		above[i] = K(c, s, 0);
		s = K(c, s, 1);
	}
	s = i == k ? X(c, s) : 0;
	if (s && N(c, s)->kind == TY_SCONS) r = mk2(c, TY_SCONS, t, K(c, s, 1));
	while (r && i-- > 0) r = mk2(c, TY_SCONS, above[i], r);
	if (above != few) free(above);
	return r;
}

static TyId sing(Ck *c, const Lin *l);
static TyId sing_k(Ck *c, int64_t k);
static int is_size(const Facts *f, const Lin *l);
static void facts_size(Facts *f, StrId v);
static int plain_data(Ck *c, TyId t, int depth);

/* ---- entering a label ---- */

/*
** The parts of a code type: binders, constraints, registers, clauses;
** worked out once: each constraint's sides as linear forms (side[2i],
** side[2i + 1]), and the facts a block of this type starts with.
*/
enum { CONS_MAX = 32 };   /* constraints of a code type (and SUBST_MAX binders) */
typedef struct Code {
	TyId id; int nb, nc, nr; TyId b[SUBST_MAX], cons[CONS_MAX], reg[16], stack, need, fuel;
	uint8_t regs[16];          /* the registers with a type, nr of them */
	uint16_t ints;             /* bit i: regs[i]'s type is int itself  */
	Lin *side;
	int8_t (*sidex)[LIN_MAX]; /* by side, by term: which binder its variable is, or -1 */
	int ninit; Lin *init; uint64_t gen, sum;
	int64_t least;             /* `stack e`: e if a constant, else the most the constraints prove e is at least */
} Code;

/* How many binders lead q's kids: a code or exists type's variables, a typedef's parameters (0 for no type). */
static int binders(Ck *c, TyId q)
{
	int nb = 0, nk = q ? N(c, q)->nkids : 0;
	while (nb < nk && N(c, K(c, q, nb))->kind == TY_BINDER) nb++;
	return nb;
}

/*
** A name bound twice by one code or existential type (code[n: stack,
** n: size], or a hostile section) would be solved once, under the first
** sort, while the block assumed the second: such types are refused
** ([label.type], [coerce.*]).  The name bound twice among q's leading
** binders (at most SUBST_MAX + 1 looked at), or 0.
*/
static StrId twice(Ck *c, TyId q)
{
	int nb = binders(c, q);
	if (nb > SUBST_MAX + 1) nb = SUBST_MAX + 1;   /* (the pairs are compared: a type of more is refused anyway) */
	for (int i = 1; i < nb; i++)
		for (int j = 0; j < i; j++)
			if (N(c, K(c, q, i))->name == N(c, K(c, q, j))->name) return N(c, K(c, q, i))->name;
	return 0;
}

/*
** What the slots of label entry `label` - 1 stand for in what is printed:
** by slot, its binder's name as written; *n of them (0, and NULL: the
** label keeps its type as written, no slots).
*/
static const StrId *slot_names(const Ck *c, uint32_t label, uint32_t *n)
{
	const StrId *p = label && c->slotat && c->slotat[label - 1] ? c->slotpool + c->slotat[label - 1] - 1 : NULL;
	*n = p ? p[0] : 0;
	return p ? p + 1 : NULL;
}

/* The block's label's names for its slots, in t.show (label: 1 + its entry, or 0). */
static void show_block(Ck *c, uint32_t label)
{
	c->t.show = slot_names(c, label, &c->t.nshow);
}

/* label (1 + its entry), when type is its type (with its slots), else 0 (no label, or a type made from it: .inst). */
static uint32_t label_typed(const Ck *c, uint32_t label, TyId type)
{
	return label && c->t.ent[label - 1].type == type ? label : 0;
}

/* The label being entered, when what is entered is its type. */
static uint32_t target_label(const Ck *c)
{
	return label_typed(c, c->shown, c->shown_t);
}

/* The names of the slots of the target being entered: a label's, when what is entered is its type. */
static const StrId *target_names(const Ck *c, uint32_t *n)
{
	return slot_names(c, target_label(c), n);
}

/* A type of the target being entered, printed with the target label's names for its slots. */
static const char *tyname_target(Ck *c, TyId id, char *buf, size_t cap)
{
	const StrId *keep = c->t.show;
	uint32_t keepn = c->t.nshow, n;
	const StrId *names = target_names(c, &n);
	if (names) c->t.show = names, c->t.nshow = n;
	tyname(c, id, buf, cap);
	c->t.show = keep, c->t.nshow = keepn;
	return buf;
}
#define TYT(id) tyname_target(c, (id), (char[512]){0}, 512)

/* The name of variable v of a label's type with slots (label: 1 + its entry, or 0), as written. */
static const char *target_var(Ck *c, uint32_t label, StrId v)
{
	uint32_t n;
	const StrId *names = slot_names(c, label, &n);
	return ty_strof(&c->t, ty_is_slot(v) && v - TY_SLOT < n ? names[v - TY_SLOT] : v);
}

static int code_split(Ck *c, TyId k, Code *p)
{
	memset(p, 0, sizeof *p);
	if (!k || N(c, k)->kind != TY_CODE || twice(c, k)) return 0;
	p->id = k;
	for (int i = 0; i < N(c, k)->nkids; i++) {
		TyId x = K(c, k, i);
		switch (N(c, x)->kind) {
		case TY_BINDER: if (p->nb < SUBST_MAX) p->b[p->nb] = x; p->nb++; break;
		case TY_REG:
			if (N(c, x)->flags == R_RSP) p->stack = K(c, x, 0);
			else p->reg[N(c, x)->flags] = K(c, x, 0);
			break;
		case TY_STACKREQ: p->need = K(c, x, 0); break;
		case TY_FUELREQ: p->fuel = K(c, x, 0); break;
		default: if (p->nc < CONS_MAX) p->cons[p->nc] = x; p->nc++;
		}
	}
	return p->nb <= SUBST_MAX && p->nc <= CONS_MAX;   /* (beyond: nb and nc still count them, for the message) */
}

/*
** The parts of code type k, or NULL if it is not one.  Types are
** hash-consed, so the parts are worked out once per node and kept (in the
** arena: the pointer stays valid until the check ends).
*/
static Lin side(Ck *c, TyId k, int i);

static const Code *code_make(Ck *c, TyId k0);

HOT const Code *code_of(Ck *c, TyId k0)
{
	if (k0 < c->ncode && c->code[k0]) return c->code[k0];
	if (k0 - c->mbase < c->nmine && c->mine[k0 - c->mbase]) return c->mine[k0 - c->mbase];   /* (a fork's own: k0 >= mbase) */
	return code_make(c, k0);   /* kept under the name too */
}

/*
** [stack.depth] a label's `stack e`: e when it is a constant (-1 if
** negative); for e with variables, the largest bound e >= B, up to
** NEED_MAX, that the label's own constraints prove (16 <= n: 16 bytes),
** found by halving: every way into the label proves the constraints, so
** at least that much is there.
*/
enum { NEED_MAX = 1 << 20 };
static int64_t least_need(Ck *c, TyId need, const Facts *f)
{
	Lin e = lin_at(c, need);
	int64_t n, lo = 0, hi = NEED_MAX;
	if (lin_is_const(&e, &n)) return n >= 0 ? n : -1;
	if (!e.ok) return 0;
	while (lo < hi) {   /* e >= lo is proven (or lo is 0); e >= hi + 1 is not, or past NEED_MAX */
		int64_t mid = lo + (hi - lo + 1) / 2;
		Lin m = lin_const(mid);
		if (facts_prove_rel(f, &m, &e, TY_CLE)) lo = mid;
		else hi = mid - 1;
	}
	return lo;
}

/* The slot of node k in a fork's own parts (m->cap a power of two, at most half full). */
static uint32_t code_slot(const struct CodeMap *m, TyId k)
{
	uint32_t i = (k * UINT32_C(0x9e3779b1)) & (m->cap - 1);
	while (m->key[i] && m->key[i] != k) i = (i + 1) & (m->cap - 1);
	return i;
}

/* The parts kept for node k, or NULL: a fork reads those its original made, in place, then its own. */
static Code *code_kept(const Ck *c, TyId k)
{
	if (k < c->ncode && c->code[k]) return c->code[k];
	if (k - c->mbase < c->nmine) return c->mine[k - c->mbase];
	if (!c->older.cap) return NULL;
	uint32_t i = code_slot(&c->older, k);
	return c->older.key[i] ? c->older.val[i] : NULL;
}

static void code_keep(Ck *c, TyId k, Code *p)
{
	struct CodeMap *m = &c->older;
	if (!c->t.forked) {
		c->code = xgrowz(c->code, sizeof *c->code, (size_t)k + 1, &c->ncode);
		c->code[k] = p;
		return;
	}
	if (k >= c->mbase) {
		c->mine = xgrowz(c->mine, sizeof *c->mine, (size_t)(k - c->mbase) + 1, &c->nmine);
		c->mine[k - c->mbase] = p;
		return;
	}
	if (2 * (m->n + 1) > m->cap) {   /* (grown: every kept one put again) */
		struct CodeMap old = *m;
		m->cap = old.cap ? 2 * old.cap : 64;
		m->key = xzalloc(m->cap, sizeof *m->key);
		m->val = xmalloc(m->cap * sizeof *m->val);
		for (uint32_t j = 0; j < old.cap; j++)
			if (old.key[j]) {
				uint32_t i = code_slot(m, old.key[j]);
				m->key[i] = old.key[j], m->val[i] = old.val[j];
			}
		free(old.key);
		free(old.val);
	}
	uint32_t i = code_slot(m, k);
	if (!m->key[i]) m->n++;
	m->key[i] = k, m->val[i] = p;
}

static const Code *code_make(Ck *c, TyId k0)
{
	TyId k = X(c, k0);
	if (!k) return NULL;
	Code *have = code_kept(c, k);
	if (!have) {
		Code *p = arena_alloc(&c->arena, sizeof *p);
		if (!code_split(c, k, p)) return NULL;
		for (int r = 0; r < 16; r++)
			if (p->reg[r]) {
				if (N(c, p->reg[r])->kind == TY_INT) p->ints |= (uint16_t)(1u << p->nr);
				p->regs[p->nr++] = (uint8_t)r;
			}
		p->side = arena_alloc(&c->arena, (size_t)(2 * p->nc + 1) * sizeof *p->side);
		Facts facts, *f = &facts;   /* (3 KiB, on the stack: malloc'd, it cost as much as the rest of code_make) */
		f->n = 0;
		f->gen = f->sum = 0;
		for (int i = 0; i < p->nb; i++)
			if (N(c, p->b[i])->flags == TK_SIZE)
				facts_size(f, N(c, p->b[i])->name);
		p->sidex = arena_alloc(&c->arena, (size_t)(2 * p->nc + 1) * sizeof *p->sidex);
		for (int i = 0; i < p->nc; i++) {
			p->side[2 * i] = side(c, p->cons[i], 0);
			p->side[2 * i + 1] = side(c, p->cons[i], 1);
			facts_rel(f, &p->side[2 * i], &p->side[2 * i + 1], N(c, p->cons[i])->kind);
		}
		for (int i = 0; i < 2 * p->nc; i++)
			for (int t = 0; t < LIN_MAX; t++) {
				int j = 0;
				while (t < p->side[i].n && j < p->nb && N(c, p->b[j])->name != p->side[i].v[t]) j++;
				p->sidex[i][t] = (int8_t)(t < p->side[i].n && j < p->nb ? j : -1);
			}
		p->least = p->need ? least_need(c, p->need, f) : 0;
		p->ninit = f->n;
		p->gen = f->gen;
		p->sum = f->sum;
		p->init = arena_alloc(&c->arena, (size_t)(f->n + 1) * sizeof *p->init);
		memcpy(p->init, f->f, (size_t)f->n * sizeof *f->f);
		code_keep(c, k, have = p);
	}
	if (k0 != k) code_keep(c, k0, have);
	return have;
}

/*
** One side of a constraint as a linear form.  A variable or a name may
** stand where a constraint goes, and has no sides: nothing follows from it
** and nothing proves it (its kids are not there to read).
*/
static Lin side(Ck *c, TyId k, int i)
{
	Lin bad = lin_const(0);
	bad.ok = 0;
	if (N(c, k)->kind < TY_CLT || N(c, k)->kind > TY_CNE || N(c, k)->nkids != 2) return bad;
	return lin_at(c, K(c, k, i));
}

static void unknowns(Ck *c, const Code *p, Subst *u)
{
	u->n = p->nb;
	for (int i = 0; i < p->nb; i++) {
		u->name[i] = N(c, p->b[i])->name;
		u->sort[i] = N(c, p->b[i])->flags;
		u->val[i] = 0;
	}
}

static int64_t declared(Ck *c, TyId k);

/*
** The state a block starts in: its label's registers, stack and constraints;
** a label that declares `stack N` has N bytes to use.
*/
static void entry_state(Ck *c, const Code *p, State *st)
{
	memset(st, 0, offsetof(State, flags));
	st->flags.kind = FL_NONE;
	if (p->need) {
		st->checked = GUARD_DECLARED;
		st->budget = declared(c, p->id);
	}
	for (int r = 0; r < 16; r++) st->reg[r] = p->reg[r];
	st->stack = p->stack;
	/* each size binder is 0 <= v < 2^48; the constraints hold (worked out in code_of) */
	st->facts.n = p->ninit;
	st->facts.gen = p->gen;
	st->facts.sum = p->sum;
	memcpy(st->facts.f, p->init, (size_t)p->ninit * sizeof *p->init);
	st->live = 1;
}

/*
** A size binder of the block being checked is a size: every way into the
** block proved what it stands for is one ([jump.constraint]; a host checks
** the arguments of an export), and entry_state put 0 <= v < 2^48 among the
** facts, from which is_size would prove it, unless a type with more size
** binders than the facts hold dropped it.
*/
static int block_size(Ck *c, TyId v)
{
	const Code *p = c->block ? code_of(c, c->t.ent[c->block - 1].type) : NULL;
	if (!p || N(c, v)->kind != TY_VAR) return 0;
	for (int i = 0; i < p->nb; i++)
		if (N(c, p->b[i])->name == N(c, v)->name) return N(c, p->b[i])->flags == TK_SIZE;
	return 0;
}

/*
** Side i of p's constraints with the solved unknowns of u (p's binders, in
** order: unknowns() made it) replaced by the linear forms of their values:
** the linear form of the constraint side ty_subst would give (or not ok,
** where a coefficient or constant grows past lin_add's bounds).
*/
static Lin lin_subst(Ck *c, const Code *p, int i, const Subst *u)
{
	const Lin *g = &p->side[i];
	int n = 0;
	Lin r = lin_const(g->k);
	TyId val[LIN_MAX];
	int64_t m[LIN_MAX];
	if (!g->ok) return *g;
	for (int t = 0; t < g->n; t++) {
		int j = p->sidex[i][t];
		if (j >= 0 && u->val[j]) {
			val[n] = u->val[j];
			m[n++] = g->c[t];
		} else {                     /* g's names are distinct: a plain copy */
			r.v[r.n] = g->v[t];
			r.c[r.n++] = g->c[t];
		}
	}
	for (int t = 0; t < n; t++) lin_addto(&r, lin_ref(c, val[t]), m[t]);
	return r;
}

/*
** [enter] for each register r of the target type: state(r) <= type(r);
**         state(rsp) <= type(rsp); the target's constraints follow from
**         the facts  =>  control may go there.
** The target's variables are solved on the way (u).  `stack` is what the
** target sees at rsp; f, the facts of st the proofs are made from.
*/
static int enter_rule(Ck *c, const Code *p, const State *st, const Facts *f, TyId stack, Subst *u, const char *what, int call)
{
	for (int i = 0; i < p->nr; i++) {
		int r = p->regs[i];
		/* a register with no value holds junk: any, which only a variable of the target's fits */
		TyId have = st->reg[r];
		if (!have && N(c, p->reg[r])->kind == TY_VAR) have = leaf(c, TY_ANY);
		if (!have)
			return report(c, "jump.type", "%s: %s has no value; the target expects %s", what,
			              x86_reg_name(r, S64), TYT(p->reg[r]));
		if (!ty_leq(&c->o, have, p->reg[r], u, f))
			return report(c, "jump.type", "%s: %s is %s; the target expects %s (%s)", what,
			              x86_reg_name(r, S64), TYS(have), TYT(p->reg[r]), c->o.err ? c->o.err : "types differ");
	}
	TyId want = p->stack;
	if (want && call) {
		/* the return address is the callee's to describe; the rest is ours */
		TyId s = X(c, want);
		if (!s || N(c, s)->kind != TY_SCONS) return report(c, "call.type", "the callee's stack does not start with a return address (%s)", TYT(want));
		want = K(c, s, 1);
	}
	if (want) {
		if (!stack) return report(c, "jump.type", "%s: the stack is unknown here; the target expects %s", what, TYT(want));
		if (!ty_leq(&c->o, stack, want, u, f))
			return report(c, "jump.type", "%s: the stack is %s; the target expects %s (%s)", what,
			              TYS(stack), TYT(want), c->o.err ? c->o.err : "types differ");
	}
	for (int i = 0; i < u->n; i++)
		if (u->sort[i] == TK_SIZE && u->val[i] && !block_size(c, u->val[i]) && !is_size(f, lin_ref(c, u->val[i])))
			return report(c, "jump.constraint", "%s: cannot prove that %s, which %s stands for, is a size (0 <= it < 2^48)",
			              what, TYS(u->val[i]), target_var(c, target_label(c), u->name[i]));
	for (int i = 0; i < p->nc; i++) {
		int kind = N(c, p->cons[i])->kind;
		Lin l0 = lin_subst(c, p, 2 * i, u), l1 = lin_subst(c, p, 2 * i + 1, u);
		if (!facts_prove_rel(f, &l0, &l1, kind)) {
			/* what the state gives, and the target's variables it did not solve by their names */
			Subst shown = *u;
			uint32_t nb;
			const StrId *names = target_names(c, &nb);
			for (int j = 0; j < shown.n && (uint32_t)j < nb; j++)
				if (!shown.val[j]) shown.val[j] = mk(c, TY_VAR, 0, names[j], 0, NULL, 0);
			TyId k = ty_subst(&c->o, p->cons[i], &shown);
			return report(c, "jump.constraint", "%s: cannot prove %s", what, k ? TYS(k) : TYT(p->cons[i]));
		}
	}
	return 1;
}

/*
** Entries answered before.  Whether a state may enter a code type, and
** what the target's variables then stand for, depend only on the target,
** the stack, the registers the target types, the facts, whether it is a
** call, and (block_size) the type of the block being checked; types are
** hash-consed, so equal ids are equal types.  A success is kept with all
** of these and with what it cost of the step budget: the same question
** later gets the same answer and is charged the same, or is worked out
** again when less budget is left than that.  Failures are not kept: each
** one is reported.  Loops of one shape (in many functions, or many times
** in one) then enter their labels once.  A register the target types int
** itself is no part of the question: whether a type fits int depends on
** that type alone (an integer or a singleton fits it, at once, and no
** variable is solved by it), so it is checked apart, and any other type
** there has the entry worked out (and reported) in full.
*/
enum { EMEMO_BITS = 10 };
typedef struct EntryMemo {
	uint64_t key;                 /* hash of the rest; 0: empty        */
	TyId target, stack, block;
	int call, nf;
	unsigned capf;
	TyId reg[16];                 /* by position in the target's regs  */
	Lin *f;                       /* the facts, nf of them             */
	TyId val[SUBST_MAX];          /* what the target's binders got     */
	long cost;
} EntryMemo;

static uint64_t entry_key(const Code *p, const State *st, const Facts *f, TyId target, TyId stack, TyId block, int call)
{
	uint64_t h = ((uint64_t)target << 32 | stack) * 0x9e3779b97f4a7c15u;
	h = (h ^ ((uint64_t)block << 1 | (uint64_t)call)) * 0xff51afd7ed558ccdu;
	for (int i = 0; i < p->nr; i++)
		if (!(p->ints >> i & 1)) h = (h ^ st->reg[p->regs[i]]) * 0x9e3779b97f4a7c15u;
	h = (h ^ f->sum ^ (uint64_t)f->n << 56) * 0xff51afd7ed558ccdu;
	return h | 1;
}

static int entry_hit(Ck *c, const EntryMemo *m, const Code *p, const State *st, const Facts *f, TyId target, TyId stack, TyId block, int call)
{
	if (m->target != target || m->stack != stack || m->block != block || m->call != call ||
	    m->nf != f->n || m->cost > c->o.budget)
		return 0;
	for (int i = 0; i < p->nr; i++) {
		TyId have = st->reg[p->regs[i]];
		if (p->ints >> i & 1 ? !have || !ty_is_int(N(c, have)->kind) : m->reg[i] != have)   /* ty_leq's rule for int */
			return 0;
	}
	return !memcmp(m->f, f->f, (size_t)m->nf * sizeof *m->f);   /* Lin has no padding */
}

/*
** An entry's facts are kept in the checker's arena, with room for a power
** of two of them (8 at least); more than that takes new room and leaves
** the old.  Not malloc: threads checking at once would queue for its lock,
** an entry or two at every block.
*/
enum { EMEMO_FACTS_MIN = 8 };

static void entry_keep(Arena *a, EntryMemo *m, uint64_t key, const Code *p, const State *st, const Facts *f, TyId target, TyId stack, TyId block, int call, const Subst *u, long cost)
{
	m->key = key;
	m->target = target, m->stack = stack, m->block = block, m->call = call;
	for (int i = 0; i < p->nr; i++) m->reg[i] = st->reg[p->regs[i]];
	if (!m->f || (unsigned)f->n > m->capf) {
		unsigned cap = EMEMO_FACTS_MIN;
		while (cap < (unsigned)f->n) cap *= 2;
		m->f = arena_alloc(a, cap * sizeof *m->f);
		m->capf = cap;
	}
	m->nf = f->n;
	memcpy(m->f, f->f, (size_t)m->nf * sizeof *m->f);
	memcpy(m->val, u->val, (size_t)u->n * sizeof *u->val);
	m->cost = cost;
}

/* About one entry for 64 bytes of code, 2^4 to 2^EMEMO_BITS: a small file does not zero a large table. */
static void ememo_new(Ck *c)
{
	unsigned bits = tc_table_bits(c->obj.sect[SEC_TEXT].n / 64, 4, EMEMO_BITS);
	c->ememo = xzalloc((size_t)1 << bits, sizeof *c->ememo);
	c->eshift = 64 - bits;
}

static void ememo_free(EntryMemo *m)
{
	free(m);   /* (the facts are in the arena) */
}

/*
** The facts an entry is first worked out from (a mask of st's): all but
** those with a variable of the checker's own (a compared int's, cmp_lin;
** one a call left abstract; one .unpack made) that no other fact has and
** that is in no singleton a register the target types holds.  Such a
** fact is of no use to a proof of the entry's goals unless the variable
** is elsewhere (on the stack, in a type that is no singleton), and many
** states that leave a block have one: a value
** compared, branched on and then left behind (cmp r10, 117; jae skip).
** Left out, the facts of one loop are those of every other loop of its
** shape, and its entry is answered from the memo.  Past 16 facts, all.
*/
_Static_assert(FACTS_MAX < 64, "a set of facts is a mask of 64 bits, with room for all of them");
static uint64_t facts_all(const Facts *f) { return (UINT64_C(1) << f->n) - 1; }

static uint64_t entry_facts(Ck *c, const Code *p, const State *st)
{
	const Facts *f = &st->facts;
	uint64_t keep = facts_all(f);
	StrId pin[16 * LIN_MAX];
	int npin = -1;   /* not yet gathered */
	if (f->n > 16) return keep;
	for (int i = 0; i < f->n; i++)
		for (int j = 0; j < f->f[i].n; j++) {
			StrId v = f->f[i].v[j];
			if (v < TY_FRESH) continue;
			int lone = 1;
			for (int k = 0; lone && k < f->n; k++)
				if (k != i)
					for (int t = 0; lone && t < f->f[k].n; t++) lone = f->f[k].v[t] != v;
			if (lone && npin < 0) {
				npin = 0;
				for (int r = 0; r < p->nr; r++) {
					TyId e = p->ints >> r & 1 ? 0 : X(c, st->reg[p->regs[r]]);
					if (!e || N(c, e)->kind != TY_SING) continue;
					const Lin *l = lin_ref(c, K(c, e, 0));
					for (int t = 0; t < l->n; t++) pin[npin++] = l->v[t];
				}
			}
			for (int k = 0; lone && k < npin; k++) lone = pin[k] != v;
			if (lone) keep &= ~(UINT64_C(1) << i);
		}
	return keep;
}

/* An entry answered before, from facts f: 1, with what the target's variables stand for in u (unless NULL), charged as before. */
static int entry_known(Ck *c, const Code *p, const State *st, const Facts *f, TyId target, TyId stack, TyId block, int call, Subst *u)
{
	uint64_t key = entry_key(p, st, f, target, stack, block, call);
	EntryMemo *m = &c->ememo[key >> c->eshift];
	if (m->key != key || !entry_hit(c, m, p, st, f, target, stack, block, call)) return 0;
	if (u) {
		unknowns(c, p, u);
		memcpy(u->val, m->val, (size_t)u->n * sizeof *u->val);
	}
	c->o.budget -= m->cost;
	return 1;
}

/* The entry worked out from facts f (reported if it fails, unless quiet); kept when it succeeds. */
static int entry_work(Ck *c, const Code *p, const State *st, const Facts *f, TyId target, TyId stack, TyId block, int call, Subst *u, const char *what, int quiet)
{
	Subst own;
	if (!u) u = &own;
	unknowns(c, p, u);
	long before = c->o.budget;
	int first = c->first, errors = c->errors;
	if (quiet) c->first = 1;   /* (report then only counts) */
	int ok = enter_rule(c, p, st, f, stack, u, what, call);
	c->first = first;
	if (quiet && !ok) {   /* as if not tried, but for the work, which counts */
		c->errors = errors;
		if (before > c->o.budget) c->steps += (uint64_t)(before - c->o.budget);
		c->o.budget = before;
	}
	if (!ok) return 0;
	uint64_t key = entry_key(p, st, f, target, stack, block, call);
	entry_keep(&c->arena, &c->ememo[key >> c->eshift], key, p, st, f, target, stack, block, call, u, before - c->o.budget);
	return 1;
}

/*
** What the target's variables stand for goes to u, unless u is NULL (a
** jump, a fall-through, a return: only a call reads them).  An entry is
** worked out from fewer facts first (entry_facts), then, if that fails,
** from all: a proof from some of the facts is a proof from all of them,
** so only the work differs, and what is reported is what the facts give.
*/
static int enter3(Ck *c, const State *st, TyId target, TyId stack, Subst *u, const char *what, int call)
{
	const Code *p = code_of(c, target);
	if (!p) return report(c, "jump.target", "%s: the target's type is not a code type (%s)", what, TYS(target));
	TyId block = c->block ? c->t.ent[c->block - 1].type : 0;
	if (entry_known(c, p, st, &st->facts, target, stack, block, call, u)) return 1;
	uint64_t keep = entry_facts(c, p, st);
	if (keep != facts_all(&st->facts)) {
		Facts less;
		facts_subset(&st->facts, keep, &less);
		if (entry_known(c, p, st, &less, target, stack, block, call, u) ||
		    entry_work(c, p, st, &less, target, stack, block, call, u, what, 1))
			return 1;
	}
	return entry_work(c, p, st, &st->facts, target, stack, block, call, u, what, 0);
}

/* label: 1 + the entry of the label entered, or 0; its slots print with its names when target is its type. */
static int enter2(Ck *c, const State *st, TyId target, uint32_t label, TyId stack, Subst *u, const char *what, int call)
{
	uint32_t keep = c->shown;
	TyId keept = c->shown_t;
	c->shown = label, c->shown_t = target;
	int ok = enter3(c, st, target, stack, u, what, call);
	c->shown = keep, c->shown_t = keept;
	return ok;
}

static int enter(Ck *c, const State *st, TyId target, uint32_t label, TyId stack, const char *what)
{
	return enter2(c, st, target, label, stack, NULL, what, 0);
}

/* ---- what an operand designates ---- */

static int imm_bytes(const TcInst *in)
{
	const X86Row *r = &x86_rows[in->row];
	switch (r->form) {
	case F_RM_IB: case F_R_RM_IB: case F_IB: return 1;
	case F_RM_I: case F_ACC_I: case F_R_RM_I: return in->size == S64 ? 4 : in->size;
	case F_O_I: return in->size;
	case F_I: return 4;
	default: return 0;
	}
}

/* The name of a section the checker types. */
static const char *sect_name(int sect)
{
	return sect > SEC_NONE && sect <= SEC_BSS ? tc_sect_names[sect] : "another section";
}

static int module_field(Ck *c, const TcInst *in, TcReloc *r, StrId *sym);
static int has_link_field(const TcInst *in);

/*
** The relocation of an instruction's rip-relative or rel32 field, or NULL.
** The first run of a module makes it from the instruction as it meets it
** (module_field, as module_fields would have made the table), valid until
** the next call: no pass over all of .text before the blocks.
*/
static const TcReloc *field_reloc(Ck *c, const TcInst *in)
{
	if (c->obj.is_module && c->first)
		return has_link_field(in) && module_field(c, in, &c->mrel, &c->mrelsym) ? &c->mrel : NULL;
	return tc_reloc_at(&c->obj, in->off + in->len - 4 - (uint32_t)imm_bytes(in));
}

/* The declaration of a symbol by name, through an index built once (by StrId). */
static const TyEntry *entry_id(Ck *c, StrId id, int kind1, int kind2)
{
	for (uint32_t e = ty_names_first(&c->names, id); e; e = c->names.next[e - 1]) {
		const TyEntry *x = &c->t.ent[e - 1];
		if (x->kind == kind1 || x->kind == kind2) return x;
	}
	return NULL;
}

/* A name the table does not have names nothing (and is not added: checking threads share the strings). */
static const TyEntry *entry_named(Ck *c, const char *name, int kind1, int kind2)
{
	StrId id = ty_str_find(&c->t, name, strlen(name));
	return id || !*name ? entry_id(c, id, kind1, kind2) : NULL;
}

/* The declaration of a relocation's symbol (its name interned once, by check_relocs). */
static const TyEntry *reloc_entry(Ck *c, const TcReloc *r, int kind1, int kind2)
{
	return entry_id(c, r == &c->mrel ? c->mrelsym : c->relsym[r - c->obj.rel], kind1, kind2);
}

/* The label at a .text offset: 1 + its entry index, or 0. */
static uint32_t label_at(Ck *c, int64_t off)
{
	return marks_has(&c->labels, off) ? c->lab[marks_rank(&c->labels, (size_t)off)] : 0;
}

/* Entry i's type as its section writes it: a label's without its slots (slot_labels). */
static TyId as_written(Ck *c, uint32_t i)
{
	return c->orig && c->orig[i] ? c->orig[i] : c->t.ent[i].type;
}

/* The code type of a .text offset, as written: a label's. */
static TyId label_type(Ck *c, int64_t off)
{
	uint32_t e = label_at(c, off);
	return e ? as_written(c, e - 1) : 0;
}

/*
** [import.site] (modules) A trap taken through a stub is reported where
** its import's site says: a jump (a trap, a tail call) goes through a stub
** of its own whose site is that jump's rel32 field, and a call through one
** with none (its return address says where it was).  A site is only ever
** read for a diagnostic, but an edited one would send the report to
** another line.  The branch at `in`, whose field at `field` reaches a stub.
*/
static int stub_site_ok(Ck *c, const TcInst *in, uint32_t field)
{
	const TalModule *m = &c->obj.mod;
	uint32_t i = (uint32_t)((in->op[0].val - m->stubs_off) / TALMOD_STUB_SIZE);   /* (module_field: a stub's start) */
	uint32_t site = talmod_import_site(m, i);
	if (in->mnem == MN_CALL && site != TALMOD_NO_SITE)
		return report(c, "import.site", "the call goes through the stub of '%s', which is a jump's (site .text+%#x): a call's stub has no site",
		              talmod_import_name(m, i), site), 0;
	if (in->mnem != MN_CALL && site == TALMOD_NO_SITE)
		return report(c, "import.site", "the jump goes through the stub of '%s', which is a call's (no site): a jump's stub has its own site",
		              talmod_import_name(m, i)), 0;
	if (in->mnem != MN_CALL && site != field)
		return report(c, "import.site", "the jump goes through the stub of '%s', whose site is .text+%#x, not this jump's field at .text+%#x",
		              talmod_import_name(m, i), site, field), 0;
	return 1;
}

/*
** [fuel.resume] (kernel) Run out of a slice of its fuel, an invocation may
** go on: the kernel shim hands out fuel a slice at a time and, at
** tal_trap_fuel, gives the module the next slice (and the processor to
** other tasks) and resumes it after the jump.  So the only jump there is
** the jb right after a count-down, whose not-taken path the rest of the
** block was checked on; any other jump or call there would go on past a
** check that failed.
*/
static int fuel_resume_ok(Ck *c, const TcInst *in, const char *import)
{
	if (!c->kernel || strcmp(import, "tal_trap_fuel") != 0) return 1;
	if (in->mnem == MN_JCC && in->cc == CC_B && c->st.flags.kind == FL_FUEL) return 1;
	return report(c, "fuel.resume", "only the jb right after counting fuel down (sub qword ptr [...], 1) may go to tal_trap_fuel: "
	              "the kernel shim may give more fuel there and go on after the jump"), 0;
}

/*
** Where a branch or call goes: a label of this object, or (through a
** relocation) a symbol with a type: an import, or a typed label by name.
*/
static TyId target_type(Ck *c, const TcInst *in, const TcOp *op, uint32_t *entry)
{
	const TcReloc *r = field_reloc(c, in);
	*entry = 0;
	if (r) {
		const TyEntry *e = r->sect ? NULL : reloc_entry(c, r, E_IMPORT, E_LABEL);
		if (!e) return report(c, "jump.target", "the target '%s' has no type (declare it with .import or .label)",
		                      r->sect ? "(a section)" : r->sym), 0;
		if (r->addend != -4)   /* S + A - P with the field last: anything else is not S itself */
			return report(c, "jump.target", "the target is %lld bytes past '%s', not '%s' itself",
			              (long long)(r->addend + 4), r->sym, r->sym), 0;
		if (e->kind == E_LABEL) *entry = (uint32_t)(e - c->t.ent) + 1;
		if (c->obj.is_module && e->kind == E_IMPORT && !stub_site_ok(c, in, r->offset)) return 0;
		if (e->kind == E_IMPORT && !fuel_resume_ok(c, in, r->sym)) return 0;
		return e->type;
	}
	int64_t to = op->val;
	uint32_t e = label_at(c, to);
	TyId k = e ? c->t.ent[e - 1].type : 0;
	if (!k) {
		if (to < 0 || to >= (int64_t)c->obj.sect[SEC_TEXT].n) return report(c, "jump.target", "the target %#llx is outside .text", (long long)to), 0;
		if (!marks_has(&c->starts, to)) return report(c, "jump.target", "the target .text+%#llx is inside an instruction", (long long)to), 0;
		return report(c, "jump.target", "the target .text+%#llx has no label type", (long long)to), 0;
	}
	*entry = e;
	return k;
}

/* ---- memory ---- */

typedef struct Access { int width, write; TyId val; int base; } Access;

static TyId access_layout(Ck *c, TyId lay, int64_t off, Access *a, TyId *updated);
static int is_intlike(Ck *c, TyId t);
static int int_bits(Ck *c, TyId t, const char *what);

/*
** [mem.type] a store of 1, 2 or 4 bytes into a u8, u16 or u32 of that
** width keeps only those bytes of an integer: whatever the integer, they
** are a value of the field's type.
*/
static int narrow_store(Ck *c, const Access *a, TyId t)
{
	TyId e = X(c, t);
	int k = e ? N(c, e)->kind : 0;
	int w = k == TY_U8 ? 1 : k == TY_U16 ? 2 : k == TY_U32 ? 4 : 0;
	return w && a->width == w && is_intlike(c, a->val);
}

/*
** [mem.field] a record is reached at the exact offset of a field, with the
** field's width; [mem.perm] a read needs r, a write w, of the field and of
** every field around it (a record or array held inline in an ro field is
** read-only, whatever its own fields say); [mem.uninit] a field not yet
** written cannot be read; [mem.type] what is stored fits the field.
*/
static TyId access_record(Ck *c, TyId rec, int64_t off, Access *a, TyId *updated)
{
	uint64_t start;
	int at;
	if (off < 0) return report(c, "mem.field", "negative offset %lld into a record", (long long)off), 0;
	TyId f = ty_field_at(&c->o, rec, (uint64_t)off, &start, &at);
	if (!f && c->o.err) return report(c, "mem.field", "cannot find the field at offset %lld of %s: %s", (long long)off, TYS(rec), c->o.err), 0;
	if (!f) return report(c, "mem.field", "no field at offset %lld of %s", (long long)off, TYS(rec)), 0;
	const TyNode *fn = N(c, f);
	StrId fname = fn->name;
	int flags = fn->flags;
	TyId ft = K(c, f, 0), fe = X(c, ft);
	if (fe && (N(c, fe)->kind == TY_RECORD || N(c, fe)->kind == TY_ARRAY)) {
		/* [mem.uninit] a record or array held inline and not yet written: nothing in it may be read (a write
		   into it leaves the rest unwritten, so it stays so) */
		if ((flags & TF_UNINIT) && !a->write)
			return report(c, "mem.uninit", "field '%s' is read before it is written", ty_strof(&c->t, fname)), 0;
		if (!(flags & (a->write ? TF_W : TF_R)))
			return report(c, "mem.perm", "field '%s' is %s, and so is all it holds", ty_strof(&c->t, fname), a->write ? "read-only" : "write-only"), 0;
		TyId inner = 0, r = access_layout(c, fe, off - (int64_t)start, a, &inner);
		if (r && inner && updated) *updated = 0;   /* no strong update through nested layouts */
		return r;
	}
	if ((uint64_t)off != start) return report(c, "mem.field", "offset %lld is inside field '%s'", (long long)off, ty_strof(&c->t, fname)), 0;
	uint64_t size = ty_size(&c->o, ft);
	if ((uint64_t)a->width != size)
		return report(c, "mem.field", "%d-byte access to field '%s', which has %llu bytes", a->width,
		              ty_strof(&c->t, fname), (unsigned long long)size), 0;
	if (a->write) {
		if (!(flags & TF_W)) return report(c, "mem.perm", "field '%s' is read-only", ty_strof(&c->t, fname)), 0;
		if (fe && N(c, fe)->kind == TY_BUDGET)
			return report(c, "fuel.write", "field '%s' is fuel: it only counts down, by sub qword ptr [...], 1", ty_strof(&c->t, fname)), 0;
		if (!narrow_store(c, a, ft) && !ty_leq(&c->o, a->val, ft, NULL, &c->st.facts))
			return report(c, "mem.type", "storing %s into field '%s' of type %s", TYS(a->val), ty_strof(&c->t, fname), TYS(ft)), 0;
		if ((flags & TF_UNINIT) && updated) {
			/* the field is written now: the pointer's type says so from here on; the field at
			   this position only, since equal fields are one node (a record may list it twice) */
			int n = N(c, rec)->nkids;
			TyId kids[256];
			if (n > 256) return ft;
			for (int i = 0; i < n; i++) kids[i] = K(c, rec, i);
			kids[at] = mk(c, TY_FIELD, flags & ~TF_UNINIT, fname, 0, &ft, 1);
			*updated = mk(c, TY_RECORD, 0, 0, 0, kids, n);
		}
		return ft;
	}
	if (!(flags & TF_R)) return report(c, "mem.perm", "field '%s' is write-only", ty_strof(&c->t, fname)), 0;
	if (flags & TF_UNINIT) return report(c, "mem.uninit", "field '%s' is read before it is written", ty_strof(&c->t, fname)), 0;
	return ft;
}

/* [mem.bounds] an element i of [t; n] is reached only where 0 <= i < n is proven. */
static TyId access_array(Ck *c, TyId arr, const Lin *idx, int64_t inner, Access *a)
{
	TyId et = K(c, arr, 0), len = K(c, arr, 1);
	int perm = N(c, arr)->flags;
	const Lin *n = lin_ref(c, len);   /* (idx is no form lin_ref keeps: the caller's own) */
	if (!facts_prove(&c->st.facts, idx) || !facts_prove_rel(&c->st.facts, idx, n, TY_CLT)) {
		char ib[256];
		lin_print(&c->t, *idx, ib, sizeof ib);
		return report(c, "mem.bounds", "cannot prove the index (%s) is within [0, %s) of %s", ib, TYS(len), TYS(arr)), 0;
	}
	TyId ee = X(c, et);
	if (a->write && ee && N(c, ee)->kind == TY_BUDGET)
		return report(c, "fuel.write", "the element is fuel: it only counts down, by sub qword ptr [...], 1"), 0;
	if (ee && N(c, ee)->kind == TY_RECORD) {
		Access b = *a;
		if (a->write && !(perm & TF_W)) return report(c, "mem.perm", "the array is read-only"), 0;
		if (!a->write && !(perm & TF_R)) return report(c, "mem.perm", "the array is write-only"), 0;
		return access_record(c, ee, inner, &b, NULL);
	}
	if (inner != 0) return report(c, "mem.field", "access at offset %lld inside an element", (long long)inner), 0;
	if ((uint64_t)a->width != ty_size(&c->o, et))
		return report(c, "mem.field", "%d-byte access to an element of %s", a->width, TYS(arr)), 0;
	if (a->write) {
		if (!(perm & TF_W)) return report(c, "mem.perm", "the array is read-only"), 0;
		if (!narrow_store(c, a, et) && !ty_leq(&c->o, a->val, et, NULL, &c->st.facts))
			return report(c, "mem.type", "storing %s into an element of type %s", TYS(a->val), TYS(et)), 0;
	} else if (!(perm & TF_R)) return report(c, "mem.perm", "the array is write-only"), 0;
	return et;
}

static TyId access_layout(Ck *c, TyId lay, int64_t off, Access *a, TyId *updated)
{
	lay = X(c, lay);
	if (!lay) return report(c, "type.bad", "%s", c->o.err), 0;
	if (N(c, lay)->kind == TY_RECORD) return access_record(c, lay, off, a, updated);
	if (N(c, lay)->kind == TY_ARRAY) {
		uint64_t es = ty_size(&c->o, K(c, lay, 0));
		if (!es) return report(c, "type.bad", "array elements of unknown size"), 0;
		Lin idx = lin_const(off / (int64_t)es);
		return access_array(c, lay, &idx, off % (int64_t)es, a);
	}
	return report(c, "mem.base", "%s is not a record or an array", TYS(lay)), 0;
}

/* The linear form of a register holding a singleton S(e) (valid until the next lin_ref), or NULL. */
static const Lin *reg_lin_ref(Ck *c, int r)
{
	TyId t = X(c, c->st.reg[r]);
	if (!t || N(c, t)->kind != TY_SING) return NULL;
	const Lin *l = lin_ref(c, K(c, t, 0));
	return l->ok ? l : NULL;
}

/* The linear form of a register holding a singleton S(e), or not ok. */
static Lin reg_lin(Ck *c, int r)
{
	const Lin *l = reg_lin_ref(c, r);
	return l ? *l : (Lin){ .ok = 0 };
}

/* Code, or what may turn out to be code: a type variable, an existential package, a recursive type around code. */
static int may_be_code(Ck *c, TyId t)
{
	TyId e = X(c, t);
	for (int depth = 0; e && N(c, e)->kind == TY_MU && depth < 8; depth++) e = X(c, K(c, e, 0));
	int k = e ? N(c, e)->kind : TY_CODE;
	return k == TY_CODE || k == TY_EXISTS || k == TY_VAR || k == TY_MU;
}

/*
** [fuel.indirect] (kernel) No code is written to the stack: not code, nor
** what may turn out to be code (a type variable, an existential package,
** a recursive type around code).  So every return address there was made
** by a call, and a ret uses each at most once: a return address pushed by
** hand would let ret close a loop the graph of jumps and calls cannot see.
** 1 when t may be written there (reported otherwise).
*/
static int stack_writable(Ck *c, TyId t)
{
	if (!c->kernel || !may_be_code(c, t)) return 1;
	report(c, "fuel.indirect", "%s is or may be code, which the kernel profile does not let a block put on the stack (a ret through it would close a loop no fuel check sees)", TYS(t));
	return 0;
}

/*
** [ibt.target] (kernel) A processor that tracks indirect branches stops
** the kernel when a jump or call through a register or memory lands on
** anything but endbr64.  Code becomes a value only by lea of a label or an
** import, and the only code on the stack is the return addresses calls
** pushed ([fuel.indirect] above).  So: a label whose address is taken
** starts with endbr64; a host service's address (its stub, a plain jmp)
** is not taken; and a return address (after its call: no endbr64 there)
** is read from the stack by ret alone, never into a register or memory.
** 1 when the value may be had (reported otherwise).
*/
static int stack_readable(Ck *c, TyId t)
{
	if (!c->kernel || !may_be_code(c, t)) return 1;
	report(c, "ibt.target", "%s is or may be a return address, which the kernel profile lets only ret read from the stack "
	       "(a jump or call through it would land on no endbr64)", TYS(t));
	return 0;
}

/* [ibt.target] (kernel) the code at .text offset `off`, whose address lea takes, starts with endbr64. */
static int lands(Ck *c, const TyEntry *e, uint32_t off)
{
	if (!c->kernel) return 1;
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	uint8_t b[4];
	int first, n = x86_rows_of(MN_ENDBR64, &first) ? x86_fixed_bytes(&x86_rows[first], b) : 0;
	if (e && e->kind == E_IMPORT)
		return report(c, "ibt.target", "the kernel profile takes no host service's address ('%s' is a stub, which does not start with endbr64): call it directly",
		              ty_strof(&c->t, e->name)), 0;
	if (n && off <= tx->n && tx->n - off >= (size_t)n && !memcmp(tx->p + off, b, (size_t)n)) return 1;
	uint32_t v = e ? 0 : label_at(c, off);
	const char *name = e ? ty_strof(&c->t, e->name) : v ? ty_strof(&c->t, c->t.ent[v - 1].name) : "";
	return report(c, "ibt.target", "the address of '%s' is taken, but it does not start with endbr64: "
	              "on a processor that tracks indirect branches, a jump or call to it would stop the kernel", name), 0;
}

/*
** [mem.stack] [rsp + 8k] is the k-th slot of the stack type; beyond what
** the type shows lies the caller's frame, which is out of reach.
*/
static TyId access_stack(Ck *c, const TcOp *m, Access *a)
{
	if (m->index != R_NONE) return report(c, "mem.stack", "stack slots are not indexed"), 0;
	if (m->val < 0 || (m->val & 7)) return report(c, "mem.stack", "stack access at rsp%+lld is not a slot", (long long)m->val), 0;
	int64_t k = m->val / 8;
	TyId s = slot(c, c->st.stack, k);
	if (!s) return report(c, "mem.stack", "[rsp + %lld] is beyond the stack this code may see (%s)", (long long)m->val, TYS(c->st.stack)), 0;
	if (a->write) {
		if (a->width != 8) {
			TyId e = X(c, s);
			if (!e || (N(c, e)->kind != TY_INT && N(c, e)->kind != TY_U64 && N(c, e)->kind != TY_ANY))
				return report(c, "mem.stack", "partial write to a slot holding %s", TYS(s)), 0;
			a->val = leaf(c, N(c, e)->kind == TY_ANY ? TY_ANY : TY_INT);   /* the rest of junk is junk */
		} else if (!stack_writable(c, a->val))
			return 0;
		c->st.stack = set_slot(c, c->st.stack, k, a->val);
		return a->val;
	}
	if (a->width != 8) return int_bits(c, s, "reading part of") ? leaf(c, TY_INT) : 0;
	return stack_readable(c, s) ? s : 0;
}

/*
** The objects of the data sections, for [mem.global]: each section is cut
** at every offset where an object starts or ends, and each piece knows the
** first object (in the order of the entries) that covers it; a piece no
** object covers is not kept.  Built once, by a sweep over the objects in
** order of offset (a heap of those covering the sweep, by entry), so an
** access finds its object by binary search however many there are.
*/
typedef struct Span { uint8_t sect; uint64_t from, to; uint32_t ent; } Span;

static int by_place(const void *a, const void *b)
{
	const Span *x = a, *y = b;
	if (x->sect != y->sect) return x->sect < y->sect ? -1 : 1;
	if (x->from != y->from) return x->from < y->from ? -1 : 1;
	return x->ent < y->ent ? -1 : x->ent > y->ent;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* heap of indexes into o, least entry first */
static void heap_push(const Span *o, uint32_t *h, uint32_t *n, uint32_t v)
{
	uint32_t i = (*n)++;
	for (; i && o[h[(i - 1) / 2]].ent > o[v].ent; i = (i - 1) / 2) h[i] = h[(i - 1) / 2];
	h[i] = v;
}

static void heap_pop(const Span *o, uint32_t *h, uint32_t *n)
{
	uint32_t v = h[--*n], i = 0;
	for (;;) {
		uint32_t k = 2 * i + 1;
		if (k >= *n) break;
		if (k + 1 < *n && o[h[k + 1]].ent < o[h[k]].ent) k++;
		if (o[h[k]].ent >= o[v].ent) break;
		h[i] = h[k];
		i = k;
	}
	if (*n) h[i] = v;
}

static void build_segs(Ck *c)
{
	uint32_t n = 0, nh = 0;
	for (uint32_t i = 0; i < c->t.nent; i++) n += c->t.ent[i].kind == E_OBJECT;
	Span *o = xmalloc(((size_t)n + 1) * sizeof *o);
	uint64_t *cut = xmalloc(((size_t)2 * n + 1) * sizeof *cut);
	uint32_t *h = xmalloc(((size_t)n + 1) * sizeof *h);
	c->seg = xmalloc(((size_t)2 * n + 1) * sizeof *c->seg);
	c->objs = xmalloc(((size_t)n + 1) * sizeof *c->objs);
	n = 0;
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *x = &c->t.ent[i];
		if (x->kind != E_OBJECT) continue;
		c->o.budget = TYOPS_BUDGET;
		uint64_t size = ty_size(&c->o, x->type);
		c->objs[c->nobjs++] = (Span){ x->sect, x->offset, x->offset + size, i };
		if (size) o[n++] = c->objs[c->nobjs - 1];
	}
	qsort(c->objs, c->nobjs, sizeof *c->objs, by_place);
	qsort(o, n, sizeof *o, by_place);
	for (uint32_t a = 0, b; a < n; a = b) {          /* one section at a time */
		uint32_t ncut = 0, next = a;
		for (b = a; b < n && o[b].sect == o[a].sect; b++) cut[ncut++] = o[b].from, cut[ncut++] = o[b].to;
		qsort(cut, ncut, sizeof *cut, cmp_u64);
		nh = 0;
		for (uint32_t k = 0; k + 1 < ncut; k++) {
			if (cut[k] == cut[k + 1]) continue;
			while (next < b && o[next].from <= cut[k]) heap_push(o, h, &nh, next++);
			while (nh && o[h[0]].to <= cut[k]) heap_pop(o, h, &nh);   /* ended: never covers again */
			if (nh) c->seg[c->nseg++] = (Span){ o[a].sect, cut[k], cut[k + 1], o[h[0]].ent };
		}
	}
	free(o);
	free(cut);
	free(h);
}

/*
** The first span of s[0..n) (sorted by section, then offset) in section
** sect that ends past off (by_end) or starts at or past it; n if none.
*/
static uint32_t span_find(const Span *s, uint32_t n, int sect, uint64_t off, int by_end)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const Span *g = &s[mid];
		if (g->sect < sect || (g->sect == sect && (by_end ? g->to <= off : g->from < off))) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/* The first object declared at offset `off` of section `sect`, or NULL. */
static const TyEntry *object_starting(Ck *c, int sect, int64_t off)
{
	uint32_t i = off < 0 ? c->nobjs : span_find(c->objs, c->nobjs, sect, (uint64_t)off, 0);
	return i < c->nobjs && c->objs[i].sect == sect && c->objs[i].from == (uint64_t)off ? &c->t.ent[c->objs[i].ent] : NULL;
}

/* The first object covering byte `off` of section `sect`, or NULL. */
static const TyEntry *object_at(Ck *c, int sect, uint64_t off)
{
	uint32_t i = span_find(c->seg, c->nseg, sect, off, 1);
	return i < c->nseg && c->seg[i].sect == sect && c->seg[i].from <= off ? &c->t.ent[c->seg[i].ent] : NULL;
}

/*
** [mem.global] [rip + label] reaches a typed data object (.object or
** .import) through its relocation; reading code is not allowed.
*/
static TyId access_global(Ck *c, const TcInst *in, const TcOp *m, Access *a)
{
	const TcReloc *r = field_reloc(c, in);
	if (!r) return report(c, "mem.global", "rip-relative access into .text"), 0;
	int64_t off = r->addend + 4 + imm_bytes(in);
	const TyEntry *e = NULL;
	if (r->sect) {
		e = off >= 0 ? object_at(c, r->sect, (uint64_t)off) : NULL;
		if (!e) return report(c, "mem.global", "no typed object at %s+%#llx", sect_name(r->sect), (long long)off), 0;
		off -= e->offset;
	} else {
		e = reloc_entry(c, r, E_OBJECT, E_IMPORT);
		if (!e) return report(c, "mem.global", "'%s' has no type (give it one with .object or .import)", r->sym), 0;
	}
	return access_layout(c, e->type, off, a, NULL);
}

/* [mem.base] memory is reached only through a pointer the types vouch for. */
static TyId mem_access(Ck *c, const TcInst *in, const TcOp *m, Access *a)
{
	if (m->base == R_RSP) return access_stack(c, m, a);
	if (m->base == R_RIP) return access_global(c, in, m, a);
	if (m->base == R_NONE) return report(c, "mem.base", "absolute address"), 0;
	TyId bt = c->st.reg[m->base];
	if (!bt) return report(c, "reg.undef", "%s has no value", x86_reg_name(m->base, S64)), 0;
	TyId e = X(c, bt);
	if (!e) return report(c, "type.bad", "%s", c->o.err), 0;
	const TyNode *n = N(c, e);
	if (n->kind == TY_MU) return report(c, "mem.base", "%s holds a recursive type: .unfold it first", x86_reg_name(m->base, S64)), 0;
	if (n->kind == TY_EXISTS) return report(c, "mem.base", "%s holds an existential package: .unpack it first", x86_reg_name(m->base, S64)), 0;
	if (n->kind != TY_PTR) return report(c, "mem.base", "%s holds %s, not a pointer", x86_reg_name(m->base, S64), TYS(bt)), 0;
	if (n->flags & TF_NULLABLE) return report(c, "mem.null", "%s may be null: test it and branch first", x86_reg_name(m->base, S64)), 0;
	TyId lay = X(c, K(c, e, 0));
	if (!lay) return report(c, "type.bad", "%s", c->o.err), 0;
	if (N(c, lay)->kind == TY_ARRAY && m->index != R_NONE) {
		uint64_t es = ty_size(&c->o, K(c, lay, 0));
		const Lin *ix = reg_lin_ref(c, m->index);
		if (!ix) return report(c, "mem.bounds", "the index %s is not a known size: compare it with the length first", x86_reg_name(m->index, S64)), 0;
		if (!es || (uint64_t)m->scale != es)
			return report(c, "mem.bounds", "scale %d does not match the element size %llu (only elements of 1, 2, 4 or 8 bytes are indexed by a register)",
			              m->scale, (unsigned long long)es), 0;
		int64_t whole = m->val >= 0 ? m->val / (int64_t)es : -((-m->val + (int64_t)es - 1) / (int64_t)es);
		Lin idx = *ix, kw = lin_const(whole);
		lin_addto(&idx, &kw, 1);
		return access_array(c, lay, &idx, m->val - whole * (int64_t)es, a);
	}
	if (m->index != R_NONE) return report(c, "mem.bounds", "only arrays are indexed; %s is not one", TYS(lay)), 0;
	TyId updated = 0;
	TyId r = access_layout(c, lay, m->val, a, &updated);
	if (r && updated) c->st.reg[m->base] = mk1(c, TY_PTR, 0, updated);
	return r;
}

/* ---- values ---- */

/* S(l) for a linear form, 0 if it is not one. */
static TyId lin_ty(Ck *c, const Lin *l)
{
	if (!l->ok) return 0;
	int64_t k0 = l->k;
	TyId acc = 0;
	for (int i = 0; i < l->n; i++) {
		TyId v = mk(c, TY_VAR, 0, l->v[i], 0, NULL, 0), term = v;
		if (l->c[i] != 1) {
			TyId k = mk(c, TY_ICONST, 0, 0, l->c[i] < 0 ? -l->c[i] : l->c[i], NULL, 0);
			term = l->c[i] == -1 ? v : mk2(c, TY_IMUL, k, v);
		}
		if (!acc) acc = l->c[i] < 0 ? mk2(c, TY_ISUB, mk(c, TY_ICONST, 0, 0, 0, NULL, 0), term) : term;
		else acc = mk2(c, l->c[i] < 0 ? TY_ISUB : TY_IADD, acc, term);
	}
	if (!acc) return mk(c, TY_ICONST, 0, 0, k0, NULL, 0);
	if (k0) acc = mk2(c, k0 < 0 ? TY_ISUB : TY_IADD, acc, mk(c, TY_ICONST, 0, 0, k0 < 0 ? -k0 : k0, NULL, 0));
	return acc;
}

/*
** [size] a size is a natural number below 2^48 (the lengths of real
** objects are); so a few of them added, or one times 4096, cannot wrap
** around 64 bits, and what the facts say of them is what the machine does.
*/
static int is_size(const Facts *f, const Lin *l)
{
	if (l->ok && !l->n) return l->k >= 0 && l->k < SIZE_LIMIT;   /* what the facts say of a constant */
	if (!l->ok || !facts_prove(f, l)) return 0;
	Lin below = lin_const(SIZE_LIMIT - 1);
	lin_addto(&below, l, -1);   /* 2^48 - 1 - l >= 0 */
	return facts_prove(f, &below);
}

/* The fact v < 2^48 (v >= 0 goes without saying: the prover's variables are sizes). */
static void facts_size(Facts *f, StrId v)
{
	Lin l = lin_add(lin_const(SIZE_LIMIT - 1), lin_var(v), -1);
	facts_add(f, &l);
}

/* A singleton S(l) when l is provably a size, else int. */
static TyId sing(Ck *c, const Lin *l)
{
	int small = l->ok && !l->n && l->k >= 0 && l->k < (int64_t)(sizeof c->small / sizeof *c->small);
	if (small && c->small[l->k]) return c->small[l->k];   /* hash-consed: the node it gave before */
	if (small) return c->small[l->k] = mk1(c, TY_SING, 0, lin_ty(c, l));
	if (!is_size(&c->st.facts, l)) return leaf(c, TY_INT);
	/* the node for l, as lin_ty and mk1 gave it last time: a form's terms in its order */
	uint64_t h = (lin_hash(l) >> 40) & (sizeof c->sing / sizeof *c->sing - 1);
	Lin *m = &c->sing[h].l;
	if (c->sing[h].s && lin_same(m, l)) return c->sing[h].s;
	TyId e = lin_ty(c, l);
	if (!e) return leaf(c, TY_INT);
	*m = *l;   /* (l is never the cache's own: a caller's form, or one lin_ref keeps) */
	return c->sing[h].s = mk1(c, TY_SING, 0, e);
}

/* sing of a constant: a small one without making its form. */
static TyId sing_k(Ck *c, int64_t k)
{
	if (k >= 0 && k < (int64_t)(sizeof c->small / sizeof *c->small) && c->small[k]) return c->small[k];
	Lin l = lin_const(k);
	return sing(c, &l);
}

/*
** [addr.bits] an address (a pointer, code, the stack limit, rsp) or junk
** that may hold one (any) never becomes an integer: not by reading part of
** it, by lea, by arithmetic, or by a compare, whose flags would tell its
** bits.  So code cannot hand its host's addresses back to its caller (in a
** kernel, that would undo the randomisation of its layout).  t is what is
** read; 1 when it is an integer.
*/
static int int_bits(Ck *c, TyId t, const char *what)
{
	if (is_intlike(c, t)) return 1;
	TyId e = X(c, t);
	if (e && N(c, e)->kind == TY_ANY)
		report(c, "addr.bits", "%s junk (any), which may hold an address: it is not an integer", what);
	else
		report(c, "addr.bits", "%s %s: the bits of an address are not an integer", what, TYS(t));
	return 0;
}

/* [reg.undef] a register is read only if it holds a value. */
static TyId read_reg(Ck *c, int r)
{
	if (r == R_RSP) return report(c, "stack.rsp", "rsp is not a value; use [rsp + n]"), 0;
	if (!c->st.reg[r]) return report(c, "reg.undef", "%s is read but holds no value", x86_reg_name(r, S64)), 0;
	return c->st.reg[r];
}

/* The low `size` bytes of t were written as an int (part_write). */
static int low_int(Ck *c, TyId t, int size)
{
	TyId e = X(c, t);
	return e && N(c, e)->kind == TY_ANY && N(c, e)->flags >= size;
}

/* The type an operand's value has; `width` bytes of memory. */
static TyId read_op(Ck *c, const TcOp *op, int width)
{
	switch (op->kind) {
	case TC_REG: {
		TyId t = read_reg(c, op->reg);
		if (t && op->size < S64) return low_int(c, t, op->size) || int_bits(c, t, "reading part of") ? leaf(c, TY_INT) : 0;
		return t;
	}
	case TC_IMM:
		return op->val >= 0 && op->val <= INT32_MAX ? sing_k(c, op->val) : leaf(c, TY_INT);
	case TC_MEM: {
		Access a = { width, 0, 0, 0 };
		TyId t = mem_access(c, c->in, op, &a);
		if (t && width < S64) {
			TyId e = X(c, t);
			int k = e ? N(c, e)->kind : 0;
			if (k == TY_U8 || k == TY_U16 || k == TY_U32) return e;
			return int_bits(c, t, "reading part of") ? leaf(c, TY_INT) : 0;
		}
		return t;
	}
	}
	return 0;
}

static int is_intlike(Ck *c, TyId t)
{
	TyId e = X(c, t);
	if (!e) return 0;
	int k = N(c, e)->kind;
	return ty_is_int(k);
}

/*
** [addr.bits] A write of 32 or 64 bits sets the whole register; one of 8
** or 16 bits (always of an int) keeps the rest.  Over an int that gives an
** int; over anything else (an address, junk, or nothing: the caller's
** bits) it gives junk whose low bytes are an int: `any` with the count of
** those bytes in its flags, which a type section cannot say (a leaf there
** has none).  Only a read of at most that many bytes takes them as an int.
*/
static TyId part_write(Ck *c, TyId old, int size)
{
	if (old && is_intlike(c, old)) return leaf(c, TY_INT);
	TyId e = old ? X(c, old) : 0;
	int low = e && N(c, e)->kind == TY_ANY && N(c, e)->flags > size ? N(c, e)->flags : size;
	return mk(c, TY_ANY, low, 0, 0, NULL, 0);
}

/*
** [reg.write] rsp changes only by push, pop, call, ret and add/sub of a
** constant; a write of 8 or 16 bits keeps the rest (part_write); 32 bits
** zero-extend.
*/
static void write_reg(Ck *c, int r, int size, TyId t)
{
	if (r == R_RSP) { report(c, "stack.rsp", "rsp may only change by push, pop, call, ret, or add/sub of a constant"); return; }
	if (size < S32) t = part_write(c, c->st.reg[r], size);
	else if (!t) t = leaf(c, TY_INT);
	else if (size == S32) {
		TyId e = X(c, t);
		if (!e || N(c, e)->kind != TY_SING || !lin_is_const(lin_ref(c, K(c, e, 0)), NULL)) t = leaf(c, TY_U32);
	}
	c->st.reg[r] = t;
	if (c->st.flags.kind == FL_TEST && c->st.flags.reg == r) c->st.flags.kind = FL_NONE;
}

static void write_op(Ck *c, const TcOp *op, TyId t)
{
	if (op->kind == TC_REG) { write_reg(c, op->reg, op->size, t); return; }
	Access a = { op->size, 1, t, 0 };
	mem_access(c, c->in, op, &a);
}

/* ---- instructions ---- */

/* An int compared becomes S(v) for a fresh v: what the compare learns is about v. */
static int cmp_lin(Ck *c, const TcOp *op, TyId t, Lin *out)
{
	if (op->kind == TC_IMM) {
		if (op->val < 0) return 0;
		*out = lin_const(op->val);
		return 1;
	}
	TyId e = X(c, t);
	if (!e) return 0;
	if (N(c, e)->kind == TY_SING) {
		*out = *lin_ref(c, K(c, e, 0));
		return out->ok;
	}
	if (op->kind == TC_REG && op->size == S64 && is_intlike(c, e) && N(c, e)->kind != TY_ANY) {
		StrId v = ty_fresh(&c->o, x86_reg_name(op->reg, S64));
		c->st.reg[op->reg] = mk1(c, TY_SING, 0, mk(c, TY_VAR, 0, v, 0, NULL, 0));
		*out = lin_var(v);
		return 1;
	}
	return 0;
}

/*
** [stack.check] cmp rsp, L with L : limit, then a jump on b (or ae): where
** rsp >= L is known, STACK_GUARD bytes of stack are there to use, below
** rsp as it was at the compare (a push before the jump is counted in
** them, and a second jump on the same flags gives nothing new).
*/
static int stack_check(Ck *c, const TcInst *in)
{
	if (in->mnem != MN_CMP || in->op[0].kind != TC_REG || in->op[0].reg != R_RSP || in->size != S64) return 0;
	c->st.flags.kind = FL_NONE;
	c->st.ccok = 0;
	TyId t = in->op[1].kind == TC_IMM ? 0 : read_op(c, &in->op[1], S64);
	TyId e = X(c, t);
	if (!e || N(c, e)->kind != TY_LIMIT) {
		if (t || in->op[1].kind == TC_IMM)
			report(c, "stack.rsp", "rsp can only be compared with the stack limit (a value of type limit), not %s",
			       t ? TYS(t) : "a constant");
		return 1;
	}
	c->st.flags.kind = FL_STACK;
	c->st.flags.depth = c->st.depth;
	c->st.ccok = CC_CF_ONLY;
	return 1;
}

/*
** [addr.bits] Flags set from an address tell its bits: after test r, r of
** a pointer only e and ne (null or not) may be read, after the stack check
** only b and ae, after add or sub of rsp none.  A block starts, and a call
** returns, with flags it did not set (of the code before it, or of the
** callee: perhaps of an address).  An instruction that leaves some flags
** as they were (inc and dec keep CF; a shift by cl may be by 0; rotates,
** mul and div set some or none) leaves their conditions as they were.
*/
static int flags_readable(Ck *c, int cc)
{
	if (c->st.ccok >> cc & 1) return 1;
	report(c, "addr.bits", "condition %s reads flags this block did not set from integers (flags of an address, or from before its label or a call, may tell an address's bits)",
	       x86_cc_name(cc));
	return 0;
}

/* The conditions readable after an integer operation of do_alu: those whose flags it sets. */
static unsigned alu_ccok(const State *st, const TcInst *in)
{
	switch (in->mnem) {
	case MN_INC: case MN_DEC: return (st->ccok & CC_READS_CF) | (CC_ALL & ~CC_READS_CF);
	case MN_SHL: case MN_SHR: case MN_SAR:
		if (x86_rows[in->row].form == F_RM_1) return CC_ALL;
		if (in->op[1].kind != TC_IMM || !(in->op[1].val & (in->size == S64 ? 63 : 31))) return st->ccok;
		return (st->ccok & CC_READS_OF) | (CC_ALL & ~CC_READS_OF);   /* OF: only for a count of 1 */
	case MN_ROL: case MN_ROR: case MN_BSWAP: return st->ccok;
	default: return CC_ALL;   /* add, sub, and, or, xor, adc, sbb, neg */
	}
}

/* [flags] cmp and test record what a conditional jump may learn. */
static void do_cmp(Ck *c, const TcInst *in)
{
	if (stack_check(c, in)) return;
	/* an immediate is an integer whose value cmp_lin reads: no S(k) is made for it */
	TyId a = read_op(c, &in->op[0], in->size);
	TyId b = in->op[1].kind == TC_IMM ? leaf(c, TY_INT) : read_op(c, &in->op[1], in->size);
	c->st.flags.kind = FL_NONE;
	if (!a || !b) return;
	if (in->mnem == MN_TEST && in->op[0].kind == TC_REG && in->op[1].kind == TC_REG && in->op[0].reg == in->op[1].reg &&
	    in->size == S64) {
		TyId e = X(c, a);
		if (e && N(c, e)->kind == TY_PTR) {   /* tells whether it is null, no more */
			c->st.ccok = CC_ZF_ONLY;
			if (N(c, e)->flags & TF_NULLABLE) {
				c->st.flags.kind = FL_TEST;
				c->st.flags.reg = in->op[0].reg;
				c->st.flags.regty = a;
			}
			return;
		}
	}
	if (!int_bits(c, a, "comparing") || !int_bits(c, b, "comparing")) return;
	c->st.ccok = CC_ALL;
	if (in->mnem == MN_TEST || in->size != S64) return;
	/* into the flags (of kind FL_NONE until both are made); each may name its register */
	int oka = cmp_lin(c, &in->op[0], a, &c->st.flags.a), okb = cmp_lin(c, &in->op[1], b, &c->st.flags.b);
	if (!oka || !okb) return;
	c->st.flags.kind = FL_CMP;
}

/*
** [refine] after cmp a, b a taken jb learns a < b, a fall-through learns
** a >= b, and so on for ae, be, a, e, ne (the forms are unsigned values:
** unsigned compares are exact).  A signed x <s y or x <=s y (l, ge, le, g
** and their negations) learns x < y or x <= y only when x is a size: then
** y, not below x, is not negative either, and on two values in [0, 2^63)
** the signed and the unsigned order agree; of an x that may be negative
** (a huge unsigned value) nothing is learnt.  After test r, r of a
** nullable pointer, je learns r is null and jne that it is not.
*/
static void refine(Ck *c, State *st, int cc, int taken)
{
	FlagInfo *f = &st->flags;
	if (f->kind == FL_CMP) {
		const Lin *a = &f->a, *b = &f->b;   /* (in st->flags; facts_rel writes st->facts) */
		int c2 = taken ? cc : cc ^ 1;      /* the negation flips the low bit */
		switch (c2) {
		case CC_B: facts_rel(&st->facts, a, b, TY_CLT); break;
		case CC_AE: facts_rel(&st->facts, b, a, TY_CLE); break;
		case CC_BE: facts_rel(&st->facts, a, b, TY_CLE); break;
		case CC_A: facts_rel(&st->facts, b, a, TY_CLT); break;
		case CC_E: facts_rel(&st->facts, a, b, TY_CEQ); break;
		case CC_L: if (is_size(&st->facts, a)) facts_rel(&st->facts, a, b, TY_CLT); break;
		case CC_GE: if (is_size(&st->facts, b)) facts_rel(&st->facts, b, a, TY_CLE); break;
		case CC_LE: if (is_size(&st->facts, a)) facts_rel(&st->facts, a, b, TY_CLE); break;
		case CC_G: if (is_size(&st->facts, b)) facts_rel(&st->facts, b, a, TY_CLT); break;
		}
	} else if (f->kind == FL_FUEL) {
		if ((taken ? cc : cc ^ 1) == CC_AE) st->fueled = 1;
	} else if (f->kind == FL_STACK) {
		if ((taken ? cc : cc ^ 1) == CC_AE) {
			st->checked = GUARD_CHECKED;
			st->cdepth = f->depth;   /* what was compared is rsp there, not here (push writes no flags) */
			st->budget = STACK_GUARD;
		}
	} else if (f->kind == FL_TEST && st->reg[f->reg] == f->regty) {
		int null = (cc == CC_E) == taken;
		if (cc != CC_E && cc != CC_NE) return;
		TyId e = X(c, f->regty);
		st->reg[f->reg] = null ? sing_k(c, 0) : mk1(c, TY_PTR, 0, K(c, e, 0));
	}
}

/*
** What refine may change in a state: facts only added (f[n] on), so n
** and the names of the set; the fuel and stack guards; one register.  A
** conditional jump refines its state for the taken side, enters the
** target, and puts these back, rather than copying the whole state.
*/
typedef struct Refined {
	int n, fueled, checked, reg;
	uint64_t gen, sum;
	int64_t cdepth, budget;
	TyId regty;
} Refined;

static Refined refined_save(const State *st)
{
	int r = st->flags.kind == FL_TEST ? st->flags.reg : 0;
	return (Refined){ st->facts.n, st->fueled, st->checked, r, st->facts.gen, st->facts.sum, st->cdepth, st->budget, st->reg[r] };
}

static void refined_restore(State *st, const Refined *w)
{
	st->facts.n = w->n, st->facts.gen = w->gen, st->facts.sum = w->sum;
	st->fueled = w->fueled, st->checked = w->checked;
	st->cdepth = w->cdepth, st->budget = w->budget;
	st->reg[w->reg] = w->regty;
}

static void site_run_add(Ck *c, Site *p, unsigned n)
{
	c->runs = xgrow(c->runs, sizeof *c->runs, (size_t)c->nruns + 1, &c->capruns);
	c->runs[c->nruns++] = (SiteRun){ p, n };
}

static void sites_free(Ck *c)
{
	for (unsigned i = 0; i < c->nruns; i++) free(c->runs[i].p);
	free(c->runs);
	free(c->site);
	c->runs = NULL, c->site = NULL;
	c->nruns = c->capruns = c->nsite = 0;
}

static void site(Ck *c, uint32_t to, int call)
{
	if (!to) return;
	if (!c->site || c->nsite == SITE_RUN) {
		if (c->site) site_run_add(c, c->site, c->nsite);
		c->site = xmalloc(SITE_RUN * sizeof *c->site);
		c->nsite = 0;
	}
	Site *s = &c->site[c->nsite++];
	s->from = c->block;
	s->to = to;
	s->guarded = (uint8_t)c->st.checked;
	s->fueled = (uint8_t)c->st.fueled;
	s->depth = c->st.checked ? c->st.depth - c->st.cdepth : c->st.depth;
	s->call = (uint8_t)call;
	s->at = c->in->off;
}

/* [stack.depth] below a check, the stack grows at most STACK_GUARD bytes. */
static void deeper(Ck *c, int64_t bytes)
{
	c->st.depth += bytes;
	if (c->st.checked) {
		if (c->st.depth - c->st.cdepth > c->st.budget)
			report(c, "stack.depth", "%lld bytes of stack are used where %lld are known to be there",
			       (long long)(c->st.depth - c->st.cdepth), (long long)c->st.budget);
		return;
	}
	if (c->block && c->st.depth > c->local[c->block - 1]) c->local[c->block - 1] = c->st.depth;
}

/* The stack a code type promises to need: its `stack N` (0 without one), or -1 when N is not a constant. */
static int64_t stack_need(Ck *c, TyId k)
{
	const Code *p = code_of(c, k);
	int64_t n;
	if (!p || !p->need) return 0;
	return lin_is_const(lin_ref(c, p->need), &n) && n >= 0 ? n : -1;
}

/*
** What a label has to use, and adds to its callers (its own need is
** checked against it): its `stack N`, or for N with variables the least
** its constraints prove N to be (least_need), 0 when they prove nothing.
*/
static int64_t declared(Ck *c, TyId k)
{
	const Code *p = code_of(c, k);
	return p && p->need && p->least > 0 ? p->least : 0;
}

/*
** Going to code that is not a label here (through a code pointer, or by
** ret): its type's promise is all we know, so it must be a constant.  A
** `stack n` of a variable here could be any size where the code was made.
*/
static void unknown_callee(Ck *c, TyId k, int call)
{
	int64_t n = stack_need(c, k);
	if (n < 0) {
		report(c, "stack.depth", "the code gone to needs stack %s, which is not a constant: its stack use has no bound here", TYS(code_of(c, k)->need));
		return;
	}
	int64_t extra = (call ? 8 : 0) + n;
	deeper(c, extra);
	c->st.depth -= extra;
}

static TyId inst_code(Ck *c, TyId q, TyId args, const char *rule);
static TyId names_to_vars(Ck *c, TyId id, int depth);
static TyId subst_charged(Ck *c, TyId id, const Subst *s);

/* The type of a branch's target, instantiated by a .inst [args] before it. */
static TyId branch_target(Ck *c, const TcInst *in, uint32_t *entry)
{
	const TcOp *op = &in->op[0];
	TyId e;
	*entry = 0;
	if (op->kind == TC_REL) e = target_type(c, in, op, entry);
	else {
		TyId t = read_op(c, op, S64);
		if (!t) return 0;
		e = X(c, t);
		if (!e || N(c, e)->kind != TY_CODE) return report(c, "jump.target", "%s is not code", TYS(t)), 0;
		/* [fuel.indirect] (kernel) a jump through a pointer may close a loop the graph cannot see */
		if (c->kernel && !c->st.fueled)
			return report(c, "fuel.indirect", "a jump or call through a code pointer needs a fuel check before it in its block"), 0;
	}
	const TyAnnot *a = c->inst;
	c->inst = NULL;
	if (e && a) {
		/* (a label's type as written: the arguments' variables are the block's, and may be its slots) */
		TyId q = X(c, label_typed(c, *entry, e) ? as_written(c, *entry - 1) : e);
		c->ann = a;
		if (!q || N(c, q)->kind != TY_CODE) report(c, "coerce.inst", "the target's type %s is not a code type", TYS(e)), e = 0;
		else e = inst_code(c, q, names_to_vars(c, a->args, 0), "coerce.inst");
		c->ann = NULL;
	}
	return e;
}

/* [jmp] the state fits the target's type. */
static void do_jmp(Ck *c, const TcInst *in)
{
	uint32_t to;
	TyId k = branch_target(c, in, &to);
	if (k) {
		site(c, to, 0);
		if (!to) unknown_callee(c, k, 0);
		enter(c, &c->st, k, to, c->st.stack, "jump");
	}
	c->st.live = 0;
}

/* [jcc] taken: the refined state fits the target; not taken: go on refined. */
static void do_jcc(Ck *c, const TcInst *in)
{
	uint32_t to;
	if (!flags_readable(c, in->cc)) return;
	TyId k = branch_target(c, in, &to);
	if (k) {
		site(c, to, 0);
		Refined was = refined_save(&c->st);
		refine(c, &c->st, in->cc, 1);
		enter(c, &c->st, k, to, c->st.stack, "branch");
		refined_restore(&c->st, &was);
	}
	refine(c, &c->st, in->cc, 0);
}

/* The slots of stack type s above its end (a variable, or the empty stack): *end gets that end. */
static int64_t stack_slots(Ck *c, TyId s, TyId *end)
{
	int64_t n = 0;
	TyId e;
	while ((e = X(c, s)) && N(c, e)->kind == TY_SCONS) {
		if (--c->o.budget < 0) return -1;   /* (each slot is a step) */
		n++, s = K(c, e, 1);
	}
	*end = e ? e : s;
	return n;
}

/*
** [call.depth] the stack after a call ends where the stack before it ended
** (the block's own stack variable, or the empty stack), and is as much
** deeper as it has more slots above that end: a callee may return with
** slots pushed for its caller or with arguments popped, but the depth
** counts them.
*/
static void depth_after_call(Ck *c, TyId before)
{
	if (c->st.stack == before) return;   /* the usual callee: it returns on the stack it was given */
	TyId e0, e1;
	int64_t n0 = stack_slots(c, before, &e0), n1 = n0 < 0 ? -1 : stack_slots(c, c->st.stack, &e1);
	if (n0 < 0 || n1 < 0) {
		report(c, "call.type", "the stack before or after the call has too many slots to count: its depth is unknown");
		return;
	}
	if (e0 != e1) {
		report(c, "call.type", "the stack after the call (%s) does not end as the stack before it (%s): its depth is unknown",
		       TYS(c->st.stack), TYS(before));
		return;
	}
	if (n1 > n0) deeper(c, 8 * (n1 - n0));
	else c->st.depth -= 8 * (n0 - n1);
}

/*
** [call] the callee's stack type is  ret :: rest ; the state fits the
** callee with rest = the current stack; after the call the state is what
** ret (instantiated) says: its registers and its stack.
*/
static void do_call(Ck *c, const TcInst *in)
{
	uint32_t to;
	Subst u;
	TyId k = branch_target(c, in, &to);
	if (!k) return;
	const Code *p = code_of(c, k), *r;
	if (!p || !p->stack) { report(c, "call.type", "the callee's type has no stack for a return address"); return; }
	TyId s = X(c, p->stack);
	if (!s || N(c, s)->kind != TY_SCONS) { report(c, "call.type", "the callee's stack does not start with a return address (%s)", TYS(p->stack)); return; }
	site(c, to, 1);
	if (to) {
		deeper(c, 8);
		c->st.depth -= 8;
	} else unknown_callee(c, k, 1);
	/* the return address is ours to describe: it is what the callee expects */
	TyId ret = K(c, s, 0);
	if (!c->st.stack) { report(c, "call.type", "the stack is unknown here"); return; }
	if (!enter2(c, &c->st, k, to, c->st.stack, &u, "call", 1)) return;
	/* a variable the arguments did not fix is abstract after the call: a new name */
	State *st = &c->st;
	for (int i = 0; i < u.n; i++) {
		if (u.val[i]) continue;
		StrId v = ty_fresh(&c->o, target_var(c, label_typed(c, to, k), u.name[i]));
		u.val[i] = mk(c, TY_VAR, 0, v, 0, NULL, 0);
		if (u.sort[i] == TK_SIZE) facts_size(&st->facts, v);
	}
	TyId kret = subst_charged(c, ret, &u);
	if (!(r = code_of(c, kret)) || r->nb) { report(c, "call.type", "the return address type %s is not a plain code type", TYS(kret)); return; }
	/* after it: the return address's registers, stack and constraints, with
	   what was known; the stack below and this block's checks are as they were */
	TyId before = st->stack;
	memcpy(st->reg, r->reg, sizeof st->reg);
	st->stack = r->stack;
	memset(&st->flags, 0, sizeof st->flags);
	st->ccok = 0;   /* the callee's flags */
	for (int i = 0; i < r->nc; i++)   /* (the sides code_make worked out) */
		facts_rel(&st->facts, &r->side[2 * i], &r->side[2 * i + 1], N(c, r->cons[i])->kind);
	depth_after_call(c, before);
	st->live = 1;
}

/* [ret] the top of the stack is a code type the state (below it) fits. */
static void do_ret(Ck *c)
{
	TyId s = X(c, c->st.stack);
	if (!s || N(c, s)->kind != TY_SCONS) { report(c, "ret.type", "no return address on the stack (%s)", TYS(c->st.stack)); return; }
	TyId k = K(c, s, 0), ke = X(c, k);
	if (!ke || N(c, ke)->kind != TY_CODE) { report(c, "ret.type", "the top of the stack holds %s, not a return address", TYS(k)); return; }
	/* [stack.depth] the code returned to may need stack too (a pushed code pointer, say), from rsp after the ret */
	c->st.depth -= 8;
	unknown_callee(c, k, 0);
	c->st.depth += 8;
	enter(c, &c->st, k, 0, K(c, s, 1), "return");
	c->st.live = 0;
}

static void do_push(Ck *c, const TcInst *in)
{
	TyId t = read_op(c, &in->op[0], S64);
	if (!t || !stack_writable(c, t)) return;
	if (!c->st.stack) { report(c, "stack.unknown", "the stack is unknown here"); return; }
	c->st.stack = mk2(c, TY_SCONS, t, c->st.stack);
	deeper(c, 8);
}

static void do_pop(Ck *c, const TcInst *in)
{
	TyId s = X(c, c->st.stack);
	if (!s || N(c, s)->kind != TY_SCONS) { report(c, "stack.frame", "nothing on the stack to pop (%s)", TYS(c->st.stack)); return; }
	TyId t = K(c, s, 0);
	if (!stack_readable(c, t)) return;
	c->st.stack = K(c, s, 1);
	c->st.depth -= 8;
	write_op(c, &in->op[0], t);
}

/*
** [stack.rsp] sub rsp, 8k pushes k unusable slots; add rsp, 8k pops k.
** Each slot is a type the checker makes: all the sub rsp of a file, in all
** its blocks, make at most SLOTS_MIN + SLOTS_PER_BYTE a byte of .text of
** them, so that a small file cannot make the checker take memory without
** bound (2000 sub rsp, 65536 in one block took 646 MB before).  Each block
** is checked once, so the count is the same however many threads check:
** a thread that finds it too many stops, and the check in one thread that
** follows reports it; threads that each stayed below it add up their
** counts (check_threads).
*/
enum { SLOTS_MIN = 1 << 16, SLOTS_PER_BYTE = 4 };

static uint64_t slots_allowed(const Ck *c)
{
	return SLOTS_MIN + SLOTS_PER_BYTE * (uint64_t)c->obj.sect[SEC_TEXT].n;
}

static void adjust_rsp(Ck *c, const TcInst *in)
{
	int64_t v = in->op[1].kind == TC_IMM ? in->op[1].val : -1;
	if (in->size != S64 || v < 0 || (v & 7) || v > 65536) { report(c, "stack.rsp", "rsp may only change by a multiple of 8 up to 64 KiB"); return; }
	if (!c->st.stack) { report(c, "stack.unknown", "the stack is unknown here"); return; }
	int past = in->mnem == MN_SUB ? passed(c, c->slots + (uint64_t)v / 8, c->slots, slots_allowed(c)) : 0;
	if (in->mnem == MN_SUB) c->slots += (uint64_t)v / 8;
	if (past == 1)
		report(c, "stack.rsp", "the sub rsp instructions of this file make more than %llu stack slots in all (%d, and %d a byte of code): too many to check",
		       (unsigned long long)slots_allowed(c), SLOTS_MIN, SLOTS_PER_BYTE);
	if (past) return;   /* (the block stops here; later blocks may go on, and are told once) */
	if (in->mnem == MN_SUB) deeper(c, v);
	for (int64_t k = v / 8; k > 0; k--) {
		if (in->mnem == MN_SUB) {
			c->st.stack = mk2(c, TY_SCONS, leaf(c, TY_ANY), c->st.stack);
		} else {
			TyId s = X(c, c->st.stack);
			if (!s || N(c, s)->kind != TY_SCONS) { report(c, "stack.frame", "add rsp pops beyond the stack this code may see"); return; }
			c->st.stack = K(c, s, 1);
			c->st.depth -= 8;
		}
	}
	c->st.flags.kind = FL_NONE;
	c->st.ccok = 0;   /* they tell bits of rsp */
}

/*
** Singleton arithmetic: the result stays a size when the operands are.
** Every rule needs a 64-bit operation and a singleton first operand; the
** rest give int.  An immediate second operand comes as `imm` (b is then
** 0): it is S(k) for 0 <= k <= INT32_MAX (read_op), without making S(k).
*/
static TyId arith(Ck *c, const TcInst *in, TyId a, TyId b, const TcOp *imm)
{
	int op = in->mnem;
	if (in->size != S64 || (op != MN_ADD && op != MN_SUB && op != MN_INC && op != MN_DEC && op != MN_SHL))
		return leaf(c, TY_INT);
	TyId ea = X(c, a), eb = b ? X(c, b) : 0;
	if (!ea || N(c, ea)->kind != TY_SING) return leaf(c, TY_INT);
	Lin l = lin_at(c, K(c, ea, 0));
	if (op == MN_INC || op == MN_DEC) {
		Lin one = lin_const(1);
		lin_addto(&l, &one, op == MN_INC ? 1 : -1);
		return sing(c, &l);
	}
	Lin ki;
	const Lin *lb = &ki;
	if (imm && imm->val >= 0 && imm->val <= INT32_MAX) ki = lin_const(imm->val);
	else if (!imm && eb && N(c, eb)->kind == TY_SING) lb = lin_ref(c, K(c, eb, 0));
	else return leaf(c, TY_INT);
	int64_t k;
	if (op == MN_SHL) {
		if (!lin_is_const(lb, &k) || k < 0 || k > 12) return leaf(c, TY_INT);
		Lin r = lin_const(0);
		lin_addto(&r, &l, (int64_t)1 << k);
		return sing(c, &r);
	}
	lin_addto(&l, lb, op == MN_ADD ? 1 : -1);
	return sing(c, &l);
}

/* [alu] integer operations read ints and write an int (or a size). */
static int is_budget(Ck *c, TyId t)
{
	TyId e = X(c, t);
	return e && N(c, e)->kind == TY_BUDGET;
}

/*
** [fuel.check] sub qword ptr [m], 1 on a field of type budget, then a jump
** on b (or ae): where no borrow is known, the block has counted its fuel
** down.  A budget changes in no other way ([fuel.write]).
*/
static int fuel_trap_next(Ck *c, const TcInst *in);

static void count_down(Ck *c, const TcInst *in)
{
	c->st.flags.kind = FL_NONE;
	const TcOp *m = &in->op[0];
	if (in->mnem != MN_SUB || in->size != S64 || m->kind != TC_MEM || m->base == R_RSP || m->base == R_RIP ||
	    in->op[1].kind != TC_IMM || in->op[1].val != 1) {
		report(c, "fuel.write", "fuel (a budget) only counts down, by sub qword ptr [...], 1");
		return;
	}
	if (c->kernel && !fuel_trap_next(c, in)) {
		report(c, "fuel.trap", "counting fuel down must be followed at once by jb to a trap (jb tal_trap_fuel): "
		       "run out, the budget wraps to 2^64 - 1, and code that went on would pass every later fuel check");
		return;
	}
	c->st.flags.kind = FL_FUEL;
	c->st.ccok = CC_ALL;
}

/*
** [fuel.trap] (kernel) is the instruction after in a jb to a trap: a host
** service whose type gives no stack, so it cannot return?  (Its bytes are
** decoded here; the walk over the block decodes them again, and reports
** them if they do not decode.)
*/
static int fuel_trap_next(Ck *c, const TcInst *in)
{
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	char err[256];
	TcInst j;
	if (tc_decode_memo(c->memo, tx->p, tx->n, in->off + in->len, &j, err, sizeof err) <= 0 || j.mnem != MN_JCC || j.cc != CC_B) return 0;
	const TcReloc *r = field_reloc(c, &j);
	const TyEntry *e = r && !r->sect && r->addend == -4 ? reloc_entry(c, r, E_IMPORT, E_IMPORT) : NULL;
	const Code *p = e ? code_of(c, e->type) : NULL;
	return p && !p->stack;
}

static void do_alu(Ck *c, const TcInst *in)
{
	const TcOp *d = &in->op[0];
	if (d->kind == TC_REG && d->reg == R_RSP) {
		if ((in->mnem == MN_ADD || in->mnem == MN_SUB) && in->nops == 2) adjust_rsp(c, in);
		else report(c, "stack.rsp", "rsp may only change by push, pop, call, ret, or add/sub of a constant");
		return;
	}
	int one = in->nops == 1 || x86_rows[in->row].form == F_RM_1;
	if (in->mnem == MN_XOR && in->nops == 2 && d->kind == TC_REG && in->op[1].kind == TC_REG && d->reg == in->op[1].reg) {
		write_reg(c, d->reg, in->size, sing_k(c, 0));   /* the zeroing idiom */
		c->st.flags.kind = FL_NONE;
		c->st.ccok = CC_ALL;
		return;
	}
	/* an immediate is an integer: arith reads its value (read_op would make S(k) for it); a shift's d1 form is by 1 */
	static const TcOp by_one = { .kind = TC_IMM, .size = S8, .val = 1 };
	const TcOp *imm = x86_rows[in->row].form == F_RM_1 ? &by_one : !one && in->op[1].kind == TC_IMM ? &in->op[1] : NULL;
	TyId a = read_op(c, d, in->size), b = one || imm ? 0 : read_op(c, &in->op[1], in->size);
	if (!a || (!one && !imm && !b)) return;
	if (is_budget(c, a)) { count_down(c, in); return; }
	if (!is_intlike(c, a) || (b && !is_intlike(c, b))) {
		report(c, "alu.type", "arithmetic on %s", TYS(is_intlike(c, a) ? b : a));
		return;
	}
	if ((in->mnem == MN_ADC || in->mnem == MN_SBB) && !flags_readable(c, CC_B)) return;
	/* a field keeps its type: what is stored must fit it (write_op checks) */
	write_op(c, d, arith(c, in, a, b, imm));
	if (in->mnem == MN_NOT) return;   /* it writes no flags: what a compare taught stays (a test of d was forgotten by write_reg) */
	c->st.flags.kind = FL_NONE;
	c->st.ccok = alu_ccok(&c->st, in);
}

/* [mov] the destination gets the source's type. */
static void do_mov(Ck *c, const TcInst *in)
{
	TyId t = read_op(c, &in->op[1], in->size);
	if (!t) return;
	if (in->op[1].kind == TC_IMM && in->size == S32) t = sing_k(c, in->op[1].val & 0xffffffffLL);
	write_op(c, &in->op[0], t);
}

/* [lea] an address computed is an int, or a size, or a label's code. */
static void do_lea(Ck *c, const TcInst *in)
{
	const TcOp *m = &in->op[1];
	TyId t;
	if (m->base == R_RIP) {
		const TcReloc *r = field_reloc(c, in);
		int64_t at = r ? r->addend + 4 : 0;   /* lea has no immediate after its field */
		if (r && !r->sect && at == 0) {
			const TyEntry *e = reloc_entry(c, r, E_IMPORT, E_LABEL);
			const TyEntry *d = e ? NULL : reloc_entry(c, r, E_OBJECT, E_OBJECT);
			TyId k = e ? X(c, e->type) : 0;
			if (e && k && N(c, k)->kind == TY_CODE) {
				if (!lands(c, e, e->offset)) return;
				t = as_written(c, (uint32_t)(e - c->t.ent));
				if (e->kind == E_LABEL) c->taken[e - c->t.ent] = 1;
			} else if (e && plain_data(c, e->type, 0) > 0) t = mk1(c, TY_PTR, 0, e->type);
			else if (d) t = mk1(c, TY_PTR, 0, d->type);
			else t = 0;
		} else if (r && r->sect) {
			const TyEntry *d = object_starting(c, r->sect, at);
			t = d ? mk1(c, TY_PTR, 0, d->type) : 0;
		} else if (r) t = 0;
		else {
			int64_t to = (int64_t)in->off + in->len + m->val;
			t = label_type(c, to);
			if (t && !lands(c, NULL, (uint32_t)to)) return;
			if (t) c->taken[label_at(c, to) - 1] = 1;
		}
		if (!t) {
			report(c, "addr.bits", "lea of an address that is no typed label or object: the bits of an address are not an integer");
			return;
		}
	} else {
		Lin l = lin_const(m->val);
		int ok = 1;
		if (m->base == R_RSP) {
			report(c, "addr.bits", "lea from rsp: the bits of an address are not an integer");
			return;
		}
		if (m->base != R_NONE) {
			TyId b = read_reg(c, m->base);
			if (!b || !int_bits(c, b, "lea from")) return;
			const Lin *lb = reg_lin_ref(c, m->base);
			ok = lb != NULL;
			if (lb) lin_addto(&l, lb, 1);
		}
		if (m->index != R_NONE) {
			TyId xt = read_reg(c, m->index);
			if (!xt || !int_bits(c, xt, "lea from")) return;
			const Lin *lx = reg_lin_ref(c, m->index);
			ok = ok && lx;
			if (lx) lin_addto(&l, lx, m->scale);
		}
		t = ok ? sing(c, &l) : leaf(c, TY_INT);
	}
	/* a 32-bit destination would keep the address's low bits, as an integer */
	if (in->size != S64 && !is_intlike(c, t)) {
		report(c, "addr.bits", "lea of an address into %s: the bits of an address are not an integer", x86_reg_name(in->op[0].reg, in->size));
		return;
	}
	write_reg(c, in->op[0].reg, in->size, t);
}

static void do_xchg(Ck *c, const TcInst *in)
{
	TyId a = read_op(c, &in->op[0], in->size), b = read_op(c, &in->op[1], in->size);
	if (!a || !b) return;
	write_op(c, &in->op[0], b);
	write_op(c, &in->op[1], a);
}

/*
** [div.zero] (kernel) a division cannot fault: div by a register proven at
** least 1, with rdx 0 so the quotient fits; no idiv (the most negative
** number by -1 faults too), no 8-bit division.
*/
static int kernel_div(Ck *c, const TcInst *in)
{
	const TcOp *d = &in->op[0];
	if (in->mnem == MN_IDIV || in->size == S8 || d->kind != TC_REG)
		return report(c, "div.zero", "only div of rdx:rax by a register can be proven not to fault (no idiv, no 8-bit or memory divisor)"), 1;
	Lin v = reg_lin(c, d->reg), hi = reg_lin(c, R_RDX);
	int64_t k;
	Lin v1 = lin_add(v, lin_const(1), -1);   /* v - 1 >= 0 */
	if (!v.ok || !facts_prove(&c->st.facts, &v1))
		return report(c, "div.zero", "cannot prove the divisor %s is at least 1: compare it and jump to a trap first", x86_reg_name(d->reg, S64)), 1;
	/* a 32- or 16-bit div divides by the low bits only: 2^32 is at least 1, and its low 32 bits are 0 */
	int bits = in->size == S32 ? 32 : in->size == S16 ? 16 : 0;
	if (bits) {
		Lin below = lin_add(lin_const(((int64_t)1 << bits) - 1), v, -1);   /* 2^bits - 1 - v >= 0 */
		if (!facts_prove(&c->st.facts, &below))
			return report(c, "div.zero", "cannot prove the divisor %s is below 2^%d: a %d-bit div divides by its low %d bits, which may be 0",
			              x86_reg_name(d->reg, S64), bits, bits, bits), 1;
	}
	if (!hi.ok || !lin_is_const(&hi, &k) || k != 0)
		return report(c, "div.zero", "rdx must be 0 (xor edx, edx) so the quotient fits"), 1;
	return 0;
}

/* [muldiv] mul, div and idiv use rdx:rax; a zero divisor is the host's trap. */
static void do_muldiv(Ck *c, const TcInst *in)
{
	TyId s = read_op(c, &in->op[0], in->size);
	if (!s || !read_reg(c, R_RAX)) return;
	if ((in->mnem == MN_DIV || in->mnem == MN_IDIV) && in->size != S8 && !read_reg(c, R_RDX)) return;
	if (c->kernel && (in->mnem == MN_DIV || in->mnem == MN_IDIV) && kernel_div(c, in)) return;
	/* the operand, rax, and rdx for a division: the first that is no integer */
	TyId bad = !is_intlike(c, s) ? s : !is_intlike(c, c->st.reg[R_RAX]) ? c->st.reg[R_RAX] : 0;
	if (!bad && (in->mnem == MN_DIV || in->mnem == MN_IDIV) && in->size != S8 && !is_intlike(c, c->st.reg[R_RDX])) bad = c->st.reg[R_RDX];
	if (bad) { report(c, "alu.type", "arithmetic on %s", TYS(bad)); return; }
	/* each writes its width (8 bits: ax) and keeps the rest, as a mov would */
	write_reg(c, R_RAX, in->size == S8 ? S16 : in->size, leaf(c, TY_INT));
	if (in->size != S8) write_reg(c, R_RDX, in->size, leaf(c, TY_INT));
	c->st.flags.kind = FL_NONE;
	if (in->mnem == MN_MUL || in->mnem == MN_IMUL) c->st.ccok |= CC_CF_OF;   /* the others are undefined (all, after a division) */
}

static void check_inst(Ck *c, const TcInst *in)
{
	c->in = in;
	steps_take(c);   /* (the coercions' steps; this instruction's are counted after it, check_range) */
	switch (in->mnem) {
	case MN_NOP: case MN_ENDBR64: break;   /* no effect on the state */
	case MN_MOV: do_mov(c, in); break;
	case MN_MOVZX: case MN_MOVSX: case MN_MOVSXD: {
		TyId t = read_op(c, &in->op[1], in->op[1].size);
		if (t && !is_intlike(c, t)) report(c, "alu.type", "extending %s", TYS(t));
		else if (t) write_reg(c, in->op[0].reg, in->size, in->mnem == MN_MOVZX && in->op[1].size == S8 ? leaf(c, TY_U8) :
		                      in->mnem == MN_MOVZX ? leaf(c, TY_U16) : leaf(c, TY_INT));
		break;
	}
	case MN_LEA: do_lea(c, in); break;
	case MN_CMP: case MN_TEST: do_cmp(c, in); break;
	case MN_ADD: case MN_SUB: case MN_AND: case MN_OR: case MN_XOR: case MN_ADC: case MN_SBB:
	case MN_INC: case MN_DEC: case MN_NEG: case MN_NOT: case MN_SHL: case MN_SHR: case MN_SAR:
	case MN_ROL: case MN_ROR: case MN_BSWAP:
		if ((in->mnem >= MN_SHL && in->mnem <= MN_ROR) && x86_rows[in->row].form == F_RM_CL && !read_reg(c, R_RCX)) break;
		do_alu(c, in);
		break;
	case MN_IMUL:
		if (in->nops == 1) do_muldiv(c, in);
		else {
			TyId a = read_op(c, &in->op[1], in->size), d = in->nops == 2 ? read_op(c, &in->op[0], in->size) : a;
			if (!d) break;
			if (a && !is_intlike(c, d)) report(c, "alu.type", "arithmetic on %s", TYS(d));
			else if (a && !is_intlike(c, a)) report(c, "alu.type", "arithmetic on %s", TYS(a));
			else if (a) write_reg(c, in->op[0].reg, in->size, leaf(c, TY_INT));
			c->st.flags.kind = FL_NONE;
			c->st.ccok |= CC_CF_OF;   /* CF and OF are set; the others are undefined */
		}
		break;
	case MN_MUL: case MN_DIV: case MN_IDIV: do_muldiv(c, in); break;
	case MN_CQO: case MN_CDQ:
		if (read_reg(c, R_RAX) && int_bits(c, c->st.reg[R_RAX], "sign-extending")) write_reg(c, R_RDX, S64, leaf(c, TY_INT));
		break;
	case MN_SETCC: if (flags_readable(c, in->cc)) write_op(c, &in->op[0], leaf(c, TY_INT)); break;
	case MN_CMOVCC: {
		if (!flags_readable(c, in->cc)) break;
		TyId a = read_op(c, &in->op[0], in->size), b = read_op(c, &in->op[1], in->size);
		if (a && b) write_reg(c, in->op[0].reg, in->size, a == b ? a : is_intlike(c, a) && is_intlike(c, b) ? leaf(c, TY_INT) : 0);
		if (a && b && a != b && !(is_intlike(c, a) && is_intlike(c, b))) report(c, "alu.type", "cmov of %s and %s", TYS(a), TYS(b));
		break;
	}
	case MN_XCHG: do_xchg(c, in); break;
	case MN_PUSH: do_push(c, in); break;
	case MN_POP: do_pop(c, in); break;
	case MN_JMP: do_jmp(c, in); break;
	case MN_JCC: do_jcc(c, in); break;
	case MN_CALL: do_call(c, in); break;
	case MN_RET: do_ret(c); break;
	default: report(c, "insn.unsupported", "no typing rule for this instruction"); break;
	}
}

/* ---- coercions ---- */

/* The type at a coercion's place, and a way to put one back. */
static TyId loc_get(Ck *c, const TyAnnot *a)
{
	if (a->loc == L_REG) return a->reg < 16 ? c->st.reg[a->reg] : 0;
	return a->disp >= 0 && !(a->disp & 7) ? slot(c, c->st.stack, a->disp / 8) : 0;
}

static void loc_set(Ck *c, const TyAnnot *a, TyId t)
{
	if (a->loc == L_REG) c->st.reg[a->reg] = t;
	else c->st.stack = set_slot(c, c->st.stack, a->disp / 8, t);
}

/*
** [type.size] The substitutions the code asks for (.pack, .unpack, .inst,
** .fold, .unfold, and a call's return type with the callee's variables)
** rebuild at most MADE_MIN, and MADE_PER_BYTE a byte of the file, kid
** slots and nodes in all (TyOps.made), so that a small file cannot make
** the checker take memory or time without bound: a .pack of a record of
** 30000 fields at each of 4000 instructions took 493 MB before.  What a
** substitution rebuilds depends on the types and the substitution alone,
** not on what the table holds, and each block is checked once, so the
** count is the same however many threads check (as for stack slots,
** adjust_rsp).  Once past the bound, the block stops, and it is said once.
*/
enum { MADE_MIN = 1 << 22, MADE_PER_BYTE = 4 };

static uint64_t made_allowed(const Ck *c)
{
	return MADE_MIN + MADE_PER_BYTE * (uint64_t)c->obj.len;
}

static TyId subst_charged(Ck *c, TyId id, const Subst *s)
{
	uint64_t before = c->o.made;
	TyId r = ty_subst(&c->o, id, s);
	c->made += c->o.made - before;
	return r;
}

/* After an instruction and its coercions: past the bound, the block stops (check_range). */
static void made_check(Ck *c, uint64_t before)
{
	if (passed(c, c->made, before, made_allowed(c)) == 1)
		report(c, "type.size", "the coercions and calls of this file rebuild more than %llu parts of types in all (%d, and %d a byte of the file): too many to check",
		       (unsigned long long)made_allowed(c), MADE_MIN, MADE_PER_BYTE);
}

/* rec a. t  unrolls to  t[rec a. t / a]. */
static TyId unroll(Ck *c, TyId mu)
{
	Subst s = { 1, { N(c, mu)->name }, { TK_TYPE }, { mu } };
	return subst_charged(c, K(c, mu, 0), &s);
}

/*
** A coercion has no binders of its own: a bare name in it that no
** .typedef defines is a variable of the label around it, or the variable
** an earlier .unpack of the block introduced under that name (the latest).
*/
static TyId names_to_vars(Ck *c, TyId id, int depth)
{
	if (!id || depth > 64 || --c->o.budget < 0) return id;
	const TyNode *n = N(c, id);
	if (n->kind == TY_NAME && !n->nkids && (n->name >= c->o.ntdef || !c->o.tdef[n->name])) {
		StrId v = n->name;
		int alias = c->nalias;
		while (alias-- > 0 && c->said[alias] != v) continue;
		if (alias >= 0) v = c->meant[alias];
		else
			for (uint32_t i = 0; i < c->t.nshow; i++)
				if (c->t.show[i] == v) { v = ty_slot((int)i); break; }
		return mk(c, TY_VAR, 0, v, 0, NULL, 0);
	}
	int nk = n->nkids, changed = 0;
	TyId kids[64];
	if (nk > 64) return id;
	for (int i = 0; i < nk; i++) {
		TyId k = K(c, id, i);
		kids[i] = names_to_vars(c, k, depth + 1);
		changed |= kids[i] != k;
	}
	n = N(c, id);
	return changed ? mk(c, n->kind, n->flags, n->name, n->value, kids, nk) : id;
}

/*
** [fold]    v : t[rec a. t/a]  =>  v : rec a. t
** [unfold]  v : rec a. t       =>  v : t[rec a. t/a]
** [pack]    v : t[w/a], C[w/a] provable  =>  v : exists[a | C]. t
** [unpack]  v : exists[a | C]. t  =>  v : t[b/a] for new b, and C[b/a] is a fact
** [inst]    v : code[a, ...]{...}  =>  v : code[...]{...}[w/a]
** [subsume] v : t, t <= t'  =>  v : t'
*/
/*
** [inst] code[a1..ak, b..]{...} with arguments w1..wk: code[b..]{...}[w/a];
** a size argument must be provably a size, a type argument a word.
*/
static int arg_sort(Ck *c, TyId w, int sort, const char *rule);

static TyId inst_code(Ck *c, TyId q, TyId args, const char *rule)
{
	int nb = binders(c, q), nargs = args ? N(c, args)->nkids : 0, nk = N(c, q)->nkids;
	if (nargs > nb || nb > SUBST_MAX || nk > 256) return report(c, rule, "%d arguments for %d variables", nargs, nb), 0;
	StrId two = twice(c, q);
	if (two) return report(c, rule, "the type binds '%s' twice", ty_strof(&c->t, two)), 0;
	Subst s;
	s.n = nargs;
	for (int i = 0; i < nargs; i++) {
		s.name[i] = N(c, K(c, q, i))->name;
		s.sort[i] = N(c, K(c, q, i))->flags;
		s.val[i] = K(c, args, i);
		if (!arg_sort(c, s.val[i], s.sort[i], rule)) return 0;
		if (s.sort[i] == TK_SIZE && !is_size(&c->st.facts, lin_ref(c, s.val[i])))
			return report(c, rule, "cannot prove that %s is a size (0 <= it < 2^48)", TYS(s.val[i])), 0;
		if (s.sort[i] == TK_TYPE && !ty_is_word(&c->o, s.val[i]))
			return report(c, rule, "%s is not a word (8 bytes) a type variable can stand for", TYS(s.val[i])), 0;
	}
	TyId kids[256];
	int n = 0;
	for (int i = nargs; i < nk; i++) kids[n++] = K(c, q, i);
	return subst_charged(c, mk(c, TY_CODE, 0, 0, 0, kids, n), &s);
}

static void coerce_at(Ck *c, const TyAnnot *a);

/* A coercion; its errors are reported at its own line, not the instruction's. */
static void coerce(Ck *c, const TyAnnot *a)
{
	c->ann = a;
	coerce_at(c, a);
	c->ann = NULL;
}

static void coerce_at(Ck *c, const TyAnnot *a)
{
	static const char *const name[] = { "", "fold", "unfold", "pack", "unpack", "inst", "subsume" };
	char rule[32];
	snprintf(rule, sizeof rule, "coerce.%s", a->op <= A_SUBSUME ? name[a->op] : "?");
	if (a->loc == L_TARGET) { c->inst = a; return; }   /* for the branch that follows */
	TyId v = loc_get(c, a);
	if (!v) { report(c, rule, "the place has no value"); return; }
	TyId type = names_to_vars(c, a->type, 0), args = names_to_vars(c, a->args, 0);
	/* [type.sort] what .fold, .subsume and .pack give the place is a type, in the block's scope */
	if (type && (a->op == A_FOLD || a->op == A_SUBSUME || a->op == A_PACK) && !arg_sort(c, type, TK_TYPE, rule)) return;
	TyId e = X(c, v), target = type ? X(c, type) : 0;
	int nargs = args ? N(c, args)->nkids : 0;
	switch (a->op) {
	case A_FOLD:
		if (!target || N(c, target)->kind != TY_MU) { report(c, rule, "%s is not a recursive type", TYS(type)); return; }
		if (!ty_leq(&c->o, v, unroll(c, target), NULL, &c->st.facts)) { report(c, rule, "%s does not fit the unrolled %s (%s)", TYS(v), TYS(type), c->o.err); return; }
		loc_set(c, a, type);
		break;
	case A_UNFOLD:
		if (!e || N(c, e)->kind != TY_MU) { report(c, rule, "%s is not a recursive type", TYS(v)); return; }
		loc_set(c, a, unroll(c, e));
		break;
	case A_SUBSUME:
		if (!ty_leq(&c->o, v, type, NULL, &c->st.facts)) { report(c, rule, "%s does not fit %s (%s)", TYS(v), TYS(type), c->o.err); return; }
		loc_set(c, a, type);
		break;
	case A_INST:
		if (!e || N(c, e)->kind != TY_CODE) { report(c, rule, "%s is not a code type", TYS(v)); return; }
		if ((e = inst_code(c, e, args, rule))) loc_set(c, a, e);
		break;
	case A_PACK: case A_UNPACK: {
		TyId q = a->op == A_PACK ? target : e;
		if (!q || N(c, q)->kind != TY_EXISTS) { report(c, rule, "%s is not an existential type", TYS(a->op == A_PACK ? type : v)); return; }
		int nb = binders(c, q);
		if (nargs != nb || nb > SUBST_MAX) { report(c, rule, "%d arguments for %d variables", nargs, nb); return; }
		StrId two = twice(c, q);
		if (two) { report(c, rule, "the type binds '%s' twice", ty_strof(&c->t, two)); return; }
		Subst s;
		s.n = nargs;
		for (int i = 0; i < nargs; i++) {
			s.name[i] = N(c, K(c, q, i))->name;
			s.sort[i] = N(c, K(c, q, i))->flags;
			TyId w = K(c, args, i);
			if (a->op == A_UNPACK) {
				/* a new rigid variable, named after the binder the code gave;
				   later coercions of the block may call it by that name */
				StrId said = N(c, K(c, a->args, i))->name, fresh = ty_fresh(&c->o, ty_strof(&c->t, said));
				w = mk(c, TY_VAR, 0, fresh, 0, NULL, 0);
				if (c->nalias == ALIAS_MAX) {   /* the oldest name goes */
					memmove(c->said, c->said + 1, (ALIAS_MAX - 1) * sizeof *c->said);
					memmove(c->meant, c->meant + 1, (ALIAS_MAX - 1) * sizeof *c->meant);
					memmove(c->msort, c->msort + 1, (ALIAS_MAX - 1) * sizeof *c->msort);
					c->nalias--;
				}
				c->said[c->nalias] = said, c->meant[c->nalias] = fresh, c->msort[c->nalias++] = (uint8_t)s.sort[i];
				if (s.sort[i] == TK_SIZE)
					facts_size(&c->st.facts, fresh);
			} else if (!arg_sort(c, w, s.sort[i], rule)) {
				return;
			} else if (s.sort[i] == TK_SIZE && !is_size(&c->st.facts, lin_ref(c, w))) {
				report(c, rule, "cannot prove that %s is a size (0 <= it < 2^48)", TYS(w));
				return;
			} else if (s.sort[i] == TK_TYPE && !ty_is_word(&c->o, w)) {
				report(c, rule, "%s is not a word (8 bytes) a type variable can stand for", TYS(w));
				return;
			}
			s.val[i] = w;
		}
		int nk = N(c, q)->nkids;
		TyId body = subst_charged(c, K(c, q, nk - 1), &s);
		for (int i = nb; i < nk - 1; i++) {
			TyId k = subst_charged(c, K(c, q, i), &s);
			Lin l0 = side(c, k, 0), l1 = side(c, k, 1);
			if (a->op == A_UNPACK) facts_rel(&c->st.facts, &l0, &l1, N(c, k)->kind);
			else if (!facts_prove_rel(&c->st.facts, &l0, &l1, N(c, k)->kind)) { report(c, rule, "cannot prove %s", TYS(k)); return; }
		}
		if (a->op == A_UNPACK) loc_set(c, a, body);
		else if (!ty_leq(&c->o, v, body, NULL, &c->st.facts)) { report(c, rule, "%s does not fit %s (%s)", TYS(v), TYS(body), c->o.err); return; }
		else loc_set(c, a, type);
		break;
	}
	}
}

/* ---- the whole object ---- */

/*
** [decode] all of .text decodes, instruction after instruction.  Only
** where each starts is kept: the passes after this one decode again
** (through the memo), which costs less than keeping every instruction.
*/
static int decode_all(Ck *c)
{
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	size_t n = tx->n;
	char err[256];
	TcInst in;
	marks_init(&c->starts, n);
	c->memo = tc_decode_memo_new(n);
	for (size_t off = 0; off < n;) {
		int len = tc_decode_memo(c->memo, tx->p, n, off, &in, err, sizeof err);
		if (len <= 0) {
			c->in = NULL;
			c->off = (int64_t)off;
			report(c, "decode", "%s", err);
			return -1;
		}
		marks_set(&c->starts, off);
		off += (size_t)len;
	}
	return 0;
}

/*
** The instruction at an offset where decode_all found one starts, when
** the memo has no copy of it.  The decoder is a function of the bytes, so
** it decodes again; if it did not, that is reported, and the caller stops.
** Out of line: the hit, which inst_from tries first, is most instructions.
*/
static __attribute__((noinline)) const TcInst *inst_decode(Ck *c, uint32_t off, TcInst *in)
{
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	char err[256];
	if (tc_decode_memo_fill(c->memo, tx->p, tx->n, off, in, err, sizeof err) > 0) return in;
	c->in = NULL;
	c->off = off;
	report(c, "decode", "internal error: .text+%#x decoded before but not now: %s", off, err);
	c->off = -1;
	return NULL;
}

/* The instruction at off from e, the decoder memo's entry for it (tc_decode_memo_entry), or decoded. */
HOT const TcInst *inst_from(Ck *c, uint32_t off, const TcMemoEntry *e, TcInst *in)
{
	return tc_decode_memo_hit(e, c->obj.sect[SEC_TEXT].p, off, in) ? in : inst_decode(c, off, in);
}

HOT const TcInst *inst_at(Ck *c, uint32_t off, TcInst *in)
{
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	return inst_from(c, off, tc_decode_memo_entry(c->memo, tx->p, tx->n, off), in);
}

/* Does the instruction have a 32-bit field the linker may fill: rel32 or [rip + disp32]? */
static int has_link_field(const TcInst *in)
{
	const X86Row *r = &x86_rows[in->row];
	if (r->form == F_REL32) return 1;
	for (int i = 0; i < in->nops; i++)
		if (in->op[i].kind == TC_MEM && in->op[i].base == R_RIP) return 1;
	return 0;
}

/* ---- modules ---- */

/* The entries of the module's table with this name among imports, labels and objects. */
static int named_count(Ck *c, StrId name, const TyEntry **first)
{
	int n = 0;
	*first = NULL;
	for (uint32_t k = ty_names_first(&c->names, name); k; k = c->names.next[k - 1]) {
		const TyEntry *e = &c->t.ent[k - 1];
		if (e->kind != E_IMPORT && e->kind != E_LABEL && e->kind != E_OBJECT) continue;
		if (!n++) *first = e;
	}
	return n;
}

/* The host interface's entry of a kind and name, or NULL. */
static const TyEntry *iface_entry(const TyTable *h, int kind, const char *name)
{
	for (uint32_t i = 0; i < h->nent; i++)
		if (h->ent[i].kind == kind && strcmp(ty_strof(h, h->ent[i].name), name) == 0) return &h->ent[i];
	return NULL;
}

/*
** [import.host] a module calls its host only through its stubs, and stub
** i is the host service its import table names, with the type the host
** interface (embedded in the module, and vouched for by its digest) gives
** it: copied into the module's table, the service's type is the very
** type the module declares, each typedef of the interface is the
** module's typedef of that name, and no label or object shares the
** service's name.  Runs before tyops_init indexes the typedefs: it may
** add nodes and strings.
*/
static void check_module_imports(Ck *c)
{
	TyTable h;
	char err[256];
	ty_init(&h);
	c->in = NULL;
	if (ty_decode(&h, c->obj.iface.p, c->obj.iface.n, err, sizeof err) != 0) {
		report(c, "import.host", "the host interface in the module is corrupt: %s", err);
		ty_free(&h);
		return;
	}
	TyId *map = xcalloc(h.nnode + 1, sizeof *map);
	for (uint32_t i = 0; i < h.nent; i++) {
		if (h.ent[i].kind != E_TYPEDEF) continue;
		TyEntry x = ty_copy_entry(&c->t, &h, &h.ent[i], map, NULL);
		const TyEntry *m = entry_id(c, x.name, E_TYPEDEF, E_TYPEDEF);
		c->ent = m;
		if (!m || m->type != x.type)
			report(c, "import.host", "the module's type '%s' is not the host interface's", ty_strof(&h, h.ent[i].name));
	}
	uint8_t *at_stub = xcalloc(c->t.nent + 1, 1);   /* import entry i's offset is a stub of its name */
	for (uint32_t i = 0; i < c->obj.mod.nimports; i++) {
		const char *name = talmod_import_name(&c->obj.mod, i);
		const TyEntry *hs = iface_entry(&h, E_IMPORT, name), *m = NULL;
		int n = named_count(c, ty_str(&c->t, name, strlen(name)), &m);
		c->ent = m;
		if (!hs) report(c, "import.host", "the module imports '%s', which the host interface does not offer", name);
		else if (n != 1 || m->kind != E_IMPORT)
			report(c, "import.host", "'%s' must be declared once, as an import (%d declarations)", name, n);
		else if (ty_copy(&c->t, &h, hs->type, map, NULL) != m->type)
			report(c, "import.host", "'%s' is imported as %s, but the host interface gives it type %s", name, TYS(m->type),
			       TYS(ty_copy(&c->t, &h, hs->type, map, NULL)));
		else if ((uint64_t)m->offset == (uint64_t)c->obj.mod.stubs_off + (uint64_t)TALMOD_STUB_SIZE * i)
			at_stub[m - c->t.ent] = 1;
	}
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_IMPORT || at_stub[i]) continue;
		const TyEntry *m = NULL;
		if (named_count(c, e->name, &m) != 1) continue;   /* (reported above if it is imported; else the import is unused) */
		c->ent = e;
		report(c, "import.host", "the import '%s' is at image offset %#x, which is not a stub of its name",
		       ty_strof(&c->t, e->name), e->offset);
	}
	free(at_stub);
	c->ent = NULL;
	free(map);
	ty_free(&h);
}

/* [import.host] an object's imports are nowhere yet: their offsets are 0 (the linker gives each its stub). */
static void check_object_imports(Ck *c)
{
	c->in = NULL;
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_IMPORT || !e->offset) continue;
		c->ent = e;
		report(c, "import.host", "the import '%s' has offset %#x: an object's imports have none", ty_strof(&c->t, e->name), e->offset);
	}
	c->ent = NULL;
}

/*
** In a module the linker has filled every field: a rel32 or [rip + disp32]
** that leaves the code reaches a stub (a call to the host service of its
** import) or the constants.  The checker sees such fields as the
** relocations they were, so the rules for objects apply unchanged:
** target_type and access_global look the target up by name or section.
** A field reaching anywhere else gets none, and is rejected as in an
** object.
*/
static int module_field(Ck *c, const TcInst *in, TcReloc *r, StrId *sym)
{
	const TalModule *m = &c->obj.mod;
	int imm = imm_bytes(in);
	int64_t target = (int64_t)in->off + in->len;
	for (int k = 0; k < in->nops; k++)
		if (in->op[k].kind == TC_REL) target = in->op[k].val;
		else if (in->op[k].kind == TC_MEM && in->op[k].base == R_RIP) target += in->op[k].val;
	if (target >= 0 && target < (int64_t)m->text_size) return 0;
	*r = (TcReloc){ .offset = in->off + in->len - 4 - (uint32_t)imm, .type = R_X86_64_PC32, .sym = "" };
	*sym = 0;
	int64_t stub = target - m->stubs_off;
	if (stub >= 0 && stub < (int64_t)m->nstubs * TALMOD_STUB_SIZE && stub % TALMOD_STUB_SIZE == 0) {
		uint32_t i = (uint32_t)(stub / TALMOD_STUB_SIZE);
		r->sym = talmod_import_name(m, i);
		r->addend = -4 - imm;
		*sym = c->stubsym[i];
	} else if (target >= m->rodata_off && target < (int64_t)m->rodata_off + m->rodata_size) {
		r->sect = SEC_RODATA;
		r->addend = target - m->rodata_off - 4 - imm;
	} else return 0;
	return 1;
}

/* All of them, as a table of relocations (a run that decodes .text first). */
static void module_fields(Ck *c)
{
	unsigned cap = 0;
	TcInst buf;
	for (uint32_t off = 0; off < c->obj.sect[SEC_TEXT].n; off += buf.len) {
		const TcInst *in = inst_at(c, off, &buf);
		TcReloc r;
		StrId sym;
		if (!in) return;   /* not after decode_all: reported, and check_relocs stops at it */
		if (!has_link_field(in) || !module_field(c, in, &r, &sym)) continue;
		c->obj.rel = xgrow(c->obj.rel, sizeof *c->obj.rel, c->obj.nrel + 1, &cap);
		c->obj.rel[c->obj.nrel++] = r;
	}
}

/* The code type of the return address at the top of p's stack, or NULL. */
static const Code *return_code(Ck *c, const Code *p)
{
	TyId st = p->stack ? X(c, p->stack) : 0;
	return st && N(c, st)->kind == TY_SCONS ? code_of(c, K(c, st, 0)) : NULL;
}

/* p's stack is ret :: s, s a stack variable p binds, and ret (q) returns to s: it names rsp, and gives it s. */
static int returns_to_caller(Ck *c, const Code *p, const Code *q)
{
	TyId rest = X(c, K(c, X(c, p->stack), 1)), back = q->stack ? X(c, q->stack) : 0;
	int bound = 0;
	for (int i = 0; rest && N(c, rest)->kind == TY_VAR && i < p->nb; i++)
		bound |= N(c, p->b[i])->name == N(c, rest)->name && N(c, p->b[i])->flags == TK_STACK;
	return bound && !q->nb && back == rest;
}

/*
** [export.kernel] (kernel profile) the kernel shim passes its context in rdi
** and the caller's integers in rsi..r9, and hands rax back to the caller: an
** export takes exactly that (rdi: ctx, the interface's context type; other
** argument registers integers; no other register, no variable but the
** stack's; the stack ret :: s, and ret returns to s) and returns an
** integer, so no kernel address reaches the caller, and no slot of the
** shim's frame, above the return address, is the export's to read or write.
*/
static void check_kernel_export(Ck *c, const TyEntry *e, TyId k)
{
	static const int args[] = { R_RSI, R_RDX, R_RCX, R_R8, R_R9 };
	const char *name = ty_strof(&c->t, e->name);
	const Code *p = code_of(c, k);
	if (!p) return;
	TyId ctx = X(c, mk(c, TY_NAME, 0, ty_str(&c->t, "ctx", 3), 0, NULL, 0));
	for (int i = 0; i < p->nb; i++)
		if (N(c, p->b[i])->flags != TK_STACK) { report(c, "export.kernel", "'%s' has type variables the kernel cannot choose", name); return; }
	if (p->nc) { report(c, "export.kernel", "'%s' has constraints the kernel cannot check", name); return; }
	if (!ctx || !p->reg[R_RDI] || X(c, p->reg[R_RDI]) != ctx) { report(c, "export.kernel", "'%s' must take the context (ctx) in rdi", name); return; }
	for (int r = 0; r < 16; r++) {
		int arg = 0;
		for (int j = 0; j < 5; j++) arg |= args[j] == r;
		if (!p->reg[r] || r == R_RDI) continue;
		if (!arg) { report(c, "export.kernel", "'%s' expects %s, which the kernel does not pass", name, x86_reg_name(r, S64)); return; }
		TyId t = X(c, p->reg[r]);
		if (!t || (N(c, t)->kind != TY_INT && N(c, t)->kind != TY_U64)) {
			report(c, "export.kernel", "'%s' takes %s in %s; the kernel passes any 64-bit integer (int or u64)", name, TYS(p->reg[r]), x86_reg_name(r, S64));
			return;
		}
	}
	const Code *q = return_code(c, p);
	if (!q || !q->reg[R_RAX] || !is_intlike(c, q->reg[R_RAX])) {
		report(c, "export.kernel", "'%s' must return an integer in rax", name);
		return;
	}
	if (!returns_to_caller(c, p, q))
		report(c, "export.kernel", "'%s' must have the stack ret :: s, its return address on its caller's stack s, and return to s: "
		       "above the return address is the kernel's frame, which no type may describe (it has %s)", name, TYS(p->stack));
}

/*
** [export.return] (user profile) A host calls an entry point from a frame
** of its own, at the top of the instance's stack, and goes back to that
** frame by the entry's ret: so the entry's stack is ret :: s, for a stack
** variable s it binds, and ret's type returns to s (rsp: s).  A return
** type silent about rsp would let the entry return on a stack of its
** choosing, and one returning with slots left, or a stack with slots above
** the return address, would hand the host words the module wrote where it
** keeps its own stack pointer.
*/
static void check_user_export(Ck *c, const TyEntry *e, TyId k)
{
	const Code *p = code_of(c, k), *q = p ? return_code(c, p) : NULL;
	if (p && (!q || !returns_to_caller(c, p, q)))
		report(c, "export.return", "'%s' must have the stack ret :: s, its return address on its caller's stack s, with ret returning to s "
		       "(rsp: s): a host returns through it to a frame of its own (%s%s)", ty_strof(&c->t, e->name),
		       p->stack ? "it has " : "its type says nothing of rsp", p->stack ? TYS(p->stack) : "");
}

/* [export.type] each entry point of the module's export table is an exported, typed label. */
static void check_module_exports(Ck *c)
{
	const TalModule *m = &c->obj.mod;
	c->in = NULL;
	for (uint32_t i = 0; i < m->nexports; i++) {
		const char *name = talmod_export_name(m, i);
		uint32_t off = talmod_export_offset(m, i);
		const TyEntry *e = entry_named(c, name, E_EXPORT, E_EXPORT);
		TyId k = label_type(c, off);   /* (an export declared without a type has its label's) */
		c->ent = e;
		c->off = off;
		if (!e || e->sect != SEC_TEXT || e->offset != off)
			report(c, "export.type", "the entry point '%s' at .text+%#x is not declared as an export there", name, off);
		else if (!k)
			report(c, "export.type", "the entry point '%s' at .text+%#x has no label type", name, off);
		else if (c->kernel)
			check_kernel_export(c, e, e->type ? e->type : k);
		else
			check_user_export(c, e, e->type ? e->type : k);
	}
	c->ent = NULL;
	c->off = -1;
}

/*
** [reloc.place] the linker writes only into fields the checker has
** typed: each relocation of .text is a pc-relative one (PC32, PLT32) at
** the rel32 of a branch or the disp32 of a rip-relative operand, and there
** is one per field.  Anything else would let the linker rewrite
** instructions after they were verified.  (Their symbols' names are
** interned first: checking looks the symbols up by them.)
*/
static void reloc_names(Ck *c)
{
	c->relsym = xcalloc(c->obj.nrel + 1, sizeof *c->relsym);
	for (size_t i = 0; i < c->obj.nrel; i++) {
		const TcReloc *r = &c->obj.rel[i];
		c->relsym[i] = r->sect ? 0 : ty_str(&c->t, r->sym, strlen(r->sym));
	}
}

/*
** [reloc.symbol] the linker puts a relocation's field where its symbol is
** (its section and value), while the checker reads the target's type by
** the symbol's name (a label, an object, an import) or, for a section's
** symbol, by the addend alone.  So a symbol defined in the object is
** where the label or object of its name is, with no import of that name,
** and a section's symbol is at the section's start (value 0, as talas
** and GNU as write it).
*/
static void check_symbol(Ck *c, const TcReloc *r, StrId name)
{
	const TyEntry *at = NULL;
	if (r->sect && r->value)
		report(c, "reloc.symbol", "the relocation at .text+%#x is against the symbol of %s, whose value is %#llx: "
		       "a section's symbol is at its start", r->offset, sect_name(r->sect), (unsigned long long)r->value);
	const TyEntry *one;
	int n = name ? named_count(c, name, &one) : 0;
	if (n > 1) {   /* the rules look a name up as an object, a label or an import: all must be the one meant */
		report(c, "reloc.symbol", "the relocation at .text+%#x is against '%s', which has %d types (labels, objects or imports): one would be checked and another reached",
		       r->offset, r->sym, n);
		return;
	}
	if (!r->def) {
		if (n && one->kind != E_IMPORT)
			report(c, "reloc.symbol", "the relocation at .text+%#x is against '%s', not defined in this object, but typed as one of its own %s",
			       r->offset, r->sym, one->kind == E_LABEL ? "labels" : "objects");
		return;
	}
	for (uint32_t e = ty_names_first(&c->names, name); e; e = c->names.next[e - 1]) {
		const TyEntry *x = &c->t.ent[e - 1];
		if (x->kind == E_IMPORT) {
			report(c, "reloc.symbol", "the relocation at .text+%#x is against '%s', defined in this object but declared an import", r->offset, r->sym);
			return;
		}
		if ((x->kind == E_LABEL || x->kind == E_OBJECT) && !at) at = x;
	}
	if (!at)
		report(c, "reloc.symbol", "the relocation at .text+%#x is against '%s', defined at %s+%#llx, with no label or object type of that name",
		       r->offset, r->sym, sect_name(r->def), (unsigned long long)r->value);
	else if (at->sect != r->def || at->offset != r->value)
		report(c, "reloc.symbol", "the relocation at .text+%#x is against '%s', defined at %s+%#llx, but the type of '%s' is for %s+%#x",
		       r->offset, r->sym, sect_name(r->def), (unsigned long long)r->value, r->sym, sect_name(at->sect), at->offset);
}

/* With `placed` 0 (the first run, before its walks know where instructions start), all but the place. */
static int check_relocs(Ck *c, int placed)
{
	for (size_t i = 0; i < c->obj.nrel; i++) {
		const TcReloc *r = &c->obj.rel[i];
		int64_t start = r->offset;
		TcInst buf;
		while (placed && start >= 0 && start > (int64_t)r->offset - 15 && !marks_has(&c->starts, start)) start--;
		const TcInst *in = placed && marks_has(&c->starts, start) ? inst_at(c, (uint32_t)start, &buf) : NULL;
		c->in = in;
		c->off = (int64_t)r->offset;
		if (placed && (!in || !has_link_field(in) || r->offset != in->off + in->len - 4 - (uint32_t)imm_bytes(in)))
			report(c, "reloc.place", "a relocation at .text+%#x is not at the rel32 or disp32 field of an instruction", r->offset);
		else if (r->type != R_X86_64_PC32 && r->type != R_X86_64_PLT32)
			report(c, "reloc.place", "relocation type %u at .text+%#x is not pc-relative", r->type, r->offset);
		else if (i > 0 && c->obj.rel[i - 1].offset == r->offset)
			report(c, "reloc.place", "two relocations for the field at .text+%#x", r->offset);
		else if (r->addend < -(INT64_C(1) << 31) || r->addend > (INT64_C(1) << 31))
			report(c, "reloc.place", "relocation addend %lld is out of range", (long long)r->addend);
		else
			check_symbol(c, r, c->relsym[i]);
	}
	c->in = NULL;
	c->off = -1;
	return c->errors ? -1 : 0;
}

/* [label] a label type names the start of an instruction in .text (once the starts are known; ty_decode refuses a label entry of another section). */
static int label_placed(Ck *c, const TyEntry *e, int starts_known)
{
	if (e->offset < c->obj.sect[SEC_TEXT].n && (!starts_known || marks_has(&c->starts, e->offset))) return 1;
	c->ent = e;
	c->in = NULL;
	return report(c, "label.place", "the type of '%s' is for .text+%#x, which is not the start of an instruction", ty_strof(&c->t, e->name), e->offset);
}

/* [coerce.place] a coercion applies before an instruction. */
static void annot_placed(Ck *c, const TyAnnot *a)
{
	if (marks_has(&c->starts, a->offset)) return;
	c->ent = NULL;
	c->in = NULL;
	c->off = a->offset < c->obj.sect[SEC_TEXT].n ? (int64_t)a->offset : -1;
	c->ann = a;
	report(c, "coerce.place", "a coercion at .text+%#x is not at an instruction", a->offset);
	c->ann = NULL;
	c->off = -1;
}

/*
** The first run checks what needs the starts of instructions once its
** walks have marked them.  It comes here only when place_labels found
** nothing wrong: then each label entry has its own mark in c->labels, and
** each mark is a label entry's, so every label is placed when the labels'
** marks are among the starts, 64 offsets at a time.  When they are not, the
** entries are looked at one by one (the first run only counts the errors).
*/
static void check_places(Ck *c)
{
	int placed = c->labels.n == c->starts.n;
	for (size_t y = 0; placed && y <= c->labels.n / 64; y++) placed = !(c->labels.w[y] & ~c->starts.w[y]);
	for (uint32_t i = 0; !placed && i < c->t.nent; i++)
		if (c->t.ent[i].kind == E_LABEL) label_placed(c, &c->t.ent[i], 1);
	for (uint32_t i = c->t.nann; i-- > 0;) annot_placed(c, &c->t.ann[i]);
	check_relocs(c, 1);
}

/*
** [label] a label type is a code type, one to a place.  The labels of
** .text by offset (c->labels, c->lab), and the annotations by offset (c->annx).
*/
static int place_labels(Ck *c)
{
	size_t n = c->obj.sect[SEC_TEXT].n;
	c->local = xzalloc(c->t.nent + 1, sizeof *c->local);   /* read before written, by threads */
	c->taken = xcalloc(c->t.nent + 1, sizeof *c->taken);
	c->stackn = xcalloc(c->t.nent + 1, sizeof *c->stackn);
	marks_init(&c->labels, n);
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_LABEL) continue;
		if (!label_placed(c, e, !c->first)) continue;
		c->ent = e;
		c->in = NULL;
		if (!code_of(c, e->type)) {
			TyId k = X(c, e->type);
			StrId two = k && N(c, k)->kind == TY_CODE ? twice(c, k) : 0;
			Code why;
			code_split(c, k, &why);   /* (not a code type, or twice: both counts 0) */
			if (two) report(c, "label.type", "the type of '%s' binds '%s' twice", ty_strof(&c->t, e->name), ty_strof(&c->t, two));
			else if (why.nb > SUBST_MAX || why.nc > CONS_MAX)
				report(c, "label.type", "the type of '%s' has %d binders and %d constraints: a code type has at most %d and %d",
				       ty_strof(&c->t, e->name), why.nb, why.nc, SUBST_MAX, CONS_MAX);
			else report(c, "label.type", "the type of '%s' is not a code type", ty_strof(&c->t, e->name));
			continue;
		}
		if (marks_has(&c->labels, e->offset)) { report(c, "label.place", "two types for the label at .text+%#x", e->offset); continue; }
		marks_set(&c->labels, e->offset);
		c->stackn[i] = code_of(c, e->type)->need != 0;
	}
	marks_count(&c->labels);
	c->lab = xzalloc(c->t.nent + 1, sizeof *c->lab);
	for (uint32_t i = 0; i < c->t.nent; i++) {   /* the first of a place, as marked */
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_LABEL || !marks_has(&c->labels, e->offset)) continue;
		uint32_t k = marks_rank(&c->labels, e->offset);
		if (!c->lab[k]) c->lab[k] = i + 1;
	}
	for (uint32_t i = c->t.nann; i-- > 0 && !c->first;) annot_placed(c, &c->t.ann[i]);
	/* annotations by offset, then in table order (the assembler writes them so) */
	c->annx = xmalloc((c->t.nann + 1) * sizeof *c->annx);
	for (uint32_t i = 0; i < c->t.nann; i++) c->annx[i] = i;
	for (uint32_t i = 1; i < c->t.nann; i++)
		if (c->t.ann[i - 1].offset > c->t.ann[i].offset) {
			uint64_t *key = xmalloc(c->t.nann * sizeof *key);
			for (uint32_t j = 0; j < c->t.nann; j++) key[j] = (uint64_t)c->t.ann[j].offset << 32 | j;
			qsort(key, c->t.nann, sizeof *key, cmp_u64);
			for (uint32_t j = 0; j < c->t.nann; j++) c->annx[j] = (uint32_t)key[j];
			free(key);
			break;
		}
	return c->errors ? -1 : 0;
}

/*
** [typedef.cycle] a type name stands for a finite type: no .typedef names
** itself, directly or through others (recursion is written `rec`).
** `.typedef t = int :: t` would be a stack of no end, and a walk down it,
** as a call's return makes, would never stop.  The typedefs that name one
** another are a graph; those left over once every typedef whose names are
** all done is done (Kahn's algorithm) are in a cycle or name one.  Each
** body is walked once, each of its nodes once (types are DAGs), up to
** CYCLE_STEPS of them.
*/
enum { CYCLE_STEPS = 1 << 16 };

/*
** The typedefs that typedef td[i] names, as edges (i, j) between positions
** in td (the entries that define a typedef, in table order): 0, or -1 when
** its body is too big.  stack has room for every node (each is pushed
** once).  Only typedefs have a place here: a file of many labels and few
** typedefs does not pay for its labels.
*/
static int typedef_names(Ck *c, const uint32_t *td, uint32_t nt, uint32_t i, uint32_t *seen, uint32_t *named, TyId *stack,
                         uint32_t **edge, uint32_t *nedge, unsigned *cap)
{
	uint32_t n = 0;
	int steps = CYCLE_STEPS;
	TyId body = c->t.ent[td[i]].type;
	stack[n++] = body;
	seen[body] = i + 1;
	while (n > 0) {
		TyId id = stack[--n];
		const TyNode *x = N(c, id);
		if (--steps < 0) return -1;
		uint32_t e = x->kind == TY_NAME && x->name < c->o.ntdef ? c->o.tdef[x->name] : 0;   /* 1 + the defining entry */
		if (e) {
			uint32_t lo = 0, hi = nt;   /* its place in td (it is there: tdef names only the entry that defines) */
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (td[mid] < e - 1) lo = mid + 1;
				else hi = mid;
			}
			if (lo < nt && td[lo] == e - 1 && named[lo] != i + 1) {
				named[lo] = i + 1;
				*edge = xgrow(*edge, sizeof **edge, 2 * (size_t)*nedge + 2, cap);
				(*edge)[2 * *nedge] = i, (*edge)[2 * *nedge + 1] = lo;
				++*nedge;
			}
		}
		for (int k = 0; k < x->nkids; k++) {
			TyId kid = K(c, id, k);
			if (seen[kid] == i + 1) continue;
			seen[kid] = i + 1;
			stack[n++] = kid;
		}
	}
	return 0;
}

static void check_typedef_cycles(Ck *c)
{
	uint32_t ne = c->t.nent, nt = 0, nedge = 0, *edge = NULL, *td = NULL;
	unsigned cap = 0, captd = 0;
	for (uint32_t d = 0; d < ne; d++)
		if (c->t.ent[d].kind == E_TYPEDEF && c->t.ent[d].type && c->t.ent[d].name < c->o.ntdef && c->o.tdef[c->t.ent[d].name] == d + 1) {
			td = xgrow(td, sizeof *td, (size_t)nt + 1, &captd);
			td[nt++] = d;
		}
	if (!nt) return;
	uint32_t *seen = xcalloc(c->t.nnode + 1, sizeof *seen), *named = xcalloc(nt, sizeof *named);
	TyId *stack = xmalloc(((size_t)c->t.nnode + 1) * sizeof *stack);
	uint32_t *need = xcalloc(nt, sizeof *need), *first = xcalloc(nt + 1, sizeof *first);
	uint8_t *big = xcalloc(nt, 1);
	for (uint32_t i = 0; i < nt; i++) big[i] = typedef_names(c, td, nt, i, seen, named, stack, &edge, &nedge, &cap) < 0;
	/* need[i]: the typedefs i names not done yet; the users of u: user[first[u] .. first[u + 1]) */
	for (uint32_t e = 0; e < nedge; e++) need[edge[2 * e]]++, first[edge[2 * e + 1] + 1]++;
	for (uint32_t u = 0; u < nt; u++) first[u + 1] += first[u];
	uint32_t *user = xmalloc(((size_t)nedge + 1) * sizeof *user), *fill = xmemdup(first, (nt + 1) * sizeof *first);
	for (uint32_t e = 0; e < nedge; e++) user[fill[edge[2 * e + 1]]++] = edge[2 * e];
	uint32_t *ready = xmalloc(nt * sizeof *ready), nready = 0;
	for (uint32_t i = 0; i < nt; i++)
		if (!need[i]) ready[nready++] = i;
	while (nready > 0) {
		uint32_t i = ready[--nready];
		for (uint32_t e = first[i]; e < first[i + 1]; e++)
			if (!--need[user[e]]) ready[nready++] = user[e];
	}
	c->in = NULL;
	c->off = -1;
	for (uint32_t i = 0; i < nt; i++) {
		if (!need[i] && !big[i]) continue;
		c->ent = &c->t.ent[td[i]];
		if (big[i]) report(c, "typedef.cycle", "the body of '%s' is too big or too deep to look for a cycle in", ty_strof(&c->t, c->ent->name));
		else report(c, "typedef.cycle", "'%s' is part of a cycle of type names, or names one: a name stands for a finite type (recursion is written rec)",
		            ty_strof(&c->t, c->ent->name));
	}
	c->ent = NULL;
	free(seen), free(named), free(stack), free(need), free(first), free(big), free(user), free(fill), free(edge), free(ready), free(td);
}

/* [typedef.closed] every abbreviation's body uses only what it binds (tyops.c). */
static int check_typedefs(Ck *c)
{
	c->in = NULL;
	c->off = -1;
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		/* [typedef.twice] one definition a name: the checker uses the last, a host's interface may be compared with another */
		if (e->kind == E_TYPEDEF && e->name < c->t.nstr && c->o.tdef[e->name] != i + 1) {
			c->ent = e;
			report(c, "typedef.twice", "'%s' is defined more than once", ty_strof(&c->t, e->name));
			continue;
		}
		StrId two = e->kind == E_TYPEDEF && e->type ? twice(c, e->type) : 0;
		if (two) {   /* one binder would be checked, the other substituted (talas never writes one) */
			c->ent = e;
			report(c, "type.bad", "the parameters of '%s' bind '%s' twice", ty_strof(&c->t, e->name), ty_strof(&c->t, two));
			continue;
		}
		StrId v = e->kind == E_TYPEDEF ? ty_typedef_open(&c->o, i) : 0;
		if (!v) continue;
		c->ent = e;
		if (v == TY_OPEN_BIG) report(c, "typedef.closed", "the body of '%s' is too big or too deep to check", ty_strof(&c->t, e->name));
		else report(c, "typedef.closed", "the body of '%s' uses '%s', which it does not bind: a type name would hide it from every substitution",
		            ty_strof(&c->t, e->name), ty_strof(&c->t, v));
	}
	c->ent = NULL;
	if (!c->errors) check_typedef_cycles(c);
	return c->errors ? -1 : 0;
}

/*
** [type.sort] every variable is used at the sort its binder gives it: a
** type variable where a type goes (a register other than rsp, a stack
** slot, a field, an element, a pointer's layout), a stack variable where a
** stack goes (rsp, the rest of a stack, sptr), a size variable in an index
** (S(e), an array's length, stack N, fuel N, a constraint); a type name's
** arguments are at its parameters' sorts, and the name itself stands for
** what goes where it is (name_sort: `.typedef id[x: stack] = x` is a
** stack, and id[s] is no element type).  So is what a coercion writes:
** the arguments of .inst and .pack, and the type .fold, .subsume and
** .pack give (arg_sort).
**
** [type.bad] a type name in a declaration is defined by a .typedef and
** given as many arguments as it has parameters, whether or not an
** instruction ever looks into it (a misspelt name is found at once).  A
** type too deep (SORT_DEPTH), with too many binders around a part
** (SORT_SCOPE) or one binder list naming a variable twice, is refused:
** its sorts cannot be told, and no rule after this one looks at them.
** A typedef's list is its parameters and one body: every use of the name
** takes the last part, and this check must see the same.  An exists's
** body is a type.
** A variable in a declaration is bound by a binder around it (a code
** type's, an exists's, a rec's), and one in a coercion by those or by
** the block's label and its .unpacks (Sorts.closed): a free one would be
** a parameter nobody instantiates, and talas never writes one (in a
** typedef's body, it is [typedef.closed]).
*/
enum { SORT_SCOPE = 64, SORT_DEPTH = 64 };
typedef struct Sorts {
	StrId name[SORT_SCOPE]; uint8_t sort[SORT_SCOPE]; int n;
	StrId bad; TyId badty; int want, got;   /* type.sort */
	TyId badname; int nparams;              /* type.bad: undefined (nparams -1) or given the wrong number of arguments */
	int untold;                             /* type.bad: SORT_UNTOLD_* */
	int closed;                             /* a variable not in scope is SORT_UNTOLD_FREE */
} Sorts;
enum { SORT_UNTOLD_DEEP = 1, SORT_UNTOLD_SCOPE, SORT_UNTOLD_TWICE, SORT_UNTOLD_NAME, SORT_UNTOLD_FREE };

/* The sort of a type of this kind, or 0 for a variable, a name and the parts of types. */
static int kind_sort(int kind)
{
	switch (kind) {
	case TY_SNIL: case TY_SCONS: return TK_STACK;
	case TY_ICONST: case TY_IADD: case TY_ISUB: case TY_IMUL: return TK_SIZE;
	case TY_INT: case TY_U8: case TY_U16: case TY_U32: case TY_U64: case TY_ANY: case TY_SING: case TY_PTR:
	case TY_CODE: case TY_EXISTS: case TY_MU: case TY_RECORD: case TY_ARRAY: case TY_SPTR: case TY_LIMIT: case TY_BUDGET:
		return TK_TYPE;
	default: return 0;
	}
}

/*
** What a type name stands for: the sort of its typedef's body, which for a
** bare variable is its parameter's, and for another name that name's; an
** abstract type (no body) is a type.  SORT_NONE when the names go round in
** a cycle or more than SORT_DEPTH deep (no type, stack or size at the
** end), 0 when no .typedef defines the name (sort_walk reports that).
** Worked out once a typedef, before the blocks (check_sorts); read-only
** after, in every thread.
*/
enum { SORT_NONE = 4, SORT_BUSY = 5 };

static int name_sort_at(Ck *c, StrId name, int depth);

/* Of typedef entry e: kept in c->tdsort (SORT_BUSY while its body is looked at). */
static int typedef_sort(Ck *c, uint32_t e, int depth)
{
	if (c->tdsort[e]) return c->tdsort[e] == SORT_BUSY ? SORT_NONE : c->tdsort[e];
	TyId list = c->t.ent[e].type;
	int np = binders(c, list), s = TK_TYPE;   /* (no type, no body: abstract) */
	c->tdsort[e] = SORT_BUSY;
	if (list && np < N(c, list)->nkids) {
		const TyNode *b = N(c, K(c, list, N(c, list)->nkids - 1));
		s = kind_sort(b->kind) ? kind_sort(b->kind) : SORT_NONE;   /* (a free variable: typedef.closed) */
		if (b->kind == TY_NAME) s = depth < SORT_DEPTH ? name_sort_at(c, b->name, depth + 1) : SORT_NONE;
		for (int i = np; b->kind == TY_VAR && i-- > 0;)
			if (N(c, K(c, list, i))->name == b->name) { s = N(c, K(c, list, i))->flags; break; }
	}
	c->tdsort[e] = (uint8_t)(s ? s : SORT_NONE);
	return c->tdsort[e];
}

static int name_sort_at(Ck *c, StrId name, int depth)
{
	uint32_t e = name < c->o.ntdef ? c->o.tdef[name] : 0;
	return e ? typedef_sort(c, e - 1, depth) : 0;
}

static int name_sort(Ck *c, TyId t)
{
	return name_sort_at(c, N(c, t)->name, 0);
}

static int sort_walk(Ck *c, TyId t, int want, Sorts *sc, int depth);

/*
** The binders among t's first kids into scope; how many, or -1 with
** sc->untold when there are too many or one name is bound twice.
*/
static int sort_bind(Ck *c, TyId t, Sorts *sc)
{
	int k = 0, first = sc->n;
	while (k < N(c, t)->nkids && N(c, K(c, t, k))->kind == TY_BINDER) {
		StrId v = N(c, K(c, t, k))->name;
		for (int i = first; i < sc->n; i++)
			if (sc->name[i] == v) return sc->n = first, sc->bad = v, sc->untold = SORT_UNTOLD_TWICE, -1;
		if (sc->n == SORT_SCOPE) return sc->n = first, sc->untold = SORT_UNTOLD_SCOPE, -1;
		sc->name[sc->n] = v;
		sc->sort[sc->n++] = (uint8_t)N(c, K(c, t, k))->flags;
		k++;
	}
	return k;
}

static int sort_kids(Ck *c, TyId t, int from, int want, Sorts *sc, int depth)
{
	for (int i = from; i < N(c, t)->nkids; i++)
		if (!sort_walk(c, K(c, t, i), want, sc, depth + 1)) return 0;
	return 1;
}

/* 1 if t is well sorted where a `want` goes (0: anything), else 0 with sc->bad and what it is. */
static int sort_walk(Ck *c, TyId t, int want, Sorts *sc, int depth)
{
	int ok = 1, mark = sc->n, k;
	if (!t) return 1;
	if (depth > SORT_DEPTH || --c->o.budget < 0) return sc->untold = SORT_UNTOLD_DEEP, 0;
	const TyNode *n = N(c, t);
	int is = n->kind == TY_NAME ? name_sort(c, t) : kind_sort(n->kind);
	if (is == SORT_NONE) return sc->badty = t, sc->untold = SORT_UNTOLD_NAME, 0;
	if (want && is && is != want) {
		sc->badty = t, sc->want = want, sc->got = is;
		return 0;
	}
	switch (n->kind) {
	case TY_VAR:
		for (int i = sc->n; i-- > 0;)
			if (sc->name[i] == n->name) {
				if (want && sc->sort[i] != want) sc->bad = n->name, sc->want = want, sc->got = sc->sort[i], ok = 0;
				return ok;
			}
		if (sc->closed) return sc->bad = n->name, sc->untold = SORT_UNTOLD_FREE, 0;
		return 1;
	case TY_NAME: {
		uint32_t e = n->name < c->o.ntdef ? c->o.tdef[n->name] : 0;
		TyId list = e ? c->t.ent[e - 1].type : 0;
		int np = binders(c, list);
		if (!list || np != n->nkids) return sc->badname = t, sc->nparams = list ? np : -1, sc->want = want, 0;
		for (int i = 0; ok && i < n->nkids; i++) {
			int s = list && i < N(c, list)->nkids && N(c, K(c, list, i))->kind == TY_BINDER ? N(c, K(c, list, i))->flags : 0;
			ok = sort_walk(c, K(c, t, i), s, sc, depth + 1);
		}
		return ok;
	}
	case TY_SING: case TY_STACKREQ: case TY_FUELREQ: case TY_IADD: case TY_ISUB: case TY_IMUL:
	case TY_CLT: case TY_CLE: case TY_CEQ: case TY_CNE:
		return sort_kids(c, t, 0, TK_SIZE, sc, depth);
	case TY_PTR: case TY_RECORD: case TY_FIELD:
		return sort_kids(c, t, 0, TK_TYPE, sc, depth);
	case TY_ARRAY:
		return sort_walk(c, K(c, t, 0), TK_TYPE, sc, depth + 1) && sort_walk(c, K(c, t, 1), TK_SIZE, sc, depth + 1);
	case TY_SCONS:
		return sort_walk(c, K(c, t, 0), TK_TYPE, sc, depth + 1) && sort_walk(c, K(c, t, 1), TK_STACK, sc, depth + 1);
	case TY_SPTR:
		return sort_kids(c, t, 0, TK_STACK, sc, depth);
	case TY_REG:
		return sort_kids(c, t, 0, n->flags == R_RSP ? TK_STACK : TK_TYPE, sc, depth);
	case TY_MU:
		if (sc->n == SORT_SCOPE) return sc->untold = SORT_UNTOLD_SCOPE, 0;
		sc->name[sc->n] = n->name, sc->sort[sc->n++] = TK_TYPE;
		ok = sort_kids(c, t, 0, TK_TYPE, sc, depth);
		break;
	case TY_CODE:   /* its constraints, registers and clauses say their sorts */
		if ((k = sort_bind(c, t, sc)) < 0) return 0;
		ok = sort_kids(c, t, k, 0, sc, depth);
		break;
	case TY_EXISTS:   /* its constraints say theirs; its body is a type */
		if ((k = sort_bind(c, t, sc)) < 0) return 0;
		for (int i = k; ok && i < n->nkids; i++)
			ok = sort_walk(c, K(c, t, i), i == n->nkids - 1 ? TK_TYPE : 0, sc, depth + 1);
		break;
	case TY_LIST:
		return sort_kids(c, t, 0, 0, sc, depth);
	default:
		return 1;
	}
	sc->n = mark;
	return ok;
}

static const char *sort_name(int s) { return s == TK_TYPE ? "type" : s == TK_STACK ? "stack" : "size"; }

/* What sort_walk found, after `where` ("in the type of 'f', " or ""): under rule `bad` for a name, `sort` for a sort. */
static void sort_report(Ck *c, const char *bad, const char *sort, const char *where, const Sorts *sc)
{
	const TyNode *n = sc->badname ? N(c, sc->badname) : NULL;
	if (sc->untold == SORT_UNTOLD_DEEP)
		report(c, bad, "%sa part is nested more than %d deep, or the type is too big: its sorts cannot be told", where, SORT_DEPTH);
	else if (sc->untold == SORT_UNTOLD_SCOPE)
		report(c, bad, "%smore than %d variables are bound around a part: its sorts cannot be told", where, SORT_SCOPE);
	else if (sc->untold == SORT_UNTOLD_TWICE)
		report(c, bad, "%sone list of binders binds '%s' twice", where, ty_strof(&c->t, sc->bad));
	else if (sc->untold == SORT_UNTOLD_FREE)
		report(c, bad, "%s'%s' is bound nowhere: no binder around it binds it", where, ty_strof(&c->t, sc->bad));
	else if (sc->untold == SORT_UNTOLD_NAME)
		report(c, bad, "%s%s stands for no type, stack or size: its .typedef names go round in a cycle, or more than %d deep",
		       where, TYS(sc->badty), SORT_DEPTH);
	else if (n && sc->nparams < 0 && sc->want == TK_SIZE)
		report(c, bad, "%s'%s' is bound nowhere: a size there is a constant or a variable of a binder around it", where, ty_strof(&c->t, n->name));
	else if (n && sc->nparams < 0)
		report(c, bad, "%s'%s' is not a type name: no .typedef defines it", where, ty_strof(&c->t, n->name));
	else if (n)
		report(c, bad, "%s%s gives '%s' %d argument%s, but its .typedef has %d parameter%s", where, TYS(sc->badname),
		       ty_strof(&c->t, n->name), n->nkids, n->nkids == 1 ? "" : "s", sc->nparams, sc->nparams == 1 ? "" : "s");
	else if (sc->bad)
		report(c, sort, "%s'%s' is a %s variable where a %s goes", where, ty_strof(&c->t, sc->bad), sort_name(sc->got), sort_name(sc->want));
	else
		report(c, sort, "%s%s is a %s where a %s goes", where, TYS(sc->badty), sort_name(sc->got), sort_name(sc->want));
}

/*
** The variables in scope at a coercion: the binders of the block's label,
** then the variables the block's .unpacks made (whose names its later
** coercions may use).  They always fit.
*/
_Static_assert(SUBST_MAX + ALIAS_MAX <= SORT_SCOPE, "a block's scope fits in Sorts");
static void block_scope(Ck *c, Sorts *sc)
{
	const Code *p = c->block ? code_of(c, c->t.ent[c->block - 1].type) : NULL;
	sc->n = 0;
	for (int i = 0; p && i < p->nb; i++)
		sc->name[sc->n] = N(c, p->b[i])->name, sc->sort[sc->n++] = N(c, p->b[i])->flags;
	for (int i = 0; i < c->nalias; i++)
		sc->name[sc->n] = c->meant[i], sc->sort[sc->n++] = c->msort[i];
}

/*
** [type.sort] an argument of .inst or .pack is of its binder's sort, and
** so is every variable in it, by the sort the block's scope gives it; a
** variable given as the argument itself is one the scope binds (a bare
** name no .typedef defines and no binder binds stands for nothing).
*/
static int arg_sort(Ck *c, TyId w, int sort, const char *rule)
{
	Sorts sc = { .closed = 1 };
	if (sort < TK_TYPE || sort > TK_SIZE) return 1;
	block_scope(c, &sc);
	if (N(c, w)->kind == TY_VAR) {
		int i = sc.n;
		while (i-- > 0 && sc.name[i] != N(c, w)->name) continue;
		if (i < 0) return report(c, rule, "'%s' is bound nowhere here: no binder of the block's label and no .unpack before names it", TYS(w)), 0;
	}
	if (sort_walk(c, w, sort, &sc, 0)) return 1;
	sort_report(c, rule, rule, "", &sc);
	return 0;
}

/*
** The types of the declarations: labels, imports, exports, objects, and
** the bodies of typedefs (their parameters in scope).  Types are
** hash-consed, so a type that many labels share is walked once.
*/
static void check_sorts(Ck *c)
{
	Marks seen, bad;   /* (bad: a type with slots that failed, so that each label of it is reported, as written) */
	marks_init(&seen, c->t.nnode);
	marks_init(&bad, c->t.nnode);
	c->in = NULL;
	c->off = -1;
	c->tdsort = xcalloc(c->t.nent + 1, 1);
	for (uint32_t i = 0; i < c->t.nent; i++)   /* every name's, before the blocks read them in threads */
		if (c->t.ent[i].kind == E_TYPEDEF) typedef_sort(c, i, 0);
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		TyId t = e->type;
		if (!t || (e->kind != E_TYPEDEF && marks_has(&seen, t) && !marks_has(&bad, t))) continue;
		Sorts sc = { .n = 0 };   /* (after the test: it zeroes some 300 bytes, for each entry that has a type to check) */
		c->o.budget = TYOPS_BUDGET;
		if (e->kind == E_TYPEDEF) {
			int k = sort_bind(c, t, &sc), nk = N(c, t)->nkids;
			if (k >= 0 && k < nk - 1) {   /* its uses take the last part for the body: there is one */
				c->ent = e;
				report(c, "type.bad", "the .typedef of '%s' has %d parts after its parameters, not one body", ty_strof(&c->t, e->name), nk - k);
				continue;
			}
			if (k == nk || (k >= 0 && sort_walk(c, K(c, t, k), 0, &sc, 0))) continue;   /* (k: abstract, no body) */
		} else {
			marks_set(&seen, t);
			sc.closed = 1;
			if (sort_walk(c, t, TK_TYPE, &sc, 0)) continue;
			if (c->orig[i]) {   /* what is wrong, in the label's own names */
				Sorts written = { .closed = 1 };
				marks_set(&bad, t);
				c->o.budget = TYOPS_BUDGET;
				if (!sort_walk(c, c->orig[i], TK_TYPE, &written, 0)) sc = written;
			}
		}
		c->ent = e;
		char where[300];
		snprintf(where, sizeof where, "in the type of '%s', ", ty_strof(&c->t, e->name));
		sort_report(c, "type.bad", "type.sort", where, &sc);
	}
	c->ent = NULL;
	marks_free(&seen);
	marks_free(&bad);
}

/* Does a layout hold only integers (whose initial bytes need no checking)?  1, 0, or -1: too big or deep to tell. */
static int plain_data(Ck *c, TyId t, int depth)
{
	t = X(c, t);
	if (!t) return 0;
	if (depth > 64 || --c->o.budget < 0) return -1;
	switch (N(c, t)->kind) {
	case TY_INT: case TY_U8: case TY_U16: case TY_U32: case TY_U64: case TY_ANY: return 1;
	case TY_ARRAY: return plain_data(c, K(c, t, 0), depth + 1);
	case TY_RECORD:
		for (int i = 0; i < N(c, t)->nkids; i++) {
			int r = plain_data(c, K(c, K(c, t, i), 0), depth + 1);
			if (r <= 0) return r;
		}
		return 1;
	default: return 0;
	}
}

/* Does a layout let any of its bytes be written (a w permission anywhere in it)? */
static int writable_data(Ck *c, TyId t, int depth)
{
	t = X(c, t);
	if (!t || depth > 64 || --c->o.budget < 0) return 1;
	switch (N(c, t)->kind) {
	case TY_ARRAY: return (N(c, t)->flags & TF_W) || writable_data(c, K(c, t, 0), depth + 1);
	case TY_RECORD:
		for (int i = 0; i < N(c, t)->nkids; i++)
			if ((N(c, K(c, t, i))->flags & TF_W) || writable_data(c, K(c, K(c, t, i), 0), depth + 1)) return 1;
		return 0;
	default: return 0;
	}
}

/*
** [data.type] an object in .rodata, .data or .bss holds integers only: the
** checker does not vouch for the bytes of initialised data, so a pointer or
** a code address there could be forged.  One in .rodata is read-only: the
** host maps it so, and a write there would fault.
*/
static void check_objects(Ck *c)
{
	c->in = NULL;
	for (uint32_t i = 0; i < c->t.nent && !c->t.full; i++) {   /* (full: said once, and what follows would take long to fail) */
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_OBJECT) continue;
		c->ent = e;
		uint64_t steps = c->steps;
		steps_take(c);
		c->o.err = NULL;
		uint64_t size = 0;
		int plain = plain_data(c, e->type, 0);
		if (plain <= 0)
			report(c, "data.type", "object '%s' has type %s: %s", ty_strof(&c->t, e->name), TYS(e->type),
			       plain ? "too big or too deep to check" : "data may hold only integers");
		else if (!(size = ty_size(&c->o, e->type)) && c->o.err)   /* (0 with no error: an object of no bytes) */
			report(c, "data.type", "object '%s' has type %s, whose size is not known: %s", ty_strof(&c->t, e->name), TYS(e->type), c->o.err);
		else if ((uint64_t)e->offset + size > c->obj.sect[e->sect].n)   /* (ty_decode: an object entry is in a data section) */
			report(c, "data.type", "object '%s' does not fit in its section", ty_strof(&c->t, e->name));
		else if (e->sect == SEC_RODATA && writable_data(c, e->type, 0))
			report(c, "data.type", "object '%s' is in .rodata, which is read-only, but its type %s lets it be written",
			       ty_strof(&c->t, e->name), TYS(e->type));
		steps_take(c);
		if (steps_check(c, steps)) break;
	}
}

/*
** [reloc.symbol] a symbol is what a linker takes it for: no indirect
** function (a linker calls it to find where a call to it goes), thread-
** local or unique symbol, and none but a local one outside the sections
** the checker reads (absolute or common, say).
*/
static const char *symbol_odd(const Elf64_Sym *s, size_t text)
{
	int t = ELF64_ST_TYPE(s->st_info), b = ELF64_ST_BIND(s->st_info);
	if (t != STT_NOTYPE && t != STT_FUNC && t != STT_OBJECT && t != STT_SECTION && t != STT_FILE)
		return "is an indirect function, a thread-local or another kind of symbol the checker does not read";
	if (b != STB_LOCAL && b != STB_GLOBAL && b != STB_WEAK) return "has a binding the checker does not read";
	if (b != STB_LOCAL && s->st_shndx != SHN_UNDEF && (s->st_shndx >= SHN_LORESERVE || !text))
		return "is absolute or common, not in a section the checker reads";
	return NULL;
}

/*
** [export] a global symbol in .text is an entry point other code may call:
** it needs a label type, like every place control may reach.
*/
static void check_globals(Ck *c)
{
	Elf *e = c->obj.elf;
	size_t text = c->obj.sect[SEC_TEXT].index;
	for (Elf_Scn *scn = NULL; e && (scn = elf_nextscn(e, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize) continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = d && d->d_type == ELF_T_SYM ? sh.sh_size / sh.sh_entsize : 0;
		if (d && n > d->d_size / sizeof(Elf64_Sym)) n = d->d_size / sizeof(Elf64_Sym);
		for (size_t i = 1; i < n; i++) {   /* (as gelf_getsym reads them, without its copy: most are local) */
			Elf64_Sym s;
			memcpy(&s, (const char *)d->d_buf + i * sizeof s, sizeof s);
			const char *odd = symbol_odd(&s, text);
			if (odd) {
				const char *name = elf_strptr(e, sh.sh_link, s.st_name);
				c->in = NULL, c->ent = NULL, c->off = -1;
				report(c, "reloc.symbol", "symbol %zu ('%s') %s", i, name ? name : "?", odd);
				continue;
			}
			if (ELF64_ST_BIND(s.st_info) == STB_LOCAL || !text || s.st_shndx != text) continue;
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			c->in = NULL;
			c->ent = NULL;
			c->off = (int64_t)s.st_value;
			if (!label_type(c, (int64_t)s.st_value))
				report(c, "export.type", "'%s' is a global symbol in .text without a label type", name ? name : "?");
		}
	}
	c->off = -1;
}

/* [export] an exported code label has a type, and fits the one exported. */
static void check_exports(Ck *c)
{
	for (uint32_t i = 0; i < c->t.nent; i++) {
		const TyEntry *e = &c->t.ent[i];
		if (e->kind != E_EXPORT) continue;
		c->ent = e;
		c->in = NULL;
		if (entry_id(c, e->name, E_EXPORT, E_EXPORT) != e) {   /* a host would find the first, a reader might take this one */
			report(c, "export.type", "'%s' is exported more than once", ty_strof(&c->t, e->name));
			continue;
		}
		if (e->sect != SEC_TEXT) {
			/* exported data: the object's own type, and no other */
			const TyEntry *o = entry_named(c, ty_strof(&c->t, e->name), E_OBJECT, E_OBJECT);
			if (!o) report(c, "export.type", "'%s' is exported data without an .object type", ty_strof(&c->t, e->name));
			else if (e->type && X(c, e->type) != X(c, o->type))
				report(c, "export.type", "'%s' is exported as %s but is an object of type %s", ty_strof(&c->t, e->name), TYS(e->type), TYS(o->type));
			continue;
		}
		const char *name = ty_strof(&c->t, e->name);
		TyId k = label_type(c, e->offset);
		if (!k) { c->in = NULL; report(c, "export.type", "'%s' is exported but its label has no type", name); continue; }
		if (e->type && X(c, e->type) != X(c, k)) { c->in = NULL; report(c, "export.type", "'%s' is exported as %s but its label has type %s", name, TYS(e->type), TYS(k)); }
	}
}

/*
** [stack.depth] every label's stack need is finite: the deepest its block
** goes, or a call or jump site's depth (+ 8 for a call) + the target's
** need.  A cycle through which the stack grows (recursion) has no finite
** need: it would need the run-time stack check.  A label that declares
** `stack N` must need no more than N.
**
** The labels and the unguarded sites form a graph (a site below a stack
** check is no edge: the check cuts any cycle through it, and it is checked
** against the guard once all needs are known); its strongly connected
** components (Tarjan's algorithm, without recursion) come out callees
** first, so one pass computes every need: linear in labels and sites.
*/
/* Edges e: to label to[e] (0-based), adding w[e] bytes; those of label v are Scc's first <= e < end. */
typedef struct Graph { uint32_t n, *to; int64_t *w; size_t left; } Graph;   /* left: the sites not kept as edges */

/*
** A node of the graph: first and end, its edges (site_graph); in the walk
** for the components (components), index, when it was first seen (0: not
** yet), and low, while it is on the walk's stack, the earliest seen node
** it reaches through nodes still there, and once its component is
** complete, SCC_DONE | the component's number (so two nodes are of one
** component when their lows are equal); val, the visitor's
** (stack_component: the label's need).  One array of them, so that a step
** of the walk touches one line of memory for a node, not one for each of
** its numbers.
*/
typedef struct Scc { uint32_t index, low, first, end; int64_t val; } Scc;
enum { SCC_DONE = UINT32_C(1) << 31 };   /* (more than any count of entries: ty_decode) */

static void stack_report(Ck *c, uint32_t i, const Code *p, int64_t need, int unbounded)
{
	const TyEntry *e = &c->t.ent[i];
	int64_t decl;
	c->ent = e;
	if (unbounded)
		report(c, "stack.depth", "'%s' is on a cycle of calls or jumps along which the stack grows: its use has no bound without a run-time stack check", ty_strof(&c->t, e->name));
	else if (p && p->need && lin_is_const(lin_ref(c, p->need), &decl) && need > decl)
		report(c, "stack.depth", "'%s' may use %lld bytes of stack but declares stack %lld", ty_strof(&c->t, e->name), (long long)need, (long long)decl);
	else if (c->taken[i] && need > declared(c, e->type))
		report(c, "stack.depth", "the address of '%s' is taken, so its type must bound its stack use: it needs 'stack %lld'",
		       ty_strof(&c->t, e->name), (long long)need);
}

/* One component, all of whose successors outside it are done: its labels' needs, in s[v].val. */
static void stack_component(Ck *c, const Graph *g, const uint32_t *comp, uint32_t k, Scc *s)
{
	int64_t best = 0;
	int grows = 0;
	for (uint32_t x = 0; x < k; x++) {
		uint32_t v = comp[x];
		if (c->local[v] > best) best = c->local[v];
		for (uint32_t e = s[v].first; e < s[v].end; e++) {
			uint32_t to = g->to[e];
			int64_t w = g->w[e];
			if (s[to].low == s[v].low) { if (w > 0) grows = 1; }   /* (one component) */
			else if (w + s[to].val > best) best = w + s[to].val;
		}
	}
	/* a label with nothing to report (no cycle, no `stack N`, address not taken) is not looked at again;
	   every label passed place_labels (else no stack check), which marked those with `stack N` */
	for (uint32_t x = 0; x < k; x++) {
		uint32_t v = comp[x];
		s[v].val = c->stackn[v] ? declared(c, c->t.ent[v].type) : best;
		if ((grows || c->stackn[v] || c->taken[v]) && c->t.ent[v].kind == E_LABEL)
			stack_report(c, v, code_of(c, c->t.ent[v].type), best, grows);
	}
}

/* The bytes of stack a site adds to its target's need: its depth, and a call's return address. */
static int64_t site_bytes(const Site *s)
{
	return s->depth + (s->call ? 8 : 0);
}

/* Run r of the sites: the threads' (r < nruns), then the checker's own. */
static SiteRun site_run(const Ck *c, unsigned r)
{
	return r < c->nruns ? c->runs[r] : (SiteRun){ c->site, c->nsite };
}

/* The budget a guarded site had: what its block's state held (entry_state, refine). */
static int64_t site_budget(Ck *c, const Site *s)
{
	return s->guarded == GUARD_CHECKED ? STACK_GUARD : declared(c, c->t.ent[s->from - 1].type);
}

/*
** Once every need is known: each site below a stack check fits in what the
** check promises, the depth since the check (+ 8 for a call) plus the
** target's need, which stops at the target's own checks.
*/
static void check_guarded(Ck *c, const Scc *need)
{
	for (unsigned r = 0; r <= c->nruns; r++) {
		SiteRun run = site_run(c, r);
		for (unsigned i = 0; i < run.n; i++) {   /* (by index: an empty run's p may be NULL) */
			const Site *s = &run.p[i];
			if (!s->guarded) continue;
			int64_t use = site_bytes(s) + need[s->to - 1].val;
			if (use <= site_budget(c, s)) continue;
			TcInst in;
			c->in = inst_at(c, s->at, &in);
			report(c, "stack.depth", "this needs %lld bytes of stack where %lld are known to be there", (long long)use, (long long)site_budget(c, s));
			c->in = NULL;
		}
	}
}

/*
** The strongly connected components of a graph of labels (Tarjan's
** algorithm, without recursion), each handed to `visit` as soon as it is
** complete: callees before their callers.  s: each node's edges, and
** zero for the rest.
*/
typedef void Visit(Ck *c, const Graph *g, const uint32_t *comp, uint32_t k, Scc *s);

/* The walk's own stack holds each node with the next of its edges to follow and the end of them, and is only as deep as the walk goes. */
typedef struct Walk { uint32_t v, next, end; } Walk;

static void components(Ck *c, const Graph *g, Visit *visit, Scc *s)
{
	uint32_t n = g->n;
	uint32_t *stk = xmalloc((n + 1) * sizeof *stk);
	Walk *call = xmalloc((n + 1) * sizeof *call);
	uint32_t counter = 0, sp = 0, cp = 0, ncomp = 0;
	c->in = NULL;
	for (uint32_t root = 0; root < n; root++) {
		if (s[root].index) continue;
		call[cp++] = (Walk){ root, s[root].first, s[root].end };
		s[root].index = s[root].low = ++counter;
		stk[sp++] = root;
		while (cp) {
			Walk *top = &call[cp - 1];
			uint32_t v = top->v;
			if (top->next < top->end) {
				uint32_t w = g->to[top->next++];
				if (!s[w].index) {
					s[w].index = s[w].low = ++counter;
					stk[sp++] = w;
					call[cp++] = (Walk){ w, s[w].first, s[w].end };
				} else if (!(s[w].low & SCC_DONE) && s[w].index < s[v].low) s[v].low = s[w].index;   /* w is on the stack */
				continue;
			}
			cp--;
			if (cp && s[v].low < s[call[cp - 1].v].low) s[call[cp - 1].v].low = s[v].low;
			if (s[v].low != s[v].index) continue;
			uint32_t end = sp;
			ncomp++;
			do { sp--; s[stk[sp]].low = SCC_DONE | ncomp; } while (stk[sp] != v);
			visit(c, g, stk + sp, end - sp, s);
		}
	}
	free(stk); free(call);
}

/* An edge of the graph for the stack bound, or (fuel) for the fuel bound. */
static int site_kept(const Site *s, int fuel) { return fuel ? !s->fueled : !s->guarded; }

/*
** The sites site_kept accepts as edges, label v's (in check order) from
** s[v].first to s[v].end, each with its target and the bytes it adds (the
** depth, and 8 for a call's return address), so that the walks never look
** at the sites.  A block's sites are made one after another while it is
** checked, each block is checked once, by one thread, and the runs of
** sites are each thread's in order (check_parallel): so each label's
** sites are one stretch of the runs, copied out in one pass.  A label
** met in two stretches would break that: 0 then, and nothing is kept.
*/
static int site_graph(Ck *c, int fuel, Graph *g, Scc *s)
{
	uint32_t n = c->t.nent, e = 0, v = UINT32_MAX;
	size_t m = 0;
	for (unsigned r = 0; r <= c->nruns; r++) m += site_run(c, r).n;
	*g = (Graph){ n, xmalloc((m + 1) * sizeof *g->to), xmalloc((m + 1) * sizeof *g->w), 0 };
	Marks met;
	marks_init(&met, n);
	for (unsigned r = 0; r <= c->nruns; r++) {
		SiteRun run = site_run(c, r);
		for (unsigned i = 0; i < run.n; i++) {   /* (by index: an empty run's p may be NULL) */
			const Site *x = &run.p[i];
			if (x->from - 1 != v) {   /* (from is 1-based) */
				v = x->from - 1;
				if (v >= n || marks_has(&met, v)) { marks_free(&met); return 0; }   /* (from 0: not in a block) */
				marks_set(&met, v);
				s[v].first = s[v].end = e;
			}
			if (site_kept(x, fuel)) {
				g->to[e] = x->to - 1;
				g->w[e++] = site_bytes(x);
				s[v].end = e;
			} else g->left++;
		}
	}
	marks_free(&met);
	return 1;
}

/* The graph of the stack bound (fuel 0) or of the fuel bound (fuel 1), in s: 0 if it could not be made (reported). */
static int graph_of(Ck *c, int fuel, Graph *g, Scc *s)
{
	if (site_graph(c, fuel, g, s)) return 1;
	c->in = NULL, c->ent = NULL, c->off = -1;
	report(c, "internal", "a label's calls and jumps were not found together: rejected, to be safe");
	return 0;
}

/*
** [stack.entry] a host enters a module's entry point with rsp at or above
** the stack limit it puts in the context, and promises STACK_GUARD bytes
** below the limit, no more (the rest of its stack is for its services, or
** is a small guard page that a frame could step over).  So an entry point
** may need at most STACK_GUARD bytes of stack; deeper code checks the
** stack first, which cuts its need.
*/
static void check_entries(Ck *c, const Scc *need)
{
	const TalModule *m = &c->obj.mod;
	for (uint32_t i = 0; i < m->nexports; i++) {
		uint32_t off = talmod_export_offset(m, i), v = label_at(c, off);
		if (!v || need[v - 1].val <= STACK_GUARD) continue;
		c->in = NULL;
		c->ent = &c->t.ent[v - 1];   /* reported at its declaration, as stack.depth is */
		report(c, "stack.entry", "the entry point '%s' may use %lld bytes of stack, but a host promises %d: "
		       "check the stack (cmp rsp, [ctx]; jb tal_trap_stack) before going deeper",
		       talmod_export_name(m, i), (long long)need[v - 1].val, STACK_GUARD);
	}
	c->ent = NULL;
	c->off = -1;
}

static void check_stack(Ck *c)
{
	/* a guarded site is no edge: the check before it cuts any cycle through it */
	Graph g;
	Scc *need = xzalloc(c->t.nent + 1, sizeof *need);
	if (graph_of(c, 0, &g, need)) {
		components(c, &g, stack_component, need);
		if (g.left) check_guarded(c, need);   /* (the guarded sites: none is an edge) */
		if (c->obj.is_module) check_entries(c, need);
	}
	free(g.to); free(g.w); free(need);
}

/* A component with a cycle, none of whose edges counts fuel down. */
static void fuel_component(Ck *c, const Graph *g, const uint32_t *comp, uint32_t k, Scc *s)
{
	int cycle = k > 1;
	for (uint32_t e = s[comp[0]].first; !cycle && e < s[comp[0]].end; e++)
		cycle = g->to[e] == comp[0];
	if (!cycle) return;
	const TyEntry *en = &c->t.ent[comp[0]];
	for (uint32_t x = 1; x < k; x++)   /* name the first label of the cycle in the code */
		if (c->t.ent[comp[x]].offset < en->offset) en = &c->t.ent[comp[x]];
	c->ent = en;
	c->in = NULL;
	c->off = en->offset;
	report(c, "fuel.loop", "'%s' is on a loop or a recursion that does not count fuel down: "
	       "sub qword ptr [...], 1 on the context's budget and jb to a trap before going round", ty_strof(&c->t, en->name));
	c->off = -1;
	c->ent = NULL;
}

/*
** [fuel.loop] (kernel profile) every cycle of jumps and calls between labels
** passes a site that comes after a fuel check in its block: the graph of
** the other sites has no cycle, so a run takes at most (fuel + 1) times the
** number of labels steps between host calls.
*/
static void check_fuel(Ck *c)
{
	Graph g;
	Scc *s = xzalloc(c->t.nent + 1, sizeof *s);
	if (graph_of(c, 1, &g, s)) components(c, &g, fuel_component, s);
	free(g.to); free(g.w); free(s);
}

/* [coerce.inst] the pending .inst [arguments] applies to no branch: reported at its line, and dropped. */
static void inst_unused(Ck *c, const char *where)
{
	c->ann = c->inst;
	report(c, "coerce.inst", ".inst [arguments] must come right before a jump or call%s", where);
	c->ann = NULL;
	c->inst = NULL;
}

/*
** Block after block, in the order of the code, from .text offset `from`
** (a typed label, or 0): a label starts a block; the annotations at an
** instruction are applied before it, those on the edge into a label
** (fall-through) before the state enters it.  At `to` (a typed label, or
** the end) it stops, once the way into that label is checked: the block
** there is another part's.
*/
static void check_range(Ck *c, uint32_t from, uint32_t to)
{
	const TcSection *tx = &c->obj.sect[SEC_TEXT];
	const TyAnnot *ann = c->t.ann;
	uint32_t a = 0, a1, na = c->t.nann;
	TcInst buf;
	uint32_t off;
	c->st.live = 0;
	steps_take(c);   /* (then after each instruction, and before skipping one: each one's work, label and all, from a full budget) */
	const TcMemoEntry *next = tc_decode_memo_entry(c->memo, tx->p, tx->n, from);
	size_t at_label = marks_next(&c->labels, from);   /* the next labelled offset: label_at in order */
	for (off = from; off < tx->n; off += buf.len) {
		const TcInst *in = inst_from(c, off, next, &buf);
		if (!in) { c->st.live = 0; break; }   /* not after decode_all: inst_from reported it */
		next = tc_decode_memo_prefetch(c->memo, tx->p, tx->n, off + in->len);   /* the next one's, while this is checked */
		if (c->first) marks_set(&c->starts, off);   /* the first run's decode_all */
		c->in = in;
		while (a < na && ann[c->annx[a]].offset < in->off) a++;
		for (a1 = a; a1 < na && ann[c->annx[a1]].offset == in->off; a1++) continue;
		if (in->off > at_label) at_label = marks_next(&c->labels, in->off);   /* (it was inside the instruction before) */
		uint32_t label = 0;
		if (in->off == at_label) {
			label = c->lab[marks_rank(&c->labels, at_label)];
			at_label = marks_next(&c->labels, at_label + 1);
		}
		uint64_t steps = c->steps;
		if (label) {
			const TyEntry *e = &c->t.ent[label - 1];
			for (uint32_t i = a; c->st.live && i < a1; i++)
				if (ann[c->annx[i]].edge) coerce(c, &ann[c->annx[i]]);
			if (c->inst) inst_unused(c, ", not on the way into a label");   /* no branch takes it */
			if (c->st.live) enter(c, &c->st, e->type, label, c->st.stack, "fall-through");
			if (c->st.live) site(c, label, 0);
			if (off >= to) { c->st.live = 0; break; }   /* (the first run checks below that off is to) */
			const Code *p = code_of(c, e->type);
			if (p) entry_state(c, p, &c->st);
			c->nalias = 0;   /* a block's names are its own */
			c->block = label;
			show_block(c, label);
			c->nblock++;
		}
		if (!c->st.live) { steps_take(c); continue; }   /* no typed path reaches it: never runs */
		c->ninsn++;
		int before = c->errors;
		uint64_t made = c->made;
		for (uint32_t i = a; i < a1; i++)
			if (!ann[c->annx[i]].edge || !label) coerce(c, &ann[c->annx[i]]);
		if (c->errors == before) check_inst(c, in);   /* (after a failed coercion it would only echo it) */
		made_check(c, made);
		steps_take(c);
		steps_check(c, steps);
		if (c->too_big) break;
		if (c->inst && c->errors == before) inst_unused(c, "");   /* (not consumed: no branch, or an error came first) */
		c->inst = NULL;
		if (c->errors != before) {
			c->st.live = 0;   /* one error per block: what follows would only echo it */
			if (c->errors > 20 || c->first) break;
		}
	}
	if (c->st.live) report(c, "flow.end", "execution runs off the end of .text");
	c->in = NULL;   /* it was buf */
	/* the walk from the part's first label reached the next part's: so, by
	   induction from offset 0, it decoded what decode_all would have */
	if (c->first && !c->errors && off != to) report(c, "label.place", "an instruction runs over the label at .text+%#x", to);
}

/* ---- checking in parallel ---- */

static int jobs = 1;
void tc_set_jobs(int n) { jobs = n < 0 ? 1 : n; }

/*
** Automatic: a thread per processor, each with at least PART_MIN bytes of
** code.  The code is cut into up to PARTS_PER_THREAD parts a thread, of
** CHUNK_MIN bytes at least, which the threads take one after another as
** they are done with the last: a thread that runs slower (a busy
** processor) takes fewer, and all finish at about the same time, within
** about a part's time (on the 400k-instruction benchmark, with 8 parts a
** thread, the first done waited up to 1.4 ms for the other).  (A part
** costs next to nothing of its own, so CHUNK_MIN is small: -j N on a small
** file, as the fuzzer does, also cuts more parts than threads.)
*/
enum { PART_MIN = 64 * 1024, THREADS_MAX = 64, PARTS_PER_THREAD = 32, CHUNK_MIN = 512 };

/*
** A thread of the first, quiet run: a copy of the checker whose tables are
** its own (ty_fork, tyops_fork) where checking writes them, and the
** original's where it only reads them (the bytes, the strings, the
** entries, the indexes of labels and names).  It checks parts of .text,
** from one typed label to another, taken in turn from the shared counter
** `next`, until none is left or a thread has found an error: one error is
** enough to have the whole checked again in one thread, which reports
** exactly what it would have alone.  Each thread marks where its
** instructions start in marks of its own.
*/
typedef struct Part { uint32_t from, to; } Part;
typedef struct Worker {
	const Ck *orig;             /* what its checker is forked from       */
	Ck *c;                      /* the fork (made by the thread itself)  */
	size_t room;                /* bytes of code it may check: room_for_types */
	int lend;                   /* its fork is lent the original's arrays (the first's) */
	const Part *part;
	uint32_t np;
	atomic_uint *next;          /* the next part to take                 */
	atomic_int *stop;           /* a thread found an error               */
	TcJob job;                  /* run by a member of the crew, or       */
	pthread_t th;               /* by a thread of its own                */
	int how;                    /* RUN_*                                 */
} Worker;
enum { RUN_NONE, RUN_CREW, RUN_THREAD };

/* A checker for a thread; `lend`: it makes its nodes in c's arrays (ty_lend), which one fork at a time may. */
static Ck *ck_fork(const Ck *c, int lend)
{
	Ck *w = xmalloc(sizeof *w);
	*w = *c;
	if (lend) ty_lend(&w->t, &c->t);
	else ty_fork(&w->t, &c->t);
	tyops_fork(&w->o, &c->o, &w->t);
	w->memo = tc_decode_memo_new(c->obj.sect[SEC_TEXT].n);
	ememo_new(w);
	w->mine = NULL, w->nmine = 0, w->mbase = c->t.nnode;   /* (w->code: the parts made before, read in place: never changed) */
	memset(&w->older, 0, sizeof w->older);
	memset(&w->arena, 0, sizeof w->arena);
	w->site = NULL;
	w->runs = NULL;
	w->nsite = w->nruns = w->capruns = 0;
	w->taken = xcalloc(c->t.nent + 1, 1);
	marks_init(&w->starts, c->obj.sect[SEC_TEXT].n);   /* (a fork is of the first run) */
	memset(&w->lt, 0, sizeof w->lt);
	w->lt_read = 0;
	w->errors = 0;
	w->ninsn = w->nblock = 0;
	w->slots = 0;
	w->made = 0;
	w->t.cap = ty_parts(&w->t) + grow_allowed(c) / 4;
	w->steps = 0;
	w->steps_max = steps_allowed(c) / 4;
	w->facts_seen = facts_work();   /* (ck_fork runs in the thread that checks with the fork) */
	w->too_big = 0;
	w->first = 1;
	w->sink = NULL;
	return w;
}

static void ck_fork_free(Ck *w)
{
	ty_free(&w->t);
	tyops_free(&w->o);
	tc_decode_memo_free(w->memo);
	ememo_free(w->ememo);
	free(w->mine);
	free(w->older.key);
	free(w->older.val);
	arena_free(&w->arena);
	sites_free(w);
	free(w->taken);
	marks_free(&w->starts);
	free(w);
}

static void room_for_types(Ck *c, size_t code_bytes);

/* A worker: its fork first (in its own thread, so the forks are made side by side), then parts. */
static void check_parts(void *arg)
{
	Worker *w = arg;
	if (atomic_load(w->next) >= w->np) return;   /* nothing left: no fork */
	w->c = ck_fork(w->orig, w->lend);
	room_for_types(w->c, w->room);
	while (!atomic_load(w->stop)) {
		unsigned i = atomic_fetch_add(w->next, 1);
		if (i >= w->np) break;
		check_range(w->c, w->part[i].from, w->part[i].to);
		if (w->c->errors || w->c->too_big) atomic_store(w->stop, 1);
	}
}

static void *check_parts_thread(void *arg)
{
	check_parts(arg);
	return NULL;
}

/*
** Checking makes types (S(k) for constants, sums, fresh variables): about
** one per 16 bytes of code, made room for at once (up to 2^20) rather
** than by doubling the hash-cons table as they come.
*/
static void room_for_types(Ck *c, size_t code_bytes)
{
	size_t more = code_bytes / 16;
	ty_node_reserve(&c->t, more < (1u << 20) ? more : (1u << 20));
}

/* How many threads: -j N asks for N; 0 means one per processor, each with PART_MIN bytes at least. */
static uint32_t threads_wanted(const Ck *c)
{
	size_t n = c->obj.sect[SEC_TEXT].n;
	size_t k = jobs > 0 ? (size_t)jobs : n / PART_MIN;
	long cpus = jobs == 0 && k > 1 ? sysconf(_SC_NPROCESSORS_ONLN) : 0;   /* (it reads a file: not for a small one) */
	if (cpus > 0 && k > (size_t)cpus) k = (size_t)cpus;
	return k > THREADS_MAX ? THREADS_MAX : k < 1 ? 1 : (uint32_t)k;
}

/*
** Check the parts in k threads; 1 when every part passed (the starts and
** taken labels are then the original's, as one thread would have found
** them, and so are the stack sites, kept as each thread's run of them, in
** another order, which the stack bound does not depend on), -1 when one
** failed, 0 when a thread could not start or there are not two parts to
** cut (nothing is kept then).
*/
static int check_parallel(Ck *c, uint32_t k)
{
	size_t n = c->obj.sect[SEC_TEXT].n;
	size_t want = n / CHUNK_MIN;
	uint32_t chunks = want < k ? k : want > (size_t)k * PARTS_PER_THREAD ? k * PARTS_PER_THREAD : (uint32_t)want;
	Part *part = xmalloc(chunks * sizeof *part);
	uint32_t np = 0, at = 0;
	for (uint32_t i = 0; i < chunks && at < n; i++) {
		size_t end = n / chunks * (i + 1);
		uint32_t to = i + 1 == chunks ? (uint32_t)n : (uint32_t)marks_next(&c->labels, end > at ? end : at + 1);
		if (to <= at) continue;
		part[np++] = (Part){ .from = at, .to = to };
		at = to;
	}
	if (np < 2) { free(part); return 0; }   /* no code, or no label to cut at: one thread */
	if (k > np) k = np;
	Worker w[THREADS_MAX];
	atomic_uint next = 0;
	atomic_int stop = 0;
	for (uint32_t i = 0; i < k; i++)
		w[i] = (Worker){ .orig = c, .room = n / k, .lend = i == 0, .part = part, .np = np, .next = &next, .stop = &stop,
		                 .job = { .fn = check_parts, .arg = &w[i] } };
	int ok = 1;
	for (uint32_t i = 1; ok && i < k; i++) {   /* a member of the crew if one is free, else a thread */
		if (tc_crew_run(&w[i].job)) w[i].how = RUN_CREW;
		else if (pthread_create(&w[i].th, NULL, check_parts_thread, &w[i]) == 0) w[i].how = RUN_THREAD;
		else ok = 0;
	}
	if (ok) check_parts(&w[0]);
	else atomic_store(&stop, 1);
	for (uint32_t i = 1; i < k; i++)
		if (w[i].how == RUN_CREW) tc_crew_wait(&w[i].job);   /* (or taken back, not run: w[i].c stays NULL) */
		else if (w[i].how == RUN_THREAD) pthread_join(w[i].th, NULL);
	int failed = 0;
	uint64_t slots = 0, made = 0, grew = 0, steps = 0;
	int big = 0;
	for (uint32_t i = 0; i < k; i++)
		if (w[i].c) {
			failed |= w[i].c->errors != 0, slots += w[i].c->slots, made += w[i].c->made;
			grew += ty_parts(&w[i].c->t) - ty_parts(&c->t), steps += w[i].c->steps;
			big |= w[i].c->t.full || w[i].c->too_big;
		}
	failed |= slots > slots_allowed(c) || made > made_allowed(c);   /* (adjust_rsp, made_check: the one-thread check reports it) */
	big |= grew > grow_allowed(c) / 4 || c->steps + steps > steps_allowed(c) / 4;   /* (grow_allowed, steps_allowed: one thread decides) */
	if (big) failed = 0;
	ok = ok && !failed && !big && atomic_load(&next) >= np;   /* (every part taken: none was left by a stop) */
	if (ok) c->nthreads = k;   /* (those the parts were shared among: one may have taken none) */
	for (uint32_t i = 0; ok && i < k; i++) {
		Ck *x = w[i].c;
		if (!x) continue;   /* it took no part */
		c->ninsn += x->ninsn;
		c->nblock += x->nblock;
		for (uint32_t e = 0; e < c->t.nent; e++) c->taken[e] |= x->taken[e];
		for (size_t y = 0; y <= n / 64; y++) c->starts.w[y] |= x->starts.w[y];
		for (unsigned r = 0; r <= x->nruns; r++) {   /* taken as they are, not copied */
			SiteRun run = site_run(x, r);
			if (run.n) site_run_add(c, run.p, run.n);
			else free(run.p);
		}
		free(x->runs);
		x->runs = NULL, x->site = NULL;
		x->nruns = x->nsite = 0;
	}
	for (uint32_t i = 0; i < k; i++)
		if (w[i].c) ck_fork_free(w[i].c);
	free(part);
	return failed ? -1 : ok;
}

/*
** Every block, once.  In the first run, in parts, in threads, when there
** is enough code; the deepest stack use of each block (local) is written
** by the thread that checks the block, so no two threads write one.
** Should a part fail, so does the run.
*/
static void check_blocks(Ck *c)
{
	uint32_t k = c->first && !c->errors ? threads_wanted(c) : 1;
	int r = k > 1 ? check_parallel(c, k) : 0;
	if (r < 0) c->errors++;
	if (r) return;
	memset(c->local, 0, c->t.nent * sizeof *c->local);
	c->nthreads = 1;
	ememo_new(c);
	room_for_types(c, c->obj.sect[SEC_TEXT].n);
	check_range(c, 0, (uint32_t)c->obj.sect[SEC_TEXT].n);
}

/*
** The line table is checked whole (lt_check) before a file is accepted,
** though only a diagnostic reads it.  The second run checks it as it
** loads, before anything it reports; the first, whose verdict stands only
** when it found nothing, checks it last, beside check_stack, on a member
** of the crew when one is free (a job that reads the section's bytes and
** nothing else).  A corrupt table gets the same message either way.  Of
** a module read in parts (tc_read_checked), the job first reads the table
** from the file (tc_read_later): no one else reads those bytes until the
** job is done.
*/
typedef struct Lines { TcJob job; TcLater *later; const uint8_t *p; size_t n; int r, handed; char err[512]; } Lines;

static void lines_check(void *arg)
{
	Lines *l = arg;
	if (l->later && tc_read_later(l->later) != 0) { l->r = -1; return; }
	l->r = lt_check(l->p, l->n, l->err, sizeof l->err);
}

static void lines_start(Ck *c, Lines *l)
{
	*l = (Lines){ .job = { .fn = lines_check, .arg = l }, .later = c->later, .p = c->obj.lines.p, .n = c->obj.lines.n };
	l->handed = tc_crew_run(&l->job);
}

/* The file's line table could not be read (tc_read_later): -1, reported. */
static int later_failed(Diag *d, const char *path, const TcLater *later)
{
	diag_fatal(d, "cannot read '%s': %s", path, strerror(later->err));
	return -1;
}

/* Once the check is done (here, if no member took it): 0, or -1 with the table's fault reported when nothing else was. */
static int lines_finish(Ck *c, Lines *l)
{
	if (!l->handed || !tc_crew_wait(&l->job)) lines_check(l);   /* (not handed, or taken back) */
	if (l->later && l->later->err) return later_failed(c->d, c->path, l->later);
	if (l->r == 0 || c->errors) return 0;   /* (errors: the second run reports, the table first if it is at fault) */
	diag_fatal(c->d, "%s: corrupt type section: %s", c->path, l->err);
	return -1;
}

static int load(Ck *c, const char *path, const uint8_t *image, size_t len)
{
	char err[512];
	if (tc_open_image(&c->obj, path, image, len, err, sizeof err) != 0) { diag_fatal(c->d, "%s", err); return -1; }
	if (!c->obj.types.index || !c->obj.lines.index) {
		diag_fatal(c->d, "%s: no type sections (.tal.types, .tal.lines): not a TAL object", path);
		return -1;
	}
	if (ty_decode(&c->t, c->obj.types.p, c->obj.types.n, err, sizeof err) != 0 ||
	    (!c->first && lt_check(c->obj.lines.p, c->obj.lines.n, err, sizeof err) != 0)) {
		diag_fatal(c->d, "%s: corrupt type section: %s", path, err);
		return -1;
	}
	return 0;
}

/* ---- a label's own variables as slots ---- */

/*
** A label's type is checked with its own variables as slots: binder i of
** its code type becomes slot i (TY_SLOT), and so does every use of it, so
** that label types which differ only in the names they bind, as every
** function's do when a compiler names them apart, are one node, and what
** is worked out for one (its parts, its sorts, the entries into it, the
** facts of its blocks) serves them all.  Only names change: a binder
** inside that binds one of the label's names again hides it there, as
** before, and no name a section spells is a slot, so none is captured.
** The blocks of a label, and the ways into it, see the type with slots;
** its address taken and its export see it as written (as_written); what
** is printed names a slot as the label's binder is named (t.show).  The
** walk is bounded (SLOT_STEPS for each node of the table, in all), and
** so is what it makes (the table at most doubles, and SLOT_ROOM more):
** past either, and for a type with no binders, one that binds a name
** twice, or one too big, the label keeps its type as written, which means
** the same.
*/
enum { SLOT_STEPS = 8, SLOT_ROOM = 1 << 16, SLOT_KIDS = 128, SLOT_DEPTH = 64, SLOT_KEY = 4, SLOT_MEMO_BITS = 11 };

/*
** What a node becomes depends only on the names it may hold (its vars
** mask) and their slots, which labels of one function share even when
** they bind more or fewer names: kept by that, up to SLOT_KEY names, in
** a table of at most 2^SLOT_MEMO_BITS (64 KiB): what it serves is mostly
** reused soon, by the next labels of the same function, and a larger one
** was a cache miss a node (400k instructions, distinct names: the
** rewriting took 37 ms with 2^16, 30 with 2^11).
*/
typedef struct SlotMemo { TyId id, to; uint32_t n; StrId name[SLOT_KEY]; uint8_t slot[SLOT_KEY]; } SlotMemo;
typedef struct Slotting { SlotMemo *memo; uint32_t mask; int64_t steps; TyId binder[TK_SIZE + 1][TY_SLOTS], var[TY_SLOTS]; } Slotting;

/* The bits (TyNode.vars) of the names of from that are not hidden. */
static uint32_t slot_bits(const StrId *from, int n)
{
	uint32_t bits = 0;
	for (int i = 0; i < n; i++)
		if (from[i]) bits |= ty_var_bit(from[i]);
	return bits;
}

/* id with the variables from[i] (0: hidden) as slot i; 0 when the walk is too long or too deep.  bits: slot_bits(from, n). */
static TyId slot_rename(Ck *c, Slotting *g, TyId id, const StrId *from, int n, uint32_t bits, int depth)
{
	const TyNode *x = N(c, id);
	uint32_t vars = x->vars & bits, k = 0;
	if (!vars) return id;
	if (depth > SLOT_DEPTH || --g->steps < 0) return 0;
	if (x->kind == TY_VAR) {
		for (int i = 0; i < n; i++)
			if (from[i] == x->name) {
				TyId *v = x->flags ? NULL : &g->var[i];
				if (v && *v) return *v;
				TyId r = mk(c, TY_VAR, x->flags, ty_slot(i), 0, NULL, 0);
				if (v) *v = r;
				return r;
			}
		return id;
	}
	SlotMemo key = { .id = id };
	uint64_t h = id * UINT64_C(0x9e3779b97f4a7c15);
	for (int i = 0; i < n; i++)
		if (from[i] && (ty_var_bit(from[i]) & vars)) {
			if (k < SLOT_KEY) key.name[k] = from[i], key.slot[k] = (uint8_t)i;
			h = (h ^ from[i] ^ (uint64_t)i << 32) * UINT64_C(0x9e3779b97f4a7c15);
			k++;
		}
	SlotMemo *m = k <= SLOT_KEY ? &g->memo[h >> 40 & g->mask] : NULL;
	key.n = k;
	if (m && m->id == id && m->n == k && !memcmp(m->name, key.name, sizeof key.name) && !memcmp(m->slot, key.slot, sizeof key.slot))
		return m->to;
	StrId inner[TY_SLOTS];
	const StrId *in = from;
	uint32_t inbits = bits;
	if (x->kind == TY_CODE || x->kind == TY_EXISTS || x->kind == TY_MU) {   /* names it binds again are its own inside */
		memcpy(inner, from, (size_t)n * sizeof *from);
		for (int b = 0; b < x->nkids && N(c, K(c, id, b))->kind == TY_BINDER; b++)
			for (int i = 0; i < n; i++)
				if (inner[i] == N(c, K(c, id, b))->name) inner[i] = 0;
		for (int i = 0; x->kind == TY_MU && i < n; i++)
			if (inner[i] == x->name) inner[i] = 0;
		in = inner;
		inbits = slot_bits(inner, n);
	}
	int nk = x->nkids, changed = 0;
	TyId kids[SLOT_KIDS];
	if (nk > SLOT_KIDS) return 0;
	for (int i = 0; i < nk; i++) {
		TyId kid = K(c, id, i);
		if (!(kids[i] = slot_rename(c, g, kid, in, n, inbits, depth + 1))) return 0;
		changed |= kids[i] != kid;
	}
	x = N(c, id);   /* (the table may have moved) */
	key.to = changed ? mk(c, x->kind, x->flags, x->name, x->value, kids, nk) : id;
	if (m && key.to) *m = key;
	return key.to;
}

/* Code type t with its binders as slots, or t itself. */
static TyId slot_type(Ck *c, Slotting *g, TyId t)
{
	int nb = binders(c, t), nk = N(c, t)->nkids;
	if (N(c, t)->kind != TY_CODE || !nb || nb > TY_SLOTS || nk > SLOT_KIDS || twice(c, t)) return t;
	StrId from[TY_SLOTS];
	TyId kids[SLOT_KIDS];
	for (int i = 0; i < nb; i++) {
		int sort = N(c, K(c, t, i))->flags;
		TyId b = sort <= TK_SIZE ? g->binder[sort][i] : 0;   /* (a bad sort: made, not kept) */
		from[i] = N(c, K(c, t, i))->name;
		if (!b) b = mk(c, TY_BINDER, sort, ty_slot(i), 0, NULL, 0);
		if (sort <= TK_SIZE) g->binder[sort][i] = b;
		if (!(kids[i] = b)) return t;
	}
	for (int i = nb; i < nk; i++)
		if (!(kids[i] = slot_rename(c, g, K(c, t, i), from, nb, slot_bits(from, nb), 1))) return t;
	TyId r = mk(c, TY_CODE, N(c, t)->flags, N(c, t)->name, 0, kids, nk);
	return r ? r : t;
}

/* Every label's type with slots; the type as written kept in c->orig. */
static void slot_labels(Ck *c)
{
	uint32_t nnode = c->t.nnode;
	uint64_t cap = c->t.cap;
	int full = c->t.full;
	c->t.cap = 2 * ty_parts(&c->t) + SLOT_ROOM;   /* (a node of many kids in each step would be too much: a type past it keeps its own) */
	unsigned bits = tc_table_bits(nnode, 6, SLOT_MEMO_BITS);
	Slotting g = { .memo = xzalloc((size_t)1 << bits, sizeof *g.memo), .mask = (UINT32_C(1) << bits) - 1, .steps = SLOT_STEPS * (int64_t)nnode };
	struct { TyId to; uint32_t at; } *done = xzalloc(nnode, sizeof *done);   /* by type as written: with slots, and where its names are */
	uint32_t npool = 0, cappool = 0;
	c->orig = xzalloc(c->t.nent + 1, sizeof *c->orig);
	c->slotat = xzalloc(c->t.nent + 1, sizeof *c->slotat);
	for (uint32_t i = 0; i < c->t.nent && g.steps > 0; i++) {
		TyEntry *e = &c->t.ent[i];
		TyId t = e->type;
		if (e->kind != E_LABEL || !t || t >= nnode) continue;
		if (!done[t].to) done[t].to = slot_type(c, &g, t);
		if (done[t].to == t) continue;
		if (!done[t].at) {   /* (types are shared: their names too) */
			int nb = binders(c, t);   /* (slot_type made slots: at most TY_SLOTS) */
			c->slotpool = xgrow(c->slotpool, sizeof *c->slotpool, (size_t)npool + (size_t)nb + 1, &cappool);
			done[t].at = npool + 1;
			c->slotpool[npool++] = (StrId)nb;
			for (int j = 0; j < nb; j++) c->slotpool[npool++] = N(c, K(c, t, j))->name;
		}
		c->orig[i] = t, e->type = done[t].to, c->slotat[i] = done[t].at;
	}
	free(done);
	free(g.memo);
	c->t.cap = cap;
	c->t.full = full;
}

/*
** What comes before the blocks.  The first run does not decode .text on
** its own: its walks over the blocks do (and, in a module, find the fields
** that reach a stub or the constants as they go: field_reloc), and what
** needs to know where instructions start waits for them (check_places).
*/
static int before_blocks(Ck *c)
{
	if (c->first) {
		c->memo = tc_decode_memo_new(c->obj.sect[SEC_TEXT].n);
		marks_init(&c->starts, c->obj.sect[SEC_TEXT].n);
	} else if (decode_all(c) != 0)
		return -1;
	if (c->obj.is_module) {
		const TalModule *m = &c->obj.mod;
		c->stubsym = xcalloc(m->nstubs + 1, sizeof *c->stubsym);
		for (uint32_t i = 0; i < m->nstubs; i++) {
			const char *name = talmod_import_name(m, i);
			c->stubsym[i] = ty_str(&c->t, name, strlen(name));
		}
		if (!c->first) module_fields(c);   /* the first run makes each as it meets it (field_reloc) */
	}
	reloc_names(c);
	if (check_relocs(c, !c->first) != 0) return -1;
	if (place_labels(c) != 0 || check_typedefs(c) != 0) return -1;
	int before = c->errors;
	check_sorts(c);
	return c->errors == before ? 0 : -1;
}

/* Wall-clock milliseconds, for TcStats. */
static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

/* Time from *t to now added to *to; *t moves on. */
static void lap(double *t, double *to)
{
	double now = now_ms();
	*to += now - *t;
	*t = now;
}

/* One run over the file: the errors, or -1 if it could not be read (reported). */
static int check_run(const char *path, const uint8_t *image, size_t len, TcLater *later, Diag *d, const TcSink *sink, int profile, int first, TcStats *stats)
{
	Ck *c = xcalloc(1, sizeof *c);
	c->path = path;
	c->later = later;
	c->d = d;
	c->sink = sink;
	c->kernel = profile == TC_PROFILE_KERNEL;
	c->off = -1;
	c->first = first;
	TcStats none = { 0 }, *s = stats ? stats : &none;   /* (timed either way: a few clock reads) */
	double t = now_ms(), start = t;
	ty_init(&c->t);
	c->t.nopos = first;   /* (the first run reports nothing: report) */
	lt_init(&c->lt);
	int r = -1, failed = 0, lined = 0;
	Lines lines;
	if (load(c, path, image, len) == 0) {
		lap(&t, &s->load);
		slot_labels(c);   /* (its nodes are the section's, as far as [type.size] goes) */
		c->t.cap = ty_parts(&c->t) + grow_allowed(c);   /* [type.size] */
		c->steps_max = steps_allowed(c);
		c->facts_seen = facts_work();
		ty_names_index(&c->t, &c->names);
		if (c->obj.is_module) check_module_imports(c);
		else check_object_imports(c);
		tyops_init(&c->o, &c->t);
		c->o.selfbits = tc_table_bits(c->obj.sect[SEC_TEXT].n / 64, 6, TY_SELF_BITS);   /* (a small file, a small cache) */
		if (before_blocks(c) == 0) {
			check_exports(c);
			if (c->obj.is_module) check_module_exports(c);
			else check_globals(c);
			check_objects(c);
			build_segs(c);
			lap(&t, &s->before);
			check_blocks(c);
			lap(&t, &s->blocks_ms);
			lined = c->first && !c->errors;   /* (an error now: the second run checks the lines) */
			if (lined) lines_start(c, &lines);
			if (!c->errors && c->first) check_places(c);
			if (!c->errors) check_stack(c);
			if (!c->errors && c->kernel) check_fuel(c);
			if (lined && lines_finish(c, &lines) != 0) failed = 1;
			lap(&t, &s->after);
		}
		if (c->first && !lined && !c->errors) {   /* no first run accepts a file with its line table unchecked */
			lines_start(c, &lines);
			if (lines_finish(c, &lines) != 0) failed = 1;
		}
		s->runs++;
		s->insns = c->ninsn;
		s->blocks = c->nblock;
		s->code = c->obj.sect[SEC_TEXT].n;
		s->threads = c->nthreads ? c->nthreads : 1;
		/* the second run comes only after the first found an error: they disagree, so one is wrong */
		if (!c->first && !c->errors) {
			c->in = NULL, c->off = -1, c->ent = NULL;
			report(c, "internal", "the first, threaded run of the checker found an error that this one did not: rejected, to be safe");
		}
		r = failed ? -1 : c->errors;
		tyops_free(&c->o);
	}
	tc_close(&c->obj);
	ty_free(&c->t);
	lt_free(&c->lt);
	tc_decode_memo_free(c->memo);
	marks_free(&c->starts);
	marks_free(&c->labels);
	free(c->lab);
	free(c->annx);
	free(c->local);
	free(c->taken);
	free(c->stackn);
	free(c->orig);
	free(c->slotat);
	free(c->slotpool);
	free(c->tdsort);
	ty_names_free(&c->names);
	free(c->relsym);
	free(c->stubsym);
	free(c->seg);
	free(c->objs);
	sites_free(c);
	free(c->code);
	ememo_free(c->ememo);
	arena_free(&c->arena);
	lap(&start, &s->total);
	free(c);
	return r < 0 ? -1 : r;
}

/*
** Two runs, the second only when the first finds an error.  The first is
** quiet and fast (in threads, .text decoded once); the second checks in
** one thread, in the order the rules are written, and reports: so every
** message, and the order of the messages, is the same whatever the
** threads did.  A file that cannot be read is reported by the first.
*/
static int check_image(const char *path, const uint8_t *image, size_t len, TcLater *later, Diag *d, const TcSink *sink, int profile, TcStats *stats)
{
	if (stats) memset(stats, 0, sizeof *stats);
	int r = check_run(path, image, len, later, d, sink, profile, 1, stats);
	if (r > 0 && later && tc_read_later(later) != 0) return later_failed(d, path, later);   /* (the first run stopped before it) */
	return r > 0 ? check_run(path, image, len, NULL, d, sink, profile, 0, stats) : r;
}

int tc_check_image(const char *path, const uint8_t *image, size_t len, Diag *d, const TcSink *sink, int profile, TcStats *stats)
{
	return check_image(path, image, len, NULL, d, sink, profile, stats);
}

int tc_check_object(const char *path, Diag *d, const TcSink *sink, int profile, uint8_t **image, size_t *len, TcStats *stats)
{
	uint8_t *p;
	size_t n;
	char err[512];
	double t = stats ? now_ms() : 0;
	if (image) *image = NULL, *len = 0;
	if (stats) memset(stats, 0, sizeof *stats);
	TcLater later = { .fd = -1 };
	if ((image ? tc_read(path, &p, &n, err, sizeof err) : tc_read_checked(path, &p, &n, &later, err, sizeof err)) != 0) {
		diag_fatal(d, "%s", err);
		return -1;
	}
	double read = stats ? now_ms() - t : 0;
	int r = check_image(path, p, n, later.fd >= 0 ? &later : NULL, d, sink, profile, stats);
	tc_later_drop(&later);
	if (stats) stats->read = read, stats->total += read;
	if (image) *image = p, *len = n;
	else tc_unread(p, n);
	return r;
}
