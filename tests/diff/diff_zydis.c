/*
** diff_zydis.c - the verifier's strict decoder (typecheck/decode.c) against
** Zydis, an independent full x86-64 decoder.
**
**   diff_zydis stream OBJ                 every instruction of OBJ's .text
**   diff_zydis random SEED COUNT [OBJ]    COUNT random byte strings
**   diff_zydis sweep                      every prefix x opcode x ModRM
**
** stream: OBJ is what talas made of gen_encoding's source, so its .text
** holds every form talas emits.  It is decoded instruction by instruction
** from offset 0 with tc_decode and with Zydis (64-bit mode): every
** instruction must be accepted by us, and both must agree on the length,
** the mnemonic, the operation width and the visible operands (registers by
** name, memory base/index/scale/displacement/width, immediate values,
** branch targets).  Every row of the table the decoder may produce (not
** X_ALIAS) must be seen at least once.
**
** random: byte strings from a seeded generator, a mixture of uniform random
** bytes, random prefixes + table opcodes + random operand bytes, and
** mutations of OBJ's valid instructions (bit flips, byte changes, inserted
** and deleted prefixes, truncation), so that accepted ones are frequent.
** Whenever we accept, Zydis must decode identically.  Counts are printed.
**
** sweep: no prefix or 66, no REX or any of the 16, every opcode of the
** one-byte and 0f maps, every ModRM byte, then operand bytes from a few
** fixed tails (4.5 million encodings); then f3 before every opcode and
** ModRM byte (endbr64's prefix); checked as in random mode.
**
** Every instruction we accept is also re-encoded with talas's encoder
** (as_encode) and decoded back: it must be one talas can write, meaning the
** same thing (in stream mode, the very same bytes).
**
** And every REX bit of an accepted instruction must be needed: with one
** cleared (or the REX dropped), the bytes are rejected or mean another
** instruction.
**
** In every mode the code is placed so that it ends exactly at a page the
** process may not read: a decoder that reads past `n` crashes the test.
**
** Known and tolerated difference: 66 90 is xchg ax, ax for us (the row
** that talas and GNU as encode it with) and nop for Zydis.  Immediate
** widths are compared loosely: Zydis gives the field width (8 for the imm8
** of 83), we give the operation width (8 bits only for shift counts).
** Zydis gives scale 0 when there is no index, we give 1.
**
** Exit: 0 identical, 1 a difference or a rejection, 2 usage or I/O.
*/
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "as.h"
#include "tc.h"

static ZydisDecoder zdec;
static ZydisFormatter zfmt;

/* Zydis spells condition codes this way (jnz, setnbe, cmovnl). */
static const char *const zcc[16] = {
	"o", "no", "b", "nb", "z", "nz", "be", "nbe", "s", "ns", "p", "np", "l", "nl", "le", "nle",
};

/* ---- memory that ends at an unreadable page ---- */

typedef struct Guard { uint8_t *base; size_t size, page; } Guard;

/*
** Room for `size` bytes followed by a PROT_NONE page; guarded_at returns
** where n bytes must start to end right at it.
*/
static int guard_init(Guard *g, size_t size)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->size = (size + g->page - 1) / g->page * g->page;
	g->base = mmap(NULL, g->size + g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->base == MAP_FAILED) return -1;
	return mprotect(g->base + g->size, g->page, PROT_NONE);
}

static uint8_t *guarded_at(const Guard *g, size_t n)
{
	return g->base + g->size - n;
}

/* ---- comparison ---- */

/* Zydis's name for our mnemonic: the cc families take Zydis's cc spelling. */
static void expected_mnem(const TcInst *in, char *buf, size_t cap)
{
	int cc = in->mnem == MN_JCC || in->mnem == MN_SETCC || in->mnem == MN_CMOVCC;
	snprintf(buf, cap, "%s%s", x86_mnem_name(in->mnem), cc ? zcc[in->cc & 15] : "");
}

/* Zydis's name of a base or index register; "" for none. */
static const char *zreg(ZydisRegister r)
{
	return r == ZYDIS_REGISTER_NONE ? "" : ZydisRegisterGetString(r);
}

/* Our base/index register as Zydis names it. */
static const char *oreg(int r)
{
	return r == R_NONE ? "" : x86_reg_name(r, S64);
}

/* One operand; 0 when identical, else a reason in why. */
static int same_op(const ZydisDecodedInstruction *zi, const ZydisDecodedOperand *z, const TcOp *o,
                   uint64_t at, char *why, size_t cap)
{
	switch (o->kind) {
	case TC_REG:
		if (z->type != ZYDIS_OPERAND_TYPE_REGISTER ||
		    strcmp(ZydisRegisterGetString(z->reg.value), x86_reg_name(o->reg, o->size)))
			return snprintf(why, cap, "register %s", x86_reg_name(o->reg, o->size)), 1;
		return 0;
	case TC_MEM:
		if (z->type != ZYDIS_OPERAND_TYPE_MEMORY) return snprintf(why, cap, "not memory for Zydis"), 1;
		if (strcmp(zreg(z->mem.base), o->base == R_RIP ? "rip" : oreg(o->base)))
			return snprintf(why, cap, "base %s vs %s", oreg(o->base), zreg(z->mem.base)), 1;
		if (strcmp(zreg(z->mem.index), oreg(o->index)))
			return snprintf(why, cap, "index %s vs %s", oreg(o->index), zreg(z->mem.index)), 1;
		if ((o->index == R_NONE ? 0 : o->scale) != z->mem.scale || (o->index == R_NONE && o->scale != 1))
			return snprintf(why, cap, "scale %d vs %d", o->scale, z->mem.scale), 1;
		if (o->val != z->mem.disp.value)
			return snprintf(why, cap, "disp %" PRId64 " vs %" PRId64, o->val, (int64_t)z->mem.disp.value), 1;
		if (o->size ? z->size != 8 * o->size : z->mem.type != ZYDIS_MEMOP_TYPE_AGEN)
			return snprintf(why, cap, "memory width %d vs %d bits", 8 * o->size, z->size), 1;
		return 0;
	case TC_IMM:
		if (z->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || z->imm.is_relative)
			return snprintf(why, cap, "not an immediate for Zydis"), 1;
		if ((uint64_t)o->val != z->imm.value.u)
			return snprintf(why, cap, "immediate 0x%" PRIx64 " vs 0x%" PRIx64, (uint64_t)o->val, (uint64_t)z->imm.value.u), 1;
		if (!(o->size == S8 && z->size == 8) && 8 * o->size != zi->operand_width)
			return snprintf(why, cap, "immediate width %d vs %d bits", 8 * o->size, zi->operand_width), 1;
		return 0;
	case TC_REL: {
		ZyanU64 t = 0;
		if (z->type != ZYDIS_OPERAND_TYPE_IMMEDIATE || !z->imm.is_relative ||
		    !ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(zi, z, at, &t)))
			return snprintf(why, cap, "not a relative target for Zydis"), 1;
		if (t != (uint64_t)o->val)
			return snprintf(why, cap, "target 0x%" PRIx64 " vs 0x%" PRIx64, (uint64_t)o->val, (uint64_t)t), 1;
		return 0;
	}
	}
	return snprintf(why, cap, "operand kind %d", o->kind), 1;
}

/* 66 90: our xchg ax, ax, Zydis's 16-bit nop. */
static int is_xchg_ax_ax(const TcInst *in)
{
	return in->mnem == MN_XCHG && in->size == S16 && in->nops == 2 && in->op[0].kind == TC_REG &&
	       in->op[0].reg == R_RAX && in->op[1].kind == TC_REG && in->op[1].reg == R_RAX;
}

static unsigned long xchg_ax_ax;   /* times the tolerated difference was seen */

/*
** Our decoding of the instruction at p (avail bytes, .text offset at) and
** Zydis's: 0 when identical, else a reason in why.  The Zydis text goes
** to ztext for the report.
*/
static int same(const uint8_t *p, size_t avail, uint64_t at, const TcInst *in, char *ztext, size_t zcap,
                char *why, size_t cap)
{
	ZydisDecodedInstruction zi;
	ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
	snprintf(ztext, zcap, "(rejected)");
	if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, p, avail, &zi, zo)))
		return snprintf(why, cap, "Zydis rejects it"), 1;
	ZydisFormatterFormatInstruction(&zfmt, &zi, zo, zi.operand_count_visible, ztext, zcap, at, NULL);
	if (zi.length != in->len) return snprintf(why, cap, "length %d vs %d", in->len, zi.length), 1;
	if (is_xchg_ax_ax(in) && zi.mnemonic == ZYDIS_MNEMONIC_NOP && zi.operand_width == 16)
		return xchg_ax_ax++, 0;
	char m[32];
	expected_mnem(in, m, sizeof m);
	if (strcmp(m, ZydisMnemonicGetString(zi.mnemonic)))
		return snprintf(why, cap, "mnemonic %s vs %s", m, ZydisMnemonicGetString(zi.mnemonic)), 1;
	if (in->size && 8 * in->size != zi.operand_width)
		return snprintf(why, cap, "width %d vs %d bits", 8 * in->size, zi.operand_width), 1;
	if (in->nops != zi.operand_count_visible)
		return snprintf(why, cap, "%d operands vs %d", in->nops, zi.operand_count_visible), 1;
	for (int i = 0; i < in->nops; i++) {
		char r[96];
		if (zo[i].visibility == ZYDIS_OPERAND_VISIBILITY_HIDDEN)
			return snprintf(why, cap, "operand %d hidden for Zydis", i + 1), 1;
		if (same_op(&zi, &zo[i], &in->op[i], at, r, sizeof r))
			return snprintf(why, cap, "operand %d: %s", i + 1, r), 1;
	}
	return 0;
}

/* Two decoded operands are the same (a branch target aside). */
static int op_eq(const TcOp *x, const TcOp *y)
{
	return x->kind == y->kind && x->size == y->size && x->reg == y->reg && x->base == y->base &&
	       x->index == y->index && x->scale == y->scale && x->val == y->val;
}

/*
** The instruction must be one talas writes: the assembler's Inst built
** from it is encoded with as_encode and decoded again, giving the same
** instruction (talas may choose a shorter row: 83 for 81 with a small
** immediate, 50+r for ff /6).  With `exact`, the bytes came from talas and
** must come back identical, but for a branch's displacement, which the
** encoder leaves 0 for the linker; b8+r with REX.W is written movabs there.
** xchg's operands may come back swapped (87 /r with eax as the r/m
** operand is written 90+r), and xchg rax, rax (48 87 c0) comes back as
** 90, nop, as GNU as writes it.
*/
static int reencode(const uint8_t *orig, const TcInst *in, int exact, char *why, size_t cap)
{
	static Sym label;   /* any branch target */
	Inst a;
	memset(&a, 0, sizeof a);
	a.mnem = in->mnem, a.cc = in->cc, a.nops = in->nops;
	int far = 0, rel = -1;
	if (exact && x86_rows[in->row].form == F_O_I && in->size == S64) a.mnem = MN_MOVABS;
	for (int i = 0; i < in->nops; i++) {
		const TcOp *o = &in->op[i];
		Operand *p = &a.op[i];
		p->kind = o->kind == TC_REG ? OP_REG : o->kind == TC_MEM ? OP_MEM : OP_IMM;
		p->size = o->kind == TC_IMM ? 0 : o->size;
		p->reg = o->reg, p->base = o->base, p->index = o->index, p->scale = o->scale;
		p->val = o->kind == TC_REL ? 0 : o->val;
		if (o->kind == TC_REL) p->sym = &label, rel = i, far = x86_rows[in->row].form == F_REL32;
	}
	uint8_t buf[16];
	AsEnc r;
	int n = as_encode(&a, far, buf, &r);
	if (n < 0) return snprintf(why, cap, "talas cannot encode it: %.100s", r.err), 1;
	TcInst b;
	char err[256];
	if (tc_decode(buf, (size_t)n, 0, &b, err, sizeof err) != n)
		return snprintf(why, cap, "talas's bytes do not decode back: %.100s", err), 1;
	if (in->mnem == MN_XCHG && in->size == S64 && in->op[0].kind == TC_REG && in->op[0].reg == R_RAX &&
	    in->op[1].kind == TC_REG && in->op[1].reg == R_RAX)
		return b.mnem == MN_NOP ? 0 : (snprintf(why, cap, "xchg rax, rax is not re-encoded as nop"), 1);
	if (exact && (n != in->len || memcmp(buf, orig, (size_t)(rel >= 0 ? n - r.field_size : n))))
		return snprintf(why, cap, "talas re-encodes it differently (%d bytes)", n), 1;
	if (b.mnem != in->mnem || b.cc != in->cc || b.nops != in->nops || b.size != in->size)
		return snprintf(why, cap, "re-encoded as another instruction"), 1;
	int swap = in->mnem == MN_XCHG && !op_eq(&in->op[0], &b.op[0]);
	for (int i = 0; i < in->nops; i++) {
		const TcOp *x = &in->op[i], *y = &b.op[swap ? 1 - i : i];
		if (i == rel) {
			if (y->kind != TC_REL || y->val != n || (n != in->len))
				return snprintf(why, cap, "branch re-encoded differently"), 1;
			continue;
		}
		if (!op_eq(x, y))
			return snprintf(why, cap, "operand %d re-encoded differently", i + 1), 1;
	}
	return 0;
}

/* The same instruction, but for its length and a branch's target. */
static int same_meaning(const TcInst *a, const TcInst *b)
{
	if (a->mnem != b->mnem || a->cc != b->cc || a->nops != b->nops || a->size != b->size) return 0;
	for (int i = 0; i < a->nops; i++)
		if (a->op[i].kind != TC_REL && !op_eq(&a->op[i], &b->op[i])) return 0;
	return 1;
}

/*
** Every REX bit we accept must be needed: with any one set bit cleared
** (and a REX left bare dropped as well), the bytes must be rejected or
** mean something else.  0 when so, else a reason in why.
*/
static int rex_needed(const uint8_t *p, const TcInst *in, char *why, size_t cap)
{
	int at = p[0] == 0x66 ? 1 : 0;
	if ((p[at] & 0xf0) != 0x40) return 0;
	for (int bit = 1; bit <= 0x10; bit <<= 1) {
		uint8_t b[16];
		int n = in->len;
		memcpy(b, p, (size_t)n);
		if (bit < 0x10 && !(b[at] & bit)) continue;
		if (bit < 0x10) b[at] = (uint8_t)(b[at] & ~bit);
		if (bit == 0x10) memmove(b + at, b + at + 1, (size_t)(n - at - 1)), n--;   /* no REX at all */
		TcInst o;
		char err[256];
		if (tc_decode(b, (size_t)n, 0, &o, err, sizeof err) == n && same_meaning(in, &o))
			return snprintf(why, cap, bit < 0x10 ? "REX bit %x is redundant" : "REX is redundant", bit), 1;
	}
	return 0;
}

/* Bytes as hex, for reports. */
static void hex(const uint8_t *p, size_t n, char *buf, size_t cap)
{
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && k + 4 < cap; i++)
		k += (size_t)snprintf(buf + k, cap - k, "%s%02x", i ? " " : "", p[i]);
}

static unsigned long nreported;

/* Print one difference (the first 20 only); returns 1 to count it. */
static int report(const char *what, const uint8_t *p, size_t n, size_t off, const TcInst *in,
                  const char *ztext, const char *why)
{
	if (nreported++ >= 20) return 1;
	char h[64], ours[128] = "(rejected)";
	hex(p, n > 15 ? 15 : n, h, sizeof h);
	if (in) tc_format(in, ours, sizeof ours);
	fprintf(stderr, "%s: offset 0x%zx: bytes %s: %s\n    ours:  %s\n    zydis: %s\n", what, off, h, why,
	        ours, ztext);
	return 1;
}

/* ---- stream mode ---- */

/* .text of an object, copied to guarded memory. */
static const uint8_t *load_text(const char *path, Guard *g, size_t *n, TcObject *o)
{
	char err[512];
	if (tc_open(o, path, err, sizeof err)) {
		fprintf(stderr, "diff_zydis: %s\n", err);
		return NULL;
	}
	const TcSection *t = &o->sect[SEC_TEXT];
	*n = t->n;
	if (guard_init(g, t->n + 1)) {
		perror("diff_zydis: mmap");
		return NULL;
	}
	uint8_t *p = guarded_at(g, t->n);
	if (t->n) memcpy(p, t->p, t->n);
	return p;
}

/* Decode all of .text with both; every row the decoder may produce must appear. */
static int stream(const char *path)
{
	Guard g;
	TcObject o;
	size_t n, ninst = 0;
	const uint8_t *code = load_text(path, &g, &n, &o);
	if (!code) return 2;
	unsigned long bad = 0, *hits = calloc((size_t)x86_nrows, sizeof *hits);
	for (size_t off = 0; off < n;) {
		TcInst in;
		char err[256], zt[128], why[160];
		int len = tc_decode(code, n, off, &in, err, sizeof err);
		if (len < 0) {
			same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why);
			report("rejected", code + off, n - off, off, NULL, zt, err);
			bad++;
			break;   /* the stream cannot be followed further */
		}
		if (same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why))
			bad += (unsigned long)report("differs", code + off, (size_t)len, off, &in, zt, why);
		else if (reencode(code + off, &in, 1, why, sizeof why))
			bad += (unsigned long)report("re-encoding", code + off, (size_t)len, off, &in, zt, why);
		else if (rex_needed(code + off, &in, why, sizeof why))
			bad += (unsigned long)report("redundant", code + off, (size_t)len, off, &in, zt, why);
		hits[in.row]++;
		ninst++;
		off += (size_t)len;
	}
	int rows = 0, missed = 0;
	for (int i = 0; i < x86_nrows; i++) {
		if (x86_rows[i].flags & X_ALIAS) continue;
		rows++;
		if (!hits[i]) {
			fprintf(stderr, "row %d (%s, form %d) never decoded\n", i, x86_mnem_name(x86_rows[i].mnem),
			        x86_rows[i].form);
			missed++;
		}
	}
	printf("zydis.stream: %zu instructions in %zu bytes, %d of %d decodable rows seen, "
	       "%lu differences (66 90 xchg ax, ax = Zydis nop: %lu)\n",
	       ninst, n, rows - missed, rows, bad, xchg_ax_ax);
	free(hits);
	tc_close(&o);
	return bad || missed ? 1 : 0;
}

/* ---- random mode ---- */

static uint64_t rng;

/* splitmix64: small, seeded, the same sequence everywhere. */
static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, k). */
static unsigned below(unsigned k) { return (unsigned)(next() % k); }

typedef struct Pool { const uint8_t *code; size_t *off; uint8_t *len; size_t n; } Pool;

/* Opcodes (with 0f for the escape) that some decodable row produces. */
typedef struct Opc { uint8_t b[2], n; } Opc;
static Opc opcs[512];
static int nopcs;

/* Collect the opcode bytes of the table, as the decoder reads them. */
static void collect_opcodes(void)
{
	for (int i = 0; i < x86_nrows; i++) {
		const X86Row *r = &x86_rows[i];
		if (r->flags & X_ALIAS) continue;
		int span = (r->flags & X_CC) ? 16 : (r->form == F_O || r->form == F_O_I || r->form == F_ACC_O) ? 8 : 1;
		for (int k = 0; k < span && nopcs < 512; k++) {
			Opc *o = &opcs[nopcs++];
			o->n = r->oplen;
			o->b[0] = r->op[0];
			o->b[1] = r->op[1];
			o->b[r->oplen - 1] = (uint8_t)(r->op[r->oplen - 1] + k);
		}
	}
}

/* Prefix bytes the mutations insert: mostly the accepted ones. */
static const uint8_t prefix_bytes[] = {
	0x66, 0x66, 0x66, 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4f, 0x42, 0x45,
	0xf0, 0xf2, 0xf3, 0x2e, 0x3e, 0x26, 0x36, 0x64, 0x65, 0x67,
};

/* n random bytes. */
static void random_bytes(uint8_t *b, int n)
{
	for (int i = 0; i < n; i++) b[i] = (uint8_t)next();
}

/* Prefixes (mostly 66 and REX), a table opcode, random operand bytes. */
static int gen_shaped(uint8_t *b)
{
	int n = 0;
	random_bytes(b, 16);
	if (below(4) == 0) b[n++] = 0x66;
	if (below(2)) b[n++] = (uint8_t)(0x40 | below(16));
	if (below(16) == 0) b[below((unsigned)n + 1)] = prefix_bytes[below(sizeof prefix_bytes)];
	const Opc *o = &opcs[below((unsigned)nopcs)];
	for (int i = 0; i < o->n; i++) b[n++] = o->b[i];
	if (below(4) == 0) b[n] = (uint8_t)(b[n] | 0xc0);   /* favour register operands */
	return 16;
}

/* Insert byte x at position at of b (32 bytes; the last one drops off). */
static void insert(uint8_t *b, int at, uint8_t x)
{
	memmove(b + at + 1, b + at, (size_t)(31 - at));
	b[at] = x;
}

/* Delete the byte at position at of b (32 bytes; a random one comes in). */
static void delete(uint8_t *b, int at)
{
	memmove(b + at, b + at + 1, (size_t)(31 - at));
	b[31] = (uint8_t)next();
}

/*
** A valid instruction of the pool, a random tail, then 1-3 mutations; the
** length given to the decoders is 16, or less when truncated.
*/
static int gen_mutated(uint8_t *b, const Pool *p)
{
	size_t k = below((unsigned)p->n);
	int len = p->len[k], n = 16;
	random_bytes(b, 32);
	memcpy(b, p->code + p->off[k], (size_t)len);
	for (int m = below(3) + 1; m > 0; m--) {
		switch (below(8)) {
		case 0: case 1: b[below((unsigned)len)] ^= (uint8_t)(1 << below(8)); break;
		case 2: b[below((unsigned)len)] = (uint8_t)next(); break;
		case 3: insert(b, below(2), prefix_bytes[below(sizeof prefix_bytes)]), len++; break;
		case 4: if (len > 1) delete(b, below((unsigned)len)), len--; break;
		case 5: b[0] = (uint8_t)(0x40 | below(16)); break;
		case 6: n = (int)below((unsigned)len) + 1; break;   /* truncated */
		default: break;   /* unchanged: the valid instruction with a random tail */
		}
	}
	return n < 16 ? n : 16;
}

/* Load the pool of valid instructions from OBJ (all must decode). */
static int load_pool(const char *path, Pool *p, Guard *g, TcObject *o)
{
	size_t n;
	const uint8_t *code = load_text(path, g, &n, o);
	if (!code) return -1;
	p->code = code;
	p->off = malloc(n * sizeof *p->off + 1);
	p->len = malloc(n + 1);
	p->n = 0;
	for (size_t off = 0; off < n;) {
		TcInst in;
		char err[256];
		int len = tc_decode(code, n, off, &in, err, sizeof err);
		if (len < 0) {
			fprintf(stderr, "diff_zydis: %s: %s\n", path, err);
			return -1;
		}
		p->off[p->n] = off;
		p->len[p->n++] = (uint8_t)len;
		off += (size_t)len;
	}
	return 0;
}

enum { ST_UNIFORM, ST_SHAPED, ST_MUTATED, NST };
static const char *const st_name[NST] = { "uniform", "shaped", "mutated" };

/* One attempt: decode with both, check ours against Zydis when we accept. */
static int attempt(const Guard *g, const uint8_t *b, int len, int pre, unsigned long *acc, unsigned long *zonly)
{
	uint8_t *code = guarded_at(g, (size_t)(pre + len));
	random_bytes(code, pre);
	memcpy(code + pre, b, (size_t)len);
	size_t n = (size_t)(pre + len), off = (size_t)pre;
	TcInst in;
	char err[256], zt[128], why[160];
	int r = tc_decode(code, n, off, &in, err, sizeof err);
	if (r < 0) {
		ZydisDecodedInstruction zi;
		ZydisDecodedOperand zo[ZYDIS_MAX_OPERAND_COUNT];
		if (ZYAN_SUCCESS(ZydisDecoderDecodeFull(&zdec, code + off, n - off, &zi, zo))) ++*zonly;
		if (strncmp(err, "offset 0x", 9))
			return report("bad message", code + off, n - off, off, NULL, "", err);
		return 0;
	}
	++*acc;
	if (r != in.len || in.off != off || (size_t)r > n - off)
		return report("inconsistent", code + off, n - off, off, &in, "", "length or offset");
	if (same(code + off, n - off, off, &in, zt, sizeof zt, why, sizeof why))
		return report("differs", code + off, (size_t)r, off, &in, zt, why);
	if (reencode(code + off, &in, 0, why, sizeof why))
		return report("re-encoding", code + off, (size_t)r, off, &in, zt, why);
	if (rex_needed(code + off, &in, why, sizeof why))
		return report("redundant", code + off, (size_t)r, off, &in, zt, why);
	return 0;
}

/* COUNT attempts: 20% uniform, 30% shaped, 50% mutated (shaped without OBJ). */
static int randomized(uint64_t seed, unsigned long count, const char *path)
{
	Guard g, pg;
	Pool pool = { 0 };
	TcObject o;
	if (guard_init(&g, 64)) return perror("diff_zydis: mmap"), 2;
	if (path && load_pool(path, &pool, &pg, &o)) return 2;
	collect_opcodes();
	rng = seed;
	unsigned long tries[NST] = { 0 }, acc[NST] = { 0 }, zonly = 0, bad = 0;
	for (unsigned long i = 0; i < count; i++) {
		uint8_t b[48];
		int st = below(10), len;
		st = st < 2 ? ST_UNIFORM : st < 5 || !pool.n ? ST_SHAPED : ST_MUTATED;
		if (st == ST_UNIFORM) random_bytes(b, 16), len = below(4) ? 16 : (int)below(16) + 1;
		else if (st == ST_SHAPED) len = gen_shaped(b);
		else len = gen_mutated(b, &pool);
		tries[st]++;
		bad += (unsigned long)attempt(&g, b, len, (int)below(8), &acc[st], &zonly);
	}
	unsigned long total = acc[0] + acc[1] + acc[2];
	printf("zydis.random: seed %" PRIu64 ", %lu attempts: %lu accepted by us, %s",
	       seed, count, total, bad ? "" : "all identical to Zydis");
	if (bad) printf("%lu differ", bad);
	printf(" (66 90 = nop: %lu); %lu accepted by Zydis only\n", xchg_ax_ax, zonly);
	for (int s = 0; s < NST; s++)
		printf("  %-8s %9lu attempts, %8lu accepted\n", st_name[s], tries[s], acc[s]);
	if (path) tc_close(&o);
	free(pool.off);
	free(pool.len);
	return bad ? 1 : 0;
}

/*
** Every prefix combination (none or 66, none or one of the 16 REX) with
** every opcode of both maps and every ModRM byte, followed by one of four
** tails that make SIB bytes with and without base and index, and
** displacements and immediates with the sign bit set or clear.
*/
typedef struct Sweep { const Guard *g; unsigned long n, acc, zonly, bad, k; } Sweep;

/* The prefixes pre, then every opcode of both maps, every ModRM byte, and a tail of the few fixed ones. */
static void sweep_prefixed(Sweep *w, const uint8_t *pre, int np)
{
	static const uint8_t tails[4][12] = {
		{ 0x24, 0x80, 0xff, 0xff, 0x7f, 0x01, 0x02, 0x03, 0x84, 0x05, 0x06, 0x07 },
		{ 0x8d, 0x7f, 0x00, 0x00, 0x80, 0xfe, 0xff, 0xff, 0xff, 0x11, 0x22, 0x33 },
		{ 0x65, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0 },
		{ 0xe5, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff },
	};
	for (int op = 0; op < 512; op++)
		for (int modrm = 0; modrm < 256; modrm++) {
			uint8_t b[20];
			int len = np;
			memcpy(b, pre, (size_t)np);
			if (op >= 256) b[len++] = 0x0f;
			b[len++] = (uint8_t)op;
			b[len++] = (uint8_t)modrm;
			memcpy(b + len, tails[w->k++ & 3], 12);
			len = len + 12 > 16 ? 16 : len + 12;
			w->n++;
			w->bad += (unsigned long)attempt(w->g, b, len, 0, &w->acc, &w->zonly);
		}
}

static int sweep(void)
{
	Guard g;
	if (guard_init(&g, 64)) return perror("diff_zydis: mmap"), 2;
	Sweep w = { &g, 0, 0, 0, 0, 0 };
	for (int p66 = 0; p66 < 2; p66++)
		for (int rex = 0x3f; rex <= 0x4f; rex++) {
			uint8_t pre[2];
			int np = 0;
			if (p66) pre[np++] = 0x66;
			if (rex >= 0x40) pre[np++] = (uint8_t)rex;
			sweep_prefixed(&w, pre, np);
		}
	static const uint8_t f3[1] = { 0xf3 };   /* f3 before every opcode and ModRM: endbr64 (f3 0f 1e fa) alone is ours */
	sweep_prefixed(&w, f3, 1);
	printf("zydis.sweep: %lu encodings: %lu accepted by us, %s", w.n, w.acc, w.bad ? "" : "all identical to Zydis");
	if (w.bad) printf("%lu differ", w.bad);
	printf(" (66 90 = nop: %lu); %lu accepted by Zydis only\n", xchg_ax_ax, w.zonly);
	return w.bad ? 1 : 0;
}

/* The mode from the command line. */
int main(int argc, char **argv)
{
	if (!ZYAN_SUCCESS(ZydisDecoderInit(&zdec, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)) ||
	    !ZYAN_SUCCESS(ZydisFormatterInit(&zfmt, ZYDIS_FORMATTER_STYLE_INTEL)))
		return fprintf(stderr, "diff_zydis: cannot set up Zydis\n"), 2;
	if (argc == 3 && !strcmp(argv[1], "stream")) return stream(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "sweep")) return sweep();
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "random"))
		return randomized(strtoull(argv[2], NULL, 0), strtoul(argv[3], NULL, 0), argc == 5 ? argv[4] : NULL);
	fprintf(stderr, "usage: diff_zydis stream OBJ | random SEED COUNT [OBJ] | sweep\n");
	return 2;
}
